//! The driver's writes: every change is saved only while this process holds the lease
//! of the unfinished task (retried through database hiccups for up to half a lease),
//! then announced; the terminal transition also writes the task's one usage record.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use switchyard_types::{ErrorKind, Task, TaskStatus, now_millis};
use tokio_util::sync::CancellationToken;

use super::{Shared, events};

/// Why driving stopped before the task finished: halted, or the task is no longer ours.
pub(crate) struct Halted;

/// Fail the task with `error` (it costs nothing).
pub(crate) async fn fail(
    shared: &Arc<Shared>,
    task: &mut Task,
    error: String,
    kind: Option<ErrorKind>,
) -> Result<(), Halted> {
    finish(
        shared,
        task,
        TaskStatus::Failed,
        None,
        Some(error),
        0.0,
        kind,
    )
    .await
}

/// The terminal transition: persisted only while we hold the lease of the unfinished
/// task; then the usage record and the terminal event. Lost: someone else finished it.
pub(crate) async fn finish(
    shared: &Arc<Shared>,
    task: &mut Task,
    status: TaskStatus,
    result: Option<Value>,
    error: Option<String>,
    cost: f64,
    kind: Option<ErrorKind>,
) -> Result<(), Halted> {
    task.status = status;
    if status == TaskStatus::Succeeded {
        task.progress = 100;
    }
    task.result = result;
    task.error = error;
    task.cost_usd = Some(cost);
    task.finished_at = Some(now_millis());
    task.lease_owner = None;
    task.lease_expires_at = None;
    let Some(saved) = save_owned(shared, task).await else {
        return Err(Halted);
    };
    *task = saved;
    events::account(shared, task, kind);
    Ok(())
}

/// Save a non-terminal change and announce it; `Halted` when the task is no longer ours.
pub(crate) async fn save(shared: &Arc<Shared>, task: &mut Task) -> Result<(), Halted> {
    let saved = save_owned(shared, task).await.ok_or(Halted)?;
    *task = saved;
    Ok(())
}

/// `save_owned`, retried through database hiccups for up to half a lease, then
/// announced. `None` when the task is no longer ours (or the database stayed away).
async fn save_owned(shared: &Arc<Shared>, task: &Task) -> Option<Task> {
    let give_up = tokio::time::Instant::now() + shared.settings.lease / 2;
    let mut delay = Duration::from_millis(50);
    loop {
        match shared.store.tasks().save_owned(task, &shared.owner).await {
            Ok(Some(saved)) => {
                events::announce(shared, &saved).await;
                return Some(saved);
            }
            Ok(None) => return None,
            Err(error) if tokio::time::Instant::now() + delay < give_up => {
                tracing::warn!(%error, task_id = %task.id, "cannot save task progress; retrying");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(2));
            }
            Err(error) => {
                tracing::error!(%error, task_id = %task.id, "cannot save task progress; leaving it to the next lease");
                return None;
            }
        }
    }
}

pub(crate) async fn wait(halt: &CancellationToken, delay: Duration) -> Result<(), Halted> {
    tokio::select! {
        () = tokio::time::sleep(delay) => Ok(()),
        () = halt.cancelled() => Err(Halted),
    }
}
