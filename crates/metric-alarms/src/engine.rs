//! The metric engine: metric filters evaluated on every event, their observations routed into
//! the series of the alarms watching each metric, and the alarms evaluated — early on an
//! arriving observation (see [`Alarm::evaluate_early`]) and once per evaluation step.
//!
//! Pure: events come in as text with their acknowledgement time, time is passed in, and state
//! changes come out as [`Transition`]s for the caller to store and act on.
//!
//! An observation is timestamped with the time OpenTrail acknowledged the event, not the
//! event's own `eventTime`: a producer's clock (or an attacker's backdating) cannot keep an
//! event out of the evaluated windows, and a late or replayed event still alerts.

use filter_pattern::{EventParser, MetricValue, PatternSet};

use crate::config::{Dimension, MetricId};
use crate::filter::CompiledFilter;
use crate::metric::{Observation, Series};
use crate::state::{Alarm, StateUpdate};

/// Whose events a metric filter sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every event OpenTrail acknowledges (installation-wide filters such as the CIS pack).
    All,
    /// Events whose `recipientAccountId` is one of these (sorted).
    Accounts(Vec<String>),
}

impl Scope {
    fn admits(&self, account: Option<&str>) -> bool {
        match self {
            Scope::All => true,
            Scope::Accounts(accounts) => {
                account.is_some_and(|a| accounts.binary_search_by(|x| x.as_str().cmp(a)).is_ok())
            }
        }
    }
}

/// A metric filter with its owner and scope.
#[derive(Debug, Clone)]
pub struct FilterEntry {
    /// The account and region the filter (and its metric) belongs to.
    pub account_id: String,
    pub region: String,
    pub filter: CompiledFilter,
    pub scope: Scope,
}

/// An alarm with its owner and the series of its metric.
#[derive(Debug, Clone)]
pub struct AlarmEntry {
    pub account_id: String,
    pub region: String,
    pub alarm: Alarm,
    series: Series,
    /// The evaluation time T of the last regular evaluation.
    last_evaluation_ms: Option<i64>,
}

impl AlarmEntry {
    /// The series being filled for this alarm.
    pub fn series(&self) -> &Series {
        &self.series
    }

    fn transition(&self, update: StateUpdate) -> Transition {
        Transition {
            account_id: self.account_id.clone(),
            region: self.region.clone(),
            alarm: self.alarm.clone(),
            update,
        }
    }
}

/// A state change for the caller to store, and whose actions to run.
#[derive(Debug, Clone)]
pub struct Transition {
    pub account_id: String,
    pub region: String,
    /// The alarm after the change.
    pub alarm: Alarm,
    pub update: StateUpdate,
}

/// Counters of what the engine did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EngineStats {
    pub events: u64,
    pub matches: u64,
    pub observations: u64,
    /// Observations a series refused (non-finite value, out of range).
    pub refused: u64,
}

/// Metric filters and alarms.
pub struct Engine {
    filters: Vec<FilterEntry>,
    set: PatternSet,
    /// Filters with a `defaultValue` (they observe non-matching events too).
    with_default: Vec<usize>,
    alarms: Vec<AlarmEntry>,
    parser: EventParser,
    matched: Vec<usize>,
    stats: EngineStats,
}

impl Default for Engine {
    fn default() -> Engine {
        Engine::new()
    }
}

/// `"recipientAccountId":"…"` of a compact or pretty record, without a full parse.
fn recipient_account(record: &str) -> Option<&str> {
    const KEY: &str = "\"recipientAccountId\"";
    let mut rest = record;
    while let Some(at) = rest.find(KEY) {
        let after = rest[at + KEY.len()..].trim_start();
        if let Some(after) = after.strip_prefix(':') {
            let after = after.trim_start();
            if let Some(value) = after.strip_prefix('"') {
                return value.find('"').map(|end| &value[..end]);
            }
            return None;
        }
        rest = &rest[at + KEY.len()..];
    }
    None
}

impl Engine {
    pub fn new() -> Engine {
        Engine {
            filters: Vec::new(),
            set: PatternSet::new(Vec::new()),
            with_default: Vec::new(),
            alarms: Vec::new(),
            parser: EventParser::new(),
            matched: Vec::new(),
            stats: EngineStats::default(),
        }
    }

    /// Replaces every metric filter.
    pub fn set_filters(&mut self, filters: Vec<FilterEntry>) {
        self.set = PatternSet::new(filters.iter().map(|f| f.filter.pattern.clone()).collect());
        self.with_default = filters
            .iter()
            .enumerate()
            .filter(|(_, f)| f.filter.filter.transformation.default_value.is_some())
            .map(|(idx, _)| idx)
            .collect();
        self.filters = filters;
    }

    /// The metric filters.
    pub fn filters(&self) -> &[FilterEntry] {
        &self.filters
    }

    /// Adds or replaces an alarm. A replaced alarm keeps its series when its metric, period
    /// and statistic kind are unchanged.
    pub fn put_alarm(&mut self, account_id: &str, region: &str, alarm: Alarm) {
        let name = alarm.config().alarm_name.clone();
        let fresh = Series::for_alarm(alarm.config());
        match self.position(account_id, region, &name) {
            Some(idx) => {
                let entry = &mut self.alarms[idx];
                let old = entry.alarm.config();
                let keeps = old.metric.matches(&alarm.config().metric)
                    && old.period_seconds == alarm.config().period_seconds
                    && old.statistic == alarm.config().statistic
                    && old.evaluation_periods == alarm.config().evaluation_periods;
                if !keeps {
                    entry.series = fresh;
                }
                entry.alarm = alarm;
            }
            None => self.alarms.push(AlarmEntry {
                account_id: account_id.to_owned(),
                region: region.to_owned(),
                alarm,
                series: fresh,
                last_evaluation_ms: None,
            }),
        }
    }

    /// Removes an alarm; `false` when there was none.
    pub fn remove_alarm(&mut self, account_id: &str, region: &str, name: &str) -> bool {
        match self.position(account_id, region, name) {
            Some(idx) => {
                self.alarms.remove(idx);
                true
            }
            None => false,
        }
    }

    fn position(&self, account_id: &str, region: &str, name: &str) -> Option<usize> {
        self.alarms.iter().position(|e| {
            e.account_id == account_id && e.region == region && e.alarm.config().alarm_name == name
        })
    }

    /// One alarm.
    pub fn alarm(&self, account_id: &str, region: &str, name: &str) -> Option<&AlarmEntry> {
        self.position(account_id, region, name).map(|idx| &self.alarms[idx])
    }

    /// Mutable access to one alarm (SetAlarmState, Enable/DisableAlarmActions).
    pub fn alarm_mut(&mut self, account_id: &str, region: &str, name: &str) -> Option<&mut Alarm> {
        self.position(account_id, region, name).map(|idx| &mut self.alarms[idx].alarm)
    }

    /// Every alarm, in insertion order.
    pub fn alarms(&self) -> &[AlarmEntry] {
        &self.alarms
    }

    pub fn stats(&self) -> EngineStats {
        self.stats
    }

    /// Evaluates every filter on one event acknowledged at `acknowledged_ms`, records the
    /// observations, and evaluates the alarms they touch early (at `now_ms`); state changes
    /// are appended to `out`.
    pub fn observe(
        &mut self,
        record: &str,
        acknowledged_ms: i64,
        now_ms: i64,
        out: &mut Vec<Transition>,
    ) {
        self.stats.events += 1;
        if self.filters.is_empty() {
            return;
        }
        let event = self.parser.parse(record);
        self.set.matching(&event, &mut self.matched);
        if self.matched.is_empty() && self.with_default.is_empty() {
            return;
        }
        let account = recipient_account(record);
        let mut touched: Vec<usize> = Vec::new();
        let mut observations: Vec<(usize, MetricId, f64)> = Vec::new();
        for &idx in &self.matched {
            let entry = &self.filters[idx];
            if entry.filter.filter.creation_time_ms > acknowledged_ms
                || !entry.scope.admits(account)
            {
                continue;
            }
            self.stats.matches += 1;
            let compiled = &entry.filter;
            let t = &compiled.filter.transformation;
            let mut metric = MetricId::new(t.metric_namespace.clone(), t.metric_name.clone());
            let value = match (&compiled.value, compiled.dimensions.is_empty()) {
                (MetricValue::Literal(number), true) => Some(number.value()),
                _ => match compiled.pattern.find(&event) {
                    Some(found) => {
                        for (name, field) in &compiled.dimensions {
                            if let Some(resolved) = found.resolve(field)
                                && let Some(text) = resolved.dimension_value()
                            {
                                metric
                                    .dimensions
                                    .push(Dimension { name: name.clone(), value: text.to_owned() });
                            }
                        }
                        found.metric_value(&compiled.value)
                    }
                    None => None,
                },
            };
            if let Some(value) = value {
                observations.push((idx, metric, value));
            }
        }
        for &idx in &self.with_default {
            if self.matched.binary_search(&idx).is_ok() {
                continue;
            }
            let entry = &self.filters[idx];
            if entry.filter.filter.creation_time_ms > acknowledged_ms
                || !entry.scope.admits(account)
            {
                continue;
            }
            let t = &entry.filter.filter.transformation;
            if let Some(default) = t.default_value {
                let metric = MetricId::new(t.metric_namespace.clone(), t.metric_name.clone());
                observations.push((idx, metric, default));
            }
        }
        for (filter_idx, metric, value) in observations {
            self.stats.observations += 1;
            let entry = &self.filters[filter_idx];
            let observation = Observation {
                timestamp_ms: acknowledged_ms,
                value,
                unit: entry.filter.filter.transformation.unit,
            };
            for (alarm_idx, alarm) in self.alarms.iter_mut().enumerate() {
                if alarm.account_id != entry.account_id
                    || alarm.region != entry.region
                    || !alarm.alarm.config().metric.matches(&metric)
                {
                    continue;
                }
                if alarm.series.record(&observation, now_ms).is_err() {
                    self.stats.refused += 1;
                    continue;
                }
                if !touched.contains(&alarm_idx) {
                    touched.push(alarm_idx);
                }
            }
        }
        for idx in touched {
            let entry = &mut self.alarms[idx];
            if let Ok(Some(evaluation)) = entry.alarm.evaluate_early(&entry.series, now_ms)
                && let Some(update) = evaluation.update
            {
                out.push(entry.transition(update));
            }
        }
    }

    /// Runs the regular evaluation of every alarm whose evaluation time has moved on since its
    /// last one (or that was never evaluated).
    pub fn evaluate_due(&mut self, now_ms: i64, out: &mut Vec<Transition>) {
        for entry in &mut self.alarms {
            let t = entry.alarm.config().evaluation_time_ms(now_ms);
            if entry.last_evaluation_ms.is_some_and(|last| last >= t)
                && !entry.alarm.state().unchecked
            {
                continue;
            }
            entry.last_evaluation_ms = Some(t);
            entry.series.prune(now_ms);
            // A state set after T (an early evaluation, which already looked at the window
            // ending after T, or SetAlarmState) stands until the next evaluation time: after a
            // restart within the same minute, the older window must not undo it.
            if !entry.alarm.state().unchecked && entry.alarm.state().updated_ms > t {
                continue;
            }
            if let Ok(evaluation) = entry.alarm.evaluate(&entry.series, now_ms)
                && let Some(update) = evaluation.update
            {
                out.push(entry.transition(update));
            }
        }
    }

    /// Evaluates one alarm now (a new alarm is evaluated at once, as AWS does).
    pub fn evaluate_one(
        &mut self,
        account_id: &str,
        region: &str,
        name: &str,
        now_ms: i64,
        out: &mut Vec<Transition>,
    ) {
        let Some(idx) = self.position(account_id, region, name) else { return };
        let entry = &mut self.alarms[idx];
        if !entry.alarm.state().unchecked {
            return;
        }
        entry.last_evaluation_ms = Some(entry.alarm.config().evaluation_time_ms(now_ms));
        if let Ok(evaluation) = entry.alarm.evaluate(&entry.series, now_ms)
            && let Some(update) = evaluation.update
        {
            out.push(entry.transition(update));
        }
    }

    /// When the next regular evaluation is due (the earliest next evaluation step).
    pub fn next_evaluation_ms(&self, now_ms: i64) -> Option<i64> {
        self.alarms
            .iter()
            .map(|e| {
                let step = e.alarm.config().evaluation_step_ms();
                e.alarm.config().evaluation_time_ms(now_ms) + step
            })
            .min()
    }

    /// The longest time any alarm's series looks back (what a restart must replay).
    pub fn lookback_ms(&self) -> i64 {
        self.alarms.iter().map(|e| e.series.retention_ms()).max().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::recipient_account;

    #[test]
    fn recipient_account_is_found_in_compact_and_spaced_records() {
        assert_eq!(
            recipient_account(r#"{"a":"recipientAccountId","recipientAccountId":"111122223333"}"#),
            Some("111122223333")
        );
        assert_eq!(recipient_account(r#"{"recipientAccountId" : "1"}"#), Some("1"));
        assert_eq!(recipient_account(r#"{"x":1}"#), None);
    }
}
