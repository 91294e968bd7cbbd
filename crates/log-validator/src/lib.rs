//! Validation of a trail's delivered log files and digests, for `opentrail validate-logs`: what
//! `aws cloudtrail validate-logs` checks (signatures, the chain, every listed file's SHA-256),
//! plus what it misses — every deleted digest named (also several in a row), moved log files
//! found by their hash, and objects in the trail's folders that no digest lists.
//!
//! Objects are read through a [`blob_store::BlobStore`] (any S3-compatible store, or the local
//! bucket store of a data directory); the trail and the public keys come from a [`Control`]
//! (the CloudTrail API, or the catalog). Reads run concurrently; the result is a [`Report`],
//! ordered deterministically whatever order the reads finished in.

mod engine;
mod report;
mod truncation;

pub use engine::{Options, validate};
pub use report::{Finding, Gap, Report, Status};

/// The trail being validated: where its files are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrailInfo {
    pub trail_arn: String,
    pub trail_name: String,
    pub home_region: String,
    /// The account in the key path.
    pub account_id: String,
    pub bucket: String,
    pub prefix: Option<String>,
    /// For organization trails.
    pub organization_id: Option<String>,
}

/// A public key that may have signed digests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicKey {
    pub fingerprint: String,
    /// DER PKCS#1 `RSAPublicKey`.
    pub der: Vec<u8>,
}

/// Where the trail and the keys come from.
pub trait Control: Send + Sync {
    /// Every public key valid at some time in `[start, end]` (Unix seconds), of `region`.
    fn public_keys(
        &self,
        region: &str,
        start_unix: i64,
        end_unix: i64,
    ) -> impl std::future::Future<Output = Result<Vec<PublicKey>, String>> + Send;

    /// When the trail's latest log file was stored (Unix milliseconds; GetTrailStatus'
    /// `LatestDeliveryTime`), if known. Asked after the log-file folders are listed, so every
    /// listed file was stored by then.
    fn latest_delivery_ms(&self) -> impl std::future::Future<Output = Option<i64>> + Send;

    /// What the trail says it delivered last of the chain of `account_id` and `region`. Asked
    /// before the digest folder is listed, so every digest it names was stored (or deleted)
    /// by the time the listing started: a digest delivered during the run is never reported
    /// missing.
    fn latest_digest(
        &self,
        account_id: &str,
        region: &str,
    ) -> impl std::future::Future<Output = LatestDigest> + Send;
}

/// What the trail says about its newest digest; everything unknown is `None`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LatestDigest {
    /// When the trail last stored a digest of any of its chains (Unix milliseconds;
    /// GetTrailStatus' `LatestDigestDeliveryTime`).
    pub delivered_ms: Option<i64>,
    /// The newest digest of the validated chain, where the catalog is at hand: exact, so it
    /// is preferred to `delivered_ms`.
    pub chain_head: Option<ChainHead>,
}

/// The newest digest of one chain (trail × account × region).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainHead {
    /// Its object key, when known (a closed chain's final digest is known only by its end).
    pub key: Option<String>,
    /// Its end (`digestEndTime`, the time in its key), Unix seconds.
    pub end_unix: i64,
}

/// Progress of the reads, for a progress bar.
pub trait Progress: Send + Sync {
    /// `n` more objects will be read.
    fn add_total(&self, n: u64);
    /// One object was read.
    fn advance(&self);
}

/// No progress shown.
pub struct NoProgress;

impl Progress for NoProgress {
    fn add_total(&self, _: u64) {}
    fn advance(&self) {}
}
