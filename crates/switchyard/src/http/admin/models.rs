//! Admin: models. A model names its provider by name or id.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use switchyard_store::{ModelPatch, NewModel};
use switchyard_types::{Capability, Model, ModelKind, Pricing, TaskType};

use super::{ListQuery, ListResponse, nullable, validate};
use crate::app::AppState;
use crate::http::error::ApiError;
use crate::http::extract::{JsonBody, QueryParams};

/// Body of POST /models.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateModel {
    pub name: String,
    /// The serving provider's name or id.
    pub provider: String,
    pub upstream_name: Option<String>,
    pub kinds: Option<Vec<ModelKind>>,
    pub capabilities: Option<Vec<Capability>>,
    pub task_types: Option<Vec<TaskType>>,
    pub context_window: Option<u32>,
    pub max_output_tokens: Option<u32>,
    pub input_cost_per_mtok: Option<f64>,
    pub output_cost_per_mtok: Option<f64>,
    pub cached_input_cost_per_mtok: Option<f64>,
    pub cost_per_image: Option<f64>,
    pub cost_per_video_second: Option<f64>,
    pub quality_tier: Option<u8>,
    pub time_to_first_token_ms: Option<u64>,
    pub enabled: Option<bool>,
}

/// Body of PATCH /models/{id}.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatchModel {
    pub name: Option<String>,
    pub upstream_name: Option<String>,
    pub kinds: Option<Vec<ModelKind>>,
    pub capabilities: Option<Vec<Capability>>,
    pub task_types: Option<Vec<TaskType>>,
    pub context_window: Option<u32>,
    pub max_output_tokens: Option<u32>,
    pub input_cost_per_mtok: Option<f64>,
    pub output_cost_per_mtok: Option<f64>,
    #[serde(default, deserialize_with = "nullable")]
    pub cached_input_cost_per_mtok: Option<Option<f64>>,
    #[serde(default, deserialize_with = "nullable")]
    pub cost_per_image: Option<Option<f64>>,
    #[serde(default, deserialize_with = "nullable")]
    pub cost_per_video_second: Option<Option<f64>>,
    pub quality_tier: Option<u8>,
    /// `null` clears the deadline.
    #[serde(default, deserialize_with = "nullable")]
    pub time_to_first_token_ms: Option<Option<u64>>,
    pub enabled: Option<bool>,
}

/// `?provider=` filter of GET /models (a provider id).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelQuery {
    pub limit: Option<u32>,
    pub offset: Option<u32>,
    pub provider_id: Option<String>,
}

fn check_prices(prices: &[(&str, Option<f64>)]) -> Result<(), ApiError> {
    for (field, value) in prices {
        if let Some(v) = value {
            validate::price(field, *v)?;
        }
    }
    Ok(())
}

fn check_window(context_window: u32, max_output_tokens: u32) -> Result<(), ApiError> {
    validate::range("context_window", context_window, 1, 100_000_000)?;
    validate::range("max_output_tokens", max_output_tokens, 1, context_window)
}

fn check_ttft(ms: Option<u64>) -> Result<(), ApiError> {
    match ms {
        Some(ms) => validate::range("time_to_first_token_ms", ms, 1, 600_000),
        None => Ok(()),
    }
}

fn check_kinds(kinds: &[ModelKind]) -> Result<(), ApiError> {
    if kinds.is_empty() {
        return Err(ApiError::field("kinds", "must name at least one kind"));
    }
    Ok(())
}

/// GET /models
pub async fn list(
    State(state): State<AppState>,
    QueryParams(q): QueryParams<ModelQuery>,
) -> Result<Json<ListResponse<Model>>, ApiError> {
    let page = ListQuery {
        limit: q.limit,
        offset: q.offset,
    }
    .page()?;
    let paged = state
        .store
        .models()
        .list(page, q.provider_id.as_deref())
        .await?;
    Ok(Json(ListResponse::new(paged, page)))
}

/// POST /models
pub async fn create(
    State(state): State<AppState>,
    JsonBody(body, _): JsonBody<CreateModel>,
) -> Result<(StatusCode, Json<Model>), ApiError> {
    validate::model_name("name", &body.name)?;
    let provider = match state.store.providers().get_by_name(&body.provider).await? {
        Some(p) => p,
        None => state
            .store
            .providers()
            .get(&body.provider)
            .await?
            .ok_or_else(|| {
                ApiError::field("provider", format!("no provider named `{}`", body.provider))
            })?,
    };
    let kinds = body.kinds.unwrap_or_else(|| vec![ModelKind::Chat]);
    check_kinds(&kinds)?;
    let context_window = body.context_window.unwrap_or(8192);
    let max_output_tokens = body.max_output_tokens.unwrap_or(4096.min(context_window));
    check_window(context_window, max_output_tokens)?;
    check_prices(&[
        ("input_cost_per_mtok", body.input_cost_per_mtok),
        ("output_cost_per_mtok", body.output_cost_per_mtok),
        (
            "cached_input_cost_per_mtok",
            body.cached_input_cost_per_mtok,
        ),
        ("cost_per_image", body.cost_per_image),
        ("cost_per_video_second", body.cost_per_video_second),
    ])?;
    let quality_tier = body.quality_tier.unwrap_or(3);
    validate::range("quality_tier", quality_tier, 1, 5)?;
    check_ttft(body.time_to_first_token_ms)?;
    // Chat models stream unless their capabilities say otherwise.
    let capabilities = body.capabilities.unwrap_or_else(|| {
        if kinds.contains(&ModelKind::Chat) {
            vec![Capability::Stream]
        } else {
            Vec::new()
        }
    });
    let model = state
        .store
        .models()
        .create(&NewModel {
            provider_id: provider.id,
            upstream_name: body.upstream_name.unwrap_or_else(|| body.name.clone()),
            name: body.name,
            kinds,
            capabilities,
            task_types: body.task_types.unwrap_or_else(|| vec![TaskType::Chat]),
            context_window,
            max_output_tokens,
            pricing: Pricing {
                input_cost_per_mtok: body.input_cost_per_mtok.unwrap_or(0.0),
                output_cost_per_mtok: body.output_cost_per_mtok.unwrap_or(0.0),
                cached_input_cost_per_mtok: body.cached_input_cost_per_mtok,
                cost_per_image: body.cost_per_image,
                cost_per_video_second: body.cost_per_video_second,
            },
            quality_tier,
            time_to_first_token_ms: body.time_to_first_token_ms,
            enabled: body.enabled.unwrap_or(true),
        })
        .await?;
    state.registry_changed().await?;
    Ok((StatusCode::CREATED, Json(model)))
}

/// GET /models/{id}
pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Model>, ApiError> {
    state
        .store
        .models()
        .get(&id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("model `{id}` not found")))
}

/// PATCH /models/{id}
pub async fn patch(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(body, _): JsonBody<PatchModel>,
) -> Result<Json<Model>, ApiError> {
    let current = state
        .store
        .models()
        .get(&id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("model `{id}` not found")))?;
    if let Some(name) = &body.name {
        validate::model_name("name", name)?;
    }
    if let Some(kinds) = &body.kinds {
        check_kinds(kinds)?;
    }
    check_window(
        body.context_window.unwrap_or(current.context_window),
        body.max_output_tokens.unwrap_or(current.max_output_tokens),
    )?;
    check_prices(&[
        ("input_cost_per_mtok", body.input_cost_per_mtok),
        ("output_cost_per_mtok", body.output_cost_per_mtok),
        (
            "cached_input_cost_per_mtok",
            body.cached_input_cost_per_mtok.flatten(),
        ),
        ("cost_per_image", body.cost_per_image.flatten()),
        (
            "cost_per_video_second",
            body.cost_per_video_second.flatten(),
        ),
    ])?;
    if let Some(tier) = body.quality_tier {
        validate::range("quality_tier", tier, 1, 5)?;
    }
    check_ttft(body.time_to_first_token_ms.flatten())?;
    let patch = ModelPatch {
        name: body.name,
        upstream_name: body.upstream_name,
        kinds: body.kinds,
        capabilities: body.capabilities,
        task_types: body.task_types,
        context_window: body.context_window,
        max_output_tokens: body.max_output_tokens,
        input_cost_per_mtok: body.input_cost_per_mtok,
        output_cost_per_mtok: body.output_cost_per_mtok,
        cached_input_cost_per_mtok: body.cached_input_cost_per_mtok,
        cost_per_image: body.cost_per_image,
        cost_per_video_second: body.cost_per_video_second,
        quality_tier: body.quality_tier,
        time_to_first_token_ms: body.time_to_first_token_ms,
        enabled: body.enabled,
        ..ModelPatch::default()
    };
    let model = state
        .store
        .models()
        .update(&id, &patch)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("model `{id}` not found")))?;
    state.registry_changed().await?;
    Ok(Json(model))
}

/// DELETE /models/{id}
pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    if !state.store.models().delete(&id).await? {
        return Err(ApiError::not_found(format!("model `{id}` not found")));
    }
    state.registry_changed().await?;
    Ok(StatusCode::NO_CONTENT)
}
