//! Durability of the embedded store, with real processes: writers run against the host,
//! which is killed with SIGKILL at random moments; after each restart every write that got
//! a 2xx must be there, intact. Also: a second host on the same data directory is refused.

use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

const KILLS: usize = 24;
const WRITERS: usize = 8;

fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_owned()
}

/// A scratch directory holding the manifest and the components.
fn scratch() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("components")).unwrap();
    for name in ["auth", "catalog", "media"] {
        let from = project_root().join("dist/components").join(format!("{name}.wasm"));
        std::fs::copy(&from, dir.path().join("components").join(format!("{name}.wasm")))
            .unwrap_or_else(|e| panic!("{}: {e}; run `cargo xtask test`", from.display()));
    }
    std::fs::copy(project_root().join("spin.toml"), dir.path().join("spin.toml")).unwrap();
    dir
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn start_host(dir: &Path, port: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_shop-host"))
        .env("SHOP_ADDR", format!("127.0.0.1:{port}"))
        .env("SHOP_ADMIN_ADDR", "off")
        .env("SHOP_MANIFEST", dir.join("spin.toml"))
        .env("SHOP_COMPONENTS_DIR", dir.join("components"))
        .env("SHOP_DATA_DIR", dir.join("data"))
        .env("SHOP_SWAP_POLL_MS", "0")
        .env("SHOP_ADMIN_EMAIL", "admin@example.com")
        .env("SHOP_ADMIN_PASSWORD", "a long admin passphrase")
        .env("SPIN_VARIABLE_JWT_SECRET", "crash-test-signing-key-0123456789abcdef")
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the host binary starts")
}

/// Signs the admin in on a running host and returns the access token.
async fn admin_token(client: &reqwest::Client, port: u16) -> String {
    let session: Value = client
        .post(format!("http://127.0.0.1:{port}/api/auth/login"))
        .json(&json!({"email": "admin@example.com", "password": "a long admin passphrase"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    session["access_token"].as_str().expect("the admin signs in").to_owned()
}

async fn wait_ready(client: &reqwest::Client, port: u16) {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(30) {
        if let Ok(response) = client.get(format!("http://127.0.0.1:{port}/readyz")).send().await {
            if response.status() == 200 {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the host did not become ready");
}

/// A small deterministic generator, seeded per run (the seed is printed to reproduce it).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn acknowledged_writes_survive_sigkill() {
    let dir = scratch();
    let client = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().unwrap();
    let seed = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap().as_nanos() as u64 | 1;
    eprintln!("crash test seed: {seed}");
    let mut rng = Rng(seed);
    // id → (English name, version) of every acknowledged write.
    let acknowledged: Arc<Mutex<Vec<(String, String, u64)>>> = Arc::default();
    let mut sequence = 0u64;

    for round in 0..=KILLS {
        let port = free_port();
        let mut host = start_host(dir.path(), port);
        wait_ready(&client, port).await;
        let base = format!("http://127.0.0.1:{port}");
        let token = admin_token(&client, port).await;

        // Everything acknowledged before is here, with its name and at least its version.
        let known = acknowledged.lock().unwrap().clone();
        for (id, name, version) in &known {
            let response = client.get(format!("{base}/api/categories/{id}")).send().await.unwrap();
            assert_eq!(response.status(), 200, "round {round}: acknowledged category {id} is missing");
            let body: Value = response.json().await.unwrap();
            assert!(body["name"]["en"].as_str().unwrap().starts_with(name.as_str()), "round {round}: {id} is {body}");
            assert!(body["version"].as_u64().unwrap() >= *version, "round {round}: {id} lost an update: {body}");
        }
        let list: Value = client.get(format!("{base}/api/categories")).send().await.unwrap().json().await.unwrap();
        assert!(list["total"].as_u64().unwrap() >= known.len() as u64);
        if round == KILLS {
            host.kill().unwrap();
            host.wait().unwrap();
            break;
        }

        // Writers create and rename categories until the host dies under them.
        let mut writers = Vec::new();
        for w in 0..WRITERS {
            sequence += 1_000_000;
            let (client, base, acknowledged, token) = (client.clone(), base.clone(), acknowledged.clone(), token.clone());
            let start = sequence;
            writers.push(tokio::spawn(async move {
                for n in start.. {
                    let name = format!("Item {n}");
                    let created = client
                        .post(format!("{base}/api/categories"))
                        .bearer_auth(&token)
                        .json(&json!({"name": {"en": name, "ar": format!("عنصر {n}")}, "sort_order": w}))
                        .send()
                        .await;
                    let Ok(created) = created else { return };
                    if created.status() != 201 {
                        return;
                    }
                    let Ok(body) = created.json::<Value>().await else { return };
                    let id = body["id"].as_str().unwrap().to_owned();
                    acknowledged.lock().unwrap().push((id.clone(), name.clone(), 1));
                    // Rename it: the acknowledged version becomes 2.
                    let renamed = client
                        .put(format!("{base}/api/categories/{id}"))
                        .bearer_auth(&token)
                        .header("if-match", "\"1\"")
                        .json(&json!({"name": {"en": format!("{name} renamed"), "ar": "معدل"}}))
                        .send()
                        .await;
                    match renamed {
                        Ok(r) if r.status() == 200 => {
                            let mut acked = acknowledged.lock().unwrap();
                            if let Some(entry) = acked.iter_mut().find(|(i, _, _)| *i == id) {
                                entry.2 = 2;
                            }
                        }
                        _ => return,
                    }
                }
            }));
        }
        tokio::time::sleep(Duration::from_millis(30 + rng.next() % 300)).await;
        host.kill().unwrap(); // SIGKILL
        host.wait().unwrap();
        for writer in writers {
            writer.await.unwrap();
        }
    }

    let total = acknowledged.lock().unwrap().len();
    eprintln!("crash test: {KILLS} kills, {total} acknowledged categories, all present");
    assert!(total > KILLS * 10, "too few writes to mean anything: {total}");
    let db = rusqlite::Connection::open(dir.path().join("data/shop.db")).unwrap();
    let check: String = db.query_row("PRAGMA integrity_check", [], |row| row.get(0)).unwrap();
    assert_eq!(check, "ok");
}

#[tokio::test]
async fn a_second_host_on_the_same_data_directory_refuses_to_start() {
    let dir = scratch();
    let client = reqwest::Client::new();
    let port = free_port();
    let mut first = start_host(dir.path(), port);
    wait_ready(&client, port).await;

    let second = start_host(dir.path(), free_port()).wait_with_output().unwrap();
    assert!(!second.status.success());
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(stderr.contains("in use by another shop-host"), "{stderr}");
    assert!(stderr.contains(&first.id().to_string()), "the message names the holder: {stderr}");

    // The first keeps serving.
    assert_eq!(client.get(format!("http://127.0.0.1:{port}/healthz")).send().await.unwrap().status(), 200);
    first.kill().unwrap();
    first.wait().unwrap();
}
