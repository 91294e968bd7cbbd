//! WAL configuration: group commit, queue bounds, segment size and recovery policy.

use std::time::Duration;

use crate::error::{Error, Result};
use crate::limits;

/// What recovery does with a torn tail in the last segment.
///
/// A torn tail is what a crash leaves behind: a partial frame, a bad checksum or zeroed bytes
/// at the very end of the last segment with nothing valid after them, or a batch whose last
/// frame is missing. Nothing in a torn tail was ever acknowledged. Damage anywhere else is
/// always refused; see the decision table in the `recovery` module.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum RecoveryMode {
    /// Truncate a torn tail (and fsync the truncation), and report it. The default.
    #[default]
    TolerateTornTail,
    /// Refuse to open when the last segment has a torn tail, so an operator can look first.
    Strict,
}

/// How a [`crate::Wal`] batches, bounds and recovers. Passed explicitly to `Wal::open`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WalConfig {
    /// How long the writer, after taking the first queued batch, waits for more before it
    /// writes and fsyncs. Default [`limits::GROUP_COMMIT_WAIT_MAX_DEFAULT`] (zero: under load,
    /// batches pile up while the previous fsync runs); at most [`limits::GROUP_COMMIT_WAIT_MAX`].
    pub group_commit_wait_max: Duration,
    /// The writer stops collecting batches into a group past this many encoded bytes.
    /// Default [`limits::GROUP_COMMIT_BYTES_MAX_DEFAULT`]; between 1 and
    /// [`limits::GROUP_COMMIT_BYTES_MAX`]. A single batch is never split.
    pub group_commit_bytes_max: u64,
    /// Batches that may wait for the writer; `append` returns `Backpressure` beyond.
    /// Default [`limits::QUEUE_BATCHES_MAX_DEFAULT`]; between 1 and [`limits::QUEUE_BATCHES_MAX`].
    pub queue_batches_max: usize,
    /// Encoded bytes that may wait for the writer; `append` returns `Backpressure` beyond.
    /// Default [`limits::QUEUE_BYTES_MAX_DEFAULT`]; between [`limits::QUEUE_BYTES_MAX_MIN`] and
    /// [`limits::QUEUE_BYTES_MAX`].
    pub queue_bytes_max: u64,
    /// A segment is rotated when the next batch would push it past this size.
    /// Default [`limits::SEGMENT_BYTES_MAX_DEFAULT`]; between [`limits::SEGMENT_BYTES_MAX_MIN`]
    /// and [`limits::SEGMENT_BYTES_MAX_LIMIT`].
    pub segment_bytes_max: u64,
    /// What recovery does with a torn tail. Default [`RecoveryMode::TolerateTornTail`].
    pub recovery_mode: RecoveryMode,
}

impl WalConfig {
    /// The defaults documented on each field.
    pub fn recommended() -> WalConfig {
        WalConfig {
            group_commit_wait_max: limits::GROUP_COMMIT_WAIT_MAX_DEFAULT,
            group_commit_bytes_max: limits::GROUP_COMMIT_BYTES_MAX_DEFAULT,
            queue_batches_max: limits::QUEUE_BATCHES_MAX_DEFAULT,
            queue_bytes_max: limits::QUEUE_BYTES_MAX_DEFAULT,
            segment_bytes_max: limits::SEGMENT_BYTES_MAX_DEFAULT,
            recovery_mode: RecoveryMode::default(),
        }
    }

    /// Checks every field against its bounds.
    pub fn validate(&self) -> Result<()> {
        fn out_of_bounds(field: &str, value: impl std::fmt::Debug, bounds: String) -> Error {
            Error::InvalidConfig { reason: format!("`{field}` is `{value:?}`, expected {bounds}") }
        }
        if self.group_commit_wait_max > limits::GROUP_COMMIT_WAIT_MAX {
            return Err(out_of_bounds(
                "group_commit_wait_max",
                self.group_commit_wait_max,
                format!("at most `{:?}`", limits::GROUP_COMMIT_WAIT_MAX),
            ));
        }
        if !(1..=limits::GROUP_COMMIT_BYTES_MAX).contains(&self.group_commit_bytes_max) {
            return Err(out_of_bounds(
                "group_commit_bytes_max",
                self.group_commit_bytes_max,
                format!("between `1` and `{}`", limits::GROUP_COMMIT_BYTES_MAX),
            ));
        }
        if !(1..=limits::QUEUE_BATCHES_MAX).contains(&self.queue_batches_max) {
            return Err(out_of_bounds(
                "queue_batches_max",
                self.queue_batches_max,
                format!("between `1` and `{}`", limits::QUEUE_BATCHES_MAX),
            ));
        }
        if !(limits::QUEUE_BYTES_MAX_MIN..=limits::QUEUE_BYTES_MAX).contains(&self.queue_bytes_max)
        {
            return Err(out_of_bounds(
                "queue_bytes_max",
                self.queue_bytes_max,
                format!(
                    "between `{}` and `{}`",
                    limits::QUEUE_BYTES_MAX_MIN,
                    limits::QUEUE_BYTES_MAX
                ),
            ));
        }
        if !(limits::SEGMENT_BYTES_MAX_MIN..=limits::SEGMENT_BYTES_MAX_LIMIT)
            .contains(&self.segment_bytes_max)
        {
            return Err(out_of_bounds(
                "segment_bytes_max",
                self.segment_bytes_max,
                format!(
                    "between `{}` and `{}`",
                    limits::SEGMENT_BYTES_MAX_MIN,
                    limits::SEGMENT_BYTES_MAX_LIMIT
                ),
            ));
        }
        Ok(())
    }
}
