//! Helpers for the management API tests: management clients and their tokens, and a
//! small JSON client that returns status, headers and body.
use chrono::Utc;
use ogw_core::domain::*;
use ogw_core::manage::SYSTEM_TENANT;
use ogw_core::oauth::tokens::AccessClaims;
use ogw_core::store::{Application, Tenant};
use reqwest::header::HeaderMap;
use reqwest::Method;
use serde_json::Value;

use crate::common::TestApp;

pub const ALL: &str = "admin:tenants apps:read apps:write catalog:read catalog:write \
    consents:read consents:write subscribers:read subscribers:write audit:read views:read \
    views:write";

/// Registers a management client (creating its tenant when missing) and returns a token
/// for it with `scope`.
pub async fn manager(app: &TestApp, tenant: &str, client_id: &str, scope: &str) -> String {
    let store = &app.state.store;
    let tid = TenantId::parse(tenant).unwrap();
    if store.get_tenant(&tid).await.unwrap().is_none() {
        store
            .create_tenant(&Tenant {
                id: tid.clone(),
                name: format!("{tenant} tenant"),
                status: TenantStatus::Active,
                created_at: Utc::now(),
            })
            .await
            .unwrap();
    }
    store
        .create_application(&Application {
            tenant: tid,
            client_id: ClientId::parse(client_id).unwrap(),
            name: format!("{client_id} (management)"),
            secret_hash: Some(app.state.pepper.hash("s3cret")),
            auth_methods: vec![ClientAuthMethod::ClientSecretBasic],
            public_key_pem: None,
            jwks: None,
            redirect_uris: vec![],
            grant_types: vec![GrantType::ClientCredentials],
            allowed_scopes: ScopeSet::parse_space_separated(scope)
                .unwrap()
                .iter()
                .cloned()
                .collect(),
            allowed_purposes: vec![],
            require_pkce: false,
            dpop_bound_access_tokens: false,
            status: AppStatus::Active,
            created_at: Utc::now(),
        })
        .await
        .unwrap();
    token(app, tenant, client_id, scope)
}

/// An operator-wide administrator with every management scope.
pub async fn operator(app: &TestApp) -> String {
    manager(app, SYSTEM_TENANT, "ops-admin", ALL).await
}

pub fn token(app: &TestApp, tenant: &str, client_id: &str, scope: &str) -> String {
    let now = Utc::now().timestamp();
    app.state
        .tokens
        .sign_access_inline(&AccessClaims {
            iss: app.state.tokens.issuer().to_owned(),
            sub: client_id.into(),
            aud: app.state.tokens.issuer().to_owned(),
            client_id: client_id.into(),
            tenant: tenant.into(),
            scope: scope.into(),
            purpose: None,
            iat: now,
            exp: now + 600,
            jti: uuid::Uuid::new_v4().to_string(),
            amr: None,
            sref: None,
            auth_time: None,
            cnf: None,
        })
        .unwrap()
}

pub struct Res {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Res {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    pub fn etag(&self) -> String {
        self.header("etag").expect("etag header").to_owned()
    }
    /// Asserts a management error: status and code.
    #[track_caller]
    pub fn assert_error(&self, status: u16, code: &str) {
        assert_eq!(self.status, status, "{}", self.body);
        assert_eq!(self.body["status"], status, "{}", self.body);
        assert_eq!(self.body["code"], code, "{}", self.body);
        assert!(self.body["message"].is_string(), "{}", self.body);
    }
}

pub async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
    extra: &[(&str, &str)],
) -> Res {
    let url = format!("http://{}{}", app.addr, path);
    let mut req = app.http.request(method, url);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    for (k, v) in extra {
        req = req.header(*k, *v);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let text = res.text().await.unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    Res {
        status,
        headers,
        body,
    }
}

pub async fn get(app: &TestApp, path: &str, token: &str) -> Res {
    call(app, Method::GET, path, Some(token), None, &[]).await
}

pub async fn post(app: &TestApp, path: &str, token: &str, body: Value) -> Res {
    call(app, Method::POST, path, Some(token), Some(body), &[]).await
}

pub async fn put(app: &TestApp, path: &str, token: &str, body: Value) -> Res {
    call(app, Method::PUT, path, Some(token), Some(body), &[]).await
}

pub async fn patch(app: &TestApp, path: &str, token: &str, body: Value) -> Res {
    call(app, Method::PATCH, path, Some(token), Some(body), &[]).await
}

pub async fn delete(app: &TestApp, path: &str, token: &str) -> Res {
    call(app, Method::DELETE, path, Some(token), None, &[]).await
}

/// Follows `nextCursor` to the end, `limit` items per page; returns every item.
pub async fn all_pages(app: &TestApp, path: &str, token: &str, limit: u32) -> Vec<Value> {
    let sep = if path.contains('?') { '&' } else { '?' };
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(c) => format!("{path}{sep}limit={limit}&cursor={c}"),
            None => format!("{path}{sep}limit={limit}"),
        };
        let r = get(app, &url, token).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let page = r.body["items"].as_array().unwrap().clone();
        assert!(page.len() <= limit as usize);
        items.extend(page);
        match r.body["nextCursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return items,
        }
    }
}
