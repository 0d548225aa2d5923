//! Coupons: checkout through the ledger, atomic reservation under concurrency, release on
//! failure, restoration on a full refund, stored evaluations that replay exactly; the API
//! with its authorization lines; bad input.

use crate::helpers::*;
use domain::coupon::{
    Campaign, CampaignStatus, CheckoutRequest, CouponRepo, Discount, Funder, Outcome, PaymentType,
    Reason, evaluate,
};
use domain::ledger::check_invariants;
use domain::repo::WalletRepo;
use domain::wallet::{FailureReason, RefundReason, TransactionStatus, WalletOperation};
use domain::{Currency, CustomerId, MerchantId, Money};

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
