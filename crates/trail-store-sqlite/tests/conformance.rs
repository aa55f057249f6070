//! The shared conformance suite against the embedded store, each test on a fresh file.

use std::sync::Arc;

use trail_store::Store;
use trail_store_sqlite::SqliteStore;

async fn fresh_store() -> Arc<dyn Store> {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(dir.path().join("trail.db")).expect("open store");
    // The directory must outlive the test; the OS cleans /tmp.
    std::mem::forget(dir);
    Arc::new(store)
}

trail_store::conformance_tests!(fresh_store());
