//! Merchant complaints (issue 7): the store's money and concurrency guarantees on the
//! backend under test, then the API (filing, evidence, the merchant's response, the
//! agent's decision, scoping) and the deadline worker.

use crate::helpers::*;
use domain::complaint::{
    ComplaintAction, ComplaintActor, ComplaintCategory, ComplaintRepo, ComplaintState, Deadlines,
    DesiredOutcome, NewComplaint, StepBy,
};
use domain::repo::{RepoError, WalletRepo};
use domain::wallet::{TransactionKind, WalletOperation};
use domain::{Currency, Money};

const HOUR_US: i64 = 3_600_000_000;

fn idr(minor: i64) -> Money {
    Money::new(minor, Currency::IDR)
}

/// Siti tops up and pays the merchant `minor`; returns the payment id.
async fn paid(app: &TestApp, minor: i64) -> String {
    let now = server::now_us();
    let c = app.accounts.customer.id.clone();
    app.store
        .execute(
            &WalletOperation::TopUp {
                customer: c.clone(),
                amount: idr(minor),
            },
            now,
        )
        .await
        .unwrap();
    app.store
        .execute(
            &WalletOperation::Payment {
                customer: c,
                merchant: app.accounts.merchant.id.clone(),
                amount: idr(minor),
                hold_minutes: None,
                description: "Sepatu lari".into(),
            },
            now,
        )
        .await
        .unwrap()
        .id
}

fn new_complaint(payment: &str, minor: i64, deadlines: Deadlines) -> NewComplaint {
    NewComplaint {
        payment_id: payment.into(),
        category: ComplaintCategory::NotReceived,
        description: "The shoes never arrived.".into(),
        disputed: idr(minor),
        desired_outcome: DesiredOutcome::FullRefund,
        deadlines,
        time_zone: "Asia/Jakarta".into(),
        actor_name: "Siti Rahayu".into(),
    }
}

fn future_deadlines(now: i64) -> Deadlines {
    Deadlines {
        merchant_due_us: now + 24 * HOUR_US,
        decision_due_us: now + 48 * HOUR_US,
        expires_at_us: now + 30 * 24 * HOUR_US,
    }
}

fn agent(app: &TestApp) -> StepBy {
    StepBy {
        actor: ComplaintActor::Agent,
        id: app.accounts.agent.id.to_string(),
        name: "Agus".into(),
    }
}

fn customer_by(app: &TestApp) -> StepBy {
    StepBy {
        actor: ComplaintActor::Customer,
        id: app.accounts.customer.id.to_string(),
        name: "Siti".into(),
    }
}

/// (available, pending debits) of the merchant's settlement.
async fn merchant_balance(app: &TestApp) -> (i64, i64) {
    let id = format!("merchant:{}:IDR", app.accounts.merchant.id);
    let a = app
        .store
        .ledger_accounts()
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.id == id)
        .unwrap();
    (a.balance.available(), a.balance.debits_pending)
}

async fn wallet_posted(app: &TestApp) -> i64 {
    app.store
        .wallet_balance(&app.accounts.customer.id, Currency::IDR)
        .await
        .unwrap()
        .posted()
}

async fn assert_balanced(app: &TestApp) {
    let accounts = app.store.ledger_accounts().await.unwrap();
    domain::ledger::check_invariants(accounts.iter()).unwrap();
}

#[tokio::test]
async fn filing_holds_the_disputed_amount_and_a_decision_refunds_it_once() {
    let app = spawn_app().await;
    let pay = paid(&app, 300_000_00).await;
    let now = server::now_us();
    let c = app
        .store
        .file_complaint(
            &app.accounts.customer.id,
            &new_complaint(&pay, 200_000_00, future_deadlines(now)),
            now,
        )
        .await
        .unwrap();
    assert_eq!(c.state, ComplaintState::AwaitingMerchant);
    assert!(c.hold_transfer_id.is_some());
    assert_eq!(merchant_balance(&app).await, (100_000_00, 200_000_00));
    assert_eq!(wallet_posted(&app).await, 0, "nothing moves on filing");
    // A step out of order is refused and moves nothing.
    let early = app
        .store
        .act_on_complaint(
            &c.id,
            ComplaintAction::DecideForMerchant,
            &agent(&app),
            "no",
            now,
        )
        .await;
    assert!(matches!(early, Err(RepoError::InvalidState(_))));
    assert_eq!(merchant_balance(&app).await, (100_000_00, 200_000_00));
    // A partial refund: 150,000 to Siti, the other 50,000 released to the merchant.
    let decided = app
        .store
        .act_on_complaint(
            &c.id,
            ComplaintAction::DecideForCustomer {
                refund_minor: 150_000_00,
            },
            &agent(&app),
            "Courier lost the parcel; half the shipping was the customer's choice",
            now + 1,
        )
        .await
        .unwrap();
    assert_eq!(decided.state, ComplaintState::ResolvedCustomer);
    assert_eq!(decided.refunded_minor, 150_000_00);
    assert_eq!(wallet_posted(&app).await, 150_000_00);
    assert_eq!(merchant_balance(&app).await, (150_000_00, 0));
    let refund_tx = app
        .store
        .transaction(decided.refund_transaction_id.as_deref().unwrap())
        .await
        .unwrap();
    assert_eq!(refund_tx.kind, TransactionKind::Refund);
    assert_eq!(refund_tx.original_id.as_deref(), Some(pay.as_str()));
    // Deciding again, or withdrawing now, moves nothing.
    for (action, by) in [
        (
            ComplaintAction::DecideForCustomer {
                refund_minor: 10_00,
            },
            agent(&app),
        ),
        (ComplaintAction::Withdraw, customer_by(&app)),
    ] {
        let again = app
            .store
            .act_on_complaint(&c.id, action, &by, "again", now + 2)
            .await;
        assert!(
            matches!(again, Err(RepoError::InvalidState(_))),
            "{again:?}"
        );
    }
    assert_eq!(wallet_posted(&app).await, 150_000_00);
    // Every step is on the timeline with who, when and why.
    let events = app.store.complaint_events(&c.id).await.unwrap();
    let actions: Vec<_> = events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        ["filed", "send_to_merchant", "decide_for_customer"]
    );
    assert_eq!(events[2].actor, ComplaintActor::Agent);
    assert_eq!(events[2].amount_minor, 150_000_00);
    assert!(events[2].note.contains("Courier"));
    assert_balanced(&app).await;
}

#[tokio::test]
async fn decisions_for_the_merchant_and_withdrawals_release_the_hold_and_allow_a_new_complaint() {
    let app = spawn_app().await;
    let pay = paid(&app, 100_000_00).await;
    let now = server::now_us();
    let file = |minor| new_complaint(&pay, minor, future_deadlines(now));
    let first = app
        .store
        .file_complaint(&app.accounts.customer.id, &file(100_000_00), now)
        .await
        .unwrap();
    assert_eq!(merchant_balance(&app).await, (0, 100_000_00));
    let merchant = StepBy {
        actor: ComplaintActor::Merchant,
        id: app.accounts.merchant_staff.id.to_string(),
        name: "Bambang".into(),
    };
    app.store
        .act_on_complaint(
            &first.id,
            ComplaintAction::MerchantContest,
            &merchant,
            "Delivered, signed for",
            now,
        )
        .await
        .unwrap();
    let done = app
        .store
        .act_on_complaint(
            &first.id,
            ComplaintAction::DecideForMerchant,
            &agent(&app),
            "Signed delivery receipt",
            now,
        )
        .await
        .unwrap();
    assert_eq!(done.state, ComplaintState::ResolvedMerchant);
    assert_eq!(merchant_balance(&app).await, (100_000_00, 0));
    assert_eq!(wallet_posted(&app).await, 0);
    // Closed: the payment may be complained about again; withdrawn releases too.
    let second = app
        .store
        .file_complaint(&app.accounts.customer.id, &file(40_000_00), now)
        .await
        .unwrap();
    assert_eq!(merchant_balance(&app).await, (60_000_00, 40_000_00));
    app.store
        .act_on_complaint(
            &second.id,
            ComplaintAction::Withdraw,
            &customer_by(&app),
            "Sorted it out with the shop",
            now,
        )
        .await
        .unwrap();
    assert_eq!(merchant_balance(&app).await, (100_000_00, 0));
    // Someone else's payment is not there to complain about.
    let other = app
        .store
        .file_complaint(&app.accounts.other_customer.id, &file(1_00), now)
        .await;
    assert!(matches!(other, Err(RepoError::NotFound)));
    // More than the payment is refused.
    let too_much = app
        .store
        .file_complaint(&app.accounts.customer.id, &file(100_000_01), now)
        .await;
    assert!(matches!(too_much, Err(RepoError::InvalidState(_))));
    assert_balanced(&app).await;
}

#[tokio::test]
async fn complaints_and_refunds_together_never_exceed_the_payment() {
    let app = spawn_app().await;
    let pay = paid(&app, 100_000_00).await;
    let now = server::now_us();
    app.store
        .file_complaint(
            &app.accounts.customer.id,
            &new_complaint(&pay, 70_000_00, future_deadlines(now)),
            now,
        )
        .await
        .unwrap();
    // Only 30,000 remain for a refund request while the complaint holds 70,000.
    let refund = app
        .store
        .request_refund(
            &pay,
            40_000_00,
            domain::wallet::RefundReason::NotReceived,
            now,
        )
        .await
        .unwrap();
    assert_eq!(refund.status, domain::wallet::RefundStatus::Rejected);
    assert_balanced(&app).await;
}

#[tokio::test]
async fn two_complaints_filed_at_once_on_one_payment_only_one_opens() {
    let app = spawn_app().await;
    let pay = paid(&app, 100_000_00).await;
    let now = server::now_us();
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (store, customer, pay) = (
            app.store.clone(),
            app.accounts.customer.id.clone(),
            pay.clone(),
        );
        tasks.push(tokio::spawn(async move {
            store
                .file_complaint(
                    &customer,
                    &new_complaint(&pay, 10_000_00, future_deadlines(now)),
                    now,
                )
                .await
        }));
    }
    let mut opened = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => opened += 1,
            Err(RepoError::Conflict(what)) => assert_eq!(what, "open_complaint"),
            Err(e) => panic!("unexpected: {e:?}"),
        }
    }
    assert_eq!(opened, 1);
    // Exactly one hold on the merchant's settlement.
    assert_eq!(merchant_balance(&app).await, (90_000_00, 10_000_00));
    assert_balanced(&app).await;
}

#[tokio::test]
async fn the_deadline_worker_sends_late_merchants_to_review_escalates_and_expires_once() {
    let app = spawn_app().await;
    let pay = paid(&app, 100_000_00).await;
    let now = server::now_us();
    let c = app
        .store
        .file_complaint(
            &app.accounts.customer.id,
            &new_complaint(&pay, 50_000_00, future_deadlines(now)),
            now,
        )
        .await
        .unwrap();
    // Nothing due yet.
    let r = app.store.run_complaint_deadlines(now, 10).await.unwrap();
    assert_eq!((r.merchant_late, r.escalated, r.expired), (0, 0, 0));
    // Past the merchant's deadline: two workers race; the step happens once.
    let at = now + 25 * HOUR_US;
    let (a, b) = tokio::join!(
        app.store.run_complaint_deadlines(at, 10),
        app.store.run_complaint_deadlines(at, 10)
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.merchant_late + b.merchant_late, 1);
    let c1 = app.store.complaint(&c.id).await.unwrap();
    assert_eq!(c1.state, ComplaintState::UnderReview);
    assert!(c1.escalated_at_us.is_none());
    // Past the decision deadline: escalated once, visible in the escalated queue.
    let at = now + 49 * HOUR_US;
    let (a, b) = tokio::join!(
        app.store.run_complaint_deadlines(at, 10),
        app.store.run_complaint_deadlines(at, 10)
    );
    assert_eq!(a.unwrap().escalated + b.unwrap().escalated, 1);
    let queue = app
        .store
        .complaints(
            &domain::complaint::ComplaintQuery {
                escalated_only: true,
                ..Default::default()
            },
            None,
            domain::Limit::parse(None).unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(queue.items.len(), 1);
    // Long past: expired, the hold released to the merchant, nothing to the customer.
    let at = now + 31 * 24 * HOUR_US;
    let r = app.store.run_complaint_deadlines(at, 10).await.unwrap();
    assert_eq!(r.expired, 1);
    let c3 = app.store.complaint(&c.id).await.unwrap();
    assert_eq!(c3.state, ComplaintState::Expired);
    assert_eq!(merchant_balance(&app).await, (100_000_00, 0));
    assert_eq!(wallet_posted(&app).await, 0);
    let again = app.store.run_complaint_deadlines(at, 10).await.unwrap();
    assert_eq!(
        (again.merchant_late, again.escalated, again.expired),
        (0, 0, 0)
    );
    let actions: Vec<_> = app
        .store
        .complaint_events(&c.id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(
        actions,
        [
            "filed",
            "send_to_merchant",
            "merchant_deadline_passed",
            "escalated",
            "expire"
        ]
    );
    assert_balanced(&app).await;
}
