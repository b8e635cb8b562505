//! `cargo xtask run`: the host and the storefront on the embedded store, a local admin and
//! the demo catalogue on the first run.

use crate::checkout::Checkout;
use crate::supervise;
use anyhow::{Context, Result, bail};
use std::path::Path;
use std::process::Command;

pub(crate) fn run(checkout: &Checkout) -> Result<()> {
    let root = checkout.root.as_path();
    let target = &checkout.target;
    let host = target.join("release/shop-host");
    let addr = std::env::var("SHOP_ADDR").unwrap_or_else(|_| "127.0.0.1:5000".into());
    let mut env: Vec<(&str, String)> = Vec::new();
    if std::env::var_os("SPIN_VARIABLE_JWT_SECRET").is_none() {
        env.push(("SPIN_VARIABLE_JWT_SECRET", local_secret(root, ".jwt_secret", "a signing key for local sign-in")?));
    }
    // A local admin (never a shared default): its password is made once, kept in data/.
    let local_admin = std::env::var_os("SHOP_ADMIN_EMAIL").is_none();
    if local_admin {
        env.push(("SHOP_ADMIN_EMAIL", LOCAL_ADMIN.into()));
        env.push(("SHOP_ADMIN_PASSWORD", local_secret(root, ".admin_password", "a password for the local admin")?));
    }
    if std::env::var_os("RUST_LOG").is_none() {
        env.push(("RUST_LOG", "info".into()));
    }
    // The storefront passes each shopper's address on, for the API's per-client limits.
    if std::env::var_os("SHOP_TRUSTED_PROXIES").is_none() {
        env.push(("SHOP_TRUSTED_PROXIES", "127.0.0.1".into()));
    }
    eprintln!("xtask: starting the shop on http://{addr} (embedded store in ./data; Ctrl-C stops it)");
    // SIGTERM or SIGHUP to xtask stops both programs and waits for them (see `supervise`).
    let stop = supervise::stop_flag().context("handling SIGTERM")?;
    let mut shop = supervise::Supervised::new(std::time::Duration::from_secs(30));
    let host_child = Command::new(&host)
        .current_dir(root)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .spawn()
        .with_context(|| format!("starting {}", host.display()))?;
    shop.add("shop-host", host_child);
    if !wait_http_ok(&addr, "/readyz", &mut shop, &stop)? {
        return stopped_early(&mut shop, &stop, "the shop stopped before it was ready; its log above says why");
    }
    // The first run fills the shop with the demo catalogue, so there is something to see.
    let marker = root.join("data/.demo_seeded");
    if !marker.exists() {
        let seeded = Command::new(&host).current_dir(root).envs(env.iter().map(|(k, v)| (k, v))).arg("seed-demo").status()?;
        if seeded.success() {
            std::fs::write(&marker, "")?;
        } else {
            eprintln!("xtask: seeding the demo catalogue failed; the shop runs without it (try `shop-host seed-demo`)");
        }
    }
    // The storefront, in front of the host's API.
    let web_addr = std::env::var("WEB_ADDR").unwrap_or_else(|_| "127.0.0.1:4000".into());
    let api_url = std::env::var("API_URL").unwrap_or_else(|_| format!("http://{addr}"));
    let web = Command::new(target.join("release/shop-web"))
        .current_dir(root)
        .env("WEB_ADDR", &web_addr)
        .env("API_URL", &api_url)
        .env("RUST_LOG", std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into()))
        .spawn()
        .context("starting shop-web")?;
    shop.add("shop-web", web);
    if !wait_http_ok(&web_addr, "/healthz", &mut shop, &stop)? {
        return stopped_early(&mut shop, &stop, "the storefront stopped before it was ready; its log above says why");
    }
    eprintln!();
    eprintln!("xtask: the shop is open: http://{web_addr}   (Arabic: http://{web_addr}/ar)");
    eprintln!("xtask: admin dashboard: http://{web_addr}/admin  ·  API: http://{addr}/api/products  ·  API docs: http://{addr}/api/docs");
    if local_admin {
        eprintln!("xtask: admin: {LOCAL_ADMIN}, password in data/.admin_password");
    }
    eprintln!("xtask: Ctrl-C stops both");
    // Whichever stops first (Ctrl-C reaches both), the other follows.
    match shop.wait(&stop) {
        supervise::Ended::Stopped => {
            eprintln!("xtask: stopped the shop");
            Ok(())
        }
        supervise::Ended::Exited(name, status) if !status.success() => bail!("{name} exited with {status}"),
        supervise::Ended::Exited(..) => Ok(()),
    }
}

/// Ends `run` when the shop stopped (or was asked to) before it was ready.
fn stopped_early(shop: &mut supervise::Supervised, stop: &std::sync::atomic::AtomicBool, why: &str) -> Result<()> {
    shop.stop_all();
    if stop.load(std::sync::atomic::Ordering::SeqCst) {
        eprintln!("xtask: stopped the shop");
        return Ok(());
    }
    bail!("{why}")
}

/// The admin `cargo xtask run` makes for a local shop.
const LOCAL_ADMIN: &str = "admin@shop.local";

/// Waits until `GET path` answers 200 (true), or a supervised process exits or a stop is
/// asked for (false).
fn wait_http_ok(addr: &str, path: &str, shop: &mut supervise::Supervised, stop: &std::sync::atomic::AtomicBool) -> Result<bool> {
    use std::io::{Read, Write};
    for _ in 0..1200 {
        if shop.exited().is_some() || stop.load(std::sync::atomic::Ordering::SeqCst) {
            return Ok(false);
        }
        if let Ok(mut stream) = std::net::TcpStream::connect(addr) {
            let _ = stream.write_all(format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes());
            let mut answer = String::new();
            let _ = stream.read_to_string(&mut answer);
            if answer.starts_with("HTTP/1.1 200") {
                return Ok(true);
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    bail!("http://{addr}{path} did not answer within 2 minutes")
}

/// A secret of this checkout's local shop (the token-signing key, the local admin's
/// password): made once from the system's random source and kept in `data/<name>`, readable
/// by its owner only. Never a shared default; production sets its own.
fn local_secret(root: &Path, name: &str, what: &str) -> Result<String> {
    use std::io::Read;
    let path = root.join("data").join(name);
    if let Ok(secret) = std::fs::read_to_string(&path)
        && secret.trim().len() >= 32
    {
        return Ok(secret.trim().to_owned());
    }
    let mut bytes = [0u8; 32];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    let secret: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    std::fs::create_dir_all(root.join("data"))?;
    std::fs::write(&path, &secret)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    }
    eprintln!("xtask: made {what} in {}", path.display());
    Ok(secret)
}
