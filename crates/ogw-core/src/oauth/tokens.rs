//! JWT access tokens (RFC 9068, `typ: at+jwt`) and ID tokens, signed with the active key.
use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::Validation;
use serde::{Deserialize, Serialize};

use super::keys::{KeyProvider, KeyRing, Signer};
use super::rsa_batch::RsaBatcher;
use super::subject::SubjectCodec;
use crate::domain::{ClientId, PhoneNumber, TenantId};
use crate::store::Timestamp;

/// `amr` value for a device identified by its mobile network session (ICM: network-based authentication).
pub const AMR_NETWORK: &str = "nba";

/// RFC 9068 claims plus ours: `tenant`, `purpose`, `sref` (sealed subscriber reference).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    /// Pairwise subscriber id for 3-legged tokens; the client id for 2-legged ones.
    pub sub: String,
    pub aud: String,
    pub client_id: String,
    pub tenant: String,
    /// Space-separated technical scopes.
    pub scope: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose: Option<String>,
    pub iat: i64,
    pub exp: i64,
    pub jti: String,
    /// How the subscriber was authenticated (3-legged only), e.g. `["nba"]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amr: Option<Vec<String>>,
    /// The subscriber's MSISDN sealed for this server (3-legged only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sref: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<i64>,
    /// RFC 9449 §6: the DPoP key the token is bound to (`{"jkt": …}`); None for Bearer tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cnf: Option<Confirmation>,
}

/// RFC 7800 confirmation claim, DPoP flavour (RFC 9449 §6.1).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Confirmation {
    pub jkt: String,
}

impl AccessClaims {
    pub fn scopes(&self) -> impl Iterator<Item = &str> {
        self.scope.split(' ').filter(|s| !s.is_empty())
    }
    pub fn has_scope(&self, s: &str) -> bool {
        self.scopes().any(|x| x == s)
    }
    pub fn is_three_legged(&self) -> bool {
        self.sref.is_some()
    }
    pub fn network_authenticated(&self) -> bool {
        self.amr
            .as_deref()
            .is_some_and(|a| a.iter().any(|m| m == AMR_NETWORK))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IdTokenClaims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
    pub auth_time: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amr: Option<Vec<String>>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    #[error("token is malformed")]
    Malformed,
    #[error("token signature or claims are invalid")]
    Invalid,
    #[error("token has expired")]
    Expired,
    #[error("signing failed: {0}")]
    Sign(String),
}

/// `base64url(header).base64url(claims)` (RFC 7515 §5.1).
fn signing_input<T: Serialize>(
    ring: &KeyRing,
    typ: &str,
    claims: &T,
) -> Result<String, TokenError> {
    let err = |e: serde_json::Error| TokenError::Sign(e.to_string());
    let header =
        serde_json::json!({"typ": typ, "alg": ring.active_alg.as_str(), "kid": ring.active_kid});
    let header = serde_json::to_vec(&header).map_err(err)?;
    let claims = serde_json::to_vec(claims).map_err(err)?;
    Ok(format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(claims)
    ))
}

fn finish(
    mut input: String,
    sig: Result<Vec<u8>, aws_lc_rs::error::Unspecified>,
) -> Result<String, TokenError> {
    let sig = sig.map_err(|e| TokenError::Sign(e.to_string()))?;
    input.push('.');
    input.push_str(&URL_SAFE_NO_PAD.encode(sig));
    Ok(input)
}

/// Signs and verifies our own tokens. Cheap to clone.
#[derive(Clone)]
pub struct TokenService {
    keys: Arc<KeyProvider>,
    issuer: Arc<str>,
    codec: SubjectCodec,
    rng: aws_lc_rs::rand::SystemRandom,
    verified: Arc<VerifiedCache>,
    /// RS256 signatures in batches (`rsa_batch`) when the multi-buffer library is in use.
    rsa_batcher: Option<Arc<RsaBatcher>>,
}

/// Access tokens whose signature and issuer were already checked: token → (kid, claims).
///
/// A token's claims are a pure function of its bytes, so a hit is as good as a verify as long
/// as the key that signed it is still trusted: each hit checks that its `kid` is still in the
/// current key ring (a key withdrawn from the ring stops its tokens at once) and checks the
/// expiry against the clock, like a verify. Revocation is not decided here (callers check
/// the revoked `jti` on every call). Bounded: past [`VERIFIED_CACHE_MAX`] entries the expired
/// ones go, and if that is not enough, all of them.
#[derive(Default)]
struct VerifiedCache(
    std::sync::Mutex<std::collections::HashMap<Box<str>, Verified, foldhash::fast::RandomState>>,
);

/// A verified token's `kid` and claims, shared with the calls that present it.
type Verified = (Arc<str>, Arc<AccessClaims>);

const VERIFIED_CACHE_MAX: usize = 16_384;

impl VerifiedCache {
    fn get(&self, token: &str) -> Option<Verified> {
        self.0.lock().ok()?.get(token).cloned()
    }
    fn put(&self, token: &str, kid: &str, claims: &Arc<AccessClaims>, now: i64) {
        if let Ok(mut m) = self.0.lock() {
            if m.len() >= VERIFIED_CACHE_MAX {
                m.retain(|_, (_, c)| c.exp > now);
                if m.len() >= VERIFIED_CACHE_MAX {
                    m.clear();
                }
            }
            m.insert(token.into(), (kid.into(), claims.clone()));
        }
    }
}

impl TokenService {
    pub fn new(keys: Arc<KeyProvider>, issuer: &str, codec: SubjectCodec) -> Self {
        Self {
            keys,
            issuer: issuer.into(),
            codec,
            rng: aws_lc_rs::rand::SystemRandom::new(),
            verified: Arc::default(),
            rsa_batcher: None,
        }
    }

    /// Signs RS256 through `batcher` (where the active key has the shape it takes).
    pub fn with_rsa_batcher(mut self, batcher: Arc<RsaBatcher>) -> Self {
        self.rsa_batcher = Some(batcher);
        self
    }

    pub fn rsa_batcher(&self) -> Option<&RsaBatcher> {
        self.rsa_batcher.as_deref()
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }
    pub fn keys(&self) -> &KeyProvider {
        &self.keys
    }
    pub fn subjects(&self) -> &SubjectCodec {
        &self.codec
    }

    pub async fn sign_access(&self, claims: &AccessClaims) -> Result<String, TokenError> {
        self.sign("at+jwt", claims).await
    }

    pub async fn sign_id_token(&self, claims: &IdTokenClaims) -> Result<String, TokenError> {
        self.sign("JWT", claims).await
    }

    /// [`sign_access`](Self::sign_access) on the calling thread, never batched (CLI, tests).
    pub fn sign_access_inline(&self, claims: &AccessClaims) -> Result<String, TokenError> {
        let ring = self.keys.current();
        let input = signing_input(&ring, "at+jwt", claims)?;
        let sig = ring.signer.sign(&self.rng, input.as_bytes());
        finish(input, sig)
    }

    /// RFC 7515 compact JWS with the active key (RS256 or ES256, RFC 7518 §3.3/§3.4),
    /// signed with AWS-LC from a key parsed once, or for RS256 in a batch (`rsa_batch`):
    /// signing is the dominant cost of `/token`.
    async fn sign<T: Serialize>(&self, typ: &str, claims: &T) -> Result<String, TokenError> {
        let ring = self.keys.current();
        let input = signing_input(&ring, typ, claims)?;
        let sig = match (&*ring.signer, &self.rsa_batcher) {
            (Signer::Rsa(key), Some(batcher)) if key.lanes.is_some() => {
                batcher.sign(key.clone(), input.clone().into_bytes()).await
            }
            (signer, _) => signer.sign(&self.rng, input.as_bytes()),
        };
        finish(input, sig)
    }

    /// Verifies signature, `typ: at+jwt`, issuer and expiry (RFC 9068 §4).
    /// Revocation and subscriber resolution are the caller's next steps.
    /// Tokens already verified are answered from a bounded cache (see `VerifiedCache`).
    pub fn verify_access(&self, token: &str, now: Timestamp) -> Result<AccessClaims, TokenError> {
        self.verify_access_shared(token, now)
            .map(Arc::unwrap_or_clone)
    }

    /// [`verify_access`](Self::verify_access) without copying the cached claims (the API path).
    pub fn verify_access_shared(
        &self,
        token: &str,
        now: Timestamp,
    ) -> Result<Arc<AccessClaims>, TokenError> {
        if let Some((kid, claims)) = self.verified.get(token) {
            if self.keys.current().decoding.contains_key(&*kid) {
                if claims.exp <= now.timestamp() {
                    return Err(TokenError::Expired);
                }
                return Ok(claims);
            }
        }
        let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Malformed)?;
        if !header
            .typ
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case("at+jwt"))
        {
            return Err(TokenError::Invalid);
        }
        let ring = self.keys.current();
        let kid = header.kid.as_deref().ok_or(TokenError::Invalid)?;
        let verifier = ring.decoding.get(kid).ok_or(TokenError::Invalid)?;
        // The key decides the algorithm, never the header alone (no algorithm confusion).
        if header.alg != verifier.alg {
            return Err(TokenError::Invalid);
        }
        let key = &verifier.key;
        let mut v = Validation::new(verifier.alg);
        v.set_issuer(&[&*self.issuer]);
        v.validate_aud = false;
        // Expiry is checked below against the injected clock.
        v.validate_exp = false;
        v.required_spec_claims.clear();
        let data = jsonwebtoken::decode::<AccessClaims>(token, key, &v)
            .map_err(|_| TokenError::Invalid)?;
        if data.claims.exp <= now.timestamp() {
            return Err(TokenError::Expired);
        }
        let claims = Arc::new(data.claims);
        self.verified.put(token, kid, &claims, now.timestamp());
        Ok(claims)
    }

    /// The subscriber a 3-legged token was issued for.
    pub fn subscriber_of(&self, claims: &AccessClaims) -> Option<PhoneNumber> {
        let tenant = TenantId::parse(&claims.tenant).ok()?;
        let client = ClientId::parse(&claims.client_id).ok()?;
        self.codec.open(&tenant, &client, claims.sref.as_deref()?)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::oauth::keys::{generate_key, generate_rsa_key, TokenAlg};
    use crate::store::{KeyStore, SigningKey, StoreResult};
    use jsonwebtoken::Algorithm;

    /// One fixed key.
    struct OneKey(SigningKey);

    #[async_trait::async_trait]
    impl KeyStore for OneKey {
        async fn insert_signing_key(&self, _: &SigningKey) -> StoreResult<()> {
            Ok(())
        }
        async fn list_signing_keys(&self, _: Timestamp) -> StoreResult<Vec<SigningKey>> {
            Ok(vec![self.0.clone()])
        }
        async fn retire_signing_key(&self, _: &str, _: Timestamp, _: Timestamp) -> StoreResult<()> {
            Ok(())
        }
    }

    fn claims(now: Timestamp) -> AccessClaims {
        AccessClaims {
            iss: "https://op.example".into(),
            sub: "c".into(),
            aud: "https://op.example".into(),
            client_id: "c".into(),
            tenant: "t".into(),
            scope: "sim-swap:check".into(),
            purpose: None,
            iat: now.timestamp(),
            exp: now.timestamp() + 60,
            jti: "j".into(),
            amr: None,
            sref: None,
            auth_time: None,
            cnf: None,
        }
    }

    /// A token service signing with `key` alone.
    async fn service(key: &SigningKey, now: Timestamp) -> TokenService {
        let keys = KeyProvider::load_or_init(Arc::new(OneKey(key.clone())), now)
            .await
            .unwrap();
        TokenService::new(
            Arc::new(keys),
            "https://op.example",
            SubjectCodec::new(b"s"),
        )
    }

    /// The hand-built JWS verifies with jsonwebtoken, as one it signed itself would.
    #[tokio::test]
    async fn signed_tokens_verify_with_jsonwebtoken() {
        let now = chrono::Utc::now();
        let key = generate_rsa_key(now).unwrap();
        let svc = service(&key, now).await;
        let token = svc.sign_access_inline(&claims(now)).unwrap();
        let header = jsonwebtoken::decode_header(&token).unwrap();
        assert_eq!(header.alg, Algorithm::RS256);
        assert_eq!(header.typ.as_deref(), Some("at+jwt"));
        assert_eq!(header.kid.as_deref(), Some(key.kid.as_str()));
        assert_eq!(svc.verify_access(&token, now).unwrap(), claims(now));
        let mut tampered = token.clone();
        tampered.pop();
        tampered.push(if token.ends_with('A') { 'B' } else { 'A' });
        assert!(svc.verify_access(&tampered, now).is_err());
    }

    /// ES256: the JWS is r || s (64 bytes), verifies with jsonwebtoken against the published
    /// JWK, and a token whose header claims another algorithm than its key is refused.
    #[tokio::test]
    async fn es256_tokens_verify_and_alg_follows_the_key() {
        let now = chrono::Utc::now();
        let key = generate_key(TokenAlg::ES256, now).unwrap();
        assert_eq!(key.public_jwk["crv"], "P-256");
        let svc = service(&key, now).await;
        let token = svc.sign_access_inline(&claims(now)).unwrap();
        let header = jsonwebtoken::decode_header(&token).unwrap();
        assert_eq!(header.alg, Algorithm::ES256);
        let sig = token.rsplit('.').next().unwrap();
        assert_eq!(URL_SAFE_NO_PAD.decode(sig).unwrap().len(), 64);
        let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(key.public_jwk.clone()).unwrap();
        let mut v = Validation::new(Algorithm::ES256);
        v.validate_aud = false;
        let decoded = jsonwebtoken::decode::<AccessClaims>(
            &token,
            &jsonwebtoken::DecodingKey::from_jwk(&jwk).unwrap(),
            &v,
        )
        .unwrap();
        assert_eq!(decoded.claims, claims(now));
        assert_eq!(svc.verify_access(&token, now).unwrap(), claims(now));
        // Same payload and signature under an RS256 header: refused before any cache entry.
        let mut parts = token.split('.');
        let (_, body, sig) = (parts.next(), parts.next().unwrap(), parts.next().unwrap());
        let forged_header = serde_json::json!({"typ": "at+jwt", "alg": "RS256", "kid": key.kid});
        let forged = format!(
            "{}.{body}.{sig}",
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&forged_header).unwrap())
        );
        assert_eq!(svc.verify_access(&forged, now), Err(TokenError::Invalid));
    }

    /// Changing `token_alg` rotates to a key of the new algorithm; the old key stays published.
    #[tokio::test]
    async fn changing_the_algorithm_rotates_the_key() {
        use crate::camara::testkit::MemStore;
        let now = chrono::Utc::now();
        let store: Arc<MemStore> = Arc::new(MemStore::default());
        let rs = KeyProvider::load_or_init(store.clone(), now).await.unwrap();
        assert_eq!(rs.current().active_alg, TokenAlg::RS256);
        let old_kid = rs.current().active_kid.clone();
        let es = KeyProvider::load_with_alg(
            store.clone(),
            TokenAlg::ES256,
            now,
            chrono::Duration::hours(2),
        )
        .await
        .unwrap();
        let ring = es.current();
        assert_eq!(ring.active_alg, TokenAlg::ES256);
        assert!(
            ring.decoding.contains_key(&old_kid),
            "old key still published"
        );
        assert_eq!(ring.jwks["keys"].as_array().unwrap().len(), 2);
    }
}
