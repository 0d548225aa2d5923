//! The agents' ticket pages: the list and its filters and pages, a ticket's thread with
//! replies and internal notes, properties and the rules' refusals, linked transactions,
//! calls, identifying a guest, and who may use them at all.

use crate::helpers::*;
use crate::tickets::{customer_ticket, guest_ticket};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use domain::Customer;
use domain::repo::{TicketRepo, WalletRepo};
use domain::ticket::{Actor, Ticket, TicketChanges, TicketStatus};
use domain::wallet::WalletTransaction;

async fn agent(app: &TestApp) -> String {
    app.page_session("/staff/signin", "agent@example.id").await
}

fn page_of(t: &Ticket) -> String {
    format!("/staff/tickets/{}", t.number)
}

/// Posts a form of the ticket page, with the page's CSRF token.
async fn submit(
    app: &TestApp,
    cookie: &str,
    t: &Ticket,
    action: &str,
    form: &[(&str, &str)],
) -> Answer {
    let csrf = csrf_of(&app.page(&page_of(t), Some(cookie)).await.body);
    let mut fields = vec![("csrf", csrf.as_str())];
    fields.extend_from_slice(form);
    app.post_form(&format!("{}/{action}", page_of(t)), &fields, Some(cookie))
        .await
}

/// Posts the multipart reply form: the CSRF token first, as the page's form sends it.
async fn reply(
    app: &TestApp,
    cookie: &str,
    t: &Ticket,
    csrf: Option<&str>,
    fields: &[(&str, &str)],
    file: Option<(&str, &[u8])>,
) -> Answer {
    let boundary = "staffreplyboundary";
    let mut data: Vec<u8> = Vec::new();
    let mut part = |name: &str, value: &str| {
        data.extend(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .bytes(),
        )
    };
    if let Some(c) = csrf {
        part("csrf", c);
    }
    for (k, v) in fields {
        part(k, v);
    }
    if let Some((name, bytes)) = file {
        data.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").bytes());
        data.extend_from_slice(bytes);
        data.extend(b"\r\n");
    }
    data.extend(format!("--{boundary}--\r\n").bytes());
    app.send(
        Request::builder()
            .method(Method::POST)
            .uri(format!("{}/reply", page_of(t)))
            .header(header::HOST, "paydesk.test")
            .header(header::ORIGIN, "http://paydesk.test")
            .header(header::COOKIE, cookie)
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(Body::from(data))
            .unwrap(),
    )
    .await
}

/// Posts the properties form: status, priority, category, group, assignee, tags.
async fn save(app: &TestApp, cookie: &str, t: &Ticket, values: [&str; 6]) -> Answer {
    let names = [
        "status", "priority", "category", "group", "assignee", "tags",
    ];
    let form: Vec<(&str, &str)> = names.into_iter().zip(values).collect();
    submit(app, cookie, t, "properties", &form).await
}

fn assert_back_to(a: &Answer, t: &Ticket, done: &str) {
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert_eq!(
        a.header("location"),
        format!("/staff/tickets/{}?done={done}", t.number)
    );
}

/// Numbers of the tickets a list page shows, in order.
fn listed(html: &str) -> Vec<i64> {
    html.split("data-testid=\"ticket-row\" data-number=\"")
        .skip(1)
        .map(|s| s.split('"').next().unwrap().parse().unwrap())
        .collect()
}

/// The `href` of the list's next-page link, HTML entities undone.
fn next_href(html: &str) -> Option<String> {
    let at = html.find("data-testid=\"next-page\"")?;
    let start = html[..at].rfind("href=\"")? + "href=\"".len();
    let end = start + html[start..].find('"')?;
    Some(html[start..end].replace("&#38;", "&"))
}

pub async fn set_status(app: &TestApp, t: &Ticket, status: TicketStatus) {
    app.store
        .update_ticket(
            &t.id,
            &TicketChanges {
                status: Some(status),
                ..TicketChanges::default()
            },
            &Actor::system(),
            server::now_us(),
        )
        .await
        .unwrap();
}

/// A payment of `customer` at the test merchant, as stored.
async fn pay(app: &TestApp, customer: &Customer, major: i64) -> WalletTransaction {
    let id = crate::tickets::pay(app, customer, major).await;
    app.store.transaction(&id).await.unwrap()
}

#[tokio::test]
async fn an_agent_lists_filters_and_pages_through_tickets() {
    let app = spawn_app().await;
    let cookie = agent(&app).await;
    let siti = customer_ticket(&app, "Payment failed at the warung").await;
    let guest = guest_ticket(&app).await;
    let solved = customer_ticket(&app, "Old question about fees").await;
    set_status(&app, &solved, TicketStatus::Solved).await;

    let home = app.page("/staff", Some(&cookie)).await;
    assert!(home.body.contains("href=\"/staff/tickets\""), "nav link");

    // The queue: active tickets, most urgent first and then the longest waiting (both are
    // normal priority here, Siti's waited longer); the guest is marked.
    let a = app.page("/staff/tickets", Some(&cookie)).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(listed(&a.body), vec![siti.number, guest.number]);
    assert!(a.body.contains("Payment failed at the warung"));
    assert!(a.body.contains("Siti Rahayu"));
    assert_eq!(a.body.matches("data-testid=\"unknown-contact\"").count(), 1);
    assert!(a.body.contains("Dewi"));
    assert!(a.body.contains("Website"), "channel label");
    assert!(a.body.contains("Failed transaction"), "category label");

    let list = |q: &'static str| {
        let app = &app;
        let cookie = cookie.clone();
        async move {
            listed(
                &app.page(&format!("/staff/tickets?{q}&sort=updated"), Some(&cookie))
                    .await
                    .body,
            )
        }
    };
    assert_eq!(
        list("status=all").await,
        vec![solved.number, guest.number, siti.number]
    );
    assert_eq!(list("status=solved").await, vec![solved.number]);
    assert_eq!(
        list("status=new&status=solved").await,
        vec![solved.number, guest.number, siti.number]
    );
    assert_eq!(list("channel=web").await, vec![guest.number]);
    assert_eq!(list("channel=app&category=refund").await, Vec::<i64>::new());
    assert_eq!(list("q=top-up").await, vec![guest.number]);
    // A number finds the ticket whatever its status.
    let by_number = app
        .page(
            &format!("/staff/tickets?q=%23{}", solved.number),
            Some(&cookie),
        )
        .await;
    assert_eq!(listed(&by_number.body), vec![solved.number]);

    // Take one; "me" and "unassigned" split the queue.
    let me = app.accounts.agent.id.to_string();
    let a = save(
        &app,
        &cookie,
        &siti,
        ["open", "normal", "failed_transaction", "", &me, ""],
    )
    .await;
    assert_back_to(&a, &siti, "saved");
    assert_eq!(list("assignee=me").await, vec![siti.number]);
    assert_eq!(list("assignee=none").await, vec![guest.number]);
    let a = app.page("/staff/tickets?assignee=me", Some(&cookie)).await;
    assert!(a.body.contains("Agus Setiawan"), "assignee column");

    // Pages of 25 by cursor, no ticket twice.
    for i in 0..25 {
        customer_ticket(&app, &format!("Question {i}")).await;
    }
    let first = app.page("/staff/tickets?status=all", Some(&cookie)).await;
    let page1 = listed(&first.body);
    assert_eq!(page1.len(), 25);
    let next = next_href(&first.body).expect("a next page");
    assert!(
        next.contains("status=all") && next.contains("cursor="),
        "{next}"
    );
    let second = app.page(&next, Some(&cookie)).await;
    let page2 = listed(&second.body);
    assert_eq!(page2.len(), 3);
    assert!(page2.iter().all(|n| !page1.contains(n)));
    assert!(next_href(&second.body).is_none());
    // A tampered cursor shows the first page.
    let a = app
        .page("/staff/tickets?status=all&cursor=zz", Some(&cookie))
        .await;
    assert_eq!(listed(&a.body), page1);
}

#[tokio::test]
async fn an_agent_replies_and_writes_notes_the_customer_never_sees() {
    let app = spawn_app().await;
    let cookie = agent(&app).await;
    let t = customer_ticket(&app, "Payment failed").await;

    let a = app.page(&page_of(&t), Some(&cookie)).await;
    assert_eq!(a.status, StatusCode::OK);
    let b = &a.body;
    assert!(b.contains(&format!("#{} · Payment failed", t.number)));
    assert!(b.contains(&format!(
        "href=\"/staff/customers/{}\"",
        app.accounts.customer.id
    )));
    assert!(b.contains("My payment failed but the money left my wallet."));
    assert!(
        b.contains("Which transaction? Ask the customer"),
        "what support still needs"
    );
    assert!(!b.contains("data-testid=\"unknown-contact\""));
    let csrf = csrf_of(b);

    // A public reply that asks the customer and waits for them.
    let a = reply(
        &app,
        &cookie,
        &t,
        Some(&csrf),
        &[
            ("body", "Which bank did you pay from?"),
            ("internal", "false"),
            ("status", "pending_customer"),
        ],
        None,
    )
    .await;
    assert_back_to(&a, &t, "replied");
    // An internal note with a file.
    let a = reply(
        &app,
        &cookie,
        &t,
        Some(&csrf),
        &[
            ("body", "Bank log shows a timeout at 14:02"),
            ("internal", "true"),
            ("status", ""),
        ],
        Some(("bank-log.txt", b"14:02 timeout BCA")),
    )
    .await;
    assert_back_to(&a, &t, "noted");

    let page = app
        .page(&format!("{}?done=noted", page_of(&t)), Some(&cookie))
        .await
        .body;
    assert!(page.contains("Internal note added."));
    assert!(page.contains("Which bank did you pay from?"));
    assert!(page.contains("data-internal=\"true\""));
    assert!(page.contains("Bank log shows a timeout at 14:02"));
    assert!(page.contains("data-testid=\"ticket-status\">Pending (customer)"));
    let marker = "href=\"/staff/attachments/";
    let start = page.find(marker).expect("attachment link") + marker.len();
    let attachment = page[start..].split('"').next().unwrap().to_owned();
    let file = app
        .page(&format!("/staff/attachments/{attachment}"), Some(&cookie))
        .await;
    assert_eq!(file.status, StatusCode::OK);
    assert_eq!(file.body, "14:02 timeout BCA");
    assert!(file.header("content-disposition").starts_with("attachment"));

    // The customer sees the reply, not the note.
    let token = app.customer_token().await;
    let d = app
        .get(&format!("/api/v1/tickets/{}", t.id), Some(&token))
        .await
        .json();
    assert_eq!(d["ticket"]["status"], "pending_customer");
    let bodies: Vec<&str> = d["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert!(bodies.contains(&"Which bank did you pay from?"));
    assert!(!bodies.iter().any(|b| b.contains("Bank log")));
    // Nor can she fetch the note's file, on the page or through the API.
    let siti = app.page_session("/signin", "siti@example.id").await;
    let a = app
        .page(&format!("/staff/attachments/{attachment}"), Some(&siti))
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    app.get(&format!("/api/v1/attachments/{attachment}"), Some(&token))
        .await
        .assert_problem(404, "not_found");

    // An empty reply is refused with what was chosen kept.
    let a = reply(
        &app,
        &cookie,
        &t,
        Some(&csrf),
        &[("body", "  "), ("internal", "true"), ("status", "on_hold")],
        None,
    )
    .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        a.body
            .contains("Write a message (up to 10,000 characters).")
    );
    assert!(a.body.contains("name=\"internal\" value=\"true\" checked"));
    assert!(a.body.contains("value=\"on_hold\" selected"));

    // Without the token first, nothing is stored.
    let a = reply(
        &app,
        &cookie,
        &t,
        None,
        &[("body", "forged"), ("csrf", &csrf)],
        None,
    )
    .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    let messages = app.store.ticket_messages(&t.id).await.unwrap();
    assert!(messages.iter().all(|m| m.body != "forged"));
    assert_eq!(messages.len(), 3);
}

#[tokio::test]
async fn properties_change_with_history_and_rule_refusals_read_well() {
    let app = spawn_app().await;
    let cookie = agent(&app).await;
    let t = customer_ticket(&app, "Card will not link").await;
    let group = app.accounts.group.id.to_string();
    let supervisor = app.accounts.supervisor.id.to_string();

    let page = app.page(&page_of(&t), Some(&cookie)).await.body;
    assert!(page.contains(&format!(
        "<option value=\"{supervisor}\">Ratna Sari</option>"
    )));
    assert!(
        !page.contains("Bambang"),
        "merchant staff are not assignees"
    );

    let a = save(
        &app,
        &cookie,
        &t,
        [
            "on_hold",
            "high",
            "card_linking",
            &group,
            &supervisor,
            "BCA, bank-delay",
        ],
    )
    .await;
    assert_back_to(&a, &t, "saved");
    let stored = app.store.ticket(&t.id).await.unwrap();
    assert_eq!(stored.status, TicketStatus::OnHold);
    assert_eq!(stored.tags, vec!["bca", "bank-delay"]);
    assert_eq!(
        stored.assignee_id.as_ref().map(|a| a.to_string()),
        Some(supervisor.clone())
    );
    let page = app.page(&page_of(&t), Some(&cookie)).await.body;
    assert!(page.contains("data-testid=\"ticket-priority\">High"));
    assert!(page.contains("data-testid=\"ticket-assignee\">Ratna Sari"));
    // The history says who changed what, in words.
    let history = &page[page.find("data-testid=\"history\"").unwrap()..];
    assert!(history.contains("Agus Setiawan"));
    assert!(history.contains("<td>Assignee</td><td></td><td>Ratna Sari</td>"));
    assert!(history.contains("<td>Group</td><td></td><td>Payments</td>"));
    assert!(history.contains("<td>Status</td><td>New</td><td>On hold</td>"));
    assert!(history.contains("bca, bank-delay"));

    // Closing an unsolved ticket: the rule's message, and what was typed stays.
    let a = save(
        &app,
        &cookie,
        &t,
        ["closed", "urgent", "card_linking", &group, "", "bca, vip"],
    )
    .await;
    assert_eq!(a.status, StatusCode::CONFLICT);
    assert!(
        a.body
            .contains("Only a solved ticket can be closed. Set it to Solved first.")
    );
    assert!(a.body.contains("<option value=\"closed\" selected>"));
    assert!(a.body.contains("<option value=\"urgent\" selected>"));
    assert!(a.body.contains("value=\"bca, vip\""));
    // Nothing of it was applied.
    let unchanged = app.store.ticket(&t.id).await.unwrap();
    assert_eq!(unchanged.status, TicketStatus::OnHold);
    assert_eq!(unchanged.priority, stored.priority);
    assert_eq!(unchanged.assignee_id, stored.assignee_id);

    // A bad tag is named.
    let a = save(
        &app,
        &cookie,
        &t,
        ["on_hold", "high", "card_linking", "", "", "<b>"],
    )
    .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(a.body.contains("Tags may contain letters, digits"));
    assert!(!a.body.contains("value=\"<b>\""), "escaped");

    // Solved, then closed; a closed ticket takes nothing more.
    set_status(&app, &t, TicketStatus::Solved).await;
    set_status(&app, &t, TicketStatus::Closed).await;
    let a = save(
        &app,
        &cookie,
        &t,
        ["closed", "low", "card_linking", "", "", ""],
    )
    .await;
    assert_eq!(a.status, StatusCode::CONFLICT);
    assert!(
        a.body
            .contains("This ticket is closed and cannot change any more")
    );
}

#[tokio::test]
async fn an_agent_links_the_customers_transactions_only() {
    let app = spawn_app().await;
    let cookie = agent(&app).await;
    let t = customer_ticket(&app, "Charged twice").await;
    let lunch = pay(&app, &app.accounts.customer, 35_000).await;
    let coffee = pay(&app, &app.accounts.customer, 12_000).await;
    let budis = pay(&app, &app.accounts.other_customer, 15_000).await;

    let page = app.page(&page_of(&t), Some(&cookie)).await.body;
    assert!(page.contains(&format!("<option value=\"{}\">", lunch.id)));
    assert!(
        !page.contains(&budis.id),
        "only her own transactions are offered"
    );

    let a = submit(&app, &cookie, &t, "links", &[("transaction", &lunch.id)]).await;
    assert_back_to(&a, &t, "linked");
    // By reference, typed in any case.
    let reference = coffee.reference.to_lowercase();
    let a = submit(&app, &cookie, &t, "links", &[("reference", &reference)]).await;
    assert_back_to(&a, &t, "linked");
    let page = app.page(&page_of(&t), Some(&cookie)).await.body;
    assert!(page.contains(&format!("href=\"/staff/tx/{}\"", lunch.id)));
    assert!(page.contains(&lunch.reference));
    assert!(page.contains("IDR 35,000"));
    assert!(page.contains(&coffee.reference));
    assert!(!page.contains("Which transaction?"), "no longer missing");

    // Budi's transaction, by id or by reference, is not this customer's.
    for raw in [budis.id.as_str(), budis.reference.as_str()] {
        let a = submit(&app, &cookie, &t, "links", &[("reference", raw)]).await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            a.body
                .contains("No such transaction of this ticket&#39;s customer.")
        );
        assert!(a.body.contains(&format!("value=\"{raw}\"")), "input kept");
    }
    let stored = app.store.ticket(&t.id).await.unwrap();
    assert_eq!(stored.links.len(), 2);

    let a = submit(
        &app,
        &cookie,
        &t,
        "unlink",
        &[("kind", "transaction"), ("record_id", &coffee.id)],
    )
    .await;
    assert_back_to(&a, &t, "unlinked");
    let stored = app.store.ticket(&t.id).await.unwrap();
    assert_eq!(stored.links.len(), 1);
    assert_eq!(stored.links[0].record_id, lunch.id);
}

#[tokio::test]
async fn an_agent_logs_calls_by_hand() {
    let app = spawn_app().await;
    let cookie = agent(&app).await;
    let t = customer_ticket(&app, "Refund not received").await;
    let page = app.page(&page_of(&t), Some(&cookie)).await.body;
    assert!(
        page.contains("value=\"+6281234567890\""),
        "the customer's number is offered"
    );

    let a = submit(
        &app,
        &cookie,
        &t,
        "calls",
        &[
            ("from_number", "0812 3456 7890"),
            ("summary", "Explained the refund takes 3 days"),
            ("state", "ended"),
            ("minutes", "7"),
        ],
    )
    .await;
    assert_back_to(&a, &t, "call");
    let page = app.page(&page_of(&t), Some(&cookie)).await.body;
    let calls = &page[page.find("id=\"calls\"").unwrap()..];
    assert!(calls.contains("+6281234567890"));
    assert!(calls.contains("Explained the refund takes 3 days"));
    assert!(calls.contains("7 min"));
    assert!(calls.contains("Agus Setiawan"));

    let missed = |minutes: &'static str| {
        let (app, cookie, t) = (&app, cookie.clone(), t.clone());
        async move {
            let form = [
                ("from_number", "call me"),
                ("summary", "No answer"),
                ("state", "missed"),
                ("minutes", minutes),
            ];
            submit(app, &cookie, &t, "calls", &form).await
        }
    };
    let a = missed("x").await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        a.body
            .contains("Minutes talked: a whole number from 0 to 600.")
    );
    let a = missed("").await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        a.body
            .contains("Enter a phone number like +62 812 3456 7890.")
    );
    assert!(a.body.contains("No answer</textarea>"));
    assert!(a.body.contains("value=\"missed\" checked"));
    assert_eq!(app.store.ticket_calls(&t.id).await.unwrap().len(), 1);
}

#[tokio::test]
async fn an_agent_identifies_a_guest_as_a_customer() {
    let app = spawn_app().await;
    let cookie = agent(&app).await;
    let t = guest_ticket(&app).await;
    let siti = app.accounts.customer.id.to_string();

    let page = app.page(&page_of(&t), Some(&cookie)).await.body;
    assert!(page.contains("data-testid=\"unknown-contact\""));
    assert!(page.contains("dewi@example.id"), "the contact's details");
    assert!(page.contains("Not identified as a customer yet"));
    assert!(page.contains("Transactions can be linked once the requester is identified"));
    assert!(
        !page.contains("data-testid=\"merge-match\""),
        "no search yet"
    );

    // Search the directory by phone, typed the local way.
    let found = app
        .page(
            &format!("{}?find=0812-3456-7890#merge", page_of(&t)),
            Some(&cookie),
        )
        .await
        .body;
    assert_eq!(found.matches("data-testid=\"merge-match\"").count(), 1);
    assert!(found.contains("This is Siti Rahayu"));
    assert!(found.contains(&format!("name=\"customer_id\" value=\"{siti}\"")));

    let a = submit(
        &app,
        &cookie,
        &t,
        "merge",
        &[("customer_id", "00000000-0000-7000-8000-000000000000")],
    )
    .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(a.body.contains("No such customer: check the id."));
    assert!(
        a.body
            .contains("value=\"00000000-0000-7000-8000-000000000000\"")
    );

    let a = submit(&app, &cookie, &t, "merge", &[("customer_id", &siti)]).await;
    assert_back_to(&a, &t, "merged");
    let page = app.page(&page_of(&t), Some(&cookie)).await.body;
    assert!(page.contains(&format!("href=\"/staff/customers/{siti}\"")));
    assert!(!page.contains("data-testid=\"unknown-contact\""));
    assert!(!page.contains("id=\"merge\""));
    assert!(
        page.contains("<td>Requester</td>"),
        "recorded in the history"
    );
    // The ticket is now Siti's.
    let token = app.customer_token().await;
    let list = app.get("/api/v1/tickets", Some(&token)).await.json();
    assert_eq!(list["items"][0]["id"], t.id);
}

#[tokio::test]
async fn merchants_and_customers_are_refused_and_forms_need_the_token() {
    let app = spawn_app().await;
    let t = customer_ticket(&app, "Payment failed").await;
    let merchant = app
        .page_session("/staff/signin", "merchant@example.id")
        .await;
    let siti = app.page_session("/signin", "siti@example.id").await;
    for cookie in [&merchant, &siti] {
        for path in ["/staff/tickets".to_owned(), page_of(&t)] {
            let a = app.page(&path, Some(cookie)).await;
            assert_eq!(a.status, StatusCode::FORBIDDEN, "{path}");
            assert!(!a.body.contains("Payment failed"));
        }
    }
    // Signed out: to the staff sign-in, and back afterwards.
    let a = app.page(&page_of(&t), None).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    assert!(a.header("location").starts_with("/staff/signin?next="));
    // The merchant's own session token does not make their post an agent's.
    let csrf = csrf_of(&app.page("/staff", Some(&merchant)).await.body);
    let a = app
        .post_form(
            &format!("{}/properties", page_of(&t)),
            &[("csrf", &csrf), ("status", "solved")],
            Some(&merchant),
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);

    let agent = agent(&app).await;
    let form = [
        ("status", "solved"),
        ("priority", "normal"),
        ("category", "failed_transaction"),
        ("group", ""),
        ("assignee", ""),
        ("tags", ""),
    ];
    // No token, a wrong token, another site's form: refused, nothing changed.
    let a = app
        .post_form(&format!("{}/properties", page_of(&t)), &form, Some(&agent))
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    let mut wrong = vec![("csrf", "not-the-token")];
    wrong.extend_from_slice(&form);
    let a = app
        .post_form(&format!("{}/properties", page_of(&t)), &wrong, Some(&agent))
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    let csrf = csrf_of(&app.page(&page_of(&t), Some(&agent)).await.body);
    let body =
        format!("csrf={csrf}&status=solved&priority=normal&category=other&group=&assignee=&tags=");
    let a = app
        .send(
            Request::builder()
                .method(Method::POST)
                .uri(format!("{}/properties", page_of(&t)))
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::HOST, "paydesk.test")
                .header(header::ORIGIN, "https://evil.example")
                .header(header::COOKIE, &agent)
                .body(Body::from(body))
                .unwrap(),
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    for action in ["links", "unlink", "calls", "merge"] {
        let a = app
            .post_form(
                &format!("{}/{action}", page_of(&t)),
                &[("customer_id", "x")],
                Some(&agent),
            )
            .await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{action}");
    }
    assert_eq!(
        app.store.ticket(&t.id).await.unwrap().status,
        TicketStatus::New
    );
    // A ticket that does not exist is a plain 404 page.
    let a = app.page("/staff/tickets/999999", Some(&agent)).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
}
