//! Bad input gets a clear 4xx problem, never a 500 or a stack trace, and loses nothing.

use crate::helpers::*;
use axum::body::Body;
use axum::http::{Method, Request};
use serde_json::json;

async fn post_raw(
    app: &TestApp,
    path: &str,
    content_type: Option<&str>,
    body: Vec<u8>,
    token: Option<&str>,
) -> Answer {
    let mut b = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header("idempotency-key", "k1");
    if let Some(ct) = content_type {
        b = b.header("content-type", ct);
    }
    if let Some(t) = token {
        b = b.header("authorization", format!("Bearer {t}"));
    }
    app.send(b.body(Body::from(body)).unwrap()).await
}

#[tokio::test]
async fn malformed_json_is_a_400_problem() {
    let app = spawn_app().await;
    let a = post_raw(
        &app,
        "/api/v1/auth/tokens",
        Some("application/json"),
        b"{\"audience\": \"customer\",".to_vec(),
        None,
    )
    .await;
    let v = a.assert_problem(400, "bad_request");
    assert!(v["detail"].as_str().unwrap().contains("JSON"), "{v}");
}

#[tokio::test]
async fn wrong_types_and_missing_fields_are_422_problems_naming_the_field() {
    let app = spawn_app().await;
    let a = post_raw(
        &app,
        "/api/v1/auth/tokens",
        Some("application/json"),
        br#"{"audience":"customer","login":5,"password":"x"}"#.to_vec(),
        None,
    )
    .await;
    let v = a.assert_problem(422, "validation_failed");
    assert!(v["detail"].as_str().unwrap().contains("login"), "{v}");
    let a = post_raw(
        &app,
        "/api/v1/auth/tokens",
        Some("application/json"),
        br#"{"audience":"customer","login":"a@b.co"}"#.to_vec(),
        None,
    )
    .await;
    let v = a.assert_problem(422, "validation_failed");
    assert!(v["detail"].as_str().unwrap().contains("password"), "{v}");
    let a = post_raw(
        &app,
        "/api/v1/auth/tokens",
        Some("application/json"),
        br#"{"audience":"robot","login":"a@b.co","password":"x"}"#.to_vec(),
        None,
    )
    .await;
    a.assert_problem(422, "validation_failed");
    let a = post_raw(
        &app,
        "/api/v1/auth/tokens",
        Some("application/json"),
        br#"{"audience":"customer","login":"a@b.co","password":"x","admin":true}"#.to_vec(),
        None,
    )
    .await;
    a.assert_problem(422, "validation_failed");
}

#[tokio::test]
async fn a_body_that_is_not_json_is_415() {
    let app = spawn_app().await;
    let a = post_raw(
        &app,
        "/api/v1/auth/tokens",
        Some("text/plain"),
        b"hello".to_vec(),
        None,
    )
    .await;
    a.assert_problem(415, "unsupported_media_type");
    let a = post_raw(&app, "/api/v1/auth/tokens", None, b"{}".to_vec(), None).await;
    a.assert_problem(415, "unsupported_media_type");
}

#[tokio::test]
async fn oversized_bodies_are_413_and_create_nothing() {
    let app = spawn_app().await;
    let admin = app.staff_token(&app.accounts.admin).await;
    let huge = json!({"email": "big@example.id", "display_name": "x".repeat(2 * 1024 * 1024), "role": "agent", "password": "long enough password"});
    let a = post_raw(
        &app,
        "/api/v1/staff",
        Some("application/json"),
        huge.to_string().into_bytes(),
        Some(&admin),
    )
    .await;
    a.assert_problem(413, "payload_too_large");
    let list = app
        .get("/api/v1/staff?limit=100", Some(&admin))
        .await
        .json();
    assert!(!list.to_string().contains("big@example.id"));
}

#[tokio::test]
async fn unknown_routes_and_methods_are_problems() {
    let app = spawn_app().await;
    app.get("/api/v1/nothing-here", None)
        .await
        .assert_problem(404, "route_not_found");
    let a = app.call(Method::PUT, "/api/v1/me", None, None).await;
    a.assert_problem(405, "method_not_allowed");
    assert!(a.header("allow").contains("GET"));
    let a = app.call(Method::DELETE, "/healthz", None, None).await;
    a.assert_problem(405, "method_not_allowed");
}

#[tokio::test]
async fn bad_pagination_parameters_are_422_and_bad_query_types_400() {
    let app = spawn_app().await;
    let agent = app.staff_token(&app.accounts.agent).await;
    for q in ["limit=0", "limit=101", "cursor=zz", "cursor=abc"] {
        app.get(&format!("/api/v1/customers?{q}"), Some(&agent))
            .await
            .assert_problem(422, "validation_failed");
    }
    app.get("/api/v1/customers?limit=many", Some(&agent))
        .await
        .assert_problem(400, "bad_request");
    let v = app
        .get("/api/v1/customers?limit=0&cursor=zz", Some(&agent))
        .await
        .assert_problem(422, "validation_failed");
    assert_eq!(
        v["errors"].as_array().unwrap().len(),
        2,
        "both problems reported at once: {v}"
    );
}

#[tokio::test]
async fn malformed_ids_in_paths_are_not_found() {
    let app = spawn_app().await;
    let agent = app.staff_token(&app.accounts.agent).await;
    app.get("/api/v1/customers/not-an-id", Some(&agent))
        .await
        .assert_problem(404, "not_found");
    app.get("/api/v1/merchants/'%20OR%201=1", Some(&agent))
        .await
        .assert_problem(404, "not_found");
}

#[tokio::test]
async fn bad_form_posts_get_a_readable_page() {
    let app = spawn_app().await;
    let req = Request::builder()
        .method(Method::POST)
        .uri("/locale")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from("no_locale_here=1"))
        .unwrap();
    let a = app.send(req).await;
    assert!(a.status.is_client_error(), "{}", a.status);
    assert!(
        a.content_type().starts_with("text/html"),
        "{}",
        a.content_type()
    );
    assert!(a.body.contains("role=\"alert\""));
    let a = app.page("/no/such/page", None).await;
    assert_eq!(a.status.as_u16(), 404);
    assert!(a.body.contains("<html"), "a page, not JSON");
}
