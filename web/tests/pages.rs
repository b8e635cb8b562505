//! The storefront over plain HTTP, as a browser without JavaScript or a search engine sees
//! it: server-rendered pages in both languages, filters in the URL, SEO files, the admin
//! guard and CSRF, a polite page when the API is down, metrics by route, and SIGTERM.

mod support;

use support::{Shop, free_port, start_web, start_web_with, wait_ok};

fn count(html: &str, needle: &str) -> usize {
    html.matches(needle).count()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_storefront_renders_on_the_server_in_both_languages() {
    let shop = Shop::start().await;

    // Home: language, direction, categories, featured products, SEO links.
    let home = shop.page("/").await;
    assert!(home.contains(r#"<html lang="en" dir="ltr""#), "{}", &home[..300.min(home.len())]);
    assert!(home.contains("Coffee Blend 03") && home.contains(r#"href="/c/coffee""#));
    assert!(home.contains(&format!(r#"<link href="{}/" rel="canonical">"#, shop.web)), "canonical");
    assert!(home.contains(r#"hreflang="ar""#) && home.contains(r#"hreflang="x-default""#));
    assert!(home.contains(r#"<meta name="description""#));
    let arabic = shop.page("/ar").await;
    assert!(arabic.contains(r#"<html lang="ar" dir="rtl""#));
    assert!(arabic.contains("خلطة قهوة") && arabic.contains(r#"href="/ar/c/coffee""#));

    // A category: 24 per page, the next page, filters and sort from the URL.
    let first = shop.page("/c/coffee").await;
    assert_eq!(count(&first, r#"class="card""#), 24, "a first page of 24");
    assert!(first.contains("30 products") && first.contains(r#"rel="next" href="/c/coffee?page=2""#));
    let second = shop.page("/c/coffee?page=2").await;
    assert_eq!(count(&second, r#"class="card""#), 6);
    let filtered = shop.page("/c/coffee?min_price=20&max_price=25&in_stock=true&sort=price_desc").await;
    // 20.00…25.00 is blends 10…15; 12 and 15 are out of stock.
    assert!(filtered.contains("4 products"), "price range and stock");
    let order: Vec<usize> =
        ["Coffee Blend 14", "Coffee Blend 13", "Coffee Blend 11", "Coffee Blend 10"].iter().map(|n| filtered.find(n).expect(n)).collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "sorted by price, highest first");
    assert!(filtered.contains(r#"value="price_desc" selected"#), "the form shows the sort in use");
    // Arabic prices and counts in Arabic-Indic digits.
    let arabic_category = shop.page("/ar/c/coffee?sort=price_asc").await;
    assert!(arabic_category.contains("١٠٫٠٠"), "10.00 SAR in Arabic digits");
    assert!(arabic_category.contains("٣٠ منتجًا"), "30 products, Arabic plural");

    // Search in both languages, drafts never shown.
    let search = shop.page("/search?q=ajwa").await;
    assert!(search.contains("Ajwa Dates") && !search.contains("Sukkari"));
    let search_ar = shop.page("/ar/search?q=%D8%B9%D8%AC%D9%88%D8%A9").await;
    assert!(search_ar.contains("تمر عجوة"));
    assert!(!shop.page("/search?q=secret").await.contains("Secret Draft"));

    // A product with its image in every size, explicit dimensions, and 404 for a draft.
    let product = shop.page("/p/coffee-blend-00").await;
    assert!(product.contains(r#"srcset="/uploads/products/"#) && product.contains(" 320w") && product.contains(" 800w"));
    assert!(product.contains(r#"width="800""#) && product.contains(r#"height="600""#));
    assert!(product.contains("<title>Coffee Blend 00 · Souq</title>"));
    let image = product.split(r#"src="/uploads/"#).nth(1).unwrap().split('"').next().unwrap();
    let served = shop.get(&format!("/uploads/{image}")).await;
    assert_eq!(served.status(), 200);
    assert_eq!(served.headers()["content-type"], "image/webp");
    assert_eq!(shop.get("/p/secret-draft").await.status(), 404);
    assert_eq!(shop.get("/p/no-such-thing").await.status(), 404);
    assert_eq!(shop.get("/no/such/page").await.status(), 404);

    // The client bundle: hashed names, cached for a year, gzip.
    let script = home.split(r#"/pkg/shop-web-"#).nth(1).unwrap().split(".js").next().unwrap();
    let js = shop.client.get(format!("{}/pkg/shop-web-{script}.js", shop.web)).header("accept-encoding", "gzip").send().await.unwrap();
    assert_eq!(js.status(), 200);
    assert_eq!(js.headers()["content-encoding"], "gzip");
    assert!(js.headers()["cache-control"].to_str().unwrap().contains("immutable"));
}

/// The `Set-Cookie` values of a response.
fn set_cookies(response: &reqwest::Response) -> Vec<String> {
    response.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn shoppers_sign_in_to_their_own_pages_and_are_sent_on_only_within_the_shop() {
    let shop = Shop::start().await;
    // Without a session: the account and checkout send to sign in, in the page's language.
    for (path, to) in [
        ("/checkout", "/account/login?next=/checkout"),
        ("/account", "/account/login?next=/account"),
        ("/ar/account/orders/abc", "/ar/account/login?next=/ar/account/orders/abc"),
    ] {
        let response = shop.get(path).await;
        assert_eq!(response.status(), 303, "{path}");
        assert_eq!(response.headers()["location"], to, "{path}");
    }
    // The cart page answers a guest (the script shows the browser's cart), never from the
    // page cache and never cached by the browser.
    let cart = shop.get("/cart").await;
    assert_eq!(cart.status(), 200);
    assert_eq!(cart.headers()["cache-control"], "no-store");
    assert!(cart.headers().get("x-cache").is_none(), "personal pages are not kept");

    // A customer signs in through the form, as a browser without JavaScript does.
    let credentials = serde_json::json!({"email": "layla@example.com", "password": "correct horse battery"});
    let opened = shop.client.post(format!("{}/api/auth/register", shop.api)).json(&credentials).send().await.unwrap();
    assert_eq!(opened.status(), 201);
    let login = shop.get("/account/login?next=//evil.example/x").await;
    let csrf =
        set_cookies(&login).iter().find_map(|c| c.strip_prefix("shop_csrf=").map(|v| v.split(';').next().unwrap().to_owned())).unwrap();
    let html = login.text().await.unwrap();
    let path = html
        .split(r#"action="/_srv/auth/shopper_sign_in"#)
        .nth(1)
        .map(|rest| format!("/_srv/auth/shopper_sign_in{}", rest.split('"').next().unwrap()));
    let path = path.expect("the sign-in form posts to its server function");
    let sign_in = |next: &'static str| {
        shop.client
            .post(format!("{}{path}", shop.web))
            .header("cookie", format!("shop_csrf={csrf}"))
            .header("accept", "text/html")
            .form(&[
                ("email", "layla@example.com"),
                ("password", "correct horse battery"),
                ("csrf", csrf.as_str()),
                ("lang", "en"),
                ("next", next),
            ])
            .send()
    };
    // Sent on to a path of this shop only: another site's address falls back to the account.
    for (next, to) in [("//evil.example/x", "/account/orders"), ("https://evil.example/", "/account/orders"), ("/ar/cart", "/ar/cart")] {
        let answer = sign_in(next).await.unwrap();
        assert_eq!(answer.status(), 302, "next={next}");
        assert_eq!(answer.headers()["location"], to, "next={next}");
    }
    let answer = sign_in("/checkout").await.unwrap();
    let cookies = set_cookies(&answer);
    let hint = cookies.iter().find(|c| c.starts_with("shop_signed_in=1")).expect("the script-readable hint");
    assert!(!hint.contains("HttpOnly"), "scripts read it: {hint}");
    let session = cookies.iter().find(|c| c.starts_with("shop_session=")).expect("a session");
    assert!(session.contains("HttpOnly") && session.contains("SameSite=Strict"));
    let jar = cookies.iter().map(|c| c.split(';').next().unwrap().to_owned()).collect::<Vec<_>>().join("; ");
    let jar = format!("{jar}; shop_csrf={csrf}");
    let with_session = |path: &'static str| shop.client.get(format!("{}{path}", shop.web)).header("cookie", jar.clone()).send();

    // The shopper's pages open; the dashboard does not, and their session stays.
    let checkout = with_session("/checkout").await.unwrap();
    assert_eq!(checkout.status(), 200);
    assert_eq!(checkout.headers()["cache-control"], "no-store");
    assert!(checkout.text().await.unwrap().contains("Your cart is empty."));
    let orders = with_session("/ar/account/orders").await.unwrap();
    assert_eq!(orders.status(), 200);
    assert!(orders.text().await.unwrap().contains("layla@example.com"));
    let dashboard = with_session("/admin").await.unwrap();
    assert_eq!(dashboard.status(), 303);
    assert!(set_cookies(&dashboard).iter().all(|c| !c.starts_with("shop_session=")), "a customer is not signed out by the dashboard");
    // A catalogue page with a session is the same page everyone gets: nothing personal on it.
    let product = with_session("/p/coffee-blend-01").await.unwrap().text().await.unwrap();
    assert!(!product.contains("layla@example.com"));
}

#[tokio::test(flavor = "multi_thread")]
async fn seo_files_language_choice_and_the_admin_guard() {
    let shop = Shop::start().await;

    let robots = shop.page("/robots.txt").await;
    assert!(robots.contains("Disallow: /admin") && robots.contains("Sitemap: http://127.0.0.1"));
    let sitemap = shop.page("/sitemap.xml").await;
    assert!(sitemap.contains("/ar/p/ajwa-dates</loc>") && sitemap.contains("/c/coffee</loc>"));
    assert!(sitemap.contains(r#"hreflang="ar""#));
    assert!(!sitemap.contains("secret-draft"));

    // First visit: Accept-Language decides; a chosen language is remembered.
    let guess = shop.client.get(format!("{}/", shop.web)).header("accept-language", "ar-SA,ar;q=0.9,en;q=0.5").send().await.unwrap();
    assert_eq!(guess.status(), 302);
    assert_eq!(guess.headers()["location"], "/ar");
    let english = shop.client.get(format!("{}/", shop.web)).header("accept-language", "en-GB").send().await.unwrap();
    assert_eq!(english.status(), 200);
    let switch = shop.get("/lang/en?to=/ar/c/coffee%3Fsort%3Dname").await;
    assert_eq!(switch.status(), 303);
    assert_eq!(switch.headers()["location"], "/c/coffee?sort=name");
    assert!(switch.headers()["set-cookie"].to_str().unwrap().starts_with("shop_lang=en"));
    let chosen =
        shop.client.get(format!("{}/", shop.web)).header("accept-language", "ar").header("cookie", "shop_lang=en").send().await.unwrap();
    assert_eq!(chosen.status(), 200, "a chosen language beats the browser's");
    assert_eq!(shop.get("/lang/en?to=//evil.example/x").await.headers()["location"], "/", "no open redirect");

    // Admin pages need an admin: to the sign-in page, in the right language.
    let admin = shop.get("/admin").await;
    assert_eq!(admin.status(), 303);
    assert_eq!(admin.headers()["location"], "/admin/login?next=/admin");
    assert_eq!(shop.get("/ar/admin/users").await.headers()["location"], "/ar/admin/login?next=/ar/admin/users");
    let forged = shop.client.get(format!("{}/admin", shop.web)).header("cookie", "shop_session=not.a.token").send().await.unwrap();
    assert_eq!(forged.status(), 303);
    let login = shop.get("/admin/login").await;
    assert_eq!(login.status(), 200);
    let set_cookies: Vec<String> = login.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned()).collect();
    let csrf_cookie = set_cookies.iter().find(|c| c.starts_with("shop_csrf=")).expect("a CSRF cookie");
    assert!(csrf_cookie.contains("HttpOnly") && csrf_cookie.contains("SameSite=Strict") && csrf_cookie.contains("Secure"));
    let csrf = csrf_cookie.trim_start_matches("shop_csrf=").split(';').next().unwrap().to_owned();
    let html = login.text().await.unwrap();
    assert!(html.contains(&format!(r#"name="csrf" value="{csrf}""#)), "the form carries the token");

    // Server functions: a sign-in without the matching token is refused; from another site
    // too; an admin function without a session is 401.
    let path =
        html.split(r#"action="/_srv/auth/sign_in"#).nth(1).map(|rest| format!("/_srv/auth/sign_in{}", rest.split('"').next().unwrap()));
    let path = path.expect("the sign-in form posts to its server function");
    let post = |token: String, cookie: String, origin: Option<&'static str>| {
        let mut request = shop.client.post(format!("{}{path}", shop.web)).header("cookie", cookie).header("accept", "text/html");
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        request
            .form(&[
                ("email", support::ADMIN_EMAIL.to_owned()),
                ("password", support::ADMIN_PASSWORD.to_owned()),
                ("csrf", token),
                ("lang", "en".to_owned()),
            ])
            .send()
    };
    // (A form posted by a browser without JavaScript is sent back to its page instead.)
    let refused = post("0".repeat(32), format!("shop_csrf={csrf}"), None).await.unwrap();
    assert_eq!(refused.status(), 302);
    let forged = shop
        .client
        .post(format!("{}{path}", shop.web))
        .header("cookie", format!("shop_csrf={csrf}"))
        .form(&[("email", support::ADMIN_EMAIL), ("password", support::ADMIN_PASSWORD), ("csrf", "0".repeat(32).as_str()), ("lang", "en")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 400, "a forged form is a bad request");
    assert!(forged.headers().get_all("set-cookie").iter().all(|c| !c.to_str().unwrap().starts_with("shop_session=")));
    assert!(
        refused.headers().get_all("set-cookie").iter().all(|c| !c.to_str().unwrap().starts_with("shop_session=")),
        "no session without the token"
    );
    let wrong = shop
        .client
        .post(format!("{}{path}", shop.web))
        .header("cookie", format!("shop_csrf={csrf}"))
        .form(&[("email", support::ADMIN_EMAIL), ("password", "not the password"), ("csrf", csrf.as_str()), ("lang", "en")])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401, "a wrong password");
    assert!(wrong.text().await.unwrap().contains("not correct"));
    let cross = post(csrf.clone(), format!("shop_csrf={csrf}"), Some("https://evil.example")).await.unwrap();
    assert_eq!(cross.status(), 403);
    let signed_in = post(csrf.clone(), format!("shop_csrf={csrf}"), None).await.unwrap();
    let session = signed_in
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|c| c.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("shop_session="))
        .expect("a session cookie");
    assert!(session.contains("HttpOnly") && session.contains("SameSite=Strict") && session.contains("Secure"));
    let session_value = session.split(';').next().unwrap().to_owned();
    let products =
        shop.client.get(format!("{}/admin", shop.web)).header("cookie", format!("{session_value}; shop_csrf={csrf}")).send().await.unwrap();
    assert_eq!(products.status(), 200);
    let html = products.text().await.unwrap();
    assert!(html.contains("Secret Draft"), "admins see drafts");
    assert_eq!(
        shop.client.post(format!("{}/_srv/admin/admin_products", shop.web)).form(&[("page", "1")]).send().await.unwrap().status(),
        401
    );

    // No body may be larger than an upload may be (16 MiB), whatever it is sent to. The
    // answer comes from the declared length, before any of the body is read (a raw request:
    // a client still writing the body could see the connection closed before the answer).
    let address = shop.web.trim_start_matches("http://").to_owned();
    let answer = tokio::task::spawn_blocking(move || {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(&address).unwrap();
        // Without the limit the server would wait for the body: fail rather than hang.
        stream.set_read_timeout(Some(std::time::Duration::from_secs(10))).unwrap();
        let head = format!("POST /_srv/load_product HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n", 16 * 1024 * 1024 + 1);
        stream.write_all(head.as_bytes()).unwrap();
        let mut first = [0u8; 12];
        stream.read_exact(&mut first).unwrap();
        String::from_utf8_lossy(&first).into_owned()
    })
    .await
    .unwrap();
    assert_eq!(answer, "HTTP/1.1 413");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dead_api_gets_an_error_page_with_a_retry() {
    let port = free_port();
    let dead_api = format!("http://127.0.0.1:{}", free_port());
    let _web = start_web(&dead_api, port);
    let client = reqwest::Client::new();
    let web = format!("http://127.0.0.1:{port}");
    wait_ok(&client, &format!("{web}/healthz")).await;
    for path in ["/", "/ar/c/coffee", "/p/anything", "/search?q=tea"] {
        let response = client.get(format!("{web}{path}")).send().await.unwrap();
        assert_eq!(response.status(), 503, "{path}");
        let html = response.text().await.unwrap();
        assert!(html.contains(r#"role="alert""#) && html.contains(r#"rel="external""#), "{path}: an error panel with a retry link");
    }
    let arabic = client.get(format!("{web}/ar")).send().await.unwrap().text().await.unwrap();
    assert!(arabic.contains("حاول مجددًا"));
    assert_eq!(client.get(format!("{web}/sitemap.xml")).send().await.unwrap().status(), 503);
}

/// A slow client's connection to a storefront (whose API is down) started with `setting`:
/// it sent `sent` and stops there. Checks that another request is served meanwhile, then
/// waits (10 s at most) for the storefront to close the connection: whether it did, what it
/// answered, how long that took from the first request, and the storefront (still running)
/// with a client and its address.
async fn a_slow_client(setting: (&str, &str), sent: &[u8]) -> (bool, String, std::time::Duration, SlowClientShop) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let port = free_port();
    let dead_api = format!("http://127.0.0.1:{}", free_port());
    let process = start_web_with(&dead_api, port, &[setting]);
    let client = reqwest::Client::new();
    let web = format!("http://127.0.0.1:{port}");
    wait_ok(&client, &format!("{web}/healthz")).await;
    let mut slow = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    slow.write_all(sent).await.unwrap();
    let started = std::time::Instant::now();
    assert_eq!(client.get(format!("{web}/healthz")).send().await.unwrap().status(), 200, "others are served meanwhile");
    let mut answer = Vec::new();
    let closed = tokio::time::timeout(std::time::Duration::from_secs(10), slow.read_to_end(&mut answer)).await;
    (closed.is_ok(), String::from_utf8_lossy(&answer).into_owned(), started.elapsed(), SlowClientShop { _process: process, client, web })
}

/// The storefront of [`a_slow_client`], kept running while it is held.
struct SlowClientShop {
    _process: support::Process,
    client: reqwest::Client,
    web: String,
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_that_never_finishes_its_head_is_disconnected_while_others_are_served() {
    let (closed, _, took, _) = a_slow_client(("WEB_HEAD_TIMEOUT_MS", "700"), b"GET / HTTP/1.1\r\nHost: shop\r\nX-Slow: ").await;
    assert!(closed, "a half-sent head still holds its connection after 10 s");
    assert!(took >= std::time::Duration::from_millis(500), "closed before the deadline: {took:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_count_pages_by_route_and_sigterm_stops_the_storefront() {
    let port = free_port();
    let dead_api = format!("http://127.0.0.1:{}", free_port());
    let mut web_process = start_web(&dead_api, port);
    let client = reqwest::Client::new();
    let web = format!("http://127.0.0.1:{port}");
    wait_ok(&client, &format!("{web}/healthz")).await;
    for path in ["/c/coffee", "/c/dates", "/p/anything"] {
        let answer = client.get(format!("{web}{path}")).send().await.unwrap();
        assert!(answer.headers().contains_key("x-request-id"), "{path} carries a request id");
    }
    let metrics = client.get(format!("{web}/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains(r#"shop_web_http_requests_total{method="GET",route="/c/{slug}",status="503"} 2"#), "{metrics}");
    assert!(metrics.contains(r#"shop_web_http_requests_total{method="GET",route="/p/{slug}",status="503"} 1"#), "{metrics}");
    assert!(!metrics.contains("/c/coffee"), "raw paths never become labels");

    // SIGTERM: an idle storefront exits at once, and cleanly.
    let pid = web_process.id().to_string();
    assert!(std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = web_process.child().try_wait().unwrap() {
            break status;
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(10), "the storefront did not stop");
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    assert!(status.success(), "{status}");
}

#[tokio::test(flavor = "multi_thread")]
async fn pages_are_kept_until_the_catalogue_changes() {
    let shop = Shop::start().await;
    let cache = |response: &reqwest::Response| response.headers().get("x-cache").map(|v| v.to_str().unwrap().to_owned());
    let first = shop.get("/c/dates").await;
    assert_eq!(cache(&first).as_deref(), Some("miss"));
    let first = first.text().await.unwrap();
    let second = shop.get("/c/dates").await;
    assert_eq!(cache(&second).as_deref(), Some("hit"), "the second view comes from memory");
    assert_eq!(second.text().await.unwrap(), first);
    assert!(!first.contains("77.77"));

    // A price changed straight through the API (not through this storefront): the host tells
    // the storefront, which drops its pages at once.
    let product = shop.admin(reqwest::Method::GET, "/api/products/sukkari-dates", serde_json::Value::Null).await;
    let response = shop
        .client
        .patch(format!("{}/api/products/sukkari-dates", shop.api))
        .bearer_auth(&shop.token)
        .header("if-match", format!("\"{}\"", product["version"]))
        .json(&serde_json::json!({"price": {"amount": 7777, "currency": "SAR"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let changed = std::time::Instant::now();
    loop {
        let page = shop.page("/c/dates").await;
        if page.contains("77.77") {
            break;
        }
        assert!(changed.elapsed() < std::time::Duration::from_secs(2), "the storefront kept a stale page");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    eprintln!("the changed price showed after {:?}", changed.elapsed());

    // A signed-in shopper or admin shares the guests' kept pages (rendered without a session:
    // nothing personal on them), on `/` too, whose answer depends on a cookie: only the
    // chosen language counts. A token in `Authorization` is never answered from memory, and what is
    // not a page is not kept.
    let session = "shop_session=anything; shop_refresh=else; shop_csrf=0123";
    let as_signed_in =
        |path: &str, cookies: &str| shop.client.get(format!("{}{path}", shop.web)).header("cookie", cookies.to_owned()).send();
    let signed_in = as_signed_in("/c/dates", session).await.unwrap();
    assert_eq!(cache(&signed_in).as_deref(), Some("hit"), "a session shares the guests' page");
    assert!(signed_in.text().await.unwrap().contains("77.77"));
    assert_eq!(cache(&shop.get("/").await).as_deref(), Some("miss"));
    assert_eq!(cache(&as_signed_in("/", session).await.unwrap()).as_deref(), Some("hit"), "no copy per session");
    assert_eq!(cache(&as_signed_in("/", "shop_lang=en; shop_session=other").await.unwrap()).as_deref(), Some("hit"));
    let arabic = as_signed_in("/", &format!("{session}; shop_lang=ar")).await.unwrap();
    assert_eq!(
        (arabic.status().as_u16(), arabic.headers()["location"].to_str().unwrap()),
        (302, "/ar"),
        "the chosen language still decides"
    );
    let bearer = shop.client.get(format!("{}/c/dates", shop.web)).bearer_auth("anything").send().await.unwrap();
    assert_eq!(cache(&bearer), None);
    assert_eq!(cache(&shop.get("/healthz").await), None);
    let metrics = shop.get("/metrics").await.text().await.unwrap();
    assert!(metrics.contains("shop_web_response_cache_hits_total"), "{metrics}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_body_that_trickles_in_is_answered_408_and_the_connection_closed() {
    // A form post's head, then 10 of the 100 bytes it announced.
    let head = b"POST /api/login HTTP/1.1\r\nHost: shop\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nemail=a%40";
    let (closed, answer, took, shop) = a_slow_client(("WEB_BODY_TIMEOUT_MS", "700"), head).await;
    assert!(closed, "a trickling body still holds its connection after 10 s");
    assert!(took >= std::time::Duration::from_millis(500), "answered before the deadline: {took:?}");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    // A body sent in time goes on to the routes (which refuse this one, but not with 408).
    let quick = shop.client.post(format!("{}/api/login", shop.web)).form(&[("email", "a@example.com")]).send().await.unwrap();
    assert_ne!(quick.status(), 408);
}
