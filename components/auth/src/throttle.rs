//! Login throttling: at most 5 failed sign-ins per account and 20 per client address in a
//! sliding 15-minute window.
//!
//! Each attempt is recorded *before* the password is checked (with an optimistic write), so
//! parallel guesses cannot slip past the limit; a successful sign-in takes its record back and
//! clears the account's failures. Keys are hashed: the store never holds an email or an
//! address in clear here, and an unknown email is throttled exactly like a known one.

use api_kit::store;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use shop_domain::Problem;

/// The sliding window, in seconds.
pub const WINDOW_SECONDS: u64 = 15 * 60;
/// Failed attempts allowed per account in the window.
pub const ACCOUNT_LIMIT: usize = 5;
/// Failed attempts allowed per client address in the window.
pub const ADDRESS_LIMIT: usize = 20;
const ATTEMPTS: &str = "login_attempts";
/// Optimistic writes retried this often before giving up with 503.
const RETRIES: usize = 16;

/// A recorded attempt: the throttle keys it counts against and its timestamp.
pub struct Attempt {
    keys: Vec<String>,
    stamp_ms: u64,
}

fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

fn key(kind: &str, value: &str) -> String {
    let digest = Sha256::digest(value.as_bytes());
    let hex: String = digest.iter().take(20).map(|b| format!("{b:02x}")).collect();
    format!("{kind}_{hex}")
}

/// The client address without its port (`spin-client-addr` is `ip:port`).
pub fn client_ip(header: &str) -> &str {
    let header = header.trim();
    if let Some(rest) = header.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match header.rsplit_once(':') {
        // One colon: IPv4 with a port. More: a bare IPv6 address.
        Some((ip, port)) if !ip.contains(':') && port.bytes().all(|b| b.is_ascii_digit()) => ip,
        _ => header,
    }
}

fn stamps(body: &Map<String, Value>, since_ms: u64) -> Vec<u64> {
    body.get("stamps").and_then(Value::as_array).map(|a| a.iter().filter_map(Value::as_u64).filter(|s| *s > since_ms).collect()).unwrap_or_default()
}

/// Records a stamp under `key` unless `limit` stamps are already in the window; then
/// `Err(seconds)` says when the oldest leaves it.
fn reserve(key: &str, limit: usize, stamp_ms: u64) -> Result<Result<(), u64>, Problem> {
    let since = stamp_ms.saturating_sub(WINDOW_SECONDS * 1000);
    for _ in 0..RETRIES {
        let current = store::get(ATTEMPTS, key)?;
        let mut recent = current.as_ref().map(|c| stamps(&c.body, since)).unwrap_or_default();
        if recent.len() >= limit {
            recent.sort_unstable();
            let frees_at = recent[recent.len() - limit] + WINDOW_SECONDS * 1000;
            return Ok(Err(frees_at.saturating_sub(stamp_ms).div_ceil(1000).max(1)));
        }
        recent.push(stamp_ms);
        let mut body = Map::new();
        body.insert("stamps".into(), json!(recent));
        let written = match current {
            Some(current) => matches!(store::replace(ATTEMPTS, key, current.version, &body)?, Ok(Some(_))),
            None => {
                body.insert("_id".into(), json!(key));
                store::insert(ATTEMPTS, &body)?.is_ok()
            }
        };
        if written {
            return Ok(Ok(()));
        }
    }
    Err(Problem::unavailable("Too many sign-ins at once. Try again shortly."))
}

/// Removes stamps under `key`: the one given, or all of them.
fn release(key: &str, stamp_ms: Option<u64>) -> Result<(), Problem> {
    for _ in 0..RETRIES {
        let Some(current) = store::get(ATTEMPTS, key)? else { return Ok(()) };
        let mut recent = stamps(&current.body, 0);
        match stamp_ms {
            Some(stamp) => match recent.iter().position(|s| *s == stamp) {
                Some(at) => {
                    recent.remove(at);
                }
                None => return Ok(()),
            },
            None => recent.clear(),
        }
        let mut body = Map::new();
        body.insert("stamps".into(), json!(recent));
        if matches!(store::replace(ATTEMPTS, key, current.version, &body)?, Ok(Some(_))) {
            return Ok(());
        }
    }
    Err(Problem::unavailable("Too many sign-ins at once. Try again shortly."))
}

/// The answer to a throttled attempt: the same whether or not the account exists.
pub fn throttled(retry_after: u64) -> Problem {
    Problem::too_many_requests(format!("Too many failed sign-ins. Try again in {} minutes.", retry_after.div_ceil(60)))
}

/// Records an attempt for an account (normalised email) and, when known, a client address.
/// `Ok(Err(seconds))` when either has used up its failures: refuse with 429.
pub fn begin(email: &str, client: Option<&str>) -> Result<Result<Attempt, u64>, Problem> {
    let stamp_ms = now_ms();
    let account = key("acct", email);
    if let Err(wait) = reserve(&account, ACCOUNT_LIMIT, stamp_ms)? {
        return Ok(Err(wait));
    }
    let mut keys = vec![account];
    if let Some(ip) = client.map(client_ip).filter(|ip| !ip.is_empty()) {
        let address = key("addr", ip);
        if let Err(wait) = reserve(&address, ADDRESS_LIMIT, stamp_ms)? {
            release(&keys[0], Some(stamp_ms))?;
            return Ok(Err(wait));
        }
        keys.push(address);
    }
    Ok(Ok(Attempt { keys, stamp_ms }))
}

/// A successful sign-in: the account's failures are forgiven, and this attempt no longer
/// counts against the address.
pub fn succeeded(attempt: Attempt) -> Result<(), Problem> {
    let mut keys = attempt.keys.into_iter();
    if let Some(account) = keys.next() {
        release(&account, None)?;
    }
    for other in keys {
        release(&other, Some(attempt.stamp_ms))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_addresses_lose_their_port() {
        assert_eq!(client_ip("203.0.113.9:51234"), "203.0.113.9");
        assert_eq!(client_ip("[2001:db8::1]:443"), "2001:db8::1");
        assert_eq!(client_ip("2001:db8::1"), "2001:db8::1");
        assert_eq!(client_ip("203.0.113.9"), "203.0.113.9");
    }

    #[test]
    fn keys_hide_what_they_count() {
        let k = key("acct", "layla@example.com");
        assert!(k.starts_with("acct_") && !k.contains("layla"));
        assert_eq!(k.len(), 5 + 40);
        assert_ne!(k, key("acct", "layla@example.org"));
    }

    #[test]
    fn stamps_outside_the_window_do_not_count() {
        let body = json!({"stamps": [100, 2_000, 3_000]}).as_object().unwrap().clone();
        assert_eq!(stamps(&body, 1_000), vec![2_000, 3_000]);
    }
}
