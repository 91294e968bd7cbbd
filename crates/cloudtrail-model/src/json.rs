//! Lossless JSON: a document tree that keeps member order, duplicate members and the exact
//! text of every number, with a parser that never panics and a compact writer.
//!
//! Why not `serde_json::Value`: its numbers are normalised unless the process-wide
//! `arbitrary_precision` feature is on (which changes every other user of serde_json in the
//! binary), and its objects drop duplicate members. CloudTrail evidence must come back out
//! exactly as it went in, so the tree is ours.
//!
//! The writer escapes strings exactly as Python's `json.dumps(ensure_ascii=False)` does
//! (`\"`, `\\`, `\b`, `\f`, `\n`, `\r`, `\t`, other control characters as `\u00xx`, everything
//! else verbatim), so compact input written by the common tools round-trips byte for byte.

use std::fmt;

use crate::limits;

/// One JSON value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Null,
    Bool(bool),
    Number(Number),
    String(String),
    Array(Vec<Value>),
    Object(Object),
}

/// A JSON number, kept as the exact text it was written with (`1.666275403e+12` stays so).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Number(Box<str>);

impl Number {
    /// Wraps number text after checking it against the JSON number grammar.
    pub fn from_text(text: &str) -> Option<Number> {
        let bytes = text.as_bytes();
        let end = scan_number(bytes, 0).ok()?;
        (end == bytes.len()).then(|| Number(text.into()))
    }

    pub fn from_u64(n: u64) -> Number {
        Number(n.to_string().into())
    }

    pub fn from_i64(n: i64) -> Number {
        Number(n.to_string().into())
    }

    /// The number's text exactly as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn as_f64(&self) -> Option<f64> {
        self.0.parse().ok()
    }

    pub fn as_i64(&self) -> Option<i64> {
        self.0.parse().ok()
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A JSON object: members in document order; duplicate names are kept as written.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Object {
    members: Vec<(String, Value)>,
}

impl Object {
    pub fn new() -> Object {
        Object::default()
    }

    pub fn with_capacity(n: usize) -> Object {
        Object { members: Vec::with_capacity(n) }
    }

    pub fn len(&self) -> usize {
        self.members.len()
    }

    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// The first member called `name`.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.members.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }

    pub fn get_mut(&mut self, name: &str) -> Option<&mut Value> {
        self.members.iter_mut().find(|(k, _)| k == name).map(|(_, v)| v)
    }

    /// Appends a member without looking for an existing one of the same name.
    pub fn push(&mut self, name: impl Into<String>, value: Value) {
        self.members.push((name.into(), value));
    }

    /// Replaces the first member called `name`, keeping its position, or appends one.
    pub fn insert(&mut self, name: &str, value: Value) {
        match self.get_mut(name) {
            Some(slot) => *slot = value,
            None => self.members.push((name.to_owned(), value)),
        }
    }

    /// Removes and returns the first member called `name`.
    pub fn remove(&mut self, name: &str) -> Option<Value> {
        let idx = self.members.iter().position(|(k, _)| k == name)?;
        Some(self.members.remove(idx).1)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.members.iter().map(|(k, v)| (k.as_str(), v))
    }

    pub fn into_members(self) -> Vec<(String, Value)> {
        self.members
    }

    pub fn from_members(members: Vec<(String, Value)>) -> Object {
        Object { members }
    }

    /// Byte length of the object's compact JSON text.
    pub fn encoded_len(&self) -> usize {
        2 + self.members.iter().map(|(k, v)| escaped_len(k) + 1 + v.encoded_len()).sum::<usize>()
            + self.members.len().saturating_sub(1)
    }

    /// Name of the first member whose name occurs earlier too, if any.
    pub fn first_duplicate_name(&self) -> Option<&str> {
        for (idx, (name, _)) in self.members.iter().enumerate() {
            if self.members[..idx].iter().any(|(earlier, _)| earlier == name) {
                return Some(name);
            }
        }
        None
    }
}

impl Value {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_object(&self) -> Option<&Object> {
        match self {
            Value::Object(o) => Some(o),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The JSON type name, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        }
    }

    /// Compact JSON text.
    pub fn to_json(&self) -> String {
        let mut out = Vec::new();
        write_value(self, &mut out);
        // The writer only emits valid UTF-8: strings come from `String`s and the rest is ASCII.
        String::from_utf8(out).unwrap_or_default()
    }

    /// Byte length of [`Value::to_json`] without building it.
    pub fn encoded_len(&self) -> usize {
        match self {
            Value::Null => 4,
            Value::Bool(true) => 4,
            Value::Bool(false) => 5,
            Value::Number(n) => n.as_str().len(),
            Value::String(s) => escaped_len(s),
            Value::Array(items) => {
                2 + items.iter().map(Value::encoded_len).sum::<usize>()
                    + items.len().saturating_sub(1)
            }
            Value::Object(object) => object.encoded_len(),
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(s)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl From<Object> for Value {
    fn from(o: Object) -> Value {
        Value::Object(o)
    }
}

// ---------------------------------------------------------------------------------------------
// Errors

/// One step of a JSON path: an object member or an array index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathSegment {
    Member(String),
    Index(usize),
}

/// Formats a path as `$.userIdentity.sessionContext`, `$.resources[0].ARN` or `$["a b"]`.
pub fn format_path(segments: &[PathSegment]) -> String {
    let mut out = String::from("$");
    for segment in segments {
        match segment {
            PathSegment::Member(name) => {
                let simple = !name.is_empty()
                    && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '@')
                    && !name.as_bytes()[0].is_ascii_digit();
                if simple {
                    out.push('.');
                    out.push_str(name);
                } else {
                    out.push('[');
                    out.push_str(&Value::String(name.clone()).to_json());
                    out.push(']');
                }
            }
            PathSegment::Index(idx) => {
                out.push('[');
                out.push_str(&idx.to_string());
                out.push(']');
            }
        }
    }
    out
}

/// What is wrong with a JSON text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParseErrorKind {
    UnexpectedEnd,
    UnexpectedByte(u8),
    InvalidNumber,
    InvalidEscape,
    LoneSurrogate,
    ControlCharacterInString,
    InvalidUtf8,
    TooDeep,
    TrailingCharacters,
}

impl fmt::Display for ParseErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseErrorKind::UnexpectedEnd => f.write_str("unexpected end of input"),
            ParseErrorKind::UnexpectedByte(b) if b.is_ascii_graphic() => {
                write!(f, "unexpected character `{}`", *b as char)
            }
            ParseErrorKind::UnexpectedByte(b) => write!(f, "unexpected byte 0x{b:02x}"),
            ParseErrorKind::InvalidNumber => f.write_str("invalid number"),
            ParseErrorKind::InvalidEscape => f.write_str("invalid escape sequence in string"),
            ParseErrorKind::LoneSurrogate => {
                f.write_str("string escape is an unpaired UTF-16 surrogate")
            }
            ParseErrorKind::ControlCharacterInString => {
                f.write_str("unescaped control character in string")
            }
            ParseErrorKind::InvalidUtf8 => f.write_str("invalid UTF-8"),
            ParseErrorKind::TooDeep => {
                write!(f, "nesting deeper than {} levels", limits::JSON_DEPTH_MAX)
            }
            ParseErrorKind::TrailingCharacters => {
                f.write_str("trailing characters after the value")
            }
        }
    }
}

/// A JSON syntax error: where (byte offset and path) and what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub offset: usize,
    /// Path of the innermost value being parsed, outermost segment first.
    pub path: Vec<PathSegment>,
    pub kind: ParseErrorKind,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid JSON at byte {} (`{}`): {}",
            self.offset,
            format_path(&self.path),
            self.kind
        )
    }
}

impl std::error::Error for ParseError {}

// ---------------------------------------------------------------------------------------------
// Parser

/// Parses one JSON document; surrounding whitespace is allowed, anything else is not.
pub fn parse(input: &[u8]) -> Result<Value, ParseError> {
    // Validating all of the input at once is much faster than string by string; when it
    // fails, strings are validated one by one so the error names the member.
    let text = std::str::from_utf8(input).ok();
    let mut parser = Parser { input, text, pos: 0 };
    parser.skip_ws();
    let value = parser.parse_value(0)?;
    parser.skip_ws();
    if parser.pos != input.len() {
        return Err(parser.error(ParseErrorKind::TrailingCharacters));
    }
    Ok(value)
}

struct Parser<'a> {
    input: &'a [u8],
    /// `input` as text, when all of it is valid UTF-8.
    text: Option<&'a str>,
    pos: usize,
}

impl Parser<'_> {
    fn error(&self, kind: ParseErrorKind) -> ParseError {
        ParseError { offset: self.pos, path: Vec::new(), kind }
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.input.get(self.pos) {
            self.pos += 1;
        }
    }

    fn peek(&self) -> Result<u8, ParseError> {
        self.input.get(self.pos).copied().ok_or_else(|| self.error(ParseErrorKind::UnexpectedEnd))
    }

    fn expect_literal(&mut self, literal: &[u8], value: Value) -> Result<Value, ParseError> {
        for &expected in literal {
            let got = self.peek()?;
            if got != expected {
                return Err(self.error(ParseErrorKind::UnexpectedByte(got)));
            }
            self.pos += 1;
        }
        Ok(value)
    }

    fn parse_value(&mut self, depth: usize) -> Result<Value, ParseError> {
        match self.peek()? {
            b'{' => self.parse_object(depth + 1),
            b'[' => self.parse_array(depth + 1),
            b'"' => self.parse_string().map(Value::String),
            b't' => self.expect_literal(b"true", Value::Bool(true)),
            b'f' => self.expect_literal(b"false", Value::Bool(false)),
            b'n' => self.expect_literal(b"null", Value::Null),
            b'-' | b'0'..=b'9' => {
                let start = self.pos;
                match scan_number(self.input, start) {
                    Ok(end) => {
                        self.pos = end;
                        // The scanned bytes are ASCII by construction.
                        let text = std::str::from_utf8(&self.input[start..end]).unwrap_or("0");
                        Ok(Value::Number(Number(text.into())))
                    }
                    Err(at) => {
                        self.pos = at;
                        Err(self.error(ParseErrorKind::InvalidNumber))
                    }
                }
            }
            other => Err(self.error(ParseErrorKind::UnexpectedByte(other))),
        }
    }

    fn parse_object(&mut self, depth: usize) -> Result<Value, ParseError> {
        if depth > limits::JSON_DEPTH_MAX {
            return Err(self.error(ParseErrorKind::TooDeep));
        }
        self.pos += 1; // `{`
        let mut object = Object::with_capacity(8);
        self.skip_ws();
        if self.peek()? == b'}' {
            self.pos += 1;
            return Ok(Value::Object(object));
        }
        loop {
            self.skip_ws();
            let got = self.peek()?;
            if got != b'"' {
                return Err(self.error(ParseErrorKind::UnexpectedByte(got)));
            }
            let name = self.parse_string()?;
            self.skip_ws();
            let got = self.peek()?;
            if got != b':' {
                return Err(self.error(ParseErrorKind::UnexpectedByte(got)));
            }
            self.pos += 1;
            self.skip_ws();
            let value = match self.parse_value(depth) {
                Ok(value) => value,
                Err(mut err) => {
                    err.path.insert(0, PathSegment::Member(name));
                    return Err(err);
                }
            };
            object.members.push((name, value));
            self.skip_ws();
            match self.peek()? {
                b',' => self.pos += 1,
                b'}' => {
                    self.pos += 1;
                    return Ok(Value::Object(object));
                }
                other => return Err(self.error(ParseErrorKind::UnexpectedByte(other))),
            }
        }
    }

    fn parse_array(&mut self, depth: usize) -> Result<Value, ParseError> {
        if depth > limits::JSON_DEPTH_MAX {
            return Err(self.error(ParseErrorKind::TooDeep));
        }
        self.pos += 1; // `[`
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek()? == b']' {
            self.pos += 1;
            return Ok(Value::Array(items));
        }
        loop {
            self.skip_ws();
            let value = match self.parse_value(depth) {
                Ok(value) => value,
                Err(mut err) => {
                    err.path.insert(0, PathSegment::Index(items.len()));
                    return Err(err);
                }
            };
            items.push(value);
            self.skip_ws();
            match self.peek()? {
                b',' => self.pos += 1,
                b']' => {
                    self.pos += 1;
                    return Ok(Value::Array(items));
                }
                other => return Err(self.error(ParseErrorKind::UnexpectedByte(other))),
            }
        }
    }

    fn parse_string(&mut self) -> Result<String, ParseError> {
        self.pos += 1; // opening quote
        let start = self.pos;
        // Fast path: no escapes. Skip clean bytes eight at a time.
        if let Some(idx) = find_special(self.input, self.pos) {
            self.pos = idx;
        } else {
            self.pos = self.input.len();
        }
        while let Some(&b) = self.input.get(self.pos) {
            match b {
                b'"' => {
                    if let Some(slice) = self.text.and_then(|text| text.get(start..self.pos)) {
                        self.pos += 1;
                        return Ok(slice.to_owned());
                    }
                    let text = std::str::from_utf8(&self.input[start..self.pos]).map_err(|e| {
                        ParseError {
                            offset: start + e.valid_up_to(),
                            path: Vec::new(),
                            kind: ParseErrorKind::InvalidUtf8,
                        }
                    })?;
                    self.pos += 1;
                    return Ok(text.to_owned());
                }
                b'\\' => break,
                0x00..=0x1f => return Err(self.error(ParseErrorKind::ControlCharacterInString)),
                _ => self.pos += 1,
            }
        }
        if self.pos >= self.input.len() {
            return Err(self.error(ParseErrorKind::UnexpectedEnd));
        }
        // Slow path: the string has escapes.
        let mut buf: Vec<u8> = self.input[start..self.pos].to_vec();
        loop {
            let b = self.peek()?;
            match b {
                b'"' => {
                    self.pos += 1;
                    return String::from_utf8(buf).map_err(|e| ParseError {
                        offset: start + e.utf8_error().valid_up_to(),
                        path: Vec::new(),
                        kind: ParseErrorKind::InvalidUtf8,
                    });
                }
                b'\\' => {
                    self.pos += 1;
                    let escape = self.peek()?;
                    self.pos += 1;
                    match escape {
                        b'"' => buf.push(b'"'),
                        b'\\' => buf.push(b'\\'),
                        b'/' => buf.push(b'/'),
                        b'b' => buf.push(0x08),
                        b'f' => buf.push(0x0c),
                        b'n' => buf.push(b'\n'),
                        b'r' => buf.push(b'\r'),
                        b't' => buf.push(b'\t'),
                        b'u' => {
                            let c = self.parse_unicode_escape()?;
                            let mut tmp = [0u8; 4];
                            buf.extend_from_slice(c.encode_utf8(&mut tmp).as_bytes());
                        }
                        _ => {
                            self.pos -= 1;
                            return Err(self.error(ParseErrorKind::InvalidEscape));
                        }
                    }
                }
                0x00..=0x1f => return Err(self.error(ParseErrorKind::ControlCharacterInString)),
                _ => {
                    buf.push(b);
                    self.pos += 1;
                }
            }
        }
    }

    fn parse_hex4(&mut self) -> Result<u32, ParseError> {
        let mut n = 0u32;
        for _ in 0..4 {
            let b = self.peek()?;
            let digit = match b {
                b'0'..=b'9' => b - b'0',
                b'a'..=b'f' => b - b'a' + 10,
                b'A'..=b'F' => b - b'A' + 10,
                _ => return Err(self.error(ParseErrorKind::InvalidEscape)),
            };
            n = n * 16 + u32::from(digit);
            self.pos += 1;
        }
        Ok(n)
    }

    /// Parses the `XXXX` after `\u` (and a following low surrogate escape when needed).
    fn parse_unicode_escape(&mut self) -> Result<char, ParseError> {
        let first = self.parse_hex4()?;
        let code = match first {
            0xD800..=0xDBFF => {
                if self.input.get(self.pos) != Some(&b'\\')
                    || self.input.get(self.pos + 1) != Some(&b'u')
                {
                    return Err(self.error(ParseErrorKind::LoneSurrogate));
                }
                self.pos += 2;
                let second = self.parse_hex4()?;
                if !(0xDC00..=0xDFFF).contains(&second) {
                    return Err(self.error(ParseErrorKind::LoneSurrogate));
                }
                0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
            }
            0xDC00..=0xDFFF => return Err(self.error(ParseErrorKind::LoneSurrogate)),
            other => other,
        };
        char::from_u32(code).ok_or_else(|| self.error(ParseErrorKind::LoneSurrogate))
    }
}

/// Scans a JSON number starting at `start`; returns the end offset, or the offset of the
/// first byte that breaks the grammar.
fn scan_number(input: &[u8], start: usize) -> Result<usize, usize> {
    let mut pos = start;
    let at = |pos: usize| input.get(pos).copied();
    if at(pos) == Some(b'-') {
        pos += 1;
    }
    match at(pos) {
        Some(b'0') => pos += 1,
        Some(b'1'..=b'9') => {
            while let Some(b'0'..=b'9') = at(pos) {
                pos += 1;
            }
        }
        _ => return Err(pos),
    }
    if at(pos) == Some(b'.') {
        pos += 1;
        if !matches!(at(pos), Some(b'0'..=b'9')) {
            return Err(pos);
        }
        while let Some(b'0'..=b'9') = at(pos) {
            pos += 1;
        }
    }
    if let Some(b'e' | b'E') = at(pos) {
        pos += 1;
        if let Some(b'+' | b'-') = at(pos) {
            pos += 1;
        }
        if !matches!(at(pos), Some(b'0'..=b'9')) {
            return Err(pos);
        }
        while let Some(b'0'..=b'9') = at(pos) {
            pos += 1;
        }
    }
    Ok(pos)
}

// ---------------------------------------------------------------------------------------------
// Writer

/// Appends the compact JSON text of `value`.
pub fn write_value(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => out.extend_from_slice(n.as_str().as_bytes()),
        Value::String(s) => write_str(s, out),
        Value::Array(items) => {
            out.push(b'[');
            for (idx, item) in items.iter().enumerate() {
                if idx > 0 {
                    out.push(b',');
                }
                write_value(item, out);
            }
            out.push(b']');
        }
        Value::Object(object) => write_object(object, out),
    }
}

pub fn write_object(object: &Object, out: &mut Vec<u8>) {
    out.push(b'{');
    for (idx, (name, value)) in object.members.iter().enumerate() {
        if idx > 0 {
            out.push(b',');
        }
        write_str(name, out);
        out.push(b':');
        write_value(value, out);
    }
    out.push(b'}');
}

/// Whether any of the 8 bytes in `word` is `"`, `\\` or a control character (< 0x20).
/// May say yes for a clean word (then the caller looks byte by byte), never no for a dirty one.
#[inline]
fn word_needs_attention(word: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let control = word.wrapping_sub(ONES * 0x20) & !word & HIGH;
    let q = word ^ (ONES * u64::from(b'"'));
    let quote = q.wrapping_sub(ONES) & !q & HIGH;
    let b = word ^ (ONES * u64::from(b'\\'));
    let backslash = b.wrapping_sub(ONES) & !b & HIGH;
    (control | quote | backslash) != 0
}

/// Offset of the first byte at or after `from` that is `"`, `\\` or a control character.
#[inline]
fn find_special(bytes: &[u8], from: usize) -> Option<usize> {
    let mut idx = from;
    while idx + 8 <= bytes.len() {
        let mut word = [0u8; 8];
        word.copy_from_slice(&bytes[idx..idx + 8]);
        if word_needs_attention(u64::from_le_bytes(word)) {
            break;
        }
        idx += 8;
    }
    bytes[idx..].iter().position(|&b| b == b'"' || b == b'\\' || b < 0x20).map(|p| idx + p)
}

/// Appends `s` as a JSON string literal (quotes included).
pub fn write_str(s: &str, out: &mut Vec<u8>) {
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let mut run_start = 0;
    while let Some(idx) = find_special(bytes, run_start) {
        out.extend_from_slice(&bytes[run_start..idx]);
        let b = bytes[idx];
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(b >> 4)]);
                out.push(HEX[usize::from(b & 0xf)]);
            }
        }
        run_start = idx + 1;
    }
    out.extend_from_slice(&bytes[run_start..]);
    out.push(b'"');
}

fn escaped_len(s: &str) -> usize {
    2 + s
        .bytes()
        .map(|b| match b {
            b'"' | b'\\' | b'\n' | b'\r' | b'\t' | 0x08 | 0x0c => 2,
            0x00..=0x1f => 6,
            _ => 1,
        })
        .sum::<usize>()
}

#[cfg(test)]
mod tests;
