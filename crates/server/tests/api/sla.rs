//! SLAs: due times follow the ticket's calendar across holidays and weekends and stand
//! still while the ticket waits on the customer; warnings, breaches and escalations fire
//! once however many workers race; policy and calendar changes are recomputed in the
//! background, not on the request; only admins see and change policies.

use crate::helpers::*;
use axum::http::{Method, StatusCode};
use domain::calendar::{CalendarRepo, CalendarSpec, Holiday, OpeningInterval, StoredCalendar};
use domain::repo::TicketRepo;
use domain::sla::{SlaEventKind, SlaRepo, SlaState};
use domain::ticket::{
    Actor, ActorKind, Category, Channel, NewMessage, NewTicket, Priority, ReportedTransaction,
    Requester, Ticket, TicketChanges, TicketStatus, Visibility,
};
use domain::{Locale, RegionId};
use serde_json::{Value, json};

/// µs of a Jakarta wall-clock time.
fn wib(y: i16, mo: i8, d: i8, h: i8, mi: i8) -> i64 {
    jiff::civil::date(y, mo, d)
        .at(h, mi, 0, 0)
        .in_tz("Asia/Jakarta")
        .unwrap()
        .timestamp()
        .as_microsecond()
}

fn rfc(us: i64) -> String {
    jiff::Timestamp::from_microsecond(us).unwrap().to_string()
}

/// Monday to Friday 08:00–17:00 in Jakarta, closed on New Year's Day 2027 (a Friday),
/// for Jakarta customers.
async fn office(app: &TestApp, holidays: Vec<Holiday>) {
    office_on(&app.store, holidays).await;
}

/// [`office`] saved through `store` (any node).
async fn office_on(store: &store::Store, holidays: Vec<Holiday>) {
    let spec = CalendarSpec {
        time_zone: "Asia/Jakarta".into(),
        intervals: (0..5)
            .map(|weekday| OpeningInterval {
                weekday,
                start_minute: 8 * 60,
                end_minute: 17 * 60,
            })
            .collect(),
        holidays,
        workdays: Vec::new(),
    };
    store
        .save_calendar(&StoredCalendar {
            id: "jakarta".into(),
            name: "Jakarta office".into(),
            spec,
            updated_at_us: server::now_us(),
        })
        .await
        .unwrap();
    store
        .set_region_calendar(RegionId::from_string("id-jakarta").as_str(), "jakarta")
        .await
        .unwrap();
}

fn new_year() -> Vec<Holiday> {
    vec![Holiday {
        date: jiff::civil::date(2027, 1, 1),
        name: "Tahun Baru Masehi".into(),
    }]
}

async fn admin_put_policies(app: &TestApp, policies: Value) -> Answer {
    let admin = app.staff_token(&app.accounts.admin).await;
    app.call(
        Method::PUT,
        "/api/v1/sla/policies",
        Some(&admin),
        Some(json!({ "policies": policies })),
    )
    .await
}

/// Saves policies and runs the recompute the save queued.
async fn policies(app: &TestApp, policies: Value) {
    let a = admin_put_policies(app, policies).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    server::sla::run_sla_once(&app.state, "setup", server::now_us())
        .await
        .unwrap();
}

/// Siti's ticket opened at `at_us`.
async fn ticket_at(app: &TestApp, at_us: i64, priority: Priority) -> Ticket {
    let c = &app.accounts.customer;
    app.store
        .create_ticket(
            &NewTicket {
                requester: Requester::Customer(c.id.clone()),
                channel: Channel::App,
                category: Category::FailedTransaction,
                subject: "Payment failed".into(),
                priority,
                locale: Locale::En,
                links: vec![],
                reported: ReportedTransaction::default(),
                tags: vec![],
                first_message: customer_says("My payment failed."),
            },
            None,
            at_us,
        )
        .await
        .unwrap()
        .ticket
}

fn customer_says(body: &str) -> NewMessage {
    NewMessage {
        author_kind: ActorKind::Customer,
        author_id: "siti".into(),
        author_name: "Siti Rahayu".into(),
        visibility: Visibility::Public,
        body: body.into(),
        channel: Channel::App,
        external_id: None,
        attachments: vec![],
    }
}

fn agent_says(app: &TestApp, body: &str) -> NewMessage {
    NewMessage {
        author_kind: ActorKind::Staff,
        author_id: app.accounts.agent.id.to_string(),
        author_name: "Agus Setiawan".into(),
        visibility: Visibility::Public,
        body: body.into(),
        channel: Channel::App,
        external_id: None,
        attachments: vec![],
    }
}

async fn say(
    app: &TestApp,
    t: &Ticket,
    m: NewMessage,
    status: Option<TicketStatus>,
    at: i64,
) -> Ticket {
    app.store
        .add_message(&t.id, &m, status, None, at)
        .await
        .unwrap()
        .ticket
}

#[tokio::test]
async fn due_times_follow_the_calendar_pause_while_pending_and_restart_on_each_reply() {
    let app = spawn_app().await;
    office(&app, new_year()).await;
    policies(
        &app,
        json!([{"name": "Normal", "targets": {"first_response_minutes": 240, "next_response_minutes": 120, "resolution_minutes": 960}}]),
    )
    .await;
    // Thursday 31 December 15:00: two hours left that day, Friday is New Year's Day,
    // then the weekend: the other two hours fall on Monday morning.
    let t = ticket_at(&app, wib(2026, 12, 31, 15, 0), Priority::Normal).await;
    assert_eq!(t.sla.calendar_id.as_deref(), Some("jakarta"));
    assert_eq!(t.sla.first_response_due_us, Some(wib(2027, 1, 4, 10, 0)));
    // 960 minutes: Thursday 120, Monday 540, Tuesday 300.
    assert_eq!(t.sla.resolution_due_us, Some(wib(2027, 1, 5, 13, 0)));
    assert_eq!(t.sla.next_due_us, t.sla.first_response_due_us);

    // Staff see the due times; the customer does not.
    let agent = app.staff_token(&app.accounts.agent).await;
    let v = app
        .get(&format!("/api/v1/tickets/{}", t.id), Some(&agent))
        .await
        .json();
    assert_eq!(
        v["ticket"]["first_response_due"],
        rfc(wib(2027, 1, 4, 10, 0))
    );
    assert_eq!(v["ticket"]["resolution_due"], rfc(wib(2027, 1, 5, 13, 0)));
    assert!(v["ticket"]["next_response_due"].is_null());
    let siti = app.customer_token().await;
    let v = app
        .get(&format!("/api/v1/tickets/{}", t.id), Some(&siti))
        .await
        .json();
    assert!(v["ticket"]["first_response_due"].is_null(), "{v}");
    assert!(v["ticket"]["sla_state"].is_null());

    // Monday 09:00 the agent answers and asks for a receipt: the clocks stand still.
    let t = say(
        &app,
        &t,
        agent_says(&app, "Could you send the receipt?"),
        Some(TicketStatus::PendingCustomer),
        wib(2027, 1, 4, 9, 0),
    )
    .await;
    assert_eq!(t.sla.first_response_due_us, None);
    assert_eq!(t.sla.resolution_due_us, None);
    assert_eq!(t.sla.next_due_us, None);
    assert_eq!(t.sla.state(wib(2027, 1, 20, 0, 0)), SlaState::Paused);
    let v = app
        .get(&format!("/api/v1/tickets/{}", t.id), Some(&agent))
        .await
        .json();
    assert_eq!(v["ticket"]["sla_state"], "paused");

    // Tuesday 10:30 she sends it: next response runs from now, resolution resumes with
    // 780 of its 960 minutes left (390 on Tuesday, 390 on Wednesday).
    let t = say(
        &app,
        &t,
        customer_says("Here it is."),
        None,
        wib(2027, 1, 5, 10, 30),
    )
    .await;
    assert_eq!(t.status, TicketStatus::Open);
    assert_eq!(t.sla.next_response_due_us, Some(wib(2027, 1, 5, 12, 30)));
    assert_eq!(t.sla.resolution_due_us, Some(wib(2027, 1, 6, 14, 30)));
    // A second message before any answer does not move the promise.
    let t = say(
        &app,
        &t,
        customer_says("Hello?"),
        None,
        wib(2027, 1, 5, 11, 0),
    )
    .await;
    assert_eq!(t.sla.next_response_due_us, Some(wib(2027, 1, 5, 12, 30)));
    // The agent answers; her next message starts a new next-response clock.
    let t = say(
        &app,
        &t,
        agent_says(&app, "Checking."),
        None,
        wib(2027, 1, 5, 11, 30),
    )
    .await;
    assert_eq!(t.sla.next_response_due_us, None);
    assert_eq!(t.sla.next_due_us, Some(wib(2027, 1, 6, 14, 30)));
    let t = say(
        &app,
        &t,
        customer_says("Thanks"),
        None,
        wib(2027, 1, 5, 13, 0),
    )
    .await;
    assert_eq!(t.sla.next_response_due_us, Some(wib(2027, 1, 5, 15, 0)));
    // An internal note answers nothing.
    let mut note = agent_says(&app, "Asked the bank.");
    note.visibility = Visibility::Internal;
    let t = say(&app, &t, note, None, wib(2027, 1, 5, 13, 30)).await;
    assert_eq!(t.sla.next_response_due_us, Some(wib(2027, 1, 5, 15, 0)));

    // Solved: every clock stops, every target met on time.
    let t = say(
        &app,
        &t,
        agent_says(&app, "Refunded."),
        Some(TicketStatus::Solved),
        wib(2027, 1, 5, 14, 0),
    )
    .await;
    assert_eq!(t.sla.next_due_us, None);
    assert_eq!(t.sla.state(i64::MAX), SlaState::Met);
    let v = app
        .get(&format!("/api/v1/tickets/{}", t.id), Some(&agent))
        .await
        .json();
    assert_eq!(v["ticket"]["sla_state"], "met");
}

#[tokio::test]
async fn the_first_matching_policy_applies_and_a_priority_change_reapplies_at_once() {
    let app = spawn_app().await;
    office(&app, new_year()).await;
    policies(
        &app,
        json!([
            {"name": "Urgent", "conditions": {"priorities": ["urgent"]}, "targets": {"first_response_minutes": 30}},
            {"name": "VIP", "conditions": {"segments": ["vip"]}, "targets": {"first_response_minutes": 60}},
            {"name": "Everyone else", "targets": {"first_response_minutes": 240}}
        ]),
    )
    .await;
    let at = wib(2027, 1, 4, 9, 0);
    let t = ticket_at(&app, at, Priority::Normal).await;
    assert_eq!(t.sla.first_response_due_us, Some(wib(2027, 1, 4, 13, 0)));
    let supervisor = Actor {
        kind: ActorKind::Staff,
        id: app.accounts.supervisor.id.to_string(),
        name: "Ratna Sari".into(),
    };
    let t = app
        .store
        .update_ticket(
            &t.id,
            &TicketChanges {
                tags: Some(vec!["vip".into()]),
                ..TicketChanges::default()
            },
            &supervisor,
            wib(2027, 1, 4, 9, 5),
        )
        .await
        .unwrap();
    assert_eq!(t.sla.first_response_due_us, Some(wib(2027, 1, 4, 10, 0)));
    let t = app
        .store
        .update_ticket(
            &t.id,
            &TicketChanges {
                priority: Some(Priority::Urgent),
                ..TicketChanges::default()
            },
            &supervisor,
            wib(2027, 1, 4, 9, 10),
        )
        .await
        .unwrap();
    assert_eq!(t.sla.first_response_due_us, Some(wib(2027, 1, 4, 9, 30)));
    let policies = app.store.sla_policies().await.unwrap();
    assert_eq!(t.sla.policy_id.as_deref(), Some(policies[0].id.as_str()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn warning_breach_and_escalation_each_fire_once_with_two_workers_racing() {
    let app = spawn_app().await;
    office(&app, new_year()).await;
    policies(
        &app,
        json!([{"name": "Fast", "targets": {"first_response_minutes": 60}, "warn_before_minutes": 30, "escalate_after_minutes": 60}]),
    )
    .await;
    let t = ticket_at(&app, wib(2027, 1, 4, 9, 0), Priority::Normal).await;
    // Due 10:00; a 60-minute target warns a fifth ahead (09:48); escalation an hour of
    // business time after the breach.
    let events = app.store.ticket_sla_events(&t.id).await.unwrap();
    let at = |k: SlaEventKind| events.iter().find(|e| e.kind == k).unwrap().fire_at_us;
    assert_eq!(at(SlaEventKind::Warning), wib(2027, 1, 4, 9, 48));
    assert_eq!(at(SlaEventKind::Breach), wib(2027, 1, 4, 10, 0));
    assert_eq!(at(SlaEventKind::Escalation), wib(2027, 1, 4, 11, 0));

    let race = |now: i64| {
        let (a, b) = (app.state.clone(), app.state.clone());
        async move {
            let one =
                tokio::spawn(async move { server::sla::run_sla_once(&a, "node-a", now).await });
            let two =
                tokio::spawn(async move { server::sla::run_sla_once(&b, "node-b", now).await });
            one.await.unwrap().unwrap().fired + two.await.unwrap().unwrap().fired
        }
    };
    assert_eq!(race(wib(2027, 1, 4, 9, 40)).await, 0, "nothing is due yet");
    assert_eq!(race(wib(2027, 1, 4, 9, 50)).await, 1, "the warning");
    assert_eq!(race(wib(2027, 1, 4, 9, 55)).await, 0);
    assert_eq!(race(wib(2027, 1, 4, 10, 1)).await, 1, "the breach");
    assert_eq!(race(wib(2027, 1, 4, 10, 30)).await, 0);
    assert_eq!(race(wib(2027, 1, 4, 11, 2)).await, 1, "the escalation");
    assert_eq!(race(wib(2027, 1, 4, 16, 0)).await, 0);

    let history = app.store.ticket_events(&t.id).await.unwrap();
    for field in ["sla_warning", "sla_breach", "sla_escalation"] {
        let n = history.iter().filter(|e| e.field == field).count();
        assert_eq!(n, 1, "{field} recorded once");
    }
    let notes: Vec<String> = app
        .store
        .ticket_messages(&t.id)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.author_kind == ActorKind::System && m.visibility == Visibility::Internal)
        .map(|m| m.body)
        .collect();
    assert_eq!(
        notes,
        vec![
            "SLA breached: First response was due 2027-01-04 10:00 WIB.".to_owned(),
            "Escalated to Ratna Sari (supervisor): First response was due 2027-01-04 10:00 WIB and is still not met.".to_owned(),
        ]
    );
    let t = app.store.ticket(&t.id).await.unwrap();
    assert!(t.tags.contains(&"sla-escalated".to_owned()));
    assert_eq!(t.sla.state(wib(2027, 1, 4, 16, 0)), SlaState::Breached);
    assert!(
        app.store
            .ticket_sla_events(&t.id)
            .await
            .unwrap()
            .iter()
            .all(|e| e.state == "done")
    );
}

#[tokio::test]
async fn an_answer_in_time_cancels_the_breach_and_a_pause_moves_it() {
    let app = spawn_app().await;
    office(&app, new_year()).await;
    policies(
        &app,
        json!([{"name": "Fast", "targets": {"first_response_minutes": 60, "resolution_minutes": 120}}]),
    )
    .await;
    let t = ticket_at(&app, wib(2027, 1, 4, 9, 0), Priority::Normal).await;
    let t = say(
        &app,
        &t,
        agent_says(&app, "Which transaction?"),
        Some(TicketStatus::PendingCustomer),
        wib(2027, 1, 4, 9, 30),
    )
    .await;
    // Waiting on Siti: nothing fires however late it gets.
    let round = server::sla::run_sla_once(&app.state, "n", wib(2027, 1, 6, 12, 0))
        .await
        .unwrap();
    assert_eq!(round.fired, 0);
    // She answers Wednesday 12:00; 90 resolution minutes left: due 13:30.
    let t = say(
        &app,
        &t,
        customer_says("The 35,000 one"),
        None,
        wib(2027, 1, 6, 12, 0),
    )
    .await;
    assert_eq!(t.sla.resolution_due_us, Some(wib(2027, 1, 6, 13, 30)));
    let breach = app
        .store
        .ticket_sla_events(&t.id)
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.kind == SlaEventKind::Breach && e.target.as_str() == "resolution")
        .unwrap();
    assert_eq!(breach.fire_at_us, wib(2027, 1, 6, 13, 30));
    say(
        &app,
        &t,
        agent_says(&app, "Done"),
        Some(TicketStatus::Solved),
        wib(2027, 1, 6, 13, 0),
    )
    .await;
    let round = server::sla::run_sla_once(&app.state, "n", wib(2027, 1, 7, 12, 0))
        .await
        .unwrap();
    assert_eq!(round.fired, 0, "met in time: no breach");
}

#[tokio::test]
async fn policy_and_calendar_changes_are_recomputed_in_the_background() {
    let app = spawn_app().await;
    office(&app, new_year()).await;
    policies(
        &app,
        json!([{"name": "Normal", "targets": {"first_response_minutes": 240}}]),
    )
    .await;
    let t = ticket_at(&app, wib(2027, 1, 4, 9, 0), Priority::Normal).await;
    assert_eq!(t.sla.first_response_due_us, Some(wib(2027, 1, 4, 13, 0)));

    // The request only marks the ticket.
    let a = admin_put_policies(
        &app,
        json!([{"name": "Normal", "targets": {"first_response_minutes": 60}}]),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.json()["tickets_to_recompute"], 1);
    let unchanged = app.store.ticket(&t.id).await.unwrap();
    assert_eq!(
        unchanged.sla.first_response_due_us,
        Some(wib(2027, 1, 4, 13, 0))
    );
    // The worker recomputes it.
    let round = server::sla::run_sla_once(&app.state, "n", server::now_us())
        .await
        .unwrap();
    assert_eq!(round.recomputed, 1);
    let t = app.store.ticket(&t.id).await.unwrap();
    assert_eq!(t.sla.first_response_due_us, Some(wib(2027, 1, 4, 10, 0)));
    assert_eq!(app.store.sla_dirty_count().await.unwrap(), 0);

    // Monday 4 January becomes a holiday: due Tuesday 09:00 once the worker has run.
    let mut holidays = new_year();
    holidays.push(Holiday {
        date: jiff::civil::date(2027, 1, 4),
        name: "Cuti bersama".into(),
    });
    office(&app, holidays).await;
    let t = app.store.ticket(&t.id).await.unwrap();
    assert_eq!(t.sla.first_response_due_us, Some(wib(2027, 1, 4, 10, 0)));
    server::sla::run_sla_once(&app.state, "n", server::now_us())
        .await
        .unwrap();
    let t = app.store.ticket(&t.id).await.unwrap();
    assert_eq!(t.sla.first_response_due_us, Some(wib(2027, 1, 5, 9, 0)));
}

#[tokio::test]
async fn only_admins_read_and_change_policies_and_mistakes_are_named() {
    let app = spawn_app().await;
    let body = json!({"policies": [{"name": "All", "targets": {"first_response_minutes": 60}}]});
    for who in [
        Some(app.customer_token().await),
        Some(app.staff_token(&app.accounts.merchant_staff).await),
        Some(app.staff_token(&app.accounts.agent).await),
        Some(app.staff_token(&app.accounts.supervisor).await),
    ] {
        app.get("/api/v1/sla/policies", who.as_deref())
            .await
            .assert_problem(403, "forbidden");
        app.call(
            Method::PUT,
            "/api/v1/sla/policies",
            who.as_deref(),
            Some(body.clone()),
        )
        .await
        .assert_problem(403, "forbidden");
    }
    app.get("/api/v1/sla/policies", None)
        .await
        .assert_problem(401, "unauthenticated");
    assert!(app.store.sla_policies().await.unwrap().is_empty());

    let a = admin_put_policies(
        &app,
        json!([{"name": " ", "conditions": {"priorities": ["sometimes"]}, "targets": {"first_response_minutes": 0}}]),
    )
    .await;
    assert_eq!(
        a.invalid_fields(),
        [
            "policies[0].conditions.priorities",
            "policies[0].name",
            "policies[0].targets.first_response_minutes"
        ]
    );
    let admin = app.staff_token(&app.accounts.admin).await;
    let saved = app
        .call(
            Method::PUT,
            "/api/v1/sla/policies",
            Some(&admin),
            Some(body),
        )
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    let v = app.get("/api/v1/sla/policies", Some(&admin)).await.json();
    assert_eq!(v["policies"][0]["name"], "All");
    assert_eq!(v["policies"][0]["warn_before_minutes"], 30);
    assert!(!v["policies"][0]["id"].as_str().unwrap().is_empty());
}

#[tokio::test]
async fn admins_edit_policies_on_a_page_and_agents_see_due_badges() {
    let app = spawn_app().await;
    let agent = app.page_session("/staff/signin", "agent@example.id").await;
    let page = app.page("/staff/sla", Some(&agent)).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN, "{}", page.body);
    let admin = app.page_session("/staff/signin", "admin@example.id").await;
    let page = app.page("/staff/sla", Some(&admin)).await;
    assert_eq!(page.status, StatusCode::OK);
    let csrf = csrf_of(&page.body);
    let a = app
        .post_form(
            "/staff/sla",
            &[
                ("csrf", &csrf),
                ("name_0", "Urgent"),
                ("priority_0", "urgent"),
                ("first_0", "30"),
                ("resolution_0", "240"),
                ("name_1", "Everyone"),
                ("first_1", "240"),
            ],
            Some(&admin),
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let saved = app.store.sla_policies().await.unwrap();
    assert_eq!(saved.len(), 2);
    assert_eq!(saved[0].conditions.priorities, vec![Priority::Urgent]);
    let page = app.page("/staff/sla?saved=1", Some(&admin)).await;
    assert!(page.body.contains("value=\"Everyone\""));
    // A bad number is refused with the fields named, and what was typed stays.
    let a = app
        .post_form(
            "/staff/sla",
            &[("csrf", &csrf), ("name_0", "Broken"), ("first_0", "soon")],
            Some(&admin),
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(a.body.contains("value=\"Broken\""));
    assert_eq!(app.store.sla_policies().await.unwrap().len(), 2);

    // A ticket opened now (no calendar: around the clock) is due in four hours.
    let t = ticket_at(&app, server::now_us(), Priority::Normal).await;
    let page = app
        .page(&format!("/staff/tickets/{}", t.number), Some(&agent))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body
            .contains("data-testid=\"sla-first_response\" data-state=\"running\""),
        "{}",
        page.body
    );
    assert!(page.body.contains("due in 3 h 5") || page.body.contains("due in 4 h"));
}

#[tokio::test]
async fn merging_a_duplicate_stops_its_clocks() {
    use domain::console::{ConsoleRepo, MergeNotes};
    let app = spawn_app().await;
    office(&app, new_year()).await;
    policies(
        &app,
        json!([{"name": "Normal", "targets": {"first_response_minutes": 240, "resolution_minutes": 960}}]),
    )
    .await;
    let kept = ticket_at(&app, wib(2027, 1, 4, 9, 0), Priority::Normal).await;
    let duplicate = ticket_at(&app, wib(2027, 1, 4, 9, 30), Priority::Normal).await;
    assert!(duplicate.sla.next_due_us.is_some());
    let agent = Actor {
        kind: ActorKind::Staff,
        id: app.accounts.agent.id.to_string(),
        name: "Agus Setiawan".into(),
    };
    let notes = MergeNotes {
        source: format!("Merged into #{}", kept.number),
        target: format!("Merged from #{}", duplicate.number),
    };
    let after = app
        .store
        .merge_tickets(
            &duplicate.id,
            &kept.id,
            &agent,
            &notes,
            wib(2027, 1, 4, 10, 0),
        )
        .await
        .unwrap();
    assert_eq!(
        after.sla.first_response_due_us,
        Some(wib(2027, 1, 4, 13, 0))
    );
    let closed = app.store.ticket(&duplicate.id).await.unwrap();
    assert_eq!(closed.status, TicketStatus::Closed);
    assert_eq!(closed.sla.next_due_us, None);
    assert!(
        app.store
            .ticket_sla_events(&duplicate.id)
            .await
            .unwrap()
            .is_empty(),
        "nothing left to fire on a closed duplicate"
    );
}

#[tokio::test]
async fn the_dashboard_counts_targets_met_missed_and_still_running() {
    use domain::console::ConsoleRepo;
    let app = spawn_app().await;
    office(&app, new_year()).await;
    policies(
        &app,
        json!([{"name": "Normal", "targets": {"first_response_minutes": 60, "resolution_minutes": 480}}]),
    )
    .await;
    // Monday 4 January 2027, office from 08:00: answered in 30 minutes (met), answered in
    // two hours (missed), never answered by noon (missed, still running), and opened at
    // 11:30 (30 of its 60 minutes left at noon: not decided).
    let in_time = ticket_at(&app, wib(2027, 1, 4, 9, 0), Priority::Normal).await;
    say(
        &app,
        &in_time,
        agent_says(&app, "On it."),
        None,
        wib(2027, 1, 4, 9, 30),
    )
    .await;
    let late = ticket_at(&app, wib(2027, 1, 4, 9, 0), Priority::Normal).await;
    say(
        &app,
        &late,
        agent_says(&app, "Sorry."),
        None,
        wib(2027, 1, 4, 11, 0),
    )
    .await;
    ticket_at(&app, wib(2027, 1, 4, 9, 0), Priority::Normal).await;
    ticket_at(&app, wib(2027, 1, 4, 11, 30), Priority::Normal).await;

    let stats = app
        .store
        .dashboard_stats(wib(2027, 1, 1, 0, 0), wib(2027, 1, 4, 12, 0))
        .await
        .unwrap();
    let of = |target: &str| {
        let t = stats
            .sla
            .targets
            .iter()
            .find(|t| t.target.as_str() == target)
            .unwrap();
        (t.met, t.missed, t.running)
    };
    assert_eq!(of("first_response"), (1, 2, 1));
    assert_eq!(
        of("resolution"),
        (0, 0, 4),
        "eight hours: all still running"
    );
    assert_eq!(of("next_response"), (0, 0, 0), "no target in the policy");
    assert_eq!(stats.sla.targets[0].percent(), Some(33));
    // A period that starts after these tickets counts none of them.
    let later = app
        .store
        .dashboard_stats(wib(2027, 1, 5, 0, 0), wib(2027, 1, 5, 12, 0))
        .await
        .unwrap();
    assert!(
        later
            .sla
            .targets
            .iter()
            .all(|t| t.met + t.missed + t.running == 0)
    );
}

/// Nodes keep the ticket settings (policies, calendars, routes) in memory: a change saved
/// through another node on the same database applies to the very next ticket here, and
/// a new ticket's row is what reading it back gives.
#[tokio::test]
async fn settings_saved_by_another_node_apply_to_the_next_ticket_here() {
    let app = spawn_app().await;
    // This node reads the (empty) settings: no policy, calendar or route.
    let before = ticket_at(&app, wib(2027, 1, 4, 9, 0), Priority::Normal).await;
    assert_eq!(before.sla.policy_id, None);
    assert_eq!(before.sla.calendar_id, None);
    assert_eq!(before.group_id, None);

    let other = store::Store::open(&store::StoreOptions {
        sqlite_full_sync: false,
        ..store::StoreOptions::new(app.url.clone(), 2)
    })
    .await
    .unwrap();
    office_on(&other, new_year()).await;
    other
        .save_sla_policies(
            &[domain::sla::SlaPolicy {
                id: "normal".into(),
                name: "Normal".into(),
                conditions: Default::default(),
                targets: domain::sla::SlaTargets {
                    first_response_minutes: Some(240),
                    ..Default::default()
                },
                warn_before_minutes: 30,
                escalate_after_minutes: 60,
            }],
            server::now_us(),
        )
        .await
        .unwrap();
    domain::console::ConsoleRepo::set_category_group(
        &other,
        Category::FailedTransaction,
        Some(&app.accounts.group.id),
    )
    .await
    .unwrap();

    let after = ticket_at(&app, wib(2027, 1, 4, 9, 0), Priority::Normal).await;
    assert_eq!(after.sla.policy_id.as_deref(), Some("normal"));
    assert_eq!(after.sla.calendar_id.as_deref(), Some("jakarta"));
    assert_eq!(
        after.sla.first_response_due_us,
        Some(wib(2027, 1, 4, 13, 0))
    );
    assert_eq!(after.group_id.as_ref(), Some(&app.accounts.group.id));
    assert_eq!(app.store.ticket(&after.id).await.unwrap(), after);
    let events = app.store.ticket_sla_events(&after.id).await.unwrap();
    assert_eq!(
        events.len(),
        3,
        "warning, breach and escalation: {events:?}"
    );
    let history = app.store.ticket_events(&after.id).await.unwrap();
    let fields: Vec<&str> = history.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(&fields[..2], ["status", "group_id"]);
}
