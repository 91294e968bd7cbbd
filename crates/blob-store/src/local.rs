//! The local directory store: the embedded default, one directory per bucket.
//!
//! # On-disk layout (version 1)
//!
//! ```text
//! <root>/
//!   <bucket>/<key>          the object's bytes, exactly as put: `zcat` and DataFusion read them
//!   .meta/<bucket>/<key>    the object's metadata ("sidecar"), format below
//!   .tmp/<pid>-<n>.tmp      a file being written; renamed into place when complete
//! ```
//!
//! A key's `/`-separated segments are directories, so `a/b/c.json.gz` is the file `c.json.gz` in
//! directory `<root>/<bucket>/a/b/`. Bucket names never start with `.` (S3 rules), so `.meta` and
//! `.tmp` cannot collide with a bucket, and listing a bucket never sees a sidecar or a
//! temporary file. Key rules ([`crate::validate_key`]: no empty, `.` or `..` segment, no
//! leading `/`, no control character) keep every path inside its bucket directory.
//!
//! Sidecar format: ASCII text, one line per field, each line ended by `\n`:
//!
//! ```text
//! opentrail-blob-meta 1
//! content-type: application/json
//! content-encoding: gzip
//! x-amz-meta-signature: 9f2c...
//! x-amz-meta-signature-algorithm: SHA256withRSA
//! ```
//!
//! The first line is the magic and version. `content-type` and `content-encoding` appear only
//! when set; user metadata lines follow in name order. Names and values obey
//! [`crate::validate_meta`] (printable ASCII, no line breaks), which is what makes this format
//! unambiguous; a sidecar is at most [`SIDECAR_BYTES_MAX`] bytes. A sidecar that does not parse
//! is reported as [`Error::Corrupt`]; a missing sidecar (a file copied in by hand) reads as
//! empty metadata. There is no checksum: sidecars are only ever replaced whole (below), and a
//! flipped bit in a digest's signature fails signature validation anyway.
//!
//! # Writing
//!
//! `put` first replaces the sidecar, then the object, each through one helper: write a file in
//! `.tmp/`, fsync it, create missing parent directories (fsyncing each new directory's parent),
//! rename it into place and fsync the directory it landed in. An object therefore becomes
//! visible only complete and only after its metadata; a crash leaves at most a stray temporary
//! file or a sidecar without an object, and neither is ever listed or read. A crash between the
//! two renames of an *overwrite* pairs the new metadata with the old bytes until the put is
//! repeated; OpenTrail only overwrites with identical bytes and metadata (re-delivery), so the
//! pair is still right.
//!
//! # Limits
//!
//! A key segment is at most [`SEGMENT_BYTES_MAX`] bytes (the file-name limit of Linux file
//! systems). Unlike S3, a directory tree cannot hold both `a` and `a/b`: the second put is
//! refused with [`Error::InvalidKey`]. CloudTrail's layouts never need both. The bucket
//! directory is trusted: symbolic links placed in it by hand are skipped by listings but
//! followed by `get`.

use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use durable_file::{Disk, StdDisk};

use crate::{
    Error, ListPage, ListRequest, Object, ObjectInfo, ObjectMeta, ObjectSummary, Operation, Result,
    USER_METADATA_HEADER_PREFIX, validate_meta,
};

/// Longest key segment the local store accepts, in bytes.
pub(crate) const SEGMENT_BYTES_MAX: usize = 255;

/// Largest sidecar file read back, in bytes.
pub(crate) const SIDECAR_BYTES_MAX: u64 = 8 * 1024;

const _: () = assert!(
    crate::USER_METADATA_BYTES_MAX as u64 + 2 * crate::HEADER_VALUE_BYTES_MAX as u64 + 1024
        < SIDECAR_BYTES_MAX
);

const SIDECAR_MAGIC: &str = "opentrail-blob-meta 1";
const META_DIR: &str = ".meta";
const TMP_DIR: &str = ".tmp";

/// Makes temporary file names unique within the process; the pid makes them unique across
/// processes sharing a root.
static TMP_COUNTER: AtomicU64 = AtomicU64::new(0);

#[derive(Debug)]
pub(crate) struct LocalStore {
    root: Arc<PathBuf>,
}

impl LocalStore {
    pub(crate) fn new(root: PathBuf) -> LocalStore {
        LocalStore { root: Arc::new(root) }
    }

    pub(crate) async fn bucket_exists(&self, bucket: &str) -> Result<bool> {
        let bucket_dir = self.root.join(bucket);
        blocking(Operation::BucketExists, move || Ok(bucket_dir.is_dir())).await
    }

    /// When the bucket directory was created (its birth time, or its modification time where
    /// the file system keeps no birth time); `None` if it does not exist.
    pub(crate) async fn bucket_created(
        &self,
        bucket: &str,
    ) -> Result<Option<std::time::SystemTime>> {
        let bucket_dir = self.root.join(bucket);
        blocking(Operation::BucketExists, move || {
            Ok(fs::metadata(&bucket_dir)
                .ok()
                .filter(std::fs::Metadata::is_dir)
                .and_then(|m| m.created().or_else(|_| m.modified()).ok()))
        })
        .await
    }

    pub(crate) async fn create_bucket(&self, bucket: &str) -> Result<()> {
        let root = Arc::clone(&self.root);
        let bucket = bucket.to_owned();
        blocking(Operation::CreateBucket, move || create_bucket_blocking(&root, &bucket)).await
    }

    pub(crate) async fn put(
        &self,
        bucket: &str,
        key: &str,
        body: Bytes,
        meta: &ObjectMeta,
    ) -> Result<()> {
        check_segments(key)?;
        let root = Arc::clone(&self.root);
        let bucket = bucket.to_owned();
        let key = key.to_owned();
        let sidecar = encode_sidecar(meta);
        tracing::debug!(bucket, key, n_bytes = body.len(), "local put");
        blocking(Operation::Put, move || put_blocking(&root, &bucket, &key, &body, &sidecar)).await
    }

    pub(crate) async fn get(&self, bucket: &str, key: &str) -> Result<Object> {
        let root = Arc::clone(&self.root);
        let bucket = bucket.to_owned();
        let key = key.to_owned();
        blocking(Operation::Get, move || read_blocking(&root, &bucket, &key, true)).await
    }

    pub(crate) async fn head(&self, bucket: &str, key: &str) -> Result<ObjectInfo> {
        let root = Arc::clone(&self.root);
        let bucket = bucket.to_owned();
        let key = key.to_owned();
        let object = blocking(Operation::Head, move || read_blocking(&root, &bucket, &key, false));
        Ok(object.await?.info)
    }

    pub(crate) async fn list(&self, bucket: &str, request: ListRequest<'_>) -> Result<ListPage> {
        let ListRequest { prefix, start_after, max_keys } = request;
        let bucket_dir = self.root.join(bucket);
        let bucket = bucket.to_owned();
        let prefix = prefix.to_owned();
        let start_after = start_after.map(str::to_owned);
        blocking(Operation::List, move || {
            if !bucket_dir.is_dir() {
                return Err(Error::NoSuchBucket { bucket });
            }
            let mut walk = Walk {
                prefix: &prefix,
                start_after: start_after.as_deref(),
                n_objects_max: max_keys + 1,
                objects: Vec::new(),
            };
            walk.dir(&bucket_dir, "")?;
            let mut objects = walk.objects;
            let is_truncated = objects.len() > max_keys;
            objects.truncate(max_keys);
            Ok(ListPage { objects, is_truncated })
        })
        .await
    }

    pub(crate) fn object_store_for_bucket(
        &self,
        bucket: &str,
    ) -> Result<Arc<dyn object_store::ObjectStore>> {
        let bucket_dir = self.root.join(bucket);
        if !bucket_dir.is_dir() {
            return Err(Error::NoSuchBucket { bucket: bucket.to_owned() });
        }
        let store =
            object_store::local::LocalFileSystem::new_with_prefix(&bucket_dir).map_err(|err| {
                Error::Config { reason: format!("open `{}`: {err}", bucket_dir.display()) }
            })?;
        Ok(Arc::new(store))
    }
}

/// Runs blocking file system work off the async threads.
async fn blocking<T, F>(operation: Operation, work: F) -> Result<T>
where
    F: FnOnce() -> Result<T> + Send + 'static,
    T: Send + 'static,
{
    match tokio::task::spawn_blocking(work).await {
        Ok(result) => result,
        Err(err) if err.is_panic() => std::panic::resume_unwind(err.into_panic()),
        Err(err) => {
            Err(Error::Io { operation, path: PathBuf::new(), source: io::Error::other(err) })
        }
    }
}

fn check_segments(key: &str) -> Result<()> {
    if key.split('/').any(|segment| segment.len() > SEGMENT_BYTES_MAX) {
        return Err(Error::InvalidKey {
            key: key.to_owned(),
            reason: "a segment longer than 255 bytes is not supported by the local store",
        });
    }
    Ok(())
}

fn io_error(operation: Operation, path: &Path) -> impl FnOnce(io::Error) -> Error + '_ {
    move |source| Error::Io { operation, path: path.to_owned(), source }
}

fn create_bucket_blocking(root: &Path, bucket: &str) -> Result<()> {
    let operation = Operation::CreateBucket;
    fs::create_dir_all(root).map_err(io_error(operation, root))?;
    let bucket_dir = root.join(bucket);
    match fs::create_dir(&bucket_dir) {
        Ok(()) => fsync_dir(operation, root),
        Err(err) if err.kind() == io::ErrorKind::AlreadyExists && bucket_dir.is_dir() => Ok(()),
        Err(err) => Err(io_error(operation, &bucket_dir)(err)),
    }
}

fn put_blocking(root: &Path, bucket: &str, key: &str, body: &[u8], sidecar: &str) -> Result<()> {
    let operation = Operation::Put;
    let bucket_dir = root.join(bucket);
    if !bucket_dir.is_dir() {
        return Err(Error::NoSuchBucket { bucket: bucket.to_owned() });
    }
    let tmp_dir = root.join(TMP_DIR);
    create_dirs(operation, root, TMP_DIR, key)?;
    let meta_bucket_dir = root.join(META_DIR).join(bucket);
    create_dirs(operation, root, &format!("{META_DIR}/{bucket}"), key)?;
    replace_file(&tmp_dir, &meta_bucket_dir, key, sidecar.as_bytes())?;
    replace_file(&tmp_dir, &bucket_dir, key, body)
}

/// Atomically replaces `<base>/<key>` with `bytes`: temporary file, fsync, rename, fsync dir,
/// through `durable_file`'s steps, with the temporary file in `.tmp/` (never in a bucket) and
/// the key's directories created between the write and the rename.
fn replace_file(tmp_dir: &Path, base: &Path, key: &str, bytes: &[u8]) -> Result<()> {
    let operation = Operation::Put;
    let tmp_path = tmp_dir.join(format!(
        "{}-{}.tmp",
        std::process::id(),
        TMP_COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| {
        StdDisk::new().write_synced(&tmp_path, bytes).map_err(io_error(operation, &tmp_path))?;
        let (parent_key, _) = key.rsplit_once('/').unwrap_or(("", key));
        create_dirs(operation, base, parent_key, key)?;
        let target = base.join(key);
        durable_file::rename_synced_on(&StdDisk::new(), &tmp_path, &target).map_err(|err| {
            match (err.step, err.error.kind()) {
                (
                    durable_file::Step::Rename,
                    io::ErrorKind::IsADirectory | io::ErrorKind::DirectoryNotEmpty,
                ) => conflict(key),
                _ => Error::Io { operation, path: err.path, source: err.error },
            }
        })
    })();
    if result.is_err() {
        // Best effort: a stray temporary file is harmless, it is never listed.
        let _ = fs::remove_file(&tmp_path);
    }
    result
}

fn conflict(key: &str) -> Error {
    Error::InvalidKey {
        key: key.to_owned(),
        reason: "conflicts with an existing object or key prefix (the local store cannot hold both `a` and `a/b`)",
    }
}

/// Creates the directories `<base>/<rel>` level by level, fsyncing the parent of each new one.
fn create_dirs(operation: Operation, base: &Path, rel: &str, key: &str) -> Result<()> {
    let mut dir = base.to_owned();
    for segment in rel.split('/').filter(|segment| !segment.is_empty()) {
        let parent = dir.clone();
        dir.push(segment);
        match fs::create_dir(&dir) {
            Ok(()) => fsync_dir(operation, &parent)?,
            Err(err) if err.kind() == io::ErrorKind::AlreadyExists => {
                if !dir.is_dir() {
                    return Err(conflict(key));
                }
            }
            Err(err) if err.kind() == io::ErrorKind::NotADirectory => return Err(conflict(key)),
            Err(err) => return Err(io_error(operation, &dir)(err)),
        }
    }
    Ok(())
}

fn fsync_dir(operation: Operation, dir: &Path) -> Result<()> {
    StdDisk::new().sync_dir(dir).map_err(io_error(operation, dir))
}

fn read_blocking(root: &Path, bucket: &str, key: &str, with_body: bool) -> Result<Object> {
    let operation = if with_body { Operation::Get } else { Operation::Head };
    let bucket_dir = root.join(bucket);
    if !bucket_dir.is_dir() {
        return Err(Error::NoSuchBucket { bucket: bucket.to_owned() });
    }
    let no_such_key = || Error::NoSuchKey { bucket: bucket.to_owned(), key: key.to_owned() };
    let path = bucket_dir.join(key);
    let mut file = match File::open(&path) {
        Ok(file) => file,
        Err(err)
            if matches!(
                err.kind(),
                io::ErrorKind::NotFound
                    | io::ErrorKind::NotADirectory
                    | io::ErrorKind::InvalidFilename
            ) =>
        {
            return Err(no_such_key());
        }
        Err(err) => return Err(io_error(operation, &path)(err)),
    };
    let file_meta = file.metadata().map_err(io_error(operation, &path))?;
    if !file_meta.is_file() {
        return Err(no_such_key());
    }
    let size = file_meta.len();
    if size > crate::OBJECT_BYTES_MAX {
        return Err(Error::ObjectTooLarge { bucket: bucket.to_owned(), key: key.to_owned(), size });
    }
    let last_modified = file_meta.modified().map_err(io_error(operation, &path))?;
    let body = if with_body {
        // Objects are only ever replaced by rename, never modified in place, so the open file
        // keeps the size seen above.
        let mut body = Vec::with_capacity(size as usize);
        (&mut file).take(size + 1).read_to_end(&mut body).map_err(io_error(operation, &path))?;
        if body.len() as u64 != size {
            return Err(Error::Corrupt {
                path,
                reason: format!("read `{}` bytes, expected `{size}`", body.len()),
            });
        }
        Bytes::from(body)
    } else {
        Bytes::new()
    };
    let meta = read_sidecar(operation, &root.join(META_DIR).join(bucket).join(key))?;
    Ok(Object { body, info: ObjectInfo { size, last_modified, e_tag: None, meta } })
}

fn read_sidecar(operation: Operation, path: &Path) -> Result<ObjectMeta> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(ObjectMeta::default()),
        Err(err) => return Err(io_error(operation, path)(err)),
    };
    let mut bytes = Vec::new();
    file.take(SIDECAR_BYTES_MAX + 1).read_to_end(&mut bytes).map_err(io_error(operation, path))?;
    if bytes.len() as u64 > SIDECAR_BYTES_MAX {
        return Err(Error::Corrupt {
            path: path.to_owned(),
            reason: "sidecar is too large".into(),
        });
    }
    decode_sidecar(&bytes).map_err(|reason| Error::Corrupt { path: path.to_owned(), reason })
}

pub(crate) fn encode_sidecar(meta: &ObjectMeta) -> String {
    let mut text = format!("{SIDECAR_MAGIC}\n");
    if let Some(content_type) = &meta.content_type {
        text.push_str(&format!("content-type: {content_type}\n"));
    }
    if let Some(content_encoding) = &meta.content_encoding {
        text.push_str(&format!("content-encoding: {content_encoding}\n"));
    }
    for (name, value) in &meta.user {
        text.push_str(&format!("{USER_METADATA_HEADER_PREFIX}{name}: {value}\n"));
    }
    text
}

pub(crate) fn decode_sidecar(bytes: &[u8]) -> Result<ObjectMeta, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "sidecar is not utf-8".to_owned())?;
    let Some(body) = text.strip_suffix('\n') else {
        return Err("sidecar does not end with a line break".to_owned());
    };
    let mut lines = body.split('\n');
    let magic = lines.next().unwrap_or_default();
    if magic != SIDECAR_MAGIC {
        return Err(format!("unknown sidecar header `{magic}`"));
    }
    let mut meta = ObjectMeta::default();
    for line in lines {
        let Some((name, value)) = line.split_once(": ") else {
            return Err(format!("line `{line}` is not `name: value`"));
        };
        let duplicate = match name {
            "content-type" => meta.content_type.replace(value.to_owned()).is_some(),
            "content-encoding" => meta.content_encoding.replace(value.to_owned()).is_some(),
            _ => match name.strip_prefix(USER_METADATA_HEADER_PREFIX) {
                Some(user_name) => {
                    meta.user.insert(user_name.to_owned(), value.to_owned()).is_some()
                }
                None => return Err(format!("unknown sidecar field `{name}`")),
            },
        };
        if duplicate {
            return Err(format!("duplicate sidecar field `{name}`"));
        }
    }
    validate_meta(&meta).map_err(|err| err.to_string())?;
    Ok(meta)
}

/// A depth-first walk of a bucket directory that yields keys in lexicographic order.
///
/// Byte-wise key order is not the order of a walk that sorts each directory's entries by
/// name: `a-c` sorts before `a/b` (`-` < `/`) although `a` sorts before `a-c`. Sorting each
/// directory's entries by their key *with* a trailing `/` for directories gives exactly key
/// order, because every key below directory `d` starts with `d/`. The same observation lets
/// the walk skip whole directories that lie before `start_after` or outside `prefix`, and stop
/// at the first entry past the prefix's range.
struct Walk<'a> {
    prefix: &'a str,
    start_after: Option<&'a str>,
    n_objects_max: usize,
    objects: Vec<ObjectSummary>,
}

enum Flow {
    Continue,
    Stop,
}

impl Walk<'_> {
    fn dir(&mut self, dir: &Path, dir_key: &str) -> Result<Flow> {
        let operation = Operation::List;
        let mut entries = Vec::new();
        for entry in fs::read_dir(dir).map_err(io_error(operation, dir))? {
            let entry = entry.map_err(io_error(operation, dir))?;
            let file_type = entry.file_type().map_err(io_error(operation, &entry.path()))?;
            // Names that no valid key could have (not UTF-8, control characters) were not
            // written by this crate; skip them like symbolic links and special files.
            let Ok(name) = entry.file_name().into_string() else { continue };
            if name.chars().any(|c| c.is_ascii_control()) {
                continue;
            }
            if file_type.is_dir() {
                entries.push((format!("{dir_key}{name}/"), entry.path(), true));
            } else if file_type.is_file() {
                entries.push((format!("{dir_key}{name}"), entry.path(), false));
            }
        }
        entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        for (key, path, is_dir) in entries {
            let overlaps_prefix = key.starts_with(self.prefix) || self.prefix.starts_with(&key);
            if !overlaps_prefix {
                if key.as_str() > self.prefix {
                    return Ok(Flow::Stop);
                }
                continue;
            }
            if is_dir {
                let all_before_start = self
                    .start_after
                    .is_some_and(|after| after > key.as_str() && !after.starts_with(&key));
                if all_before_start {
                    continue;
                }
                if let Flow::Stop = self.dir(&path, &key)? {
                    return Ok(Flow::Stop);
                }
                continue;
            }
            if !key.starts_with(self.prefix)
                || self.start_after.is_some_and(|after| key.as_str() <= after)
            {
                continue;
            }
            let file_meta = match fs::metadata(&path) {
                Ok(file_meta) => file_meta,
                // Cannot happen today (nothing deletes), but a listing racing a future delete
                // should not fail.
                Err(err) if err.kind() == io::ErrorKind::NotFound => continue,
                Err(err) => return Err(io_error(operation, &path)(err)),
            };
            let last_modified = file_meta.modified().map_err(io_error(operation, &path))?;
            self.objects.push(ObjectSummary {
                key,
                size: file_meta.len(),
                last_modified,
                e_tag: None,
            });
            if self.objects.len() == self.n_objects_max {
                return Ok(Flow::Stop);
            }
        }
        Ok(Flow::Continue)
    }
}

#[cfg(test)]
mod tests;
