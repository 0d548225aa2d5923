//! The customer directory: keyset pagination, search and filters.

use crate::helpers::*;
use axum::http::StatusCode;
use std::collections::HashSet;

async fn add_customers(app: &TestApp, n: usize) {
    for i in 0..n {
        let name = if i % 3 == 0 {
            format!("Dewi Lestari {i:02}")
        } else {
            format!("Andi Wijaya {i:02}")
        };
        let mut c = customer(
            &format!("c{i}@example.id"),
            &format!("+62813000000{i:02}"),
            &name,
        );
        if i % 4 == 0 {
            c.region_id = domain::RegionId::from_string("cn-shanghai");
        }
        app.store.insert_customer(&c, "x", false).await.unwrap();
    }
}

#[tokio::test]
async fn pages_cover_every_customer_once_in_name_order() {
    let app = spawn_app().await;
    add_customers(&app, 23).await;
    let token = app.staff_token(&app.accounts.agent).await;
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let url = match &cursor {
            Some(c) => format!("/api/v1/customers?limit=7&cursor={c}"),
            None => "/api/v1/customers?limit=7".to_owned(),
        };
        let page = app.get(&url, Some(&token)).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        let v = page.json();
        let items = v["items"].as_array().unwrap();
        assert!(items.len() <= 7);
        seen.extend(
            items
                .iter()
                .map(|c| c["display_name"].as_str().unwrap().to_owned()),
        );
        pages += 1;
        match v["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 25, "23 added + 2 fixtures");
    assert_eq!(pages, 4);
    let unique: HashSet<_> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "no duplicates across pages");
    let mut sorted = seen.clone();
    sorted.sort_by_key(|s| s.to_lowercase());
    assert_eq!(seen, sorted, "name order");
}

#[tokio::test]
async fn search_matches_name_email_or_phone_and_filters_by_region() {
    let app = spawn_app().await;
    add_customers(&app, 12).await;
    let token = app.staff_token(&app.accounts.agent).await;
    let names = |v: serde_json::Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["display_name"].as_str().unwrap().to_owned())
            .collect()
    };
    let dewi = names(
        app.get("/api/v1/customers?q=dewi", Some(&token))
            .await
            .json(),
    );
    assert_eq!(dewi.len(), 4, "{dewi:?}");
    assert!(dewi.iter().all(|n| n.starts_with("Dewi")));
    // Email and phone are encrypted at rest: they match whole, through the blind index
    // (any case, any spacing the parsers accept), never in part.
    assert_eq!(
        names(
            app.get("/api/v1/customers?q=SITI%40EXAMPLE.ID", Some(&token))
                .await
                .json()
        ),
        vec!["Siti Rahayu"]
    );
    assert!(
        names(
            app.get("/api/v1/customers?q=SITI%40EXAMPLE", Some(&token))
                .await
                .json()
        )
        .is_empty()
    );
    assert_eq!(
        names(
            app.get("/api/v1/customers?q=6281298765432", Some(&token))
                .await
                .json()
        ),
        vec!["Budi Santoso"]
    );
    // LIKE wildcards in the query are literal text.
    assert!(
        names(
            app.get("/api/v1/customers?q=%25", Some(&token))
                .await
                .json()
        )
        .is_empty()
    );
    assert!(names(app.get("/api/v1/customers?q=_", Some(&token)).await.json()).is_empty());
    let shanghai = names(
        app.get("/api/v1/customers?region=cn-shanghai", Some(&token))
            .await
            .json(),
    );
    assert_eq!(shanghai.len(), 3, "{shanghai:?}");
}

#[tokio::test]
async fn staff_directory_page_searches_and_pages() {
    let app = spawn_app().await;
    add_customers(&app, 30).await;
    let cookie = app.page_session("/staff/signin", "agent@example.id").await;
    let first = app.page("/staff/customers", Some(&cookie)).await;
    assert_eq!(first.status, StatusCode::OK);
    assert!(
        first.body.contains("rel=\"next\""),
        "32 customers need a second page"
    );
    let next = first
        .body
        .split("href=\"")
        .find(|s| s.starts_with("/staff/customers?cursor="))
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .replace("&amp;", "&");
    let second = app.page(&next, Some(&cookie)).await;
    assert_eq!(second.status, StatusCode::OK);
    assert!(!second.body.contains("rel=\"next\""));
    let found = app.page("/staff/customers?q=siti", Some(&cookie)).await;
    assert!(found.body.contains("Siti Rahayu"));
    assert!(!found.body.contains("Budi Santoso"));
    let profile = app
        .page(
            &format!("/staff/customers/{}", app.accounts.customer.id),
            Some(&cookie),
        )
        .await;
    assert_eq!(profile.status, StatusCode::OK);
    assert!(profile.body.contains("+6281234567890"));
    assert!(profile.body.contains("Asia/Jakarta (WIB)"));
    let missing = app
        .page(
            &format!("/staff/customers/{}", domain::CustomerId::new()),
            Some(&cookie),
        )
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}
