//! Starts a real shop for the storefront's tests: the host binary with the real components
//! on a scratch data directory, a small bilingual catalogue made through the API, and the
//! storefront binary in front of it, each on a free loopback port.

#![allow(dead_code)]

use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub const ADMIN_EMAIL: &str = "admin@example.com";
pub const ADMIN_PASSWORD: &str = "a long admin passphrase";

pub fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_owned()
}

pub use test_support::{Process, free_port};

/// The host binary: beside this test's storefront binary (both built by `cargo xtask`).
pub fn host_binary() -> PathBuf {
    let web = PathBuf::from(env!("CARGO_BIN_EXE_shop-web"));
    let host = web.with_file_name("shop-host");
    assert!(host.exists(), "{} is missing: run `cargo xtask test`", host.display());
    host
}

/// A running host, storefront and catalogue.
pub struct Shop {
    pub api: String,
    pub web: String,
    pub client: reqwest::Client,
    pub token: String,
    _dir: tempfile::TempDir,
    _host: Process,
    _web: Process,
}

pub async fn wait_ok(client: &reqwest::Client, url: &str) {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(60) {
        if let Ok(response) = client.get(url).send().await
            && response.status().is_success()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{url} did not answer in time");
}

/// Starts the storefront in front of `api`.
pub fn start_web(api: &str, port: u16) -> Process {
    start_web_with(api, port, &[])
}

/// Starts the storefront in front of `api`, with more settings.
pub fn start_web_with(api: &str, port: u16, env: &[(&str, &str)]) -> Process {
    Process::new(
        Command::new(env!("CARGO_BIN_EXE_shop-web"))
            .env("WEB_ADDR", format!("127.0.0.1:{port}"))
            .env("API_URL", api)
            .env("WEB_SITE_DIR", project_root().join("dist/web"))
            .env("RUST_LOG", "warn")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .spawn()
            .expect("the storefront binary starts"),
    )
}

impl Shop {
    /// Starts everything and fills the catalogue.
    #[allow(dead_code)] // Each test binary uses one of the two.
    pub async fn start() -> Shop {
        Self::start_with(&[]).await
    }

    /// Starts everything with more settings for the host, and fills the catalogue.
    pub async fn start_with(host_env: &[(&str, &str)]) -> Shop {
        let dir = tempfile::tempdir().unwrap();
        let (api_port, web_port) = (free_port(), free_port());
        let host = Process::new(
            Command::new(host_binary())
                .env("SHOP_ADDR", format!("127.0.0.1:{api_port}"))
                .env("SHOP_OPERATOR_ADDR", "off")
                .env("SHOP_MANIFEST", project_root().join("spin.toml"))
                .env("SHOP_COMPONENTS_DIR", project_root().join("dist/components"))
                .env("SHOP_DATA_DIR", dir.path().join("data"))
                .env("SHOP_SWAP_POLL_MS", "0")
                .env("SHOP_ADMIN_EMAIL", ADMIN_EMAIL)
                .env("SHOP_ADMIN_PASSWORD", ADMIN_PASSWORD)
                .env("SHOP_TRUSTED_PROXIES", "127.0.0.1")
                .env("SPIN_VARIABLE_JWT_SECRET", "storefront-test-signing-key-0123456789")
                .env("RUST_LOG", "error")
                .envs(host_env.iter().copied())
                .stdout(Stdio::null())
                .spawn()
                .expect("the host binary starts"),
        );
        let client =
            reqwest::Client::builder().timeout(Duration::from_secs(60)).redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let api = format!("http://127.0.0.1:{api_port}");
        wait_ok(&client, &format!("{api}/readyz")).await;
        let session: Value = client
            .post(format!("{api}/api/auth/login"))
            .json(&json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let token = session["access_token"].as_str().expect("the admin signs in").to_owned();
        let web_process = start_web(&api, web_port);
        let web = format!("http://127.0.0.1:{web_port}");
        wait_ok(&client, &format!("{web}/healthz")).await;
        let shop = Shop { api, web, client, token, _dir: dir, _host: host, _web: web_process };
        shop.seed().await;
        shop
    }

    /// An admin call to the API.
    pub async fn admin(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let response =
            self.client.request(method, format!("{}{path}", self.api)).bearer_auth(&self.token).json(&body).send().await.unwrap();
        let status = response.status();
        let value: Value = response.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "{path}: {status} {value}");
        value
    }

    /// Two categories; 30 coffees (enough for two pages of 24) with prices 10.00…39.00 SAR,
    /// every third out of stock; 3 dates; one draft. The first coffee has an image.
    async fn seed(&self) {
        use reqwest::Method;
        let coffee = self.admin(Method::POST, "/api/categories", json!({"name": {"en": "Coffee", "ar": "قهوة"}, "sort_order": 1})).await;
        let dates = self.admin(Method::POST, "/api/categories", json!({"name": {"en": "Dates", "ar": "تمور"}, "sort_order": 2})).await;
        for i in 0..30 {
            self.admin(
                Method::POST,
                "/api/products",
                json!({
                    "name": {"en": format!("Coffee Blend {i:02}"), "ar": format!("خلطة قهوة {i:02}")},
                    "description": {"en": format!("A roast of beans number {i}."), "ar": format!("تحميص حبوب رقم {i}.")},
                    "price": {"amount": 1000 + i * 100, "currency": "SAR"},
                    "stock": if i % 3 == 0 { 0 } else { 10 + i },
                    "category": coffee["id"],
                    "featured": i < 4,
                    "status": "published",
                }),
            )
            .await;
        }
        let dates_names = [("Sukkari Dates", "تمر سكري"), ("Ajwa Dates", "تمر عجوة"), ("Medjool Dates", "تمر مجهول")];
        for (i, (en, ar)) in dates_names.iter().enumerate() {
            self.admin(
                Method::POST,
                "/api/products",
                json!({
                    "name": {"en": en, "ar": ar},
                    "description": {"en": "Soft dates from Al-Qassim.", "ar": "تمور طرية من القصيم."},
                    "price": {"amount": 4500 + i as i64 * 1000, "currency": "SAR"},
                    "stock": 5,
                    "category": dates["id"],
                    "status": "published",
                }),
            )
            .await;
        }
        self.admin(
            Method::POST,
            "/api/products",
            json!({
                "name": {"en": "Secret Draft", "ar": "مسودة سرية"},
                "price": {"amount": 100, "currency": "SAR"},
                "stock": 1,
                "category": dates["id"],
                "status": "draft",
            }),
        )
        .await;
        let form = reqwest::multipart::Form::new()
            .part("images", reqwest::multipart::Part::bytes(test_png(800, 600)).file_name("blend.png").mime_str("image/png").unwrap());
        let response = self
            .client
            .post(format!("{}/api/products/coffee-blend-00/images", self.api))
            .bearer_auth(&self.token)
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "image upload: {}", response.status());
    }

    /// `GET` on the storefront.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(format!("{}{path}", self.web)).send().await.unwrap()
    }

    /// The HTML of a storefront page that must answer 200.
    pub async fn page(&self, path: &str) -> String {
        let response = self.get(path).await;
        assert_eq!(response.status(), 200, "GET {path}");
        response.text().await.unwrap()
    }
}

/// A PNG with a gradient, made here so no binary fixture is needed.
pub fn test_png(width: u32, height: u32) -> Vec<u8> {
    let image = image::RgbImage::from_fn(width, height, |x, y| image::Rgb([(x * 255 / width) as u8, (y * 255 / height) as u8, 96]));
    let mut bytes = std::io::Cursor::new(Vec::new());
    image.write_to(&mut bytes, image::ImageFormat::Png).unwrap();
    bytes.into_inner()
}
