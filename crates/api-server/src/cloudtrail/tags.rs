//! Tags of CloudTrail resources (trails and channels): the `Tag` list of requests, checked,
//! and as AWS lists it.

use awsjson::Input;
use catalog::TagStore as _;
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::service::Call;

/// A request's tags: each key with its value, if given.
pub(crate) type RequestTags = Vec<(String, Option<String>)>;

/// Tags one resource may have.
pub(crate) const TAGS_PER_RESOURCE_MAX: usize = 50;

fn bad(code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::bad_request(code, message)
}

fn input_error(err: awsjson::InputError) -> ApiError {
    bad(err.code, err.message)
}

pub(crate) fn parse_tags(input: &Input, member: &str) -> Result<RequestTags, ApiError> {
    let Some(tags) = input.object_list(member).map_err(input_error)? else { return Ok(Vec::new()) };
    let mut out = Vec::with_capacity(tags.len());
    for (idx, tag) in tags.iter().enumerate() {
        let key = tag.string("Key").map_err(input_error)?.ok_or_else(|| {
            bad("InvalidTagParameterException", format!("`{member}[{idx}].Key` is required"))
        })?;
        let value = tag.string("Value").map_err(input_error)?;
        let key_ok = (1..=128).contains(&key.chars().count()) && !key.starts_with("aws:");
        let value_ok = value.is_none_or(|v| v.chars().count() <= 256);
        if !key_ok || !value_ok {
            return Err(bad(
                "InvalidTagParameterException",
                format!(
                    "tag `{key}` is not valid: keys are 1 to 128 characters not starting with `aws:`, values at most 256"
                ),
            ));
        }
        out.push((key.to_owned(), value.map(str::to_owned)));
    }
    Ok(out)
}

/// Adds `tags` to the resource `arn`, unless it would then have more than
/// [`TAGS_PER_RESOURCE_MAX`].
pub(crate) fn add_tags_checked(
    call: &Call,
    arn: &str,
    tags: &[(String, Option<String>)],
) -> Result<(), ApiError> {
    if tags.is_empty() {
        return Ok(());
    }
    let existing = call.state.catalog.tags(arn).map_err(|e| ApiError::internal(&e))?;
    let mut keys: Vec<&str> = existing.iter().map(|(k, _)| k.as_str()).collect();
    keys.extend(tags.iter().map(|(k, _)| k.as_str()));
    keys.sort_unstable();
    keys.dedup();
    if keys.len() > TAGS_PER_RESOURCE_MAX {
        return Err(bad(
            "TagsLimitExceededException",
            format!("a resource can have at most {TAGS_PER_RESOURCE_MAX} tags"),
        ));
    }
    let tags: Vec<(String, String)> =
        tags.iter().map(|(k, v)| (k.clone(), v.clone().unwrap_or_default())).collect();
    call.state.catalog.add_tags(arn, &tags).map_err(|e| ApiError::internal(&e))
}

/// Tags as AWS lists them: a tag set without a value has no `Value` member.
pub(crate) fn tags_value(tags: &[(String, String)]) -> Value {
    Value::Array(
        tags.iter()
            .map(|(key, value)| {
                if value.is_empty() {
                    json!({ "Key": key })
                } else {
                    json!({ "Key": key, "Value": value })
                }
            })
            .collect(),
    )
}
