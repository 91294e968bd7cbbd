//! Property tests.
//!
//! - Whatever bytes arrive (method, path, query, header names and values, dates, clocks),
//!   `verify` returns a value and never panics.
//!   Strategies mix plain noise with fragments of real SigV4 syntax so that the parser gets
//!   past its first checks.
//! - Requests signed by `sign` or `presign_url` verify, for arbitrary paths, queries, header
//!   values and bodies, under both URI encodings.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use proptest::collection::vec;
use proptest::prelude::*;
use sigv4::{
    BodyHash, Credentials, Request, SigningParams, UriEncoding, VerifyOptions, presign_url, sign,
    verify,
};

use crate::support::{OwnedRequest, credentials, lookup, uri_encode};

/// Any Unicode text (cheaper to generate than the regex `.*`).
fn unicode(max_chars: usize) -> impl Strategy<Value = String> {
    vec(any::<char>(), 0..=max_chars).prop_map(String::from_iter)
}

/// Text made of bytes from `range`, e.g. printable ASCII or digits.
///
/// Plain byte vectors rather than regex strategies: proptest re-parses a `&str` regex for
/// every generated value, which made these tests take seconds.
fn text_of(
    range: std::ops::RangeInclusive<u8>,
    min_len: usize,
    max_len: usize,
) -> impl Strategy<Value = String> {
    vec(range, min_len..=max_len).prop_map(|bytes| bytes.into_iter().map(char::from).collect())
}

/// Fragments of real SigV4 syntax, so that generated requests get past the first checks.
const SYNTAX: &[&str] = &[
    "AWS4-HMAC-SHA256",
    "Credential=",
    "SignedHeaders=host;x-amz-date",
    "Signature=",
    "AKIDEXAMPLE/20261120/eu-west-1/cloudtrail/aws4_request",
    "AKIDEXAMPLE%2F20261120%2Fus-east-1%2Fs3%2Faws4_request",
    "X-Amz-Algorithm=AWS4-HMAC-SHA256",
    "X-Amz-Credential=",
    "X-Amz-Signature=",
    "X-Amz-Expires=",
    "X-Amz-Date=20261120T214550Z",
    "X-Amz-SignedHeaders=host",
    "X-Amz-Security-Token=",
    "20261120T214550Z",
    "Fri, 20 Nov 2026 21:45:50 GMT",
    "%",
    "%zz%E2%9C",
    "/.././/",
    ",",
    "&",
    "=",
    "/",
    " ",
];

/// Noise, or a fragment of real SigV4 syntax.
///
/// Few `prop_oneof!` arms on purpose: every arm costs a runner clone per generated value.
fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        1 => unicode(24),
        1 => text_of(b' '..=b'~', 0, 40),
        1 => text_of(b'0'..=b'9', 0, 25),
        3 => prop::sample::select(SYNTAX).prop_map(str::to_owned),
    ]
}

fn glued() -> impl Strategy<Value = String> {
    vec(fragment(), 0..8).prop_map(|fragments| fragments.concat())
}

const HEADER_NAMES: &[&str] = &[
    "Authorization",
    "authorization",
    "X-Amz-Date",
    "Date",
    "Host",
    "X-Amz-Security-Token",
    "X-Amz-Content-SHA256",
    "x-amz-meta-anything",
];

fn header_name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(HEADER_NAMES).prop_map(str::to_owned),
        1 => unicode(16),
    ]
}

fn time_strategy() -> impl Strategy<Value = SystemTime> {
    prop_oneof![
        (0_u64..4_000_000_000).prop_map(|secs| UNIX_EPOCH + Duration::from_secs(secs)),
        (1_795_210_000_u64..1_795_212_000).prop_map(|secs| UNIX_EPOCH + Duration::from_secs(secs)),
        any::<u64>().prop_filter_map("representable", |secs| {
            UNIX_EPOCH.checked_sub(Duration::from_secs(secs))
        }),
        any::<u64>().prop_filter_map("representable", |secs| {
            UNIX_EPOCH.checked_add(Duration::from_secs(secs))
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1_000, ..ProptestConfig::default() })]

    #[test]
    fn verify_never_panics(
        method in prop_oneof![Just("GET".to_owned()), unicode(8)],
        path in glued(),
        query in glued(),
        headers in vec((header_name(), glued()), 0..8),
        body in vec(any::<u8>(), 0..64),
        given_hash in prop::option::of(glued()),
        now in time_strategy(),
        skew_secs in prop_oneof![Just(900_u64), any::<u64>()],
        s3 in any::<bool>(),
    ) {
        let header_refs: Vec<(&str, &str)> =
            headers.iter().map(|(name, value)| (name.as_str(), value.as_str())).collect();
        let body_sha256 = match &given_hash {
            Some(given) => BodyHash::Given(given),
            None => BodyHash::Compute(&body),
        };
        let request = Request { method: &method, path: &path, query: &query, headers: &header_refs, body_sha256 };
        let (service, uri_encoding) = if s3 { ("s3", UriEncoding::S3) } else { ("cloudtrail", UriEncoding::Normal) };
        let options = VerifyOptions { allowed_skew: Duration::from_secs(skew_secs), uri_encoding, ..VerifyOptions::new(service) };
        if let Err(error) = verify(&request, &lookup(), now, &options) {
            // Every error renders on both protocols without panicking.
            let _ = (error.to_string(), error.aws_message(), error.s3_message(), error.aws_code(), error.s3_code());
        }
    }

}

proptest! {
    // Each case signs, presigns and verifies twice; SHA-256 is slow in debug builds.
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn signed_requests_verify(
        segments in vec(unicode(12), 0..4),
        query_pairs in vec((prop_oneof![text_of(b' '..=b'~', 0, 8), unicode(4)], unicode(8)), 0..4),
        header_values in vec(unicode(16), 0..3),
        body in vec(any::<u8>(), 0..64),
        session_token in prop::option::of(text_of(b' '..=b'~', 1, 24)),
        now_secs in 0_u64..4_000_000_000,
        s3 in any::<bool>(),
    ) {
        let (service, uri_encoding) = if s3 { ("s3", UriEncoding::S3) } else { ("opentrail", UriEncoding::Normal) };
        let path = format!("/{}", segments.iter().map(|segment| uri_encode(segment, false)).collect::<Vec<_>>().join("/"));
        let query = query_pairs
            .iter()
            .filter(|(key, _)| !key.starts_with("X-Amz-"))
            .map(|(key, value)| format!("{}={}", uri_encode(key, false), uri_encode(value, false)))
            .collect::<Vec<_>>()
            .join("&");
        let mut headers = vec![("Host".to_owned(), "127.0.0.1:8080".to_owned())];
        for (value_idx, value) in header_values.iter().enumerate() {
            headers.push((format!("X-Custom-{value_idx}"), value.clone()));
        }
        let credentials = Credentials { session_token, ..credentials() };
        let now = UNIX_EPOCH + Duration::from_secs(now_secs);
        let params = SigningParams { credentials: &credentials, region: "eu-west-1", service, now, uri_encoding };
        let options = VerifyOptions { uri_encoding, ..VerifyOptions::new(service) };

        let mut request = OwnedRequest { method: "POST".to_owned(), path: path.clone(), query: query.clone(), headers, body, uri_encoding };
        sign(&mut request.headers, &request.method, &request.path, &request.query, &request.body, &params);
        let verified = request.with_view(|view| verify(view, &lookup(), now, &options));
        prop_assert!(verified.is_ok(), "{:?}", verified);

        let url = presign_url("http://127.0.0.1:8080", "GET", &path, &query, Duration::from_secs(60), &params);
        let (_, query) = url.split_once('?').unwrap();
        let presigned = OwnedRequest {
            method: "GET".to_owned(),
            path,
            query: query.to_owned(),
            headers: vec![("host".to_owned(), "127.0.0.1:8080".to_owned())],
            body: Vec::new(),
            uri_encoding,
        };
        let verified = presigned.with_view(|view| verify(view, &lookup(), now, &options));
        prop_assert!(verified.is_ok(), "{:?}", verified);
    }
}
