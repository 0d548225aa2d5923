//! Staff accounts: the staff list and account creation by admins.

use crate::api::extract::{ApiJson, ApiQuery};
use crate::api::idempotency::{IdempotencyKey, run_once};
use crate::api::views::{PageParams, StaffPage, StaffView};
use crate::auth::{AdminOnly, AnyStaff, ApiUser};
use crate::error::{ApiError, Problem};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use domain::repo::RepoError;
use domain::{DisplayName, Email, Locale, MerchantId, NewStaff, Password, Role, ValidationError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A new staff account.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateStaff {
    /// Work email; the sign-in name.
    pub email: String,
    /// Name.
    pub display_name: String,
    /// `agent`, `supervisor`, `admin` or `merchant`.
    pub role: String,
    /// Required for merchant staff, refused for others.
    pub merchant_id: Option<String>,
    /// Support group (agents and supervisors).
    pub group_id: Option<String>,
    /// UI language (default `en`).
    pub locale: Option<String>,
    /// Initial password, at least 8 characters.
    pub password: String,
}

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/staff", get(list_staff).post(create_staff))
}

/// List staff. Merchant staff see only their own merchant's colleagues.
#[utoipa::path(get, path = "/api/v1/staff", tag = "staff", security(("bearer" = [])), params(PageParams),
    responses(
        (status = 200, description = "A page of staff by name", body = StaffPage),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Customers may not list staff", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_staff(
    State(state): State<AppState>,
    user: ApiUser<AnyStaff>,
    ApiQuery(params): ApiQuery<PageParams>,
) -> Result<Json<StaffPage>, ApiError> {
    let (limit, cursor) = params.parse()?;
    let scope = match user.principal.role {
        Role::Merchant => Some(
            user.principal
                .merchant_id
                .clone()
                .ok_or(ApiError::Forbidden)?,
        ),
        _ => None,
    };
    let page = state
        .repo
        .list_staff(scope.as_ref(), cursor.as_ref(), limit)
        .await?;
    Ok(Json(StaffPage {
        items: page.items.iter().map(StaffView::from).collect(),
        next_cursor: page.next_cursor,
    }))
}

/// Create a staff account (admins). Requires an `Idempotency-Key` header.
#[utoipa::path(post, path = "/api/v1/staff", tag = "staff", security(("bearer" = [])), request_body = CreateStaff,
    params(("Idempotency-Key" = String, Header, description = "Unique key per intended creation; retries reuse it")),
    responses(
        (status = 201, description = "Created", body = StaffView),
        (status = 400, description = "Missing Idempotency-Key", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Email already used", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, or key reused with another body", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_staff(
    State(state): State<AppState>,
    user: ApiUser<AdminOnly>,
    key: IdempotencyKey,
    ApiJson(req): ApiJson<CreateStaff>,
) -> Result<Response, ApiError> {
    run_once(&state, &user.principal, &key, "POST /api/v1/staff", &req, || async {
        let (new, password) = parse_new_staff(&state, &req).await?;
        let hash = state.passwords.hash(&password).await?;
        let staff = state.repo.create_staff(&new, &hash, crate::now_us()).await?;
        tracing::info!(staff_id = %staff.id, role = staff.role.as_str(), "staff account created");
        Ok((StatusCode::CREATED, StaffView::from(&staff)))
    })
    .await
}

async fn parse_new_staff(
    state: &AppState,
    req: &CreateStaff,
) -> Result<(NewStaff, Password), ApiError> {
    let email = Email::parse(&req.email);
    let name = DisplayName::parse(&req.display_name);
    let role = Role::parse(&req.role)
        .filter(|r| *r != Role::Customer)
        .ok_or_else(|| {
            ValidationError::field(
                "role",
                "invalid_value",
                "role must be agent, supervisor, admin or merchant",
            )
        });
    let locale = match req.locale.as_deref() {
        None => Ok(Locale::En),
        Some(tag) => Locale::parse_exact(tag, "locale"),
    };
    let password = Password::new_password(&req.password);
    let merchant_id = match req.merchant_id.as_deref() {
        None => Ok(None),
        Some(raw) => match MerchantId::parse(raw) {
            Some(id) => match state.repo.merchant(&id).await {
                Ok(_) => Ok(Some(id)),
                Err(RepoError::NotFound) => Err(ValidationError::field(
                    "merchant_id",
                    "unknown",
                    "no merchant has this id",
                )),
                Err(e) => return Err(e.into()),
            },
            None => Err(ValidationError::field(
                "merchant_id",
                "unknown",
                "no merchant has this id",
            )),
        },
    };
    let group_id = match req.group_id.as_deref() {
        None => Ok(None),
        Some(raw) => {
            let groups = state.repo.groups().await?;
            groups
                .iter()
                .find(|g| g.id.as_str() == raw)
                .map(|g| Some(g.id.clone()))
                .ok_or_else(|| {
                    ValidationError::field("group_id", "unknown", "no support group has this id")
                })
        }
    };
    ValidationError::collect([
        email.as_ref().err().cloned(),
        name.as_ref().err().cloned(),
        role.as_ref().err().cloned(),
        locale.as_ref().err().cloned(),
        password.as_ref().err().cloned(),
        merchant_id.as_ref().err().cloned(),
        group_id.as_ref().err().cloned(),
    ])?;
    // Every field parsed (checked just above); unwrap them without panicking paths.
    let (
        Ok(email),
        Ok(display_name),
        Ok(role),
        Ok(locale),
        Ok(password),
        Ok(merchant_id),
        Ok(group_id),
    ) = (email, name, role, locale, password, merchant_id, group_id)
    else {
        return Err(ApiError::Unexpected(anyhow::anyhow!(
            "validation state inconsistent"
        )));
    };
    let new = NewStaff {
        email,
        display_name,
        role,
        merchant_id,
        group_id,
        locale,
    };
    new.validate()?;
    Ok((new, password))
}
