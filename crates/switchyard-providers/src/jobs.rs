//! Provider-side jobs, shared by the video adapters: the many names providers give a
//! job's state (`PENDING`, `THROTTLED`, `in_progress`, `completed`, `expired`, …)
//! normalised to [`JobState`] — expired and safety-filtered jobs are failures with a
//! reason — and the retry rule for job creation: only failures the upstream answered
//! with a status are retried, so a lost response never creates a second job.

use std::time::Duration;

use switchyard_types::media::{JobState, JobStatus};

use crate::{ProviderError, Retry};

/// The normalised state of a provider's status word and, for synonyms of failure
/// (expired, moderated, …), the reason. `None` for a word no provider is known to use.
pub fn job_state(raw: &str) -> Option<(JobState, Option<&'static str>)> {
    let word: String = raw
        .trim()
        .chars()
        .map(|c| match c {
            '-' | ' ' | '.' => '_',
            c => c.to_ascii_lowercase(),
        })
        .collect();
    let state = match word.as_str() {
        "queued" | "pending" | "throttled" | "submitted" | "waiting" | "created" | "scheduled"
        | "not_started" | "starting" => JobState::Queued,
        "running" | "in_progress" | "processing" | "started" | "generating" | "active" => {
            JobState::Running
        }
        "succeeded" | "completed" | "complete" | "success" | "done" | "finished" | "ready" => {
            JobState::Succeeded
        }
        "failed" | "failure" | "error" | "errored" => JobState::Failed,
        "expired" | "timed_out" | "timeout" => {
            return Some((JobState::Failed, Some("the provider expired the job")));
        }
        "rejected"
        | "moderated"
        | "blocked"
        | "safety_filtered"
        | "content_filtered"
        | "moderation_blocked"
        | "content_policy_violation" => {
            return Some((
                JobState::Failed,
                Some("content filtered by the provider's safety system"),
            ));
        }
        "cancelled" | "canceled" | "aborted" | "deleted" => JobState::Cancelled,
        _ => return None,
    };
    Some((state, None))
}

/// A status from the provider's status word, progress (0–100), outputs and failure
/// message. Unknown words count as still running (the task's deadline bounds them);
/// a failure without a message gets the synonym's reason or a generic one.
pub fn job_status(
    raw: &str,
    progress: Option<u8>,
    output_urls: Vec<String>,
    error: Option<String>,
) -> JobStatus {
    let (state, reason) = job_state(raw).unwrap_or_else(|| {
        tracing::debug!(status = raw, "unknown provider job status; still polling");
        (JobState::Running, None)
    });
    let error = match state {
        JobState::Failed => Some(match (error, reason) {
            (Some(e), Some(r)) => format!("{r}: {e}"),
            (Some(e), None) => e,
            (None, Some(r)) => r.to_string(),
            (None, None) => format!("the provider reported the job as `{raw}`"),
        }),
        _ => error,
    };
    JobStatus {
        state,
        progress: match state {
            JobState::Succeeded => Some(100),
            _ => progress.map(|p| p.min(100)),
        },
        output_urls,
        error,
    }
}

/// Whether a failure code or message says the provider's safety system refused.
pub fn is_safety_failure(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    ["safety", "moderation", "content_policy", "content policy"]
        .iter()
        .any(|w| lower.contains(w))
}

/// Run a job-creating `call`, retrying (with `retry`'s backoff) only retryable failures
/// the upstream answered with an HTTP status: then it created nothing. A timeout or a
/// dropped connection may have created the job, so it is returned for failover instead.
pub async fn create_with_retry<T, F, Fut>(retry: &Retry, mut call: F) -> Result<T, ProviderError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, ProviderError>>,
{
    let mut attempt = 0;
    loop {
        match call().await {
            Ok(v) => return Ok(v),
            Err(e)
                if e.is_retryable()
                    && e.status.is_some()
                    && attempt < retry.max_retries
                    && e.retry_after.is_none_or(|ra| ra <= retry.cap) =>
            {
                tokio::time::sleep(retry.delay(attempt, e.retry_after)).await;
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

/// Progress as a percentage from a 0–1 fraction (Runway) or a 0–100 number (OpenAI).
pub fn percent(value: f64, fraction: bool) -> u8 {
    let pct = if fraction { value * 100.0 } else { value };
    if pct.is_finite() {
        pct.round().clamp(0.0, 100.0) as u8
    } else {
        0
    }
}

/// How long an unanswered poll waits at most; polls are cheap and repeated.
pub const POLL_TIMEOUT: Duration = Duration::from_secs(30);

#[cfg(test)]
mod tests {
    use super::*;
    use switchyard_types::ErrorKind;

    #[test]
    fn synonyms_normalise() {
        let s = |w| job_state(w).map(|(s, _)| s);
        assert_eq!(s("PENDING"), Some(JobState::Queued));
        assert_eq!(s("THROTTLED"), Some(JobState::Queued));
        assert_eq!(s("in_progress"), Some(JobState::Running));
        assert_eq!(s("RUNNING"), Some(JobState::Running));
        assert_eq!(s("completed"), Some(JobState::Succeeded));
        assert_eq!(s("SUCCEEDED"), Some(JobState::Succeeded));
        assert_eq!(s("canceled"), Some(JobState::Cancelled));
        assert_eq!(s("CANCELLED"), Some(JobState::Cancelled));
        assert_eq!(s("whatever"), None);
        let expired = job_status("expired", Some(40), Vec::new(), None);
        assert_eq!(expired.state, JobState::Failed);
        assert_eq!(
            expired.error.as_deref(),
            Some("the provider expired the job")
        );
        let filtered = job_status(
            "moderation-blocked",
            None,
            Vec::new(),
            Some("nudity".into()),
        );
        assert_eq!(filtered.state, JobState::Failed);
        assert!(
            filtered
                .error
                .unwrap_or_default()
                .contains("safety system: nudity")
        );
        let plain = job_status("FAILED", None, Vec::new(), None);
        assert!(plain.error.unwrap_or_default().contains("`FAILED`"));
        let unknown = job_status("WARMING_UP", Some(5), Vec::new(), None);
        assert_eq!(
            (unknown.state, unknown.progress),
            (JobState::Running, Some(5))
        );
        assert_eq!(
            job_status("completed", Some(3), Vec::new(), None).progress,
            Some(100)
        );
    }

    #[test]
    fn percentages_are_clamped() {
        assert_eq!(percent(0.275, true), 28);
        assert_eq!(percent(150.0, false), 100);
        assert_eq!(percent(f64::NAN, true), 0);
        assert!(is_safety_failure("SAFETY.INPUT.TEXT"));
        assert!(!is_safety_failure("INTERNAL.BAD_OUTPUT"));
    }

    #[tokio::test]
    async fn creation_retries_only_answered_failures() {
        let retry = Retry {
            max_retries: 2,
            base: Duration::from_millis(1),
            cap: Duration::from_millis(5),
        };
        let mut calls = 0;
        let answered: Result<(), _> = create_with_retry(&retry, || {
            calls += 1;
            async {
                Err(ProviderError {
                    status: Some(503),
                    ..ProviderError::new(ErrorKind::Overloaded, "busy")
                })
            }
        })
        .await;
        assert!(answered.is_err());
        assert_eq!(calls, 3);
        let mut calls = 0;
        let lost: Result<(), _> = create_with_retry(&retry, || {
            calls += 1;
            async { Err(ProviderError::new(ErrorKind::Timeout, "no answer")) }
        })
        .await;
        assert!(lost.is_err());
        assert_eq!(
            calls, 1,
            "a timeout may have created the job: never repeated"
        );
    }
}
