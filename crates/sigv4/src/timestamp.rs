//! Request timestamps: the ISO 8601 basic format of `X-Amz-Date` (`20261120T214550Z`), HTTP
//! `Date` headers, and their conversion to and from Unix seconds.
//!
//! Civil-date arithmetic is `cloudtrail_model::time`'s (proleptic Gregorian calendar, UTC, no
//! leap seconds), so no date library is needed.

use std::time::{SystemTime, UNIX_EPOCH};

use cloudtrail_model::time;

const SECS_PER_DAY: i64 = 86_400;

/// Seconds since the Unix epoch, negative before it, saturating at the `i64` range.
pub(crate) fn unix_seconds(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
        Err(before) => i64::try_from(before.duration().as_secs()).map_or(i64::MIN, |secs| -secs),
    }
}

/// Parses exactly `YYYYMMDD'T'HHMMSS'Z'`.
pub(crate) fn parse_amz_date(text: &str) -> Option<i64> {
    let bytes = text.as_bytes();
    if bytes.len() != 16 || bytes[8] != b'T' || bytes[15] != b'Z' {
        return None;
    }
    let year = digits(&bytes[0..4])?;
    let month = digits(&bytes[4..6])?;
    let day = digits(&bytes[6..8])?;
    let hour = digits(&bytes[9..11])?;
    let minute = digits(&bytes[11..13])?;
    let second = digits(&bytes[13..15])?;
    civil_to_unix(year, month, day, hour, minute, second)
}

/// Parses an HTTP `Date` header: the ISO 8601 basic format, or the RFC 7231 / RFC 2822 form
/// `[Fri, ]20 Nov 2026 21:45:50 GMT` with zone `GMT`, `UT`, `UTC`, `Z` or `±HHMM`
/// (botocore writes `-0000`).
pub(crate) fn parse_http_date(text: &str) -> Option<i64> {
    if let Some(unix) = parse_amz_date(text) {
        return Some(unix);
    }
    let mut tokens = text.split_ascii_whitespace().peekable();
    if let Some(weekday) = tokens.next_if(|token| token.ends_with(',')) {
        let name = &weekday[..weekday.len() - 1];
        if name.is_empty() || !name.bytes().all(|byte| byte.is_ascii_alphabetic()) {
            return None;
        }
    }
    let day_token = tokens.next()?;
    let month_token = tokens.next()?;
    let year_token = tokens.next()?;
    let time_token = tokens.next()?;
    let zone_token = tokens.next()?;
    if tokens.next().is_some() || day_token.len() > 2 || year_token.len() != 4 {
        return None;
    }
    let day = digits(day_token.as_bytes())?;
    let month = month_number(month_token)?;
    let year = digits(year_token.as_bytes())?;
    let time = time_token.as_bytes();
    if time.len() != 8 || time[2] != b':' || time[5] != b':' {
        return None;
    }
    let hour = digits(&time[0..2])?;
    let minute = digits(&time[3..5])?;
    let second = digits(&time[6..8])?;
    let local = civil_to_unix(year, month, day, hour, minute, second)?;
    Some(local - zone_offset_seconds(zone_token)?)
}

/// Formats Unix seconds as `YYYYMMDD'T'HHMMSS'Z'`.
pub(crate) fn format_amz_date(unix: i64) -> String {
    let days = unix.div_euclid(SECS_PER_DAY);
    let secs_of_day = unix.rem_euclid(SECS_PER_DAY);
    let (year, month, day) = time::civil_from_days(days);
    format!(
        "{year:04}{month:02}{day:02}T{:02}{:02}{:02}Z",
        secs_of_day / 3600,
        secs_of_day / 60 % 60,
        secs_of_day % 60
    )
}

fn civil_to_unix(
    year: i64,
    month: i64,
    day: i64,
    hour: i64,
    minute: i64,
    second: i64,
) -> Option<i64> {
    let month = u32::try_from(month).ok().filter(|month| (1..=12).contains(month))?;
    let valid = (1..=i64::from(time::days_in_month(year, month))).contains(&day)
        && hour < 24
        && minute < 60
        && second < 60;
    if !valid {
        return None;
    }
    let day = day as u32;
    Some(
        time::days_from_civil(year, month, day) * SECS_PER_DAY + hour * 3600 + minute * 60 + second,
    )
}

fn digits(bytes: &[u8]) -> Option<i64> {
    if bytes.is_empty() {
        return None;
    }
    bytes.iter().try_fold(0_i64, |acc, &byte| {
        byte.is_ascii_digit().then(|| acc * 10 + i64::from(byte - b'0'))
    })
}

fn month_number(name: &str) -> Option<i64> {
    const MONTHS: [&str; 12] =
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let month_idx = MONTHS.iter().position(|month| month.eq_ignore_ascii_case(name))?;
    i64::try_from(month_idx + 1).ok()
}

fn zone_offset_seconds(zone: &str) -> Option<i64> {
    if ["GMT", "UT", "UTC", "Z"].contains(&zone) {
        return Some(0);
    }
    let bytes = zone.as_bytes();
    if bytes.len() != 5 {
        return None;
    }
    let sign = match bytes[0] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let hours = digits(&bytes[1..3])?;
    let minutes = digits(&bytes[3..5])?;
    if minutes >= 60 {
        return None;
    }
    Some(sign * (hours * 3600 + minutes * 60))
}
