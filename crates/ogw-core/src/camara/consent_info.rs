//! Consent Info 0.2.0 (`/consent-info/v0.2`): `retrieveStatus`.
//!
//! For (the line, the requested scopes, the purpose, the calling application) it answers
//! whether processing is valid now, read from the same consent store and decided by the
//! same rule (`consent::decide`) the authorization server and the other APIs use, so its
//! answer never disagrees with theirs. It is a read: asking for a `captureUrl` changes no
//! consent. The call itself is not gated by the consent it reports on.
//!
//! `captureUrl` is `<issuer>/consent/capture?ref=<sealed>`: `ref` is a [`CaptureRequest`]
//! sealed with the server's key (AES-256-GCM; no personal data in clear, unforgeable,
//! stateless), valid for [`CAPTURE_TTL_HOURS`]. The consent view opens it with
//! [`open_capture_ref`] and, when done, redirects to its `callbackUrl` with
//! `capture_result` (and `state`).
use chrono::Duration;
use serde::{Deserialize, Serialize};

use super::caller::{Caller, Cx, Operation};
use super::error::ApiError;
use super::sim_swap::rfc3339;
use crate::consent::{decide, purpose_rule, Outcome};
use crate::domain::{CapabilityStatus, ConsentStatus, PhoneNumber, Purpose};
use crate::oauth::subject::SubjectCodec;
use crate::store::Timestamp;

pub const RETRIEVE_STATUS: Operation = Operation {
    api: "consent-info",
    operation: "retrieveStatus",
    action: "camara.consent_info.retrieve",
    scopes: &["consent-info:retrieve"],
};

/// How long a `captureUrl` stays usable.
pub const CAPTURE_TTL_HOURS: i64 = 24;
/// Path of the consent capture view, under the issuer.
pub const CAPTURE_PATH: &str = "/consent/capture";
const CAPTURE_CONTEXT: &str = "consent-capture";

/// `RetrieveStatusRequestBody`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RetrieveStatusRequestBody {
    #[serde(default)]
    pub phone_number: Option<PhoneNumber>,
    pub scopes: Vec<String>,
    pub purpose: Purpose,
    pub request_capture_url: bool,
    #[serde(default)]
    pub callback_url: Option<String>,
}

/// `statusReason`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum StatusReason {
    Pending,
    Requested,
    Denied,
    Expired,
    Objected,
}

/// `statusInfoObject`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusInfo {
    pub scopes: Vec<String>,
    pub purpose: Purpose,
    pub status_valid_for_processing: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<StatusReason>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiration_date: Option<String>,
}

/// `RetrieveStatusResponseBody`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RetrieveStatusResponseBody {
    pub status_info: Vec<StatusInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capture_url: Option<String>,
}

/// What a `captureUrl` asks the subscriber to decide; sealed into its `ref`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaptureRequest {
    pub tenant: String,
    pub client_id: String,
    pub msisdn: PhoneNumber,
    pub purpose: Purpose,
    pub scopes: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_url: Option<String>,
    /// Unix seconds after which the reference is refused.
    pub exp: i64,
    /// When `/authorize` sent the subscriber here: its parameters, replayed once decided.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorize: Option<Vec<(String, String)>>,
}

pub fn seal_capture_ref(codec: &SubjectCodec, req: &CaptureRequest) -> String {
    codec.seal_ref(
        CAPTURE_CONTEXT,
        &serde_json::to_vec(req).unwrap_or_default(),
    )
}

/// The capture request behind a `ref`, if it is ours and not expired.
pub fn open_capture_ref(
    codec: &SubjectCodec,
    sealed: &str,
    now: Timestamp,
) -> Option<CaptureRequest> {
    let raw = codec.open_ref(CAPTURE_CONTEXT, sealed)?;
    let req: CaptureRequest = serde_json::from_slice(&raw).ok()?;
    (req.exp > now.timestamp()).then_some(req)
}

/// Schemes that are never an app's callback (script, local file, other protocols).
const FORBIDDEN_SCHEMES: &[&str] = &[
    "javascript",
    "data",
    "vbscript",
    "file",
    "blob",
    "about",
    "filesystem",
    "view-source",
    "jar",
    "ftp",
    "ws",
    "wss",
    "mailto",
    "tel",
    "sms",
];

/// `callbackUrl` rules (spec, "Security considerations"): `https` with a host; `http` only
/// for loopback (`127.0.0.1`, `[::1]`, `localhost`); or a custom app scheme (native apps'
/// deep links). Never credentials or a fragment; at most 2048 characters.
pub fn validate_callback_url(raw: &str) -> Result<(), ApiError> {
    let bad = |why: &str| Err(ApiError::InvalidCallbackUrl(why.into()));
    if raw.len() > 2048 {
        return bad("longer than 2048 characters");
    }
    let Ok(u) = url::Url::parse(raw) else {
        return bad("not an absolute URL");
    };
    if u.fragment().is_some() {
        return bad("it must not contain a fragment");
    }
    if !u.username().is_empty() || u.password().is_some() {
        return bad("it must not contain credentials");
    }
    match u.scheme() {
        "https" if u.host().is_some() => Ok(()),
        "https" => bad("an https URL needs a host"),
        "http" => match u.host() {
            Some(url::Host::Domain("localhost")) => Ok(()),
            Some(url::Host::Ipv4(ip)) if ip.is_loopback() => Ok(()),
            Some(url::Host::Ipv6(ip)) if ip.is_loopback() => Ok(()),
            _ => bad("http is only allowed for loopback addresses"),
        },
        s if FORBIDDEN_SCHEMES.contains(&s) => bad("this scheme is not allowed"),
        _ => Ok(()),
    }
}

/// `403 CONSENT_INFO.NOT_ALLOWED_SCOPES_PURPOSE` unless every scope may be processed for the
/// purpose (the purpose table), the application is onboarded for the purpose and each scope,
/// and the tenant's catalog offers each scope under that purpose.
async fn check_onboarded(
    cx: &Cx<'_>,
    caller: &Caller,
    purpose: &Purpose,
    scopes: &[String],
) -> Result<(), ApiError> {
    let not_allowed = |why: String| Err(ApiError::NotAllowedScopesPurpose(why));
    let Some(rule) = purpose_rule(purpose.as_str()) else {
        return not_allowed(format!(
            "{purpose} is not a purpose this operator recognises"
        ));
    };
    if !caller.app.allowed_purposes.contains(purpose) {
        return not_allowed(format!("the application is not onboarded for {purpose}"));
    }
    let catalog = cx.store.list_capabilities(&caller.tenant).await?;
    for s in scopes {
        let offered = catalog.iter().any(|c| {
            c.status != CapabilityStatus::Disabled
                && c.purposes.contains(purpose)
                && c.scopes.iter().any(|x| x.as_str() == s)
        });
        let allowed = caller.app.allowed_scopes.iter().any(|x| x.as_str() == s);
        if !rule.scopes.contains(&s.as_str()) || !offered || !allowed {
            return not_allowed(format!("scope {s} is not allowed for {purpose}"));
        }
    }
    Ok(())
}

/// `POST /retrieve`.
pub async fn retrieve_status(
    cx: &Cx<'_>,
    caller: &Caller,
    body: Result<RetrieveStatusRequestBody, ApiError>,
) -> Result<RetrieveStatusResponseBody, ApiError> {
    let mut target = None;
    let result = async {
        caller.authorize(cx, &RETRIEVE_STATUS).await?;
        let req = body?;
        if req.scopes.is_empty() {
            return Err(ApiError::invalid("scopes must list at least one scope"));
        }
        let mut scopes: Vec<String> = Vec::with_capacity(req.scopes.len());
        for s in req.scopes {
            if !scopes.contains(&s) {
                scopes.push(s);
            }
        }
        if let Some(cb) = &req.callback_url {
            validate_callback_url(cb)?;
        }
        check_onboarded(cx, caller, &req.purpose, &scopes).await?;
        let msisdn = caller.resolve_line(cx.settings.identifier_policy, req.phone_number)?;
        let msisdn = target.insert(msisdn);
        caller.subscriber(cx, msisdn).await?;
        let consent = cx
            .store
            .get_consent(&caller.tenant, msisdn, &caller.client_id, &req.purpose)
            .await?;
        let rule = purpose_rule(req.purpose.as_str())
            .ok_or_else(|| ApiError::Internal("purpose rule vanished".into()))?;
        let decision = decide(rule, consent.as_ref(), cx.now);
        let reason = match decision.outcome {
            Outcome::Allowed => None,
            Outcome::Pending
                if consent
                    .as_ref()
                    .is_some_and(|c| c.status == ConsentStatus::Requested) =>
            {
                Some(StatusReason::Requested)
            }
            Outcome::Pending => Some(StatusReason::Pending),
            Outcome::Denied => Some(StatusReason::Denied),
            Outcome::Expired => Some(StatusReason::Expired),
            Outcome::Objected => Some(StatusReason::Objected),
        };
        let info = StatusInfo {
            scopes: scopes.clone(),
            purpose: req.purpose.clone(),
            status_valid_for_processing: decision.granted,
            status_reason: reason,
            expiration_date: decision.expires_at.map(rfc3339),
        };
        let capturable = matches!(
            reason,
            Some(StatusReason::Pending | StatusReason::Requested | StatusReason::Expired)
        );
        let capture_url = (req.request_capture_url && capturable).then(|| {
            let sealed = seal_capture_ref(
                cx.tokens.subjects(),
                &CaptureRequest {
                    tenant: caller.tenant.to_string(),
                    client_id: caller.client_id.to_string(),
                    msisdn: msisdn.clone(),
                    purpose: req.purpose.clone(),
                    scopes,
                    callback_url: req.callback_url.clone(),
                    exp: (cx.now + Duration::hours(CAPTURE_TTL_HOURS)).timestamp(),
                    authorize: None,
                },
            );
            cx.settings.url(&format!("{CAPTURE_PATH}?ref={sealed}"))
        });
        Ok(RetrieveStatusResponseBody {
            status_info: vec![info],
            capture_url,
        })
    }
    .await;
    caller
        .record(cx, &RETRIEVE_STATUS, target.as_ref(), result)
        .await
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::camara::testkit::*;

    #[test]
    fn callback_urls() {
        for ok in [
            "https://consumer.example.com/consent/callback",
            "https://consumer.example.com/cb?x=1",
            "http://127.0.0.1:8080/cb",
            "http://localhost/cb",
            "http://[::1]/cb",
            "myapp://consent/callback",
            "com.example.app:/callback",
        ] {
            assert!(validate_callback_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://consumer.example.com/cb",
            "javascript:alert(1)",
            "data:text/html,hi",
            "file:///etc/passwd",
            "https://user:pw@consumer.example.com/cb",
            "https://consumer.example.com/cb#frag",
            "not a url",
            "/relative/path",
            "",
        ] {
            assert_eq!(
                validate_callback_url(bad).unwrap_err().code(),
                "CONSENT_INFO.INVALID_CALLBACK_URL",
                "{bad}"
            );
        }
    }

    fn body(v: serde_json::Value) -> Result<RetrieveStatusRequestBody, ApiError> {
        serde_json::from_value(v).map_err(|e| ApiError::invalid(e.to_string()))
    }

    #[tokio::test]
    async fn status_reasons_and_capture_url() {
        let k = Kit::new().await;
        let cx = k.cx();
        let two = k.caller(k.claims2("consent-info:retrieve")).await;
        let ask = |purpose: &str, scope: &str, capture: bool| {
            body(serde_json::json!({
                "phoneNumber": MAIN, "scopes": [scope, scope], "purpose": purpose,
                "requestCaptureUrl": capture, "callbackUrl": "https://app.example/cb"
            }))
        };
        // Legitimate interest: valid until the subscriber objects.
        let r = retrieve_status(&cx, &two, ask(FRAUD, "sim-swap:check", true))
            .await
            .unwrap();
        assert_eq!(
            serde_json::to_value(&r).unwrap(),
            serde_json::json!({"statusInfo": [{"scopes": ["sim-swap:check"], "purpose": FRAUD, "statusValidForProcessing": true}]})
        );
        k.store.consent(MAIN, FRAUD, ConsentStatus::Revoked, None);
        let r = retrieve_status(&cx, &two, ask(FRAUD, "sim-swap:check", true))
            .await
            .unwrap();
        assert_eq!(r.status_info[0].status_reason, Some(StatusReason::Objected));
        assert_eq!(r.capture_url, None, "no capture for an objection");

        // Consent basis: pending → capture URL carrying a sealed request.
        let r = retrieve_status(&cx, &two, ask(SERVICE, "qos-profiles:read", true))
            .await
            .unwrap();
        assert_eq!(r.status_info[0].status_reason, Some(StatusReason::Pending));
        let url = r.capture_url.unwrap();
        let prefix = "https://op.example/consent/capture?ref=";
        assert!(url.starts_with(prefix), "{url}");
        assert!(!url.contains("629255833"));
        let req = open_capture_ref(k.tokens.subjects(), &url[prefix.len()..], k.now).unwrap();
        assert_eq!(req.msisdn, phone(MAIN));
        assert_eq!(req.callback_url.as_deref(), Some("https://app.example/cb"));
        assert_eq!(req.scopes, ["qos-profiles:read"]);
        assert!(open_capture_ref(
            k.tokens.subjects(),
            &url[prefix.len()..],
            k.now + Duration::days(2)
        )
        .is_none());
        let r = retrieve_status(&cx, &two, ask(SERVICE, "qos-profiles:read", false))
            .await
            .unwrap();
        assert_eq!(r.capture_url, None, "not requested");

        k.store
            .consent(MAIN, SERVICE, ConsentStatus::Requested, None);
        let r = retrieve_status(&cx, &two, ask(SERVICE, "qos-profiles:read", false))
            .await
            .unwrap();
        assert_eq!(
            r.status_info[0].status_reason,
            Some(StatusReason::Requested)
        );
        let past = k.now - Duration::days(1);
        k.store
            .consent(MAIN, SERVICE, ConsentStatus::Granted, Some(past));
        let r = retrieve_status(&cx, &two, ask(SERVICE, "qos-profiles:read", true))
            .await
            .unwrap();
        assert_eq!(r.status_info[0].status_reason, Some(StatusReason::Expired));
        assert_eq!(r.status_info[0].expiration_date, Some(rfc3339(past)));
        assert!(r.capture_url.is_some());
        let future = k.now + Duration::days(30);
        k.store
            .consent(MAIN, SERVICE, ConsentStatus::Granted, Some(future));
        let r = retrieve_status(&cx, &two, ask(SERVICE, "qos-profiles:read", true))
            .await
            .unwrap();
        assert!(r.status_info[0].status_valid_for_processing);
        assert_eq!(r.status_info[0].expiration_date, Some(rfc3339(future)));
        k.store.consent(MAIN, SERVICE, ConsentStatus::Denied, None);
        let r = retrieve_status(&cx, &two, ask(SERVICE, "qos-profiles:read", true))
            .await
            .unwrap();
        assert_eq!(r.status_info[0].status_reason, Some(StatusReason::Denied));
        assert_eq!(r.capture_url, None);
    }

    #[tokio::test]
    async fn not_allowed_combinations_and_bad_callbacks() {
        let k = Kit::new().await;
        let cx = k.cx();
        let two = k.caller(k.claims2("consent-info:retrieve")).await;
        let code = |v: serde_json::Value| {
            let (cx, two) = (&cx, &two);
            async move { retrieve_status(cx, two, body(v)).await.unwrap_err().code() }
        };
        let base = |scope: &str, purpose: &str| serde_json::json!({"phoneNumber": MAIN, "scopes": [scope], "purpose": purpose, "requestCaptureUrl": false});
        let na = "CONSENT_INFO.NOT_ALLOWED_SCOPES_PURPOSE";
        assert_eq!(code(base("qos-profiles:read", FRAUD)).await, na);
        assert_eq!(code(base("location-verification:verify", FRAUD)).await, na);
        assert_eq!(code(base("sim-swap:check", "dpv:Marketing")).await, na);
        let mut v = base("sim-swap:check", FRAUD);
        v["callbackUrl"] = "http://evil.example/cb".into();
        assert_eq!(code(v).await, "CONSENT_INFO.INVALID_CALLBACK_URL");
        let mut v = base("sim-swap:check", FRAUD);
        v["scopes"] = serde_json::json!([]);
        assert_eq!(code(v).await, "INVALID_ARGUMENT");
        assert_eq!(code(serde_json::json!({})).await, "INVALID_ARGUMENT");
        let mut v = base("sim-swap:check", FRAUD);
        v["phoneNumber"] = UNKNOWN.into();
        assert_eq!(code(v).await, "IDENTIFIER_NOT_FOUND");
    }
}
