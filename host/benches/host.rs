//! Host benchmarks (`cargo bench -p shop-host`; `bench/run.sh` runs them with the rest).
//!
//! 1. Per-request overhead: a fresh instance + call of a trivial HTTP handler (the `ok`
//!    route of the test fixture), against a native handler building the same response; the
//!    fixture called through `shop:platform/http-exchange` (the host's default) and through
//!    `wasi:http` (`SHOP_HTTP_EXCHANGE=off`, as Spin calls it).
//! 2. Cold start to the first 200 of `GET /api/categories`, with the compile cache warm and
//!    cold, against starting a trivial process (`true`) as the floor of any start.
//! 3. `find` over 10,000 products, against the same query in hand-written SQL.
//! 4. Sign-in: one login (argon2id in the component) against the same hash natively, and
//!    logins/s on all cores; `auth.verify-token` calls/s through the component boundary
//!    against the same work natively (HS256 check + reading the user).
//!
//! Needs `cargo xtask build` (the release host and the components) and the test fixture
//! (`cargo xtask test` builds it, or `cd components && cargo build --release --target
//! wasm32-wasip2 -p misbehave`, then copy it to `dist/test-fixtures/`).

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use shop_host::runtime::serve::handle_http;
use shop_host::settings::Settings;
use shop_host::startup::Application;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_owned()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn report(name: &str, mut samples: Vec<Duration>) -> (Duration, Duration) {
    samples.sort();
    let (p50, p99) = (percentile(&samples, 0.50), percentile(&samples, 0.99));
    println!("{name:<44} p50 {:>9.1} µs   p99 {:>9.1} µs   (n = {})", p50.as_secs_f64() * 1e6, p99.as_secs_f64() * 1e6, samples.len());
    (p50, p99)
}

/// A scratch directory with the manifest (plus the fixture route) and the components.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("shop-bench-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("components")).unwrap();
    for (kind, component) in [
        ("components", "auth"),
        ("components", "catalog"),
        ("components", "media"),
        ("test-fixtures", "misbehave"),
        ("test-fixtures", "raw-ok"),
    ] {
        let from = root().join("dist").join(kind).join(format!("{component}.wasm"));
        std::fs::copy(&from, dir.join("components").join(format!("{component}.wasm")))
            .unwrap_or_else(|e| panic!("{}: {e} (build the components and the test fixture first)", from.display()));
    }
    let manifest = std::fs::read_to_string(root().join("spin.toml")).unwrap()
        + "\n[[trigger.http]]\nroute = \"/fixture/...\"\ncomponent = \"misbehave\"\n[component.misbehave]\nsource = \"misbehave.wasm\"\n"
        + "\n[[trigger.http]]\nroute = \"/raw/...\"\ncomponent = \"raw-ok\"\n[component.raw-ok]\nsource = \"raw-ok.wasm\"\n";
    std::fs::write(dir.join("spin.toml"), manifest).unwrap();
    dir
}

fn env_for(dir: &Path) -> HashMap<&'static str, String> {
    HashMap::from([
        ("SHOP_ADDR", "127.0.0.1:0".to_owned()),
        ("SHOP_OPERATOR_ADDR", "off".to_owned()),
        ("SHOP_MANIFEST", dir.join("spin.toml").display().to_string()),
        ("SHOP_COMPONENTS_DIR", dir.join("components").display().to_string()),
        ("SHOP_DATA_DIR", dir.join("data").display().to_string()),
        ("SHOP_SWAP_POLL_MS", "0".to_owned()),
    ])
}

fn request() -> hyper::Request<Full<Bytes>> {
    hyper::Request::builder().uri("http://localhost/fixture/ok").body(Full::new(Bytes::new())).unwrap()
}

/// The reference: what a native handler does for the same request (build the response,
/// collect the body), with no sandbox.
async fn native_handler(request: hyper::Request<Full<Bytes>>) -> hyper::Response<Full<Bytes>> {
    let ok = request.uri().path() == "/fixture/ok";
    hyper::Response::builder().status(if ok { 200 } else { 404 }).body(Full::new(Bytes::from_static(b"ok"))).unwrap()
}

/// One request to component `id`'s `/fixture/ok`-style handler, body included; checks the answer.
async fn time_component_call(runtime: &std::sync::Arc<shop_host::runtime::Runtime>, id: &str) -> Duration {
    let slot = runtime.slots[id].clone();
    let started = Instant::now();
    let response = handle_http(runtime, id.into(), slot.current(), request(), None).await.unwrap();
    let body = response.into_body();
    let elapsed = started.elapsed();
    assert_eq!(&body[..], b"ok");
    elapsed
}

/// The same through the native reference handler.
async fn time_native_call() -> Duration {
    let started = Instant::now();
    let body = native_handler(request()).await.into_body().collect().await.unwrap().to_bytes();
    let elapsed = started.elapsed();
    assert_eq!(&body[..], b"ok");
    elapsed
}

async fn instantiate_overhead() {
    const N: usize = 20_000;
    let dir = scratch("overhead");
    let vars = env_for(&dir);
    let app = Application::build(Settings::from_lookup(|k| vars.get(k).cloned()).unwrap()).await.unwrap();
    let runtime = app.runtime();
    let slot = runtime.slots["misbehave"].clone();
    let mut component = Vec::with_capacity(N);
    let mut native = Vec::with_capacity(N);
    // Warm up both paths, then interleave them so drift affects both alike.
    for i in 0..N + 1000 {
        let elapsed = time_component_call(&runtime, "misbehave").await;
        let native_elapsed = time_native_call().await;
        if i >= 1000 {
            component.push(elapsed);
            native.push(native_elapsed);
        }
    }
    // Instantiation alone (fresh store + instance, dropped unused), to split the figure.
    let mut instantiate_only = Vec::with_capacity(N);
    let loaded = slot.current();
    let proxy = loaded.proxy.clone().unwrap();
    for _ in 0..N {
        let started = Instant::now();
        let mut store = shop_host::runtime::serve::new_store(&runtime, "misbehave".into());
        let _instance = proxy.instantiate_async(&mut store).await.unwrap();
        drop(store);
        instantiate_only.push(started.elapsed());
    }
    // The same fixture through wasi:http (a host told not to use the exchange), and a
    // handler written on raw wit-bindgen wasi:http (no wstd).
    let wasi_dir = scratch("overhead-wasi");
    let mut wasi_vars = env_for(&wasi_dir);
    wasi_vars.insert("SHOP_HTTP_EXCHANGE", "off".to_owned());
    let wasi_app = Application::build(Settings::from_lookup(|k| wasi_vars.get(k).cloned()).unwrap()).await.unwrap();
    let wasi_runtime = wasi_app.runtime();
    let (mut wasi, mut raw) = (Vec::with_capacity(N), Vec::with_capacity(N));
    for i in 0..N + 1000 {
        let elapsed = time_component_call(&wasi_runtime, "misbehave").await;
        let raw_elapsed = time_component_call(&runtime, "raw-ok").await;
        if i >= 1000 {
            wasi.push(elapsed);
            raw.push(raw_elapsed);
        }
    }
    println!("\n== per-request overhead: fresh instance + call of a trivial HTTP handler");
    let (c50, c99) = report("component, http-exchange (instantiate + call)", component);
    let (n50, n99) = report("native handler (reference)", native);
    report("  of which: new store + instantiate + drop", instantiate_only);
    report("same component through wasi:http", wasi);
    report("raw wit-bindgen wasi:http handler (no wstd)", raw);
    println!(
        "overhead of the sandbox: p50 {:.1} µs, p99 {:.1} µs",
        (c50 - n50).as_secs_f64() * 1e6,
        (c99.saturating_sub(n99)).as_secs_f64() * 1e6
    );
    let _ = std::fs::remove_dir_all(dir);
    let _ = std::fs::remove_dir_all(wasi_dir);
}

/// Starts the release binary and times it to the first 200 of `GET /api/categories`.
fn time_to_first_200(dir: &Path, port: u16) -> Duration {
    use std::io::{Read, Write};
    let binary = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root().join("target")).join("release/shop-host");
    let mut vars = env_for(dir);
    vars.insert("SHOP_ADDR", format!("127.0.0.1:{port}"));
    let started = Instant::now();
    let mut child = std::process::Command::new(&binary)
        .envs(vars)
        .env("RUST_LOG", "warn")
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e} (run `cargo xtask build` first)", binary.display()));
    let elapsed = loop {
        if let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            let _ = stream.write_all(b"GET /api/categories HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            let mut head = [0u8; 12];
            if stream.read_exact(&mut head).is_ok() && &head[9..12] == b"200" {
                break started.elapsed();
            }
        }
        assert!(started.elapsed() < Duration::from_secs(60), "the host did not answer");
        std::thread::sleep(Duration::from_micros(500));
    };
    child.kill().unwrap();
    child.wait().unwrap();
    elapsed
}

fn cold_start() {
    const RUNS: usize = 7;
    let dir = scratch("start");
    let port = 5400 + (std::process::id() % 500) as u16;
    let cache = dir.join("data/compiled");
    let mut cold = Vec::new();
    let mut warm = Vec::new();
    let mut floor = Vec::new();
    for _ in 0..RUNS {
        let _ = std::fs::remove_dir_all(&cache);
        cold.push(time_to_first_200(&dir, port));
        // Let the background cache writes land before the warm run.
        std::thread::sleep(Duration::from_millis(300));
        warm.push(time_to_first_200(&dir, port));
        let started = Instant::now();
        std::process::Command::new("true").status().unwrap();
        floor.push(started.elapsed());
    }
    println!("\n== cold start to the first 200 of GET /api/categories ({RUNS} runs each)");
    let ms = |mut v: Vec<Duration>| {
        v.sort();
        (percentile(&v, 0.5).as_secs_f64() * 1e3, v[v.len() - 1].as_secs_f64() * 1e3)
    };
    let (c, cmax) = ms(cold);
    let (w, wmax) = ms(warm);
    let (f, _) = ms(floor);
    println!("{:<44} median {c:>7.1} ms   max {cmax:>7.1} ms", "compile cache cold (compiles 3 components)");
    println!("{:<44} median {w:>7.1} ms   max {wmax:>7.1} ms", "compile cache warm");
    println!("{:<44} median {f:>7.1} ms", "spawning `true` (reference floor)");
    println!("warm cache is {:.1}x faster than cold", c / w);
    let _ = std::fs::remove_dir_all(dir);
}

/// Query latency of `find` (filter + sort + limit 24) over 10,000 products, per backend,
/// against the same query hand-written in SQL on the same SQLite file (the reference).
async fn find_latency() {
    use serde_json::json;
    use shop_host::capabilities::documents::{
        Clause, Collection, DocumentStore, FieldPath, IndexKind, IndexSpec, Key, Op, Query,
        mongo::MongoStore,
        sqlite::{self, SqliteStore},
    };
    const PRODUCTS: usize = 10_000;
    const QUERIES: usize = 2_000;
    let dir = std::env::temp_dir().join(format!("shop-bench-find-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut backends = vec![("embedded (SQLite)", DocumentStore::Sqlite(SqliteStore::open(&dir).unwrap()))];
    if let Ok(uri) = std::env::var("MONGODB_URI") {
        let db = format!("shop_bench_{}", std::process::id());
        backends.push(("MongoDB", DocumentStore::Mongo(MongoStore::connect(&uri, Some(&db)).await.unwrap())));
    }
    let key = |f: &str, d: bool| Key { field: FieldPath::parse(f).unwrap(), descending: d };
    let c = Collection::parse("products").unwrap();
    println!("\n== find: status + category + price range, sorted by price, limit 24, over {PRODUCTS} products ({QUERIES} queries)");
    for (name, store) in &backends {
        let spec =
            IndexSpec::parse("listing", vec![key("status", false), key("category", false), key("price.amount", false)], IndexKind::Regular)
                .unwrap();
        store.ensure_index(&c, spec).await.unwrap();
        for i in 0..PRODUCTS {
            let doc = json!({
                "slug": format!("product-{i}"),
                "name": {"en": format!("Product {i}"), "ar": format!("منتج {i}")},
                "status": if i % 10 == 0 { "draft" } else { "published" },
                "category": format!("category-{}", i % 8),
                "price": {"amount": (i * 7919) % 50_000, "currency": "SAR"},
                "stock": i % 13,
            });
            store.insert(&c, doc.as_object().unwrap().clone()).await.unwrap();
        }
        let mut samples = Vec::with_capacity(QUERIES);
        for q in 0..QUERIES {
            let query = Query {
                filter: vec![
                    Clause::parse("status", Op::Eq, "\"published\"").unwrap(),
                    Clause::parse("category", Op::Eq, &format!("\"category-{}\"", q % 8)).unwrap(),
                    Clause::parse("price.amount", Op::Gte, "1000").unwrap(),
                    Clause::parse("price.amount", Op::Lte, "40000").unwrap(),
                ],
                text: None,
                sort: vec![key("price.amount", false)],
                skip: 0,
                limit: 24,
            };
            let started = Instant::now();
            let (items, total) = store.find(&c, query).await.unwrap();
            samples.push(started.elapsed());
            assert_eq!(items.len(), 24);
            assert!(total > 24);
        }
        report(&format!("{name}: find (with total)"), samples);
    }
    // The reference: the same page and count as hand-written SQL, on the same file.
    // The store's own VFS: a connection of another kind in this process would drop its lock.
    let conn =
        rusqlite::Connection::open_with_flags_and_vfs(dir.join("shop.db"), rusqlite::OpenFlags::default(), sqlite::PROCESS_ALONE_VFS)
            .unwrap();
    let mut samples = Vec::with_capacity(QUERIES);
    for q in 0..QUERIES {
        let category = format!("category-{}", q % 8);
        let started = Instant::now();
        let filter = "json_extract(body, '$.status') = 'published' AND json_extract(body, '$.category') = ?1 \
                      AND json_extract(body, '$.price.amount') >= 1000 AND json_extract(body, '$.price.amount') <= 40000";
        let total: i64 = conn
            .prepare_cached(&format!("SELECT count(*) FROM c_products WHERE {filter}"))
            .unwrap()
            .query_row([&category], |r| r.get(0))
            .unwrap();
        let mut stmt = conn
            .prepare_cached(&format!(
                "SELECT body FROM c_products WHERE {filter} ORDER BY json_extract(body, '$.price.amount'), id LIMIT 24"
            ))
            .unwrap();
        let items: Vec<String> = stmt.query_map([&category], |r| r.get(0)).unwrap().collect::<Result<_, _>>().unwrap();
        samples.push(started.elapsed());
        assert_eq!(items.len(), 24);
        assert!(total > 24);
    }
    report("hand-written SQL on the same file (reference)", samples);
    drop(backends);
    let _ = std::fs::remove_dir_all(dir);
}

/// A POST of JSON straight to the runtime (no TCP): what the front would hand a component.
async fn post_json(
    runtime: &std::sync::Arc<shop_host::runtime::Runtime>,
    path: &str,
    body: &serde_json::Value,
) -> (u16, serde_json::Value) {
    let request = hyper::Request::builder()
        .method("POST")
        .uri(format!("http://localhost{path}"))
        .header("content-type", "application/json")
        .header("spin-client-addr", "127.0.0.1:1")
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap();
    let response = handle_http(runtime, "auth".into(), runtime.slots["auth"].current(), request, None).await.unwrap();
    let status = response.status().as_u16();
    let bytes = response.into_body();
    (status, serde_json::from_slice(&bytes).unwrap_or_default())
}

/// Runs `tasks` copies of `work` for `duration` and returns completed calls per second.
async fn throughput<F, Fut>(tasks: usize, duration: Duration, work: F) -> f64
where
    F: Fn(usize) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let deadline = Instant::now() + duration;
    let handles: Vec<_> = (0..tasks)
        .map(|task| {
            let work = work.clone();
            tokio::spawn(async move {
                let mut done = 0u64;
                while Instant::now() < deadline {
                    work(task).await;
                    done += 1;
                }
                done
            })
        })
        .collect();
    let started = Instant::now();
    let mut total = 0;
    for handle in handles {
        total += handle.await.unwrap();
    }
    total as f64 / started.elapsed().as_secs_f64()
}

async fn auth_figures() {
    use argon2::password_hash::{PasswordHasher, SaltString};
    use hmac::Mac as _;
    use serde_json::json;
    use shop_host::capabilities::documents::Collection;
    use std::sync::Arc;
    const PASSWORD: &str = "correct horse battery staple";
    const ACCOUNTS: usize = 8;
    let secret = "bench-signing-key-0123456789abcdef0123";
    let dir = scratch("auth");
    let vars = env_for(&dir);
    let settings = Settings::from_lookup(|k| vars.get(k).cloned()).unwrap().with_variable("SPIN_VARIABLE_JWT_SECRET", secret);
    let app = Application::build(settings).await.unwrap();
    let runtime = app.runtime();
    for n in 0..ACCOUNTS {
        let (status, _) =
            post_json(&runtime, "/api/auth/register", &json!({"email": format!("shopper{n}@example.com"), "password": PASSWORD})).await;
        assert_eq!(status, 201);
    }
    let login = {
        let runtime = runtime.clone();
        move |n: usize| {
            let runtime = runtime.clone();
            async move {
                let (status, session) =
                    post_json(&runtime, "/api/auth/login", &json!({"email": format!("shopper{n}@example.com"), "password": PASSWORD}))
                        .await;
                assert_eq!(status, 200, "{session}");
                session
            }
        }
    };
    println!("\n== sign-in: POST /api/auth/login (argon2id m=19 MiB, t=2, p=1, in the component)");
    let mut logins = Vec::new();
    let mut hashes = Vec::new();
    let params = argon2::Params::new(19 * 1024, 2, 1, None).unwrap();
    let native = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    for i in 0..40 {
        let started = Instant::now();
        login(i % ACCOUNTS).await;
        logins.push(started.elapsed());
        let salt = SaltString::encode_b64(&[i as u8; 16]).unwrap();
        let started = Instant::now();
        native.hash_password(PASSWORD.as_bytes(), &salt).unwrap();
        hashes.push(started.elapsed());
    }
    let (component_login, _) = report("one login, component (hash + tokens + store)", logins);
    let (native_hash, _) = report("one argon2id hash, native (reference)", hashes);
    println!("login / native hash: {:.2}x", component_login.as_secs_f64() / native_hash.as_secs_f64());
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let per_second = throughput(ACCOUNTS, Duration::from_secs(6), move |task| {
        let login = login.clone();
        async move {
            login(task).await;
        }
    })
    .await;
    println!("logins/s with {ACCOUNTS} concurrent clients on {cores} cores: {per_second:.1}");

    let session = post_json(&runtime, "/api/auth/login", &json!({"email": "shopper0@example.com", "password": PASSWORD})).await.1;
    let token: Arc<str> = session["access_token"].as_str().unwrap().into();
    let user_id = session["user"]["id"].as_str().unwrap().to_owned();
    // The reference does the same work natively: check the HS256 signature, read the claims,
    // read the user.
    let users = Arc::new(Collection::parse("users").unwrap());
    let native_verify = {
        let (runtime, token, users) = (runtime.clone(), token.clone(), users.clone());
        move || {
            let (runtime, token, users) = (runtime.clone(), token.clone(), users.clone());
            async move {
                use base64::Engine as _;
                let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
                let (signed, signature) = token.rsplit_once('.').unwrap();
                let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
                mac.update(signed.as_bytes());
                mac.verify_slice(&b64.decode(signature).unwrap()).unwrap();
                let claims: serde_json::Value = serde_json::from_slice(&b64.decode(signed.split('.').nth(1).unwrap()).unwrap()).unwrap();
                let user = runtime.documents.get(&users, claims["sub"].as_str().unwrap()).await.unwrap().unwrap();
                assert!(user.contains("\"role\""));
            }
        }
    };
    let component_verify = {
        let (runtime, token) = (runtime.clone(), token.clone());
        move || {
            let (runtime, token) = (runtime.clone(), token.clone());
            async move {
                let principal = shop_host::runtime::links::verify_token(&runtime, &token).await.unwrap().unwrap();
                assert!(!principal.user_id.is_empty());
            }
        }
    };
    println!("\n== auth.verify-token through the component boundary (fresh auth instance per call)");
    let (mut through, mut native) = (Vec::new(), Vec::new());
    for i in 0..6_000 {
        let started = Instant::now();
        component_verify().await;
        let component_elapsed = started.elapsed();
        let started = Instant::now();
        native_verify().await;
        if i >= 1_000 {
            through.push(component_elapsed);
            native.push(started.elapsed());
        }
    }
    report("verify-token, component", through);
    report("same work natively (reference)", native);
    let tasks = 4 * cores;
    let component_rate = throughput(tasks, Duration::from_secs(4), {
        let component_verify = component_verify.clone();
        move |_| component_verify()
    })
    .await;
    let native_rate = throughput(tasks, Duration::from_secs(4), {
        let native_verify = native_verify.clone();
        move |_| native_verify()
    })
    .await;
    println!(
        "calls/s with {tasks} concurrent callers: component {component_rate:.0}, native {native_rate:.0} (ratio {:.2})",
        component_rate / native_rate
    );
    assert_eq!(user_id, shop_host::runtime::links::verify_token(&runtime, &token).await.unwrap().unwrap().user_id);
    drop(app);
    let _ = std::fs::remove_dir_all(dir);
}

fn main() {
    // `cargo test --benches` runs this binary with `--bench`-less args: keep it to `cargo bench`.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    // `cargo bench -p shop-host -- auth` runs the sections whose name contains a word given.
    let words: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let wanted = |section: &str| words.is_empty() || words.iter().any(|w| section.contains(w.as_str()));
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    if wanted("overhead") {
        runtime.block_on(instantiate_overhead());
        // The same on one thread: the difference is the cost of waking other threads (the
        // guest's task, the response and body channels), which a loaded server amortises.
        println!("\n(single-threaded runtime: no cross-thread wake-ups)");
        tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(instantiate_overhead());
    }
    if wanted("find") {
        runtime.block_on(find_latency());
    }
    if wanted("auth") {
        runtime.block_on(auth_figures());
    }
    if wanted("cold-start") {
        cold_start();
    }
    if wanted("media") {
        runtime.block_on(media_figures());
    }
}

/// Mean SSIM of two images' luma (BT.601), with an 11×11 Gaussian window (σ = 1.5), as in
/// Wang et al. 2004.
fn ssim(a: &image::RgbImage, b: &image::RgbImage) -> f64 {
    assert_eq!(a.dimensions(), b.dimensions(), "SSIM needs images of one size");
    let (w, h) = (a.width() as usize, a.height() as usize);
    let luma =
        |img: &image::RgbImage| img.pixels().map(|p| 0.299 * p[0] as f64 + 0.587 * p[1] as f64 + 0.114 * p[2] as f64).collect::<Vec<f64>>();
    let (x, y) = (luma(a), luma(b));
    let kernel: Vec<f64> = {
        let k: Vec<f64> = (-5..=5).map(|i: i32| (-(i * i) as f64 / (2.0 * 1.5 * 1.5)).exp()).collect();
        let sum: f64 = k.iter().sum();
        k.into_iter().map(|v| v / sum).collect()
    };
    let blur = |src: &[f64]| -> Vec<f64> {
        let mut tmp = vec![0.0; w * h];
        let mut out = vec![0.0; w * h];
        for r in 0..h {
            for c in 0..w {
                tmp[r * w + c] = kernel.iter().enumerate().map(|(i, k)| k * src[r * w + (c + i).saturating_sub(5).min(w - 1)]).sum();
            }
        }
        for r in 0..h {
            for c in 0..w {
                out[r * w + c] = kernel.iter().enumerate().map(|(i, k)| k * tmp[(r + i).saturating_sub(5).min(h - 1) * w + c]).sum();
            }
        }
        out
    };
    let product = |p: &[f64], q: &[f64]| p.iter().zip(q).map(|(a, b)| a * b).collect::<Vec<f64>>();
    let (mx, my) = (blur(&x), blur(&y));
    let (sxx, syy, sxy) = (blur(&product(&x, &x)), blur(&product(&y, &y)), blur(&product(&x, &y)));
    let (c1, c2) = ((0.01f64 * 255.0).powi(2), (0.03f64 * 255.0).powi(2));
    let total: f64 = (0..w * h)
        .map(|i| {
            let (vx, vy, cov) = (sxx[i] - mx[i] * mx[i], syy[i] - my[i] * my[i], sxy[i] - mx[i] * my[i]);
            ((2.0 * mx[i] * my[i] + c1) * (2.0 * cov + c2)) / ((mx[i] * mx[i] + my[i] * my[i] + c1) * (vx + vy + c2))
        })
        .sum();
    total / (w * h) as f64
}

/// A large JPEG to 1600 px lossy WebP at q80 in the media component, with the size and SSIM
/// of its output and of the references `bench/media.sh` made in the same run (`cwebp`,
/// Sharp), each against the source resized by ImageMagick.
async fn media_figures() {
    use shop_host::bindings::shop::platform::media::Options;
    let Ok(input) = std::env::var("BENCH_MEDIA_INPUT") else {
        println!("\n== media: skipped (bench/media.sh sets BENCH_MEDIA_INPUT and makes the references)");
        return;
    };
    let work = PathBuf::from(std::env::var("BENCH_MEDIA_DIR").expect("BENCH_MEDIA_DIR"));
    let source = std::fs::read(&input).unwrap();
    let dir = scratch("media");
    let vars = env_for(&dir);
    let settings = Settings::from_lookup(|k| vars.get(k).cloned()).unwrap();
    let app = Application::build(settings).await.unwrap();
    let runtime = app.runtime();
    let options = Options { widths: vec![1600], quality: 80, max_bytes: 64 << 20, max_pixels: 100_000_000 };
    let mut samples = Vec::new();
    let mut output = Vec::new();
    for run in 0..6 {
        let started = Instant::now();
        let processed = shop_host::runtime::links::process_image(&runtime, source.clone(), options.clone()).await.unwrap().unwrap();
        // The first call compiles nothing (the cache is warm) but faults pages in: a warm-up.
        if run > 0 {
            samples.push(started.elapsed());
        }
        output = processed.variants.into_iter().last().unwrap().bytes;
    }
    samples.sort();
    let component_ms = samples[samples.len() / 2].as_secs_f64() * 1000.0;
    std::fs::write(work.join("component.webp"), &output).unwrap();
    let reference = image::open(work.join("reference.png")).unwrap().into_rgb8();
    let decoded = |name: &str| image::open(work.join(name)).unwrap().into_rgb8();
    let ms = |name: &str| std::env::var(name).ok().and_then(|v| v.trim().parse::<f64>().ok()).unwrap_or(f64::NAN);
    let (src_w, src_h) = image::image_dimensions(&input).unwrap();
    println!("\n== media: {src_w}×{src_h} JPEG ({} KiB) → 1600 px lossy WebP q80 (median of 5 runs each, one thread)", source.len() / 1024);
    println!("{:<38} {:>9} {:>9} {:>9} {:>9} {:>8}", "", "ms", "× comp.", "bytes", "× comp.", "SSIM");
    let size = |name: &str| std::fs::metadata(work.join(name)).unwrap().len() as f64;
    for (label, file, time) in [
        ("media component (wasm, in the host)", "component.webp", component_ms),
        ("cwebp -q 80 -resize 1600 0 (native)", "cwebp.webp", ms("BENCH_MEDIA_CWEBP_MS")),
        ("Sharp 0.34.5 (libvips, native)", "sharp.webp", ms("BENCH_MEDIA_SHARP_MS")),
    ] {
        let image = decoded(file);
        println!(
            "{label:<38} {time:>9.1} {:>9.2} {:>9} {:>9.3} {:>8.4}",
            time / component_ms,
            size(file) as u64,
            size(file) / size("component.webp"),
            ssim(&reference, &image)
        );
    }
    let _ = std::fs::remove_dir_all(dir);
}
