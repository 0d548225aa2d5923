//! Health, readiness, metrics, OpenAPI, request ids and security headers.

use crate::helpers::*;
use axum::body::Body;
use axum::http::{Request, StatusCode};

#[tokio::test]
async fn health_and_readiness() {
    let app = spawn_app().await;
    let h = app.get("/healthz", None).await;
    assert_eq!(h.status, StatusCode::OK);
    let r = app.get("/readyz", None).await;
    assert_eq!(r.status, StatusCode::OK);
    let backend = if std::env::var("PAYDESK_TEST_DATABASE_URL").is_ok_and(|v| !v.is_empty()) {
        "postgres"
    } else {
        "sqlite"
    };
    assert_eq!(r.json()["database"], backend);
}

#[tokio::test]
async fn readiness_fails_when_the_database_is_gone() {
    let app = spawn_app().await;
    app.store.close().await;
    app.get("/readyz", None)
        .await
        .assert_problem(503, "unavailable");
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_status() {
    let app = spawn_app().await;
    app.get("/healthz", None).await;
    app.get("/api/v1/me", None).await;
    let m = app.get("/metrics", None).await;
    assert_eq!(m.status, StatusCode::OK);
    assert!(m.content_type().starts_with("text/plain"));
    assert!(
        m.body.contains(
            r#"paydesk_http_requests_total{method="GET",route="/healthz",status="200"} 1"#
        ),
        "{}",
        m.body
    );
    assert!(
        m.body.contains(r#"route="/api/v1/me",status="401""#),
        "{}",
        m.body
    );
    assert!(
        m.body
            .contains("paydesk_http_request_duration_seconds_bucket")
    );
    assert!(m.body.contains("paydesk_db_pool_connections"));
}

#[tokio::test]
async fn request_ids_are_echoed_and_quoted_in_problems() {
    let app = spawn_app().await;
    let req = Request::builder()
        .uri("/api/v1/me")
        .header("x-request-id", "trace-abc-123")
        .body(Body::empty())
        .unwrap();
    let a = app.send(req).await;
    assert_eq!(a.header("x-request-id"), "trace-abc-123");
    assert_eq!(a.json()["request_id"], "trace-abc-123");
    // An unreasonable id is replaced, not echoed.
    let req = Request::builder()
        .uri("/healthz")
        .header("x-request-id", "<script>")
        .body(Body::empty())
        .unwrap();
    let a = app.send(req).await;
    assert_ne!(a.header("x-request-id"), "<script>");
    assert_eq!(a.header("x-request-id").len(), 36);
}

#[tokio::test]
async fn security_headers_are_set() {
    let app = spawn_app().await;
    let a = app.page("/signin", None).await;
    assert_eq!(a.header("x-content-type-options"), "nosniff");
    assert_eq!(a.header("x-frame-options"), "DENY");
    assert!(
        a.header("content-security-policy")
            .contains("frame-ancestors 'none'")
    );
    assert!(
        a.header("content-security-policy")
            .contains("script-src 'self'")
    );
    assert_eq!(
        a.header("strict-transport-security"),
        "",
        "no HSTS without TLS"
    );
}

#[tokio::test]
async fn openapi_document_and_reference_page_list_every_route() {
    let app = spawn_app().await;
    let doc = app.get("/api/openapi.json", None).await;
    assert_eq!(doc.status, StatusCode::OK);
    let v = doc.json();
    assert!(v["openapi"].as_str().unwrap().starts_with("3."));
    assert!(v["components"]["securitySchemes"]["bearer"].is_object());
    let page = app.page("/api", None).await;
    assert_eq!(page.status, StatusCode::OK);
    for (method, path, access) in server::api::ROUTES {
        assert!(
            v["paths"][path][method.to_lowercase()].is_object(),
            "{method} {path} missing from OpenAPI"
        );
        assert!(
            page.body.contains(&format!("<code>{method} {path}</code>")),
            "{method} {path} missing from /api"
        );
        assert!(page.body.contains(&format!("<code>{access}</code>")));
    }
    assert!(!page.body.contains("undeclared"));
    assert!(
        !page.body.contains("https://"),
        "the reference page loads nothing from elsewhere"
    );
}
