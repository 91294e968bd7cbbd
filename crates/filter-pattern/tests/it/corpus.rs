//! The CIS patterns (Security Hub's and `spec/cis-pack.md`'s), AWS's documented metric-filter
//! examples, and the CloudTrail records of `data/cloudtrail/records`.

use filter_pattern::{Event, FieldRef, MetricValue, Pattern};

use crate::{assert_round_trip, minify, read};

#[derive(serde::Deserialize)]
struct SecurityHubControl {
    control: String,
    #[serde(rename = "filterPattern")]
    filter_pattern: String,
}

#[test]
fn security_hub_cis_patterns_parse_and_round_trip() {
    let text = read("data/cloudtrail/cis/securityhub-cloudwatch-filter-patterns.json");
    let controls: Vec<SecurityHubControl> = serde_json::from_str(&text).unwrap();
    assert_eq!(controls.len(), 14);
    for control in controls {
        let pattern = assert_round_trip(&control.filter_pattern);
        assert!(matches!(pattern.ast(), filter_pattern::Ast::Json(_)), "{}", control.control);
    }
}

/// Every pattern quoted in `cis-pack.md`, inline or in a code block, except the elided
/// `{(…)||…}` excerpt and the event sketches.
fn cis_pack_patterns() -> Vec<String> {
    let text = read("spec/cis-pack.md");
    let mut patterns = Vec::new();
    let mut in_block = false;
    for line in text.lines() {
        if line.starts_with("```") {
            in_block = !in_block;
            continue;
        }
        if in_block && line.starts_with('{') {
            patterns.push(line.to_owned());
        }
        if in_block {
            continue;
        }
        for (idx, span) in line.split('`').enumerate() {
            if idx % 2 == 1 && span.starts_with('{') && span.ends_with('}') {
                patterns.push(span.to_owned());
            }
        }
    }
    patterns.retain(|pattern| !pattern.starts_with("{\"") && !pattern.contains('…'));
    patterns
}

#[test]
fn cis_pack_patterns_parse_and_round_trip() {
    let patterns = cis_pack_patterns();
    assert!(patterns.len() >= 29, "found only {} patterns", patterns.len());
    for pattern in patterns {
        assert_round_trip(&pattern);
    }
}

#[derive(serde::Deserialize)]
struct DocExample {
    #[serde(rename = "filterPattern")]
    filter_pattern: String,
    event: Box<serde_json::value::RawValue>,
    expected: bool,
    #[serde(rename = "metricValue")]
    metric_value: Option<String>,
    expected_metric_value: Option<f64>,
}

#[test]
fn aws_documented_metric_filter_examples_hold() {
    let text = read("data/cloudtrail/metric_filters/cloudwatch-logs-doc-examples.json");
    let examples: Vec<DocExample> = serde_json::from_str(&text).unwrap();
    assert_eq!(examples.len(), 12);
    for example in examples {
        let pattern = assert_round_trip(&example.filter_pattern);
        let message = minify(example.event.get());
        let event = Event::parse(&message);
        let found = pattern.find(&event);
        assert_eq!(found.is_some(), example.expected, "`{}`", example.filter_pattern);
        if let (Some(found), Some(value)) = (found, &example.metric_value) {
            let value = MetricValue::parse(value).unwrap();
            assert_eq!(found.metric_value(&value), example.expected_metric_value);
        }
    }
}

/// Every record of the corpus is one JSON object, and the whole CIS pack evaluates on it
/// with the same result whether the event is parsed once or per pattern.
#[test]
fn corpus_records_are_json_objects_and_evaluate_consistently() {
    let text = read("data/cloudtrail/cis/securityhub-cloudwatch-filter-patterns.json");
    let controls: Vec<SecurityHubControl> = serde_json::from_str(&text).unwrap();
    let patterns: Vec<Pattern> =
        controls.iter().map(|control| Pattern::parse(&control.filter_pattern).unwrap()).collect();
    let event_name = FieldRef::parse("$.eventName").unwrap();
    let dir = crate::shared_dir().join("data/cloudtrail/records");
    let mut n_records = 0;
    let mut n_matches = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|ext| ext != "ndjson") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for line in text.lines() {
            n_records += 1;
            let event = Event::parse(line);
            assert!(event.is_json_object(), "{}: `{line}`", path.display());
            let value: serde_json::Value = serde_json::from_str(line).unwrap();
            for pattern in &patterns {
                let matched = pattern.matches_event(&event);
                assert_eq!(matched, pattern.matches(line));
                if let Some(found) = pattern.find(&event) {
                    n_matches += 1;
                    let resolved = found.resolve(&event_name).map(|r| r.text().to_owned());
                    assert_eq!(resolved.as_deref(), value["eventName"].as_str());
                }
            }
        }
    }
    assert_eq!(n_records, 543);
    assert!(n_matches > 20, "only {n_matches} matches in the corpus");
}
