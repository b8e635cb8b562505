//! The journal of file changes: every write or delete of image files is preceded by an
//! entry listing the keys it may leave behind, removed when the change completes; an entry a
//! crash left is settled by a later sweep.

use super::{Settings, keys_of};
use crate::shop::platform::blobs;
use crate::stored::products;
use api_kit::documents::{Op, Query};
use api_kit::store::{self, Stored};
use serde_json::{Map, Value, json};
use shop_domain::Problem;
use shop_domain::blob_key::BlobKey;
use std::collections::HashSet;
use std::time::{SystemTime, UNIX_EPOCH};

/// The journal of file changes in progress.
const JOURNAL: &str = "blob_journal";
/// Journal entries examined by one sweep.
const SWEEP_BATCH: u32 = 16;

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or_default()
}

/// A journal entry: the keys a change may leave unreferenced if it does not finish.
pub struct Journal {
    entry: Stored,
}

impl Journal {
    /// Records, before any file is written or deleted, the keys the change touches.
    pub fn open(product_id: &str, keys: &[BlobKey]) -> Result<Self, Problem> {
        let mut entry = Map::new();
        entry.insert("product".into(), json!(product_id));
        entry.insert("keys".into(), json!(keys));
        entry.insert("at_ms".into(), json!(now_ms()));
        match store::insert(JOURNAL, &entry)? {
            Ok(entry) => Ok(Self { entry }),
            Err(error) => Err(store::to_problem(error)),
        }
    }

    /// The change is over, done or not: deletes the entry's keys that the product (as it
    /// now is) does not reference, then the entry. If this fails, a later sweep does it.
    pub fn settle(self) -> Result<(), Problem> {
        // Every other entry of the product, however old, keeps its keys: conservative.
        settle(&self.entry, 0)
    }
}

/// Writes the files; on a failure, deletes the ones written and answers 503.
pub fn put_all(files: &[(BlobKey, Vec<u8>)]) -> Result<(), Problem> {
    for (done, (key, bytes)) in files.iter().enumerate() {
        if let Err(error) = blobs::put(key.as_str(), bytes) {
            eprintln!("catalog: storing {key} failed: {error:?}");
            delete_keys(files[..done].iter().map(|(k, _)| k));
            return Err(match error {
                blobs::Error::Full(_) => Problem::insufficient_storage(
                    "The image files could not be stored: the file storage has no room left. Nothing was changed; try again once room is made.",
                ),
                _ => Problem::unavailable("The image files could not be stored. Nothing was changed; try again."),
            });
        }
    }
    Ok(())
}

/// Deletes files, best effort; returns whether every deletion succeeded (a missing file
/// counts as deleted).
pub fn delete_keys<'a>(keys: impl IntoIterator<Item = &'a BlobKey>) -> bool {
    let mut all = true;
    for key in keys {
        if let Err(error) = blobs::delete(key.as_str()) {
            eprintln!("catalog: deleting {key} failed: {error:?}");
            all = false;
        }
    }
    all
}

/// Finishes the changes that a crash (or a failed deletion) left unfinished: for each
/// journal entry older than the settings allow, deletes its keys that neither its product
/// nor a younger entry references, then the entry. Bounded work per call; returns how many
/// entries it examined.
pub fn sweep(settings: &Settings) -> Result<usize, Problem> {
    let cutoff = now_ms().saturating_sub(settings.sweep_after_ms);
    let stale = Query {
        filter: vec![store::clause("at_ms", Op::Lte, json!(cutoff))],
        text: None,
        sort: vec![store::key("at_ms", false)],
        skip: 0,
        limit: SWEEP_BATCH,
    };
    let (entries, _) = store::find(JOURNAL, &stale)?;
    for entry in &entries {
        settle(entry, cutoff)?;
    }
    Ok(entries.len())
}

/// The keys a journal entry lists (the catalog wrote them from keys, so each parses; one
/// that did not could name no file).
fn journal_keys(entry: &Stored) -> Vec<BlobKey> {
    let listed = entry.body.get("keys").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str);
    listed.filter_map(|key| BlobKey::parse(key).ok()).collect()
}

/// Deletes the keys of a journal entry that neither its product nor another entry of the
/// same product younger than `cutoff` (ms since the epoch) references, then the entry.
fn settle(entry: &Stored, cutoff: u64) -> Result<(), Problem> {
    let product_id = entry.body.get("product").and_then(Value::as_str).unwrap_or_default();
    let mut kept: HashSet<BlobKey> = match products::PRODUCTS.get(product_id)? {
        Some(product) => keys_of(&product.body).into_iter().collect(),
        None => HashSet::new(),
    };
    // A change still in progress on the same product may be writing the same content.
    let others = Query {
        filter: vec![store::clause("product", Op::Eq, json!(product_id)), store::clause("at_ms", Op::Gt, json!(cutoff))],
        text: None,
        sort: Vec::new(),
        skip: 0,
        limit: SWEEP_BATCH,
    };
    for other in store::find(JOURNAL, &others)?.0.iter().filter(|other| other.id != entry.id) {
        kept.extend(journal_keys(other));
    }
    if delete_keys(journal_keys(entry).iter().filter(|key| !kept.contains(*key))) {
        store::delete(JOURNAL, &entry.id, None)?;
    }
    Ok(())
}
