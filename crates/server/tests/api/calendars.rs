//! Business calendars in use: admins define them, customers and visitors see support hours,
//! messages out of hours get a reply naming the next opening in the customer's language,
//! night calls become call-backs that one agent at a time works.

use crate::helpers::*;
use crate::tickets::customer_ticket;
use axum::http::{Method, StatusCode};
use domain::Locale;
use domain::calendar::{CalendarRepo, CallbackState};
use domain::repo::TicketRepo;
use domain::ticket::{ActorKind, Channel, Visibility};
use serde_json::{Value, json};

/// Monday to Friday 08:00–17:00 in Jakarta, closed on Independence Day.
fn office() -> Value {
    json!({
        "name": "Jakarta office",
        "time_zone": "Asia/Jakarta",
        "intervals": (0..5).map(|d| json!({"weekday": d, "opens": "08:00", "closes": "17:00"})).collect::<Vec<_>>(),
        "holidays": [{"date": "2026-08-17", "name": "Hari Kemerdekaan"}]
    })
}

async fn admin_put(app: &TestApp, path: &str, body: Value) -> Answer {
    let admin = app.staff_token(&app.accounts.admin).await;
    app.call(Method::PUT, path, Some(&admin), Some(body)).await
}

/// Saves the office calendar and makes it apply to Jakarta customers and the web channel.
async fn office_for_jakarta(app: &TestApp) {
    let a = admin_put(app, "/api/v1/calendars/jakarta", office()).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let a = admin_put(
        app,
        "/api/v1/calendar-assignments",
        json!({"regions": {"id-jakarta": "jakarta"}, "channels": {"web": "jakarta", "messenger": "jakarta", "phone": "jakarta"}}),
    )
    .await;
    assert_eq!(a.status, StatusCode::NO_CONTENT, "{}", a.body);
}

fn us(s: &str) -> i64 {
    s.parse::<jiff::Timestamp>().unwrap().as_microsecond()
}

#[tokio::test]
async fn admins_save_calendars_and_every_mistake_is_named() {
    let app = spawn_app().await;
    let a = admin_put(
        &app,
        "/api/v1/calendars/jakarta",
        json!({"name": "", "time_zone": "Mars/Base", "intervals": [{"weekday": 0, "opens": "8am", "closes": "17:00"}], "holidays": [{"date": "17/08/2026", "name": "x"}]}),
    )
    .await;
    let p = a.assert_problem(422, "validation_failed");
    let fields: Vec<&str> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        ["name", "intervals", "holidays", "time_zone"],
        "{p}"
    );
    admin_put(&app, "/api/v1/calendars/Bad%20Id", office())
        .await
        .assert_problem(422, "validation_failed");
    office_for_jakarta(&app).await;
    admin_put(
        &app,
        "/api/v1/calendar-assignments",
        json!({"regions": {"atlantis": "jakarta"}, "channels": {"fax": "nope"}}),
    )
    .await
    .assert_problem(422, "validation_failed");
    let agent = app.staff_token(&app.accounts.agent).await;
    let list = app.get("/api/v1/calendars", Some(&agent)).await.json();
    assert_eq!(list[0]["id"], "jakarta");
    assert_eq!(list[0]["regions"], json!(["id-jakarta"]));
    assert_eq!(
        list[0]["intervals"][0],
        json!({"weekday": 0, "opens": "08:00", "closes": "17:00"})
    );
}

#[tokio::test]
async fn support_hours_follow_the_customers_region_in_their_language() {
    let app = spawn_app().await;
    // No calendar: support counts as open and says so.
    let a = app.get("/api/v1/support-hours", None).await.json();
    assert_eq!(a["known"], false);
    assert_eq!(a["open_now"], true);
    office_for_jakarta(&app).await;
    let siti = app.customer_token().await;
    let a = app
        .get("/api/v1/support-hours?locale=id", Some(&siti))
        .await
        .json();
    assert_eq!(a["known"], true);
    assert_eq!(a["weekly"][0], "Senin–Jumat: 08:00–17:00", "{a}");
    assert_eq!(a["weekly"][1], "Sabtu–Minggu: tutup");
    if a["open_now"] == false {
        assert!(a["summary"].as_str().unwrap().contains("WIB"), "{a}");
    }
    app.get("/api/v1/support-hours?channel=fax", None)
        .await
        .assert_problem(422, "validation_failed");
}

#[tokio::test]
async fn a_message_out_of_hours_is_answered_once_with_the_next_opening_in_each_language() {
    let app = spawn_app().await;
    office_for_jakarta(&app).await;
    // Sunday 29 November 2026, 10:00 WIB: closed until Monday 08:00 WIB.
    let sunday = us("2026-11-29T03:00:00Z");
    for (locale, expected) in [
        (Locale::En, "Monday 08:00 WIB"),
        (Locale::Id, "Senin pukul 08:00 WIB"),
        (Locale::ZhCn, "周一 08:00（WIB）"),
    ] {
        let mut t = customer_ticket(&app, "Payment failed").await;
        t.locale = locale;
        assert!(
            server::calendars::reply_if_closed(&app.state, &t, sunday)
                .await
                .unwrap()
        );
        let messages = app.store.ticket_messages(&t.id).await.unwrap();
        let reply = messages.last().unwrap();
        assert_eq!(reply.author_kind, ActorKind::System);
        assert_eq!(reply.visibility, Visibility::Public);
        assert!(reply.body.contains(expected), "{locale:?}: {}", reply.body);
        // A second message in the same closed spell gets no second reply.
        assert!(
            !server::calendars::reply_if_closed(&app.state, &t, sunday + 3_600_000_000)
                .await
                .unwrap()
        );
        // Open on Monday 09:00: no reply at all.
        assert!(
            !server::calendars::reply_if_closed(&app.state, &t, us("2026-11-30T02:00:00Z"))
                .await
                .unwrap()
        );
    }
    // Further than a week away (a long holiday), the date is named too.
    let mut t = customer_ticket(&app, "Holiday").await;
    t.locale = Locale::En;
    let cal = app.store.calendar("jakarta").await.unwrap();
    let mut spec = cal.spec.clone();
    for (m, d) in [
        (11, 30),
        (12, 1),
        (12, 2),
        (12, 3),
        (12, 4),
        (12, 7),
        (12, 8),
        (12, 9),
    ] {
        spec.holidays.push(domain::calendar::Holiday {
            date: jiff::civil::Date::new(2026, m, d).unwrap(),
            name: "Long holiday".into(),
        });
    }
    app.store
        .save_calendar(&domain::calendar::StoredCalendar { spec, ..cal })
        .await
        .unwrap();
    assert!(
        server::calendars::reply_if_closed(&app.state, &t, sunday)
            .await
            .unwrap()
    );
    let body = app
        .store
        .ticket_messages(&t.id)
        .await
        .unwrap()
        .last()
        .unwrap()
        .body
        .clone();
    assert!(body.contains("Thursday 10 December, 08:00 WIB"), "{body}");
}

#[tokio::test]
async fn a_guest_writing_when_support_is_closed_hears_when_it_opens() {
    let app = spawn_app().await;
    // Open only on the weekday three days from now in Jakarta: closed whenever this runs.
    let today = jiff::Timestamp::now()
        .in_tz("Asia/Jakarta")
        .unwrap()
        .weekday()
        .to_monday_zero_offset();
    let day = (today + 3) % 7;
    let admin = app.staff_token(&app.accounts.admin).await;
    let a = app
        .call(Method::PUT, "/api/v1/calendars/rare", Some(&admin), Some(json!({"name": "Rare", "time_zone": "Asia/Jakarta", "intervals": [{"weekday": day, "opens": "08:00", "closes": "09:00"}]})))
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    app.call(
        Method::PUT,
        "/api/v1/calendar-assignments",
        Some(&admin),
        Some(json!({"channels": {"web": "rare"}})),
    )
    .await;
    let a = app
        .call(Method::POST, "/api/v1/tickets", None, Some(json!({"category": "other", "subject": "Hello", "body": "Are you there?", "guest": {"name": "Dewi", "email": "dewi@example.id"}, "locale": "en"})))
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    let id = a.json()["id"].as_str().unwrap().to_owned();
    let messages = app.store.ticket_messages(&id).await.unwrap();
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert!(
        messages[1].body.contains("08:00 WIB"),
        "{}",
        messages[1].body
    );
    let hours = app
        .get("/api/v1/support-hours?locale=en", None)
        .await
        .json();
    assert_eq!(hours["open_now"], false);
    assert!(
        hours["summary"].as_str().unwrap().contains("08:00 WIB"),
        "{hours}"
    );
}

#[tokio::test]
async fn a_night_call_becomes_one_call_back_that_one_agent_at_a_time_works() {
    let app = spawn_app().await;
    office_for_jakarta(&app).await;
    let t = customer_ticket(&app, "Call").await;
    let night = us("2026-11-30T16:00:00Z"); // Monday 23:00 WIB
    let due = server::calendars::callback_if_closed(&app.state, &t, "+6281234567890", night)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(due, us("2026-12-01T01:00:00Z")); // Tuesday 08:00 WIB
    // The caller rings again: still one call-back.
    server::calendars::callback_if_closed(&app.state, &t, "+6281234567890", night + 60_000_000)
        .await
        .unwrap();
    assert_eq!(app.store.open_callbacks(10).await.unwrap().len(), 1);
    // Not due yet: nobody gets it.
    assert!(
        app.store
            .claim_next_callback("a", night, 900_000_000)
            .await
            .unwrap()
            .is_none()
    );
    // Two agents at once at opening time: exactly one gets it.
    let (x, y) = tokio::join!(
        app.store.claim_next_callback("agent-a", due, 900_000_000),
        app.store.claim_next_callback("agent-b", due, 900_000_000)
    );
    let winners: Vec<_> = [x.unwrap(), y.unwrap()].into_iter().flatten().collect();
    assert_eq!(winners.len(), 1);
    let cb = &winners[0];
    let loser = if cb.claimed_by.as_deref() == Some("agent-a") {
        "agent-b"
    } else {
        "agent-a"
    };
    assert!(
        app.store
            .finish_callback(&cb.id, loser, CallbackState::Done, "", due)
            .await
            .is_err()
    );
    let done = app
        .store
        .finish_callback(
            &cb.id,
            cb.claimed_by.as_deref().unwrap(),
            CallbackState::Done,
            "Explained the refund",
            due,
        )
        .await
        .unwrap();
    assert_eq!(done.state, CallbackState::Done);
    assert!(app.store.open_callbacks(10).await.unwrap().is_empty());
    // During opening hours a call needs no call-back.
    assert_eq!(
        server::calendars::callback_if_closed(
            &app.state,
            &t,
            "+6281234567890",
            us("2026-12-01T02:00:00Z")
        )
        .await
        .unwrap(),
        None
    );
    let _ = Channel::Phone;
}

#[tokio::test]
async fn the_call_back_queue_api_hands_each_call_back_out_once() {
    let app = spawn_app().await;
    office_for_jakarta(&app).await;
    let t = customer_ticket(&app, "Call").await;
    // Due in the past, so it can be taken now.
    app.store
        .create_callback(&t.id, "+6281234567890", 1, 1)
        .await
        .unwrap();
    let agent = app.staff_token(&app.accounts.agent).await;
    let sup = app.staff_token(&app.accounts.supervisor).await;
    let first = app
        .call(Method::POST, "/api/v1/callbacks/claim", Some(&agent), None)
        .await
        .json();
    assert_eq!(first["phone"], "+6281234567890");
    let second = app
        .call(Method::POST, "/api/v1/callbacks/claim", Some(&sup), None)
        .await
        .json();
    assert!(second.is_null(), "{second}");
    let id = first["id"].as_str().unwrap();
    app.call(
        Method::POST,
        &format!("/api/v1/callbacks/{id}/finish"),
        Some(&sup),
        Some(json!({"state": "done"})),
    )
    .await
    .assert_problem(409, "invalid_state");
    let a = app
        .call(
            Method::POST,
            &format!("/api/v1/callbacks/{id}/finish"),
            Some(&agent),
            Some(json!({"state": "done", "outcome": "Resolved by phone"})),
        )
        .await;
    assert_eq!(a.json()["state"], "done", "{}", a.body);
}

#[tokio::test]
async fn admins_edit_calendars_on_a_page_and_agents_cannot() {
    let app = spawn_app().await;
    let cookie = app.page_session("/staff/signin", "admin@example.id").await;
    let page = app.page("/staff/calendars/jakarta", Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    let csrf = csrf_of(&page.body);
    // A line that cannot be read is named, and what was typed stays.
    let a = app
        .post_form(
            "/staff/calendars/jakarta",
            &[
                ("csrf", &csrf),
                ("name", "Jakarta"),
                ("time_zone", "Asia/Jakarta"),
                ("hours", "Mon-Fri 08:00-17:00\nSomeday 09:00-10:00"),
                ("holidays", ""),
                ("action", "save"),
            ],
            Some(&cookie),
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(a.body.contains("Someday 09:00-10:00"));
    // Importing the shipped Indonesian holidays fills the list without saving yet.
    let a = app
        .post_form(
            "/staff/calendars/jakarta",
            &[
                ("csrf", &csrf),
                ("name", "Jakarta"),
                ("time_zone", "Asia/Jakarta"),
                ("hours", "Mon-Fri 08:00-17:00"),
                ("holidays", ""),
                ("action", "import-ID"),
            ],
            Some(&cookie),
        )
        .await;
    assert!(
        a.body.contains("2026-03-20 Idul Fitri 1447 H"),
        "{}",
        a.body
    );
    assert!(a.body.contains("2027-02-06 Tahun Baru Imlek 2578 Kongzili"));
    assert!(app.store.calendars().await.unwrap().is_empty());
    let a = app
        .post_form(
            "/staff/calendars/jakarta",
            &[
                ("csrf", &csrf),
                ("name", "Jakarta"),
                ("time_zone", "Asia/Jakarta"),
                ("hours", "Mon-Fri 08:00-17:00\nSat 09:00-13:00"),
                ("holidays", "2026-08-17 Hari Kemerdekaan"),
                ("action", "save"),
            ],
            Some(&cookie),
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let saved = app.store.calendar("jakarta").await.unwrap();
    assert_eq!(saved.spec.intervals.len(), 6);
    assert_eq!(saved.spec.holidays.len(), 1);
    // China: importing brings the make-up working days (调休) with the holidays; saved,
    // they open the calendar on that Sunday with Monday's hours.
    let a = app
        .post_form(
            "/staff/calendars/shanghai",
            &[
                ("csrf", &csrf),
                ("name", "Shanghai"),
                ("time_zone", "Asia/Shanghai"),
                ("hours", "Mon-Fri 09:00-18:00"),
                ("holidays", ""),
                ("workdays", ""),
                ("action", "import-CN"),
            ],
            Some(&cookie),
        )
        .await;
    assert!(a.body.contains("2026-01-04 Mon 元旦调休上班"), "{}", a.body);
    assert!(a.body.contains("2026-10-10 Mon 国庆节调休上班"));
    let form = |workdays: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("name", "Shanghai".to_owned()),
            ("time_zone", "Asia/Shanghai".to_owned()),
            ("hours", "Mon-Fri 09:00-18:00".to_owned()),
            ("holidays", "2026-01-01 元旦\n2026-01-02 元旦".to_owned()),
            ("workdays", workdays.to_owned()),
            ("action", "save".to_owned()),
        ]
    };
    let post = |fields: Vec<(&'static str, String)>| {
        let app = &app;
        let cookie = cookie.clone();
        async move {
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            app.post_form("/staff/calendars/shanghai", &fields, Some(&cookie))
                .await
        }
    };
    let a = post(form("2026-01-04 Someday 元旦调休上班")).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(a.body.contains("2026-01-04 Someday"), "the line is named");
    let a = post(form("2026-01-02 Mon clash")).await;
    assert_eq!(
        a.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a holiday cannot be worked"
    );
    let a = post(form("2026-01-04 Mon 元旦调休上班")).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let saved = app.store.calendar("shanghai").await.unwrap();
    assert_eq!(saved.spec.workdays.len(), 1);
    let cal = domain::calendar::BusinessCalendar::try_from(&saved).unwrap();
    assert!(
        cal.is_open("2026-01-04T02:00:00Z".parse().unwrap()),
        "Sunday 10:00 CST"
    );
    let page = app.page("/staff/calendars/shanghai", Some(&cookie)).await;
    assert!(
        page.body.contains("2026-01-04 Mon 元旦调休上班"),
        "shown back"
    );
    // Missing CSRF is refused.
    let a = app
        .post_form(
            "/staff/calendars/jakarta",
            &[
                ("name", "x"),
                ("time_zone", "UTC"),
                ("hours", ""),
                ("action", "save"),
            ],
            Some(&cookie),
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    let agent = app.page_session("/staff/signin", "agent@example.id").await;
    assert_eq!(
        app.page("/staff/calendars", Some(&agent)).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.page("/staff/callbacks", Some(&agent)).await.status,
        StatusCode::OK
    );
}

#[test]
fn the_shipped_holidays_cover_both_years_and_both_countries() {
    let id = server::calendars::shipped_holidays("ID").unwrap();
    let cn = server::calendars::shipped_holidays("CN").unwrap();
    for year in [2026, 2027] {
        assert!(
            id.iter().filter(|h| h.date.year() == year).count() >= 15,
            "ID {year}"
        );
        assert!(
            cn.iter().filter(|h| h.date.year() == year).count() >= 7,
            "CN {year}"
        );
    }
    // Eid and Chinese New Year, the ones that move every year.
    assert!(
        id.iter()
            .any(|h| h.date.to_string() == "2026-03-20" && h.name.contains("Idul Fitri"))
    );
    assert!(
        cn.iter()
            .any(|h| h.date.to_string() == "2026-02-17" && h.name == "春节")
    );
    // China's make-up working days fall on weekends and never on a holiday.
    let workdays = server::calendars::shipped_workdays("CN").unwrap();
    assert!(workdays.len() >= 5);
    for w in &workdays {
        assert!(w.date.weekday().to_monday_zero_offset() >= 5, "{}", w.date);
        assert!(!cn.iter().any(|h| h.date == w.date), "{}", w.date);
    }
    assert!(
        server::calendars::shipped_workdays("ID")
            .unwrap()
            .is_empty()
    );
}
