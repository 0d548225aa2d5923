//! Support hours in practice: which calendar applies, telling customers when support
//! opens (in their words and their zone), automatic replies to messages that arrive while
//! support is closed, and call-backs for hotline calls at night.

use crate::error::ApiError;
use crate::i18n::Tr;
use crate::state::AppState;
use domain::calendar::{BusinessCalendar, CalendarSpec, Holiday, MakeUpDay, StoredCalendar};
use domain::repo::MessageOutcome;
use domain::ticket::{ActorKind, Channel, NewMessage, Ticket, Visibility};
use domain::{CustomerId, Locale};
use jiff::Timestamp;
use serde::Deserialize;

/// The holidays paydesk ships (Indonesia and China, 2026–2027), see the file's header.
const HOLIDAYS_TOML: &str = include_str!("../data/holidays.toml");

#[derive(Deserialize)]
struct HolidayFile {
    holiday: Vec<HolidayRow>,
    #[serde(default)]
    workday: Vec<WorkdayRow>,
}

#[derive(Deserialize)]
struct WorkdayRow {
    country: String,
    date: String,
    name: String,
    works_as: u8,
}

#[derive(Deserialize)]
struct HolidayRow {
    country: String,
    date: String,
    name: String,
}

/// The shipped holidays of a country (`ID`, `CN`), in date order.
pub fn shipped_holidays(country: &str) -> anyhow::Result<Vec<Holiday>> {
    let file: HolidayFile = toml::from_str(HOLIDAYS_TOML)?;
    let mut out = file
        .holiday
        .into_iter()
        .filter(|h| h.country.eq_ignore_ascii_case(country))
        .map(|h| {
            Ok(Holiday {
                date: h.date.parse()?,
                name: h.name,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    out.sort_by_key(|h| h.date);
    Ok(out)
}

/// The shipped make-up working days of a country (China's 调休), in date order.
pub fn shipped_workdays(country: &str) -> anyhow::Result<Vec<MakeUpDay>> {
    let file: HolidayFile = toml::from_str(HOLIDAYS_TOML)?;
    let mut out = file
        .workday
        .into_iter()
        .filter(|w| w.country.eq_ignore_ascii_case(country))
        .map(|w| {
            Ok(MakeUpDay {
                date: w.date.parse()?,
                name: w.name,
                works_as: w.works_as,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    out.sort_by_key(|w| w.date);
    Ok(out)
}

/// The calendar that applies to a customer (their region's) or else to the channel.
pub async fn calendar_for(
    state: &AppState,
    customer: Option<&CustomerId>,
    channel: Channel,
) -> Result<Option<(StoredCalendar, BusinessCalendar)>, ApiError> {
    let Some(stored) = state.repo.calendar_for(customer, channel).await? else {
        return Ok(None);
    };
    let built = BusinessCalendar::try_from(&stored).map_err(|e| {
        ApiError::Unexpected(anyhow::anyhow!(
            "stored calendar {} is invalid: {e}",
            stored.id
        ))
    })?;
    Ok(Some((stored, built)))
}

/// An instant in words, in the calendar's zone: "Monday 08:00 WIB" within the coming
/// week, "Monday 23 March, 08:00 WIB" further away.
pub fn opening_words(
    tr: &Tr,
    calendar: &BusinessCalendar,
    at: Timestamp,
    now: Timestamp,
) -> String {
    let tz = calendar.time_zone().clone();
    let z = at.to_zoned_datetime(tz.clone());
    let zone = tz.to_offset_info(at).abbreviation().to_string();
    let weekday = tr.t(&format!("weekday-{}", z.weekday().to_monday_zero_offset()));
    let time = format!("{:02}:{:02}", z.hour(), z.minute());
    let soon = at.as_second() - now.as_second() < 6 * 86_400;
    let mut args = fluent_bundle::FluentArgs::new();
    args.set("weekday", weekday);
    args.set("time", time);
    args.set("zone", zone);
    args.set("day", z.day().to_string());
    args.set("month", tr.t(&format!("month-{}", z.month())));
    let key = if soon {
        "opening-soon"
    } else {
        "opening-later"
    };
    tr.with_args(key, &args)
}

/// Open hours of a calendar, one line per run of days with the same hours
/// ("Monday–Friday 08:00–20:00").
pub fn weekly_lines(tr: &Tr, spec: &CalendarSpec) -> Vec<String> {
    let hhmm = |m: u16| format!("{:02}:{:02}", m / 60, m % 60);
    let mut per_day: Vec<Vec<String>> = vec![Vec::new(); 7];
    let mut intervals = spec.intervals.clone();
    intervals.sort_by_key(|i| (i.weekday, i.start_minute));
    for i in &intervals {
        if let Some(day) = per_day.get_mut(usize::from(i.weekday)) {
            day.push(format!("{}–{}", hhmm(i.start_minute), hhmm(i.end_minute)));
        }
    }
    let mut lines = Vec::new();
    let mut d = 0;
    while d < 7 {
        let mut e = d;
        while e + 1 < 7 && per_day[e + 1] == per_day[d] {
            e += 1;
        }
        let days = if d == e {
            tr.t(&format!("weekday-{d}"))
        } else {
            format!(
                "{}–{}",
                tr.t(&format!("weekday-{d}")),
                tr.t(&format!("weekday-{e}"))
            )
        };
        let hours = if per_day[d].is_empty() {
            tr.t("hours-closed")
        } else {
            per_day[d].join(", ")
        };
        lines.push(format!("{days}: {hours}"));
        d = e + 1;
    }
    lines
}

/// What a visitor is told about support hours.
#[derive(Debug, Clone, Default, serde::Serialize, utoipa::ToSchema)]
pub struct SupportHours {
    /// Whether a calendar applies at all (without one, support is taken as always open).
    pub known: bool,
    /// Open right now.
    pub open_now: bool,
    /// The next opening (RFC 3339) when closed.
    pub next_opening: Option<String>,
    /// The next opening in words, in the visitor's language and the calendar's zone.
    pub next_opening_text: Option<String>,
    /// One sentence: "Support is open now." / "Support is closed; we reply from Monday 08:00 WIB."
    pub summary: String,
    /// Weekly hours, one line per run of days.
    pub weekly: Vec<String>,
    /// The next holidays within 60 days, "17 August: Hari Kemerdekaan".
    pub upcoming_holidays: Vec<String>,
}

/// Support hours for a customer (or an anonymous visitor on a channel).
pub async fn support_hours(
    state: &AppState,
    customer: Option<&CustomerId>,
    channel: Channel,
    locale: Locale,
) -> Result<SupportHours, ApiError> {
    let tr = Tr::new(state.i18n.clone(), locale);
    let Some((stored, calendar)) = calendar_for(state, customer, channel).await? else {
        return Ok(SupportHours {
            summary: tr.t("hours-open-now"),
            open_now: true,
            ..SupportHours::default()
        });
    };
    let now = Timestamp::now();
    let open_now = calendar.is_open(now);
    let next = if open_now {
        None
    } else {
        calendar.next_opening(now)
    };
    let next_text = next.map(|n| opening_words(&tr, &calendar, n, now));
    let summary = match &next_text {
        _ if open_now => tr.t("hours-open-now"),
        Some(when) => tr.t1("hours-closed-until", "when", when),
        None => tr.t("hours-closed-indefinitely"),
    };
    let today = now.to_zoned_datetime(calendar.time_zone().clone()).date();
    let upcoming_holidays = stored
        .spec
        .holidays
        .iter()
        .filter(|h| h.date >= today && h.date.since(today).is_ok_and(|s| s.get_days() <= 60))
        .map(|h| {
            format!(
                "{} {}: {}",
                h.date.day(),
                tr.t(&format!("month-{}", h.date.month())),
                h.name
            )
        })
        .collect();
    Ok(SupportHours {
        known: true,
        open_now,
        next_opening: next.map(|n| n.to_string()),
        next_opening_text: next_text,
        summary,
        weekly: weekly_lines(&tr, &stored.spec),
        upcoming_holidays,
    })
}

/// Marks an automatic out-of-hours reply, so a second message in the same closed spell
/// does not get a second one.
const OUT_OF_HOURS_TAG: &str = "out-of-hours:";

/// After a customer's message (any channel): if support is closed, answer once per closed
/// spell in their language with the next opening. Failures are logged, never passed on:
/// the customer's message is stored either way.
pub async fn after_inbound(state: &AppState, outcome: &MessageOutcome) {
    if outcome.duplicate
        || !matches!(
            outcome.message.author_kind,
            ActorKind::Customer | ActorKind::Contact
        )
    {
        return;
    }
    if let Err(e) = reply_if_closed(state, &outcome.ticket, crate::now_us()).await {
        tracing::warn!(ticket = outcome.ticket.number, error = %e, "out-of-hours reply failed");
    }
}

/// Posts the out-of-hours reply when the ticket's calendar is closed at `now_us` and no
/// such reply was sent since support last closed. Returns whether one was sent.
pub async fn reply_if_closed(
    state: &AppState,
    ticket: &Ticket,
    now_us: i64,
) -> Result<bool, ApiError> {
    let Some((stored, calendar)) =
        calendar_for(state, ticket.customer_id(), ticket.channel).await?
    else {
        return Ok(false);
    };
    let now = Timestamp::from_microsecond(now_us).map_err(|e| ApiError::Unexpected(e.into()))?;
    if calendar.is_open(now) {
        return Ok(false);
    }
    let Some(next) = calendar.next_opening(now) else {
        return Ok(false);
    };
    // One reply per closed spell: the spell is named by the opening it ends with.
    let spell = format!("{OUT_OF_HOURS_TAG}{}:{}", stored.id, next.as_second());
    let messages = state.repo.ticket_messages(&ticket.id).await?;
    if messages.iter().any(|m| {
        m.external_id
            .as_deref()
            .is_some_and(|x| x.starts_with(&spell))
    }) {
        return Ok(false);
    }
    let tr = Tr::new(state.i18n.clone(), ticket.locale);
    let body = tr.t1(
        "ooh-reply",
        "when",
        &opening_words(&tr, &calendar, next, now),
    );
    let delivery = crate::tickets::delivery_for(state, ticket).await?;
    let message = NewMessage {
        author_kind: ActorKind::System,
        author_id: String::new(),
        author_name: "paydesk".into(),
        visibility: Visibility::Public,
        body,
        channel: ticket.channel,
        // Per ticket and spell: the unique (channel, external_id) index would refuse the
        // same id on two tickets, so the ticket id is part of it.
        external_id: Some(format!("{spell}:{}", ticket.id)),
        attachments: Vec::new(),
    };
    let outcome = state
        .repo
        .add_message(&ticket.id, &message, None, delivery.as_ref(), now_us)
        .await?;
    Ok(!outcome.duplicate)
}

/// A hotline call that comes in while support is closed: a call-back at the next opening.
/// Returns the call-back's due time when one was queued.
pub async fn callback_if_closed(
    state: &AppState,
    ticket: &Ticket,
    phone: &str,
    now_us: i64,
) -> Result<Option<i64>, ApiError> {
    let Some((_, calendar)) = calendar_for(state, ticket.customer_id(), Channel::Phone).await?
    else {
        return Ok(None);
    };
    let now = Timestamp::from_microsecond(now_us).map_err(|e| ApiError::Unexpected(e.into()))?;
    if calendar.is_open(now) {
        return Ok(None);
    }
    let Some(next) = calendar.next_opening(now) else {
        return Ok(None);
    };
    let callback = state
        .repo
        .create_callback(&ticket.id, phone, next.as_microsecond(), now_us)
        .await?;
    Ok(Some(callback.due_at_us))
}
