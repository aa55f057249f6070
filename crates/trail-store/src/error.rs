use thiserror::Error;

/// Failures of a store operation.
#[derive(Debug, Error)]
pub enum StoreError {
    /// A name or id that must be unique already exists.
    #[error("{0} already exists")]
    AlreadyExists(String),
    /// Something referred to does not exist.
    #[error("{0} not found")]
    NotFound(String),
    /// The database could not be reached or refused the operation.
    #[error("database error: {0}")]
    Database(String),
    /// Stored data that cannot be read back (a bug or a tampered row).
    #[error("corrupt row: {0}")]
    Corrupt(String),
}

pub type StoreResult<T> = Result<T, StoreError>;
