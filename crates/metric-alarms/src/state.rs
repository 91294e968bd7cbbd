//! The alarm state machine of `alarms.md` §2 and §6: creation, configuration updates,
//! evaluations, SetAlarmState and Enable/DisableAlarmActions, each returning what changed as
//! a [`StateUpdate`] (the history item, carrying the actions to run).
//!
//! Pure: time is passed in as Unix milliseconds, actions are returned rather than run, history
//! is returned rather than stored. Not here: the 14-day history retention, the internal
//! "CloudWatch Alarm State Change" event (built by the caller from the [`StateUpdate`]) and
//! checking that action topics exist.

// Kept for the callers that name the state through this module.
pub(crate) use crate::config::StateValue;
use crate::config::{AlarmConfig, MetricStatistic};
use crate::error::{Error, Result, check_time};
use crate::eval::{self, Datapoint, Rule, Slot, Verdict};
use crate::limits;
use crate::metric::{Resolution, Series};

/// The reason a new alarm carries until its first evaluation (§6).
pub const CREATION_REASON: &str = "Unchecked: Initial alarm creation";

/// An alarm's current state, as DescribeAlarms shows it; also what a caller persists.
#[derive(Debug, Clone, PartialEq)]
pub struct AlarmState {
    /// `StateValue`.
    pub value: StateValue,
    /// `StateReason`.
    pub reason: String,
    /// `StateReasonData` (JSON), if any.
    pub reason_data: Option<String>,
    /// `StateUpdatedTimestamp`, Unix milliseconds.
    pub updated_ms: i64,
    /// `StateTransitionedTimestamp`: the last change of `value` (or first evaluation).
    pub transitioned_ms: i64,
    /// Created and not yet evaluated (§2: the first evaluation runs the actions of the state
    /// it reaches, even `INSUFFICIENT_DATA`).
    pub unchecked: bool,
}

/// A metric alarm: a validated configuration and its state.
#[derive(Debug, Clone, PartialEq)]
pub struct Alarm {
    config: AlarmConfig,
    configuration_updated_ms: i64,
    state: AlarmState,
}

/// One `StateUpdate` history item (§6), with the actions it triggers.
#[derive(Debug, Clone, PartialEq)]
pub struct StateUpdate {
    pub old_state: StateValue,
    pub new_state: StateValue,
    pub reason: String,
    pub reason_data: Option<String>,
    pub timestamp_ms: i64,
    /// What caused it.
    pub cause: UpdateCause,
    /// The topics to notify, in configuration order: the new state's action list when the
    /// state changed (or on the first evaluation) and actions are enabled, else empty.
    pub actions: Vec<String>,
}

/// What produced a [`StateUpdate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpdateCause {
    Evaluation,
    SetAlarmState,
}

/// The outcome of one evaluation.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// T: `now` rounded down to the evaluation step.
    pub evaluation_time_ms: i64,
    /// The R datapoints, oldest first.
    pub datapoints: Vec<Datapoint>,
    /// The computed state, after the percentile low-sample rule; `Retain` keeps the state.
    pub verdict: Verdict,
    /// The low-sample rule (`EvaluateLowSampleCountPercentile = ignore`) held the state.
    pub low_sample_count: bool,
    /// The change made, if the computed state differs from the current one (or this is the
    /// first evaluation).
    pub update: Option<StateUpdate>,
}

impl Alarm {
    /// PutMetricAlarm for a new alarm: validates `config`; the alarm starts in
    /// `INSUFFICIENT_DATA` ("Unchecked: Initial alarm creation") and its first evaluation runs
    /// the actions of the state it reaches (§2).
    pub fn create(config: AlarmConfig, now_ms: i64) -> Result<Alarm> {
        check_time(now_ms)?;
        config.validate()?;
        Ok(Alarm {
            config,
            configuration_updated_ms: now_ms,
            state: AlarmState {
                value: StateValue::InsufficientData,
                reason: CREATION_REASON.to_owned(),
                reason_data: None,
                updated_ms: now_ms,
                transitioned_ms: now_ms,
                unchecked: true,
            },
        })
    }

    /// An alarm read back from storage.
    pub fn restore(
        config: AlarmConfig,
        configuration_updated_ms: i64,
        state: AlarmState,
    ) -> Result<Alarm> {
        check_time(configuration_updated_ms)?;
        check_time(state.updated_ms)?;
        check_time(state.transitioned_ms)?;
        config.validate()?;
        Ok(Alarm { config, configuration_updated_ms, state })
    }

    pub fn config(&self) -> &AlarmConfig {
        &self.config
    }

    pub fn state(&self) -> &AlarmState {
        &self.state
    }

    /// `AlarmConfigurationUpdatedTimestamp`, Unix milliseconds.
    pub fn configuration_updated_ms(&self) -> i64 {
        self.configuration_updated_ms
    }

    /// PutMetricAlarm for an existing alarm: replaces the whole configuration and leaves the
    /// state alone (§2); no actions run until the next transition. The name cannot change.
    pub fn update(&mut self, config: AlarmConfig, now_ms: i64) -> Result<()> {
        check_time(now_ms)?;
        config.validate()?;
        if config.alarm_name != self.config.alarm_name {
            return Err(Error::invalid(
                "AlarmName",
                format!(
                    "`AlarmName` = `{}` differs from the alarm being updated, `{}`",
                    config.alarm_name, self.config.alarm_name
                ),
            ));
        }
        self.config = config;
        self.configuration_updated_ms = now_ms;
        Ok(())
    }

    /// EnableAlarmActions / DisableAlarmActions: sets `ActionsEnabled` (§6).
    pub fn set_actions_enabled(&mut self, actions_enabled: bool, now_ms: i64) -> Result<()> {
        check_time(now_ms)?;
        if self.config.actions_enabled != actions_enabled {
            self.config.actions_enabled = actions_enabled;
            self.configuration_updated_ms = now_ms;
        }
        Ok(())
    }

    /// SetAlarmState: forces `value` until the next evaluation (§5 notes). Always records the
    /// reason; runs the new state's actions only when the state differs.
    pub fn set_state(
        &mut self,
        value: StateValue,
        reason: &str,
        reason_data: Option<&str>,
        now_ms: i64,
    ) -> Result<StateUpdate> {
        check_time(now_ms)?;
        let n_chars = reason.chars().count();
        if n_chars > limits::STATE_REASON_CHARS_MAX {
            return Err(Error::invalid(
                "StateReason",
                format!(
                    "`StateReason` has {n_chars} characters, at most {} are allowed",
                    limits::STATE_REASON_CHARS_MAX
                ),
            ));
        }
        if let Some(data) = reason_data {
            let n_chars = data.chars().count();
            if n_chars > limits::STATE_REASON_DATA_CHARS_MAX {
                return Err(Error::invalid(
                    "StateReasonData",
                    format!(
                        "`StateReasonData` has {n_chars} characters, at most {} are allowed",
                        limits::STATE_REASON_DATA_CHARS_MAX
                    ),
                ));
            }
        }
        let changes_value = value != self.state.value;
        Ok(self.change_state(
            value,
            reason.to_owned(),
            reason_data.map(str::to_owned),
            now_ms,
            UpdateCause::SetAlarmState,
            changes_value,
        ))
    }

    /// Evaluates the alarm at `now_ms` against `series` (§3, §5) and changes its state when
    /// the computed state differs (§6). `series` must hold this alarm's metric; it should be
    /// made with [`Series::for_alarm`].
    pub fn evaluate(&mut self, series: &Series, now_ms: i64) -> Result<Evaluation> {
        check_time(now_ms)?;
        self.check_series(series)?;
        let config = &self.config;
        let evaluation_time_ms = config.evaluation_time_ms(now_ms);
        let datapoints = eval::datapoints(config, series, evaluation_time_ms);
        let slots: Vec<Slot> = datapoints.iter().map(|d| d.slot).collect();
        let judgement = eval::judge(&slots, &Rule::of(config));
        // §3: with `ignore`, any evaluated datapoint under the sample threshold holds the state.
        let low_sample_count =
            judgement.window.iter().filter_map(|i| datapoints.get(*i)).any(|d| d.low_sample_count);
        let verdict = if low_sample_count { Verdict::Retain } else { judgement.verdict };
        let new_state = match verdict {
            Verdict::Ok => Some(StateValue::Ok),
            Verdict::Alarm => Some(StateValue::Alarm),
            Verdict::InsufficientData => Some(StateValue::InsufficientData),
            Verdict::Retain => None,
        };
        let update = match new_state {
            Some(new_state) if new_state != self.state.value || self.state.unchecked => {
                let reason = eval::state_reason(
                    config,
                    &judgement,
                    &datapoints,
                    self.state.value,
                    new_state,
                );
                let reason_data = eval::state_reason_data(config, &judgement, &datapoints, now_ms);
                Some(self.change_state(
                    new_state,
                    reason,
                    Some(reason_data),
                    now_ms,
                    UpdateCause::Evaluation,
                    true,
                ))
            }
            _ => None,
        };
        Ok(Evaluation { evaluation_time_ms, datapoints, verdict, low_sample_count, update })
    }

    /// Moves the alarm to `ALARM` before the current minute closes, when the newest window
    /// (still filling, up to the next evaluation time) already breaches and nothing later in
    /// that window can undo it: statistics `Sum` (of non-negative values), `SampleCount` or
    /// `Maximum` against `>` or `>=`. The datapoints are those the next regular evaluation
    /// will use, so that evaluation reaches the same state and changes nothing; the alarm only
    /// fires up to a minute sooner. Returns `None` when the rule does not apply, the verdict
    /// is not `ALARM`, or the alarm is already in `ALARM`.
    pub fn evaluate_early(&mut self, series: &Series, now_ms: i64) -> Result<Option<Evaluation>> {
        check_time(now_ms)?;
        self.check_series(series)?;
        let config = &self.config;
        if self.state.value == StateValue::Alarm || !config.breach_is_monotone() {
            return Ok(None);
        }
        let step = config.evaluation_step_ms();
        let floor = config.evaluation_time_ms(now_ms);
        let evaluation_time_ms = if floor == now_ms { now_ms } else { floor + step };
        let datapoints = eval::datapoints(config, series, evaluation_time_ms);
        let newest = datapoints.last();
        let newest_breaches = newest.is_some_and(|d| d.slot == Slot::Breaching);
        let non_negative = match (&config.statistic, newest) {
            (MetricStatistic::Statistic(crate::Statistic::Sum), Some(d)) => series
                .window(d.start_ms, d.start_ms + config.period_ms(), config.unit)
                .is_some_and(|w| w.minimum >= 0.0),
            _ => true,
        };
        if !newest_breaches || !non_negative {
            return Ok(None);
        }
        let slots: Vec<Slot> = datapoints.iter().map(|d| d.slot).collect();
        let judgement = eval::judge(&slots, &Rule::of(config));
        if judgement.verdict != Verdict::Alarm {
            return Ok(None);
        }
        let reason = eval::state_reason(
            config,
            &judgement,
            &datapoints,
            self.state.value,
            StateValue::Alarm,
        );
        let reason_data = eval::state_reason_data(config, &judgement, &datapoints, now_ms);
        let update = self.change_state(
            StateValue::Alarm,
            reason,
            Some(reason_data),
            now_ms,
            UpdateCause::Evaluation,
            true,
        );
        Ok(Some(Evaluation {
            evaluation_time_ms,
            datapoints,
            verdict: Verdict::Alarm,
            low_sample_count: false,
            update: Some(update),
        }))
    }

    fn check_series(&self, series: &Series) -> Result<()> {
        let problem = if series.resolution() == Resolution::OneMinute
            && !self.config.period_seconds.is_multiple_of(60)
        {
            Some("its 1-minute buckets cannot answer a sub-minute `Period`")
        } else if !series.keeps_values()
            && matches!(self.config.statistic, MetricStatistic::ExtendedStatistic(_))
        {
            Some("it does not keep values, which percentile statistics need")
        } else if series.retention_ms() < self.config.range_ms() + self.config.evaluation_step_ms()
        {
            Some("its retention is shorter than the evaluation range")
        } else {
            None
        };
        match problem {
            Some(problem) => {
                Err(Error::SeriesMismatch { alarm_name: self.config.alarm_name.clone(), problem })
            }
            None => Ok(()),
        }
    }

    /// Records a new state; `runs_actions` says whether this is a transition (§6).
    fn change_state(
        &mut self,
        new_state: StateValue,
        reason: String,
        reason_data: Option<String>,
        now_ms: i64,
        cause: UpdateCause,
        runs_actions: bool,
    ) -> StateUpdate {
        let old_state = self.state.value;
        let actions = if runs_actions && self.config.actions_enabled {
            self.config.actions_for(new_state).to_vec()
        } else {
            Vec::new()
        };
        if runs_actions {
            self.state.transitioned_ms = now_ms;
        }
        self.state.value = new_state;
        self.state.reason.clone_from(&reason);
        self.state.reason_data.clone_from(&reason_data);
        self.state.updated_ms = now_ms;
        self.state.unchecked = false;
        StateUpdate {
            old_state,
            new_state,
            reason,
            reason_data,
            timestamp_ms: now_ms,
            cause,
            actions,
        }
    }
}

impl StateUpdate {
    /// The history summary, as AWS words it: "Alarm updated from OK to ALARM".
    pub fn summary(&self) -> String {
        format!("Alarm updated from {} to {}", self.old_state, self.new_state)
    }
}
