//! Who calls: every orders route needs a signed-in user, checked by the auth component
//! (through the host) on every request, so a disabled account stops at once.

use crate::shop::platform::auth::{self, AuthError, Role};
use http::header;
use shop_domain::Problem;
use wstd::http::{Body, Request};

/// The signed-in user a request comes from.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The user's id.
    pub user_id: String,
    /// The user's normalised email.
    pub email: String,
    /// Whether the user is an admin.
    pub admin: bool,
}

impl Caller {
    /// Succeeds for an admin.
    pub fn require_admin(&self) -> Result<(), Problem> {
        if self.admin { Ok(()) } else { Err(Problem::forbidden("Only admins may do this.")) }
    }

    /// Whether this user may see an order of `customer`.
    pub fn may_see(&self, customer: &str) -> bool {
        self.admin || self.user_id == customer
    }
}

/// The caller of a request, or 401 (503 when sign-in cannot be checked now).
pub fn caller(request: &Request<Body>) -> Result<Caller, Problem> {
    let header = request.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).unwrap_or("");
    let Some(token) = header.strip_prefix("Bearer ").map(str::trim).filter(|t| !t.is_empty()) else {
        return Err(Problem::unauthorized("Sign in and send the access token: Authorization: Bearer <token>."));
    };
    match auth::verify_token(token) {
        Ok(principal) => Ok(Caller { user_id: principal.user_id, email: principal.email, admin: principal.role == Role::Admin }),
        Err(AuthError::Expired) => Err(Problem::unauthorized("The access token has expired; refresh it.")),
        Err(AuthError::Invalid(_)) => Err(Problem::unauthorized("The access token is not valid.")),
        Err(AuthError::Disabled) => Err(Problem::unauthorized("This account cannot sign in.")),
        Err(AuthError::Unavailable(_)) => Err(Problem::unavailable("Sign-in cannot be checked right now. Try again shortly.")),
    }
}
