//! Unit tests of the local store: the sidecar format and its corruption cases, listing order, limits.

use std::collections::BTreeMap;

use super::*;

fn full_meta() -> ObjectMeta {
    ObjectMeta {
        content_type: Some("application/json".into()),
        content_encoding: Some("gzip".into()),
        user: BTreeMap::from([
            ("signature".into(), "00ff".into()),
            ("signature-algorithm".into(), "SHA256withRSA".into()),
        ]),
    }
}

#[test]
fn sidecar_format() {
    let text = encode_sidecar(&full_meta());
    assert_eq!(
        text,
        "opentrail-blob-meta 1
content-type: application/json
content-encoding: gzip
x-amz-meta-signature: 00ff
x-amz-meta-signature-algorithm: SHA256withRSA
"
    );
    assert_eq!(decode_sidecar(text.as_bytes()), Ok(full_meta()));
    let empty = encode_sidecar(&ObjectMeta::default());
    assert_eq!(empty, "opentrail-blob-meta 1\n");
    assert_eq!(decode_sidecar(empty.as_bytes()), Ok(ObjectMeta::default()));
}

fn check_corrupt(bytes: &[u8], expected: &str) {
    assert_eq!(
        decode_sidecar(bytes),
        Err(expected.to_owned()),
        "{:?}",
        String::from_utf8_lossy(bytes)
    );
}

#[test]
fn sidecar_corruption() {
    check_corrupt(b"", "sidecar does not end with a line break");
    check_corrupt(b"opentrail-blob-meta 1", "sidecar does not end with a line break");
    check_corrupt(b"\xff\n", "sidecar is not utf-8");
    check_corrupt(b"opentrail-blob-meta 2\n", "unknown sidecar header `opentrail-blob-meta 2`");
    check_corrupt(b"opentrail-blob-meta 1\n\n", "line `` is not `name: value`");
    check_corrupt(
        b"opentrail-blob-meta 1\ncontent-type:x\n",
        "line `content-type:x` is not `name: value`",
    );
    check_corrupt(b"opentrail-blob-meta 1\netag: x\n", "unknown sidecar field `etag`");
    check_corrupt(
        b"opentrail-blob-meta 1\ncontent-type: a\ncontent-type: b\n",
        "duplicate sidecar field `content-type`",
    );
    check_corrupt(
        b"opentrail-blob-meta 1\nx-amz-meta-Sig: a\n",
        "invalid object metadata `Sig`: name may only contain lower-case letters, digits, `-`, `_` and `.`",
    );
}

/// Keys in byte order differ from a walk that sorts plain entry names: `-` < `/` < `0`.
#[tokio::test]
async fn walk_yields_byte_order() {
    let root = tempfile::tempdir().unwrap();
    let store = LocalStore::new(root.path().to_owned());
    store.create_bucket("bkt").await.unwrap();
    let keys = ["a/b", "a-c", "a0", "a/b-x/y", "a/b0", "b", "a.d/e", "ab/c"];
    for key in keys {
        store.put("bkt", key, Bytes::from_static(b"x"), &ObjectMeta::default()).await.unwrap();
    }
    let mut expected: Vec<&str> = keys.to_vec();
    expected.sort_unstable();
    let page = store
        .list("bkt", ListRequest { prefix: "", start_after: None, max_keys: 100 })
        .await
        .unwrap();
    let listed: Vec<&str> = page.objects.iter().map(|object| object.key.as_str()).collect();
    assert_eq!(listed, expected);
    assert!(!page.is_truncated);

    // Every prefix and every start_after agrees with filtering the sorted list.
    let mut probes: Vec<&str> = vec!["", "a", "a/", "a/b", "a-", "a.", "ab", "b", "c", "a/b-", "0"];
    probes.extend(keys);
    for prefix in &probes {
        for start_after in std::iter::once(None).chain(probes.iter().map(Some)) {
            let request = ListRequest { prefix, start_after: start_after.copied(), max_keys: 2 };
            let page = store.list("bkt", request).await.unwrap();
            let matching: Vec<&str> = expected
                .iter()
                .copied()
                .filter(|key| key.starts_with(prefix))
                .filter(|key| start_after.is_none_or(|after| key > after))
                .collect();
            let listed: Vec<&str> = page.objects.iter().map(|object| object.key.as_str()).collect();
            assert_eq!(
                listed,
                matching[..matching.len().min(2)],
                "prefix {prefix:?} after {start_after:?}"
            );
            assert_eq!(
                page.is_truncated,
                matching.len() > 2,
                "prefix {prefix:?} after {start_after:?}"
            );
        }
    }
}

#[tokio::test]
async fn local_cannot_hold_a_key_and_its_prefix() {
    let root = tempfile::tempdir().unwrap();
    let store = LocalStore::new(root.path().to_owned());
    store.create_bucket("bkt").await.unwrap();
    let meta = ObjectMeta::default();
    store.put("bkt", "a", Bytes::from_static(b"1"), &meta).await.unwrap();
    let err = store.put("bkt", "a/b", Bytes::from_static(b"2"), &meta).await.unwrap_err();
    assert!(matches!(err, Error::InvalidKey { .. }), "{err:?}");
    store.put("bkt", "c/d", Bytes::from_static(b"3"), &meta).await.unwrap();
    let err = store.put("bkt", "c", Bytes::from_static(b"4"), &meta).await.unwrap_err();
    assert!(matches!(err, Error::InvalidKey { .. }), "{err:?}");
    // Failed puts leave no temporary file behind.
    assert_eq!(fs::read_dir(root.path().join(TMP_DIR)).unwrap().count(), 0);
    // And the objects that were there are intact.
    assert_eq!(store.get("bkt", "a").await.unwrap().body, Bytes::from_static(b"1"));
    assert_eq!(store.get("bkt", "c/d").await.unwrap().body, Bytes::from_static(b"3"));
    let err = store.get("bkt", "c").await.unwrap_err();
    assert!(matches!(err, Error::NoSuchKey { .. }), "{err:?}");
    let err = store.get("bkt", "a/b").await.unwrap_err();
    assert!(matches!(err, Error::NoSuchKey { .. }), "{err:?}");
}

#[tokio::test]
async fn long_segments_are_refused() {
    let root = tempfile::tempdir().unwrap();
    let store = LocalStore::new(root.path().to_owned());
    store.create_bucket("bkt").await.unwrap();
    let key = format!("a/{}", "s".repeat(256));
    let err = store.put("bkt", &key, Bytes::new(), &ObjectMeta::default()).await.unwrap_err();
    assert!(matches!(err, Error::InvalidKey { .. }), "{err:?}");
    let key = format!("a/{}", "s".repeat(255));
    store.put("bkt", &key, Bytes::new(), &ObjectMeta::default()).await.unwrap();
}

#[tokio::test]
async fn corrupt_sidecar_is_an_error_not_a_panic() {
    let root = tempfile::tempdir().unwrap();
    let store = LocalStore::new(root.path().to_owned());
    store.create_bucket("bkt").await.unwrap();
    store.put("bkt", "k", Bytes::from_static(b"x"), &full_meta()).await.unwrap();
    fs::write(root.path().join(".meta/bkt/k"), b"garbage").unwrap();
    let err = store.get("bkt", "k").await.unwrap_err();
    assert!(matches!(err, Error::Corrupt { .. }), "{err:?}");
    fs::write(root.path().join(".meta/bkt/k"), vec![b'x'; 9000]).unwrap();
    let err = store.head("bkt", "k").await.unwrap_err();
    assert!(matches!(err, Error::Corrupt { .. }), "{err:?}");
    // A missing sidecar (a file copied in by hand) reads as no metadata.
    fs::remove_file(root.path().join(".meta/bkt/k")).unwrap();
    assert_eq!(store.head("bkt", "k").await.unwrap().meta, ObjectMeta::default());
}
