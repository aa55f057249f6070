//! `trail serve`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use trail_server::bootstrap::{bootstrap, BootstrapSecrets, Bootstrapped};
use trail_server::{Server, ServerConfig};
use trail_store::Store;

use crate::config::FileConfig;
use crate::demo;
use crate::store::{Database, DEFAULT_DATA_DIR};
use crate::synth::Shape;

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "TRAIL_LISTEN")]
    listen: Option<SocketAddr>,
    /// Directory for the embedded database [default: ./trail-data].
    #[arg(long, env = "TRAIL_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// `postgres://user:pass@host/db`, `sqlite://file.db` or a file path [default: <data-dir>/trail.db].
    #[arg(long, env = "TRAIL_DATABASE")]
    database: Option<String>,
    /// Load demo data (people, groups, 90 days of events) into an empty account.
    #[arg(long, env = "TRAIL_DEMO")]
    demo: bool,
    /// How many demo events to load [default: 50000].
    #[arg(long, env = "TRAIL_DEMO_EVENTS")]
    demo_events: Option<u64>,
    /// Largest request body in bytes [default: 10485760].
    #[arg(long, env = "TRAIL_MAX_BODY_BYTES")]
    max_body_bytes: Option<usize>,
    /// Most events in one request [default: 1000].
    #[arg(long, env = "TRAIL_MAX_BATCH_EVENTS")]
    max_batch_events: Option<usize>,
    /// Requests per second one ingest-scope key may make from one address [default: 200].
    #[arg(long, env = "TRAIL_INGEST_REQUESTS_PER_SECOND")]
    ingest_requests_per_second: Option<u32>,
    /// Memory for the rollup rows the Usage Analysis views keep between questions, in MiB [default: 256]; 0 keeps none.
    #[arg(long, env = "TRAIL_USAGE_CACHE_MB")]
    usage_cache_mb: Option<usize>,
    /// Log format: `text` or `json` [default: text]. Verbosity: RUST_LOG (default info).
    #[arg(long, env = "TRAIL_LOG_FORMAT")]
    log_format: Option<String>,
    /// A TOML file with any of the settings above (snake_case keys).
    #[arg(long, env = "TRAIL_CONFIG")]
    config: Option<PathBuf>,
    /// API key of the first account, created on first start instead of a random one (≥ 24 characters).
    #[arg(long, env = "TRAIL_BOOTSTRAP_API_KEY", hide_env_values = true)]
    bootstrap_api_key: Option<String>,
    /// Password of the first account's owner, instead of a random one.
    #[arg(long, env = "TRAIL_BOOTSTRAP_PASSWORD", hide_env_values = true)]
    bootstrap_password: Option<String>,
}

pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    let file = FileConfig::load(args.config.as_deref())?;
    init_logging(
        args.log_format
            .as_deref()
            .or(file.log_format.as_deref())
            .unwrap_or("text"),
    )?;
    let data_dir = args
        .data_dir
        .or(file.data_dir)
        .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR));
    let database = Database::resolve(
        args.database.as_deref().or(file.database.as_deref()),
        &data_dir,
    );
    let defaults = ServerConfig::default();
    let config = ServerConfig {
        listen: args.listen.or(file.listen).unwrap_or(defaults.listen),
        max_body_bytes: args
            .max_body_bytes
            .or(file.max_body_bytes)
            .unwrap_or(defaults.max_body_bytes),
        max_batch_events: args
            .max_batch_events
            .or(file.max_batch_events)
            .unwrap_or(defaults.max_batch_events),
        ingest_requests_per_second: args
            .ingest_requests_per_second
            .or(file.ingest_requests_per_second)
            .unwrap_or(defaults.ingest_requests_per_second),
        usage_cache_bytes: args
            .usage_cache_mb
            .or(file.usage_cache_mb)
            .map_or(defaults.usage_cache_bytes, |mb| mb.saturating_mul(1 << 20)),
        ..defaults
    };
    tracing::info!(store = %database.describe(), "opening store");
    let store = database.open().await?;
    let secrets = BootstrapSecrets {
        api_key: args.bootstrap_api_key,
        password: args.bootstrap_password,
    };
    if let Some(first) = bootstrap(&store, secrets).await? {
        announce(&first);
    }
    if args.demo || file.demo.unwrap_or(false) {
        load_demo_once(
            &store,
            args.demo_events.or(file.demo_events).unwrap_or(50_000),
        )
        .await?;
    }
    let server = Server::build(config, store).await?;
    let addr = server.local_addr();
    tracing::info!(%addr, "listening");
    println!("Trail is listening on http://{addr}");
    server.run(shutdown_signal()).await?;
    Ok(())
}

/// Shows the first start's secrets once, on the terminal and not in the logs.
fn announce(first: &Bootstrapped) {
    println!(
        "Created account '{}' with owner '{}'.",
        first.account.name, first.owner_login
    );
    if first.generated_key {
        println!(
            "Admin API key (shown only now; store it safely):\n\n    {}\n",
            first.api_key
        );
    } else {
        println!("Admin API key: the one given in TRAIL_BOOTSTRAP_API_KEY.");
    }
    if first.generated_password {
        println!("Owner password (shown only now): {}", first.password);
    }
}

async fn load_demo_once(store: &Arc<dyn Store>, events: u64) -> anyhow::Result<()> {
    let account = demo::first_account(store).await?;
    if store.event_count(account.id).await? > 0 {
        tracing::info!(account = %account.name, "account already has events; demo data not loaded again");
        return Ok(());
    }
    demo::load(
        store,
        account.id,
        events,
        demo::DEFAULT_SEED,
        &Shape::demo(),
    )
    .await
}

fn init_logging(format: &str) -> anyhow::Result<()> {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        "text" => builder.init(),
        "json" => builder.json().init(),
        other => anyhow::bail!("unknown log format {other:?}; expected text or json"),
    }
    Ok(())
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
    tracing::info!("shutting down: finishing requests in flight and committing accepted events");
}
