//! Usage analytics over HTTP: real traffic through the gateway (several keys, users and
//! models, one provider that always fails) is reported exactly by the admin report, its
//! CSV/JSON export and a user's own report; and known records inserted directly come back
//! with exact totals, buckets, percentiles, paged exports and RFC 4180 quoting.

use reqwest::StatusCode;
use serde_json::{Value, json};
use switchyard_store::usage_report::day_bucket;
use switchyard_store::{Page, UsageFilter};
use switchyard_testkit::{Backend, TestApp};
use switchyard_types::{UsageRecord, now_millis};

const TOML: &str = r#"
[[providers]]
name = "steady"
kind = "mock"

[[providers]]
name = "broken"
kind = "mock"
options = { error_rate = 1.0 }

[[models]]
name = "steady-chat"
provider = "steady"
input_cost_per_mtok = 1.0
output_cost_per_mtok = 2.0

[[models]]
name = "other-chat"
provider = "steady"

[[models]]
name = "broken-chat"
provider = "broken"
"#;

const CSV_HEADER: &str = "id,request_id,key_id,user_id,team_id,model,provider,endpoint,\
input_tokens,output_tokens,cached_input_tokens,reasoning_tokens,cost_usd,latency_ms,ttft_ms,\
status,error_kind,created_at";

async fn chat(app: &TestApp, key: &str, model: &str) -> StatusCode {
    app.client
        .post(app.url("/v1/chat/completions"))
        .bearer_auth(key)
        .json(&json!({"model": model, "messages": [{"role": "user", "content": "count me"}]}))
        .send()
        .await
        .unwrap()
        .status()
}

/// GET `path` with `key`, expecting `status`; the JSON body (or `null`).
async fn get(app: &TestApp, key: &str, path: &str, status: u16) -> Value {
    let r = app
        .client
        .get(app.url(path))
        .bearer_auth(key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), status, "GET {path}");
    r.json().await.unwrap_or(Value::Null)
}

/// Nearest-rank percentile of `values`.
fn percentile(values: &[u64], p: usize) -> u64 {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    sorted[(p * sorted.len()).div_ceil(100) - 1]
}

fn groups(body: &Value, fields: &[&str]) -> Vec<(Vec<Value>, u64, u64)> {
    body["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            let key = fields.iter().map(|f| g[*f].clone()).collect();
            (
                key,
                g["requests"].as_u64().unwrap(),
                g["errors"].as_u64().unwrap(),
            )
        })
        .collect()
}

async fn traffic_is_reported(backend: Backend) {
    let Some(mut app) = TestApp::start_with(backend, TOML).await else {
        eprintln!("skipped: PostgreSQL unreachable");
        return;
    };
    let before = now_millis();
    let (user_a, key_a, secret_a) = app.create_key("user").await;
    let (user_b, _key_b, secret_b) = app.create_key("user").await;
    for _ in 0..3 {
        assert_eq!(chat(&app, &secret_a, "steady-chat").await, 200);
    }
    assert!(chat(&app, &secret_a, "broken-chat").await.is_server_error());
    for _ in 0..2 {
        assert_eq!(chat(&app, &secret_b, "other-chat").await, 200);
    }
    assert_eq!(
        chat(&app, switchyard_testkit::ADMIN_KEY, "steady-chat").await,
        200
    );
    // Stopping drains the usage queue; a replica on the same database answers the queries.
    app.stop().await;
    let after = now_millis() + 1;
    let records: Vec<UsageRecord> = app
        .db()
        .usage()
        .list(Page::new(100, 0), &UsageFilter::default())
        .await
        .unwrap()
        .items;
    assert_eq!(records.len(), 7);
    let app = app.replica(TOML).await;
    let admin = switchyard_testkit::ADMIN_KEY;

    let body = get(&app, admin, "/api/v1/admin/usage", 200).await;
    let totals = &body["totals"];
    let latencies: Vec<u64> = records.iter().map(|r| r.latency_ms).collect();
    assert_eq!(totals["requests"], 7);
    assert_eq!(totals["errors"], 1);
    assert!((totals["error_rate"].as_f64().unwrap() - 1.0 / 7.0).abs() < 1e-9);
    let sum = |f: fn(&UsageRecord) -> u64| records.iter().map(f).sum::<u64>();
    assert_eq!(totals["input_tokens"], sum(|r| r.input_tokens));
    assert_eq!(totals["output_tokens"], sum(|r| r.output_tokens));
    assert!(sum(|r| r.output_tokens) > 0);
    let cost: f64 = records.iter().map(|r| r.cost_usd).sum();
    assert!(cost > 0.0 && (totals["cost_usd"].as_f64().unwrap() - cost).abs() < 1e-12);
    assert_eq!(totals["latency_p50_ms"], percentile(&latencies, 50));
    assert_eq!(totals["latency_p95_ms"], percentile(&latencies, 95));
    assert_eq!(body["groups"], json!([]));
    assert_eq!(body["filters"]["user_id"], Value::Null);

    let body = get(&app, admin, "/api/v1/admin/usage?group_by=model", 200).await;
    assert_eq!(
        groups(&body, &["model"]),
        [
            (vec![json!("broken-chat")], 1, 1),
            (vec![json!("other-chat")], 2, 0),
            (vec![json!("steady-chat")], 4, 0),
        ]
    );
    let body = get(&app, admin, "/api/v1/admin/usage?group_by=user,day", 200).await;
    let by_user = groups(&body, &["user_id", "day"]);
    let day = json!(day_bucket(records[0].created_at));
    assert_eq!(by_user.len(), 3, "{body}");
    let a = by_user.iter().find(|g| g.0[0] == json!(user_a)).unwrap();
    assert_eq!((&a.0[1], a.1, a.2), (&day, 4, 1));
    let b = by_user.iter().find(|g| g.0[0] == json!(user_b)).unwrap();
    assert_eq!((b.1, b.2), (2, 0));
    let a_rate = body["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["user_id"] == json!(user_a))
        .unwrap()["error_rate"]
        .clone();
    assert_eq!(a_rate, json!(0.25));

    for (query, expected) in [
        (format!("key_id={key_a}&status=error"), 1),
        (format!("key_id={key_a}&status=ok"), 3),
        (format!("from={before}&to={after}"), 7),
        (format!("from={after}"), 0),
        (format!("to={before}"), 0),
        ("provider=steady&model=other-chat".to_owned(), 2),
    ] {
        let body = get(&app, admin, &format!("/api/v1/admin/usage?{query}"), 200).await;
        assert_eq!(body["totals"]["requests"], expected, "{query}");
    }

    // A user sees only their own usage, whatever user_id they ask for.
    let mine = format!("/api/v1/usage?user_id={user_b}&group_by=model");
    let body = get(&app, &secret_a, &mine, 200).await;
    assert_eq!(body["filters"]["user_id"], json!(user_a));
    assert_eq!(
        (&body["totals"]["requests"], &body["totals"]["errors"]),
        (&json!(4), &json!(1))
    );
    assert_eq!(
        groups(&body, &["model"]),
        [
            (vec![json!("broken-chat")], 1, 1),
            (vec![json!("steady-chat")], 3, 0)
        ]
    );
    let body = get(&app, &secret_b, "/api/v1/usage", 200).await;
    assert_eq!(body["totals"]["requests"], 2);
    let body = get(
        &app,
        &secret_b,
        &format!("/api/v1/usage?key_id={key_a}"),
        200,
    )
    .await;
    assert_eq!(
        body["totals"]["requests"], 0,
        "another user's key reads nothing"
    );
    let body = get(&app, admin, "/api/v1/usage", 200).await;
    assert_eq!(body["totals"]["requests"], 1, "an admin's own usage");
    get(&app, &secret_a, "/api/v1/admin/usage", 403).await;
    get(&app, &secret_a, "/api/v1/admin/usage/export", 403).await;
    let r = app
        .client
        .get(app.url("/api/v1/usage"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);

    // CSV export: a header row, one row per record, as an attachment.
    let r = app
        .get(&format!(
            "/api/v1/admin/usage/export?format=csv&user_id={user_a}"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
    assert_eq!(
        r.headers()["content-disposition"],
        "attachment; filename=\"usage.csv\""
    );
    let text = r.text().await.unwrap();
    let lines: Vec<&str> = text.strip_suffix("\r\n").unwrap().split("\r\n").collect();
    assert_eq!(lines[0], CSV_HEADER);
    assert_eq!(lines.len(), 5, "{text}");
    for line in &lines[1..] {
        let cells: Vec<&str> = line.split(',').collect();
        assert_eq!(cells.len(), 18, "{line}");
        assert_eq!((cells[2], cells[3]), (key_a.as_str(), user_a.as_str()));
    }
    assert_eq!(
        lines.iter().filter(|l| l.contains(",broken-chat,")).count(),
        1
    );

    let r = app
        .get("/api/v1/admin/usage/export?format=json&model=other-chat")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "application/json");
    let rows: Vec<UsageRecord> = r.json().await.unwrap();
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().all(|r| r.user_id.as_deref() == Some(&user_b)));

    for (path, param) in [
        ("/api/v1/admin/usage?group_by=color", "group_by"),
        ("/api/v1/admin/usage?from=5&to=1", "from"),
        ("/api/v1/admin/usage?from=today", "from"),
        ("/api/v1/admin/usage?status=fine", "status"),
        ("/api/v1/admin/usage?shoe_size=9", "shoe_size"),
        ("/api/v1/admin/usage/export?format=xml", "format"),
        ("/api/v1/usage?group_by=model,color", "group_by"),
    ] {
        let key = if path.starts_with("/api/v1/usage") {
            &secret_a
        } else {
            admin
        };
        let body = get(&app, key, path, 400).await;
        assert_eq!(body["error"]["param"], param, "{path}: {body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .starts_with(param)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn traffic_is_reported_sqlite() {
    traffic_is_reported(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn traffic_is_reported_postgres() {
    traffic_is_reported(Backend::Postgres).await;
}

/// Midnight UTC.
const BASE: i64 = 1_700_006_400_000;
const HOUR: i64 = 3_600_000;
const DAY: i64 = 86_400_000;

/// Record `i` of 2,400, one a minute from BASE (40 hours): even ones belong to `user`,
/// every third is model `m-a`, every tenth failed, latencies cycle through 1..=100 ms.
fn known(i: u64, user: &str) -> UsageRecord {
    UsageRecord {
        id: format!("r{i:05}"),
        request_id: format!("q{i}"),
        key_id: Some(format!("k{}", i % 2)),
        user_id: Some(if i.is_multiple_of(2) {
            user.into()
        } else {
            "someone-else".into()
        }),
        team_id: None,
        model: if i.is_multiple_of(3) {
            "m-a".into()
        } else {
            "m-b".into()
        },
        provider: "p".into(),
        endpoint: "chat".into(),
        input_tokens: 10,
        output_tokens: 5,
        cached_input_tokens: 0,
        reasoning_tokens: 0,
        cost_usd: 0.25,
        latency_ms: i % 100 + 1,
        ttft_ms: None,
        status: if i.is_multiple_of(10) { 500 } else { 200 },
        error_kind: None,
        created_at: BASE + i64::try_from(i).unwrap() * 60_000,
    }
}

async fn known_records_are_reported_exactly(app: TestApp) {
    let (user, _key, secret) = app.create_key("user").await;
    let mut records: Vec<UsageRecord> = (0..2400).map(|i| known(i, &user)).collect();
    // One odd record before BASE, for CSV quoting.
    let mut odd = known(0, "someone-else");
    odd.id = "odd".into();
    odd.request_id = "=HYPERLINK(\"x\")".into();
    odd.model = "odd,model".into();
    odd.created_at = BASE - 1;
    records.push(odd);
    assert_eq!(app.db().usage().insert_batch(&records).await.unwrap(), 2401);
    let admin = switchyard_testkit::ADMIN_KEY;

    let body = get(
        &app,
        admin,
        &format!("/api/v1/admin/usage?from={BASE}&group_by=day"),
        200,
    )
    .await;
    // 2,400 latencies, each of 1..=100 ms 24 times: rank 1200 → 50 ms, rank 2280 → 95 ms.
    assert_eq!(
        body["totals"],
        json!({"requests": 2400, "errors": 240, "error_rate": 0.1, "input_tokens": 24000,
               "output_tokens": 12000, "cached_input_tokens": 0, "reasoning_tokens": 0,
               "cost_usd": 600.0, "latency_p50_ms": 50, "latency_p95_ms": 95,
               "avg_ttft_ms": null})
    );
    assert_eq!(
        groups(&body, &["day"]),
        [
            (vec![json!(BASE)], 1440, 144),
            (vec![json!(BASE + DAY)], 960, 96)
        ]
    );
    assert_eq!(body["filters"]["from"], BASE);
    assert_eq!(body["group_by"], json!(["day"]));
    assert_eq!(body["truncated"], false);

    let path = format!(
        "/api/v1/admin/usage?from={BASE}&to={}&group_by=hour,model",
        BASE + 2 * HOUR
    );
    let body = get(&app, admin, &path, 200).await;
    assert_eq!(
        groups(&body, &["hour", "model"]),
        [
            (vec![json!(BASE), json!("m-a")], 20, 2),
            (vec![json!(BASE), json!("m-b")], 40, 4),
            (vec![json!(BASE + HOUR), json!("m-a")], 20, 2),
            (vec![json!(BASE + HOUR), json!("m-b")], 40, 4),
        ]
    );
    let body = get(&app, admin, "/api/v1/admin/usage", 200).await;
    assert_eq!(body["totals"]["requests"], 2401);

    // The user's own view: even records only; with m-a, multiples of 6.
    let body = get(&app, &secret, "/api/v1/usage?model=m-a", 200).await;
    assert_eq!(body["totals"]["requests"], 400);
    let body = get(&app, &secret, "/api/v1/usage?group_by=key", 200).await;
    assert_eq!(groups(&body, &["key_id"]), [(vec![json!("k0")], 1200, 240)]);

    // Exports page through the table (1,000 records a page) without losing or repeating one.
    let csv = app
        .get(&format!("/api/v1/admin/usage/export?from={BASE}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let lines: Vec<&str> = csv.strip_suffix("\r\n").unwrap().split("\r\n").collect();
    assert_eq!(lines.len(), 2401);
    assert_eq!(lines[0], CSV_HEADER);
    assert!(lines[1].starts_with("r00000,q0,k0,"));
    assert!(
        lines[2400]
            .starts_with("r02399,q2399,k1,someone-else,,m-b,p,chat,10,5,0,0,0.25,100,,200,,")
    );
    let json: Vec<UsageRecord> = app
        .get(&format!(
            "/api/v1/admin/usage/export?format=json&from={BASE}"
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(json, records[..2400]);

    // RFC 4180 quoting, and a formula-looking field defused with a leading quote.
    let csv = app
        .get("/api/v1/admin/usage/export?format=csv&model=odd%2Cmodel")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let expected = format!(
        "{CSV_HEADER}\r\nodd,\"'=HYPERLINK(\"\"x\"\")\",k0,someone-else,,\"odd,model\",p,chat,\
         10,5,0,0,0.25,1,,500,,{}\r\n",
        BASE - 1
    );
    assert_eq!(csv, expected);
    let empty = app
        .get("/api/v1/admin/usage/export?format=json&model=none")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(serde_json::from_str::<Value>(&empty).unwrap(), json!([]));
}

switchyard_testkit::backend_tests!(known_records_are_reported_exactly);
