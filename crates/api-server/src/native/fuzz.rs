//! Fuzzing the native ingest body through the handler's own steps (`gunzip`, `split_records`,
//! `check_record`): seeded mutations of real records from the shared corpus
//! (`data/cloudtrail/records/*.ndjson`), as NDJSON, log files and single records, plain and
//! gzip (its bytes mutated too), plus the compression bombs at the record limit.
//!
//! `OPENTRAIL_FUZZ_CASES` sets the number of cases (default 3,000: a few seconds unoptimised),
//! `OPENTRAIL_FUZZ_SEED` the seed. Every case runs under `catch_unwind`; a panic fails the test
//! with the seed, the case and the input in hex.

use std::io::Write as _;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;

use axum::http::StatusCode;

use super::{Checked, check_record, gunzip, split_records};
use crate::limits;

const ACCOUNT: &str = "123456789012";
const NOW_MS: i64 = 1_700_000_000_000;

/// splitmix64: seeded, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok()).unwrap_or(default)
}

/// Every record of the shared corpus's NDJSON files.
fn corpus() -> Vec<Vec<u8>> {
    let shared = match std::env::var_os("OPENTRAIL_SHARED_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
    };
    let dir = shared.join("data/cloudtrail/records");
    let mut records = Vec::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|err| panic!("corpus `{}`: {err}; set OPENTRAIL_SHARED_DIR", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "ndjson"))
        .collect();
    files.sort();
    for file in files {
        let text = std::fs::read(&file).unwrap();
        records.extend(
            text.split(|b| *b == b'\n').filter(|l| !l.trim_ascii().is_empty()).map(<[u8]>::to_vec),
        );
    }
    assert!(records.len() > 100, "corpus too small: {}", records.len());
    records
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    gzip_at(bytes, flate2::Compression::fast())
}

fn gzip_at(bytes: &[u8], level: flate2::Compression) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), level);
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// One generated body: bytes, whether gzip, and the record count when unmutated.
struct Case {
    body: Vec<u8>,
    gzip: bool,
    expected_records: Option<usize>,
}

const TOKENS: &[&[u8]] = &[
    b"{",
    b"}",
    b"[",
    b"]",
    b",",
    b":",
    b"\"",
    b"\\",
    b"\n",
    b"\r\n",
    b" ",
    b"0",
    b"-1e999",
    b"\"Records\"",
    b"\"Rec\\u006frds\"",
    b"{\"Records\":[",
    b"]}",
    b"null",
    b"\\u0000",
    b"\xff",
    b"\xe2\x82",
    b"\"eventID\":\"x\"",
];

fn mutate(rng: &mut Rng, body: &mut Vec<u8>) {
    let at = rng.below(body.len() + 1);
    match rng.below(6) {
        0 if !body.is_empty() => {
            let i = rng.below(body.len());
            body[i] ^= 1 << rng.below(8);
        }
        1 => {
            let token = TOKENS[rng.below(TOKENS.len())];
            body.splice(at..at, token.iter().copied());
        }
        2 => {
            let end = (at + rng.below(64)).min(body.len());
            body.drain(at..end);
        }
        3 => {
            let end = (at + rng.below(256)).min(body.len());
            let copy = body[at..end].to_vec();
            body.splice(at..at, copy.iter().copied().cycle().take(copy.len() * (1 + rng.below(3))));
        }
        4 => body.truncate(at),
        _ => body.insert(at, rng.next() as u8),
    }
}

fn generate(rng: &mut Rng, corpus: &[Vec<u8>]) -> Case {
    let n = rng.below(9);
    let records: Vec<&[u8]> = (0..n).map(|_| corpus[rng.below(corpus.len())].as_slice()).collect();
    let (mut body, expected) = match rng.below(4) {
        0 | 1 => {
            let newline: &[u8] = if rng.below(4) == 0 { b"\r\n" } else { b"\n" };
            (records.join(newline), (n > 0).then_some(n))
        }
        2 => {
            let separator: &[u8] = if rng.below(2) == 0 { b"," } else { b",\n  " };
            let mut body = b"{\"Records\": [".to_vec();
            body.extend(records.join(separator));
            body.extend_from_slice(b"]}");
            (body, Some(n))
        }
        _ => match records.first() {
            Some(record) => (record.to_vec(), Some(1)),
            None => (b"{}".to_vec(), Some(1)),
        },
    };
    let mutations = if rng.below(4) == 0 { 0 } else { 1 + rng.below(4) };
    for _ in 0..mutations {
        mutate(rng, &mut body);
    }
    let expected_records = if mutations == 0 { expected } else { None };
    if rng.below(3) > 0 {
        return Case { body, gzip: false, expected_records };
    }
    let mut body = gzip(&body);
    let gzip_mutated = rng.below(4) == 0;
    if gzip_mutated {
        mutate(rng, &mut body);
    }
    Case { body, gzip: true, expected_records: expected_records.filter(|_| !gzip_mutated) }
}

/// The handler's steps on one body; the number of records checked, or the request's error.
fn run(case: &Case) -> Result<usize, StatusCode> {
    let decoded =
        if case.gzip { gunzip(&case.body).map_err(|e| e.status)? } else { case.body.clone() };
    let records = split_records(&decoded).map_err(|e| e.status)?;
    assert!(records.len() <= limits::NATIVE_RECORDS_PER_REQUEST_MAX);
    for record in &records {
        match check_record(record, ACCOUNT, NOW_MS) {
            Checked::Ready { .. } => {}
            Checked::Rejected { errors } => assert!(!errors.is_empty()),
        }
    }
    Ok(records.len())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn native_bodies_never_panic() {
    let cases = env_number("OPENTRAIL_FUZZ_CASES", 3_000);
    let seed = env_number("OPENTRAIL_FUZZ_SEED", 0x0715_E06E);
    let corpus = corpus();
    let mut rng = Rng(seed);
    let (mut ok, mut refused) = (0u64, 0u64);
    let started = std::time::Instant::now();
    for index in 0..cases {
        let case = generate(&mut rng, &corpus);
        match catch_unwind(AssertUnwindSafe(|| run(&case))) {
            Ok(Ok(n)) => {
                ok += 1;
                if let Some(expected) = case.expected_records {
                    assert_eq!(n, expected, "seed {seed} case {index}: {}", hex(&case.body));
                }
            }
            Ok(Err(status)) => {
                refused += 1;
                assert!(status.is_client_error(), "seed {seed} case {index}: {status}");
            }
            Err(_) => panic!(
                "seed {seed} case {index} panicked; gzip: {}; body (hex): {}",
                case.gzip,
                hex(&case.body)
            ),
        }
    }
    // The numbers for a long run's report (`--nocapture`).
    #[allow(clippy::print_stderr)]
    {
        eprintln!(
            "native body fuzz: {cases} cases, seed {seed}: {ok} read, {refused} refused, 0 panics, {:.1?}",
            started.elapsed()
        );
    }
}

/// `{"Records":[0,0,…]}` with `n` zeros.
fn zeros(n: usize) -> Vec<u8> {
    let mut body = b"{\"Records\":[".to_vec();
    for i in 0..n {
        body.extend_from_slice(if i == 0 { b"0" } else { b",0" });
    }
    body.extend_from_slice(b"]}");
    body
}

#[test]
fn the_record_limit_is_exact_plain_and_gzip() {
    let max = limits::NATIVE_RECORDS_PER_REQUEST_MAX;
    for (n, expected) in [(max, Ok(max)), (max + 1, Err(StatusCode::PAYLOAD_TOO_LARGE))] {
        let plain = Case { body: zeros(n), gzip: false, expected_records: None };
        assert_eq!(run(&plain), expected);
        let gzipped = Case { body: gzip(&zeros(n)), gzip: true, expected_records: None };
        assert_eq!(run(&gzipped), expected);
        let ndjson = Case { body: b"{}\n".repeat(n), gzip: false, expected_records: None };
        assert_eq!(run(&ndjson), expected);
    }
}

#[test]
fn a_gzip_bomb_stops_at_the_first_excess_record() {
    // A million records' worth of zeros: 2 MB decoded from a few kilobytes.
    let bomb = gzip_at(&zeros(1_000_000), flate2::Compression::best());
    assert!(bomb.len() < 10_000, "{}", bomb.len());
    let started = std::time::Instant::now();
    let err = gunzip(&bomb).unwrap_err();
    assert_eq!(err.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", err.message);
    assert!(started.elapsed() < std::time::Duration::from_secs(1), "{:?}", started.elapsed());
    // Past the decoded-bytes cap inside one string (no record count to stop it): refused as it
    // streams. Gzip members of 1 MiB each, concatenated.
    let mut big = gzip(b"{\"Records\":[\"");
    let member = gzip(&vec![b'a'; 1024 * 1024]);
    for _ in 0..=limits::NATIVE_DECODED_BYTES_MAX / (1024 * 1024) {
        big.extend_from_slice(&member);
    }
    let err = gunzip(&big).unwrap_err();
    assert_eq!(err.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", err.message);
}
