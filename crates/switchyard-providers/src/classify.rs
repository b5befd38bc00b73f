//! Upstream failures → [`ProviderError`] with an [`ErrorKind`] (ARCHITECTURE.md, "Errors"), reading the
//! status, the provider's error body and its `Retry-After` / rate-limit headers.

use std::time::Duration;

use reqwest::header::HeaderMap;
use switchyard_types::ErrorKind;

use crate::ProviderError;

/// Classify a non-2xx upstream response.
pub fn from_response(status: u16, headers: &HeaderMap, body: &[u8]) -> ProviderError {
    let text = String::from_utf8_lossy(body);
    let lower = text.to_ascii_lowercase();
    let kind = kind_of(status, &lower);
    let message = upstream_message(&text).unwrap_or_else(|| {
        let snippet: String = text.chars().take(300).collect();
        if snippet.trim().is_empty() {
            format!("upstream answered HTTP {status}")
        } else {
            format!("upstream answered HTTP {status}: {snippet}")
        }
    });
    ProviderError {
        kind,
        message,
        status: Some(status),
        retry_after: retry_after(headers),
    }
}

/// The error kind for a status and (lower-cased) body.
pub fn kind_of(status: u16, body: &str) -> ErrorKind {
    let mentions = |words: &[&str]| words.iter().any(|w| body.contains(w));
    if mentions(&[
        "context_length_exceeded",
        "maximum context length",
        "prompt is too long",
        "too many tokens",
        "input is too long",
    ]) {
        return ErrorKind::ContextLengthExceeded;
    }
    if (400..500).contains(&status)
        && mentions(&[
            "content_filter",
            "content_policy",
            "safety",
            "responsible ai",
        ])
    {
        return ErrorKind::ContentFiltered;
    }
    match status {
        400 | 413 | 422 => ErrorKind::BadRequest,
        401 | 403 => ErrorKind::Auth,
        404 => ErrorKind::NotFound,
        408 => ErrorKind::Timeout,
        429 => ErrorKind::RateLimited,
        503 | 529 => ErrorKind::Overloaded,
        504 => ErrorKind::Timeout,
        s if s >= 500 => ErrorKind::UpstreamError,
        409 => ErrorKind::UpstreamError,
        _ => ErrorKind::BadRequest,
    }
}

/// The human message inside the common provider error bodies:
/// `{"error":{"message"}}` (OpenAI, Anthropic, Gemini), `{"error":"…"}` (Hugging Face),
/// `{"message"}` / `{"detail"}` (others).
pub fn upstream_message(text: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(text).ok()?;
    let candidates = [
        value.pointer("/error/message"),
        value.get("error").filter(|e| e.is_string()),
        value.get("message"),
        value.get("detail"),
        value.pointer("/0/error/message"),
    ];
    candidates
        .into_iter()
        .flatten()
        .find_map(|v| v.as_str().map(str::to_string))
}

/// How long the upstream asks us to wait: `retry-after-ms`, `Retry-After` (seconds or an
/// HTTP date), else the sooner of the `x-ratelimit-reset-*` durations.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let get = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(ms) = get("retry-after-ms").and_then(|v| v.parse::<f64>().ok()) {
        return positive(ms / 1000.0);
    }
    if let Some(v) = get("retry-after") {
        if let Ok(secs) = v.parse::<f64>() {
            return positive(secs);
        }
        if let Ok(at) = httpdate(v) {
            let now = std::time::SystemTime::now();
            return at.duration_since(now).ok();
        }
    }
    ["x-ratelimit-reset-requests", "x-ratelimit-reset-tokens"]
        .into_iter()
        .filter_map(|h| get(h).and_then(parse_go_duration))
        .min()
}

fn positive(secs: f64) -> Option<Duration> {
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs.min(3600.0)))
}

/// Durations such as `6m0s`, `1.5s`, `120ms`, `1h2m`, as OpenAI's reset headers use.
pub fn parse_go_duration(text: &str) -> Option<Duration> {
    let mut total = 0.0f64;
    let mut rest = text.trim();
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number: f64 = rest[..end].parse().ok()?;
        rest = &rest[end..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let factor = match &rest[..unit_end] {
            "h" => 3600.0,
            "m" => 60.0,
            "s" | "" => 1.0,
            "ms" => 0.001,
            "us" | "µs" => 0.000_001,
            "ns" => 0.000_000_001,
            _ => return None,
        };
        total += number * factor;
        rest = &rest[unit_end..];
    }
    positive(total)
}

/// Parse an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), the form HTTP dates take.
fn httpdate(text: &str) -> Result<std::time::SystemTime, ()> {
    let parts: Vec<&str> = text.split_whitespace().collect();
    let [_, day, month, year, time, "GMT"] = parts.as_slice() else {
        return Err(());
    };
    let day: u64 = day.parse().map_err(|_| ())?;
    let year: i64 = year.parse().map_err(|_| ())?;
    let months = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = months.iter().position(|m| m == month).ok_or(())? as i64 + 1;
    let hms: Vec<u64> = time
        .split(':')
        .map(|p| p.parse().map_err(|_| ()))
        .collect::<Result<_, _>>()?;
    let [h, m, s] = hms.as_slice() else {
        return Err(());
    };
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = u64::try_from(days).map_err(|_| ())? * 86_400 + h * 3600 + m * 60 + s;
    Ok(std::time::UNIX_EPOCH + Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_and_bodies_map_to_kinds() {
        assert_eq!(kind_of(429, ""), ErrorKind::RateLimited);
        assert_eq!(kind_of(529, ""), ErrorKind::Overloaded);
        assert_eq!(kind_of(401, ""), ErrorKind::Auth);
        assert_eq!(kind_of(500, ""), ErrorKind::UpstreamError);
        assert_eq!(kind_of(504, ""), ErrorKind::Timeout);
        assert_eq!(
            kind_of(400, r#"{"error":{"code":"context_length_exceeded"}}"#),
            ErrorKind::ContextLengthExceeded
        );
        assert_eq!(
            kind_of(400, "prompt is too long: 210000 tokens > 200000 maximum"),
            ErrorKind::ContextLengthExceeded
        );
        assert_eq!(
            kind_of(400, r#"{"code":"content_filter"}"#),
            ErrorKind::ContentFiltered
        );
        assert_eq!(kind_of(404, ""), ErrorKind::NotFound);
    }

    #[test]
    fn retry_after_forms() {
        let mut h = HeaderMap::new();
        h.insert("retry-after", "7".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(7)));
        h.insert("retry-after-ms", "250".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_millis(250)));
        let mut h = HeaderMap::new();
        h.insert("x-ratelimit-reset-requests", "6m0s".parse().unwrap());
        h.insert("x-ratelimit-reset-tokens", "120ms".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_millis(120)));
        let mut h = HeaderMap::new();
        h.insert(
            "retry-after",
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&h), None, "a date in the past means no wait");
        assert_eq!(
            httpdate("Wed, 21 Oct 2015 07:28:00 GMT").unwrap(),
            std::time::UNIX_EPOCH + Duration::from_secs(1_445_412_480)
        );
    }

    #[test]
    fn messages_are_read_from_provider_bodies() {
        let h = HeaderMap::new();
        let e = from_response(
            401,
            &h,
            br#"{"error":{"message":"Incorrect API key provided","type":"invalid_request_error"}}"#,
        );
        assert_eq!(e.message, "Incorrect API key provided");
        let e = from_response(
            503,
            &h,
            br#"{"error":"Model x is currently loading","estimated_time":20.0}"#,
        );
        assert_eq!(e.kind, ErrorKind::Overloaded);
        assert!(e.message.contains("loading"));
        let e = from_response(502, &h, b"<html>bad gateway</html>");
        assert!(e.message.contains("HTTP 502"));
    }
}
