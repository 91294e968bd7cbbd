//! Unit tests for the simulated disk: what survives a crash, and the faults.

use std::io;
use std::path::Path;

use super::*;

fn dir() -> &'static Path {
    Path::new("/d")
}

fn setup() -> SimFileSystem {
    let sim = SimFileSystem::new();
    sim.create_dir_all(dir()).unwrap();
    sim
}

#[test]
fn only_synced_bytes_and_entries_survive_a_clean_crash() {
    let sim = setup();
    let path = dir().join("a");
    let mut file = sim.create_new(&path).unwrap();
    file.write_all(b"synced").unwrap();
    file.sync_data().unwrap();
    file.write_all(b" unsynced").unwrap();
    assert_eq!(sim.read_file(&path).unwrap(), b"synced unsynced");

    // The entry itself was never made durable.
    let after = sim.crash(CrashMode::Clean);
    assert_eq!(after.read_file(&path), None);

    let sim = after;
    let mut file = sim.create_new(&path).unwrap();
    file.write_all(b"synced").unwrap();
    file.sync_data().unwrap();
    sim.sync_dir(dir()).unwrap();
    file.write_all(b" unsynced").unwrap();
    let after = sim.crash(CrashMode::Clean);
    assert_eq!(after.read_file(&path).unwrap(), b"synced");
}

#[test]
fn handles_from_before_a_crash_fail() {
    let sim = setup();
    let mut file = sim.create_new(&dir().join("a")).unwrap();
    let after = sim.crash(CrashMode::Clean);
    assert!(file.write_all(b"x").is_err());
    assert!(file.sync_data().is_err());
    assert!(sim.list_dir(dir()).is_err());
    assert!(after.list_dir(dir()).is_ok());
}

#[test]
fn rename_and_remove_need_a_directory_sync() {
    let sim = setup();
    let (old, new) = (dir().join("old"), dir().join("new"));
    let mut file = sim.create_new(&old).unwrap();
    file.write_all(b"x").unwrap();
    file.sync_data().unwrap();
    sim.sync_dir(dir()).unwrap();
    sim.rename(&old, &new).unwrap();

    let after = sim.crash(CrashMode::Clean);
    assert_eq!(after.file_names(dir()), vec!["old"]);

    after.rename(&old, &new).unwrap();
    after.sync_dir(dir()).unwrap();
    after.remove_file(&new).unwrap();
    let after = after.crash(CrashMode::Clean);
    assert_eq!(after.file_names(dir()), vec!["new"]);
    assert_eq!(after.read_file(&new).unwrap(), b"x");
}

#[test]
fn torn_crash_keeps_a_prefix_of_unsynced_appends() {
    for seed in 0..200 {
        let sim = setup();
        let path = dir().join("a");
        let mut file = sim.create_new(&path).unwrap();
        sim.sync_dir(dir()).unwrap();
        file.write_all(b"durable|").unwrap();
        file.sync_data().unwrap();
        file.write_all(b"0123456789abcdef").unwrap();
        let after = sim.crash(CrashMode::Torn { seed });
        let bytes = after.read_file(&path).unwrap();
        assert!(bytes.starts_with(b"durable|"), "seed {seed}: {bytes:?}");
        assert!(bytes.len() <= b"durable|0123456789abcdef".len());
    }
}

#[test]
fn failed_sync_loses_the_dirty_bytes_for_good() {
    let sim = setup();
    let path = dir().join("a");
    let mut file = sim.create_new(&path).unwrap();
    sim.sync_dir(dir()).unwrap();
    file.write_all(b"aa").unwrap();
    sim.fail_next_syncs(1);
    let error = file.sync_data().unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::Other);
    // Still readable, like the page cache...
    assert_eq!(sim.read_file(&path).unwrap(), b"aa");
    // ...but a later successful fsync does not write it (fsyncgate).
    file.write_all(b"bb").unwrap();
    file.sync_data().unwrap();
    let after = sim.crash(CrashMode::Clean);
    assert_eq!(after.read_file(&path).unwrap(), b"\0\0bb");
}

#[test]
fn write_budget_gives_enospc_after_a_partial_write() {
    let sim = setup();
    let path = dir().join("a");
    let mut file = sim.create_new(&path).unwrap();
    sim.fail_writes_after_bytes(Some(3));
    let error = file.write_all(b"abcdef").unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::StorageFull);
    assert_eq!(sim.read_file(&path).unwrap(), b"abc");
    assert_eq!(file.write_all(b"g").unwrap_err().kind(), io::ErrorKind::StorageFull);
    sim.clear_faults();
    file.write_all(b"g").unwrap();
}

#[test]
fn failed_writes_write_nothing() {
    let sim = setup();
    let path = dir().join("a");
    let mut file = sim.create_new(&path).unwrap();
    sim.fail_next_writes(1);
    assert!(file.write_all(b"abc").is_err());
    file.write_all(b"d").unwrap();
    assert_eq!(sim.read_file(&path).unwrap(), b"d");
}

#[test]
fn truncation_is_durable_after_sync() {
    let sim = setup();
    let path = dir().join("a");
    let mut file = sim.create_new(&path).unwrap();
    sim.sync_dir(dir()).unwrap();
    file.write_all(b"abcdef").unwrap();
    file.sync_data().unwrap();
    file.set_len(2).unwrap();
    file.write_all(b"Z").unwrap();
    assert_eq!(sim.read_file(&path).unwrap(), b"abZ");
    let after = sim.crash(CrashMode::Torn { seed: 1 });
    assert_eq!(after.read_file(&path).unwrap(), b"abcdef");

    let mut file = after.open_append(&path).unwrap();
    file.set_len(2).unwrap();
    file.sync_data().unwrap();
    let after = after.crash(CrashMode::Clean);
    assert_eq!(after.read_file(&path).unwrap(), b"ab");
}
