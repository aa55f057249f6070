//! `trail bench search`: latency of the Activity Logs pages and export speed over
//! HTTP on a store loaded with demo data.

use std::time::Instant;

use anyhow::Context;
use clap::Args;
use trail_server::ServerConfig;

use crate::bench_server;
use crate::synth::Shape;

#[derive(Args, Debug)]
pub struct SearchArgs {
    #[arg(long, default_value_t = 1_000_000)]
    events: u64,
    /// sqlite (a scratch file), sqlite:PATH (kept for --account) or a postgres:// URL.
    #[arg(long, default_value = "sqlite")]
    store: String,
    /// Timed runs per query (after 3 warm-up runs).
    #[arg(long, default_value_t = 30)]
    runs: usize,
    /// Measure an account a previous run loaded (PostgreSQL keeps it) instead of loading a new one.
    #[arg(long)]
    account: Option<String>,
}

/// The five pages of the Activity Logs issue.
fn scenarios() -> Vec<(&'static str, String)> {
    vec![
        ("first page, no filter", String::new()),
        (
            "seed's advanced search",
            "user:alice@company.com action:updated resource:database date:7d status:success".into(),
        ),
        ("free text: a resource name", "\"Top 10 Customers\"".into()),
        ("IP address", "ip:192.168.1.17".into()),
        (
            "free text, rare: an error message",
            "\"out of memory\"".into(),
        ),
        ("IP address, rare", "ip:192.168.1.45".into()),
        ("a rare person", "user:yusuf".into()),
        ("a rare type", "type:user-invited".into()),
        (
            "entity activity, 7 days",
            format!(
                "kind:query resource.id:{} date:7d",
                crate::synth::stable_id("Top 10 Customers")
            ),
        ),
    ]
}

pub async fn run(args: SearchArgs) -> anyhow::Result<()> {
    let (database, scratch) = bench_server::database(&args.store);
    let store = database.open().await?;
    let account =
        bench_server::account(&store, args.account.as_deref(), args.events, &Shape::demo()).await?;
    let running = bench_server::Running::start(&store, &account, ServerConfig::default()).await?;
    let client = &running.client;
    println!(
        "| page ({} events, {}) | rows | p50 ms | p95 ms | p99 ms |",
        store.event_count(account.id).await?,
        store.backend()
    );
    println!("|---|---:|---:|---:|---:|");
    for (name, query) in scenarios() {
        let (times, rows) = bench_server::timed(args.runs, || async {
            let page = client
                .search(&query, 50, None, None)
                .await
                .with_context(|| format!("query {query:?}"))?;
            Ok(page.events.len())
        })
        .await?;
        let pct = |p| bench_server::percentile(&times, p);
        println!(
            "| {name} | {rows} | {:.1} | {:.1} | {:.1} |",
            pct(0.5),
            pct(0.95),
            pct(0.99)
        );
    }
    export(client).await?;
    running.stop().await?;
    if let Some(dir) = scratch {
        let _ = std::fs::remove_dir_all(dir);
    }
    Ok(())
}

/// Streams a CSV export of everything and prints its rate and this process's
/// peak memory while it ran (server and client share the process).
async fn export(client: &trail_client::Client) -> anyhow::Result<()> {
    use futures::StreamExt;
    // Writing 5 to clear_refs resets the peak resident set size (VmHWM).
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let t = Instant::now();
    let mut body = client.export("", "csv", None).await?.bytes_stream();
    let (mut bytes, mut lines) = (0usize, 0usize);
    while let Some(chunk) = body.next().await {
        let chunk = chunk?;
        bytes += chunk.len();
        lines += chunk.iter().filter(|b| **b == b'\n').count();
    }
    let secs = t.elapsed().as_secs_f64();
    let rows = lines.saturating_sub(1);
    println!(
        "\nCSV export: {} MB, ~{rows} rows in {secs:.2} s = {:.0} rows/s, peak RSS {}",
        bytes / 1_000_000,
        rows as f64 / secs,
        peak_rss().unwrap_or_else(|| "unknown".into())
    );
    Ok(())
}

/// `VmHWM` of this process, as Linux reports it.
fn peak_rss() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    Some(line.trim_start_matches("VmHWM:").trim().to_string())
}
