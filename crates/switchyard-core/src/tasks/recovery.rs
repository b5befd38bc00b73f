//! Recovery: where a claimed task stands, so a task taken over after a crash, a
//! shutdown or an expired lease goes on from its last persisted step — a video with a
//! recorded provider job id is polled, never submitted again — and the bookkeeping at
//! start-up (what is waiting to be resumed) and shutdown (leases given back at once).

use switchyard_types::{Task, TaskType};

use super::Shared;

/// The step a claimed task resumes at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Resume {
    /// An image task: generated from the start (a synchronous call leaves no job behind).
    Generate,
    /// A video task with no provider job yet: submit it.
    Submit,
    /// A video task whose provider job id is recorded: poll that job.
    Poll,
}

/// Where `task` goes on from.
pub(crate) fn resume_point(task: &Task) -> Resume {
    match (task.task_type, &task.provider_job_id) {
        (TaskType::VideoGeneration, Some(_)) => Resume::Poll,
        (TaskType::VideoGeneration, None) => Resume::Submit,
        _ => Resume::Generate,
    }
}

/// At start-up: report the unfinished tasks the executor is about to pick up (those
/// whose lease expired, e.g. after a crash, right away; others when theirs expires).
pub(crate) async fn report(shared: &Shared) {
    match shared.store.tasks().count_unfinished().await {
        Ok(0) => {}
        Ok(n) => tracing::info!(
            unfinished = n,
            "resuming unfinished tasks as their leases free up"
        ),
        Err(error) => tracing::warn!(%error, "cannot count unfinished tasks"),
    }
}

/// At shutdown: give back every lease this process still holds, so another replica (or
/// this gateway's next start) resumes those tasks without waiting for expiry.
pub(crate) async fn release_all(shared: &Shared) {
    match shared.store.tasks().release(&shared.owner, None).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(
            released = n,
            "released task leases for another process to resume"
        ),
        Err(error) => {
            tracing::warn!(%error, "cannot release task leases; they expire on their own")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use switchyard_types::TaskStatus;

    fn task(task_type: TaskType, job: Option<&str>) -> Task {
        Task {
            id: "t".into(),
            user_id: None,
            key_id: None,
            task_type,
            status: TaskStatus::Running,
            progress: 10,
            provider: Some("p".into()),
            model: None,
            provider_job_id: job.map(str::to_string),
            request: json!({}),
            result: None,
            error: None,
            attempts: 2,
            idempotency_key: None,
            callback_url: None,
            lease_owner: None,
            lease_expires_at: None,
            created_at: 0,
            updated_at: 0,
            finished_at: None,
            team_id: None,
            request_id: None,
            estimated_cost_usd: None,
            cost_usd: None,
            deadline_at: None,
        }
    }

    #[test]
    fn a_recorded_job_is_polled_never_resubmitted() {
        assert_eq!(
            resume_point(&task(TaskType::VideoGeneration, Some("job-1"))),
            Resume::Poll
        );
        assert_eq!(
            resume_point(&task(TaskType::VideoGeneration, None)),
            Resume::Submit
        );
        assert_eq!(
            resume_point(&task(TaskType::ImageGeneration, None)),
            Resume::Generate
        );
    }
}
