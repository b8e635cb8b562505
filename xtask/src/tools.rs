//! Tools the commands need, installed when missing: rustup targets and components, cargo
//! tools at pinned versions, Debian packages (as root), npm packages; and running commands.

use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::Command;

pub(crate) fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

pub(crate) fn run_checked(command: &mut Command) -> Result<()> {
    let status = command.status().with_context(|| format!("running {command:?}"))?;
    if !status.success() {
        bail!("{command:?} failed with {status}");
    }
    Ok(())
}

/// Debian packages the media component's C code (libwebp) is compiled with, for the
/// component target: clang and llvm-ar at the version `components/.cargo/config.toml` names,
/// and wasi-libc's headers. Installed when missing and running as root.
const C_TOOLCHAIN: [(&str, &str); 3] =
    [("/usr/bin/clang-19", "clang-19"), ("/usr/bin/llvm-ar-19", "llvm-19"), ("/usr/include/wasm32-wasi/stdlib.h", "wasi-libc")];

/// Installs the C toolchain for the component target from Debian when it is missing.
pub(crate) fn ensure_c_toolchain() -> Result<()> {
    ensure_packages(&C_TOOLCHAIN, |missing| {
        format!(
            "the media component needs Debian's {} to compile libwebp for WebAssembly: run `sudo apt-get install {}`, then run this again",
            missing.join(", "),
            missing.join(" ")
        )
    })
}

/// Installs the Debian packages of `(file, package)` pairs whose file is missing; `instead`
/// words the message for a user who cannot install them.
fn ensure_packages(wanted: &[(&str, &str)], instead: impl Fn(&[&str]) -> String) -> Result<()> {
    let missing: Vec<&str> = wanted.iter().filter(|(path, _)| !Path::new(path).exists()).map(|(_, package)| *package).collect();
    if missing.is_empty() {
        return Ok(());
    }
    apt_install(&missing, &instead(&missing))
}

/// Installs Debian packages when running as root with apt; otherwise stops with `instead`.
fn apt_install(packages: &[&str], instead: &str) -> Result<()> {
    let is_root = Command::new("id").arg("-u").output().is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0");
    if !(is_root && Path::new("/usr/bin/apt-get").exists()) {
        bail!("{instead}");
    }
    eprintln!("xtask: installing {} from Debian", packages.join(", "));
    run_checked(Command::new("apt-get").args(["update", "-qq"]))?;
    run_checked(
        Command::new("apt-get")
            .args(["install", "-y", "-qq", "--no-install-recommends"])
            .args(packages)
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )
}

/// `npm ci` in `dir` (`--ignore-scripts`: a dependency's install script would phone home).
pub(crate) fn npm_ci(dir: &Path, what: &str) -> Result<()> {
    eprintln!("xtask: installing {what} from the npm registry ({})", dir.display());
    match Command::new("npm").current_dir(dir).args(["ci", "--ignore-scripts", "--no-audit", "--no-fund"]).status() {
        Ok(status) if status.success() => Ok(()),
        Ok(status) => bail!("npm ci in {} failed with {status}", dir.display()),
        Err(_) => bail!("npm is not on PATH: install Node.js with npm (Debian: apt-get install nodejs npm), then run this again"),
    }
}

/// The cargo-deny release the dependency policy is checked with.
pub(crate) const CARGO_DENY_VERSION: &str = "0.20.2";
/// cargo-fuzz, for the fuzz targets under `fuzz/`.
pub(crate) const CARGO_FUZZ_VERSION: &str = "0.13.2";

/// Installs a cargo tool at an exact version unless that version is on PATH already.
pub(crate) fn ensure_tool(binary: &str, package: &str, version: &str) -> Result<()> {
    let installed = Command::new(binary).arg("--version").output();
    if let Ok(out) = installed
        && String::from_utf8_lossy(&out.stdout).contains(version)
    {
        return Ok(());
    }
    eprintln!("xtask: installing {package} {version}");
    run_checked(cargo().args(["install", package, "--version", version, "--locked"]))
}

/// Adds a rustup component (rustfmt, clippy) when it is missing.
pub(crate) fn ensure_component(component: &str) -> Result<()> {
    let installed = Command::new("rustup").args(["component", "list", "--installed"]).output();
    match installed {
        Ok(out) if String::from_utf8_lossy(&out.stdout).lines().any(|l| l.trim().starts_with(&format!("{component}-"))) => Ok(()),
        Ok(_) => {
            eprintln!("xtask: adding the rustup component {component}");
            run_checked(Command::new("rustup").args(["component", "add", component]))
        }
        Err(_) => bail!("rustup is not on PATH: install Rust with rustup (https://rustup.rs), then run this again"),
    }
}

/// Debian's Chromium, for the storefront's browser tests: installed when missing and
/// running as root (a test tool's own browser download cannot work here).
pub(crate) fn ensure_chromium() -> Result<()> {
    if Path::new("/usr/bin/chromium").exists() || std::env::var_os("CHROMIUM").is_some() {
        return Ok(());
    }
    apt_install(
        &["chromium", "fonts-dejavu-core"],
        "the browser tests need Debian's Chromium: run `sudo apt-get install chromium`, or set CHROMIUM to a Chromium binary, then run this again",
    )
}

/// Debian's nginx (with its brotli module), envsubst and openssl, for the deployment test
/// through real nginx (`web/tests/nginx.rs` runs `nginx/render.sh` and `nginx/make-cert.sh`).
const NGINX_TOOLS: [(&str, &str); 4] = [
    ("/usr/sbin/nginx", "nginx-light"),
    ("/usr/lib/nginx/modules/ngx_http_brotli_filter_module.so", "libnginx-mod-http-brotli-filter"),
    ("/usr/bin/envsubst", "gettext-base"),
    ("/usr/bin/openssl", "openssl"),
];

/// Installs what the nginx test needs when it is missing (as root; otherwise says what to run).
pub(crate) fn ensure_nginx() -> Result<()> {
    ensure_packages(&NGINX_TOOLS, |missing| {
        format!(
            "the deployment test runs the shop behind Debian's nginx: run `sudo apt-get install {}`, then run this again",
            missing.join(" ")
        )
    })
}

/// Debian's aiosmtpd (with Debian's Python), the real SMTP server the order e-mail tests
/// deliver to (`host/tests/smtp/server.py`).
pub(crate) fn ensure_smtp_server() -> Result<()> {
    ensure_packages(&[("/usr/lib/python3/dist-packages/aiosmtpd", "python3-aiosmtpd")], |missing| {
        format!(
            "the order e-mail tests deliver to a local SMTP server: run `sudo apt-get install {}`, then run this again",
            missing.join(" ")
        )
    })
}

/// Adds a rustup target when it is missing.
pub(crate) fn ensure_target(target: &str) -> Result<()> {
    let installed = Command::new("rustup").args(["target", "list", "--installed"]).output();
    match installed {
        Ok(out) if String::from_utf8_lossy(&out.stdout).lines().any(|l| l.trim() == target) => Ok(()),
        Ok(_) => {
            eprintln!("xtask: adding the rustup target {target}");
            run_checked(Command::new("rustup").args(["target", "add", target]))
        }
        Err(_) => bail!("rustup is not on PATH: install Rust with rustup (https://rustup.rs), then run this again"),
    }
}

/// The storefront's npm tools (binaryen's wasm-opt, playwright-core, axe-core) at the
/// versions `web/e2e/package-lock.json` pins.
pub(crate) fn ensure_web_tools(root: &Path) -> Result<PathBuf> {
    let dir = root.join("web/e2e");
    let lock = std::fs::read(dir.join("package-lock.json")).context("reading web/e2e/package-lock.json")?;
    let stamp = dir.join("node_modules/.installed-lock");
    if std::fs::read(&stamp).ok().as_deref() != Some(lock.as_slice()) {
        npm_ci(&dir, "the storefront's tools")?;
        std::fs::write(&stamp, &lock)?;
    }
    Ok(dir.join("node_modules"))
}
