//! Admin: providers. API keys are write-only: `"env:VAR"` stores a reference, a
//! literal is encrypted before it reaches the database.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use switchyard_store::{NewProvider, ProviderPatch, ProviderSecret};
use switchyard_types::{Provider, ProviderKind};

use super::{ListQuery, ListResponse, nullable, validate};
use crate::app::AppState;
use crate::http::error::ApiError;
use crate::http::extract::{JsonBody, QueryParams};

/// Body of POST /providers.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateProvider {
    pub name: String,
    pub kind: ProviderKind,
    pub base_url: Option<String>,
    pub api_key: Option<String>,
    pub timeout_ms: Option<u64>,
    pub max_concurrency: Option<u32>,
    pub free_tier: Option<bool>,
    pub enabled: Option<bool>,
    pub options: Option<serde_json::Map<String, serde_json::Value>>,
}

/// Body of PATCH /providers/{id}; `null` clears a nullable field.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatchProvider {
    pub name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub base_url: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub api_key: Option<Option<String>>,
    pub timeout_ms: Option<u64>,
    pub max_concurrency: Option<u32>,
    pub free_tier: Option<bool>,
    pub enabled: Option<bool>,
    pub options: Option<serde_json::Map<String, serde_json::Value>>,
}

/// `?cascade=true` on DELETE also deletes the provider's models.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeleteQuery {
    #[serde(default)]
    pub cascade: bool,
}

/// Turn an `api_key` field into what the store keeps.
pub fn secret_of(state: &AppState, value: &str) -> Result<ProviderSecret, ApiError> {
    if let Some(var) = value.strip_prefix("env:") {
        if var.is_empty() || !var.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(ApiError::field(
                "api_key",
                "`env:` must be followed by a variable name",
            ));
        }
        return Ok(ProviderSecret::Env(var.to_string()));
    }
    if value.is_empty() {
        return Err(ApiError::field(
            "api_key",
            "must not be empty; send null to remove it",
        ));
    }
    state
        .secrets
        .seal(value)
        .map(ProviderSecret::Encrypted)
        .map_err(ApiError::internal)
}

fn check_common(
    base_url: Option<&str>,
    timeout_ms: Option<u64>,
    max_concurrency: Option<u32>,
) -> Result<(), ApiError> {
    if let Some(url) = base_url {
        validate::http_url("base_url", url)?;
    }
    if let Some(t) = timeout_ms {
        validate::range("timeout_ms", t, 1, 3_600_000)?;
    }
    if let Some(c) = max_concurrency {
        validate::range("max_concurrency", c, 1, 100_000)?;
    }
    Ok(())
}

/// GET /providers
pub async fn list(
    State(state): State<AppState>,
    QueryParams(q): QueryParams<ListQuery>,
) -> Result<Json<ListResponse<Provider>>, ApiError> {
    let page = q.page()?;
    let paged = state.store.providers().list(page).await?;
    Ok(Json(ListResponse::new(paged, page)))
}

/// POST /providers
pub async fn create(
    State(state): State<AppState>,
    JsonBody(body, _): JsonBody<CreateProvider>,
) -> Result<(StatusCode, Json<Provider>), ApiError> {
    validate::slug("name", &body.name)?;
    check_common(
        body.base_url.as_deref(),
        body.timeout_ms,
        body.max_concurrency,
    )?;
    let api_key = body
        .api_key
        .as_deref()
        .map(|k| secret_of(&state, k))
        .transpose()?;
    let provider = state
        .store
        .providers()
        .create(&NewProvider {
            name: body.name,
            kind: body.kind,
            base_url: body.base_url,
            api_key,
            timeout_ms: body.timeout_ms.unwrap_or(60_000),
            max_concurrency: body.max_concurrency.unwrap_or(256),
            free_tier: body.free_tier.unwrap_or(false),
            enabled: body.enabled.unwrap_or(true),
            options: serde_json::Value::Object(body.options.unwrap_or_default()),
        })
        .await?;
    state.registry_changed().await?;
    Ok((StatusCode::CREATED, Json(provider)))
}

/// GET /providers/{id}
pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Provider>, ApiError> {
    state
        .store
        .providers()
        .get(&id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("provider `{id}` not found")))
}

/// PATCH /providers/{id}
pub async fn patch(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(body, _): JsonBody<PatchProvider>,
) -> Result<Json<Provider>, ApiError> {
    if let Some(name) = &body.name {
        validate::slug("name", name)?;
    }
    check_common(
        body.base_url.as_ref().and_then(|u| u.as_deref()),
        body.timeout_ms,
        body.max_concurrency,
    )?;
    let api_key = match &body.api_key {
        None => None,
        Some(None) => Some(None),
        Some(Some(k)) => Some(Some(secret_of(&state, k)?)),
    };
    let patch = ProviderPatch {
        name: body.name,
        base_url: body.base_url,
        api_key,
        timeout_ms: body.timeout_ms,
        max_concurrency: body.max_concurrency,
        free_tier: body.free_tier,
        enabled: body.enabled,
        options: body.options.map(serde_json::Value::Object),
        ..ProviderPatch::default()
    };
    let provider = state
        .store
        .providers()
        .update(&id, &patch)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("provider `{id}` not found")))?;
    state.registry_changed().await?;
    Ok(Json(provider))
}

/// DELETE /providers/{id}: refused with 409 while models use it, unless `?cascade=true`.
pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
    QueryParams(q): QueryParams<DeleteQuery>,
) -> Result<StatusCode, ApiError> {
    if !state.store.providers().delete(&id, q.cascade).await? {
        return Err(ApiError::not_found(format!("provider `{id}` not found")));
    }
    state.registry_changed().await?;
    Ok(StatusCode::NO_CONTENT)
}
