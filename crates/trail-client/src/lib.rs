//! A typed Rust client for Trail's HTTP API, used by the `trail` CLI and the
//! tests, and [`Logger`], which sends a service's events in the background.

mod logger;

pub use logger::{Logger, LoggerOptions, LoggerStats};

pub use reqwest::Method;
use reqwest::{RequestBuilder, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;
use trail_core::api::{ErrorBody, EventPage, EventView, IngestResponse, SessionView, StartSession};
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
fn api_error(status: StatusCode, text: String) -> ClientError {
    api_error_after(status, text, None)
}

fn api_error_after(
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

    async fn send<T: DeserializeOwned>(&self, req: RequestBuilder) -> Result<T> {
        let resp = req.send().await?;
        let status = resp.status();
        if status.is_success() {
            return Ok(resp.json().await?);
        }
        let after = retry_after(&resp);
        let text = resp.text().await?;
        Err(api_error_after(status, text, after))
    }

    async fn post<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T> {
        self.send(self.request(Method::POST, path).json(body)).await
    }

    async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        self.send(self.request(Method::GET, path)).await
    }

    /// Any endpoint, with an optional JSON body; the JSON answer (`null` when empty).
    pub async fn call_json(
        &self,
        method: Method,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<serde_json::Value> {
        let mut req = self.request(method, path);
        if let Some(b) = body {
            req = req.json(b);
        }
        let resp = req.send().await?;
        let status = resp.status();
        let text = resp.text().await?;
        if !status.is_success() {
            return Err(api_error(status, text));
        }
        Ok(serde_json::from_str(&text).unwrap_or(serde_json::Value::Null))
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
        let resp = self
            .request(Method::GET, "/api/v1/export")
            .query(&params)
            .send()
            .await?;
        if resp.status().is_success() {
            return Ok(resp);
        }
        let status = resp.status();
        let text = resp.text().await?;
        Err(api_error(status, text))
    }

    pub async fn event_types(&self) -> Result<serde_json::Value> {
        self.get("/api/v1/event-types").await
    }

    pub async fn start_session(&self, session: &StartSession) -> Result<SessionView> {
        self.post("/api/v1/sessions", session).await
    }

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
