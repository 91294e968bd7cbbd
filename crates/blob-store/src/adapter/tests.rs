//! Unit tests of the object_store adapter: error text parsing, endpoints, listing offsets, attributes.

use super::*;

#[test]
fn status_from_object_store_messages() {
    let text = "Generic S3 error: Error performing GET http://127.0.0.1:1/b/k in 1ms - Server returned non-2xx status code: 503 Service Unavailable: <Error/>";
    assert_eq!(status_in_text(text), Some(503));
    assert_eq!(status_in_text("status code: 40"), None);
    assert_eq!(status_in_text("status code: abc"), None);
    assert_eq!(status_in_text("connection refused"), None);
}

#[test]
fn virtual_hosted_endpoints() {
    assert_eq!(
        virtual_hosted_endpoint("http://s3.local:9000", "bkt").unwrap(),
        "http://bkt.s3.local:9000"
    );
    assert!(virtual_hosted_endpoint("s3.local:9000", "bkt").is_err());
}

#[test]
fn endpoints() {
    assert!(check_endpoint("https://s3.example.com", false).is_ok());
    assert!(check_endpoint("http://127.0.0.1:9000", true).is_ok());
    assert!(check_endpoint("http://127.0.0.1:9000/", true).is_ok());
    let reason =
        |endpoint, allow_http| check_endpoint(endpoint, allow_http).unwrap_err().to_string();
    assert_eq!(
        reason("http://127.0.0.1:9000", false),
        "invalid store configuration: s3 endpoint `http://127.0.0.1:9000` is plain http, which needs `allow_http`"
    );
    assert_eq!(
        reason("127.0.0.1:9000", true),
        "invalid store configuration: s3 endpoint `127.0.0.1:9000` must start with `http://` or `https://`"
    );
    assert_eq!(
        reason("https://", true),
        "invalid store configuration: s3 endpoint `https://` is not a url"
    );
    assert_eq!(
        reason("https://a b", true),
        "invalid store configuration: s3 endpoint `https://a b` is not a url"
    );
}

fn check_offset(prefix: &str, start_after: Option<&str>, expected: Option<&str>) {
    let offset = list_offset(prefix, start_after);
    assert_eq!(offset.as_ref().map(|path| path.as_ref()), expected, "{prefix:?} {start_after:?}");
}

#[test]
fn list_offsets() {
    check_offset("", None, None);
    check_offset("a", None, None);
    check_offset(
        "AWSLogs/1/CloudTrail-Digest/us-east-1",
        None,
        Some("AWSLogs/1/CloudTrail-Digest/us-east-"),
    );
    check_offset("abc", Some("abd"), Some("abd"));
    check_offset("abc", Some("a"), Some("ab"));
    check_offset("", Some("x/y"), Some("x/y"));
    // `Path` cannot hold a trailing `/`: fall back to a shorter bound.
    check_offset("a/", None, Some("a"));
    check_offset("", Some("a/b/"), Some("a/b"));
    check_offset("", Some("a//b"), Some("a"));
    check_offset("", Some("../b"), None);
    check_offset("é", None, None);
    check_offset("aé", None, Some("a"));
}

#[tokio::test]
async fn memory_attributes_round_trip() {
    let store = AdapterStore::memory();
    store.create_bucket("bkt").unwrap();
    let meta = ObjectMeta {
        content_type: Some("application/json".into()),
        content_encoding: Some("gzip".into()),
        user: [("signature".to_owned(), "00ff".to_owned())].into(),
    };
    store.put("bkt", "k", Bytes::from_static(b"x"), &meta).await.unwrap();
    assert_eq!(store.get("bkt", "k").await.unwrap().info.meta, meta);
    assert_eq!(store.head("bkt", "k").await.unwrap().meta, meta);
}
