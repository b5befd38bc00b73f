//! Measures a stream's time to first chunk and to completion, sequentially, one
//! connection (keep-alive). Usage: bench-ttfb <url> <bearer-key|-> <requests>
//! Prints `first_chunk_p50_ms first_chunk_p99_ms total_p50_ms`.

use std::time::Instant;

use futures::StreamExt;

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

#[expect(
    clippy::print_stdout,
    reason = "the figures are this tool's output, read by bench/run.sh"
)]
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .ok_or("usage: bench-ttfb <url> <key|-> <requests>")?;
    let key = args.next().unwrap_or_else(|| "-".into());
    let n: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(2000);
    let client = reqwest::Client::builder().tcp_nodelay(true).build()?;
    let body = serde_json::json!({"model": "bench-model", "stream": true,
        "messages": [{"role": "user", "content": "Say something short."}]});
    let mut first = Vec::with_capacity(n);
    let mut total = Vec::with_capacity(n);
    for i in 0..n + 100 {
        let mut req = client.post(&url).json(&body);
        if key != "-" {
            req = req.bearer_auth(&key);
        }
        let started = Instant::now();
        let response = req.send().await?;
        if !response.status().is_success() {
            return Err(format!("HTTP {}", response.status()).into());
        }
        let mut stream = response.bytes_stream();
        let mut first_at = None;
        while let Some(chunk) = stream.next().await {
            chunk?;
            first_at.get_or_insert_with(|| started.elapsed());
        }
        if i >= 100 {
            // The first 100 warm up connections and caches.
            first.push(first_at.unwrap_or_default().as_secs_f64() * 1000.0);
            total.push(started.elapsed().as_secs_f64() * 1000.0);
        }
    }
    first.sort_by(f64::total_cmp);
    total.sort_by(f64::total_cmp);
    println!(
        "{:.3} {:.3} {:.3}",
        pct(&first, 0.5),
        pct(&first, 0.99),
        pct(&total, 0.5)
    );
    Ok(())
}
