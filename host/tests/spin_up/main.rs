//! The shop under the real Spin CLI: `spin up` on the project's own `spin.toml` and the
//! composed components `cargo xtask build` put in `dist/spin/`, with a fresh state directory,
//! driven over HTTP through the flows the host's API tests cover. At the end Spin's database
//! moves to a host and back (one store layout, ADR 0016).
//!
//! Spin is found through `SPIN_BIN`, then `spin` on `PATH` (`cargo xtask test` and `.ci/run`
//! set `SPIN_BIN` from the prebuilt copy in `../shared/tools/spin`). Without one the test
//! says so loudly and does nothing else. It fails on any guest panic or trap in Spin's output.

use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use test_support::{Process, free_port};

#[path = "../api/pictures.rs"]
mod pictures;

const ADMIN_EMAIL: &str = "admin@spin.example";
const ADMIN_PASSWORD: &str = "a long spin admin passphrase";

fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_owned()
}

/// The Spin CLI: `SPIN_BIN`, then `spin` on `PATH`.
fn spin_binary() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("SPIN_BIN").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path));
    }
    std::env::split_paths(&std::env::var_os("PATH")?).map(|dir| dir.join("spin")).find(|p| p.is_file())
}

/// `spin up` on the project's manifest, its output going to `log`.
struct SpinUp {
    base: String,
    log: PathBuf,
    process: Process,
}

impl SpinUp {
    async fn start(spin: &Path, state: &Path, log: PathBuf, client: &Client) -> SpinUp {
        let port = free_port();
        let output = std::fs::OpenOptions::new().create(true).append(true).open(&log).unwrap();
        let child = Command::new(spin)
            .arg("up")
            .arg("--from")
            .arg(project_root().join("spin.toml"))
            .arg("--listen")
            .arg(format!("127.0.0.1:{port}"))
            .arg("--state-dir")
            .arg(state)
            .env("SPIN_VARIABLE_JWT_SECRET", "spin-up-test-signing-key-0123456789abcdef")
            .env("SPIN_VARIABLE_ADMIN_EMAIL", ADMIN_EMAIL)
            .env("SPIN_VARIABLE_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .stdin(Stdio::null())
            .stdout(output.try_clone().unwrap())
            .stderr(output)
            .spawn()
            .expect("spin starts");
        let mut up = SpinUp { base: format!("http://127.0.0.1:{port}"), log, process: Process::new(child) };
        let started = Instant::now();
        loop {
            if let Some(status) = up.process.child().try_wait().unwrap() {
                panic!("spin up exited with {status} before serving:\n{}", up.output());
            }
            if let Ok(response) = client.get(format!("{}/api/categories", up.base)).send().await
                && response.status() == 200
            {
                return up;
            }
            assert!(started.elapsed() < Duration::from_secs(180), "spin up did not serve within 3 minutes:\n{}", up.output());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Spin's own output, then what the components wrote to their stdio logs (Spin keeps
    /// them under the state directory).
    fn output(&self) -> String {
        let mut output = std::fs::read_to_string(&self.log).unwrap_or_default();
        let logs = self.log.with_file_name("state").join("logs");
        for entry in std::fs::read_dir(logs).into_iter().flatten().flatten() {
            output.push_str(&format!("\n--- {} ---\n", entry.path().display()));
            output.push_str(&std::fs::read_to_string(entry.path()).unwrap_or_default());
        }
        output
    }

    /// Stops Spin as a terminal would (SIGINT), waiting for it.
    fn stop(mut self) {
        let _ = Command::new("kill").args(["-INT", &self.process.id().to_string()]).status();
        let started = Instant::now();
        while self.process.child().try_wait().unwrap().is_none() && started.elapsed() < Duration::from_secs(20) {
            std::thread::sleep(Duration::from_millis(50));
        }
        self.process.kill();
    }
}

/// Copies a SQLite database with its write-ahead log, if one was left beside it, to `to`
/// (whose own log, if any, is removed first: it belongs to the database being replaced).
fn move_database(from: &Path, to: &Path) {
    let wal = |db: &Path| PathBuf::from(format!("{}-wal", db.display()));
    let _ = std::fs::remove_file(wal(to));
    let _ = std::fs::remove_file(PathBuf::from(format!("{}-shm", to.display())));
    std::fs::copy(from, to).unwrap();
    if wal(from).exists() {
        std::fs::copy(wal(from), wal(to)).unwrap();
    }
}

/// Counts the checks, so the run reports how much it exercised.
#[derive(Default)]
struct Steps(usize);

impl Steps {
    fn pass(&mut self, what: &str) {
        self.0 += 1;
        eprintln!("spin up: step {}: {what}", self.0);
    }
}

async fn send(
    client: &Client,
    method: Method,
    url: String,
    token: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    let mut request = client.request(method, url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let (status, headers) = (response.status(), response.headers().clone());
    let text = response.text().await.unwrap();
    (status, headers, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn assert_problem(status: StatusCode, headers: &reqwest::header::HeaderMap, expected: u16, what: &str) {
    assert_eq!(status.as_u16(), expected, "{what}");
    assert_eq!(headers.get("content-type").and_then(|v| v.to_str().ok()), Some("application/problem+json"), "{what}: a problem body");
}

async fn login(client: &Client, up: &SpinUp, email: &str, password: &str, forged_client: Option<&str>) -> (StatusCode, Value) {
    let mut request = client.post(up.url("/api/auth/login")).json(&json!({"email": email, "password": password}));
    if let Some(address) = forged_client {
        request = request.header("spin-client-addr", address);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// What in Spin's output means a guest panicked or trapped.
fn guest_failures(output: &str) -> Vec<&str> {
    const SIGNS: [&str; 5] = ["panicked at", "wasm trap", "wasm backtrace", "error while executing at wasm", "Error processing request"];
    output.lines().filter(|line| SIGNS.iter().any(|sign| line.contains(sign))).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_shop_runs_under_spin_up() {
    let Some(spin) = spin_binary() else {
        eprintln!(
            "\n*** spin up test NOT RUN: no Spin CLI found (set SPIN_BIN, or put `spin` on PATH; `bash .ci/run` uses ../shared/tools/spin/install.sh). See README › Testing. ***\n"
        );
        return;
    };
    for name in ["auth", "catalog", "orders", "uploads"] {
        let path = project_root().join("dist/spin").join(format!("{name}.wasm"));
        assert!(path.exists(), "{} is missing: run `cargo xtask test`, which builds it", path.display());
    }
    let version = Command::new(&spin).arg("--version").output().expect("spin --version runs");
    eprintln!("spin up: using {} ({})", spin.display(), String::from_utf8_lossy(&version.stdout).trim());
    let scratch = tempfile::tempdir().unwrap();
    let (state, log) = (scratch.path().join("state"), scratch.path().join("spin.log"));
    let client = Client::builder().timeout(Duration::from_secs(60)).build().unwrap();
    let mut steps = Steps::default();
    let up = SpinUp::start(&spin, &state, log.clone(), &client).await;

    // The first admin comes from the variables; a wrong password still fails.
    assert_eq!(login(&client, &up, ADMIN_EMAIL, "not the password at all", None).await.0, 401);
    let (status, session) = login(&client, &up, ADMIN_EMAIL, ADMIN_PASSWORD, None).await;
    assert_eq!(status, 200, "the admin from admin_email signs in: {session}");
    assert_eq!(session["user"]["role"], "admin");
    let admin = session["access_token"].as_str().unwrap().to_owned();
    steps.pass("the first admin is made from the admin_email/admin_password variables");

    // A customer, and the unique email index through the SQLite adapter.
    let customer_body = json!({"email": "layla@example.com", "password": "correct horse battery"});
    let (status, _, _) = send(&client, Method::POST, up.url("/api/auth/register"), None, Some(customer_body.clone())).await;
    assert_eq!(status, 201);
    let (status, headers, _) = send(&client, Method::POST, up.url("/api/auth/register"), None, Some(customer_body)).await;
    assert_problem(status, &headers, 409, "a second account with one email");
    let customer =
        login(&client, &up, "layla@example.com", "correct horse battery", None).await.1["access_token"].as_str().unwrap().to_owned();
    steps.pass("a customer registers; a duplicate email is 409");

    // Category writes: admin only.
    let category_body = json!({"name": {"en": "Coffee & Tea", "ar": "القهوة والشاي"}, "sort_order": 1});
    let (status, headers, _) = send(&client, Method::POST, up.url("/api/categories"), Some(&customer), Some(category_body.clone())).await;
    assert_problem(status, &headers, 403, "a customer creating a category");
    let (status, headers, _) = send(&client, Method::POST, up.url("/api/categories"), None, Some(category_body.clone())).await;
    assert_problem(status, &headers, 401, "an anonymous category write");
    let (status, _, category) = send(&client, Method::POST, up.url("/api/categories"), Some(&admin), Some(category_body)).await;
    assert_eq!(status, 201, "{category}");
    assert_eq!(category["slug"], "coffee-tea");
    steps.pass("category writes: 201 for the admin, 403 for a customer, 401 anonymous");

    // Optimistic updates: a stale If-Match is 409, none is 428.
    let url = up.url("/api/categories/coffee-tea");
    let renamed = json!({"name": {"en": "Coffee and Tea", "ar": "القهوة والشاي"}});
    let put = |if_match: Option<&'static str>| {
        let mut request = client.put(url.clone()).bearer_auth(&admin).json(&renamed);
        if let Some(tag) = if_match {
            request = request.header("if-match", tag);
        }
        request.send()
    };
    assert_eq!(put(Some("\"1\"")).await.unwrap().status(), 200);
    let stale = put(Some("\"1\"")).await.unwrap();
    let headers = stale.headers().clone();
    assert_problem(stale.status(), &headers, 409, "a stale If-Match");
    let missing = put(None).await.unwrap();
    let headers = missing.headers().clone();
    assert_problem(missing.status(), &headers, 428, "no If-Match");
    steps.pass("If-Match: 200, then 409 when stale, 428 when missing");

    // Bad JSON is a precise 400 that changes nothing.
    let bad = client
        .post(up.url("/api/categories"))
        .bearer_auth(&admin)
        .header("content-type", "application/json")
        .body("{\"name\": ")
        .send()
        .await
        .unwrap();
    let headers = bad.headers().clone();
    assert_problem(bad.status(), &headers, 400, "malformed JSON");
    let (_, _, list) = send(&client, Method::GET, up.url("/api/categories"), None, None).await;
    assert_eq!(list["total"], 1, "the bad request stored nothing");
    steps.pass("malformed JSON is 400 problem+json and stores nothing");

    // Products: a draft, published, found in both languages.
    let product = json!({
        "name": {"en": "Arabic coffee", "ar": "قهوة عربية"},
        "description": {"en": "Light roast with cardamom.", "ar": "تحميص خفيف مع الهيل."},
        "price": {"amount": 4500, "currency": "SAR"},
        "stock": 12,
        "category": category["id"],
    });
    let (status, _, created) = send(&client, Method::POST, up.url("/api/products"), Some(&admin), Some(product)).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    let (_, _, shopper_view) = send(&client, Method::GET, up.url("/api/products?q=coffee"), None, None).await;
    assert_eq!(shopper_view["total"], 0, "a draft is hidden from shoppers");
    let publish =
        client.post(up.url(&format!("/api/products/{id}/publish"))).bearer_auth(&admin).header("if-match", "\"1\"").send().await.unwrap();
    assert_eq!(publish.status(), 200);
    steps.pass("a product is created as a draft, hidden, then published");
    for query in
        ["coffee", "COFFEE", "%D9%82%D9%87%D9%88%D8%A9", "%D9%82%D9%8E%D9%87%D9%92%D9%88%D9%8E%D8%A9", "%D8%B9%D8%B1%D8%A8%D9%8A%D9%87"]
    {
        let (status, _, found) = send(&client, Method::GET, up.url(&format!("/api/products?per_page=24&q={query}")), None, None).await;
        assert_eq!(status, 200);
        assert_eq!(found["total"], 1, "q={query}: {found}");
        assert_eq!(found["items"][0]["id"], id.as_str());
    }
    steps.pass("search finds it in English and Arabic (case, diacritics, ta marbuta folded)");
    let (status, headers, _) =
        send(&client, Method::POST, up.url("/api/products"), Some(&customer), Some(json!({"name": {"en": "x"}}))).await;
    assert_problem(status, &headers, 403, "a customer creating a product");
    steps.pass("a customer's product write is 403");

    // Orders on Spin: a cart, a checkout that takes stock once per Idempotency-Key, a 409 when
    // short, the shopper's list, and an admin's step of the lifecycle.
    let (status, _, cart) =
        send(&client, Method::PUT, up.url("/api/cart"), Some(&customer), Some(json!({"items": [{"product": id, "quantity": 2}]}))).await;
    assert_eq!((status.as_u16(), &cart["subtotal"]["amount"]), (200, &json!(9000)), "{cart}");
    let address = json!({"name": "ليلى", "phone": "+966 55 123 4567", "lines": ["شارع ١٢"], "city": "الرياض", "country": "SA"});
    let checkout = json!({"shipping_address": address, "payment_method": "cash_on_delivery"});
    let mut placed = Vec::new();
    for _ in 0..2 {
        let response = client
            .post(up.url("/api/checkout"))
            .bearer_auth(&customer)
            .header("idempotency-key", "spin-1")
            .json(&checkout)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        placed.push(response.json::<Value>().await.unwrap()["id"].clone());
    }
    assert_eq!(placed[0], placed[1], "a retry answers the same order");
    let (_, _, product_now) = send(&client, Method::GET, up.url(&format!("/api/products/{id}")), None, None).await;
    assert_eq!(product_now["stock"], 10, "taken once");
    let too_many = json!({"items": [{"product": id, "quantity": 11}], "shipping_address": address, "payment_method": "cash_on_delivery"});
    let (status, headers, _) = send(&client, Method::POST, up.url("/api/checkout"), Some(&customer), Some(too_many)).await;
    assert_problem(status, &headers, 409, "a checkout for more than is in stock");
    // Under Spin the cash on delivery provider is composed into orders: the one method offered.
    let by_card = json!({"items": [{"product": id, "quantity": 1}], "shipping_address": address, "payment_method": "test_card",
        "card": {"number": "4242424242424242", "expiry": "12/40", "cvc": "123"}});
    let (status, headers, refused) = send(&client, Method::POST, up.url("/api/checkout"), Some(&customer), Some(by_card)).await;
    assert_problem(status, &headers, 422, "a method no composed provider serves");
    assert_eq!(refused["errors"][0]["field"], "payment_method", "{refused}");
    let (_, _, product_now) = send(&client, Method::GET, up.url(&format!("/api/products/{id}")), None, None).await;
    assert_eq!(product_now["stock"], 10, "the refused checkout gave its unit back");
    let (_, _, mine) = send(&client, Method::GET, up.url("/api/orders"), Some(&customer), None).await;
    assert_eq!(mine["total"], 1, "{mine}");
    let order_id = placed[0].as_str().unwrap();
    let (status, _, shipped) =
        send(&client, Method::POST, up.url(&format!("/api/orders/{order_id}/status")), Some(&admin), Some(json!({"status": "shipped"})))
            .await;
    assert_eq!((status.as_u16(), &shipped["status"]), (200, &json!("shipped")), "{shipped}");
    assert_eq!(
        (shipped["payment"]["summary"].as_str(), shipped["payment"]["state"].as_str()),
        (Some("Cash on delivery"), Some("authorised"))
    );
    steps
        .pass("orders: cart, checkout once per Idempotency-Key, 409 when short, only cash on delivery, the shopper's list, an admin ships");

    // An image: processed by the media instance composed into catalog, served by `uploads`.
    let png = pictures::png_rgba(&pictures::half_transparent(900, 600));
    let part = reqwest::multipart::Part::bytes(png).file_name("lamp.png").mime_str("image/png").unwrap();
    let upload = client
        .post(up.url(&format!("/api/products/{id}/images")))
        .bearer_auth(&admin)
        .multipart(reqwest::multipart::Form::new().part("images", part))
        .send()
        .await
        .unwrap();
    assert_eq!(upload.status(), 201);
    let uploaded: Value = upload.json().await.unwrap();
    let variant = uploaded["images"][0]["variants"].as_array().unwrap().last().unwrap().clone();
    let upload_url = variant["url"].as_str().unwrap().to_owned();
    let fetched = client.get(up.url(&upload_url)).send().await.unwrap();
    assert_eq!(fetched.status(), 200);
    assert_eq!(fetched.headers()["content-type"], "image/webp");
    let etag = fetched.headers()["etag"].to_str().unwrap().to_owned();
    let bytes = fetched.bytes().await.unwrap();
    let decoded = pictures::decode_webp(&bytes);
    assert_eq!(decoded.width(), variant["width"].as_u64().unwrap() as u32);
    steps.pass("a PNG upload becomes WebP variants, served from /uploads");
    for _ in 0..20 {
        let head = client.head(up.url(&upload_url)).send().await.unwrap();
        assert_eq!(head.status(), 200);
        assert_eq!(head.headers()["content-length"].to_str().unwrap(), bytes.len().to_string(), "HEAD has GET's length");
        let revalidated = client.get(up.url(&upload_url)).header("if-none-match", &etag).send().await.unwrap();
        assert_eq!(revalidated.status(), 304);
        assert!(revalidated.bytes().await.unwrap().is_empty());
    }
    steps.pass("HEAD and conditional GET of an upload (20 of each, no trap)");
    for path in ["/uploads/../spin.toml", "/uploads/%2e%2e/spin.toml", "/uploads/products/..%2f..%2fspin.toml", "/uploads/.hidden"] {
        let response = client.get(up.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 404, "{path}");
    }
    let post = client.post(up.url(&upload_url)).body("x").send().await.unwrap();
    assert_eq!(post.status(), 405);
    assert_eq!(post.headers()["allow"], "GET, HEAD");
    assert_eq!(post.headers()["content-type"], "application/problem+json");
    steps.pass("traversal spellings are 404; a POST to /uploads is 405 problem+json");

    // Clients that leave early: HEAD drops the body, and a connection closed unread.
    for _ in 0..10 {
        assert_eq!(client.head(up.url("/api/products?per_page=24")).send().await.unwrap().status(), 200);
        use tokio::io::AsyncWriteExt;
        let mut stream = tokio::net::TcpStream::connect(up.base.trim_start_matches("http://")).await.unwrap();
        stream.write_all(b"GET /api/products?per_page=24 HTTP/1.1\r\nHost: spin\r\n\r\n").await.unwrap();
        drop(stream);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    steps.pass("HEAD requests and clients that hang up early");

    // A restart keeps everything: documents in Spin's SQLite, files in its key-value store.
    let (_, _, before) = send(&client, Method::GET, up.url("/api/products?per_page=24"), None, None).await;
    up.stop();
    let up = SpinUp::start(&spin, &state, log.clone(), &client).await;
    let (_, _, after) = send(&client, Method::GET, up.url("/api/products?per_page=24"), None, None).await;
    assert_eq!(before, after, "the catalogue survives a restart");
    assert_eq!(client.get(up.url(&upload_url)).send().await.unwrap().bytes().await.unwrap(), bytes, "and so do the files");
    assert_eq!(login(&client, &up, ADMIN_EMAIL, ADMIN_PASSWORD, None).await.0, 200);
    steps.pass("a restart keeps products, files and accounts");

    // Login throttling per client address: Spin appends its own spin-client-addr after any a
    // client sends, so forged ones must not help. Twenty failures from this address lock it:
    // one happened above (the admin's wrong password), nineteen more here, each for another
    // email so the per-account limit never applies.
    let mut statuses = Vec::new();
    for n in 0..25 {
        let forged = format!("203.0.113.{n}:5555");
        statuses.push(login(&client, &up, &format!("nobody{n}@example.com"), "wrong password 123", Some(&forged)).await.0.as_u16());
    }
    assert_eq!(statuses.iter().take_while(|s| **s == 401).count(), 19, "{statuses:?}");
    assert!(statuses[19..].iter().all(|s| *s == 429), "forged addresses do not escape the limit: {statuses:?}");
    let (status, _) = login(&client, &up, ADMIN_EMAIL, ADMIN_PASSWORD, Some("198.51.100.1:1")).await;
    assert_eq!(status, 429, "a throttled address stays throttled, forged header or not");
    steps.pass("login throttling per address holds against forged spin-client-addr headers");

    let output = up.output(); // both runs: the log is appended to
    up.stop();
    let failures = guest_failures(&output);
    assert!(failures.is_empty(), "guest panics or traps in Spin's output:\n{}\n\nwhole output:\n{output}", failures.join("\n"));
    steps.pass("no guest panic or trap in Spin's output");

    // The documents move to the host and back (ADR 0016: one store logic, one layout).
    let spin_db = state.join("sqlite_db.db");
    let data = scratch.path().join("host-data");
    std::fs::create_dir_all(&data).unwrap();
    move_database(&spin_db, &data.join("shop.db"));
    let port = free_port();
    let mut host = Process::new(
        Command::new(env!("CARGO_BIN_EXE_shop-host"))
            .env("SHOP_ADDR", format!("127.0.0.1:{port}"))
            .env("SHOP_OPERATOR_ADDR", "off")
            .env("SHOP_MANIFEST", project_root().join("spin.toml"))
            .env("SHOP_COMPONENTS_DIR", project_root().join("dist/components"))
            .env("SHOP_DATA_DIR", &data)
            .env("SHOP_SWAP_POLL_MS", "0")
            .env("SHOP_RESPONSE_CACHE", "off")
            // The deployment's secret moves with its data: Spin's tokens stay valid.
            .env("SPIN_VARIABLE_JWT_SECRET", "spin-up-test-signing-key-0123456789abcdef")
            .env("RUST_LOG", "error")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the host binary starts"),
    );
    let on_host = |path: &str| format!("http://127.0.0.1:{port}{path}");
    let started = Instant::now();
    while !client.get(on_host("/readyz")).send().await.is_ok_and(|r| r.status() == StatusCode::OK) {
        assert!(host.child().try_wait().unwrap().is_none(), "the host exited on Spin's database");
        assert!(started.elapsed() < Duration::from_secs(120), "the host did not start on Spin's database");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (_, _, listed) = send(&client, Method::GET, on_host("/api/products?per_page=24"), None, None).await;
    assert_eq!(listed["items"], after["items"], "the host lists what Spin stored");
    let (_, _, found) = send(&client, Method::GET, on_host("/api/products?per_page=24&q=%D9%82%D9%87%D9%88%D8%A9"), None, None).await;
    assert_eq!(found["total"], 1, "and finds it: {found}");
    // Signing in again would be refused: the throttling above moved with the data too.
    let (status, _, me) = send(&client, Method::GET, on_host("/api/auth/me"), Some(&admin), None).await;
    assert_eq!((status, &me["email"]), (StatusCode::OK, &json!(ADMIN_EMAIL)), "Spin's admin is known to the host: {me}");
    let lamp = json!({
        "name": {"en": "Brass lantern", "ar": "فانوس نحاسي"},
        "description": {"en": "Hand-beaten brass.", "ar": "نحاس مطروق يدوياً."},
        "price": {"amount": 9900, "currency": "SAR"},
        "stock": 3,
        "status": "published",
    });
    let (status, _, lantern) = send(&client, Method::POST, on_host("/api/products"), Some(&admin), Some(lamp)).await;
    assert_eq!(status, 201, "{lantern}");
    host.terminate();
    move_database(&data.join("shop.db"), &spin_db);
    let up = SpinUp::start(&spin, &state, log.clone(), &client).await;
    let (_, _, found) = send(&client, Method::GET, up.url("/api/products?per_page=24&q=%D9%81%D8%A7%D9%86%D9%88%D8%B3"), None, None).await;
    assert_eq!(found["total"], 1, "Spin finds what the host wrote: {found}");
    assert_eq!(found["items"][0]["id"], lantern["id"]);
    let (_, _, listed) = send(&client, Method::GET, up.url("/api/products?per_page=24"), None, None).await;
    assert_eq!(listed["total"], after["total"].as_u64().unwrap() + 1);
    up.stop();
    steps.pass("Spin's database serves the host, and the host's serves Spin again (write, list, search both ways)");
    eprintln!("spin up: {} steps passed", steps.0);
}
