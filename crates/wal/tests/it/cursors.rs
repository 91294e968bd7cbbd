//! Durable consumer cursors, and segment deletion that waits for the slowest consumer.

use wal::fs::{CrashMode, SimFileSystem};
use wal::{Error, Lsn, Wal};

use crate::support::{
    append_durably, dir, open_sim, payload, read_all, segment_names, small_segments,
};

/// A WAL of 30 records of 100 bytes: four 1 KiB segments starting at 0, 992, 1984 and 2976.
fn build(sim: &SimFileSystem) -> (Wal, Vec<Lsn>) {
    let (wal, _) = open_sim(sim, small_segments()).unwrap();
    let starts = (0..30u8).map(|tag| append_durably(&wal, vec![payload(tag, 100)]).start).collect();
    assert_eq!(segment_names(sim).len(), 4);
    (wal, starts)
}

#[test]
fn cursors_survive_reopen() {
    let temp_dir = tempfile::tempdir().unwrap();
    let (wal, _) = Wal::open_std(temp_dir.path(), small_segments()).unwrap();
    let range = append_durably(&wal, vec![payload(1, 10), payload(2, 10)]);
    assert_eq!(wal.register_consumer("log-delivery").unwrap(), Lsn(0));
    assert_eq!(wal.register_consumer("event-history").unwrap(), Lsn(0));
    wal.commit_cursor("log-delivery", range.end).unwrap();
    assert_eq!(
        wal.register_consumer("log-delivery").unwrap(),
        range.end,
        "registering again is a no-op"
    );
    drop(wal);

    let (wal, _) = Wal::open_std(temp_dir.path(), small_segments()).unwrap();
    assert_eq!(wal.cursor("log-delivery"), Some(range.end));
    assert_eq!(wal.cursor("event-history"), Some(Lsn(0)));
    assert_eq!(wal.cursor("nobody"), None);
    assert_eq!(
        wal.consumers(),
        vec![("event-history".to_owned(), Lsn(0)), ("log-delivery".to_owned(), range.end)]
    );
}

#[test]
fn committed_cursors_survive_a_crash() {
    let sim = SimFileSystem::new();
    let (wal, starts) = build(&sim);
    wal.register_consumer("c").unwrap();
    wal.commit_cursor("c", starts[10]).unwrap();
    let sim = sim.crash(CrashMode::Torn { seed: 7 });
    drop(wal);
    let (wal, _) = open_sim(&sim, small_segments()).unwrap();
    assert_eq!(wal.cursor("c"), Some(starts[10]));
}

#[test]
fn cursor_commits_are_checked() {
    let sim = SimFileSystem::new();
    let (wal, starts) = build(&sim);
    wal.register_consumer("c").unwrap();
    wal.commit_cursor("c", starts[5]).unwrap();
    let backwards = wal.commit_cursor("c", starts[4]).unwrap_err();
    assert_eq!(
        backwards.to_string(),
        "cannot move the cursor of consumer `c` from `620` to `496`: cursors only move forward"
    );
    let beyond = Lsn(wal.durable_end().0 + 1);
    assert!(matches!(wal.commit_cursor("c", beyond), Err(Error::InvalidCursor { .. })));
    assert!(matches!(wal.commit_cursor("d", starts[1]), Err(Error::UnknownConsumer { .. })));
    assert!(matches!(wal.register_consumer("Bad/Name"), Err(Error::InvalidConsumerName { .. })));
    assert_eq!(wal.cursor("c"), Some(starts[5]));
}

#[test]
fn no_consumers_means_nothing_is_deleted() {
    let sim = SimFileSystem::new();
    let (wal, _) = build(&sim);
    assert_eq!(wal.delete_obsolete_segments().unwrap(), 0);
    assert_eq!(segment_names(&sim).len(), 4);
}

#[test]
fn deletion_respects_the_slowest_consumer() {
    let sim = SimFileSystem::new();
    let (wal, starts) = build(&sim);
    wal.register_consumer("fast").unwrap();
    wal.register_consumer("slow").unwrap();
    wal.commit_cursor("fast", wal.durable_end()).unwrap();
    assert_eq!(wal.delete_obsolete_segments().unwrap(), 0, "slow is still at 0");

    // `slow` is inside segment 992: only segment 0 is behind everyone.
    wal.commit_cursor("slow", starts[9]).unwrap();
    assert_eq!(wal.delete_obsolete_segments().unwrap(), 1);
    assert_eq!(wal.first_lsn(), Lsn(992));
    assert_eq!(segment_names(&sim)[0], "00000000000000000992.wal");
    assert!(matches!(
        wal.read_from(Lsn(0)),
        Err(Error::PositionNotRetained { lsn: Lsn(0), first: Lsn(992) })
    ));
    assert_eq!(read_all(&wal).len(), 22);

    // A segment ending exactly at the cursor is passed; the active one never goes.
    wal.commit_cursor("slow", wal.durable_end()).unwrap();
    assert_eq!(wal.delete_obsolete_segments().unwrap(), 2);
    assert_eq!(segment_names(&sim), vec!["00000000000000002976.wal"]);

    // The retained range survives reopen, and a new consumer starts at its beginning.
    drop(wal);
    let (wal, report) = open_sim(&sim, small_segments()).unwrap();
    assert_eq!((report.first_lsn, report.n_records), (Lsn(2976), 6));
    assert_eq!(wal.register_consumer("late").unwrap(), Lsn(2976));
}

#[test]
fn unregistering_releases_the_hold() {
    let sim = SimFileSystem::new();
    let (wal, _) = build(&sim);
    wal.register_consumer("gone").unwrap();
    assert_eq!(wal.delete_obsolete_segments().unwrap(), 0);
    wal.unregister_consumer("gone").unwrap();
    wal.register_consumer("kept").unwrap();
    wal.commit_cursor("kept", wal.durable_end()).unwrap();
    assert_eq!(wal.delete_obsolete_segments().unwrap(), 3);
    drop(wal);
    let (wal, _) = open_sim(&sim, small_segments()).unwrap();
    assert_eq!(wal.consumers(), vec![("kept".to_owned(), wal.durable_end())]);
}

#[test]
fn an_interrupted_deletion_is_finished_on_open() {
    let sim = SimFileSystem::new();
    let (wal, _) = build(&sim);
    let first_segment = dir().join("00000000000000000000.wal");
    let first_bytes = sim.read_file(&first_segment).unwrap();
    wal.register_consumer("c").unwrap();
    wal.commit_cursor("c", wal.durable_end()).unwrap();
    assert_eq!(wal.delete_obsolete_segments().unwrap(), 3);
    drop(wal);

    // As if the process died after moving the head but before the removal was durable.
    sim.write_file(&first_segment, &first_bytes);
    let (wal, report) = open_sim(&sim, small_segments()).unwrap();
    assert_eq!(report.n_leftover_segments_removed, 1);
    assert_eq!(wal.first_lsn(), Lsn(2976));
    assert_eq!(segment_names(&sim), vec!["00000000000000002976.wal"]);
}

#[test]
fn damaged_cursor_file_is_corruption() {
    let sim = SimFileSystem::new();
    let (wal, _) = build(&sim);
    wal.register_consumer("c").unwrap();
    drop(wal);
    let path = dir().join("cursor-c.state");
    let mut bytes = sim.read_file(&path).unwrap();
    bytes[12] ^= 1;
    sim.write_file(&path, &bytes);
    let error = open_sim(&sim, small_segments()).map(|_| ()).unwrap_err();
    assert!(
        error.to_string().starts_with(
            "wal file `cursor-c.state` is damaged at offset `0`: damaged state file: state file checksum mismatch"
        ),
        "{error}"
    );
}

#[test]
fn cursor_beyond_the_end_is_corruption() {
    // The last segment lost records a consumer had already reached: acknowledged data is gone.
    let sim = SimFileSystem::new();
    let (wal, _) = build(&sim);
    wal.register_consumer("c").unwrap();
    wal.commit_cursor("c", wal.durable_end()).unwrap();
    drop(wal);
    let last = dir().join("00000000000000002976.wal");
    let bytes = sim.read_file(&last).unwrap();
    sim.write_file(&last, &bytes[..124]);
    let error = open_sim(&sim, small_segments()).map(|_| ()).unwrap_err();
    assert!(
        error.to_string().starts_with(
            "wal file `cursor-c.state` is damaged at offset `0`: cursor beyond the end of the wal: consumer `c` is at `3720` but the wal ends at `3100`"
        ),
        "{error}"
    );
}
