//! `spawn_app()` and what tests share.

use reqwest::{Client, Response};
use serde_json::Value;
use shop_host::settings::Settings;
use shop_host::startup::Application;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Once;
use std::time::Duration;

/// Routes added for the sandbox fixture (it gets the world that grants nothing).
pub const FIXTURE_ROUTES: &str = r#"
[[trigger.http]]
route = "/fixture/..."
component = "misbehave"

[component.misbehave]
source = "dist/test-fixtures/misbehave.wasm"
"#;

/// The signing key of test hosts (tests forge tokens with it, and with others).
pub const TEST_JWT_SECRET: &str = "test-only-signing-key-0123456789abcdef";

/// A running host and what a test needs to talk to it.
pub struct TestApp {
    /// The public address.
    pub addr: SocketAddr,
    /// The operator address.
    pub operator_addr: SocketAddr,
    /// A client for both.
    pub client: Client,
    /// An access token of the admin (empty when started without one).
    pub admin_token: String,
    /// The components directory the host watches (a copy, free to change).
    pub components_dir: PathBuf,
    /// Where the host stores blobs (uploads).
    pub uploads_dir: PathBuf,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    _dir: Option<tempfile::TempDir>,
}

/// The admin every test host is started with (`SHOP_ADMIN_EMAIL` / `SHOP_ADMIN_PASSWORD`).
pub const ADMIN_EMAIL: &str = "admin@example.com";
/// Its password.
pub const ADMIN_PASSWORD: &str = "a long admin passphrase";

/// Options of a test host.
#[derive(Clone)]
pub struct Options {
    /// Extra manifest text (routes, components).
    pub extra_manifest: &'static str,
    /// Settings overriding the defaults, by variable name.
    pub env: Vec<(&'static str, String)>,
    /// Whether to make the admin account and sign it in (needs a reachable store).
    pub admin: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self { extra_manifest: "", env: Vec::new(), admin: true }
    }
}

pub fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_owned()
}

/// A built component or fixture, read from `dist/`.
pub fn built(kind: &str, name: &str) -> Vec<u8> {
    let path = project_root().join("dist").join(kind).join(format!("{name}.wasm"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}; run `cargo xtask test`, which builds the components first", path.display()))
}

/// The MongoDB server this run stores documents in (`MONGODB_URI`), if any: then every test
/// host uses it, each test directory with a database of its own. Unset, hosts use the
/// embedded store.
pub fn mongodb_uri() -> Option<String> {
    std::env::var("MONGODB_URI").ok().filter(|uri| !uri.is_empty())
}

/// The store backend the hosts of this run report (`/readyz`'s `store`, the metrics'
/// `backend` label).
pub fn store_backend() -> &'static str {
    if mongodb_uri().is_some() { "mongodb" } else { "embedded" }
}

/// For a test that is about the embedded store (or about no store at all): on a MongoDB run
/// it prints why it does not run there and answers true, and the test returns.
pub fn skipped_on_mongodb(why: &str) -> bool {
    let skip = mongodb_uri().is_some();
    if skip {
        // Straight to the process's stderr: the test harness hides what `eprintln!` prints
        // for a test that passes, and a skip must be seen.
        use std::io::Write;
        let _ = writeln!(std::io::stderr(), "skipped on MongoDB: {}: {why}", std::thread::current().name().unwrap_or("a test"));
    }
    skip
}

/// The MongoDB database of the test whose data lives in `root`: the same for a restart in
/// that directory, another for every other test.
/// The store of a host started with `SHOP_STORE_SHARED=true`, opened beside it: the same
/// embedded database (shared), or the same MongoDB database. For tests that must put
/// documents the API cannot make (old ones, in a former shape).
pub async fn open_store_beside(app: &TestApp) -> shop_host::capabilities::documents::DocumentStore {
    use shop_host::capabilities::documents::{DocumentStore, mongo::MongoStore, sqlite};
    let data_dir = app.uploads_dir.parent().unwrap();
    match mongodb_uri() {
        Some(uri) => {
            let root = data_dir.parent().unwrap();
            DocumentStore::Mongo(MongoStore::connect(&uri, Some(&database_for(root))).await.unwrap())
        }
        None => DocumentStore::Sqlite(sqlite::SqliteStore::open_with(data_dir, sqlite::Sharing::Shared).unwrap()),
    }
}

fn database_for(root: &Path) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(root.as_os_str().as_encoded_bytes());
    format!("shop_test_{}", hex::encode(&digest[..10]))
}

fn init_logs() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if std::env::var_os("TEST_LOG").is_some() {
            shop_host::telemetry::init();
        }
    });
}

/// Starts a host with the default options.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(Options::default()).await
}

/// Starts a host in a fresh directory.
pub async fn spawn_app_with(options: Options) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let mut app = spawn_in(dir.path(), &options).await;
    app._dir = Some(dir);
    app
}

/// Starts a host whose data lives in `root` (kept by the caller, for restarts).
pub async fn spawn_in(root: &Path, options: &Options) -> TestApp {
    init_logs();
    let components_dir = root.join("components");
    std::fs::create_dir_all(&components_dir).unwrap();
    for name in ["auth", "catalog", "orders", "media", "payments-cash-on-delivery", "payments-test-card"] {
        let target = components_dir.join(format!("{name}.wasm"));
        if !target.exists() {
            std::fs::write(target, built("components", name)).unwrap();
        }
    }
    let fixture = components_dir.join("misbehave.wasm");
    if !fixture.exists() {
        std::fs::write(fixture, built("test-fixtures", "misbehave")).unwrap();
    }
    let manifest = root.join("spin.toml");
    let base = std::fs::read_to_string(project_root().join("spin.toml")).unwrap();
    std::fs::write(&manifest, merge_manifest(&base, options.extra_manifest)).unwrap();
    let cache = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("compile-cache");
    let mut vars: HashMap<&str, String> = HashMap::from([
        ("SHOP_ADDR", "127.0.0.1:0".to_owned()),
        ("SHOP_OPERATOR_ADDR", "127.0.0.1:0".to_owned()),
        ("SHOP_MANIFEST", manifest.display().to_string()),
        ("SHOP_COMPONENTS_DIR", components_dir.display().to_string()),
        ("SHOP_DATA_DIR", root.join("data").display().to_string()),
        ("SHOP_CACHE_DIR", cache.display().to_string()),
        ("SHOP_SWAP_POLL_MS", "50".to_owned()),
        ("SHOP_API_DOCS_DIR", project_root().join("dist/api-docs").display().to_string()),
    ]);
    if let Some(uri) = mongodb_uri() {
        vars.insert("MONGODB_URI", uri);
        vars.insert("MONGODB_DB", database_for(root));
    }
    if options.admin {
        vars.insert("SHOP_ADMIN_EMAIL", ADMIN_EMAIL.to_owned());
        vars.insert("SHOP_ADMIN_PASSWORD", ADMIN_PASSWORD.to_owned());
    }
    vars.extend(options.env.iter().cloned());
    let mut settings =
        Settings::from_lookup(|name| vars.get(name).cloned()).unwrap().with_variable("SPIN_VARIABLE_JWT_SECRET", TEST_JWT_SECRET);
    // Application variables among the options, as the environment would give them.
    for (name, value) in options.env.iter().filter(|(name, _)| name.starts_with("SPIN_VARIABLE_")) {
        settings = settings.with_variable(name, value);
    }
    let app = Application::build(settings).await.expect("the host starts");
    let addr = app.addr();
    let operator_addr = app.operator_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel();
    let task = tokio::spawn(app.run(async {
        let _ = rx.await;
    }));
    let client = Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
    let uploads_dir = root.join("data/uploads");
    let mut app = TestApp {
        addr,
        operator_addr,
        client,
        admin_token: String::new(),
        components_dir,
        uploads_dir,
        shutdown: Some(tx),
        task: Some(task),
        _dir: None,
    };
    if options.admin {
        app.admin_token = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    }
    app
}

/// The manifest with extra text: a table the manifest already has (such as
/// `[component.catalog.variables]`) gets the extra keys inside it (TOML forbids a second
/// header); other tables are appended.
fn merge_manifest(base: &str, extra: &str) -> String {
    let mut merged = base.to_owned();
    let mut appended = String::new();
    let mut section = String::new();
    let flush = |section: &mut String, merged: &mut String, appended: &mut String| {
        let header = section.lines().next().unwrap_or("").trim().to_owned();
        let body = section.lines().skip(1).collect::<Vec<_>>().join("\n");
        match merged.find(&format!("\n{header}\n")) {
            Some(at) if header.starts_with('[') && !header.starts_with("[[") => {
                merged.insert_str(at + header.len() + 2, &format!("{body}\n"))
            }
            _ => appended.push_str(section),
        }
        section.clear();
    };
    for line in extra.lines() {
        if line.starts_with('[') && !section.is_empty() {
            flush(&mut section, &mut merged, &mut appended);
        }
        section.push_str(line);
        section.push('\n');
    }
    flush(&mut section, &mut merged, &mut appended);
    format!("{merged}\n{appended}")
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Response {
        self.client.post(self.url(path)).json(body).send().await.unwrap()
    }

    /// A request as the admin.
    pub fn as_admin(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.client.request(method, self.url(path)).bearer_auth(&self.admin_token)
    }

    /// Posts a raw body as the admin.
    pub async fn admin_post_raw(&self, path: &str, content_type: &str, body: impl Into<reqwest::Body>) -> Response {
        self.as_admin(reqwest::Method::POST, path).header("content-type", content_type).body(body).send().await.unwrap()
    }

    /// Posts JSON as the admin.
    pub async fn admin_post_json(&self, path: &str, body: &Value) -> Response {
        self.as_admin(reqwest::Method::POST, path).json(body).send().await.unwrap()
    }

    /// Signs in and returns the access token.
    pub async fn login(&self, email: &str, password: &str) -> String {
        let response = self.post_json("/api/auth/login", &serde_json::json!({"email": email, "password": password})).await;
        assert_eq!(response.status(), 200, "signing in {email}");
        let session: Value = response.json().await.unwrap();
        session["access_token"].as_str().unwrap().to_owned()
    }

    /// Creates a category, asserting success, and returns it.
    pub async fn create_category(&self, en: &str, ar: &str, order: i64) -> Value {
        let response =
            self.admin_post_json("/api/categories", &serde_json::json!({"name": {"en": en, "ar": ar}, "sort_order": order})).await;
        assert_eq!(response.status(), 201, "creating {en}");
        response.json().await.unwrap()
    }

    /// The number of categories listed.
    pub async fn category_count(&self) -> u64 {
        let list: Value = self.get("/api/categories").await.json().await.unwrap();
        list["total"].as_u64().unwrap()
    }

    /// Stops the host, letting requests in flight finish.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap().unwrap();
        }
    }
}

/// Asserts a problem answer: status, media type, and (when given) the field named.
pub async fn assert_problem(response: Response, status: u16, field: Option<&str>) -> Value {
    assert_eq!(response.status(), status);
    assert_eq!(response.headers()["content-type"], "application/problem+json");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], status);
    if let Some(field) = field {
        let fields: Vec<&str> =
            body["errors"].as_array().map(|e| e.iter().filter_map(|e| e["field"].as_str()).collect()).unwrap_or_default();
        assert!(fields.contains(&field), "expected field {field} in {body}");
    }
    body
}

/// The catalog component with a custom section appended: the same code, a new file and
/// version (custom sections carry no semantics). A per-run nonce keeps every variant out of
/// the compile cache, so each swap really compiles.
pub fn variant(component: &[u8], n: u32) -> Vec<u8> {
    fn leb(mut value: usize, out: &mut Vec<u8>) {
        loop {
            let byte = (value & 0x7f) as u8;
            value >>= 7;
            if value == 0 {
                out.push(byte);
                return;
            }
            out.push(byte | 0x80);
        }
    }
    let name = b"swap-test";
    let nonce = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    let payload = [n.to_le_bytes().as_slice(), nonce.to_le_bytes().as_slice()].concat();
    let mut content = Vec::new();
    leb(name.len(), &mut content);
    content.extend_from_slice(name);
    content.extend_from_slice(&payload);
    let mut out = component.to_vec();
    out.push(0);
    leb(content.len(), &mut out);
    out.extend(content);
    out
}

pub fn install(app: &TestApp, name: &str, bytes: &[u8]) {
    let tmp = app.components_dir.join(format!(".{name}.tmp"));
    std::fs::write(&tmp, bytes).unwrap();
    std::fs::rename(tmp, app.components_dir.join(format!("{name}.wasm"))).unwrap();
}

/// A JWT with any header and claims, HMAC-SHA256-signed with `key` (or unsigned).
pub fn forge(header: &Value, claims: &Value, key: Option<&[u8]>) -> String {
    use base64::Engine as _;
    use hmac::Mac as _;
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let unsigned = format!("{}.{}", b64(header.to_string().as_bytes()), b64(claims.to_string().as_bytes()));
    let signature = match key {
        Some(key) => {
            let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
            mac.update(unsigned.as_bytes());
            b64(&mac.finalize().into_bytes())
        }
        None => String::new(),
    };
    format!("{unsigned}.{signature}")
}

/// Claims as the auth component issues them, expiring at `exp`.
pub fn claims(user_id: &Value, role: &str, exp: u64) -> Value {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    serde_json::json!({"sub": user_id, "email": "someone@example.com", "role": role, "iss": "shop", "aud": "shop", "iat": now, "exp": exp})
}
