//! Storage that fails under a running host, on tmpfs mounts the tests make: a full disk
//! under the data directory refuses writes with 507 and loses nothing acknowledged, reads go
//! on, and writes succeed again once room is made; a read-only uploads directory refuses
//! images with 503 and changes nothing. Neither needs a restart to recover.

use crate::helpers::{Options, TestApp, assert_problem, skipped_on_mongodb, spawn_in};
use crate::pictures::{halves, jpeg};
use reqwest::Method;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A tmpfs mounted for the test, unmounted when it ends (passed or not).
struct Tmpfs {
    dir: PathBuf,
}

impl Tmpfs {
    /// Mounts a tmpfs of `size` (`mount`'s syntax, `2m`) at `dir`. Mounting needs root, as
    /// the suite runs in CI; elsewhere it panics saying so.
    fn mount(dir: &Path, size: &str) -> Self {
        std::fs::create_dir_all(dir).unwrap();
        let status = Command::new("mount").args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"]).arg(dir).status();
        assert!(status.is_ok_and(|s| s.success()), "mounting a tmpfs failed: this test needs root (or CAP_SYS_ADMIN), as `.ci/run` has");
        Self { dir: dir.to_owned() }
    }

    /// Gives the file system `size` in all: room is made.
    fn resize(&self, size: &str) {
        let status = Command::new("mount").args(["-o", &format!("remount,size={size}")]).arg(&self.dir).status().unwrap();
        assert!(status.success());
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.dir).status();
    }
}

fn product(n: usize) -> Value {
    json!({
        "name": {"en": format!("Filler {n}"), "ar": format!("حشو {n}")},
        "description": {"en": "x".repeat(4000), "ar": "ي".repeat(2000)},
        "price": {"amount": 100 + n, "currency": "SAR"},
        "stock": 1,
        "status": "published",
    })
}

async fn upload(app: &TestApp, product: &str) -> reqwest::Response {
    let form = Form::new().part("images", Part::bytes(jpeg(&halves(640, 480))).file_name("a.jpg").mime_str("image/jpeg").unwrap());
    app.as_admin(Method::POST, &format!("/api/products/{product}/images")).multipart(form).send().await.unwrap()
}

#[tokio::test]
async fn a_full_disk_refuses_writes_with_507_keeps_reads_and_recovers_without_a_restart() {
    if skipped_on_mongodb("the documents are on the MongoDB server's disk, not this one") {
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let disk = Tmpfs::mount(&root.path().join("data"), "2m");
    let app = spawn_in(root.path(), &Options::default()).await;

    // Fill the disk through the API: every product acknowledged until the first refusal.
    let mut saved: Vec<Value> = Vec::new();
    let refusal = loop {
        assert!(saved.len() < 1000, "2 MiB never filled up");
        let response = app.admin_post_json("/api/products", &product(saved.len())).await;
        if response.status() != 201 {
            break response;
        }
        saved.push(response.json().await.unwrap());
    };
    assert!(saved.len() >= 5, "only {} products fitted", saved.len());
    let problem = assert_problem(refusal, 507, None).await;
    assert_eq!(problem["type"], "/problems/insufficient-storage", "{problem}");
    // Other writes are refused the same way, an image's files included. A smaller write may
    // still fit where the refused one did not (the refused transaction's frames in SQLite's
    // log file are room the next one reuses), so categories fill that room first: each is
    // acknowledged or refused with 507, and what was acknowledged is kept.
    let mut categories: Vec<Value> = Vec::new();
    let refusal = loop {
        assert!(categories.len() < 200, "small writes never filled the room left");
        let n = categories.len();
        let response =
            app.admin_post_json("/api/categories", &json!({"name": {"en": format!("More {n}"), "ar": format!("المزيد {n}")}})).await;
        if response.status() != 201 {
            break response;
        }
        categories.push(response.json().await.unwrap());
    };
    eprintln!("{} products, then {} categories fitted", saved.len(), categories.len());
    let problem = assert_problem(refusal, 507, None).await;
    assert_eq!(problem["type"], "/problems/insufficient-storage", "{problem}");
    let first = saved[0]["id"].as_str().unwrap().to_owned();
    assert_problem(upload(&app, &first).await, 507, None).await;

    // Reads go on: the listing, a search, each product.
    let listing: Value = app.get(&format!("/api/products?per_page={}", saved.len())).await.json().await.unwrap();
    assert_eq!(listing["total"], saved.len(), "{}", listing["total"]);
    assert_eq!(app.get("/api/products?q=Filler").await.status(), 200);
    for product in &saved {
        let read: Value = app.get(&format!("/api/products/{}", product["id"].as_str().unwrap())).await.json().await.unwrap();
        assert_eq!(read["name"], product["name"]);
        assert_eq!(read["description"], product["description"]);
    }

    // Room is made: the same host writes again, files too.
    disk.resize("64m");
    let response = app.admin_post_json("/api/categories", &json!({"name": {"en": "After", "ar": "بعد"}})).await;
    assert_eq!(response.status(), 201);
    let listed: Value = app.get("/api/categories").await.json().await.unwrap();
    for category in &categories {
        assert!(listed["items"].as_array().unwrap().iter().any(|c| c["id"] == category["id"]), "{category} was acknowledged and is kept");
    }
    let response = upload(&app, &first).await;
    assert_eq!(response.status(), 201, "{:?}", response.text().await);
    let listing: Value = app.get(&format!("/api/products?per_page={}", saved.len() + 10)).await.json().await.unwrap();
    assert_eq!(listing["total"], saved.len(), "nothing acknowledged was lost, nothing refused was kept");
    app.stop().await;
    drop(disk);
}

#[tokio::test]
async fn an_unwritable_uploads_directory_refuses_images_politely_and_changes_nothing() {
    let root = tempfile::tempdir().unwrap();
    let uploads = root.path().join("uploads");
    let disk = Tmpfs::mount(&uploads, "16m");
    let options = Options { env: vec![("SHOP_UPLOADS_DIR", uploads.display().to_string())], ..Options::default() };
    let app = spawn_in(root.path(), &options).await;
    let created = app.admin_post_json("/api/products", &product(1)).await;
    assert_eq!(created.status(), 201);
    let product: Value = created.json().await.unwrap();
    let id = product["id"].as_str().unwrap();

    // The file system turns read-only (a failing disk remounted so, or an operator's slip).
    let status = Command::new("mount").args(["-o", "remount,ro"]).arg(&uploads).status().unwrap();
    assert!(status.success());
    let problem = assert_problem(upload(&app, id).await, 503, None).await;
    assert_eq!(problem["type"], "/problems/unavailable", "{problem}");
    let read: Value = app.get(&format!("/api/products/{id}")).await.json().await.unwrap();
    assert_eq!(read["images"], json!([]), "the refused upload changed nothing");
    assert_eq!(read["version"], product["version"]);
    // Documents do not live there: other writes go on.
    assert_eq!(app.admin_post_json("/api/categories", &json!({"name": {"en": "Lamps", "ar": "مصابيح"}})).await.status(), 201);

    // Writable again: the same upload succeeds, no restart.
    let status = Command::new("mount").args(["-o", "remount,rw"]).arg(&uploads).status().unwrap();
    assert!(status.success());
    assert_eq!(upload(&app, id).await.status(), 201);
    app.stop().await;
    drop(disk);
}
