//! The delivery spool: log files waiting for a bucket that refused them
//! ([`crate::consumer`] says when a file goes here and when the spool is retried).
//!
//! One file per log file in `spool/` of the consumer's state directory, named
//! `<WAL position of its cycle, 20 digits>-<FNV-1a 64 of "bucket/key", 16 hex digits>.spool`,
//! so that the files sort in delivery order and re-spooling the same log file replaces it. The
//! name is part of the format: a file spooled by an earlier build and spooled again by this
//! one must land on the same name.
//!
//! A spool file is `durable_file`'s frame, magic `OTsf`, version 1, replaced crash-safely.
//! Its payload is nine parts, each a u64 little-endian length and its bytes: trail ARN,
//! bucket, key, account, region, SHA-256 hex of the JSON, oldest and newest event time (empty
//! when none), and the gzip bytes. Files of the earlier formats are still read: `OTs2` (the
//! same nine parts after the magic, then an IEEE CRC-32 of everything before it) and `OTsp`
//! (trail, bucket, key and gzip only; account and region come from the key, the hash from the
//! bytes).

use std::collections::BTreeSet;
use std::hash::Hasher;
use std::path::{Path, PathBuf};

use crate::cycle::PlannedFile;
use crate::error::{Error, Result};

const FORMAT: durable_file::Format = durable_file::Format::new(*b"OTsf", 1);
/// The first format: trail, bucket, key, gzip; IEEE CRC-32.
const MAGIC_V1: &[u8; 4] = b"OTsp";
/// The second format: the nine parts of today; IEEE CRC-32.
const MAGIC_V2: &[u8; 4] = b"OTs2";

/// A spooled file (its uncompressed `json` is not kept).
pub(crate) struct SpoolEntry {
    pub(crate) file: PlannedFile,
}

/// The spool directory.
pub(crate) struct Spool {
    dir: PathBuf,
}

impl Spool {
    pub(crate) fn new(state_dir: &Path) -> Spool {
        Spool { dir: state_dir.join("spool") }
    }

    /// Spooled files, oldest first.
    pub(crate) fn entries(&self) -> Result<Vec<PathBuf>> {
        let list_error = || Error::io("list the delivery spool", self.dir.clone());
        let reader = match std::fs::read_dir(&self.dir) {
            Ok(reader) => reader,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(err) => return Err(list_error()(err)),
        };
        let mut paths = Vec::new();
        for entry in reader {
            let path = entry.map_err(list_error())?.path();
            if path.extension().is_some_and(|ext| ext == "spool") {
                paths.push(path);
            }
        }
        paths.sort();
        Ok(paths)
    }

    /// Trails with spooled files (by ARN): each waits behind its own spooled files only, so a
    /// trail whose files a bucket refuses (a prefix it cannot hold, a policy) never holds back
    /// another trail's files in the same bucket.
    pub(crate) fn trails(&self) -> Result<BTreeSet<String>> {
        let mut trails = BTreeSet::new();
        for path in self.entries()? {
            trails.insert(self.read(&path)?.file.trail_arn);
        }
        Ok(trails)
    }

    /// Spools `file` of the cycle starting at `cycle_start`, replacing an earlier copy.
    pub(crate) fn add(&self, cycle_start: u64, file: &PlannedFile) -> Result<()> {
        std::fs::create_dir_all(&self.dir)
            .map_err(Error::io("create the delivery spool", self.dir.clone()))?;
        let path = self.dir.join(spool_file_name(cycle_start, &file.bucket, &file.key));
        durable_file::replace(&path, &FORMAT.encode(&payload(file)))?;
        Ok(())
    }

    pub(crate) fn read(&self, path: &Path) -> Result<SpoolEntry> {
        let bytes =
            std::fs::read(path).map_err(Error::io("read the spooled log file", path.into()))?;
        decode(&bytes).map_err(|reason| Error::SpoolDamaged { path: path.to_owned(), reason })
    }

    pub(crate) fn remove(&self, path: &Path) -> Result<()> {
        durable_file::remove(path)?;
        Ok(())
    }
}

/// `<cycle start>-<FNV-1a 64 of bucket/key>.spool`: stable for a log file across builds.
fn spool_file_name(cycle_start: u64, bucket: &str, key: &str) -> String {
    let mut hasher = fnv::FnvHasher::default();
    hasher.write(bucket.as_bytes());
    hasher.write(b"/");
    hasher.write(key.as_bytes());
    format!("{cycle_start:020}-{:016x}.spool", hasher.finish())
}

/// The nine parts of a spooled file, as `OTsf` and `OTs2` hold them.
fn payload(file: &PlannedFile) -> Vec<u8> {
    let text = |time: &Option<String>| time.clone().unwrap_or_default();
    let (oldest, newest) = (text(&file.oldest_event_time), text(&file.newest_event_time));
    join_parts(&[
        file.trail_arn.as_bytes(),
        file.bucket.as_bytes(),
        file.key.as_bytes(),
        file.account_id.as_bytes(),
        file.region.as_bytes(),
        file.sha256_hex.as_bytes(),
        oldest.as_bytes(),
        newest.as_bytes(),
        &file.gzip,
    ])
}

/// Length-prefixed parts (u64 little-endian length, then the bytes); [`split_parts`] reads them.
fn join_parts(parts: &[&[u8]]) -> Vec<u8> {
    let mut joined = Vec::with_capacity(parts.iter().map(|part| 8 + part.len()).sum());
    for part in parts {
        joined.extend_from_slice(&(part.len() as u64).to_le_bytes());
        joined.extend_from_slice(part);
    }
    joined
}

/// A spool file of any format, or what is wrong with its bytes.
fn decode(bytes: &[u8]) -> Result<SpoolEntry, String> {
    let (parts, n_parts) = match bytes.get(..4) {
        Some(magic) if magic == MAGIC_V1 => (legacy_body(bytes)?, 4),
        Some(magic) if magic == MAGIC_V2 => (legacy_body(bytes)?, 9),
        _ => (FORMAT.decode(bytes).map_err(|defect| defect.to_string())?.payload, 9),
    };
    let mut parts = split_parts(parts, n_parts)?;
    let gzip = parts.pop().ok_or("it has no gzip part")?;
    let mut texts = parts
        .into_iter()
        .map(|part| String::from_utf8(part).map_err(|_| "a text part is not UTF-8".to_owned()));
    let mut next = || texts.next().unwrap_or_else(|| Err("a part is missing".to_owned()));
    let (trail_arn, bucket, key) = (next()?, next()?, next()?);
    let (account_id, region, sha256_hex, oldest_event_time, newest_event_time) = if n_parts == 9 {
        let (account_id, region, sha256_hex) = (next()?, next()?, next()?);
        let time = |text: String| (!text.is_empty()).then_some(text);
        (account_id, region, sha256_hex, time(next()?), time(next()?))
    } else {
        // The first format: account and region from the key, the hash from the bytes.
        let mut json = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gzip[..]), &mut json)
            .map_err(|_| "its gzip part does not decompress".to_owned())?;
        let (account_id, region) =
            account_and_region(&key).ok_or("its key names no account and region")?;
        (account_id, region, integrity::digest::sha256_hex(&json), None, None)
    };
    let file = PlannedFile {
        trail_arn,
        account_id,
        region,
        bucket,
        key,
        json: Vec::new(),
        sha256_hex,
        oldest_event_time,
        newest_event_time,
        gzip,
        n_records: 0,
        digested: true,
    };
    Ok(SpoolEntry { file })
}

/// The parts of an `OTsp` or `OTs2` file (between the magic and the IEEE CRC-32), checked.
fn legacy_body(bytes: &[u8]) -> Result<&[u8], String> {
    if bytes.len() < 8 {
        return Err(format!("it has `{}` bytes, fewer than `8`", bytes.len()));
    }
    let (body, crc) = bytes.split_at(bytes.len() - 4);
    if crc32fast::hash(body).to_le_bytes() != crc {
        return Err("its checksum does not match its bytes".to_owned());
    }
    Ok(&body[4..])
}

/// `n_parts` parts written by [`join_parts`].
fn split_parts(mut rest: &[u8], n_parts: usize) -> Result<Vec<Vec<u8>>, String> {
    let mut parts = Vec::with_capacity(n_parts);
    for _ in 0..n_parts {
        let truncated = || format!("part `{}` runs past the end", parts.len());
        let len_bytes: [u8; 8] =
            rest.get(..8).and_then(|len| len.try_into().ok()).ok_or_else(truncated)?;
        let len = usize::try_from(u64::from_le_bytes(len_bytes)).map_err(|_| truncated())?;
        let part = rest.get(8..8usize.saturating_add(len)).ok_or_else(truncated)?;
        parts.push(part.to_vec());
        rest = &rest[8 + len..];
    }
    Ok(parts)
}

/// The account and region of a log-file key (`…/<acct>/CloudTrail/<region>/…`).
fn account_and_region(key: &str) -> Option<(String, String)> {
    let parts: Vec<&str> = key.split('/').collect();
    let at = parts.iter().position(|part| *part == "CloudTrail")?;
    Some(((*parts.get(at.checked_sub(1)?)?).to_owned(), (*parts.get(at + 1)?).to_owned()))
}

#[cfg(test)]
mod tests;
