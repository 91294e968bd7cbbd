//! A cheap look at a native ingest body's shape, byte by byte as it arrives (also while gzip
//! decodes it): whether it is one JSON object, and where the elements of its `Records` array
//! (the first member of that name, as `json::Object::get` finds it) begin and end — counted
//! without building a single JSON value, so `{"Records":[0,0,…]}` is refused at the limit's
//! first excess element, not after tens of millions of values were built.
//!
//! It is not a JSON parser nor a validator: it follows strings, escapes and nesting only. Each
//! element is parsed on its own afterwards, and a body it misjudges is still only bytes that
//! the record parser rejects.

use std::ops::Range;

use cloudtrail_model::json::{self, Value};

/// More elements in `Records` than the caller allows.
#[derive(Debug)]
pub(crate) struct TooMany;

/// What a scan found.
#[derive(Debug)]
pub(crate) enum Shape {
    /// Not a single JSON object (NDJSON, or bytes that are not JSON).
    NotOneObject,
    /// One object without a `Records` member.
    Object,
    /// One object whose first `Records` member is not an array.
    RecordsNotArray,
    /// One object whose first `Records` member is an array of these elements (byte ranges of
    /// the scanned bytes, surrounding whitespace excluded).
    Records(Vec<Range<usize>>),
}

/// The longest key text kept to compare with `Records` (its every letter escaped as `\uXXXX`
/// is 42 bytes).
const KEY_BYTES_MAX: usize = 48;

/// The scanner's state between chunks.
pub(crate) struct RecordsScan {
    /// At most this many elements are allowed.
    elements_max: usize,
    /// Whether element ranges are kept (whole bodies) or only counted (streams).
    locate: bool,
    offset: usize,
    depth: usize,
    in_string: bool,
    escaped: bool,
    /// Anything but whitespace seen yet.
    started: bool,
    /// The first byte was not `{`, or something followed the object's end.
    not_one_object: bool,
    /// The top-level object closed.
    closed: bool,
    /// At depth 1, the next string is a member name.
    expect_key: bool,
    in_key: bool,
    key: [u8; KEY_BYTES_MAX],
    key_len: usize,
    key_overflow: bool,
    /// The member being read is the first `Records`, its value not begun.
    records_value_next: bool,
    records_seen: bool,
    records_not_array: bool,
    /// Inside the `Records` array (its elements are at depth 2).
    in_records: bool,
    records_closed: bool,
    element_start: Option<usize>,
    /// The last non-whitespace byte of the current element.
    element_last: usize,
    elements: usize,
    ranges: Vec<Range<usize>>,
}

impl RecordsScan {
    /// A scan that only counts `Records` elements (for a stream being decoded).
    pub(crate) fn counting(elements_max: usize) -> RecordsScan {
        RecordsScan::new(elements_max, false)
    }

    /// A scan that also keeps where each element is (for a whole body).
    pub(crate) fn locating(elements_max: usize) -> RecordsScan {
        RecordsScan::new(elements_max, true)
    }

    fn new(elements_max: usize, locate: bool) -> RecordsScan {
        RecordsScan {
            elements_max,
            locate,
            offset: 0,
            depth: 0,
            in_string: false,
            escaped: false,
            started: false,
            not_one_object: false,
            closed: false,
            expect_key: false,
            in_key: false,
            key: [0; KEY_BYTES_MAX],
            key_len: 0,
            key_overflow: false,
            records_value_next: false,
            records_seen: false,
            records_not_array: false,
            in_records: false,
            records_closed: false,
            element_start: None,
            element_last: 0,
            elements: 0,
            ranges: Vec::new(),
        }
    }

    /// Scans the next bytes; `Err` as soon as `Records` has more elements than allowed.
    pub(crate) fn feed(&mut self, bytes: &[u8]) -> Result<(), TooMany> {
        for &byte in bytes {
            let at = self.offset;
            self.offset += 1;
            if self.not_one_object {
                // Nothing more to learn: the body is not one object.
                continue;
            }
            if self.in_string {
                self.string_byte(byte, at);
                continue;
            }
            if matches!(byte, b' ' | b'\t' | b'\n' | b'\r') {
                continue;
            }
            if self.in_records && self.depth == 2 {
                match byte {
                    b',' => {
                        self.end_element();
                        continue;
                    }
                    b']' => {
                        self.end_element();
                        self.in_records = false;
                        self.records_closed = true;
                        self.depth = 1;
                        continue;
                    }
                    _ => self.start_element(at)?,
                }
            }
            if self.in_records && self.element_start.is_some() {
                self.element_last = at;
            }
            self.structural_byte(byte);
        }
        Ok(())
    }

    fn string_byte(&mut self, byte: u8, at: usize) {
        if self.in_records && self.element_start.is_some() {
            self.element_last = at;
        }
        if self.escaped {
            self.escaped = false;
        } else if byte == b'\\' {
            self.escaped = true;
        } else if byte == b'"' {
            self.in_string = false;
            if self.in_key {
                self.in_key = false;
                self.end_key();
            }
            return;
        }
        if self.in_key {
            if self.key_len < KEY_BYTES_MAX {
                self.key[self.key_len] = byte;
                self.key_len += 1;
            } else {
                self.key_overflow = true;
            }
        }
    }

    fn structural_byte(&mut self, byte: u8) {
        if self.depth == 0 {
            if self.started || byte != b'{' {
                self.not_one_object = true;
                return;
            }
            self.started = true;
            self.depth = 1;
            self.expect_key = true;
            return;
        }
        if self.depth == 1 && self.records_value_next {
            match byte {
                b':' => return,
                b'[' => {
                    self.records_value_next = false;
                    self.in_records = true;
                    self.depth = 2;
                    return;
                }
                _ => {
                    self.records_value_next = false;
                    self.records_not_array = true;
                }
            }
        }
        match byte {
            b'"' => {
                self.in_string = true;
                if self.depth == 1 && self.expect_key {
                    self.in_key = true;
                    self.key_len = 0;
                    self.key_overflow = false;
                }
            }
            b'{' | b'[' => self.depth = self.depth.saturating_add(1),
            b'}' | b']' => {
                self.depth -= 1;
                if self.depth < 2 {
                    self.in_records = false;
                }
                if self.depth == 0 {
                    self.closed = true;
                }
            }
            b':' if self.depth == 1 => self.expect_key = false,
            b',' if self.depth == 1 => self.expect_key = true,
            _ => {}
        }
    }

    fn end_key(&mut self) {
        if self.records_seen || self.key_overflow {
            return;
        }
        let key = &self.key[..self.key_len];
        let is_records = if key.contains(&b'\\') {
            let mut quoted = Vec::with_capacity(key.len() + 2);
            quoted.push(b'"');
            quoted.extend_from_slice(key);
            quoted.push(b'"');
            matches!(json::parse(&quoted), Ok(Value::String(name)) if name == "Records")
        } else {
            key == b"Records"
        };
        if is_records {
            self.records_seen = true;
            self.records_value_next = true;
        }
    }

    fn start_element(&mut self, at: usize) -> Result<(), TooMany> {
        if self.element_start.is_some() {
            return Ok(());
        }
        self.elements += 1;
        if self.elements > self.elements_max {
            return Err(TooMany);
        }
        self.element_start = Some(at);
        Ok(())
    }

    fn end_element(&mut self) {
        if let Some(start) = self.element_start.take()
            && self.locate
        {
            self.ranges.push(start..self.element_last + 1);
        }
    }

    /// What the bytes scanned were.
    pub(crate) fn finish(self) -> Shape {
        if self.not_one_object || !self.closed || self.in_string {
            return Shape::NotOneObject;
        }
        if self.records_not_array {
            return Shape::RecordsNotArray;
        }
        if self.records_closed {
            return Shape::Records(self.ranges);
        }
        Shape::Object
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(body: &str) -> String {
        let mut scan = RecordsScan::locating(3);
        match scan.feed(body.as_bytes()) {
            Err(TooMany) => "too many".to_owned(),
            Ok(()) => match scan.finish() {
                Shape::Records(ranges) => {
                    let parts: Vec<&str> = ranges.into_iter().map(|r| &body[r]).collect();
                    format!("records {parts:?}")
                }
                other => format!("{other:?}"),
            },
        }
    }

    #[test]
    fn finds_the_elements_of_the_first_records_member() {
        assert_eq!(
            shape(r#"{"Records": [ {"a":"],"} , [1,2] ,3 ]}"#),
            r#"records ["{\"a\":\"],\"}", "[1,2]", "3"]"#
        );
        assert_eq!(shape(r#"{"x":{"Records":[1]},"Records":[]}"#), "records []");
        assert_eq!(shape(r#"{"Rec\u006frds":["a\"]"]}"#), r#"records ["\"a\\\"]\""]"#);
        assert_eq!(shape(r#"{"Records":[1],"Records":5}"#), r#"records ["1"]"#);
        assert_eq!(shape(r#"{"Records":{"a":1}}"#), "RecordsNotArray");
        assert_eq!(shape(r#"{"eventName":"Records"}"#), "Object");
        assert_eq!(shape("{}\n{}"), "NotOneObject");
        assert_eq!(shape("[1]"), "NotOneObject");
        assert_eq!(shape(r#"{"Records":[1,2"#), "NotOneObject");
        assert_eq!(shape(r#"{"Records":[1,2,3,4]}"#), "too many");
        assert_eq!(shape(r#"{"Records":[[1,2,3,4]]}"#), r#"records ["[1,2,3,4]"]"#);
    }

    #[test]
    fn counts_across_chunks_and_stops_at_the_first_excess_element() {
        let body = format!("{{\"Records\":[{}0]}}", "0,".repeat(1_000_000));
        let mut scan = RecordsScan::counting(10);
        let mut fed = 0;
        let refused = body.as_bytes().chunks(7).any(|chunk| {
            fed += chunk.len();
            scan.feed(chunk).is_err()
        });
        assert!(refused);
        assert!(fed < 64, "stopped after {fed} bytes");
    }
}
