use std::sync::atomic::AtomicI64;

use super::*;

struct FakeClock(AtomicI64);

impl Clock for FakeClock {
    fn now_unix_millis(&self) -> i64 {
        self.0.load(Ordering::Relaxed)
    }
}

fn item(key: &str, event_id: &str) -> Item {
    let envelope = Envelope {
        kind: Kind::CloudTrailRecord,
        ingested_at_ms: 0,
        dedup_key: key,
        event_id,
        channel_arn: "",
        record: b"{}",
    };
    Item { dedup_key: key.into(), event_id: event_id.into(), payload: envelope.to_vec() }
}

fn config() -> IngestConfig {
    IngestConfig { disk_free_bytes_min: 0, ..IngestConfig::recommended() }
}

#[tokio::test]
async fn duplicates_are_answered_with_the_first_event_id_even_after_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(FakeClock(AtomicI64::new(1_000_000)));
    let (ingestor, _) = Ingestor::open(dir.path(), config(), clock.clone()).unwrap();
    let outcomes = ingestor
        .append(vec![item("k1", "e1"), item("k1", "e1-again"), item("", "e2")])
        .await
        .unwrap();
    assert_eq!(
        outcomes,
        vec![
            Outcome::Stored { event_id: "e1".into() },
            // A second copy in the same call is a duplicate of the first.
            Outcome::Duplicate { event_id: "e1".into() },
            Outcome::Stored { event_id: "e2".into() },
        ]
    );
    let outcomes = ingestor.append(vec![item("k1", "e3")]).await.unwrap();
    assert_eq!(outcomes, vec![Outcome::Duplicate { event_id: "e1".into() }]);
    ingestor.shutdown().unwrap();
    drop(ingestor);

    let (ingestor, _) = Ingestor::open(dir.path(), config(), clock.clone()).unwrap();
    let outcomes = ingestor.append(vec![item("k1", "e4")]).await.unwrap();
    assert_eq!(outcomes, vec![Outcome::Duplicate { event_id: "e1".into() }]);
    let n_records = ingestor.wal().read_from(ingestor.wal().first_lsn()).unwrap().count();
    assert_eq!(n_records, 2, "the duplicate was not stored again");
}

#[tokio::test]
async fn keys_expire_after_the_window() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(FakeClock(AtomicI64::new(0)));
    let config = IngestConfig { dedup_window: Duration::from_secs(60), ..config() };
    let (ingestor, _) = Ingestor::open(dir.path(), config, clock.clone()).unwrap();
    ingestor.append(vec![item("k", "e1")]).await.unwrap();
    clock.0.store(59_000, Ordering::Relaxed);
    assert_eq!(
        ingestor.append(vec![item("k", "e2")]).await.unwrap(),
        vec![Outcome::Duplicate { event_id: "e1".into() }]
    );
    clock.0.store(61_000, Ordering::Relaxed);
    assert_eq!(
        ingestor.append(vec![item("k", "e3")]).await.unwrap(),
        vec![Outcome::Stored { event_id: "e3".into() }]
    );
}

#[tokio::test]
async fn low_disk_refuses_writes() {
    let dir = tempfile::tempdir().unwrap();
    let config = IngestConfig { disk_free_bytes_min: u64::MAX, ..config() };
    let (ingestor, _) = Ingestor::open(dir.path(), config, Arc::new(SystemClock)).unwrap();
    let err = ingestor.append(vec![item("k", "e")]).await.unwrap_err();
    assert!(matches!(err, Error::DiskLow { .. }), "{err}");
    assert!(err.is_retryable());
    assert_eq!(ingestor.wal().read_from(ingestor.wal().first_lsn()).unwrap().count(), 0);
}

#[tokio::test]
async fn a_call_larger_than_one_wal_batch_is_split() {
    let dir = tempfile::tempdir().unwrap();
    let (ingestor, _) = Ingestor::open(dir.path(), config(), Arc::new(SystemClock)).unwrap();
    let n = wal::limits::BATCH_RECORDS_MAX * 2 + 10;
    let items: Vec<Item> = (0..n).map(|i| item(&format!("k{i}"), &format!("e{i}"))).collect();
    let outcomes = ingestor.append(items).await.unwrap();
    assert!(outcomes.iter().all(|o| matches!(o, Outcome::Stored { .. })));
    assert_eq!(ingestor.wal().read_from(ingestor.wal().first_lsn()).unwrap().count(), n);
    assert_eq!(ingestor.wal().stats().n_appends, 3);
}

#[test]
fn in_flight_claims_are_released_on_failure() {
    let mut dedup = Dedup::new(Duration::from_secs(60), 10);
    assert!(matches!(dedup.claim("k", "e1", 0), Claim::New));
    assert!(matches!(dedup.claim("k", "e2", 0), Claim::InFlight));
    dedup.release("k");
    assert!(matches!(dedup.claim("k", "e3", 0), Claim::New));
    dedup.confirm("k");
    assert!(matches!(dedup.claim("k", "e4", 0), Claim::Stored(id) if id == "e3"));
}

#[test]
fn the_index_is_bounded() {
    let mut dedup = Dedup::new(Duration::from_secs(3600), 3);
    for idx in 0..10 {
        let key = format!("k{idx}");
        assert!(matches!(dedup.claim(&key, "e", idx), Claim::New));
        dedup.confirm(&key);
    }
    dedup.evict(10);
    assert!(dedup.map.len() <= 3, "{}", dedup.map.len());
    assert!(matches!(dedup.claim("k9", "x", 10), Claim::Stored(_)));
}
