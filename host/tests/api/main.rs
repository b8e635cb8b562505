//! Integration tests: each starts the real host (on port 0, with a fresh data directory)
//! in front of the real components built by `cargo xtask build`.

mod auth;
mod authorization;
mod cache;
mod categories;
mod cors;
mod demo;
mod disk_full;
mod exchange;
mod helpers;
mod hostile;
mod images;
mod links;
mod mail;
mod metrics;
mod openapi;
mod operator;
mod orders;
mod payments;
mod pictures;
mod products;
mod sandbox;
mod spin;
mod store_down;
mod throttling;
mod users;
