//! What a WAL consumer implements ([`Consumer`]), and what the runner hands it.

use std::time::Duration;

use ingest::{Envelope, Kind};
use wal::{Lsn, Wal};

/// A set of envelope kinds: what a consumer takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Kinds(u8);

impl Kinds {
    /// CloudTrail records: native ingest and OpenTrail's own calls (what trails, event history
    /// and metric filters see; PutAuditEvents events go to event data stores only, as in AWS).
    pub const TRAIL_EVENTS: Kinds = Kinds::of(&[Kind::CloudTrailRecord, Kind::SelfAudit]);
    /// Every kind.
    pub const ALL: Kinds = Kinds::of(&[Kind::CloudTrailRecord, Kind::AuditEvent, Kind::SelfAudit]);

    pub const fn of(kinds: &[Kind]) -> Kinds {
        let mut bits = 0u8;
        let mut i = 0;
        while i < kinds.len() {
            bits |= Kinds::bit(kinds[i]);
            i += 1;
        }
        Kinds(bits)
    }

    pub const fn contains(self, kind: Kind) -> bool {
        self.0 & Kinds::bit(kind) != 0
    }

    const fn bit(kind: Kind) -> u8 {
        match kind {
            Kind::CloudTrailRecord => 1,
            Kind::AuditEvent => 2,
            Kind::SelfAudit => 4,
        }
    }
}

/// How much the runner reads before it hands a batch over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Records (of every kind) in one batch.
    pub records: usize,
    /// Payload bytes (of every kind) in one batch; a single larger record still makes a batch.
    pub bytes: usize,
}

impl Limits {
    pub const DEFAULT: Limits = Limits { records: 4096, bytes: 8 * 1024 * 1024 };
}

/// Where a consumer's reading starts (at start, and again after a failed turn).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Resume {
    /// A record start (or the durable end) at or after the WAL's first retained position.
    pub from: Lsn,
    /// A range planned before a crash that must be applied again exactly: the first batch
    /// ends here, and is applied as soon as it is read.
    pub until: Option<Lsn>,
}

/// The batch waiting to be applied, for [`Consumer::due`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pending {
    /// Records read and not yet applied (every kind).
    pub records: usize,
    /// Their payload bytes.
    pub bytes: usize,
    /// The batch reached [`Consumer::limits`]: the runner reads no more until it is applied.
    pub full: bool,
}

/// One decoded WAL record of a kind the consumer takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Event<'a> {
    pub lsn: Lsn,
    pub envelope: Envelope<'a>,
}

/// A contiguous WAL range `[start, end)` and its records of the consumer's kinds, in order.
#[derive(Debug)]
pub struct Batch<'a> {
    pub start: Lsn,
    pub end: Lsn,
    pub events: &'a [Event<'a>],
    /// Whether the runner is stopping: this is the last batch before [`Consumer::finish`].
    pub last: bool,
}

/// What the runner tells [`Consumer::tick`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tick {
    /// Everything durable has been read and applied.
    pub caught_up: bool,
    /// The runner is stopping: this is the last tick.
    pub last: bool,
}

/// A WAL consumer. The runner calls, per turn: [`Consumer::resume`] when it has no position,
/// reads, [`Consumer::due`] while a batch waits, [`Consumer::apply`], [`Consumer::tick`], then
/// commits [`Consumer::commit_point`].
///
/// The async methods run on the consumer's own thread (a single-threaded runtime), so
/// blocking work in them holds back only this consumer; async work (uploads) awaits normally.
#[allow(async_fn_in_trait)] // futures are driven on the runner's own thread, never sent
pub trait Consumer {
    /// Why a turn failed; the runner logs it, counts it, calls [`Consumer::reset`] and resumes.
    type Error: std::fmt::Display;

    /// The WAL cursor name, the `consumer` label on `/metrics`, and the thread name.
    fn name(&self) -> &'static str;

    /// The kinds [`Consumer::apply`] receives; the runner reads past the others.
    fn kinds(&self) -> Kinds;

    fn limits(&self) -> Limits {
        Limits::DEFAULT
    }

    /// How long the runner waits after a turn that found nothing more to read.
    fn poll(&self) -> Duration {
        Duration::from_millis(20)
    }

    /// Where to read from; registers the cursor on first start. See [`resume_from_cursor`].
    fn resume(&mut self, wal: &Wal) -> Result<Resume, Self::Error>;

    /// Whether the waiting batch is applied now (a full batch too: reading stops until it is).
    /// The runner applies regardless when it reaches [`Resume::until`], or when stopping.
    fn due(&mut self, pending: Pending) -> bool {
        let _ = pending;
        true
    }

    /// Handles a batch. On `Ok` everything before `batch.end` counts as applied.
    async fn apply(&mut self, batch: &Batch<'_>) -> Result<(), Self::Error>;

    /// Periodic work after every turn: sealing, evaluating, writing due digests.
    async fn tick(&mut self, tick: Tick) -> Result<(), Self::Error> {
        let _ = tick;
        Ok(())
    }

    /// Where the durable cursor may move: nothing before it is needed again. `None` holds it.
    fn commit_point(&self) -> Option<Lsn>;

    /// After a failed turn: drop what was applied but not made durable; the runner then
    /// resumes from [`Consumer::resume`].
    fn reset(&mut self) {}

    /// At stop, after the last turn: make what was applied durable.
    async fn finish(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// The usual [`Consumer::resume`]: register the cursor on first start (at `first_start`, e.g.
/// the WAL's first position, or its durable end for a consumer that sees only what comes
/// after it was added), then read from the cursor. A cursor below the WAL's first retained
/// position (segments deleted while the consumer was unregistered) resumes at that position,
/// with a warning naming what was missed.
pub fn resume_from_cursor(wal: &Wal, name: &str, first_start: Lsn) -> wal::Result<Resume> {
    let cursor = match wal.cursor(name) {
        Some(cursor) => cursor,
        None => {
            wal.register_consumer(name)?;
            if first_start > wal.first_lsn() {
                wal.commit_cursor(name, first_start)?;
            }
            first_start.max(wal.first_lsn())
        }
    };
    Ok(Resume { from: at_or_after_first(wal, name, cursor), until: None })
}

/// `position`, or the WAL's first retained position if that is later (with a warning).
pub(crate) fn at_or_after_first(wal: &Wal, name: &str, position: Lsn) -> Lsn {
    let first = wal.first_lsn();
    if position < first {
        tracing::warn!(
            consumer = name,
            from = position.0,
            first = first.0,
            "the consumer resumes after WAL records that are no longer retained; it never sees them"
        );
        return first;
    }
    position
}
