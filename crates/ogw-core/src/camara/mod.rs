//! The CAMARA network APIs as domain operations: SIM Swap 2.1.0, Number Verification 2.1.0,
//! QoS Profiles 1.1.0 and Consent Info 0.2.0 (DECISIONS 1). Each operation takes the
//! authenticated [`Caller`], its parsed body and a [`Cx`]; `ogw-http` only extracts and maps.
pub mod caller;
pub mod consent_info;
pub mod error;
pub mod number_verification;
pub mod qos_profiles;
pub mod sim_swap;

#[cfg(test)]
pub(crate) mod testkit;

pub use caller::{authenticate, Caller, Cx, Operation};
pub use error::{ApiError, CallOutcome};
