//! OpenTrail's object storage: where log files, digest files and (later) the Parquet lake live.
//!
//! One [`BlobStore`] talks to one of three backends chosen by [`StoreConfig`]:
//!
//! - **local** (the embedded default): one directory per bucket under a root directory, every
//!   object a plain file, written crash-safely; layout in the `local` module's docs and in
//!   [`StoreConfig::Local`];
//! - **s3**: any S3-compatible store (AWS S3, MinIO, Garage, Ceph RGW) through `object_store`'s
//!   `AmazonS3`, one cached client per bucket;
//! - **memory**: `object_store`'s `InMemory`, one per bucket, for tests.
//!
//! All three share one contract, checked by one conformance suite: whole-object `put`
//! (overwrite allowed, never partially visible), `get`, `head`, and `list` in lexicographic
//! key order with `start_after` pagination. Objects carry [`ObjectMeta`]: content type,
//! content encoding and lower-case user metadata (`x-amz-meta-signature` is the user metadata
//! name `signature`). Names are validated identically for every backend ([`validate_key`],
//! [`validate_bucket_name`], [`validate_meta`]) so that a key that works locally works on S3.
//!
//! For tests, [`FaultyStore`] wraps any store and fails the first attempts of each operation or
//! everything while switched down; [`retry`] is the bounded, jittered retry loop callers use.
//!
//! What this crate is not: it does not know CloudTrail key layouts or file formats, never
//! deletes objects (delivered logs are write-once; there is no delete API), never creates S3
//! buckets, and does not serve HTTP.

mod adapter;
mod error;
mod faults;
mod local;
mod names;
mod retry;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;

pub use crate::error::{BoxError, Error, InjectedFault, Operation};
pub use crate::faults::{FaultPlan, FaultyStore};
pub use crate::names::{
    BUCKET_CHARS_MAX, BUCKET_CHARS_MIN, HEADER_VALUE_BYTES_MAX, KEY_BYTES_MAX,
    USER_METADATA_BYTES_MAX, USER_METADATA_HEADER_PREFIX, validate_bucket_name, validate_key,
    validate_meta, validate_prefix,
};
pub use crate::retry::{RETRY_ATTEMPTS_MAX, RetryPolicy, retry};
/// The `object_store` crate this one is built on, for callers of
/// [`BlobStore::object_store_for_bucket`] (DataFusion must use the same version).
pub use object_store;

/// This crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Largest object [`BlobStore::put`] accepts and [`BlobStore::get`] returns, in bytes.
///
/// Objects travel as one [`Bytes`] in memory. CloudTrail log files are at most 50 MB
/// compressed; digests are a few KB.
pub const OBJECT_BYTES_MAX: u64 = 1 << 30;

/// Most keys one [`BlobStore::list`] call returns (S3's page size).
pub const LIST_KEYS_MAX: usize = 1000;

/// Which backend a [`BlobStore`] uses.
#[derive(Debug, Clone)]
pub enum StoreConfig {
    /// Buckets are directories under `root`: `<root>/<bucket>/<key>` holds the object's bytes,
    /// `<root>/.meta/<bucket>/<key>` its metadata, and `<root>/.tmp/` files being written.
    /// `root` is created on the first [`BlobStore::create_bucket`].
    Local {
        /// The directory holding one directory per bucket.
        root: PathBuf,
    },
    /// Any S3-compatible store.
    S3(S3Config),
    /// Process memory; everything is lost when the last clone of the store is dropped.
    Memory,
    /// Buckets chosen by name: the first route whose patterns match a bucket serves it, and
    /// `default` serves every other bucket. Routes and the default must not be `Routed`.
    Routed {
        /// The store of buckets no route matches (OpenTrail: the embedded local store).
        default: Box<StoreConfig>,
        /// Routes, tried in order.
        routes: Vec<Route>,
    },
}

/// Buckets served by another store than the default one (see [`StoreConfig::Routed`]).
#[derive(Debug, Clone)]
pub struct Route {
    /// The route's name, used in messages (`s3 store `archive``).
    pub name: String,
    /// Bucket names, or patterns where `*` matches any run of characters.
    pub buckets: Vec<String>,
    /// The store holding those buckets.
    pub store: StoreConfig,
}

/// Whether `bucket` matches `pattern`, where `*` matches any run of characters.
pub fn bucket_matches(pattern: &str, bucket: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = bucket.strip_prefix(first) else { return false };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else { return rest.is_empty() };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// How to reach an S3-compatible store.
///
/// The secret is redacted from `Debug` output.
#[derive(Clone)]
pub struct S3Config {
    /// Endpoint URL such as `http://127.0.0.1:9000`; `None` means AWS S3 itself.
    pub endpoint: Option<String>,
    /// Region for request signing, such as `us-east-1`.
    pub region: String,
    /// Access key id.
    pub access_key_id: String,
    /// Secret access key.
    pub secret_access_key: String,
    /// Session token for temporary credentials.
    pub session_token: Option<String>,
    /// `https://<bucket>.<endpoint>/<key>` instead of path-style `https://<endpoint>/<bucket>/<key>`.
    pub virtual_hosted_style: bool,
    /// Allow `http://` endpoints (needed for local test servers; never for real S3).
    pub allow_http: bool,
}

impl std::fmt::Debug for S3Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Config")
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field("session_token", &self.session_token.as_ref().map(|_| "<redacted>"))
            .field("virtual_hosted_style", &self.virtual_hosted_style)
            .field("allow_http", &self.allow_http)
            .finish()
    }
}

/// An object's metadata as stored with it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObjectMeta {
    /// `Content-Type`. When `None` on put, S3 answers with its default on get
    /// (`binary/octet-stream` or similar); the local and memory stores answer `None`.
    pub content_type: Option<String>,
    /// `Content-Encoding`. Stored and returned as given; bodies are never decoded.
    pub content_encoding: Option<String>,
    /// User metadata: names without the `x-amz-meta-` prefix, lower-case.
    pub user: BTreeMap<String, String>,
}

/// A [`BlobStore::list`] call as the backends receive it, validated: `prefix` and `start_after`
/// are valid key prefixes, `max_keys` is 1 to [`LIST_KEYS_MAX`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct ListRequest<'a> {
    pub(crate) prefix: &'a str,
    pub(crate) start_after: Option<&'a str>,
    pub(crate) max_keys: usize,
}

/// What [`BlobStore::head`] returns: everything about an object except its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectInfo {
    /// Size in bytes.
    pub size: u64,
    /// When the object was last written.
    pub last_modified: SystemTime,
    /// The store's entity tag, if it has one (S3 and memory do; the local store does not).
    pub e_tag: Option<String>,
    /// Content type, content encoding and user metadata.
    pub meta: ObjectMeta,
}

/// What [`BlobStore::get`] returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Object {
    /// The object's bytes, exactly as put.
    pub body: Bytes,
    /// Size, time, entity tag and metadata.
    pub info: ObjectInfo,
}

/// One entry of a [`ListPage`]; listings carry no metadata, as in S3.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectSummary {
    /// The object's key.
    pub key: String,
    /// Size in bytes.
    pub size: u64,
    /// When the object was last written.
    pub last_modified: SystemTime,
    /// The store's entity tag, if it has one.
    pub e_tag: Option<String>,
}

/// One page of [`BlobStore::list`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListPage {
    /// Objects in lexicographic (byte-wise) key order.
    pub objects: Vec<ObjectSummary>,
    /// Whether more keys match after the last one in `objects`.
    pub is_truncated: bool,
}

impl ListPage {
    /// The `start_after` for the next page, or `None` when this is the last page.
    pub fn next_start_after(&self) -> Option<&str> {
        if !self.is_truncated {
            return None;
        }
        self.objects.last().map(|object| object.key.as_str())
    }
}

/// A handle to object storage. Cheap to clone; clones share per-bucket clients.
#[derive(Debug, Clone)]
pub struct BlobStore {
    stores: Arc<Stores>,
}

/// The default backend and the routed ones.
#[derive(Debug)]
struct Stores {
    default: Backend,
    routes: Vec<RoutedBackend>,
}

#[derive(Debug)]
struct RoutedBackend {
    name: String,
    buckets: Vec<String>,
    backend: Backend,
}

#[derive(Debug)]
enum Backend {
    Local(local::LocalStore),
    Adapter(adapter::AdapterStore),
    Faulty(faults::Faulty),
}

impl BlobStore {
    /// Opens a store. Does no IO: the local root is created by
    /// [`create_bucket`](Self::create_bucket), S3 clients on first use of each bucket. S3
    /// settings are checked here by building a client.
    pub fn new(config: StoreConfig) -> Result<BlobStore> {
        fn leaf(config: StoreConfig) -> Result<Backend> {
            Ok(match config {
                StoreConfig::Local { root } => Backend::Local(local::LocalStore::new(root)),
                StoreConfig::S3(s3_config) => {
                    Backend::Adapter(adapter::AdapterStore::s3(s3_config)?)
                }
                StoreConfig::Memory => Backend::Adapter(adapter::AdapterStore::memory()),
                StoreConfig::Routed { .. } => {
                    return Err(Error::Config {
                        reason: "a routed store cannot contain another routed store".to_owned(),
                    });
                }
            })
        }
        let stores = match config {
            StoreConfig::Routed { default, routes } => {
                let mut routed = Vec::with_capacity(routes.len());
                for route in routes {
                    if route.buckets.is_empty() {
                        return Err(Error::Config {
                            reason: format!("route `{}` names no bucket", route.name),
                        });
                    }
                    let backend = leaf(route.store).map_err(|err| Error::Config {
                        reason: format!("route `{}`: {err}", route.name),
                    })?;
                    routed.push(RoutedBackend {
                        name: route.name,
                        buckets: route.buckets,
                        backend,
                    });
                }
                Stores { default: leaf(*default)?, routes: routed }
            }
            config => Stores { default: leaf(config)?, routes: Vec::new() },
        };
        Ok(BlobStore { stores: Arc::new(stores) })
    }

    /// A store in process memory (cannot fail, unlike [`BlobStore::new`] with other configs).
    pub fn memory() -> BlobStore {
        BlobStore::from_backend(Backend::Adapter(adapter::AdapterStore::memory()))
    }

    fn from_backend(backend: Backend) -> BlobStore {
        BlobStore { stores: Arc::new(Stores { default: backend, routes: Vec::new() }) }
    }

    /// The backend serving `bucket`.
    fn backend(&self, bucket: &str) -> &Backend {
        self.stores
            .routes
            .iter()
            .find(|route| route.buckets.iter().any(|pattern| bucket_matches(pattern, bucket)))
            .map_or(&self.stores.default, |route| &route.backend)
    }

    /// The default backend's name: `local`, `s3`, `memory`, or `faulty(<inner>)`.
    pub fn backend_name(&self) -> String {
        backend_name(&self.stores.default)
    }

    /// Where `bucket` lives, for messages: the backend's name, and for a routed bucket the
    /// route's name (`s3 store `archive``).
    pub fn store_for(&self, bucket: &str) -> String {
        match self
            .stores
            .routes
            .iter()
            .find(|route| route.buckets.iter().any(|pattern| bucket_matches(pattern, bucket)))
        {
            Some(route) => format!("{} store `{}`", backend_name(&route.backend), route.name),
            None => format!("{} store", self.backend_name()),
        }
    }

    /// Whether OpenTrail itself holds `bucket` (the local or memory store), so it may create
    /// the bucket; false for S3, where buckets are the owner's.
    pub fn owns_bucket(&self, bucket: &str) -> bool {
        match self.backend(bucket) {
            Backend::Local(_) => true,
            Backend::Adapter(store) => store.backend_name() == "memory",
            Backend::Faulty(faulty) => faulty.inner().owns_bucket(bucket),
        }
    }

    /// Checks that objects can be written under `key` in `bucket` by writing an empty object
    /// there and deleting it again (the one delete this crate ever makes, of its own probe; a
    /// bucket that forbids deletes keeps the empty probe). Stores OpenTrail owns are writable
    /// by construction and are not probed. [`Error::AccessDenied`] means the store refused.
    pub async fn check_writable(&self, bucket: &str, key: &str) -> Result<()> {
        validate_bucket_name(bucket)?;
        validate_key(key)?;
        match self.backend(bucket) {
            Backend::Local(_) => Ok(()),
            Backend::Adapter(store) => store.check_writable(bucket, key).await,
            Backend::Faulty(faulty) => faulty.check_writable(bucket, key).await,
        }
    }

    /// Whether the bucket exists. On S3 this lists the bucket, so it needs `s3:ListBucket`.
    pub async fn bucket_exists(&self, bucket: &str) -> Result<bool> {
        validate_bucket_name(bucket)?;
        match self.backend(bucket) {
            Backend::Local(store) => store.bucket_exists(bucket).await,
            Backend::Adapter(store) => store.bucket_exists(bucket).await,
            Backend::Faulty(faulty) => faulty.bucket_exists(bucket).await,
        }
    }

    /// When the bucket was created, where the backend knows it (the local store); `None` when
    /// it does not exist or the backend does not say.
    pub async fn bucket_created(&self, bucket: &str) -> Result<Option<std::time::SystemTime>> {
        validate_bucket_name(bucket)?;
        match self.backend(bucket) {
            Backend::Local(store) => store.bucket_created(bucket).await,
            Backend::Adapter(_) | Backend::Faulty(_) => Ok(None),
        }
    }

    /// Creates a bucket; does nothing if it exists. Local and memory stores only: OpenTrail
    /// never creates S3 buckets, so S3 answers [`Error::Unsupported`].
    pub async fn create_bucket(&self, bucket: &str) -> Result<()> {
        validate_bucket_name(bucket)?;
        match self.backend(bucket) {
            Backend::Local(store) => store.create_bucket(bucket).await,
            Backend::Adapter(store) => store.create_bucket(bucket),
            Backend::Faulty(faulty) => faulty.create_bucket(bucket).await,
        }
    }

    /// Stores a whole object, replacing any object under the same key.
    ///
    /// Readers see either the old object or the new one, never a partial one. Replacing is
    /// allowed because a re-delivery after a crash writes the same key with the same bytes.
    pub async fn put(&self, bucket: &str, key: &str, body: Bytes, meta: &ObjectMeta) -> Result<()> {
        validate_bucket_name(bucket)?;
        validate_key(key)?;
        validate_meta(meta)?;
        if body.len() as u64 > OBJECT_BYTES_MAX {
            return Err(Error::ObjectTooLarge {
                bucket: bucket.to_owned(),
                key: key.to_owned(),
                size: body.len() as u64,
            });
        }
        match self.backend(bucket) {
            Backend::Local(store) => store.put(bucket, key, body, meta).await,
            Backend::Adapter(store) => store.put(bucket, key, body, meta).await,
            Backend::Faulty(faulty) => faulty.put(bucket, key, body, meta).await,
        }
    }

    /// Reads a whole object and its metadata.
    pub async fn get(&self, bucket: &str, key: &str) -> Result<Object> {
        validate_bucket_name(bucket)?;
        validate_key(key)?;
        let object = match self.backend(bucket) {
            Backend::Local(store) => store.get(bucket, key).await?,
            Backend::Adapter(store) => store.get(bucket, key).await?,
            Backend::Faulty(faulty) => faulty.get(bucket, key).await?,
        };
        // A store that answers inconsistently is an error of that call, never a panic of the
        // task that asked (delivery, validation).
        if object.body.len() as u64 != object.info.size {
            return Err(misbehaving(
                Operation::Get,
                format!("{bucket}/{key}"),
                format!("{} bytes where {} were announced", object.body.len(), object.info.size),
            ));
        }
        Ok(object)
    }

    /// Reads an object's size, time and metadata without its bytes.
    pub async fn head(&self, bucket: &str, key: &str) -> Result<ObjectInfo> {
        validate_bucket_name(bucket)?;
        validate_key(key)?;
        match self.backend(bucket) {
            Backend::Local(store) => store.head(bucket, key).await,
            Backend::Adapter(store) => store.head(bucket, key).await,
            Backend::Faulty(faulty) => faulty.head(bucket, key).await,
        }
    }

    /// Lists up to `max_keys` objects whose key starts with `prefix` and sorts after
    /// `start_after`, in lexicographic (byte-wise) key order, like S3's `ListObjectsV2` without
    /// a delimiter.
    ///
    /// `prefix` is a plain string prefix, not a directory: `a/b` matches `a/b/c` and `a/bc`.
    /// `max_keys` is clamped to [`LIST_KEYS_MAX`]; `0` returns an empty, untruncated page.
    /// Continue with [`ListPage::next_start_after`].
    pub async fn list(
        &self,
        bucket: &str,
        prefix: &str,
        start_after: Option<&str>,
        max_keys: usize,
    ) -> Result<ListPage> {
        validate_bucket_name(bucket)?;
        validate_prefix(prefix)?;
        if let Some(start_after) = start_after {
            validate_prefix(start_after)?;
        }
        let max_keys = max_keys.min(LIST_KEYS_MAX);
        if max_keys == 0 {
            // Still answer NoSuchBucket for a missing bucket.
            if !self.bucket_exists(bucket).await? {
                return Err(Error::NoSuchBucket { bucket: bucket.to_owned() });
            }
            return Ok(ListPage { objects: Vec::new(), is_truncated: false });
        }
        let request = ListRequest { prefix, start_after, max_keys };
        let page = match self.backend(bucket) {
            Backend::Local(store) => store.list(bucket, request).await?,
            Backend::Adapter(store) => store.list(bucket, request).await?,
            Backend::Faulty(faulty) => faulty.list(bucket, request).await?,
        };
        let broken = if page.objects.len() > max_keys {
            Some("more keys than asked for")
        } else if !page.objects.windows(2).all(|pair| pair[0].key < pair[1].key) {
            Some("keys out of order")
        } else if !page.objects.iter().all(|object| object.key.starts_with(prefix)) {
            Some("a key outside the prefix")
        } else if !page
            .objects
            .iter()
            .all(|object| start_after.is_none_or(|after| object.key.as_str() > after))
        {
            Some("a key not after the start")
        } else if page.is_truncated && page.objects.is_empty() {
            Some("an empty page that claims more")
        } else {
            None
        };
        if let Some(what) = broken {
            return Err(misbehaving(
                Operation::List,
                bucket.to_owned(),
                format!("listing: {what}"),
            ));
        }
        Ok(page)
    }

    /// The `object_store` view of one bucket, for DataFusion and other code that speaks
    /// `object_store` directly. It bypasses this crate: no key rules, no metadata sidecars, and
    /// on the local store no fsync. Faults of a [`FaultyStore`] do not apply to it.
    pub fn object_store_for_bucket(
        &self,
        bucket: &str,
    ) -> Result<Arc<dyn object_store::ObjectStore>> {
        validate_bucket_name(bucket)?;
        match self.backend(bucket) {
            Backend::Local(store) => store.object_store_for_bucket(bucket),
            Backend::Adapter(store) => store.object_store_for_bucket(bucket),
            Backend::Faulty(faulty) => faulty.inner().object_store_for_bucket(bucket),
        }
    }
}

fn backend_name(backend: &Backend) -> String {
    match backend {
        Backend::Local(_) => "local".to_owned(),
        Backend::Adapter(store) => store.backend_name().to_owned(),
        Backend::Faulty(faulty) => format!("faulty({})", faulty.inner().backend_name()),
    }
}

/// A store that answered something impossible: an error of that call.
fn misbehaving(operation: Operation, target: String, what: String) -> Error {
    Error::Permanent { operation, target, source: what.into() }
}

#[cfg(test)]
mod tests;
