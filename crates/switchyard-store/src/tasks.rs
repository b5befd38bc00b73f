//! Tasks repository (`ai_tasks`): durable image and video jobs. An idempotency key is unique
//! per user (NULL users are never deduplicated: SQL treats NULLs as distinct).

use serde_json::Value;
use switchyard_types::{Task, TaskStatus, TaskType, now_millis};

use crate::sql::{Sql, from_int, from_json, int, new_id, parse, to_json, total};
use crate::{Page, Paged, Store, StoreError};

macro_rules! columns {
    () => {
        "id, user_id, key_id, task_type, status, progress, provider, model, provider_job_id, \
         request, result, error, attempts, idempotency_key, callback_url, lease_owner, \
         lease_expires_at, created_at, updated_at, finished_at, team_id, request_id, \
         estimated_cost_usd, cost_usd, deadline_at"
    };
}

pub(crate) use columns;

/// A task to submit; it starts `queued`, at progress 0, with no attempts.
#[derive(Debug, Clone, PartialEq)]
pub struct NewTask {
    /// Owner, if known.
    pub user_id: Option<String>,
    /// Key that submitted it, if any.
    pub key_id: Option<String>,
    /// Kind of work.
    pub task_type: TaskType,
    /// Provider chosen at submission, if already known.
    pub provider: Option<String>,
    /// Model chosen at submission, if already known.
    pub model: Option<String>,
    /// The request as received, JSON.
    pub request: Value,
    /// Client-chosen key that makes resubmission safe, unique per user.
    pub idempotency_key: Option<String>,
    /// Webhook called when the task finishes.
    pub callback_url: Option<String>,
    /// Team of the owner, for accounting.
    pub team_id: Option<String>,
    /// Request id of the submission.
    pub request_id: Option<String>,
    /// USD cost estimated at submission.
    pub estimated_cost_usd: Option<f64>,
    /// When polling gives up.
    pub deadline_at: Option<i64>,
}

impl NewTask {
    /// An anonymous task with only a type and a request.
    pub fn new(task_type: TaskType, request: Value) -> Self {
        Self {
            user_id: None,
            key_id: None,
            task_type,
            provider: None,
            model: None,
            request,
            idempotency_key: None,
            callback_url: None,
            team_id: None,
            request_id: None,
            estimated_cost_usd: None,
            deadline_at: None,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct TaskRow {
    id: String,
    user_id: Option<String>,
    key_id: Option<String>,
    task_type: String,
    status: String,
    progress: i64,
    provider: Option<String>,
    model: Option<String>,
    provider_job_id: Option<String>,
    request: String,
    result: Option<String>,
    error: Option<String>,
    attempts: i64,
    idempotency_key: Option<String>,
    callback_url: Option<String>,
    lease_owner: Option<String>,
    lease_expires_at: Option<i64>,
    created_at: i64,
    updated_at: i64,
    finished_at: Option<i64>,
    team_id: Option<String>,
    request_id: Option<String>,
    estimated_cost_usd: Option<f64>,
    cost_usd: Option<f64>,
    deadline_at: Option<i64>,
}

impl TryFrom<TaskRow> for Task {
    type Error = StoreError;

    fn try_from(row: TaskRow) -> Result<Self, StoreError> {
        Ok(Task {
            task_type: parse(&row.task_type, "ai_tasks.task_type")?,
            status: parse(&row.status, "ai_tasks.status")?,
            progress: from_int(row.progress, "ai_tasks.progress")?,
            request: from_json(&row.request, "ai_tasks.request")?,
            result: row
                .result
                .as_deref()
                .map(|text| from_json(text, "ai_tasks.result"))
                .transpose()?,
            attempts: from_int(row.attempts, "ai_tasks.attempts")?,
            id: row.id,
            user_id: row.user_id,
            key_id: row.key_id,
            provider: row.provider,
            model: row.model,
            provider_job_id: row.provider_job_id,
            error: row.error,
            idempotency_key: row.idempotency_key,
            callback_url: row.callback_url,
            lease_owner: row.lease_owner,
            lease_expires_at: row.lease_expires_at,
            created_at: row.created_at,
            updated_at: row.updated_at,
            finished_at: row.finished_at,
            team_id: row.team_id,
            request_id: row.request_id,
            estimated_cost_usd: row.estimated_cost_usd,
            cost_usd: row.cost_usd,
            deadline_at: row.deadline_at,
        })
    }
}

/// Repository of tasks.
#[derive(Debug, Clone, Copy)]
pub struct Tasks<'a> {
    pub(crate) store: &'a Store,
}

impl<'a> Tasks<'a> {
    pub(crate) fn new(store: &'a Store) -> Self {
        Self { store }
    }

    /// Persists a new queued task; an idempotency key the user already used is a `Conflict`.
    pub async fn create(&self, new: &NewTask) -> Result<Task, StoreError> {
        let sql = concat!(
            "INSERT INTO ai_tasks (",
            columns!(),
            ") VALUES ($1, $2, $3, $4, $5, 0, $6, $7, NULL, $8, NULL, NULL, 0, $9, $10, NULL, \
             NULL, $11, $11, NULL, $12, $13, $14, NULL, $15) RETURNING ",
            columns!()
        );
        // Unprepared: it may bind a NULL price (see `models`, sqlx#4284).
        let row: TaskRow = sqlx::query_as(sql)
            .persistent(false)
            .bind(new_id())
            .bind(&new.user_id)
            .bind(&new.key_id)
            .bind(new.task_type.as_str())
            .bind(TaskStatus::Queued.as_str())
            .bind(&new.provider)
            .bind(&new.model)
            .bind(to_json(&new.request))
            .bind(&new.idempotency_key)
            .bind(&new.callback_url)
            .bind(now_millis())
            .bind(&new.team_id)
            .bind(&new.request_id)
            .bind(new.estimated_cost_usd)
            .bind(new.deadline_at)
            .fetch_one(self.store.pool())
            .await
            .map_err(|e| {
                StoreError::on_write(
                    e,
                    || {
                        format!(
                            "a task with idempotency key `{}` already exists for this user",
                            new.idempotency_key.as_deref().unwrap_or_default()
                        )
                    },
                    String::new,
                )
            })?;
        row.try_into()
    }

    /// The task with this id.
    pub async fn get(&self, id: &str) -> Result<Option<Task>, StoreError> {
        let sql = concat!("SELECT ", columns!(), " FROM ai_tasks WHERE id = $1");
        let row: Option<TaskRow> = sqlx::query_as(sql)
            .bind(id)
            .fetch_optional(self.store.pool())
            .await?;
        row.map(Task::try_from).transpose()
    }

    /// The user's task submitted with this idempotency key.
    pub async fn find_by_idempotency_key(
        &self,
        user_id: &str,
        key: &str,
    ) -> Result<Option<Task>, StoreError> {
        let sql = concat!(
            "SELECT ",
            columns!(),
            " FROM ai_tasks WHERE user_id = $1 AND idempotency_key = $2"
        );
        let row: Option<TaskRow> = sqlx::query_as(sql)
            .bind(user_id)
            .bind(key)
            .fetch_optional(self.store.pool())
            .await?;
        row.map(Task::try_from).transpose()
    }

    /// One page of tasks, oldest first, optionally only one user's.
    pub async fn list(&self, page: Page, user_id: Option<&str>) -> Result<Paged<Task>, StoreError> {
        let mut count = Sql::new("SELECT COUNT(*) FROM ai_tasks");
        let mut select = Sql::new(concat!("SELECT ", columns!(), " FROM ai_tasks"));
        if let Some(user_id) = user_id {
            count.push(" WHERE user_id = ").bind(user_id.to_owned());
            select.push(" WHERE user_id = ").bind(user_id.to_owned());
        }
        select.push(" ORDER BY created_at, id").page(page);
        let (text, args) = count.finish()?;
        let count: i64 = sqlx::query_scalar_with(&text, args)
            .fetch_one(self.store.pool())
            .await?;
        let (text, args) = select.finish()?;
        let rows: Vec<TaskRow> = sqlx::query_as_with(&text, args)
            .fetch_all(self.store.pool())
            .await?;
        let items = rows
            .into_iter()
            .map(Task::try_from)
            .collect::<Result<_, _>>()?;
        Ok(Paged {
            items,
            total: total(count),
        })
    }

    /// Writes every mutable field of `task` (status, progress, provider, model, job id,
    /// result, error, attempts, callback, lease, finish time, cost) and stamps
    /// `updated_at`; `None` when no task has its id.
    pub async fn save(&self, task: &Task) -> Result<Option<Task>, StoreError> {
        let sql = concat!(
            "UPDATE ai_tasks SET status = $1, progress = $2, provider = $3, model = $4, \
             provider_job_id = $5, result = $6, error = $7, attempts = $8, callback_url = $9, \
             lease_owner = $10, lease_expires_at = $11, finished_at = $12, updated_at = $13, \
             cost_usd = $14 WHERE id = $15 RETURNING ",
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
            .bind(&task.lease_owner)
            .bind(task.lease_expires_at)
            .bind(task.finished_at)
            .bind(now_millis())
            .bind(task.cost_usd)
            .bind(&task.id)
            .fetch_optional(self.store.pool())
            .await?;
        row.map(Task::try_from).transpose()
    }

    /// Deletes a task; `false` when none has this id.
    pub async fn delete(&self, id: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM ai_tasks WHERE id = $1")
            .bind(id)
            .execute(self.store.pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }
}
