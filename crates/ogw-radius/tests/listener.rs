//! The listener over real UDP on loopback, writing into a SQLite store.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use ogw_core::clock::SystemClock;
use ogw_core::domain::*;
use ogw_core::network::accounting::AcctStatus;
use ogw_core::store::*;
use ogw_radius::client::{send, AccountingRequest};
use ogw_radius::{Listener, ListenerConfig, RadiusClient, Stats};
use tokio::net::UdpSocket;

const SECRET: &[u8] = b"testing123-secret";
const WAIT: Duration = Duration::from_secs(2);

struct Harness {
    store: Arc<dyn Store>,
    addr: SocketAddr,
    stats: Arc<Stats>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    _dir: tempfile::TempDir,
}

async fn harness() -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let store = ogw_store_sql::open(&format!("sqlite://{}/t.db", dir.path().display()))
        .await
        .unwrap();
    store.migrate().await.unwrap();
    let tenant = TenantId::parse("demo").unwrap();
    store
        .create_tenant(&Tenant {
            id: tenant.clone(),
            name: "Demo".into(),
            status: TenantStatus::Active,
            created_at: Utc::now(),
        })
        .await
        .unwrap();
    store
        .upsert_subscriber(&Subscriber {
            tenant: tenant.clone(),
            msisdn: PhoneNumber::parse("+34629255833").unwrap(),
            id: SubscriberId::parse("sub-1").unwrap(),
            sim_activated_at: Utc::now(),
            imsi: None,
        })
        .await
        .unwrap();
    let cfg = ListenerConfig::new(
        "127.0.0.1:0".parse().unwrap(),
        vec![RadiusClient {
            address: "127.0.0.1".parse().unwrap(),
            secret: SECRET.to_vec(),
            tenant,
        }],
    );
    let listener = Listener::bind(&cfg, store.clone(), Arc::new(SystemClock))
        .await
        .unwrap();
    let addr = listener.local_addr();
    let stats = listener.stats();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(listener.run(async {
        let _ = rx.await;
    }));
    Harness {
        store,
        addr,
        stats,
        stop: Some(tx),
        _dir: dir,
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}

async fn holder(store: &dyn Store, ip: &str) -> Option<String> {
    store
        .find_active_session(
            &TenantId::parse("demo").unwrap(),
            ip.parse::<IpAddr>().unwrap(),
            chrono::DateTime::<Utc>::MIN_UTC,
        )
        .await
        .unwrap()
        .map(|s| s.msisdn.to_string())
}

fn get(c: &std::sync::atomic::AtomicU64) -> u64 {
    c.load(Ordering::Relaxed)
}

#[tokio::test]
async fn start_interim_stop_are_stored_before_they_are_answered() {
    let h = harness().await;
    let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let req = |id, status| {
        AccountingRequest::new(id, status, "gx-1")
            .framed_ip("100.64.0.9".parse().unwrap())
            .calling_station_id("34629255833")
            .imsi("214070000000001")
            .encode(SECRET)
            .unwrap()
    };
    assert!(
        send(&sock, h.addr, &req(1, AcctStatus::Start), SECRET, WAIT)
            .await
            .unwrap()
    );
    // Answered means stored.
    assert_eq!(
        holder(&*h.store, "100.64.0.9").await.as_deref(),
        Some("+34629255833")
    );
    assert!(send(
        &sock,
        h.addr,
        &req(2, AcctStatus::InterimUpdate),
        SECRET,
        WAIT
    )
    .await
    .unwrap());
    assert!(send(&sock, h.addr, &req(3, AcctStatus::Stop), SECRET, WAIT)
        .await
        .unwrap());
    assert_eq!(holder(&*h.store, "100.64.0.9").await, None);
    assert_eq!(get(&h.stats.recorded), 3);
    assert_eq!(get(&h.stats.responses), 3);
}

#[tokio::test]
async fn retransmissions_are_answered_once_written() {
    let h = harness().await;
    let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let start = AccountingRequest::new(7, AcctStatus::Start, "gx-2")
        .framed_ip("100.64.0.10".parse().unwrap())
        .calling_station_id("+34629255833")
        .encode(SECRET)
        .unwrap();
    assert!(send(&sock, h.addr, &start, SECRET, WAIT).await.unwrap());
    // The session ends; then the Start is retransmitted: answered again, not re-applied.
    let stop = AccountingRequest::new(8, AcctStatus::Stop, "gx-2")
        .encode(SECRET)
        .unwrap();
    assert!(send(&sock, h.addr, &stop, SECRET, WAIT).await.unwrap());
    assert!(send(&sock, h.addr, &start, SECRET, WAIT).await.unwrap());
    assert_eq!(holder(&*h.store, "100.64.0.10").await, None);
    assert_eq!(get(&h.stats.recorded), 2);
    assert_eq!(get(&h.stats.retransmit_answered), 1);
}

#[tokio::test]
async fn wrong_secret_and_unknown_clients_are_dropped_and_counted() {
    let h = harness().await;
    let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let forged = AccountingRequest::new(1, AcctStatus::Start, "gx-3")
        .framed_ip("100.64.0.11".parse().unwrap())
        .calling_station_id("34629255833")
        .encode(b"not-the-secret")
        .unwrap();
    assert!(
        !send(&sock, h.addr, &forged, SECRET, Duration::from_millis(300))
            .await
            .unwrap()
    );
    assert_eq!(get(&h.stats.bad_authenticator), 1);
    // Another loopback address is not a configured client, even with the right secret.
    let other = UdpSocket::bind("127.0.0.2:0").await.unwrap();
    let genuine = AccountingRequest::new(2, AcctStatus::Start, "gx-3")
        .framed_ip("100.64.0.11".parse().unwrap())
        .calling_station_id("34629255833")
        .encode(SECRET)
        .unwrap();
    assert!(
        !send(&other, h.addr, &genuine, SECRET, Duration::from_millis(300))
            .await
            .unwrap()
    );
    assert_eq!(get(&h.stats.unknown_client), 1);
    // Garbage is dropped too.
    sock.send_to(b"\x04\x01\x00", h.addr).await.unwrap();
    let mut access = genuine.clone();
    access[0] = 1;
    sock.send_to(&access, h.addr).await.unwrap();
    // And the genuine request from the configured client still works afterwards.
    assert!(send(&sock, h.addr, &genuine, SECRET, WAIT).await.unwrap());
    assert_eq!(get(&h.stats.malformed), 1);
    assert_eq!(get(&h.stats.not_accounting), 1);
    assert_eq!(get(&h.stats.recorded), 1);
    assert_eq!(
        holder(&*h.store, "100.64.0.11").await.as_deref(),
        Some("+34629255833")
    );
}

#[tokio::test]
async fn unusable_records_are_answered_but_not_recorded_and_nas_reset_ends_sessions() {
    let h = harness().await;
    let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let no_address = AccountingRequest::new(1, AcctStatus::Start, "gx-4")
        .calling_station_id("34629255833")
        .encode(SECRET)
        .unwrap();
    assert!(send(&sock, h.addr, &no_address, SECRET, WAIT)
        .await
        .unwrap());
    assert_eq!(get(&h.stats.ignored), 1);
    let v6 = AccountingRequest::new(2, AcctStatus::Start, "gx-5")
        .framed_ipv6_prefix("2001:db8:5:6::".parse().unwrap(), 64)
        .calling_station_id("34629255833")
        .encode(SECRET)
        .unwrap();
    assert!(send(&sock, h.addr, &v6, SECRET, WAIT).await.unwrap());
    assert_eq!(
        holder(&*h.store, "2001:db8:5:6:1:2:3:4").await.as_deref(),
        Some("+34629255833")
    );
    let on = AccountingRequest::new(3, AcctStatus::AccountingOn, "")
        .encode(SECRET)
        .unwrap();
    assert!(send(&sock, h.addr, &on, SECRET, WAIT).await.unwrap());
    assert_eq!(holder(&*h.store, "2001:db8:5:6:1:2:3:4").await, None);
    assert_eq!(get(&h.stats.nas_reset), 1);
}

#[tokio::test]
async fn many_concurrent_requests_are_grouped_and_all_answered() {
    let h = harness().await;
    let mut tasks = Vec::new();
    for c in 0..8u32 {
        let addr = h.addr;
        tasks.push(tokio::spawn(async move {
            let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            for i in 0..50u32 {
                let n = c * 50 + i;
                let req = AccountingRequest::new(i as u8, AcctStatus::Start, &format!("s{n}"))
                    .framed_ip(std::net::Ipv4Addr::from(0x6440_0000 + n))
                    .calling_station_id(&format!("3460{n:07}"))
                    .encode(SECRET)
                    .unwrap();
                assert!(send(&sock, addr, &req, SECRET, WAIT).await.unwrap());
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(get(&h.stats.recorded), 400);
    assert_eq!(get(&h.stats.unknown_subscriber), 400);
    let active = h
        .store
        .list_active_sessions(
            &TenantId::parse("demo").unwrap(),
            chrono::DateTime::<Utc>::MIN_UTC,
        )
        .await
        .unwrap();
    assert_eq!(active.len(), 400);
}
