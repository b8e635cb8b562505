//! `cargo xtask test`: the format check, the dependency check, and every test of both
//! workspaces on the embedded store, then the API fuzzing and the MongoDB run.

use crate::checkout::Checkout;
use crate::tools::{
    CARGO_DENY_VERSION, cargo, ensure_chromium, ensure_component, ensure_nginx, ensure_smtp_server, ensure_tool, run_checked,
};
use crate::{api_fuzz, fuzz, mongodb};
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::Command;

/// `cargo fmt --check` over the three workspaces (the layout `rustfmt.toml` chooses), first:
/// it takes seconds and saves a long run that would end red.
pub(crate) fn check_format(root: &Path) -> Result<()> {
    ensure_component("rustfmt")?;
    for dir in [root.to_owned(), root.join("components"), root.join("fuzz")] {
        let status = cargo().current_dir(&dir).args(["fmt", "--all", "--check"]).status().context("running cargo fmt")?;
        if !status.success() {
            bail!("the code in {} is not formatted: run `cargo fmt --all` there, then run this again", dir.display());
        }
    }
    Ok(())
}

/// `cargo clippy --all-targets -D warnings` over both workspaces, before the tests: a lint is
/// a review comment the machine can make, so none is left for a person to make.
pub(crate) fn check_lints(checkout: &Checkout) -> Result<()> {
    ensure_component("clippy")?;
    let workspaces = [
        (checkout.root.clone(), &checkout.target, &["--features", "shop-web/ssr"][..]),
        (checkout.root.join("components"), &checkout.wasm_target, &[][..]),
    ];
    for (dir, target, features) in workspaces {
        let mut command = cargo();
        command.current_dir(&dir).env("CARGO_TARGET_DIR", target).args(["clippy", "--workspace", "--all-targets"]);
        command.args(features).args(["--", "-D", "warnings"]);
        run_checked(&mut command).with_context(|| format!("clippy found something in {}: fix it, then run this again", dir.display()))?;
    }
    Ok(())
}

/// Licences, bans and sources of the three workspaces (the fuzz targets' included) (advisories need a network we lack).
fn check_dependencies(root: &Path) -> Result<()> {
    ensure_tool("cargo-deny", "cargo-deny", CARGO_DENY_VERSION)?;
    let config = root.join("deny.toml");
    for dir in [root.to_owned(), root.join("components"), root.join("fuzz")] {
        let mut command = cargo();
        command.current_dir(&dir).arg("deny").arg("--log-level").arg("error").arg("--config").arg(&config);
        command.args(["check", "licenses", "bans", "sources"]);
        run_checked(&mut command)?;
    }
    Ok(())
}

pub(crate) fn test(checkout: &Checkout) -> Result<()> {
    let root = checkout.root.as_path();
    check_dependencies(root)?;
    ensure_chromium()?;
    ensure_nginx()?;
    ensure_smtp_server()?;
    let spin = find_spin(root);
    let started = std::time::Instant::now();
    // The native workspace: unit tests and the integration tests (which start real hosts with
    // the components built above), on the embedded store; the MongoDB run comes after.
    let mut native = cargo();
    native.current_dir(root).env("CARGO_TARGET_DIR", &checkout.target).env_remove("MONGODB_URI");
    // The two-checkout test seeds its copies' component builds from this one's (see there).
    native.env("SHOP_COMPONENTS_TARGET_DIR", &checkout.wasm_target);
    if let Some(spin) = &spin {
        native.env("SPIN_BIN", spin);
    }
    run_checked(native.args(["test", "--workspace", "--release", "--features", "shop-web/ssr"]))?;
    // The components' own unit tests run natively (`--lib`: the cdylib itself only links
    // for WebAssembly).
    run_checked(cargo().current_dir(root.join("components")).env("CARGO_TARGET_DIR", &checkout.wasm_target).args([
        "test",
        "--workspace",
        "--lib",
    ]))?;
    let embedded = started.elapsed();
    let api_fuzz = api_fuzz::run(checkout)?;
    let fuzz = fuzz::smoke(checkout)?;
    let mongodb = mongodb::run(checkout)?;
    eprintln!(
        "xtask: test times: {:.0} s on the embedded store (Spin included: {}), {}, {}, {}",
        embedded.as_secs_f64(),
        if spin.is_some() { "yes" } else { "no" },
        api_fuzz,
        fuzz,
        mongodb
    );
    Ok(())
}

/// The Spin CLI for the test that runs `spin up`: `SPIN_BIN`, then `spin` on `PATH`, then
/// the prebuilt copy beside the project (`../shared/tools/spin`, unpacked into the cache).
fn find_spin(root: &Path) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("SPIN_BIN").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path));
    }
    let on_path =
        std::env::var_os("PATH").and_then(|paths| std::env::split_paths(&paths).map(|dir| dir.join("spin")).find(|p| p.is_file()));
    if on_path.is_some() {
        return on_path;
    }
    let install = root.join("../shared/tools/spin/install.sh");
    if !install.is_file() {
        return None;
    }
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_else(std::env::temp_dir);
    let out = Command::new("sh").arg(&install).arg(home.join(".cache/shop/spin-4.0.2")).output().ok()?;
    let path = String::from_utf8_lossy(&out.stdout).lines().last().map(PathBuf::from)?;
    (out.status.success() && path.is_file()).then_some(path)
}
