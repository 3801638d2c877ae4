//! The consent question every grant that touches a subscriber's data asks before it
//! issues anything: may this application use this subscriber's data for this purpose?
//! One place, so `/authorize`, `/bc-authorize`, JWT bearer and refresh ask it alike.
use super::error::OAuthResult;
use super::Deps;
use crate::consent::{self, Decision};
use crate::domain::{PhoneNumber, Purpose, ScopeSet};
use crate::store::{Application, Timestamp};

/// `consent::evaluate` for `app`; `context` names the asker in the consent audit record.
pub(crate) async fn decide(
    deps: &Deps<'_>,
    app: &Application,
    msisdn: &PhoneNumber,
    purpose: &Purpose,
    scopes: &ScopeSet,
    context: &str,
    now: Timestamp,
) -> OAuthResult<Decision> {
    let decision = consent::evaluate(
        deps.store,
        &consent::Query {
            tenant: &app.tenant,
            msisdn,
            client_id: &app.client_id,
            purpose,
            scopes: &scopes.to_vec(),
            context,
        },
        now,
    )
    .await?;
    Ok(decision)
}
