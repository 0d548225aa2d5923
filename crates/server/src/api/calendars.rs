//! Business calendars over the API: support hours for anyone, calendars and their
//! assignment to regions and channels for admins, the call-back queue for agents.

use crate::api::extract::{ApiJson, ApiQuery};
use crate::auth::{AdminOnly, ApiUser, SignedIn, SupportStaff};
use crate::calendars::{SupportHours, support_hours};
use crate::error::{ApiError, Problem};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use domain::calendar::{
    BusinessCalendar, CalendarSpec, Callback, CallbackState, Holiday, MakeUpDay, OpeningInterval,
    StoredCalendar,
};
use domain::ticket::Channel;
use domain::{Locale, ValidationError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One weekly opening interval.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IntervalBody {
    /// 0 = Monday … 6 = Sunday.
    pub weekday: u8,
    /// Local opening time, `HH:MM`.
    pub opens: String,
    /// Local closing time, `HH:MM` (`24:00` for midnight; at or before `opens` = overnight).
    pub closes: String,
}

/// A holiday.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HolidayBody {
    /// Local date, `YYYY-MM-DD`.
    pub date: String,
    /// Name.
    pub name: String,
}

/// A make-up working day (China's 调休).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkdayBody {
    /// Local date, `YYYY-MM-DD`.
    pub date: String,
    /// Name.
    pub name: String,
    /// The weekday whose hours it keeps: 0 = Monday … 6 = Sunday.
    pub works_as: u8,
}

/// A calendar.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CalendarBody {
    /// Name shown to admins.
    pub name: String,
    /// IANA time zone.
    pub time_zone: String,
    /// Weekly intervals.
    pub intervals: Vec<IntervalBody>,
    /// Holidays.
    #[serde(default)]
    pub holidays: Vec<HolidayBody>,
    /// Make-up working days.
    #[serde(default)]
    pub workdays: Vec<WorkdayBody>,
}

/// A stored calendar.
#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarView {
    /// Id.
    pub id: String,
    /// The calendar.
    #[serde(flatten)]
    pub calendar: CalendarBody,
    /// Regions using it.
    pub regions: Vec<String>,
    /// Channels using it as their default.
    pub channels: Vec<String>,
}

/// `HH:MM` to minutes after midnight (`24:00` allowed as the end of the day).
pub fn parse_hhmm(s: &str, field: &str) -> Result<u16, ValidationError> {
    let bad = || ValidationError::field(field, "invalid_format", "a time such as 08:30");
    let (h, m) = s.trim().split_once(':').ok_or_else(bad)?;
    let (h, m): (u16, u16) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if m >= 60 || h > 24 || (h == 24 && m > 0) {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

fn hhmm(m: u16) -> String {
    format!("{:02}:{:02}", m / 60, m % 60)
}

impl CalendarBody {
    /// Checks the body and builds the spec (every failing field at once).
    pub fn parse(&self) -> Result<(String, CalendarSpec), ValidationError> {
        let mut errors = Vec::new();
        let name = self.name.split_whitespace().collect::<Vec<_>>().join(" ");
        if name.is_empty() || name.chars().count() > 100 {
            errors.push(ValidationError::field(
                "name",
                "required",
                "a name (up to 100 characters)",
            ));
        }
        let mut intervals = Vec::new();
        for i in &self.intervals {
            match (
                parse_hhmm(&i.opens, "intervals"),
                parse_hhmm(&i.closes, "intervals"),
            ) {
                (Ok(start), Ok(end)) if start < 1440 && end > 0 && i.weekday < 7 => {
                    intervals.push(OpeningInterval {
                        weekday: i.weekday,
                        start_minute: start,
                        end_minute: end,
                    })
                }
                (Err(e), _) | (_, Err(e)) => errors.push(e),
                _ => errors.push(ValidationError::field(
                    "intervals",
                    "invalid_value",
                    "weekday 0–6, opening before 24:00, closing after 00:00",
                )),
            }
        }
        let mut holidays: Vec<Holiday> = Vec::new();
        for h in &self.holidays {
            match h.date.trim().parse::<jiff::civil::Date>() {
                Ok(date) if !holidays.iter().any(|x| x.date == date) => holidays.push(Holiday {
                    date,
                    name: h.name.trim().chars().take(100).collect(),
                }),
                Ok(_) => errors.push(ValidationError::field(
                    "holidays",
                    "duplicate",
                    format!("{} is listed twice", h.date),
                )),
                Err(_) => errors.push(ValidationError::field(
                    "holidays",
                    "invalid_format",
                    format!("{:?}: a date such as 2026-08-17", h.date),
                )),
            }
        }
        holidays.sort_by_key(|h| h.date);
        let mut workdays: Vec<MakeUpDay> = Vec::new();
        for w in &self.workdays {
            match w.date.trim().parse::<jiff::civil::Date>() {
                Ok(date) => workdays.push(MakeUpDay {
                    date,
                    name: w.name.trim().chars().take(100).collect(),
                    works_as: w.works_as,
                }),
                Err(_) => errors.push(ValidationError::field(
                    "workdays",
                    "invalid_format",
                    format!("{:?}: a date such as 2026-01-04", w.date),
                )),
            }
        }
        workdays.sort_by_key(|w| w.date);
        // Duplicates, clashes with holidays and weekdays out of range: the calendar says.
        let spec = CalendarSpec {
            time_zone: self.time_zone.trim().to_owned(),
            intervals,
            holidays,
            workdays,
        };
        if let Err(e) = BusinessCalendar::new(spec.clone()) {
            errors.push(e);
        }
        ValidationError::collect(errors.into_iter().map(Some))?;
        Ok((name, spec))
    }

    /// The body of a stored calendar.
    pub fn from_stored(c: &StoredCalendar) -> Self {
        CalendarBody {
            name: c.name.clone(),
            time_zone: c.spec.time_zone.clone(),
            intervals: c
                .spec
                .intervals
                .iter()
                .map(|i| IntervalBody {
                    weekday: i.weekday,
                    opens: hhmm(i.start_minute),
                    closes: hhmm(i.end_minute),
                })
                .collect(),
            holidays: c
                .spec
                .holidays
                .iter()
                .map(|h| HolidayBody {
                    date: h.date.to_string(),
                    name: h.name.clone(),
                })
                .collect(),
            workdays: c
                .spec
                .workdays
                .iter()
                .map(|w| WorkdayBody {
                    date: w.date.to_string(),
                    name: w.name.clone(),
                    works_as: w.works_as,
                })
                .collect(),
        }
    }
}

/// A calendar id: lowercase letters, digits and dashes.
pub fn check_calendar_id(id: &str) -> Result<(), ApiError> {
    let ok = !id.is_empty()
        && id.len() <= 60
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok {
        Ok(())
    } else {
        Err(ValidationError::field(
            "id",
            "invalid_format",
            "lowercase letters, digits and dashes",
        )
        .into())
    }
}

/// Calendars with where each is used.
pub async fn calendar_views(state: &AppState) -> Result<Vec<CalendarView>, ApiError> {
    let calendars = state.repo.calendars().await?;
    let (regions, channels) = state.repo.calendar_assignments().await?;
    Ok(calendars
        .iter()
        .map(|c| CalendarView {
            id: c.id.clone(),
            calendar: CalendarBody::from_stored(c),
            regions: regions
                .iter()
                .filter(|(_, cal)| *cal == c.id)
                .map(|(r, _)| r.clone())
                .collect(),
            channels: channels
                .iter()
                .filter(|(_, cal)| *cal == c.id)
                .map(|(ch, _)| ch.clone())
                .collect(),
        })
        .collect())
}

/// Where to ask about hours.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct HoursQuery {
    /// The channel (default `web`); a signed-in customer's region takes precedence.
    pub channel: Option<String>,
    /// Language of the words (default: the caller's, else English).
    pub locale: Option<String>,
}

/// Support hours: open now?, the next opening in words, weekly hours, coming holidays.
#[utoipa::path(get, path = "/api/v1/support-hours", tag = "calendars",
    params(HoursQuery),
    responses(
        (status = 200, description = "Support hours", body = SupportHours),
        (status = 422, description = "Unknown channel", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_support_hours(
    State(state): State<AppState>,
    user: Option<ApiUser<SignedIn>>,
    ApiQuery(q): ApiQuery<HoursQuery>,
) -> Result<Json<SupportHours>, ApiError> {
    let channel = match q.channel.as_deref().filter(|c| !c.is_empty()) {
        Some(c) => Channel::parse(c).ok_or_else(|| {
            ValidationError::field(
                "channel",
                "invalid_value",
                "web, app, messenger, x or phone",
            )
        })?,
        None => Channel::Web,
    };
    let locale = q
        .locale
        .as_deref()
        .and_then(Locale::parse)
        .or(user.as_ref().map(|u| u.principal.locale))
        .unwrap_or_default();
    let customer = user
        .as_ref()
        .and_then(|u| u.principal.customer_id().cloned());
    Ok(Json(
        support_hours(&state, customer.as_ref(), channel, locale).await?,
    ))
}

/// Every calendar, with the regions and channels using it.
#[utoipa::path(get, path = "/api/v1/calendars", tag = "calendars", security(("bearer" = [])),
    responses((status = 200, description = "Calendars", body = Vec<CalendarView>)))]
pub async fn list_calendars(
    State(state): State<AppState>,
    _user: ApiUser<SupportStaff>,
) -> Result<Json<Vec<CalendarView>>, ApiError> {
    Ok(Json(calendar_views(&state).await?))
}

/// Create or replace a calendar.
#[utoipa::path(put, path = "/api/v1/calendars/{id}", tag = "calendars", security(("bearer" = [])), request_body = CalendarBody,
    params(("id" = String, Path, description = "Calendar id (lowercase, digits, dashes)")),
    responses(
        (status = 200, description = "Saved", body = CalendarBody),
        (status = 422, description = "Invalid zone, times or dates (each listed)", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn put_calendar(
    State(state): State<AppState>,
    user: ApiUser<AdminOnly>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<CalendarBody>,
) -> Result<Json<CalendarBody>, ApiError> {
    check_calendar_id(&id)?;
    let (name, spec) = body.parse()?;
    let stored = StoredCalendar {
        id: id.clone(),
        name,
        spec,
        updated_at_us: crate::now_us(),
    };
    state.repo.save_calendar(&stored).await?;
    tracing::info!(calendar = %id, by = %user.principal.user.as_str(), "calendar saved");
    Ok(Json(CalendarBody::from_stored(&stored)))
}

/// Which calendar regions and channels use.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignmentsBody {
    /// Region id → calendar id.
    #[serde(default)]
    pub regions: std::collections::BTreeMap<String, String>,
    /// Channel → calendar id.
    #[serde(default)]
    pub channels: std::collections::BTreeMap<String, String>,
}

/// Assign calendars to regions (a customer's region decides) and channels (for contacts
/// without a region).
#[utoipa::path(put, path = "/api/v1/calendar-assignments", tag = "calendars", security(("bearer" = [])), request_body = AssignmentsBody,
    responses(
        (status = 204, description = "Saved"),
        (status = 422, description = "Unknown region, channel or calendar", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn put_assignments(
    State(state): State<AppState>,
    _user: ApiUser<AdminOnly>,
    ApiJson(body): ApiJson<AssignmentsBody>,
) -> Result<axum::http::StatusCode, ApiError> {
    save_assignments(&state, &body).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// Checks and saves calendar assignments (API and admin page).
pub async fn save_assignments(state: &AppState, body: &AssignmentsBody) -> Result<(), ApiError> {
    let calendars: Vec<String> = state
        .repo
        .calendars()
        .await?
        .into_iter()
        .map(|c| c.id)
        .collect();
    let regions: Vec<String> = state
        .repo
        .regions()
        .await?
        .into_iter()
        .map(|r| r.id.as_str().to_owned())
        .collect();
    let mut errors = Vec::new();
    for (region, cal) in &body.regions {
        if !regions.contains(region) {
            errors.push(ValidationError::field(
                "regions",
                "not_found",
                format!("no region {region:?}"),
            ));
        }
        if !calendars.contains(cal) {
            errors.push(ValidationError::field(
                "regions",
                "not_found",
                format!("no calendar {cal:?}"),
            ));
        }
    }
    for (channel, cal) in &body.channels {
        if Channel::parse(channel).is_none() {
            errors.push(ValidationError::field(
                "channels",
                "invalid_value",
                format!("no channel {channel:?}"),
            ));
        }
        if !calendars.contains(cal) {
            errors.push(ValidationError::field(
                "channels",
                "not_found",
                format!("no calendar {cal:?}"),
            ));
        }
    }
    ValidationError::collect(errors.into_iter().map(Some))?;
    for (region, cal) in &body.regions {
        state.repo.set_region_calendar(region, cal).await?;
    }
    for (channel, cal) in &body.channels {
        if let Some(ch) = Channel::parse(channel) {
            state.repo.set_channel_calendar(ch, cal).await?;
        }
    }
    Ok(())
}

/// A call-back.
#[derive(Debug, Serialize, ToSchema)]
pub struct CallbackView {
    /// Id.
    pub id: String,
    /// Ticket id.
    pub ticket_id: String,
    /// Number to call.
    pub phone: String,
    /// When to call (RFC 3339).
    pub due_at: String,
    /// `waiting`, `claimed`, `done`, `abandoned`.
    pub state: String,
    /// The agent calling.
    pub claimed_by: Option<String>,
    /// What happened.
    pub outcome: String,
}

impl From<&Callback> for CallbackView {
    fn from(c: &Callback) -> Self {
        Self {
            id: c.id.clone(),
            ticket_id: c.ticket_id.clone(),
            phone: c.phone.clone(),
            due_at: crate::api::views::rfc3339(c.due_at_us),
            state: c.state.as_str().into(),
            claimed_by: c.claimed_by.clone(),
            outcome: c.outcome.clone(),
        }
    }
}

/// Call-backs not done yet, earliest due first.
#[utoipa::path(get, path = "/api/v1/callbacks", tag = "calendars", security(("bearer" = [])),
    responses((status = 200, description = "The queue", body = Vec<CallbackView>)))]
pub async fn list_callbacks(
    State(state): State<AppState>,
    _user: ApiUser<SupportStaff>,
) -> Result<Json<Vec<CallbackView>>, ApiError> {
    let items = state.repo.open_callbacks(200).await?;
    Ok(Json(items.iter().map(CallbackView::from).collect()))
}

/// Take the next due call-back (for 15 minutes); `null` when none is due.
#[utoipa::path(post, path = "/api/v1/callbacks/claim", tag = "calendars", security(("bearer" = [])),
    responses((status = 200, description = "The call-back to make, or null", body = Option<CallbackView>)))]
pub async fn claim_callback(
    State(state): State<AppState>,
    user: ApiUser<SupportStaff>,
) -> Result<Json<Option<CallbackView>>, ApiError> {
    let claimed = state
        .repo
        .claim_next_callback(
            user.principal.user.as_str(),
            crate::now_us(),
            15 * 60_000_000,
        )
        .await?;
    Ok(Json(claimed.as_ref().map(CallbackView::from)))
}

/// How a call-back went.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FinishBody {
    /// `done`, `abandoned`, or `waiting` to put it back.
    pub state: String,
    /// What happened.
    #[serde(default)]
    pub outcome: String,
}

/// Finish a call-back the caller claimed.
#[utoipa::path(post, path = "/api/v1/callbacks/{id}/finish", tag = "calendars", security(("bearer" = [])), request_body = FinishBody,
    params(("id" = String, Path, description = "Call-back id")),
    responses(
        (status = 200, description = "Recorded", body = CallbackView),
        (status = 409, description = "Not claimed by the caller", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn finish_callback(
    State(state): State<AppState>,
    user: ApiUser<SupportStaff>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<FinishBody>,
) -> Result<Json<CallbackView>, ApiError> {
    let st = CallbackState::parse(&body.state)
        .filter(|s| *s != CallbackState::Claimed)
        .ok_or_else(|| {
            ValidationError::field("state", "invalid_value", "done, abandoned or waiting")
        })?;
    uuid::Uuid::parse_str(&id).map_err(|_| ApiError::NotFound)?;
    let done = state
        .repo
        .finish_callback(
            &id,
            user.principal.user.as_str(),
            st,
            &body.outcome,
            crate::now_us(),
        )
        .await?;
    Ok(Json(CallbackView::from(&done)))
}

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/support-hours", get(get_support_hours))
        .route("/api/v1/calendars", get(list_calendars))
        .route("/api/v1/calendars/{id}", put(put_calendar))
        .route("/api/v1/calendar-assignments", put(put_assignments))
        .route("/api/v1/callbacks", get(list_callbacks))
        .route("/api/v1/callbacks/claim", post(claim_callback))
        .route("/api/v1/callbacks/{id}/finish", post(finish_callback))
}
