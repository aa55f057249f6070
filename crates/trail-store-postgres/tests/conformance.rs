//! The store conformance suite against a real PostgreSQL server, each test in a
//! database of its own.
//!
//! The server is `TRAIL_TEST_POSTGRES_URL` (default
//! `postgres://postgres:postgres@127.0.0.1:5432/postgres`); its user must be allowed
//! to create databases. Without a reachable server the tests pass vacuously with a
//! note on stderr, except under `CI=true`, where they fail.

mod common;

use std::sync::Arc;

use trail_store::Store;

// Each test returns early (and passes) when there is no server; see `common`.
trail_store::conformance_tests!({
    let Some(store) = common::fresh_postgres().await else {
        return;
    };
    std::future::ready(Arc::new(store) as Arc<dyn Store>)
});
