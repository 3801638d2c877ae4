//! `ogw subscriber …`: subscribers, SIM changes, active IP sessions.
use anyhow::Context;
use clap::{Args, Subcommand};
use ogw_core::manage::consents::parse_phone;
use ogw_core::manage::views::{IpSessionPage, SimChangeInput, SubscriberPage, SubscriberUpsert};
use ogw_core::manage::{subscribers, tenants};

use super::{fail, output, parse_time, Common, Env, PageArgs};

#[derive(Args)]
pub struct SubscriberArgs {
    #[command(flatten)]
    pub common: Common,
    /// The tenant.
    #[arg(long, short, global = true)]
    tenant: Option<String>,
    #[command(subcommand)]
    cmd: SubscriberCmd,
}

#[derive(Subcommand)]
enum SubscriberCmd {
    /// List subscribers by phone number.
    List(PageArgs),
    /// Show a subscriber (with its latest SIM change).
    Get { phone: String },
    /// Create or replace a subscriber.
    Upsert {
        phone: String,
        /// RFC 3339.
        #[arg(long, value_parser = parse_time)]
        sim_activated_at: chrono::DateTime<chrono::Utc>,
        /// [default: the current one, or generated]
        #[arg(long)]
        subscriber_id: Option<String>,
        #[arg(long)]
        imsi: Option<String>,
    },
    /// Record a SIM change (what SIM Swap answers from).
    SimChange {
        phone: String,
        /// RFC 3339 [default: now].
        #[arg(long, value_parser = parse_time)]
        at: Option<chrono::DateTime<chrono::Utc>>,
        /// [default: manual]
        #[arg(long)]
        source: Option<String>,
        /// Idempotency key [default: generated].
        #[arg(long)]
        event_id: Option<String>,
    },
    /// List active IP sessions (network-based authentication recognises these addresses).
    Sessions {
        #[arg(long)]
        phone: Option<String>,
        #[command(flatten)]
        page: PageArgs,
    },
}

pub async fn run(env: &Env, a: SubscriberArgs) -> anyhow::Result<()> {
    let tenant = tenants::parse_id(
        a.tenant
            .as_deref()
            .context("--tenant is required for ogw subscriber")?,
    )
    .map_err(fail)?;
    let cx = env.cx();
    let out = env.output;
    match a.cmd {
        SubscriberCmd::List(p) => {
            let page: SubscriberPage = subscribers::list(&cx, &tenant, &p.request().map_err(fail)?)
                .await
                .map_err(fail)?
                .into();
            output::page(
                out,
                &page,
                &[
                    "phoneNumber",
                    "subscriberId",
                    "simActivatedAt",
                    "latestSimChange",
                ],
            )
        }
        SubscriberCmd::Get { phone } => {
            let msisdn = parse_phone(&phone).map_err(fail)?;
            output::one(
                out,
                &subscribers::get(&cx, &tenant, &msisdn)
                    .await
                    .map_err(fail)?,
            )
        }
        SubscriberCmd::Upsert {
            phone,
            sim_activated_at,
            subscriber_id,
            imsi,
        } => {
            let msisdn = parse_phone(&phone).map_err(fail)?;
            let input = SubscriberUpsert {
                subscriber_id,
                sim_activated_at,
                imsi,
            };
            let (v, _) = subscribers::upsert(&cx, &tenant, &msisdn, input, None)
                .await
                .map_err(fail)?;
            output::one(out, &v)
        }
        SubscriberCmd::SimChange {
            phone,
            at,
            source,
            event_id,
        } => {
            let msisdn = parse_phone(&phone).map_err(fail)?;
            let input = SimChangeInput {
                changed_at: at,
                source,
                event_id,
            };
            let v = subscribers::record_sim_change(&cx, &tenant, &msisdn, input)
                .await
                .map_err(fail)?;
            output::one(out, &v)
        }
        SubscriberCmd::Sessions { phone, page } => {
            let msisdn = phone
                .as_deref()
                .map(parse_phone)
                .transpose()
                .map_err(fail)?;
            let idle = env
                .cfg
                .session_idle_timeout_secs
                .map(chrono::Duration::seconds);
            let req = page.request().map_err(fail)?;
            let page: IpSessionPage =
                subscribers::list_ip_sessions(&cx, &tenant, msisdn.as_ref(), idle, &req)
                    .await
                    .map_err(fail)?
                    .into();
            output::page(
                out,
                &page,
                &["sessionId", "ip", "phoneNumber", "startedAt", "lastSeenAt"],
            )
        }
    }
}
