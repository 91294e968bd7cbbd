//! The syntax tree of a filter pattern (`filter-patterns.md` §2–§7). It keeps what changes the
//! meaning, not the spelling: `"abc"` and `abc` are the same term, `(a)` and `a` the same
//! condition. `Display` (in `print.rs`) writes a canonical spelling that parses back to an
//! equal tree.

use crate::number::Number;
use crate::regex::Regex;

/// A parsed filter pattern of one of the four kinds of §2.
#[derive(Debug, Clone, PartialEq)]
pub enum Ast {
    /// Empty or whitespace-only pattern: matches every event.
    MatchAll,
    /// Unstructured terms (§4); never empty.
    Terms(Vec<Term>),
    /// `{ … }` over JSON events (§6).
    Json(BoolExpr<Condition>),
    /// `[ … ]` over space-delimited fields (§7).
    Delimited(Vec<Entry>),
}

/// One term of a term pattern.
#[derive(Debug, Clone, PartialEq)]
pub struct Term {
    pub kind: TermKind,
    pub text: TermText,
}

/// How a term takes part in the match (§4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TermKind {
    /// Plain term: must occur.
    Include,
    /// `-term`: must not occur.
    Exclude,
    /// `?term`: one of them must occur, unless the pattern has other terms.
    Optional,
}

/// What a term looks for.
#[derive(Debug, Clone, PartialEq)]
pub enum TermText {
    /// A bare word or a quoted phrase, found as a substring.
    Literal(String),
    /// `%regex%`, searched for anywhere in the message.
    Regex(Regex),
}

/// `&&`/`||` over leaves, as written: the parser keeps explicit grouping (`a && (b && c)` is
/// not flattened) and never builds an `And`/`Or` with fewer than two operands.
#[derive(Debug, Clone, PartialEq)]
pub enum BoolExpr<T> {
    Or(Vec<BoolExpr<T>>),
    And(Vec<BoolExpr<T>>),
    Leaf(T),
}

/// `selector test`, e.g. `$.eventName = ConsoleLogin` or `$.a NOT EXISTS`.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub selector: Selector,
    pub test: Test,
}

/// What a JSON condition checks of the selected nodes (§6.3).
#[derive(Debug, Clone, PartialEq)]
pub enum Test {
    Compare(Comparison),
    IsNull,
    IsTrue,
    IsFalse,
    NotExists,
}

/// An operator and its right-hand side. Relational operators only take numbers (§6.3).
#[derive(Debug, Clone, PartialEq)]
pub enum Comparison {
    Eq(Value),
    Ne(Value),
    Lt(Number),
    Le(Number),
    Gt(Number),
    Ge(Number),
}

/// The right-hand side of `=` / `!=`.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Quoted, or unquoted and not a number; a leading or trailing `*` is a wildcard (§6.5).
    String(String),
    /// An unquoted number literal.
    Number(Number),
    Regex(Regex),
}

/// `$.a.b[0]`: the path to zero or more nodes of a JSON event (§6.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector {
    /// Never empty; the first step is a member step (`Member` or `AnyMember`).
    pub steps: Vec<Step>,
}

/// One step of a [`Selector`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// `.name`, `.['key']`, `["key"]`.
    Member(String),
    /// `[n]`; indexes beyond `u32::MAX` are kept as `u32::MAX` (they select nothing anyway).
    Index(u32),
    /// `.*`
    AnyMember,
    /// `[*]`
    AnyIndex,
}

/// One comma-separated entry of a space-delimited pattern.
#[derive(Debug, Clone, PartialEq)]
pub enum Entry {
    /// `...`: zero or more fields.
    Ellipsis,
    /// An empty entry: one field, anything.
    Unnamed,
    /// `name` or `name = value || name != value …`; conditions never use `(`…`)`, so the
    /// expression is an `Or` of `And`s of leaves at most.
    Field { name: String, condition: Option<BoolExpr<Comparison>> },
}

impl Selector {
    /// Whether a step is `[*]` or `.*` (the condition is then existential, §6.4).
    pub fn has_wildcard(&self) -> bool {
        self.steps.iter().any(|step| matches!(step, Step::AnyMember | Step::AnyIndex))
    }
}

/// A reference to a value of a matched event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldRef {
    /// `$.a.b[0]` (JSON patterns); wildcards are not allowed, a reference names one node.
    Json(Selector),
    /// `$name`: a named entry of a space-delimited pattern.
    Named(String),
    /// `$N`: the N-th field (from 1) of the message, taken by `...` or an empty entry.
    Positional(u32),
}
