//! Number literals of the pattern language (§3):
//! `[+-]? ( digits ( "." digits? )? | "." digits ) ( [eE] [+-]? digits )?`.
//! The same grammar decides whether a JSON string or a space-delimited field is "numeric"
//! (rule N2 of §6.4).

use std::fmt;

/// A number literal: its text as written (for printing) and its value (for comparing).
#[derive(Debug, Clone)]
pub struct Number {
    text: String,
    value: f64,
}

impl Number {
    /// The literal if `text` is exactly a number per §3, else `None`.
    pub fn parse(text: &str) -> Option<Number> {
        let value = numeric_value(text)?;
        Some(Number { text: text.to_owned(), value })
    }

    /// The literal as written, e.g. `+1000` or `1e-3`.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The value; huge exponents give ±infinity, which still compares sensibly.
    pub fn value(&self) -> f64 {
        self.value
    }
}

/// Literals are equal when spelled the same (`1e3` and `1000` print differently).
impl PartialEq for Number {
    fn eq(&self, other: &Number) -> bool {
        self.text == other.text
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// The value of `text` if it matches the number grammar exactly.
pub(crate) fn numeric_value(text: &str) -> Option<f64> {
    if !is_number(text.as_bytes()) {
        return None;
    }
    // The grammar is a subset of what `f64::from_str` accepts.
    text.parse().ok()
}

/// Whether `text` matches the number grammar exactly.
pub(crate) fn is_number(text: &[u8]) -> bool {
    let mut pos = 0;
    if let Some(b'+' | b'-') = text.first() {
        pos += 1;
    }
    let int_digits = count_digits(text, pos);
    pos += int_digits;
    let mut frac_digits = 0;
    if text.get(pos) == Some(&b'.') {
        pos += 1;
        frac_digits = count_digits(text, pos);
        pos += frac_digits;
    }
    if int_digits == 0 && frac_digits == 0 {
        return false;
    }
    if let Some(b'e' | b'E') = text.get(pos) {
        pos += 1;
        if let Some(b'+' | b'-') = text.get(pos) {
            pos += 1;
        }
        let exp_digits = count_digits(text, pos);
        if exp_digits == 0 {
            return false;
        }
        pos += exp_digits;
    }
    pos == text.len()
}

fn count_digits(text: &[u8], from: usize) -> usize {
    text.get(from..).map_or(0, |rest| rest.iter().take_while(|b| b.is_ascii_digit()).count())
}
