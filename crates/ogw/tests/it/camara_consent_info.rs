//! Consent Info 0.2.0: one test per Gherkin scenario of
//! `camara/features/consent-info/consent-info.feature` (its tag numbering restarts for the
//! specific 403 scenarios; the names still differ).
use chrono::{Duration, Utc};
use ogw_core::domain::ConsentStatus;
use serde_json::json;

use crate::camara_kit::*;
use crate::common::*;
use crate::tokens::*;

const PATH: &str = "/consent-info/v0.2/retrieve";
const SCOPE: &str = "consent-info:retrieve";

fn ask(phone: &str, scopes: &[&str], purpose: &str, capture: bool) -> serde_json::Value {
    json!({"phoneNumber": phone, "scopes": scopes, "purpose": purpose, "requestCaptureUrl": capture})
}

async fn retrieve(app: &TestApp, body: serde_json::Value) -> Res {
    post(app, PATH, Some(&token2(app, SCOPE)), body).await
}

/// `statusInfo[*]`: scopes a subset of the requested ones, the requested purpose.
fn status_items<'a>(res: &'a Res, scopes: &[&str], purpose: &str) -> &'a Vec<serde_json::Value> {
    let items = res.assert_ok()["statusInfo"].as_array().unwrap();
    assert!(!items.is_empty());
    for i in items {
        assert_eq!(i["purpose"], purpose);
        for s in i["scopes"].as_array().unwrap() {
            assert!(scopes.contains(&s.as_str().unwrap()), "{s}");
        }
        if i["statusValidForProcessing"] == false {
            assert!(
                i["statusReason"].is_string(),
                "reason required when false: {i}"
            );
        }
    }
    items
}

#[tokio::test]
async fn consent_info_retrieve_status_01_generic_success_scenario() {
    let app = spawn_app().await;
    let res = retrieve(&app, ask(MAIN, &["sim-swap:check"], FRAUD, true)).await;
    assert_keys(res.assert_ok(), &["statusInfo"]);
    status_items(&res, &["sim-swap:check"], FRAUD);
    // The same line identified by a 3-legged token.
    let t3 = token3(&app, SCOPE, MAIN).await;
    let body = json!({"scopes": ["sim-swap:check"], "purpose": FRAUD, "requestCaptureUrl": false});
    let res = post(&app, PATH, Some(&t3), body).await;
    assert_eq!(
        res.assert_ok()["statusInfo"][0]["statusValidForProcessing"],
        true
    );
}

#[tokio::test]
async fn consent_info_retrieve_status_02_valid_for_processing() {
    let app = spawn_app().await;
    let scopes = ["sim-swap:check", "sim-swap:retrieve-date"];
    let res = retrieve(&app, ask(MAIN, &scopes, FRAUD, false)).await;
    let items = status_items(&res, &scopes, FRAUD);
    assert!(items.iter().all(|i| i["statusValidForProcessing"] == true));
    assert!(res.body.get("captureUrl").is_none());
}

#[tokio::test]
async fn consent_info_retrieve_status_03_not_valid_for_processing() {
    let app = spawn_app().await;
    // The demo's objecting subscriber (legitimate interest → OBJECTED).
    let res = retrieve(&app, ask(DENIED, &["sim-swap:check"], FRAUD, true)).await;
    let items = status_items(&res, &["sim-swap:check"], FRAUD);
    assert_eq!(items[0]["statusValidForProcessing"], false);
    assert_eq!(items[0]["statusReason"], "OBJECTED");
    assert!(res.body.get("captureUrl").is_none());
    // A consent purpose nobody answered yet → PENDING.
    let res = retrieve(&app, ask(MAIN, &["qos-profiles:read"], SERVICE, false)).await;
    let items = status_items(&res, &["qos-profiles:read"], SERVICE);
    assert_eq!(items[0]["statusReason"], "PENDING");
    // Refused consent → DENIED.
    let res = retrieve(&app, ask(DENIED, &["qos-profiles:read"], SERVICE, true)).await;
    assert_eq!(res.assert_ok()["statusInfo"][0]["statusReason"], "DENIED");
}

#[tokio::test]
async fn consent_info_retrieve_status_04_valid_for_processing_expiration_date() {
    let app = spawn_app().await;
    let until = Utc::now() + Duration::days(90);
    set_consent(&app, MAIN, SERVICE, ConsentStatus::Granted, Some(until)).await;
    let res = retrieve(&app, ask(MAIN, &["qos-profiles:read"], SERVICE, true)).await;
    let items = status_items(&res, &["qos-profiles:read"], SERVICE);
    assert_eq!(items[0]["statusValidForProcessing"], true);
    assert!(parse_time(&items[0]["expirationDate"]) > Utc::now());
}

#[tokio::test]
async fn consent_info_retrieve_status_05_not_valid_for_processing_expiration_date() {
    let app = spawn_app().await;
    let until = Utc::now() - Duration::days(1);
    set_consent(&app, MAIN, SERVICE, ConsentStatus::Granted, Some(until)).await;
    let res = retrieve(&app, ask(MAIN, &["qos-profiles:read"], SERVICE, false)).await;
    let items = status_items(&res, &["qos-profiles:read"], SERVICE);
    assert_eq!(items[0]["statusValidForProcessing"], false);
    assert_eq!(items[0]["statusReason"], "EXPIRED");
    assert!(parse_time(&items[0]["expirationDate"]) < Utc::now());
}

#[tokio::test]
async fn consent_info_retrieve_status_06_capture_url() {
    let app = spawn_app().await;
    set_consent(&app, NEVER_SWAPPED, SERVICE, ConsentStatus::Requested, None).await;
    for (line, reason) in [(MAIN, "PENDING"), (NEVER_SWAPPED, "REQUESTED")] {
        let res = retrieve(&app, ask(line, &["qos-profiles:read"], SERVICE, true)).await;
        let items = status_items(&res, &["qos-profiles:read"], SERVICE);
        assert_eq!(items[0]["statusReason"], reason);
        let url = reqwest::Url::parse(res.body["captureUrl"].as_str().unwrap()).unwrap();
        assert!(
            url.as_str().starts_with(&format!(
                "{}/consent/capture?ref=",
                app.state.settings.issuer
            )),
            "{url}"
        );
        assert!(
            !url.as_str().contains(&line[1..]),
            "no phone number in clear"
        );
    }
}

/// Opens the captureUrl as the subscriber's device (loopback = the main demo line),
/// optionally with `state`, decides, and returns the callback redirect.
async fn capture_and_decide(app: &TestApp, decision: &str, state: Option<&str>) -> String {
    let mut body = ask(MAIN, &["qos-profiles:read"], SERVICE, true);
    body["callbackUrl"] = "https://consumer.example.com/consent-done?x=1".into();
    let res = retrieve(app, body).await;
    let url = res.assert_ok()["captureUrl"].as_str().unwrap().to_owned();
    let mut page_url = reqwest::Url::parse(&url).unwrap();
    if let Some(st) = state {
        page_url.query_pairs_mut().append_pair("state", st);
    }
    let html = app
        .http
        .get(page_url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let field = |name: &str| {
        let marker = format!("name=\"{name}\" value=\"");
        let start = html.find(&marker).map(|i| i + marker.len());
        start.map(|s| {
            html[s..s + html[s..].find('"').unwrap()]
                .replace("&quot;", "\"")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&#39;", "'")
                .replace("&amp;", "&")
        })
    };
    let mut form = vec![
        ("ref", field("ref").unwrap()),
        ("csrf", field("csrf").unwrap()),
        ("decision", decision.to_owned()),
    ];
    if let Some(st) = field("state") {
        form.push(("state", st));
    }
    let r = app
        .http
        .post(app.url("/consent/capture"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    r.headers()["location"].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn consent_info_retrieve_status_07_callback() {
    let app = spawn_app().await;
    let loc = capture_and_decide(&app, "allow", None).await;
    assert_eq!(
        loc,
        "https://consumer.example.com/consent-done?x=1&capture_result=granted"
    );
    // The capture took effect: the same question is now valid for processing.
    let res = retrieve(&app, ask(MAIN, &["qos-profiles:read"], SERVICE, false)).await;
    assert_eq!(
        res.assert_ok()["statusInfo"][0]["statusValidForProcessing"],
        true
    );
    let app = spawn_app().await;
    let loc = capture_and_decide(&app, "deny", None).await;
    assert!(loc.ends_with("&capture_result=denied"), "{loc}");
}

#[tokio::test]
async fn consent_info_retrieve_status_08_callback_state() {
    let app = spawn_app().await;
    let loc = capture_and_decide(&app, "allow", Some("st \"<x>\" 1")).await;
    let url = reqwest::Url::parse(&loc).unwrap();
    let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(q["capture_result"], "granted");
    assert_eq!(q["state"], "st \"<x>\" 1");
}

#[tokio::test]
async fn consent_info_retrieve_status_c02_01_phone_number_not_schema_compliant() {
    let app = spawn_app().await;
    retrieve(&app, ask("+34-629", &["sim-swap:check"], FRAUD, false))
        .await
        .assert_error(400, "INVALID_ARGUMENT");
}

#[tokio::test]
async fn consent_info_retrieve_status_c02_02_phone_number_not_found() {
    let app = spawn_app().await;
    retrieve(&app, ask(UNKNOWN, &["sim-swap:check"], FRAUD, false))
        .await
        .assert_error(404, "IDENTIFIER_NOT_FOUND");
}

/// CAMARA behaviour: runs with `identifier_policy = "strict"` (DECISIONS 2).
#[tokio::test]
async fn consent_info_retrieve_status_c02_03_unnecessary_phone_number() {
    let app =
        spawn_app_with(|c| c.identifier_policy = ogw_core::settings::IdentifierPolicy::Strict)
            .await;
    let t3 = token3(&app, SCOPE, MAIN).await;
    post(
        &app,
        PATH,
        Some(&t3),
        ask(MAIN, &["sim-swap:check"], FRAUD, false),
    )
    .await
    .assert_error(422, "UNNECESSARY_IDENTIFIER");
}

#[tokio::test]
async fn consent_info_retrieve_status_c02_04_missing_phone_number() {
    let app = spawn_app().await;
    let body = json!({"scopes": ["sim-swap:check"], "purpose": FRAUD, "requestCaptureUrl": false});
    retrieve(&app, body)
        .await
        .assert_error(422, "MISSING_IDENTIFIER");
}

#[tokio::test]
async fn consent_info_retrieve_status_c02_05_phone_number_not_supported() {
    let app = spawn_app().await;
    foreign_line(&app).await;
    retrieve(&app, ask(FOREIGN, &["sim-swap:check"], FRAUD, false))
        .await
        .assert_error(422, "SERVICE_NOT_APPLICABLE");
}

#[tokio::test]
async fn consent_info_retrieve_status_400_1_schema_not_compliant() {
    let app = spawn_app().await;
    let ok = ask(MAIN, &["sim-swap:check"], FRAUD, false);
    let mutations = [
        ("purpose", json!("FraudPreventionAndDetection")),
        ("purpose", json!("dpv:Fraud-Prevention")),
        ("scopes", json!("sim-swap:check")),
        ("scopes", json!([])),
        ("scopes", json!([1])),
        ("requestCaptureUrl", json!("yes")),
        ("phoneNumber", json!(34629255833_i64)),
    ];
    for (field, value) in mutations {
        let mut body = ok.clone();
        body[field] = value;
        retrieve(&app, body)
            .await
            .assert_error(400, "INVALID_ARGUMENT");
    }
    let mut body = ok.clone();
    body.as_object_mut().unwrap().remove("requestCaptureUrl");
    retrieve(&app, body)
        .await
        .assert_error(400, "INVALID_ARGUMENT");
}

#[tokio::test]
async fn consent_info_retrieve_status_400_2_no_request_body() {
    let app = spawn_app().await;
    post_raw(&app, PATH, Some(&token2(&app, SCOPE)), None)
        .await
        .assert_error(400, "INVALID_ARGUMENT");
}

#[tokio::test]
async fn consent_info_retrieve_status_400_3_empty_request_body() {
    let app = spawn_app().await;
    retrieve(&app, json!({}))
        .await
        .assert_error(400, "INVALID_ARGUMENT");
}

#[tokio::test]
async fn consent_info_retrieve_status_400_4_x_correlator_not_compliant() {
    let app = spawn_app().await;
    for bad in ["has space", "semi$colon", &"x".repeat(257)] {
        let res = app
            .http
            .post(app.url(PATH))
            .bearer_auth(token2(&app, SCOPE))
            .header("x-correlator", bad)
            .json(&ask(MAIN, &["sim-swap:check"], FRAUD, false))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400);
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["status"], 400);
        assert_eq!(body["code"], "INVALID_ARGUMENT");
        assert!(body["message"].as_str().unwrap().contains("x-correlator"));
    }
}

#[tokio::test]
async fn consent_info_retrieve_status_401_1_no_authorization_header() {
    let app = spawn_app().await;
    post(
        &app,
        PATH,
        None,
        ask(MAIN, &["sim-swap:check"], FRAUD, false),
    )
    .await
    .assert_error(401, "UNAUTHENTICATED");
}

#[tokio::test]
async fn consent_info_retrieve_status_401_2_expired_access_token() {
    let app = spawn_app().await;
    let t = expired_token(&app, SCOPE);
    post(
        &app,
        PATH,
        Some(&t),
        ask(MAIN, &["sim-swap:check"], FRAUD, false),
    )
    .await
    .assert_error(401, "UNAUTHENTICATED");
}

#[tokio::test]
async fn consent_info_retrieve_status_401_3_invalid_access_token() {
    let app = spawn_app().await;
    let t = invalid_token(&app, SCOPE);
    post(
        &app,
        PATH,
        Some(&t),
        ask(MAIN, &["sim-swap:check"], FRAUD, false),
    )
    .await
    .assert_error(401, "UNAUTHENTICATED");
}

#[tokio::test]
async fn consent_info_retrieve_status_403_1_invalid_token_permissions() {
    let app = spawn_app().await;
    let t = token2(&app, "sim-swap:check");
    post(
        &app,
        PATH,
        Some(&t),
        ask(MAIN, &["sim-swap:check"], FRAUD, false),
    )
    .await
    .assert_error(403, "PERMISSION_DENIED");
}

#[tokio::test]
async fn consent_info_retrieve_status_01_not_allowed_scopes_purpose() {
    let app = spawn_app().await;
    for (scopes, purpose) in [
        (vec!["qos-profiles:read"], FRAUD),
        (vec!["location-verification:verify"], FRAUD),
        (vec!["sim-swap:check"], "dpv:Marketing"),
    ] {
        retrieve(&app, ask(MAIN, &scopes, purpose, true))
            .await
            .assert_error(403, "CONSENT_INFO.NOT_ALLOWED_SCOPES_PURPOSE");
    }
}

#[tokio::test]
#[ignore = "not applicable: no capture frequency limit is configured (optional in the spec)"]
async fn consent_info_retrieve_status_02_capture_frequency_exceeded() {}

#[tokio::test]
async fn consent_info_retrieve_status_03_invalid_callback_url() {
    let app = spawn_app().await;
    for bad in [
        "http://consumer.example.com/cb",
        "javascript:alert(1)",
        "not a url",
        "https://consumer.example.com/cb#fragment",
    ] {
        let mut body = ask(MAIN, &["qos-profiles:read"], SERVICE, true);
        body["callbackUrl"] = bad.into();
        retrieve(&app, body)
            .await
            .assert_error(403, "CONSENT_INFO.INVALID_CALLBACK_URL");
    }
    let mut body = ask(MAIN, &["qos-profiles:read"], SERVICE, true);
    body["callbackUrl"] = "myapp://consent/callback".into();
    assert!(retrieve(&app, body).await.assert_ok()["captureUrl"].is_string());
}
