//! The write path: every accepted event is framed in an [`envelope`], deduplicated, appended to
//! the WAL, and acknowledged only after the WAL has fsynced it.
//!
//! What this crate guarantees:
//! - **Nothing acknowledged is lost.** [`Ingestor::append`] returns success only after the
//!   WAL's fsync for the batch completed.
//! - **Retries are not stored twice.** An item with a deduplication key already stored within
//!   the window (24 hours by default, bounded by [`IngestConfig::dedup_entries_max`]) is
//!   answered with the event id of the first copy. The index is rebuilt from the WAL at start,
//!   so a retry after a crash is caught too.
//! - **Bounded memory, explicit backpressure.** When the WAL queue is full or free disk space
//!   is below [`IngestConfig::disk_free_bytes_min`], appends fail fast with an error the API
//!   turns into `503` + `Retry-After`; nothing is buffered without bound.
//!
//! It is not: a parser or validator of records (callers hand over finished envelopes), or an
//! HTTP layer.

pub mod envelope;
mod metrics_names;
pub mod write_model;

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub use crate::envelope::{Envelope, Kind};
pub use crate::metrics_names::describe_metrics;

/// A source of the current time, injected so tests control it.
pub trait Clock: Send + Sync {
    fn now_unix_millis(&self) -> i64;
}

/// The operating system's clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_unix_millis(&self) -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64)
    }
}

/// Settings of the write path.
#[derive(Clone, Debug)]
pub struct IngestConfig {
    pub wal: wal::WalConfig,
    /// How long a deduplication key is remembered.
    pub dedup_window: Duration,
    /// At most this many keys are remembered (oldest forgotten first).
    pub dedup_entries_max: usize,
    /// Appends are refused while the WAL's file system has less free space than this.
    pub disk_free_bytes_min: u64,
    /// How often free space is measured.
    pub disk_check_interval: Duration,
}

impl IngestConfig {
    pub fn recommended() -> IngestConfig {
        IngestConfig {
            wal: wal::WalConfig::recommended(),
            dedup_window: Duration::from_secs(24 * 3600),
            dedup_entries_max: 4_000_000,
            disk_free_bytes_min: 256 * 1024 * 1024,
            disk_check_interval: Duration::from_millis(500),
        }
    }
}

/// Why an append was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("the write-ahead log is busy; retry shortly")]
    Backpressure,
    #[error(
        "free disk space is {free_bytes} bytes, below the {min_bytes} byte minimum; free space or lower `disk_free_bytes_min`"
    )]
    DiskLow { free_bytes: u64, min_bytes: u64 },
    #[error(transparent)]
    Wal(#[from] wal::Error),
}

impl Error {
    /// Whether the caller should retry later (and tell its client to).
    pub fn is_retryable(&self) -> bool {
        matches!(self, Error::Backpressure | Error::DiskLow { .. })
    }
}

/// One event ready to store.
#[derive(Clone, Debug)]
pub struct Item {
    /// Empty: never deduplicated (the id was assigned by OpenTrail, so no retry can repeat it).
    pub dedup_key: String,
    pub event_id: String,
    /// The encoded [`Envelope`].
    pub payload: Vec<u8>,
}

/// What happened to one item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Stored now, durably.
    Stored { event_id: String },
    /// Stored earlier (same key within the window); `event_id` is the first copy's.
    Duplicate { event_id: String },
    /// The same key is being written by a request still in flight; retry shortly.
    InFlight,
}

/// The write path: WAL, deduplication index and disk guard.
pub struct Ingestor {
    wal: wal::Wal,
    dedup: Mutex<Dedup>,
    config: IngestConfig,
    clock: Arc<dyn Clock>,
    disk: Arc<DiskGuard>,
}

impl Ingestor {
    /// Opens (or creates) the WAL in `dir` and rebuilds the deduplication index from it.
    pub fn open(
        dir: &Path,
        config: IngestConfig,
        clock: Arc<dyn Clock>,
    ) -> Result<(Ingestor, wal::RecoveryReport), Error> {
        let (wal, report) = wal::Wal::open_std(dir, config.wal.clone())?;
        let mut dedup = Dedup::new(config.dedup_window, config.dedup_entries_max);
        let now = clock.now_unix_millis();
        let mut n_keys = 0usize;
        for entry in wal.read_from(wal.first_lsn())? {
            let (lsn, payload) = entry?;
            let envelope = match Envelope::decode(&payload) {
                Ok(envelope) => envelope,
                Err(err) => {
                    // Not a reason to refuse every new event: the record is reported here and
                    // by every consumer that reaches it.
                    metrics::counter!(metrics_names::DECODE_ERRORS).increment(1);
                    tracing::error!(lsn = lsn.0, %err, "a WAL record is not a readable envelope; its retries are not deduplicated (inspect it with `opentrail wal dump`)");
                    continue;
                }
            };
            if !envelope.dedup_key.is_empty() {
                dedup.insert_durable(
                    envelope.dedup_key,
                    envelope.event_id,
                    envelope.ingested_at_ms,
                    now,
                );
                n_keys += 1;
            }
        }
        tracing::info!(n_keys, end = %wal.durable_end(), "deduplication index rebuilt from the WAL");
        let disk = DiskGuard::start(
            dir.to_path_buf(),
            config.disk_free_bytes_min,
            config.disk_check_interval,
        );
        Ok((Ingestor { wal, dedup: Mutex::new(dedup), config, clock, disk }, report))
    }

    pub fn wal(&self) -> &wal::Wal {
        &self.wal
    }

    pub fn clock(&self) -> &dyn Clock {
        &*self.clock
    }

    /// Fails fast when the disk is too full to accept writes.
    pub fn check_capacity(&self) -> Result<(), Error> {
        let free_bytes = self.disk.free_bytes.load(Ordering::Relaxed);
        if self.disk.low.load(Ordering::Relaxed) {
            return Err(Error::DiskLow { free_bytes, min_bytes: self.config.disk_free_bytes_min });
        }
        Ok(())
    }

    /// Fails fast when an append would be refused: the WAL failed, or the disk is too full.
    /// Checked before a change whose record must be stored after it (self-audit), so that the
    /// change is not made when its record could not be.
    pub fn check_writable(&self) -> Result<(), Error> {
        if let Some(failure) = self.wal.failure() {
            return Err(Error::Wal(wal::Error::Failed(failure)));
        }
        self.check_capacity()
    }

    /// Stores the record of a change already made (its self-audit record) after
    /// [`Ingestor::check_writable`] allowed it: the disk guard, checked then, is not checked
    /// again (its margin holds far more than one record). Like [`Ingestor::append`]
    /// otherwise; the caller waits out [`Error::Backpressure`] rather than fail the change.
    pub async fn append_after_change(&self, item: Item) -> Result<(), Error> {
        let result = self.append_unguarded(vec![item]).await;
        metrics_names::record(&result);
        result.map(drop)
    }

    /// Stores `items` durably, skipping ones already stored; the outcomes are in the order of
    /// `items`. Items go to the WAL in as few batches as its limits allow. Returns only after
    /// every batch's fsync, or with an error; after an error, items of batches that did reach
    /// the disk are remembered, so a retry of the whole call stores nothing twice.
    pub async fn append(&self, items: Vec<Item>) -> Result<Vec<Outcome>, Error> {
        let result = self.append_inner(items).await;
        metrics_names::record(&result);
        result
    }

    async fn append_inner(&self, items: Vec<Item>) -> Result<Vec<Outcome>, Error> {
        self.check_capacity()?;
        self.append_unguarded(items).await
    }

    async fn append_unguarded(&self, items: Vec<Item>) -> Result<Vec<Outcome>, Error> {
        let now = self.clock.now_unix_millis();
        let mut outcomes = Vec::with_capacity(items.len());
        // (payload, claimed key) in order.
        let mut to_write: Vec<(Vec<u8>, Option<String>)> = Vec::with_capacity(items.len());
        {
            let mut dedup = self.lock_dedup();
            // Keys claimed by this call: a second copy in the same call is a duplicate of the first.
            let mut in_this_call: HashMap<String, String> = HashMap::new();
            for item in items {
                if item.dedup_key.is_empty() {
                    outcomes.push(Outcome::Stored { event_id: item.event_id });
                    to_write.push((item.payload, None));
                    continue;
                }
                if let Some(event_id) = in_this_call.get(&item.dedup_key) {
                    outcomes.push(Outcome::Duplicate { event_id: event_id.clone() });
                    continue;
                }
                match dedup.claim(&item.dedup_key, &item.event_id, now) {
                    Claim::New => {
                        in_this_call.insert(item.dedup_key.clone(), item.event_id.clone());
                        outcomes.push(Outcome::Stored { event_id: item.event_id });
                        to_write.push((item.payload, Some(item.dedup_key)));
                    }
                    Claim::Stored(event_id) => outcomes.push(Outcome::Duplicate { event_id }),
                    Claim::InFlight => outcomes.push(Outcome::InFlight),
                }
            }
        }
        // Split into WAL batches within its record and byte limits.
        let mut batches: Vec<(Vec<Vec<u8>>, Vec<String>)> = Vec::new();
        let mut batch_bytes = 0usize;
        for (payload, key) in to_write {
            let frame_bytes = wal::limits::FRAME_HEADER_BYTES + payload.len();
            let full = batches.last().is_none_or(|(payloads, _)| {
                payloads.len() >= wal::limits::BATCH_RECORDS_MAX
                    || batch_bytes + frame_bytes > wal::limits::BATCH_BYTES_MAX
            });
            if full {
                batches.push((Vec::new(), Vec::new()));
                batch_bytes = 0;
            }
            batch_bytes += frame_bytes;
            if let Some((payloads, keys)) = batches.last_mut() {
                payloads.push(payload);
                keys.extend(key);
            }
        }
        // Enqueue every batch, then wait for all of them.
        let mut pending = Vec::with_capacity(batches.len());
        let mut first_error = None;
        for (payloads, keys) in batches {
            if first_error.is_some() {
                pending.push((None, keys));
                continue;
            }
            match self.wal.append(payloads) {
                Ok(ticket) => pending.push((Some(ticket), keys)),
                Err(err) => {
                    first_error = Some(err);
                    pending.push((None, keys));
                }
            }
        }
        let mut results = Vec::with_capacity(pending.len());
        for (ticket, keys) in pending {
            let stored = match ticket {
                Some(ticket) => match ticket.await {
                    Ok(_) => true,
                    Err(err) => {
                        first_error.get_or_insert(err);
                        false
                    }
                },
                None => false,
            };
            results.push((stored, keys));
        }
        let mut dedup = self.lock_dedup();
        for (stored, keys) in &results {
            for key in keys {
                if *stored { dedup.confirm(key) } else { dedup.release(key) }
            }
        }
        drop(dedup);
        match first_error {
            None => Ok(outcomes),
            Some(wal::Error::Backpressure) => Err(Error::Backpressure),
            Some(other) => Err(Error::Wal(other)),
        }
    }

    /// Drains the WAL queue, fsyncs and stops the writer.
    pub fn shutdown(&self) -> Result<(), Error> {
        self.disk.stop.store(true, Ordering::Relaxed);
        Ok(self.wal.shutdown()?)
    }

    fn lock_dedup(&self) -> std::sync::MutexGuard<'_, Dedup> {
        // The index holds no invariant a panic could break halfway (each update is one map
        // operation), so a poisoned lock is safe to keep using.
        self.dedup.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

enum Claim {
    New,
    Stored(String),
    InFlight,
}

struct DedupEntry {
    event_id: String,
    at_ms: i64,
    durable: bool,
}

/// Deduplication keys seen within the window, oldest first for eviction.
struct Dedup {
    map: HashMap<String, DedupEntry>,
    order: VecDeque<(i64, String)>,
    window_ms: i64,
    entries_max: usize,
}

impl Dedup {
    fn new(window: Duration, entries_max: usize) -> Dedup {
        Dedup {
            map: HashMap::new(),
            order: VecDeque::new(),
            window_ms: window.as_millis() as i64,
            entries_max,
        }
    }

    fn evict(&mut self, now: i64) {
        while let Some((at, _)) = self.order.front() {
            let expired = now - *at > self.window_ms;
            if !expired && self.order.len() <= self.entries_max {
                break;
            }
            let Some((at, key)) = self.order.pop_front() else { break };
            // Only forget durable entries; an in-flight claim is released by its writer.
            if self.map.get(&key).is_some_and(|e| e.at_ms == at && e.durable) {
                self.map.remove(&key);
            }
        }
    }

    fn insert_durable(&mut self, key: &str, event_id: &str, at_ms: i64, now: i64) {
        if now - at_ms > self.window_ms {
            return;
        }
        self.map.insert(
            key.to_owned(),
            DedupEntry { event_id: event_id.to_owned(), at_ms, durable: true },
        );
        self.order.push_back((at_ms, key.to_owned()));
        self.evict(now);
    }

    fn claim(&mut self, key: &str, event_id: &str, now: i64) -> Claim {
        self.evict(now);
        match self.map.get(key) {
            Some(entry) if entry.durable => Claim::Stored(entry.event_id.clone()),
            Some(_) => Claim::InFlight,
            None => {
                self.map.insert(
                    key.to_owned(),
                    DedupEntry { event_id: event_id.to_owned(), at_ms: now, durable: false },
                );
                self.order.push_back((now, key.to_owned()));
                Claim::New
            }
        }
    }

    fn confirm(&mut self, key: &str) {
        if let Some(entry) = self.map.get_mut(key) {
            entry.durable = true;
        }
    }

    fn release(&mut self, key: &str) {
        if self.map.get(key).is_some_and(|e| !e.durable) {
            self.map.remove(key);
        }
    }
}

/// Measures free space of the WAL's file system in the background.
struct DiskGuard {
    free_bytes: AtomicU64,
    low: AtomicBool,
    stop: AtomicBool,
}

impl DiskGuard {
    fn start(dir: PathBuf, min_bytes: u64, interval: Duration) -> Arc<DiskGuard> {
        let guard = Arc::new(DiskGuard {
            free_bytes: AtomicU64::new(u64::MAX),
            low: AtomicBool::new(false),
            stop: AtomicBool::new(false),
        });
        guard.measure(&dir, min_bytes);
        let background = Arc::clone(&guard);
        let spawned =
            std::thread::Builder::new().name("opentrail-disk-guard".into()).spawn(move || {
                while !background.stop.load(Ordering::Relaxed) && Arc::strong_count(&background) > 1
                {
                    std::thread::sleep(interval);
                    background.measure(&dir, min_bytes);
                }
            });
        if let Err(err) = spawned {
            tracing::warn!(%err, "cannot start the disk-space guard; free space is measured once");
        }
        guard
    }

    fn measure(&self, dir: &Path, min_bytes: u64) {
        match rustix::fs::statvfs(dir) {
            Ok(stat) => {
                let free = stat.f_bavail.saturating_mul(stat.f_frsize);
                self.free_bytes.store(free, Ordering::Relaxed);
                let was_low = self.low.swap(free < min_bytes, Ordering::Relaxed);
                if free < min_bytes && !was_low {
                    tracing::warn!(
                        free_bytes = free,
                        min_bytes,
                        "free disk space is low: refusing new events"
                    );
                } else if free >= min_bytes && was_low {
                    tracing::info!(
                        free_bytes = free,
                        "free disk space recovered: accepting events"
                    );
                }
            }
            Err(err) => {
                tracing::warn!(%err, dir = %dir.display(), "cannot measure free disk space")
            }
        }
    }
}

#[cfg(test)]
mod tests;
