//! The browser app (crates/trail-web) on every path that is not the API's:
//! its files by path, and `index.html` for the app's own routes (`/activity`,
//! `/entities/query/42`, …) so that any address of the app can be opened and
//! bookmarked. Unknown `/api` paths keep the API's JSON 404.

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use trail_web::Asset;

use crate::error::ApiError;

/// Only the app's own files run, and it talks only to this server: no inline
/// scripts or styles, no other origins, no framing.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
    style-src 'self'; img-src 'self'; font-src 'self'; connect-src 'self'; object-src 'none'; \
    base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// The page names the current assets: browsers must ask each time (a cheap 304).
const REVALIDATE: &str = "no-cache";

/// The router's fallback: the app for GET and HEAD outside `/api`, the API's 404 otherwise.
pub async fn fallback(method: Method, uri: Uri, headers: HeaderMap) -> Response {
    let path = uri.path();
    let is_api = path == "/api" || path.starts_with("/api/");
    if is_api || (method != Method::GET && method != Method::HEAD) {
        return ApiError::NotFound("no such endpoint; see /api/openapi.json".into())
            .into_response();
    }
    let asset = match trail_web::find(path) {
        Some(asset) => asset,
        // A file that is not there (an old build's chunk) must fail as a file
        // does, not load the page in its place.
        None if is_file_path(path) => return missing_file(),
        None => trail_web::index(),
    };
    respond(asset, &headers, method == Method::HEAD)
}

/// Paths of files rather than of the app's routes: built chunks, and
/// top-level names with an extension (`/favicon.ico`, `/robots.txt`).
fn is_file_path(path: &str) -> bool {
    if path.starts_with("/assets/") {
        return true;
    }
    let rest = path.trim_start_matches('/');
    !rest.contains('/') && rest.contains('.')
}

fn missing_file() -> Response {
    let mut r = (StatusCode::NOT_FOUND, "not found\n").into_response();
    security_headers(r.headers_mut());
    r
}

fn respond(asset: &'static Asset, request: &HeaderMap, head_only: bool) -> Response {
    let compressed = asset.brotli.filter(|_| accepts_brotli(request));
    // Each encoding is another representation, with an ETag of its own.
    let etag = match compressed {
        Some(_) => format!("{}-br\"", asset.etag.trim_end_matches('"')),
        None => asset.etag.to_string(),
    };
    let mut response = if matches_etag(request, &etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let body = compressed.unwrap_or(asset.body);
        let mut r = Response::new(if head_only {
            Body::empty()
        } else {
            Body::from(body)
        });
        let h = r.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(asset.content_type),
        );
        h.insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
        if compressed.is_some() {
            h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("br"));
        }
        r
    };
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    let cache = if asset.immutable {
        IMMUTABLE
    } else {
        REVALIDATE
    };
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    if asset.brotli.is_some() {
        h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    security_headers(h);
    response
}

fn security_headers(h: &mut HeaderMap) {
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
}

/// Whether `Accept-Encoding` lists `br` with a quality above zero.
fn accepts_brotli(request: &HeaderMap) -> bool {
    request
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|item| {
            let mut parts = item.split(';').map(str::trim);
            let name = parts.next().unwrap_or_default();
            let zero = parts.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q == 0.0)
            });
            name.eq_ignore_ascii_case("br") && !zero
        })
}

fn matches_etag(request: &HeaderMap, etag: &str) -> bool {
    request
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == etag || t == "*")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(header::HeaderName, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn brotli_when_asked_for_and_not_refused() {
        assert!(accepts_brotli(&headers(&[(
            header::ACCEPT_ENCODING,
            "gzip, deflate, br, zstd"
        )])));
        assert!(accepts_brotli(&headers(&[(
            header::ACCEPT_ENCODING,
            "BR;q=0.5"
        )])));
        assert!(!accepts_brotli(&headers(&[(
            header::ACCEPT_ENCODING,
            "br;q=0, gzip"
        )])));
        assert!(!accepts_brotli(&headers(&[(
            header::ACCEPT_ENCODING,
            "gzip"
        )])));
        assert!(!accepts_brotli(&HeaderMap::new()));
    }

    #[test]
    fn etags_match_weak_lists_and_star() {
        let h = headers(&[(header::IF_NONE_MATCH, "\"a\", W/\"b\"")]);
        assert!(matches_etag(&h, "\"b\""));
        assert!(!matches_etag(&h, "\"c\""));
        assert!(matches_etag(
            &headers(&[(header::IF_NONE_MATCH, "*")]),
            "\"c\""
        ));
    }

    #[test]
    fn files_and_routes_are_told_apart() {
        assert!(is_file_path("/assets/index-0123.js"));
        assert!(is_file_path("/favicon.ico"));
        assert!(!is_file_path("/activity"));
        assert!(!is_file_path("/entities/file/report.csv"));
        assert!(!is_file_path("/"));
    }
}
