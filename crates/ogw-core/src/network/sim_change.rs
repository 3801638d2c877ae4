//! Recording one SIM change event (`POST /v1/network/sim-changes`), with the same rules as
//! a row of the `sim-changes` import.
use serde::Serialize;

pub use super::rows::SimChangeIn;
use crate::domain::TenantId;
use crate::store::{Store, StoreError, Timestamp};

/// `source` of events recorded through the API that name none.
pub const API_SOURCE: &str = "api";

#[derive(Debug, thiserror::Error)]
pub enum SimChangeError {
    /// A field is invalid; the message names it.
    #[error("{0}")]
    Invalid(String),
    #[error("no subscriber with this phone number")]
    UnknownSubscriber,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The recorded event as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SimChangeRecorded {
    pub event_id: String,
    pub phone_number: String,
    pub changed_at: chrono::DateTime<chrono::Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_imsi: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub source: String,
    /// False when this event id was already recorded (idempotent replay): nothing changed.
    pub recorded: bool,
}

/// Validates and records one SIM change for a subscriber of `tenant`.
pub async fn record(
    store: &dyn Store,
    tenant: &TenantId,
    input: SimChangeIn,
    now: Timestamp,
) -> Result<SimChangeRecorded, SimChangeError> {
    let event = input
        .validate(tenant, API_SOURCE, now)
        .map_err(SimChangeError::Invalid)?;
    let mut tx = store.begin_network().await?;
    let known = tx
        .subscribers_by_msisdn(tenant, std::slice::from_ref(&event.change.msisdn))
        .await?;
    if known.is_empty() {
        tx.rollback().await?;
        return Err(SimChangeError::UnknownSubscriber);
    }
    let recorded = tx
        .record_sim_changes(std::slice::from_ref(&event))
        .await?
        .first()
        .copied()
        .unwrap_or(false);
    tx.commit().await?;
    Ok(SimChangeRecorded {
        event_id: event.change.event_id,
        phone_number: event.change.msisdn.to_string(),
        changed_at: event.change.changed_at,
        new_imsi: event.new_imsi,
        reason: event.reason,
        source: event.change.source,
        recorded,
    })
}
