#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
use std::sync::Arc;

use aws_lc_rs::rand::SystemRandom;
use ogw_rsa_mb::testing::library;

use super::*;
use crate::oauth::keys::{generate_rsa_key, KeyRing, Signer};

fn rsa_key() -> Arc<RsaSigningKey> {
    let ring = KeyRing::from_keys(&[generate_rsa_key(chrono::Utc::now()).unwrap()]).unwrap();
    match &*ring.signer {
        Signer::Rsa(k) => {
            assert!(
                k.lanes.is_some(),
                "a generated RSA-2048 key has the multi-buffer shape"
            );
            k.clone()
        }
        Signer::Ec(_) => panic!("asked for RSA"),
    }
}

/// Queues `jobs` before any signing thread runs, then lets `threads` threads sign them.
async fn sign_all(
    batcher: Arc<RsaBatcher>,
    jobs: Vec<(Arc<RsaSigningKey>, Vec<u8>)>,
    threads: usize,
) -> Vec<Vec<u8>> {
    let n = jobs.len();
    let tasks: Vec<_> = jobs
        .into_iter()
        .map(|(k, m)| {
            let b = batcher.clone();
            tokio::spawn(async move { b.sign(k, m).await })
        })
        .collect();
    while batcher.shared.lock().jobs.len() < n {
        tokio::task::yield_now().await;
    }
    batcher.add_threads(threads).unwrap();
    let mut sigs = Vec::new();
    for t in tasks {
        sigs.push(t.await.unwrap().unwrap());
    }
    sigs
}

fn expected(key: &RsaSigningKey, msg: &[u8]) -> Vec<u8> {
    // PKCS#1 v1.5 is deterministic: the batch must give AWS-LC's bytes.
    key.sign_one(&SystemRandom::new(), msg).unwrap()
}

#[tokio::test]
async fn queued_signatures_go_out_in_batches_of_eight_with_aws_lc_s_bytes() {
    let Some(mb) = library() else { return };
    let batcher = Arc::new(RsaBatcher::without_threads(mb));
    let keys = [rsa_key(), rsa_key()];
    // Nine, two keys mixed: one full batch, then one left over.
    let jobs: Vec<_> = (0..9)
        .map(|i| (keys[i % 2].clone(), format!("h.c{i}").into_bytes()))
        .collect();
    let sigs = sign_all(batcher.clone(), jobs.clone(), 1).await;
    for ((key, msg), sig) in jobs.iter().zip(&sigs) {
        assert_eq!(*sig, expected(key, msg));
    }
    let stats = batcher.stats();
    assert_eq!(stats.batches, 1, "{stats:?}");
    assert_eq!(stats.batched, 8, "{stats:?}");
    assert_eq!(
        stats.single, 1,
        "the ninth alone is signed by AWS-LC: {stats:?}"
    );
}

#[tokio::test]
async fn a_quiet_server_signs_one_by_one() {
    let Some(mb) = library() else { return };
    let batcher = Arc::new(RsaBatcher::start(mb, 2).unwrap());
    let key = rsa_key();
    for i in 0..3 {
        let msg = format!("h.c{i}").into_bytes();
        let sig = batcher.sign(key.clone(), msg.clone()).await.unwrap();
        assert_eq!(sig, expected(&key, &msg));
    }
    assert_eq!(
        batcher.stats(),
        BatchStats {
            batches: 0,
            batched: 0,
            single: 3
        }
    );
}

#[tokio::test]
async fn a_key_the_library_cannot_take_is_signed_one_by_one_even_in_a_crowd() {
    let Some(mb) = library() else { return };
    let batcher = Arc::new(RsaBatcher::without_threads(mb));
    use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey};
    let pem = generate_rsa_key(chrono::Utc::now()).unwrap().private_pem;
    let der = rsa::RsaPrivateKey::from_pkcs8_pem(&pem)
        .unwrap()
        .to_pkcs8_der()
        .unwrap();
    let without = Arc::new(RsaSigningKey {
        pair: aws_lc_rs::signature::RsaKeyPair::from_pkcs8(der.as_bytes()).unwrap(),
        lanes: None,
    });
    let jobs: Vec<_> = (0..6)
        .map(|i| (without.clone(), format!("h.c{i}").into_bytes()))
        .collect();
    let sigs = sign_all(batcher.clone(), jobs.clone(), 1).await;
    for ((key, msg), sig) in jobs.iter().zip(&sigs) {
        assert_eq!(*sig, expected(key, msg));
    }
    assert_eq!(batcher.stats().single, 6);
}
