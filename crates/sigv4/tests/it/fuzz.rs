//! No request makes verification panic: valid header-signed and presigned requests (S3 and
//! not) whose `Authorization`, `X-Amz-Date`, `X-Amz-Content-Sha256`, security token, path and
//! query string are mutated, byte by byte and with each other's pieces.
//! Cases: `OPENTRAIL_FUZZ_CASES` (default 20000), seed: `OPENTRAIL_FUZZ_SEED`.

use std::time::Duration;

use mutation_fuzz::{Rng, mutate};
use sigv4::{SigningParams, UriEncoding, VerifyOptions, presign_url, sign, verify};

use crate::support::{OwnedRequest, T_20261120_214550, at, credentials, lookup};

/// The mutable parts of a request, separated by `\n` (so a failure prints one readable input):
/// method, path, query, then `name: value` header lines; the body is the rest after `\n\n`.
fn valid_requests() -> Vec<(Vec<u8>, UriEncoding)> {
    let now = at(T_20261120_214550);
    let mut out = Vec::new();
    for (service, uri_encoding) in [("cloudtrail", UriEncoding::Normal), ("s3", UriEncoding::S3)] {
        let credentials =
            sigv4::Credentials { session_token: Some("token/+=".into()), ..credentials() };
        let params = SigningParams {
            credentials: &credentials,
            region: "us-east-1",
            service,
            now,
            uri_encoding,
        };
        let mut headers = vec![
            ("Host".to_owned(), "127.0.0.1:8080".to_owned()),
            ("Content-Type".to_owned(), "application/x-amz-json-1.1".to_owned()),
            ("X-Amz-Target".to_owned(), "CloudTrail_20131101.LookupEvents".to_owned()),
        ];
        let body = br#"{"MaxResults":5}"#.to_vec();
        sign(&mut headers, "POST", "/a/b%20c/", "x=1&y=%2F", &body, &params);
        out.push((encode("POST", "/a/b%20c/", "x=1&y=%2F", &headers, &body), uri_encoding));
        let url = presign_url(
            "http://127.0.0.1:8080",
            "GET",
            "/bucket/key",
            "list-type=2",
            Duration::from_secs(300),
            &params,
        );
        let (_, query) = url.split_once('?').unwrap();
        let headers = vec![("host".to_owned(), "127.0.0.1:8080".to_owned())];
        out.push((encode("GET", "/bucket/key", query, &headers, b""), uri_encoding));
    }
    out
}

fn encode(
    method: &str,
    path: &str,
    query: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Vec<u8> {
    let mut out = format!("{method}\n{path}\n{query}\n").into_bytes();
    for (name, value) in headers {
        out.extend(format!("{name}: {value}\n").bytes());
    }
    out.push(b'\n');
    out.extend(body);
    out
}

fn decode(bytes: &[u8], uri_encoding: UriEncoding) -> OwnedRequest {
    let (head, body) = match bytes.windows(2).position(|w| w == b"\n\n") {
        Some(at) => (&bytes[..at], &bytes[at + 2..]),
        None => (bytes, &b""[..]),
    };
    let head = String::from_utf8_lossy(head);
    let mut lines = head.split('\n');
    let mut next = || lines.next().unwrap_or_default().to_owned();
    let (method, path, query) = (next(), next(), next());
    let headers = head
        .split('\n')
        .skip(3)
        .map(|line| match line.split_once(": ") {
            Some((name, value)) => (name.to_owned(), value.to_owned()),
            None => (line.to_owned(), String::new()),
        })
        .collect();
    OwnedRequest { method, path, query, headers, body: body.to_vec(), uri_encoding }
}

#[test]
fn no_request_panics_verification() {
    let requests = valid_requests();
    // Every valid request verifies before it is mutated.
    for (bytes, uri_encoding) in &requests {
        let request = decode(bytes, *uri_encoding);
        let service = if *uri_encoding == UriEncoding::S3 { "s3" } else { "cloudtrail" };
        let options = VerifyOptions { uri_encoding: *uri_encoding, ..VerifyOptions::new(service) };
        let verified =
            request.with_view(|view| verify(view, &lookup(), at(T_20261120_214550), &options));
        assert!(verified.is_ok(), "{verified:?}");
    }
    let pieces: Vec<Vec<u8>> = requests.iter().map(|(bytes, _)| bytes.clone()).collect();
    mutation_fuzz::run(
        "sigv4 verify",
        20_000,
        |rng: &mut Rng| {
            let idx = rng.below(requests.len());
            let mut bytes = mutate(rng, &requests[idx].0, &pieces);
            // The encoding and clock ride along in the first byte, so the input is whole.
            bytes.insert(0, (idx as u8) | ((rng.below(4) as u8) << 4));
            bytes
        },
        |bytes| {
            let (tag, rest) = bytes.split_first().unwrap();
            let uri_encoding =
                if requests[usize::from(tag & 0x0f) % requests.len()].1 == UriEncoding::S3 {
                    UriEncoding::S3
                } else {
                    UriEncoding::Normal
                };
            let now = [T_20261120_214550, 0, T_20261120_214550 + 600, 4_000_000_000]
                [usize::from(tag >> 4) % 4];
            let request = decode(rest, uri_encoding);
            for service in ["s3", "cloudtrail"] {
                let options = VerifyOptions { uri_encoding, ..VerifyOptions::new(service) };
                let _ = request.with_view(|view| verify(view, &lookup(), at(now), &options));
            }
        },
    );
}
