//! The CloudWatch Logs filter-pattern language as OpenTrail uses it for metric filters over
//! CloudTrail records (`shared/spec/filter-patterns.md`): parse a pattern ([`Pattern::parse`]),
//! print it back ([`Pattern`]'s `Display`, which re-parses to an equal [`Ast`]), and evaluate it
//! against log events: [`Pattern::matches`] for one message, or [`Event`] (read once, through
//! an [`EventParser`] to reuse buffers) with [`Pattern::matches_event`] or, for a log group's
//! many filters, [`PatternSet::matching`], which shares lookups between patterns. A match
//! ([`Pattern::find`]) gives what metric filters publish: [`MetricValue`]s and dimensions from
//! [`FieldRef`]s, and TestMetricFilter's extracted values.
//!
//! Pure: no IO, no clock, no environment, no global state. Not here: metric filter resources,
//! aggregation into datapoints and alarms (they live with the metric-filter pipeline), and the
//! per-log-group quotas of §5.5/§8 (5 regex-bearing patterns, 100 filters), for which
//! [`Pattern::has_regex`] gives the caller what it needs.
//!
//! ```ignore
//! let set = PatternSet::new(vec![
//!     Pattern::parse(r#"{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }"#)?,
//!     Pattern::parse("{ $.userIdentity.type = Root && $.userIdentity.invokedBy NOT EXISTS }")?,
//! ]);
//! let (mut parser, mut matched) = (EventParser::new(), Vec::new());
//! for record in records {
//!     let event = parser.parse(record);
//!     set.matching(&event, &mut matched); // indexes of the matching patterns
//! }
//! ```

#![forbid(unsafe_code)]

mod ast;
mod delimited;
mod error;
mod eval;
mod event;
mod field;
mod json;
pub mod limits;
mod number;
mod parse;
mod print;
mod regex;
mod set;

use std::fmt;
use std::str::FromStr;

pub use crate::ast::{
    Ast, BoolExpr, Comparison, Condition, Entry, FieldRef, Selector, Step, Term, TermKind,
    TermText, Test, Value,
};
pub use crate::error::{Error, Expected, Found, Limit, Result};
pub use crate::event::{Event, EventParser};
pub use crate::field::{Match, MetricValue, Resolved, ValueKind};
pub use crate::number::Number;
pub use crate::regex::Regex;
pub use crate::set::PatternSet;

/// A parsed filter pattern, ready to evaluate.
#[derive(Debug, Clone)]
pub struct Pattern {
    ast: Ast,
    /// JSON patterns only: the compiled form that `matches_event` runs.
    program: Option<eval::Program>,
}

impl Pattern {
    /// Parses and validates `text` (§2–§9); the error names the byte offset of the problem.
    pub fn parse(text: &str) -> Result<Pattern> {
        parse::parse(text).map(Pattern::from_ast)
    }

    /// A pattern from a syntax tree, for tests: quotas are not checked.
    pub(crate) fn from_ast(ast: Ast) -> Pattern {
        let program = match &ast {
            Ast::Json(expr) => Some(eval::Program::compile(expr)),
            _ => None,
        };
        Pattern { ast, program }
    }

    /// The syntax tree.
    pub fn ast(&self) -> &Ast {
        &self.ast
    }

    pub(crate) fn program(&self) -> Option<&eval::Program> {
        self.program.as_ref()
    }

    /// Whether the pattern contains a `%regex%` (it then counts towards the log group's quota
    /// of regex-bearing patterns, §5.5).
    pub fn has_regex(&self) -> bool {
        fn in_value(value: &Value) -> bool {
            matches!(value, Value::Regex(_))
        }
        fn in_comparison(comparison: &Comparison) -> bool {
            matches!(comparison, Comparison::Eq(value) | Comparison::Ne(value) if in_value(value))
        }
        fn in_expr<T>(expr: &BoolExpr<T>, leaf: &dyn Fn(&T) -> bool) -> bool {
            match expr {
                BoolExpr::Or(operands) | BoolExpr::And(operands) => {
                    operands.iter().any(|operand| in_expr(operand, leaf))
                }
                BoolExpr::Leaf(item) => leaf(item),
            }
        }
        match &self.ast {
            Ast::MatchAll => false,
            Ast::Terms(terms) => terms.iter().any(|term| matches!(term.text, TermText::Regex(_))),
            Ast::Json(expr) => in_expr(
                expr,
                &|condition: &Condition| matches!(&condition.test, Test::Compare(comparison) if in_comparison(comparison)),
            ),
            Ast::Delimited(entries) => entries.iter().any(|entry| match entry {
                Entry::Field { condition: Some(condition), .. } => {
                    in_expr(condition, &in_comparison)
                }
                _ => false,
            }),
        }
    }

    /// Whether the pattern matches one log message. Reads the message as JSON only for JSON
    /// patterns; to evaluate several patterns, parse the event once with [`Event::parse`].
    pub fn matches(&self, message: &str) -> bool {
        if message.len() > limits::EVENT_BYTES_MAX {
            return false;
        }
        match &self.ast {
            Ast::Json(_) => self.matches_event(&Event::parse(message)),
            Ast::MatchAll => true,
            Ast::Terms(terms) => eval::terms_match(terms, message),
            Ast::Delimited(entries) => delimited::bind(entries, message).is_some(),
        }
    }

    /// Whether the pattern matches a parsed event. Events above 256 KB match nothing (§1).
    pub fn matches_event(&self, event: &Event<'_>) -> bool {
        if event.is_oversized() {
            return false;
        }
        match &self.ast {
            Ast::MatchAll => true,
            Ast::Terms(terms) => eval::terms_match(terms, event.text()),
            Ast::Json(_) => match (event.tape(), &self.program) {
                (Some(tape), Some(program)) => program.eval(tape, event.text()),
                _ => false,
            },
            Ast::Delimited(entries) => delimited::bind(entries, event.text()).is_some(),
        }
    }

    /// The match, with access to the event's values for metric filters, or `None`.
    pub fn find<'a>(&'a self, event: &'a Event<'a>) -> Option<Match<'a>> {
        let bindings = match &self.ast {
            Ast::Delimited(entries) if !event.is_oversized() => {
                delimited::bind(entries, event.text())?
            }
            _ if self.matches_event(event) => Vec::new(),
            _ => return None,
        };
        Some(Match::new(self, event, bindings))
    }
}

/// Patterns are equal when their syntax trees are.
impl PartialEq for Pattern {
    fn eq(&self, other: &Pattern) -> bool {
        self.ast == other.ast
    }
}

impl FromStr for Pattern {
    type Err = Error;

    fn from_str(text: &str) -> Result<Pattern> {
        Pattern::parse(text)
    }
}

/// The canonical spelling of the pattern; it parses back to an equal pattern.
impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.ast)
    }
}

#[cfg(test)]
mod tests;
