use std::io::Read;

use super::*;

fn route(name: &str, multi_region: bool) -> TrailRoute {
    TrailRoute {
        trail_arn: format!("arn:aws:cloudtrail:us-east-1:111122223333:trail/{name}"),
        name: name.into(),
        account_id: "111122223333".into(),
        home_region: "us-east-1".into(),
        is_multi_region_trail: multi_region,
        include_global_service_events: true,
        is_organization_trail: false,
        s3_bucket_name: "audit-logs".into(),
        s3_key_prefix: Some("prod".into()),
        selectors: trail_selectors::Selectors::default_for_new_trail(),
    }
}

fn event(id: &str, region: &str) -> String {
    format!(
        r#"{{"eventVersion":"1.11","eventTime":"2026-11-21T00:00:00Z","eventSource":"ec2.amazonaws.com","eventName":"RunInstances","awsRegion":"{region}","eventID":"{id}","readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}}"#
    )
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes).read_to_end(&mut out).unwrap();
    out
}

#[test]
fn files_per_trail_account_region_and_deterministic() {
    let records = [event("a", "us-east-1"), event("b", "eu-west-1"), event("c", "us-east-1")];
    let events: Vec<CycleEvent<'_>> = records
        .iter()
        .enumerate()
        .map(|(idx, r)| CycleEvent {
            lsn: idx as u64 * 100,
            ingested_at_ms: 1_000 + idx as i64,
            record: r.as_bytes(),
        })
        .collect();
    let trails = vec![
        CycleTrail { route: route("single", false), logging: None, log_file_validation: false },
        CycleTrail { route: route("multi", true), logging: None, log_file_validation: false },
    ];
    let files = build_files(&Cycle {
        trails: &trails,
        organization: None,
        events: &events,
        wal_start: 0,
        wal_end: 300,
        delivered_at_unix: 1_795_183_500,
    });
    let summary: Vec<(String, usize)> =
        files.iter().map(|f| (f.key.split('/').nth(4).unwrap().to_owned(), f.n_records)).collect();
    // single: us-east-1 (a, c); multi: eu-west-1 (b) and us-east-1 (a, c).
    assert_eq!(
        summary,
        [("us-east-1".to_owned(), 2), ("eu-west-1".to_owned(), 1), ("us-east-1".to_owned(), 2)]
    );
    for file in &files {
        assert!(file.key.starts_with("prod/AWSLogs/111122223333/CloudTrail/"), "{}", file.key);
        assert_eq!(gunzip(&file.gzip), file.json);
    }
    // The same inputs give the same keys and bytes: a re-delivery overwrites identical objects.
    assert_eq!(
        build_files(&Cycle {
            trails: &trails,
            organization: None,
            events: &events,
            wal_start: 0,
            wal_end: 300,
            delivered_at_unix: 1_795_183_500
        }),
        files
    );
    // Another WAL range gives other keys.
    let other = build_files(&Cycle {
        trails: &trails,
        organization: None,
        events: &events,
        wal_start: 300,
        wal_end: 600,
        delivered_at_unix: 1_795_183_500,
    });
    assert!(other.iter().all(|o| files.iter().all(|f| f.key != o.key)));
}

#[test]
fn stopped_trails_skip_events_ingested_while_stopped_and_no_empty_files() {
    let records = [event("early", "us-east-1"), event("late", "us-east-1")];
    let events = [
        CycleEvent { lsn: 0, ingested_at_ms: 1_000, record: records[0].as_bytes() },
        CycleEvent { lsn: 100, ingested_at_ms: 5_000, record: records[1].as_bytes() },
    ];
    let w = |since_ms, until_ms| catalog::LoggingWindow { since_ms, until_ms };
    let stopped = CycleTrail {
        route: route("t", false),
        logging: Some(vec![w(500, Some(2_000))]),
        log_file_validation: false,
    };
    let files = build_files(&Cycle {
        trails: &[stopped],
        organization: None,
        events: &events,
        wal_start: 0,
        wal_end: 200,
        delivered_at_unix: 1_795_183_500,
    });
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].n_records, 1);
    assert!(String::from_utf8_lossy(&files[0].json).contains("\"early\""));
    let never = CycleTrail {
        route: route("t", false),
        logging: Some(vec![w(10_000, None)]),
        log_file_validation: false,
    };
    assert!(
        build_files(&Cycle {
            trails: &[never],
            organization: None,
            events: &events,
            wal_start: 0,
            wal_end: 200,
            delivered_at_unix: 1_795_183_500
        })
        .is_empty(),
        "never an empty file"
    );
    // Stopped and restarted before the cycle ran: both windows count, the gap does not.
    let restarted = CycleTrail {
        route: route("t", false),
        logging: Some(vec![w(500, Some(2_000)), w(4_000, None)]),
        log_file_validation: false,
    };
    let files = build_files(&Cycle {
        trails: &[restarted],
        organization: None,
        events: &events,
        wal_start: 0,
        wal_end: 200,
        delivered_at_unix: 1_795_183_500,
    });
    assert_eq!(files[0].n_records, 2);
    let gap = CycleTrail {
        route: route("t", false),
        logging: Some(vec![w(0, Some(900)), w(1_500, Some(4_000))]),
        log_file_validation: false,
    };
    assert!(
        build_files(&Cycle {
            trails: &[gap],
            organization: None,
            events: &events,
            wal_start: 0,
            wal_end: 200,
            delivered_at_unix: 1_795_183_500
        })
        .is_empty()
    );
}

#[test]
fn the_number_of_threads_changes_nothing() {
    let regions = ["us-east-1", "eu-west-1", "ap-south-1"];
    let records: Vec<String> =
        (0..200).map(|idx| event(&format!("e{idx}"), regions[idx % 3])).collect();
    let events: Vec<CycleEvent<'_>> = records
        .iter()
        .enumerate()
        .map(|(idx, r)| CycleEvent { lsn: idx as u64, ingested_at_ms: 1_000, record: r.as_bytes() })
        .collect();
    let trails = vec![
        CycleTrail { route: route("multi", true), logging: None, log_file_validation: false },
        CycleTrail { route: route("single", false), logging: None, log_file_validation: false },
    ];
    let one = build_files_on(
        1,
        &Cycle {
            trails: &trails,
            organization: None,
            events: &events,
            wal_start: 0,
            wal_end: 200,
            delivered_at_unix: 1_795_183_500,
        },
    );
    assert_eq!(one.len(), 4);
    // Records keep their WAL order inside each file whatever the split.
    let ids: Vec<usize> = String::from_utf8(one[0].json.clone())
        .unwrap()
        .split("\"eventID\":\"e")
        .skip(1)
        .map(|rest| rest[..rest.find('"').unwrap()].parse().unwrap())
        .collect();
    assert!(ids.windows(2).all(|pair| pair[0] < pair[1]), "{ids:?}");
    for n_threads in [2, 3, 7, 64, 500] {
        assert_eq!(
            build_files_on(
                n_threads,
                &Cycle {
                    trails: &trails,
                    organization: None,
                    events: &events,
                    wal_start: 0,
                    wal_end: 200,
                    delivered_at_unix: 1_795_183_500
                }
            ),
            one
        );
    }
    assert!(
        build_files_on(
            4,
            &Cycle {
                trails: &trails,
                organization: None,
                events: &[],
                wal_start: 0,
                wal_end: 0,
                delivered_at_unix: 1_795_183_500
            }
        )
        .is_empty()
    );
}
