//! Which records event history keeps, and what LookupEvents filters on and shows of each: the
//! eight lookup attributes, `Username`, and `Resources` (cloudtrail-api.md §7 "Event").

use cloudtrail_model::classify;
use cloudtrail_model::json::Value;
use cloudtrail_model::{EventCategory, EventTime, Record};

use crate::resources;

/// The `AttributeKey`s of LookupEvents.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Attribute {
    EventId,
    EventName,
    ReadOnly,
    Username,
    ResourceType,
    ResourceName,
    EventSource,
    AccessKeyId,
}

impl Attribute {
    pub const ALL: [Attribute; 8] = [
        Attribute::EventId,
        Attribute::EventName,
        Attribute::ReadOnly,
        Attribute::Username,
        Attribute::ResourceType,
        Attribute::ResourceName,
        Attribute::EventSource,
        Attribute::AccessKeyId,
    ];

    /// The wire name (`EventId`, ...); case-sensitive, as AWS's enum.
    pub fn parse(text: &str) -> Option<Attribute> {
        Attribute::ALL.into_iter().find(|a| a.as_str() == text)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Attribute::EventId => "EventId",
            Attribute::EventName => "EventName",
            Attribute::ReadOnly => "ReadOnly",
            Attribute::Username => "Username",
            Attribute::ResourceType => "ResourceType",
            Attribute::ResourceName => "ResourceName",
            Attribute::EventSource => "EventSource",
            Attribute::AccessKeyId => "AccessKeyId",
        }
    }

    /// The byte that stands for the attribute in index terms; never changes (on-disk format).
    pub(crate) fn code(self) -> u8 {
        match self {
            Attribute::EventId => 1,
            Attribute::EventName => 2,
            Attribute::ReadOnly => 3,
            Attribute::Username => 4,
            Attribute::ResourceType => 5,
            Attribute::ResourceName => 6,
            Attribute::EventSource => 7,
            Attribute::AccessKeyId => 8,
        }
    }
}

/// Event history keeps management events (the default answer) and Insights events (answered
/// only to `EventCategory=insight`), as AWS does; data and network-activity events are not in
/// event history.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Category {
    Management,
    Insight,
}

impl Category {
    pub(crate) fn code(self) -> u8 {
        match self {
            Category::Management => 1,
            Category::Insight => 2,
        }
    }
}

/// What LookupEvents shows of one record besides the record itself.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Summary {
    pub event_id: Option<String>,
    pub event_name: Option<String>,
    /// `"true"` / `"false"`: a string on the wire.
    pub read_only: Option<&'static str>,
    pub access_key_id: Option<String>,
    pub event_source: Option<String>,
    pub username: Option<String>,
    /// `(ResourceType, ResourceName)`; the type is absent when unknown.
    pub resources: Vec<(Option<String>, String)>,
}

impl Summary {
    /// Every `(attribute, value)` the record can be looked up by; repeated values appear once.
    pub fn lookup_values(&self) -> Vec<(Attribute, &str)> {
        let mut values = Vec::with_capacity(8 + 2 * self.resources.len());
        let singles = [
            (Attribute::EventId, self.event_id.as_deref()),
            (Attribute::EventName, self.event_name.as_deref()),
            (Attribute::ReadOnly, self.read_only),
            (Attribute::Username, self.username.as_deref()),
            (Attribute::EventSource, self.event_source.as_deref()),
            (Attribute::AccessKeyId, self.access_key_id.as_deref()),
        ];
        for (attribute, value) in singles {
            if let Some(value) = value.filter(|v| !v.is_empty()) {
                values.push((attribute, value));
            }
        }
        for (resource_type, name) in &self.resources {
            if let Some(resource_type) = resource_type {
                values.push((Attribute::ResourceType, resource_type.as_str()));
            }
            values.push((Attribute::ResourceName, name.as_str()));
        }
        values.sort_unstable();
        values.dedup();
        values
    }

    /// Whether `attribute` has exactly `value` (what a lookup by it matches).
    pub fn has(&self, attribute: Attribute, value: &str) -> bool {
        self.lookup_values().iter().any(|(a, v)| *a == attribute && *v == value)
    }
}

/// A record event history keeps: where it belongs and when it happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Indexed {
    pub account: String,
    pub region: String,
    pub category: Category,
    /// `eventTime` in Unix milliseconds; the ingestion time when the record has none.
    pub time_ms: i64,
    pub summary: Summary,
}

/// Whether event history keeps `record`, and how to find it. `None` for data and
/// network-activity events and for records without an account or region (nobody could see
/// them). `ingested_ms` stands in for a missing or unreadable `eventTime`.
pub fn classify(record: &Record, ingested_ms: i64) -> Option<Indexed> {
    let category = match classify::category(record) {
        EventCategory::Management => Category::Management,
        EventCategory::Insight => Category::Insight,
        _ => return None,
    };
    let account = record.recipient_account_id.as_deref().filter(|a| !a.is_empty())?;
    let region = record.aws_region.as_deref().filter(|r| !r.is_empty())?;
    let time_ms = record
        .event_time()
        .and_then(|t| EventTime::parse(t).ok())
        .map_or(ingested_ms, |t| t.unix_seconds * 1000 + i64::from(t.nanos / 1_000_000));
    Some(Indexed {
        account: account.to_owned(),
        region: region.to_owned(),
        category,
        time_ms,
        summary: summarize(record, category),
    })
}

/// The `Event` members of a record (cloudtrail-api.md §7).
pub fn summarize(record: &Record, category: Category) -> Summary {
    let insight = record.insight_details.get();
    let (event_name, event_source) = match (category, insight) {
        (Category::Insight, Some(details)) => (
            details.event_name.as_deref().or(record.event_name()),
            details.event_source.as_deref().or(record.event_source()),
        ),
        _ => (record.event_name(), record.event_source()),
    };
    let read_only = match record.read_only.get() {
        Some(true) => Some("true"),
        Some(false) => Some("false"),
        // Some producers write the string form.
        None => match &record.read_only {
            cloudtrail_model::Field::Mistyped(Value::String(text)) if text == "true" => {
                Some("true")
            }
            cloudtrail_model::Field::Mistyped(Value::String(text)) if text == "false" => {
                Some("false")
            }
            _ => None,
        },
    };
    let identity = record.user_identity.get();
    let access_key_id = identity
        .and_then(|i| i.access_key_id.as_deref())
        .filter(|k| !k.is_empty())
        .map(str::to_owned);
    Summary {
        event_id: record.event_id().map(str::to_owned),
        event_name: event_name.map(str::to_owned),
        read_only,
        access_key_id,
        event_source: event_source.map(str::to_owned),
        username: username(record),
        resources: resources::of(record),
    }
}

/// The event history user name: the IAM user's name; an assumed role's session name; `root`
/// for the root user; otherwise the last part of the caller's ARN, the invoking service, or
/// the principal id.
pub fn username(record: &Record) -> Option<String> {
    let identity = record.user_identity.get()?;
    let kind = identity.identity_type.as_deref().unwrap_or_default();
    let arn_name = || {
        identity
            .arn
            .as_deref()
            .and_then(|arn| arn.rsplit(['/', ':']).next())
            .filter(|n| !n.is_empty())
            .map(str::to_owned)
    };
    let name = match kind {
        "Root" => Some("root".to_owned()),
        "AssumedRole" => arn_name(),
        _ => identity.user_name.as_deref().filter(|n| !n.is_empty()).map(str::to_owned),
    };
    name.or_else(arn_name)
        .or_else(|| identity.invoked_by.as_deref().filter(|n| !n.is_empty()).map(str::to_owned))
        .or_else(|| identity.principal_id.as_deref().filter(|n| !n.is_empty()).map(str::to_owned))
}
