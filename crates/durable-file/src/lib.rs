//! Durable small files: the one crash-safe way to replace or remove a file ([`replace`],
//! [`remove`]), and the one framed format of small state files ([`Format`]).
//!
//! Replacing writes `<path>.tmp`, fsyncs it, renames it over `<path>` and fsyncs the directory,
//! so after a crash either the old or the new content is there, whole. The steps go through a
//! [`Disk`]: [`StdDisk`] is the real file system; the WAL passes its own fault-injecting
//! file system, so its crash tests exercise this very code.
//!
//! A framed file is `magic (4 bytes) · version (u32 LE) · payload · CRC32C (u32 LE)`, the
//! checksum covering everything before it. Decoding never panics: damage, a foreign file, a
//! newer version or a truncated file come back as a [`FrameError`].
//!
//! This crate is not a storage engine: files are written whole, and nothing here knows what a
//! payload means.

mod disk;
mod frame;

pub use disk::{
    Disk, Error, Result, StdDisk, Step, TEMP_SUFFIX, remove, remove_on, rename_synced_on, replace,
    replace_on, sync_dir, temp_path,
};
pub use frame::{FRAME_BYTES_MIN, Format, Frame, FrameError};
