//! The delivery consumer ([`DeliveryConsumer`], run by the [`pipeline::Runner`]): the runner
//! reads the WAL from the durable cursor and hands over, on every delivery beat (then at once
//! while full cycles' worth wait, so a backlog drains), one batch: a delivery cycle ([`crate::cycle`]) whose log files
//! are uploaded before the cursor moves past them. Between cycles it writes the digests that
//! are due ([`crate::digests`]).
//!
//! A cycle's plan — WAL range and delivery time — is written durably to the consumer's state
//! directory ([`crate::plan`]) before the first upload and removed after the cursor moved. A
//! restart that finds a plan re-runs exactly that cycle, so files are never skipped and never
//! duplicated.
//!
//! A failed upload is retried a few times with backoff; if it still fails, the file goes to the
//! **spool** ([`crate::spool`], in the state directory) and the cycle completes, so
//! one unreachable or refusing bucket never holds back the other trails. Spooled files are
//! retried once per cycle, per trail, in order, until stored; while a trail has spooled files
//! its new files join the spool behind them — a trail whose files a shared bucket refuses (a
//! key prefix it cannot hold) never holds back another trail's files in that bucket. GetTrailStatus shows the error meanwhile. Keys are
//! the same whichever way a file travels, so a file uploaded twice (spooled, then re-planned
//! after a crash) is one object.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use catalog::{DigestStore as _, TrailStore as _};

use crate::chain::boundary;
use crate::cycle::{Cycle, CycleEvent, CycleTrail, PlannedFile, build_files};
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
    /// The first digest boundary after now (Unix milliseconds).
    fn next_digest_boundary(&self) -> i64 {
        let interval_ms =
            i64::try_from(self.config.digest_interval.as_millis()).unwrap_or(i64::MAX).max(1000);
        let now_ms = self.ingestor.clock().now_unix_millis();
        boundary(now_ms, interval_ms).saturating_add(interval_ms)
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
            // A trail's files keep their order: behind one that failed, the rest of that
            // trail's wait; other trails' files (in the same bucket too) go on.
            if failed.contains(&file.trail_arn) {
                continue;
            }
            let gzip = std::mem::take(&mut file.gzip);
            let n_bytes = gzip.len();
            match self.uploader.put(&file.bucket, &file.key, gzip, None).await {
                Ok(()) => {
                    let now_ms = self.ingestor.clock().now_unix_millis();
                    self.record_delivery(&file.trail_arn, now_ms, None);
                    crate::metrics::stored(&file.bucket, n_bytes);
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
                    crate::metrics::failed(&file.bucket);
                    tracing::warn!(bucket = %file.bucket, key = %file.key, error = %err.message, "spooled log file still cannot be stored; next try next cycle");
                    failed.insert(file.trail_arn.clone());
                }
            }
        }
        if n_stored > 0 {
            tracing::info!(n_stored, "spooled log files delivered");
        }
        Ok(n_stored)
    }

    /// Delivers one cycle: the events of `plan`'s WAL range (the batch the runner read) as log
    /// files (spooled where a bucket refuses), then commits the cursor to the plan's end and
    /// removes the plan — in that order, so a crash in between re-runs the same plan. Returns
    /// the number of files.
    async fn deliver(&self, plan: &Plan, events: &[pipeline::Event<'_>]) -> Result<usize> {
        let events: Vec<CycleEvent<'_>> = events
            .iter()
            .map(|event| CycleEvent {
                lsn: event.lsn.0,
                ingested_at_ms: event.envelope.ingested_at_ms,
                record: event.envelope.record,
            })
            .collect();
        let trails = self.trails()?;
        let files = build_files(&Cycle {
            trails: &trails,
            organization: self.organization.as_ref(),
            events: &events,
            wal_start: plan.start,
            wal_end: plan.end,
            delivered_at_unix: plan.delivered_at_unix,
        });
        let n_files = files.len();
        let spool = Spool::new(&self.state_dir);
        let mut spooling = spool.trails()?;
        for file in files {
            if spooling.contains(&file.trail_arn) {
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
                        crate::metrics::stored(&file.bucket, file.gzip.len());
                        if file.digested {
                            self.register_for_digest(&file, now_ms);
                        }
                        break;
                    }
                    Err(err) => {
                        let now_ms = self.ingestor.clock().now_unix_millis();
                        n_attempts += 1;
                        self.record_delivery(&file.trail_arn, now_ms, Some(&err.code));
                        crate::metrics::failed(&file.bucket);
                        if n_attempts >= self.config.attempts_before_spool {
                            tracing::warn!(bucket = %file.bucket, key = %file.key, error = %err.message, "log file upload keeps failing; spooled, retried every cycle");
                            spool.add(plan.start, &file)?;
                            spooling.insert(file.trail_arn.clone());
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
        let wal = self.ingestor.wal();
        if wal.cursor(CONSUMER_NAME).is_none_or(|cursor| cursor.0 < plan.end) {
            wal.commit_cursor(CONSUMER_NAME, wal::Lsn(plan.end))
                .map_err(Error::wal("commit the delivery cursor"))?;
        }
        write_plan(&self.state_dir, None)?;
        Ok(n_files)
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

/// [`Delivery`] as a WAL consumer: cycles on a fixed beat (or at once while a whole cycle's
/// worth waits: the runner's batch limit), digests when due, the spool retried every beat.
pub struct DeliveryConsumer<U: Uploader> {
    delivery: Delivery<U>,
    /// A plan found at resume: the first batch is exactly its range, delivered as planned.
    resumed_plan: Option<Plan>,
    /// When the next cycle is due: one interval after the last one started.
    next_beat: Instant,
    /// The next digest boundary (Unix milliseconds); remembered rather than recomputed from
    /// the clock, so a cycle running across a boundary delays its digests but never skips them.
    next_digest_ms: i64,
    applied: Option<wal::Lsn>,
    /// The last cycle was a full one: while full cycles wait, they follow at once (a backlog
    /// drains at full speed); what is left waits for the next beat.
    draining: bool,
    /// Files of the last cycle, until taken ([`DeliveryConsumer::take_cycle_files`]).
    cycle_files: Option<usize>,
}

impl<U: Uploader> DeliveryConsumer<U> {
    pub fn new(delivery: Delivery<U>) -> DeliveryConsumer<U> {
        let next_digest_ms = delivery.next_digest_boundary();
        DeliveryConsumer {
            next_beat: Instant::now() + delivery.config.interval,
            delivery,
            resumed_plan: None,
            next_digest_ms,
            applied: None,
            draining: false,
            cycle_files: None,
        }
    }

    pub fn delivery(&self) -> &Delivery<U> {
        &self.delivery
    }

    /// Makes the next cycle due now instead of at the next beat (tests, benchmarks).
    pub fn deliver_now(&mut self) {
        self.next_beat = Instant::now();
    }

    /// How many files the last cycle delivered (or spooled), if a cycle ran since the last
    /// call.
    pub fn take_cycle_files(&mut self) -> Option<usize> {
        self.cycle_files.take()
    }
}

impl<U: Uploader> pipeline::Consumer for DeliveryConsumer<U> {
    type Error = Error;

    fn name(&self) -> &'static str {
        CONSUMER_NAME
    }

    /// Integration events (PutAuditEvents) go to event data stores, never to trails.
    fn kinds(&self) -> pipeline::Kinds {
        pipeline::Kinds::TRAIL_EVENTS
    }

    /// A cycle covers at most `cycle_bytes_max` of WAL payload (at least one record).
    fn limits(&self) -> pipeline::Limits {
        let bytes = usize::try_from(self.delivery.config.cycle_bytes_max).unwrap_or(usize::MAX);
        pipeline::Limits { records: usize::MAX, bytes }
    }

    /// Often enough that a beat, a digest boundary or the spool's turn is late by little.
    fn poll(&self) -> Duration {
        (self.delivery.config.interval / 4)
            .clamp(Duration::from_millis(10), Duration::from_millis(250))
    }

    /// From the cursor; a plan left by a crash is re-run exactly (unless its cursor commit
    /// already happened, when only the plan file is left to remove).
    fn resume(&mut self, wal: &wal::Wal) -> Result<pipeline::Resume> {
        let mut resume = pipeline::resume_from_cursor(wal, CONSUMER_NAME, wal.first_lsn())
            .map_err(Error::wal("register the delivery consumer"))?;
        self.resumed_plan = None;
        if let Some(plan) = read_plan(&self.delivery.state_dir)? {
            if resume.from.0 >= plan.end {
                write_plan(&self.delivery.state_dir, None)?;
            } else {
                tracing::info!(
                    start = plan.start,
                    end = plan.end,
                    "re-running the delivery cycle a stop interrupted"
                );
                resume = pipeline::Resume {
                    from: wal::Lsn(plan.start),
                    until: Some(wal::Lsn(plan.end)),
                };
                self.resumed_plan = Some(plan);
            }
        }
        self.applied = Some(resume.from);
        Ok(resume)
    }

    /// On the beat; between beats only while full cycles follow one another.
    fn due(&mut self, pending: pipeline::Pending) -> bool {
        let due = Instant::now() >= self.next_beat || (self.draining && pending.full);
        if due {
            self.draining = pending.full;
        }
        due
    }

    async fn apply(&mut self, batch: &pipeline::Batch<'_>) -> Result<()> {
        self.next_beat = Instant::now() + self.delivery.config.interval;
        self.delivery.drain_spool().await?;
        let plan = match self.resumed_plan.take() {
            Some(plan) => plan,
            None => {
                let now_ms = self.delivery.ingestor.clock().now_unix_millis();
                let plan = Plan {
                    start: batch.start.0,
                    end: batch.end.0,
                    delivered_at_unix: now_ms.div_euclid(1000),
                };
                write_plan(&self.delivery.state_dir, Some(&plan))?;
                plan
            }
        };
        debug_assert_eq!(
            (plan.start, plan.end),
            (batch.start.0, batch.end.0),
            "the runner reads the planned range"
        );
        let n_files = if batch.last {
            // At shutdown the last cycle is bounded; cut short, its plan re-runs at the next start.
            let grace = self.delivery.config.shutdown_grace;
            match tokio::time::timeout(grace, self.delivery.deliver(&plan, batch.events)).await {
                Ok(result) => result?,
                Err(_) => {
                    tracing::warn!(
                        ?grace,
                        "final log delivery did not finish in time; the rest is delivered at the next start"
                    );
                    return Ok(());
                }
            }
        } else {
            self.delivery.deliver(&plan, batch.events).await?
        };
        self.cycle_files = Some(n_files);
        self.applied = Some(batch.end);
        Ok(())
    }

    /// The spool's turn on beats with no new events, and the digests that are due.
    async fn tick(&mut self, tick: pipeline::Tick) -> Result<()> {
        if tick.last {
            return Ok(());
        }
        if Instant::now() >= self.next_beat {
            self.next_beat = Instant::now() + self.delivery.config.interval;
            self.delivery.drain_spool().await?;
        }
        // A little after the boundary, so the clock has surely passed it.
        let now_ms = self.delivery.ingestor.clock().now_unix_millis();
        if now_ms >= self.next_digest_ms.saturating_add(20) {
            let written = self.delivery.write_due_digests().await;
            self.next_digest_ms = self.delivery.next_digest_boundary();
            if let Err(err) = written {
                tracing::error!(%err, "digest delivery failed; retrying next interval");
            }
        }
        Ok(())
    }

    /// The delivery cycle commits its cursor itself, before removing its plan.
    fn commit_point(&self) -> Option<wal::Lsn> {
        self.applied
    }

    fn reset(&mut self) {
        self.resumed_plan = None;
        self.applied = None;
        self.draining = false;
    }
}
