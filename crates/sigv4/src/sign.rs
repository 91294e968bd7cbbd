//! Signing requests and presigning URLs, for OpenTrail's own test clients and benchmarks.
//!
//! The output matches botocore's `SigV4Auth`, `S3SigV4Auth` and `S3SigV4QueryAuth`:
//! the same headers are added and signed, so the same inputs give the same signature.

use std::fmt;
use std::time::{Duration, SystemTime};

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::canonical::{KeepSlash, canonical_request, push_percent_encoded, string_to_sign};
use crate::timestamp::{format_amz_date, unix_seconds};
use crate::{ALGORITHM, BodyHash, PRESIGN_EXPIRES_MAX, Request, UNSIGNED_PAYLOAD, UriEncoding};

/// Headers a signer never signs: hop-by-hop headers, ones proxies rewrite, and
/// `authorization` itself (botocore's `SIGNED_HEADERS_BLACKLIST` plus `authorization`).
const UNSIGNED_HEADERS: [&str; 12] = [
    "authorization",
    "connection",
    "expect",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "user-agent",
    "x-amzn-trace-id",
];

/// An access key with its secret and, for temporary credentials, a session token.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The access key id, for example `AKIDEXAMPLE`.
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: String,
    /// The session token of temporary credentials.
    pub session_token: Option<String>,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field("session_token", &self.session_token.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// Who signs, for which region and service, and when.
#[derive(Debug, Clone, Copy)]
pub struct SigningParams<'a> {
    /// The signing credentials.
    pub credentials: &'a Credentials,
    /// The region of the credential scope, for example `eu-west-1`.
    pub region: &'a str,
    /// The service of the credential scope, for example `cloudtrail`.
    pub service: &'a str,
    /// The signing time, which becomes `X-Amz-Date`.
    pub now: SystemTime,
    /// How the canonical URI is built; [`UriEncoding::S3`] also adds
    /// `x-amz-content-sha256`, as S3 requires.
    pub uri_encoding: UriEncoding,
}

/// Signs a request in place: adds `x-amz-date`, `x-amz-security-token` (temporary
/// credentials), `x-amz-content-sha256` (S3) and `authorization`, replacing earlier ones.
///
/// `path` and `query` are as they will be sent (already percent-encoded).
/// Every header is signed except hop-by-hop ones and `user-agent`.
///
/// # Panics
///
/// If `headers` has no `host` header: a request without one cannot be signed.
pub fn sign(
    headers: &mut Vec<(String, String)>,
    method: &str,
    path: &str,
    query: &str,
    body: &[u8],
    params: &SigningParams<'_>,
) {
    let s3 = params.uri_encoding == UriEncoding::S3;
    let replaced: &[&str] = if s3 {
        &["authorization", "x-amz-date", "x-amz-security-token", "x-amz-content-sha256"]
    } else {
        &["authorization", "x-amz-date", "x-amz-security-token"]
    };
    headers
        .retain(|(name, _)| !replaced.iter().any(|replaced| name.eq_ignore_ascii_case(replaced)));
    let amz_date = format_amz_date(unix_seconds(params.now));
    headers.push(("x-amz-date".to_owned(), amz_date.clone()));
    if let Some(session_token) = &params.credentials.session_token {
        headers.push(("x-amz-security-token".to_owned(), session_token.clone()));
    }
    let payload_hash = hex::encode(Sha256::digest(body));
    if s3 {
        headers.push(("x-amz-content-sha256".to_owned(), payload_hash.clone()));
    }

    let mut signed_headers: Vec<String> = headers
        .iter()
        .map(|(name, _)| name.to_ascii_lowercase())
        .filter(|name| !UNSIGNED_HEADERS.contains(&name.as_str()))
        .collect();
    signed_headers.sort_unstable();
    signed_headers.dedup();
    assert!(
        signed_headers.iter().any(|name| name == "host"),
        "sign needs a `host` header among `{headers:?}`"
    );

    let header_refs: Vec<(&str, &str)> =
        headers.iter().map(|(name, value)| (name.as_str(), value.as_str())).collect();
    let signed_refs: Vec<&str> = signed_headers.iter().map(String::as_str).collect();
    let request = Request {
        method,
        path,
        query,
        headers: &header_refs,
        body_sha256: BodyHash::Given(&payload_hash),
    };
    let credential_scope = credential_scope(&amz_date, params);
    let canonical = canonical_request(&request, &signed_refs, params.uri_encoding);
    let string_to_sign = string_to_sign(&amz_date, &credential_scope, &canonical);
    let signature = signature(&signing_key_for(&amz_date, params), &string_to_sign);
    let authorization = format!(
        "{ALGORITHM} Credential={}/{credential_scope}, SignedHeaders={}, Signature={signature}",
        params.credentials.access_key_id,
        signed_refs.join(";")
    );
    headers.push(("authorization".to_owned(), authorization));
}

/// A presigned URL, as botocore's `generate_presigned_url` makes for S3 `GetObject`:
/// `{endpoint}{path}?{query&}X-Amz-Algorithm=…&X-Amz-Signature=…`, signing only `host`.
///
/// `endpoint` is `scheme://authority` (for example `http://127.0.0.1:9000`), whose authority
/// is the `host` header the URL will be fetched with; `path` and `query` are percent-encoded.
/// The payload is `UNSIGNED-PAYLOAD` for S3 and the empty body otherwise.
///
/// # Panics
///
/// If `expires` exceeds [`PRESIGN_EXPIRES_MAX`], which no AWS service accepts.
pub fn presign_url(
    endpoint: &str,
    method: &str,
    path: &str,
    query: &str,
    expires: Duration,
    params: &SigningParams<'_>,
) -> String {
    assert!(expires <= PRESIGN_EXPIRES_MAX, "presign expiry `{expires:?}` is more than a week");
    let endpoint = endpoint.trim_end_matches('/');
    let host = endpoint.split_once("://").map_or(endpoint, |(_, authority)| authority);
    let amz_date = format_amz_date(unix_seconds(params.now));
    let credential_scope = credential_scope(&amz_date, params);
    let credential = format!("{}/{credential_scope}", params.credentials.access_key_id);
    let expires_secs = expires.as_secs().to_string();

    let mut presigned_query = query.to_owned();
    let mut auth_params = vec![
        ("X-Amz-Algorithm", ALGORITHM),
        ("X-Amz-Credential", credential.as_str()),
        ("X-Amz-Date", amz_date.as_str()),
        ("X-Amz-Expires", expires_secs.as_str()),
        ("X-Amz-SignedHeaders", "host"),
    ];
    if let Some(session_token) = &params.credentials.session_token {
        auth_params.push(("X-Amz-Security-Token", session_token.as_str()));
    }
    for (key, value) in auth_params {
        if !presigned_query.is_empty() {
            presigned_query.push('&');
        }
        presigned_query.push_str(key);
        presigned_query.push('=');
        push_percent_encoded(&mut presigned_query, value.as_bytes(), KeepSlash::No);
    }

    let empty_body_hash;
    let payload_hash = match params.uri_encoding {
        UriEncoding::S3 => UNSIGNED_PAYLOAD,
        UriEncoding::Normal => {
            empty_body_hash = hex::encode(Sha256::digest(b""));
            empty_body_hash.as_str()
        }
    };
    let headers = [("host", host)];
    let request = Request {
        method,
        path,
        query: &presigned_query,
        headers: &headers,
        body_sha256: BodyHash::Given(payload_hash),
    };
    let canonical = canonical_request(&request, &["host"], params.uri_encoding);
    let string_to_sign = string_to_sign(&amz_date, &credential_scope, &canonical);
    let signature = signature(&signing_key_for(&amz_date, params), &string_to_sign);
    format!("{endpoint}{path}?{presigned_query}&X-Amz-Signature={signature}")
}

/// The SigV4 signing key: `HMAC("AWS4" + secret, date)`, then region, service and
/// `aws4_request`.
pub fn signing_key(secret_access_key: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
    let k_secret = format!("AWS4{secret_access_key}");
    let k_date = hmac_sha256(k_secret.as_bytes(), date.as_bytes());
    let k_region = hmac_sha256(&k_date, region.as_bytes());
    let k_service = hmac_sha256(&k_region, service.as_bytes());
    hmac_sha256(&k_service, b"aws4_request")
}

/// The lower-case hex signature of `string_to_sign` under `signing_key`.
pub fn signature(signing_key: &[u8; 32], string_to_sign: &str) -> String {
    hex::encode(hmac_sha256(signing_key, string_to_sign.as_bytes()))
}

fn credential_scope(amz_date: &str, params: &SigningParams<'_>) -> String {
    format!("{}/{}/{}/aws4_request", date_part(amz_date), params.region, params.service)
}

fn signing_key_for(amz_date: &str, params: &SigningParams<'_>) -> [u8; 32] {
    signing_key(
        &params.credentials.secret_access_key,
        date_part(amz_date),
        params.region,
        params.service,
    )
}

fn date_part(amz_date: &str) -> &str {
    amz_date.get(..8).unwrap_or(amz_date)
}

fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("hmac accepts keys of any length");
    mac.update(message);
    mac.finalize().into_bytes().into()
}
