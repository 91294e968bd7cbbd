//! The crate's one error type. Configuration errors name the API field and the rule it broke
//! (`alarms.md` §2); the rest are about times and observations handed in by the caller. All
//! wording lives in the `#[error]` attributes and in the messages built by `config`.

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why an alarm definition, an observation or a call was rejected.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A parameter breaks a rule of §2, e.g.
    /// "`Period` = 45 must be 10, 20, 30 or a multiple of 60".
    #[error("{message}")]
    InvalidParameter {
        /// How AWS classifies the problem; see [`ParameterErrorKind::aws_code`].
        kind: ParameterErrorKind,
        /// The API field at fault (`Period`, `AlarmActions`, …).
        field: &'static str,
        /// The whole sentence, naming the field and the limit.
        message: String,
    },
    /// A time outside 1970-01-01 … 9999-12-31 (see [`crate::limits::TIME_MS_MAX`]).
    #[error("time {time_ms} ms is outside 1970-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z")]
    TimeOutOfRange { time_ms: i64 },
    /// An observed value that is not finite or exceeds ±2^360 (CloudWatch rejects both).
    #[error("observed value `{value}` must be finite and within ±2^360")]
    ValueOutOfRange { value: f64 },
    /// An observation older than anything an evaluation can still use.
    #[error(
        "observation at {timestamp_ms} ms is older than the series keeps (from {horizon_ms} ms)"
    )]
    ObservationTooOld { timestamp_ms: i64, horizon_ms: i64 },
    /// An observation too far after `now` (more than [`crate::limits::FUTURE_TOLERANCE_MS`]).
    #[error("observation at {timestamp_ms} ms is more than two hours after now ({now_ms} ms)")]
    ObservationInFuture { timestamp_ms: i64, now_ms: i64 },
    /// The series handed to an evaluation cannot answer the alarm's questions; rebuild it with
    /// [`crate::Series::for_alarm`].
    #[error("the series cannot serve alarm `{alarm_name}`: {problem}")]
    SeriesMismatch { alarm_name: String, problem: &'static str },
}

/// The AWS error family of an [`Error::InvalidParameter`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParameterErrorKind {
    /// A value is malformed or out of bounds.
    InvalidValue,
    /// Two parameters cannot go together.
    InvalidCombination,
    /// A required parameter is absent.
    Missing,
}

impl ParameterErrorKind {
    /// The AWS error code (`__type`) for the API boundary.
    pub fn aws_code(self) -> &'static str {
        match self {
            ParameterErrorKind::InvalidValue => "InvalidParameterValue",
            ParameterErrorKind::InvalidCombination => "InvalidParameterCombination",
            ParameterErrorKind::Missing => "MissingParameter",
        }
    }
}

impl Error {
    pub(crate) fn invalid(field: &'static str, message: String) -> Error {
        Error::InvalidParameter { kind: ParameterErrorKind::InvalidValue, field, message }
    }

    pub(crate) fn combination(field: &'static str, message: String) -> Error {
        Error::InvalidParameter { kind: ParameterErrorKind::InvalidCombination, field, message }
    }

    pub(crate) fn missing(field: &'static str, message: String) -> Error {
        Error::InvalidParameter { kind: ParameterErrorKind::Missing, field, message }
    }
}

/// Checks that `time_ms` is within the supported range.
pub(crate) fn check_time(time_ms: i64) -> Result<()> {
    if (0..=crate::limits::TIME_MS_MAX).contains(&time_ms) {
        Ok(())
    } else {
        Err(Error::TimeOutOfRange { time_ms })
    }
}
