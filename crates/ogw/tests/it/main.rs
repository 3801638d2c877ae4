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
mod manage_apps;
mod manage_audit;
mod manage_auth;
mod manage_catalog;
mod manage_cli;
mod manage_consents;
mod manage_kit;
mod manage_openapi;
mod manage_subscribers;
mod manage_tenants;
mod manage_views;
mod network;
mod oauth;
mod tokens;
