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
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

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

pub(crate) struct FastReads {
    readers: Vec<Mutex<Connection>>,
    /// Dropping it (with the store) stops the checkpointer thread.
    _checkpointer: std::sync::mpsc::Sender<()>,
}

impl FastReads {
    /// Opens `n` readers on an existing database file, and a checkpointer for it.
    pub(crate) fn open(path: &Path, n: usize, busy_timeout: Duration) -> StoreResult<Self> {
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
                Ok(Mutex::new(conn))
            })
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(Self {
            readers,
            _checkpointer: spawn_checkpointer(path, busy_timeout)?,
        })
    }

    /// Runs `f` on this thread's reader, or another free one; waits only when all are busy.
    fn with<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> StoreResult<T> {
        let start = thread_slot();
        let n = self.readers.len();
        for i in 0..n {
            if let Ok(conn) = self.readers[(start + i) % n].try_lock() {
                return f(&conn).map_err(backend);
            }
        }
        let conn = self.readers[start % n]
            .lock()
            .map_err(|_| StoreError::Backend("SQLite reader poisoned".into()))?;
        f(&conn).map_err(backend)
    }

    /// The first row, if any.
    pub(crate) fn row<R: FastRow>(&self, sql: &str, args: Vec<Val>) -> StoreResult<Option<R>> {
        self.with(|conn| Snapshot(conn).row(sql, &args))
    }

    /// Runs `f`'s reads in one read transaction: one snapshot, and SQLite's shared-memory
    /// locks taken once instead of at every statement (see `prefetch`). The transaction ends
    /// before this returns, so no snapshot outlives the call (a reader that keeps one keeps
    /// the WAL from restarting: bench/PERF.md, round 5).
    pub(crate) fn in_one_snapshot<T>(
        &self,
        f: impl FnOnce(&Snapshot<'_>) -> rusqlite::Result<T>,
    ) -> StoreResult<T> {
        self.with(|conn| {
            conn.execute_batch("BEGIN")?;
            let out = f(&Snapshot(conn));
            // Read-only: ending it either way only releases the snapshot.
            let end = conn.execute_batch("COMMIT");
            let out = out?;
            end.map(|()| out)
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
        self.with(|conn| Snapshot(conn).scalar_one(sql, &args))
    }
}

/// A reader's connection inside [`FastReads::in_one_snapshot`] (or one statement of it).
pub(crate) struct Snapshot<'c>(&'c Connection);

impl Snapshot<'_> {
    /// The first row, if any.
    pub(crate) fn row<R: FastRow>(&self, sql: &str, args: &[Val]) -> rusqlite::Result<Option<R>> {
        let mut stmt = self.0.prepare_cached(sql)?;
        bind(&mut stmt, args)?;
        let mut rows = stmt.raw_query();
        rows.next()?.map(R::read).transpose()
    }

    /// The first column of the single row an aggregate returns.
    pub(crate) fn scalar_one<T: FromSql>(&self, sql: &str, args: &[Val]) -> rusqlite::Result<T> {
        let mut stmt = self.0.prepare_cached(sql)?;
        bind(&mut stmt, args)?;
        let mut rows = stmt.raw_query();
        match rows.next()? {
            Some(row) => row.get(0),
            None => Err(rusqlite::Error::QueryReturnedNoRows),
        }
    }
}

/// Each thread starts at a reader of its own, so that the runtime's two workers keep two
/// page caches warm instead of spreading every B-tree page over four (steady-state CPU per
/// call that misses the facts did not measurably change; warm-up did).
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
/// audit writer's commits stay short and the WAL stays small.
fn spawn_checkpointer(
    path: &Path,
    busy_timeout: Duration,
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
                if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                    tracing::warn!(error = %e, "WAL checkpoint failed; retrying");
                }
            }
        })
        .map_err(|e| StoreError::Backend(format!("starting the checkpointer: {e}")))?;
    Ok(stop)
}
