//! Conformance cases for `NetworkTx`: batches of network facts in one transaction.
use super::*;

macro_rules! network_conformance {
    ($($case:ident),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $case() {
                on_each_backend(cases::$case).await;
            }
        )+
    };
}

network_conformance!(
    network_sessions_open_refresh_stop,
    network_sessions_reassigned_address_ends_previous_holder,
    network_sessions_ipv6_prefix_and_nas_reset,
    network_subscribers_batch_upsert_and_lookup,
    network_sim_change_events,
    network_rollback_discards_everything,
);

fn holder(ip: &str, msisdn: &str, imsi: Option<&str>) -> SessionHolder {
    SessionHolder {
        ip: ip.parse().unwrap(),
        msisdn: phone(msisdn),
        imsi: imsi.map(str::to_owned),
    }
}

fn open(id: &str, h: SessionHolder, seen: i64) -> SessionFact {
    SessionFact {
        tenant: tid("acme"),
        session_id: id.into(),
        holder: Some(h),
        started_at: at(seen),
        seen_at: at(seen),
        ended_at: None,
    }
}

fn stop(id: &str, h: Option<SessionHolder>, secs: i64) -> SessionFact {
    SessionFact {
        tenant: tid("acme"),
        session_id: id.into(),
        holder: h,
        started_at: at(secs),
        seen_at: at(secs),
        ended_at: Some(at(secs)),
    }
}

async fn apply(s: &dyn Store, facts: &[SessionFact]) -> Vec<SessionOutcome> {
    let mut tx = s.begin_network().await.unwrap();
    let out = tx.apply_sessions(facts).await.unwrap();
    tx.commit().await.unwrap();
    out
}

async fn holder_of(s: &dyn Store, ip: &str) -> Option<String> {
    s.find_active_session(&tid("acme"), ip.parse().unwrap(), at(-1000))
        .await
        .unwrap()
        .map(|x| x.session_id)
}

mod cases {
    use super::*;

    pub async fn network_sessions_open_refresh_stop(s: Arc<dyn Store>) {
        with_tenants(&*s, &["acme"]).await;
        let mut sub = subscriber("acme", "+34600000001", "sub-1");
        sub.imsi = Some("214070000000001".into());
        s.upsert_subscriber(&sub).await.unwrap();
        let h = || holder("10.0.0.1", "+34600000001", Some("214070000000001"));

        let out = apply(&*s, &[open("n/1", h(), 0)]).await;
        assert_eq!(
            out,
            [SessionOutcome {
                applied: true,
                known_subscriber: true,
                imsi_differs: false,
                displaced: 0
            }]
        );
        // Interim: refreshes last_seen, keeps started_at; a fact older than what is stored
        // does not move last_seen back.
        let mut interim = open("n/1", h(), 30);
        interim.started_at = at(-100);
        apply(&*s, &[interim, open("n/1", h(), 20)]).await;
        let got = s
            .find_active_session(&tid("acme"), "10.0.0.1".parse().unwrap(), at(30))
            .await
            .unwrap()
            .unwrap();
        assert_eq!((got.started_at, got.last_seen_at), (at(0), at(30)));
        assert_eq!(got.msisdn, phone("+34600000001"));

        // Another IMSI for the same number, an unknown number: recorded and reported.
        let out = apply(
            &*s,
            &[
                open(
                    "n/2",
                    holder("10.0.0.2", "+34600000001", Some("214079999999999")),
                    1,
                ),
                open("n/3", holder("10.0.0.3", "+34699999999", None), 1),
            ],
        )
        .await;
        assert!(out[0].imsi_differs && out[0].known_subscriber);
        assert!(out[1].applied && !out[1].known_subscriber);
        assert_eq!(holder_of(&*s, "10.0.0.3").await.as_deref(), Some("n/3"));

        // Stop ends; a retransmitted Stop and a late Interim change nothing.
        let out = apply(&*s, &[stop("n/1", Some(h()), 40)]).await;
        assert!(out[0].applied);
        assert_eq!(holder_of(&*s, "10.0.0.1").await, None);
        let out = apply(&*s, &[stop("n/1", Some(h()), 41), open("n/1", h(), 42)]).await;
        assert!(!out[0].applied && !out[1].applied);
        assert_eq!(holder_of(&*s, "10.0.0.1").await, None);

        // A Stop that arrives before its Start records the session as ended.
        apply(
            &*s,
            &[stop(
                "n/4",
                Some(holder("10.0.0.4", "+34600000001", None)),
                50,
            )],
        )
        .await;
        apply(
            &*s,
            &[open("n/4", holder("10.0.0.4", "+34600000001", None), 49)],
        )
        .await;
        assert_eq!(holder_of(&*s, "10.0.0.4").await, None);

        // A Stop naming no address ends a known session; for an unknown one it does nothing.
        let out = apply(&*s, &[stop("n/2", None, 60), stop("n/none", None, 60)]).await;
        assert!(out[0].applied && !out[1].applied);
        assert_eq!(holder_of(&*s, "10.0.0.2").await, None);
        assert_eq!(
            s.list_active_sessions(&tid("acme"), at(-1000))
                .await
                .unwrap()
                .into_iter()
                .map(|x| x.session_id)
                .collect::<Vec<_>>(),
            ["n/3"]
        );
    }

    pub async fn network_sessions_reassigned_address_ends_previous_holder(s: Arc<dyn Store>) {
        with_tenants(&*s, &["acme", "beta"]).await;
        let a = || holder("10.9.0.1", "+34600000001", None);
        let b = || holder("10.9.0.1", "+34600000002", None);
        apply(&*s, &[open("n/a", a(), 0)]).await;
        // Same address in another tenant: untouched.
        let mut other = open("n/x", a(), 5);
        other.tenant = tid("beta");
        apply(&*s, &[other]).await;
        // b gets the address; a's Stop was lost.
        let out = apply(&*s, &[open("n/b", b(), 10)]).await;
        assert_eq!(out[0].displaced, 1);
        assert_eq!(holder_of(&*s, "10.9.0.1").await.as_deref(), Some("n/b"));
        // When b stops, a must not come back.
        apply(&*s, &[stop("n/b", Some(b()), 20)]).await;
        assert_eq!(holder_of(&*s, "10.9.0.1").await, None);
        assert!(s
            .find_active_session(&tid("beta"), "10.9.0.1".parse().unwrap(), at(-1000))
            .await
            .unwrap()
            .is_some());
        // An older fact (an import of history) does not end a session seen after it.
        apply(&*s, &[open("n/c", a(), 30)]).await;
        let out = apply(&*s, &[open("n/old", b(), 25)]).await;
        assert_eq!(out[0].displaced, 0);
        assert_eq!(holder_of(&*s, "10.9.0.1").await.as_deref(), Some("n/c"));
    }

    pub async fn network_sessions_ipv6_prefix_and_nas_reset(s: Arc<dyn Store>) {
        with_tenants(&*s, &["acme"]).await;
        let prefix =
            ogw_core::network::ipv6_prefix_key("2001:db8:1:2::".parse().unwrap(), 64).unwrap();
        apply(
            &*s,
            &[
                open(
                    "nas1/s/v6",
                    holder(&prefix.to_string(), "+34600000001", None),
                    0,
                ),
                open("nas1/s", holder("10.0.0.1", "+34600000001", None), 0),
                open("nas1_/t", holder("10.0.0.2", "+34600000002", None), 0),
                open("nas2/s", holder("10.0.0.3", "+34600000003", None), 0),
            ],
        )
        .await;
        // Any address in the /64 is the device.
        assert_eq!(
            holder_of(&*s, "2001:db8:1:2:aaaa:bbbb:cccc:dddd")
                .await
                .as_deref(),
            Some("nas1/s/v6")
        );
        assert_eq!(holder_of(&*s, "2001:db8:1:3::1").await, None);
        // Accounting-On from nas1: its sessions end, nas1_ and nas2 keep theirs.
        let mut tx = s.begin_network().await.unwrap();
        let ended = tx
            .end_sessions_with_prefix(&tid("acme"), "nas1/", at(5))
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(ended, 2);
        assert_eq!(holder_of(&*s, "10.0.0.1").await, None);
        assert_eq!(holder_of(&*s, "2001:db8:1:2::1").await, None);
        assert_eq!(holder_of(&*s, "10.0.0.2").await.as_deref(), Some("nas1_/t"));
        assert_eq!(holder_of(&*s, "10.0.0.3").await.as_deref(), Some("nas2/s"));
    }

    pub async fn network_subscribers_batch_upsert_and_lookup(s: Arc<dyn Store>) {
        with_tenants(&*s, &["acme", "beta"]).await;
        let acme = tid("acme");
        // More rows than one statement takes.
        let rows: Vec<Subscriber> = (0..1234)
            .map(|i| subscriber("acme", &format!("+3461{i:07}"), &format!("sub-{i}")))
            .collect();
        let mut tx = s.begin_network().await.unwrap();
        tx.put_subscribers(&rows).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(s.count_subscribers(&acme).await.unwrap(), 1234);

        // Replace one, twice in a batch: the later row wins.
        let mut first = rows[7].clone();
        first.imsi = Some("214070000000001".into());
        let mut second = rows[7].clone();
        second.imsi = Some("214070000000002".into());
        second.sim_activated_at = at(99);
        let mut tx = s.begin_network().await.unwrap();
        tx.put_subscribers(&[first, second.clone()]).await.unwrap();
        let msisdns: Vec<PhoneNumber> = (0..1500).map(|i| phone(&format!("+3461{i:07}"))).collect();
        let mut seen = tx.subscribers_by_msisdn(&acme, &msisdns).await.unwrap();
        assert_eq!(seen.len(), 1234);
        seen.sort_by(|a, b| a.msisdn.cmp(&b.msisdn));
        assert_eq!(seen[7], second);
        let by_id = tx
            .subscribers_by_id(
                &acme,
                &[
                    SubscriberId::parse("sub-7").unwrap(),
                    SubscriberId::parse("nope").unwrap(),
                ],
            )
            .await
            .unwrap();
        assert_eq!(by_id, vec![second.clone()]);
        // Other tenants see nothing of acme's.
        assert!(tx
            .subscribers_by_msisdn(&tid("beta"), &msisdns[..10])
            .await
            .unwrap()
            .is_empty());
        tx.commit().await.unwrap();
        assert_eq!(
            s.get_subscriber(&acme, &second.msisdn).await.unwrap(),
            Some(second)
        );

        // A subscriber id held by another number: Conflict.
        let mut tx = s.begin_network().await.unwrap();
        let clash = subscriber("acme", "+34699999999", "sub-1");
        assert_conflict(tx.put_subscribers(&[clash]).await);
    }

    pub async fn network_sim_change_events(s: Arc<dyn Store>) {
        with_tenants(&*s, &["acme"]).await;
        let acme = tid("acme");
        let n = phone("+34600000001");
        s.upsert_subscriber(&subscriber("acme", "+34600000001", "sub-1"))
            .await
            .unwrap();
        let event = |id: &str, secs: i64, imsi: Option<&str>| SimChangeEvent {
            change: SimChange {
                tenant: acme.clone(),
                msisdn: n.clone(),
                changed_at: at(secs),
                source: "import".into(),
                event_id: id.into(),
            },
            new_imsi: imsi.map(str::to_owned),
            reason: Some("lost".into()),
        };
        let mut tx = s.begin_network().await.unwrap();
        let new = tx
            .record_sim_changes(&[
                event("e2", 20, Some("214070000000002")),
                event("e1", 10, Some("214070000000001")),
                event("e2", 20, Some("214070000000009")),
            ])
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(new, [true, true, false]);
        assert_eq!(s.latest_sim_change(&acme, &n).await.unwrap(), Some(at(20)));
        // The IMSI of the latest change wins, whatever the order of arrival.
        let sub = s.get_subscriber(&acme, &n).await.unwrap().unwrap();
        assert_eq!(sub.imsi.as_deref(), Some("214070000000002"));
        // Replaying is a no-op; the single-event method sees the batch's events.
        assert!(!s
            .record_sim_change(&event("e1", 10, None).change)
            .await
            .unwrap());
    }

    pub async fn network_rollback_discards_everything(s: Arc<dyn Store>) {
        with_tenants(&*s, &["acme"]).await;
        let acme = tid("acme");
        let mut tx = s.begin_network().await.unwrap();
        tx.put_subscribers(&[subscriber("acme", "+34600000001", "sub-1")])
            .await
            .unwrap();
        tx.apply_sessions(&[open("n/1", holder("10.0.0.1", "+34600000001", None), 0)])
            .await
            .unwrap();
        tx.rollback().await.unwrap();
        // Dropped without commit: rolled back too.
        {
            let mut tx = s.begin_network().await.unwrap();
            tx.put_subscribers(&[subscriber("acme", "+34600000002", "sub-2")])
                .await
                .unwrap();
        }
        assert_eq!(s.count_subscribers(&acme).await.unwrap(), 0);
        assert_eq!(holder_of(&*s, "10.0.0.1").await, None);
        // The store is usable afterwards (no lock left behind).
        s.upsert_subscriber(&subscriber("acme", "+34600000003", "sub-3"))
            .await
            .unwrap();
        assert_eq!(s.count_subscribers(&acme).await.unwrap(), 1);
    }
}
