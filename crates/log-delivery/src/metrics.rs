//! Delivery's metrics, per bucket: log files and bytes stored, and failed uploads (each
//! attempt), so an operator sees a bucket refusing before anyone asks GetTrailStatus.

use metrics::Unit;

const FILES: &str = "opentrail_delivery_files_total";
const BYTES: &str = "opentrail_delivery_bytes_total";
const FAILURES: &str = "opentrail_delivery_failures_total";

/// Describes delivery's metrics to the installed recorder (their `# HELP` lines).
pub fn describe_metrics() {
    metrics::describe_counter!(FILES, Unit::Count, "Log files stored, by bucket");
    metrics::describe_counter!(BYTES, Unit::Bytes, "Gzip bytes of log files stored, by bucket");
    metrics::describe_counter!(
        FAILURES,
        Unit::Count,
        "Failed log-file uploads (every attempt), by bucket"
    );
}

pub(crate) fn stored(bucket: &str, n_bytes: usize) {
    metrics::counter!(FILES, "bucket" => bucket.to_owned()).increment(1);
    metrics::counter!(BYTES, "bucket" => bucket.to_owned()).increment(n_bytes as u64);
}

pub(crate) fn failed(bucket: &str) {
    metrics::counter!(FAILURES, "bucket" => bucket.to_owned()).increment(1);
}
