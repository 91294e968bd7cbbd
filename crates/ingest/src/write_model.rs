//! The write model: the WAL item — envelope and deduplication key — of each kind of event
//! OpenTrail stores, built in one place so the key schemes cannot drift apart:
//!
//! - a CloudTrail record from the native endpoint ([`native_record`]): deduplicated by
//!   `n:<recipientAccountId>:<eventID>` when the producer chose the `eventID`;
//! - an integration event sent with PutAuditEvents ([`audit_event`]): deduplicated by
//!   `p:<channel id>:<producer's id>`;
//! - the self-audit record of an API call ([`self_audit`]): never deduplicated.
//!
//! It is not the building of the records themselves (`cloudtrail-model` does that).

use crate::{Envelope, Item, Kind};

/// A fresh id: a lower-case UUID v4, as CloudTrail's event ids (also request, channel and
/// message ids).
pub fn new_id() -> String {
    let mut bytes = [0u8; 16];
    if getrandom::fill(&mut bytes).is_err() {
        // Uniqueness, not secrecy, is what these ids need: if the OS random source fails, the
        // clock still gives an id unique enough for correlation.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        bytes = nanos.to_le_bytes();
    }
    cloudtrail_model::EventId::from_random_bytes(bytes).into_string()
}

/// A CloudTrail record received on the native endpoint, as stored (`record`), with its
/// `eventID` and `recipientAccountId`, sent by a principal of `submitter_account_id`.
/// `producer_event_id`: the producer sent the `eventID` (rather than OpenTrail filling it), so
/// a retry carries the same one and is recognised — by the same submitting account only: an
/// account writing another's events (an organization's management account, by policy) has
/// keys of its own, so it can never claim the eventIDs the recipient itself will send.
pub fn native_record(
    record: &[u8],
    event_id: String,
    recipient_account_id: &str,
    submitter_account_id: &str,
    producer_event_id: bool,
    ingested_at_ms: i64,
) -> Item {
    let dedup_key = match producer_event_id {
        false => String::new(),
        // The key records have had since the first release.
        true if submitter_account_id == recipient_account_id => {
            format!("n:{recipient_account_id}:{event_id}")
        }
        true => format!("n:{submitter_account_id}>{recipient_account_id}:{event_id}"),
    };
    item(Kind::CloudTrailRecord, dedup_key, event_id, "", record, ingested_at_ms)
}

/// The channel an integration event was sent to.
#[derive(Clone, Copy, Debug)]
pub struct Channel<'a> {
    /// The channel's UUID.
    pub id: &'a str,
    pub arn: &'a str,
}

/// An integration event's Lake record (`record`, with the `event_id` OpenTrail assigned),
/// sent to `channel` under the producer's `submitted_id`.
pub fn audit_event(
    channel: Channel<'_>,
    submitted_id: &str,
    record: &[u8],
    event_id: String,
    ingested_at_ms: i64,
) -> Item {
    let dedup_key = format!("p:{}:{submitted_id}", channel.id);
    item(Kind::AuditEvent, dedup_key, event_id, channel.arn, record, ingested_at_ms)
}

/// The self-audit record of one API call.
pub fn self_audit(record: &[u8], event_id: String, ingested_at_ms: i64) -> Item {
    item(Kind::SelfAudit, String::new(), event_id, "", record, ingested_at_ms)
}

fn item(
    kind: Kind,
    dedup_key: String,
    event_id: String,
    channel_arn: &str,
    record: &[u8],
    ingested_at_ms: i64,
) -> Item {
    let payload = Envelope {
        kind,
        ingested_at_ms,
        dedup_key: &dedup_key,
        event_id: &event_id,
        channel_arn,
        record,
    }
    .to_vec();
    Item { dedup_key, event_id, payload }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_has_its_dedup_key_and_envelope() {
        let check = |item: Item, kind: Kind, dedup_key: &str, channel_arn: &str| {
            assert_eq!(item.dedup_key, dedup_key);
            let envelope = Envelope::decode(&item.payload).unwrap();
            assert_eq!(
                (envelope.kind, envelope.dedup_key, envelope.event_id, envelope.channel_arn),
                (kind, dedup_key, item.event_id.as_str(), channel_arn)
            );
            assert_eq!((envelope.ingested_at_ms, envelope.record), (7, &b"{}"[..]));
        };
        let native = native_record(b"{}", "e-1".into(), "111122223333", "111122223333", true, 7);
        check(native, Kind::CloudTrailRecord, "n:111122223333:e-1", "");
        // Another account's submission never claims the recipient's own key.
        let managed = native_record(b"{}", "e-1".into(), "111122223333", "444455556666", true, 7);
        check(managed, Kind::CloudTrailRecord, "n:444455556666>111122223333:e-1", "");
        let filled = native_record(b"{}", "e-2".into(), "111122223333", "111122223333", false, 7);
        check(filled, Kind::CloudTrailRecord, "", "");
        let channel = Channel { id: "c-1", arn: "arn:aws:cloudtrail:eu-west-1:1:channel/c-1" };
        let event = audit_event(channel, "order-9", b"{}", "e-3".into(), 7);
        check(event, Kind::AuditEvent, "p:c-1:order-9", channel.arn);
        check(self_audit(b"{}", "e-4".into(), 7), Kind::SelfAudit, "", "");
    }

    #[test]
    fn new_ids_are_uuids() {
        let (a, b) = (new_id(), new_id());
        assert_ne!(a, b);
        assert!(cloudtrail_model::ids::is_valid_event_id(&a) && a.len() == 36, "{a}");
    }
}
