//! The capabilities catalog: which CAMARA APIs a tenant offers, under which technical scopes,
//! for which purposes (each with the legal basis this operator applies). A `disabled` entry
//! switches its API off: see [`super::gate`].
use std::collections::BTreeSet;

use super::audit::{record_upsert, record_write};
use super::page::{paginate, Page, PageRequest};
use super::views::{CapabilityInput, CapabilityView, PurposeInput, PurposeView};
use super::{check_if_match, etag, field, scopes, tenants, Ctx, ManageError, ManageResult};
use crate::consent::purpose_rule;
use crate::domain::{CapabilityId, CapabilityStatus, Purpose, Scope, TenantId};
use crate::store::Capability;

pub fn view(c: &Capability) -> CapabilityView {
    CapabilityView {
        id: c.id.to_string(),
        api_name: c.api_name.clone(),
        version: c.version.clone(),
        base_path: c.base_path.clone(),
        scopes: c.scopes.iter().map(|s| s.to_string()).collect(),
        purposes: c
            .purposes
            .iter()
            .filter_map(|p| {
                purpose_rule(p.as_str()).map(|r| PurposeView {
                    purpose: p.to_string(),
                    legal_basis: r.legal_basis,
                })
            })
            .collect(),
        status: c.status,
    }
}

fn target(id: &CapabilityId) -> String {
    format!("capability:{id}")
}

pub fn parse_id(id: &str) -> ManageResult<CapabilityId> {
    field("id", CapabilityId::parse(id))
}

pub async fn load(cx: &Ctx<'_>, tenant: &TenantId, id: &CapabilityId) -> ManageResult<Capability> {
    cx.store
        .get_capability(tenant, id)
        .await?
        .ok_or_else(|| ManageError::NotFound(format!("capability '{id}' not found")))
}

fn token_ok(s: &str, max: usize, extra: &[u8]) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || extra.contains(&b))
}

/// Validates an entry into the record it describes.
fn build(tenant: &TenantId, id: CapabilityId, input: CapabilityInput) -> ManageResult<Capability> {
    if !token_ok(&input.api_name, 64, b"-")
        || !input.api_name.starts_with(|c: char| c.is_ascii_lowercase())
    {
        return Err(ManageError::Invalid(
            "apiName must be a CAMARA API name: lower-case letters, digits and '-'".into(),
        ));
    }
    if !token_ok(&input.version, 32, b".-+") {
        return Err(ManageError::Invalid(
            "version must be 1-32 characters of [A-Za-z0-9.+-], e.g. 2.1.0".into(),
        ));
    }
    if !input.base_path.starts_with('/')
        || !token_ok(&input.base_path[1..], 200, b"/-_.")
        || input.base_path.ends_with('/')
    {
        return Err(ManageError::Invalid(
            "basePath must be an absolute path without a trailing '/', e.g. /sim-swap/v2".into(),
        ));
    }
    if input.scopes.is_empty() {
        return Err(ManageError::Invalid("scopes must not be empty".into()));
    }
    let mut scopes_seen = BTreeSet::new();
    let mut scope_list = Vec::new();
    for s in &input.scopes {
        let scope = field("scopes", Scope::parse(s))?;
        if scopes::is_management(s) || scope.is_openid() {
            return Err(ManageError::unprocessable(
                "INVALID_SCOPE",
                format!("'{s}' is not a technical scope of a network API"),
            ));
        }
        if scopes_seen.insert(scope.clone()) {
            scope_list.push(scope);
        }
    }
    let mut purposes: Vec<Purpose> = Vec::new();
    for p in &input.purposes {
        let purpose = field("purposes", Purpose::parse(p.name()))?;
        let rule = purpose_rule(purpose.as_str()).ok_or_else(|| {
            ManageError::unprocessable(
                "UNKNOWN_PURPOSE",
                format!("purpose '{purpose}' is not one this operator recognises"),
            )
        })?;
        if let PurposeInput::Entry {
            legal_basis: Some(basis),
            ..
        } = p
        {
            if *basis != rule.legal_basis {
                return Err(ManageError::unprocessable(
                    "LEGAL_BASIS_MISMATCH",
                    format!(
                        "this operator processes '{purpose}' on the legal basis '{}', not '{basis}'",
                        rule.legal_basis
                    ),
                ));
            }
        }
        if !purposes.contains(&purpose) {
            purposes.push(purpose);
        }
    }
    Ok(Capability {
        tenant: tenant.clone(),
        id,
        api_name: input.api_name,
        version: input.version,
        base_path: input.base_path,
        scopes: scope_list,
        purposes,
        status: input.status.unwrap_or(CapabilityStatus::Available),
    })
}

pub async fn list(
    cx: &Ctx<'_>,
    tenant: &TenantId,
    page: &PageRequest,
) -> ManageResult<Page<CapabilityView>> {
    cx.actor.authorize(scopes::CATALOG_READ, tenant)?;
    tenants::load(cx, tenant).await?;
    let mut all = cx.store.list_capabilities(tenant).await?.to_vec();
    all.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(paginate(all, |c| c.id.to_string(), page).map(|c| view(&c)))
}

pub async fn get(
    cx: &Ctx<'_>,
    tenant: &TenantId,
    id: &CapabilityId,
) -> ManageResult<CapabilityView> {
    cx.actor.authorize(scopes::CATALOG_READ, tenant)?;
    Ok(view(&load(cx, tenant, id).await?))
}

/// `POST`: adds an entry; 409 when the id exists.
pub async fn create(
    cx: &Ctx<'_>,
    tenant: &TenantId,
    input: CapabilityInput,
) -> ManageResult<CapabilityView> {
    cx.actor.authorize(scopes::CATALOG_WRITE, tenant)?;
    tenants::load(cx, tenant).await?;
    let id = parse_id(
        input
            .id
            .as_deref()
            .ok_or_else(|| ManageError::Invalid("id is required".into()))?,
    )?;
    if cx.store.get_capability(tenant, &id).await?.is_some() {
        return Err(ManageError::Conflict(format!(
            "capability '{id}' already exists"
        )));
    }
    let cap = build(tenant, id.clone(), input)?;
    cx.store.upsert_capability(&cap).await?;
    let after = view(&cap);
    record_write::<CapabilityView, _>(
        cx,
        tenant,
        "capability.create",
        &target(&id),
        None,
        Some(&after),
    )
    .await?;
    Ok(after)
}

/// `PUT`: creates or replaces the entry named `id`; true when it was created.
pub async fn put(
    cx: &Ctx<'_>,
    tenant: &TenantId,
    id: &CapabilityId,
    input: CapabilityInput,
    if_match: Option<&str>,
) -> ManageResult<(CapabilityView, bool)> {
    cx.actor.authorize(scopes::CATALOG_WRITE, tenant)?;
    tenants::load(cx, tenant).await?;
    if let Some(body_id) = &input.id {
        if body_id != id.as_str() {
            return Err(ManageError::Invalid(format!(
                "id in the body ('{body_id}') differs from the path ('{id}')"
            )));
        }
    }
    let current = cx.store.get_capability(tenant, id).await?;
    let before = current.as_ref().map(view);
    match &before {
        Some(b) => check_if_match(if_match, &etag(b))?,
        // RFC 9110 §13.1.1: If-Match on a resource that does not exist fails.
        None if if_match.is_some() => return Err(ManageError::PreconditionFailed),
        None => {}
    }
    let next = build(tenant, id.clone(), input)?;
    let after = view(&next);
    if current.as_ref() == Some(&next) {
        return Ok((after, false));
    }
    cx.store.upsert_capability(&next).await?;
    record_upsert(
        cx,
        tenant,
        "capability",
        &target(id),
        before.as_ref(),
        after,
    )
    .await
}

pub async fn delete(
    cx: &Ctx<'_>,
    tenant: &TenantId,
    id: &CapabilityId,
    if_match: Option<&str>,
) -> ManageResult<()> {
    cx.actor.authorize(scopes::CATALOG_WRITE, tenant)?;
    let current = load(cx, tenant, id).await?;
    let before = view(&current);
    check_if_match(if_match, &etag(&before))?;
    cx.store.delete_capability(tenant, id).await?;
    record_write::<_, CapabilityView>(
        cx,
        tenant,
        "capability.delete",
        &target(id),
        Some(&before),
        None,
    )
    .await
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::domain::LegalBasis;

    fn input(purposes: Vec<PurposeInput>) -> CapabilityInput {
        CapabilityInput {
            id: None,
            api_name: "sim-swap".into(),
            version: "2.1.0".into(),
            base_path: "/sim-swap/v2".into(),
            scopes: vec!["sim-swap:check".into(), "sim-swap:check".into()],
            purposes,
            status: None,
        }
    }

    #[test]
    fn builds_and_validates_entries() {
        let t = TenantId::parse("t").unwrap();
        let id = CapabilityId::parse("sim-swap-v2").unwrap();
        let c = build(
            &t,
            id.clone(),
            input(vec![PurposeInput::Name(
                "dpv:FraudPreventionAndDetection".into(),
            )]),
        )
        .unwrap();
        assert_eq!(c.scopes.len(), 1);
        assert_eq!(c.status, CapabilityStatus::Available);
        assert_eq!(
            view(&c).purposes[0].legal_basis,
            LegalBasis::LegitimateInterest
        );

        let mismatch = input(vec![PurposeInput::Entry {
            purpose: "dpv:FraudPreventionAndDetection".into(),
            legal_basis: Some(LegalBasis::Consent),
        }]);
        assert!(matches!(
            build(&t, id.clone(), mismatch),
            Err(ManageError::Unprocessable {
                code: "LEGAL_BASIS_MISMATCH",
                ..
            })
        ));
        let unknown = input(vec![PurposeInput::Name("dpv:Marketing".into())]);
        assert!(matches!(
            build(&t, id.clone(), unknown),
            Err(ManageError::Unprocessable {
                code: "UNKNOWN_PURPOSE",
                ..
            })
        ));
        let mut bad_path = input(vec![]);
        bad_path.base_path = "sim-swap/v2/".into();
        assert!(matches!(
            build(&t, id.clone(), bad_path),
            Err(ManageError::Invalid(_))
        ));
        let mut mgmt = input(vec![]);
        mgmt.scopes = vec!["admin:tenants".into()];
        assert!(matches!(
            build(&t, id, mgmt),
            Err(ManageError::Unprocessable { .. })
        ));
    }
}
