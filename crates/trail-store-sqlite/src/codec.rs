//! Conversions between SQLite values and domain values.

use chrono::{DateTime, Utc};
use rusqlite::ErrorCode;
use trail_store::StoreError;

pub fn micros(t: &DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

pub fn from_micros(v: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(v).unwrap_or_default()
}

pub fn opt_from_micros(v: Option<i64>) -> Option<DateTime<Utc>> {
    v.map(from_micros)
}

/// Maps constraint violations to the store's meaning of them.
pub fn db_error(e: rusqlite::Error) -> StoreError {
    if let rusqlite::Error::SqliteFailure(f, msg) = &e {
        let msg = msg.clone().unwrap_or_default();
        if f.code == ErrorCode::ConstraintViolation {
            return match f.extended_code {
                rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                | rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY => StoreError::AlreadyExists(msg),
                rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY => StoreError::NotFound(msg),
                _ => StoreError::Database(msg),
            };
        }
    }
    StoreError::Database(e.to_string())
}

/// [`db_error`], naming `subject` instead of SQLite's constraint text when the
/// row already exists or what it refers to does not.
pub fn db_about(subject: impl Into<String>) -> impl FnOnce(rusqlite::Error) -> StoreError {
    move |e| match db_error(e) {
        StoreError::AlreadyExists(_) => StoreError::AlreadyExists(subject.into()),
        StoreError::NotFound(_) => StoreError::NotFound(subject.into()),
        other => other,
    }
}

/// Parses a stored enum-like text column.
pub fn parse_col<T: std::str::FromStr<Err = String>>(text: &str) -> Result<T, StoreError> {
    text.parse().map_err(StoreError::Corrupt)
}
