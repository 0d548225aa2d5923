//! Customer profiles: the staff directory and a customer's own profile.

use crate::api::extract::ApiQuery;
use crate::api::views::{CustomerPage, CustomerView, PageParams};
use crate::auth::{ApiUser, SignedIn, SupportStaff};
use crate::error::{ApiError, Problem};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use domain::repo::CustomerQuery;
use domain::{CustomerId, RegionId};
use serde::Deserialize;

/// Filters of the customer directory.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct CustomerFilter {
    /// Text matched against name, email and phone.
    pub q: Option<String>,
    /// Region id.
    pub region: Option<String>,
    /// Page size, 1 to 100 (default 25).
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/customers", get(list_customers))
        .route("/api/v1/customers/{id}", get(get_customer))
}

/// Search customers (support staff).
#[utoipa::path(get, path = "/api/v1/customers", tag = "customers", security(("bearer" = [])), params(CustomerFilter),
    responses(
        (status = 200, description = "A page of customers by name", body = CustomerPage),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not support staff", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad limit or cursor", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_customers(
    State(state): State<AppState>,
    _user: ApiUser<SupportStaff>,
    ApiQuery(f): ApiQuery<CustomerFilter>,
) -> Result<Json<CustomerPage>, ApiError> {
    let (limit, cursor) = PageParams {
        limit: f.limit,
        cursor: f.cursor,
    }
    .parse()?;
    let query = CustomerQuery {
        text: f
            .q
            .filter(|q| !q.trim().is_empty())
            .map(|q| q.chars().take(100).collect()),
        region_id: f
            .region
            .filter(|r| !r.is_empty())
            .map(RegionId::from_string),
    };
    let page = state
        .repo
        .list_customers(&query, cursor.as_ref(), limit)
        .await?;
    Ok(Json(CustomerPage {
        items: page.items.iter().map(CustomerView::from).collect(),
        next_cursor: page.next_cursor,
    }))
}

/// One customer. Customers may read only their own profile; to anyone else another
/// customer's id answers 404, exactly like an id that does not exist.
#[utoipa::path(get, path = "/api/v1/customers/{id}", tag = "customers", security(("bearer" = [])),
    params(("id" = String, Path, description = "Customer id")),
    responses(
        (status = 200, description = "The customer", body = CustomerView),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer visible to the caller", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_customer(
    State(state): State<AppState>,
    user: ApiUser<SignedIn>,
    Path(id): Path<String>,
) -> Result<Json<CustomerView>, ApiError> {
    let id = CustomerId::parse(&id).ok_or(ApiError::NotFound)?;
    if !user.principal.may_view_customer(&id) {
        return Err(ApiError::NotFound);
    }
    let customer = state.repo.customer(&id).await?;
    Ok(Json(CustomerView::from(&customer)))
}
