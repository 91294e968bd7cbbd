//! `GET /metrics`: the pipeline's metrics in Prometheus' text exposition format, for clients
//! on this machine (labels name buckets, which are other tenants' business).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::{ApiError, AppState};

/// Renders the current metrics as Prometheus text.
pub type Render = Arc<dyn Fn() -> String + Send + Sync>;

pub(crate) async fn metrics(state: State<Arc<AppState>>, request: Request) -> Response {
    // A path-style S3 request for a bucket named `metrics` is S3's.
    if crate::s3::is_s3_request(&request) {
        return crate::s3::serve(Arc::clone(&state), request).await;
    }
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|info| info.0);
    if !peer.is_some_and(|peer| peer.ip().is_loopback()) {
        return ApiError::new(
            StatusCode::FORBIDDEN,
            "AccessDeniedException",
            "`/metrics` is served to clients on this machine only; scrape it from a local agent",
        )
        .into_response();
    }
    let Some(render) = state.metrics.clone() else {
        return ApiError::new(
            StatusCode::NOT_FOUND,
            "UnknownOperationException",
            "this server was started without metrics",
        )
        .into_response();
    };
    let text = match tokio::task::spawn_blocking(move || render()).await {
        Ok(text) => text,
        Err(err) => {
            tracing::error!(%err, "rendering /metrics failed");
            return ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalFailure",
                "the metrics could not be rendered; see the server log",
            )
            .into_response();
        }
    };
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], text).into_response()
}
