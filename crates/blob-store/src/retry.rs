//! A bounded retry loop with exponential backoff and deterministic jitter.
//!
//! [`retry`] calls an operation until it succeeds, fails with an error that is not
//! [`Error::is_retryable`], runs out of attempts, or would sleep past the policy's total time.
//! Jitter comes from a small PRNG seeded by the policy, so a test with a fixed seed sleeps the
//! same durations every run; production seeds it from anything that differs between nodes.
//! Sleeping uses tokio's clock, so tests with paused time (`start_paused`) run instantly.
//!
//! This is not a circuit breaker and keeps no state between calls.

use std::future::Future;
use std::time::Duration;

use crate::{Error, Result};

/// Hard cap on [`RetryPolicy::n_attempts_max`]: every retry loop is bounded.
pub const RETRY_ATTEMPTS_MAX: u32 = 100;

/// How [`retry`] retries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in total, including the first; at least 1, at most [`RETRY_ATTEMPTS_MAX`].
    pub n_attempts_max: u32,
    /// Backoff before the second attempt; it doubles per attempt up to `backoff_max`.
    pub backoff_initial: Duration,
    /// Largest backoff between two attempts.
    pub backoff_max: Duration,
    /// No attempt starts after this much time since the first one.
    pub elapsed_max: Duration,
    /// Seed of the jitter. Each sleep is uniformly drawn from `[backoff / 2, backoff]`.
    pub jitter_seed: u64,
}

impl RetryPolicy {
    /// A policy for delivery to object storage: 8 attempts, 200 ms doubling to 10 s, at most
    /// one minute in all.
    pub fn delivery(jitter_seed: u64) -> RetryPolicy {
        RetryPolicy {
            n_attempts_max: 8,
            backoff_initial: Duration::from_millis(200),
            backoff_max: Duration::from_secs(10),
            elapsed_max: Duration::from_secs(60),
            jitter_seed,
        }
    }

    /// The backoff after `n_failed` failed attempts (1 after the first failure), before
    /// jitter.
    pub fn backoff(&self, n_failed: u32) -> Duration {
        let factor = 1u32.checked_shl(n_failed.saturating_sub(1)).unwrap_or(u32::MAX);
        self.backoff_initial.saturating_mul(factor).min(self.backoff_max)
    }
}

/// Runs `operation` until it succeeds or the policy gives up; returns the last error then.
///
/// Only errors for which [`Error::is_retryable`] is true are retried.
pub async fn retry<T, F, Fut>(policy: &RetryPolicy, mut operation: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T>>,
{
    assert!(policy.n_attempts_max >= 1, "retry policy allows no attempt");
    let n_attempts_max = policy.n_attempts_max.min(RETRY_ATTEMPTS_MAX);
    let start = tokio::time::Instant::now();
    let mut jitter = SplitMix64(policy.jitter_seed);
    let mut n_failed = 0;
    loop {
        let err: Error = match operation().await {
            Ok(value) => return Ok(value),
            Err(err) => err,
        };
        n_failed += 1;
        if !err.is_retryable() || n_failed >= n_attempts_max {
            return Err(err);
        }
        let backoff = policy.backoff(n_failed);
        let half = backoff / 2;
        let sleep = half + jitter.below(backoff - half);
        if start.elapsed() + sleep > policy.elapsed_max {
            return Err(err);
        }
        tracing::debug!(n_failed, ?sleep, error = %err, "retrying");
        tokio::time::sleep(sleep).await;
    }
}

/// SplitMix64: tiny, seedable, good enough for jitter.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A duration uniformly drawn from `[0, bound]`, at nanosecond resolution.
    fn below(&mut self, bound: Duration) -> Duration {
        let bound_nanos = u64::try_from(bound.as_nanos()).unwrap_or(u64::MAX);
        if bound_nanos == 0 {
            return Duration::ZERO;
        }
        Duration::from_nanos(self.next() % bound_nanos.saturating_add(1).max(1))
    }
}

#[cfg(test)]
mod tests;
