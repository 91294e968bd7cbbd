//! Unit tests: attributes, terms, tokens, and the index through building, sealing, merging,
//! retention and reopening, each checked against a brute-force answer.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use cloudtrail_model::Record;

use super::*;

struct FakeClock(AtomicI64);

impl ingest::Clock for FakeClock {
    fn now_unix_millis(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

const NOW_MS: i64 = 1_795_000_000_000;

fn record(i: usize, time_s: i64, account: &str, user: &str, name: &str) -> Vec<u8> {
    let time = cloudtrail_model::time::format_unix_seconds(time_s);
    format!(
        r#"{{"eventVersion":"1.11","userIdentity":{{"type":"IAMUser","principalId":"AIDA{i}","arn":"arn:aws:iam::{account}:user/{user}","accountId":"{account}","accessKeyId":"AKIA{user}","userName":"{user}"}},"eventTime":"{time}","eventSource":"s3.amazonaws.com","eventName":"{name}","awsRegion":"us-east-1","sourceIPAddress":"10.0.0.1","userAgent":"t","requestParameters":{{"bucketName":"bucket-{b}"}},"responseElements":null,"requestID":"r{i}","eventID":"00000000-0000-4000-8000-{i:012}","readOnly":{ro},"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"{account}","eventCategory":"Management"}}"#,
        b = i % 7,
        ro = i.is_multiple_of(3),
    )
    .into_bytes()
}

fn envelope(record: &[u8]) -> Vec<u8> {
    ingest::Envelope {
        kind: ingest::Kind::CloudTrailRecord,
        ingested_at_ms: NOW_MS,
        dedup_key: "",
        event_id: "",
        channel_arn: "",
        record,
    }
    .to_vec()
}

struct Fixture {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
    clock: Arc<FakeClock>,
    history: History,
    /// (lsn, record) of everything added.
    added: Vec<(u64, Vec<u8>)>,
}

fn config() -> HistoryConfig {
    HistoryConfig {
        retention: Duration::from_secs(90 * 86_400),
        seal_after: Duration::from_secs(60),
        segment_events: 64,
        poll: Duration::from_millis(10),
    }
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history");
        let clock = Arc::new(FakeClock(AtomicI64::new(NOW_MS)));
        let history = History::open(&path, config(), clock.clone()).unwrap();
        Fixture { _dir: dir, path, clock, history, added: Vec::new() }
    }

    fn add(&mut self, records: Vec<Vec<u8>>) {
        let start = self.added.last().map_or(0, |(lsn, _)| lsn + 1000);
        let batch: Vec<(wal::Lsn, Vec<u8>)> = records
            .iter()
            .enumerate()
            .map(|(i, r)| (wal::Lsn(start + 1000 * i as u64), envelope(r)))
            .collect();
        let end = wal::Lsn(batch.last().unwrap().0.0 + 1);
        self.history.add(&decoded(&batch), end).unwrap();
        self.added.extend(batch.iter().zip(records).map(|((lsn, _), r)| (lsn.0, r)));
    }

    fn reopen(&mut self) {
        self.history = History::open(&self.path, config(), self.clock.clone()).unwrap();
    }

    /// Every page of `query`, concatenated.
    fn all(&self, query: &Query) -> Vec<Key> {
        let mut query = query.clone();
        let mut keys = Vec::new();
        loop {
            let page = self.history.lookup(&query).unwrap();
            assert!(page.hits.len() <= query.max_results);
            keys.extend(page.hits.iter().map(|h| h.key));
            match page.next {
                Some(next) => {
                    assert_eq!(page.hits.len(), query.max_results, "a page with a token is full");
                    query.after = Some(next);
                }
                None => return keys,
            }
        }
    }

    /// The brute-force answer.
    fn oracle(&self, query: &Query) -> Vec<Key> {
        let cutoff = self.history.cutoff_ms();
        let mut keys: Vec<Key> = self
            .added
            .iter()
            .filter_map(|(lsn, bytes)| {
                let record = Record::parse(bytes).unwrap();
                let indexed = attrs::classify(&record, 0)?;
                let key = Key { time_ms: indexed.time_ms, seq: *lsn };
                let ok = indexed.category == query.category
                    && indexed.region == query.region
                    && query.accounts.contains(&indexed.account)
                    && key.time_ms >= cutoff
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

fn query(filter: Option<(Attribute, &str)>, max_results: usize) -> Query {
    Query {
        accounts: vec!["111122223333".into()],
        region: "us-east-1".into(),
        category: Category::Management,
        filter: filter.map(|(a, v)| (a, v.to_owned())),
        start_ms: None,
        end_ms: None,
        max_results,
        after: None,
    }
}

fn mixed_records(n: usize, base_s: i64) -> Vec<Vec<u8>> {
    let users = ["alice", "bob", "carol"];
    let names = ["GetObject", "PutBucketPolicy", "ListBuckets"];
    (0..n)
        .map(|i| {
            let account = if i % 5 == 0 { "444455556666" } else { "111122223333" };
            // Out of order by a little, and many share a second.
            let time = base_s + (i as i64 / 3) - (i as i64 % 4);
            record(i, time, account, users[i % 3], names[(i / 2) % 3])
        })
        .collect()
}

fn check_all_queries(f: &Fixture) {
    let mut queries = vec![query(None, 50), query(None, 7), query(None, 1)];
    for (attribute, value) in [
        (Attribute::Username, "alice"),
        (Attribute::EventName, "PutBucketPolicy"),
        (Attribute::ReadOnly, "true"),
        (Attribute::ReadOnly, "false"),
        (Attribute::ResourceType, "AWS::S3::Bucket"),
        (Attribute::ResourceName, "bucket-3"),
        (Attribute::EventSource, "s3.amazonaws.com"),
        (Attribute::AccessKeyId, "AKIAbob"),
        (Attribute::EventId, "00000000-0000-4000-8000-000000000011"),
        (Attribute::Username, "nobody"),
    ] {
        queries.push(query(Some((attribute, value)), 5));
    }
    let mut ranged = query(None, 4);
    ranged.start_ms = Some((NOW_MS / 1000 - 3000 + 20) * 1000);
    ranged.end_ms = Some((NOW_MS / 1000 - 3000 + 60) * 1000);
    queries.push(ranged);
    let mut organization = query(Some((Attribute::Username, "carol")), 3);
    organization.accounts.push("444455556666".into());
    queries.push(organization);
    for q in &queries {
        assert_eq!(f.all(q), f.oracle(q), "query {q:?}");
    }
}

#[test]
fn lookups_match_brute_force_through_build_seal_merge_and_reopen() {
    let mut f = Fixture::new();
    let base = NOW_MS / 1000 - 3000;
    let records = mixed_records(600, base);
    f.add(records[..100].to_vec());
    check_all_queries(&f); // all in the segment under construction
    f.history.seal().unwrap();
    // 64-event segments fill and freeze while being added; small ones come from seals.
    f.add(records[100..300].to_vec());
    assert!(f.history.seal_due());
    check_all_queries(&f); // sealed, frozen and building at once
    f.history.seal().unwrap();
    for chunk in records[300..].chunks(20) {
        f.add(chunk.to_vec());
        f.history.seal().unwrap();
    }
    check_all_queries(&f);
    assert!(f.history.stats().segments >= 2);
    f.clock.0.fetch_add(86_400_000, Ordering::SeqCst); // the partition is over: merge pairs
    let n_merged = f.history.compact().unwrap();
    assert!(n_merged >= 2, "merged {n_merged}");
    check_all_queries(&f);
    f.reopen();
    check_all_queries(&f);
    assert_eq!(f.history.stats().sealed_events, 600);
}

#[test]
fn an_empty_page_size_answers_nothing() {
    let mut f = Fixture::new();
    f.add(mixed_records(3, NOW_MS / 1000));
    let page = f.history.lookup(&query(None, 0)).unwrap();
    assert!(page.hits.is_empty() && page.next.is_none());
}

#[test]
fn an_event_is_found_as_soon_as_it_is_added() {
    let mut f = Fixture::new();
    f.add(vec![record(1, NOW_MS / 1000, "111122223333", "alice", "CreateUser")]);
    let page = f.history.lookup(&query(Some((Attribute::Username, "alice")), 50)).unwrap();
    assert_eq!(page.hits.len(), 1);
    assert!(page.next.is_none());
    let hit = &page.hits[0];
    assert_eq!(hit.record, record(1, NOW_MS / 1000, "111122223333", "alice", "CreateUser"));
    assert_eq!(hit.summary.event_name.as_deref(), Some("CreateUser"));
    assert_eq!(hit.summary.resources, vec![(Some("AWS::S3::Bucket".into()), "bucket-1".into())]);
}

#[test]
fn retention_hides_then_removes_old_segments() {
    let mut f = Fixture::new();
    let old = NOW_MS / 1000 - 80 * 86_400;
    f.add(mixed_records(100, old));
    f.history.seal().unwrap();
    f.add(mixed_records(50, NOW_MS / 1000 - 100));
    f.history.seal().unwrap();
    let before = f.history.stats();
    assert_eq!(f.history.enforce_retention().unwrap(), 0);
    f.clock.0.fetch_add(11 * 86_400_000, Ordering::SeqCst);
    // Hidden at once...
    let q = query(None, 50);
    assert_eq!(f.all(&q), f.oracle(&q));
    assert!(f.all(&q).iter().all(|k| k.time_ms >= NOW_MS - 200_000));
    // ...and their files are gone.
    assert!(f.history.enforce_retention().unwrap() >= 1);
    let after = f.history.stats();
    assert!(after.index_bytes + after.record_bytes < before.index_bytes + before.record_bytes);
    let files = std::fs::read_dir(&f.path).unwrap().count();
    assert_eq!(files, after.segments + 1, "segments and the manifest only");
    assert_eq!(f.all(&q), f.oracle(&q));
    // Events already past the window are not filed at all.
    f.add(mixed_records(10, NOW_MS / 1000 - 200 * 86_400));
    assert_eq!(f.all(&q), f.oracle(&q));
}

#[test]
fn unsealed_events_are_dropped_by_reset_and_read_again() {
    let mut f = Fixture::new();
    f.add(mixed_records(30, NOW_MS / 1000 - 50));
    f.history.seal().unwrap();
    let sealed = f.history.sealed_through();
    f.add(mixed_records(10, NOW_MS / 1000));
    assert!(f.history.position() > sealed);
    f.history.reset_unsealed().unwrap();
    assert_eq!(f.history.position(), sealed);
    f.added.truncate(30);
    let q = query(None, 50);
    assert_eq!(f.all(&q), f.oracle(&q));
}

#[test]
fn channel_events_and_data_events_are_not_in_history() {
    let f = Fixture::new();
    let management = record(1, NOW_MS / 1000, "111122223333", "alice", "CreateBucket");
    let data = String::from_utf8(record(2, NOW_MS / 1000, "111122223333", "alice", "GetObject"))
        .unwrap()
        .replace(r#""managementEvent":true"#, r#""managementEvent":false"#)
        .replace(r#""eventCategory":"Management""#, r#""eventCategory":"Data""#)
        .into_bytes();
    let channel = ingest::Envelope {
        kind: ingest::Kind::AuditEvent,
        ingested_at_ms: NOW_MS,
        dedup_key: "",
        event_id: "",
        channel_arn: "arn:aws:cloudtrail:us-east-1:111122223333:channel/x",
        record: &management,
    }
    .to_vec();
    let batch = vec![
        (wal::Lsn(0), channel),
        (wal::Lsn(100), envelope(&data)),
        (wal::Lsn(200), envelope(&management)),
    ];
    assert_eq!(f.history.add(&decoded(&batch), wal::Lsn(300)).unwrap(), 1);
    let page = f.history.lookup(&query(None, 50)).unwrap();
    assert_eq!(page.hits.len(), 1);
    assert_eq!(page.hits[0].key.seq, 200);
}

#[test]
fn insights_events_answer_only_the_insight_category() {
    let mut f = Fixture::new();
    let insight = br#"{"eventVersion":"1.08","eventTime":"2026-11-19T07:40:00Z","awsRegion":"us-east-1","eventID":"i-1","eventType":"AwsCloudTrailInsight","recipientAccountId":"111122223333","sharedEventID":"s","insightDetails":{"state":"Start","eventSource":"ec2.amazonaws.com","eventName":"RunInstances","insightType":"ApiCallRateInsight","insightContext":{}},"eventCategory":"Insight"}"#.to_vec();
    f.add(vec![insight, record(1, NOW_MS / 1000, "111122223333", "alice", "RunInstances")]);
    let mut q = query(Some((Attribute::EventName, "RunInstances")), 50);
    assert_eq!(f.history.lookup(&q).unwrap().hits.len(), 1);
    q.category = Category::Insight;
    let page = f.history.lookup(&q).unwrap();
    assert_eq!(page.hits.len(), 1);
    assert_eq!(page.hits[0].summary.event_source.as_deref(), Some("ec2.amazonaws.com"));
}

#[test]
fn username_follows_the_identity_type() {
    let cases = [
        (r#"{"type":"IAMUser","arn":"arn:aws:iam::1:user/dev/alice","userName":"alice"}"#, "alice"),
        (
            r#"{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/Admin/jane@example.com"}"#,
            "jane@example.com",
        ),
        (r#"{"type":"Root","arn":"arn:aws:iam::1:root"}"#, "root"),
        (r#"{"type":"FederatedUser","arn":"arn:aws:sts::1:federated-user/Bob"}"#, "Bob"),
        (
            r#"{"type":"AWSService","invokedBy":"autoscaling.amazonaws.com"}"#,
            "autoscaling.amazonaws.com",
        ),
        (r#"{"type":"SAMLUser","userName":"ann","principalId":"p"}"#, "ann"),
    ];
    for (identity, expected) in cases {
        let record = Record::parse(format!(r#"{{"userIdentity":{identity}}}"#).as_bytes()).unwrap();
        assert_eq!(attrs::username(&record).as_deref(), Some(expected), "{identity}");
    }
}

#[test]
fn resources_come_from_the_record_or_its_parameters() {
    let listed = Record::parse(br#"{"eventSource":"kms.amazonaws.com","requestParameters":{"keyId":"alias/x"},"resources":[{"ARN":"arn:aws:kms:us-east-1:1:key/k","type":"AWS::KMS::Key"}]}"#).unwrap();
    assert_eq!(
        resources::of(&listed),
        vec![(Some("AWS::KMS::Key".into()), "arn:aws:kms:us-east-1:1:key/k".into())]
    );
    let run = Record::parse(br#"{"eventSource":"ec2.amazonaws.com","requestParameters":{"instancesSet":{"items":[{"imageId":"ami-1"}]}},"responseElements":{"instancesSet":{"items":[{"instanceId":"i-1"},{"instanceId":"i-2"}]}}}"#).unwrap();
    assert_eq!(
        resources::of(&run),
        vec![
            (Some("AWS::EC2::Instance".into()), "i-1".into()),
            (Some("AWS::EC2::Instance".into()), "i-2".into())
        ]
    );
    let iam = Record::parse(br#"{"eventSource":"iam.amazonaws.com","requestParameters":{"userName":"bob","policyArn":"arn:aws:iam::aws:policy/AdministratorAccess"}}"#).unwrap();
    assert_eq!(resources::of(&iam).len(), 2);
    let unknown =
        Record::parse(br#"{"eventSource":"signin.amazonaws.com","requestParameters":null}"#)
            .unwrap();
    assert!(resources::of(&unknown).is_empty());
}

#[test]
fn terms_are_stable_on_disk() {
    // Part of the segment format: a change here makes every existing index unreadable.
    assert_eq!(
        term::term(
            Category::Management,
            "111122223333",
            "us-east-1",
            Some(Attribute::Username),
            "alice"
        ),
        term::term(
            Category::Management,
            "111122223333",
            "us-east-1",
            Some(Attribute::Username),
            "alice"
        )
    );
    let pinned = term::term(Category::Management, "111122223333", "us-east-1", None, "");
    assert_eq!(pinned, 0x1c4b_918b_6725_4a61_u64, "got {pinned:#x}");
    assert_ne!(
        term::term(Category::Management, "1", "us-east-1", Some(Attribute::EventName), "a"),
        term::term(Category::Insight, "1", "us-east-1", Some(Attribute::EventName), "a")
    );
}

#[test]
fn tokens_round_trip_and_refuse_other_requests() {
    let accounts = vec!["111122223333".to_owned()];
    let binding = token::Binding {
        accounts: &accounts,
        region: "us-east-1",
        attribute: "Username",
        value: "alice",
        ..Default::default()
    };
    let key = Key { time_ms: 1_795_000_000_000, seq: 42 };
    let text = token::encode(&binding, key);
    assert!((4..=1000).contains(&text.len()));
    assert_eq!(token::decode(&binding, &text), Ok(key));
    let other = token::Binding { value: "bob", ..binding.clone() };
    assert_eq!(token::decode(&other, &text), Err(token::TokenError::OtherRequest));
    assert_eq!(token::decode(&binding, "not a token"), Err(token::TokenError::Malformed));
    assert_eq!(token::decode(&binding, "AAAA"), Err(token::TokenError::Malformed));
}

#[test]
fn a_damaged_segment_is_named_at_open() {
    let mut f = Fixture::new();
    f.add(mixed_records(20, NOW_MS / 1000));
    f.history.seal().unwrap();
    let seg = std::fs::read_dir(&f.path)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "seg"))
        .unwrap();
    let mut bytes = std::fs::read(&seg).unwrap();
    let n = bytes.len();
    bytes[n - 10] ^= 0xff;
    std::fs::write(&seg, &bytes).unwrap();
    let err = match History::open(&f.path, config(), f.clock.clone()) {
        Err(err) => err.to_string(),
        Ok(_) => panic!("opened a damaged segment"),
    };
    assert!(err.contains("is damaged") && err.contains(".seg"), "{err}");
}

/// WAL payloads decoded as the consumer runner hands them over.
fn decoded(batch: &[(wal::Lsn, Vec<u8>)]) -> Vec<pipeline::Event<'_>> {
    batch
        .iter()
        .map(|(lsn, payload)| pipeline::Event {
            lsn: *lsn,
            envelope: ingest::Envelope::decode(payload).unwrap(),
        })
        .collect()
}
