//! Metric filters (`filter-patterns.md` §10): the PutMetricFilter document, its validation
//! with CloudWatch Logs' rules, and the compiled form the engine evaluates.

use std::collections::BTreeMap;

use filter_pattern::{FieldRef, MetricValue, Pattern};
use serde_json::{Map, Value, json};

use crate::config::Unit;

/// `filterName`: 1–512 characters.
pub(crate) const FILTER_NAME_CHARS_MAX: usize = 512;
/// `filterPattern`: at most 1024 characters.
pub(crate) const FILTER_PATTERN_CHARS_MAX: usize = 1024;
/// `logGroupName`: 1–512 characters.
pub(crate) const LOG_GROUP_NAME_CHARS_MAX: usize = 512;
/// `metricName`, `metricNamespace`: 1–255 characters.
pub(crate) const METRIC_NAME_CHARS_MAX: usize = 255;
/// `metricValue`: at most 100 characters.
pub(crate) const METRIC_VALUE_CHARS_MAX: usize = 100;
/// Dimensions per metric transformation.
pub(crate) const FILTER_DIMENSIONS_MAX: usize = 3;
/// Metric filters per log group (CloudWatch Logs quota).
pub const FILTERS_PER_LOG_GROUP_MAX: usize = crate::limits::METRIC_FILTERS_PER_LOG_GROUP_MAX;

/// A PutMetricFilter request that breaks a rule: `InvalidParameterException` on the Logs API.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct FilterError {
    pub message: String,
}

fn bad(message: impl Into<String>) -> FilterError {
    FilterError { message: message.into() }
}

/// One `metricTransformations` member.
#[derive(Debug, Clone, PartialEq)]
pub struct Transformation {
    pub metric_name: String,
    pub metric_namespace: String,
    /// As given: a number or a field reference.
    pub metric_value: String,
    pub default_value: Option<f64>,
    /// Dimension name → field reference, as given.
    pub dimensions: BTreeMap<String, String>,
    pub unit: Option<Unit>,
}

/// A metric filter: the PutMetricFilter members OpenTrail keeps.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricFilter {
    pub filter_name: String,
    pub log_group_name: String,
    pub filter_pattern: String,
    /// Exactly one (the API's limit).
    pub transformation: Transformation,
    /// When it was created, Unix milliseconds; it sees events acknowledged from then on.
    pub creation_time_ms: i64,
}

/// A metric filter ready to evaluate.
#[derive(Debug, Clone)]
pub struct CompiledFilter {
    pub filter: MetricFilter,
    pub pattern: Pattern,
    pub value: MetricValue,
    pub dimensions: Vec<(String, FieldRef)>,
}

/// Checks a log group name: 1–512 characters of `A-Z a-z 0-9 . - _ / #`.
pub fn check_log_group_name(name: &str) -> Result<(), FilterError> {
    let n = name.chars().count();
    if n == 0 || n > LOG_GROUP_NAME_CHARS_MAX {
        return Err(bad(format!(
            "logGroupName has {n} characters; it must have 1 to {LOG_GROUP_NAME_CHARS_MAX}"
        )));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '/' | '#')))
    {
        return Err(bad(format!(
            "logGroupName `{name}` contains `{c}`; only letters, digits and `.-_/#` are allowed"
        )));
    }
    Ok(())
}

/// Checks a filter name: 1–512 characters, none of them `:` or `*`.
pub fn check_filter_name(name: &str) -> Result<(), FilterError> {
    let n = name.chars().count();
    if n == 0 || n > FILTER_NAME_CHARS_MAX {
        return Err(bad(format!(
            "filterName has {n} characters; it must have 1 to {FILTER_NAME_CHARS_MAX}"
        )));
    }
    if name.contains([':', '*']) {
        return Err(bad(format!("filterName `{name}` must not contain `:` or `*`")));
    }
    Ok(())
}

fn check_metric_part(field: &str, text: &str) -> Result<(), FilterError> {
    let n = text.chars().count();
    if n == 0 || n > METRIC_NAME_CHARS_MAX {
        return Err(bad(format!(
            "{field} has {n} characters; it must have 1 to {METRIC_NAME_CHARS_MAX}"
        )));
    }
    if text.contains([':', '*', '$']) {
        return Err(bad(format!("{field} `{text}` must not contain `:`, `*` or `$`")));
    }
    Ok(())
}

/// Parses a pattern with the API's message on failure.
pub fn parse_pattern(text: &str) -> Result<Pattern, FilterError> {
    let n = text.chars().count();
    if n > FILTER_PATTERN_CHARS_MAX {
        return Err(bad(format!(
            "filterPattern has {n} characters; at most {FILTER_PATTERN_CHARS_MAX} are allowed"
        )));
    }
    Pattern::parse(text).map_err(|err| bad(format!("Invalid metric filter pattern: {err}")))
}

impl MetricFilter {
    /// Validates and compiles (every rule of `filter-patterns.md` §8 and §10.1).
    pub fn compile(&self) -> Result<CompiledFilter, FilterError> {
        check_filter_name(&self.filter_name)?;
        check_log_group_name(&self.log_group_name)?;
        let pattern = parse_pattern(&self.filter_pattern)?;
        let t = &self.transformation;
        check_metric_part("metricName", &t.metric_name)?;
        check_metric_part("metricNamespace", &t.metric_namespace)?;
        let value = MetricValue::parse(&t.metric_value)
            .map_err(|err| bad(format!("metricValue `{}` is not valid: {err}", t.metric_value)))?;
        if let MetricValue::Field(field) = &value
            && !pattern.supports(field)
        {
            return Err(bad(format!(
                "metricValue `{}` names a field the filter pattern cannot provide",
                t.metric_value
            )));
        }
        if t.default_value.is_some_and(|v| !v.is_finite()) {
            return Err(bad("defaultValue must be a finite number"));
        }
        if t.default_value.is_some() && !t.dimensions.is_empty() {
            return Err(bad("defaultValue and dimensions are mutually exclusive"));
        }
        if t.dimensions.len() > FILTER_DIMENSIONS_MAX {
            return Err(bad(format!(
                "a metric transformation has {} dimensions; at most {FILTER_DIMENSIONS_MAX} are allowed",
                t.dimensions.len()
            )));
        }
        let mut dimensions = Vec::with_capacity(t.dimensions.len());
        for (name, reference) in &t.dimensions {
            if name.trim().is_empty() || name.starts_with(':') || !name.is_ascii() {
                return Err(bad(format!(
                    "dimension name `{name}` must be ASCII, not blank and not start with `:`"
                )));
            }
            let field = FieldRef::parse(reference).map_err(|err| {
                bad(format!(
                    "dimension `{name}` value `{reference}` is not a field reference: {err}"
                ))
            })?;
            if !pattern.supports(&field) {
                return Err(bad(format!(
                    "dimension `{name}` names `{reference}`, a field the filter pattern cannot provide"
                )));
            }
            dimensions.push((name.clone(), field));
        }
        Ok(CompiledFilter { filter: self.clone(), pattern, value, dimensions })
    }

    /// Reads PutMetricFilter's members (`filterName`, `filterPattern`, `logGroupName`,
    /// `metricTransformations`); `creation_time_ms` is set by the caller.
    pub fn from_json(
        object: &Map<String, Value>,
        creation_time_ms: i64,
    ) -> Result<MetricFilter, FilterError> {
        let text = |name: &str| -> Result<String, FilterError> {
            match object.get(name) {
                Some(Value::String(s)) => Ok(s.clone()),
                None | Some(Value::Null) => Err(bad(format!("{name} is required"))),
                Some(_) => Err(bad(format!("{name} must be a string"))),
            }
        };
        let transformations = match object.get("metricTransformations") {
            Some(Value::Array(items)) => items,
            None | Some(Value::Null) => return Err(bad("metricTransformations is required")),
            Some(_) => return Err(bad("metricTransformations must be a list")),
        };
        if transformations.len() != 1 {
            return Err(bad(format!(
                "metricTransformations has {} members; exactly 1 is required",
                transformations.len()
            )));
        }
        let Some(Value::Object(t)) = transformations.first() else {
            return Err(bad("metricTransformations members must be objects"));
        };
        let t_text = |name: &str| -> Result<String, FilterError> {
            match t.get(name) {
                Some(Value::String(s)) => Ok(s.clone()),
                None | Some(Value::Null) => {
                    Err(bad(format!("metricTransformations.1.member.{name} is required")))
                }
                Some(_) => {
                    Err(bad(format!("metricTransformations.1.member.{name} must be a string")))
                }
            }
        };
        let metric_value = t_text("metricValue")?;
        if metric_value.chars().count() > METRIC_VALUE_CHARS_MAX {
            return Err(bad(format!(
                "metricValue has more than {METRIC_VALUE_CHARS_MAX} characters"
            )));
        }
        let default_value = match t.get("defaultValue") {
            None | Some(Value::Null) => None,
            Some(Value::Number(n)) => n.as_f64(),
            Some(_) => return Err(bad("defaultValue must be a number")),
        };
        let mut dimensions = BTreeMap::new();
        match t.get("dimensions") {
            None | Some(Value::Null) => {}
            Some(Value::Object(members)) => {
                for (name, value) in members {
                    let Value::String(reference) = value else {
                        return Err(bad(format!("dimension `{name}` must be a string")));
                    };
                    dimensions.insert(name.clone(), reference.clone());
                }
            }
            Some(_) => return Err(bad("dimensions must be a map of names to field references")),
        }
        let unit = match t.get("unit") {
            None | Some(Value::Null) => None,
            Some(Value::String(u)) => Some(
                u.parse::<Unit>()
                    .map_err(|_| bad(format!("unit `{u}` is not a CloudWatch standard unit")))?,
            ),
            Some(_) => return Err(bad("unit must be a string")),
        };
        let filter_pattern = match object.get("filterPattern") {
            Some(Value::String(s)) => s.clone(),
            None | Some(Value::Null) => return Err(bad("filterPattern is required")),
            Some(_) => return Err(bad("filterPattern must be a string")),
        };
        Ok(MetricFilter {
            filter_name: text("filterName")?,
            log_group_name: text("logGroupName")?,
            filter_pattern,
            transformation: Transformation {
                metric_name: t_text("metricName")?,
                metric_namespace: t_text("metricNamespace")?,
                metric_value,
                default_value,
                dimensions,
                unit,
            },
            creation_time_ms,
        })
    }

    /// The DescribeMetricFilters member (also the stored document).
    pub fn to_json(&self) -> Value {
        let t = &self.transformation;
        let mut transformation = Map::new();
        transformation.insert("metricName".into(), json!(t.metric_name));
        transformation.insert("metricNamespace".into(), json!(t.metric_namespace));
        transformation.insert("metricValue".into(), json!(t.metric_value));
        if let Some(default) = t.default_value {
            transformation.insert("defaultValue".into(), json!(default));
        }
        if !t.dimensions.is_empty() {
            transformation.insert("dimensions".into(), json!(t.dimensions));
        }
        if let Some(unit) = t.unit {
            transformation.insert("unit".into(), json!(unit.as_str()));
        }
        json!({
            "filterName": self.filter_name,
            "filterPattern": self.filter_pattern,
            "metricTransformations": [Value::Object(transformation)],
            "creationTime": self.creation_time_ms,
            "logGroupName": self.log_group_name,
            "applyOnTransformedLogs": false,
        })
    }

    /// Reads a stored document (written by [`MetricFilter::to_json`]).
    pub fn from_document(text: &str) -> Result<MetricFilter, FilterError> {
        let value: Value = serde_json::from_str(text)
            .map_err(|err| bad(format!("the stored metric filter is damaged: {err}")))?;
        let Value::Object(object) = value else {
            return Err(bad("the stored metric filter is not an object"));
        };
        let creation = object.get("creationTime").and_then(Value::as_i64).unwrap_or(0);
        MetricFilter::from_json(&object, creation)
    }
}
