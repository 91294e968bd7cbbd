//! Truncation: whether the newest digests of a chain were deleted together with their log
//! files. What remains is then a consistent chain, so only what the trail says it delivered
//! last shows it: the chain head in the catalog (exact), or GetTrailStatus'
//! `LatestDigestDeliveryTime` (the time of the trail's last digest upload, of any chain).
//!
//! The delivery time is only a time, not a digest: the digest stored then ends at a boundary
//! at or before it, a little earlier (the upload's lag). So a digest is expected after the
//! newest one found only once the delivery is at least one interval plus a slack past it, and
//! not when the newest one found was itself stored at the delivery time (a late upload).
//! Pure: the engine gathers the inputs.

use crate::{ChainHead, LatestDigest};

/// AWS's digest interval, assumed when the digests found do not show one.
const INTERVAL_DEFAULT_S: i64 = 3600;

/// The most an upload may lag its digest's end beyond one interval before the next digest
/// is expected: the smaller of this and the interval.
const UPLOAD_SLACK_MAX_S: i64 = 60;

/// How close an object's store time must be to the trail's last digest delivery for that
/// delivery to have been this object.
const SAME_UPLOAD_MS: i64 = 2000;

/// The newest digest of the chain found in the bucket, in the validated range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct NewestFound {
    /// Its end (the time in its key), Unix seconds.
    pub(crate) end_unix: i64,
    /// When the bucket says it was stored, Unix milliseconds.
    pub(crate) stored_ms: Option<i64>,
}

/// What the engine knows when it decides.
#[derive(Clone, Debug)]
pub(crate) struct Inputs<'a> {
    pub(crate) latest: &'a LatestDigest,
    pub(crate) newest: Option<NewestFound>,
    /// The chain's interval as its valid digests show it.
    pub(crate) interval_s: Option<i64>,
    /// The digests listed: ends in `[from, to]`, Unix seconds.
    pub(crate) range_from: i64,
    pub(crate) range_to: i64,
    /// Whether this chain gets a digest whenever the trail delivers one: the home region of
    /// the trail's own account (always has a chain), or a chain that already has a digest
    /// older than the delivery (a chain, once made, goes on while the trail logs). Needed only
    /// for `delivered_ms`, which is the trail's, not the chain's.
    pub(crate) chain_always_on: bool,
}

/// Digests the trail delivered that are not in the bucket: every one ending after `after`
/// (the newest found, if any) up to `until`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Truncation {
    pub(crate) after_unix: Option<i64>,
    /// The chain head's end, or the trail's last digest delivery (Unix seconds).
    pub(crate) until_unix: i64,
    /// The chain head's key if known; else the end of the first digest expected after the
    /// newest found, when the interval is known.
    pub(crate) key: Option<String>,
    pub(crate) first_expected_end_unix: Option<i64>,
}

/// Decides whether the chain was truncated; `None` when nothing is known to be missing.
pub(crate) fn truncation(inputs: &Inputs<'_>) -> Option<Truncation> {
    let after_unix = inputs.newest.map(|n| n.end_unix);
    if let Some(ChainHead { key, end_unix }) = &inputs.latest.chain_head {
        let head_in_range = (inputs.range_from..=inputs.range_to).contains(end_unix);
        if !head_in_range || after_unix.is_some_and(|after| after >= *end_unix) {
            return None;
        }
        return Some(Truncation {
            after_unix,
            until_unix: *end_unix,
            key: key.clone(),
            first_expected_end_unix: key.is_none().then_some(*end_unix),
        });
    }
    let delivered_ms = inputs.latest.delivered_ms?;
    let delivered_unix = delivered_ms.div_euclid(1000);
    if !inputs.chain_always_on || delivered_unix > inputs.range_to {
        return None;
    }
    if let Some(stored_ms) = inputs.newest.and_then(|n| n.stored_ms)
        && stored_ms.abs_diff(delivered_ms) <= SAME_UPLOAD_MS.unsigned_abs()
    {
        return None;
    }
    let interval_s = inputs.interval_s.filter(|n| *n > 0);
    let assumed_interval_s = interval_s.unwrap_or(INTERVAL_DEFAULT_S);
    let slack_s = assumed_interval_s.min(UPLOAD_SLACK_MAX_S);
    let base_unix = after_unix.unwrap_or(inputs.range_from);
    let expected_from = base_unix.saturating_add(assumed_interval_s).saturating_add(slack_s);
    if delivered_unix < expected_from {
        return None;
    }
    Some(Truncation {
        after_unix,
        until_unix: delivered_unix,
        key: None,
        first_expected_end_unix: after_unix.zip(interval_s).map(|(after, n)| after + n),
    })
}

#[cfg(test)]
mod tests;
