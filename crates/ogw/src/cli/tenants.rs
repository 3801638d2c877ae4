//! `ogw tenant …` and `ogw admin bootstrap`.
use clap::{Args, Subcommand};
use ogw_core::domain::{ClientAuthMethod, GrantType, TenantStatus};
use ogw_core::manage::views::{ApplicationCreate, TenantCreate, TenantPage, TenantPatch};
use ogw_core::manage::{applications, scopes, tenants, SYSTEM_TENANT};
use serde::Serialize;

use super::{enum_arg, fail, output, Common, Env, PageArgs};

#[derive(Args)]
pub struct TenantArgs {
    #[command(flatten)]
    pub common: Common,
    #[command(subcommand)]
    pub cmd: TenantCmd,
}

fn status_arg() -> impl Fn(&str) -> Result<TenantStatus, String> + Clone + Send + Sync {
    enum_arg(TenantStatus::ALL, TenantStatus::as_str)
}

#[derive(Subcommand)]
pub enum TenantCmd {
    /// Create a tenant.
    Create {
        id: String,
        #[arg(long)]
        name: String,
        /// active (default) or suspended.
        #[arg(long, value_parser = status_arg())]
        status: Option<TenantStatus>,
    },
    /// List tenants.
    List(PageArgs),
    /// Show a tenant.
    Get { id: String },
    /// Rename, suspend or reactivate a tenant.
    Update {
        id: String,
        #[arg(long)]
        name: Option<String>,
        /// active or suspended (a suspended tenant's applications get no tokens).
        #[arg(long, value_parser = status_arg())]
        status: Option<TenantStatus>,
        /// Only if the tenant's ETag is still this.
        #[arg(long)]
        if_match: Option<String>,
    },
    /// Delete a tenant: only when it has no applications or subscribers, unless --cascade.
    Delete {
        id: String,
        /// Also delete everything the tenant owns (audited; the audit trail stays).
        #[arg(long)]
        cascade: bool,
    },
}

pub async fn run(env: &Env, cmd: TenantCmd) -> anyhow::Result<()> {
    let cx = env.cx();
    let out = env.output;
    match cmd {
        TenantCmd::Create { id, name, status } => {
            let v = tenants::create(&cx, TenantCreate { id, name, status })
                .await
                .map_err(fail)?;
            output::one(out, &v)
        }
        TenantCmd::List(p) => {
            let page: TenantPage = tenants::list(&cx, &p.request().map_err(fail)?)
                .await
                .map_err(fail)?
                .into();
            output::page(out, &page, &["id", "name", "status", "createdAt"])
        }
        TenantCmd::Get { id } => {
            let id = tenants::parse_id(&id).map_err(fail)?;
            output::one(out, &tenants::get(&cx, &id).await.map_err(fail)?)
        }
        TenantCmd::Update {
            id,
            name,
            status,
            if_match,
        } => {
            let id = tenants::parse_id(&id).map_err(fail)?;
            let v = tenants::update(&cx, &id, TenantPatch { name, status }, if_match.as_deref())
                .await
                .map_err(fail)?;
            output::one(out, &v)
        }
        TenantCmd::Delete { id, cascade } => {
            let id = tenants::parse_id(&id).map_err(fail)?;
            tenants::delete(&cx, &id, cascade, None)
                .await
                .map_err(fail)?;
            if out == super::Output::Table {
                println!("deleted tenant {id}");
            }
            Ok(())
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Bootstrapped {
    tenant: String,
    client_id: String,
    client_secret: String,
    scopes: Vec<String>,
    token_endpoint_auth_methods: Vec<ClientAuthMethod>,
}

/// Creates the `system` tenant when missing and an administrator with every management
/// scope; prints its secret once.
pub async fn bootstrap(env: &Env, client_id: Option<String>) -> anyhow::Result<()> {
    let cx = env.cx();
    if tenants::ensure_system_tenant(env.store.as_ref(), cx.now).await? {
        eprintln!("created tenant '{SYSTEM_TENANT}'");
    }
    let system = tenants::parse_id(SYSTEM_TENANT).map_err(fail)?;
    let client_id = client_id.unwrap_or_else(|| {
        let r = ogw_core::secret::generate_token();
        let suffix: String = r
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .take(10)
            .collect::<String>()
            .to_ascii_lowercase();
        format!("admin-{suffix}")
    });
    let methods = vec![
        ClientAuthMethod::ClientSecretBasic,
        ClientAuthMethod::ClientSecretPost,
    ];
    let created = applications::create(
        &cx,
        &system,
        ApplicationCreate {
            client_id: Some(client_id),
            name: "Operator administrator".into(),
            auth_methods: Some(methods.clone()),
            grant_types: Some(vec![GrantType::ClientCredentials]),
            allowed_scopes: scopes::ALL.iter().map(|s| s.to_string()).collect(),
            ..ApplicationCreate::default()
        },
    )
    .await
    .map_err(fail)?;
    let secret = created
        .client_secret
        .ok_or_else(|| anyhow::anyhow!("no secret was generated"))?;
    let b = Bootstrapped {
        tenant: SYSTEM_TENANT.into(),
        client_id: created.application.client_id,
        client_secret: secret,
        scopes: created.application.allowed_scopes,
        token_endpoint_auth_methods: methods,
    };
    match env.output {
        super::Output::Json => println!("{}", serde_json::to_string_pretty(&b)?),
        super::Output::Table => {
            println!("client_id:     {}", b.client_id);
            println!("client_secret: {}", b.client_secret);
            println!("scope:         {}", b.scopes.join(" "));
            println!();
            println!("The secret is shown only now; ogw stores a keyed hash of it.");
            println!(
                "Get a management token: POST /token with grant_type=client_credentials \
                 (HTTP Basic with the id and secret) and the scopes you need."
            );
        }
    }
    Ok(())
}
