//! `token_rsa_multibuffer`: whether RS256 tokens are signed in batches with Intel's crypto_mb
//! (`ogw_core::oauth::rsa_batch`), decided once at start.
use std::path::PathBuf;

use anyhow::Context;
use ogw_core::oauth::keys::TokenAlg;
use ogw_core::oauth::rsa_batch::RsaBatcher;
use ogw_rsa_mb::{LoadError, MultiBuffer};
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
            Err(e @ (LoadError::Library(_) | LoadError::Unsupported)) => {
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
