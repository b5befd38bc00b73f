//! Durability of tasks across a crash, with the real binary on a SQLite file and a fake
//! Runway that counts submissions: a gateway killed with SIGKILL while it polls a video
//! job is restarted, takes the task over once the dead process's lease expires, resumes
//! polling the recorded job (no second submission) and completes it exactly once; a
//! gateway stopped gracefully gives its leases back, so the next one resumes at once.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use switchyard_store::{Page, Store, UsageFilter};
use switchyard_testkit::fake_runway::FakeRunway;

const BIN: &str = env!("CARGO_BIN_EXE_switchyard");
const ADMIN: &str = "sy-kill-test-admin-key-0123456789";
const MASTER: &str = "c3dpdGNoeWFyZC10ZXN0LW1hc3Rlci1rZXktMzJieXQ=";

struct Gateway {
    child: Child,
    base: String,
}

impl Gateway {
    async fn start(dir: &Path, config: &Path) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut cmd = Command::new(BIN);
        for (k, _) in std::env::vars() {
            if k.starts_with("SWITCHYARD_") {
                cmd.env_remove(k);
            }
        }
        let child = cmd
            .current_dir(dir)
            .args(["serve", "--config"])
            .arg(config)
            .env("SWITCHYARD_LISTEN", format!("127.0.0.1:{port}"))
            .env("SWITCHYARD_LOG", "warn")
            .env("SWITCHYARD_LOG_FORMAT", "json")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let gateway = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        let started = Instant::now();
        loop {
            if let Ok(r) = reqwest::get(format!("{}/ready", gateway.base)).await
                && r.status() == 200
            {
                return gateway;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "gateway not ready"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        reqwest::Client::new()
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(ADMIN)
    }

    async fn task(&self, id: &str) -> Value {
        let r = self
            .request(reqwest::Method::GET, &format!("/api/v1/ai/tasks/{id}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.json().await.unwrap()
    }

    async fn wait(&self, id: &str, done: impl Fn(&Value) -> bool) -> Value {
        let started = Instant::now();
        loop {
            let task = self.task(id).await;
            if done(&task) {
                return task;
            }
            assert!(started.elapsed() < Duration::from_secs(45), "stuck: {task}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// SIGKILL: no graceful stop, no lease given back.
    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// SIGTERM, and wait for a clean exit.
    fn terminate(mut self) {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "{status}");
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "ignored SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A config file for a gateway on a SQLite file in `dir` with `lease_ms`.
fn write_config(dir: &Path, runway: &FakeRunway, lease_ms: u64) -> std::path::PathBuf {
    let db = dir.join("switchyard.db");
    let config = dir.join("switchyard.toml");
    let text = format!(
        "[server]\ndata_dir = {data:?}\n\n[database]\nurl = \"sqlite://{db}\"\n\n\
         [security]\nadmin_key = \"{ADMIN}\"\nmaster_key = \"{MASTER}\"\n\n\
         [tasks]\nlease_ms = {lease_ms}\nclaim_interval_ms = 100\npoll_initial_ms = 100\npoll_max_ms = 300\n\n{provider}",
        data = dir.join("data").display().to_string(),
        db = db.display(),
        provider = runway.provider_toml("runway", "runway-video"),
    );
    std::fs::write(&config, text).unwrap();
    config
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_gateway_s_task_completes_exactly_once_after_restart() {
    let runway = FakeRunway::start(Duration::from_secs(4)).await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("switchyard.db");
    let config = write_config(dir.path(), &runway, 1500);

    let first = Gateway::start(dir.path(), &config).await;
    let r = first
        .request(reqwest::Method::POST, "/api/v1/ai/videos")
        .json(&json!({"model": "runway-video", "prompt": "survive a crash", "duration_seconds": 5}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let id = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let running = first
        .wait(&id, |t| {
            t["status"] == "running" && t["progress"].as_u64() > Some(0)
        })
        .await;
    let job = running["provider_job_id"].as_str().unwrap().to_string();
    assert_eq!(running["attempts"], 1);
    first.kill();
    assert_eq!(runway.submissions().len(), 1);

    let killed_at = Instant::now();
    let second = Gateway::start(dir.path(), &config).await;
    let done = second
        .wait(&id, |t| {
            t["status"].as_str().is_some_and(|s| s != "running")
        })
        .await;
    assert_eq!(done["status"], "succeeded", "{done}");
    // The dead process's lease had to expire first (1.5 s), then polling resumed.
    assert!(killed_at.elapsed() >= Duration::from_millis(1500));
    assert_eq!(
        done["provider_job_id"],
        job.as_str(),
        "the same provider job"
    );
    assert_eq!(done["attempts"], 2, "claimed once per process");
    assert_eq!(
        done["result"]["videos"][0]["url"].as_str().unwrap(),
        format!("https://cdn.fake-runway.test/{job}.mp4?ratio=1280:720")
    );
    assert!((done["cost_usd"].as_f64().unwrap() - 0.25).abs() < 1e-9);
    assert_eq!(runway.submissions().len(), 1, "never submitted again");
    assert!(runway.cancels().is_empty());

    // Exactly one usage record for the task, written by the process that finished it.
    let store = Store::connect(&format!("sqlite://{}", db.display()), 1)
        .await
        .unwrap();
    let started = Instant::now();
    loop {
        let records: Vec<_> = store
            .usage()
            .list(Page::new(100, 0), &UsageFilter::default())
            .await
            .unwrap()
            .items
            .into_iter()
            .filter(|r| r.endpoint == "ai.videos")
            .collect();
        if !records.is_empty() {
            tokio::time::sleep(Duration::from_millis(500)).await;
            let again = store
                .usage()
                .list(Page::new(100, 0), &UsageFilter::default())
                .await
                .unwrap()
                .items
                .into_iter()
                .filter(|r| r.endpoint == "ai.videos")
                .count();
            assert_eq!(again, 1);
            assert_eq!(records[0].status, 200);
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no usage record"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    drop(second);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gracefully_stopped_gateway_hands_its_tasks_over_at_once() {
    // Long enough that the first gateway cannot finish the job itself before it is
    // stopped, even when this binary's other tests load the machine.
    let runway = FakeRunway::start(Duration::from_secs(10)).await;
    let dir = tempfile::tempdir().unwrap();
    // A lease far longer than the test: only a released lease lets the task go on.
    let config = write_config(dir.path(), &runway, 600_000);
    let first = Gateway::start(dir.path(), &config).await;
    let r = first
        .request(reqwest::Method::POST, "/api/v1/ai/videos")
        .json(&json!({"model": "runway-video", "prompt": "a planned restart"}))
        .send()
        .await
        .unwrap();
    let id = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let running = first.wait(&id, |t| t["provider_job_id"].is_string()).await;
    first.terminate();
    let second = Gateway::start(dir.path(), &config).await;
    let done = second.wait(&id, |t| t["status"] == "succeeded").await;
    assert_eq!(done["provider_job_id"], running["provider_job_id"]);
    assert_eq!(done["attempts"], 2);
    assert_eq!(runway.submissions().len(), 1);
}
