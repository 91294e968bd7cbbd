//! Digest delivery (`../shared/spec/integrity.md` §6): at the end of every digest interval, for
//! every chain (trail × account × delivering region) whose trail validates log files, a signed
//! digest listing every log file stored in the interval — an empty list when there was none —
//! chained to the chain's previous digest.
//!
//! A chain closes with a final digest when its trail was not logging (or not validating, or was
//! deleted) at some moment of the interval; the next digest after that starts a new chain (all
//! `previousDigest*` members `null`), which validate-logs reports as a gap rather than hiding
//! it. After downtime, one digest covers the whole time since the previous one: it lists what
//! was stored then, and claims nothing about intervals that never ran separately.
//!
//! Digests go out in the same task as log files, after a file's upload is registered, so a
//! digest never misses a file stored in its window. Each digest is planned in the catalog before
//! it is written and committed after; a crash in between re-writes the same object.

use std::collections::BTreeMap;

use catalog::{ChainHead, DigestStream, DigestTarget, LoggingWindow};
use catalog::{DigestStore as _, TrailStore as _};

use crate::consumer::{Delivery, Uploader};

/// What a trail's configuration says about its chains.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct TrailState {
    pub(crate) validation: bool,
    pub(crate) windows: Vec<LoggingWindow>,
}

impl TrailState {
    /// Validating and logging right now.
    fn active(&self) -> bool {
        self.validation && self.windows.last().is_some_and(|w| w.until_ms.is_none())
    }
}

/// What to do with one chain at a boundary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Nothing is due.
    Wait,
    /// The chain is closed, empty and its trail is gone: forget it.
    Forget,
    /// Write the digest `[start_ms, end_ms)`; it follows the head when the chain is open;
    /// afterwards the chain stays open (`keep_open`) or closes.
    Write { start_ms: i64, end_ms: i64, keep_open: bool },
}

/// The pure rule. `boundary_ms` is the latest digest boundary that has passed;
/// `first_pending(end)` is the store time of the earliest undigested file stored before `end`.
pub(crate) fn decide(
    stream: &DigestStream,
    trail: Option<&TrailState>,
    boundary_ms: i64,
    first_pending: impl Fn(i64) -> Option<i64>,
) -> Decision {
    let planned = stream.planned_end_ms;
    let end_ms = planned.unwrap_or(boundary_ms);
    match &stream.head {
        Some(head) => {
            if planned.is_none() && end_ms <= head.end_ms {
                return Decision::Wait;
            }
            // The chain goes on only if the trail validated and logged the whole time.
            let continuous = trail.is_some_and(|t| {
                t.validation
                    && t.windows.iter().any(|w| {
                        w.since_ms <= head.end_ms && w.until_ms.is_none_or(|until| until >= end_ms)
                    })
            });
            Decision::Write { start_ms: head.end_ms, end_ms, keep_open: continuous }
        }
        None => {
            let active = trail.is_some_and(TrailState::active);
            let first = first_pending(end_ms);
            let start_ms = if active {
                let since =
                    trail.and_then(|t| t.windows.last()).map_or(end_ms, |window| window.since_ms);
                since.max(stream.closed_at_ms.unwrap_or(i64::MIN))
            } else if let Some(first) = first {
                stream.closed_at_ms.unwrap_or(first).min(first)
            } else if trail.is_none() && planned.is_none() {
                return Decision::Forget;
            } else if planned.is_none() {
                return Decision::Wait;
            } else {
                stream.closed_at_ms.unwrap_or(end_ms)
            };
            // A chain whose trail began logging after the boundary starts at the next one.
            if planned.is_none() && start_ms.div_euclid(1000) >= end_ms.div_euclid(1000) {
                return Decision::Wait;
            }
            Decision::Write { start_ms: start_ms.min(end_ms), end_ms, keep_open: active }
        }
    }
}

/// The latest boundary at or before `now_ms` for an interval of `interval_ms`.
pub(crate) fn boundary(now_ms: i64, interval_ms: i64) -> i64 {
    now_ms.div_euclid(interval_ms) * interval_ms
}

impl<U: Uploader> Delivery<U> {
    /// Writes every digest that is due. Returns how many were written; a chain whose digest
    /// cannot be stored is retried at the next call, the others go on.
    pub async fn write_due_digests(&self) -> Result<usize, String> {
        let interval_ms = i64::try_from(self.config.digest_interval.as_millis())
            .map_err(|_| "the digest interval is too long".to_owned())?
            .max(1000);
        let now_ms = self.ingestor.clock().now_unix_millis();
        let boundary_ms = boundary(now_ms, interval_ms);
        let err = |what: &str, e: catalog::Error| format!("{what}: {e}");
        let trails = self.catalog.trails().map_err(|e| err("read trails", e))?;
        let mut states: BTreeMap<String, (catalog::Trail, TrailState)> = BTreeMap::new();
        for trail in trails {
            let windows = self
                .catalog
                .logging_windows(&trail.trail_arn)
                .map_err(|e| err("read logging windows", e))?;
            let state = TrailState { validation: trail.log_file_validation_enabled, windows };
            if state.active() {
                // A validating trail's home region always has a chain, even with no files.
                self.catalog
                    .ensure_digest_stream(&catalog::DigestStreamId {
                        trail_arn: trail.trail_arn.clone(),
                        account_id: trail.account_id.clone(),
                        region: trail.home_region.clone(),
                    })
                    .map_err(|e| err("create a digest chain", e))?;
            }
            states.insert(trail.trail_arn.clone(), (trail, state));
        }
        let streams = self.catalog.digest_streams().map_err(|e| err("read digest chains", e))?;
        let mut n_written = 0;
        for stream in streams {
            let entry = states.get(&stream.id.trail_arn);
            let first_pending = |end_ms: i64| {
                self.catalog
                    .undigested_files(&stream.id, end_ms)
                    .ok()
                    .and_then(|files| files.first().map(|f| f.stored_at_ms))
            };
            match decide(&stream, entry.map(|(_, state)| state), boundary_ms, first_pending) {
                Decision::Wait => {}
                Decision::Forget => {
                    self.catalog
                        .drop_digest_stream(&stream.id)
                        .map_err(|e| err("forget a digest chain", e))?;
                }
                Decision::Write { start_ms, end_ms, keep_open } => {
                    let trail = entry.map(|(trail, _)| trail);
                    match self
                        .write_digest(&stream, trail, start_ms, end_ms, keep_open, now_ms)
                        .await
                    {
                        Ok(()) => n_written += 1,
                        Err(message) => {
                            tracing::warn!(trail = %stream.id.trail_arn, account = %stream.id.account_id, region = %stream.id.region, error = %message, "digest not written; retrying next interval");
                        }
                    }
                }
            }
        }
        Ok(n_written)
    }

    async fn write_digest(
        &self,
        stream: &DigestStream,
        trail: Option<&catalog::Trail>,
        start_ms: i64,
        end_ms: i64,
        keep_open: bool,
        now_ms: i64,
    ) -> Result<(), String> {
        let id = &stream.id;
        let target = match trail {
            Some(trail) => DigestTarget {
                trail_name: trail.name.clone(),
                home_region: trail.home_region.clone(),
                bucket: trail.s3_bucket_name.clone(),
                key_prefix: trail.s3_key_prefix.clone().filter(|p| !p.is_empty()),
                organization_id: trail
                    .is_organization_trail
                    .then(|| self.organization.as_ref().map(|o| o.id.clone()))
                    .flatten(),
            },
            None => stream.target.clone().ok_or_else(|| {
                "the trail is gone and never had a digest; nowhere to write".to_owned()
            })?,
        };
        let err = |what: &str, e: catalog::Error| format!("{what}: {e}");
        self.catalog.plan_digest(id, end_ms, &target).map_err(|e| err("plan the digest", e))?;
        let files =
            self.catalog.undigested_files(id, end_ms).map_err(|e| err("read digest files", e))?;
        let key = integrity::digest::DigestKey {
            s3_key_prefix: target.key_prefix.as_deref(),
            organization_id: target.organization_id.as_deref(),
            account_id: &id.account_id,
            region: &id.region,
            trail_name: &target.trail_name,
            home_region: &target.home_region,
            end_unix: end_ms.div_euclid(1000),
        }
        .to_key();
        let signing_row = self
            .catalog
            .current_signing_key(&id.region, now_ms)
            .map_err(|e| err("get the signing key", e))?;
        let signing = integrity::SigningKey::from_private_pkcs8_der(&signing_row.private_pkcs8_der)
            .map_err(|e| format!("read the signing key {}: {e}", signing_row.fingerprint))?;
        let previous = stream.head.as_ref().map(|head| integrity::digest::PreviousDigest {
            bucket: head.bucket.clone(),
            key: head.key.clone(),
            sha256_hex: head.sha256_hex.clone(),
            signature_hex: head.signature_hex.clone(),
        });
        let log_files: Vec<integrity::digest::DigestLogFile> = files
            .into_iter()
            .map(|f| integrity::digest::DigestLogFile {
                s3_bucket: f.bucket,
                s3_object: f.key,
                hash_value: f.sha256_hex,
                oldest_event_time: f.oldest_event_time,
                newest_event_time: f.newest_event_time,
            })
            .collect();
        let signed = integrity::digest::sign(
            &integrity::digest::DigestDocument {
                account_id: &id.account_id,
                start_unix: start_ms.div_euclid(1000),
                end_unix: end_ms.div_euclid(1000),
                bucket: &target.bucket,
                key: &key,
                fingerprint: &signing_row.fingerprint,
                previous: previous.as_ref(),
                log_files: &log_files,
            },
            &signing,
        );
        let result =
            self.uploader.put(&target.bucket, &key, signed.gzip, Some(&signed.signature_hex)).await;
        let attempt_ms = self.ingestor.clock().now_unix_millis();
        let _ = self.catalog.record_digest_delivery(
            &id.trail_arn,
            attempt_ms,
            result.as_ref().err().map(|e| e.code.as_str()),
        );
        result.map_err(|e| e.message)?;
        let head = keep_open.then(|| ChainHead {
            bucket: target.bucket.clone(),
            key: key.clone(),
            sha256_hex: signed.sha256_hex,
            signature_hex: signed.signature_hex,
            end_ms,
        });
        self.catalog
            .commit_digest(id, end_ms, head.as_ref())
            .map_err(|e| err("commit the digest", e))?;
        tracing::info!(bucket = %target.bucket, key, n_files = log_files.len(), chained = previous.is_some(), final_digest = !keep_open, "digest delivered");
        Ok(())
    }
}

#[cfg(test)]
mod tests;
