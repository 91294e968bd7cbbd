//! One named test per kind of damage, on real files, each asserting the recovery decision.
//!
//! Every WAL here has records of 100-byte payloads (124-byte frames) and 1 KiB segments, so a
//! segment holds 8 records: segment `0` covers positions 0..992, segment `992` the next ones.

use std::path::{Path, PathBuf};

use wal::{Error, Lsn, RecoveryMode, TruncatedTail, Wal, WalConfig};

use crate::support::{append_durably, payload, read_all};

const FRAME: usize = 124;
const SEGMENT_0: &str = "00000000000000000000.wal";
const SEGMENT_992: &str = "00000000000000000992.wal";
const SEGMENT_1984: &str = "00000000000000001984.wal";

fn config(recovery_mode: RecoveryMode) -> WalConfig {
    WalConfig { segment_bytes_max: 1024, recovery_mode, ..WalConfig::recommended() }
}

/// A WAL of `n_records` single-record batches, shut down cleanly.
fn build(n_records: u8) -> (tempfile::TempDir, PathBuf) {
    let temp_dir = tempfile::tempdir().unwrap();
    let dir = temp_dir.path().join("wal");
    let (wal, _) = Wal::open_std(&dir, config(RecoveryMode::TolerateTornTail)).unwrap();
    for tag in 0..n_records {
        append_durably(&wal, vec![payload(tag, 100)]);
    }
    wal.shutdown().unwrap();
    (temp_dir, dir)
}

fn edit(dir: &Path, segment: &str, change: impl FnOnce(&mut Vec<u8>)) {
    let path = dir.join(segment);
    let mut bytes = std::fs::read(&path).unwrap();
    change(&mut bytes);
    std::fs::write(&path, bytes).unwrap();
}

#[derive(Debug)]
enum Expect {
    /// Opens, after cutting this tail; this many records remain.
    Truncated { tail: TruncatedTail, n_records: u64 },
    /// Refuses to open: file, offset, and how the reason starts.
    Corruption { segment: &'static str, offset: u64, reason_start: &'static str },
}

/// Builds a WAL of `n_records`, damages it, opens it in `mode`, and checks the decision.
fn check(n_records: u8, damage: impl FnOnce(&Path), mode: RecoveryMode, expect: Expect) {
    let (_temp_dir, dir) = build(n_records);
    damage(&dir);
    let opened = Wal::open_std(&dir, config(mode));
    match expect {
        Expect::Truncated { tail, n_records } => {
            let (wal, report) = opened.unwrap();
            assert_eq!(
                report.truncated_tail.as_ref().map(|t| (&t.segment, t.offset, t.bytes_removed)),
                Some((&tail.segment, tail.offset, tail.bytes_removed))
            );
            assert!(report.truncated_tail.unwrap().reason.starts_with(&tail.reason), "reason");
            assert_eq!(report.n_records, n_records);
            assert_eq!(read_all(&wal).len() as u64, n_records);
            // The truncation was durable and the WAL keeps working after it.
            append_durably(&wal, vec![payload(200, 100)]);
            drop(wal);
            let (_wal, report) = Wal::open_std(&dir, config(RecoveryMode::Strict)).unwrap();
            assert_eq!((report.truncated_tail, report.n_records), (None, n_records + 1));
        }
        Expect::Corruption { segment, offset, reason_start } => {
            let before = snapshot(&dir);
            let error = opened.map(|_| ()).unwrap_err();
            let Error::Corruption { segment: found_segment, offset: found_offset, reason } = &error
            else {
                panic!("expected corruption, got `{error}`");
            };
            assert_eq!((found_segment.as_str(), *found_offset), (segment, offset), "{error}");
            assert!(reason.starts_with(reason_start), "{error}");
            let message = error.to_string();
            assert!(
                message.contains(segment) && message.contains(&format!("offset `{offset}`")),
                "{message}"
            );
            assert_eq!(snapshot(&dir), before, "a refused open changes nothing");
        }
    }
}

fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| {
            let entry = entry.unwrap();
            (entry.file_name().into_string().unwrap(), std::fs::read(entry.path()).unwrap())
        })
        .collect();
    files.sort();
    files
}

fn tail(segment: &str, offset: u64, bytes_removed: u64, reason: &str) -> TruncatedTail {
    TruncatedTail { segment: segment.to_owned(), offset, bytes_removed, reason: reason.to_owned() }
}

#[test]
fn torn_tail_is_truncated() {
    // Half of a frame: a real header and part of its payload.
    let damage =
        |dir: &Path| edit(dir, SEGMENT_992, |bytes| bytes.extend_from_slice(&bytes.clone()[..30]));
    let expect = Expect::Truncated {
        tail: tail(SEGMENT_992, 248, 30, "torn tail: partial payload"),
        n_records: 10,
    };
    check(10, damage, RecoveryMode::TolerateTornTail, expect);
}

#[test]
fn torn_header_is_truncated() {
    let damage =
        |dir: &Path| edit(dir, SEGMENT_992, |bytes| bytes.extend_from_slice(&bytes.clone()[..7]));
    let expect = Expect::Truncated {
        tail: tail(SEGMENT_992, 248, 7, "torn tail: partial frame header"),
        n_records: 10,
    };
    check(10, damage, RecoveryMode::TolerateTornTail, expect);
}

#[test]
fn zeroed_tail_is_truncated() {
    // What a file system leaves when the size was updated but the data never arrived.
    let damage = |dir: &Path| edit(dir, SEGMENT_992, |bytes| bytes.resize(bytes.len() + 4096, 0));
    let expect = Expect::Truncated {
        tail: tail(SEGMENT_992, 248, 4096, "torn tail: no frame magic"),
        n_records: 10,
    };
    check(10, damage, RecoveryMode::TolerateTornTail, expect);
}

#[test]
fn zeroed_length_at_tail_is_truncated() {
    let damage = |dir: &Path| edit(dir, SEGMENT_992, |bytes| bytes[FRAME + 4..FRAME + 8].fill(0));
    let expect = Expect::Truncated {
        tail: tail(SEGMENT_992, FRAME as u64, FRAME as u64, "torn tail: checksum mismatch"),
        n_records: 9,
    };
    check(10, damage, RecoveryMode::TolerateTornTail, expect);
}

#[test]
fn zeroed_length_mid_segment_is_corruption() {
    let damage = |dir: &Path| edit(dir, SEGMENT_992, |bytes| bytes[FRAME + 4..FRAME + 8].fill(0));
    let expect = Expect::Corruption {
        segment: SEGMENT_992,
        offset: FRAME as u64,
        reason_start: "damaged record followed by valid records: checksum mismatch",
    };
    check(12, damage, RecoveryMode::TolerateTornTail, expect);
}

#[test]
fn bad_crc_mid_segment_is_corruption() {
    let damage = |dir: &Path| edit(dir, SEGMENT_992, |bytes| bytes[FRAME + 50] ^= 0x40);
    let expect = Expect::Corruption {
        segment: SEGMENT_992,
        offset: FRAME as u64,
        reason_start: "damaged record followed by valid records: checksum mismatch",
    };
    check(12, damage, RecoveryMode::TolerateTornTail, expect);
}

#[test]
fn bad_crc_at_tail_is_truncated() {
    let damage = |dir: &Path| edit(dir, SEGMENT_992, |bytes| bytes[3 * FRAME + 50] ^= 0x40);
    let expect = Expect::Truncated {
        tail: tail(SEGMENT_992, 3 * FRAME as u64, FRAME as u64, "torn tail: checksum mismatch"),
        n_records: 11,
    };
    check(12, damage, RecoveryMode::TolerateTornTail, expect);
}

#[test]
fn bad_crc_in_sealed_segment_is_corruption() {
    // Even at the very end of a sealed segment: it was fsynced before the next one existed.
    let damage = |dir: &Path| edit(dir, SEGMENT_0, |bytes| bytes[7 * FRAME + 50] ^= 0x40);
    let expect = Expect::Corruption {
        segment: SEGMENT_0,
        offset: 7 * FRAME as u64,
        reason_start: "torn tail: checksum mismatch",
    };
    check(10, damage, RecoveryMode::TolerateTornTail, expect);
}

#[test]
fn missing_segment_is_corruption() {
    let damage = |dir: &Path| std::fs::remove_file(dir.join(SEGMENT_992)).unwrap();
    let expect = Expect::Corruption {
        segment: SEGMENT_1984,
        offset: 0,
        reason_start: "missing segment: the previous segment ends at `992` but this one starts at `1984`: segment `00000000000000000992.wal` is missing",
    };
    check(20, damage, RecoveryMode::TolerateTornTail, expect);
}

#[test]
fn missing_first_segment_is_corruption() {
    let damage = |dir: &Path| std::fs::remove_file(dir.join(SEGMENT_0)).unwrap();
    let expect = Expect::Corruption {
        segment: SEGMENT_992,
        offset: 0,
        reason_start: "missing segment: the head says the wal starts at `0` but the first segment starts at `992`",
    };
    check(20, damage, RecoveryMode::TolerateTornTail, expect);
}

#[test]
fn duplicate_segment_is_corruption() {
    // A copy of the first segment restored under a name inside its own range.
    let damage = |dir: &Path| {
        std::fs::copy(dir.join(SEGMENT_0), dir.join("00000000000000000496.wal")).unwrap();
    };
    let expect = Expect::Corruption {
        segment: "00000000000000000496.wal",
        offset: 0,
        reason_start: "overlapping segment: this segment starts at `496`, inside the previous segment, which ends at `992`",
    };
    check(20, damage, RecoveryMode::TolerateTornTail, expect);
}

#[test]
fn misnamed_segment_is_corruption() {
    let damage = |dir: &Path| {
        std::fs::copy(dir.join(SEGMENT_992), dir.join("992.wal")).unwrap();
    };
    let expect = Expect::Corruption {
        segment: "992.wal",
        offset: 0,
        reason_start: "unrecognized segment file",
    };
    check(10, damage, RecoveryMode::TolerateTornTail, expect);
}

#[test]
fn wrong_lsn_in_frame_is_corruption() {
    // A valid frame (good checksum) copied to another position.
    let damage = |dir: &Path| {
        let first_frame = std::fs::read(dir.join(SEGMENT_0)).unwrap()[..FRAME].to_vec();
        edit(dir, SEGMENT_992, |bytes| bytes[FRAME..2 * FRAME].copy_from_slice(&first_frame));
    };
    let expect = Expect::Corruption {
        segment: SEGMENT_992,
        offset: FRAME as u64,
        reason_start: "record at the wrong position: the record claims lsn `0` but sits at lsn `1116`",
    };
    check(10, damage, RecoveryMode::TolerateTornTail, expect);
}

#[test]
fn strict_mode_refuses_a_torn_tail() {
    let damage =
        |dir: &Path| edit(dir, SEGMENT_992, |bytes| bytes.extend_from_slice(&bytes.clone()[..30]));
    let expect = Expect::Corruption {
        segment: SEGMENT_992,
        offset: 248,
        reason_start: "torn tail: partial payload",
    };
    check(10, damage, RecoveryMode::Strict, expect);
}

#[test]
fn strict_mode_message_says_how_to_proceed() {
    let (_temp_dir, dir) = build(10);
    edit(&dir, SEGMENT_992, |bytes| bytes.extend_from_slice(&[0; 30]));
    let error = Wal::open_std(&dir, config(RecoveryMode::Strict)).map(|_| ()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "wal file `00000000000000000992.wal` is damaged at offset `248`: torn tail: no frame magic (found `[00, 00, 00, 00]`) \
         at offset `248`, nothing valid after it; the tail was never acknowledged (a crash left it); open with \
         `RecoveryMode::TolerateTornTail` to truncate it"
    );
}

#[test]
fn incomplete_batch_at_tail_is_truncated() {
    let (_temp_dir, dir) = build(2);
    let (wal, _) = Wal::open_std(&dir, config(RecoveryMode::TolerateTornTail)).unwrap();
    let batch = append_durably(&wal, vec![payload(1, 100), payload(2, 100), payload(3, 100)]);
    drop(wal);
    // The batch's last record never reached the disk: the whole batch goes.
    edit(&dir, SEGMENT_0, |bytes| bytes.truncate(bytes.len() - FRAME));
    let (wal, report) = Wal::open_std(&dir, config(RecoveryMode::TolerateTornTail)).unwrap();
    let truncated = report.truncated_tail.unwrap();
    assert_eq!((truncated.offset, truncated.bytes_removed), (batch.start.0, 2 * FRAME as u64));
    assert!(truncated.reason.starts_with("incomplete batch"), "{}", truncated.reason);
    assert_eq!(report.n_records, 2);
    assert_eq!(wal.durable_end(), batch.start);
    assert_eq!(read_all(&wal).last().unwrap().0, Lsn(FRAME as u64));
}

#[test]
fn empty_last_segment_is_clean() {
    // A crash right after a rotation leaves an empty segment; that is not damage.
    let (_temp_dir, dir) = build(8);
    std::fs::write(dir.join(SEGMENT_992), b"").unwrap();
    let (wal, report) = Wal::open_std(&dir, config(RecoveryMode::Strict)).unwrap();
    assert_eq!((report.n_segments, report.n_records, report.truncated_tail), (2, 8, None));
    assert_eq!(wal.durable_end(), Lsn(992));
}
