//! The read-only opener for operators: reads everything, modifies nothing, stops at a torn
//! tail, and reports real damage.

use std::path::Path;

use wal::{Error, Lsn, Wal};

use crate::support::{append_durably, payload, read_all, small_segments};

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

fn read_only_all(dir: &Path) -> Vec<wal::Result<(Lsn, Vec<u8>)>> {
    wal::read_only(dir).unwrap().collect()
}

#[test]
fn reads_every_record_across_segments_and_changes_nothing() {
    let temp_dir = tempfile::tempdir().unwrap();
    let (wal, _) = Wal::open_std(temp_dir.path(), small_segments()).unwrap();
    for tag in 0..20u8 {
        append_durably(&wal, vec![payload(tag, 100), payload(tag, 5)]);
    }
    let expected = read_all(&wal);
    drop(wal);
    // A torn tail, and a leftover temp file, that a read-write open would clean up.
    let mut names: Vec<_> = snapshot(temp_dir.path()).into_iter().map(|(name, _)| name).collect();
    names.retain(|name| name.ends_with(".wal"));
    assert_eq!(names.len(), 4);
    let last = temp_dir.path().join(names.last().unwrap());
    let mut bytes = std::fs::read(&last).unwrap();
    bytes.extend_from_slice(&[0x4f, 0x54, 0x77, 0x31, 9, 9]);
    std::fs::write(&last, bytes).unwrap();
    std::fs::write(temp_dir.path().join("cursor-x.state.tmp"), b"partial").unwrap();

    let before = snapshot(temp_dir.path());
    let records: Vec<_> = read_only_all(temp_dir.path()).into_iter().map(Result::unwrap).collect();
    assert_eq!(records, expected);
    assert_eq!(snapshot(temp_dir.path()), before);
}

#[test]
fn works_while_a_server_has_the_wal_open() {
    let temp_dir = tempfile::tempdir().unwrap();
    let (wal, _) = Wal::open_std(temp_dir.path(), small_segments()).unwrap();
    for tag in 0..10u8 {
        append_durably(&wal, vec![payload(tag, 100)]);
    }
    assert_eq!(read_only_all(temp_dir.path()).len(), 10);
    append_durably(&wal, vec![payload(10, 100)]);
    assert_eq!(read_only_all(temp_dir.path()).len(), 11);
}

#[test]
fn an_incomplete_batch_at_the_end_is_not_returned() {
    let temp_dir = tempfile::tempdir().unwrap();
    let (wal, _) = Wal::open_std(temp_dir.path(), small_segments()).unwrap();
    append_durably(&wal, vec![payload(1, 10)]);
    append_durably(&wal, vec![payload(2, 10), payload(3, 10)]);
    drop(wal);
    let segment = temp_dir.path().join("00000000000000000000.wal");
    let bytes = std::fs::read(&segment).unwrap();
    std::fs::write(&segment, &bytes[..bytes.len() - 34]).unwrap();
    let records: Vec<_> = read_only_all(temp_dir.path()).into_iter().map(Result::unwrap).collect();
    assert_eq!(records, vec![(Lsn(0), payload(1, 10))]);
}

#[test]
fn damage_before_valid_records_is_reported_after_the_good_records() {
    let temp_dir = tempfile::tempdir().unwrap();
    let (wal, _) = Wal::open_std(temp_dir.path(), small_segments()).unwrap();
    for tag in 0..12u8 {
        append_durably(&wal, vec![payload(tag, 100)]);
    }
    drop(wal);
    let sealed = temp_dir.path().join("00000000000000000000.wal");
    let mut bytes = std::fs::read(&sealed).unwrap();
    bytes[2 * 124 + 60] ^= 0xff;
    std::fs::write(&sealed, bytes).unwrap();

    let items = read_only_all(temp_dir.path());
    assert_eq!(items.len(), 3);
    assert!(items[..2].iter().all(Result::is_ok));
    let Err(Error::Corruption { segment, offset, .. }) = &items[2] else {
        panic!("{:?}", items[2])
    };
    assert_eq!((segment.as_str(), *offset), ("00000000000000000000.wal", 248));
}

#[test]
fn a_missing_directory_is_an_error() {
    let temp_dir = tempfile::tempdir().unwrap();
    let missing = temp_dir.path().join("nope");
    assert!(matches!(wal::read_only(&missing), Err(Error::Io { .. })));
    assert!(!missing.exists());
}
