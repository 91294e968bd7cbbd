//! Event ids: the GUIDs CloudTrail assigns to every record, and the rule for ids accepted
//! from producers.

use std::fmt;

use crate::limits;

/// A CloudTrail `eventID`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventId(String);

impl EventId {
    /// A lower-case RFC 4122 version-4 UUID made from 16 random bytes (the caller owns the
    /// randomness, so seeded generators stay deterministic).
    pub fn from_random_bytes(mut bytes: [u8; 16]) -> EventId {
        bytes[6] = (bytes[6] & 0x0f) | 0x40;
        bytes[8] = (bytes[8] & 0x3f) | 0x80;
        EventId(format_uuid(&bytes))
    }

    /// Accepts an id produced elsewhere if it passes [`is_valid_event_id`].
    pub fn parse(text: &str) -> Option<EventId> {
        is_valid_event_id(text).then(|| EventId(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Formats 16 bytes as `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`.
pub fn format_uuid(bytes: &[u8; 16]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(36);
    for (idx, b) in bytes.iter().enumerate() {
        if matches!(idx, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        out.push(HEX[usize::from(b >> 4)] as char);
        out.push(HEX[usize::from(b & 0xf)] as char);
    }
    out
}

/// 1 to 128 characters of `[-_A-Za-z0-9]` (the CloudTrail Data API's `Uuid` shape).
pub fn is_valid_event_id(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= limits::EVENT_ID_CHARS_MAX
        && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_v4_shape() {
        let id = EventId::from_random_bytes([0xff; 16]);
        assert_eq!(id.as_str(), "ffffffff-ffff-4fff-bfff-ffffffffffff");
        assert!(is_valid_event_id(id.as_str()));
        assert!(!is_valid_event_id("has space"));
        assert!(!is_valid_event_id(""));
        assert!(!is_valid_event_id(&"a".repeat(129)));
    }
}
