//! The crate's error: what failed, the offending value in backticks, and what an operator can
//! do next. Delivery logs these and retries at the next interval; none of them loses an event
//! (the cursor has not moved past it).

use std::path::PathBuf;
use std::time::Duration;

/// `Result` with [`Error`] as the default error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can stop a delivery cycle or a digest.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The catalog failed a read or a write delivery depends on.
    #[error("cannot {what}: {source}")]
    Catalog {
        /// What was being done, verb first.
        what: &'static str,
        /// The cause.
        source: catalog::Error,
    },

    /// A trail's logging windows could not be read.
    #[error("cannot read the logging windows of `{trail_arn}`: {source}")]
    LoggingWindows {
        /// The trail.
        trail_arn: String,
        /// The cause.
        source: catalog::Error,
    },

    /// The WAL refused a read, the consumer's registration or a cursor commit.
    #[error("cannot {what}: {source}")]
    Wal {
        /// What was being done, verb first.
        what: &'static str,
        /// The cause.
        source: wal::Error,
    },

    /// A file of the delivery state directory (the plan or the spool) could not be read.
    #[error("cannot {what} `{}`: {source}", path.display())]
    Io {
        /// What was being done, verb first.
        what: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },

    /// Replacing or removing a file of the delivery state directory failed.
    #[error("{source}; check the space and permissions of the delivery state directory")]
    StateFile {
        /// The failed step and its file.
        #[from]
        source: durable_file::Error,
    },

    /// The plan of the cycle in progress cannot be trusted.
    #[error(
        "the delivery plan `{}` is damaged ({reason}); remove it to re-plan from the WAL cursor",
        path.display()
    )]
    PlanDamaged {
        /// The plan file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },

    /// A spooled log file cannot be trusted.
    #[error(
        "the spooled log file `{}` is damaged ({reason}); move it aside to let delivery continue (its events are in the WAL only if the WAL still holds them)",
        path.display()
    )]
    SpoolDamaged {
        /// The spool file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },

    /// The configured digest interval does not fit in milliseconds.
    #[error("the digest interval `{interval:?}` is too long; `--digest-interval` takes 1s to 24h")]
    DigestIntervalTooLong {
        /// The configured interval.
        interval: Duration,
    },

    /// A deleted trail's chain must close, but it never had a digest to say where.
    #[error(
        "the trail `{trail_arn}` is gone and never had a digest; nowhere to write its final digest"
    )]
    NoDigestTarget {
        /// The deleted trail.
        trail_arn: String,
    },

    /// The region's signing key in the catalog cannot be read.
    #[error("cannot read the digest-signing key `{fingerprint}`: {source}")]
    SigningKey {
        /// The key's fingerprint.
        fingerprint: String,
        /// The cause.
        source: integrity::Error,
    },

    /// A digest could not be stored; it is written again at the next interval.
    #[error("cannot store the digest `{key}` in bucket `{bucket}`: {message}")]
    DigestUpload {
        /// The trail's bucket.
        bucket: String,
        /// The digest's key.
        key: String,
        /// The store's answer.
        message: String,
    },
}

impl Error {
    pub(crate) fn catalog(what: &'static str) -> impl FnOnce(catalog::Error) -> Error {
        move |source| Error::Catalog { what, source }
    }

    pub(crate) fn wal(what: &'static str) -> impl FnOnce(wal::Error) -> Error {
        move |source| Error::Wal { what, source }
    }

    pub(crate) fn io(what: &'static str, path: PathBuf) -> impl FnOnce(std::io::Error) -> Error {
        move |source| Error::Io { what, path, source }
    }
}
