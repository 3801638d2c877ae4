//! Protocol errors of the authorization server, independent of HTTP. The http layer maps
//! each variant to its wire form (status, `{error, error_description}`, headers) once.
use crate::store::StoreError;

/// Which `WWW-Authenticate` scheme a 401 `invalid_client` answers with: the one the client
/// tried (RFC 6749 §5.2), `Bearer` for the application-JWT scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Challenge {
    Basic,
    Bearer,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OAuthError {
    /// RFC 6749 §5.2 / §4.1.2.1.
    #[error("invalid_request: {0}")]
    InvalidRequest(String),
    /// RFC 6749 §5.2: 401 with a challenge.
    #[error("invalid_client: {reason}")]
    InvalidClient {
        reason: String,
        challenge: Challenge,
    },
    #[error("invalid_grant: {0}")]
    InvalidGrant(String),
    #[error("unauthorized_client: {0}")]
    UnauthorizedClient(String),
    #[error("unsupported_grant_type: {0}")]
    UnsupportedGrantType(String),
    #[error("unsupported_response_type: {0}")]
    UnsupportedResponseType(String),
    #[error("invalid_scope: {0}")]
    InvalidScope(String),
    #[error("access_denied: {0}")]
    AccessDenied(String),
    /// OIDC Core §3.1.2.6: `prompt=none` and the end-user cannot be authenticated silently.
    #[error("login_required: {0}")]
    LoginRequired(String),
    /// OIDC Core §3.1.2.6: consent would need an interaction that cannot happen.
    #[error("consent_required: {0}")]
    ConsentRequired(String),
    /// OIDC Core §6.1 / CIBA §7.1: request objects are not supported yet.
    #[error("request_not_supported: {0}")]
    RequestNotSupported(String),
    /// OIDC Core §6.1 / RFC 9101: the signed request object is invalid.
    #[error("invalid_request_object: {0}")]
    InvalidRequestObject(String),
    /// RFC 9449 §5: the DPoP proof sent to `/token` is invalid.
    #[error("invalid_dpop_proof: {0}")]
    InvalidDpopProof(String),
    #[error("request_uri_not_supported: {0}")]
    RequestUriNotSupported(String),
    /// CIBA §13: the login_hint names nobody this operator serves.
    #[error("unknown_user_id: {0}")]
    UnknownUserId(String),
    /// CIBA §11: still waiting (consent not given yet). `consent_url` points to the consent view.
    #[error("authorization_pending")]
    AuthorizationPending { consent_url: Option<String> },
    /// CIBA §11: polled faster than the interval.
    #[error("slow_down")]
    SlowDown,
    /// CIBA §11: the auth_req_id expired.
    #[error("expired_token")]
    ExpiredToken,
    /// Internal failure; the detail is logged, never sent.
    #[error("server_error: {0}")]
    Server(String),
}

impl OAuthError {
    /// The RFC `error` code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidRequest(_) => "invalid_request",
            Self::InvalidClient { .. } => "invalid_client",
            Self::InvalidGrant(_) => "invalid_grant",
            Self::UnauthorizedClient(_) => "unauthorized_client",
            Self::UnsupportedGrantType(_) => "unsupported_grant_type",
            Self::UnsupportedResponseType(_) => "unsupported_response_type",
            Self::InvalidScope(_) => "invalid_scope",
            Self::AccessDenied(_) => "access_denied",
            Self::LoginRequired(_) => "login_required",
            Self::ConsentRequired(_) => "consent_required",
            Self::RequestNotSupported(_) => "request_not_supported",
            Self::InvalidRequestObject(_) => "invalid_request_object",
            Self::RequestUriNotSupported(_) => "request_uri_not_supported",
            Self::InvalidDpopProof(_) => "invalid_dpop_proof",
            Self::UnknownUserId(_) => "unknown_user_id",
            Self::AuthorizationPending { .. } => "authorization_pending",
            Self::SlowDown => "slow_down",
            Self::ExpiredToken => "expired_token",
            Self::Server(_) => "server_error",
        }
    }

    /// The human-readable `error_description`.
    pub fn description(&self) -> String {
        match self {
            Self::InvalidRequest(d)
            | Self::InvalidGrant(d)
            | Self::UnauthorizedClient(d)
            | Self::UnsupportedGrantType(d)
            | Self::UnsupportedResponseType(d)
            | Self::InvalidScope(d)
            | Self::AccessDenied(d)
            | Self::LoginRequired(d)
            | Self::ConsentRequired(d)
            | Self::RequestNotSupported(d)
            | Self::RequestUriNotSupported(d)
            | Self::InvalidRequestObject(d)
            | Self::InvalidDpopProof(d)
            | Self::UnknownUserId(d) => d.clone(),
            Self::InvalidClient { reason, .. } => reason.clone(),
            Self::AuthorizationPending { consent_url: None } => {
                "the authorization request is still pending".into()
            }
            Self::AuthorizationPending {
                consent_url: Some(_),
            } => "waiting for the subscriber's consent (see consent_url)".into(),
            Self::SlowDown => "polling too fast; wait at least the interval between polls".into(),
            Self::ExpiredToken => "the auth_req_id has expired; start a new request".into(),
            Self::Server(_) => "the server could not complete the request".into(),
        }
    }

    pub fn invalid_request(d: impl Into<String>) -> Self {
        Self::InvalidRequest(d.into())
    }
    pub fn invalid_grant(d: impl Into<String>) -> Self {
        Self::InvalidGrant(d.into())
    }
    pub fn invalid_scope(d: impl Into<String>) -> Self {
        Self::InvalidScope(d.into())
    }
    pub fn invalid_client(d: impl Into<String>, challenge: Challenge) -> Self {
        Self::InvalidClient {
            reason: d.into(),
            challenge,
        }
    }
}

impl From<StoreError> for OAuthError {
    fn from(e: StoreError) -> Self {
        Self::Server(format!("OGW-S001 storage: {e}"))
    }
}

pub type OAuthResult<T> = Result<T, OAuthError>;
