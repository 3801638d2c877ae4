//! Wire errors: one type per dialect, each mapped to HTTP exactly once.
//! - OAuth/OIDC endpoints: RFC 6749 §5.2 `{error, error_description}`.
//! - CAMARA network APIs: `{status, code, message}` (CAMARA Design Guide §3).
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use ogw_core::camara::ApiError;
use ogw_core::store::StoreError;
use serde::Serialize;

/// An RFC 6749 / OIDC / CIBA error response.
#[derive(Debug, Clone)]
pub struct OAuthError {
    pub status: StatusCode,
    pub error: &'static str,
    pub description: String,
    /// RFC 6749 §5.2: a 401 `invalid_client` carries `WWW-Authenticate` with the scheme used.
    pub challenge: Option<&'static str>,
    /// Extra members of the error body (e.g. CIBA's `consent_url` while consent is pending).
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl OAuthError {
    pub fn new(status: StatusCode, error: &'static str, description: impl Into<String>) -> Self {
        Self {
            status,
            error,
            description: description.into(),
            challenge: None,
            extra: serde_json::Map::new(),
        }
    }
    pub fn invalid_request(d: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", d)
    }
    /// RFC 6749 §5.2: 401 with a `WWW-Authenticate` challenge.
    pub fn invalid_client(d: impl Into<String>, scheme: &'static str) -> Self {
        Self {
            challenge: Some(scheme),
            ..Self::new(StatusCode::UNAUTHORIZED, "invalid_client", d)
        }
    }
    pub fn invalid_grant(d: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_grant", d)
    }
    pub fn unauthorized_client(d: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "unauthorized_client", d)
    }
    pub fn unsupported_grant_type(d: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "unsupported_grant_type", d)
    }
    pub fn invalid_scope(d: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_scope", d)
    }
    pub fn server_error(d: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "server_error", d)
    }
}

#[derive(Serialize)]
struct OAuthBody<'a> {
    error: &'a str,
    error_description: &'a str,
    #[serde(flatten)]
    extra: &'a serde_json::Map<String, serde_json::Value>,
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::error!(error = self.error, detail = %self.description, "oauth request failed");
        }
        let mut res = (
            self.status,
            Json(OAuthBody {
                error: self.error,
                error_description: &self.description,
                extra: &self.extra,
            }),
        )
            .into_response();
        let h = res.headers_mut();
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
        if let Some(scheme) = self.challenge {
            let v = format!(r#"{scheme} realm="ogw", error="{}""#, self.error);
            if let Ok(v) = HeaderValue::from_str(&v) {
                h.insert(header::WWW_AUTHENTICATE, v);
            }
        }
        res
    }
}

impl From<StoreError> for OAuthError {
    fn from(e: StoreError) -> Self {
        Self::server_error(format!("OGW-S001 storage: {e}"))
    }
}

/// The one mapping of the core's protocol errors to the wire (RFC 6749 §5.2, CIBA §11/§13,
/// OIDC Core §3.1.2.6). Internal detail is logged, never sent.
impl From<ogw_core::oauth::OAuthError> for OAuthError {
    fn from(e: ogw_core::oauth::OAuthError) -> Self {
        use ogw_core::oauth::{Challenge, OAuthError as E};
        let status = match &e {
            E::InvalidClient { .. } => StatusCode::UNAUTHORIZED,
            E::Server(_) => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        };
        let mut out = Self::new(status, e.code(), e.description());
        match e {
            E::InvalidClient { challenge, .. } => {
                out.challenge = Some(match challenge {
                    Challenge::Basic => "Basic",
                    Challenge::Bearer => "Bearer",
                });
            }
            E::AuthorizationPending {
                consent_url: Some(url),
            } => {
                out.extra.insert("consent_url".into(), url.into());
            }
            E::Server(detail) => {
                tracing::error!(%detail, "oauth request failed");
            }
            _ => {}
        }
        out
    }
}

/// A CAMARA error `{status, code, message}`.
#[derive(Debug, Clone)]
pub struct CamaraError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// The `WWW-Authenticate` challenge, sent with a 401 only.
    pub challenge: ApiChallenge,
}

/// The `WWW-Authenticate` challenge of a CAMARA or management 401.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiChallenge {
    /// `Bearer` with `error="invalid_token"`: a token was presented and is unusable.
    InvalidToken,
    /// RFC 6750 §3.1: no token was presented, so the `Bearer` challenge names no error.
    NoToken,
    /// RFC 9449 §7.1: the request must use DPoP; a `DPoP` challenge with this error.
    Dpop(&'static str),
}

impl CamaraError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            challenge: ApiChallenge::InvalidToken,
        }
    }
    pub fn invalid_argument(m: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "INVALID_ARGUMENT", m)
    }
    pub fn unauthenticated(m: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "UNAUTHENTICATED", m)
    }
    /// A 401 for a request without any access token.
    pub fn no_token(m: impl Into<String>) -> Self {
        Self {
            challenge: ApiChallenge::NoToken,
            ..Self::unauthenticated(m)
        }
    }
    pub fn permission_denied(m: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "PERMISSION_DENIED", m)
    }
    pub fn internal(m: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL", m)
    }
}

#[derive(Serialize)]
struct CamaraBody<'a> {
    status: u16,
    code: &'a str,
    message: &'a str,
}

impl IntoResponse for CamaraError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::error!(code = self.code, detail = %self.message, "network api request failed");
        }
        let message = if self.status.is_server_error() {
            "Server error"
        } else {
            self.message.as_str()
        };
        let mut res = (
            self.status,
            Json(CamaraBody {
                status: self.status.as_u16(),
                code: self.code,
                message,
            }),
        )
            .into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            let challenge = match self.challenge {
                // RFC 9449 §7.1: the algorithms proofs may use.
                ApiChallenge::Dpop(error) => HeaderValue::from_str(&format!(
                    r#"DPoP realm="ogw", error="{error}", algs="{}""#,
                    ogw_core::oauth::dpop::SIGNING_ALGS.join(" ")
                ))
                .unwrap_or_else(|_| HeaderValue::from_static("DPoP")),
                ApiChallenge::InvalidToken => {
                    HeaderValue::from_static(r#"Bearer realm="ogw", error="invalid_token""#)
                }
                ApiChallenge::NoToken => HeaderValue::from_static(r#"Bearer realm="ogw""#),
            };
            res.headers_mut()
                .insert(header::WWW_AUTHENTICATE, challenge);
        }
        res
    }
}

impl From<StoreError> for CamaraError {
    fn from(e: StoreError) -> Self {
        Self::internal(format!("OGW-S001 storage: {e}"))
    }
}

/// The one mapping of CAMARA domain errors onto the wire.
impl From<ApiError> for CamaraError {
    fn from(e: ApiError) -> Self {
        let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut out = Self::new(status, e.code(), e.to_string());
        match e {
            ApiError::DpopUnauthenticated { invalid_proof, .. } => {
                out.challenge = ApiChallenge::Dpop(if invalid_proof {
                    "invalid_dpop_proof"
                } else {
                    "invalid_token"
                });
            }
            ApiError::NoToken(_) => out.challenge = ApiChallenge::NoToken,
            _ => {}
        }
        out
    }
}
