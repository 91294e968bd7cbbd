//! The delivery consumer: reads the WAL from its durable cursor, runs delivery cycles
//! ([`crate::cycle`]) and uploads their log files, moving the cursor only after every file of a
//! cycle is stored.
//!
//! A cycle's plan — WAL range and delivery time — is written durably to the consumer's state
//! directory ([`crate::plan`]) before the first upload and removed after the cursor moved. A
//! restart that finds a plan re-runs exactly that cycle, so files are never skipped and never
//! duplicated.
//!
//! A failed upload is retried a few times with backoff; if it still fails, the file goes to the
//! **spool** ([`crate::spool`], in the state directory) and the cycle completes, so
//! one unreachable or refusing bucket never holds back the other trails. Spooled files are
//! retried once per cycle, per bucket, in order, until stored; while a bucket has spooled files
//! its new files join the spool behind them. GetTrailStatus shows the error meanwhile. Keys are
//! the same whichever way a file travels, so a file uploaded twice (spooled, then re-planned
//! after a crash) is one object.

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::chain::boundary;
use crate::cycle::{CycleEvent, CycleTrail, PlannedFile, build_files};
use crate::error::{Error, Result};
use crate::plan::{Plan, read_plan, write_plan};
use crate::routing::{Organization, TrailRoute};
use crate::spool::Spool;
use crate::upload::Uploader;

/// The WAL consumer name of log delivery.
pub const CONSUMER_NAME: &str = "log-delivery";

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
        boundary(now_ms, interval_ms).saturating_add(interval_ms)
    }

    /// How long until just after `at_ms` (zero wait plus a little if it has passed).
    fn until(&self, at_ms: i64) -> Duration {
        let now_ms = self.ingestor.clock().now_unix_millis();
        // A little after the boundary, so the clock has surely passed it.
        Duration::from_millis(u64::try_from(at_ms - now_ms).unwrap_or(0) + 20)
    }

    /// Remembers a stored file for its digest.
    fn register_for_digest(&self, file: &PlannedFile, stored_at_ms: i64) {
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

    /// Records a delivery attempt for GetTrailStatus. A failure to record it does not change
    /// what happens to the file, so it is logged rather than returned.
    fn record_delivery(&self, trail_arn: &str, attempt_ms: i64, error_code: Option<&str>) {
        if let Err(err) = self.catalog.record_delivery(trail_arn, attempt_ms, error_code) {
            tracing::error!(trail = %trail_arn, error_code, %err, "cannot record a delivery attempt in the catalog; GetTrailStatus shows an older one");
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
    pub async fn drain_spool(&self) -> Result<usize> {
        let spool = Spool::new(&self.state_dir);
        let mut failed: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
        let mut n_stored = 0;
        let entries = spool.entries()?;
        // Trail ARN → whether it validates log files.
        let trails: std::collections::BTreeMap<String, bool> = match entries.is_empty() {
            true => Default::default(),
            false => {
                let trails = self.catalog.trails().map_err(Error::catalog("read trails"))?;
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
                    self.record_delivery(&file.trail_arn, now_ms, None);
                    // Digested by the trail's setting now, when the file is really stored.
                    if validation {
                        self.register_for_digest(file, now_ms);
                    }
                    spool.remove(&path)?;
                    n_stored += 1;
                }
                Err(err) => {
                    let now_ms = self.ingestor.clock().now_unix_millis();
                    self.record_delivery(&file.trail_arn, now_ms, Some(&err.code));
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
    pub async fn cycle(&self) -> Result<usize> {
        self.drain_spool().await?;
        let wal = self.ingestor.wal();
        if wal.cursor(CONSUMER_NAME).is_none() {
            wal.register_consumer(CONSUMER_NAME)
                .map_err(Error::wal("register the delivery consumer"))?;
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
                        self.record_delivery(&file.trail_arn, now_ms, None);
                        if file.digested {
                            self.register_for_digest(&file, now_ms);
                        }
                        break;
                    }
                    Err(err) => {
                        let now_ms = self.ingestor.clock().now_unix_millis();
                        n_attempts += 1;
                        self.record_delivery(&file.trail_arn, now_ms, Some(&err.code));
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
                .map_err(Error::wal("commit the delivery cursor"))?;
        }
        write_plan(&self.state_dir, None)?;
        Ok(n_files)
    }

    /// The end of the next cycle from `start`: the durable end, or earlier so the cycle reads
    /// at most `cycle_bytes_max` of payload (at least one record).
    fn plan_end(&self, start: u64) -> Result<u64> {
        let wal = self.ingestor.wal();
        let durable_end = wal.durable_end().0;
        if durable_end <= start {
            return Ok(start);
        }
        let mut n_bytes = 0u64;
        for entry in wal.read_from(wal::Lsn(start)).map_err(Error::wal("read the WAL"))? {
            let (lsn, payload) = entry.map_err(Error::wal("read the WAL"))?;
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

    fn files_of(&self, plan: &Plan) -> Result<Vec<PlannedFile>> {
        let wal = self.ingestor.wal();
        let mut payloads = Vec::new();
        let reader = wal.read_from(wal::Lsn(plan.start)).map_err(Error::wal("read the WAL"))?;
        for entry in reader {
            let (lsn, payload) = entry.map_err(Error::wal("read the WAL"))?;
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

    fn trails(&self) -> Result<Vec<CycleTrail>> {
        let trails = self.catalog.trails().map_err(Error::catalog("read trails"))?;
        let mut out = Vec::new();
        for trail in trails {
            let windows = self.catalog.logging_windows(&trail.trail_arn).map_err(|source| {
                Error::LoggingWindows { trail_arn: trail.trail_arn.clone(), source }
            })?;
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
