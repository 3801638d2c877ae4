//! RADIUS accounting (RFC 2866) as session facts.
//!
//! The listener (`ogw-radius`) authenticates and decodes packets into [`AccountingRecord`]s;
//! this module decides what each means and applies a whole group of them in one store
//! transaction ([`apply`]), so the listener can answer all of them after one commit.
//!
//! Policy decisions:
//! - **Session ids are scoped by NAS**: Acct-Session-Id is only unique per NAS (RFC 2866
//!   §5.5), so a session is stored as `<nas>/<Acct-Session-Id>`; a dual-stack session's IPv6
//!   prefix as `<nas>/<Acct-Session-Id>/v6`.
//! - **Unknown subscribers**: a session whose MSISDN is not a provisioned subscriber is still
//!   recorded, never auto-provisioned, and counted ([`Recorded::known_subscriber`]). Recording
//!   it matters: it ends the session of the address's previous holder, so that holder cannot be
//!   authenticated by a device that now has the address. Authentication needs a subscriber, so
//!   such a session authenticates nobody until the subscriber is provisioned; inventing one
//!   would invent a SIM activation date that SIM Swap would then report.
//! - **Unusable records** (no session id, no address on Start/Interim, no valid MSISDN) are
//!   acknowledged but not recorded, and counted: retransmitting them cannot make them usable.
//! - **Times** are the time of receipt; an Interim-Update or Stop for a session never seen
//!   dates its start back by Acct-Session-Time.
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use chrono::Duration;

use super::{ipv6_prefix_key, normalize_msisdn, valid_imsi};
use crate::domain::TenantId;
use crate::store::{SessionFact, SessionHolder, SessionOutcome, Store, StoreResult, Timestamp};

/// Acct-Status-Type (RFC 2866 §5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AcctStatus {
    Start,
    Stop,
    InterimUpdate,
    /// The NAS (re)started: none of its earlier sessions exist any more.
    AccountingOn,
    /// The NAS is shutting down: all its sessions end.
    AccountingOff,
}

impl AcctStatus {
    /// RFC 2866 §5.1 values (3 = Interim-Update from RFC 2869 §2.1).
    pub fn from_code(v: u32) -> Option<Self> {
        match v {
            1 => Some(Self::Start),
            2 => Some(Self::Stop),
            3 => Some(Self::InterimUpdate),
            7 => Some(Self::AccountingOn),
            8 => Some(Self::AccountingOff),
            _ => None,
        }
    }
}

/// The attributes of one Accounting-Request that matter here, as the listener decoded them.
#[derive(Debug, Clone, PartialEq)]
pub struct AccountingRecord {
    /// The tenant the NAS is configured to feed.
    pub tenant: TenantId,
    /// The NAS's identity (its configured client address), scoping its session ids.
    pub nas: String,
    /// None when Acct-Status-Type is absent or not one of [`AcctStatus`].
    pub status: Option<AcctStatus>,
    pub session_id: Option<String>,
    /// Framed-IP-Address (RFC 2865 §5.8).
    pub framed_ip: Option<Ipv4Addr>,
    /// Framed-IPv6-Prefix (RFC 3162 §2.3): prefix and length.
    pub framed_ipv6_prefix: Option<(Ipv6Addr, u8)>,
    /// Calling-Station-Id (RFC 2865 §5.31): the MSISDN in 3GPP accounting.
    pub calling_station_id: Option<String>,
    /// 3GPP-IMSI (TS 29.061 §16.4.7, vendor 10415 type 1).
    pub imsi: Option<String>,
    /// Acct-Session-Time in seconds (RFC 2866 §5.7).
    pub session_time: Option<u32>,
}

/// Why a well-formed, authentic record was acknowledged without being recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ignored {
    UnsupportedStatus,
    NoSessionId,
    NoAddress,
    NoMsisdn,
    InvalidMsisdn,
}

impl Ignored {
    /// Label for metrics and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Ignored::UnsupportedStatus => "unsupported_status",
            Ignored::NoSessionId => "no_session_id",
            Ignored::NoAddress => "no_address",
            Ignored::NoMsisdn => "no_msisdn",
            Ignored::InvalidMsisdn => "invalid_msisdn",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Recorded {
    /// Some fact of the record changed the store (false: late update for an ended session).
    pub applied: bool,
    pub known_subscriber: bool,
    pub imsi_differs: bool,
    /// Sessions of previous holders of the address that were ended.
    pub displaced: u64,
}

/// What became of one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    Recorded(Recorded),
    /// Accounting-On/Off: how many of the NAS's sessions ended.
    NasReset(u64),
    Ignored(Ignored),
}

enum Plan {
    Facts(Vec<SessionFact>),
    NasReset,
    Ignored(Ignored),
}

/// The session-id prefix of a NAS's sessions.
pub fn nas_prefix(nas: &str) -> String {
    format!("{nas}/")
}

fn plan(r: &AccountingRecord, now: Timestamp) -> Plan {
    let status = match r.status {
        Some(s) => s,
        None => return Plan::Ignored(Ignored::UnsupportedStatus),
    };
    if matches!(status, AcctStatus::AccountingOn | AcctStatus::AccountingOff) {
        return Plan::NasReset;
    }
    let acct_id = match r.session_id.as_deref().map(str::trim) {
        Some(id) if !id.is_empty() => id,
        _ => return Plan::Ignored(Ignored::NoSessionId),
    };
    let v4_id = format!("{}{acct_id}", nas_prefix(&r.nas));
    let v6_id = format!("{v4_id}/v6");
    let msisdn = match r.calling_station_id.as_deref() {
        None => None,
        Some(raw) => match normalize_msisdn(raw) {
            Ok(m) => Some(m),
            Err(_) if status == AcctStatus::Stop => None,
            Err(_) => return Plan::Ignored(Ignored::InvalidMsisdn),
        },
    };
    let imsi = r.imsi.clone().filter(|i| valid_imsi(i));
    let v6 = r
        .framed_ipv6_prefix
        .and_then(|(p, len)| ipv6_prefix_key(p, len));
    let started_at = match (status, r.session_time) {
        (AcctStatus::Start, _) | (_, None) => now,
        (_, Some(secs)) => now - Duration::seconds(i64::from(secs)),
    };
    let ended_at = (status == AcctStatus::Stop).then_some(now);
    let holder = |ip: IpAddr| {
        msisdn.clone().map(|msisdn| SessionHolder {
            ip,
            msisdn,
            imsi: imsi.clone(),
        })
    };
    let fact = |session_id: String, holder: Option<SessionHolder>| SessionFact {
        tenant: r.tenant.clone(),
        session_id,
        holder,
        started_at,
        seen_at: now,
        ended_at,
    };
    if status == AcctStatus::Stop {
        // A Stop ends both halves of a dual-stack session, whether or not it repeats them.
        return Plan::Facts(vec![
            fact(v4_id, r.framed_ip.and_then(|ip| holder(IpAddr::V4(ip)))),
            fact(v6_id, v6.and_then(|ip| holder(IpAddr::V6(ip)))),
        ]);
    }
    if r.framed_ip.is_none() && v6.is_none() {
        return Plan::Ignored(Ignored::NoAddress);
    }
    if msisdn.is_none() {
        return Plan::Ignored(Ignored::NoMsisdn);
    }
    let mut facts = Vec::with_capacity(2);
    if let Some(ip) = r.framed_ip {
        facts.push(fact(v4_id, holder(IpAddr::V4(ip))));
    }
    if let Some(ip) = v6 {
        facts.push(fact(v6_id, holder(IpAddr::V6(ip))));
    }
    Plan::Facts(facts)
}

/// Applies a group of records in one transaction, in order, and commits. On a store error
/// nothing is committed: the caller must not acknowledge any of them (RFC 2866 §2: no
/// Accounting-Response unless the record was stored), so the NASes retransmit.
pub async fn apply(
    store: &dyn Store,
    records: &[AccountingRecord],
    now: Timestamp,
) -> StoreResult<Vec<Disposition>> {
    let plans: Vec<Plan> = records.iter().map(|r| plan(r, now)).collect();
    let mut out: Vec<Option<Disposition>> = vec![None; records.len()];
    let mut tx = store.begin_network().await?;
    // Facts accumulate until a NAS reset, which must see the facts before it.
    let mut facts: Vec<SessionFact> = Vec::new();
    let mut owners: Vec<usize> = Vec::new();
    for (i, p) in plans.into_iter().enumerate() {
        match p {
            Plan::Ignored(why) => out[i] = Some(Disposition::Ignored(why)),
            Plan::Facts(fs) => {
                owners.extend(std::iter::repeat_n(i, fs.len()));
                facts.extend(fs);
            }
            Plan::NasReset => {
                flush(tx.as_mut(), &mut facts, &mut owners, &mut out).await?;
                let r = &records[i];
                let ended = tx
                    .end_sessions_with_prefix(&r.tenant, &nas_prefix(&r.nas), now)
                    .await?;
                out[i] = Some(Disposition::NasReset(ended));
            }
        }
    }
    flush(tx.as_mut(), &mut facts, &mut owners, &mut out).await?;
    tx.commit().await?;
    Ok(out
        .into_iter()
        .map(|d| d.unwrap_or(Disposition::Recorded(Recorded::default())))
        .collect())
}

async fn flush(
    tx: &mut dyn crate::store::NetworkTx,
    facts: &mut Vec<SessionFact>,
    owners: &mut Vec<usize>,
    out: &mut [Option<Disposition>],
) -> StoreResult<()> {
    if facts.is_empty() {
        return Ok(());
    }
    let outcomes = tx.apply_sessions(facts).await?;
    for (owner, o) in owners.iter().zip(outcomes) {
        merge(&mut out[*owner], o);
    }
    facts.clear();
    owners.clear();
    Ok(())
}

fn merge(slot: &mut Option<Disposition>, o: SessionOutcome) {
    let mut r = match slot {
        Some(Disposition::Recorded(r)) => *r,
        _ => Recorded::default(),
    };
    r.applied |= o.applied;
    r.known_subscriber |= o.known_subscriber;
    r.imsi_differs |= o.imsi_differs;
    r.displaced += o.displaced;
    *slot = Some(Disposition::Recorded(r));
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> Timestamp {
        chrono::Utc.with_ymd_and_hms(2025, 1, 1, 12, 0, 0).unwrap()
    }

    fn record(status: AcctStatus) -> AccountingRecord {
        AccountingRecord {
            tenant: TenantId::parse("demo").unwrap(),
            nas: "10.0.0.1".into(),
            status: Some(status),
            session_id: Some("abc".into()),
            framed_ip: Some("100.64.0.7".parse().unwrap()),
            framed_ipv6_prefix: None,
            calling_station_id: Some("34629255833".into()),
            imsi: Some("214070000000001".into()),
            session_time: Some(60),
        }
    }

    fn facts(p: Plan) -> Vec<SessionFact> {
        match p {
            Plan::Facts(f) => f,
            Plan::NasReset => panic!("nas reset"),
            Plan::Ignored(i) => panic!("ignored: {i:?}"),
        }
    }

    #[test]
    fn start_opens_a_nas_scoped_session_with_e164_msisdn() {
        let f = facts(plan(&record(AcctStatus::Start), now()));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].session_id, "10.0.0.1/abc");
        let h = f[0].holder.as_ref().unwrap();
        assert_eq!(h.msisdn.as_str(), "+34629255833");
        assert_eq!(h.ip, "100.64.0.7".parse::<IpAddr>().unwrap());
        assert_eq!(h.imsi.as_deref(), Some("214070000000001"));
        assert_eq!(f[0].started_at, now());
        assert_eq!(f[0].ended_at, None);
    }

    #[test]
    fn interim_dates_start_back_and_dual_stack_gives_two_sessions() {
        let mut r = record(AcctStatus::InterimUpdate);
        r.framed_ipv6_prefix = Some(("2001:db8:1:2::".parse().unwrap(), 64));
        let f = facts(plan(&r, now()));
        assert_eq!(f.len(), 2);
        assert_eq!(f[1].session_id, "10.0.0.1/abc/v6");
        assert_eq!(
            f[1].holder.as_ref().unwrap().ip,
            "2001:db8:1:2::".parse::<IpAddr>().unwrap()
        );
        assert_eq!(f[0].started_at, now() - Duration::seconds(60));
        assert_eq!(f[0].seen_at, now());
    }

    #[test]
    fn stop_ends_both_halves() {
        let mut r = record(AcctStatus::Stop);
        r.calling_station_id = None;
        let f = facts(plan(&r, now()));
        assert_eq!(f.len(), 2);
        assert!(f
            .iter()
            .all(|f| f.ended_at == Some(now()) && f.holder.is_none()));
    }

    #[test]
    fn unusable_records_are_ignored() {
        let mut r = record(AcctStatus::Start);
        r.status = None;
        assert!(matches!(
            plan(&r, now()),
            Plan::Ignored(Ignored::UnsupportedStatus)
        ));
        let mut r = record(AcctStatus::Start);
        r.session_id = Some(" ".into());
        assert!(matches!(
            plan(&r, now()),
            Plan::Ignored(Ignored::NoSessionId)
        ));
        let mut r = record(AcctStatus::Start);
        r.framed_ip = None;
        assert!(matches!(plan(&r, now()), Plan::Ignored(Ignored::NoAddress)));
        let mut r = record(AcctStatus::Start);
        r.calling_station_id = None;
        assert!(matches!(plan(&r, now()), Plan::Ignored(Ignored::NoMsisdn)));
        let mut r = record(AcctStatus::InterimUpdate);
        r.calling_station_id = Some("not-a-number".into());
        assert!(matches!(
            plan(&r, now()),
            Plan::Ignored(Ignored::InvalidMsisdn)
        ));
        assert!(matches!(
            plan(&record(AcctStatus::AccountingOn), now()),
            Plan::NasReset
        ));
    }

    #[test]
    fn invalid_imsi_is_dropped_not_fatal() {
        let mut r = record(AcctStatus::Start);
        r.imsi = Some("12ab".into());
        let f = facts(plan(&r, now()));
        assert_eq!(f[0].holder.as_ref().unwrap().imsi, None);
    }
}
