//! Bank cards and bank accounts: the number and format checks over the API in the
//! customer's language, one-time codes against a local fake issuer, micro-deposits
//! through the ledger, the shared-card risk flag, the per-customer limit, who may see and
//! act on whose cards, the page's messages, and a scan of the SQLite file for card numbers.

use crate::helpers::*;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use domain::cards::{CardRepo, LinkState, luhn_check_digit};
use domain::protection::ProtectionRepo;
use domain::repo::{RepoError, WalletRepo};
use serde_json::{Value, json};
use server::Config;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

const FINGERPRINT_KEY: &str = "test-fingerprint-key-0123456789abcdef";
const ISSUER_KEY: &str = "issuer-test-key";
/// The code the fake issuer sends for every challenge.
const ISSUER_CODE: &str = "246810";

/// A Luhn-valid number of `len` digits starting with `prefix`; `seed` varies the middle.
fn card_number(prefix: &str, len: usize, seed: u32) -> String {
    let mut s = prefix.to_owned();
    let mut x = seed.wrapping_mul(2_654_435_761).wrapping_add(12_345);
    while s.len() < len - 1 {
        s.push((b'0' + (x % 10) as u8) as char);
        x = x / 10 + 7_919 * (s.len() as u32);
    }
    let d = luhn_check_digit(&s);
    s.push(d);
    s
}

fn cards_config(issuer: &str) -> Config {
    let mut c = test_config();
    c.cards.fingerprint_key = FINGERPRINT_KEY.into();
    c.cards.issuer_base_url = issuer.into();
    c.cards.issuer_api_key = ISSUER_KEY.into();
    c.cards.issuer_timeout_secs = 2;
    c
}

/// An app whose issuer is a closed port: code requests fail, deposits work.
async fn spawn_cards_app() -> TestApp {
    spawn_app_with(cards_config("http://127.0.0.1:9")).await
}

async fn post(app: &TestApp, path: &str, token: &str, body: Value) -> Answer {
    let req = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json")
        .header("idempotency-key", uuid::Uuid::now_v7().to_string())
        .body(Body::from(body.to_string()))
        .unwrap();
    app.send(req).await
}

async fn add_card(app: &TestApp, token: &str, number: &str, verification: &str) -> Answer {
    // American Express has a four-digit security code.
    let cvv = if number.starts_with("34") || number.starts_with("37") {
        "1234"
    } else {
        "123"
    };
    post(
        app,
        "/api/v1/me/cards",
        token,
        json!({"number": number, "expiry_month": 12, "expiry_year": 2031, "cvv": cvv,
               "holder_name": "Siti Rahayu", "verification": verification}),
    )
    .await
}

async fn add_account(app: &TestApp, token: &str, bank: &str, number: &str) -> Answer {
    post(
        app,
        "/api/v1/me/bank-accounts",
        token,
        json!({"bank_code": bank, "account_number": number, "holder_name": "Siti Rahayu"}),
    )
    .await
}

async fn verify(app: &TestApp, token: &str, id: &str, body: Value) -> Answer {
    app.call(
        Method::POST,
        &format!("/api/v1/me/payment-methods/{id}/verify"),
        Some(token),
        Some(body),
    )
    .await
}

async fn set_locale(app: &TestApp, token: &str, locale: &str) {
    let a = app
        .call(
            Method::PATCH,
            "/api/v1/me",
            Some(token),
            Some(json!({"locale": locale})),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
}

async fn mine(app: &TestApp, token: &str) -> Vec<Value> {
    let a = app.get("/api/v1/me/payment-methods", Some(token)).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    a.json()["items"].as_array().unwrap().clone()
}

#[tokio::test]
async fn card_numbers_are_checked_and_refusals_speak_the_customers_language() {
    let app = spawn_cards_app().await;
    let token = app.customer_token().await;
    set_locale(&app, &token, "id").await;
    let cases: Vec<(String, u16, &str, &str)> = vec![
        (
            "4556 12ab 3456".into(),
            422,
            "number_malformed",
            "card-number-invalid",
        ),
        (
            {
                let mut n = card_number("455612", 16, 1);
                let last = n.pop().unwrap();
                n.push(if last == '9' {
                    '0'
                } else {
                    (last as u8 + 1) as char
                });
                n
            },
            422,
            "luhn_failed",
            "card-number-invalid",
        ),
        (
            card_number("455612", 15, 2),
            422,
            "wrong_length",
            "card-number-invalid",
        ),
        (
            card_number("374245", 16, 3),
            422,
            "wrong_length",
            "card-number-invalid",
        ),
        (
            "4111111111111111".into(),
            422,
            "unknown_bin",
            "bank-not-supported",
        ),
        (
            card_number("93600200", 16, 4),
            422,
            "bank_not_supported",
            "bank-not-supported",
        ),
        (
            card_number("621799", 19, 5),
            422,
            "bank_not_supported",
            "bank-not-supported",
        ),
    ];
    for (number, status, code, slug) in cases {
        let a = add_card(&app, &token, &number, "micro_deposits").await;
        let p = a.assert_problem(status, code);
        assert_eq!(p["help_url"], format!("/help/a/{slug}"), "{number}");
        assert_eq!(p["field"], "number");
        // Indonesian, from the catalogue, never the number itself.
        let detail = p["detail"].as_str().unwrap();
        assert!(
            !detail.is_empty() && !detail.contains("cards-problem"),
            "{detail}"
        );
        assert!(
            !a.body.contains(&number),
            "the answer must not echo the number"
        );
    }
    let luhn = add_card(&app, &token, "4556 1200 0000 0001", "micro_deposits").await;
    assert!(
        luhn.json()["detail"]
            .as_str()
            .unwrap()
            .contains("tidak valid"),
        "{}",
        luhn.body
    );
    // Expired: November 2026 cards are good through the month in Jakarta.
    let expired = post(
        &app,
        "/api/v1/me/cards",
        &token,
        json!({"number": card_number("455612", 16, 6), "expiry_month": 1, "expiry_year": 2020, "verification": "micro_deposits"}),
    )
    .await;
    let p = expired.assert_problem(422, "expired");
    assert_eq!(p["help_url"], "/help/a/card-expired");
    let bad_month = post(
        &app,
        "/api/v1/me/cards",
        &token,
        json!({"number": card_number("455612", 16, 6), "expiry_month": 13, "expiry_year": 2030}),
    )
    .await;
    bad_month.assert_problem(422, "expiry_invalid");
    let bad_cvv = post(
        &app,
        "/api/v1/me/cards",
        &token,
        json!({"number": card_number("374245", 15, 7), "expiry_month": 1, "expiry_year": 2030, "cvv": "123"}),
    )
    .await;
    bad_cvv.assert_problem(422, "cvv_invalid");
    assert!(
        mine(&app, &token).await.is_empty(),
        "nothing stored on refusals"
    );
    // Every brand of the table links.
    set_locale(&app, &token, "zh-CN").await;
    for (i, (prefix, len, brand)) in [
        ("455612", 16, "visa"),
        ("524211", 16, "mastercard"),
        ("356250", 16, "jcb"),
        ("374245", 15, "amex"),
        ("622202", 19, "unionpay"),
    ]
    .into_iter()
    .enumerate()
    {
        let a = add_card(
            &app,
            &token,
            &card_number(prefix, len, 10 + i as u32),
            "micro_deposits",
        )
        .await;
        assert_eq!(a.status, StatusCode::CREATED, "{prefix}: {}", a.body);
        let v = a.json();
        assert_eq!(v["brand"], brand);
        assert_eq!(v["state"], "pending_verification");
        assert!(
            v.get("bin").is_none() && v.get("risk").is_none(),
            "staff-only fields"
        );
    }
    // The sixth card is over the default limit of five, in Chinese.
    let over = add_card(
        &app,
        &token,
        &card_number("93600014", 16, 20),
        "micro_deposits",
    )
    .await;
    let p = over.assert_problem(409, "limit_reached");
    assert!(
        p["detail"].as_str().unwrap().contains("上限"),
        "{}",
        over.body
    );
    assert_eq!(p["help_url"], "/help/a/card-limit-reached");
}

#[tokio::test]
async fn bank_account_numbers_follow_each_banks_format() {
    let app = spawn_cards_app().await;
    let token = app.customer_token().await;
    for (bank, number) in [
        ("BCA", "123456789"),
        ("BCA", "12345678901"),
        ("MANDIRI", "1234567890"),
        ("BRI", "1234567890123"),
        ("BNI", "12345abcde"),
        ("ICBC", "123456789012345"),
    ] {
        let p = add_account(&app, &token, bank, number)
            .await
            .assert_problem(422, "account_number_invalid");
        assert_eq!(p["help_url"], "/help/a/bank-account-number-invalid");
        assert_eq!(p["field"], "account_number");
    }
    add_account(&app, &token, "NOPE", "1234567890")
        .await
        .assert_problem(422, "unknown_bank");
    add_account(&app, &token, "BTN", "1234567890123456")
        .await
        .assert_problem(422, "bank_not_supported");
    for (bank, number) in [
        ("BCA", "123-456-7890"),
        ("MANDIRI", "1230001234567"),
        ("BRI", "123401000123456"),
        ("BNI", "0123456789"),
        ("ICBC", "6222020200112233445"),
    ] {
        let a = add_account(&app, &token, bank, number).await;
        assert_eq!(a.status, StatusCode::CREATED, "{bank} {number}: {}", a.body);
        assert_eq!(a.json()["verification"], "micro_deposits");
    }
    let banks = app.get("/api/v1/banks", None).await.json();
    let bca = banks["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["code"] == "BCA")
        .unwrap()
        .clone();
    assert_eq!(bca["account_lengths"], json!([10]));
}

/// A card issuer's one-time-code service on a local port.
#[derive(Clone, Default)]
struct FakeIssuer {
    /// challenge id → the request that opened it.
    challenges: Arc<Mutex<HashMap<String, Value>>>,
    /// 0 normal, 1 down (503), 2 declines new challenges.
    mode: Arc<AtomicU32>,
    authorizations: Arc<Mutex<Vec<String>>>,
}

impl FakeIssuer {
    async fn start() -> (FakeIssuer, String) {
        use axum::extract::Path;
        use axum::routing::post;
        let fake = FakeIssuer::default();
        let open = fake.clone();
        let check = fake.clone();
        let app = axum::Router::new()
            .route(
                "/otp/challenges",
                post(
                    move |headers: axum::http::HeaderMap, axum::Json(body): axum::Json<Value>| {
                        let fake = open.clone();
                        async move {
                            fake.authorizations.lock().unwrap().push(
                                headers
                                    .get("authorization")
                                    .and_then(|v| v.to_str().ok())
                                    .unwrap_or("")
                                    .to_owned(),
                            );
                            match fake.mode.load(Ordering::SeqCst) {
                                1 => (
                                    StatusCode::SERVICE_UNAVAILABLE,
                                    axum::Json(json!({"error": "maintenance"})),
                                ),
                                2 => (
                                    StatusCode::UNPROCESSABLE_ENTITY,
                                    axum::Json(json!({"error": "declined"})),
                                ),
                                _ => {
                                    let id = uuid::Uuid::now_v7().to_string();
                                    fake.challenges.lock().unwrap().insert(id.clone(), body);
                                    (StatusCode::CREATED, axum::Json(json!({"challenge_id": id})))
                                }
                            }
                        }
                    },
                ),
            )
            .route(
                "/otp/challenges/{id}/verify",
                post(
                    move |Path(id): Path<String>, axum::Json(body): axum::Json<Value>| {
                        let fake = check.clone();
                        async move {
                            if fake.mode.load(Ordering::SeqCst) == 1 {
                                return (StatusCode::SERVICE_UNAVAILABLE, axum::Json(json!({})));
                            }
                            if !fake.challenges.lock().unwrap().contains_key(&id) {
                                return (StatusCode::NOT_FOUND, axum::Json(json!({})));
                            }
                            (
                                StatusCode::OK,
                                axum::Json(json!({"valid": body["code"] == ISSUER_CODE})),
                            )
                        }
                    },
                ),
            );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        (fake, format!("http://{addr}"))
    }
}

#[tokio::test]
async fn one_time_codes_from_the_issuer_verify_a_card_and_run_out() {
    let (issuer, base) = FakeIssuer::start().await;
    let app = spawn_app_with(cards_config(&base)).await;
    let token = app.customer_token().await;
    let number = card_number("455612", 16, 31);
    let a = add_card(&app, &token, &number, "issuer_otp").await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    let card = a.json();
    assert_eq!(card["verification"], "issuer_otp");
    assert_eq!(card["attempts_left"], 3);
    // The issuer got the number (in transit) and our key.
    let sent: Vec<Value> = issuer
        .challenges
        .lock()
        .unwrap()
        .values()
        .cloned()
        .collect();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["number"], number);
    assert_eq!(sent[0]["reference"], card["id"]);
    assert_eq!(
        issuer.authorizations.lock().unwrap()[0],
        format!("Bearer {ISSUER_KEY}")
    );
    let id = card["id"].as_str().unwrap();
    // A wrong code uses a try.
    let wrong = verify(&app, &token, id, json!({"code": "000000"})).await;
    let p = wrong.assert_problem(422, "code_wrong");
    assert_eq!(p["attempts_left"], 2);
    assert_eq!(p["help_url"], "/help/a/card-verification-failed");
    // The issuer down: a clear message, and no try used.
    issuer.mode.store(1, Ordering::SeqCst);
    let down = verify(&app, &token, id, json!({"code": ISSUER_CODE})).await;
    let p = down.assert_problem(503, "issuer_unavailable");
    assert!(
        p["detail"].as_str().unwrap().contains("not answering"),
        "{}",
        down.body
    );
    issuer.mode.store(0, Ordering::SeqCst);
    assert_eq!(mine(&app, &token).await[0]["attempts_left"], 2);
    // The right code verifies.
    let ok = verify(&app, &token, id, json!({"code": ISSUER_CODE})).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    assert_eq!(ok.json()["state"], "verified");
    verify(&app, &token, id, json!({"code": ISSUER_CODE}))
        .await
        .assert_problem(409, "not_pending");

    // Three wrong codes fail the link; even the right code is refused afterwards.
    let other = add_card(&app, &token, &card_number("524211", 16, 32), "issuer_otp")
        .await
        .json();
    let oid = other["id"].as_str().unwrap();
    for left in [2, 1] {
        let p = verify(&app, &token, oid, json!({"code": "111111"}))
            .await
            .assert_problem(422, "code_wrong");
        assert_eq!(p["attempts_left"], left);
    }
    let last = verify(&app, &token, oid, json!({"code": "111111"})).await;
    last.assert_problem(422, "attempts_exhausted");
    verify(&app, &token, oid, json!({"code": ISSUER_CODE}))
        .await
        .assert_problem(409, "not_pending");
    let listed = mine(&app, &token).await;
    let failed = listed.iter().find(|m| m["id"] == oid).unwrap();
    assert_eq!(failed["state"], "failed");
    assert_eq!(failed["failure"], "attempts_exhausted");
    assert_eq!(failed["help_url"], "/help/a/card-verification-failed");
    assert!(!failed["failure_message"].as_str().unwrap().is_empty());

    // The issuer down when adding: nothing stored, the customer can simply retry.
    issuer.mode.store(1, Ordering::SeqCst);
    let before = mine(&app, &token).await.len();
    let n3 = card_number("356250", 16, 33);
    add_card(&app, &token, &n3, "issuer_otp")
        .await
        .assert_problem(503, "issuer_unavailable");
    assert_eq!(mine(&app, &token).await.len(), before);
    // Declined by the issuer: a message that points to the other method.
    issuer.mode.store(2, Ordering::SeqCst);
    add_card(&app, &token, &n3, "issuer_otp")
        .await
        .assert_problem(422, "issuer_declined");
    issuer.mode.store(0, Ordering::SeqCst);
    assert_eq!(
        add_card(&app, &token, &n3, "issuer_otp").await.status,
        StatusCode::CREATED
    );

    // The issuer forgot the challenge (it expired there): the link fails with that reason.
    let n4 = card_number("524211", 16, 34);
    let fourth = add_card(&app, &token, &n4, "issuer_otp").await.json();
    issuer.challenges.lock().unwrap().clear();
    verify(
        &app,
        &token,
        fourth["id"].as_str().unwrap(),
        json!({"code": ISSUER_CODE}),
    )
    .await
    .assert_problem(422, "verification_expired");
    let gone = app
        .store
        .linked_method(fourth["id"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(
        (gone.state, gone.failure),
        (
            LinkState::Failed,
            Some(domain::cards::LinkProblem::VerificationExpired)
        )
    );

    // No issuer at all (closed port): the same clear message.
    let offline = spawn_cards_app().await;
    let t = offline.customer_token().await;
    add_card(&offline, &t, &number, "issuer_otp")
        .await
        .assert_problem(503, "issuer_unavailable");

    // Every step is in the audit chain, without the number.
    let audit = app.store.audit_entries(1, 1000).await.unwrap();
    let actions: Vec<(&str, &str)> = audit
        .iter()
        .map(|e| (e.entry.action.as_str(), e.entry.outcome.as_str()))
        .collect();
    for want in [
        ("card.link", "ok"),
        ("card.verify", "refused"),
        ("card.verify", "passed"),
        ("card.link", "refused"),
    ] {
        assert!(actions.contains(&want), "{want:?} missing from {actions:?}");
    }
    assert!(audit.iter().all(|e| !e.entry.detail.contains(&number)));
    assert!(domain::protection::verify_audit_chain(&audit).is_ok());
}

#[tokio::test]
async fn micro_deposits_go_through_the_ledger_and_are_read_back() {
    let app = spawn_cards_app().await;
    let token = app.customer_token().await;
    let a = add_account(&app, &token, "BCA", "1234567890").await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    let id = a.json()["id"].as_str().unwrap().to_owned();
    let keys: Vec<String> = a.json().as_object().unwrap().keys().cloned().collect();
    assert!(
        keys.iter()
            .all(|k| !k.contains("deposit") && !k.contains("amount")),
        "the amounts are never shown: {keys:?}"
    );
    let stored = app.store.linked_method(&id).await.unwrap();
    let (d1, d2) = stored.deposits.unwrap();
    assert_ne!(d1, d2);
    assert!((100_00..=999_00).contains(&d1) && (100_00..=999_00).contains(&d2));
    // Two posted transfers from the operator's fees to the bank clearing account.
    let accounts = app.store.ledger_accounts().await.unwrap();
    let fees = accounts.iter().find(|x| x.id == "system:fees:IDR").unwrap();
    let bank = accounts
        .iter()
        .find(|x| x.id == "system:bank_clearing:IDR")
        .unwrap();
    assert_eq!(fees.balance.debits_posted, d1 + d2);
    assert_eq!(bank.balance.credits_posted, d1 + d2);
    domain::ledger::check_invariants(accounts.iter()).unwrap();
    // A Chinese account gets yuan fen.
    let cn = add_account(&app, &token, "CCB", "6217000010001234567").await;
    assert_eq!(cn.status, StatusCode::CREATED, "{}", cn.body);
    let cn_id = cn.json()["id"].as_str().unwrap().to_owned();
    let (c1, c2) = app
        .store
        .linked_method(&cn_id)
        .await
        .unwrap()
        .deposits
        .unwrap();
    assert!((1..=99).contains(&c1) && (1..=99).contains(&c2));
    let cny = app.store.ledger_accounts().await.unwrap();
    assert_eq!(
        cny.iter()
            .find(|x| x.id == "system:bank_clearing:CNY")
            .unwrap()
            .balance
            .credits_posted,
        c1 + c2
    );
    // Wrong amounts use tries; the right ones in either order, as typed, verify.
    let p = verify(&app, &token, &id, json!({"amounts": ["1", "2"]}))
        .await
        .assert_problem(422, "amounts_wrong");
    assert_eq!(p["attempts_left"], 2);
    verify(&app, &token, &id, json!({"amounts": ["abc"]}))
        .await
        .assert_problem(422, "amounts_wrong");
    let typed = |minor: i64| format!("Rp {}", minor / 100);
    let ok = verify(
        &app,
        &token,
        &id,
        json!({"amounts": [typed(d2), typed(d1)]}),
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    assert_eq!(ok.json()["state"], "verified");
    let cn_ok = verify(
        &app,
        &token,
        &cn_id,
        json!({"amounts": [format!("0.{c1:02}"), format!("¥0.{c2:02}")]}),
    )
    .await;
    assert_eq!(cn_ok.status, StatusCode::OK, "{}", cn_ok.body);
    // Three wrong tries fail an account; the deposits stay posted (they are the customer's).
    let third = add_account(&app, &token, "BNI", "0123456789").await.json();
    let tid = third["id"].as_str().unwrap();
    for _ in 0..2 {
        verify(&app, &token, tid, json!({"amounts": ["100", "100"]}))
            .await
            .assert_problem(422, "amounts_wrong");
    }
    verify(&app, &token, tid, json!({"amounts": ["100", "100"]}))
        .await
        .assert_problem(422, "attempts_exhausted");
    assert_eq!(
        app.store.linked_method(tid).await.unwrap().state,
        LinkState::Failed
    );
    domain::ledger::check_invariants(app.store.ledger_accounts().await.unwrap().iter()).unwrap();
}

#[tokio::test]
async fn the_same_card_on_two_accounts_is_flagged_for_risk() {
    let app = spawn_cards_app().await;
    let siti = app.customer_token().await;
    let budi = app.token("customer", "budi@example.id").await;
    let agent = app.staff_token(&app.accounts.agent).await;
    let number = card_number("622202", 19, 41);
    let a = add_card(&app, &siti, &number, "micro_deposits").await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    let staff_view = |customer: String| {
        let app = &app;
        let agent = agent.clone();
        async move {
            let a = app
                .get(
                    &format!("/api/v1/customers/{customer}/payment-methods"),
                    Some(&agent),
                )
                .await;
            assert_eq!(a.status, StatusCode::OK, "{}", a.body);
            a.json()["items"].as_array().unwrap().clone()
        }
    };
    assert_eq!(
        staff_view(app.accounts.customer.id.to_string()).await[0]["risk"],
        Value::Null
    );
    // Same number, typed differently, on Budi's wallet.
    let spaced: String = number
        .chars()
        .collect::<Vec<_>>()
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join(" ");
    let b = add_card(&app, &budi, &spaced, "micro_deposits").await;
    assert_eq!(b.status, StatusCode::CREATED, "{}", b.body);
    assert!(
        b.json().get("risk").is_none(),
        "customers do not see risk flags"
    );
    for c in [&app.accounts.customer, &app.accounts.other_customer] {
        let items = staff_view(c.id.to_string()).await;
        assert_eq!(
            items[0]["risk"],
            "shared_with_other_customer",
            "{}",
            c.display_name.as_str()
        );
        assert_eq!(items[0]["bin"], &number[..8]);
        assert_eq!(items[0]["last4"], &number[number.len() - 4..]);
    }
    let fp = app
        .store
        .linked_method(b.json()["id"].as_str().unwrap())
        .await
        .unwrap()
        .fingerprint;
    assert_eq!(app.store.fingerprint_holders(&fp).await.unwrap().len(), 2);
    let audit = app.store.audit_entries(1, 1000).await.unwrap();
    let flagged = audit
        .iter()
        .find(|e| e.entry.action == "card.risk_shared")
        .expect("risk audited");
    assert!(
        flagged
            .entry
            .detail
            .contains(app.accounts.customer.id.as_str())
    );
    // The same card twice on one wallet is refused.
    add_card(&app, &siti, &number, "micro_deposits")
        .await
        .assert_problem(409, "already_linked");
}

#[tokio::test]
async fn the_card_limit_is_configurable_and_removed_cards_free_a_place() {
    let mut config = cards_config("http://127.0.0.1:9");
    config.cards.max_per_customer = 2;
    let app = spawn_app_with(config).await;
    let token = app.customer_token().await;
    let first = add_card(
        &app,
        &token,
        &card_number("455612", 16, 51),
        "micro_deposits",
    )
    .await
    .json();
    add_card(
        &app,
        &token,
        &card_number("455612", 16, 52),
        "micro_deposits",
    )
    .await;
    add_card(
        &app,
        &token,
        &card_number("455612", 16, 53),
        "micro_deposits",
    )
    .await
    .assert_problem(409, "limit_reached");
    // Bank accounts count separately.
    assert_eq!(
        add_account(&app, &token, "BCA", "1234567890").await.status,
        StatusCode::CREATED
    );
    let id = first["id"].as_str().unwrap();
    let del = app
        .call(
            Method::DELETE,
            &format!("/api/v1/me/payment-methods/{id}"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(del.status, StatusCode::NO_CONTENT, "{}", del.body);
    assert_eq!(
        add_card(
            &app,
            &token,
            &card_number("455612", 16, 53),
            "micro_deposits"
        )
        .await
        .status,
        StatusCode::CREATED
    );
    // Removed cards stay for staff, not for the customer.
    assert_eq!(mine(&app, &token).await.len(), 3);
    // The store enforces the limit itself, also when two adds race past the early check:
    // with one place left, exactly one of two concurrent adds gets it.
    let template = app
        .store
        .linked_method(first["id"].as_str().unwrap())
        .await
        .unwrap();
    let racer = |n: u32| {
        let mut m = template.clone();
        m.id = uuid::Uuid::now_v7().to_string();
        m.fingerprint = format!("race-{n}");
        m.state = LinkState::PendingVerification;
        domain::cards::NewLinkedMethod {
            method: m,
            limit: 3,
        }
    };
    let (r1, r2) = (racer(1), racer(2));
    let now = server::now_us();
    let (a, b) = tokio::join!(
        app.store.link_method(&r1, now),
        app.store.link_method(&r2, now)
    );
    let linked = [a.unwrap(), b.unwrap()]
        .iter()
        .filter(|o| matches!(o, domain::cards::LinkOutcome::Linked { .. }))
        .count();
    assert_eq!(linked, 1, "one place, one winner");
}

#[tokio::test]
async fn customers_never_see_or_act_on_another_customers_cards() {
    let app = spawn_cards_app().await;
    let siti = app.customer_token().await;
    let budi = app.token("customer", "budi@example.id").await;
    let card = add_card(
        &app,
        &siti,
        &card_number("455612", 16, 61),
        "micro_deposits",
    )
    .await
    .json();
    let id = card["id"].as_str().unwrap();
    assert!(mine(&app, &budi).await.is_empty());
    let theirs = verify(&app, &budi, id, json!({"amounts": ["1", "2"]})).await;
    let made_up = verify(
        &app,
        &budi,
        &uuid::Uuid::now_v7().to_string(),
        json!({"amounts": ["1", "2"]}),
    )
    .await;
    theirs.assert_problem(404, "not_found");
    made_up.assert_problem(404, "not_found");
    assert_eq!(theirs.json()["detail"], made_up.json()["detail"]);
    app.call(
        Method::DELETE,
        &format!("/api/v1/me/payment-methods/{id}"),
        Some(&budi),
        None,
    )
    .await
    .assert_problem(404, "not_found");
    // Budi's tries did not count against Siti's card, nor remove it.
    let still = app.store.linked_method(id).await.unwrap();
    assert_eq!(
        (still.state, still.attempts),
        (LinkState::PendingVerification, 0)
    );
    // Customers cannot use the staff view; staff cannot add cards as customers.
    app.get(
        &format!(
            "/api/v1/customers/{}/payment-methods",
            app.accounts.customer.id
        ),
        Some(&budi),
    )
    .await
    .assert_problem(403, "forbidden");
    let agent = app.staff_token(&app.accounts.agent).await;
    add_card(
        &app,
        &agent,
        &card_number("455612", 16, 62),
        "micro_deposits",
    )
    .await
    .assert_problem(403, "forbidden");
    let merchant = app.staff_token(&app.accounts.merchant_staff).await;
    app.get(
        &format!(
            "/api/v1/customers/{}/payment-methods",
            app.accounts.customer.id
        ),
        Some(&merchant),
    )
    .await
    .assert_problem(403, "forbidden");
    // The store refuses a removal by someone else even when called directly.
    assert!(matches!(
        app.store
            .remove_method(id, &app.accounts.other_customer.id, server::now_us())
            .await,
        Err(RepoError::NotFound)
    ));
}

#[tokio::test]
async fn the_cards_page_explains_a_refusal_and_links_its_help_article() {
    let app = spawn_cards_app().await;
    let cookie = app.page_session("/signin", "siti@example.id").await;
    let page = app.page("/cards", Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let csrf = csrf_of(&page.body);
    let bad = app
        .post_form(
            "/cards/card",
            &[
                ("csrf", &csrf),
                ("number", "4556 1200 0000 0001"),
                ("expiry_month", "12"),
                ("expiry_year", "2031"),
                ("cvv", "123"),
                ("holder_name", "Siti R"),
                ("verification", "micro_deposits"),
            ],
            Some(&cookie),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.body.contains("data-testid=\"cards-error\""),
        "{}",
        bad.body
    );
    assert!(bad.body.contains("href=\"/help/a/card-number-invalid\""));
    assert!(
        !bad.body.contains("4556 1200 0000 0001") && !bad.body.contains("4556120000000001"),
        "number echoed"
    );
    assert!(bad.body.contains("value=\"Siti R\""), "the name is kept");
    let number = card_number("455612", 16, 71);
    let ok = app
        .post_form(
            "/cards/card",
            &[
                ("csrf", &csrf),
                ("number", &number),
                ("expiry_month", "12"),
                ("expiry_year", "2031"),
                ("cvv", "123"),
                ("holder_name", "Siti R"),
                ("verification", "micro_deposits"),
            ],
            Some(&cookie),
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let listed = app.page("/cards?done=added-deposits", Some(&cookie)).await;
    assert!(
        listed
            .body
            .contains(&format!("data-last4=\"{}\"", &number[12..]))
    );
    assert!(listed.body.contains("data-state=\"pending_verification\""));
    // Without the CSRF token nothing happens.
    let forged = app
        .post_form(
            "/cards/card",
            &[
                ("number", &number),
                ("expiry_month", "12"),
                ("expiry_year", "2031"),
            ],
            Some(&cookie),
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    // Agents see the masked card in the customer panel.
    let agent = app.page_session("/staff/signin", "agent@example.id").await;
    let panel = app
        .page(
            &format!("/staff/customers/{}", app.accounts.customer.id),
            Some(&agent),
        )
        .await;
    assert_eq!(panel.status, StatusCode::OK, "{}", panel.body);
    assert!(
        panel.body.contains("data-testid=\"customer-card\""),
        "{}",
        panel.body
    );
    assert!(
        panel
            .body
            .contains(&format!("{}…{}", &number[..8], &number[12..]))
    );
    assert!(!panel.body.contains(&number));
    // And beside a ticket of hers in the console.
    let ticket = crate::tickets::customer_ticket(&app, "Card not linking").await;
    let console = app
        .page(&format!("/staff/tickets/{}", ticket.number), Some(&agent))
        .await;
    assert_eq!(console.status, StatusCode::OK);
    assert!(
        console.body.contains("data-testid=\"panel-cards\""),
        "{}",
        console.body
    );
    assert!(
        console
            .body
            .contains(&format!("{}…{}", &number[..8], &number[12..]))
    );
}

#[tokio::test]
async fn a_bank_account_is_added_and_confirmed_on_the_page() {
    let app = spawn_cards_app().await;
    let cookie = app.page_session("/signin", "siti@example.id").await;
    let csrf = csrf_of(&app.page("/cards", Some(&cookie)).await.body);
    let short = app
        .post_form(
            "/cards/account",
            &[
                ("csrf", &csrf),
                ("bank_code", "MANDIRI"),
                ("account_number", "1234567890"),
                ("holder_name", "Siti R"),
                ("verification", "micro_deposits"),
            ],
            Some(&cookie),
        )
        .await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        short
            .body
            .contains("href=\"/help/a/bank-account-number-invalid\"")
    );
    assert!(
        short.body.contains("<option value=\"MANDIRI\" selected>"),
        "the bank stays chosen"
    );
    let ok = app
        .post_form(
            "/cards/account",
            &[
                ("csrf", &csrf),
                ("bank_code", "MANDIRI"),
                ("account_number", "1230001234567"),
                ("holder_name", "Siti R"),
                ("verification", "micro_deposits"),
            ],
            Some(&cookie),
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let stored = app
        .store
        .linked_methods(&app.accounts.customer.id, false)
        .await
        .unwrap();
    let m = &stored[0];
    let (d1, d2) = m.deposits.unwrap();
    let path = format!("/cards/{}/verify", m.id);
    let wrong = app
        .post_form(
            &path,
            &[("csrf", &csrf), ("amount_1", "1"), ("amount_2", "2")],
            Some(&cookie),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        wrong
            .body
            .contains("href=\"/help/a/card-verification-failed\"")
    );
    let right = app
        .post_form(
            &path,
            &[
                ("csrf", &csrf),
                ("amount_1", &(d1 / 100).to_string()),
                ("amount_2", &(d2 / 100).to_string()),
            ],
            Some(&cookie),
        )
        .await;
    assert_eq!(right.status, StatusCode::SEE_OTHER, "{}", right.body);
    assert_eq!(right.header("location"), "/cards?done=verified");
    assert_eq!(
        app.store.linked_method(&m.id).await.unwrap().state,
        LinkState::Verified
    );
    // Removing it from the page.
    let gone = app
        .post_form(
            &format!("/cards/{}/remove", m.id),
            &[("csrf", &csrf)],
            Some(&cookie),
        )
        .await;
    assert_eq!(gone.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.store.linked_method(&m.id).await.unwrap().state,
        LinkState::Removed
    );
}

#[tokio::test]
async fn the_database_holds_no_card_or_account_number() {
    let app = spawn_cards_app().await;
    let siti = app.customer_token().await;
    let budi = app.token("customer", "budi@example.id").await;
    let numbers: Vec<String> = vec![
        card_number("455612", 16, 81),
        card_number("622202", 19, 82),
        card_number("374245", 15, 83),
        card_number("93600014", 16, 84),
    ];
    for n in &numbers {
        let a = add_card(&app, &siti, n, "micro_deposits").await;
        assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    }
    // A shared card and bank accounts too.
    add_card(&app, &budi, &numbers[0], "micro_deposits").await;
    let accounts = ["7310485926", "6222020200112233445"];
    add_account(&app, &siti, "BCA", accounts[0]).await;
    add_account(&app, &siti, "ICBC", accounts[1]).await;
    // Refused and replayed requests must not leave the number behind either.
    add_card(&app, &siti, &numbers[1], "micro_deposits").await;
    let all: Vec<&str> = numbers.iter().map(String::as_str).chain(accounts).collect();

    // Every text column of every table, on either backend.
    for n in &all {
        let hits = app.store.text_columns_containing(n).await.unwrap();
        assert!(hits.is_empty(), "{n} found in {hits:?}");
    }
    // The scan does find what is stored: the BIN and the last four digits.
    assert_eq!(
        app.store
            .text_columns_containing(&numbers[0][..8])
            .await
            .unwrap(),
        vec!["linked_methods.bin"]
    );

    // On SQLite, the file itself (and its write-ahead log), byte for byte.
    let Some(path) = app
        .state
        .config
        .database
        .url
        .strip_prefix("sqlite://")
        .map(|p| p.split('?').next().unwrap().to_owned())
    else {
        return;
    };
    let mut bytes = Vec::new();
    for suffix in ["", "-wal", "-shm", "-journal"] {
        if let Ok(b) = std::fs::read(format!("{path}{suffix}")) {
            bytes.extend(b);
        }
    }
    assert!(bytes.len() > 10_000, "read the database file");
    let haystack = String::from_utf8_lossy(&bytes);
    for n in &all {
        assert!(!haystack.contains(n), "{n} found in the database file");
        // Nor the digits after the BIN with the last four.
        let tail = &n[8.min(n.len() - 6)..];
        assert!(
            tail.len() < 10 || !haystack.contains(tail),
            "{n}: tail found"
        );
    }
    // The stored parts are there, so the scan reads the right file.
    assert!(haystack.contains(&numbers[0][..8]));
}

#[tokio::test]
async fn refused_numbers_from_one_address_soon_have_to_wait() {
    let mut config = cards_config("http://127.0.0.1:9");
    config.security.address_limit = 5;
    let app = spawn_app_with(config).await;
    let token = app.customer_token().await;
    // Card testing: one wrong number after another.
    for seed in 0..5 {
        let mut n = card_number("455612", 16, 90 + seed);
        let last = n.pop().unwrap();
        n.push(if last == '9' {
            '0'
        } else {
            (last as u8 + 1) as char
        });
        add_card(&app, &token, &n, "micro_deposits")
            .await
            .assert_problem(422, "luhn_failed");
    }
    let p = add_card(
        &app,
        &token,
        &card_number("455612", 16, 99),
        "micro_deposits",
    )
    .await
    .assert_problem(429, "throttled");
    assert!(p["retry_after"].as_u64().unwrap() > 0);
    // Guessing deposits on an existing record is held back the same way.
    verify(
        &app,
        &token,
        &uuid::Uuid::now_v7().to_string(),
        json!({"amounts": ["1", "2"]}),
    )
    .await
    .assert_problem(429, "throttled");
}
