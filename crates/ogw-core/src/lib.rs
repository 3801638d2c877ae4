//! ogw-core: the domain and protocol rules of the operator gateway.
//! No HTTP, no SQL: time and randomness are injected, storage is behind `store` traits.
pub mod camara;
pub mod clock;
pub mod consent;
pub mod domain;
pub mod manage;
pub mod network;
pub mod oauth;
pub mod secret;
pub mod settings;
pub mod store;
