//! Advanced event selectors (`AdvancedEventSelectors`) on trails: the shape, AWS's rules for
//! them, their JSON form, and which records one selects.
//!
//! Rules, with where each comes from ("documented": API reference / service model text;
//! "observed": an AWS error quoted in a public bug report; "believed": no AWS source):
//!
//! - Shape (documented, model): `Name` 0..1000 characters; `FieldSelectors` at least one;
//!   `Field` 1..1000 characters matching `[\w|\d|\.|_]+`; each operator list has at least one
//!   value of 1..2048 characters. A field selector with no operator is rejected (observed:
//!   aws/aws-sdk-go#4260). At most 500 values over all field selectors of a trail (documented).
//!   An empty `AdvancedEventSelectors` list is rejected (believed).
//! - `eventCategory` is required and takes only `Equals` (documented); exactly one such field
//!   selector with exactly one value (believed). Trails take `Management`, `Data` and
//!   `NetworkActivity` (documented); `Insight`, `ConfigurationItem`, `ActivityAuditLog` and
//!   `Evidence` are event-data-store categories (documented) and rejected here.
//! - Fields per category on trails (documented, API reference `AdvancedFieldSelector`):
//!   `Management`: `eventCategory`, `eventSource`, `readOnly`. `Data`: `eventCategory`,
//!   `resources.type` (required), `resources.ARN`, `readOnly`, `eventName`, `eventSource`,
//!   `eventType`, `sessionCredentialFromConsole`, `userIdentity.arn`. `NetworkActivity`:
//!   `eventCategory`, `eventSource` (required), `eventName`, `errorCode`, `vpcEndpointId`,
//!   `userIdentity.arn`.
//! - Operators and values: `readOnly`, `eventCategory` and `resources.type` take only `Equals`
//!   (documented); `readOnly` values are `true`/`false` (documented); one `resources.type` field
//!   selector per selector (documented) with one value (believed) shaped `AWS::<Service>::<Type>`
//!   (believed: the list of types grows, so it is not enumerated). For management events
//!   `eventSource` takes only `NotEquals` `kms.amazonaws.com` / `rdsdata.amazonaws.com`
//!   (documented). For network activity `eventSource` takes only `Equals` (believed). `errorCode`
//!   takes only the value `VpceAccessDenied` (documented) with `Equals` (believed).
//!   `sessionCredentialFromConsole` takes `Equals`/`NotEquals` of `true`/`false` (believed).
//!   `resources.ARN` with `Equals`/`NotEquals` must name an ARN (documented; only the `arn:`
//!   shape is checked, believed). Other fields take any operator (documented for `eventName` and
//!   `resources.ARN`, believed for the rest). Repeating a field other than `eventCategory` and
//!   `resources.type` is allowed (believed).
//!
//! Matching (documented unless marked): a record is selected when at least one selector
//! matches; a selector matches when all of its field selectors match; inside a field selector
//! every operator given must hold, a positive operator (`Equals`, `StartsWith`, `EndsWith`) when
//! any of its values matches, a negative one when none does. Comparison is exact and
//! case-sensitive, no wildcards. `readOnly` is compared as `"true"`/`"false"`. Believed: a
//! record lacking a field fails positive operators and passes negative ones; `resources.type`
//! and `resources.ARN` hold when one resource satisfies all of the selector's resource field
//! selectors together (so `NotStartsWith` on the ARN of the selected type is not defeated by
//! another resource of the record).

use cloudtrail_model::EventCategory;
use cloudtrail_model::json::{Object, Value};

use crate::basic::EXCLUDABLE_MANAGEMENT_EVENT_SOURCES;
use crate::error::{SelectorError, one_of, shown};
pub use crate::view::SelectorField;
use crate::view::{RecordView, resource_value};
use crate::{limits, wire};

/// The fields a trail's advanced selector of `category` may use (documented).
pub fn trail_fields(category: EventCategory) -> &'static [SelectorField] {
    use SelectorField as F;
    match category {
        EventCategory::Management => &[F::EventCategory, F::EventSource, F::ReadOnly],
        EventCategory::Data => &[
            F::EventCategory,
            F::ResourcesType,
            F::ResourcesArn,
            F::ReadOnly,
            F::EventName,
            F::EventSource,
            F::EventType,
            F::SessionCredentialFromConsole,
            F::UserIdentityArn,
        ],
        EventCategory::NetworkActivity => &[
            F::EventCategory,
            F::EventSource,
            F::EventName,
            F::ErrorCode,
            F::VpcEndpointId,
            F::UserIdentityArn,
        ],
        _ => &[],
    }
}

/// The `eventCategory` values trails take (documented).
pub const TRAIL_CATEGORIES: &[EventCategory] =
    &[EventCategory::Management, EventCategory::Data, EventCategory::NetworkActivity];

/// `eventCategory` values only event data stores take (documented).
const LAKE_ONLY_CATEGORIES: &[&str] =
    &["Insight", "ConfigurationItem", "ActivityAuditLog", "Evidence"];

/// The one `errorCode` value selectors take (documented).
pub const VPCE_ACCESS_DENIED: &str = "VpceAccessDenied";

/// A comparison in a field selector.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Operator {
    Equals,
    StartsWith,
    EndsWith,
    NotEquals,
    NotStartsWith,
    NotEndsWith,
}

impl Operator {
    /// In model order, which is also the order members are written in.
    pub const ALL: &'static [Operator] = &[
        Operator::Equals,
        Operator::StartsWith,
        Operator::EndsWith,
        Operator::NotEquals,
        Operator::NotStartsWith,
        Operator::NotEndsWith,
    ];

    /// The request/response member name.
    pub fn member_name(self) -> &'static str {
        match self {
            Operator::Equals => "Equals",
            Operator::StartsWith => "StartsWith",
            Operator::EndsWith => "EndsWith",
            Operator::NotEquals => "NotEquals",
            Operator::NotStartsWith => "NotStartsWith",
            Operator::NotEndsWith => "NotEndsWith",
        }
    }

    /// Whether the operator excludes (the `Not…` ones).
    pub fn is_negative(self) -> bool {
        matches!(self, Operator::NotEquals | Operator::NotStartsWith | Operator::NotEndsWith)
    }

    /// Whether `value` compares true with one `operand`, ignoring negation.
    fn compares(self, value: &str, operand: &str) -> bool {
        match self {
            Operator::Equals | Operator::NotEquals => value == operand,
            Operator::StartsWith | Operator::NotStartsWith => value.starts_with(operand),
            Operator::EndsWith | Operator::NotEndsWith => value.ends_with(operand),
        }
    }
}

impl std::fmt::Display for Operator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.member_name())
    }
}

/// `AdvancedFieldSelector`: an empty list means the operator is absent.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct AdvancedFieldSelector {
    pub field: String,
    pub equals: Vec<String>,
    pub starts_with: Vec<String>,
    pub ends_with: Vec<String>,
    pub not_equals: Vec<String>,
    pub not_starts_with: Vec<String>,
    pub not_ends_with: Vec<String>,
}

impl AdvancedFieldSelector {
    /// A field selector on `field` with no operator yet.
    pub fn new(field: impl Into<String>) -> AdvancedFieldSelector {
        AdvancedFieldSelector { field: field.into(), ..AdvancedFieldSelector::default() }
    }

    /// Adds `values` to `operator` (builder style, for callers and tests).
    pub fn with(mut self, operator: Operator, values: &[&str]) -> AdvancedFieldSelector {
        self.values_mut(operator).extend(values.iter().map(|value| (*value).to_owned()));
        self
    }

    pub fn values(&self, operator: Operator) -> &[String] {
        match operator {
            Operator::Equals => &self.equals,
            Operator::StartsWith => &self.starts_with,
            Operator::EndsWith => &self.ends_with,
            Operator::NotEquals => &self.not_equals,
            Operator::NotStartsWith => &self.not_starts_with,
            Operator::NotEndsWith => &self.not_ends_with,
        }
    }

    pub fn values_mut(&mut self, operator: Operator) -> &mut Vec<String> {
        match operator {
            Operator::Equals => &mut self.equals,
            Operator::StartsWith => &mut self.starts_with,
            Operator::EndsWith => &mut self.ends_with,
            Operator::NotEquals => &mut self.not_equals,
            Operator::NotStartsWith => &mut self.not_starts_with,
            Operator::NotEndsWith => &mut self.not_ends_with,
        }
    }

    /// The operators given, with their values, in model order.
    pub fn operators(&self) -> impl Iterator<Item = (Operator, &[String])> {
        Operator::ALL
            .iter()
            .map(|&operator| (operator, self.values(operator)))
            .filter(|(_, values)| !values.is_empty())
    }

    /// Number of values over all operators (what the 500-value limit counts).
    pub fn n_values(&self) -> usize {
        self.operators().map(|(_, values)| values.len()).sum()
    }

    /// Whether a record value (`None`: the record lacks the field) passes every operator.
    pub fn admits(&self, value: Option<&str>) -> bool {
        self.operators().all(|(operator, operands)| match value {
            None => operator.is_negative(),
            Some(value) => {
                let any = operands.iter().any(|operand| operator.compares(value, operand));
                any != operator.is_negative()
            }
        })
    }

    fn to_value(&self) -> Value {
        let mut object = Object::with_capacity(2);
        object.push("Field", Value::from(self.field.as_str()));
        for (operator, values) in self.operators() {
            object.push(operator.member_name(), wire::string_array(values));
        }
        Value::Object(object)
    }

    fn parse(value: &Value, path: &str) -> Result<AdvancedFieldSelector, SelectorError> {
        let object = wire::object(value, path)?;
        let Some(field) = wire::member(object, "Field") else {
            return Err(SelectorError::invalid(format!("`{path}.Field` is missing")));
        };
        let mut selector =
            AdvancedFieldSelector::new(wire::string(field, &format!("{path}.Field"))?);
        for &operator in Operator::ALL {
            let Some(value) = wire::member(object, operator.member_name()) else { continue };
            let member_path = format!("{path}.{operator}");
            let values = wire::strings(value, &member_path)?;
            if values.is_empty() {
                return Err(SelectorError::invalid(format!(
                    "`{member_path}` is empty; an operator takes at least 1 value"
                )));
            }
            *selector.values_mut(operator) = values;
        }
        Ok(selector)
    }
}

/// `AdvancedEventSelector{Name?, FieldSelectors}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct AdvancedEventSelector {
    pub name: Option<String>,
    pub field_selectors: Vec<AdvancedFieldSelector>,
}

impl AdvancedEventSelector {
    /// Whether every field selector holds for the record.
    pub(crate) fn matches(&self, view: &RecordView<'_>) -> bool {
        let mut has_resource_fields = false;
        for field_selector in &self.field_selectors {
            match SelectorField::parse(&field_selector.field) {
                Some(field) if field.is_resource_field() => has_resource_fields = true,
                Some(field) => {
                    if !field_selector.admits(view.value(field).as_deref()) {
                        return false;
                    }
                }
                // Only stored selectors can hold a field not known (any more): the record
                // has no such value.
                None => {
                    if !field_selector.admits(None) {
                        return false;
                    }
                }
            }
        }
        if !has_resource_fields {
            return true;
        }
        view.resources().iter().any(|resource| {
            self.field_selectors.iter().all(|field_selector| {
                match SelectorField::parse(&field_selector.field) {
                    Some(field) if field.is_resource_field() => {
                        field_selector.admits(resource_value(resource, field))
                    }
                    _ => true,
                }
            })
        })
    }

    pub(crate) fn to_value(&self) -> Value {
        let mut object = Object::with_capacity(2);
        if let Some(name) = &self.name {
            object.push("Name", Value::from(name.as_str()));
        }
        let field_selectors =
            self.field_selectors.iter().map(AdvancedFieldSelector::to_value).collect();
        object.push("FieldSelectors", Value::Array(field_selectors));
        Value::Object(object)
    }

    /// Reads one selector; checks JSON types, required members and non-empty operator lists.
    pub(crate) fn parse(value: &Value, path: &str) -> Result<AdvancedEventSelector, SelectorError> {
        let object = wire::object(value, path)?;
        let name = match wire::member(object, "Name") {
            None => None,
            Some(value) => Some(wire::string(value, &format!("{path}.Name"))?.to_owned()),
        };
        let Some(field_selectors) = wire::member(object, "FieldSelectors") else {
            return Err(SelectorError::invalid(format!(
                "`{path}.FieldSelectors` is missing; an advanced event selector needs at least \
                 one field selector"
            )));
        };
        let member_path = format!("{path}.FieldSelectors");
        let items = wire::array(field_selectors, &member_path)?;
        let mut parsed = Vec::with_capacity(items.len());
        for (idx, item) in items.iter().enumerate() {
            parsed.push(AdvancedFieldSelector::parse(item, &format!("{member_path}[{idx}]"))?);
        }
        Ok(AdvancedEventSelector { name, field_selectors: parsed })
    }
}

/// Checks every rule on a trail's advanced selectors; the first broken rule is reported.
pub fn validate(selectors: &[AdvancedEventSelector]) -> Result<(), SelectorError> {
    if selectors.is_empty() {
        return Err(SelectorError::invalid(
            "`AdvancedEventSelectors` is empty; give at least one advanced event selector",
        ));
    }
    let n_values: usize = selectors
        .iter()
        .flat_map(|selector| &selector.field_selectors)
        .map(AdvancedFieldSelector::n_values)
        .sum();
    if n_values > limits::ADVANCED_VALUES_PER_TRAIL_MAX {
        return Err(SelectorError::invalid(format!(
            "`AdvancedEventSelectors` have {n_values} values in total; a trail takes at most {} \
             values over all conditions of all advanced event selectors",
            limits::ADVANCED_VALUES_PER_TRAIL_MAX
        )));
    }
    for (selector_idx, selector) in selectors.iter().enumerate() {
        validate_selector(selector, &format!("AdvancedEventSelectors[{selector_idx}]"))?;
    }
    Ok(())
}

fn validate_selector(selector: &AdvancedEventSelector, path: &str) -> Result<(), SelectorError> {
    if selector.field_selectors.is_empty() {
        return Err(SelectorError::invalid(format!(
            "`{path}.FieldSelectors` is empty; an advanced event selector needs at least one \
             field selector"
        )));
    }
    if let Some(name) = &selector.name {
        let n_chars = name.chars().count();
        if n_chars > limits::SELECTOR_NAME_CHARS_MAX {
            return Err(SelectorError::invalid(format!(
                "`{path}.Name` has {n_chars} characters; at most {} are allowed",
                limits::SELECTOR_NAME_CHARS_MAX
            )));
        }
    }

    // The shape of every field selector, before the rules that depend on the category.
    let mut fields = Vec::with_capacity(selector.field_selectors.len());
    for (idx, field_selector) in selector.field_selectors.iter().enumerate() {
        let field_path = format!("{path}.FieldSelectors[{idx}]");
        fields.push(check_shape(field_selector, &field_path)?);
    }

    let mut category_idxs =
        fields.iter().enumerate().filter(|(_, field)| **field == SelectorField::EventCategory);
    let Some((category_idx, _)) = category_idxs.next() else {
        return Err(SelectorError::invalid(format!(
            "`{path}` has no `eventCategory` field selector; it is required (`Equals` \
             `Management`, `Data` or `NetworkActivity`)"
        )));
    };
    if let Some((repeat_idx, _)) = category_idxs.next() {
        return Err(SelectorError::invalid(format!(
            "`{path}.FieldSelectors[{repeat_idx}]` repeats `eventCategory`; a selector takes \
             exactly one `eventCategory` field selector"
        )));
    }
    let category = check_category(
        &selector.field_selectors[category_idx],
        &format!("{path}.FieldSelectors[{category_idx}]"),
    )?;

    let allowed_fields = trail_fields(category);
    let mut n_resource_types = 0usize;
    let mut has_event_source = false;
    for (idx, (field_selector, &field)) in selector.field_selectors.iter().zip(&fields).enumerate()
    {
        let field_path = format!("{path}.FieldSelectors[{idx}]");
        if !allowed_fields.contains(&field) {
            let names: Vec<&str> = allowed_fields.iter().map(|field| field.as_str()).collect();
            return Err(SelectorError::invalid(format!(
                "field `{}` in `{field_path}` is not supported for `{category}` events on \
                 trails; supported fields are {}",
                field.as_str(),
                one_of(&names)
            )));
        }
        match field {
            SelectorField::EventCategory => {}
            SelectorField::ReadOnly => {
                check_operators(field_selector, &field_path, field, &[Operator::Equals], None)?;
                check_values(field_selector, &field_path, field, &["true", "false"])?;
            }
            SelectorField::ResourcesType => {
                n_resource_types += 1;
                if n_resource_types > 1 {
                    return Err(SelectorError::invalid(format!(
                        "`{field_path}` repeats `resources.type`; a selector takes only one \
                         `resources.type` field selector (add another selector for another type)"
                    )));
                }
                check_operators(field_selector, &field_path, field, &[Operator::Equals], None)?;
                check_resource_type(field_selector, &field_path)?;
            }
            SelectorField::EventSource => {
                has_event_source = true;
                match category {
                    EventCategory::Management => {
                        check_operators(
                            field_selector,
                            &field_path,
                            field,
                            &[Operator::NotEquals],
                            Some(category),
                        )?;
                        check_values(
                            field_selector,
                            &field_path,
                            field,
                            EXCLUDABLE_MANAGEMENT_EVENT_SOURCES,
                        )?;
                    }
                    EventCategory::NetworkActivity => check_operators(
                        field_selector,
                        &field_path,
                        field,
                        &[Operator::Equals],
                        Some(category),
                    )?,
                    _ => {}
                }
            }
            SelectorField::ErrorCode => {
                check_operators(field_selector, &field_path, field, &[Operator::Equals], None)?;
                check_values(field_selector, &field_path, field, &[VPCE_ACCESS_DENIED])?;
            }
            SelectorField::SessionCredentialFromConsole => {
                check_operators(
                    field_selector,
                    &field_path,
                    field,
                    &[Operator::Equals, Operator::NotEquals],
                    None,
                )?;
                check_values(field_selector, &field_path, field, &["true", "false"])?;
            }
            SelectorField::ResourcesArn => check_arn_operands(field_selector, &field_path)?,
            SelectorField::EventName
            | SelectorField::EventType
            | SelectorField::UserIdentityArn
            | SelectorField::VpcEndpointId => {}
        }
    }
    if category == EventCategory::Data && n_resource_types == 0 {
        return Err(SelectorError::invalid(format!(
            "`{path}` selects `Data` events but has no `resources.type` field selector; it is \
             required for data events"
        )));
    }
    if category == EventCategory::NetworkActivity && !has_event_source {
        return Err(SelectorError::invalid(format!(
            "`{path}` selects `NetworkActivity` events but has no `eventSource` field selector; \
             it is required for network activity events"
        )));
    }
    Ok(())
}

/// Field length and pattern, a known field, at least one operator, value lengths.
fn check_shape(
    field_selector: &AdvancedFieldSelector,
    path: &str,
) -> Result<SelectorField, SelectorError> {
    let text = field_selector.field.as_str();
    let n_chars = text.chars().count();
    let pattern_ok = text.bytes().all(|b| b.is_ascii_alphanumeric() || b"_|.".contains(&b));
    if n_chars == 0 || n_chars > limits::FIELD_CHARS_MAX || !pattern_ok {
        return Err(SelectorError::invalid(format!(
            "`{path}.Field` is `{}`; a field is 1 to {} characters matching `[\\w|\\d|\\.|_]+`",
            shown(text),
            limits::FIELD_CHARS_MAX
        )));
    }
    let Some(field) = SelectorField::parse(text) else {
        let names: Vec<&str> = SelectorField::ALL.iter().map(|field| field.as_str()).collect();
        return Err(SelectorError::invalid(format!(
            "`{path}.Field` is `{}`, which is not a supported field; supported fields are {}",
            shown(text),
            one_of(&names)
        )));
    };
    if field_selector.operators().next().is_none() {
        let names: Vec<&str> = Operator::ALL.iter().map(|op| op.member_name()).collect();
        return Err(SelectorError::invalid(format!(
            "`{path}` (field `{text}`) has no operator; give at least one of {}",
            one_of(&names)
        )));
    }
    for (operator, values) in field_selector.operators() {
        for (value_idx, value) in values.iter().enumerate() {
            let n_chars = value.chars().count();
            if n_chars == 0 || n_chars > limits::OPERATOR_VALUE_CHARS_MAX {
                return Err(SelectorError::invalid(format!(
                    "`{path}.{operator}[{value_idx}]` has {n_chars} characters; a value has 1 \
                     to {}",
                    limits::OPERATOR_VALUE_CHARS_MAX
                )));
            }
        }
    }
    Ok(field)
}

/// `eventCategory`: `Equals` one of [`TRAIL_CATEGORIES`].
fn check_category(
    field_selector: &AdvancedFieldSelector,
    path: &str,
) -> Result<EventCategory, SelectorError> {
    check_operators(field_selector, path, SelectorField::EventCategory, &[Operator::Equals], None)?;
    let [value] = field_selector.equals.as_slice() else {
        return Err(SelectorError::invalid(format!(
            "`{path}.Equals` has {} values; `eventCategory` takes exactly one",
            field_selector.equals.len()
        )));
    };
    let expected: Vec<&str> = TRAIL_CATEGORIES.iter().map(|category| category.as_str()).collect();
    match EventCategory::parse(value).filter(|category| TRAIL_CATEGORIES.contains(category)) {
        Some(category) => Ok(category),
        None if LAKE_ONLY_CATEGORIES.contains(&value.as_str()) => {
            Err(SelectorError::invalid(format!(
                "`{path}.Equals[0]` is `{value}`, an event data store category; trails take {}",
                one_of(&expected)
            )))
        }
        None => Err(SelectorError::invalid(format!(
            "`{path}.Equals[0]` is `{}`; `eventCategory` takes {}",
            shown(value),
            one_of(&expected)
        ))),
    }
}

/// Every operator of the field selector is in `allowed`.
fn check_operators(
    field_selector: &AdvancedFieldSelector,
    path: &str,
    field: SelectorField,
    allowed: &[Operator],
    category: Option<EventCategory>,
) -> Result<(), SelectorError> {
    for (operator, _) in field_selector.operators() {
        if allowed.contains(&operator) {
            continue;
        }
        let names: Vec<&str> = allowed.iter().map(|op| op.member_name()).collect();
        let context = match category {
            Some(category) => format!(" for `{category}` events on trails"),
            None => String::new(),
        };
        return Err(SelectorError::invalid(format!(
            "operator `{operator}` is not allowed for field `{}` in `{path}`{context}; it \
             takes only {}",
            field.as_str(),
            one_of(&names)
        )));
    }
    Ok(())
}

/// Every value of every operator is in `allowed`.
fn check_values(
    field_selector: &AdvancedFieldSelector,
    path: &str,
    field: SelectorField,
    allowed: &[&str],
) -> Result<(), SelectorError> {
    for (operator, values) in field_selector.operators() {
        for (value_idx, value) in values.iter().enumerate() {
            if !allowed.contains(&value.as_str()) {
                return Err(SelectorError::invalid(format!(
                    "`{path}.{operator}[{value_idx}]` is `{}`; `{}` takes {}",
                    shown(value),
                    field.as_str(),
                    one_of(allowed)
                )));
            }
        }
    }
    Ok(())
}

/// `resources.type`: one value shaped `AWS::<Service>::<Type>`.
fn check_resource_type(
    field_selector: &AdvancedFieldSelector,
    path: &str,
) -> Result<(), SelectorError> {
    let [value] = field_selector.equals.as_slice() else {
        return Err(SelectorError::invalid(format!(
            "`{path}.Equals` has {} values; `resources.type` takes exactly one (add another \
             selector for another type)",
            field_selector.equals.len()
        )));
    };
    let shaped = value.strip_prefix("AWS::").and_then(|rest| rest.split_once("::")).is_some_and(
        |(service, kind)| {
            let word = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric());
            word(service) && word(kind)
        },
    );
    if !shaped {
        return Err(SelectorError::invalid(format!(
            "`{path}.Equals[0]` is `{}`; `resources.type` takes a resource type such as \
             `AWS::S3::Object`",
            shown(value)
        )));
    }
    Ok(())
}

/// `resources.ARN` with `Equals`/`NotEquals` must name an ARN: `arn:` and six parts.
fn check_arn_operands(
    field_selector: &AdvancedFieldSelector,
    path: &str,
) -> Result<(), SelectorError> {
    for operator in [Operator::Equals, Operator::NotEquals] {
        for (value_idx, value) in field_selector.values(operator).iter().enumerate() {
            if !value.starts_with("arn:") || value.splitn(6, ':').count() < 6 {
                return Err(SelectorError::invalid(format!(
                    "`{path}.{operator}[{value_idx}]` is `{}`; with `{operator}`, \
                     `resources.ARN` takes a complete resource ARN (use `StartsWith` for \
                     prefixes)",
                    shown(value)
                )));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
