//! Reading records back: [`WalReader`] over the durable part of an open WAL, and
//! [`read_only`] for operators, which never modifies anything.

use std::collections::VecDeque;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::frame::FrameDefect;
use crate::fs::{FileSystem, StdFileSystem};
use crate::lsn::Lsn;
use crate::segment::{self, BatchTracker, FrameOutcome, FrameReader};
use crate::shared::Shared;
use crate::state::{self, StateKind};

/// Iterates over `(lsn, payload)` of the records from a start position up to the durable end
/// as of [`crate::Wal::read_from`]. Every frame is checked (checksum, position) again on the
/// way back. After the first error the iterator ends.
#[derive(Debug)]
pub struct WalReader {
    shared: Arc<Shared>,
    /// Starts of the segments retained when the reader was made.
    segments: Vec<Lsn>,
    position: Lsn,
    end: Lsn,
    /// The open segment: its index in `segments`, and its reader.
    current: Option<(usize, FrameReader)>,
    started: bool,
    done: bool,
}

impl WalReader {
    pub(crate) fn new(
        shared: Arc<Shared>,
        segments: Vec<Lsn>,
        position: Lsn,
        end: Lsn,
    ) -> WalReader {
        assert!(segments.first().is_some_and(|first| *first <= position) && position <= end);
        WalReader { shared, segments, position, end, current: None, started: false, done: false }
    }

    /// The position of the next record: after the last record returned. Commit this as a
    /// consumer's cursor once the records before it are processed.
    pub fn position(&self) -> Lsn {
        self.position
    }

    /// Where this reader stops: the durable end when it was made.
    pub fn end(&self) -> Lsn {
        self.end
    }

    fn read_next(&mut self) -> Result<(Lsn, Vec<u8>)> {
        let position = self.position;
        let segment_idx = self.segments.partition_point(|start| *start <= position) - 1;
        let segment_start = self.segments[segment_idx];
        let segment_name = segment::segment_file_name(segment_start);
        let offset = position.bytes_since(segment_start);
        if self.current.as_ref().is_none_or(|(idx, _)| *idx != segment_idx) {
            let path = self.shared.dir.join(&segment_name);
            let reader = FrameReader::open(self.shared.fs.as_ref(), &path, segment_start).map_err(
                |error| {
                    if error.kind() == io::ErrorKind::NotFound {
                        // Deleted after this reader was made: every consumer had passed it.
                        Error::PositionNotRetained {
                            lsn: position,
                            first: self.shared.segments()[0],
                        }
                    } else {
                        Error::Io { op: "read wal segment", path: path.clone(), source: error }
                    }
                },
            )?;
            self.current = Some((segment_idx, reader));
        }
        let (_, reader) = self.current.as_mut().expect("opened above");
        reader.seek(offset);
        let limit =
            self.segments.get(segment_idx + 1).map_or(self.end, |next| (*next).min(self.end));
        let path = self.shared.dir.join(&segment_name);
        let outcome = reader.next_frame(true).map_err(Error::io("read wal segment", path))?;
        let corruption = |offset, reason: String| Error::Corruption {
            segment: segment_name.clone(),
            offset,
            reason: format!(
                "{reason}; the record was durable, so restore this segment from a backup"
            ),
        };
        match outcome {
            FrameOutcome::Frame { offset, header, payload } => {
                let frame_end = Lsn(position.0 + header.frame_bytes());
                if frame_end > limit {
                    return Err(corruption(
                        offset,
                        format!("the record crosses position `{limit}`"),
                    ));
                }
                self.started = true;
                self.position = frame_end;
                Ok((position, payload))
            }
            FrameOutcome::Defect { .. } if !self.started => {
                Err(Error::NotRecordStart { lsn: position })
            }
            FrameOutcome::Defect { offset, defect } => Err(corruption(offset, defect.to_string())),
            FrameOutcome::End => Err(corruption(
                offset,
                format!("the file ends before the durable end `{}`", self.end),
            )),
        }
    }
}

impl Iterator for WalReader {
    type Item = Result<(Lsn, Vec<u8>)>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done || self.position == self.end {
            return None;
        }
        let item = self.read_next();
        self.done = item.is_err();
        Some(item)
    }
}

/// Opens the WAL in `dir` for reading only, on the real file system. See [`read_only_with`].
pub fn read_only(dir: impl AsRef<Path>) -> Result<ReadOnlyRecords> {
    read_only_with(dir, Arc::new(StdFileSystem))
}

/// Reads every complete batch of the WAL in `dir` without modifying anything; safe while a
/// server has the WAL open.
///
/// Where a torn tail starts in the last segment (invalid bytes with nothing valid after them,
/// or a batch whose last record is missing), it simply stops. Any other damage, and gaps
/// between segments, end it with [`Error::Corruption`]. With a server running it may return
/// records that are written but not yet fsynced.
pub fn read_only_with(dir: impl AsRef<Path>, fs: Arc<dyn FileSystem>) -> Result<ReadOnlyRecords> {
    let dir = dir.as_ref().to_path_buf();
    let listing = segment::list_wal_dir(fs.as_ref(), &dir)?;
    let mut segments = listing.segments;
    if let Some(name) = &listing.head {
        let first = match state::read_state_file(fs.as_ref(), &dir, name, StateKind::Head)? {
            Ok(first) => first,
            Err(defect) => {
                return Err(Error::Corruption {
                    segment: name.clone(),
                    offset: 0,
                    reason: defect.to_string(),
                });
            }
        };
        // Segments wholly below the head are leftovers of an interrupted deletion.
        while segments.len() > 1 && segments[1].0 <= first {
            segments.remove(0);
        }
        if let Some((start, name)) = segments.first().filter(|(start, _)| *start != first) {
            let reason = format!(
                "the head says the wal starts at `{first}` but the first segment starts at `{start}`"
            );
            return Err(Error::Corruption { segment: name.clone(), offset: 0, reason });
        }
    }
    Ok(ReadOnlyRecords {
        fs,
        dir,
        segments,
        segment_idx: 0,
        reader: None,
        batches: BatchTracker::default(),
        batch: Vec::new(),
        ready: VecDeque::new(),
        expected_start: None,
        done: false,
    })
}

/// The records of a WAL read by [`read_only`], in order, whole batches only.
#[derive(Debug)]
pub struct ReadOnlyRecords {
    fs: Arc<dyn FileSystem>,
    dir: PathBuf,
    segments: Vec<(Lsn, String)>,
    segment_idx: usize,
    reader: Option<FrameReader>,
    batches: BatchTracker,
    /// Records of the batch in progress; released when its last record is read.
    batch: Vec<(Lsn, Vec<u8>)>,
    ready: VecDeque<(Lsn, Vec<u8>)>,
    /// Where the next segment must start.
    expected_start: Option<Lsn>,
    done: bool,
}

impl ReadOnlyRecords {
    /// Reads one frame (or opens the next segment), moving whole batches to `ready`.
    fn step(&mut self) -> Result<()> {
        let Some((start, name)) = self.segments.get(self.segment_idx).cloned() else {
            self.done = true;
            return Ok(());
        };
        let is_last = self.segment_idx + 1 == self.segments.len();
        let corruption =
            |offset, reason: String| Error::Corruption { segment: name.clone(), offset, reason };
        let path = self.dir.join(&name);
        let reader = match &mut self.reader {
            Some(reader) => reader,
            None => {
                if let Some(expected) = self.expected_start.filter(|expected| *expected != start) {
                    let reason = format!(
                        "the previous segment ends at `{expected}` but this one starts at `{start}`"
                    );
                    return Err(corruption(0, reason));
                }
                let reader = FrameReader::open(self.fs.as_ref(), &path, start)
                    .map_err(Error::io("read wal segment", &path))?;
                self.reader.insert(reader)
            }
        };
        match reader.next_frame(true).map_err(Error::io("read wal segment", &path))? {
            FrameOutcome::Frame { offset, header, payload } => {
                self.batch.push((Lsn(start.0 + offset), payload));
                match self.batches.push(offset, &header) {
                    Ok(Some(_)) => self.ready.extend(self.batch.drain(..)),
                    Ok(None) => {}
                    Err(defect) => return Err(corruption(offset, defect.to_string())),
                }
            }
            FrameOutcome::End => {
                if let Some(batch_offset) = self.batches.open_batch_offset() {
                    if is_last {
                        self.done = true;
                        return Ok(());
                    }
                    return Err(corruption(
                        batch_offset,
                        "sealed segment ends inside a batch".to_owned(),
                    ));
                }
                self.expected_start = Some(Lsn(start.0 + reader.file_len()));
                self.reader = None;
                self.segment_idx += 1;
            }
            FrameOutcome::Defect { offset, defect } => {
                if matches!(defect, FrameDefect::LsnMismatch { .. }) || !is_last {
                    return Err(corruption(offset, defect.to_string()));
                }
                let valid_after = reader
                    .find_valid_frame_after(offset)
                    .map_err(Error::io("read wal segment", &path))?;
                if let Some(valid_at) = valid_after {
                    let reason =
                        format!("{defect}, and a valid record follows at offset `{valid_at}`");
                    return Err(corruption(offset, reason));
                }
                // A torn tail: the end of what can be read.
                self.done = true;
            }
        }
        Ok(())
    }
}

impl Iterator for ReadOnlyRecords {
    type Item = Result<(Lsn, Vec<u8>)>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(record) = self.ready.pop_front() {
                return Some(Ok(record));
            }
            if self.done {
                return None;
            }
            if let Err(error) = self.step() {
                self.done = true;
                return Some(Err(error));
            }
        }
    }
}
