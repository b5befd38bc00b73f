//! Quotas repository (`quotas`): one limit per scope, subject, metric and period.

use switchyard_types::{Quota, QuotaMetric, QuotaPeriod, QuotaScope, now_millis};

use crate::sql::{DbBool, Sql, fetch_page, new_id, parse};
use crate::{Page, Paged, Store, StoreError};

macro_rules! columns {
    () => {
        "id, scope, scope_id, metric, period, limit_value, shadow, created_at, updated_at"
    };
}

/// A quota to create.
#[derive(Debug, Clone, PartialEq)]
pub struct NewQuota {
    /// Whom it applies to.
    pub scope: QuotaScope,
    /// Id (or model name) of the subject.
    pub scope_id: String,
    /// What it counts.
    pub metric: QuotaMetric,
    /// When it resets.
    pub period: QuotaPeriod,
    /// The limit, in the metric's unit.
    pub limit: f64,
    /// Report only, never refuse.
    pub shadow: bool,
}

/// Changes to a quota; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QuotaPatch {
    /// New scope.
    pub scope: Option<QuotaScope>,
    /// New subject.
    pub scope_id: Option<String>,
    /// New metric.
    pub metric: Option<QuotaMetric>,
    /// New period.
    pub period: Option<QuotaPeriod>,
    /// New limit.
    pub limit: Option<f64>,
    /// New shadow flag.
    pub shadow: Option<bool>,
}

#[derive(sqlx::FromRow)]
struct QuotaRow {
    id: String,
    scope: String,
    scope_id: String,
    metric: String,
    period: String,
    limit_value: f64,
    shadow: DbBool,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<QuotaRow> for Quota {
    type Error = StoreError;

    fn try_from(row: QuotaRow) -> Result<Self, StoreError> {
        Ok(Quota {
            scope: parse(&row.scope, "quotas.scope")?,
            metric: parse(&row.metric, "quotas.metric")?,
            period: parse(&row.period, "quotas.period")?,
            id: row.id,
            scope_id: row.scope_id,
            limit: row.limit_value,
            shadow: row.shadow.0,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

fn convert(rows: Vec<QuotaRow>) -> Result<Vec<Quota>, StoreError> {
    rows.into_iter().map(Quota::try_from).collect()
}

fn duplicate() -> String {
    "a quota for this scope, subject, metric and period already exists".to_owned()
}

/// Repository of quotas.
#[derive(Debug, Clone, Copy)]
pub struct Quotas<'a> {
    store: &'a Store,
}

impl<'a> Quotas<'a> {
    pub(crate) fn new(store: &'a Store) -> Self {
        Self { store }
    }

    /// Inserts a quota; a second one for the same scope, subject, metric and period is a
    /// `Conflict`.
    pub async fn create(&self, new: &NewQuota) -> Result<Quota, StoreError> {
        let sql = concat!(
            "INSERT INTO quotas (",
            columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) \
             RETURNING ",
            columns!()
        );
        let row: QuotaRow = sqlx::query_as(sql)
            .bind(new_id())
            .bind(new.scope.as_str())
            .bind(&new.scope_id)
            .bind(new.metric.as_str())
            .bind(new.period.as_str())
            .bind(new.limit)
            .bind(new.shadow)
            .bind(now_millis())
            .fetch_one(self.store.pool())
            .await
            .map_err(|e| {
                StoreError::on_write(
                    e,
                    || {
                        format!(
                            "a {} quota per {} for {} `{}` already exists",
                            new.metric, new.period, new.scope, new.scope_id
                        )
                    },
                    String::new,
                )
            })?;
        row.try_into()
    }

    /// The quota with this id.
    pub async fn get(&self, id: &str) -> Result<Option<Quota>, StoreError> {
        let sql = concat!("SELECT ", columns!(), " FROM quotas WHERE id = $1");
        let row: Option<QuotaRow> = sqlx::query_as(sql)
            .bind(id)
            .fetch_optional(self.store.pool())
            .await?;
        row.map(Quota::try_from).transpose()
    }

    /// One page of quotas, oldest first.
    pub async fn list(&self, page: Page) -> Result<Paged<Quota>, StoreError> {
        let (rows, total) = fetch_page::<QuotaRow>(
            self.store,
            "SELECT COUNT(*) FROM quotas",
            concat!(
                "SELECT ",
                columns!(),
                " FROM quotas ORDER BY created_at, id LIMIT $1 OFFSET $2"
            ),
            page,
        )
        .await?;
        Ok(Paged {
            items: convert(rows)?,
            total,
        })
    }

    /// Every quota, oldest first (governance loads them all).
    pub async fn list_all(&self) -> Result<Vec<Quota>, StoreError> {
        let sql = concat!(
            "SELECT ",
            columns!(),
            " FROM quotas ORDER BY created_at, id"
        );
        convert(sqlx::query_as(sql).fetch_all(self.store.pool()).await?)
    }

    /// Applies a patch; `None` when no quota has this id.
    pub async fn update(&self, id: &str, patch: &QuotaPatch) -> Result<Option<Quota>, StoreError> {
        let mut sql = Sql::new("UPDATE quotas SET updated_at = ");
        sql.bind(now_millis());
        if let Some(scope) = patch.scope {
            sql.push(", scope = ").bind(scope.as_str());
        }
        if let Some(scope_id) = &patch.scope_id {
            sql.push(", scope_id = ").bind(scope_id.clone());
        }
        if let Some(metric) = patch.metric {
            sql.push(", metric = ").bind(metric.as_str());
        }
        if let Some(period) = patch.period {
            sql.push(", period = ").bind(period.as_str());
        }
        if let Some(limit) = patch.limit {
            sql.push(", limit_value = ").bind(limit);
        }
        if let Some(shadow) = patch.shadow {
            sql.push(", shadow = ").bind(shadow);
        }
        sql.push(" WHERE id = ").bind(id.to_owned());
        sql.push(concat!(" RETURNING ", columns!()));
        let (text, args) = sql.finish()?;
        let row: Option<QuotaRow> = sqlx::query_as_with(&text, args)
            .fetch_optional(self.store.pool())
            .await
            .map_err(|e| StoreError::on_write(e, duplicate, String::new))?;
        row.map(Quota::try_from).transpose()
    }

    /// Deletes a quota; `false` when none has this id.
    pub async fn delete(&self, id: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM quotas WHERE id = $1")
            .bind(id)
            .execute(self.store.pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }
}
