//! Small closed vocabularies stored as text and spoken on the wire.
use serde::{Deserialize, Serialize};

macro_rules! text_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vdoc])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($text => Some($name::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

text_enum!(
    /// OAuth client authentication methods an application may be allowed.
    ClientAuthMethod {
        ClientSecretBasic = "client_secret_basic",
        ClientSecretPost = "client_secret_post",
        PrivateKeyJwt = "private_key_jwt",
        /// Vonage SDK: `Authorization: Bearer <RS256 JWT {application_id, iat, jti, exp}>`.
        AppJwt = "app_jwt",
    }
);

text_enum!(
    GrantType {
        ClientCredentials = "client_credentials",
        AuthorizationCode = "authorization_code",
        Ciba = "urn:openid:params:grant-type:ciba",
        JwtBearer = "urn:ietf:params:oauth:grant-type:jwt-bearer",
        RefreshToken = "refresh_token",
    }
);

text_enum!(TenantStatus { Active = "active", Suspended = "suspended" });
text_enum!(AppStatus { Active = "active", Disabled = "disabled" });
text_enum!(CapabilityStatus { Available = "available", Deprecated = "deprecated", Disabled = "disabled" });

text_enum!(
    /// The state of a (subscriber, application, purpose) consent record.
    ConsentStatus {
        Granted = "granted",
        Denied = "denied",
        Revoked = "revoked",
        /// Capture was asked for but the subscriber has not answered yet.
        Requested = "requested",
    }
);

text_enum!(
    /// Legal basis of a purpose (GDPR art. 6).
    LegalBasis { Consent = "consent", LegitimateInterest = "legitimate_interest", Contract = "contract" }
);

text_enum!(CibaStatus { Pending = "pending", Approved = "approved", Denied = "denied" });
