//! The server half: configuration, the API client, admin sessions and the routes that are
//! not pages (uploads, language choice, sitemap, robots).

pub mod api;
pub mod body;
pub mod config;
pub mod page_cache;
pub mod routes;
pub mod session;

pub use api::api;
pub use config::config;
