//! The runner against a recording consumer: routing by kind, decode failures counted, lag,
//! batch limits, planned ranges, cursor commits, and failed turns retried.

use std::sync::{Arc, Mutex};

use ingest::{Envelope, Kind};
use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};
use wal::{Lsn, Wal};

use crate::{Batch, Consumer, Kinds, Limits, Pending, Resume, Runner, resume_from_cursor};

struct FixedClock;

impl ingest::Clock for FixedClock {
    fn now_unix_millis(&self) -> i64 {
        1_800_000_000_000
    }
}

fn ingestor(dir: &std::path::Path) -> Arc<ingest::Ingestor> {
    let config =
        ingest::IngestConfig { disk_free_bytes_min: 0, ..ingest::IngestConfig::recommended() };
    Arc::new(ingest::Ingestor::open(dir, config, Arc::new(FixedClock)).unwrap().0)
}

fn payload(kind: Kind, id: &str) -> Vec<u8> {
    let record = format!(r#"{{"eventID":"{id}"}}"#);
    Envelope {
        kind,
        ingested_at_ms: 1_800_000_000_000,
        dedup_key: "",
        event_id: id,
        channel_arn: "",
        record: record.as_bytes(),
    }
    .to_vec()
}

async fn append(wal: &Wal, payloads: Vec<Vec<u8>>) {
    wal.append(payloads).unwrap().await.unwrap();
}

#[derive(Default)]
struct Seen {
    events: Vec<(Kind, String)>,
    batches: Vec<(Lsn, Lsn, bool)>,
}

struct Recorder {
    kinds: Kinds,
    limits: Limits,
    due: bool,
    until: Option<Lsn>,
    fail_next_apply: bool,
    applied_to: Option<Lsn>,
    seen: Arc<Mutex<Seen>>,
}

impl Recorder {
    fn new(kinds: Kinds) -> Recorder {
        Recorder {
            kinds,
            limits: Limits::DEFAULT,
            due: true,
            until: None,
            fail_next_apply: false,
            applied_to: None,
            seen: Arc::default(),
        }
    }

    fn events(&self) -> Vec<(Kind, String)> {
        self.seen.lock().unwrap().events.clone()
    }
}

impl Consumer for Recorder {
    type Error = String;

    fn name(&self) -> &'static str {
        "recorder"
    }

    fn kinds(&self) -> Kinds {
        self.kinds
    }

    fn limits(&self) -> Limits {
        self.limits
    }

    fn poll(&self) -> std::time::Duration {
        std::time::Duration::from_millis(5)
    }

    fn resume(&mut self, wal: &Wal) -> Result<Resume, String> {
        let mut resume =
            resume_from_cursor(wal, self.name(), wal.first_lsn()).map_err(|e| e.to_string())?;
        resume.until = self.until.take();
        Ok(resume)
    }

    fn due(&mut self, _: Pending) -> bool {
        self.due
    }

    async fn apply(&mut self, batch: &Batch<'_>) -> Result<(), String> {
        if std::mem::take(&mut self.fail_next_apply) {
            return Err("the bucket is down".into());
        }
        let mut seen = self.seen.lock().unwrap();
        seen.batches.push((batch.start, batch.end, batch.last));
        for event in batch.events {
            seen.events.push((event.envelope.kind, event.envelope.event_id.to_owned()));
        }
        self.applied_to = Some(batch.end);
        Ok(())
    }

    fn commit_point(&self) -> Option<Lsn> {
        self.applied_to
    }
}

/// A runner whose metrics go to a recorder of the test's own.
fn runner(consumer: Recorder, ingestor: &Arc<ingest::Ingestor>) -> (Runner<Recorder>, Snapshotter) {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let runner =
        metrics::with_local_recorder(&recorder, || Runner::new(consumer, Arc::clone(ingestor)));
    (runner, snapshotter)
}

/// The consumer's metrics now, by name (a debugging snapshot drains them: take one per check).
fn metrics_now(snapshotter: &Snapshotter) -> std::collections::BTreeMap<String, f64> {
    let mut out = std::collections::BTreeMap::new();
    for (key, _, _, value) in snapshotter.snapshot().into_vec() {
        let key = key.key();
        if !key.labels().any(|l| l.key() == "consumer" && l.value() == "recorder") {
            continue;
        }
        let value = match value {
            DebugValue::Counter(n) => n as f64,
            DebugValue::Gauge(g) => g.into_inner(),
            DebugValue::Histogram(h) => h.len() as f64,
        };
        assert!(out.insert(key.name().to_owned(), value).is_none(), "one `{}`", key.name());
    }
    out
}

#[tokio::test]
async fn routes_by_kind_and_counts_what_does_not_decode() {
    let dir = tempfile::tempdir().unwrap();
    let ingestor = ingestor(dir.path());
    let wal = ingestor.wal();
    append(
        wal,
        vec![
            payload(Kind::CloudTrailRecord, "a"),
            payload(Kind::AuditEvent, "b"),
            b"\x09not an envelope".to_vec(),
            payload(Kind::SelfAudit, "c"),
        ],
    )
    .await;
    let (mut runner, metrics) = runner(Recorder::new(Kinds::TRAIL_EVENTS), &ingestor);
    let turn = runner.turn(false).await.unwrap();
    assert_eq!((turn.applied, turn.events, turn.caught_up), (4, 2, true));
    assert_eq!(
        runner.consumer().events(),
        vec![(Kind::CloudTrailRecord, "a".into()), (Kind::SelfAudit, "c".into())]
    );
    let now = metrics_now(&metrics);
    assert_eq!(now[crate::metrics::DECODE_ERRORS], 1.0);
    assert_eq!(now[crate::metrics::EVENTS], 2.0);
    assert_eq!(now[crate::metrics::LAG_BYTES], 0.0);
    assert_eq!(now[crate::metrics::LAG_EVENTS], 0.0);
    assert_eq!(now[crate::metrics::RETAINED_BYTES], 0.0);
    assert_eq!(wal.cursor("recorder"), Some(wal.durable_end()), "committed what it applied");
}

#[tokio::test]
async fn lag_counts_what_waits_and_falls_to_zero_once_applied() {
    let dir = tempfile::tempdir().unwrap();
    let ingestor = ingestor(dir.path());
    let wal = ingestor.wal();
    append(wal, (0..3).map(|i| payload(Kind::CloudTrailRecord, &format!("old-{i}"))).collect())
        .await;
    let mut consumer = Recorder::new(Kinds::ALL);
    consumer.due = false;
    let (mut runner, metrics) = runner(consumer, &ingestor);
    // The records before the consumer started count too.
    runner.turn(false).await.unwrap();
    append(wal, (0..5).map(|i| payload(Kind::AuditEvent, &format!("new-{i}"))).collect()).await;
    let turn = runner.turn(false).await.unwrap();
    assert_eq!((turn.applied, turn.caught_up), (0, false));
    let now = metrics_now(&metrics);
    assert_eq!(now[crate::metrics::LAG_EVENTS], 8.0);
    assert_eq!(now[crate::metrics::LAG_BYTES], wal.durable_end().0 as f64);
    assert_eq!(now[crate::metrics::RETAINED_BYTES], wal.durable_end().0 as f64);
    assert_eq!(wal.cursor("recorder"), Some(Lsn::ZERO), "nothing applied, nothing committed");

    runner.consumer_mut().due = true;
    let turn = runner.turn(false).await.unwrap();
    assert_eq!((turn.applied, turn.caught_up), (8, true));
    let now = metrics_now(&metrics);
    assert_eq!((now[crate::metrics::LAG_EVENTS], now[crate::metrics::LAG_BYTES]), (0.0, 0.0));
    assert_eq!(runner.consumer().seen.lock().unwrap().batches.len(), 1, "one batch of eight");
}

#[tokio::test]
async fn batches_stay_within_the_limits() {
    let dir = tempfile::tempdir().unwrap();
    let ingestor = ingestor(dir.path());
    let wal = ingestor.wal();
    append(wal, (0..5).map(|i| payload(Kind::CloudTrailRecord, &i.to_string())).collect()).await;
    let mut consumer = Recorder::new(Kinds::ALL);
    consumer.limits = Limits { records: 2, bytes: usize::MAX };
    let (mut runner, _) = runner(consumer, &ingestor);
    let mut sizes = Vec::new();
    loop {
        let turn = runner.turn(false).await.unwrap();
        sizes.push(turn.applied);
        if !turn.more {
            break;
        }
    }
    assert_eq!(sizes, [2, 2, 1]);
    let batches = runner.consumer().seen.lock().unwrap().batches.clone();
    for pair in batches.windows(2) {
        assert_eq!(pair[0].1, pair[1].0, "batches are contiguous");
    }
    assert_eq!(runner.consumer().events().len(), 5);
}

#[tokio::test]
async fn a_planned_range_is_applied_again_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let ingestor = ingestor(dir.path());
    let wal = ingestor.wal();
    append(wal, vec![payload(Kind::CloudTrailRecord, "planned")]).await;
    let planned_end = wal.durable_end();
    append(wal, vec![payload(Kind::CloudTrailRecord, "later")]).await;
    let mut consumer = Recorder::new(Kinds::ALL);
    consumer.until = Some(planned_end);
    consumer.due = false;
    let (mut runner, _) = runner(consumer, &ingestor);
    runner.turn(false).await.unwrap();
    assert_eq!(runner.consumer().events(), vec![(Kind::CloudTrailRecord, "planned".into())]);
    assert_eq!(runner.consumer().seen.lock().unwrap().batches[0].1, planned_end);
    // After the plan, the consumer's own pace again: a last turn forces the rest out.
    runner.turn(false).await.unwrap();
    assert_eq!(runner.consumer().events().len(), 1);
    runner.turn(true).await.unwrap();
    assert_eq!(runner.consumer().events().len(), 2);
    assert!(runner.consumer().seen.lock().unwrap().batches[1].2, "marked as the last batch");
}

#[test]
fn a_failed_turn_is_counted_and_retried_from_the_durable_position() {
    let dir = tempfile::tempdir().unwrap();
    let ingestor = ingestor(dir.path());
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    runtime.block_on(append(ingestor.wal(), vec![payload(Kind::CloudTrailRecord, "x")]));
    let mut consumer = Recorder::new(Kinds::ALL);
    consumer.fail_next_apply = true;
    let seen = Arc::clone(&consumer.seen);
    let (runner, metrics) = runner(consumer, &ingestor);
    let handle = runner.spawn().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while seen.lock().unwrap().events.is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    handle.stop();
    assert_eq!(seen.lock().unwrap().events, vec![(Kind::CloudTrailRecord, "x".into())]);
    assert_eq!(metrics_now(&metrics)[crate::metrics::ERRORS], 1.0);
    assert_eq!(ingestor.wal().cursor("recorder"), Some(ingestor.wal().durable_end()));
}
