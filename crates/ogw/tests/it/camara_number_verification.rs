//! Number Verification 2.1.0: one test per Gherkin scenario of
//! `camara/features/number-verification/number-verification-{phoneNumberShare,phoneNumberVerify}.feature`
//! (the share feature reuses some `phone_number_verify_*` tags; the modules keep them apart),
//! plus the seed's rules for 2-legged tokens and SDK query parameters.
use serde_json::json;

use crate::camara_kit::*;
use crate::common::*;
use crate::tokens::*;

const VERIFY_SCOPE: &str = "number-verification:verify";
const SHARE_SCOPE: &str = "number-verification:device-phone-number:read";

mod phone_number_share {
    use super::*;

    const PATH: &str = "/number-verification/v2/device-phone-number";

    #[tokio::test]
    async fn phone_number_share_01_generic_success_scenario() {
        let app = spawn_app().await;
        let t = token3(&app, SHARE_SCOPE, MAIN).await;
        let res = get(&app, PATH, Some(&t)).await;
        assert_keys(res.assert_ok(), &["devicePhoneNumber"]);
    }

    #[tokio::test]
    async fn phone_number_share_02_success_scenario() {
        let app = spawn_app().await;
        let t = token3(&app, SHARE_SCOPE, NEVER_SWAPPED).await;
        let res = get(&app, PATH, Some(&t)).await;
        assert_eq!(res.assert_ok()["devicePhoneNumber"], NEVER_SWAPPED);
    }

    #[tokio::test]
    async fn phone_number_verify_401_1_no_authorization_header() {
        let app = spawn_app().await;
        get(&app, PATH, None)
            .await
            .assert_error(401, "UNAUTHENTICATED");
    }

    #[tokio::test]
    async fn phone_number_verify_401_2_expired_access_token() {
        let app = spawn_app().await;
        let t = expired_token(&app, SHARE_SCOPE);
        get(&app, PATH, Some(&t))
            .await
            .assert_error(401, "UNAUTHENTICATED");
    }

    #[tokio::test]
    async fn phone_number_verify_401_3_invalid_access_token() {
        let app = spawn_app().await;
        let t = invalid_token(&app, SHARE_SCOPE);
        get(&app, PATH, Some(&t))
            .await
            .assert_error(401, "UNAUTHENTICATED");
    }

    #[tokio::test]
    async fn phone_number_share_403_1_invalid_token_permissions() {
        let app = spawn_app().await;
        let t = token3(&app, VERIFY_SCOPE, MAIN).await;
        get(&app, PATH, Some(&t))
            .await
            .assert_error(403, "PERMISSION_DENIED");
    }

    #[tokio::test]
    async fn phone_number_share_403_2_not_authenticated_using_network_or_sim_based_authentication()
    {
        let app = spawn_app().await;
        let mut c = claims3(&app, SHARE_SCOPE, MAIN).await;
        c.amr = Some(vec!["otp".into()]);
        get(&app, PATH, Some(&sign(&app, &c))).await.assert_error(
            403,
            "NUMBER_VERIFICATION.USER_NOT_AUTHENTICATED_BY_MOBILE_NETWORK",
        );
    }
}

mod phone_number_verify {
    use super::*;

    const PATH: &str = "/number-verification/v2/verify";

    async fn verify(app: &TestApp, line: &str, body: serde_json::Value) -> Res {
        let t = token3(app, VERIFY_SCOPE, line).await;
        post(app, PATH, Some(&t), body).await
    }

    async fn verified(app: &TestApp, line: &str, body: serde_json::Value) -> bool {
        let res = verify(app, line, body).await;
        res.assert_ok()["devicePhoneNumberVerified"]
            .as_bool()
            .unwrap()
    }

    #[tokio::test]
    async fn phone_number_verify_01_generic_success_scenario() {
        let app = spawn_app().await;
        let res = verify(&app, MAIN, json!({"phoneNumber": MAIN})).await;
        assert_keys(res.assert_ok(), &["devicePhoneNumberVerified"]);
    }

    #[tokio::test]
    async fn phone_number_verify_02_validate_phone_number_success_true() {
        let app = spawn_app().await;
        assert!(verified(&app, MAIN, json!({"phoneNumber": MAIN})).await);
    }

    #[tokio::test]
    async fn phone_number_verify_03_validate_phone_number_success_false() {
        let app = spawn_app().await;
        assert!(!verified(&app, MAIN, json!({"phoneNumber": NEVER_SWAPPED})).await);
        assert!(!verified(&app, MAIN, json!({"phoneNumber": UNKNOWN})).await);
    }

    #[tokio::test]
    async fn phone_number_verify_04_validate_hashed_phone_number_success_true() {
        let app = spawn_app().await;
        let hash = phone(MAIN).sha256_hex();
        assert!(verified(&app, MAIN, json!({"hashedPhoneNumber": hash})).await);
        let upper = hash.to_ascii_uppercase();
        assert!(verified(&app, MAIN, json!({"hashedPhoneNumber": upper})).await);
    }

    #[tokio::test]
    async fn phone_number_verify_05_validate_hashed_phone_number_success_false() {
        let app = spawn_app().await;
        let other = phone(NEVER_SWAPPED).sha256_hex();
        assert!(!verified(&app, MAIN, json!({"hashedPhoneNumber": other})).await);
        // The hash of the number without '+' is another number's hash.
        use sha2::Digest;
        let no_plus: String = sha2::Sha256::digest(&MAIN.as_bytes()[1..])
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert!(!verified(&app, MAIN, json!({"hashedPhoneNumber": no_plus})).await);
    }

    #[tokio::test]
    async fn phone_number_verify_400_1_no_request_body() {
        let app = spawn_app().await;
        let t = token3(&app, VERIFY_SCOPE, MAIN).await;
        post_raw(&app, PATH, Some(&t), None)
            .await
            .assert_error(400, "INVALID_ARGUMENT");
    }

    #[tokio::test]
    async fn phone_number_verify_400_2_empty_request_body() {
        let app = spawn_app().await;
        verify(&app, MAIN, json!({}))
            .await
            .assert_error(400, "INVALID_ARGUMENT");
    }

    #[tokio::test]
    async fn phone_number_verify_400_3_invalid_request_non_existing_property() {
        let app = spawn_app().await;
        verify(&app, MAIN, json!({"additional_property": "foo_value"}))
            .await
            .assert_error(400, "INVALID_ARGUMENT");
        verify(
            &app,
            MAIN,
            json!({"phoneNumber": MAIN, "additional_property": "foo_value"}),
        )
        .await
        .assert_error(400, "INVALID_ARGUMENT");
    }

    #[tokio::test]
    async fn phone_number_verify_400_4_both_phone_number_and_hashed_in_request() {
        let app = spawn_app().await;
        let body = json!({"phoneNumber": MAIN, "hashedPhoneNumber": phone(MAIN).sha256_hex()});
        verify(&app, MAIN, body)
            .await
            .assert_error(400, "INVALID_ARGUMENT");
    }

    #[tokio::test]
    async fn phone_number_verify_401_1_no_authorization_header() {
        let app = spawn_app().await;
        post(&app, PATH, None, json!({"phoneNumber": MAIN}))
            .await
            .assert_error(401, "UNAUTHENTICATED");
    }

    #[tokio::test]
    async fn phone_number_verify_401_2_expired_access_token() {
        let app = spawn_app().await;
        let mut c = claims3(&app, VERIFY_SCOPE, MAIN).await;
        c.exp = chrono::Utc::now().timestamp() - 10;
        post(
            &app,
            PATH,
            Some(&sign(&app, &c)),
            json!({"phoneNumber": MAIN}),
        )
        .await
        .assert_error(401, "UNAUTHENTICATED");
    }

    #[tokio::test]
    async fn phone_number_verify_401_3_invalid_access_token() {
        let app = spawn_app().await;
        let t = invalid_token(&app, VERIFY_SCOPE);
        post(&app, PATH, Some(&t), json!({"phoneNumber": MAIN}))
            .await
            .assert_error(401, "UNAUTHENTICATED");
    }

    #[tokio::test]
    async fn phone_number_verify_403_1_invalid_token_permissions() {
        let app = spawn_app().await;
        let t = token3(&app, SHARE_SCOPE, MAIN).await;
        post(&app, PATH, Some(&t), json!({"phoneNumber": MAIN}))
            .await
            .assert_error(403, "PERMISSION_DENIED");
    }

    #[tokio::test]
    async fn phone_number_verify_403_2_not_authenticated_using_network_or_sim_based_authentication()
    {
        let app = spawn_app().await;
        let mut c = claims3(&app, VERIFY_SCOPE, MAIN).await;
        c.amr = None;
        post(
            &app,
            PATH,
            Some(&sign(&app, &c)),
            json!({"phoneNumber": MAIN}),
        )
        .await
        .assert_error(
            403,
            "NUMBER_VERIFICATION.USER_NOT_AUTHENTICATED_BY_MOBILE_NETWORK",
        );
    }

    #[tokio::test]
    async fn phone_number_verify_c02_01_phone_number_not_schema_compliant() {
        let app = spawn_app().await;
        for bad in ["629255833", "+34 629 25 58 33", "+0629255833"] {
            verify(&app, MAIN, json!({"phoneNumber": bad}))
                .await
                .assert_error(400, "INVALID_ARGUMENT");
        }
        verify(&app, MAIN, json!({"hashedPhoneNumber": "not-a-sha256"}))
            .await
            .assert_error(400, "INVALID_ARGUMENT");
    }
}

/// DECISIONS 4: a 2-legged token is never enough, whatever its scope.
#[tokio::test]
async fn two_legged_token_is_403_not_authenticated_by_mobile_network() {
    let app = spawn_app().await;
    let t = token2(&app, &format!("{VERIFY_SCOPE} {SHARE_SCOPE}"));
    post(
        &app,
        "/number-verification/v2/verify",
        Some(&t),
        json!({"phoneNumber": MAIN}),
    )
    .await
    .assert_error(
        403,
        "NUMBER_VERIFICATION.USER_NOT_AUTHENTICATED_BY_MOBILE_NETWORK",
    );
    get(
        &app,
        "/number-verification/v2/device-phone-number",
        Some(&t),
    )
    .await
    .assert_error(
        403,
        "NUMBER_VERIFICATION.USER_NOT_AUTHENTICATED_BY_MOBILE_NETWORK",
    );
}

/// Some SDKs append the authorization response's `code` and `state` to the API call.
#[tokio::test]
async fn sdk_query_parameters_code_and_state_are_ignored() {
    let app = spawn_app().await;
    let t = token3(&app, &format!("{VERIFY_SCOPE} {SHARE_SCOPE}"), MAIN).await;
    let res = get(
        &app,
        "/number-verification/v2/device-phone-number?code=abc&state=xyz",
        Some(&t),
    )
    .await;
    assert_eq!(res.assert_ok()["devicePhoneNumber"], MAIN);
    let res = post(
        &app,
        "/number-verification/v2/verify?code=abc&state=xyz",
        Some(&t),
        json!({"phoneNumber": MAIN}),
    )
    .await;
    assert_eq!(res.assert_ok()["devicePhoneNumberVerified"], true);
}

/// The subscriber objected to fraud-prevention processing after the token was issued.
#[tokio::test]
async fn objection_after_token_issue_stops_verification() {
    let app = spawn_app().await;
    let t = token3(&app, VERIFY_SCOPE, MAIN).await;
    set_consent(
        &app,
        MAIN,
        FRAUD,
        ogw_core::domain::ConsentStatus::Revoked,
        None,
    )
    .await;
    post(
        &app,
        "/number-verification/v2/verify",
        Some(&t),
        json!({"phoneNumber": MAIN}),
    )
    .await
    .assert_error(403, "PERMISSION_DENIED");
}
