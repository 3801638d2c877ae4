//! Behaviour settings the protocol code reads (the binary maps its config file onto these).
use std::net::IpAddr;

use chrono::Duration;

/// DECISIONS 2: what to do when a 3-legged call also carries the identifier in its body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IdentifierPolicy {
    /// The operator's rule: equal to the token's subscriber → proceed; different → 403 INVALID_TOKEN_CONTEXT.
    #[default]
    Lenient,
    /// CAMARA 2.1.0: any identifier with a 3-legged token → 422 UNNECESSARY_IDENTIFIER.
    Strict,
}

#[derive(Debug, Clone)]
pub struct Settings {
    /// Issuer URL, including `base_path` when one is set; every URL we emit starts with it.
    pub issuer: String,
    /// Prefix all public routes are mounted under (`""` or e.g. `/v1`).
    pub base_path: String,
    pub access_token_ttl: Duration,
    pub id_token_ttl: Duration,
    pub code_ttl: Duration,
    pub ciba_ttl: Duration,
    pub ciba_interval_secs: i64,
    pub identifier_policy: IdentifierPolicy,
    /// Peers allowed to report the device address (X-Forwarded-For) at /authorize.
    pub trusted_proxies: Vec<IpAddr>,
    /// IP sessions without accounting activity for this long no longer authenticate; None = never expire.
    pub session_idle_timeout: Option<Duration>,
    /// Header enrichment: the header in which a trusted proxy names the device's MSISDN at
    /// /authorize, the consent pages and /my (lower-case, e.g. `x-msisdn`); None = off. Only
    /// read from `trusted_proxies`.
    pub msisdn_header: Option<String>,
    /// Legal retention window for SIM change history; None = unlimited.
    pub sim_swap_retention_days: Option<i64>,
    /// Algorithm of the tokens we sign (access and ID tokens).
    pub token_alg: crate::oauth::keys::TokenAlg,
}

impl Settings {
    pub fn new(issuer: &str) -> Self {
        Self {
            issuer: issuer.trim_end_matches('/').to_owned(),
            base_path: String::new(),
            access_token_ttl: Duration::seconds(3600),
            id_token_ttl: Duration::seconds(3600),
            code_ttl: Duration::seconds(60),
            ciba_ttl: Duration::seconds(120),
            ciba_interval_secs: 2,
            identifier_policy: IdentifierPolicy::Lenient,
            trusted_proxies: Vec::new(),
            session_idle_timeout: None,
            msisdn_header: None,
            sim_swap_retention_days: None,
            token_alg: crate::oauth::keys::TokenAlg::RS256,
        }
    }

    /// An absolute URL for a path of ours (`/token` → `https://op.example/v1/token`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.issuer, path)
    }
}
