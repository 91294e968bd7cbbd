//! No input makes the parser, the printer or the evaluator panic, and every pattern that
//! parses prints to text that parses back to it. Inputs: arbitrary strings, strings over the
//! language's own symbols, and mutated test-vector patterns and events.

use std::sync::OnceLock;

use filter_pattern::{Event, FieldRef, MetricValue, Pattern, PatternSet, Regex};
use proptest::prelude::*;

use crate::{minify, read};

/// The vector patterns and messages, read once.
fn corpus() -> &'static (Vec<String>, Vec<String>) {
    static CORPUS: OnceLock<(Vec<String>, Vec<String>)> = OnceLock::new();
    CORPUS.get_or_init(|| {
        let vectors: Vec<serde_json::Value> =
            serde_json::from_str(&read("spec/filter-pattern-vectors.json")).unwrap();
        let mut patterns = Vec::new();
        let mut messages = Vec::new();
        for vector in vectors {
            patterns.push(vector["pattern"].as_str().unwrap().to_owned());
            let message = match &vector["event"] {
                serde_json::Value::String(text) => text.clone(),
                other => minify(&other.to_string()),
            };
            if !messages.contains(&message) {
                messages.push(message);
            }
        }
        (patterns, messages)
    })
}

/// Parses, prints, re-parses and evaluates `text` against `messages`.
fn exercise(text: &str, messages: &[&str]) -> Result<(), TestCaseError> {
    let _ = FieldRef::parse(text);
    let _ = MetricValue::parse(text);
    let Ok(pattern) = Pattern::parse(text) else { return Ok(()) };
    let printed = pattern.to_string();
    let reparsed = Pattern::parse(&printed);
    prop_assert!(reparsed.is_ok(), "`{}` printed as `{}`: {:?}", text, printed, reparsed);
    prop_assert_eq!(reparsed.as_ref().ok(), Some(&pattern), "`{}` printed as `{}`", text, printed);
    let set = PatternSet::new(vec![pattern.clone()]);
    let mut matched = Vec::new();
    for message in messages {
        let event = Event::parse(message);
        let one = pattern.matches_event(&event);
        prop_assert_eq!(one, pattern.matches(message));
        set.matching(&event, &mut matched);
        prop_assert_eq!(one, !matched.is_empty());
        if let Some(found) = pattern.find(&event) {
            let _ = found.extracted_values();
            let _ = found.resolve(&FieldRef::Positional(2));
        }
    }
    Ok(())
}

/// Characters that mean something somewhere in the language.
const SYMBOLS: &str = "{}[]()$.*'\"%\\ \t-?=!<>&|,_aAzZ09eE+é\n:^";

fn symbols() -> impl Strategy<Value = String> {
    let chars: Vec<char> = SYMBOLS.chars().collect();
    prop::collection::vec(prop::sample::select(chars), 0..40).prop_map(|c| c.into_iter().collect())
}

/// A text edited by inserting, deleting or duplicating pieces.
fn mutate(text: &str, edits: &[(u8, usize, usize, char)]) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for &(kind, at, len, c) in edits {
        let at = at % (chars.len() + 1);
        match kind % 4 {
            0 => chars.insert(at, c),
            1 => {
                let end = (at + len % 4).min(chars.len());
                chars.drain(at..end);
            }
            2 => {
                let end = (at + len % 8).min(chars.len());
                let piece: Vec<char> = chars[at..end].to_vec();
                chars.splice(at..at, piece);
            }
            _ => {
                if at < chars.len() {
                    chars[at] = c;
                }
            }
        }
    }
    chars.into_iter().collect()
}

fn edits() -> impl Strategy<Value = Vec<(u8, usize, usize, char)>> {
    let chars: Vec<char> = SYMBOLS.chars().collect();
    prop::collection::vec(
        (any::<u8>(), any::<usize>(), any::<usize>(), prop::sample::select(chars)),
        1..6,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(7000))]

    #[test]
    fn arbitrary_strings(text in any::<String>(), message in any::<String>()) {
        exercise(&text, &[&message, "{}", "a b c"])?;
        let _ = Regex::new(&text).map(|regex| regex.is_match(&message));
    }

    #[test]
    fn strings_of_symbols(text in symbols(), message in symbols()) {
        exercise(&text, &[&message, "{\"a\":[1,{\"b\":null}],\"c\":\"x y\"}"])?;
        let _ = Regex::new(&text).map(|regex| regex.is_match(&message));
    }

    #[test]
    fn mutated_vectors(pattern_idx in any::<usize>(), message_idx in any::<usize>(), pattern_edits in edits(), message_edits in edits()) {
        let (patterns, messages) = corpus();
        let pattern = &patterns[pattern_idx % patterns.len()];
        let message = &messages[message_idx % messages.len()];
        let mutated_message = mutate(message, &message_edits);
        exercise(&mutate(pattern, &pattern_edits), &[message, &mutated_message])?;
        exercise(pattern, &[&mutated_message])?;
    }
}
