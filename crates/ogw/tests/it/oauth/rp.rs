//! A real OpenID Connect relying party (the `openidconnect` crate) drives the server:
//! discovery, client_credentials, code + PKCE and CIBA, validating every ID token's
//! signature against our published JWKS.
use ogw::demo;
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreProviderMetadata, CoreTokenResponse,
};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, RedirectUrl, Scope, TokenResponse,
};

use super::*;
use crate::common::*;

fn rp_http() -> openidconnect::reqwest::Client {
    openidconnect::reqwest::ClientBuilder::new()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

#[tokio::test]
async fn openidconnect_rp_discovery_client_credentials_code_and_ciba() {
    let app = spawn_app().await;
    let http = rp_http();
    let issuer = IssuerUrl::new(app.state.settings.issuer.clone()).unwrap();
    let metadata = CoreProviderMetadata::discover_async(issuer, &http)
        .await
        .expect("discovery and JWKS");
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(demo::CLIENT_ID.into()),
        Some(ClientSecret::new(demo::CLIENT_SECRET.into())),
    )
    .set_redirect_uri(RedirectUrl::new("https://app.example/cb".into()).unwrap());

    // client_credentials (Basic authentication, the crate's default).
    let cc = client
        .exchange_client_credentials()
        .unwrap()
        .add_scope(Scope::new("sim-swap:check".into()))
        .request_async(&http)
        .await
        .expect("client_credentials");
    assert_eq!(cc.token_type().as_ref(), "bearer");
    assert!(cc.expires_in().is_some());

    // Authorization code + PKCE; this machine's address is the demo phone's IP session.
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, csrf, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new(FRAUD.into()))
        .add_scope(Scope::new("number-verification:verify".into()))
        .set_pkce_challenge(challenge)
        .url();
    let res = http.get(url).send().await.unwrap();
    assert_eq!(res.status(), 302);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let q = super::authorize::query_of(&location);
    assert_eq!(q.get("state"), Some(csrf.secret()));
    let code = q.get("code").cloned().expect("code");
    let tokens = client
        .exchange_code(AuthorizationCode::new(code))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .expect("code exchange");
    let id = tokens
        .id_token()
        .expect("id_token")
        .claims(&client.id_token_verifier(), &nonce)
        .expect("id_token verifies against the JWKS");
    assert_eq!(id.audiences()[0].as_str(), demo::CLIENT_ID);
    assert!(!id.subject().as_str().contains("629255833"));

    // CIBA: the crate has no CIBA helper, so the RP posts /bc-authorize itself and parses
    // the token response with the crate's types, then verifies the ID token the same way.
    let bc = http
        .post(app.url("/bc-authorize"))
        .basic_auth(demo::CLIENT_ID, Some(demo::CLIENT_SECRET))
        .form(&[
            ("login_hint", "tel:+34629255833"),
            (
                "scope",
                "openid dpv:FraudPreventionAndDetection sim-swap:check",
            ),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(bc.status(), 200);
    let bc: Value = bc.json().await.unwrap();
    let poll = http
        .post(app.url("/token"))
        .basic_auth(demo::CLIENT_ID, Some(demo::CLIENT_SECRET))
        .form(&[
            ("grant_type", "urn:openid:params:grant-type:ciba"),
            ("auth_req_id", bc["auth_req_id"].as_str().unwrap()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(poll.status(), 200);
    let ciba: CoreTokenResponse = poll.json().await.unwrap();
    let id = ciba
        .id_token()
        .expect("id_token")
        .claims(&client.id_token_verifier(), |_: Option<&Nonce>| Ok(()))
        .expect("CIBA id_token verifies against the JWKS");
    assert_eq!(id.issuer().as_str(), app.state.settings.issuer);
    assert!(ciba.access_token().secret().starts_with("ey"));
}

/// `token_alg = "ES256"`: discovery advertises it, the JWKS publishes a P-256 key, the RP
/// verifies the ID token with it, and the ES256 access token works at a CAMARA API.
#[tokio::test]
async fn openidconnect_rp_verifies_es256_tokens() {
    let app = spawn_app_with(|c| c.token_alg = ogw_core::oauth::keys::TokenAlg::ES256).await;
    let http = rp_http();
    let issuer = IssuerUrl::new(app.state.settings.issuer.clone()).unwrap();
    let metadata = CoreProviderMetadata::discover_async(issuer, &http)
        .await
        .expect("discovery and JWKS");
    let jwks: Value = http
        .get(app.url("/jwks"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(jwks["keys"][0]["kty"], "EC");
    assert_eq!(jwks["keys"][0]["alg"], "ES256");
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(demo::CLIENT_ID.into()),
        Some(ClientSecret::new(demo::CLIENT_SECRET.into())),
    )
    .set_redirect_uri(RedirectUrl::new("https://app.example/cb".into()).unwrap());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, _csrf, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new(FRAUD.into()))
        .add_scope(Scope::new("sim-swap:check".into()))
        .set_pkce_challenge(challenge)
        .url();
    let res = http.get(url).send().await.unwrap();
    assert_eq!(res.status(), 302);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let code = super::authorize::query_of(&location)
        .get("code")
        .cloned()
        .expect("code");
    let tokens = client
        .exchange_code(AuthorizationCode::new(code))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .expect("code exchange");
    tokens
        .id_token()
        .expect("id_token")
        .claims(&client.id_token_verifier(), &nonce)
        .expect("ES256 id_token verifies against the JWKS");
    let access = tokens.access_token().secret();
    assert_eq!(header(access)["alg"], "ES256");
    let check = http
        .post(app.url("/sim-swap/v2/check"))
        .bearer_auth(access)
        .json(&serde_json::json!({"maxAge": 240}))
        .send()
        .await
        .unwrap();
    assert_eq!(check.status(), 200, "{:?}", check.text().await);
}
