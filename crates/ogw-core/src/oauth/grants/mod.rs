//! `/token`: one dispatch point, one file per grant. Each grant declares the parameters it
//! reads and sees only those (plus nothing of client authentication). The JWT-bearer grant
//! authenticates the client with its own assertion, so it branches before client auth.
pub mod authorization_code;
pub mod ciba;
pub mod client_credentials;
pub mod jwt_bearer;
pub mod refresh_token;

use super::client_auth::{authenticate, AuthenticatedClient, Credentials};
use super::discovery::{assertion_audiences, paths};
use super::error::{Challenge, OAuthError, OAuthResult};
use super::issue::TokenResponse;
use super::params::Params;
use super::Deps;
use crate::domain::GrantType;
use crate::store::{Capability, Timestamp};

/// The grants `/token` serves (discovery's `grant_types_supported`).
pub const SUPPORTED_GRANTS: &[GrantType] = &[
    GrantType::AuthorizationCode,
    GrantType::ClientCredentials,
    GrantType::Ciba,
    GrantType::JwtBearer,
    GrantType::RefreshToken,
];

/// Handles a token request: grant type, client authentication, grant permission, then the grant.
#[tracing::instrument(skip_all, fields(grant_type))]
pub async fn token(
    deps: &Deps<'_>,
    authorization: Option<&str>,
    params: &Params,
    now: Timestamp,
) -> OAuthResult<TokenResponse> {
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
        return jwt_bearer::exchange(deps, &creds, &params.only(jwt_bearer::PARAMS), now).await;
    }
    let audiences = assertion_audiences(deps.settings, paths::TOKEN);
    let client = authenticate(deps, &creds, &audiences, now).await?;
    check_grant_allowed(&client, grant)?;
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
) -> OAuthResult<Vec<Capability>> {
    Ok(deps.store.list_capabilities(&client.app.tenant).await?)
}
