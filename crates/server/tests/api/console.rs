//! The agent console: queues and their counts in queue order, round-robin assignment among
//! available agents (and under concurrency), take-next, canned responses in the ticket's
//! language, merging duplicates and its refusals, the dashboard's numbers, and the lines
//! customers and merchant staff never cross.

use crate::helpers::*;
use crate::staff_ticket_pages::set_status;
use axum::http::{Method, StatusCode};
use domain::Locale::{En, Id, ZhCn};
use domain::console::ConsoleRepo;
use domain::repo::{RepoError, TicketRepo};
use domain::ticket::Category::{Coupon, Other, PrivacySecurity, Refund};
use domain::ticket::Priority::{High, Low, Normal, Urgent};
use domain::ticket::{
    Actor, ActorKind, Category, Channel, NewMessage, NewTicket, Priority, Rating,
    ReportedTransaction, Requester, Ticket, TicketChanges, TicketLink, TicketStatus, Visibility,
};
use domain::{
    AccountStatus, Customer, DisplayName, Email, GroupId, Locale, Role, Staff, StaffId,
    SupportGroup,
};
use serde_json::json;

const MINUTE: i64 = 60_000_000;

/// What a test ticket is about, how urgent, and in which language.
type Spec = (Category, Priority, Locale);

/// A ticket of Siti's opened through the repository at `at_us`.
async fn open(app: &TestApp, spec: Spec, subject: &str, at_us: i64) -> Ticket {
    open_for(app, &app.accounts.customer, spec, subject, at_us).await
}

/// A ticket of `c` opened through the repository at `at_us`.
async fn open_for(app: &TestApp, c: &Customer, spec: Spec, subject: &str, at_us: i64) -> Ticket {
    app.store
        .create_ticket(&new_ticket(c, spec, subject), None, at_us)
        .await
        .unwrap()
        .ticket
}

/// What `c` writes to open a ticket.
fn new_ticket(c: &Customer, (category, priority, locale): Spec, subject: &str) -> NewTicket {
    NewTicket {
        requester: Requester::Customer(c.id.clone()),
        channel: Channel::App,
        category,
        subject: subject.into(),
        priority,
        locale,
        links: vec![],
        reported: ReportedTransaction::default(),
        tags: vec![],
        first_message: NewMessage {
            author_kind: ActorKind::Customer,
            author_id: c.id.to_string(),
            author_name: c.display_name.as_str().into(),
            visibility: Visibility::Public,
            body: format!("{subject}, please help."),
            channel: Channel::App,
            external_id: None,
            attachments: vec![],
        },
    }
}

/// A support group with `n` agents (in creation order, so in id order); none signs in.
async fn group_of(app: &TestApp, name: &str, n: usize) -> (SupportGroup, Vec<Staff>) {
    let group = SupportGroup {
        id: GroupId::new(),
        name: name.into(),
    };
    app.store.ensure_group(&group).await.unwrap();
    let mut agents = Vec::new();
    for i in 0..n {
        let s = Staff {
            id: StaffId::new(),
            email: Email::parse(&format!("{}{i}@example.id", name.to_lowercase())).unwrap(),
            display_name: DisplayName::parse(&format!("{name} Agent {i}")).unwrap(),
            role: Role::Agent,
            merchant_id: None,
            group_id: Some(group.id.clone()),
            locale: Locale::En,
            status: AccountStatus::Active,
            created_at_us: server::now_us(),
        };
        app.store
            .insert_staff(&s, "not-a-hash", false)
            .await
            .unwrap();
        agents.push(s);
    }
    (group, agents)
}

/// A normal-priority refund ticket of Siti's, in English.
async fn refund(app: &TestApp, subject: &str, at_us: i64) -> Ticket {
    open(app, (Refund, Normal, En), subject, at_us).await
}

/// A message from the test agent on `t` at `at_us`.
async fn staff_says(app: &TestApp, t: &Ticket, visibility: Visibility, at_us: i64) {
    let message = NewMessage {
        author_kind: ActorKind::Staff,
        author_id: app.accounts.agent.id.to_string(),
        author_name: "Agus".into(),
        visibility,
        body: "On it".into(),
        channel: t.channel,
        external_id: None,
        attachments: vec![],
    };
    app.store
        .add_message(&t.id, &message, None, None, at_us)
        .await
        .unwrap();
}

fn assignee(t: &Ticket) -> Option<String> {
    t.assignee_id.as_ref().map(|a| a.to_string())
}

/// Numbers of the tickets a list page shows, in order.
fn listed(html: &str) -> Vec<i64> {
    html.split("data-testid=\"ticket-row\" data-number=\"")
        .skip(1)
        .map(|s| s.split('"').next().unwrap().parse().unwrap())
        .collect()
}

/// The count a queue tab shows.
fn tab_count(html: &str, queue: &str) -> i64 {
    let marker = format!("data-testid=\"queue-{queue}\" data-count=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {queue} tab"))
        + marker.len();
    html[start..].split('"').next().unwrap().parse().unwrap()
}

async fn assign(app: &TestApp, t: &Ticket, to: Option<&Staff>, group: Option<&GroupId>) {
    app.store
        .update_ticket(
            &t.id,
            &TicketChanges {
                assignee_id: Some(to.map(|s| s.id.clone())),
                group_id: Some(group.cloned()),
                ..TicketChanges::default()
            },
            &Actor::system(),
            server::now_us(),
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn queues_count_and_sort_most_urgent_then_longest_waiting() {
    let app = spawn_app().await;
    let (other_group, _) = group_of(&app, "Merchants", 0).await;
    let now = server::now_us();
    let old = refund(&app, "Old normal", now - 50 * MINUTE).await;
    let newer = refund(&app, "Newer normal", now - 40 * MINUTE).await;
    let urgent = open(
        &app,
        (PrivacySecurity, Urgent, En),
        "Urgent",
        now - 10 * MINUTE,
    )
    .await;
    let low = open(&app, (Other, Low, En), "Low", now - 60 * MINUTE).await;
    let mine = open(&app, (Coupon, High, En), "Mine", now - 30 * MINUTE).await;
    let elsewhere = open(&app, (Coupon, Normal, En), "Elsewhere", now - 20 * MINUTE).await;
    let solved = open(&app, (Other, Urgent, En), "Solved", now - 5 * MINUTE).await;
    assign(
        &app,
        &mine,
        Some(&app.accounts.agent),
        Some(&app.accounts.group.id),
    )
    .await;
    assign(&app, &urgent, None, Some(&app.accounts.group.id)).await;
    assign(&app, &elsewhere, None, Some(&other_group.id)).await;
    set_status(&app, &solved, TicketStatus::Solved).await;
    // Assigning touched these three: re-read their update times for the expected order.
    let cookie = app.page_session("/staff/signin", "agent@example.id").await;
    let page = app.page("/staff/tickets", Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    // Active tickets, urgent first, then high, then normal ones oldest update first, low last.
    assert_eq!(
        listed(&page.body),
        vec![
            urgent.number,
            mine.number,
            old.number,
            newer.number,
            elsewhere.number,
            low.number
        ]
    );
    assert_eq!(tab_count(&page.body, "mine"), 1);
    assert_eq!(tab_count(&page.body, "unassigned"), 5);
    assert_eq!(
        tab_count(&page.body, "group"),
        2,
        "the agent's group: urgent and mine"
    );
    assert_eq!(tab_count(&page.body, "all"), 6);
    assert!(
        page.body.contains("Payments"),
        "the group tab is named after the group"
    );

    let list = |q: String| {
        let app = &app;
        let cookie = cookie.clone();
        async move {
            listed(
                &app.page(&format!("/staff/tickets?{q}"), Some(&cookie))
                    .await
                    .body,
            )
        }
    };
    assert_eq!(list("queue=mine".into()).await, vec![mine.number]);
    assert_eq!(
        list("queue=unassigned".into()).await,
        vec![
            urgent.number,
            old.number,
            newer.number,
            elsewhere.number,
            low.number
        ]
    );
    assert_eq!(
        list("queue=group".into()).await,
        vec![urgent.number, mine.number]
    );
    assert_eq!(
        list(format!("group={}", other_group.id)).await,
        vec![elsewhere.number],
        "any group's tickets"
    );
    // The old order stays one choice away.
    assert_eq!(list("sort=updated".into()).await[0], elsewhere.number);

    // Keyset pages in queue order over the API: two at a time, nothing twice or missed.
    let token = app.staff_token(&app.accounts.agent).await;
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let after = if cursor.is_empty() {
            String::new()
        } else {
            format!("&cursor={cursor}")
        };
        let a = app
            .get(
                &format!("/api/v1/tickets?sort=queue&status=new,open&limit=2{after}"),
                Some(&token),
            )
            .await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        let v = a.json();
        seen.extend(
            v["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["number"].as_i64().unwrap()),
        );
        match v["next_cursor"].as_str() {
            Some(c) => cursor = c.to_owned(),
            None => break,
        }
    }
    assert_eq!(
        seen,
        vec![
            urgent.number,
            mine.number,
            old.number,
            newer.number,
            elsewhere.number,
            low.number
        ]
    );
    app.get("/api/v1/tickets?sort=sideways", Some(&token))
        .await
        .assert_problem(422, "validation_failed");
}

#[tokio::test]
async fn new_tickets_go_round_robin_to_available_agents_least_recently_assigned() {
    let app = spawn_app().await;
    let (group, agents) = group_of(&app, "Refunds", 3).await;
    app.store
        .set_category_group(Category::Refund, Some(&group.id))
        .await
        .unwrap();
    let now = server::now_us();
    // Two available, the third away (never said otherwise).
    app.store
        .set_available(&agents[0].id, true, now)
        .await
        .unwrap();
    app.store
        .set_available(&agents[1].id, true, now)
        .await
        .unwrap();
    let mut got = Vec::new();
    for i in 0..4 {
        let t = refund(&app, &format!("Refund {i}"), now + i).await;
        assert_eq!(
            t.group_id.as_ref(),
            Some(&group.id),
            "landed in the category's group"
        );
        got.push(assignee(&t));
    }
    let a = Some(agents[0].id.to_string());
    let b = Some(agents[1].id.to_string());
    assert_eq!(got, vec![a.clone(), b.clone(), a.clone(), b.clone()]);

    // Going away takes one out of the rotation; coming back puts the one who waited
    // longest first.
    app.store
        .set_available(&agents[0].id, false, now)
        .await
        .unwrap();
    let t = refund(&app, "While A is away", now + 10).await;
    assert_eq!(assignee(&t), b);
    let t = refund(&app, "Still away", now + 11).await;
    assert_eq!(assignee(&t), b);
    app.store
        .set_available(&agents[0].id, true, now + 12)
        .await
        .unwrap();
    let t = refund(&app, "A is back", now + 13).await;
    assert_eq!(assignee(&t), a, "A was assigned least recently");

    // The history says who routed it.
    let events = app.store.ticket_events(&t.id).await.unwrap();
    let fields: Vec<(&str, &str)> = events
        .iter()
        .map(|e| (e.field.as_str(), e.actor_kind.as_str()))
        .collect();
    assert!(
        fields.contains(&("group_id", "system")) && fields.contains(&("assignee_id", "system")),
        "{fields:?}"
    );

    // A category without a group, or a group nobody is available in, stays unassigned.
    let t = open(&app, (Coupon, Normal, En), "No group", now + 14).await;
    assert_eq!((t.group_id.clone(), t.assignee_id.clone()), (None, None));
    app.store
        .set_available(&agents[0].id, false, now)
        .await
        .unwrap();
    app.store
        .set_available(&agents[1].id, false, now)
        .await
        .unwrap();
    let t = refund(&app, "Nobody in", now + 15).await;
    assert_eq!(t.group_id.as_ref(), Some(&group.id));
    assert_eq!(t.assignee_id, None);

    // The agent's own switch, over the API and on the list page.
    let token = app.staff_token(&app.accounts.agent).await;
    let a = app
        .call(
            Method::PUT,
            "/api/v1/me/availability",
            Some(&token),
            Some(json!({"available": true})),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert!(
        app.store
            .is_available(&app.accounts.agent.id)
            .await
            .unwrap()
    );
    let cookie = app.page_session("/staff/signin", "agent@example.id").await;
    let page = app.page("/staff/tickets", Some(&cookie)).await.body;
    assert!(page.contains("data-testid=\"availability\" data-available=\"true\""));
    let a = app
        .post_form(
            "/staff/availability",
            &[
                ("csrf", &csrf_of(&page)),
                ("available", "false"),
                ("next", "/staff/tickets?queue=mine"),
            ],
            Some(&cookie),
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    assert_eq!(a.header("location"), "/staff/tickets?queue=mine");
    assert!(
        !app.store
            .is_available(&app.accounts.agent.id)
            .await
            .unwrap()
    );
    // Without the session's token the switch is refused.
    let a = app
        .post_form(
            "/staff/availability",
            &[("csrf", "forged"), ("available", "true")],
            Some(&cookie),
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert!(
        !app.store
            .is_available(&app.accounts.agent.id)
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn ten_tickets_at_once_split_five_and_five_between_two_available_agents() {
    let app = spawn_app().await;
    let (group, agents) = group_of(&app, "Rush", 2).await;
    app.store
        .set_category_group(Category::FailedTransaction, Some(&group.id))
        .await
        .unwrap();
    for a in &agents {
        app.store
            .set_available(&a.id, true, server::now_us())
            .await
            .unwrap();
    }
    let mut set = tokio::task::JoinSet::new();
    for i in 0..10 {
        let store = app.store.clone();
        let siti = app.accounts.customer.clone();
        set.spawn(async move {
            let new = NewTicket {
                requester: Requester::Customer(siti.id.clone()),
                channel: Channel::App,
                category: Category::FailedTransaction,
                subject: format!("Rush {i}"),
                priority: Priority::Normal,
                locale: Locale::En,
                links: vec![],
                reported: ReportedTransaction::default(),
                tags: vec![],
                first_message: NewMessage {
                    author_kind: ActorKind::Customer,
                    author_id: siti.id.to_string(),
                    author_name: "Siti Rahayu".into(),
                    visibility: Visibility::Public,
                    body: "Failed".into(),
                    channel: Channel::App,
                    external_id: None,
                    attachments: vec![],
                },
            };
            store
                .create_ticket(&new, None, server::now_us())
                .await
                .unwrap()
                .ticket
        });
    }
    let mut counts = std::collections::HashMap::new();
    while let Some(t) = set.join_next().await {
        let t = t.unwrap();
        *counts.entry(assignee(&t).expect("assigned")).or_insert(0) += 1;
    }
    let mut split: Vec<i32> = counts.values().copied().collect();
    split.sort();
    assert_eq!(split, vec![5, 5], "{counts:?}");
}

#[tokio::test]
async fn take_next_gives_the_most_urgent_unassigned_ticket_of_the_group_once() {
    let app = spawn_app().await;
    let g = app.accounts.group.id.clone();
    let now = server::now_us();
    let normal = refund(&app, "Normal", now - 30 * MINUTE).await;
    let high = open(&app, (Refund, High, En), "High", now - 20 * MINUTE).await;
    let taken = open(
        &app,
        (Refund, Urgent, En),
        "Someone has it",
        now - 10 * MINUTE,
    )
    .await;
    let waiting = open(
        &app,
        (Refund, Urgent, En),
        "Waiting on customer",
        now - 10 * MINUTE,
    )
    .await;
    let other = open(&app, (Refund, Urgent, En), "Not our group", now).await;
    for t in [&normal, &high, &waiting] {
        assign(&app, t, None, Some(&g)).await;
    }
    assign(&app, &taken, Some(&app.accounts.supervisor), Some(&g)).await;
    set_status(&app, &waiting, TicketStatus::PendingCustomer).await;
    let _ = other;

    let token = app.staff_token(&app.accounts.agent).await;
    let next = |token: String| {
        let app = &app;
        async move {
            let a = app
                .call(Method::POST, "/api/v1/queue/next", Some(&token), None)
                .await;
            assert_eq!(a.status, StatusCode::OK, "{}", a.body);
            a.json()["ticket"]["number"].as_i64()
        }
    };
    assert_eq!(next(token.clone()).await, Some(high.number));
    let t = app.store.ticket(&high.id).await.unwrap();
    assert_eq!(assignee(&t), Some(app.accounts.agent.id.to_string()));
    // On the page the button opens the ticket it took.
    let cookie = app.page_session("/staff/signin", "agent@example.id").await;
    let list = app.page("/staff/tickets", Some(&cookie)).await.body;
    assert!(list.contains("data-testid=\"take-next-form\""));
    let a = app
        .post_form(
            "/staff/queue/next",
            &[("csrf", &csrf_of(&list))],
            Some(&cookie),
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    assert_eq!(
        a.header("location"),
        format!("/staff/tickets/{}?done=taken", normal.number)
    );
    // Nothing left: the page says so.
    assert_eq!(next(token.clone()).await, None);
    let a = app
        .post_form(
            "/staff/queue/next",
            &[("csrf", &csrf_of(&list))],
            Some(&cookie),
        )
        .await;
    assert_eq!(
        a.header("location"),
        "/staff/tickets?queue=group&note=empty"
    );
    let page = app
        .page("/staff/tickets?queue=group&note=empty", Some(&cookie))
        .await
        .body;
    assert!(page.contains("Nothing is waiting in your group"));
    // An admin without a group has no queue to take from.
    let admin = app.staff_token(&app.accounts.admin).await;
    app.call(Method::POST, "/api/v1/queue/next", Some(&admin), None)
        .await
        .assert_problem(409, "invalid_state");

    // Two agents at once never get the same ticket.
    let mut fresh = Vec::new();
    for i in 0..4 {
        let t = refund(&app, &format!("Fresh {i}"), now + i).await;
        assign(&app, &t, None, Some(&g)).await;
        fresh.push(t.number);
    }
    let supervisor = app.staff_token(&app.accounts.supervisor).await;
    let mut set = tokio::task::JoinSet::new();
    for tok in [token.clone(), supervisor.clone(), token, supervisor] {
        let app_state = app.router.clone();
        set.spawn(async move {
            use tower::ServiceExt;
            let req = axum::http::Request::builder()
                .method(Method::POST)
                .uri("/api/v1/queue/next")
                .header("authorization", format!("Bearer {tok}"))
                .body(axum::body::Body::empty())
                .unwrap();
            let resp = app_state.oneshot(req).await.unwrap();
            let bytes = http_body_util::BodyExt::collect(resp.into_body())
                .await
                .unwrap()
                .to_bytes();
            serde_json::from_slice::<serde_json::Value>(&bytes).unwrap()["ticket"]["number"]
                .as_i64()
        });
    }
    let mut got = Vec::new();
    while let Some(n) = set.join_next().await {
        got.push(n.unwrap().expect("a ticket for each"));
    }
    got.sort();
    assert_eq!(got, fresh, "each ticket taken once");
}

#[tokio::test]
async fn admins_write_canned_responses_and_agents_insert_them_in_the_tickets_language() {
    let app = spawn_app().await;
    let admin = app.page_session("/staff/signin", "admin@example.id").await;
    let page = app.page("/staff/canned", Some(&admin)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let csrf = csrf_of(&page.body);
    // Every language is required; what was typed stays.
    let a = app
        .post_form(
            "/staff/canned",
            &[
                ("csrf", &csrf),
                ("title", "Refund on its way"),
                ("category", "refund"),
                ("body_en", "Hi {name}"),
                ("body_id", "Halo {name}"),
                ("body_zh", " "),
            ],
            Some(&admin),
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(a.body.contains("Write the Chinese text"), "{}", a.body);
    assert!(a.body.contains("Halo {name}"));
    let a = app
        .post_form(
            "/staff/canned",
            &[
                ("csrf", &csrf),
                ("title", "Refund on its way"),
                ("category", "refund"),
                ("body_en", "Hi {name}, your refund is on its way. {agent}"),
                (
                    "body_id",
                    "Halo {name}, dana refund Anda sedang diproses. Salam, {agent}",
                ),
                ("body_zh", "{name}您好，退款正在处理中。{agent}"),
            ],
            Some(&admin),
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let all = app.store.canned_responses().await.unwrap();
    assert_eq!(all.len(), 1);
    let canned = &all[0];

    // Siti writes in Indonesian: the agent's reply is filled in Indonesian, with her name.
    let t = open_for(
        &app,
        &app.accounts.customer,
        (Refund, Normal, Id),
        "Refund belum masuk",
        server::now_us(),
    )
    .await;
    let agent = app.page_session("/staff/signin", "agent@example.id").await;
    let page = app
        .page(&format!("/staff/tickets/{}", t.number), Some(&agent))
        .await
        .body;
    assert!(page.contains("data-testid=\"canned-pick\""));
    assert!(page.contains("Bahasa Indonesia"), "the language it goes in");
    assert!(
        page.contains(
            "data-body=\"Halo Siti Rahayu, dana refund Anda sedang diproses. Salam, Agus Setiawan\""
        ),
        "for the script"
    );
    let page = app
        .page(
            &format!("/staff/tickets/{}?canned={}", t.number, canned.id),
            Some(&agent),
        )
        .await
        .body;
    let textarea = page.split("id=\"reply-body\"").nth(1).unwrap();
    let body = textarea
        .split('>')
        .nth(1)
        .unwrap()
        .split("</textarea")
        .next()
        .unwrap();
    assert_eq!(
        body,
        "Halo Siti Rahayu, dana refund Anda sedang diproses. Salam, Agus Setiawan"
    );
    // A Chinese ticket gets the Chinese text.
    let zh = open_for(
        &app,
        &app.accounts.customer,
        (Refund, Normal, ZhCn),
        "退款没到账",
        server::now_us(),
    )
    .await;
    let page = app
        .page(
            &format!("/staff/tickets/{}?canned={}", zh.number, canned.id),
            Some(&agent),
        )
        .await
        .body;
    assert!(page.contains(">Siti Rahayu您好，退款正在处理中。Agus Setiawan</textarea>"));

    // Edit and delete.
    let a = app
        .post_form(
            &format!("/staff/canned/{}", canned.id),
            &[
                ("csrf", &csrf),
                ("title", "Refund sent"),
                ("category", ""),
                ("body_en", "Sent."),
                ("body_id", "Terkirim."),
                ("body_zh", "已退款。"),
            ],
            Some(&admin),
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let saved = app.store.canned_response(&canned.id).await.unwrap();
    assert_eq!(
        (saved.title.as_str(), saved.category, saved.body_id.as_str()),
        ("Refund sent", None, "Terkirim.")
    );
    let a = app
        .post_form(
            &format!("/staff/canned/{}/delete", canned.id),
            &[("csrf", &csrf)],
            Some(&admin),
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    assert!(matches!(
        app.store.canned_response(&canned.id).await,
        Err(RepoError::NotFound)
    ));
    // Agents use canned responses but do not edit them.
    assert_eq!(
        app.page("/staff/canned", Some(&agent)).await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn a_duplicate_merges_into_a_ticket_of_the_same_requester_and_both_histories_say_so() {
    let app = spawn_app().await;
    let siti = &app.accounts.customer;
    let now = server::now_us();
    let target = refund(&app, "Refund missing", now - 20 * MINUTE).await;
    let source = open(
        &app,
        (Refund, Normal, Id),
        "Refund belum masuk",
        now - 10 * MINUTE,
    )
    .await;
    let payment = crate::tickets::pay(&app, siti, 35_000).await;
    let token = app.staff_token(&app.accounts.agent).await;
    let a = app
        .call(
            Method::POST,
            &format!("/api/v1/tickets/{}/links", source.id),
            Some(&token),
            Some(json!({"kind": "transaction", "record_id": payment})),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let a = app
        .call(
            Method::POST,
            &format!("/api/v1/tickets/{}/calls", source.id),
            Some(&token),
            Some(json!({"from_number": "+6281234567890", "summary": "Called about the refund"})),
        )
        .await;
    assert!(a.status.is_success(), "{}", a.body);
    crate::tickets::attach_text(&app, &source, "receipt.txt", "paid 35,000").await;
    let before = app.store.ticket_messages(&source.id).await.unwrap();

    // Refusals: into itself, into another requester's ticket, into a number that does not exist.
    let budi = open_for(
        &app,
        &app.accounts.other_customer,
        (Refund, Normal, En),
        "Budi's",
        now,
    )
    .await;
    let merge = |from: &Ticket, into: i64| {
        let app = &app;
        let token = token.clone();
        let from = from.id.clone();
        async move {
            app.call(
                Method::POST,
                &format!("/api/v1/tickets/{from}/merge"),
                Some(&token),
                Some(json!({"into": into})),
            )
            .await
        }
    };
    let v = merge(&source, source.number)
        .await
        .assert_problem(409, "invalid_state");
    assert!(v["detail"].as_str().unwrap().contains("itself"));
    let v = merge(&source, budi.number)
        .await
        .assert_problem(409, "invalid_state");
    assert!(v["detail"].as_str().unwrap().contains("same requester"));
    merge(&source, 999_999)
        .await
        .assert_problem(422, "validation_failed");

    let a = merge(&source, target.number).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.json()["number"], target.number);

    // The duplicate is closed with a note in its requester's language; its thread is kept.
    let s = app.store.ticket(&source.id).await.unwrap();
    assert_eq!(s.status, TicketStatus::Closed);
    let thread = app.store.ticket_messages(&source.id).await.unwrap();
    assert_eq!(thread.len(), before.len() + 1);
    let note = thread.last().unwrap();
    assert_eq!(note.visibility, Visibility::Public);
    assert!(
        note.body.contains(&format!("#{}", target.number)) && note.body.contains("digabungkan"),
        "{}",
        note.body
    );
    // The kept ticket has the duplicate's messages, link and call, and a note for staff.
    let t = app.store.ticket(&target.id).await.unwrap();
    assert!(t.links.contains(&TicketLink {
        kind: domain::ticket::LinkKind::Transaction,
        record_id: payment.clone()
    }));
    let kept = app.store.ticket_messages(&target.id).await.unwrap();
    assert!(
        kept.iter()
            .any(|m| m.body == "Refund belum masuk, please help."),
        "copied message"
    );
    assert!(
        kept.iter().any(|m| m.visibility == Visibility::Internal
            && m.body.contains(&format!("#{}", source.number)))
    );
    let file = kept
        .iter()
        .flat_map(|m| m.attachments.iter())
        .find(|a| a.file_name == "receipt.txt")
        .expect("the file came along");
    let original = before
        .iter()
        .flat_map(|m| m.attachments.iter())
        .find(|a| a.file_name == "receipt.txt")
        .unwrap();
    assert_eq!(
        file.storage_key, original.storage_key,
        "same bytes, not stored twice"
    );
    assert_ne!(file.id, original.id);
    let calls = app.store.ticket_calls(&target.id).await.unwrap();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].summary, "Called about the refund");
    let has = |events: Vec<domain::ticket::TicketEvent>, field: &str, value: i64| {
        events.iter().any(|e| {
            e.field == field
                && e.new_value == value.to_string()
                && e.actor_id == app.accounts.agent.id.as_str()
        })
    };
    assert!(has(
        app.store.ticket_events(&source.id).await.unwrap(),
        "merged_into",
        target.number
    ));
    assert!(has(
        app.store.ticket_events(&target.id).await.unwrap(),
        "merged_from",
        source.number
    ));
    // The customer sees the whole conversation on the kept ticket, and no internal note.
    let customer = app.customer_token().await;
    let v = app
        .get(&format!("/api/v1/tickets/{}", target.id), Some(&customer))
        .await
        .json();
    let bodies: Vec<&str> = v["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert!(bodies.contains(&"Refund belum masuk, please help."));
    assert!(
        !bodies
            .iter()
            .any(|b| b.contains(&format!("#{}", source.number))),
        "{bodies:?}"
    );

    // A closed ticket is never merged again, nor merged into.
    merge(&source, target.number)
        .await
        .assert_problem(409, "invalid_state");
    let third = refund(&app, "Third", now).await;
    let v = merge(&third, source.number)
        .await
        .assert_problem(409, "invalid_state");
    assert!(v["detail"].as_str().unwrap().contains("closed"));

    // On the page: the form takes a number and opens the kept ticket; a refusal is in words.
    let cookie = app.page_session("/staff/signin", "agent@example.id").await;
    let page = app
        .page(&format!("/staff/tickets/{}", third.number), Some(&cookie))
        .await
        .body;
    assert!(page.contains("data-testid=\"merge-ticket-form\""));
    assert!(
        page.contains(&format!("<option value=\"{}\">", target.number)),
        "candidates offered"
    );
    let csrf = csrf_of(&page);
    let a = app
        .post_form(
            &format!("/staff/tickets/{}/merge-into", third.number),
            &[("csrf", &csrf), ("into", &budi.number.to_string())],
            Some(&cookie),
        )
        .await;
    assert_eq!(a.status, StatusCode::CONFLICT);
    assert!(
        a.body
            .contains("Only tickets of the same requester can be merged.")
    );
    let a = app
        .post_form(
            &format!("/staff/tickets/{}/merge-into", third.number),
            &[("csrf", &csrf), ("into", &format!("#{}", target.number))],
            Some(&cookie),
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert_eq!(
        a.header("location"),
        format!("/staff/tickets/{}?done=merged-from", target.number)
    );
    let page = app
        .page(&format!("/staff/tickets/{}", target.number), Some(&cookie))
        .await
        .body;
    assert!(page.contains("Merged from"), "history in words");
}

#[tokio::test]
async fn the_ticket_page_shows_the_customer_beside_the_thread() {
    let app = spawn_app().await;
    let siti = &app.accounts.customer;
    let payment = crate::tickets::pay(&app, siti, 35_000).await;
    use domain::repo::WalletRepo;
    use domain::wallet::{FailureReason, FlagReason, RefundReason, WalletOperation};
    let idr = |m: i64| domain::Money::major(m, domain::Currency::IDR).unwrap();
    app.store
        .record_failure(
            &WalletOperation::Payment {
                customer: siti.id.clone(),
                merchant: app.accounts.merchant.id.clone(),
                amount: idr(120_000),
                hold_minutes: None,
                description: "Catering order".into(),
            },
            FailureReason::PaymentMethodDeclined,
            server::now_us(),
        )
        .await
        .unwrap();
    app.store
        .request_refund(
            &payment,
            35_000_00,
            RefundReason::NotReceived,
            server::now_us(),
        )
        .await
        .unwrap();
    app.store
        .add_flag(
            &payment,
            &siti.id,
            FlagReason::Improper,
            "Charged twice?",
            server::now_us(),
        )
        .await
        .unwrap();
    let older = open(
        &app,
        (Other, Normal, En),
        "An older question",
        server::now_us() - MINUTE,
    )
    .await;
    let t = refund(&app, "Refund please", server::now_us()).await;
    let cookie = app.page_session("/staff/signin", "agent@example.id").await;
    let page = app
        .page(&format!("/staff/tickets/{}", t.number), Some(&cookie))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let panel = &page.body[page.body.find("data-testid=\"customer-panel\"").unwrap()..];
    assert!(panel.contains("siti@example.id") && panel.contains("+6281234567890"));
    assert!(panel.contains("Jakarta"));
    assert!(
        panel.contains(" WIB</dd>"),
        "the customer's local time with their zone"
    );
    assert!(
        panel.contains("data-testid=\"panel-tx\" data-status=\"failed\""),
        "failed transaction listed"
    );
    assert!(panel.contains("class=\"row-failed\""), "and highlighted");
    assert!(panel.contains("Catering order"));
    assert!(
        panel.contains("data-testid=\"panel-refunds\""),
        "the refund"
    );
    assert!(panel.contains("Not received"), "with its reason");
    assert!(panel.contains("Charged twice?"), "the flag");
    assert!(
        panel.contains(&format!("#{} An older question", older.number)),
        "other tickets"
    );
    assert!(
        !panel.contains(&format!("#{} Refund please", t.number)),
        "not this one"
    );

    // An unknown contact: what the channel knows.
    let guest = crate::tickets::guest_ticket(&app).await;
    let page = app
        .page(&format!("/staff/tickets/{}", guest.number), Some(&cookie))
        .await
        .body;
    let panel = &page[page.find("data-testid=\"customer-panel\"").unwrap()..];
    assert!(panel.contains("Unknown contact"));
    assert!(panel.contains("dewi@example.id"));
    assert!(panel.contains("Channel identity"));
}

#[tokio::test]
async fn the_dashboard_counts_a_known_day() {
    let app = spawn_app().await;
    let now = server::now_us();
    // Four refunds and a coupon, all opened in the last day; one of them on the web.
    let a = refund(&app, "A", now - 600 * MINUTE).await;
    let b = refund(&app, "B", now - 500 * MINUTE).await;
    let c = refund(&app, "C", now - 400 * MINUTE).await;
    let d = open(&app, (Coupon, Normal, En), "D", now - 300 * MINUTE).await;
    let _e = crate::tickets::guest_ticket(&app).await; // failed_transaction, web, unanswered
    // A note first does not count as a response; the public answer 10 minutes in does.
    staff_says(&app, &a, Visibility::Internal, a.created_at_us + MINUTE).await;
    staff_says(&app, &a, Visibility::Public, a.created_at_us + 10 * MINUTE).await;
    staff_says(&app, &b, Visibility::Public, b.created_at_us + 30 * MINUTE).await;
    staff_says(&app, &c, Visibility::Public, c.created_at_us + 120 * MINUTE).await;
    // A second answer changes nothing.
    staff_says(&app, &c, Visibility::Public, c.created_at_us + 130 * MINUTE).await;
    // Solved and rated: 5 and 3; an old rating outside the 30 days does not count.
    for (t, score) in [(&a, 5), (&b, 3)] {
        set_status(&app, t, TicketStatus::Solved).await;
        app.store
            .rate_ticket(&t.id, &Rating::parse(score, "", now).unwrap(), now)
            .await
            .unwrap();
    }
    set_status(&app, &d, TicketStatus::Solved).await;
    app.store
        .rate_ticket(
            &d.id,
            &Rating::parse(1, "", now).unwrap(),
            now - 40 * 24 * 60 * MINUTE,
        )
        .await
        .unwrap();
    for outcome in ["deflected", "deflected", "deflected", "continued"] {
        app.call(
            Method::POST,
            "/api/v1/help/deflections",
            None,
            Some(json!({"query": "refund", "outcome": outcome})),
        )
        .await;
    }

    let stats = app
        .store
        .dashboard_stats(now - 30 * 24 * 60 * MINUTE, now)
        .await
        .unwrap();
    let counts = |v: &[domain::console::CountBy]| {
        v.iter()
            .map(|c| (c.key.clone(), c.count))
            .collect::<Vec<_>>()
    };
    // Open now: C (refund, app) and the guest's failed transaction (web); A, B, D are solved.
    assert_eq!(
        counts(&stats.open_by_category),
        vec![("failed_transaction".into(), 1), ("refund".into(), 1)]
    );
    assert_eq!(
        counts(&stats.open_by_channel),
        vec![("app".into(), 1), ("web".into(), 1)]
    );
    assert_eq!(
        stats.first_response.buckets,
        vec![1, 1, 1, 0, 0, 0],
        "10 min, 30 min, 2 h"
    );
    assert_eq!(stats.first_response.answered, 3);
    assert_eq!(stats.first_response.unanswered, 2, "D and the guest");
    assert_eq!(stats.first_response.average_minutes(), Some(160 / 3));
    assert_eq!(stats.satisfaction.by_score, [0, 0, 1, 0, 1]);
    assert_eq!(stats.satisfaction.average_hundredths(), Some(400));

    let cookie = app
        .page_session("/staff/signin", "supervisor@example.id")
        .await;
    let page = app.page("/staff/dashboard", Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let b = &page.body;
    assert!(b.contains("data-testid=\"figure-open\">2<"));
    assert!(b.contains("data-testid=\"figure-first-response\">53 min<"));
    assert!(b.contains("data-testid=\"figure-unanswered\">2<"));
    assert!(b.contains("data-testid=\"figure-satisfaction\">4.00 / 5 (2)<"));
    assert!(b.contains("data-testid=\"figure-deflection\">75% (3/4)<"));
    // Charts are inline SVG with a title and description, and their numbers as a table.
    assert_eq!(b.matches("<svg ").count(), 6);
    // No SLA policy here: no target decided, so no share either.
    assert!(b.contains("data-testid=\"figure-sla\">—<"));
    assert!(b.contains("<title id=\"by-category-title\">Open tickets by category</title>"));
    assert!(b.contains("aria-labelledby=\"by-category-title by-category-desc\""));
    assert!(b.contains("<th scope=\"row\">Refund</th><td class=\"num\">1</td>"));
    assert!(b.contains("<th scope=\"row\">Under 15 min</th><td class=\"num\">1</td>"));
    assert_eq!(
        b.matches("<script").count(),
        1,
        "no chart library: only the site's own small script"
    );
    // Admins see it too; agents do not.
    let admin = app.page_session("/staff/signin", "admin@example.id").await;
    assert_eq!(
        app.page("/staff/dashboard", Some(&admin)).await.status,
        StatusCode::OK
    );
    let agent_cookie = app.page_session("/staff/signin", "agent@example.id").await;
    assert_eq!(
        app.page("/staff/dashboard", Some(&agent_cookie))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn customers_and_merchant_staff_reach_none_of_the_console() {
    let app = spawn_app().await;
    let t = open_for(
        &app,
        &app.accounts.customer,
        (Refund, Normal, En),
        "Mine",
        server::now_us(),
    )
    .await;
    let other = open_for(
        &app,
        &app.accounts.customer,
        (Refund, Normal, En),
        "Also mine",
        server::now_us(),
    )
    .await;
    for (page_login, signin, api_token) in [
        ("siti@example.id", "/signin", app.customer_token().await),
        (
            "merchant@example.id",
            "/staff/signin",
            app.staff_token(&app.accounts.merchant_staff).await,
        ),
    ] {
        let cookie = app.page_session(signin, page_login).await;
        for path in [
            "/staff/dashboard",
            "/staff/canned",
            "/staff/tickets",
            &format!("/staff/tickets/{}", t.number),
        ] {
            let a = app.page(path, Some(&cookie)).await;
            assert_eq!(a.status, StatusCode::FORBIDDEN, "{page_login} GET {path}");
        }
        let csrf = csrf_of(
            &app.page(
                if signin == "/signin" {
                    "/home"
                } else {
                    "/staff"
                },
                Some(&cookie),
            )
            .await
            .body,
        );
        for path in ["/staff/availability", "/staff/queue/next", "/staff/canned"] {
            let a = app
                .post_form(
                    path,
                    &[("csrf", &csrf), ("available", "true")],
                    Some(&cookie),
                )
                .await;
            assert_eq!(a.status, StatusCode::FORBIDDEN, "{page_login} POST {path}");
        }
        let a = app
            .post_form(
                &format!("/staff/tickets/{}/merge-into", t.number),
                &[("csrf", &csrf), ("into", &other.number.to_string())],
                Some(&cookie),
            )
            .await;
        assert_eq!(a.status, StatusCode::FORBIDDEN);
        app.call(
            Method::POST,
            &format!("/api/v1/tickets/{}/merge", t.id),
            Some(&api_token),
            Some(json!({"into": other.number})),
        )
        .await
        .assert_problem(403, "forbidden");
        app.call(Method::POST, "/api/v1/queue/next", Some(&api_token), None)
            .await
            .assert_problem(403, "forbidden");
        app.call(
            Method::PUT,
            "/api/v1/me/availability",
            Some(&api_token),
            Some(json!({"available": true})),
        )
        .await
        .assert_problem(403, "forbidden");
    }
    assert_eq!(
        app.store.ticket(&t.id).await.unwrap().status,
        TicketStatus::New,
        "nothing merged"
    );
}

#[tokio::test]
async fn admins_choose_the_group_each_categorys_new_tickets_land_in() {
    let app = spawn_app().await;
    let admin = app.page_session("/staff/signin", "admin@example.id").await;
    let page = app.page("/staff/routing", Some(&admin)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let csrf = csrf_of(&page.body);
    let group = app.accounts.group.id.to_string();
    let a = app
        .post_form(
            "/staff/routing",
            &[
                ("csrf", &csrf),
                ("group_refund", &group),
                ("group_coupon", ""),
            ],
            Some(&admin),
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let t = refund(&app, "Where is my refund", server::now_us()).await;
    assert_eq!(t.group_id.as_ref(), Some(&app.accounts.group.id));
    let page = app
        .page("/staff/routing?done=saved", Some(&admin))
        .await
        .body;
    assert!(page.contains(&format!("<option value=\"{group}\" selected>")));
    // A group that does not exist is refused, and nothing changes.
    let a = app
        .post_form(
            "/staff/routing",
            &[
                ("csrf", &csrf),
                ("group_refund", &GroupId::new().to_string()),
            ],
            Some(&admin),
        )
        .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    let routes = app.store.category_groups().await.unwrap();
    assert_eq!(routes, vec![(Refund, app.accounts.group.id.clone())]);
    // Only admins.
    let agent = app.page_session("/staff/signin", "agent@example.id").await;
    assert_eq!(
        app.page("/staff/routing", Some(&agent)).await.status,
        StatusCode::FORBIDDEN
    );
}
