//! Carts, checkout and orders (the orders component) against the real host and store.

use crate::helpers::{Options, TestApp, assert_problem, spawn_app, spawn_app_with};
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;

/// A published product with `stock` units at `amount` minor units of `currency`.
pub(crate) async fn product(app: &TestApp, slug: &str, amount: i64, currency: &str, stock: i64) -> String {
    let response = app
        .admin_post_json(
            "/api/products",
            &json!({
                "slug": slug,
                "name": {"en": format!("The {slug}"), "ar": "منتج"},
                "description": {"en": "A thing.", "ar": "شيء."},
                "price": {"amount": amount, "currency": currency},
                "stock": stock,
                "status": "published"
            }),
        )
        .await;
    assert_eq!(response.status(), 201, "creating {slug}");
    let created: Value = response.json().await.unwrap();
    created["id"].as_str().unwrap().to_owned()
}

/// Registers a shopper and returns their access token.
pub(crate) async fn shopper(app: &TestApp, email: &str) -> String {
    let registered = app.post_json("/api/auth/register", &json!({"email": email, "password": "correct horse battery"})).await;
    assert_eq!(registered.status(), 201, "registering {email}");
    app.login(email, "correct horse battery").await
}

pub(crate) fn address() -> Value {
    json!({"name": "ليلى أحمد", "phone": "+966 55 123 4567", "lines": ["شارع الملك فهد ١٢"], "city": "الرياض", "country": "SA"})
}

pub(crate) fn request(app: &TestApp, token: &str, method: Method, path: &str) -> reqwest::RequestBuilder {
    app.client.request(method, app.url(path)).bearer_auth(token)
}

pub(crate) async fn stock_of(app: &TestApp, id: &str) -> i64 {
    let product: Value = app.as_admin(Method::GET, &format!("/api/products/{id}")).send().await.unwrap().json().await.unwrap();
    product["stock"].as_i64().unwrap()
}

/// Checkouts sent at once, each `(token, key)`: their statuses and bodies, in order.
async fn at_once(app: &TestApp, buyers: Vec<(String, String)>, body: &Value) -> Vec<(u16, Value)> {
    let mut tasks = Vec::new();
    for (token, key) in buyers {
        let request = app.client.post(app.url("/api/checkout")).bearer_auth(token).header("idempotency-key", key).json(body);
        tasks.push(tokio::spawn(async move {
            let response = request.send().await.unwrap();
            (response.status().as_u16(), response.json::<Value>().await.unwrap())
        }));
    }
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.unwrap());
    }
    answers
}

pub(crate) async fn checkout(app: &TestApp, token: &str, key: Option<&str>, body: &Value) -> reqwest::Response {
    let mut request = request(app, token, Method::POST, "/api/checkout").json(body);
    if let Some(key) = key {
        request = request.header("idempotency-key", key);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn a_shopper_buys_their_cart_and_an_admin_fulfils_it() {
    let app = spawn_app().await;
    let quill = product(&app, "quill", 1500, "SAR", 5).await;
    let ink = product(&app, "ink", 250, "SAR", 40).await;
    let layla = shopper(&app, "layla@example.com").await;

    // The cart: named by slug or id, priced on the server.
    let put = request(&app, &layla, Method::PUT, "/api/cart")
        .json(&json!({"items": [{"product": "quill", "quantity": 2}, {"product": ink, "quantity": 3}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200);
    let cart: Value = request(&app, &layla, Method::GET, "/api/cart").send().await.unwrap().json().await.unwrap();
    assert_eq!(cart["items"][0]["product"], quill.as_str(), "stored by id");
    assert_eq!(cart["subtotal"], json!({"amount": 2 * 1500 + 3 * 250, "currency": "SAR"}));
    assert_eq!((cart["item_count"].as_i64(), cart["ready"].as_bool()), (Some(5), Some(true)));

    let placed = checkout(&app, &layla, None, &json!({"shipping_address": address(), "payment_method": "cash_on_delivery"})).await;
    assert_eq!(placed.status(), 201);
    assert_eq!(placed.headers()["cache-control"], "private, no-store");
    let order: Value = placed.json().await.unwrap();
    let id = order["id"].as_str().unwrap().to_owned();
    assert_eq!(order["status"], "paid");
    assert_eq!(
        order["payment"],
        json!({
            "method": "cash_on_delivery",
            "state": "authorised",
            "amount": {"amount": 3750, "currency": "SAR"},
            "reference": format!("cod_{id}"),
            "summary": "Cash on delivery",
            "capture_on": "delivery"
        }),
        "accepted by the cash on delivery provider"
    );
    assert_eq!(order["total"]["amount"], 3750);
    assert_eq!(order["shipping_address"]["city"], "الرياض");
    assert_eq!(order["lines"][0]["line_total"]["amount"], 3000);
    assert_eq!((stock_of(&app, &quill).await, stock_of(&app, &ink).await), (3, 37));
    let cart: Value = request(&app, &layla, Method::GET, "/api/cart").send().await.unwrap().json().await.unwrap();
    assert_eq!(cart["items"], json!([]), "the bought cart is emptied");

    // Only its buyer (and admins) see it.
    let mine: Value = request(&app, &layla, Method::GET, "/api/orders").send().await.unwrap().json().await.unwrap();
    assert_eq!((mine["total"].as_u64(), mine["items"][0]["id"].as_str()), (Some(1), Some(id.as_str())));
    let omar = shopper(&app, "omar@example.com").await;
    assert_problem(request(&app, &omar, Method::GET, &format!("/api/orders/{id}")).send().await.unwrap(), 404, None).await;
    let theirs: Value = request(&app, &omar, Method::GET, "/api/orders").send().await.unwrap().json().await.unwrap();
    assert_eq!(theirs["total"], 0);
    assert_problem(request(&app, &omar, Method::POST, &format!("/api/orders/{id}/cancel")).send().await.unwrap(), 404, None).await;
    assert_problem(request(&app, &omar, Method::GET, "/api/orders?scope=all").send().await.unwrap(), 403, None).await;
    assert_problem(app.get(&format!("/api/orders/{id}")).await, 401, None).await;
    assert_problem(app.get("/api/cart").await, 401, None).await;
    let found: Value =
        app.as_admin(Method::GET, "/api/orders?scope=all&email=LAYLA@example.com&status=paid").send().await.unwrap().json().await.unwrap();
    assert_eq!(found["total"], 1);
    let none: Value = app.as_admin(Method::GET, "/api/orders?scope=all&to=2000-01-01").send().await.unwrap().json().await.unwrap();
    assert_eq!(none["total"], 0);

    // The lifecycle: only its steps; a shopper cannot move it.
    let to = |status: &str| json!({"status": status});
    let status_path = format!("/api/orders/{id}/status");
    assert_problem(request(&app, &layla, Method::POST, &status_path).json(&to("shipped")).send().await.unwrap(), 403, None).await;
    assert_problem(app.admin_post_json(&status_path, &to("delivered")).await, 409, Some("status")).await;
    let shipped = app.admin_post_json(&status_path, &json!({"status": "shipped", "note": "DHL 123"})).await;
    assert_eq!(shipped.status(), 200);
    assert_problem(request(&app, &layla, Method::POST, &format!("/api/orders/{id}/cancel")).send().await.unwrap(), 409, None).await;
    let delivered: Value = app.admin_post_json(&status_path, &to("delivered")).await.json().await.unwrap();
    assert_eq!((delivered["status"].as_str(), delivered["payment"]["state"].as_str()), (Some("delivered"), Some("captured")));
    let steps: Vec<&str> = delivered["history"].as_array().unwrap().iter().map(|c| c["status"].as_str().unwrap()).collect();
    assert_eq!(steps, ["paid", "shipped", "delivered"]);
    assert_eq!(delivered["history"][1]["note"], "DHL 123");
    let refunded: Value = app.admin_post_json(&status_path, &to("refunded")).await.json().await.unwrap();
    assert_eq!((refunded["status"].as_str(), refunded["payment"]["state"].as_str()), (Some("refunded"), Some("refunded")));
    assert_eq!((stock_of(&app, &quill).await, stock_of(&app, &ink).await), (5, 40), "a refund returns the stock");
    assert_problem(app.admin_post_json(&status_path, &to("refunded")).await, 409, Some("status")).await;

    // A shopper cancels their own order before it ships: its stock comes back.
    let second = checkout(
        &app,
        &layla,
        None,
        &json!({"items": [{"product": "quill", "quantity": 1}], "shipping_address": address(), "payment_method": "cash_on_delivery", "language": "ar"}),
    )
    .await;
    let second: Value = second.json().await.unwrap();
    assert_eq!((second["language"].as_str(), stock_of(&app, &quill).await), (Some("ar"), 4));
    let stale = request(&app, &layla, Method::POST, &format!("/api/orders/{}/cancel", second["id"].as_str().unwrap()))
        .header("if-match", "\"99\"")
        .send()
        .await
        .unwrap();
    assert_problem(stale, 409, None).await;
    let cancelled = request(&app, &layla, Method::POST, &format!("/api/orders/{}/cancel", second["id"].as_str().unwrap()))
        .json(&json!({"note": "changed my mind"}))
        .send()
        .await
        .unwrap();
    assert_eq!(cancelled.status(), 200);
    let cancelled: Value = cancelled.json().await.unwrap();
    assert_eq!((cancelled["status"].as_str(), cancelled["payment"]["state"].as_str()), (Some("cancelled"), Some("voided")));
    assert_eq!(stock_of(&app, &quill).await, 5);
    app.stop().await;
}

#[tokio::test]
async fn bad_lines_and_tampered_checkouts_are_refused_naming_the_field() {
    let app = spawn_app().await;
    product(&app, "quill", 1500, "SAR", 5).await;
    product(&app, "dollar-pen", 900, "USD", 5).await;
    let draft = app
        .admin_post_json(
            "/api/products",
            &json!({"slug": "draft-pad", "name": {"en": "Pad"}, "price": {"amount": 100, "currency": "SAR"}, "stock": 9}),
        )
        .await;
    assert_eq!(draft.status(), 201);
    let layla = shopper(&app, "layla@example.com").await;
    let buy = |items: Value| json!({"items": items, "shipping_address": address(), "payment_method": "cash_on_delivery"});
    let line = |product: &str, quantity: Value| json!([{"product": product, "quantity": quantity}]);
    for (items, field) in [
        (line("quill", json!(0)), "items[0].quantity"),
        (line("quill", json!(-1)), "items[0].quantity"),
        (line("quill", json!(1.5)), "items[0].quantity"),
        (line("quill", json!(1_000_000_000_000i64)), "items[0].quantity"),
        (line("quill", json!("2")), "items[0].quantity"),
        (line("no-such-thing", json!(1)), "items[0].product"),
        (line("draft-pad", json!(1)), "items[0].product"),
        (json!([{"product": "quill", "quantity": 1}, {"product": "dollar-pen", "quantity": 1}]), "items[1].product"),
        (json!([{"product": "quill", "quantity": 1, "price": {"amount": 1, "currency": "SAR"}}]), "items[0].price"),
        (json!([]), "items"),
    ] {
        let refused = checkout(&app, &layla, None, &buy(items.clone())).await;
        assert_problem(refused, 422, Some(field)).await;
        let put = request(&app, &layla, Method::PUT, "/api/cart").json(&json!({"items": items})).send().await.unwrap();
        if field != "items" {
            assert_problem(put, 422, Some(field)).await;
        }
    }
    let tampered = json!({"items": [{"product": "quill", "quantity": 1}], "shipping_address": address(), "payment_method": "cash_on_delivery", "total": {"amount": 1, "currency": "SAR"}});
    assert_problem(checkout(&app, &layla, None, &tampered).await, 422, Some("total")).await;
    let mut bad_address = buy(line("quill", json!(1)));
    bad_address["shipping_address"]["country"] = json!("Saudi");
    bad_address["shipping_address"]["phone"] = json!("12");
    let refused = assert_problem(checkout(&app, &layla, None, &bad_address).await, 422, Some("shipping_address.country")).await;
    assert!(refused.to_string().contains("shipping_address.phone"), "{refused}");
    let mut bad_method = buy(line("quill", json!(1)));
    bad_method["payment_method"] = json!("bitcoin");
    assert_problem(checkout(&app, &layla, None, &bad_method).await, 422, Some("payment_method")).await;
    assert_problem(
        checkout(&app, &layla, None, &json!({"shipping_address": address(), "payment_method": "cash_on_delivery"})).await,
        422,
        Some("items"),
    )
    .await;
    let malformed =
        request(&app, &layla, Method::POST, "/api/checkout").header("content-type", "application/json").body("{").send().await.unwrap();
    assert_problem(malformed, 400, None).await;
    let bad_key = checkout(&app, &layla, Some("with space"), &buy(line("quill", json!(1)))).await;
    assert_problem(bad_key, 400, Some("Idempotency-Key")).await;
    // None of that ordered anything.
    let mine: Value = request(&app, &layla, Method::GET, "/api/orders").send().await.unwrap().json().await.unwrap();
    assert_eq!(mine["total"], 0);
    assert_eq!(stock_of(&app, "quill").await, 5);
    // More than is in stock: the cart keeps it and says so; checkout refuses it with a 409.
    let put = request(&app, &layla, Method::PUT, "/api/cart").json(&json!({"items": line("quill", json!(6))})).send().await.unwrap();
    let cart: Value = put.json().await.unwrap();
    assert_eq!((cart["items"][0]["issue"].as_str(), cart["ready"].as_bool()), (Some("insufficient_stock"), Some(false)));
    let short = checkout(&app, &layla, None, &json!({"shipping_address": address(), "payment_method": "cash_on_delivery"})).await;
    let problem = assert_problem(short, 409, Some("items[0].quantity")).await;
    assert!(problem["detail"].as_str().unwrap().contains("The quill"), "{problem}");
    assert_eq!(stock_of(&app, "quill").await, 5);
    app.stop().await;
}

#[tokio::test]
async fn a_retried_checkout_answers_the_same_order_once() {
    let app = spawn_app().await;
    let quill = product(&app, "quill", 1500, "SAR", 10).await;
    let layla = shopper(&app, "layla@example.com").await;
    let omar = shopper(&app, "omar@example.com").await;
    let body = json!({"items": [{"product": "quill", "quantity": 2}], "shipping_address": address(), "payment_method": "cash_on_delivery"});
    let first = checkout(&app, &layla, Some("key-1"), &body).await;
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let again = checkout(&app, &layla, Some("key-1"), &body).await;
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["id"], first["id"]);
    assert_eq!(stock_of(&app, &quill).await, 8, "taken once");
    // The same key for another purchase is refused; another shopper's same key is theirs.
    let mut other = body.clone();
    other["items"][0]["quantity"] = json!(3);
    assert_problem(checkout(&app, &layla, Some("key-1"), &other).await, 422, Some("Idempotency-Key")).await;
    let theirs: Value = checkout(&app, &omar, Some("key-1"), &body).await.json().await.unwrap();
    assert_ne!(theirs["id"], first["id"]);
    assert_eq!(stock_of(&app, &quill).await, 6);
    // Concurrent retries of one key: one order.
    let answers = at_once(&app, (0..8).map(|_| (layla.clone(), "key-2".to_owned())).collect(), &body).await;
    let mut ids = std::collections::BTreeSet::new();
    for (status, answer) in answers {
        match status {
            201 => {
                ids.insert(answer["id"].as_str().unwrap().to_owned());
            }
            409 => {}
            other => panic!("a retry got {other}: {answer}"),
        }
    }
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert_eq!(stock_of(&app, &quill).await, 4);
    // A retried cart checkout: the first attempt emptied the cart, the retry still answers
    // its order.
    let put = request(&app, &layla, Method::PUT, "/api/cart")
        .json(&json!({"items": [{"product": "quill", "quantity": 1}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200);
    let from_cart = json!({"shipping_address": address(), "payment_method": "cash_on_delivery"});
    let first: Value = checkout(&app, &layla, Some("cart-key"), &from_cart).await.json().await.unwrap();
    let again = checkout(&app, &layla, Some("cart-key"), &from_cart).await;
    assert_eq!(again.status(), 201);
    assert_eq!(again.json::<Value>().await.unwrap()["id"], first["id"]);
    assert_eq!(stock_of(&app, &quill).await, 3);
    let mine: Value = request(&app, &layla, Method::GET, "/api/orders").send().await.unwrap().json().await.unwrap();
    assert_eq!(mine["total"], 3);
    app.stop().await;
}

/// 64 checkouts at once for a product with 10 units: exactly 10 orders, the rest a 409
/// naming the product, stock 0 and never below.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixty_four_checkouts_race_for_ten_units() {
    let app = spawn_app().await;
    let lamp = product(&app, "lamp", 4200, "SAR", 10).await;
    let mut shoppers = Vec::new();
    for n in 0..8 {
        shoppers.push(shopper(&app, &format!("racer{n}@example.com")).await);
    }
    let body = json!({"items": [{"product": lamp, "quantity": 1}], "shipping_address": address(), "payment_method": "cash_on_delivery"});
    let buyers = (0..64).map(|n| (shoppers[n % 8].clone(), format!("race-{n}"))).collect();
    let (mut placed, mut refused) = (0, 0);
    for (status, answer) in at_once(&app, buyers, &body).await {
        match status {
            201 => placed += 1,
            409 => {
                assert_eq!(answer["errors"][0]["field"], "items[0].quantity", "{answer}");
                assert!(answer["detail"].as_str().unwrap().contains("The lamp"), "{answer}");
                refused += 1;
            }
            other => panic!("a checkout got {other}: {answer}"),
        }
    }
    assert_eq!((placed, refused), (10, 54));
    assert_eq!(stock_of(&app, &lamp).await, 0);
    let all: Value =
        app.as_admin(Method::GET, "/api/orders?scope=all&status=paid&per_page=100").send().await.unwrap().json().await.unwrap();
    assert_eq!(all["total"], 10);
    let sold: i64 = all["items"].as_array().unwrap().iter().map(|o| o["lines"][0]["quantity"].as_i64().unwrap()).sum();
    assert_eq!(sold, 10);
    app.stop().await;
}

/// What a crash leaves between an order and its products is settled by housekeeping: units
/// held for a checkout that never finished come back, a cancelled order whose units never
/// went back gets them back once, and units held for a placed order stay sold.
#[tokio::test]
async fn housekeeping_settles_what_a_crash_left() {
    use shop_host::capabilities::documents::Collection;
    let app = spawn_app_with(Options {
        env: vec![("SHOP_STORE_SHARED", "true".into()), ("SHOP_HOUSEKEEPING_SECS", "1".into()), ("SHOP_RESPONSE_CACHE", "off".into())],
        ..Default::default()
    })
    .await;
    let lamp = product(&app, "lamp", 4200, "SAR", 10).await;
    let layla = shopper(&app, "layla@example.com").await;
    let body = json!({"items": [{"product": "lamp", "quantity": 2}], "shipping_address": address(), "payment_method": "cash_on_delivery"});
    let kept: Value = checkout(&app, &layla, None, &body).await.json().await.unwrap();
    let cancelled: Value = checkout(&app, &layla, None, &body).await.json().await.unwrap();
    assert_eq!(stock_of(&app, &lamp).await, 6);

    let store = crate::helpers::open_store_beside(&app).await;
    let (products, orders) = (Collection::parse("products").unwrap(), Collection::parse("orders").unwrap());
    let read = |json: String| serde_json::from_str::<serde_json::Map<String, Value>>(&json).unwrap();
    // Written first: housekeeping may run between these writes, in any order.
    let mut doc = read(store.get(&products, &lamp).await.unwrap().unwrap());
    let version = doc.remove("_version").unwrap().as_u64().unwrap();
    doc.insert("stock".into(), json!(6 - 3 - 1));
    doc.insert("stock_holds".into(), json!({"abandoned-checkout": 3, "never-written": 1, kept["id"].as_str().unwrap(): 2}));
    store.replace(&products, &lamp, version, doc).await.unwrap().unwrap();
    // A crash mid-checkout: 3 units taken for an order still `reserving` since long ago, and
    // 1 unit for an order that was never written.
    let mut abandoned = read(store.get(&orders, kept["id"].as_str().unwrap()).await.unwrap().unwrap());
    abandoned.remove("_version");
    abandoned.insert("_id".into(), json!("abandoned-checkout"));
    abandoned.insert("status".into(), json!("reserving"));
    abandoned.insert("stock".into(), json!("taking"));
    abandoned.insert("created_at".into(), json!("2026-01-01T00:00:00.000000Z"));
    abandoned["lines"][0]["quantity"] = json!(3);
    store.insert(&orders, abandoned).await.unwrap();
    // A crash mid-cancel: the order says cancelled, its units are still out of stock.
    let mut half_cancelled = read(store.get(&orders, cancelled["id"].as_str().unwrap()).await.unwrap().unwrap());
    let version = half_cancelled.remove("_version").unwrap().as_u64().unwrap();
    half_cancelled.insert("status".into(), json!("cancelled"));
    store.replace(&orders, cancelled["id"].as_str().unwrap(), version, half_cancelled).await.unwrap().unwrap();
    assert_eq!(stock_of(&app, &lamp).await, 2);

    // Settled: 3 + 1 back from the crashed checkouts, 2 back from the cancelled order; the
    // kept order's 2 stay sold. And settling again changes nothing.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let doc = read(store.get(&products, &lamp).await.unwrap().unwrap());
        if doc.get("stock_holds").is_none() && doc.get("stock_returns").is_none() && doc["stock"] == 8 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "not settled: {doc:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(stock_of(&app, &lamp).await, 8);
    let abandoned = read(store.get(&orders, "abandoned-checkout").await.unwrap().unwrap());
    assert_eq!((abandoned["status"].as_str(), abandoned["stock"].as_str()), (Some("failed"), Some("returned")));
    let half_cancelled = read(store.get(&orders, cancelled["id"].as_str().unwrap()).await.unwrap().unwrap());
    assert_eq!(half_cancelled["stock"], "returned");
    let mine: Value = request(&app, &layla, Method::GET, "/api/orders").send().await.unwrap().json().await.unwrap();
    assert_eq!(mine["total"], 2, "the failed checkout is not the shopper's order");
    app.stop().await;
}

#[tokio::test]
async fn a_guest_cart_merges_into_the_signed_in_one() {
    let app = spawn_app().await;
    let quill = product(&app, "quill", 1500, "SAR", 5).await;
    product(&app, "ink", 250, "SAR", 5).await;
    product(&app, "dollar-pen", 900, "USD", 5).await;
    let layla = shopper(&app, "layla@example.com").await;
    let put = request(&app, &layla, Method::PUT, "/api/cart")
        .json(&json!({"items": [{"product": "quill", "quantity": 98}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200);
    let guest = json!({"items": [
        {"product": "quill", "quantity": 5},
        {"product": "ink", "quantity": 1},
        {"product": "dollar-pen", "quantity": 1},
        {"product": "gone-since", "quantity": 1}
    ]});
    let merged = request(&app, &layla, Method::POST, "/api/cart/merge").json(&guest).send().await.unwrap();
    assert_eq!(merged.status(), 200);
    let merged: Value = merged.json().await.unwrap();
    let lines: Vec<(&str, i64)> =
        merged["items"].as_array().unwrap().iter().map(|l| (l["slug"].as_str().unwrap(), l["quantity"].as_i64().unwrap())).collect();
    assert_eq!(lines, [("quill", 99), ("ink", 1)], "capped, added, and what cannot be bought left out");
    assert_eq!(merged["items"][0]["product"], quill.as_str());
    assert_problem(
        request(&app, &layla, Method::POST, "/api/cart/merge").json(&json!({"items": [{"product": "ink"}]})).send().await.unwrap(),
        422,
        Some("items[0].quantity"),
    )
    .await;
    let cleared: Value = request(&app, &layla, Method::DELETE, "/api/cart").send().await.unwrap().json().await.unwrap();
    assert_eq!(cleared["items"], json!([]));
    app.stop().await;
}
