//! User accounts as the API shows them to admins (never a password hash).

use crate::catalog::PageLinks;
use serde::{Deserialize, Serialize};

/// What an account may do.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Manages the catalogue and the users.
    Admin,
    /// Shops (a new account's role).
    #[default]
    Customer,
}

impl Role {
    /// The role as the API writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Customer => "customer",
        }
    }

    /// The role named `name` (`admin` or `customer`).
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "admin" => Some(Role::Admin),
            "customer" => Some(Role::Customer),
            _ => None,
        }
    }
}

/// A user account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Its id.
    pub id: String,
    /// The normalised email.
    pub email: String,
    /// What it may do.
    pub role: Role,
    /// Whether sign-in is refused.
    #[serde(default)]
    pub disabled: bool,
    /// When the account was created (RFC 3339).
    #[serde(default)]
    pub created_at: Option<String>,
    /// When it last changed (RFC 3339), if it has.
    #[serde(default)]
    pub updated_at: Option<String>,
    /// The stored version (for `If-Match`).
    pub version: u64,
}

/// A user as the store keeps it: a document of the `users` collection (its id and version
/// are the store's). No `Debug`: it holds the password hash.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredUser {
    /// When the account was created (RFC 3339).
    #[serde(default)]
    pub created_at: Option<String>,
    /// Who created it when not its owner (`operator` for the first admin).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    /// Whether sign-in is refused.
    #[serde(default)]
    pub disabled: bool,
    /// The normalised email (unique).
    pub email: String,
    /// The password's Argon2id hash (PHC string).
    pub password_hash: String,
    /// What it may do.
    #[serde(default)]
    pub role: Role,
    /// When it last changed (RFC 3339).
    #[serde(default)]
    pub updated_at: Option<String>,
}

impl StoredUser {
    /// The account as the API shows it (never the password hash).
    pub fn public(&self, id: &str, version: u64) -> User {
        User {
            id: id.to_owned(),
            email: self.email.clone(),
            role: self.role,
            disabled: self.disabled,
            created_at: self.created_at.clone(),
            updated_at: self.updated_at.clone(),
            version,
        }
    }
}

/// One page of users.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserPage {
    /// The users on this page.
    pub items: Vec<User>,
    /// Users across all pages.
    pub total: u64,
    /// This page's number, from 1.
    pub page: u64,
    /// Users per page.
    pub per_page: u64,
    /// Links to this page and its neighbours.
    pub links: PageLinks,
}
