//! Unit tests of the crate root: list pages, configuration checks, error messages.

use std::time::SystemTime;

use super::*;

fn summary(key: &str) -> ObjectSummary {
    ObjectSummary {
        key: key.to_owned(),
        size: 1,
        last_modified: SystemTime::UNIX_EPOCH,
        e_tag: None,
    }
}

#[test]
fn next_start_after() {
    let page = ListPage { objects: vec![summary("a"), summary("b")], is_truncated: true };
    assert_eq!(page.next_start_after(), Some("b"));
    let page = ListPage { objects: vec![summary("a")], is_truncated: false };
    assert_eq!(page.next_start_after(), None);
}

#[test]
fn s3_config_debug_redacts_secrets() {
    let config = S3Config {
        endpoint: Some("http://127.0.0.1:9000".into()),
        region: "us-east-1".into(),
        access_key_id: "AKIAEXAMPLE".into(),
        secret_access_key: "very-secret".into(),
        session_token: Some("token-secret".into()),
        virtual_hosted_style: false,
        allow_http: true,
    };
    let debug = format!("{:?}", StoreConfig::S3(config));
    assert!(debug.contains("AKIAEXAMPLE"), "{debug}");
    assert!(!debug.contains("very-secret"), "{debug}");
    assert!(!debug.contains("token-secret"), "{debug}");
}

#[test]
fn s3_config_is_checked_at_new() {
    let config = S3Config {
        endpoint: Some("not a url".into()),
        region: "us-east-1".into(),
        access_key_id: "a".into(),
        secret_access_key: "b".into(),
        session_token: None,
        virtual_hosted_style: false,
        allow_http: true,
    };
    let err = BlobStore::new(StoreConfig::S3(config.clone())).unwrap_err();
    assert!(matches!(err, Error::Config { .. }), "{err:?}");
    let config = S3Config { endpoint: None, region: String::new(), ..config };
    let err = BlobStore::new(StoreConfig::S3(config)).unwrap_err();
    assert_eq!(err.to_string(), "invalid store configuration: s3 region must not be empty");
}

#[test]
fn error_messages() {
    let err = Error::NoSuchKey { bucket: "b".into(), key: "k".into() };
    assert_eq!(err.to_string(), "no such key `k` in bucket `b`");
    assert!(!err.is_retryable());
    let err = Error::Transient {
        operation: Operation::Put,
        target: "b/k".into(),
        source: Box::new(InjectedFault::Down),
    };
    assert_eq!(err.to_string(), "`put` of `b/k` failed, may succeed on retry");
    assert!(err.is_retryable());
    let err = Error::Io {
        operation: Operation::Get,
        path: "/x".into(),
        source: std::io::Error::from(std::io::ErrorKind::Interrupted),
    };
    assert!(err.is_retryable());
    let err = Error::Io {
        operation: Operation::Get,
        path: "/x".into(),
        source: std::io::Error::from(std::io::ErrorKind::PermissionDenied),
    };
    assert!(!err.is_retryable());
}

#[test]
fn bucket_patterns() {
    let cases = [
        ("logs", "logs", true),
        ("logs", "logs2", false),
        ("logs", "my-logs", false),
        ("*", "anything", true),
        ("acme-*", "acme-trail", true),
        ("acme-*", "acme-", true),
        ("acme-*", "acm", false),
        ("*-logs", "a-logs", true),
        ("*-logs", "a-logs-b", false),
        ("a*b*c", "abc", true),
        ("a*b*c", "axxbyyc", true),
        ("a*b*c", "axxcyyb", false),
        ("a*a", "a", false),
        ("a*a", "aa", true),
        ("**", "x", true),
    ];
    for (pattern, bucket, expected) in cases {
        assert_eq!(bucket_matches(pattern, bucket), expected, "{pattern} ~ {bucket}");
    }
}

#[tokio::test]
async fn routed_stores_serve_buckets_by_name() {
    let dir = std::env::temp_dir().join(format!("blob-store-routed-{}", std::process::id()));
    let config = StoreConfig::Routed {
        default: Box::new(StoreConfig::Local { root: dir.clone() }),
        routes: vec![Route {
            name: "archive".into(),
            buckets: vec!["archive-*".into(), "exact".into()],
            store: StoreConfig::Memory,
        }],
    };
    let store = BlobStore::new(config).unwrap();
    assert_eq!(store.store_for("archive-1"), "memory store `archive`");
    assert_eq!(store.store_for("exact"), "memory store `archive`");
    assert_eq!(store.store_for("other"), "local store");
    store.create_bucket("archive-1").await.unwrap();
    store.create_bucket("other").await.unwrap();
    let meta = ObjectMeta::default();
    store.put("archive-1", "k", Bytes::from_static(b"routed"), &meta).await.unwrap();
    store.put("other", "k", Bytes::from_static(b"local"), &meta).await.unwrap();
    assert_eq!(store.get("archive-1", "k").await.unwrap().body, Bytes::from_static(b"routed"));
    assert_eq!(std::fs::read(dir.join("other/k")).unwrap(), b"local");
    assert!(!dir.join("archive-1").exists(), "a routed bucket never touches the default store");
    assert!(store.bucket_created("other").await.unwrap().is_some());
    assert!(store.bucket_created("archive-1").await.unwrap().is_none());
    store.check_writable("archive-1", "probe").await.unwrap();
    let _ = std::fs::remove_dir_all(&dir);

    let nested = StoreConfig::Routed {
        default: Box::new(StoreConfig::Memory),
        routes: vec![Route {
            name: "inner".into(),
            buckets: vec!["x".into()],
            store: StoreConfig::Routed { default: Box::new(StoreConfig::Memory), routes: vec![] },
        }],
    };
    let err = BlobStore::new(nested).unwrap_err();
    assert!(err.to_string().contains("route `inner`"), "{err}");
    let empty = StoreConfig::Routed {
        default: Box::new(StoreConfig::Memory),
        routes: vec![Route { name: "none".into(), buckets: vec![], store: StoreConfig::Memory }],
    };
    assert!(BlobStore::new(empty).unwrap_err().to_string().contains("names no bucket"));
}
