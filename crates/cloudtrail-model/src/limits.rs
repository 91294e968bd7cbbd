//! Every bound the record model enforces, named in one place.
//!
//! Sources: AWS CloudTrail User Guide ("CloudTrail record contents", quotas) and
//! `../shared/spec/log-files.md` §1 and §3.

/// Largest accepted record, as serialised JSON (CloudTrail's cap since eventVersion 1.05).
pub const RECORD_BYTES_MAX: usize = 256 * 1024;

/// Deepest accepted nesting of JSON arrays and objects inside one document.
///
/// CloudTrail does not document one; 128 is far above any real record and keeps the
/// recursive parser's stack use small and bounded.
pub const JSON_DEPTH_MAX: usize = 128;

/// `userAgent`, `errorCode`, `errorMessage` and `requestID` are capped at 1 KB by CloudTrail.
pub const SHORT_TEXT_BYTES_MAX: usize = 1024;

/// `requestParameters`, `responseElements` and `serviceEventDetails` are capped at 100 KB.
pub const PAYLOAD_OBJECT_BYTES_MAX: usize = 100 * 1024;

/// `additionalEventData` and `edgeDeviceDetails` are capped at 28 KB.
pub const ADDITIONAL_DATA_BYTES_MAX: usize = 28 * 1024;

/// Longest event id accepted (the CloudTrail Data API's `Uuid` shape: 1..128 characters).
pub const EVENT_ID_CHARS_MAX: usize = 128;

/// Longest ARN accepted; IAM documents 2048 characters for ARNs.
pub const ARN_CHARS_MAX: usize = 2048;

/// At most this many validation problems are reported for one record.
pub const VALIDATION_ERRORS_MAX: usize = 32;

/// Integration events (`eventData` of PutAuditEvents, cloudtrail-data-api.md §6): `version`.
pub const INTEGRATION_VERSION_CHARS_MAX: usize = 256;
/// `userIdentity.type`.
pub const INTEGRATION_IDENTITY_TYPE_CHARS_MAX: usize = 128;
/// `principalId`, `userAgent`, `eventSource`, `eventName`, `UID`.
pub const INTEGRATION_TEXT_CHARS_MAX: usize = 1024;
/// `errorCode`, `errorMessage`.
pub const INTEGRATION_ERROR_CHARS_MAX: usize = 256;
/// `requestParameters`, `responseElements`.
pub const INTEGRATION_PAYLOAD_BYTES_MAX: usize = 100 * 1024;
/// `additionalEventData`.
pub const INTEGRATION_ADDITIONAL_BYTES_MAX: usize = 28 * 1024;

const _: () = assert!(PAYLOAD_OBJECT_BYTES_MAX < RECORD_BYTES_MAX);
const _: () = assert!(INTEGRATION_ADDITIONAL_BYTES_MAX < INTEGRATION_PAYLOAD_BYTES_MAX);
const _: () = assert!(ADDITIONAL_DATA_BYTES_MAX < PAYLOAD_OBJECT_BYTES_MAX);
const _: () = assert!(SHORT_TEXT_BYTES_MAX < ADDITIONAL_DATA_BYTES_MAX);
const _: () = assert!(JSON_DEPTH_MAX >= 16);
