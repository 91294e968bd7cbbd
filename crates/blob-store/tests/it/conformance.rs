//! One conformance suite, run against every backend: what any `BlobStore` must do.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, SystemTime};

use blob_store::{BlobStore, Error, ObjectMeta, StoreConfig};
use bytes::Bytes;

/// A bucket that never exists on any backend.
const MISSING_BUCKET: &str = "opentrail-missing-bucket";

const ACCOUNT: &str = "111122223333";

/// Checks the contract on `store`, whose bucket `bucket` exists and is empty.
pub(crate) async fn conformance(store: &BlobStore, bucket: &str) {
    let mut model = Model::default();
    buckets(store, bucket).await;
    round_trip_with_metadata(store, bucket, &mut model).await;
    overwrite(store, bucket, &mut model).await;
    missing_keys_and_buckets(store, bucket).await;
    invalid_names_are_refused(store, bucket).await;
    odd_keys(store, bucket, &mut model).await;
    cloudtrail_listing(store, bucket, &mut model).await;
    check_listing(store, bucket, &model, "", None, 3).await;
}

/// What the bucket holds: key → (body, metadata).
#[derive(Default)]
struct Model {
    objects: BTreeMap<String, (Bytes, ObjectMeta)>,
}

impl Model {
    async fn put(
        &mut self,
        store: &BlobStore,
        bucket: &str,
        key: &str,
        body: &[u8],
        meta: ObjectMeta,
    ) {
        let body = Bytes::copy_from_slice(body);
        store
            .put(bucket, key, body.clone(), &meta)
            .await
            .unwrap_or_else(|err| panic!("put `{key}`: {err:?}"));
        self.objects.insert(key.to_owned(), (body, meta));
    }
}

fn digest_meta() -> ObjectMeta {
    // A 2048-bit RSA signature is 256 bytes, 512 lower-case hex characters.
    let signature: String =
        (0..256).map(|byte_idx| format!("{:02x}", (byte_idx * 7) % 256)).collect();
    ObjectMeta {
        content_type: Some("application/json".to_owned()),
        content_encoding: Some("gzip".to_owned()),
        user: BTreeMap::from([
            ("signature".to_owned(), signature),
            ("signature-algorithm".to_owned(), "SHA256withRSA".to_owned()),
        ]),
    }
}

async fn buckets(store: &BlobStore, bucket: &str) {
    assert!(store.bucket_exists(bucket).await.unwrap());
    assert!(!store.bucket_exists(MISSING_BUCKET).await.unwrap());
    let page = store.list(bucket, "", None, 10).await.unwrap();
    assert!(page.objects.is_empty() && !page.is_truncated, "{page:?}");
}

async fn round_trip_with_metadata(store: &BlobStore, bucket: &str, model: &mut Model) {
    let before = SystemTime::now() - Duration::from_secs(60);
    // Not valid gzip on purpose: no layer may decode bodies because of `Content-Encoding`.
    let key = "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/11/21/111122223333_CloudTrail-Digest_us-east-1_trail_us-east-1_20261121T020000Z.json.gz";
    let body = b"\x1f\x8b not really gzip";
    model.put(store, bucket, key, body, digest_meta()).await;

    let object = store.get(bucket, key).await.unwrap();
    assert_eq!(object.body, &body[..]);
    assert_eq!(object.info.size, body.len() as u64);
    assert_eq!(object.info.meta, digest_meta());
    assert_eq!(object.info.meta.user["signature"].len(), 512);
    assert!(object.info.last_modified > before, "{:?}", object.info.last_modified);

    let info = store.head(bucket, key).await.unwrap();
    assert_eq!(info, object.info);

    // An empty object, no metadata.
    model.put(store, bucket, "empty", b"", ObjectMeta::default()).await;
    let object = store.get(bucket, "empty").await.unwrap();
    assert!(object.body.is_empty());
    assert_eq!(object.info.size, 0);
    assert!(object.info.meta.user.is_empty() && object.info.meta.content_encoding.is_none());
}

async fn overwrite(store: &BlobStore, bucket: &str, model: &mut Model) {
    let key = "overwrite/me.json.gz";
    model.put(store, bucket, key, b"first version, longer", digest_meta()).await;
    let meta = ObjectMeta {
        content_type: Some("application/octet-stream".to_owned()),
        content_encoding: None,
        user: BTreeMap::from([("generation".to_owned(), "2".to_owned())]),
    };
    model.put(store, bucket, key, b"second", meta.clone()).await;
    let object = store.get(bucket, key).await.unwrap();
    assert_eq!(object.body, &b"second"[..]);
    assert_eq!(object.info.meta, meta, "metadata is replaced, not merged");
    let page = store.list(bucket, "overwrite/", None, 10).await.unwrap();
    assert_eq!(page.objects.len(), 1);
    assert_eq!(page.objects[0].size, 6);
    // Re-delivery: the same bytes again are fine.
    model.put(store, bucket, key, b"second", meta).await;
}

async fn missing_keys_and_buckets(store: &BlobStore, bucket: &str) {
    let is_no_such_key = |err: &Error| matches!(err, Error::NoSuchKey { bucket: b, key: k } if b == bucket && k == "no/such/key");
    let err = store.get(bucket, "no/such/key").await.unwrap_err();
    assert!(is_no_such_key(&err), "{err:?}");
    assert!(!err.is_retryable());
    let err = store.head(bucket, "no/such/key").await.unwrap_err();
    assert!(is_no_such_key(&err), "{err:?}");

    let is_no_such_bucket =
        |err: &Error| matches!(err, Error::NoSuchBucket { bucket } if bucket == MISSING_BUCKET);
    let err = store.get(MISSING_BUCKET, "k").await.unwrap_err();
    assert!(is_no_such_bucket(&err), "get: {err:?}");
    let err = store.head(MISSING_BUCKET, "k").await.unwrap_err();
    assert!(is_no_such_bucket(&err), "head: {err:?}");
    let err = store
        .put(MISSING_BUCKET, "k", Bytes::from_static(b"x"), &ObjectMeta::default())
        .await
        .unwrap_err();
    assert!(is_no_such_bucket(&err), "put: {err:?}");
    let err = store.list(MISSING_BUCKET, "", None, 10).await.unwrap_err();
    assert!(is_no_such_bucket(&err), "list: {err:?}");
    let err = store.list(MISSING_BUCKET, "a//b", None, 10).await.unwrap_err();
    assert!(is_no_such_bucket(&err), "list: {err:?}");
    let err = store.list(MISSING_BUCKET, "", None, 0).await.unwrap_err();
    assert!(is_no_such_bucket(&err), "list: {err:?}");
}

async fn invalid_names_are_refused(store: &BlobStore, bucket: &str) {
    let meta = ObjectMeta::default();
    for key in ["../escape", "/absolute", "a/./b", "nul\0byte", "trailing/"] {
        let err = store.put(bucket, key, Bytes::from_static(b"x"), &meta).await.unwrap_err();
        assert!(matches!(err, Error::InvalidKey { .. }), "put `{key:?}`: {err:?}");
        let err = store.get(bucket, key).await.unwrap_err();
        assert!(matches!(err, Error::InvalidKey { .. }), "get `{key:?}`: {err:?}");
    }
    let err = store.get("Bad_Bucket", "k").await.unwrap_err();
    assert!(matches!(err, Error::InvalidBucketName { .. }), "{err:?}");
    let meta =
        ObjectMeta { user: BTreeMap::from([("Signature".to_owned(), "x".to_owned())]), ..meta };
    let err = store.put(bucket, "k", Bytes::from_static(b"x"), &meta).await.unwrap_err();
    assert!(matches!(err, Error::InvalidMetadata { .. }), "{err:?}");
    let err = store.get(bucket, "k").await.unwrap_err();
    assert!(matches!(err, Error::NoSuchKey { .. }), "refused puts store nothing: {err:?}");
}

async fn odd_keys(store: &BlobStore, bucket: &str, model: &mut Model) {
    let keys = [
        "odd keys/with space/file name.json",
        "odd keys/ünïcödé/日本語 🙂.json",
        "odd keys/punctuation/a+b=c&d;e,f@g$h'i(j)k!l*m~n%20o#p.json",
        "odd keys/..dots../.hidden",
    ];
    for (key_idx, key) in keys.into_iter().enumerate() {
        let meta = ObjectMeta {
            user: BTreeMap::from([("idx".to_owned(), key_idx.to_string())]),
            ..ObjectMeta::default()
        };
        model.put(store, bucket, key, key.as_bytes(), meta.clone()).await;
        let object =
            store.get(bucket, key).await.unwrap_or_else(|err| panic!("get `{key}`: {err:?}"));
        assert_eq!(object.body, key.as_bytes(), "`{key}`");
        assert_eq!(object.info.meta.user, meta.user, "`{key}`");
    }
    check_listing(store, bucket, model, "odd keys/", None, 10).await;
    check_listing(store, bucket, model, "odd keys/ü", None, 10).await;
}

/// Log files and digests of two accounts over three days, listed as validate-logs and
/// `aws s3 ls` do.
async fn cloudtrail_listing(store: &BlobStore, bucket: &str, model: &mut Model) {
    let mut keys = BTreeSet::new();
    for account in [ACCOUNT, "444455556666"] {
        for day in ["20", "21", "22"] {
            for (hhmm, unique) in [
                ("0005", "h3Kq9VbT0xWcZ2Lp"),
                ("0010", "Mu0KsOhtH1ar15ZZ"),
                ("2355", "aaaaBBBBccccDDDD"),
            ] {
                keys.insert(format!("AWSLogs/{account}/CloudTrail/us-east-1/2026/11/{day}/{account}_CloudTrail_us-east-1_202611{day}T{hhmm}Z_{unique}.json.gz"));
            }
            for hhmmss in ["010000", "020000"] {
                keys.insert(format!("AWSLogs/{account}/CloudTrail-Digest/us-east-1/2026/11/{day}/{account}_CloudTrail-Digest_us-east-1_trail_us-east-1_202611{day}T{hhmmss}Z.json.gz"));
            }
        }
        keys.insert(format!("AWSLogs/{account}/CloudTrail/us-west-2/2026/11/21/{account}_CloudTrail_us-west-2_20261121T0005Z_ZZZZzzzzZZZZzzzz.json.gz"));
    }
    keys.insert(
        "audit/prod/AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/21/x.json.gz".to_owned(),
    );
    for key in &keys {
        let meta = if key.contains("Digest") { digest_meta() } else { ObjectMeta::default() };
        model.put(store, bucket, key, key.as_bytes(), meta).await;
    }

    let logs = format!("AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/2026/11/");
    for max_keys in [1, 2, 4, 1000] {
        check_listing(store, bucket, model, &logs, None, max_keys).await;
    }
    // A prefix ending mid-segment: `CloudTrail-Digest/` sorts before `CloudTrail/` (`-` < `/`).
    check_listing(store, bucket, model, &format!("AWSLogs/{ACCOUNT}/CloudTrail"), None, 5).await;
    check_listing(store, bucket, model, &format!("AWSLogs/{ACCOUNT}/CloudTrail/us-"), None, 4)
        .await;
    // validate-logs: digests of one region, starting after the digest ending a minute before
    // the start time.
    let digests = format!("AWSLogs/{ACCOUNT}/CloudTrail-Digest/us-east-1");
    let marker = format!(
        "{digests}/2026/11/21/{ACCOUNT}_CloudTrail-Digest_us-east-1_trail_us-east-1_20261121T005900Z.json.gz"
    );
    let expected = check_listing(store, bucket, model, &digests, Some(&marker), 2).await;
    assert_eq!(expected.len(), 4, "{expected:?}");
    assert!(expected[0].ends_with("20261121T010000Z.json.gz"), "{expected:?}");
    // Prefixes matching nothing, before and after everything.
    check_listing(store, bucket, model, "AAA", None, 10).await;
    check_listing(store, bucket, model, "zzz", None, 10).await;
    check_listing(store, bucket, model, "AWSLogs/", Some("AWSLogs/9"), 10).await;
    let page = store.list(bucket, "AWSLogs/", None, 0).await.unwrap();
    assert!(page.objects.is_empty() && !page.is_truncated);
}

/// Lists everything under `prefix` after `start_after`, `max_keys` at a time, and compares it
/// with the model, page by page. Returns the keys.
async fn check_listing(
    store: &BlobStore,
    bucket: &str,
    model: &Model,
    prefix: &str,
    start_after: Option<&str>,
    max_keys: usize,
) -> Vec<String> {
    let expected: Vec<String> = model
        .objects
        .keys()
        .filter(|key| key.starts_with(prefix))
        .filter(|key| start_after.is_none_or(|after| key.as_str() > after))
        .cloned()
        .collect();
    let mut listed = Vec::new();
    let mut marker = start_after.map(str::to_owned);
    for page_idx in 0.. {
        assert!(page_idx <= expected.len(), "listing does not end");
        let page = store.list(bucket, prefix, marker.as_deref(), max_keys).await.unwrap();
        let remaining = expected.len() - listed.len();
        assert_eq!(page.objects.len(), remaining.min(max_keys), "page {page_idx} of `{prefix}`");
        assert_eq!(page.is_truncated, remaining > max_keys, "page {page_idx} of `{prefix}`");
        for object in &page.objects {
            let (body, _) = &model.objects[&object.key];
            assert_eq!(object.size, body.len() as u64, "`{}`", object.key);
            listed.push(object.key.clone());
        }
        match page.next_start_after() {
            Some(next) => marker = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(listed, expected, "listing `{prefix}` after {start_after:?} by {max_keys}");
    listed
}

#[tokio::test]
async fn conformance_memory() {
    let store = BlobStore::new(StoreConfig::Memory).unwrap();
    store.create_bucket("ot-logs").await.unwrap();
    conformance(&store, "ot-logs").await;
}

#[tokio::test]
async fn conformance_local() {
    let root = tempfile::tempdir().unwrap();
    let store = BlobStore::new(StoreConfig::Local { root: root.path().join("buckets") }).unwrap();
    store.create_bucket("ot-logs").await.unwrap();
    store.create_bucket("ot-logs").await.unwrap();
    conformance(&store, "ot-logs").await;
}

#[tokio::test]
async fn conformance_s3_moto() {
    let moto = crate::support::Moto::start();
    moto.create_bucket("ot-logs").await;
    let store = moto.store();
    conformance(&store, "ot-logs").await;
    let err = store.create_bucket("ot-other").await.unwrap_err();
    assert!(matches!(err, Error::Unsupported { .. }), "{err:?}");
}
