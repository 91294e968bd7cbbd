//! Model-based test: random appends, waits, crashes (clean or torn), reopens, reads and faults,
//! compared with a trivially correct model of what must, may and must not survive.
//!
//! The model: the WAL's contents are always the batches known from the last open, followed by
//! a prefix of the batches appended since, in append order (one appending thread, so append
//! order is position order). The prefix includes every batch whose ticket said `Ok` (whether
//! that was observed before or after a crash: an `Ok` means the fsync had returned). Every
//! record belongs to an appended batch, with the bytes appended, and batches are whole.

use std::collections::BTreeMap;

use proptest::prelude::*;
use wal::fs::{CrashMode, SimFileSystem};
use wal::limits::FRAME_HEADER_BYTES;
use wal::{AppendTicket, ErrorKind, Lsn, LsnRange, Wal};

use crate::support::{open_sim, small_segments};

#[derive(Clone, Debug)]
enum Op {
    Append { n_records: usize, payload_len: usize },
    WaitAll,
    Crash { torn: bool, seed: u64 },
    Reopen,
    Read,
    FailNextSync,
    FailNextWrite,
    FillDisk { budget: u64 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        10 => (1usize..=3, 0usize..=150).prop_map(|(n_records, payload_len)| Op::Append { n_records, payload_len }),
        3 => Just(Op::WaitAll),
        2 => (any::<bool>(), any::<u64>()).prop_map(|(torn, seed)| Op::Crash { torn, seed }),
        1 => Just(Op::Reopen),
        2 => Just(Op::Read),
        1 => Just(Op::FailNextSync),
        1 => Just(Op::FailNextWrite),
        1 => (0u64..600).prop_map(|budget| Op::FillDisk { budget }),
    ]
}

/// A batch enqueued by the current process.
#[derive(Debug)]
struct Appended {
    batch_id: u32,
    ticket: Option<AppendTicket>,
    acked: Option<LsnRange>,
    failed: bool,
}

impl Appended {
    fn resolve(&mut self) {
        let Some(ticket) = self.ticket.take() else {
            return;
        };
        match ticket.wait() {
            Ok(range) => self.acked = Some(range),
            Err(error) => {
                assert!(matches!(error.kind(), ErrorKind::Failed | ErrorKind::Closed), "{error}");
                self.failed = true;
            }
        }
    }
}

#[derive(Debug, Default)]
struct Model {
    /// Batches in the WAL as verified at the last open, in order.
    durable: Vec<u32>,
    /// Batches enqueued since the last open, in append order.
    epoch: Vec<Appended>,
    /// The payloads of every batch ever enqueued.
    batches: BTreeMap<u32, Vec<Vec<u8>>>,
    next_batch_id: u32,
}

/// A record that names its batch, its index and the batch size, so survivors are traceable.
fn record(batch_id: u32, record_idx: usize, n_records: usize, payload_len: usize) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(8 + payload_len);
    bytes.extend_from_slice(&batch_id.to_le_bytes());
    bytes.extend_from_slice(&(record_idx as u16).to_le_bytes());
    bytes.extend_from_slice(&(n_records as u16).to_le_bytes());
    bytes.extend(std::iter::repeat_n(batch_id as u8, payload_len));
    bytes
}

struct Harness {
    sim: SimFileSystem,
    wal: Option<Wal>,
    model: Model,
}

impl Harness {
    fn wal(&self) -> &Wal {
        self.wal.as_ref().expect("a wal is open between ops")
    }

    fn resolve_all(&mut self) {
        self.model.epoch.iter_mut().for_each(Appended::resolve);
    }

    fn apply(&mut self, op: &Op) {
        match *op {
            Op::Append { n_records, payload_len } => {
                let batch_id = self.model.next_batch_id;
                let payloads: Vec<_> = (0..n_records)
                    .map(|record_idx| record(batch_id, record_idx, n_records, payload_len))
                    .collect();
                match self.wal().append(payloads.clone()) {
                    Ok(ticket) => {
                        self.model.next_batch_id += 1;
                        self.model.batches.insert(batch_id, payloads);
                        let appended =
                            Appended { batch_id, ticket: Some(ticket), acked: None, failed: false };
                        self.model.epoch.push(appended);
                    }
                    Err(error) => {
                        assert_eq!(error.kind(), ErrorKind::Failed, "{error}");
                        assert!(self.wal().failure().is_some());
                    }
                }
            }
            Op::WaitAll => self.resolve_all(),
            Op::Crash { torn, seed } => {
                let mode = if torn { CrashMode::Torn { seed } } else { CrashMode::Clean };
                self.crash_and_reopen(mode);
            }
            Op::Reopen => {
                let wal = self.wal.take().expect("open");
                let shutdown = wal.shutdown();
                self.resolve_all();
                drop(wal);
                if shutdown.is_err() {
                    // After a failed fsync the page cache may hold bytes that never reach the
                    // disk; like PostgreSQL, only a crash-and-recover is trustworthy then.
                    self.sim = self.sim.crash(CrashMode::Clean);
                } else {
                    assert!(
                        self.model.epoch.iter().all(|appended| appended.acked.is_some()),
                        "shutdown drains"
                    );
                }
                self.reopen();
            }
            Op::Read => {
                let visible = check_contents(self.wal(), &self.model);
                let n_visible_new = visible.len() - self.model.durable.len();
                // Readers never see what was not fsynced.
                assert!(self.model.epoch[..n_visible_new].iter().all(|appended| !appended.failed));
            }
            Op::FailNextSync => self.sim.fail_next_syncs(1),
            Op::FailNextWrite => self.sim.fail_next_writes(1),
            Op::FillDisk { budget } => self.sim.fail_writes_after_bytes(Some(budget)),
        }
    }

    fn crash_and_reopen(&mut self, mode: CrashMode) {
        self.sim = self.sim.crash(mode);
        // The old process's writer fails on its next disk access; its tickets resolve.
        drop(self.wal.take());
        self.resolve_all();
        self.reopen();
    }

    fn reopen(&mut self) {
        self.sim.clear_faults();
        let (wal, _) = open_sim(&self.sim, small_segments()).expect("recovery after a crash opens");
        self.model.durable = check_contents(&wal, &self.model);
        self.model.epoch.clear();
        self.wal = Some(wal);
    }
}

/// Checks the WAL against the model; returns the batches it holds, in order.
fn check_contents(wal: &Wal, model: &Model) -> Vec<u32> {
    let reader = wal.read_from(wal.first_lsn()).unwrap();
    // The writer may go on after this; the reader stops at the durable end as of now.
    let end = reader.end();
    assert!(end <= wal.durable_end());
    let records: Vec<(Lsn, Vec<u8>)> = reader.collect::<wal::Result<_>>().unwrap();

    // Records are contiguous and end at the durable end.
    let mut position = wal.first_lsn();
    for (lsn, payload) in &records {
        assert_eq!(*lsn, position);
        position = Lsn(position.0 + (FRAME_HEADER_BYTES + payload.len()) as u64);
    }
    assert_eq!(position, end);

    // Every record belongs to an appended batch, whole and byte for byte.
    let mut observed: Vec<(u32, LsnRange)> = Vec::new();
    let mut record_idx = 0;
    while record_idx < records.len() {
        let (start, payload) = &records[record_idx];
        assert!(payload.len() >= 8, "a record that was never appended: {payload:?}");
        let batch_id = u32::from_le_bytes(payload[..4].try_into().unwrap());
        let expected = model
            .batches
            .get(&batch_id)
            .unwrap_or_else(|| panic!("batch `{batch_id}` was never appended"));
        let batch =
            records.get(record_idx..record_idx + expected.len()).expect("a partial batch survived");
        let payloads: Vec<&Vec<u8>> = batch.iter().map(|(_, payload)| payload).collect();
        assert_eq!(
            payloads,
            expected.iter().collect::<Vec<_>>(),
            "batch `{batch_id}` is whole and unchanged"
        );
        let (last_lsn, last_payload) = batch.last().unwrap();
        let end = Lsn(last_lsn.0 + (FRAME_HEADER_BYTES + last_payload.len()) as u64);
        observed.push((batch_id, LsnRange { start: *start, end }));
        record_idx += expected.len();
    }

    // Known batches, then a prefix of the new ones that includes every acknowledged one.
    let observed_ids: Vec<u32> = observed.iter().map(|(batch_id, _)| *batch_id).collect();
    assert!(
        observed_ids.starts_with(&model.durable),
        "lost batches known durable: {observed_ids:?} vs {:?}",
        model.durable
    );
    let new_ids = &observed_ids[model.durable.len()..];
    let epoch_ids: Vec<u32> = model.epoch.iter().map(|appended| appended.batch_id).collect();
    assert!(
        epoch_ids.starts_with(new_ids),
        "new batches out of order: {new_ids:?} vs {epoch_ids:?}"
    );
    let n_required =
        model.epoch.iter().rposition(|appended| appended.acked.is_some()).map_or(0, |idx| idx + 1);
    assert!(
        new_ids.len() >= n_required,
        "acknowledged batches lost: {new_ids:?}, {n_required} acknowledged"
    );
    for (appended, (_, range)) in model.epoch.iter().zip(&observed[model.durable.len()..]) {
        if let Some(acked) = appended.acked {
            assert_eq!(acked, *range, "batch `{}` moved", appended.batch_id);
        }
    }
    observed_ids
}

fn run(ops: &[Op]) {
    let sim = SimFileSystem::new();
    let (wal, _) = open_sim(&sim, small_segments()).unwrap();
    let mut harness = Harness { sim, wal: Some(wal), model: Model::default() };
    for op in ops {
        harness.apply(op);
    }
    harness.crash_and_reopen(CrashMode::Torn { seed: ops.len() as u64 });
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn wal_matches_model(ops in proptest::collection::vec(op(), 1..60)) {
        run(&ops);
    }
}

#[test]
fn model_catches_the_simple_story() {
    // Append, acknowledge, crash in the middle of more appends, recover.
    run(&[
        Op::Append { n_records: 2, payload_len: 100 },
        Op::WaitAll,
        Op::Append { n_records: 3, payload_len: 150 },
        Op::Append { n_records: 1, payload_len: 0 },
        Op::Crash { torn: true, seed: 1 },
        Op::Read,
        Op::FailNextSync,
        Op::Append { n_records: 1, payload_len: 10 },
        Op::WaitAll,
        Op::Reopen,
        Op::Append { n_records: 1, payload_len: 10 },
        Op::Reopen,
    ]);
}
