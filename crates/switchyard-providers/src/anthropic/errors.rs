//! Anthropic failures → classified [`ProviderError`]s: the shared status-based
//! classification refined by the body's `error.type` (e.g. `overloaded_error`), and a
//! wait time from `retry-after` or, failing that, the exhausted
//! `anthropic-ratelimit-*-reset` headers (RFC 3339 instants).

use std::time::{Duration, SystemTime};

use reqwest::header::HeaderMap;
use switchyard_types::ErrorKind;

use super::wire::{ErrorBody, ErrorDetail, ErrorType};
use crate::{ProviderError, classify};

/// Classify a non-2xx Messages API response.
pub fn from_response(status: u16, headers: &HeaderMap, body: &[u8]) -> ProviderError {
    let mut error = classify::from_response(status, headers, body);
    if let Ok(parsed) = serde_json::from_slice::<ErrorBody>(body) {
        let by_type = kind_of(&parsed.error);
        // The message-based kinds (context length) are more specific than the type.
        if parsed.error.kind != ErrorType::Unknown
            && !matches!(
                error.kind,
                ErrorKind::ContextLengthExceeded | ErrorKind::ContentFiltered
            )
        {
            error.kind = by_type;
        }
    }
    if error.retry_after.is_none() && error.kind == ErrorKind::RateLimited {
        error.retry_after = ratelimit_reset(headers, SystemTime::now());
    }
    error
}

/// An `error` event received after the stream began.
pub fn from_stream_event(detail: &ErrorDetail) -> ProviderError {
    let message = if detail.message.is_empty() {
        format!("upstream stream error ({:?})", detail.kind)
    } else {
        detail.message.clone()
    };
    ProviderError::new(kind_of(detail), message)
}

/// The canonical kind for an Anthropic error type (and, for invalid requests, its message).
pub fn kind_of(detail: &ErrorDetail) -> ErrorKind {
    match detail.kind {
        ErrorType::InvalidRequestError => {
            classify::kind_of(400, &detail.message.to_ascii_lowercase())
        }
        ErrorType::AuthenticationError | ErrorType::PermissionError | ErrorType::BillingError => {
            ErrorKind::Auth
        }
        ErrorType::NotFoundError => ErrorKind::NotFound,
        ErrorType::RequestTooLarge => ErrorKind::BadRequest,
        ErrorType::RateLimitError => ErrorKind::RateLimited,
        ErrorType::TimeoutError => ErrorKind::Timeout,
        ErrorType::OverloadedError => ErrorKind::Overloaded,
        ErrorType::ApiError | ErrorType::Unknown => ErrorKind::UpstreamError,
    }
}

/// The wait until every exhausted rate limit (`…-remaining: 0`) has reset.
pub fn ratelimit_reset(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let get = |name: String| {
        headers
            .get(name.as_str())
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    ["requests", "tokens", "input-tokens", "output-tokens"]
        .into_iter()
        .filter(|limit| get(format!("anthropic-ratelimit-{limit}-remaining")) == Some("0"))
        .filter_map(|limit| get(format!("anthropic-ratelimit-{limit}-reset")))
        .filter_map(parse_rfc3339)
        .filter_map(|at| at.duration_since(now).ok())
        .max()
        .map(|d| d.min(Duration::from_secs(3600)))
}

/// Parse an RFC 3339 instant such as `2025-08-21T12:40:59Z` or
/// `2025-08-21T14:40:59.5+02:00`.
pub fn parse_rfc3339(text: &str) -> Option<SystemTime> {
    let (date, time) = text.split_once(['T', 't', ' '])?;
    let mut ymd = date.splitn(3, '-');
    let year: i64 = ymd.next()?.parse().ok()?;
    let month: i64 = ymd.next()?.parse().ok()?;
    let day: i64 = ymd.next()?.parse().ok()?;
    let (clock, offset) = if let Some(clock) = time.strip_suffix(['Z', 'z']) {
        (clock, 0)
    } else {
        let at = time.rfind(['+', '-'])?;
        let (clock, zone) = time.split_at(at);
        let sign = if zone.starts_with('-') { -1 } else { 1 };
        let (h, m) = zone[1..].split_once(':')?;
        let secs = h.parse::<i64>().ok()? * 3600 + m.parse::<i64>().ok()? * 60;
        (clock, sign * secs)
    };
    let (hms, fraction) = clock.split_once('.').unwrap_or((clock, ""));
    let mut parts = hms.splitn(3, ':').map(|p| p.parse::<i64>().ok());
    let (h, m, s) = (parts.next()??, parts.next()??, parts.next()??);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || h > 23 || m > 59 || s > 60 {
        return None;
    }
    let nanos = if fraction.is_empty() {
        0
    } else {
        let digits: String = fraction.chars().take(9).collect();
        let value: u32 = digits.parse().ok()?;
        value * 10u32.pow(9 - digits.len() as u32)
    };
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468;
    let secs = days * 86_400 + h * 3600 + m * 60 + s - offset;
    let secs = u64::try_from(secs).ok()?;
    Some(SystemTime::UNIX_EPOCH + Duration::new(secs, nanos))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_forms() {
        let z = parse_rfc3339("2025-08-21T12:40:59Z").unwrap();
        assert_eq!(
            z,
            SystemTime::UNIX_EPOCH + Duration::from_secs(1_755_780_059)
        );
        assert_eq!(parse_rfc3339("2025-08-21T14:40:59+02:00").unwrap(), z);
        assert_eq!(
            parse_rfc3339("2025-08-21T12:40:59.25Z").unwrap(),
            z + Duration::from_millis(250)
        );
        assert!(parse_rfc3339("yesterday").is_none());
        assert!(parse_rfc3339("2025-13-01T00:00:00Z").is_none());
    }

    #[test]
    fn only_exhausted_limits_count() {
        let now = parse_rfc3339("2025-08-21T12:40:00Z").unwrap();
        let mut h = HeaderMap::new();
        h.insert(
            "anthropic-ratelimit-requests-remaining",
            "5".parse().unwrap(),
        );
        h.insert(
            "anthropic-ratelimit-requests-reset",
            "2025-08-21T12:45:00Z".parse().unwrap(),
        );
        assert_eq!(ratelimit_reset(&h, now), None);
        h.insert("anthropic-ratelimit-tokens-remaining", "0".parse().unwrap());
        h.insert(
            "anthropic-ratelimit-tokens-reset",
            "2025-08-21T12:40:30Z".parse().unwrap(),
        );
        assert_eq!(ratelimit_reset(&h, now), Some(Duration::from_secs(30)));
    }
}
