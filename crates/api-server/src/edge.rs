//! The edge: accepting connections and serving HTTP/1 on them with the limits of
//! `limits.rs` — a cap on connections served at once, a header-read timeout that also closes
//! idle keep-alive connections, and a graceful stop that finishes requests in flight.
//! Each request carries its peer's address as axum's `ConnectInfo<SocketAddr>` (self-audit's
//! `sourceIPAddress`, `/metrics`' loopback check). It is not: body limits (read in `read_body`
//! with their own timeout) nor anything a handler decides.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};

use crate::limits;

/// Serves `router` on `listener` until `shutdown` completes; then accepts nothing more, lets
/// every connection finish the request it is serving (idle ones close at once) and returns.
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let slots = Arc::new(Semaphore::new(limits::CONNECTIONS_MAX));
    let (stop, stopping) = watch::channel(false);
    let mut connections = tokio::task::JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        // At the cap, wait for a slot before accepting: the backlog holds the waiting clients.
        let slot = tokio::select! {
            slot = Arc::clone(&slots).acquire_owned() => slot,
            () = &mut shutdown => break,
        };
        let Ok(slot) = slot else { break };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    accept_failed(&err).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        while connections.try_join_next().is_some() {}
        connections.spawn(connection(stream, peer, router.clone(), stopping.clone(), slot));
    }
    drop(listener);
    let _ = stop.send(true);
    while connections.join_next().await.is_some() {}
    Ok(())
}

/// A failed `accept`: a connection that went away before it was accepted is nothing; running
/// out of file descriptors or memory is logged, and accepting resumes after a pause.
async fn accept_failed(err: &std::io::Error) {
    use std::io::ErrorKind;
    if matches!(
        err.kind(),
        ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset | ErrorKind::ConnectionRefused
    ) {
        return;
    }
    tracing::error!(%err, "accepting a connection failed; retrying in 100 ms");
    tokio::time::sleep(Duration::from_millis(100)).await;
}

/// Serves one connection's requests until it closes, a timeout closes it, or the server stops.
async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    router: Router,
    mut stopping: watch::Receiver<bool>,
    _slot: OwnedSemaphorePermit,
) {
    let _ = stream.set_nodelay(true);
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        request.extensions_mut().insert(ConnectInfo(peer));
        let mut router = router.clone();
        async move {
            let response: Result<axum::response::Response, Infallible> =
                tower_service::Service::call(&mut router, request.map(axum::body::Body::new)).await;
            response
        }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(limits::HEADER_READ_TIMEOUT);
    let mut served = std::pin::pin!(builder.serve_connection(TokioIo::new(stream), service));
    let mut stop_asked = false;
    loop {
        tokio::select! {
            result = served.as_mut() => {
                if let Err(err) = result {
                    tracing::debug!(%err, %peer, "connection closed");
                }
                return;
            }
            changed = stopping.wait_for(|stop| *stop), if !stop_asked => {
                // Also when the server's side is gone (`Err`): stop either way.
                let _ = changed;
                stop_asked = true;
                served.as_mut().graceful_shutdown();
            }
        }
    }
}
