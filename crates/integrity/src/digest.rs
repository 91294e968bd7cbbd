//! Digest files as `aws cloudtrail validate-logs` reads them (`../shared/spec/integrity.md`
//! §§2–5): the object key, the JSON document, the string that is signed, and the signed,
//! gzipped result. The JSON is written once, hashed and signed as those exact bytes, and never
//! re-serialised.

use std::io::Write as _;

use cloudtrail_model::s3_keys::AccountFolder;
use sha2::{Digest as _, Sha256};

use crate::SigningKey;

/// The signature algorithm named in digests and in the object metadata.
pub const SIGNATURE_ALGORITHM: &str = "SHA256withRSA";
/// The hash algorithm named for log files and previous digests.
pub const HASH_ALGORITHM: &str = "SHA-256";

/// Where a digest goes: `[<prefix>/]AWSLogs/[<org>/]<acct>/CloudTrail-Digest/<region>/<YYYY>/
/// <MM>/<DD>/<acct>_CloudTrail-Digest_<region>_<trail>_<home-region>_<YYYYMMDDTHHMMSSZ>.json.gz`
/// (the layout of `cloudtrail_model::s3_keys`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DigestKey<'a> {
    /// Prefix, organization and the account whose log files the digest lists.
    pub folder: AccountFolder<'a>,
    /// The region that delivered the log files.
    pub region: &'a str,
    pub trail_name: &'a str,
    pub home_region: &'a str,
    /// `digestEndTime` (Unix seconds): the time in the name and the date folders.
    pub end_unix: i64,
}

impl DigestKey<'_> {
    /// The full object key.
    pub fn to_key(&self) -> String {
        self.folder.digest_key(self.region, self.trail_name, self.home_region, self.end_unix)
    }

    /// `[<prefix>/]AWSLogs/[<org>/]<acct>/CloudTrail-Digest/<region>` (no trailing slash).
    pub fn folder(&self) -> String {
        self.folder.digest_folder(self.region)
    }
}

/// The time text of a digest key: the 16 characters `YYYYMMDDTHHMMSSZ` before `.json.gz`
/// (or before `_backfill.json.gz`), as validate-logs cuts it.
pub fn key_time(key: &str) -> Option<&str> {
    let stem = key.strip_suffix("_backfill.json.gz").or_else(|| key.strip_suffix(".json.gz"))?;
    let time = stem.get(stem.len().checked_sub(16)?..)?;
    let bytes = time.as_bytes();
    let digits = |range: std::ops::Range<usize>| bytes[range].iter().all(u8::is_ascii_digit);
    (digits(0..8) && bytes[8] == b'T' && digits(9..15) && bytes[15] == b'Z').then_some(time)
}

/// A log file a digest lists.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DigestLogFile {
    pub s3_bucket: String,
    pub s3_object: String,
    /// Lower-case hex SHA-256 of the decompressed log file.
    pub hash_value: String,
    /// Oldest and newest `eventTime` in the file (`None` when no record has one).
    pub oldest_event_time: Option<String>,
    pub newest_event_time: Option<String>,
}

/// The digest this one follows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreviousDigest {
    pub bucket: String,
    pub key: String,
    /// Lower-case hex SHA-256 of its uncompressed JSON.
    pub sha256_hex: String,
    /// Its signature (hex), as in its `x-amz-meta-signature`.
    pub signature_hex: String,
}

/// The content of one digest.
#[derive(Clone, Debug)]
pub struct DigestDocument<'a> {
    pub account_id: &'a str,
    pub start_unix: i64,
    pub end_unix: i64,
    pub bucket: &'a str,
    pub key: &'a str,
    pub fingerprint: &'a str,
    /// `None` for a starting digest (the chain begins or begins again here).
    pub previous: Option<&'a PreviousDigest>,
    pub log_files: &'a [DigestLogFile],
}

impl DigestDocument<'_> {
    /// The JSON bytes: members in the order of AWS's documentation, one line.
    pub fn to_json(&self) -> Vec<u8> {
        let time = cloudtrail_model::time::format_unix_seconds;
        let oldest = self.log_files.iter().filter_map(|f| f.oldest_event_time.as_deref()).min();
        let newest = self.log_files.iter().filter_map(|f| f.newest_event_time.as_deref()).max();
        let mut out = JsonWriter::default();
        out.string_member("awsAccountId", Some(self.account_id));
        out.string_member("digestStartTime", Some(&time(self.start_unix)));
        out.string_member("digestEndTime", Some(&time(self.end_unix)));
        out.string_member("digestS3Bucket", Some(self.bucket));
        out.string_member("digestS3Object", Some(self.key));
        out.string_member("digestPublicKeyFingerprint", Some(self.fingerprint));
        out.string_member("digestSignatureAlgorithm", Some(SIGNATURE_ALGORITHM));
        out.string_member("newestEventTime", newest);
        out.string_member("oldestEventTime", oldest);
        let previous = self.previous;
        out.string_member("previousDigestS3Bucket", previous.map(|p| p.bucket.as_str()));
        out.string_member("previousDigestS3Object", previous.map(|p| p.key.as_str()));
        out.string_member("previousDigestHashValue", previous.map(|p| p.sha256_hex.as_str()));
        out.string_member("previousDigestHashAlgorithm", previous.map(|_| HASH_ALGORITHM));
        out.string_member("previousDigestSignature", previous.map(|p| p.signature_hex.as_str()));
        out.raw_member_name("logFiles");
        out.buf.push(b'[');
        for (idx, file) in self.log_files.iter().enumerate() {
            if idx > 0 {
                out.buf.push(b',');
            }
            let mut entry = JsonWriter::default();
            entry.string_member("s3Bucket", Some(&file.s3_bucket));
            entry.string_member("s3Object", Some(&file.s3_object));
            entry.string_member("hashValue", Some(&file.hash_value));
            entry.string_member("hashAlgorithm", Some(HASH_ALGORITHM));
            entry.string_member("newestEventTime", file.newest_event_time.as_deref());
            entry.string_member("oldestEventTime", file.oldest_event_time.as_deref());
            out.buf.extend_from_slice(&entry.finish());
        }
        out.buf.push(b']');
        out.finish()
    }
}

/// A small writer for one JSON object; strings are escaped by serde_json.
#[derive(Default)]
struct JsonWriter {
    buf: Vec<u8>,
}

impl JsonWriter {
    fn raw_member_name(&mut self, name: &str) {
        self.buf.push(if self.buf.is_empty() { b'{' } else { b',' });
        self.push_string(name);
        self.buf.push(b':');
    }

    fn string_member(&mut self, name: &str, value: Option<&str>) {
        self.raw_member_name(name);
        match value {
            Some(value) => self.push_string(value),
            None => self.buf.extend_from_slice(b"null"),
        }
    }

    fn push_string(&mut self, text: &str) {
        // Serialising a `&str` cannot fail.
        let quoted = serde_json::to_string(text).unwrap_or_default();
        self.buf.extend_from_slice(quoted.as_bytes());
    }

    fn finish(mut self) -> Vec<u8> {
        if self.buf.is_empty() {
            self.buf.push(b'{');
        }
        self.buf.push(b'}');
        self.buf
    }
}

/// The exact text validate-logs verifies: `digestEndTime`, `bucket/key`, the hex SHA-256 of the
/// uncompressed digest and the previous signature (or `null`), joined by `\n`, no trailing
/// newline.
pub fn string_to_sign(
    digest_end_time: &str,
    bucket: &str,
    key: &str,
    digest_sha256_hex: &str,
    previous_signature_hex: Option<&str>,
) -> String {
    format!(
        "{digest_end_time}\n{bucket}/{key}\n{digest_sha256_hex}\n{}",
        previous_signature_hex.unwrap_or("null")
    )
}

/// A digest ready to upload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedDigest {
    /// The uncompressed JSON.
    pub json: Vec<u8>,
    /// Single-member gzip of `json`: the object body.
    pub gzip: Vec<u8>,
    pub sha256_hex: String,
    /// Goes to `x-amz-meta-signature` and into the next digest.
    pub signature_hex: String,
}

/// Writes, hashes, signs and compresses `document`. RSASSA-PKCS1-v1_5 is deterministic, so
/// the same document and key always give the same bytes.
pub fn sign(document: &DigestDocument<'_>, key: &SigningKey) -> SignedDigest {
    let json = document.to_json();
    let sha256_hex = sha256_hex(&json);
    let text = string_to_sign(
        &cloudtrail_model::time::format_unix_seconds(document.end_unix),
        document.bucket,
        document.key,
        &sha256_hex,
        document.previous.map(|p| p.signature_hex.as_str()),
    );
    let signature_hex = hex(&key.sign(text.as_bytes()));
    let gzip = gzip(&json);
    SignedDigest { json, gzip, sha256_hex, signature_hex }
}

/// Single-member gzip with a fixed header (no name, no time), so equal input gives equal bytes.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(
        Vec::with_capacity(bytes.len() / 4 + 64),
        flate2::Compression::default(),
    );
    // Writing to a Vec cannot fail.
    let _ = encoder.write_all(bytes);
    encoder.finish().unwrap_or_default()
}

/// Lower-case hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    hex::encode(bytes)
}

/// Decodes hex (either case); `None` for anything else.
pub fn unhex(text: &str) -> Option<Vec<u8>> {
    hex::decode(text).ok()
}
