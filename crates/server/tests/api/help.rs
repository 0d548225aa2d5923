//! The help center: search in each language from the API and the pages, who sees internal
//! articles, escaping of article bodies, votes, admin edits re-indexing, and bad input.

use crate::helpers::*;
use axum::http::{Method, StatusCode};
use domain::Locale;
use domain::repo::HelpRepo;
use serde_json::json;

/// Saves one translation and indexes it, as an admin edit would.
pub async fn save_article(
    app: &TestApp,
    slug: &str,
    locale: &str,
    visibility: &str,
    title: &str,
    body: &str,
) {
    let text = format!(
        "---\nslug: {slug}\nlocale: {locale}\ntitle: \"{title}\"\ncategory: account-and-sign-in\nvisibility: {visibility}\nstatus: published\nrelated: []\nkeywords: []\n---\n{body}\n"
    );
    let article = search::parse_article_file("test", &text).unwrap();
    app.store
        .save_help_article(&server::help::to_stored(&article))
        .await
        .unwrap();
    app.state.help.upsert(&article).unwrap();
}

/// Imports the repository's knowledge base and rebuilds the index from the database, as a
/// start of the server does.
async fn import_kb(app: &TestApp) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../kb/articles");
    for article in search::load_kb_dir(&dir).unwrap() {
        app.store
            .save_help_article(&server::help::to_stored(&article))
            .await
            .unwrap();
    }
    assert!(app.state.load_help_index().await.unwrap() >= 150);
}

fn slugs(answer: &Answer) -> Vec<String> {
    answer.json()["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["slug"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn search_finds_articles_in_each_language_from_api_and_page() {
    let app = spawn_app().await;
    import_kb(&app).await;
    for (query, locale) in [
        ("forgot my pasword", "en"),
        ("lupa kata sandi", "id"),
        ("忘记密码了", "zh-CN"),
    ] {
        let a = app
            .get(
                &format!("/api/v1/help/search?q={}&locale={locale}", urlencode(query)),
                None,
            )
            .await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        let found = slugs(&a);
        assert!(
            found.iter().take(3).any(|s| s == "reset-password"),
            "{query}: {found:?}"
        );
        assert_eq!(a.json()["hits"][0]["locale"], locale, "own language first");

        let page = app
            .page(
                &format!("/help/search?q={}&locale={locale}", urlencode(query)),
                None,
            )
            .await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.body
                .contains(&format!("/help/a/reset-password?locale={locale}"))
        );
        assert!(page.body.contains("<mark>"), "snippets highlight the match");
    }
    // Suggestions as you type.
    let s = app
        .get("/api/v1/help/suggest?q=reset&locale=en", None)
        .await;
    assert_eq!(s.status, StatusCode::OK);
    assert!(s.body.contains("reset-password"), "{}", s.body);
    // The home page lists categories in the visitor's language.
    let home = app.page("/help?locale=id", None).await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("Pengembalian dana"));
    assert!(home.body.contains("/help/a/reset-password?locale=id"));
    let zh = app.page("/help/a/reset-password?locale=zh-CN", None).await;
    assert!(zh.body.contains("lang=\"zh-CN\""));
}

#[tokio::test]
async fn internal_articles_reach_support_staff_only() {
    let app = spawn_app().await;
    import_kb(&app).await;
    let internal = "handling-flagged-transaction";
    let title = "Handling a flagged transaction";
    let customer = app.customer_token().await;
    let agent = app.staff_token(&app.accounts.agent).await;
    let merchant = app.staff_token(&app.accounts.merchant_staff).await;
    let q = format!(
        "/api/v1/help/search?q={}&locale=en&limit=50",
        urlencode(title)
    );
    for token in [None, Some(customer.as_str()), Some(merchant.as_str())] {
        assert!(!slugs(&app.get(&q, token).await).contains(&internal.to_owned()));
        app.get(&format!("/api/v1/help/articles/{internal}"), token)
            .await
            .assert_problem(404, "not_found");
        let sugg = app
            .get("/api/v1/help/suggest?q=handling&locale=en", token)
            .await;
        assert!(!sugg.body.contains(internal));
    }
    assert!(slugs(&app.get(&q, Some(&agent)).await).contains(&internal.to_owned()));
    let a = app
        .get(&format!("/api/v1/help/articles/{internal}"), Some(&agent))
        .await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.json()["visibility"], "internal");

    // Pages: anonymous and customers get 404, agents read it.
    let siti = app.page_session("/signin", "siti@example.id").await;
    let agus = app.page_session("/staff/signin", "agent@example.id").await;
    for cookie in [None, Some(siti.as_str())] {
        let page = app.page(&format!("/help/a/{internal}"), cookie).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND);
        let home = app.page("/help", cookie).await;
        assert!(!home.body.contains(internal));
        let search = app
            .page(&format!("/help/search?q={}", urlencode(title)), cookie)
            .await;
        assert!(!search.body.contains(internal));
    }
    let page = app.page(&format!("/help/a/{internal}"), Some(&agus)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("data-testid=\"help-internal\""));
}

#[tokio::test]
async fn article_pages_escape_html_in_bodies_and_titles() {
    let app = spawn_app().await;
    save_article(
        &app,
        "hostile",
        "en",
        "public",
        "<b>Bold</b> title",
        "Hello <script>alert('x')</script> and <img src=x onerror=alert(1)> [click](javascript:alert(1)) wallet",
    )
    .await;
    for path in ["/help/a/hostile", "/help/search?q=alert+wallet", "/help"] {
        let page = app.page(path, None).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        for bad in ["<script>alert", "<img src=x", "javascript:alert", "<b>Bold"] {
            assert!(!page.body.contains(bad), "{path} contains {bad}");
        }
    }
    let page = app.page("/help/a/hostile", None).await;
    assert!(page.body.contains("&lt;script&gt;"));
    let api = app.get("/api/v1/help/articles/hostile", None).await.json();
    assert!(!api["body_html"].as_str().unwrap().contains("<script"));
}

#[tokio::test]
async fn votes_are_stored_from_the_api_and_the_page() {
    let app = spawn_app().await;
    save_article(
        &app,
        "reset-password",
        "en",
        "public",
        "Reset your password",
        "Tap it.",
    )
    .await;
    let a = app
        .call(
            Method::POST,
            "/api/v1/help/articles/reset-password/votes",
            None,
            Some(json!({"locale": "en", "helpful": true, "comment": "clear 👍"})),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    let page = app
        .post_form(
            "/help/a/reset-password/vote",
            &[("locale", "en"), ("helpful", "0"), ("comment", "")],
            None,
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert!(page.header("location").contains("voted=1"));
    let tallies = app.store.help_vote_tallies().await.unwrap();
    assert_eq!(tallies.len(), 1);
    assert_eq!((tallies[0].helpful, tallies[0].not_helpful), (1, 1));

    // A signed-in reader's form needs the session's CSRF token.
    let siti = app.page_session("/signin", "siti@example.id").await;
    let refused = app
        .post_form(
            "/help/a/reset-password/vote",
            &[("locale", "en"), ("helpful", "1"), ("csrf", "wrong")],
            Some(&siti),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let html = app.page("/help/a/reset-password", Some(&siti)).await.body;
    let ok = app
        .post_form(
            "/help/a/reset-password/vote",
            &[
                ("locale", "en"),
                ("helpful", "1"),
                ("csrf", &csrf_of(&html)),
            ],
            Some(&siti),
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);

    // Too long a comment, unknown articles and locales are refused, not stored.
    let long = "a".repeat(1001);
    app.call(
        Method::POST,
        "/api/v1/help/articles/reset-password/votes",
        None,
        Some(json!({"locale": "en", "helpful": false, "comment": long})),
    )
    .await
    .assert_problem(422, "validation_failed");
    app.call(
        Method::POST,
        "/api/v1/help/articles/no-such-thing/votes",
        None,
        Some(json!({"locale": "en", "helpful": true})),
    )
    .await
    .assert_problem(404, "not_found");
    app.call(
        Method::POST,
        "/api/v1/help/articles/reset-password/votes",
        None,
        Some(json!({"locale": "fr", "helpful": true})),
    )
    .await
    .assert_problem(422, "validation_failed");
    let tallies = app.store.help_vote_tallies().await.unwrap();
    assert_eq!((tallies[0].helpful, tallies[0].not_helpful), (2, 1));
}

#[tokio::test]
async fn admin_edits_are_searchable_at_once() {
    let app = spawn_app().await;
    let admin = app.staff_token(&app.accounts.admin).await;
    let agent = app.staff_token(&app.accounts.agent).await;
    let body = |visibility: &str| {
        json!({"title": "Zebracorn wallet tips", "category": "privacy-and-security",
            "visibility": visibility, "status": "published", "related": [],
            "keywords": ["zebracorn"], "body": "Keep your **zebracorn** PIN secret."})
    };
    let path = "/api/v1/help/articles/zebracorn-tips/en";
    app.call(Method::PUT, path, Some(&agent), Some(body("public")))
        .await
        .assert_problem(403, "forbidden");
    let created = app
        .call(Method::PUT, path, Some(&admin), Some(body("public")))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let q = "/api/v1/help/search?q=zebracorn&locale=en";
    assert_eq!(slugs(&app.get(q, None).await), ["zebracorn-tips"]);
    // Made internal: gone for the public at once, still there for staff.
    let updated = app
        .call(Method::PUT, path, Some(&admin), Some(body("internal")))
        .await;
    assert_eq!(updated.status, StatusCode::OK);
    assert!(slugs(&app.get(q, None).await).is_empty());
    assert_eq!(slugs(&app.get(q, Some(&agent)).await), ["zebracorn-tips"]);
    // Stored, so a restart rebuilds the same index.
    let stored = app
        .store
        .help_article("zebracorn-tips", Locale::En)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.visibility, "internal");
    // Invalid input names its fields.
    let mut bad = body("secret");
    bad["category"] = json!("nope");
    let problem = app
        .call(Method::PUT, path, Some(&admin), Some(bad))
        .await
        .assert_problem(422, "validation_failed");
    assert!(problem.to_string().contains("category"), "{problem}");
    app.call(
        Method::PUT,
        "/api/v1/help/articles/Bad_Slug/en",
        Some(&admin),
        Some(body("public")),
    )
    .await
    .assert_problem(422, "validation_failed");
}

#[tokio::test]
async fn bad_input_never_fails_the_help_center() {
    let app = spawn_app().await;
    import_kb(&app).await;
    let huge = "refund ".repeat(1500);
    let inputs = [
        "",
        " ",
        huge.as_str(),
        "😀🔥💸",
        "refund 退款 pengembalian",
        "<script>alert(1)</script>",
        "'; DROP TABLE help_articles; --",
        "\" OR 1=1 --",
        "title:refund AND (",
        "%00\u{0}",
        "*?~^",
    ];
    for input in inputs {
        let q = urlencode(input);
        for path in [
            format!("/api/v1/help/search?q={q}&locale=zh-CN"),
            format!("/api/v1/help/suggest?q={q}&locale=id"),
            format!("/api/v1/help/search?q={q}&locale={q}&limit=100000"),
            format!("/help/search?q={q}&locale={q}"),
            format!("/help?locale={q}"),
        ] {
            let a = app.get(&path, None).await;
            assert!(a.status.as_u16() < 500, "{path}: {}", a.status);
            assert!(!a.body.contains("<script>alert"), "{path} echoes HTML");
        }
        let a = app.get(&format!("/help/a/{q}"), None).await;
        assert!(a.status.as_u16() < 500, "article {input:?}: {}", a.status);
        let v = app
            .call(
                Method::POST,
                &format!("/api/v1/help/articles/{q}/votes"),
                None,
                Some(json!({"locale": input, "helpful": true, "comment": input})),
            )
            .await;
        assert!(v.status.as_u16() < 500, "vote {input:?}: {}", v.status);
    }
    let a = app.get("/api/v1/help/search?limit=abc", None).await;
    a.assert_problem(400, "bad_request");
}

#[tokio::test]
async fn a_node_picks_up_articles_another_node_saved() {
    let app = spawn_app().await;
    save_article(
        &app,
        "wallet-limits",
        "en",
        "public",
        "Wallet limits",
        "Daily limits on top-ups.",
    )
    .await;
    // This node's view of the database, as its background job records it.
    let seen = server::refresh_help_index(&app.state, None).await;
    assert!(seen.is_some());
    assert_eq!(
        server::refresh_help_index(&app.state, seen.clone()).await,
        seen,
        "nothing changed: no rebuild"
    );
    // Another node saves a new article straight to the shared database.
    let text = "---\nslug: qris-payments\nlocale: en\ntitle: \"Paying with QRIS\"\ncategory: payments-and-failed-transactions\nvisibility: public\nstatus: published\nrelated: []\nkeywords: []\n---\nScan the merchant's QRIS code to pay.\n";
    let article = search::parse_article_file("other-node", text).unwrap();
    app.store
        .save_help_article(&server::help::to_stored(&article))
        .await
        .unwrap();
    let before = app.get("/api/v1/help/search?q=qris&locale=en", None).await;
    assert!(
        !slugs(&before).contains(&"qris-payments".to_owned()),
        "not indexed here yet"
    );
    let now = server::refresh_help_index(&app.state, seen.clone()).await;
    assert_ne!(now, seen);
    let after = app.get("/api/v1/help/search?q=qris&locale=en", None).await;
    assert!(
        slugs(&after).contains(&"qris-payments".to_owned()),
        "{}",
        after.body
    );
}

#[tokio::test]
async fn admins_edit_articles_on_a_page_and_search_follows() {
    let app = spawn_app().await;
    save_article(
        &app,
        "wallet-limits",
        "en",
        "public",
        "Wallet limits",
        "Daily limits on top-ups.",
    )
    .await;
    let admin = app.page_session("/staff/signin", "admin@example.id").await;
    let list = app.page("/staff/help", Some(&admin)).await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains("href=\"/staff/help/wallet-limits/en\""));
    // Starting a new translation goes to its (empty) editor.
    let new = app
        .page("/staff/help?slug=wallet-limits&locale=id", Some(&admin))
        .await;
    assert_eq!(new.header("location"), "/staff/help/wallet-limits/id");
    let editor = app.page("/staff/help/wallet-limits/id", Some(&admin)).await;
    assert_eq!(editor.status, StatusCode::OK);
    let csrf = csrf_of(&editor.body);
    let form = [
        ("csrf", csrf.as_str()),
        ("title", "Batas dompet"),
        ("category", "account-and-sign-in"),
        ("visibility", "public"),
        ("status", "published"),
        ("related", "wallet-limits"),
        ("keywords", "limit harian, batas saldo"),
        ("body", "Batas harian untuk isi saldo dan transfer."),
    ];
    let saved = app
        .post_form("/staff/help/wallet-limits/id", &form, Some(&admin))
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert_eq!(
        saved.header("location"),
        "/staff/help/wallet-limits/id?saved=1"
    );
    let found = app
        .get("/api/v1/help/search?q=batas+harian&locale=id", None)
        .await;
    assert!(
        slugs(&found).contains(&"wallet-limits".to_owned()),
        "{}",
        found.body
    );
    // Bad input names the problem and keeps what was typed.
    let mut bad = form;
    bad[1] = ("title", "");
    bad[2] = ("category", "gossip");
    let again = app
        .post_form("/staff/help/wallet-limits/id", &bad, Some(&admin))
        .await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(again.body.contains("role=\"alert\""));
    assert!(
        again
            .body
            .contains("Batas harian untuk isi saldo dan transfer.")
    );
    // Without the session's CSRF token nothing is saved; agents may not edit at all.
    let mut forged = form;
    forged[0] = ("csrf", "forged");
    forged[1] = ("title", "Hijacked");
    assert_eq!(
        app.post_form("/staff/help/wallet-limits/id", &forged, Some(&admin))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let agent = app.page_session("/staff/signin", "agent@example.id").await;
    assert_eq!(
        app.page("/staff/help", Some(&agent)).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.page("/staff/help/wallet-limits/id", Some(&agent))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let stored = app
        .store
        .help_article("wallet-limits", Locale::Id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.title, "Batas dompet");
}

#[tokio::test]
async fn admins_edit_synonyms_and_search_uses_them_at_once() {
    let app = spawn_app().await;
    save_article(
        &app,
        "qris-payments",
        "en",
        "public",
        "Paying with QRIS",
        "Scan the merchant's code to pay.",
    )
    .await;
    let admin = app.staff_token(&app.accounts.admin).await;
    let before = app
        .get("/api/v1/help/search?q=barcode&locale=en", None)
        .await;
    assert!(!slugs(&before).contains(&"qris-payments".to_owned()));
    let table = json!({"groups": [["qris", "barcode", "kode qr", "二维码"]]});
    let put = app
        .call(
            Method::PUT,
            "/api/v1/help/synonyms",
            Some(&admin),
            Some(table),
        )
        .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.body);
    let after = app
        .get("/api/v1/help/search?q=barcode&locale=en", None)
        .await;
    assert!(
        slugs(&after).contains(&"qris-payments".to_owned()),
        "{}",
        after.body
    );
    let got = app.get("/api/v1/help/synonyms", Some(&admin)).await.json();
    assert!(got["groups"].to_string().contains("barcode"));
    // Stored: a restarted node loads the same table.
    assert!(
        app.store
            .help_synonyms()
            .await
            .unwrap()
            .unwrap()
            .contains("barcode")
    );
    app.call(
        Method::PUT,
        "/api/v1/help/synonyms",
        Some(&admin),
        Some(json!({"groups": [["lonely"]]})),
    )
    .await
    .assert_problem(422, "validation_failed");
    let agent = app.staff_token(&app.accounts.agent).await;
    app.get("/api/v1/help/synonyms", Some(&agent))
        .await
        .assert_problem(403, "forbidden");
}

#[tokio::test]
async fn the_synonyms_page_edits_the_table() {
    let app = spawn_app().await;
    save_article(
        &app,
        "qris-payments",
        "en",
        "public",
        "Paying with QRIS",
        "Scan the merchant's code to pay.",
    )
    .await;
    let admin = app.page_session("/staff/signin", "admin@example.id").await;
    let page = app.page("/staff/help/synonyms", Some(&admin)).await;
    assert_eq!(page.status, StatusCode::OK);
    let csrf = csrf_of(&page.body);
    let bad = app
        .post_form(
            "/staff/help/synonyms",
            &[("csrf", &csrf), ("text", "lonely")],
            Some(&admin),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("lonely"), "what was typed stays");
    let ok = app
        .post_form(
            "/staff/help/synonyms",
            &[
                ("csrf", &csrf),
                ("text", "qris, barcode, 二维码\nrefund, pengembalian dana"),
            ],
            Some(&admin),
        )
        .await;
    assert_eq!(ok.header("location"), "/staff/help/synonyms?saved=1");
    let found = app
        .get("/api/v1/help/search?q=barcode&locale=en", None)
        .await;
    assert!(
        slugs(&found).contains(&"qris-payments".to_owned()),
        "{}",
        found.body
    );
}
