#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
use std::future::Future;
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

/// Signs every job from a task of its own, all on this (current-thread) runtime, while
/// another request counts as signing elsewhere: the first task opens a batch and the next
/// ones join it.
async fn sign_concurrently(
    batcher: &Arc<RsaBatcher>,
    jobs: &[(Arc<RsaSigningKey>, Vec<u8>)],
) -> Vec<Vec<u8>> {
    let _elsewhere = InFlight::enter(&batcher.in_flight);
    let tasks: Vec<_> = jobs
        .iter()
        .cloned()
        .map(|(k, m)| {
            let b = batcher.clone();
            tokio::spawn(async move { b.sign(k, m).await })
        })
        .collect();
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
async fn requests_on_one_thread_are_signed_eight_at_a_time_with_aws_lc_s_bytes() {
    let Some(mb) = library() else { return };
    let batcher = Arc::new(RsaBatcher::new(mb));
    let keys = [rsa_key(), rsa_key()];
    // Nine, two keys mixed: one full batch, then one left over.
    let jobs: Vec<_> = (0..9)
        .map(|i| (keys[i % 2].clone(), format!("h.c{i}").into_bytes()))
        .collect();
    let sigs = sign_concurrently(&batcher, &jobs).await;
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
async fn a_request_alone_is_signed_at_once() {
    let Some(mb) = library() else { return };
    let batcher = RsaBatcher::new(mb);
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
    let batcher = Arc::new(RsaBatcher::new(mb));
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
    let sigs = sign_concurrently(&batcher, &jobs).await;
    for ((key, msg), sig) in jobs.iter().zip(&sigs) {
        assert_eq!(*sig, expected(key, msg));
    }
    assert_eq!(batcher.stats().single, 6);
}

#[tokio::test]
async fn joiners_are_signed_even_when_the_request_that_opened_the_batch_goes_away() {
    let Some(mb) = library() else { return };
    let batcher = Arc::new(RsaBatcher::new(mb));
    let key = rsa_key();
    let _elsewhere = InFlight::enter(&batcher.in_flight);
    let mut opener = Box::pin(batcher.sign(key.clone(), b"opener".to_vec()));
    // One poll: the batch is open and the opener yields.
    std::future::poll_fn(|cx| {
        assert!(opener.as_mut().poll(cx).is_pending());
        std::task::Poll::Ready(())
    })
    .await;
    let joiner = {
        let (b, k) = (batcher.clone(), key.clone());
        tokio::spawn(async move { b.sign(k, b"joiner".to_vec()).await })
    };
    tokio::task::yield_now().await;
    assert_eq!(
        batcher.in_flight.load(Ordering::Relaxed),
        3,
        "the joiner waits in the batch"
    );
    drop(opener);
    let sig = joiner.await.unwrap().unwrap();
    assert_eq!(sig, expected(&key, b"joiner"));
    assert_eq!(batcher.stats().single, 1);
}
