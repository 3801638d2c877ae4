//! SQLite and PostgreSQL implementations of [`ogw_core::store::Store`].
//!
//! One body of SQL serves both databases. The schema uses portable column types only
//! (TEXT; BIGINT/INTEGER for numbers and for timestamps as unix milliseconds; JSON as TEXT;
//! booleans as 0/1), statements use `$N` placeholders, which SQLite accepts as named
//! parameters, and `ON CONFLICT` / `RETURNING`, which both support. `sql_store!` below expands
//! the whole `Store` implementation once per backend; the per-backend differences live in the
//! two migration directories and in [`open`].
//!
//! Rows decode into the raw structs of `rows` and then parse into domain types, so a value
//! the domain rejects surfaces as [`StoreError::Corrupt`] instead of travelling on.
mod audit_file;
mod cache;
mod facts;
mod fast;
#[macro_use]
mod rows;
#[macro_use]
mod network;
mod audit_journal;
mod audit_sink;
mod prefetch;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use ogw_core::store::{Store, StoreError, StoreResult};
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Arguments, Database, Encode, Type};

use rows::Val;

static SQLITE_MIGRATOR: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATOR: Migrator = sqlx::migrate!("migrations/postgres");

/// Connections per pool. A SQLite file in WAL mode serves concurrent readers and one writer at
/// a time (others wait up to `SQLITE_BUSY_TIMEOUT`).
const SQLITE_MAX_CONNECTIONS: u32 = 8;
const POSTGRES_MAX_CONNECTIONS: u32 = 10;
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Audit events queued for the writer task before callers wait, and written per transaction.
const AUDIT_QUEUE: usize = 4096;
const AUDIT_BATCH: usize = 256;
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// Opens the store named by `url`: `sqlite://path/to/file.db` (file created if missing, parent
/// dir created too) or `postgres://…`. Does not migrate: call [`Store::migrate`] next.
///
/// PostgreSQL URLs take libpq-style parameters, e.g. `?options=-csearch_path%3Dmyschema`.
/// In-memory SQLite is refused: the pool holds several connections, each would see its own
/// empty database.
pub async fn open(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(open_sqlite(url).await?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(open_postgres(url).await?))
    } else {
        // The URL is not echoed: it may carry a password.
        Err(StoreError::Backend(
            "unsupported store URL: expected sqlite://… or postgres://…".into(),
        ))
    }
}

async fn open_sqlite(url: &str) -> StoreResult<sqlite::SqliteStore> {
    open_sqlite_with(url, audit_journal::JournalConfig::default()).await
}

async fn open_sqlite_with(
    url: &str,
    journal: audit_journal::JournalConfig,
) -> StoreResult<sqlite::SqliteStore> {
    if url.contains(":memory:") || url.contains("mode=memory") {
        return Err(StoreError::Backend(
            "in-memory SQLite is not supported: use a file (sqlite://path/to/ogw.db)".into(),
        ));
    }
    let opts = SqliteConnectOptions::from_str(url)
        .map_err(db_err)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(SQLITE_BUSY_TIMEOUT)
        .foreign_keys(true);
    let path = opts.get_filename().to_owned();
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| {
            StoreError::Backend(format!("creating directory {}: {e}", dir.display()))
        })?;
    }
    let pool = SqlitePoolOptions::new()
        .max_connections(SQLITE_MAX_CONNECTIONS)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .connect_with(opts)
        .await
        .map_err(db_err)?;
    let fast = fast::FastReads::open(&path, fast::READERS, SQLITE_BUSY_TIMEOUT)?;
    let facts = Arc::new(facts::Facts::open(
        &path,
        SQLITE_BUSY_TIMEOUT,
        facts::WATCH_EVERY,
    )?);
    let audit_file = audit_file::AuditFile::open(&path, SQLITE_BUSY_TIMEOUT)?;
    let audit = sqlite::AuditWriter::with_consumer(|rx| {
        audit_file::spawn_writer(audit_file.path(), SQLITE_BUSY_TIMEOUT, rx)
    })?;
    let journal = audit_journal::AuditJournal::open(&path, SQLITE_BUSY_TIMEOUT, journal)?;
    tracing::info!(backend = "sqlite", path = %path.display(), "store opened");
    Ok(sqlite::SqliteStore {
        audit,
        pool,
        cache: cache::ReadCache::new(),
        fast: Some(fast),
        write_gate: Some(WriteGate::default()),
        audit_file: Some(audit_file),
        facts: Some(facts),
        journal,
    })
}

async fn open_postgres(url: &str) -> StoreResult<postgres::PgStore> {
    let opts = PgConnectOptions::from_str(url).map_err(db_err)?;
    let pool = PgPoolOptions::new()
        .max_connections(POSTGRES_MAX_CONNECTIONS)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .connect_with(opts)
        .await
        .map_err(db_err)?;
    tracing::info!(backend = "postgres", "store opened");
    Ok(postgres::PgStore {
        audit: postgres::AuditWriter::start(pool.clone()),
        pool,
        cache: cache::ReadCache::new(),
        fast: None,
        write_gate: None,
        audit_file: None,
        facts: None,
        journal: None,
    })
}

/// The one mapping from driver errors to store errors, for both databases.
fn db_err(e: sqlx::Error) -> StoreError {
    match e {
        sqlx::Error::RowNotFound => StoreError::NotFound,
        // A foreign key violation is a conflict with existing (or missing) rows: a tenant that
        // still owns applications or subscribers, a record for an unknown tenant or profile.
        sqlx::Error::Database(d) if d.is_unique_violation() || d.is_foreign_key_violation() => {
            StoreError::Conflict(d.message().to_owned())
        }
        e @ (sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_)) => {
            StoreError::Corrupt(e.to_string())
        }
        e => StoreError::Backend(e.to_string()),
    }
}

/// Binds `$1…$N`.
fn arguments<'q, DB>(vals: Vec<Val>) -> StoreResult<<DB as Database>::Arguments<'q>>
where
    DB: Database,
    Option<String>: Encode<'q, DB> + Type<DB>,
    Option<i64>: Encode<'q, DB> + Type<DB>,
{
    let mut args = <DB as Database>::Arguments::default();
    for v in vals {
        match v {
            Val::Text(s) => args.add(s),
            Val::Int(i) => args.add(i),
        }
        .map_err(|e| StoreError::Backend(format!("binding parameter: {e}")))?;
    }
    Ok(args)
}

/// Updates and deletes of a single keyed row: no row means the key does not exist.
fn one_row(affected: u64) -> StoreResult<()> {
    if affected == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}

/// Page sizes: 0 means the default, anything else is clamped to 1..=1000.
fn page_limit(limit: i64) -> i64 {
    if limit == 0 {
        100
    } else {
        limit.clamp(1, 1000)
    }
}

/// One hot SQLite writer at a time within this process: the protocol's writes on the request
/// path (codes, CIBA requests, jtis, refresh tokens, consents) take turns in FIFO order.
/// SQLite lets one writer in at a time; without the gate, a writer that finds the lock taken
/// backs off in the busy handler for whole milliseconds, which showed as a 50 ms p99 at
/// `/authorize` under load. Other writes (management, other processes such as the CLI) still
/// meet the busy handler, as before.
type WriteGate = std::sync::Arc<tokio::sync::Mutex<()>>;

/// One audit event handed to a store's writer, and where its id (or error) goes once committed.
type AuditJob = (
    ogw_core::store::AuditEvent,
    tokio::sync::oneshot::Sender<StoreResult<i64>>,
);

/// The audit insert, shared by the sqlx writer and SQLite's writer thread.
const AUDIT_INSERT: &str = concat!(
    "INSERT INTO audit_events (",
    audit_cols!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id"
);

/// Expands the `Store` implementation for one sqlx backend, in module `$module`.
macro_rules! sql_store {
    ($module:ident, $store:ident, $db:ty, $backend:literal, $migrator:ident) => {
        mod $module {
            use std::sync::Arc;

            use async_trait::async_trait;
            use ogw_core::domain::*;
            use ogw_core::store::*;
            use sqlx::{Database, Executor, FromRow};

            use crate::rows::*;
            use crate::{arguments, db_err, one_row, page_limit};

            type Db = $db;
            type DbRow = <Db as Database>::Row;

            pub(crate) struct $store {
                pub(crate) pool: sqlx::Pool<Db>,
                pub(crate) cache: crate::cache::ReadCache,
                pub(crate) audit: AuditWriter,
                /// Synchronous readers for the request path (SQLite only, see `fast`).
                pub(crate) fast: Option<crate::fast::FastReads>,
                /// SQLite only: see [`crate::WriteGate`].
                pub(crate) write_gate: Option<crate::WriteGate>,
                /// SQLite only: the audit log's own file (see `audit_file`).
                pub(crate) audit_file: Option<crate::audit_file::AuditFile>,
                /// SQLite only: the request path's facts in memory (see `facts`).
                pub(crate) facts: Option<std::sync::Arc<crate::facts::Facts>>,
                /// SQLite, in the process that owns it: where `append_audits` writes (see
                /// `audit_journal`).
                pub(crate) journal: Option<crate::audit_journal::AuditJournal>,
            }

            impl $store {
                /// Waits for this process's turn to write (SQLite), so that protocol writes
                /// queue behind the audit writer's commit instead of meeting `SQLITE_BUSY`
                /// and sleeping in the busy handler (1, 2, 5, 10… ms).
                async fn write_turn(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
                    match &self.write_gate {
                        Some(gate) => Some(gate.lock().await),
                        None => None,
                    }
                }

                /// After a write to subscribers, SIM changes, consents or revoked tokens has
                /// committed (or failed): the next read of those goes to the database.
                pub(crate) fn facts_changed(&self) {
                    if let Some(facts) = &self.facts {
                        facts.invalidate();
                    }
                }
            }

            use crate::AuditJob;

            /// Group commit of the audit log: callers hand their event to one writer task
            /// and wait for its id; the task writes whatever is queued (up to
            /// `AUDIT_BATCH`) in one transaction. A caller is answered only once its event
            /// is committed, so "nothing disclosed without a trace" holds as with a direct
            /// insert; concurrent calls share one commit instead of queueing on the
            /// database's write lock. The queue is bounded: when it is full, callers wait
            /// (backpressure), nothing is dropped. Events still queued when the store is
            /// dropped are written before the task ends.
            pub(crate) struct AuditWriter {
                tx: tokio::sync::mpsc::Sender<AuditJob>,
            }

            impl AuditWriter {
                /// A writer whose events `consume` commits (SQLite: a thread of its own).
                // Each backend uses one of the two constructors.
                #[allow(dead_code)]
                pub(crate) fn with_consumer(
                    consume: impl FnOnce(tokio::sync::mpsc::Receiver<AuditJob>) -> StoreResult<()>,
                ) -> StoreResult<Self> {
                    let (tx, rx) = tokio::sync::mpsc::channel::<AuditJob>(crate::AUDIT_QUEUE);
                    consume(rx)?;
                    Ok(Self { tx })
                }

                /// A writer task committing through the pool (PostgreSQL).
                #[allow(dead_code)]
                pub(crate) fn start(pool: sqlx::Pool<Db>) -> Self {
                    let (tx, mut rx) = tokio::sync::mpsc::channel::<AuditJob>(crate::AUDIT_QUEUE);
                    tokio::spawn(async move {
                        let mut batch = Vec::with_capacity(crate::AUDIT_BATCH);
                        while rx.recv_many(&mut batch, crate::AUDIT_BATCH).await > 0 {
                            match write_audit_batch(&pool, &batch).await {
                                Ok(ids) => {
                                    for ((_, reply), id) in batch.drain(..).zip(ids) {
                                        let _ = reply.send(Ok(id));
                                    }
                                }
                                // One bad event must not fail its neighbours: retry alone.
                                Err(_) => {
                                    for (e, reply) in batch.drain(..) {
                                        let _ = reply.send(insert_audit(&pool, &e).await);
                                    }
                                }
                            }
                        }
                    });
                    Self { tx }
                }

                async fn append(&self, e: &AuditEvent) -> StoreResult<i64> {
                    let (reply, rx) = tokio::sync::oneshot::channel();
                    let gone = || StoreError::Backend("audit writer stopped".into());
                    self.tx
                        .send((e.clone(), reply))
                        .await
                        .map_err(|_| gone())?;
                    rx.await.map_err(|_| gone())?
                }

                /// Queues all events before waiting, so they share one batch commit.
                async fn append_many(&self, events: Vec<AuditEvent>) -> StoreResult<()> {
                    let gone = || StoreError::Backend("audit writer stopped".into());
                    let mut replies = Vec::with_capacity(events.len());
                    for e in events {
                        let (reply, rx) = tokio::sync::oneshot::channel();
                        self.tx
                            .send((e, reply))
                            .await
                            .map_err(|_| gone())?;
                        replies.push(rx);
                    }
                    for rx in replies {
                        rx.await.map_err(|_| gone())??;
                    }
                    Ok(())
                }
            }

            use crate::AUDIT_INSERT;

            async fn insert_audit(pool: &sqlx::Pool<Db>, e: &AuditEvent) -> StoreResult<i64> {
                scalar_one(pool, AUDIT_INSERT, audit_args(e)?).await
            }

            async fn write_audit_batch(
                pool: &sqlx::Pool<Db>,
                batch: &[AuditJob],
            ) -> StoreResult<Vec<i64>> {
                let mut tx = pool.begin().await.map_err(db_err)?;
                let mut ids = Vec::with_capacity(batch.len());
                for (e, _) in batch {
                    ids.push(scalar_one(&mut *tx, AUDIT_INSERT, audit_args(e)?).await?);
                }
                tx.commit().await.map_err(db_err)?;
                Ok(ids)
            }

            /// Runs a statement; returns the number of rows it affected.
            async fn exec<'e, E>(e: E, sql: &'static str, args: Vec<Val>) -> StoreResult<u64>
            where
                E: Executor<'e, Database = Db>,
            {
                let done = sqlx::query_with(sql, arguments::<Db>(args)?)
                    .execute(e)
                    .await
                    .map_err(db_err)?;
                Ok(done.rows_affected())
            }

            async fn row<'e, R, E>(
                e: E,
                sql: &'static str,
                args: Vec<Val>,
            ) -> StoreResult<Option<R>>
            where
                E: Executor<'e, Database = Db>,
                R: for<'r> FromRow<'r, DbRow> + Send + Unpin,
            {
                sqlx::query_as_with::<Db, R, _>(sql, arguments::<Db>(args)?)
                    .fetch_optional(e)
                    .await
                    .map_err(db_err)
            }

            async fn rows<'e, R, E>(e: E, sql: &'static str, args: Vec<Val>) -> StoreResult<Vec<R>>
            where
                E: Executor<'e, Database = Db>,
                R: for<'r> FromRow<'r, DbRow> + Send + Unpin,
            {
                sqlx::query_as_with::<Db, R, _>(sql, arguments::<Db>(args)?)
                    .fetch_all(e)
                    .await
                    .map_err(db_err)
            }

            /// The first column of the first row, if there is a row.
            async fn scalar<'e, T, E>(
                e: E,
                sql: &'static str,
                args: Vec<Val>,
            ) -> StoreResult<Option<T>>
            where
                E: Executor<'e, Database = Db>,
                (T,): for<'r> FromRow<'r, DbRow>,
                T: Send + Unpin,
            {
                sqlx::query_scalar_with::<Db, T, _>(sql, arguments::<Db>(args)?)
                    .fetch_optional(e)
                    .await
                    .map_err(db_err)
            }

            async fn scalars<'e, T, E>(
                e: E,
                sql: &'static str,
                args: Vec<Val>,
            ) -> StoreResult<Vec<T>>
            where
                E: Executor<'e, Database = Db>,
                (T,): for<'r> FromRow<'r, DbRow>,
                T: Send + Unpin,
            {
                sqlx::query_scalar_with::<Db, T, _>(sql, arguments::<Db>(args)?)
                    .fetch_all(e)
                    .await
                    .map_err(db_err)
            }

            /// A statement that always yields one row (aggregates, `INSERT … RETURNING`).
            async fn scalar_one<'e, T, E>(e: E, sql: &'static str, args: Vec<Val>) -> StoreResult<T>
            where
                E: Executor<'e, Database = Db>,
                (T,): for<'r> FromRow<'r, DbRow>,
                T: Send + Unpin,
            {
                sqlx::query_scalar_with::<Db, T, _>(sql, arguments::<Db>(args)?)
                    .fetch_one(e)
                    .await
                    .map_err(db_err)
            }

            network_sql!($store, $backend);

            #[async_trait]
            impl TenantStore for $store {
                async fn create_tenant(&self, t: &Tenant) -> StoreResult<()> {
                    let sql = concat!(
                        "INSERT INTO tenants (",
                        tenant_cols!(),
                        ") VALUES ($1, $2, $3, $4)"
                    );
                    let r = exec(&self.pool, sql, tenant_args(t)).await.map(drop);
                    self.cache.invalidate();
                    r
                }

                async fn get_tenant(&self, id: &TenantId) -> StoreResult<Option<Tenant>> {
                    let sql = concat!("SELECT ", tenant_cols!(), " FROM tenants WHERE id = $1");
                    if let Some(t) = self.cache.tenant(id.as_str()) {
                        return Ok(Some(t));
                    }
                    let ticket = self.cache.ticket();
                    let t: Option<Tenant> =
                        opt(row::<TenantRow, _>(&self.pool, sql, args![id.as_str()]).await?)?;
                    if let Some(t) = &t {
                        self.cache.put_tenant(ticket, t);
                    }
                    Ok(t)
                }

                async fn list_tenants(&self) -> StoreResult<Vec<Tenant>> {
                    let sql = concat!("SELECT ", tenant_cols!(), " FROM tenants ORDER BY id");
                    all(rows::<TenantRow, _>(&self.pool, sql, args![]).await?)
                }

                /// Updates name and status; `created_at` is immutable.
                async fn update_tenant(&self, t: &Tenant) -> StoreResult<()> {
                    let sql = "UPDATE tenants SET name = $2, status = $3 WHERE id = $1";
                    let r = exec(&self.pool, sql, tenant_args(t)).await;
                    self.cache.invalidate();
                    one_row(r?)
                }

                async fn delete_tenant(&self, id: &TenantId) -> StoreResult<()> {
                    // Tenant-owned data cascades, except applications and subscribers, whose
                    // foreign keys make the delete fail while any are left.
                    let sql = "DELETE FROM tenants WHERE id = $1";
                    let r = exec(&self.pool, sql, args![id.as_str()]).await;
                    self.cache.invalidate();
                    self.facts_changed();
                    match r {
                        Err(StoreError::Conflict(_)) => Err(StoreError::Conflict(format!(
                            "tenant {id} still has applications or subscribers"
                        ))),
                        done => one_row(done?),
                    }
                }

                async fn delete_tenant_cascade(&self, id: &TenantId) -> StoreResult<()> {
                    // Applications and subscribers go first (their foreign keys do not
                    // cascade); everything else cascades with the tenant row. The audit trail
                    // has no foreign key and stays.
                    let mut tx = self.pool.begin().await.map_err(db_err)?;
                    let owned = [
                        "DELETE FROM applications WHERE tenant_id = $1",
                        "DELETE FROM subscribers WHERE tenant_id = $1",
                    ];
                    for sql in owned {
                        exec(&mut *tx, sql, args![id.as_str()]).await?;
                    }
                    let sql = "DELETE FROM tenants WHERE id = $1";
                    one_row(exec(&mut *tx, sql, args![id.as_str()]).await?)?;
                    let r = tx.commit().await.map_err(db_err);
                    self.cache.invalidate();
                    self.facts_changed();
                    r
                }
            }

            #[async_trait]
            impl ApplicationStore for $store {
                async fn create_application(&self, a: &Application) -> StoreResult<()> {
                    let sql = concat!(
                        "INSERT INTO applications (",
                        application_cols!(),
                        ") VALUES \
                         ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
                    );
                    let r = exec(&self.pool, sql, application_args(a)?).await.map(drop);
                    self.cache.invalidate();
                    r
                }

                async fn find_application(
                    &self,
                    client_id: &ClientId,
                ) -> StoreResult<Option<Arc<Application>>> {
                    let sql = concat!(
                        "SELECT ",
                        application_cols!(),
                        " FROM applications WHERE client_id = $1"
                    );
                    if let Some(a) = self.cache.app(client_id.as_str()) {
                        return Ok(Some(a));
                    }
                    let ticket = self.cache.ticket();
                    let a: Option<Application> = opt(row::<ApplicationRow, _>(
                        &self.pool,
                        sql,
                        args![client_id.as_str()],
                    )
                    .await?)?;
                    let a = a.map(Arc::new);
                    if let Some(a) = &a {
                        self.cache.put_app(ticket, a);
                    }
                    Ok(a)
                }

                async fn list_applications(
                    &self,
                    tenant: &TenantId,
                ) -> StoreResult<Vec<Application>> {
                    let sql = concat!(
                        "SELECT ",
                        application_cols!(),
                        " FROM applications \
                         WHERE tenant_id = $1 ORDER BY client_id"
                    );
                    all(rows::<ApplicationRow, _>(&self.pool, sql, args![tenant.as_str()]).await?)
                }

                /// Updates everything but the keys and `created_at`.
                async fn update_application(&self, a: &Application) -> StoreResult<()> {
                    let sql = "UPDATE applications SET name = $3, secret_hash = $4, \
                               auth_methods = $5, public_key_pem = $6, jwks = $7, \
                               redirect_uris = $8, grant_types = $9, allowed_scopes = $10, \
                               allowed_purposes = $11, require_pkce = $12, status = $13, \
                               dpop_bound_access_tokens = $15 \
                               WHERE client_id = $1 AND tenant_id = $2";
                    let r = exec(&self.pool, sql, application_args(a)?).await;
                    self.cache.invalidate();
                    one_row(r?)
                }

                async fn delete_application(
                    &self,
                    tenant: &TenantId,
                    client_id: &ClientId,
                ) -> StoreResult<()> {
                    let sql = "DELETE FROM applications WHERE tenant_id = $1 AND client_id = $2";
                    let args = args![tenant.as_str(), client_id.as_str()];
                    let r = exec(&self.pool, sql, args).await;
                    self.cache.invalidate();
                    one_row(r?)
                }
            }

            #[async_trait]
            impl CapabilityStore for $store {
                async fn upsert_capability(&self, c: &Capability) -> StoreResult<()> {
                    let sql = concat!(
                        "INSERT INTO capabilities (",
                        capability_cols!(),
                        ") VALUES \
                         ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (tenant_id, id) DO UPDATE \
                         SET api_name = excluded.api_name, version = excluded.version, \
                         base_path = excluded.base_path, scopes = excluded.scopes, \
                         purposes = excluded.purposes, status = excluded.status"
                    );
                    let r = exec(&self.pool, sql, capability_args(c)?).await.map(drop);
                    self.cache.invalidate();
                    r
                }

                async fn get_capability(
                    &self,
                    tenant: &TenantId,
                    id: &CapabilityId,
                ) -> StoreResult<Option<Capability>> {
                    let sql = concat!(
                        "SELECT ",
                        capability_cols!(),
                        " FROM capabilities \
                         WHERE tenant_id = $1 AND id = $2"
                    );
                    let args = args![tenant.as_str(), id.as_str()];
                    opt(row::<CapabilityRow, _>(&self.pool, sql, args).await?)
                }

                async fn list_capabilities(
                    &self,
                    tenant: &TenantId,
                ) -> StoreResult<Arc<[Capability]>> {
                    let sql = concat!(
                        "SELECT ",
                        capability_cols!(),
                        " FROM capabilities \
                         WHERE tenant_id = $1 ORDER BY id"
                    );
                    if let Some(c) = self.cache.catalog(tenant.as_str()) {
                        return Ok(c);
                    }
                    let ticket = self.cache.ticket();
                    let c: Vec<Capability> = all(
                        rows::<CapabilityRow, _>(&self.pool, sql, args![tenant.as_str()]).await?,
                    )?;
                    let c: Arc<[Capability]> = c.into();
                    self.cache.put_catalog(ticket, tenant.as_str(), &c);
                    Ok(c)
                }

                async fn delete_capability(
                    &self,
                    tenant: &TenantId,
                    id: &CapabilityId,
                ) -> StoreResult<()> {
                    let sql = "DELETE FROM capabilities WHERE tenant_id = $1 AND id = $2";
                    let r = exec(&self.pool, sql, args![tenant.as_str(), id.as_str()]).await;
                    self.cache.invalidate();
                    one_row(r?)
                }
            }

            #[async_trait]
            impl SubscriberStore for $store {
                /// Keyed by MSISDN; `Conflict` when the subscriber id belongs to another MSISDN.
                async fn upsert_subscriber(&self, s: &Subscriber) -> StoreResult<()> {
                    let sql = concat!(
                        "INSERT INTO subscribers (",
                        subscriber_cols!(),
                        ") VALUES \
                         ($1, $2, $3, $4, $5) ON CONFLICT (tenant_id, msisdn) DO UPDATE \
                         SET subscriber_id = excluded.subscriber_id, \
                         sim_activated_at = excluded.sim_activated_at, imsi = excluded.imsi"
                    );
                    let r = exec(&self.pool, sql, subscriber_args(s)).await.map(drop);
                    self.facts_changed();
                    r
                }

                async fn get_subscriber(
                    &self,
                    tenant: &TenantId,
                    msisdn: &PhoneNumber,
                ) -> StoreResult<Option<Subscriber>> {
                    let sql = crate::prefetch::SUBSCRIBER_BY_MSISDN;
                    // Built only when the database is asked: a cached answer needs no parameters.
                    let args = || args![tenant.as_str(), msisdn.as_str()];
                    if let (Some(facts), Some(fast)) = (&self.facts, &self.fast) {
                        let key = crate::prefetch::line_key(tenant, msisdn);
                        return facts.subscriber(key, || opt(fast.row::<SubscriberRow>(sql, args())?));
                    }
                    opt(row::<SubscriberRow, _>(&self.pool, sql, args()).await?)
                }

                async fn get_subscriber_by_id(
                    &self,
                    tenant: &TenantId,
                    id: &SubscriberId,
                ) -> StoreResult<Option<Subscriber>> {
                    let sql = concat!(
                        "SELECT ",
                        subscriber_cols!(),
                        " FROM subscribers \
                         WHERE tenant_id = $1 AND subscriber_id = $2"
                    );
                    let args = args![tenant.as_str(), id.as_str()];
                    opt(row::<SubscriberRow, _>(&self.pool, sql, args).await?)
                }

                /// `limit` 0 means 100; otherwise clamped to 1..=1000.
                async fn list_subscribers(
                    &self,
                    tenant: &TenantId,
                    after: Option<&PhoneNumber>,
                    limit: i64,
                ) -> StoreResult<Vec<Subscriber>> {
                    let sql = concat!(
                        "SELECT ",
                        subscriber_cols!(),
                        " FROM subscribers \
                         WHERE tenant_id = $1 AND ($2 IS NULL OR msisdn > $2) \
                         ORDER BY msisdn LIMIT $3"
                    );
                    let args = args![
                        tenant.as_str(),
                        after.map(PhoneNumber::as_str),
                        page_limit(limit)
                    ];
                    all(rows::<SubscriberRow, _>(&self.pool, sql, args).await?)
                }

                async fn count_subscribers(&self, tenant: &TenantId) -> StoreResult<i64> {
                    let sql = "SELECT COUNT(*) FROM subscribers WHERE tenant_id = $1";
                    scalar_one(&self.pool, sql, args![tenant.as_str()]).await
                }

                async fn record_sim_change(&self, c: &SimChange) -> StoreResult<bool> {
                    let sql = concat!(
                        "INSERT INTO sim_changes (",
                        sim_change_cols!(),
                        ") VALUES \
                         ($1, $2, $3, $4, $5) ON CONFLICT (tenant_id, event_id) DO NOTHING"
                    );
                    let r = exec(&self.pool, sql, sim_change_args(c)).await;
                    self.facts_changed();
                    Ok(r? == 1)
                }

                async fn latest_sim_change(
                    &self,
                    tenant: &TenantId,
                    msisdn: &PhoneNumber,
                ) -> StoreResult<Option<Timestamp>> {
                    let sql = crate::prefetch::LATEST_SIM_CHANGE;
                    // Built only when the database is asked: a cached answer needs no parameters.
                    let args = || args![tenant.as_str(), msisdn.as_str()];
                    if let (Some(facts), Some(fast)) = (&self.facts, &self.fast) {
                        let key = crate::prefetch::line_key(tenant, msisdn);
                        return facts.latest_sim_change(key, || {
                            opt_ts(fast.scalar_one::<Option<i64>>(sql, args())?)
                        });
                    }
                    opt_ts(scalar_one::<Option<i64>, _>(&self.pool, sql, args()).await?)
                }

                async fn prefetch_line(
                    &self,
                    tenant: &TenantId,
                    msisdn: &PhoneNumber,
                    client_id: &ClientId,
                    purposes: &[Purpose],
                ) -> StoreResult<()> {
                    match (&self.facts, &self.fast) {
                        (Some(facts), Some(fast)) => {
                            crate::prefetch::line(facts, fast, tenant, msisdn, client_id, purposes)
                        }
                        _ => Ok(()),
                    }
                }

                /// Keeps the original `started_at` of a known session.
                async fn upsert_ip_session(&self, s: &IpSession) -> StoreResult<()> {
                    let sql = concat!(
                        "INSERT INTO ip_sessions (",
                        session_cols!(),
                        ") VALUES \
                         ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (tenant_id, session_id) \
                         DO UPDATE SET ip = excluded.ip, msisdn = excluded.msisdn, \
                         last_seen_at = excluded.last_seen_at, ended_at = excluded.ended_at"
                    );
                    exec(&self.pool, sql, session_args(s)).await.map(drop)
                }

                /// False when the session is unknown or already ended.
                async fn end_ip_session(
                    &self,
                    tenant: &TenantId,
                    session_id: &str,
                    at: Timestamp,
                ) -> StoreResult<bool> {
                    let sql = "UPDATE ip_sessions SET ended_at = $3 \
                               WHERE tenant_id = $1 AND session_id = $2 AND ended_at IS NULL";
                    let args = args![tenant.as_str(), session_id, &at];
                    Ok(exec(&self.pool, sql, args).await? > 0)
                }

                async fn find_active_session(
                    &self,
                    tenant: &TenantId,
                    ip: std::net::IpAddr,
                    seen_since: Timestamp,
                ) -> StoreResult<Option<IpSession>> {
                    let sql = concat!(
                        "SELECT ",
                        session_cols!(),
                        " FROM ip_sessions \
                         WHERE tenant_id = $1 AND ip IN ($2, $4) AND ended_at IS NULL \
                         AND last_seen_at >= $3 ORDER BY last_seen_at DESC, session_id LIMIT 1"
                    );
                    // An IPv6 device also matches the session of its /64 (RADIUS prefixes).
                    let net = ogw_core::network::ipv6_lookup_key(ip).unwrap_or(ip);
                    let args = args![tenant.as_str(), ip.to_string(), &seen_since, net.to_string()];
                    if let Some(fast) = &self.fast {
                        return opt(fast.row::<IpSessionRow>(sql, args)?);
                    }
                    opt(row::<IpSessionRow, _>(&self.pool, sql, args).await?)
                }

                /// Most recently seen first.
                async fn list_active_sessions(
                    &self,
                    tenant: &TenantId,
                    seen_since: Timestamp,
                ) -> StoreResult<Vec<IpSession>> {
                    let sql = concat!(
                        "SELECT ",
                        session_cols!(),
                        " FROM ip_sessions \
                         WHERE tenant_id = $1 AND ended_at IS NULL AND last_seen_at >= $2 \
                         ORDER BY last_seen_at DESC, session_id"
                    );
                    let args = args![tenant.as_str(), &seen_since];
                    all(rows::<IpSessionRow, _>(&self.pool, sql, args).await?)
                }

                async fn begin_network(&self) -> StoreResult<Box<dyn NetworkTx>> {
                    self.begin_network_tx().await
                }
            }

            #[async_trait]
            impl ViewStore for $store {
                async fn put_view(&self, v: &ConsentViewRecord) -> StoreResult<()> {
                    let sql = concat!(
                        "INSERT INTO consent_views (",
                        view_cols!(),
                        ") VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant_id, id) DO UPDATE \
                         SET purpose = excluded.purpose, client_id = excluded.client_id, \
                         body = excluded.body, updated_at = excluded.updated_at"
                    );
                    exec(&self.pool, sql, view_args(v)?).await.map(drop)
                }

                async fn get_view(
                    &self,
                    tenant: &TenantId,
                    id: &str,
                ) -> StoreResult<Option<ConsentViewRecord>> {
                    let sql = concat!(
                        "SELECT ",
                        view_cols!(),
                        " FROM consent_views WHERE tenant_id = $1 AND id = $2"
                    );
                    opt(row::<ViewRow, _>(&self.pool, sql, args![tenant.as_str(), id]).await?)
                }

                async fn list_views(
                    &self,
                    tenant: &TenantId,
                ) -> StoreResult<Vec<ConsentViewRecord>> {
                    let sql = concat!(
                        "SELECT ",
                        view_cols!(),
                        " FROM consent_views WHERE tenant_id = $1 ORDER BY id"
                    );
                    all(rows::<ViewRow, _>(&self.pool, sql, args![tenant.as_str()]).await?)
                }

                async fn delete_view(&self, tenant: &TenantId, id: &str) -> StoreResult<()> {
                    let sql = "DELETE FROM consent_views WHERE tenant_id = $1 AND id = $2";
                    one_row(exec(&self.pool, sql, args![tenant.as_str(), id]).await?)
                }
            }

            #[async_trait]
            impl QosStore for $store {
                async fn upsert_qos_profile(&self, p: &QosProfileRecord) -> StoreResult<()> {
                    let sql = concat!(
                        "INSERT INTO qos_profiles (",
                        qos_profile_cols!(),
                        ") VALUES \
                         ($1, $2, $3, $4) ON CONFLICT (tenant_id, name) DO UPDATE \
                         SET status = excluded.status, body = excluded.body"
                    );
                    exec(&self.pool, sql, qos_profile_args(p)?).await.map(drop)
                }

                async fn get_qos_profile(
                    &self,
                    tenant: &TenantId,
                    name: &str,
                ) -> StoreResult<Option<QosProfileRecord>> {
                    let sql = concat!(
                        "SELECT ",
                        qos_profile_cols!(),
                        " FROM qos_profiles \
                         WHERE tenant_id = $1 AND name = $2"
                    );
                    opt(
                        row::<QosProfileRow, _>(&self.pool, sql, args![tenant.as_str(), name])
                            .await?,
                    )
                }

                async fn list_qos_profiles(
                    &self,
                    tenant: &TenantId,
                ) -> StoreResult<Vec<QosProfileRecord>> {
                    let sql = concat!(
                        "SELECT ",
                        qos_profile_cols!(),
                        " FROM qos_profiles \
                         WHERE tenant_id = $1 ORDER BY name"
                    );
                    all(rows::<QosProfileRow, _>(&self.pool, sql, args![tenant.as_str()]).await?)
                }

                /// `Conflict` when the profile does not exist.
                async fn set_qos_availability(
                    &self,
                    tenant: &TenantId,
                    profile: &str,
                    msisdn: &PhoneNumber,
                    available: bool,
                ) -> StoreResult<()> {
                    let sql =
                        "INSERT INTO qos_availability (tenant_id, profile, msisdn, available) \
                               VALUES ($1, $2, $3, $4) ON CONFLICT (tenant_id, msisdn, profile) \
                               DO UPDATE SET available = excluded.available";
                    let args = args![tenant.as_str(), profile, msisdn.as_str(), available];
                    exec(&self.pool, sql, args).await.map(drop)
                }

                /// Sorted by name.
                async fn qos_profiles_for(
                    &self,
                    tenant: &TenantId,
                    msisdn: &PhoneNumber,
                ) -> StoreResult<Vec<String>> {
                    let sql = "SELECT profile FROM qos_availability \
                               WHERE tenant_id = $1 AND msisdn = $2 AND available = $3 \
                               ORDER BY profile";
                    scalars(
                        &self.pool,
                        sql,
                        args![tenant.as_str(), msisdn.as_str(), true],
                    )
                    .await
                }
            }

            #[async_trait]
            impl ConsentStore for $store {
                async fn get_consent(
                    &self,
                    tenant: &TenantId,
                    msisdn: &PhoneNumber,
                    client_id: &ClientId,
                    purpose: &Purpose,
                ) -> StoreResult<Option<Consent>> {
                    let sql = crate::prefetch::CONSENT_BY_KEY;
                    // Built only when the database is asked: a cached answer needs no parameters.
                    let args = || args![
                        tenant.as_str(),
                        msisdn.as_str(),
                        client_id.as_str(),
                        purpose.as_str()
                    ];
                    if let (Some(facts), Some(fast)) = (&self.facts, &self.fast) {
                        let key = crate::prefetch::consent_key(tenant, msisdn, client_id, purpose);
                        return facts.consent(key, || opt(fast.row::<ConsentRow>(sql, args())?));
                    }
                    opt(row::<ConsentRow, _>(&self.pool, sql, args()).await?)
                }

                async fn put_consent(
                    &self,
                    c: &Consent,
                    actor: &str,
                    reason: &str,
                ) -> StoreResult<i64> {
                    let _turn = self.write_turn().await;
                    let upsert = concat!(
                        "INSERT INTO consents (",
                        consent_cols!(),
                        ") VALUES \
                         ($1, $2, $3, $4, $5, $6, $7, $8) \
                         ON CONFLICT (tenant_id, msisdn, client_id, purpose) DO UPDATE \
                         SET scopes = excluded.scopes, status = excluded.status, \
                         updated_at = excluded.updated_at, expires_at = excluded.expires_at"
                    );
                    let append = concat!(
                        "INSERT INTO consent_events (",
                        consent_event_cols!(),
                        ") VALUES \
                         ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id"
                    );
                    // Both statements write, so on SQLite the transaction takes the write lock
                    // at its first statement and never has to upgrade a read snapshot.
                    let mut tx = self.pool.begin().await.map_err(db_err)?;
                    exec(&mut *tx, upsert, consent_args(c)?).await?;
                    let id =
                        scalar_one(&mut *tx, append, consent_event_args(c, actor, reason)).await?;
                    let r = tx.commit().await.map_err(db_err);
                    self.facts_changed();
                    r.map(|()| id)
                }

                async fn list_consents_by_subscriber(
                    &self,
                    tenant: &TenantId,
                    msisdn: &PhoneNumber,
                ) -> StoreResult<Vec<Consent>> {
                    let sql = concat!(
                        "SELECT ",
                        consent_cols!(),
                        " FROM consents \
                         WHERE tenant_id = $1 AND msisdn = $2 ORDER BY client_id, purpose"
                    );
                    let args = args![tenant.as_str(), msisdn.as_str()];
                    all(rows::<ConsentRow, _>(&self.pool, sql, args).await?)
                }

                async fn list_consents_by_client(
                    &self,
                    tenant: &TenantId,
                    client_id: &ClientId,
                ) -> StoreResult<Vec<Consent>> {
                    let sql = concat!(
                        "SELECT ",
                        consent_cols!(),
                        " FROM consents \
                         WHERE tenant_id = $1 AND client_id = $2 ORDER BY msisdn, purpose"
                    );
                    let args = args![tenant.as_str(), client_id.as_str()];
                    all(rows::<ConsentRow, _>(&self.pool, sql, args).await?)
                }

                /// Oldest first.
                async fn consent_history(
                    &self,
                    tenant: &TenantId,
                    msisdn: &PhoneNumber,
                    client_id: &ClientId,
                    purpose: &Purpose,
                ) -> StoreResult<Vec<ConsentEvent>> {
                    let sql = concat!(
                        "SELECT id, ",
                        consent_event_cols!(),
                        " FROM consent_events \
                         WHERE tenant_id = $1 AND msisdn = $2 AND client_id = $3 \
                         AND purpose = $4 ORDER BY id"
                    );
                    let args = args![
                        tenant.as_str(),
                        msisdn.as_str(),
                        client_id.as_str(),
                        purpose.as_str()
                    ];
                    all(rows::<ConsentEventRow, _>(&self.pool, sql, args).await?)
                }
            }

            #[async_trait]
            impl GrantStore for $store {
                async fn insert_code(&self, c: &AuthCode) -> StoreResult<()> {
                    let _turn = self.write_turn().await;
                    let sql = concat!(
                        "INSERT INTO auth_codes (",
                        code_cols!(),
                        ") VALUES \
                         ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
                    );
                    exec(&self.pool, sql, code_args(c)?).await.map(drop)
                }

                async fn consume_code(
                    &self,
                    tenant: &TenantId,
                    code_hash: &str,
                    now: Timestamp,
                ) -> StoreResult<Option<AuthCode>> {
                    let _turn = self.write_turn().await;
                    let sql = concat!(
                        "UPDATE auth_codes SET consumed_at = $3 \
                         WHERE tenant_id = $1 AND code_hash = $2 AND consumed_at IS NULL \
                         AND expires_at > $3 RETURNING ",
                        code_cols!()
                    );
                    let args = args![tenant.as_str(), code_hash, &now];
                    opt(row::<AuthCodeRow, _>(&self.pool, sql, args).await?)
                }

                async fn get_code(
                    &self,
                    tenant: &TenantId,
                    code_hash: &str,
                ) -> StoreResult<Option<AuthCode>> {
                    let sql = concat!(
                        "SELECT ",
                        code_cols!(),
                        " FROM auth_codes \
                         WHERE tenant_id = $1 AND code_hash = $2"
                    );
                    opt(
                        row::<AuthCodeRow, _>(&self.pool, sql, args![tenant.as_str(), code_hash])
                            .await?,
                    )
                }

                async fn set_code_issued_jti(
                    &self,
                    tenant: &TenantId,
                    code_hash: &str,
                    jti: &str,
                ) -> StoreResult<()> {
                    let _turn = self.write_turn().await;
                    let sql = "UPDATE auth_codes SET issued_jti = $3 \
                               WHERE tenant_id = $1 AND code_hash = $2";
                    one_row(exec(&self.pool, sql, args![tenant.as_str(), code_hash, jti]).await?)
                }

                async fn insert_ciba(&self, r: &CibaRequest) -> StoreResult<()> {
                    let _turn = self.write_turn().await;
                    let sql = concat!(
                        "INSERT INTO ciba_requests (",
                        ciba_cols!(),
                        ") VALUES \
                         ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
                    );
                    exec(&self.pool, sql, ciba_args(r)?).await.map(drop)
                }

                async fn get_ciba(
                    &self,
                    tenant: &TenantId,
                    id_hash: &str,
                ) -> StoreResult<Option<CibaRequest>> {
                    let sql = concat!(
                        "SELECT ",
                        ciba_cols!(),
                        " FROM ciba_requests \
                         WHERE tenant_id = $1 AND id_hash = $2"
                    );
                    opt(row::<CibaRow, _>(&self.pool, sql, args![tenant.as_str(), id_hash]).await?)
                }

                /// `NotFound` for an unknown request.
                async fn touch_ciba_poll(
                    &self,
                    tenant: &TenantId,
                    id_hash: &str,
                    now: Timestamp,
                ) -> StoreResult<Option<Timestamp>> {
                    let _turn = self.write_turn().await;
                    // SET right-hand sides read the old row on both databases, so one atomic
                    // statement shifts the last poll into prev_polled_at and returns it.
                    let sql = "UPDATE ciba_requests \
                               SET prev_polled_at = last_polled_at, last_polled_at = $3 \
                               WHERE tenant_id = $1 AND id_hash = $2 RETURNING prev_polled_at";
                    let args = args![tenant.as_str(), id_hash, &now];
                    match scalar::<Option<i64>, _>(&self.pool, sql, args).await? {
                        Some(previous) => opt_ts(previous),
                        None => Err(StoreError::NotFound),
                    }
                }

                async fn set_ciba_status(
                    &self,
                    tenant: &TenantId,
                    id_hash: &str,
                    status: CibaStatus,
                ) -> StoreResult<()> {
                    let _turn = self.write_turn().await;
                    let sql = "UPDATE ciba_requests SET status = $3 \
                               WHERE tenant_id = $1 AND id_hash = $2";
                    let args = args![tenant.as_str(), id_hash, status.as_str()];
                    one_row(exec(&self.pool, sql, args).await?)
                }

                async fn consume_ciba(
                    &self,
                    tenant: &TenantId,
                    id_hash: &str,
                    now: Timestamp,
                ) -> StoreResult<Option<CibaRequest>> {
                    let _turn = self.write_turn().await;
                    let sql = concat!(
                        "UPDATE ciba_requests SET consumed_at = $3 \
                         WHERE tenant_id = $1 AND id_hash = $2 AND status = $4 \
                         AND consumed_at IS NULL AND expires_at > $3 RETURNING ",
                        ciba_cols!()
                    );
                    let args = args![
                        tenant.as_str(),
                        id_hash,
                        &now,
                        CibaStatus::Approved.as_str()
                    ];
                    opt(row::<CibaRow, _>(&self.pool, sql, args).await?)
                }

                /// Revoking twice keeps the later expiry.
                async fn revoke_jti(
                    &self,
                    tenant: &TenantId,
                    jti: &str,
                    expires_at: Timestamp,
                ) -> StoreResult<()> {
                    let _turn = self.write_turn().await;
                    let sql = "INSERT INTO revoked_tokens (tenant_id, jti, expires_at) \
                               VALUES ($1, $2, $3) ON CONFLICT (tenant_id, jti) DO UPDATE \
                               SET expires_at = CASE WHEN excluded.expires_at > \
                               revoked_tokens.expires_at THEN excluded.expires_at \
                               ELSE revoked_tokens.expires_at END";
                    let args = args![tenant.as_str(), jti, &expires_at];
                    let r = exec(&self.pool, sql, args).await.map(drop);
                    self.facts_changed();
                    r
                }

                async fn is_jti_revoked(&self, tenant: &TenantId, jti: &str) -> StoreResult<bool> {
                    let sql =
                        "SELECT COUNT(*) FROM revoked_tokens WHERE tenant_id = $1 AND jti = $2";
                    // Built only when the database is asked: a cached answer needs no parameters.
                    let args = || args![tenant.as_str(), jti];
                    if let (Some(facts), Some(fast)) = (&self.facts, &self.fast) {
                        let key = crate::facts::key(&[tenant.as_str(), jti]);
                        return facts.revoked(key, || Ok(fast.scalar_one::<i64>(sql, args())? > 0));
                    }
                    Ok(scalar_one::<i64, _>(&self.pool, sql, args()).await? > 0)
                }

                async fn use_jti_once(
                    &self,
                    tenant: &TenantId,
                    namespace: &str,
                    jti: &str,
                    expires_at: Timestamp,
                ) -> StoreResult<bool> {
                    let _turn = self.write_turn().await;
                    let sql = "INSERT INTO used_jtis (tenant_id, namespace, jti, expires_at) \
                               VALUES ($1, $2, $3, $4) \
                               ON CONFLICT (tenant_id, namespace, jti) DO NOTHING";
                    let args = args![tenant.as_str(), namespace, jti, &expires_at];
                    Ok(exec(&self.pool, sql, args).await? == 1)
                }

                async fn insert_refresh(&self, r: &RefreshToken) -> StoreResult<()> {
                    let _turn = self.write_turn().await;
                    let sql = concat!(
                        "INSERT INTO refresh_tokens (",
                        refresh_cols!(),
                        ") VALUES \
                         ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
                    );
                    exec(&self.pool, sql, refresh_args(r)?).await.map(drop)
                }

                async fn rotate_refresh(
                    &self,
                    tenant: &TenantId,
                    token_hash: &str,
                    now: Timestamp,
                ) -> StoreResult<Option<RefreshToken>> {
                    let _turn = self.write_turn().await;
                    let sql = concat!(
                        "UPDATE refresh_tokens SET used_at = $3 \
                         WHERE tenant_id = $1 AND token_hash = $2 AND used_at IS NULL \
                         AND revoked_at IS NULL AND expires_at > $3 RETURNING ",
                        refresh_cols!()
                    );
                    let args = args![tenant.as_str(), token_hash, &now];
                    opt(row::<RefreshRow, _>(&self.pool, sql, args).await?)
                }

                async fn get_refresh(
                    &self,
                    tenant: &TenantId,
                    token_hash: &str,
                ) -> StoreResult<Option<RefreshToken>> {
                    let sql = concat!(
                        "SELECT ",
                        refresh_cols!(),
                        " FROM refresh_tokens WHERE tenant_id = $1 AND token_hash = $2"
                    );
                    let args = args![tenant.as_str(), token_hash];
                    opt(row::<RefreshRow, _>(&self.pool, sql, args).await?)
                }

                async fn revoke_refresh_family(
                    &self,
                    tenant: &TenantId,
                    family_id: &str,
                    now: Timestamp,
                ) -> StoreResult<u64> {
                    let _turn = self.write_turn().await;
                    let sql = "UPDATE refresh_tokens SET revoked_at = $3 \
                               WHERE tenant_id = $1 AND family_id = $2 AND revoked_at IS NULL";
                    exec(&self.pool, sql, args![tenant.as_str(), family_id, &now]).await
                }

                /// Expired means `expires_at <= now`, matching the `expires_at > now` of the
                /// consume statements.
                async fn purge_expired(&self, now: Timestamp) -> StoreResult<u64> {
                    let purge = async {
                        let mut purged = 0;
                        for sql in [
                            "DELETE FROM auth_codes WHERE expires_at <= $1",
                            "DELETE FROM ciba_requests WHERE expires_at <= $1",
                            "DELETE FROM revoked_tokens WHERE expires_at <= $1",
                            "DELETE FROM used_jtis WHERE expires_at <= $1",
                            "DELETE FROM refresh_tokens WHERE expires_at <= $1",
                        ] {
                            purged += exec(&self.pool, sql, args![&now]).await?;
                        }
                        Ok(purged)
                    }
                    .await;
                    // Expired revocations are gone from `revoked_tokens`.
                    self.facts_changed();
                    purge
                }
            }

            #[async_trait]
            impl KeyStore for $store {
                async fn insert_signing_key(&self, k: &SigningKey) -> StoreResult<()> {
                    let sql = concat!(
                        "INSERT INTO signing_keys (",
                        signing_key_cols!(),
                        ") VALUES \
                         ($1, $2, $3, $4, $5, $6, $7)"
                    );
                    exec(&self.pool, sql, signing_key_args(k)?).await.map(drop)
                }

                async fn list_signing_keys(&self, now: Timestamp) -> StoreResult<Vec<SigningKey>> {
                    let sql = concat!(
                        "SELECT ",
                        signing_key_cols!(),
                        " FROM signing_keys \
                         WHERE publish_until IS NULL OR publish_until > $1 \
                         ORDER BY created_at DESC, kid DESC"
                    );
                    all(rows::<SigningKeyRow, _>(&self.pool, sql, args![&now]).await?)
                }

                async fn retire_signing_key(
                    &self,
                    kid: &str,
                    at: Timestamp,
                    publish_until: Timestamp,
                ) -> StoreResult<()> {
                    let sql = "UPDATE signing_keys SET retired_at = $2, publish_until = $3 \
                               WHERE kid = $1";
                    one_row(exec(&self.pool, sql, args![kid, &at, &publish_until]).await?)
                }
            }

            #[async_trait]
            impl AuditStore for $store {
                /// Ignores `e.id`; returns the id assigned. The writer assigns it: events
                /// still in the journal are folded first, so that ids follow time.
                async fn append_audit(&self, e: &AuditEvent) -> StoreResult<i64> {
                    if let Some(journal) = &self.journal {
                        journal.flush().await?;
                    }
                    self.audit.append(e).await
                }

                async fn append_audits(&self, events: Vec<AuditEvent>) -> StoreResult<()> {
                    if let Some(journal) = &self.journal {
                        return journal.append(&events);
                    }
                    self.audit.append_many(events).await
                }

                /// `limit` 0 means 100; otherwise clamped to 1..=1000. `before_id` pages back.
                async fn list_audit(
                    &self,
                    tenant: &TenantId,
                    filter: &AuditFilter,
                ) -> StoreResult<Vec<AuditEvent>> {
                    // A prefix test by substr, not LIKE, so `_` and `%` in the prefix are literal.
                    let sql = concat!(
                        "SELECT id, ",
                        audit_cols!(),
                        " FROM audit_events WHERE tenant_id = $1 \
                         AND ($2 IS NULL OR substr(action, 1, length($2)) = $2) \
                         AND ($3 IS NULL OR actor = $3) AND ($4 IS NULL OR id < $4) \
                         ORDER BY id DESC LIMIT $5"
                    );
                    let args = args![
                        tenant.as_str(),
                        filter.action_prefix.as_deref(),
                        filter.actor.as_deref(),
                        filter.before_id,
                        page_limit(filter.limit)
                    ];
                    // Read your writes: what this process journalled is in the table first.
                    if let Some(journal) = &self.journal {
                        journal.flush().await?;
                    }
                    if let Some(file) = &self.audit_file {
                        return all(file.rows::<AuditRow>(sql, args)?);
                    }
                    all(rows::<AuditRow, _>(&self.pool, sql, args).await?)
                }
            }

            #[async_trait]
            impl Store for $store {
                async fn migrate(&self) -> StoreResult<()> {
                    crate::$migrator
                        .run(&self.pool)
                        .await
                        .map_err(|e| StoreError::Backend(format!("migration: {e}")))?;
                    if let Some(file) = &self.audit_file {
                        file.adopt(crate::SQLITE_BUSY_TIMEOUT)?;
                    }
                    Ok(())
                }

                async fn ping(&self) -> StoreResult<()> {
                    exec(&self.pool, "SELECT 1", args![]).await.map(drop)
                }

                fn backend(&self) -> &'static str {
                    $backend
                }

                async fn settle(&self) -> StoreResult<()> {
                    if let Some(journal) = &self.journal {
                        journal.settle().await?;
                    }
                    if $backend == "sqlite" {
                        // A multi-GB WAL left by a bulk import would otherwise be copied back
                        // by the server's checkpointer while it serves requests.
                        exec(&self.pool, "PRAGMA wal_checkpoint(TRUNCATE)", args![]).await?;
                    }
                    Ok(())
                }
            }
        }
    };
}

sql_store!(sqlite, SqliteStore, sqlx::Sqlite, "sqlite", SQLITE_MIGRATOR);
sql_store!(
    postgres,
    PgStore,
    sqlx::Postgres,
    "postgres",
    POSTGRES_MIGRATOR
);

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    async fn sqlite_store(dir: &tempfile::TempDir) -> sqlite::SqliteStore {
        open_sqlite(&format!("sqlite://{}/t.db", dir.path().display()))
            .await
            .unwrap()
    }

    /// A migrated store holding tenant `t1`.
    async fn store_with_tenant(
        dir: &tempfile::TempDir,
    ) -> (sqlite::SqliteStore, ogw_core::domain::TenantId) {
        let s = sqlite_store(dir).await;
        s.migrate().await.unwrap();
        sqlx::query(
            "INSERT INTO tenants (id, name, status, created_at) VALUES ('t1', 'T', 'active', 0)",
        )
        .execute(&s.pool)
        .await
        .unwrap();
        (s, ogw_core::domain::TenantId::parse("t1").unwrap())
    }

    /// The synchronous readers bind `$N` by number too, so the shared SQL means the same.
    #[tokio::test]
    async fn fast_reads_bind_dollar_placeholders_by_number() {
        let dir = tempfile::tempdir().unwrap();
        let s = sqlite_store(&dir).await;
        let fast = s.fast.as_ref().unwrap();
        let text: String = fast
            .scalar_one("SELECT $2 || '-' || $1 || '-' || $2", args!["a", "b"])
            .unwrap();
        assert_eq!(text, "b-a-b");
        let missing = fast.scalar_one::<String>("SELECT $1 || $2", args!["only one"]);
        assert!(matches!(missing, Err(StoreError::Backend(_))));
    }

    /// A write committed through the pool is seen by the very next synchronous read.
    #[tokio::test]
    async fn fast_reads_see_pool_writes_at_once() {
        use ogw_core::store::GrantStore;
        let dir = tempfile::tempdir().unwrap();
        let (s, tenant) = store_with_tenant(&dir).await;
        assert!(!s.is_jti_revoked(&tenant, "j1").await.unwrap());
        let exp = chrono::DateTime::from_timestamp(4_000_000_000, 0).unwrap();
        s.revoke_jti(&tenant, "j1", exp).await.unwrap();
        assert!(s.is_jti_revoked(&tenant, "j1").await.unwrap());
    }

    /// The request path's readers must not pin the WAL: with reads and writes interleaved
    /// without pause, the log still restarts instead of growing (a reader that kept its read
    /// transaction between calls once grew it to 591 MB in a minute, bench/PERF.md).
    #[tokio::test]
    async fn interleaved_fast_reads_and_writes_keep_the_wal_bounded() {
        use ogw_core::store::{GrantStore, SubscriberStore};
        let dir = tempfile::tempdir().unwrap();
        let (s, tenant) = store_with_tenant(&dir).await;
        let exp = chrono::DateTime::from_timestamp(4_000_000_000, 0).unwrap();
        let since = chrono::DateTime::from_timestamp(0, 0).unwrap();
        let ip: std::net::IpAddr = "10.0.0.1".parse().unwrap();
        for i in 0..4000 {
            s.revoke_jti(&tenant, &format!("jti-{i:05}"), exp)
                .await
                .unwrap();
            // Not cached in memory: each is a read on the synchronous readers.
            assert!(s
                .find_active_session(&tenant, ip, since)
                .await
                .unwrap()
                .is_none());
        }
        let wal = std::fs::metadata(dir.path().join("t.db-wal"))
            .unwrap()
            .len();
        // ~1,000 pages between checkpoints (SQLite's default), 4 KiB each, plus slack;
        // 4,000 unrestarted commits would be ~30 MB.
        assert!(wal < 8 << 20, "WAL at {wal} bytes");
    }

    /// `prefetch_line` reads what the facts lack of a line in one snapshot and keeps it; the
    /// answers are the ones the single reads give, and a write announced afterwards drops them.
    #[tokio::test]
    async fn prefetch_keeps_a_lines_facts_until_a_write() {
        use ogw_core::domain::{ClientId, PhoneNumber, Purpose, SubscriberId};
        use ogw_core::store::{ConsentStore, Subscriber, SubscriberStore};
        let dir = tempfile::tempdir().unwrap();
        let (s, tenant) = store_with_tenant(&dir).await;
        let msisdn = PhoneNumber::parse("+34600000001").unwrap();
        let client = ClientId::parse("c1").unwrap();
        let purposes = [
            Purpose::parse("dpv:FraudPreventionAndDetection").unwrap(),
            Purpose::parse("dpv:RequestedServiceProvision").unwrap(),
        ];
        s.upsert_subscriber(&Subscriber {
            tenant: tenant.clone(),
            msisdn: msisdn.clone(),
            id: SubscriberId::parse("sub-1").unwrap(),
            sim_activated_at: chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
            imsi: None,
        })
        .await
        .unwrap();
        let facts = s.facts.as_ref().unwrap();
        let line = crate::prefetch::line_key(&tenant, &msisdn);
        let consent = crate::prefetch::consent_key(&tenant, &msisdn, &client, &purposes[1]);
        let held = |g| {
            (
                facts.has_subscriber(&line, g),
                facts.has_sim_change(&line, g),
                facts.has_consent(&consent, g),
            )
        };
        assert_eq!(held(facts.current().unwrap()), (false, false, false));
        s.prefetch_line(&tenant, &msisdn, &client, &purposes)
            .await
            .unwrap();
        assert_eq!(held(facts.current().unwrap()), (true, true, true));
        let sub = s.get_subscriber(&tenant, &msisdn).await.unwrap().unwrap();
        assert_eq!(sub.id.as_str(), "sub-1");
        assert_eq!(s.latest_sim_change(&tenant, &msisdn).await.unwrap(), None);
        let none = s.get_consent(&tenant, &msisdn, &client, &purposes[1]);
        assert!(none.await.unwrap().is_none());
        s.facts_changed();
        assert_eq!(held(facts.current().unwrap()), (false, false, false));
    }

    /// The shared SQL relies on SQLite reading `$N` as "argument N": out of order and reused.
    #[tokio::test]
    async fn sqlite_binds_dollar_placeholders_by_number() {
        let dir = tempfile::tempdir().unwrap();
        let s = sqlite_store(&dir).await;
        let (text, sum): (String, i64) =
            sqlx::query_as("SELECT $2 || '-' || $1 || '-' || $2, $3 + $3")
                .bind("a")
                .bind("b")
                .bind(20_i64)
                .fetch_one(&s.pool)
                .await
                .unwrap();
        assert_eq!((text.as_str(), sum), ("b-a-b", 40));
        let vals = args!["x", Option::<String>::None, 7_i64];
        let (x, none, seven): (String, Option<String>, i64) = sqlx::query_as_with(
            "SELECT $1, $2, $3",
            arguments::<sqlx::Sqlite>(vals).unwrap(),
        )
        .fetch_one(&s.pool)
        .await
        .unwrap();
        assert_eq!((x.as_str(), none, seven), ("x", None, 7));
    }

    #[tokio::test]
    async fn sqlite_connections_are_configured() {
        let dir = tempfile::tempdir().unwrap();
        let s = sqlite_store(&dir).await;
        // Several connections at once, each with the same settings.
        let mut conns = Vec::new();
        for _ in 0..3 {
            conns.push(s.pool.acquire().await.unwrap());
        }
        for conn in &mut conns {
            let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
                .fetch_one(&mut **conn)
                .await
                .unwrap();
            assert_eq!(mode, "wal");
            for (pragma, want) in [
                ("foreign_keys", 1),
                ("busy_timeout", 5000),
                ("synchronous", 1),
            ] {
                let got: i64 = sqlx::query_scalar(&format!("PRAGMA {pragma}"))
                    .fetch_one(&mut **conn)
                    .await
                    .unwrap();
                assert_eq!(got, want, "PRAGMA {pragma}");
            }
        }
    }

    /// Rows the domain rejects (tampered or written by a buggy release) surface as `Corrupt`.
    #[tokio::test]
    async fn tampered_rows_are_corrupt() {
        use ogw_core::domain::{PhoneNumber, TenantId};
        use ogw_core::store::{SubscriberStore, TenantStore};

        let dir = tempfile::tempdir().unwrap();
        let s = sqlite_store(&dir).await;
        s.migrate().await.unwrap();
        for sql in [
            "INSERT INTO tenants (id, name, status, created_at) VALUES ('t1', 'T', 'bogus', 0)",
            "INSERT INTO tenants (id, name, status, created_at) VALUES ('t2', 'T', 'active', 0)",
            "INSERT INTO subscribers (tenant_id, msisdn, subscriber_id, sim_activated_at) \
             VALUES ('t2', '+34600000001', 'bad id!', 0)",
        ] {
            sqlx::query(sql).execute(&s.pool).await.unwrap();
        }
        let t1 = TenantId::parse("t1").unwrap();
        assert!(matches!(
            s.get_tenant(&t1).await,
            Err(StoreError::Corrupt(_))
        ));
        assert!(matches!(
            s.list_tenants().await,
            Err(StoreError::Corrupt(_))
        ));
        let t2 = TenantId::parse("t2").unwrap();
        let n = PhoneNumber::parse("+34600000001").unwrap();
        assert!(matches!(
            s.get_subscriber(&t2, &n).await,
            Err(StoreError::Corrupt(_))
        ));
    }

    use ogw_core::store::AuditStore;

    fn audit_event(actor: &str) -> ogw_core::store::AuditEvent {
        ogw_core::store::AuditEvent {
            id: 0,
            tenant: ogw_core::domain::TenantId::parse("acme").unwrap(),
            at: chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
            actor: actor.into(),
            action: "camara.sim_swap.check".into(),
            target: "+34600000001".into(),
            outcome: "ok".into(),
            reason: String::new(),
            detail: serde_json::json!({"status": 200}).into(),
        }
    }

    /// Actors of tenant `acme`'s audit log, oldest first, checking that ids rise with them.
    async fn audit_actors(s: &dyn Store) -> Vec<String> {
        let tenant = ogw_core::domain::TenantId::parse("acme").unwrap();
        let mut listed = s
            .list_audit(&tenant, &ogw_core::store::AuditFilter::default())
            .await
            .unwrap();
        listed.reverse();
        assert!(listed.windows(2).all(|w| w[0].id < w[1].id), "{listed:?}");
        listed.into_iter().map(|e| e.actor).collect()
    }

    /// The journal folds only when asked, so a listing that did not flush would miss events.
    const JOURNAL_ON_REQUEST: audit_journal::JournalConfig = audit_journal::JournalConfig {
        fold_every: Duration::from_secs(3600),
        fold_busy_every: Duration::from_secs(3600),
        truncate_over: u64::MAX,
        map_bytes: 1 << 20,
    };

    async fn journalled_store(dir: &tempfile::TempDir) -> sqlite::SqliteStore {
        let url = format!("sqlite://{}/t.db", dir.path().display());
        let s = open_sqlite_with(&url, JOURNAL_ON_REQUEST).await.unwrap();
        s.migrate().await.unwrap();
        s
    }

    /// A listing right after a call sees its events; single events (written by the writer)
    /// keep their place in time among journalled ones.
    #[tokio::test]
    async fn journalled_audits_are_listed_at_once_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let s = journalled_store(&dir).await;
        assert!(s.journal.is_some());
        s.append_audits(vec![audit_event("a"), audit_event("b")])
            .await
            .unwrap();
        assert_eq!(audit_actors(&s).await, ["a", "b"]);
        s.append_audits(vec![audit_event("c")]).await.unwrap();
        s.append_audit(&audit_event("d")).await.unwrap();
        s.append_audits(vec![audit_event("e")]).await.unwrap();
        assert_eq!(audit_actors(&s).await, ["a", "b", "c", "d", "e"]);
    }

    /// Events journalled but never folded (the process was killed) are there after a restart,
    /// each once.
    #[tokio::test]
    async fn journalled_audits_survive_a_crash() {
        let dir = tempfile::tempdir().unwrap();
        let s = journalled_store(&dir).await;
        s.append_audits(vec![audit_event("a")]).await.unwrap();
        assert_eq!(audit_actors(&s).await, ["a"]);
        s.append_audits(vec![audit_event("b"), audit_event("c")])
            .await
            .unwrap();
        s.journal.as_ref().unwrap().crash();
        drop(s);
        let s = journalled_store(&dir).await;
        assert_eq!(audit_actors(&s).await, ["a", "b", "c"]);
    }

    /// A second store on the same files (a CLI command beside the server) does not own the
    /// journal: it writes straight into the audit file, and both see every event.
    #[tokio::test]
    async fn a_second_store_writes_audits_directly() {
        let dir = tempfile::tempdir().unwrap();
        let server = journalled_store(&dir).await;
        let cli = journalled_store(&dir).await;
        assert!(server.journal.is_some());
        assert!(cli.journal.is_none());
        server.append_audits(vec![audit_event("s1")]).await.unwrap();
        cli.append_audits(vec![audit_event("c1"), audit_event("c2")])
            .await
            .unwrap();
        assert_eq!(audit_actors(&cli).await, ["c1", "c2"]);
        assert_eq!(audit_actors(&server).await, ["c1", "c2", "s1"]);
        drop(server);
        assert_eq!(audit_actors(&cli).await, ["c1", "c2", "s1"]);
    }

    /// `settle` leaves the journal empty, as a backup of a stopped server finds it.
    #[tokio::test]
    async fn settle_empties_the_journal() {
        let dir = tempfile::tempdir().unwrap();
        let s = journalled_store(&dir).await;
        s.append_audits(vec![audit_event("a")]).await.unwrap();
        let journal = dir.path().join("t-audit.journal");
        assert!(std::fs::metadata(&journal).unwrap().len() > 0);
        s.settle().await.unwrap();
        // A fresh journal: preallocated, no data.
        assert!(std::fs::read(&journal).unwrap().iter().all(|&b| b == 0));
        assert_eq!(audit_actors(&s).await, ["a"]);
    }

    #[test]
    fn page_limits() {
        assert_eq!(page_limit(0), 100);
        assert_eq!(page_limit(-3), 1);
        assert_eq!(page_limit(50), 50);
        assert_eq!(page_limit(1_000_000), 1000);
    }
}
