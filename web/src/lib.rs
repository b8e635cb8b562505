//! The shop's storefront and admin dashboard: a Leptos app rendered on the server (the
//! `ssr` feature, the `shop-web` binary) and hydrated in the browser (the `hydrate` feature,
//! built for `wasm32-unknown-unknown`). It reads and writes through the host's HTTP API.

#![recursion_limit = "512"]

pub mod app;
pub mod cart;
pub mod components;
pub mod data;
pub mod format;
pub mod i18n;
pub mod model;
pub mod order_view;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod server;

/// The browser's entry point: hydrates the server-rendered page.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
    // For tests and the time-to-interactive benchmark: the moment the page answers input.
    if let Some(performance) = web_sys::window().and_then(|w| w.performance()) {
        let _ = performance.mark("shop-hydrated");
    }
}
