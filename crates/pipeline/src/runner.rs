//! [`Runner`]: reads, decodes, routes, applies, commits and measures, for one [`Consumer`].

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use wal::Lsn;

use crate::consumer::{Batch, Consumer, Event, Pending, Resume, Tick};
use crate::metrics::ConsumerMetrics;

/// Why a turn failed.
#[derive(Debug, thiserror::Error)]
pub enum RunError<E: std::fmt::Display> {
    #[error("read the write-ahead log: {0}")]
    Wal(#[from] wal::Error),
    #[error("{0}")]
    Consumer(E),
    #[error("start the consumer's async runtime: {0}")]
    Runtime(std::io::Error),
}

/// What one turn did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Turn {
    /// Records (of every kind) applied in this turn.
    pub applied: usize,
    /// Of those, records handed to the consumer (its kinds, decoded).
    pub events: usize,
    /// A full batch was applied and more waits: turn again at once.
    pub more: bool,
    /// Everything durable is read and applied.
    pub caught_up: bool,
}

/// Where the runner is in the WAL.
struct Position {
    /// Everything before this is applied.
    applied: Lsn,
    /// Everything before this is read: `pending` holds `[applied, read)`.
    read: Lsn,
    until: Option<Lsn>,
    pending: Vec<(Lsn, Vec<u8>)>,
    pending_bytes: usize,
}

impl Position {
    fn new(resume: Resume) -> Position {
        Position {
            applied: resume.from,
            read: resume.from,
            until: resume.until,
            pending: Vec::new(),
            pending_bytes: 0,
        }
    }
}

/// What a running consumer has applied, shared with whoever renders `/metrics`, so lag is
/// measured against the WAL's end when it is asked for, not when the consumer last turned.
pub struct Progress {
    name: &'static str,
    ingestor: Arc<ingest::Ingestor>,
    metrics: ConsumerMetrics,
    lag: std::sync::Mutex<Option<LagBase>>,
}

/// For the lag in records: where the consumer stands, the records between it and the durable
/// end when it resumed, the WAL's durable-record count then, and the records applied since.
#[derive(Clone, Copy)]
struct LagBase {
    applied: Lsn,
    records: u64,
    durable_records: u64,
    applied_since: u64,
}

impl Progress {
    fn lock(&self) -> std::sync::MutexGuard<'_, Option<LagBase>> {
        self.lag.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Counts the records from `from` to the durable end: the lag when a consumer resumes.
    fn resumed(&self, from: Lsn) -> wal::Result<()> {
        let wal = self.ingestor.wal();
        let durable_records = wal.durable_records();
        let mut records = 0;
        for entry in wal.read_from(from)? {
            entry?;
            records += 1;
        }
        *self.lock() = Some(LagBase { applied: from, records, durable_records, applied_since: 0 });
        Ok(())
    }

    fn applied(&self, to: Lsn, n_records: usize) {
        if let Some(base) = self.lock().as_mut() {
            base.applied = to;
            base.applied_since += n_records as u64;
        }
    }

    fn forget(&self) {
        *self.lock() = None;
    }

    /// Sets the lag and retained-bytes gauges from the WAL's end now.
    pub fn measure(&self) {
        let wal = self.ingestor.wal();
        let durable_end = wal.durable_end();
        if let Some(base) = *self.lock() {
            let lag_bytes = durable_end.0.saturating_sub(base.applied.0);
            let lag_records = if lag_bytes == 0 {
                0
            } else {
                let appended = wal.durable_records().saturating_sub(base.durable_records);
                (base.records + appended).saturating_sub(base.applied_since)
            };
            self.metrics.lag_bytes.set(lag_bytes as f64);
            self.metrics.lag_events.set(lag_records as f64);
        }
        if let Some(cursor) = wal.cursor(self.name) {
            self.metrics.retained_bytes.set(durable_end.0.saturating_sub(cursor.0) as f64);
        }
    }
}

/// Drives one [`Consumer`]: [`Runner::turn`] is one step (tests call it), [`Runner::spawn`]
/// turns on a thread of its own until stopped.
pub struct Runner<C: Consumer> {
    consumer: C,
    ingestor: Arc<ingest::Ingestor>,
    position: Option<Position>,
    progress: Arc<Progress>,
}

impl<C: Consumer> Runner<C> {
    pub fn new(consumer: C, ingestor: Arc<ingest::Ingestor>) -> Runner<C> {
        let progress = Arc::new(Progress {
            name: consumer.name(),
            ingestor: Arc::clone(&ingestor),
            metrics: ConsumerMetrics::new(consumer.name()),
            lag: std::sync::Mutex::new(None),
        });
        Runner { consumer, ingestor, position: None, progress }
    }

    /// What the consumer has applied: [`Progress::measure`] before rendering `/metrics`.
    pub fn progress(&self) -> Arc<Progress> {
        Arc::clone(&self.progress)
    }

    pub fn consumer(&self) -> &C {
        &self.consumer
    }

    pub fn consumer_mut(&mut self) -> &mut C {
        &mut self.consumer
    }

    pub fn into_consumer(self) -> C {
        self.consumer
    }

    /// One turn: resume if needed, read one bounded batch, apply it when due, tick, commit,
    /// and update the metrics. `last` forces the waiting batch out (the runner is stopping).
    pub async fn turn(&mut self, last: bool) -> Result<Turn, RunError<C::Error>> {
        let wal = self.ingestor.wal();
        let name = self.consumer.name();
        if self.position.is_none() {
            let mut resume = self.consumer.resume(wal).map_err(RunError::Consumer)?;
            resume.from = crate::consumer::at_or_after_first(wal, name, resume.from);
            self.progress.resumed(resume.from)?;
            self.position = Some(Position::new(resume));
        }
        let Some(position) = self.position.as_mut() else { unreachable!("resumed above") };
        let durable_end = wal.durable_end();
        let limits = self.consumer.limits();
        let target = position.until.map_or(durable_end, |until| until.min(durable_end));
        let full =
            |p: &Position| p.pending.len() >= limits.records || p.pending_bytes >= limits.bytes;
        let mut cut_short = false;
        if position.read < target && !full(position) {
            let mut reader = wal.read_from(position.read)?;
            let mut stopped_at = None;
            for entry in reader.by_ref() {
                let (lsn, payload) = entry?;
                if lsn >= target {
                    stopped_at = Some(lsn);
                    break;
                }
                position.pending_bytes += payload.len();
                position.pending.push((lsn, payload));
                if full(position) {
                    cut_short = true;
                    break;
                }
            }
            position.read = stopped_at.unwrap_or_else(|| reader.position());
        }
        let until_reached = position.until.is_some_and(|until| position.read >= until);
        let mut turn = Turn::default();
        if position.read > position.applied {
            let pending = Pending {
                records: position.pending.len(),
                bytes: position.pending_bytes,
                full: full(position),
            };
            let due = until_reached || last || self.consumer.due(pending);
            if due {
                let metrics = &self.progress.metrics;
                let events = decode(name, &position.pending, self.consumer.kinds(), metrics);
                let batch =
                    Batch { start: position.applied, end: position.read, events: &events, last };
                self.consumer.apply(&batch).await.map_err(RunError::Consumer)?;
                turn.applied = position.pending.len();
                turn.events = events.len();
                drop(events);
                position.applied = position.read;
                self.progress.applied(position.applied, position.pending.len());
                position.pending.clear();
                position.pending_bytes = 0;
                if until_reached {
                    position.until = None;
                }
                // A full batch may have more behind it; a waiting one waits for its consumer.
                turn.more = cut_short || pending.full;
                self.progress.metrics.events.increment(turn.events as u64);
                self.progress.metrics.batches.increment(1);
            }
        }
        turn.caught_up = position.applied >= wal.durable_end();
        self.consumer
            .tick(Tick { caught_up: turn.caught_up, last })
            .await
            .map_err(RunError::Consumer)?;
        self.commit()?;
        self.progress.measure();
        Ok(turn)
    }

    /// Turns until everything durable when called is read and applied (a batch the consumer
    /// does not consider due stays waiting), blocking the calling thread; for tests, benchmarks
    /// and tools. Returns the number of records applied.
    pub fn catch_up(&mut self) -> Result<usize, RunError<C::Error>> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(RunError::Runtime)?;
        runtime.block_on(async {
            let mut n_applied = 0;
            loop {
                let turn = self.turn(false).await?;
                n_applied += turn.applied;
                if !turn.more {
                    return Ok(n_applied);
                }
            }
        })
    }

    /// Moves the durable cursor to the consumer's commit point, if that is ahead of it.
    fn commit(&mut self) -> wal::Result<()> {
        let wal = self.ingestor.wal();
        let name = self.consumer.name();
        let Some(point) = self.consumer.commit_point() else { return Ok(()) };
        if let Some(position) = &self.position {
            debug_assert!(point <= position.applied, "{name} commits {point} past what it applied");
        }
        // Registering is `Consumer::resume`'s (`resume_from_cursor`); an unregistered cursor
        // here is that contract broken, and `commit_cursor` says so.
        match wal.cursor(name) {
            Some(cursor) if cursor >= point => Ok(()),
            _ => wal.commit_cursor(name, point),
        }
    }

    /// Turns until stopped: at once while a batch limit cut the read short, else after the
    /// consumer's poll interval; a failed turn is logged, counted, and retried from
    /// [`Consumer::resume`] after a second. Stopping runs one last turn (forcing the waiting
    /// batch out) and [`Consumer::finish`].
    pub async fn run(mut self, stop: &Stop) -> C {
        let name = self.consumer.name();
        let mut failing = false;
        while !stop.is_set() {
            match self.turn(false).await {
                Ok(turn) => {
                    if failing {
                        tracing::info!(consumer = name, "the WAL consumer recovered");
                        failing = false;
                    }
                    if !turn.more {
                        stop.sleep(self.consumer.poll()).await;
                    }
                }
                Err(err) => {
                    self.progress.metrics.errors.increment(1);
                    tracing::error!(consumer = name, %err, "a WAL consumer turn failed; retrying from its last durable position in 1 s");
                    failing = true;
                    self.consumer.reset();
                    self.position = None;
                    self.progress.forget();
                    stop.sleep(Duration::from_secs(1)).await;
                }
            }
        }
        if let Err(err) = self.turn(true).await {
            self.progress.metrics.errors.increment(1);
            tracing::warn!(consumer = name, %err, "the last turn at shutdown failed; the next start reads those WAL records again");
        }
        match self.consumer.finish().await {
            Ok(()) => {
                if let Err(err) = self.commit() {
                    tracing::warn!(consumer = name, %err, "the cursor could not be committed at shutdown; the next start reads those WAL records again");
                }
            }
            Err(err) => {
                tracing::warn!(consumer = name, %err, "the consumer could not finish at shutdown; the next start reads those WAL records again")
            }
        }
        self.consumer
    }

    /// Runs on a thread named for the consumer, with a single-threaded async runtime of its
    /// own, until [`RunnerHandle::stop`].
    pub fn spawn(self) -> std::io::Result<RunnerHandle>
    where
        C: Send + 'static,
    {
        let name = self.consumer.name();
        let progress = self.progress();
        let stop = Arc::new(Stop::default());
        let thread_stop = Arc::clone(&stop);
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let thread = std::thread::Builder::new().name(name.into()).spawn(move || {
            runtime.block_on(self.run(&thread_stop));
        })?;
        Ok(RunnerHandle { name, stop, progress, thread: Some(thread) })
    }
}

/// Decodes the pending payloads once, keeping the consumer's kinds; every payload that does
/// not decode is counted and logged with its position.
fn decode<'a>(
    consumer: &'static str,
    pending: &'a [(Lsn, Vec<u8>)],
    kinds: crate::Kinds,
    metrics: &ConsumerMetrics,
) -> Vec<Event<'a>> {
    let mut events = Vec::with_capacity(pending.len());
    for (lsn, payload) in pending {
        match ingest::Envelope::decode(payload) {
            Ok(envelope) if kinds.contains(envelope.kind) => {
                events.push(Event { lsn: *lsn, envelope });
            }
            Ok(_) => {}
            Err(err) => {
                metrics.decode_errors.increment(1);
                tracing::error!(
                    consumer,
                    lsn = lsn.0,
                    %err,
                    "a WAL record is not a readable envelope; the consumer cannot use it and reads past it (opentrail_consumer_decode_errors_total); inspect it with `opentrail wal dump`"
                );
            }
        }
    }
    events
}

/// The stop signal of a running consumer: a flag, and a wake-up for its sleeps.
#[derive(Debug, Default)]
pub struct Stop {
    set: AtomicBool,
    notify: tokio::sync::Notify,
}

impl Stop {
    pub fn is_set(&self) -> bool {
        self.set.load(Ordering::Acquire)
    }

    pub fn set(&self) {
        self.set.store(true, Ordering::Release);
        self.notify.notify_waiters();
        self.notify.notify_one();
    }

    /// Sleeps for `duration`, or until the stop is set.
    pub async fn sleep(&self, duration: Duration) {
        if self.is_set() {
            return;
        }
        tokio::select! {
            () = tokio::time::sleep(duration) => {}
            () = self.notify.notified() => {}
        }
    }
}

/// A consumer running on its own thread; stopping (or dropping) it runs the last turn and
/// waits for the thread.
pub struct RunnerHandle {
    name: &'static str,
    stop: Arc<Stop>,
    progress: Arc<Progress>,
    thread: Option<JoinHandle<()>>,
}

impl RunnerHandle {
    /// What the consumer has applied: [`Progress::measure`] before rendering `/metrics`.
    pub fn progress(&self) -> Arc<Progress> {
        Arc::clone(&self.progress)
    }

    pub fn stop(mut self) {
        self.stop_and_join();
    }

    fn stop_and_join(&mut self) {
        self.stop.set();
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!(consumer = self.name, "a WAL consumer thread panicked");
        }
    }
}

impl Drop for RunnerHandle {
    fn drop(&mut self) {
        self.stop_and_join();
    }
}
