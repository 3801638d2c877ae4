//! OIDC Discovery 1.0 / RFC 8414 metadata, derived from the same constants the router
//! mounts and the same tables the grants use, so what is advertised is what works.
use serde_json::json;

use super::client_auth::ASYMMETRIC_ALG_NAMES;
use super::dpop;
use super::grants::SUPPORTED_GRANTS;
use super::pkce;
use super::request_object;
use super::scope_request::OFFLINE_ACCESS;
use crate::consent::purposes::all_technical_scopes;
use crate::consent::PURPOSES;
use crate::domain::ClientAuthMethod;
use crate::settings::Settings;

/// Endpoint paths, relative to the issuer (the router mounts them under `base_path`).
pub mod paths {
    pub const OPENID_CONFIGURATION: &str = "/.well-known/openid-configuration";
    pub const OAUTH_AUTHORIZATION_SERVER: &str = "/.well-known/oauth-authorization-server";
    pub const JWKS: &str = "/jwks";
    pub const AUTHORIZE: &str = "/authorize";
    pub const BC_AUTHORIZE: &str = "/bc-authorize";
    pub const TOKEN: &str = "/token";
    pub const INTROSPECT: &str = "/introspect";
    pub const REVOKE: &str = "/revoke";
}

/// Where a client assertion may be addressed: the endpoint called, the token endpoint
/// (RFC 7523 §3) or the issuer.
pub fn assertion_audiences(settings: &Settings, endpoint: &str) -> Vec<String> {
    let mut v = vec![
        settings.url(endpoint),
        settings.url(paths::TOKEN),
        settings.issuer.clone(),
    ];
    v.dedup();
    v
}

pub fn metadata(settings: &Settings) -> serde_json::Value {
    let authorization_endpoint = settings.url(paths::AUTHORIZE);
    let mut scopes = vec!["openid".to_owned(), OFFLINE_ACCESS.to_owned()];
    scopes.extend(PURPOSES.iter().map(|p| p.purpose.to_owned()));
    scopes.extend(all_technical_scopes().into_iter().map(str::to_owned));
    let auth_methods: Vec<&str> = ClientAuthMethod::ALL
        .iter()
        .filter(|m| **m != ClientAuthMethod::AppJwt)
        .map(|m| m.as_str())
        .collect();
    let grants: Vec<&str> = SUPPORTED_GRANTS.iter().map(|g| g.as_str()).collect();
    json!({
        "issuer": settings.issuer,
        "authorization_endpoint": authorization_endpoint,
        // Nokia's SDK reads this extension; it is the same endpoint.
        "fast_flow_csp_auth_endpoint": authorization_endpoint,
        "token_endpoint": settings.url(paths::TOKEN),
        "backchannel_authentication_endpoint": settings.url(paths::BC_AUTHORIZE),
        "jwks_uri": settings.url(paths::JWKS),
        "introspection_endpoint": settings.url(paths::INTROSPECT),
        "revocation_endpoint": settings.url(paths::REVOKE),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": grants,
        "backchannel_token_delivery_modes_supported": ["poll"],
        "backchannel_user_code_parameter_supported": false,
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": [settings.token_alg.as_str()],
        "token_endpoint_auth_methods_supported": auth_methods,
        "token_endpoint_auth_signing_alg_values_supported": ASYMMETRIC_ALG_NAMES,
        "introspection_endpoint_auth_methods_supported": auth_methods,
        "revocation_endpoint_auth_methods_supported": auth_methods,
        "backchannel_authentication_endpoint_auth_methods_supported": auth_methods,
        "code_challenge_methods_supported": pkce::METHODS_SUPPORTED,
        "scopes_supported": scopes,
        "claims_supported": ["iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "amr"],
        "prompt_values_supported": ["none", "login", "consent"],
        "request_parameter_supported": true,
        "dpop_signing_alg_values_supported": dpop::SIGNING_ALGS,
        "request_object_signing_alg_values_supported": request_object::SIGNING_ALGS,
        "request_uri_parameter_supported": false,
        "authorization_response_iss_parameter_supported": false,
        "acr_values_supported": [],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_follow_the_issuer_and_base_path() {
        let s = Settings::new("https://op.example/v1/");
        let m = metadata(&s);
        assert_eq!(m["issuer"], "https://op.example/v1");
        assert_eq!(m["token_endpoint"], "https://op.example/v1/token");
        assert_eq!(
            m["fast_flow_csp_auth_endpoint"],
            m["authorization_endpoint"]
        );
        assert_eq!(
            m["backchannel_token_delivery_modes_supported"],
            json!(["poll"])
        );
        let grants = m["grant_types_supported"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert!(grants.contains(&json!("urn:openid:params:grant-type:ciba")));
        assert!(grants.contains(&json!("refresh_token")));
        assert_eq!(m["request_parameter_supported"], true);
        let scopes = m["scopes_supported"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert!(scopes.contains(&json!("sim-swap:check")));
        assert!(scopes.contains(&json!("dpv:FraudPreventionAndDetection")));
    }
}
