//! Synchronous point reads for the SQLite hot path (CAMARA calls, `/authorize`).
//!
//! sqlx runs every SQLite statement on a per-connection worker thread: a read costs two
//! cross-thread wake-ups, which `bench/PERF.md` measured at ~60 % of all CPU under load
//! while the SQL itself took ~1 %. An indexed point read takes a few microseconds, so the
//! reads on the request path run right here on the calling thread, on a small set of
//! read-only connections to the same file. WAL mode lets these readers run beside the
//! writer, and each statement sees everything committed before it started, so a write
//! made through the sqlx pool is visible to the next read, as before.
//!
//! Only reads go through here; every write stays on the sqlx pool.
//!
//! Snapshots (the main file): a read transaction costs SQLite's per-file shared-memory
//! mutex and `fcntl` read-mark locks at its start and end; with three reads per call that
//! missed the in-memory facts, the two runtime threads queued on that mutex behind a holder
//! preempted in `fcntl` (bench/PERF.md, round 5). So a reader keeps its read transaction
//! open across statements while nothing it could see has changed: every write of this
//! process to a table read here bumps the [`Epoch`] after its commit (as it invalidates the
//! facts), and a snapshot is also never older than [`SNAPSHOT_MAX_AGE`], which bounds what
//! another process's commit or a write not announced takes to be seen (the same bound as
//! the facts' `data_version` watch). The checkpointer ends idle readers' snapshots before
//! each checkpoint, so an open snapshot never holds the WAL back for long.
use std::path::Path;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ogw_core::store::{StoreError, StoreResult};
use rusqlite::types::{FromSql, ToSqlOutput, Value};
use rusqlite::{Connection, OpenFlags};

use crate::rows::Val;

/// Decodes one row read by column position (the order of the `*_cols!` lists).
pub(crate) trait FastRow: Sized {
    fn read(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self>;
}

/// Enough connections that the runtime's workers rarely wait for one another.
pub(crate) const READERS: usize = 4;
/// Page cache per reader, in KiB as a negative `cache_size` wants it.
const READER_CACHE_KIB: i64 = -32 * 1024;
/// Statements kept prepared per connection (the hot set is a handful).
const STATEMENT_CACHE: usize = 32;

/// The longest a reader keeps one snapshot (read transaction) while no write is announced.
pub(crate) const SNAPSHOT_MAX_AGE: Duration = Duration::from_millis(1);

/// Bumped after every commit of this process that touches a table read through `FastReads`
/// (shared with the facts, whose generation it is): a reader's snapshot taken at an older
/// epoch is not used again.
pub(crate) type Epoch = Arc<AtomicU64>;

/// A read-only connection and the read transaction it keeps open, if any.
struct Reader {
    conn: Connection,
    /// The epoch and start of the open snapshot.
    snapshot: Option<(u64, Instant)>,
}

impl Reader {
    fn end_snapshot(&mut self) -> rusqlite::Result<()> {
        self.snapshot = None;
        if self.conn.is_autocommit() {
            return Ok(());
        }
        self.conn.execute_batch("COMMIT")
    }

    /// Runs `f` in a snapshot no older than `epoch` and `max_age` (`None`: a transaction of
    /// its own, SQLite's autocommit).
    fn run<T>(
        &mut self,
        epoch: Option<&Epoch>,
        max_age: Duration,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> rusqlite::Result<T> {
        if let Some(epoch) = epoch {
            let now = epoch.load(Ordering::Acquire);
            let fresh = matches!(self.snapshot,
                Some((e, since)) if e == now && since.elapsed() < max_age);
            if !fresh {
                self.end_snapshot()?;
                // Deferred: the snapshot is taken by the first statement, after `now` was read,
                // so it holds every commit announced up to `now`.
                self.conn.execute_batch("BEGIN")?;
                self.snapshot = Some((now, Instant::now()));
            }
        }
        let out = f(&self.conn);
        if out.is_err() && self.snapshot.is_some() {
            // Whatever failed, the next statement starts from a clean transaction.
            let _ = self.end_snapshot();
        }
        out
    }
}

pub(crate) struct FastReads {
    readers: Arc<[Mutex<Reader>]>,
    /// `Some` on the main file: readers keep snapshots while it stands still.
    epoch: Option<Epoch>,
    /// [`SNAPSHOT_MAX_AGE`], longer in tests.
    max_age: Duration,
    /// Dropping it (with the store) stops the checkpointer thread.
    _checkpointer: std::sync::mpsc::Sender<()>,
}

impl FastReads {
    /// Opens `n` readers on an existing database file, and a checkpointer for it. With an
    /// `epoch`, readers keep snapshots across statements (see the module notes); without one
    /// every statement is a read transaction of its own.
    pub(crate) fn open(
        path: &Path,
        n: usize,
        busy_timeout: Duration,
        epoch: Option<Epoch>,
    ) -> StoreResult<Self> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI;
        let readers = (0..n.max(1))
            .map(|_| {
                let conn = Connection::open_with_flags(path, flags).map_err(backend)?;
                conn.busy_timeout(busy_timeout).map_err(backend)?;
                // Belt and braces: nothing written through these connections, ever.
                conn.pragma_update(None, "query_only", true)
                    .map_err(backend)?;
                conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
                // Room for the interior levels of a 10M-line store's indexes and a good part
                // of their leaves (SQLite's default is 2 MiB); pages are only taken as read.
                conn.pragma_update(None, "cache_size", READER_CACHE_KIB)
                    .map_err(backend)?;
                Ok(Mutex::new(Reader {
                    conn,
                    snapshot: None,
                }))
            })
            .collect::<StoreResult<Arc<[_]>>>()?;
        Ok(Self {
            _checkpointer: spawn_checkpointer(path, busy_timeout, Arc::clone(&readers))?,
            readers,
            epoch,
            max_age: SNAPSHOT_MAX_AGE,
        })
    }

    /// Runs `f` on this thread's reader, or another free one; waits only when all are busy.
    fn with<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> StoreResult<T> {
        let start = thread_slot();
        let n = self.readers.len();
        let epoch = self.epoch.as_ref();
        for i in 0..n {
            if let Ok(mut reader) = self.readers[(start + i) % n].try_lock() {
                return reader.run(epoch, self.max_age, f).map_err(backend);
            }
        }
        let mut reader = self.readers[start % n]
            .lock()
            .map_err(|_| StoreError::Backend("SQLite reader poisoned".into()))?;
        reader.run(epoch, self.max_age, f).map_err(backend)
    }

    /// The first row, if any.
    pub(crate) fn row<R: FastRow>(&self, sql: &str, args: Vec<Val>) -> StoreResult<Option<R>> {
        self.with(|conn| {
            let mut stmt = conn.prepare_cached(sql)?;
            bind(&mut stmt, &args)?;
            let mut rows = stmt.raw_query();
            rows.next()?.map(R::read).transpose()
        })
    }

    /// Every row.
    pub(crate) fn rows<R: FastRow>(&self, sql: &str, args: Vec<Val>) -> StoreResult<Vec<R>> {
        self.with(|conn| {
            let mut stmt = conn.prepare_cached(sql)?;
            bind(&mut stmt, &args)?;
            let mut rows = stmt.raw_query();
            let mut out = Vec::new();
            while let Some(row) = rows.next()? {
                out.push(R::read(row)?);
            }
            Ok(out)
        })
    }

    /// The first column of the single row an aggregate returns.
    pub(crate) fn scalar_one<T: FromSql>(&self, sql: &str, args: Vec<Val>) -> StoreResult<T> {
        self.with(|conn| {
            let mut stmt = conn.prepare_cached(sql)?;
            bind(&mut stmt, &args)?;
            let mut rows = stmt.raw_query();
            match rows.next()? {
                Some(row) => row.get(0),
                None => Err(rusqlite::Error::QueryReturnedNoRows),
            }
        })
    }
}

/// Each thread starts at a reader of its own: the runtime's two workers then each find their
/// reader's page cache warm and its snapshot theirs (round robin over four readers cost ~3 µs
/// more per call that missed the facts, and four caches to warm).
fn thread_slot() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! { static SLOT: usize = NEXT.fetch_add(1, Ordering::Relaxed); }
    SLOT.with(|s| *s)
}

/// Binds `$N` by its number, as sqlx does, so one SQL text serves both drivers even when a
/// statement names its parameters out of order.
pub(crate) fn bind(stmt: &mut rusqlite::CachedStatement<'_>, args: &[Val]) -> rusqlite::Result<()> {
    for i in 1..=stmt.parameter_count() {
        let n = stmt
            .parameter_name(i)
            .and_then(|name| name.strip_prefix('$'))
            .and_then(|d| d.parse::<usize>().ok())
            .unwrap_or(i);
        let v = args
            .get(n - 1)
            .ok_or(rusqlite::Error::InvalidParameterCount(n, args.len()))?;
        stmt.raw_bind_parameter(i, to_sql(v))?;
    }
    Ok(())
}

fn to_sql(v: &Val) -> ToSqlOutput<'_> {
    match v {
        Val::Text(Some(s)) => ToSqlOutput::Borrowed(rusqlite::types::ValueRef::Text(s.as_bytes())),
        Val::Int(Some(i)) => ToSqlOutput::Owned(Value::Integer(*i)),
        Val::Text(None) | Val::Int(None) => ToSqlOutput::Owned(Value::Null),
    }
}

/// Ends the aged snapshots of the readers not in use (a reader in use renews its own).
fn end_idle_snapshots(readers: &[Mutex<Reader>]) {
    for reader in readers {
        if let Ok(mut r) = reader.try_lock() {
            if matches!(r.snapshot, Some((_, since)) if since.elapsed() >= SNAPSHOT_MAX_AGE) {
                if let Err(e) = r.end_snapshot() {
                    tracing::warn!(error = %e, "ending an idle SQLite snapshot failed");
                }
            }
        }
    }
}

pub(crate) fn backend(e: rusqlite::Error) -> StoreError {
    match e {
        e @ (rusqlite::Error::FromSqlConversionFailure(..)
        | rusqlite::Error::InvalidColumnType(..)
        | rusqlite::Error::IntegralValueOutOfRange(..)) => StoreError::Corrupt(e.to_string()),
        e => StoreError::Backend(e.to_string()),
    }
}

/// How often the checkpointer copies the WAL back into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(500);

/// Runs passive WAL checkpoints on a thread of its own until the returned sender is
/// dropped (with the store). Passive checkpoints never block readers or writers, so the
/// audit writer's commits stay short and the WAL stays small. Before each, the snapshots
/// that `readers` left open and that have aged are ended: a snapshot pins the WAL frames
/// after it.
fn spawn_checkpointer(
    path: &Path,
    busy_timeout: Duration,
    readers: Arc<[Mutex<Reader>]>,
) -> StoreResult<std::sync::mpsc::Sender<()>> {
    let conn = Connection::open(path).map_err(backend)?;
    conn.busy_timeout(busy_timeout).map_err(backend)?;
    let (stop, stopped) = std::sync::mpsc::channel::<()>();
    std::thread::Builder::new()
        .name("ogw-checkpoint".into())
        .spawn(move || {
            while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
                stopped.recv_timeout(CHECKPOINT_EVERY)
            {
                end_idle_snapshots(&readers);
                if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                    tracing::warn!(error = %e, "WAL checkpoint failed; retrying");
                }
            }
        })
        .map_err(|e| StoreError::Backend(format!("starting the checkpointer: {e}")))?;
    Ok(stop)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn setup(max_age: Duration) -> (tempfile::TempDir, Connection, Epoch, FastReads) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.db");
        let writer = Connection::open(&path).unwrap();
        writer
            .execute_batch("PRAGMA journal_mode = WAL; CREATE TABLE t (v INTEGER);")
            .unwrap();
        let epoch = Epoch::default();
        let mut reads =
            FastReads::open(&path, 1, Duration::from_secs(1), Some(epoch.clone())).unwrap();
        reads.max_age = max_age;
        (dir, writer, epoch, reads)
    }

    fn count(reads: &FastReads) -> i64 {
        reads
            .scalar_one::<i64>("SELECT count(*) FROM t", vec![])
            .unwrap()
    }

    fn insert(writer: &Connection) {
        writer.execute("INSERT INTO t VALUES (1)", []).unwrap();
    }

    #[test]
    fn a_reader_keeps_its_snapshot_until_a_write_is_announced() {
        let (_dir, writer, epoch, reads) = setup(Duration::from_secs(3600));
        assert_eq!(count(&reads), 0);
        insert(&writer);
        // Not announced: the reader is still in the snapshot its first statement took.
        assert_eq!(count(&reads), 0);
        epoch.fetch_add(1, Ordering::AcqRel);
        assert_eq!(count(&reads), 1);
    }

    #[test]
    fn an_unannounced_write_is_seen_once_the_snapshot_has_aged() {
        let (_dir, writer, _epoch, reads) = setup(Duration::from_millis(5));
        assert_eq!(count(&reads), 0);
        insert(&writer);
        std::thread::sleep(Duration::from_millis(6));
        assert_eq!(count(&reads), 1);
    }

    #[test]
    fn without_an_epoch_every_statement_sees_every_commit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.db");
        let writer = Connection::open(&path).unwrap();
        writer
            .execute_batch("PRAGMA journal_mode = WAL; CREATE TABLE t (v INTEGER);")
            .unwrap();
        let reads = FastReads::open(&path, 1, Duration::from_secs(1), None).unwrap();
        assert_eq!(count(&reads), 0);
        insert(&writer);
        assert_eq!(count(&reads), 1);
    }

    #[test]
    fn idle_aged_snapshots_are_ended_so_a_checkpoint_can_complete() {
        let (_dir, writer, _epoch, reads) = setup(Duration::from_millis(1));
        assert_eq!(count(&reads), 0);
        insert(&writer);
        let in_snapshot =
            |reads: &FastReads| !reads.readers[0].lock().unwrap().conn.is_autocommit();
        assert!(in_snapshot(&reads));
        std::thread::sleep(Duration::from_millis(2));
        end_idle_snapshots(&reads.readers);
        assert!(!in_snapshot(&reads));
        // Nothing pins the WAL: a full checkpoint copies every frame back.
        let (busy, log, done): (i64, i64, i64) = writer
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .unwrap();
        assert_eq!((busy, log, done), (0, 0, 0));
    }

    #[test]
    fn a_failed_statement_leaves_no_transaction_behind() {
        let (_dir, _writer, _epoch, reads) = setup(Duration::from_secs(3600));
        assert!(reads
            .scalar_one::<i64>("SELECT count(*) FROM missing", vec![])
            .is_err());
        assert!(reads.readers[0].lock().unwrap().conn.is_autocommit());
        assert_eq!(count(&reads), 0);
    }
}
