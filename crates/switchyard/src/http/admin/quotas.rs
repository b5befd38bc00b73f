//! Admin: quotas and budgets — a limit on requests, tokens or USD per calendar period
//! for a key, user, team or model; `shadow` limits only report.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use switchyard_store::{NewQuota, QuotaPatch};
use switchyard_types::{Quota, QuotaMetric, QuotaPeriod, QuotaScope};

use super::{ListQuery, ListResponse};
use crate::app::AppState;
use crate::http::error::ApiError;
use crate::http::extract::{JsonBody, QueryParams};

/// Body of POST /quotas.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateQuota {
    pub scope: QuotaScope,
    /// The key, user or team id, or the model name.
    pub scope_id: String,
    pub metric: QuotaMetric,
    pub period: QuotaPeriod,
    pub limit: f64,
    #[serde(default)]
    pub shadow: bool,
}

/// Body of PATCH /quotas/{id}.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatchQuota {
    pub limit: Option<f64>,
    pub shadow: Option<bool>,
}

fn check_limit(limit: f64) -> Result<(), ApiError> {
    if !limit.is_finite() || limit < 0.0 {
        return Err(ApiError::field("limit", "must be a finite number ≥ 0"));
    }
    Ok(())
}

async fn check_scope(state: &AppState, scope: QuotaScope, id: &str) -> Result<(), ApiError> {
    let exists = match scope {
        QuotaScope::Key => state.store.api_keys().get(id).await?.is_some(),
        QuotaScope::User => state.store.users().get(id).await?.is_some(),
        QuotaScope::Team => state.store.teams().get(id).await?.is_some(),
        QuotaScope::Model => {
            let snapshot = state.registry.snapshot();
            !snapshot.models_named(id).is_empty() || snapshot.groups.contains_key(id)
        }
    };
    if exists {
        Ok(())
    } else {
        Err(ApiError::field("scope_id", format!("no {scope} `{id}`")))
    }
}

/// GET /quotas
pub async fn list(
    State(state): State<AppState>,
    QueryParams(q): QueryParams<ListQuery>,
) -> Result<Json<ListResponse<Quota>>, ApiError> {
    let page = q.page()?;
    Ok(Json(ListResponse::new(
        state.store.quotas().list(page).await?,
        page,
    )))
}

/// POST /quotas
pub async fn create(
    State(state): State<AppState>,
    JsonBody(body, _): JsonBody<CreateQuota>,
) -> Result<(StatusCode, Json<Quota>), ApiError> {
    check_limit(body.limit)?;
    check_scope(&state, body.scope, &body.scope_id).await?;
    let quota = state
        .store
        .quotas()
        .create(&NewQuota {
            scope: body.scope,
            scope_id: body.scope_id,
            metric: body.metric,
            period: body.period,
            limit: body.limit,
            shadow: body.shadow,
        })
        .await?;
    state.quotas_changed().await?;
    Ok((StatusCode::CREATED, Json(quota)))
}

/// A quota with what is used of it in the current period.
#[derive(Debug, Serialize)]
pub struct QuotaState {
    #[serde(flatten)]
    pub quota: Quota,
    /// Reserved and settled so far in the current period (requests, tokens or USD).
    pub used: f64,
    /// The current period, Unix ms: start inclusive, end exclusive.
    pub period_start: i64,
    pub period_end: i64,
}

/// GET /quotas/{id}: the quota and its use in the current period.
pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<QuotaState>, ApiError> {
    let quota = state
        .store
        .quotas()
        .get(&id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("quota `{id}` not found")))?;
    let use_now = state.governor.used(&quota).await?;
    Ok(Json(QuotaState {
        quota,
        used: use_now.used,
        period_start: use_now.period_start,
        period_end: use_now.period_end,
    }))
}

/// PATCH /quotas/{id}
pub async fn patch(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(body, _): JsonBody<PatchQuota>,
) -> Result<Json<Quota>, ApiError> {
    if let Some(limit) = body.limit {
        check_limit(limit)?;
    }
    let quota = state
        .store
        .quotas()
        .update(
            &id,
            &QuotaPatch {
                limit: body.limit,
                shadow: body.shadow,
                ..QuotaPatch::default()
            },
        )
        .await?
        .ok_or_else(|| ApiError::not_found(format!("quota `{id}` not found")))?;
    state.quotas_changed().await?;
    Ok(Json(quota))
}

/// DELETE /quotas/{id}
pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    if !state.store.quotas().delete(&id).await? {
        return Err(ApiError::not_found(format!("quota `{id}` not found")));
    }
    state.quotas_changed().await?;
    Ok(StatusCode::NO_CONTENT)
}
