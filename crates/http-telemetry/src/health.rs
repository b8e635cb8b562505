//! The `healthcheck` command of the shop's binaries: one `GET` to the process's own
//! listener, for container health checks (the images carry no curl).

use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Why a health probe failed.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    /// Nothing answered on the address.
    #[error("nothing answers on {addr}")]
    Unreachable {
        /// The address probed.
        addr: SocketAddr,
        /// The connection error.
        source: std::io::Error,
    },
    /// The answer was not `200`.
    #[error("not healthy: {0}")]
    Unhealthy(String),
    /// No answer in time.
    #[error("no answer within {0:?}")]
    Timeout(Duration),
}

/// `GET path` on `addr` (a wildcard address is reached through loopback); `Ok` on 200.
pub async fn probe(mut addr: SocketAddr, path: &str, timeout: Duration) -> Result<(), ProbeError> {
    if addr.ip().is_unspecified() {
        addr.set_ip(if addr.is_ipv4() { std::net::Ipv4Addr::LOCALHOST.into() } else { std::net::Ipv6Addr::LOCALHOST.into() });
    }
    let check = async {
        let unreachable = |source| ProbeError::Unreachable { addr, source };
        let mut stream = tokio::net::TcpStream::connect(addr).await.map_err(unreachable)?;
        stream
            .write_all(format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes())
            .await
            .map_err(unreachable)?;
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await.map_err(unreachable)?;
        let head = String::from_utf8_lossy(&response);
        let status = head.lines().next().unwrap_or("no answer").to_owned();
        if status.starts_with("HTTP/1.1 200") { Ok(()) } else { Err(ProbeError::Unhealthy(status)) }
    };
    tokio::time::timeout(timeout, check).await.map_err(|_| ProbeError::Timeout(timeout))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_200_is_healthy_anything_else_is_not() {
        for (answer, healthy) in [("HTTP/1.1 200 OK\r\n\r\nok", true), ("HTTP/1.1 503 Service Unavailable\r\n\r\n", false)] {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            tokio::spawn(async move {
                let (mut socket, _) = listener.accept().await.unwrap();
                let mut buf = [0u8; 512];
                let _ = socket.read(&mut buf).await;
                socket.write_all(answer.as_bytes()).await.unwrap();
            });
            let wildcard = SocketAddr::new(std::net::Ipv4Addr::UNSPECIFIED.into(), addr.port());
            assert_eq!(probe(wildcard, "/readyz", Duration::from_secs(5)).await.is_ok(), healthy, "{answer}");
        }
    }

    #[tokio::test]
    async fn nothing_listening_is_unreachable() {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let error = probe(SocketAddr::from(([127, 0, 0, 1], port)), "/healthz", Duration::from_secs(5)).await.unwrap_err();
        assert!(matches!(error, ProbeError::Unreachable { .. }), "{error}");
    }
}
