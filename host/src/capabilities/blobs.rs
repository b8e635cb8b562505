//! The `blobs` capability: files under the uploads directory, written atomically.

use crate::bindings::shop::platform::blobs;
use crate::runtime::state::HostState;
use shop_domain::blob_key::{BlobKey, InvalidBlobKey};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Why a blob call failed.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    /// The key is not a valid blob key.
    #[error(transparent)]
    InvalidKey(#[from] InvalidBlobKey),
    /// The file system failed.
    #[error("blob storage failed: {0}")]
    Io(#[from] std::io::Error),
}

/// How old a temporary file must be before a starting host removes it.
pub const STALE_TMP_AGE: std::time::Duration = std::time::Duration::from_secs(60);

/// Removes `.tmp-*` files older than `age` under `dir`; returns how many.
fn remove_stale_temporaries(dir: &Path, age: std::time::Duration) -> usize {
    let mut removed = 0;
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        let Ok(meta) = entry.metadata() else { continue };
        if meta.is_dir() {
            removed += remove_stale_temporaries(&path, age);
        } else if entry.file_name().to_string_lossy().starts_with(".tmp-")
            && meta.modified().ok().and_then(|m| m.elapsed().ok()).is_some_and(|elapsed| elapsed > age)
            && std::fs::remove_file(&path).is_ok()
        {
            removed += 1;
        }
    }
    removed
}

/// Blobs stored as files under one directory.
#[derive(Debug, Clone)]
pub struct FsBlobs {
    root: PathBuf,
}

impl FsBlobs {
    /// Blobs under `root` (created if missing). Temporary files that a killed process left
    /// behind (never visible as blobs) are removed once older than [`STALE_TMP_AGE`]; younger
    /// ones may be another host's writes in progress on a shared directory.
    pub fn open(root: &Path) -> Result<Self, BlobError> {
        std::fs::create_dir_all(root)?;
        let removed = remove_stale_temporaries(root, STALE_TMP_AGE);
        if removed > 0 {
            tracing::info!(removed, "removed temporary upload files left by an interrupted write");
        }
        Ok(Self { root: root.to_owned() })
    }

    /// The directory blobs live in.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// A key's file: a valid key is a relative path without `..`, so it stays under the root.
    fn path(&self, key: &BlobKey) -> PathBuf {
        self.root.join(key.as_str())
    }

    /// Stores bytes under a key: written to a temporary file, synced, then renamed into
    /// place, so a reader never sees a partial file and a crash leaves none.
    pub async fn put(&self, key: &BlobKey, bytes: Vec<u8>) -> Result<(), BlobError> {
        let path = self.path(key);
        tokio::task::spawn_blocking(move || -> Result<(), BlobError> {
            // A key's file always has a parent: the root, or a directory under it.
            let dir = path.parent().ok_or_else(|| std::io::Error::other(format!("{} has no directory", path.display())))?;
            std::fs::create_dir_all(dir)?;
            let tmp = dir.join(format!(".tmp-{}", uuid::Uuid::now_v7().simple()));
            let result = (|| {
                let mut file = std::fs::File::create(&tmp)?;
                file.write_all(&bytes)?;
                file.sync_all()?;
                std::fs::rename(&tmp, &path)?;
                std::fs::File::open(dir)?.sync_all()
            })();
            if result.is_err() {
                let _ = std::fs::remove_file(&tmp);
            }
            Ok(result?)
        })
        .await
        .map_err(|e| BlobError::Io(std::io::Error::other(e)))?
    }

    /// The bytes under a key, if any.
    pub async fn get(&self, key: &BlobKey) -> Result<Option<Vec<u8>>, BlobError> {
        let path = self.path(key);
        match tokio::fs::read(path).await {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Removes a key; whether it existed. Directories it leaves empty go too.
    pub async fn delete(&self, key: &BlobKey) -> Result<bool, BlobError> {
        let path = self.path(key);
        match tokio::fs::remove_file(&path).await {
            Ok(()) => {
                // Fails harmlessly while a directory still holds files (or another writer's).
                let mut dir = path.parent();
                while let Some(parent) = dir.filter(|d| *d != self.root) {
                    if tokio::fs::remove_dir(parent).await.is_err() {
                        break;
                    }
                    dir = parent.parent();
                }
                Ok(true)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e.into()),
        }
    }
}

fn blob_error(component: &str, error: BlobError) -> blobs::Error {
    match error {
        BlobError::InvalidKey(InvalidBlobKey(key)) => blobs::Error::InvalidKey(key),
        BlobError::Io(e) if matches!(e.kind(), std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded) => {
            tracing::error!(component, error = %e, "blob storage is full");
            blobs::Error::Full(e.to_string())
        }
        BlobError::Io(e) => {
            tracing::error!(component, error = %e, "blob storage failure");
            blobs::Error::Io(e.to_string())
        }
    }
}

impl blobs::Host for HostState {
    #[tracing::instrument(name = "blobs.put", target = "capability", level = "debug", skip_all, fields(component = %self.component, key = %key))]
    async fn put(&mut self, key: String, bytes: Vec<u8>) -> wasmtime::Result<Result<(), blobs::Error>> {
        self.untraceable();
        let key = match BlobKey::parse(key) {
            Ok(key) => key,
            Err(invalid) => return Ok(Err(blob_error(&self.component, invalid.into()))),
        };
        Ok(self.runtime.blobs.put(&key, bytes).await.map_err(|e| blob_error(&self.component, e)))
    }

    #[tracing::instrument(name = "blobs.get", target = "capability", level = "debug", skip_all, fields(component = %self.component, key = %key))]
    async fn get(&mut self, key: String) -> wasmtime::Result<Result<Option<Vec<u8>>, blobs::Error>> {
        self.untraceable();
        let key = match BlobKey::parse(key) {
            Ok(key) => key,
            Err(invalid) => return Ok(Err(blob_error(&self.component, invalid.into()))),
        };
        Ok(self.runtime.blobs.get(&key).await.map_err(|e| blob_error(&self.component, e)))
    }

    #[tracing::instrument(name = "blobs.delete", target = "capability", level = "debug", skip_all, fields(component = %self.component, key = %key))]
    async fn delete(&mut self, key: String) -> wasmtime::Result<Result<bool, blobs::Error>> {
        self.untraceable();
        let key = match BlobKey::parse(key) {
            Ok(key) => key,
            Err(invalid) => return Ok(Err(blob_error(&self.component, invalid.into()))),
        };
        Ok(self.runtime.blobs.delete(&key).await.map_err(|e| blob_error(&self.component, e)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_cannot_escape_the_root() {
        let blobs = FsBlobs { root: PathBuf::from("/srv/uploads") };
        assert_eq!(blobs.path(&BlobKey::parse("images/ab/cdef.webp").unwrap()), Path::new("/srv/uploads/images/ab/cdef.webp"));
        for bad in ["", "../etc/passwd", "a/../b", "/abs", "a//b", ".hidden", "A.webp", "a\\b", "a/./b"] {
            assert!(BlobKey::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn only_old_temporaries_are_removed_at_open() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("a")).unwrap();
        for name in ["a/.tmp-old", "a/.tmp-new", "a/kept.webp"] {
            std::fs::write(dir.path().join(name), b"x").unwrap();
        }
        let old = std::time::SystemTime::now() - STALE_TMP_AGE * 2;
        std::fs::File::options().write(true).open(dir.path().join("a/.tmp-old")).unwrap().set_modified(old).unwrap();
        FsBlobs::open(dir.path()).unwrap();
        assert!(!dir.path().join("a/.tmp-old").exists());
        assert!(dir.path().join("a/.tmp-new").exists(), "a write in progress elsewhere is left alone");
        assert!(dir.path().join("a/kept.webp").exists());
    }

    #[tokio::test]
    async fn put_get_delete() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = FsBlobs::open(dir.path()).unwrap();
        let key = BlobKey::parse("a/b.txt").unwrap();
        blobs.put(&key, b"hello".to_vec()).await.unwrap();
        assert_eq!(blobs.get(&key).await.unwrap().unwrap(), b"hello");
        assert!(blobs.delete(&key).await.unwrap());
        assert_eq!(blobs.get(&key).await.unwrap(), None);
        assert!(!blobs.delete(&key).await.unwrap());
        // No temporary file is left behind, nor the emptied directory.
        assert!(!dir.path().join("a").exists());
    }
}
