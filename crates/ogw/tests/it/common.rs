//! Test kit: `spawn_app()` starts the real server on an ephemeral port with a fresh
//! SQLite file in a temp dir (or a fresh PostgreSQL schema when `OGW_TEST_DATABASE_URL` is set
//! and the test asks for it), with the demo operator seeded.
use std::net::SocketAddr;
use std::sync::Arc;

use ogw::{demo, App, Config};
use ogw_core::clock::{Clock, FakeClock, SystemClock};
use ogw_core::domain::{ClientId, PhoneNumber, TenantId};
use ogw_core::store::AuthCode;
use ogw_http::AppState;

pub struct TestApp {
    pub addr: SocketAddr,
    pub base: String,
    pub state: AppState,
    pub http: reqwest::Client,
    _dir: tempfile::TempDir,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    pub server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    /// The RADIUS accounting address, when the config has `[radius]`.
    pub radius_addr: Option<SocketAddr>,
    pub radius_stats: Option<std::sync::Arc<ogw_radius::Stats>>,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// `GET path`, its JSON body.
    pub async fn get_json(&self, path: &str) -> serde_json::Value {
        let r = self.http.get(self.url(path)).send().await.unwrap();
        r.json().await.unwrap()
    }

    /// Asks the server to stop and waits for it to finish in-flight requests.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        match self.server.take() {
            Some(h) => h.await?,
            None => Ok(()),
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Like `spawn_app`, with a chance to change the config first.
pub async fn spawn_app_with(tweak: impl FnOnce(&mut Config)) -> TestApp {
    let (app, cfg, dir) = build(Arc::new(SystemClock), tweak).await;
    start(app, &cfg, dir)
}

/// A clock standing at the present, for `spawn_app_with_clock`; the test moves it forward.
pub fn fake_clock() -> FakeClock {
    FakeClock::at(chrono::Utc::now())
}

/// Like `spawn_app_with`, on `clock`: a test that waits for an expiry advances the clock
/// instead of sleeping. Returns once the start-up purge of expired grants has run: a purge
/// that ran after the test moved the clock would delete the very rows whose expiry it checks
/// (the next one comes 30 s later).
pub async fn spawn_app_with_clock(clock: &FakeClock, tweak: impl FnOnce(&mut Config)) -> TestApp {
    let (app, cfg, dir) = build(Arc::new(clock.clone()), tweak).await;
    let sentinel = ogw_core::secret::lookup_hash("purge-sentinel");
    app.state
        .store
        .insert_code(&expired_code(&sentinel, app.state.now()))
        .await
        .expect("sentinel code");
    let app = start(app, &cfg, dir);
    let tenant = TenantId::parse(demo::TENANT).expect("demo tenant");
    for _ in 0..500 {
        let left = app.state.store.get_code(&tenant, &sentinel).await;
        if left.expect("read sentinel").is_none() {
            return app;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("the start-up purge did not run");
}

/// An authorization code of the demo client that has already expired at `now`.
fn expired_code(hash: &str, now: chrono::DateTime<chrono::Utc>) -> AuthCode {
    AuthCode {
        tenant: TenantId::parse(demo::TENANT).expect("demo tenant"),
        code_hash: hash.to_owned(),
        client_id: ClientId::parse(demo::CLIENT_ID).expect("demo client"),
        redirect_uri: "https://example.com/cb".into(),
        msisdn: PhoneNumber::parse(demo::PHONE_MAIN).expect("demo phone"),
        scopes: vec![],
        purpose: None,
        code_challenge: None,
        nonce: None,
        auth_time: now,
        expires_at: now,
        consumed_at: None,
        issued_jti: None,
    }
}

async fn build(
    clock: Arc<dyn Clock>,
    tweak: impl FnOnce(&mut Config),
) -> (App, Config, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut cfg = Config::for_test(dir.path());
    cfg.server_secret = Some("test-server-secret-0123456789abcdef".into());
    tweak(&mut cfg);
    let app = App::build_with_clock(&cfg, clock)
        .await
        .expect("app builds");
    (app, cfg, dir)
}

fn start(app: App, cfg: &Config, dir: tempfile::TempDir) -> TestApp {
    let addr = app.addr;
    let state = app.state.clone();
    let (radius_addr, radius_stats) = (app.radius_addr, app.radius_stats.clone());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async {
        let _ = rx.await;
    }));
    let base = format!("http://{addr}{}", cfg.base_path);
    TestApp {
        addr,
        base,
        state,
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client"),
        _dir: dir,
        shutdown: Some(tx),
        server: Some(server),
        radius_addr,
        radius_stats,
    }
}

/// A PostgreSQL URL for a fresh, empty schema, or None (with a notice) when
/// `OGW_TEST_DATABASE_URL` is not set.
pub async fn fresh_postgres_url() -> Option<String> {
    let Ok(base) = std::env::var("OGW_TEST_DATABASE_URL") else {
        eprintln!("OGW_TEST_DATABASE_URL not set: skipping the PostgreSQL variant");
        return None;
    };
    let schema = format!("it_{}", uuid::Uuid::new_v4().simple());
    use sqlx::Connection;
    let mut admin = sqlx::PgConnection::connect(&base)
        .await
        .expect("connect to postgres");
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&mut admin)
        .await
        .expect("create schema");
    let sep = if base.contains('?') { '&' } else { '?' };
    Some(format!("{base}{sep}options=-csearch_path%3D{schema}"))
}
