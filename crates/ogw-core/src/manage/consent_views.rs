//! `/v1/tenants/{tenant}/views`: the consent page's texts and branding per purpose (and
//! optionally per application), per locale (scopes `views:read`, `views:write`). The page
//! picks the view for (purpose, app), else (purpose), else the built-in default; a missing
//! locale falls back to the view's `defaultLocale`.
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::audit::record_write;
use super::page::{paginate, Page, PageRequest};
use super::{check_if_match, etag, field, scopes, tenants, Ctx, ManageError, ManageResult};
use crate::consent::purpose_rule;
use crate::domain::{ClientId, Purpose, TenantId};
use crate::store::{ConsentViewRecord, Store, StoreResult};

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
    /// `#rrggbb`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub colour: Option<String>,
    /// https only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo_url: Option<String>,
}

/// A view definition as written (`PUT`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ViewInput {
    pub purpose: String,
    /// Only for this application; absent: every application.
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

fn validate(input: &ViewInput) -> ManageResult<(Purpose, Option<ClientId>)> {
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
        if !(c.len() == 7 && c.starts_with('#') && c[1..].bytes().all(|b| b.is_ascii_hexdigit())) {
            return Err(ManageError::Invalid(
                "branding.colour must be #rrggbb".into(),
            ));
        }
    }
    if let Some(u) = &input.branding.logo_url {
        if !u.starts_with("https://") || u.len() > 500 || u.contains(['"', '\'', '<', '>', ' ']) {
            return Err(ManageError::Invalid(
                "branding.logoUrl must be an https URL".into(),
            ));
        }
    }
    Ok((purpose, client))
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
    let (purpose, client_id) = validate(&input)?;
    let current = cx.store.get_view(tenant, id).await?;
    let before = current.as_ref().map(view).transpose()?;
    match &before {
        Some(b) => check_if_match(if_match, &etag(b))?,
        None if if_match.is_some() => return Err(ManageError::PreconditionFailed),
        None => {}
    }
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
    let action = if before.is_some() {
        "view.update"
    } else {
        "view.create"
    };
    record_write(
        cx,
        tenant,
        action,
        &target(id),
        before.as_ref(),
        Some(&after),
    )
    .await?;
    Ok((after, before.is_none()))
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

/// The stored view the consent page uses for (purpose, client): the app's own first, then
/// the purpose's; `None` → the built-in default.
pub async fn resolve(
    store: &dyn Store,
    tenant: &TenantId,
    purpose: &Purpose,
    client: &ClientId,
) -> StoreResult<Option<ViewInput>> {
    let views = store.list_views(tenant).await?;
    let pick = views
        .iter()
        .filter(|v| &v.purpose == purpose && v.client_id.as_ref() == Some(client))
        .chain(
            views
                .iter()
                .filter(|v| &v.purpose == purpose && v.client_id.is_none()),
        )
        .find_map(|v| serde_json::from_value::<ViewInput>(v.body.clone()).ok());
    Ok(pick)
}
