//! The embedded web app over real HTTP: its files, the page for the app's own
//! routes, caching, compression and the Content-Security-Policy; and the API's
//! JSON 404 for what is not the app. (web/test/ drives the app in Chromium.)

mod common;

use common::TestServer;
use reqwest::header::{
    CACHE_CONTROL, CONTENT_ENCODING, CONTENT_SECURITY_POLICY, CONTENT_TYPE, ETAG, IF_NONE_MATCH,
};
use reqwest::{Method, Response, StatusCode};
use serde_json::Value;

async fn request(s: &TestServer, method: Method, path: &str, headers: &[(&str, &str)]) -> Response {
    let mut req = reqwest::Client::new().request(method, format!("{}{path}", s.url));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.unwrap()
}

fn header(r: &Response, name: impl reqwest::header::AsHeaderName) -> &str {
    r.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

/// The scripts and styles the page names.
fn assets_of(page: &str) -> Vec<String> {
    page.split("\"/assets/")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(|name| format!("/assets/{name}"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_is_served_for_its_routes_with_a_strict_policy() {
    let s = TestServer::sqlite().await;
    let home = request(&s, Method::GET, "/", &[]).await;
    assert_eq!(home.status(), StatusCode::OK);
    assert_eq!(header(&home, CONTENT_TYPE), "text/html; charset=utf-8");
    assert_eq!(header(&home, CACHE_CONTROL), "no-cache");
    let csp = header(&home, CONTENT_SECURITY_POLICY).to_string();
    assert!(csp.contains("script-src 'self';"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(header(&home, "x-content-type-options"), "nosniff");
    let page = home.text().await.unwrap();
    assert!(page.contains("<div id=\"app\">"));

    // The app's routes, bookmarked or reloaded, get the same page.
    for route in [
        "/activity?status=failed",
        "/entities/query/42",
        "/entities/file/report.csv",
        "/sign-in?next=%2Factivity",
    ] {
        let r = request(&s, Method::GET, route, &[]).await;
        assert_eq!(r.status(), StatusCode::OK, "{route}");
        assert_eq!(r.text().await.unwrap(), page, "{route}");
    }
    let head = request(&s, Method::HEAD, "/activity", &[]).await;
    assert_eq!(head.status(), StatusCode::OK);
    assert!(head.bytes().await.unwrap().is_empty());
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hashed_assets_are_cached_for_good_and_sent_compressed() {
    let s = TestServer::sqlite().await;
    let page = request(&s, Method::GET, "/", &[])
        .await
        .text()
        .await
        .unwrap();
    let assets = assets_of(&page);
    assert!(assets.iter().any(|a| a.ends_with(".js")), "{assets:?}");
    assert!(assets.iter().any(|a| a.ends_with(".css")), "{assets:?}");
    for path in &assets {
        let plain = request(&s, Method::GET, path, &[]).await;
        assert_eq!(plain.status(), StatusCode::OK, "{path}");
        let want_type = if path.ends_with(".js") {
            "text/javascript; charset=utf-8"
        } else {
            "text/css; charset=utf-8"
        };
        assert_eq!(header(&plain, CONTENT_TYPE), want_type, "{path}");
        assert_eq!(
            header(&plain, CACHE_CONTROL),
            "public, max-age=31536000, immutable"
        );
        assert_eq!(header(&plain, CONTENT_ENCODING), "", "not asked for");
        let etag = header(&plain, ETAG).to_string();
        let plain_len = plain.bytes().await.unwrap().len();

        let br = request(&s, Method::GET, path, &[("accept-encoding", "gzip, br")]).await;
        assert_eq!(header(&br, CONTENT_ENCODING), "br", "{path}");
        assert_ne!(header(&br, ETAG), etag, "each encoding has its own ETag");
        assert!(br.bytes().await.unwrap().len() < plain_len);

        let again = request(&s, Method::GET, path, &[(IF_NONE_MATCH.as_str(), &etag)]).await;
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{path}");
    }
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_files_and_unknown_api_paths_are_404s() {
    let s = TestServer::sqlite().await;
    for path in ["/assets/index-gone.js", "/favicon.ico"] {
        let r = request(&s, Method::GET, path, &[]).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
        assert!(!header(&r, CONTENT_TYPE).starts_with("text/html"), "{path}");
    }
    // The API keeps its JSON answer, for any method; the app answers only GET and HEAD.
    for (method, path) in [
        (Method::GET, "/api/v1/no-such-endpoint"),
        (Method::GET, "/api"),
        (Method::POST, "/api/v2/events"),
        (Method::POST, "/activity"),
        (Method::DELETE, "/"),
    ] {
        let r = request(&s, method.clone(), path, &[]).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{method} {path}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], "not_found", "{method} {path}");
    }
    s.stop().await;
}
