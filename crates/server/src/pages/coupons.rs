//! Coupon pages. Customers: the coupon wallet (available, expiring soon, used, expired),
//! a coupon's rules in plain words with "can I use this here?", and the checkout that
//! pays a merchant with coupons chosen by hand (each coupon's verdict and reasons shown
//! before paying). Agents: a customer's coupons and the exact stored evaluation of a past
//! payment. Admins: campaigns with usage and budget; create, pause, resume, end.
//! Every action is an ordinary form, so the pages work without JavaScript.

use super::wallet::{local_time, parse_rupiah};
use super::{Chrome, PageUser, csrf_ok, error_page, render, same_origin, url_encode};
use crate::api::coupons::{
    CampaignBody, CampaignView, CouponView, EvaluationView, checkout_request, date_text,
    evaluation_of, parse_campaign, visible_evaluation,
};
use crate::auth::{Access, AdminOnly, CustomerOnly, SupportStaff};
use crate::error::ApiError;
use crate::i18n::Tr;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use domain::coupon::{CampaignStatus, LocalDate, PaymentType, evaluate};
use domain::repo::{IdempotencyState, RepoError};
use domain::wallet::{TransactionKind, TransactionQuery, TransactionStatus};
use domain::{Currency, CustomerId, Limit, Money, Principal};

/// Merchants offered in the checkout's list.
const MERCHANT_CHOICES: i64 = 100;
/// Payments listed on an agent's coupon page.
const RECENT_PAYMENTS: i64 = 20;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/coupons", get(wallet))
        .route("/coupons/claim", post(claim))
        .route("/coupons/{id}", get(coupon))
        .route("/pay", get(pay_page).post(pay))
        .route("/staff/customers/{id}/coupons", get(staff_customer))
        .route("/staff/tx/{id}/coupons", get(staff_evaluation))
        .route("/staff/coupons", get(campaigns).post(create_campaign))
        .route("/staff/coupons/{id}/status", post(campaign_status))
}

type Pairs = Vec<(String, String)>;

fn first<'a>(pairs: &'a Pairs, key: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map_or("", |(_, v)| v.as_str())
}

fn all(pairs: &Pairs, key: &str) -> Vec<String> {
    pairs
        .iter()
        .filter(|(k, v)| k == key && !v.trim().is_empty())
        .map(|(_, v)| v.trim().to_owned())
        .collect()
}

fn form_ok<P: Access>(user: &PageUser<P>, headers: &HeaderMap, pairs: &Pairs) -> bool {
    same_origin(headers)
        && user
            .ctx
            .auth
            .as_ref()
            .is_some_and(|a| csrf_ok(a, first(pairs, "csrf")))
}

/// The caller speaking the page's language.
fn in_page_language<P: Access>(user: &PageUser<P>) -> Principal {
    let mut p = user.principal.clone();
    p.locale = user.ctx.tr.locale;
    p
}

fn me<P: Access>(user: &PageUser<P>) -> Result<CustomerId, ApiError> {
    user.principal
        .customer_id()
        .cloned()
        .ok_or(ApiError::Forbidden)
}

/// One coupon's verdict as a row.
pub struct VerdictRow {
    /// Coupon id or `code:…`.
    pub key: String,
    /// Campaign name, or the "code" label.
    pub name: String,
    /// Chosen.
    pub chosen: bool,
    /// Applies.
    pub applicable: bool,
    /// Discount for display.
    pub discount: String,
    /// Every reason, in words.
    pub reasons: Vec<String>,
    /// Part of the best combination.
    pub in_best: bool,
}

fn rows_of(view: &EvaluationView, tr: &Tr) -> Vec<VerdictRow> {
    view.coupons
        .iter()
        .map(|c| VerdictRow {
            key: c.key.clone(),
            name: c.name.clone().unwrap_or_else(|| tr.t("coupon-code-typed")),
            chosen: c.chosen,
            applicable: c.applicable,
            discount: c.discount_display.clone(),
            reasons: c.reasons.iter().map(|r| r.text.clone()).collect(),
            in_best: view.best.contains(&c.key),
        })
        .collect()
}

fn bucket_key(bucket: &str) -> String {
    format!("coupon-bucket-{}", bucket.replace('_', "-"))
}

// ------------------------------------------------------------------ wallet

/// A bucket of the wallet.
pub struct Section {
    /// `available`, …
    pub bucket: &'static str,
    /// Translated title.
    pub title: String,
    /// Its coupons.
    pub coupons: Vec<CouponView>,
}

#[derive(Template)]
#[template(path = "coupons_wallet.html")]
struct WalletPage {
    chrome: Chrome,
    sections: Vec<Section>,
    code: String,
    error: String,
    claimed: bool,
}

#[derive(serde::Deserialize, Default)]
struct WalletQuery {
    claimed: Option<String>,
}

async fn wallet_response(
    state: &AppState,
    user: &PageUser<CustomerOnly>,
    code: String,
    error: String,
    claimed: bool,
) -> Response {
    let locale = user.ctx.tr.locale;
    let tr = &user.ctx.tr;
    let loaded = async {
        let me = me(user)?;
        let now = crate::now_us();
        let held = state.repo.customer_coupons(&me).await?;
        Ok::<_, ApiError>(
            held.iter()
                .map(|h| CouponView::new(h, tr, now))
                .collect::<Vec<_>>(),
        )
    };
    match loaded.await {
        Ok(coupons) => {
            let sections = ["available", "expiring_soon", "used", "expired"]
                .into_iter()
                .map(|bucket| Section {
                    bucket,
                    title: tr.t(&bucket_key(bucket)),
                    coupons: coupons
                        .iter()
                        .filter(|c| c.bucket == bucket)
                        .map(|c| CouponView {
                            rules: Vec::new(),
                            ..clone_view(c)
                        })
                        .collect(),
                })
                .collect();
            let page = WalletPage {
                chrome: user.ctx.chrome(),
                sections,
                code,
                error,
                claimed,
            };
            render(state, locale, &page)
        }
        Err(e) => error_page(state, locale, &e),
    }
}

fn clone_view(c: &CouponView) -> CouponView {
    CouponView {
        id: c.id.clone(),
        campaign_id: c.campaign_id.clone(),
        name: c.name.clone(),
        bucket: c.bucket.clone(),
        source: c.source.clone(),
        discount_text: c.discount_text.clone(),
        rules: c.rules.clone(),
        valid_from: c.valid_from.clone(),
        valid_until: c.valid_until.clone(),
        validity: c.validity.clone(),
        uses: c.uses,
        per_customer_limit: c.per_customer_limit,
        funder: c.funder.clone(),
        exclusive: c.exclusive,
    }
}

async fn wallet(
    State(state): State<AppState>,
    user: PageUser<CustomerOnly>,
    Query(q): Query<WalletQuery>,
) -> Response {
    wallet_response(
        &state,
        &user,
        String::new(),
        String::new(),
        q.claimed.is_some(),
    )
    .await
}

async fn claim(
    State(state): State<AppState>,
    user: PageUser<CustomerOnly>,
    headers: HeaderMap,
    Form(pairs): Form<Pairs>,
) -> Response {
    let locale = user.ctx.tr.locale;
    if !form_ok(&user, &headers, &pairs) {
        return error_page(&state, locale, &ApiError::Forbidden);
    }
    let code = first(&pairs, "code").trim().to_owned();
    let me = match me(&user) {
        Ok(m) => m,
        Err(e) => return error_page(&state, locale, &e),
    };
    if code.is_empty() || code.len() > 32 {
        let error = user.ctx.tr.t("coupon-claim-error");
        let mut resp = wallet_response(&state, &user, code, error, false).await;
        *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        return resp;
    }
    match state.repo.claim_code(&code, &me, crate::now_us()).await {
        Ok(_) => Redirect::to("/coupons?claimed=1").into_response(),
        // An unknown code and one that cannot be claimed read the same.
        Err(RepoError::NotFound) => {
            let error = user.ctx.tr.t("coupon-claim-error");
            let mut resp = wallet_response(&state, &user, code, error, false).await;
            *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            resp
        }
        Err(e) => error_page(&state, locale, &e.into()),
    }
}

// ------------------------------------------------------------------ one coupon

/// A merchant in a list.
pub struct MerchantChoice {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Selected.
    pub selected: bool,
}

async fn merchant_choices(
    state: &AppState,
    selected: &str,
) -> Result<Vec<MerchantChoice>, ApiError> {
    let page = state
        .repo
        .list_merchants(None, Limit::parse(Some(MERCHANT_CHOICES))?)
        .await?;
    Ok(page
        .items
        .into_iter()
        .map(|m| MerchantChoice {
            selected: m.id.as_str() == selected,
            id: m.id.to_string(),
            name: m.name,
        })
        .collect())
}

#[derive(Template)]
#[template(path = "coupon_detail.html")]
struct CouponPage {
    chrome: Chrome,
    coupon: CouponView,
    merchants: Vec<MerchantChoice>,
    amount: String,
    verdict: Option<VerdictRow>,
    error: String,
}

async fn coupon(
    State(state): State<AppState>,
    user: PageUser<CustomerOnly>,
    Path(id): Path<String>,
    Query(pairs): Query<Pairs>,
) -> Response {
    let locale = user.ctx.tr.locale;
    let tr = &user.ctx.tr;
    let merchant = first(&pairs, "merchant").to_owned();
    let amount = first(&pairs, "amount").trim().to_owned();
    let loaded = async {
        let me = me(&user)?;
        let held = state.repo.customer_coupons(&me).await?;
        // Only the customer's own coupons have a page; anything else is not found.
        let h = held
            .iter()
            .find(|h| h.coupon.id == id)
            .ok_or(ApiError::NotFound)?;
        let view = CouponView::new(h, tr, crate::now_us());
        let mut verdict = None;
        let mut error = String::new();
        if !merchant.is_empty() || !amount.is_empty() {
            match parse_rupiah(&amount).filter(|a| *a > 0) {
                None => error = tr.t("coupon-error-amount"),
                Some(minor) => {
                    let req = checkout_request(
                        me.clone(),
                        &merchant,
                        minor,
                        None,
                        None,
                        std::slice::from_ref(&id),
                        None,
                    );
                    match req {
                        Err(_) => error = tr.t("coupon-error-merchant"),
                        Ok(req) => match state
                            .repo
                            .evaluation_input(&req, None, crate::now_us())
                            .await
                        {
                            Ok(input) => {
                                let e =
                                    visible_evaluation(&in_page_language(&user), &evaluate(&input));
                                let v = EvaluationView::new(&e, req.amount, tr);
                                verdict = rows_of(&v, tr).into_iter().find(|r| r.key == id);
                            }
                            Err(RepoError::NotFound) => error = tr.t("coupon-error-merchant"),
                            Err(e) => return Err(e.into()),
                        },
                    }
                }
            }
        }
        Ok::<_, ApiError>((view, verdict, error))
    };
    match loaded.await {
        Ok((coupon, verdict, error)) => {
            let merchants = match merchant_choices(&state, &merchant).await {
                Ok(m) => m,
                Err(e) => return error_page(&state, locale, &e),
            };
            let status = if error.is_empty() {
                StatusCode::OK
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            let page = CouponPage {
                chrome: user.ctx.chrome(),
                coupon,
                merchants,
                amount,
                verdict,
                error,
            };
            let mut resp = render(&state, locale, &page);
            *resp.status_mut() = status;
            resp
        }
        Err(e) => error_page(&state, locale, &e),
    }
}

// ------------------------------------------------------------------ checkout

/// A payment type in a list.
pub struct TypeChoice {
    /// Code.
    pub code: &'static str,
    /// Label.
    pub label: String,
    /// Selected.
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "coupon_pay.html")]
struct PayPage {
    chrome: Chrome,
    merchants: Vec<MerchantChoice>,
    types: Vec<TypeChoice>,
    merchant: String,
    amount: String,
    payment_type: String,
    description: String,
    checked: bool,
    rows: Vec<VerdictRow>,
    chosen: Vec<String>,
    discount: String,
    payable: String,
    best_discount: String,
    best_href: String,
    can_pay: bool,
    error: String,
    failure: String,
    failure_reference: String,
    /// A new key each time the form is drawn: a second submit of the same form (a double
    /// click, a reload) finds the first payment instead of paying again.
    pay_key: String,
}

fn type_choices(tr: &Tr, selected: &str) -> Vec<TypeChoice> {
    PaymentType::ALL
        .iter()
        .map(|t| TypeChoice {
            code: t.as_str(),
            label: tr.t(&format!("coupon-type-{}", t.as_str())),
            selected: t.as_str() == selected,
        })
        .collect()
}

async fn pay_response(
    state: &AppState,
    user: &PageUser<CustomerOnly>,
    pairs: &Pairs,
    failure: (String, String),
) -> Response {
    let locale = user.ctx.tr.locale;
    let tr = &user.ctx.tr;
    let merchant = first(pairs, "merchant").to_owned();
    let amount = first(pairs, "amount").trim().to_owned();
    let mut payment_type = first(pairs, "type").to_owned();
    if PaymentType::parse(&payment_type).is_none() {
        payment_type = "qr".into();
    }
    let description = first(pairs, "description").chars().take(200).collect();
    let chosen = all(pairs, "coupon");
    let mut page = PayPage {
        pay_key: crate::auth::random_token(),
        chrome: user.ctx.chrome(),
        merchants: Vec::new(),
        types: type_choices(tr, &payment_type),
        merchant: merchant.clone(),
        amount: amount.clone(),
        payment_type: payment_type.clone(),
        description,
        checked: false,
        rows: Vec::new(),
        chosen: chosen.clone(),
        discount: String::new(),
        payable: String::new(),
        best_discount: String::new(),
        best_href: String::new(),
        can_pay: false,
        error: String::new(),
        failure: failure.0,
        failure_reference: failure.1,
    };
    page.merchants = match merchant_choices(state, &merchant).await {
        Ok(m) => m,
        Err(e) => return error_page(state, locale, &e),
    };
    let mut status = StatusCode::OK;
    if !merchant.is_empty() || !amount.is_empty() {
        let me = match me(user) {
            Ok(m) => m,
            Err(e) => return error_page(state, locale, &e),
        };
        match parse_rupiah(&amount).filter(|a| *a > 0) {
            None => {
                page.error = tr.t("coupon-error-amount");
                status = StatusCode::UNPROCESSABLE_ENTITY;
            }
            Some(minor) => {
                let req = checkout_request(
                    me,
                    &merchant,
                    minor,
                    None,
                    Some(&payment_type),
                    &chosen,
                    None,
                );
                let input = match req {
                    Err(_) => Err(RepoError::NotFound),
                    Ok(ref r) => state.repo.evaluation_input(r, None, crate::now_us()).await,
                };
                match (req, input) {
                    (Ok(req), Ok(input)) => {
                        let e = visible_evaluation(&in_page_language(user), &evaluate(&input));
                        let v = EvaluationView::new(&e, req.amount, tr);
                        page.checked = true;
                        page.rows = rows_of(&v, tr);
                        // Chosen first, then those that apply; each group keeps its order.
                        page.rows.sort_by_key(|r| (!r.chosen, !r.applicable));
                        page.discount = e.discount.to_string();
                        page.payable = e.payable.to_string();
                        page.can_pay = page.rows.iter().all(|r| !r.chosen || r.applicable);
                        if e.best_discount.minor > e.discount.minor {
                            page.best_discount = e.best_discount.to_string();
                            let mut href = format!(
                                "/pay?merchant={}&amount={}&type={}",
                                url_encode(&merchant),
                                url_encode(&amount),
                                url_encode(&payment_type)
                            );
                            for k in &e.best {
                                href.push_str(&format!("&coupon={}", url_encode(k)));
                            }
                            page.best_href = href;
                        }
                    }
                    (_, Err(RepoError::NotFound)) | (Err(_), _) => {
                        page.error = tr.t("coupon-error-merchant");
                        status = StatusCode::UNPROCESSABLE_ENTITY;
                    }
                    (_, Err(e)) => return error_page(state, locale, &e.into()),
                }
            }
        }
    }
    let mut resp = render(state, locale, &page);
    *resp.status_mut() = status;
    resp
}

async fn pay_page(
    State(state): State<AppState>,
    user: PageUser<CustomerOnly>,
    Query(pairs): Query<Pairs>,
) -> Response {
    pay_response(&state, &user, &pairs, (String::new(), String::new())).await
}

async fn pay(
    State(state): State<AppState>,
    user: PageUser<CustomerOnly>,
    headers: HeaderMap,
    Form(pairs): Form<Pairs>,
) -> Response {
    let locale = user.ctx.tr.locale;
    if !form_ok(&user, &headers, &pairs) {
        return error_page(&state, locale, &ApiError::Forbidden);
    }
    let me = match me(&user) {
        Ok(m) => m,
        Err(e) => return error_page(&state, locale, &e),
    };
    let Some(minor) = parse_rupiah(first(&pairs, "amount")).filter(|a| *a > 0) else {
        return pay_response(&state, &user, &pairs, (String::new(), String::new())).await;
    };
    let chosen = all(&pairs, "coupon");
    let description = first(&pairs, "description");
    let req = match checkout_request(
        me,
        first(&pairs, "merchant"),
        minor,
        None,
        Some(first(&pairs, "type")),
        &chosen,
        Some(description),
    ) {
        Ok(r) => r,
        Err(_) => return pay_response(&state, &user, &pairs, (String::new(), String::new())).await,
    };
    // The form's key makes the payment once, however often the form is sent.
    let key = first(&pairs, "pay_key").to_owned();
    let owner = format!("customer:{}", req.customer);
    let keyed = (20..=100).contains(&key.len());
    if keyed {
        let fingerprint = crate::auth::token_hash(&format!(
            "{}|{minor}|{}|{}|{description}",
            first(&pairs, "merchant"),
            first(&pairs, "type"),
            chosen.join(",")
        ));
        match state
            .repo
            .begin_idempotent(&owner, &key, &fingerprint, crate::now_us())
            .await
        {
            Ok(IdempotencyState::Reserved) => {}
            Ok(IdempotencyState::Completed { body, .. }) => {
                // Sent again: show the payment the first submit made (paid or refused).
                let id = serde_json::from_str::<serde_json::Value>(&body)
                    .ok()
                    .and_then(|v| v["transaction_id"].as_str().map(str::to_owned))
                    .unwrap_or_default();
                return Redirect::to(&format!("/wallet/tx/{}", url_encode(&id))).into_response();
            }
            Ok(IdempotencyState::InProgress) => {
                return error_page(&state, locale, &ApiError::IdempotencyInProgress);
            }
            Ok(IdempotencyState::Mismatch) => {
                return error_page(&state, locale, &ApiError::IdempotencyMismatch);
            }
            Err(e) => return error_page(&state, locale, &e.into()),
        }
    }
    let outcome = state.repo.checkout(&req, crate::now_us()).await;
    if keyed {
        let done = match &outcome {
            Ok(out) => {
                let body = serde_json::json!({"transaction_id": out.transaction.id}).to_string();
                state
                    .repo
                    .complete_idempotent(&owner, &key, 200, &body)
                    .await
            }
            Err(_) => state.repo.abandon_idempotent(&owner, &key).await,
        };
        if let Err(e) = done {
            return error_page(&state, locale, &e.into());
        }
    }
    match outcome {
        Ok(out) if out.transaction.status == TransactionStatus::Succeeded => {
            tracing::info!(transaction_id = %out.transaction.id, discount = out.evaluation.discount.minor, "paid at checkout");
            Redirect::to(&format!(
                "/wallet/tx/{}?done=paid",
                url_encode(&out.transaction.id)
            ))
            .into_response()
        }
        Ok(out) => {
            // Refused: show the same checkout again with why, and the reference.
            let t = &out.transaction;
            let why = t
                .failure_reason
                .map(|r| user.ctx.tr.t(&r.message_key()))
                .unwrap_or_default();
            let mut resp = pay_response(&state, &user, &pairs, (why, t.reference.clone())).await;
            *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            resp
        }
        Err(RepoError::NotFound) => {
            pay_response(&state, &user, &pairs, (String::new(), String::new())).await
        }
        Err(e) => error_page(&state, locale, &e.into()),
    }
}

// ------------------------------------------------------------------ agents

/// A payment of the customer, linking to its evaluation.
pub struct PaymentRow {
    /// Transaction id.
    pub id: String,
    /// Reference.
    pub reference: String,
    /// When.
    pub date: String,
    /// Merchant.
    pub merchant: String,
    /// Amount paid.
    pub amount: String,
    /// Status key.
    pub status: String,
}

#[derive(Template)]
#[template(path = "coupons_staff_customer.html")]
struct StaffCustomerPage {
    chrome: Chrome,
    customer_id: String,
    customer_name: String,
    coupons: Vec<CouponView>,
    payments: Vec<PaymentRow>,
    lookup: String,
    error: String,
}

async fn staff_customer(
    State(state): State<AppState>,
    user: PageUser<SupportStaff>,
    Path(id): Path<String>,
    Query(pairs): Query<Pairs>,
) -> Response {
    let locale = user.ctx.tr.locale;
    let tr = &user.ctx.tr;
    let lookup = first(&pairs, "tx").trim().to_owned();
    let loaded = async {
        let id = CustomerId::parse(&id).ok_or(ApiError::NotFound)?;
        let customer = state.repo.customer(&id).await?;
        let region = state.repo.region(&customer.region_id).await?;
        let mut q = TransactionQuery {
            customer_id: Some(id.clone()),
            kinds: vec![TransactionKind::Payment],
            ..TransactionQuery::default()
        };
        // "Why wasn't my coupon applied to transaction X?": X by reference or id.
        if !lookup.is_empty() {
            if uuid::Uuid::parse_str(&lookup).is_err() {
                q.text = Some(lookup.clone());
            }
            let found = if uuid::Uuid::parse_str(&lookup).is_ok() {
                state
                    .repo
                    .transaction(&lookup)
                    .await
                    .ok()
                    .filter(|t| t.customer_id == id)
            } else {
                state
                    .repo
                    .transactions(&q, None, Limit::parse(Some(1))?)
                    .await?
                    .items
                    .into_iter()
                    .next()
            };
            if let Some(t) = found {
                return Ok(Err(format!("/staff/tx/{}/coupons", url_encode(&t.id))));
            }
            q.text = None;
        }
        let payments = state
            .repo
            .transactions(&q, None, Limit::parse(Some(RECENT_PAYMENTS))?)
            .await?
            .items
            .into_iter()
            .map(|t| PaymentRow {
                date: local_time(t.created_at_us, &region.time_zone),
                merchant: t.merchant_name.clone().unwrap_or_default(),
                amount: t.amount.to_string(),
                status: format!("status-{}", t.status.as_str()),
                reference: t.reference,
                id: t.id,
            })
            .collect();
        let now = crate::now_us();
        let coupons = state
            .repo
            .customer_coupons(&id)
            .await?
            .iter()
            .map(|h| CouponView::new(h, tr, now))
            .collect();
        Ok::<_, ApiError>(Ok((customer, coupons, payments)))
    };
    match loaded.await {
        Ok(Err(target)) => Redirect::to(&target).into_response(),
        Ok(Ok((customer, coupons, payments))) => {
            let error = if lookup.is_empty() {
                String::new()
            } else {
                tr.t("coupon-staff-lookup-none")
            };
            let page = StaffCustomerPage {
                chrome: user.ctx.chrome(),
                customer_id: customer.id.to_string(),
                customer_name: customer.display_name.as_str().to_owned(),
                coupons,
                payments,
                lookup,
                error,
            };
            render(&state, locale, &page)
        }
        Err(e) => error_page(&state, locale, &e),
    }
}

/// A fact of the payment's context.
pub struct Fact {
    /// Label.
    pub label: String,
    /// Value.
    pub value: String,
}

#[derive(Template)]
#[template(path = "coupon_evaluation.html")]
struct EvaluationPage {
    chrome: Chrome,
    tx_id: String,
    reference: String,
    customer_id: String,
    stored: bool,
    facts: Vec<Fact>,
    rows: Vec<VerdictRow>,
    discount: String,
    payable: String,
    best_discount: String,
    replay_matches: bool,
}

async fn staff_evaluation(
    State(state): State<AppState>,
    user: PageUser<SupportStaff>,
    Path(id): Path<String>,
) -> Response {
    let locale = user.ctx.tr.locale;
    let tr = &user.ctx.tr;
    let principal = in_page_language(&user);
    let loaded = async {
        let view = evaluation_of(&state, &principal, &id, locale).await?;
        let t = state.repo.transaction(&id).await?;
        let stored = state.repo.payment_evaluation(&id).await.ok();
        let customer = state.repo.customer(&t.customer_id).await?;
        let region = state.repo.region(&customer.region_id).await?;
        let mut facts = Vec::new();
        if let Some(s) = &stored {
            let c = &s.input.context;
            let merchant = state
                .repo
                .merchant(&c.merchant)
                .await
                .map(|m| m.name)
                .unwrap_or_default();
            for (key, value) in [
                ("coupon-fact-when", local_time(c.at_us, &region.time_zone)),
                ("coupon-fact-merchant", merchant),
                (
                    "coupon-fact-category",
                    crate::api::coupons::category_text(tr, &c.merchant_category),
                ),
                ("coupon-fact-amount", c.amount.to_string()),
                (
                    "coupon-fact-type",
                    tr.t(&format!("coupon-type-{}", c.payment_type.as_str())),
                ),
                (
                    "coupon-fact-new",
                    tr.t(if c.customer_is_new {
                        "coupon-yes"
                    } else {
                        "coupon-no"
                    }),
                ),
            ] {
                facts.push(Fact {
                    label: tr.t(key),
                    value,
                });
            }
        }
        Ok::<_, ApiError>((view, t, facts))
    };
    match loaded.await {
        Ok((view, t, facts)) => {
            let (rows, discount, payable, best_discount) = match &view.evaluation {
                Some(v) => (
                    rows_of(v, tr),
                    Money::new(v.discount_minor, currency_of(&v.currency)).to_string(),
                    v.payable_display.clone(),
                    Money::new(v.best_discount_minor, currency_of(&v.currency)).to_string(),
                ),
                None => (Vec::new(), String::new(), String::new(), String::new()),
            };
            let page = EvaluationPage {
                chrome: user.ctx.chrome(),
                tx_id: t.id.clone(),
                reference: t.reference.clone(),
                customer_id: t.customer_id.to_string(),
                stored: view.evaluation.is_some(),
                facts,
                rows,
                discount,
                payable,
                best_discount,
                replay_matches: view.replay_matches.unwrap_or(false),
            };
            render(&state, locale, &page)
        }
        Err(e) => error_page(&state, locale, &e),
    }
}

fn currency_of(code: &str) -> Currency {
    Currency::parse(code).unwrap_or(Currency::IDR)
}

// ------------------------------------------------------------------ admins

/// A campaign row.
pub struct CampaignRow {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Status.
    pub status: String,
    /// Rules in words.
    pub rules: Vec<String>,
    /// `3 / 100` or `3`.
    pub uses: String,
    /// Spent of budget.
    pub spent: String,
    /// Budget left.
    pub budget_left: String,
    /// Holders.
    pub holders: u32,
    /// Its code.
    pub code: String,
    /// Validity window in words.
    pub window: String,
}

#[derive(Template)]
#[template(path = "coupon_campaigns.html")]
struct CampaignsPage {
    chrome: Chrome,
    rows: Vec<CampaignRow>,
    merchants: Vec<MerchantChoice>,
    types: Vec<TypeChoice>,
    categories: Vec<(String, String)>,
    error: String,
    done: bool,
}

const CATEGORIES: [&str; 7] = [
    "food",
    "retail",
    "electronics",
    "transport",
    "telco",
    "health",
    "travel",
];

async fn campaigns_response(
    state: &AppState,
    user: &PageUser<AdminOnly>,
    error: String,
    done: bool,
) -> Response {
    let locale = user.ctx.tr.locale;
    let tr = &user.ctx.tr;
    let loaded = async {
        let list = state.repo.campaigns().await?;
        let merchants = merchant_choices(state, "").await?;
        Ok::<_, ApiError>((list, merchants))
    };
    match loaded.await {
        Ok((list, merchants)) => {
            let rows = list
                .iter()
                .map(|u| {
                    let v = CampaignView::new(u, tr);
                    let c = &u.campaign;
                    CampaignRow {
                        id: c.id.clone(),
                        name: c.name.clone(),
                        status: v.status.clone(),
                        rules: v.rules,
                        uses: match c.total_limit {
                            Some(l) => format!("{} / {l}", u.uses),
                            None => u.uses.to_string(),
                        },
                        spent: Money::new(u.spent_minor, c.currency).to_string(),
                        budget_left: v
                            .budget_left_minor
                            .map(|b| Money::new(b, c.currency).to_string())
                            .unwrap_or_else(|| tr.t("coupon-admin-unlimited")),
                        holders: u.holders,
                        code: c.code.clone().unwrap_or_default(),
                        window: {
                            let mut args = fluent_bundle::FluentArgs::new();
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
                    }
                })
                .collect();
            let page = CampaignsPage {
                chrome: user.ctx.chrome(),
                rows,
                merchants,
                types: type_choices(tr, ""),
                categories: CATEGORIES
                    .iter()
                    .map(|c| ((*c).to_owned(), crate::api::coupons::category_text(tr, c)))
                    .collect(),
                error,
                done,
            };
            render(state, locale, &page)
        }
        Err(e) => error_page(state, locale, &e),
    }
}

async fn campaigns(
    State(state): State<AppState>,
    user: PageUser<AdminOnly>,
    Query(pairs): Query<Pairs>,
) -> Response {
    let done = !first(&pairs, "done").is_empty();
    campaigns_response(&state, &user, String::new(), done).await
}

/// A percentage as people type it (`20`, `12.5`) in basis points.
fn parse_percent(raw: &str) -> Option<u32> {
    let s = raw.trim().trim_end_matches('%').trim();
    let (whole, frac) = s.split_once(['.', ',']).unwrap_or((s, ""));
    if whole.is_empty()
        || frac.len() > 2
        || !format!("{whole}{frac}").bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let whole: u32 = whole.parse().ok()?;
    let frac: u32 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<2}").parse().ok()?
    };
    whole.checked_mul(100)?.checked_add(frac)
}

fn optional_rupiah(raw: &str) -> Result<Option<i64>, ()> {
    if raw.trim().is_empty() {
        Ok(None)
    } else {
        parse_rupiah(raw).map(Some).ok_or(())
    }
}

fn optional_count(raw: &str) -> Result<Option<u32>, ()> {
    if raw.trim().is_empty() {
        Ok(None)
    } else {
        raw.trim().parse().map(Some).map_err(|_| ())
    }
}

async fn create_campaign(
    State(state): State<AppState>,
    user: PageUser<AdminOnly>,
    headers: HeaderMap,
    Form(pairs): Form<Pairs>,
) -> Response {
    let locale = user.ctx.tr.locale;
    if !form_ok(&user, &headers, &pairs) {
        return error_page(&state, locale, &ApiError::Forbidden);
    }
    let tr = &user.ctx.tr;
    let mut bad: Vec<&str> = Vec::new();
    let value = first(&pairs, "value");
    let (amount_minor, percent) = if first(&pairs, "kind") == "percent" {
        match parse_percent(value) {
            Some(p) => (None, Some(p)),
            None => {
                bad.push("value");
                (None, Some(0))
            }
        }
    } else {
        match parse_rupiah(value) {
            Some(a) => (Some(a), None),
            None => {
                bad.push("value");
                (Some(0), None)
            }
        }
    };
    let mut money = |name: &'static str| {
        optional_rupiah(first(&pairs, name)).unwrap_or_else(|_| {
            bad.push(name);
            None
        })
    };
    let cap_minor = money("cap");
    let min_spend_minor = money("min_spend");
    let budget_minor = money("budget");
    let mut count = |name: &'static str| {
        optional_count(first(&pairs, name)).unwrap_or_else(|_| {
            bad.push(name);
            None
        })
    };
    let per_customer_limit = count("per_customer_limit");
    let total_limit = count("total_limit");
    let body = CampaignBody {
        name: first(&pairs, "name").to_owned(),
        funder: Some(first(&pairs, "funder").to_owned()).filter(|f| !f.is_empty()),
        funder_merchant_id: Some(first(&pairs, "funder_merchant").to_owned())
            .filter(|f| !f.is_empty()),
        amount_minor,
        percent_basis_points: percent,
        cap_minor,
        currency: None,
        min_spend_minor,
        valid_from: first(&pairs, "valid_from").to_owned(),
        valid_until: first(&pairs, "valid_until").to_owned(),
        time_zone: Some(first(&pairs, "time_zone").to_owned()),
        merchant_ids: all(&pairs, "merchant"),
        categories: all(&pairs, "category"),
        payment_types: all(&pairs, "type"),
        per_customer_limit,
        total_limit,
        new_customers_only: !first(&pairs, "new_only").is_empty(),
        budget_minor,
        exclusive: !first(&pairs, "exclusive").is_empty(),
        code: Some(first(&pairs, "code").to_owned()),
    };
    let fields = |mut names: Vec<String>| {
        names.dedup();
        tr.t1("coupon-admin-error", "fields", &names.join(", "))
    };
    let campaign = match parse_campaign(&state, &body).await {
        Ok(c) if bad.is_empty() => c,
        Ok(_) => {
            let error = fields(bad.iter().map(|s| (*s).to_owned()).collect());
            let mut resp = campaigns_response(&state, &user, error, false).await;
            *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            return resp;
        }
        Err(ApiError::Validation(v)) => {
            let mut names: Vec<String> = bad.iter().map(|s| (*s).to_owned()).collect();
            names.extend(v.errors.iter().map(|e| e.field.clone()));
            let mut resp = campaigns_response(&state, &user, fields(names), false).await;
            *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            return resp;
        }
        Err(e) => return error_page(&state, locale, &e),
    };
    match state.repo.create_campaign(&campaign).await {
        Ok(()) => Redirect::to("/staff/coupons?done=created").into_response(),
        Err(RepoError::Conflict(_)) => {
            let error = tr.t("coupon-admin-code-taken");
            let mut resp = campaigns_response(&state, &user, error, false).await;
            *resp.status_mut() = StatusCode::CONFLICT;
            resp
        }
        Err(e) => error_page(&state, locale, &e.into()),
    }
}

async fn campaign_status(
    State(state): State<AppState>,
    user: PageUser<AdminOnly>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(pairs): Form<Pairs>,
) -> Response {
    let locale = user.ctx.tr.locale;
    if !form_ok(&user, &headers, &pairs) {
        return error_page(&state, locale, &ApiError::Forbidden);
    }
    let Some(status) = CampaignStatus::parse(first(&pairs, "status")) else {
        return error_page(
            &state,
            locale,
            &ApiError::BadRequest("unknown status".into()),
        );
    };
    match state.repo.set_campaign_status(&id, status).await {
        Ok(_) => Redirect::to("/staff/coupons?done=status").into_response(),
        Err(RepoError::InvalidState(_)) => {
            let error = user.ctx.tr.t("coupon-admin-ended");
            let mut resp = campaigns_response(&state, &user, error, false).await;
            *resp.status_mut() = StatusCode::CONFLICT;
            resp
        }
        Err(e) => error_page(&state, locale, &e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_read_as_people_type_them() {
        assert_eq!(parse_percent("20"), Some(2_000));
        assert_eq!(parse_percent("12.5"), Some(1_250));
        assert_eq!(parse_percent("7,25%"), Some(725));
        assert_eq!(parse_percent("1.234"), None);
        assert_eq!(parse_percent("abc"), None);
        assert_eq!(parse_percent(""), None);
    }
}
