//! Coupons: a customer's coupon wallet and codes, "can I use this here?", checkout with
//! chosen coupons, the stored evaluation of a past payment, and campaigns for admins.
//!
//! Customers see their own coupons and evaluations only, and never a reason that would
//! tell whether a code they typed exists (`Evaluation::for_customer`); support staff see
//! every reason.

use crate::api::extract::ApiJson;
use crate::api::idempotency::{IdempotencyKey, run_once};
use crate::api::transactions::{TransactionView, visible_transaction};
use crate::auth::{AdminOnly, ApiUser, CustomerOnly, CustomerOrSupport, SupportStaff};
use crate::error::{ApiError, Problem};
use crate::i18n::Tr;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use domain::coupon::{
    Campaign, CampaignStatus, CampaignUsage, CheckoutRequest, Discount, Evaluation, Funder,
    HeldCoupon, LocalDate, Outcome, PaymentType, Reason, ScopeMerchant, WalletBucket, evaluate,
    normalize_code, wallet_bucket,
};
use domain::wallet::TransactionStatus;
use domain::{Currency, CustomerId, MerchantId, Money, Principal, Role, ValidationError};
use fluent_bundle::FluentArgs;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Most coupons one payment may choose.
const MAX_CHOSEN: usize = 10;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/me/coupons", get(my_coupons).post(claim_code))
        .route("/api/v1/coupons/evaluate", post(evaluate_payment))
        .route("/api/v1/checkout", post(checkout))
        .route(
            "/api/v1/transactions/{id}/coupon-evaluation",
            get(payment_evaluation),
        )
        .route("/api/v1/customers/{id}/coupons", get(customer_coupons))
        .route(
            "/api/v1/coupon-campaigns",
            get(list_campaigns).post(create_campaign),
        )
        .route(
            "/api/v1/coupon-campaigns/{id}/status",
            post(set_campaign_status),
        )
        .route("/api/v1/coupon-campaigns/{id}/coupons", post(issue_coupon))
}

// ------------------------------------------------------------------ wording

/// A date in words (`1 December 2026`, `2026年12月1日`).
pub fn date_text(tr: &Tr, d: LocalDate) -> String {
    let mut args = FluentArgs::new();
    args.set("day", i64::from(d.day));
    args.set("monthnum", i64::from(d.month));
    args.set("month", tr.t(&format!("month-{}", d.month)));
    args.set("year", i64::from(d.year));
    tr.with_args("coupon-date", &args)
}

/// A merchant category in words (`Food`), or as stored if it has no translation.
pub fn category_text(tr: &Tr, category: &str) -> String {
    let key = format!("merchant-category-{category}");
    let t = tr.t(&key);
    if t == key { category.to_owned() } else { t }
}

fn type_text(tr: &Tr, t: PaymentType) -> String {
    tr.t(&format!("coupon-type-{}", t.as_str()))
}

fn list(items: Vec<String>) -> String {
    items.join(", ")
}

/// One reason in words, with its parameters.
pub fn reason_text(tr: &Tr, r: &Reason) -> String {
    let mut args = FluentArgs::new();
    match r {
        Reason::UnknownCode { code } => args.set("code", code.clone()),
        Reason::NotYetValid { from } => args.set("date", date_text(tr, *from)),
        Reason::Expired { until } => args.set("date", date_text(tr, *until)),
        Reason::WrongCurrency { currency } => args.set("currency", currency.code()),
        Reason::MinimumSpend { minimum, short_by } => {
            args.set("minimum", minimum.to_string());
            args.set("short", short_by.to_string());
        }
        Reason::MerchantNotIncluded { merchants } if merchants.is_empty() => {
            return tr.t("coupon-reason-merchant-own");
        }
        Reason::MerchantNotIncluded { merchants } => args.set("merchants", list(merchants.clone())),
        Reason::CategoryNotIncluded { categories } => args.set(
            "categories",
            list(categories.iter().map(|c| category_text(tr, c)).collect()),
        ),
        Reason::PaymentTypeNotIncluded { types } => args.set(
            "types",
            list(types.iter().map(|t| type_text(tr, *t)).collect()),
        ),
        Reason::CustomerLimitReached { used, limit } => {
            args.set("used", i64::from(*used));
            args.set("limit", i64::from(*limit));
        }
        Reason::CampaignLimitReached { limit } => args.set("limit", i64::from(*limit)),
        Reason::CannotCombine { with, .. } => args.set("with", with.clone()),
        Reason::NotHeld
        | Reason::CodeNotValid
        | Reason::Paused
        | Reason::Ended
        | Reason::NewCustomersOnly
        | Reason::BudgetSpent => {}
    }
    tr.with_args(r.message_key(), &args)
}

fn percent_text(basis_points: u32) -> String {
    let whole = basis_points / 100;
    let frac = basis_points % 100;
    if frac == 0 {
        whole.to_string()
    } else {
        format!("{whole}.{frac:02}")
            .trim_end_matches('0')
            .to_owned()
    }
}

/// The discount in words (`IDR 10,000 off`, `20% off, at most IDR 8,000`).
pub fn discount_text(tr: &Tr, c: &Campaign) -> String {
    let mut args = FluentArgs::new();
    match c.discount {
        Discount::Fixed { amount_minor } => {
            args.set("amount", Money::new(amount_minor, c.currency).to_string());
            tr.with_args("coupon-rule-fixed", &args)
        }
        Discount::Percent {
            basis_points,
            cap_minor,
        } => {
            args.set("percent", percent_text(basis_points));
            match cap_minor {
                Some(cap) => {
                    args.set("cap", Money::new(cap, c.currency).to_string());
                    tr.with_args("coupon-rule-percent-cap", &args)
                }
                None => tr.with_args("coupon-rule-percent", &args),
            }
        }
    }
}

/// A campaign's rules in plain words, the refund rule last.
pub fn rules_text(tr: &Tr, c: &Campaign) -> Vec<String> {
    let mut out = vec![discount_text(tr, c)];
    if c.min_spend_minor > 0 {
        out.push(tr.t1(
            "coupon-rule-min-spend",
            "minimum",
            &Money::new(c.min_spend_minor, c.currency).to_string(),
        ));
    }
    let mut args = FluentArgs::new();
    args.set(
        "from",
        date_text(tr, LocalDate::of(c.valid_from_us, &c.time_zone)),
    );
    args.set(
        "until",
        date_text(tr, LocalDate::of(c.valid_until_us - 1, &c.time_zone)),
    );
    args.set("zone", c.time_zone.clone());
    out.push(tr.with_args("coupon-rule-window", &args));
    if !c.merchants.is_empty() {
        let names = c.merchants.iter().map(|m| m.name.clone()).collect();
        out.push(tr.t1("coupon-rule-merchants", "merchants", &list(names)));
    }
    if !c.categories.is_empty() {
        let names = c.categories.iter().map(|k| category_text(tr, k)).collect();
        out.push(tr.t1("coupon-rule-categories", "categories", &list(names)));
    }
    if !c.payment_types.is_empty() {
        let names = c.payment_types.iter().map(|t| type_text(tr, *t)).collect();
        out.push(tr.t1("coupon-rule-types", "types", &list(names)));
    }
    out.push(tr.t1(
        "coupon-rule-per-customer",
        "limit",
        &c.per_customer_limit.to_string(),
    ));
    if let Some(total) = c.total_limit {
        out.push(tr.t1("coupon-rule-total", "limit", &total.to_string()));
    }
    if c.budget_minor.is_some() {
        out.push(tr.t("coupon-rule-budget"));
    }
    if c.new_customers_only {
        out.push(tr.t("coupon-rule-new"));
    }
    out.push(tr.t(if c.exclusive {
        "coupon-rule-exclusive"
    } else if matches!(c.funder, Funder::Platform) {
        "coupon-rule-platform"
    } else {
        "coupon-rule-merchant-funded"
    }));
    out.push(tr.t("coupon-rule-refund"));
    out
}

// ------------------------------------------------------------------ views

/// A coupon in a wallet.
#[derive(Debug, Serialize, ToSchema)]
pub struct CouponView {
    /// Coupon id (choose it at checkout by this id).
    pub id: String,
    /// Campaign id.
    pub campaign_id: String,
    /// Campaign name.
    pub name: String,
    /// `available`, `expiring_soon`, `used` or `expired`.
    pub bucket: String,
    /// `issued` or `claimed`.
    pub source: String,
    /// The discount in words.
    pub discount_text: String,
    /// Every rule in plain words, the refund rule last.
    pub rules: Vec<String>,
    /// First valid day, in words.
    pub valid_from: String,
    /// Last valid day, in words.
    pub valid_until: String,
    /// The validity window in words (`Valid 1 December 2026 to 31 December 2026`).
    pub validity: String,
    /// Uses so far.
    pub uses: u32,
    /// Allowed uses.
    pub per_customer_limit: u32,
    /// `platform` or `merchant`.
    pub funder: String,
    /// Combines with no other coupon.
    pub exclusive: bool,
}

impl CouponView {
    /// Renders a held coupon at `now_us`.
    pub fn new(h: &HeldCoupon, tr: &Tr, now_us: i64) -> Self {
        let c = &h.campaign;
        Self {
            id: h.coupon.id.clone(),
            campaign_id: c.id.clone(),
            name: c.name.clone(),
            bucket: bucket_name(wallet_bucket(c, h.customer_uses, now_us)).into(),
            source: h.coupon.source.as_str().into(),
            discount_text: discount_text(tr, c),
            rules: rules_text(tr, c),
            valid_from: date_text(tr, LocalDate::of(c.valid_from_us, &c.time_zone)),
            valid_until: date_text(tr, LocalDate::of(c.valid_until_us - 1, &c.time_zone)),
            validity: {
                let mut args = FluentArgs::new();
                args.set(
                    "from",
                    date_text(tr, LocalDate::of(c.valid_from_us, &c.time_zone)),
                );
                args.set(
                    "until",
                    date_text(tr, LocalDate::of(c.valid_until_us - 1, &c.time_zone)),
                );
                tr.with_args("coupon-valid-range", &args)
            },
            uses: h.customer_uses,
            per_customer_limit: c.per_customer_limit,
            funder: c.funder.class().into(),
            exclusive: c.exclusive,
        }
    }
}

/// Stored name of a wallet bucket.
pub fn bucket_name(b: WalletBucket) -> &'static str {
    match b {
        WalletBucket::Available => "available",
        WalletBucket::ExpiringSoon => "expiring_soon",
        WalletBucket::Used => "used",
        WalletBucket::Expired => "expired",
    }
}

/// One failing rule.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReasonView {
    /// The typed reason with its parameters (`{"reason": "minimum_spend", ...}`).
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
    /// In words, in the caller's language.
    pub text: String,
}

/// One coupon's verdict.
#[derive(Debug, Serialize, ToSchema)]
pub struct CouponVerdictView {
    /// Coupon id, or `code:<CODE>` for a typed code.
    pub key: String,
    /// Campaign name (hidden from customers for codes that do not apply).
    pub name: Option<String>,
    /// Chosen for the payment.
    pub chosen: bool,
    /// Whether it applies.
    pub applicable: bool,
    /// Its discount, minor units (0 when it does not apply).
    pub discount_minor: i64,
    /// Its discount for display.
    pub discount_display: String,
    /// Every reason it does not apply.
    pub reasons: Vec<ReasonView>,
}

/// The evaluation of a payment.
#[derive(Debug, Serialize, ToSchema)]
pub struct EvaluationView {
    /// Amount before discounts, minor units.
    pub amount_minor: i64,
    /// ISO currency.
    pub currency: String,
    /// Discount of the chosen coupons that apply.
    pub discount_minor: i64,
    /// Of which the platform pays.
    pub platform_discount_minor: i64,
    /// Of which the merchant gives up.
    pub merchant_discount_minor: i64,
    /// What the customer pays.
    pub payable_minor: i64,
    /// What the customer pays, for display.
    pub payable_display: String,
    /// The best combination (coupon keys), proposed; the customer still chooses.
    pub best: Vec<String>,
    /// Its discount.
    pub best_discount_minor: i64,
    /// Each coupon, chosen first.
    pub coupons: Vec<CouponVerdictView>,
    /// The refund rule in words.
    pub refund_rule: String,
}

impl EvaluationView {
    /// Renders an evaluation (already narrowed for customers) for a payment of `amount`.
    pub fn new(e: &Evaluation, amount: Money, tr: &Tr) -> Self {
        Self {
            amount_minor: amount.minor,
            currency: amount.currency.code().into(),
            discount_minor: e.discount.minor,
            platform_discount_minor: e.platform_discount.minor,
            merchant_discount_minor: e.merchant_discount.minor,
            payable_minor: e.payable.minor,
            payable_display: e.payable.to_string(),
            best: e.best.clone(),
            best_discount_minor: e.best_discount.minor,
            coupons: e
                .results
                .iter()
                .map(|r| {
                    let discount = match &r.outcome {
                        Outcome::Applicable { discount } => *discount,
                        Outcome::NotApplicable { .. } => Money::new(0, amount.currency),
                    };
                    CouponVerdictView {
                        key: r.key.clone(),
                        name: r.name.clone(),
                        chosen: r.chosen,
                        applicable: r.outcome.is_applicable(),
                        discount_minor: discount.minor,
                        discount_display: discount.to_string(),
                        reasons: match &r.outcome {
                            Outcome::NotApplicable { reasons } => reasons
                                .iter()
                                .map(|x| ReasonView {
                                    detail: serde_json::to_value(x).unwrap_or_default(),
                                    text: reason_text(tr, x),
                                })
                                .collect(),
                            Outcome::Applicable { .. } => Vec::new(),
                        },
                    }
                })
                .collect(),
            refund_rule: tr.t("coupon-rule-refund"),
        }
    }
}

/// What the caller may see of an evaluation: customers the narrowed view.
pub fn visible_evaluation(caller: &Principal, e: &Evaluation) -> Evaluation {
    if caller.role == Role::Customer {
        e.for_customer()
    } else {
        e.clone()
    }
}

// ------------------------------------------------------------------ input

fn parse_amount(
    amount_minor: i64,
    currency: Option<&str>,
    errors: &mut Vec<ValidationError>,
) -> Money {
    let currency = match Currency::parse(currency.unwrap_or("IDR")) {
        Ok(c) => c,
        Err(_) => {
            errors.push(ValidationError::field(
                "currency",
                "invalid_value",
                "unknown currency",
            ));
            Currency::IDR
        }
    };
    if amount_minor <= 0 {
        errors.push(ValidationError::field(
            "amount_minor",
            "out_of_range",
            "the amount must be positive",
        ));
    }
    Money::new(amount_minor, currency)
}

fn parse_type(raw: Option<&str>, errors: &mut Vec<ValidationError>) -> PaymentType {
    match raw {
        None | Some("") => PaymentType::Qr,
        Some(t) => PaymentType::parse(t).unwrap_or_else(|| {
            errors.push(ValidationError::field(
                "payment_type",
                "invalid_value",
                "payment_type must be qr, online or bill",
            ));
            PaymentType::Qr
        }),
    }
}

fn finish(errors: Vec<ValidationError>) -> Result<(), ValidationError> {
    ValidationError::collect(errors.into_iter().map(Some))
}

/// A payment to judge coupons against.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EvaluateBody {
    /// Support staff: the customer. Customers: omitted or themselves.
    pub customer_id: Option<String>,
    /// The merchant.
    pub merchant_id: String,
    /// Amount before discounts, minor units.
    pub amount_minor: i64,
    /// ISO currency (default `IDR`).
    pub currency: Option<String>,
    /// `qr` (default), `online` or `bill`.
    pub payment_type: Option<String>,
    /// Chosen coupon ids, in order.
    #[serde(default)]
    pub coupon_ids: Vec<String>,
    /// A code to try.
    pub code: Option<String>,
}

/// A payment with chosen coupons.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckoutBody {
    /// The merchant.
    pub merchant_id: String,
    /// Amount before discounts, minor units.
    pub amount_minor: i64,
    /// ISO currency (default `IDR`).
    pub currency: Option<String>,
    /// `qr` (default), `online` or `bill`.
    pub payment_type: Option<String>,
    /// Chosen coupon ids, in order (stacking follows the order).
    #[serde(default)]
    pub coupon_ids: Vec<String>,
    /// What for.
    pub description: Option<String>,
    /// Hold this many minutes for the merchant to capture (or void) instead of paying now;
    /// the coupons stay reserved meanwhile.
    pub hold_minutes: Option<u32>,
}

/// Builds a checkout request from its parts, with every input error at once.
pub fn checkout_request(
    customer: CustomerId,
    merchant_id: &str,
    amount_minor: i64,
    currency: Option<&str>,
    payment_type: Option<&str>,
    coupon_ids: &[String],
    description: Option<&str>,
) -> Result<CheckoutRequest, ValidationError> {
    let mut errors = Vec::new();
    let amount = parse_amount(amount_minor, currency, &mut errors);
    let payment_type = parse_type(payment_type, &mut errors);
    let merchant = MerchantId::parse(merchant_id);
    if merchant.is_none() {
        errors.push(ValidationError::field(
            "merchant_id",
            "invalid_format",
            "not a merchant id",
        ));
    }
    if coupon_ids.len() > MAX_CHOSEN {
        errors.push(ValidationError::field(
            "coupon_ids",
            "too_long",
            format!("choose at most {MAX_CHOSEN} coupons"),
        ));
    }
    let chosen: Vec<String> = coupon_ids
        .iter()
        .map(|c| c.trim().to_owned())
        .filter(|c| !c.is_empty())
        .collect();
    if chosen.iter().any(|c| c.len() > 64) {
        errors.push(ValidationError::field(
            "coupon_ids",
            "invalid_format",
            "not a coupon id",
        ));
    }
    finish(errors)?;
    let description: String = description.unwrap_or("").trim().chars().take(200).collect();
    Ok(CheckoutRequest {
        customer,
        merchant: merchant.unwrap_or_default(),
        amount,
        payment_type,
        chosen,
        description: if description.is_empty() {
            "Payment".into()
        } else {
            description
        },
        hold_minutes: None,
    })
}

/// The customer whose coupons a caller may act on: customers themselves only (another
/// customer is "not found"), support staff any existing customer they name.
async fn subject(
    state: &AppState,
    caller: &Principal,
    customer_id: Option<&str>,
) -> Result<CustomerId, ApiError> {
    match (caller.customer_id(), customer_id) {
        (Some(me), None) => Ok(me.clone()),
        (Some(me), Some(id)) if me.as_str() == id => Ok(me.clone()),
        (Some(_), Some(_)) => Err(ApiError::NotFound),
        (None, None) => {
            Err(ValidationError::field("customer_id", "required", "name the customer").into())
        }
        (None, Some(id)) => {
            let id = CustomerId::parse(id).ok_or(ApiError::NotFound)?;
            state.repo.customer(&id).await?;
            Ok(id)
        }
    }
}

// ------------------------------------------------------------------ handlers

/// My coupons, newest first, each with its wallet bucket and rules in words.
#[utoipa::path(get, path = "/api/v1/me/coupons", tag = "coupons", security(("bearer" = [])),
    responses(
        (status = 200, description = "Coupons", body = Vec<CouponView>),
        (status = 403, description = "Not a customer", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn my_coupons(
    State(state): State<AppState>,
    user: ApiUser<CustomerOnly>,
) -> Result<Json<Vec<CouponView>>, ApiError> {
    let me = user.principal.customer_id().ok_or(ApiError::Forbidden)?;
    coupon_list(&state, me, &user.principal).await.map(Json)
}

async fn coupon_list(
    state: &AppState,
    customer: &CustomerId,
    caller: &Principal,
) -> Result<Vec<CouponView>, ApiError> {
    let tr = Tr::new(state.i18n.clone(), caller.locale);
    let now = crate::now_us();
    Ok(state
        .repo
        .customer_coupons(customer)
        .await?
        .iter()
        .map(|h| CouponView::new(h, &tr, now))
        .collect())
}

/// A code to claim.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClaimBody {
    /// The campaign's code.
    pub code: String,
}

/// Claim a coupon with a code. Claiming a code already held answers with that coupon. An
/// unknown code and a code that cannot be claimed get the same 404.
#[utoipa::path(post, path = "/api/v1/me/coupons", tag = "coupons", security(("bearer" = [])), request_body = ClaimBody,
    responses(
        (status = 201, description = "Claimed", body = CouponView),
        (status = 404, description = "No claimable coupon has this code", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a code", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn claim_code(
    State(state): State<AppState>,
    user: ApiUser<CustomerOnly>,
    ApiJson(body): ApiJson<ClaimBody>,
) -> Result<(StatusCode, Json<CouponView>), ApiError> {
    let me = user.principal.customer_id().ok_or(ApiError::Forbidden)?;
    let code = normalize_code(&body.code);
    if code.is_empty() || code.len() > 32 {
        return Err(ValidationError::field("code", "invalid_length", "enter a code").into());
    }
    let coupon = state.repo.claim_code(&code, me, crate::now_us()).await?;
    let list = coupon_list(&state, me, &user.principal).await?;
    let view = list
        .into_iter()
        .find(|c| c.id == coupon.id)
        .ok_or(ApiError::NotFound)?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// "Can I use this here?": judges the caller's coupons (and a typed code) against a
/// payment without paying. Customers see only reasons that do not reveal whether a code
/// exists; support staff name the customer and see every reason.
#[utoipa::path(post, path = "/api/v1/coupons/evaluate", tag = "coupons", security(("bearer" = [])), request_body = EvaluateBody,
    responses(
        (status = 200, description = "Every coupon's verdict and the best combination", body = EvaluationView),
        (status = 404, description = "No such merchant, or not the caller's customer", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid input", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn evaluate_payment(
    State(state): State<AppState>,
    user: ApiUser<CustomerOrSupport>,
    ApiJson(body): ApiJson<EvaluateBody>,
) -> Result<Json<EvaluationView>, ApiError> {
    let customer = subject(&state, &user.principal, body.customer_id.as_deref()).await?;
    let req = checkout_request(
        customer,
        &body.merchant_id,
        body.amount_minor,
        body.currency.as_deref(),
        body.payment_type.as_deref(),
        &body.coupon_ids,
        None,
    )?;
    let code = body.code.as_deref().map(normalize_code);
    if code.as_ref().is_some_and(|c| c.len() > 32) {
        return Err(
            ValidationError::field("code", "invalid_length", "at most 32 characters").into(),
        );
    }
    let input = state
        .repo
        .evaluation_input(&req, code.as_deref(), crate::now_us())
        .await?;
    let e = visible_evaluation(&user.principal, &evaluate(&input));
    let tr = Tr::new(state.i18n.clone(), user.principal.locale);
    Ok(Json(EvaluationView::new(&e, req.amount, &tr)))
}

/// A checkout's answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckoutView {
    /// The payment.
    pub transaction: TransactionView,
    /// The evaluation it was made with.
    pub evaluation: EvaluationView,
}

/// Pay a merchant with chosen coupons (Idempotency-Key required). The discount goes
/// through the ledger: a platform coupon is paid from the coupon funding account, a
/// merchant coupon lowers what the merchant receives. If a chosen coupon does not apply,
/// nothing is charged: the attempt is recorded as failed (`coupon_not_applicable`) and
/// its evaluation says why (`GET /api/v1/transactions/{id}/coupon-evaluation`).
#[utoipa::path(post, path = "/api/v1/checkout", tag = "coupons", security(("bearer" = [])), request_body = CheckoutBody,
    params(("Idempotency-Key" = String, Header, description = "Retry key")),
    responses(
        (status = 201, description = "Paid", body = CheckoutView),
        (status = 404, description = "No such merchant", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid, or refused and recorded as failed", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn checkout(
    State(state): State<AppState>,
    user: ApiUser<CustomerOnly>,
    key: IdempotencyKey,
    ApiJson(body): ApiJson<CheckoutBody>,
) -> Result<Response, ApiError> {
    run_once(
        &state,
        &user.principal,
        &key,
        "POST /api/v1/checkout",
        &body,
        || async {
            let me = user
                .principal
                .customer_id()
                .ok_or(ApiError::Forbidden)?
                .clone();
            let req = checkout_request(
                me,
                &body.merchant_id,
                body.amount_minor,
                body.currency.as_deref(),
                body.payment_type.as_deref(),
                &body.coupon_ids,
                body.description.as_deref(),
            )?;
            let req = CheckoutRequest {
                hold_minutes: body
                    .hold_minutes
                    .filter(|m| *m > 0)
                    .map(|m| m.min(60 * 24 * 30)),
                ..req
            };
            let out = state.repo.checkout(&req, crate::now_us()).await?;
            let t = &out.transaction;
            if t.status == TransactionStatus::Failed {
                return Err(ApiError::TransactionFailed {
                    reason: t.failure_reason.map_or("unknown", |r| r.as_str()),
                    reference: t.reference.clone(),
                    transaction_id: t.id.clone(),
                });
            }
            let tr = Tr::new(state.i18n.clone(), user.principal.locale);
            Ok((
                StatusCode::CREATED,
                CheckoutView {
                    transaction: TransactionView::new(t, &tr),
                    evaluation: EvaluationView::new(
                        &out.evaluation.for_customer(),
                        req.amount,
                        &tr,
                    ),
                },
            ))
        },
    )
    .await
}

/// The stored evaluation of a payment.
#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentEvaluationView {
    /// The payment.
    pub transaction_id: String,
    /// The evaluation it was made with; null for payments not made at checkout.
    pub evaluation: Option<EvaluationView>,
    /// Support staff: whether running the stored input again gives the stored answer.
    pub replay_matches: Option<bool>,
    /// Support staff: when the payment was judged (RFC 3339).
    pub judged_at: Option<String>,
}

/// The coupon evaluation of a past payment: "why wasn't my coupon applied to transaction
/// X?". Customers see their own payments only, narrowed; support staff every reason and a
/// replay check.
#[utoipa::path(get, path = "/api/v1/transactions/{id}/coupon-evaluation", tag = "coupons", security(("bearer" = [])),
    params(("id" = String, Path, description = "Payment transaction id")),
    responses(
        (status = 200, description = "The stored evaluation", body = PaymentEvaluationView),
        (status = 404, description = "No such payment of the caller's", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn payment_evaluation(
    State(state): State<AppState>,
    user: ApiUser<CustomerOrSupport>,
    Path(id): Path<String>,
) -> Result<Json<PaymentEvaluationView>, ApiError> {
    Ok(Json(
        evaluation_of(&state, &user.principal, &id, user.principal.locale).await?,
    ))
}

/// [`payment_evaluation`] for pages too.
pub async fn evaluation_of(
    state: &AppState,
    caller: &Principal,
    id: &str,
    locale: domain::Locale,
) -> Result<PaymentEvaluationView, ApiError> {
    let t = visible_transaction(state, caller, id).await?;
    let tr = Tr::new(state.i18n.clone(), locale);
    let stored = match state.repo.payment_evaluation(&t.id).await {
        Ok(s) => s,
        Err(domain::repo::RepoError::NotFound) => {
            return Ok(PaymentEvaluationView {
                transaction_id: t.id,
                evaluation: None,
                replay_matches: None,
                judged_at: None,
            });
        }
        Err(e) => return Err(e.into()),
    };
    let staff = caller.role != Role::Customer;
    Ok(PaymentEvaluationView {
        transaction_id: t.id,
        evaluation: Some(EvaluationView::new(
            &visible_evaluation(caller, &stored.evaluation),
            stored.input.context.amount,
            &tr,
        )),
        replay_matches: staff.then(|| evaluate(&stored.input) == stored.evaluation),
        judged_at: staff.then(|| crate::api::views::rfc3339(stored.input.context.at_us)),
    })
}

/// A customer's coupons, for support.
#[utoipa::path(get, path = "/api/v1/customers/{id}/coupons", tag = "coupons", security(("bearer" = [])),
    params(("id" = String, Path, description = "Customer id")),
    responses(
        (status = 200, description = "Coupons", body = Vec<CouponView>),
        (status = 404, description = "No such customer", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn customer_coupons(
    State(state): State<AppState>,
    user: ApiUser<SupportStaff>,
    Path(id): Path<String>,
) -> Result<Json<Vec<CouponView>>, ApiError> {
    let customer = subject(&state, &user.principal, Some(&id)).await?;
    coupon_list(&state, &customer, &user.principal)
        .await
        .map(Json)
}

/// A campaign with its usage.
#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignView {
    /// The campaign's rules.
    #[schema(value_type = Object)]
    pub campaign: serde_json::Value,
    /// `active`, `paused` or `ended`.
    pub status: String,
    /// The rules in words.
    pub rules: Vec<String>,
    /// Uses reserved or done.
    pub uses: u32,
    /// Discount paid or reserved, minor units.
    pub spent_minor: i64,
    /// Budget left, minor units (null: unlimited).
    pub budget_left_minor: Option<i64>,
    /// Customers holding a coupon.
    pub holders: u32,
}

impl CampaignView {
    /// Renders a campaign for admins.
    pub fn new(u: &CampaignUsage, tr: &Tr) -> Self {
        Self {
            campaign: serde_json::to_value(&u.campaign).unwrap_or_default(),
            status: u.campaign.status.as_str().into(),
            rules: rules_text(tr, &u.campaign),
            uses: u.uses,
            spent_minor: u.spent_minor,
            budget_left_minor: u.campaign.budget_minor.map(|b| b - u.spent_minor),
            holders: u.holders,
        }
    }
}

/// Every campaign with its usage and budget, newest first.
#[utoipa::path(get, path = "/api/v1/coupon-campaigns", tag = "coupons", security(("bearer" = [])),
    responses(
        (status = 200, description = "Campaigns", body = Vec<CampaignView>),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_campaigns(
    State(state): State<AppState>,
    user: ApiUser<AdminOnly>,
) -> Result<Json<Vec<CampaignView>>, ApiError> {
    let tr = Tr::new(state.i18n.clone(), user.principal.locale);
    Ok(Json(
        state
            .repo
            .campaigns()
            .await?
            .iter()
            .map(|u| CampaignView::new(u, &tr))
            .collect(),
    ))
}

/// A new campaign. Dates are local days in `time_zone`; the campaign runs from the start
/// of `valid_from` to the end of `valid_until`.
#[derive(Debug, Deserialize, Serialize, ToSchema, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct CampaignBody {
    /// Name shown to customers.
    pub name: String,
    /// `platform` (default) or `merchant`.
    pub funder: Option<String>,
    /// For merchant-funded campaigns: the merchant.
    pub funder_merchant_id: Option<String>,
    /// Fixed discount, minor units (or give `percent_basis_points`).
    pub amount_minor: Option<i64>,
    /// Percentage in basis points (2,000 = 20 %).
    pub percent_basis_points: Option<u32>,
    /// Most a percentage takes off, minor units.
    pub cap_minor: Option<i64>,
    /// ISO currency (default `IDR`).
    pub currency: Option<String>,
    /// Minimum spend, minor units.
    pub min_spend_minor: Option<i64>,
    /// First day, `YYYY-MM-DD`.
    pub valid_from: String,
    /// Last day, `YYYY-MM-DD`.
    pub valid_until: String,
    /// IANA time zone (default `Asia/Jakarta`).
    pub time_zone: Option<String>,
    /// Only at these merchants.
    #[serde(default)]
    pub merchant_ids: Vec<String>,
    /// Only at merchants of these categories.
    #[serde(default)]
    pub categories: Vec<String>,
    /// Only for these payment types (`qr`, `online`, `bill`).
    #[serde(default)]
    pub payment_types: Vec<String>,
    /// Uses per customer (default 1).
    pub per_customer_limit: Option<u32>,
    /// Uses overall.
    pub total_limit: Option<u32>,
    /// Only before a customer's first payment.
    #[serde(default)]
    pub new_customers_only: bool,
    /// Budget, minor units.
    pub budget_minor: Option<i64>,
    /// Combines with no other coupon.
    #[serde(default)]
    pub exclusive: bool,
    /// Code customers claim it with.
    pub code: Option<String>,
}

fn local_day_start(
    raw: &str,
    tz: &str,
    next_day: bool,
    field: &str,
) -> Result<i64, ValidationError> {
    let bad = || ValidationError::field(field, "invalid_format", "a date as YYYY-MM-DD");
    let date: jiff::civil::Date = raw.trim().parse().map_err(|_| bad())?;
    let date = if next_day {
        date.tomorrow().map_err(|_| bad())?
    } else {
        date
    };
    let zone = jiff::tz::TimeZone::get(tz).unwrap_or(jiff::tz::TimeZone::UTC);
    date.to_zoned_datetime(zone)
        .map(|z| z.timestamp().as_microsecond())
        .map_err(|_| bad())
}

/// Turns a campaign body into a campaign, looking up merchants; every error at once.
pub async fn parse_campaign(state: &AppState, b: &CampaignBody) -> Result<Campaign, ApiError> {
    let mut errors = Vec::new();
    let time_zone = b
        .time_zone
        .clone()
        .filter(|z| !z.trim().is_empty())
        .unwrap_or_else(|| "Asia/Jakarta".into());
    let currency = Currency::parse(b.currency.as_deref().unwrap_or("IDR")).unwrap_or_else(|_| {
        errors.push(ValidationError::field(
            "currency",
            "invalid_value",
            "unknown currency",
        ));
        Currency::IDR
    });
    let discount = match (b.amount_minor, b.percent_basis_points) {
        (Some(a), None) => Discount::Fixed { amount_minor: a },
        (None, Some(p)) => Discount::Percent {
            basis_points: p,
            cap_minor: b.cap_minor,
        },
        _ => {
            errors.push(ValidationError::field(
                "discount",
                "required",
                "give either amount_minor or percent_basis_points",
            ));
            Discount::Fixed { amount_minor: 1 }
        }
    };
    let merchant_of = |raw: &str, field: &str, errors: &mut Vec<ValidationError>| {
        let id = MerchantId::parse(raw);
        if id.is_none() {
            errors.push(ValidationError::field(
                field,
                "invalid_format",
                "not a merchant id",
            ));
        }
        id
    };
    let funder_id = match b.funder.as_deref().unwrap_or("platform") {
        "platform" => None,
        "merchant" => Some(
            b.funder_merchant_id
                .as_deref()
                .and_then(|m| merchant_of(m, "funder_merchant_id", &mut errors)),
        ),
        _ => {
            errors.push(ValidationError::field(
                "funder",
                "invalid_value",
                "funder must be platform or merchant",
            ));
            None
        }
    };
    let scope_ids: Vec<MerchantId> = b
        .merchant_ids
        .iter()
        .filter(|m| !m.trim().is_empty())
        .filter_map(|m| merchant_of(m.trim(), "merchant_ids", &mut errors))
        .collect();
    let mut funder = Funder::Platform;
    match funder_id {
        None => {}
        Some(None) => errors.push(ValidationError::field(
            "funder_merchant_id",
            "required",
            "a merchant campaign needs its merchant",
        )),
        Some(Some(id)) => match state.repo.merchant(&id).await {
            Ok(_) => funder = Funder::Merchant(id),
            Err(_) => errors.push(ValidationError::field(
                "funder_merchant_id",
                "not_found",
                "no such merchant",
            )),
        },
    }
    let mut merchants = Vec::new();
    for id in scope_ids {
        match state.repo.merchant(&id).await {
            Ok(m) => merchants.push(ScopeMerchant { id, name: m.name }),
            Err(_) => errors.push(ValidationError::field(
                "merchant_ids",
                "not_found",
                "no such merchant",
            )),
        }
    }
    let mut payment_types = Vec::new();
    for t in &b.payment_types {
        match PaymentType::parse(t) {
            Some(t) => payment_types.push(t),
            None => errors.push(ValidationError::field(
                "payment_types",
                "invalid_value",
                "qr, online or bill",
            )),
        }
    }
    let from = local_day_start(&b.valid_from, &time_zone, false, "valid_from");
    let until = local_day_start(&b.valid_until, &time_zone, true, "valid_until");
    let (from, until) = match (from, until) {
        (Ok(f), Ok(u)) => (f, u),
        (f, u) => {
            errors.extend(f.err());
            errors.extend(u.err());
            (0, 1)
        }
    };
    let campaign = Campaign {
        id: uuid::Uuid::now_v7().to_string(),
        name: b.name.trim().to_owned(),
        funder,
        discount,
        currency,
        min_spend_minor: b.min_spend_minor.unwrap_or(0),
        valid_from_us: from,
        valid_until_us: until,
        time_zone,
        merchants,
        categories: b
            .categories
            .iter()
            .map(|c| c.trim().to_lowercase())
            .filter(|c| !c.is_empty())
            .collect(),
        payment_types,
        per_customer_limit: b.per_customer_limit.unwrap_or(1),
        total_limit: b.total_limit,
        new_customers_only: b.new_customers_only,
        budget_minor: b.budget_minor,
        exclusive: b.exclusive,
        code: b
            .code
            .as_deref()
            .map(normalize_code)
            .filter(|c| !c.is_empty()),
        status: CampaignStatus::Active,
        created_at_us: crate::now_us(),
    };
    if let Err(e) = campaign.validate() {
        errors.push(e);
    }
    finish(errors)?;
    Ok(campaign)
}

/// Create a campaign (Idempotency-Key required).
#[utoipa::path(post, path = "/api/v1/coupon-campaigns", tag = "coupons", security(("bearer" = [])), request_body = CampaignBody,
    params(("Idempotency-Key" = String, Header, description = "Retry key")),
    responses(
        (status = 201, description = "Created", body = CampaignView),
        (status = 409, description = "The code is taken", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid rules", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_campaign(
    State(state): State<AppState>,
    user: ApiUser<AdminOnly>,
    key: IdempotencyKey,
    ApiJson(body): ApiJson<CampaignBody>,
) -> Result<Response, ApiError> {
    run_once(
        &state,
        &user.principal,
        &key,
        "POST /api/v1/coupon-campaigns",
        &body,
        || async {
            let campaign = parse_campaign(&state, &body).await?;
            state.repo.create_campaign(&campaign).await?;
            let usage = state.repo.campaign_usage(&campaign.id).await?;
            let tr = Tr::new(state.i18n.clone(), user.principal.locale);
            Ok((StatusCode::CREATED, CampaignView::new(&usage, &tr)))
        },
    )
    .await
}

/// A campaign's new status.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusBody {
    /// `active`, `paused` or `ended` (final).
    pub status: String,
}

/// Pause, resume or end a campaign.
#[utoipa::path(post, path = "/api/v1/coupon-campaigns/{id}/status", tag = "coupons", security(("bearer" = [])), request_body = StatusBody,
    params(("id" = String, Path, description = "Campaign id")),
    responses(
        (status = 200, description = "Changed", body = CampaignView),
        (status = 404, description = "No such campaign", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The campaign has ended", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn set_campaign_status(
    State(state): State<AppState>,
    user: ApiUser<AdminOnly>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<StatusBody>,
) -> Result<Json<CampaignView>, ApiError> {
    let status = CampaignStatus::parse(&body.status).ok_or_else(|| {
        ValidationError::field("status", "invalid_value", "active, paused or ended")
    })?;
    state.repo.set_campaign_status(&id, status).await?;
    let tr = Tr::new(state.i18n.clone(), user.principal.locale);
    Ok(Json(CampaignView::new(
        &state.repo.campaign_usage(&id).await?,
        &tr,
    )))
}

/// Whom to give a coupon.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueBody {
    /// The customer.
    pub customer_id: String,
}

/// Give a customer a coupon of a campaign.
#[utoipa::path(post, path = "/api/v1/coupon-campaigns/{id}/coupons", tag = "coupons", security(("bearer" = [])), request_body = IssueBody,
    params(("id" = String, Path, description = "Campaign id")),
    responses(
        (status = 201, description = "Issued", body = CouponView),
        (status = 404, description = "No such campaign or customer", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Held already, or the campaign has ended", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn issue_coupon(
    State(state): State<AppState>,
    user: ApiUser<AdminOnly>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<IssueBody>,
) -> Result<(StatusCode, Json<CouponView>), ApiError> {
    let customer = subject(&state, &user.principal, Some(&body.customer_id)).await?;
    let coupon = state
        .repo
        .issue_coupon(&id, &customer, crate::now_us())
        .await?;
    let list = coupon_list(&state, &customer, &user.principal).await?;
    let view = list
        .into_iter()
        .find(|c| c.id == coupon.id)
        .ok_or(ApiError::NotFound)?;
    Ok((StatusCode::CREATED, Json(view)))
}
