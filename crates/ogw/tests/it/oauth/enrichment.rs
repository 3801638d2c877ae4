//! MSISDN header enrichment (`msisdn_header`): a trusted proxy names the device's line at
//! /authorize, on the consent pages and on the privacy dashboard; from anyone else the
//! header is ignored and the IP session lookup decides.
use super::authorize::{auth_query, exchange, query_of};
use super::*;
use crate::common::*;

const QOS: &str = "openid dpv:RequestedServiceProvision qos-profiles:read";
const NOT_A_SUBSCRIBER: &str = "+34699999999";

/// Header enrichment on, from the loopback peer (the tests' own address) when `trusted`.
async fn enriched_app(trusted: bool) -> TestApp {
    spawn_app_with(|c| {
        c.msisdn_header = Some("X-MSISDN".into());
        if trusted {
            c.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
        }
    })
    .await
}

/// A request with these extra headers; returns (status, Location, body text).
async fn send(req: reqwest::RequestBuilder, headers: &[(&str, &str)]) -> (u16, String, String) {
    let mut req = req;
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
    (status, loc, r.text().await.unwrap())
}

async fn authorize(
    app: &TestApp,
    extra: &[(&str, &str)],
    headers: &[(&str, &str)],
) -> (u16, String) {
    let req = app
        .http
        .get(app.url("/authorize"))
        .query(&auth_query(extra));
    let (status, loc, _) = send(req, headers).await;
    (status, loc)
}

/// The line a code from /authorize (with these headers) is for, via its access token.
async fn line_of_code(app: &TestApp, headers: &[(&str, &str)]) -> String {
    let (status, loc) = authorize(app, &[], headers).await;
    assert_eq!(status, 302);
    let code = query_of(&loc)
        .get("code")
        .cloned()
        .unwrap_or_else(|| panic!("no code: {loc}"));
    let r = exchange(app, &demo_basic(), &code, &[]).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    subscriber_of(app, r.body["access_token"].as_str().unwrap()).unwrap()
}

fn error_of(loc: &str) -> Option<String> {
    query_of(loc).get("error").cloned()
}

/// The `evidence` of the latest audit record of `action`.
async fn latest_evidence(app: &TestApp, action: &str) -> (String, Value) {
    let events = app
        .state
        .store
        .list_audit(
            &demo_tenant(),
            &AuditFilter {
                action_prefix: Some(action.into()),
                limit: 1,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let e = events
        .first()
        .unwrap_or_else(|| panic!("no {action} audit"));
    (e.target.clone(), e.detail.value()["evidence"].clone())
}

fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in {html}"))
        + marker.len();
    let end = html[start..].find('"').unwrap() + start;
    html[start..end].replace("&amp;", "&")
}

#[tokio::test]
async fn a_trusted_proxy_names_the_line_at_authorize() {
    let app = enriched_app(true).await;
    // Without the header the loopback session decides: the main demo line.
    assert_eq!(line_of_code(&app, &[]).await, demo::PHONE_MAIN);
    let (target, evidence) = latest_evidence(&app, "oauth.authorize").await;
    assert_eq!(
        (target.as_str(), evidence),
        (demo::PHONE_MAIN, json!("network_ip"))
    );

    // The header names another subscriber (no IP session needed), with or without `+`.
    let swap = demo::PHONE_RECENT_SWAP;
    assert_eq!(line_of_code(&app, &[("x-msisdn", &swap[1..])]).await, swap);
    let (target, evidence) = latest_evidence(&app, "oauth.authorize").await;
    assert_eq!(
        (target.as_str(), evidence),
        (swap, json!("header_enrichment"))
    );
    assert_eq!(line_of_code(&app, &[("X-MSISDN", swap)]).await, swap);

    // The header wins over X-Forwarded-For (whose address is another line's session).
    add_session(&app, "10.0.0.4", demo::PHONE_DENIED).await;
    let both = [("x-msisdn", swap), ("x-forwarded-for", "10.0.0.4")];
    assert_eq!(line_of_code(&app, &both).await, swap);

    // A number that is no subscriber of the tenant: as an unknown address.
    let (_, loc) = authorize(&app, &[], &[("x-msisdn", NOT_A_SUBSCRIBER)]).await;
    assert_eq!(error_of(&loc).as_deref(), Some("access_denied"), "{loc}");
    let (_, loc) = authorize(
        &app,
        &[("prompt", "none")],
        &[("x-msisdn", NOT_A_SUBSCRIBER)],
    )
    .await;
    assert_eq!(error_of(&loc).as_deref(), Some("login_required"), "{loc}");
    // Another tenant's subscriber is no subscriber of this one.
    let other = tid("other");
    app.state
        .store
        .create_tenant(&Tenant {
            id: other.clone(),
            name: "Other".into(),
            status: TenantStatus::Active,
            created_at: chrono::Utc::now(),
        })
        .await
        .unwrap();
    app.state
        .store
        .upsert_subscriber(&Subscriber {
            tenant: other,
            msisdn: PhoneNumber::parse(NOT_A_SUBSCRIBER).unwrap(),
            id: SubscriberId::parse("sub-other-1").unwrap(),
            sim_activated_at: chrono::Utc::now(),
            imsi: None,
        })
        .await
        .unwrap();
    let (_, loc) = authorize(&app, &[], &[("x-msisdn", NOT_A_SUBSCRIBER)]).await;
    assert_eq!(error_of(&loc).as_deref(), Some("access_denied"), "{loc}");

    // Malformed or repeated values are ignored: the address decides.
    assert_eq!(
        line_of_code(&app, &[("x-msisdn", "not-a-number")]).await,
        demo::PHONE_MAIN
    );
    let (_, loc) = authorize(
        &app,
        &[],
        &[
            ("x-msisdn", "not-a-number"),
            ("x-forwarded-for", "10.7.7.7"),
        ],
    )
    .await;
    assert_eq!(error_of(&loc).as_deref(), Some("access_denied"), "{loc}");
    let req = app
        .http
        .get(app.url("/authorize"))
        .query(&auth_query(&[]))
        .header("x-msisdn", swap)
        .header("x-msisdn", demo::PHONE_DENIED);
    let (_, loc, _) = send(req, &[]).await;
    let code = query_of(&loc).get("code").cloned().unwrap();
    let r = exchange(&app, &demo_basic(), &code, &[]).await;
    assert_eq!(
        subscriber_of(&app, r.body["access_token"].as_str().unwrap()).as_deref(),
        Some(demo::PHONE_MAIN)
    );
}

#[tokio::test]
async fn the_header_from_an_untrusted_peer_is_ignored() {
    let app = enriched_app(false).await;
    // Not a trusted proxy: the loopback session decides whatever the header says.
    let swap = demo::PHONE_RECENT_SWAP;
    assert_eq!(
        line_of_code(&app, &[("x-msisdn", swap)]).await,
        demo::PHONE_MAIN
    );
    let (_, evidence) = latest_evidence(&app, "oauth.authorize").await;
    assert_eq!(evidence, json!("network_ip"));
    let (_, loc) = authorize(&app, &[], &[("x-msisdn", NOT_A_SUBSCRIBER)]).await;
    assert!(query_of(&loc).contains_key("code"), "{loc}");
    // The dashboard too: the loopback line's, not the header's.
    let req = app.http.get(app.url("/my/consents"));
    let (status, _, _) = send(req, &[("x-msisdn", NOT_A_SUBSCRIBER)]).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn consent_page_and_dashboard_honour_the_enrichment_header() {
    let app = enriched_app(true).await;
    let swap = demo::PHONE_RECENT_SWAP;
    let h: &[(&str, &str)] = &[("x-msisdn", swap)];
    // A consent-basis purpose: /authorize sends the enriched line to its consent page.
    let (status, path) = authorize(&app, &[("scope", QOS)], h).await;
    assert_eq!(status, 302);
    assert!(path.starts_with("/consent/capture?ref="), "{path}");
    // Only that line may see it: not the loopback address's line, not an unknown number.
    let (status, _, _) = send(app.http.get(app.url(&path)), &[]).await;
    assert_eq!(status, 403);
    let (status, _, _) = send(
        app.http.get(app.url(&path)),
        &[("x-msisdn", NOT_A_SUBSCRIBER)],
    )
    .await;
    assert_eq!(status, 403);
    let (status, _, html) = send(app.http.get(app.url(&path)), h).await;
    assert_eq!(status, 200, "{html}");
    let form = [
        ("ref", hidden(&html, "ref")),
        ("csrf", hidden(&html, "csrf")),
        ("decision", "allow".to_owned()),
    ];
    // The form's token is bound to the enriched line: without the header it is refused.
    let post = || app.http.post(app.url("/consent/capture")).form(&form);
    let (status, _, _) = send(post(), &[]).await;
    assert_eq!(status, 403);
    let (status, loc, _) = send(post(), h).await;
    assert_eq!(status, 303);
    let (target, evidence) = latest_evidence(&app, "consent.capture").await;
    assert_eq!(
        (target.as_str(), evidence),
        (swap, json!("header_enrichment"))
    );
    // The replayed /authorize runs with the same evidence: a code for the enriched line.
    let code = query_of(&loc).get("code").cloned().unwrap();
    let r = exchange(&app, &demo_basic(), &code, &[]).await;
    assert_eq!(
        subscriber_of(&app, r.body["access_token"].as_str().unwrap()).as_deref(),
        Some(swap)
    );

    // The dashboard of the enriched line shows the grant; the loopback line's does not.
    let (status, _, dash) = send(app.http.get(app.url("/my/consents")), h).await;
    assert_eq!(status, 200);
    assert!(dash.contains("dpv:RequestedServiceProvision"), "{dash}");
    assert!(dash.contains(">Granted<"), "{dash}");
    let (_, _, mine) = send(app.http.get(app.url("/my/consents")), &[]).await;
    assert!(!mine.contains("dpv:RequestedServiceProvision"), "{mine}");
    let (status, _, _) = send(
        app.http.get(app.url("/my/consents")),
        &[("x-msisdn", NOT_A_SUBSCRIBER)],
    )
    .await;
    assert_eq!(status, 403);
    // Revoking from the dashboard works for the enriched line, and is audited so.
    let revoke = [
        ("client_id", demo::CLIENT_ID.to_owned()),
        ("purpose", "dpv:RequestedServiceProvision".to_owned()),
        ("csrf", hidden(&dash, "csrf")),
    ];
    let (status, _, _) = send(
        app.http.post(app.url("/my/consents/revoke")).form(&revoke),
        h,
    )
    .await;
    assert_eq!(status, 303);
    let (target, evidence) = latest_evidence(&app, "consent.revoke").await;
    assert_eq!(
        (target.as_str(), evidence),
        (swap, json!("header_enrichment"))
    );
}
