//! Validation of bucket names, object keys and object metadata, shared by every backend.
//!
//! The rules are the intersection of what S3 accepts, what `object_store`'s `Path` represents
//! exactly, and what maps safely onto a directory tree. Checking them once, before any backend
//! runs, means a name that works against the local store also works against S3 and the other
//! way round, and that a key can never name a file outside its bucket directory.
//!
//! This module is not a parser of S3 URLs and does not know the CloudTrail key layout.

use crate::{Error, ObjectMeta, Result};

/// Longest object key, in bytes (S3's limit).
pub const KEY_BYTES_MAX: usize = 1024;

/// Longest bucket name, in characters (S3's limit); the shortest is [`BUCKET_CHARS_MIN`].
pub const BUCKET_CHARS_MAX: usize = 63;

/// Shortest bucket name, in characters (S3's limit).
pub const BUCKET_CHARS_MIN: usize = 3;

/// Largest user metadata, counted as S3 does: the bytes of every name and value, without the
/// `x-amz-meta-` prefix.
pub const USER_METADATA_BYTES_MAX: usize = 2048;

/// Longest `Content-Type` or `Content-Encoding` value, in bytes.
pub const HEADER_VALUE_BYTES_MAX: usize = 256;

/// The HTTP header prefix S3 puts in front of user metadata names.
pub const USER_METADATA_HEADER_PREFIX: &str = "x-amz-meta-";

const _: () = assert!(BUCKET_CHARS_MIN <= BUCKET_CHARS_MAX);

/// Checks a bucket name against S3's naming rules for general purpose buckets.
///
/// Names never start with `.`, which is what lets the local store keep its own `.meta` and
/// `.tmp` trees next to the bucket directories.
pub fn validate_bucket_name(bucket: &str) -> Result<()> {
    let invalid = |reason| Err(Error::InvalidBucketName { bucket: bucket.to_owned(), reason });
    let n_chars = bucket.chars().count();
    if !(BUCKET_CHARS_MIN..=BUCKET_CHARS_MAX).contains(&n_chars) {
        return invalid("must be 3 to 63 characters long");
    }
    if !bucket
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
    {
        return invalid("may only contain lower-case letters, digits, `.` and `-`");
    }
    let is_alphanumeric = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let bytes = bucket.as_bytes();
    if !is_alphanumeric(bytes[0]) || !is_alphanumeric(bytes[bytes.len() - 1]) {
        return invalid("must begin and end with a letter or digit");
    }
    if bucket.contains("..") {
        return invalid("must not contain two adjacent periods");
    }
    if looks_like_ipv4(bucket) {
        return invalid("must not be formatted as an ip address");
    }
    // `amzn-s3-demo-` is reserved by S3 for its documentation: S3 refuses to create such
    // buckets, but the names are valid, and AWS's own examples (which users paste) use them.
    for prefix in ["xn--", "sthree-"] {
        if bucket.starts_with(prefix) {
            return invalid("must not start with a prefix reserved by s3");
        }
    }
    for suffix in ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"] {
        if bucket.ends_with(suffix) {
            return invalid("must not end with a suffix reserved by s3");
        }
    }
    Ok(())
}

fn looks_like_ipv4(bucket: &str) -> bool {
    let parts: Vec<&str> = bucket.split('.').collect();
    parts.len() == 4
        && parts.iter().all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
}

/// Checks an object key.
///
/// A key is 1 to [`KEY_BYTES_MAX`] bytes of UTF-8 made of `/`-separated segments. No segment is
/// empty (so no leading, trailing or doubled `/`), `.` or `..`, and no character is an ASCII
/// control character (which includes NUL). Spaces and any non-ASCII character are fine.
/// Every CloudTrail log, digest and Insights key satisfies these rules.
pub fn validate_key(key: &str) -> Result<()> {
    let invalid = |reason| Err(Error::InvalidKey { key: key.to_owned(), reason });
    if key.is_empty() {
        return invalid("must not be empty");
    }
    if key.len() > KEY_BYTES_MAX {
        return invalid("must be at most 1024 bytes long");
    }
    if key.chars().any(|c| c.is_ascii_control()) {
        return invalid("must not contain control characters");
    }
    if key.starts_with('/') {
        return invalid("must not start with `/`");
    }
    if key.ends_with('/') {
        return invalid("must not end with `/`");
    }
    for segment in key.split('/') {
        match segment {
            "" => return invalid("must not contain an empty segment (`//`)"),
            "." | ".." => return invalid("must not contain a `.` or `..` segment"),
            _ => {}
        }
    }
    Ok(())
}

/// Checks a listing prefix: any string a key could start with, including the empty string.
pub fn validate_prefix(prefix: &str) -> Result<()> {
    let invalid = |reason| Err(Error::InvalidKey { key: prefix.to_owned(), reason });
    if prefix.len() > KEY_BYTES_MAX {
        return invalid("prefix must be at most 1024 bytes long");
    }
    if prefix.chars().any(|c| c.is_ascii_control()) {
        return invalid("prefix must not contain control characters");
    }
    Ok(())
}

/// Checks object metadata.
///
/// User metadata names are given without the `x-amz-meta-` prefix and are lower-case
/// (`[a-z0-9._-]+`): S3 lower-cases them anyway, and `aws cloudtrail validate-logs` looks
/// `signature` up by its exact lower-case name. Values, and the content type and encoding, are
/// printable ASCII without leading or trailing spaces, because HTTP would trim those spaces and
/// S3 would mangle anything else.
pub fn validate_meta(meta: &ObjectMeta) -> Result<()> {
    let invalid =
        |name: &str, reason| Err(Error::InvalidMetadata { name: name.to_owned(), reason });
    for (name, value) in
        [("content-type", &meta.content_type), ("content-encoding", &meta.content_encoding)]
    {
        if let Some(value) = value {
            if value.is_empty() {
                return invalid(name, "value must not be empty");
            }
            if value.len() > HEADER_VALUE_BYTES_MAX {
                return invalid(name, "value must be at most 256 bytes long");
            }
            if !is_header_value(value) {
                return invalid(
                    name,
                    "value must be printable ascii without leading or trailing spaces",
                );
            }
        }
    }
    let mut n_bytes = 0;
    for (name, value) in &meta.user {
        if name.is_empty() {
            return invalid(name, "name must not be empty");
        }
        if !name.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_' || b == b'.'
        }) {
            return invalid(
                name,
                "name may only contain lower-case letters, digits, `-`, `_` and `.`",
            );
        }
        if name.starts_with(USER_METADATA_HEADER_PREFIX) {
            return invalid(name, "name must be given without the `x-amz-meta-` prefix");
        }
        if value.is_empty() {
            return invalid(name, "value must not be empty");
        }
        if !is_header_value(value) {
            return invalid(
                name,
                "value must be printable ascii without leading or trailing spaces",
            );
        }
        n_bytes += name.len() + value.len();
    }
    if n_bytes > USER_METADATA_BYTES_MAX {
        return invalid("x-amz-meta-*", "user metadata must be at most 2048 bytes in total");
    }
    Ok(())
}

fn is_header_value(value: &str) -> bool {
    value.bytes().all(|b| (0x20..=0x7e).contains(&b))
        && !value.starts_with(' ')
        && !value.ends_with(' ')
}

#[cfg(test)]
mod tests;
