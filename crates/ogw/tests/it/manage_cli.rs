//! CLI smoke tests: the built `ogw` binary against a temp data dir, then the server on the
//! same store accepting what the CLI made.
use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::common::*;
use crate::manage_kit::*;

struct Out {
    ok: bool,
    stdout: String,
    stderr: String,
}

fn ogw(dir: &Path, args: &[&str]) -> Out {
    let out = Command::new(env!("CARGO_BIN_EXE_ogw"))
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .env("USER", "tester")
        .env("RUST_BACKTRACE", "0")
        .env_remove("OGW_DATABASE_URL")
        .env_remove("OGW_SERVER_SECRET")
        .env_remove("OGW_DATA_DIR")
        .output()
        .expect("run ogw");
    Out {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[track_caller]
fn json(dir: &Path, args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.extend(["--output", "json"]);
    let o = ogw(dir, &all);
    assert!(o.ok, "ogw {args:?} failed: {}", o.stderr);
    serde_json::from_str(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", o.stdout))
}

#[tokio::test]
async fn cli_manages_the_store_the_server_uses() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();

    let boot = json(d, &["admin", "bootstrap"]);
    assert_eq!(boot["tenant"], "system");
    let admin_id = boot["clientId"].as_str().unwrap().to_owned();
    let admin_secret = boot["clientSecret"].as_str().unwrap().to_owned();
    assert!(admin_id.starts_with("admin-"));
    assert_eq!(
        boot["scopes"].as_array().unwrap().len(),
        ogw_core::manage::scopes::ALL.len()
    );

    let t = json(d, &["tenant", "create", "acme", "--name", "ACME Mobile"]);
    assert_eq!(t["status"], "active");
    let c = json(
        d,
        &[
            "capability",
            "upsert",
            "-t",
            "acme",
            "sim-swap-v2",
            "--api-name",
            "sim-swap",
            "--api-version",
            "2.1.0",
            "--base-path",
            "/sim-swap/v2",
            "--scope",
            "sim-swap:check",
            "--purpose",
            "dpv:FraudPreventionAndDetection",
        ],
    );
    assert_eq!(c["purposes"][0]["legalBasis"], "legitimate_interest");
    let a = json(
        d,
        &[
            "app",
            "create",
            "-t",
            "acme",
            "--name",
            "Bank",
            "--client-id",
            "bank",
            "--capability",
            "sim-swap-v2",
            "--purpose",
            "dpv:FraudPreventionAndDetection",
        ],
    );
    assert_eq!(a["clientId"], "bank");
    assert_eq!(a["dpopBoundAccessTokens"], false);
    let app_secret = a["clientSecret"].as_str().unwrap().to_owned();
    // RFC 9449: require DPoP, then make it optional again.
    let on = json(d, &["app", "dpop", "-t", "acme", "bank", "required"]);
    assert_eq!(on["dpopBoundAccessTokens"], true);
    let off = json(d, &["app", "dpop", "-t", "acme", "bank", "optional"]);
    assert_eq!(off["dpopBoundAccessTokens"], false);
    let bound = json(
        d,
        &[
            "app",
            "create",
            "-t",
            "acme",
            "--name",
            "Bound",
            "--client-id",
            "bound",
            "--dpop-bound-access-tokens",
        ],
    );
    assert_eq!(bound["dpopBoundAccessTokens"], true);
    let s = json(
        d,
        &[
            "subscriber",
            "upsert",
            "-t",
            "acme",
            "+34600000001",
            "--sim-activated-at",
            "2024-01-01T00:00:00Z",
        ],
    );
    assert_eq!(s["phoneNumber"], "+34600000001");
    let sc = json(
        d,
        &[
            "subscriber",
            "sim-change",
            "-t",
            "acme",
            "+34600000001",
            "--at",
            "2025-02-03T04:05:06Z",
        ],
    );
    assert_eq!(sc["recorded"], true);

    let which = [
        "-t",
        "acme",
        "--phone",
        "+34600000001",
        "--client",
        "bank",
        "--purpose",
        "dpv:FraudPreventionAndDetection",
    ];
    let mut args = vec!["consent", "check"];
    args.extend(which);
    let chk = json(d, &args);
    assert_eq!(chk["granted"], true);
    let mut args = vec!["consent", "deny"];
    args.extend(which);
    args.extend(["--reason", "called the hotline"]);
    assert_eq!(json(d, &args)["status"], "denied");
    let mut args = vec!["consent", "check"];
    args.extend(which);
    let chk = json(d, &args);
    assert_eq!(chk["granted"], false);
    assert_eq!(chk["status"], "OBJECTED");
    let mut args = vec!["consent", "history"];
    args.extend(which);
    let h = json(d, &args);
    assert_eq!(h["items"][0]["reason"], "called the hotline");
    assert_eq!(h["items"][0]["actor"], "cli:tester");

    // Tables by default.
    let o = ogw(d, &["tenant", "list"]);
    assert!(o.ok, "{}", o.stderr);
    let lines: Vec<_> = o.stdout.lines().collect();
    assert!(lines[0].starts_with("ID"), "{}", o.stdout);
    assert!(lines.iter().any(|l| l.starts_with("acme ")), "{}", o.stdout);
    let o = ogw(d, &["app", "list", "-t", "acme"]);
    assert!(o.stdout.contains("bank"), "{}", o.stdout);
    assert!(!o.stdout.contains(&app_secret));

    // Errors: the API's code, a failing exit status.
    let o = ogw(d, &["tenant", "get", "nope"]);
    assert!(!o.ok);
    assert!(o.stderr.contains("NOT_FOUND"), "{}", o.stderr);
    let o = ogw(d, &["tenant", "delete", "acme"]);
    assert!(!o.ok);
    assert!(o.stderr.contains("CONFLICT"), "{}", o.stderr);
    let o = ogw(d, &["app", "list"]);
    assert!(!o.ok);
    assert!(o.stderr.contains("--tenant"), "{}", o.stderr);

    // The server on the same data dir (and so the same server secret) accepts the
    // bootstrap credential's hash and shows what the CLI did, audited as cli:tester.
    let dir = d.to_path_buf();
    let app = spawn_app_with(move |c| {
        c.data_dir = dir;
        c.server_secret = None;
        c.demo = false;
    })
    .await;
    let stored = app
        .state
        .store
        .find_application(&ogw_core::domain::ClientId::parse(&admin_id).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(app
        .state
        .pepper
        .verify(&admin_secret, stored.secret_hash.as_deref().unwrap()));
    let tok = token(&app, "system", &admin_id, ALL);
    let r = get(&app, "/v1/tenants/acme/audit?actor=cli:tester", &tok).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let actions: Vec<_> = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(actions.contains(&"tenant.create"), "{actions:?}");
    assert!(actions.contains(&"application.create"), "{actions:?}");
    assert!(actions.contains(&"consent.deny"), "{actions:?}");
    app.stop().await.unwrap();

    // Cascade delete from the CLI.
    let o = ogw(d, &["tenant", "delete", "acme", "--cascade"]);
    assert!(o.ok, "{}", o.stderr);
    assert!(!ogw(d, &["tenant", "get", "acme"]).ok);
}

#[tokio::test]
async fn cli_manages_views_with_the_api_use_cases() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    json(d, &["tenant", "create", "acme", "--name", "ACME Mobile"]);
    json(
        d,
        &[
            "capability",
            "upsert",
            "-t",
            "acme",
            "sim-swap-v2",
            "--api-name",
            "sim-swap",
            "--api-version",
            "2.1.0",
            "--base-path",
            "/sim-swap/v2",
            "--scope",
            "sim-swap:check",
            "--purpose",
            "dpv:FraudPreventionAndDetection",
        ],
    );
    let mut def = serde_json::json!({
        "purpose": "dpv:FraudPreventionAndDetection",
        "capability": "sim-swap-v2",
        "defaultLocale": "es",
        "locales": {"es": {"title": "Antifraude", "explanation": "SIM", "legalText": "L"}},
        "branding": {"colour": "#E4002B"}
    });
    let file = d.join("view.json");
    std::fs::write(&file, def.to_string()).unwrap();
    let f = file.to_str().unwrap();

    let v = json(d, &["view", "create", "-t", "acme", "fraud", "--file", f]);
    assert_eq!(v["capability"], "sim-swap-v2");
    assert_eq!(v["branding"]["colour"], "#e4002b");
    let o = ogw(d, &["view", "create", "-t", "acme", "fraud", "--file", f]);
    assert!(!o.ok && o.stderr.contains("CONFLICT"), "{}", o.stderr);

    def["locales"]["es"]["title"] = "Prevención del fraude".into();
    std::fs::write(&file, def.to_string()).unwrap();
    let v = json(d, &["view", "update", "-t", "acme", "fraud", "--file", f]);
    assert_eq!(v["locales"]["es"]["title"], "Prevención del fraude");
    let o = ogw(d, &["view", "update", "-t", "acme", "nope", "--file", f]);
    assert!(!o.ok && o.stderr.contains("NOT_FOUND"), "{}", o.stderr);

    let o = ogw(d, &["view", "list", "-t", "acme"]);
    assert!(o.ok, "{}", o.stderr);
    assert!(
        o.stdout.contains("fraud") && o.stdout.contains("sim-swap-v2"),
        "{}",
        o.stdout
    );
    assert_eq!(
        json(d, &["view", "get", "-t", "acme", "fraud"])["id"],
        "fraud"
    );

    def["branding"]["colour"] = "red".into();
    std::fs::write(&file, def.to_string()).unwrap();
    let o = ogw(d, &["view", "update", "-t", "acme", "fraud", "--file", f]);
    assert!(
        !o.ok && o.stderr.contains("INVALID_ARGUMENT"),
        "{}",
        o.stderr
    );
    let o = ogw(d, &["view", "list"]);
    assert!(!o.ok && o.stderr.contains("--tenant"), "{}", o.stderr);

    let o = ogw(d, &["view", "delete", "-t", "acme", "fraud"]);
    assert!(o.ok, "{}", o.stderr);
    assert_eq!(
        json(d, &["view", "list", "-t", "acme"])["items"],
        serde_json::json!([])
    );
}
