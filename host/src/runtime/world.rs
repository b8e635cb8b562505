//! The worlds a component may target, and the capabilities (linker) each one grants.

use super::state::HostState;
use crate::bindings::shop::platform;
use wasmtime::Engine;
use wasmtime::component::{HasSelf, Linker};
use wasmtime_wasi_http::WasiHttp;
use wasmtime_wasi_http::p2::bindings as http_bindings;

/// A world of `wit/platform.wit`: what a component may import and must export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum World {
    /// `auth-service`: documents and config; exports `auth` and the HTTP handler.
    AuthService,
    /// `catalog-service`: documents, blobs, config, auth and media; exports the HTTP handler.
    CatalogService,
    /// `orders-service`: documents, config, auth and payments; exports the HTTP handler.
    OrdersService,
    /// `media-service`: nothing; exports `media`.
    MediaService,
    /// `payment-provider`: config; exports `payments` (components named `payments-<method>`).
    PaymentProvider,
    /// `http-service`: nothing; exports the HTTP handler.
    HttpService,
}

impl World {
    /// Every world.
    pub const ALL: [World; 6] =
        [World::AuthService, World::CatalogService, World::OrdersService, World::MediaService, World::PaymentProvider, World::HttpService];

    /// The world of a component, from its manifest id. Unknown components get the world that
    /// grants nothing.
    pub fn for_component(id: &str) -> Self {
        match id {
            "auth" => Self::AuthService,
            "catalog" => Self::CatalogService,
            "orders" => Self::OrdersService,
            "media" => Self::MediaService,
            _ if id.starts_with("payments-") => Self::PaymentProvider,
            _ => Self::HttpService,
        }
    }

    /// The WIT name.
    pub fn name(self) -> &'static str {
        match self {
            Self::AuthService => "auth-service",
            Self::CatalogService => "catalog-service",
            Self::OrdersService => "orders-service",
            Self::MediaService => "media-service",
            Self::PaymentProvider => "payment-provider",
            Self::HttpService => "http-service",
        }
    }

    /// Whether components of this world export `wasi:http/incoming-handler`.
    pub fn serves_http(self) -> bool {
        !matches!(self, Self::MediaService | Self::PaymentProvider)
    }

    /// The functions (interface, function) the world must export besides the HTTP handler;
    /// the first is the one other components call on every request.
    pub fn required_exports(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Self::AuthService => &[("shop:platform/auth@0.1.0", "verify-token"), ("shop:platform/operator@0.1.0", "create-admin")],
            Self::MediaService => &[("shop:platform/media@0.1.0", "process-image")],
            Self::PaymentProvider => &[
                ("shop:platform/payments@0.1.0", "authorise"),
                ("shop:platform/payments@0.1.0", "capture"),
                ("shop:platform/payments@0.1.0", "refund"),
                ("shop:platform/payments@0.1.0", "void"),
            ],
            _ => &[],
        }
    }

    /// A linker granting exactly this world's imports. WASI is linked for every world (Rust's
    /// std needs clocks, random and stdio), but the store's WASI context has no preopened
    /// directory, no environment and no network, and `wasi:http/outgoing-handler` is never
    /// linked: a component that imports anything else is refused when loaded.
    pub fn linker(self, engine: &Engine) -> wasmtime::Result<Linker<HostState>> {
        let mut linker = Linker::new(engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
        if self.serves_http() {
            let options = http_bindings::LinkOptions::default();
            http_bindings::http::types::add_to_linker::<_, WasiHttp>(&mut linker, &options.into(), HostState::http_view)?;
        }
        let documents = |l: &mut Linker<HostState>| platform::documents::add_to_linker::<_, HasSelf<HostState>>(l, |s| s);
        let config = |l: &mut Linker<HostState>| platform::config::add_to_linker::<_, HasSelf<HostState>>(l, |s| s);
        match self {
            Self::AuthService => {
                documents(&mut linker)?;
                config(&mut linker)?;
            }
            Self::CatalogService => {
                documents(&mut linker)?;
                config(&mut linker)?;
                platform::blobs::add_to_linker::<_, HasSelf<HostState>>(&mut linker, |s| s)?;
                platform::auth::add_to_linker::<_, HasSelf<HostState>>(&mut linker, |s| s)?;
                platform::media::add_to_linker::<_, HasSelf<HostState>>(&mut linker, |s| s)?;
            }
            Self::OrdersService => {
                documents(&mut linker)?;
                config(&mut linker)?;
                platform::auth::add_to_linker::<_, HasSelf<HostState>>(&mut linker, |s| s)?;
                platform::payments::add_to_linker::<_, HasSelf<HostState>>(&mut linker, |s| s)?;
            }
            Self::PaymentProvider => config(&mut linker)?,
            Self::MediaService | Self::HttpService => {}
        }
        Ok(linker)
    }
}
