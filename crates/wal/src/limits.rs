//! Every bound of the WAL, named, with compile-time checks of how the bounds relate.
//!
//! Defaults (`*_DEFAULT`) are what [`crate::WalConfig::recommended`] uses; the other bounds are
//! hard limits that a configuration or a file on disk may not exceed.

use std::time::Duration;

/// Bytes of a frame header: magic, payload length, `Lsn`, batch rest, CRC32C.
pub const FRAME_HEADER_BYTES: usize = 24;

/// Largest payload of one record: a 1 MiB event plus headroom for an envelope.
pub const RECORD_PAYLOAD_BYTES_MAX: usize = (1 << 20) + (64 << 10);

/// Most records in one batch (one `append` call).
pub const BATCH_RECORDS_MAX: usize = 4096;

/// Most encoded bytes (headers and payloads) in one batch.
pub const BATCH_BYTES_MAX: usize = 8 << 20;

/// Smallest allowed `segment_bytes_max`; small values are for tests that rotate often.
pub const SEGMENT_BYTES_MAX_MIN: u64 = 1 << 10;

/// Default `segment_bytes_max`.
pub const SEGMENT_BYTES_MAX_DEFAULT: u64 = 64 << 20;

/// Largest allowed `segment_bytes_max`.
pub const SEGMENT_BYTES_MAX_LIMIT: u64 = 1 << 30;

/// Most segment files one WAL directory may hold; `open` refuses more.
pub const SEGMENT_FILES_MAX: usize = 100_000;

/// Most registered consumers.
pub const CONSUMERS_MAX: usize = 64;

/// Longest consumer name, in bytes.
pub const CONSUMER_NAME_BYTES_MAX: usize = 64;

/// Most entries a WAL directory may hold (segments, state files and a few strays).
pub const DIR_ENTRIES_MAX: usize = SEGMENT_FILES_MAX + 2 * CONSUMERS_MAX + 64;

/// Default and largest `queue_batches_max`: batches waiting for the writer.
pub const QUEUE_BATCHES_MAX_DEFAULT: usize = 1024;
/// Largest allowed `queue_batches_max`.
pub const QUEUE_BATCHES_MAX: usize = 65_536;

/// Default `queue_bytes_max`: encoded bytes waiting for the writer.
pub const QUEUE_BYTES_MAX_DEFAULT: u64 = 64 << 20;
/// Smallest allowed `queue_bytes_max`: one largest batch must always fit.
pub const QUEUE_BYTES_MAX_MIN: u64 = BATCH_BYTES_MAX as u64;
/// Largest allowed `queue_bytes_max`.
pub const QUEUE_BYTES_MAX: u64 = 1 << 30;

/// Default `group_commit_bytes_max`: the writer stops collecting batches past this many bytes.
pub const GROUP_COMMIT_BYTES_MAX_DEFAULT: u64 = 4 << 20;
/// Largest allowed `group_commit_bytes_max`.
pub const GROUP_COMMIT_BYTES_MAX: u64 = 64 << 20;

/// Default `group_commit_wait_max`: zero, because batches already pile up while an fsync runs.
pub const GROUP_COMMIT_WAIT_MAX_DEFAULT: Duration = Duration::ZERO;
/// Largest allowed `group_commit_wait_max`.
pub const GROUP_COMMIT_WAIT_MAX: Duration = Duration::from_millis(100);

/// Bytes of a state file (head or cursor).
pub const STATE_FILE_BYTES: usize = 24;

/// Bytes read from a segment file at a time.
pub const READ_CHUNK_BYTES: usize = 256 << 10;

/// Capacity the writer keeps in its frame buffer between groups; more is released.
pub const WRITE_BUFFER_RETAINED_BYTES_MAX: usize = 16 << 20;

const _: () = assert!(FRAME_HEADER_BYTES + RECORD_PAYLOAD_BYTES_MAX <= BATCH_BYTES_MAX);
const _: () = assert!(BATCH_RECORDS_MAX * FRAME_HEADER_BYTES <= BATCH_BYTES_MAX);
const _: () = assert!(RECORD_PAYLOAD_BYTES_MAX <= u32::MAX as usize);
const _: () = assert!(BATCH_RECORDS_MAX <= u32::MAX as usize);
const _: () = assert!(SEGMENT_BYTES_MAX_MIN >= FRAME_HEADER_BYTES as u64);
const _: () = assert!(SEGMENT_BYTES_MAX_MIN <= SEGMENT_BYTES_MAX_DEFAULT);
const _: () = assert!(SEGMENT_BYTES_MAX_DEFAULT <= SEGMENT_BYTES_MAX_LIMIT);
const _: () = assert!(BATCH_BYTES_MAX as u64 <= SEGMENT_BYTES_MAX_LIMIT);
const _: () = assert!(QUEUE_BATCHES_MAX_DEFAULT <= QUEUE_BATCHES_MAX);
const _: () = assert!(QUEUE_BYTES_MAX_MIN <= QUEUE_BYTES_MAX_DEFAULT);
const _: () = assert!(QUEUE_BYTES_MAX_DEFAULT <= QUEUE_BYTES_MAX);
const _: () = assert!(GROUP_COMMIT_BYTES_MAX_DEFAULT <= GROUP_COMMIT_BYTES_MAX);
const _: () = assert!(GROUP_COMMIT_WAIT_MAX_DEFAULT.as_nanos() <= GROUP_COMMIT_WAIT_MAX.as_nanos());
const _: () = assert!(READ_CHUNK_BYTES >= FRAME_HEADER_BYTES);
const _: () = assert!(WRITE_BUFFER_RETAINED_BYTES_MAX >= BATCH_BYTES_MAX);
const _: () = assert!(STATE_FILE_BYTES == 24);
// Every position fits comfortably: a WAL would need 8 EiB of history to reach the top half.
const _: () = assert!(SEGMENT_BYTES_MAX_LIMIT < u64::MAX / 4);
