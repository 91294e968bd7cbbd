//! SigV4 authentication of requests against the access keys in the catalog.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use axum::http::request::Parts;

use crate::error::ApiError;

/// The authenticated caller of a request.
#[derive(Clone, Debug)]
pub struct Caller {
    pub access_key_id: String,
    pub account_id: String,
    pub principal_arn: String,
    /// `Root` or `IAMUser`.
    pub principal_type: String,
    pub principal_id: String,
    pub user_name: Option<String>,
    /// The region of the request's credential scope.
    pub region: String,
}

fn caller_of(key: &catalog::AccessKey, region: String) -> Caller {
    Caller {
        access_key_id: key.access_key_id.clone(),
        account_id: key.account_id.clone(),
        principal_arn: key.principal_arn.clone(),
        principal_type: key.principal_type.clone(),
        principal_id: key.principal_id.clone(),
        user_name: key.user_name.clone(),
        region,
    }
}

/// Access keys by id with the principal each one signs for.
pub(crate) struct Keys {
    keys: HashMap<String, catalog::AccessKey>,
    principals: HashMap<String, settings::Principal>,
}

impl Keys {
    /// The catalog's keys (the bootstrap's root and administrator) plus the configured ones.
    /// A catalog IAM user's policies are the AWS managed policies the catalog attaches to it
    /// (`policies_of`); a user without any may do nothing.
    pub(crate) fn new(
        catalog_keys: Vec<catalog::AccessKey>,
        policies_of: impl Fn(&catalog::AccessKey) -> Vec<settings::Policy>,
        config: Option<&settings::Settings>,
    ) -> Keys {
        let mut keys = HashMap::new();
        let mut principals = HashMap::new();
        for key in catalog_keys.into_iter().filter(|k| k.active) {
            let principal = if key.principal_type == "Root" {
                settings::Principal::root(&key.account_id)
            } else {
                settings::Principal {
                    principal_type: settings::PrincipalType::IamUser,
                    account_id: key.account_id.clone(),
                    arn: key.principal_arn.clone(),
                    principal_id: key.principal_id.clone(),
                    user_name: key.user_name.clone(),
                    policies: policies_of(&key),
                }
            };
            principals.insert(key.access_key_id.clone(), principal);
            keys.insert(key.access_key_id.clone(), key);
        }
        if let Some(config) = config {
            for entry in config.access_keys().into_iter().filter(|k| k.active) {
                if let Some(principal) = config.principal_for_access_key(&entry.access_key_id) {
                    principals.insert(entry.access_key_id.clone(), principal);
                }
                // The catalog's key and the configured key are one type.
                keys.insert(entry.access_key_id.clone(), entry);
            }
        }
        Keys { keys, principals }
    }

    /// The principal (with its policies) an authenticated caller acts as.
    pub(crate) fn principal(&self, access_key_id: &str) -> Option<&settings::Principal> {
        self.principals.get(access_key_id)
    }

    /// Verifies the request's signature for `service` and says who sent it; errors in AWS's
    /// JSON protocols' words.
    pub(crate) fn authenticate(
        &self,
        parts: &Parts,
        body: &[u8],
        service: &str,
        now: SystemTime,
    ) -> Result<Caller, ApiError> {
        self.authenticate_as(parts, body, service, now, ApiError::from_sigv4)
    }

    /// [`Keys::authenticate`] with the errors of AWS query services (STS): `InvalidClientTokenId`
    /// for an unknown key, `SignatureDoesNotMatch` for a wrong or stale signature (403),
    /// `IncompleteSignature` for a malformed one (400).
    pub(crate) fn authenticate_query(
        &self,
        parts: &Parts,
        body: &[u8],
        service: &str,
        now: SystemTime,
    ) -> Result<Caller, ApiError> {
        self.authenticate_as(parts, body, service, now, |err| {
            use axum::http::StatusCode;
            let (status, code, message) = match err {
                sigv4::Error::MissingAuthentication => (
                    StatusCode::FORBIDDEN,
                    "MissingAuthenticationToken",
                    "Request is missing Authentication Token".to_owned(),
                ),
                sigv4::Error::UnknownAccessKey { .. } => (
                    StatusCode::FORBIDDEN,
                    "InvalidClientTokenId",
                    "The security token included in the request is invalid.".to_owned(),
                ),
                _ if err.aws_code() == "InvalidSignatureException" => {
                    (StatusCode::FORBIDDEN, "SignatureDoesNotMatch", err.aws_message())
                }
                _ => (StatusCode::BAD_REQUEST, "IncompleteSignature", err.aws_message()),
            };
            ApiError::new(status, code, message)
        })
    }

    fn authenticate_as(
        &self,
        parts: &Parts,
        body: &[u8],
        service: &str,
        now: SystemTime,
        answer: impl Fn(&sigv4::Error) -> ApiError,
    ) -> Result<Caller, ApiError> {
        let mut headers: Vec<(&str, &str)> = Vec::with_capacity(parts.headers.len());
        for (name, value) in &parts.headers {
            let value = value.to_str().map_err(|_| {
                ApiError::bad_request(
                    "IncompleteSignatureException",
                    format!("header `{name}` is not valid text"),
                )
            })?;
            headers.push((name.as_str(), value));
        }
        let request = sigv4::Request {
            method: parts.method.as_str(),
            path: parts.uri.path(),
            query: parts.uri.query().unwrap_or(""),
            headers: &headers,
            body_sha256: sigv4::BodyHash::Compute(body),
        };
        self.verify(&request, service, sigv4::UriEncoding::Normal, now).map_err(|err| {
            tracing::info!(error = %err, service, "authentication failed");
            answer(&err)
        })
    }

    /// Checks `request`'s signature against the known keys; the caller it names.
    fn verify(
        &self,
        request: &sigv4::Request<'_>,
        service: &str,
        uri_encoding: sigv4::UriEncoding,
        now: SystemTime,
    ) -> Result<Caller, sigv4::Error> {
        let lookup = |access_key_id: &str| {
            self.keys.get(access_key_id).map(|key| sigv4::Secret {
                secret_access_key: key.secret_access_key.clone(),
                principal: key.access_key_id.clone(),
            })
        };
        let options = sigv4::VerifyOptions {
            expected_service: service,
            allowed_skew: Duration::from_secs(15 * 60),
            uri_encoding,
        };
        let verified = sigv4::verify(request, &lookup, now, &options)?;
        // A key verified a moment ago is still there: keys change only at restart.
        let key =
            self.keys.get(&verified.access_key_id).ok_or(sigv4::Error::MissingAuthentication)?;
        Ok(caller_of(key, verified.region))
    }

    /// Verifies an S3 request (header or presigned-URL SigV4 for `service`, S3's URI encoding
    /// and payload-hash header); errors keep sigv4's S3 codes for the XML answer.
    pub(crate) fn authenticate_s3(
        &self,
        parts: &Parts,
        service: &str,
        now: SystemTime,
    ) -> Result<Caller, sigv4::Error> {
        let headers: Vec<(&str, &str)> = parts
            .headers
            .iter()
            .filter_map(|(name, value)| value.to_str().ok().map(|v| (name.as_str(), v)))
            .collect();
        let request = sigv4::Request {
            method: parts.method.as_str(),
            path: parts.uri.path(),
            query: parts.uri.query().unwrap_or(""),
            headers: &headers,
            body_sha256: sigv4::BodyHash::from_s3_headers(&headers),
        };
        self.verify(&request, service, sigv4::UriEncoding::S3, now)
    }
}
