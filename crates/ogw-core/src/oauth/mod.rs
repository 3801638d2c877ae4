//! The authorization server's protocol rules.
pub mod keys;
pub mod subject;
pub mod tokens;
