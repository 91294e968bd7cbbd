//! The evaluation algorithm of `alarms.md` §5: from the R = N + 2 most recent datapoints,
//! each breaching, not breaching or missing, to the state the alarm should be in, or "retain".
//! [`decide`] is the algorithm alone, on datapoint classes; `datapoints` reads an alarm's
//! datapoints from a [`Series`] (§3). Also here: the `StateReason` and `StateReasonData` texts
//! an evaluation produces (§6).
//!
//! Not here: what a state change does (actions, timestamps): see `state`.

use std::fmt::Write as _;

use crate::config::{AlarmConfig, MetricStatistic, StateValue, TreatMissingData};
use crate::error::{Error, Result};
use crate::metric::Series;
use crate::text::{JsonWriter, cloudwatch_time, java_double, plural, reason_time};

/// How one datapoint stands against the threshold (§3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Slot {
    /// No observations in the window (or no percentile for it): `-` in the spec's tables.
    Missing,
    /// `0` in the spec's tables.
    NotBreaching,
    /// `X` in the spec's tables.
    Breaching,
}

/// What an evaluation concludes (§5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verdict {
    Ok,
    Alarm,
    InsufficientData,
    /// Keep the current state.
    Retain,
}

/// The parameters of §5's algorithm: N, M and the missing-data treatment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    evaluation_periods: u32,
    datapoints_to_alarm: u32,
    treat_missing_data: TreatMissingData,
}

/// One datapoint of an evaluation: the window `[start_ms, start_ms + Period)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Datapoint {
    pub start_ms: i64,
    /// Observations in the window (with the alarm's unit, if it has one).
    pub sample_count: u64,
    /// The statistic's value; `None` when the datapoint is missing.
    pub value: Option<f64>,
    pub slot: Slot,
    /// Percentile alarms: fewer samples than the low-sample rule of §3 wants.
    pub low_sample_count: bool,
}

impl Rule {
    /// N = `evaluation_periods` ≥ 1 and 1 ≤ M = `datapoints_to_alarm` ≤ N.
    pub fn new(
        evaluation_periods: u32,
        datapoints_to_alarm: u32,
        treat_missing_data: TreatMissingData,
    ) -> Result<Rule> {
        if evaluation_periods < 1 {
            return Err(Error::invalid(
                "EvaluationPeriods",
                format!("`EvaluationPeriods` = {evaluation_periods} must be at least 1"),
            ));
        }
        if datapoints_to_alarm < 1 || datapoints_to_alarm > evaluation_periods {
            return Err(Error::invalid(
                "DatapointsToAlarm",
                format!(
                    "`DatapointsToAlarm` = {datapoints_to_alarm} must be between 1 and \
                     `EvaluationPeriods` = {evaluation_periods}"
                ),
            ));
        }
        Ok(Rule { evaluation_periods, datapoints_to_alarm, treat_missing_data })
    }

    /// The rule of a validated configuration.
    pub(crate) fn of(config: &AlarmConfig) -> Rule {
        let rule = Rule {
            evaluation_periods: config.evaluation_periods,
            datapoints_to_alarm: config.datapoints_to_alarm_or_default(),
            treat_missing_data: config.treat_missing_data,
        };
        debug_assert!(
            1 <= rule.datapoints_to_alarm && rule.datapoints_to_alarm <= rule.evaluation_periods
        );
        rule
    }
}

/// What the verdict rests on, for the state reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Judgement {
    pub(crate) verdict: Verdict,
    /// Indexes (into the oldest-first datapoints) of the real datapoints the verdict uses,
    /// newest first. Empty when every datapoint is missing.
    pub(crate) reals: Vec<usize>,
    /// Missing datapoints counted on the verdict's side: as breaching for `ALARM`, as not
    /// breaching for `OK`.
    pub(crate) fills: u32,
    /// Indexes of the datapoints the evaluation reports (`evaluatedDatapoints`), newest first.
    pub(crate) window: Vec<usize>,
}

/// §5's algorithm on `slots` (the evaluation range, oldest first, newest last).
pub fn decide(slots: &[Slot], rule: &Rule) -> Verdict {
    judge(slots, rule).verdict
}

pub(crate) fn judge(slots: &[Slot], rule: &Rule) -> Judgement {
    let n = rule.evaluation_periods as usize;
    let m = rule.datapoints_to_alarm as usize;
    let is = |slot_idx: &usize, slot: Slot| slots[*slot_idx] == slot;
    let newest_first = (0..slots.len()).rev();
    let reals: Vec<usize> = newest_first.clone().filter(|i| !is(i, Slot::Missing)).collect();
    // W: the N most recent slots.
    let recent: Vec<usize> = newest_first.take(n).collect();
    let n_breaching = |indexes: &[usize]| indexes.iter().filter(|i| is(i, Slot::Breaching)).count();
    let judgement = |verdict, reals: Vec<usize>, fills: usize, window: Vec<usize>| Judgement {
        verdict,
        reals,
        fills: u32::try_from(fills).unwrap_or(u32::MAX),
        window,
    };
    let alarm_if = |alarm: bool| if alarm { Verdict::Alarm } else { Verdict::Ok };

    // 1. Enough real datapoints: missing data is irrelevant.
    if reals.len() >= n {
        let evaluated = reals[..n].to_vec();
        let verdict = alarm_if(n_breaching(&evaluated) >= m);
        return judgement(verdict, evaluated.clone(), 0, evaluated);
    }

    // 2. Everything missing.
    if reals.is_empty() {
        let (verdict, fills) = match rule.treat_missing_data {
            TreatMissingData::Missing => (Verdict::InsufficientData, 0),
            TreatMissingData::Ignore => (Verdict::Retain, 0),
            TreatMissingData::Breaching => (Verdict::Alarm, n),
            TreatMissingData::NotBreaching => (Verdict::Ok, n),
        };
        return judgement(verdict, Vec::new(), fills, recent);
    }

    // 3. Some real datapoints, fewer than N: k slots are filled.
    let k = n - reals.len();
    let mut window: Vec<usize> = reals.iter().chain(&recent).copied().collect();
    window.sort_unstable_by(|a, b| b.cmp(a));
    window.dedup();
    let b = n_breaching(&reals);
    match rule.treat_missing_data {
        TreatMissingData::Breaching => {
            let alarm = b + k >= m;
            judgement(alarm_if(alarm), reals, if alarm { k } else { 0 }, window)
        }
        TreatMissingData::NotBreaching => {
            let alarm = b >= m;
            judgement(alarm_if(alarm), reals, if alarm { 0 } else { k }, window)
        }
        TreatMissingData::Missing | TreatMissingData::Ignore => {
            if b >= m {
                return judgement(Verdict::Alarm, reals, 0, window);
            }
            if reals.iter().any(|i| is(i, Slot::NotBreaching)) {
                return judgement(Verdict::Ok, reals, 0, window);
            }
            // Every real datapoint breaches, but fewer than M do. The premature-alarm rule:
            // the oldest breaching datapoint inside W, at age ≥ M (age 1 = newest slot).
            let oldest = recent.iter().enumerate().rev().find(|(_, i)| is(i, Slot::Breaching));
            match oldest {
                Some((position, _)) if position + 1 >= m => {
                    if rule.treat_missing_data == TreatMissingData::Ignore {
                        return judgement(Verdict::Retain, reals, 0, window);
                    }
                    let since = &recent[..=position];
                    let breaching: Vec<usize> =
                        since.iter().copied().filter(|i| is(i, Slot::Breaching)).collect();
                    let fills = since.len() - breaching.len();
                    judgement(Verdict::Alarm, breaching, fills, window)
                }
                _ => judgement(Verdict::Retain, reals, 0, window),
            }
        }
    }
}

/// The R datapoints of an evaluation at time `evaluation_time_ms` (T), oldest first: the
/// i-th newest aggregates `[T − i·P, T − (i−1)·P)` (§3).
pub(crate) fn datapoints(
    config: &AlarmConfig,
    series: &Series,
    evaluation_time_ms: i64,
) -> Vec<Datapoint> {
    let period_ms = config.period_ms();
    let range = i64::from(config.evaluation_range());
    let low_sample = config.ignores_low_sample_counts();
    (1..=range)
        .rev()
        .map(|i| {
            let start_ms = evaluation_time_ms - i * period_ms;
            let end_ms = start_ms + period_ms;
            let Some(stats) = series.window(start_ms, end_ms, config.unit) else {
                return Datapoint {
                    start_ms,
                    sample_count: 0,
                    value: None,
                    slot: Slot::Missing,
                    low_sample_count: false,
                };
            };
            let value = match &config.statistic {
                MetricStatistic::Statistic(statistic) => Some(stats.value(*statistic)),
                MetricStatistic::ExtendedStatistic(percentile) => {
                    series.window_percentile(start_ms, end_ms, config.unit, percentile)
                }
            };
            let slot = match value {
                None => Slot::Missing,
                Some(value) if config.comparison_operator.is_breaching(value, config.threshold) => {
                    Slot::Breaching
                }
                Some(_) => Slot::NotBreaching,
            };
            let low_sample_count = value.is_some()
                && low_sample.is_some_and(|p| p.is_low_sample_count(stats.sample_count));
            Datapoint { start_ms, sample_count: stats.sample_count, value, slot, low_sample_count }
        })
        .collect()
}

/// The `StateReason` of a change to `new` decided by `judgement` (§6).
pub(crate) fn state_reason(
    config: &AlarmConfig,
    judgement: &Judgement,
    datapoints: &[Datapoint],
    old: StateValue,
    new: StateValue,
) -> String {
    let n = config.evaluation_periods;
    let (breaching_side, not, minimum, fill_name) = match new {
        StateValue::InsufficientData => {
            return format!("Insufficient Data: {n} datapoint(s) were unknown.");
        }
        StateValue::Alarm => (true, "", config.datapoints_to_alarm_or_default(), "Breaching"),
        StateValue::Ok => {
            (false, "not ", n - config.datapoints_to_alarm_or_default() + 1, "NonBreaching")
        }
    };
    let fills = u64::from(judgement.fills);
    if judgement.reals.is_empty() {
        return format!(
            "Threshold Crossed: no datapoints were received for {n} period{} and {fills} missing \
             datapoint{} {} treated as [{fill_name}].",
            plural(u64::from(n)),
            plural(fills),
            if fills == 1 { "was" } else { "were" },
        );
    }
    let listed: Vec<&Datapoint> = judgement
        .reals
        .iter()
        .filter_map(|i| datapoints.get(*i))
        .filter(|d| (d.slot == Slot::Breaching) == breaching_side)
        .collect();
    let k = listed.len() as u64 + fills;
    let mut reason = format!("Threshold Crossed: {k} out of the last {n} datapoints [");
    for (listed_idx, datapoint) in listed.iter().enumerate() {
        if listed_idx > 0 {
            reason.push_str(", ");
        }
        let value = datapoint.value.map_or_else(|| "null".to_owned(), java_double);
        let _ = write!(reason, "{value} ({})", reason_time(datapoint.start_ms));
    }
    let _ = write!(
        reason,
        "] {} {not}{} the threshold ({})",
        if k == 1 { "was" } else { "were" },
        config.comparison_operator.phrase(),
        java_double(config.threshold),
    );
    if fills > 0 {
        let _ = write!(
            reason,
            " with {fills} missing datapoint{} treated as [{fill_name}]",
            plural(fills)
        );
    }
    let _ = write!(
        reason,
        " (minimum {minimum} datapoint{} for {old} -> {new} transition).",
        plural(u64::from(minimum)),
    );
    reason
}

/// The `StateReasonData` JSON of an evaluation (§6): the query time, the oldest evaluated
/// window, the statistic, the real values oldest first and every evaluated datapoint newest
/// first (missing ones with their timestamp only).
pub(crate) fn state_reason_data(
    config: &AlarmConfig,
    judgement: &Judgement,
    datapoints: &[Datapoint],
    query_ms: i64,
) -> String {
    let evaluated: Vec<&Datapoint> =
        judgement.window.iter().filter_map(|i| datapoints.get(*i)).collect();
    let mut json = JsonWriter::new();
    json.begin_object(None);
    json.string("version", "1.0");
    json.string("queryDate", &cloudwatch_time(query_ms));
    if let Some(oldest) = evaluated.last() {
        json.string("startDate", &cloudwatch_time(oldest.start_ms));
    }
    json.string("statistic", config.statistic.as_str());
    json.integer("period", u64::from(config.period_seconds));
    json.begin_array("recentDatapoints");
    for datapoint in evaluated.iter().rev() {
        if let Some(value) = datapoint.value {
            json.element_double(value);
        }
    }
    json.end_array();
    json.double("threshold", config.threshold);
    json.begin_array("evaluatedDatapoints");
    for datapoint in &evaluated {
        json.begin_object(None);
        json.string("timestamp", &cloudwatch_time(datapoint.start_ms));
        if let Some(value) = datapoint.value {
            json.double("sampleCount", datapoint.sample_count as f64);
            json.double("value", value);
        }
        json.end_object();
    }
    json.end_array();
    json.end_object();
    json.finish()
}
