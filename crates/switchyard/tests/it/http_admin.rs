//! The administration API over a real server on both databases: CRUD, pagination,
//! validation that names the field and writes nothing, write-only secrets, and
//! changes that take effect without a restart.

use serde_json::{Value, json};
use switchyard_testkit::{TestApp, backend_tests};

backend_tests!(
    providers_crud_with_write_only_secrets,
    bad_input_names_the_field_and_writes_nothing,
    models_and_groups_take_effect_without_restart,
    provider_delete_is_refused_while_used_unless_cascade,
    keys_users_and_teams,
    pagination_reports_totals,
);

async fn json_of(r: reqwest::Response) -> Value {
    r.json().await.unwrap()
}

async fn providers_crud_with_write_only_secrets(app: TestApp) {
    let r = app
        .post("/api/v1/admin/providers")
        .json(&json!({"name": "acme", "kind": "openai_compatible", "base_url": "http://127.0.0.1:9/v1",
                      "api_key": "sk-literal-very-secret-123", "max_concurrency": 8}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let text = r.text().await.unwrap();
    assert!(
        !text.contains("sk-literal-very-secret-123"),
        "secret echoed: {text}"
    );
    let created: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(created["has_api_key"], true);
    assert_eq!(created["max_concurrency"], 8);
    let id = created["id"].as_str().unwrap();

    let got = json_of(
        app.get(&format!("/api/v1/admin/providers/{id}"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(got["name"], "acme");
    assert!(!got.to_string().contains("sk-literal"));

    // The database holds ciphertext, never the literal.
    let store = &app.state.store;
    let raw: Vec<Vec<u8>> = sqlx_bytes(store, id).await;
    assert!(!raw.is_empty());
    assert!(
        !raw.iter()
            .any(|b| b.windows(10).any(|w| w == b"sk-literal"))
    );

    let patched = json_of(
        app.patch(&format!("/api/v1/admin/providers/{id}"))
            .json(&json!({"enabled": false, "api_key": null, "base_url": null}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(patched["enabled"], false);
    assert_eq!(patched["has_api_key"], false);
    assert_eq!(patched["base_url"], Value::Null);

    let r = app
        .delete(&format!("/api/v1/admin/providers/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let r = app
        .get(&format!("/api/v1/admin/providers/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);

    // Duplicate names are a 409.
    let r = app
        .post("/api/v1/admin/providers")
        .json(&json!({"name": "mock", "kind": "mock"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
}

async fn sqlx_bytes(store: &switchyard_store::Store, id: &str) -> Vec<Vec<u8>> {
    use sqlx::Row;
    sqlx::query("SELECT api_key_ciphertext FROM ai_providers WHERE id = $1")
        .bind(id)
        .fetch_all(store.pool())
        .await
        .unwrap()
        .into_iter()
        .filter_map(|row| row.try_get::<Option<Vec<u8>>, _>(0).ok().flatten())
        .collect()
}

async fn bad_input_names_the_field_and_writes_nothing(app: TestApp) {
    let before = json_of(app.get("/api/v1/admin/providers").send().await.unwrap()).await["pagination"]["total"]
        .as_u64()
        .unwrap();
    let cases = [
        (json!({"name": "Bad Name", "kind": "openai"}), 400, "name"),
        (json!({"name": "ok", "kind": "skynet"}), 400, "kind"),
        (
            json!({"name": "ok", "kind": "openai", "base_url": "ftp://x"}),
            400,
            "base_url",
        ),
        (
            json!({"name": "ok", "kind": "openai", "timeout_ms": 0}),
            400,
            "timeout_ms",
        ),
        (
            json!({"name": "ok", "kind": "openai", "max_concurrency": "many"}),
            400,
            "max_concurrency",
        ),
        (
            json!({"name": "ok", "kind": "openai", "api_kee": "x"}),
            400,
            "",
        ),
        (json!({"kind": "openai"}), 400, ""),
    ];
    for (body, status, field) in cases {
        let r = app
            .post("/api/v1/admin/providers")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), status, "{body}");
        let err = json_of(r).await;
        let message = err["error"]["message"].as_str().unwrap();
        if !field.is_empty() {
            assert_eq!(err["error"]["param"], field, "{err}");
        }
        assert!(!message.is_empty());
    }
    // An unknown field is named in the message.
    let err = json_of(
        app.post("/api/v1/admin/providers")
            .json(&json!({"name": "ok", "kind": "openai", "api_kee": "x"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("api_kee"),
        "{err}"
    );

    let model_cases = [
        (json!({"name": "m1", "provider": "nope"}), "provider"),
        (json!({"name": "a/b", "provider": "mock"}), "name"),
        (
            json!({"name": "m1", "provider": "mock", "quality_tier": 9}),
            "quality_tier",
        ),
        (
            json!({"name": "m1", "provider": "mock", "input_cost_per_mtok": -1.0}),
            "input_cost_per_mtok",
        ),
        (
            json!({"name": "m1", "provider": "mock", "context_window": 100, "max_output_tokens": 200}),
            "max_output_tokens",
        ),
        (
            json!({"name": "m1", "provider": "mock", "kinds": ["telepathy"]}),
            "kinds[0]",
        ),
    ];
    for (body, field) in model_cases {
        let r = app
            .post("/api/v1/admin/models")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{body}");
        assert_eq!(json_of(r).await["error"]["param"], field, "{body}");
    }
    let group_cases = [
        (json!({"name": "g", "members": []}), "members"),
        (
            json!({"name": "g", "members": [{"model": "ghost"}]}),
            "members[0].model",
        ),
        (
            json!({"name": "g", "members": [{"model": "mock-chat", "weight": 0}]}),
            "members[0].weight",
        ),
        (
            json!({"name": "g", "strategy": "fastest", "members": [{"model": "mock-chat"}]}),
            "strategy",
        ),
        (
            json!({"name": "g", "members": [{"model": "mock-chat"}], "fallback_groups": ["nope"]}),
            "fallback_groups[0]",
        ),
        (
            json!({"name": "mock-chat", "members": [{"model": "mock-chat"}]}),
            "name",
        ),
    ];
    for (body, field) in group_cases {
        let r = app
            .post("/api/v1/admin/groups")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{body}");
        assert_eq!(json_of(r).await["error"]["param"], field, "{body}");
    }
    let after = json_of(app.get("/api/v1/admin/providers").send().await.unwrap()).await["pagination"]["total"]
        .as_u64()
        .unwrap();
    assert_eq!(before, after, "a refused request wrote something");
    let models = json_of(app.get("/api/v1/admin/models").send().await.unwrap()).await;
    assert_eq!(models["pagination"]["total"], 4);
    let groups = json_of(app.get("/api/v1/admin/groups").send().await.unwrap()).await;
    assert_eq!(groups["pagination"]["total"], 0);
}

async fn models_and_groups_take_effect_without_restart(app: TestApp) {
    let r = app
        .post("/api/v1/admin/models")
        .json(&json!({"name": "mock-fast", "provider": "mock", "upstream_name": "fast-v1",
                      "capabilities": ["stream"], "context_window": 32000, "input_cost_per_mtok": 0.5}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let model = json_of(r).await;
    assert_eq!(model["provider"], "mock");
    assert_eq!(model["upstream_name"], "fast-v1");
    assert_eq!(model["input_cost_per_mtok"], 0.5);
    let chat = |model: &'static str| {
        app.post("/v1/chat/completions")
            .json(&json!({"model": model, "messages": [{"role": "user", "content": "hi"}]}))
            .send()
    };
    assert_eq!(chat("mock-fast").await.unwrap().status(), 200);

    let r = app
        .post("/api/v1/admin/groups")
        .json(&json!({"name": "team-chat", "strategy": "weighted_round_robin",
                      "members": [{"model": "mock-fast", "weight": 3}, {"model": "mock-chat", "weight": 1, "priority": 1}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let group = json_of(r).await;
    assert_eq!(group["members"][0]["weight"], 3);
    let r = chat("team-chat").await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-switchyard-model"], "mock-fast");
    let listed = json_of(app.get("/v1/models").send().await.unwrap()).await;
    assert!(
        listed["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["id"] == "team-chat")
    );

    // Disable the model: the group now answers with its other member.
    let id = model["id"].as_str().unwrap();
    let r = app
        .patch(&format!("/api/v1/admin/models/{id}"))
        .json(&json!({"enabled": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = chat("team-chat").await.unwrap();
    assert_eq!(r.headers()["x-switchyard-model"], "mock-chat");
    assert_eq!(chat("mock-fast").await.unwrap().status(), 404);

    let gid = group["id"].as_str().unwrap();
    assert_eq!(
        app.delete(&format!("/api/v1/admin/groups/{gid}"))
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    assert_eq!(chat("team-chat").await.unwrap().status(), 404);
}

async fn provider_delete_is_refused_while_used_unless_cascade(app: TestApp) {
    let p = json_of(
        app.post("/api/v1/admin/providers")
            .json(&json!({"name": "spare", "kind": "mock"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let pid = p["id"].as_str().unwrap();
    let r = app
        .post("/api/v1/admin/models")
        .json(&json!({"name": "spare-chat", "provider": "spare"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let r = app
        .delete(&format!("/api/v1/admin/providers/{pid}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    let err = json_of(r).await;
    assert!(
        err["error"]["message"].as_str().unwrap().contains("model"),
        "{err}"
    );
    assert_eq!(
        app.post("/v1/chat/completions")
            .json(&json!({"model": "spare-chat", "messages": [{"role": "user", "content": "hi"}]}))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let r = app
        .delete(&format!("/api/v1/admin/providers/{pid}?cascade=true"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let models = json_of(app.get("/api/v1/admin/models").send().await.unwrap()).await;
    assert!(
        !models["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["name"] == "spare-chat")
    );
}

async fn keys_users_and_teams(app: TestApp) {
    let team = json_of(
        app.post("/api/v1/admin/teams")
            .json(&json!({"name": "research"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let tid = team["id"].as_str().unwrap();
    let r = app
        .post("/api/v1/admin/users")
        .json(&json!({"name": "ada", "email": "ada@example.com", "team_id": tid}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let user = json_of(r).await;
    assert_eq!(user["role"], "user");
    let uid = user["id"].as_str().unwrap();
    let r = app
        .post("/api/v1/admin/users")
        .json(&json!({"name": "bob", "team_id": "missing"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(json_of(r).await["error"]["param"], "team_id");

    let r = app
        .post("/api/v1/admin/keys")
        .json(&json!({"name": "ada's laptop", "role": "user", "user_id": uid}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let key = json_of(r).await;
    let secret = key["secret"].as_str().unwrap().to_string();
    let kid = key["id"].as_str().unwrap().to_string();
    assert!(secret.starts_with("sy-"));
    let got = json_of(
        app.get(&format!("/api/v1/admin/keys/{kid}"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(
        got.get("secret").is_none() && got.get("hash").is_none(),
        "{got}"
    );
    assert_eq!(got["prefix"], &secret[..12]);

    let models = app
        .client
        .get(app.url("/v1/models"))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    assert_eq!(models.status(), 200);

    // Disabling the key locks it out at once (the auth cache is invalidated).
    let r = app
        .patch(&format!("/api/v1/admin/keys/{kid}"))
        .json(&json!({"enabled": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = app
        .client
        .get(app.url("/v1/models"))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);

    let r = app
        .post("/api/v1/admin/keys")
        .json(&json!({"name": "old", "role": "user", "user_id": uid, "expires_at": 1000}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(json_of(r).await["error"]["param"], "expires_at");
    let r = app
        .post("/api/v1/admin/keys")
        .json(&json!({"name": "x", "role": "root"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(json_of(r).await["error"]["param"], "role");

    // Deleting the team keeps its user, without a team.
    assert_eq!(
        app.delete(&format!("/api/v1/admin/teams/{tid}"))
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    let user = json_of(
        app.get(&format!("/api/v1/admin/users/{uid}"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(user["team_id"], Value::Null);
    // Deleting the user deletes their keys.
    assert_eq!(
        app.delete(&format!("/api/v1/admin/users/{uid}"))
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    assert_eq!(
        app.get(&format!("/api/v1/admin/keys/{kid}"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}

async fn pagination_reports_totals(app: TestApp) {
    for i in 0..7 {
        let r = app
            .post("/api/v1/admin/teams")
            .json(&json!({"name": format!("team-{i}")}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
    }
    let page = json_of(
        app.get("/api/v1/admin/teams?limit=3&offset=3")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        page["pagination"],
        json!({"limit": 3, "offset": 3, "total": 7})
    );
    let names: Vec<&str> = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["team-3", "team-4", "team-5"]);
    let r = app.get("/api/v1/admin/teams?limit=0").send().await.unwrap();
    assert_eq!(r.status(), 400);
    let r = app
        .get("/api/v1/admin/teams?limit=abc")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_fields_are_named_once() {
    let app = TestApp::start(switchyard_testkit::Backend::Sqlite)
        .await
        .unwrap();
    let r = app
        .post("/api/v1/admin/teams")
        .json(&json!({"name": "t", "colour": "red"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(json_of(r).await["error"]["param"], "colour");
}
