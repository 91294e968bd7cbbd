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
//! it is written and committed after; a crash in between re-writes the same object. When a
//! chain continues, closes or starts again is the pure rule of [`crate::chain`].

use std::collections::BTreeMap;

use catalog::{ChainHead, DigestStream, DigestTarget};
use catalog::{DigestStore as _, TrailStore as _};

use crate::chain::{Decision, TrailState, boundary, decide};
use crate::consumer::Delivery;
use crate::error::{Error, Result};
use crate::upload::Uploader;

impl<U: Uploader> Delivery<U> {
    /// Writes every digest that is due. Returns how many were written; a chain whose digest
    /// cannot be stored is retried at the next call, the others go on.
    pub async fn write_due_digests(&self) -> Result<usize> {
        let interval = self.config.digest_interval;
        let interval_ms = i64::try_from(interval.as_millis())
            .map_err(|_| Error::DigestIntervalTooLong { interval })?
            .max(1000);
        let now_ms = self.ingestor.clock().now_unix_millis();
        let boundary_ms = boundary(now_ms, interval_ms);
        let trails = self.catalog.trails().map_err(Error::catalog("read trails"))?;
        let mut states: BTreeMap<String, (catalog::Trail, TrailState)> = BTreeMap::new();
        for trail in trails {
            let windows = self.catalog.logging_windows(&trail.trail_arn).map_err(|source| {
                Error::LoggingWindows { trail_arn: trail.trail_arn.clone(), source }
            })?;
            let state = TrailState { validation: trail.log_file_validation_enabled, windows };
            if state.active() {
                // A validating trail's home region always has a chain, even with no files.
                self.catalog
                    .ensure_digest_stream(&catalog::DigestStreamId {
                        trail_arn: trail.trail_arn.clone(),
                        account_id: trail.account_id.clone(),
                        region: trail.home_region.clone(),
                    })
                    .map_err(Error::catalog("create a digest chain"))?;
            }
            states.insert(trail.trail_arn.clone(), (trail, state));
        }
        let streams =
            self.catalog.digest_streams().map_err(Error::catalog("read digest chains"))?;
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
                        .map_err(Error::catalog("forget a digest chain"))?;
                }
                Decision::Write { start_ms, end_ms, keep_open } => {
                    let trail = entry.map(|(trail, _)| trail);
                    match self
                        .write_digest(&stream, trail, start_ms, end_ms, keep_open, now_ms)
                        .await
                    {
                        Ok(()) => n_written += 1,
                        Err(err) => {
                            tracing::warn!(trail = %stream.id.trail_arn, account = %stream.id.account_id, region = %stream.id.region, %err, "digest not written; retrying next interval");
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
    ) -> Result<()> {
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
            None => stream
                .target
                .clone()
                .ok_or_else(|| Error::NoDigestTarget { trail_arn: id.trail_arn.clone() })?,
        };
        self.catalog.plan_digest(id, end_ms, &target).map_err(Error::catalog("plan the digest"))?;
        let files = self
            .catalog
            .undigested_files(id, end_ms)
            .map_err(Error::catalog("read the files of a digest"))?;
        let key = integrity::digest::DigestKey {
            folder: cloudtrail_model::s3_keys::AccountFolder {
                s3_key_prefix: target.key_prefix.as_deref(),
                organization_id: target.organization_id.as_deref(),
                account_id: &id.account_id,
            },
            region: &id.region,
            trail_name: &target.trail_name,
            home_region: &target.home_region,
            end_unix: end_ms.div_euclid(1000),
        }
        .to_key();
        let signing_row = self
            .catalog
            .current_signing_key(&id.region, now_ms)
            .map_err(Error::catalog("get the digest-signing key"))?;
        let signing =
            integrity::SigningKey::from_private_pkcs8_der(&signing_row.private_pkcs8_der).map_err(
                |source| Error::SigningKey { fingerprint: signing_row.fingerprint.clone(), source },
            )?;
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
        let error_code = result.as_ref().err().map(|e| e.code.as_str());
        if let Err(err) = self.catalog.record_digest_delivery(&id.trail_arn, attempt_ms, error_code)
        {
            tracing::error!(trail = %id.trail_arn, %err, "cannot record a digest delivery attempt in the catalog; GetTrailStatus shows an older one");
        }
        result.map_err(|e| Error::DigestUpload {
            bucket: target.bucket.clone(),
            key: key.clone(),
            message: e.message,
        })?;
        let head = keep_open.then(|| ChainHead {
            bucket: target.bucket.clone(),
            key: key.clone(),
            sha256_hex: signed.sha256_hex,
            signature_hex: signed.signature_hex,
            end_ms,
        });
        self.catalog
            .commit_digest(id, end_ms, head.as_ref())
            .map_err(Error::catalog("commit the digest"))?;
        tracing::info!(bucket = %target.bucket, key, n_files = log_files.len(), chained = previous.is_some(), final_digest = !keep_open, "digest delivered");
        Ok(())
    }
}
