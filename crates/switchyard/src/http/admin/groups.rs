//! Admin: groups. Members must name existing models; fallback groups must exist.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use switchyard_store::{GroupPatch, NewGroup};
use switchyard_types::{Group, GroupMember, GroupStrategy};

use super::{ListQuery, ListResponse, validate};
use crate::app::AppState;
use crate::http::error::ApiError;
use crate::http::extract::{JsonBody, QueryParams};

/// Body of POST /groups.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateGroup {
    pub name: String,
    pub strategy: Option<GroupStrategy>,
    pub members: Vec<GroupMember>,
    pub fallback_groups: Option<Vec<String>>,
    pub max_attempts: Option<u32>,
    pub enabled: Option<bool>,
}

/// Body of PATCH /groups/{id}; `members` replaces the whole list.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatchGroup {
    pub name: Option<String>,
    pub strategy: Option<GroupStrategy>,
    pub members: Option<Vec<GroupMember>>,
    pub fallback_groups: Option<Vec<String>>,
    pub max_attempts: Option<u32>,
    pub enabled: Option<bool>,
}

fn check_members(state: &AppState, members: &[GroupMember]) -> Result<(), ApiError> {
    if members.is_empty() {
        return Err(ApiError::field(
            "members",
            "a group needs at least one member",
        ));
    }
    let snapshot = state.registry.snapshot();
    let mut seen = std::collections::HashSet::new();
    for (i, m) in members.iter().enumerate() {
        if snapshot.models_named(&m.model).is_empty() {
            return Err(ApiError::field(
                format!("members[{i}].model"),
                format!("no model named `{}`", m.model),
            ));
        }
        if !seen.insert(m.model.as_str()) {
            return Err(ApiError::field(
                format!("members[{i}].model"),
                "listed twice",
            ));
        }
        validate::range(&format!("members[{i}].weight"), m.weight, 1, 1_000_000)?;
    }
    Ok(())
}

fn check_name(state: &AppState, name: &str) -> Result<(), ApiError> {
    validate::slug("name", name)?;
    if !state.registry.snapshot().models_named(name).is_empty() {
        return Err(ApiError::field(
            "name",
            format!("`{name}` is already a model name"),
        ));
    }
    Ok(())
}

fn check_fallbacks(state: &AppState, own: &str, fallbacks: &[String]) -> Result<(), ApiError> {
    let snapshot = state.registry.snapshot();
    for (i, f) in fallbacks.iter().enumerate() {
        if f == own {
            return Err(ApiError::field(
                format!("fallback_groups[{i}]"),
                "a group cannot fall back to itself",
            ));
        }
        if !snapshot.groups.contains_key(f) {
            return Err(ApiError::field(
                format!("fallback_groups[{i}]"),
                format!("no group named `{f}`"),
            ));
        }
    }
    Ok(())
}

/// GET /groups
pub async fn list(
    State(state): State<AppState>,
    QueryParams(q): QueryParams<ListQuery>,
) -> Result<Json<ListResponse<Group>>, ApiError> {
    let page = q.page()?;
    let paged = state.store.groups().list(page).await?;
    Ok(Json(ListResponse::new(paged, page)))
}

/// POST /groups
pub async fn create(
    State(state): State<AppState>,
    JsonBody(body, _): JsonBody<CreateGroup>,
) -> Result<(StatusCode, Json<Group>), ApiError> {
    check_name(&state, &body.name)?;
    check_members(&state, &body.members)?;
    let fallback_groups = body.fallback_groups.unwrap_or_default();
    check_fallbacks(&state, &body.name, &fallback_groups)?;
    let max_attempts = body.max_attempts.unwrap_or(3);
    validate::range("max_attempts", max_attempts, 1, 10)?;
    let group = state
        .store
        .groups()
        .create(&NewGroup {
            name: body.name,
            strategy: body.strategy.unwrap_or(GroupStrategy::Priority),
            members: body.members,
            fallback_groups,
            max_attempts,
            enabled: body.enabled.unwrap_or(true),
        })
        .await?;
    state.registry_changed().await?;
    Ok((StatusCode::CREATED, Json(group)))
}

/// GET /groups/{id}
pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Group>, ApiError> {
    state
        .store
        .groups()
        .get(&id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("group `{id}` not found")))
}

/// PATCH /groups/{id}
pub async fn patch(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(body, _): JsonBody<PatchGroup>,
) -> Result<Json<Group>, ApiError> {
    let current = state
        .store
        .groups()
        .get(&id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("group `{id}` not found")))?;
    if let Some(name) = &body.name {
        check_name(&state, name)?;
    }
    if let Some(members) = &body.members {
        check_members(&state, members)?;
    }
    if let Some(fallbacks) = &body.fallback_groups {
        check_fallbacks(
            &state,
            body.name.as_deref().unwrap_or(&current.name),
            fallbacks,
        )?;
    }
    if let Some(n) = body.max_attempts {
        validate::range("max_attempts", n, 1, 10)?;
    }
    let patch = GroupPatch {
        name: body.name,
        strategy: body.strategy,
        members: body.members,
        fallback_groups: body.fallback_groups,
        max_attempts: body.max_attempts,
        enabled: body.enabled,
    };
    let group = state
        .store
        .groups()
        .update(&id, &patch)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("group `{id}` not found")))?;
    state.registry_changed().await?;
    Ok(Json(group))
}

/// DELETE /groups/{id}
pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    if !state.store.groups().delete(&id).await? {
        return Err(ApiError::not_found(format!("group `{id}` not found")));
    }
    state.registry_changed().await?;
    Ok(StatusCode::NO_CONTENT)
}
