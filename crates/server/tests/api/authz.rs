//! The authorization matrix: every API route called as anonymous, customer, agent,
//! supervisor, merchant staff and admin; and the tests that try to cross the line
//! between one customer (or merchant) and another.

use crate::helpers::*;
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use server::api::ROUTES;
use std::collections::BTreeSet;

const CALLERS: [&str; 6] = [
    "anonymous",
    "customer",
    "agent",
    "supervisor",
    "merchant",
    "admin",
];

/// What the access rule says the caller gets: `None` = allowed, `Some(status)` = refused.
fn expected(access: &str, caller: &str) -> Option<u16> {
    let signed_in = caller != "anonymous";
    let support = matches!(caller, "agent" | "supervisor" | "admin");
    match access {
        "public" => None,
        _ if !signed_in => Some(401),
        "signed_in" => None,
        "support_staff" if support => None,
        "staff" if caller != "customer" => None,
        "admin" if caller == "admin" => None,
        "merchant" if caller == "merchant" => None,
        "merchant_or_admin" if matches!(caller, "merchant" | "admin") => None,
        "customer" if caller == "customer" => None,
        "customer_or_support" if caller != "merchant" => None,
        "support_staff"
        | "staff"
        | "admin"
        | "merchant"
        | "merchant_or_admin"
        | "customer"
        | "customer_or_support" => Some(403),
        other => panic!("unknown access rule {other}"),
    }
}

/// Ids the routes' path parameters are filled with: Siti's payment to the merchant, her
/// note on it and a refund waiting for the merchant.
struct Fixtures {
    payment: String,
    note: String,
    refund: String,
    ticket: String,
    attachment: String,
    contact: String,
    /// Number of a second ticket of Siti's, for merging the first into.
    merge_target: i64,
    verification: String,
    /// A card of Siti's waiting for its micro-deposits.
    card: String,
    complaint: String,
    evidence: String,
}

async fn fixtures(app: &TestApp) -> Fixtures {
    use domain::repo::WalletRepo;
    use domain::wallet::{RefundReason, WalletOperation};
    let now = server::now_us();
    let c = app.accounts.customer.id.clone();
    let idr = |major: i64| domain::Money::major(major, domain::Currency::IDR).unwrap();
    app.store
        .execute(
            &WalletOperation::TopUp {
                customer: c.clone(),
                amount: idr(1_000_000),
            },
            now,
        )
        .await
        .unwrap();
    let payment = app
        .store
        .execute(
            &WalletOperation::Payment {
                customer: c.clone(),
                merchant: app.accounts.merchant.id.clone(),
                amount: idr(500_000),
                hold_minutes: None,
                description: "Phone case".into(),
            },
            now,
        )
        .await
        .unwrap();
    let note = app
        .store
        .add_note(&payment.id, &c, "gift for Budi", now)
        .await
        .unwrap();
    let refund = app
        .store
        .request_refund(&payment.id, 200_000_00, RefundReason::NotAsDescribed, now)
        .await
        .unwrap();
    assert_eq!(refund.status, domain::wallet::RefundStatus::Requested);
    crate::help::save_article(
        app,
        "reset-password",
        "en",
        "public",
        "Reset your password",
        "Tap **Forgot password**.",
    )
    .await;
    let ticket = crate::tickets::customer_ticket(app, "Payment failed").await;
    let merge_target = crate::tickets::customer_ticket(app, "Payment failed (again)")
        .await
        .number;
    let attachment = crate::tickets::attach_text(app, &ticket, "receipt.txt", "paid 500,000").await;
    let contact = crate::tickets::guest_ticket(app).await.contact_id.unwrap();
    // An identity check the agent started, for the answer route.
    let verification = {
        use domain::protection::*;
        let v = IdentityVerification {
            id: uuid::Uuid::now_v7().to_string(),
            customer_id: c.clone(),
            staff_id: app.accounts.agent.id.clone(),
            method: VerificationMethod::PhoneCode,
            state: VerificationState::Pending,
            items: Vec::new(),
            code_hash: Some("0".repeat(64)),
            attempts: 0,
            created_at_us: now,
            expires_at_us: now + 600_000_000,
            decided_at_us: None,
        };
        app.store.create_verification(&v).await.unwrap();
        v.id
    };
    let card = {
        use domain::cards::*;
        let m = LinkedMethod {
            id: uuid::Uuid::now_v7().to_string(),
            customer_id: c.clone(),
            kind: MethodKind::Card,
            bank_code: "BCA".into(),
            brand: Some(CardBrand::Visa),
            bin: Some("45561200".into()),
            last4: "1234".into(),
            fingerprint: "0".repeat(64),
            expiry_month: Some(12),
            expiry_year: Some(2031),
            holder_name: "Siti Rahayu".into(),
            state: LinkState::PendingVerification,
            verification: LinkVerification::MicroDeposits,
            failure: None,
            attempts: 0,
            max_attempts: 100,
            otp_challenge: None,
            deposits: Some((123_00, 456_00)),
            deposit_currency: Some(domain::Currency::IDR),
            verify_by_us: now + 86_400_000_000,
            risk: None,
            created_at_us: now,
            updated_at_us: now,
        };
        app.store
            .link_method(
                &NewLinkedMethod {
                    method: m.clone(),
                    limit: 5,
                },
                now,
            )
            .await
            .unwrap();
        m.id
    };
    // A complaint about the payment, with one evidence file of Siti's.
    let (complaint, evidence) = crate::complaints::fixture(app, &payment.id).await;
    Fixtures {
        card,
        complaint,
        evidence,
        verification,
        payment: payment.id,
        note: note.id,
        refund: refund.id,
        ticket: ticket.id,
        attachment,
        contact,
        merge_target,
    }
}

#[tokio::test]
async fn every_route_answers_each_role_as_declared() {
    let app = spawn_app().await;
    let fx = fixtures(&app).await;
    let mut tokens = std::collections::HashMap::new();
    tokens.insert("customer", app.customer_token().await);
    tokens.insert("agent", app.staff_token(&app.accounts.agent).await);
    tokens.insert(
        "supervisor",
        app.staff_token(&app.accounts.supervisor).await,
    );
    tokens.insert(
        "merchant",
        app.staff_token(&app.accounts.merchant_staff).await,
    );
    tokens.insert("admin", app.staff_token(&app.accounts.admin).await);
    let mut checked = 0;
    for (method, path, access) in ROUTES {
        // Sign-out would end the caller's token; it gets its own test.
        if *path == "/api/v1/auth/tokens/current" {
            continue;
        }
        for (n, caller) in CALLERS.iter().enumerate() {
            let concrete = path
                .replace(
                    "/customers/{id}",
                    &format!("/customers/{}", app.accounts.customer.id),
                )
                .replace(
                    "/merchants/{id}",
                    &format!("/merchants/{}", app.accounts.merchant.id),
                )
                .replace(
                    "/transactions/{id}",
                    &format!("/transactions/{}", fx.payment),
                )
                .replace("/notes/{id}", &format!("/notes/{}", fx.note))
                .replace("/refunds/{id}", &format!("/refunds/{}", fx.refund))
                .replace("/tickets/{id}", &format!("/tickets/{}", fx.ticket))
                .replace("{kind}/{record_id}", &format!("transaction/{}", fx.payment))
                .replace(
                    "/attachments/{id}",
                    &format!("/attachments/{}", fx.attachment),
                )
                .replace("/contacts/{id}", &format!("/contacts/{}", fx.contact))
                .replace("{verification_id}", &fx.verification)
                .replace("/complaints/{id}", &format!("/complaints/{}", fx.complaint))
                .replace(
                    "/complaint-evidence/{id}",
                    &format!("/complaint-evidence/{}", fx.evidence),
                )
                .replace(
                    "/payment-methods/{id}",
                    &format!("/payment-methods/{}", fx.card),
                )
                .replace(
                    "/sessions/{id}",
                    "/sessions/0123456789abcdef0123456789abcdef",
                )
                .replace("/calendars/{id}", "/calendars/jakarta")
                .replace(
                    "/coupon-campaigns/{id}",
                    &format!("/coupon-campaigns/{}", uuid::Uuid::now_v7()),
                )
                .replace(
                    "/callbacks/{id}",
                    &format!("/callbacks/{}", uuid::Uuid::now_v7()),
                )
                .replace("{slug}", "reset-password")
                .replace("{locale}", "en");
            let body: Option<Value> = match (*method, *path) {
                ("POST", "/api/v1/auth/tokens") => Some(
                    json!({"audience": "customer", "login": "siti@example.id", "password": PASSWORD}),
                ),
                ("POST", "/api/v1/staff") => Some(json!({
                    "email": format!("new{n}@example.id"), "display_name": "New Agent", "role": "agent", "password": "long enough password"
                })),
                ("PATCH", "/api/v1/me") => Some(json!({"locale": "en"})),
                ("POST", "/api/v1/ledger/transfers") => Some(
                    json!({"transfers": [{"id": uuid::Uuid::now_v7().to_string(), "debit_account": "a", "credit_account": "b", "amount_minor": 1}]}),
                ),
                ("POST", "/api/v1/wallet/operations") => Some(
                    json!({"type": "top_up", "customer_id": app.accounts.customer.id.to_string(), "amount_minor": 1000}),
                ),
                ("POST", "/api/v1/transactions/{id}/capture") => Some(json!({})),
                ("POST", "/api/v1/transactions/{id}/notes") | ("PATCH", "/api/v1/notes/{id}") => {
                    Some(json!({"body": "a note"}))
                }
                ("POST", "/api/v1/transactions/{id}/flags") => {
                    Some(json!({"reason": "improper", "comment": "odd"}))
                }
                ("POST", "/api/v1/transactions/{id}/refunds") => {
                    Some(json!({"amount_minor": 100, "reason": "not_received"}))
                }
                ("POST", "/api/v1/refunds/{id}/decision") => Some(json!({"approve": true})),
                ("POST", "/api/v1/transactions/{id}/complaints") => Some(json!({
                    "category": "not_received", "description": "Never came", "amount_minor": 100, "desired_outcome": "full_refund"
                })),
                ("POST", "/api/v1/complaints/{id}/withdraw") => Some(json!({"reason": "sorted"})),
                ("POST", "/api/v1/complaints/{id}/merchant-response") => {
                    Some(json!({"accept": false, "statement": "Delivered"}))
                }
                ("POST", "/api/v1/complaints/{id}/decision") => {
                    Some(json!({"for_customer": false, "reason": "Receipt"}))
                }
                ("POST", "/api/v1/tickets") => Some(json!({
                    "category": "other", "subject": "Question", "body": "Hello",
                    "guest": {"name": "Guest", "email": "guest@example.id"},
                    "customer_id": app.accounts.customer.id.to_string(),
                })),
                ("PATCH", "/api/v1/tickets/{id}") => Some(json!({"priority": "high"})),
                ("POST", "/api/v1/tickets/{id}/messages") => Some(json!({"body": "Any news?"})),
                ("POST", "/api/v1/tickets/{id}/links") => {
                    Some(json!({"kind": "transaction", "record_id": fx.payment}))
                }
                ("POST", "/api/v1/tickets/{id}/rating") => Some(json!({"score": 5})),
                ("POST", "/api/v1/tickets/{id}/calls") => Some(
                    json!({"from_number": "+6281234567890", "summary": "Called about the payment"}),
                ),
                ("POST", "/api/v1/contacts/{id}/merge") => {
                    Some(json!({"customer_id": app.accounts.customer.id.to_string()}))
                }
                ("POST", "/api/v1/tickets/{id}/merge") => Some(json!({"into": fx.merge_target})),
                ("PUT", "/api/v1/me/availability") => Some(json!({"available": true})),
                ("PUT", "/api/v1/calendars/{id}") => Some(json!({
                    "name": "Jakarta", "time_zone": "Asia/Jakarta",
                    "intervals": [{"weekday": 0, "opens": "08:00", "closes": "17:00"}]
                })),
                ("PUT", "/api/v1/calendar-assignments") => Some(json!({})),
                ("POST", "/api/v1/callbacks/{id}/finish") => Some(json!({"state": "done"})),
                ("POST", "/api/v1/auth/password-resets") => {
                    Some(json!({"login": "siti@example.id"}))
                }
                ("POST", "/api/v1/auth/password-resets/complete") => {
                    Some(json!({"token": "made-up", "new_password": "a fine long passphrase"}))
                }
                ("POST", "/api/v1/me/password") => Some(
                    json!({"current_password": "not it", "new_password": "a fine long passphrase"}),
                ),
                ("POST", "/api/v1/me/totp/confirm")
                | ("POST", "/api/v1/me/totp/disable")
                | ("POST", "/api/v1/me/totp/recovery-codes") => Some(json!({"code": "000000"})),
                // A wrong password: the matrix must not erase Siti for the routes after it.
                ("POST", "/api/v1/me/erasure") => {
                    Some(json!({"password": "not it", "confirm": true}))
                }
                ("POST", "/api/v1/customers/{id}/verifications") => {
                    Some(json!({"method": "transactions"}))
                }
                ("POST", "/api/v1/customers/{id}/verifications/{verification_id}/answer") => {
                    Some(json!({"code": "000000"}))
                }
                ("POST", "/api/v1/me/cards") => Some(
                    json!({"number": "4556 1200 0000 0001", "expiry_month": 12, "expiry_year": 2031}),
                ),
                ("POST", "/api/v1/me/bank-accounts") => {
                    Some(json!({"bank_code": "BCA", "account_number": "123"}))
                }
                ("POST", "/api/v1/me/payment-methods/{id}/verify") => {
                    Some(json!({"amounts": ["1", "2"]}))
                }
                ("POST", "/api/v1/help/deflections") => {
                    Some(json!({"query": "refund", "outcome": "deflected"}))
                }
                ("POST", "/api/v1/help/articles/{slug}/votes") => {
                    Some(json!({"locale": "en", "helpful": true}))
                }
                ("PUT", "/api/v1/sla/policies") => Some(
                    json!({"policies": [{"name": "All", "targets": {"first_response_minutes": 60}}]}),
                ),
                ("PUT", "/api/v1/help/synonyms") => {
                    Some(json!({"groups": [["refund", "pengembalian dana", "退款"]]}))
                }
                ("PUT", "/api/v1/help/articles/{slug}/{locale}") => Some(json!({
                    "title": "Reset your password", "category": "account-and-sign-in", "visibility": "public",
                    "status": "published", "related": [], "keywords": ["forgot password"], "body": "Tap **Forgot password**."
                })),
                ("PUT", "/api/v1/merchants/{id}/refund-policy") => Some(json!({
                    "window_days": 14, "partial_allowed": true, "max_refunds_per_payment": 3, "auto_approve_below_minor": 0, "accepted_reasons": ["not_received"]
                })),
                ("POST", "/api/v1/me/coupons") => Some(json!({"code": "NO-SUCH-CODE"})),
                ("POST", "/api/v1/coupons/evaluate") => Some(json!({
                    "customer_id": app.accounts.customer.id.to_string(),
                    "merchant_id": app.accounts.merchant.id.to_string(), "amount_minor": 1000
                })),
                ("POST", "/api/v1/checkout") => Some(
                    json!({"merchant_id": app.accounts.merchant.id.to_string(), "amount_minor": 1000}),
                ),
                ("POST", "/api/v1/coupon-campaigns") => Some(json!({
                    "name": format!("Matrix {n}"), "amount_minor": 500000,
                    "valid_from": "2026-01-01", "valid_until": "2027-12-31"
                })),
                ("POST", "/api/v1/coupon-campaigns/{id}/status") => {
                    Some(json!({"status": "paused"}))
                }
                ("POST", "/api/v1/coupon-campaigns/{id}/coupons") => {
                    Some(json!({"customer_id": app.accounts.customer.id.to_string()}))
                }
                _ => None,
            };
            let m = Method::from_bytes(method.as_bytes()).unwrap();
            let mut req = axum::http::Request::builder().method(m).uri(&concrete);
            if let Some(t) = tokens.get(caller) {
                req = req.header("authorization", format!("Bearer {t}"));
            }
            req = req.header("idempotency-key", format!("matrix-{n}"));
            let req = match &body {
                Some(b) => req
                    .header("content-type", "application/json")
                    .body(axum::body::Body::from(b.to_string())),
                None => req.body(axum::body::Body::empty()),
            }
            .unwrap();
            let answer = app.send(req).await;
            let status = answer.status.as_u16();
            match expected(access, caller) {
                Some(refused) => {
                    assert_eq!(
                        status, refused,
                        "{method} {path} as {caller}: {}",
                        answer.body
                    );
                    assert!(
                        answer
                            .content_type()
                            .starts_with("application/problem+json")
                    );
                }
                None if *method == "GET" => {
                    // Allowed by role; merchant staff then see no customer profile (scoped to 404).
                    let scoped_out = *caller == "merchant" && *path == "/api/v1/customers/{id}";
                    assert!(
                        if scoped_out {
                            status == 404
                        } else {
                            status < 400
                        },
                        "{method} {path} as {caller} should be allowed, got {status}: {}",
                        answer.body
                    );
                }
                None => {
                    // Changes may meet a state the previous caller left (a decided refund, a
                    // captured payment): anything but an authorization refusal or a crash.
                    assert!(
                        !matches!(status, 401 | 403) && status < 500,
                        "{method} {path} as {caller} should be allowed, got {status}: {}",
                        answer.body
                    );
                }
            }
            checked += 1;
        }
    }
    assert!(checked >= 150, "matrix too small: {checked}");
}

#[tokio::test]
async fn sign_out_route_requires_a_session() {
    let app = spawn_app().await;
    app.call(Method::DELETE, "/api/v1/auth/tokens/current", None, None)
        .await
        .assert_problem(401, "unauthenticated");
}

#[tokio::test]
async fn the_route_table_matches_the_openapi_document() {
    let app = spawn_app().await;
    let doc = app.get("/api/openapi.json", None).await.json();
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_some() {
                documented.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    let declared: BTreeSet<_> = ROUTES
        .iter()
        .map(|(m, p, _)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(
        documented, declared,
        "OpenAPI paths and the access table differ"
    );
}

#[tokio::test]
async fn a_customer_never_reads_another_customers_profile() {
    let app = spawn_app().await;
    let token = app.customer_token().await;
    let own = app
        .get(
            &format!("/api/v1/customers/{}", app.accounts.customer.id),
            Some(&token),
        )
        .await;
    assert_eq!(own.status, StatusCode::OK);
    assert_eq!(own.json()["email"], "siti@example.id");
    // Another customer's existing id answers exactly like a made-up one.
    let other = app
        .get(
            &format!("/api/v1/customers/{}", app.accounts.other_customer.id),
            Some(&token),
        )
        .await;
    let made_up = app
        .get(
            &format!("/api/v1/customers/{}", domain::CustomerId::new()),
            Some(&token),
        )
        .await;
    other.assert_problem(404, "not_found");
    made_up.assert_problem(404, "not_found");
    assert_eq!(other.json()["detail"], made_up.json()["detail"]);
    // And the directory is not theirs to search.
    app.get("/api/v1/customers?q=budi", Some(&token))
        .await
        .assert_problem(403, "forbidden");
}

#[tokio::test]
async fn merchant_staff_see_only_their_own_merchant() {
    let app = spawn_app().await;
    let token = app.staff_token(&app.accounts.merchant_staff).await;
    let own = app
        .get(
            &format!("/api/v1/merchants/{}", app.accounts.merchant.id),
            Some(&token),
        )
        .await;
    assert_eq!(own.status, StatusCode::OK);
    let other = app
        .get(
            &format!("/api/v1/merchants/{}", app.accounts.other_merchant.id),
            Some(&token),
        )
        .await;
    other.assert_problem(404, "not_found");
    let staff = app.get("/api/v1/staff", Some(&token)).await.json();
    let emails: Vec<_> = staff["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["email"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        emails,
        vec!["merchant@example.id"],
        "merchant staff must not list the operator's staff"
    );
    app.get(
        &format!("/api/v1/customers/{}", app.accounts.customer.id),
        Some(&token),
    )
    .await
    .assert_problem(404, "not_found");
}

#[tokio::test]
async fn staff_pages_refuse_customers_and_customer_pages_refuse_staff() {
    let app = spawn_app().await;
    let customer = app.page_session("/signin", "siti@example.id").await;
    let agent = app.page_session("/staff/signin", "agent@example.id").await;
    let merchant = app
        .page_session("/staff/signin", "merchant@example.id")
        .await;
    for path in [
        "/staff",
        "/staff/customers",
        "/staff/team",
        "/staff/merchant",
        &format!("/staff/customers/{}", app.accounts.other_customer.id),
    ] {
        let a = app.page(path, Some(&customer)).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "customer on {path}");
        assert!(a.content_type().starts_with("text/html"));
    }
    assert_eq!(
        app.page("/home", Some(&agent)).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.page("/staff/merchant", Some(&agent)).await.status,
        StatusCode::FORBIDDEN
    );
    for path in ["/staff/customers", "/staff/team"] {
        assert_eq!(
            app.page(path, Some(&merchant)).await.status,
            StatusCode::FORBIDDEN,
            "merchant on {path}"
        );
    }
    // Signed out: sent to the right sign-in page, with the way back.
    let a = app.page("/staff/customers?q=siti", None).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    assert_eq!(
        a.header("location"),
        "/staff/signin?next=/staff/customers%3Fq%3Dsiti"
    );
    assert_eq!(
        app.page("/home", None).await.header("location"),
        "/signin?next=/home"
    );
}
