//! Write and fsync failures: they reach the appender, nothing unsynced is acknowledged, the
//! WAL refuses writes until reopened, and recovery decides what survived.

use std::io;

use wal::fs::{CrashMode, SimFileSystem};
use wal::{Error, ErrorKind, Lsn, LsnRange, Wal};

use crate::support::{append_durably, open_sim, payload, read_all, small_segments};

/// Opens a WAL with one durable record; returns it and that record's range.
fn setup(sim: &SimFileSystem) -> (Wal, LsnRange) {
    let (wal, _) = open_sim(sim, small_segments()).unwrap();
    let range = append_durably(&wal, vec![payload(1, 100)]);
    (wal, range)
}

/// After a failure: the WAL is failed, refuses appends, and shows only what was durable.
fn assert_failed_with_only(wal: &Wal, durable: LsnRange) {
    assert_eq!(wal.durable_end(), durable.end);
    assert_eq!(read_all(wal), vec![(durable.start, payload(1, 100))]);
    let refused = wal.append(vec![payload(9, 1)]).err().unwrap();
    assert_eq!(refused.kind(), ErrorKind::Failed);
    assert!(wal.failure().is_some());
    assert_eq!(wal.shutdown().unwrap_err().kind(), ErrorKind::Failed);
}

#[test]
fn eio_on_fsync_fails_every_pending_ticket_and_acknowledges_nothing() {
    let sim = SimFileSystem::new();
    let (wal, durable) = setup(&sim);

    // Two batches in one group behind a held fsync; that fsync fails.
    sim.hold_syncs();
    let first = wal.append(vec![payload(2, 100)]).unwrap();
    assert!(sim.wait_for_held_syncs(1));
    sim.fail_next_syncs(1);
    let second = wal.append(vec![payload(3, 100)]).unwrap();
    let third = wal.append(vec![payload(4, 100)]).unwrap();
    sim.release_syncs();

    let error = first.wait().unwrap_err();
    assert_eq!(error.io_error_kind(), Some(io::ErrorKind::Other));
    assert!(
        error.to_string().starts_with("wal refuses writes until it is reopened: cannot fsync wal segment `/wal/00000000000000000000.wal`: simulated `EIO`"),
        "{error}"
    );
    assert!(matches!(second.wait(), Err(Error::Failed(_))));
    assert!(matches!(third.wait(), Err(Error::Failed(_))));
    // Never retried: exactly the one fsync that failed after the first successful one.
    assert_eq!(wal.stats().n_fsyncs, 2);
    assert_failed_with_only(&wal, durable);

    // The bytes are gone for good (fsyncgate); after a crash only the durable record remains.
    let sim = sim.crash(CrashMode::Clean);
    drop(wal);
    let (wal, _) = open_sim(&sim, small_segments()).unwrap();
    assert_eq!(read_all(&wal), vec![(Lsn(0), payload(1, 100))]);
    append_durably(&wal, vec![payload(5, 100)]);
}

#[test]
fn eio_on_write_fails_the_batch() {
    let sim = SimFileSystem::new();
    let (wal, durable) = setup(&sim);
    sim.fail_next_writes(1);
    let error = wal.append(vec![payload(2, 100)]).unwrap().wait().unwrap_err();
    assert!(error.to_string().contains("cannot write wal segment"), "{error}");
    assert_failed_with_only(&wal, durable);

    // Reopen without a crash: nothing was written, nothing to repair.
    drop(wal);
    let (wal, report) = open_sim(&sim, small_segments()).unwrap();
    assert_eq!((report.n_records, report.truncated_tail), (1, None));
    append_durably(&wal, vec![payload(3, 100)]);
}

#[test]
fn enospc_on_write_reaches_the_appender() {
    let sim = SimFileSystem::new();
    let (wal, durable) = setup(&sim);
    sim.fail_writes_after_bytes(Some(50));
    let error = wal.append(vec![payload(2, 100), payload(3, 100)]).unwrap().wait().unwrap_err();
    assert_eq!(error.io_error_kind(), Some(io::ErrorKind::StorageFull));
    assert_failed_with_only(&wal, durable);

    // Space comes back; reopening cuts the 50 bytes that made it to the file.
    sim.fail_writes_after_bytes(None);
    drop(wal);
    let (wal, report) = open_sim(&sim, small_segments()).unwrap();
    let truncated = report.truncated_tail.unwrap();
    assert_eq!((truncated.offset, truncated.bytes_removed), (durable.end.0, 50));
    assert_eq!(read_all(&wal).len(), 1);
    append_durably(&wal, vec![payload(4, 100)]);
}

#[test]
fn failed_directory_fsync_at_rotation_fails_the_wal() {
    let sim = SimFileSystem::new();
    let (wal, durable) = setup(&sim);
    for tag in 2..=8 {
        append_durably(&wal, vec![payload(tag, 100)]);
    }
    sim.fail_next_dir_syncs(1);
    let error = wal.append(vec![payload(9, 100)]).unwrap().wait().unwrap_err();
    assert!(error.to_string().contains("cannot fsync wal directory"), "{error}");
    assert_eq!(wal.durable_end(), Lsn(992));
    assert!(wal.append(vec![payload(10, 1)]).is_err());

    let sim = sim.crash(CrashMode::Torn { seed: 3 });
    drop(wal);
    let (wal, report) = open_sim(&sim, small_segments()).unwrap();
    assert_eq!(report.n_records, 8);
    assert_eq!(read_all(&wal)[0].0, durable.start);
}

#[test]
fn appends_succeed_only_when_everything_before_is_durable() {
    // Crash at every point of a stream of appends: each acknowledged record survives.
    for seed in 0..20 {
        let sim = SimFileSystem::new();
        let (wal, _) = open_sim(&sim, small_segments()).unwrap();
        let tickets: Vec<_> =
            (0..40u8).map(|tag| wal.append(vec![payload(tag, 60)]).unwrap()).collect();
        // Wait for some tickets; the writer goes on with the rest while the disk crashes.
        let n_waited = 10 + seed as usize;
        let acknowledged: Vec<_> =
            tickets.into_iter().take(n_waited).map(|ticket| ticket.wait().unwrap()).collect();
        let after = sim.crash(CrashMode::Torn { seed });
        drop(wal);
        let (wal, _) = open_sim(&after, small_segments()).unwrap();
        let survivors = read_all(&wal);
        for range in &acknowledged {
            assert!(
                survivors.iter().any(|(lsn, _)| *lsn == range.start),
                "seed {seed}: {range} lost"
            );
        }
    }
}
