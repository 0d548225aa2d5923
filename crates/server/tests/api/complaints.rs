//! Merchant complaints (issue 7): the store's money and concurrency guarantees on the
//! backend under test, then the API (filing, evidence, the merchant's response, the
//! agent's decision, scoping) and the deadline worker.

use crate::helpers::*;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use domain::complaint::{
    ComplaintAction, ComplaintActor, ComplaintCategory, ComplaintRepo, ComplaintState, Deadlines,
    DesiredOutcome, NewComplaint, StepBy,
};
use domain::repo::{RepoError, WalletRepo};
use domain::wallet::{TransactionKind, WalletOperation};
use domain::{Currency, Money};
use serde_json::{Value, json};

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
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.escalated + b.escalated, 1);
    assert_eq!(
        [a.escalated_ids, b.escalated_ids].concat(),
        vec![c.id.clone()]
    );
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

// ---------------------------------------------------------------------------------------
// The API
// ---------------------------------------------------------------------------------------

/// A complaint of Siti's about `payment` with one evidence file; (complaint, evidence).
pub async fn fixture(app: &TestApp, payment: &str) -> (String, String) {
    let now = server::now_us();
    let c = app
        .store
        .file_complaint(
            &app.accounts.customer.id,
            &new_complaint(payment, 100_000_00, future_deadlines(now)),
            now,
        )
        .await
        .unwrap();
    let key = app
        .state
        .files
        .put(b"chat log: paid, nothing came")
        .await
        .unwrap();
    let e = domain::complaint::Evidence {
        id: uuid::Uuid::now_v7().to_string(),
        complaint_id: c.id.clone(),
        party: domain::complaint::EvidenceParty::Customer,
        file_name: "chat.txt".into(),
        content_type: "text/plain".into(),
        size_bytes: 28,
        storage_key: key,
        created_at_us: now,
    };
    app.store
        .add_evidence(&e, &customer_by(app), 5, now)
        .await
        .unwrap();
    (c.id, e.id)
}

fn form(amount_minor: i64) -> Value {
    json!({
        "category": "not_as_described",
        "description": "Ordered size 40, got 38; the shop stopped answering.",
        "amount_minor": amount_minor,
        "desired_outcome": "full_refund"
    })
}

async fn file_api(app: &TestApp, token: &str, payment: &str, key: &str, body: Value) -> Answer {
    let req = Request::builder()
        .method(Method::POST)
        .uri(format!("/api/v1/transactions/{payment}/complaints"))
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .header("idempotency-key", key)
        .body(Body::from(body.to_string()))
        .unwrap();
    app.send(req).await
}

/// Posts files as multipart/form-data: (name, claimed type, bytes).
async fn upload(
    app: &TestApp,
    token: &str,
    complaint: &str,
    files: &[(&str, &str, &[u8])],
) -> Answer {
    let boundary = "complaintboundary7";
    let mut data: Vec<u8> = Vec::new();
    for (name, ty, bytes) in files {
        data.extend(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{name}\"\r\nContent-Type: {ty}\r\n\r\n"
            )
            .bytes(),
        );
        data.extend_from_slice(bytes);
        data.extend(b"\r\n");
    }
    data.extend(format!("--{boundary}--\r\n").bytes());
    let req = Request::builder()
        .method(Method::POST)
        .uri(format!("/api/v1/complaints/{complaint}/evidence"))
        .header("authorization", format!("Bearer {token}"))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(data))
        .unwrap();
    app.send(req).await
}

async fn post(app: &TestApp, token: &str, path: &str, body: Value) -> Answer {
    app.call(Method::POST, path, Some(token), Some(body)).await
}

#[tokio::test]
async fn a_complaint_goes_from_filing_to_a_refund_through_the_api() {
    let app = spawn_app().await;
    let pay = paid(&app, 250_000_00).await;
    let siti = app.customer_token().await;
    let merchant = app.staff_token(&app.accounts.merchant_staff).await;
    let agent = app.staff_token(&app.accounts.agent).await;
    let a = file_api(&app, &siti, &pay, "k1", form(250_000_00)).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    let filed = a.json();
    let id = filed["complaint"]["id"].as_str().unwrap().to_owned();
    assert_eq!(filed["complaint"]["state"], "awaiting_merchant");
    assert_eq!(filed["complaint"]["held"], true);
    // 250,000 is the middle tier: five business days; the local due time names the zone.
    assert!(
        filed["complaint"]["decision_due_local"]
            .as_str()
            .unwrap()
            .len()
            > 10
    );
    // The same key again answers the same; a second complaint is refused clearly.
    let again = file_api(&app, &siti, &pay, "k1", form(250_000_00)).await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(again.json()["complaint"]["id"], id.as_str());
    let second = file_api(&app, &siti, &pay, "k2", form(1_000_00)).await;
    let p = second.assert_problem(409, "invalid_state");
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("already has an open complaint")
    );
    // A ticket was opened and links the complaint.
    let ticket_id = app.store.complaint(&id).await.unwrap().ticket_id.unwrap();
    let ticket = app
        .get(&format!("/api/v1/tickets/{ticket_id}"), Some(&siti))
        .await;
    assert_eq!(ticket.status, StatusCode::OK, "{}", ticket.body);
    assert!(ticket.body.contains(&id));
    // Both sides bring evidence.
    let png = [0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0];
    let up = upload(&app, &siti, &id, &[("photo.png", "image/png", &png)]).await;
    assert_eq!(up.status, StatusCode::CREATED, "{}", up.body);
    let up = upload(
        &app,
        &merchant,
        &id,
        &[("receipt.pdf", "application/pdf", b"%PDF-1.7\nshipped 38")],
    )
    .await;
    assert_eq!(up.status, StatusCode::CREATED, "{}", up.body);
    assert_eq!(up.json()[0]["party"], "merchant");
    // The merchant contests; the agent decides for the customer with a partial refund.
    let r = post(
        &app,
        &merchant,
        &format!("/api/v1/complaints/{id}/merchant-response"),
        json!({"accept": false, "statement": "We shipped what was ordered."}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["state"], "under_review");
    let no_reason = post(
        &app,
        &agent,
        &format!("/api/v1/complaints/{id}/decision"),
        json!({"for_customer": true, "reason": " "}),
    )
    .await;
    assert_eq!(no_reason.invalid_fields(), ["reason"]);
    let d = post(
        &app,
        &agent,
        &format!("/api/v1/complaints/{id}/decision"),
        json!({"for_customer": true, "refund_minor": 200_000_00, "reason": "Photo shows size 38"}),
    )
    .await;
    assert_eq!(d.status, StatusCode::OK, "{}", d.body);
    assert_eq!(d.json()["state"], "resolved_customer");
    assert_eq!(wallet_posted(&app).await, 200_000_00);
    // A second decision moves nothing.
    let twice = post(
        &app,
        &agent,
        &format!("/api/v1/complaints/{id}/decision"),
        json!({"for_customer": true, "reason": "again"}),
    )
    .await;
    twice.assert_problem(409, "invalid_state");
    assert_eq!(wallet_posted(&app).await, 200_000_00);
    // Customer and merchant both see the whole timeline and both sides' evidence.
    for token in [&siti, &merchant] {
        let v = app
            .get(&format!("/api/v1/complaints/{id}"), Some(token))
            .await
            .json();
        let actions: Vec<_> = v["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(
            actions,
            [
                "filed",
                "send_to_merchant",
                "evidence_added",
                "evidence_added",
                "merchant_contest",
                "decide_for_customer"
            ]
        );
        assert_eq!(v["evidence"].as_array().unwrap().len(), 2);
    }
    // The refund is in Siti's history.
    let history = app
        .get("/api/v1/transactions?kind=refund", Some(&siti))
        .await;
    assert!(
        history.body.contains("200000") || history.body.contains("20000000"),
        "{}",
        history.body
    );
    assert_balanced(&app).await;
}

#[tokio::test]
async fn a_merchant_that_accepts_refunds_the_whole_disputed_amount() {
    let app = spawn_app().await;
    let pay = paid(&app, 80_000_00).await;
    let siti = app.customer_token().await;
    let merchant = app.staff_token(&app.accounts.merchant_staff).await;
    let id = file_api(&app, &siti, &pay, "k", form(80_000_00))
        .await
        .json()["complaint"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let no_statement = post(
        &app,
        &merchant,
        &format!("/api/v1/complaints/{id}/merchant-response"),
        json!({"accept": true, "statement": ""}),
    )
    .await;
    assert_eq!(no_statement.invalid_fields(), ["statement"]);
    let r = post(
        &app,
        &merchant,
        &format!("/api/v1/complaints/{id}/merchant-response"),
        json!({"accept": true, "statement": "Sorry, refunding."}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["state"], "resolved_customer");
    assert_eq!(wallet_posted(&app).await, 80_000_00);
    // Refunded in full: the payment shows as reversed.
    let p = app.store.transaction(&pay).await.unwrap();
    assert_eq!(p.status, domain::wallet::TransactionStatus::Reversed);
    assert_balanced(&app).await;
}

#[tokio::test]
async fn filing_checks_its_input_and_loses_nothing() {
    let app = spawn_app().await;
    let pay = paid(&app, 50_000_00).await;
    let siti = app.customer_token().await;
    let bad = file_api(
        &app,
        &siti,
        &pay,
        "b1",
        json!({"category": "vibes", "description": "", "amount_minor": 50_000_01, "desired_outcome": "revenge"}),
    )
    .await;
    assert_eq!(
        bad.invalid_fields(),
        ["category", "desired_outcome", "description", "amount_minor"]
    );
    let zero = file_api(&app, &siti, &pay, "b2", form(0)).await;
    assert_eq!(zero.invalid_fields(), ["amount_minor"]);
    // Nothing was filed or held.
    assert_eq!(merchant_balance(&app).await, (50_000_00, 0));
    // A top-up is not a payment to a merchant.
    let topup = app
        .get("/api/v1/transactions?kind=top_up", Some(&siti))
        .await
        .json()["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    file_api(&app, &siti, &topup, "b3", form(1_00))
        .await
        .assert_problem(409, "invalid_state");
}

#[tokio::test]
async fn bad_evidence_is_refused_and_good_evidence_is_only_ever_a_download() {
    let mut config = test_config();
    config.files.max_file_bytes = 2048;
    config.complaints.max_evidence_files = 2;
    let app = spawn_app_with(config).await;
    let pay = paid(&app, 50_000_00).await;
    let siti = app.customer_token().await;
    let id = file_api(&app, &siti, &pay, "k", form(10_000_00))
        .await
        .json()["complaint"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let big = vec![b'a'; 4096];
    let exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00";
    let zip = b"PK\x03\x04\x14\x00\x00\x00\x08\x00";
    for (name, ty, bytes, code) in [
        ("big.txt", "text/plain", &big[..], "too_large"),
        ("empty.txt", "text/plain", &b""[..], "empty"),
        // Wrong type: an archive.
        ("chats.zip", "application/zip", &zip[..], "unsupported_type"),
        // Disguised: a program claiming to be a PDF receipt.
        (
            "receipt.pdf",
            "application/pdf",
            &exe[..],
            "unsupported_type",
        ),
    ] {
        let a = upload(&app, &siti, &id, &[(name, ty, bytes)]).await;
        let p = a.assert_problem(422, "validation_failed");
        assert_eq!(p["errors"][0]["code"], code, "{name}: {}", a.body);
    }
    // A good file in the same upload as a bad one: nothing stored.
    let mixed = upload(
        &app,
        &siti,
        &id,
        &[
            ("ok.txt", "text/plain", b"fine"),
            ("x.pdf", "application/pdf", exe),
        ],
    )
    .await;
    mixed.assert_problem(422, "validation_failed");
    assert!(app.store.complaint_evidence(&id).await.unwrap().is_empty());
    // HTML dressed up as an image is refused outright.
    let page = upload(
        &app,
        &siti,
        &id,
        &[(
            "cat.png",
            "image/png",
            b"<html><script>alert(1)</script></html>",
        )],
    )
    .await;
    let p = page.assert_problem(422, "validation_failed");
    assert_eq!(p["errors"][0]["code"], "unsupported_type");
    // A path as a name is only a name; text claiming to be an image is stored as text
    // and served as a download, never rendered.
    let html: &[u8] = b"chat log <img src=x onerror=alert(1)>";
    let a = upload(
        &app,
        &siti,
        &id,
        &[
            ("../../../etc/passwd", "text/plain", b"root:x:0:0"),
            ("cat.png", "image/png", html),
        ],
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    let stored = a.json();
    assert_eq!(stored[0]["file_name"], "passwd");
    assert_eq!(stored[1]["content_type"], "text/plain");
    let ev = stored[1]["id"].as_str().unwrap();
    let d = app
        .get(&format!("/api/v1/complaint-evidence/{ev}"), Some(&siti))
        .await;
    assert_eq!(d.status, StatusCode::OK);
    assert_eq!(d.content_type(), "text/plain");
    assert!(d.header("content-disposition").starts_with("attachment;"));
    assert_eq!(d.header("x-content-type-options"), "nosniff");
    assert!(d.header("content-security-policy").contains("sandbox"));
    assert_eq!(d.body.as_bytes(), html);
    // The count limit is per side.
    let third = upload(&app, &siti, &id, &[("more.txt", "text/plain", b"more")]).await;
    let p = third.assert_problem(422, "validation_failed");
    assert_eq!(p["errors"][0]["code"], "too_many");
    // JSON is not an upload.
    post(
        &app,
        &siti,
        &format!("/api/v1/complaints/{id}/evidence"),
        json!({}),
    )
    .await
    .assert_problem(415, "unsupported_media_type");
}

#[tokio::test]
async fn customers_and_merchants_never_cross_the_line() {
    let app = spawn_app().await;
    let pay = paid(&app, 60_000_00).await;
    let siti = app.customer_token().await;
    let id = file_api(&app, &siti, &pay, "k", form(60_000_00))
        .await
        .json()["complaint"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let ev = upload(&app, &siti, &id, &[("chat.txt", "text/plain", b"chat")])
        .await
        .json()[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let budi = app
        .token(
            "customer",
            app.accounts.other_customer.email.as_ref().unwrap().as_str(),
        )
        .await;
    // Another merchant's staff.
    let other_staff = {
        let s = domain::Staff {
            id: domain::StaffId::new(),
            email: domain::Email::parse("kopi@example.id").unwrap(),
            display_name: domain::DisplayName::parse("Kopi Staff").unwrap(),
            role: domain::Role::Merchant,
            merchant_id: Some(app.accounts.other_merchant.id.clone()),
            group_id: None,
            locale: domain::Locale::En,
            status: domain::AccountStatus::Active,
            created_at_us: server::now_us(),
        };
        let hash = app
            .state
            .passwords
            .hash(&domain::Password::new_password(PASSWORD).unwrap())
            .await
            .unwrap();
        app.store.insert_staff(&s, &hash, false).await.unwrap();
        app.staff_token(&s).await
    };
    let made_up = uuid::Uuid::now_v7().to_string();
    for token in [&budi, &other_staff] {
        app.get(&format!("/api/v1/complaints/{id}"), Some(token))
            .await
            .assert_problem(404, "not_found");
        app.get(&format!("/api/v1/complaint-evidence/{ev}"), Some(token))
            .await
            .assert_problem(404, "not_found");
        upload(&app, token, &id, &[("x.txt", "text/plain", b"x")])
            .await
            .assert_problem(404, "not_found");
        let list = app.get("/api/v1/complaints", Some(token)).await.json();
        assert_eq!(list["items"].as_array().unwrap().len(), 0);
    }
    // Looks exactly like a complaint that does not exist.
    app.get(&format!("/api/v1/complaints/{made_up}"), Some(&budi))
        .await
        .assert_problem(404, "not_found");
    post(
        &app,
        &budi,
        &format!("/api/v1/complaints/{id}/withdraw"),
        json!({}),
    )
    .await
    .assert_problem(404, "not_found");
    post(
        &app,
        &other_staff,
        &format!("/api/v1/complaints/{id}/merchant-response"),
        json!({"accept": true, "statement": "Refund"}),
    )
    .await
    .assert_problem(404, "not_found");
    // Budi cannot complain about Siti's payment.
    file_api(&app, &budi, &pay, "x", form(1_00))
        .await
        .assert_problem(404, "not_found");
    // Nothing moved.
    assert_eq!(wallet_posted(&app).await, 0);
    // The right merchant sees it in its list with the due times.
    let merchant = app.staff_token(&app.accounts.merchant_staff).await;
    let list = app
        .get("/api/v1/complaints?view=open", Some(&merchant))
        .await
        .json();
    assert_eq!(list["items"][0]["id"], id.as_str());
    assert!(list["items"][0]["merchant_due"].as_str().unwrap().len() > 10);
    // Customers withdraw their own.
    let w = post(
        &app,
        &siti,
        &format!("/api/v1/complaints/{id}/withdraw"),
        json!({"reason": "Got a replacement"}),
    )
    .await;
    assert_eq!(w.json()["state"], "withdrawn");
    assert_eq!(merchant_balance(&app).await, (60_000_00, 0));
}

#[tokio::test]
async fn concurrent_filings_through_the_api_open_one_complaint() {
    let app = spawn_app().await;
    let pay = paid(&app, 90_000_00).await;
    let siti = app.customer_token().await;
    let mut tasks = Vec::new();
    for i in 0..6 {
        let (router, token, pay) = (app.router.clone(), siti.clone(), pay.clone());
        tasks.push(tokio::spawn(async move {
            use tower::ServiceExt;
            let req = Request::builder()
                .method(Method::POST)
                .uri(format!("/api/v1/transactions/{pay}/complaints"))
                .header("authorization", format!("Bearer {token}"))
                .header("content-type", "application/json")
                .header("idempotency-key", format!("c{i}"))
                .body(Body::from(form(10_000_00).to_string()))
                .unwrap();
            router.oneshot(req).await.unwrap().status()
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap().as_u16());
    }
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 409, 409, 409, 409, 409]);
    assert_eq!(merchant_balance(&app).await, (80_000_00, 10_000_00));
}

// ---------------------------------------------------------------------------------------
// Pages
// ---------------------------------------------------------------------------------------

/// Posts a multipart page form like a browser (same origin, session cookie).
async fn page_multipart(
    app: &TestApp,
    path: &str,
    cookie: &str,
    fields: &[(&str, &str)],
    files: &[(&str, &[u8])],
) -> Answer {
    let boundary = "pageboundary9";
    let mut data: Vec<u8> = Vec::new();
    for (k, v) in fields {
        data.extend(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .bytes(),
        );
    }
    for (name, bytes) in files {
        data.extend(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .bytes(),
        );
        data.extend_from_slice(bytes);
        data.extend(b"\r\n");
    }
    data.extend(format!("--{boundary}--\r\n").bytes());
    let req = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .header("host", "paydesk.test")
        .header("origin", "http://paydesk.test")
        .header("cookie", cookie)
        .body(Body::from(data))
        .unwrap();
    app.send(req).await
}

#[tokio::test]
async fn the_three_sides_work_a_complaint_on_their_pages() {
    let app = spawn_app().await;
    let pay = paid(&app, 120_000_00).await;
    let siti = app.page_session("/signin", "siti@example.id").await;
    let tx_page = app.page(&format!("/wallet/tx/{pay}"), Some(&siti)).await;
    assert!(
        tx_page
            .body
            .contains(&format!("/wallet/tx/{pay}/complaint"))
    );
    let form = app
        .page(&format!("/wallet/tx/{pay}/complaint"), Some(&siti))
        .await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    let csrf = csrf_of(&form.body);
    // A disguised file: the form comes back with what was typed, nothing filed.
    let refused = page_multipart(
        &app,
        &format!("/wallet/tx/{pay}/complaint"),
        &siti,
        &[
            ("csrf", &csrf),
            ("category", "not_received"),
            ("description", "Parcel never came"),
            ("amount", "120.000"),
            ("desired_outcome", "full_refund"),
        ],
        &[("receipt.pdf", b"MZ\x90\x00\x03\x00")],
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("Parcel never came"));
    assert!(refused.body.contains("complaint-error"));
    assert_eq!(merchant_balance(&app).await, (120_000_00, 0));
    let filed = page_multipart(
        &app,
        &format!("/wallet/tx/{pay}/complaint"),
        &siti,
        &[
            ("csrf", &csrf),
            ("category", "not_received"),
            ("description", "Parcel never came"),
            ("amount", "120.000"),
            ("desired_outcome", "full_refund"),
        ],
        &[("chat.txt", b"seller: will ship tomorrow")],
    )
    .await;
    assert_eq!(filed.status, StatusCode::SEE_OTHER, "{}", filed.body);
    let location = filed.header("location").to_owned();
    let id = location
        .trim_start_matches("/complaints/")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let mine = app.page(&location, Some(&siti)).await;
    assert!(mine.body.contains("data-testid=\"decision-due\""));
    // The promise names the day and the customer's zone.
    let due = mine
        .body
        .split("data-testid=\"decision-due\">")
        .nth(1)
        .unwrap();
    let due = due.split("</p>").next().unwrap();
    assert!(
        due.starts_with("Expect a decision by ") && due.contains("WIB"),
        "{due}"
    );
    assert!(mine.body.contains("chat.txt"));
    // The payment's page now leads to the complaint instead of offering a second one.
    let tx_page = app.page(&format!("/wallet/tx/{pay}"), Some(&siti)).await;
    assert!(tx_page.body.contains(&format!("href=\"/complaints/{id}\"")));
    assert!(!tx_page.body.contains("data-testid=\"complaint-link\""));
    // Budi never sees it.
    let budi = app.page_session("/signin", "budi@example.id").await;
    assert_eq!(
        app.page(&format!("/complaints/{id}"), Some(&budi))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // The merchant contests with a statement and a receipt.
    let merchant = app
        .page_session("/staff/signin", "merchant@example.id")
        .await;
    let list = app
        .page("/staff/merchant/complaints", Some(&merchant))
        .await;
    assert!(list.body.contains(&id));
    let page = app
        .page(&format!("/staff/merchant/complaints/{id}"), Some(&merchant))
        .await;
    let csrf = csrf_of(&page.body);
    let r = page_multipart(
        &app,
        &format!("/staff/merchant/complaints/{id}/respond"),
        &merchant,
        &[
            ("csrf", &csrf),
            ("statement", "Shipped on time, tracking attached"),
            ("answer", "contest"),
        ],
        &[("tracking.pdf", b"%PDF-1.4 tracking")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // The agent sees both sides and decides for the customer.
    let agent = app.page_session("/staff/signin", "agent@example.id").await;
    let queue = app.page("/staff/complaints", Some(&agent)).await;
    assert!(queue.body.contains(&id));
    let staff_tx = app.page(&format!("/staff/tx/{pay}"), Some(&agent)).await;
    assert!(
        staff_tx
            .body
            .contains(&format!("href=\"/staff/complaints/{id}\""))
    );
    let page = app
        .page(&format!("/staff/complaints/{id}"), Some(&agent))
        .await;
    assert!(page.body.contains("chat.txt") && page.body.contains("tracking.pdf"));
    let csrf = csrf_of(&page.body);
    let d = app
        .post_form(
            &format!("/staff/complaints/{id}/decision"),
            &[
                ("csrf", &csrf),
                ("decision", "customer"),
                ("refund", "120000"),
                ("reason", "Tracking shows the parcel returned to the sender"),
            ],
            Some(&agent),
        )
        .await;
    assert_eq!(d.status, StatusCode::SEE_OTHER, "{}", d.body);
    let done = app.page(&format!("/complaints/{id}"), Some(&siti)).await;
    assert!(done.body.contains("data-state=\"resolved_customer\""));
    assert!(done.body.contains("data-refunded=\"12000000\""));
    assert_eq!(wallet_posted(&app).await, 120_000_00);
}

// ---------------------------------------------------------------------------------------
// More guarantees: racing decisions, the customer's calendar, joining a ticket, and a
// random walk over the store on the backend under test
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn two_agents_deciding_at_once_move_the_money_once() {
    let app = spawn_app().await;
    let pay = paid(&app, 70_000_00).await;
    let siti = app.customer_token().await;
    let id = file_api(&app, &siti, &pay, "k", form(70_000_00))
        .await
        .json()["complaint"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let agent = app.staff_token(&app.accounts.agent).await;
    let supervisor = app.staff_token(&app.accounts.supervisor).await;
    let mut tasks = Vec::new();
    for (i, token) in [&agent, &supervisor, &agent, &supervisor]
        .into_iter()
        .enumerate()
    {
        let (router, token, id) = (app.router.clone(), token.clone(), id.clone());
        tasks.push(tokio::spawn(async move {
            use tower::ServiceExt;
            let body = json!({"for_customer": true, "refund_minor": 10_000_00 * (i as i64 + 1), "reason": "Racing"});
            let req = Request::builder()
                .method(Method::POST)
                .uri(format!("/api/v1/complaints/{id}/decision"))
                .header("authorization", format!("Bearer {token}"))
                .header("content-type", "application/json")
                .body(Body::from(body.to_string()))
                .unwrap();
            router.oneshot(req).await.unwrap().status().as_u16()
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409, 409, 409]);
    let c = app.store.complaint(&id).await.unwrap();
    assert_eq!(wallet_posted(&app).await, c.refunded_minor);
    assert_eq!(merchant_balance(&app).await.1, 0, "nothing held any more");
    let refunds = app
        .store
        .complaint_events(&id)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.amount_minor > 0)
        .count();
    assert_eq!(refunds, 1);
    assert_balanced(&app).await;
}

#[tokio::test]
async fn deadlines_follow_the_customers_calendar_and_the_amounts_tier() {
    use domain::calendar::{
        BusinessCalendar, CalendarRepo, CalendarSpec, Holiday, OpeningInterval, StoredCalendar,
    };
    let app = spawn_app().await;
    // Built from `always_open` so fields added to the spec later keep their defaults.
    let mut spec = CalendarSpec::always_open("Asia/Jakarta");
    spec.intervals = (0..5)
        .map(|weekday| OpeningInterval {
            weekday,
            start_minute: 8 * 60,
            end_minute: 16 * 60,
        })
        .collect();
    spec.holidays = vec![Holiday {
        date: jiff::Timestamp::now()
            .in_tz("Asia/Jakarta")
            .unwrap()
            .date()
            .tomorrow()
            .unwrap(),
        name: "Libur".into(),
    }];
    app.store
        .save_calendar(&StoredCalendar {
            id: "jakarta-office".into(),
            name: "Jakarta office".into(),
            spec: spec.clone(),
            updated_at_us: 0,
        })
        .await
        .unwrap();
    app.store
        .set_region_calendar("id-jakarta", "jakarta-office")
        .await
        .unwrap();
    let siti = app.customer_token().await;
    let cal = BusinessCalendar::new(spec).unwrap();
    let tiers = domain::complaint::DeadlineTiers::default();
    for (minor, days) in [(50_000_00, 2), (500_000_00, 5), (2_000_000_00, 10)] {
        let pay = paid(&app, minor).await;
        let v = file_api(&app, &siti, &pay, &format!("t{minor}"), form(minor))
            .await
            .json();
        let id = v["complaint"]["id"].as_str().unwrap();
        let c = app.store.complaint(id).await.unwrap();
        let filed = jiff::Timestamp::from_microsecond(c.created_at_us).unwrap();
        let expected = tiers.deadlines(&cal, filed, idr(minor)).unwrap();
        assert_eq!(c.deadlines, expected, "{minor}");
        assert_eq!(c.time_zone, "Asia/Jakarta");
        // The decision lands at 16:00 WIB on a weekday that is not tomorrow's holiday,
        // at least `days` calendar days ahead.
        let due = jiff::Timestamp::from_microsecond(c.deadlines.decision_due_us)
            .unwrap()
            .in_tz("Asia/Jakarta")
            .unwrap();
        assert_eq!((due.hour(), due.minute()), (16, 0));
        assert!(due.weekday().to_monday_zero_offset() < 5);
        assert!(
            c.deadlines.decision_due_us - c.created_at_us >= days * 86_400_000_000 - 86_400_000_000
        );
        assert!(
            v["complaint"]["decision_due_local"]
                .as_str()
                .unwrap()
                .ends_with("WIB")
        );
    }
}

#[tokio::test]
async fn a_complaint_joins_the_customers_open_ticket_about_the_payment() {
    let app = spawn_app().await;
    let pay = paid(&app, 30_000_00).await;
    let siti = app.customer_token().await;
    let req = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/tickets")
        .header("authorization", format!("Bearer {siti}"))
        .header("content-type", "application/json")
        .header("idempotency-key", "t1")
        .body(Body::from(
            json!({"category": "merchant_complaint", "subject": "Shoes", "body": "Where are my shoes?", "transaction_id": pay})
                .to_string(),
        ))
        .unwrap();
    let t = app.send(req).await;
    assert_eq!(t.status, StatusCode::CREATED, "{}", t.body);
    let ticket_id = t.json()["id"].as_str().unwrap().to_owned();
    let v = file_api(&app, &siti, &pay, "k", form(30_000_00))
        .await
        .json();
    let id = v["complaint"]["id"].as_str().unwrap();
    assert_eq!(v["complaint"]["ticket_id"], ticket_id.as_str());
    let ticket = app
        .get(&format!("/api/v1/tickets/{ticket_id}"), Some(&siti))
        .await
        .json();
    assert!(
        ticket["ticket"]["links"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["kind"] == "complaint" && l["record_id"] == id),
        "{ticket}"
    );
}

/// Random actors take random steps on random complaints through the store (seeded, so a
/// failure is reproducible): refused steps change no balance, each complaint's money
/// moves at most once and only on a decision for the customer, holds are released when
/// complaints close, and the ledger balances after every step.
#[tokio::test]
async fn random_steps_through_the_store_move_money_once_and_only_on_a_decision() {
    use rand::rngs::StdRng;
    use rand::{RngExt, SeedableRng};
    let app = spawn_app().await;
    let mut rng = StdRng::seed_from_u64(11);
    let now = server::now_us();
    let mut ids = Vec::new();
    for _ in 0..4 {
        let pay = paid(&app, 40_000_00).await;
        let amount = rng.random_range(1..=40_000_00);
        let c = app
            .store
            .file_complaint(
                &app.accounts.customer.id,
                &new_complaint(&pay, amount, future_deadlines(now)),
                now,
            )
            .await
            .unwrap();
        ids.push(c.id);
    }
    let merchant = StepBy {
        actor: ComplaintActor::Merchant,
        id: app.accounts.merchant_staff.id.to_string(),
        name: "Bambang".into(),
    };
    let system = StepBy {
        actor: ComplaintActor::System,
        id: String::new(),
        name: "paydesk".into(),
    };
    let (mut accepted, mut refused) = (0, 0);
    for step in 0..60 {
        let id = &ids[rng.random_range(0..ids.len())];
        let before = app.store.complaint(id).await.unwrap();
        let refund = rng.random_range(-5..=before.disputed.minor + 5);
        let action = match rng.random_range(0..7) {
            0 => ComplaintAction::MerchantContest,
            1 => ComplaintAction::MerchantAccept,
            2 => ComplaintAction::DecideForCustomer {
                refund_minor: refund,
            },
            3 => ComplaintAction::DecideForMerchant,
            4 => ComplaintAction::Withdraw,
            5 => ComplaintAction::MerchantDeadlinePassed,
            _ => ComplaintAction::SendToMerchant,
        };
        let by = match rng.random_range(0..4) {
            0 => customer_by(&app),
            1 => merchant.clone(),
            2 => agent(&app),
            _ => system.clone(),
        };
        let ledger_before = app.store.ledger_accounts().await.unwrap();
        let result = app
            .store
            .act_on_complaint(id, action, &by, "random", now + step)
            .await;
        let allowed =
            domain::complaint::transition(before.state, action, by.actor, before.disputed.minor);
        assert_eq!(
            result.is_ok(),
            allowed.is_ok(),
            "step {step}: {action:?} by {:?} on {:?}",
            by.actor,
            before.state
        );
        if result.is_err() {
            refused += 1;
            assert_eq!(
                app.store.ledger_accounts().await.unwrap(),
                ledger_before,
                "step {step}"
            );
        } else {
            accepted += 1;
        }
        assert_balanced(&app).await;
    }
    assert!(
        accepted >= 4 && refused >= 10,
        "the walk must exercise both paths ({accepted} accepted, {refused} refused)"
    );
    let mut refunded = 0;
    let mut held = 0;
    let mut closed = 0;
    for id in &ids {
        let c = app.store.complaint(id).await.unwrap();
        let moves = app
            .store
            .complaint_events(id)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.amount_minor > 0)
            .count();
        if c.state == ComplaintState::ResolvedCustomer {
            assert_eq!(moves, 1);
            assert!(c.refunded_minor > 0 && c.refunded_minor <= c.disputed.minor);
        } else {
            assert_eq!((moves, c.refunded_minor), (0, 0));
        }
        if c.state.is_open() {
            held += c.disputed.minor;
        } else {
            closed += 1;
        }
        refunded += c.refunded_minor;
    }
    assert!(closed >= 2, "only {closed} complaints closed");
    assert_eq!(wallet_posted(&app).await, refunded);
    assert_eq!(merchant_balance(&app).await.1, held);
}

#[tokio::test]
async fn the_background_round_notes_an_escalation_on_the_complaints_ticket() {
    let app = spawn_app().await;
    let pay = paid(&app, 20_000_00).await;
    let siti = app.customer_token().await;
    let id = file_api(&app, &siti, &pay, "k", form(20_000_00))
        .await
        .json()["complaint"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let c = app.store.complaint(&id).await.unwrap();
    server::api::complaints::run_deadlines(&app.state, c.deadlines.decision_due_us + 1).await;
    let c = app.store.complaint(&id).await.unwrap();
    assert!(c.escalated_at_us.is_some());
    assert_eq!(
        c.state,
        ComplaintState::UnderReview,
        "the merchant's time ran out first"
    );
    let messages = {
        use domain::repo::TicketRepo;
        app.store
            .ticket_messages(c.ticket_id.as_deref().unwrap())
            .await
            .unwrap()
    };
    assert!(
        messages
            .iter()
            .any(|m| m.visibility == domain::ticket::Visibility::Internal
                && m.body.contains("Past its decision deadline")),
        "an internal note on the ticket"
    );
    // Staff see it in the escalated queue; the customer does not see internal notes.
    let agent = app.staff_token(&app.accounts.agent).await;
    let q = app
        .get("/api/v1/complaints?view=escalated", Some(&agent))
        .await
        .json();
    assert_eq!(q["items"][0]["id"], id.as_str());
    let t = app
        .get(
            &format!("/api/v1/tickets/{}", c.ticket_id.unwrap()),
            Some(&siti),
        )
        .await;
    assert!(!t.body.contains("Past its decision deadline"));
}

#[tokio::test]
async fn complaint_pages_keep_each_side_to_its_own() {
    let app = spawn_app().await;
    let pay = paid(&app, 20_000_00).await;
    let token = app.customer_token().await;
    let id = file_api(&app, &token, &pay, "k", form(20_000_00))
        .await
        .json()["complaint"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let ev = upload(&app, &token, &id, &[("chat.txt", "text/plain", b"chat")])
        .await
        .json()[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // A merchant of another shop.
    let other = domain::Staff {
        id: domain::StaffId::new(),
        email: domain::Email::parse("kopi@example.id").unwrap(),
        display_name: domain::DisplayName::parse("Kopi Staff").unwrap(),
        role: domain::Role::Merchant,
        merchant_id: Some(app.accounts.other_merchant.id.clone()),
        group_id: None,
        locale: domain::Locale::En,
        status: domain::AccountStatus::Active,
        created_at_us: server::now_us(),
    };
    let hash = app
        .state
        .passwords
        .hash(&domain::Password::new_password(PASSWORD).unwrap())
        .await
        .unwrap();
    app.store.insert_staff(&other, &hash, false).await.unwrap();
    let kopi = app.page_session("/staff/signin", "kopi@example.id").await;
    let budi = app.page_session("/signin", "budi@example.id").await;
    let siti = app.page_session("/signin", "siti@example.id").await;
    let agent = app.page_session("/staff/signin", "agent@example.id").await;
    for (who, cookie, path, status) in [
        (
            "other merchant",
            &kopi,
            format!("/staff/merchant/complaints/{id}"),
            404,
        ),
        (
            "other merchant",
            &kopi,
            format!("/staff/complaints/evidence/{ev}"),
            404,
        ),
        (
            "other merchant",
            &kopi,
            format!("/staff/complaints/{id}"),
            403,
        ),
        ("other customer", &budi, format!("/complaints/{id}"), 404),
        (
            "other customer",
            &budi,
            format!("/complaints/evidence/{ev}"),
            404,
        ),
        ("customer", &siti, "/staff/complaints".to_owned(), 403),
        ("agent", &agent, "/complaints".to_owned(), 403),
        (
            "agent",
            &agent,
            format!("/staff/complaints/evidence/{ev}"),
            200,
        ),
        ("customer", &siti, format!("/complaints/evidence/{ev}"), 200),
    ] {
        let a = app.page(&path, Some(cookie)).await;
        assert_eq!(a.status.as_u16(), status, "{who} on {path}");
        if status == 200 {
            assert!(a.header("content-disposition").starts_with("attachment;"));
        }
    }
    let list = app.page("/staff/merchant/complaints", Some(&kopi)).await;
    assert!(!list.body.contains(&id));
    // The agent's ticket page links the complaint.
    let c = app.store.complaint(&id).await.unwrap();
    let number = {
        use domain::repo::TicketRepo;
        app.store
            .ticket(c.ticket_id.as_deref().unwrap())
            .await
            .unwrap()
            .number
    };
    let t = app
        .page(&format!("/staff/tickets/{number}"), Some(&agent))
        .await;
    assert!(t.body.contains(&format!("/staff/complaints/{id}")));
}

/// A merchant whose settlement was paid out cannot be held from: the complaint is filed
/// without a hold, a refund decided then is refused (no money is invented) and succeeds
/// once the settlement can cover it.
#[tokio::test]
async fn a_paid_out_merchant_is_not_held_from_and_no_money_is_invented() {
    use domain::ledger::{Phase, TransferRequest};
    let app = spawn_app().await;
    let pay = paid(&app, 50_000_00).await;
    let merchant_acc = format!("merchant:{}:IDR", app.accounts.merchant.id);
    let bank = "system:bank_clearing:IDR".to_owned();
    let move_money = |from: &str, to: &str| TransferRequest {
        id: uuid::Uuid::now_v7().to_string(),
        debit_account: from.to_owned(),
        credit_account: to.to_owned(),
        amount: 50_000_00,
        currency: Currency::IDR,
        phase: Phase::Posted,
    };
    let now = server::now_us();
    // Settlement paid out to the merchant's bank.
    let out = app
        .store
        .post_linked_transfers(&[move_money(&merchant_acc, &bank)], now)
        .await
        .unwrap();
    assert_eq!(out, domain::ledger::GroupOutcome::Posted);
    let c = app
        .store
        .file_complaint(
            &app.accounts.customer.id,
            &new_complaint(&pay, 50_000_00, future_deadlines(now)),
            now,
        )
        .await
        .unwrap();
    assert!(c.hold_transfer_id.is_none());
    let decide = ComplaintAction::DecideForCustomer {
        refund_minor: 50_000_00,
    };
    let refused = app
        .store
        .act_on_complaint(&c.id, decide, &agent(&app), "refund", now)
        .await;
    assert!(
        matches!(refused, Err(RepoError::InvalidState(_))),
        "{refused:?}"
    );
    assert_eq!(wallet_posted(&app).await, 0);
    assert_eq!(
        app.store.complaint(&c.id).await.unwrap().state,
        ComplaintState::AwaitingMerchant,
        "a refused decision changes nothing"
    );
    // New sales fill the settlement again: now the refund goes through.
    app.store
        .post_linked_transfers(&[move_money(&bank, &merchant_acc)], now)
        .await
        .unwrap();
    let done = app
        .store
        .act_on_complaint(&c.id, decide, &agent(&app), "refund", now + 1)
        .await
        .unwrap();
    assert_eq!(done.state, ComplaintState::ResolvedCustomer);
    assert_eq!(wallet_posted(&app).await, 50_000_00);
    assert_balanced(&app).await;
}

#[tokio::test]
async fn page_forms_explain_what_is_missing_and_change_nothing() {
    let app = spawn_app().await;
    let pay = paid(&app, 20_000_00).await;
    let token = app.customer_token().await;
    let id = file_api(&app, &token, &pay, "k", form(20_000_00))
        .await
        .json()["complaint"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let siti = app.page_session("/signin", "siti@example.id").await;
    let page = app.page(&format!("/complaints/{id}"), Some(&siti)).await;
    let csrf = csrf_of(&page.body);
    // No file chosen.
    let a = page_multipart(
        &app,
        &format!("/complaints/{id}/evidence"),
        &siti,
        &[("csrf", &csrf)],
        &[],
    )
    .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(a.body.contains("Attach at least one file"), "{}", a.body);
    // A wrong CSRF token is refused.
    let a = page_multipart(
        &app,
        &format!("/complaints/{id}/evidence"),
        &siti,
        &[("csrf", "nope")],
        &[("a.txt", b"a")],
    )
    .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    // The merchant accepts without a statement: refused, nothing refunded.
    let merchant = app
        .page_session("/staff/signin", "merchant@example.id")
        .await;
    let page = app
        .page(&format!("/staff/merchant/complaints/{id}"), Some(&merchant))
        .await;
    let csrf = csrf_of(&page.body);
    let a = page_multipart(
        &app,
        &format!("/staff/merchant/complaints/{id}/respond"),
        &merchant,
        &[("csrf", &csrf), ("statement", ""), ("answer", "accept")],
        &[],
    )
    .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(a.body.contains("Write a statement"), "{}", a.body);
    // Evidence only, but no file.
    let a = page_multipart(
        &app,
        &format!("/staff/merchant/complaints/{id}/respond"),
        &merchant,
        &[("csrf", &csrf), ("statement", ""), ("answer", "")],
        &[],
    )
    .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(wallet_posted(&app).await, 0);
    assert!(app.store.complaint_evidence(&id).await.unwrap().is_empty());
    // More than what remains of the payment (a refund claimed part of it).
    let pay2 = paid(&app, 30_000_00).await;
    app.store
        .request_refund(
            &pay2,
            10_000_00,
            domain::wallet::RefundReason::NotReceived,
            server::now_us(),
        )
        .await
        .unwrap();
    let form_page = app
        .page(&format!("/wallet/tx/{pay2}/complaint"), Some(&siti))
        .await;
    let csrf = csrf_of(&form_page.body);
    let a = page_multipart(
        &app,
        &format!("/wallet/tx/{pay2}/complaint"),
        &siti,
        &[
            ("csrf", &csrf),
            ("category", "other"),
            ("description", "Too much"),
            ("amount", "30000"),
            ("desired_outcome", "full_refund"),
        ],
        &[],
    )
    .await;
    assert_eq!(a.status, StatusCode::CONFLICT, "{}", a.body);
    assert!(a.body.contains("at most the payment"), "{}", a.body);
    assert!(a.body.contains("Too much"));
}
