//! Sign-in, tokens, sessions and sign-out.

use crate::helpers::*;
use axum::http::{Method, StatusCode};
use domain::{AccountStatus, UserId};
use serde_json::json;

#[tokio::test]
async fn customers_sign_in_by_email_or_phone_and_get_a_bearer_token() {
    let app = spawn_app().await;
    for login in [
        "siti@example.id",
        "SITI@example.id",
        "+6281234567890",
        "0812-3456-7890",
    ] {
        let token = app.token("customer", login).await;
        let me = app.get("/api/v1/me", Some(&token)).await;
        assert_eq!(me.status, StatusCode::OK, "{login}");
        assert_eq!(me.json()["display_name"], "Siti Rahayu");
        assert_eq!(me.json()["role"], "customer");
    }
}

#[tokio::test]
async fn wrong_password_and_unknown_account_get_the_same_answer() {
    let app = spawn_app().await;
    let attempt = |login: &'static str, password: &'static str, audience: &'static str| {
        let app = &app;
        async move {
            app.call(
                Method::POST,
                "/api/v1/auth/tokens",
                None,
                Some(json!({"audience": audience, "login": login, "password": password})),
            )
            .await
        }
    };
    let wrong = attempt("siti@example.id", "not the password", "customer").await;
    let unknown = attempt("nobody@example.id", "not the password", "customer").await;
    let malformed = attempt("not a login", "whatever1", "customer").await;
    let empty = attempt("siti@example.id", "", "customer").await;
    // A customer's login on the staff sign-in is just as unknown.
    let wrong_audience = attempt("siti@example.id", PASSWORD, "staff").await;
    let bodies: Vec<_> = [&wrong, &unknown, &malformed, &empty, &wrong_audience]
        .iter()
        .map(|a| {
            let v = a.assert_problem(401, "invalid_credentials");
            assert_eq!(a.header("www-authenticate"), "");
            (v["detail"].clone(), v["title"].clone())
        })
        .collect();
    assert!(
        bodies.windows(2).all(|w| w[0] == w[1]),
        "answers differ: {bodies:?}"
    );
}

#[tokio::test]
async fn suspended_accounts_cannot_sign_in_and_lose_their_sessions() {
    let app = spawn_app().await;
    let token = app.customer_token().await;
    let user = UserId::Customer(app.accounts.customer.id.clone());
    app.store
        .set_status(&user, AccountStatus::Suspended)
        .await
        .unwrap();
    app.get("/api/v1/me", Some(&token))
        .await
        .assert_problem(401, "unauthenticated");
    let again = app
        .call(
            Method::POST,
            "/api/v1/auth/tokens",
            None,
            Some(json!({"audience": "customer", "login": "siti@example.id", "password": PASSWORD})),
        )
        .await;
    again.assert_problem(403, "account_disabled");
}

#[tokio::test]
async fn sign_out_revokes_the_token() {
    let app = spawn_app().await;
    let token = app.customer_token().await;
    let out = app
        .call(
            Method::DELETE,
            "/api/v1/auth/tokens/current",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    let me = app.get("/api/v1/me", Some(&token)).await;
    me.assert_problem(401, "unauthenticated");
    assert!(me.header("www-authenticate").starts_with("Bearer"));
}

#[tokio::test]
async fn made_up_and_malformed_tokens_are_rejected() {
    let app = spawn_app().await;
    app.get("/api/v1/me", Some("made-up-token"))
        .await
        .assert_problem(401, "unauthenticated");
    app.get("/api/v1/me", Some(""))
        .await
        .assert_problem(401, "unauthenticated");
    app.get("/api/v1/me", None)
        .await
        .assert_problem(401, "unauthenticated");
}

#[tokio::test]
async fn page_session_cookies_are_http_only_lax_and_not_bearer_tokens() {
    let app = spawn_app().await;
    let a = app
        .post_form(
            "/signin",
            &[("login", "siti@example.id"), ("password", PASSWORD)],
            None,
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    assert_eq!(a.header("location"), "/home");
    let set = a.cookie("paydesk_session").unwrap();
    assert!(set.contains("HttpOnly"), "{set}");
    assert!(set.contains("SameSite=Lax"), "{set}");
    assert!(!set.contains("Secure"), "no TLS configured: {set}");
    // A page session is not an API token, and an API token is not a page session.
    let cookie_value = set
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches("paydesk_session=");
    app.get("/api/v1/me", Some(cookie_value))
        .await
        .assert_problem(401, "unauthenticated");
    let token = app.customer_token().await;
    let page = app
        .page("/home", Some(&format!("paydesk_session={token}")))
        .await;
    assert_eq!(
        page.status,
        StatusCode::SEE_OTHER,
        "bearer token must not open pages"
    );
}

#[tokio::test]
async fn cookies_are_secure_when_tls_is_configured() {
    let mut config = test_config();
    config.server.tls = true;
    let app = spawn_app_with(config).await;
    let a = app
        .post_form(
            "/signin",
            &[("login", "siti@example.id"), ("password", PASSWORD)],
            None,
        )
        .await;
    assert!(a.cookie("paydesk_session").unwrap().contains("Secure"));
    assert!(a.header("strict-transport-security").contains("max-age="));
}

#[tokio::test]
async fn each_sign_in_gets_a_new_session_id() {
    let app = spawn_app().await;
    let first = app.page_session("/signin", "siti@example.id").await;
    let second = app
        .post_form(
            "/signin",
            &[("login", "siti@example.id"), ("password", PASSWORD)],
            Some(&first),
        )
        .await;
    let second = second
        .cookie("paydesk_session")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    assert_ne!(first, second);
    // The session the browser had before is ended, not left valid.
    assert_eq!(
        app.page("/home", Some(&first)).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        app.page("/home", Some(&second)).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn page_sign_out_needs_the_csrf_token_and_ends_the_session() {
    let app = spawn_app().await;
    let cookie = app.page_session("/signin", "siti@example.id").await;
    let home = app.page("/home", Some(&cookie)).await;
    let csrf = csrf_of(&home.body);
    let forged = app
        .post_form("/signout", &[("csrf", "forged")], Some(&cookie))
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.page("/home", Some(&cookie)).await.status,
        StatusCode::OK,
        "forged sign-out must not end the session"
    );
    let out = app
        .post_form("/signout", &[("csrf", &csrf)], Some(&cookie))
        .await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert!(
        out.cookie("paydesk_session").unwrap().contains("Max-Age=0")
            || out.cookie("paydesk_session").unwrap().contains("Expires")
    );
    assert_eq!(
        app.page("/home", Some(&cookie)).await.status,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn staff_sign_in_goes_to_the_console_and_back_to_where_they_were_going() {
    let app = spawn_app().await;
    let a = app
        .post_form(
            "/staff/signin",
            &[
                ("login", "agent@example.id"),
                ("password", PASSWORD),
                ("next", "/staff/customers?q=siti"),
            ],
            None,
        )
        .await;
    assert_eq!(a.header("location"), "/staff/customers?q=siti");
    // Never to another site.
    let a = app
        .post_form(
            "/staff/signin",
            &[
                ("login", "agent@example.id"),
                ("password", PASSWORD),
                ("next", "//evil.example/"),
            ],
            None,
        )
        .await;
    assert_eq!(a.header("location"), "/staff");
    // A customer is not sent to a staff page.
    let a = app
        .post_form(
            "/signin",
            &[
                ("login", "siti@example.id"),
                ("password", PASSWORD),
                ("next", "/staff"),
            ],
            None,
        )
        .await;
    assert_eq!(a.header("location"), "/home");
}

#[tokio::test]
async fn cross_site_sign_in_posts_are_refused() {
    let app = spawn_app().await;
    let req = axum::http::Request::builder()
        .method(Method::POST)
        .uri("/signin")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("host", "paydesk.test")
        .header("origin", "https://evil.example")
        .body(axum::body::Body::from(format!(
            "login=siti%40example.id&password={}",
            urlencode(PASSWORD)
        )))
        .unwrap();
    let a = app.send(req).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert!(a.cookie("paydesk_session").is_none());
}
