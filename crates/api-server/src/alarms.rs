//! OpenTrail's JSON API for alarms, notification targets and the notification history
//! (`docs/alarms-api.md`): plain JSON over HTTP, SigV4 for service `opentrail` (as the native
//! ingest endpoint), members named as in CloudWatch's PutMetricAlarm / DescribeAlarms.
//! Authorization uses the IAM actions users know: `cloudwatch:*` for alarms, `sns:*` for
//! targets.

use std::sync::Arc;

use axum::extract::{Path, Query, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use catalog::AlarmStore as _;
use cloudtrail_model::api_call::{ApiCall, CallError, CallerIdentity};
use metric_alarms::{
    AlarmService, ServiceError, StateValue, Target, TargetRules as _, UnsubscribeLink,
};
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::service::{
    self, Authz, Call, OpResult, Operation, Protocol, Route, Service, Unlisted, audit,
};
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
        ServiceError::NotAuthorized(m) => {
            ApiError::new(StatusCode::FORBIDDEN, "AuthorizationError", m)
        }
        ServiceError::Internal(m) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "ServiceUnavailable",
            format!("{m}; try again"),
        ),
    }
}

/// The alarms of this API (CloudWatch's operation names and IAM actions, recorded with
/// `eventSource` `monitoring.amazonaws.com`).
pub(crate) static MONITORING: Service = Service {
    signing_name: "opentrail",
    iam_prefix: "cloudwatch",
    access_denied_code: "AccessDenied",
    protocol: Protocol::RestJson,
    audit_source: Some("monitoring.amazonaws.com"),
    audit_redact: None,
    audit_data: None,
    request_bytes_max: BODY_BYTES_MAX,
    operations: &[
        Operation::blocking(
            "DescribeAlarms",
            "cloudwatch:DescribeAlarms",
            Authz::Account,
            describe_alarms,
        ),
        Operation::blocking(
            "PutMetricAlarm",
            "cloudwatch:PutMetricAlarm",
            Authz::Account,
            put_metric_alarm,
        ),
        Operation::blocking(
            "DeleteAlarms",
            "cloudwatch:DeleteAlarms",
            Authz::Account,
            delete_alarms,
        ),
        Operation::blocking(
            "SetAlarmState",
            "cloudwatch:SetAlarmState",
            Authz::Account,
            set_alarm_state_op,
        ),
        Operation::blocking(
            "EnableAlarmActions",
            "cloudwatch:EnableAlarmActions",
            Authz::Account,
            set_actions_enabled,
        ),
        Operation::blocking(
            "DisableAlarmActions",
            "cloudwatch:DisableAlarmActions",
            Authz::Account,
            set_actions_enabled,
        ),
        Operation::blocking(
            "DescribeAlarmHistory",
            "cloudwatch:DescribeAlarmHistory",
            Authz::Account,
            describe_alarm_history,
        ),
    ],
    unlisted: Unlisted::NONE,
};

/// Notification targets and the notification history (SNS's operation names and IAM
/// actions, recorded with `eventSource` `sns.amazonaws.com`).
/// Webhook URLs carry their secret in the path or query (Slack's do): a self-audit record
/// keeps the scheme and host, and a hash of the rest so two URLs can still be told apart.
/// Wherever they are in `value` (request members, a described target in the answer).
fn redact_endpoints(value: &mut Value) {
    match value {
        Value::Object(members) => {
            for (name, member) in members.iter_mut() {
                match (name.as_str(), member) {
                    ("Webhooks" | "SlackWebhooks", Value::Array(urls)) => {
                        for url in urls.iter_mut() {
                            if let Value::String(text) = url {
                                *text = redact_url(text);
                            }
                        }
                    }
                    (_, member) => redact_endpoints(member),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact_endpoints),
        _ => {}
    }
}

/// `scheme://host/…#sha256:<12 hex>` of `url` (its path and query are the secret).
fn redact_url(url: &str) -> String {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(url.as_bytes());
    let short: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
    format!("{}#sha256:{short}", metric_alarms::redact(url))
}

pub(crate) static SNS: Service = Service {
    signing_name: "opentrail",
    iam_prefix: "sns",
    access_denied_code: "AccessDenied",
    protocol: Protocol::RestJson,
    audit_source: Some("sns.amazonaws.com"),
    audit_redact: Some(redact_endpoints),
    audit_data: None,
    request_bytes_max: BODY_BYTES_MAX,
    operations: &[
        Operation::blocking("ListTopics", "sns:ListTopics", Authz::Account, list_topics),
        Operation::blocking("CreateTopic", "sns:CreateTopic", Authz::Account, create_topic),
        Operation::blocking("DeleteTopic", "sns:DeleteTopic", Authz::Account, delete_topic),
        Operation::blocking(
            "ListNotifications",
            "sns:ListNotifications",
            Authz::Account,
            list_notifications,
        ),
    ],
    unlisted: Unlisted::NONE,
};

fn alarms(state: &AppState) -> Result<&Arc<AlarmService>, ApiError> {
    state.alarms.as_ref().ok_or_else(|| {
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
    service::serve(state, request, &MONITORING, Route::to("DescribeAlarms")).await
}

/// `GET /v1/alarms/{name}`.
pub(crate) async fn get_alarm(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    request: Request,
) -> Response {
    let route = Route::to("DescribeAlarms").with("AlarmName", name);
    service::serve(state, request, &MONITORING, route).await
}

/// DescribeAlarms: every alarm, or the one the path names.
fn describe_alarms(call: &Call) -> OpResult {
    let (caller, name) = (&call.caller, call.param("AlarmName"));
    let alarms = alarms(&call.state)?.describe_alarms(&caller.account_id, &caller.region);
    if call.params.is_empty() {
        return Ok(json!({ "MetricAlarms": alarms }));
    }
    alarms
        .into_iter()
        .find(|a| a["AlarmName"] == name)
        .map(|a| json!({ "MetricAlarm": a }))
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "ResourceNotFound",
                format!("alarm `{name}` does not exist"),
            )
        })
}

/// `POST /v1/alarms`: PutMetricAlarm (create, or replace the configuration).
pub(crate) async fn put_alarm(State(state): State<Arc<AppState>>, request: Request) -> Response {
    service::serve(state, request, &MONITORING, Route::to("PutMetricAlarm")).await
}

fn put_metric_alarm(call: &Call) -> OpResult {
    let caller = &call.caller;
    let config = metric_alarms::alarm_config_from_json(&json_body(&call.body)?)
        .map_err(|err| ApiError::bad_request("InvalidParameterValue", err.to_string()))?;
    let name = config.alarm_name.clone();
    let service = alarms(&call.state)?;
    service.put_alarm(&caller.account_id, &caller.region, config).map_err(service_error)?;
    let described = service
        .describe_alarms(&caller.account_id, &caller.region)
        .into_iter()
        .find(|a| a["AlarmName"] == name)
        .unwrap_or(Value::Null);
    Ok(json!({ "MetricAlarm": described }))
}

/// `DELETE /v1/alarms/{name}`.
pub(crate) async fn delete_alarm(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    request: Request,
) -> Response {
    let route = Route::to("DeleteAlarms").with("AlarmName", name);
    service::serve(state, request, &MONITORING, route).await
}

fn delete_alarms(call: &Call) -> OpResult {
    let caller = &call.caller;
    alarms(&call.state)?
        .delete_alarm(&caller.account_id, &caller.region, call.param("AlarmName"))
        .map_err(service_error)?;
    Ok(json!({}))
}

/// `POST /v1/alarms/{name}/state`: SetAlarmState (`StateValue`, `StateReason`).
pub(crate) async fn set_alarm_state(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    request: Request,
) -> Response {
    let route = Route::to("SetAlarmState").with("AlarmName", name);
    service::serve(state, request, &MONITORING, route).await
}

fn set_alarm_state_op(call: &Call) -> OpResult {
    let caller = &call.caller;
    let body = json_body(&call.body)?;
    let value: StateValue = body["StateValue"]
        .as_str()
        .ok_or_else(|| ApiError::bad_request("MissingParameter", "`StateValue` is required"))?
        .parse()
        .map_err(|err: metric_alarms::Error| {
            ApiError::bad_request("InvalidParameterValue", err.to_string())
        })?;
    let reason = body["StateReason"]
        .as_str()
        .ok_or_else(|| ApiError::bad_request("MissingParameter", "`StateReason` is required"))?;
    alarms(&call.state)?
        .set_alarm_state(&caller.account_id, &caller.region, call.param("AlarmName"), value, reason)
        .map_err(service_error)?;
    Ok(json!({}))
}

/// `ActionsEnabled` of an Enable/DisableAlarmActions body, when it is a boolean.
fn actions_enabled(body: &[u8]) -> Option<bool> {
    serde_json::from_slice::<Value>(body).ok().and_then(|v| v["ActionsEnabled"].as_bool())
}

/// `POST /v1/alarms/{name}/actions`: Enable/DisableAlarmActions (`ActionsEnabled`), recorded
/// under AWS's name for each (turning an alarm's actions off is what an intruder does).
pub(crate) async fn set_alarm_actions(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    request: Request,
) -> Response {
    let (parts, body) = request.into_parts();
    let (body, _budget) = match read_body(&state, body, BODY_BYTES_MAX, "the request body").await {
        Ok(read) => read,
        Err(err) => return MONITORING.protocol.body_error(err).into_response(),
    };
    let operation = match actions_enabled(&body) {
        Some(false) => "DisableAlarmActions",
        _ => "EnableAlarmActions",
    };
    let request = Request::from_parts(parts, axum::body::Body::from(body));
    let route = Route::to(operation).with("AlarmName", name);
    service::serve(state, request, &MONITORING, route).await
}

fn set_actions_enabled(call: &Call) -> OpResult {
    let caller = &call.caller;
    let enabled = actions_enabled(&call.body).ok_or_else(|| {
        ApiError::bad_request("MissingParameter", "`ActionsEnabled` (true or false) is required")
    })?;
    alarms(&call.state)?
        .set_actions_enabled(&caller.account_id, &caller.region, call.param("AlarmName"), enabled)
        .map_err(service_error)?;
    Ok(json!({}))
}

/// `GET /v1/alarms/{name}/history`: DescribeAlarmHistory items, newest first.
pub(crate) async fn alarm_history(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    request: Request,
) -> Response {
    let route = Route::to("DescribeAlarmHistory").with("AlarmName", name);
    service::serve(state, request, &MONITORING, route).await
}

fn describe_alarm_history(call: &Call) -> OpResult {
    let caller = &call.caller;
    let name = call.param("AlarmName");
    let items = alarms(&call.state)?
        .alarm_history(&caller.account_id, &caller.region, name, HISTORY_PAGE_MAX)
        .map_err(service_error)?;
    Ok(json!({ "AlarmHistoryItems": items }))
}

/// `GET /v1/notification-targets`.
pub(crate) async fn list_targets(State(state): State<Arc<AppState>>, request: Request) -> Response {
    service::serve(state, request, &SNS, Route::to("ListTopics")).await
}

fn list_topics(call: &Call) -> OpResult {
    let caller = &call.caller;
    let targets: Vec<Value> = alarms(&call.state)?
        .targets(&caller.account_id, &caller.region)
        .iter()
        .map(|t| t.to_json(&caller.region, &caller.account_id))
        .collect();
    Ok(json!({ "NotificationTargets": targets }))
}

/// `POST /v1/notification-targets`: create or replace.
pub(crate) async fn put_target(State(state): State<Arc<AppState>>, request: Request) -> Response {
    service::serve(state, request, &SNS, Route::to("CreateTopic")).await
}

fn create_topic(call: &Call) -> OpResult {
    let caller = &call.caller;
    let target = Target::from_json(&json_body(&call.body)?)
        .map_err(|err| ApiError::bad_request("InvalidParameterValue", err.message))?;
    let described = target.to_json(&caller.region, &caller.account_id);
    alarms(&call.state)?.put_target(&caller.account_id, &caller.region, target, "api").map_err(
        |err| match err {
            // SNS's answer when an account owns as many topics as it may.
            ServiceError::LimitExceeded(m) => {
                ApiError::new(StatusCode::FORBIDDEN, "TopicLimitExceeded", m)
            }
            other => service_error(other),
        },
    )?;
    Ok(json!({ "NotificationTarget": described }))
}

/// `DELETE /v1/notification-targets/{name}`.
pub(crate) async fn delete_target(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    request: Request,
) -> Response {
    service::serve(state, request, &SNS, Route::to("DeleteTopic").with("Name", name)).await
}

fn delete_topic(call: &Call) -> OpResult {
    let caller = &call.caller;
    alarms(&call.state)?
        .delete_target(&caller.account_id, &caller.region, call.param("Name"))
        .map_err(service_error)?;
    Ok(json!({}))
}

/// Query of `GET /v1/notifications`.
#[derive(serde::Deserialize)]
pub(crate) struct HistoryQuery {
    limit: Option<u32>,
    before: Option<i64>,
}

impl HistoryQuery {
    /// The query of a call whose route already accepted it (`Query<HistoryQuery>`), read again
    /// by the handler with the same number rules.
    fn of(call: &Call) -> HistoryQuery {
        let mut query = HistoryQuery { limit: None, before: None };
        for (name, value) in form_urlencoded::parse(call.query.as_bytes()) {
            match &*name {
                "limit" => query.limit = value.parse().ok(),
                "before" => query.before = value.parse().ok(),
                _ => {}
            }
        }
        query
    }
}

/// `GET /v1/notifications?limit=N&before=ID`: the caller's account's notifications, newest
/// first, with every delivery attempt's outcome. A query that is not `limit` and `before`
/// numbers is refused by the route, before the call is authenticated.
pub(crate) async fn notifications(
    State(state): State<Arc<AppState>>,
    Query(_): Query<HistoryQuery>,
    request: Request,
) -> Response {
    service::serve(state, request, &SNS, Route::to("ListNotifications")).await
}

fn list_notifications(call: &Call) -> OpResult {
    let (state, caller, query) = (&call.state, &call.caller, HistoryQuery::of(call));
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
            let document: Value =
                serde_json::from_str(&r.notification.document).unwrap_or(Value::Null);
            json!({
                "Id": r.id,
                "CreatedTime": r.created_ms,
                "AlarmName": r.notification.alarm_name,
                "TopicArn": r.notification.target_arn,
                "Protocol": r.notification.protocol,
                "Endpoint": metric_alarms::redact(&r.notification.endpoint),
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

/// Query of `GET /sns/unsubscribe` (`Action=Unsubscribe` is accepted and ignored).
#[derive(serde::Deserialize)]
pub(crate) struct UnsubscribeQuery {
    #[serde(rename = "SubscriptionArn", default)]
    subscription_arn: String,
    #[serde(rename = "Token", default)]
    token: String,
}

/// SNS's XML error answer (`ErrorResponse`), with the request id.
fn sns_error(err: &ApiError, request_id: &str) -> Response {
    let kind = if err.status.is_server_error() { "Receiver" } else { "Sender" };
    let body = format!(
        "<ErrorResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\"><Error><Type>{kind}</Type><Code>{}</Code><Message>{}</Message></Error><RequestId>{}</RequestId></ErrorResponse>",
        service::xml_escape(err.code),
        service::xml_escape(&err.message),
        service::xml_escape(request_id),
    );
    (err.status, [("content-type", "text/xml")], body).into_response()
}

/// Appends the CloudTrail record of an unsubscribe through a verified link (in the topic's
/// account and region) and waits for the fsync.
async fn record_unsubscribe(
    state: &AppState,
    context: &audit::Context,
    link: &UnsubscribeLink,
    error: Option<&ApiError>,
) -> Result<(), ingest::Error> {
    let now_ms = state.now_unix_millis();
    let event_id = ingest::write_model::new_id();
    let request = json!({ "SubscriptionArn": link.subscription_arn }).to_string();
    let call = ApiCall {
        // Nobody signed in: an anonymous principal, recorded in the topic's account.
        identity: CallerIdentity::ANONYMOUS,
        event_time_ms: now_ms,
        event_source: "sns.amazonaws.com",
        event_name: "Unsubscribe",
        aws_region: &link.region,
        source_ip: &context.source_ip,
        user_agent: &context.user_agent,
        request: request.as_bytes(),
        outcome: match error {
            None => Ok(None),
            Some(err) => Err(CallError { code: err.code, message: &err.message }),
        },
        request_id: &context.request_id,
        event_id: &event_id,
        data_resources: None,
    };
    let record = call.record_in(&link.account_id);
    let item = ingest::write_model::self_audit(&record, event_id, now_ms);
    state.ingestor.append(vec![item]).await.map(|_| ())
}

/// `GET /sns/unsubscribe?SubscriptionArn=…&Token=…`: the envelope's `UnsubscribeURL`. No
/// signature, as in SNS, but the token is an HMAC of the subscription ARN under the server's
/// secret: a link without it, or with a wrong one, is refused (403 `AuthorizationError`)
/// before anything is looked up, changes nothing and is not recorded (its words are a
/// stranger's). A link with the right token is recorded — CloudTrail event `Unsubscribe` in
/// the topic's account, durable before the endpoint is removed; if it cannot be stored,
/// nothing changes. Links sent before tokens existed carry none and are refused.
pub(crate) async fn unsubscribe(
    State(state): State<Arc<AppState>>,
    Query(query): Query<UnsubscribeQuery>,
    request: Request,
) -> Response {
    let context = audit::Context::of(&request);
    let service = match alarms(&state) {
        Ok(service) => Arc::clone(service),
        Err(err) => return sns_error(&err, &context.request_id),
    };
    let link = match service.verify_unsubscribe_link(&query.subscription_arn, &query.token) {
        Ok(link) => link,
        Err(err) => return sns_error(&service_error(err), &context.request_id),
    };
    let gone = (!service.subscription_exists(&link)).then(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "NotFound",
            format!("subscription `{}` does not exist", link.subscription_arn),
        )
    });
    if let Err(err) = record_unsubscribe(&state, &context, &link, gone.as_ref()).await {
        tracing::error!(%err, request_id = context.request_id, "the record of an unsubscribe could not be stored; nothing was changed");
        return sns_error(&ApiError::from_ingest(err), &context.request_id);
    }
    if let Some(err) = gone {
        return sns_error(&err, &context.request_id);
    }
    let removed = tokio::task::spawn_blocking(move || service.unsubscribe(&link)).await;
    match removed {
        Ok(Ok(_)) => (
            StatusCode::OK,
            [("content-type", "text/xml")],
            format!(
                "<UnsubscribeResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\"><ResponseMetadata><RequestId>{}</RequestId></ResponseMetadata></UnsubscribeResponse>",
                service::xml_escape(&context.request_id)
            ),
        )
            .into_response(),
        Ok(Err(err)) => sns_error(&service_error(err), &context.request_id),
        Err(err) => sns_error(&ApiError::internal(&err), &context.request_id),
    }
}
