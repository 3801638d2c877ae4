//! SQLite keeps the audit log in a database file of its own (`<name>-audit.db` beside
//! `<name>.db`).
//!
//! Every commit to a SQLite file makes every other connection drop its page cache at its next
//! read. With the audit log in the main file, the group commit of audit events (thousands
//! per second under load) left the request path's readers with a cold cache on every call,
//! re-reading each B-tree level of the subscriber, SIM change and consent indexes from the
//! OS: 10M subscribers cost 24 % of the throughput of 10k (bench/PERF.md). In a file of its
//! own the audit log is written just as durably (WAL, `synchronous = NORMAL`, a caller is
//! answered once its event is committed) and the readers' caches stay warm.
//!
//! The server's CAMARA calls do not commit here themselves: they append their events to the
//! journal `<name>-audit.journal` and a folder thread moves them into this file within ~10 ms
//! (`audit_journal`). The writer below serves the rest: single events (management), and all
//! events of a process that does not own the journal (a CLI command beside the server).
//!
//! Rows written to the main file's `audit_events` by earlier versions are moved here by
//! [`AuditFile::adopt`] (run with the migrations); the table stays in the main schema, empty.
use std::path::{Path, PathBuf};
use std::time::Duration;

use ogw_core::store::{StoreError, StoreResult};
use rusqlite::Connection;

use crate::fast::{backend, bind, FastReads, FastRow};
use crate::rows::Val;

/// The audit table and index, as `migrations/sqlite/0001_init.sql` creates them in the
/// main file (where they stay, empty, for older binaries), and the journal's progress: the
/// last `seq` of `audit_journal` folded into the table.
const SCHEMA: &str = "\
    CREATE TABLE IF NOT EXISTS audit_events (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        tenant_id  TEXT    NOT NULL,
        at         INTEGER NOT NULL,
        actor      TEXT    NOT NULL,
        action     TEXT    NOT NULL,
        target     TEXT    NOT NULL,
        outcome    TEXT    NOT NULL,
        reason     TEXT    NOT NULL,
        detail     TEXT    NOT NULL
    ) STRICT;
    CREATE INDEX IF NOT EXISTS audit_events_by_tenant ON audit_events (tenant_id, id);
    CREATE TABLE IF NOT EXISTS audit_journal_state (
        id         INTEGER PRIMARY KEY CHECK (id = 1),
        folded_seq INTEGER NOT NULL
    ) STRICT;";

/// Readers of the audit log (`list_audit` is rare: two are plenty).
const READERS: usize = 2;

/// The audit file of a SQLite store.
pub(crate) struct AuditFile {
    path: PathBuf,
    main: PathBuf,
    reads: FastReads,
}

/// `dir/ogw.db` → `dir/ogw-audit.db`.
pub(crate) fn path_for(main: &Path) -> PathBuf {
    let stem = main
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "ogw".into());
    let name = match main.extension() {
        Some(ext) => format!("{stem}-audit.{}", ext.to_string_lossy()),
        None => format!("{stem}-audit"),
    };
    main.with_file_name(name)
}

/// A connection to the audit file, created if missing, in WAL mode.
pub(crate) fn connect(path: &Path, busy_timeout: Duration) -> StoreResult<Connection> {
    let conn = Connection::open(path).map_err(backend)?;
    conn.busy_timeout(busy_timeout).map_err(backend)?;
    conn.pragma_update(None, "journal_mode", "WAL")
        .map_err(backend)?;
    // As the main file's connections: durable against process crashes, no fsync per commit.
    conn.pragma_update(None, "synchronous", "NORMAL")
        .map_err(backend)?;
    Ok(conn)
}

impl AuditFile {
    /// Creates the file and its table if needed and opens its readers.
    pub(crate) fn open(main: &Path, busy_timeout: Duration) -> StoreResult<Self> {
        let path = path_for(main);
        connect(&path, busy_timeout)?
            .execute_batch(SCHEMA)
            .map_err(backend)?;
        Ok(Self {
            reads: FastReads::open(&path, READERS, busy_timeout)?,
            main: main.to_owned(),
            path,
        })
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn rows<R: FastRow>(&self, sql: &str, args: Vec<Val>) -> StoreResult<Vec<R>> {
        self.reads.rows(sql, args)
    }

    /// Moves audit rows an earlier version wrote into the main file over here, keeping their
    /// ids. Idempotent: rows already here (a crash between the two commits — a transaction
    /// over two WAL files is atomic per file only) are not copied twice.
    pub(crate) fn adopt(&self, busy_timeout: Duration) -> StoreResult<u64> {
        let mut conn = connect(&self.path, busy_timeout)?;
        let main = self.main.to_string_lossy().into_owned();
        conn.execute("ATTACH DATABASE ?1 AS m", [main.as_str()])
            .map_err(backend)?;
        let has_table: i64 = conn
            .query_row(
                "SELECT count(*) FROM m.sqlite_master WHERE type = 'table' AND name = 'audit_events'",
                [],
                |r| r.get(0),
            )
            .map_err(backend)?;
        let mut moved = 0;
        if has_table > 0 {
            let tx = conn.transaction().map_err(backend)?;
            let cols = "id, tenant_id, at, actor, action, target, outcome, reason, detail";
            moved = tx
                .execute(
                    &format!(
                        "INSERT INTO main.audit_events ({cols}) SELECT {cols} FROM m.audit_events \
                         WHERE id > (SELECT COALESCE(MAX(id), 0) FROM main.audit_events) ORDER BY id"
                    ),
                    [],
                )
                .map_err(backend)? as u64;
            tx.execute("DELETE FROM m.audit_events", [])
                .map_err(backend)?;
            tx.commit().map_err(backend)?;
        }
        conn.execute("DETACH DATABASE m", []).map_err(backend)?;
        if moved > 0 {
            tracing::info!(rows = moved, path = %self.path.display(), "audit rows moved to the audit file");
        }
        Ok(moved)
    }
}

/// SQLite's audit group commit on a thread of its own: it takes whatever is queued (up to
/// `AUDIT_BATCH`), inserts it in one transaction and answers each caller with its id. Same
/// contract as the pool writer (a caller is answered only once its event is committed; a
/// failed batch is retried event by event; queued events are written before the thread
/// ends, when the store is dropped), without a driver thread hand-off per statement.
pub(crate) fn spawn_writer(
    path: &Path,
    busy_timeout: Duration,
    mut rx: tokio::sync::mpsc::Receiver<crate::AuditJob>,
) -> StoreResult<()> {
    // SQLite's own checkpoint after the commit that crosses 1,000 WAL pages stays on: this
    // thread and the journal's folder (`audit_journal`, which does the same) are the file's
    // only writers, so that checkpoint always catches up and the next commit restarts the
    // log. With it off, the passive checkpointer (`fast`) never caught up with a writer
    // committing all the time, the log was never restarted, and it grew to 1.9 GB in a
    // minute of load, slowing every read and write of the file.
    let conn = connect(path, busy_timeout)?;
    std::thread::Builder::new()
        .name("ogw-audit".into())
        .spawn(move || {
            let mut conn = conn;
            let mut batch = Vec::with_capacity(crate::AUDIT_BATCH);
            while let Some(job) = rx.blocking_recv() {
                batch.push(job);
                while batch.len() < crate::AUDIT_BATCH {
                    match rx.try_recv() {
                        Ok(job) => batch.push(job),
                        Err(_) => break,
                    }
                }
                match insert_events(&mut conn, batch.iter().map(|(e, _)| e)) {
                    Ok(ids) => {
                        for ((_, reply), id) in batch.drain(..).zip(ids) {
                            let _ = reply.send(Ok(id));
                        }
                    }
                    // One bad event must not fail its neighbours: retry alone.
                    Err(_) => {
                        for (event, reply) in batch.drain(..) {
                            let one = insert_events(&mut conn, std::iter::once(&event));
                            let _ = reply.send(one.map(|ids| ids.first().copied().unwrap_or(0)));
                        }
                    }
                }
            }
        })
        .map_err(|e| StoreError::Backend(format!("starting the audit writer: {e}")))?;
    Ok(())
}

/// Inserts `events` in one transaction; returns their ids in order.
fn insert_events<'a>(
    conn: &mut Connection,
    events: impl Iterator<Item = &'a ogw_core::store::AuditEvent>,
) -> StoreResult<Vec<i64>> {
    let tx = conn.transaction().map_err(backend)?;
    let mut ids = Vec::new();
    {
        let mut stmt = tx.prepare_cached(crate::AUDIT_INSERT).map_err(backend)?;
        for event in events {
            bind(&mut stmt, &crate::rows::audit_args(event)?).map_err(backend)?;
            let mut rows = stmt.raw_query();
            let id: i64 = match rows.next().map_err(backend)? {
                Some(row) => row.get(0).map_err(backend)?,
                None => return Err(StoreError::Backend("audit insert returned no id".into())),
            };
            ids.push(id);
        }
    }
    tx.commit().map_err(backend)?;
    Ok(ids)
}
