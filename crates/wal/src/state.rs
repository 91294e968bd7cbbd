//! Small state files (the head position and consumer cursors) and the one crash-safe way to
//! replace them.
//!
//! Format (24 bytes, little-endian): magic `b"OTws"`, version u32, kind u32, `Lsn` u64, CRC32C
//! of the first 20 bytes. Only version 1 exists; a version 2 adds a decoder and an explicit
//! `upgrade_v1_to_v2` next to [`decode_state`], and keeps reading version 1.
//!
//! This is `durable_file`'s framed format (payload: kind u32, `Lsn` u64), so the bytes are
//! the same as before that crate existed. A state file is never modified in place:
//! [`write_state_file`] replaces it through `durable_file`, so after a crash either the old or
//! the new content is there, whole.

use std::fmt;
use std::path::Path;

use durable_file::FrameError;

use crate::error::{Error, Result};
use crate::frame::le_array;
use crate::fs::FileSystem;
use crate::limits::{self, STATE_FILE_BYTES};
use crate::lsn::Lsn;

/// Magic of every state file.
const STATE_MAGIC: [u8; 4] = *b"OTws";
/// The state file version this code writes.
const STATE_VERSION: u32 = 1;

/// The head file: the oldest retained position.
pub(crate) const HEAD_FILE_NAME: &str = "head.state";
/// Prefix and suffix of cursor files: `cursor-<consumer>.state`.
const CURSOR_PREFIX: &str = "cursor-";
const STATE_SUFFIX: &str = ".state";
/// Suffix of temp files written while replacing a state file.
pub(crate) const TEMP_SUFFIX: &str = durable_file::TEMP_SUFFIX;

/// What a state file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StateKind {
    Head = 1,
    Cursor = 2,
}

/// Why a state file cannot be trusted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum StateDefect {
    WrongLength { len: usize },
    BadMagic,
    BadChecksum,
    UnsupportedVersion { version: u32 },
    WrongKind { found: u32 },
}

impl fmt::Display for StateDefect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StateDefect::WrongLength { len } => {
                write!(f, "state file has `{len}` bytes, expected `{STATE_FILE_BYTES}`")
            }
            StateDefect::BadMagic => write!(f, "state file has no state magic"),
            StateDefect::BadChecksum => write!(f, "state file checksum mismatch"),
            StateDefect::UnsupportedVersion { version } => write!(
                f,
                "state file version `{version}` is newer than this build understands (`{STATE_VERSION}`)"
            ),
            StateDefect::WrongKind { found } => write!(f, "state file has kind `{found}`"),
        }
    }
}

/// The framed format of state files: the payload is kind u32 and `Lsn` u64.
const STATE_FORMAT: durable_file::Format = durable_file::Format::new(STATE_MAGIC, STATE_VERSION);

pub(crate) fn encode_state(kind: StateKind, lsn: Lsn) -> [u8; STATE_FILE_BYTES] {
    let mut payload = [0u8; 12];
    payload[0..4].copy_from_slice(&(kind as u32).to_le_bytes());
    payload[4..12].copy_from_slice(&lsn.0.to_le_bytes());
    let bytes = STATE_FORMAT.encode(&payload);
    <[u8; STATE_FILE_BYTES]>::try_from(bytes.as_slice()).expect("a state file is 24 bytes")
}

/// Decodes a state file of any supported version into the current meaning.
pub(crate) fn decode_state(bytes: &[u8], kind: StateKind) -> Result<Lsn, StateDefect> {
    if bytes.len() != STATE_FILE_BYTES {
        return Err(StateDefect::WrongLength { len: bytes.len() });
    }
    let frame = STATE_FORMAT.decode(bytes).map_err(|defect| match defect {
        FrameError::TooShort { len } => StateDefect::WrongLength { len },
        FrameError::WrongMagic { .. } => StateDefect::BadMagic,
        FrameError::Damaged => StateDefect::BadChecksum,
        FrameError::UnknownVersion { version, .. } => StateDefect::UnsupportedVersion { version },
    })?;
    match frame.version {
        1 => decode_state_v1(frame.payload, kind),
        version => Err(StateDefect::UnsupportedVersion { version }),
    }
}

fn decode_state_v1(payload: &[u8], kind: StateKind) -> Result<Lsn, StateDefect> {
    let found = u32::from_le_bytes(le_array(&payload[0..4]));
    if found != kind as u32 {
        return Err(StateDefect::WrongKind { found });
    }
    Ok(Lsn(u64::from_le_bytes(le_array(&payload[4..12]))))
}

/// Reads a state file: `Ok(Err(defect))` if it exists but cannot be trusted.
pub(crate) fn read_state_file(
    fs: &dyn FileSystem,
    dir: &Path,
    name: &str,
    kind: StateKind,
) -> Result<Result<Lsn, StateDefect>> {
    let path = dir.join(name);
    let read_error = || Error::io("read wal state file", &path);
    let mut file = fs.open_read(&path).map_err(read_error())?;
    let file_len = file.file_len().map_err(read_error())?;
    if file_len != STATE_FILE_BYTES as u64 {
        return Ok(Err(StateDefect::WrongLength { len: file_len.min(usize::MAX as u64) as usize }));
    }
    let mut bytes = [0u8; STATE_FILE_BYTES];
    let mut n_filled = 0;
    while n_filled < bytes.len() {
        let n_read = file.read_at(n_filled as u64, &mut bytes[n_filled..]).map_err(read_error())?;
        if n_read == 0 {
            return Ok(Err(StateDefect::WrongLength { len: n_filled }));
        }
        n_filled += n_read;
    }
    Ok(decode_state(&bytes, kind))
}

/// Replaces a state file crash-safely ([`durable_file::replace_on`] over the WAL's file system:
/// temp file, fsync, rename, fsync the directory).
pub(crate) fn write_state_file(
    fs: &dyn FileSystem,
    dir: &Path,
    name: &str,
    kind: StateKind,
    lsn: Lsn,
) -> Result<()> {
    let bytes = encode_state(kind, lsn);
    // Pair the encoder with the decoder before anything reaches the disk.
    assert_eq!(decode_state(&bytes, kind), Ok(lsn));
    durable_file::replace_on(fs, &dir.join(name), &bytes).map_err(|err| {
        let op = match err.step {
            durable_file::Step::Write => "write wal state file",
            durable_file::Step::Rename => "rename wal state file",
            durable_file::Step::Remove => "remove wal state file",
            durable_file::Step::SyncDir => "fsync wal directory",
        };
        Error::Io { op, path: err.path, source: err.error }
    })
}

pub(crate) fn cursor_file_name(consumer: &str) -> String {
    format!("{CURSOR_PREFIX}{consumer}{STATE_SUFFIX}")
}

/// The consumer of a cursor file name, if the name is one and the consumer name is valid.
pub(crate) fn parse_cursor_file_name(name: &str) -> Option<&str> {
    let consumer = name.strip_prefix(CURSOR_PREFIX)?.strip_suffix(STATE_SUFFIX)?;
    check_consumer_name(consumer).ok().map(|()| consumer)
}

/// Consumer names: 1 to [`limits::CONSUMER_NAME_BYTES_MAX`] bytes of `[a-z0-9_-]`, so they are
/// safe in file names everywhere.
pub(crate) fn check_consumer_name(name: &str) -> Result<(), &'static str> {
    if name.is_empty() {
        return Err("it is empty");
    }
    if name.len() > limits::CONSUMER_NAME_BYTES_MAX {
        return Err("it is longer than 64 bytes");
    }
    let allowed = |byte: u8| {
        byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'-' || byte == b'_'
    };
    if !name.bytes().all(allowed) {
        return Err("only `a-z`, `0-9`, `-` and `_` are allowed");
    }
    Ok(())
}

#[cfg(test)]
mod tests;
