//! Space-delimited patterns (§7): splitting a message into fields, binding fields to entries
//! (with at most one `...`, and the last entry absorbing the rest of the line when there is
//! none), checking each entry's conditions, and the extracted values of §7.4.

use std::ops::Range;

use crate::ast::{BoolExpr, Comparison, Entry};
use crate::eval::{Scalar, compare};
use crate::parse::is_ws;

/// One field of the message: its content (quotes or brackets removed) and where its raw text
/// starts (at the quote or bracket).
#[derive(Debug, Clone, Copy)]
struct Field {
    start: usize,
    end: usize,
    raw_start: usize,
}

/// What one entry is bound to: a span of the message, and the message fields it covers.
#[derive(Debug, Clone)]
pub(crate) struct Binding {
    pub(crate) entry: usize,
    pub(crate) span: Range<usize>,
    pub(crate) fields: Range<usize>,
}

/// §7.1: runs of whitespace separate fields; `"…"` and `[…]` are one field each, delimiters
/// removed; an unterminated one runs to the end of the message.
fn split(message: &str) -> Vec<Field> {
    let b = message.as_bytes();
    let mut fields = Vec::new();
    let mut pos = 0;
    loop {
        while b.get(pos).copied().is_some_and(is_ws) {
            pos += 1;
        }
        let Some(&first) = b.get(pos) else { break };
        let raw_start = pos;
        if matches!(first, b'"' | b'[') {
            let close = if first == b'"' { b'"' } else { b']' };
            let start = pos + 1;
            let end = b
                .get(start..)
                .and_then(|rest| rest.iter().position(|&c| c == close))
                .map_or(b.len(), |at| start + at);
            fields.push(Field { start, end, raw_start });
            pos = end + 1;
        } else {
            while b.get(pos).is_some_and(|&c| !is_ws(c)) {
                pos += 1;
            }
            fields.push(Field { start: raw_start, end: pos, raw_start });
        }
    }
    fields
}

/// Binds the message's fields to `entries` (§7.3) and checks every condition; `None` if the
/// message does not match.
pub(crate) fn bind(entries: &[Entry], message: &str) -> Option<Vec<Binding>> {
    let fields = split(message);
    let (k, m) = (entries.len(), fields.len());
    let mut bindings = Vec::with_capacity(k);
    let field = |entry: usize, idx: usize| -> Option<Binding> {
        let f = fields.get(idx)?;
        Some(Binding { entry, span: f.start..f.end, fields: idx..idx + 1 })
    };
    match entries.iter().position(|entry| matches!(entry, Entry::Ellipsis)) {
        None if k == 0 => {}
        None => {
            if m < k {
                return None;
            }
            for idx in 0..k - 1 {
                bindings.push(field(idx, idx)?);
            }
            if m == k {
                bindings.push(field(k - 1, k - 1)?);
            } else {
                // The last entry takes the rest of the line, delimiters kept.
                let start = fields.get(k - 1)?.raw_start;
                let end = message.trim_end_matches([' ', '\t', '\r', '\n']).len();
                bindings.push(Binding { entry: k - 1, span: start..end, fields: k - 1..m });
            }
        }
        Some(ellipsis) => {
            if m + 1 < k {
                return None;
            }
            let n_after = k - 1 - ellipsis;
            for idx in 0..ellipsis {
                bindings.push(field(idx, idx)?);
            }
            let middle = ellipsis..m - n_after;
            bindings.push(Binding { entry: ellipsis, span: 0..0, fields: middle });
            for offset in 0..n_after {
                bindings.push(field(ellipsis + 1 + offset, m - n_after + offset)?);
            }
        }
    }
    for binding in &bindings {
        if let Some(Entry::Field { condition: Some(condition), .. }) = entries.get(binding.entry) {
            let text = message.get(binding.span.clone())?;
            if !holds(condition, text) {
                return None;
            }
        }
    }
    Some(bindings)
}

fn holds(expr: &BoolExpr<Comparison>, text: &str) -> bool {
    match expr {
        BoolExpr::Or(operands) => operands.iter().any(|operand| holds(operand, text)),
        BoolExpr::And(operands) => operands.iter().all(|operand| holds(operand, text)),
        BoolExpr::Leaf(comparison) => compare(comparison, &Scalar::Text(text.into())),
    }
}

/// §7.4: `$name` for named entries, `$N` for each field taken by `...` or an empty entry, in
/// message order.
pub(crate) fn extracted_values(
    entries: &[Entry],
    message: &str,
    bindings: &[Binding],
) -> Vec<(String, String)> {
    let fields = split(message);
    let mut values = Vec::new();
    for binding in bindings {
        match entries.get(binding.entry) {
            Some(Entry::Field { name, .. }) => {
                let text = message.get(binding.span.clone()).unwrap_or_default();
                values.push((format!("${name}"), text.to_owned()));
            }
            Some(Entry::Ellipsis | Entry::Unnamed) => {
                for idx in binding.fields.clone() {
                    let Some(f) = fields.get(idx) else { continue };
                    let text = message.get(f.start..f.end).unwrap_or_default();
                    values.push((format!("${}", idx + 1), text.to_owned()));
                }
            }
            None => {}
        }
    }
    values
}
