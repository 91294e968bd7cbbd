//! The writer thread: takes batches off the bounded queue, writes each group with one write
//! and one fsync, rotates segments, and resolves tickets only after their bytes are durable.
//!
//! After the first failed write, fsync or segment creation the writer never writes again: the
//! failure is recorded in [`Shared`], every pending and later ticket gets it, and only a reopen
//! (which runs recovery) can continue. Retrying an fsync could report success for bytes the
//! kernel already dropped.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, RecvTimeoutError, TryRecvError};
use std::time::Instant;

use tokio::sync::oneshot;

use crate::error::{Error, Failure, Result};
use crate::frame;
use crate::fs::WriteFile;
use crate::limits;
use crate::lsn::{Lsn, LsnRange};
use crate::segment;
use crate::shared::Shared;

/// A message to the writer.
#[derive(Debug)]
pub(crate) enum Request {
    Append(AppendRequest),
    /// Finish what is queued before this message, then stop.
    Shutdown,
}

/// One batch waiting to be written.
#[derive(Debug)]
pub(crate) struct AppendRequest {
    pub(crate) payloads: Vec<Vec<u8>>,
    /// Encoded bytes of the batch.
    pub(crate) batch_bytes: u64,
    pub(crate) reply: oneshot::Sender<Result<LsnRange>>,
}

/// A batch encoded into the buffer whose ticket waits for the next fsync.
#[derive(Debug)]
struct Pending {
    reply: oneshot::Sender<Result<LsnRange>>,
    range: LsnRange,
    n_records: u64,
}

#[derive(Debug)]
pub(crate) struct Writer {
    shared: Arc<Shared>,
    rx: Receiver<Request>,
    /// The active segment.
    file: Box<dyn WriteFile>,
    segment_start: Lsn,
    /// Bytes written to the active segment (all durable unless a failure happened).
    segment_len: u64,
    /// Frames encoded but not yet written; they start at `segment_start + segment_len`.
    buf: Vec<u8>,
    fsync_seconds: metrics::Histogram,
}

/// The duration of each segment fsync (group commit), on `/metrics`.
pub(crate) const FSYNC_SECONDS: &str = "opentrail_wal_fsync_seconds";

/// Describes the WAL's metrics to the installed recorder (their `# HELP` lines).
pub fn describe_metrics() {
    metrics::describe_histogram!(
        FSYNC_SECONDS,
        metrics::Unit::Seconds,
        "Duration of each WAL segment fsync (one per group commit)"
    );
}

impl Writer {
    pub(crate) fn new(
        shared: Arc<Shared>,
        rx: Receiver<Request>,
        file: Box<dyn WriteFile>,
        segment_start: Lsn,
        end: Lsn,
    ) -> Writer {
        let segment_len = end.bytes_since(segment_start);
        let fsync_seconds = metrics::histogram!(FSYNC_SECONDS);
        Writer { shared, rx, file, segment_start, segment_len, buf: Vec::new(), fsync_seconds }
    }

    /// Runs until a `Shutdown` request, or until every sender is gone.
    pub(crate) fn run(mut self) {
        loop {
            let Ok(request) = self.rx.recv() else { return };
            let mut group = Vec::new();
            let shutdown = match request {
                Request::Append(append) => {
                    self.dequeued(&append);
                    group.push(append);
                    self.collect_group(&mut group)
                }
                Request::Shutdown => true,
            };
            if !group.is_empty() {
                self.commit_group(group);
            }
            if shutdown {
                self.refuse_remaining();
                return;
            }
        }
    }

    fn dequeued(&self, append: &AppendRequest) {
        self.shared.counters.queued_batches.fetch_sub(1, Ordering::Relaxed);
        self.shared.counters.queued_bytes.fetch_sub(append.batch_bytes, Ordering::Relaxed);
    }

    /// Collects more batches for the group, waiting up to `group_commit_wait_max` after the
    /// first. Returns whether a shutdown request was taken.
    fn collect_group(&mut self, group: &mut Vec<AppendRequest>) -> bool {
        let config = &self.shared.config;
        let deadline = Instant::now() + config.group_commit_wait_max;
        let mut group_bytes: u64 = group.iter().map(|append| append.batch_bytes).sum();
        while group_bytes < config.group_commit_bytes_max {
            let now = Instant::now();
            let request = if now >= deadline {
                match self.rx.try_recv() {
                    Ok(request) => request,
                    Err(TryRecvError::Empty | TryRecvError::Disconnected) => return false,
                }
            } else {
                match self.rx.recv_timeout(deadline - now) {
                    Ok(request) => request,
                    Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => {
                        return false;
                    }
                }
            };
            match request {
                Request::Append(append) => {
                    self.dequeued(&append);
                    group_bytes += append.batch_bytes;
                    group.push(append);
                }
                Request::Shutdown => return true,
            }
        }
        false
    }

    /// Writes a group and resolves its tickets: `Ok` only after the bytes are fsynced.
    fn commit_group(&mut self, group: Vec<AppendRequest>) {
        if let Some(failure) = self.shared.failure() {
            for append in group {
                let _ = append.reply.send(Err(Error::Failed(failure.clone())));
            }
            return;
        }
        self.shared.counters.groups.fetch_add(1, Ordering::Relaxed);
        let mut pending = Vec::with_capacity(group.len());
        let mut requests = group.into_iter();
        let mut outcome = Ok(());
        let mut unwritten = None;
        for append in requests.by_ref() {
            let in_segment = self.segment_len + self.buf.len() as u64;
            if in_segment > 0
                && in_segment + append.batch_bytes > self.shared.config.segment_bytes_max
            {
                outcome = self.flush(&mut pending).and_then(|()| self.rotate());
                if outcome.is_err() {
                    unwritten = Some(append);
                    break;
                }
            }
            let start = self.buffered_end();
            let end = frame::encode_batch(&mut self.buf, start, &append.payloads);
            assert_eq!(end.bytes_since(start), append.batch_bytes);
            let n_records = append.payloads.len() as u64;
            pending.push(Pending {
                reply: append.reply,
                range: LsnRange { start, end },
                n_records,
            });
        }
        if outcome.is_ok() {
            outcome = self.flush(&mut pending);
        }
        if let Err(failure) = outcome {
            self.fail(&failure);
            let replies = pending.into_iter().map(|pending| pending.reply);
            let replies =
                replies.chain(unwritten.into_iter().chain(requests).map(|append| append.reply));
            for reply in replies {
                let _ = reply.send(Err(Error::Failed(failure.clone())));
            }
        }
        if self.buf.capacity() > limits::WRITE_BUFFER_RETAINED_BYTES_MAX {
            self.buf = Vec::new();
        }
    }

    /// The position after everything written and buffered.
    fn buffered_end(&self) -> Lsn {
        Lsn(self.segment_start.0 + self.segment_len + self.buf.len() as u64)
    }

    /// Writes the buffer with one write, fsyncs, publishes the new durable end, and resolves
    /// the pending tickets.
    fn flush(&mut self, pending: &mut Vec<Pending>) -> Result<(), Failure> {
        if self.buf.is_empty() {
            assert!(pending.is_empty());
            return Ok(());
        }
        let buf_start = Lsn(self.segment_start.0 + self.segment_len);
        // Pair the encoder with the decoder before the bytes leave (debug builds: it costs a
        // second pass over every byte).
        debug_assert!(frame::decode_all(&self.buf, buf_start).is_ok());
        let path = self.segment_path(self.segment_start);
        let counters = &self.shared.counters;
        self.file
            .write_all(&self.buf)
            .map_err(|error| Failure::new("write wal segment", &path, &error))?;
        counters.bytes_written.fetch_add(self.buf.len() as u64, Ordering::Relaxed);
        self.segment_len += self.buf.len() as u64;
        self.buf.clear();
        counters.fsyncs.fetch_add(1, Ordering::Relaxed);
        let fsync_started = Instant::now();
        self.file.sync_data().map_err(|error| Failure::new("fsync wal segment", &path, &error))?;
        self.fsync_seconds.record(fsync_started.elapsed().as_secs_f64());

        let end = self.buffered_end();
        // Counted before the end is published, so a reader never sees uncounted records.
        let n_records = pending.iter().map(|pending| pending.n_records).sum();
        counters.durable_records.fetch_add(n_records, Ordering::Release);
        let previous = self.shared.durable_end.swap(end.0, Ordering::AcqRel);
        assert!(previous < end.0, "durable end must grow: `{previous}` to `{end}`");
        for pending in pending.drain(..) {
            assert!(pending.range.end <= end);
            let _ = pending.reply.send(Ok(pending.range));
        }
        Ok(())
    }

    /// Starts a new segment at the current end; the directory is fsynced before use.
    fn rotate(&mut self) -> Result<(), Failure> {
        assert!(self.buf.is_empty());
        let start = self.buffered_end();
        let path = self.segment_path(start);
        let dir = &self.shared.dir;
        let file = self
            .shared
            .fs
            .create_new(&path)
            .map_err(|error| Failure::new("create wal segment", &path, &error))?;
        self.shared.counters.dir_fsyncs.fetch_add(1, Ordering::Relaxed);
        self.shared
            .fs
            .sync_dir(dir)
            .map_err(|error| Failure::new("fsync wal directory", dir, &error))?;
        self.file = file;
        self.segment_start = start;
        self.segment_len = 0;
        self.shared.segments().push(start);
        self.shared.counters.segments_created.fetch_add(1, Ordering::Relaxed);
        tracing::info!(segment = %segment::segment_file_name(start), lsn = start.0, "wal segment rotated");
        Ok(())
    }

    fn fail(&self, failure: &Failure) {
        tracing::error!(
            op = failure.op,
            path = %failure.path.display(),
            error = %failure.message,
            "wal writer failed; refusing writes until reopened"
        );
        self.shared.set_failure(failure.clone());
    }

    /// After a shutdown request: answer everything still queued with `Closed`.
    fn refuse_remaining(&self) {
        while let Ok(request) = self.rx.try_recv() {
            if let Request::Append(append) = request {
                self.dequeued(&append);
                let _ = append.reply.send(Err(Error::Closed));
            }
        }
    }

    fn segment_path(&self, start: Lsn) -> std::path::PathBuf {
        Path::join(&self.shared.dir, segment::segment_file_name(start))
    }
}
