//! The local store: its on-disk layout, that keys cannot escape the bucket, that metadata
//! sidecars and temporary files stay invisible, and that readers never see a partial object.

use std::collections::BTreeMap;
use std::path::Path;

use blob_store::{BlobStore, Error, ObjectMeta, StoreConfig};
use bytes::Bytes;

fn local_store(root: &Path) -> BlobStore {
    BlobStore::new(StoreConfig::Local { root: root.to_owned() }).unwrap()
}

fn signed_meta() -> ObjectMeta {
    ObjectMeta {
        content_type: Some("application/json".to_owned()),
        content_encoding: None,
        user: BTreeMap::from([
            ("signature".to_owned(), "00ff".to_owned()),
            ("signature-algorithm".to_owned(), "SHA256withRSA".to_owned()),
        ]),
    }
}

/// Lists every file under `base`, relative to it, sorted.
fn files_under(base: &Path) -> Vec<String> {
    let mut files = Vec::new();
    let mut stack = vec![base.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let entry = entry.unwrap();
            if entry.file_type().unwrap().is_dir() {
                stack.push(entry.path());
            } else {
                files.push(entry.path().strip_prefix(base).unwrap().display().to_string());
            }
        }
    }
    files.sort();
    files
}

#[tokio::test]
async fn on_disk_layout() {
    let root = tempfile::tempdir().unwrap();
    let store = local_store(root.path());
    store.create_bucket("ot-logs").await.unwrap();
    store
        .put("ot-logs", "AWSLogs/1/d.json.gz", Bytes::from_static(b"digest"), &signed_meta())
        .await
        .unwrap();
    assert_eq!(
        files_under(root.path()),
        [".meta/ot-logs/AWSLogs/1/d.json.gz", "ot-logs/AWSLogs/1/d.json.gz"]
    );
    assert_eq!(std::fs::read(root.path().join("ot-logs/AWSLogs/1/d.json.gz")).unwrap(), b"digest");
    assert_eq!(
        std::fs::read_to_string(root.path().join(".meta/ot-logs/AWSLogs/1/d.json.gz")).unwrap(),
        "opentrail-blob-meta 1
content-type: application/json
x-amz-meta-signature: 00ff
x-amz-meta-signature-algorithm: SHA256withRSA
"
    );
    // The temporary directory is left empty.
    assert_eq!(std::fs::read_dir(root.path().join(".tmp")).unwrap().count(), 0);
}

#[tokio::test]
async fn keys_cannot_escape_the_bucket() {
    let parent = tempfile::tempdir().unwrap();
    let root = parent.path().join("root");
    let store = local_store(&root);
    store.create_bucket("ot-logs").await.unwrap();
    store.create_bucket("other").await.unwrap();
    std::fs::write(parent.path().join("secret"), b"secret").unwrap();
    let meta = ObjectMeta::default();
    for key in [
        "../escape",
        "../../secret",
        "a/../../../secret",
        "/etc/passwd",
        "/tmp/x",
        "./x",
        "..",
        "a\0b",
    ] {
        let err = store.put("ot-logs", key, Bytes::from_static(b"x"), &meta).await.unwrap_err();
        assert!(matches!(err, Error::InvalidKey { .. }), "put `{key:?}`: {err:?}");
        let err = store.get("ot-logs", key).await.unwrap_err();
        assert!(matches!(err, Error::InvalidKey { .. }), "get `{key:?}`: {err:?}");
        let err = store.head("ot-logs", key).await.unwrap_err();
        assert!(matches!(err, Error::InvalidKey { .. }), "head `{key:?}`: {err:?}");
    }
    // Bucket names cannot reach the hidden trees or leave the root either.
    for bucket in ["..", ".meta", ".tmp", "../root", "a/b", "."] {
        let err = store.get(bucket, "k").await.unwrap_err();
        assert!(matches!(err, Error::InvalidBucketName { .. }), "`{bucket}`: {err:?}");
        let err = store.create_bucket(bucket).await.unwrap_err();
        assert!(matches!(err, Error::InvalidBucketName { .. }), "`{bucket}`: {err:?}");
    }
    // Nothing was written outside the two bucket directories.
    let mut top: Vec<String> = std::fs::read_dir(parent.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    top.sort();
    assert_eq!(top, ["root", "secret"]);
    assert!(std::fs::read_dir(root.join("ot-logs")).unwrap().next().is_none());
}

#[tokio::test]
async fn metadata_and_temporary_files_are_never_listed() {
    let root = tempfile::tempdir().unwrap();
    let store = local_store(root.path());
    store.create_bucket("ot-logs").await.unwrap();
    for key in ["a.json.gz", "dir/b.json.gz", "dir/sub/c.json.gz"] {
        store.put("ot-logs", key, Bytes::from_static(b"x"), &signed_meta()).await.unwrap();
    }
    // What a crash can leave behind: a half-written temporary file, and a sidecar whose
    // object was never renamed into place.
    std::fs::write(root.path().join(".tmp/999999-0.tmp"), b"half of an obj").unwrap();
    std::fs::write(root.path().join(".meta/ot-logs/dir/orphan.json.gz"), "opentrail-blob-meta 1\n")
        .unwrap();

    let page = store.list("ot-logs", "", None, 1000).await.unwrap();
    let keys: Vec<&str> = page.objects.iter().map(|object| object.key.as_str()).collect();
    assert_eq!(keys, ["a.json.gz", "dir/b.json.gz", "dir/sub/c.json.gz"]);
    let err = store.get("ot-logs", "dir/orphan.json.gz").await.unwrap_err();
    assert!(matches!(err, Error::NoSuchKey { .. }), "{err:?}");
    // A later put of the orphan's key replaces the stale sidecar.
    store
        .put("ot-logs", "dir/orphan.json.gz", Bytes::from_static(b"y"), &signed_meta())
        .await
        .unwrap();
    assert_eq!(store.get("ot-logs", "dir/orphan.json.gz").await.unwrap().info.meta, signed_meta());
    // The hidden trees are not buckets.
    assert!(store.bucket_exists(".meta").await.is_err());
}

/// A reader racing a writer that keeps replacing a large object sees one whole version or
/// the other, never a mix or a prefix: objects are written aside and renamed into place.
#[tokio::test]
async fn readers_never_see_a_partial_object() {
    const OBJECT_BYTES: usize = 4 << 20;
    const N_WRITES: usize = 12;
    let root = tempfile::tempdir().unwrap();
    let store = local_store(root.path());
    store.create_bucket("ot-logs").await.unwrap();
    let versions = [Bytes::from(vec![b'a'; OBJECT_BYTES]), Bytes::from(vec![b'b'; OBJECT_BYTES])];
    store.put("ot-logs", "big", versions[0].clone(), &ObjectMeta::default()).await.unwrap();

    let writer = {
        let store = store.clone();
        let versions = versions.clone();
        tokio::spawn(async move {
            for write_idx in 0..N_WRITES {
                let body = versions[write_idx % 2].clone();
                store.put("ot-logs", "big", body, &ObjectMeta::default()).await.unwrap();
            }
        })
    };
    let mut n_reads = 0;
    while !writer.is_finished() || n_reads == 0 {
        let object = store.get("ot-logs", "big").await.unwrap();
        let version_idx = versions.iter().position(|version| *version == object.body);
        assert!(
            version_idx.is_some(),
            "read a partial or mixed object of {} bytes",
            object.body.len()
        );
        n_reads += 1;
    }
    writer.await.unwrap();
    assert!(n_reads > 0);
    assert_eq!(std::fs::read_dir(root.path().join(".tmp")).unwrap().count(), 0);
}

#[tokio::test]
async fn object_store_view_reads_the_same_files() {
    use blob_store::object_store::ObjectStoreExt;
    use blob_store::object_store::path::Path as ObjectPath;

    let root = tempfile::tempdir().unwrap();
    let store = local_store(root.path());
    store.create_bucket("ot-lake").await.unwrap();
    store
        .put("ot-lake", "account=1/part-0.parquet", Bytes::from_static(b"PAR1"), &signed_meta())
        .await
        .unwrap();
    let view = store.object_store_for_bucket("ot-lake").unwrap();
    let bytes = view
        .get(&ObjectPath::from("account=1/part-0.parquet"))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(bytes, &b"PAR1"[..]);
    let err = store.object_store_for_bucket("ot-missing").unwrap_err();
    assert!(matches!(err, Error::NoSuchBucket { .. }), "{err:?}");
}
