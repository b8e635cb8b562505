//! The shop's native host: the HTTP front (axum), the component runtime (wasmtime), the
//! capability providers (documents, blobs, config) and hot swap.
#![deny(missing_docs)]

pub mod capabilities;
pub mod changes;
pub mod demo;
pub mod housekeeping;
pub mod http;
pub mod mailer;
pub mod manifest;
pub mod metrics;
pub mod runtime;
pub mod settings;
pub mod startup;
pub mod telemetry;
pub mod watcher;

/// Host-side bindings of `wit/platform.wit` (the imports the host provides).
#[allow(missing_docs)]
pub mod bindings {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "host-provided",
        imports: { default: async | trappable },
    });

    /// Host-side bindings of `shop:platform/http-exchange`, which service components export
    /// beside `wasi:http/incoming-handler` (the host calls it when it is there).
    pub mod exchange {
        wasmtime::component::bindgen!({
            path: "../wit",
            world: "http-exchange-service",
            exports: { default: async },
        });
    }
}
