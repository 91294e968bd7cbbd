//! Text conventions of CloudWatch and SNS output: numbers as Java prints doubles (`1.0`,
//! `83.33`, `1.0E7`), UTC times in the three layouts the payloads use, and a minimal JSON
//! writer (this crate has no serde; the payloads are few and their member order is fixed).

use std::fmt::Write as _;

/// A double as Java's `Double.toString` prints it (JDK 19 and later: shortest round-trip
/// digits): at least one fractional digit, scientific notation (`1.0E7`, `1.0E-4`) outside
/// 10^-3 ≤ |v| < 10^7. CloudWatch is a Java service; its reasons and JSON print numbers so.
pub(crate) fn java_double(value: f64) -> String {
    if value.is_nan() {
        return "NaN".to_owned();
    }
    if value.is_infinite() {
        return if value > 0.0 { "Infinity" } else { "-Infinity" }.to_owned();
    }
    let sign = if value.is_sign_negative() { "-" } else { "" };
    let magnitude = value.abs();
    if magnitude == 0.0 {
        return format!("{sign}0.0");
    }
    // Rust's `{:e}` prints the shortest digits that round-trip: `1.2345e-5`, `1e7`.
    let scientific = format!("{magnitude:e}");
    let Some((mantissa, exponent)) = scientific.split_once('e') else {
        return value.to_string();
    };
    let Ok(exponent) = exponent.parse::<i32>() else {
        return value.to_string();
    };
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    if (1e-3..1e7).contains(&magnitude) {
        let (integer, fraction) = if exponent >= 0 {
            let integer_len = exponent as usize + 1;
            if digits.len() <= integer_len {
                (format!("{digits:0<integer_len$}"), "0".to_owned())
            } else {
                (digits[..integer_len].to_owned(), digits[integer_len..].to_owned())
            }
        } else {
            let zeros = "0".repeat((-exponent - 1) as usize);
            ("0".to_owned(), format!("{zeros}{digits}"))
        };
        format!("{sign}{integer}.{fraction}")
    } else {
        let (first, rest) = digits.split_at(digits.len().min(1));
        let fraction = if rest.is_empty() { "0" } else { rest };
        format!("{sign}{first}.{fraction}E{exponent}")
    }
}

/// A UTC time broken into fields.
struct Civil {
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    millisecond: u32,
}

/// Breaks Unix milliseconds into a proleptic Gregorian UTC date and time. Total for every
/// `i64`.
fn civil(time_ms: i64) -> Civil {
    let days = time_ms.div_euclid(86_400_000);
    let in_day = time_ms.rem_euclid(86_400_000);
    let (year, month, day) = cloudtrail_model::time::civil_from_days(days);
    Civil {
        year,
        month,
        day,
        hour: (in_day / 3_600_000) as u32,
        minute: (in_day / 60_000 % 60) as u32,
        second: (in_day / 1000 % 60) as u32,
        millisecond: (in_day % 1000) as u32,
    }
}

/// `2024-05-01T12:06:00.412+0000`: CloudWatch's timestamps in alarm messages and
/// `StateReasonData` (§6, §8).
pub(crate) fn cloudwatch_time(time_ms: i64) -> String {
    let c = civil(time_ms);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}+0000",
        c.year, c.month, c.day, c.hour, c.minute, c.second, c.millisecond
    )
}

/// `2012-05-02T00:54:06.655Z`: SNS envelope timestamps (§9.3).
pub(crate) fn iso_time(time_ms: i64) -> String {
    let c = civil(time_ms);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        c.year, c.month, c.day, c.hour, c.minute, c.second, c.millisecond
    )
}

/// `01/05/24 12:01:00` (dd/MM/yy HH:mm:ss): datapoint times inside a `StateReason` (§6).
pub(crate) fn reason_time(time_ms: i64) -> String {
    let c = civil(time_ms);
    format!(
        "{:02}/{:02}/{:02} {:02}:{:02}:{:02}",
        c.day,
        c.month,
        c.year.rem_euclid(100),
        c.hour,
        c.minute,
        c.second
    )
}

/// `2024-05-01 12:06:00 UTC`: times in human-facing chat messages.
pub(crate) fn human_time(time_ms: i64) -> String {
    let c = civil(time_ms);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
        c.year, c.month, c.day, c.hour, c.minute, c.second
    )
}

/// The plural suffix for `count`.
pub(crate) fn plural(count: u64) -> &'static str {
    if count == 1 { "" } else { "s" }
}

/// Appends `text` as a JSON string literal.
pub(crate) fn push_json_string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if u32::from(c) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Appends a double as a JSON number in Java's spelling; JSON has no NaN or infinity, so those
/// become `null` (they cannot arise from validated inputs).
pub(crate) fn push_json_double(out: &mut String, value: f64) {
    if value.is_finite() {
        out.push_str(&java_double(value));
    } else {
        out.push_str("null");
    }
}

/// A JSON object or array under construction, written in member order.
pub(crate) struct JsonWriter {
    out: String,
    /// Per open container: whether a member has been written (a comma is due).
    open: Vec<bool>,
}

impl JsonWriter {
    pub(crate) fn new() -> JsonWriter {
        JsonWriter { out: String::new(), open: Vec::new() }
    }

    fn separate(&mut self) {
        if let Some(has_member) = self.open.last_mut() {
            if *has_member {
                self.out.push(',');
            }
            *has_member = true;
        }
    }

    fn key(&mut self, key: &str) {
        self.separate();
        push_json_string(&mut self.out, key);
        self.out.push(':');
    }

    /// Opens an object, as a value (array element or top level) when `key` is `None`.
    pub(crate) fn begin_object(&mut self, key: Option<&str>) {
        match key {
            Some(key) => self.key(key),
            None => self.separate(),
        }
        self.out.push('{');
        self.open.push(false);
    }

    pub(crate) fn end_object(&mut self) {
        self.open.pop();
        self.out.push('}');
    }

    pub(crate) fn begin_array(&mut self, key: &str) {
        self.key(key);
        self.out.push('[');
        self.open.push(false);
    }

    pub(crate) fn end_array(&mut self) {
        self.open.pop();
        self.out.push(']');
    }

    pub(crate) fn string(&mut self, key: &str, value: &str) {
        self.key(key);
        push_json_string(&mut self.out, value);
    }

    pub(crate) fn optional_string(&mut self, key: &str, value: Option<&str>) {
        match value {
            Some(value) => self.string(key, value),
            None => {
                self.key(key);
                self.out.push_str("null");
            }
        }
    }

    pub(crate) fn integer(&mut self, key: &str, value: u64) {
        self.key(key);
        let _ = write!(self.out, "{value}");
    }

    pub(crate) fn double(&mut self, key: &str, value: f64) {
        self.key(key);
        push_json_double(&mut self.out, value);
    }

    /// An array element.
    pub(crate) fn element_string(&mut self, value: &str) {
        self.separate();
        push_json_string(&mut self.out, value);
    }

    /// An array element.
    pub(crate) fn element_double(&mut self, value: f64) {
        self.separate();
        push_json_double(&mut self.out, value);
    }

    pub(crate) fn string_array(&mut self, key: &str, values: &[String]) {
        self.begin_array(key);
        for value in values {
            self.element_string(value);
        }
        self.end_array();
    }

    pub(crate) fn finish(self) -> String {
        debug_assert!(self.open.is_empty(), "unclosed JSON container");
        self.out
    }
}
