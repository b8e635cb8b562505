//! The composed Spin components (`dist/spin/*.wasm`) run end to end.
//!
//! Spin cannot be installed where these tests run, so this test is the host Spin would be for
//! them: wasmtime with WASI 0.2 and `wasi:http`, plus the three Spin interfaces the adapters
//! import (`spin:sqlite` over a real SQLite file, `fermyon:spin/key-value` over memory,
//! `fermyon:spin/variables` per component, as `spin.toml` grants them). Every request gets a
//! fresh instance, as under Spin, and every instance shares one database connection, as
//! Spin's local SQLite does. What is tested is ours: the adapters, the composition, and the
//! service components working through them. (`xtask/tests/spin.rs` checks the same
//! binaries' imports against Spin's WIT.)

use crate::helpers::project_root;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use serde_json::{Value, json};
use shop_host::runtime::state::DenyOutbound;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use wasmtime::component::{Component, HasSelf, Linker, Resource, ResourceTable};
use wasmtime::{Config, Engine, Store};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::p2::bindings::ProxyPre;
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

mod bindings {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "spin-provided",
        with: {
            "spin:sqlite/sqlite.connection": super::Database,
            "fermyon:spin/key-value.store": super::KvStore,
        },
    });
}

use bindings::fermyon::spin::{key_value, variables};
use bindings::spin::sqlite::sqlite;

/// An open `spin:sqlite` connection (they all share the application's database).
pub struct Database;

/// An open key-value store (there is one, "default").
pub struct KvStore;

/// What the Spin-shaped host shares between requests.
#[derive(Clone)]
struct Platform {
    db: Arc<Mutex<rusqlite::Connection>>,
    kv: Arc<Mutex<HashMap<String, Vec<u8>>>>,
}

struct State {
    platform: Platform,
    hooks: DenyOutbound,
    variables: HashMap<String, String>,
    wasi: WasiCtx,
    http: WasiHttpCtx,
    table: ResourceTable,
}

impl WasiView for State {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

impl WasiHttpView for State {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView { ctx: &mut self.http, table: &mut self.table, hooks: &mut self.hooks }
    }
}

impl sqlite::Host for State {}

impl sqlite::HostConnection for State {
    fn open(&mut self, database: String) -> Result<Resource<Database>, sqlite::Error> {
        if database != "default" {
            return Err(sqlite::Error::AccessDenied);
        }
        self.table.push(Database).map_err(|e| sqlite::Error::Io(e.to_string()))
    }

    fn execute(
        &mut self,
        _: Resource<Database>,
        statement: String,
        parameters: Vec<sqlite::Value>,
    ) -> Result<sqlite::QueryResult, sqlite::Error> {
        use rusqlite::types::{Value as V, ValueRef};
        let db = self.platform.db.lock().unwrap();
        let io = |e: rusqlite::Error| sqlite::Error::Io(e.to_string());
        let mut stmt = db.prepare_cached(&statement).map_err(io)?;
        let columns: Vec<String> = stmt.column_names().map(str::to_owned).collect();
        let params = parameters.into_iter().map(|p| match p {
            sqlite::Value::Integer(i) => V::Integer(i),
            sqlite::Value::Real(r) => V::Real(r),
            sqlite::Value::Text(t) => V::Text(t),
            sqlite::Value::Blob(b) => V::Blob(b),
            sqlite::Value::Null => V::Null,
        });
        let rows = stmt
            .query_map(rusqlite::params_from_iter(params), |row| {
                (0..columns.len())
                    .map(|i| {
                        Ok(match row.get_ref(i)? {
                            ValueRef::Null => sqlite::Value::Null,
                            ValueRef::Integer(i) => sqlite::Value::Integer(i),
                            ValueRef::Real(r) => sqlite::Value::Real(r),
                            ValueRef::Text(t) => sqlite::Value::Text(String::from_utf8_lossy(t).into_owned()),
                            ValueRef::Blob(b) => sqlite::Value::Blob(b.to_vec()),
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()
                    .map(|values| sqlite::RowResult { values })
            })
            .map_err(io)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(io)?;
        Ok(sqlite::QueryResult { columns, rows })
    }

    fn drop(&mut self, connection: Resource<Database>) -> wasmtime::Result<()> {
        self.table.delete(connection)?;
        Ok(())
    }
}

impl key_value::Host for State {}

impl key_value::HostStore for State {
    fn open(&mut self, label: String) -> Result<Resource<KvStore>, key_value::Error> {
        if label != "default" {
            return Err(key_value::Error::NoSuchStore);
        }
        self.table.push(KvStore).map_err(|e| key_value::Error::Other(e.to_string()))
    }

    fn get(&mut self, _: Resource<KvStore>, key: String) -> Result<Option<Vec<u8>>, key_value::Error> {
        Ok(self.platform.kv.lock().unwrap().get(&key).cloned())
    }

    fn set(&mut self, _: Resource<KvStore>, key: String, value: Vec<u8>) -> Result<(), key_value::Error> {
        self.platform.kv.lock().unwrap().insert(key, value);
        Ok(())
    }

    fn delete(&mut self, _: Resource<KvStore>, key: String) -> Result<(), key_value::Error> {
        self.platform.kv.lock().unwrap().remove(&key);
        Ok(())
    }

    fn exists(&mut self, _: Resource<KvStore>, key: String) -> Result<bool, key_value::Error> {
        Ok(self.platform.kv.lock().unwrap().contains_key(&key))
    }

    fn drop(&mut self, store: Resource<KvStore>) -> wasmtime::Result<()> {
        self.table.delete(store)?;
        Ok(())
    }
}

impl variables::Host for State {
    fn get(&mut self, name: String) -> Result<String, variables::Error> {
        self.variables.get(&name).cloned().ok_or(variables::Error::Undefined(name))
    }
}

/// The application: each composed component, and what `spin.toml` grants it.
struct SpinApp {
    engine: Engine,
    platform: Platform,
    components: HashMap<&'static str, (ProxyPre<State>, HashMap<String, String>)>,
    linker: Linker<State>,
    _dir: tempfile::TempDir,
}

const SECRET: &str = "a test signing key of at least thirty-two bytes";
const ADMIN_PASSWORD: &str = "a long admin passphrase";

impl SpinApp {
    fn new() -> Self {
        let mut config = Config::new();
        config.wasm_component_model(true);
        let engine = Engine::new(&config).unwrap();
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).unwrap();
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker).unwrap();
        bindings::SpinProvided::add_to_linker::<_, HasSelf<State>>(&mut linker, |s| s).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let platform =
            Platform { db: Arc::new(Mutex::new(rusqlite::Connection::open(dir.path().join("sqlite_db.db")).unwrap())), kv: Arc::default() };
        let jwt = HashMap::from([("jwt_secret".to_owned(), SECRET.to_owned())]);
        let mut auth = jwt.clone();
        auth.insert("admin_email".into(), "Admin@Example.com".into());
        auth.insert("admin_password".into(), ADMIN_PASSWORD.into());
        let mut components = HashMap::new();
        for (name, variables) in [("auth", auth), ("catalog", jwt), ("uploads", HashMap::new())] {
            let path = project_root().join("dist/spin").join(format!("{name}.wasm"));
            let component =
                Component::from_file(&engine, &path).unwrap_or_else(|e| panic!("{}: {e:#} (run `cargo xtask build`)", path.display()));
            let pre = ProxyPre::new(linker.instantiate_pre(&component).unwrap()).unwrap();
            components.insert(name, (pre, variables));
        }
        Self { engine, platform, components, linker, _dir: dir }
    }

    fn store(&self, variables: HashMap<String, String>) -> Store<State> {
        let state = State {
            platform: self.platform.clone(),
            hooks: DenyOutbound,
            variables,
            wasi: WasiCtx::builder().inherit_stderr().build(),
            http: WasiHttpCtx::new(),
            table: ResourceTable::new(),
        };
        Store::new(&self.engine, state)
    }

    /// One request to a component, on a fresh instance.
    async fn send(
        &self,
        component: &str,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> (u16, http::HeaderMap, Vec<u8>) {
        let (pre, variables) = &self.components[component];
        let mut store = self.store(variables.clone());
        let mut request = hyper::Request::builder().method(method).uri(format!("http://shop.test{path}"));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = request.body(Full::new(Bytes::from(body))).unwrap();
        let (sender, receiver) = tokio::sync::oneshot::channel();
        let incoming = store.data_mut().http().new_incoming_request(Scheme::Http, request).unwrap();
        let outparam = store.data_mut().http().new_response_outparam(sender).unwrap();
        let proxy = pre.instantiate_async(&mut store).await.unwrap();
        let task = tokio::spawn(async move { proxy.wasi_http_incoming_handler().call_handle(&mut store, incoming, outparam).await });
        let response = receiver.await.expect("the component answered").expect("not an error code");
        let (parts, body) = response.into_parts();
        let bytes = body.collect().await.unwrap().to_bytes().to_vec();
        task.await.unwrap().unwrap();
        (parts.status.as_u16(), parts.headers, bytes)
    }

    async fn json(&self, component: &str, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> (u16, Value) {
        let bearer = token.map(|t| format!("Bearer {t}"));
        let mut headers = vec![("content-type", "application/json")];
        if let Some(bearer) = &bearer {
            headers.push(("authorization", bearer));
        }
        let (status, _, bytes) =
            self.send(component, method, path, &headers, body.map(|b| b.to_string().into_bytes()).unwrap_or_default()).await;
        (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    /// `shop:platform/operator.create-admin` of the composed auth component (what `shop-host
    /// create-admin` calls on the host).
    async fn create_admin(&self, email: &str, password: &str) -> Result<String, String> {
        let component = Component::from_file(&self.engine, project_root().join("dist/spin/auth.wasm")).unwrap();
        let mut store = self.store(self.components["auth"].1.clone());
        let instance = self.linker.instantiate_async(&mut store, &component).await.unwrap();
        let operator =
            instance.get_export_index(&mut store, None, "shop:platform/operator@0.1.0").expect("the composed auth exports operator");
        let create = instance.get_export_index(&mut store, Some(&operator), "create-admin").unwrap();
        let func = instance.get_typed_func::<(String, String), (Result<String, String>,)>(&mut store, &create).unwrap();
        func.call_async(&mut store, (email.to_owned(), password.to_owned())).await.unwrap().0
    }
}

fn png(width: u32, height: u32) -> Vec<u8> {
    let image = image::RgbImage::from_fn(width, height, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 128]));
    let mut bytes = std::io::Cursor::new(Vec::new());
    image.write_to(&mut bytes, image::ImageFormat::Png).unwrap();
    bytes.into_inner()
}

#[tokio::test]
async fn the_composed_components_run_the_shop_on_spins_interfaces() {
    if crate::helpers::skipped_on_mongodb("the composed Spin components store their documents in Spin's SQLite, whatever the host uses") {
        return;
    }
    let app = SpinApp::new();
    let login = |email: &'static str, password: &'static str| {
        app.json("auth", "POST", "/api/auth/login", None, Some(json!({"email": email, "password": password})))
    };
    // No operator command under Spin: the admin_email / admin_password variables make the
    // admin on its first sign-in (and only then: a wrong password still fails).
    assert_eq!(login("admin@example.com", "not the passphrase").await.0, 401);
    let (status, session) = login("admin@example.com", ADMIN_PASSWORD).await;
    assert_eq!(status, 200, "{session}");
    assert_eq!(session["user"]["role"], "admin", "{session}");
    let admin = session["user"]["id"].as_str().unwrap().to_owned();
    // The composed auth keeps its operator export; it finds the same admin.
    assert_eq!(app.create_admin("admin@example.com", ADMIN_PASSWORD).await.unwrap(), admin);
    let token = session["access_token"].as_str().unwrap().to_owned();
    let (status, _) = app
        .json("auth", "POST", "/api/auth/register", None, Some(json!({"email": "layla@example.com", "password": "a customer passphrase"})))
        .await;
    assert_eq!(status, 201);
    let (status, problem) = app
        .json("auth", "POST", "/api/auth/register", None, Some(json!({"email": "Layla@example.com", "password": "a customer passphrase"})))
        .await;
    assert_eq!(status, 409, "the unique email index holds through the adapter: {problem}");

    // catalog verifies the token with the auth instance composed into it, on the same database.
    let (status, category) = app
        .json("catalog", "POST", "/api/categories", Some(&token), Some(json!({"name": {"en": "Coffee", "ar": "قهوة"}, "sort_order": 1})))
        .await;
    assert_eq!(status, 201, "{category}");
    let (status, _) =
        app.json("catalog", "POST", "/api/categories", Some("not-a-token"), Some(json!({"name": {"en": "Tea", "ar": "شاي"}}))).await;
    assert_eq!(status, 401);
    let product = json!({"name": {"en": "Arabic coffee", "ar": "قهوة عربية"}, "description": {"en": "Light roast with cardamom.", "ar": "تحميص خفيف بالهيل."}, "price": {"amount": 4500, "currency": "SAR"}, "category": category["slug"], "stock": 3, "status": "published"});
    let (status, product) = app.json("catalog", "POST", "/api/products", Some(&token), Some(product)).await;
    assert_eq!(status, 201, "{product}");
    let (status, found) = app.json("catalog", "GET", "/api/products?q=%D9%82%D9%87%D9%88%D9%87", None, None).await;
    assert_eq!((status, found["total"].as_u64()), (200, Some(1)), "Arabic search through the FTS5 index the adapter keeps: {found}");
    let id = product["id"].as_str().unwrap();
    let bearer = format!("Bearer {token}");
    let app = &app;
    let patch = |version: &'static str| {
        let headers = [("content-type", "application/json"), ("authorization", bearer.as_str()), ("if-match", version)];
        let path = format!("/api/products/{id}");
        async move { app.send("catalog", "PATCH", &path, &headers, json!({"stock": 5}).to_string().into_bytes()).await.0 }
    };
    assert_eq!(patch("\"1\"").await, 200, "a replace at the current version");
    assert_eq!(patch("\"1\"").await, 409, "a stale version is refused");

    // An image: media composed into catalog, its variants into the key-value store, served by uploads.
    let boundary = "spin-test-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"images\"; filename=\"photo.png\"\r\nContent-Type: image/png\r\n\r\n"
    )
    .into_bytes();
    body.extend(png(700, 400));
    body.extend(format!("\r\n--{boundary}--\r\n").into_bytes());
    let content_type = format!("multipart/form-data; boundary={boundary}");
    let (status, _, bytes) = app
        .send(
            "catalog",
            "POST",
            &format!("/api/products/{id}/images"),
            &[("content-type", &content_type), ("authorization", &bearer)],
            body,
        )
        .await;
    let updated: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    assert_eq!(status, 201, "{updated}");
    let url = updated["images"][0]["variants"][0]["url"].as_str().unwrap_or_else(|| panic!("an image URL in {updated}")).to_owned();
    assert!(url.starts_with("/uploads/"), "{url}");
    let (status, headers, webp) = app.send("uploads", "GET", &url, &[], Vec::new()).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "image/webp");
    assert!(webp.starts_with(b"RIFF") && &webp[8..12] == b"WEBP", "a WebP file");
    let (status, _, _) = app.send("uploads", "GET", "/uploads/../sqlite_db.db", &[], Vec::new()).await;
    assert_eq!(status, 404, "only valid blob keys are looked up");
}
