//! The executor: claims unfinished tasks (free or expired leases) up to the global
//! concurrency limit, drives each in a tracked task while a keeper renews its lease
//! every third of the lease time, halts a driver when its lease is lost, its task is
//! cancelled (on any replica, heard on the bus) or the gateway shuts down, and gives
//! leases back on the way out.

use std::sync::Arc;

use switchyard_types::{Task, TaskStatus, now_millis};
use tokio::sync::OwnedSemaphorePermit;
use tokio_util::sync::CancellationToken;

use super::{Shared, TASKS_TOPIC, TaskEvent, millis, poller, recovery};

/// Most tasks claimed in one round, so replicas share a burst of submissions.
const CLAIM_BATCH: usize = 8;

/// Claim and drive tasks until the gateway stops.
pub(crate) async fn run(shared: Arc<Shared>) {
    recovery::report(&shared).await;
    shared.tracker.spawn(halt_cancelled(shared.clone()));
    let mut tick = tokio::time::interval(shared.settings.claim_interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = shared.stop.cancelled() => break,
            _ = tick.tick() => {}
            () = shared.wake.notified() => {}
        }
        claim(&shared).await;
    }
}

/// One round: lease as many tasks as there are free slots (at most a batch).
async fn claim(shared: &Arc<Shared>) {
    let free = shared.global.available_permits().min(CLAIM_BATCH);
    if free == 0 {
        return;
    }
    let until = now_millis().saturating_add(millis(shared.settings.lease));
    let limit = u32::try_from(free).unwrap_or(u32::MAX);
    let tasks = match shared
        .store
        .tasks()
        .claim(&shared.owner, until, limit)
        .await
    {
        Ok(tasks) => tasks,
        Err(error) => {
            tracing::warn!(%error, "cannot claim tasks; trying again");
            return;
        }
    };
    for task in tasks {
        let local = shared
            .driving
            .lock()
            .is_ok_and(|driving| driving.contains_key(&task.id));
        if local {
            // Our own lease lapsed (the database was away) and we took it again: the
            // driver already running here goes on; never start a second one.
            continue;
        }
        let Ok(permit) = shared.global.clone().try_acquire_owned() else {
            // Cannot happen (only this loop takes permits); give the lease back.
            let _ = shared
                .store
                .tasks()
                .release(&shared.owner, Some(&task.id))
                .await;
            continue;
        };
        tracing::debug!(task_id = %task.id, attempts = task.attempts, "task claimed");
        shared.tracker.spawn(drive(shared.clone(), task, permit));
    }
}

/// Drive one task with its lease kept alive, then clean up.
async fn drive(shared: Arc<Shared>, task: Task, _permit: OwnedSemaphorePermit) {
    let id = task.id.clone();
    let halt = shared.stop.child_token();
    if let Ok(mut driving) = shared.driving.lock() {
        driving.insert(id.clone(), halt.clone());
    }
    tokio::select! {
        () = poller::drive(&shared, task, &halt) => {}
        () = keep_lease(&shared, &id, &halt) => {}
    }
    if let Ok(mut driving) = shared.driving.lock() {
        driving.remove(&id);
    }
    // Only unfinished tasks still leased to us are released: after a halt at shutdown
    // the next process resumes at once instead of waiting for the lease to expire.
    if let Err(error) = shared.store.tasks().release(&shared.owner, Some(&id)).await {
        tracing::warn!(%error, task_id = %id, "cannot release a task lease; it expires on its own");
    }
    shared.wake.notify_one();
}

/// Renew the lease every third of its length; halt the driver when it is lost (or was
/// not renewed for a whole lease). Never returns on its own after halting.
async fn keep_lease(shared: &Shared, id: &str, halt: &CancellationToken) {
    let lease = shared.settings.lease;
    let mut last_ok = tokio::time::Instant::now();
    loop {
        tokio::select! {
            () = tokio::time::sleep(lease / 3) => {}
            () = halt.cancelled() => break,
        }
        let until = now_millis().saturating_add(millis(lease));
        match shared.store.tasks().renew(id, &shared.owner, until).await {
            Ok(true) => last_ok = tokio::time::Instant::now(),
            Ok(false) => {
                tracing::info!(
                    task_id = id,
                    "task lease lost (finished, cancelled or taken over); halting"
                );
                halt.cancel();
                break;
            }
            Err(error) if last_ok.elapsed() >= lease => {
                tracing::warn!(%error, task_id = id, "cannot renew the task lease; halting");
                halt.cancel();
                break;
            }
            Err(error) => {
                tracing::warn!(%error, task_id = id, "cannot renew the task lease; retrying")
            }
        }
    }
    std::future::pending::<()>().await;
}

/// Halt local drivers of tasks cancelled anywhere (the bus carries every task event).
async fn halt_cancelled(shared: Arc<Shared>) {
    let mut events = shared.bus.subscribe(TASKS_TOPIC);
    loop {
        let message = tokio::select! {
            () = shared.stop.cancelled() => return,
            m = events.recv() => m,
        };
        match message {
            Ok(text) => {
                let Ok(event) = serde_json::from_str::<TaskEvent>(&text) else {
                    continue;
                };
                if event.task.status == TaskStatus::Cancelled
                    && let Ok(driving) = shared.driving.lock()
                    && let Some(halt) = driving.get(&event.task.id)
                {
                    halt.cancel();
                }
            }
            Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
            Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
        }
    }
}
