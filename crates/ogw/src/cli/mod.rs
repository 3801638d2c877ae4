//! The management CLI: `ogw admin|tenant|app|capability|consent|subscriber|view …`.
//!
//! It works on the store directly (the same database the server uses, found through the
//! same configuration), running the very use-cases the `/v1` API runs, as the local operator
//! (`cli:<user>` in the audit trail, every right). So it works with the server stopped, and
//! is how the first management credential is made (`ogw admin bootstrap`). Output is a
//! table (default) or, with `--output json`, the API's JSON representation.
mod apps;
mod catalog;
mod consents;
mod output;
mod subscribers;
mod tenants;
mod views;

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, Subcommand};
use ogw_core::manage::page::PageRequest;
use ogw_core::manage::{Actor, Ctx, ManageError};
use ogw_core::secret::Pepper;
use ogw_core::store::Store;

use crate::Config;
pub use output::Output;

/// The management subcommands, flattened into `ogw`'s command list.
#[derive(Subcommand)]
pub enum ManageCommand {
    /// Operator administration: `ogw admin bootstrap` creates the first management client.
    Admin(AdminArgs),
    /// Tenants (operator brands or business units).
    Tenant(tenants::TenantArgs),
    /// Applications (API consumers) of a tenant.
    App(apps::AppArgs),
    /// The capabilities catalog of a tenant.
    Capability(catalog::CapabilityArgs),
    /// Consents: check (the authorization server's own decision), grant, deny, revoke, list, history.
    Consent(consents::ConsentArgs),
    /// Subscribers and network facts (SIM changes, active IP sessions).
    Subscriber(subscribers::SubscriberArgs),
    /// Consent page views: texts per locale and branding per purpose, capability and app.
    View(views::ViewArgs),
}

/// Where the store is and how to print; accepted after any management subcommand.
#[derive(Args, Debug, Clone)]
pub struct Common {
    /// Directory of the SQLite database and server secret [default: ./ogw-data].
    #[arg(long, global = true)]
    pub data_dir: Option<PathBuf>,
    /// sqlite://FILE or postgres://USER@HOST/DB [default: sqlite://<data-dir>/ogw.db].
    #[arg(long, global = true)]
    pub database_url: Option<String>,
    /// table (default) or json (the API's representation).
    #[arg(long, short, global = true, value_enum, default_value_t = Output::Table)]
    pub output: Output,
}

#[derive(Args)]
pub struct AdminArgs {
    #[command(flatten)]
    common: Common,
    #[command(subcommand)]
    cmd: AdminCmd,
}

#[derive(Subcommand)]
enum AdminCmd {
    /// Create the reserved `system` tenant (if missing) and a management client with every
    /// management scope. Prints its client id and secret once; only a hash is stored.
    Bootstrap {
        /// Client id for the new administrator [default: admin-<random>].
        #[arg(long)]
        client_id: Option<String>,
    },
}

/// Pagination flags of list commands.
#[derive(Args, Debug, Clone, Default)]
pub struct PageArgs {
    /// Page size, 1..=500 [default: 50].
    #[arg(long)]
    limit: Option<u32>,
    /// `nextCursor` printed by the previous page.
    #[arg(long)]
    cursor: Option<String>,
}

impl PageArgs {
    fn request(&self) -> Result<PageRequest, ManageError> {
        PageRequest::parse(self.limit, self.cursor.as_deref())
    }
}

impl ManageCommand {
    fn common(&self) -> &Common {
        match self {
            ManageCommand::Admin(a) => &a.common,
            ManageCommand::Tenant(a) => &a.common,
            ManageCommand::App(a) => &a.common,
            ManageCommand::Capability(a) => &a.common,
            ManageCommand::Consent(a) => &a.common,
            ManageCommand::Subscriber(a) => &a.common,
            ManageCommand::View(a) => &a.common,
        }
    }

    /// The configuration keys these flags override.
    pub fn config_overrides(&self) -> serde_json::Map<String, serde_json::Value> {
        let c = self.common();
        let mut o = serde_json::Map::new();
        if let Some(d) = &c.data_dir {
            o.insert("data_dir".into(), d.display().to_string().into());
        }
        if let Some(u) = &c.database_url {
            o.insert("database_url".into(), u.clone().into());
        }
        o
    }
}

/// What a command needs: the store, the pepper, who acts, the output format, the config.
pub(crate) struct Env {
    pub store: Arc<dyn Store>,
    pub pepper: Pepper,
    pub actor: Actor,
    pub output: Output,
    pub cfg: Config,
}

impl Env {
    pub fn cx(&self) -> Ctx<'_> {
        Ctx::new(
            self.store.as_ref(),
            &self.actor,
            chrono::Utc::now(),
            &self.pepper,
        )
    }
}

/// The local operator's name for the audit trail.
fn local_user() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "operator".into())
}

/// A management error as the CLI reports it: the API's code and message.
pub(crate) fn fail(e: ManageError) -> anyhow::Error {
    match e {
        ManageError::Store(s) => anyhow::anyhow!("INTERNAL: storage: {s}"),
        other => anyhow::anyhow!("{}: {other}", other.code()),
    }
}

/// Runs a management command against the configured store.
pub async fn run(cfg: &Config, cmd: ManageCommand) -> anyhow::Result<()> {
    let store = crate::open_store(cfg).await?;
    let pepper = Pepper::new(crate::server_secret(cfg).context("reading the server secret")?);
    let env = Env {
        store,
        pepper,
        actor: Actor::Local { name: local_user() },
        output: cmd.common().output,
        cfg: cfg.clone(),
    };
    match cmd {
        ManageCommand::Admin(a) => match a.cmd {
            AdminCmd::Bootstrap { client_id } => tenants::bootstrap(&env, client_id).await,
        },
        ManageCommand::Tenant(a) => tenants::run(&env, a.cmd).await,
        ManageCommand::App(a) => apps::run(&env, a).await,
        ManageCommand::Capability(a) => catalog::run(&env, a).await,
        ManageCommand::Consent(a) => consents::run(&env, a).await,
        ManageCommand::Subscriber(a) => subscribers::run(&env, a).await,
        ManageCommand::View(a) => views::run(&env, a).await,
    }
}

/// RFC 3339 timestamps on the command line.
pub(crate) fn parse_time(s: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&chrono::Utc))
        .map_err(|e| format!("expected an RFC 3339 timestamp such as 2024-01-31T12:00:00Z ({e})"))
}

/// Values of the domain's text enums on the command line.
pub(crate) fn enum_arg<T: Copy + Send + Sync + 'static>(
    all: &'static [T],
    as_str: fn(T) -> &'static str,
) -> impl Fn(&str) -> Result<T, String> + Clone + Send + Sync + 'static {
    move |s: &str| {
        all.iter()
            .copied()
            .find(|v| as_str(*v) == s)
            .ok_or_else(|| {
                let names: Vec<_> = all.iter().map(|v| as_str(*v)).collect();
                format!("expected one of: {}", names.join(", "))
            })
    }
}

#[cfg(test)]
mod tests {
    use clap::Subcommand;

    /// clap's own consistency checks, with the flags `ogw` adds (`--version` propagated).
    #[test]
    fn command_tree_is_consistent() {
        let cmd = clap::Command::new("ogw")
            .version("0")
            .propagate_version(true)
            .subcommand_required(true);
        super::ManageCommand::augment_subcommands(cmd).debug_assert();
    }
}
