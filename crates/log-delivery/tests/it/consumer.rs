//! The delivery consumer over a real WAL and catalog: files appear, uploads are retried with
//! the error visible in the delivery status, and a crash mid-cycle re-delivers the same keys so
//! every event lands in exactly one file.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use catalog::{AccountStore as _, DigestStore as _, TrailStore as _};
use log_delivery::consumer::{Delivery, DeliveryConfig, DeliveryConsumer};
use log_delivery::upload::{UploadError, Uploader};

const ACCT: &str = "111122223333";

struct Clock(AtomicI64);

impl ingest::Clock for Clock {
    fn now_unix_millis(&self) -> i64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Stores objects in memory; fails the first `failures` puts; hangs on put number `hang_at`;
/// refuses every put to the buckets in `down`.
#[derive(Default)]
struct MemoryBucket {
    objects: Mutex<BTreeMap<(String, String), Vec<u8>>>,
    n_puts: AtomicUsize,
    failures: AtomicUsize,
    hang_at: Option<usize>,
    down: Mutex<Vec<String>>,
    /// Keys starting with one of these are refused (as a store refuses a key it cannot hold).
    refused_keys: Mutex<Vec<String>>,
    /// Digest signatures (the `signature` user metadata).
    signatures: Mutex<BTreeMap<(String, String), String>>,
}

impl Uploader for MemoryBucket {
    async fn put(
        &self,
        bucket: &str,
        key: &str,
        gzip: Vec<u8>,
        signature: Option<&str>,
    ) -> Result<(), UploadError> {
        let n = self.n_puts.fetch_add(1, Ordering::SeqCst);
        if self.hang_at == Some(n) {
            std::future::pending::<()>().await;
        }
        if self.down.lock().unwrap().iter().any(|down| down == bucket) {
            return Err(UploadError { code: "AccessDenied".into(), message: "refused".into() });
        }
        if self.refused_keys.lock().unwrap().iter().any(|start| key.starts_with(start.as_str())) {
            return Err(UploadError { code: "InvalidRequest".into(), message: "bad key".into() });
        }
        if self.failures.load(Ordering::SeqCst) > 0 {
            self.failures.fetch_sub(1, Ordering::SeqCst);
            return Err(UploadError {
                code: "ServiceUnavailable".into(),
                message: "connection refused".into(),
            });
        }
        self.objects.lock().unwrap().insert((bucket.to_owned(), key.to_owned()), gzip);
        if let Some(signature) = signature {
            self.signatures
                .lock()
                .unwrap()
                .insert((bucket.to_owned(), key.to_owned()), signature.to_owned());
        }
        Ok(())
    }
}

struct Setup {
    _dir: tempfile::TempDir,
    state_dir: std::path::PathBuf,
    ingestor: Arc<ingest::Ingestor>,
    catalog: Arc<catalog::Catalog>,
    clock: Arc<Clock>,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(Clock(AtomicI64::new(1_795_183_500_000)));
    let config =
        ingest::IngestConfig { disk_free_bytes_min: 0, ..ingest::IngestConfig::recommended() };
    let (ingestor, _) =
        ingest::Ingestor::open(&dir.path().join("wal"), config, Arc::clone(&clock) as _).unwrap();
    let catalog = catalog::Catalog::open_in_memory().unwrap();
    catalog
        .create_account(&catalog::Account { account_id: ACCT.into(), name: "a".into() }, 0)
        .unwrap();
    for (name, region) in [("east", "us-east-1"), ("west", "eu-west-1")] {
        catalog
            .create_trail(
                &catalog::Trail {
                    is_logging: true,
                    start_logging_time_ms: Some(0),
                    ..catalog::Trail::new(
                        format!("arn:aws:cloudtrail:{region}:{ACCT}:trail/{name}"),
                        ACCT.into(),
                        name.into(),
                        region.into(),
                        format!("logs-{name}"),
                        trail_selectors::Selectors::default_for_new_trail().to_storage(),
                    )
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
        clock,
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

/// The delivery consumer under its runner, as the server runs it; a test asks for one cycle
/// at a time instead of waiting for the beat.
struct Cycler(pipeline::Runner<DeliveryConsumer<MemoryBucket>>);

impl Cycler {
    /// One delivery cycle now (the spool's turn, then whatever is durable); its file count.
    async fn cycle(&mut self) -> Result<usize, pipeline::RunError<log_delivery::Error>> {
        self.0.consumer_mut().deliver_now();
        self.0.turn(false).await?;
        Ok(self.0.consumer_mut().take_cycle_files().unwrap_or(0))
    }

    async fn write_due_digests(&self) -> log_delivery::Result<usize> {
        self.0.consumer().delivery().write_due_digests().await
    }
}

fn delivery(setup: &Setup, bucket: Arc<MemoryBucket>) -> Cycler {
    delivery_with(setup, bucket, DeliveryConfig::recommended())
}

fn delivery_with(setup: &Setup, bucket: Arc<MemoryBucket>, config: DeliveryConfig) -> Cycler {
    let delivery = Delivery {
        ingestor: Arc::clone(&setup.ingestor),
        catalog: Arc::clone(&setup.catalog),
        organization: None,
        uploader: bucket,
        config: DeliveryConfig {
            retry_delay_min: Duration::from_millis(1),
            retry_delay_max: Duration::from_millis(5),
            ..config
        },
        state_dir: setup.state_dir.clone(),
    };
    Cycler(pipeline::Runner::new(DeliveryConsumer::new(delivery), Arc::clone(&setup.ingestor)))
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
    let mut delivery = delivery(&setup, Arc::clone(&bucket));
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
    let mut first = delivery(&setup, Arc::clone(&crashed));
    assert!(tokio::time::timeout(Duration::from_millis(200), first.cycle()).await.is_err());
    drop(first);
    assert!(setup.state_dir.join("plan").exists(), "the plan survives the crash");
    assert_eq!(crashed.objects.lock().unwrap().len(), 1);
    // More events arrive before the restart; they belong to the next cycle.
    ingest_events(&setup, ["late".to_owned()].into_iter()).await;
    let bucket = Arc::new(MemoryBucket::default());
    // Whatever the first run stored is in the bucket the second run writes to.
    bucket.objects.lock().unwrap().extend(crashed.objects.lock().unwrap().clone());
    let mut second = delivery(&setup, Arc::clone(&bucket));
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

#[tokio::test]
async fn a_refusing_bucket_is_spooled_and_never_holds_back_other_trails() {
    let setup = setup();
    let west = format!("arn:aws:cloudtrail:eu-west-1:{ACCT}:trail/west");
    let east = format!("arn:aws:cloudtrail:us-east-1:{ACCT}:trail/east");
    let bucket = Arc::new(MemoryBucket::default());
    bucket.down.lock().unwrap().push("logs-west".into());
    let mut delivery = delivery(&setup, Arc::clone(&bucket));
    for round in 0..3 {
        ingest_events(&setup, [format!("r{round}"), format!("r{round}w")].into_iter()).await;
        assert_eq!(delivery.cycle().await.unwrap(), 2);
    }
    // East got every file; west's three wait in the spool; the cursor moved past all of them.
    let stored = bucket.objects.lock().unwrap().keys().map(|(b, _)| b.clone()).collect::<Vec<_>>();
    assert_eq!(stored, ["logs-east"; 3]);
    let spooled = std::fs::read_dir(setup.state_dir.join("spool")).unwrap().count();
    assert_eq!(spooled, 3);
    let status = setup.catalog.delivery_status(&west).unwrap();
    assert_eq!(
        (status.latest_delivery_attempt_succeeded, status.latest_delivery_error.as_deref()),
        (Some(false), Some("AccessDenied"))
    );
    assert_eq!(setup.catalog.delivery_status(&east).unwrap().latest_delivery_error, None);
    // Only the first file was tried 4 times; the later ones joined the spool without waiting.
    assert_eq!(bucket.n_puts.load(Ordering::SeqCst), 3 + 4 + 1 + 1);

    // The bucket comes back: the next cycle delivers the spool, in order, and reports success.
    bucket.down.lock().unwrap().clear();
    assert_eq!(delivery.cycle().await.unwrap(), 0);
    assert!(std::fs::read_dir(setup.state_dir.join("spool")).unwrap().next().is_none());
    let ids = delivered_ids(&bucket);
    assert_eq!(ids.len(), 6);
    assert!(ids.values().all(|n| *n == 1), "{ids:?}");
    let status = setup.catalog.delivery_status(&west).unwrap();
    assert_eq!(
        (status.latest_delivery_attempt_succeeded, status.latest_delivery_error),
        (Some(true), None)
    );
}

#[tokio::test]
async fn a_trail_whose_files_a_shared_bucket_refuses_never_holds_back_the_other() {
    let setup = setup();
    // Both trails deliver into one bucket; west's prefix gives keys the store refuses.
    for name in ["east", "west"] {
        let arn = setup.catalog.trails().unwrap().into_iter().find(|t| t.name == name).unwrap();
        let mut trail = arn;
        trail.s3_bucket_name = "logs-shared".into();
        if name == "west" {
            trail.s3_key_prefix = Some("bad".into());
        }
        assert!(setup.catalog.update_trail(&trail).unwrap());
    }
    let bucket = Arc::new(MemoryBucket::default());
    bucket.refused_keys.lock().unwrap().push("bad/".into());
    let mut delivery = delivery(&setup, Arc::clone(&bucket));
    for round in 0..3 {
        ingest_events(&setup, [format!("r{round}"), format!("r{round}w")].into_iter()).await;
        assert_eq!(delivery.cycle().await.unwrap(), 2);
        // East's file of this round is stored now, whatever west's wait.
        assert_eq!(bucket.objects.lock().unwrap().len(), round + 1, "round {round}");
    }
    assert!(
        bucket
            .objects
            .lock()
            .unwrap()
            .keys()
            .all(|(b, k)| b == "logs-shared" && k.starts_with("AWSLogs/"))
    );
    let spooled = std::fs::read_dir(setup.state_dir.join("spool")).unwrap().count();
    assert_eq!(spooled, 3, "west's files wait in the spool, in order");
}

#[tokio::test]
async fn a_crash_after_spooling_stores_each_file_once() {
    // Also across an upgrade: the restart finds the plan and the spool file in the formats of
    // the previous build.
    for previous_formats in [false, true] {
        let setup = setup();
        ingest_events(&setup, ["a".to_owned(), "aw".to_owned()].into_iter()).await;
        // West's file (its ARN sorts first) is refused 4 times and spooled; then east's upload
        // hangs: the run "crashes" with the plan on disk and the cursor unmoved.
        let crashed = Arc::new(MemoryBucket { hang_at: Some(4), ..MemoryBucket::default() });
        crashed.down.lock().unwrap().push("logs-west".into());
        let mut first = delivery(&setup, Arc::clone(&crashed));
        assert!(tokio::time::timeout(Duration::from_millis(500), first.cycle()).await.is_err());
        drop(first);
        assert!(setup.state_dir.join("plan").exists());
        assert_eq!(std::fs::read_dir(setup.state_dir.join("spool")).unwrap().count(), 1);
        if previous_formats {
            rewrite_in_previous_formats(&setup.state_dir);
        }
        // The restart delivers the spool, then re-runs the plan, writing west's key again.
        let bucket = Arc::new(MemoryBucket::default());
        let mut second = delivery(&setup, Arc::clone(&bucket));
        assert_eq!(second.cycle().await.unwrap(), 2);
        assert_eq!(bucket.objects.lock().unwrap().len(), 2, "same keys, one object each");
        let ids = delivered_ids(&bucket);
        assert_eq!(ids.len(), 2);
        assert!(ids.values().all(|n| *n == 1), "{ids:?}");
        assert!(std::fs::read_dir(setup.state_dir.join("spool")).unwrap().next().is_none());
        assert_eq!(second.cycle().await.unwrap(), 0);
    }
}

/// Rewrites the plan and the spool files as the previous build wrote them: the same payload
/// after the old magic (`OTdp`, `OTs2`), no version, an IEEE CRC-32 at the end.
fn rewrite_in_previous_formats(state_dir: &std::path::Path) {
    let spool_files = std::fs::read_dir(state_dir.join("spool")).unwrap();
    let spool_files = spool_files.map(|entry| (entry.unwrap().path(), b"OTs2"));
    for (path, magic) in [(state_dir.join("plan"), b"OTdp")].into_iter().chain(spool_files) {
        let framed = std::fs::read(&path).unwrap();
        let mut bytes = magic.to_vec();
        bytes.extend_from_slice(&framed[8..framed.len() - 4]);
        let crc = crc32fast::hash(&bytes);
        bytes.extend_from_slice(&crc.to_le_bytes());
        std::fs::write(&path, bytes).unwrap();
    }
}

#[tokio::test]
async fn a_deleted_trail_loses_only_its_spooled_files() {
    let setup = setup();
    let bucket = Arc::new(MemoryBucket::default());
    bucket.down.lock().unwrap().push("logs-west".into());
    let mut delivery = delivery(&setup, Arc::clone(&bucket));
    ingest_events(&setup, ["a".to_owned(), "aw".to_owned()].into_iter()).await;
    assert_eq!(delivery.cycle().await.unwrap(), 2);
    setup.catalog.delete_trail(&format!("arn:aws:cloudtrail:eu-west-1:{ACCT}:trail/west")).unwrap();
    bucket.down.lock().unwrap().clear();
    ingest_events(&setup, ["b".to_owned()].into_iter()).await;
    assert_eq!(delivery.cycle().await.unwrap(), 1);
    assert!(std::fs::read_dir(setup.state_dir.join("spool")).unwrap().next().is_none());
    let ids = delivered_ids(&bucket);
    assert_eq!(ids.keys().cloned().collect::<Vec<_>>(), ["a", "b"]);
}

#[tokio::test]
async fn a_damaged_spool_file_stops_delivery_with_a_clear_error() {
    let setup = setup();
    let bucket = Arc::new(MemoryBucket::default());
    bucket.down.lock().unwrap().push("logs-west".into());
    let mut delivery = delivery(&setup, Arc::clone(&bucket));
    ingest_events(&setup, ["aw".to_owned()].into_iter()).await;
    assert_eq!(delivery.cycle().await.unwrap(), 1);
    let path =
        std::fs::read_dir(setup.state_dir.join("spool")).unwrap().next().unwrap().unwrap().path();
    let mut bytes = std::fs::read(&path).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x40;
    std::fs::write(&path, bytes).unwrap();
    let err = delivery.cycle().await.unwrap_err();
    let err = err.to_string();
    assert!(err.contains("is damaged") && err.contains(&path.display().to_string()), "{err}");
}

#[tokio::test]
async fn a_local_bucket_removed_by_hand_is_made_again() {
    let dir = tempfile::tempdir().unwrap();
    let store =
        blob_store::BlobStore::new(blob_store::StoreConfig::Local { root: dir.path().join("b") })
            .unwrap();
    Uploader::put(&store, "gone-logs", "AWSLogs/k.json.gz", b"x".to_vec(), None).await.unwrap();
    assert_eq!(std::fs::read(dir.path().join("b/gone-logs/AWSLogs/k.json.gz")).unwrap(), b"x");
}

fn gunzip(gzip: &[u8]) -> Vec<u8> {
    let mut json = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(gzip), &mut json).unwrap();
    json
}

/// The digests in `bucket`, oldest first, each checked against its signature and the region's
/// keys, with the hash of every listed file checked against the stored object.
fn checked_digests(setup: &Setup, bucket: &MemoryBucket) -> Vec<integrity::read::ReadDigest> {
    let objects = bucket.objects.lock().unwrap();
    let signatures = bucket.signatures.lock().unwrap();
    let keys = setup.catalog.signing_keys("us-east-1").unwrap();
    let mut digests = Vec::new();
    for ((b, k), gzip) in objects.iter().filter(|((_, k), _)| k.contains("CloudTrail-Digest")) {
        let json = gunzip(gzip);
        let digest = integrity::read::read_digest(&json).unwrap();
        assert_eq!((&digest.bucket, &digest.key), (b, k));
        let key = keys.iter().find(|key| key.fingerprint == digest.fingerprint).unwrap();
        assert!(
            integrity::read::verify_digest(
                &key.public_pkcs1_der,
                &digest,
                &json,
                &signatures[&(b.clone(), k.clone())]
            ),
            "{k}"
        );
        for file in &digest.log_files {
            let stored = &objects[&(file.s3_bucket.clone(), file.s3_object.clone())];
            assert_eq!(file.hash_value, integrity::digest::sha256_hex(&gunzip(stored)));
        }
        digests.push(digest);
    }
    digests.sort_by_key(|d| d.end_unix);
    digests
}

#[tokio::test]
async fn digests_chain_every_interval_list_each_file_once_and_restart_after_a_stop() {
    const H: i64 = 3_600_000;
    let setup = setup();
    let east = format!("arn:aws:cloudtrail:us-east-1:{ACCT}:trail/east");
    let mut trail = setup.catalog.trail(&east).unwrap().unwrap();
    trail.log_file_validation_enabled = true;
    setup.catalog.update_trail(&trail).unwrap();
    let t0 = 1_795_183_500_000; // 2026-11-20T14:05:00Z
    let bucket = Arc::new(MemoryBucket::default());
    let mut delivery = delivery(&setup, Arc::clone(&bucket));
    // The first boundary after logging began: a starting digest with no files.
    assert_eq!(delivery.write_due_digests().await.unwrap(), 1);
    assert_eq!(delivery.write_due_digests().await.unwrap(), 0, "nothing more is due");
    ingest_events(&setup, (0..4).map(|i| format!("e{i}"))).await;
    assert_eq!(delivery.cycle().await.unwrap(), 1);
    // A re-run of the same files (as after a crash) must not list them twice.
    setup
        .catalog
        .register_log_file(
            &catalog::DigestStreamId {
                trail_arn: east.clone(),
                account_id: ACCT.into(),
                region: "us-east-1".into(),
            },
            &catalog::DigestFileRow {
                bucket: "logs-east".into(),
                key: bucket
                    .objects
                    .lock()
                    .unwrap()
                    .keys()
                    .find(|(_, k)| k.contains("/CloudTrail/"))
                    .unwrap()
                    .1
                    .clone(),
                sha256_hex: "0".repeat(64),
                oldest_event_time: None,
                newest_event_time: None,
                stored_at_ms: t0 + 10,
            },
        )
        .unwrap();
    setup.clock.0.store(t0 + H, Ordering::Relaxed);
    assert_eq!(delivery.write_due_digests().await.unwrap(), 1);
    setup.clock.0.store(t0 + 2 * H, Ordering::Relaxed);
    assert_eq!(delivery.write_due_digests().await.unwrap(), 1, "an empty interval has a digest");
    // Stopped and restarted within the next interval: the chain closes and starts again.
    trail.is_logging = false;
    trail.stop_logging_time_ms = Some(t0 + 2 * H + 60_000);
    setup.catalog.update_trail(&trail).unwrap();
    trail.is_logging = true;
    trail.start_logging_time_ms = Some(t0 + 2 * H + 120_000);
    setup.catalog.update_trail(&trail).unwrap();
    setup.clock.0.store(t0 + 3 * H, Ordering::Relaxed);
    assert_eq!(delivery.write_due_digests().await.unwrap(), 1, "the final digest");
    setup.clock.0.store(t0 + 4 * H, Ordering::Relaxed);
    assert_eq!(delivery.write_due_digests().await.unwrap(), 1, "the new chain's first digest");

    let digests = checked_digests(&setup, &bucket);
    assert_eq!(digests.len(), 5);
    let boundary = |n: i64| (t0 + n * H) / H * H / 1000;
    assert_eq!(digests[0].start_unix, 0, "the trail logs since 0");
    assert!(digests[0].is_start() && digests[0].log_files.is_empty());
    assert_eq!(digests[1].log_files.len(), 1, "the stored file, once");
    assert_eq!(digests[1].log_files[0].oldest_event_time.as_deref(), Some("2026-11-21T00:00:00Z"));
    for pair in digests[..4].windows(2) {
        assert_eq!(pair[1].previous_key.as_ref(), Some(&pair[0].key));
        assert_eq!(pair[1].start_unix, pair[0].end_unix);
    }
    assert!(digests[2].log_files.is_empty());
    assert_eq!(digests[3].end_unix, boundary(3));
    assert!(digests[4].is_start(), "a stop and a restart begin a new chain");
    assert_eq!(digests[4].start_unix, boundary(3));
    assert!(digests.iter().all(|d| d.key.starts_with(&format!(
        "AWSLogs/{ACCT}/CloudTrail-Digest/us-east-1/2026/11/20/{ACCT}_CloudTrail-Digest_us-east-1_east_us-east-1_"
    ))));
    // The west trail does not validate: no digests, and its files are in none.
    assert!(
        bucket
            .objects
            .lock()
            .unwrap()
            .keys()
            .all(|(b, k)| b != "logs-west" || !k.contains("Digest"))
    );
    let status = setup.catalog.delivery_status(&east).unwrap();
    assert_eq!(status.latest_digest_delivery_time_ms, Some(t0 + 4 * H));
}

#[tokio::test]
async fn a_backlog_waits_for_the_beat_then_drains_in_full_cycles() {
    let setup = setup();
    ingest_events(&setup, (0..43).map(|i| format!("e{i}"))).await;
    let bucket = Arc::new(MemoryBucket::default());
    // About ten events per cycle.
    let config = DeliveryConfig { cycle_bytes_max: 4000, ..DeliveryConfig::recommended() };
    let mut delivery = delivery_with(&setup, Arc::clone(&bucket), config);
    // Before the beat nothing is delivered, however much waits (the runner reads one cycle's
    // worth and no more).
    for _ in 0..3 {
        let turn = delivery.0.turn(false).await.unwrap();
        assert_eq!((turn.applied, turn.more), (0, false));
    }
    assert!(bucket.objects.lock().unwrap().is_empty());
    // On the beat, full cycles follow one another until what is left is less than a cycle.
    delivery.0.consumer_mut().deliver_now();
    let mut n_cycles = 0;
    loop {
        let turn = delivery.0.turn(false).await.unwrap();
        if turn.applied > 0 {
            n_cycles += 1;
        }
        if !turn.more {
            break;
        }
    }
    assert!(n_cycles >= 3, "{n_cycles} cycles");
    let waiting = setup.ingestor.wal().durable_end().0
        - setup.ingestor.wal().cursor("log-delivery").unwrap().0;
    assert!(
        waiting > 0 && waiting < 4000 + 2048,
        "the rest waits for the next beat: {waiting} bytes"
    );
    // The next beat takes the rest: every event exactly once.
    assert!(delivery.cycle().await.unwrap() > 0);
    let ids = delivered_ids(&bucket);
    assert_eq!(ids.len(), 43);
    assert!(ids.values().all(|n| *n == 1));
}
