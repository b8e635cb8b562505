//! Product images: uploads through the real media component, files served from /uploads,
//! and hostile inputs refused with nothing stored.

use crate::helpers::{Options, TestApp, assert_problem, spawn_app, spawn_app_with};
use crate::pictures::{decode_webp, files_under, half_transparent, halves, jpeg, png_bomb, png_rgba, webp, with_exif_orientation};
use reqwest::Method;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

/// One file part: field, file name, declared type, bytes.
type File = (&'static str, &'static str, &'static str, Vec<u8>);

fn form(files: Vec<File>) -> Form {
    files
        .into_iter()
        .fold(Form::new(), |form, (field, name, mime, bytes)| form.part(field, Part::bytes(bytes).file_name(name).mime_str(mime).unwrap()))
}

async fn upload(app: &TestApp, product: &str, files: Vec<File>) -> reqwest::Response {
    app.as_admin(Method::POST, &format!("/api/products/{product}/images")).multipart(form(files)).send().await.unwrap()
}

async fn new_product(app: &TestApp, slug: &str) -> Value {
    let response = app
        .admin_post_json("/api/products", &json!({"name": {"en": slug}, "slug": slug, "price": {"amount": 1500, "currency": "USD"}}))
        .await;
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

/// Every file a product's images reference.
fn referenced(product: &Value) -> Vec<String> {
    let mut keys: Vec<String> = product["images"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|image| {
            image["variants"].as_array().unwrap().iter().map(|v| v["url"].as_str().unwrap().trim_start_matches("/uploads/").to_owned())
        })
        .collect();
    keys.sort();
    keys
}

/// Fetches a variant, checks its headers, and decodes it.
async fn fetch_variant(app: &TestApp, variant: &Value) -> image::RgbaImage {
    let response = app.get(variant["url"].as_str().unwrap()).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "image/webp");
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    assert_eq!(response.headers()["cache-control"], "public, max-age=31536000, immutable");
    let bytes = response.bytes().await.unwrap();
    assert_eq!(bytes.len() as u64, variant["bytes"].as_u64().unwrap());
    let decoded = decode_webp(&bytes);
    assert_eq!(
        (decoded.width(), decoded.height()),
        (variant["width"].as_u64().unwrap() as u32, variant["height"].as_u64().unwrap() as u32)
    );
    decoded
}

fn widths(image: &Value) -> Vec<u64> {
    image["variants"].as_array().unwrap().iter().map(|v| v["width"].as_u64().unwrap()).collect()
}

#[tokio::test]
async fn a_jpeg_with_an_exif_rotation_comes_out_upright_in_every_width() {
    let app = spawn_app().await;
    let product = new_product(&app, "rotated").await;
    // Stored 2000×1000 with the red half on the left; orientation 6 says "turn 90° clockwise
    // to display", so upright it is 1000×2000 with red on top.
    let bytes = with_exif_orientation(&jpeg(&halves(2000, 1000)), 6);
    let response = upload(&app, product["id"].as_str().unwrap(), vec![("images", "photo.jpg", "image/jpeg", bytes)]).await;
    assert_eq!(response.status(), 201);
    let product: Value = response.json().await.unwrap();
    let image = &product["images"][0];
    assert_eq!((image["width"].as_u64(), image["height"].as_u64(), image["format"].as_str()), (Some(1000), Some(2000), Some("jpeg")));
    // Never upscaled: the widths under 1000, then 1000 itself.
    assert_eq!(widths(image), vec![320, 640, 1000]);
    for variant in image["variants"].as_array().unwrap() {
        let decoded = fetch_variant(&app, variant).await;
        assert_eq!(decoded.height(), decoded.width() * 2);
        let top = decoded.get_pixel(decoded.width() / 2, decoded.height() / 8);
        let bottom = decoded.get_pixel(decoded.width() / 2, decoded.height() * 7 / 8);
        assert!(top[0] > 150 && top[2] < 100, "the top is red: {top:?}");
        assert!(bottom[2] > 150 && bottom[0] < 100, "the bottom is blue: {bottom:?}");
        // No metadata survives: the WebP has no EXIF chunk.
        let raw = app.get(variant["url"].as_str().unwrap()).await.bytes().await.unwrap();
        assert!(!raw.windows(4).any(|w| w == b"EXIF"), "EXIF was stripped");
    }
    // Every stored file is one the product references.
    assert_eq!(files_under(&app.uploads_dir), referenced(&product));
}

#[tokio::test]
async fn a_png_keeps_its_transparency() {
    let app = spawn_app().await;
    new_product(&app, "translucent").await;
    let response = upload(&app, "translucent", vec![("images", "logo.png", "image/png", png_rgba(&half_transparent(800, 600)))]).await;
    assert_eq!(response.status(), 201);
    let product: Value = response.json().await.unwrap();
    assert_eq!(product["images"][0]["format"], "png");
    assert_eq!(widths(&product["images"][0]), vec![320, 640, 800]);
    for variant in product["images"][0]["variants"].as_array().unwrap() {
        let decoded = fetch_variant(&app, variant).await;
        let (w, h) = (decoded.width(), decoded.height());
        assert_eq!(h * 4, w * 3);
        assert!(decoded.get_pixel(w / 8, h / 2)[3] < 10, "the left is transparent");
        let right = decoded.get_pixel(w * 7 / 8, h / 2);
        assert!(right[3] > 245 && right[1] > 140, "the right is opaque green: {right:?}");
    }
}

#[tokio::test]
async fn webp_input_and_a_small_image_round_trip_without_upscaling() {
    let app = spawn_app().await;
    let product = new_product(&app, "webp-in").await;
    let id = product["id"].as_str().unwrap();
    let response = upload(
        &app,
        id,
        vec![("images", "a.webp", "image/webp", webp(&halves(400, 300))), ("images", "tiny.jpg", "image/jpeg", jpeg(&halves(100, 50)))],
    )
    .await;
    assert_eq!(response.status(), 201);
    let product: Value = response.json().await.unwrap();
    assert_eq!(product["images"][0]["format"], "webp");
    assert_eq!(widths(&product["images"][0]), vec![320, 400]);
    // Smaller than every width: one variant at its own size.
    assert_eq!(widths(&product["images"][1]), vec![100]);
    for image in product["images"].as_array().unwrap() {
        for variant in image["variants"].as_array().unwrap() {
            fetch_variant(&app, variant).await;
        }
    }
    // Sending the same files again adds nothing (a retried upload is harmless).
    let again = upload(&app, id, vec![("images", "a.webp", "image/webp", webp(&halves(400, 300)))]).await;
    assert_eq!(again.status(), 200);
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["images"].as_array().unwrap().len(), 2);
    assert_eq!(files_under(&app.uploads_dir), referenced(&again));
}

#[tokio::test]
async fn images_are_reordered_and_deleted_with_their_files() {
    let app = spawn_app().await;
    let product = new_product(&app, "gallery").await;
    let id = product["id"].as_str().unwrap().to_owned();
    let files = (0..3).map(|n| ("images", "p.jpg", "image/jpeg", jpeg(&halves(300 + n * 10, 200)))).collect();
    let product: Value = upload(&app, &id, files).await.json().await.unwrap();
    let ids: Vec<String> = product["images"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(ids.len(), 3);

    // Reorder: a permutation of every id, or a 422 naming `order`.
    let reordered = app
        .as_admin(Method::PUT, &format!("/api/products/{id}/images/order"))
        .json(&json!({"order": [ids[2], ids[0], ids[1]]}))
        .send()
        .await
        .unwrap();
    assert_eq!(reordered.status(), 200);
    let reordered: Value = reordered.json().await.unwrap();
    let now: Vec<&str> = reordered["images"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap()).collect();
    assert_eq!(now, vec![ids[2].as_str(), ids[0].as_str(), ids[1].as_str()]);
    for bad in [json!({"order": [ids[0], ids[1]]}), json!({"order": [ids[0], ids[0], ids[1]]}), json!({"order": "x"}), json!({})] {
        let response = app.as_admin(Method::PUT, &format!("/api/products/{id}/images/order")).json(&bad).send().await.unwrap();
        assert_problem(response, 422, Some("order")).await;
    }
    let stale = app
        .as_admin(Method::PUT, &format!("/api/products/{id}/images/order"))
        .header("if-match", "\"1\"")
        .json(&json!({"order": ids}))
        .send()
        .await
        .unwrap();
    assert_problem(stale, 409, None).await;

    // Delete one image: its files go, the others stay.
    let gone: Vec<String> = referenced(&json!({"images": [reordered["images"][0].clone()]}));
    let response = app.as_admin(Method::DELETE, &format!("/api/products/{id}/images/{}", ids[2])).send().await.unwrap();
    assert_eq!(response.status(), 204);
    let missing = app.as_admin(Method::DELETE, &format!("/api/products/{id}/images/{}", ids[2])).send().await.unwrap();
    assert_problem(missing, 404, None).await;
    let product: Value = app.as_admin(Method::GET, &format!("/api/products/{id}")).send().await.unwrap().json().await.unwrap();
    assert_eq!(product["images"].as_array().unwrap().len(), 2);
    assert_eq!(files_under(&app.uploads_dir), referenced(&product));
    for key in gone {
        assert_eq!(app.get(&format!("/uploads/{key}")).await.status(), 404);
    }

    // Deleting the product deletes every file.
    let response = app.as_admin(Method::DELETE, &format!("/api/products/{id}")).send().await.unwrap();
    assert_eq!(response.status(), 204);
    assert!(files_under(&app.uploads_dir).is_empty(), "left: {:?}", files_under(&app.uploads_dir));
    assert!(std::fs::read_dir(&app.uploads_dir).map(|d| d.count()).unwrap_or(0) == 0, "no empty directories are left");
}

#[tokio::test]
async fn a_product_is_created_with_its_images_in_one_request_or_not_at_all() {
    let app = spawn_app().await;
    let product = json!({"name": {"en": "Olive soap"}, "price": {"amount": 900, "currency": "USD"}});
    let files = form(vec![
        ("images", "a.jpg", "image/jpeg", jpeg(&halves(700, 500))),
        ("images", "b.png", "image/png", png_rgba(&half_transparent(200, 200))),
    ])
    .part("product", Part::text(product.to_string()).mime_str("application/json").unwrap());
    let response = app.as_admin(Method::POST, "/api/products").multipart(files).send().await.unwrap();
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    assert_eq!(created["slug"], "olive-soap");
    assert_eq!(created["images"].as_array().unwrap().len(), 2);
    assert_eq!(files_under(&app.uploads_dir), referenced(&created));

    // One bad image: no product, no file.
    let bad = form(vec![
        ("images", "a.jpg", "image/jpeg", jpeg(&halves(300, 200))),
        ("images", "x.jpg", "image/jpeg", b"<html><script>alert(1)</script>".to_vec()),
    ])
    .part("product", Part::text(json!({"name": {"en": "Second"}, "price": {"amount": 1, "currency": "USD"}}).to_string()));
    let response = app.as_admin(Method::POST, "/api/products").multipart(bad).send().await.unwrap();
    assert_problem(response, 415, Some("images[1]")).await;
    // Invalid product fields are refused before any image is processed.
    let invalid = form(vec![("images", "a.jpg", "image/jpeg", jpeg(&halves(300, 200)))])
        .part("product", Part::text(json!({"name": {"en": "No price"}}).to_string()));
    let response = app.as_admin(Method::POST, "/api/products").multipart(invalid).send().await.unwrap();
    assert_problem(response, 422, Some("price")).await;
    let no_product = form(vec![("images", "a.jpg", "image/jpeg", jpeg(&halves(300, 200)))]);
    let response = app.as_admin(Method::POST, "/api/products").multipart(no_product).send().await.unwrap();
    assert_problem(response, 422, Some("product")).await;
    // A duplicate slug: 409, and the files written for it are gone again.
    let duplicate = form(vec![("images", "c.jpg", "image/jpeg", jpeg(&halves(320, 240)))]).part("product", Part::text(product.to_string()));
    let response = app.as_admin(Method::POST, "/api/products").multipart(duplicate).send().await.unwrap();
    assert_problem(response, 409, Some("slug")).await;

    let list: Value = app.as_admin(Method::GET, "/api/products?status=any").send().await.unwrap().json().await.unwrap();
    assert_eq!(list["total"], 1);
    assert_eq!(files_under(&app.uploads_dir), referenced(&created));
}

#[tokio::test]
async fn hostile_uploads_get_a_clear_4xx_and_store_nothing() {
    let app = spawn_app_with(Options { env: vec![("SHOP_MAX_BODY_BYTES", (64 << 20).to_string())], ..Options::default() }).await;
    let product = new_product(&app, "target").await;
    let id = product["id"].as_str().unwrap();
    let valid = jpeg(&halves(640, 480));
    let mut truncated = valid.clone();
    truncated.truncate(valid.len() / 2);
    let gif = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;".to_vec();
    let cases: Vec<(&str, Vec<File>, u16, &str)> = vec![
        ("a 50,000 × 50,000 PNG bomb", vec![("images", "bomb.png", "image/png", png_bomb(50_000, 50_000))], 422, "images[0]"),
        ("a truncated JPEG", vec![("images", "cut.jpg", "image/jpeg", truncated)], 422, "images[0]"),
        ("a GIF that says it is a PNG", vec![("images", "photo.png", "image/png", gif)], 415, "images[0]"),
        (
            "HTML renamed .jpg",
            vec![("images", "photo.jpg", "image/jpeg", b"<!DOCTYPE html><html><script>alert(1)</script></html>".to_vec())],
            415,
            "images[0]",
        ),
        ("an empty part", vec![("images", "empty.jpg", "image/jpeg", Vec::new())], 422, "images[0]"),
        (
            "a good image then a bad one",
            vec![("images", "ok.jpg", "image/jpeg", valid.clone()), ("images", "x.jpg", "image/jpeg", b"nope".to_vec())],
            415,
            "images[1]",
        ),
        ("eleven files", (0..11).map(|_| ("images", "ok.jpg", "image/jpeg", valid.clone())).collect(), 422, "images"),
        ("a file over 10 MiB", vec![("images", "big.jpg", "image/jpeg", vec![0xFF; (10 << 20) + 1])], 413, "images[0]"),
        ("an unknown field", vec![("avatar", "ok.jpg", "image/jpeg", valid.clone())], 422, "avatar"),
    ];
    for (what, files, status, field) in cases {
        let response = upload(&app, id, files).await;
        let body = assert_problem(response, status, Some(field)).await;
        assert!(body["detail"].as_str().is_some_and(|d| !d.is_empty()), "{what}: a detail says why: {body}");
    }
    // Not a multipart body at all.
    let response = app.admin_post_raw(&format!("/api/products/{id}/images"), "application/json", "{}").await;
    assert_problem(response, 415, None).await;
    let response = app.admin_post_raw(&format!("/api/products/{id}/images"), "multipart/form-data; boundary=x", "garbage").await;
    assert!(response.status().is_client_error());
    // Nothing was stored, and the product is unchanged.
    assert!(files_under(&app.uploads_dir).is_empty(), "stored: {:?}", files_under(&app.uploads_dir));
    let after: Value = app.as_admin(Method::GET, "/api/products/target").send().await.unwrap().json().await.unwrap();
    assert_eq!(after["images"], json!([]));
    assert_eq!(after["version"], product["version"]);
    // Only admins upload.
    let anonymous = app
        .client
        .post(app.url(&format!("/api/products/{id}/images")))
        .multipart(form(vec![("images", "ok.jpg", "image/jpeg", valid)]))
        .send()
        .await
        .unwrap();
    assert_problem(anonymous, 401, None).await;
}

#[tokio::test]
async fn uploads_are_served_safely() {
    let app = spawn_app().await;
    std::fs::create_dir_all(app.uploads_dir.join("products/p")).unwrap();
    std::fs::write(app.uploads_dir.join("products/p/abc.webp"), b"RIFF....WEBP").unwrap();
    let response = app.get("/uploads/products/p/abc.webp").await;
    assert_eq!(response.status(), 200);
    let etag = response.headers()["etag"].to_str().unwrap().to_owned();
    let cached = app.client.get(app.url("/uploads/products/p/abc.webp")).header("if-none-match", &etag).send().await.unwrap();
    assert_eq!(cached.status(), 304);
    // Nothing outside the uploads directory, however the path is spelt.
    std::fs::write(app.uploads_dir.parent().unwrap().join("secret.txt"), b"secret").unwrap();
    for path in [
        "/uploads/../secret.txt",
        "/uploads/..%2fsecret.txt",
        "/uploads/%2e%2e/secret.txt",
        "/uploads/products/../../secret.txt",
        "/uploads/.hidden",
        "/uploads/products/p/ABC.webp",
        "/uploads/products/p/missing.webp",
        "/uploads/products//p/abc.webp",
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 404, "{path}");
        assert_eq!(response.headers()["content-type"], "application/problem+json", "{path}");
    }
    // Only reads, answered as the Spin deployment's uploads component answers them.
    let post = app.client.post(app.url("/uploads/products/p/abc.webp")).body("x").send().await.unwrap();
    assert_eq!(post.headers()["allow"], "GET, HEAD");
    let problem = assert_problem(post, 405, None).await;
    assert_eq!(problem["type"], "/problems/method-not-allowed");
}

/// Variants stored before keys were (`url` in the document, not `key`) read as they did: the
/// product shows the same URLs, a change stores the key form, and deleting the image deletes
/// its files. Shown on whichever store the suite runs on, written beside the host.
#[tokio::test]
async fn variants_stored_by_url_read_change_and_delete_as_before() {
    use shop_host::capabilities::documents::Collection;
    let app = spawn_app_with(Options {
        env: vec![("SHOP_STORE_SHARED", "true".into()), ("SHOP_RESPONSE_CACHE", "off".into())],
        ..Default::default()
    })
    .await;
    let product = new_product(&app, "older-lamp").await;
    let id = product["id"].as_str().unwrap().to_owned();
    let uploaded = upload(&app, &id, vec![("images", "lamp.png", "image/png", png_rgba(&half_transparent(700, 500)))]).await;
    assert_eq!(uploaded.status(), 201);
    let shown: Value = uploaded.json().await.unwrap();
    let files = referenced(&shown);
    assert_eq!(files_under(&app.uploads_dir), files);

    let store = crate::helpers::open_store_beside(&app).await;
    let products = Collection::parse("products").unwrap();
    let stored: Value = serde_json::from_str(&store.get(&products, &id).await.unwrap().unwrap()).unwrap();
    let variants = &stored["images"][0]["variants"];
    assert!(variants.as_array().unwrap().iter().all(|v| v.get("key").is_some() && v.get("url").is_none()), "stored by key: {variants}");
    // Back to the older form, as a store written before this change holds it.
    let in_older_form = |stored: &Value| {
        let mut older = stored.as_object().unwrap().clone();
        let version = older.remove("_version").unwrap().as_u64().unwrap();
        for variant in older["images"][0]["variants"].as_array_mut().unwrap() {
            let key = variant.as_object_mut().unwrap().remove("key").unwrap();
            variant["url"] = json!(format!("/uploads/{}", key.as_str().unwrap()));
        }
        (older, version)
    };
    let (older, version) = in_older_form(&stored);
    store.replace(&products, &id, version, older).await.unwrap().unwrap();

    // A draft: an admin reads it.
    let read: Value = app.as_admin(Method::GET, &format!("/api/products/{id}")).send().await.unwrap().json().await.unwrap();
    assert_eq!(read["images"], shown["images"], "the same URLs from the older form");
    let changed = app.as_admin(Method::POST, &format!("/api/products/{id}/stock")).json(&json!({"set": 4})).send().await.unwrap();
    assert_eq!(changed.status(), 200);
    let changed: Value = changed.json().await.unwrap();
    assert_eq!(changed["images"], shown["images"]);
    let rewritten: Value = serde_json::from_str(&store.get(&products, &id).await.unwrap().unwrap()).unwrap();
    assert_eq!(rewritten["images"], stored["images"], "a change stores the key form again");

    // And from the older form, deleting the image deletes its files.
    let (older, version) = in_older_form(&rewritten);
    store.replace(&products, &id, version, older).await.unwrap().unwrap();
    let image = shown["images"][0]["id"].as_str().unwrap();
    let deleted = app.as_admin(Method::DELETE, &format!("/api/products/{id}/images/{image}")).send().await.unwrap();
    assert_eq!(deleted.status(), 204);
    assert!(files_under(&app.uploads_dir).is_empty(), "the files went with the image");
    app.stop().await;
}
