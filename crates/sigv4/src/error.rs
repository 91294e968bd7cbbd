//! Why a request failed SigV4 verification, and how AWS words that on the wire.
//!
//! `Display` is OpenTrail's own log wording (lower case, offending values in backticks).
//! The wire wording is AWS's, kept verbatim because SDKs and users match on it:
//! [`Error::aws_code`], [`Error::http_status`] and [`Error::aws_message`] for JSON-protocol
//! services (`cloudtrail`, `cloudtrail-data`), [`Error::s3_code`], [`Error::s3_http_status`]
//! and [`Error::s3_message`] for S3's REST/XML protocol.
//! Which of these strings were confirmed against real AWS responses is recorded next to
//! each one; the rest follow AWS's style but are unconfirmed.

use std::fmt;

/// Where a request carried its signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthLocation {
    /// The `Authorization` header.
    Header,
    /// The query string of a presigned URL (`X-Amz-Signature`).
    Query,
}

/// Result of this crate's operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A request that SigV4 verification rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// Neither an `Authorization` header nor presigned query parameters.
    #[error("request has neither an `authorization` header nor presigned query parameters")]
    MissingAuthentication,
    /// An `Authorization` header and presigned query parameters together.
    #[error("request has both an `authorization` header and presigned query parameters")]
    MultipleAuthMechanisms,
    /// More than one `Authorization` header.
    #[error("request has more than one `authorization` header")]
    DuplicateAuthorization,
    /// The algorithm is not `AWS4-HMAC-SHA256` (for example SigV2's `AWS key:sig`).
    #[error("unsupported signing algorithm `{algorithm}`")]
    UnsupportedAlgorithm {
        /// The algorithm the request named.
        algorithm: String,
        /// The whole `Authorization` header; empty for presigned URLs.
        authorization: String,
        /// Where the signature was.
        location: AuthLocation,
    },
    /// An `Authorization` header component without `=`.
    #[error("authorization header component `{component}` is not a key=value pair")]
    NotKeyValue {
        /// The offending component.
        component: String,
        /// The whole `Authorization` header.
        authorization: String,
    },
    /// `Credential`, `SignedHeaders`, `Signature` or a date header is missing.
    #[error("authorization header lacks {}", missing_list(self))]
    MissingComponents {
        /// No `Credential=`.
        credential: bool,
        /// No `SignedHeaders=`.
        signed_headers: bool,
        /// No `Signature=`.
        signature: bool,
        /// Neither `X-Amz-Date` nor `Date` header.
        date: bool,
        /// The whole `Authorization` header.
        authorization: String,
    },
    /// The credential is not `<key>/<yyyymmdd>/<region>/<service>/aws4_request`.
    #[error("malformed credential `{credential}`: {problem}")]
    MalformedCredential {
        /// The credential as received.
        credential: String,
        /// What is wrong with it.
        problem: CredentialProblem,
        /// Where the signature was.
        location: AuthLocation,
    },
    /// The credential scope names another service than this endpoint's.
    #[error("credential is scoped to service `{actual}`, expected `{expected}`")]
    WrongService {
        /// The service this endpoint verifies for.
        expected: String,
        /// The service in the credential scope.
        actual: String,
        /// Where the signature was.
        location: AuthLocation,
    },
    /// The credential scope's date is not the date part of the request date.
    #[error("credential date `{scope_date}` does not match request date `{request_date}`")]
    CredentialDateMismatch {
        /// The `YYYYMMDD` of the credential scope.
        scope_date: String,
        /// The request date, `YYYYMMDD'T'HHMMSS'Z'`.
        request_date: String,
        /// Where the signature was.
        location: AuthLocation,
    },
    /// `host` is not among the signed headers.
    #[error("the `host` header is not signed")]
    HostNotSigned {
        /// Where the signature was.
        location: AuthLocation,
    },
    /// Headers that must be signed when present (`x-amz-security-token`; every `x-amz-*`
    /// header for S3) are not.
    #[error("headers present but not signed: `{}`", names.join("`, `"))]
    HeadersNotSigned {
        /// The unsigned header names, lower case.
        names: Vec<String>,
    },
    /// The request date cannot be parsed.
    #[error("malformed request date `{value}`")]
    MalformedDate {
        /// The date as received.
        value: String,
        /// Where the signature was.
        location: AuthLocation,
    },
    /// The presigned URL's parameters are incomplete or invalid.
    #[error("malformed presigned url: {problem}")]
    MalformedPresign {
        /// What is wrong.
        problem: PresignProblem,
    },
    /// An S3 request signed in the `Authorization` header has no `x-amz-content-sha256`.
    #[error("s3 request lacks the `x-amz-content-sha256` header")]
    MissingContentSha256,
    /// The request date is further in the past than the allowed skew.
    #[error(
        "signature expired: request date `{request_date}` is before `{earliest}` (now `{now}` minus {skew_minutes} min)"
    )]
    SignatureExpired {
        /// The request date.
        request_date: String,
        /// The earliest date accepted.
        earliest: String,
        /// The server's time.
        now: String,
        /// The allowed skew in whole minutes.
        skew_minutes: u64,
    },
    /// The request date is further in the future than the allowed skew.
    #[error(
        "signature not yet current: request date `{request_date}` is after `{latest}` (now `{now}` plus {skew_minutes} min)"
    )]
    SignatureNotYetCurrent {
        /// The request date.
        request_date: String,
        /// The latest date accepted.
        latest: String,
        /// The server's time.
        now: String,
        /// The allowed skew in whole minutes.
        skew_minutes: u64,
    },
    /// A presigned URL used after `X-Amz-Date + X-Amz-Expires`.
    #[error("presigned url expired at `{expires_at}`, now `{now}`")]
    PresignExpired {
        /// When the URL stopped being valid.
        expires_at: String,
        /// The server's time.
        now: String,
        /// The URL's `X-Amz-Expires`.
        expires_secs: u64,
    },
    /// No secret is known for the access key id.
    #[error("unknown access key id `{access_key_id}`")]
    UnknownAccessKey {
        /// The access key id of the credential.
        access_key_id: String,
    },
    /// The signature differs from the one computed with the secret.
    #[error("signature does not match for access key id `{access_key_id}`")]
    SignatureMismatch {
        /// The access key id of the credential.
        access_key_id: String,
        /// The canonical request the server computed, for debugging clients.
        canonical_request: String,
        /// The string to sign the server computed.
        string_to_sign: String,
    },
}

/// What is wrong with a credential string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialProblem {
    /// Not five non-empty `/`-separated parts.
    Shape,
    /// The region is not one AWS has (`cloudtrail_model::regions`).
    Region,
    /// The last part is not `aws4_request`.
    Terminator,
}

impl fmt::Display for CredentialProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CredentialProblem::Shape => {
                "expected `<access key id>/<yyyymmdd>/<region>/<service>/aws4_request`"
            }
            CredentialProblem::Region => "invalid region",
            CredentialProblem::Terminator => "the terminator is not `aws4_request`",
        })
    }
}

/// What is wrong with a presigned URL's query parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PresignProblem {
    /// Required `X-Amz-*` parameters are absent.
    MissingParameters(Vec<&'static str>),
    /// `X-Amz-Expires` is not a number.
    ExpiresNotANumber(String),
    /// `X-Amz-Expires` is negative.
    ExpiresNegative(String),
    /// `X-Amz-Expires` is more than a week.
    ExpiresTooLarge(u64),
}

impl fmt::Display for PresignProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PresignProblem::MissingParameters(names) => {
                write!(f, "missing `{}`", names.join("`, `"))
            }
            PresignProblem::ExpiresNotANumber(value) => {
                write!(f, "`X-Amz-Expires` is not a number: `{value}`")
            }
            PresignProblem::ExpiresNegative(value) => {
                write!(f, "`X-Amz-Expires` is negative: `{value}`")
            }
            PresignProblem::ExpiresTooLarge(secs) => {
                write!(f, "`X-Amz-Expires` is more than 604800 seconds: `{secs}`")
            }
        }
    }
}

fn missing_list(error: &Error) -> String {
    let Error::MissingComponents { credential, signed_headers, signature, date, .. } = error else {
        return String::new();
    };
    let named = [
        (*credential, "`Credential`"),
        (*signed_headers, "`SignedHeaders`"),
        (*signature, "`Signature`"),
        (*date, "an `x-amz-date` or `date` header"),
    ];
    let missing: Vec<&str> =
        named.iter().filter(|(is_missing, _)| *is_missing).map(|(_, name)| *name).collect();
    missing.join(", ")
}

const INCOMPLETE_SIGNATURE: &str = "IncompleteSignatureException";
const INVALID_SIGNATURE: &str = "InvalidSignatureException";

/// S3's wording for every malformed `Authorization` header (confirmed).
const S3_HEADER_MALFORMED: &str = "The authorization header is malformed; the authorization header requires three components: Credential, SignedHeaders, and Signature.";
/// S3's wording for a missing or unusable date (confirmed).
const S3_DATE_REQUIRED: &str = "AWS authentication requires a valid Date or x-amz-date header";
/// S3's wording for unsigned `x-amz-*` headers (confirmed).
const S3_HEADERS_NOT_SIGNED: &str =
    "There were headers present in the request which were not signed";
/// Both mechanisms at once (believed, S3's wording).
const ONLY_ONE_MECHANISM: &str = "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified";

impl Error {
    /// The error code a JSON-protocol AWS service (CloudTrail, CloudTrail Data) returns in
    /// `__type` and `x-amzn-ErrorType`.
    pub fn aws_code(&self) -> &'static str {
        match self {
            Error::MissingAuthentication => "MissingAuthenticationTokenException",
            Error::UnknownAccessKey { .. } => "UnrecognizedClientException",
            Error::WrongService { .. }
            | Error::CredentialDateMismatch { .. }
            | Error::SignatureExpired { .. }
            | Error::SignatureNotYetCurrent { .. }
            | Error::PresignExpired { .. }
            | Error::SignatureMismatch { .. } => INVALID_SIGNATURE,
            Error::MultipleAuthMechanisms
            | Error::DuplicateAuthorization
            | Error::UnsupportedAlgorithm { .. }
            | Error::NotKeyValue { .. }
            | Error::MissingComponents { .. }
            | Error::MalformedCredential { .. }
            | Error::HostNotSigned { .. }
            | Error::HeadersNotSigned { .. }
            | Error::MalformedDate { .. }
            | Error::MalformedPresign { .. }
            | Error::MissingContentSha256 => INCOMPLETE_SIGNATURE,
        }
    }

    /// The HTTP status a JSON-protocol AWS service answers with.
    pub fn http_status(&self) -> u16 {
        match self {
            Error::MissingAuthentication => 403,
            _ => 400,
        }
    }

    /// The `message` a JSON-protocol AWS service returns, in AWS's own words.
    pub fn aws_message(&self) -> String {
        match self {
            // Confirmed for API Gateway fronted services (Lambda, EKS); DynamoDB words it
            // "Request is missing Authentication Token" with status 400.
            Error::MissingAuthentication => "Missing Authentication Token".to_owned(),
            Error::MultipleAuthMechanisms => ONLY_ONE_MECHANISM.to_owned(),
            // Believed.
            Error::DuplicateAuthorization => {
                "Only one Authorization header may be specified.".to_owned()
            }
            // Confirmed: AWS answers a non-SigV4 scheme (e.g. SigV2 `AWS key:sig`) by listing
            // the SigV4 components it could not find.
            Error::UnsupportedAlgorithm { authorization, location: AuthLocation::Header, .. } => {
                format!(
                    "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization={authorization}"
                )
            }
            // Believed (S3's wording).
            Error::UnsupportedAlgorithm { location: AuthLocation::Query, .. } => {
                "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"".to_owned()
            }
            // Confirmed.
            Error::NotKeyValue { component, authorization } => format!(
                "'{component}' not a valid key=value pair (missing equal-sign) in Authorization header: '{authorization}'."
            ),
            // Confirmed.
            Error::MissingComponents { credential, signed_headers, signature, date, authorization } => {
                let mut message = String::new();
                let required = [
                    (*credential, "Authorization header requires 'Credential' parameter. "),
                    (*signature, "Authorization header requires 'Signature' parameter. "),
                    (*signed_headers, "Authorization header requires 'SignedHeaders' parameter. "),
                    (*date, "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "),
                ];
                for (is_missing, sentence) in required {
                    if is_missing {
                        message.push_str(sentence);
                    }
                }
                message.push_str("Authorization=");
                message.push_str(authorization);
                message
            }
            // Believed.
            Error::MalformedCredential { credential, problem, .. } => match problem {
                CredentialProblem::Shape => format!(
                    "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '{credential}'"
                ),
                CredentialProblem::Region => {
                    "Credential should be scoped to a valid region. ".to_owned()
                }
                CredentialProblem::Terminator => format!(
                    "Credential should be scoped with a valid terminator: 'aws4_request', not '{}'. ",
                    credential.rsplit('/').next().unwrap_or_default()
                ),
            },
            // Confirmed, including the trailing space.
            Error::WrongService { expected, .. } => {
                format!("Credential should be scoped to correct service: '{expected}'. ")
            }
            // Believed.
            Error::CredentialDateMismatch { scope_date, request_date, .. } => format!(
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{scope_date}' != '{}', from '{request_date}'.",
                request_date.get(..8).unwrap_or(request_date)
            ),
            // Confirmed.
            Error::HostNotSigned { .. } => {
                "'Host' must be a 'SignedHeader' in the AWS Authorization.".to_owned()
            }
            // Believed (S3's wording).
            Error::HeadersNotSigned { .. } => S3_HEADERS_NOT_SIGNED.to_owned(),
            // Believed.
            Error::MalformedDate { value, location: AuthLocation::Header } => format!(
                "Date must be in ISO-8601 'basic format'. Got '{value}'. See http://en.wikipedia.org/wiki/ISO_8601"
            ),
            Error::MalformedDate { location: AuthLocation::Query, .. } => {
                "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"".to_owned()
            }
            Error::MalformedPresign { problem } => presign_message(problem),
            // Confirmed (S3).
            Error::MissingContentSha256 => {
                "Missing required header for this request: x-amz-content-sha256".to_owned()
            }
            // Confirmed.
            Error::SignatureExpired { request_date, earliest, now, skew_minutes } => format!(
                "Signature expired: {request_date} is now earlier than {earliest} ({now} - {skew_minutes} min.)"
            ),
            // Confirmed.
            Error::SignatureNotYetCurrent { request_date, latest, now, skew_minutes } => format!(
                "Signature not yet current: {request_date} is still later than {latest} ({now} + {skew_minutes} min.)"
            ),
            // Confirmed for S3; believed for JSON services.
            Error::PresignExpired { .. } => "Request has expired".to_owned(),
            // Confirmed.
            Error::UnknownAccessKey { .. } => {
                "The security token included in the request is invalid.".to_owned()
            }
            // Confirmed.
            Error::SignatureMismatch { .. } => "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.".to_owned(),
        }
    }

    /// The `<Code>` S3's REST/XML protocol returns.
    pub fn s3_code(&self) -> &'static str {
        match self {
            Error::MissingAuthentication
            | Error::HostNotSigned { .. }
            | Error::HeadersNotSigned { .. }
            | Error::PresignExpired { .. } => "AccessDenied",
            Error::MissingComponents {
                credential: false,
                signed_headers: false,
                signature: false,
                ..
            }
            | Error::MalformedDate { location: AuthLocation::Header, .. } => "AccessDenied",
            Error::MultipleAuthMechanisms => "InvalidArgument",
            Error::UnsupportedAlgorithm { location: AuthLocation::Header, .. }
            | Error::MissingContentSha256 => "InvalidRequest",
            Error::DuplicateAuthorization
            | Error::NotKeyValue { .. }
            | Error::MissingComponents { .. } => "AuthorizationHeaderMalformed",
            Error::MalformedCredential { location, .. }
            | Error::WrongService { location, .. }
            | Error::CredentialDateMismatch { location, .. } => match location {
                AuthLocation::Header => "AuthorizationHeaderMalformed",
                AuthLocation::Query => "AuthorizationQueryParametersError",
            },
            Error::UnsupportedAlgorithm { location: AuthLocation::Query, .. }
            | Error::MalformedDate { location: AuthLocation::Query, .. }
            | Error::MalformedPresign { .. } => "AuthorizationQueryParametersError",
            Error::SignatureExpired { .. } | Error::SignatureNotYetCurrent { .. } => {
                "RequestTimeTooSkewed"
            }
            Error::UnknownAccessKey { .. } => "InvalidAccessKeyId",
            Error::SignatureMismatch { .. } => "SignatureDoesNotMatch",
        }
    }

    /// The HTTP status S3 answers with.
    pub fn s3_http_status(&self) -> u16 {
        match self.s3_code() {
            "AccessDenied"
            | "RequestTimeTooSkewed"
            | "InvalidAccessKeyId"
            | "SignatureDoesNotMatch" => 403,
            _ => 400,
        }
    }

    /// The `<Message>` S3 returns, in S3's own words.
    pub fn s3_message(&self) -> String {
        match self {
            // Confirmed.
            Error::MissingAuthentication => "Access Denied".to_owned(),
            // Believed.
            Error::MultipleAuthMechanisms => ONLY_ONE_MECHANISM.to_owned(),
            // Confirmed.
            Error::UnsupportedAlgorithm { location: AuthLocation::Header, .. } => {
                "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.".to_owned()
            }
            // Believed.
            Error::UnsupportedAlgorithm { location: AuthLocation::Query, .. } => {
                "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"".to_owned()
            }
            // Confirmed.
            Error::MissingComponents { credential: false, signed_headers: false, signature: false, .. }
            | Error::MalformedDate { location: AuthLocation::Header, .. } => S3_DATE_REQUIRED.to_owned(),
            // Confirmed.
            Error::DuplicateAuthorization
            | Error::NotKeyValue { .. }
            | Error::MissingComponents { .. } => S3_HEADER_MALFORMED.to_owned(),
            // Confirmed (header); believed (query).
            Error::MalformedCredential { location, .. } => format!(
                "{}the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".",
                s3_prefix(*location)
            ),
            // Believed.
            Error::WrongService { actual, expected, location } => format!(
                "{}incorrect service \"{actual}\". This endpoint belongs to \"{expected}\".",
                s3_prefix(*location)
            ),
            // Believed.
            Error::CredentialDateMismatch { location, .. } => format!(
                "{}Invalid credential date. Date is not the same as X-Amz-Date.",
                s3_prefix(*location)
            ),
            // Confirmed for unsigned `x-amz-*` headers; believed for `host`.
            Error::HostNotSigned { .. } | Error::HeadersNotSigned { .. } => {
                S3_HEADERS_NOT_SIGNED.to_owned()
            }
            Error::MalformedDate { location: AuthLocation::Query, .. }
            | Error::MalformedPresign { .. } => self.aws_message(),
            // Confirmed.
            Error::MissingContentSha256 => self.aws_message(),
            // Confirmed.
            Error::SignatureExpired { .. } | Error::SignatureNotYetCurrent { .. } => {
                "The difference between the request time and the current time is too large.".to_owned()
            }
            // Confirmed.
            Error::PresignExpired { .. } => "Request has expired".to_owned(),
            // Confirmed.
            Error::UnknownAccessKey { .. } => {
                "The AWS Access Key Id you provided does not exist in our records.".to_owned()
            }
            // Confirmed.
            Error::SignatureMismatch { .. } => "The request signature we calculated does not match the signature you provided. Check your key and signing method.".to_owned(),
        }
    }
}

fn s3_prefix(location: AuthLocation) -> &'static str {
    match location {
        AuthLocation::Header => "The authorization header is malformed; ",
        AuthLocation::Query => "Error parsing the X-Amz-Credential parameter; ",
    }
}

fn presign_message(problem: &PresignProblem) -> String {
    match problem {
        // Believed.
        PresignProblem::MissingParameters(_) => "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.".to_owned(),
        // Believed.
        PresignProblem::ExpiresNotANumber(_) => "X-Amz-Expires should be a number".to_owned(),
        // Believed.
        PresignProblem::ExpiresNegative(_) => "X-Amz-Expires must be non-negative".to_owned(),
        // Confirmed.
        PresignProblem::ExpiresTooLarge(_) => "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds".to_owned(),
    }
}
