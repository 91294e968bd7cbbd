//! The delivery consumer: reads the WAL from its durable cursor, runs delivery cycles
//! ([`crate::cycle`]) and uploads their log files, moving the cursor only after every file of a
//! cycle is stored.
//!
//! A cycle's plan — WAL range and delivery time — is written to `plan` in the consumer's state
//! directory (temp file, fsync, rename, fsync directory) before the first upload and removed
//! after the cursor moved. A restart that finds a plan re-runs exactly that cycle, so files are
//! never skipped and never duplicated.
//!
//! A failed upload is retried a few times with backoff; if it still fails, the file goes to the
//! **spool** (`spool/` in the state directory, written crash-safely) and the cycle completes, so
//! one unreachable or refusing bucket never holds back the other trails. Spooled files are
//! retried once per cycle, per bucket, in order, until stored; while a bucket has spooled files
//! its new files join the spool behind them. GetTrailStatus shows the error meanwhile. Keys are
//! the same whichever way a file travels, so a file uploaded twice (spooled, then re-planned
//! after a crash) is one object.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use catalog::{DigestStore as _, TrailStore as _};

use crate::cycle::{CycleEvent, CycleTrail, build_files};
use crate::routing::{Organization, TrailRoute};

/// The WAL consumer name of log delivery.
pub const CONSUMER_NAME: &str = "log-delivery";

/// Why an upload failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UploadError {
    /// An S3 error code (`AccessDenied`, `NoSuchBucket`, ...): what GetTrailStatus reports as
    /// `LatestDeliveryError`, as AWS does.
    pub code: String,
    /// The whole story, for the log.
    pub message: String,
}

/// Where delivered files go.
pub trait Uploader: Send + Sync + 'static {
    /// Stores one log file or digest (overwriting an object of the same key). A digest comes
    /// with its signature (hex), stored as the user metadata `signature` and
    /// `signature-algorithm` that validate-logs reads.
    fn put(
        &self,
        bucket: &str,
        key: &str,
        gzip: Vec<u8>,
        signature: Option<&str>,
    ) -> impl Future<Output = Result<(), UploadError>> + Send;
}

/// Log files go to the trail's bucket in the blob store (the embedded local bucket or S3).
impl Uploader for blob_store::BlobStore {
    async fn put(
        &self,
        bucket: &str,
        key: &str,
        gzip: Vec<u8>,
        signature: Option<&str>,
    ) -> Result<(), UploadError> {
        let mut user = std::collections::BTreeMap::new();
        if let Some(signature) = signature {
            user.insert("signature".to_owned(), signature.to_owned());
            user.insert(
                "signature-algorithm".to_owned(),
                integrity::digest::SIGNATURE_ALGORITHM.to_owned(),
            );
        }
        let meta = blob_store::ObjectMeta {
            content_type: Some("application/json".into()),
            content_encoding: Some("gzip".into()),
            user,
        };
        let body = bytes::Bytes::from(gzip);
        let mut result = blob_store::BlobStore::put(self, bucket, key, body.clone(), &meta).await;
        // The embedded store's buckets are OpenTrail's: one removed by hand is made again
        // (CreateTrail made it in the first place). S3 buckets are never created.
        if matches!(result, Err(blob_store::Error::NoSuchBucket { .. })) && self.owns_bucket(bucket)
        {
            tracing::warn!(bucket, "the local bucket is gone; creating it again");
            result = match self.create_bucket(bucket).await {
                Ok(()) => blob_store::BlobStore::put(self, bucket, key, body, &meta).await,
                Err(err) => Err(err),
            };
        }
        result.map_err(|err| {
            let message = format!("{} (in the {})", err.detailed(), self.store_for(bucket));
            UploadError { code: err.s3_code().to_owned(), message }
        })
    }
}

/// Settings of the consumer.
#[derive(Clone, Debug)]
pub struct DeliveryConfig {
    /// A file closes after this long (AWS: about 5 minutes; OpenTrail default 60 s).
    pub interval: Duration,
    /// A cycle covers at most this many WAL bytes (bounds memory and file size).
    pub cycle_bytes_max: u64,
    /// First retry delay of a failed upload; doubles up to `retry_delay_max`.
    pub retry_delay_min: Duration,
    pub retry_delay_max: Duration,
    /// Attempts of one upload within a cycle before the file goes to the spool.
    pub attempts_before_spool: u32,
    /// How long the last cycle at shutdown may take.
    pub shutdown_grace: Duration,
    /// A digest closes every this long (AWS: one hour); whole seconds.
    pub digest_interval: Duration,
}

impl DeliveryConfig {
    pub fn recommended() -> DeliveryConfig {
        DeliveryConfig {
            interval: Duration::from_secs(60),
            cycle_bytes_max: 32 * 1024 * 1024,
            retry_delay_min: Duration::from_millis(200),
            retry_delay_max: Duration::from_secs(30),
            // 0.2 + 0.4 + 0.8 s of retries: a blip passes, an outage spools.
            attempts_before_spool: 4,
            shutdown_grace: Duration::from_secs(5),
            digest_interval: Duration::from_secs(3600),
        }
    }
}

/// The durable plan of the cycle in progress.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Plan {
    start: u64,
    end: u64,
    delivered_at_unix: i64,
}

impl Plan {
    const MAGIC: &'static [u8; 4] = b"OTdp";

    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(32);
        out.extend_from_slice(Self::MAGIC);
        out.extend_from_slice(&self.start.to_le_bytes());
        out.extend_from_slice(&self.end.to_le_bytes());
        out.extend_from_slice(&self.delivered_at_unix.to_le_bytes());
        let crc = crc32(&out);
        out.extend_from_slice(&crc.to_le_bytes());
        out
    }

    fn decode(bytes: &[u8]) -> Option<Plan> {
        if bytes.len() != 32 || &bytes[..4] != Self::MAGIC {
            return None;
        }
        let crc = u32::from_le_bytes(bytes[28..32].try_into().ok()?);
        if crc32(&bytes[..28]) != crc {
            return None;
        }
        Some(Plan {
            start: u64::from_le_bytes(bytes[4..12].try_into().ok()?),
            end: u64::from_le_bytes(bytes[12..20].try_into().ok()?),
            delivered_at_unix: i64::from_le_bytes(bytes[20..28].try_into().ok()?),
        })
    }
}

/// A small CRC-32 (IEEE) for the plan file; the plan is 28 bytes, speed does not matter.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

/// The delivery consumer.
pub struct Delivery<U: Uploader> {
    pub ingestor: Arc<ingest::Ingestor>,
    pub catalog: Arc<catalog::Catalog>,
    pub organization: Option<Organization>,
    pub uploader: Arc<U>,
    pub config: DeliveryConfig,
    pub state_dir: PathBuf,
}

impl<U: Uploader> Delivery<U> {
    /// Runs cycles until `stop` resolves, then one last cycle (bounded by
    /// [`DeliveryConfig::shutdown_grace`]) so what was acknowledged before the stop is
    /// delivered now rather than at the next start.
    ///
    /// A cycle cut short — by the stop or by the grace period — is safe: its plan is durable and
    /// the cursor has not moved, so the next start re-runs it and writes the same keys.
    pub async fn run(self, stop: impl Future<Output = ()>) {
        tokio::pin!(stop);
        // Cycles start on a fixed beat, so an event waits at most one interval plus one cycle;
        // while a whole cycle's worth (`cycle_bytes_max`) waits, cycles follow at once, so a
        // backlog drains at full speed instead of one bounded cycle per interval.
        let mut beat = tokio::time::interval(self.config.interval);
        beat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // The next digest boundary is remembered, not recomputed from the clock, so a cycle
        // running across a boundary delays its digests but never skips them.
        let mut next_digest_ms = self.next_digest_boundary();
        'beats: loop {
            tokio::select! {
                _ = beat.tick() => {}
                () = tokio::time::sleep(self.until(next_digest_ms)) => {
                    if let Err(err) = self.write_due_digests().await {
                        tracing::error!(%err, "digest delivery failed; retrying next interval");
                    }
                    next_digest_ms = self.next_digest_boundary();
                    continue;
                }
                () = &mut stop => break,
            }
            loop {
                tokio::select! {
                    result = self.cycle() => match result {
                        Ok(_) if self.has_backlog() => continue,
                        Ok(_) => break,
                        Err(err) => {
                            tracing::error!(%err, "log delivery cycle failed; retrying next interval");
                            break;
                        }
                    },
                    () = &mut stop => break 'beats,
                }
            }
        }
        match tokio::time::timeout(self.config.shutdown_grace, self.cycle()).await {
            Ok(Ok(_)) => {}
            Ok(Err(err)) => {
                tracing::error!(%err, "final log delivery cycle failed; the events stay in the WAL for the next start")
            }
            Err(_) => tracing::warn!(
                grace = ?self.config.shutdown_grace,
                "final log delivery did not finish in time; the rest is delivered at the next start"
            ),
        }
    }

    /// The first digest boundary after now (Unix milliseconds).
    fn next_digest_boundary(&self) -> i64 {
        let interval_ms =
            i64::try_from(self.config.digest_interval.as_millis()).unwrap_or(i64::MAX).max(1000);
        let now_ms = self.ingestor.clock().now_unix_millis();
        crate::digests::boundary(now_ms, interval_ms).saturating_add(interval_ms)
    }

    /// How long until just after `at_ms` (zero wait plus a little if it has passed).
    fn until(&self, at_ms: i64) -> Duration {
        let now_ms = self.ingestor.clock().now_unix_millis();
        // A little after the boundary, so the clock has surely passed it.
        Duration::from_millis(u64::try_from(at_ms - now_ms).unwrap_or(0) + 20)
    }

    /// Remembers a stored file for its digest.
    fn register_for_digest(&self, file: &crate::cycle::PlannedFile, stored_at_ms: i64) {
        let id = catalog::DigestStreamId {
            trail_arn: file.trail_arn.clone(),
            account_id: file.account_id.clone(),
            region: file.region.clone(),
        };
        let row = catalog::DigestFileRow {
            bucket: file.bucket.clone(),
            key: file.key.clone(),
            sha256_hex: file.sha256_hex.clone(),
            oldest_event_time: file.oldest_event_time.clone(),
            newest_event_time: file.newest_event_time.clone(),
            stored_at_ms,
        };
        if let Err(err) = self.catalog.register_log_file(&id, &row) {
            // The file is stored; only its digest entry is missing, which validation shows.
            tracing::error!(%err, key = %file.key, "a stored log file could not be registered for its digest");
        }
    }

    /// Whether a whole cycle's worth of events (`cycle_bytes_max` of WAL) already waits, so
    /// the next cycle should not wait for the beat. (LSNs are WAL byte positions.)
    fn has_backlog(&self) -> bool {
        let wal = self.ingestor.wal();
        wal.cursor(CONSUMER_NAME).is_some_and(|cursor| {
            wal.durable_end().0.saturating_sub(cursor.0) >= self.config.cycle_bytes_max
        })
    }

    /// Tries each bucket's spooled files, oldest first, once: a bucket's first failure ends
    /// its turn until the next call. Returns how many files were stored.
    pub async fn drain_spool(&self) -> Result<usize, String> {
        let spool = Spool::new(&self.state_dir);
        let mut failed: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
        let mut n_stored = 0;
        let entries = spool.entries()?;
        // Trail ARN → whether it validates log files.
        let trails: std::collections::BTreeMap<String, bool> = match entries.is_empty() {
            true => Default::default(),
            false => {
                let trails = self.catalog.trails().map_err(|e| format!("read trails: {e}"))?;
                trails.into_iter().map(|t| (t.trail_arn, t.log_file_validation_enabled)).collect()
            }
        };
        for path in entries {
            let mut entry = spool.read(&path)?;
            let Some(&validation) = trails.get(&entry.file.trail_arn) else {
                tracing::info!(trail = %entry.file.trail_arn, key = %entry.file.key, "the trail was deleted; its spooled log file is dropped");
                spool.remove(&path)?;
                continue;
            };
            let file = &mut entry.file;
            if failed.contains(&file.bucket) {
                continue;
            }
            let gzip = std::mem::take(&mut file.gzip);
            match self.uploader.put(&file.bucket, &file.key, gzip, None).await {
                Ok(()) => {
                    let now_ms = self.ingestor.clock().now_unix_millis();
                    let _ = self.catalog.record_delivery(&file.trail_arn, now_ms, None);
                    // Digested by the trail's setting now, when the file is really stored.
                    if validation {
                        self.register_for_digest(file, now_ms);
                    }
                    spool.remove(&path)?;
                    n_stored += 1;
                }
                Err(err) => {
                    let now_ms = self.ingestor.clock().now_unix_millis();
                    let _ = self.catalog.record_delivery(&file.trail_arn, now_ms, Some(&err.code));
                    tracing::warn!(bucket = %file.bucket, key = %file.key, error = %err.message, "spooled log file still cannot be stored; next try next cycle");
                    failed.insert(file.bucket.clone());
                }
            }
        }
        if n_stored > 0 {
            tracing::info!(n_stored, "spooled log files delivered");
        }
        Ok(n_stored)
    }

    /// One cycle: retry the spool; resume a planned cycle, or plan `[cursor, durable end)`;
    /// deliver (or spool); commit. Returns the number of files of the cycle.
    pub async fn cycle(&self) -> Result<usize, String> {
        self.drain_spool().await?;
        let wal = self.ingestor.wal();
        if wal.cursor(CONSUMER_NAME).is_none() {
            wal.register_consumer(CONSUMER_NAME)
                .map_err(|e| format!("register the delivery consumer: {e}"))?;
        }
        let plan = match read_plan(&self.state_dir)? {
            Some(plan) => plan,
            None => {
                let start = wal.cursor(CONSUMER_NAME).map(|lsn| lsn.0).unwrap_or(wal.first_lsn().0);
                let end = self.plan_end(start)?;
                if end <= start {
                    return Ok(0);
                }
                let plan = Plan {
                    start,
                    end,
                    delivered_at_unix: self.ingestor.clock().now_unix_millis().div_euclid(1000),
                };
                write_plan(&self.state_dir, Some(&plan))?;
                plan
            }
        };
        let files = self.files_of(&plan)?;
        let n_files = files.len();
        let spool = Spool::new(&self.state_dir);
        let mut spooling = spool.buckets()?;
        for file in files {
            if spooling.contains(&file.bucket) {
                spool.add(plan.start, &file)?;
                continue;
            }
            let mut delay = self.config.retry_delay_min;
            let mut n_attempts = 0;
            loop {
                match self.uploader.put(&file.bucket, &file.key, file.gzip.clone(), None).await {
                    Ok(()) => {
                        // Stored now: the file belongs to the digest whose window holds now.
                        let now_ms = self.ingestor.clock().now_unix_millis();
                        let _ = self.catalog.record_delivery(&file.trail_arn, now_ms, None);
                        if file.digested {
                            self.register_for_digest(&file, now_ms);
                        }
                        break;
                    }
                    Err(err) => {
                        let now_ms = self.ingestor.clock().now_unix_millis();
                        n_attempts += 1;
                        let _ =
                            self.catalog.record_delivery(&file.trail_arn, now_ms, Some(&err.code));
                        if n_attempts >= self.config.attempts_before_spool {
                            tracing::warn!(bucket = %file.bucket, key = %file.key, error = %err.message, "log file upload keeps failing; spooled, retried every cycle");
                            spool.add(plan.start, &file)?;
                            spooling.insert(file.bucket.clone());
                            break;
                        }
                        tracing::warn!(bucket = %file.bucket, key = %file.key, error = %err.message, "log file upload failed; retrying");
                        tokio::time::sleep(delay).await;
                        delay = (delay * 2).min(self.config.retry_delay_max);
                    }
                }
            }
        }
        // A cycle re-run after a crash between commit and plan removal is already committed.
        if wal.cursor(CONSUMER_NAME).is_none_or(|cursor| cursor.0 < plan.end) {
            wal.commit_cursor(CONSUMER_NAME, wal::Lsn(plan.end))
                .map_err(|e| format!("commit the delivery cursor: {e}"))?;
        }
        write_plan(&self.state_dir, None)?;
        Ok(n_files)
    }

    /// The end of the next cycle from `start`: the durable end, or earlier so the cycle reads
    /// at most `cycle_bytes_max` of payload (at least one record).
    fn plan_end(&self, start: u64) -> Result<u64, String> {
        let wal = self.ingestor.wal();
        let durable_end = wal.durable_end().0;
        if durable_end <= start {
            return Ok(start);
        }
        let mut n_bytes = 0u64;
        for entry in wal.read_from(wal::Lsn(start)).map_err(|e| format!("read the WAL: {e}"))? {
            let (lsn, payload) = entry.map_err(|e| format!("read the WAL: {e}"))?;
            if lsn.0 >= durable_end {
                break;
            }
            if n_bytes > 0 && n_bytes + payload.len() as u64 > self.config.cycle_bytes_max {
                return Ok(lsn.0);
            }
            n_bytes += payload.len() as u64;
        }
        Ok(durable_end)
    }

    fn files_of(&self, plan: &Plan) -> Result<Vec<crate::cycle::PlannedFile>, String> {
        let wal = self.ingestor.wal();
        let mut payloads = Vec::new();
        let reader =
            wal.read_from(wal::Lsn(plan.start)).map_err(|e| format!("read the WAL: {e}"))?;
        for entry in reader {
            let (lsn, payload) = entry.map_err(|e| format!("read the WAL: {e}"))?;
            if lsn.0 >= plan.end {
                break;
            }
            payloads.push((lsn.0, payload));
        }
        let events: Vec<CycleEvent<'_>> = payloads
            .iter()
            .filter_map(|(lsn, payload)| {
                let envelope = ingest::Envelope::decode(payload).ok()?;
                match envelope.kind {
                    ingest::Kind::CloudTrailRecord | ingest::Kind::SelfAudit => Some(CycleEvent {
                        lsn: *lsn,
                        ingested_at_ms: envelope.ingested_at_ms,
                        record: envelope.record,
                    }),
                    // Integration events go to event data stores, never to trails.
                    ingest::Kind::AuditEvent => None,
                }
            })
            .collect();
        let trails = self.trails()?;
        Ok(build_files(
            &trails,
            self.organization.as_ref(),
            &events,
            plan.start,
            plan.end,
            plan.delivered_at_unix,
        ))
    }

    fn trails(&self) -> Result<Vec<CycleTrail>, String> {
        let trails = self.catalog.trails().map_err(|e| format!("read trails: {e}"))?;
        let mut out = Vec::new();
        for trail in trails {
            let windows = self
                .catalog
                .logging_windows(&trail.trail_arn)
                .map_err(|e| format!("read the logging windows of {}: {e}", trail.trail_arn))?;
            // A trail that never logged takes nothing.
            if windows.is_empty() {
                continue;
            }
            let selectors = match trail_selectors::Selectors::from_storage(&trail.event_selectors) {
                Ok(selectors) => selectors,
                Err(err) => {
                    tracing::error!(trail = %trail.trail_arn, %err, "stored event selectors are unreadable; the trail gets no files");
                    continue;
                }
            };
            out.push(CycleTrail {
                route: TrailRoute {
                    trail_arn: trail.trail_arn,
                    name: trail.name,
                    account_id: trail.account_id,
                    home_region: trail.home_region,
                    is_multi_region_trail: trail.is_multi_region_trail,
                    include_global_service_events: trail.include_global_service_events,
                    is_organization_trail: trail.is_organization_trail,
                    s3_bucket_name: trail.s3_bucket_name,
                    s3_key_prefix: trail.s3_key_prefix,
                    selectors,
                },
                logging: Some(windows),
                log_file_validation: trail.log_file_validation_enabled,
            });
        }
        Ok(out)
    }
}

/// A spooled file (its uncompressed `json` is not kept).
struct SpoolEntry {
    file: crate::cycle::PlannedFile,
}

/// The spool directory: one file per log file waiting for its bucket, named
/// `<WAL position of its cycle>-<hash of bucket and key>.spool` so that they sort in delivery
/// order and re-spooling the same file replaces it. Each holds the trail, bucket, key, account,
/// region, SHA-256 of the JSON, oldest and newest event time (empty when none) and the gzip
/// bytes, length-prefixed, with a CRC-32 at the end. Files of the first format (`OTsp`: trail,
/// bucket, key, gzip) are still read; their digest details are recomputed.
struct Spool {
    dir: PathBuf,
}

impl Spool {
    const MAGIC_V1: &'static [u8; 4] = b"OTsp";
    const MAGIC: &'static [u8; 4] = b"OTs2";

    fn new(state_dir: &Path) -> Spool {
        Spool { dir: state_dir.join("spool") }
    }

    fn io(&self, what: &str, path: &Path, err: std::io::Error) -> String {
        format!("{what} `{}` in the delivery spool: {err}", path.display())
    }

    /// Spooled files, oldest first.
    fn entries(&self) -> Result<Vec<PathBuf>, String> {
        let reader = match std::fs::read_dir(&self.dir) {
            Ok(reader) => reader,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(err) => return Err(self.io("list", &self.dir, err)),
        };
        let mut paths = Vec::new();
        for entry in reader {
            let path = entry.map_err(|e| self.io("list", &self.dir, e))?.path();
            if path.extension().is_some_and(|ext| ext == "spool") {
                paths.push(path);
            }
        }
        paths.sort();
        Ok(paths)
    }

    /// Buckets with spooled files.
    fn buckets(&self) -> Result<std::collections::BTreeSet<String>, String> {
        let mut buckets = std::collections::BTreeSet::new();
        for path in self.entries()? {
            buckets.insert(self.read(&path)?.file.bucket);
        }
        Ok(buckets)
    }

    fn add(&self, cycle_start: u64, file: &crate::cycle::PlannedFile) -> Result<(), String> {
        let mut body = Vec::with_capacity(file.gzip.len() + 256);
        body.extend_from_slice(Self::MAGIC);
        let text = |time: &Option<String>| time.clone().unwrap_or_default();
        let (oldest, newest) = (text(&file.oldest_event_time), text(&file.newest_event_time));
        for part in [
            file.trail_arn.as_bytes(),
            file.bucket.as_bytes(),
            file.key.as_bytes(),
            file.account_id.as_bytes(),
            file.region.as_bytes(),
            file.sha256_hex.as_bytes(),
            oldest.as_bytes(),
            newest.as_bytes(),
            &file.gzip,
        ] {
            body.extend_from_slice(&(part.len() as u64).to_le_bytes());
            body.extend_from_slice(part);
        }
        let crc = crc32(&body);
        body.extend_from_slice(&crc.to_le_bytes());
        let mut hash = 0xcbf2_9ce4_8422_2325u64;
        for b in file.bucket.bytes().chain([b'/']).chain(file.key.bytes()) {
            hash = (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        let path = self.dir.join(format!("{cycle_start:020}-{hash:016x}.spool"));
        let tmp = self.dir.join(format!("{cycle_start:020}-{hash:016x}.tmp"));
        std::fs::create_dir_all(&self.dir).map_err(|e| self.io("create", &self.dir, e))?;
        let mut out = std::fs::File::create(&tmp).map_err(|e| self.io("create", &tmp, e))?;
        std::io::Write::write_all(&mut out, &body).map_err(|e| self.io("write", &tmp, e))?;
        out.sync_all().map_err(|e| self.io("fsync", &tmp, e))?;
        std::fs::rename(&tmp, &path).map_err(|e| self.io("rename into", &path, e))?;
        std::fs::File::open(&self.dir)
            .and_then(|dir| dir.sync_all())
            .map_err(|e| self.io("fsync", &self.dir, e))
    }

    fn read(&self, path: &Path) -> Result<SpoolEntry, String> {
        let bytes = std::fs::read(path).map_err(|e| self.io("read", path, e))?;
        let damaged = || {
            format!(
                "the spooled log file `{}` is damaged; move it aside to let delivery continue (its events are in the WAL only if the WAL still holds them)",
                path.display()
            )
        };
        let n_parts = match bytes.get(..4) {
            Some(magic) if magic == Self::MAGIC => 9,
            Some(magic) if magic == Self::MAGIC_V1 => 4,
            _ => return Err(damaged()),
        };
        if bytes.len() < 8 {
            return Err(damaged());
        }
        let (body, crc) = bytes.split_at(bytes.len() - 4);
        if crc32(body) != u32::from_le_bytes(crc.try_into().map_err(|_| damaged())?) {
            return Err(damaged());
        }
        let mut rest = &body[4..];
        let mut parts: Vec<Vec<u8>> = Vec::with_capacity(n_parts);
        for _ in 0..n_parts {
            let len_bytes: [u8; 8] =
                rest.get(..8).ok_or_else(damaged)?.try_into().map_err(|_| damaged())?;
            let len = usize::try_from(u64::from_le_bytes(len_bytes)).map_err(|_| damaged())?;
            let part = rest.get(8..8usize.saturating_add(len)).ok_or_else(damaged)?;
            parts.push(part.to_vec());
            rest = &rest[8 + len..];
        }
        let gzip = parts.pop().ok_or_else(damaged)?;
        let mut texts = Vec::with_capacity(n_parts - 1);
        for part in parts {
            texts.push(String::from_utf8(part).map_err(|_| damaged())?);
        }
        let mut texts = texts.into_iter();
        let mut next = || texts.next().ok_or_else(damaged);
        let (trail_arn, bucket, key) = (next()?, next()?, next()?);
        let file = if n_parts == 9 {
            let (account_id, region, sha256_hex) = (next()?, next()?, next()?);
            let time = |text: String| (!text.is_empty()).then_some(text);
            let (oldest, newest) = (time(next()?), time(next()?));
            crate::cycle::PlannedFile {
                trail_arn,
                account_id,
                region,
                bucket,
                key,
                json: Vec::new(),
                sha256_hex,
                oldest_event_time: oldest,
                newest_event_time: newest,
                gzip,
                n_records: 0,
                digested: true,
            }
        } else {
            // The first format: account and region from the key, the hash from the bytes.
            let mut json = Vec::new();
            std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gzip[..]), &mut json)
                .map_err(|_| damaged())?;
            let (account_id, region) = account_and_region(&key).ok_or_else(damaged)?;
            crate::cycle::PlannedFile {
                trail_arn,
                account_id,
                region,
                bucket,
                key,
                sha256_hex: integrity::digest::sha256_hex(&json),
                json: Vec::new(),
                oldest_event_time: None,
                newest_event_time: None,
                gzip,
                n_records: 0,
                digested: true,
            }
        };
        Ok(SpoolEntry { file })
    }

    fn remove(&self, path: &Path) -> Result<(), String> {
        match std::fs::remove_file(path) {
            Ok(()) => Ok(()),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(err) => Err(self.io("remove", path, err)),
        }
    }
}

/// The account and region of a log-file key (`…/<acct>/CloudTrail/<region>/…`).
fn account_and_region(key: &str) -> Option<(String, String)> {
    let parts: Vec<&str> = key.split('/').collect();
    let at = parts.iter().position(|part| *part == "CloudTrail")?;
    Some(((*parts.get(at.checked_sub(1)?)?).to_owned(), (*parts.get(at + 1)?).to_owned()))
}

fn plan_path(state_dir: &Path) -> PathBuf {
    state_dir.join("plan")
}

fn read_plan(state_dir: &Path) -> Result<Option<Plan>, String> {
    match std::fs::read(plan_path(state_dir)) {
        Ok(bytes) => Plan::decode(&bytes).map(Some).ok_or_else(|| {
            format!(
                "the delivery plan `{}` is damaged; remove it to re-plan from the WAL cursor",
                plan_path(state_dir).display()
            )
        }),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(format!("read the delivery plan: {err}")),
    }
}

/// Writes (or with `None` removes) the plan crash-safely.
fn write_plan(state_dir: &Path, plan: Option<&Plan>) -> Result<(), String> {
    let path = plan_path(state_dir);
    let io = |what: &str, err: std::io::Error| format!("{what} `{}`: {err}", path.display());
    std::fs::create_dir_all(state_dir).map_err(|e| io("create the directory of", e))?;
    match plan {
        Some(plan) => {
            let tmp = state_dir.join("plan.tmp");
            let mut file = std::fs::File::create(&tmp).map_err(|e| io("create", e))?;
            std::io::Write::write_all(&mut file, &plan.encode()).map_err(|e| io("write", e))?;
            file.sync_all().map_err(|e| io("fsync", e))?;
            std::fs::rename(&tmp, &path).map_err(|e| io("rename into", e))?;
        }
        None => match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(err) => return Err(io("remove", err)),
        },
    }
    std::fs::File::open(state_dir)
        .and_then(|dir| dir.sync_all())
        .map_err(|e| io("fsync the directory of", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_round_trip_and_reject_damage() {
        let plan = Plan { start: 7, end: 4096, delivered_at_unix: 1_795_183_500 };
        let bytes = plan.encode();
        assert_eq!(Plan::decode(&bytes), Some(plan));
        for idx in 0..bytes.len() {
            let mut damaged = bytes.clone();
            damaged[idx] ^= 0x01;
            assert_eq!(Plan::decode(&damaged), None, "byte {idx}");
        }
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }
}
