//! Group commit: concurrent appends share one write and one fsync.

use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Duration;

use wal::fs::SimFileSystem;
use wal::{Wal, WalConfig};

use crate::support::{open_sim, payload, read_all};

#[test]
fn appends_queued_behind_an_fsync_share_the_next_one() {
    let sim = SimFileSystem::new();
    let (wal, _) = open_sim(&sim, WalConfig::recommended()).unwrap();
    let wal = Arc::new(wal);

    let n_writes_at_open = sim.stats().n_writes;
    sim.hold_syncs();
    let first = wal.append(vec![payload(0, 10)]).unwrap();
    assert!(sim.wait_for_held_syncs(1));

    let n_threads = 16;
    let appended = Arc::new(Barrier::new(n_threads + 1));
    let threads: Vec<_> = (1..=n_threads as u8)
        .map(|tag| {
            let (wal, appended) = (Arc::clone(&wal), Arc::clone(&appended));
            thread::spawn(move || {
                let ticket = wal.append(vec![payload(tag, 10), payload(tag, 20)]).unwrap();
                appended.wait();
                ticket.wait().unwrap()
            })
        })
        .collect();
    appended.wait();
    sim.release_syncs();

    first.wait().unwrap();
    let mut ranges: Vec<_> = threads.into_iter().map(|thread| thread.join().unwrap()).collect();
    ranges.sort_by_key(|range| range.start);
    assert!(ranges.windows(2).all(|pair| pair[0].end == pair[1].start), "batches are contiguous");

    let stats = wal.stats();
    assert_eq!((stats.n_appends, stats.n_records), (17, 33));
    assert_eq!((stats.n_groups, stats.n_fsyncs), (2, 2), "{stats:?}");
    assert_eq!(sim.stats().n_writes - n_writes_at_open, 2, "one write per group");
    assert_eq!(read_all(&wal).len(), 33);
}

#[test]
fn many_appenders_on_a_real_disk_need_fewer_fsyncs_than_appends() {
    let temp_dir = tempfile::tempdir().unwrap();
    let config =
        WalConfig { group_commit_wait_max: Duration::from_millis(1), ..WalConfig::recommended() };
    let (wal, _) = Wal::open_std(temp_dir.path(), config).unwrap();
    let wal = Arc::new(wal);
    let (n_threads, n_appends_per_thread) = (8, 40);
    let threads: Vec<_> = (0..n_threads)
        .map(|thread_idx| {
            let wal = Arc::clone(&wal);
            thread::spawn(move || {
                for append_idx in 0..n_appends_per_thread {
                    let record = format!("{thread_idx}:{append_idx}").into_bytes();
                    wal.append(vec![record]).unwrap().wait().unwrap();
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    let stats = wal.stats();
    assert_eq!(stats.n_appends, n_threads * n_appends_per_thread);
    assert!(stats.n_fsyncs < stats.n_appends, "{stats:?}");
    assert_eq!(stats.n_fsyncs, stats.n_groups);

    // Every thread's records are there, each thread's in its own order.
    let records = read_all(&wal);
    assert_eq!(records.len() as u64, stats.n_appends);
    for thread_idx in 0..n_threads {
        let prefix = format!("{thread_idx}:");
        let mine: Vec<String> = records
            .iter()
            .map(|(_, record)| String::from_utf8(record.clone()).unwrap())
            .filter(|record| record.starts_with(&prefix))
            .collect();
        let expected: Vec<String> =
            (0..n_appends_per_thread).map(|idx| format!("{prefix}{idx}")).collect();
        assert_eq!(mine, expected);
    }
}
