//! A background logger for Rust services: `log` never blocks and never fails;
//! events are batched, retried with backoff and jitter until the server takes
//! them, and never duplicated (each event gets its UUIDv7 id when it is
//! logged, so a retry of a batch the server already stored stores nothing).
//! The queue is bounded; with a spool file it also survives a restart.

use std::collections::{HashSet, VecDeque};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::Rng;
use reqwest::StatusCode;
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use trail_core::EventInput;

use crate::{Client, ClientError};

/// How a [`Logger`] batches and retries.
#[derive(Debug, Clone)]
pub struct LoggerOptions {
    /// Events per request (the server takes at most 1,000).
    pub batch_size: usize,
    /// How long an event may wait for its batch to fill.
    pub flush_interval: Duration,
    /// Events kept while the server is unreachable; beyond it the oldest go.
    pub max_queue: usize,
    /// The longest wait between retries.
    pub max_backoff: Duration,
    /// A file holding the events not yet delivered, so that they survive a
    /// restart: written while the server is unreachable and at shutdown,
    /// read back at start.
    pub spool: Option<PathBuf>,
}

impl Default for LoggerOptions {
    fn default() -> Self {
        LoggerOptions {
            batch_size: 500,
            flush_interval: Duration::from_secs(1),
            max_queue: 100_000,
            max_backoff: Duration::from_secs(30),
            spool: None,
        }
    }
}

/// What happened to the events logged so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoggerStats {
    /// Stored by the server (or recognised as already stored).
    pub delivered: u64,
    /// Kept out by the account's logging settings (disabled or throttled).
    pub dropped_by_settings: u64,
    /// Refused as invalid or conflicting: retrying cannot help.
    pub rejected: u64,
    /// Pushed out of a full queue.
    pub overflowed: u64,
    /// Waiting to be sent.
    pub queued: usize,
    /// The last failure, while delivery is failing.
    pub last_error: Option<String>,
}

/// Sends events in the background. Cheap to clone; every clone feeds one queue.
#[derive(Clone)]
pub struct Logger {
    shared: Arc<Shared>,
    task: Arc<Mutex<Option<JoinHandle<()>>>>,
}

struct Shared {
    client: Client,
    options: LoggerOptions,
    state: Mutex<State>,
    /// Wakes the sender: a batch is full, a flush was asked for, or shutdown.
    wake: Notify,
    /// Wakes `flush` callers: the sender went idle.
    idle: Notify,
}

#[derive(Default)]
struct State {
    queue: VecDeque<EventInput>,
    /// Events taken for the request in flight.
    sending: usize,
    flush_asked: bool,
    closing: bool,
    stats: LoggerStats,
}

impl Logger {
    /// Starts the sender on the current Tokio runtime. Events left in the
    /// spool by an earlier run are queued first.
    pub fn start(client: Client, options: LoggerOptions) -> Logger {
        let mut state = State::default();
        if let Some(path) = &options.spool {
            state.queue = read_spool(path);
        }
        let shared = Arc::new(Shared {
            client,
            options,
            state: Mutex::new(state),
            wake: Notify::new(),
            idle: Notify::new(),
        });
        let task = tokio::spawn(send_loop(shared.clone()));
        Logger {
            shared,
            task: Arc::new(Mutex::new(Some(task))),
        }
    }

    /// Queues an event. Gives it its id and time now, if it has none.
    pub fn log(&self, mut event: EventInput) {
        event
            .id
            .get_or_insert_with(|| uuid::Uuid::now_v7().to_string());
        event.occurred_at.get_or_insert_with(|| {
            chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
        });
        let wake = {
            let mut s = self.shared.lock();
            s.queue.push_back(event);
            // The oldest event not in the request in flight makes room.
            if s.queue.len() > self.shared.options.max_queue.max(s.sending + 1) {
                let oldest = s.sending;
                s.queue.remove(oldest);
                s.stats.overflowed += 1;
            }
            // The first event starts the sender's clock; a full batch goes at once.
            s.queue.len() == 1 || s.queue.len() >= self.shared.options.batch_size
        };
        if wake {
            self.shared.wake.notify_one();
        }
    }

    /// Waits until every event logged before the call is delivered or given up.
    pub async fn flush(&self) {
        loop {
            let idle = self.shared.idle.notified();
            tokio::pin!(idle);
            idle.as_mut().enable();
            {
                let mut s = self.shared.lock();
                if s.queue.is_empty() && s.sending == 0 {
                    return;
                }
                s.flush_asked = true;
            }
            self.shared.wake.notify_one();
            idle.await;
        }
    }

    pub fn stats(&self) -> LoggerStats {
        let s = self.shared.lock();
        // The request in flight holds copies: its events are still queued.
        LoggerStats {
            queued: s.queue.len(),
            ..s.stats.clone()
        }
    }

    /// Delivers what it can within `grace`, then stops; what is left goes to
    /// the spool file (or is lost without one, as `stats().queued` tells).
    pub async fn shutdown(&self, grace: Duration) -> LoggerStats {
        let _ = tokio::time::timeout(grace, self.flush()).await;
        self.shared.lock().closing = true;
        self.shared.wake.notify_one();
        let task = self.task.lock().expect("logger task").take();
        if let Some(task) = task {
            task.abort();
            let _ = task.await;
        }
        // An aborted request's events are still at the queue's front.
        self.shared.spool();
        self.stats()
    }
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().expect("logger state")
    }

    /// The next batch, or `None` when it is not yet time to send one.
    fn take_batch(&self) -> Option<Vec<EventInput>> {
        let mut s = self.lock();
        if s.queue.is_empty() {
            return None;
        }
        let n = s.queue.len().min(self.options.batch_size);
        s.sending = n;
        Some(s.queue.iter().take(n).cloned().collect())
    }

    /// The batch's first `sent` events are settled: off the queue.
    fn settle(&self, sent: usize) {
        let mut s = self.lock();
        let n = sent.min(s.queue.len());
        s.queue.drain(..n);
        s.sending = 0;
        if s.queue.is_empty() {
            s.flush_asked = false;
            s.stats.last_error = None;
            drop(s);
            self.remove_spool();
            self.idle.notify_waiters();
        }
    }

    fn spool(&self) {
        let Some(path) = &self.options.spool else {
            return;
        };
        let lines: Vec<String> = self
            .lock()
            .queue
            .iter()
            .filter_map(|e| serde_json::to_string(e).ok())
            .collect();
        if lines.is_empty() {
            self.remove_spool();
            return;
        }
        let tmp = path.with_extension("tmp");
        let written = std::fs::write(&tmp, lines.join("\n") + "\n")
            .and_then(|()| std::fs::rename(&tmp, path));
        if let Err(e) = written {
            self.lock().stats.last_error = Some(format!("spool {}: {e}", path.display()));
        }
    }

    fn remove_spool(&self) {
        if let Some(path) = &self.options.spool {
            let _ = std::fs::remove_file(path);
        }
    }
}

async fn send_loop(shared: Arc<Shared>) {
    loop {
        wait_for_batch(&shared).await;
        let Some(batch) = shared.take_batch() else {
            shared.idle.notify_waiters();
            continue;
        };
        let sent = batch.len();
        deliver(&shared, batch).await;
        shared.settle(sent);
    }
}

/// Returns when a batch is full, a flush was asked for, or an event has
/// waited the flush interval.
async fn wait_for_batch(shared: &Shared) {
    let ready =
        |s: &State| s.queue.len() >= shared.options.batch_size || s.flush_asked || s.closing;
    loop {
        let wake = shared.wake.notified();
        tokio::pin!(wake);
        wake.as_mut().enable();
        let waiting = {
            let s = shared.lock();
            if ready(&s) {
                return;
            }
            !s.queue.is_empty()
        };
        if waiting {
            // Something is queued: it goes at the latest after one interval.
            let _ = tokio::time::timeout(shared.options.flush_interval, wake).await;
            return;
        }
        wake.await;
    }
}

/// What to do after the server's answer to a batch.
enum Next {
    Done,
    /// Send these again at once (the rest was settled).
    Resend(Vec<EventInput>),
    /// Too large: send each half.
    Split(Vec<EventInput>, Vec<EventInput>),
    /// Wait, then send the same batch again.
    Retry(Option<Duration>),
}

/// Sends a batch until each of its events is stored, refused or dropped.
async fn deliver(shared: &Shared, batch: Vec<EventInput>) {
    let mut pending = vec![batch];
    let mut failures = 0u32;
    while let Some(batch) = pending.pop() {
        let answer = shared.client.send_events(&batch).await;
        match judge(shared, batch.clone(), answer) {
            Next::Done => failures = 0,
            Next::Resend(rest) => pending.push(rest),
            Next::Split(a, b) => pending.extend([b, a]),
            Next::Retry(after) => {
                failures += 1;
                pending.push(batch);
                shared.spool();
                tokio::time::sleep(backoff(&shared.options, failures, after)).await;
            }
        }
    }
}

fn judge(
    shared: &Shared,
    batch: Vec<EventInput>,
    answer: Result<trail_core::api::IngestResponse, ClientError>,
) -> Next {
    let mut s = shared.lock();
    let error = match answer {
        Ok(r) => {
            s.stats.delivered += (r.accepted + r.duplicates) as u64;
            s.stats.dropped_by_settings += r.dropped.len() as u64;
            return Next::Done;
        }
        Err(e) => e,
    };
    s.stats.last_error = Some(error.to_string());
    let (status, body, retry_after) = match error {
        ClientError::Api {
            status,
            body,
            retry_after,
        } => (status, body, retry_after),
        ClientError::Transport(_) => return Next::Retry(None),
    };
    let refused: HashSet<usize> = match status {
        StatusCode::PAYLOAD_TOO_LARGE if batch.len() > 1 => {
            let mut a = batch;
            let b = a.split_off(a.len() / 2);
            return Next::Split(a, b);
        }
        StatusCode::TOO_MANY_REQUESTS => return Next::Retry(retry_after),
        s if s.is_server_error() => return Next::Retry(retry_after),
        // A revoked or wrong key may be fixed on the server: keep the events.
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => return Next::Retry(None),
        StatusCode::BAD_REQUEST if body.error.code == "invalid_events" => {
            body.error.details.iter().map(|d| d.index).collect()
        }
        StatusCode::CONFLICT => {
            let ids: HashSet<uuid::Uuid> = body.error.ids.iter().copied().collect();
            let conflicting = |e: &EventInput| {
                let id = e.id.as_deref().and_then(|i| i.parse().ok());
                id.is_some_and(|id| ids.contains(&id))
            };
            batch
                .iter()
                .enumerate()
                .filter(|(_, e)| conflicting(e))
                .map(|(i, _)| i)
                .collect()
        }
        // Anything else will not change by sending it again.
        _ => (0..batch.len()).collect(),
    };
    let refused_all = refused.is_empty() || refused.len() >= batch.len();
    if refused_all {
        s.stats.rejected += batch.len() as u64;
        return Next::Done;
    }
    s.stats.rejected += refused.len() as u64;
    let rest = batch
        .into_iter()
        .enumerate()
        .filter(|(i, _)| !refused.contains(i))
        .map(|(_, e)| e)
        .collect();
    Next::Resend(rest)
}

/// Exponential backoff with jitter (half to all of the step), or the
/// server's Retry-After.
fn backoff(options: &LoggerOptions, failures: u32, retry_after: Option<Duration>) -> Duration {
    if let Some(after) = retry_after {
        return after.min(options.max_backoff);
    }
    let ceiling = Duration::from_millis(100)
        .saturating_mul(1 << failures.min(16))
        .min(options.max_backoff);
    ceiling.mul_f64(rand::thread_rng().gen_range(0.5..=1.0))
}

fn read_spool(path: &std::path::Path) -> VecDeque<EventInput> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_to_its_ceiling_and_honours_retry_after() {
        let o = LoggerOptions::default();
        for failures in 1..20 {
            let d = backoff(&o, failures, None);
            assert!(d <= o.max_backoff, "{failures}: {d:?}");
            let ceiling = Duration::from_millis(100) * (1 << failures.min(16));
            assert!(d >= ceiling.min(o.max_backoff) / 2, "{failures}: {d:?}");
        }
        let after = Some(Duration::from_secs(7));
        assert_eq!(backoff(&o, 1, after), Duration::from_secs(7));
        let long = Some(Duration::from_secs(3600));
        assert_eq!(backoff(&o, 1, long), o.max_backoff);
    }
}
