//! Order e-mails: queued by the orders component, delivered by the host to a real SMTP server
//! (Debian's python3-aiosmtpd, `host/tests/smtp/server.py`), or into the file outbox.

use crate::helpers::{Options, project_root, spawn_app_with};
use crate::orders::{address, checkout, product, request, shopper};
use crate::payments::metric;
use reqwest::Method;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::time::{Duration, Instant};
use test_support::{Process, free_port};

/// A real SMTP server on a free port, recording what it accepts.
struct SmtpServer {
    port: u16,
    record: PathBuf,
    _process: Process,
    _dir: tempfile::TempDir,
}

impl SmtpServer {
    fn start_on(port: u16) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let record = dir.path().join("received.jsonl");
        let process = test_support::smtp_server(&project_root().join("host/tests/smtp/server.py"), port, &record);
        Self { port, record, _process: process, _dir: dir }
    }

    fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// What the server accepted so far.
    fn received(&self) -> Vec<Value> {
        let text = std::fs::read_to_string(&self.record).unwrap_or_default();
        text.lines().map(|line| serde_json::from_str(line).unwrap()).collect()
    }

    /// Waits for the message whose subject contains `subject`.
    async fn wait_for(&self, subject: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(message) = self.received().into_iter().find(|m| m["subject"].as_str().unwrap_or("").contains(subject)) {
                return message;
            }
            assert!(Instant::now() < deadline, "no message \"{subject}\" arrived; got {:?}", self.received());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

fn buy(language: &str) -> Value {
    json!({"items": [{"product": "lamp", "quantity": 2}], "shipping_address": address(), "payment_method": "cash_on_delivery", "language": language})
}

#[tokio::test]
async fn order_emails_reach_a_real_smtp_server_in_the_shoppers_language() {
    let smtp = SmtpServer::start_on(free_port());
    let app = spawn_app_with(Options {
        env: vec![
            ("SMTP_URL", smtp.url()),
            ("SHOP_MAIL_POLL_MS", "100".into()),
            ("SHOP_MAIL_FROM", "Qamar Shop <orders@qamar.example>".into()),
        ],
        ..Default::default()
    })
    .await;
    product(&app, "lamp", 4200, "SAR", 10).await;
    let layla = shopper(&app, "layla@example.com").await;

    // Bought in Arabic: the confirmation is Arabic, its HTML right to left.
    let placed: Value = checkout(&app, &layla, None, &buy("ar")).await.json().await.unwrap();
    let id = placed["id"].as_str().unwrap().to_owned();
    let short = &id[..8];
    let confirmation = smtp.wait_for(&format!("تم تأكيد طلبك {short}")).await;
    assert_eq!(confirmation["rcpt_tos"], json!(["layla@example.com"]));
    assert_eq!(confirmation["from"], "Qamar Shop <orders@qamar.example>");
    assert_eq!(confirmation["content_language"], "ar");
    let html = confirmation["html"].as_str().unwrap();
    assert!(html.contains("<html lang=\"ar\" dir=\"rtl\">") && html.contains("84.00 SAR"), "{html}");
    let text = confirmation["text"].as_str().unwrap();
    assert!(text.contains("شكرًا لطلبك") && text.contains(&id) && text.contains("الدفع عند الاستلام"), "{text}");

    // Shipped, with the admin's note.
    let shipped = app.admin_post_json(&format!("/api/orders/{id}/status"), &json!({"status": "shipped", "note": "DHL 123"})).await;
    assert_eq!(shipped.status(), 200);
    let message = smtp.wait_for(&format!("تم شحن طلبك {short}")).await;
    assert!(message["text"].as_str().unwrap().contains("DHL 123"));

    // Bought in English: English, left to right. A retried checkout sends nothing new.
    let english = checkout(&app, &layla, Some("k1"), &buy("en")).await;
    let english: Value = english.json().await.unwrap();
    let short = &english["id"].as_str().unwrap()[..8];
    let message = smtp.wait_for(&format!("Your order {short} is confirmed")).await;
    assert!(message["html"].as_str().unwrap().contains("<html lang=\"en\" dir=\"ltr\">"));
    assert_eq!(checkout(&app, &layla, Some("k1"), &buy("en")).await.status(), 201);
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(smtp.received().len(), 3, "one message per event: {:?}", smtp.received());
    assert_eq!(metric(&app, "shop_mail_deliveries_total{outcome=\"sent\"}").await, 3.0);
    app.stop().await;
}

#[tokio::test]
async fn a_mail_server_that_is_down_neither_fails_the_checkout_nor_loses_the_message() {
    let port = free_port();
    let app = spawn_app_with(Options {
        env: vec![("SMTP_URL", format!("smtp://127.0.0.1:{port}")), ("SHOP_MAIL_POLL_MS", "100".into())],
        ..Default::default()
    })
    .await;
    product(&app, "lamp", 4200, "SAR", 10).await;
    let layla = shopper(&app, "layla@example.com").await;
    let started = Instant::now();
    let placed = checkout(&app, &layla, None, &buy("en")).await;
    assert_eq!(placed.status(), 201, "the checkout does not wait for mail");
    assert!(started.elapsed() < Duration::from_secs(2));
    let placed: Value = placed.json().await.unwrap();
    // The first attempt fails (nothing listens); the message waits for its retry.
    let deadline = Instant::now() + Duration::from_secs(10);
    while metric(&app, "shop_mail_deliveries_total{outcome=\"retry\"}").await < 1.0 {
        assert!(Instant::now() < deadline, "no failed attempt was counted");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The server comes up; the retry (10 s after the failure) delivers it.
    let smtp = SmtpServer::start_on(port);
    let short = &placed["id"].as_str().unwrap()[..8];
    smtp.wait_for(&format!("Your order {short} is confirmed")).await;
    let mine: Value = request(&app, &layla, Method::GET, "/api/orders").send().await.unwrap().json().await.unwrap();
    assert_eq!(mine["total"], 1);
    app.stop().await;
}

#[tokio::test]
async fn without_smtp_messages_go_to_the_file_outbox() {
    let app = spawn_app_with(Options { env: vec![("SHOP_MAIL_POLL_MS", "100".into())], ..Default::default() }).await;
    product(&app, "lamp", 4200, "SAR", 10).await;
    let layla = shopper(&app, "layla@example.com").await;
    let placed: Value = checkout(&app, &layla, None, &buy("ar")).await.json().await.unwrap();
    let file = app.uploads_dir.parent().unwrap().join("outbox").join(format!("{}-confirmation.eml", placed["id"].as_str().unwrap()));
    let deadline = Instant::now() + Duration::from_secs(10);
    while !file.exists() {
        assert!(Instant::now() < deadline, "{} was not written", file.display());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let eml = std::fs::read_to_string(&file).unwrap();
    assert!(
        eml.contains("To: layla@example.com") && eml.contains("Content-Language: ar") && eml.contains("multipart/alternative"),
        "{eml}"
    );
    app.stop().await;
}

#[tokio::test]
async fn sent_messages_are_deleted_after_their_keeping_time_so_the_outbox_stays_bounded() {
    use shop_host::capabilities::documents::{Collection, FieldPath};
    let app = spawn_app_with(Options {
        env: vec![("SHOP_MAIL_POLL_MS", "100".into()), ("SHOP_MAIL_KEEP_SECS", "1".into()), ("SHOP_STORE_SHARED", "true".into())],
        ..Default::default()
    })
    .await;
    product(&app, "lamp", 4200, "SAR", 10).await;
    let layla = shopper(&app, "layla@example.com").await;
    let mut files = Vec::new();
    for _ in 0..3 {
        let placed: Value = checkout(&app, &layla, None, &buy("en")).await.json().await.unwrap();
        files.push(app.uploads_dir.parent().unwrap().join("outbox").join(format!("{}-confirmation.eml", placed["id"].as_str().unwrap())));
    }
    let store = crate::helpers::open_store_beside(&app).await;
    let (outbox, state) = (Collection::parse("mail_outbox").unwrap(), FieldPath::parse("state").unwrap());
    // Sent (each file written), then, a second later, gone from the outbox.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let counts = store.count_by(&outbox, Vec::new(), &state).await.unwrap();
        if files.iter().all(|f| f.exists()) && counts.is_empty() {
            break;
        }
        assert!(Instant::now() < deadline, "the outbox still holds {counts:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    app.stop().await;
}
