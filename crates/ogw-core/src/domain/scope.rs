use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

/// A CAMARA technical scope (`api-name:[resource:]action`, e.g. `sim-swap:check`) or an
/// OIDC scope such as `openid`. Purposes (`dpv:…`) are not scopes; see [`super::Purpose`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Scope(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid scope token: {0:?}")]
pub struct InvalidScope(pub String);

impl Scope {
    /// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ).
    pub fn parse(s: &str) -> Result<Self, InvalidScope> {
        let ok = !s.is_empty()
            && s.len() <= 200
            && s.bytes()
                .all(|b| b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b));
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(InvalidScope(s.to_owned()))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn is_openid(&self) -> bool {
        self.0 == "openid"
    }
}

impl TryFrom<String> for Scope {
    type Error = InvalidScope;
    fn try_from(s: String) -> Result<Self, InvalidScope> {
        Self::parse(&s)
    }
}
impl From<Scope> for String {
    fn from(v: Scope) -> String {
        v.0
    }
}
impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An ordered, duplicate-free set of scopes; renders space-separated (RFC 6749 §3.3).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeSet(pub BTreeSet<Scope>);

impl ScopeSet {
    pub fn parse_space_separated(s: &str) -> Result<Self, InvalidScope> {
        s.split(' ')
            .filter(|t| !t.is_empty())
            .map(Scope::parse)
            .collect::<Result<BTreeSet<_>, _>>()
            .map(Self)
    }
    pub fn contains(&self, s: &str) -> bool {
        self.0.iter().any(|x| x.as_str() == s)
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn iter(&self) -> impl Iterator<Item = &Scope> {
        self.0.iter()
    }
    pub fn to_vec(&self) -> Vec<String> {
        self.0.iter().map(|s| s.0.clone()).collect()
    }
}

impl fmt::Display for ScopeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for s in &self.0 {
            if !first {
                f.write_str(" ")?;
            }
            first = false;
            f.write_str(s.as_str())?;
        }
        Ok(())
    }
}

impl FromIterator<Scope> for ScopeSet {
    fn from_iter<T: IntoIterator<Item = Scope>>(iter: T) -> Self {
        Self(iter.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_renders_sorted() {
        let s = ScopeSet::parse_space_separated("sim-swap:check  openid").unwrap_or_default();
        assert_eq!(s.to_string(), "openid sim-swap:check");
        assert!(ScopeSet::parse_space_separated("bad\"scope").is_err());
    }
}
