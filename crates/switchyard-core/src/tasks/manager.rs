//! Submitting, reading, listing and cancelling tasks. A submission is checked (model,
//! kind, the key's permissions) and priced before it is persisted; the same idempotency
//! key from the same user returns the same task. Only the owner (or an admin) sees a
//! task; to anyone else it does not exist.

use serde_json::Value;
use switchyard_store::{NewTask, Page, Paged, StoreError};
use switchyard_types::{Identity, ModelKind, Task, TaskType, now_millis};

use super::request::{MediaRequest, estimate_cost};
use super::{TaskError, TaskManager, events, millis, poller};
use crate::llm::LlmError;

/// Longest accepted idempotency key and callback URL.
const MAX_KEY_LEN: usize = 255;
const MAX_URL_LEN: usize = 2048;

/// A request to run as a task.
#[derive(Debug, Clone, PartialEq)]
pub struct Submission {
    pub request: MediaRequest,
    /// Resubmitting with the same key returns the same task.
    pub idempotency_key: Option<String>,
    /// Receives a signed webhook after every change.
    pub callback_url: Option<String>,
    /// The submitting HTTP request's id, carried into the usage record.
    pub request_id: String,
}

/// A submitted task, and whether it already existed under the idempotency key.
#[derive(Debug, Clone, PartialEq)]
pub struct Submitted {
    pub task: Task,
    pub replayed: bool,
}

impl TaskManager {
    /// Persist a task for `identity` (or return the one its idempotency key names) and
    /// wake the executor. The cost is estimated on the first candidate's prices.
    pub async fn submit(
        &self,
        submission: Submission,
        identity: &Identity,
    ) -> Result<Submitted, TaskError> {
        validate(&submission)?;
        let (task_type, kind, model, request) = match &submission.request {
            MediaRequest::Image(r) => (
                TaskType::ImageGeneration,
                ModelKind::Image,
                &r.model,
                json(r)?,
            ),
            MediaRequest::Video(r) => (
                TaskType::VideoGeneration,
                ModelKind::Video,
                &r.model,
                json(r)?,
            ),
        };
        let key = submission.idempotency_key.as_deref();
        if let Some(key) = key
            && let Some(existing) = self.find(identity, key).await?
        {
            return replay(existing, task_type, &request, key);
        }
        let served = self.shared.llm.preview(model, kind, identity)?;
        let estimate = estimate_cost(&served, &submission.request);
        // Reserved now, settled with the actual cost when the task ends (on any replica).
        self.shared
            .governor
            .admit_cost(identity, model, estimate)
            .await
            .map_err(|r| TaskError::Refused {
                refusal: Box::new(r),
            })?;
        let new = NewTask {
            user_id: Some(identity.user_id.clone()),
            key_id: Some(identity.key_id.clone()),
            task_type,
            provider: None,
            model: Some(model.clone()),
            request: request.clone(),
            idempotency_key: submission.idempotency_key.clone(),
            callback_url: submission.callback_url.clone(),
            team_id: identity.team_id.clone(),
            request_id: Some(submission.request_id.clone()),
            estimated_cost_usd: Some(estimate),
            deadline_at: Some(now_millis().saturating_add(millis(self.shared.settings.deadline))),
        };
        let task = match self.shared.store.tasks().create(&new).await {
            Ok(task) => task,
            // A concurrent submission with the same key won the race.
            Err(StoreError::Conflict(_)) if key.is_some() => {
                let key = key.unwrap_or_default();
                match self.find(identity, key).await? {
                    Some(existing) => return replay(existing, task_type, &request, key),
                    None => {
                        return Err(TaskError::IdempotencyMismatch {
                            key: key.to_string(),
                        });
                    }
                }
            }
            Err(e) => return Err(e.into()),
        };
        events::announce(&self.shared, &task).await;
        self.shared.wake.notify_one();
        Ok(Submitted {
            task,
            replayed: false,
        })
    }

    /// The model a media request naming none uses: the first enabled model declaring
    /// `task_type` (free tier first, then best quality tier, then lowest price).
    pub fn default_model(&self, task_type: TaskType, kind: ModelKind) -> Result<String, TaskError> {
        self.shared
            .registry
            .snapshot()
            .models_for_task(task_type, kind)
            .first()
            .map(|e| e.model.name.clone())
            .ok_or(TaskError::Llm(LlmError::NoModelForTask { task: task_type }))
    }

    /// Task `id` if `identity` owns it or is an admin.
    pub async fn get(&self, id: &str, identity: &Identity) -> Result<Task, TaskError> {
        let task = self.shared.store.tasks().get(id).await?;
        match task {
            Some(t) if identity.is_admin() || t.user_id.as_deref() == Some(&identity.user_id) => {
                Ok(t)
            }
            _ => Err(TaskError::NotFound { id: id.to_string() }),
        }
    }

    /// One page of `identity`'s own tasks, oldest first.
    pub async fn list(&self, identity: &Identity, page: Page) -> Result<Paged<Task>, TaskError> {
        Ok(self
            .shared
            .store
            .tasks()
            .list(page, Some(&identity.user_id))
            .await?)
    }

    /// Cancel task `id` (its owner or an admin): it becomes `cancelled` at once whoever
    /// drives it, costs nothing, and the provider is asked to stop its job.
    pub async fn cancel(&self, id: &str, identity: &Identity) -> Result<Task, TaskError> {
        let task = self.get(id, identity).await?;
        if task.status.is_terminal() {
            return Err(TaskError::Finished {
                id: task.id,
                status: task.status,
            });
        }
        let Some(cancelled) = self
            .shared
            .store
            .tasks()
            .cancel(id, "cancelled by the client")
            .await?
        else {
            // It finished while we looked.
            let now = self.get(id, identity).await?;
            return Err(TaskError::Finished {
                id: now.id,
                status: now.status,
            });
        };
        events::account(&self.shared, &cancelled, None);
        events::announce(&self.shared, &cancelled).await;
        if let Ok(driving) = self.shared.driving.lock()
            && let Some(halt) = driving.get(id)
        {
            halt.cancel();
        }
        if let (Some(provider), Some(job)) = (&cancelled.provider, &cancelled.provider_job_id) {
            let shared = self.shared.clone();
            let (provider, job) = (provider.clone(), job.clone());
            self.shared.tracker.spawn(async move {
                poller::cancel_at_provider(&shared, &provider, &job).await;
            });
        }
        Ok(cancelled)
    }

    async fn find(&self, identity: &Identity, key: &str) -> Result<Option<Task>, TaskError> {
        Ok(self
            .shared
            .store
            .tasks()
            .find_by_idempotency_key(&identity.user_id, key)
            .await?)
    }
}

/// The earlier task under `key`, if it was for the same request.
fn replay(
    existing: Task,
    task_type: TaskType,
    request: &Value,
    key: &str,
) -> Result<Submitted, TaskError> {
    if existing.task_type != task_type || &existing.request != request {
        return Err(TaskError::IdempotencyMismatch {
            key: key.to_string(),
        });
    }
    Ok(Submitted {
        task: existing,
        replayed: true,
    })
}

fn validate(s: &Submission) -> Result<(), TaskError> {
    if let Some(key) = &s.idempotency_key
        && (key.is_empty() || key.len() > MAX_KEY_LEN)
    {
        return Err(TaskError::Invalid {
            field: "idempotency_key",
            message: format!("must be 1 to {MAX_KEY_LEN} characters"),
        });
    }
    if let Some(url) = &s.callback_url {
        let host = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"))
            .map(|rest| rest.split(['/', '?', '#']).next().unwrap_or(""));
        if url.len() > MAX_URL_LEN || host.is_none_or(str::is_empty) {
            return Err(TaskError::Invalid {
                field: "callback_url",
                message: "must be an http:// or https:// URL with a host".into(),
            });
        }
    }
    let (prompt, model) = match &s.request {
        MediaRequest::Image(r) => (&r.prompt, &r.model),
        MediaRequest::Video(r) => (&r.prompt, &r.model),
    };
    if model.trim().is_empty() {
        return Err(TaskError::Invalid {
            field: "model",
            message: "must not be empty".into(),
        });
    }
    if prompt.trim().is_empty() {
        return Err(TaskError::Invalid {
            field: "prompt",
            message: "must not be empty".into(),
        });
    }
    Ok(())
}

fn json<T: serde::Serialize>(value: &T) -> Result<Value, TaskError> {
    serde_json::to_value(value).map_err(|e| TaskError::Invalid {
        field: "request",
        message: e.to_string(),
    })
}
