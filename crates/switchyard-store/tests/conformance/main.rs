//! The store conformance suite: every case runs against SQLite and PostgreSQL, each on a
//! fresh migrated database. PostgreSQL cases skip (with a line on stderr) when the server is
//! unreachable, except under `CI=true`, where they fail.
#![expect(
    clippy::unwrap_used,
    clippy::panic,
    reason = "integration tests: a failed assumption is a failed test (clippy.toml allows the same in #[test] functions and test modules)"
)]

/// Turns each `async fn case(store: Store)` into `#[tokio::test]`s `<case>_sqlite` and
/// `<case>_postgres`: `conformance! { case => case_sqlite, case_postgres; … }`.
macro_rules! conformance {
    ($($case:ident => $sqlite:ident, $postgres:ident;)+) => {
        $(
            #[tokio::test]
            async fn $sqlite() {
                let db = switchyard_store::testing::TestDb::sqlite().await;
                $case(db.store().clone()).await;
            }

            #[tokio::test]
            async fn $postgres() {
                let Some(db) = switchyard_store::testing::TestDb::postgres().await else {
                    eprintln!("skipped {}: PostgreSQL unreachable", stringify!($postgres));
                    return;
                };
                $case(db.store().clone()).await;
            }
        )+
    };
}

mod access;
mod catalog;
mod fixtures;
mod groups;
mod leases;
mod round_trips;
mod usage_report;
mod work;
