//! OpenTrail's HTTP surface: the only crate that speaks HTTP.
//!
//! Routes today: `GET /health`, `GET /ready`, CloudTrail Data `POST /PutAuditEvents`
//! (rest-json, SigV4 service `cloudtrail-data`), the native `POST /v1/events` (NDJSON or a
//! log-file body, optionally gzip, SigV4 service `opentrail`), the alarms JSON API under
//! `/v1/`, and — whatever the path — the AWS JSON APIs (CloudTrail, CloudWatch Logs), the S3
//! read API and STS (AWS query). The AWS APIs are tables served by one layer (`service`). Every answer carries
//! `x-amzn-RequestId`; errors use the caller's protocol's error shape.

mod alarms;
mod audit_events;
mod auth;
pub(crate) mod cloudtrail;
mod edge;
mod error;
pub mod limits;
mod logs;
pub mod metrics_route;
mod native;
mod records_scan;
mod s3;
mod service;
mod sts;

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use catalog::AccountStore as _;
use serde_json::json;

pub use crate::auth::Caller;
pub use crate::error::ApiError;

/// Everything a request handler needs.
pub struct AppState {
    pub ingestor: Arc<ingest::Ingestor>,
    pub catalog: Arc<catalog::Catalog>,
    /// Event history, for LookupEvents.
    pub history: Arc<event_history::History>,
    keys: auth::Keys,
    /// Bounds CPU-heavy request work (decoding, validation) to one task per core, so a burst
    /// of requests queues in order instead of oversubscribing the cores.
    cpu_permits: tokio::sync::Semaphore,
    /// Room for request bodies held at once, in KiB ([`limits::BODY_BYTES_IN_FLIGHT_MAX`]).
    body_budget: Arc<tokio::sync::Semaphore>,
    /// What GetChannel reports about PutAuditEvents, since the server started.
    ingestion: cloudtrail::channels::IngestionStatuses,
    /// The AWS Organization of the configured accounts, if any.
    organization: Option<settings::Organization>,
    /// The account that runs this OpenTrail (created at its first start), if set.
    operator_account: Option<String>,
    /// Where trails deliver: the embedded local bucket store or S3 (set by the binary); an
    /// in-memory store until [`AppState::with_blob_store`] is called.
    blobs: blob_store::BlobStore,
    /// Metric filters, alarms and notification targets, when running.
    pub alarms: Option<Arc<metric_alarms::AlarmService>>,
    /// The PEM certificate of the key signing SNS-style notifications.
    sns_certificate: Option<String>,
    /// Renders `/metrics` (Prometheus text format), when the binary installed a recorder.
    metrics: Option<metrics_route::Render>,
}

impl AppState {
    /// Loads the access keys from the catalog and, when given, the configuration file's
    /// identities (users, their keys and policies, the organization).
    pub fn new(
        ingestor: Arc<ingest::Ingestor>,
        catalog: Arc<catalog::Catalog>,
        history: Arc<event_history::History>,
        config: Option<Arc<settings::Settings>>,
    ) -> Result<AppState, catalog::Error> {
        let policies_of = |key: &catalog::AccessKey| -> Vec<settings::Policy> {
            let Some(user_name) = key.user_name.as_deref() else { return Vec::new() };
            let names = catalog.user_policies(&key.account_id, user_name).unwrap_or_else(|err| {
                tracing::error!(%err, user_name, "read the user's policies; it may do nothing");
                Vec::new()
            });
            names
                .iter()
                .filter_map(|name| {
                    let policy = settings::Policy::builtin(name);
                    if policy.is_none() {
                        tracing::warn!(policy = name, user_name, "unknown attached policy ignored");
                    }
                    policy
                })
                .collect()
        };
        let keys = auth::Keys::new(catalog.access_keys()?, policies_of, config.as_deref());
        let n_cores = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
        Ok(AppState {
            ingestor,
            catalog,
            history,
            keys,
            cpu_permits: tokio::sync::Semaphore::new(n_cores),
            body_budget: Arc::new(tokio::sync::Semaphore::new(
                limits::BODY_BYTES_IN_FLIGHT_MAX / BUDGET_UNIT,
            )),
            ingestion: cloudtrail::channels::IngestionStatuses::default(),
            organization: config.as_deref().and_then(settings::Settings::organization).cloned(),
            operator_account: None,
            blobs: blob_store::BlobStore::memory(),
            alarms: None,
            sns_certificate: None,
            metrics: None,
        })
    }

    /// Serves metric filters, alarms and notification targets from `service`.
    pub fn with_alarms(mut self, service: Arc<metric_alarms::AlarmService>) -> AppState {
        self.alarms = Some(service);
        self
    }

    /// Serves `pem` at the `SigningCertURL` of notifications.
    pub fn with_sns_certificate(mut self, pem: String) -> AppState {
        self.sns_certificate = Some(pem);
        self
    }

    /// Serves `GET /metrics` with what `render` returns (Prometheus text exposition format).
    pub fn with_metrics(mut self, render: metrics_route::Render) -> AppState {
        self.metrics = Some(render);
        self
    }

    /// Names the account that runs this OpenTrail: its principals may be allowed by policy to
    /// write any account's events (`settings::AuthzRequest::operator_account`).
    pub fn with_operator_account(mut self, account_id: String) -> AppState {
        self.operator_account = Some(account_id);
        self
    }

    /// Sets the store trails deliver to (CreateTrail checks or creates buckets there).
    pub fn with_blob_store(mut self, blobs: blob_store::BlobStore) -> AppState {
        self.blobs = blobs;
        self
    }

    fn now(&self) -> SystemTime {
        let millis = self.ingestor.clock().now_unix_millis().max(0) as u64;
        SystemTime::UNIX_EPOCH + Duration::from_millis(millis)
    }

    fn now_unix_millis(&self) -> i64 {
        self.ingestor.clock().now_unix_millis()
    }
}

/// The request id of the request being served (set by the request-id middleware).
#[derive(Clone, Debug)]
pub(crate) struct RequestId(pub(crate) String);

/// Builds the router (kept separate from serving so tests drive it without a socket).
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/ready", get(ready))
        .route("/metrics", get(metrics_route::metrics))
        .route("/PutAuditEvents", post(put_audit_events).fallback(method_not_allowed))
        .route("/v1/events", post(native::ingest_events).fallback(method_not_allowed))
        .route("/v1/alarms", get(alarms::list_alarms).post(alarms::put_alarm))
        .route("/v1/alarms/{name}", get(alarms::get_alarm).delete(alarms::delete_alarm))
        .route("/v1/alarms/{name}/state", post(alarms::set_alarm_state))
        .route("/v1/alarms/{name}/actions", post(alarms::set_alarm_actions))
        .route("/v1/alarms/{name}/history", get(alarms::alarm_history))
        .route("/v1/notification-targets", get(alarms::list_targets).post(alarms::put_target))
        .route("/v1/notification-targets/{name}", axum::routing::delete(alarms::delete_target))
        .route("/v1/notifications", get(alarms::notifications))
        .route("/sns/SimpleNotificationService-opentrail.pem", get(alarms::certificate))
        .route("/sns/unsubscribe", get(alarms::unsubscribe))
        .fallback(fallback)
        .layer(middleware::from_fn(request_id))
        .with_state(state)
}

/// Serves `router` on `listener` until `shutdown` completes, then finishes in-flight requests;
/// with the edge's limits (`limits.rs`): a connection cap, header and idle timeouts.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    edge::serve(listener, router, shutdown).await
}

async fn request_id(mut request: Request, next: Next) -> Response {
    let id = ingest::write_model::new_id();
    request.extensions_mut().insert(RequestId(id.clone()));
    let span = tracing::info_span!("request", request_id = %id, method = %request.method(), path = %request.uri().path());
    let mut response = tracing::Instrument::instrument(next.run(request), span).await;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-amzn-requestid", value);
    }
    response
}

async fn health() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok", "version": env!("CARGO_PKG_VERSION") }))
}

/// Ready when events can be accepted: the WAL works and the disk has room.
async fn ready(State(state): State<Arc<AppState>>) -> Response {
    // Anyone may ask, so the answer names the cause, never its details (paths, free space,
    // WAL positions): those are in the server's log.
    let unavailable = |reason: &str| {
        let body = json!({ "status": "unavailable", "reason": reason });
        (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response()
    };
    if let Some(failure) = state.ingestor.wal().failure() {
        tracing::error!(%failure, "not ready: the write-ahead log failed; restart OpenTrail");
        return unavailable("the write-ahead log failed; the operator must restart OpenTrail");
    }
    if let Err(err) = state.ingestor.check_capacity() {
        tracing::warn!(%err, "not ready");
        return unavailable(if err.is_retryable() {
            "OpenTrail cannot accept events now; retry later"
        } else {
            "OpenTrail cannot accept events"
        });
    }
    Json(json!({ "status": "ready" })).into_response()
}

/// The AWS services found by their request framing (AWS JSON's `X-Amz-Target`), in the order
/// they are tried.
const ADDRESSED_SERVICES: &[&service::Service] = &[&cloudtrail::CLOUDTRAIL, &logs::LOGS];

/// Requests with an `X-Amz-Target` go to the CloudTrail API or CloudWatch Logs whatever their
/// path (clients post to the path of their endpoint URL); requests signed for S3 to the S3
/// API; anything else is unknown.
async fn fallback(State(state): State<Arc<AppState>>, request: Request) -> Response {
    if let Some(service) = service::addressed(ADDRESSED_SERVICES, &request) {
        return service::serve(state, request, service, service::Route::default()).await;
    }
    if s3::is_s3_request(&request) {
        return s3::serve(state, request).await;
    }
    if sts::is_sts_request(&request) {
        return sts::serve(state, request).await;
    }
    ApiError::new(
        StatusCode::NOT_FOUND,
        "UnknownOperationException",
        "no such endpoint; OpenTrail serves the CloudTrail API (`POST` with `X-Amz-Target`), `POST /PutAuditEvents`, `POST /v1/events`, `GET /health` and `GET /ready`",
    )
    .into_response()
}

/// CloudTrail Data's `POST /PutAuditEvents`.
async fn put_audit_events(State(state): State<Arc<AppState>>, request: Request) -> Response {
    service::serve(
        state,
        request,
        &audit_events::CLOUDTRAIL_DATA,
        service::Route::to("PutAuditEvents"),
    )
    .await
}

async fn method_not_allowed(method: axum::http::Method) -> Response {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "MethodNotAllowedException",
        format!("`{method}` is not allowed here; use `POST`"),
    )
    .into_response()
}

/// Why a request body could not be read.
#[derive(Debug)]
pub(crate) enum BodyError {
    /// Longer than the route's limit: by its `Content-Length` (refused before a byte of it is
    /// read), or as it streamed in (chunked, stopped at the limit).
    TooLarge { what: &'static str, limit: usize },
    /// Not complete within [`limits::BODY_READ_TIMEOUT`].
    TimedOut,
    /// The connection failed while it was read.
    Failed(String),
    /// No room under [`limits::BODY_BYTES_IN_FLIGHT_MAX`] within [`limits::BODY_BUDGET_WAIT`].
    Busy,
}

impl BodyError {
    pub(crate) fn message(&self) -> String {
        match self {
            BodyError::TooLarge { what, limit } => {
                format!("{what} is larger than the {limit} byte limit")
            }
            BodyError::TimedOut => format!(
                "the request body did not arrive within {} seconds",
                limits::BODY_READ_TIMEOUT.as_secs()
            ),
            BodyError::Failed(cause) => format!("the request body could not be read: {cause}"),
            BodyError::Busy => {
                "too many request bodies are being received at once; retry shortly".to_owned()
            }
        }
    }
}

/// OpenTrail's own APIs (native ingest) answer HTTP's statuses: 413 and 408.
impl From<BodyError> for ApiError {
    fn from(err: BodyError) -> ApiError {
        let message = err.message();
        match err {
            BodyError::TooLarge { .. } => ApiError::too_large(message),
            BodyError::TimedOut => {
                ApiError::new(StatusCode::REQUEST_TIMEOUT, "RequestTimeout", message)
            }
            BodyError::Failed(_) => ApiError::bad_request("InvalidRequest", message),
            BodyError::Busy => ApiError {
                retry_after: Some(1),
                ..ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "ServiceUnavailable", message)
            },
        }
    }
}

/// The unit of the body budget's permits (KiB: 256 MiB is 262,144 permits).
const BUDGET_UNIT: usize = 1024;

/// A request body's share of [`limits::BODY_BYTES_IN_FLIGHT_MAX`], given back when dropped:
/// keep it until the answer is built.
pub(crate) struct BodyBudget(
    #[allow(dead_code, reason = "held, not read")] tokio::sync::OwnedSemaphorePermit,
);

/// Reads a request body of at most `limit` bytes within [`limits::BODY_READ_TIMEOUT`], once
/// there is room for it under the server's in-flight body budget. A body whose declared length
/// is over the limit is refused before any of it is read.
async fn read_body(
    state: &AppState,
    body: axum::body::Body,
    limit: usize,
    what: &'static str,
) -> Result<(axum::body::Bytes, BodyBudget), BodyError> {
    read_body_within(&state.body_budget, limits::BODY_BUDGET_WAIT, body, limit, what).await
}

async fn read_body_within(
    budget: &Arc<tokio::sync::Semaphore>,
    wait: Duration,
    body: axum::body::Body,
    limit: usize,
    what: &'static str,
) -> Result<(axum::body::Bytes, BodyBudget), BodyError> {
    use axum::body::HttpBody as _;
    let hint = body.size_hint();
    if hint.lower() > limit as u64 {
        return Err(BodyError::TooLarge { what, limit });
    }
    // The declared length, or the most the route takes when none is declared (chunked).
    let bytes = hint.exact().map_or(limit, |n| n as usize).min(limit);
    let units = u32::try_from(bytes.div_ceil(BUDGET_UNIT)).unwrap_or(u32::MAX).max(1);
    let permit =
        match tokio::time::timeout(wait, Arc::clone(budget).acquire_many_owned(units)).await {
            Ok(Ok(permit)) => permit,
            Ok(Err(_)) | Err(_) => {
                tracing::warn!(bytes, "request refused: the in-flight body budget is exhausted");
                return Err(BodyError::Busy);
            }
        };
    match tokio::time::timeout(limits::BODY_READ_TIMEOUT, collect_body(body, limit, what)).await {
        Ok(read) => read.map(|bytes| (bytes, BodyBudget(permit))),
        Err(_) => Err(BodyError::TimedOut),
    }
}

/// The body's bytes, stopping at the first frame that takes it past `limit`.
async fn collect_body(
    mut body: axum::body::Body,
    limit: usize,
    what: &'static str,
) -> Result<axum::body::Bytes, BodyError> {
    use axum::body::HttpBody as _;
    let mut bytes = Vec::with_capacity(body.size_hint().lower().min(limit as u64) as usize);
    loop {
        let frame = std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx)).await;
        let Some(frame) = frame else { return Ok(bytes.into()) };
        let frame = frame.map_err(|err| BodyError::Failed(err.to_string()))?;
        let Ok(data) = frame.into_data() else { continue };
        if bytes.len() + data.len() > limit {
            return Err(BodyError::TooLarge { what, limit });
        }
        bytes.extend_from_slice(&data);
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod fuzz_corpus;
