//! `ogw app …`: applications of a tenant.
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};
use ogw_core::domain::{AppStatus, ClientAuthMethod, GrantType};
use ogw_core::manage::views::{ApplicationCreate, ApplicationPage, ApplicationPatch};
use ogw_core::manage::{applications, tenants};

use super::{enum_arg, fail, output, Common, Env, Output, PageArgs};

#[derive(Args)]
pub struct AppArgs {
    #[command(flatten)]
    pub common: Common,
    /// The tenant.
    #[arg(long, short, global = true)]
    tenant: Option<String>,
    #[command(subcommand)]
    cmd: AppCmd,
}

fn method_arg() -> impl Fn(&str) -> Result<ClientAuthMethod, String> + Clone + Send + Sync {
    enum_arg(ClientAuthMethod::ALL, ClientAuthMethod::as_str)
}

fn grant_arg() -> impl Fn(&str) -> Result<GrantType, String> + Clone + Send + Sync {
    enum_arg(GrantType::ALL, GrantType::as_str)
}

#[derive(Args)]
struct CreateArgs {
    #[arg(long)]
    name: String,
    /// [default: generated]
    #[arg(long)]
    client_id: Option<String>,
    /// Repeatable [default: client_secret_basic, client_secret_post].
    #[arg(long = "auth-method", value_parser = method_arg())]
    auth_methods: Vec<ClientAuthMethod>,
    /// Repeatable [default: client_credentials].
    #[arg(long = "grant-type", value_parser = grant_arg())]
    grant_types: Vec<GrantType>,
    /// Repeatable.
    #[arg(long = "redirect-uri")]
    redirect_uris: Vec<String>,
    /// Allowed scope; repeatable.
    #[arg(long = "scope")]
    scopes: Vec<String>,
    /// Catalog capability whose scopes are allowed; repeatable.
    #[arg(long = "capability")]
    capabilities: Vec<String>,
    /// Allowed purpose (dpv:…); repeatable.
    #[arg(long = "purpose")]
    purposes: Vec<String>,
    /// PEM (SPKI) public key file for app_jwt / private_key_jwt.
    #[arg(long)]
    public_key_file: Option<PathBuf>,
    /// JWKS (JSON) file for private_key_jwt.
    #[arg(long)]
    jwks_file: Option<PathBuf>,
    #[arg(long)]
    require_pkce: bool,
    /// RFC 9449: every token request must carry a DPoP proof; Bearer tokens are refused.
    #[arg(long)]
    dpop_bound_access_tokens: bool,
}

#[derive(Subcommand)]
enum AppCmd {
    /// Register an application; prints its client secret once (secret-based methods).
    Create(Box<CreateArgs>),
    /// List the tenant's applications.
    List(PageArgs),
    /// Show an application.
    Get { client_id: String },
    /// Disable an application: its tokens stop working.
    Disable { client_id: String },
    /// Enable a disabled application.
    Enable { client_id: String },
    /// Require DPoP (RFC 9449) for an application's tokens, or make it optional again.
    Dpop {
        client_id: String,
        /// `required`: proofs at /token, only DPoP-bound tokens at the APIs.
        #[arg(value_parser = ["required", "optional"])]
        mode: String,
    },
    /// Issue a new client secret (printed once); the previous one stops working.
    RotateSecret { client_id: String },
    /// Delete an application.
    Delete { client_id: String },
}

pub async fn run(env: &Env, a: AppArgs) -> anyhow::Result<()> {
    let tenant = tenants::parse_id(
        a.tenant
            .as_deref()
            .context("--tenant is required for ogw app")?,
    )
    .map_err(fail)?;
    let cx = env.cx();
    let out = env.output;
    match a.cmd {
        AppCmd::Create(c) => {
            let CreateArgs {
                name,
                client_id,
                auth_methods,
                grant_types,
                redirect_uris,
                scopes,
                capabilities,
                purposes,
                public_key_file,
                jwks_file,
                require_pkce,
                dpop_bound_access_tokens,
            } = *c;
            let public_key_pem = match public_key_file {
                Some(p) => Some(
                    std::fs::read_to_string(&p)
                        .with_context(|| format!("reading {}", p.display()))?,
                ),
                None => None,
            };
            let jwks = match jwks_file {
                Some(p) => {
                    let text = std::fs::read_to_string(&p)
                        .with_context(|| format!("reading {}", p.display()))?;
                    Some(serde_json::from_str(&text).context("the JWKS file is not JSON")?)
                }
                None => None,
            };
            let input = ApplicationCreate {
                client_id,
                name,
                auth_methods: Some(auth_methods).filter(|v| !v.is_empty()),
                grant_types: Some(grant_types).filter(|v| !v.is_empty()),
                redirect_uris,
                allowed_scopes: scopes,
                allowed_capabilities: capabilities,
                allowed_purposes: purposes,
                require_pkce: Some(require_pkce),
                dpop_bound_access_tokens: Some(dpop_bound_access_tokens),
                public_key_pem,
                jwks,
                status: None,
            };
            let created = applications::create(&cx, &tenant, input)
                .await
                .map_err(fail)?;
            output::one(out, &created)?;
            if out == Output::Table && created.client_secret.is_some() {
                println!("\nThe client secret is shown only now; ogw stores a keyed hash of it.");
            }
            Ok(())
        }
        AppCmd::List(p) => {
            let page: ApplicationPage =
                applications::list(&cx, &tenant, &p.request().map_err(fail)?)
                    .await
                    .map_err(fail)?
                    .into();
            output::page(
                out,
                &page,
                &["clientId", "name", "status", "authMethods", "allowedScopes"],
            )
        }
        AppCmd::Get { client_id } => {
            let id = applications::parse_client_id(&client_id).map_err(fail)?;
            output::one(
                out,
                &applications::get(&cx, &tenant, &id).await.map_err(fail)?,
            )
        }
        AppCmd::Disable { client_id } => {
            let patch = ApplicationPatch {
                status: Some(AppStatus::Disabled),
                ..ApplicationPatch::default()
            };
            patch_app(env, &tenant, &client_id, patch).await
        }
        AppCmd::Enable { client_id } => {
            let patch = ApplicationPatch {
                status: Some(AppStatus::Active),
                ..ApplicationPatch::default()
            };
            patch_app(env, &tenant, &client_id, patch).await
        }
        AppCmd::Dpop { client_id, mode } => {
            let patch = ApplicationPatch {
                dpop_bound_access_tokens: Some(mode == "required"),
                ..ApplicationPatch::default()
            };
            patch_app(env, &tenant, &client_id, patch).await
        }
        AppCmd::RotateSecret { client_id } => {
            let id = applications::parse_client_id(&client_id).map_err(fail)?;
            let v = applications::rotate_secret(&cx, &tenant, &id)
                .await
                .map_err(fail)?;
            output::one(out, &v)
        }
        AppCmd::Delete { client_id } => {
            let id = applications::parse_client_id(&client_id).map_err(fail)?;
            applications::delete(&cx, &tenant, &id, None)
                .await
                .map_err(fail)?;
            if out == Output::Table {
                println!("deleted application {id}");
            }
            Ok(())
        }
    }
}

async fn patch_app(
    env: &Env,
    tenant: &ogw_core::domain::TenantId,
    client_id: &str,
    patch: ApplicationPatch,
) -> anyhow::Result<()> {
    let id = applications::parse_client_id(client_id).map_err(fail)?;
    let v = applications::update(&env.cx(), tenant, &id, patch, None)
        .await
        .map_err(fail)?;
    output::one(env.output, &v)
}
