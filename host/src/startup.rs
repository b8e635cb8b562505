//! Building and running the application: store, runtime, listeners, watcher.

use crate::capabilities::blobs::FsBlobs;
use crate::capabilities::config::Variables;
use crate::capabilities::documents::DocumentStore;
use crate::capabilities::documents::mongo::MongoStore;
use crate::capabilities::documents::sqlite::{Sharing, SqliteStore};
use crate::http::operator;
use crate::http::router::{self, Front};
use crate::manifest::Manifest;
use crate::runtime::{Runtime, links};
use crate::settings::Settings;
use crate::watcher;
use anyhow::Context;
use http_telemetry::serve::{ConnectionLimits, serve};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;

/// A built application, listening but not yet serving.
pub struct Application {
    runtime: Arc<Runtime>,
    mailer: Option<crate::mailer::Mailer>,
    manifest: Arc<Manifest>,
    listener: TcpListener,
    operator_listener: Option<TcpListener>,
    addr: SocketAddr,
    operator_addr: Option<SocketAddr>,
}

impl Application {
    /// Opens the store, loads the components and binds the listeners.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let manifest = Manifest::load(&settings.manifest)?;
        // Checked before anything starts: a wrong SMTP_URL is a start-up error, not lost mail.
        let mailer = match settings.mail_poll {
            Some(_) => Some(crate::mailer::Mailer::new(
                settings.smtp_url.as_ref(),
                &settings.mail_from,
                settings.data_dir.join("outbox"),
                settings.mail_keep,
            )?),
            None => None,
        };
        let documents = match &settings.mongodb_uri {
            // Connects lazily: the host starts (not ready) while MongoDB is down.
            Some(uri) => DocumentStore::Mongo(
                MongoStore::connect(uri.expose(), settings.mongodb_db.as_deref())
                    .await
                    .context("configuring the MongoDB store (MONGODB_URI)")?,
            ),
            None => DocumentStore::Sqlite(
                SqliteStore::open_with(&settings.data_dir, if settings.store_shared { Sharing::Shared } else { Sharing::Exclusive })
                    .with_context(|| format!("opening the embedded store in {}", settings.data_dir.display()))?,
            ),
        };
        let blobs = FsBlobs::open(&settings.uploads_dir)
            .with_context(|| format!("opening the uploads directory {}", settings.uploads_dir.display()))?;
        let variables = Variables::resolve(&manifest, |name| settings.spin_variables.get(name).map(|v| v.expose().to_owned()));
        let listener = TcpListener::bind(settings.addr).await.with_context(|| format!("listening on {} (SHOP_ADDR)", settings.addr))?;
        let operator_listener = match settings.operator_addr {
            Some(addr) => Some(TcpListener::bind(addr).await.with_context(|| format!("listening on {addr} (SHOP_OPERATOR_ADDR)"))?),
            None => None,
        };
        let runtime = Runtime::start(settings, &manifest, documents, blobs, variables).await?;
        if let Some((email, password)) = runtime.settings.admin.clone() {
            match links::create_admin(&runtime, &email, password.expose()).await {
                Ok(Ok(_)) => tracing::info!(%email, "admin account ready (SHOP_ADMIN_EMAIL)"),
                Ok(Err(reason)) => anyhow::bail!("the admin account from SHOP_ADMIN_EMAIL was refused: {reason}"),
                Err(error) => anyhow::bail!("the admin account from SHOP_ADMIN_EMAIL could not be made: {error}"),
            }
        }
        let addr = listener.local_addr()?;
        let operator_addr = operator_listener.as_ref().map(TcpListener::local_addr).transpose()?;
        Ok(Self { runtime, mailer, manifest: Arc::new(manifest), listener, operator_listener, addr, operator_addr })
    }

    /// The public address (useful with port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The component runtime (benchmarks call components directly through it).
    pub fn runtime(&self) -> std::sync::Arc<Runtime> {
        self.runtime.clone()
    }

    /// The operator address, if enabled.
    pub fn operator_addr(&self) -> Option<SocketAddr> {
        self.operator_addr
    }

    /// Serves until `shutdown` completes, then finishes the requests in flight.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        let Self { runtime, mailer, manifest, listener, operator_listener, addr, operator_addr } = self;
        tracing::info!(%addr, store = runtime.documents.backend(), components = runtime.slots.len(), "shop host listening");
        if let Some(interval) = runtime.settings.swap_poll {
            tokio::spawn(watcher::watch(runtime.clone(), interval));
        }
        let watching_store = watch_shared_store(&runtime);
        if runtime.settings.housekeeping.is_some() {
            // Before the first request: the catalog declares its indexes here (its reads do
            // not), and a change the round makes is not one a client saw happen.
            let started = std::time::Instant::now();
            crate::housekeeping::run_once(&runtime).await;
            tracing::info!(took_ms = started.elapsed().as_millis() as u64, "first housekeeping round done");
        }
        let housekeeping =
            runtime.settings.housekeeping.map(|interval| tokio::spawn(crate::housekeeping::every(runtime.clone(), interval)));
        let mailing = match (mailer, runtime.settings.mail_poll) {
            (Some(mailer), Some(interval)) => {
                tracing::info!(to = %mailer.describe(), "delivering order e-mails");
                Some(tokio::spawn(mailer.run(Arc::downgrade(&runtime), interval)))
            }
            _ => None,
        };
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let limits = ConnectionLimits { head_timeout: runtime.settings.head_timeout, ..ConnectionLimits::default() };
        let mut operator_task = None;
        if let (Some(operator), Some(operator_addr)) = (operator_listener, operator_addr) {
            tracing::info!(%operator_addr, "operator endpoints listening");
            let mut stop = stop_rx.clone();
            let app = operator::router(runtime.clone());
            operator_task = Some(tokio::spawn(async move {
                let stopped = async move {
                    let _ = stop.wait_for(|stopped| *stopped).await;
                };
                if let Err(e) = serve(operator, app, limits, stopped).await {
                    tracing::error!(error = %e, "operator listener failed");
                }
            }));
        }
        let grace = runtime.settings.shutdown_grace;
        let app = router::router(Front { runtime, manifest });
        let (stopping, began) = http_telemetry::shutdown::begin(async move {
            shutdown.await;
            let _ = stop_tx.send(true);
        });
        let ending = http_telemetry::shutdown::within_deadline(serve(listener, app, limits, stopping), began, grace).await?;
        // Both listeners are done with the runtime: the store (and its lock) goes with it,
        // once a housekeeping round in progress is dropped too.
        if let Some(task) = housekeeping {
            task.abort();
            let _ = task.await;
        }
        if let Some(task) = mailing {
            task.abort();
            let _ = task.await;
        }
        if let Some(task) = watching_store {
            task.abort();
            let _ = task.await;
        }
        if let Some(task) = operator_task {
            if ending == http_telemetry::shutdown::Ending::DeadlinePassed {
                task.abort();
            }
            let _ = task.await;
        }
        Ok(())
    }
}

/// How often a host sharing the embedded store looks for commits other hosts made.
const SHARED_STORE_POLL: std::time::Duration = std::time::Duration::from_millis(100);

/// On an embedded store shared with other hosts, this host cannot see their writes: every
/// [`SHARED_STORE_POLL`] a probe asks SQLite whether anyone committed, and if so every mark
/// moves (cached answers become stale, `/api/changes` followers are told). On MongoDB,
/// cached answers live at most their `max-age`.
fn watch_shared_store(runtime: &Arc<Runtime>) -> Option<tokio::task::JoinHandle<()>> {
    let DocumentStore::Sqlite(store) = &runtime.documents else { return None };
    if !store.is_shared() {
        return None;
    }
    let mut probe = match store.change_probe() {
        Ok(probe) => probe,
        Err(error) => {
            tracing::error!(%error, "cannot watch the shared store for other hosts' writes; the response cache is limited to max-age");
            return None;
        }
    };
    let runtime = runtime.clone();
    Some(tokio::spawn(async move {
        let mut ticks = tokio::time::interval(SHARED_STORE_POLL);
        loop {
            ticks.tick().await;
            let Ok((back, changed)) = tokio::task::spawn_blocking(move || {
                let changed = probe.changed();
                (probe, changed)
            })
            .await
            else {
                runtime.changes.changed_elsewhere();
                return;
            };
            probe = back;
            match changed {
                Ok(true) => runtime.changes.changed_elsewhere(),
                Ok(false) => {}
                Err(error) => {
                    tracing::warn!(%error, "probing the shared store failed; cached answers are dropped");
                    runtime.changes.changed_elsewhere();
                }
            }
        }
    }))
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    http_telemetry::shutdown::signal().await;
}
