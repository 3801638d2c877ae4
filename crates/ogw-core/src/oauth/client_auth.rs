//! Client authentication at `/token`, `/bc-authorize`, `/introspect` and `/revoke`
//! (DECISIONS 5): client_secret_basic, client_secret_post, private_key_jwt (RFC 7523 §3,
//! ICM "Client Authentication") and Vonage's application JWT
//! (`Authorization: Bearer <RS256 JWT {application_id, iat, jti, exp}>`, no kid).
//! Each application declares the methods it may use. Public clients (no method registered)
//! present only their client_id, and only the code grant with PKCE accepts them.
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

use super::error::{Challenge, OAuthError, OAuthResult};
use super::params::Params;
use super::Deps;
use crate::domain::{ClientAuthMethod, ClientId};
use crate::manage::gate::active_client;
use crate::store::{Application, Timestamp};

/// RFC 7523 §2.2.
pub const ASSERTION_TYPE_JWT_BEARER: &str =
    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// ICM: client assertions live at most 300 s.
pub const MAX_ASSERTION_LIFETIME_SECS: i64 = 300;
/// Vonage's application JWTs live at most 15 minutes.
pub const MAX_APP_JWT_LIFETIME_SECS: i64 = 900;
/// Tolerated clock skew between the client and us.
const SKEW_SECS: i64 = 30;
/// The parameters client authentication reads from a body.
pub const PARAMS: &[&str] = &[
    "client_id",
    "client_secret",
    "client_assertion",
    "client_assertion_type",
];
const ASYMMETRIC: &[Algorithm] = &[
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];
/// The same list as advertised in discovery.
pub const ASYMMETRIC_ALG_NAMES: &[&str] = &[
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA",
];
/// A well-formed hash that matches nothing, verified against when the client is unknown
/// so that unknown and known clients take the same time.
const DUMMY_HASH: &str = "v1$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

/// What the request presented, before any check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credentials {
    Basic {
        client_id: String,
        secret: String,
    },
    Post {
        client_id: String,
        secret: String,
    },
    PrivateKeyJwt {
        client_id: Option<String>,
        assertion: String,
    },
    AppJwt {
        token: String,
    },
    /// Only a client_id (a public client).
    Public {
        client_id: String,
    },
    Nothing,
}

impl Credentials {
    /// Reads the `Authorization` header value (if any) and the body parameters.
    /// RFC 6749 §2.3: one method per request; a body `client_id` equal to the Basic user is tolerated.
    pub fn read(authorization: Option<&str>, params: &Params) -> OAuthResult<Self> {
        let body_id = params.get("client_id");
        let body_secret = params.get("client_secret");
        let assertion = params.get("client_assertion");
        if let Some(header) = authorization {
            let (scheme, value) = header.trim().split_once(' ').unwrap_or((header, ""));
            let value = value.trim();
            if scheme.eq_ignore_ascii_case("basic") {
                let (id, secret) = decode_basic(value).ok_or_else(|| {
                    OAuthError::invalid_client("malformed Basic credentials", Challenge::Basic)
                })?;
                if body_id.is_some_and(|b| b != id) || body_secret.is_some() || assertion.is_some()
                {
                    return Err(OAuthError::invalid_request(
                        "use exactly one client authentication method",
                    ));
                }
                return Ok(Self::Basic {
                    client_id: id,
                    secret,
                });
            }
            if scheme.eq_ignore_ascii_case("bearer") && !value.is_empty() {
                if body_secret.is_some() || assertion.is_some() {
                    return Err(OAuthError::invalid_request(
                        "use exactly one client authentication method",
                    ));
                }
                return Ok(Self::AppJwt {
                    token: value.to_owned(),
                });
            }
            return Err(OAuthError::invalid_client(
                format!("unsupported Authorization scheme '{scheme}'"),
                Challenge::Basic,
            ));
        }
        if let Some(assertion) = assertion {
            if body_secret.is_some() {
                return Err(OAuthError::invalid_request(
                    "use exactly one client authentication method",
                ));
            }
            if params.get("client_assertion_type") != Some(ASSERTION_TYPE_JWT_BEARER) {
                return Err(OAuthError::invalid_request(format!(
                    "client_assertion_type must be {ASSERTION_TYPE_JWT_BEARER}"
                )));
            }
            return Ok(Self::PrivateKeyJwt {
                client_id: body_id.map(str::to_owned),
                assertion: assertion.to_owned(),
            });
        }
        Ok(match (body_id, body_secret) {
            (Some(id), Some(secret)) => Self::Post {
                client_id: id.to_owned(),
                secret: secret.to_owned(),
            },
            (Some(id), None) => Self::Public {
                client_id: id.to_owned(),
            },
            (None, Some(_)) => {
                return Err(OAuthError::invalid_request(
                    "client_secret without client_id",
                ))
            }
            (None, None) => Self::Nothing,
        })
    }

    fn challenge(&self) -> Challenge {
        match self {
            Self::AppJwt { .. } => Challenge::Bearer,
            _ => Challenge::Basic,
        }
    }
}

/// RFC 6749 §2.3.1: `base64(urlencode(id) ":" urlencode(secret))`.
fn decode_basic(v: &str) -> Option<(String, String)> {
    let raw = STANDARD.decode(v).ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((form_decode(id)?, form_decode(secret)?))
}

/// `application/x-www-form-urlencoded` decoding of one component.
fn form_decode(s: &str) -> Option<String> {
    let mut out = Vec::with_capacity(s.len());
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let hi = (bytes.next()? as char).to_digit(16)?;
                let lo = (bytes.next()? as char).to_digit(16)?;
                out.push(u8::try_from(hi * 16 + lo).ok()?);
            }
            b => out.push(b),
        }
    }
    String::from_utf8(out).ok()
}

/// An authenticated client; everything after this is scoped to `app.tenant`.
#[derive(Debug, Clone)]
pub struct AuthenticatedClient {
    pub app: std::sync::Arc<Application>,
    /// None for a public client.
    pub method: Option<ClientAuthMethod>,
}

impl AuthenticatedClient {
    pub fn is_public(&self) -> bool {
        self.method.is_none()
    }
}

/// Authenticates the client. `audiences` are the URLs a client assertion may be addressed
/// to (the endpoint called, the token endpoint, the issuer).
#[tracing::instrument(skip_all, fields(client_id))]
pub async fn authenticate(
    deps: &Deps<'_>,
    creds: &Credentials,
    audiences: &[String],
    now: Timestamp,
) -> OAuthResult<AuthenticatedClient> {
    let challenge = creds.challenge();
    let fail = |reason: &str| OAuthError::invalid_client(reason, challenge);
    let claimed = match creds {
        Credentials::Nothing => return Err(fail("client authentication is required")),
        Credentials::Basic { client_id, .. }
        | Credentials::Post { client_id, .. }
        | Credentials::Public { client_id } => client_id.clone(),
        Credentials::PrivateKeyJwt {
            client_id,
            assertion,
        } => match client_id {
            Some(id) => id.clone(),
            None => unverified_claim(assertion, "sub")
                .or_else(|| unverified_claim(assertion, "iss"))
                .ok_or_else(|| fail("client_assertion names no client"))?,
        },
        Credentials::AppJwt { token } => unverified_claim(token, "application_id")
            .ok_or_else(|| fail("application JWT has no application_id"))?,
    };
    tracing::Span::current().record("client_id", claimed.as_str());
    let app = match ClientId::parse(&claimed) {
        Ok(id) => deps.store.find_application(&id).await?,
        Err(_) => None,
    };
    let Some(app) = app else {
        if let Credentials::Basic { secret, .. } | Credentials::Post { secret, .. } = creds {
            let _ = deps.pepper.verify(secret, DUMMY_HASH);
        }
        return Err(fail("unknown client"));
    };
    // The management plane's switch-off rules (`manage::gate`): a suspended tenant's or a
    // disabled application's credentials stop authenticating at once (invalid_client).
    if let Err(refusal) = active_client(deps.store, &app.tenant, &app.client_id).await? {
        return Err(fail(refusal.reason()));
    }
    let method = match creds {
        Credentials::Basic { .. } => Some(ClientAuthMethod::ClientSecretBasic),
        Credentials::Post { .. } => Some(ClientAuthMethod::ClientSecretPost),
        Credentials::PrivateKeyJwt { .. } => Some(ClientAuthMethod::PrivateKeyJwt),
        Credentials::AppJwt { .. } => Some(ClientAuthMethod::AppJwt),
        Credentials::Public { .. } | Credentials::Nothing => None,
    };
    match method {
        Some(m) if !app.auth_methods.contains(&m) => {
            return Err(fail(&format!("{m} is not allowed for this client")));
        }
        None if !app.auth_methods.is_empty() => {
            return Err(fail("client authentication is required"));
        }
        _ => {}
    }
    match creds {
        Credentials::Basic { secret, .. } | Credentials::Post { secret, .. } => {
            let stored = app.secret_hash.as_deref().unwrap_or(DUMMY_HASH);
            if !deps.pepper.verify(secret, stored) {
                return Err(fail("client authentication failed"));
            }
        }
        Credentials::PrivateKeyJwt { assertion, .. } => {
            verify_client_assertion(deps, &app, assertion, audiences, now).await?;
        }
        Credentials::AppJwt { token } => verify_app_jwt(deps, &app, token, now).await?,
        Credentials::Public { .. } | Credentials::Nothing => {}
    }
    Ok(AuthenticatedClient { app, method })
}

/// A claim read before the signature is checked, only to find whose key checks it.
fn unverified_claim(jwt: &str, name: &str) -> Option<String> {
    let payload = jwt.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    let v: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    v.get(name)?.as_str().map(str::to_owned)
}

#[derive(Debug, Deserialize)]
struct AssertionClaims {
    iss: Option<String>,
    sub: Option<String>,
    #[serde(default)]
    aud: serde_json::Value,
    exp: Option<i64>,
    iat: Option<i64>,
    nbf: Option<i64>,
    jti: Option<String>,
}

#[derive(Debug, Deserialize)]
struct AppJwtClaims {
    application_id: Option<String>,
    exp: Option<i64>,
    iat: Option<i64>,
    nbf: Option<i64>,
    jti: Option<String>,
}

/// RFC 7523 §3 and ICM: iss = sub = client_id, aud names us, exp within 300 s of receipt and
/// of iat, jti used once (`GrantStore::use_jti_once`).
async fn verify_client_assertion(
    deps: &Deps<'_>,
    app: &Application,
    assertion: &str,
    audiences: &[String],
    now: Timestamp,
) -> OAuthResult<()> {
    let fail =
        |r: &str| OAuthError::invalid_client(format!("client_assertion: {r}"), Challenge::Basic);
    let c: AssertionClaims =
        verify_signed_by_client(app, assertion, false).map_err(|r| fail(&r))?;
    let id = app.client_id.as_str();
    if c.iss.as_deref() != Some(id) || c.sub.as_deref() != Some(id) {
        return Err(fail("iss and sub must both be the client_id"));
    }
    let aud_ok = match &c.aud {
        serde_json::Value::String(a) => audiences.iter().any(|x| x == a),
        serde_json::Value::Array(v) => v
            .iter()
            .filter_map(|a| a.as_str())
            .any(|a| audiences.iter().any(|x| x == a)),
        _ => false,
    };
    if !aud_ok {
        return Err(fail("aud must be this endpoint's URL or the issuer"));
    }
    let exp =
        check_times(c.exp, c.iat, c.nbf, MAX_ASSERTION_LIFETIME_SECS, now).map_err(|r| fail(&r))?;
    let jti = c
        .jti
        .filter(|j| !j.is_empty())
        .ok_or_else(|| fail("jti is required"))?;
    let first = deps
        .store
        .use_jti_once(&app.tenant, &format!("client_assertion:{id}"), &jti, exp)
        .await?;
    if !first {
        return Err(fail("jti was already used"));
    }
    Ok(())
}

/// Vonage: RS256, no kid, `{application_id, iat, jti, exp}`, at most 15 minutes, jti once.
async fn verify_app_jwt(
    deps: &Deps<'_>,
    app: &Application,
    token: &str,
    now: Timestamp,
) -> OAuthResult<()> {
    let fail =
        |r: &str| OAuthError::invalid_client(format!("application JWT: {r}"), Challenge::Bearer);
    let c: AppJwtClaims = verify_signed_by_client(app, token, true).map_err(|r| fail(&r))?;
    if c.application_id.as_deref() != Some(app.client_id.as_str()) {
        return Err(fail("application_id does not match"));
    }
    if c.iat.is_none() {
        return Err(fail("iat is required"));
    }
    let exp =
        check_times(c.exp, c.iat, c.nbf, MAX_APP_JWT_LIFETIME_SECS, now).map_err(|r| fail(&r))?;
    let jti = c
        .jti
        .filter(|j| !j.is_empty())
        .ok_or_else(|| fail("jti is required"))?;
    let first = deps
        .store
        .use_jti_once(
            &app.tenant,
            &format!("app_jwt:{}", app.client_id),
            &jti,
            exp,
        )
        .await?;
    if !first {
        return Err(fail("jti was already used"));
    }
    Ok(())
}

/// exp present and in the future, at most `max` after receipt and after iat; iat and nbf
/// not in the future (with skew). Returns exp.
pub(crate) fn check_times(
    exp: Option<i64>,
    iat: Option<i64>,
    nbf: Option<i64>,
    max: i64,
    now: Timestamp,
) -> Result<Timestamp, String> {
    let now_s = now.timestamp();
    let exp = exp.ok_or("exp is required")?;
    if exp <= now_s {
        return Err("expired".into());
    }
    if exp > now_s + max + SKEW_SECS {
        return Err(format!("exp is more than {max} s ahead"));
    }
    if let Some(iat) = iat {
        if iat > now_s + SKEW_SECS {
            return Err("iat is in the future".into());
        }
        if exp - iat > max {
            return Err(format!("lifetime exceeds {max} s"));
        }
    }
    if nbf.is_some_and(|n| n > now_s + SKEW_SECS) {
        return Err("not valid yet (nbf)".into());
    }
    Timestamp::from_timestamp(exp, 0).ok_or_else(|| "exp out of range".into())
}

/// Verifies a JWT with the application's registered keys: its JWKS (by kid when the header
/// has one) or its PEM public key. Only asymmetric algorithms; `rs256_only` for the app JWT.
pub(crate) fn verify_signed_by_client<T: serde::de::DeserializeOwned>(
    app: &Application,
    jwt: &str,
    rs256_only: bool,
) -> Result<T, String> {
    let header = jsonwebtoken::decode_header(jwt).map_err(|_| "malformed JWT".to_owned())?;
    let alg_ok = if rs256_only {
        header.alg == Algorithm::RS256
    } else {
        ASYMMETRIC.contains(&header.alg)
    };
    if !alg_ok {
        return Err(format!("algorithm {:?} is not accepted", header.alg));
    }
    let keys = client_keys(app, header.kid.as_deref());
    if keys.is_empty() {
        return Err("the application has no registered key for this JWT".into());
    }
    let mut v = Validation::new(header.alg);
    v.validate_exp = false;
    v.validate_aud = false;
    v.required_spec_claims.clear();
    for key in keys {
        if let Ok(data) = jsonwebtoken::decode::<T>(jwt, &key, &v) {
            return Ok(data.claims);
        }
    }
    Err("signature does not verify with the application's keys".into())
}

fn client_keys(app: &Application, kid: Option<&str>) -> Vec<DecodingKey> {
    let mut keys = Vec::new();
    if let Some(set) = app
        .jwks
        .as_ref()
        .and_then(|j| serde_json::from_value::<JwkSet>(j.clone()).ok())
    {
        keys.extend(
            set.keys
                .iter()
                .filter(|k| {
                    kid.is_none() || k.common.key_id.is_none() || k.common.key_id.as_deref() == kid
                })
                .filter_map(|k| DecodingKey::from_jwk(k).ok()),
        );
    }
    if let Some(pem) = &app.public_key_pem {
        let pem = pem.as_bytes();
        if let Ok(k) = DecodingKey::from_rsa_pem(pem)
            .or_else(|_| DecodingKey::from_ec_pem(pem))
            .or_else(|_| DecodingKey::from_ed_pem(pem))
        {
            keys.push(k);
        }
    }
    keys
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn p(pairs: &[(&str, &str)]) -> Params {
        Params::new(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    #[test]
    fn reads_each_method() {
        let basic = format!("Basic {}", STANDARD.encode("demo-client:s%3Acret"));
        assert_eq!(
            Credentials::read(Some(&basic), &p(&[])).unwrap(),
            Credentials::Basic {
                client_id: "demo-client".into(),
                secret: "s:cret".into()
            }
        );
        // Body client_id equal to the Basic user is tolerated; a body secret is not.
        assert!(Credentials::read(Some(&basic), &p(&[("client_id", "demo-client")])).is_ok());
        assert!(Credentials::read(Some(&basic), &p(&[("client_secret", "x")])).is_err());
        assert_eq!(
            Credentials::read(None, &p(&[("client_id", "a"), ("client_secret", "b")])).unwrap(),
            Credentials::Post {
                client_id: "a".into(),
                secret: "b".into()
            }
        );
        assert_eq!(
            Credentials::read(Some("bearer abc.def.ghi"), &p(&[])).unwrap(),
            Credentials::AppJwt {
                token: "abc.def.ghi".into()
            }
        );
        assert!(matches!(
            Credentials::read(
                None,
                &p(&[
                    ("client_assertion", "x.y.z"),
                    ("client_assertion_type", ASSERTION_TYPE_JWT_BEARER)
                ])
            )
            .unwrap(),
            Credentials::PrivateKeyJwt { .. }
        ));
        assert!(Credentials::read(None, &p(&[("client_assertion", "x.y.z")])).is_err());
        assert_eq!(
            Credentials::read(None, &p(&[("client_id", "pub")])).unwrap(),
            Credentials::Public {
                client_id: "pub".into()
            }
        );
        assert_eq!(
            Credentials::read(None, &p(&[])).unwrap(),
            Credentials::Nothing
        );
        assert!(Credentials::read(Some("Digest x"), &p(&[])).is_err());
    }

    #[test]
    fn assertion_times() {
        let now = Timestamp::from_timestamp(1_700_000_000, 0).unwrap();
        let t = now.timestamp();
        assert!(check_times(Some(t + 60), Some(t), None, 300, now).is_ok());
        assert!(check_times(None, Some(t), None, 300, now).is_err());
        assert!(check_times(Some(t - 1), Some(t - 60), None, 300, now).is_err());
        assert!(check_times(Some(t + 3600), None, None, 300, now).is_err());
        assert!(check_times(Some(t + 200), Some(t - 200), None, 300, now).is_err());
        assert!(check_times(Some(t + 200), Some(t + 120), None, 300, now).is_err());
        assert!(check_times(Some(t + 200), Some(t), Some(t + 100), 300, now).is_err());
    }
}
