//! The state the WAL handle, the writer thread and readers share: paths and configuration, the
//! durable end, the first failure, the retained segments and the consumer cursors.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::config::WalConfig;
use crate::error::Failure;
use crate::fs::FileSystem;
use crate::lsn::Lsn;

/// State shared by the handle, the writer thread and readers.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) dir: PathBuf,
    pub(crate) fs: Arc<dyn FileSystem>,
    pub(crate) config: WalConfig,
    /// Everything below this position is fsynced. Only the writer stores it.
    pub(crate) durable_end: AtomicU64,
    failed: AtomicBool,
    failure: Mutex<Option<Failure>>,
    pub(crate) closed: AtomicBool,
    /// Starts of the retained segments, ascending; the last one is active. The writer pushes,
    /// deletion drains from the front.
    segments: Mutex<Vec<Lsn>>,
    /// Durable cursors; this lock also serializes state-file writes and segment deletion.
    pub(crate) consumers: Mutex<BTreeMap<String, Lsn>>,
    pub(crate) counters: Counters,
}

/// Live counters behind [`crate::WalStats`].
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) appends: AtomicU64,
    pub(crate) records: AtomicU64,
    pub(crate) durable_records: AtomicU64,
    pub(crate) groups: AtomicU64,
    pub(crate) fsyncs: AtomicU64,
    pub(crate) dir_fsyncs: AtomicU64,
    pub(crate) bytes_written: AtomicU64,
    pub(crate) segments_created: AtomicU64,
    pub(crate) queued_batches: AtomicU64,
    pub(crate) queued_bytes: AtomicU64,
}

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every critical section leaves its data consistent before anything can panic.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    pub(crate) fn new(
        dir: PathBuf,
        fs: Arc<dyn FileSystem>,
        config: WalConfig,
        durable_end: Lsn,
        segments: Vec<Lsn>,
        consumers: BTreeMap<String, Lsn>,
    ) -> Shared {
        Shared {
            dir,
            fs,
            config,
            durable_end: AtomicU64::new(durable_end.0),
            failed: AtomicBool::new(false),
            failure: Mutex::new(None),
            closed: AtomicBool::new(false),
            segments: Mutex::new(segments),
            consumers: Mutex::new(consumers),
            counters: Counters::default(),
        }
    }

    pub(crate) fn failure(&self) -> Option<Failure> {
        if !self.failed.load(Ordering::Acquire) {
            return None;
        }
        lock(&self.failure).clone()
    }

    /// Records the first failure; later ones change nothing.
    pub(crate) fn set_failure(&self, failure: Failure) {
        let mut slot = lock(&self.failure);
        if slot.is_none() {
            *slot = Some(failure);
            self.failed.store(true, Ordering::Release);
        }
    }

    pub(crate) fn segments(&self) -> MutexGuard<'_, Vec<Lsn>> {
        lock(&self.segments)
    }

    pub(crate) fn durable_end(&self) -> Lsn {
        Lsn(self.durable_end.load(Ordering::Acquire))
    }
}
