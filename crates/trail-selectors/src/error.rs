//! What a rejected PutEventSelectors request answers with (an AWS error code and a message), and
//! why stored selectors could not be loaded.

use cloudtrail_model::json::ParseError;

use crate::limits;

/// AWS error code for selectors that break a rule (documented for PutEventSelectors).
pub const INVALID_EVENT_SELECTORS: &str = "InvalidEventSelectorsException";

/// AWS error code for a request member of the wrong JSON type. Not in the CloudTrail model;
/// the usual AWS JSON-protocol answer (believed, cloudtrail-api.md §2.1).
pub const SERIALIZATION: &str = "SerializationException";

/// A PutEventSelectors request that AWS would reject: `code` is the `__type` to answer with
/// (HTTP 400), `message` names the offending member by its JSON path, e.g.
/// `EventSelectors[0].DataResources[1].Values[2]`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SelectorError {
    pub code: &'static str,
    pub message: String,
}

impl SelectorError {
    pub(crate) fn invalid(message: impl Into<String>) -> SelectorError {
        SelectorError { code: INVALID_EVENT_SELECTORS, message: message.into() }
    }

    pub(crate) fn mistyped(path: &str, expected: &str, found: &'static str) -> SelectorError {
        SelectorError {
            code: SERIALIZATION,
            message: format!("`{path}` must be {expected}, found {found}"),
        }
    }

    /// The HTTP status AWS uses for every modelled CloudTrail exception.
    pub fn http_status(&self) -> u16 {
        400
    }
}

/// Why the storage text of selectors could not be loaded. Stored text is written by
/// [`crate::Selectors::to_storage`] only, so any of these means corruption or a newer writer.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StorageError {
    #[error("stored event selectors are not JSON: {0}")]
    Json(#[from] ParseError),
    #[error("stored event selectors have version `{found}`, expected `{expected}`")]
    Version { found: String, expected: u64 },
    #[error("stored event selectors are malformed: {0}")]
    Malformed(String),
}

/// `value` for quoting in a message: cut to [`limits::MESSAGE_VALUE_CHARS_MAX`] characters.
pub(crate) fn shown(value: &str) -> String {
    match value.char_indices().nth(limits::MESSAGE_VALUE_CHARS_MAX) {
        None => value.to_owned(),
        Some((cut, _)) => format!("{}…", &value[..cut]),
    }
}

/// `items` as `` `a`, `b` or `c` `` for messages.
pub(crate) fn one_of(items: &[&str]) -> String {
    let quoted: Vec<String> = items.iter().map(|item| format!("`{item}`")).collect();
    match quoted.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}
