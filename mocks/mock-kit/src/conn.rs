//! Per-connection kill switch used by the connection-level faults.
//!
//! The accept loop in [`crate::serve`] gives every connection a [`ConnectionHandle`] and puts a
//! clone into each request's extensions. The fault middleware asks for the connection to be
//! dropped; the connection task, which `select!`s between serving and that request, drops the
//! hyper connection (and with it the socket) without writing anything more.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::watch;

/// How a dropped connection ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DropMode {
    /// Close the socket normally (FIN) without a response.
    Close,
    /// Abort the socket (TCP RST, via `SO_LINGER` 0).
    Reset,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ConnState {
    Open,
    DropRequested(DropMode),
    Closed,
}

/// Shared between a connection task, its socket and the requests it serves.
#[derive(Debug, Clone)]
pub(crate) struct ConnectionHandle {
    state: Arc<watch::Sender<ConnState>>,
}

impl ConnectionHandle {
    pub(crate) fn new() -> Self {
        Self {
            state: Arc::new(watch::Sender::new(ConnState::Open)),
        }
    }

    /// Asks the connection task to drop the connection and waits until the socket is closed.
    pub(crate) async fn drop_connection(&self, mode: DropMode) {
        let mut closed = self.state.subscribe();
        self.state.send_if_modified(|state| {
            if *state == ConnState::Open {
                *state = ConnState::DropRequested(mode);
                true
            } else {
                false
            }
        });
        // The sender lives in `self`, so this cannot fail.
        let _ = closed.wait_for(|state| *state == ConnState::Closed).await;
    }

    /// Resolves once a request asked for the connection to be dropped.
    pub(crate) async fn drop_requested(&self) {
        let mut state = self.state.subscribe();
        let _ = state
            .wait_for(|state| matches!(state, ConnState::DropRequested(_)))
            .await;
    }

    fn wants_reset(&self) -> bool {
        *self.state.borrow() == ConnState::DropRequested(DropMode::Reset)
    }

    fn mark_closed(&self) {
        self.state.send_replace(ConnState::Closed);
    }
}

/// The accepted socket: on drop, it aborts the connection when a reset was asked for and then
/// tells waiting requests that the connection is gone.
#[derive(Debug)]
pub(crate) struct ConnectionIo {
    stream: TcpStream,
    handle: ConnectionHandle,
}

impl ConnectionIo {
    pub(crate) fn new(stream: TcpStream, handle: ConnectionHandle) -> Self {
        Self { stream, handle }
    }
}

impl Drop for ConnectionIo {
    fn drop(&mut self) {
        if self.handle.wants_reset()
            && let Err(err) = self.stream.set_zero_linger()
        {
            tracing::debug!(%err, "could not arm a TCP reset; closing normally");
        }
        self.handle.mark_closed();
    }
}

impl AsyncRead for ConnectionIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for ConnectionIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}
