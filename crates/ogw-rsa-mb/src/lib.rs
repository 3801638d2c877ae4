//! RSA-2048 private-key operations eight at a time, through the multi-buffer part of Intel's
//! Cryptography Primitives Library (`libcrypto_mb.so`: Debian/Ubuntu `libcrypto-mb11`/`12`,
//! Fedora/RHEL `intel-ipp-crypto-mb`), loaded at run time.
//!
//! Why: on a CPU with AVX-512 IFMA, eight RSA-2048 CRT exponentiations side by side in the
//! vector lanes cost about what four cost one after another (bench machine: 119 µs against
//! 245 µs per signature, bench/PERF.md), and `/token` with RS256 is bound by exactly that.
//! Loading the library at run time keeps one `ogw` binary for every host: where the library
//! or the instructions are missing, [`MultiBuffer::load`] says why and the caller signs with
//! AWS-LC as before.
//!
//! Every result is checked with the public exponent before it is handed out (a fault in one
//! CRT half would otherwise give the factors away, Boneh–DeMillo–Lipton), as AWS-LC and
//! OpenSSL do for their own. The library's exponentiation is constant-time by design.
//!
//! The unsafe code of this crate is here: the calls into the library (the workspace's only
//! other unsafe code is the copy into a mapped file in `ogw-mmap`).
use std::ffi::c_int;
use std::path::Path;

use zeroize::Zeroize;

/// Operations per library call.
pub const LANES: usize = 8;
/// Bytes of an RSA-2048 modulus, input and result.
pub const MODULUS_LEN: usize = 256;
const HALF_LEN: usize = MODULUS_LEN / 2;
const HALF_LIMBS: usize = HALF_LEN / 8;
const MODULUS_LIMBS: usize = MODULUS_LEN / 8;
const RSA_BITS: c_int = 2048;
/// `MBX_ALGO_RSA_2K` and `MBX_WIDTH_MB8` of `crypto_mb/cpu_features.h`.
const ALGO_RSA_2K: c_int = 1;
const WIDTH_MB8: u64 = 8;
/// Tried by [`MultiBuffer::load`], newest first (1.x is `.so.12`, 2021.x `.so.11`).
const SONAMES: &[&str] = &[
    "libcrypto_mb.so.12",
    "libcrypto_mb.so.11",
    "libcrypto_mb.so",
];

/// `mbx_RSA_Method`: an opaque, immutable table inside the library.
#[repr(C)]
struct Method {
    _opaque: [u8; 0],
}

/// `mbx_status`: one byte per lane, 0 = done.
type Status = u64;
type PrivateCrtFn = unsafe extern "C" fn(
    from: *const *const u8,
    to: *const *mut u8,
    p: *const *const u64,
    q: *const *const u64,
    dp: *const *const u64,
    dq: *const *const u64,
    iq: *const *const u64,
    bits: c_int,
    method: *const Method,
    scratch: *mut u8,
) -> Status;
type PublicFn = unsafe extern "C" fn(
    from: *const *const u8,
    to: *const *mut u8,
    n: *const *const u64,
    bits: c_int,
    method: *const Method,
    scratch: *mut u8,
) -> Status;
type MethodFn = unsafe extern "C" fn() -> *const Method;
type BufSizeFn = unsafe extern "C" fn(*const Method) -> c_int;
type AlgoInfoFn = unsafe extern "C" fn(c_int) -> u64;

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("crypto_mb library not loaded: {0}")]
    Library(String),
    #[error("crypto_mb has no 8-lane RSA-2048 on this CPU (it needs AVX-512 IFMA)")]
    Unsupported,
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("not a multi-buffer key: {0}")]
    Shape(&'static str),
}

#[derive(Debug, thiserror::Error)]
pub enum OpError {
    #[error("a call takes 1 to 8 inputs and as many outputs")]
    Count,
    #[error("crypto_mb failed (status {0:#018x})")]
    Library(Status),
    #[error("a result failed the public-key check")]
    Fault,
}

/// The loaded library.
pub struct MultiBuffer {
    private_crt: PrivateCrtFn,
    public: PublicFn,
    crt_method: *const Method,
    public_method: *const Method,
    scratch_len: usize,
    // Keeps the code and tables behind the pointers above mapped (fields drop in order).
    _library: libloading::Library,
}

// SAFETY: the method pointers point to immutable tables inside the library, which stays loaded
// as long as `self`; the functions keep no state between calls (each gets its caller's scratch
// buffer), so calls from several threads at once are fine.
unsafe impl Send for MultiBuffer {}
// SAFETY: as for `Send`.
unsafe impl Sync for MultiBuffer {}

impl std::fmt::Debug for MultiBuffer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MultiBuffer").finish_non_exhaustive()
    }
}

impl MultiBuffer {
    /// The library from the dynamic linker's search path (`ld.so.conf`, `LD_LIBRARY_PATH`).
    pub fn load() -> Result<Self, LoadError> {
        let mut tried = Vec::new();
        for name in SONAMES {
            match Self::load_from(Path::new(name)) {
                Err(LoadError::Library(e)) => tried.push(e),
                done => return done,
            }
        }
        Err(LoadError::Library(tried.join("; ")))
    }

    /// The library at `path`.
    pub fn load_from(path: &Path) -> Result<Self, LoadError> {
        let lib_err = |e: libloading::Error| LoadError::Library(e.to_string());
        // SAFETY: loading runs the library's initialisers; crypto_mb's set up nothing but its
        // CPU dispatch.
        let library = unsafe { libloading::Library::new(path) }.map_err(lib_err)?;
        // SAFETY: each type is the C prototype of the symbol of that name in crypto_mb's
        // `cpu_features.h` and `rsa.h` (unchanged from 2021.x to 1.x); the pointers copied out
        // of the symbols live as long as `library`, which the result keeps.
        unsafe {
            let algo_info: AlgoInfoFn = *library.get(b"mbx_get_algo_info\0").map_err(lib_err)?;
            if algo_info(ALGO_RSA_2K) & WIDTH_MB8 == 0 {
                return Err(LoadError::Unsupported);
            }
            let crt: MethodFn = *library
                .get(b"mbx_RSA2K_private_crt_Method\0")
                .map_err(lib_err)?;
            let public: MethodFn = *library
                .get(b"mbx_RSA2K_pub65537_Method\0")
                .map_err(lib_err)?;
            let buf_size: BufSizeFn = *library.get(b"mbx_RSA_Method_BufSize\0").map_err(lib_err)?;
            let (crt_method, public_method) = (crt(), public());
            if crt_method.is_null() || public_method.is_null() {
                return Err(LoadError::Unsupported);
            }
            let scratch_len = buf_size(crt_method).max(buf_size(public_method));
            Ok(Self {
                private_crt: *library.get(b"mbx_rsa_private_crt_mb8\0").map_err(lib_err)?,
                public: *library.get(b"mbx_rsa_public_mb8\0").map_err(lib_err)?,
                crt_method,
                public_method,
                scratch_len: usize::try_from(scratch_len).map_err(|_| LoadError::Unsupported)?,
                _library: library,
            })
        }
    }

    /// A work buffer for [`Self::private`]; one per thread, reused.
    pub fn scratch(&self) -> Scratch {
        Scratch(vec![0; self.scratch_len])
    }

    /// `x^d mod n` of each input (big-endian, below its key's modulus: an EMSA-PKCS1-v1_5
    /// block, RFC 8017 §9.2) with its own key, into `out[i]`. One to eight inputs; a call
    /// costs the same whatever the number.
    pub fn private(
        &self,
        inputs: &[(&Key, &[u8; MODULUS_LEN])],
        out: &mut [[u8; MODULUS_LEN]],
        scratch: &mut Scratch,
    ) -> Result<(), OpError> {
        let n = inputs.len();
        if n == 0 || n > LANES || out.len() != n {
            return Err(OpError::Count);
        }
        if scratch.0.len() < self.scratch_len {
            scratch.0.resize(self.scratch_len, 0);
        }
        // Unused lanes repeat the last input; their results are dropped.
        let lane = |i: usize| inputs[i.min(n - 1)];
        let from: [*const u8; LANES] = std::array::from_fn(|i| lane(i).1.as_ptr());
        let limbs = |part: fn(&Key) -> &[u64]| -> [*const u64; LANES] {
            std::array::from_fn(|i| part(lane(i).0).as_ptr())
        };
        let mut results = [[0u8; MODULUS_LEN]; LANES];
        let to = row_pointers(&mut results);
        // SAFETY: every input and output points to a live 256-byte row, every key part to a
        // live array of the limbs the 2048-bit CRT method reads (16 per part), the scratch
        // buffer is at least the method's size, and nothing else uses them during the call.
        let status = unsafe {
            (self.private_crt)(
                from.as_ptr(),
                to.as_ptr(),
                limbs(|k| &k.p).as_ptr(),
                limbs(|k| &k.q).as_ptr(),
                limbs(|k| &k.dp).as_ptr(),
                limbs(|k| &k.dq).as_ptr(),
                limbs(|k| &k.iq).as_ptr(),
                RSA_BITS,
                self.crt_method,
                scratch.0.as_mut_ptr(),
            )
        };
        if status != 0 {
            return Err(OpError::Library(status));
        }
        let signed: [*const u8; LANES] = std::array::from_fn(|i| results[i].as_ptr());
        let mut back = [[0u8; MODULUS_LEN]; LANES];
        let to = row_pointers(&mut back);
        // SAFETY: as above, with the moduli (32 limbs each) for the public method.
        let status = unsafe {
            (self.public)(
                signed.as_ptr(),
                to.as_ptr(),
                limbs(|k| &k.n).as_ptr(),
                RSA_BITS,
                self.public_method,
                scratch.0.as_mut_ptr(),
            )
        };
        if status != 0 {
            return Err(OpError::Library(status));
        }
        if (0..n).any(|i| back[i] != *inputs[i].1) {
            return Err(OpError::Fault);
        }
        out.copy_from_slice(&results[..n]);
        Ok(())
    }
}

/// `DigestInfo` of SHA-256 (RFC 8017 §9.2 note 1).
const SHA256_DIGEST_INFO: [u8; 19] = [
    0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
    0x00, 0x04, 0x20,
];

/// EMSA-PKCS1-v1_5 (RFC 8017 §9.2) of a SHA-256 digest: the block whose private-key
/// operation is an RS256 signature.
pub fn pkcs1_sha256_block(digest: &[u8; 32]) -> [u8; MODULUS_LEN] {
    let mut em = [0xff; MODULUS_LEN];
    em[0] = 0;
    em[1] = 1;
    let info = MODULUS_LEN - digest.len() - SHA256_DIGEST_INFO.len();
    em[info - 1] = 0;
    em[info..info + SHA256_DIGEST_INFO.len()].copy_from_slice(&SHA256_DIGEST_INFO);
    em[MODULUS_LEN - digest.len()..].copy_from_slice(digest);
    em
}

fn row_pointers(rows: &mut [[u8; MODULUS_LEN]; LANES]) -> [*mut u8; LANES] {
    let mut ptrs = [std::ptr::null_mut(); LANES];
    for (p, row) in ptrs.iter_mut().zip(rows.iter_mut()) {
        *p = row.as_mut_ptr();
    }
    ptrs
}

/// Work memory of one call (~55 KiB).
pub struct Scratch(Vec<u8>);

/// An RSA-2048 private key in the library's layout: little-endian 64-bit limbs.
pub struct Key {
    n: [u64; MODULUS_LIMBS],
    p: [u64; HALF_LIMBS],
    q: [u64; HALF_LIMBS],
    dp: [u64; HALF_LIMBS],
    dq: [u64; HALF_LIMBS],
    /// q⁻¹ mod p.
    iq: [u64; HALF_LIMBS],
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Key").finish_non_exhaustive()
    }
}

impl Drop for Key {
    fn drop(&mut self) {
        for part in [
            &mut self.p,
            &mut self.q,
            &mut self.dp,
            &mut self.dq,
            &mut self.iq,
        ] {
            part.zeroize();
        }
    }
}

impl Key {
    /// From the big-endian components of a two-prime RSA-2048 key (`qinv` = q⁻¹ mod p).
    /// The library's methods want e = 65537 and two 1024-bit primes, which is what RSA-2048
    /// key generators make; any other key is refused (and signed without this library).
    pub fn from_components(
        n: &[u8],
        e: &[u8],
        p: &[u8],
        q: &[u8],
        dp: &[u8],
        dq: &[u8],
        qinv: &[u8],
    ) -> Result<Self, KeyError> {
        if trim(e) != [1, 0, 1] {
            return Err(KeyError::Shape("public exponent is not 65537"));
        }
        if !full_width(n, MODULUS_LEN) {
            return Err(KeyError::Shape("modulus is not 2048 bits"));
        }
        if !full_width(p, HALF_LEN) || !full_width(q, HALF_LEN) {
            return Err(KeyError::Shape("primes are not 1024 bits each"));
        }
        let half = |x: &[u8]| limbs::<HALF_LIMBS>(x).ok_or(KeyError::Shape("CRT value too long"));
        Ok(Self {
            n: limbs(n).ok_or(KeyError::Shape("modulus too long"))?,
            p: half(p)?,
            q: half(q)?,
            dp: half(dp)?,
            dq: half(dq)?,
            iq: half(qinv)?,
        })
    }
}

fn trim(be: &[u8]) -> &[u8] {
    let start = be.iter().position(|&b| b != 0).unwrap_or(be.len());
    &be[start..]
}

/// Exactly `len` bytes once leading zeros are gone, with the top bit set.
fn full_width(be: &[u8], len: usize) -> bool {
    let t = trim(be);
    t.len() == len && t[0] & 0x80 != 0
}

/// Big-endian bytes → `L` little-endian 64-bit limbs; `None` when it does not fit.
fn limbs<const L: usize>(be: &[u8]) -> Option<[u64; L]> {
    let t = trim(be);
    if t.len() > L * 8 {
        return None;
    }
    let mut out = [0u64; L];
    for (i, &b) in t.iter().rev().enumerate() {
        out[i / 8] |= u64::from(b) << (8 * (i % 8));
    }
    Some(out)
}

/// For tests of this crate and its users.
#[doc(hidden)]
pub mod testing {
    use super::MultiBuffer;

    /// The library, or `None` (the test is skipped) where it cannot load — unless the run
    /// asked for it with `OGW_TEST_CRYPTO_MB=required` (CI does), where that is a failure.
    #[allow(clippy::panic)]
    pub fn library() -> Option<MultiBuffer> {
        match MultiBuffer::load() {
            Ok(mb) => Some(mb),
            Err(e) if std::env::var("OGW_TEST_CRYPTO_MB").as_deref() == Ok("required") => {
                panic!("OGW_TEST_CRYPTO_MB=required: {e}")
            }
            Err(e) => {
                eprintln!("skipped: {e}");
                None
            }
        }
    }
}

#[cfg(test)]
mod tests;
