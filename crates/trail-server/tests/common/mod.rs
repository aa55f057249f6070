//! A real Trail server on a free port, on a fresh store.
// Each test binary (api, access) uses part of these helpers.
#![allow(dead_code)]

use std::sync::Arc;

use reqwest::StatusCode;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use trail_client::Client;
use trail_core::credentials::Scope;
use trail_server::bootstrap::{bootstrap, create_key, BootstrapSecrets};
use trail_server::{Server, ServerConfig};
use trail_store::Store;
use uuid::Uuid;

/// Runs each named test function against a SQLite and a PostgreSQL server.
#[macro_export]
macro_rules! on_both_stores {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name(super::common::TestServer::sqlite().await).await; })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                if let Some(server) = super::common::TestServer::postgres().await {
                    super::$name(server).await;
                }
            })*
        }
    };
}

pub struct TestServer {
    pub url: String,
    pub store: Arc<dyn Store>,
    pub account: Uuid,
    pub admin_key: String,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl TestServer {
    pub async fn sqlite() -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let store = trail_store_sqlite::SqliteStore::open(dir.path().join("t.db")).unwrap();
        std::mem::forget(dir);
        Self::start(Arc::new(store)).await
    }

    /// `None` (test skipped) only when PostgreSQL is absent outside CI.
    pub async fn postgres() -> Option<TestServer> {
        let url = trail_store_postgres::testing::fresh_database().await?;
        let store = trail_store_postgres::PostgresStore::connect(&url)
            .await
            .expect("connect to the fresh database");
        Some(Self::start(Arc::new(store)).await)
    }

    /// On SQLite, with a server configuration of the test's own.
    pub async fn sqlite_with(config: ServerConfig) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let store = trail_store_sqlite::SqliteStore::open(dir.path().join("t.db")).unwrap();
        std::mem::forget(dir);
        Self::start_with(Arc::new(store), config).await
    }

    async fn start(store: Arc<dyn Store>) -> TestServer {
        Self::start_with(store, ServerConfig::default()).await
    }

    async fn start_with(store: Arc<dyn Store>, config: ServerConfig) -> TestServer {
        let first = bootstrap(&store, BootstrapSecrets::default())
            .await
            .unwrap()
            .unwrap();
        let config = ServerConfig {
            listen: ([127, 0, 0, 1], 0).into(),
            ..config
        };
        let server = Server::build(config, store.clone()).await.unwrap();
        let url = format!("http://{}", server.local_addr());
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(server.run(async {
            let _ = stopped.await;
        }));
        TestServer {
            url,
            store,
            account: first.account.id,
            admin_key: first.api_key,
            stop: Some(stop),
            task: Some(task),
        }
    }

    pub fn client(&self) -> Client {
        self.client_with(&self.admin_key)
    }

    pub fn client_with(&self, key: &str) -> Client {
        Client::new(&self.url, key)
    }

    /// A new key of this account: its id and a client using it.
    pub async fn key(&self, scope: Scope) -> (Uuid, Client) {
        let (id, secret) = self.secret(scope).await;
        (id, self.client_with(&secret))
    }

    /// A new key of this account: its id and the secret.
    pub async fn secret(&self, scope: Scope) -> (Uuid, String) {
        let (key, secret) = create_key(&self.store, self.account, "test", scope, None)
            .await
            .unwrap();
        (key.id, secret)
    }

    pub async fn other_account_client(&self) -> Client {
        self.client_with(&self.other_account_key().await)
    }

    /// The admin key of a second account.
    pub async fn other_account_key(&self) -> String {
        let other = self.store.create_account("other").await.unwrap();
        let (_, secret) = create_key(&self.store, other.id, "other", Scope::Admin, None)
            .await
            .unwrap();
        secret
    }

    pub async fn count(&self) -> u64 {
        self.store.event_count(self.account).await.unwrap()
    }

    /// Graceful shutdown; returns when the server has committed and stopped.
    pub async fn stop(mut self) {
        self.halt().await;
    }

    async fn halt(&mut self) {
        let _ = self.stop.take().unwrap().send(());
        self.task.take().unwrap().await.unwrap().unwrap();
    }

    /// Stops the server, leaves its port closed for `down`, and starts it
    /// again on the same port and store, as an operator's restart does.
    pub async fn restart(&mut self, down: std::time::Duration) {
        self.halt().await;
        tokio::time::sleep(down).await;
        let config = ServerConfig {
            listen: self.url.trim_start_matches("http://").parse().unwrap(),
            ..ServerConfig::default()
        };
        let server = Server::build(config, self.store.clone()).await.unwrap();
        let (stop, stopped) = oneshot::channel();
        self.task = Some(tokio::spawn(server.run(async {
            let _ = stopped.await;
        })));
        self.stop = Some(stop);
    }
}

/// POSTs a raw body with the admin key; returns the status and body text.
pub async fn raw_post(
    s: &TestServer,
    path: &str,
    content_type: &str,
    body: String,
) -> (StatusCode, String) {
    let resp = reqwest::Client::new()
        .post(format!("{}{path}", s.url))
        .bearer_auth(&s.admin_key)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    (resp.status(), resp.text().await.unwrap())
}

/// GETs a path with the admin key.
pub async fn raw_get(s: &TestServer, path: String) -> reqwest::Response {
    reqwest::Client::new()
        .get(format!("{}{path}", s.url))
        .bearer_auth(&s.admin_key)
        .send()
        .await
        .unwrap()
}
