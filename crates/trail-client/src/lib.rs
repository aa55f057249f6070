//! A typed Rust client for Trail's HTTP API, used by the `trail` CLI and the
//! tests, and [`Logger`], which sends a service's events in the background.

mod admin;
mod logger;

pub use logger::{Logger, LoggerOptions, LoggerStats};

use reqwest::{Method, RequestBuilder, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;
use trail_core::api::{
    path_segment, ActivityParams, EntityUsageParams, ErrorBody, EventPage, EventView,
    IngestResponse, SessionView, StartSession,
};
use trail_core::EventInput;
use uuid::Uuid;

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The server answered with an error; `body` says what and, for batches, which items.
    #[error("{status}: {}", body.error.message)]
    Api {
        status: StatusCode,
        body: ErrorBody,
        /// The server's `Retry-After`, on 429 and 503.
        retry_after: Option<std::time::Duration>,
    },
    /// The server could not be reached or the answer could not be read.
    #[error("request failed: {0}")]
    Transport(#[from] reqwest::Error),
}

impl ClientError {
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            ClientError::Api { status, .. } => Some(*status),
            ClientError::Transport(e) => e.status(),
        }
    }
}

/// The error of a failed call, from the server's JSON error body when there is one.
fn api_error(
    status: StatusCode,
    text: String,
    retry_after: Option<std::time::Duration>,
) -> ClientError {
    let body = serde_json::from_str(&text).unwrap_or_else(|_| ErrorBody {
        error: trail_core::api::ErrorDetail {
            code: "http".into(),
            message: text,
            details: vec![],
            ids: vec![],
        },
    });
    ClientError::Api {
        status,
        body,
        retry_after,
    }
}

/// `Retry-After` in seconds (the form Trail sends).
fn retry_after(resp: &reqwest::Response) -> Option<std::time::Duration> {
    let value = resp.headers().get(reqwest::header::RETRY_AFTER)?;
    let seconds: u64 = value.to_str().ok()?.trim().parse().ok()?;
    Some(std::time::Duration::from_secs(seconds))
}

pub type Result<T> = std::result::Result<T, ClientError>;

#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    api_key: String,
}

impl Client {
    /// `base` is the server's root URL, e.g. `http://127.0.0.1:8080`.
    pub fn new(base: impl Into<String>, api_key: impl Into<String>) -> Client {
        let http = reqwest::Client::builder()
            .user_agent(concat!("trail-client/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("a TLS-free client builds");
        Client {
            http,
            base: base.into().trim_end_matches('/').to_string(),
            api_key: api_key.into(),
        }
    }

    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.api_key)
    }

    /// The response when it is a success; the server's error otherwise.
    async fn checked(&self, req: RequestBuilder) -> Result<reqwest::Response> {
        let resp = req.send().await?;
        let status = resp.status();
        if status.is_success() {
            return Ok(resp);
        }
        let after = retry_after(&resp);
        let text = resp.text().await?;
        Err(api_error(status, text, after))
    }

    async fn send<T: DeserializeOwned>(&self, req: RequestBuilder) -> Result<T> {
        Ok(self.checked(req).await?.json().await?)
    }

    /// For the endpoints that answer 204 No Content.
    async fn send_empty(&self, req: RequestBuilder) -> Result<()> {
        self.checked(req).await.map(drop)
    }

    async fn post<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T> {
        self.send(self.request(Method::POST, path).json(body)).await
    }

    async fn put<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T> {
        self.send(self.request(Method::PUT, path).json(body)).await
    }

    async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        self.send(self.request(Method::GET, path)).await
    }

    /// Sends a batch of events; returns once they are committed.
    pub async fn send_events(&self, events: &[EventInput]) -> Result<IngestResponse> {
        self.post("/api/v1/events", events).await
    }

    /// Sends one event.
    pub async fn send_event(&self, event: &EventInput) -> Result<IngestResponse> {
        self.post("/api/v1/events", event).await
    }

    /// Sends a body as is, with the given content type (for NDJSON and raw JSON).
    pub async fn send_raw(
        &self,
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> Result<IngestResponse> {
        let req = self
            .request(Method::POST, "/api/v1/events")
            .header("content-type", content_type)
            .body(body);
        self.send(req).await
    }

    pub async fn get_event(&self, id: Uuid) -> Result<EventView> {
        self.get(&format!("/api/v1/events/{id}")).await
    }

    /// Events matching `query` (docs/search.md), newest first, a page at a time;
    /// pass the previous page's `next_cursor` to continue.
    pub async fn search(
        &self,
        query: &str,
        limit: u32,
        cursor: Option<&str>,
        tz: Option<&str>,
    ) -> Result<EventPage> {
        let mut params = vec![("q", query.to_string()), ("limit", limit.to_string())];
        params.extend(cursor.map(|c| ("cursor", c.to_string())));
        params.extend(tz.map(|t| ("tz", t.to_string())));
        self.send(self.request(Method::GET, "/api/v1/events").query(&params))
            .await
    }

    /// A Usage Analysis view: `path` below `/api/v1/usage/` (`overview`,
    /// `errors/{signature}`, ...) with the global filters and options as query
    /// parameters (docs/usage-analysis.md).
    pub async fn usage<T: DeserializeOwned>(
        &self,
        path: &str,
        params: &[(String, String)],
    ) -> Result<T> {
        let url = format!("/api/v1/usage/{}", path.trim_start_matches('/'));
        self.send(self.request(Method::GET, &url).query(params))
            .await
    }

    /// Starts an export (`format`: csv, json or ndjson); read the body as a stream.
    pub async fn export(
        &self,
        query: &str,
        format: &str,
        tz: Option<&str>,
    ) -> Result<reqwest::Response> {
        let mut params = vec![("q", query), ("format", format)];
        params.extend(tz.map(|t| ("tz", t)));
        self.checked(self.request(Method::GET, "/api/v1/export").query(&params))
            .await
    }

    /// The account's event types with their parameters. The records are
    /// `trail_store::EventTypeRecord`, which this crate does not depend on:
    /// they come as JSON.
    pub async fn event_types(&self) -> Result<serde_json::Value> {
        self.get("/api/v1/event-types").await
    }

    /// What happened to one entity (`kind`, e.g. `query`, and its id), newest
    /// first, a page at a time; the last 7 days unless `params.days` says otherwise.
    pub async fn entity_activity(
        &self,
        kind: &str,
        id: &str,
        params: &ActivityParams,
    ) -> Result<EventPage> {
        self.entity(kind, id, "activity", params).await
    }

    /// One entity's use: events per day, distinct users, top users and actions,
    /// failures. Decode into `trail_store::usage::EntityUsage` (or
    /// `serde_json::Value`); that type lives in a crate this one does not depend on.
    pub async fn entity_usage<T: DeserializeOwned>(
        &self,
        kind: &str,
        id: &str,
        params: &EntityUsageParams,
    ) -> Result<T> {
        self.entity(kind, id, "usage", params).await
    }

    /// One of an entity's views, below `/api/v1/entities/{kind}/{id}/`.
    async fn entity<P: Serialize, T: DeserializeOwned>(
        &self,
        kind: &str,
        id: &str,
        view: &str,
        params: &P,
    ) -> Result<T> {
        let (kind, id) = (path_segment(kind), path_segment(id));
        let path = format!("/api/v1/entities/{kind}/{id}/{view}");
        self.send(self.request(Method::GET, &path).query(params))
            .await
    }

    pub async fn start_session(&self, session: &StartSession) -> Result<SessionView> {
        self.post("/api/v1/sessions", session).await
    }

    /// Ends a session; answers it with its end time.
    pub async fn end_session(&self, id: Uuid) -> Result<SessionView> {
        self.post(
            &format!("/api/v1/sessions/{id}/end"),
            &serde_json::json!({}),
        )
        .await
    }

    pub async fn get_session(&self, id: Uuid) -> Result<SessionView> {
        self.get(&format!("/api/v1/sessions/{id}")).await
    }

    pub async fn list_sessions(&self, user: &str) -> Result<Vec<SessionView>> {
        let req = self
            .request(Method::GET, "/api/v1/sessions")
            .query(&[("user", user)]);
        self.send(req).await
    }
}
