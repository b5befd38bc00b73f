//! The config file seeds the database (upsert by name, literal keys encrypted), and
//! /ready turns 503 when the database goes away.

use serde_json::Value;
use switchyard_testkit::{Backend, TestApp};

const CATALOG: &str = r#"
[[providers]]
name = "local"
kind = "mock"
api_key = "literal-secret-value-123"
max_concurrency = 7
options = { latency_ms = 1 }

[[models]]
name = "local-chat"
provider = "local"
upstream_name = "llama-3"
capabilities = ["stream"]
input_cost_per_mtok = 0.25

[[groups]]
name = "everyday"
strategy = "round_robin"
members = [{ model = "local-chat" }]
"#;

async fn seeds_the_catalog(backend: Backend) {
    let Some(app) = TestApp::start_with(backend, CATALOG).await else {
        return;
    };
    let providers: Value = app
        .get("/api/v1/admin/providers")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = providers["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["local"],
        "the file's catalog replaces the built-in mock"
    );
    assert_eq!(providers["data"][0]["max_concurrency"], 7);
    assert_eq!(providers["data"][0]["has_api_key"], true);
    assert!(!providers.to_string().contains("literal-secret"));
    let models: Value = app
        .get("/api/v1/admin/models")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(models["data"][0]["upstream_name"], "llama-3");
    assert_eq!(models["data"][0]["input_cost_per_mtok"], 0.25);
    let groups: Value = app
        .get("/api/v1/admin/groups")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(groups["data"][0]["strategy"], "round_robin");

    // Seeding again (as a restart does) updates in place: same ids, no duplicates.
    let id = providers["data"][0]["id"].clone();
    let config = switchyard::config::load_str(CATALOG, &|_| None).unwrap();
    switchyard::bootstrap::seed(&app.state.store, &app.state.secrets, &config)
        .await
        .unwrap();
    let again: Value = app
        .get("/api/v1/admin/providers")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(again["pagination"]["total"], 1);
    assert_eq!(again["data"][0]["id"], id);
    let r = app
        .post("/v1/chat/completions")
        .json(&serde_json::json!({"model": "everyday", "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-switchyard-provider"], "local");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_seeds_the_catalog_sqlite() {
    seeds_the_catalog(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_seeds_the_catalog_postgres() {
    seeds_the_catalog(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ready_is_503_when_the_database_is_gone() {
    let Some(app) = TestApp::start(Backend::Postgres).await else {
        return;
    };
    assert_eq!(
        app.client
            .get(app.url("/ready"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let name = app.db_url.rsplit('/').next().unwrap().to_string();
    let admin = std::env::var("SWITCHYARD_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| switchyard_store::testing::DEFAULT_POSTGRES_URL.to_string());
    sqlx::any::install_default_drivers();
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&admin)
        .await
        .unwrap();
    sqlx::query(&format!("DROP DATABASE \"{name}\" WITH (FORCE)"))
        .execute(&mut conn)
        .await
        .unwrap();
    let r = app.client.get(app.url("/ready")).send().await.unwrap();
    assert_eq!(r.status(), 503);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["database"], false);
    // Liveness is unaffected.
    assert_eq!(
        app.client
            .get(app.url("/health"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}
