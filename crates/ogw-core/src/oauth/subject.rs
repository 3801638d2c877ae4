//! How tokens name the subscriber without the MSISDN in clear:
//! - `sub` is pairwise: HMAC(server key, tenant | client | subscriber id), so two clients
//!   cannot correlate their users (OIDC Core §8.1; DECISIONS 9).
//! - `sref` is the MSISDN sealed with AES-256-GCM for the resource server (this server),
//!   bound to tenant and client as associated data; a fresh nonce per token makes it
//!   unlinkable across tokens. Stateless, so any node can resolve it.
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::domain::{ClientId, PhoneNumber, SubscriberId, TenantId};

#[derive(Clone)]
pub struct SubjectCodec {
    mac_key: Vec<u8>,
    cipher: Aes256Gcm,
}

impl SubjectCodec {
    /// Derives both keys from the server secret (the same on every node).
    pub fn new(server_secret: &[u8]) -> Self {
        let mac_key = Sha256::new_with_prefix(b"ogw/pairwise-sub/v1")
            .chain_update(server_secret)
            .finalize()
            .to_vec();
        let aead_key = Sha256::new_with_prefix(b"ogw/subject-ref/v1")
            .chain_update(server_secret)
            .finalize();
        Self {
            mac_key,
            cipher: Aes256Gcm::new(&aead_key),
        }
    }

    pub fn pairwise_sub(
        &self,
        tenant: &TenantId,
        client: &ClientId,
        subscriber: &SubscriberId,
    ) -> String {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.mac_key).unwrap_or_else(|_| unreachable!());
        for part in [tenant.as_str(), client.as_str(), subscriber.as_str()] {
            mac.update(part.as_bytes());
            mac.update(b"\x1f");
        }
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }

    pub fn seal(&self, tenant: &TenantId, client: &ClientId, msisdn: &PhoneNumber) -> String {
        let mut nonce = [0u8; 12];
        rand::thread_rng().fill_bytes(&mut nonce);
        let aad = aad(tenant, client);
        let ct = self
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: msisdn.as_str().as_bytes(),
                    aad: &aad,
                },
            )
            .unwrap_or_default();
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        URL_SAFE_NO_PAD.encode(out)
    }

    pub fn open(&self, tenant: &TenantId, client: &ClientId, sealed: &str) -> Option<PhoneNumber> {
        let raw = URL_SAFE_NO_PAD.decode(sealed).ok()?;
        if raw.len() < 12 + 16 {
            return None;
        }
        let (nonce, ct) = raw.split_at(12);
        let aad = aad(tenant, client);
        let clear = self
            .cipher
            .decrypt(Nonce::from_slice(nonce), Payload { msg: ct, aad: &aad })
            .ok()?;
        PhoneNumber::parse(std::str::from_utf8(&clear).ok()?).ok()
    }

    /// Seals an opaque reference (e.g. a consent-capture request in a `captureUrl`) for this
    /// server alone, bound to `context`. The associated data contains `/`, which tenant and
    /// client ids cannot, so a reference never opens as a subscriber `sref` or vice versa.
    pub fn seal_ref(&self, context: &str, payload: &[u8]) -> String {
        let mut nonce = [0u8; 12];
        rand::thread_rng().fill_bytes(&mut nonce);
        let aad = format!("ogw/ref/{context}");
        let ct = self
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: payload,
                    aad: aad.as_bytes(),
                },
            )
            .unwrap_or_default();
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        URL_SAFE_NO_PAD.encode(out)
    }

    pub fn open_ref(&self, context: &str, sealed: &str) -> Option<Vec<u8>> {
        let raw = URL_SAFE_NO_PAD.decode(sealed).ok()?;
        if raw.len() < 12 + 16 {
            return None;
        }
        let (nonce, ct) = raw.split_at(12);
        let aad = format!("ogw/ref/{context}");
        self.cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ct,
                    aad: aad.as_bytes(),
                },
            )
            .ok()
    }

    /// A MAC over `parts` for this server alone, bound to `context` (e.g. the CSRF token of
    /// a consent form, bound to the request reference and the device).
    pub fn tag(&self, context: &str, parts: &[&str]) -> String {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.mac_key).unwrap_or_else(|_| unreachable!());
        mac.update(b"ogw/tag/");
        mac.update(context.as_bytes());
        for part in parts {
            mac.update(b"\x1f");
            mac.update(part.as_bytes());
        }
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }
}

fn aad(tenant: &TenantId, client: &ClientId) -> Vec<u8> {
    format!("{tenant}\x1f{client}").into_bytes()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn seal_round_trips_only_for_same_tenant_and_client() {
        let c = SubjectCodec::new(b"secret");
        let t = TenantId::parse("demo").unwrap();
        let a = ClientId::parse("a").unwrap();
        let b = ClientId::parse("b").unwrap();
        let n = PhoneNumber::parse("+34629255833").unwrap();
        let s1 = c.seal(&t, &a, &n);
        assert_ne!(s1, c.seal(&t, &a, &n), "fresh nonce each time");
        assert!(!s1.contains("629255833"));
        assert_eq!(c.open(&t, &a, &s1), Some(n));
        assert_eq!(c.open(&t, &b, &s1), None);
        assert_eq!(SubjectCodec::new(b"other").open(&t, &a, &s1), None);
    }

    #[test]
    fn pairwise_sub_differs_per_client() {
        let c = SubjectCodec::new(b"secret");
        let t = TenantId::parse("demo").unwrap();
        let s = SubscriberId::parse("sub1").unwrap();
        let a = c.pairwise_sub(&t, &ClientId::parse("a").unwrap(), &s);
        assert_eq!(a, c.pairwise_sub(&t, &ClientId::parse("a").unwrap(), &s));
        assert_ne!(a, c.pairwise_sub(&t, &ClientId::parse("b").unwrap(), &s));
    }
}
