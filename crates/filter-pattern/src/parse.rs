//! Pattern text to [`Ast`]: classification (§2), term patterns (§4), JSON patterns (§6),
//! space-delimited patterns (§7) and metric field references (§10.1), with every check of §8.
//! A hand-written recursive-descent parser over bytes; it recurses once per parenthesis level,
//! which `NESTING_DEPTH_MAX` bounds.

use crate::ast::{
    Ast, BoolExpr, Comparison, Condition, Entry, FieldRef, Selector, Step, Term, TermKind,
    TermText, Test, Value,
};
use crate::error::{Error, Expected, Found, Limit, Result};
use crate::limits;
use crate::number::Number;
use crate::regex::Regex;

/// Whitespace of §3: space, tab, CR, LF.
pub(crate) fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// Characters that end an unquoted value (§3), besides whitespace.
fn ends_unquoted(b: u8) -> bool {
    is_ws(b) || b"()&|\"=!<>,".contains(&b)
}

/// Characters of a bare selector member name (§6.2).
pub(crate) fn is_name_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// Characters of a space-delimited field name (§7.2).
pub(crate) fn is_field_name_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

const OPERATOR: &str = "`=`, `!=`, `<`, `<=`, `>`, `>=`, `IS` or `NOT EXISTS`";
const FIELD_OPERATOR: &str = "`=`, `!=`, `<`, `<=`, `>` or `>=`";
const CONDITION: &str = "`(` or a selector starting with `$.`";
const VALUE: &str = "a value (a quoted string, a %regex%, a number or an unquoted string)";

/// Parses a whole filter pattern.
pub(crate) fn parse(src: &str) -> Result<Ast> {
    if let Some((offset, _)) = src.char_indices().nth(limits::PATTERN_CHARS_MAX) {
        return Err(Error {
            offset,
            expected: Expected::Limit(Limit::PatternChars),
            found: Found::Count(src.chars().count()),
        });
    }
    let bytes = src.as_bytes();
    let Some(first) = bytes.iter().position(|&b| !is_ws(b)) else {
        return Ok(Ast::MatchAll);
    };
    let last = bytes.iter().rposition(|&b| !is_ws(b)).unwrap_or(first);
    let mut parser = Parser::new(src);
    match bytes.get(first) {
        Some(&open @ (b'{' | b'[')) => {
            let close = if open == b'{' { b'}' } else { b']' };
            if last == first || bytes.get(last) != Some(&close) {
                let expected = if open == b'{' {
                    "`}` closing the JSON pattern"
                } else {
                    "`]` closing the space-delimited pattern"
                };
                return Err(Error {
                    offset: last + 1,
                    expected: Expected::Syntax(expected),
                    found: Found::EndOfPattern,
                });
            }
            parser.pos = first + 1;
            parser.end = last;
            if open == b'{' {
                parser.json().map(Ast::Json)
            } else {
                parser.delimited().map(Ast::Delimited)
            }
        }
        _ => {
            parser.pos = first;
            parser.end = last + 1;
            parser.terms().map(Ast::Terms)
        }
    }
}

/// Parses a metric field reference: `$.selector`, `$name` or `$N` (§10.1).
pub(crate) fn field_ref(src: &str) -> Result<FieldRef> {
    let mut parser = Parser::new(src);
    let field = match (parser.peek(), parser.peek_at(1)) {
        (Some(b'$'), Some(b'.')) => {
            let start = parser.pos;
            let selector = parser.selector("a field reference: `$.selector`, `$name` or `$N`")?;
            if selector.has_wildcard() {
                return Err(Error {
                    offset: start,
                    expected: Expected::Syntax("a selector without wildcards"),
                    found: Found::Text(src.to_owned()),
                });
            }
            FieldRef::Json(selector)
        }
        (Some(b'$'), Some(b)) if is_field_name_char(b) => {
            parser.pos += 1;
            let name = parser.run(is_field_name_char);
            if !name.bytes().all(|b| b.is_ascii_digit()) {
                FieldRef::Named(name.to_owned())
            } else {
                match name.parse::<u32>() {
                    Ok(position) if position >= 1 => FieldRef::Positional(position),
                    _ => {
                        parser.pos = 1;
                        return Err(parser.error("a field position from 1 to 4294967295"));
                    }
                }
            }
        }
        _ => return Err(parser.error("a field reference: `$.selector`, `$name` or `$N`")),
    };
    if parser.pos < parser.end {
        return Err(parser.error("end of the field reference"));
    }
    Ok(field)
}

struct Parser<'a> {
    src: &'a str,
    pos: usize,
    /// End of the part being parsed: the closing `}`/`]` of JSON and space-delimited patterns
    /// (so that an unquoted value never swallows it), otherwise the end of the text.
    end: usize,
    n_regexes: usize,
    n_wildcard_selectors: usize,
    n_ellipses: usize,
}

impl<'a> Parser<'a> {
    fn new(src: &'a str) -> Parser<'a> {
        Parser { src, pos: 0, end: src.len(), n_regexes: 0, n_wildcard_selectors: 0, n_ellipses: 0 }
    }

    fn peek(&self) -> Option<u8> {
        self.peek_at(0)
    }

    fn peek_at(&self, ahead: usize) -> Option<u8> {
        let at = self.pos + ahead;
        if at < self.end { self.src.as_bytes().get(at).copied() } else { None }
    }

    fn eat(&mut self, token: &str) -> bool {
        let ok = self.pos + token.len() <= self.end
            && self.src.as_bytes().get(self.pos..self.pos + token.len()) == Some(token.as_bytes());
        if ok {
            self.pos += token.len();
        }
        ok
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(is_ws) {
            self.pos += 1;
        }
    }

    /// The longest run of bytes satisfying `accept` (ASCII-only predicates keep it on
    /// character boundaries).
    fn run(&mut self, accept: impl Fn(u8) -> bool) -> &'a str {
        let start = self.pos;
        while self.peek().is_some_and(&accept) {
            self.pos += 1;
        }
        self.src.get(start..self.pos).unwrap_or_default()
    }

    /// What is at the current position: the character of the text there (which may be the
    /// closing `}`/`]` just past `end`), or the end.
    fn found(&self) -> Found {
        match self.src.get(self.pos..).and_then(|rest| rest.chars().next()) {
            Some(c) => Found::Char(c),
            None => Found::EndOfPattern,
        }
    }

    fn error(&self, expected: &'static str) -> Error {
        Error { offset: self.pos, expected: Expected::Syntax(expected), found: self.found() }
    }

    fn error_found(&self, offset: usize, expected: &'static str, found: &str) -> Error {
        let found = if found.is_empty() { self.found() } else { Found::Text(found.to_owned()) };
        Error { offset, expected: Expected::Syntax(expected), found }
    }

    fn limit(offset: usize, limit: Limit, count: usize) -> Error {
        Error { offset, expected: Expected::Limit(limit), found: Found::Count(count) }
    }

    // ---------- shared tokens ----------

    /// `"…"` with `\"`, `\\` and `\x` = `x` (§3); the current byte is the opening quote.
    fn quoted(&mut self) -> Result<String> {
        self.pos += 1;
        let mut text = String::new();
        let body = self.src.get(self.pos..self.end).unwrap_or_default();
        let mut chars = body.char_indices();
        while let Some((at, c)) = chars.next() {
            match c {
                '"' => {
                    self.pos += at + 1;
                    return Ok(text);
                }
                '\\' => match chars.next() {
                    Some((_, escaped)) => text.push(escaped),
                    None => break,
                },
                _ => text.push(c),
            }
        }
        self.pos = self.end;
        Err(self.error("`\"` closing the quoted string"))
    }

    /// `%…%`; the current byte is the opening `%`. The body ends at the first `%` that is not
    /// escaped by a backslash (§3).
    fn regex(&mut self) -> Result<Regex> {
        let open = self.pos;
        let bytes = self.src.as_bytes();
        let mut at = open + 1;
        let close = loop {
            if at >= self.end {
                self.pos = self.end;
                return Err(self.error("`%` closing the regex"));
            }
            match bytes.get(at) {
                Some(b'\\') => at += 2,
                Some(b'%') => break at,
                _ => at += 1,
            }
        };
        let body = self.src.get(open + 1..close).unwrap_or_default();
        if body.is_empty() {
            self.pos = close;
            return Err(self.error("a non-empty regex between `%` and `%`"));
        }
        let regex = Regex::parse_at(body, open + 1)?;
        self.pos = close + 1;
        Ok(regex)
    }

    // ---------- term patterns (§4) ----------

    fn terms(&mut self) -> Result<Vec<Term>> {
        let mut terms = Vec::new();
        loop {
            self.skip_ws();
            let Some(b) = self.peek() else { break };
            let mut kind = TermKind::Include;
            if matches!(b, b'-' | b'?') && self.peek_at(1).is_some_and(|next| !is_ws(next)) {
                kind = if b == b'-' { TermKind::Exclude } else { TermKind::Optional };
                self.pos += 1;
            }
            let text = match self.peek() {
                Some(b'"') => TermText::Literal(self.quoted()?),
                Some(b'%') => TermText::Regex(self.regex()?),
                _ => TermText::Literal(self.run(|b| !is_ws(b)).to_owned()),
            };
            if self.peek().is_some_and(|b| !is_ws(b)) {
                return Err(self.error("whitespace between terms"));
            }
            terms.push(Term { kind, text });
        }
        Ok(terms)
    }

    // ---------- JSON patterns (§6) ----------

    fn json(&mut self) -> Result<BoolExpr<Condition>> {
        self.skip_ws();
        let expr = self.or_expr(0)?;
        self.skip_ws();
        if self.pos < self.end {
            return Err(self.error("`&&`, `||` or `}` closing the JSON pattern"));
        }
        Ok(expr)
    }

    fn or_expr(&mut self, depth: usize) -> Result<BoolExpr<Condition>> {
        let mut operands = vec![self.and_expr(depth)?];
        loop {
            self.skip_ws();
            if !self.eat("||") {
                break;
            }
            self.skip_ws();
            operands.push(self.and_expr(depth)?);
        }
        Ok(collapse(operands, BoolExpr::Or))
    }

    fn and_expr(&mut self, depth: usize) -> Result<BoolExpr<Condition>> {
        let mut operands = vec![self.primary(depth)?];
        loop {
            self.skip_ws();
            if !self.eat("&&") {
                break;
            }
            self.skip_ws();
            operands.push(self.primary(depth)?);
        }
        Ok(collapse(operands, BoolExpr::And))
    }

    fn primary(&mut self, depth: usize) -> Result<BoolExpr<Condition>> {
        if self.peek() != Some(b'(') {
            return Ok(BoolExpr::Leaf(self.condition()?));
        }
        if depth >= limits::NESTING_DEPTH_MAX {
            return Err(Self::limit(self.pos, Limit::NestingDepth, depth + 1));
        }
        self.pos += 1;
        self.skip_ws();
        let expr = self.or_expr(depth + 1)?;
        self.skip_ws();
        if !self.eat(")") {
            return Err(self.error("`&&`, `||` or `)`"));
        }
        Ok(expr)
    }

    fn condition(&mut self) -> Result<Condition> {
        let start = self.pos;
        let selector = self.selector(CONDITION)?;
        if selector.has_wildcard() {
            self.n_wildcard_selectors += 1;
            if self.n_wildcard_selectors > limits::WILDCARD_SELECTORS_PER_PATTERN_MAX {
                return Err(Self::limit(
                    start,
                    Limit::WildcardSelectorsPerPattern,
                    self.n_wildcard_selectors,
                ));
            }
        }
        self.skip_ws();
        if let Some(comparison) = self.comparison(OPERATOR)? {
            return Ok(Condition { selector, test: Test::Compare(comparison) });
        }
        let word_start = self.pos;
        let word = self.run(|b| b.is_ascii_alphabetic());
        let test = match word {
            "IS" => match self.keyword_after("`NULL`, `TRUE` or `FALSE` after `IS`")? {
                "NULL" => Test::IsNull,
                "TRUE" => Test::IsTrue,
                "FALSE" => Test::IsFalse,
                other => {
                    let at = self.pos - other.len();
                    return Err(self.error_found(
                        at,
                        "`NULL`, `TRUE` or `FALSE` after `IS`",
                        other,
                    ));
                }
            },
            "NOT" => match self.keyword_after("`EXISTS` after `NOT`")? {
                "EXISTS" => Test::NotExists,
                other => {
                    let at = self.pos - other.len();
                    return Err(self.error_found(at, "`EXISTS` after `NOT`", other));
                }
            },
            _ => return Err(self.error_found(word_start, OPERATOR, word)),
        };
        Ok(Condition { selector, test })
    }

    /// After `IS`/`NOT`: at least one whitespace, then an upper-case keyword.
    fn keyword_after(&mut self, expected: &'static str) -> Result<&'a str> {
        if !self.peek().is_some_and(is_ws) {
            return Err(self.error(expected));
        }
        self.skip_ws();
        let word = self.run(|b| b.is_ascii_alphabetic());
        if word.is_empty() {
            return Err(self.error(expected));
        }
        Ok(word)
    }

    /// An operator and its operand, or `None` if no operator starts here.
    fn comparison(&mut self, expected: &'static str) -> Result<Option<Comparison>> {
        let comparison = match self.peek() {
            Some(b'=') => {
                self.pos += 1;
                self.skip_ws();
                Comparison::Eq(self.value()?)
            }
            Some(b'!') => {
                if !self.eat("!=") {
                    return Err(self.error(expected));
                }
                self.skip_ws();
                Comparison::Ne(self.value()?)
            }
            Some(b'<') => {
                let le = self.eat("<=");
                if !le {
                    self.pos += 1;
                }
                self.skip_ws();
                let number = self.number()?;
                if le { Comparison::Le(number) } else { Comparison::Lt(number) }
            }
            Some(b'>') => {
                let ge = self.eat(">=");
                if !ge {
                    self.pos += 1;
                }
                self.skip_ws();
                let number = self.number()?;
                if ge { Comparison::Ge(number) } else { Comparison::Gt(number) }
            }
            _ => return Ok(None),
        };
        Ok(Some(comparison))
    }

    /// The right-hand side of `=`/`!=`.
    fn value(&mut self) -> Result<Value> {
        match self.peek() {
            Some(b'"') => Ok(Value::String(self.quoted()?)),
            Some(b'%') => {
                self.n_regexes += 1;
                if self.n_regexes > limits::REGEXES_PER_PATTERN_MAX {
                    return Err(Self::limit(self.pos, Limit::RegexesPerPattern, self.n_regexes));
                }
                Ok(Value::Regex(self.regex()?))
            }
            _ => {
                let text = self.run(|b| !ends_unquoted(b));
                if text.is_empty() {
                    return Err(self.error(VALUE));
                }
                Ok(match Number::parse(text) {
                    Some(number) => Value::Number(number),
                    None => Value::String(text.to_owned()),
                })
            }
        }
    }

    /// The right-hand side of a relational operator: an unquoted number literal.
    fn number(&mut self) -> Result<Number> {
        const NUMBER: &str = "a number after a relational operator";
        let start = self.pos;
        if matches!(self.peek(), Some(b'"' | b'%')) {
            return Err(self.error(NUMBER));
        }
        let text = self.run(|b| !ends_unquoted(b));
        match Number::parse(text) {
            Some(number) => Ok(number),
            None => Err(self.error_found(start, NUMBER, text)),
        }
    }

    /// `$.a.b[0]` (§6.2); `expected` describes what was wanted if there is no `$`.
    fn selector(&mut self, expected: &'static str) -> Result<Selector> {
        if !self.eat("$") {
            return Err(self.error(expected));
        }
        if self.peek() != Some(b'.') {
            return Err(self.error("`.` after `$` (a selector starts with `$.`)"));
        }
        let mut steps = Vec::new();
        let mut n_wildcards = 0;
        loop {
            let step_start = self.pos;
            let step = match self.peek() {
                Some(b'.') => {
                    self.pos += 1;
                    match self.peek() {
                        Some(b'*') => {
                            self.pos += 1;
                            Step::AnyMember
                        }
                        Some(b'[') => {
                            self.pos += 1;
                            Step::Member(self.bracket_key()?)
                        }
                        Some(b) if is_name_char(b) => {
                            Step::Member(self.run(is_name_char).to_owned())
                        }
                        _ => return Err(self.error("a member name, `*` or `['key']` after `.`")),
                    }
                }
                Some(b'[') => {
                    self.pos += 1;
                    match self.peek() {
                        Some(b'*') => {
                            self.pos += 1;
                            self.close_bracket()?;
                            Step::AnyIndex
                        }
                        Some(b'0'..=b'9') => {
                            let digits = self.run(|b| b.is_ascii_digit());
                            let index = digits.parse::<u32>().unwrap_or(u32::MAX);
                            self.close_bracket()?;
                            Step::Index(index)
                        }
                        Some(b'\'' | b'"') => Step::Member(self.bracket_key()?),
                        _ => return Err(self.error("an index, `*` or a quoted key after `[`")),
                    }
                }
                _ => break,
            };
            if matches!(step, Step::AnyMember | Step::AnyIndex) {
                n_wildcards += 1;
                if n_wildcards > limits::WILDCARDS_PER_SELECTOR_MAX {
                    return Err(Self::limit(step_start, Limit::WildcardsPerSelector, n_wildcards));
                }
            }
            steps.push(step);
        }
        Ok(Selector { steps })
    }

    /// `'key']` or `"key"]` (after `[`): any characters but the quote, no escapes.
    fn bracket_key(&mut self) -> Result<String> {
        let quote = match self.peek() {
            Some(quote @ (b'\'' | b'"')) => quote,
            _ => return Err(self.error("`'` or `\"` starting a bracketed key")),
        };
        self.pos += 1;
        let key = self.run(|b| b != quote);
        if !self.eat(if quote == b'\'' { "'" } else { "\"" }) {
            return Err(self.error("the quote closing the bracketed key"));
        }
        let key = key.to_owned();
        self.close_bracket()?;
        Ok(key)
    }

    fn close_bracket(&mut self) -> Result<()> {
        if self.eat("]") { Ok(()) } else { Err(self.error("`]`")) }
    }

    // ---------- space-delimited patterns (§7) ----------

    fn delimited(&mut self) -> Result<Vec<Entry>> {
        let mut entries = Vec::new();
        self.skip_ws();
        if self.pos >= self.end {
            return Ok(entries);
        }
        loop {
            entries.push(self.entry()?);
            self.skip_ws();
            if self.pos >= self.end {
                return Ok(entries);
            }
            if !self.eat(",") {
                return Err(self.error("`,` or `]` closing the space-delimited pattern"));
            }
        }
    }

    fn entry(&mut self) -> Result<Entry> {
        self.skip_ws();
        match self.peek() {
            None | Some(b',') => Ok(Entry::Unnamed),
            Some(b'.') => {
                let start = self.pos;
                if !self.eat("...") {
                    return Err(self.error("`...`"));
                }
                self.n_ellipses += 1;
                if self.n_ellipses > limits::ELLIPSES_PER_PATTERN_MAX {
                    return Err(Self::limit(start, Limit::EllipsesPerPattern, self.n_ellipses));
                }
                Ok(Entry::Ellipsis)
            }
            Some(b) if is_field_name_char(b) => {
                let name = self.run(is_field_name_char).to_owned();
                self.skip_ws();
                if matches!(self.peek(), None | Some(b',')) {
                    return Ok(Entry::Field { name, condition: None });
                }
                let condition = self.field_expr(&name)?;
                Ok(Entry::Field { name, condition: Some(condition) })
            }
            _ => Err(self.error("a field name, `...` or `,`")),
        }
    }

    /// `name op value` joined by `&&`/`||` (no parentheses); the first name is consumed.
    fn field_expr(&mut self, name: &str) -> Result<BoolExpr<Comparison>> {
        let mut any = Vec::new();
        let mut first = true;
        loop {
            let mut all = Vec::new();
            loop {
                if !first {
                    self.field_name(name)?;
                    self.skip_ws();
                }
                first = false;
                match self.comparison(FIELD_OPERATOR)? {
                    Some(comparison) => all.push(BoolExpr::Leaf(comparison)),
                    None => return Err(self.error(FIELD_OPERATOR)),
                }
                self.skip_ws();
                if !self.eat("&&") {
                    break;
                }
                self.skip_ws();
            }
            any.push(collapse(all, BoolExpr::And));
            if !self.eat("||") {
                break;
            }
            self.skip_ws();
        }
        Ok(collapse(any, BoolExpr::Or))
    }

    /// A further condition's field name, which must be the entry's own.
    fn field_name(&mut self, name: &str) -> Result<()> {
        let start = self.pos;
        let found = self.run(is_field_name_char);
        if found.is_empty() {
            return Err(self.error("a field name"));
        }
        if found != name {
            return Err(Error {
                offset: start,
                expected: Expected::SameField(name.to_owned()),
                found: Found::Text(found.to_owned()),
            });
        }
        Ok(())
    }
}

fn collapse<T>(
    mut operands: Vec<BoolExpr<T>>,
    join: fn(Vec<BoolExpr<T>>) -> BoolExpr<T>,
) -> BoolExpr<T> {
    match operands.pop() {
        Some(only) if operands.is_empty() => only,
        Some(last) => {
            operands.push(last);
            join(operands)
        }
        None => join(operands),
    }
}
