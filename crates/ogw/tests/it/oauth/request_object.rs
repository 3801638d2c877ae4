//! Signed authentication requests (OIDC Core §6, RFC 9101) at /authorize and /bc-authorize.
use ogw::demo;
use serde_json::json;

use super::authorize::{exchange, get_authorize, query_of, CHALLENGE};
use super::ciba::{bc_authorize, poll};
use super::*;
use crate::common::*;

/// (name, request object, outer parameters changed).
type Case<'a> = (&'a str, String, Vec<(&'a str, &'a str)>);

const SCOPE: &str = "openid dpv:FraudPreventionAndDetection number-verification:verify";

/// A request object of demo-app-id for /authorize; `tweak` edits the claims.
fn object(app: &TestApp, tweak: impl FnOnce(&mut Value)) -> String {
    let iat = now_s();
    let mut c = json!({
        "iss": demo::APP_ID,
        "aud": app.url("/authorize"),
        "iat": iat,
        "exp": iat + 120,
        "jti": uuid::Uuid::new_v4().to_string(),
        "response_type": "code",
        "client_id": demo::APP_ID,
        "redirect_uri": "whatever",
        "scope": SCOPE,
        "state": "inner-state",
        "nonce": "inner-nonce",
        "code_challenge": CHALLENGE,
        "code_challenge_method": "S256",
    });
    tweak(&mut c);
    sign(&c)
}

fn outer(request: &str, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut q: Vec<(String, String)> = [
        ("response_type", "code"),
        ("client_id", demo::APP_ID),
        ("redirect_uri", "whatever"),
        ("scope", SCOPE),
        ("request", request),
        // Outside the object: ignored.
        ("state", "outer-state"),
        ("nonce", "outer-nonce"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    for (k, v) in extra {
        q.retain(|(k2, _)| k2 != k);
        if !v.is_empty() {
            q.push(((*k).to_owned(), (*v).to_owned()));
        }
    }
    q
}

#[tokio::test]
async fn a_signed_authorization_request_uses_only_the_object_s_parameters() {
    let app = spawn_app().await;
    let (status, loc, body) = get_authorize(&app, &outer(&object(&app, |_| {}), &[]), None).await;
    assert_eq!(status, 302, "{body:?}");
    let q = query_of(&loc);
    assert_eq!(q["state"], "inner-state", "{loc}");
    let code = q["code"].clone();
    let r = exchange(&app, &format!("Bearer {}", vonage_jwt()), &code, &[]).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let id = claims(r.body["id_token"].as_str().unwrap());
    assert_eq!(id["nonce"], "inner-nonce");
    // The issuer is an accepted audience too.
    let ro = object(&app, |c| c["aud"] = json!(app.state.settings.issuer));
    let (status, loc, _) = get_authorize(&app, &outer(&ro, &[]), None).await;
    assert_eq!(status, 302);
    assert!(query_of(&loc).contains_key("code"), "{loc}");
}

#[tokio::test]
async fn invalid_request_objects_at_authorize() {
    let app = spawn_app().await;
    let now = now_s();
    let forged = {
        let good = object(&app, |_| {});
        let mut parts: Vec<String> = good.split('.').map(str::to_owned).collect();
        let mut c = claims(&good);
        c["scope"] = json!("openid dpv:FraudPreventionAndDetection sim-swap:check");
        parts[1] = URL_SAFE_NO_PAD.encode(c.to_string());
        parts.join(".")
    };
    let drop = |name: &'static str| {
        move |c: &mut Value| {
            c.as_object_mut().unwrap().remove(name);
        }
    };
    let cases: Vec<Case> = vec![
        ("forged", forged, vec![]),
        ("garbage", "eyJ.x.y".into(), vec![]),
        (
            "expired",
            object(&app, |c| {
                c["iat"] = json!(now - 200);
                c["exp"] = json!(now - 5);
            }),
            vec![],
        ),
        (
            "lifetime > 300",
            object(&app, |c| {
                c["iat"] = json!(now - 100);
                c["exp"] = json!(now + 250);
            }),
            vec![],
        ),
        (
            "iat in future",
            object(&app, |c| c["iat"] = json!(now + 120)),
            vec![],
        ),
        ("no iss", object(&app, drop("iss")), vec![]),
        ("no aud", object(&app, drop("aud")), vec![]),
        ("no iat", object(&app, drop("iat")), vec![]),
        ("no exp", object(&app, drop("exp")), vec![]),
        ("no jti", object(&app, drop("jti")), vec![]),
        (
            "wrong iss",
            object(&app, |c| c["iss"] = json!(demo::CLIENT_ID)),
            vec![],
        ),
        (
            "wrong aud",
            object(&app, |c| {
                c["aud"] = json!("https://other.example/authorize")
            }),
            vec![],
        ),
        (
            "scope differs",
            object(&app, |_| {}),
            vec![(
                "scope",
                "openid dpv:FraudPreventionAndDetection sim-swap:check",
            )],
        ),
        (
            "redirect_uri differs",
            object(&app, |_| {}),
            vec![("redirect_uri", "https://app.example/cb")],
        ),
        (
            "response_type differs",
            object(&app, |c| c["response_type"] = json!("token")),
            vec![],
        ),
        (
            "scope missing outside",
            object(&app, |_| {}),
            vec![("scope", "")],
        ),
        (
            "redirect_uri missing inside",
            object(&app, drop("redirect_uri")),
            vec![],
        ),
    ];
    for (name, ro, extra) in cases {
        let (status, loc, body) = get_authorize(&app, &outer(&ro, &extra), None).await;
        assert_eq!(status, 400, "{name}: {loc} {body:?}");
        assert_eq!(body["error"], "invalid_request_object", "{name}: {body:?}");
    }
    // A verified object that nests request_uri: redirected back as invalid_request_object.
    let ro = object(&app, |c| c["request_uri"] = json!("https://x"));
    let (status, loc, _) = get_authorize(&app, &outer(&ro, &[]), None).await;
    assert_eq!(status, 302);
    assert_eq!(query_of(&loc)["error"], "invalid_request_object");
    // Replayed.
    let ro = object(&app, |_| {});
    assert_eq!(get_authorize(&app, &outer(&ro, &[]), None).await.0, 302);
    let (status, _, body) = get_authorize(&app, &outer(&ro, &[]), None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request_object"))
    );
    // Another tenant's client cannot use demo-app-id's object (its keys differ).
    create_app(&app, "other", "other-app", "s3cret", |a| {
        a.public_key_pem = None;
    })
    .await;
    let ro = object(&app, |c| {
        c["client_id"] = json!("other-app");
        c["iss"] = json!("other-app");
    });
    let (status, _, body) =
        get_authorize(&app, &outer(&ro, &[("client_id", "other-app")]), None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request_object"))
    );
    // request_uri is not supported.
    let (_, _, body) = get_authorize(&app, &outer("", &[("request_uri", "https://x")]), None).await;
    assert_eq!(body["error"], "request_uri_not_supported");
}

#[tokio::test]
async fn signed_backchannel_requests() {
    let app = spawn_app().await;
    let auth = format!("Bearer {}", vonage_jwt());
    let scope = "dpv:FraudPreventionAndDetection sim-swap:check";
    let ro = |tweak: &dyn Fn(&mut Value)| {
        let iat = now_s();
        let mut c = json!({
            "iss": demo::APP_ID, "aud": app.url("/bc-authorize"), "iat": iat,
            "exp": iat + 120, "jti": uuid::Uuid::new_v4().to_string(),
            "scope": scope, "login_hint": "tel:+34629255833",
        });
        tweak(&mut c);
        sign(&c)
    };
    let r = bc_authorize(&app, &auth, &[("scope", scope), ("request", &ro(&|_| {}))]).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let id = r.body["auth_req_id"].as_str().unwrap().to_owned();
    let t = poll(&app, &format!("Bearer {}", vonage_jwt()), &id).await;
    assert_eq!(t.status, 200, "{:?}", t.body);
    assert_eq!(
        subscriber_of(&app, t.body["access_token"].as_str().unwrap()).as_deref(),
        Some(demo::PHONE_MAIN)
    );
    // A login_hint outside the object is not used.
    let r = bc_authorize(
        &app,
        &format!("Bearer {}", vonage_jwt()),
        &[
            ("scope", scope),
            ("login_hint", "tel:+34629255833"),
            (
                "request",
                &ro(&|c| {
                    c.as_object_mut().unwrap().remove("login_hint");
                }),
            ),
        ],
    )
    .await;
    assert_eq!(
        (r.status, r.error()),
        (400, "invalid_request"),
        "{:?}",
        r.body
    );
    let cases: Vec<Case> = vec![
        (
            "authorize aud",
            ro(&|c| c["aud"] = json!(app.url("/authorize"))),
            vec![("scope", scope)],
        ),
        (
            "scope differs",
            ro(&|_| {}),
            vec![(
                "scope",
                "dpv:FraudPreventionAndDetection sim-swap:retrieve-date",
            )],
        ),
        ("scope missing outside", ro(&|_| {}), vec![]),
        (
            "expired",
            ro(&|c| {
                c["iat"] = json!(now_s() - 400);
                c["exp"] = json!(now_s() - 100);
            }),
            vec![("scope", scope)],
        ),
    ];
    for (name, ro, mut extra) in cases {
        extra.push(("request", &ro));
        let r = bc_authorize(&app, &format!("Bearer {}", vonage_jwt()), &extra).await;
        assert_eq!(
            (r.status, r.error()),
            (400, "invalid_request_object"),
            "{name}: {:?}",
            r.body
        );
    }
}

#[tokio::test]
async fn discovery_advertises_request_objects() {
    let app = spawn_app().await;
    let d = app.get_json("/.well-known/openid-configuration").await;
    assert_eq!(d["request_parameter_supported"], true);
    assert!(d["request_object_signing_alg_values_supported"]
        .as_array()
        .unwrap()
        .contains(&json!("RS256")));
}
