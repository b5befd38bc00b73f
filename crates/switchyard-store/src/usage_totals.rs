//! Totals of usage for one scope and time range — what a quota counter is seeded with
//! when its period starts on a replica that has no shared counter yet.

use switchyard_types::{Millis, QuotaScope};

use crate::{Store, StoreError};

/// Requests, tokens and spend in a range.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct UsageTotals {
    pub requests: u64,
    pub tokens: u64,
    pub cost_usd: f64,
}

impl Store {
    /// Totals of usage records with `scope = scope_id` created in `[from, to)`, leaving
    /// out 4xx refusals (they cost nothing and count against no quota).
    pub async fn usage_totals(
        &self,
        scope: QuotaScope,
        scope_id: &str,
        from: Millis,
        to: Millis,
    ) -> Result<UsageTotals, StoreError> {
        // The column comes from a closed enum, never from input.
        let sql = match scope {
            QuotaScope::Key => {
                "SELECT COUNT(*), CAST(COALESCE(SUM(input_tokens + output_tokens), 0) AS BIGINT), CAST(COALESCE(SUM(cost_usd), 0) AS DOUBLE PRECISION) FROM usage_records WHERE key_id = $1 AND created_at >= $2 AND created_at < $3 AND (status < 400 OR status >= 500)"
            }
            QuotaScope::User => {
                "SELECT COUNT(*), CAST(COALESCE(SUM(input_tokens + output_tokens), 0) AS BIGINT), CAST(COALESCE(SUM(cost_usd), 0) AS DOUBLE PRECISION) FROM usage_records WHERE user_id = $1 AND created_at >= $2 AND created_at < $3 AND (status < 400 OR status >= 500)"
            }
            QuotaScope::Team => {
                "SELECT COUNT(*), CAST(COALESCE(SUM(input_tokens + output_tokens), 0) AS BIGINT), CAST(COALESCE(SUM(cost_usd), 0) AS DOUBLE PRECISION) FROM usage_records WHERE team_id = $1 AND created_at >= $2 AND created_at < $3 AND (status < 400 OR status >= 500)"
            }
            QuotaScope::Model => {
                "SELECT COUNT(*), CAST(COALESCE(SUM(input_tokens + output_tokens), 0) AS BIGINT), CAST(COALESCE(SUM(cost_usd), 0) AS DOUBLE PRECISION) FROM usage_records WHERE model = $1 AND created_at >= $2 AND created_at < $3 AND (status < 400 OR status >= 500)"
            }
        };
        let (requests, tokens, cost): (i64, i64, f64) = sqlx::query_as(sql)
            .bind(scope_id)
            .bind(from)
            .bind(to)
            .fetch_one(self.pool())
            .await?;
        Ok(UsageTotals {
            requests: u64::try_from(requests).unwrap_or(0),
            tokens: u64::try_from(tokens).unwrap_or(0),
            cost_usd: cost,
        })
    }
}
