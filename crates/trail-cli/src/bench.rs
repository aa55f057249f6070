//! `trail bench ingest`: events/s over HTTP next to the store's raw bulk load of the
//! same rows, measured in the same run. BENCHMARKS.md explains the figures.

use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use chrono::{Duration, Utc};
use clap::{Args, Subcommand, ValueEnum};
use serde_json::json;
use trail_core::credentials::Scope;
use trail_core::NewEvent;
use trail_server::bootstrap::create_key;
use trail_server::{Server, ServerConfig};
use trail_store::Store;

use crate::demo;
use crate::store::Database;
use crate::synth::Generator;

#[derive(Subcommand, Debug)]
pub enum BenchCommand {
    /// Ingest over HTTP vs the raw bulk load.
    Ingest(IngestArgs),
    /// Activity Logs page latency and CSV export speed over HTTP.
    Search(crate::bench_search::SearchArgs),
    /// Usage Analysis view latency over HTTP, next to DuckDB over Parquet.
    Usage(crate::bench_usage::UsageArgs),
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum StoreKind {
    Sqlite,
    Postgres,
}

#[derive(Args, Debug)]
pub struct IngestArgs {
    #[arg(long, default_value_t = 1_000_000)]
    events: u64,
    #[arg(long, value_enum, default_value_t = StoreKind::Sqlite)]
    store: StoreKind,
    /// PostgreSQL URL (for --store postgres); the bench adds its own account.
    #[arg(long, env = "TRAIL_BENCH_DATABASE")]
    database: Option<String>,
    /// Events per request.
    #[arg(long, default_value_t = 500)]
    batch: usize,
    /// Concurrent HTTP clients.
    #[arg(long, default_value_t = 4)]
    clients: usize,
    /// Events sent one per request afterwards (the browser case); 0 skips it.
    #[arg(long, default_value_t = 100_000)]
    single_events: u64,
    /// Concurrent clients sending single events.
    #[arg(long, default_value_t = 32)]
    single_clients: usize,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Also write the results as JSON to this file.
    #[arg(long)]
    json: Option<std::path::PathBuf>,
}

pub async fn run(cmd: BenchCommand) -> anyhow::Result<()> {
    match cmd {
        BenchCommand::Ingest(args) => ingest(args).await,
        BenchCommand::Search(args) => crate::bench_search::run(args).await,
        BenchCommand::Usage(args) => crate::bench_usage::run(args).await,
    }
}

async fn ingest(args: IngestArgs) -> anyhow::Result<()> {
    let scratch = tempfile_dir()?;
    let database = match args.store {
        StoreKind::Sqlite => Database::Sqlite(scratch.join("bench.db")),
        StoreKind::Postgres => Database::Postgres(
            args.database
                .clone()
                .context("--store postgres needs --database postgres://...")?,
        ),
    };
    let store = database.open().await?;
    eprintln!("generating {} events...", args.events);
    let (bodies, rows) = generate(&args)?;

    eprintln!("raw bulk load ({})...", store.backend());
    let t = Instant::now();
    store.raw_bulk_load(&rows).await?;
    let raw_secs = t.elapsed().as_secs_f64();

    eprintln!("store append without HTTP...");
    let append_secs = direct_append(&store, rows, args.batch * args.clients).await?;

    eprintln!(
        "HTTP ingest: {} clients, batches of {}...",
        args.clients, args.batch
    );
    let http_secs = http_ingest(&store, bodies, args.clients).await?;

    let single = args.single_events.min(args.events);
    let single_secs = if single > 0 {
        eprintln!(
            "HTTP ingest of single events: {} clients, {single} requests...",
            args.single_clients
        );
        let bodies = single_event_bodies(args.seed.wrapping_add(1), single)?;
        http_ingest(&store, bodies, args.single_clients).await?
    } else {
        f64::NAN
    };

    let raw_rate = args.events as f64 / raw_secs;
    let http_rate = args.events as f64 / http_secs;
    println!("| scenario | store | events | seconds | events/s | vs raw bulk load |");
    println!("|---|---|---:|---:|---:|---:|");
    println!(
        "| raw bulk load (baseline) | {} | {} | {raw_secs:.2} | {raw_rate:.0} | 1.00 |",
        store.backend(),
        args.events
    );
    let append_rate = args.events as f64 / append_secs;
    println!(
        "| store append, {} per transaction, no HTTP | {} | {} | {append_secs:.2} | {append_rate:.0} | {:.2} |",
        args.batch * args.clients, store.backend(), args.events, append_rate / raw_rate
    );
    println!(
        "| HTTP ingest, {} clients × {} per batch | {} | {} | {http_secs:.2} | {http_rate:.0} | {:.2} |",
        args.clients, args.batch, store.backend(), args.events, http_rate / raw_rate
    );
    let single_rate = single as f64 / single_secs;
    if single > 0 {
        println!(
            "| HTTP ingest of single events, {} clients × 1 per request | {} | {single} | {single_secs:.2} | {single_rate:.0} | {:.2} |",
            args.single_clients, store.backend(), single_rate / raw_rate
        );
    }
    if let Some(path) = &args.json {
        let out = json!({
            "scenario": "ingest", "store": store.backend(), "events": args.events, "batch": args.batch,
            "clients": args.clients, "raw_bulk_load_events_per_s": raw_rate, "http_events_per_s": http_rate,
            "ratio": http_rate / raw_rate, "single_events": single,
            "single_clients": args.single_clients, "single_events_per_s": single_rate, "cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
            "version": env!("CARGO_PKG_VERSION"), "at": Utc::now().to_rfc3339(),
        });
        std::fs::write(path, serde_json::to_string_pretty(&out)?)?;
    }
    if matches!(args.store, StoreKind::Sqlite) {
        let _ = std::fs::remove_dir_all(&scratch);
    }
    Ok(())
}

fn tempfile_dir() -> anyhow::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("trail-bench-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// Request bodies for HTTP, and the same events parsed, for the baseline.
fn generate(args: &IngestArgs) -> anyhow::Result<(Vec<Vec<u8>>, Vec<NewEvent>)> {
    let mut generator = Generator::new(args.seed, args.events, Utc::now(), Duration::days(90));
    let ctx = demo::context();
    let mut bodies = Vec::new();
    let mut rows = Vec::with_capacity(args.events as usize);
    let mut left = args.events as usize;
    while left > 0 {
        let n = left.min(args.batch);
        let batch: Vec<_> = (0..n).map(|_| generator.next_event()).collect();
        bodies.push(serde_json::to_vec(&batch)?);
        for (i, e) in batch.into_iter().enumerate() {
            rows.push(demo::parse(&ctx, e, i)?);
        }
        left -= n;
    }
    Ok((bodies, rows))
}

/// One request body per event (a JSON object), as a browser sends them: events
/// of the last minute, since browsers send what just happened.
fn single_event_bodies(seed: u64, events: u64) -> anyhow::Result<Vec<Vec<u8>>> {
    let mut generator = Generator::new(seed, events, Utc::now(), Duration::minutes(1));
    (0..events)
        .map(|_| Ok(serde_json::to_vec(&generator.next_event())?))
        .collect()
}

/// The group-commit write path alone: batches straight into `Store::append`.
async fn direct_append(
    store: &Arc<dyn Store>,
    rows: Vec<NewEvent>,
    per_batch: usize,
) -> anyhow::Result<f64> {
    let account = store
        .create_account(&format!("bench-direct-{}", uuid::Uuid::now_v7()))
        .await?;
    let batches: Vec<Vec<NewEvent>> = rows.chunks(per_batch).map(|c| c.to_vec()).collect();
    drop(rows);
    let started = Instant::now();
    for events in batches {
        store
            .append(&[trail_store::AppendRequest {
                account: account.id,
                events,
            }])
            .await?;
    }
    Ok(started.elapsed().as_secs_f64())
}

/// Serves `store` on a local port and sends every body with `clients` concurrent
/// clients; returns the seconds from the first request to the last answer.
async fn http_ingest(
    store: &Arc<dyn Store>,
    bodies: Vec<Vec<u8>>,
    clients: usize,
) -> anyhow::Result<f64> {
    let account = store
        .create_account(&format!("bench-{}", uuid::Uuid::now_v7()))
        .await?;
    let (_, secret) = create_key(store, account.id, "bench", Scope::Ingest, None).await?;
    let config = ServerConfig {
        listen: ([127, 0, 0, 1], 0).into(),
        // The limit guards a deployment from one page's key; the bench is many pages.
        ingest_requests_per_second: u32::MAX,
        ..ServerConfig::default()
    };
    let server = Server::build(config, store.clone()).await?;
    let url = format!("http://{}", server.local_addr());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(server.run(async {
        let _ = stopped.await;
    }));
    let queue = Arc::new(std::sync::Mutex::new(bodies));
    let started = Instant::now();
    let workers: Vec<_> = (0..clients)
        .map(|_| {
            let client = trail_client::Client::new(&url, &secret);
            let queue = queue.clone();
            tokio::spawn(async move {
                loop {
                    let Some(body) = queue.lock().expect("queue lock").pop() else {
                        return Ok::<_, anyhow::Error>(());
                    };
                    client.send_raw("application/json", body).await?;
                }
            })
        })
        .collect();
    for w in workers {
        w.await??;
    }
    let secs = started.elapsed().as_secs_f64();
    let _ = stop.send(());
    serving.await??;
    Ok(secs)
}
