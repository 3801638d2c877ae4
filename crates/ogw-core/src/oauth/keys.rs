//! Token-signing keys: generated here, stored (shared by all nodes) through `KeyStore`,
//! parsed once into a `KeyRing`, published as a JWKS. Rotation keeps the previous public
//! key published until every token it signed has expired.
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::Duration;
use jsonwebtoken::{DecodingKey, EncodingKey};
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding};
use rsa::traits::PublicKeyParts;
use sha2::{Digest, Sha256};

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

/// A new RS256 key. The kid is the RFC 7638 JWK thumbprint.
pub fn generate_rsa_key(now: Timestamp) -> Result<SigningKey, KeyError> {
    let private = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 2048)
        .map_err(|e| KeyError::Generate(e.to_string()))?;
    let pem = private
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| KeyError::Generate(e.to_string()))?;
    let n = URL_SAFE_NO_PAD.encode(private.n().to_bytes_be());
    let e = URL_SAFE_NO_PAD.encode(private.e().to_bytes_be());
    let thumbprint_input = format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#);
    let kid = URL_SAFE_NO_PAD.encode(Sha256::digest(thumbprint_input.as_bytes()));
    Ok(SigningKey {
        kid: kid.clone(),
        alg: "RS256".into(),
        private_pem: pem.to_string(),
        public_jwk: serde_json::json!({"kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid, "n": n, "e": e}),
        created_at: now,
        retired_at: None,
        publish_until: None,
    })
}

/// Parsed keys: the active signing key and every published verification key.
pub struct KeyRing {
    pub active_kid: String,
    pub encoding: EncodingKey,
    /// The active key, parsed once, for `TokenService`'s RS256 signing (AWS-LC).
    pub signer: Arc<aws_lc_rs::signature::RsaKeyPair>,
    pub decoding: HashMap<String, DecodingKey>,
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
        let encoding = EncodingKey::from_rsa_pem(active.private_pem.as_bytes())
            .map_err(|e| unusable(active, e.to_string()))?;
        let der = rsa::RsaPrivateKey::from_pkcs8_pem(&active.private_pem)
            .and_then(|k| k.to_pkcs8_der())
            .map_err(|e| unusable(active, e.to_string()))?;
        let signer = aws_lc_rs::signature::RsaKeyPair::from_pkcs8(der.as_bytes())
            .map_err(|e| unusable(active, e.to_string()))?;
        let mut decoding = HashMap::new();
        for k in keys {
            let n = k.public_jwk["n"].as_str().unwrap_or_default();
            let e = k.public_jwk["e"].as_str().unwrap_or_default();
            let key = DecodingKey::from_rsa_components(n, e)
                .map_err(|err| unusable(k, err.to_string()))?;
            decoding.insert(k.kid.clone(), key);
        }
        let jwks = serde_json::json!({"keys": keys.iter().map(|k| k.public_jwk.clone()).collect::<Vec<_>>()});
        Ok(Self {
            active_kid: active.kid.clone(),
            encoding,
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
    /// Loads the stored keys, creating the first one when the store has none.
    pub async fn load_or_init(store: Arc<dyn KeyStore>, now: Timestamp) -> Result<Self, KeyError> {
        let mut keys = store.list_signing_keys(now).await?;
        if !keys.iter().any(|k| k.retired_at.is_none()) {
            let key = generate_rsa_key(now)?;
            match store.insert_signing_key(&key).await {
                // Another node raced us to create the first key: use whatever is stored.
                Ok(()) | Err(StoreError::Conflict(_)) => {}
                Err(e) => return Err(e.into()),
            }
            keys = store.list_signing_keys(now).await?;
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
    now: Timestamp,
    publish_for: Duration,
) -> Result<String, KeyError> {
    let old = store.list_signing_keys(now).await?;
    let key = generate_rsa_key(now)?;
    store.insert_signing_key(&key).await?;
    for k in old.iter().filter(|k| k.retired_at.is_none()) {
        store
            .retire_signing_key(&k.kid, now, now + publish_for)
            .await?;
    }
    Ok(key.kid)
}
