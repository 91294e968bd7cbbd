//! Errors in the caller's protocol: AWS's JSON error shape (`__type`, `message`,
//! `x-amzn-ErrorType`, `x-amzn-RequestId`) with AWS's status codes, `Retry-After` on overload.
//! S3's XML shape is framed by the service layer's `Protocol::RestXml` from the same error.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// An error answered to the client.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    /// AWS error code, e.g. `ChannelNotFound`.
    pub code: &'static str,
    pub message: String,
    /// Seconds, for `503` answers.
    pub retry_after: Option<u32>,
    /// What the error is about, when the protocol names it (S3's `<Resource>`).
    pub resource: Option<String>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError { status, code, message: message.into(), retry_after: None, resource: None }
    }

    /// … about `resource` (S3's `<Resource>`; AWS's JSON shape does not show it).
    pub fn with_resource(mut self, resource: impl Into<String>) -> ApiError {
        self.resource = Some(resource.into());
        self
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn validation(message: impl Into<String>) -> ApiError {
        ApiError::bad_request("ValidationException", message)
    }

    /// 413: a request larger than its route accepts (OpenTrail's own APIs; AWS's JSON APIs
    /// answer `ValidationException`, see `Protocol::body_error`).
    pub fn too_large(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "RequestEntityTooLarge", message)
    }

    pub fn serialization(message: impl Into<String>) -> ApiError {
        ApiError::bad_request("SerializationException", message)
    }

    /// Internal failures say nothing about the inside; the cause is logged once, here.
    pub fn internal(cause: &dyn std::fmt::Display) -> ApiError {
        tracing::error!(%cause, "request failed");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalFailure",
            "the request failed for an internal reason; it was not stored",
        )
    }

    pub fn from_ingest(err: ingest::Error) -> ApiError {
        match err {
            ingest::Error::Backpressure => ApiError {
                retry_after: Some(1),
                ..ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "ThrottlingException",
                    "the write-ahead log is saturated; retry after a short wait",
                )
            },
            err @ ingest::Error::DiskLow { .. } => ApiError {
                retry_after: Some(5),
                ..ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "ServiceUnavailable",
                    err.to_string(),
                )
            },
            other => ApiError::internal(&other),
        }
    }

    pub fn from_sigv4(err: &sigv4::Error) -> ApiError {
        let status = StatusCode::from_u16(err.http_status()).unwrap_or(StatusCode::FORBIDDEN);
        ApiError::new(status, err.aws_code(), err.aws_message())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "__type": self.code, "message": self.message }).to_string();
        let mut response = (self.status, body).into_response();
        let headers = response.headers_mut();
        headers.insert("content-type", HeaderValue::from_static("application/x-amz-json-1.1"));
        headers.insert("x-amzn-errortype", HeaderValue::from_static(self.code));
        if let Some(seconds) = self.retry_after {
            headers.insert("retry-after", HeaderValue::from(seconds));
        }
        response
    }
}
