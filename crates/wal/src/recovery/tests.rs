//! Unit tests for the recovery decision table: it is complete and unambiguous, and every row
//! is produced on a real (simulated) disk and decided as the table says.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::*;
use crate::frame;
use crate::fs::SimFileSystem;
use crate::segment::segment_file_name;
use crate::{Wal, WalConfig};

const DIR: &str = "/wal";
const MODES: [RecoveryMode; 2] = [TolerateTornTail, Strict];

fn dir() -> &'static Path {
    Path::new(DIR)
}

fn config(mode: RecoveryMode) -> WalConfig {
    WalConfig { segment_bytes_max: 1024, recovery_mode: mode, ..WalConfig::recommended() }
}

#[test]
fn table_has_exactly_one_row_per_case() {
    for finding in Finding::ALL {
        for place in [LastSegment, SealedSegment, Directory] {
            for mode in MODES {
                let n_rows = RECOVERY_TABLE
                    .iter()
                    .filter(|row| {
                        row.finding == finding
                            && row.place == place
                            && row.mode.is_none_or(|m| m == mode)
                    })
                    .count();
                let applies = finding.is_about_segment_contents() != (place == Directory);
                assert_eq!(
                    n_rows,
                    usize::from(applies),
                    "`{finding:?}` in `{place:?}` under `{mode:?}`"
                );
            }
        }
    }
    for row in RECOVERY_TABLE {
        if row.decision == Truncate {
            assert_eq!((row.place, row.mode), (LastSegment, Some(TolerateTornTail)), "{row:?}");
        }
    }
}

/// A WAL with three segments (4, 4 and 2 batches of 2 records each) and one consumer at 0.
fn build() -> SimFileSystem {
    let sim = SimFileSystem::new();
    let (wal, _) = Wal::open(DIR, config(TolerateTornTail), Arc::new(sim.clone())).unwrap();
    for batch_idx in 0..10u8 {
        let ticket = wal.append(vec![vec![batch_idx; 100], vec![batch_idx; 100]]).unwrap();
        ticket.wait().unwrap();
    }
    wal.register_consumer("c").unwrap();
    wal.shutdown().unwrap();
    assert_eq!(segments(&sim).len(), 3);
    sim
}

fn segments(sim: &SimFileSystem) -> Vec<(Lsn, String)> {
    sim.file_names(dir())
        .into_iter()
        .filter_map(|name| segment::parse_segment_file_name(&name).map(|start| (start, name)))
        .collect()
}

fn snapshot(sim: &SimFileSystem) -> BTreeMap<String, Vec<u8>> {
    sim.file_names(dir())
        .into_iter()
        .map(|name| (name.clone(), sim.read_file(&dir().join(name)).unwrap()))
        .collect()
}

/// Produces `finding` at `place` on the disk; returns the file the finding is about.
fn damage(sim: &SimFileSystem, finding: Finding, place: Place) -> String {
    let segments = segments(sim);
    let (start, name) = match place {
        LastSegment => segments[2].clone(),
        SealedSegment | Directory => segments[0].clone(),
    };
    let path: PathBuf = dir().join(&name);
    let mut bytes = sim.read_file(&path).unwrap();
    let frames = frame::decode_all(&bytes, start).unwrap();
    let offset_of = |frame_idx: usize| (frames[frame_idx].0.0 - start.0) as usize;
    let reencode = |bytes: &mut Vec<u8>, frame_idx: usize, lsn: Lsn, batch_rest: u32| {
        let mut frame_bytes = Vec::new();
        frame::encode_frame(&mut frame_bytes, lsn, batch_rest, &frames[frame_idx].2);
        let offset = offset_of(frame_idx);
        bytes[offset..offset + frame_bytes.len()].copy_from_slice(&frame_bytes);
    };
    let last = frames.len() - 1;
    match finding {
        CleanEnd => {}
        TornTail => {
            let mut frame_bytes = Vec::new();
            frame::encode_frame(&mut frame_bytes, Lsn(start.0 + bytes.len() as u64), 0, b"torn");
            bytes.extend_from_slice(&frame_bytes[..10]);
        }
        IncompleteBatch => bytes.truncate(offset_of(last)),
        BadFrameThenValid => bytes[offset_of(0) + 30] ^= 0x01,
        LsnMismatch => reencode(&mut bytes, last, Lsn(frames[last].0.0 + 1), 0),
        BatchSequenceBroken => reencode(&mut bytes, last - 1, frames[last - 1].0, 2),
        SegmentGap => {
            assert!(sim.remove_file_durably(&dir().join(&segments[1].1)));
            return segments[2].1.clone();
        }
        SegmentOverlap => {
            let name = segment_file_name(Lsn(8));
            sim.write_file(&dir().join(&name), &bytes);
            return name;
        }
        UnrecognizedSegmentFile => {
            sim.write_file(&dir().join("7.wal"), b"");
            return "7.wal".to_owned();
        }
        StateFileDamaged => {
            let name = state::cursor_file_name("c");
            let path = dir().join(&name);
            let mut state_bytes = sim.read_file(&path).unwrap();
            state_bytes[14] ^= 0x01;
            sim.write_file(&path, &state_bytes);
            return name;
        }
        CursorBeyondEnd => {
            let name = state::cursor_file_name("c");
            sim.write_file(
                &dir().join(&name),
                &state::encode_state(StateKind::Cursor, Lsn(1 << 20)),
            );
            return name;
        }
    }
    sim.write_file(&path, &bytes);
    name
}

#[test]
fn every_row_is_decided_as_the_table_says() {
    for row in RECOVERY_TABLE {
        for mode in MODES.into_iter().filter(|mode| row.mode.is_none_or(|m| m == *mode)) {
            let context = format!("{row:?} under `{mode:?}`");
            let sim = build();
            let file = damage(&sim, row.finding, row.place);
            let before = snapshot(&sim);
            let opened = Wal::open(DIR, config(mode), Arc::new(sim.clone()));
            match row.decision {
                Accept => {
                    let (_wal, report) =
                        opened.unwrap_or_else(|error| panic!("{context}: {error}"));
                    assert_eq!(report.truncated_tail, None, "{context}");
                    assert_eq!(report.n_records, 20, "{context}");
                }
                Truncate => {
                    let (wal, report) = opened.unwrap_or_else(|error| panic!("{context}: {error}"));
                    let truncated =
                        report.truncated_tail.unwrap_or_else(|| panic!("{context}: not truncated"));
                    assert_eq!(truncated.segment, file, "{context}");
                    assert!(
                        truncated.reason.starts_with(row.finding.describe()),
                        "{context}: {truncated:?}"
                    );
                    drop(wal);
                    let (_wal, report) =
                        Wal::open(DIR, config(Strict), Arc::new(sim.clone())).unwrap();
                    assert_eq!(report.truncated_tail, None, "{context}: truncation is durable");
                }
                Refuse => {
                    let error = opened.map(|_| ()).unwrap_err();
                    let Error::Corruption { segment, reason, .. } = &error else {
                        panic!("{context}: {error}");
                    };
                    assert_eq!(segment, &file, "{context}");
                    assert!(reason.starts_with(row.finding.describe()), "{context}: {reason}");
                    assert!(reason.ends_with(row.hint), "{context}: {reason}");
                    assert_eq!(snapshot(&sim), before, "{context}: a refused open changes nothing");
                }
            }
        }
    }
}

#[test]
fn corruption_message_names_file_offset_and_remedy() {
    let sim = build();
    damage(&sim, BadFrameThenValid, SealedSegment);
    let error = Wal::open(DIR, config(TolerateTornTail), Arc::new(sim)).map(|_| ()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "wal file `00000000000000000000.wal` is damaged at offset `0`: damaged record followed by valid records: \
         checksum mismatch (stored `0x3108cd24`, computed `0xfcbcf6bf`), and a valid record follows at offset `124`; \
         valid records follow, so truncating would drop records that may have been acknowledged; restore this segment \
         from a backup, or copy the wal aside and salvage the readable records with the read-only reader"
    );
}
