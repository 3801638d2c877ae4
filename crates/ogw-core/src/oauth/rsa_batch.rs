//! RS256 signatures up to eight at a time (`ogw_rsa_mb`), on threads of their own.
//!
//! Why: `/token` with RS256 is bound by the RSA-2048 signature (~83 % of its CPU, bench/PERF.md).
//! On a CPU with AVX-512 IFMA, Intel's multi-buffer library computes eight signatures in about
//! the time of four single ones. So a request hands its JWS signing input to a queue and awaits
//! the signature; one thread per core takes what has queued, eight at most, and signs it in
//! one call — or, when fewer than [`MIN_BATCH`] wait (a quiet server), one by one with AWS-LC,
//! which is then cheaper and answers as fast as before.
//!
//! A thread whose last batch was worth batching waits up to [`GATHER`] for a full one:
//! under load the next requests are already on their way, and a half-empty call wastes lanes.
//! A quiet server never waits, as its batches are single.
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{RsaKeyPair, RSA_PKCS1_SHA256};
use ogw_rsa_mb::{MultiBuffer, Scratch, LANES, MODULUS_LEN};
use tokio::sync::oneshot;

/// Fewest waiting signatures signed in one multi-buffer call: a call costs about four single
/// signatures whatever its number of inputs (bench/PERF.md).
pub const MIN_BATCH: usize = 4;
/// How long a busy signer waits for a full batch.
pub const GATHER: Duration = Duration::from_micros(200);

/// An RS256 signing key: AWS-LC's, and the same key in the multi-buffer layout when it has
/// the shape the library takes (RSA-2048, e = 65537, two 1024-bit primes).
pub struct RsaSigningKey {
    pub pair: RsaKeyPair,
    pub lanes: Option<ogw_rsa_mb::Key>,
}

impl RsaSigningKey {
    /// PKCS#1 v1.5 with SHA-256 (RFC 7518 §3.3), one signature on the calling thread.
    pub fn sign_one(
        &self,
        rng: &SystemRandom,
        msg: &[u8],
    ) -> Result<Vec<u8>, aws_lc_rs::error::Unspecified> {
        let mut sig = vec![0u8; self.pair.public_modulus_len()];
        self.pair.sign(&RSA_PKCS1_SHA256, rng, msg, &mut sig)?;
        Ok(sig)
    }
}

type Signature = Result<Vec<u8>, aws_lc_rs::error::Unspecified>;

struct Job {
    key: Arc<RsaSigningKey>,
    msg: Vec<u8>,
    done: oneshot::Sender<Signature>,
}

#[derive(Default)]
struct Queue {
    jobs: VecDeque<Job>,
    closed: bool,
}

/// Signatures made so far, by path.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct BatchStats {
    /// Multi-buffer calls.
    pub batches: u64,
    /// Signatures made by those calls.
    pub batched: u64,
    /// Signatures made one at a time (AWS-LC).
    pub single: u64,
}

#[derive(Default)]
struct Counters {
    batches: AtomicU64,
    batched: AtomicU64,
    single: AtomicU64,
}

struct Shared {
    mb: MultiBuffer,
    queue: Mutex<Queue>,
    ready: Condvar,
    counters: Counters,
}

/// The queue and its signing threads; the threads end when this is dropped.
pub struct RsaBatcher {
    shared: Arc<Shared>,
    threads: Mutex<Vec<JoinHandle<()>>>,
}

impl RsaBatcher {
    /// `threads` signing threads (one per core is right: they compute, never wait on I/O).
    pub fn start(mb: MultiBuffer, threads: usize) -> std::io::Result<Self> {
        let batcher = Self::without_threads(mb);
        batcher.add_threads(threads.max(1))?;
        Ok(batcher)
    }

    fn without_threads(mb: MultiBuffer) -> Self {
        let shared = Arc::new(Shared {
            mb,
            queue: Mutex::default(),
            ready: Condvar::new(),
            counters: Counters::default(),
        });
        Self {
            shared,
            threads: Mutex::default(),
        }
    }

    fn add_threads(&self, n: usize) -> std::io::Result<()> {
        let mut threads = self.threads.lock().unwrap_or_else(PoisonError::into_inner);
        for _ in 0..n {
            let shared = self.shared.clone();
            let name = format!("ogw-rs256-{}", threads.len());
            threads.push(
                std::thread::Builder::new()
                    .name(name)
                    .spawn(move || shared.run())?,
            );
        }
        Ok(())
    }

    /// The RS256 signature of `msg` with `key`.
    pub async fn sign(&self, key: Arc<RsaSigningKey>, msg: Vec<u8>) -> Signature {
        let (done, signed) = oneshot::channel();
        {
            let mut q = self.shared.lock();
            q.jobs.push_back(Job { key, msg, done });
            if q.jobs.len() >= LANES {
                self.shared.ready.notify_all();
            } else {
                self.shared.ready.notify_one();
            }
        }
        // The sender is only dropped unanswered when the batcher shuts down.
        signed.await.unwrap_or(Err(aws_lc_rs::error::Unspecified))
    }

    pub fn stats(&self) -> BatchStats {
        let c = &self.shared.counters;
        BatchStats {
            batches: c.batches.load(Ordering::Relaxed),
            batched: c.batched.load(Ordering::Relaxed),
            single: c.single.load(Ordering::Relaxed),
        }
    }
}

impl Drop for RsaBatcher {
    fn drop(&mut self) {
        self.shared.lock().closed = true;
        self.shared.ready.notify_all();
        let threads = std::mem::take(
            self.threads
                .get_mut()
                .unwrap_or_else(PoisonError::into_inner),
        );
        for t in threads {
            // A signing thread does not panic (no unwrap, no indexing out of its batch).
            let _ = t.join();
        }
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn run(&self) {
        let mut scratch = self.mb.scratch();
        let rng = SystemRandom::new();
        let mut last = 0;
        while let Some(batch) = self.next_batch(last) {
            last = batch.len();
            self.sign(batch, &mut scratch, &rng);
        }
    }

    /// The next jobs to sign, at most [`LANES`]; `None` once closed.
    fn next_batch(&self, last: usize) -> Option<Vec<Job>> {
        let mut q = self.lock();
        loop {
            while q.jobs.is_empty() {
                if q.closed {
                    return None;
                }
                q = self.ready.wait(q).unwrap_or_else(PoisonError::into_inner);
            }
            if last >= MIN_BATCH {
                let deadline = Instant::now() + GATHER;
                while q.jobs.len() < LANES && !q.closed {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        break;
                    }
                    q = self
                        .ready
                        .wait_timeout(q, left)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0;
                }
            }
            // Another thread may have taken them while this one waited.
            if !q.jobs.is_empty() {
                let n = q.jobs.len().min(LANES);
                return Some(q.jobs.drain(..n).collect());
            }
        }
    }

    fn sign(&self, batch: Vec<Job>, scratch: &mut Scratch, rng: &SystemRandom) {
        let lanes: Option<Vec<&ogw_rsa_mb::Key>> =
            batch.iter().map(|j| j.key.lanes.as_ref()).collect();
        if let Some(keys) = lanes.filter(|k| k.len() >= MIN_BATCH) {
            match self.sign_batch(&batch, &keys, scratch) {
                Ok(sigs) => {
                    let c = &self.counters;
                    c.batches.fetch_add(1, Ordering::Relaxed);
                    c.batched.fetch_add(sigs.len() as u64, Ordering::Relaxed);
                    for (job, sig) in batch.into_iter().zip(sigs) {
                        let _ = job.done.send(Ok(sig.to_vec()));
                    }
                    return;
                }
                Err(e) => tracing::warn!(error = %e, "multi-buffer RSA failed; signing one by one"),
            }
        }
        for job in batch {
            self.counters.single.fetch_add(1, Ordering::Relaxed);
            let _ = job.done.send(job.key.sign_one(rng, &job.msg));
        }
    }

    fn sign_batch(
        &self,
        batch: &[Job],
        keys: &[&ogw_rsa_mb::Key],
        scratch: &mut Scratch,
    ) -> Result<Vec<[u8; MODULUS_LEN]>, ogw_rsa_mb::OpError> {
        let blocks: Vec<[u8; MODULUS_LEN]> = batch
            .iter()
            .map(|j| {
                let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &j.msg);
                let mut d = [0u8; 32];
                d.copy_from_slice(digest.as_ref());
                ogw_rsa_mb::pkcs1_sha256_block(&d)
            })
            .collect();
        let inputs: Vec<_> = keys.iter().copied().zip(&blocks).collect();
        let mut out = vec![[0u8; MODULUS_LEN]; batch.len()];
        self.mb.private(&inputs, &mut out, scratch)?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests;
