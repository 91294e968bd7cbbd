//! Fuzzing PutAuditEvents' request body through the handler's own steps (`parse_body`, then
//! `check_event` on each event) with `mutation-fuzz`. Seeds: bodies of real records of the
//! shared corpus ([`crate::fuzz_corpus`]) as `eventData`, each as it is (not an integration
//! event) or reshaped into one that passes, with a right, a wrong or no checksum; and the
//! edges: 100 and 101 events, a body of nearly 1 MiB, an `eventData` over the record limit,
//! members missing, of the wrong type or repeated. A case is a seed's bytes mutated, or a
//! body written around one mutated `eventData` (so its own checks see the mutation).
//!
//! Cases: `OPENTRAIL_FUZZ_CASES` (default 10000: a few seconds unoptimised), seed:
//! `OPENTRAIL_FUZZ_SEED`.

use std::cell::Cell;

use base64::Engine as _;
use cloudtrail_model::json::{self, Value};
use mutation_fuzz::{Rng, mutate};
use serde_json::json;
use sha2::Digest as _;

use super::{check_event, parse_body};
use crate::limits;

const ACCOUNT: &str = "123456789012";
const REGION: &str = "eu-west-1";
const NOW_MS: i64 = 1_795_183_500_999;
const VALIDATION: &str = "ValidationException";
const SERIALIZATION: &str = "SerializationException";

fn channel() -> catalog::Channel {
    catalog::Channel {
        channel_id: "01234567-89ab-cdef-0123-456789abcdef".into(),
        channel_arn: format!(
            "arn:aws:cloudtrail:{REGION}:{ACCOUNT}:channel/01234567-89ab-cdef-0123-456789abcdef"
        ),
        name: "fuzz".into(),
        source: "Custom".into(),
        account_id: ACCOUNT.into(),
        region: REGION.into(),
        destinations: "[]".into(),
    }
}

/// A body's answer: each event's outcome (`Ok`, or its `errorCode`), or the request's error
/// code.
type Answer = Result<Vec<Result<(), String>>, &'static str>;

/// The handler's steps on one body, every answer checked for what must hold of it.
fn handler_steps(body: &[u8]) -> Answer {
    let submitted = parse_body(body).map_err(|err| {
        assert!(err.status.is_client_error(), "{} {}", err.status, err.message);
        err.code
    })?;
    assert!((1..=limits::AUDIT_EVENTS_PER_REQUEST_MAX).contains(&submitted.len()));
    let channel = channel();
    let mut outcomes = Vec::with_capacity(submitted.len());
    for (idx, event) in submitted.iter().enumerate() {
        assert!((1..=limits::AUDIT_EVENT_ID_CHARS_MAX).contains(&event.id.len()), "{}", event.id);
        assert!(submitted[..idx].iter().all(|earlier| earlier.id != event.id), "{}", event.id);
        let outcome = match check_event(event, &channel, REGION, NOW_MS) {
            Ok(item) => {
                let envelope = ingest::Envelope::decode(&item.payload).unwrap();
                assert_eq!(envelope.kind, ingest::Kind::AuditEvent);
                assert_eq!(envelope.channel_arn, channel.channel_arn);
                assert!(matches!(json::parse(envelope.record), Ok(Value::Object(_))));
                Ok(())
            }
            Err(failure) => {
                assert_eq!(failure["id"], event.id.as_str());
                let code = failure["errorCode"].as_str().unwrap();
                assert!(!code.is_empty() && failure["errorMessage"].is_string(), "{failure}");
                Err(code.to_owned())
            }
        };
        outcomes.push(outcome);
    }
    Ok(outcomes)
}

/// A corpus record reshaped into an integration event for the channel's account: the
/// record's identity, source, name, time, id, address and payloads where they have the types
/// and forms an integration event needs, defaults where not.
fn integration_event(record: &[u8]) -> String {
    use cloudtrail_model::limits as model;
    let record: serde_json::Value = serde_json::from_slice(record).unwrap_or_default();
    let (type_max, text_max) =
        (model::INTEGRATION_IDENTITY_TYPE_CHARS_MAX, model::INTEGRATION_TEXT_CHARS_MAX);
    let fits = |value: &serde_json::Value, chars_max: usize| {
        value.as_str().is_some_and(|s| (1..=chars_max).contains(&s.chars().count()))
    };
    let text = |value: &serde_json::Value, chars_max: usize, default: &str| {
        if fits(value, chars_max) { value.clone() } else { default.into() }
    };
    let identity = &record["userIdentity"];
    let mut event = json!({
        "version": "1.0",
        "userIdentity": {
            "type": text(&identity["type"], type_max, "AppUser"),
            "principalId": text(&identity["principalId"], text_max, "p-1"),
        },
        "eventSource": text(&record["eventSource"], text_max, "orders"),
        "eventName": text(&record["eventName"], text_max, "CancelOrder"),
        "eventTime": "2026-11-20T21:40:03",
        "UID": text(&record["eventID"], text_max, "uid-1"),
        "recipientAccountId": ACCOUNT,
    });
    let event_time = record["eventTime"].as_str().unwrap_or_default();
    if cloudtrail_model::EventTime::parse(event_time).is_ok() {
        event["eventTime"] = event_time.into();
    }
    if identity.is_object() {
        event["userIdentity"]["details"] = identity.clone();
    }
    for (name, chars_max) in [
        ("userAgent", text_max),
        ("errorCode", model::INTEGRATION_ERROR_CHARS_MAX),
        ("errorMessage", model::INTEGRATION_ERROR_CHARS_MAX),
    ] {
        if fits(&record[name], chars_max) {
            event[name] = record[name].clone();
        }
    }
    if record["sourceIPAddress"].as_str().is_some_and(|ip| ip.parse::<std::net::IpAddr>().is_ok()) {
        event["sourceIPAddress"] = record["sourceIPAddress"].clone();
    }
    for name in ["requestParameters", "responseElements", "additionalEventData"] {
        if record[name].is_object() {
            event[name] = record[name].clone();
        }
    }
    event.to_string()
}

fn checksum(event_data: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(event_data.as_bytes()))
}

/// `{"auditEvents":[...]}` of `(id, eventData, eventDataChecksum)`.
fn body(events: &[(String, String, Option<String>)]) -> Vec<u8> {
    let events: Vec<serde_json::Value> = events
        .iter()
        .map(|(id, event_data, checksum)| match checksum {
            Some(checksum) => {
                json!({ "id": id, "eventData": event_data, "eventDataChecksum": checksum })
            }
            None => json!({ "id": id, "eventData": event_data }),
        })
        .collect();
    json!({ "auditEvents": events }).to_string().into_bytes()
}

/// A right checksum two times in five, a wrong one one time in five, else none.
fn some_checksum(rng: &mut Rng, event_data: &str) -> Option<String> {
    match rng.below(5) {
        0 | 1 => Some(checksum(event_data)),
        2 => Some(checksum("")),
        _ => None,
    }
}

/// `n` valid integration events from the corpus, ids `e-0`, `e-1`, …
fn valid_events(event_datas: &[String], n: usize) -> Vec<(String, String, Option<String>)> {
    let events = event_datas.iter().cycle().take(n);
    events.enumerate().map(|(idx, data)| (format!("e-{idx}"), data.clone(), None)).collect()
}

/// The edges, each with the answer it must get: the request's error code, or each event's.
fn edges(event_datas: &[String]) -> Vec<(Vec<u8>, Answer)> {
    let oks = |n: usize| Ok(vec![Ok(()); n]);
    let hundred = limits::AUDIT_EVENTS_PER_REQUEST_MAX;
    // Four events of nearly the record limit, padded in a member of their own: nearly 1 MiB.
    let record_max = cloudtrail_model::limits::RECORD_BYTES_MAX;
    let padded = |len: usize| {
        let data = &event_datas[0];
        let padding = "a".repeat(len - data.len() - r#","padding":"""#.len());
        format!(r#"{},"padding":"{padding}"}}"#, &data[..data.len() - 1])
    };
    let large: Vec<_> =
        (0..4).map(|idx| (format!("large-{idx}"), padded(record_max - 1024), None)).collect();
    let over = vec![("over".to_owned(), padded(record_max + 1), None)];
    let data = serde_json::Value::String(event_datas[0].clone());
    let text = |value: serde_json::Value| value.to_string().into_bytes();
    let events = |events: serde_json::Value| text(json!({ "auditEvents": events }));
    let long_id = "a".repeat(limits::AUDIT_EVENT_ID_CHARS_MAX + 1);
    vec![
        (body(&valid_events(event_datas, hundred)), oks(hundred)),
        (body(&valid_events(event_datas, hundred + 1)), Err(VALIDATION)),
        (body(&large), oks(4)),
        (body(&over), Ok(vec![Err("FieldTooLong".to_owned())])),
        (
            events(json!([{ "id": "a", "eventData": "[]" }])),
            Ok(vec![Err("InvalidData".to_owned())]),
        ),
        // Members missing, empty or not well formed.
        (text(json!({})), Err(VALIDATION)),
        (events(json!([])), Err(VALIDATION)),
        (events(json!([{ "eventData": data }])), Err(VALIDATION)),
        (events(json!([{ "id": "a" }])), Err(VALIDATION)),
        (events(json!([{ "id": null, "eventData": data }])), Err(VALIDATION)),
        (events(json!([{ "id": "", "eventData": data }])), Err(VALIDATION)),
        (events(json!([{ "id": "a/b", "eventData": data }])), Err(VALIDATION)),
        (events(json!([{ "id": long_id, "eventData": data }])), Err(VALIDATION)),
        (
            events(json!([{ "id": "a", "eventData": data }, { "id": "a", "eventData": data }])),
            Err("DuplicatedAuditEventId"),
        ),
        // Members of the wrong type, and bodies that are not a JSON object.
        (events(json!({})), Err(SERIALIZATION)),
        (events(json!([1])), Err(SERIALIZATION)),
        (events(json!([{ "id": 5, "eventData": data }])), Err(SERIALIZATION)),
        (events(json!([{ "id": "a", "eventData": { "version": "1.0" } }])), Err(SERIALIZATION)),
        (
            events(json!([{ "id": "a", "eventData": data, "eventDataChecksum": 7 }])),
            Err(SERIALIZATION),
        ),
        (text(json!([])), Err(SERIALIZATION)),
        (text(json!(null)), Err(SERIALIZATION)),
        (b"{\"auditEvents\":[".to_vec(), Err(SERIALIZATION)),
        (Vec::new(), Err(SERIALIZATION)),
    ]
}

/// What the cases are made from: the corpus records as they are and as integration events.
struct Seeds {
    /// `eventData` values: integration events, then the records as they are.
    event_datas: Vec<String>,
    /// Bodies of a few kilobytes: corpus events and the small edges.
    small: Vec<Vec<u8>>,
    /// The edges of 100 or more events or hundreds of kilobytes: mutated rarely, for time.
    large: Vec<Vec<u8>>,
    /// Pieces of `eventData` values, spliced into a mutated one.
    event_data_pieces: Vec<Vec<u8>>,
}

fn seeds() -> Seeds {
    let records = crate::fuzz_corpus::records();
    let mut event_datas: Vec<String> = records.iter().map(|r| integration_event(r)).collect();
    event_datas.extend(records.iter().map(|r| String::from_utf8_lossy(r).into_owned()));
    let mut rng = Rng::new(mutation_fuzz::seed());
    let mut small = Vec::new();
    for _ in 0..256 {
        let n_events = 1 + rng.below(4);
        let events: Vec<_> = (0..n_events)
            .map(|idx| {
                let data = rng.pick(&event_datas).clone();
                (format!("e-{idx}"), data.clone(), some_checksum(&mut rng, &data))
            })
            .collect();
        small.push(body(&events));
    }
    let mut large = Vec::new();
    for (body, _) in edges(&event_datas) {
        if body.len() < 64 * 1024 { small.push(body) } else { large.push(body) }
    }
    let event_data_pieces =
        event_datas.iter().step_by(event_datas.len() / 32).map(|d| d.as_bytes().to_vec()).collect();
    Seeds { event_datas, small, large, event_data_pieces }
}

/// A seed body mutated (two times in three), or a body of up to three events one of whose
/// `eventData` is mutated.
fn make_case(rng: &mut Rng, seeds: &Seeds) -> Vec<u8> {
    if !rng.one_in(3) {
        let base = if rng.one_in(500) { rng.pick(&seeds.large) } else { rng.pick(&seeds.small) };
        return mutate(rng, base, &seeds.small);
    }
    let n_events = 1 + rng.below(3);
    let mutated_idx = rng.below(n_events);
    let mut events = Vec::with_capacity(n_events);
    for idx in 0..n_events {
        let mut data = rng.pick(&seeds.event_datas).clone();
        if idx == mutated_idx {
            let bytes = mutate(rng, data.as_bytes(), &seeds.event_data_pieces);
            data = String::from_utf8_lossy(&bytes).into_owned();
        }
        let checksum = some_checksum(rng, &data);
        events.push((format!("e-{idx}"), data, checksum));
    }
    body(&events)
}

#[test]
fn put_audit_events_bodies_never_panic() {
    let seeds = seeds();
    let (n_read, n_refused) = (Cell::new(0u64), Cell::new(0u64));
    let (n_events_stored, n_events_failed) = (Cell::new(0u64), Cell::new(0u64));
    mutation_fuzz::run(
        "PutAuditEvents body",
        10_000,
        |rng: &mut Rng| make_case(rng, &seeds),
        |body| match handler_steps(body) {
            Ok(outcomes) => {
                n_read.set(n_read.get() + 1);
                let n_stored = outcomes.iter().filter(|o| o.is_ok()).count() as u64;
                n_events_stored.set(n_events_stored.get() + n_stored);
                n_events_failed.set(n_events_failed.get() + outcomes.len() as u64 - n_stored);
            }
            Err(_) => n_refused.set(n_refused.get() + 1),
        },
    );
    // How the cases split, for a long run's report (`--nocapture`).
    #[allow(clippy::print_stderr)]
    {
        eprintln!(
            "PutAuditEvents body: {} read ({} events stored, {} failed), {} refused",
            n_read.get(),
            n_events_stored.get(),
            n_events_failed.get(),
            n_refused.get()
        );
    }
}

#[test]
fn the_seeds_get_their_answers() {
    let seeds = seeds();
    let n_records = seeds.event_datas.len() / 2;
    let (integration, as_recorded) = seeds.event_datas.split_at(n_records);
    let answer = |data: &str, checksum: Option<String>| {
        let outcomes = handler_steps(&body(&[("e-0".to_owned(), data.to_owned(), checksum)]));
        outcomes.unwrap().remove(0)
    };
    // Every record reshaped passes, with or without its checksum; as recorded, none does.
    for data in integration {
        assert_eq!(answer(data, None), Ok(()), "{data}");
        assert_eq!(answer(data, Some(checksum(data))), Ok(()), "{data}");
        assert_eq!(answer(data, Some(checksum(""))), Err("InvalidChecksum".to_owned()));
    }
    for data in as_recorded {
        assert_eq!(answer(data, None), Err("FieldNotFound".to_owned()), "{data}");
    }
    for (body, expected) in edges(&seeds.event_datas) {
        assert!(body.len() <= limits::AUDIT_REQUEST_BYTES_MAX, "{}", body.len());
        assert_eq!(
            handler_steps(&body),
            expected,
            "{}",
            String::from_utf8_lossy(&body[..64.min(body.len())])
        );
    }
}
