//! What the read benchmarks share: a store loaded with generated activity (or
//! one a previous run loaded), a real server on it, and percentiles.

use std::sync::Arc;

use trail_core::credentials::Scope;
use trail_server::bootstrap::create_key;
use trail_server::{Server, ServerConfig};
use trail_store::{Account, Store};

use crate::demo;
use crate::store::Database;
use crate::synth::Shape;

/// `sqlite` (a scratch file, or `sqlite:PATH` to keep it) or a postgres:// URL.
pub fn database(store: &str) -> (Database, Option<std::path::PathBuf>) {
    if let Some(path) = store.strip_prefix("sqlite:") {
        return (Database::Sqlite(path.into()), None);
    }
    if store == "sqlite" {
        let scratch = std::env::temp_dir().join(format!("trail-bench-{}", uuid::Uuid::now_v7()));
        return (Database::Sqlite(scratch.join("bench.db")), Some(scratch));
    }
    (Database::Postgres(store.to_string()), None)
}

/// The account named `reuse` if the store has it, else a new one loaded with
/// `events` generated events of `shape`.
pub async fn account(
    store: &Arc<dyn Store>,
    reuse: Option<&str>,
    events: u64,
    shape: &Shape,
) -> anyhow::Result<Account> {
    let existing = store.list_accounts().await?;
    if let Some(a) = existing
        .into_iter()
        .find(|a| Some(a.name.as_str()) == reuse)
    {
        return Ok(a);
    }
    let account = store
        .create_account(&format!("bench-{}", uuid::Uuid::now_v7()))
        .await?;
    eprintln!("loading {events} generated events into {}...", account.name);
    demo::load(store, account.id, events, demo::DEFAULT_SEED, shape).await?;
    Ok(account)
}

/// A server on the store, answering with a read key of the account.
pub struct Running {
    pub client: trail_client::Client,
    stop: tokio::sync::oneshot::Sender<()>,
    serving: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Running {
    /// A server with the default settings but `config`'s.
    pub async fn start(
        store: &Arc<dyn Store>,
        account: &Account,
        config: ServerConfig,
    ) -> anyhow::Result<Running> {
        let (_, key) = create_key(store, account.id, "bench", Scope::Read, None).await?;
        let config = ServerConfig {
            listen: ([127, 0, 0, 1], 0).into(),
            ..config
        };
        let server = Server::build(config, store.clone()).await?;
        let client = trail_client::Client::new(format!("http://{}", server.local_addr()), key);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let serving = tokio::spawn(server.run(async {
            let _ = stopped.await;
        }));
        Ok(Running {
            client,
            stop,
            serving,
        })
    }

    pub async fn stop(self) -> anyhow::Result<()> {
        let _ = self.stop.send(());
        self.serving.await??;
        Ok(())
    }
}

/// The `p` quantile (0..=1) of sorted times.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// Times `runs` calls of `f` (in ms) after 3 warm-up calls; sorted.
pub async fn timed<F, Fut, T>(runs: usize, mut f: F) -> anyhow::Result<(Vec<f64>, T)>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<T>>,
{
    let mut times = Vec::with_capacity(runs);
    let mut last = None;
    for i in 0..runs + 3 {
        let t = std::time::Instant::now();
        let out = f().await?;
        if i >= 3 {
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        last = Some(out);
    }
    times.sort_by(f64::total_cmp);
    Ok((times, last.expect("at least one run")))
}
