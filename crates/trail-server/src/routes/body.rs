//! Reading request bodies within a limit.

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap};
use bytes::BytesMut;
use futures::StreamExt;

use crate::error::ApiError;

/// How far past the limit an upload is still read before answering 413.
const DRAIN_FACTOR: usize = 4;

/// Reads a body of at most `limit` bytes.
///
/// A larger body is still read to its end (up to `DRAIN_FACTOR` times the
/// limit) and discarded before the 413 goes out: a server that answers and
/// closes in the middle of an upload makes most clients report a broken pipe
/// instead of the answer. Bodies declared larger than that are refused at once.
pub async fn read_limited(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
) -> Result<Bytes, ApiError> {
    let too_large =
        || ApiError::PayloadTooLarge(format!("the body exceeds the limit of {limit} bytes"));
    let drain_limit = limit.saturating_mul(DRAIN_FACTOR);
    if declared_length(headers).is_some_and(|n| n > drain_limit) {
        return Err(too_large());
    }
    let mut stream = body.into_data_stream();
    let mut kept = BytesMut::new();
    let mut seen = 0usize;
    while let Some(chunk) = stream.next().await {
        let chunk =
            chunk.map_err(|e| ApiError::BadRequest(format!("the body could not be read: {e}")))?;
        seen = seen.saturating_add(chunk.len());
        if seen > drain_limit {
            return Err(too_large());
        }
        if seen <= limit {
            kept.extend_from_slice(&chunk);
        }
    }
    if seen > limit {
        return Err(too_large());
    }
    Ok(kept.freeze())
}

fn declared_length(headers: &HeaderMap) -> Option<usize> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}
