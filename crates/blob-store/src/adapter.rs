//! The S3 and memory backends: this crate's contract on top of `object_store`.
//!
//! Each bucket gets its own `object_store` client (an `AmazonS3` or an `InMemory`), built on
//! first use and cached. This module turns [`ObjectMeta`] into `object_store` attributes and
//! back, turns `object_store`'s directory-style listing into S3's plain string-prefix listing
//! with `start_after`, and sorts `object_store` errors into this crate's variants.
//!
//! It is not a general `object_store` wrapper: multipart uploads, ranges, conditional requests
//! and deletes are not offered (save the delete of `check_writable`'s own empty probe).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use futures::StreamExt;
use object_store::aws::AmazonS3Builder;
use object_store::memory::InMemory;
use object_store::path::Path;
use object_store::{
    Attribute, Attributes, BackoffConfig, ClientOptions, GetOptions, ObjectStore, ObjectStoreExt,
    PutOptions, PutPayload, RetryConfig,
};

use crate::{
    BoxError, Error, ListPage, ListRequest, Object, ObjectInfo, ObjectMeta, ObjectSummary,
    Operation, Result, S3Config,
};

/// Most per-bucket S3 clients kept; past this, clients are built per call (never expected:
/// OpenTrail writes to a handful of trail buckets).
const S3_CLIENTS_MAX: usize = 256;

/// `object_store` retries 5xx, throttling and connection errors itself; keep that layer short
/// so that [`crate::retry`] in the caller, with its own bounds, decides how long to persist.
const S3_RETRIES_MAX: usize = 2;
const S3_RETRY_TIMEOUT: Duration = Duration::from_secs(10);
const S3_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Per request, including the body: generous for a 50 MB log file on a slow link.
const S3_REQUEST_TIMEOUT: Duration = Duration::from_secs(120);

#[derive(Debug)]
pub(crate) struct AdapterStore {
    kind: Kind,
    /// Memory: the buckets that exist. S3: a cache of clients.
    buckets: Mutex<HashMap<String, Arc<dyn ObjectStore>>>,
}

#[derive(Debug)]
enum Kind {
    Memory,
    S3(S3Config),
}

impl AdapterStore {
    pub(crate) fn memory() -> AdapterStore {
        AdapterStore { kind: Kind::Memory, buckets: Mutex::new(HashMap::new()) }
    }

    pub(crate) fn s3(config: S3Config) -> Result<AdapterStore> {
        if config.region.is_empty() {
            return Err(Error::Config { reason: "s3 region must not be empty".to_owned() });
        }
        if let Some(endpoint) = &config.endpoint {
            check_endpoint(endpoint, config.allow_http)?;
        }
        // Building a client does no IO; doing it now reports bad settings at start-up rather
        // than at the first delivery.
        build_s3(&config, "opentrail-config-check")?;
        Ok(AdapterStore { kind: Kind::S3(config), buckets: Mutex::new(HashMap::new()) })
    }

    pub(crate) fn backend_name(&self) -> &'static str {
        match self.kind {
            Kind::Memory => "memory",
            Kind::S3(_) => "s3",
        }
    }

    /// The client for a bucket. Memory answers `NoSuchBucket` here; S3 finds out on the
    /// first request.
    fn client(&self, bucket: &str) -> Result<Arc<dyn ObjectStore>> {
        let mut buckets = self.buckets.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(client) = buckets.get(bucket) {
            return Ok(Arc::clone(client));
        }
        match &self.kind {
            Kind::Memory => Err(Error::NoSuchBucket { bucket: bucket.to_owned() }),
            Kind::S3(config) => {
                let client: Arc<dyn ObjectStore> = Arc::new(build_s3(config, bucket)?);
                if buckets.len() < S3_CLIENTS_MAX {
                    buckets.insert(bucket.to_owned(), Arc::clone(&client));
                }
                Ok(client)
            }
        }
    }

    pub(crate) async fn bucket_exists(&self, bucket: &str) -> Result<bool> {
        if let Kind::Memory = self.kind {
            let buckets = self.buckets.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            return Ok(buckets.contains_key(bucket));
        }
        let client = self.client(bucket)?;
        // There is no HeadBucket in object_store; listing answers NoSuchBucket just as well.
        let first = client.list(None).next().await;
        match first {
            None | Some(Ok(_)) => Ok(true),
            Some(Err(err)) => match classify(&err) {
                Class::NoSuchBucket | Class::NotFound => Ok(false),
                _ => Err(to_error(err, Operation::BucketExists, bucket, None)),
            },
        }
    }

    pub(crate) fn create_bucket(&self, bucket: &str) -> Result<()> {
        match self.kind {
            Kind::Memory => {
                let mut buckets =
                    self.buckets.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                buckets.entry(bucket.to_owned()).or_insert_with(|| Arc::new(InMemory::new()));
                Ok(())
            }
            Kind::S3(_) => {
                Err(Error::Unsupported { operation: Operation::CreateBucket, backend: "s3" })
            }
        }
    }

    pub(crate) async fn put(
        &self,
        bucket: &str,
        key: &str,
        body: Bytes,
        meta: &ObjectMeta,
    ) -> Result<()> {
        let client = self.client(bucket)?;
        let options = PutOptions { attributes: to_attributes(meta), ..PutOptions::default() };
        tracing::debug!(bucket, key, n_bytes = body.len(), backend = self.backend_name(), "put");
        match client.put_opts(&to_path(key), PutPayload::from(body), options).await {
            Ok(_) => Ok(()),
            Err(err) => Err(to_error(err, Operation::Put, bucket, Some(key))),
        }
    }

    /// Puts an empty object at `key` and deletes it again; see
    /// [`crate::BlobStore::check_writable`].
    pub(crate) async fn check_writable(&self, bucket: &str, key: &str) -> Result<()> {
        let client = self.client(bucket)?;
        let path = to_path(key);
        if let Err(err) = client.put(&path, PutPayload::new()).await {
            return Err(to_error(err, Operation::Put, bucket, Some(key)));
        }
        if let Err(err) = client.delete(&path).await {
            tracing::warn!(bucket, key, %err, "the empty write-check object could not be deleted; it stays in the bucket");
        }
        Ok(())
    }

    pub(crate) async fn get(&self, bucket: &str, key: &str) -> Result<Object> {
        let operation = Operation::Get;
        let client = self.client(bucket)?;
        let result = match client.get_opts(&to_path(key), GetOptions::default()).await {
            Ok(result) => result,
            Err(err) => return Err(self.not_found_or(err, operation, bucket, key).await),
        };
        let info = to_info(&result.meta, &result.attributes, bucket, key)?;
        let body = match result.bytes().await {
            Ok(body) => body,
            Err(err) => return Err(self.not_found_or(err, operation, bucket, key).await),
        };
        if body.len() as u64 != info.size {
            let message = format!("body is `{}` bytes, expected `{}`", body.len(), info.size);
            return Err(Error::Transient {
                operation,
                target: format!("{bucket}/{key}"),
                source: BoxError::from(message),
            });
        }
        Ok(Object { body, info })
    }

    pub(crate) async fn head(&self, bucket: &str, key: &str) -> Result<ObjectInfo> {
        let client = self.client(bucket)?;
        // `head: true` sends a HEAD request and, unlike `ObjectStore::head`, keeps the
        // attributes (user metadata) of the response.
        let options = GetOptions { head: true, ..GetOptions::default() };
        match client.get_opts(&to_path(key), options).await {
            Ok(result) => to_info(&result.meta, &result.attributes, bucket, key),
            Err(err) => Err(self.not_found_or(err, Operation::Head, bucket, key).await),
        }
    }

    pub(crate) async fn list(&self, bucket: &str, request: ListRequest<'_>) -> Result<ListPage> {
        let ListRequest { prefix, start_after, max_keys } = request;
        let operation = Operation::List;
        let client = self.client(bucket)?;
        let empty = ListPage { objects: Vec::new(), is_truncated: false };
        // object_store lists whole `/`-separated segments: list the directory part of the
        // prefix and filter by the full prefix here.
        let dir = prefix.rfind('/').map_or("", |slash_idx| &prefix[..slash_idx]);
        let dir_path = match Path::parse(dir) {
            Ok(path) if path.as_ref() == dir => (!dir.is_empty()).then_some(path),
            // No valid key starts with this prefix (it has an empty, `.` or `..` segment).
            _ => {
                return match self.bucket_exists(bucket).await? {
                    true => Ok(empty),
                    false => Err(Error::NoSuchBucket { bucket: bucket.to_owned() }),
                };
            }
        };
        let offset = list_offset(prefix, start_after);
        let mut stream = match &offset {
            Some(offset) => client.list_with_offset(dir_path.as_ref(), offset),
            None => client.list(dir_path.as_ref()),
        };
        let mut objects: Vec<ObjectSummary> = Vec::new();
        let mut key_last: Option<String> = None;
        while let Some(item) = stream.next().await {
            let object_meta = item.map_err(|err| to_error(err, operation, bucket, None))?;
            let key = object_meta.location.as_ref();
            // S3 lists in byte-wise order and this loop relies on it to stop early; a store
            // that does not is refused rather than silently paginated wrong.
            if let Some(key_last) = key_last.as_deref()
                && key <= key_last
            {
                let message = format!("store listed `{key}` after `{key_last}`: not in key order");
                return Err(Error::Permanent {
                    operation,
                    target: bucket.to_owned(),
                    source: BoxError::from(message),
                });
            }
            key_last = Some(key.to_owned());
            if !key.starts_with(prefix) {
                if key > prefix {
                    break;
                }
                continue;
            }
            if start_after.is_some_and(|start_after| key <= start_after) {
                continue;
            }
            objects.push(ObjectSummary {
                key: key.to_owned(),
                size: object_meta.size,
                last_modified: SystemTime::from(object_meta.last_modified),
                e_tag: object_meta.e_tag.clone(),
            });
            if objects.len() > max_keys {
                break;
            }
        }
        let is_truncated = objects.len() > max_keys;
        objects.truncate(max_keys);
        Ok(ListPage { objects, is_truncated })
    }

    pub(crate) fn object_store_for_bucket(&self, bucket: &str) -> Result<Arc<dyn ObjectStore>> {
        self.client(bucket)
    }

    /// Maps an error of `get` or `head`. A 404 without an S3 error code (HEAD responses have
    /// no body) does not say whether the bucket or the key is missing, so ask.
    async fn not_found_or(
        &self,
        err: object_store::Error,
        operation: Operation,
        bucket: &str,
        key: &str,
    ) -> Error {
        if classify(&err) != Class::NotFound {
            return to_error(err, operation, bucket, Some(key));
        }
        match self.bucket_exists(bucket).await {
            Ok(false) => Error::NoSuchBucket { bucket: bucket.to_owned() },
            Ok(true) | Err(_) => {
                Error::NoSuchKey { bucket: bucket.to_owned(), key: key.to_owned() }
            }
        }
    }
}

fn build_s3(config: &S3Config, bucket: &str) -> Result<object_store::aws::AmazonS3> {
    let retry = RetryConfig {
        backoff: BackoffConfig {
            init_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(1),
            base: 2.0,
        },
        max_retries: S3_RETRIES_MAX,
        retry_timeout: S3_RETRY_TIMEOUT,
    };
    let client_options = ClientOptions::new()
        .with_allow_http(config.allow_http)
        .with_connect_timeout(S3_CONNECT_TIMEOUT)
        .with_timeout(S3_REQUEST_TIMEOUT);
    let mut builder = AmazonS3Builder::new()
        .with_bucket_name(bucket)
        .with_region(&config.region)
        .with_access_key_id(&config.access_key_id)
        .with_secret_access_key(&config.secret_access_key)
        .with_virtual_hosted_style_request(config.virtual_hosted_style)
        .with_retry(retry)
        .with_client_options(client_options);
    if let Some(session_token) = &config.session_token {
        builder = builder.with_token(session_token);
    }
    if let Some(endpoint) = &config.endpoint {
        let endpoint = match config.virtual_hosted_style {
            true => virtual_hosted_endpoint(endpoint, bucket)?,
            false => endpoint.clone(),
        };
        builder = builder.with_endpoint(endpoint);
    }
    builder.build().map_err(|err| Error::Config {
        reason: format!("build s3 client for bucket `{bucket}`: {err}"),
    })
}

/// Checks what object_store would only find out at the first request.
pub(crate) fn check_endpoint(endpoint: &str, allow_http: bool) -> Result<()> {
    let invalid =
        |reason: &str| Err(Error::Config { reason: format!("s3 endpoint `{endpoint}` {reason}") });
    let rest = if let Some(rest) = endpoint.strip_prefix("https://") {
        rest
    } else if let Some(rest) = endpoint.strip_prefix("http://") {
        if !allow_http {
            return invalid("is plain http, which needs `allow_http`");
        }
        rest
    } else {
        return invalid("must start with `http://` or `https://`");
    };
    let host = rest.split('/').next().unwrap_or_default();
    if host.is_empty() || endpoint.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return invalid("is not a url");
    }
    Ok(())
}

/// `http://host:9000` → `http://<bucket>.host:9000`: object_store wants the bucket in a custom
/// endpoint when virtual-hosted-style requests are on, but the endpoint is configured once
/// for all buckets.
pub(crate) fn virtual_hosted_endpoint(endpoint: &str, bucket: &str) -> Result<String> {
    let Some((scheme, rest)) = endpoint.split_once("://") else {
        return Err(Error::Config { reason: format!("s3 endpoint `{endpoint}` has no scheme") });
    };
    Ok(format!("{scheme}://{bucket}.{rest}"))
}

fn to_path(key: &str) -> Path {
    // validate_key's rules are exactly those of Path::parse minus its leading/trailing `/`
    // stripping, which validate_key forbids; so this cannot fail or change the key.
    let path = Path::parse(key).expect("validated key parses as an object_store path");
    assert_eq!(path.as_ref(), key);
    path
}

/// The exclusive lower bound to start listing after, as an exact `Path`, or `None`.
///
/// Keys matching `prefix` sort at or after it, so any proper prefix of `prefix` is a valid
/// bound; `start_after` is one if it is larger. A bound that `Path` cannot represent exactly
/// (say `a/` with its trailing `/`) is shortened to a proper prefix that it can; the loop in
/// `list` filters out whatever the weaker bound lets through.
pub(crate) fn list_offset(prefix: &str, start_after: Option<&str>) -> Option<Path> {
    let below_prefix = prefix.char_indices().next_back().map(|(last_idx, _)| &prefix[..last_idx]);
    let bound = match (below_prefix, start_after) {
        (Some(below_prefix), Some(start_after)) => below_prefix.max(start_after),
        (Some(bound), None) | (None, Some(bound)) => bound,
        (None, None) => return None,
    };
    let mut bound = bound;
    loop {
        if bound.is_empty() {
            return None;
        }
        if let Ok(path) = Path::parse(bound)
            && path.as_ref() == bound
        {
            return Some(path);
        }
        bound = match bound.rfind('/') {
            Some(slash_idx) => &bound[..slash_idx],
            None => return None,
        };
    }
}

fn to_attributes(meta: &ObjectMeta) -> Attributes {
    let mut attributes = Attributes::new();
    if let Some(content_type) = &meta.content_type {
        attributes.insert(Attribute::ContentType, content_type.clone().into());
    }
    if let Some(content_encoding) = &meta.content_encoding {
        attributes.insert(Attribute::ContentEncoding, content_encoding.clone().into());
    }
    for (name, value) in &meta.user {
        attributes.insert(Attribute::Metadata(name.clone().into()), value.clone().into());
    }
    attributes
}

fn to_info(
    object_meta: &object_store::ObjectMeta,
    attributes: &Attributes,
    bucket: &str,
    key: &str,
) -> Result<ObjectInfo> {
    if object_meta.size > crate::OBJECT_BYTES_MAX {
        return Err(Error::ObjectTooLarge {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            size: object_meta.size,
        });
    }
    let mut meta = ObjectMeta::default();
    for (attribute, value) in attributes {
        match attribute {
            Attribute::ContentType => meta.content_type = Some(value.to_string()),
            Attribute::ContentEncoding => meta.content_encoding = Some(value.to_string()),
            // HTTP header names arrive lower-case; lower-casing again keeps memory and S3 alike
            // should a store ever hand back another case.
            Attribute::Metadata(name) => {
                meta.user.insert(name.to_ascii_lowercase(), value.to_string());
            }
            _ => {}
        }
    }
    Ok(ObjectInfo {
        size: object_meta.size,
        last_modified: SystemTime::from(object_meta.last_modified),
        e_tag: object_meta.e_tag.clone(),
        meta,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    NoSuchBucket,
    NoSuchKey,
    /// A 404 that does not say what is missing.
    NotFound,
    Transient,
    AccessDenied,
    Permanent,
}

/// Sorts an `object_store` error. object_store keeps the HTTP status and the S3 error body
/// only in its messages (its retry error type is private), so those are read from the text.
fn classify(err: &object_store::Error) -> Class {
    let text = chain_text(err);
    if text.contains("<Code>NoSuchBucket</Code>") {
        return Class::NoSuchBucket;
    }
    if text.contains("<Code>NoSuchKey</Code>") {
        return Class::NoSuchKey;
    }
    if let object_store::Error::NotFound { .. } = err {
        return Class::NotFound;
    }
    if matches!(
        err,
        object_store::Error::PermissionDenied { .. } | object_store::Error::Unauthenticated { .. }
    ) || text.contains("<Code>AccessDenied</Code>")
    {
        return Class::AccessDenied;
    }
    match status_in_text(&text) {
        Some(404) => return Class::NotFound,
        Some(401 | 403) => return Class::AccessDenied,
        Some(408 | 429 | 500..=599) => return Class::Transient,
        Some(_) => return Class::Permanent,
        None => {}
    }
    // A 200 response whose body is an S3 error (S3 does this for internal errors).
    if text.contains("Server returned error response") {
        return Class::Transient;
    }
    if has_http_error(err) {
        return Class::Transient;
    }
    Class::Permanent
}

fn to_error(
    err: object_store::Error,
    operation: Operation,
    bucket: &str,
    key: Option<&str>,
) -> Error {
    let target = match key {
        Some(key) => format!("{bucket}/{key}"),
        None => bucket.to_owned(),
    };
    match classify(&err) {
        Class::NoSuchBucket => Error::NoSuchBucket { bucket: bucket.to_owned() },
        Class::NoSuchKey | Class::NotFound => match (operation, key) {
            (Operation::Get | Operation::Head, Some(key)) => {
                Error::NoSuchKey { bucket: bucket.to_owned(), key: key.to_owned() }
            }
            // A put, or an operation without a key, cannot miss a key: the bucket is missing.
            _ => Error::NoSuchBucket { bucket: bucket.to_owned() },
        },
        Class::Transient => Error::Transient { operation, target, source: Box::new(err) },
        Class::AccessDenied => Error::AccessDenied { operation, target, source: Box::new(err) },
        Class::Permanent => Error::Permanent { operation, target, source: Box::new(err) },
    }
}

fn chain_text(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(err) = source {
        text.push_str(": ");
        text.push_str(&err.to_string());
        source = err.source();
    }
    text
}

fn has_http_error(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(err) = source {
        if err.downcast_ref::<object_store::client::HttpError>().is_some() {
            return true;
        }
        source = err.source();
    }
    false
}

/// The status in object_store's `... non-2xx status code: 503 Service Unavailable ...`.
pub(crate) fn status_in_text(text: &str) -> Option<u16> {
    let (_, after) = text.split_once("status code: ")?;
    let digits = after.get(..3)?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

#[cfg(test)]
mod tests;
