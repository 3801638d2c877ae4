//! The operator's management plane: tenants, applications, the capabilities catalog,
//! consents, subscribers and network facts, and the audit trail.
//!
//! Use-cases here are shared by the HTTP API (`/v1/…`) and the `ogw` CLI: both build a
//! [`Ctx`] naming who acts ([`Actor`]) and when, and call the same functions. Each use-case
//! checks the actor's management scope and tenant, validates its input into domain types,
//! writes through the store traits and appends an audit event with the before/after state.
//! No HTTP here: errors are [`ManageError`], which the HTTP layer maps to the wire once.
pub mod applications;
pub mod audit;
pub mod capabilities;
pub mod consent_views;
pub mod consents;
pub mod gate;
pub mod page;
pub mod subscribers;
pub mod tenants;
pub mod views;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::domain::{ClientId, TenantId};
use crate::secret::Pepper;
use crate::store::{Store, StoreError, Timestamp};

/// The reserved tenant holding operator-wide administrators: its management clients may act
/// on every tenant; clients of any other tenant act only on their own.
pub const SYSTEM_TENANT: &str = "system";

/// Management scopes, granted to management clients (client_credentials) by our own AS.
pub mod scopes {
    /// Create, update, suspend and delete tenants (operator-wide callers only).
    pub const ADMIN_TENANTS: &str = "admin:tenants";
    pub const APPS_READ: &str = "apps:read";
    pub const APPS_WRITE: &str = "apps:write";
    pub const CATALOG_READ: &str = "catalog:read";
    pub const CATALOG_WRITE: &str = "catalog:write";
    pub const CONSENTS_READ: &str = "consents:read";
    pub const CONSENTS_WRITE: &str = "consents:write";
    pub const SUBSCRIBERS_READ: &str = "subscribers:read";
    pub const SUBSCRIBERS_WRITE: &str = "subscribers:write";
    pub const AUDIT_READ: &str = "audit:read";
    pub const VIEWS_READ: &str = "views:read";
    pub const VIEWS_WRITE: &str = "views:write";

    pub const ALL: &[&str] = &[
        ADMIN_TENANTS,
        APPS_READ,
        APPS_WRITE,
        CATALOG_READ,
        CATALOG_WRITE,
        CONSENTS_READ,
        CONSENTS_WRITE,
        SUBSCRIBERS_READ,
        SUBSCRIBERS_WRITE,
        AUDIT_READ,
        VIEWS_READ,
        VIEWS_WRITE,
    ];

    pub fn is_management(scope: &str) -> bool {
        ALL.contains(&scope)
    }
}

/// A management-plane failure; the HTTP layer maps each variant to one status and code.
#[derive(Debug, thiserror::Error)]
pub enum ManageError {
    /// Malformed input: 400 INVALID_ARGUMENT.
    #[error("{0}")]
    Invalid(String),
    /// Missing scope or operator-only action: 403 PERMISSION_DENIED.
    #[error("{0}")]
    Forbidden(String),
    /// Unknown resource, or one of another tenant: 404 NOT_FOUND.
    #[error("{0}")]
    NotFound(String),
    /// Already exists, or a state that forbids the change: 409 CONFLICT.
    #[error("{0}")]
    Conflict(String),
    /// `If-Match` does not match the current ETag: 412 PRECONDITION_FAILED.
    #[error("the resource was modified: If-Match does not match its current ETag")]
    PreconditionFailed,
    /// Well-formed but semantically refused: 422 with a specific code.
    #[error("{message}")]
    Unprocessable { code: &'static str, message: String },
    /// Storage failed: 500 (the detail goes to the log, not the caller).
    #[error("storage: {0}")]
    Store(StoreError),
}

impl ManageError {
    /// The stable error code, as the API and the CLI report it.
    pub fn code(&self) -> &'static str {
        match self {
            ManageError::Invalid(_) => "INVALID_ARGUMENT",
            ManageError::Forbidden(_) => "PERMISSION_DENIED",
            ManageError::NotFound(_) => "NOT_FOUND",
            ManageError::Conflict(_) => "CONFLICT",
            ManageError::PreconditionFailed => "PRECONDITION_FAILED",
            ManageError::Unprocessable { code, .. } => code,
            ManageError::Store(_) => "INTERNAL",
        }
    }

    pub fn unprocessable(code: &'static str, message: impl Into<String>) -> Self {
        Self::Unprocessable {
            code,
            message: message.into(),
        }
    }
}

impl From<StoreError> for ManageError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => Self::NotFound("not found".into()),
            StoreError::Conflict(m) => Self::Conflict(m),
            other => Self::Store(other),
        }
    }
}

pub type ManageResult<T> = Result<T, ManageError>;

/// Who is acting on the management plane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// A management client presenting an access token from our own AS.
    Client {
        tenant: TenantId,
        client_id: ClientId,
        scopes: Vec<String>,
    },
    /// The operator at the `ogw` CLI, working on the store directly: every right.
    Local { name: String },
}

impl Actor {
    /// The name written to the audit trail: the client id, or `cli:<user>`.
    pub fn name(&self) -> String {
        match self {
            Actor::Client { client_id, .. } => client_id.to_string(),
            Actor::Local { name } => format!("cli:{name}"),
        }
    }

    /// Operator-wide: the CLI, or a client of the reserved `system` tenant.
    pub fn is_operator(&self) -> bool {
        match self {
            Actor::Client { tenant, .. } => tenant.as_str() == SYSTEM_TENANT,
            Actor::Local { .. } => true,
        }
    }

    /// The tenant a management client belongs to (what the caller's-own-tenant routes such
    /// as `/v1/views` act on); `None` for the local operator, who must always name one.
    pub fn own_tenant(&self) -> Option<&TenantId> {
        match self {
            Actor::Client { tenant, .. } => Some(tenant),
            Actor::Local { .. } => None,
        }
    }

    pub fn holds(&self, scope: &str) -> bool {
        match self {
            Actor::Client { scopes, .. } => scopes.iter().any(|s| s == scope),
            Actor::Local { .. } => true,
        }
    }

    pub fn require_scope(&self, scope: &str) -> ManageResult<()> {
        if self.holds(scope) {
            Ok(())
        } else {
            Err(ManageError::Forbidden(format!(
                "this call needs the '{scope}' scope"
            )))
        }
    }

    /// Tenant isolation: a tenant-scoped client sees only its tenant; others look absent.
    pub fn require_tenant(&self, tenant: &TenantId) -> ManageResult<()> {
        match self {
            Actor::Client { tenant: own, .. } if own != tenant && !self.is_operator() => Err(
                ManageError::NotFound(format!("tenant '{tenant}' not found")),
            ),
            _ => Ok(()),
        }
    }

    /// Both checks, scope first (a 403 reveals nothing about other tenants).
    pub fn authorize(&self, scope: &str, tenant: &TenantId) -> ManageResult<()> {
        self.require_scope(scope)?;
        self.require_tenant(tenant)
    }
}

/// Everything a use-case needs: the store, who acts, when, and the secret-hashing key.
pub struct Ctx<'a> {
    pub store: &'a dyn Store,
    pub actor: &'a Actor,
    pub now: Timestamp,
    pub pepper: &'a Pepper,
}

impl<'a> Ctx<'a> {
    pub fn new(store: &'a dyn Store, actor: &'a Actor, now: Timestamp, pepper: &'a Pepper) -> Self {
        Self {
            store,
            actor,
            now: stored_precision(now),
            pepper,
        }
    }
}

/// Timestamps as the store keeps them (milliseconds), so a representation and its ETag
/// are the same before and after a round trip through the store.
pub fn stored_precision(t: Timestamp) -> Timestamp {
    use chrono::SubsecRound;
    t.trunc_subsecs(3)
}

/// A strong entity tag for a resource representation: a hash of its JSON.
pub fn etag<T: Serialize>(view: &T) -> String {
    let json = serde_json::to_vec(view).unwrap_or_default();
    let digest = Sha256::digest(&json);
    format!("\"{}\"", URL_SAFE_NO_PAD.encode(&digest[..16]))
}

/// RFC 9110 §13.1.1: `If-Match` holds `*` or a list of entity tags; a missing header is
/// accepted (last writer wins), a present one that matches none is 412.
pub fn check_if_match(if_match: Option<&str>, current: &str) -> ManageResult<()> {
    let Some(header) = if_match else {
        return Ok(());
    };
    let matches = header.split(',').map(str::trim).any(|t| {
        // Weak comparison is not allowed for If-Match: `W/` tags never match.
        t == "*" || t == current
    });
    if matches {
        Ok(())
    } else {
        Err(ManageError::PreconditionFailed)
    }
}

/// Parses one field, turning the domain's parse error into a 400 naming the field.
pub(crate) fn field<T, E: std::fmt::Display>(name: &str, parsed: Result<T, E>) -> ManageResult<T> {
    parsed.map_err(|e| ManageError::Invalid(format!("{name}: {e}")))
}

/// Free text (names, reasons): trimmed, 1..=max characters, no control characters.
pub(crate) fn text(name: &str, value: &str, max: usize) -> ManageResult<String> {
    let v = value.trim();
    if v.is_empty() || v.chars().count() > max || v.chars().any(char::is_control) {
        return Err(ManageError::Invalid(format!(
            "{name} must be 1-{max} printable characters"
        )));
    }
    Ok(v.to_owned())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn client(tenant: &str, scopes: &[&str]) -> Actor {
        Actor::Client {
            tenant: TenantId::parse(tenant).unwrap(),
            client_id: ClientId::parse("c1").unwrap(),
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn tenant_clients_see_only_their_tenant() {
        let acme = TenantId::parse("acme").unwrap();
        let other = TenantId::parse("other").unwrap();
        let a = client("acme", &[scopes::APPS_READ]);
        assert!(a.authorize(scopes::APPS_READ, &acme).is_ok());
        assert!(matches!(
            a.authorize(scopes::APPS_READ, &other),
            Err(ManageError::NotFound(_))
        ));
        assert!(matches!(
            a.authorize(scopes::APPS_WRITE, &acme),
            Err(ManageError::Forbidden(_))
        ));
        let sys = client(SYSTEM_TENANT, &[scopes::APPS_READ]);
        assert!(sys.authorize(scopes::APPS_READ, &other).is_ok());
        let cli = Actor::Local { name: "ops".into() };
        assert!(cli.authorize(scopes::ADMIN_TENANTS, &other).is_ok());
        assert_eq!(cli.name(), "cli:ops");
    }

    #[test]
    fn if_match_rules() {
        let tag = etag(&serde_json::json!({"a": 1}));
        assert!(tag.starts_with('"') && tag.ends_with('"'));
        assert!(check_if_match(None, &tag).is_ok());
        assert!(check_if_match(Some("*"), &tag).is_ok());
        assert!(check_if_match(Some(&format!("\"x\", {tag}")), &tag).is_ok());
        assert!(matches!(
            check_if_match(Some("\"x\""), &tag),
            Err(ManageError::PreconditionFailed)
        ));
        assert!(check_if_match(Some(&format!("W/{tag}")), &tag).is_err());
        assert_ne!(tag, etag(&serde_json::json!({"a": 2})));
    }
}
