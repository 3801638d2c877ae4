//! Consent view definitions at `/v1/tenants/{tenant}/views` and the caller's-own-tenant
//! alias `/v1/views`, and the consent page using them: selection order, locale fallback,
//! the brand stylesheet, colour and logo validation.
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
            html.contains(
                "<img class=\"logo\" src=\"https://cdn.operator.example/logo.png\" alt=\"Operadora &amp; Co\">"
            ),
            "{html}"
        );
        assert!(!html.contains("<QoS>"));
    }
}

/// The authorize redirect to the consent page for `scope` (extra authorize parameters
/// appended), as a path.
async fn consent_page_path(app: &TestApp, scope: &str, extra: &[(&str, &str)]) -> String {
    let mut q = vec![
        ("response_type", "code"),
        ("client_id", "demo-client"),
        ("redirect_uri", "https://app.example/cb"),
        ("scope", scope),
        ("state", "s"),
    ];
    q.extend_from_slice(extra);
    let r = app
        .http
        .get(app.url("/authorize"))
        .query(&q)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    let loc = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(loc.contains("/consent/capture?ref="), "{loc}");
    loc
}

/// The consent page's headers and HTML.
async fn consent_page(
    app: &TestApp,
    path: &str,
    accept_language: &str,
) -> (reqwest::header::HeaderMap, String) {
    let r = app
        .http
        .get(app.url(path))
        .header("accept-language", accept_language)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let h = r.headers().clone();
    (h, r.text().await.unwrap())
}

/// The page's `<h1>`.
fn heading(html: &str) -> String {
    let start = html.find("<h1>").expect("h1") + 4;
    let end = html[start..].find("</h1>").unwrap() + start;
    html[start..end].to_owned()
}

fn titled(title: &str, capability: Option<&str>, client: Option<&str>) -> serde_json::Value {
    let mut v = json!({
        "purpose": "dpv:RequestedServiceProvision",
        "defaultLocale": "en",
        "locales": {"en": {"title": title, "explanation": "x", "legalText": "y"}},
    });
    if let Some(c) = capability {
        v["capability"] = c.into();
    }
    if let Some(c) = client {
        v["clientId"] = c.into();
    }
    v
}

#[tokio::test]
async fn views_alias_acts_on_the_callers_own_tenant() {
    let app = spawn_app().await;
    let demo = manager(&app, "demo", "demo-views", "views:read views:write").await;
    let r = put(&app, "/v1/views/qos", &demo, qos_view("Vídeo")).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.header("location"), Some("/v1/views/qos"));
    let etag = r.etag();
    // The same resource under both routes.
    let r = get(&app, &format!("{PATH}/qos"), &demo).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.etag(), etag);
    let r = get(&app, "/v1/views/qos", &demo).await;
    assert_eq!(r.etag(), etag);
    assert_eq!(
        get(&app, "/v1/views", &demo).await.body["items"][0]["id"],
        "qos"
    );

    // Another tenant's client sees and writes only its own tenant's views.
    let other = manager(&app, "other", "other-views", "views:read views:write").await;
    let r = get(&app, "/v1/views", &other).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["items"], json!([]));
    get(&app, "/v1/views/qos", &other)
        .await
        .assert_error(404, "NOT_FOUND");
    delete(&app, "/v1/views/qos", &other)
        .await
        .assert_error(404, "NOT_FOUND");
    let r = put(&app, "/v1/views/qos", &other, qos_view("Otro tenant")).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let r = get(&app, "/v1/tenants/other/views/qos", &other).await;
    assert_eq!(r.body["locales"]["es"]["title"], "Otro tenant");
    let r = get(&app, "/v1/views/qos", &demo).await;
    assert_eq!(r.body["locales"]["es"]["title"], "Vídeo");
    assert_eq!(r.etag(), etag, "demo's view is untouched");

    // An operator (system tenant) acts on `system` through the alias, on any tenant by name.
    let ops = operator(&app).await;
    assert_eq!(get(&app, "/v1/views", &ops).await.body["items"], json!([]));
    get(&app, "/v1/views/qos", &ops)
        .await
        .assert_error(404, "NOT_FOUND");
    assert_eq!(get(&app, &format!("{PATH}/qos"), &ops).await.etag(), etag);

    // Scopes, authentication, If-Match: as on the tenant-scoped routes.
    let reader = manager(&app, "demo", "demo-reader", "views:read").await;
    put(&app, "/v1/views/qos", &reader, qos_view("x"))
        .await
        .assert_error(403, "PERMISSION_DENIED");
    let r = call(&app, reqwest::Method::GET, "/v1/views", None, None, &[]).await;
    r.assert_error(401, "UNAUTHENTICATED");
    let r = call(
        &app,
        reqwest::Method::DELETE,
        "/v1/views/qos",
        Some(&demo),
        None,
        &[("if-match", "\"stale\"")],
    )
    .await;
    r.assert_error(412, "PRECONDITION_FAILED");
    let r = call(
        &app,
        reqwest::Method::DELETE,
        "/v1/views/qos",
        Some(&demo),
        None,
        &[("if-match", &etag)],
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.body);
    get(&app, &format!("{PATH}/qos"), &demo)
        .await
        .assert_error(404, "NOT_FOUND");
    get(&app, "/v1/views/bad id", &demo)
        .await
        .assert_error(400, "INVALID_ARGUMENT");

    // Documented, without the tenant parameter, with unique operation ids.
    let doc = app.get_json("/v1/openapi.json").await;
    let op = &doc["paths"]["/v1/views/{id}"]["put"];
    assert_eq!(op["operationId"], "view_put_own_tenant");
    let params: Vec<_> = op["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert!(
        !params.contains(&"tenant") && params.contains(&"id"),
        "{params:?}"
    );
    assert_eq!(
        doc["paths"]["/v1/views"]["get"]["operationId"],
        "views_list_get_own_tenant"
    );
}

/// app + capability > app > capability > the purpose's view > the built-in text.
async fn selection_order(app: &TestApp) {
    let t = manager(app, "demo", "demo-views", "views:read views:write").await;
    for (id, cap, client) in [
        ("purpose", None, None),
        ("cap", Some("qos-profiles-v1"), None),
        ("app", None, Some("demo-client")),
        ("app-cap", Some("qos-profiles-v1"), Some("demo-client")),
        // Never apply to this request: another capability (consent-info offers this purpose).
        ("other-cap", Some("consent-info-v0"), Some("demo-client")),
    ] {
        let r = put(app, &format!("/v1/views/{id}"), &t, titled(id, cap, client)).await;
        assert_eq!(r.status, 201, "{id}: {}", r.body);
    }
    let page = consent_page_path(
        app,
        "openid dpv:RequestedServiceProvision qos-profiles:read",
        &[],
    )
    .await;
    for expected in ["app-cap", "app", "cap", "purpose"] {
        let (_, html) = consent_page(app, &page, "en").await;
        assert_eq!(heading(&html), expected, "{html}");
        assert_eq!(
            delete(app, &format!("/v1/views/{expected}"), &t)
                .await
                .status,
            204
        );
    }
    let (_, html) = consent_page(app, &page, "en").await;
    assert_eq!(heading(&html), "Providing the service you requested");

    // A capability view applies only when the capability covers every requested scope.
    let r = put(
        app,
        "/v1/views/cap",
        &t,
        titled("cap", Some("qos-profiles-v1"), None),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let both = consent_page_path(
        app,
        "openid dpv:RequestedServiceProvision qos-profiles:read consent-info:retrieve",
        &[],
    )
    .await;
    let (_, html) = consent_page(app, &both, "en").await;
    assert_eq!(heading(&html), "Providing the service you requested");
}

#[tokio::test]
async fn the_page_picks_the_most_specific_view() {
    let app = spawn_app().await;
    selection_order(&app).await;
}

#[tokio::test]
async fn the_page_picks_the_most_specific_view_on_postgres() {
    let Some(url) = fresh_postgres_url().await else {
        return;
    };
    let app = spawn_app_with(|c| c.database_url = Some(url)).await;
    selection_order(&app).await;
}

#[tokio::test]
async fn view_scoping_is_validated() {
    let app = spawn_app().await;
    let t = manager(&app, "demo", "demo-views", "views:read views:write").await;
    put(
        &app,
        "/v1/views/x",
        &t,
        titled("x", Some("no-such-api"), None),
    )
    .await
    .assert_error(422, "UNKNOWN_CAPABILITY");
    put(
        &app,
        "/v1/views/x",
        &t,
        titled("x", Some("sim-swap-v2"), None),
    )
    .await
    .assert_error(422, "CAPABILITY_PURPOSE_MISMATCH");
    put(
        &app,
        "/v1/views/x",
        &t,
        titled("x", None, Some("no-such-app")),
    )
    .await
    .assert_error(422, "UNKNOWN_APPLICATION");
    put(&app, "/v1/views/x", &t, titled("x", Some("bad id!"), None))
        .await
        .assert_error(400, "INVALID_ARGUMENT");
    // An application of another tenant is unknown here.
    manager(&app, "other", "other-app", "views:read").await;
    put(
        &app,
        "/v1/views/x",
        &t,
        titled("x", None, Some("other-app")),
    )
    .await
    .assert_error(422, "UNKNOWN_APPLICATION");
    // One view per (purpose, capability, application).
    let first = titled("a", Some("qos-profiles-v1"), Some("demo-client"));
    assert_eq!(
        put(&app, "/v1/views/a", &t, first.clone()).await.status,
        201
    );
    put(&app, "/v1/views/b", &t, first.clone())
        .await
        .assert_error(409, "CONFLICT");
    assert_eq!(put(&app, "/v1/views/a", &t, first).await.status, 200);
    assert_eq!(
        put(
            &app,
            "/v1/views/b",
            &t,
            titled("b", Some("qos-profiles-v1"), None)
        )
        .await
        .status,
        201
    );
}

#[tokio::test]
async fn locale_fallback_accept_language_then_ui_locales_then_default() {
    let app = spawn_app().await;
    let t = manager(&app, "demo", "demo-views", "views:read views:write").await;
    let mut v = qos_view("Vídeo más fluido");
    v["locales"]["pt-br"] =
        json!({"title": "Vídeo mais fluido", "explanation": "e", "legalText": "l"});
    assert_eq!(put(&app, "/v1/views/qos", &t, v).await.status, 201);
    let scope = "openid dpv:RequestedServiceProvision qos-profiles:read";
    let plain = consent_page_path(&app, scope, &[]).await;
    let asked_en = consent_page_path(&app, scope, &[("ui_locales", "it en-GB")]).await;
    for (page, accept, title, lang) in [
        // Accept-Language by q-value, exact tag then primary subtag.
        (
            &plain,
            "fr;q=1, en;q=0.5, es;q=0.8",
            "Vídeo más fluido",
            "es",
        ),
        (&plain, "fr, en-US;q=0.9", "Faster video", "en"),
        (&plain, "pt-BR", "Vídeo mais fluido", "pt-br"),
        (&plain, "es;q=0, en;q=0.2", "Faster video", "en"),
        // The browser first, then the application's ui_locales…
        (&asked_en, "es", "Vídeo más fluido", "es"),
        (&asked_en, "fr, de", "Faster video", "en"),
        // …then the view's defaultLocale.
        (&plain, "fr, de", "Vídeo más fluido", "es"),
    ] {
        let (_, html) = consent_page(&app, page, accept).await;
        assert_eq!(heading(&html), title, "{accept}");
        assert!(
            html.contains(&format!("<html lang=\"{lang}\">")),
            "{accept}"
        );
    }
    // The built-in texts follow the same order.
    assert_eq!(delete(&app, "/v1/views/qos", &t).await.status, 204);
    let (_, html) = consent_page(&app, &asked_en, "fr").await;
    assert_eq!(heading(&html), "Providing the service you requested");
    let (_, html) = consent_page(&app, &plain, "fr").await;
    assert_eq!(heading(&html), "Prestación del servicio solicitado");
}

#[tokio::test]
async fn the_brand_colour_is_a_stylesheet_of_our_own_origin() {
    let app = spawn_app().await;
    let t = manager(&app, "demo", "demo-views", "views:read views:write").await;
    let r = put(&app, "/v1/views/qos", &t, qos_view("Vídeo")).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let page = consent_page_path(
        &app,
        "openid dpv:RequestedServiceProvision qos-profiles:read",
        &[],
    )
    .await;
    let (headers, html) = consent_page(&app, &page, "es").await;
    assert!(
        html.contains("<link rel=\"stylesheet\" href=\"/consent/assets/brand/ff0000.css\">"),
        "{html}"
    );
    assert!(!html.contains("style="), "no inline styles");
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("style-src 'self';"), "{csp}");
    // The logo's origin only, not any https image.
    assert!(
        csp.contains("img-src 'self' https://cdn.operator.example;"),
        "{csp}"
    );
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");

    let r = app
        .http
        .get(app.url("/consent/assets/brand/ff0000.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/css; charset=utf-8");
    assert_eq!(
        r.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    let css = r.text().await.unwrap();
    assert!(
        css.contains("button{background:#ff0000;border-color:#ff0000;"),
        "{css}"
    );
    assert!(css.contains(".brand{border-bottom-color:#ff0000}"), "{css}");
    for bad in [
        "FF0000.css",
        "ff000.css",
        "ff00000.css",
        "ff0000.js",
        "gg0000.css",
        "ff0000",
        "..%2Fstyle.css",
    ] {
        let r = app
            .http
            .get(app.url(&format!("/consent/assets/brand/{bad}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404, "{bad}");
    }

    // Without a view: the built-in colour, and no image source beyond our own.
    assert_eq!(delete(&app, "/v1/views/qos", &t).await.status, 204);
    let (headers, html) = consent_page(&app, &page, "es").await;
    assert!(html.contains("/consent/assets/brand/0b5fff.css"), "{html}");
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("img-src 'self';"), "{csp}");
}

#[tokio::test]
async fn colours_and_logos_are_validated_at_input() {
    let app = spawn_app().await;
    let t = manager(&app, "demo", "demo-views", "views:read views:write").await;
    for bad in [
        "red",
        "#fff",
        "ff0000",
        "#GG0000",
        "#ff0000;}body{display:none",
        "#ff0000 ",
        "",
    ] {
        let mut v = qos_view("x");
        v["branding"]["colour"] = bad.into();
        put(&app, "/v1/views/qos", &t, v)
            .await
            .assert_error(400, "INVALID_ARGUMENT");
    }
    for bad in [
        "http://cdn.operator.example/logo.png",
        "javascript:alert(1)",
        "data:image/svg+xml;base64,PHN2Zz4=",
        "https://user:pw@cdn.operator.example/logo.png",
        "https://cdn.operator.example/a b.png",
        "https://cdn.operator.example/\"onerror=\"x",
        "https://cdn.operator.example/<x>",
        "https:///logo.png",
        "//cdn.operator.example/logo.png",
    ] {
        let mut v = qos_view("x");
        v["branding"]["logoUrl"] = bad.into();
        put(&app, "/v1/views/qos", &t, v)
            .await
            .assert_error(400, "INVALID_ARGUMENT");
    }
    let mut v = qos_view("x");
    v["branding"]["colour"] = "#FF00AA".into();
    v["branding"]["logoUrl"] = "https://cdn.operator.example:8443/brand/logo.svg?v=2".into();
    let r = put(&app, "/v1/views/qos", &t, v).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(
        r.body["branding"]["colour"], "#ff00aa",
        "stored in lower case"
    );
}
