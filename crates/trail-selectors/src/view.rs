//! The record fields selectors match on (log-files.md §7), read once per record: category,
//! `readOnly` as `"true"`/`"false"`, the string fields and `resources`.

use std::borrow::Cow;

use cloudtrail_model::Field as RecordField;
use cloudtrail_model::json::Value;
use cloudtrail_model::{EventCategory, Record, Resource, classify};

/// A record field advanced selectors can filter on (log-files.md §7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SelectorField {
    EventCategory,
    EventSource,
    EventName,
    EventType,
    ReadOnly,
    ResourcesType,
    ResourcesArn,
    ErrorCode,
    UserIdentityArn,
    SessionCredentialFromConsole,
    VpcEndpointId,
}

impl SelectorField {
    pub const ALL: &'static [SelectorField] = &[
        SelectorField::EventCategory,
        SelectorField::EventSource,
        SelectorField::EventName,
        SelectorField::EventType,
        SelectorField::ReadOnly,
        SelectorField::ResourcesType,
        SelectorField::ResourcesArn,
        SelectorField::ErrorCode,
        SelectorField::UserIdentityArn,
        SelectorField::SessionCredentialFromConsole,
        SelectorField::VpcEndpointId,
    ];

    /// Parses the exact, case-sensitive AWS spelling (`resources.ARN`, `userIdentity.arn`).
    pub fn parse(text: &str) -> Option<SelectorField> {
        SelectorField::ALL.iter().copied().find(|field| field.as_str() == text)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SelectorField::EventCategory => "eventCategory",
            SelectorField::EventSource => "eventSource",
            SelectorField::EventName => "eventName",
            SelectorField::EventType => "eventType",
            SelectorField::ReadOnly => "readOnly",
            SelectorField::ResourcesType => "resources.type",
            SelectorField::ResourcesArn => "resources.ARN",
            SelectorField::ErrorCode => "errorCode",
            SelectorField::UserIdentityArn => "userIdentity.arn",
            SelectorField::SessionCredentialFromConsole => "sessionCredentialFromConsole",
            SelectorField::VpcEndpointId => "vpcEndpointId",
        }
    }

    pub(crate) fn is_resource_field(self) -> bool {
        matches!(self, SelectorField::ResourcesType | SelectorField::ResourcesArn)
    }
}

pub(crate) struct RecordView<'a> {
    record: &'a Record,
    pub(crate) category: EventCategory,
    pub(crate) read_only: Option<bool>,
}

impl<'a> RecordView<'a> {
    pub(crate) fn new(record: &'a Record) -> RecordView<'a> {
        RecordView { record, category: classify::category(record), read_only: read_only(record) }
    }

    pub(crate) fn event_source(&self) -> Option<&'a str> {
        self.record.event_source()
    }

    pub(crate) fn resources(&self) -> &'a [Resource] {
        self.record.resources.get().map(Vec::as_slice).unwrap_or_default()
    }

    /// The record's value for a record-level field; `None` when the record lacks it. The
    /// resource fields are per resource, see [`resource_value`].
    pub(crate) fn value(&self, field: SelectorField) -> Option<Cow<'a, str>> {
        let record = self.record;
        let text = match field {
            SelectorField::EventCategory => return Some(Cow::Borrowed(self.category.as_str())),
            SelectorField::ReadOnly => {
                return self.read_only.map(|b| Cow::Borrowed(if b { "true" } else { "false" }));
            }
            SelectorField::EventSource => record.event_source.as_deref(),
            SelectorField::EventName => record.event_name.as_deref(),
            SelectorField::EventType => record.event_type.as_deref(),
            SelectorField::ErrorCode => record.error_code.as_deref(),
            SelectorField::VpcEndpointId => record.vpc_endpoint_id.as_deref(),
            SelectorField::SessionCredentialFromConsole => {
                record.session_credential_from_console.as_deref()
            }
            SelectorField::UserIdentityArn => {
                record.user_identity.get().and_then(|identity| identity.arn.as_deref())
            }
            SelectorField::ResourcesType | SelectorField::ResourcesArn => None,
        };
        text.map(Cow::Borrowed)
    }
}

/// A resource's value for `resources.type` or `resources.ARN`.
pub(crate) fn resource_value(resource: &Resource, field: SelectorField) -> Option<&str> {
    match field {
        SelectorField::ResourcesType => resource.resource_type.as_deref(),
        SelectorField::ResourcesArn => resource.arn.as_deref(),
        _ => None,
    }
}

/// The record's `readOnly`. A string `"true"`/`"false"` (a mistyped record) counts as the
/// boolean; a record without it is classified by AWS's read-verb convention
/// ([`classify::is_read_only`]) when it names its source and event (believed: every API record
/// carries `readOnly`, so this only decides for unusual service events).
fn read_only(record: &Record) -> Option<bool> {
    match &record.read_only {
        RecordField::Present(b) => Some(*b),
        RecordField::Mistyped(Value::String(text)) if text == "true" => Some(true),
        RecordField::Mistyped(Value::String(text)) if text == "false" => Some(false),
        RecordField::Mistyped(_) => None,
        RecordField::Absent => {
            let source = record.event_source()?;
            let name = record.event_name()?;
            Some(classify::is_read_only(source, name))
        }
    }
}
