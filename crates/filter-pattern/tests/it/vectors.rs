//! `spec/filter-pattern-vectors.json`: every vector must give its expected result through
//! every evaluation entry point, before and after a print/parse round trip.

use filter_pattern::{Event, EventParser, Pattern};
use serde_json::value::RawValue;

use crate::{assert_round_trip, minify, read};

#[derive(serde::Deserialize)]
struct Vector {
    pattern: String,
    event: Box<RawValue>,
    matches: bool,
    why: String,
}

fn vectors() -> Vec<(Vector, String)> {
    let text = read("spec/filter-pattern-vectors.json");
    let vectors: Vec<Vector> = serde_json::from_str(&text).expect("vectors are a JSON array");
    vectors
        .into_iter()
        .map(|vector| {
            let raw = vector.event.get();
            let message = if raw.starts_with('"') {
                serde_json::from_str::<String>(raw).expect("string event")
            } else {
                minify(raw)
            };
            (vector, message)
        })
        .collect()
}

#[test]
fn every_vector_matches_as_specified() {
    let vectors = vectors();
    assert!(vectors.len() >= 170, "only {} vectors", vectors.len());
    let mut parser = EventParser::new();
    let mut failures = Vec::new();
    for (vector, message) in &vectors {
        let pattern = match Pattern::parse(&vector.pattern) {
            Ok(pattern) => pattern,
            Err(e) => {
                failures.push(format!("`{}` does not parse: {e}", vector.pattern));
                continue;
            }
        };
        let printed = Pattern::parse(&pattern.to_string()).expect("printed pattern parses");
        let results = [
            pattern.matches(message),
            pattern.matches_event(&Event::parse(message)),
            pattern.matches_event(&parser.parse(message)),
            pattern.find(&Event::parse(message)).is_some(),
            printed.matches(message),
        ];
        if results.iter().any(|&result| result != vector.matches) {
            failures.push(format!(
                "`{}` on `{message}`: expected {}, got {results:?} ({})",
                vector.pattern, vector.matches, vector.why
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} vectors fail:\n{}",
        failures.len(),
        vectors.len(),
        failures.join("\n")
    );
}

#[test]
fn every_vector_pattern_round_trips() {
    for (vector, _) in vectors() {
        assert_round_trip(&vector.pattern);
    }
}
