//! Schema migrations, embedded in the binary and applied at connect.

use deadpool_postgres::Client;
use trail_store::StoreResult;

use crate::error::db;

/// Every migration, by version. Append only: an applied migration is never edited.
const MIGRATIONS: &[(i32, &str)] = &[
    (1, include_str!("../migrations/0001_events.sql")),
    (2, include_str!("../migrations/0002_search.sql")),
    (3, include_str!("../migrations/0003_entities.sql")),
    (4, include_str!("../migrations/0004_text.sql")),
    (5, include_str!("../migrations/0005_settings.sql")),
    (6, include_str!("../migrations/0006_people.sql")),
    (7, include_str!("../migrations/0007_filters.sql")),
    (8, include_str!("../migrations/0008_usage.sql")),
    (9, include_str!("../migrations/0009_error_sessions.sql")),
    (10, include_str!("../migrations/0010_usage_partitions.sql")),
    (11, include_str!("../migrations/0011_cells_by_cuboid.sql")),
    (12, include_str!("../migrations/0012_bucket_versions.sql")),
    (13, include_str!("../migrations/0013_session_starts.sql")),
];

/// The advisory lock that serialises migrations ("trail" in ASCII), so servers
/// starting together do not apply the same migration twice.
const LOCK_KEY: i64 = 0x74_72_61_69_6c;

const CREATE_LEDGER: &str = "CREATE TABLE IF NOT EXISTS trail_migrations (
    version     int PRIMARY KEY,
    applied_at  timestamptz NOT NULL
)";

/// Applies the migrations the database lacks, each in its own transaction.
pub(crate) async fn run(client: &mut Client) -> StoreResult<()> {
    for &(version, sql) in MIGRATIONS {
        apply(client, version, sql).await?;
    }
    Ok(())
}

async fn apply(client: &mut Client, version: i32, sql: &str) -> StoreResult<()> {
    let tx = client.transaction().await.map_err(db)?;
    // Taken before reading the ledger: a server that waited here sees the version
    // another one just applied.
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK_KEY])
        .await
        .map_err(db)?;
    tx.batch_execute(CREATE_LEDGER).await.map_err(db)?;
    let applied = tx
        .query_opt(
            "SELECT 1 FROM trail_migrations WHERE version = $1",
            &[&version],
        )
        .await
        .map_err(db)?
        .is_some();
    if !applied {
        tracing::info!(version, "applying PostgreSQL migration");
        tx.batch_execute(sql).await.map_err(db)?;
        tx.execute(
            "INSERT INTO trail_migrations (version, applied_at) VALUES ($1, now())",
            &[&version],
        )
        .await
        .map_err(db)?;
    }
    tx.commit().await.map_err(db)
}
