//! FaultyStore and retry: injected faults are retryable, retries get through them, and a
//! store switched down fails everything until it is switched back.

use std::time::Duration;

use blob_store::{
    BlobStore, Error, FaultPlan, FaultyStore, ObjectMeta, Operation, RetryPolicy, StoreConfig,
    retry,
};
use bytes::Bytes;

const BUCKET: &str = "ot-logs";

async fn memory_store() -> BlobStore {
    let store = BlobStore::new(StoreConfig::Memory).unwrap();
    store.create_bucket(BUCKET).await.unwrap();
    store
}

fn policy() -> RetryPolicy {
    RetryPolicy {
        n_attempts_max: 5,
        backoff_initial: Duration::from_millis(100),
        backoff_max: Duration::from_secs(2),
        elapsed_max: Duration::from_secs(30),
        jitter_seed: 42,
    }
}

fn body() -> Bytes {
    Bytes::from_static(b"{\"Records\":[]}")
}

#[tokio::test(start_paused = true)]
async fn first_attempts_fail_then_retries_succeed() {
    let faulty = FaultyStore::new(memory_store().await, FaultPlan::fail_first(2));
    let store = faulty.store();
    assert_eq!(store.backend_name(), "faulty(memory)");
    let meta = ObjectMeta::default();

    // Without retries, each of the first two attempts fails retryably.
    for attempt in 1..=2 {
        let err = store.put(BUCKET, "k1", body(), &meta).await.unwrap_err();
        assert!(err.is_retryable(), "attempt {attempt}: {err:?}");
        assert!(matches!(err, Error::Transient { operation: Operation::Put, .. }), "{err:?}");
    }
    store.put(BUCKET, "k1", body(), &meta).await.unwrap();
    assert_eq!(faulty.n_attempts(Operation::Put, "ot-logs/k1"), 3);

    // With retries, each operation on each target gets through its own two failures.
    retry(&policy(), || store.put(BUCKET, "k2", body(), &meta)).await.unwrap();
    let object = retry(&policy(), || store.get(BUCKET, "k2")).await.unwrap();
    assert_eq!(object.body, body());
    let info = retry(&policy(), || store.head(BUCKET, "k2")).await.unwrap();
    assert_eq!(info.size, body().len() as u64);
    let page = retry(&policy(), || store.list(BUCKET, "", None, 10)).await.unwrap();
    assert_eq!(page.objects.len(), 2);
    assert_eq!(faulty.n_attempts(Operation::Put, "ot-logs/k2"), 3);
    assert_eq!(faulty.n_attempts(Operation::Get, "ot-logs/k2"), 3);
    assert_eq!(faulty.n_attempts(Operation::List, "ot-logs/?"), 3);
    assert_eq!(faulty.n_faults_injected(), 2 + 4 * 2);

    // A retry budget smaller than the failures gives up with the retryable error.
    let policy = RetryPolicy { n_attempts_max: 2, ..policy() };
    let err = retry(&policy, || store.get(BUCKET, "k1")).await.unwrap_err();
    assert!(err.is_retryable(), "{err:?}");
}

#[tokio::test(start_paused = true)]
async fn retry_does_not_hide_missing_keys() {
    let faulty = FaultyStore::new(memory_store().await, FaultPlan::fail_first(1));
    let store = faulty.store();
    let err = retry(&policy(), || store.get(BUCKET, "missing")).await.unwrap_err();
    assert!(matches!(err, Error::NoSuchKey { .. }), "{err:?}");
    assert_eq!(faulty.n_attempts(Operation::Get, "ot-logs/missing"), 2);
}

#[tokio::test(start_paused = true)]
async fn down_fails_everything_until_switched_back() {
    let faulty = FaultyStore::new(memory_store().await, FaultPlan::none());
    let store = faulty.store();
    let meta = ObjectMeta::default();
    store.put(BUCKET, "before", body(), &meta).await.unwrap();

    faulty.set_down(true);
    assert!(faulty.is_down());
    let errors = [
        store.put(BUCKET, "during", body(), &meta).await.unwrap_err(),
        store.get(BUCKET, "before").await.unwrap_err(),
        store.head(BUCKET, "before").await.unwrap_err(),
        store.list(BUCKET, "", None, 10).await.unwrap_err(),
        store.bucket_exists(BUCKET).await.unwrap_err(),
    ];
    for err in &errors {
        assert!(err.is_retryable(), "{err:?}");
        assert!(format!("{:?}", err).contains("Down"), "{err:?}");
    }
    let err = retry(&policy(), || store.get(BUCKET, "before")).await.unwrap_err();
    assert!(err.is_retryable(), "{err:?}");

    // The store comes back while a retry loop is waiting: the loop gets through.
    let start = tokio::time::Instant::now();
    let switch = {
        let faulty = faulty.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(1)).await;
            faulty.set_down(false);
        })
    };
    retry(&policy(), || store.put(BUCKET, "after", body(), &meta)).await.unwrap();
    switch.await.unwrap();
    assert!(start.elapsed() >= Duration::from_secs(1));
    // Nothing attempted while down reached the inner store.
    let err = store.get(BUCKET, "during").await.unwrap_err();
    assert!(matches!(err, Error::NoSuchKey { .. }), "{err:?}");
    assert_eq!(store.get(BUCKET, "after").await.unwrap().body, body());
}

/// A put whose response is lost after the store committed it: the retry writes the same
/// bytes again, and the object is as if written once.
#[tokio::test(start_paused = true)]
async fn failed_puts_that_landed_are_idempotent_on_retry() {
    let plan = FaultPlan { put_lands_before_failing: true, ..FaultPlan::fail_first(1) };
    let faulty = FaultyStore::new(memory_store().await, plan);
    let store = faulty.store();
    let meta = ObjectMeta::default();
    let err = store.put(BUCKET, "k", body(), &meta).await.unwrap_err();
    assert!(err.is_retryable());
    let object = retry(&policy(), || store.get(BUCKET, "k")).await.unwrap();
    assert_eq!(object.body, body(), "the failed put landed");
    retry(&policy(), || store.put(BUCKET, "k", body(), &meta)).await.unwrap();
    let page = retry(&policy(), || store.list(BUCKET, "", None, 10)).await.unwrap();
    assert_eq!(page.objects.len(), 1);
}

#[tokio::test(start_paused = true)]
async fn delay_applies_to_planned_operations_only() {
    let plan = FaultPlan {
        delay: Duration::from_secs(5),
        operations: vec![Operation::Get],
        ..FaultPlan::none()
    };
    let faulty = FaultyStore::new(memory_store().await, plan);
    let store = faulty.store();
    let start = tokio::time::Instant::now();
    store.put(BUCKET, "k", body(), &ObjectMeta::default()).await.unwrap();
    assert_eq!(start.elapsed(), Duration::ZERO);
    store.get(BUCKET, "k").await.unwrap();
    assert_eq!(start.elapsed(), Duration::from_secs(5));
}

/// A faulty local store: faults wrap any backend.
#[tokio::test(start_paused = true)]
async fn faults_wrap_the_local_store() {
    let root = tempfile::tempdir().unwrap();
    let local = BlobStore::new(StoreConfig::Local { root: root.path().to_owned() }).unwrap();
    let faulty = FaultyStore::new(local, FaultPlan::fail_first(3));
    let store = faulty.store();
    let meta = ObjectMeta::default();
    retry(&policy(), || store.create_bucket(BUCKET)).await.unwrap();
    retry(&policy(), || store.put(BUCKET, "a/b", body(), &meta)).await.unwrap();
    assert_eq!(std::fs::read(root.path().join("ot-logs/a/b")).unwrap(), body());
}
