//! `trail`: run the server, send events from the shell, load demo data,
//! administer keys and measure ingestion.

mod admin;
mod bench;
mod bench_search;
mod bench_server;
mod bench_usage;
mod config;
mod demo;
mod manage;
mod output;
mod remote;
mod serve;
mod store;
mod synth;
mod usage;

use clap::{Parser, Subcommand};

/// glibc's allocator spends a quarter of ingest time in malloc/free under
/// concurrent load; mimalloc's thread-local heaps avoid that.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "trail",
    version,
    about = "Trail: audit logs and usage analytics",
    propagate_version = true
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (embedded SQLite under ./trail-data unless --database says otherwise).
    Serve(serve::ServeArgs),
    /// Send one event to a running server.
    Log(Box<remote::LogArgs>),
    /// Search events of a running server (docs/search.md).
    Search(remote::SearchArgs),
    /// Download the events matching a search as CSV, JSON or NDJSON.
    Export(remote::ExportArgs),
    /// Print one event of a running server as JSON.
    #[command(alias = "get")]
    Show(remote::GetArgs),
    /// Usage Analysis of a running server (docs/usage-analysis.md).
    #[command(subcommand)]
    Usage(usage::View),
    /// Load synthetic activity straight into a store.
    Demo(demo::DemoArgs),
    /// Manage accounts and API keys directly in a store.
    #[command(subcommand)]
    Admin(admin::AdminCommand),
    /// Measure ingestion against the store's raw bulk load.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // The message chain, without a backtrace: this is for people at a terminal.
            eprintln!("Error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        match cli.command {
            Command::Serve(args) => serve::run(args).await,
            Command::Log(args) => remote::run(*args).await,
            Command::Search(args) => remote::search(args).await,
            Command::Show(args) => remote::get(args).await,
            Command::Export(args) => remote::export(args).await,
            Command::Usage(view) => usage::run(view).await,
            Command::Demo(args) => demo::run(args).await,
            Command::Admin(cmd) => admin::run(cmd).await,
            Command::Bench(cmd) => bench::run(cmd).await,
        }
    })
}
