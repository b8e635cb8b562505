//! Delivers the messages components queue in the `mail_outbox` collection
//! (`shop_domain::mail`): over SMTP when `SMTP_URL` is set, else into a file outbox
//! (`<data dir>/outbox/<id>.eml`, one RFC 5322 message per file).
//!
//! Delivery never blocks the request that queued a message: this task polls the outbox,
//! claims a due message with a versioned write (so hosts sharing a store do not both send
//! it), sends it, and records the outcome. A failure is retried with a growing delay; a
//! server's permanent refusal, or the eighth failure, marks the message failed. A host that
//! dies mid-send leaves the message claimed until its claim runs out, then it is sent again:
//! at least once, never lost. Sent messages are kept `SHOP_MAIL_KEEP_SECS` (30 days) for
//! reference, then deleted, so the outbox stays bounded; failed ones stay for an operator.

use crate::capabilities::documents::{Clause, Collection, DocumentStore, FieldPath, IndexKind, IndexSpec, Key, Op, Query, StoreError};
use crate::settings::Secret;
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde_json::{Map, Value, json};
use shop_domain::mail::{DeliveryState, OUTBOX, OutboxMessage};
use shop_domain::time;
use std::path::PathBuf;
use std::sync::{Arc, Weak};
use std::time::Duration;

/// Messages claimed per round.
const BATCH: u32 = 20;
/// How long a claim keeps other hosts off a message being sent.
const CLAIM: Duration = Duration::from_secs(120);
/// Failures after which a message is given up on.
const MAX_ATTEMPTS: u32 = 8;

/// Why the mailer could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum MailerError {
    /// `SMTP_URL` is not a usable SMTP URL.
    #[error("SMTP_URL is not a usable SMTP URL (smtp://host:port, smtps://user:password@host:465, …): {0}")]
    SmtpUrl(String),
    /// `SHOP_MAIL_FROM` is not an address.
    #[error("SHOP_MAIL_FROM is not an e-mail address (\"Shop <orders@shop.example>\"): {0}")]
    From(String),
}

/// Where messages go.
enum Transport {
    /// A mail server.
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// Files in a directory.
    Files(PathBuf),
}

/// Why one delivery failed.
#[derive(Debug, thiserror::Error)]
enum SendError {
    /// Worth trying again later.
    #[error("{0}")]
    Transient(String),
    /// Trying again will not help (a bad address, a server's 5xx).
    #[error("{0}")]
    Permanent(String),
}

/// The outbox's deliverer.
pub struct Mailer {
    transport: Transport,
    from: Mailbox,
    collection: Collection,
    keep: Duration,
}

impl Mailer {
    /// A mailer over SMTP (`smtp_url`) or, without one, into `outbox_dir`, that deletes sent
    /// messages `keep` after they were sent.
    pub fn new(smtp_url: Option<&Secret>, from: &str, outbox_dir: PathBuf, keep: Duration) -> Result<Self, MailerError> {
        let transport = match smtp_url {
            Some(url) => Transport::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose())
                    .map_err(|e| MailerError::SmtpUrl(e.to_string()))?
                    .timeout(Some(Duration::from_secs(30)))
                    .build(),
            ),
            None => Transport::Files(outbox_dir),
        };
        let from = from.parse::<Mailbox>().map_err(|e| MailerError::From(e.to_string()))?;
        let collection = Collection::parse(OUTBOX).map_err(|e| MailerError::From(e.to_string()))?;
        Ok(Self { transport, from, collection, keep })
    }

    /// What the host's log says of where messages go.
    pub fn describe(&self) -> String {
        match &self.transport {
            Transport::Smtp(_) => "smtp".to_owned(),
            Transport::Files(dir) => format!("files in {}", dir.display()),
        }
    }

    /// Delivers what is due every `interval`, for as long as the runtime lives (held weakly,
    /// so a stopped host's store is released).
    pub async fn run(self, runtime: Weak<crate::runtime::Runtime>, interval: Duration) {
        let mut indexed = false;
        let mut ticks = tokio::time::interval(interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            let Some(runtime) = runtime.upgrade() else { return };
            if !indexed {
                indexed = self.ensure_index(&runtime.documents).await.is_ok();
            }
            match self.deliver_due(&runtime.documents, &runtime.metrics).await {
                Ok(0) => {}
                Ok(sent) => tracing::debug!(sent, "mail delivered"),
                Err(error) => tracing::warn!(%error, "the mail outbox could not be read"),
            }
            match self.forget_sent(&runtime.documents).await {
                Ok(0) => {}
                Ok(deleted) => tracing::debug!(deleted, "sent mail past its keeping time deleted"),
                Err(error) => tracing::warn!(%error, "sent mail could not be pruned"),
            }
        }
    }

    async fn ensure_index(&self, store: &DocumentStore) -> Result<(), StoreError> {
        let key = |field: &str| Key { field: FieldPath::parse(field).expect("a valid path"), descending: false };
        let due = IndexSpec::parse("due", vec![key("state"), key("next_attempt_at")], IndexKind::Regular)?;
        store.ensure_index(&self.collection, due).await?;
        let sent = IndexSpec::parse("sent", vec![key("state"), key("sent_at")], IndexKind::Regular)?;
        store.ensure_index(&self.collection, sent).await
    }

    /// Deletes (a batch of) the messages sent longer ago than the keeping time. Returns how many.
    pub async fn forget_sent(&self, store: &DocumentStore) -> Result<u32, StoreError> {
        let before = time::rfc3339_before_now(self.keep);
        let query = Query {
            filter: vec![
                Clause { field: FieldPath::parse("state")?, op: Op::Eq, value: json!("sent") },
                Clause { field: FieldPath::parse("sent_at")?, op: Op::Lt, value: json!(before) },
            ],
            text: None,
            sort: vec![Key { field: FieldPath::parse("sent_at")?, descending: false }],
            skip: 0,
            limit: BATCH * 5,
        };
        let (old, _) = store.find(&self.collection, query).await?;
        let mut deleted = 0;
        for text in old {
            let Ok(doc) = serde_json::from_str::<Map<String, Value>>(&text) else { continue };
            let (Some(Value::String(id)), Some(version)) = (doc.get("_id"), doc.get("_version").and_then(Value::as_u64)) else { continue };
            // At its version: a message changed meanwhile (by an operator, say) is left.
            if store.delete(&self.collection, id, Some(version)).await.unwrap_or(false) {
                deleted += 1;
            }
        }
        Ok(deleted)
    }

    /// One round: every due message (up to a batch) claimed, sent and recorded. Returns how many were sent.
    pub async fn deliver_due(&self, store: &DocumentStore, metrics: &Arc<crate::metrics::HostMetrics>) -> Result<u32, StoreError> {
        let now = time::now_rfc3339();
        let query = Query {
            filter: vec![
                Clause { field: FieldPath::parse("state")?, op: Op::In, value: json!(["pending", "sending"]) },
                Clause { field: FieldPath::parse("next_attempt_at")?, op: Op::Lte, value: json!(now) },
            ],
            text: None,
            sort: vec![Key { field: FieldPath::parse("next_attempt_at")?, descending: false }],
            skip: 0,
            limit: BATCH,
        };
        let (due, _) = store.find(&self.collection, query).await?;
        let mut sent = 0;
        for text in due {
            let Ok(mut doc) = serde_json::from_str::<Map<String, Value>>(&text) else { continue };
            let (Some(Value::String(id)), Some(version)) = (doc.remove("_id"), doc.remove("_version").and_then(|v| v.as_u64())) else {
                continue;
            };
            let Ok(mut message) = serde_json::from_value::<OutboxMessage>(Value::Object(doc)) else {
                tracing::warn!(%id, "a queued message is malformed; left as it is");
                continue;
            };
            // Claimed at its version: another host that claimed it first wins.
            message.state = DeliveryState::Sending;
            message.attempts += 1;
            message.next_attempt_at = time::rfc3339_after_now(CLAIM);
            let Some(version) = self.write(store, &id, version, &message).await? else { continue };
            let outcome = self.send(&id, &message).await;
            match &outcome {
                Ok(via) => {
                    message.state = DeliveryState::Sent;
                    message.sent_at = Some(time::now_rfc3339());
                    message.delivered_via = Some((*via).to_owned());
                    message.last_error = None;
                    sent += 1;
                    metrics.mail("sent");
                    tracing::info!(%id, to = %message.to, via, "mail sent");
                }
                Err(error) => {
                    let permanent = matches!(error, SendError::Permanent(_)) || message.attempts >= MAX_ATTEMPTS;
                    message.state = if permanent { DeliveryState::Failed } else { DeliveryState::Pending };
                    message.next_attempt_at = time::rfc3339_after_now(backoff(message.attempts));
                    message.last_error = Some(error.to_string());
                    metrics.mail(if permanent { "failed" } else { "retry" });
                    tracing::warn!(%id, attempts = message.attempts, permanent, %error, "mail not sent");
                }
            }
            self.write(store, &id, version, &message).await?;
        }
        Ok(sent)
    }

    /// Replaces the message at `version`; the new version, or `None` when another host changed it first.
    async fn write(&self, store: &DocumentStore, id: &str, version: u64, message: &OutboxMessage) -> Result<Option<u64>, StoreError> {
        let Ok(Value::Object(doc)) = serde_json::to_value(message) else { return Err(StoreError::Internal("unserialisable".into())) };
        match store.replace(&self.collection, id, version, doc).await {
            Ok(Some(_)) => Ok(Some(version + 1)),
            Ok(None) | Err(StoreError::Conflict(_)) => Ok(None),
            Err(error) => Err(error),
        }
    }

    async fn send(&self, id: &str, message: &OutboxMessage) -> Result<&'static str, SendError> {
        let email = build(&self.from, message).map_err(SendError::Permanent)?;
        match &self.transport {
            Transport::Smtp(smtp) => match smtp.send(email).await {
                Ok(_) => Ok("smtp"),
                Err(error) if error.is_permanent() => Err(SendError::Permanent(error.to_string())),
                Err(error) => Err(SendError::Transient(error.to_string())),
            },
            Transport::Files(dir) => {
                let bytes = email.formatted();
                let dir = dir.clone();
                let name = format!("{}.eml", id.replace(['/', '\\'], "_"));
                tokio::task::spawn_blocking(move || write_file(&dir, &name, &bytes))
                    .await
                    .map_err(|e| SendError::Transient(e.to_string()))?
                    .map_err(|e| SendError::Transient(format!("writing the file outbox: {e}")))?;
                Ok("file")
            }
        }
    }
}

/// The message as e-mail: a text part and an HTML part.
fn build(from: &Mailbox, message: &OutboxMessage) -> Result<Message, String> {
    let to = message.to.parse::<Mailbox>().map_err(|e| format!("the recipient {:?} is not an address: {e}", message.to))?;
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(&message.subject)
        .header(ContentLanguage(message.language.clone()))
        .multipart(MultiPart::alternative_plain_html(message.text.clone(), message.html.clone()))
        .map_err(|e| e.to_string())
}

/// The `Content-Language` header (RFC 3282): mail clients pick fonts and direction by it.
#[derive(Clone)]
struct ContentLanguage(String);

impl lettre::message::header::Header for ContentLanguage {
    fn name() -> lettre::message::header::HeaderName {
        lettre::message::header::HeaderName::new_from_ascii_str("Content-Language")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self(s.to_owned()))
    }

    fn display(&self) -> lettre::message::header::HeaderValue {
        lettre::message::header::HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// Written whole or not at all: a temporary file, synced, then renamed.
fn write_file(dir: &std::path::Path, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(".{name}.tmp"));
    let mut file = std::fs::File::create(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&tmp, dir.join(name))
}

/// The wait before attempt `attempts + 1`: 10 s, 20 s, 40 s, … up to an hour.
fn backoff(attempts: u32) -> Duration {
    Duration::from_secs(10u64.saturating_mul(1 << attempts.saturating_sub(1).min(12)).min(3600))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_wait_longer_each_time_up_to_an_hour() {
        assert_eq!(backoff(1), Duration::from_secs(10));
        assert_eq!(backoff(2), Duration::from_secs(20));
        assert_eq!(backoff(4), Duration::from_secs(80));
        assert_eq!(backoff(30), Duration::from_secs(3600));
    }

    #[test]
    fn a_message_has_both_parts_and_its_language() {
        let message = OutboxMessage::queued(
            "ليلى <layla@example.com>".into(),
            "تم تأكيد طلبك".into(),
            "شكرًا".into(),
            "<html lang=\"ar\" dir=\"rtl\"><body>شكرًا</body></html>".into(),
            "ar",
            "order:1:confirmation".into(),
        );
        let email = build(&"Shop <orders@shop.example>".parse().unwrap(), &message).unwrap();
        let text = String::from_utf8(email.formatted()).unwrap();
        assert!(text.contains("Content-Language: ar"), "{text}");
        assert!(text.contains("multipart/alternative") && text.contains("text/html"), "{text}");
        assert!(build(&"a@b.c".parse().unwrap(), &OutboxMessage { to: "not an address".into(), ..message }).is_err());
    }
}
