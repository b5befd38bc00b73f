//! Request extractors whose rejections are clear 4xx errors in the surface's format,
//! naming the offending field (JSON path) where there is one.

use std::marker::PhantomData;
use switchyard_types::ErrorCode;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;

use super::error::{ApiError, Failure, Native, Surface};

/// A JSON body, deserialized with the path of any bad field reported.
pub struct JsonBody<T, S = Native>(pub T, pub PhantomData<S>);

/// Parse a JSON document, naming the path of the first bad field.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            ApiError::new(
                ErrorCode::InvalidJson,
                format!("request body is not valid JSON: {inner}"),
            )
        } else {
            let message = inner.to_string();
            // serde reports missing and unknown fields at their parent; name the field itself.
            let named = ["missing field `", "unknown field `"]
                .iter()
                .find_map(|p| message.strip_prefix(p))
                .and_then(|rest| rest.split('`').next());
            let field = match (named, path.as_str()) {
                (Some(name), ".") => name.to_string(),
                // Unknown fields are reported at their own path already.
                (Some(name), here) if here == name || here.ends_with(&format!(".{name}")) => {
                    here.to_string()
                }
                (Some(name), parent) => format!("{parent}.{name}"),
                (None, ".") => {
                    return ApiError::new(ErrorCode::InvalidBody, message);
                }
                (None, _) => path,
            };
            let message = message
                .split(" at line ")
                .next()
                .unwrap_or(&message)
                .to_string();
            ApiError::field(field, message)
        }
    })
}

impl<T, S, St> FromRequest<St> for JsonBody<T, S>
where
    T: DeserializeOwned,
    S: Surface,
    St: Send + Sync,
{
    type Rejection = Failure<S>;

    async fn from_request(req: Request, state: &St) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                let mime = v.split(';').next().unwrap_or("").trim();
                mime.eq_ignore_ascii_case("application/json") || mime.ends_with("+json")
            });
        if !is_json {
            return Err(ApiError::new(
                ErrorCode::UnsupportedMediaType,
                "content-type must be application/json",
            )
            .at("content-type")
            .into());
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(
                    ErrorCode::BodyTooLarge,
                    "request body exceeds the size limit",
                )
            } else {
                ApiError::new(ErrorCode::InvalidBody, e.body_text())
            }
        })?;
        Ok(JsonBody(parse_json(&bytes)?, PhantomData))
    }
}

/// Query parameters with clear errors naming the bad parameter.
pub struct QueryParams<T>(pub T);

impl<T, St> FromRequestParts<St> for QueryParams<T>
where
    T: DeserializeOwned,
    St: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &St) -> Result<Self, Self::Rejection> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(v)| QueryParams(v))
            .map_err(|e| ApiError::new(ErrorCode::InvalidQuery, e.body_text()))
    }
}
