//! The Anthropic-compatible surface against the built-in mock: the real event sequence,
//! tool use with `input_json_delta`, and Anthropic-format errors.

use serde_json::{Value, json};
use switchyard_testkit::{TestApp, backend_tests};

backend_tests!(
    messages_whole_and_streamed,
    messages_errors_use_anthropics_format
);

fn events(text: &str) -> Vec<(String, Value)> {
    text.split("\n\n")
        .filter(|e| !e.trim().is_empty())
        .map(|e| {
            let mut name = String::new();
            let mut data = Value::Null;
            for line in e.lines() {
                if let Some(n) = line.strip_prefix("event: ") {
                    name = n.to_string();
                } else if let Some(d) = line.strip_prefix("data: ") {
                    data = serde_json::from_str(d).unwrap();
                }
            }
            assert_eq!(data["type"], name.as_str(), "event name matches its type");
            (name, data)
        })
        .collect()
}

async fn messages_whole_and_streamed(app: TestApp) {
    let r = app
        .post("/v1/messages")
        .json(
            &json!({"model": "mock-chat", "max_tokens": 100, "system": "be brief",
                      "messages": [{"role": "user", "content": "hi anthropic"}]}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["type"], "message");
    assert!(body["id"].as_str().unwrap().starts_with("msg_"));
    assert_eq!(body["stop_reason"], "end_turn");
    assert!(
        body["content"][0]["text"]
            .as_str()
            .unwrap()
            .contains("hi anthropic")
    );
    assert!(body["usage"]["output_tokens"].as_u64().unwrap() > 0);

    let tool = json!({"name": "lookup", "input_schema": {"type": "object", "properties": {"q": {"type": "string"}}}});
    let r = app
        .post("/v1/messages")
        .json(
            &json!({"model": "mock-chat", "max_tokens": 100, "stream": true, "tools": [tool],
                      "messages": [{"role": "user", "content": "find rust"}]}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "text/event-stream");
    let evs = events(&r.text().await.unwrap());
    let names: Vec<&str> = evs.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names.first(), Some(&"message_start"));
    assert_eq!(&names[names.len() - 2..], ["message_delta", "message_stop"]);
    let start = evs
        .iter()
        .find(|(n, d)| n == "content_block_start" && d["content_block"]["type"] == "tool_use")
        .unwrap();
    assert_eq!(start.1["content_block"]["name"], "lookup");
    let json_text: String = evs
        .iter()
        .filter(|(_, d)| d["delta"]["type"] == "input_json_delta")
        .map(|(_, d)| d["delta"]["partial_json"].as_str().unwrap())
        .collect();
    assert_eq!(
        serde_json::from_str::<Value>(&json_text).unwrap(),
        json!({"q": "find rust"})
    );
    let delta = &evs[evs.len() - 2].1;
    assert_eq!(delta["delta"]["stop_reason"], "tool_use");
    assert!(delta["usage"]["output_tokens"].as_u64().unwrap() > 0);
    // Every started block is stopped.
    let starts = names
        .iter()
        .filter(|n| **n == "content_block_start")
        .count();
    let stops = names.iter().filter(|n| **n == "content_block_stop").count();
    assert_eq!(starts, stops);
}

async fn messages_errors_use_anthropics_format(app: TestApp) {
    let r = app
        .post("/v1/messages")
        .json(&json!({"model": "mock-chat", "messages": [{"role": "user", "content": "x"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let err: Value = r.json().await.unwrap();
    assert_eq!(err["type"], "error");
    assert_eq!(err["error"]["type"], "invalid_request_error");
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("max_tokens")
    );

    let r = app
        .client
        .post(app.url("/v1/messages"))
        .header("x-api-key", "sy-bogus-key-1234567")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"]["type"],
        "authentication_error"
    );

    let r = app
        .post("/v1/messages")
        .json(&json!({"model": "ghost", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"]["type"],
        "not_found_error"
    );
    let r = app
        .post("/v1/messages")
        .json(&json!({"model": "mock-chat", "max_tokens": 5, "messages": [{"role": "robot", "content": "x"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}
