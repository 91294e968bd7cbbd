//! Event history: the index behind LookupEvents. A WAL consumer ([`consumer`]) files every
//! management and Insights event of the retention window (90 days by default) by account,
//! region and the eight lookup attributes; [`History::lookup`] answers newest first, one page at
//! a time, in milliseconds at any depth.
//!
//! # Layout
//!
//! Events are grouped by **time partition** (`eventTime` divided by the partition width: a
//! day for the default window, so retention removes whole files). Each partition's events go
//! to a segment under construction ([`mem::Mem`]): its records are compressed into blocks on
//! disk at once and its postings stay in memory, so an event answers lookups as soon as the
//! consumer has read it (well under a second after its acknowledgement). A segment is sealed
//! — index written, fsynced, renamed, listed in the manifest — when it is full (65 536
//! events) or a minute old; only then does the consumer's WAL cursor move past its events,
//! so a crash loses nothing: the unsealed tail is read again from the WAL.
//!
//! ```text
//! <dir>/MANIFEST                  sealed-through WAL position, next id, live segment ids (CRC)
//! <dir>/<id>.seg                  an immutable segment (format in `segment`)
//! <dir>/<id>.building             a segment under construction (removed at start)
//! ```
//!
//! Small segments of one partition are merged (record blocks copied, index rebuilt); a
//! segment whose newest event left the window is deleted.
//!
//! # Lookups
//!
//! Each `(category, account, region, attribute, value)` is one posting list ([`term`]); a
//! lookup walks the segments newest first, takes at most a page and one more event from each
//! posting list below the page cursor, and stops as soon as no remaining segment can hold a
//! newer event than the page already has. Hits are checked against their records before they
//! are answered. Page tokens carry the last key answered, bound to the request ([`token`]).

pub mod attrs;
pub mod consumer;
mod manifest;
mod mem;
pub mod resources;
mod segment;
pub mod term;
pub mod token;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use cloudtrail_model::Record;

pub use crate::attrs::{Attribute, Category, Indexed, Summary};

/// The duration of each lookup (one LookupEvents page), on `/metrics`.
const LOOKUP_SECONDS: &str = "opentrail_lookup_seconds";

/// Describes event history's metrics to the installed recorder (their `# HELP` lines).
pub fn describe_metrics() {
    metrics::describe_histogram!(
        LOOKUP_SECONDS,
        metrics::Unit::Seconds,
        "Duration of each event-history lookup (one LookupEvents page)"
    );
}
use crate::manifest::Manifest;
use crate::mem::Mem;
pub use crate::segment::SEGMENT_EVENTS_MAX;
use crate::segment::Segment;
pub use crate::term::Key;

/// What can go wrong in event history.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{op} `{}`: {source}", path.display())]
    Io {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "event-history file `{}` is damaged: {reason}; move it out of the history directory to start without it (its events remain in the trails' log files)",
        path.display()
    )]
    Corrupt { path: PathBuf, reason: String },
    #[error("read the write-ahead log: {0}")]
    Wal(#[from] wal::Error),
}

impl Error {
    pub(crate) fn io<'a>(
        op: &'static str,
        path: &'a Path,
    ) -> impl FnOnce(std::io::Error) -> Error + 'a {
        move |source| Error::Io { op, path: path.to_owned(), source }
    }
}

/// Settings of event history.
#[derive(Clone, Debug)]
pub struct HistoryConfig {
    /// How long events stay (AWS: 90 days).
    pub retention: Duration,
    /// A segment under construction is sealed after this long at the latest.
    pub seal_after: Duration,
    /// A segment is sealed at this many events (at most [`SEGMENT_EVENTS_MAX`]).
    pub segment_events: usize,
    /// How often the consumer looks for new WAL records when it has caught up.
    pub poll: Duration,
}

impl HistoryConfig {
    pub fn recommended() -> HistoryConfig {
        HistoryConfig {
            retention: Duration::from_secs(90 * 86_400),
            seal_after: Duration::from_secs(60),
            segment_events: SEGMENT_EVENTS_MAX,
            poll: Duration::from_millis(50),
        }
    }

    /// The recommended settings for a retention window: segments seal within a partition width
    /// (at most a minute), so short test windows see files come and go.
    pub fn with_retention(retention: Duration) -> HistoryConfig {
        let mut config = HistoryConfig { retention, ..HistoryConfig::recommended() };
        let partition = Duration::from_millis(config.partition_ms() as u64);
        config.seal_after = config.seal_after.min(partition);
        config
    }

    /// How often retention and compaction run: once a partition, between 1 s and 30 s.
    pub fn housekeeping_every(&self) -> Duration {
        Duration::from_millis(self.partition_ms() as u64)
            .clamp(Duration::from_secs(1), Duration::from_secs(30))
    }

    /// The width of a time partition: a ninetieth of the window, between a second and a day,
    /// so that retention removes events within about a ninetieth of the window after they
    /// expire.
    pub fn partition_ms(&self) -> i64 {
        let window = i64::try_from(self.retention.as_millis()).unwrap_or(i64::MAX);
        (window / 90).clamp(1000, 86_400_000)
    }

    fn retention_ms(&self) -> i64 {
        i64::try_from(self.retention.as_millis()).unwrap_or(i64::MAX)
    }
}

/// One LookupEvents question, already validated.
#[derive(Clone, Debug)]
pub struct Query {
    /// The accounts whose events the caller may see (its own, or its organization's members').
    pub accounts: Vec<String>,
    pub region: String,
    pub category: Category,
    pub filter: Option<(Attribute, String)>,
    /// Inclusive bounds in Unix milliseconds.
    pub start_ms: Option<i64>,
    pub end_ms: Option<i64>,
    /// Page size (1..=50 on the API).
    pub max_results: usize,
    /// Answer only events older than this (the previous page's last key).
    pub after: Option<Key>,
}

/// One event of a page.
#[derive(Clone, Debug)]
pub struct Hit {
    pub key: Key,
    /// The stored record, byte for byte.
    pub record: Vec<u8>,
    pub summary: Summary,
}

/// One page of answers, newest first; `next` is the last key when more may follow.
#[derive(Clone, Debug)]
pub struct Page {
    pub hits: Vec<Hit>,
    pub next: Option<Key>,
}

/// Sizes, for `/metrics`, the benchmark and tests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub segments: usize,
    pub sealed_events: u64,
    pub building_events: u64,
    /// Index bytes of sealed segments (keys, terms, postings, fences, block table, footer).
    pub index_bytes: u64,
    /// Compressed record bytes of sealed segments.
    pub record_bytes: u64,
}

/// Events added per hold of the state lock.
const ADD_CHUNK: usize = 256;

/// The shared state: what lookups read.
struct State {
    /// Sealed segments, newest first.
    segments: Vec<Arc<Segment>>,
    /// Segments being written out: frozen, still answering lookups.
    frozen: Vec<Arc<Mem>>,
    /// Segments under construction, by partition.
    building: BTreeMap<i64, Mem>,
    building_events: usize,
    /// When the oldest unsealed event was added (Unix ms).
    building_since_ms: Option<i64>,
}

/// What only the consumer touches.
struct Writer {
    manifest: Manifest,
    /// The WAL position after the last record added (sealed or not).
    position: wal::Lsn,
}

/// The event-history index of one data directory.
pub struct History {
    dir: PathBuf,
    config: HistoryConfig,
    clock: Arc<dyn ingest::Clock>,
    state: RwLock<State>,
    writer: Mutex<Writer>,
}

impl History {
    /// Opens (or creates) the index in `dir`: reads the manifest, removes what a crash left
    /// behind, opens every listed segment.
    pub fn open(
        dir: &Path,
        config: HistoryConfig,
        clock: Arc<dyn ingest::Clock>,
    ) -> Result<History, Error> {
        assert!(
            (1..=SEGMENT_EVENTS_MAX).contains(&config.segment_events),
            "segment_events must be 1..=65536"
        );
        std::fs::create_dir_all(dir)
            .map_err(Error::io("create the event-history directory", dir))?;
        let manifest = Manifest::load(dir)?;
        for entry in
            std::fs::read_dir(dir).map_err(Error::io("list the event-history directory", dir))?
        {
            let entry = entry.map_err(Error::io("list the event-history directory", dir))?;
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let listed = name
                .strip_suffix(".seg")
                .and_then(|id| id.parse::<u64>().ok())
                .is_some_and(|id| manifest.segments.contains(&id));
            let leftover = name.ends_with(".building")
                || name.ends_with(".tmp")
                || (name.ends_with(".seg") && !listed);
            if leftover {
                let path = entry.path();
                std::fs::remove_file(&path)
                    .map_err(Error::io("remove a leftover event-history file", &path))?;
            }
        }
        let mut segments = Vec::with_capacity(manifest.segments.len());
        for id in &manifest.segments {
            segments.push(Arc::new(Segment::open(*id, &segment_path(dir, *id))?));
        }
        sort_newest_first(&mut segments);
        let position = wal::Lsn(manifest.sealed_through);
        Ok(History {
            dir: dir.to_owned(),
            config,
            clock,
            state: RwLock::new(State {
                segments,
                frozen: Vec::new(),
                building: BTreeMap::new(),
                building_events: 0,
                building_since_ms: None,
            }),
            writer: Mutex::new(Writer { manifest, position }),
        })
    }

    pub fn config(&self) -> &HistoryConfig {
        &self.config
    }

    /// The WAL position everything before which is sealed (where a restart resumes).
    pub fn sealed_through(&self) -> wal::Lsn {
        wal::Lsn(self.writer().manifest.sealed_through)
    }

    /// The WAL position after the last record read (sealed or not).
    pub fn position(&self) -> wal::Lsn {
        self.writer().position
    }

    /// The oldest event time still answered.
    pub fn cutoff_ms(&self) -> i64 {
        self.clock.now_unix_millis().saturating_sub(self.config.retention_ms())
    }

    pub fn stats(&self) -> Stats {
        let state = self.read();
        let mut stats = Stats {
            segments: state.segments.len(),
            building_events: state.building_events as u64
                + state.frozen.iter().map(|m| m.len() as u64).sum::<u64>(),
            ..Stats::default()
        };
        for segment in &state.segments {
            stats.sealed_events += segment.n_events() as u64;
            stats.index_bytes += segment.index_bytes();
            stats.record_bytes += segment.file_bytes - segment.index_bytes();
        }
        stats
    }

    /// Files the decoded WAL records of `[position, end)` (read by the caller, the consumer
    /// runner). Records are parsed outside the lock; lookups see them when this returns.
    /// Returns how many events were added.
    pub fn add(&self, events: &[pipeline::Event<'_>], end: wal::Lsn) -> Result<usize, Error> {
        let cutoff = self.cutoff_ms();
        let partition_ms = self.config.partition_ms();
        let mut prepared = Vec::with_capacity(events.len());
        for event in events {
            if let Some(event) = prepare(event)
                && event.key.time_ms >= cutoff
            {
                prepared.push(event);
            }
        }
        let mut writer = self.writer();
        let n_added = prepared.len();
        let mut prepared = prepared.into_iter().peekable();
        // The lock is taken per chunk so lookups never wait long behind a big batch.
        while prepared.peek().is_some() {
            let mut state = self.write();
            let now = self.clock.now_unix_millis();
            for event in prepared.by_ref().take(ADD_CHUNK) {
                let partition = event.key.time_ms.div_euclid(partition_ms);
                if let std::collections::btree_map::Entry::Vacant(entry) =
                    state.building.entry(partition)
                {
                    let id = writer.manifest.next_id;
                    writer.manifest.next_id += 1;
                    entry.insert(Mem::create(&self.dir, id)?);
                }
                let mem = state.building.get_mut(&partition).expect("inserted above");
                mem.add(event.key, &event.terms, event.record.to_vec())?;
                let full = mem.len() >= self.config.segment_events;
                state.building_events += 1;
                state.building_since_ms.get_or_insert(now);
                if full {
                    // Full: frozen (still answering lookups) until the next seal writes it.
                    let mut full = state.building.remove(&partition).expect("present");
                    full.flush_block()?;
                    state.building_events -= full.len();
                    state.frozen.push(Arc::new(full));
                }
            }
        }
        writer.position = writer.position.max(end);
        Ok(n_added)
    }

    /// Whether the segments under construction should be sealed now: one is full, or the
    /// oldest unsealed event (or WAL progress) is older than `seal_after`.
    pub fn seal_due(&self) -> bool {
        let now = self.clock.now_unix_millis();
        let seal_after = i64::try_from(self.config.seal_after.as_millis()).unwrap_or(i64::MAX);
        let state = self.read();
        let full = !state.frozen.is_empty() || state.building_events >= self.config.segment_events;
        let old = state.building_since_ms.is_some_and(|since| now - since >= seal_after);
        let empty = state.building_events == 0;
        drop(state);
        full || old
            || empty && {
                let writer = self.writer();
                writer.position.0 > writer.manifest.sealed_through
                    && now - writer.manifest.written_ms >= seal_after
            }
    }

    /// Seals every segment under construction: writes and fsyncs their indexes, lists them in
    /// the manifest with the WAL position they cover, and swaps them in for lookups. Returns
    /// the new sealed-through position (commit it as the WAL cursor). After an error, call
    /// [`History::reset_unsealed`] and read the WAL again from [`History::sealed_through`].
    pub fn seal(&self) -> Result<wal::Lsn, Error> {
        let mut writer = self.writer();
        let frozen: Vec<Arc<Mem>> = {
            let mut state = self.write();
            let building = std::mem::take(&mut state.building);
            state.building_events = 0;
            state.building_since_ms = None;
            for (_, mut mem) in building {
                mem.flush_block()?;
                state.frozen.push(Arc::new(mem));
            }
            state.frozen.clone()
        };
        let mut sealed = Vec::with_capacity(frozen.len());
        for mem in &frozen {
            let path = segment_path(&self.dir, mem.id);
            mem.finish()?;
            std::fs::rename(mem.path(), &path)
                .map_err(Error::io("rename an event-history segment", &path))?;
            sealed.push(Arc::new(Segment::open(mem.id, &path)?));
        }
        if !sealed.is_empty() {
            sync_dir(&self.dir)?;
        }
        let mut manifest = writer.manifest.clone();
        manifest.segments.extend(sealed.iter().map(|s| s.id));
        manifest.sealed_through = writer.position.0;
        manifest.written_ms = self.clock.now_unix_millis();
        manifest.store(&self.dir)?;
        writer.manifest = manifest;
        let mut state = self.write();
        state.frozen.retain(|m| !frozen.iter().any(|f| Arc::ptr_eq(f, m)));
        state.segments.extend(sealed);
        sort_newest_first(&mut state.segments);
        Ok(wal::Lsn(writer.manifest.sealed_through))
    }

    /// Forgets everything not sealed (after a failed add or seal): the files of segments under
    /// construction are removed and reading resumes at [`History::sealed_through`].
    pub fn reset_unsealed(&self) -> Result<(), Error> {
        let mut writer = self.writer();
        let mut state = self.write();
        let paths: Vec<PathBuf> = state
            .building
            .values()
            .map(|m| m.path().to_owned())
            .chain(state.frozen.iter().map(|m| m.path().to_owned()))
            .collect();
        state.building.clear();
        state.frozen.clear();
        state.building_events = 0;
        state.building_since_ms = None;
        drop(state);
        for path in paths {
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
                Err(source) => {
                    return Err(Error::Io { op: "remove an event-history segment", path, source });
                }
            }
        }
        // A segment renamed but not listed is removed by the next open; ids never repeat.
        writer.position = wal::Lsn(writer.manifest.sealed_through);
        Ok(())
    }

    /// Deletes the segments whose newest event left the window. Returns how many.
    pub fn enforce_retention(&self) -> Result<usize, Error> {
        let cutoff = self.cutoff_ms();
        let mut writer = self.writer();
        let expired: Vec<Arc<Segment>> = self
            .read()
            .segments
            .iter()
            .filter(|s| s.footer.newest.time_ms < cutoff)
            .cloned()
            .collect();
        if expired.is_empty() {
            return Ok(0);
        }
        self.replace(&mut writer, &expired, None)?;
        tracing::info!(
            n_segments = expired.len(),
            "event history: removed segments past the retention window"
        );
        Ok(expired.len())
    }

    /// Merges runs of small segments of one partition (four or more, or two or more once the
    /// partition is over) into one. Returns how many segments were merged away.
    pub fn compact(&self) -> Result<usize, Error> {
        let partition_ms = self.config.partition_ms();
        let now_partition = self.clock.now_unix_millis().div_euclid(partition_ms);
        let mut writer = self.writer();
        let mut by_partition: BTreeMap<i64, Vec<Arc<Segment>>> = BTreeMap::new();
        for segment in &self.read().segments {
            let partition = segment.footer.newest.time_ms.div_euclid(partition_ms);
            by_partition.entry(partition).or_default().push(Arc::clone(segment));
        }
        let mut n_merged = 0;
        for (partition, mut segments) in by_partition {
            segments.sort_by_key(|s| s.id);
            let mut run: Vec<Arc<Segment>> = Vec::new();
            let mut run_events = 0usize;
            let over = partition < now_partition;
            let flush =
                |run: &mut Vec<Arc<Segment>>, writer: &mut Writer| -> Result<usize, Error> {
                    let worth = run.len() >= 4 || (over && run.len() >= 2);
                    let n = if worth { self.merge_run(writer, run)? } else { 0 };
                    run.clear();
                    Ok(n)
                };
            for segment in segments {
                if run_events + segment.n_events() > self.config.segment_events {
                    n_merged += flush(&mut run, &mut writer)?;
                    run_events = 0;
                }
                run_events += segment.n_events();
                run.push(segment);
            }
            n_merged += flush(&mut run, &mut writer)?;
        }
        Ok(n_merged)
    }

    fn merge_run(&self, writer: &mut Writer, run: &[Arc<Segment>]) -> Result<usize, Error> {
        let id = writer.manifest.next_id;
        writer.manifest.next_id += 1;
        let inputs: Vec<&Segment> = run.iter().map(|s| s.as_ref()).collect();
        let building = mem::merge(&self.dir, id, &inputs)?;
        let path = segment_path(&self.dir, id);
        std::fs::rename(&building, &path)
            .map_err(Error::io("rename an event-history segment", &path))?;
        sync_dir(&self.dir)?;
        let merged = Arc::new(Segment::open(id, &path)?);
        self.replace(writer, run, Some(merged))?;
        Ok(run.len())
    }

    /// Lists `added` instead of `removed` in the manifest, swaps them for lookups, then
    /// deletes the removed files.
    fn replace(
        &self,
        writer: &mut Writer,
        removed: &[Arc<Segment>],
        added: Option<Arc<Segment>>,
    ) -> Result<(), Error> {
        let mut manifest = writer.manifest.clone();
        manifest.segments.retain(|id| !removed.iter().any(|s| s.id == *id));
        manifest.segments.extend(added.iter().map(|s| s.id));
        manifest.store(&self.dir)?;
        writer.manifest = manifest;
        {
            let mut state = self.write();
            state.segments.retain(|s| !removed.iter().any(|r| r.id == s.id));
            state.segments.extend(added);
            sort_newest_first(&mut state.segments);
        }
        for segment in removed {
            std::fs::remove_file(&segment.path)
                .map_err(Error::io("remove an event-history segment", &segment.path))?;
        }
        sync_dir(&self.dir)
    }

    /// Answers one page of a lookup.
    pub fn lookup(&self, query: &Query) -> Result<Page, Error> {
        let started = std::time::Instant::now();
        let page = self.lookup_page(query);
        metrics::histogram!(LOOKUP_SECONDS).record(started.elapsed().as_secs_f64());
        page
    }

    fn lookup_page(&self, query: &Query) -> Result<Page, Error> {
        if query.max_results == 0 {
            return Ok(Page { hits: Vec::new(), next: None });
        }
        let lower = query.start_ms.unwrap_or(i64::MIN).max(self.cutoff_ms());
        let mut upper = Key::MAX;
        if let Some(end) = query.end_ms {
            upper = upper.min(Key { time_ms: end.saturating_add(1), seq: 0 });
        }
        if let Some(after) = query.after {
            upper = upper.min(after);
        }
        let (attribute, value) = match &query.filter {
            Some((attribute, value)) => (Some(*attribute), value.as_str()),
            None => (None, ""),
        };
        let terms: Vec<u64> = query
            .accounts
            .iter()
            .map(|account| term::term(query.category, account, &query.region, attribute, value))
            .collect();
        let mut k = query.max_results + 1;
        loop {
            let (candidates, exhausted) = self.candidates(&terms, upper, lower, k)?;
            let mut hits = Vec::with_capacity(candidates.len());
            let mut blocks = BlockCache::default();
            for (key, source) in candidates {
                let record = match source {
                    Source::Ready(record) => record,
                    Source::Frozen(mem, arrival) => mem.record(arrival)?,
                    Source::Disk(segment, arrival) => blocks.record(&segment, arrival)?,
                };
                if let Some(summary) = verify(&record, query) {
                    hits.push(Hit { key, record, summary });
                }
            }
            if hits.len() > query.max_results || exhausted {
                let next = (hits.len() > query.max_results).then(|| {
                    hits.truncate(query.max_results);
                    hits[query.max_results - 1].key
                });
                return Ok(Page { hits, next });
            }
            // Some candidates were hash collisions: look further.
            k *= 2;
        }
    }

    /// The `k` newest events of any of `terms` in `[lower, upper)`, and whether there are no
    /// more than that.
    fn candidates(
        &self,
        terms: &[u64],
        upper: Key,
        lower: i64,
        k: usize,
    ) -> Result<(Vec<(Key, Source)>, bool), Error> {
        let mut found: Vec<(Key, Source)> = Vec::new();
        let (segments, frozen) = {
            let state = self.read();
            for mem in state.building.values() {
                for term in terms {
                    for (key, arrival) in mem.top(*term, upper, lower, k) {
                        found.push((key, Source::Ready(mem.record(arrival)?)));
                    }
                }
            }
            (state.segments.clone(), state.frozen.clone())
        };
        for mem in &frozen {
            for term in terms {
                for (key, arrival) in mem.top(*term, upper, lower, k) {
                    found.push((key, Source::Frozen(Arc::clone(mem), arrival)));
                }
            }
        }
        keep_newest(&mut found, k);
        for segment in &segments {
            if segment.footer.newest.time_ms < lower {
                break;
            }
            if found.len() >= k && segment.footer.newest < found[k - 1].0 {
                break;
            }
            for term in terms {
                for (key, arrival) in segment.top(*term, upper, lower, k)? {
                    found.push((key, Source::Disk(Arc::clone(segment), arrival)));
                }
            }
            keep_newest(&mut found, k);
        }
        let exhausted = found.len() < k;
        Ok((found, exhausted))
    }

    fn read(&self) -> RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn writer(&self) -> MutexGuard<'_, Writer> {
        self.writer.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Where a candidate's record is.
enum Source {
    Ready(Vec<u8>),
    Frozen(Arc<Mem>, u32),
    Disk(Arc<Segment>, u16),
}

/// Sorts newest first and keeps `k`.
fn keep_newest(found: &mut Vec<(Key, Source)>, k: usize) {
    found.sort_by_key(|(key, _)| std::cmp::Reverse(*key));
    found.dedup_by(|a, b| a.0 == b.0);
    found.truncate(k);
}

type BlockId = (u64, usize);

/// Decompressed blocks of one lookup, so neighbours cost one read.
#[derive(Default)]
struct BlockCache {
    /// ((segment id, block index), its records).
    blocks: Vec<(BlockId, Vec<Vec<u8>>)>,
}

impl BlockCache {
    fn record(&mut self, segment: &Segment, arrival: u16) -> Result<Vec<u8>, Error> {
        let (i, first) = segment.block_of(u32::from(arrival));
        let at = match self.blocks.iter().position(|(id, _)| *id == (segment.id, i)) {
            Some(at) => at,
            None => {
                self.blocks.push(((segment.id, i), segment.read_block(i)?));
                self.blocks.len() - 1
            }
        };
        let records = &self.blocks[at].1;
        records.get((u32::from(arrival) - first) as usize).cloned().ok_or_else(|| Error::Corrupt {
            path: segment.path.clone(),
            reason: format!("event {arrival} is not in its block"),
        })
    }
}

/// The summary of a hit's record when it really matches the query (terms are hashes).
fn verify(record: &[u8], query: &Query) -> Option<Summary> {
    let parsed = Record::parse(record).ok()?;
    let indexed = attrs::classify(&parsed, 0)?;
    let in_scope = indexed.category == query.category
        && indexed.region == query.region
        && query.accounts.contains(&indexed.account);
    let matches = match &query.filter {
        Some((attribute, value)) => indexed.summary.has(*attribute, value),
        None => true,
    };
    (in_scope && matches).then_some(indexed.summary)
}

/// A WAL record ready to be filed.
struct Prepared<'a> {
    key: Key,
    terms: Vec<u64>,
    record: &'a [u8],
}

/// Parses and classifies one WAL record; `None` when history does not keep it (CloudTrail
/// Lake channel events, data events, unparsable records).
fn prepare<'a>(event: &pipeline::Event<'a>) -> Option<Prepared<'a>> {
    let envelope = &event.envelope;
    if envelope.kind == ingest::Kind::AuditEvent {
        // PutAuditEvents events go to event data stores, never to event history (as AWS).
        return None;
    }
    let record = Record::parse(envelope.record).ok()?;
    let indexed = attrs::classify(&record, envelope.ingested_at_ms)?;
    let mut terms = Vec::with_capacity(12);
    let (category, account, region) = (indexed.category, &indexed.account, &indexed.region);
    terms.push(term::term(category, account, region, None, ""));
    for (attribute, value) in indexed.summary.lookup_values() {
        terms.push(term::term(category, account, region, Some(attribute), value));
    }
    Some(Prepared {
        key: Key { time_ms: indexed.time_ms, seq: event.lsn.0 },
        terms,
        record: envelope.record,
    })
}

fn sort_newest_first(segments: &mut [Arc<Segment>]) {
    segments.sort_by_key(|s| std::cmp::Reverse(s.footer.newest));
}

fn segment_path(dir: &Path, id: u64) -> PathBuf {
    dir.join(format!("{id:020}.seg"))
}

pub(crate) fn sync_dir(dir: &Path) -> Result<(), Error> {
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(Error::io("fsync the event-history directory", dir))
}
