//! `/token`: one dispatch point, one file per grant. Each grant declares the parameters it
//! reads and sees only those (plus nothing of client authentication). The JWT-bearer grant
//! authenticates the client with its own assertion, so it branches before client auth.
pub mod authorization_code;
pub mod ciba;
pub mod client_credentials;
pub mod jwt_bearer;
pub mod refresh_token;

use std::sync::Arc;

use super::client_auth::{authenticate, AuthenticatedClient, Credentials};
use super::discovery::{assertion_audiences, paths};
use super::dpop;
use super::error::{Challenge, OAuthError, OAuthResult};
use super::issue::TokenResponse;
use super::params::Params;
use super::Deps;
use crate::domain::GrantType;
use crate::store::{Application, Capability, Timestamp};

/// The grants `/token` serves (discovery's `grant_types_supported`).
pub const SUPPORTED_GRANTS: &[GrantType] = &[
    GrantType::AuthorizationCode,
    GrantType::ClientCredentials,
    GrantType::Ciba,
    GrantType::JwtBearer,
    GrantType::RefreshToken,
];

/// Handles a token request: grant type, client authentication, grant permission, then the grant.
pub async fn token(
    deps: &Deps<'_>,
    authorization: Option<&str>,
    params: &Params,
    now: Timestamp,
) -> OAuthResult<TokenResponse> {
    token_with_dpop(deps, authorization, None, params, now).await
}

/// `token` with the request's `DPoP` header (RFC 9449 §5): a valid proof binds the access
/// token to its key; an invalid one is `invalid_dpop_proof`; none gives a Bearer token,
/// unless the client requires DPoP (`dpop_bound_access_tokens`, see [`check_dpop_required`]).
#[tracing::instrument(skip_all, fields(grant_type))]
pub async fn token_with_dpop(
    deps: &Deps<'_>,
    authorization: Option<&str>,
    dpop_proof: Option<&str>,
    params: &Params,
    now: Timestamp,
) -> OAuthResult<TokenResponse> {
    let proof = match dpop_proof {
        Some(p) => {
            let url = deps.settings.url(paths::TOKEN);
            let expect = dpop::Expect {
                method: "POST",
                url: &url,
                access_token: None,
            };
            Some(dpop::verify(p, &expect, now).map_err(OAuthError::InvalidDpopProof)?)
        }
        None => None,
    };
    let bound = Deps {
        dpop_jkt: proof.as_ref().map(|p| p.jkt.as_str()),
        ..*deps
    };
    let deps = &bound;
    let raw = params.require("grant_type")?;
    tracing::Span::current().record("grant_type", raw);
    let grant = GrantType::parse(raw)
        .filter(|g| SUPPORTED_GRANTS.contains(g))
        .ok_or_else(|| {
            OAuthError::UnsupportedGrantType(format!("grant_type '{raw}' is not supported"))
        })?;
    let creds = Credentials::read(authorization, params)?;
    if grant == GrantType::JwtBearer {
        // The assertion authenticates the client (profile "JWT Bearer Flow").
        return jwt_bearer::exchange(
            deps,
            &creds,
            proof.as_ref(),
            &params.only(jwt_bearer::PARAMS),
            now,
        )
        .await;
    }
    let audiences = assertion_audiences(deps.settings, paths::TOKEN);
    let client = authenticate(deps, &creds, &audiences, now).await?;
    check_grant_allowed(&client, grant)?;
    check_dpop_required(&client.app, proof.as_ref())?;
    if let Some(p) = &proof {
        check_proof_once(deps, &client.app.tenant, p).await?;
    }
    match grant {
        GrantType::ClientCredentials => {
            client_credentials::exchange(
                deps,
                &client,
                &params.only(client_credentials::PARAMS),
                now,
            )
            .await
        }
        GrantType::AuthorizationCode => {
            authorization_code::exchange(
                deps,
                &client,
                &params.only(authorization_code::PARAMS),
                now,
            )
            .await
        }
        GrantType::Ciba => ciba::exchange(deps, &client, &params.only(ciba::PARAMS), now).await,
        GrantType::RefreshToken => {
            refresh_token::exchange(deps, &client, &params.only(refresh_token::PARAMS), now).await
        }
        // Handled above: its assertion is the client authentication.
        GrantType::JwtBearer => Err(OAuthError::UnsupportedGrantType(format!(
            "grant_type '{raw}' is not supported here"
        ))),
    }
}

/// RFC 9449 §11.1: a proof is used once.
pub(crate) async fn check_proof_once(
    deps: &Deps<'_>,
    tenant: &crate::domain::TenantId,
    proof: &dpop::Proof,
) -> OAuthResult<()> {
    if !dpop::use_once(deps.store, tenant, proof).await? {
        return Err(OAuthError::InvalidDpopProof(
            "the DPoP proof's jti was already used".into(),
        ));
    }
    Ok(())
}

/// RFC 9449 §5.2: for a client registered with `dpop_bound_access_tokens`, the authorization
/// server "MUST reject token requests from this client that do not contain the DPoP header".
/// The RFC names no error code for this case; `invalid_dpop_proof` (RFC 9449 §5, §12.2) is
/// the one that tells the client what to fix (a missing proof is not a valid one).
pub fn check_dpop_required(app: &Application, proof: Option<&dpop::Proof>) -> OAuthResult<()> {
    if app.dpop_bound_access_tokens && proof.is_none() {
        return Err(OAuthError::InvalidDpopProof(
            "this client requires DPoP: send a DPoP proof with every token request".into(),
        ));
    }
    Ok(())
}

/// ICM: the flows a client may use are fixed at onboarding. Public clients only get codes.
pub fn check_grant_allowed(client: &AuthenticatedClient, grant: GrantType) -> OAuthResult<()> {
    if client.is_public() && grant != GrantType::AuthorizationCode {
        return Err(OAuthError::invalid_client(
            "client authentication is required for this grant",
            Challenge::Basic,
        ));
    }
    if !client.app.grant_types.contains(&grant) {
        return Err(OAuthError::UnauthorizedClient(format!(
            "this client may not use {grant}"
        )));
    }
    Ok(())
}

/// The tenant's API catalog, which scope checks consult.
pub(crate) async fn catalog(
    deps: &Deps<'_>,
    client: &AuthenticatedClient,
) -> OAuthResult<Arc<[Capability]>> {
    Ok(deps.store.list_capabilities(&client.app.tenant).await?)
}
