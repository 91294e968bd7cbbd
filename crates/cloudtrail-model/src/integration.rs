//! CloudTrail Lake integration events (`../shared/spec/cloudtrail-data-api.md` §6): the rules
//! one `eventData` document of PutAuditEvents must pass, and the Lake record stored for it
//! (`eventCategory: ActivityAuditLog`, the producer's document under `eventData`, the
//! channel and ingestion time under `metadata`).
//!
//! Pure: the caller assigns the event id and the time. It is not the request-level checks of
//! PutAuditEvents (ids, counts, the channel), which belong to the API.

use base64::Engine as _;
use sha2::{Digest, Sha256};

use crate::json::{self, Object, Value};
use crate::{EventTime, limits};

/// The `eventVersion` OpenTrail writes on integration events (AWS does not document one).
pub const INTEGRATION_EVENT_VERSION: &str = "1.0";

/// Why one integration event is refused: an `errorCode` of PutAuditEvents' `failed` list
/// (`InvalidChecksum`, `FieldTooLong`, `InvalidData`, `FieldNotFound`, `InvalidRecipient`)
/// and its message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventError {
    pub code: &'static str,
    pub message: String,
}

type EntryError = (&'static str, String);

/// One event as PutAuditEvents received it.
#[derive(Clone, Copy, Debug)]
pub struct SubmittedEvent<'a> {
    pub event_data: &'a str,
    /// `eventDataChecksum`: base64 of the SHA-256 of `event_data`, when the producer sent one.
    pub checksum: Option<&'a str>,
}

/// Where and when an integration event is stored.
#[derive(Clone, Copy, Debug)]
pub struct Destination<'a> {
    pub channel_arn: &'a str,
    /// The channel's owner: the only `recipientAccountId` accepted.
    pub channel_account_id: &'a str,
    /// The region of the request (the record's `awsRegion`).
    pub aws_region: &'a str,
    /// The `eventID` OpenTrail assigns.
    pub event_id: &'a str,
    pub ingested_at_ms: i64,
}

/// Checks one event (cloudtrail-data-api.md §6) and builds the Lake record stored for it.
pub fn lake_record(
    event: &SubmittedEvent<'_>,
    destination: &Destination<'_>,
) -> Result<Vec<u8>, EventError> {
    build(event, destination).map_err(|(code, message)| EventError { code, message })
}

fn build(event: &SubmittedEvent<'_>, destination: &Destination<'_>) -> Result<Vec<u8>, EntryError> {
    if let Some(checksum) = event.checksum {
        let computed = base64::engine::general_purpose::STANDARD
            .encode(Sha256::digest(event.event_data.as_bytes()));
        if checksum != computed {
            return Err((
                "InvalidChecksum",
                "eventDataChecksum does not match the SHA-256 of eventData".into(),
            ));
        }
    }
    if event.event_data.len() > limits::RECORD_BYTES_MAX {
        return Err((
            "FieldTooLong",
            format!(
                "eventData is {} bytes, larger than the {} byte limit",
                event.event_data.len(),
                limits::RECORD_BYTES_MAX
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
    text("version", true, limits::INTEGRATION_VERSION_CHARS_MAX)?;
    match data.get("userIdentity") {
        None => return Err(("FieldNotFound", "eventData.userIdentity is required".into())),
        Some(Value::Object(identity)) => {
            text_member(
                identity,
                "type",
                "eventData.userIdentity.type",
                true,
                limits::INTEGRATION_IDENTITY_TYPE_CHARS_MAX,
            )?;
            text_member(
                identity,
                "principalId",
                "eventData.userIdentity.principalId",
                true,
                limits::INTEGRATION_TEXT_CHARS_MAX,
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
    text("userAgent", false, limits::INTEGRATION_TEXT_CHARS_MAX)?;
    text("eventSource", true, limits::INTEGRATION_TEXT_CHARS_MAX)?;
    text("eventName", true, limits::INTEGRATION_TEXT_CHARS_MAX)?;
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
    text("UID", true, limits::INTEGRATION_TEXT_CHARS_MAX)?;
    text("errorCode", false, limits::INTEGRATION_ERROR_CHARS_MAX)?;
    text("errorMessage", false, limits::INTEGRATION_ERROR_CHARS_MAX)?;
    if let Some(ip) = text("sourceIPAddress", false, 64)?
        && ip.parse::<std::net::IpAddr>().is_err()
    {
        return Err((
            "InvalidData",
            format!("eventData.sourceIPAddress `{}` is not an IPv4 or IPv6 address", clip(&ip)),
        ));
    }
    for (name, bytes_max) in [
        ("requestParameters", limits::INTEGRATION_PAYLOAD_BYTES_MAX),
        ("responseElements", limits::INTEGRATION_PAYLOAD_BYTES_MAX),
        ("additionalEventData", limits::INTEGRATION_ADDITIONAL_BYTES_MAX),
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
        text("recipientAccountId", true, limits::INTEGRATION_TEXT_CHARS_MAX)?.unwrap_or_default();
    if recipient != destination.channel_account_id {
        return Err((
            "InvalidRecipient",
            format!(
                "eventData.recipientAccountId `{}` is not the channel owner {}",
                clip(&recipient),
                destination.channel_account_id
            ),
        ));
    }

    let mut record = Object::with_capacity(10);
    record.push("eventVersion", INTEGRATION_EVENT_VERSION.into());
    record.push("eventCategory", "ActivityAuditLog".into());
    record.push("eventType", "ActivityLog".into());
    record.push("eventID", destination.event_id.into());
    record.push("eventTime", lake_time(event_time.unix_seconds).into());
    record.push("awsRegion", destination.aws_region.into());
    record.push("recipientAccountId", recipient.into());
    let mut metadata = Object::with_capacity(2);
    metadata.push("ingestionTime", lake_time(destination.ingested_at_ms.div_euclid(1000)).into());
    metadata.push("channelARN", destination.channel_arn.into());
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
    let mut text = crate::time::format_unix_seconds(unix_seconds);
    text.pop();
    text
}

/// `text`, cut to its first 200 characters (then `…`) to be quoted in an error message.
pub fn clip(text: &str) -> String {
    if text.chars().count() <= 200 {
        text.to_owned()
    } else {
        text.chars().take(200).collect::<String>() + "…"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHANNEL: &str =
        "arn:aws:cloudtrail:eu-west-1:123456789012:channel/01234567-89ab-cdef-0123-456789abcdef";

    fn check(
        event_data: &str,
        checksum: Option<&str>,
        expected: Result<&str, (&'static str, &str)>,
    ) {
        let destination = Destination {
            channel_arn: CHANNEL,
            channel_account_id: "123456789012",
            aws_region: "eu-west-1",
            event_id: "e-1",
            ingested_at_ms: 1_795_183_500_999,
        };
        let event = SubmittedEvent { event_data, checksum };
        let actual = lake_record(&event, &destination);
        match expected {
            Ok(record) => assert_eq!(String::from_utf8(actual.unwrap()).unwrap(), record),
            Err((code, message)) => {
                assert_eq!(actual.unwrap_err(), EventError { code, message: message.to_owned() })
            }
        }
    }

    const DATA: &str = r#"{"version":"1.0","userIdentity":{"type":"AppUser","principalId":"u-1"},"eventSource":"orders","eventName":"CancelOrder","eventTime":"2026-11-20T21:40:03","UID":"req-1","recipientAccountId":"123456789012"}"#;

    #[test]
    fn a_valid_event_becomes_a_lake_record() {
        let checksum =
            base64::engine::general_purpose::STANDARD.encode(Sha256::digest(DATA.as_bytes()));
        check(
            DATA,
            Some(&checksum),
            Ok(&format!(
                r#"{{"eventVersion":"1.0","eventCategory":"ActivityAuditLog","eventType":"ActivityLog","eventID":"e-1","eventTime":"2026-11-20T21:40:03","awsRegion":"eu-west-1","recipientAccountId":"123456789012","metadata":{{"ingestionTime":"2026-11-20T14:05:00","channelARN":"{CHANNEL}"}},"eventData":{DATA}}}"#
            )),
        );
    }

    #[test]
    fn broken_events_name_their_rule() {
        check(
            DATA,
            Some("AAAA"),
            Err(("InvalidChecksum", "eventDataChecksum does not match the SHA-256 of eventData")),
        );
        check("[1]", None, Err(("InvalidData", "eventData must be a JSON object, found array")));
        check(
            r#"{"version":"1"}"#,
            None,
            Err(("FieldNotFound", "eventData.userIdentity is required")),
        );
        check(
            r#"{"version":"1","version":"2"}"#,
            None,
            Err(("InvalidData", "eventData.version occurs more than once: members must be unique")),
        );
        let other = DATA.replace(
            "\"recipientAccountId\":\"123456789012\"",
            "\"recipientAccountId\":\"999999999999\"",
        );
        check(
            &other,
            None,
            Err((
                "InvalidRecipient",
                "eventData.recipientAccountId `999999999999` is not the channel owner 123456789012",
            )),
        );
    }
}
