//! In-memory copies of the facts a CAMARA call reads (SQLite only): subscribers, latest SIM
//! changes, consents and revoked token ids.
//!
//! Even on the synchronous readers (`fast`) each of those reads is a SQLite read transaction
//! (shared-memory read lock, two `fcntl`s, a B-tree probe): four per call, a quarter of a
//! call's CPU (bench/PERF.md). Here a call finds them in memory.
//!
//! Invalidation — a cached answer is never older than the data it stands for:
//! - every write of this process to one of those tables calls [`Facts::invalidate`] after its
//!   commit, so the next read here (revocation, consent withdrawal, SIM change, import) is
//!   answered from the database — read-your-writes, as without the cache;
//! - a write by another process on the same file (the CLI on the server's data dir) moves
//!   SQLite's `PRAGMA data_version`, which is checked at most every [`WATCH_EVERY`]: such a
//!   change is seen within that time (the CLI process takes longer than that to exit).
//!
//! Either way the whole cache is dropped at once (a generation number), which is cheap and
//! cannot miss a dependent row. PostgreSQL (several nodes) has no such cache.
//!
//! A read that started before an invalidation does not store its answer (it may be older
//! than the write), and each map is bounded: when full, it starts over. A map is split in
//! [`SHARDS`] locks: one map that grew by doubling under its lock stalled every call for
//! 50–250 ms while lines probed at random filled it (PERF.md); a shard regrows a sixteenth of
//! it, and only its own callers wait. (Sized up front instead, the maps cost 60 MiB of RSS at
//! idle.)
use std::collections::HashMap;
use std::hash::BuildHasher;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use foldhash::fast::RandomState;
use ogw_core::store::{Consent, StoreError, StoreResult, Subscriber, Timestamp};
use rusqlite::{Connection, OpenFlags};

use crate::fast::backend;

/// How stale another process's write may be seen at most.
pub(crate) const WATCH_EVERY: Duration = Duration::from_millis(1);
/// Entries per map before it starts over (lines probed at random must not grow memory).
const CAPACITY: usize = 65_536;
/// Locks per map.
const SHARDS: usize = 16;
const SHARD_CAPACITY: usize = CAPACITY / SHARDS;

/// One kind of fact, valid for one generation.
struct Table<V> {
    shards: Box<[Mutex<Shard<V>>]>,
    hasher: RandomState,
}

struct Shard<V> {
    generation: u64,
    map: HashMap<String, V, RandomState>,
}

impl<V: Clone> Table<V> {
    fn new() -> Self {
        let shard = || {
            Mutex::new(Shard {
                generation: 0,
                map: HashMap::default(),
            })
        };
        Self {
            shards: (0..SHARDS).map(|_| shard()).collect(),
            hasher: RandomState::default(),
        }
    }

    fn shard(&self, key: &str) -> &Mutex<Shard<V>> {
        // The low bits pick the shard; the map hashes with its own keys.
        let h = self.hasher.hash_one(key) as usize;
        &self.shards[h % SHARDS]
    }

    fn contains(&self, key: &str, generation: u64) -> bool {
        self.shard(key)
            .lock()
            .is_ok_and(|s| s.generation == generation && s.map.contains_key(key))
    }

    fn get(&self, key: &str, generation: u64) -> Option<V> {
        let mut s = self.shard(key).lock().ok()?;
        if s.generation != generation {
            s.map.clear();
            s.generation = generation;
            return None;
        }
        s.map.get(key).cloned()
    }

    /// Stores `v` read in `generation`, unless the cache has moved on since (`now`).
    fn put(&self, key: String, v: V, generation: u64, now: u64) {
        if generation != now {
            return;
        }
        if let Ok(mut s) = self.shard(&key).lock() {
            // `clear` keeps the allocation: a full shard starts over without regrowing.
            if s.generation != generation || s.map.len() >= SHARD_CAPACITY {
                s.map.clear();
                s.generation = generation;
            }
            s.map.insert(key, v);
        }
    }
}

/// What the watcher last saw.
struct Watch {
    conn: Connection,
    data_version: i64,
}

pub(crate) struct Facts {
    generation: AtomicU64,
    /// When the last `data_version` check started, in nanoseconds since `opened`: read
    /// without a lock, so that the lookups of a call (four) do not queue on the watcher.
    checked_ns: AtomicU64,
    opened: Instant,
    watch_every_ns: u64,
    watch: Mutex<Watch>,
    subscribers: Table<Option<Subscriber>>,
    sim_changes: Table<Option<Timestamp>>,
    consents: Table<Option<Consent>>,
    revoked: Table<bool>,
}

/// `a`, `b`, … joined by NUL (never part of an id, a number or a purpose).
pub(crate) fn key(parts: &[&str]) -> String {
    let mut k = String::with_capacity(parts.iter().map(|p| p.len() + 1).sum());
    for p in parts {
        k.push_str(p);
        k.push('\0');
    }
    k
}

impl Facts {
    /// Watches `path` for other processes' commits every `watch_every` ([`WATCH_EVERY`]).
    pub(crate) fn open(
        path: &Path,
        busy_timeout: Duration,
        watch_every: Duration,
    ) -> StoreResult<Self> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI;
        let conn = Connection::open_with_flags(path, flags).map_err(backend)?;
        conn.busy_timeout(busy_timeout).map_err(backend)?;
        conn.pragma_update(None, "query_only", true)
            .map_err(backend)?;
        let data_version = data_version(&conn)?;
        Ok(Self {
            generation: AtomicU64::new(1),
            checked_ns: AtomicU64::new(0),
            opened: Instant::now(),
            watch_every_ns: u64::try_from(watch_every.as_nanos()).unwrap_or(u64::MAX),
            watch: Mutex::new(Watch { conn, data_version }),
            subscribers: Table::new(),
            sim_changes: Table::new(),
            consents: Table::new(),
            revoked: Table::new(),
        })
    }

    /// After a write of this process to a cached table has committed.
    pub(crate) fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// The current generation, after noticing other processes' writes (at most every
    /// the watch interval): the one to read in, for lookups here and for `prefetch`.
    pub(crate) fn current(&self) -> StoreResult<u64> {
        if !self.watch_due() {
            return Ok(self.generation.load(Ordering::Acquire));
        }
        // Another thread is checking right now: go on with the generation as it is rather
        // than queue behind it (a write it misses is seen at the next check, within the
        // watch interval, as one made just after a check is).
        let mut w = match self.watch.try_lock() {
            Ok(w) => w,
            Err(std::sync::TryLockError::WouldBlock) => {
                return Ok(self.generation.load(Ordering::Acquire))
            }
            Err(std::sync::TryLockError::Poisoned(_)) => {
                return Err(StoreError::Backend("SQLite watcher poisoned".into()))
            }
        };
        // Another thread may have checked between the two looks.
        if self.watch_due() {
            let started = self.since_open();
            let v = data_version(&w.conn)?;
            if v != w.data_version {
                w.data_version = v;
                self.invalidate();
            }
            self.checked_ns.store(started, Ordering::Release);
        }
        Ok(self.generation.load(Ordering::Acquire))
    }

    fn since_open(&self) -> u64 {
        u64::try_from(self.opened.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    fn watch_due(&self) -> bool {
        let last = self.checked_ns.load(Ordering::Acquire);
        self.since_open().saturating_sub(last) >= self.watch_every_ns
    }

    fn cached<V: Clone>(
        &self,
        table: &Table<V>,
        key: String,
        read: impl FnOnce() -> StoreResult<V>,
    ) -> StoreResult<V> {
        let generation = self.current()?;
        if let Some(v) = table.get(&key, generation) {
            return Ok(v);
        }
        let v = read()?;
        self.keep(table, key, v.clone(), generation);
        Ok(v)
    }

    /// Keeps an answer read in `generation`, unless a write has been announced since.
    fn keep<V: Clone>(&self, table: &Table<V>, key: String, v: V, generation: u64) {
        table.put(key, v, generation, self.generation.load(Ordering::Acquire));
    }

    pub(crate) fn has_subscriber(&self, key: &str, generation: u64) -> bool {
        self.subscribers.contains(key, generation)
    }

    pub(crate) fn has_sim_change(&self, key: &str, generation: u64) -> bool {
        self.sim_changes.contains(key, generation)
    }

    pub(crate) fn has_consent(&self, key: &str, generation: u64) -> bool {
        self.consents.contains(key, generation)
    }

    /// `prefetch`'s answers, kept as [`Facts::keep`] keeps a lookup's.
    pub(crate) fn keep_subscriber(&self, key: String, v: Option<Subscriber>, generation: u64) {
        self.keep(&self.subscribers, key, v, generation);
    }

    pub(crate) fn keep_sim_change(&self, key: String, v: Option<Timestamp>, generation: u64) {
        self.keep(&self.sim_changes, key, v, generation);
    }

    pub(crate) fn keep_consent(&self, key: String, v: Option<Consent>, generation: u64) {
        self.keep(&self.consents, key, v, generation);
    }

    pub(crate) fn subscriber(
        &self,
        key: String,
        read: impl FnOnce() -> StoreResult<Option<Subscriber>>,
    ) -> StoreResult<Option<Subscriber>> {
        self.cached(&self.subscribers, key, read)
    }

    pub(crate) fn latest_sim_change(
        &self,
        key: String,
        read: impl FnOnce() -> StoreResult<Option<Timestamp>>,
    ) -> StoreResult<Option<Timestamp>> {
        self.cached(&self.sim_changes, key, read)
    }

    pub(crate) fn consent(
        &self,
        key: String,
        read: impl FnOnce() -> StoreResult<Option<Consent>>,
    ) -> StoreResult<Option<Consent>> {
        self.cached(&self.consents, key, read)
    }

    pub(crate) fn revoked(
        &self,
        key: String,
        read: impl FnOnce() -> StoreResult<bool>,
    ) -> StoreResult<bool> {
        self.cached(&self.revoked, key, read)
    }
}

fn data_version(conn: &Connection) -> StoreResult<i64> {
    conn.prepare_cached("PRAGMA data_version")
        .and_then(|mut s| s.query_row([], |r| r.get(0)))
        .map_err(backend)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn setup(watch_every: Duration) -> (tempfile::TempDir, Connection, Facts) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.db");
        let writer = Connection::open(&path).unwrap();
        writer
            .execute_batch(
                "PRAGMA journal_mode = WAL; CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER);",
            )
            .unwrap();
        let facts = Facts::open(&path, Duration::from_secs(1), watch_every).unwrap();
        (dir, writer, facts)
    }

    fn read(writer: &Connection) -> StoreResult<bool> {
        let n: i64 = writer
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .map_err(backend)?;
        Ok(n > 0)
    }

    #[test]
    fn an_invalidation_makes_the_next_read_go_to_the_database() {
        let (_dir, writer, facts) = setup(Duration::from_secs(3600));
        let k = || key(&["acme", "jti-1"]);
        assert!(!facts.revoked(k(), || read(&writer)).unwrap());
        writer.execute("INSERT INTO t VALUES ('a', 1)", []).unwrap();
        // Cached (the watcher is not due): the database is not asked.
        assert!(!facts.revoked(k(), || Ok(true)).unwrap());
        facts.invalidate();
        assert!(facts.revoked(k(), || read(&writer)).unwrap());
    }

    #[test]
    fn another_connections_commit_is_noticed_within_the_watch_interval() {
        let (_dir, writer, facts) = setup(Duration::from_millis(1));
        let k = || key(&["acme", "jti-1"]);
        assert!(!facts.revoked(k(), || read(&writer)).unwrap());
        writer.execute("INSERT INTO t VALUES ('a', 1)", []).unwrap();
        std::thread::sleep(Duration::from_millis(2));
        assert!(facts.revoked(k(), || read(&writer)).unwrap());
    }

    #[test]
    fn a_read_overtaken_by_an_invalidation_is_not_kept() {
        let (_dir, _writer, facts) = setup(Duration::from_secs(3600));
        let k = || key(&["acme", "jti-1"]);
        let v = facts
            .revoked(k(), || {
                facts.invalidate();
                Ok(false)
            })
            .unwrap();
        assert!(!v);
        // Nothing was cached: the next lookup reads again.
        assert!(facts.revoked(k(), || Ok(true)).unwrap());
    }

    #[test]
    fn lines_probed_at_random_do_not_grow_the_maps_past_their_bound() {
        let table = Table::<bool>::new();
        for i in 0..2 * CAPACITY {
            table.put(format!("line-{i}"), true, 1, 1);
        }
        let held: usize = table
            .shards
            .iter()
            .map(|s| s.lock().unwrap().map.len())
            .sum();
        assert!(held <= CAPACITY, "{held} entries held");
        // The latest answer is still there: a full shard starts over before it inserts.
        assert_eq!(
            table.get(&format!("line-{}", 2 * CAPACITY - 1), 1),
            Some(true)
        );
    }

    #[test]
    fn keys_do_not_collide_across_parts() {
        assert_ne!(key(&["ab", "c"]), key(&["a", "bc"]));
    }
}
