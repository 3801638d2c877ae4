//! DPoP (RFC 9449): proof-of-possession for access tokens, optional hardening from the newer
//! CAMARA profile text. A client that sends a `DPoP` proof to `/token` gets an access token
//! bound to the proof's key (`cnf.jkt`, RFC 7638 thumbprint, `token_type: DPoP`); the
//! CAMARA APIs then accept it only as `Authorization: DPoP <token>` with a fresh proof for
//! that request (`htm`, `htu`, `ath`) signed by the same key. Proof `jti`s are used once
//! (`GrantStore::use_jti_once`). Clients that send no proof keep getting Bearer tokens.
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::domain::TenantId;
use crate::store::{Store, StoreResult, Timestamp};

/// RFC 9449 §4.2.
pub const PROOF_TYP: &str = "dpop+jwt";
/// How far a proof's `iat` may be from our clock, both ways (RFC 9449 §11.1).
pub const PROOF_WINDOW_SECS: i64 = 60;
/// The algorithms proofs may be signed with (discovery's `dpop_signing_alg_values_supported`).
pub const SIGNING_ALGS: &[&str] = &["RS256", "PS256", "ES256", "ES384", "EdDSA"];
const ALGS: &[Algorithm] = &[
    Algorithm::RS256,
    Algorithm::PS256,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

/// A verified proof.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proof {
    /// RFC 7638 thumbprint of the proof's key, base64url.
    pub jkt: String,
    pub jti: String,
    pub iat: i64,
}

/// What a request says about itself, to check a proof against.
#[derive(Debug, Clone, Copy)]
pub struct Expect<'a> {
    pub method: &'a str,
    /// The URL called, without query or fragment.
    pub url: &'a str,
    /// The access token presented with the proof (resource requests only): checks `ath`.
    pub access_token: Option<&'a str>,
}

#[derive(Debug, Deserialize)]
struct ProofClaims {
    jti: Option<String>,
    htm: Option<String>,
    htu: Option<String>,
    iat: Option<i64>,
    ath: Option<String>,
}

/// Verifies a proof JWT (RFC 9449 §4.3), except `jti` replay (see [`use_once`]).
pub fn verify(proof: &str, expect: &Expect<'_>, now: Timestamp) -> Result<Proof, String> {
    let raw_header = proof
        .split('.')
        .next()
        .and_then(|h| URL_SAFE_NO_PAD.decode(h).ok())
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
        .ok_or("malformed DPoP proof")?;
    if raw_header.get("typ").and_then(Value::as_str) != Some(PROOF_TYP) {
        return Err(format!("typ must be {PROOF_TYP}"));
    }
    let jwk_value = raw_header.get("jwk").ok_or("the proof has no jwk header")?;
    if jwk_value.get("d").is_some() {
        return Err("the jwk header must not contain a private key".into());
    }
    let header = jsonwebtoken::decode_header(proof).map_err(|_| "malformed DPoP proof")?;
    if !ALGS.contains(&header.alg) {
        return Err(format!("algorithm {:?} is not accepted", header.alg));
    }
    let jwk: Jwk =
        serde_json::from_value(jwk_value.clone()).map_err(|_| "the jwk header is not a key")?;
    let key = DecodingKey::from_jwk(&jwk).map_err(|_| "the jwk header is not a usable key")?;
    let mut v = Validation::new(header.alg);
    v.validate_exp = false;
    v.validate_aud = false;
    v.required_spec_claims.clear();
    let c = jsonwebtoken::decode::<ProofClaims>(proof, &key, &v)
        .map_err(|_| "the proof's signature does not verify with its jwk")?
        .claims;
    let jti = c.jti.filter(|j| !j.is_empty()).ok_or("jti is required")?;
    if c.htm.as_deref() != Some(expect.method) {
        return Err("htm does not match the request method".into());
    }
    let htu = c.htu.ok_or("htu is required")?;
    if strip_query(&htu) != strip_query(expect.url) {
        return Err("htu does not match the request URL".into());
    }
    let iat = c.iat.ok_or("iat is required")?;
    if (iat - now.timestamp()).abs() > PROOF_WINDOW_SECS {
        return Err("iat is outside the accepted window".into());
    }
    if let Some(token) = expect.access_token {
        let ath = URL_SAFE_NO_PAD.encode(Sha256::digest(token.as_bytes()));
        if c.ath.as_deref() != Some(ath.as_str()) {
            return Err("ath does not match the access token".into());
        }
    }
    let jkt = thumbprint(jwk_value).ok_or("unsupported jwk key type")?;
    Ok(Proof { jkt, jti, iat })
}

/// Replay protection: true the first time this key's `jti` is seen.
pub async fn use_once(store: &dyn Store, tenant: &TenantId, proof: &Proof) -> StoreResult<bool> {
    let until = Timestamp::from_timestamp(proof.iat + 2 * PROOF_WINDOW_SECS, 0)
        .unwrap_or_else(chrono::Utc::now);
    store
        .use_jti_once(tenant, &format!("dpop:{}", proof.jkt), &proof.jti, until)
        .await
}

/// RFC 7638: SHA-256 over the required members, lexicographically ordered, no whitespace.
pub fn thumbprint(jwk: &Value) -> Option<String> {
    let s = |k: &str| jwk.get(k).and_then(Value::as_str);
    let canonical = match s("kty")? {
        "RSA" => serde_json::json!({"e": s("e")?, "kty": "RSA", "n": s("n")?}),
        "EC" => serde_json::json!({"crv": s("crv")?, "kty": "EC", "x": s("x")?, "y": s("y")?}),
        "OKP" => serde_json::json!({"crv": s("crv")?, "kty": "OKP", "x": s("x")?}),
        _ => return None,
    };
    // serde_json's map is ordered by key, and to_string adds no whitespace.
    Some(URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.to_string().as_bytes())))
}

fn strip_query(url: &str) -> &str {
    let end = url.find(['?', '#']).unwrap_or(url.len());
    &url[..end]
}

/// The origin (`scheme://authority`) of a URL, to rebuild the URL a request was sent to.
pub fn origin(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    match url[after_scheme..].find('/') {
        Some(i) => &url[..after_scheme + i],
        None => url,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn rfc7638_example_thumbprint() {
        // RFC 7638 §3.1.
        let jwk = serde_json::json!({
            "kty": "RSA",
            "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
            "e": "AQAB",
            "alg": "RS256",
            "kid": "2011-04-29"
        });
        assert_eq!(
            thumbprint(&jwk).unwrap(),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }

    #[test]
    fn origins_and_queries() {
        assert_eq!(origin("https://op.example/v1/token"), "https://op.example");
        assert_eq!(origin("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
        assert_eq!(strip_query("https://a/b?c#d"), "https://a/b");
    }
}
