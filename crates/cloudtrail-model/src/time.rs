//! `eventTime` text (`YYYY-MM-DDTHH:MM:SSZ`, UTC) to and from Unix seconds, without a
//! calendar dependency.

use std::fmt;

/// An instant parsed from CloudTrail's `eventTime` format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventTime {
    pub unix_seconds: i64,
    pub nanos: u32,
}

/// Why a text is not an `eventTime`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not a UTC timestamp like `2026-11-19T07:42:18Z`: {reason}")]
pub struct TimeError {
    pub text: String,
    pub reason: &'static str,
}

impl EventTime {
    /// Parses `YYYY-MM-DDTHH:MM:SSZ`, also accepting fractional seconds (`.123Z`).
    pub fn parse(text: &str) -> Result<EventTime, TimeError> {
        let err = |reason| TimeError { text: text.chars().take(64).collect(), reason };
        let b = text.as_bytes();
        if b.len() < 20 {
            return Err(err("too short"));
        }
        let num = |range: std::ops::Range<usize>| -> Option<u32> {
            let part = b.get(range)?;
            part.iter()
                .all(u8::is_ascii_digit)
                .then(|| part.iter().fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0')))
        };
        let separators =
            b[4] == b'-' && b[7] == b'-' && b[10] == b'T' && b[13] == b':' && b[16] == b':';
        if !separators {
            return Err(err("expected `YYYY-MM-DDTHH:MM:SS`"));
        }
        let (Some(year), Some(month), Some(day), Some(hour), Some(minute), Some(second)) =
            (num(0..4), num(5..7), num(8..10), num(11..13), num(14..16), num(17..19))
        else {
            return Err(err("expected digits"));
        };
        let mut nanos = 0u32;
        let mut pos = 19;
        if b[pos] == b'.' {
            pos += 1;
            let start = pos;
            while pos < b.len() && b[pos].is_ascii_digit() {
                pos += 1;
            }
            let n_digits = pos - start;
            if n_digits == 0 || n_digits > 9 {
                return Err(err("fractional seconds must have 1 to 9 digits"));
            }
            let frac = num(start..pos).unwrap_or(0);
            nanos = frac * 10u32.pow(9 - n_digits as u32);
        }
        if &b[pos..] != b"Z" {
            return Err(err("must end with `Z` (UTC)"));
        }
        if !(1..=12).contains(&month) {
            return Err(err("month out of range"));
        }
        if day == 0 || day > days_in_month(year as i64, month) {
            return Err(err("day out of range"));
        }
        if hour > 23 || minute > 59 || second > 59 {
            return Err(err("time of day out of range"));
        }
        let days = days_from_civil(year as i64, month, day);
        let unix_seconds =
            days * 86_400 + i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second);
        Ok(EventTime { unix_seconds, nanos })
    }

    pub fn from_unix_seconds(unix_seconds: i64) -> EventTime {
        EventTime { unix_seconds, nanos: 0 }
    }
}

impl fmt::Display for EventTime {
    /// Second precision, as CloudTrail writes it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (date, secs) = split_days(self.unix_seconds);
        let (y, m, d) = civil_from_days(date);
        write!(f, "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", secs / 3600, secs / 60 % 60, secs % 60)
    }
}

/// Formats Unix seconds as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn format_unix_seconds(unix_seconds: i64) -> String {
    EventTime::from_unix_seconds(unix_seconds).to_string()
}

/// Splits Unix seconds into (days since epoch, seconds into the day).
pub fn split_days(unix_seconds: i64) -> (i64, i64) {
    (unix_seconds.div_euclid(86_400), unix_seconds.rem_euclid(86_400))
}

/// (year, month, day) of a day number since 1970-01-01 (H. Hinnant's civil algorithm).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Day number since 1970-01-01 of a civil date.
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The number of days of `month` (1 to 12) in `year`.
pub fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_formats() {
        let t = EventTime::parse("2026-11-19T07:42:18Z").unwrap();
        assert_eq!(t.unix_seconds, 1_795_074_138);
        assert_eq!(t.to_string(), "2026-11-19T07:42:18Z");
        assert_eq!(EventTime::parse("2024-02-29T23:59:59.5Z").unwrap().nanos, 500_000_000);
        assert_eq!(format_unix_seconds(0), "1970-01-01T00:00:00Z");
    }

    #[test]
    fn rejects_bad_times() {
        for bad in [
            "2026-11-19 07:42:18Z",
            "2026-11-19T07:42:18",
            "2026-11-19T07:42:18+01:00",
            "2026-13-19T07:42:18Z",
            "2023-02-29T07:42:18Z",
            "2026-11-19T24:00:00Z",
            "2026-11-19T07:42:18.Z",
            "1.666275403e+12",
        ] {
            assert!(EventTime::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn civil_roundtrip() {
        for days in (-800_000..800_000).step_by(97) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }
}
