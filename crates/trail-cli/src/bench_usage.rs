//! `trail bench usage`: latency of every Usage Analysis view over HTTP for 7
//! and 90 days, next to DuckDB answering the overview question over the same
//! events exported to Parquet, in the same run. BENCHMARKS.md has the figures.

use std::process::Command;

use anyhow::Context;
use clap::Args;
use serde_json::Value;
use trail_server::ServerConfig;

use crate::bench_server::{self, percentile, timed};
use crate::synth::{stable_id, Shape};

#[derive(Args, Debug)]
pub struct UsageArgs {
    #[arg(long, default_value_t = 10_000_000)]
    events: u64,
    /// People, packages and functions of the generated activity.
    #[arg(long, default_value_t = 1000)]
    users: usize,
    #[arg(long, default_value_t = 30)]
    packages: usize,
    #[arg(long, default_value_t = 300)]
    functions: usize,
    /// sqlite (a scratch file), sqlite:PATH (kept for --account) or a postgres:// URL.
    #[arg(long, default_value = "sqlite")]
    store: String,
    /// Timed runs per view and round (after 3 warm-up runs).
    #[arg(long, default_value_t = 20, value_parser = at_least_one())]
    runs: usize,
    /// Rounds over every view; each figure is the median of the rounds'.
    /// Rounds spread the machine's slow spells over all views alike.
    #[arg(long, default_value_t = 3, value_parser = at_least_one())]
    rounds: usize,
    /// Measure an account a previous run loaded instead of loading a new one.
    #[arg(long)]
    account: Option<String>,
    /// Also time DuckDB over the events exported to Parquet (python3 with duckdb).
    #[arg(long)]
    duckdb: bool,
    /// Only these views (names as in the table; drill-downs: runs, error-detail, history).
    #[arg(long, value_delimiter = ',')]
    views: Vec<String>,
    /// Memory for the rollup rows the server keeps between questions (0: none,
    /// so every question reads its rows from the store).
    #[arg(long, default_value_t = 256)]
    usage_cache_mb: usize,
    /// Only these window lengths in days.
    #[arg(long, value_delimiter = ',', default_values_t = [7, 90])]
    days: Vec<u32>,
}

/// Counts of runs and rounds: zero would leave no time to report.
fn at_least_one() -> clap::builder::RangedU64ValueParser<usize> {
    clap::builder::RangedU64ValueParser::new().range(1..)
}

impl UsageArgs {
    fn wants(&self, view: &str) -> bool {
        self.views.is_empty() || self.views.iter().any(|v| v == view)
    }
}

const VIEWS: &[&str] = &[
    "overview",
    "packages",
    "functions",
    "events",
    "errors",
    "performance",
    "patterns",
    "unused",
];

pub async fn run(args: UsageArgs) -> anyhow::Result<()> {
    let (database, scratch) = bench_server::database(&args.store);
    let store = database.open().await?;
    let shape = Shape::scaled(args.users, args.packages, args.functions);
    let account =
        bench_server::account(&store, args.account.as_deref(), args.events, &shape).await?;
    eprintln!("account {}", account.name);
    let running = bench_server::Running::start(
        &store,
        &account,
        ServerConfig {
            usage_cache_bytes: args.usage_cache_mb << 20,
            ..ServerConfig::default()
        },
    )
    .await?;
    let client = &running.client;
    let total = store.event_count(account.id).await?;
    let cases = cases(&args, client).await?;
    let mut rounds: Vec<Vec<[f64; 3]>> = vec![Vec::new(); cases.len()];
    for round in 0..args.rounds {
        eprintln!("round {}", round + 1);
        for (case, figures) in cases.iter().zip(&mut rounds) {
            figures.push(case.time(args.runs, client).await?);
        }
    }
    println!(
        "| view ({total} events, {}) | days | KB | p50 ms | p95 ms | p99 ms | p95 of each round |",
        store.backend()
    );
    println!("|---|---:|---:|---:|---:|---:|---|");
    for (case, figures) in cases.iter().zip(&rounds) {
        let kb = case.kilobytes(client).await?;
        let median = |i: usize| {
            let mut of: Vec<f64> = figures.iter().map(|f| f[i]).collect();
            of.sort_by(f64::total_cmp);
            percentile(&of, 0.5)
        };
        let each: Vec<String> = figures.iter().map(|f| format!("{:.0}", f[1])).collect();
        println!(
            "| {} | {} | {kb} | {:.1} | {:.1} | {:.1} | {} |",
            case.name,
            case.days,
            median(0),
            median(1),
            median(2),
            each.join(", ")
        );
    }
    if args.duckdb {
        duckdb(client, args.runs, scratch.as_deref()).await?;
    }
    running.stop().await?;
    if let Some(dir) = scratch {
        let _ = std::fs::remove_dir_all(dir);
    }
    Ok(())
}

/// One row of the table: a view or drill-down for one window length.
struct Case {
    name: String,
    days: u32,
    path: String,
    params: Vec<(String, String)>,
}

impl Case {
    /// p50, p95 and p99 of `runs` answers, each received whole and read as
    /// JSON but not built into values (what a browser does before drawing
    /// is not Trail's time).
    async fn time(&self, runs: usize, client: &trail_client::Client) -> anyhow::Result<[f64; 3]> {
        let (times, _) = timed(runs, || async {
            client
                .usage::<serde::de::IgnoredAny>(&self.path, &self.params)
                .await
                .with_context(|| format!("view {}", self.name))
        })
        .await?;
        Ok([0.5, 0.95, 0.99].map(|p| percentile(&times, p)))
    }

    async fn kilobytes(&self, client: &trail_client::Client) -> anyhow::Result<usize> {
        let answer: Value = client.usage(&self.path, &self.params).await?;
        Ok(serde_json::to_vec(&answer)?.len() / 1024)
    }
}

/// The views and drill-downs asked for, for each window length.
async fn cases(args: &UsageArgs, client: &trail_client::Client) -> anyhow::Result<Vec<Case>> {
    let mut cases = Vec::new();
    for &days in &args.days {
        let range = vec![("range".to_string(), format!("{days}d"))];
        for view in VIEWS.iter().filter(|v| args.wants(v)) {
            cases.push(Case {
                name: view.to_string(),
                days,
                path: view.to_string(),
                params: range.clone(),
            });
        }
        for (short, name, path, extra) in drill_downs(client, &range).await? {
            if args.wants(short) {
                let params = range.iter().cloned().chain(extra).collect();
                cases.push(Case {
                    name,
                    days,
                    path,
                    params,
                });
            }
        }
    }
    Ok(cases)
}

/// Its short name (for `--views`), its name in the table, its path and parameters.
type DrillDown = (&'static str, String, String, Vec<(String, String)>);

/// One function's runs, the biggest error group, and a produced table's history.
async fn drill_downs(
    client: &trail_client::Client,
    range: &[(String, String)],
) -> anyhow::Result<Vec<DrillDown>> {
    let functions: Value = client.usage("functions", range).await?;
    let errors: Value = client.usage("errors", range).await?;
    let mut out = Vec::new();
    if let Some(f) = functions["functions"].get(0) {
        let f = &f["function"];
        let pick = |k: &str| (k.to_string(), f[k].as_str().unwrap_or_default().to_string());
        out.push((
            "runs",
            "runs (one function)".into(),
            "runs".into(),
            vec![pick("package"), pick("kind"), pick("function")],
        ));
    }
    if let Some(sig) = errors["groups"][0]["signature"].as_str() {
        out.push((
            "error-detail",
            "error detail (biggest group)".into(),
            format!("errors/{sig}"),
            Vec::new(),
        ));
    }
    out.push((
        "history",
        "history (a produced table)".into(),
        format!("history/table/{}", stable_id("customers")),
        Vec::new(),
    ));
    Ok(out)
}

/// Exports every event, then has DuckDB answer the overview question over Parquet.
async fn duckdb(
    client: &trail_client::Client,
    runs: usize,
    scratch: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    use futures::StreamExt;
    use tokio::io::AsyncWriteExt;
    let dir = scratch
        .map(std::path::Path::to_path_buf)
        .unwrap_or_else(std::env::temp_dir);
    std::fs::create_dir_all(&dir)?;
    let csv = dir.join(format!("usage-bench-{}.csv", uuid::Uuid::now_v7()));
    let parquet = csv.with_extension("parquet");
    let mut file = tokio::fs::File::create(&csv).await?;
    let mut body = client.export("", "csv", None).await?.bytes_stream();
    while let Some(chunk) = body.next().await {
        file.write_all(&chunk?).await?;
    }
    file.flush().await?;
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../bench/duckdb_overview.py"
    );
    let out = Command::new("python3")
        .args([
            script,
            &csv.to_string_lossy(),
            &parquet.to_string_lossy(),
            &runs.to_string(),
        ])
        .output()
        .context("running python3 bench/duckdb_overview.py (pip install duckdb)")?;
    let _ = std::fs::remove_file(&csv);
    let _ = std::fs::remove_file(&parquet);
    anyhow::ensure!(
        out.status.success(),
        "duckdb: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let answer: Value = serde_json::from_slice(&out.stdout)?;
    println!(
        "\nDuckDB {} over {} rows of Parquet ({} MB): people per day and events per package",
        duckdb_version(),
        answer["rows"],
        answer["parquet_mb"]
    );
    println!("| days | p50 ms | p95 ms | p99 ms |\n|---:|---:|---:|---:|");
    for days in ["7", "90"] {
        let mut times: Vec<f64> = answer["runs"][days]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_f64).collect())
            .unwrap_or_default();
        times.sort_by(f64::total_cmp);
        let pct = |p| percentile(&times, p);
        println!(
            "| {days} | {:.1} | {:.1} | {:.1} |",
            pct(0.5),
            pct(0.95),
            pct(0.99)
        );
    }
    Ok(())
}

fn duckdb_version() -> String {
    Command::new("python3")
        .args(["-c", "import duckdb; print(duckdb.__version__)"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    #[derive(Parser)]
    struct Usage {
        #[command(flatten)]
        args: super::UsageArgs,
    }

    #[test]
    fn zero_runs_or_rounds_are_refused_by_name() {
        for flag in ["--runs", "--rounds"] {
            let refused = Usage::try_parse_from(["usage", flag, "0"]).err().unwrap();
            assert!(refused.to_string().contains(flag), "{refused}");
        }
        let args = Usage::try_parse_from(["usage", "--rounds", "2"])
            .unwrap()
            .args;
        assert_eq!((args.runs, args.rounds), (20, 2));
    }
}
