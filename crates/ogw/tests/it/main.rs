//! The one integration-test binary: each module drives the real server over HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod foundation;
mod network;
