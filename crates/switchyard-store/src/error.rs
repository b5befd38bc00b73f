//! `StoreError`, the persistence layer's one error type, and the mapping of constraint
//! violations (read from `sqlx::Error::Database(e).kind()`, the same on both backends).

use sqlx::error::ErrorKind as DbErrorKind;

/// Why a store operation failed.
///
/// Constraint violations become domain errors: a unique violation is [`StoreError::Conflict`];
/// a foreign-key violation is [`StoreError::Conflict`] when a write names a row that does not
/// exist (a model for a missing provider) and [`StoreError::InUse`] when a delete would
/// orphan rows that still refer to it.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The write collides with existing data (a duplicate name, a missing referenced row).
    #[error("conflict: {0}")]
    Conflict(String),
    /// The row is still referenced and cannot be deleted.
    #[error("in use: {0}")]
    InUse(String),
    /// A stored row cannot be turned into its domain type (unknown enum name, bad JSON).
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// The connection settings are unusable (for example an unsupported URL scheme).
    #[error("store configuration: {0}")]
    Config(String),
    /// Any other database failure.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// Applying the schema migrations failed.
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// The constraint a database error violated, if it is one we map.
fn violation(err: &sqlx::Error) -> Option<DbErrorKind> {
    match err {
        sqlx::Error::Database(db) => match db.kind() {
            kind @ (DbErrorKind::UniqueViolation | DbErrorKind::ForeignKeyViolation) => Some(kind),
            _ => None,
        },
        _ => None,
    }
}

impl StoreError {
    /// Maps an insert or update failure: unique → `Conflict(duplicate())`, foreign key →
    /// `Conflict(missing())`, anything else → `Database`.
    pub(crate) fn on_write(
        err: sqlx::Error,
        duplicate: impl FnOnce() -> String,
        missing: impl FnOnce() -> String,
    ) -> Self {
        match violation(&err) {
            Some(DbErrorKind::UniqueViolation) => Self::Conflict(duplicate()),
            Some(DbErrorKind::ForeignKeyViolation) => Self::Conflict(missing()),
            _ => Self::Database(err),
        }
    }

    /// Maps a delete failure: foreign key → `InUse(in_use())`, anything else → `Database`.
    pub(crate) fn on_delete(err: sqlx::Error, in_use: impl FnOnce() -> String) -> Self {
        match violation(&err) {
            Some(DbErrorKind::ForeignKeyViolation) => Self::InUse(in_use()),
            _ => Self::Database(err),
        }
    }
}
