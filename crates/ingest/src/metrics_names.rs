//! Ingest's metrics: requests, events by outcome, rejections by reason, and undecodable WAL
//! records met while rebuilding the deduplication index.

use metrics::Unit;

use crate::{Error, Outcome};

pub(crate) const REQUESTS: &str = "opentrail_ingest_requests_total";
pub(crate) const EVENTS: &str = "opentrail_ingest_events_total";
pub(crate) const REJECTIONS: &str = "opentrail_ingest_rejections_total";
pub(crate) const DECODE_ERRORS: &str = "opentrail_ingest_decode_errors_total";

/// Describes ingest's metrics to the installed recorder (their `# HELP` lines).
pub fn describe_metrics() {
    metrics::describe_counter!(REQUESTS, Unit::Count, "Append calls (one per API request)");
    metrics::describe_counter!(
        EVENTS,
        Unit::Count,
        "Events by outcome: stored, duplicate (a retry), in_flight (retry asked)"
    );
    metrics::describe_counter!(
        REJECTIONS,
        Unit::Count,
        "Append calls refused or failed, by reason: backpressure, disk_low, wal"
    );
    metrics::describe_counter!(
        DECODE_ERRORS,
        Unit::Count,
        "WAL records that are not a readable envelope, met when the index is rebuilt at start"
    );
}

/// Counts one append call's result.
pub(crate) fn record(result: &Result<Vec<Outcome>, Error>) {
    metrics::counter!(REQUESTS).increment(1);
    match result {
        Ok(outcomes) => {
            let (mut stored, mut duplicate, mut in_flight) = (0, 0, 0);
            for outcome in outcomes {
                match outcome {
                    Outcome::Stored { .. } => stored += 1,
                    Outcome::Duplicate { .. } => duplicate += 1,
                    Outcome::InFlight => in_flight += 1,
                }
            }
            metrics::counter!(EVENTS, "outcome" => "stored").increment(stored);
            metrics::counter!(EVENTS, "outcome" => "duplicate").increment(duplicate);
            metrics::counter!(EVENTS, "outcome" => "in_flight").increment(in_flight);
        }
        Err(err) => {
            let reason = match err {
                Error::Backpressure => "backpressure",
                Error::DiskLow { .. } => "disk_low",
                Error::Wal(_) => "wal",
            };
            metrics::counter!(REJECTIONS, "reason" => reason).increment(1);
        }
    }
}
