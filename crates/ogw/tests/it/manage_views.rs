//! `/v1/tenants/{tenant}/views`: consent view definitions, and the consent page using them.
use serde_json::json;

use crate::common::*;
use crate::manage_kit::*;

const PATH: &str = "/v1/tenants/demo/views";

fn qos_view(title_es: &str) -> serde_json::Value {
    json!({
        "purpose": "dpv:RequestedServiceProvision",
        "defaultLocale": "es",
        "locales": {
            "es": {"title": title_es, "explanation": "Ver tus perfiles <QoS>", "legalText": "Texto legal"},
            "en": {"title": "Faster video", "explanation": "See your <QoS> profiles", "legalText": "Legal text"}
        },
        "branding": {"operatorName": "Operadora & Co", "colour": "#ff0000", "logoUrl": "https://cdn.operator.example/logo.png"}
    })
}

#[tokio::test]
async fn views_crud_with_etag_scopes_and_audit() {
    let app = spawn_app().await;
    let t = manager(
        &app,
        "demo",
        "demo-views",
        "views:read views:write audit:read",
    )
    .await;
    let r = put(
        &app,
        &format!("{PATH}/qos"),
        &t,
        qos_view("Vídeo más fluido"),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.header("location"), Some("/v1/tenants/demo/views/qos"));
    assert_eq!(r.body["id"], "qos");
    assert_eq!(r.body["locales"]["en"]["title"], "Faster video");
    let etag = r.etag();

    let r = get(&app, &format!("{PATH}/qos"), &t).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.etag(), etag);
    let r = get(&app, PATH, &t).await;
    assert_eq!(r.body["items"].as_array().unwrap().len(), 1);

    // If-Match guards replacement.
    let r = call(
        &app,
        reqwest::Method::PUT,
        &format!("{PATH}/qos"),
        Some(&t),
        Some(qos_view("Otro")),
        &[("if-match", "\"stale\"")],
    )
    .await;
    r.assert_error(412, "PRECONDITION_FAILED");
    let r = put(
        &app,
        &format!("{PATH}/qos"),
        &t,
        qos_view("Vídeo sin cortes"),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);

    // Validation.
    let mut bad = qos_view("x");
    bad["defaultLocale"] = "fr".into();
    put(&app, &format!("{PATH}/bad"), &t, bad)
        .await
        .assert_error(400, "INVALID_ARGUMENT");
    let mut bad = qos_view("x");
    bad["purpose"] = "dpv:Marketing".into();
    put(&app, &format!("{PATH}/bad"), &t, bad)
        .await
        .assert_error(422, "UNKNOWN_PURPOSE");
    let mut bad = qos_view("x");
    bad["branding"]["logoUrl"] = "javascript:alert(1)".into();
    put(&app, &format!("{PATH}/bad"), &t, bad)
        .await
        .assert_error(400, "INVALID_ARGUMENT");

    // Scopes and tenant isolation.
    let reader = manager(&app, "demo", "demo-reader", "views:read").await;
    put(&app, &format!("{PATH}/qos"), &reader, qos_view("x"))
        .await
        .assert_error(403, "PERMISSION_DENIED");
    let other = manager(&app, "other", "other-views", "views:read views:write").await;
    get(&app, &format!("{PATH}/qos"), &other)
        .await
        .assert_error(404, "NOT_FOUND");

    let audit = get(&app, "/v1/tenants/demo/audit?action=view.update", &t).await;
    assert_eq!(audit.status, 200, "{}", audit.body);

    let r = delete(&app, &format!("{PATH}/qos"), &t).await;
    assert_eq!(r.status, 204);
    get(&app, &format!("{PATH}/qos"), &t)
        .await
        .assert_error(404, "NOT_FOUND");
}

#[tokio::test]
async fn the_consent_page_uses_the_tenant_view_escaped() {
    let app = spawn_app().await;
    let t = manager(&app, "demo", "demo-views", "views:read views:write").await;
    assert_eq!(
        put(
            &app,
            &format!("{PATH}/qos"),
            &t,
            qos_view("Vídeo más fluido")
        )
        .await
        .status,
        201
    );
    let q = [
        ("response_type", "code"),
        ("client_id", "demo-client"),
        ("redirect_uri", "https://app.example/cb"),
        (
            "scope",
            "openid dpv:RequestedServiceProvision qos-profiles:read",
        ),
        ("state", "s"),
    ];
    let r = app
        .http
        .get(app.url("/authorize"))
        .query(&q)
        .send()
        .await
        .unwrap();
    let loc = r.headers()["location"].to_str().unwrap().to_owned();
    for (lang, title, explanation) in [
        ("en", "Faster video", "See your &lt;QoS&gt; profiles"),
        ("es-ES", "Vídeo más fluido", "Ver tus perfiles &lt;QoS&gt;"),
        ("fr", "Vídeo más fluido", "Ver tus perfiles &lt;QoS&gt;"),
    ] {
        let html = app
            .http
            .get(app.url(&loc))
            .header("accept-language", lang)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(html.contains(title), "{lang}: {html}");
        assert!(html.contains(explanation), "{lang}: {html}");
        assert!(html.contains("Operadora &amp; Co"), "{html}");
        assert!(
            html.contains("src=\"https://cdn.operator.example/logo.png\""),
            "{html}"
        );
        assert!(!html.contains("<QoS>"));
    }
}
