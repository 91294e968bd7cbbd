//! Channel operations (CreateChannel, GetChannel, ListChannels, UpdateChannel, DeleteChannel):
//! the CloudTrail Lake integrations that `PutAuditEvents` sends to.
//!
//! Destinations name event data stores; until OpenTrail's Lake exists, their ARNs are checked
//! for syntax but not for existence.

use std::collections::HashMap;

use awsjson::Input;
use catalog::{ChannelStore as _, TagStore as _};
use serde_json::{Map, Value, json};

use super::tags::{parse_tags, tags_value};
use crate::error::ApiError;
use crate::service::{Call, OpResult};

/// Channels one account may have in one region (2023 quota table).
const CHANNELS_PER_REGION_MAX: usize = 25;
const DESTINATIONS_MAX: usize = 200;
const LIST_PAGE_MAX: usize = 1000;

/// What `GetChannel` reports about ingestion, kept since the server started.
#[derive(Clone, Debug, Default)]
pub(crate) struct IngestionStatus {
    pub(crate) latest_success_ms: Option<i64>,
    pub(crate) latest_success_event_id: Option<String>,
    pub(crate) latest_error_code: Option<String>,
    pub(crate) latest_attempt_ms: Option<i64>,
    pub(crate) latest_attempt_event_id: Option<String>,
}

/// Ingestion status by channel ARN.
#[derive(Default)]
pub(crate) struct IngestionStatuses(std::sync::Mutex<HashMap<String, IngestionStatus>>);

impl IngestionStatuses {
    /// Records one PutAuditEvents call: the last stored event id, and the last error code.
    pub(crate) fn record(
        &self,
        channel_arn: &str,
        now_ms: i64,
        stored_event_id: Option<&str>,
        error_code: Option<&str>,
    ) {
        let mut map = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let status = map.entry(channel_arn.to_owned()).or_default();
        status.latest_attempt_ms = Some(now_ms);
        if let Some(event_id) = stored_event_id {
            status.latest_success_ms = Some(now_ms);
            status.latest_success_event_id = Some(event_id.to_owned());
            status.latest_attempt_event_id = Some(event_id.to_owned());
        }
        if let Some(code) = error_code {
            status.latest_error_code = Some(code.to_owned());
        }
    }

    fn get(&self, channel_arn: &str) -> IngestionStatus {
        let map = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        map.get(channel_arn).cloned().unwrap_or_default()
    }
}

fn input_error(err: awsjson::InputError) -> ApiError {
    ApiError::bad_request(err.code, err.message)
}

fn check_name(name: &str) -> Result<(), ApiError> {
    let ok = (3..=128).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(ApiError::bad_request(
            "InvalidParameterException",
            format!("channel name `{name}` must be 3 to 128 characters of `[a-zA-Z0-9._-]`"),
        ))
    }
}

/// Destinations as stored (`[{"Type","Location"}]`), validated.
fn parse_destinations(input: &Input) -> Result<Option<Value>, ApiError> {
    let Some(destinations) = input.object_list("Destinations").map_err(input_error)? else {
        return Ok(None);
    };
    if destinations.is_empty() || destinations.len() > DESTINATIONS_MAX {
        return Err(ApiError::bad_request(
            "InvalidParameterException",
            format!("`Destinations` must have 1 to {DESTINATIONS_MAX} items"),
        ));
    }
    let mut out = Vec::with_capacity(destinations.len());
    for (idx, destination) in destinations.iter().enumerate() {
        let kind = destination
            .required_string("Type", "InvalidParameterException")
            .map_err(input_error)?;
        let location = destination
            .required_string("Location", "InvalidParameterException")
            .map_err(input_error)?;
        match kind {
            "EVENT_DATA_STORE" => {
                let ok = cloudtrail_model::Arn::parse(location).is_ok_and(|a| {
                    a.service == "cloudtrail" && a.resource.starts_with("eventdatastore/")
                });
                if !ok {
                    return Err(ApiError::bad_request(
                        "EventDataStoreARNInvalidException",
                        format!(
                            "`Destinations[{idx}].Location` `{location}` is not an event data store ARN"
                        ),
                    ));
                }
            }
            "AWS_SERVICE" => {
                if !(3..=1024).contains(&location.len()) {
                    return Err(ApiError::bad_request(
                        "InvalidParameterException",
                        format!("`Destinations[{idx}].Location` must be 3 to 1024 characters"),
                    ));
                }
            }
            other => {
                return Err(ApiError::bad_request(
                    "InvalidParameterException",
                    format!(
                        "`Destinations[{idx}].Type` `{other}` is not `EVENT_DATA_STORE` or `AWS_SERVICE`"
                    ),
                ));
            }
        }
        out.push(json!({ "Type": kind, "Location": location }));
    }
    Ok(Some(Value::Array(out)))
}

/// The channel a `Channel` member names: its ARN or UUID, in the caller's account.
pub(crate) fn find_channel(call: &Call, arn_or_id: &str) -> Result<catalog::Channel, ApiError> {
    let is_uuid = |s: &str| s.len() == 36 && s.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
    let well_formed = match cloudtrail_model::Arn::parse(arn_or_id) {
        Ok(arn) => {
            arn.service == "cloudtrail"
                && arn.resource.strip_prefix("channel/").is_some_and(is_uuid)
        }
        Err(_) => is_uuid(arn_or_id),
    };
    if !well_formed {
        return Err(ApiError::bad_request(
            "ChannelARNInvalidException",
            format!("`{arn_or_id}` is not a channel ARN or id"),
        ));
    }
    let channel = call.state.catalog.channel(arn_or_id).map_err(|e| ApiError::internal(&e))?;
    match channel {
        Some(channel) if channel.account_id == call.caller.account_id => {
            call.authorize(&channel.channel_arn, &channel.account_id, false)?;
            Ok(channel)
        }
        _ => Err(ApiError::bad_request(
            "ChannelNotFoundException",
            format!("channel {arn_or_id} not found"),
        )),
    }
}

fn destinations_value(channel: &catalog::Channel) -> Value {
    serde_json::from_str(&channel.destinations).unwrap_or(Value::Array(Vec::new()))
}

pub(crate) fn create_channel(call: &Call) -> OpResult {
    let input = &call.input;
    let name = input.required_string("Name", "InvalidParameterException").map_err(input_error)?;
    check_name(name)?;
    let source = input.required_string("Source", "InvalidSourceException").map_err(input_error)?;
    if source.is_empty() || source.chars().count() > 256 {
        return Err(ApiError::bad_request(
            "InvalidSourceException",
            "`Source` must be 1 to 256 characters",
        ));
    }
    let destinations = parse_destinations(input)?.ok_or_else(|| {
        ApiError::bad_request("InvalidParameterException", "`Destinations` is required")
    })?;
    let tags = parse_tags(input, "Tags")?;
    let caller = &call.caller;
    call.authorize_account()?;
    let mine = call
        .state
        .catalog
        .channels_in(&caller.account_id, &caller.region)
        .map_err(|e| ApiError::internal(&e))?;
    if mine.iter().any(|c| c.name == name) {
        return Err(ApiError::bad_request(
            "ChannelAlreadyExistsException",
            format!("a channel named `{name}` already exists"),
        ));
    }
    if source != "Custom" && mine.iter().any(|c| c.source == source) {
        return Err(ApiError::bad_request(
            "ChannelAlreadyExistsException",
            format!("a channel for source `{source}` already exists"),
        ));
    }
    if mine.len() >= CHANNELS_PER_REGION_MAX {
        return Err(ApiError::bad_request(
            "ChannelMaxLimitExceededException",
            format!("an account can have at most {CHANNELS_PER_REGION_MAX} channels in a region"),
        ));
    }
    let channel_id = ingest::write_model::new_id();
    let channel = catalog::Channel {
        channel_arn: format!(
            "arn:aws:cloudtrail:{}:{}:channel/{channel_id}",
            caller.region, caller.account_id
        ),
        channel_id,
        name: name.to_owned(),
        source: source.to_owned(),
        account_id: caller.account_id.clone(),
        region: caller.region.clone(),
        destinations: destinations.to_string(),
    };
    call.state.catalog.create_channel(&channel, call.now_ms / 1000).map_err(|err| match err {
        catalog::Error::AlreadyExists { .. } => ApiError::bad_request(
            "ChannelAlreadyExistsException",
            format!("a channel named `{name}` already exists"),
        ),
        other => ApiError::internal(&other),
    })?;
    let tags: Vec<(String, String)> =
        tags.into_iter().map(|(k, v)| (k, v.unwrap_or_default())).collect();
    if !tags.is_empty() {
        call.state
            .catalog
            .add_tags(&channel.channel_arn, &tags)
            .map_err(|e| ApiError::internal(&e))?;
    }
    let mut out = Map::new();
    out.insert("ChannelArn".into(), channel.channel_arn.clone().into());
    out.insert("Name".into(), channel.name.clone().into());
    out.insert("Source".into(), channel.source.clone().into());
    out.insert("Destinations".into(), destinations);
    if !tags.is_empty() {
        out.insert("Tags".into(), tags_value(&tags));
    }
    Ok(Value::Object(out))
}

pub(crate) fn get_channel(call: &Call) -> OpResult {
    let name =
        call.input.required_string("Channel", "ChannelARNInvalidException").map_err(input_error)?;
    let channel = find_channel(call, name)?;
    let status = call.state.ingestion.get(&channel.channel_arn);
    let mut ingestion = Map::new();
    if let Some(ms) = status.latest_success_ms {
        ingestion.insert("LatestIngestionSuccessTime".into(), awsjson::epoch_seconds(ms));
    }
    if let Some(id) = status.latest_success_event_id {
        ingestion.insert("LatestIngestionSuccessEventID".into(), id.into());
    }
    if let Some(code) = status.latest_error_code {
        ingestion.insert("LatestIngestionErrorCode".into(), code.into());
    }
    if let Some(ms) = status.latest_attempt_ms {
        ingestion.insert("LatestIngestionAttemptTime".into(), awsjson::epoch_seconds(ms));
    }
    if let Some(id) = status.latest_attempt_event_id {
        ingestion.insert("LatestIngestionAttemptEventID".into(), id.into());
    }
    Ok(json!({
        "ChannelArn": channel.channel_arn,
        "Name": channel.name,
        "Source": channel.source,
        "SourceConfig": {
            "ApplyToAllRegions": false,
            "AdvancedEventSelectors": [{ "FieldSelectors": [{ "Field": "eventCategory", "Equals": ["ActivityAuditLog"] }] }],
        },
        "Destinations": destinations_value(&channel),
        "IngestionStatus": Value::Object(ingestion),
    }))
}

pub(crate) fn list_channels(call: &Call) -> OpResult {
    let max_results = call.input.integer("MaxResults").map_err(input_error)?;
    let page = match max_results {
        None => LIST_PAGE_MAX,
        Some(n) if (1..=LIST_PAGE_MAX as i64).contains(&n) => n as usize,
        Some(n) => {
            return Err(ApiError::bad_request(
                "InvalidParameterException",
                format!("`MaxResults` must be 1 to {LIST_PAGE_MAX}, got {n}"),
            ));
        }
    };
    let start = match call.input.string("NextToken").map_err(input_error)? {
        None => 0,
        Some(token) => {
            token.strip_prefix("chan-").and_then(|n| n.parse::<usize>().ok()).ok_or_else(|| {
                ApiError::bad_request(
                    "InvalidNextTokenException",
                    format!("`{token}` is not a token this service issued"),
                )
            })?
        }
    };
    call.authorize_account()?;
    let mine = call
        .state
        .catalog
        .channels_in(&call.caller.account_id, &call.caller.region)
        .map_err(|e| ApiError::internal(&e))?;
    let channels: Vec<Value> = mine
        .iter()
        .skip(start)
        .take(page)
        .map(|c| json!({ "ChannelArn": c.channel_arn, "Name": c.name }))
        .collect();
    let mut out = Map::new();
    out.insert("Channels".into(), Value::Array(channels));
    if start + page < mine.len() {
        out.insert("NextToken".into(), format!("chan-{}", start + page).into());
    }
    Ok(Value::Object(out))
}

pub(crate) fn update_channel(call: &Call) -> OpResult {
    let name =
        call.input.required_string("Channel", "ChannelARNInvalidException").map_err(input_error)?;
    let mut channel = find_channel(call, name)?;
    if let Some(new_name) = call.input.string("Name").map_err(input_error)? {
        check_name(new_name)?;
        channel.name = new_name.to_owned();
    }
    if let Some(destinations) = parse_destinations(&call.input)? {
        channel.destinations = destinations.to_string();
    }
    let updated = call.state.catalog.update_channel(&channel).map_err(|err| match err {
        catalog::Error::AlreadyExists { .. } => ApiError::bad_request(
            "ChannelAlreadyExistsException",
            format!("a channel named `{}` already exists", channel.name),
        ),
        other => ApiError::internal(&other),
    })?;
    if !updated {
        return Err(ApiError::bad_request(
            "ChannelNotFoundException",
            format!("channel {name} not found"),
        ));
    }
    Ok(json!({
        "ChannelArn": channel.channel_arn,
        "Name": channel.name,
        "Source": channel.source,
        "Destinations": destinations_value(&channel),
    }))
}

pub(crate) fn delete_channel(call: &Call) -> OpResult {
    let name =
        call.input.required_string("Channel", "ChannelARNInvalidException").map_err(input_error)?;
    let channel = find_channel(call, name)?;
    call.state.catalog.delete_channel(&channel.channel_arn).map_err(|e| ApiError::internal(&e))?;
    Ok(json!({}))
}
