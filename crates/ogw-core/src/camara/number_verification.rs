//! Number Verification 2.1.0 (`/number-verification/v2`): `phoneNumberVerify` and
//! `phoneNumberShare`. Both need a 3-legged token from network-based authentication
//! (`amr` holds `nba`); anything else is 403
//! `NUMBER_VERIFICATION.USER_NOT_AUTHENTICATED_BY_MOBILE_NETWORK` (DECISIONS 4).
//! The body's number is the value being checked, so the identifier rules do not apply.
use serde::{Deserialize, Serialize};

use super::caller::{Caller, Cx, Operation};
use super::error::ApiError;
use crate::domain::PhoneNumber;

pub const VERIFY: Operation = Operation {
    api: "number-verification",
    operation: "phoneNumberVerify",
    action: "camara.number_verification.verify",
    scopes: &["number-verification:verify"],
};

pub const SHARE: Operation = Operation {
    api: "number-verification",
    operation: "phoneNumberShare",
    action: "camara.number_verification.device_phone_number",
    scopes: &["number-verification:device-phone-number:read"],
};

/// `NumberVerificationRequestBody`: exactly one of the two properties (min/maxProperties 1),
/// so any other property is an error too.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NumberVerificationRequestBody {
    #[serde(default)]
    pub phone_number: Option<PhoneNumber>,
    #[serde(default)]
    pub hashed_phone_number: Option<String>,
}

/// `NumberVerificationMatchResponse`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NumberVerificationMatchResponse {
    pub device_phone_number_verified: bool,
}

/// `NumberVerificationShareResponse`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NumberVerificationShareResponse {
    pub device_phone_number: PhoneNumber,
}

/// What the consumer asks to compare with the device's number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Candidate {
    Plain(PhoneNumber),
    /// Lower-case hex SHA-256 of the E.164 number with `+`.
    Hashed(String),
}

impl NumberVerificationRequestBody {
    pub fn candidate(self) -> Result<Candidate, ApiError> {
        match (self.phone_number, self.hashed_phone_number) {
            (Some(n), None) => Ok(Candidate::Plain(n)),
            (None, Some(h)) => {
                if h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()) {
                    Ok(Candidate::Hashed(h.to_ascii_lowercase()))
                } else {
                    Err(ApiError::invalid(
                        "hashedPhoneNumber must be the SHA-256 of the phone number as 64 hexadecimal characters",
                    ))
                }
            }
            _ => Err(ApiError::invalid(
                "exactly one of phoneNumber or hashedPhoneNumber must be provided",
            )),
        }
    }
}

impl Candidate {
    /// Whether it names `line`; the hash is compared case-insensitively.
    pub fn matches(&self, line: &PhoneNumber) -> bool {
        match self {
            Candidate::Plain(n) => n == line,
            Candidate::Hashed(h) => *h == line.sha256_hex(),
        }
    }
}

/// Scope first (403 `PERMISSION_DENIED`), then how the token was obtained.
async fn network_authenticated_line(
    cx: &Cx<'_>,
    caller: &Caller,
    op: &Operation,
) -> Result<(super::caller::Grant, PhoneNumber), ApiError> {
    let cap = caller.authorize(cx, op).await?;
    if !caller.is_three_legged() || !caller.claims.network_authenticated() {
        return Err(ApiError::NotAuthenticatedByMobileNetwork);
    }
    Ok((cap, caller.token_line()?.clone()))
}

/// `POST /verify`.
pub async fn verify(
    cx: &Cx<'_>,
    caller: &Caller,
    body: Result<NumberVerificationRequestBody, ApiError>,
) -> Result<NumberVerificationMatchResponse, ApiError> {
    let mut target = None;
    let result = async {
        let (cap, line) = network_authenticated_line(cx, caller, &VERIFY).await?;
        let candidate = body?.candidate()?;
        let line = target.insert(line);
        caller.subscriber(cx, line).await?;
        caller.check_consent(cx, &VERIFY, &cap, line).await?;
        Ok(NumberVerificationMatchResponse {
            device_phone_number_verified: candidate.matches(line),
        })
    }
    .await;
    caller.record(cx, &VERIFY, target.as_ref(), result).await
}

/// `GET /device-phone-number`.
pub async fn share(
    cx: &Cx<'_>,
    caller: &Caller,
) -> Result<NumberVerificationShareResponse, ApiError> {
    let mut target = None;
    let result = async {
        let (cap, line) = network_authenticated_line(cx, caller, &SHARE).await?;
        let line = target.insert(line);
        caller.subscriber(cx, line).await?;
        caller.check_consent(cx, &SHARE, &cap, line).await?;
        Ok(NumberVerificationShareResponse {
            device_phone_number: line.clone(),
        })
    }
    .await;
    caller.record(cx, &SHARE, target.as_ref(), result).await
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::camara::testkit::*;

    fn body(json: &str) -> Result<NumberVerificationRequestBody, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }

    #[test]
    fn body_has_exactly_one_of_the_two() {
        assert!(body(r#"{"phoneNumber":"+34629255833"}"#)
            .unwrap()
            .candidate()
            .is_ok());
        let upper = "6DD5D20F257C1F3620662454064E3AA25BA9A6C7A4D1E99E965BBADD3A7E07D6";
        let c = body(&format!(r#"{{"hashedPhoneNumber":"{upper}"}}"#))
            .unwrap()
            .candidate()
            .unwrap();
        assert!(c.matches(&phone("+346661113334")));
        assert!(body("{}").unwrap().candidate().is_err());
        assert!(body(r#"{"additional_property":"foo_value"}"#).is_err());
        assert!(
            body(r#"{"phoneNumber":"+34629255833","hashedPhoneNumber":"ab"}"#)
                .unwrap()
                .candidate()
                .is_err()
        );
        assert!(body(r#"{"hashedPhoneNumber":"xyz"}"#)
            .unwrap()
            .candidate()
            .is_err());
        assert!(body(r#"{"phoneNumber":"629255833"}"#).is_err());
    }

    #[tokio::test]
    async fn verify_and_share_need_network_authentication() {
        let k = Kit::new().await;
        let cx = k.cx();
        let scopes = "number-verification:verify number-verification:device-phone-number:read";
        let nba = k.caller(k.claims3(scopes, MAIN)).await;
        let plain = |n: &str| {
            Ok(NumberVerificationRequestBody {
                phone_number: Some(phone(n)),
                hashed_phone_number: None,
            })
        };
        assert!(
            verify(&cx, &nba, plain(MAIN))
                .await
                .unwrap()
                .device_phone_number_verified
        );
        assert!(
            !verify(&cx, &nba, plain(OTHER))
                .await
                .unwrap()
                .device_phone_number_verified
        );
        let hashed = Ok(NumberVerificationRequestBody {
            phone_number: None,
            hashed_phone_number: Some(phone(MAIN).sha256_hex()),
        });
        assert!(
            verify(&cx, &nba, hashed)
                .await
                .unwrap()
                .device_phone_number_verified
        );
        assert_eq!(
            share(&cx, &nba).await.unwrap().device_phone_number,
            phone(MAIN)
        );

        let mut claims = k.claims3(scopes, MAIN);
        claims.amr = Some(vec!["otp".into()]);
        let otp = k.caller(claims).await;
        assert_eq!(
            share(&cx, &otp).await.unwrap_err(),
            ApiError::NotAuthenticatedByMobileNetwork
        );
        let two = k.caller(k.claims2(scopes)).await;
        assert_eq!(
            verify(&cx, &two, plain(MAIN)).await.unwrap_err(),
            ApiError::NotAuthenticatedByMobileNetwork
        );
        let no_scope = k.caller(k.claims3("sim-swap:check", MAIN)).await;
        assert_eq!(
            share(&cx, &no_scope).await.unwrap_err().code(),
            "PERMISSION_DENIED"
        );
    }
}
