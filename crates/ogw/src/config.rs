//! Typed, layered configuration: built-in defaults, then a TOML file (`--config`), then
//! `OGW_*` environment variables, then command-line flags. See docs/config.md.
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use ogw_core::domain::TenantId;
use ogw_core::oauth::keys::TokenAlg;
use ogw_core::settings::IdentifierPolicy;
use serde::{Deserialize, Serialize};

use crate::signing::RsaMultiBuffer;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address the public HTTP listener binds (OGW_LISTEN).
    pub listen: SocketAddr,
    /// Directory for the SQLite file and the generated server secret (OGW_DATA_DIR).
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…`; default `sqlite://<data_dir>/ogw.db` (OGW_DATABASE_URL).
    pub database_url: Option<String>,
    /// Public issuer URL; default `http://<listen><base_path>` (OGW_ISSUER).
    pub issuer: Option<String>,
    /// Prefix for all public routes, e.g. `/v1` (OGW_BASE_PATH).
    pub base_path: String,
    pub log_format: LogFormat,
    /// tracing filter, e.g. `info` or `ogw=debug,tower_http=info` (RUST_LOG wins when set).
    pub log_level: String,
    /// Key for secret hashes and token subject sealing. Nodes sharing a database must share it.
    /// Default: read from (or generated into) `<data_dir>/server.key` (OGW_SERVER_SECRET).
    pub server_secret: Option<String>,
    /// Seed the demo operator when the store is empty (OGW_DEMO).
    pub demo: bool,
    /// `lenient` (the operator's rule) or `strict` (CAMARA 2.1.0 UNNECESSARY_IDENTIFIER).
    pub identifier_policy: IdentifierPolicy,
    /// Proxies allowed to report the device address in X-Forwarded-For.
    pub trusted_proxies: Vec<IpAddr>,
    pub access_token_ttl_secs: i64,
    /// IP sessions idle longer than this stop authenticating; unset = never.
    pub session_idle_timeout_secs: Option<i64>,
    /// Legal retention window of SIM change history in days; unset = unlimited.
    pub sim_swap_retention_days: Option<i64>,
    /// Header enrichment: the request header in which a trusted proxy names the device's
    /// MSISDN at /authorize, the consent pages and /my (e.g. `X-MSISDN`); unset = off.
    /// Ignored from other peers.
    pub msisdn_header: Option<String>,
    /// Signature algorithm of the tokens we issue: `RS256` (default) or `ES256`. Changing it
    /// rotates the signing key at start; the old key stays published until its tokens expire.
    pub token_alg: TokenAlg,
    /// RS256 signatures in batches with Intel's crypto_mb: `auto`, `off` or the library's path.
    pub token_rsa_multibuffer: RsaMultiBuffer,
    /// RADIUS accounting listener (`[radius]`); absent = off.
    pub radius: Option<RadiusConfig>,
}

/// `[radius]`: accept RADIUS Accounting-Request (RFC 2866) from the packet core.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RadiusConfig {
    /// UDP address to listen on; conventionally port 1813.
    pub listen: SocketAddr,
    /// The NASes (GGSN/PGW/SMF) allowed to send accounting; anything else is dropped.
    pub clients: Vec<RadiusClientConfig>,
    /// Most requests written in one transaction (group commit).
    #[serde(default = "default_radius_max_batch")]
    pub max_batch: usize,
}

fn default_radius_max_batch() -> usize {
    1024
}

/// `[[radius.clients]]`
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RadiusClientConfig {
    /// The NAS's source address.
    pub address: IpAddr,
    /// Shared secret (RFC 2865 §3: at least 16 characters recommended).
    pub secret: String,
    /// The tenant whose subscribers this NAS serves.
    pub tenant: TenantId,
}

impl std::fmt::Debug for RadiusClientConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RadiusClientConfig")
            .field("address", &self.address)
            .field("secret", &"***")
            .field("tenant", &self.tenant)
            .finish()
    }
}

impl RadiusConfig {
    /// Refuses a listener nobody may talk to, empty or repeated client entries.
    pub fn validate(&self) -> anyhow::Result<()> {
        if self.clients.is_empty() {
            anyhow::bail!("radius.clients is empty: every request would be dropped");
        }
        for (i, c) in self.clients.iter().enumerate() {
            if c.secret.is_empty() {
                anyhow::bail!("radius.clients[{i}].secret is empty");
            }
            if self.clients[..i].iter().any(|o| o.address == c.address) {
                anyhow::bail!("radius.clients: address {} appears twice", c.address);
            }
        }
        if self.max_batch == 0 {
            anyhow::bail!("radius.max_batch must be at least 1");
        }
        Ok(())
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("./ogw-data"),
            database_url: None,
            issuer: None,
            base_path: String::new(),
            log_format: LogFormat::Text,
            log_level: "info".into(),
            server_secret: None,
            demo: false,
            identifier_policy: IdentifierPolicy::Lenient,
            trusted_proxies: Vec::new(),
            access_token_ttl_secs: 3600,
            session_idle_timeout_secs: None,
            sim_swap_retention_days: None,
            msisdn_header: None,
            token_alg: TokenAlg::RS256,
            token_rsa_multibuffer: RsaMultiBuffer::Auto,
            radius: None,
        }
    }
}

impl Config {
    /// Defaults ← file ← env ← `overrides` (the flags actually given on the command line).
    pub fn load(
        file: Option<&Path>,
        overrides: Serialized<serde_json::Value>,
    ) -> Result<Self, Box<figment::Error>> {
        let mut fig = Figment::from(Serialized::defaults(Config::default()));
        if let Some(f) = file {
            fig = fig.merge(Toml::file_exact(f));
        }
        // `OGW_TEST_*` are the test suite's (OGW_TEST_DATABASE_URL, OGW_TEST_CRYPTO_MB).
        fig.merge(Env::prefixed("OGW_").filter(|key| !key.starts_with("test_")))
            .merge(overrides)
            .extract()
            .map_err(Box::new)
    }

    /// A config for tests: ephemeral port, the given data dir, demo data.
    pub fn for_test(data_dir: &Path) -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir: data_dir.to_path_buf(),
            demo: true,
            ..Self::default()
        }
    }

    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(u) => u.clone(),
            None => format!("sqlite://{}", self.data_dir.join("ogw.db").display()),
        }
    }

    /// Refuse combinations that cannot work, with a reason.
    pub fn validate(&self) -> anyhow::Result<()> {
        let url = self.database_url();
        if !(url.starts_with("sqlite:")
            || url.starts_with("postgres:")
            || url.starts_with("postgresql:"))
        {
            anyhow::bail!("database_url must start with sqlite:// or postgres:// (got {url:?})");
        }
        if !self.base_path.is_empty()
            && (!self.base_path.starts_with('/') || self.base_path.ends_with('/'))
        {
            anyhow::bail!(
                "base_path must start with '/' and not end with '/' (got {:?})",
                self.base_path
            );
        }
        if self.access_token_ttl_secs < 60 || self.access_token_ttl_secs > 86_400 {
            anyhow::bail!("access_token_ttl_secs must be within 60..=86400");
        }
        if let Some(r) = &self.radius {
            r.validate()?;
        }
        if let Some(h) = &self.msisdn_header {
            if h.is_empty() || !h.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
                anyhow::bail!("msisdn_header must be a header name such as X-MSISDN (got {h:?})");
            }
        }
        if self.session_idle_timeout_secs.is_some_and(|t| t <= 0) {
            anyhow::bail!("session_idle_timeout_secs must be positive");
        }
        Ok(())
    }
}

#[cfg(test)]
// figment's Jail API returns its own (large) error type.
#[allow(clippy::unwrap_used, clippy::result_large_err)]
mod tests {
    use super::*;

    #[test]
    fn file_then_env_then_flags() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "ogw.toml",
                "listen = \"127.0.0.1:9000\"\nbase_path = \"/v1\"\nlog_format = \"json\"",
            )?;
            jail.set_env("OGW_LISTEN", "127.0.0.1:9100");
            let cfg = Config::load(
                Some(Path::new("ogw.toml")),
                Serialized::defaults(serde_json::json!({})),
            )
            .unwrap();
            assert_eq!(cfg.listen.port(), 9100);
            assert_eq!(cfg.base_path, "/v1");
            assert_eq!(cfg.log_format, LogFormat::Json);
            let cfg = Config::load(
                None,
                Serialized::defaults(serde_json::json!({"listen": "127.0.0.1:9200"})),
            )
            .unwrap();
            assert_eq!(cfg.listen.port(), 9200);
            assert!(cfg.database_url().ends_with("ogw.db"));
            Ok(())
        });
    }

    #[test]
    fn radius_section_parses_and_is_validated() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "ogw.toml",
                "msisdn_header = \"X-MSISDN\"\n[radius]\nlisten = \"127.0.0.1:1813\"\n\
                 clients = [{ address = \"10.0.0.1\", secret = \"s3cret-s3cret-s3cret\", tenant = \"demo\" }]\n",
            )?;
            let cfg = Config::load(
                Some(Path::new("ogw.toml")),
                Serialized::defaults(serde_json::json!({})),
            )
            .unwrap();
            cfg.validate().unwrap();
            let r = cfg.radius.clone().unwrap();
            assert_eq!(r.listen.port(), 1813);
            assert_eq!(r.max_batch, 1024);
            assert_eq!(r.clients[0].tenant.as_str(), "demo");
            assert!(!format!("{r:?}").contains("s3cret"));
            let mut bad = cfg.clone();
            bad.radius.as_mut().unwrap().clients.clear();
            assert!(bad.validate().is_err());
            let mut bad = cfg.clone();
            let c = bad.radius.as_ref().unwrap().clients[0].clone();
            bad.radius.as_mut().unwrap().clients.push(c);
            assert!(bad.validate().is_err());
            let mut bad = cfg;
            bad.msisdn_header = Some("X MSISDN".into());
            assert!(bad.validate().is_err());
            Ok(())
        });
    }

    #[test]
    fn unknown_keys_are_refused() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("ogw.toml", "lisen = \"127.0.0.1:9000\"")?;
            assert!(Config::load(
                Some(Path::new("ogw.toml")),
                Serialized::defaults(serde_json::json!({}))
            )
            .is_err());
            Ok(())
        });
    }
}
