//! The `switchyard` binary as a new user runs it: first start with no configuration,
//! the other commands, and graceful shutdown on SIGTERM with a request in flight.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_switchyard");

/// A command with a clean environment (no SWITCHYARD_* from the caller) in `dir`.
fn switchyard(dir: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(dir);
    for (k, _) in std::env::vars() {
        if k.starts_with("SWITCHYARD_") {
            cmd.env_remove(k);
        }
    }
    cmd.env("SWITCHYARD_LOG_FORMAT", "json");
    cmd
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Server {
    child: Child,
    base: String,
    lines: std::sync::mpsc::Receiver<String>,
}

impl Server {
    fn start(dir: &Path, extra_env: &[(&str, &str)]) -> Server {
        let port = free_port();
        let mut cmd = switchyard(dir);
        cmd.arg("serve")
            .env("SWITCHYARD_LISTEN", format!("127.0.0.1:{port}"))
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        for (k, v) in extra_env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let server = Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
            lines,
        };
        server.wait_ready();
        server
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Ok(r) = reqwest::blocking_get(&format!("{}/ready", self.base))
                && r == 200
            {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("server did not become ready");
    }

    fn output(&self) -> Vec<String> {
        self.lines.try_iter().collect()
    }

    fn terminate(&mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "server ignored SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Tiny blocking helpers over reqwest's async client, so the test reads top to bottom.
mod reqwest {
    pub use ::reqwest::*;

    pub fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    /// GET without auth; the status code.
    pub fn blocking_get(url: &str) -> Result<u16> {
        runtime().block_on(async { Ok(Client::new().get(url).send().await?.status().as_u16()) })
    }
}

fn admin_key_from(lines: &[String]) -> Option<String> {
    lines.iter().find_map(|l| {
        l.trim()
            .strip_prefix("SWITCHYARD_ADMIN_KEY=")
            .map(str::to_string)
    })
}

#[test]
fn first_run_with_no_config_serves_the_mock_and_prints_the_admin_key_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path(), &[]);
    std::thread::sleep(Duration::from_millis(200));
    let lines = server.output();
    let key = admin_key_from(&lines).unwrap_or_else(|| panic!("no admin key line in {lines:?}"));
    assert!(
        dir.path().join("switchyard.db").exists(),
        "SQLite file created"
    );
    assert!(
        dir.path().join("switchyard-data/master.key").exists(),
        "master key generated"
    );

    let rt = reqwest::runtime();
    let client = ::reqwest::Client::new();
    let models: Value = rt.block_on(async {
        client
            .get(format!("{}/v1/models", server.base))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    });
    let ids: Vec<&str> = models["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&"mock-chat") && ids.contains(&"mock-video"),
        "{models}"
    );
    let reply: Value = rt.block_on(async {
        client
            .post(format!("{}/v1/chat/completions", server.base))
            .bearer_auth(&key)
            .json(&json!({"model": "mock-chat", "messages": [{"role": "user", "content": "first light"}]}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    });
    assert!(
        reply["choices"][0]["message"]["content"]
            .as_str()
            .unwrap()
            .contains("first light")
    );
    assert!(server.terminate().success());
    // Logs were JSON lines carrying the request id.
    let logs = server.output();
    assert!(
        logs.iter().any(|l| l.starts_with('{')
            && l.contains("request_id")
            && l.contains("request finished")),
        "{logs:?}"
    );

    // Second start: the key already exists, nothing is printed, and it still works.
    let mut again = Server::start(dir.path(), &[]);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(admin_key_from(&again.output()), None);
    let status = rt.block_on(async {
        client
            .get(format!("{}/v1/models", again.base))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap()
            .status()
    });
    assert_eq!(status, 200);
    assert!(again.terminate().success());
}

#[test]
fn sigterm_lets_an_in_flight_request_finish() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("switchyard.toml"),
        r#"
[[providers]]
name = "slow"
kind = "mock"
options = { latency_ms = 1500 }

[[models]]
name = "slow-chat"
provider = "slow"
"#,
    )
    .unwrap();
    let admin = "sy-cli-test-admin-key-42";
    let mut server = Server::start(dir.path(), &[("SWITCHYARD_ADMIN_KEY", admin)]);
    let base = server.base.clone();
    let request = std::thread::spawn(move || {
        reqwest::runtime().block_on(async {
            let r = ::reqwest::Client::new()
                .post(format!("{base}/v1/chat/completions"))
                .bearer_auth(admin)
                .json(&json!({"model": "slow-chat", "messages": [{"role": "user", "content": "wait for me"}]}))
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        })
    });
    std::thread::sleep(Duration::from_millis(400));
    let status = server.terminate();
    let (code, body) = request.join().unwrap();
    assert_eq!(code, 200, "{body}");
    assert!(body.contains("wait for me"));
    assert!(status.success());
}

#[test]
fn check_config_reports_every_problem_with_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.toml");
    std::fs::write(
        &file,
        r#"
[server]
listen = "not an address"

[[providers]]
name = "Open AI"
kind = "openai"
api_kee = "x"

[[models]]
name = "m"
provider = "ghost"
"#,
    )
    .unwrap();
    let out = switchyard(dir.path())
        .args(["check-config", "--config"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    for path in [
        "server.listen",
        "providers[0].name",
        "providers[0].api_kee",
        "models[0].provider",
    ] {
        assert!(err.contains(path), "missing {path} in:\n{err}");
    }
    let good = switchyard(dir.path()).arg("check-config").output().unwrap();
    assert_eq!(
        good.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&good.stderr)
    );
}

#[test]
fn config_schema_is_json_schema_of_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = switchyard(dir.path())
        .arg("config-schema")
        .output()
        .unwrap();
    assert!(out.status.success());
    let schema: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(schema["properties"]["providers"].is_object(), "{schema}");
    assert!(schema.to_string().contains("openai_compatible"));
}

#[test]
fn migrate_and_keys_create_work_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = switchyard(dir.path()).arg("migrate").output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = switchyard(dir.path())
        .args(["keys", "create", "--name", "ci-bot", "--role", "service"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let key = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert!(key.starts_with("sy-") && key.len() > 30, "{key}");
    let bad = switchyard(dir.path())
        .args(["keys", "create", "--name", "x", "--role", "root"])
        .output()
        .unwrap();
    assert!(!bad.status.success());

    let mut server = Server::start(dir.path(), &[]);
    let rt = reqwest::runtime();
    let client = ::reqwest::Client::new();
    let models = rt.block_on(async {
        client
            .get(format!("{}/v1/models", server.base))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap()
            .status()
    });
    assert_eq!(models, 200);
    let admin = rt.block_on(async {
        client
            .get(format!("{}/api/v1/admin/keys", server.base))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap()
            .status()
    });
    assert_eq!(admin, 403, "a service key may not use admin routes");
    assert!(server.terminate().success());
}

#[test]
fn rotate_master_key_rewraps_secrets_for_the_new_key() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("switchyard.toml"),
        "[[providers]]\nname = \"vault\"\nkind = \"openai\"\napi_key = \"sk-literal-for-rotation-test\"\n\n[[models]]\nname = \"v\"\nprovider = \"vault\"\n",
    )
    .unwrap();
    let old = "b2xkLW1hc3Rlci1rZXktMzItYnl0ZXMtbG9uZy0wMDA=";
    let new = "bmV3LW1hc3Rlci1rZXktMzItYnl0ZXMtbG9uZy0xMTE=";
    let out = switchyard(dir.path())
        .arg("migrate")
        .env("SWITCHYARD_MASTER_KEY", old)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Seeding happens on serve; start once with the old key.
    let mut server = Server::start(
        dir.path(),
        &[
            ("SWITCHYARD_MASTER_KEY", old),
            ("SWITCHYARD_ADMIN_KEY", "sy-rotation-admin-key-01"),
        ],
    );
    assert!(server.terminate().success());
    let out = switchyard(dir.path())
        .arg("rotate-master-key")
        .env("SWITCHYARD_MASTER_KEY", new)
        .env("SWITCHYARD_MASTER_KEY_PREVIOUS", old)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("re-wrapped 1 provider secret"));
    // Without the old key, a rotation now finds nothing it cannot open.
    let again = switchyard(dir.path())
        .arg("rotate-master-key")
        .env("SWITCHYARD_MASTER_KEY", new)
        .output()
        .unwrap();
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert!(String::from_utf8_lossy(&again.stdout).contains("re-wrapped 0"));
    // With the wrong key the command refuses, naming the provider.
    let wrong = switchyard(dir.path())
        .arg("rotate-master-key")
        .env(
            "SWITCHYARD_MASTER_KEY",
            "d3Jvbmctd3Jvbmctd3Jvbmctd3Jvbmctd3Jvbmctd3I=",
        )
        .output()
        .unwrap();
    assert!(!wrong.status.success());
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("vault"));
}
