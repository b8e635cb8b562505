//! Accounts: emails and passwords that parse, users as stored and as shown.

use api_kit::store::{Collection, Stored};
use serde_json::{Map, Value};
use shop_domain::FieldErrors;
use shop_domain::accounts::{StoredUser, User};

/// The users collection.
pub const USERS: Collection<StoredUser> = Collection::new("users");
/// The shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// The longest password accepted (argon2 takes any length; this bounds the work).
pub const MAX_PASSWORD_CHARS: usize = 256;

/// An email address, trimmed and lowercased, with one `@` between a local part and a
/// dotted domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// Parses and normalises an address.
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let email = raw.trim().to_lowercase();
        if email.len() > 254 {
            return Err("must be at most 254 characters");
        }
        let Some((local, domain)) = email.split_once('@') else { return Err("must be an email address such as name@example.com") };
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && domain.split('.').all(|label| !label.is_empty() && label.chars().all(|c| c.is_alphanumeric() || c == '-'));
        if local.is_empty() || local.len() > 64 || !domain_ok || email.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err("must be an email address such as name@example.com");
        }
        Ok(Self(email))
    }

    /// The normalised address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A password that meets the rules: 10 to 256 characters, not the email address.
pub struct NewPassword(String);

impl NewPassword {
    /// Checks a password against the rules, in words a user understands.
    pub fn parse(raw: &str, email: Option<&Email>) -> Result<Self, String> {
        let chars = raw.chars().count();
        if chars < MIN_PASSWORD_CHARS {
            return Err(format!("must be at least {MIN_PASSWORD_CHARS} characters long"));
        }
        if chars > MAX_PASSWORD_CHARS {
            return Err(format!("must be at most {MAX_PASSWORD_CHARS} characters long"));
        }
        if email.is_some_and(|e| raw.trim().eq_ignore_ascii_case(e.as_str())) {
            return Err("must not be your email address".to_owned());
        }
        Ok(Self(raw.to_owned()))
    }

    /// The password.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Reads `{email, password}` from a body, rejecting unknown fields; with `rules`, the
/// password must meet the rules for a new password.
pub fn credentials(mut body: Map<String, Value>, rules: bool) -> Result<(Email, String), FieldErrors> {
    let mut errors = FieldErrors::new();
    let email = match body.remove("email") {
        Some(Value::String(raw)) => errors.check("email", Email::parse(&raw)),
        Some(_) => {
            errors.push("email", "must be a string");
            None
        }
        None => {
            errors.push("email", "is required");
            None
        }
    };
    let password = match body.remove("password") {
        Some(Value::String(raw)) if rules => {
            errors.check("password", NewPassword::parse(&raw, email.as_ref())).map(|p| p.as_str().to_owned())
        }
        Some(Value::String(raw)) if raw.is_empty() => {
            errors.push("password", "is required");
            None
        }
        Some(Value::String(raw)) => Some(raw),
        Some(_) => {
            errors.push("password", "must be a string");
            None
        }
        None => {
            errors.push("password", "is required");
            None
        }
    };
    for unknown in body.keys() {
        errors.push(unknown.clone(), "is not a field of this request");
    }
    match (email, password) {
        (Some(email), Some(password)) if errors.is_empty() => Ok((email, password)),
        _ => Err(errors),
    }
}

/// A stored user as the API shows it (never the password hash).
pub fn user_view(user: &Stored<StoredUser>) -> User {
    user.body.public(&user.id, user.version)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_normalise_and_refuse_nonsense() {
        assert_eq!(Email::parse("  Layla@Example.COM ").unwrap().as_str(), "layla@example.com");
        for bad in ["", "layla", "@example.com", "layla@", "layla@example", "la yla@example.com", "layla@.example.com"] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn password_rules_are_explained() {
        let email = Email::parse("layla@example.com").unwrap();
        assert!(NewPassword::parse("short", Some(&email)).err().unwrap().contains("at least 10"));
        assert!(NewPassword::parse("Layla@Example.com", Some(&email)).err().unwrap().contains("email"));
        assert!(NewPassword::parse("correct horse battery", Some(&email)).is_ok());
        // Characters, not bytes: ten Arabic letters are enough.
        assert!(NewPassword::parse("كلمةسرطويل", Some(&email)).is_ok());
    }
}
