//! Admins edit business calendars (hours as lines of text, holidays as dated lines, the
//! shipped Indonesian and Chinese holidays one click away) and choose which calendar each
//! region and channel uses; agents work the call-back queue.

use super::{Chrome, PageUser, csrf_ok, error_page, render, same_origin};
use crate::api::calendars::{
    AssignmentsBody, CalendarBody, HolidayBody, IntervalBody, WorkdayBody, calendar_views,
    check_calendar_id, save_assignments,
};
use crate::auth::{AdminOnly, SupportStaff};
use crate::error::ApiError;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use domain::calendar::{CallbackState, StoredCalendar};
use domain::ticket::Channel;
use serde::Deserialize;
use std::collections::BTreeMap;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/staff/calendars", get(list))
        .route("/staff/calendars/assignments", post(assign))
        .route("/staff/calendars/{id}", get(edit).post(save))
        .route("/staff/callbacks", get(callbacks))
        .route("/staff/callbacks/claim", post(claim))
        .route("/staff/callbacks/{id}/finish", post(finish))
}

const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// Hours as lines people can edit: `Mon-Fri 08:00-20:00`, `Sat 09:00-13:00, 14:00-17:00`,
/// `Daily 00:00-24:00`, `Fri 22:00-06:00` (overnight).
pub fn hours_text(body: &CalendarBody) -> String {
    let mut per_day: Vec<Vec<String>> = vec![Vec::new(); 7];
    for i in &body.intervals {
        if let Some(d) = per_day.get_mut(usize::from(i.weekday)) {
            d.push(format!("{}-{}", i.opens, i.closes));
        }
    }
    let mut lines = Vec::new();
    let mut d = 0;
    while d < 7 {
        let mut e = d;
        while e + 1 < 7 && per_day[e + 1] == per_day[d] {
            e += 1;
        }
        if !per_day[d].is_empty() {
            let days = match (d, e) {
                (0, 6) => "Daily".to_owned(),
                (a, b) if a == b => DAYS[a].to_owned(),
                (a, b) => format!("{}-{}", DAYS[a], DAYS[b]),
            };
            lines.push(format!("{days} {}", per_day[d].join(", ")));
        }
        d = e + 1;
    }
    lines.join("\n")
}

fn day_index(s: &str) -> Option<u8> {
    DAYS.iter()
        .position(|d| d.eq_ignore_ascii_case(s.trim()))
        .and_then(|i| u8::try_from(i).ok())
}

/// Parses hours lines; a line that cannot be read is named in the error.
pub fn parse_hours(text: &str) -> Result<Vec<IntervalBody>, String> {
    let mut out = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let (days, times) = line
            .split_once(char::is_whitespace)
            .ok_or_else(|| line.to_owned())?;
        let weekdays: Vec<u8> = if days.eq_ignore_ascii_case("daily") {
            (0..7).collect()
        } else {
            let mut v = Vec::new();
            for part in days.split(',') {
                match part.split_once('-') {
                    Some((a, b)) => {
                        let (a, b) = (
                            day_index(a).ok_or_else(|| line.to_owned())?,
                            day_index(b).ok_or_else(|| line.to_owned())?,
                        );
                        if a > b {
                            return Err(line.to_owned());
                        }
                        v.extend(a..=b);
                    }
                    None => v.push(day_index(part).ok_or_else(|| line.to_owned())?),
                }
            }
            v
        };
        for range in times.split(',') {
            let (opens, closes) = range
                .trim()
                .split_once('-')
                .ok_or_else(|| line.to_owned())?;
            for &weekday in &weekdays {
                out.push(IntervalBody {
                    weekday,
                    opens: opens.trim().to_owned(),
                    closes: closes.trim().to_owned(),
                });
            }
        }
    }
    Ok(out)
}

fn holidays_text(body: &CalendarBody) -> String {
    body.holidays
        .iter()
        .map(|h| format!("{} {}", h.date, h.name))
        .collect::<Vec<_>>()
        .join("\n")
}

fn parse_holidays(text: &str) -> Vec<HolidayBody> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let (date, name) = l.split_once(char::is_whitespace).unwrap_or((l, ""));
            HolidayBody {
                date: date.to_owned(),
                name: name.trim().to_owned(),
            }
        })
        .collect()
}

fn workdays_text(body: &CalendarBody) -> String {
    body.workdays
        .iter()
        .map(|w| {
            let day = DAYS.get(usize::from(w.works_as)).copied().unwrap_or("?");
            format!("{} {day} {}", w.date, w.name)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Parses make-up day lines ("2026-01-04 Mon name"); a line that cannot be read is named
/// in the error. Dates are checked with the rest of the calendar.
fn parse_workdays(text: &str) -> Result<Vec<WorkdayBody>, String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let mut parts = l.splitn(3, char::is_whitespace);
            let date = parts.next().unwrap_or_default();
            let works_as = parts
                .next()
                .and_then(day_index)
                .ok_or_else(|| l.to_owned())?;
            Ok(WorkdayBody {
                date: date.to_owned(),
                name: parts.next().unwrap_or_default().trim().to_owned(),
                works_as,
            })
        })
        .collect()
}

struct CalendarRow {
    id: String,
    name: String,
    time_zone: String,
    hours: String,
    holidays: usize,
    used_by: String,
}

#[derive(Template)]
#[template(path = "calendars.html")]
struct ListPage {
    chrome: Chrome,
    calendars: Vec<CalendarRow>,
    /// (region id, region name, chosen calendar id)
    regions: Vec<(String, String, String)>,
    /// (channel, chosen calendar id)
    channels: Vec<(String, String)>,
    error: String,
    saved: bool,
}

#[derive(Debug, Default, Deserialize)]
struct Flags {
    #[serde(default)]
    saved: String,
}

async fn list_page(
    state: &AppState,
    user: &PageUser<AdminOnly>,
    error: String,
    saved: bool,
    status: StatusCode,
) -> Response {
    let locale = user.ctx.tr.locale;
    let views = match calendar_views(state).await {
        Ok(v) => v,
        Err(e) => return error_page(state, locale, &e),
    };
    let (regions, channels) = match (
        state.repo.regions().await,
        state.repo.calendar_assignments().await,
    ) {
        (Ok(r), Ok(a)) => (r, a),
        (Err(e), _) | (_, Err(e)) => return error_page(state, locale, &e.into()),
    };
    let chosen = |list: &[(String, String)], key: &str| {
        list.iter()
            .find(|(k, _)| k == key)
            .map(|(_, c)| c.clone())
            .unwrap_or_default()
    };
    let page = ListPage {
        chrome: user.ctx.chrome(),
        calendars: views
            .iter()
            .map(|v| CalendarRow {
                id: v.id.clone(),
                name: v.calendar.name.clone(),
                time_zone: v.calendar.time_zone.clone(),
                hours: hours_text(&v.calendar).replace('\n', "; "),
                holidays: v.calendar.holidays.len(),
                used_by: v
                    .regions
                    .iter()
                    .chain(v.channels.iter())
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", "),
            })
            .collect(),
        regions: regions
            .iter()
            .map(|r| {
                (
                    r.id.as_str().to_owned(),
                    r.name.clone(),
                    chosen(&channels.0, r.id.as_str()),
                )
            })
            .collect(),
        channels: Channel::ALL
            .iter()
            .map(|c| (c.as_str().to_owned(), chosen(&channels.1, c.as_str())))
            .collect(),
        error,
        saved,
    };
    let mut resp = render(state, locale, &page);
    *resp.status_mut() = status;
    resp
}

async fn list(
    State(state): State<AppState>,
    user: PageUser<AdminOnly>,
    Query(f): Query<Flags>,
) -> Response {
    list_page(&state, &user, String::new(), f.saved == "1", StatusCode::OK).await
}

fn form_allowed<P: crate::auth::Access>(
    user: &PageUser<P>,
    headers: &HeaderMap,
    csrf: &str,
) -> bool {
    same_origin(headers) && user.ctx.auth.as_ref().is_some_and(|a| csrf_ok(a, csrf))
}

async fn assign(
    State(state): State<AppState>,
    user: PageUser<AdminOnly>,
    headers: HeaderMap,
    Form(form): Form<BTreeMap<String, String>>,
) -> Response {
    let locale = user.ctx.tr.locale;
    if !form_allowed(&user, &headers, form.get("csrf").map_or("", String::as_str)) {
        return error_page(&state, locale, &ApiError::Forbidden);
    }
    // Fields are `region:<id>` and `channel:<name>`; an empty choice leaves it unassigned.
    let mut body = AssignmentsBody {
        regions: BTreeMap::new(),
        channels: BTreeMap::new(),
    };
    for (k, v) in &form {
        if v.is_empty() {
            continue;
        }
        if let Some(r) = k.strip_prefix("region:") {
            body.regions.insert(r.to_owned(), v.clone());
        } else if let Some(c) = k.strip_prefix("channel:") {
            body.channels.insert(c.to_owned(), v.clone());
        }
    }
    match save_assignments(&state, &body).await {
        Ok(()) => Redirect::to("/staff/calendars?saved=1").into_response(),
        Err(ApiError::Validation(v)) => {
            let msg = v
                .errors
                .iter()
                .map(|e| e.message.clone())
                .collect::<Vec<_>>()
                .join("; ");
            list_page(&state, &user, msg, false, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => error_page(&state, locale, &e),
    }
}

#[derive(Template)]
#[template(path = "calendar_edit.html")]
struct EditPage {
    chrome: Chrome,
    id: String,
    name: String,
    time_zone: String,
    hours: String,
    holidays: String,
    workdays: String,
    errors: Vec<String>,
    saved: bool,
}

async fn edit(
    State(state): State<AppState>,
    user: PageUser<AdminOnly>,
    Path(id): Path<String>,
    Query(f): Query<Flags>,
) -> Response {
    let locale = user.ctx.tr.locale;
    if check_calendar_id(&id).is_err() {
        return error_page(&state, locale, &ApiError::NotFound);
    }
    let body = match state.repo.calendar(&id).await {
        Ok(c) => CalendarBody::from_stored(&c),
        // A new calendar starts as an office week in Jakarta.
        Err(domain::repo::RepoError::NotFound) => CalendarBody {
            name: id.clone(),
            time_zone: "Asia/Jakarta".into(),
            intervals: parse_hours("Mon-Fri 08:00-17:00").unwrap_or_default(),
            holidays: Vec::new(),
            workdays: Vec::new(),
        },
        Err(e) => return error_page(&state, locale, &e.into()),
    };
    let page = EditPage {
        chrome: user.ctx.chrome(),
        hours: hours_text(&body),
        holidays: holidays_text(&body),
        workdays: workdays_text(&body),
        id,
        name: body.name,
        time_zone: body.time_zone,
        errors: Vec::new(),
        saved: f.saved == "1",
    };
    render(&state, locale, &page)
}

#[derive(Debug, Default, Deserialize)]
struct EditForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    time_zone: String,
    #[serde(default)]
    hours: String,
    #[serde(default)]
    holidays: String,
    #[serde(default)]
    workdays: String,
    /// `save`, or `import-ID` / `import-CN` to add the shipped holidays to the list.
    #[serde(default)]
    action: String,
}

/// The form again with its errors, as 422.
fn refused(state: &AppState, locale: domain::Locale, page: &EditPage) -> Response {
    let mut resp = render(state, locale, page);
    *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    resp
}

async fn save(
    State(state): State<AppState>,
    user: PageUser<AdminOnly>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<EditForm>,
) -> Response {
    let locale = user.ctx.tr.locale;
    if !form_allowed(&user, &headers, &form.csrf) {
        return error_page(&state, locale, &ApiError::Forbidden);
    }
    if check_calendar_id(&id).is_err() {
        return error_page(&state, locale, &ApiError::NotFound);
    }
    let tr = &user.ctx.tr;
    let mut page = EditPage {
        chrome: user.ctx.chrome(),
        id: id.clone(),
        name: form.name.clone(),
        time_zone: form.time_zone.clone(),
        hours: form.hours.clone(),
        holidays: form.holidays.clone(),
        workdays: form.workdays.clone(),
        errors: Vec::new(),
        saved: false,
    };
    if let Some(country) = form.action.strip_prefix("import-") {
        // Adds the shipped holidays the list does not have yet; nothing is saved until the
        // admin has looked at them and saves.
        let shipped = crate::calendars::shipped_holidays(country)
            .and_then(|h| Ok((h, crate::calendars::shipped_workdays(country)?)));
        match shipped {
            Ok((shipped, shipped_workdays)) => {
                let mut current = parse_holidays(&form.holidays);
                for h in shipped {
                    let date = h.date.to_string();
                    if !current.iter().any(|c| c.date == date) {
                        current.push(HolidayBody { date, name: h.name });
                    }
                }
                current.sort_by(|a, b| a.date.cmp(&b.date));
                page.holidays = current
                    .iter()
                    .map(|h| format!("{} {}", h.date, h.name))
                    .collect::<Vec<_>>()
                    .join("\n");
                // Make-up days too; a line that cannot be read stays as typed.
                if let Ok(mut current) = parse_workdays(&form.workdays) {
                    for w in shipped_workdays {
                        let date = w.date.to_string();
                        if !current.iter().any(|c| c.date == date) {
                            current.push(WorkdayBody {
                                date,
                                name: w.name,
                                works_as: w.works_as,
                            });
                        }
                    }
                    current.sort_by(|a, b| a.date.cmp(&b.date));
                    page.workdays = workdays_text(&CalendarBody {
                        name: String::new(),
                        time_zone: String::new(),
                        intervals: Vec::new(),
                        holidays: Vec::new(),
                        workdays: current,
                    });
                }
                return render(&state, locale, &page);
            }
            Err(e) => return error_page(&state, locale, &ApiError::Unexpected(e)),
        }
    }
    let intervals = match parse_hours(&form.hours) {
        Ok(i) => i,
        Err(line) => {
            page.errors
                .push(tr.t1("calendar-bad-hours-line", "line", &line));
            return refused(&state, locale, &page);
        }
    };
    let workdays = match parse_workdays(&form.workdays) {
        Ok(w) => w,
        Err(line) => {
            page.errors
                .push(tr.t1("calendar-bad-workday-line", "line", &line));
            return refused(&state, locale, &page);
        }
    };
    let body = CalendarBody {
        name: form.name.clone(),
        time_zone: form.time_zone.clone(),
        intervals,
        holidays: parse_holidays(&form.holidays),
        workdays,
    };
    let parsed = body.parse();
    match parsed {
        Ok((name, spec)) => {
            let stored = StoredCalendar {
                id: id.clone(),
                name,
                spec,
                updated_at_us: crate::now_us(),
            };
            match state.repo.save_calendar(&stored).await {
                Ok(()) => {
                    tracing::info!(calendar = %id, by = %user.ctx.auth.as_ref().map(|a| a.principal.user.as_str().to_owned()).unwrap_or_default(), "calendar saved");
                    Redirect::to(&format!("/staff/calendars/{id}?saved=1")).into_response()
                }
                Err(e) => error_page(&state, locale, &e.into()),
            }
        }
        Err(v) => {
            page.errors = v.errors.iter().map(|e| e.message.clone()).collect();
            refused(&state, locale, &page)
        }
    }
}

struct CallbackRow {
    id: String,
    ticket_id: String,
    phone: String,
    due: String,
    state: &'static str,
    mine: bool,
}

#[derive(Template)]
#[template(path = "callbacks.html")]
struct CallbacksPage {
    chrome: Chrome,
    rows: Vec<CallbackRow>,
    notice: String,
}

#[derive(Debug, Default, Deserialize)]
struct CallbackFlags {
    #[serde(default)]
    none: String,
}

async fn callbacks(
    State(state): State<AppState>,
    user: PageUser<SupportStaff>,
    Query(f): Query<CallbackFlags>,
) -> Response {
    let locale = user.ctx.tr.locale;
    let me = user
        .ctx
        .auth
        .as_ref()
        .map(|a| a.principal.user.as_str().to_owned())
        .unwrap_or_default();
    let items = match state.repo.open_callbacks(200).await {
        Ok(i) => i,
        Err(e) => return error_page(&state, locale, &e.into()),
    };
    let tz = jiff::tz::TimeZone::get("Asia/Jakarta").unwrap_or(jiff::tz::TimeZone::UTC);
    let page = CallbacksPage {
        chrome: user.ctx.chrome(),
        rows: items
            .iter()
            .map(|c| CallbackRow {
                id: c.id.clone(),
                ticket_id: c.ticket_id.clone(),
                phone: c.phone.clone(),
                due: jiff::Timestamp::from_microsecond(c.due_at_us)
                    .map(|t| {
                        t.to_zoned_datetime(tz.clone())
                            .strftime("%a %d %b %H:%M %Z")
                            .to_string()
                    })
                    .unwrap_or_default(),
                state: c.state.as_str(),
                mine: c.claimed_by.as_deref() == Some(me.as_str()),
            })
            .collect(),
        notice: if f.none == "1" {
            user.ctx.tr.t("callbacks-none-due")
        } else {
            String::new()
        },
    };
    render(&state, locale, &page)
}

#[derive(Debug, Default, Deserialize)]
struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

async fn claim(
    State(state): State<AppState>,
    user: PageUser<SupportStaff>,
    headers: HeaderMap,
    Form(form): Form<CsrfOnly>,
) -> Response {
    let locale = user.ctx.tr.locale;
    if !form_allowed(&user, &headers, &form.csrf) {
        return error_page(&state, locale, &ApiError::Forbidden);
    }
    let me = user
        .ctx
        .auth
        .as_ref()
        .map(|a| a.principal.user.as_str().to_owned())
        .unwrap_or_default();
    match state
        .repo
        .claim_next_callback(&me, crate::now_us(), 15 * 60_000_000)
        .await
    {
        Ok(Some(_)) => Redirect::to("/staff/callbacks").into_response(),
        Ok(None) => Redirect::to("/staff/callbacks?none=1").into_response(),
        Err(e) => error_page(&state, locale, &e.into()),
    }
}

#[derive(Debug, Default, Deserialize)]
struct FinishForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    outcome: String,
}

async fn finish(
    State(state): State<AppState>,
    user: PageUser<SupportStaff>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<FinishForm>,
) -> Response {
    let locale = user.ctx.tr.locale;
    if !form_allowed(&user, &headers, &form.csrf) {
        return error_page(&state, locale, &ApiError::Forbidden);
    }
    let Some(st) = CallbackState::parse(&form.state).filter(|s| *s != CallbackState::Claimed)
    else {
        return error_page(
            &state,
            locale,
            &ApiError::BadRequest("unknown outcome".into()),
        );
    };
    let me = user
        .ctx
        .auth
        .as_ref()
        .map(|a| a.principal.user.as_str().to_owned())
        .unwrap_or_default();
    match state
        .repo
        .finish_callback(&id, &me, st, &form.outcome, crate::now_us())
        .await
    {
        Ok(_) => Redirect::to("/staff/callbacks").into_response(),
        Err(e) => error_page(&state, locale, &e.into()),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn hours_lines_round_trip() {
        let text = "Mon-Fri 08:00-20:00\nSat 09:00-13:00, 14:00-17:00\nSun 22:00-06:00";
        let body = CalendarBody {
            name: "x".into(),
            time_zone: "Asia/Jakarta".into(),
            intervals: parse_hours(text).unwrap(),
            holidays: vec![],
            workdays: vec![],
        };
        assert_eq!(body.intervals.len(), 5 + 2 + 1);
        assert_eq!(hours_text(&body), text);
        assert_eq!(
            parse_hours("Someday 08:00-09:00").err().as_deref(),
            Some("Someday 08:00-09:00")
        );
        assert_eq!(
            parse_hours("Fri-Mon 08:00-09:00").err().as_deref(),
            Some("Fri-Mon 08:00-09:00")
        );
        let daily = parse_hours("Daily 00:00-24:00").unwrap();
        assert_eq!(daily.len(), 7);
    }
}
