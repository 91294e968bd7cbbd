//! The event-history WAL consumer: a thread that files every durable record into the
//! [`History`] within a poll interval of its acknowledgement, seals segments when due, moves
//! its WAL cursor to what is sealed, and applies retention and compaction.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crate::{Error, History};

/// The WAL consumer name of event history.
pub const CONSUMER_NAME: &str = "event-history";

/// Records handed to [`History::add`] at once.
const BATCH_RECORDS: usize = 4096;
const BATCH_BYTES: usize = 8 * 1024 * 1024;

/// Feeds a [`History`] from the WAL of an [`ingest::Ingestor`].
pub struct Indexer {
    pub history: Arc<History>,
    pub ingestor: Arc<ingest::Ingestor>,
}

impl Indexer {
    /// Reads everything durable now, files it, and seals if due. Returns the number of events
    /// added. Call repeatedly (the thread of [`Indexer::spawn`] does).
    pub fn step(&self) -> Result<usize, Error> {
        let wal = self.ingestor.wal();
        if wal.cursor(CONSUMER_NAME).is_none() {
            wal.register_consumer(CONSUMER_NAME)?;
        }
        let mut position = self.history.position();
        if position < wal.first_lsn() {
            tracing::warn!(
                from = position.0,
                first = wal.first_lsn().0,
                "event history resumes after WAL records that are no longer retained; those events are not in event history"
            );
            position = wal.first_lsn();
        }
        let mut n_added = 0;
        if position < wal.durable_end() {
            let mut reader = wal.read_from(position)?;
            loop {
                let mut batch = Vec::new();
                let mut batch_bytes = 0;
                for entry in reader.by_ref() {
                    let (lsn, payload) = entry?;
                    batch_bytes += payload.len();
                    batch.push((lsn, payload));
                    if batch.len() >= BATCH_RECORDS || batch_bytes >= BATCH_BYTES {
                        break;
                    }
                }
                if batch.is_empty() {
                    break;
                }
                n_added += self.history.add(&batch, reader.position())?;
                if self.history.seal_due() {
                    self.seal()?;
                }
            }
        }
        if self.history.seal_due() {
            self.seal()?;
        }
        Ok(n_added)
    }

    /// Seals, then moves the WAL cursor to what is sealed.
    pub fn seal(&self) -> Result<(), Error> {
        let sealed = self.history.seal()?;
        let wal = self.ingestor.wal();
        if wal.cursor(CONSUMER_NAME).is_some_and(|cursor| cursor < sealed) {
            wal.commit_cursor(CONSUMER_NAME, sealed)?;
        }
        Ok(())
    }

    /// Retention, then compaction.
    pub fn housekeeping(&self) -> Result<(), Error> {
        self.history.enforce_retention()?;
        self.history.compact()?;
        Ok(())
    }

    /// Runs the consumer on its own thread until [`IndexerHandle::stop`].
    pub fn spawn(self) -> std::io::Result<IndexerHandle> {
        let poll = self.history.config().poll;
        let housekeeping_every = self.history.config().housekeeping_every();
        wal::ConsumerThread::spawn("event-history", move |thread_stop| {
            let mut last_housekeeping: Option<Instant> = None;
            let mut failing = false;
            while !thread_stop.load(Ordering::Acquire) {
                let result = self.step().and_then(|n_added| {
                    if last_housekeeping.is_none_or(|at| at.elapsed() >= housekeeping_every) {
                        last_housekeeping = Some(Instant::now());
                        self.housekeeping()?;
                    }
                    Ok(n_added)
                });
                match result {
                    Ok(n_added) => {
                        if failing {
                            tracing::info!("event history recovered");
                            failing = false;
                        }
                        if n_added == 0 {
                            std::thread::park_timeout(poll);
                        }
                    }
                    Err(err) => {
                        tracing::error!(%err, "event history could not file new events; retrying from the last sealed position");
                        failing = true;
                        if let Err(err) = self.history.reset_unsealed() {
                            tracing::error!(%err, "event history could not drop its unsealed events");
                        }
                        std::thread::park_timeout(Duration::from_secs(1));
                    }
                }
            }
            // Seal what was read so a restart does not read it again.
            if let Err(err) = self.step().and_then(|_| self.seal()) {
                tracing::warn!(%err, "event history could not seal at shutdown; the next start reads those WAL records again");
            }
        })
    }
}

/// Stops the consumer thread ([`wal::ConsumerThread::stop`] seals first: see `spawn`).
pub type IndexerHandle = wal::ConsumerThread;
