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
