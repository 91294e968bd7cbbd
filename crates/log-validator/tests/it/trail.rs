//! A trail's delivered chain, built and signed here: digests every hour, each listing one log
//! file, stored in an in-memory bucket; and a `Control` that answers what the test says.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use bytes::Bytes;
use integrity::SigningKey;
use integrity::digest::{DigestDocument, DigestKey, DigestLogFile, PreviousDigest};
use log_validator::{Control, LatestDigest, NoProgress, Options, PublicKey, Report, TrailInfo};

pub(crate) const ACCOUNT: &str = "111122223333";
pub(crate) const REGION: &str = "us-east-1";
pub(crate) const BUCKET: &str = "trail-bucket";
pub(crate) const TRAIL: &str = "evidence";
/// 2026-11-20T10:00:00Z: the first digest ends an interval after it.
pub(crate) const T0: i64 = 1_795_168_800;
pub(crate) const INTERVAL: i64 = 3600;

/// One object as the bucket holds it.
#[derive(Clone, Debug)]
pub(crate) struct Object {
    pub(crate) key: String,
    pub(crate) body: Vec<u8>,
    /// `x-amz-meta-signature`, digests only.
    pub(crate) signature: Option<String>,
}

/// The test's signing key (RSA-2048, made once per run).
pub(crate) fn signing_key() -> &'static (SigningKey, PublicKey) {
    static KEY: OnceLock<(SigningKey, PublicKey)> = OnceLock::new();
    KEY.get_or_init(|| {
        let key = SigningKey::generate(&mut integrity::OsRng).unwrap();
        let der = key.public_pkcs1_der().unwrap();
        let public = PublicKey { fingerprint: integrity::fingerprint(&der), der };
        (key, public)
    })
}

pub(crate) fn trail() -> TrailInfo {
    TrailInfo {
        trail_arn: format!("arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/{TRAIL}"),
        trail_name: TRAIL.into(),
        home_region: REGION.into(),
        account_id: ACCOUNT.into(),
        bucket: BUCKET.into(),
        prefix: None,
        organization_id: None,
    }
}

fn folder() -> cloudtrail_model::s3_keys::AccountFolder<'static> {
    cloudtrail_model::s3_keys::AccountFolder {
        s3_key_prefix: None,
        organization_id: None,
        account_id: ACCOUNT,
    }
}

/// The key of the digest ending at `end_unix`.
pub(crate) fn digest_key(end_unix: i64) -> String {
    DigestKey { folder: folder(), region: REGION, trail_name: TRAIL, home_region: REGION, end_unix }
        .to_key()
}

/// The end of digest `idx` (from 0).
pub(crate) fn digest_end(idx: usize) -> i64 {
    T0 + (idx as i64 + 1) * INTERVAL
}

/// `n` chained digests and the log file each lists; digest `idx`'s objects are
/// `[2 * idx]` (log file) and `[2 * idx + 1]` (digest).
pub(crate) fn chain(n: usize) -> Vec<Object> {
    let (signing, public) = signing_key();
    let mut objects = Vec::new();
    let mut previous: Option<PreviousDigest> = None;
    for idx in 0..n {
        let end_unix = digest_end(idx);
        let log_json = format!(
            r#"{{"Records":[{{"eventVersion":"1.08","eventTime":"{}","eventName":"Idx{idx}"}}]}}"#,
            cloudtrail_model::time::format_unix_seconds(end_unix - 900)
        );
        let log_key = folder().log_file_key(REGION, end_unix - 600, &format!("unique{idx}"));
        let log_file = DigestLogFile {
            s3_bucket: BUCKET.into(),
            s3_object: log_key.clone(),
            hash_value: integrity::digest::sha256_hex(log_json.as_bytes()),
            oldest_event_time: None,
            newest_event_time: None,
        };
        objects.push(Object {
            key: log_key,
            body: integrity::digest::gzip(log_json.as_bytes()),
            signature: None,
        });
        let key = digest_key(end_unix);
        let signed = integrity::digest::sign(
            &DigestDocument {
                account_id: ACCOUNT,
                start_unix: end_unix - INTERVAL,
                end_unix,
                bucket: BUCKET,
                key: &key,
                fingerprint: &public.fingerprint,
                previous: previous.as_ref(),
                log_files: &[log_file],
            },
            signing,
        );
        previous = Some(PreviousDigest {
            bucket: BUCKET.into(),
            key: key.clone(),
            sha256_hex: signed.sha256_hex.clone(),
            signature_hex: signed.signature_hex.clone(),
        });
        objects.push(Object { key, body: signed.gzip, signature: Some(signed.signature_hex) });
    }
    objects
}

/// A control plane that answers what the test set.
#[derive(Clone, Debug, Default)]
pub(crate) struct TestControl {
    pub(crate) latest: LatestDigest,
    pub(crate) latest_delivery_ms: Option<i64>,
}

impl Control for TestControl {
    async fn public_keys(&self, _: &str, _: i64, _: i64) -> Result<Vec<PublicKey>, String> {
        Ok(vec![signing_key().1.clone()])
    }

    async fn latest_delivery_ms(&self) -> Option<i64> {
        self.latest_delivery_ms
    }

    async fn latest_digest(&self, _: &str, _: &str) -> LatestDigest {
        self.latest.clone()
    }
}

/// Validates `objects` (stored in a fresh in-memory bucket; keys the store refuses are left
/// out) for `[start, end]`; panics if the run fails.
pub(crate) fn validate(objects: &[Object], control: &TestControl, start: i64, end: i64) -> Report {
    try_validate(objects, control, start, end).unwrap()
}

/// The run's result: an error when a read fails (a digest may name a bucket no store has).
pub(crate) fn try_validate(
    objects: &[Object],
    control: &TestControl,
    start: i64,
    end: i64,
) -> Result<Report, String> {
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    runtime.block_on(async {
        let blobs = blob_store::BlobStore::memory();
        blobs.create_bucket(BUCKET).await.unwrap();
        for object in objects {
            let mut user = BTreeMap::new();
            if let Some(signature) = &object.signature {
                user.insert("signature".to_owned(), signature.clone());
                user.insert("signature-algorithm".to_owned(), "SHA256withRSA".to_owned());
            }
            let meta = blob_store::ObjectMeta { user, ..Default::default() };
            let body = Bytes::from(object.body.clone());
            let _ = blobs.put(BUCKET, &object.key, body, &meta).await;
        }
        let options = Options {
            trail: trail(),
            region: REGION.into(),
            start_unix: start,
            end_unix: end,
            concurrency: 4,
        };
        log_validator::validate(&blobs, control, &options, &NoProgress).await
    })
}
