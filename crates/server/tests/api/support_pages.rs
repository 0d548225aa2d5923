//! The customer's support pages: the contact form for guests and customers (errors that
//! keep what was typed, the transaction picker, deflection outcomes), the guest's private
//! link, ticket threads with replies, files and ratings, the lines between one customer and
//! another, and the app's web view under `/app/` with its hand-off.

use crate::helpers::*;
use crate::tickets::{attach_text, customer_ticket};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use domain::repo::{TicketRepo, WalletRepo};
use domain::ticket::{ActorKind, Channel, NewMessage, Visibility};
use domain::wallet::{FailureReason, WalletOperation, WalletTransaction};
use domain::{Currency, Customer, Money};
use serde_json::json;

const BOUNDARY: &str = "paydeskformboundary7";

/// A multipart form as a browser sends it (same-origin), with text fields and files.
async fn post_multipart(
    app: &TestApp,
    path: &str,
    fields: &[(&str, &str)],
    files: &[(&str, &[u8])],
    cookie: Option<&str>,
) -> Answer {
    let mut data: Vec<u8> = Vec::new();
    for (name, value) in fields {
        data.extend(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .bytes(),
        );
    }
    for (name, bytes) in files {
        data.extend(format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").bytes());
        data.extend_from_slice(bytes);
        data.extend(b"\r\n");
    }
    data.extend(format!("--{BOUNDARY}--\r\n").bytes());
    let mut b = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .header(header::HOST, "paydesk.test")
        .header(header::ORIGIN, "http://paydesk.test");
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    app.send(b.body(Body::from(data)).unwrap()).await
}

fn location(a: &Answer) -> &str {
    a.header("location")
}

/// The guest's private link on the page that confirms their ticket.
fn private_link(html: &str) -> String {
    let start = html
        .find("/support/guest/")
        .expect("private link on the page");
    html[start..].split(['"', '<']).next().unwrap().to_owned()
}

fn idr(major: i64) -> Money {
    Money::major(major, Currency::IDR).unwrap()
}

/// A top-up, a paid lunch and a failed catering order for `c`.
async fn history(app: &TestApp, c: &Customer) -> (WalletTransaction, WalletTransaction) {
    let now = server::now_us();
    app.store
        .execute(
            &WalletOperation::TopUp {
                customer: c.id.clone(),
                amount: idr(200_000),
            },
            now - 3_000_000,
        )
        .await
        .unwrap();
    let payment = |what: &str, major| WalletOperation::Payment {
        customer: c.id.clone(),
        merchant: app.accounts.merchant.id.clone(),
        amount: idr(major),
        hold_minutes: None,
        description: what.into(),
    };
    let lunch = app
        .store
        .execute(&payment("Nasi goreng & es teh", 35_000), now - 2_000_000)
        .await
        .unwrap();
    let failed = app
        .store
        .record_failure(
            &payment("Catering order", 450_000),
            FailureReason::InsufficientBalance,
            now - 1_000_000,
        )
        .await
        .unwrap();
    (lunch, failed)
}

async fn siti_session(app: &TestApp) -> String {
    app.page_session(
        "/signin",
        app.accounts.customer.email.as_ref().unwrap().as_str(),
    )
    .await
}

async fn budi_session(app: &TestApp) -> String {
    app.page_session(
        "/signin",
        app.accounts.other_customer.email.as_ref().unwrap().as_str(),
    )
    .await
}

#[tokio::test]
async fn a_guest_writes_from_the_contact_form_and_follows_the_private_link() {
    let app = spawn_app().await;
    let form = app.page("/contact", None).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("data-testid=\"contact-form\""));
    assert!(form.body.contains("Failed transaction"), "category labels");
    assert!(
        form.body.contains("name=\"reported_at\""),
        "guests give time and amount"
    );
    assert!(!form.body.contains("data-testid=\"transaction-picker\""));
    assert!(
        form.body.contains("/help/a/contact-phone-hotline"),
        "other channels"
    );

    let done = post_multipart(
        &app,
        "/contact",
        &[
            ("category", "failed_transaction"),
            ("subject", "Top-up did not arrive"),
            (
                "body",
                "I topped up 50.000 at 14:30 and it is not in my balance.",
            ),
            ("name", "Dewi Lestari"),
            ("email", "dewi@example.id"),
            ("reported_at", "2026-11-20T14:30"),
            ("reported_amount", "50.000"),
            ("suggested", "topup-not-received"),
            ("suggest_query", "top-up did not arrive"),
        ],
        &[("receipt.txt", b"Bank transfer ref 7788, 50.000")],
        None,
    )
    .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert_eq!(done.header("referrer-policy"), "no-referrer");
    assert!(done.header("cache-control").contains("no-store"));
    let link = private_link(&done.body);
    let key = link.trim_start_matches("/support/guest/");
    assert!(key.len() >= 40, "{link}");
    let ticket = app
        .store
        .ticket_by_guest_key(&server::auth::token_hash(key))
        .await
        .unwrap();
    assert!(done.body.contains(&format!("#{}", ticket.number)));
    assert_eq!(ticket.channel, Channel::Web);
    assert_eq!(ticket.reported.amount_minor, Some(5_000_000));
    // Suggestions were shown and the guest wrote anyway: the form did not deflect them.
    assert_eq!(app.store.deflection_counts(0).await.unwrap(), (0, 1));

    let page = app.page(&link, None).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(page.header("referrer-policy"), "no-referrer");
    assert!(page.body.contains("Top-up did not arrive"));
    assert!(page.body.contains("it is not in my balance"));
    assert!(page.body.contains("data-testid=\"keep-link\""));
    let file_href = format!("{link}/attachments/");
    let start = page.body.find(&file_href).expect("attachment link");
    let href: String = page.body[start..].split('"').next().unwrap().to_owned();
    let file = app.page(&href, None).await;
    assert_eq!(file.status, StatusCode::OK);
    assert_eq!(file.body, "Bank transfer ref 7788, 50.000");
    assert!(file.header("content-disposition").starts_with("attachment"));

    let agent = app.staff_token(&app.accounts.agent).await;
    let reply = app
        .call(
            Method::POST,
            &format!("/api/v1/tickets/{}/messages", ticket.id),
            Some(&agent),
            Some(json!({"body": "We found your top-up; it arrives within the hour."})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    let page = app.page(&link, None).await;
    assert!(page.body.contains("it arrives within the hour"));
    assert!(page.body.contains("Agus Setiawan, support team"));

    let answer = post_multipart(
        &app,
        &format!("{link}/reply"),
        &[("body", "Thank you, it is there now.")],
        &[],
        None,
    )
    .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    assert_eq!(location(&answer), format!("{link}?done=replied#latest"));
    let messages = app.store.ticket_messages(&ticket.id).await.unwrap();
    let last = messages.last().unwrap();
    assert_eq!(last.author_kind, ActorKind::Contact);
    assert_eq!(last.body, "Thank you, it is there now.");

    for wrong in [
        "/support/guest/not-a-key".to_owned(),
        format!("/support/guest/{}x", key),
        format!(
            "/support/guest/{}x/attachments/{}",
            key,
            href.rsplit('/').next().unwrap()
        ),
    ] {
        let a = app.page(&wrong, None).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{wrong}");
        assert!(a.content_type().starts_with("text/html"));
    }
    let a = post_multipart(
        &app,
        "/support/guest/not-a-key-at-all-00000/reply",
        &[("body", "hi")],
        &[],
        None,
    )
    .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_refused_guest_form_comes_back_with_every_error_and_everything_typed() {
    let app = spawn_app().await;
    let a = post_multipart(
        &app,
        "/contact",
        &[
            ("category", ""),
            ("subject", "   "),
            ("body", "My top-up of 50.000 <vanished>"),
            ("name", "Dewi <b>Lestari</b>"),
            ("email", ""),
            ("phone", ""),
            ("reported_at", "kemarin sore"),
            ("reported_amount", "lima puluh ribu"),
        ],
        &[("screenshot.txt", b"a screenshot")],
        None,
    )
    .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    for field in [
        "category",
        "subject",
        "email",
        "reported_at",
        "reported_amount",
    ] {
        assert!(
            a.body.contains(&format!("data-testid=\"error-{field}\"")),
            "{field} error missing"
        );
    }
    assert!(a.body.contains("Give an email address or a phone number"));
    assert!(!a.body.contains("data-testid=\"error-body\""));
    assert!(!a.body.contains("data-testid=\"error-name\""));
    // What was typed comes back, escaped.
    assert!(
        a.body.contains("My top-up of 50.000 &#60;vanished&#62;")
            || a.body.contains("My top-up of 50.000 &lt;vanished&gt;"),
        "{}",
        a.body
    );
    assert!(!a.body.contains("<b>Lestari</b>"));
    assert!(a.body.contains("value=\"lima puluh ribu\""));
    assert!(a.body.contains("value=\"kemarin sore\""));
    assert!(
        a.body.contains("data-testid=\"files-again\""),
        "files must be chosen again"
    );
    assert!(
        a.body
            .contains("aria-invalid=\"true\" aria-describedby=\"subject-error\"")
    );

    // A file that is not an image, PDF or text: refused with everything else kept.
    let a = post_multipart(
        &app,
        "/contact",
        &[
            ("category", "other"),
            ("subject", "Question"),
            ("body", "How do I change my name?"),
            ("name", "Dewi"),
            ("phone", "0812 3456 7890"),
        ],
        &[("setup.exe", b"MZ\x90\x00\x03\x00\x00\x00")],
        None,
    )
    .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    assert!(a.body.contains("data-testid=\"error-files\""));
    assert!(a.body.contains("How do I change my name?"));
    assert!(a.body.contains("value=\"0812 3456 7890\""));
    assert!(a.body.contains("<option value=\"other\" selected>"));

    let none = app
        .store
        .tickets(
            &Default::default(),
            None,
            domain::Limit::parse(Some(10)).unwrap(),
        )
        .await
        .unwrap();
    assert!(none.items.is_empty(), "nothing opened");
    assert_eq!(app.store.deflection_counts(0).await.unwrap(), (0, 0));
}

#[tokio::test]
async fn a_customer_opens_a_ticket_about_a_transaction_picked_from_their_history() {
    let app = spawn_app().await;
    let (lunch, failed) = history(&app, &app.accounts.customer).await;
    let (budis, _) = history(&app, &app.accounts.other_customer).await;
    let siti = siti_session(&app).await;

    let form = app.page("/contact", Some(&siti)).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("data-testid=\"transaction-picker\""));
    assert!(form.body.contains(&format!("value=\"{}\"", failed.id)));
    assert!(form.body.contains(&format!("value=\"{}\"", lunch.id)));
    assert!(!form.body.contains(&budis.id), "only her own transactions");
    assert!(form.body.contains("Catering order"));
    assert!(
        !form.body.contains("name=\"reported_at\""),
        "customers pick instead"
    );
    let csrf = csrf_of(&form.body);

    // Budi's payment id typed into the picker: refused, nothing lost.
    let a = post_multipart(
        &app,
        "/contact",
        &[
            ("csrf", &csrf),
            ("category", "failed_transaction"),
            ("subject", "Catering payment failed"),
            ("body", "The order failed but I was charged."),
            ("transaction_id", &budis.id),
        ],
        &[],
        Some(&siti),
    )
    .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    assert!(a.body.contains("data-testid=\"error-transaction_id\""));
    assert!(a.body.contains("Pick one of your own transactions"));
    assert!(a.body.contains("value=\"Catering payment failed\""));

    // Without the session's token, or from another site: refused.
    let a = post_multipart(
        &app,
        "/contact",
        &[("category", "other"), ("subject", "x"), ("body", "y")],
        &[],
        Some(&siti),
    )
    .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    let a = app
        .send(
            Request::builder()
                .method(Method::POST)
                .uri("/contact")
                .header(
                    header::CONTENT_TYPE,
                    format!("multipart/form-data; boundary={BOUNDARY}"),
                )
                .header(header::HOST, "paydesk.test")
                .header(header::ORIGIN, "https://evil.example")
                .header(header::COOKIE, &siti)
                .body(Body::from(format!("--{BOUNDARY}--\r\n")))
                .unwrap(),
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);

    let a = post_multipart(
        &app,
        "/contact",
        &[
            ("csrf", &csrf),
            ("category", "failed_transaction"),
            ("subject", "Catering payment failed"),
            ("body", "The order failed but I was charged."),
            ("transaction_id", &failed.id),
        ],
        &[("receipt.txt", b"order 991")],
        Some(&siti),
    )
    .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let target = location(&a).to_owned();
    assert!(
        target.starts_with("/support/tickets/") && target.ends_with("?done=opened"),
        "{target}"
    );
    let number: i64 = target["/support/tickets/".len()..target.len() - "?done=opened".len()]
        .parse()
        .unwrap();
    let ticket = app.store.ticket_by_number(number).await.unwrap();
    assert_eq!(ticket.channel, Channel::Web);
    assert_eq!(ticket.links.len(), 1);
    assert_eq!(ticket.links[0].record_id, failed.id);
    // No suggestions were shown, so nothing to count.
    assert_eq!(app.store.deflection_counts(0).await.unwrap(), (0, 0));

    let page = app.page(&target, Some(&siti)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("data-testid=\"done\""));
    assert!(page.body.contains("data-testid=\"linked-transactions\""));
    assert!(page.body.contains(&failed.reference));
    assert!(page.body.contains(&format!("/wallet/tx/{}", failed.id)));
    assert!(page.body.contains("receipt.txt"));
    assert!(page.body.contains("/support/attachments/"));
    assert!(
        !page.body.contains("data-testid=\"rating-form\""),
        "not solved yet"
    );

    let list = app.page("/support", Some(&siti)).await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains(&format!("/support/tickets/{number}")));
    assert!(list.body.contains("Catering payment failed"));
    assert!(list.body.contains("data-testid=\"transaction-linked\""));
    assert!(
        list.body.contains("href=\"/support\""),
        "My tickets in the navigation"
    );

    // Replies keep what was typed when refused, and go through when fine.
    let csrf = csrf_of(&page.body);
    let path = format!("/support/tickets/{number}/reply");
    let a = post_multipart(
        &app,
        &path,
        &[("csrf", &csrf), ("body", "  ")],
        &[("x.txt", b"x")],
        Some(&siti),
    )
    .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(a.body.contains("data-testid=\"error-body\""));
    assert!(a.body.contains("data-testid=\"files-again\""));
    let a = post_multipart(&app, &path, &[("body", "Any news?")], &[], Some(&siti)).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "no CSRF token");
    let a = post_multipart(
        &app,
        &path,
        &[("csrf", &csrf), ("body", "Any news?")],
        &[],
        Some(&siti),
    )
    .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let last = app
        .store
        .ticket_messages(&ticket.id)
        .await
        .unwrap()
        .pop()
        .unwrap();
    assert_eq!(last.body, "Any news?");
    assert_eq!(last.author_kind, ActorKind::Customer);
}

#[tokio::test]
async fn a_customer_never_reaches_another_customers_ticket_or_files() {
    let app = spawn_app().await;
    let ticket = customer_ticket(&app, "Siti's payment").await;
    let file = attach_text(&app, &ticket, "statement.txt", "Siti's bank statement").await;
    // A file on an internal note is for staff only.
    let note_file = server::tickets::store_attachment(&app.state, "note.txt", b"risk notes")
        .await
        .unwrap();
    let note_file_id = note_file.id.clone();
    app.store
        .add_message(
            &ticket.id,
            &NewMessage {
                author_kind: ActorKind::Staff,
                author_id: app.accounts.agent.id.to_string(),
                author_name: "Agus Setiawan".into(),
                visibility: Visibility::Internal,
                body: "Internal: check the risk engine".into(),
                channel: Channel::App,
                external_id: None,
                attachments: vec![note_file],
            },
            None,
            None,
            server::now_us(),
        )
        .await
        .unwrap();

    let siti = siti_session(&app).await;
    let page = app
        .page(&format!("/support/tickets/{}", ticket.number), Some(&siti))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("statement.txt"));
    assert!(
        !page.body.contains("check the risk engine"),
        "internal notes stay internal"
    );
    assert!(!page.body.contains("note.txt"));
    let a = app
        .page(&format!("/support/attachments/{file}"), Some(&siti))
        .await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.body, "Siti's bank statement");
    let a = app
        .page(&format!("/support/attachments/{note_file_id}"), Some(&siti))
        .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);

    let budi = budi_session(&app).await;
    for path in [
        format!("/support/tickets/{}", ticket.number),
        format!("/support/tickets/{}", ticket.id),
        format!("/app/support/tickets/{}", ticket.number),
        format!("/support/attachments/{file}"),
    ] {
        let a = app.page(&path, Some(&budi)).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{path}");
        assert!(!a.body.contains("Siti"), "{path}");
    }
    let budis_form = app.page("/contact", Some(&budi)).await;
    let csrf = csrf_of(&budis_form.body);
    let a = post_multipart(
        &app,
        &format!("/support/tickets/{}/reply", ticket.number),
        &[("csrf", &csrf), ("body", "Let me in")],
        &[],
        Some(&budi),
    )
    .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    let a = app
        .post_form(
            &format!("/support/tickets/{}/rating", ticket.number),
            &[("csrf", &csrf), ("score", "1")],
            Some(&budi),
        )
        .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    let list = app.page("/support", Some(&budi)).await;
    assert!(!list.body.contains("Siti&#39;s payment") && !list.body.contains("Siti's payment"));

    // Signed out: sent to sign in, and back afterwards.
    let a = app.page("/support", None).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    assert_eq!(location(&a), "/signin?next=/support");
}

#[tokio::test]
async fn ratings_are_asked_once_solved_and_closed_tickets_take_no_replies() {
    let app = spawn_app().await;
    let ticket = customer_ticket(&app, "Refund not received").await;
    let siti = siti_session(&app).await;
    let path = format!("/support/tickets/{}", ticket.number);
    let page = app.page(&path, Some(&siti)).await;
    assert!(!page.body.contains("data-testid=\"rating-form\""));
    let csrf = csrf_of(&page.body);
    let rate = async |score: &str, comment: &str| {
        app.post_form(
            &format!("{path}/rating"),
            &[("csrf", &csrf), ("score", score), ("comment", comment)],
            Some(&siti),
        )
        .await
    };
    let a = rate("5", "too early").await;
    assert_eq!(a.status, StatusCode::CONFLICT);
    assert!(a.body.contains("once it is solved"));

    let agent = app.staff_token(&app.accounts.agent).await;
    let patch = async |status: &str| {
        app.call(
            Method::PATCH,
            &format!("/api/v1/tickets/{}", ticket.id),
            Some(&agent),
            Some(json!({"status": status})),
        )
        .await
    };
    assert_eq!(patch("solved").await.status, StatusCode::OK);
    let page = app.page(&path, Some(&siti)).await;
    assert!(page.body.contains("data-testid=\"rating-form\""));
    assert!(
        page.body.contains("Automatic message"),
        "the rating request"
    );
    assert!(
        page.body.contains("data-testid=\"reply-form\""),
        "a reply reopens it"
    );

    let a = rate("6", "Cepat sekali").await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(a.body.contains("data-testid=\"error-score\""));
    assert!(a.body.contains("Cepat sekali"), "comment kept");
    let a = rate("5", "Cepat sekali").await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert_eq!(location(&a), format!("{path}?done=rated#rating"));
    let rated = app.store.ticket(&ticket.id).await.unwrap().rating.unwrap();
    assert_eq!((rated.score, rated.comment.as_str()), (5, "Cepat sekali"));
    let page = app.page(&format!("{path}?done=rated"), Some(&siti)).await;
    assert!(page.body.contains("You rated our help 5 out of 5."));

    assert_eq!(patch("closed").await.status, StatusCode::OK);
    let page = app.page(&path, Some(&siti)).await;
    assert!(page.body.contains("data-testid=\"closed\""));
    assert!(
        page.body
            .contains("href=\"/contact\" data-testid=\"open-new\"")
    );
    assert!(!page.body.contains("data-testid=\"reply-form\""));
    assert!(
        page.body.contains("data-testid=\"rating-form\""),
        "still rateable"
    );
    let a = post_multipart(
        &app,
        &format!("{path}/reply"),
        &[("csrf", &csrf), ("body", "One more thing")],
        &[],
        Some(&siti),
    )
    .await;
    assert_eq!(a.status, StatusCode::CONFLICT);
    assert!(a.body.contains("was not sent"));
    assert!(a.body.contains("One more thing"), "nothing lost");
}

#[tokio::test]
async fn the_app_web_view_signs_in_by_hand_off_and_may_be_framed() {
    let app = spawn_app().await;
    history(&app, &app.accounts.customer).await;
    let token = app.customer_token().await;
    let handoff = async |token: Option<String>, next: &str| {
        let mut b = Request::builder()
            .method(Method::POST)
            .uri("/app/handoff")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(t) = token {
            b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let body = Body::from(format!("next={}", urlencode(next)));
        app.send(b.body(body).unwrap()).await
    };

    let a = handoff(Some(token.clone()), "/app/support/new").await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert_eq!(location(&a), "/app/support/new");
    let set = a.cookie("paydesk_session").expect("a session cookie");
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Lax"),
        "{set}"
    );
    let cookie = set.split(';').next().unwrap().to_owned();
    assert_ne!(
        cookie,
        format!("paydesk_session={token}"),
        "a session of its own"
    );

    let form = app.page("/app/support/new", Some(&cookie)).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    assert!(
        !form.body.contains("class=\"topbar\""),
        "no site chrome in the app"
    );
    assert!(form.body.contains("action=\"/app/support/new\""));
    assert!(form.body.contains("data-testid=\"transaction-picker\""));
    assert_eq!(form.header("x-frame-options"), "");
    let csp = form.header("content-security-policy");
    assert!(
        !csp.contains("frame-ancestors") && csp.contains("script-src 'self'"),
        "{csp}"
    );
    let site = app.page("/contact", Some(&cookie)).await;
    assert_eq!(site.header("x-frame-options"), "DENY");
    assert!(
        site.header("content-security-policy")
            .contains("frame-ancestors 'none'")
    );
    assert!(site.body.contains("class=\"topbar\""));

    let a = post_multipart(
        &app,
        "/app/support/new",
        &[
            ("csrf", &csrf_of(&form.body)),
            ("category", "account_sign_in"),
            ("subject", "Cannot change my PIN"),
            ("body", "The app says try again later."),
        ],
        &[],
        Some(&cookie),
    )
    .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let target = location(&a).to_owned();
    assert!(target.starts_with("/app/support/tickets/"), "{target}");
    let page = app.page(&target, Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Cannot change my PIN"));
    assert!(
        page.body.contains("href=\"/app/support\""),
        "back stays in the app"
    );
    assert!(page.body.contains("action=\"/app/support/tickets/"));
    let list = app.page("/app/support", Some(&cookie)).await;
    assert!(list.body.contains(&target.replace("?done=opened", "")));
    let number: i64 = target["/app/support/tickets/".len()..target.len() - "?done=opened".len()]
        .parse()
        .unwrap();
    assert_eq!(
        app.store.ticket_by_number(number).await.unwrap().channel,
        Channel::App
    );

    let a = handoff(Some("not-a-token".into()), "/app/support").await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert!(a.content_type().starts_with("text/html"));
    assert!(a.cookie("paydesk_session").is_none());
    let a = handoff(None, "/app/support").await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    let staff = app.staff_token(&app.accounts.agent).await;
    let a = handoff(Some(staff), "/app/support").await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert!(a.cookie("paydesk_session").is_none());
    for next in [
        "https://evil.example/app/",
        "//evil.example/app/",
        "/support",
        "/app/\\evil",
        "/app/x\r\nSet-Cookie: a=b",
    ] {
        let a = handoff(Some(token.clone()), next).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{next:?}");
        assert!(a.cookie("paydesk_session").is_none(), "{next:?}");
    }
}

#[tokio::test]
async fn help_pages_and_every_page_lead_to_the_contact_form() {
    let app = spawn_app().await;
    let help = app.page("/help", None).await;
    assert!(help.body.contains("data-testid=\"help-contact\""));
    let signin = app.page("/signin", None).await;
    assert!(signin.body.contains("href=\"/contact\""));
    // Staff have no customer contact form of their own, but may look at it.
    let agent = app
        .page_session("/staff/signin", app.accounts.agent.email.as_str())
        .await;
    let a = app.page("/contact", Some(&agent)).await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(!a.body.contains("data-testid=\"transaction-picker\""));
    let a = app.page("/support", Some(&agent)).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
}
