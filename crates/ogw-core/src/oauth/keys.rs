//! Token-signing keys: generated here, stored (shared by all nodes) through `KeyStore`,
//! parsed once into a `KeyRing`, published as a JWKS. Rotation keeps the previous public
//! key published until every token it signed has expired.
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::Duration;
use jsonwebtoken::{Algorithm, DecodingKey};
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding};
use rsa::traits::PublicKeyParts;
use sha2::{Digest, Sha256};

use super::rsa_batch::RsaSigningKey;
use crate::store::{KeyStore, SigningKey, StoreError, Timestamp};

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("key generation failed: {0}")]
    Generate(String),
    #[error("stored signing key {kid} is unusable: {reason}")]
    Unusable { kid: String, reason: String },
    #[error("no signing key")]
    NoKey,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The JWS algorithm of the tokens this server signs (`token_alg`). RS256 is what every
/// client library accepts; ES256 signs ~10x faster on the same core (`bench/RESULTS.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum TokenAlg {
    #[default]
    RS256,
    ES256,
}

impl TokenAlg {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenAlg::RS256 => "RS256",
            TokenAlg::ES256 => "ES256",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "RS256" => Some(TokenAlg::RS256),
            "ES256" => Some(TokenAlg::ES256),
            _ => None,
        }
    }

    fn jwt(self) -> Algorithm {
        match self {
            TokenAlg::RS256 => Algorithm::RS256,
            TokenAlg::ES256 => Algorithm::ES256,
        }
    }
}

/// A new signing key for `alg`. The kid is the RFC 7638 JWK thumbprint.
pub fn generate_key(alg: TokenAlg, now: Timestamp) -> Result<SigningKey, KeyError> {
    match alg {
        TokenAlg::RS256 => generate_rsa_key(now),
        TokenAlg::ES256 => generate_ec_key(now),
    }
}

fn thumbprint(canonical_jwk: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical_jwk.as_bytes()))
}

fn new_key(
    alg: TokenAlg,
    kid: String,
    pem: String,
    jwk: serde_json::Value,
    now: Timestamp,
) -> SigningKey {
    SigningKey {
        kid,
        alg: alg.as_str().into(),
        private_pem: pem,
        public_jwk: jwk,
        created_at: now,
        retired_at: None,
        publish_until: None,
    }
}

/// A new RS256 key (RSA-2048).
pub fn generate_rsa_key(now: Timestamp) -> Result<SigningKey, KeyError> {
    let private = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 2048)
        .map_err(|e| KeyError::Generate(e.to_string()))?;
    let pem = private
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| KeyError::Generate(e.to_string()))?;
    let n = URL_SAFE_NO_PAD.encode(private.n().to_bytes_be());
    let e = URL_SAFE_NO_PAD.encode(private.e().to_bytes_be());
    let kid = thumbprint(&format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#));
    let jwk =
        serde_json::json!({"kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid, "n": n, "e": e});
    Ok(new_key(TokenAlg::RS256, kid, pem.to_string(), jwk, now))
}

/// A new ES256 key (P-256).
fn generate_ec_key(now: Timestamp) -> Result<SigningKey, KeyError> {
    use aws_lc_rs::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
    let gen = |e: &dyn std::fmt::Display| KeyError::Generate(e.to_string());
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(
        &ECDSA_P256_SHA256_FIXED_SIGNING,
        &aws_lc_rs::rand::SystemRandom::new(),
    )
    .map_err(|e| gen(&e))?;
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref())
        .map_err(|e| gen(&e))?;
    // SEC1 uncompressed point: 0x04 || X (32 bytes) || Y (32 bytes).
    let point = pair.public_key().as_ref();
    if point.len() != 65 || point[0] != 4 {
        return Err(KeyError::Generate(
            "unexpected P-256 public key encoding".into(),
        ));
    }
    let x = URL_SAFE_NO_PAD.encode(&point[1..33]);
    let y = URL_SAFE_NO_PAD.encode(&point[33..65]);
    let kid = thumbprint(&format!(
        r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#
    ));
    let jwk = serde_json::json!({"kty": "EC", "use": "sig", "alg": "ES256", "crv": "P-256", "kid": kid, "x": x, "y": y});
    let pem = rsa::pkcs8::der::pem::encode_string("PRIVATE KEY", LineEnding::LF, pkcs8.as_ref())
        .map_err(|e| gen(&e))?;
    Ok(new_key(TokenAlg::ES256, kid, pem, jwk, now))
}

/// The active private key, parsed once (AWS-LC; RSA also in the multi-buffer layout).
pub enum Signer {
    Rsa(Arc<RsaSigningKey>),
    Ec(aws_lc_rs::signature::EcdsaKeyPair),
}

impl Signer {
    fn parse(k: &SigningKey) -> Result<(TokenAlg, Self), String> {
        match TokenAlg::parse(&k.alg) {
            Some(TokenAlg::RS256) => {
                let private = rsa::RsaPrivateKey::from_pkcs8_pem(&k.private_pem)
                    .map_err(|e| e.to_string())?;
                let der = private.to_pkcs8_der().map_err(|e| e.to_string())?;
                let pair = aws_lc_rs::signature::RsaKeyPair::from_pkcs8(der.as_bytes())
                    .map_err(|e| e.to_string())?;
                let lanes = multi_buffer_key(&private);
                Ok((
                    TokenAlg::RS256,
                    Signer::Rsa(Arc::new(RsaSigningKey { pair, lanes })),
                ))
            }
            Some(TokenAlg::ES256) => {
                let (_, der) = rsa::pkcs8::der::pem::decode_vec(k.private_pem.as_bytes())
                    .map_err(|e| e.to_string())?;
                let pair = aws_lc_rs::signature::EcdsaKeyPair::from_pkcs8(
                    &aws_lc_rs::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                    &der,
                )
                .map_err(|e| e.to_string())?;
                Ok((TokenAlg::ES256, Signer::Ec(pair)))
            }
            None => Err(format!("unsupported algorithm {}", k.alg)),
        }
    }

    /// The JWS signature of `msg` (RS256: PKCS#1 v1.5; ES256: r || s, RFC 7518 §3.4).
    pub fn sign(
        &self,
        rng: &aws_lc_rs::rand::SystemRandom,
        msg: &[u8],
    ) -> Result<Vec<u8>, aws_lc_rs::error::Unspecified> {
        match self {
            Signer::Rsa(key) => key.sign_one(rng, msg),
            Signer::Ec(pair) => Ok(pair.sign(rng, msg)?.as_ref().to_vec()),
        }
    }
}

/// `private` in the layout of `ogw_rsa_mb`, or `None` for a key the library does not take.
fn multi_buffer_key(private: &rsa::RsaPrivateKey) -> Option<ogw_rsa_mb::Key> {
    use rsa::traits::PrivateKeyParts;
    let [p, q] = private.primes() else {
        return None;
    };
    ogw_rsa_mb::Key::from_components(
        &private.n().to_bytes_be(),
        &private.e().to_bytes_be(),
        &p.to_bytes_be(),
        &q.to_bytes_be(),
        &private.dp()?.to_bytes_be(),
        &private.dq()?.to_bytes_be(),
        &private.crt_coefficient()?.to_bytes_be(),
    )
    .ok()
}

/// A published verification key.
pub struct Verifier {
    pub alg: Algorithm,
    pub key: DecodingKey,
}

/// Parsed keys: the active signing key and every published verification key.
pub struct KeyRing {
    pub active_kid: String,
    pub active_alg: TokenAlg,
    pub signer: Arc<Signer>,
    pub decoding: HashMap<String, Verifier, foldhash::fast::RandomState>,
    pub jwks: serde_json::Value,
}

impl KeyRing {
    /// `keys` as returned by `KeyStore::list_signing_keys` (newest first).
    pub fn from_keys(keys: &[SigningKey]) -> Result<Self, KeyError> {
        let active = keys
            .iter()
            .find(|k| k.retired_at.is_none())
            .ok_or(KeyError::NoKey)?;
        let unusable = |k: &SigningKey, reason: String| KeyError::Unusable {
            kid: k.kid.clone(),
            reason,
        };
        let (active_alg, signer) = Signer::parse(active).map_err(|e| unusable(active, e))?;
        let mut decoding = HashMap::default();
        for k in keys {
            let jwk = |name: &str| k.public_jwk[name].as_str().unwrap_or_default();
            let (alg, key) = match TokenAlg::parse(&k.alg) {
                Some(TokenAlg::RS256) => (
                    TokenAlg::RS256,
                    DecodingKey::from_rsa_components(jwk("n"), jwk("e")),
                ),
                Some(TokenAlg::ES256) => (
                    TokenAlg::ES256,
                    DecodingKey::from_ec_components(jwk("x"), jwk("y")),
                ),
                None => return Err(unusable(k, format!("unsupported algorithm {}", k.alg))),
            };
            let key = key.map_err(|err| unusable(k, err.to_string()))?;
            decoding.insert(
                k.kid.clone(),
                Verifier {
                    alg: alg.jwt(),
                    key,
                },
            );
        }
        let jwks = serde_json::json!({"keys": keys.iter().map(|k| k.public_jwk.clone()).collect::<Vec<_>>()});
        Ok(Self {
            active_kid: active.kid.clone(),
            active_alg,
            signer: Arc::new(signer),
            decoding,
            jwks,
        })
    }
}

/// Shares the current `KeyRing` between requests and reloads it from the store, so a
/// rotation done on one node (or by `ogw keys rotate`) reaches every node.
pub struct KeyProvider {
    store: Arc<dyn KeyStore>,
    ring: RwLock<Arc<KeyRing>>,
}

impl KeyProvider {
    /// Loads the stored keys, creating the first one (of `alg`) when the store has none.
    /// Signs with whatever key is active, whatever its algorithm.
    pub async fn load_or_init(store: Arc<dyn KeyStore>, now: Timestamp) -> Result<Self, KeyError> {
        Self::load(store, TokenAlg::default(), now, None).await
    }

    /// Like [`Self::load_or_init`], and when the active key is not an `alg` key (the operator
    /// changed `token_alg`), rotates to a new `alg` key, keeping the old one published for
    /// `publish_for` so the tokens it signed stay valid until they expire.
    pub async fn load_with_alg(
        store: Arc<dyn KeyStore>,
        alg: TokenAlg,
        now: Timestamp,
        publish_for: Duration,
    ) -> Result<Self, KeyError> {
        Self::load(store, alg, now, Some(publish_for)).await
    }

    async fn load(
        store: Arc<dyn KeyStore>,
        alg: TokenAlg,
        now: Timestamp,
        enforce: Option<Duration>,
    ) -> Result<Self, KeyError> {
        let mut keys = store.list_signing_keys(now).await?;
        match keys.iter().find(|k| k.retired_at.is_none()) {
            None => {
                let key = generate_key(alg, now)?;
                match store.insert_signing_key(&key).await {
                    // Another node raced us to create the first key: use whatever is stored.
                    Ok(()) | Err(StoreError::Conflict(_)) => {}
                    Err(e) => return Err(e.into()),
                }
                keys = store.list_signing_keys(now).await?;
            }
            Some(active) if TokenAlg::parse(&active.alg) != Some(alg) => {
                if let Some(publish_for) = enforce {
                    let kid = rotate(store.as_ref(), alg, now, publish_for).await?;
                    tracing::info!(%kid, alg = alg.as_str(), "token_alg changed: rotated the signing key");
                    keys = store.list_signing_keys(now).await?;
                }
            }
            Some(_) => {}
        }
        let ring = KeyRing::from_keys(&keys)?;
        Ok(Self {
            store,
            ring: RwLock::new(Arc::new(ring)),
        })
    }

    pub fn current(&self) -> Arc<KeyRing> {
        match self.ring.read() {
            Ok(g) => g.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    pub async fn reload(&self, now: Timestamp) -> Result<(), KeyError> {
        let keys = self.store.list_signing_keys(now).await?;
        let ring = Arc::new(KeyRing::from_keys(&keys)?);
        match self.ring.write() {
            Ok(mut g) => *g = ring,
            Err(poisoned) => *poisoned.into_inner() = ring,
        }
        Ok(())
    }
}

/// Makes a new active key and retires the others, keeping their public keys published
/// for `publish_for` (at least the longest token lifetime). Returns the new kid.
pub async fn rotate(
    store: &dyn KeyStore,
    alg: TokenAlg,
    now: Timestamp,
    publish_for: Duration,
) -> Result<String, KeyError> {
    let old = store.list_signing_keys(now).await?;
    let key = generate_key(alg, now)?;
    store.insert_signing_key(&key).await?;
    for k in old.iter().filter(|k| k.retired_at.is_none()) {
        store
            .retire_signing_key(&k.kid, now, now + publish_for)
            .await?;
    }
    Ok(key.kid)
}
