//! CloudTrail Data `PutAuditEvents` (`../shared/spec/cloudtrail-data-api.md`): integration
//! events sent to a channel, validated one by one, stored durably, answered per event.

use std::sync::Arc;

use catalog::ChannelStore as _;
use cloudtrail_model::arn;
use cloudtrail_model::integration::{self, Destination, SubmittedEvent, clip};
use serde_json::json;

use crate::AppState;
use crate::error::ApiError;
use crate::limits;
use crate::service::{Authz, BoxFuture, Call, OpResult, Operation, Protocol, Service, Unlisted};

/// CloudTrail Data (rest-json, `POST /PutAuditEvents`). Its calls are data events: they are not
/// self-audited. The channel's owner is the only account that may send to it, and only
/// identities its policies allow `cloudtrail-data:PutAuditEvents` on the channel (as in AWS:
/// `cloudtrail:*` does not grant it).
pub(crate) static CLOUDTRAIL_DATA: Service = Service {
    signing_name: "cloudtrail-data",
    iam_prefix: "cloudtrail-data",
    access_denied_code: "AccessDeniedException",
    protocol: Protocol::RestJson,
    audit_source: None,
    audit_redact: None,
    audit_data: None,
    request_bytes_max: limits::AUDIT_REQUEST_BYTES_MAX,
    operations: &[Operation::awaiting(
        "PutAuditEvents",
        "cloudtrail-data:PutAuditEvents",
        Authz::Handler,
        put_audit_events,
    )],
    unlisted: Unlisted::NONE,
};

/// One submitted event after the request-level checks.
struct Submitted {
    id: String,
    event_data: String,
    checksum: Option<String>,
}

fn put_audit_events(call: Arc<Call>) -> BoxFuture<OpResult> {
    Box::pin(handle(call))
}

async fn handle(call: Arc<Call>) -> OpResult {
    let mut channel_param = None;
    let mut external_id = None;
    for (name, value) in form_urlencoded::parse(call.query.as_bytes()) {
        match &*name {
            "channelArn" => channel_param = Some(value.into_owned()),
            "externalId" => external_id = Some(value.into_owned()),
            _ => {}
        }
    }
    let channel_param = channel_param
        .ok_or_else(|| ApiError::validation("query parameter `channelArn` is required"))?;
    let channel = call.blocking(move |call| find_channel(&call.state, &channel_param)).await?;
    let (state, caller) = (&*call.state, &call.caller);
    if channel.account_id != caller.account_id {
        return Err(ApiError::bad_request(
            "ChannelInsufficientPermission",
            format!(
                "account {} may not send events to channel {}",
                caller.account_id, channel.channel_arn
            ),
        ));
    }
    call.authorize(&channel.channel_arn, &channel.account_id, false)?;
    if let Some(external_id) = &external_id {
        let n_chars = external_id.chars().count();
        let allowed = |c: char| c.is_alphanumeric() || c == '_' || "+=,.@:/-".contains(c);
        if !(limits::EXTERNAL_ID_CHARS_MIN..=limits::EXTERNAL_ID_CHARS_MAX).contains(&n_chars)
            || !external_id.chars().all(allowed)
        {
            return Err(ApiError::validation(format!(
                "`externalId` must be {} to {} characters of `[\\w+=,.@:/-]`",
                limits::EXTERNAL_ID_CHARS_MIN,
                limits::EXTERNAL_ID_CHARS_MAX
            )));
        }
    }

    let submitted = parse_body(&call.body)?;
    let now_ms = state.now_unix_millis();
    let mut failed: Vec<serde_json::Value> = Vec::new();
    let mut items = Vec::new();
    let mut item_ids = Vec::new();
    for event in submitted {
        match check_event(&event, &channel, &caller.region, now_ms) {
            Ok(item) => {
                items.push(item);
                item_ids.push(event.id);
            }
            Err(failure) => failed.push(failure),
        }
    }
    let outcomes = match state.ingestor.append(items).await {
        Ok(outcomes) => outcomes,
        Err(err) => {
            let err = ApiError::from_ingest(err);
            state.ingestion.record(&channel.channel_arn, now_ms, None, Some(err.code));
            return Err(err);
        }
    };
    let mut successful = Vec::new();
    for (id, outcome) in item_ids.into_iter().zip(outcomes) {
        match outcome {
            ingest::Outcome::Stored { event_id } | ingest::Outcome::Duplicate { event_id } => {
                successful.push(json!({ "id": id, "eventID": event_id }));
            }
            ingest::Outcome::InFlight => failed.push(json!({
                "id": id,
                "errorCode": "Throttling",
                "errorMessage": format!("an event with id `{id}` on this channel is being stored by another request; retry"),
            })),
        }
    }
    let last_stored = successful.last().and_then(|s| s["eventID"].as_str());
    let last_error = failed.last().and_then(|f| f["errorCode"].as_str());
    state.ingestion.record(&channel.channel_arn, now_ms, last_stored, last_error);
    Ok(json!({ "successful": successful, "failed": failed }))
}

/// One event's checks: its item for the WAL (under an `eventID` assigned here), or its entry
/// of the answer's `failed` list.
fn check_event(
    event: &Submitted,
    channel: &catalog::Channel,
    aws_region: &str,
    now_ms: i64,
) -> Result<ingest::Item, serde_json::Value> {
    let event_id = ingest::write_model::new_id();
    let submitted =
        SubmittedEvent { event_data: &event.event_data, checksum: event.checksum.as_deref() };
    let destination = Destination {
        channel_arn: &channel.channel_arn,
        channel_account_id: &channel.account_id,
        aws_region,
        event_id: &event_id,
        ingested_at_ms: now_ms,
    };
    match integration::lake_record(&submitted, &destination) {
        Ok(record) => {
            let channel =
                ingest::write_model::Channel { id: &channel.channel_id, arn: &channel.channel_arn };
            Ok(ingest::write_model::audit_event(channel, &event.id, &record, event_id, now_ms))
        }
        Err(err) => {
            Err(json!({ "id": event.id, "errorCode": err.code, "errorMessage": err.message }))
        }
    }
}

/// Resolves `channelArn`: a full channel ARN or the channel's UUID.
fn find_channel(state: &AppState, param: &str) -> Result<catalog::Channel, ApiError> {
    let is_uuid = |s: &str| s.len() == 36 && s.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
    let well_formed = match arn::Arn::parse(param) {
        Ok(parsed) => {
            parsed.service == "cloudtrail"
                && parsed.resource.strip_prefix("channel/").is_some_and(is_uuid)
        }
        Err(_) => is_uuid(param),
    };
    if !well_formed {
        return Err(ApiError::bad_request(
            "InvalidChannelARN",
            format!(
                "`{}` is not a channel ARN (arn:aws:cloudtrail:<region>:<account>:channel/<uuid>) or channel id",
                clip(param)
            ),
        ));
    }
    match state.catalog.channel(param) {
        Ok(Some(channel)) => Ok(channel),
        Ok(None) => Err(ApiError::bad_request(
            "ChannelNotFound",
            format!("channel {} not found", clip(param)),
        )),
        Err(err) => Err(ApiError::internal(&err)),
    }
}

/// Request-level checks: JSON shape, 1 to 100 events, ids well formed and unique.
fn parse_body(body: &[u8]) -> Result<Vec<Submitted>, ApiError> {
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|err| {
        ApiError::serialization(format!("the request body is not valid JSON: {err}"))
    })?;
    let object = value
        .as_object()
        .ok_or_else(|| ApiError::serialization("the request body must be a JSON object"))?;
    let events = match object.get("auditEvents") {
        None => return Err(ApiError::validation("`auditEvents` is required")),
        Some(serde_json::Value::Array(events)) => events,
        Some(_) => return Err(ApiError::serialization("`auditEvents` must be a list")),
    };
    if events.is_empty() || events.len() > limits::AUDIT_EVENTS_PER_REQUEST_MAX {
        return Err(ApiError::validation(format!(
            "`auditEvents` must have 1 to {} items, got {}",
            limits::AUDIT_EVENTS_PER_REQUEST_MAX,
            events.len()
        )));
    }
    let mut submitted = Vec::with_capacity(events.len());
    for (idx, event) in events.iter().enumerate() {
        let event = event.as_object().ok_or_else(|| {
            ApiError::serialization(format!("`auditEvents[{idx}]` must be an object"))
        })?;
        let text = |name: &str, required: bool| -> Result<Option<String>, ApiError> {
            match event.get(name) {
                None | Some(serde_json::Value::Null) if required => {
                    Err(ApiError::validation(format!("`auditEvents[{idx}].{name}` is required")))
                }
                None | Some(serde_json::Value::Null) => Ok(None),
                Some(serde_json::Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(ApiError::serialization(format!(
                    "`auditEvents[{idx}].{name}` must be a string"
                ))),
            }
        };
        let id = text("id", true)?.unwrap_or_default();
        let id_ok = (1..=limits::AUDIT_EVENT_ID_CHARS_MAX).contains(&id.len())
            && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !id_ok {
            return Err(ApiError::validation(format!(
                "`auditEvents[{idx}].id` must be 1 to {} characters of `[-_A-Za-z0-9]`, got `{}`",
                limits::AUDIT_EVENT_ID_CHARS_MAX,
                clip(&id)
            )));
        }
        if submitted.iter().any(|s: &Submitted| s.id == id) {
            return Err(ApiError::bad_request(
                "DuplicatedAuditEventId",
                format!("the id `{id}` occurs more than once in `auditEvents`"),
            ));
        }
        let event_data = text("eventData", true)?.unwrap_or_default();
        let checksum = text("eventDataChecksum", false)?;
        submitted.push(Submitted { id, event_data, checksum });
    }
    Ok(submitted)
}

#[cfg(test)]
mod fuzz;
