//! The administration API (role admin): CRUD for providers, models, groups, keys,
//! users and teams. Writes that change routing rebuild the registry before answering.

mod groups;
mod keys;
pub use keys::CreatedKey;
mod models;
mod people;
mod providers;
mod quotas;
pub mod usage;
pub(crate) mod validate;

use axum::Router;
use axum::routing::get;
use serde::{Deserialize, Deserializer, Serialize};
use switchyard_store::{Page, Paged};

use super::error::ApiError;
use crate::app::AppState;

/// The admin routes, relative to `/api/v1/admin`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/usage", get(usage::report))
        .route("/usage/export", get(usage::export))
        .route("/providers", get(providers::list).post(providers::create))
        .route(
            "/providers/{id}",
            get(providers::get)
                .patch(providers::patch)
                .delete(providers::delete),
        )
        .route("/models", get(models::list).post(models::create))
        .route(
            "/models/{id}",
            get(models::get).patch(models::patch).delete(models::delete),
        )
        .route("/groups", get(groups::list).post(groups::create))
        .route(
            "/groups/{id}",
            get(groups::get).patch(groups::patch).delete(groups::delete),
        )
        .route("/keys", get(keys::list).post(keys::create))
        .route(
            "/keys/{id}",
            get(keys::get).patch(keys::patch).delete(keys::delete),
        )
        .route("/users", get(people::list_users).post(people::create_user))
        .route(
            "/users/{id}",
            get(people::get_user)
                .patch(people::patch_user)
                .delete(people::delete_user),
        )
        .route("/quotas", get(quotas::list).post(quotas::create))
        .route(
            "/quotas/{id}",
            get(quotas::get).patch(quotas::patch).delete(quotas::delete),
        )
        .route("/teams", get(people::list_teams).post(people::create_team))
        .route(
            "/teams/{id}",
            get(people::get_team)
                .patch(people::patch_team)
                .delete(people::delete_team),
        )
}

/// `?limit=&offset=` of list routes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    pub limit: Option<u32>,
    pub offset: Option<u32>,
}

/// Most items a list page returns.
const MAX_PAGE: u32 = 500;

impl ListQuery {
    /// Validate into a store page (default 50 items).
    pub fn page(&self) -> Result<Page, ApiError> {
        let limit = self.limit.unwrap_or(50);
        if limit == 0 || limit > MAX_PAGE {
            return Err(ApiError::field(
                "limit",
                format!("must be between 1 and {MAX_PAGE}"),
            ));
        }
        Ok(Page {
            limit,
            offset: self.offset.unwrap_or(0),
        })
    }
}

/// A page of items with where it sits in the whole list.
#[derive(Debug, Serialize)]
pub struct ListResponse<T> {
    pub data: Vec<T>,
    pub pagination: Pagination,
}

/// Position of a page.
#[derive(Debug, Serialize)]
pub struct Pagination {
    pub limit: u32,
    pub offset: u32,
    pub total: u64,
}

impl<T> ListResponse<T> {
    /// Wrap a store page.
    pub fn new(paged: Paged<T>, page: Page) -> Self {
        Self {
            data: paged.items,
            pagination: Pagination {
                limit: page.limit,
                offset: page.offset,
                total: paged.total,
            },
        }
    }
}

/// Deserialize a field that may be absent (`None`), `null` (`Some(None)`) or set.
pub fn nullable<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}
