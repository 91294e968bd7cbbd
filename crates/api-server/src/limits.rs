//! Every bound the HTTP surface enforces, named (sources: cloudtrail-data-api.md §2, §5, §6).

/// PutAuditEvents: at most 1 MB per request.
pub const AUDIT_REQUEST_BYTES_MAX: usize = 1024 * 1024;
/// PutAuditEvents: 1 to 100 events per request.
pub const AUDIT_EVENTS_PER_REQUEST_MAX: usize = 100;
/// `AuditEvent.id`: 1 to 128 characters of `[-_A-Za-z0-9]`.
pub const AUDIT_EVENT_ID_CHARS_MAX: usize = 128;
/// `externalId`: 2 to 1224 characters.
pub const EXTERNAL_ID_CHARS_MIN: usize = 2;
pub const EXTERNAL_ID_CHARS_MAX: usize = 1224;
/// `eventData` of one integration event (the CloudTrail record cap).
pub const AUDIT_EVENT_DATA_BYTES_MAX: usize = cloudtrail_model::limits::RECORD_BYTES_MAX;
/// `eventData.version`.
pub const EVENT_DATA_VERSION_CHARS_MAX: usize = 256;
/// `eventData.userIdentity.type`.
pub const EVENT_DATA_IDENTITY_TYPE_CHARS_MAX: usize = 128;
/// `principalId`, `userAgent`, `eventSource`, `eventName`, `UID`.
pub const EVENT_DATA_TEXT_CHARS_MAX: usize = 1024;
/// `errorCode`, `errorMessage`.
pub const EVENT_DATA_ERROR_CHARS_MAX: usize = 256;
/// `requestParameters`, `responseElements`.
pub const EVENT_DATA_PAYLOAD_BYTES_MAX: usize = 100 * 1024;
/// `additionalEventData`.
pub const EVENT_DATA_ADDITIONAL_BYTES_MAX: usize = 28 * 1024;

/// Native ingest: request body as sent (possibly gzip).
pub const NATIVE_BODY_BYTES_MAX: usize = 16 * 1024 * 1024;
/// Native ingest: body after gzip decoding (guards against compression bombs).
pub const NATIVE_DECODED_BYTES_MAX: usize = 64 * 1024 * 1024;
/// Native ingest: records in one request.
pub const NATIVE_RECORDS_PER_REQUEST_MAX: usize = 10_000;

const _: () = assert!(AUDIT_EVENT_DATA_BYTES_MAX < AUDIT_REQUEST_BYTES_MAX);
const _: () = assert!(NATIVE_BODY_BYTES_MAX <= NATIVE_DECODED_BYTES_MAX);
const _: () = assert!(EVENT_DATA_ADDITIONAL_BYTES_MAX < EVENT_DATA_PAYLOAD_BYTES_MAX);
