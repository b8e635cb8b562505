//! RFC 9457 problem details: the body of every error answer.

use crate::{FieldError, FieldErrors};
use serde::{Deserialize, Serialize};

/// The media type of a problem body.
pub const CONTENT_TYPE: &str = "application/problem+json";

/// An error answer (`application/problem+json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// A URI naming the kind of problem; clients branch on it.
    #[serde(rename = "type")]
    pub kind: String,
    /// A short summary of the kind of problem.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong this time, in words a user understands.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The invalid fields, when the problem is a validation failure.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// The resource this occurrence is about, when it has one (a declined payment names the
    /// order that waits for it). Boxed: a problem is the error of most results, kept small.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<Box<str>>,
}

impl Problem {
    /// A problem of the kind `/problems/{slug}` with the given status and title.
    pub fn new(status: u16, slug: &str, title: &str) -> Self {
        Self { kind: format!("/problems/{slug}"), title: title.to_owned(), status, detail: None, errors: Vec::new(), instance: None }
    }

    /// Adds the detail of this occurrence.
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// Names the resource this occurrence is about.
    pub fn with_instance(mut self, instance: impl Into<String>) -> Self {
        self.instance = Some(instance.into().into_boxed_str());
        self
    }

    /// Adds one invalid field.
    pub fn with_field(mut self, field: impl Into<String>, message: impl Into<String>) -> Self {
        self.errors.push(FieldError { field: field.into(), message: message.into() });
        self
    }

    /// 400: the body is not well-formed JSON.
    pub fn malformed_json(detail: impl Into<String>) -> Self {
        Self::new(400, "malformed-json", "The request body is not valid JSON").with_detail(detail)
    }

    /// 422: the body is JSON but some fields are invalid.
    pub fn validation(errors: FieldErrors) -> Self {
        let mut problem = Self::new(422, "validation", "Some fields are invalid")
            .with_detail("Correct the fields listed in `errors` and send the request again.");
        problem.errors = errors.into_vec();
        problem
    }

    /// 400: some query parameters are invalid (each is listed in `errors`).
    pub fn bad_query(errors: FieldErrors) -> Self {
        let mut problem = Self::new(400, "bad-query", "Some query parameters are invalid")
            .with_detail("Correct the parameters listed in `errors` and send the request again.");
        problem.errors = errors.into_vec();
        problem
    }

    /// 429: too many attempts; retry after the given number of seconds.
    pub fn too_many_requests(detail: impl Into<String>) -> Self {
        Self::new(429, "too-many-requests", "Too many attempts").with_detail(detail)
    }

    /// 403: signed in, but this account may not do this.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(403, "forbidden", "Forbidden").with_detail(detail)
    }

    /// 401: a valid access token is needed.
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(401, "unauthorized", "Sign-in required").with_detail(detail)
    }

    /// 404: nothing at this address.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(404, "not-found", "Not found").with_detail(detail)
    }

    /// 405: the route exists but not with this method.
    pub fn method_not_allowed(allowed: &str) -> Self {
        Self::new(405, "method-not-allowed", "Method not allowed").with_detail(format!("Allowed methods: {allowed}."))
    }

    /// 409: the write conflicts with the current state (stale version, duplicate key, …).
    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::new(409, "conflict", "Conflict").with_detail(detail)
    }

    /// 413: the body is larger than the route accepts.
    pub fn too_large(limit_bytes: usize) -> Self {
        Self::new(413, "payload-too-large", "Request body too large").with_detail(format!("The body may be at most {limit_bytes} bytes."))
    }

    /// 415: the body is not of a type the route accepts.
    pub fn unsupported_media_type(expected: &str) -> Self {
        Self::new(415, "unsupported-media-type", "Unsupported media type").with_detail(format!("Send the body as {expected}."))
    }

    /// 428: an update must say which version it replaces.
    pub fn precondition_required(detail: impl Into<String>) -> Self {
        Self::new(428, "precondition-required", "Precondition required").with_detail(detail)
    }

    /// 503: a dependency (the store) is unavailable; retrying later may work.
    pub fn unavailable(detail: impl Into<String>) -> Self {
        Self::new(503, "unavailable", "Service unavailable").with_detail(detail)
    }

    /// 507: the storage has no room for the change, so nothing was saved; reads still work,
    /// and the same request succeeds once room is made.
    pub fn insufficient_storage(detail: impl Into<String>) -> Self {
        Self::new(507, "insufficient-storage", "Insufficient storage").with_detail(detail)
    }

    /// 500: something failed that the client cannot fix; the details are in the logs.
    pub fn internal() -> Self {
        Self::new(500, "internal", "Internal error").with_detail("The request failed on our side. It has been logged; try again later.")
    }

    /// The body as JSON text.
    pub fn to_json(&self) -> String {
        // A struct of strings and numbers always serialises.
        serde_json::to_string(self).unwrap_or_else(|_| String::from("{}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_lists_fields() {
        let mut errors = FieldErrors::new();
        errors.push("name.en", "is required");
        let json: serde_json::Value = serde_json::from_str(&Problem::validation(errors).to_json()).unwrap();
        assert_eq!(json["status"], 422);
        assert_eq!(json["type"], "/problems/validation");
        assert_eq!(json["errors"][0]["field"], "name.en");
    }
}
