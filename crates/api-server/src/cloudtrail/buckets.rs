//! The bucket a trail delivers to, checked when CreateTrail or UpdateTrail is otherwise valid
//! and authorized: the embedded local store creates a missing bucket (as the embedded default
//! promises); on an S3 store the bucket must exist (`S3BucketDoesNotExistException`) and
//! OpenTrail's credentials must be allowed to write where the trail's files go
//! (`InsufficientS3BucketPolicyException`), as AWS checks the bucket policy.

use axum::http::StatusCode;
use cloudtrail_model::s3_keys::AccountFolder;

use crate::error::ApiError;
use crate::service::Call;

/// Checks the bucket of `trail`, the trail CreateTrail or UpdateTrail is about to store
/// (`before`: the trail as it was, for UpdateTrail), against the store that holds it — unless
/// the update leaves its bucket, prefix and organization flag as they were.
pub(crate) async fn check_bucket(
    call: &Call,
    trail: &catalog::Trail,
    before: Option<&catalog::Trail>,
) -> Result<(), ApiError> {
    let blobs = &call.state.blobs;
    let unchanged = before.is_some_and(|before| {
        before.s3_bucket_name == trail.s3_bucket_name
            && before.s3_key_prefix == trail.s3_key_prefix
            && before.is_organization_trail == trail.is_organization_trail
    });
    if unchanged {
        return Ok(());
    }
    let bucket = trail.s3_bucket_name.as_str();
    if let Err(err) = blob_store::validate_bucket_name(bucket) {
        return Err(ApiError::bad_request(
            "InvalidS3BucketNameException",
            format!("Bucket name `{bucket}` is not valid: {err}"),
        ));
    }
    let store = blobs.store_for(bucket);
    let failed = |err: blob_store::Error| -> ApiError {
        match err {
            blob_store::Error::NoSuchBucket { .. } => ApiError::bad_request(
                "S3BucketDoesNotExistException",
                format!("S3 bucket {bucket} does not exist in the {store}; create it there first"),
            ),
            blob_store::Error::AccessDenied { .. } => ApiError::bad_request(
                "InsufficientS3BucketPolicyException",
                format!(
                    "Incorrect S3 bucket policy is detected for bucket: {bucket} (the {store} refused OpenTrail's credentials; allow them s3:ListBucket on the bucket and s3:PutObject under its AWSLogs/ prefix)"
                ),
            ),
            err if err.is_retryable() => {
                tracing::warn!(bucket, %store, error = %err.detailed(), "bucket check failed");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "ServiceUnavailableException",
                    format!(
                        "The {store} holding bucket {bucket} cannot be reached; the trail was not changed. Try again when the store is up"
                    ),
                )
            }
            err => {
                tracing::warn!(bucket, %store, error = %err.detailed(), "bucket check failed");
                ApiError::bad_request(
                    "S3BucketDoesNotExistException",
                    format!("S3 bucket {bucket} cannot be used in the {store}: {err}"),
                )
            }
        }
    };
    if blobs.owns_bucket(bucket) {
        return match blobs.bucket_exists(bucket).await {
            Ok(true) => Ok(()),
            Ok(false) => blobs.create_bucket(bucket).await.map_err(|e| ApiError::internal(&e)),
            Err(err) => Err(ApiError::internal(&err)),
        };
    }
    match blobs.bucket_exists(bucket).await {
        Ok(true) => {}
        Ok(false) => return Err(failed(blob_store::Error::NoSuchBucket { bucket: bucket.into() })),
        Err(err) => return Err(failed(err)),
    }
    let organization = call.state.organization.as_ref().filter(|_| trail.is_organization_trail);
    let folder = AccountFolder {
        s3_key_prefix: trail.s3_key_prefix.as_deref(),
        organization_id: organization.map(|org| org.id.as_str()),
        account_id: &trail.account_id,
    };
    let probe = format!("{}/OpenTrail-WriteCheck", folder.path());
    blobs.check_writable(bucket, &probe).await.map_err(failed)
}
