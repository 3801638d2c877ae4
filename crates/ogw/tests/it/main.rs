//! The one integration-test binary: each module drives the real server over HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod camara_consent_info;
mod camara_kit;
mod camara_number_verification;
mod camara_qos_profiles;
mod camara_rules;
mod camara_sim_swap;
mod common;
mod foundation;
mod tokens;
