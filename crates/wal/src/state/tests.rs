//! Unit tests for state files: codec, damage, and the crash-safe replacement.

use std::path::Path;

use super::*;
use crate::fs::{CrashMode, SimFileSystem};

#[test]
fn state_round_trips_and_rejects_damage() {
    let bytes = encode_state(StateKind::Cursor, Lsn(42));
    assert_eq!(&bytes[0..4], b"OTws");
    assert_eq!(decode_state(&bytes, StateKind::Cursor), Ok(Lsn(42)));
    assert_eq!(decode_state(&bytes, StateKind::Head), Err(StateDefect::WrongKind { found: 2 }));
    assert_eq!(
        decode_state(&bytes[..23], StateKind::Cursor),
        Err(StateDefect::WrongLength { len: 23 })
    );

    for byte_idx in 0..STATE_FILE_BYTES {
        let mut damaged = bytes;
        damaged[byte_idx] ^= 0x10;
        assert!(decode_state(&damaged, StateKind::Cursor).is_err(), "byte `{byte_idx}`");
    }

    let mut future = bytes;
    future[4..8].copy_from_slice(&2u32.to_le_bytes());
    let crc = crc32c::crc32c(&future[..20]);
    future[20..24].copy_from_slice(&crc.to_le_bytes());
    assert_eq!(
        decode_state(&future, StateKind::Cursor),
        Err(StateDefect::UnsupportedVersion { version: 2 })
    );
}

#[test]
fn state_files_keep_the_layout_that_shipped() {
    // Laid out by hand as the first release wrote it: magic, version 1, kind, LSN, CRC32C.
    let mut shipped = Vec::new();
    shipped.extend_from_slice(b"OTws");
    shipped.extend_from_slice(&1u32.to_le_bytes());
    shipped.extend_from_slice(&(StateKind::Head as u32).to_le_bytes());
    shipped.extend_from_slice(&0x0102_0304_0506_0708u64.to_le_bytes());
    let crc = crc32c::crc32c(&shipped);
    shipped.extend_from_slice(&crc.to_le_bytes());
    assert_eq!(encode_state(StateKind::Head, Lsn(0x0102_0304_0506_0708)).as_slice(), shipped);
    assert_eq!(decode_state(&shipped, StateKind::Head), Ok(Lsn(0x0102_0304_0506_0708)));
}

#[test]
fn replacement_is_all_or_nothing_across_crashes() {
    let dir = Path::new("/w");
    for seed in 0..50 {
        let sim = SimFileSystem::new();
        sim.create_dir_all(dir).unwrap();
        write_state_file(&sim, dir, "cursor-a.state", StateKind::Cursor, Lsn(1)).unwrap();
        // Crash at every point of the second replacement by failing the directory fsync: the
        // rename may or may not survive, but the file is always whole.
        sim.fail_next_dir_syncs(1);
        assert!(write_state_file(&sim, dir, "cursor-a.state", StateKind::Cursor, Lsn(2)).is_err());
        let after = sim.crash(CrashMode::Torn { seed });
        let lsn =
            read_state_file(&after, dir, "cursor-a.state", StateKind::Cursor).unwrap().unwrap();
        assert!(lsn == Lsn(1) || lsn == Lsn(2), "seed {seed}: {lsn}");
    }
}

#[test]
fn consumer_names_are_file_name_safe() {
    assert_eq!(check_consumer_name("log-delivery_1"), Ok(()));
    assert!(check_consumer_name("").is_err());
    assert!(check_consumer_name("A").is_err());
    assert!(check_consumer_name("a/b").is_err());
    assert!(check_consumer_name("..").is_err());
    assert!(check_consumer_name(&"a".repeat(65)).is_err());
    assert_eq!(parse_cursor_file_name(&cursor_file_name("x-1")), Some("x-1"));
    assert_eq!(parse_cursor_file_name("cursor-X.state"), None);
    assert_eq!(parse_cursor_file_name("head.state"), None);
}
