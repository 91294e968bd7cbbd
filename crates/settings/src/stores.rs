//! `[[s3_stores]]`: the S3-compatible stores that hold trail buckets, validated.
//!
//! A trail names only a bucket (`S3BucketName`, as in AWS). Which store holds that bucket is
//! the operator's decision, written here: the first store whose `buckets` patterns match it, in
//! file order, and otherwise the embedded local store.

use std::collections::BTreeMap;
use std::fmt;

use cloudtrail_model::arn::is_region;

use crate::error::Problem;
use crate::identity::Secret;
use crate::limits;
use crate::schema::S3StoreV1;

/// How requests name the bucket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Addressing {
    /// `<endpoint>/<bucket>/<key>`.
    Path,
    /// `<bucket>.<host>/<key>`.
    Virtual,
}

/// One validated `[[s3_stores]]` entry.
#[derive(Clone, PartialEq, Eq)]
pub struct S3Store {
    /// Unique; `[a-z0-9-]`, 1 to 64 characters.
    pub name: String,
    /// `None` for AWS S3 itself.
    pub endpoint: Option<String>,
    /// The signing region.
    pub region: String,
    /// The access key id requests are signed with.
    pub access_key_id: String,
    /// Its secret (redacted from `Debug`).
    pub secret_access_key: Secret,
    /// A session token for temporary credentials (redacted from `Debug`).
    pub session_token: Option<Secret>,
    /// Path or virtual-host style.
    pub addressing: Addressing,
    /// Bucket names and `*` patterns.
    pub buckets: Vec<String>,
}

impl fmt::Debug for S3Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Store")
            .field("name", &self.name)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &self.secret_access_key)
            .field("session_token", &self.session_token)
            .field("addressing", &self.addressing)
            .field("buckets", &self.buckets)
            .finish()
    }
}

impl S3Store {
    /// Whether `endpoint` is plain `http://` (local test servers; never AWS S3).
    pub fn is_plain_http(&self) -> bool {
        self.endpoint.as_deref().is_some_and(|endpoint| endpoint.starts_with("http://"))
    }
}

/// Validates the `[[s3_stores]]` list, pushing every problem found.
pub(crate) fn s3_stores_of(stores: Vec<S3StoreV1>, problems: &mut Vec<Problem>) -> Vec<S3Store> {
    if stores.len() > limits::S3_STORES_MAX {
        problems.push(Problem::rule(
            "s3_stores",
            format!("has {} stores; at most {} are allowed", stores.len(), limits::S3_STORES_MAX),
        ));
    }
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    let mut exact_buckets: BTreeMap<String, String> = BTreeMap::new();
    let mut valid = Vec::new();
    for (store_idx, store) in stores.into_iter().enumerate() {
        let path = format!("s3_stores[{store_idx}]");
        let n_problems = problems.len();
        let name_ok = (1..=limits::S3_STORE_NAME_CHARS_MAX).contains(&store.name.chars().count())
            && store
                .name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !name_ok {
            problems.push(Problem::rule(
                format!("{path}.name"),
                format!(
                    "= `{}` must be 1 to {} characters of a-z, 0-9 and `-`",
                    store.name.escape_debug(),
                    limits::S3_STORE_NAME_CHARS_MAX
                ),
            ));
        } else if let Some(first) = names.get(&store.name) {
            problems.push(Problem::rule(
                format!("{path}.name"),
                format!("= `{}` is already used by `{first}`", store.name),
            ));
        } else {
            names.insert(store.name.clone(), path.clone());
        }
        if let Some(endpoint) = &store.endpoint {
            let rest =
                endpoint.strip_prefix("https://").or_else(|| endpoint.strip_prefix("http://"));
            let host = rest.map(|rest| rest.split('/').next().unwrap_or_default());
            let ok = host.is_some_and(|host| !host.is_empty())
                && endpoint.chars().count() <= limits::S3_ENDPOINT_CHARS_MAX
                && !endpoint.chars().any(|c| c.is_whitespace() || c.is_control());
            if !ok {
                problems.push(Problem::rule(
                    format!("{path}.endpoint"),
                    format!(
                        "= `{}` must be an `http://` or `https://` URL like `http://127.0.0.1:9000` (at most {} characters); leave it out for AWS S3",
                        endpoint.escape_debug(),
                        limits::S3_ENDPOINT_CHARS_MAX
                    ),
                ));
            }
        }
        if !is_region(&store.region) {
            problems.push(Problem::rule(
                format!("{path}.region"),
                format!(
                    "= `{}` must be a region name like `us-east-1`",
                    store.region.escape_debug()
                ),
            ));
        }
        let mut text_rule = |key: &str, value: &str, max: usize, shown: bool| {
            let n_chars = value.chars().count();
            if n_chars == 0 || n_chars > max || value.chars().any(char::is_control) {
                let value =
                    if shown { format!("= `{}` ", value.escape_debug()) } else { String::new() };
                problems.push(Problem::rule(
                    format!("{path}.{key}"),
                    format!("{value}must be 1 to {max} characters without control characters"),
                ));
            }
        };
        text_rule("access_key_id", &store.access_key_id, limits::S3_ACCESS_KEY_ID_CHARS_MAX, true);
        text_rule(
            "secret_access_key",
            &store.secret_access_key,
            limits::S3_SECRET_CHARS_MAX,
            false,
        );
        if let Some(token) = &store.session_token {
            text_rule("session_token", token, limits::S3_SESSION_TOKEN_CHARS_MAX, false);
        }
        let addressing = match store.addressing.as_deref() {
            None if store.endpoint.is_some() => Addressing::Path,
            None => Addressing::Virtual,
            Some("path") => Addressing::Path,
            Some("virtual") => Addressing::Virtual,
            Some(other) => {
                problems.push(Problem::rule(
                    format!("{path}.addressing"),
                    format!("= `{}` must be `path` or `virtual`", other.escape_debug()),
                ));
                Addressing::Path
            }
        };
        if store.buckets.is_empty() || store.buckets.len() > limits::S3_BUCKETS_PER_STORE_MAX {
            problems.push(Problem::rule(
                format!("{path}.buckets"),
                format!(
                    "must list 1 to {} bucket names or patterns",
                    limits::S3_BUCKETS_PER_STORE_MAX
                ),
            ));
        }
        for (bucket_idx, bucket) in store.buckets.iter().enumerate() {
            let bucket_path = format!("{path}.buckets[{bucket_idx}]");
            let n_chars = bucket.chars().count();
            let ok = (1..=limits::S3_BUCKET_PATTERN_CHARS_MAX).contains(&n_chars)
                && bucket.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'*')
                });
            if !ok {
                problems.push(Problem::rule(
                    bucket_path,
                    format!(
                        "= `{}` must be an S3 bucket name or a pattern with `*`: 1 to {} characters of a-z, 0-9, `.`, `-` and `*`",
                        bucket.escape_debug(),
                        limits::S3_BUCKET_PATTERN_CHARS_MAX
                    ),
                ));
            } else if !bucket.contains('*') {
                if let Some(first) = exact_buckets.get(bucket) {
                    problems.push(Problem::rule(
                        bucket_path,
                        format!("= `{bucket}` is already routed by `{first}`"),
                    ));
                } else {
                    exact_buckets.insert(bucket.clone(), bucket_path);
                }
            }
        }
        if problems.len() == n_problems {
            valid.push(S3Store {
                name: store.name,
                endpoint: store.endpoint,
                region: store.region,
                access_key_id: store.access_key_id,
                secret_access_key: Secret::new(store.secret_access_key),
                session_token: store.session_token.map(Secret::new),
                addressing,
                buckets: store.buckets,
            });
        }
    }
    valid
}
