//! `GET /api/v1/ai/media/{id}`: a stored media file (an image or video that a provider
//! returned as bytes), streamed to its owner or an admin; 404 for anyone else.

use axum::Extension;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::Response;
use switchyard_core::media::MediaError;
use switchyard_types::Identity;

use super::super::error::ApiError;
use crate::app::AppState;

/// GET /api/v1/ai/media/{id}
pub async fn media(
    State(state): State<AppState>,
    Extension(identity): Extension<Identity>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let (file, path) = state
        .media
        .open(&id, &identity)
        .await
        .map_err(|e| match e {
            MediaError::NotFound(_) => ApiError::not_found(e.to_string()),
            other => ApiError::internal(other),
        })?;
    let opened = tokio::fs::File::open(&path)
        .await
        .map_err(ApiError::internal)?;
    let mut response = Response::new(Body::from_stream(tokio_util::io::ReaderStream::new(opened)));
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&file.media_type) {
        headers.insert(header::CONTENT_TYPE, v);
    }
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(file.size_bytes));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=3600"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("inline; filename=\"{}\"", file.file_name)) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}
