//! The operator's management API, always under `/v1` (DECISIONS 10), whatever `base_path`
//! the public routes use. Each resource module returns an `OpenApiRouter`: the routes and
//! their OpenAPI 3.1 description come from the same handlers, served at `/v1/openapi.json`.
//!
//! Conventions: JSON in camelCase; errors `{status, code, message}`; lists take `limit`
//! (1..=500, default 50) and `cursor` and answer `{items, nextCursor?}`; single resources
//! carry a strong `ETag`; updates and deletes accept `If-Match` (optional — absent means
//! last writer wins; present and stale means 412); creates answer 201 with `Location`.
mod applications;
mod audit;
mod capabilities;
mod consents;
mod subscribers;
pub mod support;
mod tenants;
mod views;

use std::sync::Arc;

use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::OpenApi as OpenApiDoc;
use utoipa::{IntoParams, Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

use crate::state::AppState;

/// Pagination parameters shared by every list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Page size, 1..=500 (default 50).
    #[serde(default)]
    pub limit: Option<u32>,
    /// `nextCursor` of the previous page.
    #[serde(default)]
    pub cursor: Option<String>,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "ogw management API",
        version = "1.0.0",
        description = "Tenants, applications, the capabilities catalog, consents, subscribers \
            and network facts, and the audit trail of an ogw operator gateway. Callers use \
            OAuth client_credentials access tokens from this server carrying management scopes."
    ),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    tags(
        (name = "tenants", description = "Tenant management (scope admin:tenants)"),
        (name = "applications", description = "API consumers (apps:read, apps:write)"),
        (name = "capabilities", description = "The CAMARA capabilities catalog (catalog:read, catalog:write)"),
        (name = "consents", description = "Consent decisions and records (consents:read, consents:write)"),
        (name = "subscribers", description = "Subscribers and network facts (subscribers:read, subscribers:write)"),
        (name = "audit", description = "The audit trail (audit:read)"),
        (name = "views", description = "Consent page texts and branding per purpose, capability, app and locale (views:read, views:write); `/v1/views` is the caller's own tenant"),
    )
)]
struct ManageDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut OpenApiDoc) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut scheme = Http::new(HttpAuthScheme::Bearer);
        scheme.bearer_format = Some("JWT".into());
        scheme.description = Some(
            "An access token of this server (client_credentials grant) with management scopes: \
             admin:tenants, apps:read, apps:write, catalog:read, catalog:write, consents:read, \
             consents:write, subscribers:read, subscribers:write, audit:read, views:read, \
             views:write."
                .into(),
        );
        components.add_security_scheme("bearer", SecurityScheme::Http(scheme));
    }
}

/// Documents each caller's-own-tenant alias (`/v1/views`) as a copy of its tenant-scoped
/// route without the `tenant` parameter (operation ids get an `_own_tenant` suffix, which
/// OpenAPI requires to be unique). The aliases are served by the same handlers.
fn own_tenant_aliases(doc: &mut OpenApiDoc, aliases: &[(&str, &str)]) {
    for (scoped, alias) in aliases {
        let Some(mut item) = doc.paths.paths.get(*scoped).cloned() else {
            continue;
        };
        for op in [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.patch,
            &mut item.delete,
        ]
        .into_iter()
        .flatten()
        {
            if let Some(params) = &mut op.parameters {
                params.retain(|p| p.name != "tenant");
            }
            if let Some(id) = &mut op.operation_id {
                id.push_str("_own_tenant");
            }
            let note = format!("Acts on the caller's own tenant (`{scoped}` names one).");
            op.description = Some(match op.description.take() {
                Some(d) if !d.is_empty() => format!("{d}\n\n{note}"),
                _ => note,
            });
        }
        doc.paths.paths.insert((*alias).to_owned(), item);
    }
}

/// The management routes and their OpenAPI document.
pub fn api() -> (Router<AppState>, OpenApiDoc) {
    let (router, mut doc) = OpenApiRouter::with_openapi(ManageDoc::openapi())
        .merge(tenants::routes())
        .merge(applications::routes())
        .merge(capabilities::routes())
        .merge(consents::routes())
        .merge(subscribers::routes())
        .merge(audit::routes())
        .merge(views::routes())
        .split_for_parts();
    own_tenant_aliases(&mut doc, views::OWN_TENANT_ALIASES);
    // The network routes are mounted apart (the import's own timeout), documented here.
    (
        router,
        doc.merge_from(super::network::NetworkDoc::openapi()),
    )
}

/// The management API, with `/v1/openapi.json` describing it.
pub fn routes() -> Router<AppState> {
    let (router, doc) = api();
    let doc = Arc::new(doc);
    router.route(
        "/v1/openapi.json",
        get(move || {
            let doc = doc.clone();
            async move { Json(doc.as_ref().clone()) }
        }),
    )
}
