//! The `ogw` server: configuration, start-up, background jobs and graceful shutdown.
//! `main.rs` is only the CLI; tests build the same `App` on an ephemeral port.
pub mod cli;
pub mod config;
pub mod demo;
pub mod network;
pub mod signing;
pub mod token_mint;

use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use ogw_core::clock::{Clock, SystemClock};
use ogw_core::oauth::keys::KeyProvider;
use ogw_core::oauth::subject::SubjectCodec;
use ogw_core::oauth::tokens::TokenService;
use ogw_core::secret::Pepper;
use ogw_core::settings::Settings;
use ogw_core::store::Store;
use ogw_http::AppState;
use tokio::net::TcpListener;

pub use config::Config;

/// A built server, bound but not yet serving.
pub struct App {
    pub addr: SocketAddr,
    pub state: AppState,
    listener: TcpListener,
    /// The bound RADIUS accounting address, when `[radius]` is configured.
    pub radius_addr: Option<SocketAddr>,
    pub radius_stats: Option<Arc<ogw_radius::Stats>>,
    radius: Option<ogw_radius::Listener>,
}

/// Opens the store and applies migrations.
pub async fn open_store(cfg: &Config) -> anyhow::Result<Arc<dyn Store>> {
    let url = cfg.database_url();
    if url.starts_with("sqlite:") {
        std::fs::create_dir_all(&cfg.data_dir)
            .with_context(|| format!("creating data dir {}", cfg.data_dir.display()))?;
    }
    let store = ogw_store_sql::open(&url)
        .await
        .with_context(|| format!("opening store {}", redact(&url)))?;
    store.migrate().await.context("applying migrations")?;
    Ok(store)
}

/// The server secret: configured, or generated once into `<data_dir>/server.key`.
pub fn server_secret(cfg: &Config) -> anyhow::Result<Vec<u8>> {
    if let Some(s) = &cfg.server_secret {
        anyhow::ensure!(
            s.len() >= 32,
            "server_secret must be at least 32 characters"
        );
        return Ok(s.as_bytes().to_vec());
    }
    let path = cfg.data_dir.join("server.key");
    match std::fs::read_to_string(&path) {
        Ok(s) if s.trim().len() >= 32 => Ok(s.trim().as_bytes().to_vec()),
        Ok(_) => anyhow::bail!(
            "{} is too short; delete it or set server_secret",
            path.display()
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(&cfg.data_dir)?;
            let secret = ogw_core::secret::generate_token();
            write_private(&path, &secret).with_context(|| format!("writing {}", path.display()))?;
            tracing::info!(path = %path.display(), "generated server secret");
            Ok(secret.into_bytes())
        }
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

fn write_private(path: &Path, content: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    opts.open(path)?.write_all(content.as_bytes())
}

/// Hides the password of a database URL in messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => match url[s + 3..at].find(':') {
            Some(colon) => format!("{}:***{}", &url[..s + 3 + colon], &url[at..]),
            None => url.to_owned(),
        },
        _ => url.to_owned(),
    }
}

impl App {
    pub async fn build(cfg: &Config) -> anyhow::Result<App> {
        Self::build_with_clock(cfg, Arc::new(SystemClock)).await
    }

    /// `build` on another clock, so tests move a `FakeClock` past an expiry instead of sleeping.
    pub async fn build_with_clock(cfg: &Config, clock: Arc<dyn Clock>) -> anyhow::Result<App> {
        cfg.validate()?;
        let store = open_store(cfg).await?;
        let secret = server_secret(cfg)?;
        let pepper = Pepper::new(secret.clone());
        if cfg.demo && demo::seed(store.as_ref(), &pepper, clock.now()).await? {
            tracing::info!("seeded the demo operator (tenant 'demo')");
        }
        let listener = TcpListener::bind(cfg.listen)
            .await
            .with_context(|| format!("binding {}", cfg.listen))?;
        let addr = listener.local_addr()?;

        let issuer = cfg
            .issuer
            .clone()
            .unwrap_or_else(|| format!("http://{addr}{}", cfg.base_path));
        let mut settings = Settings::new(&issuer);
        settings.base_path = cfg.base_path.clone();
        settings.access_token_ttl = chrono::Duration::seconds(cfg.access_token_ttl_secs);
        settings.identifier_policy = cfg.identifier_policy;
        settings.trusted_proxies = cfg.trusted_proxies.clone();
        settings.session_idle_timeout =
            cfg.session_idle_timeout_secs.map(chrono::Duration::seconds);
        settings.msisdn_header = cfg.msisdn_header.as_ref().map(|h| h.to_ascii_lowercase());
        settings.sim_swap_retention_days = cfg.sim_swap_retention_days;

        settings.token_alg = cfg.token_alg;
        // A key retired by a `token_alg` change stays published as long as tokens it signed live.
        let publish_for = settings.access_token_ttl.max(settings.id_token_ttl);
        let keys = Arc::new(
            KeyProvider::load_with_alg(store.clone(), cfg.token_alg, clock.now(), publish_for)
                .await?,
        );
        let mut tokens = TokenService::new(keys, &settings.issuer, SubjectCodec::new(&secret));
        if let Some(batcher) = signing::rsa_batcher(&cfg.token_rsa_multibuffer, cfg.token_alg)? {
            tokens = tokens.with_rsa_batcher(Arc::new(batcher));
        }
        let state = AppState::new(ogw_http::SharedState {
            store,
            tokens,
            clock,
            settings: Arc::new(settings),
            pepper,
            metrics: ogw_http::middleware::prometheus(),
        });
        let radius = match &cfg.radius {
            Some(r) => {
                Some(network::radius_listener(r, state.store.clone(), state.clock.clone()).await?)
            }
            None => None,
        };
        Ok(App {
            addr,
            state,
            listener,
            radius_addr: radius.as_ref().map(ogw_radius::Listener::local_addr),
            radius_stats: radius.as_ref().map(ogw_radius::Listener::stats),
            radius,
        })
    }

    /// Serves until `shutdown` resolves, then lets in-flight requests finish.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let jobs = tokio::spawn(background_jobs(self.state.clone()));
        let upkeep = tokio::spawn(metrics_upkeep(self.state.metrics.clone()));
        // RADIUS stops when HTTP does (the sender is dropped below).
        let (radius_stop, mut radius_stopped) = tokio::sync::watch::channel(());
        let radius = self.radius.map(|l| {
            tokio::spawn(l.run(async move {
                let _ = radius_stopped.changed().await;
            }))
        });
        let router = ogw_http::router(self.state);
        tracing::info!(addr = %self.addr, "ogw listening");
        let served = axum::serve(
            self.listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await;
        drop(radius_stop);
        if let Some(r) = radius {
            let _ = r.await;
        }
        jobs.abort();
        upkeep.abort();
        served.context("serving HTTP")
    }
}

/// The Prometheus recorder keeps every latency sample until its histograms are drained:
/// by a scrape of `/metrics`, or here (as the exporter's own `install()` would every 5 s),
/// so that a node nobody scrapes does not grow without bound.
async fn metrics_upkeep(metrics: metrics_exporter_prometheus::PrometheusHandle) {
    let mut tick = tokio::time::interval(Duration::from_secs(5));
    loop {
        tick.tick().await;
        metrics.run_upkeep();
    }
}

/// Periodic work every node does: pick up keys rotated elsewhere, drop expired grants.
async fn background_jobs(state: AppState) {
    let mut tick = tokio::time::interval(Duration::from_secs(30));
    loop {
        tick.tick().await;
        let now = state.now();
        if let Err(e) = state.tokens.keys().reload(now).await {
            tracing::warn!(error = %e, "reloading signing keys failed");
        }
        match state.store.purge_expired(now).await {
            Ok(n) if n > 0 => tracing::debug!(purged = n, "purged expired grants"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "purging expired grants failed"),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn redacts_passwords() {
        assert_eq!(
            super::redact("postgres://u:pw@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(super::redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(super::redact("sqlite://x.db"), "sqlite://x.db");
    }
}
