//! Test support, compiled only with the `testing` feature (tests enable it): [`TestDb`] hands each test a
//! fresh, migrated database — a SQLite file in a temporary directory, or a PostgreSQL
//! database created for the test and dropped (`WITH (FORCE)`) when the `TestDb` is dropped.

use std::time::Duration;

use sqlx::{AnyConnection, Connection};
use tempfile::TempDir;

use crate::{Backend, Store};

/// Admin URL used when `SWITCHYARD_TEST_POSTGRES_URL` is unset.
pub const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// Pool size of a test store.
const TEST_POOL_SIZE: u32 = 5;

/// A fresh migrated database for one test; dropping it removes the database.
pub struct TestDb {
    store: Store,
    url: String,
    /// Keeps the SQLite file's directory alive.
    _dir: Option<TempDir>,
    /// `(admin URL, database name)` of a PostgreSQL database to drop.
    postgres: Option<(String, String)>,
}

impl TestDb {
    /// A migrated SQLite database in a new temporary directory.
    ///
    /// # Panics
    /// When the directory, the connection or the migrations fail.
    #[expect(
        clippy::panic,
        reason = "test support: a database that cannot be set up fails the test"
    )]
    pub async fn sqlite() -> Self {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("cannot create a temp dir: {e}"));
        let url = format!("sqlite://{}", dir.path().join("switchyard.db").display());
        let store = Store::connect(&url, TEST_POOL_SIZE)
            .await
            .unwrap_or_else(|e| panic!("cannot open test SQLite database: {e}"));
        store
            .migrate()
            .await
            .unwrap_or_else(|e| panic!("cannot migrate test SQLite database: {e}"));
        Self {
            store,
            url,
            _dir: Some(dir),
            postgres: None,
        }
    }

    /// A migrated PostgreSQL database `sy_test_<uuid>` created through the admin URL in
    /// `SWITCHYARD_TEST_POSTGRES_URL` (default [`DEFAULT_POSTGRES_URL`]). `None` when the
    /// server is unreachable, so the test can skip.
    ///
    /// # Panics
    /// When the server is unreachable and `CI=true`, or when creating or migrating the
    /// database fails.
    #[expect(
        clippy::panic,
        reason = "test support: a database that cannot be set up fails the test"
    )]
    pub async fn postgres() -> Option<Self> {
        crate::store::install_drivers();
        let admin_url = std::env::var("SWITCHYARD_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned());
        let connected =
            tokio::time::timeout(Duration::from_secs(5), AnyConnection::connect(&admin_url)).await;
        let mut admin = match connected {
            Ok(Ok(conn)) => conn,
            Ok(Err(e)) => return unreachable(&e.to_string()),
            Err(_) => return unreachable("timed out after 5 s"),
        };
        let name = format!("sy_test_{}", uuid::Uuid::now_v7().simple());
        // An identifier cannot be bound; the name is ours, `sy_test_` and 32 hex digits.
        let create = format!("CREATE DATABASE {name}");
        sqlx::query(&create)
            .execute(&mut admin)
            .await
            .unwrap_or_else(|e| panic!("cannot create test database {name}: {e}"));
        let _ = admin.close().await;
        let postgres = Some((admin_url.clone(), name.clone()));
        let Some(url) = with_database(&admin_url, &name) else {
            panic!("SWITCHYARD_TEST_POSTGRES_URL is not a postgres://host/db URL");
        };
        let store = Store::connect(&url, TEST_POOL_SIZE)
            .await
            .unwrap_or_else(|e| panic!("cannot connect to test database {name}: {e}"));
        let db = Self {
            store,
            url,
            _dir: None,
            postgres,
        };
        db.store
            .migrate()
            .await
            .unwrap_or_else(|e| panic!("cannot migrate {name}: {e}"));
        Some(db)
    }

    /// The store over this database.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The database URL, for starting other components (such as the gateway) on it.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Which backend this database uses.
    pub fn backend(&self) -> Backend {
        self.store.backend()
    }
}

/// Skips (returns `None`) when PostgreSQL is unreachable, or panics under CI.
#[expect(
    clippy::panic,
    reason = "under CI an unreachable database fails the test"
)]
fn unreachable(reason: &str) -> Option<TestDb> {
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("PostgreSQL is unreachable under CI: {reason}");
    }
    eprintln!("PostgreSQL unreachable ({reason}); skipping (set SWITCHYARD_TEST_POSTGRES_URL)");
    None
}

/// `url` with its database (path) replaced by `database`, query kept.
fn with_database(url: &str, database: &str) -> Option<String> {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority = base.find("://")? + 3;
    let end = base[authority..]
        .find('/')
        .map_or(base.len(), |i| authority + i);
    let mut out = format!("{}/{database}", &base[..end]);
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    Some(out)
}

impl std::fmt::Debug for TestDb {
    /// Names the backend and database only: URLs may carry a password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let database = match (&self.postgres, &self._dir) {
            (Some((_, name)), _) => name.clone(),
            (None, Some(dir)) => dir.path().display().to_string(),
            (None, None) => String::new(),
        };
        f.debug_struct("TestDb")
            .field("backend", &self.backend())
            .field("database", &database)
            .finish()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((admin_url, name)) = self.postgres.take() else {
            return;
        };
        // Drop may run inside the test's runtime, which cannot be blocked on: use a thread
        // with its own runtime, and wait so the database is gone when the test ends.
        let dropper = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async move {
                if let Ok(mut admin) = AnyConnection::connect(&admin_url).await {
                    let drop = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                    let _ = sqlx::query(&drop).execute(&mut admin).await;
                    let _ = admin.close().await;
                }
            });
        });
        let _ = dropper.join();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_is_replaced_in_the_url() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/test", "x").as_deref(),
            Some("postgres://postgres@127.0.0.1:5432/x")
        );
        assert_eq!(
            with_database("postgres://u:p@h/test?sslmode=disable", "x").as_deref(),
            Some("postgres://u:p@h/x?sslmode=disable")
        );
        assert_eq!(
            with_database("postgres://h:5432", "x").as_deref(),
            Some("postgres://h:5432/x")
        );
    }
}
