//! The foundation: health, metrics, demo data, graceful shutdown, both databases.
use ogw_core::domain::{PhoneNumber, TenantId};

use crate::common::*;

#[tokio::test]
async fn health_is_ok_when_store_answers() {
    let app = spawn_app().await;
    let res = app.http.get(app.url("/health")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["store"], "sqlite");
}

#[tokio::test]
async fn metrics_count_requests_per_route_and_status() {
    let app = spawn_app().await;
    app.http.get(app.url("/health")).send().await.unwrap();
    let text = app
        .http
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.lines().any(|l| l.starts_with("http_requests_total{")
            && l.contains(r#"route="/health""#)
            && l.contains(r#"status="200""#)),
        "{text}"
    );
    assert!(
        text.contains("http_request_duration_seconds_bucket{"),
        "{text}"
    );
}

#[tokio::test]
async fn demo_dataset_is_seeded_once() {
    let app = spawn_app().await;
    let store = &app.state.store;
    let demo = TenantId::parse("demo").unwrap();
    assert!(store.get_tenant(&demo).await.unwrap().is_some());
    let apps = store.list_applications(&demo).await.unwrap();
    let mut ids: Vec<_> = apps.iter().map(|a| a.client_id.to_string()).collect();
    ids.sort();
    assert_eq!(ids, ["demo-app-id", "demo-client"]);
    let demo_client = apps
        .iter()
        .find(|a| a.client_id.as_str() == "demo-client")
        .unwrap();
    assert!(app
        .state
        .pepper
        .verify("demo-secret", demo_client.secret_hash.as_deref().unwrap()));
    assert_eq!(store.count_subscribers(&demo).await.unwrap(), 4);
    let unknown = PhoneNumber::parse("+34699999999").unwrap();
    assert!(store
        .get_subscriber(&demo, &unknown)
        .await
        .unwrap()
        .is_none());
    let main = PhoneNumber::parse("+34629255833").unwrap();
    let swap = store
        .latest_sim_change(&demo, &main)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(swap.to_rfc3339(), "2024-09-18T07:37:53+00:00");
    let session = store
        .find_active_session(
            &demo,
            "127.0.0.1".parse().unwrap(),
            chrono::DateTime::<chrono::Utc>::MIN_UTC,
        )
        .await
        .unwrap();
    assert_eq!(session.map(|s| s.msisdn), Some(main.clone()));
    let profiles = store.qos_profiles_for(&demo, &main).await.unwrap();
    assert_eq!(profiles.len(), 4);
    assert_eq!(store.list_capabilities(&demo).await.unwrap().len(), 4);
    // Seeding again is a no-op.
    assert!(
        !ogw::demo::seed(store.as_ref(), &app.state.pepper, chrono::Utc::now())
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn graceful_shutdown_finishes_and_stops_listening() {
    let app = spawn_app().await;
    let addr = app.addr;
    assert_eq!(
        app.http
            .get(app.url("/health"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    app.stop().await.unwrap();
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

#[tokio::test]
async fn base_path_mounts_public_routes_but_not_health() {
    let app = spawn_app_with(|c| c.base_path = "/v1".into()).await;
    assert_eq!(app.state.settings.issuer, format!("http://{}/v1", app.addr));
    let res = app
        .http
        .get(format!("http://{}/health", app.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn runs_on_postgres_too() {
    let Some(url) = fresh_postgres_url().await else {
        return;
    };
    let app = spawn_app_with(|c| c.database_url = Some(url)).await;
    let body = app.get_json("/health").await;
    assert_eq!(body["store"], "postgres");
    let demo = TenantId::parse("demo").unwrap();
    assert_eq!(app.state.store.count_subscribers(&demo).await.unwrap(), 4);
}

#[tokio::test]
async fn health_is_503_when_the_store_is_gone() {
    // A dedicated PostgreSQL database that we drop under the running server.
    let Ok(base) = std::env::var("OGW_TEST_DATABASE_URL") else {
        eprintln!("OGW_TEST_DATABASE_URL not set: skipping");
        return;
    };
    use sqlx::Connection;
    let name = format!("ogw_health_{}", uuid::Uuid::new_v4().simple());
    let mut admin = sqlx::PgConnection::connect(&base).await.unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .unwrap();
    let url = match base.rfind('/') {
        Some(i) => format!("{}/{name}", &base[..i]),
        None => panic!("unexpected database url {base}"),
    };
    let app = spawn_app_with(|c| c.database_url = Some(url)).await;
    assert_eq!(
        app.http
            .get(app.url("/health"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .execute(&mut admin)
        .await
        .unwrap();
    let res = app.http.get(app.url("/health")).send().await.unwrap();
    assert_eq!(res.status(), 503);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["status"], "unavailable");
}
