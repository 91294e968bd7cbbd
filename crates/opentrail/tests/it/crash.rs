//! Nothing acknowledged is ever lost: clients send events while the server is killed with
//! SIGKILL again and again; every event that got a success answer is stored exactly once.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cloudtrail_model::json;

use crate::client::{Admin, Server, signed_request, wal_dump};
use crate::scratch_dir;

const N_CLIENTS: usize = 4;
const N_KILLS: usize = 20;
const BATCH: usize = 5;

fn record(event_id: &str, account_id: &str) -> String {
    format!(
        r#"{{"eventVersion":"1.11","userIdentity":{{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::{account_id}:user/crash","accountId":"{account_id}","userName":"crash"}},"eventTime":"2026-11-21T00:00:00Z","eventSource":"ec2.amazonaws.com","eventName":"DescribeInstances","awsRegion":"us-east-1","sourceIPAddress":"192.0.2.1","requestParameters":null,"responseElements":null,"eventID":"{event_id}","readOnly":true,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"{account_id}","eventCategory":"Management"}}"#
    )
}

/// Sends batches of this client's events in order; a batch is acknowledged when every
/// record in it is `accepted` or `duplicate`, otherwise it is retried with the same ids.
fn client(
    idx: usize,
    admin: Arc<Mutex<Admin>>,
    stop: Arc<AtomicBool>,
    acked: Arc<Mutex<BTreeSet<String>>>,
) {
    let mut next = 0usize;
    loop {
        if stop.load(Ordering::Relaxed) {
            return;
        }
        let ids: Vec<String> =
            (next..next + BATCH).map(|k| format!("crash-{idx}-{k:06}")).collect();
        loop {
            let admin = admin.lock().unwrap().clone();
            let body: Vec<String> = ids.iter().map(|id| record(id, admin.account_id())).collect();
            match signed_request(&admin, "opentrail", "/v1/events", "", body.join("\n").as_bytes())
            {
                Ok((200, answer)) => {
                    let answer = json::parse(&answer).unwrap();
                    let results = answer
                        .as_object()
                        .unwrap()
                        .get("results")
                        .unwrap()
                        .as_array()
                        .unwrap()
                        .to_vec();
                    let all_stored = results.iter().all(|r| {
                        let status =
                            r.as_object().unwrap().get("status").unwrap().as_str().unwrap();
                        status == "accepted" || status == "duplicate"
                    });
                    if all_stored {
                        acked.lock().unwrap().extend(ids.iter().cloned());
                        break;
                    }
                }
                Ok((status, answer)) => {
                    assert!(
                        status == 503,
                        "unexpected answer {status}: {}",
                        String::from_utf8_lossy(&answer)
                    );
                }
                Err(_) => {} // the server is down: retry the same batch
            }
            if stop.load(Ordering::Relaxed) {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        next += BATCH;
    }
}

#[test]
fn acknowledged_events_survive_sigkill_exactly_once() {
    let dir = scratch_dir("crash-sigkill");
    let server = Server::start(&dir);
    let admin = Arc::new(Mutex::new(server.admin.clone()));
    let stop = Arc::new(AtomicBool::new(false));
    let acked = Arc::new(Mutex::new(BTreeSet::new()));
    let clients: Vec<_> = (0..N_CLIENTS)
        .map(|idx| {
            let (admin, stop, acked) = (admin.clone(), stop.clone(), acked.clone());
            std::thread::spawn(move || client(idx, admin, stop, acked))
        })
        .collect();

    // Kill at pseudo-random moments (a fixed xorshift sequence: reproducible runs).
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut server = server;
    let mut acked_before_kill = Vec::new();
    for _ in 0..N_KILLS {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        std::thread::sleep(Duration::from_millis(40 + state % 260));
        acked_before_kill.push(acked.lock().unwrap().len());
        server.kill();
        server = Server::start(&dir);
        *admin.lock().unwrap() = server.admin.clone();
    }
    std::thread::sleep(Duration::from_millis(300));
    stop.store(true, Ordering::Relaxed);
    for client in clients {
        client.join().unwrap();
    }
    server.terminate();

    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() >= 100, "too few acknowledged events to mean anything: {}", acked.len());
    assert!(
        acked_before_kill.windows(2).filter(|w| w[1] > w[0]).count() >= N_KILLS / 2,
        "clients made progress between kills: {acked_before_kill:?}"
    );
    let mut stored: BTreeMap<String, usize> = BTreeMap::new();
    for line in wal_dump(&dir) {
        let record = cloudtrail_model::Record::parse(line.as_bytes()).unwrap();
        *stored.entry(record.event_id().unwrap().to_owned()).or_default() += 1;
    }
    let missing: Vec<&String> = acked.iter().filter(|id| !stored.contains_key(*id)).collect();
    assert!(
        missing.is_empty(),
        "{} acknowledged events lost, e.g. {:?}",
        missing.len(),
        &missing[..missing.len().min(5)]
    );
    let repeated: Vec<(&String, &usize)> = stored.iter().filter(|(_, n)| **n > 1).collect();
    assert!(repeated.is_empty(), "events stored more than once: {repeated:?}");
}
