//! Trail's HTTP server: the API under /api/v1, health and metrics, on top of any
//! `Store`. `Server::build` binds the listener (port 0 works for tests) and
//! `Server::run` serves until the shutdown future resolves, then commits what was
//! accepted before returning.

mod access;
mod audit;
mod auth;
pub mod bootstrap;
mod error;
mod limits;
mod logging;
mod openapi;
mod routes;
mod settings;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use trail_core::Limits;
use trail_store::ingest::{IngestConfig, Ingestor};
use trail_store::Store;

pub use error::ApiError;
pub use openapi::ApiDoc;

/// Settings of the HTTP layer.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Most events accepted in one request.
    pub max_batch_events: usize,
    pub limits: Limits,
    pub ingest: IngestConfig,
    /// Requests per second one ingest-scope key may make from one address (keys
    /// embedded in web pages are ingest keys).
    pub ingest_requests_per_second: u32,
    /// Memory for the rollup rows kept between usage questions, in bytes.
    pub usage_cache_bytes: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: ([127, 0, 0, 1], 8080).into(),
            max_body_bytes: 10 * 1024 * 1024,
            max_batch_events: 1000,
            limits: Limits::default(),
            ingest: IngestConfig::default(),
            ingest_requests_per_second: 200,
            usage_cache_bytes: 256 << 20,
        }
    }
}

/// The request limits of this server.
pub(crate) struct Limiters {
    /// Sign-in attempts per address and minute.
    pub sign_in: limits::FixedWindow<std::net::IpAddr>,
    /// Requests per ingest-scope key and address and second.
    pub ingest_key: limits::FixedWindow<(uuid::Uuid, std::net::IpAddr)>,
}

impl Limiters {
    fn new(config: &ServerConfig) -> Limiters {
        let minute = std::time::Duration::from_secs(60);
        let second = std::time::Duration::from_secs(1);
        Limiters {
            sign_in: limits::FixedWindow::new(
                routes::ATTEMPTS_PER_MINUTE,
                minute,
                "sign-in attempts from this address",
            ),
            ingest_key: limits::FixedWindow::new(
                config.ingest_requests_per_second,
                second,
                "requests with this ingest key from this address",
            ),
        }
    }
}

/// What every handler can reach.
pub(crate) struct AppState {
    pub store: Arc<dyn Store>,
    pub ingestor: Ingestor,
    pub config: ServerConfig,
    pub key_usage: auth::KeyUsage,
    pub settings: settings::SettingsCache,
    pub limits: Limiters,
    pub logging: logging::LoggingGate,
    pub reads: audit::ReadLog,
    pub rollups: trail_usage::RollupCache,
}

pub struct Server {
    listener: TcpListener,
    router: Router,
    writer: JoinHandle<()>,
}

impl Server {
    pub async fn build(config: ServerConfig, store: Arc<dyn Store>) -> std::io::Result<Server> {
        let listener = TcpListener::bind(config.listen).await?;
        let (ingestor, writer) = Ingestor::start(store.clone(), config.ingest);
        let limits = Limiters::new(&config);
        let rollups = trail_usage::RollupCache::new(config.usage_cache_bytes);
        let state = Arc::new(AppState {
            store,
            ingestor,
            config,
            key_usage: auth::KeyUsage::default(),
            settings: settings::SettingsCache::default(),
            limits,
            logging: logging::LoggingGate::default(),
            reads: audit::ReadLog::default(),
            rollups,
        });
        Ok(Server {
            listener,
            router: routes::router(state),
            writer,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// Serves until `shutdown` resolves; then stops taking connections, lets requests
    /// in flight finish, and waits for the writer to commit everything it accepted.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let app = self
            .router
            .into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(self.listener, app)
            .with_graceful_shutdown(shutdown)
            .await?;
        // The router (and with it the last Ingestor) is gone: the writer drains and ends.
        if let Err(e) = self.writer.await {
            tracing::error!(error = %e, "writer task failed");
        }
        tracing::info!("stopped");
        Ok(())
    }
}
