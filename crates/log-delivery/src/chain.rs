//! The pure rule of digest chains (`../shared/spec/integrity.md` §6): at a digest boundary,
//! whether a chain (trail × account × delivering region) waits, gets its next digest and stays
//! open, gets a final digest and closes, or is forgotten. [`crate::digests`] applies it.
//!
//! A chain goes on only while its trail was logging and validating the whole time; after a
//! gap the next digest starts a new chain, which validate-logs reports rather than hides.

use catalog::{DigestStream, LoggingWindow};

/// What a trail's configuration says about its chains.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct TrailState {
    pub(crate) validation: bool,
    pub(crate) windows: Vec<LoggingWindow>,
}

impl TrailState {
    /// Validating and logging right now.
    pub(crate) fn active(&self) -> bool {
        self.validation && self.windows.last().is_some_and(|w| w.until_ms.is_none())
    }
}

/// What to do with one chain at a boundary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Nothing is due.
    Wait,
    /// The chain is closed, empty and its trail is gone: forget it.
    Forget,
    /// Write the digest `[start_ms, end_ms)`; it follows the head when the chain is open;
    /// afterwards the chain stays open (`keep_open`) or closes.
    Write { start_ms: i64, end_ms: i64, keep_open: bool },
}

/// The pure rule. `boundary_ms` is the latest digest boundary that has passed;
/// `first_pending(end)` is the store time of the earliest undigested file stored before `end`.
pub(crate) fn decide(
    stream: &DigestStream,
    trail: Option<&TrailState>,
    boundary_ms: i64,
    first_pending: impl Fn(i64) -> Option<i64>,
) -> Decision {
    let planned = stream.planned_end_ms;
    let end_ms = planned.unwrap_or(boundary_ms);
    match &stream.head {
        Some(head) => {
            if planned.is_none() && end_ms <= head.end_ms {
                return Decision::Wait;
            }
            // The chain goes on only if the trail validated and logged the whole time.
            let continuous = trail.is_some_and(|t| {
                t.validation
                    && t.windows.iter().any(|w| {
                        w.since_ms <= head.end_ms && w.until_ms.is_none_or(|until| until >= end_ms)
                    })
            });
            Decision::Write { start_ms: head.end_ms, end_ms, keep_open: continuous }
        }
        None => {
            let active = trail.is_some_and(TrailState::active);
            let first = first_pending(end_ms);
            let start_ms = if active {
                let since =
                    trail.and_then(|t| t.windows.last()).map_or(end_ms, |window| window.since_ms);
                since.max(stream.closed_at_ms.unwrap_or(i64::MIN))
            } else if let Some(first) = first {
                stream.closed_at_ms.unwrap_or(first).min(first)
            } else if trail.is_none() && planned.is_none() {
                return Decision::Forget;
            } else if planned.is_none() {
                return Decision::Wait;
            } else {
                stream.closed_at_ms.unwrap_or(end_ms)
            };
            // A chain whose trail began logging after the boundary starts at the next one.
            if planned.is_none() && start_ms.div_euclid(1000) >= end_ms.div_euclid(1000) {
                return Decision::Wait;
            }
            Decision::Write { start_ms: start_ms.min(end_ms), end_ms, keep_open: active }
        }
    }
}

/// The latest boundary at or before `now_ms` for an interval of `interval_ms`.
pub(crate) fn boundary(now_ms: i64, interval_ms: i64) -> i64 {
    now_ms.div_euclid(interval_ms) * interval_ms
}

#[cfg(test)]
mod tests;
