//! `${VAR}` and `${VAR:-default}` in string values, and the `OPENTRAIL_*` overrides.
//!
//! Expansion works on parsed TOML string values, never on the raw text, so a variable's value
//! cannot inject TOML and comments are never expanded. Keys are not expanded. The environment
//! is a map passed in by the caller (only the binary reads the process environment).
//!
//! - `${VAR}`: the value of `VAR` (may be empty); an error if `VAR` is unset.
//! - `${VAR:-default}`: the value of `VAR`, or `default` if `VAR` is unset or empty (as in sh).
//!   `default` runs to the first `}` and is not expanded again.
//! - `$${`: a literal `${` (scanning left to right, so `$$${X}` is `$${X}`). Any other `$` is
//!   literal.
//! - `VAR` is `[A-Za-z_][A-Za-z0-9_]*`; anything else between `${` and `}` is an error, so a
//!   shell-ism like `${VAR-x}` or `${VAR:=x}` fails loudly.

use std::collections::BTreeMap;

use crate::error::{Problem, ProblemKind};

/// Environment variables that override top-level keys. They win over the file, their values
/// are taken literally (not expanded), and the file's value for an overridden key is not
/// expanded either, so `listen = "${LISTEN}"` does not fail when `OPENTRAIL_LISTEN` is set.
/// An empty value counts as unset. Other `OPENTRAIL_*` variables are ignored
/// here: the same environment carries client settings such as `OPENTRAIL_DEFAULT_CHANNEL_ARN`.
pub const ENV_OVERRIDES: &[(&str, &str)] = &[
    ("OPENTRAIL_LISTEN", "listen"),
    ("OPENTRAIL_DATA_DIR", "data_dir"),
    ("OPENTRAIL_REGION", "region"),
    ("OPENTRAIL_DELIVERY_INTERVAL", "delivery_interval"),
    ("OPENTRAIL_DIGEST_INTERVAL", "digest_interval"),
    ("OPENTRAIL_HISTORY_RETENTION", "history_retention"),
];

/// Expands every string value of `table` in place, except the top-level `literal_keys` (the
/// ones an override has set); one problem per bad string.
pub(crate) fn expand_table(
    table: &mut toml::Table,
    env: &BTreeMap<String, String>,
    literal_keys: &[&str],
    problems: &mut Vec<Problem>,
) {
    for (key, value) in table.iter_mut() {
        if !literal_keys.contains(&key.as_str()) {
            expand_value(value, key, env, problems);
        }
    }
}

fn expand_value(
    value: &mut toml::Value,
    path: &str,
    env: &BTreeMap<String, String>,
    problems: &mut Vec<Problem>,
) {
    match value {
        toml::Value::String(text) => match expand(text, env) {
            Ok(expanded) => *text = expanded,
            Err(message) => problems.push(Problem::new(path, ProblemKind::Interpolation, message)),
        },
        toml::Value::Array(items) => {
            for (idx, item) in items.iter_mut().enumerate() {
                expand_value(item, &format!("{path}[{idx}]"), env, problems);
            }
        }
        toml::Value::Table(table) => {
            for (key, item) in table.iter_mut() {
                expand_value(item, &format!("{path}.{key}"), env, problems);
            }
        }
        toml::Value::Integer(_)
        | toml::Value::Float(_)
        | toml::Value::Boolean(_)
        | toml::Value::Datetime(_) => {}
    }
}

/// Expands one string. The error completes a sentence that starts with the key path.
pub(crate) fn expand(text: &str, env: &BTreeMap<String, String>) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(dollar_idx) = rest.find('$') {
        out.push_str(&rest[..dollar_idx]);
        let after = &rest[dollar_idx..];
        if let Some(tail) = after.strip_prefix("$${") {
            out.push_str("${");
            rest = tail;
            continue;
        }
        let Some(body_and_tail) = after.strip_prefix("${") else {
            out.push('$');
            rest = &after[1..];
            continue;
        };
        let Some(close_idx) = body_and_tail.find('}') else {
            return Err("has a `${` without a closing `}`".to_owned());
        };
        let body = &body_and_tail[..close_idx];
        rest = &body_and_tail[close_idx + 1..];
        let (name, default) = match body.split_once(":-") {
            Some((name, default)) => (name, Some(default)),
            None => (body, None),
        };
        if !is_variable_name(name) {
            return Err(format!(
                "has `${{{body}}}`; write `${{NAME}}` or `${{NAME:-default}}` where NAME is letters, digits and `_`, not starting with a digit"
            ));
        }
        match (env.get(name), default) {
            (Some(value), Some(default)) if value.is_empty() => out.push_str(default),
            (Some(value), _) => out.push_str(value),
            (None, Some(default)) => out.push_str(default),
            (None, None) => {
                return Err(format!(
                    "uses `${{{name}}}`, but `{name}` is not set and no default is given (write `${{{name}:-default}}`)"
                ));
            }
        }
    }
    out.push_str(rest);
    Ok(out)
}

fn is_variable_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Applies [`ENV_OVERRIDES`] to the top level of `table`; returns `(key, variable)` for each
/// key it set, so later problems about that key can name the variable.
pub(crate) fn apply_overrides(
    table: &mut toml::Table,
    env: &BTreeMap<String, String>,
) -> Vec<(&'static str, &'static str)> {
    let mut applied = Vec::new();
    for &(variable, key) in ENV_OVERRIDES {
        let Some(value) = env.get(variable).filter(|value| !value.is_empty()) else { continue };
        table.insert(key.to_owned(), toml::Value::String(value.clone()));
        applied.push((key, variable));
    }
    applied
}

#[cfg(test)]
mod tests;
