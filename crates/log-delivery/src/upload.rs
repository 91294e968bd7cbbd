//! Where delivered files go: the [`Uploader`] seam, and its implementation over the blob store
//! (the embedded local buckets or S3). Tests put an in-memory, failing bucket behind it.

use std::future::Future;

/// Why an upload failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UploadError {
    /// An S3 error code (`AccessDenied`, `NoSuchBucket`, ...): what GetTrailStatus reports as
    /// `LatestDeliveryError`, as AWS does.
    pub code: String,
    /// The whole story, for the log.
    pub message: String,
}

/// Where delivered files go.
pub trait Uploader: Send + Sync + 'static {
    /// Stores one log file or digest (overwriting an object of the same key). A digest comes
    /// with its signature (hex), stored as the user metadata `signature` and
    /// `signature-algorithm` that validate-logs reads.
    fn put(
        &self,
        bucket: &str,
        key: &str,
        gzip: Vec<u8>,
        signature: Option<&str>,
    ) -> impl Future<Output = Result<(), UploadError>> + Send;
}

/// Log files go to the trail's bucket in the blob store (the embedded local bucket or S3).
impl Uploader for blob_store::BlobStore {
    async fn put(
        &self,
        bucket: &str,
        key: &str,
        gzip: Vec<u8>,
        signature: Option<&str>,
    ) -> Result<(), UploadError> {
        let mut user = std::collections::BTreeMap::new();
        if let Some(signature) = signature {
            user.insert("signature".to_owned(), signature.to_owned());
            user.insert(
                "signature-algorithm".to_owned(),
                integrity::digest::SIGNATURE_ALGORITHM.to_owned(),
            );
        }
        let meta = blob_store::ObjectMeta {
            content_type: Some("application/json".into()),
            content_encoding: Some("gzip".into()),
            user,
        };
        let body = bytes::Bytes::from(gzip);
        let mut result = blob_store::BlobStore::put(self, bucket, key, body.clone(), &meta).await;
        // The embedded store's buckets are OpenTrail's: one removed by hand is made again
        // (CreateTrail made it in the first place). S3 buckets are never created.
        if matches!(result, Err(blob_store::Error::NoSuchBucket { .. })) && self.owns_bucket(bucket)
        {
            tracing::warn!(bucket, "the local bucket is gone; creating it again");
            result = match self.create_bucket(bucket).await {
                Ok(()) => blob_store::BlobStore::put(self, bucket, key, body, &meta).await,
                Err(err) => Err(err),
            };
        }
        result.map_err(|err| {
            let message = format!("{} (in the {})", err.detailed(), self.store_for(bucket));
            UploadError { code: err.s3_code().to_owned(), message }
        })
    }
}
