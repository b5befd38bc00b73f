//! Self-service for any caller: their own API keys at `/api/v1/keys`. A caller sees and
//! changes only keys of their own user; another user's key is "not found" (its existence
//! is not revealed). Roles can only be kept or lowered, never raised.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde::Deserialize;
use switchyard_core::keys;
use switchyard_store::{ApiKeyPatch, Page};
use switchyard_types::{ApiKey, Identity, Role};

use super::admin::{ListQuery, ListResponse, validate};
use super::error::ApiError;
use super::extract::{JsonBody, QueryParams};
use crate::app::AppState;

/// Body of POST /api/v1/keys.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateOwnKey {
    pub name: String,
    /// At most the caller's own role; default the caller's role.
    pub role: Option<Role>,
    pub expires_at: Option<i64>,
}

/// Body of PATCH /api/v1/keys/{id}.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatchOwnKey {
    pub name: Option<String>,
    pub enabled: Option<bool>,
    /// Only lowering is allowed.
    pub role: Option<Role>,
}

/// How much a role may do; higher is more.
fn rank(role: Role) -> u8 {
    match role {
        Role::User => 0,
        Role::Service => 1,
        Role::Admin => 2,
    }
}

fn check_role(caller: &Identity, wanted: Role) -> Result<(), ApiError> {
    if rank(wanted) > rank(caller.role) {
        return Err(ApiError {
            param: Some("role".into()),
            ..ApiError::forbidden(format!(
                "a `{}` key cannot grant role `{wanted}`",
                caller.role
            ))
        });
    }
    Ok(())
}

async fn own_key(state: &AppState, caller: &Identity, id: &str) -> Result<ApiKey, ApiError> {
    match state.store.api_keys().get(id).await? {
        Some(key) if key.user_id == caller.user_id => Ok(key),
        _ => Err(ApiError::not_found(format!("key `{id}` not found"))),
    }
}

/// GET /api/v1/keys: the caller's own keys.
pub async fn list(
    State(state): State<AppState>,
    Extension(caller): Extension<Identity>,
    QueryParams(q): QueryParams<ListQuery>,
) -> Result<Json<ListResponse<ApiKey>>, ApiError> {
    let page: Page = q.page()?;
    let paged = state
        .store
        .api_keys()
        .list(page, Some(&caller.user_id))
        .await?;
    Ok(Json(ListResponse::new(paged, page)))
}

/// POST /api/v1/keys: a new key for the caller's own user.
pub async fn create(
    State(state): State<AppState>,
    Extension(caller): Extension<Identity>,
    JsonBody(body, _): JsonBody<CreateOwnKey>,
) -> Result<(StatusCode, Json<super::admin::CreatedKey>), ApiError> {
    validate::label("name", &body.name)?;
    let role = body.role.unwrap_or(caller.role);
    check_role(&caller, role)?;
    validate::future("expires_at", body.expires_at)?;
    // A new key never escapes its creator's model restrictions or rate limits.
    let spec = keys::KeySpec {
        expires_at: body.expires_at,
        allowed_models: caller.allowed_models.clone(),
        rate_limit_rpm: caller.rate_limit_rpm,
        rate_limit_tpm: caller.rate_limit_tpm,
        ..keys::KeySpec::new(body.name, role, caller.user_id.clone())
    };
    let (key, secret) = keys::issue(&state.store, spec, keys::generate()).await?;
    Ok((
        StatusCode::CREATED,
        Json(super::admin::CreatedKey {
            key,
            secret: secret.expose().clone(),
        }),
    ))
}

/// PATCH /api/v1/keys/{id}: rename, disable, or lower the role of an own key.
pub async fn patch(
    State(state): State<AppState>,
    Extension(caller): Extension<Identity>,
    Path(id): Path<String>,
    JsonBody(body, _): JsonBody<PatchOwnKey>,
) -> Result<Json<ApiKey>, ApiError> {
    let key = own_key(&state, &caller, &id).await?;
    if let Some(role) = body.role
        && rank(role) > rank(key.role)
    {
        return Err(ApiError {
            param: Some("role".into()),
            ..ApiError::forbidden("a key's role can only be lowered here")
        });
    }
    let patch = ApiKeyPatch {
        name: body.name,
        enabled: body.enabled,
        role: body.role,
        ..ApiKeyPatch::default()
    };
    let updated = state
        .store
        .api_keys()
        .update(&id, &patch)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("key `{id}` not found")))?;
    state.auth.invalidate();
    Ok(Json(updated))
}

/// DELETE /api/v1/keys/{id}: revoke an own key.
pub async fn delete(
    State(state): State<AppState>,
    Extension(caller): Extension<Identity>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    own_key(&state, &caller, &id).await?;
    state.store.api_keys().delete(&id).await?;
    state.auth.invalidate();
    Ok(StatusCode::NO_CONTENT)
}
