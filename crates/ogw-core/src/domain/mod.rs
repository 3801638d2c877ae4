//! Domain types, parsed once at the edge.
mod ids;
mod kinds;
mod phone;
mod purpose;
mod scope;

pub use ids::{CapabilityId, ClientId, InvalidId, SubscriberId, TenantId};
pub use kinds::{
    AppStatus, CapabilityStatus, CibaStatus, ClientAuthMethod, ConsentStatus, GrantType,
    LegalBasis, TenantStatus,
};
pub use phone::{InvalidPhoneNumber, PhoneNumber};
pub use purpose::{InvalidPurpose, Purpose};
pub use scope::{InvalidScope, Scope, ScopeSet};
