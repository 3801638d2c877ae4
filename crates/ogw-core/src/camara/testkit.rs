//! Unit-test kit for the CAMARA operations: an in-memory store holding just what these
//! operations read and write, a token service, and a small operator (two tenants).
#![allow(clippy::unwrap_used, clippy::expect_used)]
use std::sync::{Arc, Mutex, OnceLock};

use async_trait::async_trait;
use chrono::{TimeZone, Utc};

use super::caller::{authenticate, Caller, Cx};
use crate::domain::*;
use crate::oauth::keys::{generate_rsa_key, KeyProvider};
use crate::oauth::subject::SubjectCodec;
use crate::oauth::tokens::{AccessClaims, TokenService, AMR_NETWORK};
use crate::settings::Settings;
use crate::store::*;

pub const TENANT: &str = "demo";
pub const CLIENT: &str = "app";
pub const MAIN: &str = "+34629255833";
pub const OTHER: &str = "+34600000003";
pub const FOREIGN: &str = "+34711111111";
pub const UNKNOWN: &str = "+34699999999";
pub const FRAUD: &str = "dpv:FraudPreventionAndDetection";
pub const SERVICE: &str = "dpv:RequestedServiceProvision";

pub fn phone(s: &str) -> PhoneNumber {
    PhoneNumber::parse(s).unwrap()
}
fn tenant() -> TenantId {
    TenantId::parse(TENANT).unwrap()
}

#[derive(Default)]
struct Inner {
    tenants: Vec<Tenant>,
    apps: Vec<Application>,
    caps: Vec<Capability>,
    subscribers: Vec<Subscriber>,
    changes: Vec<SimChange>,
    sessions: Vec<IpSession>,
    qos: Vec<QosProfileRecord>,
    views: Vec<ConsentViewRecord>,
    qos_avail: Vec<(TenantId, String, PhoneNumber, bool)>,
    consents: Vec<Consent>,
    revoked: Vec<String>,
    keys: Vec<SigningKey>,
    audit: Vec<AuditEvent>,
    audit_fails: bool,
}

#[derive(Default)]
pub struct MemStore(Mutex<Inner>);

impl MemStore {
    fn with<R>(&self, f: impl FnOnce(&mut Inner) -> R) -> R {
        f(&mut self.0.lock().unwrap())
    }
    pub fn revoke(&self, jti: &str) {
        self.with(|i| i.revoked.push(jti.to_owned()));
    }
    pub fn set_app_scopes(&self, scopes: &[&str]) {
        self.with(|i| {
            for a in &mut i.apps {
                a.allowed_scopes = scopes.iter().map(|s| Scope::parse(s).unwrap()).collect();
            }
        });
    }
    pub fn consent(
        &self,
        msisdn: &str,
        purpose: &str,
        status: ConsentStatus,
        expires_at: Option<Timestamp>,
    ) {
        let c = Consent {
            tenant: tenant(),
            msisdn: phone(msisdn),
            client_id: ClientId::parse(CLIENT).unwrap(),
            purpose: Purpose::parse(purpose).unwrap(),
            scopes: vec![],
            status,
            updated_at: Utc::now(),
            expires_at,
        };
        self.with(|i| {
            i.consents
                .retain(|x| !(x.msisdn == c.msisdn && x.purpose == c.purpose));
            i.consents.push(c);
        });
    }
    pub fn audit(&self) -> Vec<AuditEvent> {
        self.with(|i| i.audit.clone())
    }
    pub fn fail_audit(&self) {
        self.with(|i| i.audit_fails = true);
    }
}

fn unsupported<T>() -> StoreResult<T> {
    Err(StoreError::Backend("not in the test store".into()))
}

#[async_trait]
impl TenantStore for MemStore {
    async fn create_tenant(&self, t: &Tenant) -> StoreResult<()> {
        self.with(|i| i.tenants.push(t.clone()));
        Ok(())
    }
    async fn get_tenant(&self, id: &TenantId) -> StoreResult<Option<Tenant>> {
        Ok(self.with(|i| i.tenants.iter().find(|t| &t.id == id).cloned()))
    }
    async fn list_tenants(&self) -> StoreResult<Vec<Tenant>> {
        Ok(self.with(|i| i.tenants.clone()))
    }
    async fn update_tenant(&self, t: &Tenant) -> StoreResult<()> {
        self.with(|i| {
            for x in &mut i.tenants {
                if x.id == t.id {
                    *x = t.clone();
                }
            }
        });
        Ok(())
    }
    async fn delete_tenant(&self, _: &TenantId) -> StoreResult<()> {
        unsupported()
    }
    async fn delete_tenant_cascade(&self, _: &TenantId) -> StoreResult<()> {
        unsupported()
    }
}

#[async_trait]
impl ApplicationStore for MemStore {
    async fn create_application(&self, a: &Application) -> StoreResult<()> {
        self.with(|i| i.apps.push(a.clone()));
        Ok(())
    }
    async fn find_application(&self, c: &ClientId) -> StoreResult<Option<Arc<Application>>> {
        Ok(self.with(|i| {
            i.apps
                .iter()
                .find(|a| &a.client_id == c)
                .cloned()
                .map(Arc::new)
        }))
    }
    async fn list_applications(&self, t: &TenantId) -> StoreResult<Vec<Application>> {
        Ok(self.with(|i| i.apps.iter().filter(|a| &a.tenant == t).cloned().collect()))
    }
    async fn update_application(&self, _: &Application) -> StoreResult<()> {
        unsupported()
    }
    async fn delete_application(&self, _: &TenantId, _: &ClientId) -> StoreResult<()> {
        unsupported()
    }
}

#[async_trait]
impl CapabilityStore for MemStore {
    async fn upsert_capability(&self, c: &Capability) -> StoreResult<()> {
        self.with(|i| {
            i.caps.retain(|x| !(x.tenant == c.tenant && x.id == c.id));
            i.caps.push(c.clone());
        });
        Ok(())
    }
    async fn get_capability(
        &self,
        t: &TenantId,
        id: &CapabilityId,
    ) -> StoreResult<Option<Capability>> {
        Ok(self.with(|i| {
            i.caps
                .iter()
                .find(|c| &c.tenant == t && &c.id == id)
                .cloned()
        }))
    }
    async fn list_capabilities(&self, t: &TenantId) -> StoreResult<Arc<[Capability]>> {
        Ok(self.with(|i| i.caps.iter().filter(|c| &c.tenant == t).cloned().collect()))
    }
    async fn delete_capability(&self, _: &TenantId, _: &CapabilityId) -> StoreResult<()> {
        unsupported()
    }
}

#[async_trait]
impl SubscriberStore for MemStore {
    async fn upsert_subscriber(&self, s: &Subscriber) -> StoreResult<()> {
        self.with(|i| {
            i.subscribers
                .retain(|x| !(x.tenant == s.tenant && x.msisdn == s.msisdn));
            i.subscribers.push(s.clone());
        });
        Ok(())
    }
    async fn get_subscriber(
        &self,
        t: &TenantId,
        m: &PhoneNumber,
    ) -> StoreResult<Option<Subscriber>> {
        Ok(self.with(|i| {
            i.subscribers
                .iter()
                .find(|s| &s.tenant == t && &s.msisdn == m)
                .cloned()
        }))
    }
    async fn get_subscriber_by_id(
        &self,
        t: &TenantId,
        id: &SubscriberId,
    ) -> StoreResult<Option<Subscriber>> {
        Ok(self.with(|i| {
            i.subscribers
                .iter()
                .find(|s| &s.tenant == t && &s.id == id)
                .cloned()
        }))
    }
    async fn list_subscribers(
        &self,
        _: &TenantId,
        _: Option<&PhoneNumber>,
        _: i64,
    ) -> StoreResult<Vec<Subscriber>> {
        unsupported()
    }
    async fn count_subscribers(&self, _: &TenantId) -> StoreResult<i64> {
        unsupported()
    }
    async fn record_sim_change(&self, c: &SimChange) -> StoreResult<bool> {
        self.with(|i| i.changes.push(c.clone()));
        Ok(true)
    }
    async fn latest_sim_change(
        &self,
        t: &TenantId,
        m: &PhoneNumber,
    ) -> StoreResult<Option<Timestamp>> {
        Ok(self.with(|i| {
            i.changes
                .iter()
                .filter(|c| &c.tenant == t && &c.msisdn == m)
                .map(|c| c.changed_at)
                .max()
        }))
    }
    async fn upsert_ip_session(&self, s: &IpSession) -> StoreResult<()> {
        self.with(|i| i.sessions.push(s.clone()));
        Ok(())
    }
    async fn end_ip_session(&self, _: &TenantId, _: &str, _: Timestamp) -> StoreResult<bool> {
        unsupported()
    }
    async fn find_active_session(
        &self,
        t: &TenantId,
        ip: std::net::IpAddr,
        seen_since: Timestamp,
    ) -> StoreResult<Option<IpSession>> {
        Ok(self.with(|i| {
            i.sessions
                .iter()
                .find(|s| {
                    &s.tenant == t
                        && s.ip == ip
                        && s.ended_at.is_none()
                        && s.last_seen_at >= seen_since
                })
                .cloned()
        }))
    }
    async fn list_active_sessions(
        &self,
        _: &TenantId,
        _: Timestamp,
    ) -> StoreResult<Vec<IpSession>> {
        unsupported()
    }
}

#[async_trait]
impl ViewStore for MemStore {
    async fn put_view(&self, v: &ConsentViewRecord) -> StoreResult<()> {
        self.with(|i| {
            i.views.retain(|x| !(x.tenant == v.tenant && x.id == v.id));
            i.views.push(v.clone());
        });
        Ok(())
    }
    async fn get_view(&self, t: &TenantId, id: &str) -> StoreResult<Option<ConsentViewRecord>> {
        Ok(self.with(|i| {
            i.views
                .iter()
                .find(|v| &v.tenant == t && v.id == id)
                .cloned()
        }))
    }
    async fn list_views(&self, t: &TenantId) -> StoreResult<Vec<ConsentViewRecord>> {
        Ok(self.with(|i| {
            let mut v: Vec<_> = i.views.iter().filter(|v| &v.tenant == t).cloned().collect();
            v.sort_by(|a, b| a.id.cmp(&b.id));
            v
        }))
    }
    async fn delete_view(&self, t: &TenantId, id: &str) -> StoreResult<()> {
        self.with(|i| {
            let before = i.views.len();
            i.views.retain(|v| !(&v.tenant == t && v.id == id));
            if i.views.len() == before {
                Err(StoreError::NotFound)
            } else {
                Ok(())
            }
        })
    }
}

#[async_trait]
impl QosStore for MemStore {
    async fn upsert_qos_profile(&self, p: &QosProfileRecord) -> StoreResult<()> {
        self.with(|i| {
            i.qos
                .retain(|x| !(x.tenant == p.tenant && x.name == p.name));
            i.qos.push(p.clone());
        });
        Ok(())
    }
    async fn get_qos_profile(
        &self,
        t: &TenantId,
        name: &str,
    ) -> StoreResult<Option<QosProfileRecord>> {
        Ok(self.with(|i| {
            i.qos
                .iter()
                .find(|p| &p.tenant == t && p.name == name)
                .cloned()
        }))
    }
    async fn list_qos_profiles(&self, t: &TenantId) -> StoreResult<Vec<QosProfileRecord>> {
        Ok(self.with(|i| {
            let mut v: Vec<_> = i.qos.iter().filter(|p| &p.tenant == t).cloned().collect();
            v.sort_by(|a, b| a.name.cmp(&b.name));
            v
        }))
    }
    async fn set_qos_availability(
        &self,
        t: &TenantId,
        profile: &str,
        m: &PhoneNumber,
        available: bool,
    ) -> StoreResult<()> {
        self.with(|i| {
            i.qos_avail
                .retain(|(a, b, c, _)| !(a == t && b == profile && c == m));
            i.qos_avail
                .push((t.clone(), profile.to_owned(), m.clone(), available));
        });
        Ok(())
    }
    async fn qos_profiles_for(&self, t: &TenantId, m: &PhoneNumber) -> StoreResult<Vec<String>> {
        Ok(self.with(|i| {
            let mut v: Vec<String> = i
                .qos_avail
                .iter()
                .filter(|(a, _, c, ok)| a == t && c == m && *ok)
                .map(|(_, p, _, _)| p.clone())
                .collect();
            v.sort();
            v
        }))
    }
}

#[async_trait]
impl ConsentStore for MemStore {
    async fn get_consent(
        &self,
        t: &TenantId,
        m: &PhoneNumber,
        c: &ClientId,
        p: &Purpose,
    ) -> StoreResult<Option<Consent>> {
        Ok(self.with(|i| {
            i.consents
                .iter()
                .find(|x| &x.tenant == t && &x.msisdn == m && &x.client_id == c && &x.purpose == p)
                .cloned()
        }))
    }
    async fn put_consent(&self, _: &Consent, _: &str, _: &str) -> StoreResult<i64> {
        unsupported()
    }
    async fn list_consents_by_subscriber(
        &self,
        _: &TenantId,
        _: &PhoneNumber,
    ) -> StoreResult<Vec<Consent>> {
        unsupported()
    }
    async fn list_consents_by_client(
        &self,
        _: &TenantId,
        _: &ClientId,
    ) -> StoreResult<Vec<Consent>> {
        unsupported()
    }
    async fn consent_history(
        &self,
        _: &TenantId,
        _: &PhoneNumber,
        _: &ClientId,
        _: &Purpose,
    ) -> StoreResult<Vec<ConsentEvent>> {
        unsupported()
    }
}

#[async_trait]
impl GrantStore for MemStore {
    async fn insert_code(&self, _: &AuthCode) -> StoreResult<()> {
        unsupported()
    }
    async fn insert_refresh(&self, _: &RefreshToken) -> StoreResult<()> {
        unsupported()
    }
    async fn rotate_refresh(
        &self,
        _: &TenantId,
        _: &str,
        _: Timestamp,
    ) -> StoreResult<Option<RefreshToken>> {
        unsupported()
    }
    async fn get_refresh(&self, _: &TenantId, _: &str) -> StoreResult<Option<RefreshToken>> {
        unsupported()
    }
    async fn revoke_refresh_family(&self, _: &TenantId, _: &str, _: Timestamp) -> StoreResult<u64> {
        unsupported()
    }
    async fn consume_code(
        &self,
        _: &TenantId,
        _: &str,
        _: Timestamp,
    ) -> StoreResult<Option<AuthCode>> {
        unsupported()
    }
    async fn get_code(&self, _: &TenantId, _: &str) -> StoreResult<Option<AuthCode>> {
        unsupported()
    }
    async fn set_code_issued_jti(&self, _: &TenantId, _: &str, _: &str) -> StoreResult<()> {
        unsupported()
    }
    async fn insert_ciba(&self, _: &CibaRequest) -> StoreResult<()> {
        unsupported()
    }
    async fn get_ciba(&self, _: &TenantId, _: &str) -> StoreResult<Option<CibaRequest>> {
        unsupported()
    }
    async fn touch_ciba_poll(
        &self,
        _: &TenantId,
        _: &str,
        _: Timestamp,
    ) -> StoreResult<Option<Timestamp>> {
        unsupported()
    }
    async fn set_ciba_status(&self, _: &TenantId, _: &str, _: CibaStatus) -> StoreResult<()> {
        unsupported()
    }
    async fn consume_ciba(
        &self,
        _: &TenantId,
        _: &str,
        _: Timestamp,
    ) -> StoreResult<Option<CibaRequest>> {
        unsupported()
    }
    async fn revoke_jti(&self, _: &TenantId, jti: &str, _: Timestamp) -> StoreResult<()> {
        self.revoke(jti);
        Ok(())
    }
    async fn is_jti_revoked(&self, _: &TenantId, jti: &str) -> StoreResult<bool> {
        Ok(self.with(|i| i.revoked.iter().any(|j| j == jti)))
    }
    async fn use_jti_once(
        &self,
        _: &TenantId,
        _: &str,
        _: &str,
        _: Timestamp,
    ) -> StoreResult<bool> {
        unsupported()
    }
    async fn purge_expired(&self, _: Timestamp) -> StoreResult<u64> {
        unsupported()
    }
}

#[async_trait]
impl KeyStore for MemStore {
    async fn insert_signing_key(&self, k: &SigningKey) -> StoreResult<()> {
        self.with(|i| i.keys.push(k.clone()));
        Ok(())
    }
    async fn list_signing_keys(&self, _: Timestamp) -> StoreResult<Vec<SigningKey>> {
        Ok(self.with(|i| i.keys.clone()))
    }
    async fn retire_signing_key(
        &self,
        kid: &str,
        at: Timestamp,
        publish_until: Timestamp,
    ) -> StoreResult<()> {
        self.with(|i| {
            for k in i.keys.iter_mut().filter(|k| k.kid == kid) {
                k.retired_at = Some(at);
                k.publish_until = Some(publish_until);
            }
        });
        Ok(())
    }
}

#[async_trait]
impl AuditStore for MemStore {
    async fn append_audit(&self, e: &AuditEvent) -> StoreResult<i64> {
        self.with(|i| {
            if i.audit_fails {
                return Err(StoreError::Backend("audit log unavailable".into()));
            }
            i.audit.push(e.clone());
            Ok(i.audit.len() as i64)
        })
    }
    async fn list_audit(&self, _: &TenantId, _: &AuditFilter) -> StoreResult<Vec<AuditEvent>> {
        Ok(self.audit())
    }
}

#[async_trait]
impl Store for MemStore {
    async fn migrate(&self) -> StoreResult<()> {
        Ok(())
    }
    async fn ping(&self) -> StoreResult<()> {
        Ok(())
    }
    fn backend(&self) -> &'static str {
        "memory"
    }
}

/// RSA key generation is slow: one key for every test.
fn signing_key() -> SigningKey {
    static KEY: OnceLock<SigningKey> = OnceLock::new();
    KEY.get_or_init(|| generate_rsa_key(Utc::now()).unwrap())
        .clone()
}

/// A small operator: tenant `demo` with lines MAIN and OTHER and application `app` allowed
/// everything; tenant `other` serving FOREIGN.
pub struct Kit {
    pub store: Arc<MemStore>,
    pub tokens: TokenService,
    pub settings: Settings,
    pub now: Timestamp,
}

pub const CATALOG: &[(&str, &[&str], &[&str])] = &[
    (
        "sim-swap",
        &["sim-swap", "sim-swap:check", "sim-swap:retrieve-date"],
        &[FRAUD],
    ),
    (
        "number-verification",
        &[
            "number-verification:verify",
            "number-verification:device-phone-number:read",
        ],
        &[FRAUD],
    ),
    ("qos-profiles", &["qos-profiles:read"], &[SERVICE]),
    (
        "consent-info",
        &["consent-info:retrieve"],
        &[FRAUD, SERVICE],
    ),
];

impl Kit {
    pub async fn new() -> Kit {
        let store = Arc::new(MemStore::default());
        let now = Utc.with_ymd_and_hms(2025, 6, 1, 12, 0, 0).unwrap();
        for t in [TENANT, "other"] {
            store
                .create_tenant(&Tenant {
                    id: TenantId::parse(t).unwrap(),
                    name: t.into(),
                    status: TenantStatus::Active,
                    created_at: now,
                })
                .await
                .unwrap();
        }
        let mut all_scopes = vec![];
        for (api, scopes, purposes) in CATALOG {
            let scopes: Vec<Scope> = scopes.iter().map(|s| Scope::parse(s).unwrap()).collect();
            all_scopes.extend(scopes.clone());
            store
                .upsert_capability(&Capability {
                    tenant: tenant(),
                    id: CapabilityId::parse(api).unwrap(),
                    api_name: (*api).into(),
                    version: "1".into(),
                    base_path: format!("/{api}"),
                    scopes,
                    purposes: purposes
                        .iter()
                        .map(|p| Purpose::parse(p).unwrap())
                        .collect(),
                    status: CapabilityStatus::Available,
                })
                .await
                .unwrap();
        }
        store
            .create_application(&Application {
                tenant: tenant(),
                client_id: ClientId::parse(CLIENT).unwrap(),
                name: "app".into(),
                secret_hash: None,
                auth_methods: vec![],
                public_key_pem: None,
                jwks: None,
                redirect_uris: vec![],
                grant_types: vec![],
                allowed_scopes: all_scopes,
                allowed_purposes: vec![
                    Purpose::parse(FRAUD).unwrap(),
                    Purpose::parse(SERVICE).unwrap(),
                ],
                require_pkce: false,
                dpop_bound_access_tokens: false,
                status: AppStatus::Active,
                created_at: now,
            })
            .await
            .unwrap();
        let activated = Utc.with_ymd_and_hms(2023, 1, 10, 9, 0, 0).unwrap();
        for (t, m, id) in [
            (TENANT, MAIN, "s1"),
            (TENANT, OTHER, "s2"),
            ("other", FOREIGN, "s3"),
        ] {
            store
                .upsert_subscriber(&Subscriber {
                    tenant: TenantId::parse(t).unwrap(),
                    msisdn: phone(m),
                    id: SubscriberId::parse(id).unwrap(),
                    sim_activated_at: activated,
                    imsi: None,
                })
                .await
                .unwrap();
        }
        store.insert_signing_key(&signing_key()).await.unwrap();
        let keys = Arc::new(KeyProvider::load_or_init(store.clone(), now).await.unwrap());
        let settings = Settings::new("https://op.example");
        let tokens = TokenService::new(keys, &settings.issuer, SubjectCodec::new(b"kit-secret"));
        Kit {
            store,
            tokens,
            settings,
            now,
        }
    }

    pub fn cx(&self) -> Cx<'_> {
        Cx {
            store: self.store.as_ref(),
            tokens: &self.tokens,
            settings: &self.settings,
            now: self.now,
            correlator: None,
        }
    }

    pub fn claims2(&self, scope: &str) -> AccessClaims {
        AccessClaims {
            iss: self.settings.issuer.clone(),
            sub: CLIENT.into(),
            aud: self.settings.issuer.clone(),
            client_id: CLIENT.into(),
            tenant: TENANT.into(),
            scope: scope.into(),
            purpose: None,
            iat: self.now.timestamp(),
            exp: self.now.timestamp() + 3600,
            jti: uuid::Uuid::new_v4().to_string(),
            amr: None,
            sref: None,
            auth_time: None,
            cnf: None,
        }
    }

    /// A network-authenticated 3-legged token for `msisdn`, purpose fraud prevention.
    pub fn claims3(&self, scope: &str, msisdn: &str) -> AccessClaims {
        let t = tenant();
        let c = ClientId::parse(CLIENT).unwrap();
        AccessClaims {
            sub: "pairwise".into(),
            purpose: Some(FRAUD.into()),
            amr: Some(vec![AMR_NETWORK.into()]),
            sref: Some(self.tokens.subjects().seal(&t, &c, &phone(msisdn))),
            auth_time: Some(self.now.timestamp()),
            ..self.claims2(scope)
        }
    }

    pub fn token(&self, tweak: impl FnOnce(&mut AccessClaims)) -> String {
        let mut c = self.claims2("sim-swap:check");
        tweak(&mut c);
        self.tokens.sign_access_inline(&c).unwrap()
    }

    pub async fn caller(&self, claims: AccessClaims) -> Caller {
        let t = self.tokens.sign_access_inline(&claims).unwrap();
        authenticate(&self.cx(), Some(&t)).await.unwrap()
    }

    pub fn capability(&self, api: &str) -> Capability {
        self.store
            .with(|i| i.caps.iter().find(|c| c.api_name == api).cloned().unwrap())
    }
}
