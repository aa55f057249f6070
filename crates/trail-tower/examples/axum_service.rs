//! A small web service whose every request is recorded in Trail.
//!
//! ```sh
//! trail serve --demo &                       # prints an admin key
//! TRAIL_URL=http://127.0.0.1:8080 TRAIL_KEY=trail_… \
//!   cargo run -p trail-tower --example axum_service
//! curl -H 'x-user: alice@example.com' http://127.0.0.1:3000/reports/17
//! trail search 'type:http-request'
//! ```
//!
//! The person comes from an `x-user` header only to keep the example short:
//! a real service takes it from whatever its authentication layer verified
//! (`.actor(|head| …)`), or from the header its authenticating proxy sets.

use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::Path;
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use trail_client::{Client, Logger, LoggerOptions};
use trail_tower::TrailLayer;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let url = std::env::var("TRAIL_URL").unwrap_or_else(|_| "http://127.0.0.1:8080".into());
    let key = std::env::var("TRAIL_KEY").map_err(|_| anyhow::anyhow!("set TRAIL_KEY"))?;
    let listen = std::env::var("LISTEN").unwrap_or_else(|_| "127.0.0.1:3000".into());

    let logger = Logger::start(Client::new(url, key), LoggerOptions::default());
    let app = Router::new()
        .route("/reports/{id}", get(report))
        .route("/boom", get(|| async { StatusCode::INTERNAL_SERVER_ERROR }))
        .layer(
            TrailLayer::new(logger.clone())
                .package("reports")
                .actor_from_header("x-user"),
        );

    let listener = tokio::net::TcpListener::bind(&listen).await?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    // What Trail has not taken yet gets five seconds more.
    let left = logger.shutdown(Duration::from_secs(5)).await;
    println!("delivered {} events, {} left", left.delivered, left.queued);
    Ok(())
}

async fn report(Path(id): Path<u64>) -> Result<String, StatusCode> {
    if id == 0 {
        return Err(StatusCode::NOT_FOUND);
    }
    Ok(format!("report {id}\n"))
}
