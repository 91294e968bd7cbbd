//! Canonical request and string to sign, built byte for byte the way AWS and botocore build
//! them.
//!
//! The canonical request is
//! `method \n uri \n query \n headers \n \n signed-headers \n payload-hash`.
//! Only this module knows its layout; [`crate::verify`] and [`crate::sign`] both call it, so
//! the signer and the verifier cannot drift apart.

use std::borrow::Cow;

use sha2::{Digest, Sha256};

use crate::{ALGORITHM, BodyHash, Request, UriEncoding};

/// The canonical request of `request`, covering the headers named in `signed_headers` (in
/// the order given, names in any case).
///
/// The query parameter `X-Amz-Signature` is always left out: it is the signature of a
/// presigned URL, and [`crate::verify`] rejects a request that has it next to an
/// `Authorization` header.
pub fn canonical_request(
    request: &Request<'_>,
    signed_headers: &[&str],
    uri_encoding: UriEncoding,
) -> String {
    let mut out = String::with_capacity(512);
    out.push_str(request.method);
    out.push('\n');
    push_canonical_uri(&mut out, request.path, uri_encoding);
    out.push('\n');
    push_canonical_query(&mut out, request.query);
    out.push('\n');
    for (header_idx, name) in signed_headers.iter().enumerate() {
        if header_idx > 0 {
            out.push('\n');
        }
        push_canonical_header(&mut out, request.headers, name);
    }
    // The header block ends with a newline of its own, then the lines are joined by one.
    out.push_str("\n\n");
    for (header_idx, name) in signed_headers.iter().enumerate() {
        if header_idx > 0 {
            out.push(';');
        }
        push_lowercase(&mut out, name);
    }
    out.push('\n');
    out.push_str(&payload_hash(&request.body_sha256));
    out
}

/// The string to sign: algorithm, request date (`YYYYMMDD'T'HHMMSS'Z'`), credential scope
/// (`date/region/service/aws4_request`) and the hex SHA-256 of the canonical request.
pub fn string_to_sign(amz_date: &str, credential_scope: &str, canonical_request: &str) -> String {
    let digest = hex::encode(Sha256::digest(canonical_request.as_bytes()));
    format!("{ALGORITHM}\n{amz_date}\n{credential_scope}\n{digest}")
}

pub(crate) fn payload_hash<'a>(body_sha256: &BodyHash<'a>) -> Cow<'a, str> {
    match body_sha256 {
        BodyHash::Compute(body) => Cow::Owned(hex::encode(Sha256::digest(body))),
        BodyHash::Given(given) => Cow::Borrowed(given),
    }
}

fn push_canonical_uri(out: &mut String, path: &str, uri_encoding: UriEncoding) {
    match uri_encoding {
        UriEncoding::Normal => {
            let normalized = remove_dot_segments(path);
            push_percent_encoded(out, normalized.as_bytes(), KeepSlash::Yes);
        }
        UriEncoding::S3 if path.is_empty() => out.push('/'),
        UriEncoding::S3 => out.push_str(path),
    }
}

/// RFC 3986 §5.2.4 dot-segment removal, also dropping empty segments (doubled slashes), as
/// botocore's `normalize_url_path` does; an empty result is `/`.
pub(crate) fn remove_dot_segments(path: &str) -> String {
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            _ => segments.push(segment),
        }
    }
    let mut out = String::with_capacity(path.len() + 1);
    if path.is_empty() || path.starts_with('/') {
        out.push('/');
    }
    out.push_str(&segments.join("/"));
    if path.ends_with('/') && !segments.is_empty() {
        out.push('/');
    }
    out
}

fn push_canonical_query(out: &mut String, query: &str) {
    let mut pairs: Vec<(String, String)> = Vec::new();
    for (key, value) in query_pairs(query) {
        if key == b"X-Amz-Signature" {
            continue;
        }
        let mut key_encoded = String::with_capacity(key.len());
        push_percent_encoded(&mut key_encoded, &key, KeepSlash::No);
        let mut value_encoded = String::with_capacity(value.len());
        push_percent_encoded(&mut value_encoded, &value, KeepSlash::No);
        pairs.push((key_encoded, value_encoded));
    }
    // Sort by encoded key, then by encoded value for repeated keys.
    pairs.sort_unstable();
    for (pair_idx, (key, value)) in pairs.iter().enumerate() {
        if pair_idx > 0 {
            out.push('&');
        }
        out.push_str(key);
        out.push('=');
        out.push_str(value);
    }
}

/// The decoded `key=value` pairs of a raw query string; a pair without `=` has an empty
/// value and empty pairs are skipped. `+` is a literal plus (RFC 3986), not a space.
pub(crate) fn query_pairs(query: &str) -> impl Iterator<Item = (Vec<u8>, Vec<u8>)> + '_ {
    query.split('&').filter(|pair| !pair.is_empty()).map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        (percent_decode(key), percent_decode(value))
    })
}

fn push_canonical_header(out: &mut String, headers: &[(&str, &str)], name: &str) {
    push_lowercase(out, name);
    out.push(':');
    let mut first = true;
    for (_, value) in
        headers.iter().filter(|(header_name, _)| header_name.eq_ignore_ascii_case(name))
    {
        if !first {
            out.push(',');
        }
        first = false;
        push_trimmed_value(out, value);
    }
}

/// Trims the value and collapses each inner run of whitespace into one space, like
/// botocore's `' '.join(value.split())` (Python's whitespace includes `\x1c`..=`\x1f`).
fn push_trimmed_value(out: &mut String, value: &str) {
    let is_whitespace = |c: char| c.is_whitespace() || ('\x1c'..='\x1f').contains(&c);
    let mut first = true;
    for word in value.split(is_whitespace).filter(|word| !word.is_empty()) {
        if !first {
            out.push(' ');
        }
        first = false;
        out.push_str(word);
    }
}

fn push_lowercase(out: &mut String, name: &str) {
    out.extend(name.chars().map(|c| c.to_ascii_lowercase()));
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeepSlash {
    Yes,
    No,
}

/// Percent-encodes every byte outside the RFC 3986 unreserved set (`A-Z a-z 0-9 - . _ ~`),
/// with upper-case hex, optionally keeping `/`.
pub(crate) fn push_percent_encoded(out: &mut String, bytes: &[u8], keep_slash: KeepSlash) {
    const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";
    for &byte in bytes {
        let unreserved = byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~');
        if unreserved || (byte == b'/' && keep_slash == KeepSlash::Yes) {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push(char::from(HEX_UPPER[usize::from(byte >> 4)]));
            out.push(char::from(HEX_UPPER[usize::from(byte & 0x0f)]));
        }
    }
}

/// Decodes `%XX` escapes; a `%` not followed by two hex digits stays a literal `%`.
pub(crate) fn percent_decode(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut byte_idx = 0;
    while byte_idx < bytes.len() {
        let byte = bytes[byte_idx];
        if byte == b'%' {
            let high = bytes.get(byte_idx + 1).and_then(|&digit| hex_value(digit));
            let low = bytes.get(byte_idx + 2).and_then(|&digit| hex_value(digit));
            if let (Some(high), Some(low)) = (high, low) {
                out.push(high << 4 | low);
                byte_idx += 3;
                continue;
            }
        }
        out.push(byte);
        byte_idx += 1;
    }
    out
}

fn hex_value(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}
