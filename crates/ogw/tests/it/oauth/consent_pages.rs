//! The subscriber's consent pages over HTTP: capture from /authorize and CIBA, the privacy
//! dashboard, and their protections (CSRF, cross-site posts, device binding, headers).
use super::authorize::{auth_query, exchange, get_authorize, query_of};
use super::ciba::bc_authorize;
use super::*;
use crate::common::*;

const QOS: &str = "openid dpv:RequestedServiceProvision qos-profiles:read";

/// The value of the hidden input `name` in a page.
fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in {html}"))
        + marker.len();
    let end = html[start..].find('"').unwrap() + start;
    html[start..end].replace("&amp;", "&")
}

struct Page {
    status: u16,
    headers: reqwest::header::HeaderMap,
    html: String,
}

async fn get_page(app: &TestApp, path: &str, ip: Option<&str>, lang: Option<&str>) -> Page {
    let mut req = app.http.get(app.url(path));
    if let Some(ip) = ip {
        req = req.header("x-forwarded-for", ip);
    }
    if let Some(l) = lang {
        req = req.header("accept-language", l);
    }
    let r = req.send().await.unwrap();
    Page {
        status: r.status().as_u16(),
        headers: r.headers().clone(),
        html: r.text().await.unwrap(),
    }
}

async fn post_page(
    app: &TestApp,
    path: &str,
    form: &[(&str, &str)],
    headers: &[(&str, &str)],
) -> (u16, String) {
    let mut req = app.http.post(app.url(path)).form(form);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    let loc = r
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, loc)
}

/// /authorize for a consent-basis purpose: the consent page path.
async fn consent_page_path(app: &TestApp, scope: &str) -> String {
    let (status, loc, body) = get_authorize(app, &auth_query(&[("scope", scope)]), None).await;
    assert_eq!(status, 302, "{body:?}");
    assert!(loc.starts_with("/consent/capture?ref="), "{loc}");
    loc
}

fn header<'a>(p: &'a Page, name: &str) -> &'a str {
    p.headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

#[tokio::test]
async fn allow_on_the_consent_page_continues_with_a_code() {
    let app = spawn_app().await;
    let path = consent_page_path(&app, QOS).await;
    let page = get_page(&app, &path, None, Some("en-GB,en;q=0.9")).await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(header(&page, "content-type").starts_with("text/html"));
    let csp = header(&page, "content-security-policy");
    for part in [
        "default-src 'none'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "style-src 'self'",
    ] {
        assert!(csp.contains(part), "{csp}");
    }
    assert_eq!(header(&page, "x-frame-options"), "DENY");
    assert_eq!(header(&page, "cache-control"), "no-store");
    assert_eq!(header(&page, "referrer-policy"), "no-referrer");
    assert!(page.html.contains("<html lang=\"en\">"));
    assert!(page.html.contains("Demo client (client secret)"));
    assert!(page.html.contains("dpv:RequestedServiceProvision"));
    assert!(page.html.contains(">Allow<"));
    assert!(!page.html.contains("<script"));

    let reference = hidden(&page.html, "ref");
    let csrf = hidden(&page.html, "csrf");
    let (status, loc) = post_page(
        &app,
        "/consent/capture",
        &[("ref", &reference), ("csrf", &csrf), ("decision", "allow")],
        &[],
    )
    .await;
    assert_eq!(status, 303);
    assert!(loc.starts_with("whatever?"), "{loc}");
    let q = query_of(&loc);
    assert_eq!(q.get("state").map(String::as_str), Some("st-1"));
    let code = q.get("code").unwrap();
    let r = exchange(&app, &demo_basic(), code, &[]).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["scope"], QOS);

    // Granted now: the next /authorize issues a code without a page.
    let (status, loc, _) = get_authorize(&app, &auth_query(&[("scope", QOS)]), None).await;
    assert_eq!(status, 302);
    assert!(query_of(&loc).contains_key("code"), "{loc}");

    // The decision is in the consent history and the audit log.
    let history = app
        .state
        .store
        .consent_history(
            &demo_tenant(),
            &PhoneNumber::parse(demo::PHONE_MAIN).unwrap(),
            &ClientId::parse(demo::CLIENT_ID).unwrap(),
            &Purpose::parse("dpv:RequestedServiceProvision").unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].status, ConsentStatus::Granted);
    assert_eq!(history[0].actor, "subscriber");
}

#[tokio::test]
async fn deny_redirects_access_denied_with_state() {
    let app = spawn_app().await;
    let path = consent_page_path(&app, "openid dpv:ServiceProvision qos-profiles:read").await;
    let page = get_page(&app, &path, None, Some("es-ES")).await;
    assert_eq!(page.status, 200);
    assert!(page.html.contains("<html lang=\"es\">"));
    assert!(page.html.contains(">Denegar<"));
    let (status, loc) = post_page(
        &app,
        "/consent/capture",
        &[
            ("ref", &hidden(&page.html, "ref")),
            ("csrf", &hidden(&page.html, "csrf")),
            ("decision", "deny"),
        ],
        &[],
    )
    .await;
    assert_eq!(status, 303);
    let q = query_of(&loc);
    assert_eq!(q.get("error").map(String::as_str), Some("access_denied"));
    assert_eq!(q.get("state").map(String::as_str), Some("st-1"));
    assert!(!q.contains_key("code"));
}

#[tokio::test]
async fn forms_need_the_csrf_token_the_same_origin_and_the_same_line() {
    let app = spawn_app_with(|c| c.trusted_proxies = vec!["127.0.0.1".parse().unwrap()]).await;
    add_session(&app, "10.9.9.9", demo::PHONE_NEVER_SWAPPED).await;
    let path = consent_page_path(&app, QOS).await;

    // Another line (or an unknown device) cannot even see the page.
    let other = get_page(&app, &path, Some("10.9.9.9"), None).await;
    assert_eq!(other.status, 403);
    let unknown = get_page(&app, &path, Some("10.1.2.3"), None).await;
    assert_eq!(unknown.status, 403);
    assert_eq!(
        get_page(&app, "/consent/capture?ref=forged", None, None)
            .await
            .status,
        404
    );

    let page = get_page(&app, &path, None, None).await;
    let reference = hidden(&page.html, "ref");
    let csrf = hidden(&page.html, "csrf");
    let allow = |csrf: &str| {
        vec![
            ("ref", reference.clone()),
            ("csrf", csrf.to_owned()),
            ("decision", "allow".to_owned()),
        ]
    };
    let post = |form: Vec<(&'static str, String)>, headers: Vec<(&'static str, &'static str)>| {
        let app = &app;
        async move {
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            post_page(app, "/consent/capture", &form, &headers).await
        }
    };
    assert_eq!(post(allow(""), vec![]).await.0, 403, "no token");
    assert_eq!(post(allow("1.abc"), vec![]).await.0, 403, "bad token");
    assert_eq!(
        post(allow(&csrf), vec![("origin", "https://evil.example")])
            .await
            .0,
        403
    );
    assert_eq!(
        post(allow(&csrf), vec![("sec-fetch-site", "cross-site")])
            .await
            .0,
        403
    );
    assert_eq!(
        post(allow(&csrf), vec![("x-forwarded-for", "10.9.9.9")])
            .await
            .0,
        403,
        "the token is bound to the device"
    );
    // Nothing was recorded by the refused posts.
    let c = app
        .state
        .store
        .get_consent(
            &demo_tenant(),
            &PhoneNumber::parse(demo::PHONE_MAIN).unwrap(),
            &ClientId::parse(demo::CLIENT_ID).unwrap(),
            &Purpose::parse("dpv:RequestedServiceProvision").unwrap(),
        )
        .await
        .unwrap();
    assert!(c.is_none());
    let (status, _) = post(allow(&csrf), vec![("sec-fetch-site", "same-origin")]).await;
    assert_eq!(status, 303);
}

#[tokio::test]
async fn prompt_none_never_shows_the_page() {
    let app = spawn_app().await;
    let (status, loc, _) = get_authorize(
        &app,
        &auth_query(&[("scope", QOS), ("prompt", "none")]),
        None,
    )
    .await;
    assert_eq!(status, 302);
    assert_eq!(
        query_of(&loc).get("error").map(String::as_str),
        Some("consent_required")
    );
}

#[tokio::test]
async fn ciba_consent_url_page_completes_the_pending_request() {
    let clock = fake_clock();
    let app = spawn_app_with_clock(&clock, |_| {}).await;
    for (decision, expected) in [("allow", 200), ("deny", 403)] {
        let r = bc_authorize(
            &app,
            &demo_basic(),
            &[
                ("login_hint", "tel:+34629255833"),
                (
                    "scope",
                    if decision == "allow" {
                        "dpv:RequestedServiceProvision qos-profiles:read"
                    } else {
                        "dpv:ServiceProvision qos-profiles:read"
                    },
                ),
            ],
        )
        .await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        let id = r.body["auth_req_id"].as_str().unwrap().to_owned();
        let t = post_form(
            &app,
            "/token",
            Some(&demo_basic()),
            &[
                ("grant_type", "urn:openid:params:grant-type:ciba".to_owned()),
                ("auth_req_id", id.clone()),
            ],
        )
        .await;
        assert_eq!(t.error(), "authorization_pending");
        let url = t.body["consent_url"].as_str().unwrap();
        let path = &url[app.state.settings.issuer.len()..];
        let page = get_page(&app, path, None, Some("en")).await;
        assert_eq!(page.status, 200, "{}", page.html);
        let (status, _) = post_page(
            &app,
            path,
            &[
                ("csrf", &hidden(&page.html, "csrf")),
                ("decision", decision),
            ],
            &[],
        )
        .await;
        assert_eq!(status, 200);
        // The request is no longer pending: the page is gone.
        assert_eq!(get_page(&app, path, None, None).await.status, 404);
        clock.advance(chrono::Duration::seconds(
            r.body["interval"].as_i64().unwrap(),
        ));
        let t = post_form(
            &app,
            "/token",
            Some(&demo_basic()),
            &[
                ("grant_type", "urn:openid:params:grant-type:ciba".to_owned()),
                ("auth_req_id", id),
            ],
        )
        .await;
        if expected == 200 {
            assert_eq!(t.status, 200, "{:?}", t.body);
        } else {
            assert_eq!(t.error(), "access_denied", "{:?}", t.body);
        }
    }
}

#[tokio::test]
async fn dashboard_lists_and_revokes() {
    let app = spawn_app_with(|c| c.trusted_proxies = vec!["127.0.0.1".parse().unwrap()]).await;
    let path = consent_page_path(&app, QOS).await;
    let page = get_page(&app, &path, None, None).await;
    let (status, _) = post_page(
        &app,
        "/consent/capture",
        &[
            ("ref", &hidden(&page.html, "ref")),
            ("csrf", &hidden(&page.html, "csrf")),
            ("decision", "allow"),
        ],
        &[],
    )
    .await;
    assert_eq!(status, 303);

    let dash = get_page(&app, "/my/consents", None, None).await;
    assert_eq!(dash.status, 200);
    assert_eq!(header(&dash, "x-frame-options"), "DENY");
    assert!(dash.html.contains("Demo client (client secret)"));
    assert!(dash.html.contains(">Granted<"));
    assert!(dash
        .html
        .contains("allowed by the subscriber on the consent page"));
    let csrf = hidden(&dash.html, "csrf");

    // Another line has nothing of this one's; an unknown device gets 403.
    assert_eq!(
        get_page(&app, "/my/consents", Some("10.1.2.3"), None)
            .await
            .status,
        403
    );
    let (status, _) = post_page(
        &app,
        "/my/consents/revoke",
        &[
            ("client_id", demo::CLIENT_ID),
            ("purpose", "dpv:RequestedServiceProvision"),
            ("csrf", "0.x"),
        ],
        &[],
    )
    .await;
    assert_eq!(status, 403);

    // A token works before the revocation and not after.
    let (_, loc, _) = get_authorize(&app, &auth_query(&[("scope", QOS)]), None).await;
    let r = exchange(
        &app,
        &demo_basic(),
        query_of(&loc).get("code").unwrap(),
        &[],
    )
    .await;
    let at = r.body["access_token"].as_str().unwrap().to_owned();
    let call = |at: String| {
        let app = &app;
        async move {
            app.http
                .post(app.url("/qos-profiles/v1/retrieve-qos-profiles"))
                .bearer_auth(at)
                .json(&serde_json::json!({}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    let before = call(at.clone()).await;
    assert_eq!(before, 200, "granted consent lets the call through");

    let (status, loc) = post_page(
        &app,
        "/my/consents/revoke",
        &[
            ("client_id", demo::CLIENT_ID),
            ("purpose", "dpv:RequestedServiceProvision"),
            ("csrf", &csrf),
        ],
        &[],
    )
    .await;
    assert_eq!((status, loc.as_str()), (303, "/my/consents"));
    let dash = get_page(&app, "/my/consents", None, None).await;
    assert!(dash.html.contains(">Revoked<"), "{}", dash.html);
    assert_eq!(call(at).await, 403, "revocation applies on the next call");
}

#[tokio::test]
async fn pages_follow_base_path() {
    let app = spawn_app_with(|c| c.base_path = "/v1".into()).await;
    let (status, loc, _) = get_authorize(&app, &auth_query(&[("scope", QOS)]), None).await;
    assert_eq!(status, 302);
    assert!(loc.starts_with("/v1/consent/capture?ref="), "{loc}");
    let r = app
        .http
        .get(format!("http://{}{loc}", app.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("action=\"/v1/consent/capture\""), "{html}");
    assert!(
        html.contains("href=\"/v1/consent/assets/style.css\""),
        "{html}"
    );
    let (status, loc) = post_page(
        &app,
        "/consent/capture",
        &[
            ("ref", &hidden(&html, "ref")),
            ("csrf", &hidden(&html, "csrf")),
            ("decision", "allow"),
        ],
        &[],
    )
    .await;
    assert_eq!(status, 303);
    assert!(query_of(&loc).contains_key("code"), "{loc}");
}
