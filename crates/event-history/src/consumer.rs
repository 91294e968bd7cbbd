//! The event-history WAL consumer ([`Indexer`], run by the [`pipeline::Runner`]): files every
//! acknowledged trail event into the [`History`] within a poll interval, seals segments when
//! due, lets the WAL cursor move only to what is sealed, and applies retention and compaction.

use std::sync::Arc;
use std::time::Instant;

use crate::{Error, History};

/// The WAL consumer name of event history.
pub const CONSUMER_NAME: &str = "event-history";

/// Feeds a [`History`] from the WAL.
pub struct Indexer {
    history: Arc<History>,
    last_housekeeping: Option<Instant>,
}

impl Indexer {
    pub fn new(history: Arc<History>) -> Indexer {
        Indexer { history, last_housekeeping: None }
    }

    /// Seals what was filed, so the cursor may move to it.
    pub fn seal(&self) -> Result<wal::Lsn, Error> {
        self.history.seal()
    }

    /// Retention, then compaction.
    pub fn housekeeping(&self) -> Result<(), Error> {
        self.history.enforce_retention()?;
        self.history.compact()?;
        Ok(())
    }
}

impl pipeline::Consumer for Indexer {
    type Error = Error;

    fn name(&self) -> &'static str {
        CONSUMER_NAME
    }

    /// Management and Insights events arrive as CloudTrail records and self-audit records;
    /// PutAuditEvents events go to event data stores, never to event history (as AWS).
    fn kinds(&self) -> pipeline::Kinds {
        pipeline::Kinds::TRAIL_EVENTS
    }

    fn poll(&self) -> std::time::Duration {
        self.history.config().poll
    }

    /// From what history has filed (sealed, after a restart): a crash re-reads the unsealed
    /// tail from the WAL.
    fn resume(&mut self, wal: &wal::Wal) -> Result<pipeline::Resume, Error> {
        // Registers the cursor on first start; reading starts where history stands.
        pipeline::resume_from_cursor(wal, CONSUMER_NAME, wal.first_lsn())?;
        Ok(pipeline::Resume { from: self.history.position(), until: None })
    }

    async fn apply(&mut self, batch: &pipeline::Batch<'_>) -> Result<(), Error> {
        self.history.add(batch.events, batch.end)?;
        if self.history.seal_due() {
            self.history.seal()?;
        }
        Ok(())
    }

    async fn tick(&mut self, tick: pipeline::Tick) -> Result<(), Error> {
        if self.history.seal_due() {
            self.history.seal()?;
        }
        let every = self.history.config().housekeeping_every();
        if !tick.last && self.last_housekeeping.is_none_or(|at| at.elapsed() >= every) {
            self.last_housekeeping = Some(Instant::now());
            self.housekeeping()?;
        }
        Ok(())
    }

    /// The cursor moves only to what is sealed.
    fn commit_point(&self) -> Option<wal::Lsn> {
        Some(self.history.sealed_through())
    }

    fn reset(&mut self) {
        if let Err(err) = self.history.reset_unsealed() {
            tracing::error!(%err, "event history could not drop its unsealed events");
        }
    }

    /// Seals what was read, so a restart does not read it again.
    async fn finish(&mut self) -> Result<(), Error> {
        self.history.seal().map(|_| ())
    }
}
