//! Coupons: checkout through the ledger, atomic reservation under concurrency, release on
//! failure, restoration on a full refund, stored evaluations that replay exactly; the API
//! with its authorization lines; bad input.

use crate::helpers::*;
use axum::http::{Method, StatusCode};
use domain::coupon::{
    Campaign, CampaignStatus, CheckoutRequest, CouponRepo, Discount, Funder, Outcome, PaymentType,
    Reason, evaluate,
};
use domain::ledger::check_invariants;
use domain::repo::WalletRepo;
use domain::wallet::{FailureReason, RefundReason, TransactionStatus, WalletOperation};
use domain::{Currency, CustomerId, MerchantId, Money};
use serde_json::{Value, json};

const DAY: i64 = 86_400_000_000;

fn idr(major: i64) -> Money {
    Money::major(major, Currency::IDR).unwrap()
}

pub fn campaign(name: &str, funder: Funder, discount_major: i64) -> Campaign {
    let now = server::now_us();
    Campaign {
        id: uuid::Uuid::now_v7().to_string(),
        name: name.into(),
        funder,
        discount: Discount::Fixed {
            amount_minor: idr(discount_major).minor,
        },
        currency: Currency::IDR,
        min_spend_minor: 0,
        valid_from_us: now - DAY,
        valid_until_us: now + 30 * DAY,
        time_zone: "Asia/Jakarta".into(),
        merchants: Vec::new(),
        categories: Vec::new(),
        payment_types: Vec::new(),
        per_customer_limit: 1,
        total_limit: None,
        new_customers_only: false,
        budget_minor: None,
        exclusive: false,
        code: None,
        status: CampaignStatus::Active,
        created_at_us: now,
    }
}

async fn top_up(app: &TestApp, customer: &CustomerId, major: i64) {
    app.store
        .execute(
            &WalletOperation::TopUp {
                customer: customer.clone(),
                amount: idr(major),
            },
            server::now_us(),
        )
        .await
        .unwrap();
}

fn pay(
    customer: &CustomerId,
    merchant: &MerchantId,
    major: i64,
    chosen: &[&str],
) -> CheckoutRequest {
    CheckoutRequest {
        customer: customer.clone(),
        merchant: merchant.clone(),
        amount: idr(major),
        payment_type: PaymentType::Qr,
        chosen: chosen.iter().map(|s| (*s).to_owned()).collect(),
        description: "Lunch".into(),
        hold_minutes: None,
    }
}

async fn balance_of(app: &TestApp, id: &str) -> i64 {
    app.store
        .ledger_accounts()
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.id == id)
        .map_or(0, |a| a.balance.posted())
}

async fn assert_ledger_balanced(app: &TestApp) {
    let accounts = app.store.ledger_accounts().await.unwrap();
    check_invariants(accounts.iter()).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hundred_concurrent_payments_take_exactly_the_ten_uses_left() {
    let app = spawn_app().await;
    let mut c = campaign("Ten left", Funder::Platform, 5_000);
    c.total_limit = Some(12);
    app.store.create_campaign(&c).await.unwrap();
    // Two uses are gone already: ten are left.
    let mut early = Vec::new();
    for i in 0..2 {
        let cust = customer(
            &format!("early{i}@example.id"),
            &format!("+62813000001{i:02}"),
            "Early Bird",
        );
        app.store.insert_customer(&cust, "x", false).await.unwrap();
        early.push(cust.id);
    }
    let mut customers = Vec::new();
    for i in 0..100 {
        let cust = customer(
            &format!("crowd{i}@example.id"),
            &format!("+62812000000{i:02}"),
            "Crowd Member",
        );
        app.store.insert_customer(&cust, "x", false).await.unwrap();
        customers.push(cust.id);
    }
    let merchant = app.accounts.merchant.id.clone();
    for cust in early.iter().chain(&customers) {
        top_up(&app, cust, 100_000).await;
    }
    for cust in &early {
        let coupon = app
            .store
            .issue_coupon(&c.id, cust, server::now_us())
            .await
            .unwrap();
        let out = app
            .store
            .checkout(
                &pay(cust, &merchant, 20_000, &[&coupon.id]),
                server::now_us(),
            )
            .await
            .unwrap();
        assert_eq!(out.transaction.status, TransactionStatus::Succeeded);
    }
    let mut tasks = Vec::new();
    for cust in customers {
        let coupon = app
            .store
            .issue_coupon(&c.id, &cust, server::now_us())
            .await
            .unwrap();
        let store = app.store.clone();
        let m = merchant.clone();
        tasks.push(tokio::spawn(async move {
            store
                .checkout(&pay(&cust, &m, 20_000, &[&coupon.id]), server::now_us())
                .await
                .unwrap()
        }));
    }
    let mut succeeded = 0;
    let mut refused = 0;
    for t in tasks {
        let out = t.await.unwrap();
        match out.transaction.status {
            TransactionStatus::Succeeded => {
                succeeded += 1;
                assert_eq!(out.transaction.amount, idr(15_000));
                assert_eq!(out.evaluation.platform_discount, idr(5_000));
            }
            TransactionStatus::Failed => {
                refused += 1;
                assert_eq!(
                    out.transaction.failure_reason,
                    Some(FailureReason::CouponNotApplicable)
                );
                // The stored evaluation says why: everyone used it up.
                let stored = app
                    .store
                    .payment_evaluation(&out.transaction.id)
                    .await
                    .unwrap();
                assert!(matches!(
                    &stored.evaluation.results[0].outcome,
                    Outcome::NotApplicable { reasons }
                        if reasons == &vec![Reason::CampaignLimitReached { limit: 12 }]
                ));
            }
            other => panic!("unexpected status {other:?}"),
        }
    }
    assert_eq!((succeeded, refused), (10, 90));
    let usage = app.store.campaign_usage(&c.id).await.unwrap();
    assert_eq!(usage.uses, 12);
    assert_eq!(usage.spent_minor, idr(60_000).minor);
    assert_eq!(
        balance_of(&app, "system:coupon_funding:IDR").await,
        -idr(60_000).minor
    );
    assert_eq!(
        balance_of(&app, &format!("merchant:{merchant}:IDR")).await,
        idr(12 * 20_000).minor,
        "the merchant receives the full price of every discounted payment"
    );
    assert_ledger_balanced(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_customer_paying_twenty_times_at_once_uses_the_coupon_only_as_often_as_allowed() {
    let app = spawn_app().await;
    let mut c = campaign(
        "Twice",
        Funder::Merchant(app.accounts.merchant.id.clone()),
        1_000,
    );
    c.per_customer_limit = 2;
    app.store.create_campaign(&c).await.unwrap();
    let siti = app.accounts.customer.id.clone();
    let coupon = app
        .store
        .issue_coupon(&c.id, &siti, server::now_us())
        .await
        .unwrap();
    top_up(&app, &siti, 1_000_000).await;
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let store = app.store.clone();
            let req = pay(&siti, &app.accounts.merchant.id, 10_000, &[&coupon.id]);
            tokio::spawn(async move { store.checkout(&req, server::now_us()).await.unwrap() })
        })
        .collect();
    let mut ok = 0;
    for t in tasks {
        if t.await.unwrap().transaction.status == TransactionStatus::Succeeded {
            ok += 1;
        }
    }
    assert_eq!(ok, 2);
    assert_eq!(
        app.store.customer_coupons(&siti).await.unwrap()[0].customer_uses,
        2
    );
    assert_eq!(app.store.campaign_usage(&c.id).await.unwrap().uses, 2);
    assert_ledger_balanced(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn full_refunds_and_checkouts_of_one_campaign_race_without_losing_a_use() {
    let app = spawn_app().await;
    let mut c = campaign("Race", Funder::Platform, 2_000);
    c.total_limit = Some(30);
    app.store.create_campaign(&c).await.unwrap();
    let merchant = app.accounts.merchant.id.clone();
    let mut paid = Vec::new();
    let mut waiting = Vec::new();
    for i in 0..20 {
        let cust = customer(
            &format!("race{i}@example.id"),
            &format!("+62815000000{i:02}"),
            "Racer",
        );
        app.store.insert_customer(&cust, "x", false).await.unwrap();
        top_up(&app, &cust.id, 100_000).await;
        let coupon = app
            .store
            .issue_coupon(&c.id, &cust.id, server::now_us())
            .await
            .unwrap();
        if i < 10 {
            let out = app
                .store
                .checkout(
                    &pay(&cust.id, &merchant, 10_000, &[&coupon.id]),
                    server::now_us(),
                )
                .await
                .unwrap();
            assert_eq!(out.transaction.status, TransactionStatus::Succeeded);
            paid.push(out.transaction);
        } else {
            waiting.push((cust.id, coupon.id));
        }
    }
    let mut tasks = Vec::new();
    for t in paid {
        let store = app.store.clone();
        tasks.push(tokio::spawn(async move {
            let r = store
                .request_refund(
                    &t.id,
                    t.amount.minor,
                    RefundReason::Cancelled,
                    server::now_us(),
                )
                .await
                .unwrap();
            r.status == domain::wallet::RefundStatus::Succeeded
        }));
    }
    for (cust, coupon) in waiting {
        let store = app.store.clone();
        let m = merchant.clone();
        tasks.push(tokio::spawn(async move {
            store
                .checkout(&pay(&cust, &m, 10_000, &[&coupon]), server::now_us())
                .await
                .unwrap()
                .transaction
                .status
                == TransactionStatus::Succeeded
        }));
    }
    for t in tasks {
        assert!(t.await.unwrap(), "every refund and checkout went through");
    }
    // Ten uses given back, ten taken: ten in use, and the platform paid for ten.
    let usage = app.store.campaign_usage(&c.id).await.unwrap();
    assert_eq!((usage.uses, usage.spent_minor), (10, idr(20_000).minor));
    assert_eq!(
        balance_of(&app, "system:coupon_funding:IDR").await,
        -idr(20_000).minor
    );
    assert_ledger_balanced(&app).await;
}

#[tokio::test]
async fn a_failed_payment_releases_its_reservation() {
    let app = spawn_app().await;
    let mut c = campaign(
        "Merchant 20%",
        Funder::Merchant(app.accounts.merchant.id.clone()),
        0,
    );
    c.discount = Discount::Percent {
        basis_points: 2_000,
        cap_minor: Some(idr(8_000).minor),
    };
    c.total_limit = Some(1);
    c.budget_minor = Some(idr(8_000).minor);
    app.store.create_campaign(&c).await.unwrap();
    let siti = app.accounts.customer.id.clone();
    let merchant = app.accounts.merchant.id.clone();
    let coupon = app
        .store
        .issue_coupon(&c.id, &siti, server::now_us())
        .await
        .unwrap();
    top_up(&app, &siti, 10_000).await;
    let nonzero = |accounts: Vec<domain::ledger::LedgerAccount>| {
        accounts
            .into_iter()
            .filter(|a| a.balance != Default::default())
            .collect::<Vec<_>>()
    };
    let before = nonzero(app.store.ledger_accounts().await.unwrap());
    let failed = app
        .store
        .checkout(
            &pay(&siti, &merchant, 50_000, &[&coupon.id]),
            server::now_us(),
        )
        .await
        .unwrap();
    assert_eq!(failed.transaction.status, TransactionStatus::Failed);
    assert_eq!(
        failed.transaction.failure_reason,
        Some(FailureReason::InsufficientBalance)
    );
    assert_eq!(
        nonzero(app.store.ledger_accounts().await.unwrap()),
        before,
        "a refused payment moves nothing"
    );
    let usage = app.store.campaign_usage(&c.id).await.unwrap();
    assert_eq!(
        (usage.uses, usage.spent_minor),
        (0, 0),
        "reservation released"
    );
    let held = app.store.customer_coupons(&siti).await.unwrap();
    assert_eq!(held[0].customer_uses, 0);
    // With money, the same coupon works: the merchant receives less, no platform money.
    top_up(&app, &siti, 100_000).await;
    let ok = app
        .store
        .checkout(
            &pay(&siti, &merchant, 50_000, &[&coupon.id]),
            server::now_us(),
        )
        .await
        .unwrap();
    assert_eq!(ok.transaction.status, TransactionStatus::Succeeded);
    assert_eq!(ok.transaction.amount, idr(42_000));
    assert_eq!(ok.evaluation.merchant_discount, idr(8_000));
    assert_eq!(
        balance_of(&app, &format!("merchant:{merchant}:IDR")).await,
        idr(42_000).minor
    );
    assert_eq!(balance_of(&app, "system:coupon_funding:IDR").await, 0);
    assert_ledger_balanced(&app).await;
}

#[tokio::test]
async fn a_held_payment_keeps_its_coupon_reserved_until_captured_voided_or_expired() {
    let app = spawn_app().await;
    let mut c = campaign("Held 10k", Funder::Platform, 10_000);
    c.per_customer_limit = 3;
    app.store.create_campaign(&c).await.unwrap();
    let siti = app.accounts.customer.id.clone();
    let merchant = app.accounts.merchant.id.clone();
    let coupon = app
        .store
        .issue_coupon(&c.id, &siti, server::now_us())
        .await
        .unwrap();
    top_up(&app, &siti, 200_000).await;
    let held = |minutes| CheckoutRequest {
        hold_minutes: Some(minutes),
        ..pay(&siti, &merchant, 50_000, &[&coupon.id])
    };
    let uses = || async { app.store.campaign_usage(&c.id).await.unwrap().uses };
    let funding = || balance_of(&app, "system:coupon_funding:IDR");

    // Voided: the use comes back, nothing moved.
    let t = app
        .store
        .checkout(&held(30), server::now_us())
        .await
        .unwrap();
    assert_eq!(t.transaction.status, TransactionStatus::Pending);
    assert_eq!(uses().await, 1, "reserved while held");
    assert_eq!(
        app.store
            .wallet_balance(&siti, Currency::IDR)
            .await
            .unwrap()
            .available(),
        idr(160_000).minor
    );
    app.store
        .void_payment(&t.transaction.id, server::now_us())
        .await
        .unwrap();
    assert_eq!(uses().await, 0, "released on void");
    assert_eq!(funding().await, 0);

    // Expired: the same.
    let now = server::now_us();
    let t = app.store.checkout(&held(1), now).await.unwrap();
    assert_eq!(uses().await, 1);
    assert_eq!(
        app.store.expire_holds(now + 120_000_000, 10).await.unwrap(),
        1
    );
    assert_eq!(uses().await, 0, "released on expiry");
    assert_eq!(
        app.store
            .transaction(&t.transaction.id)
            .await
            .unwrap()
            .status,
        TransactionStatus::Failed
    );

    // Captured: only in full; then the use is spent and the platform pays its part.
    let t = app
        .store
        .checkout(&held(30), server::now_us())
        .await
        .unwrap();
    let partial = app
        .store
        .capture_payment(&t.transaction.id, Some(idr(10_000).minor), server::now_us())
        .await;
    assert!(matches!(
        partial,
        Err(domain::repo::RepoError::InvalidState(_))
    ));
    app.store
        .capture_payment(&t.transaction.id, None, server::now_us())
        .await
        .unwrap();
    assert_eq!(uses().await, 1);
    assert_eq!(funding().await, -idr(10_000).minor);
    assert_eq!(
        balance_of(&app, &format!("merchant:{merchant}:IDR")).await,
        idr(50_000).minor
    );
    assert_eq!(
        app.store
            .wallet_balance(&siti, Currency::IDR)
            .await
            .unwrap()
            .posted(),
        idr(160_000).minor
    );
    let accounts = app.store.ledger_accounts().await.unwrap();
    assert!(
        accounts
            .iter()
            .all(|a| a.balance.debits_pending == 0 && a.balance.credits_pending == 0)
    );
    assert_ledger_balanced(&app).await;
}

#[tokio::test]
async fn a_full_refund_gives_the_coupon_back_and_a_partial_one_does_not() {
    let app = spawn_app().await;
    let c = campaign("Platform 10k", Funder::Platform, 10_000);
    app.store.create_campaign(&c).await.unwrap();
    let siti = app.accounts.customer.id.clone();
    let merchant = app.accounts.merchant.id.clone();
    let coupon = app
        .store
        .issue_coupon(&c.id, &siti, server::now_us())
        .await
        .unwrap();
    top_up(&app, &siti, 100_000).await;
    let paid = app
        .store
        .checkout(
            &pay(&siti, &merchant, 50_000, &[&coupon.id]),
            server::now_us(),
        )
        .await
        .unwrap();
    assert_eq!(paid.transaction.amount, idr(40_000));
    let merchant_acc = format!("merchant:{merchant}:IDR");
    assert_eq!(balance_of(&app, &merchant_acc).await, idr(50_000).minor);
    // Partial refund: the coupon stays used.
    let r1 = app
        .store
        .request_refund(
            &paid.transaction.id,
            idr(10_000).minor,
            RefundReason::Damaged,
            server::now_us(),
        )
        .await
        .unwrap();
    assert_eq!(r1.status, domain::wallet::RefundStatus::Succeeded);
    assert_eq!(
        app.store.customer_coupons(&siti).await.unwrap()[0].customer_uses,
        1
    );
    // The rest: refunded in full, the coupon and the platform's money come back.
    let r2 = app
        .store
        .request_refund(
            &paid.transaction.id,
            idr(30_000).minor,
            RefundReason::Damaged,
            server::now_us(),
        )
        .await
        .unwrap();
    assert_eq!(r2.status, domain::wallet::RefundStatus::Succeeded);
    assert_eq!(
        app.store.customer_coupons(&siti).await.unwrap()[0].customer_uses,
        0
    );
    let usage = app.store.campaign_usage(&c.id).await.unwrap();
    assert_eq!((usage.uses, usage.spent_minor), (0, 0));
    assert_eq!(balance_of(&app, "system:coupon_funding:IDR").await, 0);
    assert_eq!(balance_of(&app, &merchant_acc).await, 0);
    assert_eq!(
        app.store
            .wallet_balance(&siti, Currency::IDR)
            .await
            .unwrap()
            .posted(),
        idr(100_000).minor
    );
    assert_eq!(
        app.store
            .transaction(&paid.transaction.id)
            .await
            .unwrap()
            .status,
        TransactionStatus::Reversed
    );
    assert_ledger_balanced(&app).await;
    // And the coupon can be used again.
    let again = app
        .store
        .checkout(
            &pay(&siti, &merchant, 50_000, &[&coupon.id]),
            server::now_us(),
        )
        .await
        .unwrap();
    assert_eq!(again.transaction.status, TransactionStatus::Succeeded);
}

#[tokio::test]
async fn a_stored_evaluation_replays_exactly_and_explains_an_unchosen_coupon() {
    let app = spawn_app().await;
    let siti = app.accounts.customer.id.clone();
    let merchant = app.accounts.merchant.id.clone();
    let mut big = campaign("Big spender", Funder::Platform, 15_000);
    big.min_spend_minor = idr(65_000).minor;
    app.store.create_campaign(&big).await.unwrap();
    let small = campaign("Small", Funder::Platform, 2_000);
    app.store.create_campaign(&small).await.unwrap();
    let big_coupon = app
        .store
        .issue_coupon(&big.id, &siti, server::now_us())
        .await
        .unwrap();
    let small_coupon = app
        .store
        .issue_coupon(&small.id, &siti, server::now_us())
        .await
        .unwrap();
    top_up(&app, &siti, 100_000).await;
    let out = app
        .store
        .checkout(
            &pay(&siti, &merchant, 50_000, &[&small_coupon.id]),
            server::now_us(),
        )
        .await
        .unwrap();
    assert_eq!(out.transaction.amount, idr(48_000));
    let stored = app
        .store
        .payment_evaluation(&out.transaction.id)
        .await
        .unwrap();
    assert_eq!(
        evaluate(&stored.input),
        stored.evaluation,
        "replays exactly"
    );
    assert_eq!(stored.evaluation, out.evaluation);
    let why = stored
        .evaluation
        .results
        .iter()
        .find(|r| r.key == big_coupon.id)
        .unwrap();
    assert!(!why.chosen);
    assert_eq!(
        why.outcome,
        Outcome::NotApplicable {
            reasons: vec![Reason::MinimumSpend {
                minimum: idr(65_000),
                short_by: idr(15_000)
            }]
        }
    );
}

// ---------------------------------------------------------------------------- the API

async fn post_key(app: &TestApp, path: &str, token: &str, key: &str, body: Value) -> Answer {
    let req = axum::http::Request::builder()
        .method(Method::POST)
        .uri(path)
        .header("authorization", format!("Bearer {token}"))
        .header("idempotency-key", key)
        .header("content-type", "application/json")
        .body(axum::body::Body::from(body.to_string()))
        .unwrap();
    app.send(req).await
}

async fn api_campaign(app: &TestApp, admin: &str, body: Value) -> Value {
    let a = post_key(
        app,
        "/api/v1/coupon-campaigns",
        admin,
        &uuid::Uuid::now_v7().to_string(),
        body,
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    a.json()
}

fn dates() -> (String, String) {
    let today = jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::get("Asia/Jakarta").unwrap())
        .date();
    (
        today.yesterday().unwrap().to_string(),
        today
            .checked_add(jiff::Span::new().days(30))
            .unwrap()
            .to_string(),
    )
}

fn reason_codes(verdict: &Value) -> Vec<String> {
    verdict["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["detail"]["reason"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn customers_claim_a_code_see_why_it_does_not_apply_and_pay_with_it() {
    let app = spawn_app().await;
    let admin = app.staff_token(&app.accounts.admin).await;
    let siti = app.customer_token().await;
    let (from, until) = dates();
    let c = api_campaign(
        &app,
        &admin,
        json!({"name": "Lunch 10k", "amount_minor": 10_000_00, "min_spend_minor": 30_000_00,
               "valid_from": from, "valid_until": until, "categories": ["food"], "code": "lunch10"}),
    )
    .await;
    assert_eq!(c["status"], "active");
    let claimed = app
        .call(
            Method::POST,
            "/api/v1/me/coupons",
            Some(&siti),
            Some(json!({"code": " Lunch10 "})),
        )
        .await;
    assert_eq!(claimed.status, StatusCode::CREATED, "{}", claimed.body);
    let coupon = claimed.json()["id"].as_str().unwrap().to_owned();
    let wallet = app.get("/api/v1/me/coupons", Some(&siti)).await.json();
    assert_eq!(wallet[0]["bucket"], "available");
    let rules = wallet[0]["rules"].to_string();
    assert!(
        rules.contains("For payments of IDR 30,000 or more"),
        "{rules}"
    );
    assert!(rules.contains("Only at Food merchants"), "{rules}");
    assert!(rules.contains("refunded in full"), "{rules}");
    top_up(&app, &app.accounts.customer.id, 100_000).await;
    let merchant = app.accounts.merchant.id.to_string();
    // Can I use it here, for IDR 20,000?
    let e = app
        .call(
            Method::POST,
            "/api/v1/coupons/evaluate",
            Some(&siti),
            Some(
                json!({"merchant_id": merchant, "amount_minor": 20_000_00, "coupon_ids": [coupon]}),
            ),
        )
        .await;
    assert_eq!(e.status, StatusCode::OK, "{}", e.body);
    let e = e.json();
    assert_eq!(reason_codes(&e["coupons"][0]), vec!["minimum_spend"]);
    assert_eq!(
        e["coupons"][0]["reasons"][0]["text"],
        "Spend IDR 10,000 more (the minimum is IDR 30,000)."
    );
    // Paying with it anyway charges nothing and is recorded with its reason.
    let refused = post_key(
        &app,
        "/api/v1/checkout",
        &siti,
        "pay-1",
        json!({"merchant_id": merchant, "amount_minor": 20_000_00, "coupon_ids": [coupon]}),
    )
    .await;
    let p = refused.assert_problem(422, "transaction_failed");
    let failed_id = p["transaction"]["id"].as_str().unwrap().to_owned();
    let why = app
        .get(
            &format!("/api/v1/transactions/{failed_id}/coupon-evaluation"),
            Some(&siti),
        )
        .await
        .json();
    assert_eq!(
        reason_codes(&why["evaluation"]["coupons"][0]),
        vec!["minimum_spend"]
    );
    assert_eq!(
        app.store
            .wallet_balance(&app.accounts.customer.id, Currency::IDR)
            .await
            .unwrap()
            .posted(),
        idr(100_000).minor
    );
    // At IDR 50,000 it applies.
    let paid = post_key(
        &app,
        "/api/v1/checkout",
        &siti,
        "pay-2",
        json!({"merchant_id": merchant, "amount_minor": 50_000_00, "coupon_ids": [coupon], "description": "Nasi goreng"}),
    )
    .await;
    assert_eq!(paid.status, StatusCode::CREATED, "{}", paid.body);
    let paid = paid.json();
    assert_eq!(paid["transaction"]["amount_minor"], 40_000_00);
    assert_eq!(paid["evaluation"]["platform_discount_minor"], 10_000_00);
    let tx = paid["transaction"]["id"].as_str().unwrap();
    // The agent sees the same evaluation, replayed from its stored input.
    let agent = app.staff_token(&app.accounts.agent).await;
    let seen = app
        .get(
            &format!("/api/v1/transactions/{tx}/coupon-evaluation"),
            Some(&agent),
        )
        .await
        .json();
    assert_eq!(seen["replay_matches"], true);
    assert_eq!(seen["evaluation"]["coupons"][0]["applicable"], true);
    let wallet = app.get("/api/v1/me/coupons", Some(&siti)).await.json();
    assert_eq!(wallet[0]["bucket"], "used");
    let listed = app
        .get("/api/v1/coupon-campaigns", Some(&admin))
        .await
        .json();
    assert_eq!(listed[0]["uses"], 1);
    assert_eq!(listed[0]["spent_minor"], 10_000_00);
}

#[tokio::test]
async fn a_customer_cannot_see_or_use_another_customers_coupons_or_evaluations() {
    let app = spawn_app().await;
    let c = campaign("Budi's", Funder::Platform, 5_000);
    app.store.create_campaign(&c).await.unwrap();
    let budi = app.accounts.other_customer.id.clone();
    let budis = app
        .store
        .issue_coupon(&c.id, &budi, server::now_us())
        .await
        .unwrap();
    top_up(&app, &budi, 100_000).await;
    let budi_paid = app
        .store
        .checkout(
            &pay(&budi, &app.accounts.merchant.id, 20_000, &[&budis.id]),
            server::now_us(),
        )
        .await
        .unwrap();
    top_up(&app, &app.accounts.customer.id, 100_000).await;
    let siti = app.customer_token().await;
    let merchant = app.accounts.merchant.id.to_string();
    // Using Budi's coupon: refused, and the reason does not say whose it is.
    let refused = post_key(
        &app,
        "/api/v1/checkout",
        &siti,
        "steal",
        json!({"merchant_id": merchant, "amount_minor": 20_000_00, "coupon_ids": [budis.id]}),
    )
    .await;
    let p = refused.assert_problem(422, "transaction_failed");
    assert_eq!(p["transaction"]["failure_reason"], "coupon_not_applicable");
    let tx = p["transaction"]["id"].as_str().unwrap().to_owned();
    let mine = app
        .get(
            &format!("/api/v1/transactions/{tx}/coupon-evaluation"),
            Some(&siti),
        )
        .await
        .json();
    let verdict = &mine["evaluation"]["coupons"][0];
    assert_eq!(reason_codes(verdict), vec!["code_not_valid"]);
    assert!(verdict["name"].is_null());
    assert!(!mine.to_string().contains("Budi's"));
    let agent = app.staff_token(&app.accounts.agent).await;
    let full = app
        .get(
            &format!("/api/v1/transactions/{tx}/coupon-evaluation"),
            Some(&agent),
        )
        .await
        .json();
    assert_eq!(
        reason_codes(&full["evaluation"]["coupons"][0]),
        vec!["not_held", "customer_limit_reached"]
    );
    // Budi's payment, its evaluation and his coupons stay out of Siti's reach.
    app.get(
        &format!(
            "/api/v1/transactions/{}/coupon-evaluation",
            budi_paid.transaction.id
        ),
        Some(&siti),
    )
    .await
    .assert_problem(404, "not_found");
    app.call(
        Method::POST,
        "/api/v1/coupons/evaluate",
        Some(&siti),
        Some(
            json!({"customer_id": budi.to_string(), "merchant_id": merchant, "amount_minor": 1000}),
        ),
    )
    .await
    .assert_problem(404, "not_found");
    app.get(&format!("/api/v1/customers/{budi}/coupons"), Some(&siti))
        .await
        .assert_problem(403, "forbidden");
    let mine = app.get("/api/v1/me/coupons", Some(&siti)).await.json();
    assert_eq!(mine.as_array().unwrap().len(), 0);
    // Merchant staff see no customer's coupons and no evaluation.
    let merchant_staff = app.staff_token(&app.accounts.merchant_staff).await;
    app.get(
        &format!("/api/v1/transactions/{tx}/coupon-evaluation"),
        Some(&merchant_staff),
    )
    .await
    .assert_problem(403, "forbidden");
    // Support sees Budi's coupons.
    let his = app
        .get(&format!("/api/v1/customers/{budi}/coupons"), Some(&agent))
        .await
        .json();
    assert_eq!(his[0]["bucket"], "used");
}

#[tokio::test]
async fn customers_cannot_tell_an_unknown_code_from_one_that_fails() {
    let app = spawn_app().await;
    let mut paused = campaign("Secret sale", Funder::Platform, 5_000);
    paused.code = Some("SECRET-50".into());
    paused.status = CampaignStatus::Paused;
    app.store.create_campaign(&paused).await.unwrap();
    let siti = app.customer_token().await;
    let merchant = app.accounts.merchant.id.to_string();
    let try_code = |code: &'static str, token: String, customer: Option<String>| {
        let merchant = merchant.clone();
        let app = &app;
        async move {
            let mut body =
                json!({"merchant_id": merchant, "amount_minor": 50_000_00, "code": code});
            if let Some(c) = customer {
                body["customer_id"] = json!(c);
            }
            let a = app
                .call(
                    Method::POST,
                    "/api/v1/coupons/evaluate",
                    Some(&token),
                    Some(body),
                )
                .await;
            assert_eq!(a.status, StatusCode::OK, "{}", a.body);
            a.json()["coupons"][0].clone()
        }
    };
    let unknown = try_code("NOPE-0000", siti.clone(), None).await;
    let known = try_code("secret-50", siti.clone(), None).await;
    assert_eq!(reason_codes(&unknown), vec!["code_not_valid"]);
    assert_eq!(unknown["reasons"], known["reasons"]);
    assert_eq!(unknown["name"], known["name"]);
    for code in ["NOPE-0000", "SECRET-50"] {
        app.call(
            Method::POST,
            "/api/v1/me/coupons",
            Some(&siti),
            Some(json!({ "code": code })),
        )
        .await
        .assert_problem(404, "not_found");
    }
    let agent = app.staff_token(&app.accounts.agent).await;
    let siti_id = Some(app.accounts.customer.id.to_string());
    let unknown = try_code("NOPE-0000", agent.clone(), siti_id.clone()).await;
    assert_eq!(reason_codes(&unknown), vec!["unknown_code"]);
    let known = try_code("SECRET-50", agent, siti_id).await;
    assert_eq!(reason_codes(&known), vec!["not_held", "paused"]);
}

#[tokio::test]
async fn admins_pause_resume_and_end_campaigns_and_see_usage_and_budget() {
    let app = spawn_app().await;
    let admin = app.staff_token(&app.accounts.admin).await;
    let (from, until) = dates();
    let c = api_campaign(
        &app,
        &admin,
        json!({"name": "Merchant 20%", "funder": "merchant", "funder_merchant_id": app.accounts.merchant.id.to_string(),
               "percent_basis_points": 2000, "cap_minor": 8_000_00, "budget_minor": 20_000_00,
               "valid_from": from, "valid_until": until, "total_limit": 100}),
    )
    .await;
    let id = c["campaign"]["id"].as_str().unwrap().to_owned();
    let issued = app
        .call(
            Method::POST,
            &format!("/api/v1/coupon-campaigns/{id}/coupons"),
            Some(&admin),
            Some(json!({"customer_id": app.accounts.customer.id.to_string()})),
        )
        .await;
    assert_eq!(issued.status, StatusCode::CREATED, "{}", issued.body);
    let coupon = issued.json()["id"].as_str().unwrap().to_owned();
    let status = |s: &'static str| {
        let app = &app;
        let admin = admin.clone();
        let id = id.clone();
        async move {
            app.call(
                Method::POST,
                &format!("/api/v1/coupon-campaigns/{id}/status"),
                Some(&admin),
                Some(json!({ "status": s })),
            )
            .await
        }
    };
    assert_eq!(status("paused").await.json()["status"], "paused");
    let siti = app.customer_token().await;
    let check = || {
        let app = &app;
        let siti = siti.clone();
        let coupon = coupon.clone();
        async move {
            app.call(
                Method::POST,
                "/api/v1/coupons/evaluate",
                Some(&siti),
                Some(json!({"merchant_id": app.accounts.merchant.id.to_string(), "amount_minor": 50_000_00, "coupon_ids": [coupon]})),
            )
            .await
            .json()
        }
    };
    assert_eq!(reason_codes(&check().await["coupons"][0]), vec!["paused"]);
    assert_eq!(status("active").await.status, StatusCode::OK);
    let e = check().await;
    assert_eq!(e["coupons"][0]["discount_minor"], 8_000_00);
    assert_eq!(e["merchant_discount_minor"], 8_000_00);
    assert_eq!(e["best"][0], coupon);
    top_up(&app, &app.accounts.customer.id, 100_000).await;
    let paid = post_key(
        &app,
        "/api/v1/checkout",
        &siti,
        "pay",
        json!({"merchant_id": app.accounts.merchant.id.to_string(), "amount_minor": 50_000_00, "coupon_ids": [coupon]}),
    )
    .await;
    assert_eq!(paid.status, StatusCode::CREATED, "{}", paid.body);
    let listed = app
        .get("/api/v1/coupon-campaigns", Some(&admin))
        .await
        .json();
    assert_eq!(listed[0]["uses"], 1);
    assert_eq!(listed[0]["budget_left_minor"], 12_000_00);
    assert_eq!(listed[0]["holders"], 1);
    assert_eq!(status("ended").await.json()["status"], "ended");
    status("active").await.assert_problem(409, "invalid_state");
}

#[tokio::test]
async fn bad_coupon_input_gets_a_problem_and_changes_nothing() {
    let app = spawn_app().await;
    let admin = app.staff_token(&app.accounts.admin).await;
    let siti = app.customer_token().await;
    // No idempotency key on a payment.
    app.call(
        Method::POST,
        "/api/v1/checkout",
        Some(&siti),
        Some(json!({"merchant_id": app.accounts.merchant.id.to_string(), "amount_minor": 1000})),
    )
    .await
    .assert_problem(400, "idempotency_key_required");
    let a = post_key(
        &app,
        "/api/v1/checkout",
        &siti,
        "bad-1",
        json!({"merchant_id": "not-a-merchant", "amount_minor": 0, "payment_type": "cheque"}),
    )
    .await;
    assert_eq!(
        a.invalid_fields(),
        vec!["amount_minor", "payment_type", "merchant_id"]
    );
    post_key(
        &app,
        "/api/v1/checkout",
        &siti,
        "bad-2",
        json!({"merchant_id": domain::MerchantId::new().to_string(), "amount_minor": 1000}),
    )
    .await
    .assert_problem(404, "not_found");
    let req = axum::http::Request::builder()
        .method(Method::POST)
        .uri("/api/v1/coupons/evaluate")
        .header("authorization", format!("Bearer {siti}"))
        .header("content-type", "application/json")
        .body(axum::body::Body::from("{\"merchant_id\": "))
        .unwrap();
    app.send(req).await.assert_problem(400, "bad_request");
    app.call(
        Method::POST,
        "/api/v1/coupons/evaluate",
        Some(&siti),
        Some(json!({"merchant_id": app.accounts.merchant.id.to_string(), "amount_minor": 1000, "surprise": 1})),
    )
    .await
    .assert_problem(422, "validation_failed");
    let bad = post_key(
        &app,
        "/api/v1/coupon-campaigns",
        &admin,
        "bad-campaign",
        json!({"name": "", "percent_basis_points": 20000, "valid_from": "2026-13-01", "valid_until": "soon",
               "per_customer_limit": 0, "code": "no spaces please", "funder": "bank"}),
    )
    .await;
    assert_eq!(
        bad.invalid_fields(),
        vec![
            "funder",
            "valid_from",
            "valid_until",
            "name",
            "discount",
            "per_customer_limit",
            "code"
        ]
    );
    let backwards = post_key(
        &app,
        "/api/v1/coupon-campaigns",
        &admin,
        "backwards",
        json!({"name": "Backwards", "amount_minor": 100, "valid_from": "2026-12-31", "valid_until": "2026-12-01"}),
    )
    .await;
    assert_eq!(backwards.invalid_fields(), vec!["valid_until"]);
    assert!(
        app.get("/api/v1/coupon-campaigns", Some(&admin))
            .await
            .json()
            .as_array()
            .unwrap()
            .is_empty(),
        "nothing was created"
    );
    // A taken code is a conflict.
    let (from, until) = dates();
    let body = json!({"name": "A", "amount_minor": 100, "valid_from": from, "valid_until": until, "code": "TAKEN-1"});
    api_campaign(&app, &admin, body.clone()).await;
    post_key(&app, "/api/v1/coupon-campaigns", &admin, "taken-2", body)
        .await
        .assert_problem(409, "already_exists");
    app.call(
        Method::POST,
        &format!("/api/v1/coupon-campaigns/{}/status", uuid::Uuid::now_v7()),
        Some(&admin),
        Some(json!({"status": "bogus"})),
    )
    .await
    .assert_problem(422, "validation_failed");
}

// ---------------------------------------------------------------------------- pages

#[tokio::test]
async fn the_checkout_page_shows_each_coupons_verdict_and_pays_with_the_chosen_one() {
    let app = spawn_app().await;
    let siti = app.accounts.customer.id.clone();
    let mut lunch = campaign("Lunch 10k", Funder::Platform, 10_000);
    lunch.categories = vec!["food".into()];
    app.store.create_campaign(&lunch).await.unwrap();
    let mut big = campaign("Big spender", Funder::Platform, 25_000);
    big.min_spend_minor = idr(200_000).minor;
    app.store.create_campaign(&big).await.unwrap();
    let lunch_c = app
        .store
        .issue_coupon(&lunch.id, &siti, server::now_us())
        .await
        .unwrap();
    let big_c = app
        .store
        .issue_coupon(&big.id, &siti, server::now_us())
        .await
        .unwrap();
    top_up(&app, &siti, 100_000).await;
    let cookie = app.page_session("/signin", "siti@example.id").await;
    let wallet = app.page("/coupons", Some(&cookie)).await;
    assert_eq!(wallet.status, StatusCode::OK);
    assert!(wallet.body.contains("data-testid=\"bucket-available\""));
    assert!(wallet.body.contains("Lunch 10k"));
    let merchant = app.accounts.merchant.id.to_string();
    let check = app
        .page(
            &format!(
                "/pay?merchant={merchant}&amount=50000&type=qr&coupon={}&coupon={}",
                big_c.id, lunch_c.id
            ),
            Some(&cookie),
        )
        .await;
    assert_eq!(check.status, StatusCode::OK);
    assert!(
        check
            .body
            .contains("Spend IDR 150,000 more (the minimum is IDR 200,000)."),
        "{}",
        check.body
    );
    assert!(check.body.contains("data-testid=\"cannot-pay\""));
    // Only the lunch coupon: it applies, and paying takes its discount off.
    let check = app
        .page(
            &format!(
                "/pay?merchant={merchant}&amount=50000&coupon={}",
                lunch_c.id
            ),
            Some(&cookie),
        )
        .await;
    assert!(check.body.contains("IDR 40,000"), "{}", check.body);
    let csrf = csrf_of(&check.body);
    let key_at = check.body.find("name=\"pay_key\" value=\"").unwrap() + 22;
    let pay_key = check.body[key_at..key_at + check.body[key_at..].find('"').unwrap()].to_owned();
    let pay_form = [
        ("csrf", csrf.as_str()),
        ("merchant", merchant.as_str()),
        ("amount", "50000"),
        ("type", "qr"),
        ("coupon", lunch_c.id.as_str()),
        ("pay_key", pay_key.as_str()),
    ];
    let paid = app.post_form("/pay", &pay_form, Some(&cookie)).await;
    assert_eq!(paid.status, StatusCode::SEE_OTHER, "{}", paid.body);
    let to = paid.header("location").to_owned();
    assert!(to.starts_with("/wallet/tx/"), "{to}");
    // The same form sent again (a double click, a reload) pays nothing more: it leads
    // to the first payment.
    let again = app.post_form("/pay", &pay_form, Some(&cookie)).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER, "{}", again.body);
    assert_eq!(
        again.header("location"),
        to.split('?').next().unwrap(),
        "the same payment"
    );
    let tx_page = app.page(&to, Some(&cookie)).await;
    assert!(tx_page.body.contains("IDR 40,000"));
    // The customer's own payment page says what the coupon took off.
    assert!(
        tx_page
            .body
            .contains("data-testid=\"tx-coupon-discount\">IDR 10,000<"),
        "{}",
        tx_page.body
    );
    // A refused payment comes back to the checkout with its reason; nothing charged.
    let refused = app
        .post_form(
            "/pay",
            &[
                ("csrf", &csrf),
                ("merchant", &merchant),
                ("amount", "50000"),
                ("coupon", &lunch_c.id),
            ],
            Some(&cookie),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("data-testid=\"pay-failed\""));
    assert!(
        refused.body.contains("Used 1 of 1 times."),
        "{}",
        refused.body
    );
    // The coupon's own page: rules and "can I use it here?".
    let detail = app
        .page(
            &format!("/coupons/{}?merchant={merchant}&amount=20000", big_c.id),
            Some(&cookie),
        )
        .await;
    assert!(detail.body.contains("For payments of IDR 200,000 or more."));
    assert!(detail.body.contains("refunded in full"));
    assert!(detail.body.contains("data-testid=\"verdict-no\""));
    // Bad input: a readable error, not a crash.
    let bad = app
        .page(
            &format!("/pay?merchant={merchant}&amount=abc"),
            Some(&cookie),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Another customer's coupon has no page for Siti.
    let budi = app.accounts.other_customer.id.clone();
    let budis = app
        .store
        .issue_coupon(&lunch.id, &budi, server::now_us())
        .await
        .unwrap();
    let none = app
        .page(&format!("/coupons/{}", budis.id), Some(&cookie))
        .await;
    assert_eq!(none.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn agents_see_a_customers_coupons_and_why_a_payment_got_no_discount() {
    let app = spawn_app().await;
    let siti = app.accounts.customer.id.clone();
    let mut big = campaign("Big spender", Funder::Platform, 25_000);
    big.min_spend_minor = idr(200_000).minor;
    app.store.create_campaign(&big).await.unwrap();
    app.store
        .issue_coupon(&big.id, &siti, server::now_us())
        .await
        .unwrap();
    top_up(&app, &siti, 100_000).await;
    let paid = app
        .store
        .checkout(
            &pay(&siti, &app.accounts.merchant.id, 50_000, &[]),
            server::now_us(),
        )
        .await
        .unwrap();
    let cookie = app.page_session("/staff/signin", "agent@example.id").await;
    let list = app
        .page(&format!("/staff/customers/{siti}/coupons"), Some(&cookie))
        .await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains("Big spender"));
    // Asked by reference: "why wasn't my coupon applied to TX-…?"
    let found = app
        .page(
            &format!(
                "/staff/customers/{siti}/coupons?tx={}",
                paid.transaction.reference
            ),
            Some(&cookie),
        )
        .await;
    assert_eq!(found.status, StatusCode::SEE_OTHER);
    let eval = app.page(found.header("location"), Some(&cookie)).await;
    assert_eq!(eval.status, StatusCode::OK);
    assert!(
        eval.body.contains("Spend IDR 150,000 more"),
        "{}",
        eval.body
    );
    assert!(eval.body.contains("not chosen"));
    assert!(
        eval.body
            .contains("Replayed from the stored input: same answer.")
    );
    // Customers cannot open the agents' view.
    let customer = app.page_session("/signin", "siti@example.id").await;
    let refused = app
        .page(
            &format!("/staff/tx/{}/coupons", paid.transaction.id),
            Some(&customer),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn admins_create_pause_and_end_campaigns_on_the_page() {
    let app = spawn_app().await;
    let cookie = app.page_session("/staff/signin", "admin@example.id").await;
    let page = app.page("/staff/coupons", Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    let csrf = csrf_of(&page.body);
    let (from, until) = dates();
    let bad = app
        .post_form(
            "/staff/coupons",
            &[
                ("csrf", &csrf),
                ("name", "Weekend"),
                ("kind", "percent"),
                ("value", "two"),
                ("valid_from", &from),
                ("valid_until", &until),
            ],
            Some(&cookie),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("data-testid=\"error\""));
    let made = app
        .post_form(
            "/staff/coupons",
            &[
                ("csrf", &csrf),
                ("name", "Weekend 15%"),
                ("kind", "percent"),
                ("value", "15"),
                ("cap", "20000"),
                ("valid_from", &from),
                ("valid_until", &until),
                ("time_zone", "Asia/Jakarta"),
                ("category", "food"),
                ("type", "qr"),
                ("total_limit", "50"),
                ("budget", "500000"),
                ("code", "weekend15"),
            ],
            Some(&cookie),
        )
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let list = app.campaign_list().await;
    assert_eq!(list.len(), 1);
    let c = &list[0].campaign;
    assert_eq!(
        c.discount,
        Discount::Percent {
            basis_points: 1_500,
            cap_minor: Some(idr(20_000).minor)
        }
    );
    assert_eq!(c.code.as_deref(), Some("WEEKEND15"));
    let page = app.page("/staff/coupons", Some(&cookie)).await;
    assert!(page.body.contains("15% off, at most IDR 20,000."));
    for status in ["paused", "ended"] {
        let a = app
            .post_form(
                &format!("/staff/coupons/{}/status", c.id),
                &[("csrf", &csrf), ("status", status)],
                Some(&cookie),
            )
            .await;
        assert_eq!(a.status, StatusCode::SEE_OTHER);
    }
    let again = app
        .post_form(
            &format!("/staff/coupons/{}/status", c.id),
            &[("csrf", &csrf), ("status", "active")],
            Some(&cookie),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(
        app.campaign_list().await[0].campaign.status,
        CampaignStatus::Ended
    );
}

impl TestApp {
    async fn campaign_list(&self) -> Vec<domain::coupon::CampaignUsage> {
        self.store.campaigns().await.unwrap()
    }
}

#[tokio::test]
async fn reasons_are_worded_in_the_customers_language() {
    let app = spawn_app().await;
    let mut c = campaign("Makan siang", Funder::Platform, 10_000);
    c.min_spend_minor = idr(65_000).minor;
    c.categories = vec!["retail".into()];
    app.store.create_campaign(&c).await.unwrap();
    let coupon = app
        .store
        .issue_coupon(&c.id, &app.accounts.customer.id, server::now_us())
        .await
        .unwrap();
    let siti = app.customer_token().await;
    let mut seen = Vec::new();
    for locale in ["id", "zh-CN", "en"] {
        app.call(
            Method::PATCH,
            "/api/v1/me",
            Some(&siti),
            Some(json!({ "locale": locale })),
        )
        .await;
        let e = app
            .call(
                Method::POST,
                "/api/v1/coupons/evaluate",
                Some(&siti),
                Some(json!({"merchant_id": app.accounts.merchant.id.to_string(), "amount_minor": 50_000_00, "coupon_ids": [coupon.id]})),
            )
            .await
            .json();
        let texts: Vec<String> = e["coupons"][0]["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["text"].as_str().unwrap().to_owned())
            .collect();
        seen.push(texts);
    }
    assert_eq!(
        seen[0],
        vec![
            "Belanja IDR 15,000 lagi (minimum IDR 65,000).",
            "Hanya di merchant Toko."
        ]
    );
    assert_eq!(
        seen[1],
        vec![
            "再消费 IDR 15,000 即可使用（最低消费 IDR 65,000）。",
            "仅限零售类商户使用。"
        ]
    );
    assert_eq!(
        seen[2],
        vec![
            "Spend IDR 15,000 more (the minimum is IDR 65,000).",
            "Only at Retail merchants."
        ]
    );
}
