//! `Store`: the pool over either backend, connection set-up, migrations, and the way to
//! every repository. The backend is chosen once, from the URL scheme, at connect time.

use std::sync::Once;
use std::time::Duration;

use sqlx::any::AnyPoolOptions;
use sqlx::migrate::Migrator;
use sqlx::{Any, AnyPool, Connection, Transaction};

use crate::{
    ApiKeys, Groups, Media, Models, Providers, Quotas, StoreError, Tasks, Teams, Usage, Users,
};

static INSTALL_DRIVERS: Once = Once::new();
static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

/// Which database a [`Store`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    /// An embedded SQLite file (`sqlite://PATH`).
    Sqlite,
    /// A PostgreSQL server (`postgres://…` or `postgresql://…`).
    Postgres,
}

impl Backend {
    /// The backend a database URL selects, from its scheme alone.
    pub fn from_url(url: &str) -> Result<Self, StoreError> {
        let Some((scheme, _)) = url.split_once(':') else {
            return Err(StoreError::Config(
                "database URL has no scheme; expected sqlite:// or postgres://".to_owned(),
            ));
        };
        match scheme {
            "sqlite" => Ok(Self::Sqlite),
            "postgres" | "postgresql" => Ok(Self::Postgres),
            other => Err(StoreError::Config(format!(
                "unsupported database URL scheme `{other}`; expected sqlite:// or postgres://"
            ))),
        }
    }

    /// The backend's lowercase name, for logs and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

/// The persistence handle: cheap to clone, shared by every service.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

impl Store {
    /// Connects to `sqlite://PATH` (file created if missing; WAL, foreign keys, 5 s busy timeout)
    /// or `postgres://…` with a pool of at most `max_connections` connections.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self, StoreError> {
        install_drivers();
        let backend = Backend::from_url(url)?;
        let mut options = AnyPoolOptions::new()
            .max_connections(max_connections.max(1))
            .acquire_timeout(Duration::from_secs(10));
        let url = match backend {
            Backend::Postgres => url.to_owned(),
            Backend::Sqlite => {
                let url = sqlite_url(url);
                if is_memory(&url) {
                    // Every connection to `:memory:` is its own database: keep exactly one.
                    options = options
                        .max_connections(1)
                        .min_connections(1)
                        .idle_timeout(None)
                        .max_lifetime(None);
                } else {
                    // WAL is a property of the file; set it once, before the pool races for it.
                    let mut conn = sqlx::AnyConnection::connect(&url).await?;
                    sqlx::query("PRAGMA journal_mode = WAL")
                        .execute(&mut conn)
                        .await?;
                    conn.close().await?;
                }
                options = options.after_connect(|conn, _meta| {
                    Box::pin(async move {
                        sqlx::query("PRAGMA foreign_keys = ON")
                            .execute(&mut *conn)
                            .await?;
                        sqlx::query("PRAGMA busy_timeout = 5000")
                            .execute(&mut *conn)
                            .await?;
                        // With WAL, NORMAL syncs at checkpoints instead of every commit:
                        // safe against crashes of the process (a power loss may lose the
                        // last commits), and it keeps commits from waiting on fsync.
                        sqlx::query("PRAGMA synchronous = NORMAL")
                            .execute(&mut *conn)
                            .await?;
                        Ok(())
                    })
                });
                url
            }
        };
        let pool = options.connect(&url).await?;
        tracing::debug!(backend = backend.as_str(), "store connected");
        Ok(Self { pool, backend })
    }

    /// Applies the backend's pending migrations; running it again is a no-op.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        let migrator = match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator.run(&self.pool).await?;
        Ok(())
    }

    /// Which database this store talks to.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Round-trips `SELECT 1`, for readiness probes.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Closes every connection; later calls fail.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// The underlying pool, for modules that need SQL of their own.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Begins a transaction that will write. SQLite takes the write lock up front
    /// (`BEGIN IMMEDIATE`), so the busy timeout applies instead of a failed lock upgrade.
    pub(crate) async fn begin_write(&self) -> Result<Transaction<'static, Any>, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.pool.begin().await,
        }
    }

    /// Upstream providers (`ai_providers`).
    pub fn providers(&self) -> Providers<'_> {
        Providers::new(self)
    }

    /// Models served by providers (`ai_models`).
    pub fn models(&self) -> Models<'_> {
        Models::new(self)
    }

    /// Model groups and their members (`ai_groups`, `ai_group_members`).
    pub fn groups(&self) -> Groups<'_> {
        Groups::new(self)
    }

    /// Teams (`teams`).
    pub fn teams(&self) -> Teams<'_> {
        Teams::new(self)
    }

    /// Users (`users`).
    pub fn users(&self) -> Users<'_> {
        Users::new(self)
    }

    /// API keys, stored hashed (`api_keys`).
    pub fn api_keys(&self) -> ApiKeys<'_> {
        ApiKeys::new(self)
    }

    /// Durable image and video tasks (`ai_tasks`).
    pub fn tasks(&self) -> Tasks<'_> {
        Tasks::new(self)
    }

    /// Files stored for byte results (`ai_media`).
    pub fn media(&self) -> Media<'_> {
        Media::new(self)
    }

    /// Usage records (`usage_records`).
    pub fn usage(&self) -> Usage<'_> {
        Usage::new(self)
    }

    /// Quotas (`quotas`).
    pub fn quotas(&self) -> Quotas<'_> {
        Quotas::new(self)
    }
}

/// Registers the SQLite and PostgreSQL drivers with `Any`, once per process.
pub(crate) fn install_drivers() {
    INSTALL_DRIVERS.call_once(sqlx::any::install_default_drivers);
}

/// Adds `mode=rwc` to a SQLite URL that names no mode, so a missing file is created.
fn sqlite_url(url: &str) -> String {
    let has_mode = url
        .split_once('?')
        .is_some_and(|(_, query)| query.split('&').any(|pair| pair.starts_with("mode=")));
    if has_mode || is_memory(url) {
        return url.to_owned();
    }
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}mode=rwc")
}

/// Whether a SQLite URL names an in-memory database.
fn is_memory(url: &str) -> bool {
    url.contains(":memory:") || url.contains("mode=memory")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_get_rwc_unless_they_name_a_mode() {
        assert_eq!(
            sqlite_url("sqlite:///tmp/a.db"),
            "sqlite:///tmp/a.db?mode=rwc"
        );
        assert_eq!(
            sqlite_url("sqlite://a.db?cache=shared"),
            "sqlite://a.db?cache=shared&mode=rwc"
        );
        assert_eq!(sqlite_url("sqlite://a.db?mode=ro"), "sqlite://a.db?mode=ro");
        assert_eq!(sqlite_url("sqlite::memory:"), "sqlite::memory:");
    }

    #[test]
    fn unknown_schemes_are_config_errors_naming_the_scheme() {
        assert_eq!(Backend::from_url("sqlite://x").ok(), Some(Backend::Sqlite));
        assert_eq!(
            Backend::from_url("postgresql://h/db").ok(),
            Some(Backend::Postgres)
        );
        let err = Backend::from_url("mysql://root:pw@h/db");
        assert!(matches!(
            Backend::from_url("no-scheme"),
            Err(StoreError::Config(_))
        ));
        assert!(
            matches!(&err, Err(StoreError::Config(m)) if m.contains("`mysql`") && !m.contains("pw")),
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn connect_refuses_other_schemes() {
        let err = Store::connect("mysql://localhost/db", 1).await;
        assert!(
            matches!(&err, Err(StoreError::Config(m)) if m.contains("`mysql`")),
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn in_memory_sqlite_keeps_one_database() {
        let store = Store::connect("sqlite::memory:", 8).await;
        assert!(store.is_ok(), "{store:?}");
        let Ok(store) = store else { return };
        assert!(store.migrate().await.is_ok());
        // A second statement must see the tables the first created (same connection).
        let count = sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM ai_providers")
            .fetch_one(store.pool())
            .await;
        assert_eq!(count.ok(), Some(0));
        store.close().await;
        assert!(store.ping().await.is_err());
    }
}
