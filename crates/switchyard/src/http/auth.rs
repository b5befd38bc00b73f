//! Authentication and role middleware. Every route except the operations routes
//! passes through [`authenticate`]; admin routes also through [`require_admin`].

use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use switchyard_core::jwt::{self, TokenUse};
use switchyard_types::{Identity, Role};

use super::error::{ApiError, Failure, Native, Surface};
use crate::app::AppState;

/// The key a request presents: `Authorization: Bearer <key>` or `x-api-key: <key>`.
fn presented_key(req: &Request) -> Option<&str> {
    let headers = req.headers();
    if let Some(v) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        let v = v.trim();
        if let Some(token) = v
            .strip_prefix("Bearer ")
            .or_else(|| v.strip_prefix("bearer "))
        {
            return Some(token.trim());
        }
    }
    headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

/// Resolve the caller's [`Identity`] or answer 401 in surface `S`'s format.
pub async fn authenticate<S: Surface>(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Result<Response, Failure<S>> {
    let Some(key) = presented_key(&req) else {
        return Err(ApiError::unauthorized(
            "missing API key: send `Authorization: Bearer <key>` or `x-api-key`",
        )
        .into());
    };
    let identity = if jwt::looks_like_jwt(key) {
        let claims = state
            .jwt
            .verify(key, TokenUse::Access)
            .map_err(|e| ApiError::unauthorized(e.to_string()))?;
        state.auth.authenticate_key_id(&claims.sub).await
    } else {
        state.auth.authenticate(key).await
    }
    .map_err(ApiError::from)?;
    let span = tracing::Span::current();
    span.record("key_id", identity.key_id.as_str());
    let limits = state
        .governor
        .check_rate(&identity)
        .await
        .map_err(ApiError::from)?;
    req.extensions_mut().insert(identity);
    let mut response = next.run(req).await;
    for (name, value) in limits.pairs() {
        if let Ok(v) = HeaderValue::from_str(&value) {
            response.headers_mut().insert(name, v);
        }
    }
    Ok(response)
}

/// Refuse (403) callers whose role is not admin.
pub async fn require_admin(req: Request, next: Next) -> Result<Response, Failure<Native>> {
    match req.extensions().get::<Identity>() {
        Some(identity) if identity.role == Role::Admin => Ok(next.run(req).await),
        Some(identity) => Err(ApiError::forbidden(format!(
            "this route needs the admin role; the key has role `{}`",
            identity.role
        ))
        .into()),
        None => Err(ApiError::unauthorized("missing API key").into()),
    }
}
