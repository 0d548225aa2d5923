//! Refunds under each merchant's policy: customers request, the policy answers with the
//! rule that decided, merchants (or agents within policy, supervisors beyond it) decide.

use crate::api::extract::{ApiJson, ApiQuery};
use crate::api::idempotency::{IdempotencyKey, run_once};
use crate::api::transactions::visible_transaction;
use crate::api::views::rfc3339;
use crate::auth::{AnyStaff, ApiUser, CustomerOnly, MerchantOrAdmin, SignedIn};
use crate::error::{ApiError, Problem};
use crate::i18n::Tr;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use domain::wallet::{
    PolicyRule, Refund, RefundDecision, RefundPolicy, RefundReason, RefundStatus,
};
use domain::{Limit, MerchantId, Principal, Role, ValidationError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A refund.
#[derive(Debug, Serialize, ToSchema)]
pub struct RefundView {
    /// Id.
    pub id: String,
    /// The payment.
    pub payment_id: String,
    /// The customer.
    pub customer_id: String,
    /// The merchant.
    pub merchant_id: String,
    /// Minor units.
    pub amount_minor: i64,
    /// ISO currency.
    pub currency: String,
    /// Display amount.
    pub amount_display: String,
    /// Reason code.
    pub reason: String,
    /// `requested`, `approved`, `rejected`, `succeeded`, `failed`.
    pub status: String,
    /// The rule that decided, as data.
    #[schema(value_type = Object)]
    pub rule: serde_json::Value,
    /// The rule in the caller's language.
    pub explanation: String,
    /// The merchant's or supervisor's words.
    pub decision_note: String,
    /// The refund transaction, once money moved.
    pub refund_transaction_id: Option<String>,
    /// Requested (RFC 3339).
    pub created_at: String,
    /// Last change (RFC 3339).
    pub updated_at: String,
}

/// The message key of a stored rule (`{"rule": "auto_approve_below", …}`).
pub fn rule_message(rule: &serde_json::Value, tr: &Tr) -> String {
    // A policy rule knows its own message; two decisions people make are stored beside them.
    let key = match serde_json::from_value::<PolicyRule>(rule.clone()) {
        Ok(r) => r.message_key(),
        Err(_) => match rule.get("rule").and_then(|r| r.as_str()) {
            Some("rejected_by_merchant") => "refund-rule-rejected-by-merchant",
            Some("policy_overridden") => "refund-rule-policy-overridden",
            _ => return String::new(),
        },
    };
    let days = rule
        .get("window_days")
        .and_then(|d| d.as_i64())
        .unwrap_or(0)
        .to_string();
    tr.t1(key, "days", &days)
}

impl RefundView {
    /// Renders a refund in the caller's language.
    pub fn new(r: &Refund, tr: &Tr) -> Self {
        Self {
            id: r.id.clone(),
            payment_id: r.payment_id.clone(),
            customer_id: r.customer_id.to_string(),
            merchant_id: r.merchant_id.to_string(),
            amount_minor: r.amount.minor,
            currency: r.amount.currency.code().into(),
            amount_display: r.amount.to_string(),
            reason: r.reason.as_str().into(),
            status: r.status.as_str().into(),
            rule: r.rule.clone(),
            explanation: rule_message(&r.rule, tr),
            decision_note: r.decision_note.clone(),
            refund_transaction_id: r.refund_transaction_id.clone(),
            created_at: rfc3339(r.created_at_us),
            updated_at: rfc3339(r.updated_at_us),
        }
    }
}

/// A refund request.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefundRequest {
    /// Minor units, at most what remains refundable.
    pub amount_minor: i64,
    /// `not_received`, `not_as_described`, `charged_twice`, `damaged`, `cancelled`, `changed_mind`.
    pub reason: String,
}

/// A decision on a refund.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {
    /// Approve or reject.
    pub approve: bool,
    /// Words for the customer (required to reject or to override).
    #[serde(default)]
    pub note: String,
    /// Supervisors and admins: approve against the merchant's own rules.
    #[serde(default)]
    pub override_policy: bool,
}

/// A refund policy.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyBody {
    /// Days after the payment during which refunds may be requested (0–365).
    pub window_days: u32,
    /// Whether partial refunds are allowed.
    pub partial_allowed: bool,
    /// Most refunds per payment (1–20).
    pub max_refunds_per_payment: u32,
    /// Requests below this amount (minor units) are approved automatically; 0 disables.
    pub auto_approve_below_minor: i64,
    /// Accepted reason codes.
    pub accepted_reasons: Vec<String>,
}

impl From<&RefundPolicy> for PolicyBody {
    fn from(p: &RefundPolicy) -> Self {
        Self {
            window_days: p.window_days,
            partial_allowed: p.partial_allowed,
            max_refunds_per_payment: p.max_refunds_per_payment,
            auto_approve_below_minor: p.auto_approve_below_minor,
            accepted_reasons: p
                .accepted_reasons
                .iter()
                .map(|r| r.as_str().to_owned())
                .collect(),
        }
    }
}

impl PolicyBody {
    fn parse(&self) -> Result<RefundPolicy, ValidationError> {
        let mut errors = Vec::new();
        if self.window_days > 365 {
            errors.extend(
                ValidationError::field("window_days", "out_of_range", "0 to 365 days").errors,
            );
        }
        if !(1..=20).contains(&self.max_refunds_per_payment) {
            errors.extend(
                ValidationError::field("max_refunds_per_payment", "out_of_range", "1 to 20").errors,
            );
        }
        if self.auto_approve_below_minor < 0 {
            errors.extend(
                ValidationError::field("auto_approve_below_minor", "out_of_range", "not negative")
                    .errors,
            );
        }
        let mut reasons = Vec::new();
        for r in &self.accepted_reasons {
            match RefundReason::parse(r) {
                Some(reason) if !reasons.contains(&reason) => reasons.push(reason),
                Some(_) => {}
                None => errors.extend(
                    ValidationError::field(
                        "accepted_reasons",
                        "invalid_value",
                        format!("unknown reason {r:?}"),
                    )
                    .errors,
                ),
            }
        }
        if !errors.is_empty() {
            return Err(ValidationError { errors });
        }
        Ok(RefundPolicy {
            window_days: self.window_days,
            partial_allowed: self.partial_allowed,
            max_refunds_per_payment: self.max_refunds_per_payment,
            auto_approve_below_minor: self.auto_approve_below_minor,
            accepted_reasons: reasons,
        })
    }
}

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/transactions/{id}/refunds", post(request_refund))
        .route("/api/v1/refunds/{id}/decision", post(decide_refund))
        .route(
            "/api/v1/merchants/{id}/refund-policy",
            get(get_policy).put(put_policy),
        )
        .route("/api/v1/merchants/{id}/refunds", get(merchant_refunds))
}

/// Request a refund of one of my payments. The answer says which policy rule decided.
#[utoipa::path(post, path = "/api/v1/transactions/{id}/refunds", tag = "refunds", security(("bearer" = [])), request_body = RefundRequest,
    params(("id" = String, Path, description = "Payment transaction id"), ("Idempotency-Key" = String, Header, description = "Retry key")),
    responses(
        (status = 201, description = "Decided or sent to the merchant (see status and explanation)", body = RefundView),
        (status = 404, description = "Not the caller's transaction", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not a payment", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown reason", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn request_refund(
    State(state): State<AppState>,
    user: ApiUser<CustomerOnly>,
    key: IdempotencyKey,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<RefundRequest>,
) -> Result<Response, ApiError> {
    let route = format!("POST /api/v1/transactions/{id}/refunds");
    run_once(&state, &user.principal, &key, &route, &req, || async {
        let reason = RefundReason::parse(&req.reason).ok_or_else(|| {
            ValidationError::field("reason", "invalid_value", "unknown refund reason")
        })?;
        let payment = visible_transaction(&state, &user.principal, &id).await?;
        let refund = state
            .repo
            .request_refund(&payment.id, req.amount_minor, reason, crate::now_us())
            .await?;
        tracing::info!(refund_id = %refund.id, status = refund.status.as_str(), "refund requested");
        let tr = Tr::new(state.i18n.clone(), user.principal.locale);
        Ok((StatusCode::CREATED, RefundView::new(&refund, &tr)))
    })
    .await
}

/// Who may decide: the merchant's staff, an agent within policy, a supervisor or admin
/// also against it (with a note).
pub(crate) fn decision_for(
    caller: &Principal,
    refund: &Refund,
    body: &DecisionBody,
) -> Result<RefundDecision, ApiError> {
    let by = caller.user.as_str().to_owned();
    match caller.role {
        Role::Merchant if caller.merchant_id.as_ref() != Some(&refund.merchant_id) => {
            return Err(ApiError::NotFound);
        }
        Role::Merchant | Role::Agent if body.override_policy => return Err(ApiError::Forbidden),
        Role::Agent if !body.approve => return Err(ApiError::Forbidden),
        Role::Customer => return Err(ApiError::Forbidden),
        _ => {}
    }
    let note = body.note.trim().to_owned();
    if (!body.approve || body.override_policy) && note.is_empty() {
        return Err(ValidationError::field(
            "note",
            "required",
            "give the reason for this decision",
        )
        .into());
    }
    if note.chars().count() > 1000 {
        return Err(ValidationError::field("note", "too_long", "at most 1,000 characters").into());
    }
    Ok(if body.approve {
        RefundDecision::Approve {
            by,
            note,
            override_policy: body.override_policy,
        }
    } else {
        RefundDecision::Reject { by, note }
    })
}

/// Approve or reject a refund.
#[utoipa::path(post, path = "/api/v1/refunds/{id}/decision", tag = "refunds", security(("bearer" = [])), request_body = DecisionBody,
    params(("id" = String, Path, description = "Refund id")),
    responses(
        (status = 200, description = "Decided; approved refunds are paid at once", body = RefundView),
        (status = 403, description = "Role may not decide this way", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not the caller's merchant", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already decided, or over the refundable amount", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A reason is required", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn decide_refund(
    State(state): State<AppState>,
    user: ApiUser<AnyStaff>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<DecisionBody>,
) -> Result<Json<RefundView>, ApiError> {
    uuid::Uuid::parse_str(&id).map_err(|_| ApiError::NotFound)?;
    let refund = state.repo.refund(&id).await?;
    let decision = decision_for(&user.principal, &refund, &body)?;
    let decided = state
        .repo
        .decide_refund(&id, &decision, crate::now_us())
        .await?;
    tracing::info!(refund_id = %decided.id, by = %user.principal.user.as_str(), role = user.principal.role.as_str(), status = decided.status.as_str(), override_policy = body.override_policy, "refund decided");
    let tr = Tr::new(state.i18n.clone(), user.principal.locale);
    Ok(Json(RefundView::new(&decided, &tr)))
}

fn merchant_in_scope(caller: &Principal, raw: &str) -> Result<MerchantId, ApiError> {
    let id = MerchantId::parse(raw).ok_or(ApiError::NotFound)?;
    if caller.role == Role::Merchant && caller.merchant_id.as_ref() != Some(&id) {
        return Err(ApiError::NotFound);
    }
    Ok(id)
}

/// A merchant's refund policy (anyone signed in: customers see it before asking).
#[utoipa::path(get, path = "/api/v1/merchants/{id}/refund-policy", tag = "refunds", security(("bearer" = [])),
    params(("id" = String, Path, description = "Merchant id")),
    responses(
        (status = 200, description = "The policy", body = PolicyBody),
        (status = 404, description = "No such merchant", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_policy(
    State(state): State<AppState>,
    user: ApiUser<SignedIn>,
    Path(id): Path<String>,
) -> Result<Json<PolicyBody>, ApiError> {
    let id = match user.principal.role {
        Role::Customer => MerchantId::parse(&id).ok_or(ApiError::NotFound)?,
        _ => merchant_in_scope(&user.principal, &id)?,
    };
    state.repo.merchant(&id).await?;
    Ok(Json(PolicyBody::from(
        &state.repo.refund_policy(&id).await?,
    )))
}

/// Set a merchant's refund policy (its own staff, or an admin).
#[utoipa::path(put, path = "/api/v1/merchants/{id}/refund-policy", tag = "refunds", security(("bearer" = [])), request_body = PolicyBody,
    params(("id" = String, Path, description = "Merchant id")),
    responses(
        (status = 200, description = "Saved", body = PolicyBody),
        (status = 403, description = "Not this merchant's staff or an admin", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid policy", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn put_policy(
    State(state): State<AppState>,
    user: ApiUser<MerchantOrAdmin>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<PolicyBody>,
) -> Result<Json<PolicyBody>, ApiError> {
    let id = merchant_in_scope(&user.principal, &id)?;
    let policy = body.parse()?;
    state.repo.merchant(&id).await?;
    state
        .repo
        .set_refund_policy(&id, &policy, crate::now_us())
        .await?;
    tracing::info!(merchant_id = %id, by = %user.principal.user.as_str(), "refund policy changed");
    Ok(Json(PolicyBody::from(&policy)))
}

/// Filter of a merchant's refunds.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct RefundFilter {
    /// Only this status (e.g. `requested` for the approval queue).
    pub status: Option<String>,
}

/// A merchant's refunds, newest first (at most 100).
#[utoipa::path(get, path = "/api/v1/merchants/{id}/refunds", tag = "refunds", security(("bearer" = [])),
    params(("id" = String, Path, description = "Merchant id"), RefundFilter),
    responses(
        (status = 200, description = "Refunds", body = Vec<RefundView>),
        (status = 404, description = "Not the caller's merchant", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn merchant_refunds(
    State(state): State<AppState>,
    user: ApiUser<AnyStaff>,
    Path(id): Path<String>,
    ApiQuery(f): ApiQuery<RefundFilter>,
) -> Result<Json<Vec<RefundView>>, ApiError> {
    let id = merchant_in_scope(&user.principal, &id)?;
    let status = match f.status.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => Some(RefundStatus::parse(s).ok_or_else(|| {
            ValidationError::field("status", "invalid_value", "unknown refund status")
        })?),
        None => None,
    };
    let items = state
        .repo
        .merchant_refunds(&id, status, Limit::parse(Some(100))?)
        .await?;
    let tr = Tr::new(state.i18n.clone(), user.principal.locale);
    Ok(Json(
        items.iter().map(|r| RefundView::new(r, &tr)).collect(),
    ))
}
