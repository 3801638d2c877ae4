//! Network facts: who holds which IP address (RADIUS accounting, imports) and when SIMs
//! change (provisioning feed, imports). These are the facts network-based authentication at
//! `/authorize` and the SIM Swap API answer from.
//!
//! - [`accounting`]: RADIUS accounting records (RFC 2866, 3GPP TS 29.061) → session facts,
//!   applied in groups (one transaction per group of requests).
//! - [`import`]: streaming bulk import of subscribers, SIM changes and IP sessions from NDJSON
//!   or CSV, validated row by row, applied in one transaction (all or nothing).
//! - [`sim_change`]: recording one SIM change event (the management API).
//! - [`device`]: how a subscriber-facing request's device was identified (IP session or
//!   header enrichment) and the line that names.
pub mod accounting;
pub mod device;
pub mod import;
pub mod managed;
mod rows;
pub mod sim_change;

use std::net::{IpAddr, Ipv6Addr};

use crate::domain::{InvalidPhoneNumber, PhoneNumber};

/// An MSISDN as networks send it (`34629255833`, `+34629255833`, `tel:+34629255833`) as E.164
/// with a leading `+`. Calling-Station-Id in 3GPP accounting carries the MSISDN without `+`
/// (TS 29.061 §16.4.7); anything that is not then a valid E.164 number is refused.
pub fn normalize_msisdn(raw: &str) -> Result<PhoneNumber, InvalidPhoneNumber> {
    let s = raw.trim();
    let s = s.strip_prefix("tel:").unwrap_or(s);
    let digits = s.strip_prefix('+').unwrap_or(s);
    PhoneNumber::parse(&format!("+{digits}"))
}

/// An IMSI: 6 to 15 digits (3GPP TS 23.003 §2.2: MCC + MNC + MSIN, at most 15).
pub fn valid_imsi(s: &str) -> bool {
    (6..=15).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
}

/// Prefix length a mobile device's IPv6 address is recorded under: 3GPP TS 29.061 §11.2.1.3.2
/// assigns each PDN connection a /64, and the device picks its interface identifier itself.
pub const IPV6_SESSION_PREFIX: u8 = 64;

/// The address a session is recorded under: an IPv4 address as is (IPv4-mapped IPv6 as IPv4),
/// an IPv6 address or prefix as the network address of its /64. Device lookups match either
/// the exact address or its /64, so both `Framed-IPv6-Prefix` sessions and imported single
/// addresses work.
pub fn session_address(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(mask_v6(v6, IPV6_SESSION_PREFIX)),
        },
    }
}

/// The key of an IPv6 prefix of length `len`: prefixes up to /64 (the 3GPP case) are keyed by
/// their first /64; longer ones by their own network address, which then only matches a
/// device using exactly that address.
pub fn ipv6_prefix_key(prefix: Ipv6Addr, len: u8) -> Option<Ipv6Addr> {
    match len {
        0..=64 => Some(mask_v6(prefix, IPV6_SESSION_PREFIX.max(len))),
        65..=128 => Some(mask_v6(prefix, len)),
        _ => None,
    }
}

fn mask_v6(ip: Ipv6Addr, len: u8) -> Ipv6Addr {
    let bits = u128::from(ip);
    let mask = match len {
        0 => 0,
        l if l >= 128 => u128::MAX,
        l => u128::MAX << (128 - u32::from(l)),
    };
    Ipv6Addr::from(bits & mask)
}

/// A device address as the store compares it for IPv6: the /64 network of the address.
/// `None` for IPv4, which is matched exactly.
pub fn ipv6_lookup_key(ip: IpAddr) -> Option<IpAddr> {
    match session_address(ip) {
        IpAddr::V6(net) => Some(IpAddr::V6(net)),
        IpAddr::V4(_) => None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn msisdns_are_normalised_to_e164() {
        for (raw, want) in [
            ("34629255833", "+34629255833"),
            ("+34629255833", "+34629255833"),
            (" tel:+34629255833 ", "+34629255833"),
            ("tel:34629255833", "+34629255833"),
        ] {
            assert_eq!(normalize_msisdn(raw).unwrap().as_str(), want, "{raw}");
        }
        for bad in [
            "",
            "+",
            "0034629255833",
            "++34629255833",
            "3462925583a",
            "1234",
        ] {
            assert!(normalize_msisdn(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn imsis_are_digits() {
        assert!(valid_imsi("214070123456789"));
        assert!(!valid_imsi("2140701234567890"));
        assert!(!valid_imsi("21407a"));
        assert!(!valid_imsi("12345"));
    }

    #[test]
    fn ipv6_sessions_are_keyed_by_their_64() {
        let ip: IpAddr = "2001:db8:1:2:a:b:c:d".parse().unwrap();
        assert_eq!(
            session_address(ip),
            "2001:db8:1:2::".parse::<IpAddr>().unwrap()
        );
        let v4: IpAddr = "10.1.2.3".parse().unwrap();
        assert_eq!(session_address(v4), v4);
        let mapped: IpAddr = "::ffff:10.1.2.3".parse().unwrap();
        assert_eq!(session_address(mapped), v4);
        assert_eq!(ipv6_lookup_key(v4), None);
        let p: Ipv6Addr = "2001:db8:1:2::".parse().unwrap();
        assert_eq!(ipv6_prefix_key(p, 64), Some(p));
        let wide: Ipv6Addr = "2001:db8:1:ff00::".parse().unwrap();
        assert_eq!(
            ipv6_prefix_key(wide, 56),
            Some("2001:db8:1:ff00::".parse().unwrap())
        );
        let host: Ipv6Addr = "2001:db8::5".parse().unwrap();
        assert_eq!(ipv6_prefix_key(host, 128), Some(host));
        assert_eq!(ipv6_prefix_key(host, 129), None);
    }
}
