//! The file-system seam: every byte the WAL reads or writes goes through [`FileSystem`].
//!
//! [`StdFileSystem`] is the real one. [`SimFileSystem`] is an in-memory disk for tests that
//! knows which bytes and directory entries are durable, can crash, and can inject faults.
//!
//! The trait is deliberately small: append-only writes, `fdatasync`, truncation, positioned
//! reads, and the directory operations the WAL needs (list, rename, remove, fsync).

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, Seek, SeekFrom, Write};
use std::path::Path;

mod sim;

pub use sim::{CrashMode, SimFileSystem, SimStats};

/// All file IO of the WAL.
pub trait FileSystem: fmt::Debug + Send + Sync {
    /// Creates a directory and its parents.
    fn create_dir_all(&self, dir: &Path) -> io::Result<()>;
    /// Names (not paths) of the files directly inside `dir`.
    fn list_dir(&self, dir: &Path) -> io::Result<Vec<String>>;
    /// Creates a file that must not exist yet, open for appending.
    fn create_new(&self, path: &Path) -> io::Result<Box<dyn WriteFile>>;
    /// Creates a file, or empties an existing one, open for appending.
    fn create_or_truncate(&self, path: &Path) -> io::Result<Box<dyn WriteFile>>;
    /// Opens an existing file for appending at its end.
    fn open_append(&self, path: &Path) -> io::Result<Box<dyn WriteFile>>;
    /// Opens an existing file for reading.
    fn open_read(&self, path: &Path) -> io::Result<Box<dyn ReadFile>>;
    /// Renames a file, replacing `to` if it exists. Durable only after [`FileSystem::sync_dir`].
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()>;
    /// Removes a file. Durable only after [`FileSystem::sync_dir`].
    fn remove_file(&self, path: &Path) -> io::Result<()>;
    /// Makes the directory's entries (creations, renames, removals) durable.
    fn sync_dir(&self, dir: &Path) -> io::Result<()>;
}

/// State files are replaced through `durable_file` on this seam, so the simulated disk's
/// crashes and faults reach that code too.
impl durable_file::Disk for dyn FileSystem + '_ {
    fn write_synced(&self, path: &Path, bytes: &[u8]) -> io::Result<()> {
        let mut file = self.create_or_truncate(path)?;
        file.write_all(bytes)?;
        file.sync_data()
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        FileSystem::rename(self, from, to)
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        FileSystem::remove_file(self, path)
    }

    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        FileSystem::sync_dir(self, dir)
    }
}

/// A file open for appending.
pub trait WriteFile: fmt::Debug + Send {
    /// Appends all of `bytes` at the end of the file. On error, a prefix may have been written.
    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()>;
    /// Makes the file's data durable (`fdatasync`).
    fn sync_data(&mut self) -> io::Result<()>;
    /// Sets the file's length; later appends go to the new end. Durable after `sync_data`.
    fn set_len(&mut self, len: u64) -> io::Result<()>;
}

/// A file open for reading.
pub trait ReadFile: fmt::Debug + Send {
    /// The file's current length.
    fn file_len(&mut self) -> io::Result<u64>;
    /// Reads up to `buf.len()` bytes at `offset`; returns how many were read (0 at the end).
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> io::Result<usize>;
}

/// The real file system.
#[derive(Clone, Copy, Debug, Default)]
pub struct StdFileSystem;

impl FileSystem for StdFileSystem {
    fn create_dir_all(&self, dir: &Path) -> io::Result<()> {
        std::fs::create_dir_all(dir)
    }

    fn list_dir(&self, dir: &Path) -> io::Result<Vec<String>> {
        let mut names = Vec::new();
        for entry in std::fs::read_dir(dir)? {
            // Names that are not UTF-8 cannot be ours; the WAL only writes ASCII names.
            if let Ok(name) = entry?.file_name().into_string() {
                names.push(name);
            }
        }
        Ok(names)
    }

    fn create_new(&self, path: &Path) -> io::Result<Box<dyn WriteFile>> {
        let file = OpenOptions::new().write(true).create_new(true).open(path)?;
        Ok(Box::new(StdWriteFile { file }))
    }

    fn create_or_truncate(&self, path: &Path) -> io::Result<Box<dyn WriteFile>> {
        let file = OpenOptions::new().write(true).create(true).truncate(true).open(path)?;
        Ok(Box::new(StdWriteFile { file }))
    }

    fn open_append(&self, path: &Path) -> io::Result<Box<dyn WriteFile>> {
        let mut file = OpenOptions::new().write(true).open(path)?;
        file.seek(SeekFrom::End(0))?;
        Ok(Box::new(StdWriteFile { file }))
    }

    fn open_read(&self, path: &Path) -> io::Result<Box<dyn ReadFile>> {
        Ok(Box::new(StdReadFile { file: File::open(path)? }))
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        durable_file::Disk::rename(&durable_file::StdDisk::new(), from, to)
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        durable_file::Disk::remove_file(&durable_file::StdDisk::new(), path)
    }

    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        durable_file::Disk::sync_dir(&durable_file::StdDisk::new(), dir)
    }
}

#[derive(Debug)]
struct StdWriteFile {
    file: File,
}

impl WriteFile for StdWriteFile {
    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.file.write_all(bytes)
    }

    fn sync_data(&mut self) -> io::Result<()> {
        self.file.sync_data()
    }

    fn set_len(&mut self, len: u64) -> io::Result<()> {
        self.file.set_len(len)?;
        self.file.seek(SeekFrom::Start(len))?;
        Ok(())
    }
}

#[derive(Debug)]
struct StdReadFile {
    file: File,
}

impl ReadFile for StdReadFile {
    fn file_len(&mut self) -> io::Result<u64> {
        Ok(self.file.metadata()?.len())
    }

    #[cfg(unix)]
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        use std::os::unix::fs::FileExt;
        loop {
            match self.file.read_at(buf, offset) {
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                result => return result,
            }
        }
    }

    #[cfg(not(unix))]
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        use std::io::Read;
        self.file.seek(SeekFrom::Start(offset))?;
        loop {
            match self.file.read(buf) {
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                result => return result,
            }
        }
    }
}
