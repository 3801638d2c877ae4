//! Records the store keeps. Every tenant-owned record carries its tenant.
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::*;

pub type Timestamp = DateTime<Utc>;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tenant {
    pub id: TenantId,
    pub name: String,
    pub status: TenantStatus,
    pub created_at: Timestamp,
}

/// An API consumer registered with the operator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Application {
    pub tenant: TenantId,
    pub client_id: ClientId,
    pub name: String,
    /// Keyed hash of the client secret (see `crate::secret`), never the secret.
    pub secret_hash: Option<String>,
    pub auth_methods: Vec<ClientAuthMethod>,
    /// SPKI PEM public key (app JWT, private_key_jwt without a JWKS).
    pub public_key_pem: Option<String>,
    /// JWKS document for private_key_jwt and signed request objects.
    pub jwks: Option<serde_json::Value>,
    pub redirect_uris: Vec<String>,
    pub grant_types: Vec<GrantType>,
    pub allowed_scopes: Vec<Scope>,
    pub allowed_purposes: Vec<Purpose>,
    pub require_pkce: bool,
    /// RFC 9449 §5.2 (client metadata `dpop_bound_access_tokens`): every token request must
    /// carry a DPoP proof, and the CAMARA APIs refuse this application's unbound tokens.
    pub dpop_bound_access_tokens: bool,
    pub status: AppStatus,
    pub created_at: Timestamp,
}

/// A catalog entry: one CAMARA API exposed by this operator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Capability {
    pub tenant: TenantId,
    pub id: CapabilityId,
    pub api_name: String,
    pub version: String,
    pub base_path: String,
    pub scopes: Vec<Scope>,
    pub purposes: Vec<Purpose>,
    pub status: CapabilityStatus,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Subscriber {
    pub tenant: TenantId,
    pub msisdn: PhoneNumber,
    /// Opaque stable id; tokens carry a pairwise id derived from it, never the MSISDN.
    pub id: SubscriberId,
    pub sim_activated_at: Timestamp,
    pub imsi: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimChange {
    pub tenant: TenantId,
    pub msisdn: PhoneNumber,
    pub changed_at: Timestamp,
    pub source: String,
    /// Idempotency key: recording the same event id twice is a no-op.
    pub event_id: String,
}

/// A mobile IP session: while active, traffic from `ip` is the subscriber's device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IpSession {
    pub tenant: TenantId,
    pub session_id: String,
    pub ip: std::net::IpAddr,
    pub msisdn: PhoneNumber,
    pub started_at: Timestamp,
    pub last_seen_at: Timestamp,
    pub ended_at: Option<Timestamp>,
}

/// A QoS profile; `body` is the CAMARA `QosProfile` JSON object (name and status included).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QosProfileRecord {
    pub tenant: TenantId,
    pub name: String,
    pub status: String,
    pub body: serde_json::Value,
}

/// A consent view definition: what the consent page says for a purpose (optionally only for
/// one application), per locale, with the operator's branding. `body` is the management
/// API's `ViewInput` JSON (locales, defaultLocale, branding).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConsentViewRecord {
    pub tenant: TenantId,
    pub id: String,
    pub purpose: Purpose,
    pub client_id: Option<ClientId>,
    pub body: serde_json::Value,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Consent {
    pub tenant: TenantId,
    pub msisdn: PhoneNumber,
    pub client_id: ClientId,
    pub purpose: Purpose,
    pub scopes: Vec<Scope>,
    pub status: ConsentStatus,
    pub updated_at: Timestamp,
    pub expires_at: Option<Timestamp>,
}

/// Append-only history of a consent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConsentEvent {
    pub id: i64,
    pub tenant: TenantId,
    pub msisdn: PhoneNumber,
    pub client_id: ClientId,
    pub purpose: Purpose,
    pub status: ConsentStatus,
    pub at: Timestamp,
    pub actor: String,
    pub reason: String,
}

/// An authorization code, stored by hash; single use (RFC 6749 §4.1.2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuthCode {
    pub tenant: TenantId,
    pub code_hash: String,
    pub client_id: ClientId,
    pub redirect_uri: String,
    pub msisdn: PhoneNumber,
    pub scopes: Vec<Scope>,
    pub purpose: Option<Purpose>,
    pub code_challenge: Option<String>,
    pub nonce: Option<String>,
    pub auth_time: Timestamp,
    pub expires_at: Timestamp,
    pub consumed_at: Option<Timestamp>,
    /// jti of the access token issued for this code, revoked if the code is replayed.
    pub issued_jti: Option<String>,
}

/// A refresh token (stored by `secret::lookup_hash`). Each use rotates it: the used row is
/// marked and a successor with the same `family_id` is inserted; presenting a used token
/// again revokes the whole family.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RefreshToken {
    pub tenant: TenantId,
    pub token_hash: String,
    pub family_id: String,
    pub client_id: ClientId,
    pub msisdn: PhoneNumber,
    /// Technical scopes (plus `openid` when it was granted).
    pub scopes: Vec<Scope>,
    pub purpose: Option<Purpose>,
    pub amr: Vec<String>,
    pub auth_time: Timestamp,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub used_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

/// A CIBA backchannel authentication request (poll mode), stored by hash of auth_req_id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CibaRequest {
    pub tenant: TenantId,
    pub id_hash: String,
    pub client_id: ClientId,
    pub msisdn: PhoneNumber,
    pub scopes: Vec<Scope>,
    pub purpose: Option<Purpose>,
    pub status: CibaStatus,
    /// How the subscriber was authenticated: `["nba"]` when the login_hint was a device
    /// address found in the IP sessions, empty for a phone number.
    #[serde(default)]
    pub amr: Vec<String>,
    pub interval_secs: i64,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub last_polled_at: Option<Timestamp>,
    pub consumed_at: Option<Timestamp>,
}

/// A token-signing key, shared by all nodes. Issuer-wide, not tenant-owned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SigningKey {
    pub kid: String,
    pub alg: String,
    /// PKCS#8 PEM private key.
    pub private_pem: String,
    /// Public JWK (JSON object) as published at /jwks.
    pub public_jwk: serde_json::Value,
    pub created_at: Timestamp,
    /// Set when a newer key took over; the public key stays published until `publish_until`.
    pub retired_at: Option<Timestamp>,
    pub publish_until: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEvent {
    pub id: i64,
    pub tenant: TenantId,
    pub at: Timestamp,
    /// Who acted: a client id, `subscriber:<id>`, `admin:<id>`, `system`.
    pub actor: String,
    /// What happened, dotted: `consent.decision`, `camara.sim_swap.check`, `application.create`.
    pub action: String,
    pub target: String,
    /// `allow`, `deny` or `ok`.
    pub outcome: String,
    pub reason: String,
    pub detail: AuditDetail,
}

/// An audit event's detail: a JSON value kept as its text. A CAMARA call serialises its
/// detail once, straight from its fields, and the journal, the audit file and a listing
/// pass the text on as is; only a reader that looks inside parses it ([`AuditDetail::value`]).
/// Building and walking a `serde_json::Value` tree instead cost ~25 allocations per call.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AuditDetail(Box<serde_json::value::RawValue>);

impl AuditDetail {
    /// `v` as JSON (a value that cannot be JSON — a map with non-string keys — is `null`).
    pub fn of<T: Serialize + ?Sized>(v: &T) -> Self {
        AuditDetail(
            serde_json::value::to_raw_value(v)
                .unwrap_or_else(|_| serde_json::value::RawValue::NULL.to_owned()),
        )
    }

    /// Stored text (from the audit table); text that is not JSON is kept as a JSON string.
    pub fn from_text(text: String) -> Self {
        match serde_json::value::RawValue::from_string(text) {
            Ok(raw) => AuditDetail(raw),
            Err(e) => AuditDetail::of(&format!("unreadable detail: {e}")),
        }
    }

    /// The JSON text.
    pub fn get(&self) -> &str {
        self.0.get()
    }

    /// Parsed, for a reader that looks inside.
    pub fn value(&self) -> serde_json::Value {
        serde_json::from_str(self.0.get()).unwrap_or_default()
    }
}

impl From<serde_json::Value> for AuditDetail {
    fn from(v: serde_json::Value) -> Self {
        AuditDetail::of(&v)
    }
}

impl PartialEq for AuditDetail {
    fn eq(&self, other: &Self) -> bool {
        self.get() == other.get()
    }
}

#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub action_prefix: Option<String>,
    pub actor: Option<String>,
    pub before_id: Option<i64>,
    pub limit: i64,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn audit_detail_is_its_json_text() {
        #[derive(Serialize)]
        struct D<'a> {
            api: &'a str,
            status: u16,
        }
        let d = AuditDetail::of(&D {
            api: "sim-swap",
            status: 200,
        });
        assert_eq!(d.get(), r#"{"api":"sim-swap","status":200}"#);
        assert_eq!(d.value()["status"], 200);
        // Embedded as is, not as a string, and read back the same.
        let outer = serde_json::to_string(&serde_json::json!({"detail": &d})).unwrap();
        assert_eq!(outer, r#"{"detail":{"api":"sim-swap","status":200}}"#);
        let back: AuditDetail = serde_json::from_str(d.get()).unwrap();
        assert_eq!(back, d);
        assert_eq!(AuditDetail::from(serde_json::json!([1, 2])).get(), "[1,2]");
        // Stored text that is not JSON stays readable, as a string saying so.
        let bad = AuditDetail::from_text("{oops".into());
        assert!(bad
            .value()
            .as_str()
            .unwrap()
            .starts_with("unreadable detail"));
        assert_eq!(AuditDetail::from_text("{\"a\":1}".into()).value()["a"], 1);
    }
}
