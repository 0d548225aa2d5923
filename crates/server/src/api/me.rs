//! The signed-in caller's own account.

use crate::api::extract::ApiJson;
use crate::api::views::MeView;
use crate::auth::{ApiUser, SignedIn};
use crate::error::{ApiError, Problem};
use crate::state::AppState;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use domain::Locale;
use serde::Deserialize;
use utoipa::ToSchema;

/// Changes to one's own account.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMe {
    /// UI language: `en`, `id` or `zh-CN`.
    pub locale: Option<String>,
}

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/me", get(get_me).patch(update_me))
}

/// Who am I?
#[utoipa::path(get, path = "/api/v1/me", tag = "account", security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller", body = MeView),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_me(user: ApiUser<SignedIn>) -> Json<MeView> {
    Json(MeView::from(&user.principal))
}

/// Change my settings (language).
#[utoipa::path(patch, path = "/api/v1/me", tag = "account", security(("bearer" = [])), request_body = UpdateMe,
    responses(
        (status = 200, description = "Updated caller", body = MeView),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown locale", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn update_me(
    State(state): State<AppState>,
    user: ApiUser<SignedIn>,
    ApiJson(req): ApiJson<UpdateMe>,
) -> Result<Json<MeView>, ApiError> {
    let mut principal = user.principal;
    if let Some(tag) = req.locale {
        let locale = Locale::parse_exact(&tag, "locale")?;
        state.repo.set_locale(&principal.user, locale).await?;
        principal.locale = locale;
    }
    Ok(Json(MeView::from(&principal)))
}
