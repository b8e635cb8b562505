//! The capabilities the host provides to components, one module each (one file per backend).

pub mod blobs;
pub mod config;
pub mod documents;
