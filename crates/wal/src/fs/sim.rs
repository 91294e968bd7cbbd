//! An in-memory, deterministic disk for tests, with crashes and fault injection.
//!
//! The model, kept simple but honest about what survives a power loss:
//!
//! - Each file (inode) has its current bytes (what reads see, like the page cache) and its
//!   durable bytes (what survives a crash). `sync_data` makes the current bytes durable.
//! - Directory entries are the same: creations, renames and removals become durable only when
//!   the directory is fsynced. Directories themselves are always durable.
//! - [`SimFileSystem::crash`] throws away everything that is not durable. With
//!   [`CrashMode::Torn`] some of it survives instead: a random prefix of each file's unsynced
//!   appended bytes (its last bytes possibly garbled, as in a torn sector), and a random subset
//!   of the unsynced directory changes.
//! - A crash ends the "process": every handle and every `SimFileSystem` value from before the
//!   crash fails from then on. The value returned by `crash` is the disk as the next process
//!   sees it.
//! - A failed fsync behaves like Linux after "fsyncgate": the dirty bytes stay readable but are
//!   marked clean, so a later successful fsync does not write them; on disk they become zeros.
//!
//! Faults: fail the next N writes or fsyncs with `EIO`, or fail writes with `ENOSPC` once a byte
//! budget is used up (the part that fits is written). Syncs can also be held, so a test can
//! pile up appends behind a slow fsync without sleeping.

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use super::{FileSystem, ReadFile, WriteFile};

/// How a simulated crash treats bytes and directory entries that were not made durable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CrashMode {
    /// Everything not fsynced is lost.
    Clean,
    /// Some of what was not fsynced survives (torn writes), chosen by `seed`.
    Torn {
        /// Seed of the deterministic choice of surviving bytes and entries.
        seed: u64,
    },
}

/// Counters of the operations the simulated disk has seen (all processes together).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SimStats {
    /// Calls to `write_all`.
    pub n_writes: u64,
    /// Calls to `sync_data` that reached the disk.
    pub n_syncs: u64,
    /// Calls to `sync_dir`.
    pub n_dir_syncs: u64,
    /// Bytes accepted by `write_all`.
    pub bytes_written: u64,
    /// Crashes so far.
    pub n_crashes: u64,
}

/// An in-memory [`FileSystem`]; clones share the same disk and the same "process".
#[derive(Clone, Debug)]
pub struct SimFileSystem {
    disk: Arc<Disk>,
    generation: u64,
}

#[derive(Debug)]
struct Disk {
    state: Mutex<DiskState>,
    changed: Condvar,
}

type InodeId = u64;

#[derive(Debug, Default)]
struct DiskState {
    /// Bumped by every crash; handles from older generations fail.
    generation: u64,
    dirs: BTreeSet<PathBuf>,
    entries: BTreeMap<PathBuf, InodeId>,
    durable_entries: BTreeMap<PathBuf, InodeId>,
    inodes: BTreeMap<InodeId, Inode>,
    next_inode: InodeId,
    faults: Faults,
    syncs_held: bool,
    n_syncs_waiting: usize,
    stats: SimStats,
}

#[derive(Debug, Default)]
struct Faults {
    write_eio: u32,
    sync_eio: u32,
    dir_sync_eio: u32,
    write_bytes_left: Option<u64>,
}

#[derive(Debug, Default)]
struct Inode {
    data: Vec<u8>,
    durable: Vec<u8>,
    /// Lowest offset changed since the last successful `sync_data`.
    dirty_from: Option<usize>,
}

impl Inode {
    fn mark_dirty(&mut self, offset: usize) {
        self.dirty_from = Some(self.dirty_from.map_or(offset, |dirty| dirty.min(offset)));
    }

    fn make_durable(&mut self) {
        let Some(dirty_from) = self.dirty_from.take() else {
            return;
        };
        // Bytes below `dirty_from` were durable already, or were lost by a failed fsync (then
        // `durable` is shorter and the hole reads as zeros, as on a real disk).
        self.durable.resize(dirty_from, 0);
        self.durable.extend_from_slice(&self.data[dirty_from..]);
    }
}

impl Default for SimFileSystem {
    fn default() -> Self {
        SimFileSystem::new()
    }
}

impl SimFileSystem {
    /// An empty disk with only the root directory.
    pub fn new() -> SimFileSystem {
        let mut state = DiskState::default();
        state.dirs.insert(PathBuf::from("/"));
        SimFileSystem {
            disk: Arc::new(Disk { state: Mutex::new(state), changed: Condvar::new() }),
            generation: 0,
        }
    }

    /// Simulates power loss: keeps only durable bytes and entries (plus torn leftovers in
    /// [`CrashMode::Torn`]). Every handle from before fails from now on; the returned value is
    /// the disk for the next process.
    pub fn crash(&self, mode: CrashMode) -> SimFileSystem {
        let mut state = self.lock();
        state.generation += 1;
        state.stats.n_crashes += 1;
        state.syncs_held = false;
        let mut rng = match mode {
            CrashMode::Clean => None,
            CrashMode::Torn { seed } => Some(SplitMix64(seed)),
        };

        let mut survivors = BTreeMap::new();
        let paths: BTreeSet<PathBuf> =
            state.entries.keys().chain(state.durable_entries.keys()).cloned().collect();
        for path in paths {
            let live = state.entries.get(&path).copied();
            let durable = state.durable_entries.get(&path).copied();
            let keep_live = live != durable && rng.as_mut().is_some_and(SplitMix64::coin);
            let survivor = if keep_live { live } else { durable };
            if let Some(inode_id) = survivor {
                survivors.insert(path, inode_id);
            }
        }
        let referenced: BTreeSet<InodeId> = survivors.values().copied().collect();
        state.entries = survivors.clone();
        state.durable_entries = survivors;
        state.inodes.retain(|inode_id, _| referenced.contains(inode_id));

        for inode in state.inodes.values_mut() {
            let mut bytes = inode.durable.clone();
            if let Some(rng) = &mut rng {
                let appended_only = inode.data.len() > inode.durable.len()
                    && inode.data.starts_with(&inode.durable);
                if appended_only {
                    let n_unsynced = inode.data.len() - inode.durable.len();
                    let n_kept = rng.below(n_unsynced + 1);
                    bytes.extend_from_slice(&inode.data[inode.durable.len()..][..n_kept]);
                    if n_kept > 0 && rng.coin() {
                        let n_garbled = n_kept.min(1 + rng.below(16));
                        let garbled_start = bytes.len() - n_garbled;
                        for byte in &mut bytes[garbled_start..] {
                            *byte = if rng.coin() { 0 } else { rng.next() as u8 };
                        }
                    }
                }
            }
            inode.data = bytes.clone();
            inode.durable = bytes;
            inode.dirty_from = None;
        }
        let generation = state.generation;
        drop(state);
        self.disk.changed.notify_all();
        SimFileSystem { disk: Arc::clone(&self.disk), generation }
    }

    /// Makes the next `n` calls to `write_all` fail with `EIO`, writing nothing.
    pub fn fail_next_writes(&self, n: u32) {
        self.lock().faults.write_eio = n;
    }

    /// Makes the next `n` calls to `sync_data` fail with `EIO`, dropping the dirty bytes.
    pub fn fail_next_syncs(&self, n: u32) {
        self.lock().faults.sync_eio = n;
    }

    /// Makes the next `n` calls to `sync_dir` fail with `EIO`.
    pub fn fail_next_dir_syncs(&self, n: u32) {
        self.lock().faults.dir_sync_eio = n;
    }

    /// Lets only `budget` more bytes be written; the write that crosses it writes what fits and
    /// fails with `ENOSPC`, and so does every later write. `None` removes the budget.
    pub fn fail_writes_after_bytes(&self, budget: Option<u64>) {
        self.lock().faults.write_bytes_left = budget;
    }

    /// Removes every armed fault.
    pub fn clear_faults(&self) {
        self.lock().faults = Faults::default();
    }

    /// Makes every `sync_data` wait until [`SimFileSystem::release_syncs`] (or a crash).
    pub fn hold_syncs(&self) {
        self.lock().syncs_held = true;
    }

    /// Lets held and future syncs proceed.
    pub fn release_syncs(&self) {
        self.lock().syncs_held = false;
        self.disk.changed.notify_all();
    }

    /// Waits until at least `n` calls to `sync_data` are waiting; false if that did not happen
    /// within ten seconds (a safety net against hung tests, not a timing assumption).
    pub fn wait_for_held_syncs(&self, n: usize) -> bool {
        let state = self.lock();
        let (state, _) = self
            .disk
            .changed
            .wait_timeout_while(state, Duration::from_secs(10), |state| state.n_syncs_waiting < n)
            .unwrap_or_else(PoisonError::into_inner);
        state.n_syncs_waiting >= n
    }

    /// Counters of what the disk has seen.
    pub fn stats(&self) -> SimStats {
        self.lock().stats
    }

    /// Names of the files in `dir` as reads see them (durable or not), sorted.
    pub fn file_names(&self, dir: &Path) -> Vec<String> {
        let state = self.lock();
        names_in(&state, dir)
    }

    /// A file's bytes as reads see them.
    pub fn read_file(&self, path: &Path) -> Option<Vec<u8>> {
        let state = self.lock();
        let inode_id = state.entries.get(path)?;
        Some(state.inodes[inode_id].data.clone())
    }

    /// Replaces (or creates) a file durably, as an operator editing the disk between runs.
    pub fn write_file(&self, path: &Path, bytes: &[u8]) {
        let mut state = self.lock();
        let inode_id = match state.entries.get(path) {
            Some(inode_id) => *inode_id,
            None => {
                let inode_id = state.new_inode();
                state.entries.insert(path.to_path_buf(), inode_id);
                inode_id
            }
        };
        state.durable_entries.insert(path.to_path_buf(), inode_id);
        let inode = state.inodes.get_mut(&inode_id).expect("entry points at a live inode");
        inode.data = bytes.to_vec();
        inode.durable = bytes.to_vec();
        inode.dirty_from = None;
    }

    /// Removes a file durably, as an operator editing the disk between runs.
    pub fn remove_file_durably(&self, path: &Path) -> bool {
        let mut state = self.lock();
        state.durable_entries.remove(path);
        state.entries.remove(path).is_some()
    }

    fn lock(&self) -> MutexGuard<'_, DiskState> {
        self.disk.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Locks the disk for an operation of this process; fails if the process has crashed.
    fn lock_alive(&self) -> io::Result<MutexGuard<'_, DiskState>> {
        let state = self.lock();
        check_alive(&state, self.generation)?;
        Ok(state)
    }

    fn handle(&self, path: &Path, inode_id: InodeId) -> SimFile {
        SimFile {
            disk: Arc::clone(&self.disk),
            generation: self.generation,
            inode_id,
            path: path.to_path_buf(),
        }
    }
}

impl DiskState {
    fn new_inode(&mut self) -> InodeId {
        let inode_id = self.next_inode;
        self.next_inode += 1;
        self.inodes.insert(inode_id, Inode::default());
        inode_id
    }

    fn check_parent(&self, path: &Path) -> io::Result<()> {
        match path.parent() {
            Some(parent) if self.dirs.contains(parent) => Ok(()),
            _ => Err(not_found(path)),
        }
    }

    fn inode(&mut self, inode_id: InodeId) -> &mut Inode {
        self.inodes.get_mut(&inode_id).expect("a live handle keeps its inode")
    }
}

fn names_in(state: &DiskState, dir: &Path) -> Vec<String> {
    state
        .entries
        .keys()
        .filter(|path| path.parent() == Some(dir))
        .filter_map(|path| path.file_name()?.to_str().map(str::to_owned))
        .collect()
}

fn check_alive(state: &DiskState, generation: u64) -> io::Result<()> {
    if state.generation != generation {
        return Err(io::Error::other("simulated crash: this process no longer exists"));
    }
    Ok(())
}

fn not_found(path: &Path) -> io::Error {
    io::Error::new(io::ErrorKind::NotFound, format!("simulated: `{}` not found", path.display()))
}

fn eio() -> io::Error {
    io::Error::other("simulated `EIO`: input/output error")
}

impl FileSystem for SimFileSystem {
    fn create_dir_all(&self, dir: &Path) -> io::Result<()> {
        let mut state = self.lock_alive()?;
        for ancestor in dir.ancestors() {
            if !ancestor.as_os_str().is_empty() {
                state.dirs.insert(ancestor.to_path_buf());
            }
        }
        Ok(())
    }

    fn list_dir(&self, dir: &Path) -> io::Result<Vec<String>> {
        let state = self.lock_alive()?;
        if !state.dirs.contains(dir) {
            return Err(not_found(dir));
        }
        Ok(names_in(&state, dir))
    }

    fn create_new(&self, path: &Path) -> io::Result<Box<dyn WriteFile>> {
        let mut state = self.lock_alive()?;
        state.check_parent(path)?;
        if state.entries.contains_key(path) {
            let message = format!("simulated: `{}` already exists", path.display());
            return Err(io::Error::new(io::ErrorKind::AlreadyExists, message));
        }
        let inode_id = state.new_inode();
        state.entries.insert(path.to_path_buf(), inode_id);
        Ok(Box::new(self.handle(path, inode_id)))
    }

    fn create_or_truncate(&self, path: &Path) -> io::Result<Box<dyn WriteFile>> {
        let mut state = self.lock_alive()?;
        state.check_parent(path)?;
        let inode_id = match state.entries.get(path) {
            Some(inode_id) => {
                let inode_id = *inode_id;
                let inode = state.inode(inode_id);
                inode.data.clear();
                inode.mark_dirty(0);
                inode_id
            }
            None => {
                let inode_id = state.new_inode();
                state.entries.insert(path.to_path_buf(), inode_id);
                inode_id
            }
        };
        Ok(Box::new(self.handle(path, inode_id)))
    }

    fn open_append(&self, path: &Path) -> io::Result<Box<dyn WriteFile>> {
        let state = self.lock_alive()?;
        let inode_id = *state.entries.get(path).ok_or_else(|| not_found(path))?;
        Ok(Box::new(self.handle(path, inode_id)))
    }

    fn open_read(&self, path: &Path) -> io::Result<Box<dyn ReadFile>> {
        let state = self.lock_alive()?;
        let inode_id = *state.entries.get(path).ok_or_else(|| not_found(path))?;
        Ok(Box::new(self.handle(path, inode_id)))
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        let mut state = self.lock_alive()?;
        state.check_parent(to)?;
        let inode_id = state.entries.remove(from).ok_or_else(|| not_found(from))?;
        state.entries.insert(to.to_path_buf(), inode_id);
        Ok(())
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        let mut state = self.lock_alive()?;
        state.entries.remove(path).ok_or_else(|| not_found(path))?;
        Ok(())
    }

    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        let mut state = self.lock_alive()?;
        if !state.dirs.contains(dir) {
            return Err(not_found(dir));
        }
        state.stats.n_dir_syncs += 1;
        if state.faults.dir_sync_eio > 0 {
            state.faults.dir_sync_eio -= 1;
            return Err(eio());
        }
        state.durable_entries.retain(|path, _| path.parent() != Some(dir));
        let synced: Vec<(PathBuf, InodeId)> = state
            .entries
            .iter()
            .filter(|(path, _)| path.parent() == Some(dir))
            .map(|(path, inode_id)| (path.clone(), *inode_id))
            .collect();
        state.durable_entries.extend(synced);
        Ok(())
    }
}

/// A handle on one inode, for reading or appending.
#[derive(Debug)]
struct SimFile {
    disk: Arc<Disk>,
    generation: u64,
    inode_id: InodeId,
    path: PathBuf,
}

impl SimFile {
    fn lock_alive(&self) -> io::Result<MutexGuard<'_, DiskState>> {
        let state = self.disk.state.lock().unwrap_or_else(PoisonError::into_inner);
        check_alive(&state, self.generation)?;
        Ok(state)
    }
}

impl WriteFile for SimFile {
    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        let mut state = self.lock_alive()?;
        state.stats.n_writes += 1;
        if state.faults.write_eio > 0 {
            state.faults.write_eio -= 1;
            return Err(eio());
        }
        let n_accepted = match state.faults.write_bytes_left {
            Some(left) => left.min(bytes.len() as u64),
            None => bytes.len() as u64,
        };
        if let Some(left) = &mut state.faults.write_bytes_left {
            *left -= n_accepted;
        }
        state.stats.bytes_written += n_accepted;
        let inode = state.inode(self.inode_id);
        let old_len = inode.data.len();
        inode.data.extend_from_slice(&bytes[..n_accepted as usize]);
        inode.mark_dirty(old_len);
        if n_accepted < bytes.len() as u64 {
            let message = format!("simulated `ENOSPC` writing `{}`", self.path.display());
            return Err(io::Error::new(io::ErrorKind::StorageFull, message));
        }
        Ok(())
    }

    fn sync_data(&mut self) -> io::Result<()> {
        let mut state = self.lock_alive()?;
        state.n_syncs_waiting += 1;
        self.disk.changed.notify_all();
        while state.syncs_held && state.generation == self.generation {
            state = self.disk.changed.wait(state).unwrap_or_else(PoisonError::into_inner);
        }
        state.n_syncs_waiting -= 1;
        check_alive(&state, self.generation)?;
        state.stats.n_syncs += 1;
        if state.faults.sync_eio > 0 {
            state.faults.sync_eio -= 1;
            // fsyncgate: the kernel forgets that these bytes were dirty.
            state.inode(self.inode_id).dirty_from = None;
            return Err(eio());
        }
        state.inode(self.inode_id).make_durable();
        Ok(())
    }

    fn set_len(&mut self, len: u64) -> io::Result<()> {
        let mut state = self.lock_alive()?;
        let len = usize::try_from(len).map_err(io::Error::other)?;
        let inode = state.inode(self.inode_id);
        let old_len = inode.data.len();
        inode.data.resize(len, 0);
        inode.mark_dirty(old_len.min(len));
        Ok(())
    }
}

impl ReadFile for SimFile {
    fn file_len(&mut self) -> io::Result<u64> {
        let mut state = self.lock_alive()?;
        Ok(state.inode(self.inode_id).data.len() as u64)
    }

    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        let mut state = self.lock_alive()?;
        let data = &state.inode(self.inode_id).data;
        let Ok(offset) = usize::try_from(offset) else {
            return Ok(0);
        };
        if offset >= data.len() {
            return Ok(0);
        }
        let n_read = buf.len().min(data.len() - offset);
        buf[..n_read].copy_from_slice(&data[offset..offset + n_read]);
        Ok(n_read)
    }
}

/// A tiny deterministic PRNG (SplitMix64); the sim needs no more than this.
#[derive(Debug)]
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn coin(&mut self) -> bool {
        self.next() & 1 == 1
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[cfg(test)]
mod tests;
