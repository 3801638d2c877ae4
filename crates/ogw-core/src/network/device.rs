//! How the device behind a subscriber-facing request (`/authorize`, the consent pages, the
//! privacy dashboard) was identified for network-based authentication, and the line it
//! names. Either the request's address, looked up in the active IP sessions, or the MSISDN a
//! trusted proxy put in the enrichment header (`msisdn_header`), which names the line
//! directly. Which one applies is decided at the HTTP edge: the header only counts from a
//! configured trusted proxy, and then wins over `X-Forwarded-For`.
use std::fmt;
use std::net::IpAddr;

use crate::domain::{PhoneNumber, TenantId};
use crate::store::{Store, StoreResult, Subscriber, Timestamp};

/// The evidence a request carries about which device sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceEvidence {
    /// The device's address (TCP peer, or `X-Forwarded-For` from a trusted proxy): the line is
    /// the one holding an active IP session for it.
    Ip(IpAddr),
    /// Header enrichment: a trusted proxy named the device's MSISDN. The line must still be a
    /// subscriber of the tenant in question; no IP session is needed.
    Msisdn(PhoneNumber),
}

impl DeviceEvidence {
    /// What the audit trail records as the evidence used.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Ip(_) => "network_ip",
            Self::Msisdn(_) => "header_enrichment",
        }
    }

    /// A stable text naming the device, to bind tokens (consent-page CSRF) to it.
    pub fn binding(&self) -> String {
        match self {
            Self::Ip(ip) => ip.to_string(),
            Self::Msisdn(m) => format!("tel:{m}"),
        }
    }

    /// The line of `tenant` this evidence names: the line of the active IP session (sessions
    /// last seen at `seen_since` or later), or the enriched MSISDN when it is a subscriber of
    /// `tenant`. `None`: the device is not identified in this tenant.
    pub async fn line(
        &self,
        store: &dyn Store,
        tenant: &TenantId,
        seen_since: Timestamp,
    ) -> StoreResult<Option<PhoneNumber>> {
        match self {
            Self::Ip(ip) => Ok(store
                .find_active_session(tenant, *ip, seen_since)
                .await?
                .map(|s| s.msisdn)),
            Self::Msisdn(m) => Ok(store.get_subscriber(tenant, m).await?.map(|s| s.msisdn)),
        }
    }

    /// The subscriber of `tenant` this evidence names (see [`DeviceEvidence::line`]); an IP
    /// session of a line that is not a subscriber identifies nobody.
    pub async fn subscriber(
        &self,
        store: &dyn Store,
        tenant: &TenantId,
        seen_since: Timestamp,
    ) -> StoreResult<Option<Subscriber>> {
        match self {
            Self::Ip(ip) => match store.find_active_session(tenant, *ip, seen_since).await? {
                Some(s) => store.get_subscriber(tenant, &s.msisdn).await,
                None => Ok(None),
            },
            Self::Msisdn(m) => store.get_subscriber(tenant, m).await,
        }
    }
}

impl fmt::Display for DeviceEvidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Ip(ip) => write!(f, "address {ip}"),
            Self::Msisdn(_) => f.write_str("enriched MSISDN"),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_bindings_differ_per_evidence() {
        let ip = DeviceEvidence::Ip("10.0.0.1".parse().unwrap());
        let m = DeviceEvidence::Msisdn(PhoneNumber::parse("+34600000001").unwrap());
        assert_eq!(ip.kind(), "network_ip");
        assert_eq!(m.kind(), "header_enrichment");
        assert_eq!(ip.binding(), "10.0.0.1");
        assert_eq!(m.binding(), "tel:+34600000001");
        // The MSISDN stays out of log lines that print the evidence.
        assert!(!m.to_string().contains("346"));
    }
}
