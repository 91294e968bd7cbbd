//! CloudTrail records as typed, lossless Rust: parse any record, keep every member, its order
//! and the exact text of its numbers, validate it for ingest, and write it back unchanged.
//!
//! This crate does no IO and depends on neither tokio nor the filesystem. It is not a
//! general JSON library: [`json`] exists so that records round-trip exactly.
//!
//! - [`record`]: [`Record`], [`UserIdentity`] and the other documented shapes, [`LogFile`].
//! - [`validate`]: ingest rules with JSON-path error messages.
//! - [`arn`], [`ids`], [`time`]: ARNs, event ids, `eventTime`.
//! - [`classify`]: read-only and category classification.
//! - [`api_call`]: the self-audit record of one of OpenTrail's API calls.
//! - [`integration`]: integration events (PutAuditEvents): their rules and Lake record.
//! - [`s3_keys`]: the S3 key layout of delivered log files and digests.
//! - [`limits`]: every bound, named.

pub mod api_call;
pub mod arn;
pub mod classify;
pub mod ids;
pub mod integration;
pub mod json;
pub mod limits;
pub mod record;
pub mod regions;
pub mod s3_keys;
pub mod time;
mod typed;
pub mod validate;

pub use arn::Arn;
pub use ids::EventId;
pub use record::{
    Addendum, EventCategory, EventType, EventVersion, IdentityType, InScopeOf, InsightDetails,
    LogFile, OnBehalfOf, Record, Resource, SessionAttributes, SessionContext, SessionIssuer,
    TlsDetails, UserIdentity, WebIdFederationData,
};
pub use time::EventTime;
pub use typed::{Field, FromJson, ToJson};
pub use validate::{
    Invalid, Rule, ValidationError, parse_and_validate, validate, validate_encoded,
};
