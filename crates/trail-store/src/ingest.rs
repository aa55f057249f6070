//! Group commit: concurrent requests queue here, one writer task commits whatever
//! has queued as a single transaction, then answers each request. A request is
//! answered only after its transaction committed, so an acknowledged event is
//! durable and readable.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::{AppendOutcome, AppendRequest, Store, StoreError};

/// Tuning of the writer.
#[derive(Debug, Clone, Copy)]
pub struct IngestConfig {
    /// Requests waiting for the writer before submitters wait for room.
    pub queue_depth: usize,
    /// Events committed in one transaction at most (a larger single request still
    /// goes alone).
    pub max_batch_events: usize,
}

impl Default for IngestConfig {
    fn default() -> Self {
        IngestConfig {
            queue_depth: 1024,
            max_batch_events: 10_000,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("the server is shutting down and takes no new events")]
    ShuttingDown,
    #[error(transparent)]
    Store(#[from] StoreError),
}

struct Job {
    request: AppendRequest,
    reply: oneshot::Sender<Result<AppendOutcome, IngestError>>,
}

/// The front of the write path. Cloning shares the one writer.
#[derive(Clone)]
pub struct Ingestor {
    queue: mpsc::Sender<Job>,
    metrics: Arc<IngestMetrics>,
}

impl Ingestor {
    /// Starts the writer task. It stops after every `Ingestor` clone is dropped and
    /// the queue is drained, so everything accepted is committed before it ends.
    pub fn start(store: Arc<dyn Store>, config: IngestConfig) -> (Ingestor, JoinHandle<()>) {
        let (queue, rx) = mpsc::channel(config.queue_depth);
        let metrics = Arc::new(IngestMetrics::default());
        let writer = Writer {
            store,
            rx,
            metrics: metrics.clone(),
            max_events: config.max_batch_events,
        };
        (Ingestor { queue, metrics }, tokio::spawn(writer.run()))
    }

    /// Queues a request and waits until it is committed.
    pub async fn submit(&self, request: AppendRequest) -> Result<AppendOutcome, IngestError> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(Job { request, reply })
            .await
            .map_err(|_| IngestError::ShuttingDown)?;
        answer.await.map_err(|_| IngestError::ShuttingDown)?
    }

    pub fn metrics(&self) -> &IngestMetrics {
        &self.metrics
    }
}

struct Writer {
    store: Arc<dyn Store>,
    rx: mpsc::Receiver<Job>,
    metrics: Arc<IngestMetrics>,
    max_events: usize,
}

impl Writer {
    async fn run(mut self) {
        while let Some(first) = self.rx.recv().await {
            let mut events = first.request.events.len();
            let mut jobs = vec![first];
            while events < self.max_events {
                match self.rx.try_recv() {
                    Ok(job) => {
                        events += job.request.events.len();
                        jobs.push(job);
                    }
                    Err(_) => break,
                }
            }
            self.commit(jobs, events).await;
        }
    }

    async fn commit(&self, jobs: Vec<Job>, events: usize) {
        let (requests, replies): (Vec<_>, Vec<_>) =
            jobs.into_iter().map(|j| (j.request, j.reply)).unzip();
        let started = Instant::now();
        let result = self.store.append(&requests).await;
        self.metrics
            .commit_seconds
            .observe(started.elapsed().as_secs_f64());
        self.metrics.batch_events.observe(events as f64);
        match result {
            Ok(outcomes) => {
                for (reply, outcome) in replies.into_iter().zip(outcomes) {
                    self.answer(reply, Ok(outcome));
                }
            }
            Err(e) => {
                // The transaction was rolled back whole. Committing each request on its
                // own keeps one bad request from failing the others, and absorbs a race
                // with another server writing the same ids.
                tracing::warn!(error = %e, requests = requests.len(), "batch failed; committing its requests one by one");
                for (request, reply) in requests.into_iter().zip(replies) {
                    let result = self.store.append(std::slice::from_ref(&request)).await;
                    let outcome = result.map(|mut o| o.remove(0)).map_err(IngestError::from);
                    if let Err(e) = &outcome {
                        tracing::error!(error = %e, account = %request.account, "append failed");
                    }
                    self.answer(reply, outcome);
                }
            }
        }
    }

    fn answer(
        &self,
        reply: oneshot::Sender<Result<AppendOutcome, IngestError>>,
        outcome: Result<AppendOutcome, IngestError>,
    ) {
        if let Ok(o) = &outcome {
            self.metrics.count(o);
        }
        // A submitter that went away (client disconnected) no longer needs the answer.
        let _ = reply.send(outcome);
    }
}

/// Counters and histograms of the write path, rendered at /metrics.
#[derive(Default)]
pub struct IngestMetrics {
    pub stored: AtomicU64,
    pub duplicates: AtomicU64,
    pub conflicts: AtomicU64,
    pub batch_events: Histogram<8>,
    pub commit_seconds: Histogram<10>,
}

impl IngestMetrics {
    fn count(&self, outcome: &AppendOutcome) {
        match outcome {
            AppendOutcome::Stored(items) => {
                let dups = items.iter().filter(|a| a.duplicate).count() as u64;
                self.duplicates.fetch_add(dups, Ordering::Relaxed);
                self.stored
                    .fetch_add(items.len() as u64 - dups, Ordering::Relaxed);
            }
            AppendOutcome::Conflict(_) => {
                self.conflicts.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Prometheus text exposition of every metric.
    pub fn render(&self, out: &mut String) {
        let counters = [
            (
                "trail_events_ingested_total",
                "Events stored.",
                &self.stored,
            ),
            (
                "trail_events_duplicate_total",
                "Events recognised as retries of stored ones.",
                &self.duplicates,
            ),
            (
                "trail_ingest_conflicts_total",
                "Requests refused because an id was stored with other content.",
                &self.conflicts,
            ),
        ];
        for (name, help, value) in counters {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}",
                value.load(Ordering::Relaxed)
            );
        }
        self.batch_events.render(
            "trail_commit_batch_events",
            "Events per committed transaction.",
            out,
        );
        self.commit_seconds.render(
            "trail_commit_seconds",
            "Time to commit one transaction.",
            out,
        );
    }
}

/// A fixed-bucket histogram with lock-free updates.
pub struct Histogram<const N: usize> {
    bounds: [f64; N],
    buckets: [AtomicU64; N],
    count: AtomicU64,
    /// Sum in micro-units, to keep it an integer.
    sum_micros: AtomicU64,
}

impl Default for Histogram<8> {
    fn default() -> Self {
        Self::with_bounds([1.0, 10.0, 50.0, 100.0, 500.0, 1000.0, 5000.0, 10000.0])
    }
}

impl Default for Histogram<10> {
    fn default() -> Self {
        Self::with_bounds([0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0])
    }
}

impl<const N: usize> Histogram<N> {
    pub fn with_bounds(bounds: [f64; N]) -> Self {
        Histogram {
            bounds,
            buckets: std::array::from_fn(|_| AtomicU64::new(0)),
            count: AtomicU64::new(0),
            sum_micros: AtomicU64::new(0),
        }
    }

    pub fn observe(&self, value: f64) {
        if let Some(i) = self.bounds.iter().position(|b| value <= *b) {
            self.buckets[i].fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_micros
            .fetch_add((value * 1e6) as u64, Ordering::Relaxed);
    }

    pub fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }

    pub fn render(&self, name: &str, help: &str, out: &mut String) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        let mut cumulative = 0;
        for (bound, bucket) in self.bounds.iter().zip(&self.buckets) {
            cumulative += bucket.load(Ordering::Relaxed);
            let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {cumulative}");
        }
        let count = self.count();
        let sum = self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(
            out,
            "{name}_bucket{{le=\"+Inf\"}} {count}\n{name}_sum {sum}\n{name}_count {count}"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_renders_cumulative_buckets() {
        let h = Histogram::<8>::default();
        for v in [1.0, 7.0, 500.0, 20000.0] {
            h.observe(v);
        }
        let mut out = String::new();
        h.render("x", "help", &mut out);
        assert!(out.contains("x_bucket{le=\"1\"} 1\n"));
        assert!(out.contains("x_bucket{le=\"10\"} 2\n"));
        assert!(out.contains("x_bucket{le=\"500\"} 3\n"));
        assert!(out.contains("x_bucket{le=\"+Inf\"} 4\n"));
        assert!(out.contains("x_count 4"));
    }
}
