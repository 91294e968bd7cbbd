//! AWS JSON 1.1 framing (`../shared/spec/cloudtrail-api.md` §2–§4): the operation named by
//! `X-Amz-Target`, typed reading of request members with AWS's error classes, error bodies
//! and epoch-second timestamps. No IO, no HTTP types: the server maps these to responses.
//!
//! Request members are read strictly by JSON type (a wrong type is a `SerializationException`,
//! as AWS's JSON services answer), unknown members are ignored (newer SDKs keep working), and a
//! missing required member is reported with the operation's own error code, which the caller
//! chooses.

use serde_json::{Map, Number, Value};

/// The `X-Amz-Target` prefix of the CloudTrail API, as botocore sends it.
pub const CLOUDTRAIL_TARGET_PREFIX: &str =
    "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.";

/// The short form the Go, JavaScript, .NET and Java SDKs send (`CloudTrail_20131101.<Op>`).
pub const CLOUDTRAIL_SHORT_TARGET_PREFIX: &str = "CloudTrail_20131101.";

/// Whether `target` addresses the CloudTrail API in either form.
pub fn is_cloudtrail_target(target: &str) -> bool {
    addresses(target, CLOUDTRAIL_TARGET_PREFIX)
}

/// Whether `target` addresses the service whose `X-Amz-Target` prefix is `prefix`, in its long
/// (namespaced) form or the short form the long one ends in (`CloudTrail_20131101.`).
pub fn addresses(target: &str, prefix: &str) -> bool {
    target.starts_with(prefix) || short_prefix(prefix).is_some_and(|s| target.starts_with(&s))
}

/// `Service_Version.` of a namespaced prefix `com.amazonaws.….Service_Version.`.
fn short_prefix(prefix: &str) -> Option<String> {
    prefix.rsplit('.').nth(1).map(|service| format!("{service}."))
}

/// Why a request could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct InputError {
    /// AWS error code (`SerializationException`, `UnknownOperationException`, or the code the
    /// caller chose for a missing member).
    pub code: &'static str,
    pub message: String,
}

impl InputError {
    pub fn new(code: &'static str, message: impl Into<String>) -> InputError {
        InputError { code, message: message.into() }
    }
}

/// The operation name in `X-Amz-Target`, after the service's prefix.
pub fn operation<'a>(target: Option<&'a str>, prefix: &str) -> Result<&'a str, InputError> {
    let target = target.ok_or_else(|| {
        InputError::new(
            "UnknownOperationException",
            "the request has no `X-Amz-Target` header naming an operation",
        )
    })?;
    // The long (namespaced) form ends in the short form: accept both.
    let short = short_prefix(prefix);
    let name = target
        .strip_prefix(prefix)
        .or_else(|| short.as_deref().and_then(|short| target.strip_prefix(short)));
    match name {
        Some(name) if !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric()) => {
            Ok(name)
        }
        _ => Err(InputError::new(
            "UnknownOperationException",
            format!("unknown operation `{}`", clip(target)),
        )),
    }
}

/// The request's members. An empty body reads as `{}`.
#[derive(Clone, Debug, Default)]
pub struct Input {
    members: Map<String, Value>,
}

impl Input {
    pub fn parse(body: &[u8]) -> Result<Input, InputError> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Input::default());
        }
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(members)) => Ok(Input { members }),
            Ok(_) => Err(InputError::new(
                "SerializationException",
                "the request body must be a JSON object",
            )),
            Err(err) => Err(InputError::new(
                "SerializationException",
                format!("the request body is not valid JSON: {err}"),
            )),
        }
    }

    pub fn members(&self) -> &Map<String, Value> {
        &self.members
    }

    /// The raw value of a member (`null` counts as absent, as botocore never sends it).
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.members.get(name).filter(|v| !v.is_null())
    }

    pub fn string(&self, name: &str) -> Result<Option<&str>, InputError> {
        self.typed(name, "string", Value::as_str)
    }

    /// A required string member; `missing_code` is the operation's error for its absence.
    pub fn required_string(
        &self,
        name: &str,
        missing_code: &'static str,
    ) -> Result<&str, InputError> {
        self.string(name)?
            .ok_or_else(|| InputError::new(missing_code, format!("`{name}` is required")))
    }

    pub fn bool(&self, name: &str) -> Result<Option<bool>, InputError> {
        self.typed(name, "boolean", Value::as_bool)
    }

    pub fn integer(&self, name: &str) -> Result<Option<i64>, InputError> {
        self.typed(name, "integer", Value::as_i64)
    }

    /// A timestamp: epoch seconds (integer or fraction), or leniently an ISO-8601 string's
    /// epoch is left to the caller; returns milliseconds.
    pub fn timestamp_ms(&self, name: &str) -> Result<Option<i64>, InputError> {
        if let Some(other) = self.get(name).filter(|value| !value.is_number()) {
            return Err(wrong_type(name, "timestamp (epoch seconds)", other));
        }
        self.typed(name, "timestamp", |value| {
            let seconds = value.as_f64().filter(|f| f.is_finite() && f.abs() < 1e13)?;
            Some((seconds * 1000.0).round() as i64)
        })
    }

    pub fn string_list(&self, name: &str) -> Result<Option<Vec<&str>>, InputError> {
        self.list(name, "string", Value::as_str)
    }

    /// A list of structures, each returned as its members.
    pub fn object_list(&self, name: &str) -> Result<Option<Vec<Input>>, InputError> {
        self.list(name, "structure", |item| {
            item.as_object().map(|members| Input { members: members.clone() })
        })
    }

    /// Member `name` as `convert` reads it; a member `convert` cannot read is not of the
    /// `expected` type.
    fn typed<'a, T>(
        &'a self,
        name: &str,
        expected: &str,
        convert: impl FnOnce(&'a Value) -> Option<T>,
    ) -> Result<Option<T>, InputError> {
        let Some(value) = self.get(name) else { return Ok(None) };
        convert(value).map(Some).ok_or_else(|| wrong_type(name, expected, value))
    }

    /// List member `name`, each item as `convert` reads it; an item `convert` cannot read is
    /// not of the `item_type` type.
    fn list<'a, T>(
        &'a self,
        name: &str,
        item_type: &str,
        convert: impl Fn(&'a Value) -> Option<T>,
    ) -> Result<Option<Vec<T>>, InputError> {
        let Some(value) = self.get(name) else { return Ok(None) };
        let Value::Array(items) = value else { return Err(wrong_type(name, "list", value)) };
        let mut out = Vec::with_capacity(items.len());
        for (idx, item) in items.iter().enumerate() {
            let read = convert(item);
            out.push(read.ok_or_else(|| wrong_type(&format!("{name}[{idx}]"), item_type, item))?);
        }
        Ok(Some(out))
    }
}

fn wrong_type(name: &str, expected: &str, found: &Value) -> InputError {
    let found = match found {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "list",
        Value::Object(_) => "structure",
    };
    InputError::new(
        "SerializationException",
        format!("`{name}` must be a {expected}, found a {found}"),
    )
}

/// An epoch-seconds JSON number with millisecond precision (`1732101234.567`), as AWS
/// answers timestamps.
pub fn epoch_seconds(unix_millis: i64) -> Value {
    let value = if unix_millis % 1000 == 0 {
        Number::from(unix_millis / 1000)
    } else {
        Number::from_f64(unix_millis as f64 / 1000.0)
            .unwrap_or_else(|| Number::from(unix_millis / 1000))
    };
    Value::Number(value)
}

/// The JSON 1.1 error body: `{"__type": code, "message": message}`.
pub fn error_body(code: &str, message: &str) -> String {
    serde_json::json!({ "__type": code, "message": message }).to_string()
}

fn clip(text: &str) -> String {
    if text.chars().count() <= 200 {
        text.to_owned()
    } else {
        text.chars().take(200).collect::<String>() + "…"
    }
}

#[cfg(test)]
mod tests;
