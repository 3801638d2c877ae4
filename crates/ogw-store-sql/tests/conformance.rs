//! Store conformance suite: every case runs against a fresh SQLite file and, when
//! `OGW_TEST_DATABASE_URL` is set (e.g. `postgres://postgres@127.0.0.1:5432/test`), against a
//! fresh PostgreSQL schema of that database.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::future::Future;
use std::net::IpAddr;
use std::sync::Arc;

use chrono::{DateTime, Duration};
use ogw_core::domain::*;
use ogw_core::store::*;
use serde_json::json;
use sqlx::Connection;

const PG_ENV: &str = "OGW_TEST_DATABASE_URL";

// ---------------------------------------------------------------------------------------------
// Harness

/// Runs `case` on each backend, each time on a new, migrated, empty store.
async fn on_each_backend<F, Fut>(case: F)
where
    F: Fn(Arc<dyn Store>) -> Fut,
    Fut: Future<Output = ()>,
{
    let dir = tempfile::tempdir().unwrap();
    // A parent directory that does not exist yet: open() creates it.
    let url = format!("sqlite://{}/data/ogw.db", dir.path().display());
    let store = ogw_store_sql::open(&url).await.unwrap();
    store.migrate().await.unwrap();
    eprintln!("case on sqlite");
    case(store).await;

    match std::env::var(PG_ENV) {
        Ok(base) if !base.is_empty() => {
            let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
            admin(&base, &format!("CREATE SCHEMA {schema}")).await;
            let sep = if base.contains('?') { '&' } else { '?' };
            let url = format!("{base}{sep}options=-csearch_path%3D{schema}");
            let store = ogw_store_sql::open(&url).await.unwrap();
            store.migrate().await.unwrap();
            eprintln!("case on postgres (schema {schema})");
            case(store).await;
            // Only reached when the case passed: a failing case leaves its schema to inspect.
            admin(&base, &format!("DROP SCHEMA {schema} CASCADE")).await;
        }
        _ => pg_skipped_notice(),
    }
}

/// Printed once per run, past libtest's output capture, so a SQLite-only run says so.
fn pg_skipped_notice() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        use std::io::Write as _;
        let msg = format!("\nnotice: {PG_ENV} is not set; PostgreSQL conformance cases skipped\n");
        let _ = std::io::stderr().write_all(msg.as_bytes());
    });
}

async fn admin(url: &str, sql: &str) {
    let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
    sqlx::query(sql).execute(&mut conn).await.unwrap();
    conn.close().await.unwrap();
}

/// One `#[tokio::test]` per case, each run on every backend.
macro_rules! conformance {
    ($($case:ident),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $case() {
                on_each_backend(cases::$case).await;
            }
        )+
    };
}

conformance!(
    migrate_twice_ping_and_backend,
    tenants_crud_and_delete_rules,
    tenant_cascade_delete,
    applications_crud_and_global_client_ids,
    capabilities_crud,
    subscribers_crud_pagination_and_conflicts,
    sim_changes_idempotent_and_latest,
    ip_sessions_lifecycle,
    qos_profiles_and_availability,
    consent_views_crud,
    consents_and_history,
    codes_are_single_use,
    codes_consumed_once_under_concurrency,
    refresh_tokens_rotate_once_and_revoke_by_family,
    ciba_poll_and_consume,
    jti_revocation_and_replay,
    purge_expired_removes_only_expired,
    signing_keys_publish_window,
    audit_append_and_filters,
    audit_batches_are_listed_at_once_in_order,
    tenant_isolation,
);

#[tokio::test]
async fn open_rejects_unsupported_urls() {
    for url in [
        "mysql://x/y",
        "sqlite::memory:",
        "sqlite://x.db?mode=memory",
        "",
    ] {
        match ogw_store_sql::open(url).await {
            Err(StoreError::Backend(_)) => {}
            Err(e) => panic!("{url}: unexpected error {e}"),
            Ok(_) => panic!("{url}: opened"),
        }
    }
}

#[tokio::test]
async fn sqlite_file_persists_across_opens() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/a/b/ogw.db", dir.path().display());
    let store = ogw_store_sql::open(&url).await.unwrap();
    store.migrate().await.unwrap();
    store.create_tenant(&tenant("acme")).await.unwrap();
    drop(store);
    let store = ogw_store_sql::open(&url).await.unwrap();
    store.migrate().await.unwrap();
    assert_eq!(store.list_tenants().await.unwrap(), vec![tenant("acme")]);
    assert!(dir.path().join("a/b/ogw.db").exists());
}

/// SQLite keeps the audit log in `<name>-audit.db`; rows an earlier version wrote into the
/// main file's table are moved there by `migrate`, with their ids, exactly once.
#[tokio::test]
async fn sqlite_audit_lives_in_its_own_file_and_old_rows_move_there() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/ogw.db", dir.path().display());
    let store = ogw_store_sql::open(&url).await.unwrap();
    store.migrate().await.unwrap();
    let id = store
        .append_audit(&audit("acme", "ops", "tenant.create"))
        .await
        .unwrap();
    assert!(dir.path().join("ogw-audit.db").exists());
    assert!(dir.path().join("ogw-audit.journal").exists());
    let main_count = || {
        let main = rusqlite::Connection::open(dir.path().join("ogw.db")).unwrap();
        main.query_row("SELECT count(*) FROM audit_events", [], |r| {
            r.get::<_, i64>(0)
        })
        .unwrap()
    };
    assert_eq!(main_count(), 0, "new events go to the audit file only");
    // A row an earlier version wrote into the main file.
    let main = rusqlite::Connection::open(dir.path().join("ogw.db")).unwrap();
    main.execute(
        "INSERT INTO audit_events (id, tenant_id, at, actor, action, target, outcome, reason, detail) \
         VALUES (?1, 'acme', 0, 'old', 'legacy.event', '', 'ok', '', '{}')",
        [id + 100],
    )
    .unwrap();
    drop(main);
    drop(store);

    let store = ogw_store_sql::open(&url).await.unwrap();
    store.migrate().await.unwrap();
    store.migrate().await.unwrap();
    let listed = store
        .list_audit(&tid("acme"), &AuditFilter::default())
        .await
        .unwrap();
    let actors: Vec<_> = listed.iter().map(|e| (e.id, e.actor.as_str())).collect();
    assert_eq!(actors, [(id + 100, "old"), (id, "ops")]);
    assert_eq!(main_count(), 0, "moved, not copied");
}

/// `settle` (called after bulk imports) folds the SQLite WAL back into the database file,
/// keeps every row readable, and is harmless on PostgreSQL.
#[tokio::test]
async fn settle_after_bulk_writes_keeps_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/ogw.db", dir.path().display());
    let store = ogw_store_sql::open(&url).await.unwrap();
    store.migrate().await.unwrap();
    for i in 0..50 {
        store
            .create_tenant(&tenant(&format!("t{i:02}")))
            .await
            .unwrap();
    }
    store.settle().await.unwrap();
    let wal = dir.path().join("ogw.db-wal");
    let wal_len = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
    assert_eq!(wal_len, 0, "the WAL is truncated");
    assert_eq!(store.list_tenants().await.unwrap().len(), 50);
    on_each_backend(|s| async move {
        s.create_tenant(&tenant("acme")).await.unwrap();
        s.settle().await.unwrap();
        assert_eq!(s.list_tenants().await.unwrap(), vec![tenant("acme")]);
    })
    .await;
}

// ---------------------------------------------------------------------------------------------
// Fixtures. Timestamps have whole milliseconds: the stores keep millisecond precision.

fn t0() -> Timestamp {
    DateTime::from_timestamp_millis(1_700_000_000_123).unwrap()
}

fn at(secs: i64) -> Timestamp {
    t0() + Duration::seconds(secs)
}

fn tid(s: &str) -> TenantId {
    TenantId::parse(s).unwrap()
}

fn cid(s: &str) -> ClientId {
    ClientId::parse(s).unwrap()
}

fn phone(s: &str) -> PhoneNumber {
    PhoneNumber::parse(s).unwrap()
}

fn purpose(s: &str) -> Purpose {
    Purpose::parse(s).unwrap()
}

fn scopes(list: &[&str]) -> Vec<Scope> {
    list.iter().map(|s| Scope::parse(s).unwrap()).collect()
}

fn tenant(id: &str) -> Tenant {
    Tenant {
        id: tid(id),
        name: format!("Tenant {id}"),
        status: TenantStatus::Active,
        created_at: t0(),
    }
}

async fn with_tenants(s: &dyn Store, ids: &[&str]) {
    for id in ids {
        s.create_tenant(&tenant(id)).await.unwrap();
    }
}

fn app(tenant: &str, client_id: &str) -> Application {
    Application {
        tenant: tid(tenant),
        client_id: cid(client_id),
        name: format!("App {client_id}"),
        secret_hash: Some("hmac-sha256:abc".into()),
        auth_methods: vec![
            ClientAuthMethod::ClientSecretBasic,
            ClientAuthMethod::AppJwt,
        ],
        public_key_pem: Some("-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----\n".into()),
        jwks: Some(json!({"keys": [{"kty": "RSA", "kid": "k1", "n": "xyz", "e": "AQAB"}]})),
        redirect_uris: vec!["https://app.example/cb".into()],
        grant_types: vec![GrantType::AuthorizationCode, GrantType::Ciba],
        allowed_scopes: scopes(&["openid", "sim-swap:check"]),
        allowed_purposes: vec![purpose("dpv:FraudPreventionAndDetection")],
        require_pkce: true,
        dpop_bound_access_tokens: true,
        status: AppStatus::Active,
        created_at: t0(),
    }
}

fn subscriber(tenant: &str, msisdn: &str, id: &str) -> Subscriber {
    Subscriber {
        tenant: tid(tenant),
        msisdn: phone(msisdn),
        id: SubscriberId::parse(id).unwrap(),
        sim_activated_at: t0(),
        imsi: None,
    }
}

fn capability(tenant: &str, id: &str) -> Capability {
    Capability {
        tenant: tid(tenant),
        id: CapabilityId::parse(id).unwrap(),
        api_name: "sim-swap".into(),
        version: "v2".into(),
        base_path: "/sim-swap/v2".into(),
        scopes: scopes(&["sim-swap:check", "sim-swap:retrieve-date"]),
        purposes: vec![purpose("dpv:FraudPreventionAndDetection")],
        status: CapabilityStatus::Available,
    }
}

fn session(tenant: &str, id: &str, ip: &str, msisdn: &str, last_seen: i64) -> IpSession {
    IpSession {
        tenant: tid(tenant),
        session_id: id.into(),
        ip: ip.parse().unwrap(),
        msisdn: phone(msisdn),
        started_at: at(0),
        last_seen_at: at(last_seen),
        ended_at: None,
    }
}

fn consent(tenant: &str, msisdn: &str, client: &str, status: ConsentStatus, secs: i64) -> Consent {
    Consent {
        tenant: tid(tenant),
        msisdn: phone(msisdn),
        client_id: cid(client),
        purpose: purpose("dpv:FraudPreventionAndDetection"),
        scopes: scopes(&["sim-swap:check"]),
        status,
        updated_at: at(secs),
        expires_at: Some(at(secs + 86_400)),
    }
}

fn code(tenant: &str, hash: &str, expires_in: i64) -> AuthCode {
    AuthCode {
        tenant: tid(tenant),
        code_hash: hash.into(),
        client_id: cid("app-1"),
        redirect_uri: "https://app.example/cb".into(),
        msisdn: phone("+34600000001"),
        scopes: scopes(&["openid", "sim-swap:check"]),
        purpose: Some(purpose("dpv:FraudPreventionAndDetection")),
        code_challenge: Some("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".into()),
        nonce: None,
        auth_time: at(0),
        expires_at: at(expires_in),
        consumed_at: None,
        issued_jti: None,
    }
}

fn refresh(tenant: &str, hash: &str, family: &str, expires_in: i64) -> RefreshToken {
    RefreshToken {
        tenant: tid(tenant),
        token_hash: hash.into(),
        family_id: family.into(),
        client_id: cid("app-1"),
        msisdn: phone("+34600000001"),
        scopes: scopes(&["openid", "sim-swap:check"]),
        purpose: Some(purpose("dpv:FraudPreventionAndDetection")),
        amr: vec!["nba".into()],
        auth_time: at(0),
        created_at: at(0),
        expires_at: at(expires_in),
        used_at: None,
        revoked_at: None,
    }
}

fn ciba(tenant: &str, hash: &str, expires_in: i64) -> CibaRequest {
    CibaRequest {
        tenant: tid(tenant),
        id_hash: hash.into(),
        client_id: cid("app-1"),
        msisdn: phone("+34600000001"),
        scopes: scopes(&["openid", "sim-swap:check"]),
        purpose: None,
        status: CibaStatus::Pending,
        amr: vec!["nba".into()],
        interval_secs: 5,
        created_at: at(0),
        expires_at: at(expires_in),
        last_polled_at: None,
        consumed_at: None,
    }
}

fn signing_key(kid: &str, created: i64) -> SigningKey {
    SigningKey {
        kid: kid.into(),
        alg: "RS256".into(),
        private_pem: "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n".into(),
        public_jwk: json!({"kty": "RSA", "kid": kid, "n": "xyz", "e": "AQAB"}),
        created_at: at(created),
        retired_at: None,
        publish_until: None,
    }
}

fn audit(tenant: &str, actor: &str, action: &str) -> AuditEvent {
    AuditEvent {
        id: 0,
        tenant: tid(tenant),
        at: at(1),
        actor: actor.into(),
        action: action.into(),
        target: "+34600000001".into(),
        outcome: "ok".into(),
        reason: String::new(),
        detail: json!({"n": 1, "tags": ["a", "b"]}).into(),
    }
}

fn assert_conflict<T: std::fmt::Debug>(r: StoreResult<T>) {
    assert!(
        matches!(r, Err(StoreError::Conflict(_))),
        "expected Conflict, got {r:?}"
    );
}

fn assert_not_found<T: std::fmt::Debug>(r: StoreResult<T>) {
    assert!(
        matches!(r, Err(StoreError::NotFound)),
        "expected NotFound, got {r:?}"
    );
}

#[path = "conformance/network.rs"]
mod network;

// ---------------------------------------------------------------------------------------------
// Cases

mod cases {
    use super::*;

    pub async fn migrate_twice_ping_and_backend(s: Arc<dyn Store>) {
        s.migrate().await.unwrap();
        s.migrate().await.unwrap();
        s.ping().await.unwrap();
        assert!(["sqlite", "postgres"].contains(&s.backend()));
        // Data written before a re-migration survives it.
        with_tenants(&*s, &["acme"]).await;
        s.migrate().await.unwrap();
        assert_eq!(s.list_tenants().await.unwrap().len(), 1);
    }

    pub async fn tenant_cascade_delete(s: Arc<dyn Store>) {
        with_tenants(&*s, &["acme", "beta"]).await;
        for t in ["acme", "beta"] {
            s.create_application(&app(t, &format!("{t}-app")))
                .await
                .unwrap();
            s.upsert_subscriber(&subscriber(t, "+34600000001", "sub-1"))
                .await
                .unwrap();
            s.upsert_capability(&capability(t, "sim-swap-v2"))
                .await
                .unwrap();
            s.put_consent(
                &consent(
                    t,
                    "+34600000001",
                    &format!("{t}-app"),
                    ConsentStatus::Granted,
                    0,
                ),
                "test",
                "seed",
            )
            .await
            .unwrap();
            s.append_audit(&audit(t, "ops", "tenant.create"))
                .await
                .unwrap();
        }
        assert_conflict(s.delete_tenant(&tid("acme")).await);
        s.delete_tenant_cascade(&tid("acme")).await.unwrap();
        assert_eq!(s.get_tenant(&tid("acme")).await.unwrap(), None);
        assert_eq!(s.find_application(&cid("acme-app")).await.unwrap(), None);
        assert_eq!(s.count_subscribers(&tid("acme")).await.unwrap(), 0);
        assert_not_found(s.delete_tenant_cascade(&tid("acme")).await);
        // The audit trail outlives the tenant; the other tenant is untouched.
        let filter = AuditFilter {
            limit: 10,
            ..AuditFilter::default()
        };
        assert_eq!(s.list_audit(&tid("acme"), &filter).await.unwrap().len(), 1);
        assert!(s
            .find_application(&cid("beta-app"))
            .await
            .unwrap()
            .is_some());
        assert_eq!(s.count_subscribers(&tid("beta")).await.unwrap(), 1);
        assert_eq!(s.list_capabilities(&tid("beta")).await.unwrap().len(), 1);
        // Recreated, it starts empty.
        with_tenants(&*s, &["acme"]).await;
        assert!(s.list_capabilities(&tid("acme")).await.unwrap().is_empty());
        let acme_phone = phone("+34600000001");
        assert!(s
            .list_consents_by_subscriber(&tid("acme"), &acme_phone)
            .await
            .unwrap()
            .is_empty());
    }

    pub async fn tenants_crud_and_delete_rules(s: Arc<dyn Store>) {
        with_tenants(&*s, &["zeta", "acme", "beta"]).await;
        assert_conflict(s.create_tenant(&tenant("acme")).await);
        assert_eq!(
            s.get_tenant(&tid("acme")).await.unwrap(),
            Some(tenant("acme"))
        );
        assert_eq!(s.get_tenant(&tid("nope")).await.unwrap(), None);
        let ids: Vec<_> = s
            .list_tenants()
            .await
            .unwrap()
            .into_iter()
            .map(|t| t.id)
            .collect();
        assert_eq!(ids, vec![tid("acme"), tid("beta"), tid("zeta")]);

        let mut t = tenant("acme");
        t.name = "Acme Mobile".into();
        t.status = TenantStatus::Suspended;
        s.update_tenant(&t).await.unwrap();
        assert_eq!(s.get_tenant(&t.id).await.unwrap(), Some(t));
        assert_not_found(s.update_tenant(&tenant("nope")).await);

        // Applications block deletion until they are gone.
        s.create_application(&app("acme", "app-1")).await.unwrap();
        assert_conflict(s.delete_tenant(&tid("acme")).await);
        s.delete_application(&tid("acme"), &cid("app-1"))
            .await
            .unwrap();
        // Other tenant data does not block it, and goes with the tenant.
        s.upsert_capability(&capability("acme", "sim-swap-v2"))
            .await
            .unwrap();
        s.insert_code(&code("acme", "h1", 60)).await.unwrap();
        s.delete_tenant(&tid("acme")).await.unwrap();
        assert_eq!(s.get_tenant(&tid("acme")).await.unwrap(), None);
        assert_not_found(s.delete_tenant(&tid("acme")).await);
        // Recreated, it starts empty.
        with_tenants(&*s, &["acme"]).await;
        assert!(s.list_capabilities(&tid("acme")).await.unwrap().is_empty());
        assert_eq!(s.get_code(&tid("acme"), "h1").await.unwrap(), None);

        // Subscribers block deletion too.
        s.upsert_subscriber(&subscriber("beta", "+34600000001", "sub-1"))
            .await
            .unwrap();
        assert_conflict(s.delete_tenant(&tid("beta")).await);
        assert!(s.get_tenant(&tid("beta")).await.unwrap().is_some());
        assert_not_found(s.delete_tenant(&tid("nope")).await);
    }

    pub async fn applications_crud_and_global_client_ids(s: Arc<dyn Store>) {
        with_tenants(&*s, &["acme", "beta"]).await;
        let a = app("acme", "app-1");
        s.create_application(&a).await.unwrap();
        assert_eq!(
            s.find_application(&a.client_id).await.unwrap().as_deref(),
            Some(&a)
        );
        // Client ids are unique across tenants.
        assert_conflict(s.create_application(&app("beta", "app-1")).await);
        assert_conflict(s.create_application(&a).await);
        // An application needs an existing tenant.
        assert_conflict(s.create_application(&app("nope", "app-9")).await);

        let mut minimal = app("acme", "app-0");
        minimal.secret_hash = None;
        minimal.public_key_pem = None;
        minimal.jwks = None;
        minimal.auth_methods = vec![];
        minimal.redirect_uris = vec![];
        minimal.grant_types = vec![GrantType::ClientCredentials];
        minimal.allowed_scopes = vec![];
        minimal.allowed_purposes = vec![];
        minimal.require_pkce = false;
        minimal.dpop_bound_access_tokens = false;
        s.create_application(&minimal).await.unwrap();
        s.create_application(&app("beta", "app-2")).await.unwrap();
        assert_eq!(
            s.list_applications(&tid("acme")).await.unwrap(),
            vec![minimal.clone(), a.clone()]
        );

        let mut u = a.clone();
        u.name = "Renamed".into();
        u.secret_hash = None;
        u.jwks = None;
        u.status = AppStatus::Disabled;
        u.require_pkce = false;
        u.dpop_bound_access_tokens = false;
        u.allowed_scopes = scopes(&["openid"]);
        s.update_application(&u).await.unwrap();
        assert_eq!(
            s.find_application(&u.client_id).await.unwrap().as_deref(),
            Some(&u)
        );
        // Updating or deleting through the wrong tenant finds nothing.
        let mut wrong = u.clone();
        wrong.tenant = tid("beta");
        assert_not_found(s.update_application(&wrong).await);
        assert_not_found(s.delete_application(&tid("beta"), &u.client_id).await);
        assert_not_found(s.update_application(&app("acme", "app-9")).await);

        s.delete_application(&tid("acme"), &u.client_id)
            .await
            .unwrap();
        assert_eq!(s.find_application(&u.client_id).await.unwrap(), None);
        assert_not_found(s.delete_application(&tid("acme"), &u.client_id).await);
    }

    pub async fn capabilities_crud(s: Arc<dyn Store>) {
        with_tenants(&*s, &["acme"]).await;
        let acme = tid("acme");
        let mut c = capability("acme", "sim-swap-v2");
        s.upsert_capability(&c).await.unwrap();
        s.upsert_capability(&capability("acme", "number-verification-v2"))
            .await
            .unwrap();
        assert_eq!(
            s.get_capability(&acme, &c.id).await.unwrap(),
            Some(c.clone())
        );

        c.status = CapabilityStatus::Deprecated;
        c.version = "v2.1".into();
        c.purposes = vec![];
        s.upsert_capability(&c).await.unwrap();
        assert_eq!(
            s.get_capability(&acme, &c.id).await.unwrap(),
            Some(c.clone())
        );
        let ids: Vec<_> = s
            .list_capabilities(&acme)
            .await
            .unwrap()
            .iter()
            .map(|c| c.id.clone())
            .collect();
        assert_eq!(
            ids,
            vec![
                CapabilityId::parse("number-verification-v2").unwrap(),
                CapabilityId::parse("sim-swap-v2").unwrap()
            ]
        );

        s.delete_capability(&acme, &c.id).await.unwrap();
        assert_eq!(s.get_capability(&acme, &c.id).await.unwrap(), None);
        assert_not_found(s.delete_capability(&acme, &c.id).await);
    }

    pub async fn subscribers_crud_pagination_and_conflicts(s: Arc<dyn Store>) {
        with_tenants(&*s, &["acme"]).await;
        let acme = tid("acme");
        let mut a = subscriber("acme", "+34600000002", "sub-2");
        s.upsert_subscriber(&a).await.unwrap();
        assert_eq!(
            s.get_subscriber(&acme, &a.msisdn).await.unwrap(),
            Some(a.clone())
        );
        assert_eq!(
            s.get_subscriber_by_id(&acme, &a.id).await.unwrap(),
            Some(a.clone())
        );

        a.imsi = Some("214011234567890".into());
        a.sim_activated_at = at(100);
        s.upsert_subscriber(&a).await.unwrap();
        assert_eq!(
            s.get_subscriber(&acme, &a.msisdn).await.unwrap(),
            Some(a.clone())
        );

        // A subscriber id names one subscriber per tenant.
        assert_conflict(
            s.upsert_subscriber(&subscriber("acme", "+34600000009", "sub-2"))
                .await,
        );

        for (n, id) in [
            ("+34600000001", "sub-1"),
            ("+34600000003", "sub-3"),
            ("+447700900123", "uk"),
        ] {
            s.upsert_subscriber(&subscriber("acme", n, id))
                .await
                .unwrap();
        }
        assert_eq!(s.count_subscribers(&acme).await.unwrap(), 4);
        let page = |after: Option<&str>, limit| {
            let s = s.clone();
            let acme = acme.clone();
            let after = after.map(phone);
            async move {
                s.list_subscribers(&acme, after.as_ref(), limit)
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|x| x.msisdn.to_string())
                    .collect::<Vec<_>>()
            }
        };
        assert_eq!(page(None, 2).await, vec!["+34600000001", "+34600000002"]);
        assert_eq!(
            page(Some("+34600000002"), 2).await,
            vec!["+34600000003", "+447700900123"]
        );
        assert!(page(Some("+447700900123"), 2).await.is_empty());
        assert_eq!(
            page(None, 0).await.len(),
            4,
            "limit 0 means the default page"
        );
        assert_eq!(
            page(None, -5).await.len(),
            1,
            "limits are clamped to at least 1"
        );
    }

    pub async fn sim_changes_idempotent_and_latest(s: Arc<dyn Store>) {
        with_tenants(&*s, &["acme", "beta"]).await;
        let (acme, n) = (tid("acme"), phone("+34600000001"));
        assert_eq!(s.latest_sim_change(&acme, &n).await.unwrap(), None);
        let change = |tenant: &str, event: &str, secs| SimChange {
            tenant: tid(tenant),
            msisdn: n.clone(),
            changed_at: at(secs),
            source: "hlr".into(),
            event_id: event.into(),
        };
        assert!(s
            .record_sim_change(&change("acme", "e1", 50))
            .await
            .unwrap());
        assert!(!s
            .record_sim_change(&change("acme", "e1", 50))
            .await
            .unwrap());
        // Same event id, different time: still the same event.
        assert!(!s
            .record_sim_change(&change("acme", "e1", 999))
            .await
            .unwrap());
        assert!(s
            .record_sim_change(&change("acme", "e3", 300))
            .await
            .unwrap());
        assert!(s
            .record_sim_change(&change("acme", "e2", 200))
            .await
            .unwrap());
        assert_eq!(s.latest_sim_change(&acme, &n).await.unwrap(), Some(at(300)));
        assert_eq!(
            s.latest_sim_change(&acme, &phone("+34600000002"))
                .await
                .unwrap(),
            None
        );
        // Event ids are per tenant.
        assert!(s
            .record_sim_change(&change("beta", "e1", 10))
            .await
            .unwrap());
        assert_eq!(
            s.latest_sim_change(&tid("beta"), &n).await.unwrap(),
            Some(at(10))
        );
    }

    pub async fn ip_sessions_lifecycle(s: Arc<dyn Store>) {
        with_tenants(&*s, &["acme"]).await;
        let acme = tid("acme");
        let ip: IpAddr = "10.1.2.3".parse().unwrap();
        let s1 = session("acme", "s1", "10.1.2.3", "+34600000001", 10);
        s.upsert_ip_session(&s1).await.unwrap();
        assert_eq!(
            s.find_active_session(&acme, ip, at(10)).await.unwrap(),
            Some(s1.clone())
        );
        // Idle past the cutoff: not active.
        assert_eq!(
            s.find_active_session(&acme, ip, at(11)).await.unwrap(),
            None
        );
        assert_eq!(
            s.find_active_session(&acme, "10.1.2.4".parse().unwrap(), at(0))
                .await
                .unwrap(),
            None
        );

        // A refresh moves last_seen_at and keeps started_at.
        let mut refreshed = s1.clone();
        refreshed.started_at = at(5);
        refreshed.last_seen_at = at(20);
        s.upsert_ip_session(&refreshed).await.unwrap();
        let found = s
            .find_active_session(&acme, ip, at(11))
            .await
            .unwrap()
            .unwrap();
        assert_eq!((found.started_at, found.last_seen_at), (at(0), at(20)));

        // Two sessions on one address: the most recently seen wins.
        let s2 = session("acme", "s2", "10.1.2.3", "+34600000002", 30);
        s.upsert_ip_session(&s2).await.unwrap();
        assert_eq!(
            s.find_active_session(&acme, ip, at(0)).await.unwrap(),
            Some(s2.clone())
        );
        let v6 = session("acme", "s3", "2001:db8::1", "+34600000003", 25);
        s.upsert_ip_session(&v6).await.unwrap();
        assert_eq!(
            s.find_active_session(&acme, "2001:db8:0::1".parse().unwrap(), at(0))
                .await
                .unwrap(),
            Some(v6.clone())
        );
        let active: Vec<_> = s
            .list_active_sessions(&acme, at(0))
            .await
            .unwrap()
            .into_iter()
            .map(|x| x.session_id)
            .collect();
        assert_eq!(active, vec!["s2", "s3", "s1"]);
        assert_eq!(
            s.list_active_sessions(&acme, at(26)).await.unwrap(),
            vec![s2.clone()]
        );

        assert!(s.end_ip_session(&acme, "s2", at(40)).await.unwrap());
        assert!(!s.end_ip_session(&acme, "s2", at(41)).await.unwrap());
        assert!(!s.end_ip_session(&acme, "nope", at(41)).await.unwrap());
        let found = s
            .find_active_session(&acme, ip, at(0))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(found.session_id, "s1");
        assert_eq!(s.list_active_sessions(&acme, at(0)).await.unwrap().len(), 2);
    }

    pub async fn consent_views_crud(s: Arc<dyn Store>) {
        with_tenants(&*s, &["acme", "beta"]).await;
        let acme = tid("acme");
        let view = |id: &str, client: Option<&str>, title: &str| ConsentViewRecord {
            tenant: acme.clone(),
            id: id.into(),
            purpose: Purpose::parse("dpv:ServiceProvision").unwrap(),
            client_id: client.map(|c| ClientId::parse(c).unwrap()),
            body: json!({"locales": {"en": {"title": title}}}),
            updated_at: at(5),
        };
        s.put_view(&view("b", None, "one")).await.unwrap();
        s.put_view(&view("a", Some("app-1"), "two")).await.unwrap();
        s.put_view(&view("b", None, "three")).await.unwrap();
        assert_eq!(
            s.get_view(&acme, "b").await.unwrap(),
            Some(view("b", None, "three"))
        );
        assert_eq!(
            s.list_views(&acme).await.unwrap(),
            vec![view("a", Some("app-1"), "two"), view("b", None, "three")]
        );
        assert!(s.list_views(&tid("beta")).await.unwrap().is_empty());
        assert_eq!(s.get_view(&tid("beta"), "a").await.unwrap(), None);
        s.delete_view(&acme, "a").await.unwrap();
        assert!(matches!(
            s.delete_view(&acme, "a").await,
            Err(StoreError::NotFound)
        ));
        assert_eq!(s.list_views(&acme).await.unwrap().len(), 1);
    }

    pub async fn qos_profiles_and_availability(s: Arc<dyn Store>) {
        with_tenants(&*s, &["acme"]).await;
        let acme = tid("acme");
        let profile = |name: &str, status: &str| QosProfileRecord {
            tenant: acme.clone(),
            name: name.into(),
            status: status.into(),
            body: json!({
                "name": name,
                "status": status,
                "maxDownstreamRate": {"value": 10, "unit": "Mbps"},
            }),
        };
        s.upsert_qos_profile(&profile("QOS_L", "ACTIVE"))
            .await
            .unwrap();
        s.upsert_qos_profile(&profile("QOS_E", "ACTIVE"))
            .await
            .unwrap();
        s.upsert_qos_profile(&profile("QOS_L", "INACTIVE"))
            .await
            .unwrap();
        assert_eq!(
            s.get_qos_profile(&acme, "QOS_L").await.unwrap(),
            Some(profile("QOS_L", "INACTIVE"))
        );
        assert_eq!(s.get_qos_profile(&acme, "QOS_X").await.unwrap(), None);
        assert_eq!(
            s.list_qos_profiles(&acme).await.unwrap(),
            vec![profile("QOS_E", "ACTIVE"), profile("QOS_L", "INACTIVE")]
        );

        let n = phone("+34600000001");
        assert!(s.qos_profiles_for(&acme, &n).await.unwrap().is_empty());
        s.set_qos_availability(&acme, "QOS_L", &n, true)
            .await
            .unwrap();
        s.set_qos_availability(&acme, "QOS_E", &n, true)
            .await
            .unwrap();
        s.set_qos_availability(&acme, "QOS_E", &n, true)
            .await
            .unwrap();
        assert_eq!(
            s.qos_profiles_for(&acme, &n).await.unwrap(),
            vec!["QOS_E", "QOS_L"]
        );
        s.set_qos_availability(&acme, "QOS_E", &n, false)
            .await
            .unwrap();
        assert_eq!(s.qos_profiles_for(&acme, &n).await.unwrap(), vec!["QOS_L"]);
        assert!(s
            .qos_profiles_for(&acme, &phone("+34600000002"))
            .await
            .unwrap()
            .is_empty());
        // Availability of an unknown profile is refused.
        assert_conflict(s.set_qos_availability(&acme, "QOS_X", &n, true).await);
    }

    pub async fn consents_and_history(s: Arc<dyn Store>) {
        with_tenants(&*s, &["acme"]).await;
        let acme = tid("acme");
        let c1 = consent("acme", "+34600000001", "app-1", ConsentStatus::Requested, 1);
        let e1 = s
            .put_consent(&c1, "system", "capture requested")
            .await
            .unwrap();
        let key = (c1.msisdn.clone(), c1.client_id.clone(), c1.purpose.clone());
        assert_eq!(
            s.get_consent(&acme, &key.0, &key.1, &key.2).await.unwrap(),
            Some(c1.clone())
        );

        let mut c2 = consent("acme", "+34600000001", "app-1", ConsentStatus::Granted, 2);
        c2.expires_at = None;
        let e2 = s.put_consent(&c2, "subscriber:sub-1", "").await.unwrap();
        let c3 = consent("acme", "+34600000001", "app-1", ConsentStatus::Revoked, 3);
        let e3 = s
            .put_consent(&c3, "subscriber:sub-1", "changed my mind")
            .await
            .unwrap();
        assert!(e1 < e2 && e2 < e3, "event ids increase: {e1} {e2} {e3}");
        assert_eq!(
            s.get_consent(&acme, &key.0, &key.1, &key.2).await.unwrap(),
            Some(c3.clone())
        );

        let history = s
            .consent_history(&acme, &key.0, &key.1, &key.2)
            .await
            .unwrap();
        let summary: Vec<_> = history
            .iter()
            .map(|e| (e.id, e.status, e.at, e.actor.as_str(), e.reason.as_str()))
            .collect();
        assert_eq!(
            summary,
            vec![
                (
                    e1,
                    ConsentStatus::Requested,
                    at(1),
                    "system",
                    "capture requested"
                ),
                (e2, ConsentStatus::Granted, at(2), "subscriber:sub-1", ""),
                (
                    e3,
                    ConsentStatus::Revoked,
                    at(3),
                    "subscriber:sub-1",
                    "changed my mind"
                ),
            ]
        );
        assert!(history.iter().all(|e| e.tenant == acme
            && e.msisdn == key.0
            && e.client_id == key.1
            && e.purpose == key.2));

        let other_app = consent("acme", "+34600000001", "app-2", ConsentStatus::Granted, 4);
        let other_sub = consent("acme", "+34600000002", "app-1", ConsentStatus::Denied, 5);
        s.put_consent(&other_app, "system", "").await.unwrap();
        s.put_consent(&other_sub, "system", "").await.unwrap();
        assert_eq!(
            s.list_consents_by_subscriber(&acme, &key.0).await.unwrap(),
            vec![c3.clone(), other_app.clone()]
        );
        assert_eq!(
            s.list_consents_by_client(&acme, &key.1).await.unwrap(),
            vec![c3.clone(), other_sub.clone()]
        );
        let other_purpose = purpose("dpv:ServiceProvision");
        assert_eq!(
            s.get_consent(&acme, &key.0, &key.1, &other_purpose)
                .await
                .unwrap(),
            None
        );
        assert!(s
            .consent_history(&acme, &key.0, &key.1, &other_purpose)
            .await
            .unwrap()
            .is_empty());
        // A consent for an unknown tenant is refused, and leaves no history behind.
        let stray = consent("nope", "+34600000001", "app-1", ConsentStatus::Granted, 6);
        assert_conflict(s.put_consent(&stray, "system", "").await);
    }

    pub async fn codes_are_single_use(s: Arc<dyn Store>) {
        with_tenants(&*s, &["acme", "beta"]).await;
        let acme = tid("acme");
        let c = code("acme", "hash-1", 60);
        s.insert_code(&c).await.unwrap();
        assert_conflict(s.insert_code(&c).await);
        assert_eq!(s.get_code(&acme, "hash-1").await.unwrap(), Some(c.clone()));
        // Another tenant cannot see or consume it.
        assert_eq!(s.get_code(&tid("beta"), "hash-1").await.unwrap(), None);
        assert_eq!(
            s.consume_code(&tid("beta"), "hash-1", at(1)).await.unwrap(),
            None
        );

        let consumed = s
            .consume_code(&acme, "hash-1", at(1))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            consumed,
            AuthCode {
                consumed_at: Some(at(1)),
                ..c.clone()
            }
        );
        assert_eq!(s.consume_code(&acme, "hash-1", at(2)).await.unwrap(), None);
        s.set_code_issued_jti(&acme, "hash-1", "jti-1")
            .await
            .unwrap();
        let stored = s.get_code(&acme, "hash-1").await.unwrap().unwrap();
        assert_eq!(
            (stored.consumed_at, stored.issued_jti.as_deref()),
            (Some(at(1)), Some("jti-1"))
        );
        assert_not_found(s.set_code_issued_jti(&acme, "nope", "jti-1").await);
        assert_eq!(s.consume_code(&acme, "nope", at(1)).await.unwrap(), None);

        // Expired: unusable at and after expires_at.
        let mut minimal = code("acme", "hash-2", 60);
        minimal.purpose = None;
        minimal.code_challenge = None;
        minimal.nonce = Some("n-0S6_WzA2Mj".into());
        s.insert_code(&minimal).await.unwrap();
        assert_eq!(
            s.get_code(&acme, "hash-2").await.unwrap(),
            Some(minimal.clone())
        );
        assert_eq!(s.consume_code(&acme, "hash-2", at(60)).await.unwrap(), None);
        assert_eq!(s.consume_code(&acme, "hash-2", at(61)).await.unwrap(), None);
        assert!(s
            .consume_code(&acme, "hash-2", at(59))
            .await
            .unwrap()
            .is_some());
    }

    pub async fn refresh_tokens_rotate_once_and_revoke_by_family(s: Arc<dyn Store>) {
        with_tenants(&*s, &["acme", "beta"]).await;
        let acme = tid("acme");
        let r1 = refresh("acme", "rt-1", "fam-1", 100);
        s.insert_refresh(&r1).await.unwrap();
        assert_conflict(s.insert_refresh(&r1).await);
        assert_eq!(
            s.get_refresh(&acme, "rt-1").await.unwrap(),
            Some(r1.clone())
        );
        assert_eq!(s.get_refresh(&tid("beta"), "rt-1").await.unwrap(), None);
        assert_eq!(
            s.rotate_refresh(&tid("beta"), "rt-1", at(1)).await.unwrap(),
            None
        );
        // Rotated once: the second use finds nothing, and the row shows when it was used.
        let used = s
            .rotate_refresh(&acme, "rt-1", at(1))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(used.used_at, Some(at(1)));
        assert_eq!(s.rotate_refresh(&acme, "rt-1", at(2)).await.unwrap(), None);
        assert_eq!(
            s.get_refresh(&acme, "rt-1").await.unwrap().unwrap().used_at,
            Some(at(1))
        );
        // Expired tokens do not rotate.
        s.insert_refresh(&refresh("acme", "rt-old", "fam-2", 5))
            .await
            .unwrap();
        assert_eq!(
            s.rotate_refresh(&acme, "rt-old", at(5)).await.unwrap(),
            None
        );
        // Revoking a family stops its live tokens, not other families'.
        s.insert_refresh(&refresh("acme", "rt-2", "fam-1", 100))
            .await
            .unwrap();
        s.insert_refresh(&refresh("acme", "rt-3", "fam-3", 100))
            .await
            .unwrap();
        assert_eq!(
            s.revoke_refresh_family(&acme, "fam-1", at(3))
                .await
                .unwrap(),
            2
        );
        assert_eq!(
            s.revoke_refresh_family(&acme, "fam-1", at(4))
                .await
                .unwrap(),
            0
        );
        assert_eq!(s.rotate_refresh(&acme, "rt-2", at(5)).await.unwrap(), None);
        assert_eq!(
            s.get_refresh(&acme, "rt-2")
                .await
                .unwrap()
                .unwrap()
                .revoked_at,
            Some(at(3))
        );
        assert!(s
            .rotate_refresh(&acme, "rt-3", at(5))
            .await
            .unwrap()
            .is_some());
        // Purged once expired.
        assert!(s.purge_expired(at(100)).await.unwrap() >= 3);
        assert_eq!(s.get_refresh(&acme, "rt-3").await.unwrap(), None);
    }

    pub async fn codes_consumed_once_under_concurrency(s: Arc<dyn Store>) {
        with_tenants(&*s, &["acme"]).await;
        s.insert_code(&code("acme", "race", 60)).await.unwrap();
        let tasks: Vec<_> = (0..16)
            .map(|i| {
                let s = s.clone();
                tokio::spawn(async move { s.consume_code(&tid("acme"), "race", at(1 + i)).await })
            })
            .collect();
        let mut winners = 0;
        for t in tasks {
            if t.await.unwrap().unwrap().is_some() {
                winners += 1;
            }
        }
        assert_eq!(winners, 1, "exactly one concurrent consume_code wins");
    }

    pub async fn ciba_poll_and_consume(s: Arc<dyn Store>) {
        with_tenants(&*s, &["acme", "beta"]).await;
        let acme = tid("acme");
        let r = ciba("acme", "req-1", 120);
        s.insert_ciba(&r).await.unwrap();
        assert_conflict(s.insert_ciba(&r).await);
        assert_eq!(s.get_ciba(&acme, "req-1").await.unwrap(), Some(r.clone()));
        assert_eq!(s.get_ciba(&tid("beta"), "req-1").await.unwrap(), None);

        assert_eq!(
            s.touch_ciba_poll(&acme, "req-1", at(5)).await.unwrap(),
            None
        );
        assert_eq!(
            s.touch_ciba_poll(&acme, "req-1", at(7)).await.unwrap(),
            Some(at(5))
        );
        assert_eq!(
            s.touch_ciba_poll(&acme, "req-1", at(12)).await.unwrap(),
            Some(at(7))
        );
        assert_eq!(
            s.get_ciba(&acme, "req-1")
                .await
                .unwrap()
                .unwrap()
                .last_polled_at,
            Some(at(12))
        );
        assert_not_found(s.touch_ciba_poll(&acme, "nope", at(12)).await);
        assert_not_found(s.touch_ciba_poll(&tid("beta"), "req-1", at(12)).await);

        // Only an approved request is consumed.
        assert_eq!(s.consume_ciba(&acme, "req-1", at(13)).await.unwrap(), None);
        s.set_ciba_status(&acme, "req-1", CibaStatus::Approved)
            .await
            .unwrap();
        assert_eq!(
            s.consume_ciba(&tid("beta"), "req-1", at(13)).await.unwrap(),
            None
        );
        let consumed = s
            .consume_ciba(&acme, "req-1", at(14))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            consumed,
            CibaRequest {
                status: CibaStatus::Approved,
                last_polled_at: Some(at(12)),
                consumed_at: Some(at(14)),
                ..r.clone()
            }
        );
        assert_eq!(s.consume_ciba(&acme, "req-1", at(15)).await.unwrap(), None);
        assert_not_found(s.set_ciba_status(&acme, "nope", CibaStatus::Denied).await);

        let mut denied = ciba("acme", "req-2", 120);
        denied.purpose = Some(purpose("dpv:FraudPreventionAndDetection"));
        s.insert_ciba(&denied).await.unwrap();
        s.set_ciba_status(&acme, "req-2", CibaStatus::Denied)
            .await
            .unwrap();
        assert_eq!(s.consume_ciba(&acme, "req-2", at(1)).await.unwrap(), None);
        assert_eq!(
            s.get_ciba(&acme, "req-2").await.unwrap().unwrap().status,
            CibaStatus::Denied
        );

        s.insert_ciba(&ciba("acme", "req-3", 120)).await.unwrap();
        s.set_ciba_status(&acme, "req-3", CibaStatus::Approved)
            .await
            .unwrap();
        assert_eq!(
            s.consume_ciba(&acme, "req-3", at(120)).await.unwrap(),
            None,
            "expired"
        );
    }

    pub async fn jti_revocation_and_replay(s: Arc<dyn Store>) {
        with_tenants(&*s, &["acme", "beta"]).await;
        let (acme, beta) = (tid("acme"), tid("beta"));
        assert!(!s.is_jti_revoked(&acme, "j1").await.unwrap());
        s.revoke_jti(&acme, "j1", at(100)).await.unwrap();
        s.revoke_jti(&acme, "j1", at(50)).await.unwrap();
        assert!(s.is_jti_revoked(&acme, "j1").await.unwrap());
        assert!(!s.is_jti_revoked(&beta, "j1").await.unwrap());
        // Revoking twice kept the later expiry: a purge at 60 leaves it.
        s.purge_expired(at(60)).await.unwrap();
        assert!(s.is_jti_revoked(&acme, "j1").await.unwrap());

        assert!(s
            .use_jti_once(&acme, "client_assertion", "a1", at(60))
            .await
            .unwrap());
        assert!(!s
            .use_jti_once(&acme, "client_assertion", "a1", at(60))
            .await
            .unwrap());
        assert!(s
            .use_jti_once(&acme, "app_jwt", "a1", at(60))
            .await
            .unwrap());
        assert!(s
            .use_jti_once(&beta, "client_assertion", "a1", at(60))
            .await
            .unwrap());
    }

    pub async fn purge_expired_removes_only_expired(s: Arc<dyn Store>) {
        with_tenants(&*s, &["acme", "beta"]).await;
        let acme = tid("acme");
        s.insert_code(&code("acme", "old", 10)).await.unwrap();
        s.insert_code(&code("beta", "old", 10)).await.unwrap();
        s.insert_code(&code("acme", "new", 100)).await.unwrap();
        s.insert_ciba(&ciba("acme", "old", 10)).await.unwrap();
        s.insert_ciba(&ciba("acme", "new", 100)).await.unwrap();
        s.revoke_jti(&acme, "old", at(10)).await.unwrap();
        s.revoke_jti(&acme, "new", at(100)).await.unwrap();
        s.use_jti_once(&acme, "ns", "old", at(10)).await.unwrap();
        s.use_jti_once(&acme, "ns", "new", at(100)).await.unwrap();

        assert_eq!(s.purge_expired(at(9)).await.unwrap(), 0);
        assert_eq!(s.purge_expired(at(10)).await.unwrap(), 5);
        assert_eq!(s.purge_expired(at(10)).await.unwrap(), 0);
        assert_eq!(s.get_code(&acme, "old").await.unwrap(), None);
        assert_eq!(s.get_code(&tid("beta"), "old").await.unwrap(), None);
        assert!(s.get_code(&acme, "new").await.unwrap().is_some());
        assert_eq!(s.get_ciba(&acme, "old").await.unwrap(), None);
        assert!(s.get_ciba(&acme, "new").await.unwrap().is_some());
        assert!(!s.is_jti_revoked(&acme, "old").await.unwrap());
        assert!(s.is_jti_revoked(&acme, "new").await.unwrap());
        // A purged replay record can be used again; a live one cannot.
        assert!(s.use_jti_once(&acme, "ns", "old", at(20)).await.unwrap());
        assert!(!s.use_jti_once(&acme, "ns", "new", at(20)).await.unwrap());
    }

    pub async fn signing_keys_publish_window(s: Arc<dyn Store>) {
        let kids = |keys: Vec<SigningKey>| keys.into_iter().map(|k| k.kid).collect::<Vec<_>>();
        assert!(s.list_signing_keys(at(0)).await.unwrap().is_empty());
        let old = signing_key("k-old", 0);
        let new = signing_key("k-new", 10);
        s.insert_signing_key(&old).await.unwrap();
        s.insert_signing_key(&new).await.unwrap();
        assert_conflict(s.insert_signing_key(&old).await);
        assert_eq!(
            s.list_signing_keys(at(10)).await.unwrap(),
            vec![new.clone(), old.clone()]
        );

        s.retire_signing_key("k-old", at(10), at(100))
            .await
            .unwrap();
        let listed = s.list_signing_keys(at(99)).await.unwrap();
        assert_eq!(kids(listed.clone()), vec!["k-new", "k-old"]);
        assert_eq!(
            listed[1],
            SigningKey {
                retired_at: Some(at(10)),
                publish_until: Some(at(100)),
                ..old.clone()
            }
        );
        assert_eq!(
            kids(s.list_signing_keys(at(100)).await.unwrap()),
            vec!["k-new"]
        );
        assert_not_found(s.retire_signing_key("k-nope", at(10), at(100)).await);
    }

    /// What a call appended is listed by the very next read, in order, single events too
    /// (SQLite journals batches and folds them into its audit file; see `audit_journal`).
    pub async fn audit_batches_are_listed_at_once_in_order(s: Arc<dyn Store>) {
        let acme = tid("acme");
        let actors = || {
            let s = s.clone();
            let acme = acme.clone();
            async move {
                let mut listed = s.list_audit(&acme, &AuditFilter::default()).await.unwrap();
                listed.reverse();
                assert!(listed.windows(2).all(|w| w[0].id < w[1].id));
                listed.into_iter().map(|e| e.actor).collect::<Vec<_>>()
            }
        };
        s.append_audits(vec![audit("acme", "a", "x"), audit("acme", "b", "x")])
            .await
            .unwrap();
        assert_eq!(actors().await, ["a", "b"]);
        let id = s.append_audit(&audit("acme", "c", "x")).await.unwrap();
        s.append_audits(vec![audit("acme", "d", "x")])
            .await
            .unwrap();
        assert_eq!(actors().await, ["a", "b", "c", "d"]);
        let listed = s.list_audit(&acme, &AuditFilter::default()).await.unwrap();
        assert_eq!(
            listed[0],
            AuditEvent {
                id: listed[0].id,
                ..audit("acme", "d", "x")
            }
        );
        assert_eq!(listed[1].id, id);

        // Concurrent calls: every event listed once.
        let calls: Vec<_> = (0..16)
            .map(|i| {
                let s = s.clone();
                tokio::spawn(async move {
                    let events = vec![
                        audit("beta", &format!("p{i}"), "x"),
                        audit("beta", &format!("q{i}"), "x"),
                    ];
                    s.append_audits(events).await.unwrap();
                })
            })
            .collect();
        for c in calls {
            c.await.unwrap();
        }
        let beta = s
            .list_audit(&tid("beta"), &AuditFilter::default())
            .await
            .unwrap();
        let mut got: Vec<_> = beta.iter().map(|e| e.actor.clone()).collect();
        got.sort();
        let mut want: Vec<_> = (0..16)
            .flat_map(|i| [format!("p{i}"), format!("q{i}")])
            .collect();
        want.sort();
        assert_eq!(got, want);
    }

    pub async fn audit_append_and_filters(s: Arc<dyn Store>) {
        let acme = tid("acme");
        // Audit events need no tenant row: the trail outlives a deleted tenant.
        let mut ids = vec![];
        for (actor, action) in [
            ("app-1", "camara.sim_swap.check"),
            ("admin:root", "application.create"),
            ("app-1", "consent.decision"),
            ("app-2", "camara.sim_swap.retrieve"),
            ("app-1", "camara.number_verification.verify"),
        ] {
            ids.push(s.append_audit(&audit("acme", actor, action)).await.unwrap());
        }
        s.append_audit(&audit("beta", "app-1", "camara.sim_swap.check"))
            .await
            .unwrap();
        assert!(ids.windows(2).all(|w| w[0] < w[1]));

        let list = |f: AuditFilter| {
            let s = s.clone();
            let acme = acme.clone();
            async move { s.list_audit(&acme, &f).await.unwrap() }
        };
        let all = list(AuditFilter::default()).await;
        assert_eq!(
            all.iter().map(|e| e.id).collect::<Vec<_>>(),
            ids.iter().rev().copied().collect::<Vec<_>>()
        );
        assert_eq!(
            all[4],
            AuditEvent {
                id: ids[0],
                ..audit("acme", "app-1", "camara.sim_swap.check")
            }
        );

        let by_prefix = list(AuditFilter {
            action_prefix: Some("camara.sim_swap.".into()),
            ..Default::default()
        })
        .await;
        assert_eq!(
            by_prefix.iter().map(|e| e.id).collect::<Vec<_>>(),
            vec![ids[3], ids[0]]
        );
        // `_` in a prefix is a literal underscore, not a wildcard.
        let literal = list(AuditFilter {
            action_prefix: Some("camara.sim_".into()),
            ..Default::default()
        })
        .await;
        assert_eq!(literal.len(), 2);
        let none = list(AuditFilter {
            action_prefix: Some("camara.sim%".into()),
            ..Default::default()
        })
        .await;
        assert!(none.is_empty());

        let by_actor = list(AuditFilter {
            actor: Some("app-1".into()),
            ..Default::default()
        })
        .await;
        assert_eq!(
            by_actor.iter().map(|e| e.id).collect::<Vec<_>>(),
            vec![ids[4], ids[2], ids[0]]
        );
        let both = list(AuditFilter {
            actor: Some("app-1".into()),
            action_prefix: Some("camara.".into()),
            ..Default::default()
        })
        .await;
        assert_eq!(
            both.iter().map(|e| e.id).collect::<Vec<_>>(),
            vec![ids[4], ids[0]]
        );

        let page1 = list(AuditFilter {
            limit: 2,
            ..Default::default()
        })
        .await;
        assert_eq!(
            page1.iter().map(|e| e.id).collect::<Vec<_>>(),
            vec![ids[4], ids[3]]
        );
        let page2 = list(AuditFilter {
            limit: 2,
            before_id: Some(ids[3]),
            ..Default::default()
        })
        .await;
        assert_eq!(
            page2.iter().map(|e| e.id).collect::<Vec<_>>(),
            vec![ids[2], ids[1]]
        );
        assert_eq!(
            list(AuditFilter {
                limit: -1,
                ..Default::default()
            })
            .await
            .len(),
            1
        );
        assert_eq!(
            list(AuditFilter {
                limit: 5000,
                ..Default::default()
            })
            .await
            .len(),
            5
        );
        assert_eq!(
            s.list_audit(&tid("beta"), &AuditFilter::default())
                .await
                .unwrap()
                .len(),
            1
        );
        assert!(s
            .list_audit(&tid("gamma"), &AuditFilter::default())
            .await
            .unwrap()
            .is_empty());
    }

    /// One tenant's records are invisible to another, for every kind of tenant-owned data.
    pub async fn tenant_isolation(s: Arc<dyn Store>) {
        with_tenants(&*s, &["acme", "beta"]).await;
        let (acme, beta) = (tid("acme"), tid("beta"));
        let n = phone("+34600000001");
        s.create_application(&app("acme", "app-1")).await.unwrap();
        s.upsert_capability(&capability("acme", "sim-swap-v2"))
            .await
            .unwrap();
        s.upsert_subscriber(&subscriber("acme", "+34600000001", "sub-1"))
            .await
            .unwrap();
        s.record_sim_change(&SimChange {
            tenant: acme.clone(),
            msisdn: n.clone(),
            changed_at: at(5),
            source: "hlr".into(),
            event_id: "e1".into(),
        })
        .await
        .unwrap();
        s.upsert_ip_session(&session("acme", "s1", "10.0.0.1", "+34600000001", 5))
            .await
            .unwrap();
        s.upsert_qos_profile(&QosProfileRecord {
            tenant: acme.clone(),
            name: "QOS_L".into(),
            status: "ACTIVE".into(),
            body: json!({}),
        })
        .await
        .unwrap();
        s.set_qos_availability(&acme, "QOS_L", &n, true)
            .await
            .unwrap();
        let c = consent("acme", "+34600000001", "app-1", ConsentStatus::Granted, 1);
        s.put_consent(&c, "system", "").await.unwrap();
        s.insert_code(&code("acme", "h", 60)).await.unwrap();
        s.insert_ciba(&ciba("acme", "r", 60)).await.unwrap();
        s.revoke_jti(&acme, "j", at(60)).await.unwrap();
        s.use_jti_once(&acme, "ns", "j", at(60)).await.unwrap();
        s.append_audit(&audit("acme", "app-1", "x")).await.unwrap();

        // The same subscriber id and MSISDN may exist in another tenant.
        s.upsert_subscriber(&subscriber("beta", "+34600000009", "sub-1"))
            .await
            .unwrap();

        assert!(s.list_applications(&beta).await.unwrap().is_empty());
        assert!(s.list_capabilities(&beta).await.unwrap().is_empty());
        assert_eq!(
            s.get_capability(&beta, &CapabilityId::parse("sim-swap-v2").unwrap())
                .await
                .unwrap(),
            None
        );
        assert_eq!(s.get_subscriber(&beta, &n).await.unwrap(), None);
        assert_eq!(
            s.get_subscriber_by_id(&beta, &SubscriberId::parse("sub-1").unwrap())
                .await
                .unwrap()
                .unwrap()
                .msisdn,
            phone("+34600000009")
        );
        assert_eq!(s.count_subscribers(&beta).await.unwrap(), 1);
        assert_eq!(s.list_subscribers(&beta, None, 10).await.unwrap().len(), 1);
        assert_eq!(s.latest_sim_change(&beta, &n).await.unwrap(), None);
        assert_eq!(
            s.find_active_session(&beta, "10.0.0.1".parse().unwrap(), at(0))
                .await
                .unwrap(),
            None
        );
        assert!(s
            .list_active_sessions(&beta, at(0))
            .await
            .unwrap()
            .is_empty());
        assert!(!s.end_ip_session(&beta, "s1", at(9)).await.unwrap());
        assert!(s.list_qos_profiles(&beta).await.unwrap().is_empty());
        assert_eq!(s.get_qos_profile(&beta, "QOS_L").await.unwrap(), None);
        assert!(s.qos_profiles_for(&beta, &n).await.unwrap().is_empty());
        assert_conflict(s.set_qos_availability(&beta, "QOS_L", &n, true).await);
        assert_eq!(
            s.get_consent(&beta, &n, &c.client_id, &c.purpose)
                .await
                .unwrap(),
            None
        );
        assert!(s
            .list_consents_by_subscriber(&beta, &n)
            .await
            .unwrap()
            .is_empty());
        assert!(s
            .list_consents_by_client(&beta, &c.client_id)
            .await
            .unwrap()
            .is_empty());
        assert!(s
            .consent_history(&beta, &n, &c.client_id, &c.purpose)
            .await
            .unwrap()
            .is_empty());
        assert_eq!(s.get_code(&beta, "h").await.unwrap(), None);
        assert_not_found(s.set_code_issued_jti(&beta, "h", "j").await);
        assert_eq!(s.get_ciba(&beta, "r").await.unwrap(), None);
        assert_not_found(s.set_ciba_status(&beta, "r", CibaStatus::Approved).await);
        assert!(!s.is_jti_revoked(&beta, "j").await.unwrap());
        assert!(s
            .list_audit(&beta, &AuditFilter::default())
            .await
            .unwrap()
            .is_empty());
        assert_not_found(
            s.delete_capability(&beta, &CapabilityId::parse("sim-swap-v2").unwrap())
                .await,
        );

        // And acme still sees all of it.
        assert_eq!(s.list_applications(&acme).await.unwrap().len(), 1);
        assert_eq!(s.qos_profiles_for(&acme, &n).await.unwrap(), vec!["QOS_L"]);
        assert!(s
            .find_active_session(&acme, "10.0.0.1".parse().unwrap(), at(0))
            .await
            .unwrap()
            .is_some());
        assert!(!s.use_jti_once(&acme, "ns", "j", at(60)).await.unwrap());
    }
}
