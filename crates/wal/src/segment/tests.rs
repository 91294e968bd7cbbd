//! Unit tests for segment naming, batch tracking and segment scans.

use std::path::Path;

use super::*;
use crate::fs::SimFileSystem;

#[test]
fn segment_names_are_canonical_and_sort_by_position() {
    assert_eq!(segment_file_name(Lsn(0)), "00000000000000000000.wal");
    assert_eq!(segment_file_name(Lsn(1234)), "00000000000000001234.wal");
    assert_eq!(parse_segment_file_name("00000000000000001234.wal"), Some(Lsn(1234)));
    for bad in [
        "1234.wal",
        "0000000000000000123a.wal",
        "00000000000000001234.wal.tmp",
        "99999999999999999999.wal",
        "+0000000000000001234.wal",
    ] {
        assert_eq!(parse_segment_file_name(bad), None, "{bad}");
    }
    let mut names = [segment_file_name(Lsn(10_000)), segment_file_name(Lsn(9))];
    names.sort();
    assert_eq!(names[0], segment_file_name(Lsn(9)));
}

fn header(batch_rest: u32) -> FrameHeader {
    FrameHeader { payload_len: 0, lsn: Lsn(0), batch_rest, crc: 0 }
}

#[test]
fn batch_tracker_follows_the_countdown() {
    let mut batches = BatchTracker::default();
    assert_eq!(
        batches.push(0, &header(0)),
        Ok(Some(CompletedBatch { start_offset: 0, n_records: 1 }))
    );
    assert_eq!(batches.push(24, &header(2)), Ok(None));
    assert_eq!(batches.open_batch_offset(), Some(24));
    assert_eq!(batches.push(48, &header(1)), Ok(None));
    assert_eq!(
        batches.push(72, &header(0)),
        Ok(Some(CompletedBatch { start_offset: 24, n_records: 3 }))
    );
    assert_eq!(batches.open_batch_offset(), None);

    assert_eq!(batches.push(96, &header(1)), Ok(None));
    assert_eq!(
        batches.push(120, &header(1)),
        Err(BatchDefect::SequenceBroken { expected: 0, found: 1 })
    );
    let mut batches = BatchTracker::default();
    assert!(matches!(batches.push(0, &header(u32::MAX)), Err(BatchDefect::TooManyRecords { .. })));
}

fn scan(bytes: &[u8]) -> SegmentScan {
    let sim = SimFileSystem::new();
    let dir = Path::new("/w");
    sim.create_dir_all(dir).unwrap();
    sim.write_file(&dir.join("s"), bytes);
    scan_segment(&sim, dir, "s", Lsn(1000)).unwrap()
}

#[test]
fn scan_classifies_endings() {
    let mut bytes = Vec::new();
    frame::encode_batch(&mut bytes, Lsn(1000), &[b"a".to_vec(), b"b".to_vec()]);
    let clean = scan(&bytes);
    assert_eq!((clean.ending, clean.valid_end, clean.n_records), (ScanEnding::Clean, 50, 2));

    let empty = scan(&[]);
    assert_eq!((empty.ending, empty.valid_end), (ScanEnding::Clean, 0));

    let mut zeroed = bytes.clone();
    zeroed.extend_from_slice(&[0; 100]);
    let torn = scan(&zeroed);
    assert_eq!(torn.valid_end, 50);
    assert_eq!(
        torn.ending,
        ScanEnding::TornTail { offset: 50, defect: FrameDefect::BadMagic { found: [0; 4] } }
    );

    let incomplete = scan(&bytes[..25 + 24]);
    assert_eq!(incomplete.valid_end, 0);
    assert!(matches!(
        incomplete.ending,
        ScanEnding::IncompleteBatch { batch_offset: 0, torn: Some((25, _)) }
    ));
}

#[test]
fn frames_inside_payloads_at_the_wrong_position_are_not_evidence() {
    // A payload that itself contains a well-formed frame for another position: after a torn
    // tail it must not be mistaken for a valid record that follows.
    let mut inner = Vec::new();
    frame::encode_frame(&mut inner, Lsn(5), 0, b"inner");
    let mut bytes = Vec::new();
    frame::encode_batch(&mut bytes, Lsn(1000), &[inner]);
    let torn_at = bytes.len();
    let mut damaged_copy = bytes.clone();
    damaged_copy[20] ^= 0x01;
    bytes.extend_from_slice(&damaged_copy);
    let scanned = scan(&bytes);
    assert_eq!(scanned.valid_end, torn_at as u64);
    assert!(matches!(scanned.ending, ScanEnding::TornTail { .. }), "{:?}", scanned.ending);
}
