//! One delivery cycle: the log files a WAL range `[start, end)` produces at delivery time `T`.
//!
//! Exactly-once delivery rests on this being a pure function. The consumer durably records the
//! plan `(start, end, T)` before uploading anything, uploads every file, and only then moves
//! its WAL cursor to `end`. After a crash it finds the plan, computes the same files — same
//! keys, same bytes — and overwrites whatever was already uploaded. No event is skipped (the
//! cursor never passes an undelivered range) and none is delivered twice (one range, one set
//! of keys).
//!
//! Which events a trail takes also depends on when it was logging: an event ingested while the
//! trail was stopped is not delivered (StopLogging stops delivery from that moment), and one
//! ingested in any earlier logging window is, even if the trail was stopped and restarted before
//! the cycle ran.

use std::collections::BTreeMap;

use catalog::LoggingWindow;
use cloudtrail_model::Record;
use cloudtrail_model::s3_keys::AccountFolder;

use crate::file::LogFileBuilder;
use crate::keys::LogFileKey;
use crate::routing::{Organization, TrailRoute};

/// A stored event the cycle considers.
pub struct CycleEvent<'a> {
    /// WAL position of the event (only for ordering and diagnostics).
    pub lsn: u64,
    /// When OpenTrail acknowledged it (Unix milliseconds).
    pub ingested_at_ms: i64,
    /// The record JSON as stored.
    pub record: &'a [u8],
}

/// A logging trail and the window in which it logs.
pub struct CycleTrail {
    pub route: TrailRoute,
    /// The windows in which the trail logged (events acknowledged inside one are its), or
    /// `None` when it always did.
    pub logging: Option<Vec<LoggingWindow>>,
    /// Whether its log files go into digests.
    pub log_file_validation: bool,
}

impl CycleTrail {
    fn logs_at(&self, ingested_at_ms: i64) -> bool {
        self.logging.as_ref().is_none_or(|windows| {
            windows.iter().any(|window| {
                ingested_at_ms >= window.since_ms
                    && window.until_ms.is_none_or(|until| ingested_at_ms < until)
            })
        })
    }
}

/// One file to upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedFile {
    pub trail_arn: String,
    /// The account and region of the file's events (its digest chain with the trail).
    pub account_id: String,
    pub region: String,
    pub bucket: String,
    pub key: String,
    /// The uncompressed JSON.
    pub json: Vec<u8>,
    /// Lower-case hex SHA-256 of `json`: what a digest lists.
    pub sha256_hex: String,
    /// Oldest and newest `eventTime` of the file's records.
    pub oldest_event_time: Option<String>,
    pub newest_event_time: Option<String>,
    /// The gzip bytes to upload.
    pub gzip: Vec<u8>,
    pub n_records: usize,
    /// Whether the trail validates its log files (the file goes into a digest once stored).
    pub digested: bool,
}

/// Which file of the cycle a record goes to: (trail index, account, region).
type FileSlot = (usize, String, String);

/// The records of one file and the range of their `eventTime`s.
#[derive(Default)]
struct SlotRecords<'e> {
    records: Vec<&'e [u8]>,
    oldest: Option<String>,
    newest: Option<String>,
}

impl<'e> SlotRecords<'e> {
    fn note_time(&mut self, time: Option<&str>) {
        let Some(time) = time else { return };
        if self.oldest.as_deref().is_none_or(|oldest| time < oldest) {
            self.oldest = Some(time.to_owned());
        }
        if self.newest.as_deref().is_none_or(|newest| time > newest) {
            self.newest = Some(time.to_owned());
        }
    }

    fn join(&mut self, other: SlotRecords<'e>) {
        self.records.extend(other.records);
        self.note_time(other.oldest.as_deref());
        self.note_time(other.newest.as_deref());
    }
}

/// What one delivery cycle's files are a pure function of.
#[derive(Clone, Copy)]
pub struct Cycle<'a> {
    pub trails: &'a [CycleTrail],
    pub organization: Option<&'a Organization>,
    /// The cycle's events of the kinds trails take, in WAL order.
    pub events: &'a [CycleEvent<'a>],
    /// The cycle's WAL range `[wal_start, wal_end)`: part of every key's unique suffix.
    pub wal_start: u64,
    pub wal_end: u64,
    /// The delivery time of the plan (Unix seconds): the minute in every key.
    pub delivered_at_unix: i64,
}

/// The files of one cycle, ordered by trail, account and region (stable, for tests and logs).
///
/// Routing and compression run on up to [`threads`] threads: the events are split into
/// contiguous runs routed independently and joined in order, then the files are built and
/// compressed independently. The result is the same whatever the number of threads.
pub fn build_files(cycle: &Cycle<'_>) -> Vec<PlannedFile> {
    build_files_on(threads(), cycle)
}

/// [`build_files`] on `n_threads` threads.
pub(crate) fn build_files_on(n_threads: usize, cycle: &Cycle<'_>) -> Vec<PlannedFile> {
    let Cycle { trails, organization, events, .. } = *cycle;
    let n_threads = n_threads.max(1);
    // Routing: each run of events into its own slots, then the runs joined in event order.
    let run_len = events.len().div_ceil(n_threads).max(1);
    let routed: Vec<BTreeMap<FileSlot, SlotRecords<'_>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = events
            .chunks(run_len)
            .map(|run| scope.spawn(move || route_run(trails, organization, run)))
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
            .collect()
    });
    let mut slots: BTreeMap<FileSlot, SlotRecords<'_>> = BTreeMap::new();
    for run in routed {
        for (slot, records) in run {
            slots.entry(slot).or_default().join(records);
        }
    }
    // Building and compressing: the files split round-robin over the threads.
    let slots: Vec<(FileSlot, SlotRecords<'_>)> = slots.into_iter().collect();
    let mut files: Vec<Option<PlannedFile>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..n_threads.min(slots.len()))
            .map(|thread_idx| {
                let slots = &slots;
                scope.spawn(move || {
                    slots
                        .iter()
                        .enumerate()
                        .skip(thread_idx)
                        .step_by(n_threads)
                        .map(|(idx, (slot, records))| {
                            let file = planned_file(cycle, slot, records);
                            (idx, file)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut files: Vec<Option<PlannedFile>> = vec![None; slots.len()];
        for handle in handles {
            for (idx, file) in
                handle.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            {
                files[idx] = Some(file);
            }
        }
        files
    });
    files.drain(..).flatten().collect()
}

/// How many threads a cycle uses: the machine's cores, at most 8.
fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get).clamp(1, 8)
}

/// Routes a run of events to their files.
fn route_run<'e>(
    trails: &[CycleTrail],
    organization: Option<&Organization>,
    events: &[CycleEvent<'e>],
) -> BTreeMap<FileSlot, SlotRecords<'e>> {
    let mut slots: BTreeMap<FileSlot, SlotRecords<'e>> = BTreeMap::new();
    for event in events {
        // Stored records were validated at ingest; an unreadable one cannot belong to a trail.
        let Ok(record) = Record::parse(event.record) else { continue };
        for (idx, trail) in trails.iter().enumerate() {
            if !trail.logs_at(event.ingested_at_ms) || !trail.route.takes(&record, organization) {
                continue;
            }
            let account = record.recipient_account_id.as_deref().unwrap_or_default().to_owned();
            let region = record.aws_region.as_deref().unwrap_or_default().to_owned();
            let slot = slots.entry((idx, account, region)).or_default();
            slot.records.push(event.record);
            slot.note_time(record.event_time());
        }
    }
    slots
}

/// One file: its key, JSON and gzip.
fn planned_file(
    cycle: &Cycle<'_>,
    (idx, account, region): &FileSlot,
    records: &SlotRecords<'_>,
) -> PlannedFile {
    let Cycle { trails, organization, wal_start, wal_end, delivered_at_unix, .. } = *cycle;
    let route = &trails[*idx].route;
    let organization_id =
        if route.is_organization_trail { organization.map(|o| o.id.as_str()) } else { None };
    let key = LogFileKey {
        folder: AccountFolder {
            s3_key_prefix: route.s3_key_prefix.as_deref(),
            organization_id,
            account_id: account,
        },
        region,
        delivered_at_unix,
        trail_arn: &route.trail_arn,
        wal_start,
        wal_end,
    }
    .to_key();
    let mut builder = LogFileBuilder::new();
    for record in &records.records {
        builder.push(record);
    }
    let n_records = builder.len();
    let (json, gzip) = builder.finish();
    PlannedFile {
        trail_arn: route.trail_arn.clone(),
        account_id: account.clone(),
        region: region.clone(),
        bucket: route.s3_bucket_name.clone(),
        key,
        sha256_hex: integrity::digest::sha256_hex(&json),
        json,
        oldest_event_time: records.oldest.clone(),
        newest_event_time: records.newest.clone(),
        gzip,
        n_records,
        digested: trails[*idx].log_file_validation,
    }
}

#[cfg(test)]
mod tests;
