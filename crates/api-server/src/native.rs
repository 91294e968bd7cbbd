//! Native ingest, `POST /v1/events`: CloudTrail records as NDJSON or a log-file body
//! (`{"Records":[...]}`), optionally gzip-encoded; each record validated, completed
//! (`eventID`, `eventTime`, `recipientAccountId` where absent), stored, and answered one by one.
//!
//! Answer (HTTP 200 once the body could be read):
//! `{"accepted": n, "duplicates": n, "rejected": n, "results": [{"index": 0, "status":
//! "accepted"|"duplicate"|"rejected"|"retry", "eventID": "...", "errors": [{"path", "rule",
//! "message"}]}]}`. A duplicate is a record whose `eventID` was already stored (within the
//! deduplication window); it is not stored again and its `eventID` is the stored one.
//!
//! Each record is authorized: the caller needs `opentrail:PutEvents` on the recipient
//! account's `arn:<partition>:opentrail:<region>:<account>:events` — its own account by its
//! policies, a member account only as the organization's management account allowed so by
//! policy. A refused record is answered `rejected` with rule `access-denied`.

use std::io::Read;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use cloudtrail_model::Field;
use cloudtrail_model::json::{self, Value};
use cloudtrail_model::{Record, validate};
use serde_json::json;

use crate::error::ApiError;
use crate::limits;
use crate::records_scan::{RecordsScan, Shape};
use crate::{AppState, read_body};

pub(crate) async fn ingest_events(
    State(state): State<Arc<AppState>>,
    request: Request,
) -> Response {
    match handle(&state, request).await {
        Ok(response) => response,
        Err(err) => err.into_response(),
    }
}

enum Checked {
    Ready { item: ingest::Item, recipient: String },
    Rejected { errors: Vec<serde_json::Value> },
}

/// The IAM action of native ingest, checked on each recipient account's events.
const PUT_EVENTS: &str = "opentrail:PutEvents";

/// Whether `caller` may write events for each recipient account (decided once per account):
/// its own by its policies, another's only as an organization's management account allowed
/// so by policy. `Err` holds the access-denied error of a record for that account.
struct Recipients<'a> {
    state: &'a AppState,
    caller: &'a crate::Caller,
    decided: std::collections::HashMap<String, Result<(), serde_json::Value>>,
}

impl Recipients<'_> {
    fn check(&mut self, recipient: &str) -> Result<(), serde_json::Value> {
        if let Some(decision) = self.decided.get(recipient) {
            return decision.clone();
        }
        let region = &self.caller.region;
        let partition = cloudtrail_model::regions::partition_of(region);
        let resource = format!("arn:{partition}:opentrail:{region}:{recipient}:events");
        let target = crate::service::AuthzTarget {
            resource: &resource,
            resource_account: recipient,
            organization_trail: false,
        };
        let decision = crate::service::decide(self.state, self.caller, PUT_EVENTS, &target)
            .map_err(|message| {
                tracing::info!(caller = %self.caller.principal_arn, recipient, "native ingest refused a record: {message}");
                json!({ "path": "$.recipientAccountId", "rule": "access-denied", "message": message })
            });
        self.decided.insert(recipient.to_owned(), decision.clone());
        decision
    }
}

async fn handle(state: &AppState, request: Request) -> Result<Response, ApiError> {
    let (parts, body) = request.into_parts();
    let (body, _budget) =
        read_body(state, body, limits::NATIVE_BODY_BYTES_MAX, "the request body").await?;
    let caller = state.keys.authenticate(&parts, &body, "opentrail", state.now())?;
    let encoding = parts
        .headers
        .get("content-encoding")
        .map(|v| v.to_str().unwrap_or("?").trim().to_ascii_lowercase());
    let gzip = match encoding.as_deref() {
        None | Some("identity") => false,
        Some("gzip" | "x-gzip") => true,
        Some(other) => {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "UnsupportedMediaType",
                format!(
                    "Content-Encoding `{other}` is not supported; send the body plain or `gzip`"
                ),
            ));
        }
    };
    let now_ms = state.now_unix_millis();
    let account_id = caller.account_id.clone();
    // Decoding and validation are CPU work: keep them off the async workers, one per core.
    let permit = state.cpu_permits.acquire().await.map_err(|err| ApiError::internal(&err))?;
    let checked = tokio::task::spawn_blocking(move || {
        let decoded: std::borrow::Cow<'_, [u8]> = if gzip {
            std::borrow::Cow::Owned(gunzip(&body)?)
        } else {
            std::borrow::Cow::Borrowed(&body)
        };
        let records = split_records(&decoded)?;
        Ok::<_, ApiError>(
            records
                .iter()
                .map(|bytes| check_record(bytes.as_ref(), &account_id, now_ms))
                .collect::<Vec<_>>(),
        )
    })
    .await
    .map_err(|err| ApiError::internal(&err))??;

    let mut items = Vec::new();
    let mut results: Vec<RecordResult> = Vec::with_capacity(checked.len());
    let mut item_indexes = Vec::new();
    let mut recipients =
        Recipients { state, caller: &caller, decided: std::collections::HashMap::new() };
    for (index, checked) in checked.into_iter().enumerate() {
        match checked {
            Checked::Ready { item, recipient } => match recipients.check(&recipient) {
                Ok(()) => {
                    item_indexes.push(index);
                    items.push(item);
                    results.push(RecordResult::Rejected(Vec::new()));
                }
                Err(error) => results.push(RecordResult::Rejected(vec![error])),
            },
            Checked::Rejected { errors } => results.push(RecordResult::Rejected(errors)),
        }
    }
    // The CPU work is done; waiting for the fsync must not hold a core's permit.
    drop(permit);
    let outcomes = state.ingestor.append(items).await.map_err(ApiError::from_ingest)?;
    for (index, outcome) in item_indexes.into_iter().zip(outcomes) {
        results[index] = match outcome {
            ingest::Outcome::Stored { event_id } => RecordResult::Accepted(event_id),
            ingest::Outcome::Duplicate { event_id } => RecordResult::Duplicate(event_id),
            ingest::Outcome::InFlight => RecordResult::Retry,
        };
    }
    let mut response = (StatusCode::OK, answer(&results)).into_response();
    response.headers_mut().insert("content-type", HeaderValue::from_static("application/json"));
    Ok(response)
}

enum RecordResult {
    Accepted(String),
    Duplicate(String),
    Rejected(Vec<serde_json::Value>),
    Retry,
}

/// The answer body, written directly (one map per record would dominate small records).
fn answer(results: &[RecordResult]) -> String {
    let count = |f: fn(&RecordResult) -> bool| results.iter().filter(|r| f(r)).count();
    let n_accepted = count(|r| matches!(r, RecordResult::Accepted(_)));
    let n_duplicates = count(|r| matches!(r, RecordResult::Duplicate(_)));
    let n_rejected = count(|r| matches!(r, RecordResult::Rejected(_)));
    let n_retry = count(|r| matches!(r, RecordResult::Retry));
    let mut out = Vec::with_capacity(64 + results.len() * 80);
    out.extend_from_slice(
        format!(
            "{{\"accepted\":{n_accepted},\"duplicates\":{n_duplicates},\"rejected\":{n_rejected},\"retry\":{n_retry},\"results\":["
        )
        .as_bytes(),
    );
    for (index, result) in results.iter().enumerate() {
        if index > 0 {
            out.push(b',');
        }
        out.extend_from_slice(format!("{{\"index\":{index},\"status\":").as_bytes());
        match result {
            RecordResult::Accepted(id) | RecordResult::Duplicate(id) => {
                let status: &[u8] = if matches!(result, RecordResult::Accepted(_)) {
                    b"\"accepted\""
                } else {
                    b"\"duplicate\""
                };
                out.extend_from_slice(status);
                out.extend_from_slice(b",\"eventID\":");
                json::write_str(id, &mut out);
            }
            RecordResult::Rejected(errors) => {
                out.extend_from_slice(b"\"rejected\",\"errors\":");
                out.extend_from_slice(
                    serde_json::Value::Array(errors.clone()).to_string().as_bytes(),
                );
            }
            RecordResult::Retry => {
                out.extend_from_slice(
                    br#""retry","errors":[{"path":"$.eventID","rule":"in-flight","message":"a record with this eventID is being stored by another request; retry"}]"#,
                );
            }
        }
        out.push(b'}');
    }
    out.extend_from_slice(b"]}");
    String::from_utf8(out).unwrap_or_default()
}

/// Decodes a gzip body as it streams: refused (413) once the decoded bytes pass
/// [`limits::NATIVE_DECODED_BYTES_MAX`] or a `Records` array passes
/// [`limits::NATIVE_RECORDS_PER_REQUEST_MAX`] elements, whichever comes first — a small bomb
/// of `{"Records":[0,0,…]}` stops after a few kilobytes.
fn gunzip(body: &[u8]) -> Result<Vec<u8>, ApiError> {
    let limit = limits::NATIVE_DECODED_BYTES_MAX;
    let mut decoder = flate2::read::MultiGzDecoder::new(body);
    let mut scan = RecordsScan::counting(limits::NATIVE_RECORDS_PER_REQUEST_MAX);
    let mut decoded = Vec::with_capacity(body.len().saturating_mul(4).min(limit));
    let mut chunk = vec![0; 64 * 1024];
    loop {
        let n = match decoder.read(&mut chunk) {
            Ok(0) => return Ok(decoded),
            Ok(n) => n,
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(err) => {
                return Err(ApiError::bad_request(
                    "InvalidRequest",
                    format!("the body is not valid gzip: {err}"),
                ));
            }
        };
        if decoded.len() + n > limit {
            return Err(ApiError::too_large(format!(
                "the decoded body is larger than the {limit} byte limit"
            )));
        }
        scan.feed(&chunk[..n]).map_err(|_| too_many_records())?;
        decoded.extend_from_slice(&chunk[..n]);
    }
}

fn too_many_records() -> ApiError {
    ApiError::too_large(format!(
        "the body has more than the {} record limit per request",
        limits::NATIVE_RECORDS_PER_REQUEST_MAX
    ))
}

/// A log-file body (`{"Records":[...]}`) or NDJSON (one record per line; a single object is
/// one record). The shape is found by [`RecordsScan`] without building the document, so
/// a body's size never multiplies into JSON values: each record is parsed on its own, and a
/// record over [`cloudtrail_model::limits::RECORD_BYTES_MAX`] is passed on unparsed (it is
/// rejected as too large). More than [`limits::NATIVE_RECORDS_PER_REQUEST_MAX`] records is 413.
fn split_records(body: &[u8]) -> Result<Vec<std::borrow::Cow<'_, [u8]>>, ApiError> {
    let trimmed = body.trim_ascii();
    if trimmed.is_empty() {
        return Err(ApiError::validation(
            "the body is empty: send NDJSON records or {\"Records\":[...]}",
        ));
    }
    let mut scan = RecordsScan::locating(limits::NATIVE_RECORDS_PER_REQUEST_MAX);
    scan.feed(trimmed).map_err(|_| too_many_records())?;
    let one_record = cloudtrail_model::limits::RECORD_BYTES_MAX;
    match scan.finish() {
        Shape::Records(ranges) => {
            if let Some(records) = log_file_records(trimmed, ranges) {
                return Ok(records);
            }
        }
        Shape::RecordsNotArray => {
            return Err(ApiError::validation("`Records` must be an array of records"));
        }
        // A single (possibly pretty-printed) record; one that does not parse may be NDJSON.
        Shape::Object if trimmed.len() > one_record || json::parse(trimmed).is_ok() => {
            return Ok(vec![std::borrow::Cow::Borrowed(trimmed)]);
        }
        Shape::Object | Shape::NotOneObject => {}
    }
    ndjson_records(trimmed)
}

/// The elements of a log file's `Records`, each written compactly as before; `None` when one
/// is not JSON (the body is then read as NDJSON, as a body that is not one document is).
fn log_file_records(
    body: &[u8],
    ranges: Vec<std::ops::Range<usize>>,
) -> Option<Vec<std::borrow::Cow<'_, [u8]>>> {
    let mut records = Vec::with_capacity(ranges.len());
    for range in ranges {
        let element = &body[range];
        if element.len() > cloudtrail_model::limits::RECORD_BYTES_MAX {
            records.push(std::borrow::Cow::Borrowed(element));
            continue;
        }
        let value = json::parse(element).ok()?;
        records.push(std::borrow::Cow::Owned(value.to_json().into_bytes()));
    }
    Some(records)
}

/// NDJSON's non-empty lines, counted as they are split.
fn ndjson_records(body: &[u8]) -> Result<Vec<std::borrow::Cow<'_, [u8]>>, ApiError> {
    let mut records = Vec::new();
    for line in body.split(|b| *b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.trim_ascii().is_empty() {
            continue;
        }
        if records.len() == limits::NATIVE_RECORDS_PER_REQUEST_MAX {
            return Err(too_many_records());
        }
        records.push(std::borrow::Cow::Borrowed(line));
    }
    Ok(records)
}

/// Validates one record, filling `eventID`, `eventTime` and `recipientAccountId` if absent.
fn check_record(bytes: &[u8], account_id: &str, now_ms: i64) -> Checked {
    let rejected = |invalid: validate::Invalid| Checked::Rejected {
        errors: invalid
            .0
            .iter()
            .map(|e| json!({ "path": e.path, "rule": e.rule.as_str(), "message": e.message }))
            .collect(),
    };
    // Size, JSON syntax and object shape are checked by the same routine as everything else,
    // on the bytes as sent; the completed record is validated again below.
    let mut record = match parse_object(bytes) {
        Ok(record) => record,
        Err(invalid) => return rejected(invalid),
    };
    let supplied_id = record.event_id.is_present();
    let complete =
        supplied_id && record.event_time.is_present() && record.recipient_account_id.is_present();
    if record.event_id.is_absent() {
        record.event_id = Field::Present(ingest::write_model::new_id());
    }
    if record.event_time.is_absent() {
        record.event_time =
            Field::Present(cloudtrail_model::time::format_unix_seconds(now_ms.div_euclid(1000)));
    }
    if record.recipient_account_id.is_absent() {
        record.recipient_account_id = Field::Present(account_id.to_owned());
    }
    // A complete record is stored exactly as the producer sent it; a completed one is
    // written back out (members in their original order, filled ones appended).
    let encoded: std::borrow::Cow<'_, [u8]> = if complete {
        std::borrow::Cow::Borrowed(bytes.trim_ascii())
    } else {
        std::borrow::Cow::Owned(record.to_json_bytes())
    };
    if let Err(invalid) = validate::validate_encoded(&record, encoded.len()) {
        return rejected(invalid);
    }
    let event_id = record.event_id().unwrap_or_default().to_owned();
    let recipient = record.recipient_account_id.as_deref().unwrap_or_default().to_owned();
    let item = ingest::write_model::native_record(
        &encoded,
        event_id,
        &recipient,
        account_id,
        supplied_id,
        now_ms,
    );
    Checked::Ready { item, recipient }
}

fn parse_object(bytes: &[u8]) -> Result<Record, validate::Invalid> {
    if bytes.len() > cloudtrail_model::limits::RECORD_BYTES_MAX {
        return Err(validate::Invalid(vec![validate::ValidationError {
            path: "$".into(),
            rule: validate::Rule::TooLarge,
            message: format!(
                "record is {} bytes, larger than the {} byte limit",
                bytes.len(),
                cloudtrail_model::limits::RECORD_BYTES_MAX
            ),
        }]));
    }
    match json::parse(bytes) {
        Ok(Value::Object(object)) => Ok(Record::from_object(object)),
        Ok(other) => Err(validate::Invalid(vec![validate::ValidationError {
            path: "$".into(),
            rule: validate::Rule::NotAnObject,
            message: format!("a record must be a JSON object, found {}", other.type_name()),
        }])),
        Err(err) => Err(validate::Invalid(vec![validate::ValidationError {
            path: json::format_path(&err.path),
            rule: validate::Rule::InvalidJson,
            message: format!("{} at byte {}", err.kind, err.offset),
        }])),
    }
}

#[cfg(test)]
mod fuzz;
