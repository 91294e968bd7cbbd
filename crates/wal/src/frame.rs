//! Record framing: encoding batches into frames, and checking frames read back from disk.
//!
//! The layout is documented in the crate root. Decoding never trusts a field before the checks
//! that make it safe to use: the length is bounded before anything is allocated, and the `Lsn`
//! is compared only after the checksum matched.

use std::fmt;

use crate::limits::{self, FRAME_HEADER_BYTES};
use crate::lsn::Lsn;

/// Magic of a version 1 frame.
pub(crate) const FRAME_MAGIC: [u8; 4] = *b"OTw1";

/// Bytes of the header covered by the checksum (everything before the checksum itself).
const CHECKSUMMED_HEADER_BYTES: usize = 20;

/// A frame header whose magic and length are plausible; not yet checked against the payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FrameHeader {
    pub(crate) payload_len: u32,
    pub(crate) lsn: Lsn,
    pub(crate) batch_rest: u32,
    pub(crate) crc: u32,
}

impl FrameHeader {
    /// Bytes of the whole frame: header and payload.
    pub(crate) fn frame_bytes(&self) -> u64 {
        frame_bytes(self.payload_len as usize)
    }
}

/// Why the bytes at some offset are not a valid frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FrameDefect {
    /// Fewer bytes than a header remain in the file.
    ShortHeader { available: u64 },
    /// The first four bytes are not the frame magic (zeroed bytes end up here).
    BadMagic { found: [u8; 4] },
    /// The length field is over the limit.
    LengthOverLimit { payload_len: u32 },
    /// The header is plausible but the file ends inside the payload.
    ShortPayload { payload_len: u32, available: u64 },
    /// Header and payload do not match the stored CRC32C.
    BadChecksum { stored: u32, computed: u32 },
    /// The checksum matched but the frame claims another position: misplaced or stale bytes.
    LsnMismatch { found: Lsn, expected: Lsn },
}

impl fmt::Display for FrameDefect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameDefect::ShortHeader { available } => {
                write!(f, "partial frame header (`{available}` of `{FRAME_HEADER_BYTES}` bytes)")
            }
            FrameDefect::BadMagic { found } => write!(f, "no frame magic (found `{found:02x?}`)"),
            FrameDefect::LengthOverLimit { payload_len } => write!(
                f,
                "payload length `{payload_len}` is over the limit of `{}`",
                limits::RECORD_PAYLOAD_BYTES_MAX
            ),
            FrameDefect::ShortPayload { payload_len, available } => write!(
                f,
                "partial payload (`{available}` of `{payload_len}` bytes after the header)"
            ),
            FrameDefect::BadChecksum { stored, computed } => {
                write!(
                    f,
                    "checksum mismatch (stored `{stored:#010x}`, computed `{computed:#010x}`)"
                )
            }
            FrameDefect::LsnMismatch { found, expected } => {
                write!(f, "frame claims lsn `{found}` but sits at lsn `{expected}`")
            }
        }
    }
}

/// Bytes of a frame with a payload of `payload_len` bytes.
pub(crate) fn frame_bytes(payload_len: usize) -> u64 {
    (FRAME_HEADER_BYTES + payload_len) as u64
}

/// Encoded bytes of a batch: all its frames.
pub(crate) fn batch_bytes(payloads: &[Vec<u8>]) -> usize {
    payloads.iter().map(|payload| FRAME_HEADER_BYTES + payload.len()).sum()
}

/// Appends the frames of one batch to `buf`, the first at `start`; returns the end position.
///
/// Callers validated the batch: at least one record, each within the payload limit.
pub(crate) fn encode_batch(buf: &mut Vec<u8>, start: Lsn, payloads: &[Vec<u8>]) -> Lsn {
    assert!(!payloads.is_empty() && payloads.len() <= limits::BATCH_RECORDS_MAX);
    let mut lsn = start;
    for (record_idx, payload) in payloads.iter().enumerate() {
        let batch_rest = (payloads.len() - 1 - record_idx) as u32;
        encode_frame(buf, lsn, batch_rest, payload);
        lsn = Lsn(lsn.0 + frame_bytes(payload.len()));
    }
    lsn
}

/// Appends one frame to `buf`.
pub(crate) fn encode_frame(buf: &mut Vec<u8>, lsn: Lsn, batch_rest: u32, payload: &[u8]) {
    assert!(payload.len() <= limits::RECORD_PAYLOAD_BYTES_MAX);
    let header_start = buf.len();
    buf.extend_from_slice(&FRAME_MAGIC);
    buf.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    buf.extend_from_slice(&lsn.0.to_le_bytes());
    buf.extend_from_slice(&batch_rest.to_le_bytes());
    let crc = checksum(&buf[header_start..], payload);
    buf.extend_from_slice(&crc.to_le_bytes());
    buf.extend_from_slice(payload);
}

/// CRC32C of the first 20 header bytes followed by the payload.
pub(crate) fn checksum(header: &[u8], payload: &[u8]) -> u32 {
    let crc = crc32c::crc32c(&header[..CHECKSUMMED_HEADER_BYTES]);
    crc32c::crc32c_append(crc, payload)
}

/// Reads the header fields, checking the magic and the length limit.
pub(crate) fn parse_header(bytes: &[u8; FRAME_HEADER_BYTES]) -> Result<FrameHeader, FrameDefect> {
    let magic = [bytes[0], bytes[1], bytes[2], bytes[3]];
    if magic != FRAME_MAGIC {
        return Err(FrameDefect::BadMagic { found: magic });
    }
    let header = FrameHeader {
        payload_len: u32::from_le_bytes(le_array(&bytes[4..8])),
        lsn: Lsn(u64::from_le_bytes(le_array(&bytes[8..16]))),
        batch_rest: u32::from_le_bytes(le_array(&bytes[16..20])),
        crc: u32::from_le_bytes(le_array(&bytes[20..24])),
    };
    if header.payload_len as usize > limits::RECORD_PAYLOAD_BYTES_MAX {
        return Err(FrameDefect::LengthOverLimit { payload_len: header.payload_len });
    }
    Ok(header)
}

/// Checks a whole frame (`bytes` is the header followed by exactly the payload) that should sit
/// at `expected_lsn`.
pub(crate) fn check_frame(
    header: &FrameHeader,
    bytes: &[u8],
    expected_lsn: Lsn,
) -> Result<(), FrameDefect> {
    assert_eq!(bytes.len() as u64, header.frame_bytes());
    let computed = checksum(&bytes[..FRAME_HEADER_BYTES], &bytes[FRAME_HEADER_BYTES..]);
    if computed != header.crc {
        return Err(FrameDefect::BadChecksum { stored: header.crc, computed });
    }
    if header.lsn != expected_lsn {
        return Err(FrameDefect::LsnMismatch { found: header.lsn, expected: expected_lsn });
    }
    Ok(())
}

/// A frame decoded by [`decode_all`]: its `Lsn`, `batch_rest` and payload.
pub(crate) type DecodedFrame = (Lsn, u32, Vec<u8>);

/// Decodes a buffer of frames written from `start`: `(lsn, batch_rest, payload)` per frame, or
/// the first defect. Used to re-check frames before they are written (debug builds) and by tests.
pub(crate) fn decode_all(
    bytes: &[u8],
    start: Lsn,
) -> Result<Vec<DecodedFrame>, (u64, FrameDefect)> {
    let mut frames = Vec::new();
    let mut offset = 0usize;
    while offset < bytes.len() {
        let at = |defect| (offset as u64, defect);
        let available = (bytes.len() - offset) as u64;
        let Some(header_bytes) = bytes.get(offset..offset + FRAME_HEADER_BYTES) else {
            return Err(at(FrameDefect::ShortHeader { available }));
        };
        let header = parse_header(&le_array(header_bytes)).map_err(at)?;
        let frame_end = offset + header.frame_bytes() as usize;
        let Some(frame) = bytes.get(offset..frame_end) else {
            let available = available - FRAME_HEADER_BYTES as u64;
            return Err(at(FrameDefect::ShortPayload {
                payload_len: header.payload_len,
                available,
            }));
        };
        check_frame(&header, frame, Lsn(start.0 + offset as u64)).map_err(at)?;
        frames.push((header.lsn, header.batch_rest, frame[FRAME_HEADER_BYTES..].to_vec()));
        offset = frame_end;
    }
    Ok(frames)
}

/// Copies a slice of known length into an array; the length is guaranteed by the caller.
pub(crate) fn le_array<const N: usize>(bytes: &[u8]) -> [u8; N] {
    let mut array = [0u8; N];
    array.copy_from_slice(bytes);
    array
}

#[cfg(test)]
mod tests;
