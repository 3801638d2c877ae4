//! RS256 signatures up to eight at a time (`ogw_rsa_mb`), gathered on each runtime thread.
//!
//! Why: `/token` with RS256 is bound by the RSA-2048 signature (~83 % of its CPU, bench/PERF.md).
//! On a CPU with AVX-512 IFMA, Intel's multi-buffer library computes eight signatures in about
//! the time of four single ones.
//!
//! How: the first request on a runtime thread that needs a signature opens a batch there and
//! yields once; the runtime then runs the thread's other ready tasks and polls its sockets, and
//! every request among them that needs a signature joins the open batch. The opener then signs
//! the batch on its own thread: in one multi-buffer call when [`MIN_BATCH`] or more joined,
//! one by one with AWS-LC otherwise. A request alone (no other signing, no company last time
//! on this thread) skips the gathering, but for a probe now and then. A quiet server thus
//! signs one at a time as before, a loaded one eight at a time, with no thread hand-off
//! either way.
//!
//! An earlier version queued signatures for threads of their own (one per core): two thread
//! wake-ups per token cost 10–25 % of /token's throughput at 4–8 connections, where
//! batches do not fill (bench/PERF.md round 6).
use std::cell::{Cell, RefCell};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{RsaKeyPair, RSA_PKCS1_SHA256};
use ogw_rsa_mb::{MultiBuffer, Scratch, LANES, MODULUS_LEN};
use tokio::sync::oneshot;

/// Fewest signatures made in one multi-buffer call: a call costs about four single signatures
/// whatever its number of inputs (bench/PERF.md).
pub const MIN_BATCH: usize = 4;
/// A request alone still gathers once in this many (see `RsaBatcher::alone`).
const PROBE_EVERY: u32 = 16;
/// Yields an opener makes at most while its batch keeps growing.
const GATHER_ROUNDS: usize = 3;

/// RS256 signatures by `path` (`batched`: crypto_mb, `single`: AWS-LC); with
/// `token_signature_batches_total`, the mean batch size (docs/config.md).
const SIGNATURES_METRIC: &str = "token_signatures_total";

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

/// A signature asked for by a request that joined another's batch.
struct Job {
    key: Arc<RsaSigningKey>,
    msg: Vec<u8>,
    done: oneshot::Sender<Signature>,
}

/// A batch open for joining; the opener closes it when it takes the jobs.
#[derive(Default)]
struct Open {
    jobs: Vec<Job>,
    closed: bool,
}

type Slot = Arc<Mutex<Open>>;

thread_local! {
    /// The batch open on this runtime thread, if any (a closed one is replaced by the next opener).
    static OPEN: RefCell<Option<Slot>> = const { RefCell::new(None) };
    /// Whether this thread's last batch had joiners.
    static COMPANY: Cell<bool> = const { Cell::new(false) };
    /// Requests this thread signed alone, to probe for company now and then.
    static PROBE: Cell<u32> = const { Cell::new(0) };
    /// The library's work memory, one per thread.
    static SCRATCH: RefCell<Option<Scratch>> = const { RefCell::new(None) };
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

/// Gathers and signs RS256 batches; shared by every request.
pub struct RsaBatcher {
    mb: MultiBuffer,
    /// Requests in `sign` right now.
    in_flight: AtomicUsize,
    batches: AtomicU64,
    batched: AtomicU64,
    single: AtomicU64,
}

impl RsaBatcher {
    pub fn new(mb: MultiBuffer) -> Self {
        Self {
            mb,
            in_flight: AtomicUsize::new(0),
            batches: AtomicU64::new(0),
            batched: AtomicU64::new(0),
            single: AtomicU64::new(0),
        }
    }

    /// The RS256 signature of `msg` with `key`, in a batch with the other requests this
    /// runtime thread is serving when there are enough of them.
    pub async fn sign(&self, key: Arc<RsaSigningKey>, msg: Vec<u8>) -> Signature {
        if key.lanes.is_none() {
            self.count_single(1);
            return key.sign_one(&SystemRandom::new(), &msg);
        }
        let _signing = InFlight::enter(&self.in_flight);
        if self.alone() {
            self.count_single(1);
            return key.sign_one(&SystemRandom::new(), &msg);
        }
        let (key, msg) = match join_open_batch(key, msg) {
            Ok(joined) => return joined.await.unwrap_or(Err(aws_lc_rs::error::Unspecified)),
            Err(not_joined) => not_joined,
        };
        let mut opening = Opening::open(self);
        let mut seen = 0;
        for _ in 0..GATHER_ROUNDS {
            tokio::task::yield_now().await;
            let now = lock(&opening.slot).jobs.len();
            if now == seen || now + 1 >= LANES {
                break;
            }
            seen = now;
        }
        let joined = opening.close();
        COMPANY.with(|c| c.set(!joined.is_empty()));
        self.sign_all(&key, &msg, joined)
    }

    /// No other request is signing and this thread's last batch had no company: then there is
    /// likely nothing to gather, and the yield would cost a lone request ~10 % (bench/PERF.md).
    /// Every [`PROBE_EVERY`]th such request gathers anyway, as requests waiting in this
    /// thread's sockets are invisible until it yields (the only way to batch on one core).
    fn alone(&self) -> bool {
        if self.in_flight.load(Ordering::Relaxed) != 1 || COMPANY.with(Cell::get) {
            return false;
        }
        PROBE.with(|p| {
            let n = p.get().wrapping_add(1);
            p.set(n);
            n % PROBE_EVERY != 0
        })
    }

    pub fn stats(&self) -> BatchStats {
        BatchStats {
            batches: self.batches.load(Ordering::Relaxed),
            batched: self.batched.load(Ordering::Relaxed),
            single: self.single.load(Ordering::Relaxed),
        }
    }

    /// The opener's signature; the joiners get theirs through their channels.
    fn sign_all(&self, key: &Arc<RsaSigningKey>, msg: &[u8], joined: Vec<Job>) -> Signature {
        let rng = SystemRandom::new();
        if joined.len() + 1 >= MIN_BATCH {
            let mut all: Vec<(&RsaSigningKey, &[u8])> = vec![(key, msg)];
            all.extend(joined.iter().map(|j| (&*j.key, j.msg.as_slice())));
            match self.sign_batch(&all) {
                Ok(sigs) => {
                    self.batches.fetch_add(1, Ordering::Relaxed);
                    self.batched.fetch_add(sigs.len() as u64, Ordering::Relaxed);
                    metrics::counter!("token_signature_batches_total").increment(1);
                    metrics::counter!(SIGNATURES_METRIC, "path" => "batched")
                        .increment(sigs.len() as u64);
                    // In `all`'s order: the opener's first.
                    let mut sigs = sigs.into_iter().map(|s| s.to_vec());
                    let own = sigs.next().ok_or(aws_lc_rs::error::Unspecified);
                    for (job, sig) in joined.into_iter().zip(sigs) {
                        let _ = job.done.send(Ok(sig));
                    }
                    return own;
                }
                Err(e) => tracing::warn!(error = %e, "multi-buffer RSA failed; signing one by one"),
            }
        }
        self.count_single(joined.len() + 1);
        for job in joined {
            let _ = job.done.send(job.key.sign_one(&rng, &job.msg));
        }
        key.sign_one(&rng, msg)
    }

    fn count_single(&self, n: usize) {
        self.single.fetch_add(n as u64, Ordering::Relaxed);
        metrics::counter!(SIGNATURES_METRIC, "path" => "single").increment(n as u64);
    }

    /// One multi-buffer call; every key has lanes (only such keys open or join a batch).
    fn sign_batch(
        &self,
        all: &[(&RsaSigningKey, &[u8])],
    ) -> Result<Vec<[u8; MODULUS_LEN]>, ogw_rsa_mb::OpError> {
        let mut blocks = Vec::with_capacity(all.len());
        for (_, msg) in all {
            let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, msg);
            let mut d = [0u8; 32];
            d.copy_from_slice(digest.as_ref());
            blocks.push(ogw_rsa_mb::pkcs1_sha256_block(&d));
        }
        let mut inputs = Vec::with_capacity(all.len());
        for ((key, _), block) in all.iter().zip(&blocks) {
            inputs.push((key.lanes.as_ref().ok_or(ogw_rsa_mb::OpError::Count)?, block));
        }
        let mut out = vec![[0u8; MODULUS_LEN]; all.len()];
        SCRATCH.with(|scratch| {
            let mut scratch = scratch.borrow_mut();
            let scratch = scratch.get_or_insert_with(|| self.mb.scratch());
            self.mb.private(&inputs, &mut out, scratch)
        })?;
        Ok(out)
    }
}

/// Counts a request in `sign` until it leaves (or is dropped).
struct InFlight<'a>(&'a AtomicUsize);

impl<'a> InFlight<'a> {
    fn enter(n: &'a AtomicUsize) -> Self {
        n.fetch_add(1, Ordering::Relaxed);
        Self(n)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A batch being opened by a request. Should the request go away while it gathers (its
/// client hung up), the batch is closed and its joiners' signatures made anyway.
struct Opening<'a> {
    batcher: &'a RsaBatcher,
    slot: Slot,
    closed: bool,
}

impl<'a> Opening<'a> {
    fn open(batcher: &'a RsaBatcher) -> Self {
        let slot = Slot::default();
        OPEN.with(|open| *open.borrow_mut() = Some(slot.clone()));
        Self {
            batcher,
            slot,
            closed: false,
        }
    }

    /// The jobs that joined; nothing joins after this.
    fn close(&mut self) -> Vec<Job> {
        self.closed = true;
        let joined = {
            let mut open = lock(&self.slot);
            open.closed = true;
            std::mem::take(&mut open.jobs)
        };
        // Only where this task still runs on the thread that opened it.
        OPEN.with(|open| {
            let mut open = open.borrow_mut();
            if open.as_ref().is_some_and(|s| Arc::ptr_eq(s, &self.slot)) {
                *open = None;
            }
        });
        joined
    }
}

impl Drop for Opening<'_> {
    fn drop(&mut self) {
        if self.closed {
            return;
        }
        let joined = self.close();
        self.batcher.count_single(joined.len());
        let rng = SystemRandom::new();
        for job in joined {
            let _ = job.done.send(job.key.sign_one(&rng, &job.msg));
        }
    }
}

/// Joins the batch open on this thread, or gives the signature's parts back to open one.
fn join_open_batch(
    key: Arc<RsaSigningKey>,
    msg: Vec<u8>,
) -> Result<oneshot::Receiver<Signature>, (Arc<RsaSigningKey>, Vec<u8>)> {
    let Some(slot) = OPEN.with(|open| open.borrow().clone()) else {
        return Err((key, msg));
    };
    let mut open = lock(&slot);
    // The opener's own signature takes a lane.
    if open.closed || open.jobs.len() + 1 >= LANES {
        return Err((key, msg));
    }
    let (done, signed) = oneshot::channel();
    open.jobs.push(Job { key, msg, done });
    Ok(signed)
}

fn lock(slot: &Slot) -> std::sync::MutexGuard<'_, Open> {
    slot.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests;
