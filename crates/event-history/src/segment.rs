//! The segment file: up to 65 536 events of one time partition, immutable once written.
//!
//! ```text
//! [record blocks]  each: raw_len u32, packed_len u32, zstd(count u32, count × len u32, records)
//!                  records in arrival order, at most BLOCK_EVENTS or about BLOCK_BYTES each
//! [keys]           n_events × 18: time_ms i64, seq u64, arrival u16 — sorted newest first;
//!                  an event's position here is its rank
//! [terms]          n_terms × 16: term u64, first posting u32, count u32 — sorted by term
//! [postings]       n_postings × u16: ranks, ascending within a term (newest first)
//! [fences]         every FENCE_EVERY-th term u64 (held in memory to find a term in one read)
//! [blocks]         n_blocks × 12: file offset u64, first arrival u32
//! [footer]         FOOTER_BYTES (see `Footer`), CRC32C-protected
//! ```
//!
//! All integers are little-endian. The index part (keys to blocks) is what "index bytes per
//! event" counts; the record blocks are the stored events. Reads are positional (`pread`), so
//! memory holds only the fences and the block table of each segment.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use crate::Error;
use crate::term::Key;

/// Events per segment: ranks and arrivals are `u16`.
pub const SEGMENT_EVENTS_MAX: usize = 1 << 16;
/// A record block closes at this many events...
pub(crate) const BLOCK_EVENTS: usize = 32;
/// ...or once its records reach this many bytes.
pub(crate) const BLOCK_BYTES: usize = 48 * 1024;
/// A block never decompresses to more than this (a corrupt length is refused, not allocated).
const BLOCK_RAW_BYTES_MAX: usize = 64 * 1024 * 1024;
/// One fence per this many terms.
pub(crate) const FENCE_EVERY: usize = 128;
const KEY_BYTES: usize = 18;
const TERM_BYTES: usize = 16;
const BLOCK_REF_BYTES: usize = 12;
const FOOTER_BYTES: usize = 128;
const MAGIC: &[u8; 4] = b"OThs";
const VERSION: u32 = 1;
/// zstd level of record blocks: fast, and about 6× on CloudTrail JSON.
const ZSTD_LEVEL: i32 = 3;

/// Where a record block starts and the arrival index of its first record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct BlockRef {
    pub(crate) offset: u64,
    pub(crate) first_arrival: u32,
}

/// Packs records into a compressed block (the caller writes it).
pub(crate) fn pack_block(records: &[Vec<u8>]) -> Result<Vec<u8>, Error> {
    let mut raw =
        Vec::with_capacity(4 + 4 * records.len() + records.iter().map(Vec::len).sum::<usize>());
    raw.extend_from_slice(&(records.len() as u32).to_le_bytes());
    for record in records {
        raw.extend_from_slice(&(record.len() as u32).to_le_bytes());
    }
    for record in records {
        raw.extend_from_slice(record);
    }
    let packed = zstd::bulk::compress(&raw, ZSTD_LEVEL).map_err(|source| Error::Io {
        op: "compress a record block",
        path: PathBuf::new(),
        source,
    })?;
    let mut out = Vec::with_capacity(8 + packed.len());
    out.extend_from_slice(&(raw.len() as u32).to_le_bytes());
    out.extend_from_slice(&(packed.len() as u32).to_le_bytes());
    out.extend_from_slice(&packed);
    Ok(out)
}

/// Reads the block at `offset` (ending at or before `end`) and returns its records.
pub(crate) fn read_block(
    file: &File,
    path: &Path,
    offset: u64,
    end: u64,
) -> Result<Vec<Vec<u8>>, Error> {
    let corrupt = |reason: String| Error::Corrupt { path: path.to_owned(), reason };
    let mut head = [0u8; 8];
    read_at(file, path, &mut head, offset)?;
    let raw_len = u32_at(&head, 0) as usize;
    let packed_len = u32_at(&head, 4) as usize;
    if raw_len > BLOCK_RAW_BYTES_MAX || offset + 8 + packed_len as u64 > end {
        return Err(corrupt(format!("the record block at byte {offset} has impossible lengths")));
    }
    let mut packed = vec![0u8; packed_len];
    read_at(file, path, &mut packed, offset + 8)?;
    let raw = zstd::bulk::decompress(&packed, raw_len).map_err(|e| {
        corrupt(format!("the record block at byte {offset} does not decompress: {e}"))
    })?;
    let bad = || corrupt(format!("the record block at byte {offset} is malformed"));
    let count = raw.get(0..4).map(|b| u32_at(b, 0) as usize).ok_or_else(bad)?;
    let mut pos = 4 + 4 * count;
    if pos > raw.len() {
        return Err(bad());
    }
    let mut records = Vec::with_capacity(count);
    for i in 0..count {
        let len = u32_at(&raw, 4 + 4 * i) as usize;
        let record = raw.get(pos..pos + len).ok_or_else(bad)?;
        records.push(record.to_vec());
        pos += len;
    }
    Ok(records)
}

/// The fixed trailer of a segment file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Footer {
    pub(crate) n_events: u32,
    pub(crate) n_terms: u32,
    pub(crate) n_postings: u32,
    pub(crate) n_fences: u32,
    pub(crate) n_blocks: u32,
    pub(crate) keys_offset: u64,
    pub(crate) terms_offset: u64,
    pub(crate) postings_offset: u64,
    pub(crate) fences_offset: u64,
    pub(crate) blocks_offset: u64,
    pub(crate) newest: Key,
    pub(crate) oldest: Key,
    pub(crate) index_crc: u32,
}

impl Footer {
    fn encode(&self) -> [u8; FOOTER_BYTES] {
        let mut out = [0u8; FOOTER_BYTES];
        let mut pos = 0;
        let mut put = |bytes: &[u8]| {
            out[pos..pos + bytes.len()].copy_from_slice(bytes);
            pos += bytes.len();
        };
        put(MAGIC);
        put(&VERSION.to_le_bytes());
        for n in [self.n_events, self.n_terms, self.n_postings, self.n_fences, self.n_blocks] {
            put(&n.to_le_bytes());
        }
        for n in [
            self.keys_offset,
            self.terms_offset,
            self.postings_offset,
            self.fences_offset,
            self.blocks_offset,
        ] {
            put(&n.to_le_bytes());
        }
        put(&self.newest.time_ms.to_le_bytes());
        put(&self.newest.seq.to_le_bytes());
        put(&self.oldest.time_ms.to_le_bytes());
        put(&self.oldest.seq.to_le_bytes());
        put(&self.index_crc.to_le_bytes());
        let crc = crc32c::crc32c(&out[..FOOTER_BYTES - 4]);
        out[FOOTER_BYTES - 4..].copy_from_slice(&crc.to_le_bytes());
        out
    }

    fn decode(bytes: &[u8; FOOTER_BYTES], path: &Path) -> Result<Footer, Error> {
        let corrupt =
            |reason: &str| Error::Corrupt { path: path.to_owned(), reason: reason.to_owned() };
        if &bytes[0..4] != MAGIC {
            return Err(corrupt("not an event-history segment (bad magic)"));
        }
        if u32_at(bytes, FOOTER_BYTES - 4) != crc32c::crc32c(&bytes[..FOOTER_BYTES - 4]) {
            return Err(corrupt("the segment footer's checksum does not match"));
        }
        if u32_at(bytes, 4) != VERSION {
            return Err(corrupt("unknown segment version"));
        }
        let u64_at =
            |pos: usize| u64::from_le_bytes(bytes[pos..pos + 8].try_into().unwrap_or_default());
        Ok(Footer {
            n_events: u32_at(bytes, 8),
            n_terms: u32_at(bytes, 12),
            n_postings: u32_at(bytes, 16),
            n_fences: u32_at(bytes, 20),
            n_blocks: u32_at(bytes, 24),
            keys_offset: u64_at(28),
            terms_offset: u64_at(36),
            postings_offset: u64_at(44),
            fences_offset: u64_at(52),
            blocks_offset: u64_at(60),
            newest: Key { time_ms: u64_at(68) as i64, seq: u64_at(76) },
            oldest: Key { time_ms: u64_at(84) as i64, seq: u64_at(92) },
            index_crc: u32_at(bytes, 100),
        })
    }
}

/// Writes the index part and the footer after the record blocks already in `file` (which end
/// at `blocks_end`), then fsyncs the file. `keys[arrival]` is each event's key; `postings` maps
/// terms to arrival indexes. Returns the footer.
pub(crate) fn write_index(
    file: &File,
    path: &Path,
    blocks_end: u64,
    keys: &[Key],
    postings: Vec<(u64, Vec<u32>)>,
    blocks: &[BlockRef],
) -> Result<Footer, Error> {
    assert!(
        !keys.is_empty() && keys.len() <= SEGMENT_EVENTS_MAX,
        "a segment holds 1..=65536 events"
    );
    let mut order: Vec<u32> = (0..keys.len() as u32).collect();
    order.sort_unstable_by(|a, b| keys[*b as usize].cmp(&keys[*a as usize]));
    let mut rank_of = vec![0u16; keys.len()];
    for (rank, arrival) in order.iter().enumerate() {
        rank_of[*arrival as usize] = rank as u16;
    }
    let mut index = Vec::with_capacity(keys.len() * 40);
    for arrival in &order {
        let key = keys[*arrival as usize];
        index.extend_from_slice(&key.time_ms.to_le_bytes());
        index.extend_from_slice(&key.seq.to_le_bytes());
        index.extend_from_slice(&(*arrival as u16).to_le_bytes());
    }
    let terms_at = index.len();
    let mut postings = postings;
    postings.sort_unstable_by_key(|(term, _)| *term);
    let mut n_postings = 0u32;
    let mut ranks_of: Vec<Vec<u16>> = Vec::with_capacity(postings.len());
    for (term, arrivals) in &postings {
        let mut ranks: Vec<u16> = arrivals.iter().map(|a| rank_of[*a as usize]).collect();
        ranks.sort_unstable();
        ranks.dedup();
        index.extend_from_slice(&term.to_le_bytes());
        index.extend_from_slice(&n_postings.to_le_bytes());
        index.extend_from_slice(&(ranks.len() as u32).to_le_bytes());
        n_postings += ranks.len() as u32;
        ranks_of.push(ranks);
    }
    let postings_at = index.len();
    for ranks in &ranks_of {
        for rank in ranks {
            index.extend_from_slice(&rank.to_le_bytes());
        }
    }
    let fences_at = index.len();
    let fences: Vec<u64> = postings.iter().step_by(FENCE_EVERY).map(|(term, _)| *term).collect();
    for fence in &fences {
        index.extend_from_slice(&fence.to_le_bytes());
    }
    let blocks_at = index.len();
    for block in blocks {
        index.extend_from_slice(&block.offset.to_le_bytes());
        index.extend_from_slice(&block.first_arrival.to_le_bytes());
    }
    let footer = Footer {
        n_events: keys.len() as u32,
        n_terms: postings.len() as u32,
        n_postings,
        n_fences: fences.len() as u32,
        n_blocks: blocks.len() as u32,
        keys_offset: blocks_end,
        terms_offset: blocks_end + terms_at as u64,
        postings_offset: blocks_end + postings_at as u64,
        fences_offset: blocks_end + fences_at as u64,
        blocks_offset: blocks_end + blocks_at as u64,
        newest: keys[order[0] as usize],
        oldest: keys[order[order.len() - 1] as usize],
        index_crc: crc32c::crc32c(&index),
    };
    index.extend_from_slice(&footer.encode());
    file.write_all_at(&index, blocks_end)
        .map_err(Error::io("write an event-history segment", path))?;
    file.sync_all().map_err(Error::io("fsync an event-history segment", path))?;
    Ok(footer)
}

/// A segment's whole index: keys by arrival, and each term's arrivals.
pub(crate) type Loaded = (Vec<Key>, Vec<(u64, Vec<u32>)>);

/// An open segment.
#[derive(Debug)]
pub(crate) struct Segment {
    pub(crate) id: u64,
    pub(crate) path: PathBuf,
    file: File,
    pub(crate) footer: Footer,
    fences: Vec<u64>,
    blocks: Vec<BlockRef>,
    /// Size of the whole file.
    pub(crate) file_bytes: u64,
}

impl Segment {
    pub(crate) fn open(id: u64, path: &Path) -> Result<Segment, Error> {
        let file = File::open(path).map_err(Error::io("open an event-history segment", path))?;
        let file_bytes =
            file.metadata().map_err(Error::io("read an event-history segment", path))?.len();
        if file_bytes < FOOTER_BYTES as u64 {
            return Err(Error::Corrupt {
                path: path.to_owned(),
                reason: "shorter than a footer".into(),
            });
        }
        let mut raw = [0u8; FOOTER_BYTES];
        read_at(&file, path, &mut raw, file_bytes - FOOTER_BYTES as u64)?;
        let footer = Footer::decode(&raw, path)?;
        let corrupt =
            |reason: &str| Error::Corrupt { path: path.to_owned(), reason: reason.to_owned() };
        let n_events = footer.n_events as u64;
        let sections_fit = footer.n_events >= 1
            && n_events <= SEGMENT_EVENTS_MAX as u64
            && footer.terms_offset == footer.keys_offset + n_events * KEY_BYTES as u64
            && footer.postings_offset
                == footer.terms_offset + u64::from(footer.n_terms) * TERM_BYTES as u64
            && footer.fences_offset == footer.postings_offset + u64::from(footer.n_postings) * 2
            && footer.blocks_offset == footer.fences_offset + u64::from(footer.n_fences) * 8
            && footer.blocks_offset + u64::from(footer.n_blocks) * BLOCK_REF_BYTES as u64
                == file_bytes - FOOTER_BYTES as u64
            && footer.n_fences as usize == (footer.n_terms as usize).div_ceil(FENCE_EVERY);
        if !sections_fit {
            return Err(corrupt("the footer's section sizes do not fit the file"));
        }
        let mut fence_bytes = vec![0u8; footer.n_fences as usize * 8];
        read_at(&file, path, &mut fence_bytes, footer.fences_offset)?;
        let fences = fence_bytes.chunks_exact(8).map(|c| u64_at(c, 0)).collect();
        let mut block_bytes = vec![0u8; footer.n_blocks as usize * BLOCK_REF_BYTES];
        read_at(&file, path, &mut block_bytes, footer.blocks_offset)?;
        let blocks: Vec<BlockRef> = block_bytes
            .chunks_exact(BLOCK_REF_BYTES)
            .map(|c| BlockRef { offset: u64_at(c, 0), first_arrival: u32_at(c, 8) })
            .collect();
        let blocks_ok = blocks.first().is_some_and(|b| b.first_arrival == 0)
            && blocks
                .windows(2)
                .all(|w| w[0].offset < w[1].offset && w[0].first_arrival < w[1].first_arrival)
            && blocks.last().is_some_and(|b| {
                b.offset < footer.keys_offset && u64::from(b.first_arrival) < n_events
            });
        if !blocks_ok {
            return Err(corrupt("the block table is not in order"));
        }
        Ok(Segment { id, path: path.to_owned(), file, footer, fences, blocks, file_bytes })
    }

    /// Bytes of the index part (everything but the record blocks).
    pub(crate) fn index_bytes(&self) -> u64 {
        self.file_bytes - self.footer.keys_offset
    }

    pub(crate) fn n_events(&self) -> usize {
        self.footer.n_events as usize
    }

    /// The key and arrival of the event at `rank`.
    pub(crate) fn key_at(&self, rank: usize) -> Result<(Key, u16), Error> {
        let mut raw = [0u8; KEY_BYTES];
        read_at(
            &self.file,
            &self.path,
            &mut raw,
            self.footer.keys_offset + (rank * KEY_BYTES) as u64,
        )?;
        let key = Key { time_ms: u64_at(&raw, 0) as i64, seq: u64_at(&raw, 8) };
        Ok((key, u16::from_le_bytes([raw[16], raw[17]])))
    }

    /// The first rank whose key is older than `upper` (exclusive bound), by binary search.
    fn first_rank_below(&self, upper: Key) -> Result<usize, Error> {
        let (mut lo, mut hi) = (0usize, self.n_events());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.key_at(mid)?.0 >= upper {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        Ok(lo)
    }

    /// The ranks of `term`, ascending (newest first); empty when the segment lacks it.
    pub(crate) fn postings(&self, term: u64) -> Result<Vec<u16>, Error> {
        let Some(fence) = self.fences.partition_point(|f| *f <= term).checked_sub(1) else {
            return Ok(Vec::new());
        };
        let first = fence * FENCE_EVERY;
        let n = FENCE_EVERY.min(self.footer.n_terms as usize - first);
        let mut raw = vec![0u8; n * TERM_BYTES];
        read_at(
            &self.file,
            &self.path,
            &mut raw,
            self.footer.terms_offset + (first * TERM_BYTES) as u64,
        )?;
        let entries = raw.chunks_exact(TERM_BYTES);
        let Some(entry) = entries.into_iter().find(|e| u64_at(e, 0) == term) else {
            return Ok(Vec::new());
        };
        let (start, count) = (u32_at(entry, 8) as u64, u32_at(entry, 12) as usize);
        if start + count as u64 > u64::from(self.footer.n_postings) {
            return Err(Error::Corrupt {
                path: self.path.clone(),
                reason: "a posting list runs past its section".into(),
            });
        }
        let mut raw = vec![0u8; count * 2];
        read_at(&self.file, &self.path, &mut raw, self.footer.postings_offset + start * 2)?;
        let ranks: Vec<u16> =
            raw.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
        if ranks.iter().any(|r| usize::from(*r) >= self.n_events()) {
            return Err(Error::Corrupt {
                path: self.path.clone(),
                reason: "a posting names no event".into(),
            });
        }
        Ok(ranks)
    }

    /// Up to `k` events of `term` older than `upper` and not older than `lower_ms`, newest
    /// first, with their arrival indexes.
    pub(crate) fn top(
        &self,
        term: u64,
        upper: Key,
        lower_ms: i64,
        k: usize,
    ) -> Result<Vec<(Key, u16)>, Error> {
        if self.footer.oldest >= upper || self.footer.newest.time_ms < lower_ms {
            return Ok(Vec::new());
        }
        let ranks = self.postings(term)?;
        if ranks.is_empty() {
            return Ok(Vec::new());
        }
        let start_rank = if self.footer.newest < upper { 0 } else { self.first_rank_below(upper)? };
        let from = ranks.partition_point(|r| usize::from(*r) < start_rank);
        let mut out = Vec::with_capacity(k.min(ranks.len() - from));
        for rank in &ranks[from..] {
            if out.len() >= k {
                break;
            }
            let (key, arrival) = self.key_at(usize::from(*rank))?;
            if key.time_ms < lower_ms {
                break;
            }
            out.push((key, arrival));
        }
        Ok(out)
    }

    /// Everything, for compaction: keys by arrival, and each term's arrivals.
    pub(crate) fn load(&self) -> Result<Loaded, Error> {
        let corrupt =
            |reason: &str| Error::Corrupt { path: self.path.clone(), reason: reason.to_owned() };
        let index_end = self.file_bytes - FOOTER_BYTES as u64;
        let mut index = vec![0u8; (index_end - self.footer.keys_offset) as usize];
        read_at(&self.file, &self.path, &mut index, self.footer.keys_offset)?;
        if crc32c::crc32c(&index) != self.footer.index_crc {
            return Err(corrupt("the index checksum does not match"));
        }
        let n = self.n_events();
        let mut keys = vec![Key { time_ms: 0, seq: 0 }; n];
        let mut rank_to_arrival = vec![0u32; n];
        let mut seen = vec![false; n];
        for (rank, raw) in index[..n * KEY_BYTES].chunks_exact(KEY_BYTES).enumerate() {
            let arrival = usize::from(u16::from_le_bytes([raw[16], raw[17]]));
            if arrival >= n || seen[arrival] {
                return Err(corrupt("the key table names an arrival twice or out of range"));
            }
            seen[arrival] = true;
            keys[arrival] = Key { time_ms: u64_at(raw, 0) as i64, seq: u64_at(raw, 8) };
            rank_to_arrival[rank] = arrival as u32;
        }
        let terms_at = n * KEY_BYTES;
        let postings_at = terms_at + self.footer.n_terms as usize * TERM_BYTES;
        let mut postings = Vec::with_capacity(self.footer.n_terms as usize);
        for entry in index[terms_at..postings_at].chunks_exact(TERM_BYTES) {
            let (start, count) = (u32_at(entry, 8) as usize, u32_at(entry, 12) as usize);
            let raw = index
                .get(postings_at + start * 2..postings_at + (start + count) * 2)
                .ok_or_else(|| corrupt("a posting list runs past its section"))?;
            let mut arrivals = Vec::with_capacity(count);
            for c in raw.chunks_exact(2) {
                let rank = usize::from(u16::from_le_bytes([c[0], c[1]]));
                arrivals.push(
                    *rank_to_arrival
                        .get(rank)
                        .ok_or_else(|| corrupt("a posting names no event"))?,
                );
            }
            postings.push((u64_at(entry, 0), arrivals));
        }
        Ok((keys, postings))
    }

    /// The block holding `arrival`: its index and first arrival.
    pub(crate) fn block_of(&self, arrival: u32) -> (usize, u32) {
        let i = self.blocks.partition_point(|b| b.first_arrival <= arrival).saturating_sub(1);
        (i, self.blocks[i].first_arrival)
    }

    pub(crate) fn read_block(&self, i: usize) -> Result<Vec<Vec<u8>>, Error> {
        let end = self.blocks.get(i + 1).map_or(self.footer.keys_offset, |b| b.offset);
        read_block(&self.file, &self.path, self.blocks[i].offset, end)
    }

    /// The raw bytes of every record block and the block table (compaction copies them).
    pub(crate) fn raw_blocks(&self) -> Result<(Vec<u8>, &[BlockRef]), Error> {
        let mut raw = vec![0u8; self.footer.keys_offset as usize];
        read_at(&self.file, &self.path, &mut raw, 0)?;
        Ok((raw, &self.blocks))
    }
}

pub(crate) fn read_at(file: &File, path: &Path, buf: &mut [u8], offset: u64) -> Result<(), Error> {
    file.read_exact_at(buf, offset).map_err(|source| {
        if source.kind() == io::ErrorKind::UnexpectedEof {
            Error::Corrupt {
                path: path.to_owned(),
                reason: format!("ends before byte {}", offset + buf.len() as u64),
            }
        } else {
            Error::Io { op: "read an event-history segment", path: path.to_owned(), source }
        }
    })
}

fn u32_at(bytes: &[u8], pos: usize) -> u32 {
    u32::from_le_bytes(bytes[pos..pos + 4].try_into().unwrap_or_default())
}

fn u64_at(bytes: &[u8], pos: usize) -> u64 {
    u64::from_le_bytes(bytes[pos..pos + 8].try_into().unwrap_or_default())
}
