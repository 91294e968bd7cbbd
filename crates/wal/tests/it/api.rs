//! The public API end to end: append, read, rotation, limits, shutdown and backpressure.

use std::time::Duration;

use wal::fs::SimFileSystem;
use wal::limits::{self, FRAME_HEADER_BYTES};
use wal::{Error, ErrorKind, Lsn, LsnRange, Wal, WalConfig};

use crate::support::{
    append_durably, block_on, open_sim, payload, read_all, segment_names, small_segments,
};

#[test]
fn appended_records_read_back_in_order_with_their_positions() {
    let sim = SimFileSystem::new();
    let (wal, report) = open_sim(&sim, WalConfig::recommended()).unwrap();
    assert!(report.created);
    assert_eq!((report.first_lsn, report.end_lsn), (Lsn(0), Lsn(0)));

    let first = append_durably(&wal, vec![b"a".to_vec(), b"bb".to_vec()]);
    let second = append_durably(&wal, vec![Vec::new()]);
    assert_eq!(first, LsnRange { start: Lsn(0), end: Lsn(2 * FRAME_HEADER_BYTES as u64 + 3) });
    assert_eq!(
        second,
        LsnRange { start: first.end, end: Lsn(first.end.0 + FRAME_HEADER_BYTES as u64) }
    );
    assert_eq!(wal.durable_end(), second.end);
    assert_eq!(
        read_all(&wal),
        vec![(Lsn(0), b"a".to_vec()), (Lsn(25), b"bb".to_vec()), (first.end, Vec::new())]
    );

    let mut reader = wal.read_from(Lsn(25)).unwrap();
    assert_eq!(reader.next().unwrap().unwrap(), (Lsn(25), b"bb".to_vec()));
    assert_eq!(reader.position(), first.end);
    assert_eq!(reader.end(), second.end);
    assert_eq!(wal.read_from(second.end).unwrap().count(), 0);
}

#[test]
fn reads_reject_positions_outside_the_wal_or_inside_records() {
    let sim = SimFileSystem::new();
    let (wal, _) = open_sim(&sim, WalConfig::recommended()).unwrap();
    let range = append_durably(&wal, vec![payload(1, 10)]);
    assert!(matches!(wal.read_from(Lsn(range.end.0 + 1)), Err(Error::PositionBeyondEnd { .. })));
    let mut reader = wal.read_from(Lsn(3)).unwrap();
    assert!(matches!(reader.next(), Some(Err(Error::NotRecordStart { lsn: Lsn(3) }))));
    assert!(reader.next().is_none());
}

#[test]
fn segments_rotate_and_reads_cross_them() {
    let sim = SimFileSystem::new();
    let (wal, _) = open_sim(&sim, small_segments()).unwrap();
    let mut expected = Vec::new();
    for tag in 0..30u8 {
        let range = append_durably(&wal, vec![payload(tag, 100)]);
        expected.push((range.start, payload(tag, 100)));
    }
    assert_eq!(read_all(&wal), expected);
    let names = segment_names(&sim);
    assert_eq!(names.len(), 4, "{names:?}");
    assert_eq!(names[1], "00000000000000000992.wal");
    assert_eq!(wal.stats().n_segments_created, 3);
    assert_eq!(wal.stats().n_dir_fsyncs, 3);

    drop(wal);
    let (wal, report) = open_sim(&sim, small_segments()).unwrap();
    assert_eq!((report.n_segments, report.n_records, report.truncated_tail), (4, 30, None));
    assert_eq!(read_all(&wal), expected);
}

#[test]
fn a_batch_larger_than_a_segment_gets_a_segment_of_its_own() {
    let sim = SimFileSystem::new();
    let (wal, _) = open_sim(&sim, small_segments()).unwrap();
    append_durably(&wal, vec![payload(1, 10)]);
    let big = append_durably(&wal, vec![payload(2, 3000), payload(3, 3000)]);
    append_durably(&wal, vec![payload(4, 10)]);
    assert_eq!(big.start, Lsn(34));
    assert_eq!(segment_names(&sim).len(), 3);
    assert_eq!(read_all(&wal).len(), 4);
}

#[test]
fn invalid_batches_are_refused_before_queueing() {
    let sim = SimFileSystem::new();
    let (wal, _) = open_sim(&sim, WalConfig::recommended()).unwrap();
    assert!(matches!(wal.append(Vec::new()), Err(Error::EmptyBatch)));
    let too_large = vec![Vec::new(), payload(0, limits::RECORD_PAYLOAD_BYTES_MAX + 1)];
    assert!(matches!(wal.append(too_large), Err(Error::RecordTooLarge { record_idx: 1, .. })));
    let too_many = vec![Vec::new(); limits::BATCH_RECORDS_MAX + 1];
    assert!(matches!(wal.append(too_many), Err(Error::BatchTooLarge { .. })));
    let too_many_bytes = vec![payload(0, limits::RECORD_PAYLOAD_BYTES_MAX); 8];
    let error = wal.append(too_many_bytes).err().unwrap();
    assert_eq!(error.kind(), ErrorKind::InvalidInput);
    assert_eq!(
        error.to_string(),
        "batch of `8` records and `8913088` encoded bytes is over the limits of `4096` records and `8388608` bytes"
    );
    assert_eq!(wal.stats().n_appends, 0);
}

#[test]
fn invalid_config_is_refused() {
    let sim = SimFileSystem::new();
    let config = WalConfig { segment_bytes_max: 10, ..WalConfig::recommended() };
    let error = open_sim(&sim, config).map(|_| ()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "invalid wal config: `segment_bytes_max` is `10`, expected between `1024` and `1073741824`"
    );
    let config =
        WalConfig { group_commit_wait_max: Duration::from_secs(1), ..WalConfig::recommended() };
    assert!(matches!(open_sim(&sim, config), Err(Error::InvalidConfig { .. })));
    assert!(sim.file_names(crate::support::dir()).is_empty());
}

#[test]
fn tickets_can_be_awaited() {
    let sim = SimFileSystem::new();
    let (wal, _) = open_sim(&sim, WalConfig::recommended()).unwrap();
    let ticket = wal.append(vec![payload(7, 3)]).unwrap();
    let range = block_on(ticket).unwrap();
    assert_eq!(range, LsnRange { start: Lsn(0), end: Lsn(27) });
    assert_eq!(wal.durable_end(), Lsn(27));
}

#[test]
fn shutdown_drains_the_queue_and_later_appends_are_refused() {
    let sim = SimFileSystem::new();
    let (wal, _) = open_sim(&sim, small_segments()).unwrap();
    let tickets: Vec<_> =
        (0..50u8).map(|tag| wal.append(vec![payload(tag, 40)]).unwrap()).collect();
    wal.shutdown().unwrap();
    for ticket in tickets {
        ticket.wait().unwrap();
    }
    assert!(matches!(wal.append(vec![payload(0, 1)]), Err(Error::Closed)));
    wal.shutdown().unwrap();

    drop(wal);
    let (_wal, report) = open_sim(&sim, small_segments()).unwrap();
    assert_eq!(report.n_records, 50);
}

#[test]
fn drop_drains_the_queue_too() {
    let sim = SimFileSystem::new();
    let (wal, _) = open_sim(&sim, WalConfig::recommended()).unwrap();
    let tickets: Vec<_> =
        (0..20u8).map(|tag| wal.append(vec![payload(tag, 40)]).unwrap()).collect();
    drop(wal);
    assert!(tickets.into_iter().all(|ticket| ticket.wait().is_ok()));
    let (_wal, report) = open_sim(&sim, WalConfig::recommended()).unwrap();
    assert_eq!(report.n_records, 20);
}

#[test]
fn a_full_queue_gives_backpressure_instead_of_buffering() {
    let sim = SimFileSystem::new();
    let config = WalConfig { queue_batches_max: 2, ..WalConfig::recommended() };
    let (wal, _) = open_sim(&sim, config).unwrap();
    sim.hold_syncs();
    let in_flight = wal.append(vec![payload(1, 10)]).unwrap();
    assert!(sim.wait_for_held_syncs(1));
    let queued: Vec<_> = (0..2).map(|_| wal.append(vec![payload(2, 10)]).unwrap()).collect();
    let error = wal.append(vec![payload(3, 10)]).err().unwrap();
    assert!(matches!(error, Error::Backpressure));
    assert!(error.is_retryable());
    assert_eq!(wal.stats().n_queued_batches, 2);

    sim.release_syncs();
    in_flight.wait().unwrap();
    for ticket in queued {
        ticket.wait().unwrap();
    }
    assert_eq!(read_all(&wal).len(), 3);
    append_durably(&wal, vec![payload(4, 10)]);
}

#[test]
fn queue_bytes_are_bounded_too() {
    let sim = SimFileSystem::new();
    let config =
        WalConfig { queue_bytes_max: limits::QUEUE_BYTES_MAX_MIN, ..WalConfig::recommended() };
    let (wal, _) = open_sim(&sim, config).unwrap();
    sim.hold_syncs();
    let in_flight = wal.append(vec![payload(1, 10)]).unwrap();
    assert!(sim.wait_for_held_syncs(1));
    let big = vec![payload(2, limits::RECORD_PAYLOAD_BYTES_MAX); 4];
    let queued = wal.append(big.clone()).unwrap();
    assert!(matches!(wal.append(big.clone()), Err(Error::Backpressure)));
    sim.release_syncs();
    in_flight.wait().unwrap();
    queued.wait().unwrap();
    assert_eq!(wal.stats().queued_bytes, 0);
    wal.append(big).unwrap().wait().unwrap();
}

#[test]
fn the_real_file_system_round_trips() {
    let temp_dir = tempfile::tempdir().unwrap();
    let dir = temp_dir.path().join("wal");
    let (wal, _) = Wal::open_std(&dir, small_segments()).unwrap();
    for tag in 0..20u8 {
        append_durably(&wal, vec![payload(tag, 100), payload(tag, 7)]);
    }
    let records = read_all(&wal);
    drop(wal);
    let (wal, report) = Wal::open_std(&dir, small_segments()).unwrap();
    assert_eq!(report.n_records, 40);
    assert_eq!(read_all(&wal), records);
}
