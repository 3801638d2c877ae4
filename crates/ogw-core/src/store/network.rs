//! Batch writes of network facts (RADIUS accounting, bulk imports) in one transaction.
//!
//! [`super::SubscriberStore::begin_network`] opens a [`NetworkTx`]; everything written through
//! it becomes visible at [`NetworkTx::commit`] and is discarded when the transaction is
//! dropped or rolled back. RADIUS accounting uses one transaction per group of requests (group
//! commit); an import uses one for the whole file, so a rejected file leaves nothing behind.
use std::net::IpAddr;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::{SimChange, StoreResult, Subscriber, Timestamp};
use crate::domain::{PhoneNumber, SubscriberId, TenantId};

/// Who holds an address during a session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionHolder {
    /// For IPv6, the /64 network address of the session's prefix (see
    /// [`crate::network::session_address`]).
    pub ip: IpAddr,
    pub msisdn: PhoneNumber,
    /// The IMSI the network reported (3GPP-IMSI), if any.
    pub imsi: Option<String>,
}

/// One fact about an IP session, from accounting or an import.
///
/// Rules ([`NetworkTx::apply_sessions`]):
/// - open (`ended_at` None): inserts the session, or refreshes holder and `last_seen_at` of a
///   session that has not ended. An ended session stays ended: a late or reordered Interim
///   cannot reopen it. When the session is open afterwards, every *other* open session of the
///   tenant on the same address is ended at `seen_at` (the address was reassigned; its Stop
///   was lost), so a stale holder can never authenticate a device that now has its address.
/// - ended (`ended_at` Some): ends an open session; a session never seen is recorded as ended
///   when the fact names its holder, so a Start arriving after its Stop cannot open it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionFact {
    pub tenant: TenantId,
    pub session_id: String,
    /// None only for a Stop that names no address: it can end a known session, not record one.
    pub holder: Option<SessionHolder>,
    /// Start of the session, used when the session is new to the store.
    pub started_at: Timestamp,
    pub seen_at: Timestamp,
    pub ended_at: Option<Timestamp>,
}

/// What applying one [`SessionFact`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SessionOutcome {
    /// The store changed (false: an update for an ended session, a Stop for an unknown one).
    pub applied: bool,
    /// The holder's MSISDN is a subscriber of the tenant.
    pub known_subscriber: bool,
    /// The fact's IMSI differs from the one recorded for the subscriber.
    pub imsi_differs: bool,
    /// Other open sessions on the same address that this one ended.
    pub displaced: u64,
}

/// A SIM change with what the provisioning feed knows beyond [`SimChange`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimChangeEvent {
    pub change: SimChange,
    /// The IMSI of the new SIM; becomes the subscriber's IMSI when this is its latest change.
    pub new_imsi: Option<String>,
    /// Why the SIM changed (free text from the feed, e.g. `lost`, `esim-transfer`).
    pub reason: Option<String>,
}

/// A write transaction for network facts. Dropping it without [`NetworkTx::commit`] rolls
/// everything back.
#[async_trait]
pub trait NetworkTx: Send {
    /// The subscribers among `msisdns` (as this transaction sees them).
    async fn subscribers_by_msisdn(
        &mut self,
        tenant: &TenantId,
        msisdns: &[PhoneNumber],
    ) -> StoreResult<Vec<Subscriber>>;

    /// The subscribers holding any of `ids`.
    async fn subscribers_by_id(
        &mut self,
        tenant: &TenantId,
        ids: &[SubscriberId],
    ) -> StoreResult<Vec<Subscriber>>;

    /// Inserts or replaces subscribers keyed by (tenant, MSISDN); for a repeated MSISDN the
    /// later row wins. `Conflict` when a subscriber id belongs to another MSISDN: callers check
    /// with [`Self::subscribers_by_id`] first, because after an error the transaction is unusable.
    async fn put_subscribers(&mut self, rows: &[Subscriber]) -> StoreResult<()>;

    /// Records SIM change events, idempotent by (tenant, event id); returns for each whether it
    /// was new. A new event with `new_imsi` sets the subscriber's IMSI unless a later change
    /// is already recorded.
    async fn record_sim_changes(&mut self, rows: &[SimChangeEvent]) -> StoreResult<Vec<bool>>;

    /// Applies session facts in order (see [`SessionFact`] for the rules).
    async fn apply_sessions(&mut self, facts: &[SessionFact]) -> StoreResult<Vec<SessionOutcome>>;

    /// Ends every open session of `tenant` whose id starts with `prefix` (a NAS announcing
    /// Accounting-On/Off has lost all its sessions). Returns how many ended.
    async fn end_sessions_with_prefix(
        &mut self,
        tenant: &TenantId,
        prefix: &str,
        at: Timestamp,
    ) -> StoreResult<u64>;

    async fn commit(self: Box<Self>) -> StoreResult<()>;

    async fn rollback(self: Box<Self>) -> StoreResult<()>;
}
