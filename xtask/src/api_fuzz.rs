//! The test suite's API fuzzing: Schemathesis against the host's own OpenAPI document, as an
//! anonymous client, a customer and an admin (`host/tests/schemathesis/run.py` drives it).
//!
//! Schemathesis comes from PyPI at the versions `host/tests/schemathesis/requirements.txt`
//! pins, installed into a virtual environment under the target directory, once (again only
//! when the pins change). `SHOP_TEST_API_FUZZ=off` skips the run on purpose.

use crate::checkout::Checkout;
use crate::tools::run_checked;
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// The virtual environment with Schemathesis, made or brought up to the pins.
fn ensure_schemathesis(root: &Path, target: &Path) -> Result<PathBuf> {
    let requirements = root.join("host/tests/schemathesis/requirements.txt");
    let pins = std::fs::read_to_string(&requirements).with_context(|| format!("reading {}", requirements.display()))?;
    let venv = target.join("schemathesis-venv");
    let stamp = venv.join("installed-requirements.txt");
    let bin = venv.join("bin/schemathesis");
    if bin.is_file() && std::fs::read_to_string(&stamp).ok().as_deref() == Some(pins.as_str()) {
        return Ok(bin);
    }
    eprintln!("xtask: installing Schemathesis into {}", venv.display());
    let _ = std::fs::remove_dir_all(&venv);
    let made = Command::new("python3").args(["-m", "venv"]).arg(&venv).status();
    if !made.is_ok_and(|status| status.success()) {
        bail!(
            "could not make a Python virtual environment with `python3 -m venv`: install Python 3 with its venv module (Debian: apt-get install python3-venv), then run this again"
        );
    }
    run_checked(Command::new(venv.join("bin/pip")).args(["install", "--quiet", "--disable-pip-version-check", "-r"]).arg(&requirements))
        .context("installing Schemathesis from PyPI")?;
    std::fs::write(&stamp, pins)?;
    Ok(bin)
}

/// Runs the fuzzing; a line for the test times.
pub(crate) fn run(checkout: &Checkout) -> Result<String> {
    if std::env::var("SHOP_TEST_API_FUZZ").is_ok_and(|v| v == "off") {
        eprintln!("xtask: SHOP_TEST_API_FUZZ=off: the API fuzzing is skipped");
        return Ok("API fuzzing skipped".into());
    }
    let started = Instant::now();
    let schemathesis = ensure_schemathesis(&checkout.root, &checkout.target)?;
    let host = checkout.target.join("release/shop-host");
    eprintln!("xtask: the API fuzzing: Schemathesis against docs/api/openapi.json");
    run_checked(
        Command::new("python3")
            .arg(checkout.root.join("host/tests/schemathesis/run.py"))
            .arg(&host)
            .arg(&schemathesis)
            .current_dir(&checkout.root),
    )?;
    Ok(format!("{:.0} s for the API fuzzing", started.elapsed().as_secs_f64()))
}
