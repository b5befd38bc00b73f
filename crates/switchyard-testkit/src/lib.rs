//! Test support: [`TestApp`] starts a real gateway on an ephemeral port over a fresh
//! SQLite or PostgreSQL database, with a known admin key, for HTTP-level tests;
//! [`backend_tests!`] runs a test on both backends. Mock upstreams:
//! [`upstream::Upstream`] (a scripted OpenAI-format provider) and
//! [`fake_runway::FakeRunway`] (a Runway API that counts what it is sent);
//! [`webhook::Receiver`] keeps the webhooks it gets; [`client::Client`] acts as one user.

pub mod client;
pub mod fake_runway;
pub mod upstream;
pub mod webhook;

use switchyard::app::AppState;
use switchyard::config;
use switchyard_store::testing::TestDb;
use tokio_util::sync::CancellationToken;

pub use switchyard_store::Backend;

/// The bootstrap admin key every [`TestApp`] is started with.
pub const ADMIN_KEY: &str = "sy-test-admin-key-0123456789";

/// The master key every [`TestApp`] uses (base64 of 32 bytes).
pub const MASTER_KEY: &str = "c3dpdGNoeWFyZC10ZXN0LW1hc3Rlci1rZXktMzJieXQ=";

/// Redis for tests that need one (`SWITCHYARD_TEST_REDIS_URL`, default local).
pub fn redis_url() -> String {
    std::env::var("SWITCHYARD_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// A running gateway for one test.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    /// An HTTP client for calls with other credentials than the admin's.
    pub client: reqwest::Client,
    /// The running gateway's state (store, registry, governance…).
    pub state: AppState,
    /// The database URL the gateway uses (replicas share it).
    pub db_url: String,
    shutdown: CancellationToken,
    done: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    _dir: tempfile::TempDir,
    _db: Option<TestDb>,
}

impl TestApp {
    /// Start with the default configuration (the built-in mock provider).
    /// `None` when PostgreSQL is unreachable outside CI (the test is skipped).
    pub async fn start(backend: Backend) -> Option<Self> {
        Self::start_with(backend, "").await
    }

    /// Start with extra TOML configuration (providers, models, groups…).
    pub async fn start_with(backend: Backend, toml: &str) -> Option<Self> {
        let db = match backend {
            Backend::Sqlite => TestDb::sqlite().await,
            Backend::Postgres => TestDb::postgres().await?,
        };
        let db_url = db.url().to_string();
        Some(Self::launch(db_url, Some(db), toml).await)
    }

    /// Another gateway process-alike on this one's database (a replica), with extra TOML.
    pub async fn replica(&self, toml: &str) -> Self {
        Self::launch(self.db_url.clone(), None, toml).await
    }

    async fn launch(db_url: String, db: Option<TestDb>, toml: &str) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let text = format!(
            "[server]\ndata_dir = {:?}\n{toml}",
            dir.path().join("data").display().to_string()
        );
        let env_db = db_url.clone();
        let env = move |name: &str| -> Option<String> {
            match name {
                "SWITCHYARD_LISTEN" => Some("127.0.0.1:0".into()),
                "SWITCHYARD_DATABASE_URL" => Some(env_db.clone()),
                "SWITCHYARD_ADMIN_KEY" => Some(ADMIN_KEY.into()),
                // Shared by every test gateway, so replicas can read each other's secrets.
                "SWITCHYARD_MASTER_KEY" => Some(MASTER_KEY.into()),
                "SWITCHYARD_LOG" => Some("warn".into()),
                other => std::env::var(other).ok(),
            }
        };
        let config = match config::load_str(&text, &env) {
            Ok(c) => c,
            Err(e) => panic!("test configuration is invalid:\n{e}"),
        };
        let (running, _) = match switchyard::serve::start(config).await {
            Ok(r) => r,
            Err(e) => panic!("gateway failed to start: {e:#}"),
        };
        Self {
            base_url: format!("http://{}", running.addr),
            client: reqwest::Client::new(),
            state: running.state,
            db_url,
            shutdown: running.shutdown,
            done: Some(running.done),
            _dir: dir,
            _db: db,
        }
    }

    /// Absolute URL of a path.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// A GET authenticated as the bootstrap admin.
    pub fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.get(self.url(path)).bearer_auth(ADMIN_KEY)
    }

    /// A POST authenticated as the bootstrap admin.
    pub fn post(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.post(self.url(path)).bearer_auth(ADMIN_KEY)
    }

    /// A PATCH authenticated as the bootstrap admin.
    pub fn patch(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.patch(self.url(path)).bearer_auth(ADMIN_KEY)
    }

    /// A DELETE authenticated as the bootstrap admin.
    pub fn delete(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.delete(self.url(path)).bearer_auth(ADMIN_KEY)
    }

    /// Create a user and an API key of `role` for it through the admin API.
    /// Returns `(user_id, key_id, secret)`.
    pub async fn create_key(&self, role: &str) -> (String, String, String) {
        self.create_key_with(role, serde_json::json!({})).await
    }

    /// Like [`TestApp::create_key`], with extra fields of the key (for example
    /// `{"rate_limit_rpm": 3}` or `{"allowed_models": ["m"]}`) merged into the request.
    pub async fn create_key_with(
        &self,
        role: &str,
        extra: serde_json::Value,
    ) -> (String, String, String) {
        let user = self
            .post("/api/v1/admin/users")
            .json(&serde_json::json!({"name": format!("user-{}", uuid::Uuid::now_v7()), "role": role}))
            .send()
            .await
            .expect("create user");
        assert_eq!(user.status(), 201, "create user");
        let user: serde_json::Value = user.json().await.expect("user json");
        let user_id = user["id"].as_str().expect("user id").to_string();
        let mut body =
            serde_json::json!({"name": format!("{role} key"), "role": role, "user_id": user_id});
        for (k, v) in extra.as_object().expect("extra key fields are an object") {
            body[k] = v.clone();
        }
        let key = self
            .post("/api/v1/admin/keys")
            .json(&body)
            .send()
            .await
            .expect("create key");
        assert_eq!(key.status(), 201, "create key");
        let key: serde_json::Value = key.json().await.expect("key json");
        (
            user_id,
            key["id"].as_str().expect("key id").to_string(),
            key["secret"].as_str().expect("key secret").to_string(),
        )
    }

    /// A separate connection pool to the test database, usable after [`TestApp::stop`].
    pub fn db(&self) -> &switchyard_store::Store {
        match &self._db {
            Some(db) => db.store(),
            None => &self.state.store,
        }
    }

    /// Stop the gateway gracefully (draining requests and queued usage) and wait for it.
    pub async fn stop(&mut self) {
        self.shutdown.cancel();
        if let Some(done) = self.done.take() {
            let _ = done.await;
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// Generate one `#[tokio::test]` per backend (`<name>::sqlite`, `<name>::postgres`) for
/// each `async fn name(app: TestApp)`. `backend_tests!(a, b)` starts the gateway with the
/// default configuration; `backend_tests!(with CATALOG; a, b)` with the TOML in the
/// calling module's `CATALOG`. PostgreSQL cases skip when the server is unreachable,
/// except under `CI=true`, where they fail.
#[macro_export]
macro_rules! backend_tests {
    (with $config:ident; $($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    if let Some(app) =
                        $crate::TestApp::start_with($crate::Backend::Sqlite, super::$config).await
                    {
                        super::$name(app).await;
                    }
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    if let Some(app) =
                        $crate::TestApp::start_with($crate::Backend::Postgres, super::$config).await
                    {
                        super::$name(app).await;
                    } else {
                        eprintln!("skipped: PostgreSQL unreachable (set CI=true to fail instead)");
                    }
                }
            }
        )*
    };
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    if let Some(app) = $crate::TestApp::start($crate::Backend::Sqlite).await {
                        super::$name(app).await;
                    }
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    if let Some(app) = $crate::TestApp::start($crate::Backend::Postgres).await {
                        super::$name(app).await;
                    } else {
                        eprintln!("skipped: PostgreSQL unreachable (set CI=true to fail instead)");
                    }
                }
            }
        )*
    };
}
