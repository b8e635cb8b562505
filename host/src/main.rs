//! `shop-host`: serves the shop, or talks to a running one.
//!
//! ```text
//! shop-host                    serve (configuration from the environment, see .env.example)
//! shop-host status             list the components a running host serves, with versions
//! shop-host reload <component> swap in the component's file now
//! ```

use anyhow::{Context, bail};
use shop_host::config::Settings;
use shop_host::startup::{Application, shutdown_signal};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    shop_host::telemetry::init();
    let settings = Settings::from_env()?;
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        [] | ["serve"] => {
            let app = Application::build(settings).await.map_err(|e| {
                tracing::error!(error = format!("{e:#}"), "the host could not start");
                e
            })?;
            app.run(shutdown_signal()).await
        }
        ["status"] => admin_call(&settings, "GET", "/components").await,
        ["reload", id] => admin_call(&settings, "POST", &format!("/components/{id}/reload")).await,
        _ => bail!("usage: shop-host [serve | status | reload <component>]"),
    }
}

/// Sends one request to the operator listener of a running host and prints the answer.
async fn admin_call(settings: &Settings, method: &str, path: &str) -> anyhow::Result<()> {
    let addr = settings.admin_addr.context("SHOP_ADMIN_ADDR is off: no operator endpoint to call")?;
    let mut stream = tokio::net::TcpStream::connect(addr).await.with_context(|| format!("no host answers on {addr} (SHOP_ADMIN_ADDR)"))?;
    let request = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await?;
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    println!("{body}");
    if !head.starts_with("HTTP/1.1 2") {
        bail!("{}", head.lines().next().unwrap_or("no answer"));
    }
    Ok(())
}
