//! For tests of this crate and of others (the server's API tests): a fresh
//! database per test on the server at `TRAIL_TEST_POSTGRES_URL`.

use std::error::Error;

use crate::PostgresStore;

pub const DEFAULT_URL: &str = "postgres://postgres:postgres@127.0.0.1:5432/postgres";

/// A new, empty database, as a URL; `None` when there is no server to test against
/// (a panic instead under `CI=true`, so CI cannot pass without testing).
pub async fn fresh_database() -> Option<String> {
    let url = std::env::var("TRAIL_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_URL.to_string());
    let admin = match connect(&url).await {
        Ok(client) => client,
        Err(e) if std::env::var("CI").as_deref() == Ok("true") => {
            panic!(
                "PostgreSQL is required under CI=true, but {url} is unreachable: {}",
                describe(&e)
            )
        }
        Err(e) => {
            eprintln!(
                "note: skipping, no PostgreSQL at {url} ({}); set TRAIL_TEST_POSTGRES_URL",
                describe(&e)
            );
            return None;
        }
    };
    drop_abandoned(&admin).await;
    let name = format!(
        "trail_test_{}_{}",
        std::process::id(),
        uuid::Uuid::new_v4().simple()
    );
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create the test database");
    Some(with_dbname(&url, &name))
}

/// Drops the databases of test processes that have ended (their number is in
/// the name), so that test runs do not fill the disk. A database still in use
/// refuses to go; that error is ignored.
async fn drop_abandoned(admin: &tokio_postgres::Client) {
    let Ok(rows) = admin
        .query(
            "SELECT datname FROM pg_database WHERE datname LIKE 'trail\\_test\\_%'",
            &[],
        )
        .await
    else {
        return;
    };
    for row in rows {
        let name: String = row.get(0);
        let pid = name.split('_').nth(2).and_then(|p| p.parse::<u32>().ok());
        let alive = pid.is_some_and(|p| std::path::Path::new(&format!("/proc/{p}")).exists());
        if !alive {
            let _ = admin
                .batch_execute(&format!("DROP DATABASE IF EXISTS {name}"))
                .await;
        }
    }
}

/// A store on a new, empty database.
pub async fn fresh_postgres() -> Option<PostgresStore> {
    let url = fresh_database().await?;
    Some(
        PostgresStore::connect(&url)
            .await
            .expect("connect to the test database"),
    )
}

async fn connect(url: &str) -> Result<tokio_postgres::Client, tokio_postgres::Error> {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
    tokio::spawn(connection);
    Ok(client)
}

fn describe(e: &dyn Error) -> String {
    match e.source() {
        Some(cause) => format!("{e}: {}", describe(cause)),
        None => e.to_string(),
    }
}

/// `url` pointing at database `name`, in either connection-string style.
pub fn with_dbname(url: &str, name: &str) -> String {
    if !url.starts_with("postgres://") && !url.starts_with("postgresql://") {
        return format!("{url} dbname={name}");
    }
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    let query = query.map(|q| format!("?{q}")).unwrap_or_default();
    format!("{}/{name}{query}", &base[..host_end])
}

#[cfg(test)]
#[test]
fn dbname_replaces_the_url_path() {
    assert_eq!(
        with_dbname("postgres://u:p@h:5432/postgres", "t"),
        "postgres://u:p@h:5432/t"
    );
    assert_eq!(
        with_dbname("postgresql://h?sslmode=disable", "t"),
        "postgresql://h/t?sslmode=disable"
    );
    assert_eq!(
        with_dbname("host=/var/run/postgresql user=postgres", "t"),
        "host=/var/run/postgresql user=postgres dbname=t"
    );
}
