//! Plans: round trip, every damaged byte refused, and the first format still read.

use super::*;

const PLAN: Plan = Plan { start: 7, end: 4096, delivered_at_unix: 1_795_183_500 };

/// `PLAN` as the first release wrote it (`OTdp`, IEEE CRC-32); frozen.
const SHIPPED_HEX: &str = "4f546470070000000000000000100000000000008c53006b00000000cb7e81c6";

fn unhex(hex: &str) -> Vec<u8> {
    (0..hex.len()).step_by(2).map(|at| u8::from_str_radix(&hex[at..at + 2], 16).unwrap()).collect()
}

#[test]
fn plans_round_trip_in_the_framed_format() {
    let bytes = PLAN.encode();
    assert_eq!((bytes.len(), &bytes[..4]), (36, &b"OTpl"[..]));
    assert_eq!(Plan::decode(&bytes), Ok(PLAN));
}

#[test]
fn every_damaged_byte_is_refused_in_both_formats() {
    for bytes in [PLAN.encode(), unhex(SHIPPED_HEX)] {
        for byte_idx in 0..bytes.len() {
            let mut damaged = bytes.clone();
            damaged[byte_idx] ^= 0x01;
            assert!(Plan::decode(&damaged).is_err(), "byte `{byte_idx}`");
        }
        for len in 0..bytes.len() {
            assert!(Plan::decode(&bytes[..len]).is_err(), "len `{len}`");
        }
    }
}

#[test]
fn plans_of_the_first_format_are_still_read() {
    assert_eq!(crc32fast::hash(b"123456789"), 0xCBF4_3926, "the IEEE CRC-32 of the first format");
    assert_eq!(Plan::decode(&unhex(SHIPPED_HEX)), Ok(PLAN));
}

#[test]
fn a_damaged_plan_file_names_itself_and_the_way_out() {
    let dir = tempfile::tempdir().unwrap();
    write_plan(dir.path(), Some(&PLAN)).unwrap();
    assert_eq!(read_plan(dir.path()).unwrap(), Some(PLAN));
    let path = dir.path().join("plan");
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[10] ^= 0x40;
    std::fs::write(&path, bytes).unwrap();
    let message = read_plan(dir.path()).unwrap_err().to_string();
    let expected = format!(
        "the delivery plan `{}` is damaged (its checksum does not match its bytes); remove it to re-plan from the WAL cursor",
        path.display()
    );
    assert_eq!(message, expected);
    write_plan(dir.path(), None).unwrap();
    assert_eq!(read_plan(dir.path()).unwrap(), None);
    write_plan(dir.path(), None).unwrap();
}
