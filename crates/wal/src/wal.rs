//! The WAL handle: open with recovery, append with group commit, read durable records, keep
//! consumer cursors, and delete segments every consumer has passed.

use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::thread::{self, JoinHandle};

use tokio::sync::oneshot;

use crate::config::WalConfig;
use crate::error::{Error, Failure, Result};
use crate::frame;
use crate::fs::{FileSystem, StdFileSystem};
use crate::limits;
use crate::lsn::{Lsn, LsnRange};
use crate::reader::WalReader;
use crate::recovery::{self, RecoveryReport};
use crate::segment;
use crate::shared::{Shared, lock};
use crate::state::{self, StateKind};
use crate::writer::{AppendRequest, Request, Writer};

/// A snapshot of the WAL's counters since open.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WalStats {
    /// Batches accepted by `append`.
    pub n_appends: u64,
    /// Records in those batches.
    pub n_records: u64,
    /// Records made durable (each counted once its group's fsync succeeded).
    pub n_durable_records: u64,
    /// Groups the writer committed (each is one write and one fsync, plus one more of each per
    /// segment rotation inside the group).
    pub n_groups: u64,
    /// `fsync`s of segment files.
    pub n_fsyncs: u64,
    /// `fsync`s of the directory for new segments.
    pub n_dir_fsyncs: u64,
    /// Bytes written to segments.
    pub bytes_written: u64,
    /// Segments created by rotation.
    pub n_segments_created: u64,
    /// Batches waiting in the queue now.
    pub n_queued_batches: u64,
    /// Encoded bytes waiting in the queue now.
    pub queued_bytes: u64,
}

/// The write-ahead log. Share it between threads with an `Arc`.
///
/// Dropping it shuts it down like [`Wal::shutdown`] (queued batches are still written).
#[derive(Debug)]
pub struct Wal {
    shared: Arc<Shared>,
    sender: SyncSender<Request>,
    writer: Mutex<Option<JoinHandle<()>>>,
}

/// Resolves once the batch is durable (`Ok` with its positions), or failed (`Err`).
///
/// Await it, or call [`AppendTicket::wait`] from blocking code. Dropping it does not cancel
/// the append.
#[derive(Debug)]
#[must_use = "an append is acknowledged only when its ticket resolves"]
pub struct AppendTicket {
    rx: oneshot::Receiver<Result<LsnRange>>,
}

impl AppendTicket {
    /// Blocks until the batch is durable or failed. Do not call it from async code (it panics
    /// inside a tokio runtime); await the ticket there.
    pub fn wait(self) -> Result<LsnRange> {
        self.rx.blocking_recv().unwrap_or(Err(Error::Closed))
    }
}

impl Future for AppendTicket {
    type Output = Result<LsnRange>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.rx).poll(cx).map(|received| received.unwrap_or(Err(Error::Closed)))
    }
}

impl Wal {
    /// Opens the WAL in `dir`, creating it if the directory holds none, after recovery (see the
    /// decision table in the `recovery` module). Starts the writer thread.
    pub fn open(
        dir: impl AsRef<Path>,
        config: WalConfig,
        fs: Arc<dyn FileSystem>,
    ) -> Result<(Wal, RecoveryReport)> {
        config.validate()?;
        let dir = dir.as_ref().to_path_buf();
        let recovered = recovery::recover(fs.as_ref(), &dir, config.recovery_mode)?;
        let active_start =
            *recovered.segments.last().expect("recovery leaves at least one segment");
        let queue_batches_max = config.queue_batches_max;
        let shared = Arc::new(Shared::new(
            dir.clone(),
            fs,
            config,
            recovered.end,
            recovered.segments,
            recovered.cursors,
        ));
        let (sender, rx) = mpsc::sync_channel(queue_batches_max);
        let writer =
            Writer::new(Arc::clone(&shared), rx, recovered.active, active_start, recovered.end);
        let handle = thread::Builder::new()
            .name("wal-writer".to_owned())
            .spawn(move || writer.run())
            .map_err(Error::io("spawn the writer thread for", &dir))?;
        let wal = Wal { shared, sender, writer: Mutex::new(Some(handle)) };
        Ok((wal, recovered.report))
    }

    /// [`Wal::open`] on the real file system.
    pub fn open_std(dir: impl AsRef<Path>, config: WalConfig) -> Result<(Wal, RecoveryReport)> {
        Wal::open(dir, config, Arc::new(StdFileSystem))
    }

    /// Enqueues a batch of records without blocking. The batch is written contiguously and is
    /// all-or-nothing across crashes. The ticket resolves after the batch is fsynced.
    ///
    /// Fails at once with [`Error::Backpressure`] if the queue is full, [`Error::Failed`] after
    /// a write or fsync failure, and on an invalid batch.
    pub fn append(&self, payloads: Vec<Vec<u8>>) -> Result<AppendTicket> {
        if self.shared.closed.load(Ordering::Acquire) {
            return Err(Error::Closed);
        }
        if let Some(failure) = self.shared.failure() {
            return Err(Error::Failed(failure));
        }
        let batch_bytes = check_batch(&payloads)? as u64;
        let counters = &self.shared.counters;
        let queued_bytes = counters.queued_bytes.fetch_add(batch_bytes, Ordering::AcqRel);
        if queued_bytes + batch_bytes > self.shared.config.queue_bytes_max {
            counters.queued_bytes.fetch_sub(batch_bytes, Ordering::AcqRel);
            return Err(Error::Backpressure);
        }
        counters.queued_batches.fetch_add(1, Ordering::AcqRel);
        let n_records = payloads.len() as u64;
        let (reply, rx) = oneshot::channel();
        let request = Request::Append(AppendRequest { payloads, batch_bytes, reply });
        match self.sender.try_send(request) {
            Ok(()) => {
                counters.appends.fetch_add(1, Ordering::Relaxed);
                counters.records.fetch_add(n_records, Ordering::Relaxed);
                Ok(AppendTicket { rx })
            }
            Err(error) => {
                counters.queued_batches.fetch_sub(1, Ordering::AcqRel);
                counters.queued_bytes.fetch_sub(batch_bytes, Ordering::AcqRel);
                match error {
                    TrySendError::Full(_) => Err(Error::Backpressure),
                    TrySendError::Disconnected(_) => Err(Error::Closed),
                }
            }
        }
    }

    /// Everything below this position is fsynced; readers see exactly that.
    pub fn durable_end(&self) -> Lsn {
        self.shared.durable_end()
    }

    /// The oldest retained position: the start of the oldest segment.
    pub fn first_lsn(&self) -> Lsn {
        self.shared.segments()[0]
    }

    /// Reads the records from `lsn` (a record start, or the durable end) up to the durable end
    /// as of this call.
    pub fn read_from(&self, lsn: Lsn) -> Result<WalReader> {
        // Load the end before the segment list: the writer publishes a segment before any
        // durable byte lands in it, so the list then covers everything below the end.
        let end = self.shared.durable_end();
        let segments = self.shared.segments().clone();
        let first = segments[0];
        if lsn < first {
            return Err(Error::PositionNotRetained { lsn, first });
        }
        if lsn > end {
            return Err(Error::PositionBeyondEnd { lsn, end });
        }
        Ok(WalReader::new(Arc::clone(&self.shared), segments, lsn, end))
    }

    /// Records made durable since open (counted before [`Wal::durable_end`] moves past them).
    pub fn durable_records(&self) -> u64 {
        self.shared.counters.durable_records.load(Ordering::Acquire)
    }

    /// The counters since open.
    pub fn stats(&self) -> WalStats {
        let counters = &self.shared.counters;
        let load = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        WalStats {
            n_appends: load(&counters.appends),
            n_records: load(&counters.records),
            n_durable_records: load(&counters.durable_records),
            n_groups: load(&counters.groups),
            n_fsyncs: load(&counters.fsyncs),
            n_dir_fsyncs: load(&counters.dir_fsyncs),
            bytes_written: load(&counters.bytes_written),
            n_segments_created: load(&counters.segments_created),
            n_queued_batches: load(&counters.queued_batches),
            queued_bytes: load(&counters.queued_bytes),
        }
    }

    /// The failure that stopped the writer, if one did.
    pub fn failure(&self) -> Option<Failure> {
        self.shared.failure()
    }

    /// The WAL's directory.
    pub fn dir(&self) -> &Path {
        &self.shared.dir
    }

    /// Registers a consumer, durably, with its cursor at the oldest retained position (so
    /// nothing it has not read is deleted). Registering again returns the current cursor.
    pub fn register_consumer(&self, name: &str) -> Result<Lsn> {
        check_consumer_name(name)?;
        let mut consumers = lock(&self.shared.consumers);
        if let Some(cursor) = consumers.get(name) {
            return Ok(*cursor);
        }
        if consumers.len() >= limits::CONSUMERS_MAX {
            return Err(Error::TooManyConsumers { name: name.to_owned() });
        }
        let first = self.first_lsn();
        self.write_cursor_file(name, first)?;
        consumers.insert(name.to_owned(), first);
        tracing::debug!(consumer = name, cursor = first.0, "wal consumer registered");
        Ok(first)
    }

    /// Removes a consumer and its cursor file, so it no longer holds back deletion.
    pub fn unregister_consumer(&self, name: &str) -> Result<()> {
        let mut consumers = lock(&self.shared.consumers);
        if !consumers.contains_key(name) {
            return Err(Error::UnknownConsumer { name: name.to_owned() });
        }
        let path = self.shared.dir.join(state::cursor_file_name(name));
        self.shared.fs.remove_file(&path).map_err(Error::io("remove wal cursor file", &path))?;
        self.shared
            .fs
            .sync_dir(&self.shared.dir)
            .map_err(Error::io("fsync wal directory", &self.shared.dir))?;
        consumers.remove(name);
        tracing::info!(consumer = name, "wal consumer unregistered");
        Ok(())
    }

    /// A consumer's durable cursor: the position of the next record it needs.
    pub fn cursor(&self, name: &str) -> Option<Lsn> {
        lock(&self.shared.consumers).get(name).copied()
    }

    /// Every registered consumer and its cursor, by name.
    pub fn consumers(&self) -> Vec<(String, Lsn)> {
        lock(&self.shared.consumers).iter().map(|(name, lsn)| (name.clone(), *lsn)).collect()
    }

    /// Moves a consumer's cursor forward, durably (crash-safe state file replacement). The
    /// cursor may not move backwards nor beyond the durable end.
    pub fn commit_cursor(&self, name: &str, lsn: Lsn) -> Result<()> {
        let mut consumers = lock(&self.shared.consumers);
        let current =
            *consumers.get(name).ok_or_else(|| Error::UnknownConsumer { name: name.to_owned() })?;
        let invalid = |reason| Error::InvalidCursor {
            name: name.to_owned(),
            current,
            requested: lsn,
            reason,
        };
        if lsn < current {
            return Err(invalid("cursors only move forward"));
        }
        if lsn > self.durable_end() {
            return Err(invalid("the position is beyond the durable end"));
        }
        if lsn == current {
            return Ok(());
        }
        self.write_cursor_file(name, lsn)?;
        consumers.insert(name.to_owned(), lsn);
        Ok(())
    }

    /// Writes consumer `name`'s cursor file (crash-safe state file replacement).
    fn write_cursor_file(&self, name: &str, lsn: Lsn) -> Result<()> {
        let file_name = state::cursor_file_name(name);
        let fs = self.shared.fs.as_ref();
        state::write_state_file(fs, &self.shared.dir, &file_name, StateKind::Cursor, lsn)
    }

    /// Deletes the segments that every registered consumer has passed, oldest first, never the
    /// active one. With no consumer registered nothing is deleted. Returns how many were.
    ///
    /// The head file moves first, so a crash in the middle leaves segments that the next open
    /// recognizes as leftovers and removes.
    pub fn delete_obsolete_segments(&self) -> Result<usize> {
        let consumers = lock(&self.shared.consumers);
        let Some(slowest) = consumers.values().min().copied() else {
            return Ok(0);
        };
        let (obsolete, new_first) = {
            let segments = self.shared.segments();
            // Segment `i` ends where segment `i + 1` starts; the active segment has no end yet.
            let n_obsolete = segments.windows(2).take_while(|pair| pair[1] <= slowest).count();
            (segments[..n_obsolete].to_vec(), segments[n_obsolete])
        };
        if obsolete.is_empty() {
            return Ok(0);
        }
        let (fs, dir) = (self.shared.fs.as_ref(), &self.shared.dir);
        state::write_state_file(fs, dir, state::HEAD_FILE_NAME, StateKind::Head, new_first)?;
        {
            let mut segments = self.shared.segments();
            assert!(segments.starts_with(&obsolete), "only deletion removes segments");
            segments.drain(..obsolete.len());
        }
        for start in &obsolete {
            let path = dir.join(segment::segment_file_name(*start));
            fs.remove_file(&path).map_err(Error::io("remove wal segment", &path))?;
        }
        fs.sync_dir(dir).map_err(Error::io("fsync wal directory", dir))?;
        tracing::info!(
            n_segments = obsolete.len(),
            first_lsn = new_first.0,
            "wal segments deleted"
        );
        drop(consumers);
        Ok(obsolete.len())
    }

    /// Stops accepting appends, lets the writer finish everything queued (written and
    /// fsynced), and stops the writer thread. Blocks; later calls do nothing.
    ///
    /// Returns the writer's failure, if it had one.
    pub fn shutdown(&self) -> Result<()> {
        self.shared.closed.store(true, Ordering::Release);
        let Some(handle) = lock(&self.writer).take() else {
            return Ok(());
        };
        // Blocks while the queue is full; the writer is draining it. Fails only if the writer
        // thread is gone already.
        let _ = self.sender.send(Request::Shutdown);
        if handle.join().is_err() {
            tracing::error!(dir = %self.shared.dir.display(), "wal writer thread panicked");
            return Err(Error::Closed);
        }
        match self.shared.failure() {
            Some(failure) => Err(Error::Failed(failure)),
            None => Ok(()),
        }
    }
}

impl Drop for Wal {
    fn drop(&mut self) {
        // The failure, if any, was logged by the writer and returned to every ticket.
        let _ = self.shutdown();
    }
}

fn check_consumer_name(name: &str) -> Result<()> {
    state::check_consumer_name(name)
        .map_err(|reason| Error::InvalidConsumerName { name: name.to_owned(), reason })
}

/// Checks a batch against the limits; returns its encoded size.
fn check_batch(payloads: &[Vec<u8>]) -> Result<usize> {
    if payloads.is_empty() {
        return Err(Error::EmptyBatch);
    }
    if let Some(record_idx) =
        payloads.iter().position(|p| p.len() > limits::RECORD_PAYLOAD_BYTES_MAX)
    {
        return Err(Error::RecordTooLarge {
            record_idx,
            payload_bytes: payloads[record_idx].len(),
        });
    }
    let batch_bytes = frame::batch_bytes(payloads);
    if payloads.len() > limits::BATCH_RECORDS_MAX || batch_bytes > limits::BATCH_BYTES_MAX {
        return Err(Error::BatchTooLarge { n_records: payloads.len(), batch_bytes });
    }
    Ok(batch_bytes)
}
