//! Self-audit: every call of a self-audited service — success, failure, or a failed
//! authentication that names a known key — is appended to the WAL as a CloudTrail record
//! (kind `SelfAudit`) before the answer is sent.

use std::net::SocketAddr;

use axum::extract::Request;
use axum::extract::connect_info::ConnectInfo;
use cloudtrail_model::json::{self, Object, Value};

use crate::error::ApiError;
use crate::{AppState, Caller, RequestId, new_request_id};

/// The request id, source address and user agent a self-audit record names.
pub(crate) struct Context {
    pub(crate) request_id: String,
    pub(crate) source_ip: String,
    pub(crate) user_agent: String,
}

impl Context {
    pub(crate) fn of(request: &Request) -> Context {
        let request_id =
            request.extensions().get::<RequestId>().map_or_else(new_request_id, |r| r.0.clone());
        let source_ip = request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map_or_else(|| "127.0.0.1".to_owned(), |c| c.0.ip().to_string());
        let user_agent = request
            .headers()
            .get("user-agent")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        Context { request_id, source_ip, user_agent }
    }
}

/// What the self-audit record of a call needs besides its outcome.
pub(crate) struct Audit<'a> {
    pub(crate) event_source: &'a str,
    pub(crate) context: &'a Context,
    pub(crate) operation: &'a str,
}

impl Audit<'_> {
    /// Appends the CloudTrail record of this call to the WAL and waits for the fsync. A failure
    /// to record is logged; the call's own answer stands (as CloudTrail never fails an API call
    /// for its own logging).
    pub(crate) async fn record(
        &self,
        state: &AppState,
        caller: &Caller,
        body: &[u8],
        outcome: Result<&serde_json::Value, &ApiError>,
    ) {
        let now_ms = state.now_unix_millis();
        let event_id = new_request_id();
        let record = self.build(caller, body, outcome, now_ms, &event_id);
        let payload = ingest::Envelope {
            kind: ingest::Kind::SelfAudit,
            ingested_at_ms: now_ms,
            dedup_key: "",
            event_id: &event_id,
            channel_arn: "",
            record: &record,
        }
        .to_vec();
        let item = ingest::Item { dedup_key: String::new(), event_id, payload };
        if let Err(err) = state.ingestor.append(vec![item]).await {
            tracing::error!(%err, operation = self.operation, request_id = self.context.request_id, "the self-audit record of an API call could not be stored");
        }
    }

    fn build(
        &self,
        caller: &Caller,
        body: &[u8],
        outcome: Result<&serde_json::Value, &ApiError>,
        now_ms: i64,
        event_id: &str,
    ) -> Vec<u8> {
        let read_only = cloudtrail_model::classify::is_read_only(self.event_source, self.operation);
        let mut identity = Object::with_capacity(6);
        identity.push("type", caller.principal_type.as_str().into());
        identity.push("principalId", caller.principal_id.as_str().into());
        identity.push("arn", caller.principal_arn.as_str().into());
        identity.push("accountId", caller.account_id.as_str().into());
        identity.push("accessKeyId", caller.access_key_id.as_str().into());
        if let Some(user_name) = &caller.user_name {
            identity.push("userName", user_name.as_str().into());
        }
        let mut record = Object::with_capacity(20);
        record.push("eventVersion", "1.11".into());
        record.push("userIdentity", Value::Object(identity));
        record.push(
            "eventTime",
            cloudtrail_model::time::format_unix_seconds(now_ms.div_euclid(1000)).into(),
        );
        record.push("eventSource", self.event_source.into());
        record.push("eventName", self.operation.into());
        record.push("awsRegion", caller.region.as_str().into());
        record.push("sourceIPAddress", self.context.source_ip.as_str().into());
        record.push(
            "userAgent",
            truncate(&self.context.user_agent, cloudtrail_model::limits::SHORT_TEXT_BYTES_MAX)
                .into(),
        );
        if let Err(err) = outcome {
            record.push("errorCode", err.code.into());
            record.push(
                "errorMessage",
                truncate(&err.message, cloudtrail_model::limits::SHORT_TEXT_BYTES_MAX).into(),
            );
        }
        // CloudTrail writes its own parameters with lower-camel-case member names.
        let request_parameters = match json::parse(body) {
            Ok(Value::Object(object)) if !object.is_empty() => Value::Object(camel_case(object)),
            _ => Value::Null,
        };
        record.push("requestParameters", request_parameters);
        let response_elements = match outcome {
            Ok(serde_json::Value::Object(members)) if !read_only && !members.is_empty() => {
                match json::parse(serde_json::Value::Object(members.clone()).to_string().as_bytes())
                {
                    Ok(Value::Object(object)) => Value::Object(camel_case(object)),
                    _ => Value::Null,
                }
            }
            _ => Value::Null,
        };
        record.push("responseElements", response_elements);
        record.push("requestID", self.context.request_id.as_str().into());
        record.push("eventID", event_id.into());
        record.push("readOnly", read_only.into());
        record.push("eventType", "AwsApiCall".into());
        record.push("managementEvent", true.into());
        record.push("recipientAccountId", caller.account_id.as_str().into());
        record.push("eventCategory", "Management".into());
        let mut out = Vec::with_capacity(1024);
        json::write_object(&record, &mut out);
        out
    }
}

/// `S3BucketName` → `s3BucketName`, `TrailARN` → `trailARN`, recursively.
fn camel_case(object: Object) -> Object {
    let members = object
        .into_members()
        .into_iter()
        .map(|(name, value)| {
            let mut chars = name.chars();
            let name = match chars.next() {
                Some(first) => first.to_ascii_lowercase().to_string() + chars.as_str(),
                None => name,
            };
            let value = match value {
                Value::Object(inner) => Value::Object(camel_case(inner)),
                Value::Array(items) => Value::Array(
                    items
                        .into_iter()
                        .map(|v| {
                            if let Value::Object(o) = v { Value::Object(camel_case(o)) } else { v }
                        })
                        .collect(),
                ),
                other => other,
            };
            (name, value)
        })
        .collect();
    Object::from_members(members)
}

fn truncate(text: &str, bytes_max: usize) -> &str {
    if text.len() <= bytes_max {
        return text;
    }
    let mut end = bytes_max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}
