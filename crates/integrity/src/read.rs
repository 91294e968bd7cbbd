//! Reading a digest back for validation: the members validate-logs relies on, checked the way
//! it checks them (`../shared/spec/integrity.md` §§3, 6), and the signature check over the
//! exact bytes that were read.

use serde_json::Value;

use crate::digest::{DigestLogFile, string_to_sign};

/// A digest as read from storage.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadDigest {
    pub start_time: String,
    pub end_time: String,
    pub start_unix: i64,
    pub end_unix: i64,
    pub bucket: String,
    pub key: String,
    pub fingerprint: String,
    pub previous_bucket: Option<String>,
    pub previous_key: Option<String>,
    pub previous_hash: Option<String>,
    pub previous_signature: Option<String>,
    pub log_files: Vec<DigestLogFile>,
}

impl ReadDigest {
    /// Whether this digest starts a chain (no previous digest named).
    pub fn is_start(&self) -> bool {
        self.previous_bucket.is_none() || self.previous_key.is_none()
    }
}

/// Parses the uncompressed JSON of a digest; the error says which member is wrong.
pub fn read_digest(json: &[u8]) -> Result<ReadDigest, String> {
    let value: Value =
        serde_json::from_slice(json).map_err(|e| format!("the digest is not JSON: {e}"))?;
    let object = value.as_object().ok_or("the digest is not a JSON object")?;
    let required = |name: &str| -> Result<String, String> {
        match object.get(name) {
            Some(Value::String(text)) => Ok(text.clone()),
            Some(_) => Err(format!("`{name}` is not a string")),
            None => Err(format!("`{name}` is missing")),
        }
    };
    let nullable = |name: &str, must_exist: bool| -> Result<Option<String>, String> {
        match object.get(name) {
            Some(Value::String(text)) => Ok(Some(text.clone())),
            Some(Value::Null) => Ok(None),
            None if !must_exist => Ok(None),
            None => Err(format!("`{name}` is missing")),
            Some(_) => Err(format!("`{name}` is neither a string nor null")),
        }
    };
    let time = |name: &str| -> Result<(String, i64), String> {
        let text = required(name)?;
        let parsed = cloudtrail_model::time::EventTime::parse(&text)
            .map_err(|e| format!("`{name}`: {e}"))?;
        Ok((text, parsed.unix_seconds))
    };
    let (start_time, start_unix) = time("digestStartTime")?;
    let (end_time, end_unix) = time("digestEndTime")?;
    let files = match object.get("logFiles") {
        Some(Value::Array(files)) => files,
        Some(_) => return Err("`logFiles` is not an array".into()),
        None => return Err("`logFiles` is missing".into()),
    };
    let mut log_files = Vec::with_capacity(files.len());
    for (idx, file) in files.iter().enumerate() {
        let member = |name: &str| -> Result<Option<String>, String> {
            match file.get(name) {
                Some(Value::String(text)) => Ok(Some(text.clone())),
                None | Some(Value::Null) => Ok(None),
                Some(_) => Err(format!("`logFiles[{idx}].{name}` is not a string")),
            }
        };
        let needed = |name: &str| -> Result<String, String> {
            member(name)?.ok_or_else(|| format!("`logFiles[{idx}].{name}` is missing"))
        };
        log_files.push(DigestLogFile {
            s3_bucket: needed("s3Bucket")?,
            s3_object: needed("s3Object")?,
            hash_value: needed("hashValue")?,
            oldest_event_time: member("oldestEventTime")?,
            newest_event_time: member("newestEventTime")?,
        });
    }
    Ok(ReadDigest {
        start_time,
        end_time,
        start_unix,
        end_unix,
        bucket: required("digestS3Bucket")?,
        key: required("digestS3Object")?,
        fingerprint: required("digestPublicKeyFingerprint")?,
        previous_bucket: nullable("previousDigestS3Bucket", false)?,
        previous_key: nullable("previousDigestS3Object", false)?,
        previous_hash: nullable("previousDigestHashValue", false)?,
        previous_signature: nullable("previousDigestSignature", true)?,
        log_files,
    })
}

/// Checks a digest's signature (hex, from `x-amz-meta-signature`) with a DER PKCS#1 public
/// key, over the string built from `digest` and the SHA-256 of `json`, the bytes read.
pub fn verify_digest(
    public_pkcs1_der: &[u8],
    digest: &ReadDigest,
    json: &[u8],
    signature_hex: &str,
) -> bool {
    let Some(signature) = crate::digest::unhex(signature_hex) else { return false };
    let text = string_to_sign(
        &digest.end_time,
        &digest.bucket,
        &digest.key,
        &crate::digest::sha256_hex(json),
        digest.previous_signature.as_deref(),
    );
    crate::verify(public_pkcs1_der, text.as_bytes(), &signature)
}
