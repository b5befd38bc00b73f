//! `POST /api/v1/auth/token` (an API key for an access + refresh pair) and
//! `POST /api/v1/auth/refresh` (a refresh token for a new pair). Public routes: they
//! authenticate with what they are given.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use switchyard_core::jwt::{TokenPair, TokenUse};

use super::error::ApiError;
use super::extract::JsonBody;
use crate::app::AppState;

/// Body of POST /api/v1/auth/token.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    pub api_key: String,
}

/// Body of POST /api/v1/auth/refresh.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

/// POST /api/v1/auth/token
pub async fn token(
    State(state): State<AppState>,
    JsonBody(body, _): JsonBody<TokenRequest>,
) -> Result<Json<TokenPair>, ApiError> {
    let identity = state.auth.authenticate(body.api_key.trim()).await?;
    let pair = state
        .jwt
        .issue(&identity.key_id, &identity.user_id, identity.role)
        .map_err(ApiError::internal)?;
    Ok(Json(pair))
}

/// POST /api/v1/auth/refresh
pub async fn refresh(
    State(state): State<AppState>,
    JsonBody(body, _): JsonBody<RefreshRequest>,
) -> Result<Json<TokenPair>, ApiError> {
    let claims = state
        .jwt
        .verify(body.refresh_token.trim(), TokenUse::Refresh)
        .map_err(|e| ApiError::unauthorized(e.to_string()))?;
    // The key must still be valid; its current role is what the new tokens carry.
    let identity = state.auth.authenticate_key_id(&claims.sub).await?;
    let pair = state
        .jwt
        .issue(&identity.key_id, &identity.user_id, identity.role)
        .map_err(ApiError::internal)?;
    Ok(Json(pair))
}
