//! Passwords (argon2id), access tokens (HS256 JWTs) and refresh tokens (opaque, rotated).

use api_kit::documents::{IndexKind, Op};
use api_kit::store::{self, Stored};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine as _;
use jsonwebtoken::{DecodingKey, EncodingKey, Header, Validation, errors::ErrorKind};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use shop_domain::Problem;

/// Argon2id memory cost in KiB: OWASP's minimum (19 MiB).
pub const ARGON2_MEMORY_KIB: u32 = 19 * 1024;
/// Argon2id passes.
pub const ARGON2_PASSES: u32 = 2;
/// How long an access token lives, in seconds.
pub const ACCESS_TTL_SECONDS: u64 = 15 * 60;
/// How long a refresh token lives, in seconds.
pub const REFRESH_TTL_SECONDS: u64 = 30 * 24 * 3600;
/// The `iss` and `aud` of every token.
pub const ISSUER: &str = "shop";
/// The shortest signing key accepted.
pub const MIN_KEY_BYTES: usize = 32;
/// The refresh tokens collection.
const REFRESH: &str = "refresh_tokens";

/// Seconds since the Unix epoch.
pub fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

fn argon2() -> Argon2<'static> {
    // The parameters are constants known to be valid.
    let params = Params::new(ARGON2_MEMORY_KIB, ARGON2_PASSES, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

fn random_bytes<const N: usize>() -> Result<[u8; N], Problem> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|_| Problem::internal())?;
    Ok(bytes)
}

/// Hashes a password into a PHC string (algorithm, parameters and salt included).
pub fn hash_password(password: &str) -> Result<String, Problem> {
    let salt = SaltString::encode_b64(&random_bytes::<16>()?).map_err(|_| Problem::internal())?;
    argon2().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(|_| Problem::internal())
}

/// Whether the password matches the PHC string, and whether that hash is weaker than what
/// we would make today (so it should be replaced).
pub fn verify_password(password: &str, phc: &str) -> (bool, bool) {
    let Ok(parsed) = PasswordHash::new(phc) else { return (false, false) };
    let matches = argon2().verify_password(password.as_bytes(), &parsed).is_ok();
    let param = |name: &str| parsed.params.get_decimal(name).unwrap_or(0);
    let weaker = parsed.algorithm.as_str() != "argon2id" || param("m") < ARGON2_MEMORY_KIB || param("t") < ARGON2_PASSES;
    (matches, matches && weaker)
}

/// Spends the time of a password check without a user, so an unknown email answers as
/// slowly as a wrong password.
pub fn waste_password_check(password: &str) {
    let _ = hash_password(password);
}

/// What an access token says.
#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    /// The user's id.
    pub sub: String,
    /// The user's email.
    pub email: String,
    /// The user's role when the token was issued.
    pub role: String,
    /// Issuer.
    pub iss: String,
    /// Audience.
    pub aud: String,
    /// Issued at.
    pub iat: u64,
    /// Expires at.
    pub exp: u64,
}

/// The signing key, from the `jwt_secret` variable (at least 32 bytes).
pub fn signing_key() -> Result<Vec<u8>, Problem> {
    match crate::shop::platform::config::get("jwt_secret") {
        Some(key) if key.len() >= MIN_KEY_BYTES => Ok(key.into_bytes()),
        _ => Err(Problem::unavailable("Sign-in is not configured on this server (jwt_secret).")),
    }
}

/// A signed access token for a user.
pub fn issue_access(user_id: &str, email: &str, role: &str, key: &[u8]) -> Result<String, Problem> {
    let iat = now();
    let claims = Claims {
        sub: user_id.into(),
        email: email.into(),
        role: role.into(),
        iss: ISSUER.into(),
        aud: ISSUER.into(),
        iat,
        exp: iat + ACCESS_TTL_SECONDS,
    };
    jsonwebtoken::encode(&Header::new(jsonwebtoken::Algorithm::HS256), &claims, &EncodingKey::from_secret(key))
        .map_err(|_| Problem::internal())
}

/// Why an access token was refused.
pub enum TokenError {
    /// Past its `exp`.
    Expired,
    /// Anything else: signature, algorithm, issuer, audience, shape.
    Invalid(String),
}

/// Checks an access token: HS256 only (so `alg: none` and algorithm confusion fail), with
/// `exp`, `iss`, `aud` and `sub` required.
pub fn verify_access(token: &str, key: &[u8]) -> Result<Claims, TokenError> {
    let mut validation = Validation::new(jsonwebtoken::Algorithm::HS256);
    validation.set_issuer(&[ISSUER]);
    validation.set_audience(&[ISSUER]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    validation.leeway = 0;
    match jsonwebtoken::decode::<Claims>(token, &DecodingKey::from_secret(key), &validation) {
        Ok(data) => Ok(data.claims),
        Err(e) if matches!(e.kind(), ErrorKind::ExpiredSignature) => Err(TokenError::Expired),
        Err(e) => Err(TokenError::Invalid(e.to_string())),
    }
}

fn token_hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn ensure_indexes() -> Result<(), Problem> {
    use store::{index, key};
    store::ensure_indexes(
        REFRESH,
        &[
            index("family", vec![key("family", false)], IndexKind::Regular),
            index("user", vec![key("user_id", false)], IndexKind::Regular),
            index("expiry", vec![key("expires_at", false)], IndexKind::Regular),
        ],
    )
}

/// Refresh tokens one housekeeping round deletes at most (the rest wait for the next round).
const SWEEP_AT_MOST: u64 = 10_000;

/// Deletes the refresh tokens past their expiry: none can be used any more. (One presented
/// again after it is deleted is refused as unknown, no longer as a reuse that revokes its
/// family: it grants nothing either way.) Returns how many were deleted.
pub fn sweep_expired() -> Result<u64, Problem> {
    ensure_indexes()?;
    let now = now();
    let expired = |token: &Stored| token.body.get("expires_at").and_then(Value::as_u64).is_some_and(|at| at <= now);
    store::sweep(REFRESH, vec![store::clause("expires_at", Op::Lte, json!(now))], SWEEP_AT_MOST, expired)
}

/// Creates a refresh token for a user in a family (a new family at sign-in); only its hash
/// is stored.
pub fn new_refresh(user_id: &str, family: Option<&str>) -> Result<String, Problem> {
    ensure_indexes()?;
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes::<32>()?);
    let family = match family {
        Some(family) => family.to_owned(),
        None => base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes::<16>()?),
    };
    let mut doc = Map::new();
    doc.insert("_id".into(), json!(token_hash(&token)));
    doc.insert("user_id".into(), json!(user_id));
    doc.insert("family".into(), json!(family));
    doc.insert("expires_at".into(), json!(now() + REFRESH_TTL_SECONDS));
    doc.insert("used".into(), json!(false));
    doc.insert("revoked".into(), json!(false));
    match store::insert(REFRESH, &doc)? {
        Ok(_) => Ok(token),
        Err(_) => Err(Problem::internal()),
    }
}

fn refused() -> Problem {
    Problem::new(401, "invalid-refresh-token", "Sign in again").with_detail("This refresh token is not valid any more.")
}

/// Revokes every token matching `field == value` that is not revoked yet.
fn revoke_where(field: &str, value: &str) -> Result<(), Problem> {
    loop {
        let filter = vec![store::clause(field, Op::Eq, json!(value)), store::clause("revoked", Op::Eq, json!(false))];
        let Some(token) = store::find_one(REFRESH, filter)? else { return Ok(()) };
        let mut body = token.body.clone();
        body.insert("revoked".into(), json!(true));
        // A concurrent change to the same token (a stale version) is retried by the loop.
        let _ = store::replace(REFRESH, &token.id, token.version, &body)?;
    }
}

/// Revokes every token of a family (reuse detected, or sign-out).
fn revoke_family(family: &str) -> Result<(), Problem> {
    revoke_where("family", family)
}

/// Revokes every refresh token of a user (the account was disabled).
pub fn revoke_user(user_id: &str) -> Result<(), Problem> {
    ensure_indexes()?;
    revoke_where("user_id", user_id)
}

fn lookup(token: &str) -> Result<Stored, Problem> {
    store::get(REFRESH, &token_hash(token))?.ok_or_else(refused)
}

/// Uses a refresh token once: returns its user and a new token of the same family. A token
/// used twice revokes its whole family (it was stolen, or the client is confused).
pub fn rotate(token: &str) -> Result<(String, String), Problem> {
    let current = lookup(token)?;
    let field = |name: &str| current.body.get(name).cloned().unwrap_or(Value::Null);
    let family = field("family").as_str().unwrap_or_default().to_owned();
    let user_id = field("user_id").as_str().unwrap_or_default().to_owned();
    if field("revoked") == json!(true) {
        return Err(refused());
    }
    if field("used") == json!(true) {
        revoke_family(&family)?;
        return Err(refused());
    }
    if field("expires_at").as_u64().unwrap_or(0) <= now() {
        return Err(refused());
    }
    let mut body = current.body.clone();
    body.insert("used".into(), json!(true));
    match store::replace(REFRESH, &current.id, current.version, &body)? {
        Ok(Some(_)) => {}
        // Someone used it at the same moment: treat it as reuse.
        _ => {
            revoke_family(&family)?;
            return Err(refused());
        }
    }
    let next = new_refresh(&user_id, Some(&family))?;
    Ok((user_id, next))
}

/// Signs out: revokes the family of a refresh token (an unknown token is already signed out).
pub fn revoke(token: &str) -> Result<(), Problem> {
    match store::get(REFRESH, &token_hash(token))? {
        Some(found) => revoke_family(found.body.get("family").and_then(Value::as_str).unwrap_or_default()),
        None => Ok(()),
    }
}
