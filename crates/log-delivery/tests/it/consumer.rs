//! The delivery consumer over a real WAL and catalog: files appear, uploads are retried with
//! the error visible in the delivery status, and a crash mid-cycle re-delivers the same keys so
//! every event lands in exactly one file.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use log_delivery::consumer::{Delivery, DeliveryConfig, Uploader};

const ACCT: &str = "111122223333";

struct Clock(AtomicI64);

impl ingest::Clock for Clock {
    fn now_unix_millis(&self) -> i64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Stores objects in memory; fails the first `failures` puts; hangs on put number `hang_at`.
#[derive(Default)]
struct MemoryBucket {
    objects: Mutex<BTreeMap<(String, String), Vec<u8>>>,
    n_puts: AtomicUsize,
    failures: AtomicUsize,
    hang_at: Option<usize>,
}

impl Uploader for MemoryBucket {
    async fn put(&self, bucket: &str, key: &str, gzip: Vec<u8>) -> Result<(), String> {
        let n = self.n_puts.fetch_add(1, Ordering::SeqCst);
        if self.hang_at == Some(n) {
            std::future::pending::<()>().await;
        }
        if self.failures.load(Ordering::SeqCst) > 0 {
            self.failures.fetch_sub(1, Ordering::SeqCst);
            return Err("connection refused".into());
        }
        self.objects.lock().unwrap().insert((bucket.to_owned(), key.to_owned()), gzip);
        Ok(())
    }
}

struct Setup {
    _dir: tempfile::TempDir,
    state_dir: std::path::PathBuf,
    ingestor: Arc<ingest::Ingestor>,
    catalog: Arc<catalog::Catalog>,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(Clock(AtomicI64::new(1_795_183_500_000)));
    let config =
        ingest::IngestConfig { disk_free_bytes_min: 0, ..ingest::IngestConfig::recommended() };
    let (ingestor, _) = ingest::Ingestor::open(&dir.path().join("wal"), config, clock).unwrap();
    let catalog = catalog::Catalog::open_in_memory().unwrap();
    catalog
        .create_account(&catalog::Account { account_id: ACCT.into(), name: "a".into() }, 0)
        .unwrap();
    for (name, region) in [("east", "us-east-1"), ("west", "eu-west-1")] {
        catalog
            .create_trail(
                &catalog::Trail {
                    trail_arn: format!("arn:aws:cloudtrail:{region}:{ACCT}:trail/{name}"),
                    account_id: ACCT.into(),
                    name: name.into(),
                    home_region: region.into(),
                    s3_bucket_name: format!("logs-{name}"),
                    s3_key_prefix: None,
                    sns_topic_name: None,
                    include_global_service_events: true,
                    is_multi_region_trail: false,
                    log_file_validation_enabled: false,
                    cloud_watch_logs_log_group_arn: None,
                    cloud_watch_logs_role_arn: None,
                    kms_key_id: None,
                    is_organization_trail: false,
                    event_selectors: trail_selectors::Selectors::default_for_new_trail()
                        .to_storage(),
                    has_custom_event_selectors: false,
                    insight_selectors: None,
                    is_logging: true,
                    start_logging_time_ms: Some(0),
                    stop_logging_time_ms: None,
                },
                0,
            )
            .unwrap();
    }
    Setup {
        state_dir: dir.path().join("delivery"),
        _dir: dir,
        ingestor: Arc::new(ingestor),
        catalog: Arc::new(catalog),
    }
}

async fn ingest_events(setup: &Setup, ids: impl Iterator<Item = String>) {
    let items: Vec<ingest::Item> = ids
        .map(|id| {
            let region = if id.ends_with('w') { "eu-west-1" } else { "us-east-1" };
            let record = format!(
                r#"{{"eventVersion":"1.11","eventTime":"2026-11-21T00:00:00Z","eventSource":"ec2.amazonaws.com","eventName":"RunInstances","awsRegion":"{region}","eventID":"{id}","readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"{ACCT}","eventCategory":"Management"}}"#
            );
            let payload = ingest::Envelope {
                kind: ingest::Kind::CloudTrailRecord,
                ingested_at_ms: 1_000,
                dedup_key: "",
                event_id: &id,
                channel_arn: "",
                record: record.as_bytes(),
            }
            .to_vec();
            ingest::Item { dedup_key: String::new(), event_id: id, payload }
        })
        .collect();
    setup.ingestor.append(items).await.unwrap();
}

fn delivery(setup: &Setup, bucket: Arc<MemoryBucket>) -> Delivery<MemoryBucket> {
    Delivery {
        ingestor: Arc::clone(&setup.ingestor),
        catalog: Arc::clone(&setup.catalog),
        organization: None,
        uploader: bucket,
        config: DeliveryConfig {
            retry_delay_min: Duration::from_millis(1),
            retry_delay_max: Duration::from_millis(5),
            ..DeliveryConfig::recommended()
        },
        state_dir: setup.state_dir.clone(),
    }
}

/// Every event id in every stored file, with how many files hold it.
fn delivered_ids(bucket: &MemoryBucket) -> BTreeMap<String, usize> {
    let mut ids = BTreeMap::new();
    for gzip in bucket.objects.lock().unwrap().values() {
        let mut json = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gzip[..]), &mut json)
            .unwrap();
        let file = cloudtrail_model::LogFile::parse(&json).unwrap();
        for record in file.records() {
            *ids.entry(record.event_id().unwrap().to_owned()).or_default() += 1;
        }
    }
    ids
}

#[tokio::test]
async fn delivers_each_event_to_its_trail_once() {
    let setup = setup();
    ingest_events(
        &setup,
        (0..10).map(|i| if i % 3 == 0 { format!("e{i}w") } else { format!("e{i}") }),
    )
    .await;
    let bucket = Arc::new(MemoryBucket::default());
    let delivery = delivery(&setup, Arc::clone(&bucket));
    assert_eq!(delivery.cycle().await.unwrap(), 2, "one file per trail");
    assert_eq!(delivery.cycle().await.unwrap(), 0, "nothing new: no empty files");
    let keys: Vec<(String, String)> = bucket.objects.lock().unwrap().keys().cloned().collect();
    assert_eq!(keys[0].0, "logs-east");
    assert!(keys[0].1.starts_with(&format!("AWSLogs/{ACCT}/CloudTrail/us-east-1/2026/11/20/{ACCT}_CloudTrail_us-east-1_20261120T1405Z_")), "{keys:?}");
    assert_eq!(keys[1].0, "logs-west");
    let ids = delivered_ids(&bucket);
    assert_eq!(ids.len(), 10);
    assert!(ids.values().all(|n| *n == 1));
    let status = setup
        .catalog
        .delivery_status(&format!("arn:aws:cloudtrail:us-east-1:{ACCT}:trail/east"))
        .unwrap();
    assert_eq!(status.latest_delivery_attempt_succeeded, Some(true));
}

#[tokio::test]
async fn failed_uploads_are_retried_and_reported() {
    let setup = setup();
    ingest_events(&setup, ["a".to_owned()].into_iter()).await;
    let bucket =
        Arc::new(MemoryBucket { failures: AtomicUsize::new(3), ..MemoryBucket::default() });
    assert_eq!(delivery(&setup, Arc::clone(&bucket)).cycle().await.unwrap(), 1);
    assert_eq!(bucket.n_puts.load(Ordering::SeqCst), 4, "three failures, then success");
    let status = setup
        .catalog
        .delivery_status(&format!("arn:aws:cloudtrail:us-east-1:{ACCT}:trail/east"))
        .unwrap();
    assert_eq!(
        (status.latest_delivery_attempt_succeeded, status.latest_delivery_error),
        (Some(true), None)
    );
}

#[tokio::test]
async fn a_crash_mid_cycle_redelivers_the_same_keys() {
    let setup = setup();
    ingest_events(
        &setup,
        (0..20).map(|i| if i % 2 == 0 { format!("e{i}w") } else { format!("e{i}") }),
    )
    .await;
    // The first run uploads one file and "crashes" during the second upload.
    let crashed = Arc::new(MemoryBucket { hang_at: Some(1), ..MemoryBucket::default() });
    let first = delivery(&setup, Arc::clone(&crashed));
    assert!(tokio::time::timeout(Duration::from_millis(200), first.cycle()).await.is_err());
    drop(first);
    assert!(setup.state_dir.join("plan").exists(), "the plan survives the crash");
    assert_eq!(crashed.objects.lock().unwrap().len(), 1);
    // More events arrive before the restart; they belong to the next cycle.
    ingest_events(&setup, ["late".to_owned()].into_iter()).await;
    let bucket = Arc::new(MemoryBucket::default());
    // Whatever the first run stored is in the bucket the second run writes to.
    bucket.objects.lock().unwrap().extend(crashed.objects.lock().unwrap().clone());
    let second = delivery(&setup, Arc::clone(&bucket));
    assert_eq!(second.cycle().await.unwrap(), 2, "the planned cycle, re-run");
    assert_eq!(
        bucket.objects.lock().unwrap().len(),
        2,
        "the re-run overwrote the file stored before the crash"
    );
    assert_eq!(second.cycle().await.unwrap(), 1, "then the late event");
    let ids = delivered_ids(&bucket);
    assert_eq!(ids.len(), 21);
    assert!(ids.values().all(|n| *n == 1), "{ids:?}");
    assert!(!setup.state_dir.join("plan").exists());
}
