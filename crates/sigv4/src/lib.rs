//! AWS Signature Version 4: verifying requests that AWS SDKs signed, and signing requests
//! for OpenTrail's own clients.
//!
//! The crate is pure.
//! It knows no HTTP library, reads neither the clock nor the filesystem, and spawns nothing.
//! The server hands [`verify`] a [`Request`] view of what it received, a
//! [`CredentialLookup`] for secrets and the current time.
//! The answer is either the [`Verified`] caller or an [`Error`], which maps to the error code,
//! HTTP status and message that AWS itself returns, both for JSON-protocol services
//! ([`Error::aws_code`]) and for the S3 REST/XML protocol ([`Error::s3_code`]).
//!
//! Both `Authorization`-header signatures and presigned URLs (query-string signatures) are
//! verified.
//! [`sign`] and [`presign_url`] produce the same signatures botocore does; the golden tests
//! in `tests/it/vectors.rs` check that byte for byte against `testdata/botocore-vectors.json`.
//!
//! What it is not:
//! - It does not check that a client-supplied `x-amz-content-sha256` matches the body.
//!   The caller passes [`BodyHash::Given`] only when it checks that itself (or when the
//!   value is `UNSIGNED-PAYLOAD`).
//! - It does not validate session tokens; a signed `x-amz-security-token` is handed back in
//!   [`Verified::security_token`] for the caller to check.
//! - It does not implement chunked `STREAMING-AWS4-HMAC-SHA256-PAYLOAD` uploads or SigV4a.

mod canonical;
mod error;
mod sign;
mod timestamp;
mod verify;

#[cfg(test)]
mod tests;

use std::time::Duration;

pub use crate::canonical::{canonical_request, string_to_sign};
pub use crate::error::{AuthLocation, CredentialProblem, Error, PresignProblem, Result};
pub use crate::sign::{Credentials, SigningParams, presign_url, sign, signature, signing_key};
pub use crate::verify::{CredentialLookup, Secret, Verified, VerifyOptions, verify};

/// The only signing algorithm SigV4 defines (`Authorization` prefix and `X-Amz-Algorithm`).
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// Payload hash placeholder used by presigned S3 URLs and by S3 clients that skip payload
/// signing.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

/// How far a request's date may be from the server's clock, as AWS allows.
pub const DEFAULT_ALLOWED_SKEW: Duration = Duration::from_secs(15 * 60);

/// Longest lifetime of a presigned URL (`X-Amz-Expires`), one week, as S3 enforces.
pub const PRESIGN_EXPIRES_MAX: Duration = Duration::from_secs(7 * 24 * 60 * 60);

const _: () = assert!(PRESIGN_EXPIRES_MAX.as_secs() == 604_800);
const _: () = assert!(DEFAULT_ALLOWED_SKEW.as_secs() < PRESIGN_EXPIRES_MAX.as_secs());

/// A received HTTP request, as far as SigV4 cares, independent of any HTTP library.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The method exactly as received, for example `POST`.
    pub method: &'a str,
    /// The raw path, still percent-encoded, exactly as received (no query, no fragment).
    pub path: &'a str,
    /// The raw query string without the leading `?`; empty when there is none.
    pub query: &'a str,
    /// Header names in any case; a name may repeat, in the order received.
    pub headers: &'a [(&'a str, &'a str)],
    /// Where the payload hash of the canonical request comes from.
    pub body_sha256: BodyHash<'a>,
}

/// The source of the hashed payload, the last line of the canonical request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyHash<'a> {
    /// Hash these body bytes (what every non-S3 service does).
    Compute(&'a [u8]),
    /// Use this value as the payload hash: the `x-amz-content-sha256` header of an S3
    /// request, including `UNSIGNED-PAYLOAD`.
    Given(&'a str),
}

impl<'a> BodyHash<'a> {
    /// The payload hash an S3 request signs: its `x-amz-content-sha256` header, else
    /// `UNSIGNED-PAYLOAD` (what presigned URLs sign).
    ///
    /// The caller must still compare a hex value with the body it reads.
    pub fn from_s3_headers(headers: &'a [(&'a str, &'a str)]) -> BodyHash<'a> {
        let given = headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case("x-amz-content-sha256"))
            .map_or(UNSIGNED_PAYLOAD, |(_, value)| *value);
        BodyHash::Given(given)
    }
}

/// How the canonical URI is derived from the raw path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UriEncoding {
    /// Every service but S3: remove dot segments and empty segments, then percent-encode the
    /// (already encoded) path a second time.
    Normal,
    /// S3: the path exactly as sent (encoded once by the client), no normalisation.
    S3,
}
