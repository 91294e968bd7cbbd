//! The wire protocols of [`super::Service`]s: how a request names its operation and carries its
//! members, how an answer and an error are framed.
//!
//! Today: AWS JSON 1.1 (CloudTrail, CloudWatch Logs) and REST with JSON bodies (CloudTrail
//! Data). AWS query (form-encoded `Action=` with XML answers: STS, IAM, SNS) and Smithy RPC v2
//! CBOR (CloudWatch) are one more variant each, added with the first service that speaks them.
//! S3's REST-XML is served by `s3.rs` on its own path so far.

use std::borrow::Cow;

use axum::extract::Request;
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

/// A service's protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Protocol {
    /// AWS JSON 1.1: `POST` to any path, the operation in `X-Amz-Target` after
    /// `target_prefix` (or its short form), members as one JSON object; answers
    /// `application/x-amz-json-1.1`, errors as `{"__type", "message"}` with `x-amzn-ErrorType`.
    AwsJson11 { target_prefix: &'static str },
    /// REST with JSON bodies: the route names the operation, the handler reads the body and
    /// query; answers `application/json`, errors in AWS's JSON error shape.
    RestJson,
}

impl Protocol {
    /// Whether `request` is framed for this protocol's service (protocols whose routes name
    /// the operation are never found this way).
    pub(crate) fn addresses(&self, request: &Request) -> bool {
        match self {
            Protocol::AwsJson11 { target_prefix } => {
                request.method() == Method::POST
                    && request
                        .headers()
                        .get("x-amz-target")
                        .and_then(|v| v.to_str().ok())
                        .is_some_and(|target| awsjson::addresses(target, target_prefix))
            }
            Protocol::RestJson => false,
        }
    }

    /// The operation a request names.
    pub(crate) fn operation(
        &self,
        parts: &Parts,
        route_operation: Option<&'static str>,
    ) -> Result<String, ApiError> {
        match self {
            Protocol::AwsJson11 { target_prefix } => {
                let target = parts.headers.get("x-amz-target").and_then(|v| v.to_str().ok());
                awsjson::operation(target, target_prefix)
                    .map(str::to_owned)
                    .map_err(|err| ApiError::bad_request(err.code, err.message))
            }
            Protocol::RestJson => match route_operation {
                Some(operation) => Ok(operation.to_owned()),
                None => Err(ApiError::internal(&"a REST operation was served without its route")),
            },
        }
    }

    /// The request's members: AWS JSON's object; empty where the handler reads the body.
    pub(crate) fn input(&self, body: &[u8]) -> Result<awsjson::Input, ApiError> {
        match self {
            Protocol::AwsJson11 { .. } => awsjson::Input::parse(body)
                .map_err(|err| ApiError::bad_request(err.code, err.message)),
            Protocol::RestJson => Ok(awsjson::Input::default()),
        }
    }

    /// The request parameters a self-audit record names: AWS JSON's members as sent; for REST,
    /// the body's members with the path's parameters added.
    pub(crate) fn request_parameters<'a>(
        &self,
        body: &'a [u8],
        params: &[(&'static str, String)],
    ) -> Cow<'a, [u8]> {
        match self {
            Protocol::AwsJson11 { .. } => Cow::Borrowed(body),
            Protocol::RestJson => {
                let mut members = match serde_json::from_slice::<serde_json::Value>(body) {
                    Ok(serde_json::Value::Object(members)) => members,
                    _ => serde_json::Map::new(),
                };
                for (name, value) in params {
                    members.insert((*name).to_owned(), serde_json::Value::String(value.clone()));
                }
                if members.is_empty() {
                    Cow::Owned(Vec::new())
                } else {
                    Cow::Owned(serde_json::Value::Object(members).to_string().into_bytes())
                }
            }
        }
    }

    /// A successful answer.
    pub(crate) fn success(&self, value: serde_json::Value) -> Response {
        let content_type = match self {
            Protocol::AwsJson11 { .. } => "application/x-amz-json-1.1",
            Protocol::RestJson => "application/json",
        };
        let mut response = (StatusCode::OK, value.to_string()).into_response();
        response.headers_mut().insert("content-type", HeaderValue::from_static(content_type));
        response
    }

    /// An error answer (both JSON protocols share AWS's JSON error shape).
    pub(crate) fn error(&self, err: ApiError) -> Response {
        match self {
            Protocol::AwsJson11 { .. } | Protocol::RestJson => err.into_response(),
        }
    }
}
