//! The wire: Request Authenticator check (RFC 2866 §3), decoding an Accounting-Request into
//! an [`AccountingRecord`] with the 3GPP dictionary values we use, and the Accounting-Response.
//! Packet framing and attribute codecs come from the `radius` crate.
use std::net::Ipv6Addr;

use md5::{Digest, Md5};
use ogw_core::domain::TenantId;
use ogw_core::network::accounting::{AccountingRecord, AcctStatus};
use radius::core::code::Code;
use radius::core::packet::Packet;
use radius::core::{rfc2865, rfc2866, rfc3162};
use subtle::ConstantTimeEq;

/// RFC 2865 §3: header (code, identifier, length, authenticator).
pub const HEADER_LEN: usize = 20;
/// RFC 2865 §3: the largest packet.
pub const MAX_PACKET_LEN: usize = 4096;

/// 3GPP's SMI Private Enterprise Code (TS 29.061 §16.4.7).
pub const VENDOR_3GPP: u32 = 10415;
/// 3GPP-IMSI sub-attribute (TS 29.061 §16.4.7.2, type 1): the IMSI as UTF-8 digits.
pub const VSA_3GPP_IMSI: u8 = 1;
/// Vendor-Specific (RFC 2865 §5.26).
const VENDOR_SPECIFIC: u8 = 26;

/// Why a datagram is dropped without an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Drop {
    /// Shorter than its header or its Length field, or a bad Length.
    Malformed,
    /// Not an Accounting-Request (this listener serves accounting only).
    NotAccounting,
    /// The Request Authenticator does not match the shared secret (RFC 2866 §3).
    BadAuthenticator,
}

impl Drop {
    pub fn as_str(self) -> &'static str {
        match self {
            Drop::Malformed => "malformed",
            Drop::NotAccounting => "not_accounting",
            Drop::BadAuthenticator => "bad_authenticator",
        }
    }
}

/// The packet proper: the datagram cut to its Length field (RFC 2865 §3: octets beyond it are
/// padding and ignored).
pub fn framed(datagram: &[u8]) -> Result<&[u8], Drop> {
    if datagram.len() < HEADER_LEN {
        return Err(Drop::Malformed);
    }
    let len = usize::from(u16::from_be_bytes([datagram[2], datagram[3]]));
    if !(HEADER_LEN..=MAX_PACKET_LEN).contains(&len) || datagram.len() < len {
        return Err(Drop::Malformed);
    }
    Ok(&datagram[..len])
}

/// RFC 2866 §3: Request Authenticator = MD5(Code + Identifier + Length + 16 zero octets +
/// request attributes + shared secret), compared in constant time.
pub fn authentic(packet: &[u8], secret: &[u8]) -> bool {
    if packet.len() < HEADER_LEN || secret.is_empty() {
        return false;
    }
    let mut h = Md5::new();
    h.update(&packet[..4]);
    h.update([0u8; 16]);
    h.update(&packet[HEADER_LEN..]);
    h.update(secret);
    let digest = h.finalize();
    digest.as_slice().ct_eq(&packet[4..HEADER_LEN]).into()
}

/// Checks and decodes one Accounting-Request from a known NAS.
pub fn decode(
    datagram: &[u8],
    secret: &[u8],
    tenant: &TenantId,
    nas: &str,
) -> Result<(Packet, AccountingRecord), Drop> {
    let packet = framed(datagram)?;
    if Code::from(packet[0]) != Code::AccountingRequest {
        return Err(Drop::NotAccounting);
    }
    if !authentic(packet, secret) {
        return Err(Drop::BadAuthenticator);
    }
    let p = Packet::decode(packet, secret).map_err(|_| Drop::Malformed)?;
    let record = AccountingRecord {
        tenant: tenant.clone(),
        nas: nas.to_owned(),
        status: rfc2866::lookup_acct_status_type(&p)
            .and_then(Result::ok)
            .and_then(AcctStatus::from_code),
        session_id: rfc2866::lookup_acct_session_id(&p).and_then(Result::ok),
        framed_ip: rfc2865::lookup_framed_ip_address(&p).and_then(Result::ok),
        framed_ipv6_prefix: p
            .lookup(rfc3162::FRAMED_IPV6_PREFIX_TYPE)
            .and_then(|avp| ipv6_prefix(&avp.encode_bytes())),
        calling_station_id: rfc2865::lookup_calling_station_id(&p).and_then(Result::ok),
        imsi: p
            .lookup_all(VENDOR_SPECIFIC)
            .into_iter()
            .find_map(|avp| vsa(&avp.encode_bytes(), VENDOR_3GPP, VSA_3GPP_IMSI))
            .and_then(|v| String::from_utf8(v).ok()),
        session_time: rfc2866::lookup_acct_session_time(&p).and_then(Result::ok),
    };
    Ok((p, record))
}

/// RFC 3162 §2.3: Reserved (1), Prefix-Length (1), Prefix (0-16 octets, the rest zero).
fn ipv6_prefix(value: &[u8]) -> Option<(Ipv6Addr, u8)> {
    let (&len, prefix) = value.get(1..)?.split_first()?;
    if len > 128 || prefix.len() > 16 || prefix.len() * 8 < usize::from(len) {
        return None;
    }
    let mut octets = [0u8; 16];
    octets[..prefix.len()].copy_from_slice(prefix);
    Some((Ipv6Addr::from(octets), len))
}

/// RFC 2865 §5.26: Vendor-Id (4), then sub-attributes Vendor-Type (1), Vendor-Length (1,
/// including both), value. The value of the first `vendor_type` of `vendor`, if any.
fn vsa(value: &[u8], vendor: u32, vendor_type: u8) -> Option<Vec<u8>> {
    let (id, mut rest) = value.split_first_chunk::<4>()?;
    if u32::from_be_bytes(*id) != vendor {
        return None;
    }
    while let [t, len, tail @ ..] = rest {
        let n = usize::from(*len).checked_sub(2)?;
        if n > tail.len() {
            return None;
        }
        if *t == vendor_type {
            return Some(tail[..n].to_vec());
        }
        rest = &tail[n..];
    }
    None
}

/// The Accounting-Response to `request`: no attributes, Response Authenticator per RFC 2866 §3.
pub fn response(request: &Packet) -> Option<Vec<u8>> {
    request
        .make_response_packet(Code::AccountingResponse)
        .encode()
        .ok()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::client::AccountingRequest;

    #[test]
    fn decodes_3gpp_accounting_and_checks_the_authenticator() {
        let req = AccountingRequest::new(7, AcctStatus::Start, "sess-1")
            .framed_ip("100.64.1.2".parse().unwrap())
            .framed_ipv6_prefix("2001:db8:1:2::".parse().unwrap(), 64)
            .calling_station_id("34629255833")
            .imsi("214070000000001")
            .session_time(30);
        let bytes = req.encode(b"s3cret").unwrap();
        let tenant = TenantId::parse("demo").unwrap();
        let (p, r) = decode(&bytes, b"s3cret", &tenant, "10.0.0.1").unwrap();
        assert_eq!(p.get_identifier(), 7);
        assert_eq!(r.status, Some(AcctStatus::Start));
        assert_eq!(r.session_id.as_deref(), Some("sess-1"));
        assert_eq!(r.framed_ip, Some("100.64.1.2".parse().unwrap()));
        assert_eq!(
            r.framed_ipv6_prefix,
            Some(("2001:db8:1:2::".parse().unwrap(), 64))
        );
        assert_eq!(r.calling_station_id.as_deref(), Some("34629255833"));
        assert_eq!(r.imsi.as_deref(), Some("214070000000001"));
        assert_eq!(r.session_time, Some(30));
        assert_eq!(r.nas, "10.0.0.1");

        assert_eq!(
            decode(&bytes, b"wrong", &tenant, "n").unwrap_err(),
            Drop::BadAuthenticator
        );
        let mut tampered = bytes.clone();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        assert_eq!(
            decode(&tampered, b"s3cret", &tenant, "n").unwrap_err(),
            Drop::BadAuthenticator
        );
        // Padding beyond Length is ignored.
        let mut padded = bytes.clone();
        padded.extend_from_slice(&[0, 0, 0]);
        assert!(decode(&padded, b"s3cret", &tenant, "n").is_ok());
        assert_eq!(
            decode(&bytes[..bytes.len() - 1], b"s3cret", &tenant, "n").unwrap_err(),
            Drop::Malformed
        );
        let mut access = bytes.clone();
        access[0] = 1;
        assert_eq!(
            decode(&access, b"s3cret", &tenant, "n").unwrap_err(),
            Drop::NotAccounting
        );
    }

    #[test]
    fn response_authenticator_verifies() {
        let bytes = AccountingRequest::new(9, AcctStatus::Stop, "x")
            .encode(b"k")
            .unwrap();
        let tenant = TenantId::parse("demo").unwrap();
        let (p, _) = decode(&bytes, b"k", &tenant, "n").unwrap();
        let resp = response(&p).unwrap();
        assert_eq!(resp[0], 5);
        assert_eq!(resp[1], 9);
        assert!(Packet::is_authentic_response(&resp, &bytes, b"k"));
    }

    #[test]
    fn vendor_specific_parsing() {
        let mut v = VENDOR_3GPP.to_be_bytes().to_vec();
        v.extend_from_slice(&[2, 6, 0, 0, 0, 1]); // 3GPP-Charging-Id
        v.extend_from_slice(&[1, 5, b'1', b'2', b'3']);
        assert_eq!(vsa(&v, VENDOR_3GPP, 1), Some(b"123".to_vec()));
        assert_eq!(vsa(&v, 9, 1), None);
        assert_eq!(vsa(&v[..7], VENDOR_3GPP, 1), None);
        assert_eq!(ipv6_prefix(&[0, 200, 0]), None);
        assert_eq!(ipv6_prefix(&[0, 64, 0x20, 0x01]), None);
    }
}
