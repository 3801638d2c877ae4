//! `/v1/views` (the caller's own tenant) and `/v1/tenants/{tenant}/views`: the consent
//! page's texts and branding per purpose, optionally narrowed to one capability of the
//! catalog and/or one application, per locale (scopes `views:read`, `views:write`).
//!
//! The page picks the most specific view that matches ([`select`]): application and
//! capability > application > capability > the purpose's own view > the built-in default.
//! Within the chosen view the locale is negotiated (`Accept-Language`, then `ui_locales`),
//! and a locale the view lacks falls back to its `defaultLocale`.
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::audit::{record_upsert, record_write};
use super::page::{paginate, Page, PageRequest};
use super::{check_if_match, etag, field, scopes, tenants, text, Ctx, ManageError, ManageResult};
use crate::consent::purpose_rule;
use crate::consent::views::{logo_origin, parse_colour};
use crate::domain::{CapabilityId, ClientId, Purpose, Scope, TenantId};
use crate::store::{Capability, ConsentViewRecord, Store, StoreResult};

/// The texts of one locale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ViewTexts {
    pub title: String,
    /// What the application will learn.
    pub explanation: String,
    pub legal_text: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Branding {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator_name: Option<String>,
    /// `#rrggbb` (stored in lower case): the page's accent (header rule, buttons), served
    /// as a stylesheet of our own origin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "#e4002b")]
    pub colour: Option<String>,
    /// An `https` URL without credentials (at most 500 characters); shown with the
    /// operator name as its alt text. The page's CSP allows images from its origin only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo_url: Option<String>,
}

/// A view definition as written (`PUT`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ViewInput {
    pub purpose: String,
    /// Only when the request's scopes all belong to this capability of the tenant's catalog
    /// (its id, e.g. `sim-swap-v2`); absent: any scopes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capability: Option<String>,
    /// Only for this application of the tenant; absent: every application.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    pub default_locale: String,
    /// Locale (`es`, `en`, …) → texts; must contain `defaultLocale`.
    pub locales: BTreeMap<String, ViewTexts>,
    #[serde(default)]
    pub branding: Branding,
}

/// A view definition as read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ViewView {
    pub id: String,
    #[serde(flatten)]
    pub definition: ViewInput,
    pub updated_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ViewPage {
    pub items: Vec<ViewView>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

impl From<Page<ViewView>> for ViewPage {
    fn from(p: Page<ViewView>) -> Self {
        Self {
            items: p.items,
            next_cursor: p.next_cursor,
        }
    }
}

fn view(r: &ConsentViewRecord) -> ManageResult<ViewView> {
    let definition: ViewInput = serde_json::from_value(r.body.clone()).map_err(|e| {
        ManageError::Store(crate::store::StoreError::Corrupt(format!(
            "OGW-M010 stored view '{}': {e}",
            r.id
        )))
    })?;
    Ok(ViewView {
        id: r.id.clone(),
        definition,
        updated_at: r
            .updated_at
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    })
}

pub fn parse_id(id: &str) -> ManageResult<String> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if ok {
        Ok(id.to_owned())
    } else {
        Err(ManageError::Invalid(
            "id must be 1-64 characters of [A-Za-z0-9._-]".into(),
        ))
    }
}

fn locale_ok(l: &str) -> bool {
    !l.is_empty() && l.len() <= 16 && l.bytes().all(|b| b.is_ascii_lowercase() || b == b'-')
}

/// What a view applies to: its purpose, and optionally a capability and an application.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Key {
    purpose: Purpose,
    capability: Option<CapabilityId>,
    client: Option<ClientId>,
}

impl Key {
    fn of(def: &ViewInput) -> Option<Self> {
        Some(Self {
            purpose: Purpose::parse(&def.purpose).ok()?,
            capability: match &def.capability {
                Some(c) => Some(CapabilityId::parse(c).ok()?),
                None => None,
            },
            client: match &def.client_id {
                Some(c) => Some(ClientId::parse(c).ok()?),
                None => None,
            },
        })
    }
}

/// Checks a definition against the rules and the tenant's catalog and applications, and
/// normalises it (the colour in lower case).
async fn validate(
    cx: &Ctx<'_>,
    tenant: &TenantId,
    mut input: ViewInput,
) -> ManageResult<(ViewInput, Key)> {
    let purpose = field("purpose", Purpose::parse(&input.purpose))?;
    if purpose_rule(purpose.as_str()).is_none() {
        return Err(ManageError::Unprocessable {
            code: "UNKNOWN_PURPOSE",
            message: format!("purpose '{purpose}' is not recognised by this operator"),
        });
    }
    let client = input
        .client_id
        .as_deref()
        .map(|c| field("clientId", ClientId::parse(c)))
        .transpose()?;
    let capability = input
        .capability
        .as_deref()
        .map(|c| field("capability", CapabilityId::parse(c)))
        .transpose()?;
    if !input.locales.keys().all(|l| locale_ok(l)) {
        return Err(ManageError::Invalid(
            "locales must be lower-case language tags, e.g. es, en, pt-br".into(),
        ));
    }
    if !input.locales.contains_key(&input.default_locale) {
        return Err(ManageError::Invalid(
            "locales must contain the defaultLocale".into(),
        ));
    }
    for (l, t) in &input.locales {
        if t.title.is_empty()
            || t.title.len() > 200
            || t.explanation.len() > 2000
            || t.legal_text.len() > 4000
        {
            return Err(ManageError::Invalid(format!(
                "locales.{l}: title 1-200, explanation ≤ 2000, legalText ≤ 4000 characters"
            )));
        }
    }
    if let Some(c) = &input.branding.colour {
        input.branding.colour = Some(parse_colour(c).ok_or_else(|| {
            ManageError::Invalid("branding.colour must be #rrggbb (six hex digits)".into())
        })?);
    }
    if let Some(n) = &input.branding.operator_name {
        input.branding.operator_name = Some(text("branding.operatorName", n, 100)?);
    }
    if let Some(u) = &input.branding.logo_url {
        if logo_origin(u).is_none() {
            return Err(ManageError::Invalid(
                "branding.logoUrl must be an https URL without credentials, quotes, spaces or \
                 angle brackets, at most 500 characters"
                    .into(),
            ));
        }
    }
    if let Some(id) = &capability {
        let cap = cx.store.get_capability(tenant, id).await?.ok_or_else(|| {
            ManageError::unprocessable(
                "UNKNOWN_CAPABILITY",
                format!("capability '{id}' is not in this tenant's catalog"),
            )
        })?;
        if !cap.purposes.contains(&purpose) {
            return Err(ManageError::unprocessable(
                "CAPABILITY_PURPOSE_MISMATCH",
                format!("capability '{id}' is not offered for the purpose '{purpose}'"),
            ));
        }
    }
    if let Some(c) = &client {
        let known = cx
            .store
            .find_application(c)
            .await?
            .is_some_and(|a| &a.tenant == tenant);
        if !known {
            return Err(ManageError::unprocessable(
                "UNKNOWN_APPLICATION",
                format!("application '{c}' is not registered in this tenant"),
            ));
        }
    }
    let key = Key {
        purpose,
        capability,
        client,
    };
    Ok((input, key))
}

fn target(id: &str) -> String {
    format!("view:{id}")
}

async fn load(cx: &Ctx<'_>, tenant: &TenantId, id: &str) -> ManageResult<ConsentViewRecord> {
    cx.store
        .get_view(tenant, id)
        .await?
        .ok_or_else(|| ManageError::NotFound(format!("view '{id}' not found")))
}

pub async fn list(
    cx: &Ctx<'_>,
    tenant: &TenantId,
    page: &PageRequest,
) -> ManageResult<Page<ViewView>> {
    cx.actor.authorize(scopes::VIEWS_READ, tenant)?;
    tenants::load(cx, tenant).await?;
    let all = cx
        .store
        .list_views(tenant)
        .await?
        .iter()
        .map(view)
        .collect::<ManageResult<Vec<_>>>()?;
    Ok(paginate(all, |v| v.id.clone(), page))
}

pub async fn get(cx: &Ctx<'_>, tenant: &TenantId, id: &str) -> ManageResult<ViewView> {
    cx.actor.authorize(scopes::VIEWS_READ, tenant)?;
    view(&load(cx, tenant, id).await?)
}

/// `PUT`: creates or replaces the view `id`; true when it was created.
pub async fn put(
    cx: &Ctx<'_>,
    tenant: &TenantId,
    id: &str,
    input: ViewInput,
    if_match: Option<&str>,
) -> ManageResult<(ViewView, bool)> {
    cx.actor.authorize(scopes::VIEWS_WRITE, tenant)?;
    tenants::load(cx, tenant).await?;
    let (input, key) = validate(cx, tenant, input).await?;
    let views = cx.store.list_views(tenant).await?;
    let current = views.iter().find(|v| v.id == id);
    let before = current.map(view).transpose()?;
    match &before {
        Some(b) => check_if_match(if_match, &etag(b))?,
        None if if_match.is_some() => return Err(ManageError::PreconditionFailed),
        None => {}
    }
    // One view per (purpose, capability, application): the page's choice must not depend
    // on which of two equal views was written last.
    if let Some(other) = views.iter().find(|v| {
        v.id != id
            && serde_json::from_value::<ViewInput>(v.body.clone())
                .ok()
                .and_then(|d| Key::of(&d))
                .is_some_and(|k| k == key)
    }) {
        return Err(ManageError::Conflict(format!(
            "view '{}' already covers this purpose, capability and application",
            other.id
        )));
    }
    let Key {
        purpose,
        client: client_id,
        ..
    } = key;
    let body = serde_json::to_value(&input)
        .map_err(|e| ManageError::Invalid(format!("view body: {e}")))?;
    let record = ConsentViewRecord {
        tenant: tenant.clone(),
        id: id.to_owned(),
        purpose,
        client_id,
        body,
        updated_at: cx.now,
    };
    cx.store.put_view(&record).await?;
    let after = view(&record)?;
    record_upsert(cx, tenant, "view", &target(id), before.as_ref(), after).await
}

pub async fn delete(
    cx: &Ctx<'_>,
    tenant: &TenantId,
    id: &str,
    if_match: Option<&str>,
) -> ManageResult<()> {
    cx.actor.authorize(scopes::VIEWS_WRITE, tenant)?;
    let before = view(&load(cx, tenant, id).await?)?;
    check_if_match(if_match, &etag(&before))?;
    cx.store.delete_view(tenant, id).await?;
    record_write::<_, ViewView>(cx, tenant, "view.delete", &target(id), Some(&before), None).await
}

/// Creates the view `id`; `CONFLICT` when it exists (the CLI's `ogw view create`).
pub async fn create(
    cx: &Ctx<'_>,
    tenant: &TenantId,
    id: &str,
    input: ViewInput,
) -> ManageResult<ViewView> {
    cx.actor.authorize(scopes::VIEWS_WRITE, tenant)?;
    if cx.store.get_view(tenant, id).await?.is_some() {
        return Err(ManageError::Conflict(format!("view '{id}' already exists")));
    }
    // Racing another create of the same id, the later write wins (as a PUT would).
    Ok(put(cx, tenant, id, input, None).await?.0)
}

/// Replaces the existing view `id`; `NOT_FOUND` when there is none (`ogw view update`).
/// Guarded by the ETag read first, so a concurrent change is a 412, not lost.
pub async fn update(
    cx: &Ctx<'_>,
    tenant: &TenantId,
    id: &str,
    input: ViewInput,
) -> ManageResult<ViewView> {
    let current = get(cx, tenant, id).await?;
    Ok(put(cx, tenant, id, input, Some(&etag(&current))).await?.0)
}

/// How specific a stored view is for a request, or `None` when it does not apply:
/// application and capability (3) > application (2) > capability (1) > purpose only (0).
/// A capability view applies when every requested scope is one of the capability's.
pub fn specificity(
    def: &ViewInput,
    purpose: &Purpose,
    client: &ClientId,
    scopes: &[Scope],
    catalog: &[Capability],
) -> Option<u8> {
    let key = Key::of(def)?;
    if &key.purpose != purpose {
        return None;
    }
    let app = match &key.client {
        None => 0,
        Some(c) if c == client => 2,
        Some(_) => return None,
    };
    let cap = match &key.capability {
        None => 0,
        Some(id) => {
            let c = catalog.iter().find(|c| &c.id == id)?;
            let covered = !scopes.is_empty() && scopes.iter().all(|s| c.scopes.contains(s));
            if !covered {
                return None;
            }
            1
        }
    };
    Some(app + cap)
}

/// The most specific of `views` for the request ([`specificity`]); among equals (left over
/// from before one view per key was enforced), the latest, then the smallest id.
pub fn select(
    views: &[ConsentViewRecord],
    purpose: &Purpose,
    client: &ClientId,
    scopes: &[Scope],
    catalog: &[Capability],
) -> Option<ViewInput> {
    views
        .iter()
        .filter_map(|v| {
            let def = serde_json::from_value::<ViewInput>(v.body.clone()).ok()?;
            let rank = specificity(&def, purpose, client, scopes, catalog)?;
            Some((rank, v, def))
        })
        .max_by(|(ra, a, _), (rb, b, _)| {
            ra.cmp(rb)
                .then(a.updated_at.cmp(&b.updated_at))
                .then(b.id.cmp(&a.id))
        })
        .map(|(_, _, def)| def)
}

/// The stored view the consent page uses for (purpose, client, scopes) ([`select`]);
/// `None` → the built-in default.
pub async fn resolve(
    store: &dyn Store,
    tenant: &TenantId,
    purpose: &Purpose,
    client: &ClientId,
    scopes: &[Scope],
) -> StoreResult<Option<ViewInput>> {
    let views = store.list_views(tenant).await?;
    if views.is_empty() {
        return Ok(None);
    }
    let catalog = if views
        .iter()
        .any(|v| v.body.get("capability").is_some_and(|c| !c.is_null()))
    {
        store.list_capabilities(tenant).await?
    } else {
        std::sync::Arc::default()
    };
    Ok(select(&views, purpose, client, scopes, &catalog))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::domain::CapabilityStatus;
    use chrono::TimeZone;

    fn cap(id: &str, scopes: &[&str]) -> Capability {
        Capability {
            tenant: TenantId::parse("t").unwrap(),
            id: CapabilityId::parse(id).unwrap(),
            api_name: id.into(),
            version: "1".into(),
            base_path: format!("/{id}"),
            scopes: scopes.iter().map(|s| Scope::parse(s).unwrap()).collect(),
            purposes: vec![Purpose::parse("dpv:FraudPreventionAndDetection").unwrap()],
            status: CapabilityStatus::Available,
        }
    }

    fn record(
        id: &str,
        capability: Option<&str>,
        client: Option<&str>,
        at: i64,
    ) -> ConsentViewRecord {
        let def = serde_json::json!({
            "purpose": "dpv:FraudPreventionAndDetection",
            "capability": capability,
            "clientId": client,
            "defaultLocale": "en",
            "locales": {"en": {"title": id, "explanation": "", "legalText": ""}},
        });
        ConsentViewRecord {
            tenant: TenantId::parse("t").unwrap(),
            id: id.into(),
            purpose: Purpose::parse("dpv:FraudPreventionAndDetection").unwrap(),
            client_id: client.map(|c| ClientId::parse(c).unwrap()),
            body: def,
            updated_at: chrono::Utc.timestamp_opt(at, 0).unwrap(),
        }
    }

    #[test]
    fn the_most_specific_view_wins() {
        let catalog = [
            cap("sim-swap-v2", &["sim-swap:check", "sim-swap:retrieve-date"]),
            cap("nv-v2", &["number-verification:verify"]),
        ];
        let purpose = Purpose::parse("dpv:FraudPreventionAndDetection").unwrap();
        let app = ClientId::parse("bank").unwrap();
        let sim = [Scope::parse("sim-swap:check").unwrap()];
        let title = |views: &[ConsentViewRecord], scopes: &[Scope]| {
            select(views, &purpose, &app, scopes, &catalog).map(|d| d.locales["en"].title.clone())
        };
        let mut views = vec![
            record("purpose", None, None, 1),
            record("cap", Some("sim-swap-v2"), None, 1),
            record("app", None, Some("bank"), 1),
            record("app-cap", Some("sim-swap-v2"), Some("bank"), 1),
            record("other-app", None, Some("shop"), 9),
            record("other-cap", Some("nv-v2"), Some("bank"), 9),
        ];
        assert_eq!(title(&views, &sim).as_deref(), Some("app-cap"));
        views.retain(|v| v.id != "app-cap");
        assert_eq!(title(&views, &sim).as_deref(), Some("app"));
        views.retain(|v| v.id != "app");
        assert_eq!(title(&views, &sim).as_deref(), Some("cap"));
        views.retain(|v| v.id != "cap");
        assert_eq!(title(&views, &sim).as_deref(), Some("purpose"));
        views.retain(|v| v.id != "purpose");
        assert_eq!(
            title(&views, &sim),
            None,
            "other apps' and capabilities' views never apply"
        );

        // A capability view needs every requested scope to be the capability's.
        let views = vec![
            record("purpose", None, None, 1),
            record("cap", Some("sim-swap-v2"), None, 1),
        ];
        let mixed = [
            Scope::parse("sim-swap:check").unwrap(),
            Scope::parse("number-verification:verify").unwrap(),
        ];
        assert_eq!(title(&views, &mixed).as_deref(), Some("purpose"));
        assert_eq!(title(&views, &[]).as_deref(), Some("purpose"));
        // Equal specificity (legacy duplicates): the latest.
        let views = vec![record("a", None, None, 1), record("b", None, None, 2)];
        assert_eq!(title(&views, &sim).as_deref(), Some("b"));
    }
}
