//! RADIUS accounting listener (RFC 2865/2866; 3GPP TS 29.061 §16 attributes) feeding the
//! IP sessions that network-based authentication looks devices up in.
//!
//! One task receives datagrams: requests from unknown NAS addresses, with a wrong Request
//! Authenticator, malformed or not Accounting-Requests are dropped and counted, never acted
//! on. Authentic requests go to one writer task, which takes everything queued (up to
//! `max_batch`), applies it in one store transaction (group commit) and only then sends the
//! Accounting-Responses: RFC 2866 §2 forbids answering what is not recorded. When the store
//! fails nothing is answered and the NASes retransmit.
//!
//! Retransmissions (same source, identifier and authenticator) are idempotent: one still in
//! flight is dropped (its answer is coming), one already answered gets the same answer again
//! without touching the store. The record of answered requests is kept for 30 to 60 s, longer
//! than NASes retransmit.
pub mod client;
pub mod packet;

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ogw_core::clock::Clock;
use ogw_core::domain::TenantId;
use ogw_core::network::accounting::{self, AccountingRecord, Disposition};
use ogw_core::store::Store;
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

/// A NAS allowed to send accounting, and the tenant whose subscribers it serves.
#[derive(Clone)]
pub struct RadiusClient {
    pub address: IpAddr,
    pub secret: Vec<u8>,
    pub tenant: TenantId,
}

impl std::fmt::Debug for RadiusClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RadiusClient")
            .field("address", &self.address)
            .field("secret", &"***")
            .field("tenant", &self.tenant)
            .finish()
    }
}

#[derive(Debug, Clone)]
pub struct ListenerConfig {
    pub listen: SocketAddr,
    pub clients: Vec<RadiusClient>,
    /// Most requests written in one transaction.
    pub max_batch: usize,
    /// Requests waiting for the writer beyond this are dropped (the NAS retransmits).
    pub queue: usize,
}

impl ListenerConfig {
    pub fn new(listen: SocketAddr, clients: Vec<RadiusClient>) -> Self {
        Self {
            listen,
            clients,
            max_batch: 1024,
            queue: 65_536,
        }
    }
}

/// Counters, also exported as `radius_*` metrics.
#[derive(Debug, Default)]
pub struct Stats {
    pub received: AtomicU64,
    /// Dropped: source address is not a configured client.
    pub unknown_client: AtomicU64,
    /// Dropped: Request Authenticator does not match the client's secret.
    pub bad_authenticator: AtomicU64,
    /// Dropped: not a well-formed packet.
    pub malformed: AtomicU64,
    /// Dropped: not an Accounting-Request.
    pub not_accounting: AtomicU64,
    /// Dropped: a retransmission of a request still being written.
    pub retransmit_in_flight: AtomicU64,
    /// Answered again from the record of answered requests.
    pub retransmit_answered: AtomicU64,
    /// Dropped: the writer queue was full.
    pub overloaded: AtomicU64,
    /// Requests whose facts were written.
    pub recorded: AtomicU64,
    /// Of those, sessions of phone numbers that are not subscribers.
    pub unknown_subscriber: AtomicU64,
    /// Of those, whose IMSI differs from the subscriber's recorded IMSI.
    pub imsi_mismatch: AtomicU64,
    /// Accounting-On/Off requests.
    pub nas_reset: AtomicU64,
    /// Authentic but unusable requests, answered and not recorded.
    pub ignored: AtomicU64,
    /// Requests not answered because the store failed.
    pub store_failed: AtomicU64,
    /// Accounting-Responses sent (first answers and repeats).
    pub responses: AtomicU64,
}

impl Stats {
    fn bump(c: &AtomicU64, name: &'static str, label: &'static str, n: u64) {
        c.fetch_add(n, Ordering::Relaxed);
        metrics::counter!(name, "outcome" => label).increment(n);
    }
}

type Key = (SocketAddr, u8, [u8; 16]);

#[derive(Clone)]
enum Seen {
    InFlight,
    Answered(Arc<[u8]>),
}

/// Requests in flight and answered ones, in two generations rotated every `ANSWERED_FOR`.
struct Recent {
    current: HashMap<Key, Seen>,
    previous: HashMap<Key, Seen>,
    rotated: Instant,
}

const ANSWERED_FOR: Duration = Duration::from_secs(30);

impl Recent {
    fn new() -> Self {
        Self {
            current: HashMap::new(),
            previous: HashMap::new(),
            rotated: Instant::now(),
        }
    }
    fn rotate(&mut self) {
        if self.rotated.elapsed() >= ANSWERED_FOR {
            self.previous = std::mem::take(&mut self.current);
            self.rotated = Instant::now();
        }
    }
    /// What is known of `key`, marking it in flight when new.
    fn check_in(&mut self, key: Key) -> Option<Seen> {
        self.rotate();
        if let Some(s) = self.current.get(&key).or_else(|| self.previous.get(&key)) {
            return Some(s.clone());
        }
        self.current.insert(key, Seen::InFlight);
        None
    }
    fn answered(&mut self, key: Key, response: Arc<[u8]>) {
        self.previous.remove(&key);
        self.current.insert(key, Seen::Answered(response));
    }
    fn forget(&mut self, key: &Key) {
        self.current.remove(key);
        self.previous.remove(key);
    }
}

struct Job {
    key: Key,
    record: AccountingRecord,
    response: Arc<[u8]>,
}

struct Nas {
    secret: Vec<u8>,
    tenant: TenantId,
    /// Scopes the NAS's session ids.
    name: String,
}

/// A bound listener; [`Listener::run`] serves it.
pub struct Listener {
    socket: Arc<UdpSocket>,
    addr: SocketAddr,
    nases: HashMap<IpAddr, Nas>,
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    stats: Arc<Stats>,
    max_batch: usize,
    queue: usize,
}

/// IPv4-mapped IPv6 sources (`::ffff:a.b.c.d`, from a dual-stack socket) are the IPv4 NAS.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

impl Listener {
    pub async fn bind(
        cfg: &ListenerConfig,
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
    ) -> std::io::Result<Self> {
        let socket = UdpSocket::bind(cfg.listen).await?;
        let addr = socket.local_addr()?;
        let nases = cfg
            .clients
            .iter()
            .map(|c| {
                let ip = canonical(c.address);
                let nas = Nas {
                    secret: c.secret.clone(),
                    tenant: c.tenant.clone(),
                    name: ip.to_string(),
                };
                (ip, nas)
            })
            .collect();
        Ok(Self {
            socket: Arc::new(socket),
            addr,
            nases,
            store,
            clock,
            stats: Arc::new(Stats::default()),
            max_batch: cfg.max_batch.max(1),
            queue: cfg.queue.max(1),
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn stats(&self) -> Arc<Stats> {
        self.stats.clone()
    }

    /// Serves until `shutdown` resolves, then writes and answers what was received.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send) {
        let recent = Arc::new(Mutex::new(Recent::new()));
        let (tx, rx) = mpsc::channel::<Job>(self.queue);
        let writer = tokio::spawn(write_loop(
            rx,
            self.socket.clone(),
            self.store.clone(),
            self.clock.clone(),
            self.stats.clone(),
            recent.clone(),
            self.max_batch,
        ));
        tracing::info!(addr = %self.addr, clients = self.nases.len(), "RADIUS accounting listening");
        tokio::pin!(shutdown);
        let mut buf = vec![0u8; packet::MAX_PACKET_LEN + 1];
        loop {
            let got = tokio::select! {
                biased;
                _ = &mut shutdown => break,
                got = self.socket.recv_from(&mut buf) => got,
            };
            match got {
                Ok((n, src)) => self.receive(&buf[..n], src, &tx, &recent).await,
                // E.g. ICMP port unreachable for an earlier answer: not fatal.
                Err(e) => tracing::debug!(error = %e, "RADIUS receive failed"),
            }
        }
        drop(tx);
        if writer.await.is_err() {
            tracing::warn!("RADIUS writer ended abnormally");
        }
        tracing::info!("RADIUS accounting stopped");
    }

    async fn receive(
        &self,
        datagram: &[u8],
        src: SocketAddr,
        tx: &mpsc::Sender<Job>,
        recent: &Mutex<Recent>,
    ) {
        let s = &self.stats;
        Stats::bump(&s.received, "radius_packets_total", "received", 1);
        let Some(nas) = self.nases.get(&canonical(src.ip())) else {
            Stats::bump(
                &s.unknown_client,
                "radius_dropped_total",
                "unknown_client",
                1,
            );
            tracing::debug!(%src, "RADIUS packet from an unknown client dropped");
            return;
        };
        let (p, record) = match packet::decode(datagram, &nas.secret, &nas.tenant, &nas.name) {
            Ok(d) => d,
            Err(drop) => {
                let counter = match drop {
                    packet::Drop::Malformed => &s.malformed,
                    packet::Drop::NotAccounting => &s.not_accounting,
                    packet::Drop::BadAuthenticator => &s.bad_authenticator,
                };
                Stats::bump(counter, "radius_dropped_total", drop.as_str(), 1);
                tracing::debug!(%src, reason = drop.as_str(), "RADIUS packet dropped");
                return;
            }
        };
        let mut auth = [0u8; 16];
        auth.copy_from_slice(&datagram[4..20]);
        let key = (src, p.get_identifier(), auth);
        let seen = match recent.lock() {
            Ok(mut r) => r.check_in(key),
            Err(_) => return,
        };
        match seen {
            Some(Seen::InFlight) => {
                Stats::bump(
                    &s.retransmit_in_flight,
                    "radius_dropped_total",
                    "retransmit_in_flight",
                    1,
                );
                return;
            }
            Some(Seen::Answered(resp)) => {
                Stats::bump(
                    &s.retransmit_answered,
                    "radius_packets_total",
                    "retransmit_answered",
                    1,
                );
                if self.socket.send_to(&resp, src).await.is_ok() {
                    Stats::bump(&s.responses, "radius_packets_total", "response", 1);
                }
                return;
            }
            None => {}
        }
        let Some(response) = packet::response(&p) else {
            Stats::bump(&s.malformed, "radius_dropped_total", "malformed", 1);
            forget(recent, &key);
            return;
        };
        let job = Job {
            key,
            record,
            response: response.into(),
        };
        if tx.try_send(job).is_err() {
            Stats::bump(&s.overloaded, "radius_dropped_total", "overloaded", 1);
            forget(recent, &key);
        }
    }
}

fn forget(recent: &Mutex<Recent>, key: &Key) {
    if let Ok(mut r) = recent.lock() {
        r.forget(key);
    }
}

async fn write_loop(
    mut rx: mpsc::Receiver<Job>,
    socket: Arc<UdpSocket>,
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    stats: Arc<Stats>,
    recent: Arc<Mutex<Recent>>,
    max_batch: usize,
) {
    let mut jobs: Vec<Job> = Vec::with_capacity(max_batch);
    let mut records: Vec<AccountingRecord> = Vec::with_capacity(max_batch);
    while let Some(first) = rx.recv().await {
        // Group commit: everything that queued up while the previous group was written.
        jobs.push(first);
        while jobs.len() < max_batch {
            match rx.try_recv() {
                Ok(j) => jobs.push(j),
                Err(_) => break,
            }
        }
        records.extend(jobs.iter_mut().map(|j| take_record(&mut j.record)));
        let outcome = accounting::apply(store.as_ref(), &records, clock.now()).await;
        records.clear();
        match outcome {
            Ok(dispositions) => {
                count(&stats, &dispositions);
                for job in jobs.drain(..) {
                    if socket.send_to(&job.response, job.key.0).await.is_ok() {
                        Stats::bump(&stats.responses, "radius_packets_total", "response", 1);
                    }
                    if let Ok(mut r) = recent.lock() {
                        r.answered(job.key, job.response);
                    }
                }
            }
            Err(e) => {
                let n = jobs.len() as u64;
                Stats::bump(
                    &stats.store_failed,
                    "radius_dropped_total",
                    "store_failed",
                    n,
                );
                tracing::warn!(error = %e, requests = n, "RADIUS accounting not stored; not answered");
                if let Ok(mut r) = recent.lock() {
                    for job in jobs.drain(..) {
                        r.forget(&job.key);
                    }
                }
                jobs.clear();
            }
        }
    }
}

/// Moves a record out of its job (the job keeps an empty husk until answered).
fn take_record(r: &mut AccountingRecord) -> AccountingRecord {
    AccountingRecord {
        tenant: r.tenant.clone(),
        nas: std::mem::take(&mut r.nas),
        status: r.status,
        session_id: r.session_id.take(),
        framed_ip: r.framed_ip,
        framed_ipv6_prefix: r.framed_ipv6_prefix,
        calling_station_id: r.calling_station_id.take(),
        imsi: r.imsi.take(),
        session_time: r.session_time,
    }
}

fn count(stats: &Stats, dispositions: &[Disposition]) {
    let (mut recorded, mut unknown, mut mismatch, mut resets, mut ignored) = (0, 0, 0, 0, 0);
    for d in dispositions {
        match d {
            Disposition::Recorded(r) => {
                recorded += 1;
                unknown += u64::from(!r.known_subscriber);
                mismatch += u64::from(r.imsi_differs);
            }
            Disposition::NasReset(_) => resets += 1,
            Disposition::Ignored(why) => {
                ignored += 1;
                tracing::debug!(reason = why.as_str(), "RADIUS accounting ignored");
            }
        }
    }
    Stats::bump(
        &stats.recorded,
        "radius_accounting_total",
        "recorded",
        recorded,
    );
    Stats::bump(
        &stats.unknown_subscriber,
        "radius_accounting_total",
        "unknown_subscriber",
        unknown,
    );
    Stats::bump(
        &stats.imsi_mismatch,
        "radius_accounting_total",
        "imsi_mismatch",
        mismatch,
    );
    Stats::bump(
        &stats.nas_reset,
        "radius_accounting_total",
        "nas_reset",
        resets,
    );
    Stats::bump(
        &stats.ignored,
        "radius_accounting_total",
        "ignored",
        ignored,
    );
}
