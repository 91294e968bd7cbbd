//! Basic event selectors (`EventSelectors`): the shape, AWS's rules for them, their JSON form, and
//! which records one selects.
//!
//! Rules, with where each comes from ("documented": API reference / service model text;
//! "observed": an error AWS returned, quoted in public bug reports; "believed": no AWS source):
//!
//! - 1 to 5 selectors per trail (documented).
//! - `ReadWriteType` is `ReadOnly`, `WriteOnly` or `All`, default `All`; `IncludeManagementEvents`
//!   defaults to true; `ExcludeManagementEventSources` defaults to empty (documented).
//!   `DataResources` defaults to empty (believed).
//! - `DataResources[].Type` is `AWS::DynamoDB::Table`, `AWS::Lambda::Function` or
//!   `AWS::S3::Object` (documented; AWS answers "Value AWS::S3::Bucket for DataResources.Type is
//!   invalid", observed). A missing `Type` is rejected (believed).
//! - `Values` (documented): `arn:<partition>:s3` selects all buckets, `arn:<partition>:s3:::<bucket>/`
//!   a whole bucket, `arn:<partition>:s3:::<bucket>/<prefix>` a key prefix; `arn:<partition>:lambda`
//!   all functions, a function ARN exactly that function (not a prefix: `…:function:helloworld`
//!   does not select `helloworld2`); `arn:<partition>:dynamodb` all tables. Observed rejections
//!   ("Value … for DataResources.Values is invalid"): `arn:aws:s3:::*`, `arn:aws:s3:::*/*`,
//!   `arn:aws:s3:::/`, `bucket/` (no ARN), `arn:aws:s3:::bucket` (no slash), `arn:aws:lambda:*`.
//!   Believed: `arn:<partition>:s3:::` (older docs' all-buckets form) is accepted; bucket names
//!   follow S3's naming rules; a DynamoDB table ARN selects exactly that table; partitions are
//!   `aws` or `aws-…`.
//! - At most 250 values across all selectors, not counting whole-service values such as
//!   `arn:aws:s3` (documented; AWS says "Specify a valid number of DataResources.Values (0 to
//!   250) for all your selectors", observed).
//! - `IncludeManagementEvents: false` with no data resources is rejected ("Invalid combination of
//!   parameters in EventSelectors. When includeManagementEvents is false, DataResources must not
//!   be empty", observed, `InvalidEventSelectorsException`).
//! - `ExcludeManagementEventSources` entries are `kms.amazonaws.com` or `rdsdata.amazonaws.com`
//!   (documented). A non-empty list with `IncludeManagementEvents: false` is rejected (believed;
//!   Terraform's and Pulumi's docs say management events must be included for it).
//!
//! Matching: a management event matches when the selector includes management events, its
//! `ReadWriteType` admits the record's `readOnly` and its source is not excluded; a data event
//! matches when the `ReadWriteType` admits it and one of its `resources` has a selected type and
//! an ARN the values select (documented). Basic selectors never select network activity or
//! Insights events (documented). Only `AWS::S3::Object` resources are selected by S3 values, so
//! bucket-level data events with no object resource are not (believed).

use cloudtrail_model::json::{Object, Value};
use cloudtrail_model::{EventCategory, Resource};

use crate::error::{SelectorError, one_of, shown};
use crate::view::RecordView;
use crate::{limits, wire};

/// `AWS::S3::Object`.
pub const S3_OBJECT: &str = "AWS::S3::Object";
/// `AWS::Lambda::Function`.
pub const LAMBDA_FUNCTION: &str = "AWS::Lambda::Function";
/// `AWS::DynamoDB::Table`.
pub const DYNAMODB_TABLE: &str = "AWS::DynamoDB::Table";

/// The `DataResource.Type` values basic selectors take (documented), in AWS's listing order.
pub const DATA_RESOURCE_TYPES: &[&str] = &[DYNAMODB_TABLE, LAMBDA_FUNCTION, S3_OBJECT];

/// The values `ExcludeManagementEventSources` takes (documented).
pub const EXCLUDABLE_MANAGEMENT_EVENT_SOURCES: &[&str] =
    &["kms.amazonaws.com", "rdsdata.amazonaws.com"];

/// Which management and data events a selector takes by their `readOnly`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReadWriteType {
    ReadOnly,
    WriteOnly,
    All,
}

impl ReadWriteType {
    pub const ALL: &'static [ReadWriteType] =
        &[ReadWriteType::ReadOnly, ReadWriteType::WriteOnly, ReadWriteType::All];

    /// Parses the exact, case-sensitive AWS spelling.
    pub fn parse(text: &str) -> Option<ReadWriteType> {
        match text {
            "ReadOnly" => Some(ReadWriteType::ReadOnly),
            "WriteOnly" => Some(ReadWriteType::WriteOnly),
            "All" => Some(ReadWriteType::All),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ReadWriteType::ReadOnly => "ReadOnly",
            ReadWriteType::WriteOnly => "WriteOnly",
            ReadWriteType::All => "All",
        }
    }

    /// Whether a record with this `readOnly` (unknown: `None`) is admitted.
    pub fn admits(self, read_only: Option<bool>) -> bool {
        match self {
            ReadWriteType::All => true,
            ReadWriteType::ReadOnly => read_only == Some(true),
            ReadWriteType::WriteOnly => read_only == Some(false),
        }
    }
}

impl std::fmt::Display for ReadWriteType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `DataResource{Type, Values}`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DataResource {
    pub resource_type: String,
    pub values: Vec<String>,
}

/// `EventSelector{ReadWriteType, IncludeManagementEvents, DataResources,
/// ExcludeManagementEventSources}`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct EventSelector {
    pub read_write_type: ReadWriteType,
    pub include_management_events: bool,
    pub data_resources: Vec<DataResource>,
    pub exclude_management_event_sources: Vec<String>,
}

impl EventSelector {
    /// All read and write management events, no data events: what a new trail logs.
    pub fn all_management_events() -> EventSelector {
        EventSelector {
            read_write_type: ReadWriteType::All,
            include_management_events: true,
            data_resources: Vec::new(),
            exclude_management_event_sources: Vec::new(),
        }
    }

    /// Whether this selector takes the record. Insights and network activity events are never
    /// taken by basic selectors.
    pub(crate) fn matches(&self, view: &RecordView<'_>) -> bool {
        if !self.read_write_type.admits(view.read_only) {
            return false;
        }
        match view.category {
            EventCategory::Management => {
                self.include_management_events
                    && !view.event_source().is_some_and(|source| {
                        self.exclude_management_event_sources.iter().any(|s| s == source)
                    })
            }
            EventCategory::Data => {
                let resources = view.resources();
                self.data_resources.iter().any(|data_resource| data_resource.selects(resources))
            }
            _ => false,
        }
    }

    /// The response shape, every member present (AWS fills in the defaults, believed).
    pub(crate) fn to_value(&self) -> Value {
        let mut object = Object::with_capacity(4);
        object.push("ReadWriteType", Value::from(self.read_write_type.as_str()));
        object.push("IncludeManagementEvents", Value::Bool(self.include_management_events));
        let data_resources = self.data_resources.iter().map(DataResource::to_value).collect();
        object.push("DataResources", Value::Array(data_resources));
        object.push(
            "ExcludeManagementEventSources",
            wire::string_array(&self.exclude_management_event_sources),
        );
        Value::Object(object)
    }

    /// Reads one selector, filling in defaults; checks JSON types and the `ReadWriteType` enum
    /// only. Unknown members are ignored.
    pub(crate) fn parse(value: &Value, path: &str) -> Result<EventSelector, SelectorError> {
        let object = wire::object(value, path)?;
        let read_write_type = match wire::member(object, "ReadWriteType") {
            None => ReadWriteType::All,
            Some(value) => {
                let member_path = format!("{path}.ReadWriteType");
                let text = wire::string(value, &member_path)?;
                ReadWriteType::parse(text).ok_or_else(|| {
                    SelectorError::invalid(format!(
                        "`{member_path}` is `{}`; expected {}",
                        shown(text),
                        one_of(&["ReadOnly", "WriteOnly", "All"])
                    ))
                })?
            }
        };
        let include_management_events = match wire::member(object, "IncludeManagementEvents") {
            None => true,
            Some(value) => wire::boolean(value, &format!("{path}.IncludeManagementEvents"))?,
        };
        let mut data_resources = Vec::new();
        if let Some(value) = wire::member(object, "DataResources") {
            let member_path = format!("{path}.DataResources");
            for (idx, item) in wire::array(value, &member_path)?.iter().enumerate() {
                data_resources.push(DataResource::parse(item, &format!("{member_path}[{idx}]"))?);
            }
        }
        let exclude_management_event_sources =
            match wire::member(object, "ExcludeManagementEventSources") {
                None => Vec::new(),
                Some(value) => {
                    wire::strings(value, &format!("{path}.ExcludeManagementEventSources"))?
                }
            };
        Ok(EventSelector {
            read_write_type,
            include_management_events,
            data_resources,
            exclude_management_event_sources,
        })
    }
}

impl DataResource {
    pub(crate) fn to_value(&self) -> Value {
        let mut object = Object::with_capacity(2);
        object.push("Type", Value::from(self.resource_type.as_str()));
        object.push("Values", wire::string_array(&self.values));
        Value::Object(object)
    }

    fn parse(value: &Value, path: &str) -> Result<DataResource, SelectorError> {
        let object = wire::object(value, path)?;
        let Some(resource_type) = wire::member(object, "Type") else {
            return Err(SelectorError::invalid(format!(
                "`{path}.Type` is missing; expected {}",
                one_of(DATA_RESOURCE_TYPES)
            )));
        };
        let resource_type = wire::string(resource_type, &format!("{path}.Type"))?.to_owned();
        let values = match wire::member(object, "Values") {
            None => Vec::new(),
            Some(value) => wire::strings(value, &format!("{path}.Values"))?,
        };
        Ok(DataResource { resource_type, values })
    }

    /// Whether one of `resources` has this type and an ARN one of the values selects.
    fn selects(&self, resources: &[Resource]) -> bool {
        resources.iter().any(|resource| {
            resource.resource_type.as_deref() == Some(self.resource_type.as_str())
                && resource.arn.as_deref().is_some_and(|arn| {
                    self.values.iter().any(|value| value_selects(&self.resource_type, value, arn))
                })
        })
    }
}

/// Checks every rule on a list of basic selectors; the first broken rule is reported.
pub fn validate(selectors: &[EventSelector]) -> Result<(), SelectorError> {
    let n_selectors = selectors.len();
    if !(limits::EVENT_SELECTORS_PER_TRAIL_MIN..=limits::EVENT_SELECTORS_PER_TRAIL_MAX)
        .contains(&n_selectors)
    {
        return Err(SelectorError::invalid(format!(
            "`EventSelectors` has {n_selectors} selectors; a trail takes {} to {}",
            limits::EVENT_SELECTORS_PER_TRAIL_MIN,
            limits::EVENT_SELECTORS_PER_TRAIL_MAX
        )));
    }
    let mut n_counted_values = 0usize;
    for (selector_idx, selector) in selectors.iter().enumerate() {
        let path = format!("EventSelectors[{selector_idx}]");
        for (source_idx, source) in selector.exclude_management_event_sources.iter().enumerate() {
            if !EXCLUDABLE_MANAGEMENT_EVENT_SOURCES.contains(&source.as_str()) {
                return Err(SelectorError::invalid(format!(
                    "`{path}.ExcludeManagementEventSources[{source_idx}]` is `{}`; expected {}",
                    shown(source),
                    one_of(EXCLUDABLE_MANAGEMENT_EVENT_SOURCES)
                )));
            }
        }
        if !selector.include_management_events {
            if selector.data_resources.is_empty() {
                return Err(SelectorError::invalid(format!(
                    "invalid combination of parameters in `{path}`: when \
                     `IncludeManagementEvents` is false, `DataResources` must not be empty"
                )));
            }
            if !selector.exclude_management_event_sources.is_empty() {
                return Err(SelectorError::invalid(format!(
                    "invalid combination of parameters in `{path}`: \
                     `ExcludeManagementEventSources` needs `IncludeManagementEvents` true"
                )));
            }
        }
        for (resource_idx, data_resource) in selector.data_resources.iter().enumerate() {
            let resource_path = format!("{path}.DataResources[{resource_idx}]");
            let resource_type = data_resource.resource_type.as_str();
            if !DATA_RESOURCE_TYPES.contains(&resource_type) {
                return Err(SelectorError::invalid(format!(
                    "`{resource_path}.Type` is `{}`; basic event selectors take {} \
                     (advanced event selectors take other types)",
                    shown(resource_type),
                    one_of(DATA_RESOURCE_TYPES)
                )));
            }
            for (value_idx, value) in data_resource.values.iter().enumerate() {
                match check_value(resource_type, value) {
                    Ok(ValueScope::Service) => {}
                    Ok(ValueScope::Resources) => n_counted_values += 1,
                    Err(expected) => {
                        return Err(SelectorError::invalid(format!(
                            "value `{}` for `{resource_path}.Values[{value_idx}]` is invalid; \
                             expected {expected}",
                            shown(value)
                        )));
                    }
                }
            }
        }
    }
    if n_counted_values > limits::DATA_RESOURCE_VALUES_PER_TRAIL_MAX {
        return Err(SelectorError::invalid(format!(
            "`EventSelectors` name {n_counted_values} data resource values; a trail takes at \
             most {} across all selectors (values selecting every resource of a type, such as \
             `arn:aws:s3`, do not count)",
            limits::DATA_RESOURCE_VALUES_PER_TRAIL_MAX
        )));
    }
    Ok(())
}

/// What a valid data resource value selects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ValueScope {
    /// Every resource of the type (`arn:aws:s3`, `arn:aws:lambda`, …): not counted to 250.
    Service,
    /// Some resources: a bucket, a key prefix, one function or table.
    Resources,
}

/// Checks one `Values` entry of a data resource of `resource_type` (one of
/// [`DATA_RESOURCE_TYPES`]); on error, says what was expected.
pub(crate) fn check_value(resource_type: &str, value: &str) -> Result<ValueScope, &'static str> {
    const S3: &str = "`arn:<partition>:s3` (all buckets) or `arn:<partition>:s3:::<bucket>/` \
                      followed by an optional key prefix";
    const LAMBDA: &str = "`arn:<partition>:lambda` (all functions) or a function ARN \
                          `arn:<partition>:lambda:<region>:<account>:function:<name>`";
    const DYNAMODB: &str = "`arn:<partition>:dynamodb` (all tables) or a table ARN \
                            `arn:<partition>:dynamodb:<region>:<account>:table/<name>`";
    let (service, expected) = match resource_type {
        S3_OBJECT => ("s3", S3),
        LAMBDA_FUNCTION => ("lambda", LAMBDA),
        DYNAMODB_TABLE => ("dynamodb", DYNAMODB),
        _ => return Err("a supported resource type"),
    };
    if value.chars().count() > limits::DATA_RESOURCE_VALUE_CHARS_MAX {
        return Err("a value of at most 2048 characters");
    }
    let Some(rest) = split_service(value, service) else { return Err(expected) };
    let Some(rest) = rest else { return Ok(ValueScope::Service) };
    let valid = match resource_type {
        S3_OBJECT => match rest.strip_prefix("::") {
            // `arn:aws:s3:::` is the older documentation's all-buckets form.
            Some("") => return Ok(ValueScope::Service),
            Some(bucket_and_prefix) => bucket_and_prefix
                .split_once('/')
                .is_some_and(|(bucket, _prefix)| is_s3_bucket_name(bucket)),
            None => false,
        },
        LAMBDA_FUNCTION => is_lambda_function_resource(rest),
        _ => is_dynamodb_table_resource(rest),
    };
    if valid { Ok(ValueScope::Resources) } else { Err(expected) }
}

/// Whether `value` (valid for `resource_type`) selects the resource `arn`: S3 values are
/// prefixes, whole-service values select every ARN of the service in their partition, other
/// values are exact (documented for S3 and Lambda, believed for DynamoDB).
pub(crate) fn value_selects(resource_type: &str, value: &str, arn: &str) -> bool {
    let service = match resource_type {
        S3_OBJECT => return arn.starts_with(value) && split_service(value, "s3").is_some(),
        LAMBDA_FUNCTION => "lambda",
        DYNAMODB_TABLE => "dynamodb",
        _ => return false,
    };
    match split_service(value, service) {
        Some(None) => arn.strip_prefix(value).is_some_and(|rest| rest.starts_with(':')),
        Some(Some(_)) => arn == value,
        None => false,
    }
}

/// Splits `arn:<partition>:<service>` off `value`: `None` if it does not start so,
/// `Some(None)` if that is all of it, `Some(Some(rest))` with what follows the next `:`.
fn split_service<'v>(value: &'v str, service: &str) -> Option<Option<&'v str>> {
    let rest = value.strip_prefix("arn:")?;
    let (partition, rest) = rest.split_once(':')?;
    if !is_partition(partition) {
        return None;
    }
    let rest = rest.strip_prefix(service)?;
    if rest.is_empty() {
        return Some(None);
    }
    rest.strip_prefix(':').map(Some)
}

/// `aws`, `aws-cn`, `aws-us-gov`, `aws-iso-b`, … (believed: any `aws-` suffix of lower-case
/// letters and dashes).
fn is_partition(partition: &str) -> bool {
    partition == "aws"
        || partition.strip_prefix("aws-").is_some_and(|suffix| {
            !suffix.is_empty()
                && !suffix.ends_with('-')
                && suffix.bytes().all(|b| b.is_ascii_lowercase() || b == b'-')
        })
}

/// S3 bucket naming rules: 3–63 characters of lower-case letters, digits, `.` and `-`,
/// starting and ending with a letter or digit (S3 documentation; believed to be what
/// CloudTrail checks).
fn is_s3_bucket_name(bucket: &str) -> bool {
    let bytes = bucket.as_bytes();
    (3..=63).contains(&bytes.len())
        && bytes
            .iter()
            .all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
        && bytes.first().is_some_and(u8::is_ascii_alphanumeric)
        && bytes.last().is_some_and(u8::is_ascii_alphanumeric)
}

/// `<region>:<12-digit account>:function:<name>[:<version or alias>]`.
fn is_lambda_function_resource(rest: &str) -> bool {
    let Some(resource) = resource_after_region_and_account(rest) else { return false };
    let Some(function) = resource.strip_prefix("function:") else { return false };
    let (name, qualifier) = match function.split_once(':') {
        Some((name, qualifier)) => (name, Some(qualifier)),
        None => (function, None),
    };
    let name_ok = (1..=64).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    let qualifier_ok = qualifier.is_none_or(|qualifier| {
        (1..=128).contains(&qualifier.len())
            && qualifier.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_$".contains(&b))
    });
    name_ok && qualifier_ok
}

/// `<region>:<12-digit account>:table/<name>`.
fn is_dynamodb_table_resource(rest: &str) -> bool {
    let Some(resource) = resource_after_region_and_account(rest) else { return false };
    let Some(name) = resource.strip_prefix("table/") else { return false };
    (3..=255).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
}

/// What follows `<region>:<12-digit account>:` in an ARN's tail.
fn resource_after_region_and_account(rest: &str) -> Option<&str> {
    let (region, rest) = rest.split_once(':')?;
    let (account, resource) = rest.split_once(':')?;
    let region_ok = !region.is_empty()
        && region.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    let account_ok = account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit());
    (region_ok && account_ok).then_some(resource)
}

#[cfg(test)]
mod tests;
