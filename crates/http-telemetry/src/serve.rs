//! Serving a router on a public listener, with the limits such a listener needs.
//!
//! `axum::serve` gives hyper no timer, so hyper's deadline for reading a request's head
//! never fires: a client that sends half a head (slowloris) or opens a connection and says
//! nothing holds it, and its file descriptor, for ever. This loop gives every connection a
//! deadline for each request head (which also bounds an idle keep-alive connection), a cap
//! on the head's size and on its number of headers, and still drains the requests in flight
//! on shutdown.

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use std::future::Future;
use std::time::Duration;
use tokio::net::TcpListener;
use tower::ServiceExt;

/// What a connection may take. A head past either cap is answered `431 Request Header
/// Fields Too Large` by hyper, and the connection closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Time a client has to send a whole request head, counted from when the server starts
    /// waiting for it (a new connection, or the end of the previous answer on a kept-alive
    /// one). Past it the connection is closed.
    pub head_timeout: Duration,
    /// The most bytes a request head (request line and headers) may have.
    pub max_head_bytes: usize,
    /// The most headers a request may have.
    pub max_headers: usize,
}

impl Default for ConnectionLimits {
    /// 30 s for a head (hyper's own default, and longer than the 20 s nginx keeps an idle
    /// connection to an upstream, so nginx always closes first), 64 KiB and 100 headers.
    fn default() -> Self {
        Self { head_timeout: Duration::from_secs(30), max_head_bytes: 64 << 10, max_headers: 100 }
    }
}

/// Serves `app` on `listener` until `shutdown` completes, then stops accepting and waits
/// for the requests in flight (a caller bounds that wait with
/// [`crate::shutdown::within_deadline`]). Each request carries
/// [`ConnectInfo<SocketAddr>`], the peer's address, and every socket has Nagle's algorithm
/// off (small answers otherwise wait for it).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.head_timeout)
        .max_header_size(limits.max_head_bytes)
        .max_headers(limits.max_headers);
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    pause_after_accept_error(&error).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = tcp.set_nodelay(true);
        let app = app.clone();
        let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            app.clone().oneshot(request)
        });
        let connection = graceful.watch(http.serve_connection(TokioIo::new(tcp), service));
        tokio::spawn(async move {
            // A client that goes away, times out or sends garbage ends only its connection.
            if let Err(error) = connection.await {
                tracing::debug!(%peer, error = %error, "connection ended with an error");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// An accept error: one about a single connection (the client gave up) is no reason to wait;
/// any other (out of file descriptors, most often) is logged and the loop rests a moment
/// rather than spin while nothing can be accepted.
async fn pause_after_accept_error(error: &std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(error.kind(), ConnectionAborted | ConnectionRefused | ConnectionReset) {
        return;
    }
    tracing::error!(error = %error, "could not accept a connection; retrying in a second");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::SocketAddr;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    async fn start(limits: ConnectionLimits) -> (SocketAddr, tokio::sync::oneshot::Sender<()>, tokio::task::JoinHandle<()>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = Router::new()
            .route("/peer", axum::routing::get(|ConnectInfo(peer): ConnectInfo<SocketAddr>| async move { peer.ip().to_string() }));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            serve(listener, app, limits, async move {
                let _ = stopped.await;
            })
            .await
            .unwrap();
        });
        (addr, stop, task)
    }

    async fn exchange(addr: SocketAddr, request: &[u8]) -> String {
        let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
        tcp.write_all(request).await.unwrap();
        let mut answer = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(5), tcp.read_to_end(&mut answer)).await;
        String::from_utf8_lossy(&answer).into_owned()
    }

    #[tokio::test]
    async fn a_request_sees_its_peer_and_a_head_that_never_ends_is_cut_off() {
        let limits = ConnectionLimits { head_timeout: Duration::from_millis(300), ..ConnectionLimits::default() };
        let (addr, stop, task) = start(limits).await;
        let answer = exchange(addr, b"GET /peer HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await;
        assert!(answer.starts_with("HTTP/1.1 200") && answer.ends_with("127.0.0.1"), "{answer}");

        // Half a head, then silence: the server closes the connection at the deadline.
        let mut slow = tokio::net::TcpStream::connect(addr).await.unwrap();
        slow.write_all(b"GET /peer HTTP/1.1\r\nHost: x\r\n").await.unwrap();
        let mut rest = Vec::new();
        let closed = tokio::time::timeout(Duration::from_secs(5), slow.read_to_end(&mut rest)).await;
        assert!(closed.is_ok(), "the connection is still open after 5 s");

        // So is one kept alive after an answer and then left idle.
        let mut idle = tokio::net::TcpStream::connect(addr).await.unwrap();
        idle.write_all(b"GET /peer HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
        let mut all = Vec::new();
        let closed = tokio::time::timeout(Duration::from_secs(5), idle.read_to_end(&mut all)).await;
        assert!(closed.is_ok(), "an idle kept-alive connection is still open after 5 s");
        assert!(String::from_utf8_lossy(&all).starts_with("HTTP/1.1 200"));

        stop.send(()).unwrap();
        tokio::time::timeout(Duration::from_secs(5), task).await.unwrap().unwrap();
    }

    #[tokio::test]
    async fn a_head_too_large_or_with_too_many_headers_is_refused() {
        let limits = ConnectionLimits { max_head_bytes: 8 << 10, max_headers: 20, ..ConnectionLimits::default() };
        let (addr, stop, task) = start(limits).await;
        let long = format!("GET /peer?{} HTTP/1.1\r\nHost: x\r\n\r\n", "a".repeat(16 << 10));
        assert!(exchange(addr, long.as_bytes()).await.starts_with("HTTP/1.1 431"));
        let many: String = (0..21).map(|i| format!("X-{i}: v\r\n")).collect();
        let answer = exchange(addr, format!("GET /peer HTTP/1.1\r\nHost: x\r\n{many}\r\n").as_bytes()).await;
        assert!(answer.starts_with("HTTP/1.1 431"), "{answer}");
        let answer = exchange(addr, b"GET /peer HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await;
        assert!(answer.starts_with("HTTP/1.1 200"), "the server still serves: {answer}");
        stop.send(()).unwrap();
        task.await.unwrap();
    }
}
