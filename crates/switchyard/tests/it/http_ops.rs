//! Operations routes, authentication and the OpenAI surface against the mock provider,
//! over a real server on both databases.

use serde_json::{Value, json};
use switchyard_testkit::{TestApp, backend_tests};

backend_tests!(
    health_ready_and_request_ids,
    routes_need_a_key_and_admin_routes_need_admin,
    models_list_the_builtin_mock,
    chat_and_embeddings_answer_from_the_mock,
    bad_chat_input_gets_openai_errors_naming_the_field,
    chat_streams_openai_chunks_with_usage_and_done,
    images_generate_through_the_openai_surface,
);

async fn health_ready_and_request_ids(app: TestApp) {
    let r = app.client.get(app.url("/health")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers().contains_key("x-request-id"));
    assert_eq!(r.json::<Value>().await.unwrap(), json!({"status": "ok"}));

    let r = app
        .client
        .get(app.url("/ready"))
        .header("x-request-id", "my-trace-42")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-request-id"], "my-trace-42");
    assert_eq!(r.json::<Value>().await.unwrap()["status"], "ready");

    // Even errors carry an id.
    let r = app.client.get(app.url("/nope")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert!(r.headers().contains_key("x-request-id"));
}

async fn routes_need_a_key_and_admin_routes_need_admin(app: TestApp) {
    let r = app.client.get(app.url("/v1/models")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_api_key");

    let r = app
        .client
        .get(app.url("/api/v1/admin/providers"))
        .bearer_auth("sy-not-a-real-key-at-all")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);

    let (_, _, user_key) = app.create_key("user").await;
    let (_, _, service_key) = app.create_key("service").await;
    for key in [&user_key, &service_key] {
        let r = app
            .client
            .get(app.url("/api/v1/admin/providers"))
            .bearer_auth(key)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "non-admin key on an admin route");
        // The same key may use the AI routes, also through x-api-key.
        let r = app
            .client
            .get(app.url("/v1/models"))
            .header("x-api-key", key.as_str())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
}

async fn models_list_the_builtin_mock(app: TestApp) {
    let r = app.get("/v1/models").send().await.unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["object"], "list");
    let mut ids: Vec<&str> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    ids.sort_unstable();
    assert_eq!(ids, ["mock-chat", "mock-embed", "mock-image", "mock-video"]);
    assert_eq!(body["data"][0]["owned_by"], "mock");
}

async fn chat_and_embeddings_answer_from_the_mock(app: TestApp) {
    let r = app
        .post("/v1/chat/completions")
        .json(&json!({"model": "mock-chat", "messages": [
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": "hello gateway"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-switchyard-provider"], "mock");
    assert_eq!(r.headers()["x-switchyard-model"], "mock-chat");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["object"], "chat.completion");
    assert_eq!(body["model"], "mock-chat");
    assert_eq!(body["choices"][0]["finish_reason"], "stop");
    let text = body["choices"][0]["message"]["content"].as_str().unwrap();
    assert!(text.contains("hello gateway"), "{text}");
    assert!(body["usage"]["total_tokens"].as_u64().unwrap() > 0);

    // `provider/model` selects exactly.
    let r = app
        .post("/v1/chat/completions")
        .json(&json!({"model": "mock/mock-chat", "messages": [{"role": "user", "content": "x"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    let r = app
        .post("/v1/embeddings")
        .json(&json!({"model": "mock-embed", "input": ["a", "b", "c"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["data"].as_array().unwrap().len(), 3);
    assert_eq!(body["data"][2]["index"], 2);
    assert_eq!(body["data"][0]["embedding"].as_array().unwrap().len(), 16);
}

async fn bad_chat_input_gets_openai_errors_naming_the_field(app: TestApp) {
    let cases = [
        (json!({"model": "mock-chat"}), 400, Some("messages")),
        (
            json!({"model": "mock-chat", "messages": [{"role": "wizard", "content": "x"}]}),
            400,
            Some("messages[0]"),
        ),
        (
            json!({"model": "mock-chat", "messages": [{"role": "user", "content": 5}]}),
            400,
            Some("messages[0]"),
        ),
        (
            json!({"model": "mock-chat", "messages": [{"role": "user", "content": "x"}], "temperature": "hot"}),
            400,
            Some("temperature"),
        ),
        (
            json!({"model": "mock-chat", "messages": [{"role": "user", "content": "x"}], "temperature": 9}),
            400,
            Some("temperature"),
        ),
        (
            json!({"model": "mock-chat", "messages": [{"role": "user", "content": "x"}],
                "tools": [{"type": "function", "function": {"name": ""}}]}),
            400,
            Some("tools[0].function.name"),
        ),
        (
            json!({"model": "no-such-model", "messages": [{"role": "user", "content": "x"}]}),
            404,
            Some("model"),
        ),
        (
            json!({"model": "mock-embed", "messages": [{"role": "user", "content": "x"}]}),
            400,
            Some("model"),
        ),
    ];
    for (body, status, param) in cases {
        let r = app
            .post("/v1/chat/completions")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), status, "{body}");
        let err: Value = r.json().await.unwrap();
        let e = &err["error"];
        assert!(
            e["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{err}"
        );
        assert!(e["type"].is_string(), "{err}");
        if let Some(p) = param {
            let got = e["param"].as_str().unwrap_or_default();
            assert!(got.starts_with(p), "param {got:?} should name {p}: {err}");
        }
    }

    let r = app
        .post("/v1/chat/completions")
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"]["code"],
        "invalid_json"
    );

    let r = app
        .post("/v1/chat/completions")
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);

    let huge = "x".repeat(11 * 1024 * 1024);
    let r = app
        .post("/v1/chat/completions")
        .json(&json!({"model": "mock-chat", "messages": [{"role": "user", "content": huge}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"]["code"],
        "body_too_large"
    );
}

async fn chat_streams_openai_chunks_with_usage_and_done(app: TestApp) {
    let r = app
        .post("/v1/chat/completions")
        .json(
            &json!({"model": "mock-chat", "stream": true, "stream_options": {"include_usage": true},
                      "messages": [{"role": "user", "content": "stream please"}]}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/event-stream");
    assert_eq!(r.headers()["x-switchyard-provider"], "mock");
    let body = r.text().await.unwrap();
    let events: Vec<&str> = body.split("\n\n").filter(|e| !e.is_empty()).collect();
    assert_eq!(*events.last().unwrap(), "data: [DONE]");
    let chunks: Vec<Value> = events[..events.len() - 1]
        .iter()
        .map(|e| serde_json::from_str(e.strip_prefix("data: ").unwrap()).unwrap())
        .collect();
    assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
    let text: String = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert!(text.contains("stream please"), "{text}");
    let id = chunks[0]["id"].as_str().unwrap();
    assert!(
        chunks
            .iter()
            .all(|c| c["id"] == id && c["object"] == "chat.completion.chunk")
    );
    let finish = chunks
        .iter()
        .find(|c| c["choices"][0]["finish_reason"].is_string())
        .unwrap();
    assert_eq!(finish["choices"][0]["finish_reason"], "stop");
    let usage = chunks.last().unwrap();
    assert_eq!(usage["choices"], json!([]));
    assert!(usage["usage"]["completion_tokens"].as_u64().unwrap() > 0);
    assert!(
        chunks[..chunks.len() - 1]
            .iter()
            .all(|c| c["usage"].is_null())
    );
}

async fn images_generate_through_the_openai_surface(app: TestApp) {
    let r = app
        .post("/v1/images/generations")
        .json(&json!({"model": "mock-image", "prompt": "a red fox", "n": 2, "response_format": "b64_json"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-switchyard-model"], "mock-image");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["data"].as_array().unwrap().len(), 2);
    assert!(
        body["data"][0]["b64_json"]
            .as_str()
            .unwrap()
            .starts_with("iVBOR")
    );
    assert_eq!(body["data"][0]["revised_prompt"], "a red fox");
    for (req, param) in [
        (json!({"model": "mock-image", "prompt": "x", "n": 50}), "n"),
        (json!({"model": "mock-image", "prompt": " "}), "prompt"),
        (
            json!({"model": "mock-image", "prompt": "x", "size": "huge"}),
            "size",
        ),
        (
            json!({"model": "mock-image", "prompt": "x", "response_format": "gif"}),
            "response_format",
        ),
    ] {
        let r = app
            .post("/v1/images/generations")
            .json(&req)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{req}");
        assert_eq!(r.json::<Value>().await.unwrap()["error"]["param"], param);
    }
    let r = app
        .post("/v1/images/generations")
        .json(&json!({"model": "mock-chat", "prompt": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400, "a chat model cannot draw");
}
