//! Regions, merchants and support groups.

use crate::api::extract::ApiQuery;
use crate::api::views::{GroupView, MerchantPage, MerchantView, PageParams, RegionView};
use crate::auth::{AnyStaff, ApiUser, SupportStaff};
use crate::error::{ApiError, Problem};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use domain::MerchantId;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/merchants", get(list_merchants))
        .route("/api/v1/merchants/{id}", get(get_merchant))
        .route("/api/v1/regions", get(list_regions))
        .route("/api/v1/groups", get(list_groups))
}

/// List merchants (support staff).
#[utoipa::path(get, path = "/api/v1/merchants", tag = "directory", security(("bearer" = [])), params(PageParams),
    responses(
        (status = 200, description = "A page of merchants by name", body = MerchantPage),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not support staff", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_merchants(
    State(state): State<AppState>,
    _user: ApiUser<SupportStaff>,
    ApiQuery(params): ApiQuery<PageParams>,
) -> Result<Json<MerchantPage>, ApiError> {
    let (limit, cursor) = params.parse()?;
    let page = state.repo.list_merchants(cursor.as_ref(), limit).await?;
    Ok(Json(MerchantPage {
        items: page.items.iter().map(MerchantView::from).collect(),
        next_cursor: page.next_cursor,
    }))
}

/// One merchant. Merchant staff see only their own; others answer 404.
#[utoipa::path(get, path = "/api/v1/merchants/{id}", tag = "directory", security(("bearer" = [])),
    params(("id" = String, Path, description = "Merchant id")),
    responses(
        (status = 200, description = "The merchant", body = MerchantView),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Customers may not read merchant records", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such merchant visible to the caller", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_merchant(
    State(state): State<AppState>,
    user: ApiUser<AnyStaff>,
    Path(id): Path<String>,
) -> Result<Json<MerchantView>, ApiError> {
    let id = MerchantId::parse(&id).ok_or(ApiError::NotFound)?;
    if !user.principal.may_view_merchant(&id) {
        return Err(ApiError::NotFound);
    }
    Ok(Json(MerchantView::from(&state.repo.merchant(&id).await?)))
}

/// Operating regions and their time zones (public: the help center shows them).
#[utoipa::path(get, path = "/api/v1/regions", tag = "directory",
    responses((status = 200, description = "All regions", body = Vec<RegionView>)))]
pub async fn list_regions(
    State(state): State<AppState>,
) -> Result<Json<Vec<RegionView>>, ApiError> {
    Ok(Json(
        state
            .repo
            .regions()
            .await?
            .iter()
            .map(RegionView::from)
            .collect(),
    ))
}

/// Support groups (support staff).
#[utoipa::path(get, path = "/api/v1/groups", tag = "directory", security(("bearer" = [])),
    responses(
        (status = 200, description = "All groups", body = Vec<GroupView>),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not support staff", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_groups(
    State(state): State<AppState>,
    _user: ApiUser<SupportStaff>,
) -> Result<Json<Vec<GroupView>>, ApiError> {
    Ok(Json(
        state
            .repo
            .groups()
            .await?
            .iter()
            .map(GroupView::from)
            .collect(),
    ))
}
