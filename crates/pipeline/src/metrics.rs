//! The runner's metrics, per consumer (label `consumer`): what an operator watches to see the
//! pipeline keep up.

use metrics::{Counter, Gauge, Unit};

/// Names, for `/metrics` and the tests.
pub(crate) const LAG_BYTES: &str = "opentrail_consumer_lag_bytes";
pub(crate) const LAG_EVENTS: &str = "opentrail_consumer_lag_events";
pub(crate) const RETAINED_BYTES: &str = "opentrail_consumer_retained_bytes";
pub(crate) const EVENTS: &str = "opentrail_consumer_events_total";
pub(crate) const BATCHES: &str = "opentrail_consumer_batches_total";
pub(crate) const DECODE_ERRORS: &str = "opentrail_consumer_decode_errors_total";
pub(crate) const ERRORS: &str = "opentrail_consumer_errors_total";

/// Describes the runner's metrics to the installed recorder (their `# HELP` lines).
pub fn describe_metrics() {
    metrics::describe_gauge!(
        LAG_BYTES,
        Unit::Bytes,
        "WAL bytes acknowledged but not yet applied by the consumer"
    );
    metrics::describe_gauge!(
        LAG_EVENTS,
        Unit::Count,
        "WAL records acknowledged but not yet applied by the consumer"
    );
    metrics::describe_gauge!(
        RETAINED_BYTES,
        Unit::Bytes,
        "WAL bytes from the consumer's durable cursor to the durable end (kept for it)"
    );
    metrics::describe_counter!(EVENTS, Unit::Count, "Records of the consumer's kinds applied");
    metrics::describe_counter!(BATCHES, Unit::Count, "Batches applied");
    metrics::describe_counter!(
        DECODE_ERRORS,
        Unit::Count,
        "WAL payloads that are not a readable envelope (each is logged with its position)"
    );
    metrics::describe_counter!(ERRORS, Unit::Count, "Failed turns (each is logged and retried)");
}

/// One consumer's handles, taken once.
pub(crate) struct ConsumerMetrics {
    pub(crate) lag_bytes: Gauge,
    pub(crate) lag_events: Gauge,
    pub(crate) retained_bytes: Gauge,
    pub(crate) events: Counter,
    pub(crate) batches: Counter,
    pub(crate) decode_errors: Counter,
    pub(crate) errors: Counter,
}

impl ConsumerMetrics {
    pub(crate) fn new(consumer: &'static str) -> ConsumerMetrics {
        ConsumerMetrics {
            lag_bytes: metrics::gauge!(LAG_BYTES, "consumer" => consumer),
            lag_events: metrics::gauge!(LAG_EVENTS, "consumer" => consumer),
            retained_bytes: metrics::gauge!(RETAINED_BYTES, "consumer" => consumer),
            events: metrics::counter!(EVENTS, "consumer" => consumer),
            batches: metrics::counter!(BATCHES, "consumer" => consumer),
            decode_errors: metrics::counter!(DECODE_ERRORS, "consumer" => consumer),
            errors: metrics::counter!(ERRORS, "consumer" => consumer),
        }
    }
}
