//! QoS Profiles 1.1.0: one test per Gherkin scenario of
//! `camara/features/qos-profiles/qos-profiles-{getQosProfile,retrieveQoSProfiles}.feature`.
//! The demo seeds QOS_E/S/M/L, all available to the main line; the scenarios about
//! restricted profiles add `QOS_VIP`, restricted and available to the main line only.
//! The QoS purposes rest on consent, so device-specific calls first get a granted consent.
use ogw_core::domain::ConsentStatus;
use ogw_core::store::QosProfileRecord;
use serde_json::json;

use crate::camara_kit::*;
use crate::common::*;
use crate::tokens::*;

const SCOPE: &str = "qos-profiles:read";
const DEMO_PROFILES: [&str; 4] = ["QOS_E", "QOS_L", "QOS_M", "QOS_S"];

fn names(v: &serde_json::Value) -> Vec<&str> {
    let mut n: Vec<&str> = v
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    n.sort_unstable();
    n
}

/// The `QosProfile` schema's shape: required name and status, ranges of the numbers.
fn assert_qos_profile(p: &serde_json::Value) {
    let name = p["name"].as_str().unwrap();
    assert!((3..=256).contains(&name.len()));
    assert!(["ACTIVE", "INACTIVE", "DEPRECATED"].contains(&p["status"].as_str().unwrap()));
    for (k, v) in p.as_object().unwrap() {
        assert!(!k.starts_with("x-ogw-"), "private key served: {k}");
        if k.ends_with("Rate") && k != "packetErrorLossRate" {
            let value = v["value"].as_i64().unwrap();
            assert!((0..=1024).contains(&value), "{k}: {v}");
            assert!(["bps", "kbps", "Mbps", "Gbps", "Tbps"].contains(&v["unit"].as_str().unwrap()));
        }
    }
    if let Some(pr) = p.get("priority") {
        assert!((1..=100).contains(&pr.as_i64().unwrap()));
    }
}

async fn grant_service(app: &TestApp, line: &str) {
    set_consent(app, line, SERVICE, ConsentStatus::Granted, None).await;
}

/// A 3-legged token for QoS: purpose service provision (consent basis), consent granted.
async fn token3_qos(app: &TestApp, line: &str) -> String {
    grant_service(app, line).await;
    let mut c = claims3(app, SCOPE, line).await;
    c.purpose = Some(SERVICE.into());
    sign(app, &c)
}

async fn add_restricted_profile(app: &TestApp) {
    let store = &app.state.store;
    store
        .upsert_qos_profile(&QosProfileRecord {
            tenant: tenant(),
            name: "QOS_VIP".into(),
            status: "ACTIVE".into(),
            body: json!({
                "name": "QOS_VIP", "status": "ACTIVE", "x-ogw-restricted": true,
                "description": "Reserved for enterprise lines.",
                "maxDownstreamRate": {"value": 100, "unit": "Mbps"}, "priority": 5
            }),
        })
        .await
        .unwrap();
    store
        .set_qos_availability(&tenant(), "QOS_VIP", &phone(MAIN), true)
        .await
        .unwrap();
}

mod get_qos_profile {
    use super::*;

    fn path(name: &str) -> String {
        format!("/qos-profiles/v1/qos-profiles/{name}")
    }

    #[tokio::test]
    async fn qos_profiles_get_qos_profile_01_generic_success_scenario() {
        let app = spawn_app().await;
        let t = token2(&app, SCOPE);
        for name in DEMO_PROFILES {
            let res = get(&app, &path(name), Some(&t)).await;
            let p = res.assert_ok();
            assert_qos_profile(p);
            assert_eq!(p["name"], name);
        }
        // 3-legged: only if available to the token's line.
        let t3 = token3_qos(&app, MAIN).await;
        assert_eq!(
            get(&app, &path("QOS_E"), Some(&t3)).await.assert_ok()["name"],
            "QOS_E"
        );
        let t3 = token3_qos(&app, NEVER_SWAPPED).await;
        get(&app, &path("QOS_E"), Some(&t3))
            .await
            .assert_error(404, "NOT_FOUND");
    }

    #[tokio::test]
    async fn qos_profiles_get_qos_profile_400_1_name_does_not_match_regex() {
        let app = spawn_app().await;
        let t = token2(&app, SCOPE);
        for bad in ["QOS%20E", "QOS$E", "qos%2Fe", "%C3%A9t%C3%A9"] {
            get(&app, &path(bad), Some(&t))
                .await
                .assert_error(400, "INVALID_ARGUMENT");
        }
    }

    #[tokio::test]
    async fn qos_profiles_get_qos_profile_400_2_invalid_name_length() {
        let app = spawn_app().await;
        let t = token2(&app, SCOPE);
        for bad in ["ab".to_owned(), "a".repeat(257)] {
            get(&app, &path(&bad), Some(&t))
                .await
                .assert_error(400, "INVALID_ARGUMENT");
        }
    }

    #[tokio::test]
    async fn qos_profiles_get_qos_profile_401_1_no_authorization_header() {
        let app = spawn_app().await;
        get(&app, &path("QOS_E"), None)
            .await
            .assert_error(401, "UNAUTHENTICATED");
    }

    #[tokio::test]
    async fn qos_profiles_get_qos_profile_401_2_expired_access_token() {
        let app = spawn_app().await;
        let t = expired_token(&app, SCOPE);
        get(&app, &path("QOS_E"), Some(&t))
            .await
            .assert_error(401, "UNAUTHENTICATED");
    }

    #[tokio::test]
    async fn qos_profiles_get_qos_profile_401_3_invalid_access_token() {
        let app = spawn_app().await;
        let t = invalid_token(&app, SCOPE);
        get(&app, &path("QOS_E"), Some(&t))
            .await
            .assert_error(401, "UNAUTHENTICATED");
    }

    #[tokio::test]
    async fn qos_profiles_get_qos_profile_403_1_missing_access_token_scope() {
        let app = spawn_app().await;
        let t = token2(&app, "sim-swap:check");
        get(&app, &path("QOS_E"), Some(&t))
            .await
            .assert_error(403, "PERMISSION_DENIED");
    }

    #[tokio::test]
    async fn qos_profiles_get_qos_profile_404_1_not_found() {
        let app = spawn_app().await;
        let t = token2(&app, SCOPE);
        get(&app, &path("QOS_Xyz-1.2_q"), Some(&t))
            .await
            .assert_error(404, "NOT_FOUND");
    }
}

mod retrieve_qos_profiles {
    use super::*;

    const PATH: &str = "/qos-profiles/v1/retrieve-qos-profiles";

    async fn retrieve(app: &TestApp, body: serde_json::Value) -> Res {
        post(app, PATH, Some(&token2(app, SCOPE)), body).await
    }

    #[tokio::test]
    async fn qos_profiles_retrieve_qos_profiles_01_generic_success_scenario() {
        let app = spawn_app().await;
        grant_service(&app, MAIN).await;
        for body in [
            json!({}),
            json!({"device": {"phoneNumber": MAIN}, "name": "QOS_M", "status": "ACTIVE"}),
        ] {
            let res = retrieve(&app, body).await;
            for p in res.assert_ok().as_array().unwrap() {
                assert_qos_profile(p);
            }
        }
    }

    #[tokio::test]
    async fn qos_profiles_retrieve_qos_profiles_02_filter_by_name_only() {
        let app = spawn_app().await;
        let res = retrieve(&app, json!({"name": "QOS_S"})).await;
        let body = res.assert_ok();
        assert_eq!(names(body), ["QOS_S"]);
        assert_qos_profile(&body[0]);
    }

    #[tokio::test]
    async fn qos_profiles_retrieve_qos_profiles_03_filter_by_status_only() {
        let app = spawn_app().await;
        app.state
            .store
            .upsert_qos_profile(&QosProfileRecord {
                tenant: tenant(),
                name: "QOS_OLD".into(),
                status: "DEPRECATED".into(),
                body: json!({"name": "QOS_OLD", "status": "DEPRECATED"}),
            })
            .await
            .unwrap();
        for (status, expected) in [
            ("ACTIVE", DEMO_PROFILES.to_vec()),
            ("INACTIVE", vec![]),
            ("DEPRECATED", vec!["QOS_OLD"]),
        ] {
            let res = retrieve(&app, json!({"status": status})).await;
            let body = res.assert_ok();
            assert_eq!(names(body), expected, "{status}");
            for p in body.as_array().unwrap() {
                assert_eq!(p["status"], status);
                assert_qos_profile(p);
            }
        }
    }

    #[tokio::test]
    async fn qos_profiles_retrieve_qos_profiles_04_return_restricted_profiles() {
        let app = spawn_app().await;
        add_restricted_profile(&app).await;
        grant_service(&app, MAIN).await;
        let res = retrieve(&app, json!({"device": {"phoneNumber": MAIN}})).await;
        assert_eq!(
            names(res.assert_ok()),
            ["QOS_E", "QOS_L", "QOS_M", "QOS_S", "QOS_VIP"]
        );
        // The same line identified by the access token.
        let t3 = token3_qos(&app, MAIN).await;
        let res = post(&app, PATH, Some(&t3), json!({})).await;
        assert!(names(res.assert_ok()).contains(&"QOS_VIP"));
        // And by its IP session (the demo's main line holds 127.0.0.1).
        let by_ip =
            json!({"device": {"ipv4Address": {"publicAddress": "127.0.0.1", "publicPort": 40000}}});
        assert!(names(retrieve(&app, by_ip).await.assert_ok()).contains(&"QOS_VIP"));
    }

    #[tokio::test]
    async fn qos_profiles_retrieve_qos_profiles_05_not_return_restricted_profiles() {
        let app = spawn_app().await;
        add_restricted_profile(&app).await;
        let res = retrieve(&app, json!({})).await;
        assert_eq!(names(res.assert_ok()), DEMO_PROFILES);
        let res = retrieve(&app, json!({"name": "QOS_VIP"})).await;
        assert_eq!(res.assert_ok(), &json!([]));
        get(
            &app,
            "/qos-profiles/v1/qos-profiles/QOS_VIP",
            Some(&token2(&app, SCOPE)),
        )
        .await
        .assert_error(404, "NOT_FOUND");
    }

    #[tokio::test]
    async fn qos_profiles_retrieve_qos_profiles_06_device_qos_profiles_not_found() {
        let app = spawn_app().await;
        grant_service(&app, NEVER_SWAPPED).await;
        let res = retrieve(&app, json!({"device": {"phoneNumber": NEVER_SWAPPED}})).await;
        assert_eq!(res.assert_ok(), &json!([]));
    }

    #[tokio::test]
    async fn qos_profiles_retrieve_qos_profiles_c01_01_device_empty() {
        let app = spawn_app().await;
        retrieve(&app, json!({"device": {}}))
            .await
            .assert_error(400, "INVALID_ARGUMENT");
    }

    #[tokio::test]
    async fn qos_profiles_retrieve_qos_profiles_c01_02_device_identifiers_not_schema_compliant() {
        let app = spawn_app().await;
        for device in [
            json!({"phoneNumber": "0034629255833"}),
            json!({"ipv4Address": {"publicAddress": "300.1.1.1", "publicPort": 1}}),
            json!({"ipv4Address": {"publicAddress": "203.0.113.1"}}),
            json!({"ipv4Address": {"publicAddress": "203.0.113.1", "publicPort": 70000}}),
            json!({"ipv6Address": "2001:db8::g"}),
            json!({"networkAccessIdentifier": 12345}),
        ] {
            retrieve(&app, json!({"device": device}))
                .await
                .assert_error(400, "INVALID_ARGUMENT");
        }
    }

    #[tokio::test]
    async fn qos_profiles_retrieve_qos_profiles_c01_03_device_not_found() {
        let app = spawn_app().await;
        for device in [
            json!({"phoneNumber": UNKNOWN}),
            json!({"ipv4Address": {"publicAddress": "203.0.113.9", "privateAddress": "10.9.9.9"}}),
            json!({"ipv6Address": "2001:db8::99"}),
        ] {
            retrieve(&app, json!({"device": device}))
                .await
                .assert_error(404, "IDENTIFIER_NOT_FOUND");
        }
    }

    /// In both identifier policies (the seed's rule for QoS; DECISIONS 2).
    #[tokio::test]
    async fn qos_profiles_retrieve_qos_profiles_c01_04_unnecessary_device() {
        let app = spawn_app().await;
        let t3 = token3_qos(&app, MAIN).await;
        post(
            &app,
            PATH,
            Some(&t3),
            json!({"device": {"phoneNumber": MAIN}}),
        )
        .await
        .assert_error(422, "UNNECESSARY_IDENTIFIER");
    }

    #[tokio::test]
    async fn qos_profiles_retrieve_qos_profiles_c01_06_unsupported_device() {
        let app = spawn_app().await;
        retrieve(
            &app,
            json!({"device": {"networkAccessIdentifier": "123456789@domain.com"}}),
        )
        .await
        .assert_error(422, "UNSUPPORTED_IDENTIFIER");
    }

    #[tokio::test]
    async fn qos_profiles_retrieve_qos_profiles_c01_07_device_not_supported() {
        let app = spawn_app().await;
        foreign_line(&app).await;
        retrieve(&app, json!({"device": {"phoneNumber": FOREIGN}}))
            .await
            .assert_error(422, "SERVICE_NOT_APPLICABLE");
    }

    #[tokio::test]
    async fn qos_profiles_retrieve_qos_profiles_400_1_schema_not_compliant() {
        let app = spawn_app().await;
        for body in [
            json!({"status": "RETIRED"}),
            json!({"name": 7}),
            json!({"name": "a b"}),
            json!({"device": "+34629255833"}),
            json!([]),
        ] {
            retrieve(&app, body)
                .await
                .assert_error(400, "INVALID_ARGUMENT");
        }
        let t = token2(&app, SCOPE);
        post_raw(&app, PATH, Some(&t), Some("{\"name\": "))
            .await
            .assert_error(400, "INVALID_ARGUMENT");
    }

    #[tokio::test]
    async fn qos_profiles_retrieve_qos_profiles_400_2_no_request_body() {
        let app = spawn_app().await;
        let t = token2(&app, SCOPE);
        post_raw(&app, PATH, Some(&t), None)
            .await
            .assert_error(400, "INVALID_ARGUMENT");
    }

    #[tokio::test]
    async fn qos_profiles_retrieve_qos_profiles_401_1_no_authorization_header() {
        let app = spawn_app().await;
        post(&app, PATH, None, json!({}))
            .await
            .assert_error(401, "UNAUTHENTICATED");
    }

    #[tokio::test]
    async fn qos_profiles_retrieve_qos_profiles_401_2_expired_access_token() {
        let app = spawn_app().await;
        let t = expired_token(&app, SCOPE);
        post(&app, PATH, Some(&t), json!({}))
            .await
            .assert_error(401, "UNAUTHENTICATED");
    }

    #[tokio::test]
    async fn qos_profiles_retrieve_qos_profiles_401_3_invalid_access_token() {
        let app = spawn_app().await;
        let t = invalid_token(&app, SCOPE);
        post(&app, PATH, Some(&t), json!({}))
            .await
            .assert_error(401, "UNAUTHENTICATED");
    }

    #[tokio::test]
    async fn qos_profiles_retrieve_qos_profiles_403_1_missing_access_token_scope() {
        let app = spawn_app().await;
        let t = token2(&app, "consent-info:retrieve");
        post(&app, PATH, Some(&t), json!({}))
            .await
            .assert_error(403, "PERMISSION_DENIED");
    }
}

/// A device filter is personal data: without a consent for a QoS purpose it is refused.
#[tokio::test]
async fn device_filter_without_consent_is_403() {
    let app = spawn_app().await;
    post(
        &app,
        "/qos-profiles/v1/retrieve-qos-profiles",
        Some(&token2(&app, SCOPE)),
        json!({"device": {"phoneNumber": MAIN}}),
    )
    .await
    .assert_error(403, "PERMISSION_DENIED");
}
