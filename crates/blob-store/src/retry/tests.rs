//! Unit tests of the retry loop: backoff, jitter, and when it gives up (on paused tokio time).

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use super::*;
use crate::{InjectedFault, Operation};

fn transient() -> Error {
    Error::Transient {
        operation: Operation::Put,
        target: "b/k".into(),
        source: Box::new(InjectedFault::Down),
    }
}

fn policy() -> RetryPolicy {
    RetryPolicy {
        n_attempts_max: 5,
        backoff_initial: Duration::from_millis(100),
        backoff_max: Duration::from_millis(1000),
        elapsed_max: Duration::from_secs(60),
        jitter_seed: 7,
    }
}

#[test]
fn backoff_doubles_up_to_the_cap() {
    let policy = policy();
    let backoffs: Vec<u128> =
        (1..=6).map(|n_failed| policy.backoff(n_failed).as_millis()).collect();
    assert_eq!(backoffs, [100, 200, 400, 800, 1000, 1000]);
    assert_eq!(policy.backoff(u32::MAX), Duration::from_millis(1000));
}

#[test]
fn jitter_is_deterministic_and_bounded() {
    let draws = |seed| {
        let mut rng = SplitMix64(seed);
        (0..100).map(|_| rng.below(Duration::from_millis(50))).collect::<Vec<_>>()
    };
    assert_eq!(draws(1), draws(1));
    assert_ne!(draws(1), draws(2));
    assert!(draws(3).iter().all(|draw| *draw <= Duration::from_millis(50)));
    assert_eq!(SplitMix64(1).below(Duration::ZERO), Duration::ZERO);
}

/// Runs `retry` with an operation failing `n_failing` times; returns (result, calls, elapsed).
async fn run(
    policy: &RetryPolicy,
    n_failing: u32,
    error: fn() -> Error,
) -> (Result<u32>, u32, Duration) {
    let n_calls = AtomicU32::new(0);
    let start = tokio::time::Instant::now();
    let result = retry(policy, || async {
        let call_idx = n_calls.fetch_add(1, Ordering::SeqCst);
        if call_idx < n_failing { Err(error()) } else { Ok(call_idx) }
    })
    .await;
    (result, n_calls.load(Ordering::SeqCst), start.elapsed())
}

#[tokio::test(start_paused = true)]
async fn retries_transient_errors_until_success() {
    let (result, n_calls, elapsed) = run(&policy(), 3, transient).await;
    assert_eq!(result.unwrap(), 3);
    assert_eq!(n_calls, 4);
    // Sleeps of 100, 200, 400 ms jittered into [50, 100] + [100, 200] + [200, 400].
    assert!(
        elapsed >= Duration::from_millis(350) && elapsed <= Duration::from_millis(700),
        "{elapsed:?}"
    );
    let (_, _, elapsed_again) = run(&policy(), 3, transient).await;
    assert_eq!(elapsed, elapsed_again, "same seed, same sleeps");
}

#[tokio::test(start_paused = true)]
async fn gives_up_after_the_attempt_limit() {
    let (result, n_calls, _) = run(&policy(), 100, transient).await;
    assert!(result.unwrap_err().is_retryable());
    assert_eq!(n_calls, 5);
}

#[tokio::test(start_paused = true)]
async fn gives_up_before_the_time_limit() {
    let policy =
        RetryPolicy { n_attempts_max: 100, elapsed_max: Duration::from_secs(3), ..policy() };
    let (result, n_calls, elapsed) = run(&policy, 100, transient).await;
    assert!(result.is_err());
    assert!(elapsed <= Duration::from_secs(3), "{elapsed:?}");
    assert!((4..100).contains(&n_calls), "{n_calls}");
}

#[tokio::test(start_paused = true)]
async fn does_not_retry_permanent_errors() {
    let no_such_key = || Error::NoSuchKey { bucket: "b".into(), key: "k".into() };
    let (result, n_calls, elapsed) = run(&policy(), 100, no_such_key).await;
    assert!(matches!(result, Err(Error::NoSuchKey { .. })));
    assert_eq!(n_calls, 1);
    assert_eq!(elapsed, Duration::ZERO);
}
