//! Task events: the public view of a task, its announcement on the [`Bus`] (one topic,
//! the task id in the payload) and to its webhook after every persisted change, the
//! one usage record at the end, and [`follow`], a subscriber's stream of one task's
//! events — the current state first, then each newer change, ending at a terminal state.

use std::time::Duration;

use futures::Stream;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use switchyard_store::Store;
use switchyard_types::{ErrorKind, Identity, Millis, Task, TaskStatus, TaskType, UsageRecord};
use tokio::sync::broadcast;

use super::{Shared, TaskError, TaskManager};

/// The bus topic every task event is published on.
pub const TASKS_TOPIC: &str = "tasks.events";

/// How often a follower re-reads the task in case a bus message was lost.
const RECHECK: Duration = Duration::from_secs(5);

/// A task as clients see it (no lease, no request body).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskView {
    pub id: String,
    pub object: String,
    #[serde(rename = "type")]
    pub task_type: TaskType,
    pub status: TaskStatus,
    pub progress: u8,
    pub model: Option<String>,
    pub provider: Option<String>,
    pub provider_job_id: Option<String>,
    pub result: Option<Value>,
    pub error: Option<String>,
    pub attempts: u32,
    pub estimated_cost_usd: Option<f64>,
    pub cost_usd: Option<f64>,
    pub idempotency_key: Option<String>,
    pub created_at: Millis,
    pub updated_at: Millis,
    pub finished_at: Option<Millis>,
}

impl From<&Task> for TaskView {
    fn from(t: &Task) -> Self {
        Self {
            id: t.id.clone(),
            object: "task".into(),
            task_type: t.task_type,
            status: t.status,
            progress: t.progress,
            model: t.model.clone(),
            provider: t.provider.clone(),
            provider_job_id: t.provider_job_id.clone(),
            result: t.result.clone(),
            error: t.error.clone(),
            attempts: t.attempts,
            estimated_cost_usd: t.estimated_cost_usd,
            cost_usd: t.cost_usd,
            idempotency_key: t.idempotency_key.clone(),
            created_at: t.created_at,
            updated_at: t.updated_at,
            finished_at: t.finished_at,
        }
    }
}

/// One change of a task: `task.queued`, `task.running`, `task.succeeded`,
/// `task.failed` or `task.cancelled`, with the task as it now is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskEvent {
    pub event: String,
    pub task: TaskView,
}

impl TaskEvent {
    /// The event announcing `task`'s current state.
    pub fn of(task: &Task) -> Self {
        Self {
            event: format!("task.{}", task.status),
            task: TaskView::from(task),
        }
    }

    /// Whether this is the last event of its task.
    pub fn is_terminal(&self) -> bool {
        self.task.status.is_terminal()
    }

    /// Order of events of one task: status (queued, running, terminal), then progress.
    pub fn rank(&self) -> (u8, u8) {
        let status = match self.task.status {
            TaskStatus::Queued => 0,
            TaskStatus::Running => 1,
            _ => 2,
        };
        (status, self.task.progress)
    }
}

/// Announce a persisted change: on the bus for subscribers on every replica, and to
/// the task's webhook (every change after submission).
pub(crate) async fn announce(shared: &Shared, task: &Task) {
    let event = TaskEvent::of(task);
    match serde_json::to_string(&event) {
        Ok(payload) => {
            if let Err(error) = shared.bus.publish(TASKS_TOPIC, &payload).await {
                // Followers also re-read the task periodically.
                tracing::warn!(%error, task_id = %task.id, "cannot publish a task event");
            }
        }
        Err(error) => tracing::error!(%error, "cannot encode a task event"),
    }
    if let Some(url) = &task.callback_url
        && task.status != TaskStatus::Queued
    {
        shared.webhooks.deliver(&task.id, url, &event);
    }
}

/// Write the one usage record of a finished task: its settled cost (zero unless it
/// succeeded), HTTP-like status (200, the failure's status, or 499 when cancelled).
pub(crate) fn account(shared: &Shared, task: &Task, error_kind: Option<ErrorKind>) {
    let status = match task.status {
        TaskStatus::Succeeded => 200,
        TaskStatus::Cancelled => 499,
        _ => error_kind.map_or(502, ErrorKind::http_status),
    };
    let endpoint = match task.task_type {
        TaskType::VideoGeneration => "ai.videos",
        _ => "ai.images",
    };
    let finished = task
        .finished_at
        .unwrap_or_else(switchyard_types::now_millis);
    let governor = shared.governor.clone();
    let settled = task.clone();
    shared
        .tracker
        .spawn(async move { governor.settle_task(&settled).await });
    shared.usage.record(UsageRecord {
        id: uuid::Uuid::now_v7().to_string(),
        request_id: task.request_id.clone().unwrap_or_else(|| task.id.clone()),
        key_id: task.key_id.clone(),
        user_id: task.user_id.clone(),
        team_id: task.team_id.clone(),
        model: task.model.clone().unwrap_or_default(),
        provider: task.provider.clone().unwrap_or_default(),
        endpoint: endpoint.to_string(),
        input_tokens: 0,
        output_tokens: 0,
        cached_input_tokens: 0,
        reasoning_tokens: 0,
        cost_usd: task.cost_usd.unwrap_or(0.0),
        latency_ms: u64::try_from(finished - task.created_at).unwrap_or(0),
        ttft_ms: None,
        status,
        error_kind: if status == 200 { None } else { error_kind },
        created_at: finished,
    });
}

/// The events of task `id` for `identity` (its owner or an admin): the current state
/// first, then every newer change from whichever replica drives it, ending after the
/// terminal state. Subscribes before reading, so no change in between is missed.
pub async fn follow(
    manager: &TaskManager,
    id: &str,
    identity: &Identity,
) -> Result<impl Stream<Item = TaskEvent> + Send + 'static, TaskError> {
    let rx = manager.shared.bus.subscribe(TASKS_TOPIC);
    let task = manager.get(id, identity).await?;
    let state = Follow {
        rx: Some(rx),
        store: manager.shared.store.clone(),
        id: task.id.clone(),
        last: None,
        first: Some(TaskEvent::of(&task)),
        done: false,
    };
    Ok(futures::stream::unfold(state, next_event))
}

struct Follow {
    /// `None` once the bus closed: from then on only re-reads.
    rx: Option<broadcast::Receiver<String>>,
    store: Store,
    id: String,
    last: Option<(u8, u8)>,
    first: Option<TaskEvent>,
    done: bool,
}

async fn next_event(mut f: Follow) -> Option<(TaskEvent, Follow)> {
    if f.done {
        return None;
    }
    if let Some(first) = f.first.take() {
        f.last = Some(first.rank());
        f.done = first.is_terminal();
        return Some((first, f));
    }
    loop {
        let candidate = match f.rx.as_mut() {
            Some(rx) => tokio::select! {
                msg = rx.recv() => match msg {
                    Ok(text) => serde_json::from_str::<TaskEvent>(&text)
                        .ok()
                        .filter(|e| e.task.id == f.id),
                    Err(broadcast::error::RecvError::Lagged(_)) => reread(&f).await,
                    Err(broadcast::error::RecvError::Closed) => {
                        f.rx = None;
                        reread(&f).await
                    }
                },
                () = tokio::time::sleep(RECHECK) => reread(&f).await,
            },
            None => {
                tokio::time::sleep(RECHECK).await;
                reread(&f).await
            }
        };
        if let Some(event) = candidate
            && f.last.is_none_or(|last| event.rank() > last)
        {
            f.last = Some(event.rank());
            f.done = event.is_terminal();
            return Some((event, f));
        }
    }
}

async fn reread(f: &Follow) -> Option<TaskEvent> {
    match f.store.tasks().get(&f.id).await {
        Ok(Some(task)) => Some(TaskEvent::of(&task)),
        Ok(None) => None,
        Err(error) => {
            tracing::warn!(%error, task_id = %f.id, "cannot re-read a followed task");
            None
        }
    }
}
