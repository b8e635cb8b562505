//! Two checkouts of the project sharing one `CARGO_TARGET_DIR` each build and install their
//! own components: cargo hashes the units of two clones of one workspace alike, so without
//! per-checkout outputs the second checkout installs the first one's components (or the
//! first one's xtask builds the second one's sources).
//!
//! The checkouts are copies of this one's files (tracked and new, as `git ls-files` lists
//! them), so uncommitted work is tested too. They run `cargo xtask components`: the
//! WebAssembly half of `cargo xtask build`, which is where a stale output would be installed
//! into `dist/` (the native half builds into the target directory as asked).
//!
//! To keep the suite's time down, each copy's own component build directory starts as a copy
//! of this checkout's (`SHOP_COMPONENTS_TARGET_DIR`, set by `cargo xtask test`): only the
//! components themselves are compiled again, and the directory starts out holding outputs of
//! another checkout, which is the situation under test.

use std::path::{Path, PathBuf};
use std::process::Command;

fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_owned()
}

/// Copies the project's files (`git ls-files`: tracked and untracked-but-not-ignored) to `dest`.
fn copy_checkout(dest: &Path) {
    let root = project_root();
    let listed = Command::new("git")
        .current_dir(&root)
        .args(["ls-files", "-z", "--cached", "--others", "--exclude-standard"])
        .output()
        .expect("git runs");
    assert!(listed.status.success(), "git ls-files: {}", String::from_utf8_lossy(&listed.stderr));
    for name in listed.stdout.split(|b| *b == 0).filter(|n| !n.is_empty()) {
        let relative = Path::new(std::str::from_utf8(name).unwrap());
        let source = root.join(relative);
        if !source.is_file() {
            continue; // deleted in the working tree
        }
        let target = dest.join(relative);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::copy(&source, &target).unwrap_or_else(|e| panic!("copying {}: {e}", source.display()));
    }
}

/// Runs `cargo xtask components` in `checkout` on the shared target directory; returns its
/// standard error (where xtask names the checkout it builds).
fn build_components(checkout: &Path, shared_target: &Path) -> String {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(cargo)
        .current_dir(checkout)
        .args(["xtask", "components"])
        .env("CARGO_TARGET_DIR", shared_target)
        .env_remove("CARGO_MANIFEST_DIR")
        .output()
        .expect("cargo runs");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "cargo xtask components in {} failed:\n{stderr}", checkout.display());
    stderr
}

/// The directory `cargo xtask` builds `checkout`'s components in, with `shared` as
/// `CARGO_TARGET_DIR` (as `xtask/src/checkout.rs` names it; each run prints it, and the
/// test checks the two agree).
fn components_dir(checkout: &Path, shared: &Path) -> PathBuf {
    use sha2::Digest;
    let absolute = std::fs::canonicalize(checkout).unwrap();
    let hash: String = sha2::Sha256::digest(absolute.as_os_str().as_encoded_bytes()).iter().take(6).map(|b| format!("{b:02x}")).collect();
    let name = absolute.file_name().unwrap().to_string_lossy().into_owned();
    shared.join("checkouts").join(format!("{name}-{hash}")).join("components")
}

/// Starts `checkout`'s component build directory from a copy of this checkout's, if known.
fn seed(checkout: &Path, shared: &Path) {
    let Some(warm) = std::env::var_os("SHOP_COMPONENTS_TARGET_DIR").map(PathBuf::from).filter(|dir| dir.is_dir()) else { return };
    let dest = components_dir(checkout, shared);
    std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
    let copied = Command::new("cp").arg("-a").arg(&warm).arg(&dest).status().unwrap();
    assert!(copied.success(), "copying {} to {}", warm.display(), dest.display());
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle)
}

fn installed(checkout: &Path, path: &str) -> Vec<u8> {
    std::fs::read(checkout.join(path)).unwrap_or_else(|e| panic!("{}/{path}: {e}", checkout.display()))
}

#[test]
fn two_checkouts_sharing_a_target_directory_each_install_their_own_components() {
    let work = tempfile::tempdir().unwrap();
    let (one, two, shared) = (work.path().join("one/shop"), work.path().join("two/shop"), work.path().join("shared-target"));
    copy_checkout(&one);
    copy_checkout(&two);
    // The marker: a comment in catalog's route table, which the component embeds whole.
    let marker = format!("checkout-marker-{}", std::process::id());
    let routes = two.join("components/catalog/routes.txt");
    let mut text = std::fs::read_to_string(&routes).unwrap();
    text.push_str(&format!("# {marker}\n"));
    std::fs::write(&routes, text).unwrap();

    seed(&one, &shared);
    seed(&two, &shared);
    let first = build_components(&one, &shared);
    let second = build_components(&two, &shared);
    // The first checkout again, after the second one's newer build: the case cargo gets wrong.
    let again = build_components(&one, &shared);

    for (log, checkout) in [(&first, &one), (&second, &two), (&again, &one)] {
        let named = format!("xtask: components in {}", checkout.display());
        assert!(log.contains(&named), "the run names its root ({named}):\n{log}");
        let built_in = format!("components built in {})", components_dir(checkout, &shared).display());
        assert!(log.contains(&built_in), "the run builds in the directory seeded for it ({built_in}):\n{log}");
    }
    for path in ["dist/components/catalog.wasm", "dist/spin/catalog.wasm"] {
        assert!(contains(&installed(&two, path), marker.as_bytes()), "{path} of the changed checkout holds its change");
        assert!(!contains(&installed(&one, path), marker.as_bytes()), "{path} of the other checkout holds only its own sources");
    }
}
