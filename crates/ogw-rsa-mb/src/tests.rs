#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
use aws_lc_rs::signature::{RsaKeyPair, RSA_PKCS1_SHA256};
use rsa::pkcs8::EncodePrivateKey;
use rsa::traits::{PrivateKeyParts, PublicKeyParts};

use super::testing::library;
use super::*;

fn new_key() -> rsa::RsaPrivateKey {
    rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 2048).unwrap()
}

fn mb_key(k: &rsa::RsaPrivateKey) -> Result<Key, KeyError> {
    let be = |x: &rsa::BigUint| x.to_bytes_be();
    Key::from_components(
        &be(k.n()),
        &be(k.e()),
        &be(&k.primes()[0]),
        &be(&k.primes()[1]),
        &be(k.dp().unwrap()),
        &be(k.dq().unwrap()),
        &k.crt_coefficient().unwrap().to_bytes_be(),
    )
}

fn encode(msg: &[u8]) -> [u8; MODULUS_LEN] {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, msg);
    pkcs1_sha256_block(digest.as_ref().try_into().unwrap())
}

fn aws_lc_signature(k: &rsa::RsaPrivateKey, msg: &[u8]) -> Vec<u8> {
    let pair = RsaKeyPair::from_pkcs8(k.to_pkcs8_der().unwrap().as_bytes()).unwrap();
    let mut sig = vec![0; pair.public_modulus_len()];
    let rng = aws_lc_rs::rand::SystemRandom::new();
    pair.sign(&RSA_PKCS1_SHA256, &rng, msg, &mut sig).unwrap();
    sig
}

#[test]
fn limbs_are_little_endian_and_bounded() {
    let be = [1, 2, 3, 4, 5, 6, 7, 8, 9];
    assert_eq!(limbs::<2>(&be), Some([0x0203_0405_0607_0809, 0x01]));
    assert_eq!(limbs::<2>(&[0, 0, 7]), Some([7, 0]));
    assert_eq!(limbs::<1>(&be), None);
}

#[test]
fn keys_the_library_cannot_take_are_refused() {
    let k = new_key();
    assert!(mb_key(&k).is_ok());
    let be = |x: &rsa::BigUint| x.to_bytes_be();
    let (n, p, q) = (be(k.n()), be(&k.primes()[0]), be(&k.primes()[1]));
    let (dp, dq) = (be(k.dp().unwrap()), be(k.dq().unwrap()));
    let qinv = k.crt_coefficient().unwrap().to_bytes_be();
    let e3 = Key::from_components(&n, &[3], &p, &q, &dp, &dq, &qinv);
    assert!(matches!(e3, Err(KeyError::Shape(m)) if m.contains("65537")));
    let short = Key::from_components(&n, &[1, 0, 1], &p[1..], &q, &dp, &dq, &qinv);
    assert!(matches!(short, Err(KeyError::Shape(m)) if m.contains("1024")));
    let small = Key::from_components(&n[1..], &[1, 0, 1], &p, &q, &dp, &dq, &qinv);
    assert!(matches!(small, Err(KeyError::Shape(m)) if m.contains("2048")));
}

#[test]
fn signatures_are_aws_lc_s_byte_for_byte_for_any_mix_of_keys_and_counts() {
    let Some(mb) = library() else { return };
    let keys = [new_key(), new_key()];
    let mbk = [mb_key(&keys[0]).unwrap(), mb_key(&keys[1]).unwrap()];
    let mut scratch = mb.scratch();
    for count in [1, 3, 8] {
        let msgs: Vec<Vec<u8>> = (0..count)
            .map(|i| format!("header.claims-{count}-{i}").into_bytes())
            .collect();
        let ems: Vec<[u8; MODULUS_LEN]> = msgs.iter().map(|m| encode(m)).collect();
        let inputs: Vec<(&Key, &[u8; MODULUS_LEN])> = ems
            .iter()
            .enumerate()
            .map(|(i, em)| (&mbk[i % 2], em))
            .collect();
        let mut out = vec![[0u8; MODULUS_LEN]; count];
        mb.private(&inputs, &mut out, &mut scratch).unwrap();
        for (i, sig) in out.iter().enumerate() {
            assert_eq!(
                sig.as_slice(),
                aws_lc_signature(&keys[i % 2], &msgs[i]),
                "lane {i} of {count}"
            );
        }
    }
}

#[test]
fn an_input_the_key_cannot_sign_is_an_error_not_a_signature() {
    let Some(mb) = library() else { return };
    let k = mb_key(&new_key()).unwrap();
    let mut scratch = mb.scratch();
    // Above the modulus: the public-key check (or the library) refuses it.
    let too_big = [0xff; MODULUS_LEN];
    let good = encode(b"fine");
    let mut out = [[0u8; MODULUS_LEN]; 2];
    assert!(mb
        .private(&[(&k, &good), (&k, &too_big)], &mut out, &mut scratch)
        .is_err());
    let nine: Vec<(&Key, &[u8; MODULUS_LEN])> = (0..9).map(|_| (&k, &good)).collect();
    let mut out = [[0u8; MODULUS_LEN]; 9];
    assert!(matches!(
        mb.private(&nine, &mut out, &mut scratch),
        Err(OpError::Count)
    ));
    assert!(matches!(
        mb.private(&[], &mut [], &mut scratch),
        Err(OpError::Count)
    ));
}
