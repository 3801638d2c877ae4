//! Who is calling a CAMARA API and on whose line: the checks every operation shares.
//!
//! Order of a call (each step's failure is the response):
//! 1. [`authenticate`]: bearer token → signature, issuer, expiry → not revoked → the
//!    application exists, is active and belongs to the token's tenant → the tenant is active
//!    (401 `UNAUTHENTICATED`; a suspended tenant is 403 `PERMISSION_DENIED`).
//! 2. [`Caller::authorize`]: the token holds one of the operation's scopes, the tenant's
//!    catalog offers the API with that scope, and the application is still allowed it (403).
//! 3. The operation parses its body (400) and [`Caller::resolve_line`] applies the identifier
//!    rules (DECISIONS 2 and 3: 422 / 403 `INVALID_TOKEN_CONTEXT`).
//! 4. [`Caller::subscriber`]: the line is ours (404 `IDENTIFIER_NOT_FOUND`), or another
//!    tenant's (422 `SERVICE_NOT_APPLICABLE`).
//! 5. [`Caller::check_consent`]: consent is decided again at call time, so a consent revoked
//!    after the token was issued stops the call (403).
//! 6. [`Caller::record`]: every authenticated call is appended to the audit log.
use std::ops::Deref;
use std::sync::Arc;

use crate::consent;
use crate::domain::{
    AppStatus, CapabilityStatus, ClientId, PhoneNumber, Purpose, TenantId, TenantStatus,
};
use crate::oauth::dpop;
use crate::oauth::tokens::{AccessClaims, TokenError, TokenService};
use crate::settings::{IdentifierPolicy, Settings};
use crate::store::{
    Application, AuditDetail, AuditEvent, Capability, Store, StoreResult, Subscriber, Timestamp,
};

use super::error::ApiError;

/// What a CAMARA operation needs from the server: storage, token keys, settings and the time.
pub struct Cx<'a> {
    pub store: &'a dyn Store,
    pub tokens: &'a TokenService,
    pub settings: &'a Settings,
    pub now: Timestamp,
    /// The request's `x-correlator`, kept in the audit record to find a call from a client report.
    pub correlator: Option<&'a str>,
}

/// One CAMARA operation: its catalog API, its operationId, its audit action and the scopes
/// that grant it (any one of them, as the spec's alternative `security` requirements).
#[derive(Debug)]
pub struct Operation {
    /// The catalog's `api_name` (`sim-swap`).
    pub api: &'static str,
    /// The spec's operationId (`checkSimSwap`).
    pub operation: &'static str,
    /// Audit action (`camara.sim_swap.check`).
    pub action: &'static str,
    pub scopes: &'static [&'static str],
}

/// The subscriber a token speaks for.
#[derive(Debug, Clone, PartialEq, Eq)]
enum TokenLine {
    /// 2-legged (client credentials): no subscriber.
    None,
    /// 3-legged, but the sealed reference cannot be opened (e.g. another server secret).
    Unresolvable,
    Line(PhoneNumber),
}

/// The detail of a call's audit event, serialised straight into its JSON text.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct CallDetail<'a> {
    api: &'a str,
    operation: &'a str,
    status: u16,
    three_legged: bool,
    purpose: Option<&'a str>,
    jti: &'a str,
    correlator: Option<&'a str>,
    consent: &'a [consent::DecisionRecord],
}

/// An authenticated API consumer.
#[derive(Debug)]
pub struct Caller {
    pub claims: std::sync::Arc<AccessClaims>,
    pub tenant: TenantId,
    pub client_id: ClientId,
    pub app: std::sync::Arc<Application>,
    line: TokenLine,
    /// Consent decisions taken during the call, kept in the call's own audit record
    /// ([`Caller::record`]): one event per API call, the decisions in its detail.
    decisions: std::sync::Mutex<Vec<consent::DecisionRecord>>,
}

fn unauthenticated(why: &str) -> ApiError {
    ApiError::Unauthenticated(message(why))
}

fn message(why: &str) -> String {
    format!(
        "Request not authenticated due to missing, invalid, or expired credentials: {why}. A new authentication is required."
    )
}

/// A 401 answered with a `DPoP` challenge (RFC 9449 §7.1): the request must use DPoP.
fn dpop_needed(why: &str) -> ApiError {
    ApiError::DpopUnauthenticated {
        message: message(why),
        invalid_proof: false,
    }
}

/// A 401 answered with a `DPoP` challenge, error `invalid_dpop_proof` (RFC 9449 §7.1).
fn bad_proof(why: &str) -> ApiError {
    ApiError::DpopUnauthenticated {
        message: message(why),
        invalid_proof: true,
    }
}

/// Step 1: the bearer token (already taken from `Authorization`, scheme case-insensitive).
pub async fn authenticate(cx: &Cx<'_>, bearer: Option<&str>) -> Result<Caller, ApiError> {
    authenticate_presented(cx, bearer, None).await
}

/// A request presenting its token with the `DPoP` scheme (RFC 9449 §7).
#[derive(Debug, Clone, Copy)]
pub struct DpopPresentation<'a> {
    /// The `DPoP` header.
    pub proof: Option<&'a str>,
    pub method: &'a str,
    /// The URL called (issuer origin + path).
    pub url: &'a str,
}

/// Step 1 for `Authorization: DPoP <token>`: the token must be bound (`cnf.jkt`) to the
/// key of a valid, fresh, unreplayed proof for this request.
pub async fn authenticate_dpop(
    cx: &Cx<'_>,
    token: Option<&str>,
    dpop: &DpopPresentation<'_>,
) -> Result<Caller, ApiError> {
    authenticate_presented(cx, token, Some(dpop)).await
}

/// RFC 9449 §7: a bound token needs the DPoP scheme and a matching proof; an unbound one
/// is a Bearer token.
async fn check_binding(
    cx: &Cx<'_>,
    tenant: &TenantId,
    token: &str,
    claims: &AccessClaims,
    dpop: Option<&DpopPresentation<'_>>,
) -> Result<(), ApiError> {
    let (cnf, dpop) = match (&claims.cnf, dpop) {
        (None, None) => return Ok(()),
        (Some(_), None) => return Err(dpop_needed(
            "the access token is DPoP-bound; send it as 'Authorization: DPoP' with a DPoP proof",
        )),
        (None, Some(_)) => {
            return Err(unauthenticated(
                "the access token is not DPoP-bound; send it as a Bearer token",
            ))
        }
        (Some(c), Some(d)) => (c, d),
    };
    let proof = dpop
        .proof
        .ok_or_else(|| bad_proof("a DPoP proof is required"))?;
    let expect = dpop::Expect {
        method: dpop.method,
        url: dpop.url,
        access_token: Some(token),
    };
    let p = dpop::verify(proof, &expect, cx.now)
        .map_err(|r| bad_proof(&format!("invalid DPoP proof: {r}")))?;
    if p.jkt != cnf.jkt {
        return Err(bad_proof(
            "the DPoP proof is not signed by the key the token is bound to",
        ));
    }
    if !dpop::use_once(cx.store, tenant, &p).await? {
        return Err(bad_proof("the DPoP proof was already used"));
    }
    Ok(())
}

async fn authenticate_presented(
    cx: &Cx<'_>,
    bearer: Option<&str>,
    dpop: Option<&DpopPresentation<'_>>,
) -> Result<Caller, ApiError> {
    let token = bearer.ok_or_else(|| ApiError::NoToken(message("no bearer access token")))?;
    let claims = cx
        .tokens
        .verify_access_shared(token, cx.now)
        .map_err(|e| match e {
            TokenError::Expired => unauthenticated("the access token has expired"),
            _ => unauthenticated("the access token is not valid"),
        })?;
    let tenant = TenantId::parse(&claims.tenant)
        .map_err(|_| unauthenticated("the access token names no valid tenant"))?;
    let client_id = ClientId::parse(&claims.client_id)
        .map_err(|_| unauthenticated("the access token names no valid client"))?;
    if cx.store.is_jti_revoked(&tenant, &claims.jti).await? {
        return Err(unauthenticated("the access token has been revoked"));
    }
    check_binding(cx, &tenant, token, &claims, dpop).await?;
    let app = cx
        .store
        .find_application(&client_id)
        .await?
        .filter(|a| a.tenant == tenant && a.status == AppStatus::Active)
        .ok_or_else(|| unauthenticated("the application is unknown or disabled"))?;
    // RFC 9449 §5.2: an application that requires DPoP has only bound tokens; an unbound one
    // (issued before the switch was turned on) stops working.
    if app.dpop_bound_access_tokens && claims.cnf.is_none() {
        return Err(dpop_needed(
            "this application requires DPoP-bound access tokens; obtain one with a DPoP proof",
        ));
    }
    match cx.store.get_tenant(&tenant).await? {
        Some(t) if t.status == TenantStatus::Active => {}
        Some(_) => {
            return Err(ApiError::PermissionDenied(
                "The service is suspended for this operator tenant.".into(),
            ))
        }
        None => return Err(unauthenticated("the tenant is unknown")),
    }
    let line = if claims.is_three_legged() {
        cx.tokens
            .subscriber_of(&claims)
            .map_or(TokenLine::Unresolvable, TokenLine::Line)
    } else {
        TokenLine::None
    };
    Ok(Caller {
        claims,
        tenant,
        client_id,
        app,
        line,
        decisions: std::sync::Mutex::default(),
    })
}

/// Whether `msisdn` is a line of another tenant ("not served by this tenant"). Only asked
/// on the not-found path; one lookup per tenant (operators run a handful).
async fn served_elsewhere(
    store: &dyn Store,
    tenant: &TenantId,
    msisdn: &PhoneNumber,
) -> StoreResult<bool> {
    for t in store.list_tenants().await? {
        if &t.id != tenant && store.get_subscriber(&t.id, msisdn).await?.is_some() {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The catalog entry that grants a call: held in the tenant's catalog as the store shares it
/// (a catalog entry is a dozen strings; copying it cost each call five allocations).
#[derive(Debug, Clone)]
pub struct Grant {
    catalog: Arc<[Capability]>,
    index: usize,
}

impl Deref for Grant {
    type Target = Capability;

    fn deref(&self) -> &Capability {
        &self.catalog[self.index]
    }
}

impl Caller {
    /// A token issued for a subscriber (auth code, CIBA, JWT bearer).
    pub fn is_three_legged(&self) -> bool {
        self.line != TokenLine::None
    }

    /// The line the token was issued for, when it names one.
    pub fn token_line(&self) -> Result<&PhoneNumber, ApiError> {
        match &self.line {
            TokenLine::Line(n) => Ok(n),
            TokenLine::None | TokenLine::Unresolvable => Err(ApiError::MissingIdentifier),
        }
    }

    /// Step 2: scope, catalog and application. Returns the catalog entry that grants the call.
    pub async fn authorize(&self, cx: &Cx<'_>, op: &Operation) -> Result<Grant, ApiError> {
        let held: Vec<&str> = op
            .scopes
            .iter()
            .copied()
            .filter(|s| self.claims.has_scope(s))
            .collect();
        if held.is_empty() {
            return Err(ApiError::PermissionDenied(format!(
                "Client does not have sufficient permissions to perform this action: the access token lacks the scope {}.",
                op.scopes.join(" or ")
            )));
        }
        let catalog = cx.store.list_capabilities(&self.tenant).await?;
        let offered = |scope: &str| {
            catalog.iter().position(|c| {
                c.api_name == op.api
                    && c.status != CapabilityStatus::Disabled
                    && c.scopes.iter().any(|s| s.as_str() == scope)
            })
        };
        let allowed = |scope: &str| self.app.allowed_scopes.iter().any(|s| s.as_str() == scope);
        let index = held
            .iter()
            .find_map(|s| offered(s).filter(|_| allowed(s)))
            .ok_or_else(|| {
                ApiError::PermissionDenied(format!(
                    "Client does not have sufficient permissions to perform this action: the {} API is not enabled for this application.",
                    op.api
                ))
            })?;
        Ok(Grant { catalog, index })
    }

    /// Step 3, the identifier rules for a phone number (DECISIONS 2, 3):
    /// - 2-legged: the body must name the line (else 422 `MISSING_IDENTIFIER`);
    /// - 3-legged, lenient (the seed's rule): a body number must equal the token's line,
    ///   else 403 `INVALID_TOKEN_CONTEXT`; strict (CAMARA 2.1.0): any body number is
    ///   422 `UNNECESSARY_IDENTIFIER`;
    /// - 3-legged whose line cannot be resolved and nothing usable → 422 `MISSING_IDENTIFIER`.
    pub fn resolve_line(
        &self,
        policy: IdentifierPolicy,
        body: Option<PhoneNumber>,
    ) -> Result<PhoneNumber, ApiError> {
        match (&self.line, body) {
            (TokenLine::None, Some(n)) => Ok(n),
            (TokenLine::None, None) => Err(ApiError::MissingIdentifier),
            (_, Some(_)) if policy == IdentifierPolicy::Strict => {
                Err(ApiError::UnnecessaryIdentifier)
            }
            (TokenLine::Line(t), Some(n)) if *t == n => Ok(n),
            (TokenLine::Line(_), Some(_)) => Err(ApiError::InvalidTokenContext),
            (TokenLine::Line(t), None) => Ok(t.clone()),
            (TokenLine::Unresolvable, _) => Err(ApiError::MissingIdentifier),
        }
    }

    /// Before steps 4–6 of a call that reads `msisdn`'s subscriber, SIM changes and
    /// consents: lets the store fetch those together (`SubscriberStore::prefetch_line`).
    /// Purposes that do not resolve fetch nothing; the consent step reports them.
    pub async fn prefetch_line(
        &self,
        cx: &Cx<'_>,
        cap: &Capability,
        msisdn: &PhoneNumber,
    ) -> Result<(), ApiError> {
        let purposes = self.purposes_for(cap).unwrap_or_default();
        cx.store
            .prefetch_line(&self.tenant, msisdn, &self.client_id, &purposes)
            .await?;
        Ok(())
    }

    /// Step 4: the subscriber record of a line of this tenant.
    pub async fn subscriber(
        &self,
        cx: &Cx<'_>,
        msisdn: &PhoneNumber,
    ) -> Result<Subscriber, ApiError> {
        if let Some(s) = cx.store.get_subscriber(&self.tenant, msisdn).await? {
            return Ok(s);
        }
        if served_elsewhere(cx.store, &self.tenant, msisdn).await? {
            Err(ApiError::ServiceNotApplicable)
        } else {
            Err(ApiError::IdentifierNotFound)
        }
    }

    /// The purposes a call is judged under: the token's own (ICM: one per 3-legged token),
    /// which must still be one the catalog lists for the API and the application may use;
    /// or, for a token without purpose (2-legged client credentials), every catalog purpose
    /// of the API that the application may use — the call proceeds if any of them allows it.
    fn purposes_for(&self, cap: &Capability) -> Result<Vec<Purpose>, ApiError> {
        let usable =
            |p: &Purpose| cap.purposes.contains(p) && self.app.allowed_purposes.contains(p);
        match &self.claims.purpose {
            Some(p) => {
                let p = Purpose::parse(p).map_err(|_| {
                    ApiError::PermissionDenied("The access token carries no valid purpose.".into())
                })?;
                if usable(&p) {
                    Ok(vec![p])
                } else {
                    Err(ApiError::PermissionDenied(format!(
                        "Processing for the purpose {p} is not allowed for this API and application."
                    )))
                }
            }
            None => {
                let all: Vec<Purpose> =
                    cap.purposes.iter().filter(|p| usable(p)).cloned().collect();
                if all.is_empty() {
                    Err(ApiError::PermissionDenied(
                        "No purpose this application may use covers this API.".into(),
                    ))
                } else {
                    Ok(all)
                }
            }
        }
    }

    /// Step 5: the consent decision at call time; each decision is recorded by [`Caller::record`].
    pub async fn check_consent(
        &self,
        cx: &Cx<'_>,
        op: &Operation,
        cap: &Capability,
        msisdn: &PhoneNumber,
    ) -> Result<(), ApiError> {
        let purposes = self.purposes_for(cap)?;
        let scopes: Vec<String> = op
            .scopes
            .iter()
            .filter(|s| self.claims.has_scope(s))
            .map(|s| s.to_string())
            .collect();
        let mut refusal = None;
        for purpose in &purposes {
            let q = consent::Query {
                tenant: &self.tenant,
                msisdn,
                client_id: &self.client_id,
                purpose,
                scopes: &scopes,
                context: op.action,
            };
            let d = consent::ask(cx.store, &q, cx.now).await?;
            self.decisions
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push(consent::DecisionRecord::new(&q, &d));
            if d.granted {
                return Ok(());
            }
            refusal.get_or_insert(d.reason);
        }
        Err(ApiError::PermissionDenied(format!(
            "Client does not have sufficient permissions to perform this action: {}.",
            refusal.unwrap_or("processing not permitted")
        )))
    }

    /// Step 6: appends the audit record of this call (who, which operation, which line, how
    /// it ended), with the consent decisions taken on the way, and passes the result through.
    /// A success that cannot be audited is not answered: it becomes a 500, so nothing is
    /// disclosed without a trace.
    pub async fn record<T>(
        &self,
        cx: &Cx<'_>,
        op: &Operation,
        target: Option<&PhoneNumber>,
        result: Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let (outcome, reason, status) = match &result {
            Ok(_) => ("ok", String::new(), 200),
            Err(e) => (
                e.outcome().as_str(),
                format!("{}: {e}", e.code()),
                e.status(),
            ),
        };
        let decisions = std::mem::take(
            &mut *self
                .decisions
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        let event = AuditEvent {
            id: 0,
            tenant: self.tenant.clone(),
            at: cx.now,
            actor: self.client_id.to_string(),
            action: op.action.into(),
            target: target.map(|n| n.to_string()).unwrap_or_default(),
            outcome: outcome.into(),
            reason,
            detail: AuditDetail::of(&CallDetail {
                api: op.api,
                operation: op.operation,
                status,
                three_legged: self.is_three_legged(),
                purpose: self.claims.purpose.as_deref(),
                jti: &self.claims.jti,
                correlator: cx.correlator,
                consent: &decisions,
            }),
        };
        match cx.store.append_audits(vec![event]).await {
            Ok(()) => result,
            Err(e) => {
                tracing::error!(error = %e, action = op.action, "OGW-C001 audit write failed");
                match result {
                    Ok(_) => Err(ApiError::Internal(format!(
                        "OGW-C001 audit write failed: {e}"
                    ))),
                    Err(original) => Err(original),
                }
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::camara::testkit::*;
    use crate::domain::ConsentStatus;

    const OP: Operation = Operation {
        api: "sim-swap",
        operation: "checkSimSwap",
        action: "camara.sim_swap.check",
        scopes: &["sim-swap:check", "sim-swap"],
    };

    #[tokio::test]
    async fn authentication_failures_are_401() {
        let k = Kit::new().await;
        let cx = k.cx();
        let e = authenticate(&cx, None).await.unwrap_err();
        assert_eq!(e.code(), "UNAUTHENTICATED");
        assert!(authenticate(&cx, Some("garbage")).await.is_err());
        let expired = k.token(|c| c.exp = k.now.timestamp() - 1);
        let e = authenticate(&cx, Some(&expired)).await.unwrap_err();
        assert!(e.to_string().contains("expired"), "{e}");
        let claims = k.claims2("sim-swap:check");
        let t = k.tokens.sign_access_inline(&claims).unwrap();
        k.store.revoke(&claims.jti);
        let e = authenticate(&cx, Some(&t)).await.unwrap_err();
        assert!(e.to_string().contains("revoked"), "{e}");
        let foreign = k.token(|c| c.client_id = "nobody".into());
        assert_eq!(
            authenticate(&cx, Some(&foreign))
                .await
                .unwrap_err()
                .status(),
            401
        );
    }

    #[tokio::test]
    async fn scope_catalog_and_application_are_checked() {
        let k = Kit::new().await;
        let cx = k.cx();
        let c = k.caller(k.claims2("qos-profiles:read")).await;
        assert_eq!(
            c.authorize(&cx, &OP).await.unwrap_err().code(),
            "PERMISSION_DENIED"
        );
        let c = k.caller(k.claims2("sim-swap")).await;
        assert_eq!(c.authorize(&cx, &OP).await.unwrap().api_name, "sim-swap");
        k.store.set_app_scopes(&["qos-profiles:read"]);
        let c = k.caller(k.claims2("sim-swap:check")).await;
        assert!(c.authorize(&cx, &OP).await.is_err());
    }

    #[tokio::test]
    async fn identifier_rules_lenient_and_strict() {
        let k = Kit::new().await;
        let main = phone(MAIN);
        let other = phone(OTHER);
        let two = k.caller(k.claims2("sim-swap:check")).await;
        assert_eq!(
            two.resolve_line(IdentifierPolicy::Lenient, Some(main.clone())),
            Ok(main.clone())
        );
        assert_eq!(
            two.resolve_line(IdentifierPolicy::Strict, None),
            Err(ApiError::MissingIdentifier)
        );
        let three = k.caller(k.claims3("sim-swap:check", MAIN)).await;
        assert!(three.is_three_legged());
        use IdentifierPolicy::*;
        assert_eq!(three.resolve_line(Lenient, None), Ok(main.clone()));
        assert_eq!(
            three.resolve_line(Lenient, Some(main.clone())),
            Ok(main.clone())
        );
        assert_eq!(
            three.resolve_line(Lenient, Some(other)),
            Err(ApiError::InvalidTokenContext)
        );
        assert_eq!(
            three.resolve_line(Strict, Some(main.clone())),
            Err(ApiError::UnnecessaryIdentifier)
        );
        assert_eq!(three.resolve_line(Strict, None), Ok(main));
        let mut broken = k.claims3("sim-swap:check", MAIN);
        broken.sref = Some("not-a-sealed-reference".into());
        let broken = k.caller(broken).await;
        assert_eq!(
            broken.resolve_line(Lenient, None),
            Err(ApiError::MissingIdentifier)
        );
    }

    #[tokio::test]
    async fn unknown_lines_are_404_and_foreign_ones_422() {
        let k = Kit::new().await;
        let cx = k.cx();
        let c = k.caller(k.claims2("sim-swap:check")).await;
        assert!(c.subscriber(&cx, &phone(MAIN)).await.is_ok());
        assert_eq!(
            c.subscriber(&cx, &phone(UNKNOWN)).await.unwrap_err(),
            ApiError::IdentifierNotFound
        );
        assert_eq!(
            c.subscriber(&cx, &phone(FOREIGN)).await.unwrap_err(),
            ApiError::ServiceNotApplicable
        );
    }

    #[tokio::test]
    async fn consent_is_rechecked_with_token_or_catalog_purposes() {
        let k = Kit::new().await;
        let cx = k.cx();
        let cap = k.capability("sim-swap");
        let two = k.caller(k.claims2("sim-swap:check")).await;
        two.check_consent(&cx, &OP, &cap, &phone(MAIN))
            .await
            .unwrap();
        k.store.consent(MAIN, FRAUD, ConsentStatus::Revoked, None);
        let e = two
            .check_consent(&cx, &OP, &cap, &phone(MAIN))
            .await
            .unwrap_err();
        assert_eq!(e.code(), "PERMISSION_DENIED");
        let mut claims = k.claims3("sim-swap:check", MAIN);
        claims.purpose = Some("dpv:RequestedServiceProvision".into());
        let wrong_purpose = k.caller(claims).await;
        assert!(wrong_purpose
            .check_consent(&cx, &OP, &cap, &phone(MAIN))
            .await
            .is_err());
    }

    #[tokio::test]
    async fn every_call_is_audited_and_unauditable_success_fails() {
        let k = Kit::new().await;
        let cx = k.cx();
        let c = k.caller(k.claims2("sim-swap:check")).await;
        let r: Result<u8, _> = c.record(&cx, &OP, Some(&phone(MAIN)), Ok(1)).await;
        assert_eq!(r, Ok(1));
        let r: Result<u8, _> = c
            .record(&cx, &OP, None, Err(ApiError::MissingIdentifier))
            .await;
        assert_eq!(r, Err(ApiError::MissingIdentifier));
        let audit = k.store.audit();
        assert_eq!(audit.len(), 2);
        assert_eq!(
            (audit[0].outcome.as_str(), audit[0].target.as_str()),
            ("ok", MAIN)
        );
        assert_eq!(audit[1].outcome, "reject");
        assert!(audit[1].reason.starts_with("MISSING_IDENTIFIER"));
        k.store.fail_audit();
        let r: Result<u8, _> = c.record(&cx, &OP, None, Ok(1)).await;
        assert_eq!(r.unwrap_err().status(), 500);
    }
}
