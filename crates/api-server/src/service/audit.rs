//! Self-audit: every authenticated call of a self-audited service — success or failure — is
//! appended to the WAL as a CloudTrail record (kind `SelfAudit`) before the answer is sent.
//! Fail-closed: a call that could change something runs only when the WAL can take its record
//! (`Ingestor::check_writable`), and a call whose record could not be stored answers an error.
//! Fields over CloudTrail's 100 KB limit are recorded as `{"omitted":true,"originalSize":N}`
//! (`cloudtrail_model::api_call`), so every record fits.

use std::borrow::Cow;
use std::net::SocketAddr;

use axum::extract::Request;
use axum::extract::connect_info::ConnectInfo;
use cloudtrail_model::api_call::{ApiCall, CallError, CallerIdentity};
use ingest::write_model::new_id;

use crate::error::ApiError;
use crate::{AppState, Caller, RequestId};

/// The request id, source address and user agent a self-audit record names.
pub(crate) struct Context {
    pub(crate) request_id: String,
    pub(crate) source_ip: String,
    pub(crate) user_agent: String,
}

impl Context {
    pub(crate) fn of(request: &Request) -> Context {
        let request_id =
            request.extensions().get::<RequestId>().map_or_else(new_id, |r| r.0.clone());
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
    /// The request's parameters as the protocol records them (JSON).
    pub(crate) request_parameters: Cow<'a, [u8]>,
    /// A data event's resources (`Service::audit_data`); `None` for a management event.
    pub(crate) data_resources: Option<Vec<DataResource>>,
}

/// A resource a data event touched: its type and its ARN after `arn:<partition>:` (the
/// partition is the caller's region's).
pub(crate) struct DataResource {
    pub(crate) resource_type: &'static str,
    /// `s3:::bucket/key`.
    pub(crate) arn_rest: String,
}

impl Audit<'_> {
    /// Whether the call only reads (its record then holds no response elements, and no
    /// change waits on the record).
    pub(crate) fn read_only(&self) -> bool {
        cloudtrail_model::classify::is_read_only(self.event_source, self.operation)
    }

    /// Appends the CloudTrail record of this call to the WAL and waits for the fsync, waiting
    /// out a saturated WAL for up to [`RECORD_WAIT`]. Fails only when the record could not be
    /// stored; the caller then answers an error instead of the call's own answer.
    pub(crate) async fn record(
        &self,
        state: &AppState,
        caller: &Caller,
        outcome: Result<&serde_json::Value, &ApiError>,
    ) -> Result<(), ingest::Error> {
        let now_ms = state.now_unix_millis();
        let event_id = new_id();
        let partition = cloudtrail_model::regions::partition_of(&caller.region);
        let arns: Vec<String> = self
            .data_resources
            .iter()
            .flatten()
            .map(|r| format!("arn:{partition}:{}", r.arn_rest))
            .collect();
        let resources: Vec<cloudtrail_model::api_call::Resource<'_>> = self
            .data_resources
            .iter()
            .flatten()
            .zip(&arns)
            .map(|(r, arn)| cloudtrail_model::api_call::Resource {
                resource_type: r.resource_type,
                arn,
                account_id: None,
            })
            .collect();
        let mut call = ApiCall {
            identity: CallerIdentity {
                principal_type: &caller.principal_type,
                principal_id: &caller.principal_id,
                arn: &caller.principal_arn,
                account_id: &caller.account_id,
                access_key_id: &caller.access_key_id,
                user_name: caller.user_name.as_deref(),
            },
            event_time_ms: now_ms,
            event_source: self.event_source,
            event_name: self.operation,
            aws_region: &caller.region,
            source_ip: &self.context.source_ip,
            user_agent: &self.context.user_agent,
            request: &self.request_parameters,
            outcome: Ok(None),
            request_id: &self.context.request_id,
            event_id: &event_id,
            data_resources: self.data_resources.as_ref().map(|_| resources.as_slice()),
        };
        // Read-only answers (LookupEvents pages) are not recorded: don't write them out.
        let response = match outcome {
            Ok(value @ serde_json::Value::Object(_)) if !call.read_only() => {
                Some(value.to_string())
            }
            _ => None,
        };
        call.outcome = match outcome {
            Ok(_) => Ok(response.as_deref().map(str::as_bytes)),
            Err(err) => Err(CallError { code: err.code, message: &err.message }),
        };
        let record = call.record();
        let item = ingest::write_model::self_audit(&record, event_id, now_ms);
        let deadline = std::time::Instant::now() + RECORD_WAIT;
        loop {
            match state.ingestor.append_after_change(item.clone()).await {
                Err(ingest::Error::Backpressure) if std::time::Instant::now() < deadline => {
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                }
                Err(err) => {
                    tracing::error!(%err, operation = self.operation, request_id = self.context.request_id, "the self-audit record of an API call could not be stored; the call answers an error");
                    return Err(err);
                }
                Ok(()) => return Ok(()),
            }
        }
    }
}

/// How long the record of a call waits for room in a saturated WAL before the call fails.
const RECORD_WAIT: std::time::Duration = std::time::Duration::from_secs(10);
