//! Segment files: naming, classifying a WAL directory, and reading frames back in order.
//!
//! [`FrameReader`] reads one segment file frame by frame through a bounded buffer and reports
//! the first defect instead of guessing. [`BatchTracker`] checks that frames form whole batches.
//! [`scan_segment`] combines both into the verdict recovery needs for one segment.

use std::fmt;
use std::path::Path;

use crate::error::{Error, Result};
use crate::frame::{self, FrameDefect, FrameHeader, le_array};
use crate::fs::{FileSystem, ReadFile};
use crate::limits::{self, FRAME_HEADER_BYTES};
use crate::lsn::Lsn;
use crate::state;

/// Digits in a segment file name.
const SEGMENT_NAME_DIGITS: usize = 20;
/// Suffix of segment file names.
const SEGMENT_SUFFIX: &str = ".wal";

/// The file name of the segment starting at `start`.
pub(crate) fn segment_file_name(start: Lsn) -> String {
    format!("{:020}{SEGMENT_SUFFIX}", start.0)
}

/// The start of a segment from its file name; `None` unless the name is canonical.
pub(crate) fn parse_segment_file_name(name: &str) -> Option<Lsn> {
    let digits = name.strip_suffix(SEGMENT_SUFFIX)?;
    if digits.len() != SEGMENT_NAME_DIGITS || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    let start: u64 = digits.parse().ok()?;
    // Positions this high cannot come from a real WAL; refusing them keeps arithmetic exact.
    (start <= u64::MAX / 4).then_some(Lsn(start))
}

/// The files of a WAL directory, by role.
#[derive(Debug, Default)]
pub(crate) struct DirListing {
    /// Segments, sorted by start.
    pub(crate) segments: Vec<(Lsn, String)>,
    pub(crate) head: Option<String>,
    /// `(consumer, file name)`, sorted by consumer.
    pub(crate) cursors: Vec<(String, String)>,
    pub(crate) temp_files: Vec<String>,
    /// Names ending in `.wal` that are not canonical segment names.
    pub(crate) unrecognized_segments: Vec<String>,
}

/// Lists and classifies a WAL directory; files of no known role are ignored.
pub(crate) fn list_wal_dir(fs: &dyn FileSystem, dir: &Path) -> Result<DirListing> {
    let names = fs.list_dir(dir).map_err(Error::io("list wal directory", dir))?;
    if names.len() > limits::DIR_ENTRIES_MAX {
        return Err(Error::Corruption {
            segment: ".".to_owned(),
            offset: 0,
            reason: format!(
                "the directory holds `{}` entries, over the limit of `{}`; move files that do not belong to the wal elsewhere",
                names.len(),
                limits::DIR_ENTRIES_MAX
            ),
        });
    }
    let mut listing = DirListing::default();
    for name in names {
        if let Some(start) = parse_segment_file_name(&name) {
            listing.segments.push((start, name));
        } else if name.ends_with(SEGMENT_SUFFIX) {
            listing.unrecognized_segments.push(name);
        } else if name == state::HEAD_FILE_NAME {
            listing.head = Some(name);
        } else if let Some(consumer) = state::parse_cursor_file_name(&name) {
            listing.cursors.push((consumer.to_owned(), name));
        } else if name.ends_with(state::TEMP_SUFFIX) {
            listing.temp_files.push(name);
        }
    }
    if listing.segments.len() > limits::SEGMENT_FILES_MAX {
        return Err(Error::Corruption {
            segment: ".".to_owned(),
            offset: 0,
            reason: format!(
                "the directory holds `{}` segments, over the limit of `{}`",
                listing.segments.len(),
                limits::SEGMENT_FILES_MAX
            ),
        });
    }
    listing.segments.sort();
    listing.cursors.sort();
    listing.unrecognized_segments.sort();
    listing.temp_files.sort();
    Ok(listing)
}

/// What [`FrameReader::next_frame`] found at the current offset.
#[derive(Debug)]
pub(crate) enum FrameOutcome {
    /// A valid frame; `payload` is empty unless it was asked for.
    Frame { offset: u64, header: FrameHeader, payload: Vec<u8> },
    /// The offset is exactly the end of the file.
    End,
    /// The bytes at `offset` are not a valid frame.
    Defect { offset: u64, defect: FrameDefect },
}

/// Reads the frames of one segment in order, through a buffer of bounded size.
#[derive(Debug)]
pub(crate) struct FrameReader {
    file: Box<dyn ReadFile>,
    segment_start: Lsn,
    /// File length when the reader was opened; bytes appended later are not read.
    file_len: u64,
    /// Offset of the next frame.
    offset: u64,
    buf: Vec<u8>,
    /// File offset of `buf[0]`.
    buf_offset: u64,
}

impl FrameReader {
    pub(crate) fn open(
        fs: &dyn FileSystem,
        path: &Path,
        segment_start: Lsn,
    ) -> std::io::Result<FrameReader> {
        let mut file = fs.open_read(path)?;
        let file_len = file.file_len()?;
        Ok(FrameReader { file, segment_start, file_len, offset: 0, buf: Vec::new(), buf_offset: 0 })
    }

    pub(crate) fn file_len(&self) -> u64 {
        self.file_len
    }

    /// Continues reading at `offset`.
    pub(crate) fn seek(&mut self, offset: u64) {
        self.offset = offset;
    }

    /// Reads the frame at the current offset and moves past it if it is valid.
    pub(crate) fn next_frame(&mut self, want_payload: bool) -> std::io::Result<FrameOutcome> {
        let offset = self.offset;
        if offset >= self.file_len {
            return Ok(FrameOutcome::End);
        }
        match self.frame_at(offset)? {
            Ok(header) => {
                let payload = if want_payload {
                    let payload_start = offset + FRAME_HEADER_BYTES as u64;
                    self.bytes(payload_start, header.payload_len as usize)?.to_vec()
                } else {
                    Vec::new()
                };
                self.offset = offset + header.frame_bytes();
                Ok(FrameOutcome::Frame { offset, header, payload })
            }
            Err(defect) => Ok(FrameOutcome::Defect { offset, defect }),
        }
    }

    /// Looks for a valid frame (magic, bounds, checksum and its own position) anywhere after
    /// `offset`: proof that the bytes at `offset` are damage, not a torn tail.
    pub(crate) fn find_valid_frame_after(&mut self, offset: u64) -> std::io::Result<Option<u64>> {
        let mut candidate = offset + 1;
        while candidate + FRAME_HEADER_BYTES as u64 <= self.file_len {
            if self.bytes(candidate, frame::FRAME_MAGIC.len())? == frame::FRAME_MAGIC
                && self.frame_at(candidate)?.is_ok()
            {
                return Ok(Some(candidate));
            }
            candidate += 1;
        }
        Ok(None)
    }

    /// Checks the frame at `offset` without moving.
    fn frame_at(&mut self, offset: u64) -> std::io::Result<Result<FrameHeader, FrameDefect>> {
        let available = self.file_len - offset;
        if available < FRAME_HEADER_BYTES as u64 {
            return Ok(Err(FrameDefect::ShortHeader { available }));
        }
        let header_bytes: [u8; FRAME_HEADER_BYTES] =
            le_array(self.bytes(offset, FRAME_HEADER_BYTES)?);
        let header = match frame::parse_header(&header_bytes) {
            Ok(header) => header,
            Err(defect) => return Ok(Err(defect)),
        };
        if available < header.frame_bytes() {
            let available = available - FRAME_HEADER_BYTES as u64;
            return Ok(Err(FrameDefect::ShortPayload {
                payload_len: header.payload_len,
                available,
            }));
        }
        let expected_lsn = Lsn(self.segment_start.0 + offset);
        let frame_bytes = self.bytes(offset, header.frame_bytes() as usize)?;
        Ok(frame::check_frame(&header, frame_bytes, expected_lsn).map(|()| header))
    }

    /// The bytes `[offset, offset + len)`, which callers checked lie within `file_len`.
    fn bytes(&mut self, offset: u64, len: usize) -> std::io::Result<&[u8]> {
        assert!(offset + len as u64 <= self.file_len);
        let buf_end = self.buf_offset + self.buf.len() as u64;
        if offset < self.buf_offset || offset + len as u64 > buf_end {
            let n_wanted = (self.file_len - offset).min(len.max(limits::READ_CHUNK_BYTES) as u64);
            self.buf.resize(n_wanted as usize, 0);
            self.buf_offset = offset;
            let mut n_filled = 0;
            while n_filled < self.buf.len() {
                let n_read =
                    self.file.read_at(offset + n_filled as u64, &mut self.buf[n_filled..])?;
                if n_read == 0 {
                    // The file shrank under us; only a concurrent truncation can do that.
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::UnexpectedEof,
                        "segment file shrank while being read",
                    ));
                }
                n_filled += n_read;
            }
        }
        let start = (offset - self.buf_offset) as usize;
        Ok(&self.buf[start..start + len])
    }
}

/// Why frames do not form whole batches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BatchDefect {
    /// A frame's `batch_rest` does not continue the countdown of the batch in progress.
    SequenceBroken { expected: u32, found: u32 },
    /// A batch claims more records than the limit.
    TooManyRecords { batch_rest: u32 },
    /// A batch grew past the byte limit.
    TooLarge { batch_bytes: u64 },
}

impl fmt::Display for BatchDefect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BatchDefect::SequenceBroken { expected, found } => write!(
                f,
                "frame says `{found}` frames follow in its batch, but the batch in progress expects `{expected}`"
            ),
            BatchDefect::TooManyRecords { batch_rest } => write!(
                f,
                "frame says `{batch_rest}` frames follow in its batch, over the limit of `{}` records",
                limits::BATCH_RECORDS_MAX
            ),
            BatchDefect::TooLarge { batch_bytes } => write!(
                f,
                "batch reaches `{batch_bytes}` bytes, over the limit of `{}`",
                limits::BATCH_BYTES_MAX
            ),
        }
    }
}

/// Follows the `batch_rest` countdown of consecutive frames.
#[derive(Debug, Default)]
pub(crate) struct BatchTracker {
    open: Option<OpenBatch>,
}

#[derive(Debug)]
struct OpenBatch {
    start_offset: u64,
    next_batch_rest: u32,
    n_records: u32,
    batch_bytes: u64,
}

/// A batch that became complete with the frame just pushed.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct CompletedBatch {
    pub(crate) start_offset: u64,
    pub(crate) n_records: u32,
}

impl BatchTracker {
    /// Offset of the first frame of the batch in progress, if one is.
    pub(crate) fn open_batch_offset(&self) -> Option<u64> {
        self.open.as_ref().map(|open| open.start_offset)
    }

    /// Accounts for the next frame; returns the batch it completes, if any.
    pub(crate) fn push(
        &mut self,
        offset: u64,
        header: &FrameHeader,
    ) -> Result<Option<CompletedBatch>, BatchDefect> {
        let mut open = match self.open.take() {
            None => {
                if header.batch_rest as usize >= limits::BATCH_RECORDS_MAX {
                    return Err(BatchDefect::TooManyRecords { batch_rest: header.batch_rest });
                }
                OpenBatch {
                    start_offset: offset,
                    next_batch_rest: header.batch_rest,
                    n_records: 0,
                    batch_bytes: 0,
                }
            }
            Some(open) => open,
        };
        if header.batch_rest != open.next_batch_rest {
            return Err(BatchDefect::SequenceBroken {
                expected: open.next_batch_rest,
                found: header.batch_rest,
            });
        }
        open.n_records += 1;
        open.batch_bytes += header.frame_bytes();
        if open.batch_bytes > limits::BATCH_BYTES_MAX as u64 {
            return Err(BatchDefect::TooLarge { batch_bytes: open.batch_bytes });
        }
        if header.batch_rest == 0 {
            return Ok(Some(CompletedBatch {
                start_offset: open.start_offset,
                n_records: open.n_records,
            }));
        }
        open.next_batch_rest -= 1;
        self.open = Some(open);
        Ok(None)
    }
}

/// The verdict on one segment file, read start to end.
#[derive(Debug)]
pub(crate) struct SegmentScan {
    pub(crate) file_len: u64,
    /// Offset just after the last complete batch that precedes any defect.
    pub(crate) valid_end: u64,
    /// Records in complete batches before `valid_end`.
    pub(crate) n_records: u64,
    pub(crate) ending: ScanEnding,
}

/// How a segment ends, in the terms of the recovery decision table.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ScanEnding {
    /// The last complete batch ends exactly at the end of the file.
    Clean,
    /// From `offset` on, nothing is a valid frame; no batch was in progress.
    TornTail { offset: u64, defect: FrameDefect },
    /// A batch starting at `batch_offset` lacks its last frame; `torn` is where invalid bytes
    /// start, if the file does not simply end after the batch's last valid frame.
    IncompleteBatch { batch_offset: u64, torn: Option<(u64, FrameDefect)> },
    /// Invalid bytes at `offset`, but a valid frame follows at `valid_at`.
    BadFrameThenValid { offset: u64, defect: FrameDefect, valid_at: u64 },
    /// A frame with a good checksum claims another position.
    LsnMismatch { offset: u64, found: Lsn, expected: Lsn },
    /// Valid frames that do not form batches.
    BatchSequenceBroken { offset: u64, defect: BatchDefect },
}

/// Reads a whole segment and classifies how it ends. Only IO errors are errors here; damage is
/// a [`ScanEnding`] for the decision table to judge.
pub(crate) fn scan_segment(
    fs: &dyn FileSystem,
    dir: &Path,
    name: &str,
    start: Lsn,
) -> Result<SegmentScan> {
    let path = dir.join(name);
    let read_error = Error::io("read wal segment", &path);
    let mut reader = FrameReader::open(fs, &path, start).map_err(read_error)?;
    let mut batches = BatchTracker::default();
    let mut valid_end = 0;
    let mut n_records = 0;
    let ending = loop {
        let outcome = reader.next_frame(false).map_err(Error::io("read wal segment", &path))?;
        match outcome {
            FrameOutcome::End => match batches.open_batch_offset() {
                None => break ScanEnding::Clean,
                Some(batch_offset) => {
                    break ScanEnding::IncompleteBatch { batch_offset, torn: None };
                }
            },
            FrameOutcome::Frame { offset, header, .. } => match batches.push(offset, &header) {
                Ok(Some(completed)) => {
                    valid_end = offset + header.frame_bytes();
                    n_records += u64::from(completed.n_records);
                }
                Ok(None) => {}
                Err(defect) => break ScanEnding::BatchSequenceBroken { offset, defect },
            },
            FrameOutcome::Defect {
                offset,
                defect: FrameDefect::LsnMismatch { found, expected },
            } => {
                break ScanEnding::LsnMismatch { offset, found, expected };
            }
            FrameOutcome::Defect { offset, defect } => {
                let valid_after = reader
                    .find_valid_frame_after(offset)
                    .map_err(Error::io("read wal segment", &path))?;
                break match (valid_after, batches.open_batch_offset()) {
                    (Some(valid_at), _) => {
                        ScanEnding::BadFrameThenValid { offset, defect, valid_at }
                    }
                    (None, Some(batch_offset)) => {
                        ScanEnding::IncompleteBatch { batch_offset, torn: Some((offset, defect)) }
                    }
                    (None, None) => ScanEnding::TornTail { offset, defect },
                };
            }
        }
    };
    Ok(SegmentScan { file_len: reader.file_len(), valid_end, n_records, ending })
}

#[cfg(test)]
mod tests;
