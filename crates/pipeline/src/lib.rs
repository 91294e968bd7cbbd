//! The consumer runner: every WAL consumer — log delivery, event history, metric filters, and
//! the lake, Insights and archive importers to come — is a [`Consumer`] driven by one
//! [`Runner`].
//!
//! The runner owns what every consumer used to write for itself: it reads bounded batches from
//! the consumer's position, decodes each envelope once, routes records by [`ingest::Kind`]
//! (each consumer names the kinds it takes in [`Consumer::kinds`]; the runner reads past the
//! others), counts and logs every payload that does not decode (with its WAL position — never a
//! silent skip), moves the durable cursor to what the consumer says is safe
//! ([`Consumer::commit_point`]), and reports lag, throughput and errors on `/metrics` under the
//! consumer's name. Every consumer gets the same lifecycle: [`Runner::spawn`] starts it on a
//! thread of its own, [`RunnerHandle::stop`] runs one last turn and [`Consumer::finish`], and a
//! failed turn is logged, counted, and retried from [`Consumer::resume`] after a second.
//!
//! What decides when a cursor may move is the consumer's: delivery commits after a cycle's
//! files are stored, event history after a seal, metric filters trail by their alarms'
//! look-back. What decides when a batch is applied is the consumer's too ([`Consumer::due`]):
//! at once, or when a delivery beat comes.
//!
//! What this crate is not: it does not interpret records (consumers parse what they need), and
//! it does not share one read between consumers — each runs at its own pace from its own
//! position.

mod consumer;
mod metrics;
mod runner;
#[cfg(test)]
mod tests;

pub use crate::consumer::{
    Batch, Consumer, Event, Kinds, Limits, Pending, Resume, Tick, resume_from_cursor,
};
pub use crate::metrics::describe_metrics;
pub use crate::runner::{Progress, RunError, Runner, RunnerHandle, Stop, Turn};
