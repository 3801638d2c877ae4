//! Consent decisions: may application A use scopes S for purpose P on subscriber N?
//! One function decides, for the authorization server, the CAMARA APIs and the
//! management API alike; every decision is written to the audit log with its reason.
pub mod capture;
pub mod purposes;
pub mod views;

use serde::Serialize;

use crate::domain::{ClientId, ConsentStatus, LegalBasis, PhoneNumber, Purpose, TenantId};
use crate::store::{AuditEvent, Consent, Store, StoreResult, Timestamp};
pub use purposes::{purpose_rule, scopes_for_suffix, PurposeRule, PURPOSES};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Decision {
    pub granted: bool,
    pub legal_basis: LegalBasis,
    pub outcome: Outcome,
    /// When the decision rests on a consent that expires.
    pub expires_at: Option<Timestamp>,
    pub reason: &'static str,
}

impl Decision {
    /// The audit trail's word for it: `allow` or `deny`.
    pub fn audit_outcome(&self) -> &'static str {
        if self.granted {
            "allow"
        } else {
            "deny"
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Outcome {
    Allowed,
    /// Consent basis, nothing given yet (or capture requested, unanswered).
    Pending,
    Denied,
    Expired,
    /// Legitimate interest, but the subscriber objected.
    Objected,
}

/// Pure rule: the legal basis of the purpose and the stored consent decide.
pub fn decide(rule: &PurposeRule, consent: Option<&Consent>, now: Timestamp) -> Decision {
    let d = |granted, outcome, expires_at, reason| Decision {
        granted,
        legal_basis: rule.legal_basis,
        outcome,
        expires_at,
        reason,
    };
    let status = consent.map(|c| c.status);
    let expires = consent.and_then(|c| c.expires_at);
    match rule.legal_basis {
        LegalBasis::LegitimateInterest | LegalBasis::Contract => match status {
            Some(ConsentStatus::Denied | ConsentStatus::Revoked) => d(
                false,
                Outcome::Objected,
                None,
                "subscriber objected to processing for this purpose",
            ),
            _ => d(
                true,
                Outcome::Allowed,
                None,
                "legitimate interest, no objection recorded",
            ),
        },
        LegalBasis::Consent => match status {
            Some(ConsentStatus::Granted) if expires.is_some_and(|e| e <= now) => {
                d(false, Outcome::Expired, expires, "consent expired")
            }
            Some(ConsentStatus::Granted) => d(true, Outcome::Allowed, expires, "consent granted"),
            Some(ConsentStatus::Denied) => d(false, Outcome::Denied, None, "consent denied"),
            Some(ConsentStatus::Revoked) => d(false, Outcome::Denied, None, "consent revoked"),
            Some(ConsentStatus::Requested) => d(
                false,
                Outcome::Pending,
                None,
                "consent requested, not yet answered",
            ),
            None => d(false, Outcome::Pending, None, "no consent given"),
        },
    }
}

/// What is being asked, for the audit trail.
pub struct Query<'a> {
    pub tenant: &'a TenantId,
    pub msisdn: &'a PhoneNumber,
    pub client_id: &'a ClientId,
    pub purpose: &'a Purpose,
    pub scopes: &'a [String],
    /// Where the question came from: `oauth.authorize`, `oauth.ciba`, `camara.sim-swap`…
    pub context: &'a str,
}

/// Reads the consent and decides. An unknown purpose is denied.
pub async fn ask(store: &dyn Store, q: &Query<'_>, now: Timestamp) -> StoreResult<Decision> {
    Ok(match purpose_rule(q.purpose.as_str()) {
        Some(rule) => {
            let consent = store
                .get_consent(q.tenant, q.msisdn, q.client_id, q.purpose)
                .await?;
            decide(rule, consent.as_ref(), now)
        }
        None => Decision {
            granted: false,
            legal_basis: LegalBasis::Consent,
            outcome: Outcome::Denied,
            expires_at: None,
            reason: "purpose not recognised by this operator",
        },
    })
}

/// What a decision leaves in the record of the CAMARA call that took it (`detail.consent`, one
/// entry per purpose judged): what was asked, what was answered and why — the fields of a
/// `consent.decision` event's detail, outcome and reason, less the context (the call itself).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DecisionRecord {
    pub purpose: Purpose,
    pub scopes: Vec<String>,
    pub legal_basis: LegalBasis,
    pub status: Outcome,
    /// `allow` or `deny`, as a `consent.decision` event's outcome.
    pub outcome: &'static str,
    pub reason: &'static str,
}

impl DecisionRecord {
    pub fn new(q: &Query<'_>, d: &Decision) -> Self {
        DecisionRecord {
            purpose: q.purpose.clone(),
            scopes: q.scopes.to_vec(),
            legal_basis: d.legal_basis,
            status: d.outcome,
            outcome: d.audit_outcome(),
            reason: d.reason,
        }
    }
}

/// Reads the consent, decides and records the decision (`consent.decision`). An unknown
/// purpose is denied.
pub async fn evaluate(store: &dyn Store, q: &Query<'_>, now: Timestamp) -> StoreResult<Decision> {
    let decision = ask(store, q, now).await?;
    let event = AuditEvent {
        id: 0,
        tenant: q.tenant.clone(),
        at: now,
        actor: q.client_id.to_string(),
        action: "consent.decision".into(),
        target: q.msisdn.to_string(),
        outcome: decision.audit_outcome().into(),
        reason: decision.reason.into(),
        detail: serde_json::json!({
            "purpose": q.purpose, "scopes": q.scopes, "context": q.context,
            "legalBasis": decision.legal_basis, "status": decision.outcome,
        })
        .into(),
    };
    store.append_audits(vec![event]).await?;
    Ok(decision)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use chrono::{Duration, Utc};

    fn consent(status: ConsentStatus, expires_at: Option<Timestamp>) -> Consent {
        Consent {
            tenant: TenantId::parse("t").unwrap(),
            msisdn: PhoneNumber::parse("+34600000001").unwrap(),
            client_id: ClientId::parse("c").unwrap(),
            purpose: Purpose::parse("dpv:RequestedServiceProvision").unwrap(),
            scopes: vec![],
            status,
            updated_at: Utc::now(),
            expires_at,
        }
    }

    #[test]
    fn legitimate_interest_allows_unless_objected() {
        let rule = purpose_rule("dpv:FraudPreventionAndDetection").unwrap();
        let now = Utc::now();
        assert!(decide(rule, None, now).granted);
        assert!(decide(rule, Some(&consent(ConsentStatus::Granted, None)), now).granted);
        let d = decide(rule, Some(&consent(ConsentStatus::Denied, None)), now);
        assert_eq!((d.granted, d.outcome), (false, Outcome::Objected));
    }

    #[test]
    fn consent_basis_needs_a_live_grant() {
        let rule = purpose_rule("dpv:RequestedServiceProvision").unwrap();
        let now = Utc::now();
        assert_eq!(decide(rule, None, now).outcome, Outcome::Pending);
        assert!(
            decide(
                rule,
                Some(&consent(
                    ConsentStatus::Granted,
                    Some(now + Duration::days(1))
                )),
                now
            )
            .granted
        );
        assert_eq!(
            decide(rule, Some(&consent(ConsentStatus::Granted, Some(now))), now).outcome,
            Outcome::Expired
        );
        assert_eq!(
            decide(rule, Some(&consent(ConsentStatus::Revoked, None)), now).outcome,
            Outcome::Denied
        );
    }
}
