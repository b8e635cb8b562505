//! Messages to shoppers. The component that decides a message is due renders it and queues
//! it in the `mail_outbox` collection (one document per message, under an id that names what
//! it is about, so queuing twice keeps one); the host delivers what is queued, over SMTP or
//! into a file outbox, with retries. Under Spin nothing delivers: the messages stay queued.

use serde::{Deserialize, Serialize};

/// The collection of queued messages.
pub const OUTBOX: &str = "mail_outbox";

/// Where a queued message stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// Waiting for its (next) attempt at `next_attempt_at`.
    Pending,
    /// Claimed by a host until `next_attempt_at`; a host that crashed leaves it to be tried again.
    Sending,
    /// Handed to the mail server (or written to the file outbox).
    Sent,
    /// Given up on after repeated failures, or refused for good by the server (`last_error`).
    Failed,
}

/// One message in the outbox (the `mail_outbox` collection).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxMessage {
    /// The recipient's address.
    pub to: String,
    /// The subject line.
    pub subject: String,
    /// The plain-text part.
    pub text: String,
    /// The HTML part (a whole document; `dir="rtl"` for Arabic).
    pub html: String,
    /// The message's language, `en` or `ar`.
    pub language: String,
    /// What it is about, e.g. `order:<id>:confirmation`.
    pub about: String,
    /// Where it stands.
    pub state: DeliveryState,
    /// Attempts made so far.
    pub attempts: u32,
    /// When it is next due (RFC 3339, as [`crate::time::now_rfc3339`] writes).
    pub next_attempt_at: String,
    /// Why the last attempt failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// When it was queued.
    pub created_at: String,
    /// When it was sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_at: Option<String>,
    /// How it left: `smtp` or `file`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivered_via: Option<String>,
}

impl OutboxMessage {
    /// A message due now.
    pub fn queued(to: String, subject: String, text: String, html: String, language: &str, about: String) -> Self {
        let now = crate::time::now_rfc3339();
        Self {
            to,
            subject,
            text,
            html,
            language: language.to_owned(),
            about,
            state: DeliveryState::Pending,
            attempts: 0,
            next_attempt_at: now.clone(),
            last_error: None,
            created_at: now,
            sent_at: None,
            delivered_via: None,
        }
    }
}

/// `text` with HTML's special characters escaped, for a text node or an attribute value.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_escaped() {
        assert_eq!(escape_html(r#"<b>"Tom" & 'Jerry'</b>"#), "&lt;b&gt;&quot;Tom&quot; &amp; &#39;Jerry&#39;&lt;/b&gt;");
        assert_eq!(escape_html("ليلى"), "ليلى");
    }
}
