//! The Rust SDK against a real server: the background `Logger` (batches,
//! retries, never duplicates, survives a server restart and its own restart)
//! and the tower layer that records a service's requests.

mod common;

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::time::Duration;

use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use common::TestServer;
use trail_client::{Client, Logger, LoggerOptions};
use trail_core::api::EventView;
use trail_core::EventInput;
use trail_tower::TrailLayer;

on_both_stores!(
    logger_delivers_every_event_once_across_a_restart,
    layer_records_each_request
);

fn quick() -> LoggerOptions {
    LoggerOptions {
        batch_size: 20,
        flush_interval: Duration::from_millis(50),
        max_backoff: Duration::from_millis(400),
        ..LoggerOptions::default()
    }
}

fn numbered(n: usize) -> EventInput {
    EventInput {
        event_type: "sdk_test".into(),
        message: Some(format!("event {n}")),
        ..EventInput::default()
    }
}

/// Every event of a type, oldest first.
async fn all_of(client: &Client, event_type: &str) -> Vec<EventView> {
    let mut out = Vec::new();
    let mut cursor = None;
    loop {
        let query = format!("type:{event_type}");
        let page = client
            .search(&query, 500, cursor.as_deref(), None)
            .await
            .unwrap();
        out.extend(page.events);
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    out.reverse();
    out
}

async fn logger_delivers_every_event_once_across_a_restart(mut s: TestServer) {
    let logger = Logger::start(s.client(), quick());
    let sender = logger.clone();
    let logging = tokio::spawn(async move {
        for n in 0..300 {
            sender.log(numbered(n));
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    });
    tokio::time::sleep(Duration::from_millis(400)).await;
    // Down for a second and a half while events keep coming.
    s.restart(Duration::from_millis(1500)).await;
    logging.await.unwrap();
    tokio::time::timeout(Duration::from_secs(30), logger.flush())
        .await
        .expect("delivered within 30 s");

    let events = all_of(&s.client(), "sdk_test").await;
    let ids: BTreeSet<_> = events.iter().map(|e| e.id).collect();
    let messages: BTreeSet<_> = events.iter().filter_map(|e| e.message.clone()).collect();
    assert_eq!((events.len(), ids.len(), messages.len()), (300, 300, 300));
    let stats = logger.stats();
    assert_eq!((stats.delivered, stats.rejected, stats.queued), (300, 0, 0));
    // Each event keeps the time it was logged at, not the time it was sent.
    let times: Vec<_> = events.iter().map(|e| e.occurred_at.clone()).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_spool_keeps_events_across_the_loggers_own_restart() {
    let s = TestServer::sqlite().await;
    let dir = tempfile::tempdir().unwrap();
    let spool = dir.path().join("trail.spool");
    // Nothing listens here: the first logger cannot deliver anything.
    let nowhere = Client::new("http://127.0.0.1:9", "trail_x");
    let options = LoggerOptions {
        spool: Some(spool.clone()),
        ..quick()
    };
    let first = Logger::start(nowhere, options.clone());
    for n in 0..25 {
        first.log(numbered(n));
    }
    let left = first.shutdown(Duration::from_millis(300)).await;
    assert_eq!((left.delivered, left.queued), (0, 25));
    let spooled = std::fs::read_to_string(&spool).unwrap();
    assert_eq!(spooled.lines().count(), 25);

    let second = Logger::start(s.client(), options);
    second.log(numbered(25));
    second.flush().await;
    let events = all_of(&s.client(), "sdk_test").await;
    assert_eq!(events.len(), 26);
    assert!(!spool.exists(), "an empty spool is removed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_few_events_go_without_a_flush() {
    let s = TestServer::sqlite().await;
    let logger = Logger::start(s.client(), LoggerOptions::default());
    logger.log(numbered(1));
    logger.log(numbered(2));
    // Far fewer than a batch: they go once the flush interval has passed.
    for _ in 0..100 {
        if logger.stats().delivered == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(logger.stats().delivered, 2);
    assert_eq!(all_of(&s.client(), "sdk_test").await.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_events_are_dropped_alone() {
    let s = TestServer::sqlite().await;
    let logger = Logger::start(s.client(), quick());
    logger.log(numbered(1));
    logger.log(EventInput {
        event_type: "Not A Type".into(),
        ..EventInput::default()
    });
    logger.log(numbered(2));
    logger.flush().await;
    let stats = logger.stats();
    assert_eq!((stats.delivered, stats.rejected), (2, 1));
    assert_eq!(all_of(&s.client(), "sdk_test").await.len(), 2);
}

async fn layer_records_each_request(s: TestServer) {
    let logger = Logger::start(s.client(), quick());
    let app = Router::new()
        .route("/reports/{id}", get(|| async { "a report" }))
        .route("/boom", get(|| async { StatusCode::INTERNAL_SERVER_ERROR }))
        .layer(
            TrailLayer::new(logger.clone())
                .package("reports")
                .actor_from_header("x-user"),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let app = app.into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(listener, app).await.unwrap();
    });

    let http = reqwest::Client::new();
    let ok = http
        .get(format!("{url}/reports/17"))
        .header("x-user", "alice")
        .header("x-request-id", "req-1")
        .send()
        .await
        .unwrap();
    assert_eq!(ok.headers()["x-request-id"], "req-1");
    let boom = http.get(format!("{url}/boom")).send().await.unwrap();
    let generated = boom.headers()["x-request-id"].to_str().unwrap().to_string();
    assert_eq!(
        uuid::Uuid::parse_str(&generated).unwrap().get_version_num(),
        7
    );
    logger.flush().await;

    let events = all_of(&s.client(), "http-request").await;
    assert_eq!(events.len(), 2, "{events:?}");
    let (report, failed) = (&events[0], &events[1]);
    assert_eq!(report.actor.id, "alice");
    assert_eq!(report.source.as_str(), "server");
    assert_eq!(report.package.as_deref(), Some("reports"));
    let resource = report.resource.as_ref().unwrap();
    assert_eq!(resource.id.as_deref(), Some("GET /reports/{id}"));
    assert_eq!(report.params["status"], 200);
    assert_eq!(report.params["path"], "/reports/17");
    assert_eq!(report.request_id.as_deref(), Some("req-1"));
    assert_eq!(report.ip.as_deref(), Some("127.0.0.1"));
    assert!(report.duration_ms.is_some());
    assert_eq!(report.status.as_str(), "success");

    assert_eq!(failed.request_id.as_deref(), Some(generated.as_str()));
    assert_eq!(
        (failed.status.as_str(), failed.level.as_str()),
        ("failed", "error")
    );
    let error = failed.error.as_ref().unwrap();
    assert!(
        error.message.contains("GET /boom answered 500"),
        "{error:?}"
    );
}
