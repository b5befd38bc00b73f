//! Task leases: the one place where SQL differs by backend. A gateway claims unfinished
//! tasks whose lease is free or expired — PostgreSQL with `FOR UPDATE SKIP LOCKED`, so
//! replicas never wait on or take each other's rows; SQLite, whose writers are serialised,
//! with a compare-and-set that repeats the claim condition in the `UPDATE`. Every later
//! write by the driver is conditional on still holding the lease of an unfinished task,
//! so a process that lost its lease (or whose task was cancelled) cannot overwrite anything.

use switchyard_types::{Task, TaskStatus, now_millis};

use crate::sql::{int, to_json, total};
use crate::tasks::{TaskRow, columns};
use crate::{Backend, StoreError, Tasks};

/// `WHERE` fragment: the task is not finished.
macro_rules! unfinished {
    () => {
        "status IN ('queued', 'running')"
    };
}

/// `WHERE` fragment: nobody holds the lease (`$3` is now).
macro_rules! claimable {
    () => {
        concat!(
            unfinished!(),
            " AND (lease_expires_at IS NULL OR lease_expires_at < $3)"
        )
    };
}

const CLAIM_POSTGRES: &str = concat!(
    "UPDATE ai_tasks SET lease_owner = $1, lease_expires_at = $2, attempts = attempts + 1, \
     updated_at = $3 WHERE id IN (SELECT id FROM ai_tasks WHERE ",
    claimable!(),
    " ORDER BY created_at, id LIMIT $4 FOR UPDATE SKIP LOCKED) RETURNING ",
    columns!()
);

const CLAIM_SQLITE: &str = concat!(
    "UPDATE ai_tasks SET lease_owner = $1, lease_expires_at = $2, attempts = attempts + 1, \
     updated_at = $3 WHERE id IN (SELECT id FROM ai_tasks WHERE ",
    claimable!(),
    " ORDER BY created_at, id LIMIT $4) AND ",
    claimable!(),
    " RETURNING ",
    columns!()
);

impl Tasks<'_> {
    /// Lease up to `limit` unfinished tasks whose lease is free or expired to `owner`
    /// until `lease_until`, counting one more attempt on each; oldest first.
    pub async fn claim(
        &self,
        owner: &str,
        lease_until: i64,
        limit: u32,
    ) -> Result<Vec<Task>, StoreError> {
        let sql = match self.store.backend() {
            Backend::Postgres => CLAIM_POSTGRES,
            Backend::Sqlite => CLAIM_SQLITE,
        };
        let rows: Vec<TaskRow> = sqlx::query_as(sql)
            .bind(owner)
            .bind(lease_until)
            .bind(now_millis())
            .bind(i64::from(limit))
            .fetch_all(self.store.pool())
            .await?;
        let mut tasks = rows
            .into_iter()
            .map(Task::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        // `RETURNING` keeps no order.
        tasks.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        Ok(tasks)
    }

    /// Extend `owner`'s lease; `false` when it no longer holds it or the task finished.
    pub async fn renew(&self, id: &str, owner: &str, lease_until: i64) -> Result<bool, StoreError> {
        let sql = concat!(
            "UPDATE ai_tasks SET lease_expires_at = $1 WHERE id = $2 AND lease_owner = $3 AND ",
            unfinished!()
        );
        let done = sqlx::query(sql)
            .bind(lease_until)
            .bind(id)
            .bind(owner)
            .execute(self.store.pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// [`Tasks::save`] only while `owner` holds the lease of the unfinished task; `None`
    /// when it lost the lease or the task finished meanwhile (e.g. was cancelled). The
    /// lease itself is left as the keeper renewed it, except that a terminal status
    /// clears it.
    pub async fn save_owned(&self, task: &Task, owner: &str) -> Result<Option<Task>, StoreError> {
        let sql = concat!(
            "UPDATE ai_tasks SET status = $1, progress = $2, provider = $3, model = $4, \
             provider_job_id = $5, result = $6, error = $7, attempts = $8, callback_url = $9, \
             lease_owner = CASE WHEN $10 THEN NULL ELSE lease_owner END, \
             lease_expires_at = CASE WHEN $10 THEN NULL ELSE lease_expires_at END, \
             finished_at = $11, updated_at = $12, cost_usd = $13 \
             WHERE id = $14 AND lease_owner = $15 AND ",
            unfinished!(),
            " RETURNING ",
            columns!()
        );
        // Unprepared: it may bind a NULL cost (see `models`, sqlx#4284).
        let row: Option<TaskRow> = sqlx::query_as(sql)
            .persistent(false)
            .bind(task.status.as_str())
            .bind(i64::from(task.progress))
            .bind(&task.provider)
            .bind(&task.model)
            .bind(&task.provider_job_id)
            .bind(task.result.as_ref().map(to_json))
            .bind(&task.error)
            .bind(int(task.attempts))
            .bind(&task.callback_url)
            .bind(task.status.is_terminal())
            .bind(task.finished_at)
            .bind(now_millis())
            .bind(task.cost_usd)
            .bind(&task.id)
            .bind(owner)
            .fetch_optional(self.store.pool())
            .await?;
        row.map(Task::try_from).transpose()
    }

    /// Move an unfinished task to `cancelled` (cost zero, lease dropped) whoever holds
    /// it; `None` when it does not exist or already finished.
    pub async fn cancel(&self, id: &str, reason: &str) -> Result<Option<Task>, StoreError> {
        let sql = concat!(
            "UPDATE ai_tasks SET status = $1, error = $2, finished_at = $3, updated_at = $3, \
             cost_usd = 0, lease_owner = NULL, lease_expires_at = NULL WHERE id = $4 AND ",
            unfinished!(),
            " RETURNING ",
            columns!()
        );
        let row: Option<TaskRow> = sqlx::query_as(sql)
            .bind(TaskStatus::Cancelled.as_str())
            .bind(reason)
            .bind(now_millis())
            .bind(id)
            .fetch_optional(self.store.pool())
            .await?;
        row.map(Task::try_from).transpose()
    }

    /// Give up `owner`'s leases on unfinished tasks (one task, or all with `None`) so
    /// another process can take them over at once; returns how many were released.
    pub async fn release(&self, owner: &str, id: Option<&str>) -> Result<u64, StoreError> {
        let all = concat!(
            "UPDATE ai_tasks SET lease_owner = NULL, lease_expires_at = NULL \
             WHERE lease_owner = $1 AND ",
            unfinished!()
        );
        let one = concat!(
            "UPDATE ai_tasks SET lease_owner = NULL, lease_expires_at = NULL \
             WHERE lease_owner = $1 AND id = $2 AND ",
            unfinished!()
        );
        let query = match id {
            Some(id) => sqlx::query(one).bind(owner).bind(id),
            None => sqlx::query(all).bind(owner),
        };
        let done = query.execute(self.store.pool()).await?;
        Ok(done.rows_affected())
    }

    /// How many tasks are not finished yet.
    pub async fn count_unfinished(&self) -> Result<u64, StoreError> {
        let sql = concat!("SELECT COUNT(*) FROM ai_tasks WHERE ", unfinished!());
        let count: i64 = sqlx::query_scalar(sql).fetch_one(self.store.pool()).await?;
        Ok(total(count))
    }
}
