//! Field checks shared by the admin handlers; each error names its field.

use crate::http::error::ApiError;

/// Provider, group and team names: `[a-z0-9_-]+`, at most 64 characters.
pub fn slug(field: &str, value: &str) -> Result<(), ApiError> {
    if value.is_empty() || value.len() > 64 {
        return Err(ApiError::field(field, "must be 1 to 64 characters"));
    }
    if !value
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
    {
        return Err(ApiError::field(
            field,
            "may contain only lowercase letters, digits, `_` and `-`",
        ));
    }
    Ok(())
}

/// Model names: non-empty, no `/` (that separates `provider/model`), no whitespace.
pub fn model_name(field: &str, value: &str) -> Result<(), ApiError> {
    if value.is_empty() || value.len() > 128 {
        return Err(ApiError::field(field, "must be 1 to 128 characters"));
    }
    if value.contains('/') || value.chars().any(char::is_whitespace) {
        return Err(ApiError::field(field, "must not contain `/` or whitespace"));
    }
    Ok(())
}

/// Free-form display names: non-empty, at most 128 characters.
pub fn label(field: &str, value: &str) -> Result<(), ApiError> {
    if value.trim().is_empty() || value.len() > 128 {
        return Err(ApiError::field(field, "must be 1 to 128 characters"));
    }
    Ok(())
}

/// An http(s) URL with a host.
pub fn http_url(field: &str, value: &str) -> Result<(), ApiError> {
    let rest = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"));
    match rest {
        Some(r) if !r.is_empty() && !r.starts_with('/') => Ok(()),
        _ => Err(ApiError::field(
            field,
            "must be an http:// or https:// URL with a host",
        )),
    }
}

/// A number within an inclusive range.
pub fn range<T: PartialOrd + std::fmt::Display>(
    field: &str,
    value: T,
    min: T,
    max: T,
) -> Result<(), ApiError> {
    if value < min || value > max {
        return Err(ApiError::field(
            field,
            format!("must be between {min} and {max}"),
        ));
    }
    Ok(())
}

/// A price: finite and not negative.
pub fn price(field: &str, value: f64) -> Result<(), ApiError> {
    if !value.is_finite() || value < 0.0 {
        return Err(ApiError::field(field, "must be a finite number ≥ 0"));
    }
    Ok(())
}

/// A Unix-milliseconds time that, when given, lies in the future.
pub fn future(field: &str, at: Option<i64>) -> Result<(), ApiError> {
    if at.is_some_and(|t| t <= switchyard_types::now_millis()) {
        return Err(ApiError::field(
            field,
            "must be in the future (Unix milliseconds)",
        ));
    }
    Ok(())
}
