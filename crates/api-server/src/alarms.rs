//! OpenTrail's JSON API for alarms, notification targets and the notification history
//! (`docs/alarms-api.md`): plain JSON over HTTP, SigV4 for service `opentrail` (as the native
//! ingest endpoint), members named as in CloudWatch's PutMetricAlarm / DescribeAlarms.
//! Authorization uses the IAM actions users know: `cloudwatch:*` for alarms, `sns:*` for
//! targets.

use std::sync::Arc;

use axum::extract::{Path, Query, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use metric_alarms::{AlarmService, ServiceError, StateValue, Target};
use serde_json::{Value, json};

use crate::auth::Caller;
use crate::error::ApiError;
use crate::service::{self, AuthzTarget, audit};
use crate::{AppState, read_body};

/// Request bodies of this API are small documents.
const BODY_BYTES_MAX: usize = 256 * 1024;
/// Notification history page size bounds.
const HISTORY_PAGE_MAX: u32 = 1000;

fn service_error(err: ServiceError) -> ApiError {
    match err {
        ServiceError::InvalidParameter(m) => ApiError::bad_request("InvalidParameterValue", m),
        ServiceError::ResourceNotFound(m) => {
            ApiError::new(StatusCode::NOT_FOUND, "ResourceNotFound", m)
        }
        ServiceError::LimitExceeded(m) => ApiError::bad_request("LimitExceeded", m),
        ServiceError::AlreadyExists(m) => ApiError::bad_request("ResourceAlreadyExists", m),
        ServiceError::Internal(m) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "ServiceUnavailable",
            format!("{m}; try again"),
        ),
    }
}

/// The `eventSource` of alarm calls in their self-audit records.
const MONITORING: &str = "monitoring.amazonaws.com";
/// The `eventSource` of target and notification calls.
const SNS: &str = "sns.amazonaws.com";

/// One operation of this API: its audit `eventSource` and `eventName`, and its IAM action.
struct Op {
    source: &'static str,
    name: &'static str,
    action: &'static str,
}

/// Authenticates (SigV4, service `opentrail`), authorizes `op`, runs `handler` on the caller
/// and the body, and records the call — success or failure, as every CloudTrail API call is —
/// as a CloudTrail event before answering. `params` (path parameters) join the body's members
/// in the record's `requestParameters`.
async fn serve(
    state: &AppState,
    request: Request,
    op: Op,
    params: &[(&str, &str)],
    handler: impl FnOnce(&Caller, &[u8]) -> Result<Value, ApiError>,
) -> Response {
    let context = audit::Context::of(&request);
    let (parts, body) = request.into_parts();
    let body = match read_body(body, BODY_BYTES_MAX, "the request body").await {
        Ok(body) => body,
        Err(err) => return err.into_response(),
    };
    let mut recorded = match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Object(members)) => members,
        _ => serde_json::Map::new(),
    };
    for (name, value) in params {
        recorded.insert((*name).to_owned(), Value::String((*value).to_owned()));
    }
    let recorded = if recorded.is_empty() {
        Vec::new()
    } else {
        Value::Object(recorded).to_string().into_bytes()
    };
    let audit = audit::Audit { event_source: op.source, context: &context, operation: op.name };
    let caller = match state.keys.authenticate(&parts, &body, "opentrail", state.now()) {
        Ok(caller) => caller,
        Err(err) => {
            if let Some(caller) = state.keys.claimed_caller(&parts) {
                audit.record(state, &caller, &recorded, Err(&err)).await;
            }
            return err.into_response();
        }
    };
    let result = authorize(state, &caller, op.action).and_then(|()| handler(&caller, &body));
    audit.record(state, &caller, &recorded, result.as_ref()).await;
    match result {
        Ok(value) => (StatusCode::OK, [("content-type", "application/json")], value.to_string())
            .into_response(),
        Err(err) => err.into_response(),
    }
}

fn authorize(state: &AppState, caller: &Caller, action: &str) -> Result<(), ApiError> {
    let target = AuthzTarget {
        resource: "*",
        resource_account: &caller.account_id,
        organization_trail: false,
    };
    service::decide(state, caller, action, &target)
        .map_err(|message| ApiError::bad_request("AccessDenied", message))
}

fn alarms(state: &AppState) -> Result<&AlarmService, ApiError> {
    state.alarms.as_deref().ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "ServiceUnavailable",
            "alarms are not running on this server",
        )
    })
}

fn json_body(body: &[u8]) -> Result<Value, ApiError> {
    serde_json::from_slice(body).map_err(|err| {
        ApiError::bad_request("InvalidParameterValue", format!("the body is not JSON: {err}"))
    })
}

/// `GET /v1/alarms`: every alarm of the caller's account and region.
pub(crate) async fn list_alarms(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let op = Op { source: MONITORING, name: "DescribeAlarms", action: "cloudwatch:DescribeAlarms" };
    serve(&state, request, op, &[], |caller, _| {
        let alarms = alarms(&state)?.describe_alarms(&caller.account_id, &caller.region);
        Ok(json!({ "MetricAlarms": alarms }))
    })
    .await
}

/// `POST /v1/alarms`: PutMetricAlarm (create, or replace the configuration).
pub(crate) async fn put_alarm(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let op = Op { source: MONITORING, name: "PutMetricAlarm", action: "cloudwatch:PutMetricAlarm" };
    serve(&state, request, op, &[], |caller, body| {
        let config = metric_alarms::alarm_config_from_json(&json_body(body)?)
            .map_err(|err| ApiError::bad_request("InvalidParameterValue", err.to_string()))?;
        let name = config.alarm_name.clone();
        let service = alarms(&state)?;
        service.put_alarm(&caller.account_id, &caller.region, config).map_err(service_error)?;
        let described = service
            .describe_alarms(&caller.account_id, &caller.region)
            .into_iter()
            .find(|a| a["AlarmName"] == name)
            .unwrap_or(Value::Null);
        Ok(json!({ "MetricAlarm": described }))
    })
    .await
}

/// `GET /v1/alarms/{name}`.
pub(crate) async fn get_alarm(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    request: Request,
) -> Response {
    let op = Op { source: MONITORING, name: "DescribeAlarms", action: "cloudwatch:DescribeAlarms" };
    serve(&state, request, op, &[("AlarmName", &name)], |caller, _| {
        alarms(&state)?
            .describe_alarms(&caller.account_id, &caller.region)
            .into_iter()
            .find(|a| a["AlarmName"] == name.as_str())
            .map(|a| json!({ "MetricAlarm": a }))
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::NOT_FOUND,
                    "ResourceNotFound",
                    format!("alarm `{name}` does not exist"),
                )
            })
    })
    .await
}

/// `DELETE /v1/alarms/{name}`.
pub(crate) async fn delete_alarm(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    request: Request,
) -> Response {
    let op = Op { source: MONITORING, name: "DeleteAlarms", action: "cloudwatch:DeleteAlarms" };
    serve(&state, request, op, &[("AlarmName", &name)], |caller, _| {
        alarms(&state)?
            .delete_alarm(&caller.account_id, &caller.region, &name)
            .map_err(service_error)?;
        Ok(json!({}))
    })
    .await
}

/// `POST /v1/alarms/{name}/state`: SetAlarmState (`StateValue`, `StateReason`).
pub(crate) async fn set_alarm_state(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    request: Request,
) -> Response {
    let op = Op { source: MONITORING, name: "SetAlarmState", action: "cloudwatch:SetAlarmState" };
    serve(&state, request, op, &[("AlarmName", &name)], |caller, body| {
        let body = json_body(body)?;
        let value: StateValue = body["StateValue"]
            .as_str()
            .ok_or_else(|| ApiError::bad_request("MissingParameter", "`StateValue` is required"))?
            .parse()
            .map_err(|err: metric_alarms::Error| {
                ApiError::bad_request("InvalidParameterValue", err.to_string())
            })?;
        let reason = body["StateReason"].as_str().ok_or_else(|| {
            ApiError::bad_request("MissingParameter", "`StateReason` is required")
        })?;
        alarms(&state)?
            .set_alarm_state(&caller.account_id, &caller.region, &name, value, reason)
            .map_err(service_error)?;
        Ok(json!({}))
    })
    .await
}

/// `POST /v1/alarms/{name}/actions`: Enable/DisableAlarmActions (`ActionsEnabled`), recorded
/// under AWS's name for each (turning an alarm's actions off is what an intruder does).
pub(crate) async fn set_alarm_actions(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    request: Request,
) -> Response {
    let (parts, body) = request.into_parts();
    let body = match read_body(body, BODY_BYTES_MAX, "the request body").await {
        Ok(body) => body,
        Err(err) => return err.into_response(),
    };
    let enabled =
        serde_json::from_slice::<Value>(&body).ok().and_then(|v| v["ActionsEnabled"].as_bool());
    let op = match enabled {
        Some(false) => Op {
            source: MONITORING,
            name: "DisableAlarmActions",
            action: "cloudwatch:DisableAlarmActions",
        },
        _ => Op {
            source: MONITORING,
            name: "EnableAlarmActions",
            action: "cloudwatch:EnableAlarmActions",
        },
    };
    let request = Request::from_parts(parts, axum::body::Body::from(body));
    serve(&state, request, op, &[("AlarmName", &name)], |caller, _| {
        let enabled = enabled.ok_or_else(|| {
            ApiError::bad_request(
                "MissingParameter",
                "`ActionsEnabled` (true or false) is required",
            )
        })?;
        alarms(&state)?
            .set_actions_enabled(&caller.account_id, &caller.region, &name, enabled)
            .map_err(service_error)?;
        Ok(json!({}))
    })
    .await
}

/// `GET /v1/alarms/{name}/history`: DescribeAlarmHistory items, newest first.
pub(crate) async fn alarm_history(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    request: Request,
) -> Response {
    let op = Op {
        source: MONITORING,
        name: "DescribeAlarmHistory",
        action: "cloudwatch:DescribeAlarmHistory",
    };
    serve(&state, request, op, &[("AlarmName", &name)], |caller, _| {
        let items = alarms(&state)?
            .alarm_history(&caller.account_id, &caller.region, &name, HISTORY_PAGE_MAX)
            .map_err(service_error)?;
        Ok(json!({ "AlarmHistoryItems": items }))
    })
    .await
}

/// `GET /v1/notification-targets`.
pub(crate) async fn list_targets(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let op = Op { source: SNS, name: "ListTopics", action: "sns:ListTopics" };
    serve(&state, request, op, &[], |caller, _| {
        let targets: Vec<Value> = alarms(&state)?
            .targets(&caller.account_id, &caller.region)
            .iter()
            .map(|t| t.to_json(&caller.region, &caller.account_id))
            .collect();
        Ok(json!({ "NotificationTargets": targets }))
    })
    .await
}

/// `POST /v1/notification-targets`: create or replace.
pub(crate) async fn put_target(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let op = Op { source: SNS, name: "CreateTopic", action: "sns:CreateTopic" };
    serve(&state, request, op, &[], |caller, body| {
        let target = Target::from_json(&json_body(body)?)
            .map_err(|err| ApiError::bad_request("InvalidParameterValue", err.message))?;
        let described = target.to_json(&caller.region, &caller.account_id);
        alarms(&state)?
            .put_target(&caller.account_id, &caller.region, target, "api")
            .map_err(service_error)?;
        Ok(json!({ "NotificationTarget": described }))
    })
    .await
}

/// `DELETE /v1/notification-targets/{name}`.
pub(crate) async fn delete_target(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    request: Request,
) -> Response {
    let op = Op { source: SNS, name: "DeleteTopic", action: "sns:DeleteTopic" };
    serve(&state, request, op, &[("Name", &name)], |caller, _| {
        alarms(&state)?
            .delete_target(&caller.account_id, &caller.region, &name)
            .map_err(service_error)?;
        Ok(json!({}))
    })
    .await
}

/// Query of `GET /v1/notifications`.
#[derive(serde::Deserialize)]
pub(crate) struct HistoryQuery {
    limit: Option<u32>,
    before: Option<i64>,
}

/// `GET /v1/notifications?limit=N&before=ID`: the caller's account's notifications, newest
/// first, with every delivery attempt's outcome.
pub(crate) async fn notifications(
    State(state): State<Arc<AppState>>,
    Query(query): Query<HistoryQuery>,
    request: Request,
) -> Response {
    let op = Op { source: SNS, name: "ListNotifications", action: "sns:ListNotifications" };
    serve(&state, request, op, &[], |caller, _| {
        let limit = query.limit.unwrap_or(100);
        if !(1..=HISTORY_PAGE_MAX).contains(&limit) {
            return Err(ApiError::bad_request(
                "InvalidParameterValue",
                format!("`limit` = {limit} must be between 1 and {HISTORY_PAGE_MAX}"),
            ));
        }
        let rows = state
            .catalog
            .notifications(Some(&caller.account_id), query.before, limit)
            .map_err(|err| ApiError::internal(&err))?;
        let next = (rows.len() == limit as usize).then(|| rows.last().map(|r| r.id)).flatten();
        let items: Vec<Value> = rows
            .iter()
            .map(|r| {
                let document: Value = serde_json::from_str(&r.document).unwrap_or(Value::Null);
                json!({
                    "Id": r.id,
                    "CreatedTime": r.created_ms,
                    "AlarmName": r.alarm_name,
                    "TopicArn": r.target_arn,
                    "Protocol": r.protocol,
                    "Endpoint": metric_alarms::redact(&r.endpoint),
                    "Subject": document.get("Subject").cloned().unwrap_or(Value::Null),
                    "Status": r.status.as_str(),
                    "Attempts": r.attempts,
                    "LastAttemptTime": r.last_attempt_ms,
                    "LastError": r.last_error,
                    "DeliveredTime": r.delivered_ms,
                    "NextAttemptTime": (r.status == catalog::NotificationStatus::Pending)
                        .then_some(r.next_attempt_ms),
                })
            })
            .collect();
        let mut out = json!({ "Notifications": items });
        if let Some(next) = next {
            out["NextBefore"] = json!(next);
        }
        Ok(out)
    })
    .await
}

/// `GET /sns/SimpleNotificationService-opentrail.pem`: the certificate of the key that signs
/// notification envelopes (`SigningCertURL`).
pub(crate) async fn certificate(State(state): State<Arc<AppState>>) -> Response {
    match &state.sns_certificate {
        Some(pem) => (StatusCode::OK, [("content-type", "application/x-pem-file")], pem.clone())
            .into_response(),
        None => ApiError::new(
            StatusCode::NOT_FOUND,
            "NotFound",
            "no notification signing certificate on this server",
        )
        .into_response(),
    }
}

/// Query of `GET /sns/unsubscribe`.
#[derive(serde::Deserialize)]
pub(crate) struct UnsubscribeQuery {
    #[serde(rename = "SubscriptionArn")]
    subscription_arn: String,
}

/// `GET /sns/unsubscribe?SubscriptionArn=…`: the envelope's `UnsubscribeURL`. Like SNS, it
/// needs no signature: the subscription ARN (with its unguessable suffix) is the capability.
pub(crate) async fn unsubscribe(
    State(state): State<Arc<AppState>>,
    Query(query): Query<UnsubscribeQuery>,
) -> Response {
    let service = match alarms(&state) {
        Ok(service) => service,
        Err(err) => return err.into_response(),
    };
    match service.unsubscribe(&query.subscription_arn) {
        Ok(_) => (
            StatusCode::OK,
            [("content-type", "text/xml")],
            format!(
                "<UnsubscribeResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\"><ResponseMetadata><RequestId>{}</RequestId></ResponseMetadata></UnsubscribeResponse>",
                ingest::write_model::new_id()
            ),
        )
            .into_response(),
        Err(err) => service_error(err).into_response(),
    }
}
