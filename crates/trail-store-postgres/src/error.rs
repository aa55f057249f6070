//! Turning driver and pool errors into `StoreError`s.

use std::error::Error as StdError;

use tokio_postgres::error::SqlState;
use trail_store::StoreError;

/// Maps a driver error; unique and foreign-key violations name the constraint.
pub(crate) fn db(e: tokio_postgres::Error) -> StoreError {
    let subject = e
        .as_db_error()
        .and_then(|d| d.constraint().or(d.table()))
        .unwrap_or("row")
        .to_string();
    classify(e, subject)
}

/// Like `db`, but says what was duplicate or missing (`account "acme"`), for callers
/// that know which constraint a statement can violate.
pub(crate) fn db_about(
    subject: impl Into<String>,
) -> impl FnOnce(tokio_postgres::Error) -> StoreError {
    move |e| classify(e, subject.into())
}

fn classify(e: tokio_postgres::Error, subject: String) -> StoreError {
    match e.as_db_error() {
        Some(d) if *d.code() == SqlState::UNIQUE_VIOLATION => StoreError::AlreadyExists(subject),
        Some(d) if *d.code() == SqlState::FOREIGN_KEY_VIOLATION => StoreError::NotFound(subject),
        Some(d) => StoreError::Database(format!("{} (SQLSTATE {})", d.message(), d.code().code())),
        None => StoreError::Database(chain(&e)),
    }
}

pub(crate) fn pool(e: deadpool_postgres::PoolError) -> StoreError {
    StoreError::Database(format!("no database connection: {}", chain(&e)))
}

pub(crate) fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(what.to_string())
}

/// The error and its causes: the driver's own messages are terse ("db error",
/// "error connecting to server") and the useful part is in the source.
pub(crate) fn chain(e: &dyn StdError) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let more = s.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = s.source();
    }
    text
}
