//! One log event prepared for matching: its text, and (if it is a JSON object) its parsed tape,
//! read once and shared by every pattern evaluated against it.

use std::borrow::Cow;

use crate::json::Tape;
use crate::limits;

/// A log event ready for [`crate::Pattern::matches_event`].
///
/// Build one per event with [`Event::parse`], or with an [`EventParser`] to reuse its buffers
/// from event to event.
#[derive(Debug, Clone)]
pub struct Event<'t> {
    text: &'t str,
    /// `None` if the text is not one JSON object (§6.1) or is too large.
    tape: Option<Cow<'t, Tape>>,
    oversized: bool,
}

impl<'t> Event<'t> {
    /// Reads `text` (one log message, e.g. a CloudTrail record as single-line JSON).
    pub fn parse(text: &'t str) -> Event<'t> {
        let mut tape = Tape::default();
        let mut stack = Vec::new();
        let oversized = text.len() > limits::EVENT_BYTES_MAX;
        let json = !oversized && looks_like_object(text) && tape.parse(text, &mut stack);
        Event { text, tape: json.then_some(Cow::Owned(tape)), oversized }
    }

    /// The message text.
    pub fn text(&self) -> &'t str {
        self.text
    }

    /// Whether the message is one JSON object, so that JSON patterns can match it.
    pub fn is_json_object(&self) -> bool {
        self.tape.is_some()
    }

    /// Whether the event exceeds [`limits::EVENT_BYTES_MAX`]; such events match no pattern.
    pub fn is_oversized(&self) -> bool {
        self.oversized
    }

    pub(crate) fn tape(&self) -> Option<&Tape> {
        self.tape.as_deref()
    }
}

/// Parses events into reused buffers: after the first few events, parsing allocates nothing.
#[derive(Debug, Default)]
pub struct EventParser {
    tape: Tape,
    stack: Vec<u32>,
}

impl EventParser {
    /// A parser with empty buffers; they grow to the largest event seen.
    pub fn new() -> EventParser {
        EventParser::default()
    }

    /// As [`Event::parse`], borrowing this parser's buffers until the event is dropped.
    pub fn parse<'a>(&'a mut self, text: &'a str) -> Event<'a> {
        let oversized = text.len() > limits::EVENT_BYTES_MAX;
        let json = !oversized && looks_like_object(text) && self.tape.parse(text, &mut self.stack);
        Event { text, tape: json.then_some(Cow::Borrowed(&self.tape)), oversized }
    }
}

/// A cheap pre-check that keeps plain-text messages away from the JSON reader.
fn looks_like_object(text: &str) -> bool {
    text.trim_start_matches([' ', '\t', '\r', '\n']).starts_with('{')
}
