//! Pages: sign-in errors, homes, and the sections each role sees.

use crate::helpers::*;
use axum::http::StatusCode;

#[tokio::test]
async fn wrong_password_shows_the_error_and_keeps_the_login() {
    let app = spawn_app().await;
    let a = app
        .post_form(
            "/signin",
            &[("login", "siti@example.id"), ("password", "wrong password")],
            None,
        )
        .await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert!(a.body.contains("role=\"alert\""));
    assert!(
        a.body
            .contains("The email, phone number or password is incorrect.")
    );
    assert!(a.body.contains("value=\"siti@example.id\""));
    assert!(a.cookie("paydesk_session").is_none());
    // Markup in the login is escaped, not executed.
    let a = app
        .post_form(
            "/signin",
            &[("login", "<script>alert(1)</script>"), ("password", "x")],
            None,
        )
        .await;
    assert!(!a.body.contains("<script>alert(1)</script>"));
    assert!(a.body.contains("&lt;script&gt;") || a.body.contains("&#60;script&#62;"));
}

#[tokio::test]
async fn the_customer_home_shows_who_is_signed_in_and_their_profile() {
    let app = spawn_app().await;
    let cookie = app.page_session("/signin", "siti@example.id").await;
    let home = app.page("/home", Some(&cookie)).await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("data-testid=\"whoami\""));
    assert!(home.body.contains("Hello, Siti Rahayu"));
    assert!(home.body.contains("siti@example.id"));
    assert!(home.body.contains("Asia/Jakarta (WIB)"));
    assert!(home.body.contains("name=\"viewport\""));
    // Only her own data.
    assert!(!home.body.contains("Budi"));
}

#[tokio::test]
async fn staff_consoles_show_the_sections_of_their_role() {
    let app = spawn_app().await;
    let agent = app.page_session("/staff/signin", "agent@example.id").await;
    let page = app.page("/staff", Some(&agent)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Signed in as Agus Setiawan"));
    assert!(page.body.contains("href=\"/staff/customers\""));
    assert!(page.body.contains("Payments"), "the agent's group");
    let merchant = app
        .page_session("/staff/signin", "merchant@example.id")
        .await;
    let page = app.page("/staff", Some(&merchant)).await;
    assert!(page.body.contains("href=\"/staff/merchant\""));
    assert!(!page.body.contains("href=\"/staff/customers\""));
    let m = app.page("/staff/merchant", Some(&merchant)).await;
    assert!(m.body.contains("Warung Nusantara"));
    assert!(m.body.contains("Bambang Susilo"));
    assert!(
        !m.body.contains("Agus Setiawan"),
        "operator staff are not a merchant's colleagues"
    );
    let admin = app.page_session("/staff/signin", "admin@example.id").await;
    let team = app.page("/staff/team", Some(&admin)).await;
    for name in [
        "Agus Setiawan",
        "Ratna Sari",
        "Hendra Gunawan",
        "Bambang Susilo",
    ] {
        assert!(team.body.contains(name), "{name}");
    }
}

#[tokio::test]
async fn the_landing_page_sends_signed_in_people_home() {
    let app = spawn_app().await;
    let a = app.page("/", None).await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(a.body.contains("href=\"/signin\""));
    let cookie = app.page_session("/signin", "siti@example.id").await;
    assert_eq!(
        app.page("/", Some(&cookie)).await.header("location"),
        "/home"
    );
}
