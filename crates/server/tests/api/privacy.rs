//! Privacy (issue 9): encryption at rest with blind indexes, key rotation, tamper
//! detection, the data download, erasure and the audit log browser.

use crate::channels::{all_tickets, post_call, spawn_channels_app};
use crate::helpers::*;
use axum::http::{Method, StatusCode};
use domain::calendar::CalendarRepo;
use domain::protection::ProtectionRepo;
use domain::repo::{IdentityRepo, TicketRepo, WalletRepo};
use domain::wallet::WalletOperation;
use domain::{Currency, LoginId, Money, Phone};
use serde_json::{Value, json};
use std::sync::Arc;
use store::crypto::{self, KeyRing};
use store::{Store, StoreOptions};

const SITI_PHONE: &str = "+6281234567890";
const SITI_EMAIL: &str = "siti@example.id";
const CALLER: &str = "+6285700001111";
const GUEST_EMAIL: &str = "tamu.rahasia@example.id";

fn sqlite_path(url: &str) -> Option<std::path::PathBuf> {
    url.strip_prefix("sqlite://")
        .map(|p| std::path::PathBuf::from(p.split('?').next().unwrap_or(p)))
}

/// Every byte of the SQLite database, its WAL and its shared memory.
fn database_bytes(url: &str) -> Vec<u8> {
    let path = sqlite_path(url).unwrap();
    let mut all = Vec::new();
    for suffix in ["", "-wal", "-shm"] {
        let mut p = path.clone().into_os_string();
        p.push(suffix);
        if let Ok(bytes) = std::fs::read(&p) {
            all.extend(bytes);
        }
    }
    all
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// Customers with email and phone (the fixtures), a phone ticket from a known and an
/// unknown caller, a guest's ticket by email, a call-back, a reset notice by SMS and a
/// TOTP enrolment: the secret.
async fn seed_personal_data(app: &TestApp) -> String {
    for (id, kind) in [("e1", "incoming"), ("e2", "ended")] {
        post_call(
            app,
            json!({"event_id": format!("siti-{id}"), "call_id": "call-siti", "type": kind, "from": SITI_PHONE}),
        )
        .await;
        post_call(
            app,
            json!({"event_id": format!("anon-{id}"), "call_id": "call-anon", "type": kind, "from": CALLER}),
        )
        .await;
    }
    let guest = post_ticket(
        app,
        None,
        json!({"category": "other", "subject": "Question", "body": "Hello",
            "guest": {"name": "Tamu", "email": GUEST_EMAIL}}),
    )
    .await;
    assert!(guest.status.is_success(), "{}", guest.body);
    let tickets = all_tickets(app).await;
    let phone_ticket = tickets
        .iter()
        .find(|t| t.channel == domain::ticket::Channel::Phone)
        .unwrap();
    app.store
        .create_callback(&phone_ticket.id, CALLER, server::now_us(), server::now_us())
        .await
        .unwrap();
    let reset = app
        .call(
            Method::POST,
            "/api/v1/auth/password-resets",
            None,
            Some(json!({"login": SITI_PHONE})),
        )
        .await;
    assert_eq!(reset.status, StatusCode::ACCEPTED, "{}", reset.body);
    // The reset is prepared in the background (the answer takes the same time whether the
    // account exists): wait for its notice, so the scans below see it stored.
    for _ in 0..100 {
        let notices = app.store.notifications(None, 50).await.unwrap();
        if notices.iter().any(|n| n.recipient == SITI_PHONE) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let token = app.customer_token().await;
    let enrol = app
        .call(Method::POST, "/api/v1/me/totp", Some(&token), None)
        .await;
    assert_eq!(enrol.status, StatusCode::CREATED, "{}", enrol.body);
    enrol.json()["secret"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_database_file_holds_no_plaintext_phone_email_or_totp_secret() {
    let app = spawn_channels_app().await;
    let secret = seed_personal_data(&app).await;
    // Everything reads back through the keys.
    let notices = app.store.notifications(None, 50).await.unwrap();
    assert!(notices.iter().any(|n| n.recipient == SITI_PHONE));
    let callbacks = app.store.open_callbacks(10).await.unwrap();
    assert_eq!(callbacks[0].phone, CALLER);
    let tickets = all_tickets(&app).await;
    let anon = tickets
        .iter()
        .find(|t| t.customer_id().is_none() && t.channel == domain::ticket::Channel::Phone)
        .unwrap();
    assert!(
        !anon.requester_name.contains("5700001111"),
        "unknown callers are shown by their last digits: {}",
        anon.requester_name
    );
    let calls = app.store.ticket_calls(&anon.id).await.unwrap();
    assert_eq!(calls[0].from_number, CALLER);

    let url = app.state.config.database.url.clone();
    let bytes = if sqlite_path(&url).is_some() {
        database_bytes(&url)
    } else {
        // PostgreSQL keeps its files elsewhere: every row of every table, as text.
        app.store
            .all_rows_as_text()
            .await
            .unwrap()
            .join("\n")
            .into_bytes()
    };
    assert!(bytes.len() > 1_000);
    // The scan can find what is there: the names are stored in the clear.
    assert!(contains(&bytes, "Siti Rahayu"));
    for plain in [
        SITI_PHONE,
        "6281234567890",
        SITI_EMAIL,
        "budi@example.id",
        "+6281298765432",
        CALLER,
        "85700001111",
        GUEST_EMAIL,
        secret.as_str(),
    ] {
        assert!(!contains(&bytes, plain), "{plain} is in the database file");
    }
}

#[tokio::test]
async fn sign_in_and_caller_matching_work_through_the_blind_index() {
    let app = spawn_channels_app().await;
    app.token("customer", SITI_PHONE).await;
    app.token("customer", "0812-3456-7890").await;
    app.token("customer", "SITI@example.ID").await;
    let found = app
        .store
        .customer_credential(&LoginId::Phone(Phone::parse(SITI_PHONE).unwrap()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.principal.display_name, "Siti Rahayu");
    post_call(
        &app,
        json!({"event_id": "m1", "call_id": "c1", "type": "incoming", "from": SITI_PHONE}),
    )
    .await;
    let tickets = all_tickets(&app).await;
    assert_eq!(tickets[0].customer_id(), Some(&app.accounts.customer.id));
    // A second contact upsert with the same number finds the same contact.
    post_call(
        &app,
        json!({"event_id": "m2", "call_id": "c2", "type": "incoming", "from": CALLER}),
    )
    .await;
    post_call(
        &app,
        json!({"event_id": "m3", "call_id": "c3", "type": "incoming", "from": CALLER}),
    )
    .await;
    let tickets = all_tickets(&app).await;
    let anon: Vec<_> = tickets
        .iter()
        .filter(|t| t.customer_id().is_none())
        .collect();
    assert_eq!(anon.len(), 1, "one contact, one open ticket: {anon:?}");
    let contact = match &anon[0].requester {
        domain::ticket::Requester::Contact(c) => app.store.contact(c).await.unwrap(),
        other => panic!("{other:?}"),
    };
    assert_eq!(contact.external_id, CALLER);
    // A duplicate email is still refused (unique blind index).
    let dup = customer(SITI_EMAIL, "+6281111111111", "Copy");
    let err = app
        .store
        .insert_customer(&dup, "!", false)
        .await
        .unwrap_err();
    assert!(
        matches!(err, domain::repo::RepoError::Conflict(ref w) if w == "email"),
        "{err:?}"
    );
}

async fn reopen(url: &str, keys: KeyRing) -> Store {
    Store::open(&StoreOptions {
        sqlite_full_sync: false,
        keys: Arc::new(keys),
        ..StoreOptions::new(url.to_owned(), 2)
    })
    .await
    .unwrap()
}

fn ring(keys: &[(&str, [u8; 32])], active: &str) -> KeyRing {
    let keys: Vec<(String, [u8; 32])> = keys.iter().map(|(i, k)| ((*i).to_owned(), *k)).collect();
    KeyRing::new(&keys, active, [7; 32]).unwrap()
}

#[tokio::test]
async fn key_rotation_reencrypts_everything_and_the_old_key_can_then_go() {
    let url = store::testing::fresh_database_url().await.unwrap();
    let (k1, k2) = ([1u8; 32], [2u8; 32]);
    let old = reopen(&url, ring(&[("k1", k1)], "k1")).await;
    store_fixtures(&old).await;
    let siti = customer(SITI_EMAIL, SITI_PHONE, "Siti Rahayu");
    old.insert_customer(&siti, "!", false).await.unwrap();
    let secret = domain::protection::TotpSecret::from_bytes(vec![5; 20]).unwrap();
    domain::protection::ProtectionRepo::begin_totp(
        &old,
        &domain::UserId::Customer(siti.id.clone()),
        &secret,
        1,
    )
    .await
    .unwrap();
    old.close().await;

    let both = reopen(&url, ring(&[("k1", k1), ("k2", k2)], "k2")).await;
    let before = both.count_under_old_keys().await.unwrap();
    assert_eq!(before, 3, "email, phone, TOTP secret under k1");
    // Reads work mid-rotation, with both keys configured.
    assert_eq!(both.customer(&siti.id).await.unwrap().email, siti.email);
    let seen = std::sync::Mutex::new(Vec::new());
    let done = both
        .rotate_keys(&|d, t| seen.lock().unwrap().push((d, t)))
        .await
        .unwrap();
    assert_eq!(done, 3);
    assert_eq!(seen.lock().unwrap().last(), Some(&(3, 3)));
    assert_eq!(both.count_under_old_keys().await.unwrap(), 0);
    let stored = both.stored_customer_phone(&siti.id).await.unwrap().unwrap();
    assert!(stored.starts_with("pdenc1:k2:"), "{stored}");
    both.close().await;

    // The old key removed: everything still reads, sign-in still finds her.
    let new_only = reopen(&url, ring(&[("k2", k2)], "k2")).await;
    let read = new_only.customer(&siti.id).await.unwrap();
    assert_eq!(read.phone, siti.phone);
    let totp = domain::protection::ProtectionRepo::totp(
        &new_only,
        &domain::UserId::Customer(siti.id.clone()),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(totp.secret, secret);
    assert!(
        new_only
            .customer_credential(&LoginId::Phone(Phone::parse(SITI_PHONE).unwrap()))
            .await
            .unwrap()
            .is_some()
    );
    new_only.close().await;

    // Without the key that encrypts the data nothing reads (and says why).
    let wrong = reopen(&url, ring(&[("k1", k1)], "k1")).await;
    let err = wrong.customer(&siti.id).await.unwrap_err();
    assert!(format!("{err:?}").contains("not configured"), "{err:?}");
}

/// The region the fixture customers live in.
async fn store_fixtures(store: &Store) {
    store
        .upsert_region(&domain::Region {
            id: domain::RegionId::from_string("id-jakarta"),
            name: "Jakarta".into(),
            country: "ID".into(),
            time_zone: "Asia/Jakarta".into(),
            zone_abbreviation: "WIB".into(),
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn a_tampered_or_moved_ciphertext_is_detected() {
    let app = spawn_app().await;
    let siti = &app.accounts.customer;
    let budi = &app.accounts.other_customer;
    let stored = app
        .store
        .stored_customer_phone(&siti.id)
        .await
        .unwrap()
        .unwrap();
    assert!(crypto::is_encrypted(&stored));
    // One character of the ciphertext changed.
    let mut flipped = stored.clone().into_bytes();
    let i = flipped.len() - 5;
    flipped[i] = if flipped[i] == b'A' { b'B' } else { b'A' };
    app.store
        .tamper_with_customer_phone(&siti.id, &String::from_utf8(flipped).unwrap())
        .await
        .unwrap();
    let err = app.store.customer(&siti.id).await.unwrap_err();
    assert!(
        format!("{err:?}").contains("failed authentication"),
        "{err:?}"
    );
    // A valid ciphertext of Budi's row moved into Siti's: bound to Budi's row, refused.
    let budis = app
        .store
        .keys()
        .encrypt(
            crypto::Field::CUSTOMER_PHONE,
            budi.id.as_str(),
            "+6289999999999",
        )
        .unwrap();
    app.store
        .tamper_with_customer_phone(&siti.id, &budis)
        .await
        .unwrap();
    assert!(app.store.customer(&siti.id).await.is_err());
    // Plain text written over a ciphertext is refused too (never silently read).
    app.store
        .tamper_with_customer_phone(&siti.id, "+6289999999999")
        .await
        .unwrap();
    let err = app.store.customer(&siti.id).await.unwrap_err();
    assert!(format!("{err:?}").contains("not encrypted"), "{err:?}");
    // The API answers 500 without the details.
    let admin = app.staff_token(&app.accounts.admin).await;
    let a = app
        .get(&format!("/api/v1/customers/{}", siti.id), Some(&admin))
        .await;
    assert_eq!(a.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(!a.body.contains("authentication") && !a.body.contains("+628"));
}

#[tokio::test]
async fn plaintext_left_by_an_older_database_is_encrypted_at_open() {
    let app = spawn_app().await;
    let siti = &app.accounts.customer;
    // As before migration 0014: plain phone, no blind index.
    app.store
        .tamper_with_customer_phone(&siti.id, SITI_PHONE)
        .await
        .unwrap();
    let converted = app.store.encrypt_plaintext(&|_, _| {}).await.unwrap();
    assert_eq!(converted, 1);
    assert_eq!(
        app.store.encrypt_plaintext(&|_, _| {}).await.unwrap(),
        0,
        "idempotent"
    );
    let stored = app
        .store
        .stored_customer_phone(&siti.id)
        .await
        .unwrap()
        .unwrap();
    assert!(crypto::is_encrypted(&stored));
    assert_eq!(
        app.store.customer(&siti.id).await.unwrap().phone,
        siti.phone
    );
    app.token("customer", SITI_PHONE).await;
}

fn idr(major: i64) -> Money {
    Money::major(major, Currency::IDR).unwrap()
}

async fn post_ticket(app: &TestApp, token: Option<&str>, body: Value) -> Answer {
    let mut b = axum::http::Request::builder()
        .method(Method::POST)
        .uri("/api/v1/tickets")
        .header("content-type", "application/json")
        .header("idempotency-key", uuid::Uuid::now_v7().to_string());
    if let Some(t) = token {
        b = b.header("authorization", format!("Bearer {t}"));
    }
    app.send(b.body(axum::body::Body::from(body.to_string())).unwrap())
        .await
}

async fn open_ticket(app: &TestApp, token: &str, subject: &str) -> String {
    let a = post_ticket(
        app,
        Some(token),
        json!({"category": "other", "subject": subject, "body": "Tolong dibantu"}),
    )
    .await;
    assert!(a.status.is_success(), "{}", a.body);
    a.json()["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_data_download_holds_my_data_and_nobody_elses() {
    let app = spawn_app().await;
    let siti = app.accounts.customer.clone();
    let budi = app.accounts.other_customer.clone();
    let siti_payment = crate::tickets::pay(&app, &siti, 20).await;
    let budi_payment = crate::tickets::pay(&app, &budi, 30).await;
    let siti_token = app.customer_token().await;
    let budi_token = app.token("customer", "budi@example.id").await;
    let siti_ticket = open_ticket(&app, &siti_token, "Siti's question").await;
    let budi_ticket = open_ticket(&app, &budi_token, "Budi's question").await;

    let a = app.get("/api/v1/me/data", Some(&siti_token)).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert!(a.header("content-disposition").contains("attachment"));
    let data: Value = a.json();
    assert_eq!(data["profile"]["email"], SITI_EMAIL);
    assert_eq!(data["profile"]["phone"], SITI_PHONE);
    let body = a.body.clone();
    for mine in [
        siti_payment.as_str(),
        siti_ticket.as_str(),
        "Siti's question",
    ] {
        assert!(body.contains(mine), "{mine} missing");
    }
    for theirs in [
        budi_payment.as_str(),
        budi_ticket.as_str(),
        "Budi's question",
        "budi@example.id",
        "+6281298765432",
        budi.id.as_str(),
    ] {
        assert!(!body.contains(theirs), "{theirs} is Budi's");
    }
    assert_eq!(
        data["transactions"].as_array().unwrap().len(),
        2,
        "top-up and payment"
    );
    assert!(data["extensions"].is_object());
    // The download is audited on the customer's record.
    let audit = app.store.customer_audit(&siti.id, 10).await.unwrap();
    assert!(audit.iter().any(|e| e.entry.action == "privacy.export"));
    // Staff have no "my data": a customer's download is the customer's to take.
    let agent = app.staff_token(&app.accounts.agent).await;
    app.get("/api/v1/me/data", Some(&agent))
        .await
        .assert_problem(403, "forbidden");
}

#[tokio::test]
async fn erasure_pseudonymises_keeps_the_ledger_and_signs_out_everywhere() {
    let app = spawn_app().await;
    let siti = app.accounts.customer.clone();
    let token = app.customer_token().await;
    let other_session = app.customer_token().await;
    let ticket = open_ticket(&app, &token, "Saldo saya").await;
    crate::tickets::pay(&app, &siti, 10).await;
    let erase = |password: &str, confirm: bool| json!({"password": password, "confirm": confirm});
    // Money in the wallet: refused, nothing erased.
    let a = app
        .call(
            Method::POST,
            "/api/v1/me/erasure",
            Some(&token),
            Some(erase(PASSWORD, true)),
        )
        .await;
    a.assert_problem(409, "invalid_state");
    assert!(a.body.contains("wallet"), "{}", a.body);
    app.call(
        Method::POST,
        "/api/v1/me/erasure",
        Some(&token),
        Some(erase("wrong password", true)),
    )
    .await
    .assert_problem(422, "validation_failed");
    app.call(
        Method::POST,
        "/api/v1/me/erasure",
        Some(&token),
        Some(erase(PASSWORD, false)),
    )
    .await
    .assert_problem(422, "validation_failed");
    assert_eq!(
        app.store.customer(&siti.id).await.unwrap().email,
        siti.email
    );

    // Spend the rest: the balance is zero, the ledger has rows.
    app.store
        .execute(
            &WalletOperation::Payment {
                customer: siti.id.clone(),
                merchant: app.accounts.merchant.id.clone(),
                amount: idr(10),
                hold_minutes: None,
                description: "Sisa saldo".into(),
            },
            server::now_us(),
        )
        .await
        .unwrap();
    let query = domain::wallet::TransactionQuery {
        customer_id: Some(siti.id.clone()),
        ..Default::default()
    };
    let before = app
        .store
        .transactions(&query, None, domain::Limit::parse(Some(100)).unwrap())
        .await
        .unwrap()
        .items;
    let a = app
        .call(
            Method::POST,
            "/api/v1/me/erasure",
            Some(&token),
            Some(erase(PASSWORD, true)),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let pseudonym = a.json()["pseudonym"].as_str().unwrap().to_owned();
    assert!(pseudonym.starts_with("Erased customer "));

    // Signed out everywhere; the old login finds nobody.
    for t in [&token, &other_session] {
        app.get("/api/v1/me", Some(t))
            .await
            .assert_problem(401, "unauthenticated");
    }
    let sign_in = app
        .call(
            Method::POST,
            "/api/v1/auth/tokens",
            None,
            Some(json!({"audience": "customer", "login": SITI_EMAIL, "password": PASSWORD})),
        )
        .await;
    assert_eq!(sign_in.status, StatusCode::UNAUTHORIZED, "{}", sign_in.body);
    let erased = app.store.customer(&siti.id).await.unwrap();
    assert_eq!(erased.display_name.as_str(), pseudonym);
    assert!(erased.phone.is_none());
    assert!(
        erased
            .email
            .as_ref()
            .unwrap()
            .as_str()
            .ends_with("@erased.invalid")
    );
    assert!(
        app.store
            .customer_credential(&LoginId::Phone(Phone::parse(SITI_PHONE).unwrap()))
            .await
            .unwrap()
            .is_none()
    );

    // The ticket stays readable for staff, under the pseudonym.
    let agent = app.staff_token(&app.accounts.agent).await;
    let t = app
        .get(&format!("/api/v1/tickets/{ticket}"), Some(&agent))
        .await;
    assert_eq!(t.status, StatusCode::OK, "{}", t.body);
    assert!(t.body.contains(&pseudonym) && t.body.contains("Tolong dibantu"));
    assert!(!t.body.contains("Siti Rahayu"));

    // Ledger rows stay and balance.
    let after = app
        .store
        .transactions(&query, None, domain::Limit::parse(Some(100)).unwrap())
        .await
        .unwrap()
        .items;
    assert_eq!(before, after);
    let accounts = app.store.ledger_accounts().await.unwrap();
    let debits: i64 = accounts.iter().map(|a| a.balance.debits_posted).sum();
    let credits: i64 = accounts.iter().map(|a| a.balance.credits_posted).sum();
    assert_eq!(debits, credits);
    assert!(debits > 0);

    // Audited, the chain intact, and irreversible: a second erasure is refused.
    let audit = app.store.customer_audit(&siti.id, 20).await.unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.entry.action == "privacy.erase" && e.entry.outcome == "erased")
    );
    assert!(app.store.verify_audit_log().await.unwrap().is_ok());
    assert_eq!(
        domain::privacy::PrivacyRepo::erase_customer(&app.store, &siti.id, server::now_us())
            .await
            .unwrap(),
        Err(domain::privacy::ErasureBlocked::AlreadyErased)
    );
    // Nothing of hers is left in the database file (SQLite).
    let url = app.state.config.database.url.clone();
    if sqlite_path(&url).is_some() {
        let path = sqlite_path(&url).unwrap();
        for suffix in ["", "-wal"] {
            let mut p = path.clone().into_os_string();
            p.push(suffix);
            let bytes = std::fs::read(&p).unwrap_or_default();
            assert!(
                !contains(&bytes, "Siti Rahayu"),
                "her name is still in the database file{suffix}"
            );
        }
    }
    if sqlite_path(&url).is_none() {
        let rows = app.store.all_rows_as_text().await.unwrap().join("\n");
        assert!(
            !rows.contains("Siti Rahayu"),
            "her name is gone from every row"
        );
        assert!(!rows.contains(SITI_EMAIL));
    }
    // Budi is untouched.
    let budi = app
        .store
        .customer(&app.accounts.other_customer.id)
        .await
        .unwrap();
    assert_eq!(budi.display_name.as_str(), "Budi Santoso");
}

#[tokio::test]
async fn admins_browse_the_audit_log_with_filters_and_see_tampering() {
    let app = spawn_app().await;
    let siti = app.accounts.customer.clone();
    let token = app.customer_token().await;
    app.get("/api/v1/me/data", Some(&token)).await;
    let budi_token = app.token("customer", "budi@example.id").await;
    app.get("/api/v1/me/data", Some(&budi_token)).await;
    let admin = app.staff_token(&app.accounts.admin).await;
    let all = app.get("/api/v1/audit", Some(&admin)).await;
    assert_eq!(all.status, StatusCode::OK, "{}", all.body);
    let all = all.json();
    assert_eq!(all["chain_intact"], true);
    let n = all["items"].as_array().unwrap().len();
    assert!(n >= 2);
    let mine = app
        .get(
            &format!("/api/v1/audit?subject={}&action=privacy.", siti.id),
            Some(&admin),
        )
        .await
        .json();
    let items = mine["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{mine}");
    assert_eq!(items[0]["actor"], format!("customer:{}", siti.id));
    let by_actor = app
        .get(
            &format!("/api/v1/audit?actor=customer:{}", siti.id),
            Some(&admin),
        )
        .await
        .json();
    assert!(
        by_actor["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["actor"] == format!("customer:{}", siti.id))
    );
    // Pages: one at a time, newest first, no overlap.
    let first = app.get("/api/v1/audit?limit=1", Some(&admin)).await.json();
    let before = first["next_before"].as_i64().unwrap();
    let second = app
        .get(
            &format!("/api/v1/audit?limit=1&before={before}"),
            Some(&admin),
        )
        .await
        .json();
    assert!(
        second["items"][0]["seq"].as_i64().unwrap() < first["items"][0]["seq"].as_i64().unwrap()
    );
    // Time: nothing in the future.
    let future = app
        .get("/api/v1/audit?from=2999-01-01", Some(&admin))
        .await
        .json();
    assert!(future["items"].as_array().unwrap().is_empty());
    app.get("/api/v1/audit?from=yesterday", Some(&admin))
        .await
        .assert_problem(422, "validation_failed");
    // Only admins.
    for who in [&app.accounts.agent, &app.accounts.supervisor] {
        let t = app.staff_token(who).await;
        app.get("/api/v1/audit", Some(&t))
            .await
            .assert_problem(403, "forbidden");
    }
    app.get("/api/v1/audit", Some(&token))
        .await
        .assert_problem(403, "forbidden");
    // An edited record shows.
    app.store
        .tamper_with_audit_record(1, "edited")
        .await
        .unwrap();
    let broken = app.get("/api/v1/audit", Some(&admin)).await.json();
    assert_eq!(broken["chain_intact"], false);
    assert!(broken["chain_detail"].as_str().unwrap().contains("1"));
}

#[tokio::test]
async fn the_privacy_and_audit_pages_work_for_their_users_only() {
    let app = spawn_app().await;
    let cookie = app.page_session("/signin", SITI_EMAIL).await;
    let page = app.page("/privacy", Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("data-testid=\"privacy-download\""));
    let file = app.page("/privacy/data.json", Some(&cookie)).await;
    assert_eq!(file.status, StatusCode::OK);
    assert!(
        file.header("content-disposition")
            .contains("paydesk-data.json")
    );
    assert_eq!(file.json()["profile"]["email"], SITI_EMAIL);
    // Erasure from the page: CSRF checked, wrong password shown, money refused.
    let csrf = csrf_of(&page.body);
    let forged = app
        .post_form(
            "/privacy/erase",
            &[
                ("csrf", "forged"),
                ("password", PASSWORD),
                ("confirm", "yes"),
            ],
            Some(&cookie),
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let wrong = app
        .post_form(
            "/privacy/erase",
            &[
                ("csrf", &csrf),
                ("password", "nope nope"),
                ("confirm", "yes"),
            ],
            Some(&cookie),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.body.contains("privacy-error"));
    let done = app
        .post_form(
            "/privacy/erase",
            &[("csrf", &csrf), ("password", PASSWORD), ("confirm", "yes")],
            Some(&cookie),
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(done.body.contains("data-testid=\"privacy-erased\""));
    // The session is gone.
    let after = app.page("/privacy", Some(&cookie)).await;
    assert_ne!(after.status, StatusCode::OK);

    // The audit page: admins only, with the erasure in it.
    let admin = app.page_session("/staff/signin", "admin@example.id").await;
    let audit = app.page("/staff/audit?action=privacy.", Some(&admin)).await;
    assert_eq!(audit.status, StatusCode::OK, "{}", audit.body);
    assert!(audit.body.contains("data-state=\"intact\""));
    assert!(audit.body.contains("data-action=\"privacy.erase\""));
    assert!(audit.body.contains("data-action=\"privacy.export\""));
    let bad = app.page("/staff/audit?from=someday", Some(&admin)).await;
    assert!(bad.body.contains("audit-error"));
    let agent = app.page_session("/staff/signin", "agent@example.id").await;
    let refused = app.page("/staff/audit", Some(&agent)).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let customer = app.page_session("/signin", "budi@example.id").await;
    assert_eq!(
        app.page("/staff/audit", Some(&customer)).await.status,
        StatusCode::FORBIDDEN
    );
    let staff_privacy = app.page("/privacy", Some(&agent)).await;
    assert_eq!(staff_privacy.status, StatusCode::FORBIDDEN);
}
