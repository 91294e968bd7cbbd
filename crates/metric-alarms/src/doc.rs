//! Alarms and their state as JSON documents in PutMetricAlarm / DescribeAlarms shape: what the
//! JSON API takes and answers, what `opentrail.toml` `[[alarms]]` tables hold, and what the
//! catalog stores.

use serde_json::{Map, Value, json};

use crate::config::{
    AlarmConfig, ComparisonOperator, Dimension, LowSampleCountPercentile, MetricId,
    MetricStatistic, StateValue, TreatMissingData, Unit,
};
use crate::error::{Error, Result};
use crate::notify::alarm_arn;
use crate::state::{Alarm, AlarmState, StateUpdate};
use crate::text::iso_time;

/// The members a PutMetricAlarm document may have.
const ALARM_MEMBERS: &[&str] = &[
    "AlarmName",
    "AlarmDescription",
    "ActionsEnabled",
    "AlarmActions",
    "OKActions",
    "InsufficientDataActions",
    "MetricName",
    "Namespace",
    "Dimensions",
    "Statistic",
    "ExtendedStatistic",
    "Unit",
    "Period",
    "EvaluationPeriods",
    "DatapointsToAlarm",
    "Threshold",
    "ComparisonOperator",
    "TreatMissingData",
    "EvaluateLowSampleCountPercentile",
];

fn invalid(field: &'static str, message: String) -> Error {
    Error::invalid(field, message)
}

fn string<'a>(object: &'a Map<String, Value>, field: &'static str) -> Result<Option<&'a str>> {
    match object.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(other) => Err(invalid(field, format!("`{field}` must be a string, not `{other}`"))),
    }
}

fn required<'a>(object: &'a Map<String, Value>, field: &'static str) -> Result<&'a str> {
    string(object, field)?.ok_or_else(|| Error::missing(field, format!("`{field}` is required")))
}

fn integer(object: &Map<String, Value>, field: &'static str) -> Result<Option<u32>> {
    match object.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => match n.as_u64().and_then(|n| u32::try_from(n).ok()) {
            Some(n) => Ok(Some(n)),
            None => Err(invalid(field, format!("`{field}` = {n} must be a whole number from 0"))),
        },
        Some(other) => Err(invalid(field, format!("`{field}` must be an integer, not `{other}`"))),
    }
}

fn strings(object: &Map<String, Value>, field: &'static str) -> Result<Vec<String>> {
    match object.get(field) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| match item {
                Value::String(text) => Ok(text.clone()),
                other => {
                    Err(invalid(field, format!("`{field}` members must be strings, not `{other}`")))
                }
            })
            .collect(),
        Some(other) => {
            Err(invalid(field, format!("`{field}` must be a list of strings, not `{other}`")))
        }
    }
}

/// Reads a PutMetricAlarm document and validates it (every rule of alarms.md §2).
pub fn alarm_config_from_json(value: &Value) -> Result<AlarmConfig> {
    let Value::Object(object) = value else {
        return Err(invalid("AlarmName", "an alarm must be a JSON object".to_owned()));
    };
    if let Some(unknown) = object.keys().find(|k| !ALARM_MEMBERS.contains(&k.as_str())) {
        return Err(invalid(
            "AlarmName",
            format!("unknown member `{unknown}`; an alarm has the members of PutMetricAlarm"),
        ));
    }
    let mut dimensions = Vec::new();
    match object.get("Dimensions") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for item in items {
                let Value::Object(d) = item else {
                    return Err(invalid(
                        "Dimensions",
                        "`Dimensions` members must be objects with `Name` and `Value`".to_owned(),
                    ));
                };
                dimensions.push(Dimension {
                    name: required(d, "Name")?.to_owned(),
                    value: required(d, "Value")?.to_owned(),
                });
            }
        }
        Some(_) => {
            return Err(invalid("Dimensions", "`Dimensions` must be a list".to_owned()));
        }
    }
    let statistic = MetricStatistic::from_api(
        string(object, "Statistic")?,
        string(object, "ExtendedStatistic")?,
    )?;
    let threshold = match object.get("Threshold") {
        Some(Value::Number(n)) => n.as_f64().unwrap_or(f64::NAN),
        None | Some(Value::Null) => {
            return Err(Error::missing("Threshold", "`Threshold` is required".to_owned()));
        }
        Some(other) => {
            return Err(invalid(
                "Threshold",
                format!("`Threshold` must be a number, not `{other}`"),
            ));
        }
    };
    if !threshold.is_finite() {
        return Err(invalid("Threshold", "`Threshold` must be a finite number".to_owned()));
    }
    let comparison_operator: ComparisonOperator =
        required(object, "ComparisonOperator")?.parse()?;
    let config = AlarmConfig {
        alarm_name: required(object, "AlarmName")?.to_owned(),
        alarm_description: string(object, "AlarmDescription")?.map(str::to_owned),
        actions_enabled: match object.get("ActionsEnabled") {
            None | Some(Value::Null) => true,
            Some(Value::Bool(b)) => *b,
            Some(other) => {
                return Err(invalid(
                    "ActionsEnabled",
                    format!("`ActionsEnabled` must be true or false, not `{other}`"),
                ));
            }
        },
        alarm_actions: strings(object, "AlarmActions")?,
        ok_actions: strings(object, "OKActions")?,
        insufficient_data_actions: strings(object, "InsufficientDataActions")?,
        metric: MetricId {
            namespace: required(object, "Namespace")?.to_owned(),
            metric_name: required(object, "MetricName")?.to_owned(),
            dimensions,
        },
        statistic,
        unit: string(object, "Unit")?.map(str::parse::<Unit>).transpose()?,
        period_seconds: integer(object, "Period")?
            .ok_or_else(|| Error::missing("Period", "`Period` is required".to_owned()))?,
        evaluation_periods: integer(object, "EvaluationPeriods")?.ok_or_else(|| {
            Error::missing("EvaluationPeriods", "`EvaluationPeriods` is required".to_owned())
        })?,
        datapoints_to_alarm: integer(object, "DatapointsToAlarm")?,
        threshold,
        comparison_operator,
        treat_missing_data: string(object, "TreatMissingData")?
            .map(str::parse::<TreatMissingData>)
            .transpose()?
            .unwrap_or(TreatMissingData::Missing),
        evaluate_low_sample_count_percentile: string(object, "EvaluateLowSampleCountPercentile")?
            .map(str::parse::<LowSampleCountPercentile>)
            .transpose()?,
    };
    config.validate()?;
    Ok(config)
}

/// The PutMetricAlarm document of `config` (inverse of [`alarm_config_from_json`]).
pub fn alarm_config_to_json(config: &AlarmConfig) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("AlarmName".into(), json!(config.alarm_name));
    if let Some(description) = &config.alarm_description {
        out.insert("AlarmDescription".into(), json!(description));
    }
    out.insert("ActionsEnabled".into(), json!(config.actions_enabled));
    out.insert("OKActions".into(), json!(config.ok_actions));
    out.insert("AlarmActions".into(), json!(config.alarm_actions));
    out.insert("InsufficientDataActions".into(), json!(config.insufficient_data_actions));
    out.insert("MetricName".into(), json!(config.metric.metric_name));
    out.insert("Namespace".into(), json!(config.metric.namespace));
    match &config.statistic {
        MetricStatistic::Statistic(s) => out.insert("Statistic".into(), json!(s.as_str())),
        MetricStatistic::ExtendedStatistic(p) => {
            out.insert("ExtendedStatistic".into(), json!(p.as_str()))
        }
    };
    let dimensions: Vec<Value> = config
        .metric
        .dimensions
        .iter()
        .map(|d| json!({"Name": d.name, "Value": d.value}))
        .collect();
    out.insert("Dimensions".into(), Value::Array(dimensions));
    if let Some(unit) = config.unit {
        out.insert("Unit".into(), json!(unit.as_str()));
    }
    out.insert("Period".into(), json!(config.period_seconds));
    out.insert("EvaluationPeriods".into(), json!(config.evaluation_periods));
    if let Some(m) = config.datapoints_to_alarm {
        out.insert("DatapointsToAlarm".into(), json!(m));
    }
    out.insert("Threshold".into(), json!(config.threshold));
    out.insert("ComparisonOperator".into(), json!(config.comparison_operator.as_str()));
    out.insert("TreatMissingData".into(), json!(config.treat_missing_data.as_str()));
    if let Some(low) = config.evaluate_low_sample_count_percentile {
        out.insert("EvaluateLowSampleCountPercentile".into(), json!(low.as_str()));
    }
    out
}

/// The stored document of an alarm: its configuration and state.
pub fn alarm_to_document(alarm: &Alarm) -> String {
    let state = alarm.state();
    let document = json!({
        "Config": Value::Object(alarm_config_to_json(alarm.config())),
        "ConfigurationUpdatedMs": alarm.configuration_updated_ms(),
        "State": {
            "Value": state.value.as_str(),
            "Reason": state.reason,
            "ReasonData": state.reason_data,
            "UpdatedMs": state.updated_ms,
            "TransitionedMs": state.transitioned_ms,
            "Unchecked": state.unchecked,
        },
    });
    document.to_string()
}

/// Reads a document written by [`alarm_to_document`].
pub fn alarm_from_document(text: &str) -> Result<Alarm> {
    let damaged =
        |what: &str| invalid("AlarmName", format!("the stored alarm document is damaged: {what}"));
    let value: Value = serde_json::from_str(text).map_err(|e| damaged(&e.to_string()))?;
    let config = alarm_config_from_json(value.get("Config").ok_or_else(|| damaged("no Config"))?)?;
    let state = value.get("State").ok_or_else(|| damaged("no State"))?;
    let ms = |v: Option<&Value>| v.and_then(Value::as_i64).ok_or_else(|| damaged("a time"));
    let state = AlarmState {
        value: state
            .get("Value")
            .and_then(Value::as_str)
            .ok_or_else(|| damaged("no state value"))?
            .parse::<StateValue>()?,
        reason: state.get("Reason").and_then(Value::as_str).unwrap_or_default().to_owned(),
        reason_data: state.get("ReasonData").and_then(Value::as_str).map(str::to_owned),
        updated_ms: ms(state.get("UpdatedMs"))?,
        transitioned_ms: ms(state.get("TransitionedMs"))?,
        unchecked: state.get("Unchecked").and_then(Value::as_bool).unwrap_or(false),
    };
    Alarm::restore(config, ms(value.get("ConfigurationUpdatedMs"))?, state)
}

/// The DescribeAlarms `MetricAlarms` member of an alarm.
pub fn describe_alarm(alarm: &Alarm, account_id: &str, region: &str) -> Value {
    let mut out = alarm_config_to_json(alarm.config());
    let state = alarm.state();
    out.insert("AlarmArn".into(), json!(alarm_arn(region, account_id, &alarm.config().alarm_name)));
    out.insert(
        "AlarmConfigurationUpdatedTimestamp".into(),
        json!(iso_time(alarm.configuration_updated_ms())),
    );
    out.insert("StateValue".into(), json!(state.value.as_str()));
    out.insert("StateReason".into(), json!(state.reason));
    if let Some(data) = &state.reason_data {
        out.insert("StateReasonData".into(), json!(data));
    }
    out.insert("StateUpdatedTimestamp".into(), json!(iso_time(state.updated_ms)));
    out.insert("StateTransitionedTimestamp".into(), json!(iso_time(state.transitioned_ms)));
    Value::Object(out)
}

/// A DescribeAlarmHistory `AlarmHistoryItems` member for a state update.
pub fn history_item(alarm_name: &str, update: &StateUpdate) -> Value {
    let data = json!({
        "version": "1.0",
        "oldState": {"stateValue": update.old_state.as_str()},
        "newState": {
            "stateValue": update.new_state.as_str(),
            "stateReason": update.reason,
            "stateReasonData": update.reason_data,
        },
    });
    json!({
        "AlarmName": alarm_name,
        "AlarmType": "MetricAlarm",
        "Timestamp": iso_time(update.timestamp_ms),
        "HistoryItemType": "StateUpdate",
        "HistorySummary": update.summary(),
        "HistoryData": data.to_string(),
        "Actions": update.actions,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cis::{self, CisVersion};

    #[test]
    fn alarm_documents_round_trip() {
        for version in CisVersion::ALL {
            for control in cis::controls(version) {
                let config = cis::alarm_config(
                    version,
                    &control,
                    &["arn:aws:sns:us-east-1:111122223333:t".to_owned()],
                    1.0,
                );
                let alarm = Alarm::create(config.clone(), 1_700_000_000_000).unwrap();
                let back = alarm_from_document(&alarm_to_document(&alarm)).unwrap();
                assert_eq!(back, alarm);
                assert_eq!(*back.config(), config);
            }
        }
    }
}
