//! Spool files: round trip, every damaged byte refused, the earlier formats still read, and
//! names that stay the same for a log file across builds.

use super::*;

fn gzip(json: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut encoder, json).unwrap();
    encoder.finish().unwrap()
}

const KEY: &str = "AWSLogs/111122223333/CloudTrail/us-west-2/2026/11/20/k.json.gz";

fn planned_file() -> PlannedFile {
    PlannedFile {
        trail_arn: "arn:aws:cloudtrail:us-east-1:111122223333:trail/west".into(),
        account_id: "111122223333".into(),
        region: "us-west-2".into(),
        bucket: "logs-west".into(),
        key: KEY.into(),
        json: Vec::new(),
        sha256_hex: integrity::digest::sha256_hex(br#"{"Records":[]}"#),
        oldest_event_time: Some("2026-11-20T14:05:00Z".into()),
        newest_event_time: None,
        gzip: gzip(br#"{"Records":[]}"#),
        n_records: 0,
        digested: true,
    }
}

/// The file as a spool entry reads it back.
fn fields(file: &PlannedFile) -> [String; 8] {
    [
        file.trail_arn.clone(),
        file.account_id.clone(),
        file.region.clone(),
        file.bucket.clone(),
        file.key.clone(),
        file.sha256_hex.clone(),
        format!("{:?}", file.oldest_event_time),
        format!("{:?}", file.newest_event_time),
    ]
}

/// A file of an earlier format: `magic`, the parts, an IEEE CRC-32.
fn legacy(magic: &[u8; 4], parts: &[u8]) -> Vec<u8> {
    let mut bytes = magic.to_vec();
    bytes.extend_from_slice(parts);
    let crc = crc32fast::hash(&bytes);
    bytes.extend_from_slice(&crc.to_le_bytes());
    bytes
}

#[test]
fn spooled_files_round_trip_under_a_stable_name() {
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::new(dir.path());
    let file = planned_file();
    spool.add(42, &file).unwrap();
    spool.add(42, &file).unwrap();
    let entries = spool.entries().unwrap();
    assert_eq!(entries.len(), 1, "re-spooling replaces");
    let name = entries[0].file_name().unwrap().to_str().unwrap().to_owned();
    // FNV-1a 64 of `logs-west/<key>`, as every build since the first names it.
    assert_eq!(name, "00000000000000000042-03a1fe0658b9d842.spool");
    assert_eq!(
        spool_file_name(0, "logs-west", "AWSLogs/k.json.gz"),
        "00000000000000000000-ac70c3d510094176.spool"
    );
    let entry = spool.read(&entries[0]).unwrap();
    assert_eq!(fields(&entry.file), fields(&file));
    assert_eq!(entry.file.gzip, file.gzip);
    let trails: Vec<String> = spool.trails().unwrap().into_iter().collect();
    assert_eq!(trails, vec![file.trail_arn]);
    spool.remove(&entries[0]).unwrap();
    assert!(spool.entries().unwrap().is_empty());
}

#[test]
fn every_damaged_byte_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::new(dir.path());
    spool.add(1, &planned_file()).unwrap();
    let bytes = std::fs::read(&spool.entries().unwrap()[0]).unwrap();
    assert_eq!(&bytes[..4], b"OTsf");
    for byte_idx in 0..bytes.len() {
        let mut damaged = bytes.clone();
        damaged[byte_idx] ^= 0x01;
        assert!(decode(&damaged).is_err(), "byte `{byte_idx}`");
    }
    for len in 0..bytes.len() {
        assert!(decode(&bytes[..len]).is_err(), "len `{len}`");
    }
}

#[test]
fn files_of_the_earlier_formats_are_still_read() {
    let file = planned_file();
    let second = legacy(b"OTs2", &payload(&file));
    assert_eq!(fields(&decode(&second).unwrap().file), fields(&file));
    // The first format: account, region and hash are recomputed; no event times.
    let first = legacy(
        b"OTsp",
        &join_parts(&[
            file.trail_arn.as_bytes(),
            file.bucket.as_bytes(),
            file.key.as_bytes(),
            &file.gzip,
        ]),
    );
    let read = decode(&first).unwrap().file;
    let expected = PlannedFile { oldest_event_time: None, ..planned_file() };
    assert_eq!(fields(&read), fields(&expected));
    for bytes in [second, first] {
        let mut damaged = bytes.clone();
        damaged[bytes.len() / 2] ^= 0x40;
        assert_eq!(
            decode(&damaged).err().as_deref(),
            Some("its checksum does not match its bytes")
        );
    }
}

#[test]
fn a_damaged_file_names_itself_and_the_way_out() {
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::new(dir.path());
    std::fs::create_dir_all(dir.path().join("spool")).unwrap();
    let path = dir.path().join("spool/00000000000000000001-0000000000000000.spool");
    std::fs::write(&path, b"XXXXnot a spool file").unwrap();
    let message = spool.read(&path).err().unwrap().to_string();
    let expected = format!(
        "the spooled log file `{}` is damaged (it starts with `XXXX` instead of `OTsf`); move it aside to let delivery continue (its events are in the WAL only if the WAL still holds them)",
        path.display()
    );
    assert_eq!(message, expected);
}
