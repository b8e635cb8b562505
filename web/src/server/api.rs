//! The host's HTTP API, as the storefront's server calls it.

use crate::model::AppError;
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::Value;
use shop_domain::Problem;
use std::sync::OnceLock;
use std::time::Duration;

/// A client of the host's API.
#[derive(Debug, Clone)]
pub struct Api {
    http: reqwest::Client,
    base: String,
}

/// One call: method, path, and what goes with it.
#[derive(Debug, Default)]
pub struct Call<'a> {
    /// The admin's access token.
    pub token: Option<&'a str>,
    /// A JSON body.
    pub json: Option<&'a Value>,
    /// The shopper's address, passed on for per-client limits (sign-in throttling).
    pub client: Option<String>,
    /// More headers (`If-Match`, `Idempotency-Key`, `Accept-Language`).
    pub headers: Vec<(&'static str, String)>,
}

impl Api {
    /// A client of the API at `base` (`http://127.0.0.1:5000`).
    pub fn new(base: &str) -> Self {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(2))
            // Uploads of many large photos take seconds in the media component.
            .timeout(Duration::from_secs(120))
            .pool_idle_timeout(Duration::from_secs(30))
            .build()
            .expect("a plain HTTP client builds");
        Self { http, base: base.to_owned() }
    }

    /// `GET path` as JSON.
    pub async fn get<T: DeserializeOwned>(&self, path: &str, token: Option<&str>) -> Result<T, AppError> {
        self.call(Method::GET, path, Call { token, ..Call::default() }).await
    }

    /// Any call whose answer is JSON.
    pub async fn call<T: DeserializeOwned>(&self, method: Method, path: &str, call: Call<'_>) -> Result<T, AppError> {
        self.answer(self.request(method, path, call)).await
    }

    /// A call whose refusals the caller reads itself: the status and the body, whatever they
    /// are (only an unreachable API is an error).
    pub async fn exchange(&self, method: Method, path: &str, call: Call<'_>) -> Result<(StatusCode, bytes::Bytes), AppError> {
        let response = self.request(method, path, call).send().await.map_err(unavailable)?;
        let status = response.status();
        Ok((status, response.bytes().await.map_err(unavailable)?))
    }

    fn request(&self, method: Method, path: &str, call: Call<'_>) -> reqwest::RequestBuilder {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(token) = call.token {
            request = request.bearer_auth(token);
        }
        if let Some(json) = call.json {
            request = request.json(json);
        }
        if let Some(client) = call.client {
            request = request.header("x-forwarded-for", client);
        }
        for (name, value) in call.headers {
            request = request.header(name, value);
        }
        request
    }

    /// A multipart call (image uploads).
    pub async fn multipart<T: DeserializeOwned>(&self, path: &str, token: &str, form: reqwest::multipart::Form) -> Result<T, AppError> {
        self.answer(self.http.post(format!("{}{path}", self.base)).bearer_auth(token).multipart(form)).await
    }

    /// The raw response to `GET path` (the uploads proxy).
    pub async fn raw(&self, path: &str, headers: reqwest::header::HeaderMap) -> Result<reqwest::Response, AppError> {
        self.http.get(format!("{}{path}", self.base)).headers(headers).send().await.map_err(unavailable)
    }

    async fn answer<T: DeserializeOwned>(&self, request: reqwest::RequestBuilder) -> Result<T, AppError> {
        let response = request.send().await.map_err(unavailable)?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(unavailable)?;
        parsed(status, &bytes)
    }
}

/// A successful answer's JSON, or the refusal it is.
pub fn parsed<T: DeserializeOwned>(status: StatusCode, bytes: &[u8]) -> Result<T, AppError> {
    if status.is_success() {
        let body: &[u8] = if status == StatusCode::NO_CONTENT || bytes.is_empty() { b"null" } else { bytes };
        return serde_json::from_slice(body).map_err(|e| AppError::Unavailable(format!("the API's answer did not parse: {e}")));
    }
    Err(refusal(status, bytes))
}

fn unavailable(error: reqwest::Error) -> AppError {
    tracing::warn!(%error, "the API is unreachable");
    AppError::Unavailable(error.to_string())
}

/// The error an API refusal means to the storefront.
pub fn refusal(status: StatusCode, body: &[u8]) -> AppError {
    let problem: Option<Problem> = serde_json::from_slice(body).ok();
    match status.as_u16() {
        404 => AppError::NotFound,
        401 | 403 => AppError::Unauthorized,
        500.. => AppError::Unavailable(problem.map_or_else(|| status.to_string(), |p| p.title)),
        code => match problem {
            Some(p) => AppError::Refused { status: code, title: p.title, detail: p.detail, errors: p.errors },
            None => AppError::Refused { status: code, title: status.to_string(), detail: None, errors: Vec::new() },
        },
    }
}

static API: OnceLock<Api> = OnceLock::new();

/// Sets the client once, at start.
pub fn init(api: Api) {
    let _ = API.set(api);
}

/// The API client (`init` must have run).
pub fn api() -> &'static Api {
    API.get().expect("server::api::init runs at start")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_keep_the_fields_the_api_named() {
        let body = br#"{"type":"/problems/validation","title":"Invalid","status":422,"errors":[{"field":"name.ar","message":"is required to publish"}]}"#;
        let error = refusal(StatusCode::UNPROCESSABLE_ENTITY, body);
        assert_eq!(error.field("name.ar").as_deref(), Some("is required to publish"));
        assert_eq!(refusal(StatusCode::NOT_FOUND, b""), AppError::NotFound);
        assert_eq!(refusal(StatusCode::FORBIDDEN, b""), AppError::Unauthorized);
        assert!(matches!(refusal(StatusCode::SERVICE_UNAVAILABLE, b"{}"), AppError::Unavailable(_)));
        assert!(matches!(refusal(StatusCode::CONFLICT, b"not json"), AppError::Refused { status: 409, .. }));
    }
}
