//! Every bound the HTTP surface enforces, named (sources: cloudtrail-data-api.md §2, §5); the
//! bounds of one integration event are `cloudtrail_model::limits::INTEGRATION_*`.

/// PutAuditEvents: at most 1 MB per request.
pub const AUDIT_REQUEST_BYTES_MAX: usize = 1024 * 1024;
/// PutAuditEvents: 1 to 100 events per request.
pub const AUDIT_EVENTS_PER_REQUEST_MAX: usize = 100;
/// `AuditEvent.id`: 1 to 128 characters of `[-_A-Za-z0-9]`.
pub const AUDIT_EVENT_ID_CHARS_MAX: usize = 128;
/// `externalId`: 2 to 1224 characters.
pub const EXTERNAL_ID_CHARS_MIN: usize = 2;
pub const EXTERNAL_ID_CHARS_MAX: usize = 1224;
/// Native ingest: request body as sent (possibly gzip).
pub const NATIVE_BODY_BYTES_MAX: usize = 16 * 1024 * 1024;
/// Native ingest: body after gzip decoding (guards against compression bombs).
pub const NATIVE_DECODED_BYTES_MAX: usize = 64 * 1024 * 1024;
/// Native ingest: records in one request.
pub const NATIVE_RECORDS_PER_REQUEST_MAX: usize = 10_000;

// One integration event's `eventData` (at most a CloudTrail record, checked by
// `cloudtrail_model::integration`) fits in a request.
const _: () = assert!(cloudtrail_model::limits::RECORD_BYTES_MAX < AUDIT_REQUEST_BYTES_MAX);
const _: () = assert!(NATIVE_BODY_BYTES_MAX <= NATIVE_DECODED_BYTES_MAX);
