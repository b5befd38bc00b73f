//! Usage repository (`usage_records`): the write volume that grows with traffic. Batches go
//! in one transaction as multi-row inserts, chunked under both backends' bind limits.

use serde_json::Value;
use switchyard_types::{ErrorKind, Millis, UsageRecord};

use crate::sql::{Sql, from_int, from_opt_int, int, total};
use crate::{Page, Paged, Store, StoreError};

macro_rules! columns {
    () => {
        "id, request_id, key_id, user_id, team_id, model, provider, endpoint, input_tokens, \
         output_tokens, cached_input_tokens, reasoning_tokens, cost_usd, latency_ms, ttft_ms, \
         status, error_kind, created_at"
    };
}

/// Rows per insert statement: 18 binds each, well under SQLite's 32766 and PostgreSQL's 65535.
const ROWS_PER_STATEMENT: usize = 500;

/// Which usage records a listing returns; every set field must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UsageFilter {
    /// Only records created at or after this time.
    pub from: Option<Millis>,
    /// Only records created before this time.
    pub to: Option<Millis>,
    /// Only this key's records.
    pub key_id: Option<String>,
    /// Only this user's records.
    pub user_id: Option<String>,
    /// Only records for this model name.
    pub model: Option<String>,
    /// Only records served by this provider.
    pub provider: Option<String>,
}

impl UsageFilter {
    /// Appends ` WHERE …` for the set fields (nothing when none is set).
    fn push_where(&self, sql: &mut Sql) {
        let mut keyword = " WHERE ";
        let mut clause = |sql: &mut Sql, text: &str| {
            sql.push(keyword).push(text);
            keyword = " AND ";
        };
        if let Some(from) = self.from {
            clause(sql, "created_at >= ");
            sql.bind(from);
        }
        if let Some(to) = self.to {
            clause(sql, "created_at < ");
            sql.bind(to);
        }
        for (column, value) in [
            ("key_id = ", &self.key_id),
            ("user_id = ", &self.user_id),
            ("model = ", &self.model),
            ("provider = ", &self.provider),
        ] {
            if let Some(value) = value {
                clause(sql, column);
                sql.bind(value.clone());
            }
        }
    }
}

#[derive(sqlx::FromRow)]
struct UsageRow {
    id: String,
    request_id: String,
    key_id: Option<String>,
    user_id: Option<String>,
    team_id: Option<String>,
    model: String,
    provider: String,
    endpoint: String,
    input_tokens: i64,
    output_tokens: i64,
    cached_input_tokens: i64,
    reasoning_tokens: i64,
    cost_usd: f64,
    latency_ms: i64,
    ttft_ms: Option<i64>,
    status: i64,
    error_kind: Option<String>,
    created_at: i64,
}

impl TryFrom<UsageRow> for UsageRecord {
    type Error = StoreError;

    fn try_from(row: UsageRow) -> Result<Self, StoreError> {
        let error_kind = row
            .error_kind
            .map(|text| {
                serde_json::from_value::<ErrorKind>(Value::String(text))
                    .map_err(|e| StoreError::Corrupt(format!("usage_records.error_kind: {e}")))
            })
            .transpose()?;
        Ok(UsageRecord {
            input_tokens: from_int(row.input_tokens, "usage_records.input_tokens")?,
            output_tokens: from_int(row.output_tokens, "usage_records.output_tokens")?,
            cached_input_tokens: from_int(
                row.cached_input_tokens,
                "usage_records.cached_input_tokens",
            )?,
            reasoning_tokens: from_int(row.reasoning_tokens, "usage_records.reasoning_tokens")?,
            latency_ms: from_int(row.latency_ms, "usage_records.latency_ms")?,
            ttft_ms: from_opt_int(row.ttft_ms, "usage_records.ttft_ms")?,
            status: from_int(row.status, "usage_records.status")?,
            error_kind,
            id: row.id,
            request_id: row.request_id,
            key_id: row.key_id,
            user_id: row.user_id,
            team_id: row.team_id,
            model: row.model,
            provider: row.provider,
            endpoint: row.endpoint,
            cost_usd: row.cost_usd,
            created_at: row.created_at,
        })
    }
}

/// Appends one `(…)` tuple of binds for a record.
fn push_record(sql: &mut Sql, r: &UsageRecord) {
    sql.push("(").bind(r.id.clone());
    sql.push(", ").bind(r.request_id.clone());
    sql.push(", ").bind(r.key_id.clone());
    sql.push(", ").bind(r.user_id.clone());
    sql.push(", ").bind(r.team_id.clone());
    sql.push(", ").bind(r.model.clone());
    sql.push(", ").bind(r.provider.clone());
    sql.push(", ").bind(r.endpoint.clone());
    sql.push(", ").bind(int(r.input_tokens));
    sql.push(", ").bind(int(r.output_tokens));
    sql.push(", ").bind(int(r.cached_input_tokens));
    sql.push(", ").bind(int(r.reasoning_tokens));
    sql.push(", ").bind(r.cost_usd);
    sql.push(", ").bind(int(r.latency_ms));
    sql.push(", ").bind(r.ttft_ms.map(int));
    sql.push(", ").bind(i64::from(r.status));
    sql.push(", ").bind(r.error_kind.map(ErrorKind::as_str));
    sql.push(", ").bind(r.created_at).push(")");
}

/// Repository of usage records.
#[derive(Debug, Clone, Copy)]
pub struct Usage<'a> {
    store: &'a Store,
}

impl<'a> Usage<'a> {
    pub(crate) fn new(store: &'a Store) -> Self {
        Self { store }
    }

    /// Inserts the records in one transaction and returns how many were new. A record whose
    /// id is already stored is skipped, so a batch may be retried after an unclear failure.
    pub async fn insert_batch(&self, records: &[UsageRecord]) -> Result<u64, StoreError> {
        if records.is_empty() {
            return Ok(0);
        }
        let mut tx = self.store.begin_write().await?;
        let mut inserted = 0;
        for chunk in records.chunks(ROWS_PER_STATEMENT) {
            let mut sql = Sql::new(concat!(
                "INSERT INTO usage_records (",
                columns!(),
                ") VALUES "
            ));
            for (i, record) in chunk.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                push_record(&mut sql, record);
            }
            sql.push(" ON CONFLICT (id) DO NOTHING");
            let (text, args) = sql.finish()?;
            // Unprepared: every batch size would otherwise cache its own large statement.
            let query = sqlx::query_with(&text, args).persistent(false);
            inserted += query.execute(&mut *tx).await?.rows_affected();
        }
        tx.commit().await?;
        Ok(inserted)
    }

    /// One page of the records matching `filter`, oldest first.
    pub async fn list(
        &self,
        page: Page,
        filter: &UsageFilter,
    ) -> Result<Paged<UsageRecord>, StoreError> {
        let mut count = Sql::new("SELECT COUNT(*) FROM usage_records");
        filter.push_where(&mut count);
        let (text, args) = count.finish()?;
        let count: i64 = sqlx::query_scalar_with(&text, args)
            .fetch_one(self.store.pool())
            .await?;
        let mut select = Sql::new(concat!("SELECT ", columns!(), " FROM usage_records"));
        filter.push_where(&mut select);
        select.push(" ORDER BY created_at, id").page(page);
        let (text, args) = select.finish()?;
        let rows: Vec<UsageRow> = sqlx::query_as_with(&text, args)
            .fetch_all(self.store.pool())
            .await?;
        let items = rows
            .into_iter()
            .map(UsageRecord::try_from)
            .collect::<Result<_, _>>()?;
        Ok(Paged {
            items,
            total: total(count),
        })
    }
}
