//! Recovery on open: read every segment, judge what is found with one decision table, then
//! repair only what the table allows (a torn tail) or refuse to open.
//!
//! Recovery runs in two phases. The first only reads: it lists the directory, checks the state
//! files, checks that segments are contiguous, and scans every frame of every segment. Every
//! finding goes through [`decide`], which looks it up in [`RECOVERY_TABLE`]. Only when nothing
//! was refused does the second phase write: remove temp files and segments left over from an
//! interrupted deletion, truncate a torn tail and fsync it, create the first segment of a new
//! WAL, write a missing head file. So a refused open never changes anything on disk.

use std::collections::BTreeMap;
use std::path::Path;

use crate::config::RecoveryMode;
use crate::error::{Error, Result};
use crate::fs::{FileSystem, WriteFile};
use crate::lsn::Lsn;
use crate::segment::{self, ScanEnding, SegmentScan};
use crate::state::{self, StateKind};

/// What recovery found, in the words of the decision table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Finding {
    /// The segment ends exactly after a complete batch.
    CleanEnd,
    /// Invalid bytes (partial header or payload, bad magic, bad checksum, zeros) up to the end
    /// of the segment, with no valid frame after them.
    TornTail,
    /// The segment's last batch lacks its last frame (possibly followed by invalid bytes).
    IncompleteBatch,
    /// An invalid frame followed later in the segment by a valid one.
    BadFrameThenValid,
    /// A frame with a good checksum that claims another position.
    LsnMismatch,
    /// Valid frames whose batch countdown is inconsistent.
    BatchSequenceBroken,
    /// Positions missing between segments, before the first segment, or all segments missing.
    SegmentGap,
    /// A segment that starts inside the previous one: a duplicate or restored file.
    SegmentOverlap,
    /// A file named like a segment that is not a canonical segment name.
    UnrecognizedSegmentFile,
    /// A head or cursor file with a bad length, magic, checksum, version or kind.
    StateFileDamaged,
    /// A cursor beyond the end of the WAL: acknowledged records are gone.
    CursorBeyondEnd,
}

impl Finding {
    /// Every finding, for the completeness test of the table.
    #[cfg(test)]
    pub(crate) const ALL: [Finding; 11] = [
        Finding::CleanEnd,
        Finding::TornTail,
        Finding::IncompleteBatch,
        Finding::BadFrameThenValid,
        Finding::LsnMismatch,
        Finding::BatchSequenceBroken,
        Finding::SegmentGap,
        Finding::SegmentOverlap,
        Finding::UnrecognizedSegmentFile,
        Finding::StateFileDamaged,
        Finding::CursorBeyondEnd,
    ];

    /// Short description that starts every corruption reason.
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Finding::CleanEnd => "clean end",
            Finding::TornTail => "torn tail",
            Finding::IncompleteBatch => "incomplete batch",
            Finding::BadFrameThenValid => "damaged record followed by valid records",
            Finding::LsnMismatch => "record at the wrong position",
            Finding::BatchSequenceBroken => "broken batch sequence",
            Finding::SegmentGap => "missing segment",
            Finding::SegmentOverlap => "overlapping segment",
            Finding::UnrecognizedSegmentFile => "unrecognized segment file",
            Finding::StateFileDamaged => "damaged state file",
            Finding::CursorBeyondEnd => "cursor beyond the end of the wal",
        }
    }

    /// Whether the finding is about one segment's contents (else it is about the directory).
    #[cfg(test)]
    pub(crate) fn is_about_segment_contents(self) -> bool {
        matches!(
            self,
            Finding::CleanEnd
                | Finding::TornTail
                | Finding::IncompleteBatch
                | Finding::BadFrameThenValid
                | Finding::LsnMismatch
                | Finding::BatchSequenceBroken
        )
    }
}

/// Where a finding was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Place {
    /// The segment with the highest start: the one a crash can leave torn.
    LastSegment,
    /// Any other segment: fsynced whole before the next one was created.
    SealedSegment,
    /// The directory as a whole, or a state file.
    Directory,
}

/// What recovery does about a finding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Nothing to repair.
    Accept,
    /// Cut the segment at the end of its last complete batch, fsync, report.
    Truncate,
    /// Refuse to open with `Error::Corruption`; change nothing.
    Refuse,
}

/// One row of the decision table. `mode: None` means every recovery mode.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Row {
    pub(crate) finding: Finding,
    pub(crate) place: Place,
    pub(crate) mode: Option<RecoveryMode>,
    pub(crate) decision: Decision,
    /// Why, and for refusals what the operator can do. Ends every corruption reason.
    pub(crate) hint: &'static str,
}

const SEALED: &str = "sealed segments are fsynced whole before the next segment is created, so this is damage, not a crash; restore this segment from a backup, or copy the wal aside and salvage the readable records with the read-only reader";
const VALID_AFTER: &str = "valid records follow, so truncating would drop records that may have been acknowledged; restore this segment from a backup, or copy the wal aside and salvage the readable records with the read-only reader";
const NOT_A_CRASH: &str = "a crash cannot produce this; restore this segment from a backup, or copy the wal aside and salvage the readable records with the read-only reader";
const STRICT_TORN: &str = "the tail was never acknowledged (a crash left it); open with `RecoveryMode::TolerateTornTail` to truncate it";
const TORN: &str = "the tail was never acknowledged (a crash left it), so it is truncated";

use Decision::{Accept, Refuse, Truncate};
use Finding::*;
use Place::{Directory, LastSegment, SealedSegment};
use RecoveryMode::{Strict, TolerateTornTail};

/// The recovery decision table: every finding, where it was found, in which mode, and what
/// recovery does. Exactly one row matches each combination (a unit test checks this), and
/// every row has a test that produces its finding on disk.
#[rustfmt::skip]
pub(crate) const RECOVERY_TABLE: &[Row] = &[
    //   finding                          place          mode                    decision
    Row { finding: CleanEnd,              place: LastSegment,   mode: None,                   decision: Accept,   hint: "nothing to repair" },
    Row { finding: CleanEnd,              place: SealedSegment, mode: None,                   decision: Accept,   hint: "nothing to repair" },
    Row { finding: TornTail,              place: LastSegment,   mode: Some(TolerateTornTail), decision: Truncate, hint: TORN },
    Row { finding: TornTail,              place: LastSegment,   mode: Some(Strict),           decision: Refuse,   hint: STRICT_TORN },
    Row { finding: TornTail,              place: SealedSegment, mode: None,                   decision: Refuse,   hint: SEALED },
    Row { finding: IncompleteBatch,       place: LastSegment,   mode: Some(TolerateTornTail), decision: Truncate, hint: TORN },
    Row { finding: IncompleteBatch,       place: LastSegment,   mode: Some(Strict),           decision: Refuse,   hint: STRICT_TORN },
    Row { finding: IncompleteBatch,       place: SealedSegment, mode: None,                   decision: Refuse,   hint: SEALED },
    Row { finding: BadFrameThenValid,     place: LastSegment,   mode: None,                   decision: Refuse,   hint: VALID_AFTER },
    Row { finding: BadFrameThenValid,     place: SealedSegment, mode: None,                   decision: Refuse,   hint: VALID_AFTER },
    Row { finding: LsnMismatch,           place: LastSegment,   mode: None,                   decision: Refuse,   hint: "the segment was renamed, copied or spliced; restore the original file" },
    Row { finding: LsnMismatch,           place: SealedSegment, mode: None,                   decision: Refuse,   hint: "the segment was renamed, copied or spliced; restore the original file" },
    Row { finding: BatchSequenceBroken,   place: LastSegment,   mode: None,                   decision: Refuse,   hint: NOT_A_CRASH },
    Row { finding: BatchSequenceBroken,   place: SealedSegment, mode: None,                   decision: Refuse,   hint: NOT_A_CRASH },
    Row { finding: SegmentGap,            place: Directory,     mode: None,                   decision: Refuse,   hint: "records between the segments are gone; restore the missing segment files from a backup" },
    Row { finding: SegmentOverlap,        place: Directory,     mode: None,                   decision: Refuse,   hint: "two files claim the same positions; move the file that does not belong aside" },
    Row { finding: UnrecognizedSegmentFile, place: Directory,   mode: None,                   decision: Refuse,   hint: "segment files are named by their start position as 20 digits; rename or move the file aside" },
    Row { finding: StateFileDamaged,      place: Directory,     mode: None,                   decision: Refuse,   hint: "state files are replaced atomically, so this is damage; restore it from a backup, or delete a cursor file and register the consumer again" },
    Row { finding: CursorBeyondEnd,       place: Directory,     mode: None,                   decision: Refuse,   hint: "acknowledged records the consumer had reached are missing; restore the last segments from a backup" },
];

/// Looks a finding up in [`RECOVERY_TABLE`].
pub(crate) fn decide(finding: Finding, place: Place, mode: RecoveryMode) -> &'static Row {
    RECOVERY_TABLE
        .iter()
        .find(|row| {
            row.finding == finding && row.place == place && row.mode.is_none_or(|m| m == mode)
        })
        .unwrap_or_else(|| {
            panic!("recovery table has no row for `{finding:?}` in `{place:?}` under `{mode:?}`")
        })
}

/// What recovery did, for logs and operators.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecoveryReport {
    /// Whether the directory held no WAL and a new one was created.
    pub created: bool,
    /// Segments in use after recovery.
    pub n_segments: usize,
    /// Records in the WAL after recovery.
    pub n_records: u64,
    /// The oldest retained position.
    pub first_lsn: Lsn,
    /// The end of the WAL: where the next record goes.
    pub end_lsn: Lsn,
    /// The torn tail that was cut off, if any.
    pub truncated_tail: Option<TruncatedTail>,
    /// Segments below the head that an interrupted deletion left behind, now removed.
    pub n_leftover_segments_removed: usize,
    /// Temp files of interrupted state-file replacements, now removed.
    pub n_temp_files_removed: usize,
}

/// A torn tail that recovery truncated. None of it was ever acknowledged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TruncatedTail {
    /// The segment file.
    pub segment: String,
    /// Its new length: the end of its last complete batch.
    pub offset: u64,
    /// Bytes cut off.
    pub bytes_removed: u64,
    /// What was found there.
    pub reason: String,
}

/// A WAL after recovery, ready for the writer.
#[derive(Debug)]
pub(crate) struct Recovered {
    /// Starts of the retained segments; the last one is active.
    pub(crate) segments: Vec<Lsn>,
    pub(crate) end: Lsn,
    pub(crate) cursors: BTreeMap<String, Lsn>,
    /// The active segment, open for appending at `end`.
    pub(crate) active: Box<dyn WriteFile>,
    pub(crate) report: RecoveryReport,
}

/// The first phase's conclusions: everything the second phase will do.
#[derive(Debug)]
struct Plan {
    segments: Vec<(Lsn, String)>,
    end: Lsn,
    n_records: u64,
    cursors: BTreeMap<String, Lsn>,
    head_missing: bool,
    leftover_segments: Vec<String>,
    temp_files: Vec<String>,
    truncation: Option<TruncatedTail>,
}

/// Opens (or creates) the WAL in `dir`: judge everything, then repair what the table allows.
pub(crate) fn recover(fs: &dyn FileSystem, dir: &Path, mode: RecoveryMode) -> Result<Recovered> {
    fs.create_dir_all(dir).map_err(Error::io("create wal directory", dir))?;
    let plan = plan(fs, dir, mode)?;
    apply(fs, dir, plan)
}

fn refuse(row: &Row, file: &str, offset: u64, detail: impl std::fmt::Display) -> Error {
    assert_eq!(row.decision, Refuse);
    Error::Corruption {
        segment: file.to_owned(),
        offset,
        reason: format!("{}: {detail}; {}", row.finding.describe(), row.hint),
    }
}

/// Judges a directory-level finding, which the table always refuses.
fn refuse_directory(
    finding: Finding,
    mode: RecoveryMode,
    file: &str,
    offset: u64,
    detail: impl std::fmt::Display,
) -> Error {
    refuse(decide(finding, Directory, mode), file, offset, detail)
}

/// Phase one: read everything, decide everything, write nothing.
fn plan(fs: &dyn FileSystem, dir: &Path, mode: RecoveryMode) -> Result<Plan> {
    let listing = segment::list_wal_dir(fs, dir)?;
    if let Some(name) = listing.unrecognized_segments.first() {
        return Err(refuse_directory(
            UnrecognizedSegmentFile,
            mode,
            name,
            0,
            "the name is not `<20 digits>.wal`",
        ));
    }

    let head = match &listing.head {
        None => None,
        Some(name) => match state::read_state_file(fs, dir, name, StateKind::Head)? {
            Ok(lsn) => Some(lsn),
            Err(defect) => return Err(refuse_directory(StateFileDamaged, mode, name, 0, defect)),
        },
    };
    let mut cursors = BTreeMap::new();
    for (consumer, name) in &listing.cursors {
        match state::read_state_file(fs, dir, name, StateKind::Cursor)? {
            Ok(lsn) => cursors.insert(consumer.clone(), lsn),
            Err(defect) => return Err(refuse_directory(StateFileDamaged, mode, name, 0, defect)),
        };
    }

    // Segments wholly below the head were being deleted when the process stopped.
    let mut segments = listing.segments;
    let mut leftover_segments = Vec::new();
    if let Some(first) = head {
        while segments.len() > 1 && segments[1].0 <= first {
            leftover_segments.push(segments.remove(0).1);
        }
    }
    match (head, segments.first()) {
        (Some(first), None) => {
            let detail =
                format!("the head says the wal starts at `{first}` but there are no segment files");
            return Err(refuse_directory(SegmentGap, mode, state::HEAD_FILE_NAME, 0, detail));
        }
        (Some(first), Some((start, name))) if *start != first => {
            let detail = format!(
                "the head says the wal starts at `{first}` but the first segment starts at `{start}`"
            );
            return Err(refuse_directory(SegmentGap, mode, name, 0, detail));
        }
        (None, Some((start, name))) if *start != Lsn::ZERO => {
            let detail = format!(
                "the head file is missing and the first segment starts at `{start}`, not `0`"
            );
            return Err(refuse_directory(SegmentGap, mode, name, 0, detail));
        }
        _ => {}
    }

    let mut end = segments.first().map_or(Lsn::ZERO, |(start, _)| *start);
    let mut n_records = 0;
    let mut truncation = None;
    for (segment_idx, (start, name)) in segments.iter().enumerate() {
        if segment_idx > 0 && *start > end {
            let detail = format!(
                "the previous segment ends at `{end}` but this one starts at `{start}`: segment `{}` is missing",
                segment::segment_file_name(end)
            );
            return Err(refuse_directory(SegmentGap, mode, name, 0, detail));
        }
        if segment_idx > 0 && *start < end {
            let detail = format!(
                "this segment starts at `{start}`, inside the previous segment, which ends at `{end}`"
            );
            return Err(refuse_directory(SegmentOverlap, mode, name, 0, detail));
        }
        let place = if segment_idx + 1 == segments.len() { LastSegment } else { SealedSegment };
        let scan = segment::scan_segment(fs, dir, name, *start)?;
        let (finding, offset, detail) = judge_scan(&scan);
        let row = decide(finding, place, mode);
        match row.decision {
            Accept => {}
            Truncate => {
                assert_eq!(place, LastSegment);
                truncation = Some(TruncatedTail {
                    segment: name.clone(),
                    offset: scan.valid_end,
                    bytes_removed: scan.file_len - scan.valid_end,
                    reason: format!("{}: {detail}", finding.describe()),
                });
            }
            Refuse => return Err(refuse(row, name, offset, detail)),
        }
        n_records += scan.n_records;
        end = Lsn(start.0 + scan.valid_end);
    }

    for (consumer, lsn) in &cursors {
        if *lsn > end {
            let detail = format!("consumer `{consumer}` is at `{lsn}` but the wal ends at `{end}`");
            return Err(refuse_directory(
                CursorBeyondEnd,
                mode,
                &state::cursor_file_name(consumer),
                0,
                detail,
            ));
        }
    }

    Ok(Plan {
        segments,
        end,
        n_records,
        cursors,
        head_missing: head.is_none(),
        leftover_segments,
        temp_files: listing.temp_files,
        truncation,
    })
}

/// Translates a segment's ending into a finding, the offset to report, and the detail.
fn judge_scan(scan: &SegmentScan) -> (Finding, u64, String) {
    match &scan.ending {
        ScanEnding::Clean => (CleanEnd, scan.file_len, String::new()),
        ScanEnding::TornTail { offset, defect } => {
            (TornTail, *offset, format!("{defect} at offset `{offset}`, nothing valid after it"))
        }
        ScanEnding::IncompleteBatch { batch_offset, torn } => {
            let detail = match torn {
                None => format!(
                    "the batch starting at offset `{batch_offset}` lacks its last record at the end of the file"
                ),
                Some((offset, defect)) => format!(
                    "the batch starting at offset `{batch_offset}` lacks its last record; {defect} at offset `{offset}`"
                ),
            };
            (IncompleteBatch, *batch_offset, detail)
        }
        ScanEnding::BadFrameThenValid { offset, defect, valid_at } => (
            BadFrameThenValid,
            *offset,
            format!("{defect}, and a valid record follows at offset `{valid_at}`"),
        ),
        ScanEnding::LsnMismatch { offset, found, expected } => (
            LsnMismatch,
            *offset,
            format!("the record claims lsn `{found}` but sits at lsn `{expected}`"),
        ),
        ScanEnding::BatchSequenceBroken { offset, defect } => {
            (BatchSequenceBroken, *offset, defect.to_string())
        }
    }
}

/// Phase two: carry out the plan. Every change is fsynced before the WAL is used.
fn apply(fs: &dyn FileSystem, dir: &Path, plan: Plan) -> Result<Recovered> {
    let mut dir_changed = false;
    for name in plan.temp_files.iter().chain(&plan.leftover_segments) {
        let path = dir.join(name);
        fs.remove_file(&path).map_err(Error::io("remove leftover wal file", &path))?;
        dir_changed = true;
    }
    if !plan.leftover_segments.is_empty() {
        tracing::info!(n_segments = plan.leftover_segments.len(), "wal leftover segments removed");
    }

    let created = plan.segments.is_empty();
    let mut segments = plan.segments;
    let active = if created {
        let name = segment::segment_file_name(Lsn::ZERO);
        let path = dir.join(&name);
        let file = fs.create_new(&path).map_err(Error::io("create wal segment", &path))?;
        segments.push((Lsn::ZERO, name));
        dir_changed = true;
        file
    } else {
        let (_, name) = segments.last().expect("segments is not empty");
        let path = dir.join(name);
        let mut file = fs.open_append(&path).map_err(Error::io("open wal segment", &path))?;
        if let Some(truncation) = &plan.truncation {
            assert_eq!(&truncation.segment, name);
            file.set_len(truncation.offset).map_err(Error::io("truncate wal segment", &path))?;
            tracing::warn!(
                segment = %name,
                offset = truncation.offset,
                bytes_removed = truncation.bytes_removed,
                reason = %truncation.reason,
                "wal torn tail truncated"
            );
        }
        // Whatever we just read may still sit only in the page cache (a crash of the process,
        // not of the machine): make it durable before anyone treats it as such.
        file.sync_data().map_err(Error::io("fsync wal segment", &path))?;
        file
    };
    if dir_changed {
        fs.sync_dir(dir).map_err(Error::io("fsync wal directory", dir))?;
    }
    let first = segments[0].0;
    if plan.head_missing {
        state::write_state_file(fs, dir, state::HEAD_FILE_NAME, StateKind::Head, first)?;
    }

    let report = RecoveryReport {
        created,
        n_segments: segments.len(),
        n_records: plan.n_records,
        first_lsn: first,
        end_lsn: plan.end,
        truncated_tail: plan.truncation,
        n_leftover_segments_removed: plan.leftover_segments.len(),
        n_temp_files_removed: plan.temp_files.len(),
    };
    tracing::info!(
        created,
        n_segments = report.n_segments,
        n_records = report.n_records,
        first_lsn = first.0,
        end_lsn = plan.end.0,
        "wal recovered"
    );
    Ok(Recovered {
        segments: segments.into_iter().map(|(start, _)| start).collect(),
        end: plan.end,
        cursors: plan.cursors,
        active,
        report,
    })
}

#[cfg(test)]
mod tests;
