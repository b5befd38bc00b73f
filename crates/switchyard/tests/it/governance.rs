//! Governance over real servers: per-key rate limits with their headers (also across two
//! gateways sharing Redis), quotas and budgets that concurrent requests cannot overrun,
//! shadow limits, budget alerts sent once, JWT access and refresh tokens, and master-key
//! rotation.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};
use switchyard_testkit::{Backend, TestApp, redis_url};

const PRICED: &str = r#"
[governance]
alert_thresholds = [0.5]
alert_webhook_url = "WEBHOOK"

[[providers]]
name = "paid"
kind = "mock"

[[models]]
name = "paid-chat"
provider = "paid"
max_output_tokens = 100
input_cost_per_mtok = 1000.0
output_cost_per_mtok = 1000.0
"#;

fn chat_body() -> Value {
    json!({"model": "paid-chat", "max_tokens": 20, "messages": [{"role": "user", "content": "hi"}]})
}

async fn chat(app: &TestApp, key: &str) -> reqwest::Response {
    app.client
        .post(app.url("/v1/chat/completions"))
        .bearer_auth(key)
        .json(&chat_body())
        .send()
        .await
        .unwrap()
}

async fn webhook_sink() -> (String, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |body: axum::Json<Value>| {
            let counter = counter.clone();
            async move {
                assert_eq!(body["type"], "budget.threshold_crossed");
                counter.fetch_add(1, Ordering::SeqCst);
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}/hook"), hits)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_answer_429_with_headers() {
    let app = TestApp::start(Backend::Sqlite).await.unwrap();
    let (_, _, key) = app
        .create_key_with("user", json!({"rate_limit_rpm": 3}))
        .await;
    for expected_remaining in ["2", "1", "0"] {
        let r = app
            .client
            .get(app.url("/v1/models"))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["x-ratelimit-limit-requests"], "3");
        assert_eq!(
            r.headers()["x-ratelimit-remaining-requests"],
            expected_remaining
        );
        assert!(r.headers().contains_key("x-ratelimit-reset-requests"));
    }
    let r = app
        .client
        .get(app.url("/v1/models"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=20).contains(&retry), "{retry}");
    let err: Value = r.json().await.unwrap();
    assert_eq!(err["error"]["code"], "rate_limited");
    assert_eq!(err["error"]["type"], "rate_limit_error");
    // Another key is unaffected.
    assert_eq!(app.get("/v1/models").send().await.unwrap().status(), 200);
    // Invalid limits are refused by name.
    let r = app
        .post("/api/v1/admin/keys")
        .json(&json!({"name": "x", "role": "user", "rate_limit_rpm": 0}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"]["param"],
        "rate_limit_rpm"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limit_holds_across_two_gateways_sharing_redis() {
    let shared = format!("[redis]\nurl = {:?}\n", redis_url());
    let Some(one) = TestApp::start_with(Backend::Postgres, &shared).await else {
        return;
    };
    let two = one.replica(&shared).await;
    let (_, _, key) = one
        .create_key_with("user", json!({"rate_limit_rpm": 4}))
        .await;
    let mut ok = 0;
    for i in 0..8 {
        let app = if i % 2 == 0 { &one } else { &two };
        let r = app
            .client
            .get(app.url("/v1/models"))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap();
        match r.status().as_u16() {
            200 => ok += 1,
            429 => {}
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(ok, 4, "the limit is shared, not 4 per gateway");
}

async fn budgets(backend: Backend) {
    let (hook, hits) = webhook_sink().await;
    let Some(app) = TestApp::start_with(backend, &PRICED.replace("WEBHOOK", &hook)).await else {
        return;
    };
    let (user_id, _, key) = app.create_key_with("user", json!({})).await;
    // One request before any quota exists: quotas are seeded from the usage records.
    let first = chat(&app, &key).await;
    assert_eq!(first.status(), 200);
    let r = app
        .post("/api/v1/admin/quotas")
        .json(&json!({"scope": "user", "scope_id": user_id, "metric": "requests", "period": "day", "limit": 3}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let quota: Value = r.json().await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(chat(&app, &key).await.status().as_u16());
    }
    assert_eq!(statuses, [200, 200, 429, 429], "{statuses:?}");
    let r = chat(&app, &key).await;
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=86_400).contains(&retry), "{retry}");
    let err: Value = r.json().await.unwrap();
    assert_eq!(err["error"]["code"], "quota_exceeded");
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("requests")
    );

    // Crossing 50% of the limit (1.5 of 3) sent exactly one alert.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(hits.load(Ordering::SeqCst), 1);

    // Shadow mode only reports.
    let id = quota["id"].as_str().unwrap();
    let r = app
        .patch(&format!("/api/v1/admin/quotas/{id}"))
        .json(&json!({"shadow": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(chat(&app, &key).await.status(), 200);

    // A USD budget on the model, already spent by the requests above, refuses at once.
    let r = app
        .post("/api/v1/admin/quotas")
        .json(&json!({"scope": "model", "scope_id": "paid-chat", "metric": "usd", "period": "month", "limit": 0.000001}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let r = chat(&app, &key).await;
    assert_eq!(r.status(), 429);
    let err: Value = r.json().await.unwrap();
    assert!(
        err["error"]["message"].as_str().unwrap().contains("usd"),
        "{err}"
    );

    // Bad quotas are refused by field.
    for (body, param) in [
        (
            json!({"scope": "user", "scope_id": "nobody", "metric": "usd", "period": "day", "limit": 1}),
            "scope_id",
        ),
        (
            json!({"scope": "user", "scope_id": user_id, "metric": "usd", "period": "fortnight", "limit": 1}),
            "period",
        ),
        (
            json!({"scope": "user", "scope_id": user_id, "metric": "usd", "period": "day", "limit": -1}),
            "limit",
        ),
    ] {
        let r = app
            .post("/api/v1/admin/quotas")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{body}");
        assert_eq!(r.json::<Value>().await.unwrap()["error"]["param"], param);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn budgets_sqlite() {
    budgets(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn budgets_postgres() {
    budgets(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_cannot_overrun_a_quota() {
    let app = TestApp::start_with(
        Backend::Sqlite,
        &PRICED.replace("WEBHOOK", "http://127.0.0.1:9/none"),
    )
    .await
    .unwrap();
    let (_, key_id, key) = app.create_key_with("user", json!({})).await;
    let r = app
        .post("/api/v1/admin/quotas")
        .json(&json!({"scope": "key", "scope_id": key_id, "metric": "requests", "period": "minute", "limit": 5}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let app = Arc::new(app);
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let app = app.clone();
            let key = key.clone();
            tokio::spawn(async move { chat(&app, &key).await.status().as_u16() })
        })
        .collect();
    let mut ok = 0;
    for t in tasks {
        if t.await.unwrap() == 200 {
            ok += 1;
        }
    }
    assert_eq!(ok, 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jwt_access_and_refresh_tokens() {
    let app = TestApp::start(Backend::Sqlite).await.unwrap();
    let (_, key_id, key) = app.create_key_with("user", json!({})).await;
    let r = app
        .client
        .post(app.url("/api/v1/auth/token"))
        .json(&json!({"api_key": key}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let pair: Value = r.json().await.unwrap();
    let access = pair["access_token"].as_str().unwrap();
    let refresh = pair["refresh_token"].as_str().unwrap();
    assert_eq!(pair["token_type"], "Bearer");
    assert_eq!(
        app.client
            .get(app.url("/v1/models"))
            .bearer_auth(access)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    // A user's token does not open admin routes.
    assert_eq!(
        app.client
            .get(app.url("/api/v1/admin/keys"))
            .bearer_auth(access)
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    // A refresh token is not an access token, and vice versa.
    assert_eq!(
        app.client
            .get(app.url("/v1/models"))
            .bearer_auth(refresh)
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    let r = app
        .client
        .post(app.url("/api/v1/auth/refresh"))
        .json(&json!({"refresh_token": access}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = app
        .client
        .post(app.url("/api/v1/auth/refresh"))
        .json(&json!({"refresh_token": refresh}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let fresh: Value = r.json().await.unwrap();
    assert_eq!(
        app.client
            .get(app.url("/v1/models"))
            .bearer_auth(fresh["access_token"].as_str().unwrap())
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    // A forged token (signature of another secret) and garbage are 401.
    let mut parts: Vec<String> = access.split('.').map(str::to_string).collect();
    parts[2] = "AAAA".into();
    assert_eq!(
        app.client
            .get(app.url("/v1/models"))
            .bearer_auth(parts.join("."))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    assert_eq!(
        app.client
            .post(app.url("/api/v1/auth/token"))
            .json(&json!({"api_key": "sy-nope-nope-nope-nope"}))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    // Disabling the key kills its tokens too.
    app.patch(&format!("/api/v1/admin/keys/{key_id}"))
        .json(&json!({"enabled": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        app.client
            .get(app.url("/v1/models"))
            .bearer_auth(access)
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    assert_eq!(
        app.client
            .post(app.url("/api/v1/auth/refresh"))
            .json(&json!({"refresh_token": refresh}))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_manage_only_their_own_keys() {
    let app = TestApp::start(Backend::Sqlite).await.unwrap();
    let (_, _, alice) = app.create_key_with("user", json!({})).await;
    let (_, bob_key_id, bob) = app.create_key_with("user", json!({})).await;
    let r = app
        .client
        .post(app.url("/api/v1/keys"))
        .bearer_auth(&alice)
        .json(&json!({"name": "laptop"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let mine: Value = r.json().await.unwrap();
    assert_eq!(mine["role"], "user");
    let listed: Value = app
        .client
        .get(app.url("/api/v1/keys"))
        .bearer_auth(&alice)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        listed["pagination"]["total"], 2,
        "alice's two keys, not bob's"
    );
    // Escalation attempts.
    let r = app
        .client
        .post(app.url("/api/v1/keys"))
        .bearer_auth(&alice)
        .json(&json!({"name": "x", "role": "admin"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let mid = mine["id"].as_str().unwrap();
    let r = app
        .client
        .patch(app.url(&format!("/api/v1/keys/{mid}")))
        .bearer_auth(&alice)
        .json(&json!({"role": "admin"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = app
        .client
        .patch(app.url(&format!("/api/v1/admin/keys/{mid}")))
        .bearer_auth(&alice)
        .json(&json!({"role": "admin"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // Bob's key does not exist as far as alice can tell.
    let r = app
        .client
        .delete(app.url(&format!("/api/v1/keys/{bob_key_id}")))
        .bearer_auth(&alice)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(
        app.client
            .get(app.url("/v1/models"))
            .bearer_auth(&bob)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    // Alice may revoke her own.
    let r = app
        .client
        .delete(app.url(&format!("/api/v1/keys/{mid}")))
        .bearer_auth(&alice)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn master_key_rotation_rewraps_stored_secrets() {
    use switchyard_core::secrets::{MasterKey, SecretBox};
    use switchyard_store::ProviderSecret;
    let app = TestApp::start(Backend::Sqlite).await.unwrap();
    let r = app
        .post("/api/v1/admin/providers")
        .json(&json!({"name": "vault", "kind": "openai", "api_key": "sk-live-rotate-me-please"}))
        .send()
        .await
        .unwrap();
    let id = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let old = MasterKey::from_base64(switchyard_testkit::MASTER_KEY).unwrap();
    let new = MasterKey::generate();
    let during = SecretBox::new(new.clone()).with_previous(vec![old]);
    let n = switchyard::bootstrap::rotate_master_key(app.db(), &during)
        .await
        .unwrap();
    assert_eq!(n, 1);
    let Some(ProviderSecret::Encrypted(sealed)) = app.db().providers().secret(&id).await.unwrap()
    else {
        panic!("not encrypted")
    };
    assert_eq!(
        SecretBox::new(new).open(&sealed).unwrap().expose(),
        "sk-live-rotate-me-please"
    );
    // Running it again finds nothing left to do.
    assert_eq!(
        switchyard::bootstrap::rotate_master_key(app.db(), &during)
            .await
            .unwrap(),
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_keys_and_their_tokens_are_refused() {
    let app = TestApp::start(Backend::Sqlite).await.unwrap();
    let (_, key_id, key) = app.create_key_with("user", json!({})).await;
    let r = app
        .client
        .post(app.url("/api/v1/auth/token"))
        .json(&json!({"api_key": key}))
        .send()
        .await
        .unwrap();
    let access = r.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        app.client
            .get(app.url("/v1/models"))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let past = switchyard_types::now_millis() - 1000;
    let r = app
        .patch(&format!("/api/v1/admin/keys/{key_id}"))
        .json(&json!({"expires_at": past}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = app
        .client
        .get(app.url("/v1/models"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(
        r.json::<Value>().await.unwrap()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("expired")
    );
    assert_eq!(
        app.client
            .get(app.url("/v1/models"))
            .bearer_auth(&access)
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
}
