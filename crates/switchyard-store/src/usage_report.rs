//! Usage analytics over `usage_records`: totals and per-group figures (requests, errors,
//! tokens, cost, latency percentiles, time to first token) for a [`UsageFilter`], grouped by
//! a closed set of dimensions. One SQL statement runs unchanged on SQLite and PostgreSQL:
//! grouping columns come from the [`GroupBy`] enum only, values travel as binds, hour and day
//! buckets are integer arithmetic on the millisecond timestamps (UTC), and percentiles use
//! window functions both databases share (see [`Usage::report`]).

use std::cmp::Ordering;
use std::str::FromStr;

use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;
use switchyard_types::Millis;

use crate::sql::{Sql, total};
use crate::{StoreError, Usage, UsageFilter};

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 86_400_000;

/// A dimension a usage report can be grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GroupBy {
    /// The API key that made the request.
    Key,
    /// The user who owns the key.
    User,
    /// The model name asked for or served.
    Model,
    /// The provider that served the request.
    Provider,
    /// The UTC hour the request was recorded in.
    Hour,
    /// The UTC day the request was recorded in.
    Day,
}

impl GroupBy {
    /// Every dimension, in the order the names are documented.
    pub const ALL: [Self; 6] = [
        Self::Key,
        Self::User,
        Self::Model,
        Self::Provider,
        Self::Hour,
        Self::Day,
    ];

    /// The name used in `group_by` (`key`, `user`, `model`, `provider`, `hour`, `day`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Key => "key",
            Self::User => "user",
            Self::Model => "model",
            Self::Provider => "provider",
            Self::Hour => "hour",
            Self::Day => "day",
        }
    }

    /// The field naming this dimension's value in a group (`key_id`, `user_id`, `model`, …).
    pub fn field(self) -> &'static str {
        match self {
            Self::Key => "key_id",
            Self::User => "user_id",
            Self::Model => "model",
            Self::Provider => "provider",
            Self::Hour => "hour",
            Self::Day => "day",
        }
    }

    /// The column of the report's inner query holding this dimension (a fixed name).
    fn column(self) -> &'static str {
        match self {
            Self::Key => "key_id",
            Self::User => "user_id",
            Self::Model => "model",
            Self::Provider => "provider",
            Self::Hour => "bucket_hour",
            Self::Day => "bucket_day",
        }
    }

    /// This dimension's value in a result row.
    fn decode(self, row: &AnyRow) -> Result<GroupValue, sqlx::Error> {
        Ok(match self {
            Self::Key | Self::User => GroupValue::Text(row.try_get(self.column())?),
            Self::Model | Self::Provider => {
                GroupValue::Text(Some(row.try_get::<String, _>(self.column())?))
            }
            Self::Hour | Self::Day => GroupValue::Time(row.try_get(self.column())?),
        })
    }
}

impl FromStr for GroupBy {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|g| g.as_str() == s)
            .ok_or_else(|| {
                format!("unknown dimension `{s}`; expected key, user, model, provider, hour or day")
            })
    }
}

/// A group's value along one dimension.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(untagged)]
pub enum GroupValue {
    /// A key, user, model or provider (a key or user may be absent: `None`).
    Text(Option<String>),
    /// The start of an hour or day bucket, Unix milliseconds (UTC).
    Time(Millis),
}

/// Figures for a set of usage records.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct UsageStats {
    /// Number of requests.
    pub requests: u64,
    /// Requests answered with a status of 400 or above.
    pub errors: u64,
    /// `errors / requests` (0 when there are no requests).
    pub error_rate: f64,
    /// Input tokens, cached ones included.
    pub input_tokens: u64,
    /// Output tokens.
    pub output_tokens: u64,
    /// Input tokens served from the provider's cache.
    pub cached_input_tokens: u64,
    /// Reasoning tokens.
    pub reasoning_tokens: u64,
    /// Total cost in USD.
    pub cost_usd: f64,
    /// Median latency in ms (nearest rank); `None` without requests.
    pub latency_p50_ms: Option<u64>,
    /// 95th percentile latency in ms (nearest rank); `None` without requests.
    pub latency_p95_ms: Option<u64>,
    /// Mean time to first token in ms over the requests that streamed; `None` if none did.
    pub avg_ttft_ms: Option<f64>,
}

impl UsageStats {
    fn decode(row: &AnyRow) -> Result<Self, StoreError> {
        let count = |column: &str| -> Result<u64, StoreError> {
            Ok(total(row.try_get::<Option<i64>, _>(column)?.unwrap_or(0)))
        };
        let latency = |column: &str| -> Result<Option<u64>, StoreError> {
            Ok(row.try_get::<Option<i64>, _>(column)?.map(total))
        };
        let requests = count("requests")?;
        let errors = count("errors")?;
        Ok(Self {
            requests,
            errors,
            error_rate: if requests == 0 {
                0.0
            } else {
                errors as f64 / requests as f64
            },
            input_tokens: count("input_tokens")?,
            output_tokens: count("output_tokens")?,
            cached_input_tokens: count("cached_input_tokens")?,
            reasoning_tokens: count("reasoning_tokens")?,
            cost_usd: row.try_get::<Option<f64>, _>("cost_usd")?.unwrap_or(0.0),
            latency_p50_ms: latency("latency_p50_ms")?,
            latency_p95_ms: latency("latency_p95_ms")?,
            avg_ttft_ms: row.try_get("avg_ttft_ms")?,
        })
    }
}

/// One group of a report: its value along each requested dimension and its figures.
#[derive(Debug, Clone, PartialEq)]
pub struct UsageGroup {
    /// The group's value per dimension, in the order the dimensions were asked for.
    pub key: Vec<(GroupBy, GroupValue)>,
    /// The group's figures.
    pub stats: UsageStats,
}

impl UsageGroup {
    /// The group's value along `by`, if the report was grouped by it.
    pub fn get(&self, by: GroupBy) -> Option<&GroupValue> {
        self.key.iter().find(|(g, _)| *g == by).map(|(_, v)| v)
    }

    /// The group's key, user, model or provider (`None` when absent or not grouped by).
    pub fn text(&self, by: GroupBy) -> Option<&str> {
        match self.get(by) {
            Some(GroupValue::Text(Some(text))) => Some(text),
            _ => None,
        }
    }

    /// The group's hour or day bucket start (`None` when not grouped by it).
    pub fn time(&self, by: GroupBy) -> Option<Millis> {
        match self.get(by) {
            Some(GroupValue::Time(t)) => Some(*t),
            _ => None,
        }
    }
}

/// The answer to a usage report.
#[derive(Debug, Clone, PartialEq)]
pub struct UsageReport {
    /// The groups, ordered by their values (absent keys first, then byte order; buckets by
    /// time). Empty when the report is not grouped.
    pub groups: Vec<UsageGroup>,
    /// Figures over every matching record.
    pub totals: UsageStats,
    /// Whether more groups matched than the report was allowed to return.
    pub truncated: bool,
}

/// The aggregate columns of a report, over the ranked rows `t` (`rn` = the row's latency
/// rank within its group, `n` = the group's size). A nearest-rank percentile p is the latency
/// at rank ⌈p·n/100⌉, computed with integer division as `(n·p + 99) / 100`.
const STATS: &str = "COUNT(*) AS requests, \
     CAST(SUM(CASE WHEN status >= 400 THEN 1 ELSE 0 END) AS BIGINT) AS errors, \
     CAST(SUM(input_tokens) AS BIGINT) AS input_tokens, \
     CAST(SUM(output_tokens) AS BIGINT) AS output_tokens, \
     CAST(SUM(cached_input_tokens) AS BIGINT) AS cached_input_tokens, \
     CAST(SUM(reasoning_tokens) AS BIGINT) AS reasoning_tokens, \
     CAST(SUM(cost_usd) AS DOUBLE PRECISION) AS cost_usd, \
     MAX(CASE WHEN rn = (n * 50 + 99) / 100 THEN latency_ms END) AS latency_p50_ms, \
     MAX(CASE WHEN rn = (n * 95 + 99) / 100 THEN latency_ms END) AS latency_p95_ms, \
     CAST(AVG(ttft_ms) AS DOUBLE PRECISION) AS avg_ttft_ms";

/// The filtered records with their hour and day buckets (integer division floors the
/// non-negative millisecond timestamps on both databases).
const BASE: &str = "SELECT key_id, user_id, model, provider, \
     (created_at / 3600000) * 3600000 AS bucket_hour, \
     (created_at / 86400000) * 86400000 AS bucket_day, \
     status, input_tokens, output_tokens, cached_input_tokens, reasoning_tokens, cost_usd, \
     latency_ms, ttft_ms FROM usage_records";

/// The report statement for `dims` (already de-duplicated); groups are limited to `limit`.
fn report_sql(filter: &UsageFilter, dims: &[GroupBy], limit: u32) -> Sql {
    let columns = dims
        .iter()
        .map(|d| d.column())
        .collect::<Vec<_>>()
        .join(", ");
    let partition = if dims.is_empty() {
        String::new()
    } else {
        format!("PARTITION BY {columns} ")
    };
    let mut sql = Sql::new("SELECT ");
    if !dims.is_empty() {
        sql.push(&columns).push(", ");
    }
    sql.push(STATS)
        .push(" FROM (SELECT b.*, ROW_NUMBER() OVER (")
        .push(&partition)
        .push("ORDER BY latency_ms) AS rn, COUNT(*) OVER (")
        .push(partition.trim_end())
        .push(") AS n FROM (")
        .push(BASE);
    filter.push_where(&mut sql);
    sql.push(") AS b) AS t");
    if !dims.is_empty() {
        let order = dims
            .iter()
            .map(|d| {
                format!(
                    "CASE WHEN {c} IS NULL THEN 0 ELSE 1 END, {c}",
                    c = d.column()
                )
            })
            .collect::<Vec<_>>()
            .join(", ");
        sql.push(" GROUP BY ")
            .push(&columns)
            .push(" ORDER BY ")
            .push(&order)
            .push(" LIMIT ")
            .bind(i64::from(limit) + 1);
    }
    sql
}

impl Usage<'_> {
    /// Totals and, when `group_by` names dimensions, per-group figures of the records
    /// matching `filter`, with at most `max_groups` groups (`truncated` says when more
    /// matched; which ones are kept follows the database's ordering of the values).
    ///
    /// Percentiles are nearest-rank and computed inside the database with window functions
    /// both SQLite (3.25+) and PostgreSQL run through sqlx `Any`: `ROW_NUMBER() OVER
    /// (PARTITION BY group ORDER BY latency_ms)` ranks each record in its group, `COUNT(*)
    /// OVER (PARTITION BY group)` sizes the group, and the aggregate keeps the latency whose
    /// rank is ⌈p·n/100⌉. Only one row per group leaves the database, however many records
    /// it covers. Error rate counts statuses of 400 and above; latency covers every request.
    pub async fn report(
        &self,
        filter: &UsageFilter,
        group_by: &[GroupBy],
        max_groups: u32,
    ) -> Result<UsageReport, StoreError> {
        let mut dims: Vec<GroupBy> = Vec::with_capacity(group_by.len());
        for d in group_by {
            if !dims.contains(d) {
                dims.push(*d);
            }
        }
        let pool = self.store().pool();
        let (text, args) = report_sql(filter, &[], 0).finish()?;
        let row = sqlx::query_with(&text, args).fetch_one(pool).await?;
        let totals = UsageStats::decode(&row)?;
        if dims.is_empty() {
            return Ok(UsageReport {
                groups: Vec::new(),
                totals,
                truncated: false,
            });
        }
        let (text, args) = report_sql(filter, &dims, max_groups).finish()?;
        let rows = sqlx::query_with(&text, args).fetch_all(pool).await?;
        let truncated = rows.len() > usize::try_from(max_groups).unwrap_or(usize::MAX);
        let mut groups = rows
            .iter()
            .take(usize::try_from(max_groups).unwrap_or(usize::MAX))
            .map(|row| {
                let key = dims
                    .iter()
                    .map(|d| d.decode(row).map(|v| (*d, v)))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(UsageGroup {
                    key,
                    stats: UsageStats::decode(row)?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        // Byte order on both backends (PostgreSQL's collation may order text differently).
        groups.sort_by(|a, b| compare_keys(&a.key, &b.key));
        Ok(UsageReport {
            groups,
            totals,
            truncated,
        })
    }
}

fn compare_keys(a: &[(GroupBy, GroupValue)], b: &[(GroupBy, GroupValue)]) -> Ordering {
    a.iter().map(|(_, v)| v).cmp(b.iter().map(|(_, v)| v))
}

/// The start (Unix ms, UTC) of the hour bucket holding `t`, as the report computes it.
pub fn hour_bucket(t: Millis) -> Millis {
    t / HOUR_MS * HOUR_MS
}

/// The start (Unix ms, UTC) of the day bucket holding `t`, as the report computes it.
pub fn day_bucket(t: Millis) -> Millis {
    t / DAY_MS * DAY_MS
}

#[cfg(test)]
mod tests {
    use sqlx::Arguments;

    use super::*;

    #[test]
    fn group_by_names_round_trip_and_unknown_names_are_refused() {
        for g in GroupBy::ALL {
            assert_eq!(g.as_str().parse::<GroupBy>(), Ok(g));
        }
        let err = "color".parse::<GroupBy>().err().unwrap_or_default();
        assert!(err.contains("`color`"), "{err}");
    }

    #[test]
    fn grouped_sql_uses_only_fixed_columns_and_binds() {
        let filter = UsageFilter {
            model: Some("x'; DROP TABLE usage_records; --".into()),
            ..UsageFilter::default()
        };
        let (text, args) = report_sql(&filter, &[GroupBy::Model, GroupBy::Day], 10)
            .finish()
            .unwrap_or_else(|_| (String::new(), Default::default()));
        assert!(text.contains("PARTITION BY model, bucket_day ORDER BY latency_ms"));
        assert!(text.contains("GROUP BY model, bucket_day ORDER BY"));
        assert!(
            text.contains("model = $1") && text.ends_with("LIMIT $2"),
            "{text}"
        );
        assert!(!text.contains("DROP"));
        assert_eq!(args.len(), 2);
    }

    #[test]
    fn buckets_floor_to_the_hour_and_day() {
        let t = 1_700_000_000_123;
        assert_eq!(hour_bucket(t), 1_699_999_200_000);
        assert_eq!(day_bucket(t), 1_699_920_000_000);
    }
}
