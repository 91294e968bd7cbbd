//! The alarm definition: the PutMetricAlarm subset of `alarms.md` §2 for static-threshold
//! metric alarms, its enumerations with their API spellings (and [`StateValue`], the state the
//! definition is evaluated to), and [`AlarmConfig::validate`], which enforces every rule of §2
//! with an error naming the field and the limit.
//!
//! Not here: anomaly-detection bands and metric-math alarms (§4.3, optional; their operators
//! are rejected), composite alarms, and checking that action topics exist (the caller knows
//! its topics; this module only checks that each action is an SNS topic ARN).

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result};
use crate::limits;

/// One metric alarm's configuration, as PutMetricAlarm gives it.
#[derive(Debug, Clone, PartialEq)]
pub struct AlarmConfig {
    /// `AlarmName`: 1–255 characters, no ASCII control characters.
    pub alarm_name: String,
    /// `AlarmDescription`: 0–1024 characters; `None` when unset.
    pub alarm_description: Option<String>,
    /// `ActionsEnabled` (default `true`).
    pub actions_enabled: bool,
    /// `AlarmActions`: up to 5 SNS topic ARNs, run on transitions to `ALARM`.
    pub alarm_actions: Vec<String>,
    /// `OKActions`: up to 5 SNS topic ARNs, run on transitions to `OK`.
    pub ok_actions: Vec<String>,
    /// `InsufficientDataActions`: up to 5 SNS topic ARNs, run on transitions to
    /// `INSUFFICIENT_DATA`.
    pub insufficient_data_actions: Vec<String>,
    /// `Namespace`, `MetricName` and `Dimensions`.
    pub metric: MetricId,
    /// `Statistic` or `ExtendedStatistic` (exactly one).
    pub statistic: MetricStatistic,
    /// `Unit`: when set, only observations published with this unit count.
    pub unit: Option<Unit>,
    /// `Period`, in seconds: 10, 20, 30 or a multiple of 60.
    pub period_seconds: u32,
    /// `EvaluationPeriods` (N).
    pub evaluation_periods: u32,
    /// `DatapointsToAlarm` (M); `None` means M = N.
    pub datapoints_to_alarm: Option<u32>,
    /// `Threshold`.
    pub threshold: f64,
    /// `ComparisonOperator` (static thresholds only).
    pub comparison_operator: ComparisonOperator,
    /// `TreatMissingData` (default `missing`).
    pub treat_missing_data: TreatMissingData,
    /// `EvaluateLowSampleCountPercentile`; percentile alarms only; `None` when unset, which
    /// behaves as `evaluate`.
    pub evaluate_low_sample_count_percentile: Option<LowSampleCountPercentile>,
}

/// The metric an alarm watches. Dimensions must match exactly, in any order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricId {
    /// `Namespace`: 1–255 characters, not starting with `:`.
    pub namespace: String,
    /// `MetricName`: 1–255 characters.
    pub metric_name: String,
    /// `Dimensions`: up to 30, names unique.
    pub dimensions: Vec<Dimension>,
}

/// One dimension name/value pair.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Dimension {
    /// 1–255 characters.
    pub name: String,
    /// 1–1024 characters.
    pub value: String,
}

/// `Statistic` or `ExtendedStatistic`: exactly one of them (§2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetricStatistic {
    Statistic(Statistic),
    ExtendedStatistic(Percentile),
}

/// The five simple statistics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Statistic {
    SampleCount,
    Average,
    Sum,
    Minimum,
    Maximum,
}

/// A percentile `pNN` (`p0.0` … `p100`, at most two decimals), kept in hundredths so that the
/// low-sample rule and the rank are computed exactly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Percentile {
    hundredths: u16,
    text: String,
}

/// Comparison operators for static thresholds (§4). The value is the left operand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ComparisonOperator {
    GreaterThanOrEqualToThreshold,
    GreaterThanThreshold,
    LessThanThreshold,
    LessThanOrEqualToThreshold,
}

/// `TreatMissingData` (§5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TreatMissingData {
    Missing,
    NotBreaching,
    Breaching,
    Ignore,
}

/// `EvaluateLowSampleCountPercentile` (§3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LowSampleCountPercentile {
    Evaluate,
    Ignore,
}

/// A CloudWatch standard unit. Observations published without a unit have unit `None`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Unit {
    Seconds,
    Microseconds,
    Milliseconds,
    Bytes,
    Kilobytes,
    Megabytes,
    Gigabytes,
    Terabytes,
    Bits,
    Kilobits,
    Megabits,
    Gigabits,
    Terabits,
    Percent,
    Count,
    BytesPerSecond,
    KilobytesPerSecond,
    MegabytesPerSecond,
    GigabytesPerSecond,
    TerabytesPerSecond,
    BitsPerSecond,
    KilobitsPerSecond,
    MegabitsPerSecond,
    GigabitsPerSecond,
    TerabitsPerSecond,
    CountPerSecond,
    None,
}

/// An alarm state (§6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StateValue {
    Ok,
    Alarm,
    InsufficientData,
}

impl AlarmConfig {
    /// A configuration with the required fields; the others take their API defaults
    /// (actions enabled, no actions, no description, no unit, M = N, `missing`).
    pub fn new(
        alarm_name: impl Into<String>,
        metric: MetricId,
        statistic: MetricStatistic,
        period_seconds: u32,
        evaluation_periods: u32,
        comparison_operator: ComparisonOperator,
        threshold: f64,
    ) -> AlarmConfig {
        AlarmConfig {
            alarm_name: alarm_name.into(),
            alarm_description: None,
            actions_enabled: true,
            alarm_actions: Vec::new(),
            ok_actions: Vec::new(),
            insufficient_data_actions: Vec::new(),
            metric,
            statistic,
            unit: None,
            period_seconds,
            evaluation_periods,
            datapoints_to_alarm: None,
            threshold,
            comparison_operator,
            treat_missing_data: TreatMissingData::Missing,
            evaluate_low_sample_count_percentile: None,
        }
    }

    /// Checks every rule of §2; the error names the field and the limit.
    pub fn validate(&self) -> Result<()> {
        check_alarm_name(&self.alarm_name)?;
        if let Some(description) = &self.alarm_description {
            let n_chars = description.chars().count();
            if n_chars > limits::ALARM_DESCRIPTION_CHARS_MAX {
                return Err(Error::invalid(
                    "AlarmDescription",
                    format!(
                        "`AlarmDescription` has {n_chars} characters, at most {} are allowed",
                        limits::ALARM_DESCRIPTION_CHARS_MAX
                    ),
                ));
            }
        }
        check_actions("AlarmActions", &self.alarm_actions)?;
        check_actions("OKActions", &self.ok_actions)?;
        check_actions("InsufficientDataActions", &self.insufficient_data_actions)?;
        self.metric.validate()?;
        if self.evaluate_low_sample_count_percentile.is_some()
            && !matches!(self.statistic, MetricStatistic::ExtendedStatistic(_))
        {
            return Err(Error::combination(
                "EvaluateLowSampleCountPercentile",
                "`EvaluateLowSampleCountPercentile` applies only to percentile alarms \
                 (`ExtendedStatistic` = `pNN`)"
                    .to_owned(),
            ));
        }
        check_period(self.period_seconds)?;
        check_evaluation_periods(self.period_seconds, self.evaluation_periods)?;
        if let Some(m) = self.datapoints_to_alarm
            && (m < 1 || m > self.evaluation_periods)
        {
            return Err(Error::invalid(
                "DatapointsToAlarm",
                format!(
                    "`DatapointsToAlarm` = {m} must be between 1 and `EvaluationPeriods` = {}",
                    self.evaluation_periods
                ),
            ));
        }
        if !self.threshold.is_finite() {
            return Err(Error::invalid(
                "Threshold",
                format!("`Threshold` = {} must be a finite number", self.threshold),
            ));
        }
        Ok(())
    }

    /// M: `DatapointsToAlarm`, or N when unset.
    pub fn datapoints_to_alarm_or_default(&self) -> u32 {
        self.datapoints_to_alarm.unwrap_or(self.evaluation_periods)
    }

    /// The evaluation range R = N + 2 (§5).
    pub fn evaluation_range(&self) -> u32 {
        self.evaluation_periods.saturating_add(limits::EXTRA_DATAPOINTS)
    }

    /// The period in milliseconds.
    pub fn period_ms(&self) -> i64 {
        i64::from(self.period_seconds) * 1000
    }

    /// How far back an evaluation looks: R × Period, in milliseconds.
    pub fn range_ms(&self) -> i64 {
        i64::from(self.evaluation_range()) * self.period_ms()
    }

    /// How often the alarm is evaluated: every minute, or every 10 s for sub-minute periods
    /// (§3).
    pub fn evaluation_step_ms(&self) -> i64 {
        if self.period_seconds < 60 { 10_000 } else { 60_000 }
    }

    /// The evaluation time T for `now_ms`: `now_ms` rounded down to the evaluation step.
    pub fn evaluation_time_ms(&self, now_ms: i64) -> i64 {
        let step = self.evaluation_step_ms();
        now_ms.div_euclid(step) * step
    }

    /// Whether a window that breaches stays breaching as more observations arrive in it:
    /// `SampleCount` and `Maximum` only grow, `Sum` grows while values are non-negative (the
    /// caller checks that), and the operator is `>` or `>=`.
    pub fn breach_is_monotone(&self) -> bool {
        matches!(
            self.statistic,
            MetricStatistic::Statistic(
                Statistic::Sum | Statistic::SampleCount | Statistic::Maximum
            )
        ) && matches!(
            self.comparison_operator,
            ComparisonOperator::GreaterThanThreshold
                | ComparisonOperator::GreaterThanOrEqualToThreshold
        )
    }

    /// The action list for transitions into `state`.
    pub fn actions_for(&self, state: crate::StateValue) -> &[String] {
        match state {
            crate::StateValue::Ok => &self.ok_actions,
            crate::StateValue::Alarm => &self.alarm_actions,
            crate::StateValue::InsufficientData => &self.insufficient_data_actions,
        }
    }

    /// Whether this is a percentile alarm that leaves its state alone on low sample counts.
    pub(crate) fn ignores_low_sample_counts(&self) -> Option<&Percentile> {
        match (&self.statistic, self.evaluate_low_sample_count_percentile) {
            (MetricStatistic::ExtendedStatistic(p), Some(LowSampleCountPercentile::Ignore)) => {
                Some(p)
            }
            _ => None,
        }
    }
}

fn check_alarm_name(name: &str) -> Result<()> {
    let n_chars = name.chars().count();
    if n_chars == 0 || n_chars > limits::ALARM_NAME_CHARS_MAX {
        return Err(Error::invalid(
            "AlarmName",
            format!(
                "`AlarmName` has {n_chars} characters, it must have 1 to {}",
                limits::ALARM_NAME_CHARS_MAX
            ),
        ));
    }
    if let Some((char_idx, c)) = name.chars().enumerate().find(|(_, c)| c.is_ascii_control()) {
        return Err(Error::invalid(
            "AlarmName",
            format!(
                "`AlarmName` contains the control character U+{:04X} at character {}, \
                 control characters are not allowed",
                u32::from(c),
                char_idx + 1
            ),
        ));
    }
    Ok(())
}

fn check_actions(field: &'static str, actions: &[String]) -> Result<()> {
    if actions.len() > limits::ACTIONS_PER_STATE_MAX {
        return Err(Error::invalid(
            field,
            format!(
                "`{field}` has {} actions, at most {} are allowed",
                actions.len(),
                limits::ACTIONS_PER_STATE_MAX
            ),
        ));
    }
    for (action_idx, action) in actions.iter().enumerate() {
        if !is_topic_arn(action) {
            return Err(Error::invalid(
                field,
                format!(
                    "`{field}` member {} = `{action}` is not an SNS topic ARN \
                     (`arn:aws:sns:{{region}}:{{account}}:{{topic}}`)",
                    action_idx + 1
                ),
            ));
        }
        if actions[..action_idx].contains(action) {
            return Err(Error::invalid(
                field,
                format!("`{field}` lists `{action}` twice, each topic may appear once"),
            ));
        }
    }
    Ok(())
}

/// Whether `arn` is `arn:{partition}:sns:{region}:{12-digit account}:{topic name}` with a
/// topic name of 1–256 characters from `A-Z a-z 0-9 _ -` (§9.1).
pub fn is_topic_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.split(':').collect();
    let [prefix, partition, service, region, account, name] = parts.as_slice() else {
        return false;
    };
    *prefix == "arn"
        && !partition.is_empty()
        && partition.bytes().all(|b| b.is_ascii_lowercase() || b == b'-')
        && *service == "sns"
        && !region.is_empty()
        && region.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit())
        && !name.is_empty()
        && name.len() <= limits::TOPIC_NAME_CHARS_MAX
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn check_period(period_seconds: u32) -> Result<()> {
    if matches!(period_seconds, 10 | 20 | 30)
        || (period_seconds > 0 && period_seconds.is_multiple_of(60))
    {
        return Ok(());
    }
    let positive = if period_seconds == 0 { " greater than 0" } else { "" };
    Err(Error::invalid(
        "Period",
        format!("`Period` = {period_seconds} must be 10, 20, 30 or a multiple of 60{positive}"),
    ))
}

fn check_evaluation_periods(period_seconds: u32, evaluation_periods: u32) -> Result<()> {
    if evaluation_periods < 1 {
        return Err(Error::invalid(
            "EvaluationPeriods",
            format!("`EvaluationPeriods` = {evaluation_periods} must be at least 1"),
        ));
    }
    let total_seconds = u64::from(period_seconds) * u64::from(evaluation_periods);
    let (max, when) = if period_seconds < limits::LONG_PERIOD_SECONDS_MIN {
        (limits::EVALUATION_SECONDS_MAX_SHORT_PERIOD, "under 3600")
    } else {
        (limits::EVALUATION_SECONDS_MAX, "3600 or more")
    };
    if total_seconds > max {
        return Err(Error::invalid(
            "EvaluationPeriods",
            format!(
                "`Period` × `EvaluationPeriods` = {period_seconds} × {evaluation_periods} = \
                 {total_seconds} s must be at most {max} s when `Period` is {when}"
            ),
        ));
    }
    Ok(())
}

/// Checks that `text` has 1 to `max` characters; `what` names it in the message.
fn check_chars(field: &'static str, what: &str, text: &str, max: usize) -> Result<()> {
    let n_chars = text.chars().count();
    if n_chars == 0 || n_chars > max {
        return Err(Error::invalid(
            field,
            format!("{what} has {n_chars} characters, it must have 1 to {max}"),
        ));
    }
    Ok(())
}

impl MetricId {
    /// A metric without dimensions.
    pub fn new(namespace: impl Into<String>, metric_name: impl Into<String>) -> MetricId {
        MetricId {
            namespace: namespace.into(),
            metric_name: metric_name.into(),
            dimensions: Vec::new(),
        }
    }

    /// Adds a dimension.
    pub fn with_dimension(mut self, name: impl Into<String>, value: impl Into<String>) -> MetricId {
        self.dimensions.push(Dimension { name: name.into(), value: value.into() });
        self
    }

    /// Whether `other` names the same metric: same namespace and name, and the same set of
    /// dimensions in any order (§2: dimensions must match exactly).
    pub fn matches(&self, other: &MetricId) -> bool {
        if self.namespace != other.namespace
            || self.metric_name != other.metric_name
            || self.dimensions.len() != other.dimensions.len()
        {
            return false;
        }
        let mut mine: Vec<&Dimension> = self.dimensions.iter().collect();
        let mut theirs: Vec<&Dimension> = other.dimensions.iter().collect();
        mine.sort();
        theirs.sort();
        mine == theirs
    }

    fn validate(&self) -> Result<()> {
        check_chars("Namespace", "`Namespace`", &self.namespace, limits::METRIC_ID_CHARS_MAX)?;
        if self.namespace.starts_with(':') {
            return Err(Error::invalid(
                "Namespace",
                format!("`Namespace` `{}` must not start with `:`", self.namespace),
            ));
        }
        check_chars("MetricName", "`MetricName`", &self.metric_name, limits::METRIC_ID_CHARS_MAX)?;
        if self.dimensions.len() > limits::DIMENSIONS_MAX {
            return Err(Error::invalid(
                "Dimensions",
                format!(
                    "`Dimensions` has {} members, at most {} are allowed",
                    self.dimensions.len(),
                    limits::DIMENSIONS_MAX
                ),
            ));
        }
        for (dimension_idx, dimension) in self.dimensions.iter().enumerate() {
            let member = dimension_idx + 1;
            check_chars(
                "Dimensions",
                &format!("`Dimensions` member {member} `Name`"),
                &dimension.name,
                limits::DIMENSION_NAME_CHARS_MAX,
            )?;
            check_chars(
                "Dimensions",
                &format!("`Dimensions` member {member} `Value`"),
                &dimension.value,
                limits::DIMENSION_VALUE_CHARS_MAX,
            )?;
            if self.dimensions[..dimension_idx].iter().any(|d| d.name == dimension.name) {
                return Err(Error::invalid(
                    "Dimensions",
                    format!("`Dimensions` names `{}` twice, names must be unique", dimension.name),
                ));
            }
        }
        Ok(())
    }
}

impl MetricStatistic {
    /// Builds the statistic from the two API fields, of which exactly one must be set.
    pub fn from_api(
        statistic: Option<&str>,
        extended_statistic: Option<&str>,
    ) -> Result<MetricStatistic> {
        match (statistic, extended_statistic) {
            (Some(statistic), None) => Ok(MetricStatistic::Statistic(statistic.parse()?)),
            (None, Some(extended)) => Ok(MetricStatistic::ExtendedStatistic(extended.parse()?)),
            (Some(_), Some(_)) => Err(Error::combination(
                "Statistic",
                "`Statistic` and `ExtendedStatistic` are mutually exclusive, specify exactly one"
                    .to_owned(),
            )),
            (None, None) => Err(Error::missing(
                "Statistic",
                "one of `Statistic` or `ExtendedStatistic` is required".to_owned(),
            )),
        }
    }

    /// The API name: `Sum`, `p99`, ….
    pub fn as_str(&self) -> &str {
        match self {
            MetricStatistic::Statistic(statistic) => statistic.as_str(),
            MetricStatistic::ExtendedStatistic(percentile) => percentile.as_str(),
        }
    }
}

impl Statistic {
    /// The API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Statistic::SampleCount => "SampleCount",
            Statistic::Average => "Average",
            Statistic::Sum => "Sum",
            Statistic::Minimum => "Minimum",
            Statistic::Maximum => "Maximum",
        }
    }

    /// The upper-case spelling of alarm notifications' `Trigger.Statistic` (§8).
    pub fn notification_name(self) -> &'static str {
        match self {
            Statistic::SampleCount => "SAMPLE_COUNT",
            Statistic::Average => "AVERAGE",
            Statistic::Sum => "SUM",
            Statistic::Minimum => "MINIMUM",
            Statistic::Maximum => "MAXIMUM",
        }
    }
}

impl FromStr for Statistic {
    type Err = Error;

    fn from_str(text: &str) -> Result<Statistic> {
        Ok(match text {
            "SampleCount" => Statistic::SampleCount,
            "Average" => Statistic::Average,
            "Sum" => Statistic::Sum,
            "Minimum" => Statistic::Minimum,
            "Maximum" => Statistic::Maximum,
            _ => {
                return Err(Error::invalid(
                    "Statistic",
                    format!(
                        "`Statistic` = `{text}` must be one of `SampleCount`, `Average`, `Sum`, \
                         `Minimum`, `Maximum`"
                    ),
                ));
            }
        })
    }
}

impl Percentile {
    /// The percentile in hundredths: `p99.9` is 9990.
    pub fn hundredths(&self) -> u16 {
        self.hundredths
    }

    /// The spelling it was given in (`p99`, `p99.90`).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The 1-based nearest rank among `count` sorted values: ⌈p/100 × count⌉, at least 1.
    pub fn rank(&self, count: u64) -> u64 {
        let scaled = u128::from(self.hundredths) * u128::from(count);
        let rank = scaled.div_ceil(10_000);
        u64::try_from(rank).unwrap_or(u64::MAX).max(1)
    }

    /// Whether `sample_count` is under the low-sample threshold of §3: 10/(1−p) for p in
    /// [0.5, 1.0), 10/p for p in (0, 0.5); never for p = 0 or p = 1. Exact integer arithmetic
    /// (in f64, 10/(1−0.99) is 1000.000…9 and 1000 samples would count as too few).
    pub fn is_low_sample_count(&self, sample_count: u64) -> bool {
        let h = u128::from(self.hundredths);
        let n = u128::from(sample_count);
        match h {
            0 | 10_000 => false,
            5_000.. => n * (10_000 - h) < 100_000,
            _ => n * h < 100_000,
        }
    }
}

impl FromStr for Percentile {
    type Err = Error;

    fn from_str(text: &str) -> Result<Percentile> {
        let unsupported = || {
            Error::invalid(
                "ExtendedStatistic",
                format!(
                    "`ExtendedStatistic` = `{text}` is not supported, only percentiles `p0.0` to \
                     `p100` with at most two decimals are"
                ),
            )
        };
        let number = text.strip_prefix('p').ok_or_else(unsupported)?;
        let (integer, fraction) = number.split_once('.').unwrap_or((number, ""));
        let digits_ok = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        let well_formed = !integer.is_empty()
            && integer.len() <= 3
            && digits_ok(integer)
            && fraction.len() <= 2
            && digits_ok(fraction)
            && !(number.contains('.') && fraction.is_empty());
        if !well_formed {
            return Err(unsupported());
        }
        let integer: u32 = integer.parse().map_err(|_| unsupported())?;
        let fraction_hundredths: u32 = match fraction.len() {
            0 => 0,
            1 => fraction.parse::<u32>().map_err(|_| unsupported())? * 10,
            _ => fraction.parse::<u32>().map_err(|_| unsupported())?,
        };
        let hundredths = integer * 100 + fraction_hundredths;
        let hundredths =
            u16::try_from(hundredths).ok().filter(|h| *h <= 10_000).ok_or_else(unsupported)?;
        Ok(Percentile { hundredths, text: text.to_owned() })
    }
}

impl ComparisonOperator {
    /// The API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ComparisonOperator::GreaterThanOrEqualToThreshold => "GreaterThanOrEqualToThreshold",
            ComparisonOperator::GreaterThanThreshold => "GreaterThanThreshold",
            ComparisonOperator::LessThanThreshold => "LessThanThreshold",
            ComparisonOperator::LessThanOrEqualToThreshold => "LessThanOrEqualToThreshold",
        }
    }

    /// Whether `value ⊕ threshold` holds (§4): the datapoint is breaching.
    pub fn is_breaching(self, value: f64, threshold: f64) -> bool {
        match self {
            ComparisonOperator::GreaterThanOrEqualToThreshold => value >= threshold,
            ComparisonOperator::GreaterThanThreshold => value > threshold,
            ComparisonOperator::LessThanThreshold => value < threshold,
            ComparisonOperator::LessThanOrEqualToThreshold => value <= threshold,
        }
    }

    /// The words of a `StateReason`: "greater than or equal to", ….
    pub(crate) fn phrase(self) -> &'static str {
        match self {
            ComparisonOperator::GreaterThanOrEqualToThreshold => "greater than or equal to",
            ComparisonOperator::GreaterThanThreshold => "greater than",
            ComparisonOperator::LessThanThreshold => "less than",
            ComparisonOperator::LessThanOrEqualToThreshold => "less than or equal to",
        }
    }
}

impl FromStr for ComparisonOperator {
    type Err = Error;

    fn from_str(text: &str) -> Result<ComparisonOperator> {
        Ok(match text {
            "GreaterThanOrEqualToThreshold" => ComparisonOperator::GreaterThanOrEqualToThreshold,
            "GreaterThanThreshold" => ComparisonOperator::GreaterThanThreshold,
            "LessThanThreshold" => ComparisonOperator::LessThanThreshold,
            "LessThanOrEqualToThreshold" => ComparisonOperator::LessThanOrEqualToThreshold,
            "LessThanLowerOrGreaterThanUpperThreshold"
            | "LessThanLowerThreshold"
            | "GreaterThanUpperThreshold" => {
                return Err(Error::combination(
                    "ComparisonOperator",
                    format!(
                        "`ComparisonOperator` = `{text}` is valid only for anomaly detection \
                         alarms (`ThresholdMetricId`), which are not supported"
                    ),
                ));
            }
            _ => {
                return Err(Error::invalid(
                    "ComparisonOperator",
                    format!(
                        "`ComparisonOperator` = `{text}` must be one of \
                         `GreaterThanOrEqualToThreshold`, `GreaterThanThreshold`, \
                         `LessThanThreshold`, `LessThanOrEqualToThreshold`"
                    ),
                ));
            }
        })
    }
}

impl TreatMissingData {
    /// The API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            TreatMissingData::Missing => "missing",
            TreatMissingData::NotBreaching => "notBreaching",
            TreatMissingData::Breaching => "breaching",
            TreatMissingData::Ignore => "ignore",
        }
    }
}

impl FromStr for TreatMissingData {
    type Err = Error;

    fn from_str(text: &str) -> Result<TreatMissingData> {
        Ok(match text {
            "missing" => TreatMissingData::Missing,
            "notBreaching" => TreatMissingData::NotBreaching,
            "breaching" => TreatMissingData::Breaching,
            "ignore" => TreatMissingData::Ignore,
            _ => {
                return Err(Error::invalid(
                    "TreatMissingData",
                    format!(
                        "`TreatMissingData` = `{text}` must be one of `missing`, `notBreaching`, \
                         `breaching`, `ignore`"
                    ),
                ));
            }
        })
    }
}

impl LowSampleCountPercentile {
    /// The API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            LowSampleCountPercentile::Evaluate => "evaluate",
            LowSampleCountPercentile::Ignore => "ignore",
        }
    }
}

impl FromStr for LowSampleCountPercentile {
    type Err = Error;

    fn from_str(text: &str) -> Result<LowSampleCountPercentile> {
        match text {
            "evaluate" => Ok(LowSampleCountPercentile::Evaluate),
            "ignore" => Ok(LowSampleCountPercentile::Ignore),
            _ => Err(Error::invalid(
                "EvaluateLowSampleCountPercentile",
                format!(
                    "`EvaluateLowSampleCountPercentile` = `{text}` must be `evaluate` or `ignore`"
                ),
            )),
        }
    }
}

const UNITS: [(Unit, &str); 27] = [
    (Unit::Seconds, "Seconds"),
    (Unit::Microseconds, "Microseconds"),
    (Unit::Milliseconds, "Milliseconds"),
    (Unit::Bytes, "Bytes"),
    (Unit::Kilobytes, "Kilobytes"),
    (Unit::Megabytes, "Megabytes"),
    (Unit::Gigabytes, "Gigabytes"),
    (Unit::Terabytes, "Terabytes"),
    (Unit::Bits, "Bits"),
    (Unit::Kilobits, "Kilobits"),
    (Unit::Megabits, "Megabits"),
    (Unit::Gigabits, "Gigabits"),
    (Unit::Terabits, "Terabits"),
    (Unit::Percent, "Percent"),
    (Unit::Count, "Count"),
    (Unit::BytesPerSecond, "Bytes/Second"),
    (Unit::KilobytesPerSecond, "Kilobytes/Second"),
    (Unit::MegabytesPerSecond, "Megabytes/Second"),
    (Unit::GigabytesPerSecond, "Gigabytes/Second"),
    (Unit::TerabytesPerSecond, "Terabytes/Second"),
    (Unit::BitsPerSecond, "Bits/Second"),
    (Unit::KilobitsPerSecond, "Kilobits/Second"),
    (Unit::MegabitsPerSecond, "Megabits/Second"),
    (Unit::GigabitsPerSecond, "Gigabits/Second"),
    (Unit::TerabitsPerSecond, "Terabits/Second"),
    (Unit::CountPerSecond, "Count/Second"),
    (Unit::None, "None"),
];

impl Unit {
    /// The API spelling (`Count`, `Bytes/Second`, `None`).
    pub fn as_str(self) -> &'static str {
        UNITS.iter().find(|(unit, _)| *unit == self).map_or("None", |(_, name)| name)
    }
}

impl FromStr for Unit {
    type Err = Error;

    fn from_str(text: &str) -> Result<Unit> {
        UNITS.iter().find(|(_, name)| *name == text).map(|(unit, _)| *unit).ok_or_else(|| {
            Error::invalid("Unit", format!("`Unit` = `{text}` is not a CloudWatch standard unit"))
        })
    }
}

impl StateValue {
    /// The API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            StateValue::Ok => "OK",
            StateValue::Alarm => "ALARM",
            StateValue::InsufficientData => "INSUFFICIENT_DATA",
        }
    }
}

impl FromStr for StateValue {
    type Err = Error;

    fn from_str(text: &str) -> Result<StateValue> {
        match text {
            "OK" => Ok(StateValue::Ok),
            "ALARM" => Ok(StateValue::Alarm),
            "INSUFFICIENT_DATA" => Ok(StateValue::InsufficientData),
            _ => Err(Error::invalid(
                "StateValue",
                format!("`StateValue` = `{text}` must be `OK`, `ALARM` or `INSUFFICIENT_DATA`"),
            )),
        }
    }
}

macro_rules! display_as_str {
    ($($ty:ty),*) => {$(
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    )*};
}

display_as_str!(
    MetricStatistic,
    Statistic,
    Percentile,
    ComparisonOperator,
    TreatMissingData,
    LowSampleCountPercentile,
    Unit,
    StateValue
);
