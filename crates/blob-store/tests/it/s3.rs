//! How S3 answers become errors: retryable or not, missing bucket or missing key. Served by a
//! canned-response server on 127.0.0.1, so no S3 implementation is needed.

use blob_store::{Error, ObjectMeta};
use bytes::Bytes;

use crate::support::{Canned, fake_s3, free_local_addr, s3_store};

const EMPTY_LISTING: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>ot-logs</Name><Prefix></Prefix><KeyCount>0</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated></ListBucketResult>"#;
const NO_SUCH_BUCKET: &str = "<Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message></Error>";
const NO_SUCH_KEY: &str =
    "<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>";
const ACCESS_DENIED: &str =
    "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>";
const SLOW_DOWN: &str =
    "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>";

fn is_list(target: &str) -> bool {
    target.contains("list-type=2")
}

#[tokio::test]
async fn server_errors_and_throttling_are_retryable() {
    for respond in [
        (|_: &str, _: &str| Canned { status: "503 Service Unavailable", body: SLOW_DOWN })
            as fn(&str, &str) -> Canned,
        |_, _| Canned { status: "500 Internal Server Error", body: "" },
    ] {
        let store = s3_store(&fake_s3(respond).await);
        let err = store.get("ot-logs", "k").await.unwrap_err();
        assert!(matches!(err, Error::Transient { .. }), "{err:?}");
        assert!(err.is_retryable());
        let err = store
            .put("ot-logs", "k", Bytes::from_static(b"x"), &ObjectMeta::default())
            .await
            .unwrap_err();
        assert!(err.is_retryable(), "{err:?}");
        let err = store.list("ot-logs", "", None, 10).await.unwrap_err();
        assert!(err.is_retryable(), "{err:?}");
    }
}

#[tokio::test]
async fn access_denied_is_its_own_permanent_error() {
    let store =
        s3_store(&fake_s3(|_, _| Canned { status: "403 Forbidden", body: ACCESS_DENIED }).await);
    let err = store.get("ot-logs", "k").await.unwrap_err();
    assert!(matches!(err, Error::AccessDenied { .. }), "{err:?}");
    assert!(!err.is_retryable());
    assert_eq!(err.s3_code(), "AccessDenied");
    let err = store.list("ot-logs", "", None, 10).await.unwrap_err();
    assert!(matches!(err, Error::AccessDenied { .. }), "{err:?}");
    let err = store.bucket_exists("ot-logs").await.unwrap_err();
    assert!(matches!(err, Error::AccessDenied { .. }), "{err:?}");
    let err = store.check_writable("ot-logs", "AWSLogs/check").await.unwrap_err();
    assert!(matches!(err, Error::AccessDenied { .. }), "{err:?}");
    // A 403 without an S3 body (HEAD) is access denied too.
    let store = s3_store(&fake_s3(|_, _| Canned { status: "403 Forbidden", body: "" }).await);
    let err = store.head("ot-logs", "k").await.unwrap_err();
    assert!(matches!(err, Error::AccessDenied { .. }), "{err:?}");
}

#[tokio::test]
async fn a_bad_request_is_permanent_but_not_access_denied() {
    let store = s3_store(
        &fake_s3(|_, _| Canned {
            status: "400 Bad Request",
            body: "<Error><Code>InvalidArgument</Code><Message>no</Message></Error>",
        })
        .await,
    );
    let err = store.get("ot-logs", "k").await.unwrap_err();
    assert!(matches!(err, Error::Permanent { .. }), "{err:?}");
    assert_eq!(err.s3_code(), "InternalError");
}

#[tokio::test]
async fn a_refused_connection_is_retryable() {
    let store = s3_store(&format!("http://{}", free_local_addr()));
    let err = store.get("ot-logs", "k").await.unwrap_err();
    assert!(matches!(err, Error::Transient { .. }), "{err:?}");
    assert_eq!(err.s3_code(), "ServiceUnavailable");
}

/// HEAD responses carry no error body, so a 404 is resolved by listing the bucket.
#[tokio::test]
async fn bodiless_404_is_resolved_by_asking_for_the_bucket() {
    let bucket_exists = |method: &str, target: &str| match (method, is_list(target)) {
        ("GET", true) => Canned { status: "200 OK", body: EMPTY_LISTING },
        _ => Canned { status: "404 Not Found", body: NO_SUCH_KEY },
    };
    let store = s3_store(&fake_s3(bucket_exists).await);
    let err = store.head("ot-logs", "k").await.unwrap_err();
    assert!(matches!(err, Error::NoSuchKey { .. }), "{err:?}");
    let err = store.get("ot-logs", "k").await.unwrap_err();
    assert!(matches!(err, Error::NoSuchKey { .. }), "{err:?}");

    let bucket_missing =
        |_: &str, _: &str| Canned { status: "404 Not Found", body: NO_SUCH_BUCKET };
    let store = s3_store(&fake_s3(bucket_missing).await);
    let err = store.head("ot-logs", "k").await.unwrap_err();
    assert!(matches!(err, Error::NoSuchBucket { .. }), "{err:?}");
    let err = store.get("ot-logs", "k").await.unwrap_err();
    assert!(matches!(err, Error::NoSuchBucket { .. }), "{err:?}");
    assert!(!store.bucket_exists("ot-logs").await.unwrap());
}
