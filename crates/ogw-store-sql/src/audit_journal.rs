//! SQLite's audit journal: a CAMARA call's audit events are appended to a plain file
//! (`<name>-audit.journal` beside `<name>-audit.db`) and folded into the audit file's
//! `audit_events` table a few milliseconds later by a thread of their own.
//!
//! Why: committing every call's one or two events to SQLite (`audit_file::spawn_writer`) cost
//! ~32 µs of CPU in small transactions plus ~10–20 µs of wake-ups between the caller and the
//! writer thread, about 40 % of a whole request (bench/PERF.md). An append is a memory copy
//! into the journal, a preallocated file mapped shared (`audit_sink`), on the caller's own
//! thread instead (a `write()` per call until round 7: 2–3 µs of kernel time). The contract is
//! unchanged: a caller is answered only once its events are durable against a process crash
//! (the copy is in the file's page cache, as a SQLite WAL commit with `synchronous = NORMAL`
//! is), and nothing is ever dropped: the folder and the recovery at open move every complete
//! line into the table. A mapped journal is zeros after its data; read back after a crash,
//! its data ends at the last non-zero byte.
//!
//! Lines are NDJSON, `{"seq":N,"tenant":…,"at":<unix ms>,…,"detail":{…}}`, numbered under the
//! append lock so that file order is `seq` order. The folder inserts a batch of lines and
//! records the last `seq` in `audit_journal_state` in the same transaction; lines at or below
//! it are skipped, so folding again after a crash between that commit and the truncation of
//! the file inserts nothing twice.
//!
//! A long journal is retired rather than emptied in place: under the append lock it is renamed
//! to `<journal>.retired` and appends go on in a fresh file (a rename and an open, microseconds);
//! the folder then folds the retired file to its end and deletes it. Emptying in place meant
//! holding every append off while the last lines were folded and 16 MiB of page cache freed:
//! a few milliseconds every half second under load, which was the whole p99 of a CAMARA call.
//! At open a retired file left by a crash is folded first (its lines come before the fresh
//! file's).
//!
//! One process owns the journal: the one that takes the exclusive lock (`File::try_lock`) of
//! `<journal>.lock` (a file of its own, as the journal itself is replaced).
//! Another process on the same data dir (a CLI command beside the server) writes its events
//! straight into the audit file as before.
use std::borrow::Cow;
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use ogw_core::store::{AuditEvent, StoreError, StoreResult};
use rusqlite::{Connection, TransactionBehavior};
use serde::{Deserialize, Serialize};

use crate::audit_sink::{data_end, Sink};
use crate::fast::backend;
use crate::rows::ms;

/// Lines inserted per transaction: large enough to amortise the commit, small enough that a
/// long backlog (recovery) does not hold the audit file's write lock for long.
const FOLD_BATCH: usize = 4096;
/// Room for a line's fields besides its detail (`seq`, tenant, actor, action, target…).
const LINE_HEAD_BYTES: usize = 256;
/// The folder's commits copy the audit file's WAL back into it once it holds this many pages.
/// SQLite's 1,000 made every ~0.1 s under load a 2–6 ms burst of copying inside one fold (the
/// folder's p99 run 2.4 ms, and the request p99 with it); a quarter of that costs the same CPU
/// in all and keeps each copy under ~1 ms (bench/PERF.md).
const AUTOCHECKPOINT_PAGES: i64 = 250;
/// Journal bytes read at once (a batch of lines is parsed in place from them).
const READ_CHUNK: u64 = 1 << 20;

const INSERT: &str = concat!(
    "INSERT INTO audit_events (",
    audit_cols!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
);
const SAVE_FOLDED: &str = "INSERT INTO audit_journal_state (id, folded_seq) VALUES (1, $1) \
                           ON CONFLICT (id) DO UPDATE SET folded_seq = excluded.folded_seq";

/// `dir/ogw.db` → `dir/ogw-audit.journal`.
pub(crate) fn path_for(main: &Path) -> PathBuf {
    crate::audit_file::path_for(main).with_extension("journal")
}

/// `<journal><suffix>`: the retired journal and the owner's lock file.
fn beside(journal: &Path, suffix: &str) -> PathBuf {
    let mut name = journal.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn open_for_append(path: &Path) -> StoreResult<File> {
    OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .map_err(io("opening"))
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct JournalConfig {
    /// How often an idle folder looks for new lines.
    pub(crate) fold_every: Duration,
    /// How often it folds while lines keep coming: a fold of a long interval's lines is one
    /// long burst of CPU that keeps a request worker (or, on a small machine, the clients)
    /// off a core for as long; short intervals spread it out.
    pub(crate) fold_busy_every: Duration,
    /// A fully folded journal longer than this is emptied.
    pub(crate) truncate_over: u64,
    /// The journal's preallocated, mapped length (0: no map, `pwrite` only). Appends past it
    /// (the folder fell behind) go through `pwrite`.
    pub(crate) map_bytes: u64,
}

impl Default for JournalConfig {
    fn default() -> Self {
        Self {
            fold_every: Duration::from_millis(10),
            // At 60k calls/s, 10 ms of lines took ~2.5 ms to fold and the calls' p99 was ~1.5×
            // what it is with 1 ms (~0.25 ms each), for ~15 % more folding CPU (bench/PERF.md).
            fold_busy_every: Duration::from_millis(1),
            truncate_over: 16 << 20,
            // Twice the retirement length: at 40k calls/s a fold period adds ~0.2 MiB.
            map_bytes: 32 << 20,
        }
    }
}

/// A line as written, after its `seq` (see [`AuditJournal::append`]).
#[derive(Serialize)]
struct Body<'a> {
    tenant: &'a str,
    at: i64,
    actor: &'a str,
    action: &'a str,
    target: &'a str,
    outcome: &'a str,
    reason: &'a str,
    detail: &'a ogw_core::store::AuditDetail,
}

/// A line as read back, borrowed from the read buffer (a string with escapes is copied).
#[derive(Deserialize)]
struct Line<'a> {
    seq: u64,
    #[serde(borrow)]
    tenant: Cow<'a, str>,
    at: i64,
    #[serde(borrow)]
    actor: Cow<'a, str>,
    #[serde(borrow)]
    action: Cow<'a, str>,
    #[serde(borrow)]
    target: Cow<'a, str>,
    #[serde(borrow)]
    outcome: Cow<'a, str>,
    #[serde(borrow)]
    reason: Cow<'a, str>,
    /// Kept as written: it goes into the `detail` column as is.
    #[serde(borrow)]
    detail: &'a serde_json::value::RawValue,
}

/// The append side, behind the lock that orders lines and keeps retirement away from appends.
struct Appender {
    /// The journal being appended to.
    sink: Sink,
    next_seq: u64,
    /// Where its data ends: the next append's offset, and how far the folder may read.
    len: u64,
}

/// The appender, and where its data ends for the folder to read without taking the lock.
struct JournalShared {
    appender: Mutex<Appender>,
    /// `Appender::len`, stored after each append's copy (release), so a reader that loads
    /// it (acquire) sees the bytes before it.
    data_end: AtomicU64,
}

type Shared = Arc<JournalShared>;

/// How far ahead of the data the folder makes the mapped journal's pages writable, so that
/// appends do not take page faults under the lock (~60 ms of appends at 40k calls/s).
const PREFAULT_AHEAD: u64 = 1 << 20;

fn lock(shared: &Shared) -> StoreResult<MutexGuard<'_, Appender>> {
    shared
        .appender
        .lock()
        .map_err(|_| StoreError::Backend("audit journal lock poisoned".into()))
}

fn io(what: &str) -> impl Fn(std::io::Error) -> StoreError + '_ {
    move |e| StoreError::Backend(format!("audit journal: {what}: {e}"))
}

enum Msg {
    /// Fold everything written so far; with `empty`, also empty the file once folded.
    Flush {
        empty: bool,
        reply: tokio::sync::oneshot::Sender<StoreResult<()>>,
    },
    /// Tests: stop at once, folding nothing more, as a killed process would.
    #[cfg(test)]
    Crash(mpsc::Sender<()>),
}

/// The journal of the process that owns it. Dropping it folds what is left and stops the
/// folder.
pub(crate) struct AuditJournal {
    /// `<journal>.lock`, locked while this process owns the journal.
    _owner: File,
    shared: Shared,
    folder: Option<mpsc::Sender<Msg>>,
    thread: Option<JoinHandle<()>>,
}

impl AuditJournal {
    /// Takes the journal of the store `main` if no other process holds it, folds what a
    /// previous run left in it and starts the folder. `None`: another process owns it.
    pub(crate) fn open(
        main: &Path,
        busy_timeout: Duration,
        config: JournalConfig,
    ) -> StoreResult<Option<Self>> {
        let path = path_for(main);
        let owner = open_for_append(&beside(&path, ".lock"))?;
        match owner.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                tracing::info!(path = %path.display(), "audit journal held by another process; writing audit events to the audit file directly");
                return Ok(None);
            }
            // No locks on this file system: without them, two owners could fold one line twice.
            Err(TryLockError::Error(e)) => {
                tracing::warn!(path = %path.display(), error = %e, "audit journal cannot be locked; writing audit events to the audit file directly");
                return Ok(None);
            }
        }
        let conn = crate::audit_file::connect(&crate::audit_file::path_for(main), busy_timeout)?;
        conn.pragma_update(None, "wal_autocheckpoint", AUTOCHECKPOINT_PAGES)
            .map_err(backend)?;
        let folded_seq: i64 = conn
            .query_row(
                "SELECT COALESCE(MAX(folded_seq), 0) FROM audit_journal_state",
                [],
                |r| r.get(0),
            )
            .map_err(backend)?;
        // Replaced by a fresh journal once recovery has folded this one.
        let sink = Sink::Plain(open_for_append(&path)?);
        let shared = Arc::new(JournalShared {
            appender: Mutex::new(Appender {
                sink,
                next_seq: 0,
                len: 0,
            }),
            data_end: AtomicU64::new(0),
        });
        let mut folder = Folder {
            conn,
            reader: File::open(&path).map_err(io("opening"))?,
            end: Some(0),
            reading: path.clone(),
            retired: beside(&path, ".retired"),
            path,
            shared: shared.clone(),
            offset: 0,
            folded_seq: u64::try_from(folded_seq).unwrap_or(0),
            saved_upto: 0,
            truncate_over: config.truncate_over,
            map_bytes: config.map_bytes,
            prefault: None,
            chunk: Vec::new(),
        };
        folder.recover()?;
        lock(&shared)?.next_seq = folder.folded_seq + 1;
        let (tx, rx) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("ogw-audit-fold".into())
            .spawn(move || folder.run(rx, config))
            .map_err(|e| StoreError::Backend(format!("starting the audit folder: {e}")))?;
        Ok(Some(Self {
            _owner: owner,
            shared,
            folder: Some(tx),
            thread: Some(thread),
        }))
    }

    /// Appends `events` with one copy into the mapped journal (or one `pwrite`); once it
    /// returns they survive a process crash.
    pub(crate) fn append(&self, events: &[AuditEvent]) -> StoreResult<()> {
        if events.is_empty() {
            return Ok(());
        }
        // Serialised outside the lock: only the sequence numbers are left to fill in.
        let mut bodies = Vec::with_capacity(events.len());
        for e in events {
            let body = Body {
                tenant: e.tenant.as_str(),
                at: ms(&e.at),
                actor: &e.actor,
                action: &e.action,
                target: &e.target,
                outcome: &e.outcome,
                reason: &e.reason,
                detail: &e.detail,
            };
            // Sized for the line up front: grown from serde_json's default it was copied
            // three times on the way to ~550 bytes.
            let mut line = Vec::with_capacity(e.detail.get().len() + LINE_HEAD_BYTES);
            serde_json::to_writer(&mut line, &body).map_err(|e| {
                StoreError::Backend(format!("audit journal: encoding an event: {e}"))
            })?;
            bodies.push(line);
        }
        let mut buf = Vec::with_capacity(bodies.iter().map(|b| b.len() + 32).sum());
        let mut a = lock(&self.shared)?;
        let mut seq = a.next_seq;
        for body in &bodies {
            // `{"seq":N,` then the body without its opening brace (it has fields: never `{}`).
            write!(buf, "{{\"seq\":{seq},").map_err(io("encoding"))?;
            buf.extend_from_slice(body.get(1..).unwrap_or_default());
            buf.push(b'\n');
            seq += 1;
        }
        let at = a.len;
        // A failed append leaves nothing behind (the sink cuts it off): the next one starts here.
        a.sink.put(at, &buf).map_err(io("appending"))?;
        a.len += buf.len() as u64;
        self.shared.data_end.store(a.len, Ordering::Release);
        a.next_seq = seq;
        Ok(())
    }

    /// Returns once everything appended before the call is in the audit file.
    pub(crate) async fn flush(&self) -> StoreResult<()> {
        self.request(false).await
    }

    /// [`flush`](Self::flush), then empties the journal file.
    pub(crate) async fn settle(&self) -> StoreResult<()> {
        self.request(true).await
    }

    async fn request(&self, empty: bool) -> StoreResult<()> {
        let gone = || StoreError::Backend("audit journal folder stopped".into());
        let (reply, done) = tokio::sync::oneshot::channel();
        self.folder
            .as_ref()
            .ok_or_else(gone)?
            .send(Msg::Flush { empty, reply })
            .map_err(|_| gone())?;
        done.await.map_err(|_| gone())?
    }

    /// Tests: stops the folder without folding anything more, as if the process died.
    #[cfg(test)]
    pub(crate) fn crash(&self) {
        let (tx, rx) = mpsc::channel();
        if let Some(folder) = &self.folder {
            if folder.send(Msg::Crash(tx)).is_ok() {
                let _ = rx.recv();
            }
        }
    }
}

impl Drop for AuditJournal {
    fn drop(&mut self) {
        // Disconnecting tells the folder to fold what is left, empty the file and stop.
        self.folder.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The folding side, on its own thread once recovery is done.
struct Folder {
    /// A connection of its own to the audit file.
    conn: Connection,
    /// A read-only handle on the journal, or on the retired journal while that is folded.
    reader: File,
    /// Where the data of the file being read ends: `None` for the live journal (the
    /// appender's length, `JournalShared::data_end`), fixed for a retired or recovered file.
    end: Option<u64>,
    /// The file `reader` reads.
    reading: PathBuf,
    path: PathBuf,
    /// Where a long journal goes to be folded to its end and deleted.
    retired: PathBuf,
    shared: Shared,
    /// Journal bytes folded (or skipped) so far.
    offset: u64,
    /// The last `seq` in the audit file, as `audit_journal_state` records it.
    folded_seq: u64,
    /// Journal bytes already copied aside because of a corrupt line.
    saved_upto: u64,
    truncate_over: u64,
    map_bytes: u64,
    /// The live journal's pages made writable ahead of the appends, and how far.
    prefault: Option<(ogw_mmap::Prefaulter, u64)>,
    /// The read buffer, kept between batches.
    chunk: Vec<u8>,
}

impl Folder {
    fn run(mut self, rx: mpsc::Receiver<Msg>, config: JournalConfig) {
        let mut wait = config.fold_every;
        loop {
            match rx.recv_timeout(wait) {
                Err(RecvTimeoutError::Timeout) => {
                    wait = self.next_wait(&config);
                    if let Err(e) = self.fold_all(self.truncate_over) {
                        tracing::warn!(error = %e, "folding the audit journal failed; retrying");
                    }
                }
                Ok(Msg::Flush { empty, reply }) => {
                    wait = self.next_wait(&config);
                    let over = if empty { 0 } else { self.truncate_over };
                    let _ = reply.send(self.fold_all(over));
                }
                Err(RecvTimeoutError::Disconnected) => {
                    if let Err(e) = self.close() {
                        tracing::error!(error = %e, "folding the audit journal at shutdown failed; the next start folds it");
                    }
                    return;
                }
                #[cfg(test)]
                Ok(Msg::Crash(done)) => {
                    let _ = done.send(());
                    return;
                }
            }
        }
    }

    /// At open, before anyone appends: folds every complete line of what an earlier run
    /// left (the retired journal first, then the journal) and starts a fresh journal. Only
    /// the last line can be incomplete (no newline after it): a write torn by a crash or a
    /// power loss, whose caller was never answered.
    fn recover(&mut self) -> StoreResult<()> {
        if self.retired.exists() {
            self.read_fixed(self.retired.clone())?;
            self.fold_and_delete()?;
        }
        self.read_fixed(self.path.clone())?;
        self.fold_to_end()?;
        self.checkpoint()?;
        let _ = std::fs::remove_file(self.next_path());
        let fresh = self.fresh_sink(&self.path.clone())?;
        let shared = self.shared.clone();
        let mut a = lock(&shared)?;
        a.sink = fresh;
        a.len = 0;
        shared.data_end.store(0, Ordering::Release);
        drop(a);
        self.read_live()
    }

    /// At shutdown: folds everything and leaves the journal an empty file (not a mapped
    /// one of zeros: a stopped server's data dir holds no preallocated space).
    fn close(&mut self) -> StoreResult<()> {
        if self.reading == self.retired {
            self.finish_retired()?;
        }
        self.fold_to_end()?;
        self.checkpoint()?;
        let shared = self.shared.clone();
        let mut a = lock(&shared)?;
        // Nobody appends any more (the journal is being dropped); the lock keeps it so.
        let empty = File::create(&self.path).map_err(io("emptying"))?;
        let old = std::mem::replace(&mut a.sink, Sink::Plain(empty));
        a.len = 0;
        shared.data_end.store(0, Ordering::Release);
        drop(a);
        drop(old);
        self.prefault = None;
        self.offset = 0;
        Ok(())
    }

    /// A fresh journal at `path`, its first pages made writable.
    fn fresh_sink(&mut self, path: &Path) -> StoreResult<Sink> {
        let sink = Sink::create(path, self.map_bytes).map_err(io("creating"))?;
        self.prefault = sink.prefaulter().map(|p| (p, 0));
        self.prefault_ahead(0);
        Ok(sink)
    }

    /// Keeps the live journal's pages writable [`PREFAULT_AHEAD`] past `end`. Best effort:
    /// where the kernel cannot (before Linux 5.14), the appends fault the pages in themselves.
    fn prefault_ahead(&mut self, end: u64) {
        let Some((p, done)) = &mut self.prefault else {
            return;
        };
        let want = end.saturating_add(PREFAULT_AHEAD);
        if *done >= want {
            return;
        }
        let (Ok(from), Ok(len)) = (usize::try_from(*done), usize::try_from(want - *done)) else {
            return;
        };
        match p.prefault(from, len) {
            Ok(()) => *done = want,
            Err(e) => {
                tracing::debug!(error = %e, "audit journal: pages cannot be made writable ahead");
                self.prefault = None;
            }
        }
    }

    /// Before a fold: lines waiting now mean more are coming, so the next fold is soon.
    fn next_wait(&self, config: &JournalConfig) -> Duration {
        let unfolded = self.end.is_some() || self.data_end() > self.offset;
        if unfolded {
            config.fold_busy_every.min(config.fold_every)
        } else {
            config.fold_every
        }
    }

    /// Where the data of the file being read ends.
    fn data_end(&self) -> u64 {
        self.end
            .unwrap_or_else(|| self.shared.data_end.load(Ordering::Acquire))
    }

    /// Folds everything appended before the call, then empties the file if it is longer
    /// than `over`. Only a failure to fold is an error: emptying is retried at the next fold.
    fn fold_all(&mut self, over: u64) -> StoreResult<()> {
        // A retired file an earlier failure left half folded holds older lines than the
        // journal: it goes first, so that a flush also covers the journal's lines.
        if self.reading == self.retired {
            self.finish_retired()?;
        }
        let target = self.data_end();
        if self.end.is_none() {
            self.prefault_ahead(target);
        }
        while self.offset < target && self.fold_batch()? {}
        if let Err(e) = self.empty_if_folded(over) {
            tracing::warn!(error = %e, "emptying the audit journal failed; retrying");
        }
        Ok(())
    }

    /// Folds up to `FOLD_BATCH` complete lines past `offset` in one transaction. `false`:
    /// nothing to fold.
    fn fold_batch(&mut self) -> StoreResult<bool> {
        let len = self.data_end();
        if len <= self.offset {
            return Ok(false);
        }
        // The lines are parsed in place (borrowed), so the buffer is taken out of `self`
        // while they live and put back afterwards to keep its allocation.
        let mut chunk = std::mem::take(&mut self.chunk);
        let folded = self.fold_chunk(&mut chunk, len);
        chunk.clear();
        self.chunk = chunk;
        folded
    }

    fn fold_chunk(&mut self, chunk: &mut Vec<u8>, len: u64) -> StoreResult<bool> {
        let avail = len - self.offset;
        let mut want = avail.min(READ_CHUNK);
        // A line longer than the chunk: read more until it ends or the file does.
        loop {
            chunk.clear();
            self.reader
                .seek(SeekFrom::Start(self.offset))
                .map_err(io("reading"))?;
            (&self.reader)
                .take(want)
                .read_to_end(chunk)
                .map_err(io("reading"))?;
            if want >= avail || memchr::memchr(b'\n', chunk).is_some() {
                break;
            }
            want = want.saturating_mul(2).min(avail);
        }
        // Each complete line's end offset and parse; what follows the last newline is a line
        // still being written (at open: torn).
        let mut read = Vec::new();
        let mut start = 0;
        while read.len() < FOLD_BATCH {
            let Some(nl) = memchr::memchr(b'\n', &chunk[start..]) else {
                break;
            };
            let line = &chunk[start..=start + nl];
            start += nl + 1;
            // Zeros before a line: a page of a mapped journal that a power loss kept from
            // the disk. The lines around the hole are still read; one cut by it is corrupt.
            let line = &line[line.iter().position(|&b| b != 0).unwrap_or(line.len())..];
            if line == b"\n" {
                continue;
            }
            read.push((
                self.offset + start as u64,
                serde_json::from_slice::<Line>(line),
            ));
        }
        let Some(&(end, _)) = read.last() else {
            return Ok(false);
        };
        let mut lines = Vec::with_capacity(read.len());
        for (line_end, parsed) in read {
            match parsed {
                Ok(line) if line.seq > self.folded_seq => lines.push(line),
                // Folded before a crash that came before the file was emptied.
                Ok(_) => {}
                Err(e) => self.save_corrupt(line_end, &e)?,
            }
        }
        if let Some(last) = lines.iter().map(|l| l.seq).max() {
            self.insert(&lines, last)?;
            self.folded_seq = last;
        }
        self.offset = end;
        Ok(true)
    }

    /// Inserts `lines` and records `last` as folded, atomically. Bound by position, borrowed:
    /// the statements' parameters are `$1`… in order.
    fn insert(&mut self, lines: &[Line<'_>], last: u64) -> StoreResult<()> {
        let last = i64::try_from(last)
            .map_err(|_| StoreError::Backend("audit journal: seq out of range".into()))?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(backend)?;
        {
            let mut insert = tx.prepare_cached(INSERT).map_err(backend)?;
            for l in lines {
                // The order of `audit_cols!`.
                insert.raw_bind_parameter(1, &*l.tenant).map_err(backend)?;
                insert.raw_bind_parameter(2, l.at).map_err(backend)?;
                insert.raw_bind_parameter(3, &*l.actor).map_err(backend)?;
                insert.raw_bind_parameter(4, &*l.action).map_err(backend)?;
                insert.raw_bind_parameter(5, &*l.target).map_err(backend)?;
                insert.raw_bind_parameter(6, &*l.outcome).map_err(backend)?;
                insert.raw_bind_parameter(7, &*l.reason).map_err(backend)?;
                insert
                    .raw_bind_parameter(8, l.detail.get())
                    .map_err(backend)?;
                insert.raw_execute().map_err(backend)?;
            }
            let mut save = tx.prepare_cached(SAVE_FOLDED).map_err(backend)?;
            save.raw_bind_parameter(1, last).map_err(backend)?;
            save.raw_execute().map_err(backend)?;
        }
        tx.commit().map_err(backend)
    }

    /// Folds every complete line of the file being read; a last line without its newline
    /// (torn by a power loss: its caller was never answered) is discarded.
    fn fold_to_end(&mut self) -> StoreResult<()> {
        while self.fold_batch()? {}
        let len = self.data_end();
        if len > self.offset {
            tracing::warn!(path = %self.reading.display(), bytes = len - self.offset, "audit journal ends in a torn line; discarded");
        }
        Ok(())
    }

    /// Reads `path`, a file nobody appends to, from its start to the end of its data.
    fn read_fixed(&mut self, path: PathBuf) -> StoreResult<()> {
        let reader = match File::open(&path) {
            Ok(f) => f,
            // No journal (first start, or the crash came between retiring and its successor).
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                self.end = Some(0);
                self.offset = 0;
                return Ok(());
            }
            Err(e) => return Err(io("opening")(e)),
        };
        self.end = Some(data_end(&reader).map_err(io("reading"))?);
        self.reader = reader;
        self.reading = path;
        self.offset = 0;
        self.saved_upto = 0;
        Ok(())
    }

    /// Reads the live journal from its start, as far as the appender has written.
    fn read_live(&mut self) -> StoreResult<()> {
        self.reader = File::open(&self.path).map_err(io("opening"))?;
        self.reading = self.path.clone();
        self.end = None;
        self.offset = 0;
        self.saved_upto = 0;
        Ok(())
    }

    /// Where the next journal is prepared before it replaces a retired one.
    fn next_path(&self) -> PathBuf {
        beside(&self.path, ".next")
    }

    /// Retires the journal once it is longer than `over` (see the module doc): appends move
    /// to a fresh file at once, the retired one is folded to its end and deleted.
    fn empty_if_folded(&mut self, over: u64) -> StoreResult<()> {
        if self.offset <= over {
            return Ok(());
        }
        self.retire()?;
        self.finish_retired()
    }

    /// Folds the retired file to its end (nobody appends to it any more, so no lock is held),
    /// deletes it and goes back to reading the journal. On failure `reading` stays on the
    /// retired file and the next fold starts here again.
    fn finish_retired(&mut self) -> StoreResult<()> {
        self.fold_and_delete()?;
        self.read_live()
    }

    /// Folds the retired file to its end, syncs the audit file and deletes the retired file.
    fn fold_and_delete(&mut self) -> StoreResult<()> {
        self.fold_to_end()?;
        self.checkpoint()?;
        std::fs::remove_file(&self.retired).map_err(io("deleting the retired journal"))
    }

    /// Renames the journal to the retired name and points appends at a fresh journal; the
    /// reader keeps reading the retired file (same inode) up to where its data ended. The
    /// fresh file is allocated and mapped before the lock is taken, and the old map is
    /// unmapped after it is released: appends wait for two renames only.
    fn retire(&mut self) -> StoreResult<()> {
        let next = self.next_path();
        let fresh = self.fresh_sink(&next)?;
        let old = {
            let shared = self.shared.clone();
            let mut a = lock(&shared)?;
            std::fs::rename(&self.path, &self.retired).map_err(io("retiring"))?;
            if let Err(e) = std::fs::rename(&next, &self.path) {
                // Appends go on in the old file, under its old name again.
                if let Err(back) = std::fs::rename(&self.retired, &self.path) {
                    tracing::error!(error = %back, "audit journal: restoring the journal's name failed");
                }
                return Err(io("retiring")(e));
            }
            self.end = Some(a.len);
            a.len = 0;
            shared.data_end.store(0, Ordering::Release);
            std::mem::replace(&mut a.sink, fresh)
        };
        drop(old);
        self.reading = self.retired.clone();
        Ok(())
    }

    /// A checkpoint syncs the audit file's WAL, so that a power loss cannot take back rows
    /// folded long ago once their lines are gone from the journal.
    fn checkpoint(&self) -> StoreResult<()> {
        self.conn
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
            .map_err(backend)
    }

    /// A complete line that does not parse is skipped, never silently: it is logged and the
    /// journal is copied aside to `<journal>.corrupt-<unix seconds>` before it is emptied.
    /// If the copy fails the line is not skipped: folding stops there and is retried.
    fn save_corrupt(&mut self, line_end: u64, e: &serde_json::Error) -> StoreResult<()> {
        tracing::error!(path = %self.reading.display(), offset = line_end, error = %e, "audit journal: unreadable line skipped");
        if line_end <= self.saved_upto {
            return Ok(());
        }
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let named = |suffix: String| {
            let mut name = self.reading.as_os_str().to_owned();
            name.push(suffix);
            PathBuf::from(name)
        };
        let mut copy = named(format!(".corrupt-{secs}"));
        let mut n = 1;
        while copy.exists() {
            copy = named(format!(".corrupt-{secs}-{n}"));
            n += 1;
        }
        self.saved_upto = std::fs::copy(&self.reading, &copy).map_err(io("copying aside"))?;
        tracing::error!(copy = %copy.display(), "audit journal copied aside");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use ogw_core::domain::TenantId;
    use serde_json::json;

    const BUSY: Duration = Duration::from_secs(5);

    /// Folds only when asked (flush, drop), so tests see every step.
    /// A small map, so that tests also cross into the `pwrite` past it.
    const ON_REQUEST: JournalConfig = JournalConfig {
        fold_every: Duration::from_secs(3600),
        fold_busy_every: Duration::from_secs(3600),
        truncate_over: u64::MAX,
        map_bytes: 64 << 10,
    };

    /// `dir/t.db`, with its audit file and schema.
    fn main_path(dir: &tempfile::TempDir) -> PathBuf {
        let main = dir.path().join("t.db");
        crate::audit_file::AuditFile::open(&main, BUSY).unwrap();
        main
    }

    fn open(main: &Path, config: JournalConfig) -> AuditJournal {
        AuditJournal::open(main, BUSY, config).unwrap().unwrap()
    }

    fn event(n: i64) -> AuditEvent {
        AuditEvent {
            id: 0,
            tenant: TenantId::parse("acme").unwrap(),
            at: chrono::DateTime::from_timestamp_millis(1_700_000_000_000 + n).unwrap(),
            actor: format!("a{n}"),
            action: "camara.sim_swap.check".into(),
            target: "+34600000001".into(),
            outcome: "ok".into(),
            reason: String::new(),
            detail: json!({"n": n, "tags": ["x"]}).into(),
        }
    }

    /// A journal line as `append` writes it.
    fn line(seq: u64, n: i64) -> String {
        let e = event(n);
        let mut v = json!({
            "seq": seq, "tenant": "acme", "at": ms(&e.at), "actor": e.actor, "action": e.action,
            "target": e.target, "outcome": e.outcome, "reason": e.reason, "detail": e.detail,
        })
        .to_string();
        v.push('\n');
        v
    }

    fn audit_db(main: &Path) -> Connection {
        Connection::open(crate::audit_file::path_for(main)).unwrap()
    }

    /// (id, actor, at, detail) of every row, by id.
    fn rows(main: &Path) -> Vec<(i64, String, i64, String)> {
        let conn = audit_db(main);
        let mut stmt = conn
            .prepare("SELECT id, actor, at, detail FROM audit_events ORDER BY id")
            .unwrap();
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap();
        rows.collect::<Result<_, _>>().unwrap()
    }

    fn actors(main: &Path) -> Vec<String> {
        rows(main).into_iter().map(|r| r.1).collect()
    }

    fn folded_seq(main: &Path) -> i64 {
        audit_db(main)
            .query_row("SELECT folded_seq FROM audit_journal_state", [], |r| {
                r.get(0)
            })
            .unwrap()
    }

    fn journal_text(main: &Path) -> String {
        journal_text_of(&path_for(main))
    }

    /// The journal's data: a mapped journal is zeros after it.
    fn journal_text_of(path: &Path) -> String {
        let text = std::fs::read_to_string(path).unwrap();
        text.trim_end_matches('\0').to_owned()
    }

    /// The corrupt-line copies in `dir`.
    fn corrupt_copies(dir: &tempfile::TempDir) -> Vec<String> {
        std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.contains("corrupt"))
            .collect()
    }

    fn seqs(text: &str) -> Vec<u64> {
        text.lines()
            .map(|l| serde_json::from_str::<Line>(l).unwrap().seq)
            .collect()
    }

    #[test]
    fn journal_sits_beside_the_audit_file() {
        assert_eq!(
            path_for(Path::new("/d/ogw.db")),
            Path::new("/d/ogw-audit.journal")
        );
        assert_eq!(
            path_for(Path::new("/d/ogw")),
            Path::new("/d/ogw-audit.journal")
        );
    }

    #[tokio::test]
    async fn appended_events_are_folded_on_flush_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let main = main_path(&dir);
        let j = open(&main, ON_REQUEST);
        j.append(&[event(1), event(2)]).unwrap();
        j.append(&[event(3)]).unwrap();
        assert_eq!(seqs(&journal_text(&main)), [1, 2, 3]);
        assert!(rows(&main).is_empty(), "nothing folded before the flush");
        j.flush().await.unwrap();
        let rows = rows(&main);
        assert_eq!(
            rows.iter().map(|r| r.1.as_str()).collect::<Vec<_>>(),
            ["a1", "a2", "a3"]
        );
        assert!(rows.windows(2).all(|w| w[0].0 < w[1].0));
        assert_eq!(rows[0].2, ms(&event(1).at), "`at` as the table encodes it");
        assert_eq!(rows[0].3, crate::rows::json(&event(1).detail).unwrap());
        assert_eq!(folded_seq(&main), 3);
        // Below the threshold, the folded journal stays as it is.
        assert_eq!(seqs(&journal_text(&main)), [1, 2, 3]);
    }

    #[test]
    fn concurrent_appends_are_all_folded_once() {
        let dir = tempfile::tempdir().unwrap();
        let main = main_path(&dir);
        let j = Arc::new(open(&main, JournalConfig::default()));
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let j = j.clone();
                std::thread::spawn(move || {
                    for i in 0..100 {
                        j.append(&[event(t * 1000 + i), event(t * 1000 + i)])
                            .unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        drop(j);
        // Dropped: everything folded, one row per event, and the journal emptied.
        assert_eq!(rows(&main).len(), 800);
        assert_eq!(folded_seq(&main), 800);
        assert_eq!(journal_text(&main), "");
    }

    #[test]
    fn lines_are_numbered_in_file_order_under_contention() {
        let dir = tempfile::tempdir().unwrap();
        let main = main_path(&dir);
        let j = Arc::new(open(&main, ON_REQUEST));
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let j = j.clone();
                std::thread::spawn(move || {
                    for i in 0..50 {
                        j.append(&[event(t * 1000 + i), event(t * 1000 + i)])
                            .unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(seqs(&journal_text(&main)), (1..=400).collect::<Vec<_>>());
        j.crash();
    }

    #[test]
    fn the_folder_folds_on_its_own() {
        let dir = tempfile::tempdir().unwrap();
        let main = main_path(&dir);
        let j = open(&main, JournalConfig::default());
        j.append(&[event(1)]).unwrap();
        let start = std::time::Instant::now();
        while rows(&main).is_empty() {
            assert!(start.elapsed() < Duration::from_secs(5), "never folded");
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(actors(&main), ["a1"]);
    }

    #[tokio::test]
    async fn a_crash_leaves_lines_that_the_next_open_folds_exactly_once() {
        let dir = tempfile::tempdir().unwrap();
        let main = main_path(&dir);
        let j = open(&main, ON_REQUEST);
        j.append(&[event(1), event(2), event(3)]).unwrap();
        j.flush().await.unwrap();
        j.append(&[event(4), event(5)]).unwrap();
        // Killed after folding 1–3 but before emptying the journal, with 4–5 unfolded.
        j.crash();
        drop(j);
        assert_eq!(seqs(&journal_text(&main)), [1, 2, 3, 4, 5]);
        assert_eq!(actors(&main), ["a1", "a2", "a3"]);

        let j = open(&main, ON_REQUEST);
        assert_eq!(actors(&main), ["a1", "a2", "a3", "a4", "a5"]);
        assert_eq!(folded_seq(&main), 5);
        assert_eq!(journal_text(&main), "", "emptied once folded");
        j.append(&[event(6)]).unwrap();
        assert_eq!(seqs(&journal_text(&main)), [6], "numbering goes on");
        drop(j);
        assert_eq!(actors(&main).len(), 6);
    }

    #[test]
    fn lines_at_or_below_the_folded_seq_are_not_inserted_again() {
        let dir = tempfile::tempdir().unwrap();
        let main = main_path(&dir);
        // Lines 1–2 were folded, then the process died before emptying the journal.
        let conn = audit_db(&main);
        for n in [1, 2] {
            conn.execute(
                "INSERT INTO audit_events (tenant_id, at, actor, action, target, outcome, reason, detail) \
                 VALUES ('acme', 0, ?1, 'x', '', 'ok', '', '{}')",
                [format!("a{n}")],
            )
            .unwrap();
        }
        conn.execute(
            "INSERT INTO audit_journal_state (id, folded_seq) VALUES (1, 2)",
            [],
        )
        .unwrap();
        drop(conn);
        std::fs::write(
            path_for(&main),
            [line(1, 1), line(2, 2), line(3, 3)].concat(),
        )
        .unwrap();

        let j = open(&main, ON_REQUEST);
        assert_eq!(actors(&main), ["a1", "a2", "a3"]);
        assert_eq!(folded_seq(&main), 3);
        j.append(&[event(4)]).unwrap();
        assert_eq!(seqs(&journal_text(&main)), [4]);
    }

    #[test]
    fn a_torn_last_line_is_dropped_and_a_corrupt_one_copied_aside() {
        let dir = tempfile::tempdir().unwrap();
        let main = main_path(&dir);
        let torn = &line(4, 4)[..20];
        let text = [line(1, 1), "not json\n".into(), line(3, 3), torn.into()].concat();
        std::fs::write(path_for(&main), &text).unwrap();

        let j = open(&main, ON_REQUEST);
        assert_eq!(actors(&main), ["a1", "a3"]);
        assert_eq!(folded_seq(&main), 3);
        assert_eq!(journal_text(&main), "");
        let copies: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.starts_with("t-audit.journal.corrupt-"))
            .collect();
        assert_eq!(copies.len(), 1, "{copies:?}");
        let copy = std::fs::read_to_string(dir.path().join(&copies[0])).unwrap();
        assert_eq!(copy, text, "the journal as it was");
        // Numbering goes on after the last line folded.
        j.append(&[event(5)]).unwrap();
        assert_eq!(seqs(&journal_text(&main)), [4]);
    }

    /// What a crash leaves of a mapped journal: its data, then zeros to the mapped length;
    /// a process killed during a copy, a line without its newline; a power loss, zeros
    /// where a page never reached the disk.
    #[test]
    fn a_mapped_journal_is_read_to_its_data_end_across_zeros() {
        let dir = tempfile::tempdir().unwrap();
        let main = main_path(&dir);
        let mut bytes = [line(1, 1), "\0".repeat(100), line(2, 2)]
            .concat()
            .into_bytes();
        bytes.extend_from_slice(&line(3, 3).as_bytes()[..25]);
        bytes.resize(64 << 10, 0);
        std::fs::write(path_for(&main), &bytes).unwrap();
        let j = open(&main, ON_REQUEST);
        assert_eq!(actors(&main), ["a1", "a2"]);
        let names = corrupt_copies(&dir);
        assert!(names.is_empty(), "{names:?}");
        // The fresh journal numbers on from the last folded line.
        j.append(&[event(3)]).unwrap();
        assert_eq!(seqs(&journal_text(&main)), [3]);
    }

    /// Appends that outgrow the map (the folder fell behind) go on with `pwrite` after it;
    /// the lines on both sides of the boundary fold in order, live and after a crash.
    #[tokio::test]
    async fn appends_past_the_map_are_written_and_folded() {
        let dir = tempfile::tempdir().unwrap();
        let main = main_path(&dir);
        let tiny = JournalConfig {
            map_bytes: 1000,
            ..ON_REQUEST
        };
        let j = open(&main, tiny);
        for i in 1..=10 {
            j.append(&[event(i)]).unwrap();
        }
        let len = std::fs::metadata(path_for(&main)).unwrap().len();
        assert!(len > 1000, "the file grew past the map: {len}");
        assert_eq!(seqs(&journal_text(&main)), (1..=10).collect::<Vec<_>>());
        j.flush().await.unwrap();
        assert_eq!(actors(&main).len(), 10);
        for i in 11..=20 {
            j.append(&[event(i)]).unwrap();
        }
        j.crash();
        drop(j);
        let _j = open(&main, tiny);
        let expected: Vec<String> = (1..=20).map(|i| format!("a{i}")).collect();
        assert_eq!(actors(&main), expected);
    }

    #[test]
    fn a_torn_line_alone_is_not_copied_aside() {
        let dir = tempfile::tempdir().unwrap();
        let main = main_path(&dir);
        std::fs::write(
            path_for(&main),
            [line(1, 1), line(2, 2)[..30].into()].concat(),
        )
        .unwrap();
        let _j = open(&main, ON_REQUEST);
        assert_eq!(actors(&main), ["a1"]);
        let names = corrupt_copies(&dir);
        assert!(names.is_empty(), "{names:?}");
    }

    #[test]
    fn one_process_owns_the_journal() {
        let dir = tempfile::tempdir().unwrap();
        let main = main_path(&dir);
        let first = open(&main, ON_REQUEST);
        first.append(&[event(1)]).unwrap();
        assert!(AuditJournal::open(&main, BUSY, ON_REQUEST)
            .unwrap()
            .is_none());
        assert_eq!(
            seqs(&journal_text(&main)),
            [1],
            "the refused opener left it alone"
        );
        drop(first);
        assert!(AuditJournal::open(&main, BUSY, ON_REQUEST)
            .unwrap()
            .is_some());
        assert_eq!(actors(&main), ["a1"]);
    }

    #[tokio::test]
    async fn a_folded_journal_is_emptied_past_the_threshold() {
        let dir = tempfile::tempdir().unwrap();
        let main = main_path(&dir);
        let small = JournalConfig {
            truncate_over: 1,
            ..ON_REQUEST
        };
        let j = open(&main, small);
        j.append(&[event(1), event(2)]).unwrap();
        j.flush().await.unwrap();
        assert_eq!(journal_text(&main), "");
        // Appends go on at the start of the emptied file, numbering too.
        j.append(&[event(3)]).unwrap();
        assert_eq!(seqs(&journal_text(&main)), [3]);
        j.flush().await.unwrap();
        assert_eq!(journal_text(&main), "");
        let rows = rows(&main);
        assert_eq!(
            rows.iter().map(|r| r.1.as_str()).collect::<Vec<_>>(),
            ["a1", "a2", "a3"]
        );
        assert!(rows.windows(2).all(|w| w[0].0 < w[1].0));
    }

    /// A crash between retiring a journal and deleting it: the next open folds the retired
    /// file first, then the fresh one, each line once, in order.
    #[tokio::test]
    async fn a_retired_journal_left_by_a_crash_is_folded_first() {
        let dir = tempfile::tempdir().unwrap();
        let main = main_path(&dir);
        let j = open(&main, ON_REQUEST);
        j.append(&[event(1), event(2)]).unwrap();
        j.flush().await.unwrap();
        j.append(&[event(3)]).unwrap();
        j.crash();
        drop(j);
        // As `retire` leaves it: lines 1–3 under the retired name (1–2 folded), 4 in a fresh one.
        let journal = path_for(&main);
        std::fs::rename(&journal, beside(&journal, ".retired")).unwrap();
        let line4 = journal_text_of(&beside(&journal, ".retired"))
            .lines()
            .last()
            .unwrap()
            .replace("\"seq\":3", "\"seq\":4")
            .replace("a3", "a4");
        std::fs::write(&journal, format!("{line4}\n")).unwrap();

        let j = open(&main, ON_REQUEST);
        assert_eq!(actors(&main), ["a1", "a2", "a3", "a4"]);
        assert!(!beside(&journal, ".retired").exists());
        assert_eq!(journal_text(&main), "");
        j.append(&[event(5)]).unwrap();
        assert_eq!(seqs(&journal_text(&main)), [5], "numbering goes on");
        drop(j);
        assert_eq!(actors(&main).len(), 5);
    }

    /// Appends never wait for a fold: past the threshold the journal is retired under the
    /// lock (a rename), and the folder deletes the retired file once folded.
    #[tokio::test]
    async fn a_long_journal_is_retired_and_deleted_once_folded() {
        let dir = tempfile::tempdir().unwrap();
        let main = main_path(&dir);
        let j = open(
            &main,
            JournalConfig {
                truncate_over: 1,
                ..ON_REQUEST
            },
        );
        j.append(&[event(1)]).unwrap();
        j.flush().await.unwrap();
        let journal = path_for(&main);
        assert!(!beside(&journal, ".retired").exists());
        assert!(beside(&journal, ".lock").exists());
        j.append(&[event(2)]).unwrap();
        assert_eq!(
            seqs(&journal_text(&main)),
            [2],
            "appends go to the fresh file"
        );
        drop(j);
        assert_eq!(actors(&main), ["a1", "a2"]);
    }

    /// Appends that never pause still let the folder empty the file.
    #[test]
    fn a_journal_under_steady_appends_is_still_emptied() {
        let dir = tempfile::tempdir().unwrap();
        let main = main_path(&dir);
        let j = open(
            &main,
            JournalConfig {
                fold_every: Duration::from_millis(1),
                fold_busy_every: Duration::from_millis(1),
                truncate_over: 1,
                map_bytes: 4096,
            },
        );
        let journal = path_for(&main);
        let (mut appended, mut emptied, mut last_len) = (0, 0, 0);
        let start = std::time::Instant::now();
        while start.elapsed() < Duration::from_millis(300) {
            j.append(&[event(appended)]).unwrap();
            appended += 1;
            let len = std::fs::metadata(&journal).unwrap().len();
            if len < last_len {
                emptied += 1;
            }
            last_len = len;
        }
        assert!(emptied > 0, "never emptied in {appended} appends");
        drop(j);
        let rows = rows(&main);
        assert_eq!(rows.len() as i64, appended);
        assert!(rows.windows(2).all(|w| w[0].0 < w[1].0 && w[0].2 < w[1].2));
    }

    /// The audit file's WAL is copied back every [`AUTOCHECKPOINT_PAGES`] pages, not SQLite's
    /// 1,000: the WAL file (reused from its start after each copy) stays near that size.
    #[tokio::test]
    async fn the_audit_wal_is_copied_back_in_small_steps() {
        let dir = tempfile::tempdir().unwrap();
        let main = main_path(&dir);
        let j = open(&main, ON_REQUEST);
        let filler = "x".repeat(2000);
        for batch in 0..60 {
            let events: Vec<_> = (0..50)
                .map(|i| AuditEvent {
                    detail: json!({ "filler": filler }).into(),
                    ..event(batch * 50 + i)
                })
                .collect();
            j.append(&events).unwrap();
            j.flush().await.unwrap();
        }
        let wal = std::fs::metadata(beside(&crate::audit_file::path_for(&main), "-wal"))
            .unwrap()
            .len();
        assert_eq!(rows(&main).len(), 3000);
        // 6 MB folded; the WAL holds at most one copy interval plus one fold (~100 KB here).
        let page = 4096;
        assert!(
            wal < (AUTOCHECKPOINT_PAGES as u64 + 100) * (page + 24),
            "WAL grew to {wal} bytes"
        );
        drop(j);
    }

    /// Lines found by a fold bring the next one within the busy interval; a fold that found
    /// none lets the folder wait the idle interval again.
    #[tokio::test]
    async fn the_folder_folds_often_only_while_lines_come() {
        let dir = tempfile::tempdir().unwrap();
        let main = main_path(&dir);
        let j = open(
            &main,
            JournalConfig {
                fold_busy_every: Duration::from_millis(1),
                ..ON_REQUEST
            },
        );
        j.append(&[event(1)]).unwrap();
        j.flush().await.unwrap();
        j.append(&[event(2)]).unwrap();
        let start = std::time::Instant::now();
        while actors(&main).len() < 2 {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "not folded while busy"
            );
            std::thread::sleep(Duration::from_millis(1));
        }
        // The next look finds nothing: from then on the idle interval (an hour).
        std::thread::sleep(Duration::from_millis(300));
        j.append(&[event(3)]).unwrap();
        std::thread::sleep(Duration::from_millis(300));
        assert_eq!(actors(&main), ["a1", "a2"], "folded while idle");
        drop(j);
        assert_eq!(actors(&main), ["a1", "a2", "a3"]);
    }

    #[tokio::test]
    async fn settle_and_drop_empty_the_journal() {
        let dir = tempfile::tempdir().unwrap();
        let main = main_path(&dir);
        let j = open(&main, ON_REQUEST);
        j.append(&[event(1)]).unwrap();
        j.settle().await.unwrap();
        assert_eq!(actors(&main), ["a1"]);
        assert_eq!(journal_text(&main), "");
        j.append(&[event(2)]).unwrap();
        drop(j);
        assert_eq!(actors(&main), ["a1", "a2"]);
        assert_eq!(journal_text(&main), "");
    }
}
