//! Crash-safe replacement and removal of whole files, over the small [`Disk`] seam.
//!
//! [`replace_on`] writes `<path>.tmp` ([`temp_path`]), makes it durable, renames it over
//! `<path>` and fsyncs the directory: a reader sees the old bytes or the new ones, never a mix,
//! and after a crash the same holds. A stray `.tmp` left by a crash is harmless; the next
//! replacement truncates it.

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// `Result` with [`Error`] as the default error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The file operations a replacement needs. [`StdDisk`] is the real file system; the WAL
/// implements it over its own `FileSystem` seam, whose simulated disk can crash.
pub trait Disk {
    /// Creates `path` or empties it, writes all of `bytes` and makes them durable.
    fn write_synced(&self, path: &Path, bytes: &[u8]) -> io::Result<()>;
    /// Renames `from` to `to`, replacing `to`. Durable only after [`Disk::sync_dir`].
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()>;
    /// Removes a file. Durable only after [`Disk::sync_dir`].
    fn remove_file(&self, path: &Path) -> io::Result<()>;
    /// Makes the directory's entries (creations, renames, removals) durable.
    fn sync_dir(&self, dir: &Path) -> io::Result<()>;
}

/// The real file system. Files it creates get `mode` (before the umask) on Unix.
#[derive(Clone, Copy, Debug)]
pub struct StdDisk {
    mode: u32,
}

impl StdDisk {
    /// Files created as `File::create` does (0666 before the umask).
    pub const fn new() -> StdDisk {
        StdDisk { mode: 0o666 }
    }

    /// Files created readable and writable by their owner only (0600), for secrets.
    pub const fn owner_only() -> StdDisk {
        StdDisk { mode: 0o600 }
    }
}

impl Default for StdDisk {
    fn default() -> StdDisk {
        StdDisk::new()
    }
}

impl Disk for StdDisk {
    fn write_synced(&self, path: &Path, bytes: &[u8]) -> io::Result<()> {
        let mut options = OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, self.mode);
        let mut file = options.open(path)?;
        file.write_all(bytes)?;
        file.sync_all()
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        std::fs::rename(from, to)
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        std::fs::remove_file(path)
    }

    #[cfg(unix)]
    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        File::open(dir)?.sync_all()
    }

    #[cfg(not(unix))]
    fn sync_dir(&self, _dir: &Path) -> io::Result<()> {
        // Directories cannot be opened as files here; metadata is journaled by the OS.
        Ok(())
    }
}

/// Which step of a replacement or removal failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Writing and syncing the temp file (the path is the temp file's).
    Write,
    /// Renaming the temp file over the target (the path is the target's).
    Rename,
    /// Removing the file.
    Remove,
    /// Syncing the directory (the path is the directory's).
    SyncDir,
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Step::Write => "write",
            Step::Rename => "rename into",
            Step::Remove => "remove",
            Step::SyncDir => "fsync the directory",
        })
    }
}

/// A failed step, with the file it failed on.
#[derive(Debug, thiserror::Error)]
#[error("cannot {step} `{}`: {error}", path.display())]
pub struct Error {
    /// What was being done.
    pub step: Step,
    /// The file or directory.
    pub path: PathBuf,
    /// The cause.
    pub error: io::Error,
}

impl Error {
    fn at(step: Step, path: &Path) -> impl FnOnce(io::Error) -> Error + '_ {
        move |error| Error { step, path: path.to_owned(), error }
    }
}

/// What [`temp_path`] appends: a directory's stray temp files end with it.
pub const TEMP_SUFFIX: &str = ".tmp";

/// The temp file a replacement of `path` writes first: `<path>.tmp`.
pub fn temp_path(path: &Path) -> PathBuf {
    let mut temp = path.as_os_str().to_owned();
    temp.push(TEMP_SUFFIX);
    PathBuf::from(temp)
}

/// Replaces `path` with `bytes` crash-safely on the real file system.
pub fn replace(path: &Path, bytes: &[u8]) -> Result<()> {
    replace_on(&StdDisk::new(), path, bytes)
}

/// Replaces `path` with `bytes` crash-safely: temp file, sync, rename, sync the directory.
pub fn replace_on<D: Disk + ?Sized>(disk: &D, path: &Path, bytes: &[u8]) -> Result<()> {
    let temp = temp_path(path);
    disk.write_synced(&temp, bytes).map_err(Error::at(Step::Write, &temp))?;
    rename_synced_on(disk, &temp, path)
}

/// Renames a complete, synced file into place and syncs the directory it landed in; for
/// writers whose temp files live elsewhere (the bucket store keeps them out of its buckets).
pub fn rename_synced_on<D: Disk + ?Sized>(disk: &D, from: &Path, to: &Path) -> Result<()> {
    disk.rename(from, to).map_err(Error::at(Step::Rename, to))?;
    let dir = parent_dir(to);
    disk.sync_dir(dir).map_err(Error::at(Step::SyncDir, dir))
}

/// Syncs a directory of the real file system (after creating or removing entries in it).
pub fn sync_dir(dir: &Path) -> Result<()> {
    StdDisk::new().sync_dir(dir).map_err(Error::at(Step::SyncDir, dir))
}

/// Removes `path` durably from the real file system; `Ok(false)` if it did not exist.
pub fn remove(path: &Path) -> Result<bool> {
    remove_on(&StdDisk::new(), path)
}

/// Removes `path` and syncs its directory, so the removal survives a crash; `Ok(false)` (and
/// no sync) if it did not exist.
pub fn remove_on<D: Disk + ?Sized>(disk: &D, path: &Path) -> Result<bool> {
    match disk.remove_file(path) {
        Ok(()) => {}
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(false),
        Err(error) => return Err(Error { step: Step::Remove, path: path.to_owned(), error }),
    }
    let dir = parent_dir(path);
    disk.sync_dir(dir).map_err(Error::at(Step::SyncDir, dir))?;
    Ok(true)
}

/// The directory holding `path` (`.` for a bare file name).
fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

#[cfg(test)]
mod tests;
