//! `ogw view …`: the consent page views of a tenant (the `/v1/views` use-cases).
use std::io::Read;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};
use ogw_core::manage::consent_views::{self, ViewInput, ViewPage};
use ogw_core::manage::tenants;

use super::{fail, output, Common, Env, Output, PageArgs};

#[derive(Args)]
pub struct ViewArgs {
    #[command(flatten)]
    pub common: Common,
    /// The tenant.
    #[arg(long, short, global = true)]
    tenant: Option<String>,
    #[command(subcommand)]
    cmd: ViewCmd,
}

#[derive(Subcommand)]
enum ViewCmd {
    /// List the views.
    List(PageArgs),
    /// Show a view.
    Get { id: String },
    /// Create a view from a JSON file (the body of `PUT /v1/views/{id}`); fails if it exists.
    Create {
        id: String,
        /// The definition: `{purpose, capability?, clientId?, defaultLocale, locales, branding?}`;
        /// `-` reads standard input.
        #[arg(long)]
        file: PathBuf,
    },
    /// Replace an existing view with the definition in a JSON file.
    Update {
        id: String,
        /// As for `create`; `-` reads standard input.
        #[arg(long)]
        file: PathBuf,
    },
    /// Delete a view (the page falls back to a less specific one, or the built-in text).
    Delete { id: String },
}

fn read_definition(file: &PathBuf) -> anyhow::Result<ViewInput> {
    let text = if file.as_os_str() == "-" {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s)?;
        s
    } else {
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?
    };
    serde_json::from_str(&text).with_context(|| {
        format!(
            "INVALID_ARGUMENT: {} is not a view definition",
            file.display()
        )
    })
}

pub async fn run(env: &Env, a: ViewArgs) -> anyhow::Result<()> {
    let tenant = tenants::parse_id(
        a.tenant
            .as_deref()
            .context("--tenant is required for ogw view")?,
    )
    .map_err(fail)?;
    let cx = env.cx();
    let out = env.output;
    match a.cmd {
        ViewCmd::List(p) => {
            let page: ViewPage = consent_views::list(&cx, &tenant, &p.request().map_err(fail)?)
                .await
                .map_err(fail)?
                .into();
            output::page(
                out,
                &page,
                &[
                    "id",
                    "purpose",
                    "capability",
                    "clientId",
                    "defaultLocale",
                    "updatedAt",
                ],
            )
        }
        ViewCmd::Get { id } => {
            let id = consent_views::parse_id(&id).map_err(fail)?;
            output::one(
                out,
                &consent_views::get(&cx, &tenant, &id).await.map_err(fail)?,
            )
        }
        ViewCmd::Create { id, file } => {
            let id = consent_views::parse_id(&id).map_err(fail)?;
            let input = read_definition(&file)?;
            let v = consent_views::create(&cx, &tenant, &id, input)
                .await
                .map_err(fail)?;
            output::one(out, &v)
        }
        ViewCmd::Update { id, file } => {
            let id = consent_views::parse_id(&id).map_err(fail)?;
            let input = read_definition(&file)?;
            let v = consent_views::update(&cx, &tenant, &id, input)
                .await
                .map_err(fail)?;
            output::one(out, &v)
        }
        ViewCmd::Delete { id } => {
            let id = consent_views::parse_id(&id).map_err(fail)?;
            consent_views::delete(&cx, &tenant, &id, None)
                .await
                .map_err(fail)?;
            if out == Output::Table {
                println!("deleted view {id}");
            }
            Ok(())
        }
    }
}
