//! Staff accounts created by admins, with idempotency keys.

use crate::helpers::*;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::{Value, json};

async fn create(app: &TestApp, token: &str, key: Option<&str>, body: &Value) -> Answer {
    let mut b = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/staff")
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json");
    if let Some(k) = key {
        b = b.header("idempotency-key", k);
    }
    app.send(b.body(Body::from(body.to_string())).unwrap())
        .await
}

fn new_agent(email: &str) -> Value {
    json!({"email": email, "display_name": "Dewi Lestari", "role": "agent", "password": "a long passphrase", "locale": "id"})
}

#[tokio::test]
async fn admins_create_staff_who_can_then_sign_in() {
    let app = spawn_app().await;
    let admin = app.staff_token(&app.accounts.admin).await;
    let mut body = new_agent("dewi@example.id");
    body["group_id"] = json!(app.accounts.group.id.to_string());
    let a = create(&app, &admin, Some("create-dewi"), &body).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    let v = a.json();
    assert_eq!(v["role"], "agent");
    assert_eq!(v["locale"], "id");
    assert!(v.get("password").is_none() && !a.body.contains("passphrase"));
    let login = app
        .call(Method::POST, "/api/v1/auth/tokens", None, Some(json!({"audience": "staff", "login": "dewi@example.id", "password": "a long passphrase"})))
        .await;
    assert_eq!(login.status, StatusCode::CREATED);
}

#[tokio::test]
async fn a_retry_with_the_same_key_replays_and_another_body_is_refused() {
    let app = spawn_app().await;
    let admin = app.staff_token(&app.accounts.admin).await;
    let body = new_agent("rudi@example.id");
    let first = create(&app, &admin, Some("key-1"), &body).await;
    assert_eq!(first.status, StatusCode::CREATED);
    let retry = create(&app, &admin, Some("key-1"), &body).await;
    assert_eq!(retry.status, StatusCode::CREATED);
    assert_eq!(
        retry.json()["id"],
        first.json()["id"],
        "same record, not a second one"
    );
    assert_eq!(retry.header("idempotent-replayed"), "true");
    create(&app, &admin, Some("key-1"), &new_agent("other@example.id"))
        .await
        .assert_problem(422, "idempotency_key_reused");
    let list = app
        .get("/api/v1/staff?limit=100", Some(&admin))
        .await
        .json();
    let count = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["email"] == "rudi@example.id")
        .count();
    assert_eq!(count, 1);
}

#[tokio::test]
async fn a_key_that_failed_on_a_rule_keeps_failing_the_same_way() {
    let app = spawn_app().await;
    let admin = app.staff_token(&app.accounts.admin).await;
    // The email belongs to an existing agent: a conflict.
    let body = new_agent("agent@example.id");
    let first = create(&app, &admin, Some("dup"), &body).await;
    first.assert_problem(409, "already_exists");
    let again = create(&app, &admin, Some("dup"), &body).await;
    again.assert_problem(409, "already_exists");
    assert_eq!(again.header("idempotent-replayed"), "true");
}

#[tokio::test]
async fn the_key_is_required_and_scoped_to_the_caller() {
    let app = spawn_app().await;
    let admin = app.staff_token(&app.accounts.admin).await;
    create(&app, &admin, None, &new_agent("x@example.id"))
        .await
        .assert_problem(400, "idempotency_key_required");
    create(&app, &admin, Some(""), &new_agent("x@example.id"))
        .await
        .assert_problem(400, "idempotency_key_required");
    assert_eq!(
        create(&app, &admin, Some("shared"), &new_agent("x@example.id"))
            .await
            .status,
        StatusCode::CREATED
    );
    // Another admin's identical key is a different key.
    let mut second = helpers_admin(&app).await;
    let other = create(
        &app,
        &second.remove(0),
        Some("shared"),
        &new_agent("y@example.id"),
    )
    .await;
    assert_eq!(other.status, StatusCode::CREATED, "{}", other.body);
}

async fn helpers_admin(app: &TestApp) -> Vec<String> {
    let admin = app.staff_token(&app.accounts.admin).await;
    let body = json!({"email": "admin2@example.id", "display_name": "Second Admin", "role": "admin", "password": "another long one"});
    assert_eq!(
        create(app, &admin, Some("make-admin-2"), &body)
            .await
            .status,
        StatusCode::CREATED
    );
    vec![
        app.token_with_password("admin2@example.id", "another long one")
            .await,
    ]
}

impl TestApp {
    async fn token_with_password(&self, login: &str, password: &str) -> String {
        let a = self
            .call(
                Method::POST,
                "/api/v1/auth/tokens",
                None,
                Some(json!({"audience": "staff", "login": login, "password": password})),
            )
            .await;
        a.json()["token"].as_str().unwrap().to_owned()
    }
}

#[tokio::test]
async fn every_invalid_field_is_reported_at_once_and_nothing_is_created() {
    let app = spawn_app().await;
    let admin = app.staff_token(&app.accounts.admin).await;
    let body = json!({"email": "not-an-email", "display_name": " ", "role": "customer", "password": "short", "locale": "fr", "group_id": "nope"});
    let v = create(&app, &admin, Some("bad"), &body)
        .await
        .assert_problem(422, "validation_failed");
    let fields: Vec<_> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_owned())
        .collect();
    for f in [
        "email",
        "display_name",
        "role",
        "password",
        "locale",
        "group_id",
    ] {
        assert!(fields.contains(&f.to_owned()), "{f} missing in {fields:?}");
    }
    // Merchant staff need an existing merchant; others may not have one.
    let v = create(&app, &admin, Some("m1"), &json!({"email": "m@example.id", "display_name": "M", "role": "merchant", "password": "long enough pw"})).await;
    v.assert_problem(422, "validation_failed");
    let v = create(&app, &admin, Some("m2"), &json!({"email": "m@example.id", "display_name": "M", "role": "merchant", "password": "long enough pw", "merchant_id": domain::MerchantId::new().to_string()})).await;
    v.assert_problem(422, "validation_failed");
    let ok = create(&app, &admin, Some("m3"), &json!({"email": "m@example.id", "display_name": "M", "role": "merchant", "password": "long enough pw", "merchant_id": app.accounts.merchant.id.to_string()})).await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.body);
    let list = app
        .get("/api/v1/staff?limit=100", Some(&admin))
        .await
        .json();
    assert_eq!(
        list["items"].as_array().unwrap().len(),
        5,
        "4 fixtures + the merchant staff only"
    );
}
