//! Storage contract: one async trait per aggregate, implemented for SQLite and PostgreSQL
//! in `ogw-store-sql`. Every method on tenant-owned data takes the tenant; no query
//! crosses tenants.
mod model;
mod network;

pub use model::*;
pub use network::*;

use std::sync::Arc;

use async_trait::async_trait;

use crate::domain::*;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A unique key already exists (mapped from both databases' unique violations).
    #[error("conflict: {0}")]
    Conflict(String),
    /// Stored data failed to parse into domain types: a bug or manual tampering.
    #[error("corrupt row: {0}")]
    Corrupt(String),
    #[error("storage backend: {0}")]
    Backend(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

#[async_trait]
pub trait TenantStore: Send + Sync {
    async fn create_tenant(&self, t: &Tenant) -> StoreResult<()>;
    async fn get_tenant(&self, id: &TenantId) -> StoreResult<Option<Tenant>>;
    async fn list_tenants(&self) -> StoreResult<Vec<Tenant>>;
    async fn update_tenant(&self, t: &Tenant) -> StoreResult<()>;
    /// Deletes a tenant with no applications or subscribers left; `Conflict` otherwise.
    async fn delete_tenant(&self, id: &TenantId) -> StoreResult<()>;
    /// Deletes a tenant and everything it owns (applications, subscribers, catalog, consents,
    /// network facts, grants) in one transaction; the audit trail stays. `NotFound` when absent.
    async fn delete_tenant_cascade(&self, id: &TenantId) -> StoreResult<()>;
}

#[async_trait]
pub trait ApplicationStore: Send + Sync {
    /// `Conflict` when the client id exists (client ids are unique across tenants).
    async fn create_application(&self, a: &Application) -> StoreResult<()>;
    /// Client ids are global; the record says which tenant owns it.
    /// Shared, not copied: the SQL store answers from its read cache on every call.
    async fn find_application(&self, client_id: &ClientId)
        -> StoreResult<Option<Arc<Application>>>;
    async fn list_applications(&self, tenant: &TenantId) -> StoreResult<Vec<Application>>;
    async fn update_application(&self, a: &Application) -> StoreResult<()>;
    async fn delete_application(&self, tenant: &TenantId, client_id: &ClientId) -> StoreResult<()>;
}

#[async_trait]
pub trait CapabilityStore: Send + Sync {
    async fn upsert_capability(&self, c: &Capability) -> StoreResult<()>;
    async fn get_capability(
        &self,
        tenant: &TenantId,
        id: &CapabilityId,
    ) -> StoreResult<Option<Capability>>;
    /// The tenant's catalog by id, shared (see `find_application`).
    async fn list_capabilities(&self, tenant: &TenantId) -> StoreResult<Arc<[Capability]>>;
    async fn delete_capability(&self, tenant: &TenantId, id: &CapabilityId) -> StoreResult<()>;
}

#[async_trait]
pub trait SubscriberStore: Send + Sync {
    async fn upsert_subscriber(&self, s: &Subscriber) -> StoreResult<()>;
    async fn get_subscriber(
        &self,
        tenant: &TenantId,
        msisdn: &PhoneNumber,
    ) -> StoreResult<Option<Subscriber>>;
    async fn get_subscriber_by_id(
        &self,
        tenant: &TenantId,
        id: &SubscriberId,
    ) -> StoreResult<Option<Subscriber>>;
    /// Keyset pagination ordered by MSISDN.
    async fn list_subscribers(
        &self,
        tenant: &TenantId,
        after: Option<&PhoneNumber>,
        limit: i64,
    ) -> StoreResult<Vec<Subscriber>>;
    async fn count_subscribers(&self, tenant: &TenantId) -> StoreResult<i64>;
    /// A hint that a call is about to read `msisdn`'s subscriber, latest SIM change and
    /// consents for `client_id` under `purposes`: a store that keeps such facts in memory may
    /// fetch the missing ones together (SQLite: one read transaction instead of one per
    /// read). Answers are the same with or without it.
    async fn prefetch_line(
        &self,
        _tenant: &TenantId,
        _msisdn: &PhoneNumber,
        _client_id: &ClientId,
        _purposes: &[Purpose],
    ) -> StoreResult<()> {
        Ok(())
    }
    /// Returns false when this event id was already recorded (idempotent).
    async fn record_sim_change(&self, c: &SimChange) -> StoreResult<bool>;
    async fn latest_sim_change(
        &self,
        tenant: &TenantId,
        msisdn: &PhoneNumber,
    ) -> StoreResult<Option<Timestamp>>;
    /// Opens or refreshes a session (by session id).
    async fn upsert_ip_session(&self, s: &IpSession) -> StoreResult<()>;
    async fn end_ip_session(
        &self,
        tenant: &TenantId,
        session_id: &str,
        at: Timestamp,
    ) -> StoreResult<bool>;
    /// The active session holding `ip` whose last activity is at or after `seen_since`.
    /// An IPv6 address also matches a session recorded for its /64 prefix (3GPP TS 29.061:
    /// a UE gets a /64; see `network::session_address`).
    async fn find_active_session(
        &self,
        tenant: &TenantId,
        ip: std::net::IpAddr,
        seen_since: Timestamp,
    ) -> StoreResult<Option<IpSession>>;
    async fn list_active_sessions(
        &self,
        tenant: &TenantId,
        seen_since: Timestamp,
    ) -> StoreResult<Vec<IpSession>>;
    /// Opens a write transaction for batches of network facts (see [`NetworkTx`]).
    /// The SQL stores implement it; other stores (test fakes) need not.
    async fn begin_network(&self) -> StoreResult<Box<dyn NetworkTx>> {
        Err(StoreError::Backend(
            "this store does not support network fact batches".into(),
        ))
    }
}

/// Consent view definitions (`/v1/tenants/{tenant}/views`).
#[async_trait]
pub trait ViewStore: Send + Sync {
    /// Inserts or replaces the view `(tenant, id)`.
    async fn put_view(&self, v: &ConsentViewRecord) -> StoreResult<()>;
    async fn get_view(&self, tenant: &TenantId, id: &str)
        -> StoreResult<Option<ConsentViewRecord>>;
    /// Sorted by id.
    async fn list_views(&self, tenant: &TenantId) -> StoreResult<Vec<ConsentViewRecord>>;
    /// `NotFound` when there is no such view.
    async fn delete_view(&self, tenant: &TenantId, id: &str) -> StoreResult<()>;
}

#[async_trait]
pub trait QosStore: Send + Sync {
    async fn upsert_qos_profile(&self, p: &QosProfileRecord) -> StoreResult<()>;
    async fn get_qos_profile(
        &self,
        tenant: &TenantId,
        name: &str,
    ) -> StoreResult<Option<QosProfileRecord>>;
    async fn list_qos_profiles(&self, tenant: &TenantId) -> StoreResult<Vec<QosProfileRecord>>;
    async fn set_qos_availability(
        &self,
        tenant: &TenantId,
        profile: &str,
        msisdn: &PhoneNumber,
        available: bool,
    ) -> StoreResult<()>;
    /// Names of the profiles available to this subscriber.
    async fn qos_profiles_for(
        &self,
        tenant: &TenantId,
        msisdn: &PhoneNumber,
    ) -> StoreResult<Vec<String>>;
}

#[async_trait]
pub trait ConsentStore: Send + Sync {
    async fn get_consent(
        &self,
        tenant: &TenantId,
        msisdn: &PhoneNumber,
        client_id: &ClientId,
        purpose: &Purpose,
    ) -> StoreResult<Option<Consent>>;
    /// Upserts the consent and appends its history event in one transaction; returns the event id.
    async fn put_consent(&self, c: &Consent, actor: &str, reason: &str) -> StoreResult<i64>;
    async fn list_consents_by_subscriber(
        &self,
        tenant: &TenantId,
        msisdn: &PhoneNumber,
    ) -> StoreResult<Vec<Consent>>;
    async fn list_consents_by_client(
        &self,
        tenant: &TenantId,
        client_id: &ClientId,
    ) -> StoreResult<Vec<Consent>>;
    async fn consent_history(
        &self,
        tenant: &TenantId,
        msisdn: &PhoneNumber,
        client_id: &ClientId,
        purpose: &Purpose,
    ) -> StoreResult<Vec<ConsentEvent>>;
}

#[async_trait]
pub trait GrantStore: Send + Sync {
    async fn insert_code(&self, c: &AuthCode) -> StoreResult<()>;
    /// Atomically marks the code consumed and returns it, or `None` when it is unknown,
    /// expired or already consumed (`UPDATE … WHERE consumed_at IS NULL RETURNING …`).
    async fn consume_code(
        &self,
        tenant: &TenantId,
        code_hash: &str,
        now: Timestamp,
    ) -> StoreResult<Option<AuthCode>>;
    async fn get_code(&self, tenant: &TenantId, code_hash: &str) -> StoreResult<Option<AuthCode>>;
    async fn set_code_issued_jti(
        &self,
        tenant: &TenantId,
        code_hash: &str,
        jti: &str,
    ) -> StoreResult<()>;

    async fn insert_ciba(&self, r: &CibaRequest) -> StoreResult<()>;
    async fn get_ciba(&self, tenant: &TenantId, id_hash: &str) -> StoreResult<Option<CibaRequest>>;
    /// Records a poll; returns the previous poll time (for `slow_down`).
    async fn touch_ciba_poll(
        &self,
        tenant: &TenantId,
        id_hash: &str,
        now: Timestamp,
    ) -> StoreResult<Option<Timestamp>>;
    async fn set_ciba_status(
        &self,
        tenant: &TenantId,
        id_hash: &str,
        status: CibaStatus,
    ) -> StoreResult<()>;
    /// Atomically consumes an approved, unexpired request.
    async fn consume_ciba(
        &self,
        tenant: &TenantId,
        id_hash: &str,
        now: Timestamp,
    ) -> StoreResult<Option<CibaRequest>>;

    async fn revoke_jti(
        &self,
        tenant: &TenantId,
        jti: &str,
        expires_at: Timestamp,
    ) -> StoreResult<()>;
    async fn is_jti_revoked(&self, tenant: &TenantId, jti: &str) -> StoreResult<bool>;
    /// Replay protection: records (namespace, jti) and returns false if it was seen before.
    async fn use_jti_once(
        &self,
        tenant: &TenantId,
        namespace: &str,
        jti: &str,
        expires_at: Timestamp,
    ) -> StoreResult<bool>;
    async fn insert_refresh(&self, r: &RefreshToken) -> StoreResult<()>;
    /// Atomically marks an unused, unrevoked, unexpired refresh token used and returns it
    /// (`UPDATE … WHERE used_at IS NULL … RETURNING …`); `None` otherwise.
    async fn rotate_refresh(
        &self,
        tenant: &TenantId,
        token_hash: &str,
        now: Timestamp,
    ) -> StoreResult<Option<RefreshToken>>;
    async fn get_refresh(
        &self,
        tenant: &TenantId,
        token_hash: &str,
    ) -> StoreResult<Option<RefreshToken>>;
    /// Revokes every refresh token of the family; returns how many were still live.
    async fn revoke_refresh_family(
        &self,
        tenant: &TenantId,
        family_id: &str,
        now: Timestamp,
    ) -> StoreResult<u64>;
    /// Deletes expired codes, CIBA requests, revocations and replay records.
    async fn purge_expired(&self, now: Timestamp) -> StoreResult<u64>;
}

#[async_trait]
pub trait KeyStore: Send + Sync {
    async fn insert_signing_key(&self, k: &SigningKey) -> StoreResult<()>;
    /// Keys not yet past `publish_until`, newest first.
    async fn list_signing_keys(&self, now: Timestamp) -> StoreResult<Vec<SigningKey>>;
    async fn retire_signing_key(
        &self,
        kid: &str,
        at: Timestamp,
        publish_until: Timestamp,
    ) -> StoreResult<()>;
}

#[async_trait]
pub trait AuditStore: Send + Sync {
    async fn append_audit(&self, e: &AuditEvent) -> StoreResult<i64>;
    /// Appends several events of one request; returns once all are durable. Stores with
    /// group commit write them in one transaction instead of one commit each.
    async fn append_audits(&self, events: Vec<AuditEvent>) -> StoreResult<()> {
        for e in &events {
            self.append_audit(e).await?;
        }
        Ok(())
    }
    /// Newest first.
    async fn list_audit(
        &self,
        tenant: &TenantId,
        filter: &AuditFilter,
    ) -> StoreResult<Vec<AuditEvent>>;
}

/// Everything the server needs from storage.
#[async_trait]
pub trait Store:
    TenantStore
    + ApplicationStore
    + CapabilityStore
    + SubscriberStore
    + QosStore
    + ViewStore
    + ConsentStore
    + GrantStore
    + KeyStore
    + AuditStore
{
    /// Applies pending versioned migrations (idempotent).
    async fn migrate(&self) -> StoreResult<()>;
    /// Cheap liveness probe for `/health`.
    async fn ping(&self) -> StoreResult<()>;
    /// `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;
    /// After a bulk write (an import): folds the write-ahead log back into the database so
    /// that serving nodes do not pay for it later (SQLite: a truncating WAL checkpoint).
    async fn settle(&self) -> StoreResult<()> {
        Ok(())
    }
}
