//! Shared steps of the CAMARA Gherkin scenarios: send a request with an `x-correlator`,
//! check the common response rules, and arrange lines, SIM changes and consents.
use chrono::{DateTime, Duration, Utc};
use ogw_core::domain::*;
use ogw_core::store::*;
use serde_json::Value;

use crate::common::TestApp;
use crate::tokens::{CLIENT, TENANT};

/// The correlator every scenario sends (it complies with `XCorrelator`).
pub const CORRELATOR: &str = "b4333c46-49c0-4f62-80d7-f0ef930f1c46";
pub const MAIN: &str = ogw::demo::PHONE_MAIN;
pub const RECENT_SWAP: &str = ogw::demo::PHONE_RECENT_SWAP;
pub const NEVER_SWAPPED: &str = ogw::demo::PHONE_NEVER_SWAPPED;
pub const DENIED: &str = ogw::demo::PHONE_DENIED;
pub const UNKNOWN: &str = "+34699999999";
/// A line of another tenant (see [`foreign_line`]).
pub const FOREIGN: &str = "+34711111111";

#[derive(Debug)]
pub struct Res {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Res {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// "the response header x-correlator has same value as the request header" and the
    /// response is JSON.
    pub fn assert_json_with_correlator(&self) -> &Self {
        assert_eq!(self.header("x-correlator"), Some(CORRELATOR), "{self:?}");
        assert!(
            self.header("content-type")
                .is_some_and(|c| c.starts_with("application/json")),
            "{self:?}"
        );
        self
    }

    pub fn assert_ok(&self) -> &Value {
        assert_eq!(self.status, 200, "{self:?}");
        self.assert_json_with_correlator();
        &self.body
    }

    /// `{status, code, message}` with a user-friendly message; 401 carries `WWW-Authenticate`.
    pub fn assert_error(&self, status: u16, code: &str) {
        assert_eq!(self.status, status, "{self:?}");
        assert_eq!(self.body["status"], status, "{self:?}");
        assert_eq!(self.body["code"], code, "{self:?}");
        assert!(
            self.body["message"].as_str().is_some_and(|m| m.len() > 5),
            "{self:?}"
        );
        assert_eq!(
            self.body.as_object().map(|o| o.len()),
            Some(3),
            "only status, code, message: {self:?}"
        );
        self.assert_json_with_correlator();
        if status == 401 {
            assert!(
                self.header("www-authenticate")
                    .is_some_and(|h| h.starts_with("Bearer")),
                "{self:?}"
            );
        }
    }
}

async fn send(req: reqwest::RequestBuilder) -> Res {
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

/// POST a raw body (`None`: no body at all) with Content-Type JSON and the correlator.
pub async fn post_raw(app: &TestApp, path: &str, token: Option<&str>, body: Option<&str>) -> Res {
    let mut req = app
        .http
        .post(app.url(path))
        .header("content-type", "application/json")
        .header("x-correlator", CORRELATOR);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.body(b.to_owned());
    }
    send(req).await
}

pub async fn post(app: &TestApp, path: &str, token: Option<&str>, body: Value) -> Res {
    post_raw(app, path, token, Some(&body.to_string())).await
}

pub async fn get(app: &TestApp, path: &str, token: Option<&str>) -> Res {
    let mut req = app
        .http
        .get(app.url(path))
        .header("x-correlator", CORRELATOR);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    send(req).await
}

pub fn tenant() -> TenantId {
    TenantId::parse(TENANT).unwrap()
}

pub fn phone(s: &str) -> PhoneNumber {
    PhoneNumber::parse(s).unwrap()
}

/// Adds a line to the demo tenant, with its SIM activation and an optional SIM change.
pub async fn add_line(
    app: &TestApp,
    msisdn: &str,
    activated_at: DateTime<Utc>,
    swapped_at: Option<DateTime<Utc>>,
) {
    let store = &app.state.store;
    let id = format!("sub-{}", &msisdn[1..]);
    store
        .upsert_subscriber(&Subscriber {
            tenant: tenant(),
            msisdn: phone(msisdn),
            id: SubscriberId::parse(&id).unwrap(),
            sim_activated_at: activated_at,
            imsi: None,
        })
        .await
        .unwrap();
    if let Some(at) = swapped_at {
        store
            .record_sim_change(&SimChange {
                tenant: tenant(),
                msisdn: phone(msisdn),
                changed_at: at,
                source: "test".into(),
                event_id: format!("test-{id}-{}", at.timestamp()),
            })
            .await
            .unwrap();
    }
}

/// A line activated long ago that changed SIM `hours_ago` hours ago (minus a minute).
pub async fn line_swapped_hours_ago(app: &TestApp, msisdn: &str, hours_ago: i64) {
    let now = Utc::now();
    add_line(
        app,
        msisdn,
        now - Duration::days(1000),
        Some(now - Duration::hours(hours_ago) + Duration::minutes(1)),
    )
    .await;
}

/// FOREIGN as a line of tenant `other-operator`: a number this tenant does not serve.
pub async fn foreign_line(app: &TestApp) {
    let store = &app.state.store;
    let other = TenantId::parse("other-operator").unwrap();
    store
        .create_tenant(&Tenant {
            id: other.clone(),
            name: "Another operator".into(),
            status: TenantStatus::Active,
            created_at: Utc::now(),
        })
        .await
        .unwrap();
    store
        .upsert_subscriber(&Subscriber {
            tenant: other,
            msisdn: phone(FOREIGN),
            id: SubscriberId::parse("sub-foreign").unwrap(),
            sim_activated_at: Utc::now() - Duration::days(100),
            imsi: None,
        })
        .await
        .unwrap();
}

/// Records `demo-client`'s consent state for a line and purpose.
pub async fn set_consent(
    app: &TestApp,
    msisdn: &str,
    purpose: &str,
    status: ConsentStatus,
    expires_at: Option<DateTime<Utc>>,
) {
    app.state
        .store
        .put_consent(
            &Consent {
                tenant: tenant(),
                msisdn: phone(msisdn),
                client_id: ClientId::parse(CLIENT).unwrap(),
                purpose: Purpose::parse(purpose).unwrap(),
                scopes: vec![],
                status,
                updated_at: Utc::now(),
                expires_at,
            },
            "test",
            "scenario set-up",
        )
        .await
        .unwrap();
}

/// The camara audit records, newest first.
pub async fn camara_audit(app: &TestApp) -> Vec<AuditEvent> {
    audit_of(app, "camara.").await
}

/// The tenant's audit records whose action starts with `prefix`, newest first.
pub async fn audit_of(app: &TestApp, prefix: &str) -> Vec<AuditEvent> {
    app.state
        .store
        .list_audit(
            &tenant(),
            &AuditFilter {
                action_prefix: Some(prefix.into()),
                limit: 100,
                ..AuditFilter::default()
            },
        )
        .await
        .unwrap()
}

/// Asserts the body is an object with exactly these keys.
pub fn assert_keys(v: &Value, keys: &[&str]) {
    let mut got: Vec<&str> = v
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"))
        .keys()
        .map(String::as_str)
        .collect();
    got.sort_unstable();
    let mut want = keys.to_vec();
    want.sort_unstable();
    assert_eq!(got, want, "{v}");
}

/// RFC 3339 with a zone.
pub fn parse_time(v: &Value) -> DateTime<Utc> {
    let s = v.as_str().unwrap_or_else(|| panic!("not a timestamp: {v}"));
    DateTime::parse_from_rfc3339(s)
        .unwrap_or_else(|e| panic!("{s}: {e}"))
        .with_timezone(&Utc)
}
