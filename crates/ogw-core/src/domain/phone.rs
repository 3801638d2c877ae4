use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};

/// An E.164 phone number with a leading `+`, as every CAMARA spec defines it:
/// `^\+[1-9][0-9]{4,14}$`. Parsed once at the edge; inside, it is always valid.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PhoneNumber(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("phone number must be E.164 with a leading '+' (^\\+[1-9][0-9]{{4,14}}$)")]
pub struct InvalidPhoneNumber;

impl PhoneNumber {
    pub fn parse(s: &str) -> Result<Self, InvalidPhoneNumber> {
        let digits = s.strip_prefix('+').ok_or(InvalidPhoneNumber)?;
        let ok = (5..=15).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0');
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(InvalidPhoneNumber)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Number Verification's `hashedPhoneNumber`: hex SHA-256 of the E.164 string with `+`.
    pub fn sha256_hex(&self) -> String {
        let digest = Sha256::digest(self.0.as_bytes());
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }
}

impl FromStr for PhoneNumber {
    type Err = InvalidPhoneNumber;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Debug masks the middle digits so phone numbers do not leak into logs in clear.
impl fmt::Debug for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        write!(
            f,
            "PhoneNumber({}…{})",
            &self.0[..4.min(n)],
            &self.0[n.saturating_sub(2)..]
        )
    }
}

impl Serialize for PhoneNumber {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for PhoneNumber {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_e164() {
        for ok in ["+34629255833", "+12345", "+123456789012345"] {
            assert!(PhoneNumber::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn rejects_non_e164() {
        for bad in [
            "34629255833",
            "+0123456",
            "+1234",
            "+1234567890123456",
            "+34 629",
            "",
            "+",
            "+34a29255833",
        ] {
            assert!(PhoneNumber::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn hash_matches_camara_digest_vector() {
        let n = PhoneNumber::parse("+346661113334").unwrap_or_else(|_| unreachable!());
        assert_eq!(
            n.sha256_hex(),
            "6dd5d20f257c1f3620662454064e3aa25ba9a6c7a4d1e99e965bbadd3a7e07d6"
        );
    }

    #[test]
    fn debug_masks_number() {
        let n = PhoneNumber::parse("+34629255833").unwrap_or_else(|_| unreachable!());
        assert!(!format!("{n:?}").contains("629255"));
    }
}
