//! The JSON API under `/api/v1`, one module per resource, and its OpenAPI document.

pub mod calendars;
pub mod cards;
pub mod complaints;
pub mod console;
pub mod coupons;
pub mod customers;
pub mod directory;
pub mod extract;
pub mod help;
pub mod idempotency;
pub mod ledger;
pub mod me;
pub mod privacy;
pub mod protection;
pub mod refunds;
pub mod sessions;
pub mod sla;
pub mod staff;
pub mod system;
pub mod tickets;
pub mod transactions;
pub mod views;
pub mod wallet;

use crate::state::AppState;
use axum::Router;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

/// Who may call each API route: `(method, path, access)`. The authorization matrix test
/// checks this table against the OpenAPI document and against real answers, and the API
/// reference page shows it. Access names are those of [`crate::auth::Access`], plus
/// `public`.
pub const ROUTES: &[(&str, &str, &str)] = &[
    ("POST", "/api/v1/auth/tokens", "public"),
    ("DELETE", "/api/v1/auth/tokens/current", "signed_in"),
    ("GET", "/api/v1/me", "signed_in"),
    ("PATCH", "/api/v1/me", "signed_in"),
    ("GET", "/api/v1/customers", "support_staff"),
    ("GET", "/api/v1/customers/{id}", "signed_in"),
    ("GET", "/api/v1/staff", "staff"),
    ("POST", "/api/v1/staff", "admin"),
    ("GET", "/api/v1/merchants", "support_staff"),
    ("GET", "/api/v1/merchants/{id}", "staff"),
    ("GET", "/api/v1/regions", "public"),
    ("GET", "/api/v1/groups", "support_staff"),
    ("POST", "/api/v1/wallet/operations", "admin"),
    (
        "POST",
        "/api/v1/transactions/{id}/capture",
        "merchant_or_admin",
    ),
    (
        "POST",
        "/api/v1/transactions/{id}/void",
        "merchant_or_admin",
    ),
    ("GET", "/api/v1/me/wallet", "customer"),
    ("POST", "/api/v1/ledger/transfers", "admin"),
    ("GET", "/api/v1/transactions", "signed_in"),
    ("GET", "/api/v1/transactions.csv", "signed_in"),
    ("GET", "/api/v1/transactions/{id}", "signed_in"),
    ("POST", "/api/v1/transactions/{id}/notes", "customer"),
    ("PATCH", "/api/v1/notes/{id}", "customer"),
    ("DELETE", "/api/v1/notes/{id}", "customer"),
    ("POST", "/api/v1/transactions/{id}/flags", "customer"),
    ("GET", "/api/v1/flags", "support_staff"),
    ("POST", "/api/v1/transactions/{id}/refunds", "customer"),
    ("POST", "/api/v1/refunds/{id}/decision", "staff"),
    ("GET", "/api/v1/merchants/{id}/refund-policy", "signed_in"),
    (
        "PUT",
        "/api/v1/merchants/{id}/refund-policy",
        "merchant_or_admin",
    ),
    ("GET", "/api/v1/merchants/{id}/refunds", "staff"),
    ("GET", "/api/v1/help/search", "public"),
    ("GET", "/api/v1/help/suggest", "public"),
    ("GET", "/api/v1/help/articles/{slug}", "public"),
    ("POST", "/api/v1/help/articles/{slug}/votes", "public"),
    ("PUT", "/api/v1/help/articles/{slug}/{locale}", "admin"),
    ("GET", "/api/v1/help/synonyms", "admin"),
    ("PUT", "/api/v1/help/synonyms", "admin"),
    ("GET", "/api/v1/sla/policies", "admin"),
    ("PUT", "/api/v1/sla/policies", "admin"),
    ("POST", "/api/v1/tickets", "public"),
    ("GET", "/api/v1/tickets", "customer_or_support"),
    ("GET", "/api/v1/tickets/{id}", "customer_or_support"),
    ("PATCH", "/api/v1/tickets/{id}", "support_staff"),
    (
        "POST",
        "/api/v1/tickets/{id}/messages",
        "customer_or_support",
    ),
    (
        "POST",
        "/api/v1/tickets/{id}/attachments",
        "customer_or_support",
    ),
    ("POST", "/api/v1/tickets/{id}/links", "support_staff"),
    (
        "DELETE",
        "/api/v1/tickets/{id}/links/{kind}/{record_id}",
        "support_staff",
    ),
    ("POST", "/api/v1/tickets/{id}/rating", "customer"),
    ("POST", "/api/v1/tickets/{id}/calls", "support_staff"),
    ("GET", "/api/v1/attachments/{id}", "customer_or_support"),
    ("POST", "/api/v1/contacts/{id}/merge", "support_staff"),
    ("POST", "/api/v1/tickets/{id}/merge", "support_staff"),
    ("POST", "/api/v1/queue/next", "support_staff"),
    ("PUT", "/api/v1/me/availability", "support_staff"),
    ("POST", "/api/v1/help/deflections", "public"),
    ("GET", "/api/v1/support-hours", "public"),
    ("GET", "/api/v1/calendars", "support_staff"),
    ("PUT", "/api/v1/calendars/{id}", "admin"),
    ("PUT", "/api/v1/calendar-assignments", "admin"),
    ("GET", "/api/v1/callbacks", "support_staff"),
    ("POST", "/api/v1/callbacks/claim", "support_staff"),
    ("POST", "/api/v1/callbacks/{id}/finish", "support_staff"),
    ("POST", "/api/v1/auth/password-resets", "public"),
    ("POST", "/api/v1/auth/password-resets/complete", "public"),
    ("POST", "/api/v1/me/password", "signed_in"),
    ("GET", "/api/v1/me/sessions", "signed_in"),
    ("DELETE", "/api/v1/me/sessions/{id}", "signed_in"),
    ("POST", "/api/v1/me/sessions/revoke-others", "signed_in"),
    ("GET", "/api/v1/me/totp", "signed_in"),
    ("POST", "/api/v1/me/totp", "signed_in"),
    ("POST", "/api/v1/me/totp/confirm", "signed_in"),
    ("POST", "/api/v1/me/totp/disable", "signed_in"),
    ("POST", "/api/v1/me/totp/recovery-codes", "signed_in"),
    ("GET", "/api/v1/customers/{id}/protection", "support_staff"),
    (
        "POST",
        "/api/v1/customers/{id}/verifications",
        "support_staff",
    ),
    (
        "POST",
        "/api/v1/customers/{id}/verifications/{verification_id}/answer",
        "support_staff",
    ),
    ("POST", "/api/v1/customers/{id}/unlock", "support_staff"),
    (
        "POST",
        "/api/v1/customers/{id}/password-reset",
        "support_staff",
    ),
    ("POST", "/api/v1/customers/{id}/totp-reset", "support_staff"),
    ("GET", "/api/v1/me/data", "customer"),
    ("POST", "/api/v1/me/erasure", "customer"),
    ("GET", "/api/v1/audit", "admin"),
    ("GET", "/api/v1/banks", "public"),
    ("GET", "/api/v1/me/payment-methods", "customer"),
    ("POST", "/api/v1/me/cards", "customer"),
    ("POST", "/api/v1/me/bank-accounts", "customer"),
    ("POST", "/api/v1/me/payment-methods/{id}/verify", "customer"),
    ("DELETE", "/api/v1/me/payment-methods/{id}", "customer"),
    (
        "GET",
        "/api/v1/customers/{id}/payment-methods",
        "support_staff",
    ),
    ("GET", "/api/v1/me/coupons", "customer"),
    ("POST", "/api/v1/me/coupons", "customer"),
    ("POST", "/api/v1/coupons/evaluate", "customer_or_support"),
    ("POST", "/api/v1/checkout", "customer"),
    (
        "GET",
        "/api/v1/transactions/{id}/coupon-evaluation",
        "customer_or_support",
    ),
    ("GET", "/api/v1/customers/{id}/coupons", "support_staff"),
    ("GET", "/api/v1/coupon-campaigns", "admin"),
    ("POST", "/api/v1/coupon-campaigns", "admin"),
    ("POST", "/api/v1/coupon-campaigns/{id}/status", "admin"),
    ("POST", "/api/v1/coupon-campaigns/{id}/coupons", "admin"),
    ("POST", "/api/v1/transactions/{id}/complaints", "customer"),
    ("GET", "/api/v1/complaints", "signed_in"),
    ("GET", "/api/v1/complaints/{id}", "signed_in"),
    ("POST", "/api/v1/complaints/{id}/evidence", "signed_in"),
    ("POST", "/api/v1/complaints/{id}/withdraw", "customer"),
    (
        "POST",
        "/api/v1/complaints/{id}/merchant-response",
        "merchant",
    ),
    ("POST", "/api/v1/complaints/{id}/decision", "support_staff"),
    ("GET", "/api/v1/complaint-evidence/{id}", "signed_in"),
    ("GET", "/healthz", "public"),
    ("GET", "/readyz", "public"),
    ("GET", "/metrics", "public"),
    ("GET", "/api/openapi.json", "public"),
];

/// All API routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(sessions::router())
        .merge(me::router())
        .merge(protection::router())
        .merge(privacy::router())
        .merge(customers::router())
        .merge(staff::router())
        .merge(directory::router())
        .merge(system::router())
        .merge(wallet::router())
        .merge(ledger::router())
        .merge(transactions::router())
        .merge(refunds::router())
        .merge(help::router())
        .merge(tickets::router())
        .merge(console::router())
        .merge(sla::router())
        .merge(calendars::router())
        .merge(cards::router())
        .merge(coupons::router())
        .merge(complaints::router())
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "paydesk API",
        description = "Customer service for a mobile payment wallet. Authenticate with a bearer token from `POST /api/v1/auth/tokens`. Lists use keyset pagination: pass `next_cursor` back as `cursor`. Errors are RFC 9457 problem details (`application/problem+json`) with a stable `code`. POSTs that create records take an `Idempotency-Key` header."
    ),
    paths(
        sessions::create_token,
        sessions::delete_token,
        me::get_me,
        me::update_me,
        customers::list_customers,
        customers::get_customer,
        staff::list_staff,
        staff::create_staff,
        directory::list_merchants,
        directory::get_merchant,
        directory::list_regions,
        directory::list_groups,
        wallet::post_operation,
        wallet::capture,
        wallet::void,
        wallet::my_wallet,
        ledger::post_group,
        transactions::list_transactions,
        transactions::export_csv,
        transactions::get_transaction,
        transactions::add_note,
        transactions::update_note,
        transactions::delete_note,
        transactions::add_flag,
        transactions::list_flags,
        refunds::request_refund,
        refunds::decide_refund,
        refunds::get_policy,
        refunds::put_policy,
        refunds::merchant_refunds,
        help::search_articles,
        help::suggest,
        help::get_article,
        help::vote,
        help::put_article,
        help::get_synonyms,
        help::put_synonyms,
        sla::get_policies,
        sla::put_policies,
        tickets::create_ticket,
        tickets::list_tickets,
        tickets::get_ticket,
        tickets::patch_ticket,
        tickets::add_message,
        tickets::add_attachments,
        tickets::link_record,
        tickets::unlink_record,
        tickets::rate_ticket,
        tickets::log_call,
        tickets::download_attachment,
        tickets::merge_contact,
        console::merge_ticket,
        console::take_next,
        console::put_availability,
        tickets::record_deflection,
        calendars::get_support_hours,
        calendars::list_calendars,
        calendars::put_calendar,
        calendars::put_assignments,
        calendars::list_callbacks,
        calendars::claim_callback,
        calendars::finish_callback,
        protection::request_reset,
        protection::complete_reset,
        protection::change_password,
        protection::list_sessions,
        protection::revoke_session,
        protection::revoke_others,
        protection::totp_status,
        protection::start_totp,
        protection::confirm_totp,
        protection::disable_totp,
        protection::new_recovery_codes,
        protection::protection_status,
        protection::start_verification,
        protection::answer_verification,
        protection::unlock,
        protection::send_reset,
        protection::start_totp_reset,
        privacy::download,
        privacy::erase,
        privacy::browse_audit,
        cards::list_banks,
        cards::my_methods,
        cards::add_card,
        cards::add_account,
        cards::verify,
        cards::remove,
        cards::customer_methods,
        coupons::my_coupons,
        coupons::claim_code,
        coupons::evaluate_payment,
        coupons::checkout,
        coupons::payment_evaluation,
        coupons::customer_coupons,
        coupons::list_campaigns,
        coupons::create_campaign,
        coupons::set_campaign_status,
        coupons::issue_coupon,
        complaints::file_complaint,
        complaints::list_complaints,
        complaints::get_complaint,
        complaints::add_evidence,
        complaints::withdraw,
        complaints::respond,
        complaints::decide,
        complaints::download_evidence,
        system::healthz,
        system::readyz,
        system::metrics,
        system::openapi_json,
    ),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The OpenAPI document, generated from the handlers' annotations.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    doc
}
