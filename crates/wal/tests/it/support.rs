//! Helpers shared by the integration tests: opening WALs on the simulated disk, payloads,
//! reading everything back, and a tiny executor for awaiting tickets.

use std::future::Future;
use std::path::Path;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};

use wal::fs::SimFileSystem;
use wal::{Lsn, RecoveryReport, Wal, WalConfig};

/// Where simulated WALs live.
pub(crate) const DIR: &str = "/wal";

pub(crate) fn dir() -> &'static Path {
    Path::new(DIR)
}

/// Small segments, so tests rotate often.
pub(crate) fn small_segments() -> WalConfig {
    WalConfig { segment_bytes_max: 1024, ..WalConfig::recommended() }
}

pub(crate) fn open_sim(
    sim: &SimFileSystem,
    config: WalConfig,
) -> wal::Result<(Wal, RecoveryReport)> {
    Wal::open(DIR, config, Arc::new(sim.clone()))
}

/// A payload of `len` bytes, all `tag`.
pub(crate) fn payload(tag: u8, len: usize) -> Vec<u8> {
    vec![tag; len]
}

/// Appends one batch and waits until it is durable.
pub(crate) fn append_durably(wal: &Wal, payloads: Vec<Vec<u8>>) -> wal::LsnRange {
    wal.append(payloads).unwrap().wait().unwrap()
}

/// Every retained record, read through the public reader.
pub(crate) fn read_all(wal: &Wal) -> Vec<(Lsn, Vec<u8>)> {
    wal.read_from(wal.first_lsn()).unwrap().collect::<wal::Result<Vec<_>>>().unwrap()
}

/// Names of the segment files on the simulated disk, sorted.
pub(crate) fn segment_names(sim: &SimFileSystem) -> Vec<String> {
    sim.file_names(dir()).into_iter().filter(|name| name.ends_with(".wal")).collect()
}

/// Runs a future to completion on this thread.
pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
    struct ThreadWaker(Thread);
    impl Wake for ThreadWaker {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(ThreadWaker(thread::current())));
    let mut context = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        match future.as_mut().poll(&mut context) {
            Poll::Ready(output) => return output,
            Poll::Pending => thread::park(),
        }
    }
}
