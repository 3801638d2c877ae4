//! `ogw`: the command line. Everything it does lives in the library (`ogw::App`).
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use figment::providers::Serialized;
use ogw::config::{Config, LogFormat};
use tracing_subscriber::EnvFilter;

/// See the workspace Cargo.toml: measured faster than glibc malloc on the request path.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// ogw — an operator-side GSMA Open Gateway server: OpenID Connect authorization with
/// network-based authentication, consent management and the CAMARA network APIs.
#[derive(Parser)]
#[command(name = "ogw", version, propagate_version = true)]
struct Cli {
    /// TOML configuration file (settings: see docs/config.md). Env OGW_* and flags override it.
    #[arg(long, short, global = true, env = "OGW_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server: apply migrations, optionally seed the demo operator, serve HTTP until SIGTERM/SIGINT.
    Serve(ServeArgs),
    /// Apply pending database migrations and exit.
    Migrate(StoreArgs),
    /// Manage token-signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Operator tools for access tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Print the effective configuration (defaults, file, env and flags merged) as JSON (secrets masked).
    Config(StoreArgs),
    #[command(flatten)]
    Manage(ogw::cli::ManageCommand),
    /// Import subscribers, SIM changes or IP sessions from an NDJSON or CSV file, all or nothing.
    Import(ImportArgs),
}

#[derive(Args)]
struct ImportArgs {
    /// What the file holds: subscribers, sim-changes or ip-sessions.
    #[arg(value_parser = ["subscribers", "sim-changes", "ip-sessions"])]
    kind: String,
    /// NDJSON (.ndjson/.jsonl) or CSV (.csv) file; `-` reads standard input (give --format).
    file: PathBuf,
    /// The tenant whose data this is.
    #[arg(long)]
    tenant: String,
    /// csv or ndjson [default: from the file name's extension].
    #[arg(long)]
    format: Option<String>,
    #[command(flatten)]
    store: StoreArgs,
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Create a new signing key and retire the current one; its public key stays in the JWKS
    /// for --publish-for-secs (default: longer than any token lifetime) so issued tokens keep verifying.
    Rotate {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long, default_value_t = 2 * 86_400)]
        publish_for_secs: i64,
    },
    /// List the published signing keys.
    List(StoreArgs),
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Sign an access token with the server's keys as the authorization server would issue it
    /// (conformance runs, support, load tests) and print it. 2-legged by default; with
    /// --phone-number a 3-legged token for that line, network-authenticated unless --amr says otherwise.
    Mint {
        #[command(flatten)]
        store: StoreArgs,
        /// Address `serve` listens on; with no `issuer` configured it makes the issuer [default: config].
        #[arg(long)]
        listen: Option<SocketAddr>,
        /// Issuer of the server the token is for [default: config, else http://<listen><base-path>].
        #[arg(long)]
        issuer: Option<String>,
        #[arg(long, default_value = "demo-client")]
        client_id: String,
        /// Space-separated scopes.
        #[arg(long)]
        scope: String,
        #[arg(long)]
        phone_number: Option<String>,
        /// DPV purpose, e.g. dpv:FraudPreventionAndDetection.
        #[arg(long)]
        purpose: Option<String>,
        /// Comma-separated amr values of a 3-legged token [default: nba].
        #[arg(long, value_delimiter = ',')]
        amr: Option<Vec<String>>,
        #[arg(long, default_value_t = 3600)]
        ttl_secs: i64,
    },
}

#[derive(Args, Default)]
struct StoreArgs {
    /// Directory for the SQLite database and the generated server secret [default: ./ogw-data].
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// sqlite://FILE or postgres://USER@HOST/DB [default: sqlite://<data-dir>/ogw.db].
    #[arg(long)]
    database_url: Option<String>,
}

#[derive(Args)]
struct ServeArgs {
    /// Seed the demo operator (tenant `demo`, see README) when the store has none.
    #[arg(long)]
    demo: bool,
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long)]
    listen: Option<SocketAddr>,
    /// Public issuer URL [default: http://<listen><base-path>].
    #[arg(long)]
    issuer: Option<String>,
    /// Log format [default: text].
    #[arg(long, value_enum)]
    log_format: Option<LogFormat>,
    #[command(flatten)]
    store: StoreArgs,
}

impl StoreArgs {
    fn overrides(&self, out: &mut serde_json::Map<String, serde_json::Value>) {
        if let Some(d) = &self.data_dir {
            out.insert("data_dir".into(), d.display().to_string().into());
        }
        if let Some(u) = &self.database_url {
            out.insert("database_url".into(), u.clone().into());
        }
    }
}

fn load(
    cli_config: Option<&PathBuf>,
    store: &StoreArgs,
    extra: serde_json::Map<String, serde_json::Value>,
) -> anyhow::Result<Config> {
    let mut o = extra;
    store.overrides(&mut o);
    let cfg = Config::load(
        cli_config.map(PathBuf::as_path),
        Serialized::defaults(serde_json::Value::Object(o)),
    )
    .context("loading configuration")?;
    cfg.validate()?;
    Ok(cfg)
}

fn init_logging(cfg: &Config) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&cfg.log_level));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match cfg.log_format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutdown requested; finishing in-flight requests");
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => {
            let mut o = serde_json::Map::new();
            if args.demo {
                o.insert("demo".into(), true.into());
            }
            if let Some(l) = args.listen {
                o.insert("listen".into(), l.to_string().into());
            }
            if let Some(i) = &args.issuer {
                o.insert("issuer".into(), i.clone().into());
            }
            if let Some(f) = args.log_format {
                o.insert("log_format".into(), serde_json::to_value(f)?);
            }
            let cfg = load(cli.config.as_ref(), &args.store, o)?;
            init_logging(&cfg);
            let app = ogw::App::build(&cfg).await?;
            app.run_until(shutdown_signal()).await
        }
        Command::Migrate(store) => {
            let cfg = load(cli.config.as_ref(), &store, serde_json::Map::new())?;
            init_logging(&cfg);
            ogw::open_store(&cfg).await?;
            println!("migrations applied to {}", ogw::redact(&cfg.database_url()));
            Ok(())
        }
        Command::Keys(KeysCommand::Rotate {
            store,
            publish_for_secs,
        }) => {
            let cfg = load(cli.config.as_ref(), &store, serde_json::Map::new())?;
            let store = ogw::open_store(&cfg).await?;
            let now = chrono::Utc::now();
            let kid = ogw_core::oauth::keys::rotate(
                store.as_ref(),
                cfg.token_alg,
                now,
                chrono::Duration::seconds(publish_for_secs),
            )
            .await?;
            println!("new signing key {kid}; previous keys stay published for {publish_for_secs}s");
            Ok(())
        }
        Command::Keys(KeysCommand::List(store)) => {
            let cfg = load(cli.config.as_ref(), &store, serde_json::Map::new())?;
            let store = ogw::open_store(&cfg).await?;
            for k in store.list_signing_keys(chrono::Utc::now()).await? {
                let state = match k.publish_until {
                    None => "active".to_owned(),
                    Some(t) => format!("retired, published until {}", t.to_rfc3339()),
                };
                println!(
                    "{}  {}  created {}  {}",
                    k.kid,
                    k.alg,
                    k.created_at.to_rfc3339(),
                    state
                );
            }
            Ok(())
        }
        Command::Token(TokenCommand::Mint {
            store,
            listen,
            issuer,
            client_id,
            scope,
            phone_number,
            purpose,
            amr,
            ttl_secs,
        }) => {
            let mut o = serde_json::Map::new();
            if let Some(l) = listen {
                o.insert("listen".into(), l.to_string().into());
            }
            if let Some(i) = issuer {
                o.insert("issuer".into(), i.into());
            }
            let cfg = load(cli.config.as_ref(), &store, o)?;
            let req = ogw::token_mint::MintRequest {
                client_id,
                scope,
                phone_number,
                purpose,
                amr,
                ttl_secs,
            };
            println!("{}", ogw::token_mint::mint(&cfg, &req).await?);
            Ok(())
        }
        Command::Manage(cmd) => {
            let cfg = load(
                cli.config.as_ref(),
                &StoreArgs::default(),
                cmd.config_overrides(),
            )?;
            ogw::cli::run(&cfg, cmd).await
        }
        Command::Config(store) => {
            let cfg = load(cli.config.as_ref(), &store, serde_json::Map::new())?;
            let mut shown = cfg.clone();
            if shown.server_secret.is_some() {
                shown.server_secret = Some("***".into());
            }
            for c in shown.radius.iter_mut().flat_map(|r| r.clients.iter_mut()) {
                c.secret = "***".into();
            }
            println!("{}", serde_json::to_string_pretty(&shown)?);
            Ok(())
        }
        Command::Import(args) => {
            let cfg = load(cli.config.as_ref(), &args.store, serde_json::Map::new())?;
            init_logging(&cfg);
            let kind = ogw_core::network::import::ImportKind::parse(&args.kind)
                .context("kind must be subscribers, sim-changes or ip-sessions")?;
            let format = match &args.format {
                Some(f) => Some(
                    ogw_core::network::import::Format::parse(f)
                        .context("--format must be csv or ndjson")?,
                ),
                None => None,
            };
            let tenant = ogw_core::domain::TenantId::parse(&args.tenant)?;
            let store = ogw::open_store(&cfg).await?;
            let started = std::time::Instant::now();
            let report = ogw::network::import_file(
                store.as_ref(),
                kind,
                &args.file,
                &tenant,
                format,
                chrono::Utc::now(),
            )
            .await?;
            println!("{}", ogw::network::describe(&report, started.elapsed()));
            if !report.committed {
                std::process::exit(2);
            }
            Ok(())
        }
    }
}
