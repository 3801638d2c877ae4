//! Extractors shared by the routes.
use std::net::{IpAddr, SocketAddr};

use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};

use ogw_core::domain::PhoneNumber;
use ogw_core::network::device::DeviceEvidence;
use ogw_core::settings::Settings;

use crate::error::OAuthError;
use crate::state::AppState;

/// OAuth parameters from a request body. Form-encoded is the standard (RFC 6749 §4.1.3);
/// some SDKs label a form body `application/json`, others really send JSON: the body's own
/// shape decides, not the Content-Type. Repeated parameters are rejected (RFC 6749 §3.1).
#[derive(Debug, Clone, Default)]
pub struct OAuthParams(pub Vec<(String, String)>);

impl OAuthParams {
    pub fn parse(body: &[u8]) -> Result<Self, OAuthError> {
        let text = std::str::from_utf8(body)
            .map_err(|_| OAuthError::invalid_request("request body is not UTF-8"))?;
        let trimmed = text.trim_start();
        let pairs: Vec<(String, String)> = if trimmed.starts_with('{') {
            let map: serde_json::Map<String, serde_json::Value> = serde_json::from_str(trimmed)
                .map_err(|e| OAuthError::invalid_request(format!("malformed JSON body: {e}")))?;
            map.into_iter()
                .filter_map(|(k, v)| match v {
                    serde_json::Value::String(s) => Some((k, s)),
                    serde_json::Value::Null => None,
                    other => Some((k, other.to_string())),
                })
                .collect()
        } else {
            serde_urlencoded::from_str(text)
                .map_err(|e| OAuthError::invalid_request(format!("malformed form body: {e}")))?
        };
        Self::from_pairs(pairs)
    }

    pub fn from_pairs(pairs: Vec<(String, String)>) -> Result<Self, OAuthError> {
        for (i, (k, _)) in pairs.iter().enumerate() {
            if pairs[..i].iter().any(|(k2, _)| k2 == k) {
                return Err(OAuthError::invalid_request(format!(
                    "parameter '{k}' is repeated"
                )));
            }
        }
        Ok(Self(pairs))
    }

    /// A parameter's value; empty values count as absent (RFC 6749 §3.1).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }

    pub fn require(&self, name: &str) -> Result<&str, OAuthError> {
        self.get(name)
            .ok_or_else(|| OAuthError::invalid_request(format!("missing parameter '{name}'")))
    }
}

impl<S: Send + Sync> FromRequest<S> for OAuthParams {
    type Rejection = OAuthError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let body = Bytes::from_request(req, state)
            .await
            .map_err(|e| OAuthError::invalid_request(format!("unreadable body: {e}")))?;
        Self::parse(&body)
    }
}

/// `Authorization: <scheme> <token>` with a token, the scheme as sent.
fn authorization(headers: &HeaderMap) -> Option<(&str, &str)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (!token.is_empty()).then_some((scheme, token))
}

/// The bearer token of `Authorization`, scheme matched case-insensitively (RFC 7235 §2.1).
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    match presented_token(headers) {
        Presented::Bearer(token) => Some(token),
        _ => None,
    }
}

/// How a request presents its access token in `Authorization`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presented<'a> {
    Bearer(&'a str),
    /// `Authorization: DPoP <token>` (RFC 9449 §7.1).
    Dpop(&'a str),
    /// No token, or another scheme.
    None,
}

/// The access token of `Authorization` and its scheme (case-insensitive, RFC 7235 §2.1).
pub fn presented_token(headers: &HeaderMap) -> Presented<'_> {
    match authorization(headers) {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => Presented::Bearer(token),
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("dpop") => Presented::Dpop(token),
        _ => Presented::None,
    }
}

/// The device address for network-based authentication: the TCP peer, or — only when the
/// peer is a configured trusted proxy — the left-most address of `X-Forwarded-For`.
#[derive(Debug, Clone, Copy)]
pub struct DeviceAddress(pub IpAddr);

impl FromRequestParts<AppState> for DeviceAddress {
    type Rejection = OAuthError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
            .ok_or_else(|| OAuthError::server_error("OGW-H001 peer address unavailable"))?;
        let peer = canonical(peer);
        if state.settings.trusted_proxies.contains(&peer) {
            let forwarded = parts
                .headers
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(',').next())
                .and_then(|v| v.trim().parse::<IpAddr>().ok());
            if let Some(ip) = forwarded {
                return Ok(Self(canonical(ip)));
            }
        }
        Ok(Self(peer))
    }
}

/// How the device of a subscriber-facing request (`/authorize`, consent pages, `/my`) is
/// identified: the MSISDN of the enrichment header when a trusted proxy sent one (it wins
/// over `X-Forwarded-For`), else the [`DeviceAddress`]. A header from any other peer, or a
/// malformed or repeated one, is ignored: the address decides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device(pub DeviceEvidence);

impl FromRequestParts<AppState> for Device {
    type Rejection = OAuthError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let EnrichedMsisdn(enriched) = EnrichedMsisdn::from_request_parts(parts, state).await?;
        if let Some(msisdn) = enriched {
            return Ok(Self(DeviceEvidence::Msisdn(msisdn)));
        }
        let DeviceAddress(ip) = DeviceAddress::from_request_parts(parts, state).await?;
        Ok(Self(DeviceEvidence::Ip(ip)))
    }
}

/// Header enrichment (an alternative to the IP session lookup at /authorize): the device's
/// MSISDN as a trusted proxy names it in the configured header (`msisdn_header`, e.g.
/// `X-MSISDN`). `None` when enrichment is off, the TCP peer is not one of `trusted_proxies`,
/// the header is absent or repeated, or its value is not a phone number (with or without `+`).
/// From any other peer the header is ignored, whatever it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrichedMsisdn(pub Option<PhoneNumber>);

impl FromRequestParts<AppState> for EnrichedMsisdn {
    type Rejection = OAuthError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
            .ok_or_else(|| OAuthError::server_error("OGW-H001 peer address unavailable"))?;
        Ok(Self(enriched_msisdn(&parts.headers, peer, &state.settings)))
    }
}

/// The rule behind [`EnrichedMsisdn`], for callers holding the parts already.
pub fn enriched_msisdn(
    headers: &HeaderMap,
    peer: IpAddr,
    settings: &Settings,
) -> Option<PhoneNumber> {
    let name = settings.msisdn_header.as_deref()?;
    if !settings.trusted_proxies.contains(&canonical(peer)) {
        return None;
    }
    let mut values = headers.get_all(name).iter();
    let value = values.next()?;
    if values.next().is_some() {
        tracing::warn!(header = name, "repeated MSISDN enrichment header ignored");
        return None;
    }
    let value = value.to_str().ok()?;
    match ogw_core::network::normalize_msisdn(value) {
        Ok(m) => Some(m),
        Err(_) => {
            tracing::warn!(
                header = name,
                "MSISDN enrichment header is not a phone number; ignored"
            );
            None
        }
    }
}

/// IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`) name the IPv4 device.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn params_from_form_or_json() {
        let f = OAuthParams::parse(b"grant_type=client_credentials&scope=a+b").unwrap();
        assert_eq!(f.get("scope"), Some("a b"));
        let j = OAuthParams::parse(br#"{"grant_type":"client_credentials","interval":5}"#).unwrap();
        assert_eq!(j.get("grant_type"), Some("client_credentials"));
        assert_eq!(j.get("interval"), Some("5"));
        assert!(OAuthParams::parse(b"a=1&a=2").is_err());
        assert!(OAuthParams::parse(b"{bad").is_err());
        assert_eq!(OAuthParams::parse(b"a=").unwrap().get("a"), None);
    }

    #[test]
    fn msisdn_enrichment_only_from_trusted_proxies() {
        let mut settings = Settings::new("http://op.example");
        let proxy: IpAddr = "10.0.0.10".parse().unwrap();
        settings.trusted_proxies = vec![proxy];
        let mut h = HeaderMap::new();
        h.insert("x-msisdn", "34629255833".parse().unwrap());
        // Off until a header is configured.
        assert_eq!(enriched_msisdn(&h, proxy, &settings), None);
        settings.msisdn_header = Some("x-msisdn".into());
        assert_eq!(
            enriched_msisdn(&h, proxy, &settings).map(|m| m.to_string()),
            Some("+34629255833".into())
        );
        let mapped: IpAddr = "::ffff:10.0.0.10".parse().unwrap();
        assert!(enriched_msisdn(&h, mapped, &settings).is_some());
        // Anyone else: ignored.
        let stranger: IpAddr = "10.0.0.11".parse().unwrap();
        assert_eq!(enriched_msisdn(&h, stranger, &settings), None);
        // Garbage or repeated values: ignored.
        h.insert("x-msisdn", "not-a-number".parse().unwrap());
        assert_eq!(enriched_msisdn(&h, proxy, &settings), None);
        h.insert("x-msisdn", "+34629255833".parse().unwrap());
        h.append("x-msisdn", "+34600000002".parse().unwrap());
        assert_eq!(enriched_msisdn(&h, proxy, &settings), None);
    }

    #[test]
    fn bearer_scheme_is_case_insensitive() {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, "bEaReR abc".parse().unwrap());
        assert_eq!(bearer_token(&h), Some("abc"));
        h.insert(header::AUTHORIZATION, "Basic abc".parse().unwrap());
        assert_eq!(bearer_token(&h), None);
    }

    #[test]
    fn the_presented_scheme_is_told_apart() {
        let mut h = HeaderMap::new();
        assert_eq!(presented_token(&h), Presented::None);
        h.insert(header::AUTHORIZATION, "dpop tok".parse().unwrap());
        assert_eq!(presented_token(&h), Presented::Dpop("tok"));
        h.insert(header::AUTHORIZATION, "Bearer tok".parse().unwrap());
        assert_eq!(presented_token(&h), Presented::Bearer("tok"));
        h.insert(header::AUTHORIZATION, "Bearer  ".parse().unwrap());
        assert_eq!(presented_token(&h), Presented::None);
        h.insert(header::AUTHORIZATION, "Basic tok".parse().unwrap());
        assert_eq!(presented_token(&h), Presented::None);
    }
}
