//! OpenTrail's HTTP surface: the only crate that speaks HTTP. Today it serves `GET /health`;
//! the CloudTrail, CloudTrail Data, S3-read and native ingest APIs join it as they land.

use std::future::Future;

use axum::Json;
use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use serde_json::json;

/// Builds the router (kept separate from serving so tests drive it without a socket).
pub fn router() -> Router {
    Router::new().route("/health", get(health)).fallback(not_found)
}

/// Serves `router` on `listener` until `shutdown` completes, then finishes in-flight requests.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router).with_graceful_shutdown(shutdown).await
}

async fn health() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok", "version": env!("CARGO_PKG_VERSION") }))
}

async fn not_found() -> (StatusCode, Json<serde_json::Value>) {
    (StatusCode::NOT_FOUND, Json(json!({ "message": "no such endpoint; try `GET /health`" })))
}

#[cfg(test)]
mod tests;
