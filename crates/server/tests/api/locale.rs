//! The UI language: browser preference, explicit choice, account setting.

use crate::helpers::*;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::json;

#[tokio::test]
async fn pages_follow_accept_language() {
    let app = spawn_app().await;
    let en = app.page("/signin", None).await;
    assert!(en.body.contains("<html lang=\"en\">"));
    assert!(en.body.contains("Sign in to your wallet"));
    for (header, lang) in [
        ("id-ID,id;q=0.9,en;q=0.8", "id"),
        ("zh-CN,zh;q=0.9", "zh-CN"),
        ("fr-FR, zh;q=0.5", "zh-CN"),
    ] {
        let req = Request::builder()
            .uri("/signin")
            .header("accept-language", header)
            .body(Body::empty())
            .unwrap();
        let a = app.send(req).await;
        assert!(
            a.body.contains(&format!("<html lang=\"{lang}\">")),
            "{header}"
        );
        assert!(
            !a.body.contains("Sign in to your wallet"),
            "{header}: still English"
        );
    }
}

#[tokio::test]
async fn the_language_switch_sets_a_cookie_and_the_account_setting() {
    let app = spawn_app().await;
    let a = app
        .post_form("/locale", &[("locale", "id"), ("next", "/signin")], None)
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    assert_eq!(a.header("location"), "/signin");
    let cookie = a.cookie("paydesk_locale").unwrap();
    assert!(cookie.starts_with("paydesk_locale=id"));
    let page = app.page("/signin", Some("paydesk_locale=id")).await;
    assert!(page.body.contains("<html lang=\"id\">"));

    let session = app.page_session("/signin", "siti@example.id").await;
    let home = app.page("/home", Some(&session)).await;
    let csrf = csrf_of(&home.body);
    let a = app
        .post_form(
            "/locale",
            &[("locale", "zh-CN"), ("next", "/home"), ("csrf", &csrf)],
            Some(&session),
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    // Remembered on the account: a new browser without the cookie gets Chinese too.
    let token = app.customer_token().await;
    assert_eq!(
        app.get("/api/v1/me", Some(&token)).await.json()["locale"],
        "zh-CN"
    );
    let fresh = app.page_session("/signin", "siti@example.id").await;
    assert!(
        app.page("/home", Some(&fresh))
            .await
            .body
            .contains("<html lang=\"zh-CN\">")
    );
}

#[tokio::test]
async fn without_the_csrf_token_the_account_setting_is_left_alone() {
    let app = spawn_app().await;
    let session = app.page_session("/signin", "siti@example.id").await;
    let a = app
        .post_form(
            "/locale",
            &[("locale", "id"), ("next", "/home")],
            Some(&session),
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    let token = app.customer_token().await;
    assert_eq!(
        app.get("/api/v1/me", Some(&token)).await.json()["locale"],
        "en"
    );
}

#[tokio::test]
async fn the_api_changes_the_language_and_rejects_unknown_ones() {
    let app = spawn_app().await;
    let token = app.customer_token().await;
    let a = app
        .call(
            Method::PATCH,
            "/api/v1/me",
            Some(&token),
            Some(json!({"locale": "id"})),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.json()["locale"], "id");
    app.call(
        Method::PATCH,
        "/api/v1/me",
        Some(&token),
        Some(json!({"locale": "klingon"})),
    )
    .await
    .assert_problem(422, "validation_failed");
    assert_eq!(
        app.get("/api/v1/me", Some(&token)).await.json()["locale"],
        "id",
        "a rejected change loses nothing"
    );
}

#[tokio::test]
async fn an_unknown_locale_or_foreign_next_is_refused_by_the_switch() {
    let app = spawn_app().await;
    let a = app
        .post_form("/locale", &[("locale", "xx"), ("next", "/")], None)
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    let a = app
        .post_form(
            "/locale",
            &[("locale", "en"), ("next", "https://evil.example/")],
            None,
        )
        .await;
    assert_eq!(a.header("location"), "/");
}
