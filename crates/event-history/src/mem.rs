//! The segment being built: events appended in WAL order, records packed into compressed
//! blocks on disk as they fill, postings in memory so fresh events answer lookups at once.
//! Once frozen (no more appends) it is written out as a [`crate::segment`] file.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::hash::{BuildHasherDefault, Hasher};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use crate::Error;
use crate::segment::{self, BLOCK_BYTES, BLOCK_EVENTS, BlockRef, Footer};
use crate::term::Key;

/// Terms are already well-mixed hashes: use them as they are.
#[derive(Default)]
pub(crate) struct TermHasher(u64);

impl Hasher for TermHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 << 8) ^ u64::from(*b) ^ (self.0 >> 56);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

pub(crate) type TermMap<V> = HashMap<u64, V, BuildHasherDefault<TermHasher>>;

/// A segment under construction.
pub(crate) struct Mem {
    pub(crate) id: u64,
    path: PathBuf,
    file: File,
    /// Each event's key, by arrival.
    keys: Vec<Key>,
    postings: TermMap<Vec<u32>>,
    blocks: Vec<BlockRef>,
    /// Bytes of record blocks written so far.
    written: u64,
    /// Records of the block not yet written.
    pending: Vec<Vec<u8>>,
    pending_bytes: usize,
    newest: Key,
    oldest: Key,
}

impl Mem {
    pub(crate) fn create(dir: &Path, id: u64) -> Result<Mem, Error> {
        let (path, file) = create_building(dir, id)?;
        Ok(Mem {
            id,
            path,
            file,
            keys: Vec::new(),
            postings: TermMap::default(),
            blocks: Vec::new(),
            written: 0,
            pending: Vec::new(),
            pending_bytes: 0,
            newest: Key { time_ms: i64::MIN, seq: 0 },
            oldest: Key::MAX,
        })
    }

    pub(crate) fn len(&self) -> usize {
        self.keys.len()
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one event with its terms.
    pub(crate) fn add(&mut self, key: Key, terms: &[u64], record: Vec<u8>) -> Result<(), Error> {
        assert!(self.keys.len() < segment::SEGMENT_EVENTS_MAX, "the caller seals full segments");
        let arrival = self.keys.len() as u32;
        self.keys.push(key);
        self.newest = self.newest.max(key);
        self.oldest = self.oldest.min(key);
        for term in terms {
            let list = self.postings.entry(*term).or_default();
            if list.last() != Some(&arrival) {
                list.push(arrival);
            }
        }
        if self.pending.is_empty() {
            self.blocks.push(BlockRef { offset: self.written, first_arrival: arrival });
        }
        self.pending_bytes += record.len();
        self.pending.push(record);
        if self.pending.len() >= BLOCK_EVENTS || self.pending_bytes >= BLOCK_BYTES {
            self.flush_block()?;
        }
        Ok(())
    }

    /// Writes the open block (not fsynced: [`Mem::finish`] syncs the whole file).
    pub(crate) fn flush_block(&mut self) -> Result<(), Error> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let packed = segment::pack_block(&self.pending)?;
        self.file
            .write_all_at(&packed, self.written)
            .map_err(Error::io("write an event-history segment", &self.path))?;
        self.written += packed.len() as u64;
        self.pending.clear();
        self.pending_bytes = 0;
        Ok(())
    }

    /// Up to `k` events of `term` older than `upper` and not older than `lower_ms`, newest
    /// first, with their arrivals.
    pub(crate) fn top(&self, term: u64, upper: Key, lower_ms: i64, k: usize) -> Vec<(Key, u32)> {
        if self.keys.is_empty() || self.oldest >= upper || self.newest.time_ms < lower_ms {
            return Vec::new();
        }
        let Some(arrivals) = self.postings.get(&term) else { return Vec::new() };
        let mut found: Vec<(Key, u32)> = arrivals
            .iter()
            .map(|a| (self.keys[*a as usize], *a))
            .filter(|(key, _)| *key < upper && key.time_ms >= lower_ms)
            .collect();
        if found.len() > k {
            found.select_nth_unstable_by(k, |a, b| b.0.cmp(&a.0));
            found.truncate(k);
        }
        found.sort_unstable_by_key(|(key, _)| std::cmp::Reverse(*key));
        found
    }

    /// The record that arrived `arrival`-th.
    pub(crate) fn record(&self, arrival: u32) -> Result<Vec<u8>, Error> {
        let i = self.blocks.partition_point(|b| b.first_arrival <= arrival).saturating_sub(1);
        let block = self.blocks.get(i).ok_or_else(|| Error::Corrupt {
            path: self.path.clone(),
            reason: format!("no block holds event {arrival}"),
        })?;
        let within = (arrival - block.first_arrival) as usize;
        if i + 1 == self.blocks.len() && !self.pending.is_empty() {
            return self.pending.get(within).cloned().ok_or_else(|| Error::Corrupt {
                path: self.path.clone(),
                reason: format!("event {arrival} is not in the open block"),
            });
        }
        let end = self.blocks.get(i + 1).map_or(self.written, |b| b.offset);
        let mut records = segment::read_block(&self.file, &self.path, block.offset, end)?;
        if within >= records.len() {
            return Err(Error::Corrupt {
                path: self.path.clone(),
                reason: format!("event {arrival} is not in its block"),
            });
        }
        Ok(records.swap_remove(within))
    }

    /// Writes the index after the blocks and fsyncs. The open block must be flushed.
    pub(crate) fn finish(&self) -> Result<Footer, Error> {
        assert!(self.pending.is_empty(), "flush before finishing");
        let postings = self.postings.iter().map(|(term, list)| (*term, list.clone())).collect();
        segment::write_index(
            &self.file,
            &self.path,
            self.written,
            &self.keys,
            postings,
            &self.blocks,
        )
    }
}

/// Writes a new segment file from the events of `inputs` (compaction): record blocks are
/// copied as they are, arrivals renumbered in input order. Returns the path written (fsynced).
pub(crate) fn merge(dir: &Path, id: u64, inputs: &[&segment::Segment]) -> Result<PathBuf, Error> {
    let (path, file) = create_building(dir, id)?;
    let mut keys: Vec<Key> = Vec::new();
    let mut postings: TermMap<Vec<u32>> = TermMap::default();
    let mut blocks: Vec<BlockRef> = Vec::new();
    let mut written = 0u64;
    for input in inputs {
        let base = keys.len() as u32;
        let (input_keys, input_postings) = input.load()?;
        let (raw, input_blocks) = input.raw_blocks()?;
        file.write_all_at(&raw, written)
            .map_err(Error::io("write an event-history segment", &path))?;
        blocks.extend(input_blocks.iter().map(|b| BlockRef {
            offset: b.offset + written,
            first_arrival: b.first_arrival + base,
        }));
        written += raw.len() as u64;
        keys.extend_from_slice(&input_keys);
        for (term, arrivals) in input_postings {
            postings.entry(term).or_default().extend(arrivals.iter().map(|a| a + base));
        }
    }
    let postings = postings.into_iter().collect();
    segment::write_index(&file, &path, written, &keys, postings, &blocks)?;
    Ok(path)
}

/// A new, empty `<id>.building` file (renamed to `<id>.seg` once complete).
fn create_building(dir: &Path, id: u64) -> Result<(PathBuf, File), Error> {
    let path = dir.join(format!("{id:020}.building"));
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(&path)
        .map_err(Error::io("create an event-history segment", &path))?;
    Ok((path, file))
}
