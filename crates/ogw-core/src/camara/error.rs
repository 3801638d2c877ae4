//! What can go wrong in a CAMARA call, in domain terms. `ogw-http` maps this enum onto the
//! wire (`{status, code, message}`) in exactly one place; the codes are the specs' own.
use crate::store::StoreError;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// 400: malformed body, wrong type, unknown enum value, pattern mismatch.
    #[error("{0}")]
    InvalidArgument(String),
    /// 400: a number outside its allowed range (SIM Swap `maxAge`).
    #[error("{0}")]
    OutOfRange(String),
    /// 401: a malformed, expired, revoked or otherwise unusable access token.
    #[error("{0}")]
    Unauthenticated(String),
    /// 401: no access token at all (none, or under another scheme). RFC 6750 §3.1: its
    /// challenge names no error, since the client may not have known a token was needed.
    #[error("{0}")]
    NoToken(String),
    /// 401 about DPoP (RFC 9449 §7.1): the token must be presented with the `DPoP` scheme and
    /// a valid proof. Answered with a `DPoP` challenge; `invalid_proof` picks its error code
    /// (`invalid_dpop_proof`, else `invalid_token`).
    #[error("{message}")]
    DpopUnauthenticated {
        message: String,
        invalid_proof: bool,
    },
    /// 403: scope missing, capability not allowed, consent refused.
    #[error("{0}")]
    PermissionDenied(String),
    /// 403 (seed rule, DECISIONS 2): the body names another line than the 3-legged token.
    #[error(
        "the phone number in the request does not match the one identified by the access token"
    )]
    InvalidTokenContext,
    /// 403 Number Verification: the token did not come from network-based authentication.
    #[error("Client must authenticate via the mobile network to use this service")]
    NotAuthenticatedByMobileNetwork,
    /// 403 Consent Info: the scopes/purpose combination is not onboarded for this client.
    #[error(
        "The requested scope(s) and Purpose combination is not allowed for this API Consumer: {0}"
    )]
    NotAllowedScopesPurpose(String),
    /// 403 Consent Info: callbackUrl fails validation.
    #[error("The provided callback URL is invalid: {0}")]
    InvalidCallbackUrl(String),
    /// 404: a resource (e.g. a QoS profile) that does not exist.
    #[error("{0}")]
    NotFound(String),
    /// 404: a well-formed phone number or device this operator does not know.
    #[error("The phone number or device is not known to this operator")]
    IdentifierNotFound,
    /// 422: the line exists but this tenant does not serve it.
    #[error("The service is not available for the provided identifier")]
    ServiceNotApplicable,
    /// 422: no identifier in the body and none derivable from the token.
    #[error("The phone number or device cannot be identified: send it in the request or use a 3-legged access token")]
    MissingIdentifier,
    /// 422: an identifier in the body although the 3-legged token already identifies one.
    #[error(
        "The phone number or device is already identified by the access token and must not be sent"
    )]
    UnnecessaryIdentifier,
    /// 422 QoS: none of the device identifiers given is supported.
    #[error("None of the provided device identifiers is supported: {0}")]
    UnsupportedIdentifier(String),
    /// 500: storage or another internal failure; the detail is logged, never sent.
    #[error("internal: {0}")]
    Internal(String),
}

/// How a call ended, for the audit log and the `camara_calls_total` metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CallOutcome {
    /// Served (2xx).
    Ok,
    /// Refused by policy: authentication, scope, capability, consent (401/403).
    Deny,
    /// Refused as a bad or unanswerable request (400/404/422).
    Reject,
    /// Failed on our side (5xx).
    Error,
}

impl CallOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            CallOutcome::Ok => "ok",
            CallOutcome::Deny => "deny",
            CallOutcome::Reject => "reject",
            CallOutcome::Error => "error",
        }
    }
}

impl ApiError {
    pub fn invalid(m: impl Into<String>) -> Self {
        ApiError::InvalidArgument(m.into())
    }

    /// HTTP status code.
    pub fn status(&self) -> u16 {
        use ApiError::*;
        match self {
            InvalidArgument(_) | OutOfRange(_) => 400,
            Unauthenticated(_) | NoToken(_) | DpopUnauthenticated { .. } => 401,
            PermissionDenied(_)
            | InvalidTokenContext
            | NotAuthenticatedByMobileNetwork
            | NotAllowedScopesPurpose(_)
            | InvalidCallbackUrl(_) => 403,
            NotFound(_) | IdentifierNotFound => 404,
            ServiceNotApplicable
            | MissingIdentifier
            | UnnecessaryIdentifier
            | UnsupportedIdentifier(_) => 422,
            Internal(_) => 500,
        }
    }

    /// The CAMARA error code.
    pub fn code(&self) -> &'static str {
        use ApiError::*;
        match self {
            InvalidArgument(_) => "INVALID_ARGUMENT",
            OutOfRange(_) => "OUT_OF_RANGE",
            Unauthenticated(_) | NoToken(_) | DpopUnauthenticated { .. } => "UNAUTHENTICATED",
            PermissionDenied(_) => "PERMISSION_DENIED",
            InvalidTokenContext => "INVALID_TOKEN_CONTEXT",
            NotAuthenticatedByMobileNetwork => {
                "NUMBER_VERIFICATION.USER_NOT_AUTHENTICATED_BY_MOBILE_NETWORK"
            }
            NotAllowedScopesPurpose(_) => "CONSENT_INFO.NOT_ALLOWED_SCOPES_PURPOSE",
            InvalidCallbackUrl(_) => "CONSENT_INFO.INVALID_CALLBACK_URL",
            NotFound(_) => "NOT_FOUND",
            IdentifierNotFound => "IDENTIFIER_NOT_FOUND",
            ServiceNotApplicable => "SERVICE_NOT_APPLICABLE",
            MissingIdentifier => "MISSING_IDENTIFIER",
            UnnecessaryIdentifier => "UNNECESSARY_IDENTIFIER",
            UnsupportedIdentifier(_) => "UNSUPPORTED_IDENTIFIER",
            Internal(_) => "INTERNAL",
        }
    }

    pub fn outcome(&self) -> CallOutcome {
        match self.status() {
            401 | 403 => CallOutcome::Deny,
            500.. => CallOutcome::Error,
            _ => CallOutcome::Reject,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        ApiError::Internal(format!("OGW-S001 storage: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_statuses_follow_the_specs() {
        let cases = [
            (ApiError::invalid("x"), 400, "INVALID_ARGUMENT"),
            (ApiError::OutOfRange("x".into()), 400, "OUT_OF_RANGE"),
            (
                ApiError::Unauthenticated("x".into()),
                401,
                "UNAUTHENTICATED",
            ),
            (ApiError::NoToken("x".into()), 401, "UNAUTHENTICATED"),
            (ApiError::InvalidTokenContext, 403, "INVALID_TOKEN_CONTEXT"),
            (
                ApiError::NotAuthenticatedByMobileNetwork,
                403,
                "NUMBER_VERIFICATION.USER_NOT_AUTHENTICATED_BY_MOBILE_NETWORK",
            ),
            (ApiError::IdentifierNotFound, 404, "IDENTIFIER_NOT_FOUND"),
            (ApiError::MissingIdentifier, 422, "MISSING_IDENTIFIER"),
            (ApiError::Internal("db".into()), 500, "INTERNAL"),
        ];
        for (e, status, code) in cases {
            assert_eq!((e.status(), e.code()), (status, code), "{e:?}");
        }
        assert_eq!(ApiError::MissingIdentifier.outcome(), CallOutcome::Reject);
        assert_eq!(ApiError::InvalidTokenContext.outcome(), CallOutcome::Deny);
        assert_eq!(
            ApiError::Internal(String::new()).outcome(),
            CallOutcome::Error
        );
    }
}
