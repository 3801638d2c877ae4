//! A file of fixed length, allocated on disk up front and mapped shared: writing to it is a
//! memory copy into the page cache instead of a `write()` system call (for the audit journal:
//! ~2–3 µs of kernel time per API call, bench/PERF.md round 7).
//!
//! What is copied survives a crash of the process as a returned `write()` does: the mapping
//! *is* the file's page cache, and the kernel writes dirty pages back whether or not the
//! process still lives. Neither survives a power loss before the write-back.
//!
//! Two hazards of file mappings are closed here:
//! - A write to a page the file system cannot back (disk full when a sparse page is first
//!   written) raises SIGBUS instead of an error. The whole length is allocated with
//!   `fallocate` before it is mapped, so no write through the map ever needs a new block.
//! - Access past the end of a file that was shortened after mapping raises SIGBUS too. The
//!   file is created here and no method shortens it; its owner must not either (the audit
//!   journal holds an exclusive lock on its data dir's journal for that reason).
//!
//! The only unsafe code is the copy in [`MappedFile::write_at`].
use std::fs::{File, OpenOptions};
use std::io;
use std::path::Path;
use std::sync::Arc;

use memmap2::{Advice, MmapRaw};

/// A file of `len` bytes, zero at creation, mapped shared for writing.
#[derive(Debug)]
pub struct MappedFile {
    map: Arc<MmapRaw>,
    file: File,
}

/// Makes pages of a [`MappedFile`] writable ahead of its writer, from another thread: the
/// first write to each page otherwise takes a page fault (and the file system's
/// `page_mkwrite`) on the writer's thread. It touches no data, so it needs no ordering with
/// the writer; it keeps the mapping (not the file) alive.
#[derive(Clone, Debug)]
pub struct Prefaulter {
    map: Arc<MmapRaw>,
}

impl Prefaulter {
    /// Populates the page tables of `offset..offset + len` (clamped to the map) for writing
    /// (`MADV_POPULATE_WRITE`, Linux 5.14+; an error elsewhere).
    pub fn prefault(&self, offset: usize, len: usize) -> io::Result<()> {
        let end = offset.saturating_add(len).min(self.map.len());
        if offset >= end {
            return Ok(());
        }
        self.map
            .advise_range(Advice::PopulateWrite, offset, end - offset)
    }
}

impl MappedFile {
    /// Creates `path` (replacing a file of that name) with `len` zero bytes allocated on disk
    /// and maps it. Fails where the file system cannot allocate up front (no `fallocate`, or
    /// not enough space): the caller then writes with `write()`.
    pub fn create(path: &Path, len: u64) -> io::Result<Self> {
        if len == 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "a mapped file needs a length",
            ));
        }
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)?;
        // Mode 0: the blocks are allocated and the size set to `len`; reads see zeros.
        rustix::fs::fallocate(&file, rustix::fs::FallocateFlags::empty(), 0, len)?;
        let map = Arc::new(MmapRaw::map_raw(&file)?);
        Ok(Self { map, file })
    }

    /// A handle that makes pages writable ahead of [`MappedFile::write_at`].
    pub fn prefaulter(&self) -> Prefaulter {
        Prefaulter {
            map: self.map.clone(),
        }
    }

    /// The file's (and the map's) length in bytes.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Never true: [`MappedFile::create`] refuses an empty file.
    pub fn is_empty(&self) -> bool {
        self.map.len() == 0
    }

    /// Writes `bytes` at `offset` of the file with `pwrite`, e.g. past the mapped length (the
    /// file then grows; the mapping stays as it is).
    pub fn pwrite_all_at(&self, offset: u64, bytes: &[u8]) -> io::Result<()> {
        use std::os::unix::fs::FileExt;
        self.file.write_all_at(bytes, offset)
    }

    /// Cuts the file to `len` bytes, but never shorter than the map (an access past the end
    /// of a shortened file raises SIGBUS): what was written past the map is dropped.
    pub fn truncate_to(&self, len: u64) -> io::Result<()> {
        self.file.set_len(len.max(self.map.len() as u64))
    }

    /// Copies `bytes` to `offset` of the file. `false`, and nothing written, when they do not
    /// fit inside the mapped length. Writers of overlapping ranges must be ordered by the
    /// caller (`&mut self`: one writer at a time in this process).
    pub fn write_at(&mut self, offset: usize, bytes: &[u8]) -> bool {
        let fits = offset
            .checked_add(bytes.len())
            .is_some_and(|end| end <= self.map.len());
        if !fits {
            return false;
        }
        // SAFETY: `offset..offset + bytes.len()` lies inside the mapping (checked above), which
        // stays valid while `self` lives: the file was allocated to the map's full length
        // before mapping and no method here shortens it below that (`truncate_to` clamps).
        // `&mut self` excludes another writer in this process; `bytes` is caller memory, not
        // part of the map, so the ranges do not overlap.
        unsafe {
            std::ptr::copy_nonoverlapping(
                bytes.as_ptr(),
                self.map.as_mut_ptr().add(offset),
                bytes.len(),
            );
        }
        true
    }
}

#[cfg(test)]
mod tests;
