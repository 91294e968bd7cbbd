//! The WAL payload format: a small binary header (kind, ingestion time, deduplication key,
//! event id, channel) followed by the stored record's JSON, so consumers and deduplication can
//! read the header without parsing the record.
//!
//! Layout, little-endian (version 1):
//!
//! ```text
//! u8  version (1)        u8  kind             i64 ingested_at (Unix milliseconds)
//! u16 key length         key bytes (UTF-8)    (empty: the record may not be deduplicated)
//! u16 event-id length    event-id bytes (UTF-8)
//! u16 channel length     channel ARN bytes (UTF-8; empty unless kind = audit event)
//! ... record JSON bytes to the end of the payload
//! ```
//!
//! A shipped version is never changed; a new layout gets a new version byte.

/// Layout version written by this build.
pub const VERSION: u8 = 1;

/// What a WAL payload carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A CloudTrail record received on the native ingest endpoint.
    CloudTrailRecord,
    /// A CloudTrail Lake integration event received through PutAuditEvents.
    AuditEvent,
    /// A record of one of OpenTrail's own API calls.
    SelfAudit,
}

impl Kind {
    fn to_byte(self) -> u8 {
        match self {
            Kind::CloudTrailRecord => 1,
            Kind::AuditEvent => 2,
            Kind::SelfAudit => 3,
        }
    }

    fn from_byte(b: u8) -> Option<Kind> {
        match b {
            1 => Some(Kind::CloudTrailRecord),
            2 => Some(Kind::AuditEvent),
            3 => Some(Kind::SelfAudit),
            _ => None,
        }
    }
}

/// A decoded payload, borrowing from the WAL bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Envelope<'a> {
    pub kind: Kind,
    pub ingested_at_ms: i64,
    pub dedup_key: &'a str,
    pub event_id: &'a str,
    pub channel_arn: &'a str,
    pub record: &'a [u8],
}

/// Why a payload is not an envelope.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid WAL envelope at byte {offset}: {reason}")]
pub struct DecodeError {
    pub offset: usize,
    pub reason: &'static str,
}

impl<'a> Envelope<'a> {
    /// Appends the encoded envelope to `out`. Strings longer than `u16::MAX` bytes are a
    /// caller bug (every caller bounds them far lower).
    pub fn encode(&self, out: &mut Vec<u8>) {
        assert!(self.dedup_key.len() <= usize::from(u16::MAX), "dedup key too long");
        assert!(self.event_id.len() <= usize::from(u16::MAX), "event id too long");
        assert!(self.channel_arn.len() <= usize::from(u16::MAX), "channel ARN too long");
        out.reserve(
            17 + self.dedup_key.len()
                + self.event_id.len()
                + self.channel_arn.len()
                + self.record.len(),
        );
        out.push(VERSION);
        out.push(self.kind.to_byte());
        out.extend_from_slice(&self.ingested_at_ms.to_le_bytes());
        for text in [self.dedup_key, self.event_id, self.channel_arn] {
            out.extend_from_slice(&(text.len() as u16).to_le_bytes());
            out.extend_from_slice(text.as_bytes());
        }
        out.extend_from_slice(self.record);
    }

    pub fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode(&mut out);
        out
    }

    /// Decodes a payload; never panics on any bytes.
    pub fn decode(bytes: &'a [u8]) -> Result<Envelope<'a>, DecodeError> {
        let mut pos = 0usize;
        let err = |offset, reason| DecodeError { offset, reason };
        let version = *bytes.first().ok_or(err(0, "empty payload"))?;
        if version != VERSION {
            return Err(err(0, "unknown envelope version"));
        }
        let kind = bytes.get(1).copied().and_then(Kind::from_byte).ok_or(err(1, "unknown kind"))?;
        pos += 2;
        let time: [u8; 8] = bytes
            .get(pos..pos + 8)
            .and_then(|s| s.try_into().ok())
            .ok_or(err(pos, "truncated time"))?;
        let ingested_at_ms = i64::from_le_bytes(time);
        pos += 8;
        let mut texts = [""; 3];
        for text in &mut texts {
            let len: [u8; 2] = bytes
                .get(pos..pos + 2)
                .and_then(|s| s.try_into().ok())
                .ok_or(err(pos, "truncated length"))?;
            pos += 2;
            let len = usize::from(u16::from_le_bytes(len));
            let raw = bytes.get(pos..pos + len).ok_or(err(pos, "truncated text"))?;
            *text = std::str::from_utf8(raw).map_err(|_| err(pos, "text is not UTF-8"))?;
            pos += len;
        }
        Ok(Envelope {
            kind,
            ingested_at_ms,
            dedup_key: texts[0],
            event_id: texts[1],
            channel_arn: texts[2],
            record: &bytes[pos..],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip() {
        let envelope = Envelope {
            kind: Kind::AuditEvent,
            ingested_at_ms: 1_795_074_138_123,
            dedup_key: "p:chan:id-1",
            event_id: "3f1e9d7a-8c3b-4e55-a7d2-0b8e6f4a9c10",
            channel_arn: "arn:aws:cloudtrail:us-east-1:123456789012:channel/x",
            record: br#"{"a":1}"#,
        };
        let bytes = envelope.to_vec();
        assert_eq!(Envelope::decode(&bytes).unwrap(), envelope);
        for cut in 0..bytes.len() - 7 {
            assert!(Envelope::decode(&bytes[..cut]).is_err(), "cut at {cut}");
        }
    }

    #[test]
    fn garbage_never_panics() {
        let mut state = 0x1234_5678_9abc_def0u64;
        for len in 0..200 {
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    state as u8
                })
                .collect();
            let _ = Envelope::decode(&bytes);
        }
    }
}
