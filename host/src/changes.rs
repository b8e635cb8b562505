//! What changed in the store: the write marks the response cache checks its answers against,
//! and `GET /api/changes`, a long poll that tells a follower (the storefront's page cache)
//! the moment a collection it cares about is written.
//!
//! A mark is a number that moves whenever one of the collections asked about is written
//! (or when the store changed in a way this host could not attribute: another host's write
//! on a shared embedded store). Marks of different hosts are not comparable: a follower
//! treats any other mark than its last as a change.

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, header};
use response_cache::Versions;
use serde::Deserialize;
use std::sync::Arc;
use std::time::Duration;

/// The write marks, and a signal to the polls waiting on them.
pub struct Changes {
    versions: Arc<Versions>,
    moved: tokio::sync::watch::Sender<u64>,
}

impl Default for Changes {
    fn default() -> Self {
        Self { versions: Arc::default(), moved: tokio::sync::watch::Sender::new(0) }
    }
}

impl Changes {
    /// The marks (shared with the response cache).
    pub fn versions(&self) -> &Arc<Versions> {
        &self.versions
    }

    /// Records a finished write to `collection`.
    pub fn wrote(&self, collection: &str) {
        self.versions.wrote(collection);
        self.moved.send_replace(self.versions.now());
    }

    /// Records that the store changed in a way this host did not see.
    pub fn changed_elsewhere(&self) {
        self.versions.changed_elsewhere();
        self.moved.send_replace(self.versions.now());
    }

    /// The mark of `collections` once it differs from `after`, or as it is after `wait`.
    pub async fn next(&self, collections: &[String], after: u64, wait: Duration) -> u64 {
        let mut moved = self.moved.subscribe();
        let waiting = async {
            loop {
                let mark = self.versions.mark(collections);
                if mark != after {
                    return mark;
                }
                if moved.changed().await.is_err() {
                    return mark;
                }
            }
        };
        tokio::time::timeout(wait, waiting).await.unwrap_or_else(|_| self.versions.mark(collections))
    }
}

/// The query of `GET /api/changes`.
#[derive(Debug, Deserialize)]
pub struct Poll {
    /// Comma-separated collection names (`products,categories`).
    collections: Option<String>,
    /// The mark the follower knows; absent, the answer is immediate.
    after: Option<u64>,
}

/// `GET /api/changes?collections=…&after=…`: `{"mark": N}`, at once when the mark of those
/// collections is not `after` (or `after` is absent), else when it moves or after
/// `SHOP_CHANGES_WAIT_SECS` (25 s by default).
pub async fn poll(
    State(front): State<crate::http::router::Front>,
    query: Result<Query<Poll>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Ok(Query(poll)) = query else { return bad_query("after", "must be a mark: a whole number from an earlier answer") };
    let collections: Vec<String> =
        poll.collections.unwrap_or_default().split(',').map(str::trim).filter(|c| !c.is_empty()).map(str::to_owned).collect();
    if collections.is_empty() || collections.iter().any(|c| crate::capabilities::documents::Collection::parse(c).is_err()) {
        return bad_query("collections", "must name one or more collections, comma-separated");
    }
    let changes = &front.runtime.changes;
    let mark = match poll.after {
        Some(after) => changes.next(&collections, after, front.runtime.settings.changes_wait).await,
        None => changes.versions().mark(&collections),
    };
    let mut response = axum::Json(serde_json::json!({ "mark": mark })).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn bad_query(field: &str, message: &str) -> Response {
    let mut errors = shop_domain::FieldErrors::new();
    errors.push(field, message);
    crate::http::problem::respond(&shop_domain::Problem::bad_query(errors))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_poll_answers_when_its_collections_are_written() {
        let changes = Arc::new(Changes::default());
        let catalogue = vec!["products".to_owned()];
        let start = changes.versions().mark(&catalogue);
        // Nothing changes: the poll answers with the same mark when its wait is over.
        assert_eq!(changes.next(&catalogue, start, Duration::from_millis(50)).await, start);
        let waiting = tokio::spawn({
            let (changes, catalogue) = (changes.clone(), catalogue.clone());
            async move { changes.next(&catalogue, start, Duration::from_secs(10)).await }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        changes.wrote("users");
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!waiting.is_finished(), "another collection does not wake it");
        changes.wrote("products");
        let mark = tokio::time::timeout(Duration::from_secs(1), waiting).await.unwrap().unwrap();
        assert_ne!(mark, start);
    }
}
