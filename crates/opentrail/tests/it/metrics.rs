//! `GET /metrics` on a running server: every WAL consumer's lag falls to zero after a burst,
//! and a WAL record that is not an envelope is counted and logged (with its position) by
//! every consumer, which then goes on with the records after it.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::client::{Admin, Server, signed_request};
use crate::scratch_dir;

/// The WAL consumers a server runs.
const CONSUMERS: &[&str] = &["event-history", "log-delivery", "metric-alarms"];

/// `GET /metrics`, as `name{labels}` → value.
fn metrics(address: &str) -> BTreeMap<String, f64> {
    let mut stream = TcpStream::connect(address).unwrap();
    write!(stream, "GET /metrics HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    let body = &response[response.find("\r\n\r\n").unwrap() + 4..];
    body.lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .filter_map(|line| {
            let (name, value) = line.rsplit_once(' ')?;
            Some((name.to_owned(), value.parse().ok()?))
        })
        .collect()
}

fn of(metrics: &BTreeMap<String, f64>, name: &str, consumer: &str) -> f64 {
    let key = format!("{name}{{consumer=\"{consumer}\"}}");
    *metrics.get(&key).unwrap_or_else(|| panic!("no `{key}` in {metrics:#?}"))
}

/// Polls `/metrics` until `done` holds (or fails after 30 s, showing the last answer).
fn wait_for(address: &str, what: &str, done: impl Fn(&BTreeMap<String, f64>) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let now = metrics(address);
        if done(&now) {
            return;
        }
        assert!(Instant::now() < deadline, "{what} within 30 s; /metrics: {now:#?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn record(admin: &Admin, id: &str) -> String {
    let account = admin.account_id();
    format!(
        r#"{{"eventVersion":"1.11","userIdentity":{{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::{account}:user/m","accountId":"{account}","userName":"m"}},"eventTime":"2026-11-21T00:00:00Z","eventSource":"ec2.amazonaws.com","eventName":"DescribeInstances","awsRegion":"us-east-1","sourceIPAddress":"192.0.2.1","requestParameters":null,"responseElements":null,"eventID":"{id}","readOnly":true,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"{account}","eventCategory":"Management"}}"#
    )
}

fn send(admin: &Admin, ids: impl Iterator<Item = String>) {
    let body: Vec<String> = ids.map(|id| record(admin, &id)).collect();
    let (status, answer) =
        signed_request(admin, "opentrail", "/v1/events", "", body.join("\n").as_bytes()).unwrap();
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&answer));
}

fn caught_up(metrics: &BTreeMap<String, f64>) -> bool {
    CONSUMERS.iter().all(|consumer| {
        of(metrics, "opentrail_consumer_lag_bytes", consumer) == 0.0
            && of(metrics, "opentrail_consumer_lag_events", consumer) == 0.0
    })
}

#[test]
fn every_consumers_lag_falls_to_zero_after_a_burst() {
    let dir = scratch_dir("metrics-lag");
    let server = Server::start_with(&dir, &["--delivery-interval", "300ms"], Stdio::null());
    let admin = server.admin.clone();
    for batch in 0..20 {
        send(&admin, (0..100).map(|i| format!("burst-{batch:02}-{i:03}")));
    }
    wait_for(&admin.address, "every consumer caught up", |now| {
        caught_up(now)
            && CONSUMERS.iter().all(|c| of(now, "opentrail_consumer_events_total", c) >= 2000.0)
    });
    let now = metrics(&admin.address);
    assert!(now["opentrail_ingest_events_total{outcome=\"stored\"}"] >= 2000.0, "{now:#?}");
    assert!(now["opentrail_wal_fsync_seconds_count"] >= 1.0, "{now:#?}");
    for consumer in CONSUMERS {
        assert_eq!(of(&now, "opentrail_consumer_decode_errors_total", consumer), 0.0);
        assert_eq!(of(&now, "opentrail_consumer_errors_total", consumer), 0.0);
    }
    server.terminate();
}

#[test]
fn an_undecodable_wal_record_is_counted_and_logged_by_every_consumer() {
    let dir = scratch_dir("metrics-decode");
    let server = Server::start(&dir);
    send(&server.admin, (0..3).map(|i| format!("before-{i}")));
    server.terminate();

    // A frame whose checksum is right but whose payload is no envelope.
    let (wal, _) = wal::Wal::open_std(dir.join("wal"), wal::WalConfig::recommended()).unwrap();
    let bad = wal.append(vec![b"\x07 not an envelope".to_vec()]).unwrap().wait().unwrap();
    wal.shutdown().unwrap();
    drop(wal);

    let log_path = dir.join("serve.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let server = Server::start_with(&dir, &["--delivery-interval", "300ms"], Stdio::from(log));
    send(&server.admin, (0..3).map(|i| format!("after-{i}")));
    wait_for(&server.admin.address, "every consumer read past the bad record", |now| {
        caught_up(now)
            && CONSUMERS.iter().all(|c| of(now, "opentrail_consumer_decode_errors_total", c) == 1.0)
    });
    let now = metrics(&server.admin.address);
    for consumer in CONSUMERS {
        assert_eq!(of(&now, "opentrail_consumer_errors_total", consumer), 0.0, "{consumer}");
        assert!(
            of(&now, "opentrail_consumer_events_total", consumer) >= 3.0,
            "{consumer}: {now:#?}"
        );
    }
    assert_eq!(now["opentrail_ingest_decode_errors_total"], 1.0, "the dedup rebuild saw it too");
    server.terminate();

    let log = std::fs::read_to_string(&log_path).unwrap();
    for consumer in CONSUMERS {
        let line = log
            .lines()
            .find(|line| line.contains("not a readable envelope") && line.contains(consumer))
            .unwrap_or_else(|| panic!("no log line from {consumer}:\n{log}"));
        assert!(line.contains(&format!("lsn={}", bad.start.get())), "{line}");
    }
    // `opentrail wal dump` shows it too, and dumps every other record.
    let dump = crate::opentrail().args(["wal", "dump", "--data-dir"]).arg(&dir).output().unwrap();
    assert!(!dump.status.success(), "a damaged record makes the dump exit non-zero");
    let stderr = String::from_utf8_lossy(&dump.stderr);
    assert!(stderr.contains(&format!("lsn={}", bad.start.get())), "{stderr}");
    assert_eq!(String::from_utf8_lossy(&dump.stdout).lines().count(), 6, "{stderr}");
}
