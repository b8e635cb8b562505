//! The test suite's MongoDB run: the store's conformance suite and the host's HTTP API tests
//! again, with documents in a MongoDB-wire server.
//!
//! The server is `MONGODB_URI` when it is set. Otherwise, where the prebuilt DocumentDB
//! (MongoDB's wire protocol on PostgreSQL) sits beside the project in
//! `../shared/tools/documentdb`, a fresh one is started for the run and stopped after it.
//! With neither, the run is skipped and says so. `SHOP_TEST_MONGODB=off` skips it on purpose.

use crate::checkout::{Checkout, checkout_key};
use crate::tools::{cargo, run_checked};
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// A DocumentDB server this run started; stopped when dropped.
struct DocumentDb {
    tools: PathBuf,
    dir: PathBuf,
}

impl DocumentDb {
    /// Starts a fresh server in `dir` on a free port (its `start.sh` needs root, and installs
    /// PostgreSQL 15 from Debian when it is missing); returns it and its URI.
    fn start(tools: &Path, dir: PathBuf) -> Result<(Self, String)> {
        let is_root = Command::new("id").arg("-u").output().is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0");
        if !is_root {
            bail!(
                "the MongoDB run starts DocumentDB with {}/start.sh, which needs root: run the tests as root, set MONGODB_URI to a server, or SHOP_TEST_MONGODB=off to skip it",
                tools.display()
            );
        }
        // A server left by an interrupted run is stopped, and its data thrown away.
        let _ = Command::new("bash").arg(tools.join("stop.sh")).arg(&dir).output();
        let _ = std::fs::remove_dir_all(&dir);
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        eprintln!("xtask: starting DocumentDB in {} on port {port}", dir.display());
        let out = Command::new("bash")
            .arg(tools.join("start.sh"))
            .arg(&dir)
            .arg(port.to_string())
            .output()
            .context("running DocumentDB's start.sh")?;
        let server = Self { tools: tools.to_owned(), dir };
        if !out.status.success() {
            bail!("DocumentDB's start.sh failed ({}):\n{}", out.status, String::from_utf8_lossy(&out.stderr));
        }
        let uri = String::from_utf8_lossy(&out.stdout).lines().last().unwrap_or_default().trim().to_owned();
        if !uri.starts_with("mongodb://") {
            bail!("DocumentDB's start.sh printed no MONGODB_URI:\n{}", String::from_utf8_lossy(&out.stderr));
        }
        Ok((server, uri))
    }
}

impl Drop for DocumentDb {
    fn drop(&mut self) {
        match Command::new("bash").arg(self.tools.join("stop.sh")).arg(&self.dir).output() {
            Ok(out) if out.status.success() => {
                let _ = std::fs::remove_dir_all(&self.dir);
            }
            _ => eprintln!("xtask: stopping DocumentDB in {} failed; stop it with {}/stop.sh", self.dir.display(), self.tools.display()),
        }
    }
}

/// Runs the MongoDB half of the suite; returns a line for the summary.
pub fn run(checkout: &Checkout) -> Result<String> {
    if std::env::var("SHOP_TEST_MONGODB").is_ok_and(|v| v == "off") {
        eprintln!("xtask: ** the MongoDB run is skipped (SHOP_TEST_MONGODB=off) **");
        return Ok("MongoDB run skipped (SHOP_TEST_MONGODB=off)".into());
    }
    let tools = checkout.root.join("../shared/tools/documentdb");
    let (_server, uri) = match std::env::var("MONGODB_URI").ok().filter(|u| !u.is_empty()) {
        Some(uri) => (None, uri),
        None if tools.join("start.sh").is_file() => {
            let dir = std::env::temp_dir().join(format!("shop-documentdb-{}", checkout_key(&checkout.root)));
            let started = Instant::now();
            let (server, uri) = DocumentDb::start(&tools, dir)?;
            eprintln!("xtask: DocumentDB is up after {:.0} s", started.elapsed().as_secs_f64());
            (Some(server), uri)
        }
        None => {
            eprintln!(
                "xtask: ** the MongoDB run is skipped: MONGODB_URI is not set and no DocumentDB is in {} (set MONGODB_URI=mongodb://… to run it) **",
                tools.display()
            );
            return Ok("MongoDB run skipped (no server)".into());
        }
    };
    let started = Instant::now();
    let test = |args: &[&str]| {
        let mut command = cargo();
        command.current_dir(&checkout.root).env("CARGO_TARGET_DIR", &checkout.target).env("MONGODB_URI", &uri);
        // The main run's package selection and features, so nothing is compiled again.
        run_checked(command.args(["test", "--workspace", "--release", "--features", "shop-web/ssr"]).args(args))
    };
    eprintln!("xtask: the MongoDB run: the store's conformance suite and the HTTP API tests");
    test(&["--lib", "--", "capabilities::documents::"])?;
    test(&["--test", "api"])?;
    Ok(format!("{:.0} s for the MongoDB run", started.elapsed().as_secs_f64()))
}
