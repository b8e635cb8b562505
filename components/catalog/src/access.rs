//! Who may write: catalog writes need an admin's access token, checked by the auth
//! component (through the host) on every request, so a disabled admin stops at once.

use crate::shop::platform::auth::{self, AuthError, Role};
use http::header;
use shop_domain::Problem;
use wstd::http::{Body, Request};

fn unauthorized(detail: &str) -> Problem {
    Problem::new(401, "unauthorized", "Sign-in required").with_detail(detail)
}

/// Whether the request carries a valid access token of an admin (for reads that show admins
/// more, such as drafts; any other token reads as a shopper's).
pub fn is_admin(request: &Request<Body>) -> bool {
    request.headers().contains_key(header::AUTHORIZATION) && require_admin(request).is_ok()
}

/// Succeeds when the request carries a valid access token of an admin.
pub fn require_admin(request: &Request<Body>) -> Result<(), Problem> {
    let header = request.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).unwrap_or("");
    let Some(token) = header.strip_prefix("Bearer ").map(str::trim).filter(|t| !t.is_empty()) else {
        return Err(unauthorized("Sign in as an admin and send the access token: Authorization: Bearer <token>."));
    };
    match auth::verify_token(token) {
        Ok(principal) if principal.role == Role::Admin => Ok(()),
        Ok(_) => Err(Problem::new(403, "forbidden", "Forbidden").with_detail("Only admins may change the catalog.")),
        Err(AuthError::Expired) => Err(unauthorized("The access token has expired; refresh it.")),
        Err(AuthError::Invalid(_)) => Err(unauthorized("The access token is not valid.")),
        Err(AuthError::Disabled) => Err(unauthorized("This account cannot sign in.")),
        Err(AuthError::Unavailable(_)) => Err(Problem::unavailable("Sign-in cannot be checked right now. Try again shortly.")),
    }
}
