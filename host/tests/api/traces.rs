//! The host's capability calls are spans naming the component and what it touched, so a slow
//! request can be traced to the call that made it slow.

use crate::helpers::spawn_app;
use std::sync::{Arc, Mutex};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::{Context, SubscriberExt};

/// Every span opened, as its name and fields (`documents.find component=catalog …`).
#[derive(Clone, Default)]
struct Spans(Arc<Mutex<Vec<String>>>);

impl<S: tracing::Subscriber> Layer<S> for Spans {
    fn on_new_span(&self, attributes: &tracing::span::Attributes<'_>, _: &tracing::span::Id, _: Context<'_, S>) {
        struct Fields(String);
        impl tracing::field::Visit for Fields {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                self.0.push_str(&format!(" {}={value:?}", field.name()));
            }
        }
        let mut line = Fields(attributes.metadata().name().to_owned());
        attributes.record(&mut line);
        self.0.lock().unwrap().push(line.0);
    }
}

// A current-thread runtime (`#[tokio::test]`'s): the host, its instances and their
// capability calls all run on this thread, which is where the subscriber is installed.
#[tokio::test]
async fn capability_calls_are_spans_naming_the_component_and_the_collection() {
    let spans = Spans::default();
    let _installed = tracing::subscriber::set_default(tracing_subscriber::registry().with(spans.clone()));
    let app = spawn_app().await;
    spans.0.lock().unwrap().clear();

    assert_eq!(app.get("/api/products?per_page=2").await.status(), 200);
    assert_eq!(app.get("/api/categories").await.status(), 200);
    assert_eq!(
        app.post_json("/api/auth/login", &serde_json::json!({"email": "nobody@example.com", "password": "wrong-password-1"}))
            .await
            .status(),
        401
    );

    let seen = spans.0.lock().unwrap().clone();
    for expected in [
        "documents.find component=catalog collection=products",
        "documents.find component=catalog collection=categories",
        "documents.count-by component=catalog collection=products",
        "documents.ensure-index component=catalog collection=products",
        "documents.find component=auth collection=users",
    ] {
        assert!(seen.iter().any(|span| span == expected), "no span `{expected}` among {seen:#?}");
    }
    app.stop().await;
}
