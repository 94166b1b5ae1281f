//! The accept loop: how many connections the server holds, and for how long.
//!
//! `axum::serve` accepts every connection and sets no timeout, so slow clients (headers
//! trickled for minutes, sockets left idle) used to pile up until the process ran out of
//! file descriptors and `/health` stopped answering. Here:
//!
//! - at most [`Config::max_connections`] connections are served by the application; each
//!   holds a permit, kept by a WebSocket for as long as it is open ([`ConnectionPermit`]);
//! - past that, up to [`Config::overflow_connections`] more are served by a small router
//!   that answers `/health` as usual and everything else `503` with `Retry-After`, so that a
//!   supervisor still sees the server alive while it is full; past both, a connection is
//!   closed as soon as it is accepted;
//! - a request's headers must arrive within [`Config::header_timeout`], which also bounds how
//!   long a kept-alive connection may stay idle between two requests (hyper arms it whenever
//!   it waits for a request head);
//! - a request's body must arrive within [`Config::body_timeout`] (the router's layer).
//!
//! An error from `accept` (EMFILE when descriptors run out) is logged, and accepting resumes
//! after a short pause instead of spinning.

use crate::state::Config;
use axum::Router;
use axum::extract::Request;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tower::ServiceExt;

/// A served connection's place under the cap. Put in every request's extensions, so that a
/// WebSocket keeps its place for as long as it is open.
#[derive(Clone, Debug)]
pub struct ConnectionPermit(#[allow(dead_code)] Arc<OwnedSemaphorePermit>);

/// Serves `app` on `listener` under the limits of `config` until `shutdown` resolves; then
/// stops accepting and waits for the requests in flight (not for open WebSockets).
pub async fn serve_connections(
    listener: TcpListener,
    app: Router,
    busy: Router,
    config: &Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let served = Arc::new(Semaphore::new(config.max_connections));
    let overflow = Arc::new(Semaphore::new(config.overflow_connections));
    // Each connection's task holds a sender: once every one is dropped, none is in flight.
    let (in_flight, mut all_done) = tokio::sync::mpsc::channel::<()>(1);
    let (stopping, stop) = tokio::sync::watch::channel(false);
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(config.header_timeout)
        .keep_alive(true);
    let builder = Arc::new(builder);
    tokio::pin!(shutdown);
    loop {
        let (stream, _peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    tracing::warn!(%error, "accept failed; pausing before accepting again");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let (router, permit) = match served.clone().try_acquire_owned() {
            Ok(permit) => (app.clone(), Some(ConnectionPermit(Arc::new(permit)))),
            Err(_) => match overflow.clone().try_acquire_owned() {
                Ok(permit) => (busy.clone(), Some(ConnectionPermit(Arc::new(permit)))),
                Err(_) => {
                    drop(stream);
                    continue;
                }
            },
        };
        let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
            if let Some(permit) = &permit {
                request.extensions_mut().insert(permit.clone());
            }
            router.clone().oneshot(request.map(axum::body::Body::new))
        });
        let connection = builder
            .serve_connection(TokioIo::new(stream), service)
            .with_upgrades();
        let in_flight = in_flight.clone();
        let mut stop = stop.clone();
        tokio::spawn(async move {
            let _in_flight = in_flight;
            tokio::pin!(connection);
            let ended = tokio::select! {
                ended = connection.as_mut() => ended,
                () = async { let _ = stop.wait_for(|stopping| *stopping).await; } => {
                    // Finish the request under way, accept no other on this connection.
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(error) = ended {
                tracing::debug!(%error, "connection ended with an error");
            }
        });
    }
    drop(listener);
    let _ = stopping.send(true);
    drop(in_flight);
    let _ = all_done.recv().await;
    Ok(())
}
