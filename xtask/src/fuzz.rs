//! The fuzz targets under `fuzz/` (cargo-fuzz, libFuzzer with AddressSanitizer): `cargo xtask
//! fuzz [--seconds N] [target…]` runs each for N seconds (600 by default: `bash bench/fuzz.sh`),
//! and the test suite runs each for a short smoke run (`SHOP_TEST_FUZZ_SECONDS`, default 20;
//! `SHOP_TEST_FUZZ=off` skips it on purpose).
//!
//! Each target starts from its seeds (`fuzz/seeds/<target>`, real files) and the inputs that
//! once broke it (`fuzz/regressions/<target>`, replayed on every run), and keeps what it
//! learns in a corpus under the target directory. A crash, a hang (one input over 10 s) or
//! one allocation over the target's cap (the memory cap of the component the code runs in)
//! fails the run, and the input that did it is kept under the target directory.

use crate::checkout::Checkout;
use crate::tools::{CARGO_FUZZ_VERSION, ensure_tool, run_checked};
use anyhow::{Context, Result, bail};
use std::process::Command;
use std::time::Instant;

/// A fuzz target and the largest single allocation it may make, in MiB.
struct Target {
    name: &'static str,
    malloc_limit_mb: u32,
}

/// Every target; caps are the components' memory limits (`SHOP_MEDIA_MEMORY_LIMIT_MB`,
/// `SHOP_MEMORY_LIMIT_MB` defaults).
const TARGETS: [Target; 6] = [
    Target { name: "media_pipeline", malloc_limit_mb: 256 },
    Target { name: "multipart_form", malloc_limit_mb: 64 },
    Target { name: "product_body", malloc_limit_mb: 64 },
    Target { name: "category_body", malloc_limit_mb: 64 },
    Target { name: "listing_query", malloc_limit_mb: 64 },
    Target { name: "blob_key", malloc_limit_mb: 64 },
];

/// What one target's run did, from libFuzzer's final report.
struct Outcome {
    name: &'static str,
    executions: u64,
    coverage: String,
    seconds: f64,
}

/// `cargo xtask fuzz [--seconds N] [target…]`.
pub(crate) fn command(checkout: &Checkout, args: &[String]) -> Result<()> {
    let mut seconds = 600;
    let mut wanted = Vec::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        if arg == "--seconds" {
            seconds = args.next().and_then(|n| n.parse().ok()).context("--seconds needs a whole number")?;
        } else if TARGETS.iter().any(|t| t.name == arg) {
            wanted.push(arg.as_str());
        } else {
            bail!("unknown fuzz target {arg}: the targets are {}", TARGETS.iter().map(|t| t.name).collect::<Vec<_>>().join(", "));
        }
    }
    let outcomes = run_targets(checkout, seconds, &wanted)?;
    println!("| target | seconds | executions | executions/s | coverage (libFuzzer: edges, features, corpus) |");
    println!("| --- | ---: | ---: | ---: | --- |");
    for o in outcomes {
        println!("| {} | {:.0} | {} | {:.0} | {} |", o.name, o.seconds, o.executions, o.executions as f64 / o.seconds, o.coverage);
    }
    Ok(())
}

/// The suite's smoke run; a line for the test times.
pub(crate) fn smoke(checkout: &Checkout) -> Result<String> {
    if std::env::var("SHOP_TEST_FUZZ").is_ok_and(|v| v == "off") {
        eprintln!("xtask: SHOP_TEST_FUZZ=off: the fuzz targets' smoke run is skipped");
        return Ok("fuzzing skipped".into());
    }
    let seconds = std::env::var("SHOP_TEST_FUZZ_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(20);
    let started = Instant::now();
    let outcomes = run_targets(checkout, seconds, &[])?;
    let executions: u64 = outcomes.iter().map(|o| o.executions).sum();
    Ok(format!("{:.0} s for {} fuzz targets ({executions} inputs)", started.elapsed().as_secs_f64(), outcomes.len()))
}

fn run_targets(checkout: &Checkout, seconds: u32, wanted: &[&str]) -> Result<Vec<Outcome>> {
    ensure_nightly()?;
    ensure_tool("cargo-fuzz", "cargo-fuzz", CARGO_FUZZ_VERSION)?;
    let work = checkout.fuzz_target.as_path();
    eprintln!("xtask: building the fuzz targets (nightly, AddressSanitizer) in {}", work.display());
    run_checked(fuzz_command(checkout).args(["build", "-O"])).context("building the fuzz targets")?;
    let mut outcomes = Vec::new();
    for target in TARGETS.iter().filter(|t| wanted.is_empty() || wanted.contains(&t.name)) {
        outcomes.push(run_one(checkout, target, seconds)?);
    }
    Ok(outcomes)
}

/// `cargo fuzz` on the nightly toolchain (its sanitizers and coverage flags need one), building
/// into this checkout's own fuzz target directory.
fn fuzz_command(checkout: &Checkout) -> Command {
    let mut command = Command::new("rustup");
    command.args(["run", "nightly", "cargo", "fuzz"]).current_dir(&checkout.root).env("CARGO_TARGET_DIR", &checkout.fuzz_target);
    command
}

fn run_one(checkout: &Checkout, target: &Target, seconds: u32) -> Result<Outcome> {
    let work = checkout.fuzz_target.as_path();
    let corpus = work.join("corpus").join(target.name);
    let artifacts = work.join("artifacts").join(target.name);
    std::fs::create_dir_all(&corpus)?;
    std::fs::create_dir_all(&artifacts)?;
    let seeds = checkout.root.join("fuzz/seeds").join(target.name);
    let regressions = checkout.root.join("fuzz/regressions").join(target.name);
    let mut command = fuzz_command(checkout);
    command.args(["run", "-O", target.name]).arg(&corpus).arg(&seeds);
    if regressions.is_dir() {
        command.arg(&regressions);
    }
    command.arg("--").args([
        format!("-max_total_time={seconds}"),
        "-timeout=10".into(),
        format!("-malloc_limit_mb={}", target.malloc_limit_mb),
        format!("-artifact_prefix={}/", artifacts.display()),
        "-print_final_stats=1".into(),
    ]);
    eprintln!("xtask: fuzzing {} for {seconds} s", target.name);
    let started = Instant::now();
    let out = command.output().with_context(|| format!("running cargo fuzz for {}", target.name))?;
    let log = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        let tail: Vec<&str> = log.lines().rev().take(40).collect();
        eprintln!("{}", tail.into_iter().rev().collect::<Vec<_>>().join("\n"));
        bail!(
            "the fuzz target {name} failed (a crash, a hang or an allocation over {cap} MiB): the input is in {dir}. \
             Reproduce with `CARGO_TARGET_DIR={work} cargo +nightly fuzz run -O {name} <input>`; once fixed, commit the \
             input under fuzz/regressions/{name}/ so every run replays it",
            name = target.name,
            cap = target.malloc_limit_mb,
            dir = artifacts.display(),
            work = work.display(),
        );
    }
    Ok(Outcome {
        name: target.name,
        executions: stat(&log, "stat::number_of_executed_units:"),
        coverage: coverage(&log),
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// A number from libFuzzer's final statistics (`stat::name: N`).
fn stat(log: &str, name: &str) -> u64 {
    log.lines().rev().find_map(|line| line.strip_prefix(name)).and_then(|n| n.trim().parse().ok()).unwrap_or(0)
}

/// libFuzzer's last coverage line (`cov: … ft: … corp: …`), as it printed it.
fn coverage(log: &str) -> String {
    log.lines()
        .rev()
        .find_map(|line| line.find("cov: ").map(|at| &line[at..]))
        .map(|rest| rest.split(" lim:").next().unwrap_or(rest).split(" exec/s:").next().unwrap_or(rest).to_owned())
        .unwrap_or_default()
}

/// The nightly toolchain, which machines of this kind come with; rustup adds it where it can.
fn ensure_nightly() -> Result<()> {
    let present = Command::new("rustup").args(["run", "nightly", "rustc", "--version"]).output().is_ok_and(|out| out.status.success());
    if present {
        return Ok(());
    }
    eprintln!("xtask: adding the nightly toolchain for cargo fuzz");
    let added = Command::new("rustup").args(["toolchain", "install", "nightly", "--profile", "minimal"]).status();
    if !added.is_ok_and(|status| status.success()) {
        bail!(
            "the fuzz targets need a nightly Rust toolchain (libFuzzer's sanitizers): run `rustup toolchain install nightly`, \
             or set SHOP_TEST_FUZZ=off to skip them, then run this again"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn the_final_report_is_read() {
        let log = "#77669\tREDUCE cov: 6483 ft: 12706 corp: 833/349Kb lim: 934 exec/s: 1991 rss: 445Mb L: 342/934\n\
                   #77830\tDONE   cov: 6486 ft: 12718 corp: 835/350Kb lim: 934 exec/s: 1898 rss: 445Mb\n\
                   Done 77830 runs in 41 second(s)\nstat::number_of_executed_units: 77830\nstat::peak_rss_mb: 445\n";
        assert_eq!(stat(log, "stat::number_of_executed_units:"), 77830);
        assert_eq!(coverage(log), "cov: 6486 ft: 12718 corp: 835/350Kb");
        assert_eq!(stat("", "stat::number_of_executed_units:"), 0);
    }

    #[test]
    fn every_target_has_seeds_and_a_fuzz_target_file() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        for target in TARGETS {
            assert!(root.join("fuzz/fuzz_targets").join(format!("{}.rs", target.name)).is_file(), "{}", target.name);
            let seeds = std::fs::read_dir(root.join("fuzz/seeds").join(target.name)).map(|d| d.count()).unwrap_or(0);
            assert!(seeds > 0, "{} has seeds", target.name);
        }
    }
}
