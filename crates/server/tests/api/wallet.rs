//! Wallet records through the API: money movements with idempotency, holds, history
//! filters and export, notes, flags, refunds under policy, scoping, and the ledger's
//! invariants under concurrent load.

use crate::helpers::*;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use domain::repo::WalletRepo;
use serde_json::{Value, json};

impl TestApp {
    /// POST with a bearer token, JSON body and idempotency key.
    pub async fn post_idem(&self, path: &str, token: &str, key: &str, body: Value) -> Answer {
        let req = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json")
            .header("idempotency-key", key)
            .body(Body::from(body.to_string()))
            .unwrap();
        self.send(req).await
    }

    /// Posts a wallet operation as the admin (operator systems).
    pub async fn op(&self, admin: &str, key: &str, body: Value) -> Answer {
        self.post_idem("/api/v1/wallet/operations", admin, key, body)
            .await
    }

    pub async fn admin_token(&self) -> String {
        self.staff_token(&self.accounts.admin).await
    }

    /// Asserts the ledger balances: debits equal credits, no wallet below zero.
    pub async fn assert_ledger_balanced(&self) {
        let accounts = self.store.ledger_accounts().await.unwrap();
        domain::ledger::check_invariants(accounts.iter()).unwrap();
    }

    pub async fn available(&self, customer: &domain::CustomerId) -> i64 {
        self.store
            .wallet_balance(customer, domain::Currency::IDR)
            .await
            .unwrap()
            .available()
    }
}

fn top_up(customer: &domain::CustomerId, minor: i64) -> Value {
    json!({"type": "top_up", "customer_id": customer.to_string(), "amount_minor": minor})
}

fn payment(app: &TestApp, minor: i64, description: &str) -> Value {
    json!({"type": "payment", "customer_id": app.accounts.customer.id.to_string(), "merchant_id": app.accounts.merchant.id.to_string(), "amount_minor": minor, "description": description})
}

#[tokio::test]
async fn money_moves_once_per_idempotency_key() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let siti = app.accounts.customer.id.clone();
    let budi = app.accounts.other_customer.id.clone();
    let first = app.op(&admin, "topup-1", top_up(&siti, 100_000_00)).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    let retry = app.op(&admin, "topup-1", top_up(&siti, 100_000_00)).await;
    assert_eq!(retry.json()["id"], first.json()["id"]);
    assert_eq!(retry.header("idempotent-replayed"), "true");
    app.op(&admin, "topup-1", top_up(&siti, 5))
        .await
        .assert_problem(422, "idempotency_key_reused");
    assert_eq!(
        app.available(&siti).await,
        100_000_00,
        "one top-up, not two"
    );

    let t = app.op(&admin, "transfer-1", json!({"type": "transfer", "customer_id": siti.to_string(), "to_customer_id": budi.to_string(), "amount_minor": 30_000_00, "description": "Makan siang"})).await;
    assert_eq!(t.status, StatusCode::CREATED, "{}", t.body);
    assert_eq!(t.json()["kind"], "transfer_out");
    assert_eq!(app.available(&siti).await, 70_000_00);
    assert_eq!(app.available(&budi).await, 30_000_00);
    let w = app.op(&admin, "withdraw-1", json!({"type": "withdrawal", "customer_id": budi.to_string(), "amount_minor": 10_000_00})).await;
    assert_eq!(w.status, StatusCode::CREATED);
    assert_eq!(app.available(&budi).await, 20_000_00);
    // Budi sees the transfer he received.
    let budi_token = app.token("customer", "budi@example.id").await;
    let history = app
        .get("/api/v1/transactions", Some(&budi_token))
        .await
        .json();
    let kinds: Vec<_> = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["kind"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(kinds, vec!["withdrawal", "transfer_in"], "newest first");
    app.assert_ledger_balanced().await;
}

#[tokio::test]
async fn insufficient_balance_fails_the_same_way_forever_and_changes_no_balance() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let siti = app.accounts.customer.id.clone();
    app.op(&admin, "t", top_up(&siti, 10_000_00)).await;
    let before = app.store.ledger_accounts().await.unwrap();
    let fail = app
        .op(&admin, "pay-big", payment(&app, 50_000_00, "Sepatu"))
        .await;
    let v = fail.assert_problem(422, "transaction_failed");
    assert_eq!(v["transaction"]["failure_reason"], "insufficient_balance");
    let reference = v["transaction"]["reference"].as_str().unwrap().to_owned();
    assert!(reference.starts_with("TX-"));
    let after = app.store.ledger_accounts().await.unwrap();
    for a in &before {
        assert_eq!(
            Some(a),
            after.iter().find(|b| b.id == a.id),
            "a refused payment leaves every balance as it was"
        );
    }
    // Even after a top-up, the same key keeps answering the first failure.
    app.op(&admin, "t2", top_up(&siti, 100_000_00)).await;
    let again = app
        .op(&admin, "pay-big", payment(&app, 50_000_00, "Sepatu"))
        .await;
    assert_eq!(
        again.assert_problem(422, "transaction_failed")["transaction"]["reference"],
        reference.as_str()
    );
    // The customer sees the failure, why, and what to do.
    let token = app.customer_token().await;
    let detail = app
        .get(
            &format!(
                "/api/v1/transactions/{}",
                v["transaction"]["id"].as_str().unwrap()
            ),
            Some(&token),
        )
        .await
        .json();
    let failure = &detail["transaction"]["failure"];
    assert_eq!(failure["reason"], "insufficient_balance");
    assert_eq!(failure["next_step"], "top_up");
    assert!(failure["explanation"].as_str().unwrap().contains("balance"));
    assert!(
        failure["next_step_text"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("top up")
    );
}

#[tokio::test]
async fn external_failures_are_recorded_with_their_reason() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let siti = app.accounts.customer.id.clone();
    let mut body = top_up(&siti, 10_000_00);
    body["external_failure"] = json!("blocked_by_risk");
    let v = app
        .op(&admin, "risk", body)
        .await
        .assert_problem(422, "transaction_failed");
    let token = app.customer_token().await;
    let detail = app
        .get(
            &format!(
                "/api/v1/transactions/{}",
                v["transaction"]["id"].as_str().unwrap()
            ),
            Some(&token),
        )
        .await
        .json();
    assert_eq!(detail["transaction"]["status"], "failed");
    assert_eq!(
        detail["transaction"]["failure"]["next_step"],
        "contact_support"
    );
    assert!(
        detail["transaction"]["failure"]["next_step_text"]
            .as_str()
            .unwrap()
            .contains(v["transaction"]["reference"].as_str().unwrap())
    );
    assert_eq!(app.available(&siti).await, 0);
    let mut bad = top_up(&siti, 1);
    bad["external_failure"] = json!("insufficient_balance");
    app.op(&admin, "claim", bad)
        .await
        .assert_problem(422, "validation_failed");
}

#[tokio::test]
async fn held_payments_are_captured_voided_or_expired() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let merchant = app.staff_token(&app.accounts.merchant_staff).await;
    let siti = app.accounts.customer.id.clone();
    app.op(&admin, "t", top_up(&siti, 100_000_00)).await;
    let mut held = payment(&app, 40_000_00, "Hotel booking");
    held["hold_minutes"] = json!(30);
    let p = app.op(&admin, "hold-1", held.clone()).await.json();
    assert_eq!(p["status"], "pending");
    assert_eq!(
        app.available(&siti).await,
        60_000_00,
        "held amount is not spendable"
    );
    let id = p["id"].as_str().unwrap().to_owned();
    // Agents cannot capture; another merchant cannot see it.
    let agent = app.staff_token(&app.accounts.agent).await;
    app.call(
        Method::POST,
        &format!("/api/v1/transactions/{id}/capture"),
        Some(&agent),
        Some(json!({})),
    )
    .await
    .assert_problem(403, "forbidden");
    let c = app
        .call(
            Method::POST,
            &format!("/api/v1/transactions/{id}/capture"),
            Some(&merchant),
            Some(json!({"amount_minor": 35_000_00})),
        )
        .await;
    assert_eq!(c.status, StatusCode::OK, "{}", c.body);
    assert_eq!(c.json()["status"], "succeeded");
    assert_eq!(c.json()["amount_minor"], 35_000_00);
    assert_eq!(
        app.available(&siti).await,
        65_000_00,
        "the uncaptured 5,000 is released"
    );
    app.call(
        Method::POST,
        &format!("/api/v1/transactions/{id}/void"),
        Some(&merchant),
        None,
    )
    .await
    .assert_problem(409, "invalid_state");

    let v = app.op(&admin, "hold-2", held.clone()).await.json();
    let vid = v["id"].as_str().unwrap();
    let voided = app
        .call(
            Method::POST,
            &format!("/api/v1/transactions/{vid}/void"),
            Some(&merchant),
            None,
        )
        .await
        .json();
    assert_eq!(voided["status"], "failed");
    assert_eq!(voided["failure"]["reason"], "merchant_unavailable");
    assert_eq!(app.available(&siti).await, 65_000_00);

    let e = app.op(&admin, "hold-3", held).await.json();
    let expired = app
        .store
        .expire_holds(server::now_us() + 31 * 60_000_000, 10)
        .await
        .unwrap();
    assert_eq!(expired, 1);
    let token = app.customer_token().await;
    let detail = app
        .get(
            &format!("/api/v1/transactions/{}", e["id"].as_str().unwrap()),
            Some(&token),
        )
        .await
        .json();
    assert_eq!(detail["transaction"]["failure"]["reason"], "expired");
    assert_eq!(app.available(&siti).await, 65_000_00);
    app.assert_ledger_balanced().await;
}

async fn seed_history(app: &TestApp, admin: &str) {
    let siti = app.accounts.customer.id.clone();
    app.op(admin, "seed-top", top_up(&siti, 1_000_000_00)).await;
    for i in 0..12 {
        let desc = if i % 3 == 0 {
            format!("Nasi goreng {i}")
        } else {
            format!("Kopi susu {i}")
        };
        let a = app
            .op(
                admin,
                &format!("seed-{i}"),
                payment(app, (i + 1) * 10_000_00, &desc),
            )
            .await;
        assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    }
    let other = app.accounts.other_customer.id.clone();
    app.op(admin, "budi-top", top_up(&other, 5_000_00)).await;
}

#[tokio::test]
async fn history_filters_pages_and_exports_only_the_callers_records() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    seed_history(&app, &admin).await;
    let token = app.customer_token().await;
    let list = |q: &'static str| {
        let app = &app;
        let token = token.clone();
        async move {
            app.get(&format!("/api/v1/transactions?{q}"), Some(&token))
                .await
                .json()
        }
    };
    let all = list("limit=100").await;
    assert_eq!(
        all["items"].as_array().unwrap().len(),
        13,
        "Budi's top-up is not Siti's"
    );
    let payments = list("kind=payment&limit=100").await;
    assert_eq!(payments["items"].as_array().unwrap().len(), 12);
    let nasi = list("q=NASI").await;
    assert_eq!(nasi["items"].as_array().unwrap().len(), 4);
    let range = list("min_minor=3000000&max_minor=5000000").await;
    let amounts: Vec<i64> = range["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["amount_minor"].as_i64().unwrap())
        .collect();
    assert_eq!(
        amounts,
        vec![50_000_00, 40_000_00, 30_000_00],
        "newest first"
    );
    assert_eq!(
        list("status=failed").await["items"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    assert_eq!(
        list("from=2000-01-01&to=2000-01-02").await["items"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    let today = jiff::Timestamp::now().strftime("%Y-%m-%d").to_string();
    let q = format!("/api/v1/transactions?from={today}&to={today}&limit=100");
    assert_eq!(
        app.get(&q, Some(&token)).await.json()["items"]
            .as_array()
            .unwrap()
            .len(),
        13
    );
    // Pages of 5: all 13 once, no OFFSET drift.
    let mut seen = Vec::new();
    let mut url = "/api/v1/transactions?limit=5".to_owned();
    loop {
        let page = app.get(&url, Some(&token)).await.json();
        seen.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["id"].as_str().unwrap().to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => url = format!("/api/v1/transactions?limit=5&cursor={c}"),
            None => break,
        }
    }
    let unique: std::collections::HashSet<_> = seen.iter().collect();
    assert_eq!((seen.len(), unique.len()), (13, 13));
    // CSV of the same filter.
    let csv = app
        .get("/api/v1/transactions.csv?q=nasi", Some(&token))
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.content_type().starts_with("text/csv"));
    assert!(csv.header("content-disposition").contains("attachment"));
    let lines: Vec<_> = csv.body.lines().collect();
    assert_eq!(
        lines[0],
        "date,reference,type,status,amount,currency,merchant,description,failure_reason"
    );
    assert_eq!(lines.len(), 5);
    assert!(
        lines[1].contains(",payment,succeeded,-100000.00,IDR,Warung Nusantara,Nasi goreng 9,"),
        "{}",
        lines[1]
    );
    // Bad filters are 422 naming each field.
    let bad = app
        .get(
            "/api/v1/transactions?from=yesterday&kind=gift&min_minor=5&max_minor=1",
            Some(&token),
        )
        .await;
    let v = bad.assert_problem(422, "validation_failed");
    let fields: Vec<_> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["from", "max_minor", "kind"]);
}

#[tokio::test]
async fn each_role_sees_only_its_share_of_the_records() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    seed_history(&app, &admin).await;
    let budi = app.token("customer", "budi@example.id").await;
    let siti_tx = app
        .get(
            "/api/v1/transactions?limit=1",
            Some(&app.customer_token().await),
        )
        .await
        .json()["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Budi cannot read, note, flag or refund Siti's payment: 404 like a made-up id.
    app.get(&format!("/api/v1/transactions/{siti_tx}"), Some(&budi))
        .await
        .assert_problem(404, "not_found");
    app.post_idem(
        &format!("/api/v1/transactions/{siti_tx}/notes"),
        &budi,
        "n",
        json!({"body": "mine?"}),
    )
    .await
    .assert_problem(404, "not_found");
    app.post_idem(
        &format!("/api/v1/transactions/{siti_tx}/flags"),
        &budi,
        "f",
        json!({"reason": "improper"}),
    )
    .await
    .assert_problem(404, "not_found");
    app.post_idem(
        &format!("/api/v1/transactions/{siti_tx}/refunds"),
        &budi,
        "r",
        json!({"amount_minor": 1, "reason": "not_received"}),
    )
    .await
    .assert_problem(404, "not_found");
    // Filtering by another customer does not widen a customer's view.
    let sneaky = app
        .get(
            &format!(
                "/api/v1/transactions?customer_id={}",
                app.accounts.customer.id
            ),
            Some(&budi),
        )
        .await
        .json();
    assert_eq!(sneaky["items"].as_array().unwrap().len(), 1);
    let csv = app.get("/api/v1/transactions.csv", Some(&budi)).await;
    assert!(
        !csv.body.contains("Warung"),
        "Budi's export holds only Budi's top-up"
    );
    // The merchant sees the payments made to it, and nobody's top-ups.
    let merchant = app.staff_token(&app.accounts.merchant_staff).await;
    let m = app
        .get("/api/v1/transactions?limit=100", Some(&merchant))
        .await
        .json();
    assert_eq!(m["items"].as_array().unwrap().len(), 12);
    assert!(
        m["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["kind"] == "payment")
    );
    let top_up_id = app
        .get(
            "/api/v1/transactions?kind=top_up&limit=1",
            Some(&app.customer_token().await),
        )
        .await
        .json()["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.get(
        &format!("/api/v1/transactions/{top_up_id}"),
        Some(&merchant),
    )
    .await
    .assert_problem(404, "not_found");
    // Agents see anyone's history and can narrow it to one customer.
    let agent = app.staff_token(&app.accounts.agent).await;
    let one = app
        .get(
            &format!(
                "/api/v1/transactions?customer_id={}&limit=100",
                app.accounts.other_customer.id
            ),
            Some(&agent),
        )
        .await
        .json();
    assert_eq!(one["items"].as_array().unwrap().len(), 1);
    assert_eq!(
        app.get("/api/v1/transactions?limit=100", Some(&agent))
            .await
            .json()["items"]
            .as_array()
            .unwrap()
            .len(),
        14
    );
}

#[tokio::test]
async fn notes_are_private_and_editable_and_flags_reach_agents() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    seed_history(&app, &admin).await;
    let token = app.customer_token().await;
    let tx = app
        .get("/api/v1/transactions?limit=1", Some(&token))
        .await
        .json()["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let note = app
        .post_idem(
            &format!("/api/v1/transactions/{tx}/notes"),
            &token,
            "note-1",
            json!({"body": "  Arisan kantor  "}),
        )
        .await;
    assert_eq!(note.status, StatusCode::CREATED, "{}", note.body);
    let note_id = note.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(note.json()["body"], "Arisan kantor");
    app.post_idem(
        &format!("/api/v1/transactions/{tx}/notes"),
        &token,
        "note-2",
        json!({"body": ""}),
    )
    .await
    .assert_problem(422, "validation_failed");
    let edited = app
        .call(
            Method::PATCH,
            &format!("/api/v1/notes/{note_id}"),
            Some(&token),
            Some(json!({"body": "Arisan kantor (Desember)"})),
        )
        .await;
    assert_eq!(edited.json()["body"], "Arisan kantor (Desember)");
    let budi = app.token("customer", "budi@example.id").await;
    app.call(
        Method::PATCH,
        &format!("/api/v1/notes/{note_id}"),
        Some(&budi),
        Some(json!({"body": "hijacked"})),
    )
    .await
    .assert_problem(404, "not_found");
    app.call(
        Method::DELETE,
        &format!("/api/v1/notes/{note_id}"),
        Some(&budi),
        None,
    )
    .await
    .assert_problem(404, "not_found");
    // Agents see the transaction but not the customer's private notes.
    let agent = app.staff_token(&app.accounts.agent).await;
    let seen_by_agent = app
        .get(&format!("/api/v1/transactions/{tx}"), Some(&agent))
        .await
        .json();
    assert!(seen_by_agent["notes"].as_array().unwrap().is_empty());
    let mine = app
        .get(&format!("/api/v1/transactions/{tx}"), Some(&token))
        .await
        .json();
    assert_eq!(mine["notes"][0]["body"], "Arisan kantor (Desember)");
    assert_eq!(
        app.call(
            Method::DELETE,
            &format!("/api/v1/notes/{note_id}"),
            Some(&token),
            None
        )
        .await
        .status,
        StatusCode::NO_CONTENT
    );
    assert!(
        app.get(&format!("/api/v1/transactions/{tx}"), Some(&token))
            .await
            .json()["notes"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    let flag = app
        .post_idem(
            &format!("/api/v1/transactions/{tx}/flags"),
            &token,
            "flag-1",
            json!({"reason": "not_recognised", "comment": "Bukan saya"}),
        )
        .await;
    assert_eq!(flag.status, StatusCode::CREATED, "{}", flag.body);
    assert_eq!(flag.json()["status"], "open");
    app.post_idem(
        &format!("/api/v1/transactions/{tx}/flags"),
        &token,
        "flag-2",
        json!({"reason": "improper"}),
    )
    .await
    .assert_problem(409, "invalid_state");
    app.post_idem(
        &format!("/api/v1/transactions/{tx}/flags"),
        &token,
        "flag-3",
        json!({"reason": "angry"}),
    )
    .await
    .assert_problem(422, "validation_failed");
    let flags = app.get("/api/v1/flags", Some(&agent)).await.json();
    assert_eq!(flags["items"][0]["transaction_id"], tx.as_str());
    assert_eq!(flags["items"][0]["comment"], "Bukan saya");
    app.get("/api/v1/flags", Some(&token))
        .await
        .assert_problem(403, "forbidden");
}

#[tokio::test]
async fn unusual_payments_say_which_rule_fired() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    seed_history(&app, &admin).await;
    app.op(
        &admin,
        "more",
        top_up(&app.accounts.customer.id, 1_000_000_00),
    )
    .await;
    let big = app
        .op(&admin, "big", payment(&app, 900_000_00, "Laptop"))
        .await
        .json();
    assert_eq!(big["unusual"]["rule"]["rule"], "amount_outlier");
    assert!(
        big["unusual"]["explanation"]
            .as_str()
            .unwrap()
            .contains("unusual")
    );
    let normal = app
        .op(&admin, "normal", payment(&app, 20_000_00, "Kopi"))
        .await
        .json();
    assert!(normal["unusual"].is_null());
}

async fn paid(app: &TestApp, admin: &str, minor: i64) -> String {
    let siti = app.accounts.customer.id.clone();
    app.op(admin, &format!("top-{minor}"), top_up(&siti, minor))
        .await;
    app.op(
        admin,
        &format!("pay-{minor}"),
        payment(app, minor, "Sepatu lari"),
    )
    .await
    .json()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn refunds_follow_the_merchants_policy_and_say_which_rule_decided() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let token = app.customer_token().await;
    let siti = app.accounts.customer.id.clone();
    let pay = paid(&app, &admin, 200_000_00).await;
    let refund = |key: &'static str, amount: i64, reason: &'static str| {
        let (app, token, pay) = (&app, token.clone(), pay.clone());
        async move {
            app.post_idem(
                &format!("/api/v1/transactions/{pay}/refunds"),
                &token,
                key,
                json!({"amount_minor": amount, "reason": reason}),
            )
            .await
        }
    };
    // Small: approved automatically, money back at once.
    let small = refund("r1", 20_000_00, "not_received").await;
    assert_eq!(small.status, StatusCode::CREATED, "{}", small.body);
    assert_eq!(small.json()["status"], "succeeded");
    assert_eq!(small.json()["rule"]["rule"], "auto_approve_below");
    assert!(
        small.json()["explanation"]
            .as_str()
            .unwrap()
            .contains("automatically")
    );
    assert_eq!(app.available(&siti).await, 20_000_00);
    // Changing one's mind is not an accepted reason by default.
    let mind = refund("r2", 10_000_00, "changed_mind").await.json();
    assert_eq!(
        (mind["status"].as_str(), mind["rule"]["rule"].as_str()),
        (Some("rejected"), Some("reason_not_accepted"))
    );
    // Large: the merchant decides.
    let large = refund("r3", 100_000_00, "not_as_described").await.json();
    assert_eq!(large["status"], "requested");
    let large_id = large["id"].as_str().unwrap().to_owned();
    let merchant = app.staff_token(&app.accounts.merchant_staff).await;
    let queue = app
        .get(
            &format!(
                "/api/v1/merchants/{}/refunds?status=requested",
                app.accounts.merchant.id
            ),
            Some(&merchant),
        )
        .await
        .json();
    assert_eq!(queue.as_array().unwrap().len(), 1);
    let decision = |who: String, body: Value| {
        let (app, id) = (&app, large_id.clone());
        async move {
            app.call(
                Method::POST,
                &format!("/api/v1/refunds/{id}/decision"),
                Some(&who),
                Some(body),
            )
            .await
        }
    };
    decision(merchant.clone(), json!({"approve": false}))
        .await
        .assert_problem(422, "validation_failed");
    let agent = app.staff_token(&app.accounts.agent).await;
    decision(
        agent.clone(),
        json!({"approve": true, "override_policy": true, "note": "x"}),
    )
    .await
    .assert_problem(403, "forbidden");
    let approved = decision(
        merchant.clone(),
        json!({"approve": true, "note": "Sorry about that"}),
    )
    .await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.body);
    assert_eq!(approved.json()["status"], "succeeded");
    assert_eq!(app.available(&siti).await, 120_000_00);
    decision(merchant.clone(), json!({"approve": true}))
        .await
        .assert_problem(409, "invalid_state");
    // Never more than what remains.
    let over = refund("r4", 90_000_00, "damaged").await.json();
    assert_eq!(over["rule"]["rule"], "exceeds_refundable");
    assert_eq!(over["rule"]["refundable_minor"], 80_000_00);
    // A supervisor may override the merchant's own rules, with a reason.
    let rejected_id = mind["id"].as_str().unwrap();
    let supervisor = app.staff_token(&app.accounts.supervisor).await;
    let o = app
        .call(
            Method::POST,
            &format!("/api/v1/refunds/{rejected_id}/decision"),
            Some(&supervisor),
            Some(json!({"approve": true, "override_policy": true})),
        )
        .await;
    o.assert_problem(422, "validation_failed");
    let o = app
        .call(Method::POST, &format!("/api/v1/refunds/{rejected_id}/decision"), Some(&supervisor), Some(json!({"approve": true, "override_policy": true, "note": "Goodwill: delivery was two weeks late"})))
        .await;
    assert_eq!(o.status, StatusCode::OK, "{}", o.body);
    assert_eq!(o.json()["rule"]["rule"], "policy_overridden");
    assert_eq!(app.available(&siti).await, 130_000_00);
    // Another merchant's staff cannot see or decide it.
    let detail = app
        .get(&format!("/api/v1/transactions/{pay}"), Some(&token))
        .await
        .json();
    assert_eq!(detail["refunds"].as_array().unwrap().len(), 4);
    let history = app
        .get("/api/v1/transactions?kind=refund", Some(&token))
        .await
        .json();
    assert_eq!(history["items"].as_array().unwrap().len(), 3);
    assert!(
        history["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["original_id"] == pay.as_str())
    );
    app.assert_ledger_balanced().await;
}

#[tokio::test]
async fn merchants_set_their_own_policy_only() {
    let app = spawn_app().await;
    let merchant = app.staff_token(&app.accounts.merchant_staff).await;
    let policy = json!({"window_days": 7, "partial_allowed": false, "max_refunds_per_payment": 1, "auto_approve_below_minor": 0, "accepted_reasons": ["not_received", "damaged"]});
    let own = app
        .call(
            Method::PUT,
            &format!(
                "/api/v1/merchants/{}/refund-policy",
                app.accounts.merchant.id
            ),
            Some(&merchant),
            Some(policy.clone()),
        )
        .await;
    assert_eq!(own.status, StatusCode::OK, "{}", own.body);
    app.call(
        Method::PUT,
        &format!(
            "/api/v1/merchants/{}/refund-policy",
            app.accounts.other_merchant.id
        ),
        Some(&merchant),
        Some(policy),
    )
    .await
    .assert_problem(404, "not_found");
    let bad = json!({"window_days": 999, "partial_allowed": true, "max_refunds_per_payment": 0, "auto_approve_below_minor": -1, "accepted_reasons": ["whim"]});
    let v = app
        .call(
            Method::PUT,
            &format!(
                "/api/v1/merchants/{}/refund-policy",
                app.accounts.merchant.id
            ),
            Some(&merchant),
            Some(bad),
        )
        .await
        .assert_problem(422, "validation_failed");
    assert_eq!(v["errors"].as_array().unwrap().len(), 4);
    let token = app.customer_token().await;
    let seen = app
        .get(
            &format!(
                "/api/v1/merchants/{}/refund-policy",
                app.accounts.merchant.id
            ),
            Some(&token),
        )
        .await
        .json();
    assert_eq!(seen["window_days"], 7);
    // With partial refunds off and nothing automatic, a full refund goes to the merchant.
    let admin = app.admin_token().await;
    let pay = paid(&app, &admin, 50_000_00).await;
    let partial = app
        .post_idem(
            &format!("/api/v1/transactions/{pay}/refunds"),
            &token,
            "p",
            json!({"amount_minor": 10_000_00, "reason": "damaged"}),
        )
        .await
        .json();
    assert_eq!(partial["rule"]["rule"], "partial_not_allowed");
    let full = app
        .post_idem(
            &format!("/api/v1/transactions/{pay}/refunds"),
            &token,
            "f",
            json!({"amount_minor": 50_000_00, "reason": "damaged"}),
        )
        .await
        .json();
    assert_eq!(full["status"], "requested");
}

#[tokio::test]
async fn concurrent_refunds_never_exceed_the_captured_amount() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let token = app.customer_token().await;
    let pay = paid(&app, &admin, 40_000_00).await;
    let mut tasks = Vec::new();
    for i in 0..16 {
        let (router, token, pay) = (app.router.clone(), token.clone(), pay.clone());
        tasks.push(tokio::spawn(async move {
            use tower::ServiceExt;
            let req = Request::builder()
                .method(Method::POST)
                .uri(format!("/api/v1/transactions/{pay}/refunds"))
                .header("authorization", format!("Bearer {token}"))
                .header("content-type", "application/json")
                .header("idempotency-key", format!("c{i}"))
                .body(Body::from(
                    json!({"amount_minor": 10_000_00, "reason": "charged_twice"}).to_string(),
                ))
                .unwrap();
            router.oneshot(req).await.unwrap().status()
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), StatusCode::CREATED);
    }
    let refunds = app.store.refunds_of_payment(&pay).await.unwrap();
    let paid_back: i64 = refunds
        .iter()
        .filter(|r| r.status == domain::wallet::RefundStatus::Succeeded)
        .map(|r| r.amount.minor)
        .sum();
    assert_eq!(paid_back, 30_000_00, "max 3 refunds by policy, 10,000 each");
    assert!(paid_back <= 40_000_00);
    app.assert_ledger_balanced().await;
}

#[tokio::test]
async fn thirty_two_concurrent_submitters_keep_the_ledger_balanced_without_duplicates() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let customers = [
        app.accounts.customer.id.clone(),
        app.accounts.other_customer.id.clone(),
    ];
    for (i, c) in customers.iter().enumerate() {
        app.op(&admin, &format!("seed-{i}"), top_up(c, 100_000_00))
            .await;
    }
    let mut tasks = Vec::new();
    for task in 0..32u32 {
        let (router, admin, customers) = (app.router.clone(), admin.clone(), customers.clone());
        let merchant = app.accounts.merchant.id.to_string();
        tasks.push(tokio::spawn(async move {
            use tower::ServiceExt;
            let mut created = Vec::new();
            for step in 0..6u32 {
                let from = &customers[((task + step) % 2) as usize];
                let to = &customers[((task + step + 1) % 2) as usize];
                let body = match step % 3 {
                    0 => json!({"type": "transfer", "customer_id": from.to_string(), "to_customer_id": to.to_string(), "amount_minor": 7_000_00 + i64::from(task)}),
                    1 => json!({"type": "payment", "customer_id": from.to_string(), "merchant_id": merchant, "amount_minor": 3_000_00}),
                    _ => json!({"type": "top_up", "customer_id": from.to_string(), "amount_minor": 2_000_00}),
                };
                // Every request is sent twice with the same key, as a client retrying would.
                for _ in 0..2 {
                    let req = Request::builder()
                        .method(Method::POST)
                        .uri("/api/v1/wallet/operations")
                        .header("authorization", format!("Bearer {admin}"))
                        .header("content-type", "application/json")
                        .header("idempotency-key", format!("load-{task}-{step}"))
                        .body(Body::from(body.to_string()))
                        .unwrap();
                    let resp = router.clone().oneshot(req).await.unwrap();
                    let status = resp.status();
                    assert!(matches!(status.as_u16(), 201 | 409 | 422), "unexpected {status}");
                    if status == StatusCode::CREATED {
                        use http_body_util::BodyExt;
                        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
                        let v: Value = serde_json::from_slice(&bytes).unwrap();
                        created.push(v["id"].as_str().unwrap().to_owned());
                    }
                }
            }
            created
        }));
    }
    let mut ids = Vec::new();
    for t in tasks {
        ids.extend(t.await.unwrap());
    }
    app.assert_ledger_balanced().await;
    // Each key moved money at most once: the transactions stored equal the distinct ids answered.
    let agent = app.staff_token(&app.accounts.agent).await;
    let mut stored = 0;
    let mut url =
        "/api/v1/transactions?limit=100&status=succeeded&kind=transfer_out,payment,top_up"
            .to_owned();
    loop {
        let page = app.get(&url, Some(&agent)).await.json();
        stored += page["items"].as_array().unwrap().len();
        match page["next_cursor"].as_str() {
            Some(c) => {
                url = format!(
                    "/api/v1/transactions?limit=100&status=succeeded&kind=transfer_out,payment,top_up&cursor={c}"
                )
            }
            None => break,
        }
    }
    let distinct: std::collections::HashSet<_> = ids.iter().collect();
    assert_eq!(
        stored,
        distinct.len() + 2,
        "2 seed top-ups + one per key that succeeded"
    );
    let total: i64 = app
        .store
        .ledger_accounts()
        .await
        .unwrap()
        .iter()
        .filter(|a| a.kind == domain::ledger::AccountKind::CustomerWallet)
        .map(|a| a.balance.posted())
        .sum();
    assert!(total >= 0);
}

#[tokio::test]
async fn linked_transfers_post_together_or_not_at_all() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let siti = app.accounts.customer.id.clone();
    let budi = app.accounts.other_customer.id.clone();
    app.op(&admin, "s", top_up(&siti, 100_000_00)).await;
    app.op(&admin, "b", top_up(&budi, 1_00)).await;
    let wallet = |c: &domain::CustomerId| format!("wallet:{c}:IDR");
    let transfer = |from: &domain::CustomerId, to: &domain::CustomerId, amount: i64| json!({"id": uuid::Uuid::now_v7().to_string(), "debit_account": wallet(from), "credit_account": wallet(to), "amount_minor": amount});
    let before = app.store.ledger_accounts().await.unwrap();
    let too_much = json!({"transfers": [transfer(&siti, &budi, 60_000_00), transfer(&siti, &budi, 60_000_00)]});
    let v = app
        .call(
            Method::POST,
            "/api/v1/ledger/transfers",
            Some(&admin),
            Some(too_much),
        )
        .await
        .assert_problem(422, "validation_failed");
    assert_eq!(v["errors"][0]["field"], "transfers[1]");
    assert_eq!(v["errors"][0]["code"], "insufficient_funds");
    assert_eq!(
        app.store.ledger_accounts().await.unwrap(),
        before,
        "the first transfer of a refused group is not applied"
    );
    let group = json!({"transfers": [transfer(&siti, &budi, 60_000_00), transfer(&budi, &siti, 10_000_00)]});
    let ok = app
        .call(
            Method::POST,
            "/api/v1/ledger/transfers",
            Some(&admin),
            Some(group.clone()),
        )
        .await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.body);
    let retry = app
        .call(
            Method::POST,
            "/api/v1/ledger/transfers",
            Some(&admin),
            Some(group),
        )
        .await;
    assert_eq!(
        (retry.status, retry.json()["outcome"].as_str()),
        (StatusCode::OK, Some("exists"))
    );
    assert_eq!(app.available(&siti).await, 50_000_00);
    assert_eq!(app.available(&budi).await, 50_001_00);
    let unknown = json!({"transfers": [{"id": uuid::Uuid::now_v7().to_string(), "debit_account": wallet(&siti), "credit_account": "nowhere", "amount_minor": 1}]});
    let v = app
        .call(
            Method::POST,
            "/api/v1/ledger/transfers",
            Some(&admin),
            Some(unknown),
        )
        .await
        .assert_problem(422, "validation_failed");
    assert_eq!(v["errors"][0]["code"], "account_not_found");
    app.assert_ledger_balanced().await;
}

#[tokio::test]
async fn a_payment_refunded_in_full_shows_as_reversed() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let token = app.customer_token().await;
    let pay = paid(&app, &admin, 30_000_00).await;
    let first = app
        .post_idem(
            &format!("/api/v1/transactions/{pay}/refunds"),
            &token,
            "r1",
            json!({"amount_minor": 20_000_00, "reason": "damaged"}),
        )
        .await;
    assert_eq!(first.json()["status"], "succeeded");
    let detail = app
        .get(&format!("/api/v1/transactions/{pay}"), Some(&token))
        .await
        .json();
    assert_eq!(
        detail["transaction"]["status"], "succeeded",
        "partly refunded is still a payment"
    );
    let rest = app
        .post_idem(
            &format!("/api/v1/transactions/{pay}/refunds"),
            &token,
            "r2",
            json!({"amount_minor": 10_000_00, "reason": "damaged"}),
        )
        .await;
    assert_eq!(rest.json()["status"], "succeeded");
    let detail = app
        .get(&format!("/api/v1/transactions/{pay}"), Some(&token))
        .await
        .json();
    assert_eq!(detail["transaction"]["status"], "reversed");
    let reversed = app
        .get("/api/v1/transactions?status=reversed", Some(&token))
        .await
        .json();
    assert_eq!(reversed["items"].as_array().unwrap().len(), 1);
    // Nothing left to refund.
    let more = app
        .post_idem(
            &format!("/api/v1/transactions/{pay}/refunds"),
            &token,
            "r3",
            json!({"amount_minor": 1_00, "reason": "damaged"}),
        )
        .await
        .json();
    assert_eq!(more["status"], "rejected");
    app.assert_ledger_balanced().await;
}
