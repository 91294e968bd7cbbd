//! A deterministic mutation fuzzer (no libFuzzer on a stable toolchain): mutates the test-vector
//! patterns and messages byte by byte with a seeded xorshift generator, then parses, prints,
//! re-parses and evaluates each result under `catch_unwind`. Any panic, or a printed pattern
//! that does not parse back to itself, is a failure.
//!
//! `cargo run --release --example fuzz -- [executions] [seed]` (default 10,000,000 and 1);
//! reads `$OPENTRAIL_SHARED_DIR/spec/filter-pattern-vectors.json` (default: the shared
//! directory beside the workspace, else `/work/shared`).

#![allow(clippy::print_stdout)]

use std::panic::{self, AssertUnwindSafe};
use std::path::PathBuf;
use std::time::Instant;

use filter_pattern::{Event, FieldRef, MetricValue, Pattern, PatternSet, Regex};

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    "(",
    ")",
    "$.",
    ".*",
    "[*]",
    "[0]",
    "['a.b']",
    "\"",
    "\\",
    "%",
    "&&",
    "||",
    "=",
    "!=",
    "<=",
    ">",
    " IS NULL",
    " IS TRUE",
    " NOT EXISTS",
    "...",
    ",",
    "*",
    "-",
    "?",
    " ",
    "1e3",
    "\\x25",
    "{2,}",
    "[^a]",
    "é",
    "\u{1F600}",
    "\t",
    "\n",
    "\\u0041",
    "null",
    "true",
];

fn mutate(rng: &mut XorShift, input: &[u8], corpus: &[Vec<u8>]) -> Vec<u8> {
    let mut bytes = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(bytes.len() + 1);
        match rng.below(6) {
            0 => {
                const SYNTAX: &[u8] = b"{}[]()$.*\"%\\ -?=!<>&|,a0";
                let b = if rng.below(4) == 0 {
                    rng.next() as u8
                } else {
                    SYNTAX[rng.below(SYNTAX.len())]
                };
                bytes.insert(at, b);
            }
            1 => {
                let end = (at + 1 + rng.below(8)).min(bytes.len());
                bytes.drain(at.min(end)..end);
            }
            2 => {
                let end = (at + 1 + rng.below(16)).min(bytes.len());
                let piece = bytes[at.min(end)..end].to_vec();
                bytes.splice(at..at, piece);
            }
            3 => {
                let other = &corpus[rng.below(corpus.len())];
                let start = rng.below(other.len());
                let end = (start + 1 + rng.below(32)).min(other.len());
                bytes.splice(at..at, other[start.min(end)..end].iter().copied());
            }
            4 => {
                let token = TOKENS[rng.below(TOKENS.len())].as_bytes();
                bytes.splice(at..at, token.iter().copied());
            }
            _ => {
                if at < bytes.len() {
                    bytes[at] = rng.next() as u8;
                }
            }
        }
    }
    bytes
}

/// One execution: everything the crate offers, on one pattern text and one message. Returns
/// whether the pattern parsed and whether it matched.
fn execute(pattern_text: &str, message: &str) -> (bool, bool) {
    let event = Event::parse(message);
    let _ = FieldRef::parse(pattern_text);
    let _ = MetricValue::parse(pattern_text);
    if let Ok(regex) = Regex::new(pattern_text) {
        regex.is_match(message);
    }
    let Ok(pattern) = Pattern::parse(pattern_text) else { return (false, false) };
    let printed = pattern.to_string();
    match Pattern::parse(&printed) {
        Ok(reparsed) => assert!(
            reparsed == pattern,
            "`{pattern_text}` printed as `{printed}` reads differently"
        ),
        Err(e) => panic!("`{pattern_text}` printed as `{printed}`, which does not parse: {e}"),
    }
    let matched = pattern.matches_event(&event);
    assert_eq!(matched, pattern.matches(message), "matches and matches_event differ");
    let mut indexes = Vec::new();
    PatternSet::new(vec![pattern.clone()]).matching(&event, &mut indexes);
    assert_eq!(matched, !indexes.is_empty(), "PatternSet differs");
    if let Some(found) = pattern.find(&event) {
        for (key, _) in found.extracted_values() {
            if let Ok(field) = FieldRef::parse(&key) {
                found.resolve(&field);
            }
        }
        found.resolve(&FieldRef::Positional(1));
    }
    (true, matched)
}

/// `OPENTRAIL_SHARED_DIR`, else the shared directory beside the workspace, else `/work/shared`.
fn shared_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("OPENTRAIL_SHARED_DIR") {
        return PathBuf::from(dir);
    }
    let beside = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared");
    if beside.join("spec").is_dir() { beside } else { PathBuf::from("/work/shared") }
}

fn main() {
    let executions: u64 =
        std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(10_000_000);
    let seed: u64 = std::env::args().nth(2).and_then(|s| s.parse().ok()).unwrap_or(1);
    let shared = shared_dir();
    let text = std::fs::read_to_string(shared.join("spec/filter-pattern-vectors.json"))
        .expect("read vectors");
    let vectors: Vec<serde_json::Value> = serde_json::from_str(&text).expect("vectors are JSON");
    let mut patterns: Vec<Vec<u8>> = Vec::new();
    let mut messages: Vec<Vec<u8>> = Vec::new();
    for vector in &vectors {
        patterns.push(vector["pattern"].as_str().unwrap_or_default().as_bytes().to_vec());
        let message = match &vector["event"] {
            serde_json::Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        messages.push(message.into_bytes());
    }
    let corpus: Vec<Vec<u8>> = patterns.iter().chain(&messages).cloned().collect();

    panic::set_hook(Box::new(|_| {}));
    let mut rng = XorShift(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut failures: Vec<(String, String, String)> = Vec::new();
    let (mut n_parsed, mut n_matched) = (0u64, 0u64);
    let start = Instant::now();
    for execution in 0..executions {
        let pattern = &patterns[rng.below(patterns.len())];
        let message = &messages[rng.below(messages.len())];
        let pattern = String::from_utf8_lossy(&mutate(&mut rng, pattern, &corpus)).into_owned();
        let message = if rng.below(2) == 0 {
            String::from_utf8_lossy(&mutate(&mut rng, message, &corpus)).into_owned()
        } else {
            String::from_utf8_lossy(message).into_owned()
        };
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| execute(&pattern, &message)));
        if let Ok((parsed, matched)) = outcome {
            n_parsed += u64::from(parsed);
            n_matched += u64::from(matched);
        }
        if let Err(payload) = outcome {
            let why = payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_default();
            if failures.len() < 20 {
                println!(
                    "FAILURE at execution {execution}: {why}\n  pattern: {pattern:?}\n  message: {message:?}"
                );
            }
            failures.push((pattern, message, why));
        }
        if execution % 1_000_000 == 999_999 {
            println!(
                "{} executions, {} failures, {:.0} s",
                execution + 1,
                failures.len(),
                start.elapsed().as_secs_f64()
            );
        }
    }
    println!(
        "{executions} executions (seed {seed}) in {:.0} s: {n_parsed} mutated patterns parsed, {n_matched} matched; {} failures",
        start.elapsed().as_secs_f64(),
        failures.len()
    );
    if !failures.is_empty() {
        std::process::exit(1);
    }
}
