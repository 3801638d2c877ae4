//! What a request asks for: technical scopes, `openid`, and exactly one purpose.
//! DECISIONS 6: the purpose comes from `purpose=dpv:…`, a `dpv:…` token in `scope`, or a
//! `dpv:Purpose#suffix` token whose suffix stands for technical scopes (data in
//! `consent::purposes`). Two different purposes, or an unknown suffix → `invalid_scope`.
use crate::consent::{purpose_rule, scopes_for_suffix};
use crate::domain::{CapabilityStatus, Purpose, Scope, ScopeSet};
use crate::store::{Application, Capability};

use super::error::OAuthError;

/// OIDC Core §11: asks for a refresh token (authorization code and CIBA only).
pub const OFFLINE_ACCESS: &str = "offline_access";

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ScopeRequest {
    pub purpose: Option<Purpose>,
    /// CAMARA technical scopes (never `openid`, never `dpv:…`).
    pub scopes: ScopeSet,
    pub openid: bool,
    /// `offline_access` was asked for (a refresh token, where the grant gives one).
    pub offline: bool,
}

/// Whether a subscriber's data is touched (3-legged: purpose and scopes required).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Legs {
    Two,
    Three,
}

impl ScopeRequest {
    /// Parses `scope` and `purpose` as sent.
    pub fn parse(scope: Option<&str>, purpose: Option<&str>) -> Result<Self, OAuthError> {
        let mut req = ScopeRequest::default();
        let mut scopes = Vec::new();
        let mut add_purpose = |token: &str, scopes: &mut Vec<Scope>| -> Result<(), OAuthError> {
            let (term, suffix) = match token.split_once('#') {
                Some((t, s)) => (t, Some(s)),
                None => (token, None),
            };
            let p = Purpose::parse(term)
                .map_err(|_| OAuthError::invalid_scope(format!("malformed purpose '{token}'")))?;
            if let Some(suffix) = suffix {
                let mapped = scopes_for_suffix(suffix).ok_or_else(|| {
                    OAuthError::invalid_scope(format!("unknown purpose scope suffix '#{suffix}'"))
                })?;
                for s in mapped {
                    scopes.push(Scope::parse(s).map_err(|e| OAuthError::Server(e.to_string()))?);
                }
            }
            match &req.purpose {
                Some(existing) if *existing != p => Err(OAuthError::invalid_scope(
                    "exactly one purpose may be requested",
                )),
                _ => {
                    req.purpose = Some(p);
                    Ok(())
                }
            }
        };
        if let Some(p) = purpose {
            add_purpose(p.trim(), &mut scopes)?;
        }
        for token in scope
            .unwrap_or_default()
            .split(' ')
            .filter(|t| !t.is_empty())
        {
            if token.starts_with("dpv:") {
                add_purpose(token, &mut scopes)?;
            } else if token == "openid" {
                req.openid = true;
            } else if token == OFFLINE_ACCESS {
                req.offline = true;
            } else {
                scopes.push(Scope::parse(token).map_err(|_| {
                    OAuthError::invalid_scope(format!("malformed scope '{token}'"))
                })?);
            }
        }
        req.scopes = scopes.into_iter().collect();
        Ok(req)
    }

    /// The purpose of a request that passed `check` for three legs (which requires one).
    pub fn required_purpose(&self) -> Result<Purpose, OAuthError> {
        self.purpose
            .clone()
            .ok_or_else(|| OAuthError::invalid_scope("a purpose is required"))
    }

    /// The scope string of the token response: `openid`, the purpose and the technical scopes.
    pub fn granted(&self) -> String {
        let mut parts = Vec::new();
        if self.openid {
            parts.push("openid".to_owned());
        }
        if self.offline {
            parts.push(OFFLINE_ACCESS.to_owned());
        }
        if let Some(p) = &self.purpose {
            parts.push(p.to_string());
        }
        parts.extend(self.scopes.iter().map(|s| s.to_string()));
        parts.join(" ")
    }

    /// Everything to store with a code or CIBA request (technical scopes plus `openid`).
    pub fn stored_scopes(&self) -> Vec<Scope> {
        let mut v: Vec<Scope> = self.scopes.iter().cloned().collect();
        if self.openid {
            if let Ok(s) = Scope::parse("openid") {
                v.push(s);
            }
        }
        if self.offline {
            if let Ok(s) = Scope::parse(OFFLINE_ACCESS) {
                v.push(s);
            }
        }
        v
    }

    /// The inverse of `stored_scopes`.
    pub fn from_stored(scopes: &[Scope], purpose: Option<Purpose>) -> Self {
        Self {
            purpose,
            openid: scopes.iter().any(Scope::is_openid),
            offline: scopes.iter().any(|s| s.as_str() == OFFLINE_ACCESS),
            scopes: scopes
                .iter()
                .filter(|s| !s.is_openid() && s.as_str() != OFFLINE_ACCESS)
                .cloned()
                .collect(),
        }
    }

    /// The checks every grant applies, in order: see each fn.
    pub fn check(
        &self,
        app: &Application,
        catalog: &[Capability],
        legs: Legs,
    ) -> Result<(), OAuthError> {
        check_some_scope(self)?;
        check_purpose_present(self, legs)?;
        check_scopes_allowed_for_app(self, app)?;
        check_scopes_offered(self, catalog, legs)?;
        check_purpose_allowed(self, app)?;
        Ok(())
    }
}

/// ICM: `scope` is REQUIRED (client credentials) and names the APIs asked for.
fn check_some_scope(r: &ScopeRequest) -> Result<(), OAuthError> {
    if r.scopes.is_empty() {
        return Err(OAuthError::invalid_scope(
            "no API scope requested (e.g. sim-swap:check)",
        ));
    }
    Ok(())
}

/// ICM "Purpose": exactly one `dpv:` purpose in every 3-legged request.
fn check_purpose_present(r: &ScopeRequest, legs: Legs) -> Result<(), OAuthError> {
    if legs == Legs::Three && r.purpose.is_none() {
        return Err(OAuthError::invalid_scope(
            "a purpose is required (dpv:<Purpose> in scope, or purpose=)",
        ));
    }
    Ok(())
}

/// The application was onboarded for these scopes only.
fn check_scopes_allowed_for_app(r: &ScopeRequest, app: &Application) -> Result<(), OAuthError> {
    match r.scopes.iter().find(|s| !app.allowed_scopes.contains(s)) {
        Some(s) => Err(OAuthError::invalid_scope(format!(
            "scope '{s}' is not allowed for this application"
        ))),
        None => Ok(()),
    }
}

/// Each scope belongs to an API this operator offers (catalog entry not disabled), or is a
/// management scope (`manage::scopes`), which only 2-legged tokens carry.
fn check_scopes_offered(
    r: &ScopeRequest,
    catalog: &[Capability],
    legs: Legs,
) -> Result<(), OAuthError> {
    // `manage::gate`: a scope whose every catalog entry is switched off is refused by name.
    if let Some(s) =
        crate::manage::gate::disabled_scopes(catalog, r.scopes.iter().map(Scope::as_str)).first()
    {
        return Err(OAuthError::invalid_scope(format!(
            "scope '{s}' belongs to an API the operator has disabled"
        )));
    }
    let offered = |s: &Scope| {
        (legs == Legs::Two && crate::manage::scopes::is_management(s.as_str()))
            || catalog
                .iter()
                .any(|c| c.status != CapabilityStatus::Disabled && c.scopes.contains(s))
    };
    match r.scopes.iter().find(|s| !offered(s)) {
        Some(s) => Err(OAuthError::invalid_scope(format!(
            "scope '{s}' is not offered by this operator"
        ))),
        None => Ok(()),
    }
}

/// The purpose is known, allowed for the application, and covers every scope asked for.
fn check_purpose_allowed(r: &ScopeRequest, app: &Application) -> Result<(), OAuthError> {
    let Some(p) = &r.purpose else {
        return Ok(());
    };
    let rule = purpose_rule(p.as_str()).ok_or_else(|| {
        OAuthError::invalid_scope(format!("purpose '{p}' is not supported by this operator"))
    })?;
    if !app.allowed_purposes.contains(p) {
        return Err(OAuthError::invalid_scope(format!(
            "purpose '{p}' is not allowed for this application"
        )));
    }
    match r.scopes.iter().find(|s| !rule.scopes.contains(&s.as_str())) {
        Some(s) => Err(OAuthError::invalid_scope(format!(
            "purpose '{p}' does not allow scope '{s}'"
        ))),
        None => Ok(()),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::domain::*;

    fn app(scopes: &[&str], purposes: &[&str]) -> Application {
        Application {
            tenant: TenantId::parse("t").unwrap(),
            client_id: ClientId::parse("c").unwrap(),
            name: "c".into(),
            secret_hash: None,
            auth_methods: vec![],
            public_key_pem: None,
            jwks: None,
            redirect_uris: vec![],
            grant_types: vec![],
            allowed_scopes: scopes.iter().map(|s| Scope::parse(s).unwrap()).collect(),
            allowed_purposes: purposes
                .iter()
                .map(|p| Purpose::parse(p).unwrap())
                .collect(),
            require_pkce: false,
            dpop_bound_access_tokens: false,
            status: AppStatus::Active,
            created_at: chrono::Utc::now(),
        }
    }

    fn catalog(scopes: &[&str]) -> Vec<Capability> {
        vec![Capability {
            tenant: TenantId::parse("t").unwrap(),
            id: CapabilityId::parse("x").unwrap(),
            api_name: "x".into(),
            version: "1".into(),
            base_path: "/x".into(),
            scopes: scopes.iter().map(|s| Scope::parse(s).unwrap()).collect(),
            purposes: vec![],
            status: CapabilityStatus::Available,
        }]
    }

    const FRAUD: &str = "dpv:FraudPreventionAndDetection";

    #[test]
    fn purpose_in_scope_param_or_suffix() {
        let r = ScopeRequest::parse(Some(&format!("openid {FRAUD} sim-swap:check")), None).unwrap();
        assert_eq!(r.purpose.unwrap().as_str(), FRAUD);
        assert!(r.openid);
        assert_eq!(r.scopes.to_string(), "sim-swap:check");

        let r = ScopeRequest::parse(Some(&format!("{FRAUD}#sim-swap")), None).unwrap();
        assert_eq!(
            r.scopes.to_string(),
            "sim-swap:check sim-swap:retrieve-date"
        );
        assert!(!r.openid);

        let r = ScopeRequest::parse(Some("sim-swap:check"), Some(FRAUD)).unwrap();
        assert_eq!(r.purpose.unwrap().as_str(), FRAUD);
        // Same purpose twice is fine.
        assert!(ScopeRequest::parse(Some(&format!("{FRAUD} sim-swap:check")), Some(FRAUD)).is_ok());
    }

    #[test]
    fn two_purposes_or_unknown_suffix_are_invalid_scope() {
        let two = ScopeRequest::parse(
            Some("dpv:FraudPreventionAndDetection dpv:ServiceProvision sim-swap:check"),
            None,
        );
        assert_eq!(two.unwrap_err().code(), "invalid_scope");
        let two = ScopeRequest::parse(Some(&format!("{FRAUD} x")), Some("dpv:ServiceProvision"));
        assert_eq!(two.unwrap_err().code(), "invalid_scope");
        let bad = ScopeRequest::parse(Some(&format!("{FRAUD}#nope")), None);
        assert_eq!(bad.unwrap_err().code(), "invalid_scope");
        let bad = ScopeRequest::parse(Some("dpv:"), None);
        assert_eq!(bad.unwrap_err().code(), "invalid_scope");
    }

    #[test]
    fn checks_apply_the_app_the_catalog_and_the_purpose_table() {
        let all = ["sim-swap:check", "qos-profiles:read"];
        let a = app(&all, &[FRAUD, "dpv:ServiceProvision"]);
        let cat = catalog(&all);
        let ok = ScopeRequest::parse(Some("sim-swap:check"), Some(FRAUD)).unwrap();
        assert!(ok.check(&a, &cat, Legs::Three).is_ok());

        let code = |scope: &str, purpose: Option<&str>, legs| {
            ScopeRequest::parse(Some(scope), purpose)
                .unwrap()
                .check(&a, &cat, legs)
                .err()
                .map(|e| e.code())
        };
        // 2-legged needs no purpose; 3-legged does.
        assert_eq!(code("qos-profiles:read", None, Legs::Two), None);
        assert_eq!(
            code("qos-profiles:read", None, Legs::Three),
            Some("invalid_scope")
        );
        // Not allowed for the app / not in the catalog / purpose does not cover it.
        assert_eq!(
            code("sim-swap:retrieve-date", Some(FRAUD), Legs::Three),
            Some("invalid_scope")
        );
        assert_eq!(
            code("qos-profiles:read", Some(FRAUD), Legs::Three),
            Some("invalid_scope")
        );
        assert_eq!(
            code("sim-swap:check", Some("dpv:Marketing"), Legs::Three),
            Some("invalid_scope")
        );
        assert_eq!(
            code("openid", Some(FRAUD), Legs::Three),
            Some("invalid_scope")
        );
        let narrow = app(&all, &[]);
        let r = ScopeRequest::parse(Some("sim-swap:check"), Some(FRAUD)).unwrap();
        assert_eq!(
            r.check(&narrow, &cat, Legs::Three).unwrap_err().code(),
            "invalid_scope"
        );
        // Management scopes: 2-legged only, still subject to the app's allowed scopes.
        let admin = app(&["apps:read", "sim-swap:check"], &[FRAUD]);
        let r = ScopeRequest::parse(Some("apps:read"), None).unwrap();
        assert!(r.check(&admin, &cat, Legs::Two).is_ok());
        assert!(r.check(&a, &cat, Legs::Two).is_err());
        let r = ScopeRequest::parse(Some("apps:read"), Some(FRAUD)).unwrap();
        assert!(r.check(&admin, &cat, Legs::Three).is_err());
        let no_catalog = ScopeRequest::parse(Some("sim-swap:check"), Some(FRAUD)).unwrap();
        assert!(no_catalog
            .check(&a, &catalog(&["qos-profiles:read"]), Legs::Three)
            .is_err());
    }

    #[test]
    fn stored_scopes_round_trip() {
        let r = ScopeRequest::parse(Some(&format!("openid {FRAUD}#check-sim-swap")), None).unwrap();
        let back = ScopeRequest::from_stored(&r.stored_scopes(), r.purpose.clone());
        assert_eq!(back, r);
        assert_eq!(r.granted(), format!("openid {FRAUD} sim-swap:check"));
    }
}
