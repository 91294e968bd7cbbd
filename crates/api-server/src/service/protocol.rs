//! The wire protocols of [`super::Service`]s: how a request names its operation and carries its
//! members, how an answer and an error are framed.
//!
//! Today: AWS JSON 1.1 (CloudTrail, CloudWatch Logs), REST with JSON bodies (CloudTrail Data),
//! S3's REST-XML and AWS query (STS: form-encoded `Action=` with XML answers). Smithy RPC v2
//! CBOR (CloudWatch) is one more variant, added with the first service that speaks it.

use std::borrow::Cow;

use axum::body::Body;
use axum::extract::Request;
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};

use super::Route;
use crate::auth::Keys;
use crate::error::ApiError;
use crate::{BodyError, Caller};

/// A service's protocol.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Protocol {
    /// AWS JSON 1.1: `POST` to any path, the operation in `X-Amz-Target` after
    /// `target_prefix` (or its short form), members as one JSON object; answers
    /// `application/x-amz-json-1.1`, errors as `{"__type", "message"}` with `x-amzn-ErrorType`.
    AwsJson11 { target_prefix: &'static str },
    /// REST with JSON bodies: the route names the operation, the handler reads the body and
    /// query; answers `application/json`, errors in AWS's JSON error shape.
    RestJson,
    /// S3's REST-XML: `route` (the service's HTTP binding) names the operation and the path's
    /// parameters from the method, path and query before anything is read, or refuses the
    /// request in S3's shape (a write to a read-only API: `MethodNotAllowed`). The body is not
    /// read (the operations served take none); SigV4 is S3's variant (its URI encoding, the
    /// payload hash from `x-amz-content-sha256`, presigned URLs). Handlers answer whole
    /// responses (XML documents, object bodies with their headers); errors are S3's XML
    /// `<Error>` with the request id, empty for `HEAD`.
    RestXml { route: fn(&Parts) -> Result<Route, ApiError> },
    /// AWS query: `Action`, `Version` and the members as form parameters (a `POST` body of
    /// `application/x-www-form-urlencoded`, or the query string of a `GET`, as presigned
    /// GetCallerIdentity URLs are); answers `<{Action}Response xmlns=…><{Action}Result>` with
    /// the members as XML elements and the request id, errors as `<ErrorResponse>`.
    AwsQuery { xmlns: &'static str },
}

/// What the framing of an answer needs to know of the request it answers.
pub(crate) struct Exchange {
    pub(crate) request_id: String,
    /// `HEAD` answers carry no body.
    pub(crate) head: bool,
    /// The request's path as sent: the `<Resource>` of an S3 error that names no other.
    pub(crate) path: String,
}

impl Exchange {
    pub(crate) fn of(request: &Request, request_id: &str) -> Exchange {
        Exchange {
            request_id: request_id.to_owned(),
            head: request.method() == Method::HEAD,
            path: request.uri().path().to_owned(),
        }
    }
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
            Protocol::RestJson | Protocol::RestXml { .. } | Protocol::AwsQuery { .. } => false,
        }
    }

    /// The route of a request whose protocol binds operations to the request line (REST-XML);
    /// other protocols keep the route they were given.
    pub(crate) fn route(&self, parts: &Parts, route: Route) -> Result<Route, ApiError> {
        match self {
            Protocol::RestXml { route } => route(parts),
            Protocol::AwsJson11 { .. } | Protocol::RestJson | Protocol::AwsQuery { .. } => {
                Ok(route)
            }
        }
    }

    /// Whether the request body is read (REST-XML's operations take none, and a write's body
    /// is never read before it is refused).
    pub(crate) fn reads_body(&self) -> bool {
        !matches!(self, Protocol::RestXml { .. })
    }

    /// The error of a body that could not be read: AWS's JSON APIs answer an oversized body
    /// with `ValidationException` (cloudtrail-data-api.md §2), refused all the same before it
    /// is read when its length is declared.
    pub(crate) fn body_error(&self, err: BodyError) -> ApiError {
        match (self, &err) {
            (Protocol::AwsJson11 { .. } | Protocol::RestJson, BodyError::TooLarge { .. }) => {
                ApiError::validation(err.message())
            }
            _ => ApiError::from(err),
        }
    }

    /// Verifies the request's signature for `signing_name` and says who sent it.
    pub(crate) fn authenticate(
        &self,
        keys: &Keys,
        parts: &Parts,
        body: &[u8],
        signing_name: &str,
        now: std::time::SystemTime,
    ) -> Result<Caller, ApiError> {
        match self {
            Protocol::AwsJson11 { .. } | Protocol::RestJson => {
                keys.authenticate(parts, body, signing_name, now)
            }
            Protocol::AwsQuery { .. } => keys.authenticate_query(parts, body, signing_name, now),
            Protocol::RestXml { .. } => {
                keys.authenticate_s3(parts, signing_name, now).map_err(|err| {
                    let status =
                        StatusCode::from_u16(err.s3_http_status()).unwrap_or(StatusCode::FORBIDDEN);
                    ApiError::new(status, err.s3_code(), err.s3_message())
                        .with_resource(parts.uri.path())
                })
            }
        }
    }

    /// The operation a request names.
    pub(crate) fn operation(
        &self,
        parts: &Parts,
        body: &[u8],
        route_operation: Option<&'static str>,
    ) -> Result<String, ApiError> {
        match self {
            Protocol::AwsQuery { .. } => {
                let query = parts.uri.query().unwrap_or("");
                match query_params(body, query).into_iter().find(|(name, _)| name == "Action") {
                    Some((_, action)) if !action.is_empty() => Ok(action),
                    _ => {
                        Err(ApiError::bad_request("MissingAction", "the request names no `Action`"))
                    }
                }
            }
            Protocol::AwsJson11 { target_prefix } => {
                let target = parts.headers.get("x-amz-target").and_then(|v| v.to_str().ok());
                awsjson::operation(target, target_prefix)
                    .map(str::to_owned)
                    .map_err(|err| ApiError::bad_request(err.code, err.message))
            }
            Protocol::RestJson | Protocol::RestXml { .. } => match route_operation {
                Some(operation) => Ok(operation.to_owned()),
                None => Err(ApiError::internal(&"a REST operation was served without its route")),
            },
        }
    }

    /// The request's members: AWS JSON's object; AWS query's parameters (but `Action` and
    /// `Version`) as string members; empty where the handler reads the body.
    pub(crate) fn input(&self, body: &[u8], query: &str) -> Result<awsjson::Input, ApiError> {
        match self {
            Protocol::AwsJson11 { .. } => awsjson::Input::parse(body)
                .map_err(|err| ApiError::bad_request(err.code, err.message)),
            Protocol::AwsQuery { .. } => {
                let members = query_members(body, query);
                awsjson::Input::parse(members.to_string().as_bytes())
                    .map_err(|err| ApiError::bad_request(err.code, err.message))
            }
            Protocol::RestJson | Protocol::RestXml { .. } => Ok(awsjson::Input::default()),
        }
    }

    /// The request parameters a self-audit record names: AWS JSON's members as sent; for REST,
    /// the body's members with the path's parameters added (REST-XML: the path's parameters).
    pub(crate) fn request_parameters<'a>(
        &self,
        body: &'a [u8],
        params: &[(&'static str, String)],
        redact: Option<fn(&mut serde_json::Value)>,
    ) -> Cow<'a, [u8]> {
        match self {
            Protocol::AwsJson11 { .. } => Cow::Borrowed(body),
            Protocol::AwsQuery { .. } => {
                Cow::Owned(query_members(body, "").to_string().into_bytes())
            }
            Protocol::RestJson | Protocol::RestXml { .. } => {
                let mut members = match serde_json::from_slice::<serde_json::Value>(body) {
                    Ok(serde_json::Value::Object(members)) => members,
                    _ => serde_json::Map::new(),
                };
                for (name, value) in params {
                    members.insert((*name).to_owned(), serde_json::Value::String(value.clone()));
                }
                if members.is_empty() {
                    return Cow::Owned(Vec::new());
                }
                let mut members = serde_json::Value::Object(members);
                if let Some(redact) = redact {
                    redact(&mut members);
                }
                Cow::Owned(members.to_string().into_bytes())
            }
        }
    }

    /// A successful answer of result members (REST-XML's handlers answer whole responses).
    pub(crate) fn success(
        &self,
        value: serde_json::Value,
        operation: &str,
        exchange: &Exchange,
    ) -> Response {
        let content_type = match self {
            Protocol::AwsJson11 { .. } => "application/x-amz-json-1.1",
            Protocol::RestJson | Protocol::RestXml { .. } => "application/json",
            Protocol::AwsQuery { xmlns } => {
                let mut body =
                    format!("<{operation}Response xmlns=\"{xmlns}\">\n  <{operation}Result>\n");
                if let serde_json::Value::Object(members) = &value {
                    for (name, member) in members {
                        write_xml_element(&mut body, name, member, 2);
                    }
                }
                body.push_str(&format!(
                    "  </{operation}Result>\n  <ResponseMetadata>\n    <RequestId>{}</RequestId>\n  </ResponseMetadata>\n</{operation}Response>\n",
                    exchange.request_id
                ));
                let mut response = (StatusCode::OK, body).into_response();
                response.headers_mut().insert("content-type", HeaderValue::from_static("text/xml"));
                return response;
            }
        };
        let mut response = (StatusCode::OK, value.to_string()).into_response();
        response.headers_mut().insert("content-type", HeaderValue::from_static(content_type));
        response
    }

    /// An error answer: AWS's JSON error shape for both JSON protocols, S3's XML `<Error>` for
    /// REST-XML.
    pub(crate) fn error(&self, err: ApiError, exchange: &Exchange) -> Response {
        match self {
            Protocol::AwsJson11 { .. } | Protocol::RestJson => err.into_response(),
            Protocol::AwsQuery { xmlns } => {
                let kind = if err.status.is_server_error() { "Receiver" } else { "Sender" };
                let body = format!(
                    "<ErrorResponse xmlns=\"{xmlns}\">\n  <Error>\n    <Type>{kind}</Type>\n    <Code>{}</Code>\n    <Message>{}</Message>\n  </Error>\n  <RequestId>{}</RequestId>\n</ErrorResponse>\n",
                    err.code,
                    xml_escape(&err.message),
                    exchange.request_id
                );
                let mut response = (err.status, body).into_response();
                response.headers_mut().insert("content-type", HeaderValue::from_static("text/xml"));
                if let Some(seconds) = err.retry_after {
                    response.headers_mut().insert("retry-after", HeaderValue::from(seconds));
                }
                response
            }
            Protocol::RestXml { .. } => {
                let resource = err.resource.as_deref().unwrap_or(&exchange.path);
                let body = format!(
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{}</Code><Message>{}</Message><Resource>{}</Resource><RequestId>{}</RequestId></Error>",
                    err.code,
                    xml_escape(&err.message),
                    xml_escape(resource),
                    exchange.request_id
                );
                let body = if exchange.head { Body::empty() } else { Body::from(body) };
                let mut response = (err.status, body).into_response();
                response
                    .headers_mut()
                    .insert("content-type", HeaderValue::from_static("application/xml"));
                response
            }
        }
    }
}

/// The form parameters of an AWS query request: the body's (a form) and the query string's,
/// in that order, percent-decoded.
fn query_params(body: &[u8], query: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(body)
        .chain(form_urlencoded::parse(query.as_bytes()))
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect()
}

/// The members of an AWS query request: every parameter but `Action` and `Version` (and
/// SigV4's presigning parameters), as strings, the first of a name winning.
fn query_members(body: &[u8], query: &str) -> serde_json::Value {
    let mut members = serde_json::Map::new();
    for (name, value) in query_params(body, query) {
        if matches!(name.as_str(), "Action" | "Version") || name.starts_with("X-Amz-") {
            continue;
        }
        members.entry(name).or_insert(serde_json::Value::String(value));
    }
    serde_json::Value::Object(members)
}

/// `<name>value</name>` at `depth` (two spaces each): objects as nested elements, arrays as
/// `<member>` elements (AWS query's list shape), `null` left out.
fn write_xml_element(out: &mut String, name: &str, value: &serde_json::Value, depth: usize) {
    let indent = "  ".repeat(depth);
    match value {
        serde_json::Value::Null => {}
        serde_json::Value::Object(members) => {
            out.push_str(&format!("{indent}<{name}>\n"));
            for (member, inner) in members {
                write_xml_element(out, member, inner, depth + 1);
            }
            out.push_str(&format!("{indent}</{name}>\n"));
        }
        serde_json::Value::Array(items) => {
            out.push_str(&format!("{indent}<{name}>\n"));
            for item in items {
                write_xml_element(out, "member", item, depth + 1);
            }
            out.push_str(&format!("{indent}</{name}>\n"));
        }
        serde_json::Value::String(text) => {
            out.push_str(&format!("{indent}<{name}>{}</{name}>\n", xml_escape(text)));
        }
        other => out.push_str(&format!("{indent}<{name}>{other}</{name}>\n")),
    }
}

/// Text escaped for an XML element.
pub(crate) fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            other => out.push(other),
        }
    }
    out
}
