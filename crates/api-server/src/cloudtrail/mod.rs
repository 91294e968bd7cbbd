//! The CloudTrail control plane over AWS JSON 1.1 (`../shared/spec/cloudtrail-api.md`):
//! `POST` with `X-Amz-Target`, SigV4 for service `cloudtrail`, and a self-audit record of every
//! call — success or failure, including a failed authentication that names a known key —
//! appended to the WAL before the answer is sent.

pub(crate) mod channels;
mod keys;
mod lookup;
mod trails;

use std::net::SocketAddr;
use std::sync::Arc;

use awsjson::Input;
use axum::extract::connect_info::ConnectInfo;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use cloudtrail_model::json::{self, Object, Value};

use crate::error::ApiError;
use crate::{AppState, Caller, RequestId, new_request_id, read_body};

/// CloudTrail requests are small; this bounds what is read before authentication.
const CLOUDTRAIL_REQUEST_BYTES_MAX: usize = 1024 * 1024;

/// Every operation of the CloudTrail API (model 2013-11-01); the ones without a handler here
/// answer `UnsupportedOperationException`, as AWS lists for every operation.
const KNOWN_OPERATIONS: &[&str] = &[
    "AddTags",
    "CancelQuery",
    "CreateChannel",
    "CreateDashboard",
    "CreateEventDataStore",
    "CreateTrail",
    "DeleteChannel",
    "DeleteDashboard",
    "DeleteEventDataStore",
    "DeleteResourcePolicy",
    "DeleteTrail",
    "DeregisterOrganizationDelegatedAdmin",
    "DescribeQuery",
    "DescribeTrails",
    "DisableFederation",
    "EnableFederation",
    "GenerateQuery",
    "GetChannel",
    "GetDashboard",
    "GetEventConfiguration",
    "GetEventDataStore",
    "GetEventSelectors",
    "GetImport",
    "GetInsightSelectors",
    "GetQueryResults",
    "GetResourcePolicy",
    "GetTrail",
    "GetTrailStatus",
    "ListChannels",
    "ListDashboards",
    "ListEventDataStores",
    "ListImportFailures",
    "ListImports",
    "ListInsightsData",
    "ListInsightsMetricData",
    "ListPublicKeys",
    "ListQueries",
    "ListTags",
    "ListTrails",
    "LookupEvents",
    "PutEventConfiguration",
    "PutEventSelectors",
    "PutInsightSelectors",
    "PutResourcePolicy",
    "RegisterOrganizationDelegatedAdmin",
    "RemoveTags",
    "RestoreEventDataStore",
    "SearchSampleQueries",
    "StartDashboardRefresh",
    "StartEventDataStoreIngestion",
    "StartImport",
    "StartLogging",
    "StartQuery",
    "StopEventDataStoreIngestion",
    "StopImport",
    "StopLogging",
    "UpdateChannel",
    "UpdateDashboard",
    "UpdateEventDataStore",
    "UpdateTrail",
];

/// An AWS JSON 1.1 service OpenTrail serves: its SigV4 signing name (also its IAM action
/// prefix), its `X-Amz-Target` prefix and the `eventSource` of its self-audit records.
pub(crate) struct Service {
    pub(crate) signing_name: &'static str,
    pub(crate) target_prefix: &'static str,
    pub(crate) event_source: &'static str,
}

/// The CloudTrail API.
pub(crate) const CLOUDTRAIL: Service = Service {
    signing_name: "cloudtrail",
    target_prefix: awsjson::CLOUDTRAIL_TARGET_PREFIX,
    event_source: "cloudtrail.amazonaws.com",
};

/// The CloudWatch Logs subset (metric filters).
pub(crate) const LOGS: Service = Service {
    signing_name: "logs",
    target_prefix: "Logs_20140328.",
    event_source: "logs.amazonaws.com",
};

/// One authenticated call being served.
pub(crate) struct Call<'a> {
    pub(crate) service: &'a Service,
    pub(crate) state: &'a AppState,
    pub(crate) caller: &'a Caller,
    pub(crate) input: &'a Input,
    pub(crate) now_ms: i64,
}

pub(crate) type OpResult = Result<serde_json::Value, ApiError>;

impl Call<'_> {
    /// IAM-style authorization of `cloudtrail:<operation>` on `resource` (an ARN, or `*`),
    /// owned by `resource_account`; `AccessDeniedException` when refused.
    pub(crate) fn authorize(
        &self,
        operation: &str,
        resource: &str,
        resource_account: &str,
        organization_trail: bool,
    ) -> Result<(), ApiError> {
        let Some(principal) = self.state.keys.principal(&self.caller.access_key_id) else {
            return Err(ApiError::bad_request(
                "AccessDeniedException",
                "the caller has no identity to authorize",
            ));
        };
        let action = format!("{}:{operation}", self.service.signing_name);
        let request = settings::AuthzRequest {
            principal,
            action: &action,
            resource,
            resource_account,
            resource_is_organization_trail: organization_trail,
            organization: self.state.organization.as_ref(),
        };
        match settings::authorize(&request) {
            settings::Decision::Allow => Ok(()),
            settings::Decision::Deny { message, .. } => {
                Err(ApiError::bad_request("AccessDeniedException", message))
            }
        }
    }

    /// Authorizes `operation` on a trail.
    pub(crate) fn authorize_trail(
        &self,
        operation: &str,
        trail: &catalog::Trail,
    ) -> Result<(), ApiError> {
        self.authorize(operation, &trail.trail_arn, &trail.account_id, trail.is_organization_trail)
    }

    /// Whether the caller's account may see `trail` at all: its own, or its organization's trail.
    pub(crate) fn can_see(&self, trail: &catalog::Trail) -> bool {
        trail.account_id == self.caller.account_id
            || (trail.is_organization_trail
                && self.state.organization.as_ref().is_some_and(|org| {
                    org.management_account == trail.account_id
                        && org.contains(&self.caller.account_id)
                }))
    }
}

/// Whether a request is addressed to the CloudTrail JSON API.
pub(crate) fn is_cloudtrail_request(request: &Request) -> bool {
    request.method() == axum::http::Method::POST
        && request
            .headers()
            .get("x-amz-target")
            .and_then(|v| v.to_str().ok())
            .is_some_and(awsjson::is_cloudtrail_target)
}

pub(crate) async fn handle(state: State<Arc<AppState>>, request: Request) -> Response {
    handle_service(state, request, &CLOUDTRAIL).await
}

/// Serves one call of `service`: authentication, dispatch, self-audit.
pub(crate) async fn handle_service(
    State(state): State<Arc<AppState>>,
    request: Request,
    service: &'static Service,
) -> Response {
    let (request_id, source_ip, user_agent) = audit_context(&request);
    let target =
        request.headers().get("x-amz-target").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let (parts, body) = request.into_parts();
    let body = match read_body(body, CLOUDTRAIL_REQUEST_BYTES_MAX, "the request body").await {
        Ok(body) => body,
        Err(err) => return respond(Err(err)),
    };
    let operation = match awsjson::operation(target.as_deref(), service.target_prefix) {
        Ok(op) => op.to_owned(),
        Err(err) => return respond(Err(ApiError::bad_request(err.code, err.message))),
    };
    let audit = Audit {
        event_source: service.event_source,
        request_id: &request_id,
        source_ip: &source_ip,
        user_agent: &user_agent,
        operation: &operation,
    };
    let caller = match state.keys.authenticate(&parts, &body, service.signing_name, state.now()) {
        Ok(caller) => caller,
        Err(err) => {
            // A failed authentication is recorded when it names a key we know.
            if let Some(caller) = state.keys.claimed_caller(&parts) {
                audit.record(&state, &caller, &body, Err(&err)).await;
            }
            return respond(Err(err));
        }
    };
    let result = match Input::parse(&body) {
        Err(err) => Err(ApiError::bad_request(err.code, err.message)),
        Ok(input) => {
            let call = Call {
                service,
                state: &state,
                caller: &caller,
                input: &input,
                now_ms: state.now_unix_millis(),
            };
            if service.signing_name == LOGS.signing_name {
                crate::logs::dispatch(&call, &operation)
            } else {
                match check_bucket(&call, &operation).await {
                    Ok(()) if operation == "LookupEvents" => lookup::lookup_events(&call).await,
                    Ok(()) => dispatch(&call, &operation),
                    Err(err) => Err(err),
                }
            }
        }
    };
    audit.record(&state, &caller, &body, result.as_ref()).await;
    respond(result)
}

/// CreateTrail and UpdateTrail name a bucket. Once the call is otherwise valid and authorized
/// ([`trails::planned_trail`]), the bucket is checked against the store that holds it: the
/// embedded local store creates a missing bucket (as the embedded default promises); on an S3
/// store the bucket must exist (`S3BucketDoesNotExistException`) and OpenTrail's credentials
/// must be allowed to write where the trail's files go (`InsufficientS3BucketPolicyException`),
/// as AWS checks the bucket policy. Errors of the operation itself are left to it.
async fn check_bucket(call: &Call<'_>, operation: &str) -> Result<(), ApiError> {
    if !matches!(operation, "CreateTrail" | "UpdateTrail") {
        return Ok(());
    }
    let blobs = &call.state.blobs;
    let Ok((trail, before)) = trails::planned_trail(call, operation) else { return Ok(()) };
    let unchanged = before.as_ref().is_some_and(|before| {
        before.s3_bucket_name == trail.s3_bucket_name
            && before.s3_key_prefix == trail.s3_key_prefix
            && before.is_organization_trail == trail.is_organization_trail
    });
    if unchanged {
        return Ok(());
    }
    let bucket = trail.s3_bucket_name.as_str();
    if let Err(err) = blob_store::validate_bucket_name(bucket) {
        return Err(ApiError::bad_request(
            "InvalidS3BucketNameException",
            format!("Bucket name `{bucket}` is not valid: {err}"),
        ));
    }
    let store = blobs.store_for(bucket);
    let failed = |err: blob_store::Error| -> ApiError {
        match err {
            blob_store::Error::NoSuchBucket { .. } => ApiError::bad_request(
                "S3BucketDoesNotExistException",
                format!("S3 bucket {bucket} does not exist in the {store}; create it there first"),
            ),
            blob_store::Error::AccessDenied { .. } => ApiError::bad_request(
                "InsufficientS3BucketPolicyException",
                format!(
                    "Incorrect S3 bucket policy is detected for bucket: {bucket} (the {store} refused OpenTrail's credentials; allow them s3:ListBucket on the bucket and s3:PutObject under its AWSLogs/ prefix)"
                ),
            ),
            err if err.is_retryable() => {
                tracing::warn!(bucket, %store, error = %err.detailed(), "bucket check failed");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "ServiceUnavailableException",
                    format!(
                        "The {store} holding bucket {bucket} cannot be reached; the trail was not changed. Try again when the store is up"
                    ),
                )
            }
            err => {
                tracing::warn!(bucket, %store, error = %err.detailed(), "bucket check failed");
                ApiError::bad_request(
                    "S3BucketDoesNotExistException",
                    format!("S3 bucket {bucket} cannot be used in the {store}: {err}"),
                )
            }
        }
    };
    if blobs.owns_bucket(bucket) {
        return match blobs.bucket_exists(bucket).await {
            Ok(true) => Ok(()),
            Ok(false) => blobs.create_bucket(bucket).await.map_err(|e| ApiError::internal(&e)),
            Err(err) => Err(ApiError::internal(&err)),
        };
    }
    match blobs.bucket_exists(bucket).await {
        Ok(true) => {}
        Ok(false) => return Err(failed(blob_store::Error::NoSuchBucket { bucket: bucket.into() })),
        Err(err) => return Err(failed(err)),
    }
    let account_dir = match (&call.state.organization, trail.is_organization_trail) {
        (Some(org), true) => format!("AWSLogs/{}/{}", org.id, trail.account_id),
        _ => format!("AWSLogs/{}", trail.account_id),
    };
    let probe = match &trail.s3_key_prefix {
        Some(prefix) => format!("{prefix}/{account_dir}/OpenTrail-WriteCheck"),
        None => format!("{account_dir}/OpenTrail-WriteCheck"),
    };
    blobs.check_writable(bucket, &probe).await.map_err(failed)
}

fn dispatch(call: &Call<'_>, operation: &str) -> OpResult {
    match operation {
        "CreateTrail" => trails::create_trail(call),
        "GetTrail" => trails::get_trail(call),
        "DescribeTrails" => trails::describe_trails(call),
        "ListTrails" => trails::list_trails(call),
        "UpdateTrail" => trails::update_trail(call),
        "DeleteTrail" => trails::delete_trail(call),
        "GetTrailStatus" => trails::get_trail_status(call),
        "StartLogging" => trails::set_logging(call, true),
        "StopLogging" => trails::set_logging(call, false),
        "AddTags" => trails::add_tags(call),
        "RemoveTags" => trails::remove_tags(call),
        "ListTags" => trails::list_tags(call),
        "ListPublicKeys" => keys::list_public_keys(call),
        "PutEventSelectors" => trails::put_event_selectors(call),
        "GetEventSelectors" => trails::get_event_selectors(call),
        "PutInsightSelectors" => trails::put_insight_selectors(call),
        "GetInsightSelectors" => trails::get_insight_selectors(call),
        "CreateChannel" => channels::create_channel(call),
        "GetChannel" => channels::get_channel(call),
        "ListChannels" => channels::list_channels(call),
        "UpdateChannel" => channels::update_channel(call),
        "DeleteChannel" => channels::delete_channel(call),
        known if KNOWN_OPERATIONS.contains(&known) => Err(ApiError::bad_request(
            "UnsupportedOperationException",
            format!("OpenTrail does not support `{known}` yet"),
        )),
        unknown => Err(ApiError::bad_request(
            "UnknownOperationException",
            format!("unknown operation `{unknown}`"),
        )),
    }
}

fn respond(result: OpResult) -> Response {
    match result {
        Ok(body) => {
            let mut response = (StatusCode::OK, body.to_string()).into_response();
            response
                .headers_mut()
                .insert("content-type", HeaderValue::from_static("application/x-amz-json-1.1"));
            response
        }
        Err(err) => err.into_response(),
    }
}

/// The request id, source address and user agent a self-audit record names.
pub(crate) fn audit_context(request: &Request) -> (String, String, String) {
    let request_id =
        request.extensions().get::<RequestId>().map_or_else(new_request_id, |r| r.0.clone());
    let source_ip = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or_else(|| "127.0.0.1".to_owned(), |c| c.0.ip().to_string());
    let user_agent =
        request.headers().get("user-agent").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    (request_id, source_ip, user_agent)
}

/// What the self-audit record of a call needs besides its outcome.
pub(crate) struct Audit<'a> {
    pub(crate) event_source: &'a str,
    pub(crate) request_id: &'a str,
    pub(crate) source_ip: &'a str,
    pub(crate) user_agent: &'a str,
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
            tracing::error!(%err, operation = self.operation, request_id = self.request_id, "the self-audit record of an API call could not be stored");
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
        record.push("sourceIPAddress", self.source_ip.into());
        record.push(
            "userAgent",
            truncate(self.user_agent, cloudtrail_model::limits::SHORT_TEXT_BYTES_MAX).into(),
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
        record.push("requestID", self.request_id.into());
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
