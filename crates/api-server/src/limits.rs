//! Every bound the HTTP surface enforces, named (sources: cloudtrail-data-api.md §2, §5); the
//! bounds of one integration event are `cloudtrail_model::limits::INTEGRATION_*`; the timeouts
//! and the connection cap at the edge.

use std::time::Duration;

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

// The edge: what one connection may hold, and for how long (`crate::edge`).

/// How long a client has to send a request line and its headers, counted from the moment the
/// connection may send one: when it is accepted, and again after each answer. A slow-header
/// client (slowloris) is disconnected after this, and so is an idle keep-alive connection:
/// hyper runs one timer for both, so the keep-alive idle timeout is this same value.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// How long an idle keep-alive connection is kept (the header timer above, named for readers).
pub const KEEP_ALIVE_IDLE_TIMEOUT: Duration = HEADER_READ_TIMEOUT;
/// How long reading one request's body may take, from its headers to its last byte: a 16 MiB
/// native body at 280 KB/s; a client that trickles its body (slowloris) is answered 408.
pub const BODY_READ_TIMEOUT: Duration = Duration::from_secs(60);
/// How long writing an answer may wait without progress before the connection is closed: a
/// client that stops reading (a slow-read attack) holds its connection no longer, and a
/// graceful stop never waits for it forever.
pub const RESPONSE_WRITE_TIMEOUT: Duration = Duration::from_secs(30);
/// Connections served at once. At the cap the server stops accepting until one closes: waiting
/// clients queue in the kernel's listen backlog, costing the server neither memory nor a file
/// descriptor, and the timeouts above bound how long any connection keeps its place.
pub const CONNECTIONS_MAX: usize = 1024;

/// Request bodies held at once, all connections together (read, being authenticated, being
/// processed): 1,024 connections × a 16 MiB native body would be 16 GiB before a single
/// signature is checked. A body counts its declared length, or its route's limit when the
/// length is not declared, until its answer is sent.
pub const BODY_BYTES_IN_FLIGHT_MAX: usize = 256 * 1024 * 1024;
/// How long a request waits for room under [`BODY_BYTES_IN_FLIGHT_MAX`] before it is answered
/// 503 with `Retry-After` (its body unread).
pub const BODY_BUDGET_WAIT: Duration = Duration::from_secs(2);

const _: () = assert!(HEADER_READ_TIMEOUT.as_secs() < BODY_READ_TIMEOUT.as_secs());
const _: () = assert!(NATIVE_BODY_BYTES_MAX <= BODY_BYTES_IN_FLIGHT_MAX / 8);
