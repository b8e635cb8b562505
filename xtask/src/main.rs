//! The project's own commands: `cargo xtask <command>`.
//!
//! - `build [--fixtures]`: adds the rustup target, builds the components for `wasm32-wasip2`
//!   and the host, and installs the components into `dist/components` (atomically, so a
//!   running host swaps them in without ever reading half a file); with `--fixtures`, the
//!   test fixtures into `dist/test-fixtures` too. Swagger UI's files come from the npm
//!   registry into `dist/api-docs`. The storefront's client goes into `dist/web` (hashed,
//!   gzipped files and `assets.json`), and the host and storefront binaries are built.
//! - `run`: `build`, then starts the host on the embedded store and the storefront in front
//!   of it; the first run makes a local admin (password in `data/.admin_password`) and seeds
//!   the demo catalogue. It prints the address to open.
//! - `test`: `build` (plus test fixtures), then every test of both workspaces.
//! - `components`: only the components (what a developer runs to hot-swap a change).

mod checkout;
mod mongodb;
mod spin;
mod supervise;

use anyhow::{Context, Result, bail};
use checkout::Checkout;
use std::path::{Path, PathBuf};
use std::process::Command;

const WASM_TARGET: &str = "wasm32-wasip2";
/// The components installed into `dist/components`.
const COMPONENTS: [&str; 3] = ["auth", "catalog", "media"];
/// Test-only components, installed into `dist/test-fixtures`.
const FIXTURES: [&str; 3] = ["misbehave", "link-probe", "raw-ok"];

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let command = args.first().map(String::as_str);
    if !matches!(command, Some("build" | "components" | "run" | "test")) {
        bail!("usage: cargo xtask <build [--fixtures] | components | run | test>");
    }
    let checkout = Checkout::find()?;
    checkout.announce(command.unwrap_or_default());
    match command {
        Some("build") => build(&checkout, args.iter().any(|a| a == "--fixtures")),
        Some("components") => build_components(&checkout, false),
        Some("run") => {
            build(&checkout, false)?;
            run(&checkout)
        }
        _ => {
            // `cargo test` builds the binaries itself, with the dev-dependencies' features;
            // building them first without those would compile much of the tree twice.
            check_format(&checkout.root)?;
            build_assets(&checkout, true)?;
            test(&checkout)
        }
    }
}

fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

fn run_checked(command: &mut Command) -> Result<()> {
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
fn ensure_c_toolchain() -> Result<()> {
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
fn npm_ci(dir: &Path, what: &str) -> Result<()> {
    eprintln!("xtask: installing {what} from the npm registry ({})", dir.display());
    match Command::new("npm").current_dir(dir).args(["ci", "--ignore-scripts", "--no-audit", "--no-fund"]).status() {
        Ok(status) if status.success() => Ok(()),
        Ok(status) => bail!("npm ci in {} failed with {status}", dir.display()),
        Err(_) => bail!("npm is not on PATH: install Node.js with npm (Debian: apt-get install nodejs npm), then run this again"),
    }
}

fn build_components(checkout: &Checkout, with_fixtures: bool) -> Result<()> {
    ensure_target(WASM_TARGET)?;
    ensure_c_toolchain()?;
    let root = &checkout.root;
    let mut command = cargo();
    command.current_dir(root.join("components")).env("CARGO_TARGET_DIR", &checkout.wasm_target).args([
        "build",
        "--release",
        "--target",
        WASM_TARGET,
    ]);
    let spin_only = spin::ADAPTERS.iter().chain(&["uploads"]);
    for name in COMPONENTS.iter().chain(spin_only).chain(if with_fixtures { FIXTURES.iter() } else { [].iter() }) {
        command.args(["-p", name]);
    }
    run_checked(&mut command)?;
    let out = checkout.wasm_target.join(WASM_TARGET).join("release");
    install(&out, &root.join("dist/components"), &COMPONENTS)?;
    if with_fixtures {
        install(&out, &root.join("dist/test-fixtures"), &FIXTURES)?;
    }
    compose_for_spin(&out, &root.join("dist/spin"))
}

/// The components `spin.toml` deploys, composed with their adapters into `dest`.
fn compose_for_spin(built: &Path, dest: &Path) -> Result<()> {
    let read = |name: &str| -> Result<Vec<u8>> {
        let path = match name.strip_prefix("spin:") {
            Some(composed) => dest.join(format!("{composed}.wasm")),
            None => built.join(format!("{}.wasm", name.replace('-', "_"))),
        };
        std::fs::read(&path).with_context(|| format!("reading {}", path.display()))
    };
    std::fs::create_dir_all(dest)?;
    for composition in &spin::COMPOSITIONS {
        let plugs = composition.plugs.iter().map(|name| Ok((*name, read(name)?))).collect::<Result<Vec<_>>>()?;
        let bytes = spin::compose((composition.socket, read(composition.socket)?), plugs)?;
        write_if_changed(dest, composition.name, &bytes)?;
    }
    Ok(())
}

/// Copies `<name>.wasm` files into `dest`, each through a temporary file and a rename, and
/// only when the bytes changed (so an unchanged build does not trigger a swap).
fn install(from: &Path, dest: &Path, names: &[&str]) -> Result<()> {
    std::fs::create_dir_all(dest)?;
    for name in names {
        // Cargo names a cdylib after its package with `-` turned into `_`.
        let source = from.join(format!("{}.wasm", name.replace('-', "_")));
        let bytes = std::fs::read(&source).with_context(|| format!("reading {}", source.display()))?;
        write_if_changed(dest, name, &bytes)?;
    }
    Ok(())
}

/// Writes `dest/<name>.wasm` through a temporary file and a rename, unless it already holds
/// these bytes.
fn write_if_changed(dest: &Path, name: &str, bytes: &[u8]) -> Result<()> {
    let target = dest.join(format!("{name}.wasm"));
    if std::fs::read(&target).ok().as_deref() == Some(bytes) {
        return Ok(());
    }
    let tmp = dest.join(format!(".{name}.wasm.tmp"));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, &target)?;
    eprintln!("xtask: installed {} ({} KiB)", target.display(), bytes.len() / 1024);
    Ok(())
}

/// Swagger UI's files, from the npm registry at the version `docs/api/package-lock.json`
/// pins, into `dist/api-docs` (the host serves them at `/api/docs`, offline).
fn install_api_docs(root: &Path) -> Result<()> {
    let docs = root.join("docs/api");
    let package = docs.join("node_modules/swagger-ui-dist");
    let lock = std::fs::read_to_string(docs.join("package-lock.json")).context("reading docs/api/package-lock.json")?;
    let installed = std::fs::read_to_string(package.join("package.json")).unwrap_or_default();
    let pinned = |text: &str| text.split("\"version\": \"").nth(1).and_then(|rest| rest.split('"').next()).map(str::to_owned);
    let wanted = lock.split("\"node_modules/swagger-ui-dist\"").nth(1).and_then(pinned);
    if wanted.is_none() || pinned(&installed) != wanted {
        npm_ci(&docs, "Swagger UI")?;
    }
    let out = root.join("dist/api-docs");
    std::fs::create_dir_all(&out)?;
    for file in ["swagger-ui.css", "swagger-ui-bundle.js", "favicon-32x32.png", "LICENSE"] {
        let bytes = std::fs::read(package.join(file)).with_context(|| format!("reading swagger-ui-dist/{file}"))?;
        if std::fs::read(out.join(file)).ok().as_deref() != Some(bytes.as_slice()) {
            std::fs::write(out.join(file), bytes)?;
        }
    }
    Ok(())
}

/// Everything but the native binaries: components, Swagger UI, the storefront's client.
fn build_assets(checkout: &Checkout, with_fixtures: bool) -> Result<()> {
    build_components(checkout, with_fixtures)?;
    install_api_docs(&checkout.root)?;
    build_web_client(checkout)
}

fn build(checkout: &Checkout, with_fixtures: bool) -> Result<()> {
    build_assets(checkout, with_fixtures)?;
    run_checked(cargo().current_dir(&checkout.root).env("CARGO_TARGET_DIR", &checkout.target).args([
        "build",
        "--release",
        "-p",
        "shop-host",
        "-p",
        "shop-web",
        "--features",
        "shop-web/ssr",
    ]))
}

fn run(checkout: &Checkout) -> Result<()> {
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

/// The cargo-deny release the dependency policy is checked with.
const CARGO_DENY_VERSION: &str = "0.20.2";

/// Installs a cargo tool at an exact version unless that version is on PATH already.
fn ensure_tool(binary: &str, package: &str, version: &str) -> Result<()> {
    let installed = Command::new(binary).arg("--version").output();
    if let Ok(out) = installed {
        if String::from_utf8_lossy(&out.stdout).contains(version) {
            return Ok(());
        }
    }
    eprintln!("xtask: installing {package} {version}");
    run_checked(cargo().args(["install", package, "--version", version, "--locked"]))
}

/// Licences, bans and sources of both workspaces (advisories need a network we lack).
/// `cargo fmt --check` over both workspaces (the layout `rustfmt.toml` chooses), first: it
/// takes seconds and saves a long run that would end red.
fn check_format(root: &Path) -> Result<()> {
    ensure_component("rustfmt")?;
    for dir in [root.to_owned(), root.join("components")] {
        let status = cargo().current_dir(&dir).args(["fmt", "--all", "--check"]).status().context("running cargo fmt")?;
        if !status.success() {
            bail!("the code in {} is not formatted: run `cargo fmt --all` there, then run this again", dir.display());
        }
    }
    Ok(())
}

/// Adds a rustup component (rustfmt, clippy) when it is missing.
fn ensure_component(component: &str) -> Result<()> {
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

fn check_dependencies(root: &Path) -> Result<()> {
    ensure_tool("cargo-deny", "cargo-deny", CARGO_DENY_VERSION)?;
    let config = root.join("deny.toml");
    for dir in [root.to_owned(), root.join("components")] {
        let mut command = cargo();
        command.current_dir(&dir).arg("deny").arg("--log-level").arg("error").arg("--config").arg(&config);
        command.args(["check", "licenses", "bans", "sources"]);
        run_checked(&mut command)?;
    }
    Ok(())
}

/// A secret of this checkout's local shop (the token-signing key, the local admin's
/// password): made once from the system's random source and kept in `data/<name>`, readable
/// by its owner only. Never a shared default; production sets its own.
fn local_secret(root: &Path, name: &str, what: &str) -> Result<String> {
    use std::io::Read;
    let path = root.join("data").join(name);
    if let Ok(secret) = std::fs::read_to_string(&path) {
        if secret.trim().len() >= 32 {
            return Ok(secret.trim().to_owned());
        }
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

/// Debian's Chromium, for the storefront's browser tests: installed when missing and
/// running as root (a test tool's own browser download cannot work here).
fn ensure_chromium() -> Result<()> {
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
fn ensure_nginx() -> Result<()> {
    ensure_packages(&NGINX_TOOLS, |missing| {
        format!(
            "the deployment test runs the shop behind Debian's nginx: run `sudo apt-get install {}`, then run this again",
            missing.join(" ")
        )
    })
}

fn test(checkout: &Checkout) -> Result<()> {
    let root = checkout.root.as_path();
    check_dependencies(root)?;
    ensure_chromium()?;
    ensure_nginx()?;
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
    let mongodb = mongodb::run(checkout)?;
    eprintln!(
        "xtask: test times: {:.0} s on the embedded store (Spin included: {}), {}",
        embedded.as_secs_f64(),
        if spin.is_some() { "yes" } else { "no" },
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

/// The browser's target, for the storefront's client.
const WEB_TARGET: &str = "wasm32-unknown-unknown";

/// Adds a rustup target when it is missing.
fn ensure_target(target: &str) -> Result<()> {
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
fn ensure_web_tools(root: &Path) -> Result<PathBuf> {
    let dir = root.join("web/e2e");
    let lock = std::fs::read(dir.join("package-lock.json")).context("reading web/e2e/package-lock.json")?;
    let stamp = dir.join("node_modules/.installed-lock");
    if std::fs::read(&stamp).ok().as_deref() != Some(lock.as_slice()) {
        npm_ci(&dir, "the storefront's tools")?;
        std::fs::write(&stamp, &lock)?;
    }
    Ok(dir.join("node_modules"))
}

fn short_hash(parts: &[&[u8]]) -> String {
    use sha2::Digest;
    let mut hasher = sha2::Sha256::new();
    for part in parts {
        hasher.update(part);
    }
    hasher.finalize().iter().take(6).map(|b| format!("{b:02x}")).collect()
}

/// Builds the storefront's browser half into `dist/web/pkg`: the `hydrate` build for
/// `wasm32-unknown-unknown`, wasm-bindgen's JavaScript glue, wasm-opt -Oz, the stylesheet;
/// every file named by a hash of its contents (cached for a year) with a gzip copy beside it,
/// and `dist/web/assets.json` naming them for the server.
fn build_web_client(checkout: &Checkout) -> Result<()> {
    ensure_target(WEB_TARGET)?;
    let root = checkout.root.as_path();
    let node_modules = ensure_web_tools(root)?;
    let mut command = cargo();
    command.current_dir(root).env("CARGO_TARGET_DIR", &checkout.web_target);
    run_checked(command.args([
        "build",
        "-p",
        "shop-web",
        "--lib",
        "--target",
        WEB_TARGET,
        "--features",
        "hydrate",
        "--profile",
        "wasm-release",
    ]))?;
    let input = checkout.web_target.join(WEB_TARGET).join("wasm-release/shop_web.wasm");
    // wasm-bindgen and wasm-opt take a minute: skip them when neither the build nor the
    // stylesheet changed since the files in dist/web were made from them.
    let stamp_path = root.join("dist/web/.source-stamp");
    let stamp = short_hash(&[
        &std::fs::read(&input).with_context(|| format!("reading {}", input.display()))?,
        &std::fs::read(root.join("web/style/shop.css"))?,
    ]);
    if std::fs::read_to_string(&stamp_path).is_ok_and(|s| s == stamp)
        && root.join("dist/web/assets.json").is_file()
        && root.join("dist/web/pkg").is_dir()
    {
        return Ok(());
    }
    let work = root.join("dist/web/.build");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work)?;
    wasm_bindgen_cli_support::Bindgen::new()
        .input_path(&input)
        .web(true)
        .map_err(|e| anyhow::anyhow!("wasm-bindgen: {e}"))?
        .typescript(false)
        .out_name("shop-web")
        .generate(&work)
        .map_err(|e| anyhow::anyhow!("wasm-bindgen on {}: {e}", input.display()))?;
    let wasm_path = work.join("shop-web_bg.wasm");
    let optimized = work.join("shop-web_bg.opt.wasm");
    run_checked(Command::new("node").arg(node_modules.join("binaryen/bin/wasm-opt")).arg("-Oz").arg(&wasm_path).arg("-o").arg(&optimized))?;
    let js = std::fs::read(work.join("shop-web.js"))?;
    let wasm = std::fs::read(&optimized)?;
    let css = std::fs::read(root.join("web/style/shop.css"))?;
    let output_name = format!("shop-web-{}", short_hash(&[&js, &wasm]));
    let css_name = format!("shop-{}.css", short_hash(&[&css]));
    let pkg = root.join("dist/web/pkg");
    let _ = std::fs::remove_dir_all(&pkg);
    std::fs::create_dir_all(&pkg)?;
    for (name, bytes) in [(format!("{output_name}.js"), &js), (format!("{output_name}_bg.wasm"), &wasm), (css_name.clone(), &css)] {
        std::fs::write(pkg.join(&name), bytes)?;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        std::io::Write::write_all(&mut gz, bytes)?;
        std::fs::write(pkg.join(format!("{name}.gz")), gz.finish()?)?;
    }
    let manifest = serde_json::json!({ "output_name": output_name, "css": css_name });
    std::fs::write(root.join("dist/web/assets.json"), serde_json::to_vec_pretty(&manifest)?)?;
    let _ = std::fs::remove_dir_all(&work);
    std::fs::write(&stamp_path, &stamp)?;
    let gz = std::fs::metadata(pkg.join(format!("{output_name}_bg.wasm.gz")))?.len();
    eprintln!("xtask: storefront client {output_name}: wasm {} KiB, {} KiB gzipped", wasm.len() / 1024, gz / 1024);
    Ok(())
}
