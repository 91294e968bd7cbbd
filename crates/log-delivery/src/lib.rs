//! Trail delivery: which logging trails take an event ([`routing`]), where its log file goes in
//! the bucket ([`keys`]), the exact bytes of a log file ([`file`]), a cycle's files
//! ([`cycle`]); the WAL consumer that runs delivery cycles ([`consumer`]) with its durable plan
//! ([`plan`]) and spool ([`spool`]), uploading through [`upload`]; and the signed digests that
//! chain the files ([`digests`], by the rule of [`chain`]).
//!
//! The decisions are pure functions of their inputs, so a re-delivery after a crash computes
//! the same routing, the same key and the same bytes, and overwrites the same object.

pub mod chain;
pub mod consumer;
pub mod cycle;
pub mod digests;
mod error;
pub mod file;
pub mod keys;
mod metrics;
mod plan;
pub mod routing;
mod spool;
pub mod upload;

pub use error::{Error, Result};
pub use metrics::describe_metrics;
pub use routing::{Organization, TrailRoute};
