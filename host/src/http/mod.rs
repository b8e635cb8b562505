//! The HTTP side of the host: the public router (health, metrics, and dispatch to the
//! components by the manifest's routes), CORS, the API docs, uploads, the client's address
//! behind trusted proxies, the host's own problem answers, and the operator endpoints on
//! their own loopback listener.

pub mod api_docs;
pub mod client_addr;
pub mod cors;
pub mod operator;
pub mod problem;
pub mod router;
pub mod uploads;
