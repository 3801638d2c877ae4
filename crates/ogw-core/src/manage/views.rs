//! The management API's representations (JSON, camelCase): what `/v1/…` accepts and returns
//! and what the CLI prints with `--output json`. Their OpenAPI schemas derive from these
//! types, so the published document cannot drift from the code.
//!
//! Inputs carry identifiers as strings: the use-cases parse them into domain types and answer
//! 400 naming the field. Closed vocabularies (statuses, grant types…) are the domain enums.
use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::RefOr;
use utoipa::ToSchema;

use crate::consent::Outcome;
use crate::domain::{
    AppStatus, CapabilityStatus, ClientAuthMethod, ConsentStatus, GrantType, LegalBasis,
    TenantStatus,
};
use chrono::{DateTime, Utc};

/// OpenAPI schemas for the domain's text enums: a string with the allowed values.
macro_rules! enum_schema {
    ($($ty:ty => [$($v:literal),+ $(,)?]),+ $(,)?) => {$(
        impl utoipa::PartialSchema for $ty {
            fn schema() -> RefOr<Schema> {
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .enum_values(Some([$($v),+]))
                    .into()
            }
        }
        impl ToSchema for $ty {}
    )+};
}

enum_schema!(
    TenantStatus => ["active", "suspended"],
    AppStatus => ["active", "disabled"],
    CapabilityStatus => ["available", "deprecated", "disabled"],
    ConsentStatus => ["granted", "denied", "revoked", "requested"],
    LegalBasis => ["consent", "legitimate_interest", "contract"],
    ClientAuthMethod => ["client_secret_basic", "client_secret_post", "private_key_jwt", "app_jwt"],
    GrantType => [
        "client_credentials",
        "authorization_code",
        "urn:openid:params:grant-type:ciba",
        "urn:ietf:params:oauth:grant-type:jwt-bearer",
        "refresh_token",
    ],
    Outcome => ["ALLOWED", "PENDING", "DENIED", "EXPIRED", "OBJECTED"],
);

/// A page of a list: `nextCursor` is present when more items follow.
macro_rules! page_type {
    ($($name:ident => $item:ty),+ $(,)?) => {$(
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
        #[serde(rename_all = "camelCase")]
        pub struct $name {
            pub items: Vec<$item>,
            /// Pass as `cursor` to get the next page; absent on the last page.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub next_cursor: Option<String>,
        }

        impl From<super::page::Page<$item>> for $name {
            fn from(p: super::page::Page<$item>) -> Self {
                Self { items: p.items, next_cursor: p.next_cursor }
            }
        }
    )+};
}

page_type!(
    TenantPage => TenantView,
    ApplicationPage => ApplicationView,
    CapabilityPage => CapabilityView,
    ConsentPage => ConsentView,
    ConsentEventPage => ConsentEventView,
    SubscriberPage => SubscriberView,
    IpSessionPage => IpSessionView,
    AuditEventPage => AuditEventView,
);

// ---- tenants ----

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TenantView {
    #[schema(example = "acme")]
    pub id: String,
    #[schema(example = "ACME Mobile")]
    pub name: String,
    pub status: TenantStatus,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TenantCreate {
    /// 1-64 characters of `[A-Za-z0-9._-]`; `system` is reserved.
    #[schema(example = "acme")]
    pub id: String,
    #[schema(example = "ACME Mobile")]
    pub name: String,
    /// Default `active`.
    #[serde(default)]
    pub status: Option<TenantStatus>,
}

/// Fields to change; absent fields keep their value.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TenantPatch {
    #[serde(default)]
    pub name: Option<String>,
    /// `suspended`: the tenant's applications get no tokens and its APIs refuse calls.
    #[serde(default)]
    pub status: Option<TenantStatus>,
}

// ---- applications ----

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationView {
    #[schema(example = "app-2f1c9a")]
    pub client_id: String,
    pub tenant: String,
    pub name: String,
    pub status: AppStatus,
    pub auth_methods: Vec<ClientAuthMethod>,
    pub grant_types: Vec<GrantType>,
    pub redirect_uris: Vec<String>,
    /// Technical (and management) scopes the application may request.
    pub allowed_scopes: Vec<String>,
    /// DPV purposes the application may declare.
    pub allowed_purposes: Vec<String>,
    pub require_pkce: bool,
    /// RFC 9449 §5.2: every token request must carry a DPoP proof (tokens are then always
    /// DPoP-bound), and the CAMARA APIs refuse this application's Bearer tokens.
    pub dpop_bound_access_tokens: bool,
    /// Whether a client secret is set (the secret itself is never shown again).
    pub has_secret: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_key_pem: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub jwks: Option<serde_json::Value>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ApplicationCreate {
    /// Client id to register; generated when absent. Unique across tenants.
    #[serde(default)]
    pub client_id: Option<String>,
    #[schema(example = "Fraud check for ACME Bank")]
    pub name: String,
    /// Default `["client_secret_basic", "client_secret_post"]`.
    #[serde(default)]
    pub auth_methods: Option<Vec<ClientAuthMethod>>,
    /// Default `["client_credentials"]`.
    #[serde(default)]
    pub grant_types: Option<Vec<GrantType>>,
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    /// Technical scopes (from the tenant's catalog), `openid`, or management scopes.
    #[serde(default)]
    pub allowed_scopes: Vec<String>,
    /// Catalog capability ids whose scopes are added to `allowedScopes`.
    #[serde(default)]
    pub allowed_capabilities: Vec<String>,
    #[serde(default)]
    pub allowed_purposes: Vec<String>,
    #[serde(default)]
    pub require_pkce: Option<bool>,
    /// RFC 9449 §5.2: require a DPoP proof at `/token` and DPoP-bound tokens at the APIs.
    /// Default false.
    #[serde(default)]
    pub dpop_bound_access_tokens: Option<bool>,
    /// SPKI PEM public key (app JWT, or private_key_jwt without a JWKS).
    #[serde(default)]
    pub public_key_pem: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub jwks: Option<serde_json::Value>,
    /// Default `active`.
    #[serde(default)]
    pub status: Option<AppStatus>,
}

/// Fields to change; absent fields keep their value. Scope and purpose lists are replaced whole.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ApplicationPatch {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub auth_methods: Option<Vec<ClientAuthMethod>>,
    #[serde(default)]
    pub grant_types: Option<Vec<GrantType>>,
    #[serde(default)]
    pub redirect_uris: Option<Vec<String>>,
    #[serde(default)]
    pub allowed_scopes: Option<Vec<String>>,
    /// Added to `allowedScopes` (to the new list when both are given).
    #[serde(default)]
    pub allowed_capabilities: Option<Vec<String>>,
    #[serde(default)]
    pub allowed_purposes: Option<Vec<String>>,
    #[serde(default)]
    pub require_pkce: Option<bool>,
    /// RFC 9449 §5.2: require DPoP. Switching it on makes the application's unbound tokens
    /// stop working at the APIs at once.
    #[serde(default)]
    pub dpop_bound_access_tokens: Option<bool>,
    #[serde(default)]
    pub public_key_pem: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub jwks: Option<serde_json::Value>,
    /// `disabled`: the application's tokens stop working at once.
    #[serde(default)]
    pub status: Option<AppStatus>,
}

/// The registered application and, for secret-based methods, its client secret: shown
/// only in this response, stored only as a keyed hash.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationCreated {
    #[serde(flatten)]
    pub application: ApplicationView,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
}

/// A new client secret; the previous one stops working. Shown once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClientSecretView {
    pub client_id: String,
    pub client_secret: String,
}

// ---- capabilities ----

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PurposeView {
    #[schema(example = "dpv:FraudPreventionAndDetection")]
    pub purpose: String,
    pub legal_basis: LegalBasis,
}

/// A purpose: its DPV name, or an object whose `legalBasis` (if given) must be the one this
/// operator applies to the purpose.
#[derive(Debug, Clone, PartialEq, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum PurposeInput {
    Name(String),
    #[serde(rename_all = "camelCase")]
    Entry {
        purpose: String,
        #[serde(default)]
        legal_basis: Option<LegalBasis>,
    },
}

impl PurposeInput {
    pub fn name(&self) -> &str {
        match self {
            PurposeInput::Name(n) => n,
            PurposeInput::Entry { purpose, .. } => purpose,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CapabilityView {
    #[schema(example = "sim-swap-v2")]
    pub id: String,
    #[schema(example = "sim-swap")]
    pub api_name: String,
    #[schema(example = "2.1.0")]
    pub version: String,
    #[schema(example = "/sim-swap/v2")]
    pub base_path: String,
    pub scopes: Vec<String>,
    pub purposes: Vec<PurposeView>,
    pub status: CapabilityStatus,
}

#[derive(Debug, Clone, PartialEq, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CapabilityInput {
    /// Required on `POST /capabilities`; on `PUT` the path names it (a body id must match).
    #[serde(default)]
    pub id: Option<String>,
    pub api_name: String,
    pub version: String,
    pub base_path: String,
    pub scopes: Vec<String>,
    #[serde(default)]
    pub purposes: Vec<PurposeInput>,
    /// Default `available`. `disabled`: its endpoints refuse every call and the AS its scopes.
    #[serde(default)]
    pub status: Option<CapabilityStatus>,
}

// ---- consents ----

/// The question: may this application use these scopes for this purpose on this subscriber?
#[derive(Debug, Clone, Default, PartialEq, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConsentCheckRequest {
    #[schema(example = "+34629255833")]
    pub phone_number: String,
    #[schema(example = "demo-client")]
    pub client_id: String,
    #[schema(example = "dpv:FraudPreventionAndDetection")]
    pub purpose: String,
    /// Technical scopes asked for; each must be one the purpose covers.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// The same, space-separated as in OAuth (`scope=`); merged with `scopes`.
    #[serde(default)]
    pub scope: Option<String>,
}

/// The decision, made by the same rule the authorization server applies.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConsentCheckResult {
    pub granted: bool,
    pub legal_basis: LegalBasis,
    /// The decision outcome.
    pub status: Outcome,
    /// The stored consent record's status, if there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent_status: Option<ConsentStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
    pub reason: String,
}

/// Records the subscriber's answer: `granted`, `denied` or `revoked`.
#[derive(Debug, Clone, PartialEq, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConsentWrite {
    #[schema(example = "+34629255833")]
    pub phone_number: String,
    pub client_id: String,
    #[schema(example = "dpv:RequestedServiceProvision")]
    pub purpose: String,
    /// Scopes the consent covers; default: every scope the purpose allows.
    #[serde(default)]
    pub scopes: Option<Vec<String>>,
    pub status: ConsentStatus,
    /// Only with `granted`; must be in the future.
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
    /// Why (free text, kept in the consent's history).
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConsentView {
    pub phone_number: String,
    pub client_id: String,
    pub purpose: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legal_basis: Option<LegalBasis>,
    pub scopes: Vec<String>,
    pub status: ConsentStatus,
    pub updated_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConsentEventView {
    pub id: i64,
    pub phone_number: String,
    pub client_id: String,
    pub purpose: String,
    pub status: ConsentStatus,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub reason: String,
}

// ---- subscribers and network facts ----

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SubscriberView {
    #[schema(example = "+34629255833")]
    pub phone_number: String,
    /// Opaque stable id; tokens carry a pairwise id derived from it.
    pub subscriber_id: String,
    pub sim_activated_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imsi: Option<String>,
    /// The most recent SIM change the gateway knows of.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest_sim_change: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SubscriberUpsert {
    /// Generated on create when absent; cannot change once set.
    #[serde(default)]
    pub subscriber_id: Option<String>,
    pub sim_activated_at: DateTime<Utc>,
    #[serde(default)]
    pub imsi: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SimChangeInput {
    /// Default: now. Not in the future.
    #[serde(default)]
    pub changed_at: Option<DateTime<Utc>>,
    /// Default `manual`.
    #[serde(default)]
    pub source: Option<String>,
    /// Idempotency key; recording the same id twice is a no-op. Generated when absent.
    #[serde(default)]
    pub event_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SimChangeView {
    pub phone_number: String,
    pub changed_at: DateTime<Utc>,
    pub source: String,
    pub event_id: String,
    /// False when this event id had already been recorded.
    pub recorded: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IpSessionView {
    pub session_id: String,
    #[schema(example = "198.51.100.7")]
    pub ip: String,
    pub phone_number: String,
    pub started_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
}

// ---- audit ----

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditEventView {
    pub id: i64,
    pub tenant: String,
    pub at: DateTime<Utc>,
    /// Who acted: a client id, `cli:<user>`, `subscriber:<id>`, `system`.
    pub actor: String,
    /// Dotted: `tenant.update`, `application.rotate_secret`, `consent.decision`…
    pub action: String,
    pub target: String,
    /// `ok`, `allow` or `deny`.
    pub outcome: String,
    pub reason: String,
    /// For writes: `{before, after}`; for decisions: what was asked and answered.
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn purposes_accept_names_or_entries() {
        let v: Vec<PurposeInput> = serde_json::from_str(
            r#"["dpv:ServiceProvision", {"purpose": "dpv:FraudPreventionAndDetection", "legalBasis": "legitimate_interest"}]"#,
        )
        .unwrap();
        assert_eq!(v[0].name(), "dpv:ServiceProvision");
        assert_eq!(
            v[1],
            PurposeInput::Entry {
                purpose: "dpv:FraudPreventionAndDetection".into(),
                legal_basis: Some(LegalBasis::LegitimateInterest)
            }
        );
    }

    #[test]
    fn unknown_fields_are_refused() {
        assert!(serde_json::from_str::<TenantPatch>(r#"{"nmae": "x"}"#).is_err());
        assert!(serde_json::from_str::<TenantPatch>(r#"{"status": "paused"}"#).is_err());
    }
}
