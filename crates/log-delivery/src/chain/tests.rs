//! The chain rule, case by case.

use catalog::ChainHead;

use super::*;

const H: i64 = 3_600_000;

fn stream(head_end: Option<i64>, closed_at: Option<i64>, planned: Option<i64>) -> DigestStream {
    DigestStream {
        id: catalog::DigestStreamId {
            trail_arn: "arn:aws:cloudtrail:us-east-1:111122223333:trail/t".into(),
            account_id: "111122223333".into(),
            region: "us-east-1".into(),
        },
        head: head_end.map(|end_ms| ChainHead {
            bucket: "b".into(),
            key: "k".into(),
            sha256_hex: "h".into(),
            signature_hex: "s".into(),
            end_ms,
        }),
        closed_at_ms: closed_at,
        planned_end_ms: planned,
        target: None,
    }
}

fn logging(windows: &[(i64, Option<i64>)]) -> TrailState {
    TrailState {
        validation: true,
        windows: windows
            .iter()
            .map(|&(since_ms, until_ms)| LoggingWindow { since_ms, until_ms })
            .collect(),
    }
}

fn none(_: i64) -> Option<i64> {
    None
}

#[test]
fn an_open_chain_gets_a_digest_every_boundary_even_when_empty() {
    let trail = logging(&[(0, None)]);
    assert_eq!(
        decide(&stream(Some(H), None, None), Some(&trail), 2 * H, none),
        Decision::Write { start_ms: H, end_ms: 2 * H, keep_open: true }
    );
    // Nothing before the next boundary.
    assert_eq!(decide(&stream(Some(2 * H), None, None), Some(&trail), 2 * H, none), Decision::Wait);
    // After downtime, one digest covers the whole time since the previous one.
    assert_eq!(
        decide(&stream(Some(H), None, None), Some(&trail), 5 * H, none),
        Decision::Write { start_ms: H, end_ms: 5 * H, keep_open: true }
    );
}

#[test]
fn a_planned_digest_is_written_again_with_the_same_end() {
    let trail = logging(&[(0, None)]);
    assert_eq!(
        decide(&stream(Some(H), None, Some(2 * H)), Some(&trail), 4 * H, none),
        Decision::Write { start_ms: H, end_ms: 2 * H, keep_open: true }
    );
}

#[test]
fn a_stop_closes_the_chain_and_a_start_begins_a_new_one() {
    // Stopped inside the interval: a final digest.
    let stopped = logging(&[(0, Some(H + 10))]);
    assert_eq!(
        decide(&stream(Some(H), None, None), Some(&stopped), 2 * H, none),
        Decision::Write { start_ms: H, end_ms: 2 * H, keep_open: false }
    );
    // Stopped and restarted inside the interval: still final (the restart is visible).
    let restarted = logging(&[(0, Some(H + 10)), (H + 20, None)]);
    assert_eq!(
        decide(&stream(Some(H), None, None), Some(&restarted), 2 * H, none),
        Decision::Write { start_ms: H, end_ms: 2 * H, keep_open: false }
    );
    // The next boundary starts a new chain from the close.
    assert_eq!(
        decide(&stream(None, Some(2 * H), None), Some(&restarted), 3 * H, none),
        Decision::Write { start_ms: 2 * H, end_ms: 3 * H, keep_open: true }
    );
    // Restarted later: the new chain starts at the restart.
    let later = logging(&[(0, Some(H + 10)), (2 * H + 500_000, None)]);
    assert_eq!(
        decide(&stream(None, Some(2 * H), None), Some(&later), 3 * H, none),
        Decision::Write { start_ms: 2 * H + 500_000, end_ms: 3 * H, keep_open: true }
    );
    // Stopped and closed, nothing pending: no digests while logging is off.
    assert_eq!(
        decide(&stream(None, Some(2 * H), None), Some(&stopped), 3 * H, none),
        Decision::Wait
    );
}

#[test]
fn files_stored_after_the_final_digest_still_get_one() {
    let stopped = logging(&[(0, Some(H + 10))]);
    let pending = |end: i64| (end > 2 * H + 5).then_some(2 * H + 5);
    assert_eq!(
        decide(&stream(None, Some(2 * H), None), Some(&stopped), 3 * H, pending),
        Decision::Write { start_ms: 2 * H, end_ms: 3 * H, keep_open: false }
    );
}

#[test]
fn a_new_trail_waits_for_the_first_boundary_after_it_started() {
    let trail = logging(&[(2 * H + 100, None)]);
    assert_eq!(decide(&stream(None, None, None), Some(&trail), 2 * H, none), Decision::Wait);
    assert_eq!(
        decide(&stream(None, None, None), Some(&trail), 3 * H, none),
        Decision::Write { start_ms: 2 * H + 100, end_ms: 3 * H, keep_open: true }
    );
}

#[test]
fn validation_off_or_a_deleted_trail_closes_the_chain_and_empty_chains_are_forgotten() {
    let off = TrailState { validation: false, ..logging(&[(0, None)]) };
    assert_eq!(
        decide(&stream(Some(H), None, None), Some(&off), 2 * H, none),
        Decision::Write { start_ms: H, end_ms: 2 * H, keep_open: false }
    );
    assert_eq!(decide(&stream(None, Some(2 * H), None), Some(&off), 3 * H, none), Decision::Wait);
    assert_eq!(
        decide(&stream(Some(H), None, None), None, 2 * H, none),
        Decision::Write { start_ms: H, end_ms: 2 * H, keep_open: false }
    );
    assert_eq!(decide(&stream(None, Some(2 * H), None), None, 3 * H, none), Decision::Forget);
}

#[test]
fn boundaries_are_multiples_of_the_interval() {
    assert_eq!(boundary(7_250, 1_000), 7_000);
    assert_eq!(boundary(H * 5 + 1, H), H * 5);
    assert_eq!(boundary(H * 5, H), H * 5);
}
