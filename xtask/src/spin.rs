//! The Spin deployment's components (`dist/spin/*.wasm`, the sources `spin.toml` names).
//!
//! Under `spin up` there is no host to provide `shop:platform/*`, so each service component
//! is composed at build time with components that provide those imports:
//! - `documents`, `blobs` and `config` by the adapters over Spin's own interfaces
//!   (`components/spin/*`: SQLite, key-value, variables);
//! - catalog's `auth` and `media` by an instance of the (composed) auth component and of the
//!   media component, orders' `auth` and `payments` by an auth instance and the cash on
//!   delivery provider, since Spin components cannot call each other.
//!
//! The composition uses `wac-graph` (the library behind the `wac` CLI): each plug's exports
//! are matched to the socket's imports by name (and semver) and checked as subtypes.

use anyhow::{Context, Result, bail};
use wac_graph::types::Package;
use wac_graph::{CompositionGraph, EncodeOptions, plug};

/// One composed component: the socket, and what is plugged into it.
pub struct Composition {
    /// The output's name (`dist/spin/<name>.wasm`).
    pub name: &'static str,
    /// The component whose imports are filled.
    pub socket: &'static str,
    /// The plugs: built components, or (as `spin:<name>`) an earlier composition.
    pub plugs: &'static [&'static str],
}

/// The adapters built for Spin (their cdylibs are composed, never installed on their own).
pub const ADAPTERS: [&str; 3] = ["spin-documents", "spin-blobs", "spin-config"];

/// What `spin.toml` deploys, in build order.
pub const COMPOSITIONS: [Composition; 4] = [
    Composition { name: "auth", socket: "auth", plugs: &["spin-documents", "spin-config"] },
    Composition { name: "catalog", socket: "catalog", plugs: &["spin:auth", "media", "spin-documents", "spin-blobs", "spin-config"] },
    Composition { name: "orders", socket: "orders", plugs: &["spin:auth", "payments-cash-on-delivery", "spin-documents", "spin-config"] },
    Composition { name: "uploads", socket: "uploads", plugs: &["spin-blobs"] },
];

/// Plugs `plugs` into `socket` and encodes the result, refusing one that still imports any
/// `shop:platform` interface (a plug that matched nothing would leave one).
pub fn compose(socket: (&str, Vec<u8>), plugs: Vec<(&str, Vec<u8>)>) -> Result<Vec<u8>> {
    let mut graph = CompositionGraph::new();
    let package = Package::from_bytes("shop:socket", None, socket.1, graph.types_mut()).with_context(|| format!("reading {}", socket.0))?;
    let socket_id = graph.register_package(package)?;
    let mut plug_ids = Vec::new();
    for (i, (name, bytes)) in plugs.into_iter().enumerate() {
        let package =
            Package::from_bytes(&format!("shop:plug{i}"), None, bytes, graph.types_mut()).with_context(|| format!("reading {name}"))?;
        plug_ids.push(graph.register_package(package)?);
    }
    plug(&mut graph, plug_ids, socket_id).with_context(|| format!("plugging into {}", socket.0))?;
    let unfilled: Vec<&str> = graph.imports().map(|(name, _, _)| name).filter(|name| name.starts_with("shop:platform/")).collect();
    if !unfilled.is_empty() {
        bail!("{} still imports {} after composition", socket.0, unfilled.join(", "));
    }
    graph.encode(EncodeOptions::default()).with_context(|| format!("encoding the composed {}", socket.0))
}
