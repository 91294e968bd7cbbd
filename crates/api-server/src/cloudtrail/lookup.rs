//! LookupEvents (cloudtrail-api.md §11 "Lookup"): event history of the request region, newest
//! first, filtered by at most one lookup attribute and a time range, one page at a time. An
//! account sees its own events; an organization's management account also sees its members'.

use event_history::{Attribute, Category, Hit, Query, token};
use serde_json::{Map, Value, json};

use crate::error::ApiError;
use crate::service::{Call, OpResult};

/// Longest `AttributeValue` (characters), per the model.
const ATTRIBUTE_VALUE_CHARS_MAX: usize = 2000;
/// Page size bounds and default, per the model.
const MAX_RESULTS_MAX: i64 = 50;
const MAX_RESULTS_DEFAULT: usize = 50;

/// A validated LookupEvents request.
struct Request {
    query: Query,
    start_text: String,
    end_text: String,
    category_text: &'static str,
    token: Option<String>,
}

/// LookupEvents, on a blocking thread: the history's reads are file IO.
pub(crate) fn lookup_events(call: &Call) -> OpResult {
    let mut request = parse(call)?;
    let (attribute, value) = match &request.query.filter {
        Some((attribute, value)) => (attribute.as_str(), value.clone()),
        None => ("", String::new()),
    };
    let binding = token::Binding {
        accounts: &request.query.accounts,
        region: &request.query.region,
        category: request.category_text,
        attribute,
        value: &value,
        start: &request.start_text,
        end: &request.end_text,
    };
    if let Some(text) = &request.token {
        let key = token::decode(&binding, text)
            .map_err(|e| ApiError::bad_request("InvalidNextTokenException", e.to_string()))?;
        request.query.after = Some(key);
    }
    let page = call.state.history.lookup(&request.query).map_err(|e| {
        tracing::error!(error = %e, "event history lookup failed");
        ApiError::internal(&e)
    })?;
    let events: Vec<Value> = page.hits.iter().map(event).collect();
    let mut body = Map::new();
    body.insert("Events".into(), Value::Array(events));
    if let Some(next) = page.next {
        body.insert("NextToken".into(), Value::String(token::encode(&binding, next)));
    }
    Ok(Value::Object(body))
}

fn parse(call: &Call) -> Result<Request, ApiError> {
    let input = &call.input;
    let err = |e: awsjson::InputError| ApiError::bad_request(e.code, e.message);
    let invalid_attributes =
        |message: String| ApiError::bad_request("InvalidLookupAttributesException", message);
    let attributes = input.object_list("LookupAttributes").map_err(err)?.unwrap_or_default();
    if attributes.len() > 1 {
        return Err(invalid_attributes(format!(
            "LookupAttributes holds {} attributes; give at most one",
            attributes.len()
        )));
    }
    let filter = match attributes.first() {
        None => None,
        Some(entry) => {
            let key = entry.string("AttributeKey").map_err(err)?.ok_or_else(|| {
                invalid_attributes("a LookupAttribute needs an AttributeKey".into())
            })?;
            let attribute = Attribute::parse(key).ok_or_else(|| {
                invalid_attributes(format!(
                    "AttributeKey `{key}` is not one of EventId, EventName, ReadOnly, Username, ResourceType, ResourceName, EventSource, AccessKeyId"
                ))
            })?;
            let value = entry.string("AttributeValue").map_err(err)?.ok_or_else(|| {
                invalid_attributes("a LookupAttribute needs an AttributeValue".into())
            })?;
            let n_chars = value.chars().count();
            if n_chars == 0 || n_chars > ATTRIBUTE_VALUE_CHARS_MAX {
                return Err(invalid_attributes(format!(
                    "AttributeValue has {n_chars} characters; it must have 1 to {ATTRIBUTE_VALUE_CHARS_MAX}"
                )));
            }
            Some((attribute, value.to_owned()))
        }
    };
    let start_ms = input.timestamp_ms("StartTime").map_err(err)?;
    let end_ms = input.timestamp_ms("EndTime").map_err(err)?;
    if let (Some(start), Some(end)) = (start_ms, end_ms)
        && start > end
    {
        return Err(ApiError::bad_request(
            "InvalidTimeRangeException",
            "StartTime must not be later than EndTime",
        ));
    }
    let (category, category_text) = match input.string("EventCategory").map_err(err)? {
        None => (Category::Management, ""),
        Some("insight") => (Category::Insight, "insight"),
        Some(other) => {
            return Err(ApiError::bad_request(
                "InvalidEventCategoryException",
                format!("EventCategory `{other}` is not valid; the only value is `insight`"),
            ));
        }
    };
    let max_results = match input.integer("MaxResults").map_err(err)? {
        None => MAX_RESULTS_DEFAULT,
        Some(n) if (1..=MAX_RESULTS_MAX).contains(&n) => n as usize,
        Some(n) => {
            return Err(ApiError::bad_request(
                "InvalidMaxResultsException",
                format!("MaxResults is {n}; it must be between 1 and {MAX_RESULTS_MAX}"),
            ));
        }
    };
    let token = input.string("NextToken").map_err(err)?.map(str::to_owned);
    Ok(Request {
        query: Query {
            accounts: visible_accounts(call),
            region: call.caller.region.clone(),
            category,
            filter,
            start_ms,
            end_ms,
            max_results,
            after: None,
        },
        start_text: start_ms.map(|ms| ms.to_string()).unwrap_or_default(),
        end_text: end_ms.map(|ms| ms.to_string()).unwrap_or_default(),
        category_text,
        token,
    })
}

/// The caller's account, and every member account when it is its organization's management
/// account.
fn visible_accounts(call: &Call) -> Vec<String> {
    let own = call.caller.account_id.clone();
    match &call.state.organization {
        Some(org) if org.management_account == own => {
            let mut accounts = vec![own];
            accounts.extend(org.member_accounts.iter().cloned());
            accounts
        }
        _ => vec![own],
    }
}

/// The `Event` shape; members the record lacks are left out, `Resources` is always a list.
fn event(hit: &Hit) -> Value {
    let summary = &hit.summary;
    let text = |value: Option<&str>| value.map(|v| Value::String(v.to_owned()));
    let members = [
        ("EventId", text(summary.event_id.as_deref())),
        ("EventName", text(summary.event_name.as_deref())),
        ("ReadOnly", text(summary.read_only)),
        ("AccessKeyId", text(summary.access_key_id.as_deref())),
        ("EventTime", Some(awsjson::epoch_seconds(hit.key.time_ms))),
        ("EventSource", text(summary.event_source.as_deref())),
        ("Username", text(summary.username.as_deref())),
    ];
    let mut event = Map::new();
    for (name, value) in members {
        if let Some(value) = value {
            event.insert(name.into(), value);
        }
    }
    let resources: Vec<Value> = summary
        .resources
        .iter()
        .map(|(resource_type, name)| match resource_type {
            Some(resource_type) => json!({ "ResourceType": resource_type, "ResourceName": name }),
            None => json!({ "ResourceName": name }),
        })
        .collect();
    event.insert("Resources".into(), Value::Array(resources));
    event.insert(
        "CloudTrailEvent".into(),
        Value::String(String::from_utf8_lossy(&hit.record).into_owned()),
    );
    Value::Object(event)
}
