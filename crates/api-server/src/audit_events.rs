//! CloudTrail Data `PutAuditEvents` (`../shared/spec/cloudtrail-data-api.md`): integration
//! events sent to a channel, validated one by one, stored durably, answered per event.

use std::sync::Arc;

use base64::Engine as _;
use cloudtrail_model::json::{self, Object, Value};
use cloudtrail_model::{EventTime, arn};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::limits;
use crate::service::{Authz, BoxFuture, Call, OpResult, Operation, Protocol, Service, Unlisted};
use crate::{AppState, Caller, new_request_id};

/// The `eventVersion` OpenTrail writes on integration events (AWS does not document one).
pub(crate) const INTEGRATION_EVENT_VERSION: &str = "1.0";

/// CloudTrail Data (rest-json, `POST /PutAuditEvents`). Its calls are data events: they are not
/// self-audited, and the channel's owner is the only account that may send to it.
pub(crate) static CLOUDTRAIL_DATA: Service = Service {
    signing_name: "cloudtrail-data",
    protocol: Protocol::RestJson,
    audit_source: None,
    request_bytes_max: limits::AUDIT_REQUEST_BYTES_MAX,
    operations: &[Operation::awaiting(
        "PutAuditEvents",
        "cloudtrail-data:PutAuditEvents",
        Authz::Owner,
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
        let event_id = new_request_id();
        match build_record(&event, &channel, caller, now_ms, &event_id) {
            Ok(record) => {
                let dedup_key = format!("p:{}:{}", channel.channel_id, event.id);
                let payload = ingest::Envelope {
                    kind: ingest::Kind::AuditEvent,
                    ingested_at_ms: now_ms,
                    dedup_key: &dedup_key,
                    event_id: &event_id,
                    channel_arn: &channel.channel_arn,
                    record: &record,
                }
                .to_vec();
                items.push(ingest::Item { dedup_key, event_id, payload });
                item_ids.push(event.id);
            }
            Err((code, message)) => {
                failed.push(json!({ "id": event.id, "errorCode": code, "errorMessage": message }));
            }
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

type EntryError = (&'static str, String);

/// Checks one event and builds the stored record (cloudtrail-data-api.md §6).
fn build_record(
    event: &Submitted,
    channel: &catalog::Channel,
    caller: &Caller,
    now_ms: i64,
    event_id: &str,
) -> Result<Vec<u8>, EntryError> {
    if let Some(checksum) = &event.checksum {
        let computed = base64::engine::general_purpose::STANDARD
            .encode(Sha256::digest(event.event_data.as_bytes()));
        if *checksum != computed {
            return Err((
                "InvalidChecksum",
                "eventDataChecksum does not match the SHA-256 of eventData".into(),
            ));
        }
    }
    if event.event_data.len() > limits::AUDIT_EVENT_DATA_BYTES_MAX {
        return Err((
            "FieldTooLong",
            format!(
                "eventData is {} bytes, larger than the {} byte limit",
                event.event_data.len(),
                limits::AUDIT_EVENT_DATA_BYTES_MAX
            ),
        ));
    }
    let data = match json::parse(event.event_data.as_bytes()) {
        Ok(Value::Object(object)) => object,
        Ok(other) => {
            return Err((
                "InvalidData",
                format!("eventData must be a JSON object, found {}", other.type_name()),
            ));
        }
        Err(err) => return Err(("InvalidData", format!("eventData is not valid JSON: {err}"))),
    };
    if let Some(path) = first_duplicate_member(&data) {
        return Err((
            "InvalidData",
            format!("eventData{path} occurs more than once: members must be unique"),
        ));
    }
    let text =
        |name: &str, required: bool, chars_max: usize| -> Result<Option<String>, EntryError> {
            text_member(&data, name, &format!("eventData.{name}"), required, chars_max)
        };
    text("version", true, limits::EVENT_DATA_VERSION_CHARS_MAX)?;
    match data.get("userIdentity") {
        None => return Err(("FieldNotFound", "eventData.userIdentity is required".into())),
        Some(Value::Object(identity)) => {
            text_member(
                identity,
                "type",
                "eventData.userIdentity.type",
                true,
                limits::EVENT_DATA_IDENTITY_TYPE_CHARS_MAX,
            )?;
            text_member(
                identity,
                "principalId",
                "eventData.userIdentity.principalId",
                true,
                limits::EVENT_DATA_TEXT_CHARS_MAX,
            )?;
            if let Some(details) = identity.get("details")
                && !matches!(details, Value::Object(_))
            {
                return Err((
                    "InvalidData",
                    "eventData.userIdentity.details must be an object".into(),
                ));
            }
        }
        Some(other) => {
            return Err((
                "InvalidData",
                format!("eventData.userIdentity must be an object, found {}", other.type_name()),
            ));
        }
    }
    text("userAgent", false, limits::EVENT_DATA_TEXT_CHARS_MAX)?;
    text("eventSource", true, limits::EVENT_DATA_TEXT_CHARS_MAX)?;
    text("eventName", true, limits::EVENT_DATA_TEXT_CHARS_MAX)?;
    let event_time = text("eventTime", true, 64)?.unwrap_or_default();
    let event_time = parse_integration_time(&event_time).ok_or_else(|| {
        (
            "InvalidData",
            format!(
                "eventData.eventTime `{}` is not a UTC time like `2026-11-20T21:40:03`",
                clip(&event_time)
            ),
        )
    })?;
    text("UID", true, limits::EVENT_DATA_TEXT_CHARS_MAX)?;
    text("errorCode", false, limits::EVENT_DATA_ERROR_CHARS_MAX)?;
    text("errorMessage", false, limits::EVENT_DATA_ERROR_CHARS_MAX)?;
    if let Some(ip) = text("sourceIPAddress", false, 64)?
        && ip.parse::<std::net::IpAddr>().is_err()
    {
        return Err((
            "InvalidData",
            format!("eventData.sourceIPAddress `{}` is not an IPv4 or IPv6 address", clip(&ip)),
        ));
    }
    for (name, bytes_max) in [
        ("requestParameters", limits::EVENT_DATA_PAYLOAD_BYTES_MAX),
        ("responseElements", limits::EVENT_DATA_PAYLOAD_BYTES_MAX),
        ("additionalEventData", limits::EVENT_DATA_ADDITIONAL_BYTES_MAX),
    ] {
        match data.get(name) {
            None => {}
            Some(Value::Object(object)) => {
                let len = object.encoded_len();
                if len > bytes_max {
                    return Err((
                        "FieldTooLong",
                        format!(
                            "eventData.{name} is {len} bytes, larger than the {bytes_max} byte limit"
                        ),
                    ));
                }
            }
            Some(other) => {
                return Err((
                    "InvalidData",
                    format!("eventData.{name} must be an object, found {}", other.type_name()),
                ));
            }
        }
    }
    let recipient =
        text("recipientAccountId", true, limits::EVENT_DATA_TEXT_CHARS_MAX)?.unwrap_or_default();
    if recipient != channel.account_id {
        return Err((
            "InvalidRecipient",
            format!(
                "eventData.recipientAccountId `{}` is not the channel owner {}",
                clip(&recipient),
                channel.account_id
            ),
        ));
    }

    let mut record = Object::with_capacity(10);
    record.push("eventVersion", INTEGRATION_EVENT_VERSION.into());
    record.push("eventCategory", "ActivityAuditLog".into());
    record.push("eventType", "ActivityLog".into());
    record.push("eventID", event_id.into());
    record.push("eventTime", lake_time(event_time.unix_seconds).into());
    record.push("awsRegion", caller.region.as_str().into());
    record.push("recipientAccountId", recipient.into());
    let mut metadata = Object::with_capacity(2);
    metadata.push("ingestionTime", lake_time(now_ms.div_euclid(1000)).into());
    metadata.push("channelARN", channel.channel_arn.as_str().into());
    record.push("metadata", Value::Object(metadata));
    record.push("eventData", Value::Object(data));
    let mut out = Vec::with_capacity(event.event_data.len() + 512);
    json::write_object(&record, &mut out);
    Ok(out)
}

/// The path (below `eventData`) of the first object member, anywhere in `object`, whose name
/// occurs twice in its object: JSON readers disagree on which copy wins, so such events are
/// refused.
fn first_duplicate_member(object: &Object) -> Option<String> {
    fn walk(value: &Value, path: &str) -> Option<String> {
        match value {
            Value::Object(object) => find(object, path),
            Value::Array(items) => {
                items.iter().enumerate().find_map(|(idx, v)| walk(v, &format!("{path}[{idx}]")))
            }
            _ => None,
        }
    }
    fn find(object: &Object, path: &str) -> Option<String> {
        if let Some(name) = object.first_duplicate_name() {
            return Some(format!("{path}.{name}"));
        }
        object.iter().find_map(|(name, v)| walk(v, &format!("{path}.{name}")))
    }
    find(object, "")
}

fn text_member(
    object: &Object,
    name: &str,
    path: &str,
    required: bool,
    chars_max: usize,
) -> Result<Option<String>, EntryError> {
    match object.get(name) {
        None if required => Err(("FieldNotFound", format!("{path} is required"))),
        None => Ok(None),
        Some(Value::String(text)) => {
            let n_chars = text.chars().count();
            if n_chars > chars_max {
                Err((
                    "FieldTooLong",
                    format!(
                        "{path} is {n_chars} characters, longer than the {chars_max} character limit"
                    ),
                ))
            } else {
                Ok(Some(text.clone()))
            }
        }
        Some(other) => {
            Err(("InvalidData", format!("{path} must be a string, found {}", other.type_name())))
        }
    }
}

/// `yyyy-MM-ddTHH:mm:ss`, with an optional `Z` and fractional seconds.
fn parse_integration_time(text: &str) -> Option<EventTime> {
    if text.ends_with('Z') {
        EventTime::parse(text).ok()
    } else {
        EventTime::parse(&format!("{text}Z")).ok()
    }
}

/// Lake's time format: `yyyy-MM-ddTHH:mm:ss`, UTC, no zone letter.
fn lake_time(unix_seconds: i64) -> String {
    let mut text = cloudtrail_model::time::format_unix_seconds(unix_seconds);
    text.pop();
    text
}

fn clip(text: &str) -> String {
    if text.chars().count() <= 200 {
        text.to_owned()
    } else {
        text.chars().take(200).collect::<String>() + "…"
    }
}
