//! SIM Swap 2.1.0 (`/sim-swap/v2`): `checkSimSwap` and `retrieveSimSwapDate`.
//!
//! The line's latest SIM change is the newest recorded change, or the SIM activation when
//! there was none: the spec counts a new subscription as a SIM swap, and `retrieve-date`
//! answers the activation date when no swap happened (DECISIONS 8).
use chrono::{Duration, SecondsFormat};
use serde::{Deserialize, Serialize};

use super::caller::{Caller, Cx, Operation};
use super::error::ApiError;
use crate::domain::PhoneNumber;
use crate::store::{Subscriber, Timestamp};

pub const CHECK: Operation = Operation {
    api: "sim-swap",
    operation: "checkSimSwap",
    action: "camara.sim_swap.check",
    scopes: &["sim-swap:check", "sim-swap"],
};

pub const RETRIEVE_DATE: Operation = Operation {
    api: "sim-swap",
    operation: "retrieveSimSwapDate",
    action: "camara.sim_swap.retrieve_date",
    scopes: &["sim-swap:retrieve-date", "sim-swap"],
};

/// `maxAge` bounds and default, in hours (`CreateCheckSimSwap.maxAge`).
pub const MAX_AGE_MIN: i64 = 1;
pub const MAX_AGE_MAX: i64 = 2400;
pub const MAX_AGE_DEFAULT: i64 = 240;

/// `CreateCheckSimSwap`. `maxAge` stays a raw JSON number so that its range is judged here.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateCheckSimSwap {
    #[serde(default)]
    pub phone_number: Option<PhoneNumber>,
    #[serde(default)]
    pub max_age: Option<serde_json::Number>,
}

/// `CreateSimSwapDate`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateSimSwapDate {
    #[serde(default)]
    pub phone_number: Option<PhoneNumber>,
}

/// `CheckSimSwapInfo`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckSimSwapInfo {
    pub swapped: bool,
}

/// `SimSwapInfo`: `latestSimChange` is required and nullable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SimSwapInfo {
    pub latest_sim_change: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub monitored_period: Option<i64>,
}

/// RFC 3339 with milliseconds and zone (`2024-09-18T07:37:53.000Z`), as the spec asks.
pub fn rfc3339(t: Timestamp) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// `maxAge` in hours: default 240; below 1 or not an integer is a schema violation
/// (400 `INVALID_ARGUMENT`); above 2400, or above the legal retention window, is
/// 400 `OUT_OF_RANGE` with the limit in the message (spec: "Check monitor period could
/// not exceed local regulations").
pub fn max_age_hours(
    raw: Option<&serde_json::Number>,
    retention_days: Option<i64>,
) -> Result<i64, ApiError> {
    let Some(n) = raw else {
        return Ok(match retention_days {
            Some(d) => MAX_AGE_DEFAULT.min(d.saturating_mul(24).max(MAX_AGE_MIN)),
            None => MAX_AGE_DEFAULT,
        });
    };
    let hours = if let Some(i) = n.as_i64() {
        i
    } else if n.as_u64().is_some() {
        i64::MAX
    } else {
        match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f >= 1.0 => {
                if f > MAX_AGE_MAX as f64 {
                    i64::MAX
                } else {
                    f as i64
                }
            }
            Some(f) if f.fract() == 0.0 => 0,
            _ => {
                return Err(ApiError::invalid(
                    "maxAge must be an integer number of hours",
                ))
            }
        }
    };
    if hours < MAX_AGE_MIN {
        return Err(ApiError::invalid(format!(
            "maxAge must be at least {MAX_AGE_MIN} hour"
        )));
    }
    if hours > MAX_AGE_MAX {
        return Err(ApiError::OutOfRange(format!(
            "maxAge must not exceed {MAX_AGE_MAX} hours"
        )));
    }
    if let Some(days) = retention_days {
        if hours > days.saturating_mul(24) {
            return Err(ApiError::OutOfRange(format!(
                "Check monitor period could not exceed local regulations ({days} days)"
            )));
        }
    }
    Ok(hours)
}

/// The latest SIM change of a line, or its activation when it never changed.
async fn latest_change(cx: &Cx<'_>, sub: &Subscriber) -> Result<Timestamp, ApiError> {
    let change = cx.store.latest_sim_change(&sub.tenant, &sub.msisdn).await?;
    Ok(change.map_or(sub.sim_activated_at, |c| c.max(sub.sim_activated_at)))
}

/// Whether the SIM changed within the last `hours` before `now`.
pub fn swapped_within(latest: Timestamp, hours: i64, now: Timestamp) -> bool {
    latest >= now - Duration::hours(hours)
}

/// `retrieve-date`'s answer: the date, or `null` + `monitoredPeriod` when a legal retention
/// window hides it.
pub fn date_info(latest: Timestamp, retention_days: Option<i64>, now: Timestamp) -> SimSwapInfo {
    match retention_days {
        Some(days) if latest < now - Duration::days(days) => SimSwapInfo {
            latest_sim_change: None,
            monitored_period: Some(days),
        },
        _ => SimSwapInfo {
            latest_sim_change: Some(rfc3339(latest)),
            monitored_period: None,
        },
    }
}

/// `POST /check`.
pub async fn check(
    cx: &Cx<'_>,
    caller: &Caller,
    body: Result<CreateCheckSimSwap, ApiError>,
) -> Result<CheckSimSwapInfo, ApiError> {
    let mut target = None;
    let result = async {
        let cap = caller.authorize(cx, &CHECK).await?;
        let req = body?;
        let hours = max_age_hours(req.max_age.as_ref(), cx.settings.sim_swap_retention_days)?;
        let msisdn = caller.resolve_line(cx.settings.identifier_policy, req.phone_number)?;
        let target = target.insert(msisdn);
        caller.prefetch_line(cx, &cap, target).await?;
        let sub = caller.subscriber(cx, target).await?;
        caller.check_consent(cx, &CHECK, &cap, target).await?;
        let latest = latest_change(cx, &sub).await?;
        Ok(CheckSimSwapInfo {
            swapped: swapped_within(latest, hours, cx.now),
        })
    }
    .await;
    caller.record(cx, &CHECK, target.as_ref(), result).await
}

/// `POST /retrieve-date`.
pub async fn retrieve_date(
    cx: &Cx<'_>,
    caller: &Caller,
    body: Result<CreateSimSwapDate, ApiError>,
) -> Result<SimSwapInfo, ApiError> {
    let mut target = None;
    let result = async {
        let cap = caller.authorize(cx, &RETRIEVE_DATE).await?;
        let req = body?;
        let msisdn = caller.resolve_line(cx.settings.identifier_policy, req.phone_number)?;
        let target = target.insert(msisdn);
        caller.prefetch_line(cx, &cap, target).await?;
        let sub = caller.subscriber(cx, target).await?;
        caller
            .check_consent(cx, &RETRIEVE_DATE, &cap, target)
            .await?;
        let latest = latest_change(cx, &sub).await?;
        Ok(date_info(
            latest,
            cx.settings.sim_swap_retention_days,
            cx.now,
        ))
    }
    .await;
    caller
        .record(cx, &RETRIEVE_DATE, target.as_ref(), result)
        .await
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::camara::testkit::*;
    use crate::domain::{ConsentStatus, TenantId};
    use crate::store::{SimChange, SubscriberStore};
    use chrono::TimeZone;

    fn num(v: serde_json::Value) -> serde_json::Number {
        match v {
            serde_json::Value::Number(n) => n,
            _ => unreachable!(),
        }
    }

    #[test]
    fn max_age_bounds() {
        assert_eq!(max_age_hours(None, None), Ok(240));
        assert_eq!(max_age_hours(Some(&num(serde_json::json!(1))), None), Ok(1));
        assert_eq!(
            max_age_hours(Some(&num(serde_json::json!(2400))), None),
            Ok(2400)
        );
        assert_eq!(
            max_age_hours(Some(&num(serde_json::json!(24.0))), None),
            Ok(24)
        );
        for bad in [
            serde_json::json!(0),
            serde_json::json!(-5),
            serde_json::json!(1.5),
        ] {
            assert_eq!(
                max_age_hours(Some(&num(bad.clone())), None)
                    .unwrap_err()
                    .code(),
                "INVALID_ARGUMENT",
                "{bad}"
            );
        }
        for big in [
            serde_json::json!(2401),
            serde_json::json!(100000),
            serde_json::json!(u64::MAX),
            serde_json::json!(1e300),
        ] {
            assert_eq!(
                max_age_hours(Some(&num(big.clone())), None)
                    .unwrap_err()
                    .code(),
                "OUT_OF_RANGE",
                "{big}"
            );
        }
        let e = max_age_hours(Some(&num(serde_json::json!(720))), Some(7)).unwrap_err();
        assert_eq!(e.code(), "OUT_OF_RANGE");
        assert!(e.to_string().contains("(7 days)"));
        assert_eq!(max_age_hours(None, Some(7)), Ok(168));
    }

    #[test]
    fn timestamps_are_rfc3339_with_zone() {
        let t = Utc.with_ymd_and_hms(2024, 9, 18, 7, 37, 53).unwrap();
        assert_eq!(rfc3339(t), "2024-09-18T07:37:53.000Z");
        let now = t + Duration::days(10);
        assert_eq!(date_info(t, Some(5), now).latest_sim_change, None);
        assert_eq!(date_info(t, Some(5), now).monitored_period, Some(5));
        assert_eq!(date_info(t, Some(30), now).monitored_period, None);
        assert!(swapped_within(t, 240, now));
        assert!(!swapped_within(t, 239, now));
    }

    use chrono::Utc;

    async fn swap(k: &Kit, msisdn: &str, at: Timestamp) {
        k.store
            .record_sim_change(&SimChange {
                tenant: TenantId::parse(TENANT).unwrap(),
                msisdn: phone(msisdn),
                changed_at: at,
                source: "test".into(),
                event_id: format!("{msisdn}-{at}"),
            })
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn check_and_retrieve_for_2_and_3_legged_tokens() {
        let k = Kit::new().await;
        let cx = k.cx();
        swap(&k, MAIN, k.now - Duration::hours(100)).await;
        let two = k.caller(k.claims2("sim-swap")).await;
        let body = |n: &str, age: Option<i64>| {
            Ok(CreateCheckSimSwap {
                phone_number: Some(phone(n)),
                max_age: age.map(serde_json::Number::from),
            })
        };
        assert!(check(&cx, &two, body(MAIN, None)).await.unwrap().swapped);
        assert!(
            !check(&cx, &two, body(MAIN, Some(99)))
                .await
                .unwrap()
                .swapped
        );
        assert!(!check(&cx, &two, body(OTHER, None)).await.unwrap().swapped);
        let three = k.caller(k.claims3("sim-swap:retrieve-date", OTHER)).await;
        let info = retrieve_date(&cx, &three, Ok(CreateSimSwapDate::default()))
            .await
            .unwrap();
        assert_eq!(
            info.latest_sim_change.as_deref(),
            Some("2023-01-10T09:00:00.000Z")
        );
        // The 3-legged token does not hold sim-swap:check.
        let e = check(&cx, &three, Ok(CreateCheckSimSwap::default()))
            .await
            .unwrap_err();
        assert_eq!(e.code(), "PERMISSION_DENIED");
        let audit = k.store.audit();
        assert_eq!(audit.len(), 5, "one event per call");
        let calls: Vec<_> = audit
            .iter()
            .map(|a| (a.action.as_str(), a.outcome.as_str()))
            .collect();
        assert_eq!(calls[4], ("camara.sim_swap.check", "deny"));
        // The four calls that reached the consent step carry its decision; the last one was
        // refused on its scopes before it.
        let decided: Vec<usize> = audit
            .iter()
            .map(|a| a.detail.value()["consent"].as_array().map_or(0, Vec::len))
            .collect();
        assert_eq!(decided, [1, 1, 1, 1, 0]);
        let d = &audit[0].detail.value()["consent"][0];
        assert_eq!(d["purpose"], "dpv:FraudPreventionAndDetection");
        assert_eq!(d["scopes"], serde_json::json!(["sim-swap"]));
        assert_eq!(d["legalBasis"], "legitimate_interest");
        assert_eq!(d["status"], "ALLOWED");
        assert_eq!(d["outcome"], "allow");
    }

    #[tokio::test]
    async fn errors_in_order() {
        let k = Kit::new().await;
        let cx = k.cx();
        let two = k.caller(k.claims2("sim-swap:check")).await;
        let e = check(&cx, &two, Err(ApiError::invalid("bad json"))).await;
        assert_eq!(e.unwrap_err().code(), "INVALID_ARGUMENT");
        let e = check(&cx, &two, Ok(CreateCheckSimSwap::default())).await;
        assert_eq!(e.unwrap_err(), ApiError::MissingIdentifier);
        let with = |n: &str| {
            Ok(CreateCheckSimSwap {
                phone_number: Some(phone(n)),
                max_age: None,
            })
        };
        assert_eq!(
            check(&cx, &two, with(UNKNOWN)).await.unwrap_err().status(),
            404
        );
        assert_eq!(
            check(&cx, &two, with(FOREIGN)).await.unwrap_err().status(),
            422
        );
        k.store.consent(MAIN, FRAUD, ConsentStatus::Denied, None);
        assert_eq!(
            check(&cx, &two, with(MAIN)).await.unwrap_err().status(),
            403
        );
    }

    #[tokio::test]
    async fn retention_window_hides_old_dates() {
        let mut k = Kit::new().await;
        k.settings.sim_swap_retention_days = Some(30);
        let cx = k.cx();
        let two = k.caller(k.claims2("sim-swap:retrieve-date")).await;
        let info = retrieve_date(
            &cx,
            &two,
            Ok(CreateSimSwapDate {
                phone_number: Some(phone(MAIN)),
            }),
        )
        .await
        .unwrap();
        assert_eq!(
            serde_json::to_value(&info).unwrap(),
            serde_json::json!({"latestSimChange": null, "monitoredPeriod": 30})
        );
    }
}
