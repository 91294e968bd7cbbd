//! Deleting the newest digests together with their log files leaves a consistent chain; the
//! trail's chain head or its last digest delivery shows what is gone (issue 15, finding 9).

use log_validator::{ChainHead, LatestDigest, Report, Status};

use crate::trail::{INTERVAL, T0, TestControl, chain, digest_end, digest_key, validate};

const N: usize = 6;

/// The newest `n_deleted` digests and their log files gone.
fn truncated(n_deleted: usize) -> Vec<crate::trail::Object> {
    let mut objects = chain(N);
    objects.truncate(2 * (N - n_deleted));
    objects
}

fn head_control() -> TestControl {
    let end_unix = digest_end(N - 1);
    TestControl {
        latest: LatestDigest {
            delivered_ms: Some(end_unix * 1000 + 700),
            chain_head: Some(ChainHead { key: Some(digest_key(end_unix)), end_unix }),
        },
        latest_delivery_ms: Some((end_unix - 600) * 1000),
    }
}

fn api_control() -> TestControl {
    TestControl {
        latest: LatestDigest { delivered_ms: head_control().latest.delivered_ms, chain_head: None },
        ..head_control()
    }
}

fn invalid(report: &Report) -> Vec<(String, &'static str, String)> {
    report
        .digests
        .iter()
        .chain(&report.log_files)
        .filter(|f| !f.status.is_valid())
        .map(|f| (f.key.clone(), f.status.name(), f.status.reason(true)))
        .collect()
}

fn end() -> i64 {
    digest_end(N - 1) + 60
}

#[test]
fn a_whole_chain_is_valid_with_either_control() {
    for control in [head_control(), api_control(), TestControl::default()] {
        let report = validate(&chain(N), &control, T0, end());
        assert!(report.is_valid(), "{:?}", invalid(&report));
        assert_eq!(report.digests.len(), N);
        assert_eq!(report.log_files.len(), N);
    }
}

#[test]
fn the_newest_digests_deleted_with_their_log_files_are_named_by_the_chain_head() {
    let report = validate(&truncated(2), &head_control(), T0, end());
    assert!(!report.is_valid());
    let newest_found = cloudtrail_model::time::format_unix_seconds(digest_end(N - 3));
    let head = cloudtrail_model::time::format_unix_seconds(digest_end(N - 1));
    assert_eq!(
        invalid(&report),
        vec![(
            digest_key(digest_end(N - 1)),
            "truncated",
            format!(
                "missing: the trail delivered digests until {head}, and the newest here ends at {newest_found}: every digest after {newest_found} is gone"
            )
        )]
    );
    // Newest first, as the other digests.
    assert_eq!(report.digests[0].key, digest_key(digest_end(N - 1)));
    let text = report.to_text(false);
    assert!(text.contains("INVALID: missing: the trail delivered digests until"), "{text}");
    assert!(text.contains("4/5 digest files valid, 1/5 digest files INVALID"), "{text}");
}

#[test]
fn the_newest_digests_deleted_are_named_by_the_last_digest_delivery() {
    let report = validate(&truncated(2), &api_control(), T0, end());
    let found = invalid(&report);
    assert_eq!(found.len(), 1, "{found:?}");
    // The first digest expected after the newest found.
    assert_eq!(found[0].0, digest_key(digest_end(N - 2)));
    assert_eq!(found[0].1, "truncated");
    // One deleted digest is a delivery one interval after the newest found: within the slack
    // an upload may lag, so only the chain head tells.
    let report = validate(&truncated(1), &api_control(), T0, end());
    assert!(report.is_valid(), "{:?}", invalid(&report));
    assert!(!validate(&truncated(1), &head_control(), T0, end()).is_valid());
}

#[test]
fn every_digest_deleted_is_named_too() {
    for control in [head_control(), api_control()] {
        let report = validate(&truncated(N), &control, T0, end());
        let found = invalid(&report);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].2.contains("none of the range is here"), "{found:?}");
    }
}

#[test]
fn a_range_that_ends_before_the_last_delivery_is_not_truncated() {
    // Asked up to the newest digest found: the later ones are outside the range.
    let end = digest_end(N - 3) - 2 * INTERVAL;
    for control in [head_control(), api_control()] {
        let report = validate(&truncated(2), &control, T0, end);
        assert!(report.is_valid(), "{:?}", invalid(&report));
    }
}

#[test]
fn poisoned_keys_and_garbage_bodies_are_findings_not_panics() {
    let mut objects = chain(3);
    let folder = format!("AWSLogs/{}/CloudTrail-Digest/us-east-1/", crate::trail::ACCOUNT);
    for (idx, date) in ["2026/11/2€", "20€1/345/x", "é/ü/😀", "2026/11/20"].iter().enumerate()
    {
        let name = format!(
            "111122223333_CloudTrail-Digest_us-east-1_evidence_us-east-1_2026112{idx}T1€0000Z.json.gz"
        );
        objects.push(crate::trail::Object {
            key: format!("{folder}{date}/{name}"),
            body: vec![0x1f, 0x8b, 8, 0, 0xff, idx as u8, 0xfe],
            signature: Some("zz".into()),
        });
    }
    let report = validate(&objects, &head_control(), T0, end());
    assert!(!report.is_valid());
    assert!(report.digests.iter().any(|f| matches!(f.status, Status::Unexpected)));
}
