//! Periodic upkeep: every component that exports `shop:platform/housekeeping` gets its `run`
//! called at start, before the host listens, and then every `SHOP_HOUSEKEEPING_SECS`, each
//! call in a fresh instance under the usual limits. (The catalog declares its collections'
//! indexes and settles image-file changes a crash left unfinished; auth deletes sign-in
//! attempt records and refresh tokens that no longer count.)

use crate::runtime::Runtime;
use crate::runtime::links;
use std::sync::Arc;
use std::time::Duration;

/// One round over every component; failures are logged, never fatal.
pub async fn run_once(runtime: &Arc<Runtime>) {
    for component in runtime.slots.keys() {
        match links::housekeeping(runtime, component).await {
            Ok(None) => {}
            Ok(Some(Ok(report))) => tracing::debug!(%component, %report, "housekeeping"),
            Ok(Some(Err(reason))) => tracing::warn!(%component, %reason, "housekeeping refused"),
            Err(error) => tracing::warn!(%component, %error, "housekeeping failed"),
        }
    }
}

/// Runs a round every `interval` (the first one `interval` from now: the host runs one with
/// [`run_once`] before it listens), for as long as the runtime lives (the task holds it
/// weakly, so a stopped host's store and its lock are released).
pub async fn every(runtime: Arc<Runtime>, interval: Duration) {
    let weak = Arc::downgrade(&runtime);
    drop(runtime);
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let Some(runtime) = weak.upgrade() else { return };
        run_once(&runtime).await;
    }
}
