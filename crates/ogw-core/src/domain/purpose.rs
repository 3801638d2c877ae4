use std::fmt;

use serde::{Deserialize, Serialize};

/// A W3C DPV purpose in CAMARA's `dpv:<Term>` form (Consent Info: `^dpv:[a-zA-Z0-9]+$`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Purpose(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("purpose must be a DPV term of the form dpv:<Term> ({0:?})")]
pub struct InvalidPurpose(pub String);

impl Purpose {
    pub fn parse(s: &str) -> Result<Self, InvalidPurpose> {
        let term = s
            .strip_prefix("dpv:")
            .ok_or_else(|| InvalidPurpose(s.to_owned()))?;
        if !term.is_empty() && term.len() <= 100 && term.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            Ok(Self(s.to_owned()))
        } else {
            Err(InvalidPurpose(s.to_owned()))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Purpose {
    type Error = InvalidPurpose;
    fn try_from(s: String) -> Result<Self, InvalidPurpose> {
        Self::parse(&s)
    }
}
impl From<Purpose> for String {
    fn from(v: Purpose) -> String {
        v.0
    }
}
impl fmt::Display for Purpose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_dpv_terms() {
        assert!(Purpose::parse("dpv:FraudPreventionAndDetection").is_ok());
        assert!(Purpose::parse("FraudPreventionAndDetection").is_err());
        assert!(Purpose::parse("dpv:").is_err());
        assert!(Purpose::parse("dpv:Fraud#sim-swap").is_err());
    }
}
