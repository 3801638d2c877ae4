//! SIM Swap 2.1.0: one test per Gherkin scenario of
//! `camara/features/sim-swap/sim-swap-{checkSimSwap,retrieveSimSwapDate}.feature`.
//! "Identified by the token or provided in the request body" runs both ways where it matters.
use serde_json::json;

use crate::camara_kit::*;
use crate::common::*;
use crate::tokens::*;

mod check_sim_swap {
    use super::*;

    const PATH: &str = "/sim-swap/v2/check";

    async fn check(app: &TestApp, body: serde_json::Value) -> Res {
        post(app, PATH, Some(&token2(app, "sim-swap:check")), body).await
    }

    async fn swapped(app: &TestApp, body: serde_json::Value) -> bool {
        let res = check(app, body).await;
        res.assert_ok()["swapped"].as_bool().unwrap()
    }

    #[tokio::test]
    async fn check_sim_swap_1_generic_success_scenario() {
        let app = spawn_app().await;
        let body = check(&app, json!({"phoneNumber": MAIN})).await;
        assert_keys(body.assert_ok(), &["swapped"]);
        let t3 = token3(&app, "sim-swap:check", MAIN).await;
        let res = post(&app, PATH, Some(&t3), json!({})).await;
        assert_keys(res.assert_ok(), &["swapped"]);
    }

    #[tokio::test]
    async fn check_sim_swap_2_valid_sim_swap_no_max_age() {
        let app = spawn_app().await;
        // The demo line changed SIM two hours before the seed.
        assert!(swapped(&app, json!({"phoneNumber": RECENT_SWAP})).await);
        let t3 = token3(&app, "sim-swap:check", RECENT_SWAP).await;
        let res = post(&app, PATH, Some(&t3), json!({})).await;
        assert_eq!(res.assert_ok()["swapped"], true);
    }

    #[tokio::test]
    async fn check_sim_swap_3_valid_sim_swap_max_age() {
        let app = spawn_app().await;
        for (i, hours) in [260, 120, 24, 12].into_iter().enumerate() {
            let line = format!("+3461000000{i}");
            line_swapped_hours_ago(&app, &line, hours).await;
            for max_age in [hours, hours + 1, 2400] {
                assert!(
                    swapped(&app, json!({"phoneNumber": line, "maxAge": max_age})).await,
                    "swapped {hours}h ago, maxAge {max_age}"
                );
            }
        }
    }

    #[tokio::test]
    async fn check_sim_swap_4_more_than_240_hours() {
        let app = spawn_app().await;
        line_swapped_hours_ago(&app, "+34610000010", 241).await;
        assert!(!swapped(&app, json!({"phoneNumber": "+34610000010"})).await);
        // The demo's main line changed SIM in 2024.
        assert!(!swapped(&app, json!({"phoneNumber": MAIN})).await);
    }

    #[tokio::test]
    async fn check_sim_swap_5_out_of_max_age() {
        let app = spawn_app().await;
        line_swapped_hours_ago(&app, "+34610000011", 100).await;
        // 100 hours (minus a minute) since the swap: maxAge = 99 does not reach it.
        assert!(!swapped(&app, json!({"phoneNumber": "+34610000011", "maxAge": 99})).await);
    }

    #[tokio::test]
    async fn check_sim_swap_6_no_sim_swap_no_max_age() {
        let app = spawn_app().await;
        assert!(!swapped(&app, json!({"phoneNumber": NEVER_SWAPPED})).await);
        let t3 = token3(&app, "sim-swap:check", NEVER_SWAPPED).await;
        let res = post(&app, PATH, Some(&t3), json!({})).await;
        assert_eq!(res.assert_ok()["swapped"], false);
    }

    #[tokio::test]
    async fn check_sim_swap_7_no_sim_swap_with_max_age() {
        let app = spawn_app().await;
        let now = chrono::Utc::now();
        for (i, hours) in [260, 120, 24, 12].into_iter().enumerate() {
            let line = format!("+3462000000{i}");
            add_line(&app, &line, now - chrono::Duration::hours(hours), None).await;
            assert!(
                !swapped(&app, json!({"phoneNumber": line, "maxAge": hours - 1})).await,
                "activated {hours}h ago"
            );
        }
    }

    #[tokio::test]
    async fn check_sim_swap_401_1_no_authorization_header() {
        let app = spawn_app().await;
        post(&app, PATH, None, json!({"phoneNumber": MAIN}))
            .await
            .assert_error(401, "UNAUTHENTICATED");
    }

    #[tokio::test]
    async fn check_sim_swap_401_2_expired_access_token() {
        let app = spawn_app().await;
        let t = expired_token(&app, "sim-swap:check");
        post(&app, PATH, Some(&t), json!({"phoneNumber": MAIN}))
            .await
            .assert_error(401, "UNAUTHENTICATED");
    }

    #[tokio::test]
    async fn check_sim_swap_401_3_invalid_access_token() {
        let app = spawn_app().await;
        let t = invalid_token(&app, "sim-swap:check");
        post(&app, PATH, Some(&t), json!({"phoneNumber": MAIN}))
            .await
            .assert_error(401, "UNAUTHENTICATED");
    }

    #[tokio::test]
    async fn check_sim_swap_400_1_invalid_max_age() {
        let app = spawn_app().await;
        for bad in [
            json!("24"),
            json!(1.5),
            json!(0),
            json!(-1),
            json!(null),
            json!([24]),
        ] {
            let res = check(&app, json!({"phoneNumber": MAIN, "maxAge": bad})).await;
            if bad.is_null() {
                // null reads as "not given" (the default applies).
                res.assert_ok();
            } else {
                res.assert_error(400, "INVALID_ARGUMENT");
            }
        }
    }

    #[tokio::test]
    async fn check_sim_swap_400_2_invalid_max_age_value() {
        let app = spawn_app().await;
        let res = check(&app, json!({"phoneNumber": MAIN, "maxAge": 100000})).await;
        res.assert_error(400, "OUT_OF_RANGE");
        assert!(res.body["message"].as_str().unwrap().contains("2400"));
    }

    #[tokio::test]
    async fn check_sim_swap_400_3_max_age_out_of_monitored_period() {
        let app = spawn_app_with(|c| c.sim_swap_retention_days = Some(30)).await;
        let res = check(&app, json!({"phoneNumber": MAIN, "maxAge": 30 * 24 + 1})).await;
        res.assert_error(400, "OUT_OF_RANGE");
        assert!(res.body["message"]
            .as_str()
            .unwrap()
            .contains("local regulations (30 days)"));
        check(&app, json!({"phoneNumber": MAIN, "maxAge": 30 * 24}))
            .await
            .assert_ok();
    }

    #[tokio::test]
    async fn check_sim_swap_c02_01_phone_number_not_schema_compliant() {
        let app = spawn_app().await;
        for bad in [
            json!("34629255833"),
            json!("+0123"),
            json!(34629255833_i64),
            json!("+34 629"),
        ] {
            check(&app, json!({"phoneNumber": bad}))
                .await
                .assert_error(400, "INVALID_ARGUMENT");
        }
    }

    #[tokio::test]
    async fn check_sim_swap_c02_02_phone_number_not_found() {
        let app = spawn_app().await;
        check(&app, json!({"phoneNumber": UNKNOWN}))
            .await
            .assert_error(404, "IDENTIFIER_NOT_FOUND");
    }

    /// CAMARA 2.1.0 behaviour: runs with `identifier_policy = "strict"` (DECISIONS 2).
    #[tokio::test]
    async fn check_sim_swap_c02_03_unnecessary_phone_number() {
        let app =
            spawn_app_with(|c| c.identifier_policy = ogw_core::settings::IdentifierPolicy::Strict)
                .await;
        let t3 = token3(&app, "sim-swap:check", MAIN).await;
        post(&app, PATH, Some(&t3), json!({"phoneNumber": MAIN}))
            .await
            .assert_error(422, "UNNECESSARY_IDENTIFIER");
    }

    #[tokio::test]
    async fn check_sim_swap_c02_04_missing_phone_number() {
        let app = spawn_app().await;
        check(&app, json!({"maxAge": 24}))
            .await
            .assert_error(422, "MISSING_IDENTIFIER");
    }

    #[tokio::test]
    async fn check_sim_swap_c02_05_phone_number_not_supported() {
        let app = spawn_app().await;
        foreign_line(&app).await;
        check(&app, json!({"phoneNumber": FOREIGN}))
            .await
            .assert_error(422, "SERVICE_NOT_APPLICABLE");
    }
}

mod retrieve_sim_swap_date {
    use super::*;

    const PATH: &str = "/sim-swap/v2/retrieve-date";

    async fn retrieve(app: &TestApp, body: serde_json::Value) -> Res {
        post(
            app,
            PATH,
            Some(&token2(app, "sim-swap:retrieve-date")),
            body,
        )
        .await
    }

    #[tokio::test]
    async fn retrieve_sim_swap_date_1_generic_success_scenario() {
        let app = spawn_app().await;
        let res = retrieve(&app, json!({"phoneNumber": MAIN})).await;
        assert_keys(res.assert_ok(), &["latestSimChange"]);
        let t3 = token3(&app, "sim-swap:retrieve-date", MAIN).await;
        let res = post(&app, PATH, Some(&t3), json!({})).await;
        assert_keys(res.assert_ok(), &["latestSimChange"]);
    }

    #[tokio::test]
    async fn retrieve_sim_swap_date_2_valid_sim_swap() {
        let app = spawn_app().await;
        let res = retrieve(&app, json!({"phoneNumber": MAIN})).await;
        let body = res.assert_ok();
        assert_eq!(body["latestSimChange"], "2024-09-18T07:37:53.000Z");
        assert_eq!(
            parse_time(&body["latestSimChange"]).to_rfc3339(),
            "2024-09-18T07:37:53+00:00"
        );
        // The API-level scope grants it too.
        let t = token2(&app, "sim-swap");
        let res = post(&app, PATH, Some(&t), json!({"phoneNumber": RECENT_SWAP})).await;
        let at = parse_time(&res.assert_ok()["latestSimChange"]);
        assert!(chrono::Utc::now() - at < chrono::Duration::hours(3));
    }

    #[tokio::test]
    async fn retrieve_sim_swap_date_3_no_sim_swap_returns_activation_date() {
        let app = spawn_app().await;
        let res = retrieve(&app, json!({"phoneNumber": NEVER_SWAPPED})).await;
        assert_eq!(
            res.assert_ok()["latestSimChange"],
            "2023-01-10T09:00:00.000Z"
        );
    }

    #[tokio::test]
    #[ignore = "not applicable: every line of ours has a SIM, and its activation date answers (DECISIONS 8)"]
    async fn retrieve_sim_swap_date_4_sim_never_associated() {}

    #[tokio::test]
    async fn retrieve_sim_swap_date_5_no_sim_swap_or_activation_date_due_to_legal_constrain() {
        let app = spawn_app_with(|c| c.sim_swap_retention_days = Some(120)).await;
        let res = retrieve(&app, json!({"phoneNumber": MAIN})).await;
        assert_eq!(
            res.assert_ok(),
            &json!({"latestSimChange": null, "monitoredPeriod": 120})
        );
        // Inside the window the date is still answered.
        let res = retrieve(&app, json!({"phoneNumber": RECENT_SWAP})).await;
        assert!(res.assert_ok()["latestSimChange"].is_string());
        assert!(res.body.get("monitoredPeriod").is_none());
    }

    #[tokio::test]
    async fn retrieve_sim_swap_date_401_1_no_authorization_header() {
        let app = spawn_app().await;
        post(&app, PATH, None, json!({"phoneNumber": MAIN}))
            .await
            .assert_error(401, "UNAUTHENTICATED");
    }

    #[tokio::test]
    async fn retrieve_sim_swap_date_401_2_expired_access_token() {
        let app = spawn_app().await;
        let t = expired_token(&app, "sim-swap:retrieve-date");
        post(&app, PATH, Some(&t), json!({"phoneNumber": MAIN}))
            .await
            .assert_error(401, "UNAUTHENTICATED");
    }

    #[tokio::test]
    async fn retrieve_sim_swap_date_401_3_invalid_access_token() {
        let app = spawn_app().await;
        let t = invalid_token(&app, "sim-swap:retrieve-date");
        post(&app, PATH, Some(&t), json!({"phoneNumber": MAIN}))
            .await
            .assert_error(401, "UNAUTHENTICATED");
    }

    #[tokio::test]
    async fn retrieve_sim_swap_date_c02_01_phone_number_not_schema_compliant() {
        let app = spawn_app().await;
        retrieve(&app, json!({"phoneNumber": "+34-629-255-833"}))
            .await
            .assert_error(400, "INVALID_ARGUMENT");
    }

    #[tokio::test]
    async fn retrieve_sim_swap_date_c02_02_phone_number_not_found() {
        let app = spawn_app().await;
        retrieve(&app, json!({"phoneNumber": UNKNOWN}))
            .await
            .assert_error(404, "IDENTIFIER_NOT_FOUND");
    }

    /// CAMARA 2.1.0 behaviour: runs with `identifier_policy = "strict"` (DECISIONS 2).
    #[tokio::test]
    async fn retrieve_sim_swap_date_c02_03_unnecessary_phone_number() {
        let app =
            spawn_app_with(|c| c.identifier_policy = ogw_core::settings::IdentifierPolicy::Strict)
                .await;
        let t3 = token3(&app, "sim-swap:retrieve-date", MAIN).await;
        post(&app, PATH, Some(&t3), json!({"phoneNumber": MAIN}))
            .await
            .assert_error(422, "UNNECESSARY_IDENTIFIER");
    }

    #[tokio::test]
    async fn retrieve_sim_swap_date_c02_04_missing_phone_number() {
        let app = spawn_app().await;
        retrieve(&app, json!({}))
            .await
            .assert_error(422, "MISSING_IDENTIFIER");
    }

    #[tokio::test]
    async fn retrieve_sim_swap_date_c02_05_phone_number_not_supported() {
        let app = spawn_app().await;
        foreign_line(&app).await;
        retrieve(&app, json!({"phoneNumber": FOREIGN}))
            .await
            .assert_error(422, "SERVICE_NOT_APPLICABLE");
    }
}
