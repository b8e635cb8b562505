//! Which checkout `cargo xtask` works on, and where its build outputs go.
//!
//! The root is found at run time from the directory the command was started in, never from
//! a path compiled into the xtask binary: cargo reuses one xtask binary for every checkout
//! that shares a target directory (the units of two clones of one workspace hash alike), so
//! a compiled-in path would make one checkout build another's sources.
//!
//! For the same reason the WebAssembly outputs (the components and the storefront's client)
//! are built into a directory of their own per checkout when `CARGO_TARGET_DIR` is set:
//! cargo copies a unit's output to a name without a hash (`catalog.wasm`), and a checkout
//! whose sources are older than another's last build would take that build as fresh and
//! install the other checkout's component into its `dist/`.

use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};

/// One checkout of the project and the directories its builds use.
pub struct Checkout {
    /// The workspace root (the directory holding the workspace `Cargo.toml` and `xtask/`).
    pub root: PathBuf,
    /// The native workspace's target directory (`CARGO_TARGET_DIR`, default `<root>/target`).
    pub target: PathBuf,
    /// The components workspace's target directory, private to this checkout.
    pub wasm_target: PathBuf,
    /// The storefront client's target directory, private to this checkout.
    pub web_target: PathBuf,
    /// The fuzz targets' target directory (nightly, sanitizers), with their corpora and
    /// findings, private to this checkout.
    pub fuzz_target: PathBuf,
}

impl Checkout {
    /// The checkout the current directory is in.
    pub fn find() -> Result<Self> {
        let cwd = std::env::current_dir().context("reading the current directory")?;
        let root = find_root(&cwd)?;
        let shared = std::env::var_os("CARGO_TARGET_DIR").filter(|dir| !dir.is_empty()).map(PathBuf::from);
        Ok(Self::with_target_dir(root, shared))
    }

    /// The directories of the checkout at `root`, given the `CARGO_TARGET_DIR` in effect.
    pub fn with_target_dir(root: PathBuf, target_dir: Option<PathBuf>) -> Self {
        match target_dir {
            None => {
                let target = root.join("target");
                Self {
                    wasm_target: root.join("components/target"),
                    web_target: target.clone(),
                    fuzz_target: target.join("fuzz"),
                    target,
                    root,
                }
            }
            Some(dir) => {
                let dir = if dir.is_absolute() { dir } else { root.join(dir) };
                let private = dir.join("checkouts").join(checkout_key(&root));
                Self {
                    target: dir,
                    wasm_target: private.join("components"),
                    web_target: private.join("web"),
                    fuzz_target: private.join("fuzz"),
                    root,
                }
            }
        }
    }

    /// Says which checkout this command builds, so a run that builds the wrong one shows it.
    pub fn announce(&self, command: &str) {
        eprintln!(
            "xtask: {command} in {} (target directory {}; components built in {})",
            self.root.display(),
            self.target.display(),
            self.wasm_target.display()
        );
    }
}

/// The nearest directory at or above `start` that holds this project's workspace: a
/// `Cargo.toml` with a `[workspace]` table and an `xtask/` package beside it (the components'
/// own workspace has no `xtask/`, so a command started inside it finds the project above).
pub fn find_root(start: &Path) -> Result<PathBuf> {
    for dir in start.ancestors() {
        let manifest = dir.join("Cargo.toml");
        let is_workspace = std::fs::read_to_string(&manifest).is_ok_and(|text| text.lines().any(|line| line.trim() == "[workspace]"));
        if is_workspace && dir.join("xtask/Cargo.toml").is_file() {
            return Ok(dir.to_owned());
        }
    }
    bail!(
        "{} is not inside a checkout of the shop (no workspace Cargo.toml with xtask/ above it): run cargo xtask from the project",
        start.display()
    )
}

/// A directory name of this checkout's own: its folder's name and a hash of its absolute path.
pub fn checkout_key(root: &Path) -> String {
    use sha2::Digest;
    let absolute = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_owned());
    let digest = sha2::Sha256::digest(absolute.as_os_str().as_encoded_bytes());
    let hash: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
    let name: String = absolute
        .file_name()
        .map(|n| n.to_string_lossy().chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect())
        .unwrap_or_default();
    if name.is_empty() { hash } else { format!("{name}-{hash}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_root_is_found_from_any_directory_inside_the_checkout() {
        let project = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        assert_eq!(find_root(project).unwrap(), project);
        assert_eq!(
            find_root(&project.join("components/catalog/src")).unwrap(),
            project,
            "the components' own workspace is not the project"
        );
        assert!(find_root(Path::new("/")).is_err());
    }

    #[test]
    fn checkouts_sharing_a_target_directory_get_their_own_webassembly_directories() {
        let shared = Some(PathBuf::from("/var/cache/shop"));
        let one = Checkout::with_target_dir(PathBuf::from("/src/one/shop"), shared.clone());
        let two = Checkout::with_target_dir(PathBuf::from("/src/two/shop"), shared);
        assert_eq!(one.target, two.target, "native builds keep the target directory asked for");
        assert_ne!(one.wasm_target, two.wasm_target);
        assert_ne!(one.web_target, two.web_target);
        assert!(one.wasm_target.starts_with("/var/cache/shop/checkouts"));
        let alone = Checkout::with_target_dir(PathBuf::from("/src/one/shop"), None);
        assert_eq!(alone.wasm_target, PathBuf::from("/src/one/shop/components/target"));
        assert_eq!(alone.target, PathBuf::from("/src/one/shop/target"));
    }
}
