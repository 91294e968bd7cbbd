//! Trail delivery, the decisions and formats part: which logging trails take an event
//! ([`routing`]), where its log file goes in the bucket ([`keys`]), and the exact bytes of a
//! log file ([`file`]), the WAL consumer that runs delivery cycles and uploads their files
//! ([`consumer`]), and the signed digests that chain them ([`digests`]).
//!
//! Everything here is a pure function of its inputs, so a re-delivery after a crash computes the
//! same routing, the same key and the same bytes, and overwrites the same object.

pub mod consumer;
pub mod cycle;
pub mod digests;
pub mod file;
pub mod keys;
pub mod routing;

pub use routing::{Organization, TrailRoute};
