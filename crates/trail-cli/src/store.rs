//! Choosing and opening a store from a `--database` value.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use trail_store::Store;
use trail_store_postgres::PostgresStore;
use trail_store_sqlite::SqliteStore;

/// Where the data lives; shared by every command that opens a store directly.
#[derive(Args, Debug, Clone)]
pub struct StoreArgs {
    /// Directory for the embedded database and other files.
    #[arg(long, env = "TRAIL_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// `postgres://user:pass@host/db`, `sqlite://path/to/file.db` or a file path.
    /// Default: the SQLite file trail.db in the data directory.
    #[arg(long, env = "TRAIL_DATABASE")]
    pub database: Option<String>,
}

pub const DEFAULT_DATA_DIR: &str = "trail-data";

/// The database a value names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Database {
    Sqlite(PathBuf),
    Postgres(String),
}

impl Database {
    pub fn resolve(database: Option<&str>, data_dir: &Path) -> Database {
        match database {
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                Database::Postgres(url.into())
            }
            Some(url) => {
                Database::Sqlite(PathBuf::from(url.strip_prefix("sqlite://").unwrap_or(url)))
            }
            None => Database::Sqlite(data_dir.join("trail.db")),
        }
    }

    /// For logs: the URL without its password.
    pub fn describe(&self) -> String {
        match self {
            Database::Sqlite(p) => format!("sqlite {}", p.display()),
            Database::Postgres(url) => format!("postgres {}", redact_password(url)),
        }
    }

    pub async fn open(&self) -> anyhow::Result<Arc<dyn Store>> {
        Ok(match self {
            Database::Sqlite(path) => Arc::new(
                SqliteStore::open(path).with_context(|| format!("opening {}", path.display()))?,
            ),
            Database::Postgres(url) => Arc::new(
                PostgresStore::connect(url)
                    .await
                    .with_context(|| format!("connecting to {}", redact_password(url)))?,
            ),
        })
    }
}

impl StoreArgs {
    pub fn database(&self) -> Database {
        let dir = self
            .data_dir
            .clone()
            .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR));
        Database::resolve(self.database.as_deref(), &dir)
    }
}

pub fn redact_password(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_urls_and_paths() {
        let dir = Path::new("data");
        assert_eq!(
            Database::resolve(None, dir),
            Database::Sqlite("data/trail.db".into())
        );
        assert_eq!(
            Database::resolve(Some("sqlite://x.db"), dir),
            Database::Sqlite("x.db".into())
        );
        assert_eq!(
            Database::resolve(Some("/tmp/y.db"), dir),
            Database::Sqlite("/tmp/y.db".into())
        );
        assert!(matches!(
            Database::resolve(Some("postgres://u@h/d"), dir),
            Database::Postgres(_)
        ));
    }

    #[test]
    fn passwords_never_reach_logs() {
        assert_eq!(
            redact_password("postgres://trail:s3cret@db:5432/trail"),
            "postgres://trail:***@db:5432/trail"
        );
        assert_eq!(
            redact_password("postgres://trail@db/trail"),
            "postgres://trail@db/trail"
        );
    }
}
