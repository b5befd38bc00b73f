//! Circuit breakers and health status over HTTP: a failing upstream's circuit opens
//! after the threshold, the upstream then receives no traffic until the cooldown, the
//! circuit half-opens, a successful trial closes it; probes watch idle providers; the
//! status endpoint shows all of it to any role.

use std::time::{Duration, Instant};

use crate::routing_support::{chat, status_of};
use switchyard_testkit::upstream::{Mode, Upstream};
use switchyard_testkit::{Backend, TestApp};

fn breaker_config(upstream: &Upstream) -> String {
    format!(
        "[health]\nprobe = false\n[health.breaker]\nfailure_threshold = 3\ncooldown_ms = 1000\nhalf_open_trials = 1\n\n\
         {}\n\
         [[providers]]\nname = \"backup\"\nkind = \"mock\"\n\n\
         [[models]]\nname = \"m\"\nprovider = \"flaky\"\n\n\
         [[models]]\nname = \"spare\"\nprovider = \"backup\"\n\n\
         [[groups]]\nname = \"g\"\nstrategy = \"priority\"\nmax_attempts = 2\n\
         members = [{{ model = \"m\", priority = 0 }}, {{ model = \"spare\", priority = 1 }}]\n",
        upstream.provider("flaky", "")
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_circuit_opens_stays_shut_half_opens_and_closes() {
    let upstream = Upstream::start().await;
    upstream.set_chat(Mode::Status(500));
    let app = TestApp::start_with(Backend::Sqlite, &breaker_config(&upstream))
        .await
        .unwrap();

    // Three failures: each request still succeeds through the backup.
    for i in 1..=3 {
        let a = chat(&app, "g").await;
        assert_eq!(a.status, 200, "{}", a.body);
        assert_eq!(a.provider, "backup");
        assert_eq!(a.body["routing"]["attempts"], 2);
        assert_eq!(a.body["routing"]["failures"][0]["kind"], "upstream_error");
        assert_eq!(upstream.chat_calls(), i);
    }
    let s = status_of(&app, "flaky").await;
    assert_eq!(s["circuit"], "open", "{s}");
    assert_eq!(s["health"], "unhealthy");
    assert_eq!(s["failures_total"], 3);
    assert_eq!(s["last_error"]["kind"], "upstream_error");
    assert_eq!(s["last_error"]["status"], 500);
    let opened_at = Instant::now();

    // Open: the failing upstream receives nothing; the health filter says why.
    for _ in 0..5 {
        let a = chat(&app, "g").await;
        assert_eq!(a.status, 200);
        assert_eq!(a.provider, "backup");
        assert_eq!(a.body["routing"]["attempts"], 1);
        let health = &a.body["routing"]["decision"]["chain"][1];
        assert_eq!(health["strategy"], "health_filter");
        assert_eq!(health["removed"][0]["candidate"], "flaky/m");
        let reason = health["removed"][0]["reason"].as_str().unwrap();
        assert!(reason.contains("circuit open"), "{reason}");
    }
    if opened_at.elapsed() < Duration::from_millis(900) {
        assert_eq!(upstream.chat_calls(), 3, "no traffic while open");
    }

    // After the cooldown the circuit is half-open; the upstream has recovered.
    upstream.set_chat(Mode::Ok);
    tokio::time::sleep(Duration::from_millis(1_100).saturating_sub(opened_at.elapsed())).await;
    assert_eq!(status_of(&app, "flaky").await["circuit"], "half_open");
    let trial = chat(&app, "g").await;
    assert_eq!(
        trial.provider, "flaky",
        "the trial goes to the recovered upstream"
    );
    assert_eq!(upstream.chat_calls(), 4);
    let s = status_of(&app, "flaky").await;
    assert_eq!(s["circuit"], "closed", "{s}");
    assert_eq!(s["health"], "healthy");
    assert_eq!(s["circuit_opened_total"], 1);
    let a = chat(&app, "g").await;
    assert_eq!(a.provider, "flaky");
    assert_eq!(upstream.chat_calls(), 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_trial_reopens_and_a_lone_open_candidate_fails_fast() {
    let upstream = Upstream::start().await;
    upstream.set_chat(Mode::Status(503));
    let app = TestApp::start_with(Backend::Sqlite, &breaker_config(&upstream))
        .await
        .unwrap();
    for _ in 0..3 {
        assert_eq!(chat(&app, "m").await.status, 503);
    }
    assert_eq!(upstream.chat_calls(), 3);
    // Only candidate, circuit open: refused at once without calling upstream.
    let started = Instant::now();
    let a = chat(&app, "m").await;
    assert_eq!(a.status, 503, "{}", a.body);
    assert_eq!(a.body["error"]["code"], "no_provider");
    assert!(
        a.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("circuit open")
    );
    assert!(started.elapsed() < Duration::from_millis(500));
    assert_eq!(upstream.chat_calls(), 3);

    tokio::time::sleep(Duration::from_millis(1_100)).await;
    // The trial fails: open again for another cooldown.
    assert_eq!(chat(&app, "m").await.status, 503);
    assert_eq!(upstream.chat_calls(), 4);
    let s = status_of(&app, "flaky").await;
    assert_eq!(s["circuit"], "open");
    assert_eq!(s["circuit_opened_total"], 2);
    assert_eq!(chat(&app, "m").await.body["error"]["code"], "no_provider");
    assert_eq!(upstream.chat_calls(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_providers_are_probed_for_free_and_failing_probes_open_the_circuit() {
    let upstream = Upstream::start().await;
    let config = format!(
        "[health]\nprobe_interval_ms = 1000\n[health.breaker]\nfailure_threshold = 2\ncooldown_ms = 60000\n\n{}\n\
         [[models]]\nname = \"m\"\nprovider = \"quiet\"\n",
        upstream.provider("quiet", "")
    );
    let app = TestApp::start_with(Backend::Sqlite, &config).await.unwrap();
    assert_eq!(status_of(&app, "quiet").await["health"], "unknown");
    let deadline = Instant::now() + Duration::from_secs(10);
    while upstream.model_calls() == 0 {
        assert!(Instant::now() < deadline, "never probed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let s = status_of(&app, "quiet").await;
    assert_eq!(s["last_probe"]["ok"], true, "{s}");
    assert_eq!(s["health"], "healthy");
    assert_eq!(upstream.chat_calls(), 0, "a probe is never a billed call");

    upstream.set_models(Mode::Status(500));
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let s = status_of(&app, "quiet").await;
        if s["circuit"] == "open" {
            assert_eq!(s["health"], "unhealthy");
            assert_eq!(s["last_probe"]["ok"], false);
            break;
        }
        assert!(
            Instant::now() < deadline,
            "probes never opened the circuit: {s}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(chat(&app, "m").await.status, 503);
    assert_eq!(upstream.chat_calls(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provider_status_is_open_to_every_role_but_not_to_strangers() {
    let app = TestApp::start(Backend::Sqlite).await.unwrap();
    let (_, _, secret) = app.create_key("user").await;
    let r = app
        .client
        .get(app.url("/api/v1/providers/status"))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: serde_json::Value = r.json().await.unwrap();
    let mock = &body["providers"][0];
    assert_eq!(mock["name"], "mock");
    assert_eq!(mock["circuit"], "closed");
    assert_eq!(mock["in_flight"], 0);
    assert_eq!(mock["max_concurrency"], 256);
    assert!(mock["models"].as_array().unwrap().len() >= 4);
    let r = app
        .client
        .get(app.url("/api/v1/providers/status"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}
