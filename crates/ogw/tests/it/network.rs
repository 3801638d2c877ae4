//! Network facts in: RADIUS accounting from a Rust client and from FreeRADIUS's radclient,
//! then network-based authentication from the address; bulk imports.
use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

use ogw_core::domain::{PhoneNumber, TenantId};
use ogw_core::network::accounting::AcctStatus;
use ogw_core::network::import::{Format, ImportKind, ImportReport};
use ogw_radius::client::{send, AccountingRequest};
use tokio::net::UdpSocket;

use crate::common::*;

const SECRET: &str = "it-radius-secret-0123456789";
const WAIT: Duration = Duration::from_secs(3);

async fn spawn_with_radius() -> TestApp {
    spawn_app_with(|c| {
        c.radius = Some(ogw::config::RadiusConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            clients: vec![ogw::config::RadiusClientConfig {
                address: "127.0.0.1".parse().unwrap(),
                secret: SECRET.into(),
                tenant: TenantId::parse("demo").unwrap(),
            }],
            max_batch: 1024,
        });
        c.session_idle_timeout_secs = Some(600);
    })
    .await
}

/// Who the network takes a device at `ip` to be: the subscriber of the active IP session
/// holding `ip`, by the lookup `/authorize` makes (idle timeout included). Tells *which*
/// number; [`authorize_from`] proves the real endpoint agrees.
async fn network_identity_at(app: &TestApp, ip: &str) -> Option<PhoneNumber> {
    let tenant = TenantId::parse("demo").unwrap();
    let now = app.state.now();
    let seen_since = app
        .state
        .settings
        .session_idle_timeout
        .map(|t| now - t)
        .unwrap_or(chrono::DateTime::<chrono::Utc>::MIN_UTC);
    let session = app
        .state
        .store
        .find_active_session(&tenant, ip.parse::<IpAddr>().unwrap(), seen_since)
        .await
        .unwrap()?;
    app.state
        .store
        .get_subscriber(&tenant, &session.msisdn)
        .await
        .unwrap()
        .map(|s| s.msisdn)
}

/// A real `/authorize` (code flow with PKCE) sent from `ip` (127.0.0.0/8 is all loopback, so
/// the TCP peer is `ip`): the code when the network authenticated the device, `None` when the
/// AS answered with an error redirect.
async fn authorize_from(app: &TestApp, ip: &str) -> Option<String> {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .local_address(ip.parse::<IpAddr>().unwrap())
        .build()
        .unwrap();
    let res = client
        .get(app.url("/authorize"))
        .query(&[
            ("response_type", "code"),
            ("client_id", ogw::demo::CLIENT_ID),
            ("redirect_uri", "whatever"),
            (
                "scope",
                "openid dpv:FraudPreventionAndDetection number-verification:verify",
            ),
            ("state", "st"),
            (
                "code_challenge",
                "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            ),
            ("code_challenge_method", "S256"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 302);
    let loc = res.headers()["location"].to_str().unwrap().to_owned();
    let url = reqwest::Url::parse("http://client.invalid/")
        .unwrap()
        .join(&loc)
        .unwrap();
    let q: std::collections::HashMap<String, String> = url.query_pairs().into_owned().collect();
    if q.contains_key("code") {
        Some(q["code"].clone())
    } else {
        assert_eq!(
            q.get("error").map(String::as_str),
            Some("access_denied"),
            "{loc}"
        );
        None
    }
}

fn start(id: u8, session: &str, ip: &str, msisdn: &str) -> AccountingRequest {
    AccountingRequest::new(id, AcctStatus::Start, session)
        .framed_ip(ip.parse().unwrap())
        .calling_station_id(msisdn)
        .imsi("214070000000002")
}

#[tokio::test]
async fn accounting_start_authenticates_the_address_and_stop_ends_it() {
    let app = spawn_with_radius().await;
    let radius = app.radius_addr.unwrap();
    let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    assert_eq!(network_identity_at(&app, "127.0.0.7").await, None);
    assert_eq!(authorize_from(&app, "127.0.0.7").await, None);

    // The MSISDN comes without '+', as GGSNs send it.
    let req = start(1, "pdp-1", "127.0.0.7", "34600000002")
        .encode(SECRET.as_bytes())
        .unwrap();
    assert!(send(&sock, radius, &req, SECRET.as_bytes(), WAIT)
        .await
        .unwrap());
    assert_eq!(
        network_identity_at(&app, "127.0.0.7").await,
        Some(PhoneNumber::parse("+34600000002").unwrap())
    );
    assert!(authorize_from(&app, "127.0.0.7").await.is_some());

    let stop = AccountingRequest::new(2, AcctStatus::Stop, "pdp-1")
        .framed_ip("127.0.0.7".parse().unwrap())
        .calling_station_id("34600000002")
        .encode(SECRET.as_bytes())
        .unwrap();
    assert!(send(&sock, radius, &stop, SECRET.as_bytes(), WAIT)
        .await
        .unwrap());
    assert_eq!(network_identity_at(&app, "127.0.0.7").await, None);
    assert_eq!(authorize_from(&app, "127.0.0.7").await, None);

    // The metrics endpoint reports the listener's counters.
    let text = app
        .http
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.lines()
            .any(|l| l.starts_with("radius_accounting_total") && l.contains("recorded")),
        "{text}"
    );
}

#[tokio::test]
async fn accounting_with_a_wrong_secret_is_ignored() {
    let app = spawn_with_radius().await;
    let radius = app.radius_addr.unwrap();
    let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let forged = start(1, "pdp-2", "127.0.0.8", "34600000003")
        .encode(b"guessed-secret")
        .unwrap();
    let answered = send(
        &sock,
        radius,
        &forged,
        b"guessed-secret",
        Duration::from_millis(500),
    )
    .await
    .unwrap();
    assert!(!answered);
    assert_eq!(network_identity_at(&app, "127.0.0.8").await, None);
    assert_eq!(authorize_from(&app, "127.0.0.8").await, None);
    let stats = app.radius_stats.as_ref().unwrap();
    assert_eq!(
        stats
            .bad_authenticator
            .load(std::sync::atomic::Ordering::Relaxed),
        1
    );
    // A new holder of an address ends the session of the old one (lost Stop): the demo's
    // loopback session no longer authenticates as the main demo number once 127.0.0.1 is
    // reassigned.
    let genuine = start(2, "pdp-3", "127.0.0.1", "34600000003")
        .encode(SECRET.as_bytes())
        .unwrap();
    assert!(send(&sock, radius, &genuine, SECRET.as_bytes(), WAIT)
        .await
        .unwrap());
    assert_eq!(
        network_identity_at(&app, "127.0.0.1").await,
        Some(PhoneNumber::parse("+34600000003").unwrap())
    );
}

#[tokio::test]
async fn idle_sessions_expire_after_the_configured_timeout() {
    let clock = fake_clock();
    let app = spawn_app_with_clock(&clock, |c| c.session_idle_timeout_secs = Some(2)).await;
    assert_eq!(
        app.state.settings.session_idle_timeout,
        Some(chrono::Duration::seconds(2))
    );
    let now = app.state.now();
    app.state
        .store
        .upsert_ip_session(&ogw_core::store::IpSession {
            tenant: TenantId::parse("demo").unwrap(),
            session_id: "idle-1".into(),
            ip: "127.0.0.30".parse().unwrap(),
            msisdn: PhoneNumber::parse("+34600000002").unwrap(),
            started_at: now,
            last_seen_at: now,
            ended_at: None,
        })
        .await
        .unwrap();
    assert!(network_identity_at(&app, "127.0.0.30").await.is_some());
    // No interim update within the timeout: the session no longer authenticates.
    clock.advance(chrono::Duration::milliseconds(2500));
    assert_eq!(network_identity_at(&app, "127.0.0.30").await, None);
}

/// FreeRADIUS's radclient as the NAS. Installed by .ci/run; skipped with a notice elsewhere.
#[tokio::test]
async fn radclient_accounting_start_then_stop() {
    if std::process::Command::new("radclient")
        .arg("-v")
        .output()
        .is_err()
    {
        eprintln!("radclient not installed (apt-get install freeradius-utils): skipping");
        return;
    }
    let app = spawn_with_radius().await;
    let radius = app.radius_addr.unwrap();
    let radclient = |attrs: &'static str| {
        let server = radius.to_string();
        tokio::task::spawn_blocking(move || {
            use std::io::Write;
            let mut child = std::process::Command::new("radclient")
                .args(["-x", "-r", "2", "-t", "3", &server, "acct", SECRET])
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            child
                .stdin
                .take()
                .unwrap()
                .write_all(attrs.as_bytes())
                .unwrap();
            let out = child.wait_with_output().unwrap();
            let text = String::from_utf8_lossy(&out.stdout).to_string()
                + &String::from_utf8_lossy(&out.stderr);
            (out.status.success(), text)
        })
    };
    let (ok, text) = radclient(
        "Acct-Status-Type = Start\nAcct-Session-Id = \"rc-1\"\nFramed-IP-Address = 127.0.0.9\n\
         Calling-Station-Id = \"34600000003\"\n3GPP-IMSI = \"214070000000003\"\n",
    )
    .await
    .unwrap();
    assert!(ok, "{text}");
    assert!(text.contains("Accounting-Response"), "{text}");
    assert_eq!(
        network_identity_at(&app, "127.0.0.9").await,
        Some(PhoneNumber::parse("+34600000003").unwrap())
    );
    assert!(authorize_from(&app, "127.0.0.9").await.is_some());
    let (ok, text) = radclient(
        "Acct-Status-Type = Stop\nAcct-Session-Id = \"rc-1\"\nFramed-IP-Address = 127.0.0.9\n\
         Calling-Station-Id = \"34600000003\"\n",
    )
    .await
    .unwrap();
    assert!(ok, "{text}");
    assert_eq!(network_identity_at(&app, "127.0.0.9").await, None);
    assert_eq!(authorize_from(&app, "127.0.0.9").await, None);
    // A wrong secret: radclient gets no answer and gives up; nothing is recorded.
    let server = radius.to_string();
    let (ok, _) = tokio::task::spawn_blocking(move || {
        use std::io::Write;
        let mut child = std::process::Command::new("radclient")
            .args(["-r", "1", "-t", "1", &server, "acct", "wrong-secret"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(
                b"Acct-Status-Type = Start\nAcct-Session-Id = \"rc-2\"\n\
                  Framed-IP-Address = 127.0.0.10\nCalling-Station-Id = \"34600000003\"\n",
            )
            .unwrap();
        let out = child.wait_with_output().unwrap();
        (out.status.success(), ())
    })
    .await
    .unwrap();
    assert!(!ok);
    assert_eq!(network_identity_at(&app, "127.0.0.10").await, None);
}

async fn import(app: &TestApp, kind: ImportKind, name: &str, body: &str) -> ImportReport {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, body).unwrap();
    ogw::network::import_file(
        app.state.store.as_ref(),
        kind,
        &path,
        &TenantId::parse("demo").unwrap(),
        None,
        app.state.now(),
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn import_with_bad_rows_reports_each_line_and_writes_nothing() {
    let app = spawn_app().await;
    let demo = TenantId::parse("demo").unwrap();
    let csv = "phoneNumber,simActivatedAt,imsi\n\
               +34610000001,2024-01-01T00:00:00Z,214070000000101\n\
               not-a-number,2024-01-01T00:00:00Z,\n\
               \n\
               +34610000002,yesterday,\n\
               +34610000003,2024-01-01T00:00:00Z,12\n\
               +34610000004,2024-01-01T00:00:00Z\n";
    let r = import(&app, ImportKind::Subscribers, "subs.csv", csv).await;
    assert!(!r.committed);
    let lines: Vec<u64> = r.errors.iter().map(|e| e.line).collect();
    assert_eq!(lines, [3, 5, 6, 7], "{:?}", r.errors);
    assert!(
        r.errors[0].message.starts_with("phoneNumber"),
        "{:?}",
        r.errors
    );
    assert!(
        r.errors[1].message.starts_with("simActivatedAt"),
        "{:?}",
        r.errors
    );
    assert!(r.errors[2].message.starts_with("imsi"), "{:?}", r.errors);
    assert!(r.errors[3].message.contains("cells"), "{:?}", r.errors);
    // The good row was not written either.
    let good = PhoneNumber::parse("+34610000001").unwrap();
    assert!(app
        .state
        .store
        .get_subscriber(&demo, &good)
        .await
        .unwrap()
        .is_none());

    // NDJSON with an unknown field and broken JSON.
    let nd = "{\"phoneNumber\":\"+34610000001\",\"simActivatedAt\":\"2024-01-01T00:00:00Z\",\"colour\":\"red\"}\n{oops\n";
    let r = import(&app, ImportKind::Subscribers, "subs.ndjson", nd).await;
    assert!(!r.committed);
    assert_eq!(r.error_count, 2);
    assert!(r.errors[0].message.contains("colour"), "{:?}", r.errors);
    assert!(
        r.errors[1].message.contains("malformed JSON"),
        "{:?}",
        r.errors
    );

    // A bad header stops at line 1.
    let r = import(
        &app,
        ImportKind::Subscribers,
        "h.csv",
        "msisdn,activated\n1,2\n",
    )
    .await;
    assert_eq!((r.error_count, r.errors[0].line), (1, 1));
}

#[tokio::test]
async fn import_duplicates_are_idempotent_and_ids_immutable() {
    let app = spawn_app().await;
    let demo = TenantId::parse("demo").unwrap();
    let subs = "{\"phoneNumber\":\"+34610000001\",\"simActivatedAt\":\"2024-01-01T00:00:00Z\",\"subscriberId\":\"sub-a\"}\n\
                {\"phoneNumber\":\"34610000002\",\"simActivatedAt\":\"2024-01-01T00:00:00Z\"}\n\
                {\"phoneNumber\":\"+34610000001\",\"simActivatedAt\":\"2024-02-01T00:00:00Z\",\"subscriberId\":\"sub-a\"}\n";
    let r = import(&app, ImportKind::Subscribers, "s.ndjson", subs).await;
    assert!(r.committed, "{:?}", r.errors);
    assert_eq!((r.inserted, r.unchanged), (2, 1));
    let one = PhoneNumber::parse("+34610000001").unwrap();
    let s1 = app
        .state
        .store
        .get_subscriber(&demo, &one)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        s1.sim_activated_at.to_rfc3339(),
        "2024-02-01T00:00:00+00:00"
    );
    // Importing the same file again changes nothing.
    let r = import(&app, ImportKind::Subscribers, "s.ndjson", subs).await;
    assert!(r.committed);
    assert_eq!((r.inserted, r.updated), (0, 0));
    assert_eq!(app.state.store.count_subscribers(&demo).await.unwrap(), 6);
    // An existing subscriber's id cannot change; an id of another number cannot be taken.
    let r = import(
        &app,
        ImportKind::Subscribers,
        "s.csv",
        "phoneNumber,simActivatedAt,subscriberId\n\
         +34610000001,2024-01-01T00:00:00Z,sub-b\n\
         +34610000009,2024-01-01T00:00:00Z,sub-a\n",
    )
    .await;
    assert!(!r.committed);
    assert_eq!(r.errors.len(), 2, "{:?}", r.errors);
    assert!(
        r.errors[0].message.contains("cannot change"),
        "{:?}",
        r.errors
    );
    assert!(
        r.errors[1].message.contains("already belongs"),
        "{:?}",
        r.errors
    );

    // SIM changes: duplicates by event id are recorded once; unknown numbers are errors.
    let changes = "phoneNumber,changedAt,newImsi,reason,eventId\n\
                   +34610000001,2025-01-01T00:00:00Z,214070000000777,lost,ev-1\n\
                   +34610000001,2025-01-01T00:00:00Z,214070000000777,lost,ev-1\n\
                   +34610000002,2025-01-02T00:00:00Z,,upgrade,\n";
    let r = import(&app, ImportKind::SimChanges, "c.csv", changes).await;
    assert!(r.committed, "{:?}", r.errors);
    assert_eq!((r.inserted, r.unchanged), (2, 1));
    let r = import(&app, ImportKind::SimChanges, "c.csv", changes).await;
    assert_eq!((r.inserted, r.unchanged), (0, 3));
    assert_eq!(
        app.state
            .store
            .latest_sim_change(&demo, &one)
            .await
            .unwrap()
            .map(|t| t.to_rfc3339()),
        Some("2025-01-01T00:00:00+00:00".into())
    );
    let s1 = app
        .state
        .store
        .get_subscriber(&demo, &one)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(s1.imsi.as_deref(), Some("214070000000777"));
    let r = import(
        &app,
        ImportKind::SimChanges,
        "c.ndjson",
        "{\"phoneNumber\":\"+34699999999\",\"changedAt\":\"2025-01-01T00:00:00Z\"}\n",
    )
    .await;
    assert!(!r.committed);
    assert!(r.errors[0].message.contains("not a subscriber"));
}

#[tokio::test]
async fn import_ip_sessions_then_the_address_authenticates() {
    let app = spawn_app().await;
    let sessions = "sessionId,ipAddress,phoneNumber,startedAt,endedAt\n\
                    imp-1,127.0.0.20,+34600000002,2025-01-01T00:00:00Z,\n\
                    imp-2,2001:db8:7:7::/64,+34600000003,2025-01-01T00:00:00Z,\n\
                    imp-3,127.0.0.21,+34600000002,2025-01-01T00:00:00Z,2025-01-01T01:00:00Z\n";
    let r = import(&app, ImportKind::IpSessions, "ip.csv", sessions).await;
    assert!(r.committed, "{:?}", r.errors);
    assert_eq!(r.updated, 3);
    assert_eq!(
        network_identity_at(&app, "127.0.0.20").await,
        Some(PhoneNumber::parse("+34600000002").unwrap())
    );
    assert_eq!(
        network_identity_at(&app, "2001:db8:7:7:1::1").await,
        Some(PhoneNumber::parse("+34600000003").unwrap())
    );
    assert_eq!(network_identity_at(&app, "127.0.0.21").await, None);
}

/// A large generated file through the real binary: streamed, committed, counted.
#[tokio::test]
async fn import_large_generated_file_with_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("subs.csv");
    const N: usize = 50_000;
    {
        use std::io::Write;
        let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        writeln!(f, "phoneNumber,simActivatedAt,imsi").unwrap();
        for i in 0..N {
            writeln!(f, "+3462{i:07},2024-01-01T00:00:00Z,21407{i:010}").unwrap();
        }
    }
    let data = dir.path().join("data");
    let bin = env!("CARGO_BIN_EXE_ogw");
    let run = |args: &[&str]| {
        std::process::Command::new(bin)
            .args(args)
            .env("OGW_DATA_DIR", &data)
            .env("OGW_SERVER_SECRET", "test-server-secret-0123456789abcdef")
            .env("OGW_LOG_LEVEL", "warn")
            .output()
            .unwrap()
    };
    // A tenant is needed: the demo seed is the quickest way to one.
    let seeded = seed_demo(&data).await;
    assert!(seeded);
    let out = run(&[
        "import",
        "subscribers",
        path.to_str().unwrap(),
        "--tenant",
        "demo",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains(&format!("{N} inserted")), "{text}");
    assert!(text.contains("committed"), "{text}");
    // A bad row anywhere: exit code 2, the line reported, nothing written.
    let bad = dir.path().join("bad.ndjson");
    std::fs::write(
        &bad,
        "{\"phoneNumber\":\"+34630000001\",\"simActivatedAt\":\"2024-01-01T00:00:00Z\"}\n\
         {\"phoneNumber\":\"+34630000002\"}\n",
    )
    .unwrap();
    let out = run(&[
        "import",
        "subscribers",
        bad.to_str().unwrap(),
        "--tenant",
        "demo",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(
        text.contains("line 2: missing field `simActivatedAt`"),
        "{text}"
    );
    let store = ogw_store_sql::open(&format!("sqlite://{}/ogw.db", data.display()))
        .await
        .unwrap();
    let demo = TenantId::parse("demo").unwrap();
    assert_eq!(store.count_subscribers(&demo).await.unwrap(), N as i64 + 4);
}

async fn seed_demo(data: &Path) -> bool {
    let store = ogw_store_sql::open(&format!("sqlite://{}/ogw.db", data.display()))
        .await
        .unwrap();
    store.migrate().await.unwrap();
    let pepper = ogw_core::secret::Pepper::new(b"test-server-secret-0123456789abcdef".to_vec());
    ogw::demo::seed(store.as_ref(), &pepper, chrono::Utc::now())
        .await
        .unwrap()
}

#[test]
fn formats_are_known_by_extension() {
    assert_eq!(Format::from_file_name("a.jsonl"), Some(Format::Ndjson));
}

mod http {
    use serde_json::json;

    use super::*;
    use crate::manage_kit::{manager, operator, post};

    #[tokio::test]
    async fn sim_change_api_records_once_and_needs_the_scope() {
        let app = spawn_app().await;
        let writer = manager(&app, "demo", "prov", "subscribers:write").await;
        let body = json!({
            "phoneNumber": "34600000003",
            "changedAt": "2025-03-01T10:00:00Z",
            "newImsi": "214070000000333",
            "reason": "lost",
            "eventId": "crm-42"
        });
        let r = post(&app, "/v1/network/sim-changes", &writer, body.clone()).await;
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!(r.body["phoneNumber"], "+34600000003");
        assert_eq!(r.body["recorded"], true);
        assert_eq!(r.body["source"], "api");
        let again = post(&app, "/v1/network/sim-changes", &writer, body).await;
        assert_eq!(again.status, 200);
        assert_eq!(again.body["recorded"], false);
        let demo = TenantId::parse("demo").unwrap();
        let n = PhoneNumber::parse("+34600000003").unwrap();
        assert_eq!(
            app.state
                .store
                .latest_sim_change(&demo, &n)
                .await
                .unwrap()
                .map(|t| t.to_rfc3339()),
            Some("2025-03-01T10:00:00+00:00".into())
        );
        let audit = app
            .state
            .store
            .list_audit(
                &demo,
                &ogw_core::store::AuditFilter {
                    action_prefix: Some("network.".into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(audit.len(), 1);

        // Unknown number, bad field, missing scope, no token.
        post(
            &app,
            "/v1/network/sim-changes",
            &writer,
            json!({"phoneNumber": "+34699999999", "changedAt": "2025-03-01T10:00:00Z"}),
        )
        .await
        .assert_error(404, "NOT_FOUND");
        post(
            &app,
            "/v1/network/sim-changes",
            &writer,
            json!({"phoneNumber": "+34600000003", "changedAt": "tomorrow"}),
        )
        .await
        .assert_error(400, "INVALID_ARGUMENT");
        let reader = manager(&app, "demo", "prov-ro", "subscribers:read").await;
        post(
            &app,
            "/v1/network/sim-changes",
            &reader,
            json!({"phoneNumber": "+34600000003", "changedAt": "2025-03-01T10:00:00Z"}),
        )
        .await
        .assert_error(403, "PERMISSION_DENIED");
        // Another tenant's client cannot write into demo.
        let other = manager(&app, "acme", "acme-prov", "subscribers:write").await;
        post(
            &app,
            "/v1/network/sim-changes?tenant=demo",
            &other,
            json!({"phoneNumber": "+34600000003", "changedAt": "2025-03-01T10:00:00Z"}),
        )
        .await
        .assert_error(404, "NOT_FOUND");
        let res = app
            .http
            .post(format!("http://{}/v1/network/sim-changes", app.addr))
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401);
    }

    async fn upload(
        app: &TestApp,
        path: &str,
        token: &str,
        ct: &str,
        body: String,
    ) -> (u16, serde_json::Value) {
        let res = app
            .http
            .post(format!("http://{}{}", app.addr, path))
            .bearer_auth(token)
            .header("content-type", ct)
            .body(body)
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        (status, res.json().await.unwrap())
    }

    #[tokio::test]
    async fn import_upload_streams_csv_and_ndjson() {
        let app = spawn_app().await;
        let ops = operator(&app).await;
        let mut csv = String::from("phoneNumber,simActivatedAt\n");
        for i in 0..5000 {
            csv.push_str(&format!("+3465{i:07},2024-05-01T00:00:00Z\n"));
        }
        let (status, r) = upload(
            &app,
            "/v1/network/imports/subscribers?tenant=demo",
            &ops,
            "text/csv",
            csv,
        )
        .await;
        assert_eq!(status, 200, "{r}");
        assert_eq!(r["inserted"], 5000);
        assert_eq!(r["committed"], true);
        let demo = TenantId::parse("demo").unwrap();
        assert_eq!(
            app.state.store.count_subscribers(&demo).await.unwrap(),
            5004
        );

        // A rejected upload: 422, errors by line, nothing written.
        let nd = "{\"phoneNumber\":\"+34660000001\",\"simActivatedAt\":\"2024-05-01T00:00:00Z\"}\n\
                  {\"phoneNumber\":\"+34660000002\",\"simActivatedAt\":\"2024-05-01T00:00:00Z\",\"imsi\":\"x\"}\n";
        let (status, r) = upload(
            &app,
            "/v1/network/imports/subscribers?tenant=demo",
            &ops,
            "application/x-ndjson",
            nd.into(),
        )
        .await;
        assert_eq!(status, 422, "{r}");
        assert_eq!(r["committed"], false);
        assert_eq!(r["errors"][0]["line"], 2);
        assert_eq!(
            app.state.store.count_subscribers(&demo).await.unwrap(),
            5004
        );

        let (status, _) = upload(
            &app,
            "/v1/network/imports/subscribers?tenant=demo",
            &ops,
            "text/plain",
            "x".into(),
        )
        .await;
        assert_eq!(status, 415);
        let (status, _) = upload(
            &app,
            "/v1/network/imports/nope?tenant=demo",
            &ops,
            "text/csv",
            "x".into(),
        )
        .await;
        assert_eq!(status, 404);
        let reader = manager(&app, "demo", "prov-ro", "subscribers:read").await;
        let (status, _) = upload(
            &app,
            "/v1/network/imports/subscribers",
            &reader,
            "text/csv",
            "x".into(),
        )
        .await;
        assert_eq!(status, 403);
    }
}
