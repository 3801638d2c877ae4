//! Applications: the API consumers registered with a tenant. A client secret is generated
//! here (256 bits), returned once, and stored only as a keyed hash. Disabling an application
//! makes its tokens stop working: every token check goes through [`super::gate`].
use std::collections::BTreeSet;

use super::audit::record_write;
use super::page::{paginate, Page, PageRequest};
use super::views::{
    ApplicationCreate, ApplicationCreated, ApplicationPatch, ApplicationView, ClientSecretView,
};
use super::{
    check_if_match, etag, field, scopes, tenants, text, Actor, Ctx, ManageError, ManageResult,
};
use crate::consent::purpose_rule;
use crate::domain::{
    AppStatus, CapabilityId, ClientAuthMethod, ClientId, GrantType, Purpose, Scope, TenantId,
};
use crate::secret::generate_token;
use crate::store::{Application, Capability, StoreError};

const MAX_REDIRECT_URIS: usize = 20;

pub fn view(a: &Application) -> ApplicationView {
    ApplicationView {
        client_id: a.client_id.to_string(),
        tenant: a.tenant.to_string(),
        name: a.name.clone(),
        status: a.status,
        auth_methods: a.auth_methods.clone(),
        grant_types: a.grant_types.clone(),
        redirect_uris: a.redirect_uris.clone(),
        allowed_scopes: a.allowed_scopes.iter().map(|s| s.to_string()).collect(),
        allowed_purposes: a.allowed_purposes.iter().map(|p| p.to_string()).collect(),
        require_pkce: a.require_pkce,
        dpop_bound_access_tokens: a.dpop_bound_access_tokens,
        has_secret: a.secret_hash.is_some(),
        public_key_pem: a.public_key_pem.clone(),
        jwks: a.jwks.clone(),
        created_at: a.created_at,
    }
}

fn target(id: &ClientId) -> String {
    format!("application:{id}")
}

fn uses_secret(methods: &[ClientAuthMethod]) -> bool {
    methods.iter().any(|m| {
        matches!(
            m,
            ClientAuthMethod::ClientSecretBasic | ClientAuthMethod::ClientSecretPost
        )
    })
}

fn uses_key(methods: &[ClientAuthMethod]) -> bool {
    methods.iter().any(|m| {
        matches!(
            m,
            ClientAuthMethod::PrivateKeyJwt | ClientAuthMethod::AppJwt
        )
    })
}

pub fn parse_client_id(id: &str) -> ManageResult<ClientId> {
    field("clientId", ClientId::parse(id))
}

/// The application of this tenant, or 404 (an application of another tenant is not found).
pub async fn load(cx: &Ctx<'_>, tenant: &TenantId, id: &ClientId) -> ManageResult<Application> {
    match cx.store.find_application(id).await? {
        Some(a) if &a.tenant == tenant => Ok(std::sync::Arc::unwrap_or_clone(a)),
        _ => Err(ManageError::NotFound(format!(
            "application '{id}' not found"
        ))),
    }
}

/// Drops repeated entries, keeping the first of each in order.
fn dedup<T: PartialEq>(v: Vec<T>) -> Vec<T> {
    let mut out: Vec<T> = Vec::with_capacity(v.len());
    for x in v {
        if !out.contains(&x) {
            out.push(x);
        }
    }
    out
}

fn parse_scopes(list: &[String]) -> ManageResult<Vec<Scope>> {
    list.iter()
        .map(|s| field("allowedScopes", Scope::parse(s)))
        .collect()
}

fn parse_purposes(list: &[String]) -> ManageResult<Vec<Purpose>> {
    list.iter()
        .map(|p| field("allowedPurposes", Purpose::parse(p)))
        .collect()
}

/// The scopes of the named catalog entries.
fn capability_scopes(catalog: &[Capability], ids: &[String]) -> ManageResult<Vec<Scope>> {
    let mut out = Vec::new();
    for id in ids {
        let id = field("allowedCapabilities", CapabilityId::parse(id))?;
        let cap = catalog.iter().find(|c| c.id == id).ok_or_else(|| {
            ManageError::unprocessable(
                "UNKNOWN_CAPABILITY",
                format!("capability '{id}' is not in this tenant's catalog"),
            )
        })?;
        out.extend(cap.scopes.iter().cloned());
    }
    Ok(out)
}

fn check_redirect_uris(uris: &[String]) -> ManageResult<()> {
    if uris.len() > MAX_REDIRECT_URIS {
        return Err(ManageError::Invalid(format!(
            "redirectUris: at most {MAX_REDIRECT_URIS}"
        )));
    }
    for u in uris {
        if u.is_empty() || u.len() > 2000 || u.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(ManageError::Invalid(format!(
                "redirectUris: {u:?} is not a usable redirect URI"
            )));
        }
    }
    Ok(())
}

fn check_public_key(pem: &str) -> ManageResult<()> {
    use jsonwebtoken::DecodingKey;
    let b = pem.as_bytes();
    let ok = DecodingKey::from_rsa_pem(b).is_ok()
        || DecodingKey::from_ec_pem(b).is_ok()
        || DecodingKey::from_ed_pem(b).is_ok();
    if ok && pem.contains("PUBLIC KEY") {
        Ok(())
    } else {
        Err(ManageError::unprocessable(
            "INVALID_PUBLIC_KEY",
            "publicKeyPem must be an RSA, EC or Ed25519 public key in PEM (SPKI) form",
        ))
    }
}

fn check_jwks(jwks: &serde_json::Value) -> ManageResult<()> {
    match serde_json::from_value::<jsonwebtoken::jwk::JwkSet>(jwks.clone()) {
        Ok(set) if !set.keys.is_empty() => Ok(()),
        _ => Err(ManageError::unprocessable(
            "INVALID_JWKS",
            "jwks must be a JWK Set ({\"keys\": [...]}) with at least one public key",
        )),
    }
}

/// Rules on the whole record, applied after create and after every update.
fn check(app: &Application, catalog: &[Capability], actor: &Actor) -> ManageResult<()> {
    if app.auth_methods.is_empty() {
        return Err(ManageError::Invalid("authMethods must not be empty".into()));
    }
    if app.grant_types.is_empty() {
        return Err(ManageError::Invalid("grantTypes must not be empty".into()));
    }
    check_redirect_uris(&app.redirect_uris)?;
    if app.grant_types.contains(&GrantType::AuthorizationCode) && app.redirect_uris.is_empty() {
        return Err(ManageError::unprocessable(
            "MISSING_REDIRECT_URI",
            "the authorization_code grant needs at least one redirect URI",
        ));
    }
    if let Some(pem) = &app.public_key_pem {
        check_public_key(pem)?;
    }
    if let Some(jwks) = &app.jwks {
        check_jwks(jwks)?;
    }
    if uses_key(&app.auth_methods) && app.public_key_pem.is_none() && app.jwks.is_none() {
        return Err(ManageError::unprocessable(
            "MISSING_CLIENT_KEY",
            "private_key_jwt and app_jwt need publicKeyPem or jwks",
        ));
    }
    if uses_secret(&app.auth_methods) && app.secret_hash.is_none() {
        return Err(ManageError::unprocessable(
            "MISSING_CLIENT_SECRET",
            "secret-based authentication needs a client secret: POST …/secret to set one first",
        ));
    }
    let catalog_scopes: BTreeSet<&str> = catalog
        .iter()
        .flat_map(|c| c.scopes.iter().map(Scope::as_str))
        .collect();
    for s in &app.allowed_scopes {
        let name = s.as_str();
        if scopes::is_management(name) {
            // No escalation: a management client grants only management scopes it holds.
            if !actor.holds(name) {
                return Err(ManageError::Forbidden(format!(
                    "you may not grant the '{name}' scope, which you do not hold"
                )));
            }
        } else if !(s.is_openid() || catalog_scopes.contains(name)) {
            return Err(ManageError::unprocessable(
                "UNKNOWN_SCOPE",
                format!("scope '{name}' is not offered by any capability of this tenant's catalog"),
            ));
        }
    }
    for p in &app.allowed_purposes {
        if purpose_rule(p.as_str()).is_none() {
            return Err(ManageError::unprocessable(
                "UNKNOWN_PURPOSE",
                format!("purpose '{p}' is not one this operator recognises"),
            ));
        }
    }
    Ok(())
}

pub async fn create(
    cx: &Ctx<'_>,
    tenant: &TenantId,
    input: ApplicationCreate,
) -> ManageResult<ApplicationCreated> {
    cx.actor.authorize(scopes::APPS_WRITE, tenant)?;
    tenants::load(cx, tenant).await?;
    let catalog = cx.store.list_capabilities(tenant).await?;
    let client_id = match &input.client_id {
        Some(id) => parse_client_id(id)?,
        None => parse_client_id(&format!("app-{}", uuid::Uuid::new_v4().simple()))?,
    };
    let auth_methods = dedup(input.auth_methods.unwrap_or_else(|| {
        vec![
            ClientAuthMethod::ClientSecretBasic,
            ClientAuthMethod::ClientSecretPost,
        ]
    }));
    let mut allowed_scopes = parse_scopes(&input.allowed_scopes)?;
    allowed_scopes.extend(capability_scopes(&catalog, &input.allowed_capabilities)?);
    let secret = uses_secret(&auth_methods).then(generate_token);
    let app = Application {
        tenant: tenant.clone(),
        client_id: client_id.clone(),
        name: text("name", &input.name, 200)?,
        secret_hash: secret.as_deref().map(|s| cx.pepper.hash(s)),
        auth_methods,
        public_key_pem: input.public_key_pem.map(|p| p.trim().to_owned()),
        jwks: input.jwks,
        redirect_uris: dedup(input.redirect_uris),
        grant_types: dedup(
            input
                .grant_types
                .unwrap_or_else(|| vec![GrantType::ClientCredentials]),
        ),
        allowed_scopes: dedup(allowed_scopes),
        allowed_purposes: dedup(parse_purposes(&input.allowed_purposes)?),
        require_pkce: input.require_pkce.unwrap_or(false),
        dpop_bound_access_tokens: input.dpop_bound_access_tokens.unwrap_or(false),
        status: input.status.unwrap_or(AppStatus::Active),
        created_at: cx.now,
    };
    check(&app, &catalog, cx.actor)?;
    match cx.store.create_application(&app).await {
        Err(StoreError::Conflict(_)) => {
            return Err(ManageError::Conflict(format!(
                "client id '{client_id}' is already registered"
            )))
        }
        other => other?,
    }
    let after = view(&app);
    record_write::<ApplicationView, _>(
        cx,
        tenant,
        "application.create",
        &target(&client_id),
        None,
        Some(&after),
    )
    .await?;
    Ok(ApplicationCreated {
        application: after,
        client_secret: secret,
    })
}

pub async fn list(
    cx: &Ctx<'_>,
    tenant: &TenantId,
    page: &PageRequest,
) -> ManageResult<Page<ApplicationView>> {
    cx.actor.authorize(scopes::APPS_READ, tenant)?;
    tenants::load(cx, tenant).await?;
    let mut apps = cx.store.list_applications(tenant).await?;
    apps.sort_by(|a, b| a.client_id.cmp(&b.client_id));
    Ok(paginate(apps, |a| a.client_id.to_string(), page).map(|a| view(&a)))
}

pub async fn get(cx: &Ctx<'_>, tenant: &TenantId, id: &ClientId) -> ManageResult<ApplicationView> {
    cx.actor.authorize(scopes::APPS_READ, tenant)?;
    Ok(view(&load(cx, tenant, id).await?))
}

pub async fn update(
    cx: &Ctx<'_>,
    tenant: &TenantId,
    id: &ClientId,
    patch: ApplicationPatch,
    if_match: Option<&str>,
) -> ManageResult<ApplicationView> {
    cx.actor.authorize(scopes::APPS_WRITE, tenant)?;
    let current = load(cx, tenant, id).await?;
    let before = view(&current);
    check_if_match(if_match, &etag(&before))?;
    let catalog = cx.store.list_capabilities(tenant).await?;
    let mut next = current.clone();
    if let Some(name) = &patch.name {
        next.name = text("name", name, 200)?;
    }
    if let Some(m) = patch.auth_methods {
        next.auth_methods = dedup(m);
        if !uses_secret(&next.auth_methods) {
            // A secret no method accepts is only a liability.
            next.secret_hash = None;
        }
    }
    if let Some(g) = patch.grant_types {
        next.grant_types = dedup(g);
    }
    if let Some(r) = patch.redirect_uris {
        next.redirect_uris = dedup(r);
    }
    if let Some(s) = &patch.allowed_scopes {
        next.allowed_scopes = parse_scopes(s)?;
    }
    if let Some(c) = &patch.allowed_capabilities {
        next.allowed_scopes.extend(capability_scopes(&catalog, c)?);
    }
    next.allowed_scopes = dedup(next.allowed_scopes);
    if let Some(p) = &patch.allowed_purposes {
        next.allowed_purposes = dedup(parse_purposes(p)?);
    }
    if let Some(v) = patch.require_pkce {
        next.require_pkce = v;
    }
    if let Some(v) = patch.dpop_bound_access_tokens {
        next.dpop_bound_access_tokens = v;
    }
    if let Some(pem) = patch.public_key_pem {
        next.public_key_pem = Some(pem.trim().to_owned()).filter(|p| !p.is_empty());
    }
    if let Some(jwks) = patch.jwks {
        next.jwks = Some(jwks).filter(|j| !j.is_null());
    }
    if let Some(s) = patch.status {
        next.status = s;
    }
    // Scopes the application already held stay grantable by whoever edits it.
    let held: Vec<String> = current
        .allowed_scopes
        .iter()
        .map(|s| s.to_string())
        .collect();
    check(&next, &catalog, &widened(cx.actor, &held))?;
    if next == current {
        return Ok(before);
    }
    cx.store.update_application(&next).await?;
    let after = view(&next);
    let action = match (current.status, next.status) {
        (AppStatus::Active, AppStatus::Disabled) => "application.disable",
        (AppStatus::Disabled, AppStatus::Active) => "application.enable",
        _ => "application.update",
    };
    record_write(cx, tenant, action, &target(id), Some(&before), Some(&after)).await?;
    Ok(after)
}

/// The actor, also holding `extra` scopes (for the escalation rule on an existing record).
fn widened(actor: &Actor, extra: &[String]) -> Actor {
    match actor {
        Actor::Client {
            tenant,
            client_id,
            scopes,
        } => Actor::Client {
            tenant: tenant.clone(),
            client_id: client_id.clone(),
            scopes: scopes.iter().chain(extra).cloned().collect(),
        },
        local => local.clone(),
    }
}

/// Issues a new client secret (the previous one stops working) and returns it once.
pub async fn rotate_secret(
    cx: &Ctx<'_>,
    tenant: &TenantId,
    id: &ClientId,
) -> ManageResult<ClientSecretView> {
    cx.actor.authorize(scopes::APPS_WRITE, tenant)?;
    let current = load(cx, tenant, id).await?;
    let secret = generate_token();
    let mut next = current.clone();
    next.secret_hash = Some(cx.pepper.hash(&secret));
    cx.store.update_application(&next).await?;
    super::audit::record(
        cx,
        tenant,
        "application.rotate_secret",
        &target(id),
        "",
        serde_json::json!({
            "before": {"hasSecret": current.secret_hash.is_some()},
            "after": {"hasSecret": true},
        }),
    )
    .await?;
    Ok(ClientSecretView {
        client_id: id.to_string(),
        client_secret: secret,
    })
}

pub async fn delete(
    cx: &Ctx<'_>,
    tenant: &TenantId,
    id: &ClientId,
    if_match: Option<&str>,
) -> ManageResult<()> {
    cx.actor.authorize(scopes::APPS_WRITE, tenant)?;
    let current = load(cx, tenant, id).await?;
    let before = view(&current);
    check_if_match(if_match, &etag(&before))?;
    cx.store.delete_application(tenant, id).await?;
    record_write::<_, ApplicationView>(
        cx,
        tenant,
        "application.delete",
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
    use crate::domain::{CapabilityStatus, Scope};
    use chrono::Utc;

    fn app(methods: Vec<ClientAuthMethod>, scopes: &[&str]) -> Application {
        Application {
            tenant: TenantId::parse("t").unwrap(),
            client_id: ClientId::parse("c").unwrap(),
            name: "n".into(),
            secret_hash: Some("v1$x".into()),
            auth_methods: methods,
            public_key_pem: None,
            jwks: None,
            redirect_uris: vec![],
            grant_types: vec![GrantType::ClientCredentials],
            allowed_scopes: scopes.iter().map(|s| Scope::parse(s).unwrap()).collect(),
            allowed_purposes: vec![],
            require_pkce: false,
            dpop_bound_access_tokens: false,
            status: AppStatus::Active,
            created_at: Utc::now(),
        }
    }

    fn catalog() -> Vec<Capability> {
        vec![Capability {
            tenant: TenantId::parse("t").unwrap(),
            id: CapabilityId::parse("sim-swap-v2").unwrap(),
            api_name: "sim-swap".into(),
            version: "2.1.0".into(),
            base_path: "/sim-swap/v2".into(),
            scopes: vec![Scope::parse("sim-swap:check").unwrap()],
            purposes: vec![],
            status: CapabilityStatus::Available,
        }]
    }

    fn client(scopes: &[&str]) -> Actor {
        Actor::Client {
            tenant: TenantId::parse("t").unwrap(),
            client_id: ClientId::parse("admin").unwrap(),
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn code(r: ManageResult<()>) -> &'static str {
        match r {
            Ok(()) => "OK",
            Err(e) => e.code(),
        }
    }

    #[test]
    fn record_rules() {
        let secret = vec![ClientAuthMethod::ClientSecretBasic];
        let cat = catalog();
        let local = Actor::Local { name: "ops".into() };
        assert_eq!(
            code(check(
                &app(secret.clone(), &["sim-swap:check", "openid"]),
                &cat,
                &local
            )),
            "OK"
        );
        assert_eq!(
            code(check(
                &app(secret.clone(), &["qos-profiles:read"]),
                &cat,
                &local
            )),
            "UNKNOWN_SCOPE"
        );
        // Management scopes: only those the actor holds.
        assert_eq!(
            code(check(
                &app(secret.clone(), &["apps:read"]),
                &cat,
                &client(&["apps:read"])
            )),
            "OK"
        );
        assert_eq!(
            code(check(
                &app(secret.clone(), &["audit:read"]),
                &cat,
                &client(&["apps:read"])
            )),
            "PERMISSION_DENIED"
        );
        let mut no_secret = app(secret, &[]);
        no_secret.secret_hash = None;
        assert_eq!(
            code(check(&no_secret, &cat, &local)),
            "MISSING_CLIENT_SECRET"
        );
        let keyed = app(vec![ClientAuthMethod::AppJwt], &[]);
        assert_eq!(code(check(&keyed, &cat, &local)), "MISSING_CLIENT_KEY");
        let mut jwks = keyed.clone();
        jwks.jwks = Some(serde_json::json!({"keys": [{"kty": "RSA", "n": "AQAB", "e": "AQAB"}]}));
        assert_eq!(code(check(&jwks, &cat, &local)), "OK");
        assert_eq!(dedup(vec![2, 1, 2, 3, 1]), vec![2, 1, 3]);
    }
}
