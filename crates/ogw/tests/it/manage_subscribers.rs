//! Subscribers and network facts over HTTP.
use serde_json::json;

use crate::common::*;
use crate::manage_kit::*;

#[tokio::test]
async fn list_get_and_sessions() {
    let app = spawn_app().await;
    let t = operator(&app).await;
    let all = all_pages(&app, "/v1/tenants/demo/subscribers", &t, 3).await;
    let phones: Vec<_> = all
        .iter()
        .map(|s| s["phoneNumber"].as_str().unwrap())
        .collect();
    assert_eq!(
        phones,
        [
            "+34600000002",
            "+34600000003",
            "+34600000004",
            "+34629255833"
        ]
    );

    let r = get(&app, "/v1/tenants/demo/subscribers/+34629255833", &t).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["subscriberId"], "sub-demo-0001");
    assert_eq!(r.body["latestSimChange"], "2024-09-18T07:37:53Z");
    assert!(r.header("etag").is_some());
    // An encoded + works too.
    assert_eq!(
        get(&app, "/v1/tenants/demo/subscribers/%2B34629255833", &t)
            .await
            .status,
        200
    );
    get(&app, "/v1/tenants/demo/subscribers/+34699999999", &t)
        .await
        .assert_error(404, "NOT_FOUND");
    get(&app, "/v1/tenants/demo/subscribers/12345", &t)
        .await
        .assert_error(400, "INVALID_ARGUMENT");

    let sessions = all_pages(&app, "/v1/tenants/demo/ip-sessions", &t, 1).await;
    let ips: Vec<_> = sessions.iter().map(|s| s["ip"].as_str().unwrap()).collect();
    assert_eq!(ips, ["127.0.0.1", "::1"]);
    assert!(sessions.iter().all(|s| s["phoneNumber"] == "+34629255833"));
    let none = get(
        &app,
        "/v1/tenants/demo/ip-sessions?phoneNumber=%2B34600000002",
        &t,
    )
    .await;
    assert_eq!(none.body["items"], json!([]));
}

#[tokio::test]
async fn upsert_and_sim_changes() {
    let app = spawn_app().await;
    let t = operator(&app).await;
    let path = "/v1/tenants/demo/subscribers/+34611111111";
    let r = put(
        &app,
        path,
        &t,
        json!({"simActivatedAt": "2024-05-01T10:00:00Z", "imsi": "214070000000001"}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.header("location"), Some(path));
    let id = r.body["subscriberId"].as_str().unwrap().to_owned();
    assert!(id.starts_with("sub-"));
    let tag = r.etag();

    // Replace under If-Match; the id is immutable.
    let r = call(
        &app,
        reqwest::Method::PUT,
        path,
        Some(&t),
        Some(json!({"simActivatedAt": "2024-06-01T10:00:00Z"})),
        &[("if-match", "\"stale\"")],
    )
    .await;
    r.assert_error(412, "PRECONDITION_FAILED");
    let r = call(
        &app,
        reqwest::Method::PUT,
        path,
        Some(&t),
        Some(json!({"simActivatedAt": "2024-06-01T10:00:00Z"})),
        &[("if-match", &tag)],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["subscriberId"], id.as_str());
    assert!(r.body.get("imsi").is_none());
    put(
        &app,
        path,
        &t,
        json!({"subscriberId": "other", "simActivatedAt": "2024-06-01T10:00:00Z"}),
    )
    .await
    .assert_error(422, "IMMUTABLE_FIELD");
    // A subscriber id already used by another number.
    put(
        &app,
        "/v1/tenants/demo/subscribers/+34622222222",
        &t,
        json!({"subscriberId": "sub-demo-0001", "simActivatedAt": "2024-06-01T10:00:00Z"}),
    )
    .await
    .assert_error(409, "CONFLICT");
    put(&app, path, &t, json!({"simActivatedAt": "yesterday"}))
        .await
        .assert_error(400, "INVALID_ARGUMENT");
    put(
        &app,
        path,
        &t,
        json!({"simActivatedAt": "2024-06-01T10:00:00Z", "imsi": "12"}),
    )
    .await
    .assert_error(400, "INVALID_ARGUMENT");

    // SIM changes: recorded once per event id, latest is what SIM Swap reads.
    let sc = format!("{path}/sim-changes");
    let r = post(
        &app,
        &sc,
        &t,
        json!({"changedAt": "2025-01-02T03:04:05Z", "source": "hlr", "eventId": "ev-1"}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["recorded"], true);
    let r = post(
        &app,
        &sc,
        &t,
        json!({"changedAt": "2025-01-02T03:04:05Z", "eventId": "ev-1"}),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["recorded"], false);
    post(&app, &sc, &t, json!({"changedAt": "2999-01-01T00:00:00Z"}))
        .await
        .assert_error(422, "INVALID_DATE");
    post(
        &app,
        "/v1/tenants/demo/subscribers/+34699999999/sim-changes",
        &t,
        json!({}),
    )
    .await
    .assert_error(404, "NOT_FOUND");
    let r = get(&app, path, &t).await;
    assert_eq!(r.body["latestSimChange"], "2025-01-02T03:04:05Z");
    let r = post(&app, &sc, &t, json!({})).await;
    assert_eq!(r.status, 201);
    assert_eq!(r.body["source"], "manual");

    // Audited with before/after.
    let r = get(&app, "/v1/tenants/demo/audit?action=subscriber.", &t).await;
    let actions: Vec<_> = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "subscriber.sim_change",
            "subscriber.sim_change",
            "subscriber.update",
            "subscriber.create"
        ]
    );
    let e = &r.body["items"][1];
    assert!(e["detail"]["before"].get("latestSimChange").is_none());
    assert_eq!(
        e["detail"]["after"]["latestSimChange"],
        "2025-01-02T03:04:05Z"
    );
}
