//! Tickets over the API: opening from each kind of caller, the lifecycle rules, threads
//! and notes, attachments, links, history, guests and contacts, and the lines between one
//! customer and another.

use crate::helpers::*;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use domain::repo::{TicketRepo, WalletRepo};
use domain::ticket::{
    ActorKind, Category, Channel, NewMessage, NewTicket, Priority, ReportedTransaction, Requester,
    Ticket, Visibility,
};
use domain::{Currency, Locale, Money};
use serde_json::{Value, json};

/// A ticket of Siti's opened through the repository (fixtures for other modules too).
pub async fn customer_ticket(app: &TestApp, subject: &str) -> Ticket {
    let c = &app.accounts.customer;
    app.store
        .create_ticket(
            &NewTicket {
                requester: Requester::Customer(c.id.clone()),
                channel: Channel::App,
                category: Category::FailedTransaction,
                subject: subject.into(),
                priority: Priority::Normal,
                locale: Locale::En,
                links: vec![],
                reported: ReportedTransaction::default(),
                tags: vec![],
                first_message: NewMessage {
                    author_kind: ActorKind::Customer,
                    author_id: c.id.to_string(),
                    author_name: c.display_name.as_str().into(),
                    visibility: Visibility::Public,
                    body: "My payment failed but the money left my wallet.".into(),
                    channel: Channel::App,
                    external_id: None,
                    attachments: vec![],
                },
            },
            None,
            server::now_us(),
        )
        .await
        .unwrap()
        .ticket
}

/// A guest's ticket opened through the API; returns the stored ticket.
pub async fn guest_ticket(app: &TestApp) -> Ticket {
    let a = app
        .call(
            Method::POST,
            "/api/v1/tickets",
            None,
            Some(json!({
                "category": "failed_transaction", "subject": "Top-up did not arrive",
                "body": "I topped up 50.000 yesterday and it is not in my balance.",
                "reported_at": "2026-11-20T14:30", "reported_amount": "50.000",
                "guest": {"name": "Dewi", "email": "dewi@example.id"}, "locale": "id"
            })),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    let v = a.json();
    assert!(v["access_key"].as_str().unwrap().len() >= 40);
    app.store.ticket(v["id"].as_str().unwrap()).await.unwrap()
}

/// Uploads a text file on a ticket as its customer and returns the attachment id.
pub async fn attach_text(app: &TestApp, ticket: &Ticket, name: &str, text: &str) -> String {
    let token = app.customer_token().await;
    let a = upload(
        app,
        &token,
        &ticket.id,
        "Receipt attached",
        &[(name, text.as_bytes())],
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    a.json()["message"]["attachments"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn upload(
    app: &TestApp,
    token: &str,
    ticket: &str,
    body: &str,
    files: &[(&str, &[u8])],
) -> Answer {
    let boundary = "paydeskboundary42";
    let mut data: Vec<u8> = Vec::new();
    data.extend(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"body\"\r\n\r\n{body}\r\n")
            .bytes(),
    );
    for (name, bytes) in files {
        data.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{name}\"\r\nContent-Type: text/html\r\n\r\n").bytes());
        data.extend_from_slice(bytes);
        data.extend(b"\r\n");
    }
    data.extend(format!("--{boundary}--\r\n").bytes());
    app.send(
        Request::builder()
            .method(Method::POST)
            .uri(format!("/api/v1/tickets/{ticket}/attachments"))
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(Body::from(data))
            .unwrap(),
    )
    .await
}

/// A payment of `major` rupiah at the test merchant, with the money to pay it; its id.
pub async fn pay(app: &TestApp, customer: &domain::Customer, major: i64) -> String {
    use domain::wallet::WalletOperation;
    let idr = |m: i64| Money::major(m, Currency::IDR).unwrap();
    app.store
        .execute(
            &WalletOperation::TopUp {
                customer: customer.id.clone(),
                amount: idr(major * 2),
            },
            server::now_us(),
        )
        .await
        .unwrap();
    app.store
        .execute(
            &WalletOperation::Payment {
                customer: customer.id.clone(),
                merchant: app.accounts.merchant.id.clone(),
                amount: idr(major),
                hold_minutes: None,
                description: "Nasi goreng".into(),
            },
            server::now_us(),
        )
        .await
        .unwrap()
        .id
}

async fn open(app: &TestApp, token: &str, key: &str, body: Value) -> Answer {
    app.send(
        Request::builder()
            .method(Method::POST)
            .uri("/api/v1/tickets")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/json")
            .header("idempotency-key", key)
            .body(Body::from(body.to_string()))
            .unwrap(),
    )
    .await
}

async fn say(app: &TestApp, token: &str, ticket: &str, body: Value) -> Answer {
    app.call(
        Method::POST,
        &format!("/api/v1/tickets/{ticket}/messages"),
        Some(token),
        Some(body),
    )
    .await
}

#[tokio::test]
async fn a_customer_opens_a_ticket_about_their_own_failed_transaction_only() {
    let app = spawn_app().await;
    let siti = app.customer_token().await;
    let mine = pay(&app, &app.accounts.customer, 25_000).await;
    let budis = pay(&app, &app.accounts.other_customer, 10_000).await;

    let a = open(
        &app,
        &siti,
        "t-1",
        json!({"category": "failed_transaction", "subject": "Paid twice?", "body": "I was charged but the order failed.", "transaction_id": mine}),
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    let t = a.json();
    assert_eq!(t["channel"], "app");
    assert_eq!(t["status"], "new");
    assert_eq!(
        t["links"][0],
        json!({"kind": "transaction", "record_id": mine})
    );
    assert!(t["number"].as_i64().unwrap() > 1000);
    // A retry with the same key gets the same ticket, not a second one.
    let again = open(
        &app,
        &siti,
        "t-1",
        json!({"category": "failed_transaction", "subject": "Paid twice?", "body": "I was charged but the order failed.", "transaction_id": mine}),
    )
    .await;
    assert_eq!(again.json()["id"], t["id"]);

    // Someone else's transaction is not one Siti can pick.
    let a = open(
        &app,
        &siti,
        "t-2",
        json!({"category": "refund", "subject": "Refund", "body": "Please refund.", "transaction_id": budis}),
    )
    .await;
    let p = a.assert_problem(422, "validation_failed");
    assert_eq!(p["errors"][0]["field"], "transaction_id");

    // Every bad field at once, nothing stored.
    let a = open(
        &app,
        &siti,
        "t-3",
        json!({"category": "lottery", "subject": " ", "body": ""}),
    )
    .await;
    assert_eq!(a.invalid_fields(), ["category", "subject", "body"]);
    let list = app.get("/api/v1/tickets", Some(&siti)).await.json();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn customers_see_only_their_own_tickets_and_merchants_none() {
    let app = spawn_app().await;
    let ticket = customer_ticket(&app, "Payment failed").await;
    let budi = app
        .token(
            "customer",
            app.accounts.other_customer.email.as_ref().unwrap().as_str(),
        )
        .await;
    let path = format!("/api/v1/tickets/{}", ticket.id);
    app.get(&path, Some(&budi))
        .await
        .assert_problem(404, "not_found");
    app.get(&format!("/api/v1/tickets/{}", ticket.number), Some(&budi))
        .await
        .assert_problem(404, "not_found");
    say(&app, &budi, &ticket.id, json!({"body": "let me in"}))
        .await
        .assert_problem(404, "not_found");
    let list = app.get("/api/v1/tickets", Some(&budi)).await.json();
    assert!(list["items"].as_array().unwrap().is_empty());
    // Filters never widen a customer's list.
    let list = app
        .get("/api/v1/tickets?assignee=none&q=Payment", Some(&budi))
        .await
        .json();
    assert!(list["items"].as_array().unwrap().is_empty());
    let merchant = app.staff_token(&app.accounts.merchant_staff).await;
    app.get(&path, Some(&merchant))
        .await
        .assert_problem(403, "forbidden");
    let siti = app.customer_token().await;
    assert_eq!(app.get(&path, Some(&siti)).await.status, StatusCode::OK);
    let agent = app.staff_token(&app.accounts.agent).await;
    assert_eq!(app.get(&path, Some(&agent)).await.status, StatusCode::OK);
}

#[tokio::test]
async fn the_lifecycle_follows_the_rules_and_history_records_who_did_what() {
    let app = spawn_app().await;
    let t = customer_ticket(&app, "Payment failed").await;
    let siti = app.customer_token().await;
    let agent = app.staff_token(&app.accounts.agent).await;

    // A note stays internal and does not take the ticket out of "new".
    let a = say(
        &app,
        &agent,
        &t.id,
        json!({"body": "Checking the bank log", "internal": true}),
    )
    .await;
    assert_eq!(a.json()["ticket"]["status"], "new");
    // The first public answer opens it; asking the customer sets pending.
    let a = say(
        &app,
        &agent,
        &t.id,
        json!({"body": "Which bank?", "status": "pending_customer"}),
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    assert_eq!(a.json()["ticket"]["status"], "pending_customer");
    // The customer's answer reopens it.
    let a = say(&app, &siti, &t.id, json!({"body": "BCA"})).await;
    assert_eq!(a.json()["ticket"]["status"], "open");
    // Customers can neither write notes nor set statuses.
    say(&app, &siti, &t.id, json!({"body": "x", "internal": true}))
        .await
        .assert_problem(403, "forbidden");
    say(&app, &siti, &t.id, json!({"body": "x", "status": "solved"}))
        .await
        .assert_problem(403, "forbidden");
    // Rating before solved is refused.
    app.call(
        Method::POST,
        &format!("/api/v1/tickets/{}/rating", t.id),
        Some(&siti),
        Some(json!({"score": 5})),
    )
    .await
    .assert_problem(409, "invalid_state");
    // Solving asks for a rating in the customer's language.
    let a = app
        .call(
            Method::PATCH,
            &format!("/api/v1/tickets/{}", t.id),
            Some(&agent),
            Some(json!({"status": "solved", "priority": "high", "tags": ["BCA", "bank-delay"]})),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.json()["tags"], json!(["bca", "bank-delay"]));
    let d = app
        .get(&format!("/api/v1/tickets/{}", t.id), Some(&siti))
        .await
        .json();
    let last = d["messages"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["author_kind"], "system");
    assert!(
        last["body"]
            .as_str()
            .unwrap()
            .contains(&t.number.to_string())
    );
    // The customer sees no internal note, no history, no calls.
    assert!(
        d["messages"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["visibility"] == "public")
    );
    assert!(d["events"].as_array().unwrap().is_empty());
    // Out-of-range rating, then a good one.
    app.call(
        Method::POST,
        &format!("/api/v1/tickets/{}/rating", t.id),
        Some(&siti),
        Some(json!({"score": 9})),
    )
    .await
    .assert_problem(422, "validation_failed");
    let a = app
        .call(
            Method::POST,
            &format!("/api/v1/tickets/{}/rating", t.id),
            Some(&siti),
            Some(json!({"score": 5, "comment": "Fast, thanks"})),
        )
        .await;
    assert_eq!(a.json()["rating"]["score"], 5);
    // A customer reply reopens a solved ticket.
    let a = say(
        &app,
        &siti,
        &t.id,
        json!({"body": "Actually it happened again"}),
    )
    .await;
    assert_eq!(a.json()["ticket"]["status"], "open");
    // Closing needs solved first; back to new never.
    let patch = |body: Value| {
        let app = &app;
        let agent = agent.clone();
        let id = t.id.clone();
        async move {
            app.call(
                Method::PATCH,
                &format!("/api/v1/tickets/{id}"),
                Some(&agent),
                Some(body),
            )
            .await
        }
    };
    patch(json!({"status": "closed"}))
        .await
        .assert_problem(409, "invalid_state");
    patch(json!({"status": "new"}))
        .await
        .assert_problem(409, "invalid_state");
    patch(json!({"status": "solved"})).await;
    assert_eq!(
        patch(json!({"status": "closed"})).await.status,
        StatusCode::OK
    );
    // Closed is final: no messages, no changes.
    say(&app, &siti, &t.id, json!({"body": "hello?"}))
        .await
        .assert_problem(409, "invalid_state");
    patch(json!({"priority": "low"}))
        .await
        .assert_problem(409, "invalid_state");

    // The history names who changed what, in order.
    let d = app
        .get(&format!("/api/v1/tickets/{}", t.id), Some(&agent))
        .await
        .json();
    let statuses: Vec<(String, String)> = d["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["field"] == "status")
        .map(|e| {
            (
                e["actor_name"].as_str().unwrap().to_owned(),
                e["new_value"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let agent_name = app.accounts.agent.display_name.as_str().to_owned();
    let siti_name = app.accounts.customer.display_name.as_str().to_owned();
    assert_eq!(
        statuses,
        vec![
            (siti_name.clone(), "new".into()),
            (agent_name.clone(), "pending_customer".into()),
            (siti_name.clone(), "open".into()),
            (agent_name.clone(), "solved".into()),
            (siti_name, "open".into()),
            (agent_name.clone(), "solved".into()),
            (agent_name, "closed".into()),
        ]
    );
    assert!(
        d["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["field"] == "priority" && e["new_value"] == "high")
    );
    assert!(
        d["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["field"] == "rating" && e["new_value"] == "5")
    );
    // Staff see the note.
    assert!(
        d["messages"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["visibility"] == "internal")
    );
}

#[tokio::test]
async fn staff_see_what_is_missing_and_link_only_the_customers_records() {
    let app = spawn_app().await;
    let t = customer_ticket(&app, "Payment failed").await;
    let agent = app.staff_token(&app.accounts.agent).await;
    let d = app
        .get(&format!("/api/v1/tickets/{}", t.id), Some(&agent))
        .await
        .json();
    assert_eq!(d["ticket"]["missing"][0]["code"], "transaction");
    assert!(
        !d["ticket"]["missing"][0]["message"]
            .as_str()
            .unwrap()
            .is_empty()
    );

    let budis = pay(&app, &app.accounts.other_customer, 10_000).await;
    let link = |record: String| {
        let app = &app;
        let agent = agent.clone();
        let id = t.id.clone();
        async move {
            app.call(
                Method::POST,
                &format!("/api/v1/tickets/{id}/links"),
                Some(&agent),
                Some(json!({"kind": "transaction", "record_id": record})),
            )
            .await
        }
    };
    link(budis).await.assert_problem(422, "validation_failed");
    let mine = pay(&app, &app.accounts.customer, 30_000).await;
    let a = link(mine.clone()).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert!(a.json()["missing"].as_array().unwrap().is_empty());
    let a = app
        .call(
            Method::DELETE,
            &format!("/api/v1/tickets/{}/links/transaction/{mine}", t.id),
            Some(&agent),
            None,
        )
        .await;
    assert_eq!(a.json()["missing"][0]["code"], "transaction");
}

#[tokio::test]
async fn a_guest_writes_without_an_account_and_an_agent_identifies_them() {
    let app = spawn_app().await;
    // A guest typing a customer's email is not taken for that customer.
    let a = app
        .call(
            Method::POST,
            "/api/v1/tickets",
            None,
            Some(json!({"category": "other", "subject": "Hi", "body": "Question", "guest": {"name": "Not Siti", "email": "siti@example.id"}})),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    assert_eq!(a.json()["requester"]["kind"], "contact");
    let siti = app.customer_token().await;
    let mine = app.get("/api/v1/tickets", Some(&siti)).await.json();
    assert!(mine["items"].as_array().unwrap().is_empty());

    // Missing guest details are refused with every reason.
    let a = app
        .call(Method::POST, "/api/v1/tickets", None, Some(json!({"category": "other", "subject": "Hi", "body": "Q", "guest": {"name": "", "email": "not-an-email"}})))
        .await;
    let p = a.assert_problem(422, "validation_failed");
    assert_eq!(p["errors"].as_array().unwrap().len(), 2, "{p}");
    app.call(
        Method::POST,
        "/api/v1/tickets",
        None,
        Some(json!({"category": "other", "subject": "Hi", "body": "Q"})),
    )
    .await
    .assert_problem(422, "validation_failed");

    // The guest's reported time and amount satisfy a failed-transaction ticket, identity does not.
    let g = guest_ticket(&app).await;
    assert_eq!(g.reported.amount_minor, Some(5_000_000));
    assert_eq!(g.locale, Locale::Id);
    let agent = app.staff_token(&app.accounts.agent).await;
    let d = app
        .get(&format!("/api/v1/tickets/{}", g.id), Some(&agent))
        .await
        .json();
    let codes: Vec<&str> = d["ticket"]["missing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["customer_identity"]);

    // After checking, the agent merges the contact into Siti: the ticket is hers now.
    let contact = g.contact_id.clone().unwrap();
    let a = app
        .call(
            Method::POST,
            &format!("/api/v1/contacts/{contact}/merge"),
            Some(&agent),
            Some(json!({"customer_id": app.accounts.customer.id.to_string()})),
        )
        .await;
    assert_eq!(a.json()["tickets_moved"], 1, "{}", a.body);
    let mine = app.get("/api/v1/tickets", Some(&siti)).await.json();
    assert_eq!(mine["items"][0]["id"], g.id.as_str());
    // A contact identified as Siti cannot be moved to Budi.
    app.call(
        Method::POST,
        &format!("/api/v1/contacts/{contact}/merge"),
        Some(&agent),
        Some(json!({"customer_id": app.accounts.other_customer.id.to_string()})),
    )
    .await
    .assert_problem(409, "invalid_state");
}

#[tokio::test]
async fn attachments_are_sniffed_limited_and_served_as_downloads_to_those_who_may_see_them() {
    let app = spawn_app().await;
    let t = customer_ticket(&app, "Receipt").await;
    let siti = app.customer_token().await;
    // Claimed text/html, really a PDF: stored as what the bytes are.
    let a = upload(
        &app,
        &siti,
        &t.id,
        "My receipt",
        &[("../../etc/receipt.pdf", b"%PDF-1.4\n1 0 obj\n")],
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    let att = a.json()["message"]["attachments"][0].clone();
    assert_eq!(att["content_type"], "application/pdf");
    assert_eq!(att["file_name"], "receipt.pdf");
    let id = att["id"].as_str().unwrap();
    let dl = app
        .get(&format!("/api/v1/attachments/{id}"), Some(&siti))
        .await;
    assert_eq!(dl.status, StatusCode::OK);
    assert!(dl.header("content-disposition").starts_with("attachment;"));
    assert_eq!(dl.header("x-content-type-options"), "nosniff");
    assert!(dl.header("content-security-policy").starts_with("sandbox"));
    assert!(dl.body.starts_with("%PDF"));
    // Another customer cannot fetch it.
    let budi = app.token("customer", "budi@example.id").await;
    app.get(&format!("/api/v1/attachments/{id}"), Some(&budi))
        .await
        .assert_problem(404, "not_found");
    // An executable is refused; nothing is added to the thread.
    let before = app.store.ticket_messages(&t.id).await.unwrap().len();
    upload(
        &app,
        &siti,
        &t.id,
        "program",
        &[("setup.exe", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00")],
    )
    .await
    .assert_problem(422, "validation_failed");
    // Too many files.
    let many: Vec<(&str, &[u8])> = (0..6).map(|_| ("a.txt", b"hello".as_slice())).collect();
    upload(&app, &siti, &t.id, "lots", &many)
        .await
        .assert_problem(422, "validation_failed");
    assert_eq!(
        app.store.ticket_messages(&t.id).await.unwrap().len(),
        before
    );
    // A file on an internal note is staff-only.
    let agent = app.staff_token(&app.accounts.agent).await;
    let boundary = "b0undary";
    let data = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"body\"\r\n\r\nbank statement\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"internal\"\r\n\r\ntrue\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"bank.txt\"\r\n\r\nledger line 42\r\n--{boundary}--\r\n"
    );
    let a = app
        .send(
            Request::builder()
                .method(Method::POST)
                .uri(format!("/api/v1/tickets/{}/attachments", t.id))
                .header(header::AUTHORIZATION, format!("Bearer {agent}"))
                .header(
                    header::CONTENT_TYPE,
                    format!("multipart/form-data; boundary={boundary}"),
                )
                .body(Body::from(data))
                .unwrap(),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    assert_eq!(a.json()["message"]["visibility"], "internal");
    let note_file = a.json()["message"]["attachments"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.get(&format!("/api/v1/attachments/{note_file}"), Some(&siti))
        .await
        .assert_problem(404, "not_found");
    assert_eq!(
        app.get(&format!("/api/v1/attachments/{note_file}"), Some(&agent))
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_flag_on_a_transaction_opens_a_ticket_linked_to_it() {
    let app = spawn_app().await;
    let siti = app.customer_token().await;
    let payment = pay(&app, &app.accounts.customer, 40_000).await;
    let a = app
        .send(
            Request::builder()
                .method(Method::POST)
                .uri(format!("/api/v1/transactions/{payment}/flags"))
                .header(header::AUTHORIZATION, format!("Bearer {siti}"))
                .header(header::CONTENT_TYPE, "application/json")
                .header("idempotency-key", "flag-1")
                .body(Body::from(
                    json!({"reason": "not_recognised", "comment": ""}).to_string(),
                ))
                .unwrap(),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    let flag = a.json()["id"].as_str().unwrap().to_owned();
    let list = app.get("/api/v1/tickets", Some(&siti)).await.json();
    let t = &list["items"][0];
    assert_eq!(t["category"], "privacy_security");
    assert_eq!(t["priority"], "high");
    assert_eq!(
        t["links"],
        json!([{"kind": "transaction", "record_id": payment}, {"kind": "flag", "record_id": flag}])
    );
}

#[tokio::test]
async fn staff_open_tickets_for_customers_and_log_calls() {
    let app = spawn_app().await;
    let agent = app.staff_token(&app.accounts.agent).await;
    let a = open(
        &app,
        &agent,
        "staff-1",
        json!({"category": "account_sign_in", "subject": "Locked out", "body": "Customer called: locked after wrong PINs.", "customer_id": app.accounts.customer.id.to_string()}),
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    let t = a.json();
    assert_eq!(t["channel"], "phone");
    assert_eq!(t["assignee_id"], app.accounts.agent.id.to_string());
    let id = t["id"].as_str().unwrap();
    let a = app
        .call(Method::POST, &format!("/api/v1/tickets/{id}/calls"), Some(&agent), Some(json!({"from_number": "0812-3456-7890", "summary": "Verified identity, sent a reset link", "duration_minutes": 4})))
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    assert_eq!(a.json()["duration_secs"], 240);
    assert_eq!(a.json()["from_number"], "+6281234567890");
    app.call(
        Method::POST,
        &format!("/api/v1/tickets/{id}/calls"),
        Some(&agent),
        Some(json!({"from_number": "call me", "summary": ""})),
    )
    .await
    .assert_problem(422, "validation_failed");
    let d = app
        .get(&format!("/api/v1/tickets/{id}"), Some(&agent))
        .await
        .json();
    assert_eq!(d["calls"].as_array().unwrap().len(), 1);
    // Unknown assignee or group is refused, every field named.
    let p = app
        .call(Method::PATCH, &format!("/api/v1/tickets/{id}"), Some(&agent), Some(json!({"assignee_id": uuid::Uuid::now_v7().to_string(), "group_id": "nope", "priority": "asap"})))
        .await
        .assert_problem(422, "validation_failed");
    assert_eq!(p["errors"].as_array().unwrap().len(), 3, "{p}");
}

#[tokio::test]
async fn ticket_numbers_stay_unique_under_concurrent_intake() {
    let app = spawn_app().await;
    let mut handles = Vec::new();
    for i in 0..20 {
        let router = app.router.clone();
        handles.push(tokio::spawn(async move {
            let req = Request::builder()
                .method(Method::POST)
                .uri("/api/v1/tickets")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(
                    json!({"category": "other", "subject": format!("Question {i}"), "body": "Hello", "guest": {"name": "Guest", "phone": format!("+62812000000{i:02}")}})
                        .to_string(),
                ))
                .unwrap();
            use tower::ServiceExt;
            let resp = router.oneshot(req).await.unwrap();
            assert_eq!(resp.status(), StatusCode::CREATED);
        }));
    }
    for h in handles {
        h.await.unwrap();
    }
    let agent = app.staff_token(&app.accounts.agent).await;
    let list = app
        .get("/api/v1/tickets?limit=100", Some(&agent))
        .await
        .json();
    let mut numbers: Vec<i64> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["number"].as_i64().unwrap())
        .collect();
    numbers.sort();
    numbers.dedup();
    assert_eq!(numbers.len(), 20);
}

#[tokio::test]
async fn deflections_are_recorded_and_counted() {
    let app = spawn_app().await;
    for outcome in ["deflected", "deflected", "continued"] {
        let a = app
            .call(Method::POST, "/api/v1/help/deflections", None, Some(json!({"query": "lupa kata sandi", "article_slug": "reset-password", "outcome": outcome, "locale": "id"})))
            .await;
        assert_eq!(a.status, StatusCode::NO_CONTENT, "{}", a.body);
    }
    app.call(
        Method::POST,
        "/api/v1/help/deflections",
        None,
        Some(json!({"query": "x", "outcome": "maybe"})),
    )
    .await
    .assert_problem(422, "validation_failed");
    assert_eq!(app.store.deflection_counts(0).await.unwrap(), (2, 1));
    // Admins see the rate beside the articles.
    let cookie = app.page_session("/staff/signin", "admin@example.id").await;
    let page = app.page("/staff/help", Some(&cookie)).await;
    assert!(page.body.contains("66% of visitors"), "{}", page.body);
}
