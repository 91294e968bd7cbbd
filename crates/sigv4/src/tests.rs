//! Unit tests for the internal helpers: timestamps, dot segments, percent coding, and the
//! layout of the canonical request.

use crate::canonical::{KeepSlash, percent_decode, push_percent_encoded, remove_dot_segments};
use crate::timestamp::{format_amz_date, parse_amz_date, parse_http_date};
use crate::{BodyHash, Request, UriEncoding, canonical_request};

#[test]
fn amz_date_round_trips() {
    let check = |text: &str, unix: i64| {
        assert_eq!(parse_amz_date(text), Some(unix), "parse `{text}`");
        assert_eq!(format_amz_date(unix), text, "format `{unix}`");
    };
    check("19700101T000000Z", 0);
    check("20261120T214550Z", 1_795_211_150);
    check("20240229T235959Z", 1_709_251_199);
    check("20000229T120000Z", 951_825_600);
    check("19691231T235959Z", -1);
    check("00000101T000000Z", -62_167_219_200);
    check("99991231T235959Z", 253_402_300_799);
}

#[test]
fn amz_date_rejects_malformed() {
    for text in [
        "",
        "20261120T214550",
        "20261120 214550Z",
        "2026-11-20T21:45:50Z",
        "20261320T000000Z",
        "20261100T000000Z",
        "20230229T000000Z",
        "21000229T000000Z",
        "20261120T240000Z",
        "20261120T236000Z",
        "20261120T235960Z",
        "+0261120T214550Z",
        "20261120T21455\u{e9}",
    ] {
        assert_eq!(parse_amz_date(text), None, "`{text}`");
    }
}

#[test]
fn http_dates() {
    let check = |text: &str, expected: Option<&str>| {
        let parsed = parse_http_date(text).map(format_amz_date);
        assert_eq!(parsed.as_deref(), expected, "`{text}`");
    };
    check("Fri, 20 Nov 2026 21:45:50 GMT", Some("20261120T214550Z"));
    check("Fri, 20 Nov 2026 21:45:50 -0000", Some("20261120T214550Z"));
    check("20 Nov 2026 21:45:50 UTC", Some("20261120T214550Z"));
    check("Sat, 1 Jan 2000 01:00:00 +0100", Some("20000101T000000Z"));
    check("Fri, 31 Dec 1999 19:00:00 -0500", Some("20000101T000000Z"));
    check("20261120T214550Z", Some("20261120T214550Z"));
    check("Fri, 20 Foo 2026 21:45:50 GMT", None);
    check("Fri, 31 Nov 2026 21:45:50 GMT", None);
    check("Fri, 20 Nov 2026 21:45 GMT", None);
    check("Fri, 20 Nov 2026 21:45:50 CET", None);
    check("Fri, 20 Nov 2026 21:45:50 GMT extra", None);
    check("Friday 20 Nov 2026 21:45:50 GMT", None);
    check("1, 20 Nov 2026 21:45:50 GMT", None);
    check("", None);
}

#[test]
fn dot_segments_match_botocore() {
    let check =
        |path: &str, expected: &str| assert_eq!(remove_dot_segments(path), expected, "`{path}`");
    check("", "/");
    check("/", "/");
    check("//", "/");
    check("/a/./b/../c//d/", "/a/c/d/");
    check("/../..", "/");
    check("/a/b/..", "/a");
    check("/a/b/../", "/a/");
    check("/./", "/");
    check("/%2E%2E/x", "/%2E%2E/x");
    check("relative/./x", "relative/x");
}

#[test]
fn percent_coding() {
    let encode = |bytes: &[u8], keep_slash| {
        let mut out = String::new();
        push_percent_encoded(&mut out, bytes, keep_slash);
        out
    };
    assert_eq!(encode(b"Az09-._~", KeepSlash::No), "Az09-._~");
    assert_eq!(encode(b"a b+c/d=e", KeepSlash::No), "a%20b%2Bc%2Fd%3De");
    assert_eq!(encode(b"a b+c/d=e", KeepSlash::Yes), "a%20b%2Bc/d%3De");
    assert_eq!(encode("\u{2713}".as_bytes(), KeepSlash::No), "%E2%9C%93");
    assert_eq!(encode(&[0x00, 0xff], KeepSlash::No), "%00%FF");

    assert_eq!(percent_decode("a%20b%2bc"), b"a b+c");
    assert_eq!(percent_decode("+"), b"+");
    assert_eq!(percent_decode("%"), b"%");
    assert_eq!(percent_decode("%4"), b"%4");
    assert_eq!(percent_decode("%zz%41"), b"%zzA");
    assert_eq!(percent_decode("%E2%9C%93"), "\u{2713}".as_bytes());
    assert_eq!(percent_decode("%ff"), [0xff]);
}

#[test]
fn canonical_request_layout() {
    let check = |request: Request<'_>, signed_headers: &[&str], uri_encoding, expected: &str| {
        assert_eq!(canonical_request(&request, signed_headers, uri_encoding), expected);
    };
    let headers =
        [("Host", "example.com"), ("X-Tag", " a \t  b "), ("x-tag", "c"), ("Unsigned", "x")];
    check(
        Request {
            method: "GET",
            path: "/a b/%41",
            query: "z=1&a=%7e&a=&b&&X-Amz-Signature=dropped&c=%zz",
            headers: &headers,
            body_sha256: BodyHash::Compute(b""),
        },
        &["host", "X-Tag"],
        UriEncoding::Normal,
        "GET
/a%20b/%2541
a=&a=~&b=&c=%25zz&z=1
host:example.com
x-tag:a b,c

host;x-tag
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    );
    check(
        Request {
            method: "PUT",
            path: "",
            query: "",
            headers: &headers,
            body_sha256: BodyHash::Given("UNSIGNED-PAYLOAD"),
        },
        &["host", "missing"],
        UriEncoding::S3,
        "PUT
/

host:example.com
missing:

host;missing
UNSIGNED-PAYLOAD",
    );
}
