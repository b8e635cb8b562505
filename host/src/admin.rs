//! Operator endpoints, on their own loopback listener: the components loaded and their
//! versions, and a manual swap.

use crate::problem::problem;
use crate::runtime::Runtime;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use http::StatusCode;
use std::sync::Arc;

/// The operator router.
pub fn router(runtime: Arc<Runtime>) -> Router {
    Router::new().route("/components", get(list)).route("/components/{id}/reload", post(reload)).with_state(runtime)
}

async fn list(State(runtime): State<Arc<Runtime>>) -> Response {
    let statuses: Vec<_> = runtime.slots.values().map(|slot| slot.status()).collect();
    axum::Json(statuses).into_response()
}

async fn reload(State(runtime): State<Arc<Runtime>>, Path(id): Path<String>) -> Response {
    let Some(slot) = runtime.slots.get(&id).cloned() else {
        return problem(StatusCode::NOT_FOUND, "not-found", "No such component", format!("No component {id:?} is loaded."));
    };
    match slot.reload(&runtime).await {
        Ok(outcome) => axum::Json(outcome).into_response(),
        Err(error) => problem(StatusCode::UNPROCESSABLE_ENTITY, "component-refused", "The new version was refused", format!("{error:#}")),
    }
}
