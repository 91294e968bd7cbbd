//! Fuzzing the native ingest body through the handler's own steps (`gunzip`, `split_records`,
//! `check_record`) with `mutation-fuzz`: real records of the shared corpus
//! ([`crate::fuzz_corpus`]) as NDJSON, log files and single records, plain and gzip, mutated
//! with each other's pieces and both shapes' framing (the gzip bytes mutated too), plus the
//! record limit and the compression bombs.
//!
//! Cases: `OPENTRAIL_FUZZ_CASES` (default 3000: a few seconds unoptimised), seed:
//! `OPENTRAIL_FUZZ_SEED`. A failing case prints whole: a byte saying gzip (`01`) or plain
//! (`00`), a byte with the record count of an unmutated body (`ff`: none expected), the body.

use std::borrow::Cow;
use std::cell::Cell;
use std::io::Write as _;

use axum::http::StatusCode;
use mutation_fuzz::{Rng, mutate};

use super::{Checked, check_record, gunzip, split_records};
use crate::limits;

const ACCOUNT: &str = "123456789012";
const NOW_MS: i64 = 1_700_000_000_000;

/// The count byte of a case whose body was mutated.
const COUNT_UNKNOWN: u8 = 0xff;

/// Both shapes' framing, spliced in among the records' own pieces.
const FRAMING: &[&[u8]] = &[
    b"{\"Records\":[",
    b"]}",
    b"\"Records\"",
    b"\"Rec\\u006frds\"",
    b"\n",
    b"\r\n",
    b",\n  ",
    b"\"eventID\":\"x\"",
    b"-1e999",
];

fn gzip(bytes: &[u8]) -> Vec<u8> {
    gzip_at(bytes, flate2::Compression::fast())
}

fn gzip_at(bytes: &[u8], level: flate2::Compression) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), level);
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// Up to eight corpus records in one of the three shapes, perhaps mutated, perhaps gzipped
/// (and perhaps the gzip mutated), framed as the module header says.
fn make_case(rng: &mut Rng, corpus: &[Vec<u8>], pieces: &[Vec<u8>]) -> Vec<u8> {
    let n_records = rng.below(9);
    let records: Vec<&[u8]> = (0..n_records).map(|_| rng.pick(corpus).as_slice()).collect();
    let (body, count) = match rng.below(4) {
        0 | 1 => {
            let newline: &[u8] = if rng.one_in(4) { b"\r\n" } else { b"\n" };
            (records.join(newline), (n_records > 0).then_some(n_records))
        }
        2 => {
            let separator: &[u8] = if rng.one_in(2) { b"," } else { b",\n  " };
            let mut body = b"{\"Records\": [".to_vec();
            body.extend(records.join(separator));
            body.extend_from_slice(b"]}");
            (body, Some(n_records))
        }
        _ => match records.first() {
            Some(record) => (record.to_vec(), Some(1)),
            None => (b"{}".to_vec(), Some(1)),
        },
    };
    let (mut body, mut count) =
        if rng.one_in(4) { (body, count) } else { (mutate(rng, &body, pieces), None) };
    let gzipped = rng.one_in(3);
    if gzipped {
        body = gzip(&body);
        if rng.one_in(4) {
            body = mutate(rng, &body, &[]);
            count = None;
        }
    }
    let count = count.map_or(COUNT_UNKNOWN, |n| u8::try_from(n).unwrap());
    let mut case = vec![u8::from(gzipped), count];
    case.extend(body);
    case
}

/// The handler's steps on one body; the number of records checked, or the request's error.
fn handler_steps(body: &[u8], gzipped: bool) -> Result<usize, StatusCode> {
    let decoded =
        if gzipped { Cow::Owned(gunzip(body).map_err(|e| e.status)?) } else { Cow::Borrowed(body) };
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

#[test]
fn native_bodies_never_panic() {
    let corpus = crate::fuzz_corpus::records();
    let pieces: Vec<Vec<u8>> = FRAMING
        .iter()
        .map(|framing| framing.to_vec())
        .chain(corpus.iter().step_by(corpus.len() / 16).cloned())
        .collect();
    let (n_read, n_refused) = (Cell::new(0u64), Cell::new(0u64));
    mutation_fuzz::run(
        "native ingest body",
        3_000,
        |rng: &mut Rng| make_case(rng, &corpus, &pieces),
        |case| match handler_steps(&case[2..], case[0] == 1) {
            Ok(n_records) => {
                n_read.set(n_read.get() + 1);
                let count = case[1];
                assert!(count == COUNT_UNKNOWN || n_records == usize::from(count), "{n_records}");
            }
            Err(status) => {
                n_refused.set(n_refused.get() + 1);
                assert!(status.is_client_error(), "{status}");
            }
        },
    );
    // How the cases split, for a long run's report (`--nocapture`).
    #[allow(clippy::print_stderr)]
    {
        eprintln!("native ingest body: {} read, {} refused", n_read.get(), n_refused.get());
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
        assert_eq!(handler_steps(&zeros(n), false), expected);
        assert_eq!(handler_steps(&gzip(&zeros(n)), true), expected);
        assert_eq!(handler_steps(&b"{}\n".repeat(n), false), expected);
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
