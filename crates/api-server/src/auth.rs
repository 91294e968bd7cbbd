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

/// Access keys by id, loaded from the catalog.
pub(crate) struct Keys {
    keys: HashMap<String, catalog::AccessKey>,
}

impl Keys {
    pub(crate) fn new(keys: Vec<catalog::AccessKey>) -> Keys {
        Keys {
            keys: keys
                .into_iter()
                .filter(|k| k.active)
                .map(|k| (k.access_key_id.clone(), k))
                .collect(),
        }
    }

    /// Verifies the request's signature for `service` and says who sent it.
    pub(crate) fn authenticate(
        &self,
        parts: &Parts,
        body: &[u8],
        service: &str,
        now: SystemTime,
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
        let lookup = |access_key_id: &str| {
            self.keys.get(access_key_id).map(|key| sigv4::Secret {
                secret_access_key: key.secret_access_key.clone(),
                principal: key.access_key_id.clone(),
            })
        };
        let options = sigv4::VerifyOptions {
            expected_service: service,
            allowed_skew: Duration::from_secs(15 * 60),
            uri_encoding: sigv4::UriEncoding::Normal,
        };
        let verified = sigv4::verify(&request, &lookup, now, &options).map_err(|err| {
            tracing::info!(error = %err, service, "authentication failed");
            ApiError::from_sigv4(&err)
        })?;
        let key = self
            .keys
            .get(&verified.access_key_id)
            .ok_or_else(|| ApiError::internal(&"verified key vanished"))?;
        Ok(caller_of(key, verified.region))
    }

    /// The caller a request claims to be (the access key in its `Authorization` credential),
    /// when that key is known: used to audit failed authentications.
    pub(crate) fn claimed_caller(&self, parts: &Parts) -> Option<Caller> {
        let authorization = parts.headers.get("authorization")?.to_str().ok()?;
        let credential = authorization.split("Credential=").nth(1)?;
        let mut scope = credential.split(['/', ',', ' ']);
        let access_key_id = scope.next()?;
        let _date = scope.next()?;
        let region =
            scope.next().filter(|r| cloudtrail_model::arn::is_region(r)).unwrap_or("us-east-1");
        self.keys.get(access_key_id).map(|key| caller_of(key, region.to_owned()))
    }
}
