//! Client secrets and other high-entropy credentials: generated here with 256 bits of
//! entropy and stored only as a keyed hash (HMAC-SHA-256 with a server-side pepper).
//! A slow password hash buys nothing at this entropy and would cap `/token` throughput.
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;

/// A random URL-safe token with 256 bits of entropy.
pub fn generate_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Server-side key for hashing secrets; never stored beside the hashes.
#[derive(Clone)]
pub struct Pepper(Vec<u8>);

impl Pepper {
    pub fn new(bytes: impl Into<Vec<u8>>) -> Self {
        Self(bytes.into())
    }

    /// `v1$<base64url(HMAC-SHA-256(pepper, secret))>`; the prefix allows a later scheme change.
    pub fn hash(&self, secret: &str) -> String {
        format!("v1${}", URL_SAFE_NO_PAD.encode(self.mac(secret)))
    }

    /// Constant-time comparison of a presented secret with a stored hash.
    pub fn verify(&self, secret: &str, stored: &str) -> bool {
        let Some(encoded) = stored.strip_prefix("v1$") else {
            return false;
        };
        let Ok(expected) = URL_SAFE_NO_PAD.decode(encoded) else {
            return false;
        };
        self.mac(secret)
            .as_slice()
            .ct_eq(expected.as_slice())
            .into()
    }

    fn mac(&self, secret: &str) -> Vec<u8> {
        // HMAC accepts keys of any length, so this cannot fail.
        let mut mac =
            <HmacSha256 as Mac>::new_from_slice(&self.0).unwrap_or_else(|_| unreachable!());
        mac.update(secret.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }
}

impl std::fmt::Debug for Pepper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pepper(…)")
    }
}

/// Unkeyed SHA-256 for lookup keys of opaque one-time values (codes, auth_req_ids):
/// the value itself is random with 256 bits, so the hash only keeps the clear value out of the store.
pub fn lookup_hash(value: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(value.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_verifies_only_the_same_secret_and_pepper() {
        let p = Pepper::new(b"pepper".to_vec());
        let h = p.hash("demo-secret");
        assert!(p.verify("demo-secret", &h));
        assert!(!p.verify("demo-secreT", &h));
        assert!(!Pepper::new(b"other".to_vec()).verify("demo-secret", &h));
        assert!(!p.verify("demo-secret", "garbage"));
    }

    #[test]
    fn generated_tokens_are_long_and_distinct() {
        let a = generate_token();
        assert_eq!(a.len(), 43);
        assert_ne!(a, generate_token());
    }
}
