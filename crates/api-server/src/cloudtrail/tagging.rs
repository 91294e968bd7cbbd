//! The tag operations, AddTags, RemoveTags and ListTags, on trails and channels.

use catalog::TagStore as _;
use serde_json::json;

use super::channels::find_channel;
use super::tags::{RequestTags, add_tags_checked, parse_tags, tags_value};
use super::trails::find_trail;
use crate::error::ApiError;
use crate::service::{Call, OpResult};

fn bad(code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::bad_request(code, message)
}

fn input_error(err: awsjson::InputError) -> ApiError {
    bad(err.code, err.message)
}

/// The ARN of the resource a tag call names (a trail or a channel), after authorization.
fn tagged_resource(call: &Call, resource_id: &str) -> Result<String, ApiError> {
    let resource = cloudtrail_model::Arn::parse(resource_id)
        .ok()
        .filter(|a| a.service == "cloudtrail")
        .map(|a| a.resource);
    match resource {
        Some(resource) if resource.starts_with("trail/") => {
            find_trail(call, resource_id).map(|trail| trail.trail_arn).map_err(|err| {
                if err.code == "TrailNotFoundException" {
                    bad("ResourceNotFoundException", err.message)
                } else {
                    err
                }
            })
        }
        Some(resource) if resource.starts_with("channel/") => {
            find_channel(call, resource_id).map(|channel| channel.channel_arn).map_err(|err| {
                if err.code == "ChannelNotFoundException" {
                    bad("ResourceNotFoundException", err.message)
                } else {
                    err
                }
            })
        }
        Some(_) => Err(bad(
            "ResourceTypeNotSupportedException",
            format!("tags on `{resource_id}` are not supported; trails and channels can be tagged"),
        )),
        None => Err(bad(
            "CloudTrailARNInvalidException",
            format!("`{resource_id}` is not a valid CloudTrail resource ARN"),
        )),
    }
}

/// The resource (`ResourceId`) and tags (`TagsList`) of AddTags and RemoveTags.
fn tag_request(call: &Call) -> Result<(String, RequestTags), ApiError> {
    let resource_id = call
        .input
        .required_string("ResourceId", "ResourceNotFoundException")
        .map_err(input_error)?;
    let arn = tagged_resource(call, resource_id)?;
    let tags = parse_tags(&call.input, "TagsList")?;
    Ok((arn, tags))
}

pub(crate) fn add_tags(call: &Call) -> OpResult {
    let (arn, tags) = tag_request(call)?;
    add_tags_checked(call, &arn, &tags)?;
    Ok(json!({}))
}

pub(crate) fn remove_tags(call: &Call) -> OpResult {
    let (arn, tags) = tag_request(call)?;
    call.state.catalog.remove_tags(&arn, &tags).map_err(|e| ApiError::internal(&e))?;
    Ok(json!({}))
}

pub(crate) fn list_tags(call: &Call) -> OpResult {
    let ids = call
        .input
        .string_list("ResourceIdList")
        .map_err(input_error)?
        .ok_or_else(|| bad("InvalidParameterException", "`ResourceIdList` is required"))?;
    if ids.len() > 20 {
        return Err(bad(
            "InvalidParameterException",
            "`ResourceIdList` may name at most 20 resources",
        ));
    }
    if let Some(token) = call.input.string("NextToken").map_err(input_error)? {
        return Err(bad(
            "InvalidTokenException",
            format!("`{token}` is not a token this service issued"),
        ));
    }
    let mut list = Vec::with_capacity(ids.len());
    for id in ids {
        let arn = tagged_resource(call, id)?;
        let tags = call.state.catalog.tags(&arn).map_err(|e| ApiError::internal(&e))?;
        list.push(json!({ "ResourceId": arn, "TagsList": tags_value(&tags) }));
    }
    Ok(json!({ "ResourceTagList": list }))
}
