//! [`Selectors`]: a trail's event selectors, basic or advanced, from the PutEventSelectors
//! request to the GetEventSelectors response, the catalog's storage text, and record matching.

use cloudtrail_model::json::{self, Object, Value};
use cloudtrail_model::{EventCategory, Record};

use crate::advanced::{self, AdvancedEventSelector};
use crate::basic::{self, EventSelector};
use crate::error::{SelectorError, StorageError};
use crate::view::RecordView;
use crate::{limits, wire};

/// Request/response member of basic selectors.
pub const EVENT_SELECTORS: &str = "EventSelectors";
/// Request/response member of advanced selectors.
pub const ADVANCED_EVENT_SELECTORS: &str = "AdvancedEventSelectors";

/// A trail's event selectors: one kind or the other, never both (documented: "You cannot apply
/// both event selectors and advanced event selectors to a trail"; putting one kind replaces
/// the other).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Selectors {
    Basic(Vec<EventSelector>),
    Advanced(Vec<AdvancedEventSelector>),
}

impl Selectors {
    /// What CreateTrail gives a new trail: one basic selector, `All`, management events on, no
    /// data resources, no exclusions (documented: "trails created without specific event
    /// selectors will be configured to log all read and write management events, and no data
    /// events"; that GetEventSelectors shows it as this one basic selector is believed).
    pub fn default_for_new_trail() -> Selectors {
        Selectors::Basic(vec![EventSelector::all_management_events()])
    }

    /// Whether these are the selectors of a new trail; a trail's `HasCustomEventSelectors` is
    /// the negation (believed).
    pub fn is_default_for_new_trail(&self) -> bool {
        *self == Selectors::default_for_new_trail()
    }

    /// Parses and validates the PutEventSelectors members `EventSelectors` and
    /// `AdvancedEventSelectors` (pass each as found in the request object; `null` counts as
    /// absent). Exactly one must be given: the model says "not both", and a request with
    /// neither has nothing to put; both cases answer `InvalidEventSelectorsException`
    /// (believed: PutEventSelectors models no other exception for it). Omitted members of a
    /// basic selector get AWS's defaults; unknown members are ignored.
    pub fn from_request(
        event_selectors: Option<&Value>,
        advanced: Option<&Value>,
    ) -> Result<Selectors, SelectorError> {
        let event_selectors = event_selectors.filter(|value| !value.is_null());
        let advanced = advanced.filter(|value| !value.is_null());
        let selectors = match (event_selectors, advanced) {
            (Some(_), Some(_)) => {
                return Err(SelectorError::invalid(
                    "`EventSelectors` and `AdvancedEventSelectors` were both given; a \
                     PutEventSelectors request takes exactly one of them",
                ));
            }
            (None, None) => {
                return Err(SelectorError::invalid(
                    "neither `EventSelectors` nor `AdvancedEventSelectors` was given; a \
                     PutEventSelectors request takes exactly one of them",
                ));
            }
            (Some(value), None) => Selectors::Basic(parse_basic(value)?),
            (None, Some(value)) => Selectors::Advanced(parse_advanced(value)?),
        };
        selectors.validate()?;
        Ok(selectors)
    }

    /// Checks every AWS rule (see [`basic`] and [`advanced`] for the list and its sources).
    pub fn validate(&self) -> Result<(), SelectorError> {
        match self {
            Selectors::Basic(selectors) => basic::validate(selectors),
            Selectors::Advanced(selectors) => advanced::validate(selectors),
        }
    }

    /// The members of the PutEventSelectors and GetEventSelectors responses other than
    /// `TrailARN`: `EventSelectors` or `AdvancedEventSelectors`, whichever the trail has (the
    /// other is omitted). Basic selectors carry every member, defaults filled in
    /// (`DataResources: []`, `ExcludeManagementEventSources: []`); advanced field selectors
    /// carry only the operators given, and `Name` only when one was given (believed, from AWS
    /// CLI outputs in the AWS documentation). Members are in model order.
    pub fn to_response_members(&self) -> Vec<(&'static str, Value)> {
        match self {
            Selectors::Basic(selectors) => {
                let items = selectors.iter().map(EventSelector::to_value).collect();
                vec![(EVENT_SELECTORS, Value::Array(items))]
            }
            Selectors::Advanced(selectors) => {
                let items = selectors.iter().map(AdvancedEventSelector::to_value).collect();
                vec![(ADVANCED_EVENT_SELECTORS, Value::Array(items))]
            }
        }
    }

    /// Whether a trail with these selectors records `record`, by selectors alone (the region,
    /// account, global-service and organization routing is decided elsewhere). An event is
    /// recorded when any selector matches it (documented). Insights events are delivered by
    /// insight selectors, never by event selectors.
    pub fn matches(&self, record: &Record) -> bool {
        let view = RecordView::new(record);
        if view.category == EventCategory::Insight {
            return false;
        }
        match self {
            Selectors::Basic(selectors) => selectors.iter().any(|s| s.matches(&view)),
            Selectors::Advanced(selectors) => selectors.iter().any(|s| s.matches(&view)),
        }
    }

    /// Compact JSON text for the catalog's TEXT column:
    /// `{"version":1,"EventSelectors":[...]}` or `{"version":1,"AdvancedEventSelectors":[...]}`,
    /// the selectors in their response shape. [`Selectors::from_storage`] reads it back equal.
    pub fn to_storage(&self) -> String {
        let mut object = Object::with_capacity(2);
        object.push("version", Value::Number(json::Number::from_u64(limits::STORAGE_VERSION)));
        for (name, value) in self.to_response_members() {
            object.push(name, value);
        }
        Value::Object(object).to_json()
    }

    /// Loads [`Selectors::to_storage`] text. The AWS rules are deliberately not re-checked:
    /// selectors accepted once stay loadable even if a later version tightens a rule.
    pub fn from_storage(text: &str) -> Result<Selectors, StorageError> {
        let value = json::parse(text.as_bytes())?;
        let Value::Object(object) = &value else {
            return Err(StorageError::Malformed(format!(
                "expected an object, found {}",
                value.type_name()
            )));
        };
        let version = object.get("version").and_then(|version| match version {
            Value::Number(number) => number.as_str().parse::<u64>().ok(),
            _ => None,
        });
        if version != Some(limits::STORAGE_VERSION) {
            let found = object.get("version").map(Value::to_json).unwrap_or_default();
            return Err(StorageError::Version { found, expected: limits::STORAGE_VERSION });
        }
        let malformed = |err: SelectorError| StorageError::Malformed(err.message);
        match (
            wire::member(object, EVENT_SELECTORS),
            wire::member(object, ADVANCED_EVENT_SELECTORS),
        ) {
            (Some(value), None) => Ok(Selectors::Basic(parse_basic(value).map_err(malformed)?)),
            (None, Some(value)) => {
                Ok(Selectors::Advanced(parse_advanced(value).map_err(malformed)?))
            }
            _ => Err(StorageError::Malformed(format!(
                "expected exactly one of `{EVENT_SELECTORS}` and `{ADVANCED_EVENT_SELECTORS}`"
            ))),
        }
    }
}

fn parse_basic(value: &Value) -> Result<Vec<EventSelector>, SelectorError> {
    let items = wire::array(value, EVENT_SELECTORS)?;
    let mut selectors = Vec::with_capacity(items.len());
    for (idx, item) in items.iter().enumerate() {
        selectors.push(EventSelector::parse(item, &format!("{EVENT_SELECTORS}[{idx}]"))?);
    }
    Ok(selectors)
}

fn parse_advanced(value: &Value) -> Result<Vec<AdvancedEventSelector>, SelectorError> {
    let items = wire::array(value, ADVANCED_EVENT_SELECTORS)?;
    let mut selectors = Vec::with_capacity(items.len());
    for (idx, item) in items.iter().enumerate() {
        let path = format!("{ADVANCED_EVENT_SELECTORS}[{idx}]");
        selectors.push(AdvancedEventSelector::parse(item, &path)?);
    }
    Ok(selectors)
}

#[cfg(test)]
mod tests;
