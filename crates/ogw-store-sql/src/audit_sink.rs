//! Where the audit journal's appends go: a preallocated file mapped shared (a memory copy per
//! append, `ogw-mmap`), or, where the file system cannot allocate up front, a plain file
//! written with `pwrite`. Appends past the mapped length (the folder fell behind) are
//! written with `pwrite` after the map; the file then grows.
//!
//! A mapped journal is longer than its data: the rest is zeros. The appender knows where the
//! data ends; a file read back after a crash ends at its last non-zero byte ([`data_end`]).
//! JSON lines never hold a zero byte (serde_json escapes control characters).
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::FileExt;
use std::path::Path;

use ogw_mmap::MappedFile;

pub(crate) enum Sink {
    Mapped(MappedFile),
    Plain(File),
}

impl Sink {
    /// A fresh, empty journal at `path` (an existing file there is replaced): mapped with
    /// `map_bytes` allocated, or plain where that fails (or `map_bytes` is 0).
    pub(crate) fn create(path: &Path, map_bytes: u64) -> std::io::Result<Self> {
        if map_bytes > 0 {
            match MappedFile::create(path, map_bytes) {
                Ok(m) => return Ok(Sink::Mapped(m)),
                Err(e) => {
                    tracing::warn!(path = %path.display(), error = %e, "audit journal cannot be preallocated and mapped; appending with write()");
                }
            }
        }
        let file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)?;
        Ok(Sink::Plain(file))
    }

    /// The mapped journal's prefaulter (see [`ogw_mmap::Prefaulter`]).
    pub(crate) fn prefaulter(&self) -> Option<ogw_mmap::Prefaulter> {
        match self {
            Sink::Mapped(m) => Some(m.prefaulter()),
            Sink::Plain(_) => None,
        }
    }

    /// Writes `buf` (whole lines, ending in a newline) at `offset`, the end of the data.
    /// Into the map, the final newline is stored last: a process killed in the middle of the
    /// copy leaves a line without its newline, which recovery discards as torn.
    pub(crate) fn put(&mut self, offset: u64, buf: &[u8]) -> std::io::Result<()> {
        let Some((&last, body)) = buf.split_last() else {
            return Ok(());
        };
        match self {
            Sink::Mapped(m) => {
                if let Ok(at) = usize::try_from(offset) {
                    let fits = at.checked_add(buf.len()).is_some_and(|end| end <= m.len());
                    if fits && m.write_at(at, body) && m.write_at(at + body.len(), &[last]) {
                        return Ok(());
                    }
                }
                let result = m.pwrite_all_at(offset, buf);
                if result.is_err() {
                    // Nothing of a failed append may be read back: zeros where it fell inside
                    // the map, and the file cut back to where the append began (never shorter
                    // than the map).
                    let len = m.len();
                    if let Ok(at) = usize::try_from(offset) {
                        if at < len {
                            let zeros = vec![0u8; (len - at).min(buf.len())];
                            m.write_at(at, &zeros);
                        }
                    }
                    if let Err(cut) = m.truncate_to(offset) {
                        tracing::error!(error = %cut, "audit journal: cutting off a failed append failed");
                    }
                }
                result
            }
            Sink::Plain(f) => {
                let result = f.write_all_at(buf, offset);
                if result.is_err() {
                    if let Err(cut) = f.set_len(offset) {
                        tracing::error!(error = %cut, "audit journal: cutting off a failed append failed");
                    }
                }
                result
            }
        }
    }
}

/// Where the data of a journal read back from disk ends: after its last non-zero byte (a
/// mapped journal is zeros after its data; a plain one ends with its data).
pub(crate) fn data_end(file: &File) -> std::io::Result<u64> {
    const STEP: u64 = 64 << 10;
    let mut reader = file;
    let mut end = file.metadata()?.len();
    let mut buf = Vec::with_capacity(STEP as usize);
    while end > 0 {
        let start = end.saturating_sub(STEP);
        buf.clear();
        reader.seek(SeekFrom::Start(start))?;
        reader.take(end - start).read_to_end(&mut buf)?;
        if let Some(i) = buf.iter().rposition(|&b| b != 0) {
            return Ok(start + i as u64 + 1);
        }
        end = start;
    }
    Ok(0)
}
