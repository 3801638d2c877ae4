//! `ogw token mint`: an operator tool that signs an access token with the server's own keys,
//! exactly as the authorization server would issue it: for conformance runs (schemathesis
//! against the CAMARA specs), support and load tests. It needs the store and the server
//! secret, i.e. operator access to the node; it is not reachable over HTTP.
use std::sync::Arc;

use anyhow::Context;
use ogw_core::domain::{ClientId, PhoneNumber};
use ogw_core::oauth::keys::KeyProvider;
use ogw_core::oauth::subject::SubjectCodec;
use ogw_core::oauth::tokens::{AccessClaims, TokenService, AMR_NETWORK};

use crate::{open_store, server_secret, Config};

#[derive(Debug, Clone)]
pub struct MintRequest {
    pub client_id: String,
    /// Space-separated technical scopes.
    pub scope: String,
    /// 3-legged: the subscriber the token speaks for (a line of the client's tenant).
    pub phone_number: Option<String>,
    pub purpose: Option<String>,
    /// Authentication methods of a 3-legged token; default `["nba"]` (network-based).
    pub amr: Option<Vec<String>>,
    pub ttl_secs: i64,
}

/// The issuer `serve` uses with this configuration when it binds `cfg.listen` as given.
pub fn configured_issuer(cfg: &Config) -> String {
    cfg.issuer
        .clone()
        .unwrap_or_else(|| format!("http://{}{}", cfg.listen, cfg.base_path))
}

pub async fn mint(cfg: &Config, req: &MintRequest) -> anyhow::Result<String> {
    anyhow::ensure!(
        (1..=86_400).contains(&req.ttl_secs),
        "ttl must be within 1..=86400 seconds"
    );
    let now = chrono::Utc::now();
    let store = open_store(cfg).await?;
    let secret = server_secret(cfg)?;
    let keys = Arc::new(KeyProvider::load_or_init(store.clone(), now).await?);
    let issuer = configured_issuer(cfg);
    let tokens = TokenService::new(
        keys,
        issuer.trim_end_matches('/'),
        SubjectCodec::new(&secret),
    );
    let client = ClientId::parse(&req.client_id)?;
    let app = store
        .find_application(&client)
        .await?
        .with_context(|| format!("no application {client}"))?;
    let tenant = app.tenant.clone();
    let mut claims = AccessClaims {
        iss: tokens.issuer().to_owned(),
        sub: client.to_string(),
        aud: tokens.issuer().to_owned(),
        client_id: client.to_string(),
        tenant: tenant.to_string(),
        scope: req.scope.clone(),
        purpose: req.purpose.clone(),
        iat: now.timestamp(),
        exp: now.timestamp() + req.ttl_secs,
        jti: ogw_core::secret::generate_token(),
        amr: None,
        sref: None,
        auth_time: None,
        cnf: None,
    };
    if let Some(n) = &req.phone_number {
        let msisdn = PhoneNumber::parse(n)?;
        let sub = store
            .get_subscriber(&tenant, &msisdn)
            .await?
            .with_context(|| format!("{n} is not a line of tenant {tenant}"))?;
        let subjects = tokens.subjects();
        claims.sub = subjects.pairwise_sub(&tenant, &client, &sub.id);
        claims.sref = Some(subjects.seal(&tenant, &client, &msisdn));
        claims.amr = Some(
            req.amr
                .clone()
                .unwrap_or_else(|| vec![AMR_NETWORK.to_owned()]),
        );
        claims.auth_time = Some(now.timestamp());
    }
    Ok(tokens.sign_access_inline(&claims)?)
}
