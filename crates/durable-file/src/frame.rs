//! The framed format of small state files.
//!
//! ```text
//! magic    4 bytes, chosen by the file's owner (`OTws`: a WAL state file, ...)
//! version  u32 LE, 1 for the first format of that magic
//! payload  the owner's bytes
//! crc      u32 LE, CRC32C (Castagnoli) of magic, version and payload
//! ```
//!
//! A new version of a payload keeps its magic and bumps the version; its owner decodes every
//! version it ever wrote. The checksum is verified before the version is read, so a flipped
//! bit in the version reads as damage, not as a future version.

/// Bytes of a frame around an empty payload.
pub const FRAME_BYTES_MIN: usize = 12;

/// One kind of framed file: its magic and the newest version its owner writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Format {
    magic: [u8; 4],
    version: u32,
}

/// A decoded frame: the version it was written with and its payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Frame<'a> {
    /// From 1 to the [`Format`]'s newest version.
    pub version: u32,
    /// The owner's bytes.
    pub payload: &'a [u8],
}

/// Why framed bytes cannot be trusted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// Shorter than an empty frame: a truncated file.
    #[error("it has `{len}` bytes, fewer than a frame's `{FRAME_BYTES_MIN}`")]
    TooShort {
        /// The length found.
        len: usize,
    },
    /// Another kind of file, or damage in the magic.
    #[error("it starts with `{}` instead of `{}`", found.escape_ascii(), expected.escape_ascii())]
    WrongMagic {
        /// The first four bytes.
        found: [u8; 4],
        /// The format's magic.
        expected: [u8; 4],
    },
    /// The checksum does not match the bytes.
    #[error("its checksum does not match its bytes")]
    Damaged,
    /// Intact, but of a version this build does not know (written by a newer build).
    #[error("it has format version `{version}`; this build reads versions `1` to `{newest}`")]
    UnknownVersion {
        /// The version found.
        version: u32,
        /// The newest version this build knows.
        newest: u32,
    },
}

impl Format {
    /// A format whose newest version is `version` (at least 1).
    pub const fn new(magic: [u8; 4], version: u32) -> Format {
        assert!(version >= 1, "format versions start at 1");
        Format { magic, version }
    }

    /// Frames `payload` with the newest version.
    pub fn encode(&self, payload: &[u8]) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(payload.len() + FRAME_BYTES_MIN);
        bytes.extend_from_slice(&self.magic);
        bytes.extend_from_slice(&self.version.to_le_bytes());
        bytes.extend_from_slice(payload);
        let crc = crc32c::crc32c(&bytes);
        bytes.extend_from_slice(&crc.to_le_bytes());
        bytes
    }

    /// Checks a frame and returns its version and payload. Never panics.
    pub fn decode<'a>(&self, bytes: &'a [u8]) -> Result<Frame<'a>, FrameError> {
        if bytes.len() < FRAME_BYTES_MIN {
            return Err(FrameError::TooShort { len: bytes.len() });
        }
        let (body, crc) = bytes.split_at(bytes.len() - 4);
        let (magic, rest) = body.split_at(4);
        let (version, payload) = rest.split_at(4);
        if magic != self.magic {
            let found = [magic[0], magic[1], magic[2], magic[3]];
            return Err(FrameError::WrongMagic { found, expected: self.magic });
        }
        if crc32c::crc32c(body) != u32::from_le_bytes([crc[0], crc[1], crc[2], crc[3]]) {
            return Err(FrameError::Damaged);
        }
        let version = u32::from_le_bytes([version[0], version[1], version[2], version[3]]);
        if version == 0 || version > self.version {
            return Err(FrameError::UnknownVersion { version, newest: self.version });
        }
        Ok(Frame { version, payload })
    }
}

#[cfg(test)]
mod tests;
