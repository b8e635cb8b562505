//! `shop-web`: the storefront's server. Renders pages with Leptos, serves the client bundle,
//! and talks to the host's API (`API_URL`).

use anyhow::{Context, Result};
use axum::Router;
use axum::routing::get;
use http::{HeaderValue, header};
use leptos::prelude::*;
use leptos_axum::{LeptosRoutes, generate_route_list};
use shop_web::app::{App, Assets, shell};
use shop_web::server::{api, body, config, page_cache, routes, session};
use std::net::SocketAddr;
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

/// What `cargo xtask build` writes beside the client bundle: the hashed file names.
#[derive(serde::Deserialize)]
struct Manifest {
    output_name: String,
    css: String,
}

#[tokio::main]
async fn main() -> Result<()> {
    http_telemetry::logging::init("info");
    let config = config::Config::from_env()?;
    match std::env::args().nth(1).as_deref() {
        None | Some("serve") => serve(config).await,
        Some("healthcheck") => healthcheck(config.addr).await,
        Some(other) => anyhow::bail!("unknown command {other:?}; usage: shop-web [serve | healthcheck]"),
    }
}

/// `healthcheck`: `GET /healthz` on this container's own listener; succeeds on 200.
async fn healthcheck(addr: SocketAddr) -> Result<()> {
    Ok(http_telemetry::health::probe(addr, "/healthz", std::time::Duration::from_secs(5)).await?)
}

async fn serve(config: config::Config) -> Result<()> {
    config::init(config.clone());
    api::init(api::Api::new(&config.api_url));

    let manifest_path = config.site_dir.join("assets.json");
    let manifest: Manifest = serde_json::from_str(&std::fs::read_to_string(&manifest_path).with_context(|| {
        format!("reading {}: build the storefront's client first (`cargo xtask build`), or set WEB_SITE_DIR", manifest_path.display())
    })?)
    .with_context(|| format!("parsing {}", manifest_path.display()))?;
    let options = LeptosOptions::builder()
        .output_name(manifest.output_name.clone())
        .site_root(config.site_dir.to_string_lossy().to_string())
        .site_pkg_dir("pkg")
        .site_addr(config.addr)
        .build();
    let assets = Assets { css: manifest.css.clone() };

    let mut registry = prometheus_client::registry::Registry::with_prefix("shop_web");
    let http_metrics = http_telemetry::HttpMetrics::register(&mut registry);
    if let Some(budget) = config.page_cache_bytes {
        let metrics = response_cache::CacheMetrics::default();
        metrics.register(&mut registry);
        page_cache::init(budget, &manifest.output_name, &config.api_url, metrics);
    }
    let registry = std::sync::Arc::new(registry);

    let routes = generate_route_list(App);
    let pages = Router::new()
        .leptos_routes(&options, routes, {
            let options = options.clone();
            move || shell(options.clone(), assets.clone())
        })
        .fallback(leptos_axum::file_and_error_handler({
            let assets = Assets { css: manifest.css.clone() };
            move |options| shell(options, assets.clone())
        }))
        .with_state(options.clone());
    // The bundle's names carry a hash of its contents: cache it for a year.
    let static_files = Router::new()
        .nest_service("/pkg", ServeDir::new(config.site_dir.join("pkg")).precompressed_gzip())
        .layer(SetResponseHeaderLayer::overriding(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable")));
    let app = Router::new()
        .route("/uploads/{*key}", get(routes::uploads))
        .route("/lang/{code}", get(routes::switch_language))
        .route("/robots.txt", get(routes::robots))
        .route("/sitemap.xml", get(routes::sitemap))
        .route("/healthz", get(|| async { "ok" }))
        .route("/metrics", get(move || std::future::ready(http_telemetry::render(&registry))))
        .merge(static_files)
        .merge(pages)
        // Innermost: rendered pages are kept before compression, once per address.
        .layer(axum::middleware::from_fn(page_cache::serve))
        .layer(axum::middleware::from_fn(routes::server_function_status))
        .layer(axum::middleware::from_fn(session::guard))
        // Whole bodies, in time (see `server::body`), and none larger than an upload may be.
        .layer(axum::middleware::from_fn_with_state(
            body::BodyRules { timeout: config.body_timeout, limit: config.max_body_bytes },
            body::read_in_time,
        ))
        .layer(RequestBodyLimitLayer::new(config.max_body_bytes))
        .layer(axum::middleware::from_fn(routes::first_visit))
        .layer(CompressionLayer::new())
        .layer(SetResponseHeaderLayer::if_not_present(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::if_not_present(header::REFERRER_POLICY, HeaderValue::from_static("strict-origin-when-cross-origin")))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        // Outermost: every answer is logged once and counted by route and status.
        .layer(axum::middleware::from_fn_with_state(http_metrics, http_telemetry::observe));

    let listener = tokio::net::TcpListener::bind(config.addr).await.with_context(|| format!("binding {} (WEB_ADDR)", config.addr))?;
    let local = listener.local_addr()?;
    tracing::info!(address = %local, api = %config.api_url, "the storefront is listening");
    println!("shop-web listening on http://{local}");
    let (stopping, began) = http_telemetry::shutdown::begin(http_telemetry::shutdown::signal());
    // The serving loop turns Nagle's algorithm off on every socket: a page's last segment
    // otherwise waits for it (and the client's delayed ACK).
    let limits = http_telemetry::serve::ConnectionLimits { head_timeout: config.head_timeout, ..Default::default() };
    let serve = http_telemetry::serve::serve(listener, app, limits, stopping);
    http_telemetry::shutdown::within_deadline(serve, began, config.shutdown_grace).await?;
    Ok(())
}
