//! The rows of the network imports (and of the SIM change API): their wire shape, shared by
//! NDJSON objects and CSV columns, and their validation into store records.
use std::net::IpAddr;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::{ipv6_prefix_key, normalize_msisdn, session_address, valid_imsi};
use crate::domain::{PhoneNumber, SubscriberId, TenantId};
use crate::store::{SessionFact, SessionHolder, SimChange, SimChangeEvent, Timestamp};

pub(crate) const SUBSCRIBER_FIELDS: &[&str] =
    &["phoneNumber", "subscriberId", "simActivatedAt", "imsi"];
pub(crate) const SIM_CHANGE_FIELDS: &[&str] = &[
    "eventId",
    "phoneNumber",
    "changedAt",
    "newImsi",
    "reason",
    "source",
];
pub(crate) const IP_SESSION_FIELDS: &[&str] = &[
    "sessionId",
    "ipAddress",
    "phoneNumber",
    "imsi",
    "startedAt",
    "lastSeenAt",
    "endedAt",
];

/// `subscribers`: one subscriber, keyed by phone number.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct SubscriberIn {
    phone_number: String,
    /// Kept for an existing subscriber (immutable); generated for a new one when absent.
    #[serde(default)]
    subscriber_id: Option<String>,
    sim_activated_at: String,
    #[serde(default)]
    imsi: Option<String>,
}

/// `sim-changes` and `POST /v1/network/sim-changes`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SimChangeIn {
    /// Idempotency key; default derived from phone number and time, so a replay is a no-op.
    #[serde(default)]
    pub event_id: Option<String>,
    /// E.164, with or without the leading `+`.
    #[schema(example = "+34629255833")]
    pub phone_number: String,
    /// RFC 3339.
    #[schema(example = "2025-02-03T04:05:06Z")]
    pub changed_at: String,
    #[serde(default)]
    pub new_imsi: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
    /// Where the event came from; default given by the caller (`import`, `api`).
    #[serde(default)]
    pub source: Option<String>,
}

/// `ip-sessions`: one session.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct IpSessionIn {
    session_id: String,
    /// An IPv4 or IPv6 address, or an IPv6 prefix `2001:db8:1:2::/64`.
    ip_address: String,
    phone_number: String,
    #[serde(default)]
    imsi: Option<String>,
    started_at: String,
    #[serde(default)]
    last_seen_at: Option<String>,
    #[serde(default)]
    ended_at: Option<String>,
}

/// A validated subscriber row; the id is resolved against the store later.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SubscriberRow {
    pub msisdn: PhoneNumber,
    pub id: Option<SubscriberId>,
    pub sim_activated_at: Timestamp,
    pub imsi: Option<String>,
}

fn phone(field: &str, v: &str) -> Result<PhoneNumber, String> {
    normalize_msisdn(v).map_err(|e| format!("{field}: {e}"))
}

/// RFC 3339 with an offset; not after `now`.
fn past_time(field: &str, v: &str, now: Timestamp) -> Result<Timestamp, String> {
    let t = DateTime::parse_from_rfc3339(v.trim())
        .map_err(|e| format!("{field}: not an RFC 3339 date-time ({e})"))?
        .with_timezone(&Utc);
    if t > now {
        return Err(format!("{field}: must not be in the future"));
    }
    Ok(t)
}

fn imsi(field: &str, v: Option<&str>) -> Result<Option<String>, String> {
    match v.map(str::trim) {
        None | Some("") => Ok(None),
        Some(i) if valid_imsi(i) => Ok(Some(i.to_owned())),
        Some(_) => Err(format!("{field}: must be 6-15 digits")),
    }
}

/// Printable text without control characters, at most `max` bytes.
fn text(field: &str, v: &str, max: usize) -> Result<String, String> {
    let v = v.trim();
    if v.is_empty() || v.len() > max || v.chars().any(char::is_control) {
        return Err(format!(
            "{field}: must be 1-{max} characters without control characters"
        ));
    }
    Ok(v.to_owned())
}

impl SubscriberIn {
    pub(crate) fn validate(self, now: Timestamp) -> Result<SubscriberRow, String> {
        Ok(SubscriberRow {
            msisdn: phone("phoneNumber", &self.phone_number)?,
            id: match self.subscriber_id.as_deref().map(str::trim) {
                None | Some("") => None,
                Some(id) => {
                    Some(SubscriberId::parse(id).map_err(|e| format!("subscriberId: {e}"))?)
                }
            },
            sim_activated_at: past_time("simActivatedAt", &self.sim_activated_at, now)?,
            imsi: imsi("imsi", self.imsi.as_deref())?,
        })
    }
}

impl SimChangeIn {
    pub fn validate(
        self,
        tenant: &TenantId,
        default_source: &str,
        now: Timestamp,
    ) -> Result<SimChangeEvent, String> {
        let msisdn = phone("phoneNumber", &self.phone_number)?;
        let changed_at = past_time("changedAt", &self.changed_at, now)?;
        let event_id = match self.event_id.as_deref() {
            Some(e) => text("eventId", e, 128)?,
            // Deterministic, so importing the same file twice records each change once.
            None => format!(
                "{}@{}",
                msisdn.as_str().trim_start_matches('+'),
                changed_at.timestamp_millis()
            ),
        };
        Ok(SimChangeEvent {
            change: SimChange {
                tenant: tenant.clone(),
                msisdn,
                changed_at,
                source: match self.source.as_deref() {
                    Some(s) => text("source", s, 64)?,
                    None => default_source.to_owned(),
                },
                event_id,
            },
            new_imsi: imsi("newImsi", self.new_imsi.as_deref())?,
            reason: self
                .reason
                .as_deref()
                .map(|r| text("reason", r, 256))
                .transpose()?,
        })
    }
}

/// `ipAddress`: an address, or an IPv6 prefix, as the address sessions are recorded under.
fn session_ip(v: &str) -> Result<IpAddr, String> {
    let v = v.trim();
    let bad = || format!("ipAddress: {v:?} is neither an IP address nor an IPv6 prefix");
    match v.split_once('/') {
        None => v.parse::<IpAddr>().map(session_address).map_err(|_| bad()),
        Some((addr, len)) => {
            let len: u8 = len.parse().map_err(|_| bad())?;
            match addr.parse::<IpAddr>().map_err(|_| bad())? {
                IpAddr::V6(p) => ipv6_prefix_key(p, len).map(IpAddr::V6).ok_or_else(bad),
                v4 @ IpAddr::V4(_) if len == 32 => Ok(v4),
                IpAddr::V4(_) => Err(format!(
                    "ipAddress: IPv4 sessions hold one address (/32), not {v}"
                )),
            }
        }
    }
}

impl IpSessionIn {
    pub(crate) fn validate(self, tenant: &TenantId, now: Timestamp) -> Result<SessionFact, String> {
        let session_id = text("sessionId", &self.session_id, 128)?;
        let ip = session_ip(&self.ip_address)?;
        let msisdn = phone("phoneNumber", &self.phone_number)?;
        let started_at = past_time("startedAt", &self.started_at, now)?;
        let seen_at = match self.last_seen_at.as_deref() {
            Some(t) => past_time("lastSeenAt", t, now)?,
            None => started_at,
        };
        let ended_at = self
            .ended_at
            .as_deref()
            .map(|t| past_time("endedAt", t, now))
            .transpose()?;
        if seen_at < started_at {
            return Err("lastSeenAt: must not be before startedAt".into());
        }
        if ended_at.is_some_and(|e| e < started_at) {
            return Err("endedAt: must not be before startedAt".into());
        }
        Ok(SessionFact {
            tenant: tenant.clone(),
            session_id,
            holder: Some(SessionHolder {
                ip,
                msisdn,
                imsi: imsi("imsi", self.imsi.as_deref())?,
            }),
            started_at,
            seen_at: ended_at.map_or(seen_at, |e| e.max(seen_at)),
            ended_at,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> Timestamp {
        Utc.with_ymd_and_hms(2025, 6, 1, 0, 0, 0).unwrap()
    }
    fn tenant() -> TenantId {
        TenantId::parse("demo").unwrap()
    }

    #[test]
    fn subscriber_rows_validate_each_field() {
        let ok: SubscriberIn = serde_json::from_str(
            r#"{"phoneNumber":"34600000001","simActivatedAt":"2024-01-01T00:00:00+01:00","imsi":"214070000000001"}"#,
        )
        .unwrap();
        let row = ok.validate(now()).unwrap();
        assert_eq!(row.msisdn.as_str(), "+34600000001");
        assert_eq!(
            row.sim_activated_at.to_rfc3339(),
            "2023-12-31T23:00:00+00:00"
        );
        for (json, want) in [
            (
                r#"{"phoneNumber":"x","simActivatedAt":"2024-01-01T00:00:00Z"}"#,
                "phoneNumber",
            ),
            (
                r#"{"phoneNumber":"+34600000001","simActivatedAt":"2024-01-01"}"#,
                "simActivatedAt",
            ),
            (
                r#"{"phoneNumber":"+34600000001","simActivatedAt":"2099-01-01T00:00:00Z"}"#,
                "future",
            ),
            (
                r#"{"phoneNumber":"+34600000001","simActivatedAt":"2024-01-01T00:00:00Z","imsi":"1"}"#,
                "imsi",
            ),
            (
                r#"{"phoneNumber":"+34600000001","simActivatedAt":"2024-01-01T00:00:00Z","subscriberId":"a b"}"#,
                "subscriberId",
            ),
        ] {
            let r: SubscriberIn = serde_json::from_str(json).unwrap();
            let e = r.validate(now()).unwrap_err();
            assert!(e.contains(want), "{json}: {e}");
        }
        assert!(serde_json::from_str::<SubscriberIn>(r#"{"phoneNumber":"+34600000001"}"#).is_err());
        assert!(serde_json::from_str::<SubscriberIn>(
            r#"{"phoneNumber":"+34600000001","simActivatedAt":"2024-01-01T00:00:00Z","x":1}"#
        )
        .is_err());
    }

    #[test]
    fn sim_change_event_ids_default_deterministically() {
        let input = || SimChangeIn {
            event_id: None,
            phone_number: "+34600000001".into(),
            changed_at: "2025-01-01T00:00:00Z".into(),
            new_imsi: None,
            reason: Some("lost".into()),
            source: None,
        };
        let a = input().validate(&tenant(), "import", now()).unwrap();
        let b = input().validate(&tenant(), "import", now()).unwrap();
        assert_eq!(a.change.event_id, b.change.event_id);
        assert_eq!(a.change.source, "import");
        assert_eq!(a.reason.as_deref(), Some("lost"));
        let mut bad = input();
        bad.reason = Some("a\nb".into());
        assert!(bad.validate(&tenant(), "import", now()).is_err());
    }

    #[test]
    fn session_addresses_and_prefixes() {
        assert_eq!(session_ip("10.0.0.1").unwrap().to_string(), "10.0.0.1");
        assert_eq!(session_ip("10.0.0.1/32").unwrap().to_string(), "10.0.0.1");
        assert!(session_ip("10.0.0.0/24").is_err());
        assert_eq!(
            session_ip("2001:db8:1:2::/64").unwrap().to_string(),
            "2001:db8:1:2::"
        );
        assert_eq!(
            session_ip("2001:db8:1:2:3:4:5:6").unwrap().to_string(),
            "2001:db8:1:2::"
        );
        assert!(session_ip("nope").is_err());
        assert!(session_ip("2001:db8::/200").is_err());
    }

    #[test]
    fn session_rows_check_time_order() {
        let row = |ended: &str| IpSessionIn {
            session_id: "s1".into(),
            ip_address: "10.0.0.1".into(),
            phone_number: "+34600000001".into(),
            imsi: None,
            started_at: "2025-01-01T10:00:00Z".into(),
            last_seen_at: None,
            ended_at: Some(ended.into()),
        };
        let f = row("2025-01-01T11:00:00Z")
            .validate(&tenant(), now())
            .unwrap();
        assert_eq!(f.seen_at, f.ended_at.unwrap());
        assert!(row("2025-01-01T09:00:00Z")
            .validate(&tenant(), now())
            .is_err());
    }
}
