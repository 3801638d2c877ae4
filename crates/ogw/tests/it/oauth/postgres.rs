//! The same flows on PostgreSQL (the shared store of multi-node deployments), when
//! `OGW_TEST_DATABASE_URL` is set.
use ogw::demo;

use super::authorize::{code, exchange};
use super::ciba::{bc_authorize, poll};
use super::*;
use crate::common::*;

#[tokio::test]
async fn code_ciba_replay_and_revocation_on_postgres() {
    let Some(url) = fresh_postgres_url().await else {
        return;
    };
    let app = spawn_app_with(|c| c.database_url = Some(url)).await;
    assert_eq!(app.state.store.backend(), "postgres");

    let c = code(&app, &[]).await;
    let first = exchange(&app, &demo_basic(), &c, &[]).await;
    assert_eq!(first.status, 200, "{:?}", first.body);
    let token = first.body["access_token"].as_str().unwrap().to_owned();
    let replay = exchange(&app, &demo_basic(), &c, &[]).await;
    assert_eq!(replay.error(), "invalid_grant");
    assert_eq!(introspect(&app, &token).await["active"], false);

    let r = bc_authorize(
        &app,
        &demo_basic(),
        &[
            ("login_hint", "ipport:127.0.0.1:5000"),
            (
                "scope",
                "openid dpv:FraudPreventionAndDetection sim-swap:check",
            ),
        ],
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let t = poll(&app, &demo_basic(), r.body["auth_req_id"].as_str().unwrap()).await;
    assert_eq!(t.status, 200, "{:?}", t.body);
    let at = t.body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(claims(&at)["amr"], serde_json::json!(["nba"]));
    assert_eq!(subscriber_of(&app, &at).as_deref(), Some(demo::PHONE_MAIN));
    let rev = post_form(
        &app,
        "/revoke",
        Some(&demo_basic()),
        &[("token", at.clone())],
    )
    .await;
    assert_eq!(rev.status, 200);
    assert_eq!(introspect(&app, &at).await["active"], false);
}

#[tokio::test]
async fn dpop_switch_and_header_enrichment_on_postgres() {
    let Some(url) = fresh_postgres_url().await else {
        return;
    };
    let app = spawn_app_with(|c| {
        c.database_url = Some(url);
        c.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
        c.msisdn_header = Some("X-MSISDN".into());
    })
    .await;
    assert_eq!(app.state.store.backend(), "postgres");
    // The switch survives the round trip through PostgreSQL and is enforced at /token.
    let ops = crate::manage_kit::operator(&app).await;
    let path = format!("/v1/tenants/demo/applications/{}", demo::CLIENT_ID);
    let r =
        crate::manage_kit::patch(&app, &path, &ops, json!({"dpopBoundAccessTokens": true})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = crate::manage_kit::get(&app, &path, &ops).await;
    assert_eq!(r.body["dpopBoundAccessTokens"], true);
    let form = [
        ("grant_type", "client_credentials".to_owned()),
        ("scope", "sim-swap:check".to_owned()),
    ];
    let r = post_form(&app, "/token", Some(&demo_basic()), &form).await;
    assert_eq!((r.status, r.error()), (400, "invalid_dpop_proof"));
    let r =
        crate::manage_kit::patch(&app, &path, &ops, json!({"dpopBoundAccessTokens": false})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = post_form(&app, "/token", Some(&demo_basic()), &form).await;
    assert_eq!(r.status, 200, "{:?}", r.body);

    // The enrichment header names the line.
    let q = super::authorize::auth_query(&[]);
    let res = app
        .http
        .get(app.url("/authorize"))
        .query(&q)
        .header("x-msisdn", demo::PHONE_RECENT_SWAP)
        .send()
        .await
        .unwrap();
    let loc = res.headers()["location"].to_str().unwrap().to_owned();
    let c = super::authorize::query_of(&loc)
        .get("code")
        .cloned()
        .unwrap();
    let t = exchange(&app, &demo_basic(), &c, &[]).await;
    assert_eq!(
        subscriber_of(&app, t.body["access_token"].as_str().unwrap()).as_deref(),
        Some(demo::PHONE_RECENT_SWAP)
    );
}
