//! Login throttling: at most 5 failed sign-ins per account and 20 per client address in a
//! sliding 15-minute window.
//!
//! An account's attempt is recorded *before* its password is checked (an optimistic write),
//! so parallel guesses at one account cannot slip past its limit; a successful sign-in clears
//! the account's record. An address is checked before and charged only after a failure, so
//! many people behind one address signing in at once are not refused for being in flight
//! together (parallel guesses from one address can overshoot its limit by their number, at
//! most once). Keys are hashed: the store never holds an email or an address in clear here,
//! and an unknown email is throttled exactly like a known one.
//!
//! Each record says when it stops mattering (`expires_ms`: its newest stamp leaves the
//! window); housekeeping deletes the records past it ([`sweep`]), so the collection holds
//! only the last window's keys however many emails and addresses are tried.

use api_kit::documents::{IndexKind, Op};
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
/// A record's field: when its newest stamp leaves the window, in ms since the epoch.
const EXPIRES: &str = "expires_ms";
/// Records one housekeeping round deletes at most (the rest wait for the next round).
const SWEEP_AT_MOST: u64 = 10_000;
/// Optimistic writes retried this often before giving up with 503.
const RETRIES: usize = 16;

/// An attempt under way: the keys it counts against and its timestamp.
pub struct Attempt {
    account: String,
    address: Option<String>,
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
    body.get("stamps")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_u64).filter(|s| *s > since_ms).collect())
        .unwrap_or_default()
}

/// When `key` may be tried again, in seconds, if `limit` stamps are in the window.
fn wait_for(body: Option<&Map<String, Value>>, limit: usize, now_ms: u64) -> Option<u64> {
    let mut recent = body.map(|b| stamps(b, now_ms.saturating_sub(WINDOW_SECONDS * 1000))).unwrap_or_default();
    if recent.len() < limit {
        return None;
    }
    recent.sort_unstable();
    let frees_at = recent[recent.len() - limit] + WINDOW_SECONDS * 1000;
    Some(frees_at.saturating_sub(now_ms).div_ceil(1000).max(1))
}

/// Records a stamp under `key`; with a `limit`, only when fewer than `limit` stamps are in
/// the window (else `Err(seconds)` says when the oldest leaves it).
fn record(key: &str, limit: Option<usize>, stamp_ms: u64) -> Result<Result<(), u64>, Problem> {
    let since = stamp_ms.saturating_sub(WINDOW_SECONDS * 1000);
    for _ in 0..RETRIES {
        let current = store::get(ATTEMPTS, key)?;
        if let Some(wait) = limit.and_then(|limit| wait_for(current.as_ref().map(|c| &c.body), limit, stamp_ms)) {
            return Ok(Err(wait));
        }
        let mut recent = current.as_ref().map(|c| stamps(&c.body, since)).unwrap_or_default();
        recent.push(stamp_ms);
        let newest = recent.iter().copied().max().unwrap_or(stamp_ms);
        let mut body = Map::new();
        body.insert("stamps".into(), json!(recent));
        body.insert(EXPIRES.into(), json!(newest + WINDOW_SECONDS * 1000));
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

/// Forgets every stamp under `key`.
fn clear(key: &str) -> Result<(), Problem> {
    for _ in 0..RETRIES {
        let Some(current) = store::get(ATTEMPTS, key)? else { return Ok(()) };
        if stamps(&current.body, 0).is_empty() {
            return Ok(());
        }
        let mut body = Map::new();
        body.insert("stamps".into(), json!([]));
        body.insert(EXPIRES.into(), json!(now_ms()));
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

/// Starts an attempt for an account (normalised email) from a client address (when known).
/// `Ok(Err(seconds))` when either has used up its failures: refuse with 429.
pub fn begin(email: &str, client: Option<&str>) -> Result<Result<Attempt, u64>, Problem> {
    let stamp_ms = now_ms();
    let address = client.map(client_ip).filter(|ip| !ip.is_empty()).map(|ip| key("addr", ip));
    if let Some(address) = &address {
        let current = store::get(ATTEMPTS, address)?;
        if let Some(wait) = wait_for(current.as_ref().map(|c| &c.body), ADDRESS_LIMIT, stamp_ms) {
            return Ok(Err(wait));
        }
    }
    let account = key("acct", email);
    if let Err(wait) = record(&account, Some(ACCOUNT_LIMIT), stamp_ms)? {
        return Ok(Err(wait));
    }
    Ok(Ok(Attempt { account, address, stamp_ms }))
}

/// A failed sign-in: it now counts against the address too (the account counted it already).
pub fn failed(attempt: Attempt) -> Result<(), Problem> {
    match &attempt.address {
        Some(address) => record(address, None, attempt.stamp_ms).map(|_| ()),
        None => Ok(()),
    }
}

/// A successful sign-in: the account's failures are forgiven.
pub fn succeeded(attempt: Attempt) -> Result<(), Problem> {
    clear(&attempt.account)
}

/// Deletes the records with no stamp left in the window: those past their `expires_ms`, and
/// those written before records had one. Returns how many were deleted.
pub fn sweep() -> Result<u64, Problem> {
    store::ensure_indexes(ATTEMPTS, &[store::index("expiry", vec![store::key(EXPIRES, false)], IndexKind::Regular)])?;
    let now = now_ms();
    let since = now.saturating_sub(WINDOW_SECONDS * 1000);
    // Each record's own stamps decide (a record written meanwhile has a fresh one).
    let idle = |record: &store::Stored| stamps(&record.body, since).is_empty();
    let expired = store::sweep(ATTEMPTS, vec![store::clause(EXPIRES, Op::Lt, json!(now))], SWEEP_AT_MOST, idle)?;
    let unmarked = store::sweep(ATTEMPTS, vec![store::clause(EXPIRES, Op::Exists, json!(false))], SWEEP_AT_MOST - expired, idle)?;
    Ok(expired + unmarked)
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
    fn the_wait_is_until_enough_stamps_leave_the_window() {
        let window = WINDOW_SECONDS * 1000;
        let body = json!({"stamps": [1_000, 2_000, 3_000]}).as_object().unwrap().clone();
        assert_eq!(wait_for(Some(&body), 4, 5_000), None);
        // Two allowed: the second-newest (2 000) must leave, at 2 000 + window.
        assert_eq!(wait_for(Some(&body), 2, 5_000), Some((2_000 + window - 5_000) / 1000));
        assert_eq!(wait_for(Some(&body), 2, window + 2_500), None, "two stamps have left");
        assert_eq!(wait_for(None, 1, 5_000), None);
    }

    #[test]
    fn stamps_outside_the_window_do_not_count() {
        let body = json!({"stamps": [100, 2_000, 3_000]}).as_object().unwrap().clone();
        assert_eq!(stamps(&body, 1_000), vec![2_000, 3_000]);
    }
}
