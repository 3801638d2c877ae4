//! The authorization server's protocol rules.
pub mod authorize;
pub mod ciba;
pub mod client_auth;
mod consent_check;
pub mod discovery;
pub mod dpop;
pub mod error;
pub mod grants;
pub mod introspect;
pub mod issue;
pub mod keys;
pub mod login_hint;
pub mod params;
pub mod pkce;
pub mod request_object;
pub mod rsa_batch;
pub mod scope_request;
pub mod subject;
pub mod tokens;

pub use error::{Challenge, OAuthError, OAuthResult};
pub use params::Params;

use crate::secret::Pepper;
use crate::settings::Settings;
use crate::store::{Application, AuditEvent, Store, Timestamp};
use tokens::TokenService;

/// What the protocol code needs from the server, borrowed per request.
#[derive(Clone, Copy)]
pub struct Deps<'a> {
    pub store: &'a dyn Store,
    pub tokens: &'a TokenService,
    pub pepper: &'a Pepper,
    pub settings: &'a Settings,
    /// RFC 9449: the thumbprint of a verified DPoP proof sent to `/token`; the access token
    /// issued is then bound to it (`cnf.jkt`). Set by `grants::token`, None elsewhere.
    pub dpop_jkt: Option<&'a str>,
}

impl Deps<'_> {
    /// Appends an audit event (`AuditStore::append_audit`) with `app` as the actor: every
    /// protocol event is done by a client of its tenant.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn audit(
        &self,
        app: &Application,
        action: &str,
        target: &str,
        outcome: &str,
        reason: &str,
        detail: serde_json::Value,
        now: Timestamp,
    ) -> OAuthResult<()> {
        self.store
            .append_audits(vec![AuditEvent {
                id: 0,
                tenant: app.tenant.clone(),
                at: now,
                actor: app.client_id.as_str().to_owned(),
                action: action.to_owned(),
                target: target.to_owned(),
                outcome: outcome.to_owned(),
                reason: reason.to_owned(),
                detail: detail.into(),
            }])
            .await?;
        Ok(())
    }
}
