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
//! - `fuzz [--seconds N] [target…]`: the fuzz targets under `fuzz/`, N seconds each (600 by
//!   default), with a table of executions and coverage.

mod api_fuzz;
mod build;
mod checkout;
mod fuzz;
mod mongodb;
mod run;
mod spin;
mod supervise;
mod test;
mod tools;

use anyhow::{Result, bail};
use build::{build, build_assets, build_components};
use checkout::Checkout;
use run::run;
use test::{check_format, check_lints, test};

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let command = args.first().map(String::as_str);
    if !matches!(command, Some("build" | "components" | "fuzz" | "run" | "test")) {
        bail!("usage: cargo xtask <build [--fixtures] | components | fuzz [--seconds N] [target…] | run | test>");
    }
    let checkout = Checkout::find()?;
    checkout.announce(command.unwrap_or_default());
    match command {
        Some("build") => build(&checkout, args.iter().any(|a| a == "--fixtures")),
        Some("components") => build_components(&checkout, false),
        Some("fuzz") => fuzz::command(&checkout, &args[1..]),
        Some("run") => {
            build(&checkout, false)?;
            run(&checkout)
        }
        _ => {
            // `cargo test` builds the binaries itself, with the dev-dependencies' features;
            // building them first without those would compile much of the tree twice.
            check_format(&checkout.root)?;
            check_lints(&checkout)?;
            build_assets(&checkout, true)?;
            test(&checkout)
        }
    }
}
