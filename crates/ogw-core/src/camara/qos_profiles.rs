//! QoS Profiles 1.1.0 (`/qos-profiles/v1`): `retrieveQoSProfiles` and `getQosProfile`.
//!
//! Profiles and their availability per line come from the store (`QosStore`):
//! - with a device (a 2-legged `device` filter, or the line of a 3-legged token) only the
//!   profiles available to that line (`qos_profiles_for`) are visible;
//! - without one, the operator's catalog is visible except profiles restricted to certain
//!   devices: a stored profile body holding `"x-ogw-restricted": true`. Keys starting with
//!   `x-ogw-` are operator-private and never served.
//!
//! A 3-legged token with a `device` in the body is 422 `UNNECESSARY_IDENTIFIER` whatever the
//! identifier policy (the seed says so for QoS; DECISIONS 2).
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde::Deserialize;

use super::caller::{Caller, Cx, Operation};
use super::error::ApiError;
use crate::domain::PhoneNumber;
use crate::store::{Capability, QosProfileRecord, Timestamp};

pub const RETRIEVE: Operation = Operation {
    api: "qos-profiles",
    operation: "retrieveQoSProfiles",
    action: "camara.qos_profiles.retrieve",
    scopes: &["qos-profiles:read"],
};

pub const GET: Operation = Operation {
    api: "qos-profiles",
    operation: "getQosProfile",
    action: "camara.qos_profiles.get",
    scopes: &["qos-profiles:read"],
};

/// Marks a stored profile as restricted to the lines it is made available to.
pub const RESTRICTED_KEY: &str = "x-ogw-restricted";
const PRIVATE_PREFIX: &str = "x-ogw-";

/// `QosProfileStatusEnum`: an unknown value fails to parse (400 `INVALID_ARGUMENT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum QosProfileStatus {
    Active,
    Inactive,
    Deprecated,
}

impl QosProfileStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "ACTIVE",
            Self::Inactive => "INACTIVE",
            Self::Deprecated => "DEPRECATED",
        }
    }
}

/// `DeviceIpv4Addr`: `publicAddress` plus `privateAddress` or `publicPort`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceIpv4Addr {
    #[serde(default)]
    pub public_address: Option<Ipv4Addr>,
    #[serde(default)]
    pub private_address: Option<Ipv4Addr>,
    #[serde(default)]
    pub public_port: Option<u16>,
}

/// `Device`: at least one identifier.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Device {
    #[serde(default)]
    pub phone_number: Option<PhoneNumber>,
    #[serde(default)]
    pub network_access_identifier: Option<String>,
    #[serde(default)]
    pub ipv4_address: Option<DeviceIpv4Addr>,
    #[serde(default)]
    pub ipv6_address: Option<Ipv6Addr>,
    /// Properties this version does not define: no identifier we could use.
    #[serde(flatten)]
    pub other: BTreeMap<String, serde_json::Value>,
}

/// `QosProfileDeviceRequest`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QosProfileDeviceRequest {
    #[serde(default)]
    pub device: Option<Device>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub status: Option<QosProfileStatus>,
}

/// `QosProfileName`: `^[a-zA-Z0-9_.-]+$`, 3 to 256 characters.
pub fn validate_name(name: &str) -> Result<(), ApiError> {
    let ok = (3..=256).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(ApiError::invalid(
            "name must be 3 to 256 characters of [a-zA-Z0-9_.-]",
        ))
    }
}

fn is_restricted(p: &QosProfileRecord) -> bool {
    p.body.get(RESTRICTED_KEY).and_then(|v| v.as_bool()) == Some(true)
}

/// The CAMARA `QosProfile` object of a stored profile: private keys dropped, `name` and
/// `status` taken from the record.
pub fn public_body(p: &QosProfileRecord) -> serde_json::Value {
    let mut body = match &p.body {
        serde_json::Value::Object(m) => m
            .iter()
            .filter(|(k, _)| !k.starts_with(PRIVATE_PREFIX))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        _ => serde_json::Map::new(),
    };
    body.insert("name".into(), p.name.clone().into());
    body.insert("status".into(), p.status.clone().into());
    serde_json::Value::Object(body)
}

fn seen_since(cx: &Cx<'_>) -> Timestamp {
    cx.settings
        .session_idle_timeout
        .map_or(Timestamp::MIN_UTC, |t| cx.now - t)
}

/// The line a `device` filter names. Several identifiers: the phone number wins, then IPv4
/// (the private address, else the public one), then IPv6; no error when they disagree (spec).
/// IP addresses are looked up in the active IP sessions (exact address).
async fn device_line(cx: &Cx<'_>, caller: &Caller, d: &Device) -> Result<PhoneNumber, ApiError> {
    if let Some(n) = &d.phone_number {
        return Ok(n.clone());
    }
    let mut addresses: Vec<IpAddr> = Vec::new();
    if let Some(v4) = &d.ipv4_address {
        let public = v4
            .public_address
            .ok_or_else(|| ApiError::invalid("device.ipv4Address.publicAddress is required"))?;
        if v4.private_address.is_none() && v4.public_port.is_none() {
            return Err(ApiError::invalid(
                "device.ipv4Address needs privateAddress or publicPort besides publicAddress",
            ));
        }
        addresses.extend(v4.private_address.map(IpAddr::V4));
        addresses.push(IpAddr::V4(public));
    }
    addresses.extend(d.ipv6_address.map(IpAddr::V6));
    if addresses.is_empty() {
        return Err(
            if d.network_access_identifier.is_some() || !d.other.is_empty() {
                ApiError::UnsupportedIdentifier(
                    "only phoneNumber, ipv4Address and ipv6Address identify a device".into(),
                )
            } else {
                ApiError::invalid("device must contain at least one identifier")
            },
        );
    }
    let since = seen_since(cx);
    for ip in addresses {
        if let Some(s) = cx
            .store
            .find_active_session(&caller.tenant, ip, since)
            .await?
        {
            return Ok(s.msisdn);
        }
    }
    Err(ApiError::IdentifierNotFound)
}

/// Names of the profiles visible to `line` (after the subscriber and consent checks).
async fn available_to(
    cx: &Cx<'_>,
    caller: &Caller,
    op: &Operation,
    cap: &Capability,
    line: &PhoneNumber,
) -> Result<Vec<String>, ApiError> {
    caller.subscriber(cx, line).await?;
    caller.check_consent(cx, op, cap, line).await?;
    Ok(cx.store.qos_profiles_for(&caller.tenant, line).await?)
}

/// `POST /retrieve-qos-profiles`.
pub async fn retrieve(
    cx: &Cx<'_>,
    caller: &Caller,
    body: Result<QosProfileDeviceRequest, ApiError>,
) -> Result<Vec<serde_json::Value>, ApiError> {
    let mut target = None;
    let result = async {
        let cap = caller.authorize(cx, &RETRIEVE).await?;
        let req = body?;
        if let Some(n) = &req.name {
            validate_name(n)?;
        }
        let line = match (caller.is_three_legged(), &req.device) {
            (true, Some(_)) => return Err(ApiError::UnnecessaryIdentifier),
            (true, None) => Some(caller.token_line()?.clone()),
            (false, Some(d)) => Some(device_line(cx, caller, d).await?),
            (false, None) => None,
        };
        let visible = match line {
            Some(line) => {
                let line = target.insert(line);
                Some(available_to(cx, caller, &RETRIEVE, &cap, line).await?)
            }
            None => None,
        };
        let profiles = cx.store.list_qos_profiles(&caller.tenant).await?;
        Ok(profiles
            .iter()
            .filter(|p| match &visible {
                Some(names) => names.contains(&p.name),
                None => !is_restricted(p),
            })
            .filter(|p| req.name.as_ref().is_none_or(|n| *n == p.name))
            .filter(|p| req.status.is_none_or(|s| s.as_str() == p.status))
            .map(public_body)
            .collect())
    }
    .await;
    caller.record(cx, &RETRIEVE, target.as_ref(), result).await
}

/// `GET /qos-profiles/{name}`: with a 3-legged token only if available to its line;
/// a restricted profile only to the lines it is available to (else 404 `NOT_FOUND`).
pub async fn get(
    cx: &Cx<'_>,
    caller: &Caller,
    name: Result<String, ApiError>,
) -> Result<serde_json::Value, ApiError> {
    let mut target = None;
    let result = async {
        let cap = caller.authorize(cx, &GET).await?;
        let name = name?;
        validate_name(&name)?;
        let not_found = || ApiError::NotFound(format!("QoS profile {name} not found"));
        let profile = cx
            .store
            .get_qos_profile(&caller.tenant, &name)
            .await?
            .ok_or_else(not_found)?;
        let visible = if caller.is_three_legged() {
            let line = target.insert(caller.token_line()?.clone());
            available_to(cx, caller, &GET, &cap, line)
                .await?
                .contains(&profile.name)
        } else {
            !is_restricted(&profile)
        };
        if visible {
            Ok(public_body(&profile))
        } else {
            Err(not_found())
        }
    }
    .await;
    caller.record(cx, &GET, target.as_ref(), result).await
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::camara::testkit::*;
    use crate::domain::{ConsentStatus, TenantId};
    use crate::store::{IpSession, QosStore, SubscriberStore};

    async fn seed(k: &Kit) {
        let t = TenantId::parse(TENANT).unwrap();
        for (name, status, restricted) in [
            ("QOS_E", "ACTIVE", false),
            ("QOS_L", "ACTIVE", true),
            ("QOS_OLD", "DEPRECATED", false),
        ] {
            let mut body = serde_json::json!({"name": name, "status": status, "priority": 20});
            if restricted {
                body[RESTRICTED_KEY] = true.into();
            }
            k.store
                .upsert_qos_profile(&QosProfileRecord {
                    tenant: t.clone(),
                    name: name.into(),
                    status: status.into(),
                    body,
                })
                .await
                .unwrap();
        }
        for p in ["QOS_E", "QOS_L"] {
            k.store
                .set_qos_availability(&t, p, &phone(MAIN), true)
                .await
                .unwrap();
        }
        k.store
            .upsert_ip_session(&IpSession {
                tenant: t,
                session_id: "s".into(),
                ip: "10.0.0.7".parse().unwrap(),
                msisdn: phone(MAIN),
                started_at: k.now,
                last_seen_at: k.now,
                ended_at: None,
            })
            .await
            .unwrap();
        k.store.consent(MAIN, SERVICE, ConsentStatus::Granted, None);
        k.store
            .consent(OTHER, SERVICE, ConsentStatus::Granted, None);
    }

    fn req(json: serde_json::Value) -> Result<QosProfileDeviceRequest, ApiError> {
        serde_json::from_value(json).map_err(|e| ApiError::invalid(e.to_string()))
    }

    fn names(v: &[serde_json::Value]) -> Vec<&str> {
        v.iter().map(|p| p["name"].as_str().unwrap()).collect()
    }

    #[tokio::test]
    async fn filters_by_device_name_and_status() {
        let k = Kit::new().await;
        seed(&k).await;
        let cx = k.cx();
        let two = k.caller(k.claims2("qos-profiles:read")).await;
        let all = retrieve(&cx, &two, req(serde_json::json!({})))
            .await
            .unwrap();
        assert_eq!(names(&all), ["QOS_E", "QOS_OLD"], "restricted QOS_L hidden");
        assert!(all.iter().all(|p| p.get(RESTRICTED_KEY).is_none()));
        let dev = retrieve(
            &cx,
            &two,
            req(serde_json::json!({"device": {"phoneNumber": MAIN}})),
        )
        .await
        .unwrap();
        assert_eq!(names(&dev), ["QOS_E", "QOS_L"]);
        let by_ip = serde_json::json!({"device": {"ipv4Address": {"publicAddress": "203.0.113.1", "privateAddress": "10.0.0.7"}}});
        assert_eq!(
            names(&retrieve(&cx, &two, req(by_ip)).await.unwrap()),
            ["QOS_E", "QOS_L"]
        );
        let none = retrieve(
            &cx,
            &two,
            req(serde_json::json!({"device": {"phoneNumber": OTHER}})),
        )
        .await
        .unwrap();
        assert!(none.is_empty());
        let dep = retrieve(&cx, &two, req(serde_json::json!({"status": "DEPRECATED"})))
            .await
            .unwrap();
        assert_eq!(names(&dep), ["QOS_OLD"]);
        let one = retrieve(&cx, &two, req(serde_json::json!({"name": "QOS_E"})))
            .await
            .unwrap();
        assert_eq!(names(&one), ["QOS_E"]);
    }

    #[tokio::test]
    async fn device_errors() {
        let k = Kit::new().await;
        seed(&k).await;
        let cx = k.cx();
        let two = k.caller(k.claims2("qos-profiles:read")).await;
        let code = |j: serde_json::Value| {
            let two = &two;
            let cx = &cx;
            async move { retrieve(cx, two, req(j)).await.unwrap_err().code() }
        };
        assert_eq!(
            code(serde_json::json!({"device": {}})).await,
            "INVALID_ARGUMENT"
        );
        assert_eq!(
            code(serde_json::json!({"status": "GONE"})).await,
            "INVALID_ARGUMENT"
        );
        assert_eq!(
            code(serde_json::json!({"name": "x"})).await,
            "INVALID_ARGUMENT"
        );
        assert_eq!(
            code(serde_json::json!({"device": {"ipv4Address": {"publicAddress": "203.0.113.1"}}}))
                .await,
            "INVALID_ARGUMENT"
        );
        assert_eq!(
            code(serde_json::json!({"device": {"ipv6Address": "not-an-ip"}})).await,
            "INVALID_ARGUMENT"
        );
        assert_eq!(
            code(serde_json::json!({"device": {"networkAccessIdentifier": "123@domain.com"}}))
                .await,
            "UNSUPPORTED_IDENTIFIER"
        );
        assert_eq!(
            code(serde_json::json!({"device": {"ipv6Address": "2001:db8::1"}})).await,
            "IDENTIFIER_NOT_FOUND"
        );
        assert_eq!(
            code(serde_json::json!({"device": {"phoneNumber": FOREIGN}})).await,
            "SERVICE_NOT_APPLICABLE"
        );
        let three = k.caller(k.claims3("qos-profiles:read", MAIN)).await;
        let e = retrieve(
            &cx,
            &three,
            req(serde_json::json!({"device": {"phoneNumber": MAIN}})),
        )
        .await
        .unwrap_err();
        assert_eq!(e, ApiError::UnnecessaryIdentifier);
    }

    #[tokio::test]
    async fn get_respects_availability() {
        let k = Kit::new().await;
        seed(&k).await;
        let cx = k.cx();
        let two = k.caller(k.claims2("qos-profiles:read")).await;
        let p = get(&cx, &two, Ok("QOS_E".into())).await.unwrap();
        assert_eq!(
            (p["name"].as_str(), p["priority"].as_i64()),
            (Some("QOS_E"), Some(20))
        );
        assert_eq!(
            get(&cx, &two, Ok("QOS_L".into())).await.unwrap_err().code(),
            "NOT_FOUND"
        );
        assert_eq!(
            get(&cx, &two, Ok("NOPE".into())).await.unwrap_err().code(),
            "NOT_FOUND"
        );
        assert_eq!(
            get(&cx, &two, Ok("a!".into())).await.unwrap_err().code(),
            "INVALID_ARGUMENT"
        );
        let mut claims = k.claims3("qos-profiles:read", MAIN);
        claims.purpose = Some(SERVICE.into());
        let three = k.caller(claims).await;
        assert!(get(&cx, &three, Ok("QOS_L".into())).await.is_ok());
        assert_eq!(
            get(&cx, &three, Ok("QOS_OLD".into()))
                .await
                .unwrap_err()
                .code(),
            "NOT_FOUND"
        );
        k.store.consent(MAIN, SERVICE, ConsentStatus::Revoked, None);
        assert_eq!(
            get(&cx, &three, Ok("QOS_L".into()))
                .await
                .unwrap_err()
                .status(),
            403
        );
    }
}
