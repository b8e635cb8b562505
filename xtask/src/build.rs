//! `cargo xtask build` and `components`: the components for `wasm32-wasip2` (and their Spin
//! compositions), Swagger UI's files, the storefront's client and the native binaries.

use crate::checkout::Checkout;
use crate::spin;
use crate::tools::{cargo, ensure_c_toolchain, ensure_target, ensure_web_tools, npm_ci, run_checked};
use anyhow::{Context, Result};
use std::path::Path;
use std::process::Command;

const WASM_TARGET: &str = "wasm32-wasip2";

/// The components installed into `dist/components`.
const COMPONENTS: [&str; 6] = ["auth", "catalog", "orders", "media", "payments-cash-on-delivery", "payments-test-card"];

/// Test-only components, installed into `dist/test-fixtures`.
const FIXTURES: [&str; 3] = ["misbehave", "link-probe", "raw-ok"];

pub(crate) fn build_components(checkout: &Checkout, with_fixtures: bool) -> Result<()> {
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
pub(crate) fn install(from: &Path, dest: &Path, names: &[&str]) -> Result<()> {
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
pub(crate) fn build_assets(checkout: &Checkout, with_fixtures: bool) -> Result<()> {
    build_components(checkout, with_fixtures)?;
    install_api_docs(&checkout.root)?;
    build_web_client(checkout)
}

pub(crate) fn build(checkout: &Checkout, with_fixtures: bool) -> Result<()> {
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

/// The browser's target, for the storefront's client.
const WEB_TARGET: &str = "wasm32-unknown-unknown";

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
