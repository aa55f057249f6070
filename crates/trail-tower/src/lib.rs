//! A tower layer that records every request a Rust web service answers as a
//! Trail event (source `server`): who (from an extractor you supply), which
//! route, the status, how long it took, from which address, and the request
//! id, which it also hands to the service and the client (`x-request-id`).
//!
//! ```no_run
//! # async fn demo() {
//! use axum::{routing::get, Router};
//! use trail_client::{Client, Logger, LoggerOptions};
//! use trail_tower::TrailLayer;
//!
//! let logger = Logger::start(Client::new("http://127.0.0.1:8080", "trail_…"), LoggerOptions::default());
//! let app: Router = Router::new()
//!     .route("/reports/{id}", get(|| async { "a report" }))
//!     .layer(TrailLayer::new(logger).package("reports"));
//! # }
//! ```
//!
//! Events go through a [`trail_client::Logger`]: the request never waits for
//! Trail, and nothing is lost while Trail is restarting.

use std::net::SocketAddr;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use axum::extract::{ConnectInfo, MatchedPath};
use futures::future::BoxFuture;
use http::header::{HeaderValue, USER_AGENT};
use http::request::Parts;
use http::{HeaderName, Request, Response, StatusCode};
use serde_json::{json, Map, Value};
use trail_client::Logger;
use trail_core::input::{ActorInput, ErrorInput, ResourceInput};
use trail_core::EventInput;

/// The header carrying the request id, taken from the request when present.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

type ActorFn = dyn Fn(&Parts) -> Option<ActorInput> + Send + Sync;

/// Records each request as an event; see the crate's documentation.
#[derive(Clone)]
pub struct TrailLayer {
    config: Arc<Config>,
}

struct Config {
    logger: Logger,
    actor: Option<Box<ActorFn>>,
    event_type: String,
    package: Option<String>,
    trust_forwarded_for: bool,
}

impl TrailLayer {
    /// Events of type `http-request`, with no actor until [`TrailLayer::actor`]
    /// says how to find one (Trail then records the API key as the actor).
    pub fn new(logger: Logger) -> TrailLayer {
        TrailLayer {
            config: Arc::new(Config {
                logger,
                actor: None,
                event_type: "http-request".into(),
                package: None,
                trust_forwarded_for: false,
            }),
        }
    }

    fn with(self, change: impl FnOnce(&mut Config)) -> TrailLayer {
        let mut config = Arc::try_unwrap(self.config)
            .unwrap_or_else(|_| panic!("configure a TrailLayer before cloning it"));
        change(&mut config);
        TrailLayer {
            config: Arc::new(config),
        }
    }

    /// Who made the request: your own extractor over the request's head (a
    /// session cookie, a verified token's subject, an extension your auth
    /// layer put there). `None` for anonymous requests.
    pub fn actor(
        self,
        actor: impl Fn(&Parts) -> Option<ActorInput> + Send + Sync + 'static,
    ) -> TrailLayer {
        self.with(|c| c.actor = Some(Box::new(actor)))
    }

    /// The person named by a header that an authenticating proxy in front
    /// of the service sets (oauth2-proxy's `x-forwarded-user`, say). Only
    /// behind such a proxy: a client could otherwise claim to be anyone.
    pub fn actor_from_header(self, header: &'static str) -> TrailLayer {
        self.actor(move |head| {
            let login = head.headers.get(header)?.to_str().ok()?;
            Some(ActorInput {
                kind: "user".into(),
                id: login.to_string(),
                name: None,
                email: None,
            })
        })
    }

    /// The event type (default `http-request`).
    pub fn event_type(self, event_type: impl Into<String>) -> TrailLayer {
        self.with(|c| c.event_type = event_type.into())
    }

    /// The package (app or service) the events belong to.
    pub fn package(self, package: impl Into<String>) -> TrailLayer {
        self.with(|c| c.package = Some(package.into()))
    }

    /// Take the client's address from `X-Forwarded-For` (only behind a proxy
    /// that sets it; otherwise anyone may claim any address).
    pub fn trust_forwarded_for(self) -> TrailLayer {
        self.with(|c| c.trust_forwarded_for = true)
    }
}

impl<S> tower_layer::Layer<S> for TrailLayer {
    type Service = TrailService<S>;
    fn layer(&self, inner: S) -> TrailService<S> {
        TrailService {
            inner,
            config: self.config.clone(),
        }
    }
}

/// The service [`TrailLayer`] wraps around yours.
#[derive(Clone)]
pub struct TrailService<S> {
    inner: S,
    config: Arc<Config>,
}

impl<S, B, R> tower_service::Service<Request<B>> for TrailService<S>
where
    S: tower_service::Service<Request<B>, Response = Response<R>>,
    S::Future: Send + 'static,
    S::Error: std::fmt::Display,
{
    type Response = Response<R>;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Response<R>, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let started = Instant::now();
        let (mut parts, body) = req.into_parts();
        let request_id = request_id(&mut parts);
        let request = self.config.describe(&parts, &request_id);
        let answer = self.inner.call(Request::from_parts(parts, body));
        let config = self.config.clone();
        Box::pin(async move {
            let result = answer.await;
            let outcome = match &result {
                Ok(resp) => Ok(resp.status()),
                Err(e) => Err(e.to_string()),
            };
            let elapsed = started.elapsed().as_millis() as u64;
            config.logger.log(request.event(outcome, elapsed));
            let mut resp = result?;
            resp.headers_mut().insert(REQUEST_ID, request_id);
            Ok(resp)
        })
    }
}

/// The request's id: the client's `x-request-id` if it sent a usable one,
/// else a new UUIDv7, which the service then sees in the header too.
fn request_id(parts: &mut Parts) -> HeaderValue {
    let sent = parts
        .headers
        .get(&REQUEST_ID)
        .filter(|v| !v.is_empty() && v.len() <= 128 && v.to_str().is_ok());
    if let Some(id) = sent {
        return id.clone();
    }
    let id = HeaderValue::from_str(&uuid::Uuid::now_v7().to_string()).expect("a uuid is ascii");
    parts.headers.insert(REQUEST_ID, id.clone());
    id
}

/// What is known of a request before it is answered.
struct Described {
    event: EventInput,
    method: String,
    route: String,
    path: String,
}

impl Config {
    fn describe(&self, parts: &Parts, request_id: &HeaderValue) -> Described {
        let method = parts.method.to_string();
        let path = parts.uri.path().to_string();
        // The route template groups `/reports/17` and `/reports/18`.
        let route = parts
            .extensions
            .get::<MatchedPath>()
            .map_or_else(|| path.clone(), |m| m.as_str().to_string());
        let text = |v: &HeaderValue| v.to_str().ok().map(str::to_string);
        let event = EventInput {
            event_type: self.event_type.clone(),
            source: Some("server".into()),
            actor: self.actor.as_ref().and_then(|f| f(parts)),
            package: self.package.clone(),
            action: Some("requested".into()),
            resource: Some(ResourceInput {
                kind: Some("route".into()),
                id: Some(format!("{method} {route}")),
                name: None,
            }),
            ip: self.client_ip(parts),
            user_agent: parts.headers.get(USER_AGENT).and_then(text),
            request_id: text(request_id),
            ..EventInput::default()
        };
        Described {
            event,
            method,
            route,
            path,
        }
    }

    fn client_ip(&self, parts: &Parts) -> Option<String> {
        let forwarded = parts
            .headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .map(|ip| ip.trim().to_string())
            .filter(|ip| ip.parse::<std::net::IpAddr>().is_ok());
        if self.trust_forwarded_for && forwarded.is_some() {
            return forwarded;
        }
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>()?;
        Some(peer.0.ip().to_string())
    }
}

impl Described {
    /// The event, once the service answered (`Err`: it failed without answering).
    fn event(self, outcome: Result<StatusCode, String>, elapsed_ms: u64) -> EventInput {
        let mut params = Map::new();
        params.insert("method".into(), json!(self.method));
        params.insert("route".into(), json!(self.route));
        params.insert("path".into(), json!(self.path));
        let (status, level, error) = match outcome {
            Ok(code) => {
                params.insert("status".into(), json!(code.as_u16()));
                let failed = format!("{} {} answered {code}", self.method, self.route);
                match code.as_u16() {
                    500.. => ("failed", "error", Some(failed)),
                    400.. => ("failed", "warning", None),
                    _ => ("success", "info", None),
                }
            }
            Err(e) => (
                "failed",
                "error",
                Some(format!("{} {}: {e}", self.method, self.route)),
            ),
        };
        EventInput {
            status: Some(status.into()),
            level: Some(level.into()),
            duration_ms: Some(elapsed_ms),
            params: Some(params.into_iter().collect::<Map<String, Value>>()),
            error: error.map(|message| ErrorInput {
                message,
                stack_trace: None,
            }),
            ..self.event
        }
    }
}
