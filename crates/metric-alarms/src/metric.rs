//! One metric's observations, aggregated into time buckets from which any evaluation window
//! of `alarms.md` §3 is answered exactly: `[T − i·P, T − (i−1)·P)` always starts and ends on a
//! bucket boundary, because T is a whole minute (every 10 s for sub-minute periods) and P is a
//! multiple of the bucket width.
//!
//! Each bucket keeps, per unit, a statistic set (SampleCount, Sum, Minimum, Maximum) and,
//! when the series keeps values, the multiset of observed values for exact nearest-rank
//! percentiles. Memory is bounded: buckets older than the retention (what any evaluation can
//! still need) are dropped, observations more than two hours ahead are refused, and a bucket
//! with more than [`limits::DISTINCT_VALUES_PER_BUCKET_MAX`] distinct values switches to a grid
//! of relative precision 2^-7 (≤ 0.79 % error, within the 1 % the spec allows).
//!
//! Not here: routing observations to series (match [`crate::MetricId`]s), metric filters, and
//! any notion of the current time: `now` is always passed in.

use std::collections::BTreeMap;

use crate::config::{AlarmConfig, MetricStatistic, Percentile, Statistic, Unit};
use crate::error::{Error, Result, check_time};
use crate::limits;

/// One observed value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Observation {
    /// When it happened (for CloudTrail metric filters: the event time), Unix milliseconds.
    pub timestamp_ms: i64,
    /// The value: finite, within ±2^360.
    pub value: f64,
    /// The unit it was published with; `None` is CloudWatch's unit `None`.
    pub unit: Option<Unit>,
}

/// The bucket width of a series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    /// 10-second buckets: needed by periods of 10, 20 and 30 s.
    TenSeconds,
    /// 1-minute buckets: enough for periods that are multiples of 60 s.
    OneMinute,
}

impl Resolution {
    /// The bucket width in milliseconds.
    pub fn ms(self) -> i64 {
        match self {
            Resolution::TenSeconds => 10_000,
            Resolution::OneMinute => 60_000,
        }
    }

    /// The coarsest resolution that answers windows of `period_seconds`.
    pub fn for_period(period_seconds: u32) -> Resolution {
        if period_seconds.is_multiple_of(60) {
            Resolution::OneMinute
        } else {
            Resolution::TenSeconds
        }
    }
}

/// Aggregates of the observations in a window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WindowStats {
    /// Number of observations; at least 1 (an empty window has no stats).
    pub sample_count: u64,
    pub sum: f64,
    pub minimum: f64,
    pub maximum: f64,
}

impl WindowStats {
    /// The value of a simple statistic (§3's table).
    pub fn value(&self, statistic: Statistic) -> f64 {
        match statistic {
            // Exact for counts below 2^53; beyond that CloudWatch's doubles round too.
            Statistic::SampleCount => self.sample_count as f64,
            Statistic::Sum => self.sum,
            Statistic::Average => self.sum / self.sample_count as f64,
            Statistic::Minimum => self.minimum,
            Statistic::Maximum => self.maximum,
        }
    }
}

/// Observations of one metric, bucketed.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    resolution: Resolution,
    retention_ms: i64,
    keep_values: bool,
    /// Buckets starting before this were dropped; observations before it are refused.
    horizon_ms: i64,
    buckets: BTreeMap<i64, Bucket>,
}

/// One bucket: a statistic set per unit, sorted by unit.
#[derive(Debug, Clone, PartialEq)]
struct Bucket {
    by_unit: Vec<(Unit, Stats)>,
}

#[derive(Debug, Clone, PartialEq)]
struct Stats {
    sample_count: u64,
    sum: f64,
    minimum: f64,
    maximum: f64,
    values: Values,
}

/// The multiset of values of a bucket, for percentiles. Keys are the bits of non-negative
/// doubles, whose order is the numeric order.
#[derive(Debug, Clone, PartialEq)]
enum Values {
    /// The series does not keep values.
    NotKept,
    /// Every distinct value with its count.
    Exact(BTreeMap<u64, u64>),
    /// Values rounded to the relative-precision grid, with counts.
    Approximate(BTreeMap<u64, u64>),
    /// A negative value was observed: percentiles are unavailable (§3).
    Unavailable,
}

impl Series {
    /// An empty series. `retention_ms` is how far before `now` data is kept; `keep_values`
    /// makes percentiles available.
    pub fn new(resolution: Resolution, retention_ms: i64, keep_values: bool) -> Series {
        Series {
            resolution,
            retention_ms: retention_ms.max(0),
            keep_values,
            horizon_ms: i64::MIN,
            buckets: BTreeMap::new(),
        }
    }

    /// An empty series that can serve `config`: fine enough buckets for its period, values
    /// kept for percentile alarms, and retention for the evaluation range plus the evaluation
    /// step and [`limits::EVALUATION_DELAY_MAX_MS`].
    pub fn for_alarm(config: &AlarmConfig) -> Series {
        Series::new(
            Resolution::for_period(config.period_seconds),
            config.range_ms() + config.evaluation_step_ms() + limits::EVALUATION_DELAY_MAX_MS,
            matches!(config.statistic, MetricStatistic::ExtendedStatistic(_)),
        )
    }

    pub fn resolution(&self) -> Resolution {
        self.resolution
    }

    pub fn retention_ms(&self) -> i64 {
        self.retention_ms
    }

    pub fn keeps_values(&self) -> bool {
        self.keep_values
    }

    /// Number of buckets held (for tests and memory accounting).
    pub fn bucket_count(&self) -> usize {
        self.buckets.len()
    }

    /// Adds one observation. Drops buckets that fell out of the retention first; refuses
    /// non-finite or out-of-range values and timestamps outside `[now − retention, now + 2 h]`.
    pub fn record(&mut self, observation: &Observation, now_ms: i64) -> Result<()> {
        check_time(now_ms)?;
        check_time(observation.timestamp_ms)?;
        let value = observation.value;
        if !value.is_finite() || value.abs() > limits::VALUE_MAGNITUDE_MAX {
            return Err(Error::ValueOutOfRange { value });
        }
        self.prune(now_ms);
        let timestamp_ms = observation.timestamp_ms;
        if timestamp_ms < self.horizon_ms {
            return Err(Error::ObservationTooOld { timestamp_ms, horizon_ms: self.horizon_ms });
        }
        if timestamp_ms > now_ms + limits::FUTURE_TOLERANCE_MS {
            return Err(Error::ObservationInFuture { timestamp_ms, now_ms });
        }
        let width = self.resolution.ms();
        let bucket_start = timestamp_ms.div_euclid(width) * width;
        let unit = observation.unit.unwrap_or(Unit::None);
        let bucket = self.buckets.entry(bucket_start).or_insert(Bucket { by_unit: Vec::new() });
        match bucket.by_unit.binary_search_by_key(&unit, |(unit, _)| *unit) {
            Ok(unit_idx) => bucket.by_unit[unit_idx].1.add(value),
            Err(unit_idx) => {
                bucket.by_unit.insert(unit_idx, (unit, Stats::new(value, self.keep_values)));
            }
        }
        Ok(())
    }

    /// Drops the buckets that no evaluation at or after `now_ms − EVALUATION_DELAY_MAX_MS`
    /// can need. Idempotent; an earlier `now_ms` than before changes nothing.
    pub fn prune(&mut self, now_ms: i64) {
        let width = self.resolution.ms();
        let horizon_ms = now_ms.saturating_sub(self.retention_ms).div_euclid(width) * width;
        if horizon_ms > self.horizon_ms {
            self.horizon_ms = horizon_ms;
            self.buckets = self.buckets.split_off(&horizon_ms);
        }
    }

    /// The statistic set of the observations in `[start_ms, end_ms)` with `unit` (any unit
    /// when `None`), or `None` when there are none. Both ends should be bucket boundaries.
    pub fn window(&self, start_ms: i64, end_ms: i64, unit: Option<Unit>) -> Option<WindowStats> {
        let mut window: Option<WindowStats> = None;
        for stats in self.stats_in(start_ms, end_ms, unit) {
            window = Some(match window {
                None => WindowStats {
                    sample_count: stats.sample_count,
                    sum: stats.sum,
                    minimum: stats.minimum,
                    maximum: stats.maximum,
                },
                Some(w) => WindowStats {
                    sample_count: w.sample_count.saturating_add(stats.sample_count),
                    sum: w.sum + stats.sum,
                    minimum: w.minimum.min(stats.minimum),
                    maximum: w.maximum.max(stats.maximum),
                },
            });
        }
        window
    }

    /// The nearest-rank percentile of the observations in `[start_ms, end_ms)` with `unit`, or
    /// `None` when there are none, the series does not keep values, or one of them is
    /// negative (§3: percentiles are unavailable for metrics with negative values).
    pub fn window_percentile(
        &self,
        start_ms: i64,
        end_ms: i64,
        unit: Option<Unit>,
        percentile: &Percentile,
    ) -> Option<f64> {
        let mut counted: Vec<(u64, u64)> = Vec::new();
        for stats in self.stats_in(start_ms, end_ms, unit) {
            match &stats.values {
                Values::Exact(values) | Values::Approximate(values) => {
                    counted.extend(values.iter().map(|(bits, count)| (*bits, *count)));
                }
                Values::NotKept | Values::Unavailable => return None,
            }
        }
        counted.sort_unstable();
        let total = counted.iter().fold(0u64, |total, (_, count)| total.saturating_add(*count));
        if total == 0 {
            return None;
        }
        let rank = percentile.rank(total);
        let mut seen = 0u64;
        for (bits, count) in &counted {
            seen = seen.saturating_add(*count);
            if seen >= rank {
                return Some(f64::from_bits(*bits));
            }
        }
        counted.last().map(|(bits, _)| f64::from_bits(*bits))
    }

    /// The statistic sets in `[start_ms, end_ms)` with `unit`, oldest first.
    fn stats_in(
        &self,
        start_ms: i64,
        end_ms: i64,
        unit: Option<Unit>,
    ) -> impl Iterator<Item = &Stats> {
        let range = if start_ms < end_ms { Some(start_ms..end_ms) } else { None };
        range
            .into_iter()
            .flat_map(|range| self.buckets.range(range))
            .flat_map(|(_, bucket)| bucket.by_unit.iter())
            .filter(move |(bucket_unit, _)| unit.is_none_or(|unit| unit == *bucket_unit))
            .map(|(_, stats)| stats)
    }
}

impl Stats {
    fn new(value: f64, keep_values: bool) -> Stats {
        let mut stats = Stats {
            sample_count: 0,
            sum: 0.0,
            minimum: value,
            maximum: value,
            values: if keep_values { Values::Exact(BTreeMap::new()) } else { Values::NotKept },
        };
        stats.add(value);
        stats
    }

    fn add(&mut self, value: f64) {
        self.sample_count = self.sample_count.saturating_add(1);
        self.sum += value;
        self.minimum = self.minimum.min(value);
        self.maximum = self.maximum.max(value);
        if value < 0.0 && !matches!(self.values, Values::NotKept) {
            self.values = Values::Unavailable;
        }
        match &mut self.values {
            Values::NotKept | Values::Unavailable => {}
            Values::Exact(values) => {
                *values.entry(value_key(value)).or_insert(0) += 1;
                if values.len() > limits::DISTINCT_VALUES_PER_BUCKET_MAX {
                    let mut approximate = BTreeMap::new();
                    for (bits, count) in std::mem::take(values) {
                        *approximate.entry(grid_key(f64::from_bits(bits))).or_insert(0) += count;
                    }
                    self.values = Values::Approximate(approximate);
                }
            }
            Values::Approximate(values) => {
                *values.entry(grid_key(value)).or_insert(0) += 1;
            }
        }
    }
}

/// The key of a non-negative value: its bits, with −0 read as +0.
fn value_key(value: f64) -> u64 {
    (value + 0.0).to_bits()
}

/// The key of a non-negative value on the relative-precision grid: the midpoint of the cell of
/// doubles that share its exponent and top [`limits::APPROXIMATE_MANTISSA_BITS`] mantissa bits.
/// The midpoint is within 2^-(bits + 1) of every value of the cell, relatively.
fn grid_key(value: f64) -> u64 {
    let bits = value_key(value);
    if bits == 0 {
        return 0;
    }
    let dropped = 52 - limits::APPROXIMATE_MANTISSA_BITS;
    let cell = bits & !((1u64 << dropped) - 1);
    cell | (1u64 << (dropped - 1))
}

#[cfg(test)]
pub(crate) fn grid_value(value: f64) -> f64 {
    f64::from_bits(grid_key(value))
}
