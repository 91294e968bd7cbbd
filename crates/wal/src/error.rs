//! The WAL's error type, with a classification for callers that branch on errors.

use std::fmt;
use std::io;
use std::path::PathBuf;

use crate::limits;
use crate::lsn::Lsn;

/// `Result` with [`Error`] as the default error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in the WAL.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The append queue is full; nothing was enqueued. Retry later or shed load.
    #[error("wal queue is full; nothing was enqueued, retry later")]
    Backpressure,

    /// A write or fsync failed earlier; this WAL refuses writes until it is reopened.
    #[error("wal refuses writes until it is reopened: {0}")]
    Failed(Failure),

    /// The WAL was shut down.
    #[error("wal is shut down")]
    Closed,

    /// `append` was called with no payloads.
    #[error("batch has no records")]
    EmptyBatch,

    /// One payload exceeds [`limits::RECORD_PAYLOAD_BYTES_MAX`].
    #[error(
        "record `{record_idx}` has `{payload_bytes}` payload bytes, over the limit of `{}`",
        limits::RECORD_PAYLOAD_BYTES_MAX
    )]
    RecordTooLarge {
        /// Index of the payload in the batch.
        record_idx: usize,
        /// Its size.
        payload_bytes: usize,
    },

    /// A batch exceeds [`limits::BATCH_RECORDS_MAX`] or [`limits::BATCH_BYTES_MAX`].
    #[error(
        "batch of `{n_records}` records and `{batch_bytes}` encoded bytes is over the limits of `{}` records and `{}` bytes",
        limits::BATCH_RECORDS_MAX,
        limits::BATCH_BYTES_MAX
    )]
    BatchTooLarge {
        /// Records in the batch.
        n_records: usize,
        /// Encoded bytes of the batch (headers and payloads).
        batch_bytes: usize,
    },

    /// A [`crate::WalConfig`] field is out of bounds.
    #[error("invalid wal config: {reason}")]
    InvalidConfig {
        /// Which field, and its bounds.
        reason: String,
    },

    /// A consumer name is empty, too long, or has characters outside `[a-z0-9_-]`.
    #[error("invalid consumer name `{name}`: {reason}")]
    InvalidConsumerName {
        /// The name as given.
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },

    /// No consumer of that name is registered.
    #[error("consumer `{name}` is not registered")]
    UnknownConsumer {
        /// The name as given.
        name: String,
    },

    /// Registering one more consumer would exceed [`limits::CONSUMERS_MAX`].
    #[error(
        "cannot register consumer `{name}`: the limit of `{}` consumers is reached",
        limits::CONSUMERS_MAX
    )]
    TooManyConsumers {
        /// The name as given.
        name: String,
    },

    /// A cursor commit would move a cursor backwards or beyond the durable end.
    #[error(
        "cannot move the cursor of consumer `{name}` from `{current}` to `{requested}`: {reason}"
    )]
    InvalidCursor {
        /// The consumer.
        name: String,
        /// Its durable cursor.
        current: Lsn,
        /// The position asked for.
        requested: Lsn,
        /// Why it was refused.
        reason: &'static str,
    },

    /// The position was in a segment that has been deleted.
    #[error("position `{lsn}` is no longer retained; the oldest retained position is `{first}`")]
    PositionNotRetained {
        /// The position asked for.
        lsn: Lsn,
        /// The oldest retained position.
        first: Lsn,
    },

    /// The position is beyond what has been made durable.
    #[error("position `{lsn}` is beyond the durable end `{end}`")]
    PositionBeyondEnd {
        /// The position asked for.
        lsn: Lsn,
        /// The durable end.
        end: Lsn,
    },

    /// The position is inside the retained range but no valid record starts there.
    #[error("position `{lsn}` is not the start of a valid record")]
    NotRecordStart {
        /// The position asked for.
        lsn: Lsn,
    },

    /// Bytes on disk are damaged in a way recovery may not repair silently.
    ///
    /// Nothing was modified. The reason says what was found and what the operator can do.
    #[error("wal file `{segment}` is damaged at offset `{offset}`: {reason}")]
    Corruption {
        /// File name (a segment, or a state file) inside the WAL directory.
        segment: String,
        /// Byte offset inside that file.
        offset: u64,
        /// What was found, and what to do about it.
        reason: String,
    },

    /// An IO operation failed outside the write path (open, recovery, reads, state files).
    #[error("cannot {op} `{}`", path.display())]
    Io {
        /// What was being done, verb first.
        op: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
}

/// Broad classes of [`Error`], for callers that branch on errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Transient: the queue is full. Retrying later may succeed.
    Backpressure,
    /// The WAL failed a write or fsync and must be reopened.
    Failed,
    /// The WAL is shut down.
    Closed,
    /// The caller passed something invalid (batch, config, consumer, position).
    InvalidInput,
    /// Damaged files; an operator must act.
    Corruption,
    /// An IO error outside the write path.
    Io,
}

impl Error {
    /// The class of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Backpressure => ErrorKind::Backpressure,
            Error::Failed(_) => ErrorKind::Failed,
            Error::Closed => ErrorKind::Closed,
            Error::EmptyBatch
            | Error::RecordTooLarge { .. }
            | Error::BatchTooLarge { .. }
            | Error::InvalidConfig { .. }
            | Error::InvalidConsumerName { .. }
            | Error::UnknownConsumer { .. }
            | Error::TooManyConsumers { .. }
            | Error::InvalidCursor { .. }
            | Error::PositionNotRetained { .. }
            | Error::PositionBeyondEnd { .. }
            | Error::NotRecordStart { .. } => ErrorKind::InvalidInput,
            Error::Corruption { .. } => ErrorKind::Corruption,
            Error::Io { .. } => ErrorKind::Io,
        }
    }

    /// Whether the same call may succeed later without anyone intervening.
    pub fn is_retryable(&self) -> bool {
        self.kind() == ErrorKind::Backpressure
    }

    /// The underlying IO error kind, for [`Error::Failed`] and [`Error::Io`] (for example
    /// [`io::ErrorKind::StorageFull`] for `ENOSPC`).
    pub fn io_error_kind(&self) -> Option<io::ErrorKind> {
        match self {
            Error::Failed(failure) => Some(failure.io_error_kind),
            Error::Io { source, .. } => Some(source.kind()),
            _ => None,
        }
    }

    pub(crate) fn io(
        op: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io { op, path, source }
    }
}

/// Why the writer stopped: the first failed write, fsync or segment creation.
///
/// Cloned into the error of every ticket that was pending, and of every later append.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// What the writer was doing, verb first (`write segment`, `fsync segment`, ...).
    pub op: &'static str,
    /// The file or directory.
    pub path: PathBuf,
    /// The IO error kind (`StorageFull` for `ENOSPC`).
    pub io_error_kind: io::ErrorKind,
    /// The IO error's message.
    pub message: String,
}

impl Failure {
    pub(crate) fn new(op: &'static str, path: impl Into<PathBuf>, error: &io::Error) -> Failure {
        Failure { op, path: path.into(), io_error_kind: error.kind(), message: error.to_string() }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot {} `{}`: {}; nothing after the last successful fsync was acknowledged",
            self.op,
            self.path.display(),
            self.message
        )
    }
}
