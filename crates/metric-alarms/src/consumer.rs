//! The metric-filter WAL consumer ([`Consumer`], run by the [`pipeline::Runner`]): every
//! acknowledged trail event goes through the filters; alarms are evaluated every poll once the
//! consumer has caught up; the cursor trails the newest event by the alarms' look-back, so a
//! restart replays exactly the events their windows still need.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::service::AlarmService;

/// The WAL consumer name of metric filters and alarms.
pub const CONSUMER_NAME: &str = "metric-alarms";

/// How often notifications and alarm history older than 14 days are deleted.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// How often alarms are evaluated and the consumer polls the WAL when idle.
const POLL: Duration = Duration::from_millis(20);

/// Feeds the [`AlarmService`] from the WAL.
pub struct Consumer {
    service: Arc<AlarmService>,
    /// Everything before this was observed.
    applied: Option<wal::Lsn>,
    /// (minute of acknowledgement, first WAL position of that minute), oldest first.
    checkpoints: VecDeque<(i64, wal::Lsn)>,
    last_prune: Option<Instant>,
}

impl Consumer {
    pub fn new(service: Arc<AlarmService>) -> Consumer {
        Consumer { service, applied: None, checkpoints: VecDeque::new(), last_prune: None }
    }
}

impl Consumer {
    /// The oldest minute of acknowledgement the alarms' windows still need.
    fn keep_from(&self) -> i64 {
        (self.service.now_ms() - self.service.lookback_ms() - 60_000).div_euclid(60_000)
    }
}

impl pipeline::Consumer for Consumer {
    type Error = wal::Error;

    fn name(&self) -> &'static str {
        CONSUMER_NAME
    }

    /// Channel events (PutAuditEvents) are not CloudTrail trail events.
    fn kinds(&self) -> pipeline::Kinds {
        pipeline::Kinds::TRAIL_EVENTS
    }

    /// Small batches: each record is filtered while it is still in the cache it was read into
    /// (batches of thousands measured 0.7 µs an event slower on the ingest benchmark).
    fn limits(&self) -> pipeline::Limits {
        pipeline::Limits { records: 256, bytes: 1024 * 1024 }
    }

    fn poll(&self) -> Duration {
        POLL
    }

    /// First start: alarms only see what is acknowledged from now on. Later: from the cursor,
    /// which trails by the look-back.
    fn resume(&mut self, wal: &wal::Wal) -> Result<pipeline::Resume, wal::Error> {
        let resume = pipeline::resume_from_cursor(wal, CONSUMER_NAME, wal.durable_end())?;
        tracing::debug!(
            from = resume.from.0,
            to = wal.durable_end().0,
            "metric filters replay the events their alarms' windows still need"
        );
        self.applied = Some(resume.from);
        self.checkpoints.clear();
        Ok(resume)
    }

    async fn apply(&mut self, batch: &pipeline::Batch<'_>) -> Result<(), wal::Error> {
        for event in batch.events {
            let envelope = &event.envelope;
            let minute = envelope.ingested_at_ms.div_euclid(60_000);
            if self.checkpoints.back().is_none_or(|(m, _)| *m < minute) {
                self.checkpoints.push_back((minute, event.lsn));
            }
            match std::str::from_utf8(envelope.record) {
                Ok(text) => self.service.observe(text, envelope.ingested_at_ms),
                // Ingest stores validated JSON only; a record that is not UTF-8 is damage.
                Err(err) => {
                    tracing::error!(lsn = event.lsn.0, %err, "a WAL record is not UTF-8; metric filters cannot read it")
                }
            }
        }
        self.applied = Some(batch.end);
        Ok(())
    }

    /// Alarms are evaluated only once the consumer has caught up with the WAL: after a
    /// restart, the replay must refill the windows first.
    async fn tick(&mut self, tick: pipeline::Tick) -> Result<(), wal::Error> {
        if self.last_prune.is_none_or(|at| at.elapsed() >= PRUNE_EVERY) {
            self.last_prune = Some(Instant::now());
            if let Err(err) = self.service.prune() {
                tracing::warn!(%err, "old notifications and alarm history could not be pruned");
            }
        }
        if tick.caught_up && !tick.last {
            self.service.tick();
        }
        let keep_from = self.keep_from();
        while self.checkpoints.len() > 1
            && self.checkpoints.front().is_some_and(|(minute, _)| *minute < keep_from)
        {
            self.checkpoints.pop_front();
        }
        Ok(())
    }

    /// The first record of the oldest minute the alarms still need.
    fn commit_point(&self) -> Option<wal::Lsn> {
        let applied = self.applied?;
        match self.checkpoints.front() {
            Some((minute, lsn)) if *minute >= self.keep_from() => Some(*lsn),
            _ => Some(applied),
        }
    }

    fn reset(&mut self) {
        self.applied = None;
        self.checkpoints.clear();
    }
}
