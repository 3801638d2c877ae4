use std::fmt;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} must be 1-{max} characters of [A-Za-z0-9._-]")]
pub struct InvalidId {
    kind: &'static str,
    max: usize,
}

fn valid_id(s: &str, max: usize) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident, $kind:literal, $max:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn parse(s: &str) -> Result<Self, InvalidId> {
                if valid_id(s, $max) {
                    Ok(Self(s.to_owned()))
                } else {
                    Err(InvalidId { kind: $kind, max: $max })
                }
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = InvalidId;
            fn try_from(s: String) -> Result<Self, InvalidId> {
                Self::parse(&s)
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

string_id!(
    /// A tenant (an operator brand or business unit) owning applications and subscribers.
    TenantId, "tenant id", 64
);
string_id!(
    /// An OAuth client id; globally unique, each application belongs to one tenant.
    ClientId, "client id", 128
);
string_id!(
    /// A subscriber's opaque, stable identifier; never the MSISDN.
    SubscriberId, "subscriber id", 64
);
string_id!(
    /// A capability (catalog entry) id, e.g. `sim-swap-v2`.
    CapabilityId, "capability id", 64
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_validated() {
        assert!(TenantId::parse("demo").is_ok());
        assert!(ClientId::parse("demo-app-id").is_ok());
        assert!(ClientId::parse("").is_err());
        assert!(ClientId::parse("a b").is_err());
        assert!(TenantId::parse(&"x".repeat(65)).is_err());
    }
}
