//! Read-mostly cache of the rows every API call and every `/token` reads: applications (by
//! client id), tenants and tenant catalogs.
//!
//! Invalidation:
//! - a write through this store (create, update, delete of an application, a tenant or a
//!   catalog entry, a tenant cascade) clears the affected map at once, before the write
//!   returns, so the node that made the change never serves the old row;
//! - a change made by another node (or another process on the same database) is seen within
//!   [`TTL`]: an entry older than that is read again.
//!
//! Only rows that exist are kept (a lookup of an unknown client id is not cached), so the
//! maps are bounded by the number of real applications, tenants and catalogs. Revocation of
//! tokens does not go through here: the revoked-`jti` check stays a store read on every call.
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ogw_core::store::{Application, Capability, Tenant};

/// How long another node's change may take to be seen here.
pub const TTL: Duration = Duration::from_secs(2);

struct Map<K, V>(Mutex<HashMap<K, (Instant, V), foldhash::fast::RandomState>>);

impl<K: Eq + Hash, V: Clone> Map<K, V> {
    fn new() -> Self {
        Self(Mutex::new(HashMap::default()))
    }
    fn get<Q>(&self, k: &Q) -> Option<V>
    where
        K: std::borrow::Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        let m = self.0.lock().ok()?;
        m.get(k)
            .filter(|(at, _)| at.elapsed() < TTL)
            .map(|(_, v)| v.clone())
    }
    fn put(&self, k: K, v: V, read_at: Instant) {
        if let Ok(mut m) = self.0.lock() {
            m.insert(k, (read_at, v));
        }
    }
    fn clear(&self) {
        if let Ok(mut m) = self.0.lock() {
            m.clear();
        }
    }
}

pub(crate) struct ReadCache {
    apps: Map<String, Arc<Application>>,
    tenants: Map<String, Tenant>,
    catalogs: Map<String, Arc<[Capability]>>,
    /// Bumped by every invalidation: a read that started before a write must not put its
    /// (possibly old) row into the cache after the write cleared it.
    epoch: std::sync::atomic::AtomicU64,
}

/// A read in progress: remembers the epoch and the time it started.
pub(crate) struct Ticket {
    epoch: u64,
    at: Instant,
}

impl ReadCache {
    pub(crate) fn new() -> Self {
        Self {
            apps: Map::new(),
            tenants: Map::new(),
            catalogs: Map::new(),
            epoch: std::sync::atomic::AtomicU64::new(0),
        }
    }
    pub(crate) fn ticket(&self) -> Ticket {
        Ticket {
            epoch: self.epoch.load(std::sync::atomic::Ordering::Acquire),
            at: Instant::now(),
        }
    }
    fn current(&self, t: &Ticket) -> bool {
        self.epoch.load(std::sync::atomic::Ordering::Acquire) == t.epoch
    }
    fn bump(&self) {
        self.epoch.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
    }

    pub(crate) fn app(&self, client_id: &str) -> Option<Arc<Application>> {
        self.apps.get(client_id)
    }
    pub(crate) fn put_app(&self, t: Ticket, a: &Arc<Application>) {
        if self.current(&t) {
            self.apps.put(a.client_id.to_string(), a.clone(), t.at);
        }
    }
    pub(crate) fn tenant(&self, id: &str) -> Option<Tenant> {
        self.tenants.get(id)
    }
    pub(crate) fn put_tenant(&self, t: Ticket, v: &Tenant) {
        if self.current(&t) {
            self.tenants.put(v.id.to_string(), v.clone(), t.at);
        }
    }
    pub(crate) fn catalog(&self, tenant: &str) -> Option<Arc<[Capability]>> {
        self.catalogs.get(tenant)
    }
    pub(crate) fn put_catalog(&self, t: Ticket, tenant: &str, v: &Arc<[Capability]>) {
        if self.current(&t) {
            self.catalogs.put(tenant.to_owned(), v.clone(), t.at);
        }
    }

    /// After any write to applications, tenants or catalogs (called after the write, so a
    /// read racing with it cannot re-insert the old row: see `epoch`).
    pub(crate) fn invalidate(&self) {
        self.bump();
        self.apps.clear();
        self.tenants.clear();
        self.catalogs.clear();
    }
}
