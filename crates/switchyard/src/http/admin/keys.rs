//! Admin: API keys. The secret is returned once, in the creation response; only its
//! hash is stored.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use switchyard_core::keys;
use switchyard_store::ApiKeyPatch;
use switchyard_types::{ApiKey, Identity, Role};

use super::{ListResponse, nullable, validate};
use crate::app::AppState;
use crate::http::error::ApiError;
use crate::http::extract::{JsonBody, QueryParams};

/// Body of POST /keys.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateKey {
    pub name: String,
    pub role: Role,
    /// Owner; defaults to the calling admin's user.
    pub user_id: Option<String>,
    /// Unix milliseconds after which the key stops working.
    pub expires_at: Option<i64>,
    pub allowed_models: Option<Vec<String>>,
    /// Requests per minute (token-bucket rate limit); unset for none.
    pub rate_limit_rpm: Option<u32>,
    /// Tokens per minute; unset for none.
    pub rate_limit_tpm: Option<u32>,
}

/// Body of PATCH /keys/{id}.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatchKey {
    pub name: Option<String>,
    pub role: Option<Role>,
    pub enabled: Option<bool>,
    #[serde(default, deserialize_with = "nullable")]
    pub expires_at: Option<Option<i64>>,
    pub allowed_models: Option<Vec<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub rate_limit_rpm: Option<Option<u32>>,
    #[serde(default, deserialize_with = "nullable")]
    pub rate_limit_tpm: Option<Option<u32>>,
}

fn check_limits(rpm: Option<u32>, tpm: Option<u32>) -> Result<(), ApiError> {
    if let Some(rpm) = rpm {
        validate::range("rate_limit_rpm", rpm, 1, 10_000_000)?;
    }
    if let Some(tpm) = tpm {
        validate::range("rate_limit_tpm", tpm, 1, 4_000_000_000)?;
    }
    Ok(())
}

/// `?user_id=` filter of GET /keys.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyQuery {
    pub limit: Option<u32>,
    pub offset: Option<u32>,
    pub user_id: Option<String>,
}

/// A created key: its record plus the secret, shown this once.
#[derive(Debug, Serialize)]
pub struct CreatedKey {
    #[serde(flatten)]
    pub key: ApiKey,
    /// The secret. It cannot be read again.
    pub secret: String,
}

/// GET /keys
pub async fn list(
    State(state): State<AppState>,
    QueryParams(q): QueryParams<KeyQuery>,
) -> Result<Json<ListResponse<ApiKey>>, ApiError> {
    let page = super::ListQuery {
        limit: q.limit,
        offset: q.offset,
    }
    .page()?;
    let paged = state
        .store
        .api_keys()
        .list(page, q.user_id.as_deref())
        .await?;
    Ok(Json(ListResponse::new(paged, page)))
}

/// POST /keys
pub async fn create(
    State(state): State<AppState>,
    Extension(caller): Extension<Identity>,
    JsonBody(body, _): JsonBody<CreateKey>,
) -> Result<(StatusCode, Json<CreatedKey>), ApiError> {
    validate::label("name", &body.name)?;
    validate::future("expires_at", body.expires_at)?;
    check_limits(body.rate_limit_rpm, body.rate_limit_tpm)?;
    let user_id = body.user_id.unwrap_or(caller.user_id);
    if state.store.users().get(&user_id).await?.is_none() {
        return Err(ApiError::field(
            "user_id",
            format!("no user with id `{user_id}`"),
        ));
    }
    let spec = keys::KeySpec {
        expires_at: body.expires_at,
        allowed_models: body.allowed_models.unwrap_or_default(),
        rate_limit_rpm: body.rate_limit_rpm,
        rate_limit_tpm: body.rate_limit_tpm,
        ..keys::KeySpec::new(body.name, body.role, user_id)
    };
    let (key, secret) = keys::issue(&state.store, spec, keys::generate()).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedKey {
            key,
            secret: secret.expose().clone(),
        }),
    ))
}

/// GET /keys/{id}
pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<ApiKey>, ApiError> {
    state
        .store
        .api_keys()
        .get(&id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("key `{id}` not found")))
}

/// PATCH /keys/{id}
pub async fn patch(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(body, _): JsonBody<PatchKey>,
) -> Result<Json<ApiKey>, ApiError> {
    if let Some(name) = &body.name {
        validate::label("name", name)?;
    }
    check_limits(body.rate_limit_rpm.flatten(), body.rate_limit_tpm.flatten())?;
    let patch = ApiKeyPatch {
        name: body.name,
        role: body.role,
        enabled: body.enabled,
        expires_at: body.expires_at,
        allowed_models: body.allowed_models,
        rate_limit_rpm: body.rate_limit_rpm,
        rate_limit_tpm: body.rate_limit_tpm,
    };
    let key = state
        .store
        .api_keys()
        .update(&id, &patch)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("key `{id}` not found")))?;
    state.auth.invalidate();
    Ok(Json(key))
}

/// DELETE /keys/{id}
pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    if !state.store.api_keys().delete(&id).await? {
        return Err(ApiError::not_found(format!("key `{id}` not found")));
    }
    state.auth.invalidate();
    Ok(StatusCode::NO_CONTENT)
}
