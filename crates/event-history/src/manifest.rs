//! The manifest: which segments are live and up to which WAL position their events reach.
//! Replaced whole through `durable_file::replace` (temp file, fsync, rename, fsync directory),
//! so it is always one version or the next. It stays text (its own header line and CRC32C
//! line) rather than `durable_file`'s binary frame: an operator can read it, and the format
//! that shipped needs no second reader.
//!
//! ```text
//! opentrail-event-history 1
//! sealed_through 123456
//! next_id 42
//! written_ms 1795074138123
//! segment 7
//! segment 41
//! crc 1a2b3c4d
//! ```

use std::path::Path;

use crate::Error;

const FILE_NAME: &str = "MANIFEST";
const HEADER: &str = "opentrail-event-history 1";

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Manifest {
    pub(crate) sealed_through: u64,
    pub(crate) next_id: u64,
    /// When it was last written (Unix ms): sealing with no new events waits for `seal_after`.
    pub(crate) written_ms: i64,
    pub(crate) segments: Vec<u64>,
}

impl Manifest {
    /// Reads the manifest of `dir`; a directory without one is a new, empty history.
    pub(crate) fn load(dir: &Path) -> Result<Manifest, Error> {
        let path = dir.join(FILE_NAME);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Manifest::default());
            }
            Err(source) => {
                return Err(Error::Io { op: "read the event-history manifest", path, source });
            }
        };
        let corrupt =
            |reason: &str| Error::Corrupt { path: path.clone(), reason: reason.to_owned() };
        let (body, crc_line) =
            text.trim_end_matches('\n').rsplit_once('\n').ok_or_else(|| corrupt("too short"))?;
        let crc = crc_line
            .strip_prefix("crc ")
            .and_then(|hex| u32::from_str_radix(hex, 16).ok())
            .ok_or_else(|| corrupt("the last line is not its checksum"))?;
        let body = format!("{body}\n");
        if crc32c::crc32c(body.as_bytes()) != crc {
            return Err(corrupt("the checksum does not match"));
        }
        let mut lines = body.lines();
        if lines.next() != Some(HEADER) {
            return Err(corrupt("unknown format"));
        }
        let mut manifest = Manifest::default();
        for line in lines {
            let (name, value) =
                line.split_once(' ').ok_or_else(|| corrupt("a line has no value"))?;
            let number = || value.parse::<u64>().map_err(|_| corrupt("a value is not a number"));
            match name {
                "sealed_through" => manifest.sealed_through = number()?,
                "next_id" => manifest.next_id = number()?,
                "written_ms" => {
                    manifest.written_ms =
                        value.parse().map_err(|_| corrupt("a value is not a number"))?;
                }
                "segment" => manifest.segments.push(number()?),
                _ => return Err(corrupt("unknown line")),
            }
        }
        if manifest.segments.iter().any(|id| *id >= manifest.next_id) {
            return Err(corrupt("a segment id is not below next_id"));
        }
        Ok(manifest)
    }

    /// Replaces the manifest of `dir` durably.
    pub(crate) fn store(&self, dir: &Path) -> Result<(), Error> {
        let mut body = format!(
            "{HEADER}\nsealed_through {}\nnext_id {}\nwritten_ms {}\n",
            self.sealed_through, self.next_id, self.written_ms
        );
        for id in &self.segments {
            body.push_str(&format!("segment {id}\n"));
        }
        let crc = crc32c::crc32c(body.as_bytes());
        body.push_str(&format!("crc {crc:08x}\n"));
        durable_file::replace(&dir.join(FILE_NAME), body.as_bytes()).map_err(|err| Error::Io {
            op: "replace the event-history manifest",
            path: err.path,
            source: err.error,
        })
    }
}

#[cfg(test)]
mod tests;
