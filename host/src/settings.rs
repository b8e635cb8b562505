//! Settings, read from the environment with documented defaults (see `.env.example`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Everything the host can be configured with.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where the public HTTP front listens (`SHOP_ADDR`, default `127.0.0.1:5000`).
    pub addr: SocketAddr,
    /// Where the operator endpoints listen (`SHOP_OPERATOR_ADDR`, formerly `SHOP_ADMIN_ADDR`,
    /// default `127.0.0.1:5001`; `off` disables them). Keep it on loopback: it is not
    /// authenticated.
    pub operator_addr: Option<SocketAddr>,
    /// The manifest giving routes and components (`SHOP_MANIFEST`, default `./spin.toml`).
    pub manifest: PathBuf,
    /// Where `<component-id>.wasm` files are loaded from and watched (`SHOP_COMPONENTS_DIR`,
    /// default `./dist/components`).
    pub components_dir: PathBuf,
    /// The embedded store's directory (`SHOP_DATA_DIR`, default `./data`).
    pub data_dir: PathBuf,
    /// Where blobs (uploads) are stored (`SHOP_UPLOADS_DIR`, default `<data dir>/uploads`).
    pub uploads_dir: PathBuf,
    /// Swagger UI's static files, served at `/api/docs` (`SHOP_API_DOCS_DIR`, default
    /// `./dist/api-docs`, where `cargo xtask build` installs them).
    pub api_docs_dir: PathBuf,
    /// Compiled components, so a restart does not recompile (`SHOP_CACHE_DIR`, default
    /// `<data dir>/compiled`).
    pub cache_dir: PathBuf,
    /// Linear memory one component instance may use (`SHOP_MEMORY_LIMIT_MB`, default 64).
    pub memory_limit_bytes: usize,
    /// Linear memory a `media` instance may use (`SHOP_MEDIA_MEMORY_LIMIT_MB`, default 256):
    /// decoding a 40-megapixel photo needs more than a request handler.
    pub media_memory_limit_bytes: usize,
    /// Time one request may run inside components, its own running time; three times it in
    /// all, waits included (`SHOP_CPU_DEADLINE_MS`, default 5000).
    pub cpu_deadline: Duration,
    /// Where order e-mails go (`SMTP_URL`, e.g. `smtp://mail.example:587`,
    /// `smtps://user:password@mail.example:465`); without it, into `<data dir>/outbox`.
    pub smtp_url: Option<Secret>,
    /// The sender of order e-mails (`SHOP_MAIL_FROM`, default `Shop <shop@localhost>`).
    pub mail_from: String,
    /// How long a sent message stays in the outbox before it is deleted (`SHOP_MAIL_KEEP_SECS`,
    /// default 2592000: 30 days).
    pub mail_keep: Duration,
    /// How often the outbox is checked for due messages (`SHOP_MAIL_POLL_MS`, default 1000; 0 sends nothing).
    pub mail_poll: Option<Duration>,
    /// The longest a payment provider may take to answer (`SHOP_PAYMENT_TIMEOUT_MS`, default
    /// 10000): a slower answer counts as the provider unavailable.
    pub payment_timeout: Duration,
    /// Component instances alive at once, across all requests (`SHOP_MAX_INSTANCES`, default 256).
    pub max_instances: u32,
    /// Written linear memory an instance slot keeps resident when its instance ends, reset in
    /// place for the next one instead of returned to the kernel (`SHOP_KEEP_RESIDENT_KB`,
    /// default 4096). Larger trades resident memory (up to this much per slot ever used) for
    /// fewer page faults per request; `0` returns it all every time.
    pub keep_resident_bytes: usize,
    /// Requests served by components at once (`SHOP_MAX_CONCURRENT_REQUESTS`, default 64);
    /// more wait in line for up to `queue_timeout`. Kept well under `max_instances`, since a
    /// request may hold more than one instance (catalog calls auth and media).
    pub max_concurrent_requests: u32,
    /// How long a request may wait in line for a turn before it is answered 503 with
    /// `Retry-After` (`SHOP_QUEUE_TIMEOUT_MS`, default 2000).
    pub queue_timeout: Duration,
    /// How often components' `housekeeping` exports run (`SHOP_HOUSEKEEPING_SECS`, default
    /// 300; `0` disables). The first round runs at start.
    pub housekeeping: Option<Duration>,
    /// The largest request body accepted (`SHOP_MAX_BODY_BYTES`, default 16 MiB).
    pub max_body_bytes: usize,
    /// Time a client has to send a request's head, on a new connection or an idle kept-alive
    /// one, before the connection is closed (`SHOP_HEAD_TIMEOUT_MS`, default 30000).
    pub head_timeout: Duration,
    /// The longest a `GET /api/changes` long poll waits before it answers with the mark
    /// unchanged (`SHOP_CHANGES_WAIT_SECS`, default 25; keep it under the proxy's read
    /// timeout, 60 s in nginx by default).
    pub changes_wait: Duration,
    /// Time a client has to send a request's whole body before it is answered 408
    /// (`SHOP_BODY_TIMEOUT_MS`, default 60000: 16 MiB at about 2 Mbit/s).
    pub body_timeout: Duration,
    /// How often the components directory is checked for new builds (`SHOP_SWAP_POLL_MS`,
    /// default 200; 0 disables the watcher).
    pub swap_poll: Option<Duration>,
    /// Whether other hosts on this machine may use the same embedded store at once
    /// (`SHOP_STORE_SHARED`, default `false`: a second host on the data directory is refused).
    pub store_shared: bool,
    /// How long a stopping host (SIGTERM) lets requests in flight finish before it exits
    /// anyway (`SHOP_SHUTDOWN_GRACE_SECS`, default 20: inside the 30 s an orchestrator such
    /// as docker compose waits before it kills).
    pub shutdown_grace: Duration,
    /// The cache of components' answers to anonymous reads (`SHOP_RESPONSE_CACHE`, `on` or
    /// `off`, default `on`): at most `SHOP_RESPONSE_CACHE_MB` (default 64) MiB in all, and
    /// answers up to `SHOP_RESPONSE_CACHE_MAX_ENTRY_KB` (default 1024) KiB each. None when off.
    pub response_cache: Option<ResponseCacheSettings>,
    /// Whether components that export `shop:platform/http-exchange` are called through it, in
    /// one call per request (`SHOP_HTTP_EXCHANGE`, `on` or `off`, default `on`). `off` calls
    /// every component through `wasi:http/incoming-handler`, as Spin does (to compare the two).
    pub http_exchange: bool,
    /// Whether wasmtime writes `/tmp/perf-<pid>.map`, so `perf` names the components' compiled
    /// functions (`SHOP_WASM_PERF_MAP`, default `false`; for profiling only).
    pub wasm_perf_map: bool,
    /// When set, documents live in MongoDB instead of the embedded store (`MONGODB_URI`).
    pub mongodb_uri: Option<Secret>,
    /// The MongoDB database (`MONGODB_DB`; default: the URI's database, else `shop`).
    pub mongodb_db: Option<String>,
    /// An admin account to make sure of at start (`SHOP_ADMIN_EMAIL`, with
    /// `SHOP_ADMIN_PASSWORD`); never logged.
    pub admin: Option<(String, Secret)>,
    /// Application variables for components, from `SPIN_VARIABLE_<NAME>` (as under Spin).
    pub spin_variables: std::collections::HashMap<String, Secret>,
    /// Browser origins that may call the API cross-origin, with credentials (`ALLOWED_ORIGINS`,
    /// comma-separated, e.g. `https://shop.example,http://localhost:4000`; default none: only
    /// same-origin pages may).
    pub allowed_origins: Vec<String>,
    /// Proxies whose `X-Forwarded-For` names the client (`SHOP_TRUSTED_PROXIES`, comma-separated
    /// addresses or CIDR ranges such as `127.0.0.1,172.16.0.0/12`; default none: the client is
    /// the peer of the connection).
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

/// The response cache's limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResponseCacheSettings {
    /// The most bytes the cache holds.
    pub budget_bytes: usize,
    /// The largest answer kept.
    pub max_entry_bytes: usize,
}

/// Normalises an origin (`scheme://host[:port]`, http or https, nothing after it).
fn parse_origin(raw: &str) -> Result<String, String> {
    let trimmed = raw.trim().trim_end_matches('/');
    if trimmed == "*" {
        return Err("`*` cannot be used with credentials: list each origin".into());
    }
    let uri: http::Uri = trimmed.parse().map_err(|e: http::uri::InvalidUri| format!("{trimmed:?} is not an origin: {e}"))?;
    let scheme = uri.scheme_str().unwrap_or("").to_ascii_lowercase();
    match (scheme.as_str(), uri.authority(), uri.path_and_query().map(|p| p.as_str())) {
        ("http" | "https", Some(authority), None | Some("/")) if !authority.as_str().contains('@') => {
            Ok(format!("{scheme}://{}", authority.as_str().to_ascii_lowercase()))
        }
        _ => Err(format!("{trimmed:?} is not an origin such as https://shop.example (scheme, host and port only)")),
    }
}

/// Parses a proxy address or range.
fn parse_proxy(raw: &str) -> Result<ipnet::IpNet, String> {
    let raw = raw.trim();
    raw.parse::<ipnet::IpNet>()
        .or_else(|_| raw.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map_err(|_| format!("{raw:?} is not an IP address or CIDR range"))
}

fn list<T>(name: &'static str, value: Option<String>, parse: impl Fn(&str) -> Result<T, String>) -> Result<Vec<T>, SettingError> {
    let value = value.unwrap_or_default();
    value
        .split(',')
        .filter(|item| !item.trim().is_empty())
        .map(|item| parse(item).map_err(|reason| SettingError { name, value: value.clone(), reason }))
        .collect()
}

/// A secret setting: usable, never printed (not even by `Debug`).
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    /// The secret's value, for the one place that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

/// A setting that could not be read.
#[derive(Debug, thiserror::Error)]
#[error("{name} is {value:?}: {reason}")]
pub struct SettingError {
    name: &'static str,
    value: String,
    reason: String,
}

impl Settings {
    /// Reads the settings from the process environment.
    pub fn from_env() -> Result<Self, SettingError> {
        let mut settings = Self::from_lookup(|name| std::env::var(name).ok())?;
        for (name, value) in std::env::vars().filter(|(name, _)| name.starts_with("SPIN_VARIABLE_")) {
            settings.spin_variables.insert(name, Secret(value));
        }
        Ok(settings)
    }

    /// Sets an application variable (`name` as `SPIN_VARIABLE_<NAME>`), as the environment would.
    pub fn with_variable(mut self, name: &str, value: &str) -> Self {
        self.spin_variables.insert(name.to_owned(), Secret(value.to_owned()));
        self
    }

    /// Reads the settings through `lookup` (the environment, or a map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, SettingError> {
        let get = |name: &'static str, default: &str| lookup(name).filter(|v| !v.is_empty()).unwrap_or_else(|| default.to_owned());
        let parse = |name: &'static str, default: &str| -> Result<u64, SettingError> {
            let value = get(name, default);
            value.parse::<u64>().map_err(|e| SettingError { name, value, reason: e.to_string() })
        };
        let addr = |name: &'static str, default: &str| -> Result<SocketAddr, SettingError> {
            let value = get(name, default);
            value.parse().map_err(|e: std::net::AddrParseError| SettingError { name, value, reason: e.to_string() })
        };
        let data_dir = PathBuf::from(get("SHOP_DATA_DIR", "./data"));
        // `SHOP_ADMIN_ADDR` is the setting's former name, still read when the new one is unset.
        let operator_name = if lookup("SHOP_OPERATOR_ADDR").is_some_and(|v| !v.is_empty()) || lookup("SHOP_ADMIN_ADDR").is_none() {
            "SHOP_OPERATOR_ADDR"
        } else {
            "SHOP_ADMIN_ADDR"
        };
        let operator_addr = match get(operator_name, "127.0.0.1:5001").as_str() {
            "off" => None,
            _ => Some(addr(operator_name, "127.0.0.1:5001")?),
        };
        let poll_ms = parse("SHOP_SWAP_POLL_MS", "200")?;
        Ok(Self {
            addr: addr("SHOP_ADDR", "127.0.0.1:5000")?,
            operator_addr,
            manifest: PathBuf::from(get("SHOP_MANIFEST", "./spin.toml")),
            components_dir: PathBuf::from(get("SHOP_COMPONENTS_DIR", "./dist/components")),
            api_docs_dir: PathBuf::from(get("SHOP_API_DOCS_DIR", "./dist/api-docs")),
            uploads_dir: lookup("SHOP_UPLOADS_DIR")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
                .unwrap_or_else(|| data_dir.join("uploads")),
            cache_dir: lookup("SHOP_CACHE_DIR").filter(|v| !v.is_empty()).map(PathBuf::from).unwrap_or_else(|| data_dir.join("compiled")),
            data_dir,
            memory_limit_bytes: (parse("SHOP_MEMORY_LIMIT_MB", "64")? as usize) << 20,
            media_memory_limit_bytes: (parse("SHOP_MEDIA_MEMORY_LIMIT_MB", "256")? as usize) << 20,
            cpu_deadline: Duration::from_millis(parse("SHOP_CPU_DEADLINE_MS", "5000")?),
            payment_timeout: Duration::from_millis(parse("SHOP_PAYMENT_TIMEOUT_MS", "10000")?),
            smtp_url: lookup("SMTP_URL").filter(|v| !v.is_empty()).map(Secret),
            mail_from: get("SHOP_MAIL_FROM", "Shop <shop@localhost>"),
            mail_keep: Duration::from_secs(parse("SHOP_MAIL_KEEP_SECS", "2592000")?),
            mail_poll: Some(parse("SHOP_MAIL_POLL_MS", "1000")?).filter(|ms| *ms > 0).map(Duration::from_millis),
            max_instances: parse("SHOP_MAX_INSTANCES", "256")? as u32,
            keep_resident_bytes: (parse("SHOP_KEEP_RESIDENT_KB", "4096")? as usize) << 10,
            max_concurrent_requests: match parse("SHOP_MAX_CONCURRENT_REQUESTS", "64")? {
                0 => return Err(SettingError { name: "SHOP_MAX_CONCURRENT_REQUESTS", value: "0".into(), reason: "at least 1".into() }),
                n => n as u32,
            },
            queue_timeout: Duration::from_millis(parse("SHOP_QUEUE_TIMEOUT_MS", "2000")?),
            max_body_bytes: parse("SHOP_MAX_BODY_BYTES", "16777216")? as usize,
            head_timeout: Duration::from_millis(parse("SHOP_HEAD_TIMEOUT_MS", "30000")?),
            body_timeout: Duration::from_millis(parse("SHOP_BODY_TIMEOUT_MS", "60000")?),
            changes_wait: Duration::from_secs(parse("SHOP_CHANGES_WAIT_SECS", "25")?),
            swap_poll: (poll_ms > 0).then(|| Duration::from_millis(poll_ms)),
            housekeeping: Some(parse("SHOP_HOUSEKEEPING_SECS", "300")?).filter(|s| *s > 0).map(Duration::from_secs),
            store_shared: match get("SHOP_STORE_SHARED", "false").as_str() {
                "true" | "1" => true,
                "false" | "0" => false,
                other => return Err(SettingError { name: "SHOP_STORE_SHARED", value: other.to_owned(), reason: "true or false".into() }),
            },
            shutdown_grace: Duration::from_secs(parse("SHOP_SHUTDOWN_GRACE_SECS", "20")?),
            http_exchange: match get("SHOP_HTTP_EXCHANGE", "on").as_str() {
                "on" | "true" | "1" => true,
                "off" | "false" | "0" => false,
                other => return Err(SettingError { name: "SHOP_HTTP_EXCHANGE", value: other.to_owned(), reason: "on or off".into() }),
            },
            wasm_perf_map: match get("SHOP_WASM_PERF_MAP", "false").as_str() {
                "true" | "1" => true,
                "false" | "0" => false,
                other => return Err(SettingError { name: "SHOP_WASM_PERF_MAP", value: other.to_owned(), reason: "true or false".into() }),
            },
            response_cache: match get("SHOP_RESPONSE_CACHE", "on").as_str() {
                "on" | "true" | "1" => Some(ResponseCacheSettings {
                    budget_bytes: (parse("SHOP_RESPONSE_CACHE_MB", "64")? as usize) << 20,
                    max_entry_bytes: (parse("SHOP_RESPONSE_CACHE_MAX_ENTRY_KB", "1024")? as usize) << 10,
                }),
                "off" | "false" | "0" => None,
                other => return Err(SettingError { name: "SHOP_RESPONSE_CACHE", value: other.to_owned(), reason: "on or off".into() }),
            },
            mongodb_uri: lookup("MONGODB_URI").filter(|v| !v.is_empty()).map(Secret),
            mongodb_db: lookup("MONGODB_DB").filter(|v| !v.is_empty()),
            admin: match (lookup("SHOP_ADMIN_EMAIL").filter(|v| !v.is_empty()), lookup("SHOP_ADMIN_PASSWORD").filter(|v| !v.is_empty())) {
                (Some(email), Some(password)) => Some((email, Secret(password))),
                (None, None) => None,
                _ => {
                    return Err(SettingError {
                        name: "SHOP_ADMIN_EMAIL",
                        value: String::new(),
                        reason: "SHOP_ADMIN_EMAIL and SHOP_ADMIN_PASSWORD go together: set both or neither".into(),
                    });
                }
            },
            spin_variables: std::collections::HashMap::new(),
            allowed_origins: list("ALLOWED_ORIGINS", lookup("ALLOWED_ORIGINS"), parse_origin)?,
            trusted_proxies: list("SHOP_TRUSTED_PROXIES", lookup("SHOP_TRUSTED_PROXIES"), parse_proxy)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_apply_when_nothing_is_set() {
        let settings = Settings::from_lookup(|_| None).unwrap();
        assert_eq!(settings.addr.port(), 5000);
        assert_eq!(settings.uploads_dir, PathBuf::from("./data/uploads"));
        assert_eq!(settings.memory_limit_bytes, 64 << 20);
        assert_eq!(settings.keep_resident_bytes, 4 << 20);
        assert!(settings.http_exchange);
    }

    #[test]
    fn the_operator_listener_is_read_under_its_former_name_too() {
        let with = |pairs: &'static [(&'static str, &'static str)]| {
            Settings::from_lookup(|name| pairs.iter().find(|(n, _)| *n == name).map(|(_, v)| (*v).to_owned())).unwrap().operator_addr
        };
        assert_eq!(with(&[]), Some("127.0.0.1:5001".parse().unwrap()));
        assert_eq!(with(&[("SHOP_OPERATOR_ADDR", "off")]), None);
        assert_eq!(with(&[("SHOP_ADMIN_ADDR", "127.0.0.1:6001")]), Some("127.0.0.1:6001".parse().unwrap()));
        assert_eq!(with(&[("SHOP_ADMIN_ADDR", "off"), ("SHOP_OPERATOR_ADDR", "127.0.0.1:6002")]), Some("127.0.0.1:6002".parse().unwrap()));
    }

    #[test]
    fn the_mongodb_uri_never_prints() {
        let settings = Settings::from_lookup(|name| (name == "MONGODB_URI").then(|| "mongodb://user:hunter2@db".to_owned())).unwrap();
        assert_eq!(settings.mongodb_uri.as_ref().unwrap().expose(), "mongodb://user:hunter2@db");
        assert!(!format!("{settings:?}").contains("hunter2"));
    }

    #[test]
    fn origins_and_proxies_parse_strictly() {
        let settings = Settings::from_lookup(|name| match name {
            "ALLOWED_ORIGINS" => Some(" https://Shop.Example/ , http://localhost:4000".to_owned()),
            "SHOP_TRUSTED_PROXIES" => Some("127.0.0.1, 172.16.0.0/12".to_owned()),
            _ => None,
        })
        .unwrap();
        assert_eq!(settings.allowed_origins, ["https://shop.example", "http://localhost:4000"]);
        assert_eq!(settings.trusted_proxies.len(), 2);
        for bad in ["*", "shop.example", "https://shop.example/path", "ftp://shop.example"] {
            let error = Settings::from_lookup(|name| (name == "ALLOWED_ORIGINS").then(|| bad.to_owned())).unwrap_err();
            assert!(error.to_string().starts_with("ALLOWED_ORIGINS"), "{bad}: {error}");
        }
        assert!(Settings::from_lookup(|name| (name == "SHOP_TRUSTED_PROXIES").then(|| "nginx".to_owned())).is_err());
    }

    #[test]
    fn the_response_cache_is_on_unless_turned_off() {
        let on = Settings::from_lookup(|_| None).unwrap();
        assert_eq!(on.response_cache, Some(ResponseCacheSettings { budget_bytes: 64 << 20, max_entry_bytes: 1 << 20 }));
        let off = Settings::from_lookup(|name| (name == "SHOP_RESPONSE_CACHE").then(|| "off".to_owned())).unwrap();
        assert_eq!(off.response_cache, None);
        assert!(Settings::from_lookup(|name| (name == "SHOP_RESPONSE_CACHE").then(|| "maybe".to_owned())).is_err());
    }

    #[test]
    fn a_bad_value_names_its_variable() {
        let error = Settings::from_lookup(|name| (name == "SHOP_CPU_DEADLINE_MS").then(|| "soon".to_owned())).unwrap_err();
        assert!(error.to_string().starts_with("SHOP_CPU_DEADLINE_MS is \"soon\""), "{error}");
    }
}
