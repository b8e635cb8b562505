//! The authorization matrix of the catalog's write routes and the admin routes: who gets what.

use crate::helpers::{TEST_JWT_SECRET, assert_problem, claims, forge, spawn_app};
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn catalog_writes_and_admin_routes_need_an_admin() {
    let app = spawn_app().await;
    let category = app.create_category("Books", "كتب", 0).await;
    let id = category["id"].as_str().unwrap().to_owned();
    let customer: Value = app
        .post_json("/api/auth/register", &json!({"email": "layla@example.com", "password": "correct horse battery"}))
        .await
        .json()
        .await
        .unwrap();
    let customer_token = app.login("layla@example.com", "correct horse battery").await;

    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let hs256 = json!({"alg": "HS256", "typ": "JWT"});
    let key = TEST_JWT_SECRET.as_bytes();
    let admin_id = {
        let me: Value = app.as_admin(Method::GET, "/api/auth/me").send().await.unwrap().json().await.unwrap();
        me["id"].clone()
    };
    let customer_id = customer["id"].as_str().unwrap().to_owned();
    // An admin whose account is then disabled: their unexpired token must stop working.
    let omar: Value = app
        .post_json("/api/auth/register", &json!({"email": "omar@example.com", "password": "correct horse battery"}))
        .await
        .json()
        .await
        .unwrap();
    let omar_path = format!("/api/users/{}", omar["id"].as_str().unwrap());
    let promoted = app.as_admin(Method::PATCH, &omar_path).json(&json!({"role": "admin"})).send().await.unwrap();
    assert_eq!(promoted.status(), 200);
    let disabled_admin_token = app.login("omar@example.com", "correct horse battery").await;
    assert_eq!(app.client.get(app.url("/api/users")).bearer_auth(&disabled_admin_token).send().await.unwrap().status(), 200);
    let disabled = app.as_admin(Method::PATCH, &omar_path).json(&json!({"disabled": true})).send().await.unwrap();
    assert_eq!(disabled.status(), 200);
    let mut tampered: Vec<String> = customer_token.split('.').map(str::to_owned).collect();
    tampered[1] = forge(&hs256, &claims(&customer["id"], "admin", now + 600), None).split('.').nth(1).unwrap().to_owned();
    let identities: Vec<(&str, Option<String>, u16)> = vec![
        ("anonymous", None, 401),
        ("customer", Some(customer_token.clone()), 403),
        ("expired admin token", Some(forge(&hs256, &claims(&admin_id, "admin", now - 5), Some(key))), 401),
        ("tampered token (customer claiming admin)", Some(tampered.join(".")), 401),
        ("alg none admin token", Some(forge(&json!({"alg": "none"}), &claims(&admin_id, "admin", now + 600), None)), 401),
        ("disabled admin", Some(disabled_admin_token.clone()), 401),
        ("token of a user who does not exist", Some(forge(&hs256, &claims(&json!("ghost"), "admin", now + 600), Some(key))), 401),
        ("admin", Some(app.admin_token.clone()), 0),
    ];
    // Every operation of the route tables except the public ones, each with a request the
    // admin's run must get a 2xx for. The admin goes last, in this order.
    let product_body = json!({"name": {"en": "Quill", "ar": "ريشة"}, "description": {"en": "A pen.", "ar": "قلم."}, "price": {"amount": 900, "currency": "SAR"}});
    let matrix: Vec<(&str, Method, String, Option<Value>)> = vec![
        ("categories.create", Method::POST, "/api/categories".into(), Some(json!({"name": {"en": "Toys", "ar": "ألعاب"}}))),
        ("categories.replace", Method::PUT, format!("/api/categories/{id}"), Some(json!({"name": {"en": "Books", "ar": "كتب"}}))),
        ("products.create", Method::POST, "/api/products".into(), Some(product_body.clone())),
        ("products.replace", Method::PUT, "/api/products/quill".into(), Some(product_body.clone())),
        ("products.update", Method::PATCH, "/api/products/quill".into(), Some(json!({"featured": true}))),
        ("products.publish", Method::POST, "/api/products/quill/publish".into(), None),
        ("products.unpublish", Method::POST, "/api/products/quill/unpublish".into(), None),
        ("products.adjust_stock", Method::POST, "/api/products/quill/stock".into(), Some(json!({"delta": 3}))),
        ("products.images.add", Method::POST, "/api/products/quill/images".into(), None),
        ("products.images.reorder", Method::PUT, "/api/products/quill/images/order".into(), Some(json!({"order": []}))),
        ("products.images.delete", Method::DELETE, "/api/products/quill/images/0123456789abcdef".into(), None),
        ("products.delete", Method::DELETE, "/api/products/quill".into(), None),
        ("categories.delete", Method::DELETE, format!("/api/categories/{id}"), None),
        ("users.list", Method::GET, "/api/users?role=customer&page=1".into(), None),
        ("users.read", Method::GET, format!("/api/users/{customer_id}"), None),
        ("users.update", Method::PATCH, format!("/api/users/{customer_id}"), Some(json!({"role": "customer"}))),
    ];
    let public = [
        "categories.list",
        "categories.read",
        "products.list",
        "products.read",
        "auth.register",
        "auth.login",
        "auth.refresh",
        "auth.logout",
        "auth.me",
    ];
    let mut protected: Vec<String> = Vec::new();
    for component in ["catalog", "auth"] {
        let table = std::fs::read_to_string(crate::helpers::project_root().join("components").join(component).join("routes.txt")).unwrap();
        for line in table.lines().map(|l| l.split('#').next().unwrap().trim()).filter(|l| !l.is_empty()) {
            let operation = line.split_whitespace().nth(2).unwrap();
            if !public.contains(&operation) {
                protected.push(operation.to_owned());
            }
        }
    }
    let mut covered: Vec<String> = matrix.iter().map(|(op, ..)| (*op).to_owned()).collect();
    protected.sort();
    covered.sort();
    assert_eq!(protected, covered, "every protected operation of the route tables is in the matrix");

    for (who, token, expected) in identities {
        for (operation, method, path, payload) in &matrix {
            let mut request = app.client.request(method.clone(), app.url(path));
            // Versioned writes get the current version, so only identity decides.
            for (prefix, resource) in
                [("/api/categories/", format!("/api/categories/{id}")), ("/api/products/quill", "/api/products/quill".to_owned())]
            {
                if path.starts_with(prefix) && matches!(*method, Method::PUT | Method::PATCH) {
                    let current = app.as_admin(Method::GET, &resource).send().await.unwrap();
                    if current.status() == 200 {
                        let current: Value = current.json().await.unwrap();
                        request = request.header("if-match", format!("\"{}\"", current["version"]));
                    }
                }
            }
            if let Some(token) = &token {
                request = request.bearer_auth(token);
            }
            if let Some(payload) = payload {
                request = request.json(payload);
            }
            if *operation == "products.images.add" {
                let image = crate::pictures::jpeg(&crate::pictures::halves(64, 48));
                let part = reqwest::multipart::Part::bytes(image).file_name("a.jpg").mime_str("image/jpeg").unwrap();
                request = request.multipart(reqwest::multipart::Form::new().part("images", part));
            }
            let response = request.send().await.unwrap();
            // The admin passes authorization on these; the image named (or the order given)
            // need not match what the product has by then.
            let authorized_only = ["products.images.reorder", "products.images.delete"].contains(operation);
            if expected == 0 && authorized_only {
                assert!(matches!(response.status().as_u16(), 200..=299 | 404 | 422), "{who} {operation}: {}", response.status());
            } else if expected == 0 {
                assert!(response.status().is_success(), "{who} {operation}: {} {}", response.status(), response.text().await.unwrap());
            } else {
                assert_eq!(response.status(), expected, "{who} {operation}");
                assert_problem(response, expected, None).await;
            }
        }
    }
    // Only the admin's writes landed: Toys was created, Books replaced then deleted, the
    // product made and removed; the customer is still a customer.
    let user: Value = app.as_admin(Method::GET, &format!("/api/users/{customer_id}")).send().await.unwrap().json().await.unwrap();
    assert_eq!(user["role"], "customer");
    let list: Value = app.get("/api/categories").await.json().await.unwrap();
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["slug"], "toys");
    let products: Value = app.as_admin(Method::GET, "/api/products?status=any").send().await.unwrap().json().await.unwrap();
    assert_eq!(products["total"], 0);
    app.stop().await;
}

/// Every orders operation needs a valid token of an enabled user; changing an order's status
/// and listing every order need an admin.
#[tokio::test]
async fn orders_routes_need_a_signed_in_user() {
    let app = spawn_app().await;
    let registered = app.post_json("/api/auth/register", &json!({"email": "layla@example.com", "password": "correct horse battery"})).await;
    let customer: Value = registered.json().await.unwrap();
    let customer_token = app.login("layla@example.com", "correct horse battery").await;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let hs256 = json!({"alg": "HS256", "typ": "JWT"});
    let key = TEST_JWT_SECRET.as_bytes();
    let matrix: Vec<(&str, Method, &str, Option<Value>)> = vec![
        ("cart.read", Method::GET, "/api/cart", None),
        ("cart.replace", Method::PUT, "/api/cart", Some(json!({"items": []}))),
        ("cart.clear", Method::DELETE, "/api/cart", None),
        ("cart.merge", Method::POST, "/api/cart/merge", Some(json!({"items": []}))),
        ("checkout.create", Method::POST, "/api/checkout", Some(json!({}))),
        ("orders.list", Method::GET, "/api/orders", None),
        ("orders.read", Method::GET, "/api/orders/nothing-here", None),
        ("orders.cancel", Method::POST, "/api/orders/nothing-here/cancel", None),
        ("orders.pay", Method::POST, "/api/orders/nothing-here/pay", Some(json!({"payment_method": "cash_on_delivery"}))),
        ("orders.transition", Method::POST, "/api/orders/nothing-here/status", Some(json!({"status": "shipped"}))),
    ];
    let table = std::fs::read_to_string(crate::helpers::project_root().join("components/orders/routes.txt")).unwrap();
    let mut operations: Vec<&str> = table
        .lines()
        .map(|l| l.split('#').next().unwrap().trim())
        .filter(|l| !l.is_empty())
        .map(|l| l.split_whitespace().nth(2).unwrap())
        .collect();
    let mut covered: Vec<&str> = matrix.iter().map(|(op, ..)| *op).collect();
    operations.sort();
    covered.sort();
    assert_eq!(operations, covered, "every orders operation is in the matrix");
    let refused: Vec<(&str, Option<String>)> = vec![
        ("anonymous", None),
        ("expired token", Some(forge(&hs256, &claims(&customer["id"], "customer", now - 5), Some(key)))),
        ("alg none", Some(forge(&json!({"alg": "none"}), &claims(&customer["id"], "admin", now + 600), None))),
        (
            "forged with another key",
            Some(forge(&hs256, &claims(&customer["id"], "admin", now + 600), Some(b"another key of thirty-two bytes!!"))),
        ),
        ("a user who does not exist", Some(forge(&hs256, &claims(&json!("ghost"), "customer", now + 600), Some(key)))),
    ];
    for (who, token) in refused {
        for (operation, method, path, body) in &matrix {
            let mut request = app.client.request(method.clone(), app.url(path));
            if let Some(token) = &token {
                request = request.bearer_auth(token);
            }
            if let Some(body) = body {
                request = request.json(body);
            }
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), 401, "{who} {operation}");
            assert_problem(response, 401, None).await;
        }
    }
    // A customer passes every check but the admins' (the order named does not exist: 404).
    for (operation, method, path, body) in &matrix {
        let mut request = app.client.request(method.clone(), app.url(path)).bearer_auth(&customer_token);
        if let Some(body) = body {
            request = request.json(body);
        }
        let status = request.send().await.unwrap().status().as_u16();
        let expected: &[u16] = match *operation {
            "orders.transition" => &[403],
            "orders.read" | "orders.cancel" | "orders.pay" => &[404],
            "checkout.create" => &[422],
            _ => &[200],
        };
        assert!(expected.contains(&status), "customer {operation}: {status}");
    }
    let all = app.client.get(app.url("/api/orders?scope=all")).bearer_auth(&customer_token).send().await.unwrap();
    assert_problem(all, 403, None).await;
    let admin = app.as_admin(Method::POST, "/api/orders/nothing-here/status").json(&json!({"status": "shipped"})).send().await.unwrap();
    assert_problem(admin, 404, None).await;
    app.stop().await;
}
