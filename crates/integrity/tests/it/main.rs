//! Integration tests of digest reading against AWS's documentation examples in the shared
//! corpus.

mod fuzz;

use std::path::PathBuf;

/// `../shared/data/cloudtrail/digests` beside the repository (override with
/// `OPENTRAIL_SHARED_DIR`, the directory that holds `data/`).
fn digests_dir() -> PathBuf {
    let shared = match std::env::var_os("OPENTRAIL_SHARED_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
    };
    let dir = shared.join("data/cloudtrail/digests");
    assert!(dir.is_dir(), "test corpus not found at `{}`: set OPENTRAIL_SHARED_DIR", dir.display());
    dir
}

#[test]
fn aws_documentation_digests_are_read() {
    let read = |name: &str| {
        let text = std::fs::read(digests_dir().join(name)).unwrap();
        integrity::read::read_digest(&text).unwrap()
    };
    let full = read("awsdocs-cloudtrail-user-guide-example-digest-01.json");
    assert_eq!(full.log_files.len(), 1);
    assert!(!full.is_start());
    assert_eq!(full.end_time, "2015-08-17T15:01:31Z");
    assert_eq!(full.end_unix - full.start_unix, 3600);
    assert_eq!(
        integrity::digest::key_time(&full.key),
        Some("20150817T150131Z"),
        "the key's time is the end time"
    );
    assert_eq!(full.previous_signature.as_ref().map(String::len), Some(512));
    let empty = read("awsdocs-cloudtrail-user-guide-example-digest-02.json");
    assert!(empty.log_files.is_empty());
}
