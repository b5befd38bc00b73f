//! Image tasks and stored media over HTTP, on SQLite and PostgreSQL: an async image
//! task whose bytes are stored and served back only to their owner (or an admin),
//! synchronous images as stored URLs or base64, and submissions refused with the field.

use crate::tasks_support::{CATALOG, usage_of, wait_task};
use serde_json::{Value, json};
use switchyard_testkit::TestApp;
use switchyard_testkit::client::Client;

switchyard_testkit::backend_tests!(
    with CATALOG;
    bad_submissions_are_refused_with_the_field,
    image_tasks_and_stored_media,
);

async fn bad_submissions_are_refused_with_the_field(app: TestApp) {
    let user = Client::user(&app).await;
    let cases = [
        (
            "/api/v1/ai/videos",
            json!({"model": "clip", "prompt": "x", "callback_url": "ftp://x"}),
            400,
            "callback_url",
        ),
        (
            "/api/v1/ai/videos",
            json!({"model": "clip", "prompt": "  "}),
            400,
            "prompt",
        ),
        (
            "/api/v1/ai/videos",
            json!({"model": "clip", "prompt": "x", "duration_seconds": 0}),
            400,
            "duration_seconds",
        ),
        (
            "/api/v1/ai/videos",
            json!({"model": "nope", "prompt": "x"}),
            404,
            "model",
        ),
        (
            "/api/v1/ai/videos",
            json!({"model": "picture", "prompt": "x"}),
            400,
            "model",
        ),
        (
            "/api/v1/ai/images",
            json!({"model": "picture", "prompt": "x", "n": 0}),
            400,
            "n",
        ),
        (
            "/api/v1/ai/images",
            json!({"model": "picture", "prompt": "x", "callback_url": "https://h.test/"}),
            400,
            "callback_url",
        ),
        (
            "/api/v1/ai/images",
            json!({"model": "picture", "prompt": "x", "async": true, "idempotency_key": ""}),
            400,
            "idempotency_key",
        ),
    ];
    for (path, body, status, param) in cases {
        let r = user.post(path).json(&body).send().await.unwrap();
        assert_eq!(r.status(), status, "{body}");
        let err: Value = r.json().await.unwrap();
        assert_eq!(err["error"]["param"], param, "{err}");
    }
    let unknown = user
        .post("/api/v1/ai/videos")
        .json(&json!({"model": "clip", "prompt": "x", "colour": "red"}))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 400);
    let unknown: Value = unknown.json().await.unwrap();
    assert!(
        unknown["error"]["message"]
            .as_str()
            .unwrap()
            .contains("`colour`")
    );
    let listed: Value = user
        .get("/api/v1/ai/tasks")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["pagination"]["total"], 0, "nothing half-written");
}

async fn image_tasks_and_stored_media(app: TestApp) {
    let user = Client::user(&app).await;
    let other = Client::user(&app).await;
    let r = user
        .post("/api/v1/ai/images")
        .json(&json!({"model": "picture", "prompt": "a red square", "n": 2, "async": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let id = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let done = wait_task(&user, &id, |t| t["status"] == "succeeded").await;
    assert_eq!(done["type"], "image_generation");
    let images = done["result"]["images"].as_array().unwrap();
    assert_eq!(images.len(), 2);
    assert!(
        images[0]["b64_json"].is_null(),
        "bytes are stored, not kept in the task"
    );
    assert!((done["cost_usd"].as_f64().unwrap() - 0.04).abs() < 1e-9);
    let url = images[0]["url"].as_str().unwrap();
    assert!(url.starts_with("/api/v1/ai/media/"), "{url}");
    let file = user.get(url).send().await.unwrap();
    assert_eq!(file.status(), 200);
    assert_eq!(file.headers()["content-type"], "image/png");
    let png = file.bytes().await.unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    assert_eq!(other.get(url).send().await.unwrap().status(), 404);
    assert_eq!(
        app.get(url).send().await.unwrap().status(),
        200,
        "admins may fetch it"
    );
    usage_of(&app, "ai.images", 1).await;

    // Synchronous: the bytes come back as a stored file's URL, or as base64 when asked.
    let r = user
        .post("/api/v1/ai/images")
        .json(&json!({"model": "picture", "prompt": "a blue circle"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let sync: Value = r.json().await.unwrap();
    let url = sync["images"][0]["url"].as_str().unwrap();
    assert!(url.starts_with("/api/v1/ai/media/"));
    assert_eq!(user.get(url).send().await.unwrap().status(), 200);
    assert_eq!(sync["provider"], "studio");
    let b64: Value = user
        .post("/api/v1/ai/images")
        .json(&json!({"prompt": "a green dot", "response_format": "b64_json"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        b64["images"][0]["b64_json"]
            .as_str()
            .unwrap()
            .starts_with("iVBOR")
    );
    assert_eq!(b64["model"], "picture", "the default image model");
}
