//! CIBA `login_hint` formats (ICM "Format of login_hint"; DECISIONS 7): `tel:+E164`,
//! `ipport:<IPv4|[IPv6]>[:port]`, `operatortoken:…`, and for the vendor SDKs
//! `phone_number:+E164`, a bare `+E164` and `ip:<addr>`.
use std::net::IpAddr;

use crate::domain::PhoneNumber;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginHint {
    /// A phone number: the network confirms the line, not the device (no `nba`).
    Phone(PhoneNumber),
    /// A device address: looked up in the active IP sessions (network-based authentication).
    Address { ip: IpAddr, port: Option<u16> },
    /// A GSMA TS.43 operator token (not supported yet: unknown_user_id).
    OperatorToken(String),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unsupported login_hint format: expected tel:+E164, phone_number:+E164, +E164, ipport:<addr>[:port] or ip:<addr>")]
pub struct InvalidLoginHint;

impl LoginHint {
    pub fn parse(raw: &str) -> Result<Self, InvalidLoginHint> {
        let s = raw.trim_end();
        if let Some(n) = s
            .strip_prefix("tel:")
            .or_else(|| s.strip_prefix("phone_number:"))
        {
            return phone(n);
        }
        if let Some(a) = s.strip_prefix("ipport:") {
            return address_with_port(a);
        }
        if let Some(a) = s.strip_prefix("ip:") {
            return a
                .trim()
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse()
                .map(|ip| Self::Address { ip, port: None })
                .map_err(|_| InvalidLoginHint);
        }
        if let Some(t) = s.strip_prefix("operatortoken:") {
            return Ok(Self::OperatorToken(t.to_owned()));
        }
        phone(s)
    }

    /// The `amr` this hint earns: only a device address is network-based authentication.
    pub fn is_network_address(&self) -> bool {
        matches!(self, Self::Address { .. })
    }
}

/// Lenient step for SDKs that put a bare `+E164` in a form body without percent-encoding
/// it: the form decoder turns the `+` into a space, so a leading space stands for `+`.
fn phone(s: &str) -> Result<LoginHint, InvalidLoginHint> {
    let s = match s.strip_prefix(' ') {
        Some(rest) if rest.bytes().all(|b| b.is_ascii_digit()) => format!("+{rest}"),
        _ => s.to_owned(),
    };
    PhoneNumber::parse(&s)
        .map(LoginHint::Phone)
        .map_err(|_| InvalidLoginHint)
}

/// `80.90.34.2`, `80.90.34.2:16790`, `[2001:db8::1]`, `[2001:db8::1]:8080`, and a bare
/// IPv6 address for clients that leave the brackets out.
fn address_with_port(s: &str) -> Result<LoginHint, InvalidLoginHint> {
    let s = s.trim();
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Ok(LoginHint::Address { ip, port: None });
    }
    let (host, port) = if let Some(rest) = s.strip_prefix('[') {
        let (host, after) = rest.split_once(']').ok_or(InvalidLoginHint)?;
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':').ok_or(InvalidLoginHint)?),
        };
        (host, port)
    } else {
        let (host, port) = s.rsplit_once(':').ok_or(InvalidLoginHint)?;
        (host, Some(port))
    };
    let ip = host.parse::<IpAddr>().map_err(|_| InvalidLoginHint)?;
    let port = port
        .map(|p| p.parse::<u16>().map_err(|_| InvalidLoginHint))
        .transpose()?;
    Ok(LoginHint::Address { ip, port })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn phone(s: &str) -> LoginHint {
        LoginHint::Phone(PhoneNumber::parse(s).unwrap())
    }
    fn addr(ip: &str, port: Option<u16>) -> LoginHint {
        LoginHint::Address {
            ip: ip.parse().unwrap(),
            port,
        }
    }

    #[test]
    fn every_documented_form_parses() {
        let cases = [
            ("tel:+34666666666", phone("+34666666666")),
            ("phone_number:+34666666666", phone("+34666666666")),
            ("+34666666666", phone("+34666666666")),
            (" 34666666666", phone("+34666666666")),
            // `curl -d login_hint=tel:+34…` sends the `+` unencoded: the form decoder makes it a space.
            ("tel: 34666666666", phone("+34666666666")),
            ("ipport:80.90.34.2:16790", addr("80.90.34.2", Some(16790))),
            ("ipport:80.90.34.2", addr("80.90.34.2", None)),
            ("ipport:[2001:db8::1]:8080", addr("2001:db8::1", Some(8080))),
            ("ipport:[2001:db8::1]", addr("2001:db8::1", None)),
            ("ipport:2001:db8::1", addr("2001:db8::1", None)),
            ("ip:10.0.0.1", addr("10.0.0.1", None)),
            ("ip:[::1]", addr("::1", None)),
            ("operatortoken:abc", LoginHint::OperatorToken("abc".into())),
        ];
        for (raw, want) in cases {
            assert_eq!(LoginHint::parse(raw), Ok(want), "{raw}");
        }
    }

    #[test]
    fn malformed_hints_are_refused() {
        for raw in [
            "",
            "tel:34666666666",
            "tel:+34 666 666 666",
            "ipport:",
            "ipport:1.2.3.4:99999",
            "ipport:[::1",
            "ipport:[::1]x",
            "ip:nope",
            "mailto:a@b",
            "sub:123",
        ] {
            assert_eq!(LoginHint::parse(raw), Err(InvalidLoginHint), "{raw}");
        }
    }

    #[test]
    fn only_addresses_are_network_authentication() {
        assert!(addr("1.2.3.4", None).is_network_address());
        assert!(!phone("+34666666666").is_network_address());
    }
}
