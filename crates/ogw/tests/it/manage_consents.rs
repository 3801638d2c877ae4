//! The Consents API over HTTP: the check answers exactly as `ogw_core::consent::decide`
//! (the authorization server's rule), and grant/deny/revoke, lists and history.
use chrono::{Duration, Utc};
use ogw_core::consent::{decide, purpose_rule, PURPOSES};
use ogw_core::domain::{ClientId, PhoneNumber, Purpose, TenantId};
use serde_json::{json, Value};

use crate::common::*;
use crate::manage_kit::*;

const PHONES: &[&str] = &[
    "+34629255833",
    "+34600000002",
    "+34600000003",
    "+34600000004",
];

async fn check(app: &TestApp, t: &str, phone: &str, purpose: &str) -> Value {
    let r = post(
        app,
        "/v1/tenants/demo/consents/check",
        t,
        json!({"phoneNumber": phone, "clientId": "demo-client", "purpose": purpose}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body
}

/// The API's answer equals `decide` on the stored consent, field by field.
async fn assert_parity(app: &TestApp, t: &str) {
    let demo = TenantId::parse("demo").unwrap();
    let client = ClientId::parse("demo-client").unwrap();
    for phone in PHONES {
        for rule in PURPOSES {
            let body = check(app, t, phone, rule.purpose).await;
            let stored = app
                .state
                .store
                .get_consent(
                    &demo,
                    &PhoneNumber::parse(phone).unwrap(),
                    &client,
                    &Purpose::parse(rule.purpose).unwrap(),
                )
                .await
                .unwrap();
            let expected = decide(rule, stored.as_ref(), Utc::now());
            let expected_json = serde_json::to_value(&expected).unwrap();
            assert_eq!(
                body["granted"], expected.granted,
                "{phone} {}",
                rule.purpose
            );
            assert_eq!(body["legalBasis"], expected_json["legalBasis"]);
            assert_eq!(body["status"], expected_json["outcome"]);
            assert_eq!(body["reason"], expected.reason);
            assert_eq!(
                body.get("expiresAt").cloned().unwrap_or(Value::Null),
                expected_json["expiresAt"]
            );
        }
    }
}

#[tokio::test]
async fn check_answers_as_the_authorization_server() {
    let app = spawn_app().await;
    let t = operator(&app).await;
    // The demo data: legitimate interest allowed except for the objecting subscriber;
    // consent-based purposes pending except where denied.
    let b = check(&app, &t, "+34629255833", "dpv:FraudPreventionAndDetection").await;
    assert_eq!(b["granted"], true);
    assert_eq!(b["legalBasis"], "legitimate_interest");
    assert_eq!(b["status"], "ALLOWED");
    let b = check(&app, &t, "+34600000004", "dpv:FraudPreventionAndDetection").await;
    assert_eq!(
        (b["granted"].clone(), b["status"].clone()),
        (json!(false), json!("OBJECTED"))
    );
    assert_eq!(b["consentStatus"], "denied");
    let b = check(&app, &t, "+34629255833", "dpv:RequestedServiceProvision").await;
    assert_eq!(
        (b["granted"].clone(), b["status"].clone()),
        (json!(false), json!("PENDING"))
    );
    assert_parity(&app, &t).await;

    // Grant with an expiry, deny, revoke: parity holds after each change.
    let until = (Utc::now() + Duration::days(30)).to_rfc3339();
    let r = post(
        &app,
        "/v1/tenants/demo/consents",
        &t,
        json!({"phoneNumber": "+34629255833", "clientId": "demo-client",
               "purpose": "dpv:RequestedServiceProvision", "status": "granted",
               "expiresAt": until, "reason": "accepted in the operator app"}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(
        r.header("location"),
        Some("/v1/tenants/demo/consents/+34629255833/demo-client/dpv:RequestedServiceProvision")
    );
    assert_eq!(
        r.body["scopes"],
        json!(["qos-profiles:read", "consent-info:retrieve"])
    );
    let b = check(&app, &t, "+34629255833", "dpv:RequestedServiceProvision").await;
    assert_eq!(b["granted"], true);
    assert!(b["expiresAt"].is_string());
    assert_parity(&app, &t).await;

    let r = post(
        &app,
        "/v1/tenants/demo/consents",
        &t,
        json!({"phoneNumber": "+34629255833", "clientId": "demo-client",
               "purpose": "dpv:RequestedServiceProvision", "status": "revoked"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let b = check(&app, &t, "+34629255833", "dpv:RequestedServiceProvision").await;
    assert_eq!(
        (b["granted"].clone(), b["reason"].clone()),
        (json!(false), json!("consent revoked"))
    );
    assert_parity(&app, &t).await;

    // Objecting to a legitimate-interest purpose.
    post(
        &app,
        "/v1/tenants/demo/consents",
        &t,
        json!({"phoneNumber": "+34600000002", "clientId": "demo-client",
               "purpose": "dpv:FraudPreventionAndDetection", "status": "denied"}),
    )
    .await;
    assert_parity(&app, &t).await;

    // Every check is an audited decision.
    let r = get(
        &app,
        "/v1/tenants/demo/audit?action=consent.decision&limit=1",
        &t,
    )
    .await;
    let e = &r.body["items"][0];
    assert_eq!(e["actor"], "demo-client");
    assert_eq!(e["detail"]["context"], "manage.consents.check");
    assert!(r.body["nextCursor"].is_string());
}

#[tokio::test]
async fn check_is_validated() {
    let app = spawn_app().await;
    let t = operator(&app).await;
    let path = "/v1/tenants/demo/consents/check";
    let req = |phone: &str, client: &str, purpose: &str, scope: &str| json!({"phoneNumber": phone, "clientId": client, "purpose": purpose, "scope": scope});
    let ok = post(
        &app,
        path,
        &t,
        req(
            "+34629255833",
            "demo-client",
            "dpv:FraudPreventionAndDetection",
            "sim-swap:check",
        ),
    )
    .await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    post(
        &app,
        path,
        &t,
        req(
            "34629255833",
            "demo-client",
            "dpv:FraudPreventionAndDetection",
            "",
        ),
    )
    .await
    .assert_error(400, "INVALID_ARGUMENT");
    post(
        &app,
        path,
        &t,
        req(
            "+34699999999",
            "demo-client",
            "dpv:FraudPreventionAndDetection",
            "",
        ),
    )
    .await
    .assert_error(404, "NOT_FOUND");
    post(
        &app,
        path,
        &t,
        req(
            "+34629255833",
            "nope",
            "dpv:FraudPreventionAndDetection",
            "",
        ),
    )
    .await
    .assert_error(404, "NOT_FOUND");
    post(
        &app,
        path,
        &t,
        req(
            "+34629255833",
            "demo-client",
            "dpv:FraudPreventionAndDetection",
            "qos-profiles:read",
        ),
    )
    .await
    .assert_error(422, "SCOPE_NOT_ALLOWED_FOR_PURPOSE");
    // An unknown purpose is decided (denied) exactly as at the AS.
    let b = post(
        &app,
        path,
        &t,
        req("+34629255833", "demo-client", "dpv:Marketing", ""),
    )
    .await;
    assert_eq!(b.status, 200);
    assert_eq!(b.body["granted"], false);
    assert_eq!(b.body["reason"], "purpose not recognised by this operator");
    assert!(purpose_rule("dpv:Marketing").is_none());
}

#[tokio::test]
async fn grant_deny_revoke_list_and_history() {
    let app = spawn_app().await;
    let t = operator(&app).await;
    let base = "/v1/tenants/demo/consents";
    let write = |status: &str| {
        json!({"phoneNumber": "+34600000003", "clientId": "demo-app-id",
               "purpose": "dpv:ServiceProvision", "status": status})
    };
    // Revoking what was never granted is a conflict.
    post(&app, base, &t, write("revoked"))
        .await
        .assert_error(409, "CONFLICT");
    assert_eq!(post(&app, base, &t, write("granted")).await.status, 201);
    assert_eq!(post(&app, base, &t, write("revoked")).await.status, 200);
    post(&app, base, &t, write("revoked"))
        .await
        .assert_error(409, "CONFLICT");
    assert_eq!(post(&app, base, &t, write("denied")).await.status, 200);
    post(&app, base, &t, write("requested"))
        .await
        .assert_error(422, "INVALID_STATUS");
    post(&app, base, &t, write("maybe"))
        .await
        .assert_error(400, "INVALID_ARGUMENT");

    let mut w = write("denied");
    w["expiresAt"] = json!((Utc::now() + Duration::days(1)).to_rfc3339());
    post(&app, base, &t, w)
        .await
        .assert_error(422, "INVALID_EXPIRY");
    let mut w = write("granted");
    w["expiresAt"] = json!((Utc::now() - Duration::days(1)).to_rfc3339());
    post(&app, base, &t, w)
        .await
        .assert_error(422, "INVALID_EXPIRY");
    let mut w = write("granted");
    w["purpose"] = json!("dpv:Marketing");
    post(&app, base, &t, w)
        .await
        .assert_error(422, "UNKNOWN_PURPOSE");
    let mut w = write("granted");
    w["scopes"] = json!(["sim-swap:check"]);
    post(&app, base, &t, w)
        .await
        .assert_error(422, "SCOPE_NOT_ALLOWED_FOR_PURPOSE");
    let mut w = write("granted");
    w["phoneNumber"] = json!("+34699999999");
    post(&app, base, &t, w).await.assert_error(404, "NOT_FOUND");

    // The record, and its history oldest first.
    let r = get(
        &app,
        "/v1/tenants/demo/consents/+34600000003/demo-app-id/dpv:ServiceProvision",
        &t,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["status"], "denied");
    assert_eq!(r.body["legalBasis"], "consent");
    get(
        &app,
        "/v1/tenants/demo/consents/+34600000003/demo-client/dpv:ServiceProvision",
        &t,
    )
    .await
    .assert_error(404, "NOT_FOUND");
    let history = all_pages(
        &app,
        "/v1/tenants/demo/consents/history?phoneNumber=%2B34600000003&clientId=demo-app-id&purpose=dpv:ServiceProvision",
        &t,
        2,
    )
    .await;
    let statuses: Vec<_> = history
        .iter()
        .map(|e| e["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["granted", "revoked", "denied"]);
    assert!(history.iter().all(|e| e["actor"] == "ops-admin"));
    get(
        &app,
        "/v1/tenants/demo/consents/history?phoneNumber=%2B34600000003",
        &t,
    )
    .await
    .assert_error(400, "INVALID_ARGUMENT");

    // Lists by subscriber, by application, by both.
    let by_phone = all_pages(
        &app,
        "/v1/tenants/demo/consents?phoneNumber=%2B34600000004",
        &t,
        2,
    )
    .await;
    assert_eq!(by_phone.len(), PURPOSES.len());
    assert!(by_phone.iter().all(|c| c["status"] == "denied"));
    let by_client = all_pages(
        &app,
        "/v1/tenants/demo/consents?clientId=demo-app-id",
        &t,
        50,
    )
    .await;
    assert_eq!(by_client.len(), 1);
    let both = get(
        &app,
        "/v1/tenants/demo/consents?phoneNumber=%2B34600000004&clientId=demo-app-id",
        &t,
    )
    .await;
    assert_eq!(both.body["items"], json!([]));
    get(&app, base, &t)
        .await
        .assert_error(400, "INVALID_ARGUMENT");

    // Each write is audited with the state before and after.
    let r = get(
        &app,
        "/v1/tenants/demo/audit?action=consent.deny&limit=1",
        &t,
    )
    .await;
    let e = &r.body["items"][0];
    assert_eq!(
        e["target"],
        "consent:+34600000003/demo-app-id/dpv:ServiceProvision"
    );
    assert_eq!(e["detail"]["before"]["status"], "revoked");
    assert_eq!(e["detail"]["after"]["status"], "denied");
}
