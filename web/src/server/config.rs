//! The storefront's settings, from the environment (documented in `.env.example`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::OnceLock;

/// The storefront's settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where the storefront listens (`WEB_ADDR`, default `127.0.0.1:4000`).
    pub addr: SocketAddr,
    /// The host's API (`API_URL`, default `http://127.0.0.1:5000`).
    pub api_url: String,
    /// The address shoppers use, for canonical links and the sitemap (`WEB_PUBLIC_URL`,
    /// default `http://<WEB_ADDR>`).
    pub public_url: String,
    /// The built client: `pkg/` and `assets.json` (`WEB_SITE_DIR`, default `dist/web`).
    pub site_dir: PathBuf,
    /// Whether cookies carry `Secure` (`WEB_COOKIE_SECURE`, default `true`; browsers accept
    /// secure cookies from `http://localhost` and `127.0.0.1`).
    pub cookie_secure: bool,
    /// The currency of the price filters (`WEB_CURRENCY`, default `SAR`).
    pub currency: String,
    /// The largest request body, an image upload's files together (`WEB_MAX_BODY_BYTES`,
    /// default 16 MiB, as the host's `SHOP_MAX_BODY_BYTES`).
    pub max_body_bytes: usize,
    /// How long a stopping storefront (SIGTERM) lets requests in flight finish
    /// (`WEB_SHUTDOWN_GRACE_SECS`, default 20).
    pub shutdown_grace: std::time::Duration,
    /// Time a client has to send a request's head, on a new connection or an idle kept-alive
    /// one, before the connection is closed (`WEB_HEAD_TIMEOUT_MS`, default 30000).
    pub head_timeout: std::time::Duration,
    /// Time a client has to send a request's whole body once its head arrived, before it is
    /// answered 408 and the connection closed (`WEB_BODY_TIMEOUT_MS`, default 60000: 16 MiB
    /// at about 2 Mbit/s, as the host's `SHOP_BODY_TIMEOUT_MS`).
    pub body_timeout: std::time::Duration,
    /// The memory for rendered pages kept until the catalogue changes (`WEB_PAGE_CACHE`,
    /// `on` or `off`, default `on`; `WEB_PAGE_CACHE_MB`, default 32). None when off.
    pub page_cache_bytes: Option<usize>,
}

/// Why the settings are unusable.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A variable holds something that does not parse.
    #[error("{name}={value:?} is not valid: {why}")]
    Invalid {
        /// The variable.
        name: &'static str,
        /// Its value.
        value: String,
        /// What was expected.
        why: &'static str,
    },
}

impl Config {
    /// Reads the settings from the environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let addr_text = var("WEB_ADDR").unwrap_or_else(|| "127.0.0.1:4000".into());
        let addr: SocketAddr = addr_text.parse().map_err(|_| ConfigError::Invalid {
            name: "WEB_ADDR",
            value: addr_text.clone(),
            why: "an address like 127.0.0.1:4000",
        })?;
        let api_url = var("API_URL").unwrap_or_else(|| "http://127.0.0.1:5000".into()).trim_end_matches('/').to_owned();
        if !api_url.starts_with("http://") && !api_url.starts_with("https://") {
            return Err(ConfigError::Invalid { name: "API_URL", value: api_url, why: "an http:// or https:// URL" });
        }
        let public_url = var("WEB_PUBLIC_URL").unwrap_or_else(|| format!("http://{addr}")).trim_end_matches('/').to_owned();
        if !public_url.starts_with("http://") && !public_url.starts_with("https://") {
            return Err(ConfigError::Invalid { name: "WEB_PUBLIC_URL", value: public_url, why: "an http:// or https:// URL" });
        }
        let cookie_secure = match var("WEB_COOKIE_SECURE").as_deref() {
            None | Some("true" | "1") => true,
            Some("false" | "0") => false,
            Some(other) => return Err(ConfigError::Invalid { name: "WEB_COOKIE_SECURE", value: other.into(), why: "true or false" }),
        };
        let currency = var("WEB_CURRENCY").unwrap_or_else(|| "SAR".into());
        if shop_domain::money::exponent(&currency).is_none() {
            return Err(ConfigError::Invalid { name: "WEB_CURRENCY", value: currency, why: "a currency the shop accepts (ISO 4217)" });
        }
        let max_body_text = var("WEB_MAX_BODY_BYTES").unwrap_or_else(|| (16 * 1024 * 1024).to_string());
        let max_body_bytes = max_body_text.parse().ok().filter(|n| *n >= 1024).ok_or(ConfigError::Invalid {
            name: "WEB_MAX_BODY_BYTES",
            value: max_body_text.clone(),
            why: "a number of bytes, at least 1024",
        })?;
        let grace_text = var("WEB_SHUTDOWN_GRACE_SECS").unwrap_or_else(|| "20".into());
        let grace_secs: u64 = grace_text.parse().map_err(|_| ConfigError::Invalid {
            name: "WEB_SHUTDOWN_GRACE_SECS",
            value: grace_text.clone(),
            why: "a whole number of seconds",
        })?;
        // A timeout in milliseconds, at least 1.
        let millis = |name: &'static str, default: &str| {
            let text = var(name).unwrap_or_else(|| default.into());
            match text.parse::<u64>() {
                Ok(ms) if ms >= 1 => Ok(std::time::Duration::from_millis(ms)),
                _ => Err(ConfigError::Invalid { name, value: text, why: "a number of milliseconds, at least 1" }),
            }
        };
        let head_timeout = millis("WEB_HEAD_TIMEOUT_MS", "30000")?;
        let body_timeout = millis("WEB_BODY_TIMEOUT_MS", "60000")?;
        let page_cache_bytes = match var("WEB_PAGE_CACHE").as_deref() {
            None | Some("on" | "true" | "1") => {
                let text = var("WEB_PAGE_CACHE_MB").unwrap_or_else(|| "32".into());
                let megabytes: usize = text.parse().ok().filter(|n| *n >= 1).ok_or(ConfigError::Invalid {
                    name: "WEB_PAGE_CACHE_MB",
                    value: text.clone(),
                    why: "a number of MiB, at least 1",
                })?;
                Some(megabytes << 20)
            }
            Some("off" | "false" | "0") => None,
            Some(other) => return Err(ConfigError::Invalid { name: "WEB_PAGE_CACHE", value: other.into(), why: "on or off" }),
        };
        Ok(Self {
            addr,
            api_url,
            public_url,
            site_dir: var("WEB_SITE_DIR").unwrap_or_else(|| "dist/web".into()).into(),
            cookie_secure,
            currency,
            max_body_bytes,
            shutdown_grace: std::time::Duration::from_secs(grace_secs),
            head_timeout,
            body_timeout,
            page_cache_bytes,
        })
    }
}

static CONFIG: OnceLock<Config> = OnceLock::new();

/// Sets the settings once, at start.
pub fn init(config: Config) {
    let _ = CONFIG.set(config);
}

/// The settings (`init` must have run).
pub fn config() -> &'static Config {
    CONFIG.get().expect("server::config::init runs at start")
}
