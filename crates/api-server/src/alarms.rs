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

/// Authenticates (SigV4, service `opentrail`) and authorizes `action`.
async fn begin(
    state: &AppState,
    request: Request,
    action: &str,
) -> Result<(Caller, axum::body::Bytes), ApiError> {
    let (parts, body) = request.into_parts();
    let body = read_body(body, BODY_BYTES_MAX, "the request body").await?;
    let caller = state.keys.authenticate(&parts, &body, "opentrail", state.now())?;
    let Some(principal) = state.keys.principal(&caller.access_key_id) else {
        return Err(ApiError::bad_request(
            "AccessDenied",
            "the caller has no identity to authorize",
        ));
    };
    let request = settings::AuthzRequest {
        principal,
        action,
        resource: "*",
        resource_account: &caller.account_id,
        resource_is_organization_trail: false,
        organization: state.organization.as_ref(),
    };
    if let settings::Decision::Deny { message, .. } = settings::authorize(&request) {
        return Err(ApiError::bad_request("AccessDenied", message));
    }
    Ok((caller, body))
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

fn respond(result: Result<Value, ApiError>) -> Response {
    match result {
        Ok(value) => (StatusCode::OK, [("content-type", "application/json")], value.to_string())
            .into_response(),
        Err(err) => err.into_response(),
    }
}

/// `GET /v1/alarms`: every alarm of the caller's account and region.
pub(crate) async fn list_alarms(State(state): State<Arc<AppState>>, request: Request) -> Response {
    respond(
        async {
            let (caller, _) = begin(&state, request, "cloudwatch:DescribeAlarms").await?;
            let alarms = alarms(&state)?.describe_alarms(&caller.account_id, &caller.region);
            Ok(json!({ "MetricAlarms": alarms }))
        }
        .await,
    )
}

/// `POST /v1/alarms`: PutMetricAlarm (create, or replace the configuration).
pub(crate) async fn put_alarm(State(state): State<Arc<AppState>>, request: Request) -> Response {
    respond(
        async {
            let (caller, body) = begin(&state, request, "cloudwatch:PutMetricAlarm").await?;
            let config = metric_alarms::alarm_config_from_json(&json_body(&body)?)
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
        }
        .await,
    )
}

/// `GET /v1/alarms/{name}`.
pub(crate) async fn get_alarm(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    request: Request,
) -> Response {
    respond(
        async {
            let (caller, _) = begin(&state, request, "cloudwatch:DescribeAlarms").await?;
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
        }
        .await,
    )
}

/// `DELETE /v1/alarms/{name}`.
pub(crate) async fn delete_alarm(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    request: Request,
) -> Response {
    respond(
        async {
            let (caller, _) = begin(&state, request, "cloudwatch:DeleteAlarms").await?;
            alarms(&state)?
                .delete_alarm(&caller.account_id, &caller.region, &name)
                .map_err(service_error)?;
            Ok(json!({}))
        }
        .await,
    )
}

/// `POST /v1/alarms/{name}/state`: SetAlarmState (`StateValue`, `StateReason`).
pub(crate) async fn set_alarm_state(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    request: Request,
) -> Response {
    respond(
        async {
            let (caller, body) = begin(&state, request, "cloudwatch:SetAlarmState").await?;
            let body = json_body(&body)?;
            let value: StateValue = body["StateValue"]
                .as_str()
                .ok_or_else(|| {
                    ApiError::bad_request("MissingParameter", "`StateValue` is required")
                })?
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
        }
        .await,
    )
}

/// `POST /v1/alarms/{name}/actions`: Enable/DisableAlarmActions (`ActionsEnabled`).
pub(crate) async fn set_alarm_actions(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    request: Request,
) -> Response {
    respond(
        async {
            let (caller, body) = begin(&state, request, "cloudwatch:EnableAlarmActions").await?;
            let enabled = json_body(&body)?["ActionsEnabled"].as_bool().ok_or_else(|| {
                ApiError::bad_request(
                    "MissingParameter",
                    "`ActionsEnabled` (true or false) is required",
                )
            })?;
            alarms(&state)?
                .set_actions_enabled(&caller.account_id, &caller.region, &name, enabled)
                .map_err(service_error)?;
            Ok(json!({}))
        }
        .await,
    )
}

/// `GET /v1/alarms/{name}/history`: DescribeAlarmHistory items, newest first.
pub(crate) async fn alarm_history(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    request: Request,
) -> Response {
    respond(
        async {
            let (caller, _) = begin(&state, request, "cloudwatch:DescribeAlarmHistory").await?;
            let items = alarms(&state)?
                .alarm_history(&caller.account_id, &caller.region, &name, HISTORY_PAGE_MAX)
                .map_err(service_error)?;
            Ok(json!({ "AlarmHistoryItems": items }))
        }
        .await,
    )
}

/// `GET /v1/notification-targets`.
pub(crate) async fn list_targets(State(state): State<Arc<AppState>>, request: Request) -> Response {
    respond(
        async {
            let (caller, _) = begin(&state, request, "sns:ListTopics").await?;
            let targets: Vec<Value> = alarms(&state)?
                .targets(&caller.account_id, &caller.region)
                .iter()
                .map(|t| t.to_json(&caller.region, &caller.account_id))
                .collect();
            Ok(json!({ "NotificationTargets": targets }))
        }
        .await,
    )
}

/// `POST /v1/notification-targets`: create or replace.
pub(crate) async fn put_target(State(state): State<Arc<AppState>>, request: Request) -> Response {
    respond(
        async {
            let (caller, body) = begin(&state, request, "sns:CreateTopic").await?;
            let target = Target::from_json(&json_body(&body)?)
                .map_err(|err| ApiError::bad_request("InvalidParameterValue", err.message))?;
            let described = target.to_json(&caller.region, &caller.account_id);
            alarms(&state)?
                .put_target(&caller.account_id, &caller.region, target, "api")
                .map_err(service_error)?;
            Ok(json!({ "NotificationTarget": described }))
        }
        .await,
    )
}

/// `DELETE /v1/notification-targets/{name}`.
pub(crate) async fn delete_target(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    request: Request,
) -> Response {
    respond(
        async {
            let (caller, _) = begin(&state, request, "sns:DeleteTopic").await?;
            alarms(&state)?
                .delete_target(&caller.account_id, &caller.region, &name)
                .map_err(service_error)?;
            Ok(json!({}))
        }
        .await,
    )
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
    respond(async {
        let (caller, _) = begin(&state, request, "sns:ListNotifications").await?;
        let limit = query.limit.unwrap_or(100);
        if !(1..=HISTORY_PAGE_MAX).contains(&limit) {
            return Err(ApiError::bad_request(
                "InvalidParameterValue",
                format!("`limit` = {limit} must be between 1 and {HISTORY_PAGE_MAX}"),
            ));
        }
        let catalog = Arc::clone(&state.catalog);
        let account = caller.account_id.clone();
        let rows = tokio::task::spawn_blocking(move || catalog.notifications(Some(&account), query.before, limit))
            .await
            .map_err(|err| ApiError::internal(&err))?
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
                    "NextAttemptTime": (r.status == catalog::NotificationStatus::Pending).then_some(r.next_attempt_ms),
                })
            })
            .collect();
        let mut out = json!({ "Notifications": items });
        if let Some(next) = next {
            out["NextBefore"] = json!(next);
        }
        Ok(out)
    }.await)
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
                crate::new_request_id()
            ),
        )
            .into_response(),
        Err(err) => service_error(err).into_response(),
    }
}
