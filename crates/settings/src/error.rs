//! What can be wrong with a settings file: the file as a whole (size, syntax, version), or a
//! list of [`Problem`]s, each naming the key path it is about.

use std::fmt;

use crate::limits;

/// Why settings could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The text is larger than [`limits::SETTINGS_TEXT_BYTES_MAX`].
    #[error(
        "the settings text is {n_bytes} bytes; at most {} are allowed",
        limits::SETTINGS_TEXT_BYTES_MAX
    )]
    TooLarge {
        /// The size of the text.
        n_bytes: usize,
    },
    /// The text is not TOML. The message names line and column but never quotes the line, which
    /// could hold a secret.
    #[error("the settings are not valid TOML: {message}")]
    Syntax {
        /// `line L, column C: what is wrong`.
        message: String,
    },
    /// There is no top-level `version` key.
    #[error("`version` is missing; the settings file must start with `version = 1`")]
    VersionMissing,
    /// `version` is not the integer `1`.
    #[error("`version` = `{found}` is not supported; this OpenTrail reads `version = 1`")]
    VersionUnsupported {
        /// The value found, as TOML.
        found: String,
    },
    /// One or more keys are unknown, missing, mistyped, or break a rule.
    #[error("{}", Problems(.0))]
    Invalid(Vec<Problem>),
}

impl Error {
    /// The problems of an [`Error::Invalid`]; empty for the other variants.
    pub fn problems(&self) -> &[Problem] {
        match self {
            Error::Invalid(problems) => problems,
            _ => &[],
        }
    }
}

/// One thing wrong with one key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// Where: `users[2].access_keys[0].secret` (arrays indexed from 0).
    pub path: String,
    /// What kind of problem.
    pub kind: ProblemKind,
    /// The rest of the sentence after the path: `must be at least 40 characters`.
    pub message: String,
}

/// Kinds of [`Problem`], for callers that branch on them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProblemKind {
    /// A key the schema does not have (often a typo).
    UnknownKey,
    /// A required key is absent.
    MissingKey,
    /// A value of the wrong type or an unknown enum variant.
    WrongType,
    /// `${VAR}` could not be expanded.
    Interpolation,
    /// A value breaks a rule: a bound, a shape, a reference, uniqueness.
    Rule,
}

impl Problem {
    pub(crate) fn new(
        path: impl Into<String>,
        kind: ProblemKind,
        message: impl Into<String>,
    ) -> Problem {
        Problem { path: path.into(), kind, message: message.into() }
    }

    pub(crate) fn rule(path: impl Into<String>, message: impl Into<String>) -> Problem {
        Problem::new(path, ProblemKind::Rule, message)
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` {}", self.path, self.message)
    }
}

struct Problems<'a>(&'a [Problem]);

impl fmt::Display for Problems<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            [one] => write!(f, "{one}"),
            many => {
                write!(f, "{} problems in the settings", many.len())?;
                for problem in many {
                    write!(f, "; {problem}")?;
                }
                Ok(())
            }
        }
    }
}
