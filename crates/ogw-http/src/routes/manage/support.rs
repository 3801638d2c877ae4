//! What every management handler shares: the caller extractor, the error mapping, JSON and
//! query extractors whose rejections speak the API's error shape, and response helpers.
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use ogw_core::domain::{ClientId, TenantId};
use ogw_core::manage::gate::{self, Refusal};
use ogw_core::manage::{Actor, Ctx, ManageError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::CamaraError;
use crate::extract::bearer_token;
use crate::state::AppState;

/// The management API's error body: the CAMARA shape, used for every status.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    #[schema(example = 404)]
    pub status: u16,
    /// `INVALID_ARGUMENT`, `UNAUTHENTICATED`, `PERMISSION_DENIED`, `NOT_FOUND`, `CONFLICT`,
    /// `PRECONDITION_FAILED`, a specific 422 code such as `UNKNOWN_SCOPE`, or `INTERNAL`.
    #[schema(example = "NOT_FOUND")]
    pub code: String,
    pub message: String,
}

/// A management API error; rendered as a CAMARA error (`{status, code, message}`).
#[derive(Debug)]
pub struct ApiError(pub CamaraError);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.0.into_response()
    }
}

impl From<ManageError> for ApiError {
    fn from(e: ManageError) -> Self {
        let status = match &e {
            ManageError::Invalid(_) => StatusCode::BAD_REQUEST,
            ManageError::Forbidden(_) => StatusCode::FORBIDDEN,
            ManageError::NotFound(_) => StatusCode::NOT_FOUND,
            ManageError::Conflict(_) => StatusCode::CONFLICT,
            ManageError::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            ManageError::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ManageError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let code = e.code();
        let message = match &e {
            ManageError::Store(s) => format!("OGW-S001 storage: {s}"),
            other => other.to_string(),
        };
        Self(CamaraError::new(status, code, message))
    }
}

impl From<ogw_core::store::StoreError> for ApiError {
    fn from(e: ogw_core::store::StoreError) -> Self {
        ManageError::Store(e).into()
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        Self(CamaraError::invalid_argument(r.body_text()))
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        Self(CamaraError::invalid_argument(r.body_text()))
    }
}

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        Self(CamaraError::invalid_argument(r.body_text()))
    }
}

fn unauthenticated(m: &str) -> ApiError {
    ApiError(CamaraError::unauthenticated(m))
}

/// A JSON body; malformed input is 400 INVALID_ARGUMENT in the API's error shape.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct MJson<T>(pub T);

/// Query parameters, rejected the same way.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct MQuery<T>(pub T);

/// Path parameters, rejected the same way.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct MPath<T>(pub T);

/// A management caller: a valid access token from our own AS (not revoked, not a subscriber's),
/// whose application and tenant are active. Its scopes are those of the token that the
/// application still holds, so narrowing an application takes effect at once.
pub struct ManageCaller(pub Actor);

impl ManageCaller {
    pub fn cx<'a>(&'a self, state: &'a AppState) -> Ctx<'a> {
        Ctx::new(state.store.as_ref(), &self.0, state.now(), &state.pepper)
    }

    /// The tenant a call acts on: the `{tenant}` of `/v1/tenants/{tenant}/…`, or, on the
    /// caller's-own-tenant aliases (`/v1/views…`, no `{tenant}`), the caller's tenant —
    /// for a `system` client that is `system`, never "every tenant".
    pub fn tenant(&self, path_tenant: Option<&str>) -> Result<TenantId, ApiError> {
        match path_tenant {
            Some(t) => Ok(ogw_core::manage::tenants::parse_id(t)?),
            None => self.0.own_tenant().cloned().ok_or_else(|| {
                ApiError(CamaraError::invalid_argument(
                    "this route acts on the caller's own tenant",
                ))
            }),
        }
    }
}

impl FromRequestParts<AppState> for ManageCaller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = bearer_token(&parts.headers)
            .ok_or_else(|| ApiError(CamaraError::no_token("a bearer access token is required")))?;
        let claims = state
            .tokens
            .verify_access(token, state.now())
            .map_err(|_| unauthenticated("the access token is invalid or expired"))?;
        let (Ok(tenant), Ok(client_id)) = (
            TenantId::parse(&claims.tenant),
            ClientId::parse(&claims.client_id),
        ) else {
            return Err(unauthenticated("the access token is invalid or expired"));
        };
        if claims.is_three_legged() {
            return Err(ApiError(CamaraError::permission_denied(
                "a token issued for a subscriber cannot manage the gateway",
            )));
        }
        if state.store.is_jti_revoked(&tenant, &claims.jti).await? {
            return Err(unauthenticated("the access token has been revoked"));
        }
        let app = match gate::active_client(state.store.as_ref(), &tenant, &client_id).await? {
            Ok((_, app)) => app,
            Err(Refusal::TenantSuspended) => {
                return Err(ApiError(CamaraError::permission_denied(
                    Refusal::TenantSuspended.reason(),
                )))
            }
            Err(r) => return Err(unauthenticated(r.reason())),
        };
        let scopes = claims
            .scopes()
            .filter(|s| app.allowed_scopes.iter().any(|a| a.as_str() == *s))
            .map(str::to_owned)
            .collect();
        Ok(Self(Actor::Client {
            tenant,
            client_id,
            scopes,
        }))
    }
}

pub fn if_match(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::IF_MATCH).and_then(|v| v.to_str().ok())
}

/// A JSON representation with its ETag.
pub fn tagged<T: Serialize>(status: StatusCode, view: &T) -> Response {
    let tag = ogw_core::manage::etag(view);
    let mut res = (status, Json(view)).into_response();
    if let Ok(v) = HeaderValue::from_str(&tag) {
        res.headers_mut().insert(header::ETAG, v);
    }
    res
}

/// 201 Created with the new resource's `Location` and ETag.
pub fn created<T: Serialize>(location: &str, view: &T) -> Response {
    let mut res = tagged(StatusCode::CREATED, view);
    if let Ok(v) = HeaderValue::from_str(location) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res
}

/// A response carrying a secret: never cached (RFC 9111 §5.2.2.5).
pub fn no_store(mut res: Response) -> Response {
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// Percent-encodes one path segment for a `Location` header (`+` stays as is).
pub fn segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~+:@".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
