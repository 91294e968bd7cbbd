//! Verification of SigV4-signed requests, signed either in the `Authorization` header or in
//! the query string of a presigned URL.
//!
//! The checks run in a fixed order, cheapest and least secret first: the shape of the
//! authentication data, the credential scope (service, date), which headers are signed, the
//! clock, and only then the secret lookup and the signature, compared in constant time.

use std::collections::HashMap;
use std::fmt;
use std::hash::BuildHasher;
use std::time::{Duration, SystemTime};

use subtle::ConstantTimeEq;

use crate::canonical::{canonical_request, query_pairs, string_to_sign};
use crate::error::{AuthLocation, CredentialProblem, Error, PresignProblem, Result};
use crate::sign::{signature, signing_key};
use crate::timestamp::{format_amz_date, parse_amz_date, parse_http_date, unix_seconds};
use crate::{ALGORITHM, DEFAULT_ALLOWED_SKEW, PRESIGN_EXPIRES_MAX, Request, UriEncoding};

/// The secret behind an access key id, and who it belongs to.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret {
    /// The secret access key.
    pub secret_access_key: String,
    /// An opaque id of the principal the key belongs to, returned in [`Verified`].
    pub principal: String,
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Secret")
            .field("secret_access_key", &"<redacted>")
            .field("principal", &self.principal)
            .finish()
    }
}

/// Finds the secret for an access key id.
pub trait CredentialLookup {
    /// The secret of `access_key_id`, or `None` when the key is unknown.
    fn secret_for(&self, access_key_id: &str) -> Option<Secret>;
}

impl<F> CredentialLookup for F
where
    F: Fn(&str) -> Option<Secret>,
{
    fn secret_for(&self, access_key_id: &str) -> Option<Secret> {
        self(access_key_id)
    }
}

impl<S: BuildHasher> CredentialLookup for HashMap<String, Secret, S> {
    fn secret_for(&self, access_key_id: &str) -> Option<Secret> {
        self.get(access_key_id).cloned()
    }
}

/// What a verifier expects of requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifyOptions<'a> {
    /// The service every credential scope must name: `cloudtrail`, `cloudtrail-data`,
    /// `opentrail` or `s3`.
    pub expected_service: &'a str,
    /// How far the request date may be from `now`, either way.
    pub allowed_skew: Duration,
    /// How the canonical URI is built.
    /// [`UriEncoding::S3`] also turns on S3's header rules: header-signed requests must carry
    /// `x-amz-content-sha256`, and every `x-amz-*` header present must be signed.
    pub uri_encoding: UriEncoding,
}

impl<'a> VerifyOptions<'a> {
    /// Options for `expected_service` with AWS's 15 minute skew and non-S3 URI encoding.
    pub fn new(expected_service: &'a str) -> VerifyOptions<'a> {
        VerifyOptions {
            expected_service,
            allowed_skew: DEFAULT_ALLOWED_SKEW,
            uri_encoding: UriEncoding::Normal,
        }
    }
}

/// The caller of a request whose signature checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The access key id that signed the request.
    pub access_key_id: String,
    /// The principal [`CredentialLookup`] returned for the key.
    pub principal: String,
    /// The region of the credential scope: the request's region.
    pub region: String,
    /// The service of the credential scope.
    pub service: String,
    /// The request date, `YYYYMMDD'T'HHMMSS'Z'`.
    pub date: String,
    /// The signed header names, lower case, in the order the client listed them.
    pub signed_headers: Vec<String>,
    /// The `x-amz-security-token` the request carried (always covered by the signature).
    pub security_token: Option<String>,
    /// Where the signature was.
    pub location: AuthLocation,
}

/// Verifies `request`'s SigV4 signature at time `now`.
///
/// # Errors
///
/// Every rejection is an [`Error`]; it tells the caller which AWS error to answer with.
/// When several things are wrong, the first check in this order decides: authentication
/// present and well-formed, credential scope (service, then date), `host` and the headers
/// that must be signed, the clock (skew, presigned expiry), the access key, the signature.
pub fn verify(
    request: &Request<'_>,
    credentials: &dyn CredentialLookup,
    now: SystemTime,
    options: &VerifyOptions<'_>,
) -> Result<Verified> {
    let query_params: Vec<(Vec<u8>, Vec<u8>)> = query_pairs(request.query).collect();
    let presigned = query_params.iter().any(|(key, _)| {
        [&b"X-Amz-Algorithm"[..], b"X-Amz-Credential", b"X-Amz-Signature"].contains(&key.as_slice())
    });
    let authorizations: Vec<&str> = header_values(request.headers, "authorization").collect();
    let claim = match (authorizations.as_slice(), presigned) {
        ([], false) => return Err(Error::MissingAuthentication),
        ([], true) => parse_query_claim(&query_params)?,
        ([_, ..], true) => return Err(Error::MultipleAuthMechanisms),
        ([authorization], false) => parse_header_claim(request.headers, authorization)?,
        ([_, _, ..], false) => return Err(Error::DuplicateAuthorization),
    };
    check_scope_and_headers(&claim, request, options)?;
    check_clock(&claim, unix_seconds(now), options.allowed_skew)?;

    let scope = &claim.scope;
    let secret = credentials
        .secret_for(&scope.access_key_id)
        .ok_or_else(|| Error::UnknownAccessKey { access_key_id: scope.access_key_id.clone() })?;
    let signed_headers: Vec<&str> = claim.signed_headers.iter().map(String::as_str).collect();
    let canonical = canonical_request(request, &signed_headers, options.uri_encoding);
    let credential_scope =
        format!("{}/{}/{}/aws4_request", scope.date, scope.region, scope.service);
    let string_to_sign = string_to_sign(&claim.amz_date, &credential_scope, &canonical);
    let key = signing_key(&secret.secret_access_key, &scope.date, &scope.region, &scope.service);
    let expected = signature(&key, &string_to_sign);
    if !bool::from(expected.as_bytes().ct_eq(claim.signature.as_bytes())) {
        return Err(Error::SignatureMismatch {
            access_key_id: scope.access_key_id.clone(),
            canonical_request: canonical,
            string_to_sign,
        });
    }

    let Claim { scope, signed_headers, amz_date, security_token, location, .. } = claim;
    Ok(Verified {
        access_key_id: scope.access_key_id,
        principal: secret.principal,
        region: scope.region,
        service: scope.service,
        date: amz_date,
        signed_headers,
        security_token,
        location,
    })
}

/// The authentication data a request claims, before any check against secrets or the
/// clock.
#[derive(Debug)]
struct Claim {
    location: AuthLocation,
    scope: Scope,
    /// Lower case, in the client's order.
    signed_headers: Vec<String>,
    signature: String,
    /// `YYYYMMDD'T'HHMMSS'Z'`, converted when the request used an HTTP `Date` header.
    amz_date: String,
    request_unix: i64,
    /// `X-Amz-Expires` of a presigned URL.
    expires_secs: Option<u64>,
    security_token: Option<String>,
}

#[derive(Debug)]
struct Scope {
    access_key_id: String,
    date: String,
    region: String,
    service: String,
}

fn parse_header_claim(headers: &[(&str, &str)], authorization: &str) -> Result<Claim> {
    let trimmed = authorization.trim();
    let (algorithm, components) =
        trimmed.split_once(|c: char| c.is_ascii_whitespace()).unwrap_or((trimmed, ""));
    if algorithm != ALGORITHM {
        return Err(Error::UnsupportedAlgorithm {
            algorithm: algorithm.to_owned(),
            authorization: authorization.to_owned(),
            location: AuthLocation::Header,
        });
    }
    let mut credential = None;
    let mut signed_headers = None;
    let mut signature = None;
    // AWS separates components by commas and whitespace alike, so `Credential= AKID/...`
    // is the component `Credential=` followed by a component without `=`.
    let separator = |c: char| c == ',' || c.is_ascii_whitespace();
    for component in components.split(separator).filter(|component| !component.is_empty()) {
        let Some((key, value)) = component.split_once('=') else {
            return Err(Error::NotKeyValue {
                component: component.to_owned(),
                authorization: authorization.to_owned(),
            });
        };
        let slot = match key {
            "Credential" => &mut credential,
            "SignedHeaders" => &mut signed_headers,
            "Signature" => &mut signature,
            _ => continue,
        };
        slot.get_or_insert(value);
    }
    // AWS takes `X-Amz-Date` when present and only then falls back to `Date`.
    let amz_date_header = header_values(headers, "x-amz-date").next();
    let date = amz_date_header.or_else(|| header_values(headers, "date").next());
    let (Some(credential), Some(signed_headers), Some(signature), Some(date)) =
        (credential, signed_headers, signature, date)
    else {
        return Err(Error::MissingComponents {
            credential: credential.is_none(),
            signed_headers: signed_headers.is_none(),
            signature: signature.is_none(),
            date: date.is_none(),
            authorization: authorization.to_owned(),
        });
    };
    let parse_date = if amz_date_header.is_some() { parse_amz_date } else { parse_http_date };
    let Some(request_unix) = parse_date(date) else {
        return Err(Error::MalformedDate {
            value: date.to_owned(),
            location: AuthLocation::Header,
        });
    };
    Ok(Claim {
        location: AuthLocation::Header,
        scope: parse_scope(credential, AuthLocation::Header)?,
        signed_headers: split_signed_headers(signed_headers),
        signature: signature.to_owned(),
        amz_date: format_amz_date(request_unix),
        request_unix,
        expires_secs: None,
        security_token: header_values(headers, "x-amz-security-token").next().map(str::to_owned),
    })
}

const PRESIGN_PARAMETERS: [&str; 6] = [
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Signature",
    "X-Amz-Date",
    "X-Amz-SignedHeaders",
    "X-Amz-Expires",
];

fn parse_query_claim(params: &[(Vec<u8>, Vec<u8>)]) -> Result<Claim> {
    // Values are decoded bytes; anything that is not UTF-8 is replaced and then fails the
    // checks below or the signature comparison, never a panic.
    let param = |name: &str| {
        params
            .iter()
            .find(|(key, _)| key.as_slice() == name.as_bytes())
            .map(|(_, value)| String::from_utf8_lossy(value).into_owned())
    };
    let [algorithm, credential, signature, date, signed_headers, expires] =
        PRESIGN_PARAMETERS.map(param);
    let (
        Some(algorithm),
        Some(credential),
        Some(signature),
        Some(date),
        Some(signed_headers),
        Some(expires),
    ) = (algorithm, credential, signature, date, signed_headers, expires)
    else {
        let missing = PRESIGN_PARAMETERS.into_iter().filter(|name| param(name).is_none()).collect();
        return Err(Error::MalformedPresign {
            problem: PresignProblem::MissingParameters(missing),
        });
    };
    if algorithm != ALGORITHM {
        return Err(Error::UnsupportedAlgorithm {
            algorithm,
            authorization: String::new(),
            location: AuthLocation::Query,
        });
    }
    let Some(request_unix) = parse_amz_date(&date) else {
        return Err(Error::MalformedDate { value: date, location: AuthLocation::Query });
    };
    let expires_secs = parse_expires(&expires)?;
    Ok(Claim {
        location: AuthLocation::Query,
        scope: parse_scope(&credential, AuthLocation::Query)?,
        signed_headers: split_signed_headers(&signed_headers),
        signature,
        amz_date: date,
        request_unix,
        expires_secs: Some(expires_secs),
        security_token: param("X-Amz-Security-Token"),
    })
}

fn parse_expires(expires: &str) -> Result<u64> {
    let problem = if let Some(digits) = expires.strip_prefix('-') {
        if !digits.is_empty() && digits.bytes().all(|byte| byte.is_ascii_digit()) {
            PresignProblem::ExpiresNegative(expires.to_owned())
        } else {
            PresignProblem::ExpiresNotANumber(expires.to_owned())
        }
    } else if expires.is_empty() || !expires.bytes().all(|byte| byte.is_ascii_digit()) {
        PresignProblem::ExpiresNotANumber(expires.to_owned())
    } else {
        // All digits: only overflow can fail, and an overflowing value is too large anyway.
        let secs = expires.parse::<u64>().unwrap_or(u64::MAX);
        if secs <= PRESIGN_EXPIRES_MAX.as_secs() {
            return Ok(secs);
        }
        PresignProblem::ExpiresTooLarge(secs)
    };
    Err(Error::MalformedPresign { problem })
}

fn parse_scope(credential: &str, location: AuthLocation) -> Result<Scope> {
    let malformed = |problem| Error::MalformedCredential {
        credential: credential.to_owned(),
        problem,
        location,
    };
    let parts: Vec<&str> = credential.split('/').collect();
    let [access_key_id, date, region, service, terminator] = parts.as_slice() else {
        return Err(malformed(CredentialProblem::Shape));
    };
    if [access_key_id, date, region, service, terminator].iter().any(|part| part.is_empty()) {
        return Err(malformed(CredentialProblem::Shape));
    }
    if *terminator != "aws4_request" {
        return Err(malformed(CredentialProblem::Terminator));
    }
    // A region AWS has: an invented one would open quotas kept per region (trails per region).
    if !cloudtrail_model::regions::is_known(region) {
        return Err(malformed(CredentialProblem::Region));
    }
    Ok(Scope {
        access_key_id: (*access_key_id).to_owned(),
        date: (*date).to_owned(),
        region: (*region).to_owned(),
        service: (*service).to_owned(),
    })
}

fn split_signed_headers(signed_headers: &str) -> Vec<String> {
    signed_headers.split(';').map(str::to_ascii_lowercase).collect()
}

fn check_scope_and_headers(
    claim: &Claim,
    request: &Request<'_>,
    options: &VerifyOptions<'_>,
) -> Result<()> {
    let location = claim.location;
    if claim.scope.service != options.expected_service {
        return Err(Error::WrongService {
            expected: options.expected_service.to_owned(),
            actual: claim.scope.service.clone(),
            location,
        });
    }
    if claim.amz_date.get(..8) != Some(claim.scope.date.as_str()) {
        return Err(Error::CredentialDateMismatch {
            scope_date: claim.scope.date.clone(),
            request_date: claim.amz_date.clone(),
            location,
        });
    }
    if !claim.signed_headers.iter().any(|name| name == "host") {
        return Err(Error::HostNotSigned { location });
    }
    let s3 = options.uri_encoding == UriEncoding::S3;
    if s3
        && location == AuthLocation::Header
        && header_values(request.headers, "x-amz-content-sha256").next().is_none()
    {
        return Err(Error::MissingContentSha256);
    }
    let mut unsigned: Vec<String> = Vec::new();
    for (name, _) in request.headers {
        let name = name.to_ascii_lowercase();
        let must_sign = (name == "x-amz-security-token" && location == AuthLocation::Header)
            || (s3 && name.starts_with("x-amz-"));
        if must_sign && !claim.signed_headers.contains(&name) && !unsigned.contains(&name) {
            unsigned.push(name);
        }
    }
    if !unsigned.is_empty() {
        return Err(Error::HeadersNotSigned { names: unsigned });
    }
    Ok(())
}

fn check_clock(claim: &Claim, now_unix: i64, allowed_skew: Duration) -> Result<()> {
    let skew_secs = i64::try_from(allowed_skew.as_secs()).unwrap_or(i64::MAX);
    let skew_minutes = allowed_skew.as_secs() / 60;
    let latest = now_unix.saturating_add(skew_secs);
    if claim.request_unix > latest {
        return Err(Error::SignatureNotYetCurrent {
            request_date: claim.amz_date.clone(),
            latest: format_amz_date(latest),
            now: format_amz_date(now_unix),
            skew_minutes,
        });
    }
    match claim.expires_secs {
        // A presigned URL may be used long after it was signed, until it expires.
        Some(expires_secs) => {
            let expires_at =
                claim.request_unix.saturating_add(i64::try_from(expires_secs).unwrap_or(i64::MAX));
            if now_unix > expires_at {
                return Err(Error::PresignExpired {
                    expires_at: format_amz_date(expires_at),
                    now: format_amz_date(now_unix),
                    expires_secs,
                });
            }
        }
        None => {
            let earliest = now_unix.saturating_sub(skew_secs);
            if claim.request_unix < earliest {
                return Err(Error::SignatureExpired {
                    request_date: claim.amz_date.clone(),
                    earliest: format_amz_date(earliest),
                    now: format_amz_date(now_unix),
                    skew_minutes,
                });
            }
        }
    }
    Ok(())
}

fn header_values<'h>(
    headers: &'h [(&'h str, &'h str)],
    name: &'h str,
) -> impl Iterator<Item = &'h str> + 'h {
    headers
        .iter()
        .filter(move |(header_name, _)| header_name.eq_ignore_ascii_case(name))
        .map(|(_, value)| *value)
}
