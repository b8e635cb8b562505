//! Logging: `tracing` to stderr, filtered by `RUST_LOG` (default `info`), as text or, with
//! `LOG_FORMAT=json`, one JSON object per line. Each request adds one line (target `http`)
//! with its id, method, path, route, status and duration.

/// Installs the global subscriber (once; later calls do nothing).
pub fn init() {
    http_telemetry::logging::init("info,wasmtime=warn,cranelift_codegen=warn");
}
