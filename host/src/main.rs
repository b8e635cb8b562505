//! `shop-host`: serves the shop, or talks to a running one.
//!
//! ```text
//! shop-host                    serve (configuration from the environment, see .env.example)
//! shop-host healthcheck        exit 0 when the host on SHOP_ADDR is ready (for container health checks)
//! shop-host status             list the components a running host serves, with versions
//! shop-host reload <component> swap in the component's file now
//! shop-host create-admin --email <email> --password-stdin
//!                              make an admin account on a running host (password read from stdin)
//! shop-host seed-demo [--url <url>] [--email <email> --password-stdin]
//!                              fill a running shop with the demo catalogue (idempotent), as the
//!                              admin given (default: SHOP_ADMIN_EMAIL / SHOP_ADMIN_PASSWORD)
//! ```

use anyhow::{Context, bail};
use shop_host::settings::Settings;
use shop_host::startup::{Application, shutdown_signal};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// mimalloc rather than glibc's malloc: every request allocates and frees many short-lived
/// buffers (headers, documents, the answer), where glibc spent a tenth of the host's time.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Runs the command; a failure prints its cause chain (no backtrace) and exits with 1.
fn main() -> std::process::ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> anyhow::Result<()> {
    shop_host::telemetry::init();
    let settings = Settings::from_env()?;
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        [] | ["serve"] => {
            let app = Application::build(settings).await.map_err(|e| {
                tracing::error!(error = format!("{e:#}"), "the host could not start");
                e
            })?;
            app.run(shutdown_signal()).await
        }
        ["healthcheck"] => healthcheck(&settings).await,
        ["status"] => admin_call(&settings, "GET", "/components", "").await,
        ["reload", id] => admin_call(&settings, "POST", &format!("/components/{id}/reload"), "").await,
        ["create-admin", "--email", email, "--password-stdin"] => {
            let mut password = String::new();
            std::io::stdin().read_line(&mut password).context("reading the password from stdin")?;
            let body = serde_json::json!({ "email": email, "password": password.trim_end_matches(['\r', '\n']) });
            admin_call(&settings, "POST", "/accounts/admins", &body.to_string()).await
        }
        ["seed-demo", rest @ ..] => seed_demo(&settings, rest).await,
        _ => bail!(
            "usage: shop-host [serve | healthcheck | status | reload <component> | create-admin --email <email> --password-stdin | seed-demo [--url <url>] [--email <email> --password-stdin]]"
        ),
    }
}

/// `seed-demo`: signs in as an admin and creates the demo catalogue, with a progress bar.
async fn seed_demo(settings: &Settings, args: &[&str]) -> anyhow::Result<()> {
    let mut url = format!("http://{}", settings.addr);
    let mut email = settings.admin.as_ref().map(|(email, _)| email.clone());
    let mut password = settings.admin.as_ref().map(|(_, password)| password.expose().to_owned());
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match *arg {
            "--url" => url = rest.next().context("--url needs a value")?.trim_end_matches('/').to_owned(),
            "--email" => email = Some(rest.next().context("--email needs a value")?.to_string()),
            "--password-stdin" => {
                let mut line = String::new();
                std::io::stdin().read_line(&mut line).context("reading the password from stdin")?;
                password = Some(line.trim_end_matches(['\r', '\n']).to_owned());
            }
            other => bail!("seed-demo: unknown argument {other}"),
        }
    }
    let (Some(email), Some(password)) = (email, password) else {
        bail!("seed-demo needs an admin: set SHOP_ADMIN_EMAIL and SHOP_ADMIN_PASSWORD, or pass --email <email> --password-stdin");
    };
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template("seeding the demo catalogue {bar:40} {pos}/{len}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let report = shop_host::demo::seed(&url, &email, &password, |done, total| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    })
    .await?;
    bar.finish();
    println!("demo catalogue: {} created, {} already there", report.created, report.present);
    Ok(())
}

/// `healthcheck`: `GET /readyz` on this container's own listener; succeeds on 200.
async fn healthcheck(settings: &Settings) -> anyhow::Result<()> {
    Ok(http_telemetry::health::probe(settings.addr, "/readyz", std::time::Duration::from_secs(5)).await?)
}

/// Sends one request to the operator listener of a running host and prints the answer.
async fn admin_call(settings: &Settings, method: &str, path: &str, body: &str) -> anyhow::Result<()> {
    let addr = settings.operator_addr.context("SHOP_OPERATOR_ADDR is off: no operator endpoint to call")?;
    let mut stream =
        tokio::net::TcpStream::connect(addr).await.with_context(|| format!("no host answers on {addr} (SHOP_OPERATOR_ADDR)"))?;
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await?;
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    println!("{body}");
    if !head.starts_with("HTTP/1.1 2") {
        bail!("{}", head.lines().next().unwrap_or("no answer"));
    }
    Ok(())
}
