//! `Display` for the syntax tree: one canonical spelling per tree, which parses back to an
//! equal tree (for every tree the parser can build).
//!
//! The spelling is spaced for people (`{ $.a = 1 && $.b != x }`) unless that would exceed the
//! pattern length limit; then it is compact (`{$.a=1&&$.b!=x}`). The compact spelling is never
//! longer than any text the tree was parsed from: it adds no whitespace, no parentheses that
//! precedence does not need, and quotes or escapes only what the parser requires.
//!
//! Printing recurses once per `&&`/`||` level: fine for every tree the parser builds (its
//! depth is bounded by `NESTING_DEPTH_MAX`), not for arbitrarily deep trees built by hand.

use std::fmt::{self, Display, Formatter, Write};

use crate::ast::{
    Ast, BoolExpr, Comparison, Condition, Entry, FieldRef, Selector, Step, Term, TermKind,
    TermText, Test, Value,
};
use crate::limits;
use crate::number;
use crate::parse::{is_name_char, is_ws};

impl Display for Ast {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let mut spaced = String::new();
        Printer { out: &mut spaced, spaced: true }.ast(self)?;
        if spaced.chars().count() <= limits::PATTERN_CHARS_MAX {
            return f.write_str(&spaced);
        }
        Printer { out: f, spaced: false }.ast(self)
    }
}

impl Display for Term {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        Printer { out: f, spaced: true }.term(self, false)
    }
}

impl Display for Condition {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        Printer { out: f, spaced: true }.condition(self)
    }
}

impl Display for Test {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        Printer { out: f, spaced: true }.test(self)
    }
}

impl Display for Comparison {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        Printer { out: f, spaced: true }.comparison(self)
    }
}

impl Display for Value {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        Printer { out: f, spaced: true }.value(self)
    }
}

impl Display for Selector {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        Printer { out: f, spaced: true }.selector(self)
    }
}

impl Display for Entry {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        Printer { out: f, spaced: true }.entry(self)
    }
}

struct Printer<'a> {
    out: &'a mut dyn Write,
    spaced: bool,
}

impl Printer<'_> {
    fn str(&mut self, text: &str) -> fmt::Result {
        self.out.write_str(text)
    }

    /// An operator, with spaces around it when spaced.
    fn op(&mut self, op: &str) -> fmt::Result {
        if self.spaced { write!(self.out, " {op} ") } else { self.str(op) }
    }

    fn ast(&mut self, ast: &Ast) -> fmt::Result {
        match ast {
            Ast::MatchAll => Ok(()),
            Ast::Terms(terms) => {
                for (idx, term) in terms.iter().enumerate() {
                    if idx > 0 {
                        self.str(" ")?;
                    }
                    self.term(term, idx == 0)?;
                }
                Ok(())
            }
            Ast::Json(expr) => {
                self.str(if self.spaced { "{ " } else { "{" })?;
                self.expr(expr, &mut |printer, condition| printer.condition(condition))?;
                self.str(if self.spaced { " }" } else { "}" })
            }
            Ast::Delimited(entries) => {
                self.str("[")?;
                for (idx, entry) in entries.iter().enumerate() {
                    if idx > 0 {
                        self.str(if self.spaced { ", " } else { "," })?;
                    }
                    self.entry(entry)?;
                }
                self.str("]")
            }
        }
    }

    fn term(&mut self, term: &Term, first: bool) -> fmt::Result {
        let prefixed = match term.kind {
            TermKind::Include => false,
            TermKind::Exclude => {
                self.str("-")?;
                true
            }
            TermKind::Optional => {
                self.str("?")?;
                true
            }
        };
        match &term.text {
            TermText::Regex(regex) => write!(self.out, "{regex}"),
            TermText::Literal(text) => {
                let bytes = text.as_bytes();
                // Unprefixed, a leading `-`/`?` followed by more would read as a prefix, and
                // a first term starting with `{`/`[` would make a JSON or space-delimited pattern.
                let needs_quotes = match bytes.first() {
                    None | Some(b'"' | b'%') => true,
                    Some(b'-' | b'?') if !prefixed && bytes.len() > 1 => true,
                    Some(b'{' | b'[') if !prefixed && first => true,
                    Some(_) => bytes.iter().copied().any(is_ws),
                };
                if needs_quotes { self.quoted(text) } else { self.str(text) }
            }
        }
    }

    /// Operands of `||` that are `||`, and operands of `&&` that are `&&` or `||`, get
    /// parentheses so that the grouping survives.
    fn expr<T>(
        &mut self,
        expr: &BoolExpr<T>,
        leaf: &mut dyn FnMut(&mut Self, &T) -> fmt::Result,
    ) -> fmt::Result {
        match expr {
            BoolExpr::Leaf(item) => leaf(self, item),
            BoolExpr::Or(operands) | BoolExpr::And(operands) => {
                let is_or = matches!(expr, BoolExpr::Or(_));
                for (idx, operand) in operands.iter().enumerate() {
                    if idx > 0 {
                        self.op(if is_or { "||" } else { "&&" })?;
                    }
                    let grouped = match operand {
                        BoolExpr::Leaf(_) => false,
                        BoolExpr::Or(_) => true,
                        BoolExpr::And(_) => !is_or,
                    };
                    if grouped {
                        self.str("(")?;
                    }
                    self.expr(operand, leaf)?;
                    if grouped {
                        self.str(")")?;
                    }
                }
                Ok(())
            }
        }
    }

    fn condition(&mut self, condition: &Condition) -> fmt::Result {
        self.selector(&condition.selector)?;
        match &condition.test {
            Test::Compare(comparison) => self.comparison(comparison),
            test => {
                self.str(" ")?;
                self.test(test)
            }
        }
    }

    fn test(&mut self, test: &Test) -> fmt::Result {
        match test {
            Test::Compare(comparison) => self.comparison(comparison),
            Test::IsNull => self.str("IS NULL"),
            Test::IsTrue => self.str("IS TRUE"),
            Test::IsFalse => self.str("IS FALSE"),
            Test::NotExists => self.str("NOT EXISTS"),
        }
    }

    fn comparison(&mut self, comparison: &Comparison) -> fmt::Result {
        let (op, number) = match comparison {
            Comparison::Eq(value) => {
                self.op("=")?;
                return self.value(value);
            }
            Comparison::Ne(value) => {
                self.op("!=")?;
                return self.value(value);
            }
            Comparison::Lt(number) => ("<", number),
            Comparison::Le(number) => ("<=", number),
            Comparison::Gt(number) => (">", number),
            Comparison::Ge(number) => (">=", number),
        };
        self.op(op)?;
        write!(self.out, "{number}")
    }

    fn value(&mut self, value: &Value) -> fmt::Result {
        match value {
            Value::Number(number) => write!(self.out, "{number}"),
            Value::Regex(regex) => write!(self.out, "{regex}"),
            Value::String(text) => {
                // Unquoted exactly when it reads back as the same string (§3), so that
                // unquoted input stays as short as it was.
                let bytes = text.as_bytes();
                let plain = !matches!(bytes.first(), None | Some(b'%' | b'"'))
                    && !bytes.iter().any(|&b| is_ws(b) || b"()&|\"=!<>,".contains(&b))
                    && !number::is_number(bytes);
                if plain { self.str(text) } else { self.quoted(text) }
            }
        }
    }

    fn selector(&mut self, selector: &Selector) -> fmt::Result {
        self.str("$")?;
        for (idx, step) in selector.steps.iter().enumerate() {
            match step {
                Step::Member(name) if !name.is_empty() && name.bytes().all(is_name_char) => {
                    write!(self.out, ".{name}")?;
                }
                Step::Member(key) => {
                    // The first step needs its dot (`$.['k']`); later ones do without.
                    if idx == 0 {
                        self.str(".")?;
                    }
                    // A key holding both quote characters cannot be written; the parser never
                    // makes one.
                    if key.contains('\'') {
                        write!(self.out, "[\"{key}\"]")?;
                    } else {
                        write!(self.out, "['{key}']")?;
                    }
                }
                Step::Index(index) => write!(self.out, "[{index}]")?,
                Step::AnyMember => self.str(".*")?,
                Step::AnyIndex => self.str("[*]")?,
            }
        }
        Ok(())
    }

    fn entry(&mut self, entry: &Entry) -> fmt::Result {
        match entry {
            Entry::Ellipsis => self.str("..."),
            Entry::Unnamed => Ok(()),
            Entry::Field { name, condition: None } => self.str(name),
            Entry::Field { name, condition: Some(condition) } => {
                self.expr(condition, &mut |printer, comparison| {
                    printer.str(name)?;
                    printer.comparison(comparison)
                })
            }
        }
    }

    fn quoted(&mut self, text: &str) -> fmt::Result {
        self.str("\"")?;
        for c in text.chars() {
            if matches!(c, '"' | '\\') {
                self.str("\\")?;
            }
            self.out.write_char(c)?;
        }
        self.str("\"")
    }
}

impl Display for FieldRef {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            FieldRef::Json(selector) => write!(f, "{selector}"),
            FieldRef::Named(name) => write!(f, "${name}"),
            FieldRef::Positional(position) => write!(f, "${position}"),
        }
    }
}
