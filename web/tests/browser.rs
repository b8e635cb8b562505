//! Browser end-to-end tests: starts the real host and storefront (with a catalogue) and a
//! real SMTP server the host sends order e-mails to, then runs `web/e2e/shop.test.mjs` in
//! Node (playwright-core driving Debian's headless Chromium; axe-core for accessibility).
//! Screenshots are kept in `web/e2e/artifacts/`.

mod support;

use std::process::Command;
use support::{ADMIN_EMAIL, ADMIN_PASSWORD, Shop, project_root, test_png};

#[tokio::test(flavor = "multi_thread")]
async fn shoppers_and_admins_in_a_real_browser() {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        std::path::Path::new(&chromium).exists(),
        "{chromium} is missing: `cargo xtask test` installs Debian's chromium when run as root (or: sudo apt-get install chromium)"
    );
    let e2e = project_root().join("web/e2e");
    assert!(e2e.join("node_modules/playwright-core").exists(), "web/e2e/node_modules is missing: run `cargo xtask test`");
    let scratch = tempfile::tempdir().unwrap();
    let mail_record = scratch.path().join("mail.jsonl");
    let smtp_port = test_support::free_port();
    let _smtp = test_support::smtp_server(&project_root().join("host/tests/smtp/server.py"), smtp_port, &mail_record);
    let smtp_url = format!("smtp://127.0.0.1:{smtp_port}");
    let shop = Shop::start_with(&[("SMTP_URL", &smtp_url), ("SHOP_MAIL_POLL_MS", "200")]).await;
    let image = scratch.path().join("upload.png");
    std::fs::write(&image, test_png(1200, 900)).unwrap();
    std::fs::write(scratch.path().join("upload-2.png"), test_png(640, 640)).unwrap();
    let artifacts = e2e.join("artifacts");
    let status = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .current_dir(&e2e)
            .args(["--test", "--test-concurrency=1", "shop.test.mjs"])
            .env("BASE_URL", &shop.web)
            .env("API_URL", &shop.api)
            .env("ADMIN_EMAIL", ADMIN_EMAIL)
            .env("ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env("IMAGE_PATH", &image)
            .env("MAIL_RECORD", &mail_record)
            .env("ARTIFACTS", &artifacts)
            .env("CHROMIUM", &chromium)
            .status()
            .map(|s| (s, shop))
    })
    .await
    .unwrap()
    .expect("node runs");
    assert!(status.0.success(), "the browser tests failed (their report is above)");
    eprintln!("screenshots: {}", project_root().join("web/e2e/artifacts").display());
}
