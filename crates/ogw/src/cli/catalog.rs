//! `ogw capability …`: the tenant's capabilities catalog.
use anyhow::Context;
use clap::{Args, Subcommand};
use ogw_core::domain::CapabilityStatus;
use ogw_core::manage::views::{CapabilityInput, CapabilityPage, PurposeInput};
use ogw_core::manage::{capabilities, tenants};

use super::{enum_arg, fail, output, Common, Env, Output, PageArgs};

#[derive(Args)]
pub struct CapabilityArgs {
    #[command(flatten)]
    pub common: Common,
    /// The tenant.
    #[arg(long, short, global = true)]
    tenant: Option<String>,
    #[command(subcommand)]
    cmd: CapabilityCmd,
}

fn status_arg() -> impl Fn(&str) -> Result<CapabilityStatus, String> + Clone + Send + Sync {
    enum_arg(CapabilityStatus::ALL, CapabilityStatus::as_str)
}

#[derive(Subcommand)]
enum CapabilityCmd {
    /// List the catalog.
    List(PageArgs),
    /// Show an entry.
    Get { id: String },
    /// Create or replace an entry.
    Upsert {
        id: String,
        /// CAMARA API name, e.g. sim-swap.
        #[arg(long)]
        api_name: String,
        /// The API version, e.g. 2.1.0.
        #[arg(long)]
        api_version: String,
        /// e.g. /sim-swap/v2
        #[arg(long)]
        base_path: String,
        /// Technical scope; repeatable, at least one.
        #[arg(long = "scope", required = true)]
        scopes: Vec<String>,
        /// Allowed purpose (dpv:…); repeatable. Its legal basis is the operator's.
        #[arg(long = "purpose")]
        purposes: Vec<String>,
        /// available (default), deprecated or disabled.
        #[arg(long, value_parser = status_arg())]
        status: Option<CapabilityStatus>,
    },
    /// Delete an entry.
    Delete { id: String },
}

pub async fn run(env: &Env, a: CapabilityArgs) -> anyhow::Result<()> {
    let tenant = tenants::parse_id(
        a.tenant
            .as_deref()
            .context("--tenant is required for ogw capability")?,
    )
    .map_err(fail)?;
    let cx = env.cx();
    let out = env.output;
    match a.cmd {
        CapabilityCmd::List(p) => {
            let page: CapabilityPage =
                capabilities::list(&cx, &tenant, &p.request().map_err(fail)?)
                    .await
                    .map_err(fail)?
                    .into();
            output::page(
                out,
                &page,
                &["id", "apiName", "version", "status", "scopes", "purposes"],
            )
        }
        CapabilityCmd::Get { id } => {
            let id = capabilities::parse_id(&id).map_err(fail)?;
            output::one(
                out,
                &capabilities::get(&cx, &tenant, &id).await.map_err(fail)?,
            )
        }
        CapabilityCmd::Upsert {
            id,
            api_name,
            api_version,
            base_path,
            scopes,
            purposes,
            status,
        } => {
            let id = capabilities::parse_id(&id).map_err(fail)?;
            let input = CapabilityInput {
                id: None,
                api_name,
                version: api_version,
                base_path,
                scopes,
                purposes: purposes.into_iter().map(PurposeInput::Name).collect(),
                status,
            };
            let (v, _) = capabilities::put(&cx, &tenant, &id, input, None)
                .await
                .map_err(fail)?;
            output::one(out, &v)
        }
        CapabilityCmd::Delete { id } => {
            let id = capabilities::parse_id(&id).map_err(fail)?;
            capabilities::delete(&cx, &tenant, &id, None)
                .await
                .map_err(fail)?;
            if out == Output::Table {
                println!("deleted capability {id}");
            }
            Ok(())
        }
    }
}
