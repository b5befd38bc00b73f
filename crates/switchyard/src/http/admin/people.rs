//! Admin: users and teams.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use switchyard_store::{NewTeam, NewUser, TeamPatch, UserPatch};
use switchyard_types::{Role, Team, User};

use super::{ListQuery, ListResponse, nullable, validate};
use crate::app::AppState;
use crate::http::error::ApiError;
use crate::http::extract::{JsonBody, QueryParams};

/// Body of POST /users.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    pub name: String,
    pub email: Option<String>,
    pub team_id: Option<String>,
    pub role: Option<Role>,
}

/// Body of PATCH /users/{id}.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatchUser {
    pub name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub email: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub team_id: Option<Option<String>>,
    pub role: Option<Role>,
}

/// Body of POST /teams and PATCH /teams/{id}.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TeamBody {
    pub name: String,
}

fn check_email(email: Option<&str>) -> Result<(), ApiError> {
    match email {
        Some(e) if !e.contains('@') || e.len() > 254 => {
            Err(ApiError::field("email", "must be an email address"))
        }
        _ => Ok(()),
    }
}

async fn check_team(state: &AppState, team_id: Option<&str>) -> Result<(), ApiError> {
    if let Some(id) = team_id
        && state.store.teams().get(id).await?.is_none()
    {
        return Err(ApiError::field(
            "team_id",
            format!("no team with id `{id}`"),
        ));
    }
    Ok(())
}

/// GET /users
pub async fn list_users(
    State(state): State<AppState>,
    QueryParams(q): QueryParams<ListQuery>,
) -> Result<Json<ListResponse<User>>, ApiError> {
    let page = q.page()?;
    Ok(Json(ListResponse::new(
        state.store.users().list(page).await?,
        page,
    )))
}

/// POST /users
pub async fn create_user(
    State(state): State<AppState>,
    JsonBody(body, _): JsonBody<CreateUser>,
) -> Result<(StatusCode, Json<User>), ApiError> {
    validate::label("name", &body.name)?;
    check_email(body.email.as_deref())?;
    check_team(&state, body.team_id.as_deref()).await?;
    let user = state
        .store
        .users()
        .create(&NewUser {
            name: body.name,
            email: body.email,
            team_id: body.team_id,
            role: body.role.unwrap_or(Role::User),
        })
        .await?;
    Ok((StatusCode::CREATED, Json(user)))
}

/// GET /users/{id}
pub async fn get_user(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<User>, ApiError> {
    state
        .store
        .users()
        .get(&id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("user `{id}` not found")))
}

/// PATCH /users/{id}
pub async fn patch_user(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(body, _): JsonBody<PatchUser>,
) -> Result<Json<User>, ApiError> {
    if let Some(name) = &body.name {
        validate::label("name", name)?;
    }
    check_email(body.email.as_ref().and_then(|e| e.as_deref()))?;
    check_team(&state, body.team_id.as_ref().and_then(|t| t.as_deref())).await?;
    let patch = UserPatch {
        name: body.name,
        email: body.email,
        team_id: body.team_id,
        role: body.role,
    };
    let user = state
        .store
        .users()
        .update(&id, &patch)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("user `{id}` not found")))?;
    state.auth.invalidate();
    Ok(Json(user))
}

/// DELETE /users/{id}: also deletes the user's keys.
pub async fn delete_user(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    if !state.store.users().delete(&id).await? {
        return Err(ApiError::not_found(format!("user `{id}` not found")));
    }
    state.auth.invalidate();
    Ok(StatusCode::NO_CONTENT)
}

/// GET /teams
pub async fn list_teams(
    State(state): State<AppState>,
    QueryParams(q): QueryParams<ListQuery>,
) -> Result<Json<ListResponse<Team>>, ApiError> {
    let page = q.page()?;
    Ok(Json(ListResponse::new(
        state.store.teams().list(page).await?,
        page,
    )))
}

/// POST /teams
pub async fn create_team(
    State(state): State<AppState>,
    JsonBody(body, _): JsonBody<TeamBody>,
) -> Result<(StatusCode, Json<Team>), ApiError> {
    validate::slug("name", &body.name)?;
    let team = state
        .store
        .teams()
        .create(&NewTeam { name: body.name })
        .await?;
    Ok((StatusCode::CREATED, Json(team)))
}

/// GET /teams/{id}
pub async fn get_team(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Team>, ApiError> {
    state
        .store
        .teams()
        .get(&id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("team `{id}` not found")))
}

/// PATCH /teams/{id}
pub async fn patch_team(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(body, _): JsonBody<TeamBody>,
) -> Result<Json<Team>, ApiError> {
    validate::slug("name", &body.name)?;
    let team = state
        .store
        .teams()
        .update(
            &id,
            &TeamPatch {
                name: Some(body.name),
            },
        )
        .await?
        .ok_or_else(|| ApiError::not_found(format!("team `{id}` not found")))?;
    Ok(Json(team))
}

/// DELETE /teams/{id}: members stay, without a team.
pub async fn delete_team(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    if !state.store.teams().delete(&id).await? {
        return Err(ApiError::not_found(format!("team `{id}` not found")));
    }
    state.auth.invalidate();
    Ok(StatusCode::NO_CONTENT)
}
