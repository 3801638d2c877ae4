//! The point reads a CAMARA call makes about one line — its subscriber, its latest SIM change,
//! the client's consents for it — and, for SQLite, fetching the ones the in-memory facts miss
//! in one read transaction.
//!
//! Each read on its own is a read transaction, and each transaction start and end takes
//! SQLite's per-file shared-memory mutex (`unixShmLock`); on a large store, where most lines
//! are not in memory, the runtime's threads queued on that mutex (bench/PERF.md, round 5).
//! Fetched together, a call takes it once. The answers are kept under the generation read
//! before the transaction, exactly as a lookup through `Facts` keeps them, so a write
//! announced meanwhile leaves nothing stale behind.
use ogw_core::domain::{ClientId, PhoneNumber, Purpose, TenantId};
use ogw_core::store::StoreResult;

use crate::facts::{key, Facts};
use crate::fast::FastReads;
use crate::rows::{opt, opt_ts, ConsentRow, SubscriberRow};

pub(crate) const SUBSCRIBER_BY_MSISDN: &str = concat!(
    "SELECT ",
    subscriber_cols!(),
    " FROM subscribers WHERE tenant_id = $1 AND msisdn = $2"
);
pub(crate) const LATEST_SIM_CHANGE: &str =
    "SELECT MAX(changed_at) FROM sim_changes WHERE tenant_id = $1 AND msisdn = $2";
pub(crate) const CONSENT_BY_KEY: &str = concat!(
    "SELECT ",
    consent_cols!(),
    " FROM consents WHERE tenant_id = $1 AND msisdn = $2 AND client_id = $3 AND purpose = $4"
);

pub(crate) fn line_key(tenant: &TenantId, msisdn: &PhoneNumber) -> String {
    key(&[tenant.as_str(), msisdn.as_str()])
}

pub(crate) fn consent_key(
    tenant: &TenantId,
    msisdn: &PhoneNumber,
    client_id: &ClientId,
    purpose: &Purpose,
) -> String {
    key(&[
        tenant.as_str(),
        msisdn.as_str(),
        client_id.as_str(),
        purpose.as_str(),
    ])
}

/// Reads what `facts` lacks of the line in one snapshot and keeps it there.
pub(crate) fn line(
    facts: &Facts,
    fast: &FastReads,
    tenant: &TenantId,
    msisdn: &PhoneNumber,
    client_id: &ClientId,
    purposes: &[Purpose],
) -> StoreResult<()> {
    let generation = facts.current()?;
    let line = line_key(tenant, msisdn);
    let want_subscriber = !facts.has_subscriber(&line, generation);
    let want_sim_change = !facts.has_sim_change(&line, generation);
    let consents: Vec<(String, &Purpose)> = purposes
        .iter()
        .map(|p| (consent_key(tenant, msisdn, client_id, p), p))
        .filter(|(k, _)| !facts.has_consent(k, generation))
        .collect();
    // A single read gains nothing from a transaction around it.
    if usize::from(want_subscriber) + usize::from(want_sim_change) + consents.len() < 2 {
        return Ok(());
    }
    let line_args = args![tenant.as_str(), msisdn.as_str()];
    let (subscriber, sim_change, found) = fast.in_one_snapshot(|snap| {
        let subscriber = want_subscriber
            .then(|| snap.row::<SubscriberRow>(SUBSCRIBER_BY_MSISDN, &line_args))
            .transpose()?;
        let sim_change = want_sim_change
            .then(|| snap.scalar_one::<Option<i64>>(LATEST_SIM_CHANGE, &line_args))
            .transpose()?;
        let found = consents
            .iter()
            .map(|(_, purpose)| {
                let args = args![
                    tenant.as_str(),
                    msisdn.as_str(),
                    client_id.as_str(),
                    purpose.as_str()
                ];
                snap.row::<ConsentRow>(CONSENT_BY_KEY, &args)
            })
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok((subscriber, sim_change, found))
    })?;
    if let Some(row) = subscriber {
        facts.keep_subscriber(line.clone(), opt(row)?, generation);
    }
    if let Some(at) = sim_change {
        facts.keep_sim_change(line, opt_ts(at)?, generation);
    }
    for ((k, _), row) in consents.into_iter().zip(found) {
        facts.keep_consent(k, opt(row)?, generation);
    }
    Ok(())
}
