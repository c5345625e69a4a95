//! The accept loop that makes connection-level faults possible, and the helpers for mock
//! binaries.

use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::pin::pin;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};
use tower::ServiceExt;

use crate::conn::{ConnectionHandle, ConnectionIo};

/// Default listen address of mock binaries: loopback, any free port.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:0";

/// How long a shutdown waits for open connections to finish before aborting them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// A running mock server.
///
/// Dropping it (or calling [`Served::shutdown`]) stops accepting connections and closes the
/// open ones gracefully in the background.
#[derive(Debug)]
pub struct Served {
    /// Base URL, e.g. `http://127.0.0.1:40123` (an unspecified listen address such as
    /// `0.0.0.0` is shown as loopback, which is what local clients can reach).
    pub url: String,
    /// The bound address.
    pub addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Served {
    /// Base URL without a trailing slash.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting, lets open connections finish (up to 5 s), and waits for all of it.
    pub async fn shutdown(self) {
        let Self { shutdown, task, .. } = self;
        shutdown.send_replace(true);
        if let Err(err) = task.await {
            tracing::warn!(%err, "mock server task failed");
        }
    }
}

/// Binds `listen` and serves `app` from a spawned task.
///
/// Unlike `axum::serve`, each connection can be dropped on request of the fault middleware,
/// which is what [`crate::FaultAction::Reset`] and [`crate::FaultAction::CommitThenDrop`]
/// need. Requests also carry `ConnectInfo<SocketAddr>` with the peer address. Must be
/// called inside a Tokio runtime.
pub async fn serve(app: Router, listen: SocketAddr) -> io::Result<Served> {
    let listener = TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    let (shutdown, shutdown_rx) = watch::channel(false);
    let task = tokio::spawn(accept_loop(listener, app, shutdown_rx));
    Ok(Served {
        url: format!("http://{}", reachable(addr)),
        addr,
        shutdown,
        task,
    })
}

/// Serves `app` on `127.0.0.1` with a free port (tests, the demo).
pub async fn serve_local(app: Router) -> io::Result<Served> {
    serve(app, SocketAddr::from((std::net::Ipv4Addr::LOCALHOST, 0))).await
}

/// Sets up logging for a mock binary: stderr (stdout carries the URL),
/// level from `RUST_LOG`, default `info`.
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_writer(io::stderr)
        .with_env_filter(filter)
        .try_init();
}

/// Serves `app` on `listen`, prints the bound URL as the first line of stdout, and runs
/// until Ctrl-C or SIGTERM, then shuts down gracefully. For mock binaries.
pub async fn print_url_and_serve(app: Router, listen: SocketAddr) -> io::Result<()> {
    let served = serve(app, listen).await?;
    {
        let mut stdout = io::stdout().lock();
        writeln!(stdout, "{}", served.url())?;
        stdout.flush()?;
    }
    tracing::info!(url = %served.url(), "mock listening");
    shutdown_signal().await;
    tracing::info!("shutting down");
    served.shutdown().await;
    Ok(())
}

/// Resolves on Ctrl-C, or SIGTERM on Unix.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::warn!(%err, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut sigterm) => {
                sigterm.recv().await;
            }
            Err(err) => {
                tracing::warn!(%err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}

/// The address local clients should use: an unspecified IP becomes loopback.
fn reachable(addr: SocketAddr) -> SocketAddr {
    match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => {
            SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), addr.port())
        }
        IpAddr::V6(ip) if ip.is_unspecified() => {
            SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), addr.port())
        }
        _ => addr,
    }
}

async fn accept_loop(listener: TcpListener, app: Router, mut shutdown: watch::Receiver<bool>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    connections.spawn(serve_connection(stream, peer, app.clone(), shutdown.clone()));
                }
                Err(err) => {
                    // Typically out of file descriptors: back off instead of spinning.
                    tracing::warn!(%err, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            // A value or a dropped `Served`: either way, stop.
            _ = shutdown.changed() => break,
        }
    }
    drop(listener);
    let drained = tokio::time::timeout(SHUTDOWN_GRACE, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::debug!("aborting connections still open after the grace period");
        connections.abort_all();
    }
}

async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    app: Router,
    mut shutdown: watch::Receiver<bool>,
) {
    if let Err(err) = stream.set_nodelay(true) {
        tracing::debug!(%err, "set_nodelay failed");
    }
    let handle = ConnectionHandle::new();
    let io = TokioIo::new(ConnectionIo::new(stream, handle.clone()));
    let request_handle = handle.clone();
    let service = hyper::service::service_fn(move |mut request: http::Request<Incoming>| {
        request.extensions_mut().insert(request_handle.clone());
        request.extensions_mut().insert(ConnectInfo(peer));
        app.clone().oneshot(request.map(Body::new))
    });
    let builder = auto::Builder::new(TokioExecutor::new());
    let mut connection = pin!(builder.serve_connection_with_upgrades(io, service));
    let mut draining = *shutdown.borrow_and_update();
    if draining {
        connection.as_mut().graceful_shutdown();
    }
    loop {
        tokio::select! {
            result = connection.as_mut() => {
                if let Err(err) = result {
                    tracing::debug!(%peer, %err, "connection ended with an error");
                }
                return;
            }
            () = handle.drop_requested() => {
                tracing::debug!(%peer, "dropping the connection (injected fault)");
                // Returning drops the connection and its socket without another byte.
                return;
            }
            _ = shutdown.changed(), if !draining => {
                draining = true;
                connection.as_mut().graceful_shutdown();
            }
        }
    }
}
