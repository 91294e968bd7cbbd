//! What metric filters need besides match/no-match (§10): field references (`$.selector`,
//! `$name`, `$N`) for `metricValue` and dimensions, a matched event's values for them, and
//! the extracted values that TestMetricFilter reports (§7.4, §10.4).

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use crate::Pattern;
use crate::ast::{Ast, Entry, FieldRef};
use crate::delimited::{self, Binding};
use crate::error::{Error, Expected, Found, Limit, Result};
use crate::eval::Path;
use crate::event::Event;
use crate::json::Kind;
use crate::number::{self, Number};
use crate::parse;

impl FieldRef {
    /// Parses a dimension value or the field form of a `metricValue` (at most 255 characters).
    pub fn parse(text: &str) -> Result<FieldRef> {
        check_chars(text, Limit::DimensionValueChars)?;
        parse::field_ref(text)
    }
}

impl FromStr for FieldRef {
    type Err = Error;

    fn from_str(text: &str) -> Result<FieldRef> {
        FieldRef::parse(text)
    }
}

/// A MetricTransformation `metricValue`: a number, or a field of the matched event.
#[derive(Debug, Clone, PartialEq)]
pub enum MetricValue {
    Literal(Number),
    Field(FieldRef),
}

impl MetricValue {
    /// Parses `"1"`, `"1.5"`, `"$.latency"`, `"$size"`, `"$7"` (at most 100 characters).
    pub fn parse(text: &str) -> Result<MetricValue> {
        check_chars(text, Limit::MetricValueChars)?;
        match Number::parse(text) {
            Some(number) => Ok(MetricValue::Literal(number)),
            None => parse::field_ref(text).map(MetricValue::Field),
        }
    }
}

impl FromStr for MetricValue {
    type Err = Error;

    fn from_str(text: &str) -> Result<MetricValue> {
        MetricValue::parse(text)
    }
}

impl fmt::Display for MetricValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MetricValue::Literal(number) => write!(f, "{number}"),
            MetricValue::Field(field) => write!(f, "{field}"),
        }
    }
}

fn check_chars(text: &str, limit: Limit) -> Result<()> {
    match text.char_indices().nth(limit.max()) {
        Some((offset, _)) => Err(Error {
            offset,
            expected: Expected::Limit(limit),
            found: Found::Count(text.chars().count()),
        }),
        None => Ok(()),
    }
}

/// A pattern's match of one event, from [`Pattern::find`].
#[derive(Debug)]
pub struct Match<'a> {
    pattern: &'a Pattern,
    event: &'a Event<'a>,
    /// Space-delimited patterns only.
    bindings: Vec<Binding>,
}

/// A field's value in a matched event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved<'a> {
    text: Cow<'a, str>,
    kind: ValueKind,
}

/// The JSON type of a [`Resolved`] value; space-delimited fields are strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    String,
    Number,
    True,
    False,
    Null,
    Object,
    Array,
}

impl<'a> Match<'a> {
    pub(crate) fn new(
        pattern: &'a Pattern,
        event: &'a Event<'a>,
        bindings: Vec<Binding>,
    ) -> Match<'a> {
        Match { pattern, event, bindings }
    }

    /// TestMetricFilter's `extractedValues` (§10.4): `$name`/`$N` pairs in message order for
    /// space-delimited patterns, nothing for other patterns.
    pub fn extracted_values(&self) -> Vec<(String, String)> {
        match self.pattern.ast() {
            Ast::Delimited(entries) => {
                delimited::extracted_values(entries, self.event.text(), &self.bindings)
            }
            _ => Vec::new(),
        }
    }

    /// The value `field` refers to in this event, if present.
    pub fn resolve(&self, field: &FieldRef) -> Option<Resolved<'a>> {
        match field {
            FieldRef::Json(selector) => {
                let tape = self.event.tape()?;
                let text = self.event.text();
                let node = Path::new(selector).resolve(tape, text)?;
                let kind = match tape.node(node)?.kind {
                    Kind::String => ValueKind::String,
                    Kind::Number => ValueKind::Number,
                    Kind::True => ValueKind::True,
                    Kind::False => ValueKind::False,
                    Kind::Null => ValueKind::Null,
                    Kind::Object => ValueKind::Object,
                    Kind::Array => ValueKind::Array,
                    Kind::Key => return None,
                };
                Some(Resolved { text: tape.text(text, node)?, kind })
            }
            FieldRef::Named(_) | FieldRef::Positional(_) => {
                let key = field.to_string();
                let Ast::Delimited(entries) = self.pattern.ast() else { return None };
                let values =
                    delimited::extracted_values(entries, self.event.text(), &self.bindings);
                let (_, value) = values.into_iter().find(|(name, _)| *name == key)?;
                Some(Resolved { text: Cow::Owned(value), kind: ValueKind::String })
            }
        }
    }

    /// The value to publish for this event (§10.2): the literal, or the referenced field if it
    /// is a number or a numeric string; `None` means no datapoint for this event.
    pub fn metric_value(&self, value: &MetricValue) -> Option<f64> {
        match value {
            MetricValue::Literal(number) => Some(number.value()),
            MetricValue::Field(field) => self.resolve(field)?.number(),
        }
    }
}

impl Resolved<'_> {
    /// A string's decoded value, or any other value's JSON text (a number's original token).
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The value's JSON type.
    pub fn kind(&self) -> ValueKind {
        self.kind
    }

    /// The value of a number or of a string that is a number literal.
    pub fn number(&self) -> Option<f64> {
        match self.kind {
            ValueKind::Number => self.text.parse().ok(),
            ValueKind::String => number::numeric_value(&self.text),
            _ => None,
        }
    }

    /// A dimension's value (§10.2): strings and numbers (as their token text); other values
    /// omit the dimension, like an absent field (INF).
    pub fn dimension_value(&self) -> Option<&str> {
        match self.kind {
            ValueKind::String | ValueKind::Number => Some(&self.text),
            _ => None,
        }
    }
}

impl Pattern {
    /// Whether `field` can be used with this pattern (§10.1): selectors with JSON patterns;
    /// `$name` of a named entry, or any `$N`, with space-delimited patterns; nothing else.
    pub fn supports(&self, field: &FieldRef) -> bool {
        match (self.ast(), field) {
            (Ast::Json(_), FieldRef::Json(_)) => true,
            (Ast::Delimited(_), FieldRef::Positional(_)) => true,
            (Ast::Delimited(entries), FieldRef::Named(wanted)) => entries
                .iter()
                .any(|entry| matches!(entry, Entry::Field { name, .. } if name == wanted)),
            _ => false,
        }
    }
}
