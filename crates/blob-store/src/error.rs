//! The crate's error type and its retry classification.
//!
//! Every variant is something a caller can act on: a missing bucket or key, a name it must fix,
//! a failure worth retrying ([`Error::is_retryable`]) or one that is not. Backend errors keep
//! their source so a printed chain (`{:#}` with anyhow) shows what the store said.

use std::path::PathBuf;

/// A boxed error from a backend, kept as the source of [`Error::Transient`] and
/// [`Error::Permanent`].
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What a [`crate::BlobStore`] call was doing when it failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Operation {
    /// [`crate::BlobStore::bucket_exists`].
    BucketExists,
    /// [`crate::BlobStore::create_bucket`].
    CreateBucket,
    /// [`crate::BlobStore::put`].
    Put,
    /// [`crate::BlobStore::get`].
    Get,
    /// [`crate::BlobStore::head`].
    Head,
    /// [`crate::BlobStore::list`].
    List,
}

impl Operation {
    /// Every operation, in declaration order.
    pub const ALL: [Operation; 6] = [
        Operation::BucketExists,
        Operation::CreateBucket,
        Operation::Put,
        Operation::Get,
        Operation::Head,
        Operation::List,
    ];

    /// The operation's name as written in messages (`put`, `list`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Operation::BucketExists => "bucket_exists",
            Operation::CreateBucket => "create_bucket",
            Operation::Put => "put",
            Operation::Get => "get",
            Operation::Head => "head",
            Operation::List => "list",
        }
    }
}

impl std::fmt::Display for Operation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// An error from this crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The bucket does not exist.
    #[error("no such bucket `{bucket}`")]
    NoSuchBucket {
        /// The bucket asked for.
        bucket: String,
    },
    /// The bucket exists but holds no object under the key.
    #[error("no such key `{key}` in bucket `{bucket}`")]
    NoSuchKey {
        /// The bucket asked for.
        bucket: String,
        /// The key asked for.
        key: String,
    },
    /// The bucket name breaks S3's naming rules.
    #[error("invalid bucket name `{bucket}`: {reason}")]
    InvalidBucketName {
        /// The name given.
        bucket: String,
        /// Which rule it breaks.
        reason: &'static str,
    },
    /// The key (or listing prefix) breaks the key rules of [`crate::validate_key`], or the
    /// backend cannot store it.
    #[error("invalid object key `{key}`: {reason}")]
    InvalidKey {
        /// The key given.
        key: String,
        /// Which rule it breaks.
        reason: &'static str,
    },
    /// A metadata name or value breaks the rules of [`crate::validate_meta`].
    #[error("invalid object metadata `{name}`: {reason}")]
    InvalidMetadata {
        /// The metadata name (`content-type`, `content-encoding` or a user metadata name).
        name: String,
        /// Which rule it breaks.
        reason: &'static str,
    },
    /// The object is larger than [`crate::OBJECT_BYTES_MAX`].
    #[error("object `{key}` in bucket `{bucket}` is `{size}` bytes, more than the limit of {limit}", limit = crate::OBJECT_BYTES_MAX)]
    ObjectTooLarge {
        /// The bucket.
        bucket: String,
        /// The key.
        key: String,
        /// The object's size in bytes.
        size: u64,
    },
    /// The configuration cannot work.
    #[error("invalid store configuration: {reason}")]
    Config {
        /// What is wrong.
        reason: String,
    },
    /// The backend does not offer this operation.
    #[error("`{operation}` is not supported by the {backend} store")]
    Unsupported {
        /// The operation refused.
        operation: Operation,
        /// The backend (`s3`, `local`, `memory`).
        backend: &'static str,
    },
    /// A failure that may go away on retry: network errors, timeouts, 5xx, throttling.
    #[error("`{operation}` of `{target}` failed, may succeed on retry")]
    Transient {
        /// The operation that failed.
        operation: Operation,
        /// `bucket` or `bucket/key`.
        target: String,
        /// What the backend said.
        #[source]
        source: BoxError,
    },
    /// The store refused the credentials or the operation (HTTP 401/403: a bucket policy or
    /// IAM policy that does not allow it, or wrong keys). Not retried by [`crate::retry`];
    /// it lasts until someone changes the policy or the keys.
    #[error("`{operation}` of `{target}` was refused: access denied")]
    AccessDenied {
        /// The operation refused.
        operation: Operation,
        /// `bucket` or `bucket/key`.
        target: String,
        /// What the backend said.
        #[source]
        source: BoxError,
    },
    /// A failure that retrying will not fix: bad request, misconfiguration.
    #[error("`{operation}` of `{target}` failed")]
    Permanent {
        /// The operation that failed.
        operation: Operation,
        /// `bucket` or `bucket/key`.
        target: String,
        /// What the backend said.
        #[source]
        source: BoxError,
    },
    /// A file system error in the local store.
    #[error("`{operation}` failed at `{path}`")]
    Io {
        /// The operation that failed.
        operation: Operation,
        /// The file or directory involved.
        path: PathBuf,
        /// The error from the operating system.
        #[source]
        source: std::io::Error,
    },
    /// A local store file that this crate wrote cannot be read back.
    #[error("corrupt file `{path}`: {reason}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
}

impl Error {
    /// Whether trying the same call again may succeed without anything else changing.
    ///
    /// True for [`Error::Transient`] and for interrupted or timed-out local IO; false for
    /// everything else, including missing buckets and keys.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Transient { .. } => true,
            Error::Io { source, .. } => matches!(
                source.kind(),
                std::io::ErrorKind::Interrupted
                    | std::io::ErrorKind::TimedOut
                    | std::io::ErrorKind::WouldBlock
            ),
            Error::NoSuchBucket { .. }
            | Error::NoSuchKey { .. }
            | Error::InvalidBucketName { .. }
            | Error::InvalidKey { .. }
            | Error::InvalidMetadata { .. }
            | Error::ObjectTooLarge { .. }
            | Error::Config { .. }
            | Error::Unsupported { .. }
            | Error::AccessDenied { .. }
            | Error::Permanent { .. }
            | Error::Corrupt { .. } => false,
        }
    }

    /// The message with every source's message after it (`a: b: c`), for logs: what the
    /// store itself said is in the sources.
    pub fn detailed(&self) -> String {
        let mut text = self.to_string();
        let mut source = std::error::Error::source(self);
        while let Some(next) = source {
            text.push_str(": ");
            text.push_str(&next.to_string());
            source = next.source();
        }
        text
    }

    /// The S3 error code that best names this error, as CloudTrail reports delivery errors
    /// (`LatestDeliveryError`): `NoSuchBucket`, `AccessDenied`, `ServiceUnavailable` for
    /// failures that may pass, `InvalidRequest` for names and sizes the store refuses, and
    /// `InternalError` for the rest.
    pub fn s3_code(&self) -> &'static str {
        match self {
            Error::NoSuchBucket { .. } => "NoSuchBucket",
            Error::NoSuchKey { .. } => "NoSuchKey",
            Error::AccessDenied { .. } => "AccessDenied",
            Error::Transient { .. } => "ServiceUnavailable",
            Error::InvalidBucketName { .. } => "InvalidBucketName",
            Error::InvalidKey { .. } | Error::InvalidMetadata { .. } => "InvalidRequest",
            Error::ObjectTooLarge { .. } => "EntityTooLarge",
            Error::Io { .. } if self.is_retryable() => "ServiceUnavailable",
            Error::Config { .. }
            | Error::Unsupported { .. }
            | Error::Permanent { .. }
            | Error::Io { .. }
            | Error::Corrupt { .. } => "InternalError",
        }
    }
}

/// The error carried by faults that [`crate::FaultyStore`] injects.
#[derive(Debug, thiserror::Error)]
pub enum InjectedFault {
    /// One of the first attempts the plan fails.
    #[error("injected fault: attempt {attempt} of {n_failing} failing attempts")]
    FailingAttempt {
        /// 1-based attempt number.
        attempt: u32,
        /// How many attempts fail.
        n_failing: u32,
    },
    /// The store was switched down.
    #[error("injected fault: store is down")]
    Down,
}
