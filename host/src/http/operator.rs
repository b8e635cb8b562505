//! Operator endpoints, on their own loopback listener: the components loaded and their
//! versions, and a manual swap.

use crate::http::problem::problem;
use crate::runtime::Runtime;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use http::StatusCode;
use std::sync::Arc;

/// The operator router.
pub fn router(runtime: Arc<Runtime>) -> Router {
    Router::new()
        .route("/components", get(list))
        .route("/components/{id}/reload", post(reload))
        .route("/accounts/admins", post(create_admin))
        .with_state(runtime)
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct NewAdmin {
    email: String,
    password: String,
}

/// `POST /accounts/admins {email, password}`: what `shop-host create-admin` calls.
async fn create_admin(State(runtime): State<Arc<Runtime>>, body: axum::body::Bytes) -> Response {
    let Ok(admin) = serde_json::from_slice::<NewAdmin>(&body) else {
        return problem(StatusCode::BAD_REQUEST, "malformed-json", "Bad request", "Send {\"email\": …, \"password\": …}.");
    };
    match crate::runtime::links::create_admin(&runtime, &admin.email, &admin.password).await {
        Ok(Ok(id)) => {
            tracing::info!(email = %admin.email, "admin account ready (operator)");
            (StatusCode::CREATED, axum::Json(serde_json::json!({ "id": id, "email": admin.email.trim().to_lowercase() }))).into_response()
        }
        Ok(Err(reason)) => problem(StatusCode::UNPROCESSABLE_ENTITY, "admin-refused", "The admin account was refused", reason),
        Err(error) => problem(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "The auth component could not be called", error.to_string()),
    }
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
