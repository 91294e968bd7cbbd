//! Reading request members with type checks (messages name the member by JSON path) and writing
//! the response shapes. `null` counts as absent, as botocore never sends it and other AWS JSON
//! services ignore it (believed).

use cloudtrail_model::json::{Object, Value};

use crate::error::SelectorError;

/// The member called `name`, unless absent or `null`.
pub(crate) fn member<'a>(object: &'a Object, name: &str) -> Option<&'a Value> {
    object.get(name).filter(|value| !value.is_null())
}

pub(crate) fn object<'a>(value: &'a Value, path: &str) -> Result<&'a Object, SelectorError> {
    value.as_object().ok_or_else(|| SelectorError::mistyped(path, "an object", value.type_name()))
}

pub(crate) fn array<'a>(value: &'a Value, path: &str) -> Result<&'a [Value], SelectorError> {
    value.as_array().ok_or_else(|| SelectorError::mistyped(path, "an array", value.type_name()))
}

pub(crate) fn string<'a>(value: &'a Value, path: &str) -> Result<&'a str, SelectorError> {
    value.as_str().ok_or_else(|| SelectorError::mistyped(path, "a string", value.type_name()))
}

pub(crate) fn boolean(value: &Value, path: &str) -> Result<bool, SelectorError> {
    value.as_bool().ok_or_else(|| SelectorError::mistyped(path, "a boolean", value.type_name()))
}

/// An array of strings.
pub(crate) fn strings(value: &Value, path: &str) -> Result<Vec<String>, SelectorError> {
    let items = array(value, path)?;
    let mut out = Vec::with_capacity(items.len());
    for (idx, item) in items.iter().enumerate() {
        out.push(string(item, &format!("{path}[{idx}]"))?.to_owned());
    }
    Ok(out)
}

pub(crate) fn string_array(values: &[String]) -> Value {
    Value::Array(values.iter().map(|value| Value::String(value.clone())).collect())
}
