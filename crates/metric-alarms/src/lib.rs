//! CloudWatch-style metric alarms, the pure core (`shared/spec/alarms.md`): the alarm
//! definition and its validation ([`AlarmConfig`], §2), observations bucketed into a
//! [`Series`] that answers any evaluation window exactly (§3), the M-out-of-N evaluation with
//! every `TreatMissingData` mode, the premature-alarm and percentile low-sample rules
//! ([`decide`], §5), the state machine with its reasons, history items and actions
//! ([`Alarm`], §6), and what an alarm sends: the alarm message, the SNS HTTP/HTTPS envelope
//! with its string to sign, and a Slack webhook body ([`AlarmNotification`], §8, §9.3).
//!
//! Pure: no IO, no clock (times are Unix milliseconds passed in), no threads, no randomness
//! (message ids are passed in), no hash-map iteration. Not here: anomaly-detection bands,
//! metric-math and composite alarms (§4.3, optional), storage of alarms and their 14-day
//! history, topics and subscriptions, delivery, and RSA signing.
//!
//! ```ignore
//! let mut alarm = Alarm::create(config, now_ms)?;
//! let mut series = Series::for_alarm(alarm.config());
//! series.record(&Observation { timestamp_ms, value: 1.0, unit: None }, now_ms)?;
//! let evaluation = alarm.evaluate(&series, now_ms)?; // once a minute
//! if let Some(update) = &evaluation.update {
//!     for topic_arn in &update.actions {
//!         let notification = AlarmNotification { alarm: &alarm, update, account_id, region };
//!         publish(topic_arn, notification.subject(), notification.message());
//!     }
//! }
//! ```

#![forbid(unsafe_code)]

pub mod cis;
mod config;
mod consumer;
mod deliver;
mod doc;
mod engine;
mod error;
mod eval;
mod filter;
pub mod limits;
mod metric;
mod notify;
mod service;
mod state;
mod targets;
mod text;
mod unsubscribe;

pub use crate::config::{
    AlarmConfig, ComparisonOperator, Dimension, LowSampleCountPercentile, MetricId,
    MetricStatistic, Percentile, StateValue, Statistic, TreatMissingData, Unit, is_topic_arn,
};
pub use crate::consumer::{CONSUMER_NAME, Consumer};
pub use crate::deliver::{Deliverer, Waker, describe_metrics, redact};
pub use crate::doc::{
    alarm_config_from_json, alarm_config_to_json, alarm_from_document, alarm_to_document,
    describe_alarm, history_item,
};
pub use crate::engine::{AlarmEntry, Engine, EngineStats, FilterEntry, Scope, Transition};
pub use crate::error::{Error, ParameterErrorKind, Result};
pub use crate::eval::{Datapoint, Rule, Slot, Verdict, decide};
pub use crate::filter::{
    CompiledFilter, FILTERS_PER_LOG_GROUP_MAX, FilterError, MetricFilter, Transformation,
    check_filter_name, check_log_group_name, parse_pattern,
};
pub use crate::metric::{Observation, Resolution, Series, WindowStats};
pub use crate::notify::{
    AlarmNotification, ConfirmationType, SignatureVersion, SnsConfirmation, SnsEnvelope,
    SnsNotification, alarm_arn, region_display_name,
};
pub use crate::service::{
    ALL_ACCOUNTS_LOG_GROUP, AlarmService, Caps, ServiceConfig, ServiceError, UnsubscribeLink,
};
pub use crate::state::{Alarm, AlarmState, CREATION_REASON, Evaluation, StateUpdate, UpdateCause};
pub use crate::targets::{
    EnvelopeSigner, Target, TargetError, TargetRules, render, subscription_arn, topic_arn,
};
pub use crate::unsubscribe::{UNSUBSCRIBE_SECRET_BYTES, UNSUBSCRIBE_TOKEN_CHARS, UnsubscribeKey};

#[cfg(test)]
mod tests;
