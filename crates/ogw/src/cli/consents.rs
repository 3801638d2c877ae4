//! `ogw consent …`: check, grant, deny, revoke, list, history.
use anyhow::Context;
use clap::{Args, Subcommand};
use ogw_core::domain::ConsentStatus;
use ogw_core::manage::consents::{self, parse_phone, parse_purpose, ConsentFilter};
use ogw_core::manage::views::{ConsentCheckRequest, ConsentEventPage, ConsentPage, ConsentWrite};
use ogw_core::manage::{applications, tenants};

use super::{fail, output, parse_time, Common, Env, PageArgs};

#[derive(Args)]
pub struct ConsentArgs {
    #[command(flatten)]
    pub common: Common,
    /// The tenant.
    #[arg(long, short, global = true)]
    tenant: Option<String>,
    #[command(subcommand)]
    cmd: ConsentCmd,
}

/// Which consent: subscriber, application, purpose.
#[derive(Args)]
struct Which {
    /// The subscriber's phone number (E.164, with +).
    #[arg(long)]
    phone: String,
    /// The application's client id.
    #[arg(long)]
    client: String,
    /// The purpose (dpv:…).
    #[arg(long)]
    purpose: String,
}

#[derive(Args)]
struct Answer {
    #[command(flatten)]
    which: Which,
    /// Scope the consent covers; repeatable [default: every scope of the purpose].
    #[arg(long = "scope")]
    scopes: Vec<String>,
    /// Why (kept in the history).
    #[arg(long)]
    reason: Option<String>,
}

#[derive(Subcommand)]
enum ConsentCmd {
    /// Does the subscriber consent? The authorization server's own decision (audited).
    Check {
        #[command(flatten)]
        which: Which,
        /// Scope asked for; repeatable.
        #[arg(long = "scope")]
        scopes: Vec<String>,
    },
    /// Record that the subscriber granted consent.
    Grant {
        #[command(flatten)]
        answer: Answer,
        /// RFC 3339; the consent lapses then.
        #[arg(long, value_parser = parse_time)]
        expires_at: Option<chrono::DateTime<chrono::Utc>>,
    },
    /// Record that the subscriber refused (or objected, for legitimate interest).
    Deny(Answer),
    /// Record that the subscriber withdrew a granted consent.
    Revoke(Answer),
    /// List consents of a subscriber, of an application, or both.
    List {
        #[arg(long)]
        phone: Option<String>,
        #[arg(long)]
        client: Option<String>,
        #[command(flatten)]
        page: PageArgs,
    },
    /// The append-only history of one consent.
    History {
        #[command(flatten)]
        which: Which,
        #[command(flatten)]
        page: PageArgs,
    },
}

fn write(
    answer: Answer,
    status: ConsentStatus,
    expires_at: Option<chrono::DateTime<chrono::Utc>>,
) -> ConsentWrite {
    ConsentWrite {
        phone_number: answer.which.phone,
        client_id: answer.which.client,
        purpose: answer.which.purpose,
        scopes: Some(answer.scopes).filter(|s| !s.is_empty()),
        status,
        expires_at,
        reason: answer.reason,
    }
}

pub async fn run(env: &Env, a: ConsentArgs) -> anyhow::Result<()> {
    let tenant = tenants::parse_id(
        a.tenant
            .as_deref()
            .context("--tenant is required for ogw consent")?,
    )
    .map_err(fail)?;
    let cx = env.cx();
    let out = env.output;
    let record = |w: ConsentWrite| async {
        let (v, _) = consents::write(&cx, &tenant, w).await.map_err(fail)?;
        output::one(out, &v)
    };
    match a.cmd {
        ConsentCmd::Check { which, scopes } => {
            let req = ConsentCheckRequest {
                phone_number: which.phone,
                client_id: which.client,
                purpose: which.purpose,
                scopes,
                scope: None,
            };
            output::one(
                out,
                &consents::check(&cx, &tenant, req).await.map_err(fail)?,
            )
        }
        ConsentCmd::Grant { answer, expires_at } => {
            record(write(answer, ConsentStatus::Granted, expires_at)).await
        }
        ConsentCmd::Deny(answer) => record(write(answer, ConsentStatus::Denied, None)).await,
        ConsentCmd::Revoke(answer) => record(write(answer, ConsentStatus::Revoked, None)).await,
        ConsentCmd::List {
            phone,
            client,
            page,
        } => {
            let filter = ConsentFilter {
                msisdn: phone
                    .as_deref()
                    .map(parse_phone)
                    .transpose()
                    .map_err(fail)?,
                client_id: client
                    .as_deref()
                    .map(applications::parse_client_id)
                    .transpose()
                    .map_err(fail)?,
            };
            let page: ConsentPage =
                consents::list(&cx, &tenant, &filter, &page.request().map_err(fail)?)
                    .await
                    .map_err(fail)?
                    .into();
            output::page(
                out,
                &page,
                &[
                    "phoneNumber",
                    "clientId",
                    "purpose",
                    "status",
                    "updatedAt",
                    "expiresAt",
                ],
            )
        }
        ConsentCmd::History { which, page } => {
            let msisdn = parse_phone(&which.phone).map_err(fail)?;
            let client = applications::parse_client_id(&which.client).map_err(fail)?;
            let purpose = parse_purpose(&which.purpose).map_err(fail)?;
            let req = page.request().map_err(fail)?;
            let page: ConsentEventPage =
                consents::history(&cx, &tenant, &msisdn, &client, &purpose, &req)
                    .await
                    .map_err(fail)?
                    .into();
            output::page(out, &page, &["id", "at", "status", "actor", "reason"])
        }
    }
}
