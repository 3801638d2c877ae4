//! The gate every token passes: is the client's tenant active, is the application active,
//! and is the API (capability) it calls switched on? Management tokens are checked here by
//! the `/v1` extractor; the authorization server and the network APIs apply the same rules
//! to theirs (a suspended tenant's or disabled application's tokens stop working at once).
use std::sync::Arc;

use crate::domain::{AppStatus, CapabilityStatus, ClientId, TenantId, TenantStatus};
use crate::store::{Application, Capability, Store, StoreResult, Tenant};

/// Why a client may not act now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    UnknownTenant,
    TenantSuspended,
    UnknownClient,
    ApplicationDisabled,
}

impl Refusal {
    pub fn reason(self) -> &'static str {
        match self {
            Refusal::UnknownTenant => "the token's tenant does not exist",
            Refusal::TenantSuspended => "the tenant is suspended",
            Refusal::UnknownClient => "the token's application is not registered",
            Refusal::ApplicationDisabled => "the application is disabled",
        }
    }
}

/// The tenant and application behind a token, when both are active.
pub async fn active_client(
    store: &dyn Store,
    tenant: &TenantId,
    client_id: &ClientId,
) -> StoreResult<Result<(Tenant, Arc<Application>), Refusal>> {
    let app = match store.find_application(client_id).await? {
        Some(a) if &a.tenant == tenant => a,
        _ => return Ok(Err(Refusal::UnknownClient)),
    };
    let t = match store.get_tenant(tenant).await? {
        Some(t) => t,
        None => return Ok(Err(Refusal::UnknownTenant)),
    };
    if t.status != TenantStatus::Active {
        return Ok(Err(Refusal::TenantSuspended));
    }
    if app.status != AppStatus::Active {
        return Ok(Err(Refusal::ApplicationDisabled));
    }
    Ok(Ok((t, app)))
}

/// Whether the tenant's catalog offers `api_name` (e.g. `sim-swap`) in a state other than
/// `disabled`. An API the catalog does not list is not offered.
pub fn api_enabled(catalog: &[Capability], api_name: &str) -> bool {
    catalog
        .iter()
        .any(|c| c.api_name == api_name && c.status != CapabilityStatus::Disabled)
}

/// The requested scopes the AS must refuse because every catalog entry offering them is
/// disabled. Scopes no entry lists are left to the AS's own rules.
pub fn disabled_scopes<'a>(
    catalog: &[Capability],
    requested: impl IntoIterator<Item = &'a str>,
) -> Vec<&'a str> {
    requested
        .into_iter()
        .filter(|s| {
            let mut offering = catalog
                .iter()
                .filter(|c| c.scopes.iter().any(|x| x.as_str() == *s))
                .peekable();
            offering.peek().is_some() && offering.all(|c| c.status == CapabilityStatus::Disabled)
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::domain::{CapabilityId, Scope};

    fn cap(id: &str, api: &str, scopes: &[&str], status: CapabilityStatus) -> Capability {
        Capability {
            tenant: TenantId::parse("t").unwrap(),
            id: CapabilityId::parse(id).unwrap(),
            api_name: api.into(),
            version: "1".into(),
            base_path: "/x".into(),
            scopes: scopes.iter().map(|s| Scope::parse(s).unwrap()).collect(),
            purposes: vec![],
            status,
        }
    }

    #[test]
    fn disabled_capabilities_close_their_api_and_scopes() {
        let catalog = vec![
            cap(
                "a",
                "sim-swap",
                &["sim-swap:check"],
                CapabilityStatus::Disabled,
            ),
            cap(
                "b",
                "qos-profiles",
                &["qos-profiles:read"],
                CapabilityStatus::Deprecated,
            ),
        ];
        assert!(!api_enabled(&catalog, "sim-swap"));
        assert!(api_enabled(&catalog, "qos-profiles"));
        assert!(!api_enabled(&catalog, "number-verification"));
        assert_eq!(
            disabled_scopes(&catalog, ["sim-swap:check", "qos-profiles:read", "openid"]),
            vec!["sim-swap:check"]
        );
    }
}
