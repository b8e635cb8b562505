//! The deployment through real nginx: the project's own configuration (`nginx/render.sh`
//! renders `nginx/templates/` for loopback ports and a certificate from
//! `nginx/make-cert.sh`) in front of two host processes sharing one store and the
//! storefront. It checks routing, TLS, compression, caching, request ids, the sign-in rate
//! limit, the upload size limit, and that killing a host leaves the shop serving.
//!
//! Needs Debian's nginx (`cargo xtask test` installs it when run as root).

mod support;

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use support::{ADMIN_EMAIL, ADMIN_PASSWORD, Process, free_port, host_binary, project_root, start_web, test_png, wait_ok};

/// The body limit the hosts and nginx share (nginx's `16m`).
const MAX_BODY: usize = 16 * 1024 * 1024;

fn nginx_binary() -> PathBuf {
    let path = PathBuf::from(std::env::var("NGINX").unwrap_or_else(|_| "/usr/sbin/nginx".into()));
    assert!(path.exists(), "{} is missing: run `cargo xtask test` (as root it installs Debian's nginx), or set NGINX", path.display());
    path
}

struct Deployment {
    https: String,
    http_port: u16,
    client: Client,
    token: String,
    dir: tempfile::TempDir,
    hosts: Vec<Option<Process>>,
    _web: Process,
    _nginx: Process,
}

fn start_host(data: &Path, port: u16, log: &Path) -> Process {
    Process::new(
        Command::new(host_binary())
            .env("SHOP_ADDR", format!("127.0.0.1:{port}"))
            .env("SHOP_OPERATOR_ADDR", "off")
            .env("SHOP_MANIFEST", project_root().join("spin.toml"))
            .env("SHOP_COMPONENTS_DIR", project_root().join("dist/components"))
            .env("SHOP_DATA_DIR", data)
            .env("SHOP_STORE_SHARED", "true")
            .env("SHOP_SWAP_POLL_MS", "0")
            .env("SHOP_ADMIN_EMAIL", ADMIN_EMAIL)
            .env("SHOP_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env("SHOP_TRUSTED_PROXIES", "127.0.0.1")
            .env("SPIN_VARIABLE_JWT_SECRET", "deployment-test-signing-key-0123456789")
            .env("LOG_FORMAT", "json")
            .env("RUST_LOG", "warn,http=info")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(log).unwrap())
            .spawn()
            .expect("the host binary starts"),
    )
}

impl Deployment {
    async fn start() -> Deployment {
        let dir = tempfile::tempdir().unwrap();
        // nginx's workers (an unprivileged user when the tests run as root) read and write here.
        #[cfg(unix)]
        std::fs::set_permissions(dir.path(), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        let data = dir.path().join("data");
        let host_ports = [free_port(), free_port()];
        let first = start_host(&data, host_ports[0], &dir.path().join("host-0.log"));
        let plain = Client::builder().timeout(Duration::from_secs(60)).build().unwrap();
        // The first host makes the store and the admin; the second then shares them.
        wait_ok(&plain, &format!("http://127.0.0.1:{}/readyz", host_ports[0])).await;
        let second = start_host(&data, host_ports[1], &dir.path().join("host-1.log"));
        wait_ok(&plain, &format!("http://127.0.0.1:{}/readyz", host_ports[1])).await;

        let (http_port, https_port, internal_port, web_port) = (free_port(), free_port(), free_port(), free_port());
        let certs = dir.path().join("certs");
        let made = Command::new("sh").arg(project_root().join("nginx/make-cert.sh")).arg(&certs).status().unwrap();
        assert!(made.success(), "make-cert.sh failed");
        let conf = dir.path().join("nginx");
        let servers =
            host_ports.iter().map(|p| format!("server 127.0.0.1:{p} max_fails=1 fail_timeout=30s;")).collect::<Vec<_>>().join(" ");
        let rendered = Command::new("sh")
            .arg(project_root().join("nginx/render.sh"))
            .arg(&conf)
            .env("NGINX_HOST_SERVERS", servers)
            .env("NGINX_WEB_SERVERS", format!("server 127.0.0.1:{web_port};"))
            .env("NGINX_TLS_CERT", certs.join("cert.pem"))
            .env("NGINX_TLS_KEY", certs.join("key.pem"))
            .env("NGINX_HTTP_PORT", format!("127.0.0.1:{http_port}"))
            .env("NGINX_HTTPS_PORT", format!("127.0.0.1:{https_port}"))
            .env("NGINX_HTTPS_PORT_SUFFIX", format!(":{https_port}"))
            .env("NGINX_INTERNAL_PORT", format!("127.0.0.1:{internal_port}"))
            .env("NGINX_ACCESS_LOG", dir.path().join("access.log"))
            .env("NGINX_ACME_ROOT", dir.path().join("acme"))
            .status()
            .unwrap();
        assert!(rendered.success(), "render.sh failed");
        let nginx = Process::terminated_on_drop(
            Command::new(nginx_binary())
                .arg("-p")
                .arg(&conf)
                .arg("-c")
                .arg(conf.join("nginx.conf"))
                .args(["-g", "daemon off;"])
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(dir.path().join("nginx-error.log")).unwrap())
                .spawn()
                .expect("nginx starts"),
        );
        // The storefront calls the API through nginx's inside listener, so it fails over too.
        let web = start_web(&format!("http://127.0.0.1:{internal_port}"), web_port);
        let certificate = reqwest::Certificate::from_pem(&std::fs::read(certs.join("cert.pem")).unwrap()).unwrap();
        let client = Client::builder()
            .tls_built_in_root_certs(false)
            .add_root_certificate(certificate)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap();
        let https = format!("https://127.0.0.1:{https_port}");
        wait_ok(&plain, &format!("http://127.0.0.1:{web_port}/healthz")).await;
        let started = Instant::now();
        loop {
            match client.get(format!("{https}/api/categories")).send().await {
                Ok(response) if response.status().is_success() => break,
                outcome if started.elapsed() > Duration::from_secs(30) => panic!(
                    "nginx did not serve {https}/api/categories: {outcome:?}\nnginx's log: {}",
                    std::fs::read_to_string(dir.path().join("nginx-error.log")).unwrap_or_default()
                ),
                _ => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
        let session: Value = client
            .post(format!("{https}/api/auth/login"))
            .json(&json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let token = session["access_token"].as_str().expect("the admin signs in through nginx").to_owned();
        Deployment { https, http_port, client, token, dir, hosts: vec![Some(first), Some(second)], _web: web, _nginx: nginx }
    }

    async fn admin(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let response =
            self.client.request(method, format!("{}{path}", self.https)).bearer_auth(&self.token).json(&body).send().await.unwrap();
        let status = response.status();
        let value: Value = response.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "{path}: {status} {value}");
        value
    }

    fn log(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(name)).unwrap_or_default()
    }
}

/// A PNG of `total` bytes: a small picture and a private ancillary chunk (which decoders
/// skip) of padding, with a correct checksum.
fn padded_png(total: usize) -> Vec<u8> {
    let mut png = test_png(64, 48);
    let iend = png.split_off(png.len() - 12);
    let padding = total - png.len() - iend.len() - 12;
    let mut chunk = Vec::with_capacity(padding + 12);
    chunk.extend_from_slice(&(padding as u32).to_be_bytes());
    chunk.extend_from_slice(b"zzPd");
    chunk.extend(std::iter::repeat_n(0x5a, padding));
    let crc = crc32fast::hash(&chunk[4..]);
    chunk.extend_from_slice(&crc.to_be_bytes());
    png.extend_from_slice(&chunk);
    png.extend_from_slice(&iend);
    assert_eq!(png.len(), total);
    png
}

/// A multipart body of exactly `total` bytes: two PNG parts named `images`.
fn upload_body(total: usize) -> (String, Vec<u8>) {
    let boundary = "shop-deployment-test-boundary";
    let head = |n: usize| {
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"images\"; filename=\"pad{n}.png\"\r\nContent-Type: image/png\r\n\r\n"
        )
    };
    let tail = format!("\r\n--{boundary}--\r\n");
    let overhead = head(0).len() + 2 + head(1).len() + tail.len();
    let first = (total - overhead) / 2;
    let second = total - overhead - first;
    let mut body = head(0).into_bytes();
    body.extend(padded_png(first));
    body.extend_from_slice(b"\r\n");
    body.extend(head(1).into_bytes());
    body.extend(padded_png(second));
    body.extend(tail.into_bytes());
    assert_eq!(body.len(), total);
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Uploads a multipart body of exactly `size` bytes to the product's images, as the admin.
async fn upload(shop: &Deployment, slug: &str, size: usize) -> reqwest::Response {
    let (content_type, body) = upload_body(size);
    let url = format!("{}/api/products/{slug}/images", shop.https);
    shop.client.post(url).bearer_auth(&shop.token).header("content-type", content_type).body(body).send().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_shop_behind_nginx() {
    let mut shop = Deployment::start().await;
    let https = shop.https.clone();
    let client = shop.client.clone();

    // A small catalogue, made through nginx.
    let category = shop.admin(reqwest::Method::POST, "/api/categories", json!({"name": {"en": "Lamps", "ar": "مصابيح"}})).await;
    let mut slugs = Vec::new();
    for i in 0..3 {
        let product = shop
            .admin(
                reqwest::Method::POST,
                "/api/products",
                json!({
                    "name": {"en": format!("Brass Lamp {i}"), "ar": format!("مصباح نحاسي {i}")},
                    "description": {"en": "Hand-made in Damascus.", "ar": "صنع يدويًا في دمشق."},
                    "price": {"amount": 4500 + i * 100, "currency": "SAR"},
                    "stock": 5, "category": category["id"], "status": "published",
                }),
            )
            .await;
        slugs.push(product["slug"].as_str().unwrap().to_owned());
    }

    // Routing: /api to a host, pages to the storefront, over HTTP/2 with TLS.
    let api = client.get(format!("{https}/api/products")).send().await.unwrap();
    assert_eq!(api.status(), 200);
    assert_eq!(api.version(), reqwest::Version::HTTP_2, "TLS with HTTP/2 (ALPN)");
    assert!(api.headers().contains_key("x-component-version"), "a host answered /api");
    assert!(api.headers()["strict-transport-security"].to_str().unwrap().contains("max-age="), "HSTS");
    assert_eq!(api.headers().get_all("x-content-type-options").iter().count(), 1, "each security header once");
    let request_id = api.headers()["x-request-id"].to_str().unwrap().to_owned();
    let page = client.get(format!("{https}/p/{}", slugs[0])).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    assert!(page.text().await.unwrap().contains("Brass Lamp 0"), "the storefront renders through nginx");
    assert_eq!(client.get(format!("{https}/metrics")).send().await.unwrap().status(), 404, "metrics stay inside");

    // Plain HTTP redirects to HTTPS, path and query kept.
    let plain = Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let redirect = plain.get(format!("http://127.0.0.1:{}/c/lamps?page=2", shop.http_port)).send().await.unwrap();
    assert_eq!(redirect.status(), StatusCode::MOVED_PERMANENTLY);
    assert_eq!(redirect.headers()["location"], format!("{https}/c/lamps?page=2").as_str());

    // Compression: gzip for JSON from the host, brotli too when the module is installed.
    let gzip = client.get(format!("{https}/api/products")).header("accept-encoding", "gzip").send().await.unwrap();
    assert_eq!(gzip.headers()["content-encoding"], "gzip");
    if Path::new(&shop.dir.path().join("nginx/conf.d/brotli.conf")).exists() {
        let br = client.get(format!("{https}/api/products")).header("accept-encoding", "br").send().await.unwrap();
        assert_eq!(br.headers()["content-encoding"], "br");
    }

    // Request ids: the id nginx made reached the host and both logged it.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(shop.log("access.log").contains(&format!("\"request_id\":\"{request_id}\"")), "nginx logs the id");
    let host_logs = shop.log("host-0.log") + &shop.log("host-1.log");
    assert!(host_logs.contains(&format!("\"request_id\":\"{request_id}\"")), "a host logs nginx's id (JSON logs)");

    // An upload of exactly the limit passes nginx and is processed; one byte more is
    // refused by nginx itself, before any host sees it.
    let at_limit = upload(&shop, &slugs[0], MAX_BODY).await;
    let status = at_limit.status();
    assert!(status.is_success(), "an upload at the limit: {status} {}", at_limit.text().await.unwrap_or_default());
    let over = upload(&shop, &slugs[0], MAX_BODY + 1).await;
    assert_eq!(over.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(!over.headers().contains_key("x-component-version"), "nginx refused it, not a host");
    assert_eq!(over.headers()["content-type"], "application/problem+json");

    // Uploads: the host's year of immutable caching, and nginx's own copy.
    let product: Value = client.get(format!("{https}/api/products/{}", slugs[0])).send().await.unwrap().json().await.unwrap();
    let url = product["images"][0]["variants"][0]["url"].as_str().expect("the product has an image").to_owned();
    let first = client.get(format!("{https}{url}")).send().await.unwrap();
    assert_eq!(first.status(), 200);
    assert_eq!(first.headers()["content-type"], "image/webp");
    assert!(first.headers()["cache-control"].to_str().unwrap().contains("immutable"));
    let second = client.get(format!("{https}{url}")).send().await.unwrap();
    assert_eq!(second.headers()["x-cache-status"], "HIT", "nginx serves a cached copy");

    // The sign-in rate limit: a burst from one address meets 429 from nginx.
    let attempts = futures_util::future::join_all((0..60).map(|_| {
        let client = client.clone();
        let url = format!("{https}/api/auth/me");
        async move { client.get(url).send().await.unwrap() }
    }))
    .await;
    let limited: Vec<_> = attempts.iter().filter(|r| r.status() == StatusCode::TOO_MANY_REQUESTS).collect();
    assert!(!limited.is_empty(), "60 requests at once exceed the burst of 20");
    assert!(attempts.iter().any(|r| r.status() == StatusCode::UNAUTHORIZED), "those within the limit reach the host");
    assert_eq!(limited[0].headers()["content-type"], "application/problem+json");
    assert!(limited[0].headers().contains_key("retry-after"));

    // Killing one host: shoppers keep being served; at most the requests in flight on it fail.
    let stop = Arc::new(AtomicBool::new(false));
    let (ok, failed, after_kill) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let killed = Arc::new(AtomicBool::new(false));
    const CLIENTS: usize = 8;
    let workers: Vec<_> = (0..CLIENTS)
        .map(|i| {
            let (client, stop, ok, failed, after_kill, killed) =
                (client.clone(), stop.clone(), ok.clone(), failed.clone(), after_kill.clone(), killed.clone());
            let url = if i % 2 == 0 { format!("{https}/api/products?per_page=24") } else { format!("{https}/p/{}", slugs[i % 3]) };
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    let served = match client.get(&url).send().await {
                        Ok(response) => response.status().is_success() && response.bytes().await.is_ok(),
                        Err(_) => false,
                    };
                    if served {
                        ok.fetch_add(1, Ordering::Relaxed);
                        if killed.load(Ordering::Relaxed) {
                            after_kill.fetch_add(1, Ordering::Relaxed);
                        }
                    } else {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let served_before = ok.load(Ordering::Relaxed);
    shop.hosts[0].take(); // SIGKILL, then reaped
    killed.store(true, Ordering::Relaxed);
    let killed_at = Instant::now();
    tokio::time::sleep(Duration::from_secs(4)).await;
    stop.store(true, Ordering::Relaxed);
    for worker in workers {
        worker.await.unwrap();
    }
    let (served, failures, served_after) = (ok.load(Ordering::Relaxed), failed.load(Ordering::Relaxed), after_kill.load(Ordering::Relaxed));
    println!(
        "one host killed: {served} requests served ({served_before} before the kill, {served_after} in the {:?} after), {failures} failed",
        killed_at.elapsed()
    );
    assert!(served_before > 0 && served_after > 0, "the shop served before and after the kill");
    assert!(failures <= CLIENTS, "at most the requests in flight may fail, not {failures}");
    // And writes still work, on the surviving host.
    shop.admin(reqwest::Method::PATCH, &format!("/api/products/{}", slugs[1]), json!({"stock": 9, "version": 1})).await;
}
