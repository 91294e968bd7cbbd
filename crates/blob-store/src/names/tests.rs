//! Unit tests of name validation: one table per kind of name.

use std::collections::BTreeMap;

use super::*;

fn check_bucket(bucket: &str, expected: Option<&str>) {
    match (validate_bucket_name(bucket), expected) {
        (Ok(()), None) => {}
        (Err(Error::InvalidBucketName { reason, .. }), Some(expected)) => {
            assert_eq!(reason, expected, "bucket `{bucket}`")
        }
        (result, expected) => panic!("bucket `{bucket}`: got {result:?}, expected {expected:?}"),
    }
}

#[test]
fn bucket_names() {
    check_bucket("ot-logs", None);
    check_bucket("my.bucket-1", None);
    check_bucket("abc", None);
    check_bucket(&"a".repeat(63), None);
    check_bucket("ab", Some("must be 3 to 63 characters long"));
    check_bucket(&"a".repeat(64), Some("must be 3 to 63 characters long"));
    check_bucket("Logs", Some("may only contain lower-case letters, digits, `.` and `-`"));
    check_bucket("a_b", Some("may only contain lower-case letters, digits, `.` and `-`"));
    check_bucket("a/b", Some("may only contain lower-case letters, digits, `.` and `-`"));
    check_bucket(".meta", Some("must begin and end with a letter or digit"));
    check_bucket("abc-", Some("must begin and end with a letter or digit"));
    check_bucket("a..b", Some("must not contain two adjacent periods"));
    check_bucket("192.168.5.4", Some("must not be formatted as an ip address"));
    check_bucket("xn--abc", Some("must not start with a prefix reserved by s3"));
    check_bucket("abc-s3alias", Some("must not end with a suffix reserved by s3"));
}

fn check_key(key: &str, expected: Option<&str>) {
    match (validate_key(key), expected) {
        (Ok(()), None) => {}
        (Err(Error::InvalidKey { reason, .. }), Some(expected)) => {
            assert_eq!(reason, expected, "key `{key:?}`")
        }
        (result, expected) => panic!("key `{key:?}`: got {result:?}, expected {expected:?}"),
    }
}

#[test]
fn keys() {
    check_key(
        "AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/21/111122223333_CloudTrail_us-east-1_20261121T1405Z_h3Kq9VbT0xWcZ2Lp.json.gz",
        None,
    );
    check_key("with space/ünïcödé/日本.json", None);
    check_key("a", None);
    check_key("..a/b..", None);
    check_key(&"k".repeat(1024), None);
    check_key("", Some("must not be empty"));
    check_key(&"k".repeat(1025), Some("must be at most 1024 bytes long"));
    check_key("a\0b", Some("must not contain control characters"));
    check_key("a\nb", Some("must not contain control characters"));
    check_key("/etc/passwd", Some("must not start with `/`"));
    check_key("a/", Some("must not end with `/`"));
    check_key("a//b", Some("must not contain an empty segment (`//`)"));
    check_key("../x", Some("must not contain a `.` or `..` segment"));
    check_key("a/../../x", Some("must not contain a `.` or `..` segment"));
    check_key("a/./b", Some("must not contain a `.` or `..` segment"));
    check_key("..", Some("must not contain a `.` or `..` segment"));
}

#[test]
fn prefixes() {
    assert!(validate_prefix("").is_ok());
    assert!(validate_prefix("AWSLogs/1/CloudTrail-Digest/us-east-1").is_ok());
    assert!(validate_prefix("a/").is_ok());
    assert!(validate_prefix("a\0").is_err());
    assert!(validate_prefix(&"p".repeat(1025)).is_err());
}

fn meta(user: &[(&str, &str)]) -> ObjectMeta {
    ObjectMeta {
        content_type: None,
        content_encoding: None,
        user: user.iter().map(|(name, value)| (name.to_string(), value.to_string())).collect(),
    }
}

fn check_meta(meta: ObjectMeta, expected: Option<(&str, &str)>) {
    match (validate_meta(&meta), expected) {
        (Ok(()), None) => {}
        (Err(Error::InvalidMetadata { name, reason }), Some((expected_name, expected_reason))) => {
            assert_eq!((name.as_str(), reason), (expected_name, expected_reason))
        }
        (result, expected) => panic!("{meta:?}: got {result:?}, expected {expected:?}"),
    }
}

#[test]
fn metadata() {
    check_meta(meta(&[("signature", "00ff"), ("signature-algorithm", "SHA256withRSA")]), None);
    check_meta(meta(&[("backfill-generation-timestamp", "2026-11-20T15:02:11Z")]), None);
    check_meta(
        ObjectMeta {
            content_type: Some("application/json".into()),
            content_encoding: Some("gzip".into()),
            user: BTreeMap::new(),
        },
        None,
    );
    check_meta(
        meta(&[("Signature", "x")]),
        Some(("Signature", "name may only contain lower-case letters, digits, `-`, `_` and `.`")),
    );
    check_meta(
        meta(&[("x-amz-meta-signature", "x")]),
        Some(("x-amz-meta-signature", "name must be given without the `x-amz-meta-` prefix")),
    );
    check_meta(meta(&[("", "x")]), Some(("", "name must not be empty")));
    check_meta(meta(&[("a", "")]), Some(("a", "value must not be empty")));
    let bad_value = "value must be printable ascii without leading or trailing spaces";
    check_meta(meta(&[("a", "line\nbreak")]), Some(("a", bad_value)));
    check_meta(meta(&[("a", " padded")]), Some(("a", bad_value)));
    check_meta(meta(&[("a", "ünï")]), Some(("a", bad_value)));
    let big = "v".repeat(2048);
    check_meta(
        meta(&[("a", &big)]),
        Some(("x-amz-meta-*", "user metadata must be at most 2048 bytes in total")),
    );
    check_meta(meta(&[("a", &big[..2047])]), None);
    check_meta(
        ObjectMeta { content_type: Some(String::new()), ..ObjectMeta::default() },
        Some(("content-type", "value must not be empty")),
    );
    check_meta(
        ObjectMeta { content_encoding: Some("gzip\r\n".into()), ..ObjectMeta::default() },
        Some(("content-encoding", bad_value)),
    );
}
