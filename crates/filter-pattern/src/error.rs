//! The crate's one error type: where a pattern (or a metric field reference) stops making
//! sense, what the grammar or a quota allowed there, and what was there instead. All wording
//! lives in the `Display` impls below.

use std::fmt;

use crate::limits;

/// Why a pattern, a regex or a field reference was rejected (`filter-patterns.md` §8).
///
/// Displayed as one lower-case sentence, e.g.
/// ``at byte 14: expected `&&`, `||` or `)`, found end of pattern``.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("at byte {offset}: expected {expected}, found {found}")]
pub struct Error {
    /// Byte offset into the text given to the parser.
    pub offset: usize,
    /// What the grammar or a quota allowed at `offset`; also the error's classification.
    pub expected: Expected,
    /// What was at `offset` instead.
    pub found: Found,
}

/// What would have been accepted where an [`Error`] occurred.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Expected {
    /// A syntactic item, described for people (``"`&&`, `||` or `)`"``).
    Syntax(&'static str),
    /// A quota or bound of [`crate::limits`].
    Limit(Limit),
    /// A space-delimited condition naming a field other than its entry's own (§7.2, §11 item 7).
    SameField(String),
}

/// A bound that a pattern or field reference exceeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Limit {
    PatternChars,
    RegexesPerPattern,
    WildcardsPerSelector,
    WildcardSelectorsPerPattern,
    EllipsesPerPattern,
    NestingDepth,
    RegexRepeat,
    RegexStates,
    MetricValueChars,
    DimensionValueChars,
}

/// What was found where an [`Error`] occurred.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Found {
    EndOfPattern,
    Char(char),
    Text(String),
    /// How many there were, for [`Expected::Limit`].
    Count(usize),
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Limit {
    /// The bound itself.
    pub fn max(self) -> usize {
        match self {
            Limit::PatternChars => limits::PATTERN_CHARS_MAX,
            Limit::RegexesPerPattern => limits::REGEXES_PER_PATTERN_MAX,
            Limit::WildcardsPerSelector => limits::WILDCARDS_PER_SELECTOR_MAX,
            Limit::WildcardSelectorsPerPattern => limits::WILDCARD_SELECTORS_PER_PATTERN_MAX,
            Limit::EllipsesPerPattern => limits::ELLIPSES_PER_PATTERN_MAX,
            Limit::NestingDepth => limits::NESTING_DEPTH_MAX,
            Limit::RegexRepeat => limits::REGEX_REPEAT_MAX as usize,
            Limit::RegexStates => limits::REGEX_STATES_MAX,
            Limit::MetricValueChars => limits::METRIC_VALUE_CHARS_MAX,
            Limit::DimensionValueChars => limits::DIMENSION_VALUE_CHARS_MAX,
        }
    }
}

impl fmt::Display for Expected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expected::Syntax(what) => f.write_str(what),
            Expected::Limit(limit) => write!(f, "{limit}"),
            Expected::SameField(name) => {
                write!(f, "a condition on `{name}`, the entry's own field")
            }
        }
    }
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let max = self.max();
        match self {
            Limit::PatternChars => write!(f, "at most {max} characters in a pattern"),
            Limit::RegexesPerPattern => {
                write!(f, "at most {max} regex literals in a JSON or space-delimited pattern")
            }
            Limit::WildcardsPerSelector => write!(f, "at most {max} wildcard in a selector"),
            Limit::WildcardSelectorsPerPattern => {
                write!(f, "at most {max} selectors with a wildcard in a pattern")
            }
            Limit::EllipsesPerPattern => write!(f, "at most {max} `...` in a pattern"),
            Limit::NestingDepth => write!(f, "at most {max} nested parentheses"),
            Limit::RegexRepeat => write!(f, "a repetition count of at most {max}"),
            Limit::RegexStates => {
                write!(f, "a regex of at most {max} positions once repetitions are unrolled")
            }
            Limit::MetricValueChars => write!(f, "at most {max} characters in a metric value"),
            Limit::DimensionValueChars => {
                write!(f, "at most {max} characters in a dimension value")
            }
        }
    }
}

impl fmt::Display for Found {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Found::EndOfPattern => f.write_str("end of pattern"),
            Found::Char(c) => write!(f, "`{}`", Visible(&c.to_string())),
            Found::Text(text) => write!(f, "`{}`", Visible(text)),
            Found::Count(n) => write!(f, "{n}"),
        }
    }
}

/// Text with control characters and whitespace other than the space escaped, so that a tab
/// or a newline shows in a one-line message.
struct Visible<'a>(&'a str);

impl fmt::Display for Visible<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in self.0.chars() {
            if c.is_control() || (c.is_whitespace() && c != ' ') {
                write!(f, "{}", c.escape_debug())?;
            } else {
                write!(f, "{c}")?;
            }
        }
        Ok(())
    }
}
