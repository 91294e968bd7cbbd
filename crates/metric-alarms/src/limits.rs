//! Every bound an alarm, its datapoints and its notifications have, named once
//! (`alarms.md` §2, §3, §5, §8, §9 and the (INF) choices this crate makes to keep memory
//! bounded).

/// Longest `AlarmName`, in characters (API).
pub const ALARM_NAME_CHARS_MAX: usize = 255;

/// Longest `AlarmDescription`, in characters (API).
pub const ALARM_DESCRIPTION_CHARS_MAX: usize = 1024;

/// Topics in each of `AlarmActions`, `OKActions` and `InsufficientDataActions` (API).
pub const ACTIONS_PER_STATE_MAX: usize = 5;

/// Longest `Namespace` and `MetricName`, in characters (API).
pub const METRIC_ID_CHARS_MAX: usize = 255;

/// Dimensions of one metric (API).
pub const DIMENSIONS_MAX: usize = 30;

/// Longest dimension name, in characters (API).
pub const DIMENSION_NAME_CHARS_MAX: usize = 255;

/// Longest dimension value, in characters (API).
pub const DIMENSION_VALUE_CHARS_MAX: usize = 1024;

/// Longest SNS topic name, in characters (`alarms.md` §9.1).
pub const TOPIC_NAME_CHARS_MAX: usize = 256;

/// Largest `Period × EvaluationPeriods` when `Period` is under an hour (API).
pub const EVALUATION_SECONDS_MAX_SHORT_PERIOD: u64 = 86_400;

/// Largest `Period × EvaluationPeriods` when `Period` is an hour or more (API).
pub const EVALUATION_SECONDS_MAX: u64 = 604_800;

/// `Period` from which the larger evaluation bound applies.
pub const LONG_PERIOD_SECONDS_MIN: u32 = 3_600;

/// Datapoints retrieved beyond `EvaluationPeriods`: the evaluation range is R = N + 2 (§5, INF).
pub const EXTRA_DATAPOINTS: u32 = 2;

/// Largest evaluation range `R × Period`, in milliseconds: N × P ≤ 7 days and 2 × P ≤ 14 days.
pub const RANGE_MS_MAX: i64 = (EVALUATION_SECONDS_MAX as i64) * 1000 * 3;

/// How long evaluations may lag behind the latest `now` given to [`crate::Series::record`]
/// and still see all their data (INF): the series keeps this much beyond the evaluation range.
pub const EVALUATION_DELAY_MAX_MS: i64 = 15 * 60 * 1000;

/// How far after `now` an observation's timestamp may be (INF, as PutMetricData's two hours).
pub const FUTURE_TOLERANCE_MS: i64 = 2 * 60 * 60 * 1000;

/// Largest magnitude of an observed value; CloudWatch rejects values outside ±2^360 (DOC). It
/// also keeps sums finite: 2^64 observations of 2^360 stay far below `f64::MAX`.
pub const VALUE_MAGNITUDE_MAX: f64 = 2.348_542_582_773_833_2e108;

/// Distinct values one bucket keeps exactly for percentiles; beyond it the bucket switches to
/// a fixed relative-precision grid with at most 0.79 % relative error (INF; §3 allows 1 %).
pub const DISTINCT_VALUES_PER_BUCKET_MAX: usize = 4096;

/// Mantissa bits kept by the relative-precision grid: relative error ≤ 2^-(bits + 1).
pub const APPROXIMATE_MANTISSA_BITS: u32 = 6;

/// Latest accepted time, in Unix milliseconds: 9999-12-31T23:59:59.999Z, so that every time
/// prints with a four-digit year. The earliest is the Unix epoch.
pub const TIME_MS_MAX: i64 = 253_402_300_799_999;

/// Longest `StateReason` given to SetAlarmState, in characters (API).
pub const STATE_REASON_CHARS_MAX: usize = 1023;

/// Longest `StateReasonData` given to SetAlarmState, in characters (API).
pub const STATE_REASON_DATA_CHARS_MAX: usize = 4000;

/// Longest SNS `Subject`, in characters (§8, §9.1).
pub const SUBJECT_CHARS_MAX: usize = 100;

/// Metric alarms one account may have, every region together (INF: a server cap so one tenant
/// cannot grow the engine without bound; CloudWatch's own quota is per region and larger).
pub const ALARMS_PER_ACCOUNT_MAX: usize = 5_000;

/// Notification targets one account may have, every region together (INF: SNS allows 100,000
/// topics; a target here is a handful of endpoints an alarm action names).
pub const TARGETS_PER_ACCOUNT_MAX: usize = 100;

/// Log groups one account may have, every region together (INF: CloudWatch Logs allows
/// 1,000,000 per region; a group here holds only metric filters).
pub const LOG_GROUPS_PER_ACCOUNT_MAX: usize = 10_000;

/// Metric filters one log group may have (DOC: CloudWatch Logs' quota).
pub const METRIC_FILTERS_PER_LOG_GROUP_MAX: usize = 100;

const _: () = assert!(ACTIONS_PER_STATE_MAX > 0);
// Every alarm's actions can name distinct targets of its own account.
const _: () = assert!(TARGETS_PER_ACCOUNT_MAX >= 3 * ACTIONS_PER_STATE_MAX);
const _: () = assert!(EVALUATION_SECONDS_MAX_SHORT_PERIOD < EVALUATION_SECONDS_MAX);
// The evaluation range is (N + 2) × P with N × P ≤ 7 days and P ≤ 7 days.
const _: () = assert!(EXTRA_DATAPOINTS == 2);
const _: () = assert!(APPROXIMATE_MANTISSA_BITS < 52);
// 2^-(6 + 1) = 0.78 % < the 1 % the spec allows.
const _: () = assert!(APPROXIMATE_MANTISSA_BITS >= 6);
