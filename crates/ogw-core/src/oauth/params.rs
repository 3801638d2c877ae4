//! Request parameters as the protocol code sees them: name/value pairs, repeated names
//! already rejected at the edge (RFC 6749 §3.1), empty values treated as absent.
use super::error::OAuthError;

#[derive(Debug, Clone, Default)]
pub struct Params(Vec<(String, String)>);

impl Params {
    pub fn new(pairs: Vec<(String, String)>) -> Self {
        Self(pairs)
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }

    pub fn require(&self, name: &str) -> Result<&str, OAuthError> {
        self.get(name)
            .ok_or_else(|| OAuthError::invalid_request(format!("missing parameter '{name}'")))
    }

    /// Every pair, in the order received.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.0
    }

    /// Only the named parameters: each grant sees what it declares and nothing else
    /// (node-oidc-provider's `stripGrantIrrelevantParams`).
    pub fn only(&self, names: &[&str]) -> Params {
        Params(
            self.0
                .iter()
                .filter(|(k, _)| names.contains(&k.as_str()))
                .cloned()
                .collect(),
        )
    }
}

impl From<Vec<(String, String)>> for Params {
    fn from(v: Vec<(String, String)>) -> Self {
        Self(v)
    }
}

impl<const N: usize> From<[(&str, &str); N]> for Params {
    fn from(v: [(&str, &str); N]) -> Self {
        Self(
            v.iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }
}

/// `application/x-www-form-urlencoded` serialisation (for redirect query strings).
pub fn encode_query(pairs: &[(&str, &str)]) -> String {
    let enc = |s: &str| {
        let mut out = String::with_capacity(s.len());
        for b in s.bytes() {
            match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                    out.push(b as char)
                }
                b' ' => out.push('+'),
                _ => out.push_str(&format!("%{b:02X}")),
            }
        }
        out
    };
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_reserved_characters() {
        assert_eq!(
            encode_query(&[("code", "a+b/c"), ("state", "x y&z=")]),
            "code=a%2Bb%2Fc&state=x+y%26z%3D"
        );
    }

    #[test]
    fn only_keeps_declared_names() {
        let p = Params::from([("a", "1"), ("b", "2"), ("c", "")]);
        let only = p.only(&["a", "c"]);
        assert_eq!(only.get("a"), Some("1"));
        assert_eq!(only.get("b"), None);
        assert_eq!(only.get("c"), None);
        assert!(p.require("c").is_err());
    }
}
