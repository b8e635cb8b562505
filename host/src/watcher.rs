//! Hot swap: watches the component files and swaps in each new build.
//!
//! Polls file metadata (size, modification time, inode) at a short interval rather than
//! using inotify: a few `stat` calls are negligible, it works on every file system
//! (including bind mounts and network volumes), and it needs no extra dependency.

use crate::runtime::Runtime;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

#[derive(PartialEq, Eq, Clone, Copy)]
struct Stamp {
    len: u64,
    modified: Option<SystemTime>,
    inode: u64,
}

fn stamp(path: &std::path::Path) -> Option<Stamp> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(path).ok()?;
    Some(Stamp { len: meta.len(), modified: meta.modified().ok(), inode: meta.ino() })
}

/// Runs until the runtime is dropped: every `interval`, reloads each component whose file
/// changed. A refused version is logged and recorded; the old one keeps serving.
pub async fn watch(runtime: Arc<Runtime>, interval: Duration) {
    let mut seen: HashMap<String, Option<Stamp>> = runtime.slots.values().map(|slot| (slot.id.clone(), stamp(&slot.path))).collect();
    let weak = Arc::downgrade(&runtime);
    drop(runtime);
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        let Some(runtime) = weak.upgrade() else { return };
        for slot in runtime.slots.values() {
            let now = stamp(&slot.path);
            let before = seen.insert(slot.id.clone(), now);
            if now.is_some() && before != Some(now) {
                // Errors are logged and recorded by the slot itself.
                let _ = slot.reload(&runtime).await;
            }
        }
    }
}
