//! OpenTrail's write-ahead log: the source of truth for events in flight.
//!
//! A write is acknowledged only after its WAL record has been fsynced. Many threads append
//! batches concurrently; one writer thread turns everything queued into one `write` and one
//! `fsync` (group commit). Consumers read records back from durable positions and keep durable
//! cursors; whole segments are deleted only once every consumer has passed them.
//!
//! What this crate is not: it never parses payloads (they are opaque bytes), it does not know
//! about events, trails or accounts, and it does not replicate anything.
//!
//! # On-disk format (version 1)
//!
//! A WAL is one directory holding these files:
//!
//! | file                        | contents                                                       |
//! |-----------------------------|----------------------------------------------------------------|
//! | `00000000000000000000.wal`  | a segment: frames back to back, nothing else                   |
//! | `head.state`                | the oldest retained position; rewritten before segments are deleted |
//! | `cursor-<consumer>.state`   | one consumer's durable cursor                                  |
//! | `<state file>.tmp`          | a state file being replaced; removed on open                   |
//!
//! Positions are [`Lsn`]s: byte positions in the concatenation of all segments, starting at 0.
//! A segment's file name is its start `Lsn` as 20 zero-padded decimal digits (so names sort by
//! position) followed by `.wal`; the frame at byte `offset` of the segment starting at `S` has
//! `Lsn` `S + offset`. Segments are contiguous: each starts exactly where the previous one ends.
//!
//! A frame (all integers little-endian):
//!
//! ```text
//! offset size field
//!      0    4 magic        b"OTw1" (the frame format version lives in the magic)
//!      4    4 payload_len  u32, at most limits::RECORD_PAYLOAD_BYTES_MAX
//!      8    8 lsn          u64, the frame's own position, so stale or misplaced bytes never pass
//!     16    4 batch_rest   u32, number of frames that follow in the same batch (0 = last frame)
//!     20    4 crc32c       CRC32C (Castagnoli) of bytes 0..20 followed by the payload
//!     24    n payload      opaque bytes
//! ```
//!
//! A batch (one [`Wal::append`] call) is written as consecutive frames whose `batch_rest` counts
//! down to 0. A batch never spans two segments. A batch is all-or-nothing: recovery keeps only
//! complete batches, so a batch whose last frame is missing is part of the torn tail.
//!
//! A segment is rotated when the next batch would push it past `WalConfig::segment_bytes_max`
//! (default [`limits::SEGMENT_BYTES_MAX_DEFAULT`], 64 MiB). A batch larger than that goes into an
//! empty segment alone, so no segment exceeds `max(segment_bytes_max, BATCH_BYTES_MAX)`.
//!
//! A state file is exactly 24 bytes: magic `b"OTws"`, version u32 (1), kind u32 (1 = head,
//! 2 = cursor), `Lsn` u64, and the CRC32C of the first 20 bytes. State files are only ever
//! replaced whole: write a temp file, fsync it, rename it over the old one, fsync the directory.
//!
//! # Design constraints
//!
//! - Nothing acknowledged is ever lost: an [`AppendTicket`] resolves only after every byte of its
//!   batch was written and `fsync`ed (and the segment file's directory entry was fsynced when the
//!   segment was created).
//! - Every queue is bounded: [`Wal::append`] never blocks and returns [`Error::Backpressure`] when
//!   the queue is full.
//! - An fsync is never retried: after a failed write or fsync, every pending ticket gets the
//!   error and the WAL refuses writes until it is reopened; recovery then decides what survived.
//! - Readers never see bytes beyond the durable end.
//! - Recovery never skips damage silently: what it tolerates and what it refuses is the table in
//!   the `recovery` module, chosen by [`RecoveryMode`].
//! - All file IO goes through [`fs::FileSystem`], so tests can crash and fault an in-memory disk.
//! - Bytes from disk never cause a panic; they produce [`Error::Corruption`].
//!
//! Known limitation: after a failed fsync, Linux may keep the unwritten data in its page cache
//! and mark it clean. Reopening in the same boot then reads those bytes as if they were durable;
//! a later power loss turns them into a hole that recovery reports as corruption (never silently
//! as valid data). Restarting the machine, not only the process, avoids this.

#![forbid(unsafe_code)]

mod config;
mod error;
mod frame;
pub mod fs;
pub mod limits;
mod lsn;
mod reader;
mod recovery;
mod segment;
mod shared;
mod state;
mod wal;
mod writer;

pub use crate::config::{RecoveryMode, WalConfig};
pub use crate::error::{Error, ErrorKind, Failure, Result};
pub use crate::fs::{FileSystem, StdFileSystem};
pub use crate::lsn::{Lsn, LsnRange};
pub use crate::reader::{ReadOnlyRecords, WalReader, read_only, read_only_with};
pub use crate::recovery::{RecoveryReport, TruncatedTail};
pub use crate::wal::{AppendTicket, Wal, WalStats};
pub use crate::writer::describe_metrics;
