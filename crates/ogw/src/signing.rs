//! `token_rsa_multibuffer`: whether RS256 tokens are signed in batches with Intel's crypto_mb
//! (`ogw_core::oauth::rsa_batch`), decided once at start.
use std::path::PathBuf;

use anyhow::Context;
use ogw_core::oauth::keys::TokenAlg;
use ogw_core::oauth::rsa_batch::RsaBatcher;
use ogw_rsa_mb::MultiBuffer;
use serde::{Deserialize, Serialize};

/// `auto` (default): batch when `libcrypto_mb.so` loads and the CPU has AVX-512 IFMA, else
/// sign one by one; `off`: one by one; an absolute path: that library, and refuse to start
/// without it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum RsaMultiBuffer {
    #[default]
    Auto,
    Off,
    Library(PathBuf),
}

impl TryFrom<String> for RsaMultiBuffer {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        match s.as_str() {
            "auto" => Ok(Self::Auto),
            "off" => Ok(Self::Off),
            p if p.starts_with('/') => Ok(Self::Library(PathBuf::from(p))),
            _ => Err(format!(
                "token_rsa_multibuffer: expected auto, off or the absolute path of libcrypto_mb.so, got {s:?}"
            )),
        }
    }
}

impl From<RsaMultiBuffer> for String {
    fn from(m: RsaMultiBuffer) -> String {
        match m {
            RsaMultiBuffer::Auto => "auto".into(),
            RsaMultiBuffer::Off => "off".into(),
            RsaMultiBuffer::Library(p) => p.display().to_string(),
        }
    }
}

/// The batcher `choice` asks for; `None` to sign one by one.
pub fn rsa_batcher(choice: &RsaMultiBuffer, alg: TokenAlg) -> anyhow::Result<Option<RsaBatcher>> {
    if alg != TokenAlg::RS256 {
        return Ok(None);
    }
    let mb = match choice {
        RsaMultiBuffer::Off => return Ok(None),
        RsaMultiBuffer::Auto => match MultiBuffer::load() {
            Ok(mb) => mb,
            Err(e) => {
                tracing::info!(reason = %e, "RS256 tokens signed one by one (AWS-LC)");
                return Ok(None);
            }
        },
        RsaMultiBuffer::Library(path) => MultiBuffer::load_from(path)
            .with_context(|| format!("token_rsa_multibuffer = {}", path.display()))?,
    };
    tracing::info!("RS256 tokens signed up to 8 at a time under load (crypto_mb, AVX-512 IFMA)");
    Ok(Some(RsaBatcher::new(mb)))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn the_setting_is_auto_off_or_an_absolute_path() {
        let parse = |s: &str| RsaMultiBuffer::try_from(s.to_owned());
        assert_eq!(parse("auto"), Ok(RsaMultiBuffer::Auto));
        assert_eq!(parse("off"), Ok(RsaMultiBuffer::Off));
        assert_eq!(
            parse("/usr/lib/libcrypto_mb.so.11"),
            Ok(RsaMultiBuffer::Library(
                "/usr/lib/libcrypto_mb.so.11".into()
            ))
        );
        assert!(parse("libcrypto_mb.so")
            .unwrap_err()
            .contains("absolute path"));
        assert!(parse("on").is_err());
        assert_eq!(String::from(RsaMultiBuffer::Off), "off");
    }

    #[test]
    fn off_or_es256_sign_one_by_one_and_a_missing_library_asked_for_stops_the_start() {
        assert!(rsa_batcher(&RsaMultiBuffer::Off, TokenAlg::RS256)
            .unwrap()
            .is_none());
        assert!(rsa_batcher(&RsaMultiBuffer::Auto, TokenAlg::ES256)
            .unwrap()
            .is_none());
        let missing = RsaMultiBuffer::Library("/nonexistent/libcrypto_mb.so.11".into());
        let Err(err) = rsa_batcher(&missing, TokenAlg::RS256) else {
            panic!("started without the library it was told to use");
        };
        assert!(
            format!("{err:#}").contains("/nonexistent/libcrypto_mb.so.11"),
            "{err:#}"
        );
    }

    #[test]
    fn auto_batches_where_the_library_loads() {
        let loads = ogw_rsa_mb::testing::library().is_some();
        let batcher = rsa_batcher(&RsaMultiBuffer::Auto, TokenAlg::RS256).unwrap();
        assert_eq!(batcher.is_some(), loads);
    }
}
