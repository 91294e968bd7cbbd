//! Event history over a real WAL and generated traffic: the consumer files what the WAL holds,
//! and every lookup — each attribute, time ranges, organization scope, every page — equals a
//! brute-force answer, also after a crash that loses the unsealed tail.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use cloudtrail_model::Record;
use event_history::consumer::Indexer;
use event_history::{Attribute, Category, History, HistoryConfig, Key, Query, attrs};
use pipeline::Runner;

struct FakeClock(AtomicI64);

impl ingest::Clock for FakeClock {
    fn now_unix_millis(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// Generated traffic starts here; the clock stands a day later.
const START_S: i64 = 1_794_355_200; // 2026-11-11T00:00:00Z

fn config() -> HistoryConfig {
    HistoryConfig {
        retention: Duration::from_secs(90 * 86_400),
        seal_after: Duration::from_secs(3600),
        segment_events: 700,
        poll: Duration::from_millis(5),
    }
}

struct World {
    _dir: tempfile::TempDir,
    history_dir: std::path::PathBuf,
    clock: Arc<FakeClock>,
    ingestor: Arc<ingest::Ingestor>,
    /// (WAL position, record) of every appended record.
    appended: Vec<(u64, Vec<u8>)>,
    /// What history should keep of each appended record.
    classified: Vec<(Key, attrs::Indexed)>,
}

impl World {
    fn new() -> World {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(FakeClock(AtomicI64::new((START_S + 86_400) * 1000)));
        let mut ingest_config = ingest::IngestConfig::recommended();
        ingest_config.disk_free_bytes_min = 0;
        let (ingestor, _) =
            ingest::Ingestor::open(&dir.path().join("wal"), ingest_config, clock.clone()).unwrap();
        let history_dir = dir.path().join("history");
        World {
            _dir: dir,
            history_dir,
            clock,
            ingestor: Arc::new(ingestor),
            appended: Vec::new(),
            classified: Vec::new(),
        }
    }

    fn open(&self) -> Arc<History> {
        Arc::new(History::open(&self.history_dir, config(), self.clock.clone()).unwrap())
    }

    fn append_generated(&mut self, seed: u64, count: u64) {
        let mut generator = event_generator::Generator::new(event_generator::Config {
            seed,
            count,
            start_unix_seconds: START_S,
            events_per_second: 1,
            storyline: event_generator::Storyline::None,
        });
        let mut record = Vec::new();
        let mut batch = Vec::new();
        let mut records = Vec::new();
        loop {
            record.clear();
            if generator.next_into(&mut record).is_none() {
                break;
            }
            batch.push(
                ingest::Envelope {
                    kind: ingest::Kind::CloudTrailRecord,
                    ingested_at_ms: ingest::Clock::now_unix_millis(self.clock.as_ref()),
                    dedup_key: "",
                    event_id: "",
                    channel_arn: "",
                    record: &record,
                }
                .to_vec(),
            );
            records.push(record.clone());
            if batch.len() == 500 {
                self.append(std::mem::take(&mut batch), std::mem::take(&mut records));
            }
        }
        if !batch.is_empty() {
            self.append(batch, records);
        }
    }

    fn append(&mut self, payloads: Vec<Vec<u8>>, records: Vec<Vec<u8>>) {
        let sizes: Vec<u64> = payloads.iter().map(|p| p.len() as u64 + 24).collect();
        let range = self.ingestor.wal().append(payloads).unwrap().wait().unwrap();
        let mut lsn = range.start.0;
        for (size, record) in sizes.into_iter().zip(records) {
            if let Some(indexed) = attrs::classify(&Record::parse(&record).unwrap(), 0) {
                self.classified.push((Key { time_ms: indexed.time_ms, seq: lsn }, indexed));
            }
            self.appended.push((lsn, record));
            lsn += size;
        }
        assert_eq!(lsn, range.end.0, "frame size assumption");
    }

    fn oracle(&self, query: &Query) -> Vec<Key> {
        let mut keys: Vec<Key> = self
            .classified
            .iter()
            .filter_map(|(key, indexed)| {
                let key = *key;
                let ok = indexed.category == query.category
                    && indexed.region == query.region
                    && query.accounts.contains(&indexed.account)
                    && query.start_ms.is_none_or(|s| key.time_ms >= s)
                    && query.end_ms.is_none_or(|e| key.time_ms <= e)
                    && query.filter.as_ref().is_none_or(|(a, v)| indexed.summary.has(*a, v));
                ok.then_some(key)
            })
            .collect();
        keys.sort_by(|a, b| b.cmp(a));
        keys
    }
}

fn all_pages(history: &History, query: &Query) -> Vec<Key> {
    let mut query = query.clone();
    let mut keys = Vec::new();
    loop {
        let page = history.lookup(&query).unwrap();
        keys.extend(page.hits.iter().map(|h| h.key));
        match page.next {
            Some(next) => query.after = Some(next),
            None => return keys,
        }
    }
}

/// Lookups for values that occur in the traffic: a few of every attribute.
fn queries(world: &World) -> Vec<Query> {
    let mut values: BTreeSet<(Attribute, String)> = BTreeSet::new();
    for (i, (_, bytes)) in world.appended.iter().enumerate().filter(|(i, _)| i % 97 == 0) {
        let Some(indexed) = attrs::classify(&Record::parse(bytes).unwrap(), 0) else { continue };
        for (attribute, value) in indexed.summary.lookup_values() {
            if i % 3 == 0 || attribute != Attribute::EventId {
                values.insert((attribute, value.to_owned()));
            }
        }
    }
    let base = |filter: Option<(Attribute, String)>, max_results| Query {
        accounts: vec!["111122223333".into()],
        region: "us-east-1".into(),
        category: Category::Management,
        filter,
        start_ms: None,
        end_ms: None,
        max_results,
        after: None,
    };
    let mut queries: Vec<Query> = values.into_iter().map(|v| base(Some(v), 50)).collect();
    for attribute in Attribute::ALL {
        assert!(
            queries.iter().any(|q| q.filter.as_ref().is_some_and(|f| f.0 == attribute)),
            "no {attribute:?} value in the traffic"
        );
    }
    queries.push(base(None, 50));
    queries.push(base(None, 13));
    let mut ranged = base(None, 50);
    ranged.start_ms = Some((START_S + 600) * 1000);
    ranged.end_ms = Some((START_S + 1500) * 1000);
    queries.push(ranged);
    let mut organization = base(Some((Attribute::EventSource, "sts.amazonaws.com".into())), 50);
    organization.accounts =
        vec!["111122223333".into(), "444455556666".into(), "777788889999".into()];
    queries.push(organization);
    let mut other_region = base(None, 50);
    other_region.region = "eu-west-1".into();
    queries.push(other_region);
    queries
}

#[test]
fn generated_traffic_lookups_equal_brute_force_and_survive_a_crash() {
    let mut world = World::new();
    world.append_generated(7, 6000);
    let history = world.open();
    let mut indexer = Runner::new(Indexer::new(Arc::clone(&history)), Arc::clone(&world.ingestor));
    indexer.catch_up().unwrap();
    let stats = history.stats();
    assert!(stats.segments >= 3, "{stats:?}");
    let queries = queries(&world);
    let mut n_checked = 0;
    for query in &queries {
        let expected = world.oracle(query);
        assert_eq!(all_pages(&history, query), expected, "{query:?}");
        n_checked += expected.len();
    }
    assert!(n_checked > 5000, "{n_checked}");

    // More traffic, then a crash: the unsealed tail is lost and read again from the WAL.
    world.append_generated(8, 2000);
    indexer.catch_up().unwrap();
    drop(indexer);
    drop(history);
    let history = world.open();
    let mut indexer = Runner::new(Indexer::new(Arc::clone(&history)), Arc::clone(&world.ingestor));
    indexer.catch_up().unwrap();
    indexer.consumer().seal().unwrap();
    // The cursor moves to what is sealed on the runner's next turn.
    indexer.catch_up().unwrap();
    world.clock.0.fetch_add(3 * 86_400_000, Ordering::SeqCst);
    indexer.consumer().housekeeping().unwrap();
    for query in &queries {
        assert_eq!(all_pages(&history, query), world.oracle(query), "{query:?}");
    }
    assert_eq!(
        world.ingestor.wal().cursor(event_history::consumer::CONSUMER_NAME),
        Some(history.sealed_through())
    );
}

#[test]
fn the_consumer_thread_files_events_within_its_poll_interval() {
    let mut world = World::new();
    let history = world.open();
    let handle = Runner::new(Indexer::new(Arc::clone(&history)), Arc::clone(&world.ingestor))
        .spawn()
        .unwrap();
    world.append_generated(3, 300);
    let query = Query {
        accounts: vec!["111122223333".into()],
        region: "us-east-1".into(),
        category: Category::Management,
        filter: None,
        start_ms: None,
        end_ms: None,
        max_results: 50,
        after: None,
    };
    let expected = world.oracle(&query);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while all_pages(&history, &query) != expected {
        assert!(std::time::Instant::now() < deadline, "events not filed within 10 s");
        std::thread::sleep(Duration::from_millis(5));
    }
    handle.stop();
    // Stopping sealed everything read.
    assert_eq!(history.sealed_through(), world.ingestor.wal().durable_end());
}
