//! Driving one claimed task to its end. Videos: submit (unless a provider job id is
//! already recorded), persist the job id at once, then poll the provider's job with
//! growing waits until it finishes, fails, or the deadline passes; progress is persisted
//! and announced as it changes. Images: generate synchronously (with failover) and keep
//! byte results as media files. The driver stops at its next wait when halted
//! (shutdown, lost lease, cancellation); a submission in progress is never abandoned
//! before its job id is saved.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use switchyard_providers::VideoProvider;
use switchyard_types::media::{ImageRequest, JobState, JobStatus, VideoRequest};
use switchyard_types::{ErrorKind, Identity, Role, Task, TaskStatus, now_millis};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;

use super::recovery::{Resume, resume_point};
use super::request::{MediaRequest, cost_of, estimate_cost};
use super::writes::{Halted, fail, finish, save, wait};
use super::{Shared, millis};
use crate::llm::LlmError;
use crate::media::MediaService;

/// Submission rounds (each over every candidate) when all fail with retryable errors.
const SUBMIT_ROUNDS: u32 = 3;
/// Longest a cancel forwarded to a provider may take.
const CANCEL_TIMEOUT: Duration = Duration::from_secs(15);

/// Drive `task` until it finishes or `halt` fires.
pub(crate) async fn drive(shared: &Arc<Shared>, mut task: Task, halt: &CancellationToken) {
    let late = task.deadline_at.is_some_and(|d| d <= now_millis());
    if late && resume_point(&task) != Resume::Poll {
        let message = "the task did not start before its deadline".to_string();
        let _ = fail(shared, &mut task, message, Some(ErrorKind::Timeout)).await;
        return;
    }
    let _ = match resume_point(&task) {
        Resume::Generate => images(shared, &mut task).await,
        Resume::Submit => match submit(shared, &mut task, halt).await {
            Ok(()) => poll(shared, &mut task, halt, false).await,
            Err(h) => Err(h),
        },
        Resume::Poll => poll(shared, &mut task, halt, true).await,
    };
}

/// The identity a driver acts for: the submitter (whose permissions were checked at
/// submission).
fn identity_of(task: &Task) -> Identity {
    Identity {
        key_id: task.key_id.clone().unwrap_or_default(),
        user_id: task.user_id.clone().unwrap_or_default(),
        team_id: task.team_id.clone(),
        role: Role::User,
        allowed_models: Vec::new(),
        rate_limit_rpm: None,
        rate_limit_tpm: None,
    }
}

async fn images(shared: &Arc<Shared>, task: &mut Task) -> Result<(), Halted> {
    let request: ImageRequest = match serde_json::from_value(task.request.clone()) {
        Ok(r) => r,
        Err(e) => {
            return fail(
                shared,
                task,
                format!("stored request is unusable: {e}"),
                None,
            )
            .await;
        }
    };
    if task.status == TaskStatus::Queued {
        task.status = TaskStatus::Running;
        save(shared, task).await?;
    }
    let (mut response, served) = match shared
        .llm
        .generate_image(&request, &identity_of(task))
        .await
    {
        Ok(ok) => ok,
        Err(e) => return fail(shared, task, e.to_string(), kind_of(&e)).await,
    };
    task.provider = Some(served.provider.clone());
    task.model = Some(served.model.clone());
    let owner = task.user_id.clone();
    if let Err(e) = shared
        .media
        .keep_images(&mut response, owner.as_deref(), Some(&task.id), false)
        .await
    {
        return fail(shared, task, e.to_string(), Some(ErrorKind::UpstreamError)).await;
    }
    let mut cost = estimate_cost(
        &served,
        &MediaRequest::Image(ImageRequest {
            n: u32::try_from(response.images.len()).unwrap_or(u32::MAX),
            ..request
        }),
    );
    if let Some(usage) = &response.usage {
        cost += served.cost(usage);
    }
    let result = json!({"images": response.images});
    finish(
        shared,
        task,
        TaskStatus::Succeeded,
        Some(result),
        None,
        cost,
        None,
    )
    .await
}

async fn submit(
    shared: &Arc<Shared>,
    task: &mut Task,
    halt: &CancellationToken,
) -> Result<(), Halted> {
    let request: VideoRequest = match serde_json::from_value(task.request.clone()) {
        Ok(r) => r,
        Err(e) => {
            return fail(
                shared,
                task,
                format!("stored request is unusable: {e}"),
                None,
            )
            .await;
        }
    };
    let identity = identity_of(task);
    let mut round = 1;
    let (job, served) = loop {
        match shared.llm.submit_video(&request, &identity).await {
            Ok(ok) => break ok,
            Err(LlmError::Provider { error: e }) if e.is_retryable() && round < SUBMIT_ROUNDS => {
                tracing::warn!(task_id = %task.id, error = %e, round, "video submission failed everywhere; retrying");
                wait(halt, Duration::from_secs(2u64.pow(round))).await?;
                round += 1;
            }
            Err(e) => return fail(shared, task, e.to_string(), kind_of(&e)).await,
        }
    };
    task.provider = Some(served.provider.clone());
    task.model = Some(served.model.clone());
    task.provider_job_id = Some(job.job_id.clone());
    task.status = TaskStatus::Running;
    if save(shared, task).await.is_err() {
        // Cancelled (or taken over) meanwhile: the job just created must not run unowned.
        cancel_at_provider(shared, &served.provider, &job.job_id).await;
        return Err(Halted);
    }
    Ok(())
}

async fn poll(
    shared: &Arc<Shared>,
    task: &mut Task,
    halt: &CancellationToken,
    resumed: bool,
) -> Result<(), Halted> {
    let (Some(provider), Some(job)) = (task.provider.clone(), task.provider_job_id.clone()) else {
        return fail(
            shared,
            task,
            "the task has a job id but no provider".into(),
            None,
        )
        .await;
    };
    let _permit = provider_permit(shared, &provider, halt).await?;
    let settings = &shared.settings;
    let deadline = task
        .deadline_at
        .unwrap_or_else(|| task.created_at.saturating_add(millis(settings.deadline)));
    let mut delay = if resumed {
        Duration::ZERO
    } else {
        settings.poll_initial
    };
    loop {
        let left = deadline - now_millis();
        if left <= 0 {
            cancel_at_provider(shared, &provider, &job).await;
            let message = format!(
                "the provider job did not finish within the deadline ({} s)",
                (deadline - task.created_at) / 1000
            );
            return fail(shared, task, message, Some(ErrorKind::Timeout)).await;
        }
        wait(
            halt,
            delay.min(Duration::from_millis(u64::try_from(left).unwrap_or(0))),
        )
        .await?;
        delay = (delay.max(settings.poll_initial).mul_f64(1.5)).min(settings.poll_max);
        let Some(videos) = videos_of(shared, &provider) else {
            tracing::warn!(task_id = %task.id, %provider, "provider offers no video adapter now; retrying");
            continue;
        };
        let status = tokio::select! {
            s = videos.poll_video(&job) => s,
            () = halt.cancelled() => return Err(Halted),
        };
        match status {
            Ok(status) => match status.state {
                JobState::Queued | JobState::Running => progress(shared, task, &status).await?,
                JobState::Succeeded => return complete(shared, task, status).await,
                JobState::Failed => {
                    let reason = status
                        .error
                        .unwrap_or_else(|| "the provider job failed".into());
                    let kind = if switchyard_providers::jobs::is_safety_failure(&reason) {
                        ErrorKind::ContentFiltered
                    } else {
                        ErrorKind::UpstreamError
                    };
                    return fail(shared, task, reason, Some(kind)).await;
                }
                JobState::Cancelled => {
                    let reason = Some("cancelled at the provider".to_string());
                    return finish(shared, task, TaskStatus::Cancelled, None, reason, 0.0, None)
                        .await;
                }
            },
            Err(e) if e.is_retryable() => {
                tracing::warn!(task_id = %task.id, error = %e, "polling the provider job failed; retrying");
            }
            Err(e) => {
                let message = format!("the provider job cannot be polled: {e}");
                return fail(shared, task, message, Some(e.kind)).await;
            }
        }
    }
}

/// Persist and announce progress that moved (never backwards).
async fn progress(shared: &Arc<Shared>, task: &mut Task, status: &JobStatus) -> Result<(), Halted> {
    let progress = status
        .progress
        .unwrap_or(task.progress)
        .min(99)
        .max(task.progress);
    if progress == task.progress && task.status == TaskStatus::Running {
        return Ok(());
    }
    task.progress = progress;
    task.status = TaskStatus::Running;
    save(shared, task).await
}

async fn complete(shared: &Arc<Shared>, task: &mut Task, status: JobStatus) -> Result<(), Halted> {
    let owner = task.user_id.clone();
    let mut videos = Vec::new();
    for url in status.output_urls {
        match shared
            .media
            .save_data_url(owner.as_deref(), Some(&task.id), &url)
            .await
        {
            Ok(Some(file)) => videos.push(json!({
                "url": MediaService::url(&file.id),
                "media_id": file.id,
                "media_type": file.media_type,
                "size_bytes": file.size_bytes,
            })),
            Ok(None) => videos.push(json!({"url": url})),
            Err(e) => {
                return fail(shared, task, e.to_string(), Some(ErrorKind::UpstreamError)).await;
            }
        }
    }
    let cost = actual_cost(shared, task);
    let result = json!({"videos": videos});
    finish(
        shared,
        task,
        TaskStatus::Succeeded,
        Some(result),
        None,
        cost,
        None,
    )
    .await
}

/// The video's cost at the prices of the model that ran it (the estimate if it is gone).
fn actual_cost(shared: &Shared, task: &Task) -> f64 {
    let (Some(provider), Some(model)) = (&task.provider, &task.model) else {
        return task.estimated_cost_usd.unwrap_or(0.0);
    };
    let Ok(request) = serde_json::from_value::<VideoRequest>(task.request.clone()) else {
        return task.estimated_cost_usd.unwrap_or(0.0);
    };
    let snapshot = shared.registry.snapshot();
    let found = snapshot.models_named(&format!("{provider}/{model}"));
    let Some(entry) = found.first() else {
        return task.estimated_cost_usd.unwrap_or(0.0);
    };
    cost_of(
        &entry.model.pricing,
        entry.provider.provider.free_tier,
        &MediaRequest::Video(request),
    )
}

/// The provider's video adapter in the current registry snapshot, by provider name.
pub(crate) fn videos_of(shared: &Shared, provider: &str) -> Option<Arc<dyn VideoProvider>> {
    let snapshot = shared.registry.snapshot();
    let entry = snapshot
        .providers
        .iter()
        .find(|p| p.provider.name == provider)?;
    entry.adapters.as_ref().ok()?.videos.clone()
}

/// A permit to poll `provider`: at most `max_per_provider` (else the provider's
/// `max_concurrency`) tasks of this process poll one provider at once.
async fn provider_permit(
    shared: &Shared,
    provider: &str,
    halt: &CancellationToken,
) -> Result<OwnedSemaphorePermit, Halted> {
    let semaphore = {
        let limit = shared.settings.max_per_provider.unwrap_or_else(|| {
            let snapshot = shared.registry.snapshot();
            snapshot
                .providers
                .iter()
                .find(|p| p.provider.name == provider)
                .map_or(1, |p| p.provider.max_concurrency.max(1) as usize)
        });
        let mut map = shared.per_provider.lock().map_err(|_| Halted)?;
        map.entry(provider.to_string())
            .or_insert_with(|| Arc::new(Semaphore::new(limit.max(1))))
            .clone()
    };
    tokio::select! {
        permit = semaphore.acquire_owned() => permit.map_err(|_| Halted),
        () = halt.cancelled() => Err(Halted),
    }
}

/// Ask the provider to stop a job (best effort; failures are logged).
pub(crate) async fn cancel_at_provider(shared: &Shared, provider: &str, job_id: &str) {
    let Some(videos) = videos_of(shared, provider) else {
        tracing::warn!(%provider, "cannot forward a cancel: the provider offers no video adapter");
        return;
    };
    match tokio::time::timeout(CANCEL_TIMEOUT, videos.cancel_video(job_id)).await {
        Ok(Ok(())) => tracing::info!(%provider, job_id, "provider job cancelled"),
        Ok(Err(error)) => {
            tracing::warn!(%provider, job_id, %error, "the provider refused to cancel a job")
        }
        Err(_) => tracing::warn!(%provider, job_id, "cancelling a provider job timed out"),
    }
}

fn kind_of(e: &LlmError) -> Option<ErrorKind> {
    match e {
        LlmError::Provider { error } => Some(error.kind),
        LlmError::Unavailable { .. } => Some(ErrorKind::Overloaded),
        _ => Some(ErrorKind::BadRequest),
    }
}
