//! The host's Prometheus metrics, served at `/metrics`: requests by route and status (from
//! `http-telemetry`), component instantiations and memory growths, hot swaps, document-store
//! errors, payment provider calls and mail deliveries.

use http_telemetry::{HttpMetrics, SharedRegistry};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;
use std::sync::Arc;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ComponentLabels {
    component: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HttpCallLabels {
    component: String,
    export: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SwapLabels {
    component: String,
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PaymentCallLabels {
    provider: String,
    function: String,
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StoreErrorLabels {
    backend: String,
    operation: String,
    kind: String,
}

/// Every metric of one host.
pub struct HostMetrics {
    registry: SharedRegistry,
    /// Requests, for the front's middleware.
    pub http: HttpMetrics,
    instantiations: Family<ComponentLabels, Counter>,
    http_calls: Family<HttpCallLabels, Counter>,
    memory_grows: Family<ComponentLabels, Counter>,
    swaps: Family<SwapLabels, Counter>,
    store_errors: Family<StoreErrorLabels, Counter>,
    payment_calls: Family<PaymentCallLabels, Counter>,
    mail: Family<OutcomeLabels, Counter>,
    /// The response cache's counts.
    pub cache: response_cache::CacheMetrics,
}

/// How a swap attempt ended, as the `outcome` label says it.
#[derive(Clone, Copy, Debug)]
pub enum SwapResult {
    /// A new version now serves.
    Swapped,
    /// The new file was refused; the old version keeps serving.
    Refused,
}

impl HostMetrics {
    /// A registry with the host's metrics, all at zero.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("shop");
        let http = HttpMetrics::register(&mut registry);
        let instantiations = Family::<ComponentLabels, Counter>::default();
        let swaps = Family::<SwapLabels, Counter>::default();
        let http_calls = Family::<HttpCallLabels, Counter>::default();
        let memory_grows = Family::<ComponentLabels, Counter>::default();
        let store_errors = Family::<StoreErrorLabels, Counter>::default();
        let payment_calls = Family::<PaymentCallLabels, Counter>::default();
        let mail = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "component_instantiations",
            "Component instances created (one per request or cross-component call)",
            instantiations.clone(),
        );
        registry.register(
            "component_http_calls",
            "HTTP requests handed to components, by the export called (http-exchange in one call, or wasi-http)",
            http_calls.clone(),
        );
        registry.register(
            "component_memory_grows",
            "Times an instance grew its linear memory past the component's initial size (each costs page-protection changes)",
            memory_grows.clone(),
        );
        registry.register("component_swaps", "Hot-swap attempts by outcome (swapped or refused)", swaps.clone());
        registry.register("store_errors", "Document-store calls that failed, by backend, operation and kind", store_errors.clone());
        registry.register(
            "payment_calls",
            "Calls to payment providers, by provider, function and outcome (ok, declined, insufficient_funds, invalid, unavailable, timed_out, failed)",
            payment_calls.clone(),
        );
        registry.register("mail_deliveries", "Attempts to deliver queued messages, by outcome (sent, retry, failed)", mail.clone());
        let cache = response_cache::CacheMetrics::default();
        cache.register(&mut registry);
        Self {
            registry: Arc::new(registry),
            http,
            instantiations,
            http_calls,
            memory_grows,
            swaps,
            store_errors,
            payment_calls,
            mail,
            cache,
        }
    }

    /// Counts one instance of `component`.
    pub fn instantiated(&self, component: &str) {
        self.instantiations.get_or_create(&ComponentLabels { component: component.to_owned() }).inc();
    }

    /// Counts one HTTP request handed to `component` through `export` (`http-exchange` or
    /// `wasi-http`).
    pub fn http_call(&self, component: &str, export: &str) {
        self.http_calls.get_or_create(&HttpCallLabels { component: component.to_owned(), export: export.to_owned() }).inc();
    }

    /// Counts `grows` growths of an instance of `component`'s memory past its initial size.
    pub fn memory_grown(&self, component: &str, grows: u64) {
        self.memory_grows.get_or_create(&ComponentLabels { component: component.to_owned() }).inc_by(grows);
    }

    /// Counts one swap attempt of `component`.
    pub fn swap(&self, component: &str, result: SwapResult) {
        let outcome = match result {
            SwapResult::Swapped => "swapped",
            SwapResult::Refused => "refused",
        };
        self.swaps.get_or_create(&SwapLabels { component: component.to_owned(), outcome: outcome.to_owned() }).inc();
    }

    /// Counts one failed store call; `kind` is the error's variant (`conflict`, `unavailable`, …).
    pub fn store_error(&self, backend: &str, operation: &str, kind: &str) {
        self.store_errors
            .get_or_create(&StoreErrorLabels { backend: backend.to_owned(), operation: operation.to_owned(), kind: kind.to_owned() })
            .inc();
    }

    /// Counts one call to a payment provider and how it ended.
    pub fn payment_call(&self, provider: &str, function: &str, outcome: &str) {
        self.payment_calls
            .get_or_create(&PaymentCallLabels { provider: provider.to_owned(), function: function.to_owned(), outcome: outcome.to_owned() })
            .inc();
    }

    /// Counts one attempt to deliver a queued message and how it ended.
    pub fn mail(&self, outcome: &str) {
        self.mail.get_or_create(&OutcomeLabels { outcome: outcome.to_owned() }).inc();
    }

    /// The `/metrics` answer.
    pub fn render(&self) -> axum::response::Response {
        http_telemetry::render(&self.registry)
    }
}

impl Default for HostMetrics {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_family_is_exposed_with_the_shop_prefix() {
        let metrics = HostMetrics::new();
        metrics.instantiated("catalog");
        metrics.instantiated("catalog");
        metrics.swap("catalog", SwapResult::Refused);
        metrics.memory_grown("media", 3);
        metrics.store_error("embedded", "replace", "unavailable");
        let body = axum::body::to_bytes(metrics.render().into_body(), usize::MAX).await.unwrap();
        let text = String::from_utf8(body.to_vec()).unwrap();
        assert!(text.contains(r#"shop_component_instantiations_total{component="catalog"} 2"#), "{text}");
        assert!(text.contains(r#"shop_component_swaps_total{component="catalog",outcome="refused"} 1"#), "{text}");
        assert!(text.contains(r#"shop_component_memory_grows_total{component="media"} 3"#), "{text}");
        assert!(text.contains(r#"shop_store_errors_total{backend="embedded",operation="replace",kind="unavailable"} 1"#), "{text}");
    }
}
