//! The truncation rule, one case per row: the chain head, the trail's delivery time, the
//! range asked, a late upload, and chains that need not have a digest.

use super::*;

const HOUR: i64 = 3600;
const T0: i64 = 1_795_168_800; // 2026-11-20T10:00:00Z

fn newest(end_unix: i64, stored_ms: Option<i64>) -> Option<NewestFound> {
    Some(NewestFound { end_unix, stored_ms })
}

fn check(
    latest: LatestDigest,
    newest: Option<NewestFound>,
    interval_s: Option<i64>,
) -> Option<Truncation> {
    truncation(&Inputs {
        latest: &latest,
        newest,
        interval_s,
        range_from: T0 - 10 * HOUR,
        range_to: T0 + 2 * HOUR,
        chain_always_on: true,
    })
}

fn head(key: Option<&str>, end_unix: i64) -> LatestDigest {
    LatestDigest {
        delivered_ms: Some(end_unix * 1000 + 500),
        chain_head: Some(ChainHead { key: key.map(str::to_owned), end_unix }),
    }
}

fn delivered(unix: i64) -> LatestDigest {
    LatestDigest { delivered_ms: Some(unix * 1000), chain_head: None }
}

#[test]
fn the_chain_head_newer_than_the_newest_digest_found_is_missing() {
    let found = check(head(Some("k/head.json.gz"), T0), newest(T0 - 2 * HOUR, None), Some(HOUR));
    assert_eq!(
        found,
        Some(Truncation {
            after_unix: Some(T0 - 2 * HOUR),
            until_unix: T0,
            key: Some("k/head.json.gz".into()),
            first_expected_end_unix: None,
        })
    );
    // Nothing at all found: the head is still missing.
    assert_eq!(check(head(Some("k"), T0), None, None).map(|t| t.after_unix), Some(None));
    // A closed chain's final digest is known by its end.
    assert_eq!(
        check(head(None, T0), newest(T0 - HOUR, None), None)
            .and_then(|t| t.first_expected_end_unix),
        Some(T0)
    );
}

#[test]
fn the_chain_head_found_or_outside_the_range_is_no_truncation() {
    assert_eq!(check(head(Some("k"), T0), newest(T0, None), Some(HOUR)), None);
    // A digest delivered after the head was read (during the run) is newer: fine.
    assert_eq!(check(head(Some("k"), T0), newest(T0 + HOUR, None), Some(HOUR)), None);
    // The user asked for a range that ends before the head.
    assert_eq!(check(head(Some("k"), T0 + 3 * HOUR), newest(T0, None), Some(HOUR)), None);
    assert_eq!(check(head(Some("k"), T0 - 11 * HOUR), None, Some(HOUR)), None);
}

#[test]
fn a_delivery_an_interval_and_a_slack_after_the_newest_digest_found_is_a_truncation() {
    let found = check(delivered(T0 + 61), newest(T0 - HOUR, None), Some(HOUR));
    assert_eq!(
        found,
        Some(Truncation {
            after_unix: Some(T0 - HOUR),
            until_unix: T0 + 61,
            key: None,
            first_expected_end_unix: Some(T0),
        })
    );
    // Short intervals (tests): the slack is one interval.
    assert!(check(delivered(T0 + 20), newest(T0, None), Some(10)).is_some());
    assert_eq!(check(delivered(T0 + 19), newest(T0, None), Some(10)), None);
    // Nothing found in the range while the trail delivered inside it.
    assert!(check(delivered(T0), None, None).is_some());
}

#[test]
fn a_delivery_that_may_be_the_newest_digests_own_is_no_truncation() {
    // Its own upload, a little after its end.
    assert_eq!(check(delivered(T0 + 30), newest(T0, None), Some(HOUR)), None);
    // A late upload: stored (as the bucket says) at the delivery time.
    let late_ms = (T0 + 2 * HOUR) * 1000;
    assert_eq!(
        check(
            LatestDigest { delivered_ms: Some(late_ms + 300), chain_head: None },
            newest(T0, Some(late_ms)),
            Some(HOUR)
        ),
        None
    );
    // Unknown interval: AWS's hour is assumed.
    assert_eq!(check(delivered(T0 + HOUR), newest(T0, None), None), None);
    assert!(check(delivered(T0 + HOUR + 60), newest(T0, None), None).is_some());
}

#[test]
fn a_delivery_outside_the_range_or_of_another_chain_is_no_truncation() {
    assert_eq!(check(delivered(T0 + 3 * HOUR), newest(T0 - HOUR, None), Some(HOUR)), None);
    assert_eq!(check(LatestDigest::default(), newest(T0 - HOUR, None), Some(HOUR)), None);
    let latest = delivered(T0);
    let other_chain = Inputs {
        latest: &latest,
        newest: None,
        interval_s: Some(HOUR),
        range_from: T0 - 10 * HOUR,
        range_to: T0 + 2 * HOUR,
        chain_always_on: false,
    };
    assert_eq!(truncation(&other_chain), None);
}
