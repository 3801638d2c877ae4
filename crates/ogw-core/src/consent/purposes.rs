//! Purposes as data: which technical scopes each DPV purpose may request, and on which
//! legal basis. Also the `dpv:Purpose#suffix` names the vendor SDKs send (DECISIONS 6).
use crate::domain::LegalBasis;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PurposeRule {
    pub purpose: &'static str,
    pub legal_basis: LegalBasis,
    pub scopes: &'static [&'static str],
}

const SIM_SWAP: &[&str] = &["sim-swap", "sim-swap:check", "sim-swap:retrieve-date"];
const NUMBER_VERIFICATION: &[&str] = &[
    "number-verification:verify",
    "number-verification:device-phone-number:read",
];
const FRAUD_SCOPES: &[&str] = &[
    "sim-swap",
    "sim-swap:check",
    "sim-swap:retrieve-date",
    "number-verification:verify",
    "number-verification:device-phone-number:read",
    "consent-info:retrieve",
];
const SERVICE_SCOPES: &[&str] = &["qos-profiles:read", "consent-info:retrieve"];

/// The purposes this operator recognises. Fraud prevention rests on legitimate interest
/// (allowed unless the subscriber objected); service provision needs the subscriber's consent.
pub const PURPOSES: &[PurposeRule] = &[
    PurposeRule {
        purpose: "dpv:FraudPreventionAndDetection",
        legal_basis: LegalBasis::LegitimateInterest,
        scopes: FRAUD_SCOPES,
    },
    PurposeRule {
        purpose: "dpv:RequestedServiceProvision",
        legal_basis: LegalBasis::Consent,
        scopes: SERVICE_SCOPES,
    },
    PurposeRule {
        purpose: "dpv:ServiceProvision",
        legal_basis: LegalBasis::Consent,
        scopes: SERVICE_SCOPES,
    },
];

pub fn purpose_rule(purpose: &str) -> Option<&'static PurposeRule> {
    PURPOSES.iter().find(|r| r.purpose == purpose)
}

/// `dpv:<Purpose>#<suffix>` suffixes and the technical scopes they stand for.
pub const SCOPE_SUFFIXES: &[(&str, &[&str])] = &[
    ("sim-swap", &["sim-swap:check", "sim-swap:retrieve-date"]),
    ("check-sim-swap", &["sim-swap:check"]),
    ("retrieve-sim-swap-date", &["sim-swap:retrieve-date"]),
    (
        "number-verification-verify-read",
        &["number-verification:verify"],
    ),
    (
        "number-verification-share-read",
        &["number-verification:device-phone-number:read"],
    ),
];

pub fn scopes_for_suffix(suffix: &str) -> Option<&'static [&'static str]> {
    SCOPE_SUFFIXES
        .iter()
        .find(|(s, _)| *s == suffix)
        .map(|(_, scopes)| *scopes)
}

/// Every technical scope any purpose can request (discovery's `scopes_supported`).
pub fn all_technical_scopes() -> Vec<&'static str> {
    let mut v: Vec<&str> = PURPOSES
        .iter()
        .flat_map(|r| r.scopes.iter().copied())
        .collect();
    v.extend(SIM_SWAP.iter().chain(NUMBER_VERIFICATION));
    v.sort_unstable();
    v.dedup();
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffixes_map_to_scopes_that_fraud_prevention_allows() {
        let fraud = purpose_rule("dpv:FraudPreventionAndDetection")
            .map(|r| r.scopes)
            .unwrap_or_default();
        for (_, scopes) in SCOPE_SUFFIXES {
            for s in *scopes {
                assert!(fraud.contains(s), "{s}");
            }
        }
        assert!(scopes_for_suffix("nope").is_none());
    }
}
