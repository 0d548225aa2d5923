//! Business calendars: when support is open, per region. A calendar is a time zone, weekly
//! opening intervals in local time (several a day, overnight allowed, 24/7 allowed) and
//! named holidays (whole local days closed). It answers: open now?, next opening, add N
//! business minutes, business minutes between two instants.
//!
//! Semantics follow the wall clock: an instant is open when its local date is not a
//! holiday and its local time falls in an interval of that date's weekday (or in the
//! after-midnight part of an overnight interval of the day before). Across daylight-saving
//! changes that is what people mean: a 01:00–03:00 shift on the night clocks jump from
//! 02:00 to 03:00 lasts one hour; on the night they fall back from 02:00 to 01:00 it lasts
//! three. The arithmetic works on open segments computed exactly between the zone's
//! offset transitions, not minute by minute.

use crate::validation::ValidationError;
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

const DAY: i64 = 86_400;
/// How far ahead the calendar looks for an opening before concluding there is none.
const HORIZON_DAYS: i64 = 800;
/// Size of the window scanned at a time when walking forward.
const WINDOW_DAYS: i64 = 14;

/// One weekly opening interval in local time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpeningInterval {
    /// Day it starts on: 0 = Monday … 6 = Sunday.
    pub weekday: u8,
    /// Opening, minutes after local midnight (0–1439).
    pub start_minute: u16,
    /// Closing, minutes after local midnight (1–1440). At or before the start, the
    /// interval runs overnight and closes at this time the next day.
    pub end_minute: u16,
}

/// A named holiday: support is closed the whole local day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holiday {
    /// The local date.
    pub date: Date,
    /// Its name ("Idul Fitri 1447 H").
    pub name: String,
}

/// A make-up working day (China's 调休): a date, usually a Saturday or Sunday, on which
/// support opens with the hours of another weekday, worked in exchange for a longer
/// holiday.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MakeUpDay {
    /// The local date.
    pub date: Date,
    /// Its name ("春节调休上班").
    pub name: String,
    /// Whose hours it keeps: 0 = Monday … 6 = Sunday.
    pub works_as: u8,
}

/// A calendar as stored and edited: plain data, checked by [`BusinessCalendar::new`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalendarSpec {
    /// IANA time zone (`Asia/Jakarta`).
    pub time_zone: String,
    /// Weekly intervals.
    pub intervals: Vec<OpeningInterval>,
    /// Holidays.
    pub holidays: Vec<Holiday>,
    /// Make-up working days (calendars stored before they existed have none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub workdays: Vec<MakeUpDay>,
}

impl CalendarSpec {
    /// Open around the clock every day of the week.
    pub fn always_open(time_zone: &str) -> Self {
        CalendarSpec {
            time_zone: time_zone.to_owned(),
            intervals: (0..7)
                .map(|weekday| OpeningInterval {
                    weekday,
                    start_minute: 0,
                    end_minute: 1440,
                })
                .collect(),
            holidays: Vec::new(),
            workdays: Vec::new(),
        }
    }
}

/// A checked calendar, ready to answer questions about time.
#[derive(Debug, Clone)]
pub struct BusinessCalendar {
    tz: TimeZone,
    /// Open ranges per weekday (Monday first), in seconds after local midnight, sorted
    /// and merged; overnight intervals already split across the two days.
    ranges: [Vec<(i64, i64)>; 7],
    /// Closed local days, as days since 1970-01-01.
    holidays: BTreeMap<i64, String>,
    /// Make-up working days (days since 1970-01-01) and the weekday whose hours they keep.
    workdays: BTreeMap<i64, usize>,
    spec: CalendarSpec,
}

/// Days since 1970-01-01 of a civil date.
fn epoch_day(d: Date) -> i64 {
    // Both dates are valid, so the span in days always exists.
    d.since(Date::constant(1970, 1, 1))
        .map(|s| i64::from(s.get_days()))
        .unwrap_or_default()
}

/// Monday = 0 of a day number (1970-01-01 was a Thursday).
fn weekday_of(day: i64) -> usize {
    (day + 3).rem_euclid(7) as usize
}

impl BusinessCalendar {
    /// Checks a spec: a known time zone, intervals within the day and not empty.
    pub fn new(spec: CalendarSpec) -> Result<Self, ValidationError> {
        let tz = TimeZone::get(&spec.time_zone).map_err(|_| {
            ValidationError::field(
                "time_zone",
                "invalid_value",
                "an IANA time zone such as Asia/Jakarta",
            )
        })?;
        let mut ranges: [Vec<(i64, i64)>; 7] = Default::default();
        for i in &spec.intervals {
            let ok = i.weekday < 7
                && i.start_minute < 1440
                && (1..=1440).contains(&i.end_minute)
                && i.start_minute != i.end_minute;
            if !ok {
                return Err(ValidationError::field(
                    "intervals",
                    "invalid_value",
                    "weekday 0–6, opening 00:00–23:59, closing 00:01–24:00, not equal",
                ));
            }
            let w = usize::from(i.weekday);
            let (s, e) = (i64::from(i.start_minute) * 60, i64::from(i.end_minute) * 60);
            if e > s {
                ranges[w].push((s, e));
            } else {
                ranges[w].push((s, DAY));
                if e > 0 {
                    ranges[(w + 1) % 7].push((0, e));
                }
            }
        }
        for day in &mut ranges {
            day.sort_unstable();
            let mut merged: Vec<(i64, i64)> = Vec::with_capacity(day.len());
            for &(s, e) in day.iter() {
                match merged.last_mut() {
                    Some(last) if s <= last.1 => last.1 = last.1.max(e),
                    _ => merged.push((s, e)),
                }
            }
            *day = merged;
        }
        let holidays: BTreeMap<i64, String> = spec
            .holidays
            .iter()
            .map(|h| (epoch_day(h.date), h.name.clone()))
            .collect();
        let mut workdays = BTreeMap::new();
        for w in &spec.workdays {
            let day = epoch_day(w.date);
            if w.works_as >= 7 {
                return Err(ValidationError::field(
                    "workdays",
                    "invalid_value",
                    "the weekday a make-up day works as: 0 (Monday) to 6 (Sunday)",
                ));
            }
            if holidays.contains_key(&day) || workdays.contains_key(&day) {
                return Err(ValidationError::field(
                    "workdays",
                    "duplicate",
                    format!("{} is listed twice (as a holiday or a make-up day)", w.date),
                ));
            }
            workdays.insert(day, usize::from(w.works_as));
        }
        Ok(BusinessCalendar {
            tz,
            ranges,
            holidays,
            workdays,
            spec,
        })
    }

    /// The spec it was built from.
    pub fn spec(&self) -> &CalendarSpec {
        &self.spec
    }

    /// The time zone.
    pub fn time_zone(&self) -> &TimeZone {
        &self.tz
    }

    /// The holiday on a local date, if any.
    pub fn holiday_on(&self, date: Date) -> Option<&str> {
        self.holidays.get(&epoch_day(date)).map(String::as_str)
    }

    /// Open instants in `[from, to)` (Unix seconds), in order, adjacent ones merged.
    fn segments(&self, from: i64, to: i64) -> Vec<(i64, i64)> {
        let mut out: Vec<(i64, i64)> = Vec::new();
        let mut t = from;
        while t < to {
            let Ok(ts) = Timestamp::from_second(t) else {
                break;
            };
            let offset = i64::from(self.tz.to_offset(ts).seconds());
            // Up to the next offset change the wall clock is the instant plus one offset.
            let piece_end = self
                .tz
                .following(ts)
                .next()
                .map(|tr| tr.timestamp().as_second())
                .filter(|&n| n > t)
                .map_or(to, |n| n.min(to));
            let (civil_from, civil_to) = (t + offset, piece_end + offset);
            let mut day = civil_from.div_euclid(DAY);
            while day * DAY < civil_to {
                if !self.holidays.contains_key(&day) {
                    let weekday = self
                        .workdays
                        .get(&day)
                        .copied()
                        .unwrap_or_else(|| weekday_of(day));
                    for &(s, e) in &self.ranges[weekday] {
                        let lo = (day * DAY + s).max(civil_from);
                        let hi = (day * DAY + e).min(civil_to);
                        if lo < hi {
                            let seg = (lo - offset, hi - offset);
                            match out.last_mut() {
                                Some(last) if seg.0 <= last.1 => last.1 = last.1.max(seg.1),
                                _ => out.push(seg),
                            }
                        }
                    }
                }
                day += 1;
            }
            t = piece_end;
        }
        out
    }

    /// Whether support is open at `at`.
    pub fn is_open(&self, at: Timestamp) -> bool {
        let t = at.as_second();
        !self.segments(t, t + 1).is_empty()
    }

    /// The first open instant at or after `at` (`at` itself when open); `None` when the
    /// calendar opens nowhere in the next two years.
    pub fn next_opening(&self, at: Timestamp) -> Option<Timestamp> {
        let start = at.as_second();
        let mut from = start;
        while from < start + HORIZON_DAYS * DAY {
            let to = from + WINDOW_DAYS * DAY;
            if let Some(&(s, _)) = self.segments(from, to).first() {
                return Timestamp::from_second(s).ok();
            }
            from = to;
        }
        None
    }

    /// The instant `minutes` business minutes after `at`: where the clock of a target
    /// that starts at `at` runs out. `None` when the calendar does not have that much
    /// open time in the next two years.
    pub fn add_business_minutes(&self, at: Timestamp, minutes: i64) -> Option<Timestamp> {
        let start = at.as_second();
        let mut remaining = minutes.max(0) * 60;
        if remaining == 0 {
            return Some(at);
        }
        let mut from = start;
        while from < start + HORIZON_DAYS * DAY {
            let to = from + WINDOW_DAYS * DAY;
            for (s, e) in self.segments(from, to) {
                let len = e - s;
                if len >= remaining {
                    return Timestamp::from_second(s + remaining).ok();
                }
                remaining -= len;
            }
            from = to;
        }
        None
    }

    /// Business minutes in `[from, to)` (whole minutes; 0 when `to` is not after `from`).
    pub fn business_minutes_between(&self, from: Timestamp, to: Timestamp) -> i64 {
        let (a, b) = (from.as_second(), to.as_second());
        if b <= a {
            return 0;
        }
        let open: i64 = self.segments(a, b).iter().map(|(s, e)| e - s).sum();
        open / 60
    }
}

/// A calendar as stored: an id (`id-jakarta`, `cn`, …), a name and its spec.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredCalendar {
    /// Id.
    pub id: String,
    /// Name shown to admins.
    pub name: String,
    /// The calendar.
    pub spec: CalendarSpec,
    /// Last change (µs).
    pub updated_at_us: i64,
}

string_enum!(
    /// Where a call-back stands.
    CallbackState {
        /// Waiting for its time or for an agent.
        Waiting => "waiting",
        /// An agent is calling (until the claim ends).
        Claimed => "claimed",
        /// Called back.
        Done => "done",
        /// Given up after attempts (no answer, wrong number).
        Abandoned => "abandoned",
    }
);

/// A phone call to return: a hotline call that came in while support was closed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Callback {
    /// Id.
    pub id: String,
    /// The ticket of the call.
    pub ticket_id: String,
    /// The number to call.
    pub phone: String,
    /// When to call: the next opening after the call.
    pub due_at_us: i64,
    /// Where it stands.
    pub state: CallbackState,
    /// The agent calling, while claimed.
    pub claimed_by: Option<String>,
    /// What happened (the agent's words).
    pub outcome: String,
    /// Created (µs).
    pub created_at_us: i64,
}

/// Calendars, which one applies where, and the call-back queue.
#[async_trait::async_trait]
pub trait CalendarRepo: Send + Sync {
    /// Every calendar by name.
    async fn calendars(&self) -> Result<Vec<StoredCalendar>, crate::repo::RepoError>;
    /// One calendar.
    async fn calendar(&self, id: &str) -> Result<StoredCalendar, crate::repo::RepoError>;
    /// Creates or replaces a calendar.
    async fn save_calendar(&self, calendar: &StoredCalendar) -> Result<(), crate::repo::RepoError>;
    /// Which calendar each region and each channel uses.
    async fn calendar_assignments(
        &self,
    ) -> Result<(Vec<(String, String)>, Vec<(String, String)>), crate::repo::RepoError>;
    /// Sets the calendar of a region.
    async fn set_region_calendar(
        &self,
        region_id: &str,
        calendar_id: &str,
    ) -> Result<(), crate::repo::RepoError>;
    /// Sets the default calendar of a channel.
    async fn set_channel_calendar(
        &self,
        channel: crate::ticket::Channel,
        calendar_id: &str,
    ) -> Result<(), crate::repo::RepoError>;
    /// The calendar that applies: the customer's region's, else the channel's default.
    async fn calendar_for(
        &self,
        customer: Option<&crate::CustomerId>,
        channel: crate::ticket::Channel,
    ) -> Result<Option<StoredCalendar>, crate::repo::RepoError>;
    /// Queues a call-back (one per ticket while one is waiting).
    async fn create_callback(
        &self,
        ticket_id: &str,
        phone: &str,
        due_at_us: i64,
        now_us: i64,
    ) -> Result<Callback, crate::repo::RepoError>;
    /// Call-backs not done yet, earliest due first.
    async fn open_callbacks(&self, limit: u32) -> Result<Vec<Callback>, crate::repo::RepoError>;
    /// Gives the next due call-back to an agent for `lease_us` (PostgreSQL: `FOR UPDATE
    /// SKIP LOCKED`, so two agents or nodes never get the same one).
    async fn claim_next_callback(
        &self,
        agent: &str,
        now_us: i64,
        lease_us: i64,
    ) -> Result<Option<Callback>, crate::repo::RepoError>;
    /// Records how a claimed call-back ended (`done` or `abandoned`), or puts it back.
    async fn finish_callback(
        &self,
        id: &str,
        agent: &str,
        state: CallbackState,
        outcome: &str,
        now_us: i64,
    ) -> Result<Callback, crate::repo::RepoError>;
}

/// Checks a stored calendar's spec and builds it.
impl TryFrom<&StoredCalendar> for BusinessCalendar {
    type Error = ValidationError;
    fn try_from(c: &StoredCalendar) -> Result<Self, Self::Error> {
        BusinessCalendar::new(c.spec.clone())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use jiff::ToSpan;
    use proptest::prelude::*;

    /// The oracle: the wall-clock definition, checked directly for one instant.
    fn oracle_open(c: &BusinessCalendar, t: i64) -> bool {
        let z = Timestamp::from_second(t)
            .unwrap()
            .to_zoned_datetime(c.tz.clone());
        let date = z.date();
        if c.holiday_on(date).is_some() {
            return false;
        }
        let minute = i64::from(z.hour()) * 60 + i64::from(z.minute());
        // A make-up day is the weekday it works as, early-morning tail of the night
        // before included.
        let weekday = c.spec.workdays.iter().find(|w| w.date == date).map_or(
            usize::from(z.weekday().to_monday_zero_offset() as u8),
            |w| usize::from(w.works_as),
        );
        let prev = (weekday + 6) % 7;
        c.spec.intervals.iter().any(|i| {
            let (s, e) = (i64::from(i.start_minute), i64::from(i.end_minute));
            let w = usize::from(i.weekday);
            if e > s {
                w == weekday && s <= minute && minute < e
            } else {
                (w == weekday && minute >= s) || (w == prev && minute < e)
            }
        })
    }

    const ZONES: [&str; 6] = [
        "Asia/Jakarta",
        "Asia/Shanghai",
        "America/New_York",
        "Europe/London",
        "Australia/Lord_Howe",
        "America/Sao_Paulo",
    ];

    fn interval() -> impl Strategy<Value = OpeningInterval> {
        (0u8..7, 0u16..96, 1u16..=96).prop_map(|(weekday, s, e)| {
            let (start_minute, mut end_minute) = (s * 15, e * 15);
            if end_minute == start_minute {
                end_minute = (start_minute + 60).min(1440);
            }
            OpeningInterval {
                weekday,
                start_minute,
                end_minute,
            }
        })
    }

    fn calendar() -> impl Strategy<Value = BusinessCalendar> {
        (
            0usize..ZONES.len(),
            prop::collection::vec(interval(), 0..10),
            prop::collection::vec((0i64..700, 1i64..12), 0..4),
            prop::collection::vec((0i64..700, 0u8..7), 0..4),
            any::<bool>(),
        )
            .prop_map(|(z, intervals, holidays, workdays, always)| {
                let mut spec = if always {
                    CalendarSpec::always_open(ZONES[z])
                } else {
                    CalendarSpec {
                        time_zone: ZONES[z].into(),
                        intervals,
                        holidays: vec![],
                        workdays: vec![],
                    }
                };
                // Long holidays: runs of consecutive closed days (Eid, Chinese New Year).
                for (start, len) in holidays {
                    for d in 0..len {
                        spec.holidays.push(Holiday {
                            date: Date::constant(2026, 1, 1)
                                .checked_add((start + d).days())
                                .unwrap(),
                            name: "holiday".into(),
                        });
                    }
                }
                // Make-up days on any date not already taken (weekends or not: the
                // definition is the same).
                for (day, works_as) in workdays {
                    let date = Date::constant(2026, 1, 1).checked_add(day.days()).unwrap();
                    let taken = spec.holidays.iter().any(|h| h.date == date)
                        || spec.workdays.iter().any(|w| w.date == date);
                    if !taken {
                        spec.workdays.push(MakeUpDay {
                            date,
                            name: "make-up day".into(),
                            works_as,
                        });
                    }
                }
                BusinessCalendar::new(spec).unwrap()
            })
    }

    /// A whole-minute instant in 2026–2027, where the DST changes of the zones fall.
    fn instant() -> impl Strategy<Value = i64> {
        (1_767_225_600i64..1_830_297_600).prop_map(|t| t - t.rem_euclid(60))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(160))]

        #[test]
        fn open_now_matches_the_oracle(c in calendar(), t in instant()) {
            for k in 0..120 {
                let at = t + k * 60;
                prop_assert_eq!(c.is_open(Timestamp::from_second(at).unwrap()), oracle_open(&c, at), "at {}", at);
            }
        }

        #[test]
        fn minutes_between_match_the_oracle(c in calendar(), t in instant(), len in 0i64..4320) {
            let expected = (0..len).filter(|k| oracle_open(&c, t + k * 60)).count() as i64;
            let got = c.business_minutes_between(
                Timestamp::from_second(t).unwrap(),
                Timestamp::from_second(t + len * 60).unwrap(),
            );
            prop_assert_eq!(got, expected);
        }

        #[test]
        fn adding_minutes_matches_the_oracle(c in calendar(), t in instant(), n in 0i64..1500) {
            let got = c.add_business_minutes(Timestamp::from_second(t).unwrap(), n).map(|x| x.as_second());
            // Walk minute by minute: the target is reached at the end of the n-th open minute.
            let mut count = 0;
            let mut expected = if n == 0 { Some(t) } else { None };
            let mut k = 0;
            while expected.is_none() && k < 60 * 24 * 40 {
                if oracle_open(&c, t + k * 60) {
                    count += 1;
                    if count == n {
                        expected = Some(t + (k + 1) * 60);
                    }
                }
                k += 1;
            }
            if expected.is_some() {
                prop_assert_eq!(got, expected);
            } else {
                // Not reached within 40 days by the oracle: the calendar must agree it is
                // further away (or never).
                prop_assert!(got.is_none_or(|g| g > t + k * 60));
            }
        }

        #[test]
        fn next_opening_matches_the_oracle(c in calendar(), t in instant()) {
            let got = c.next_opening(Timestamp::from_second(t).unwrap()).map(|x| x.as_second());
            let limit = 60 * 24 * 30;
            let expected = (0..limit).map(|k| t + k * 60).find(|&at| oracle_open(&c, at));
            match expected {
                Some(e) => prop_assert_eq!(got, Some(e)),
                None => prop_assert!(got.is_none_or(|g| g >= t + limit * 60)),
            }
        }
    }

    fn jakarta_office() -> BusinessCalendar {
        // Monday–Friday 08:00–17:00, Saturday 09:00–13:00, closed on 17 August.
        let mut intervals: Vec<OpeningInterval> = (0..5)
            .map(|weekday| OpeningInterval {
                weekday,
                start_minute: 8 * 60,
                end_minute: 17 * 60,
            })
            .collect();
        intervals.push(OpeningInterval {
            weekday: 5,
            start_minute: 9 * 60,
            end_minute: 13 * 60,
        });
        BusinessCalendar::new(CalendarSpec {
            time_zone: "Asia/Jakarta".into(),
            intervals,
            holidays: vec![Holiday {
                date: Date::constant(2026, 8, 17),
                name: "Hari Kemerdekaan".into(),
            }],
            workdays: Vec::new(),
        })
        .unwrap()
    }

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn a_make_up_sunday_opens_with_monday_hours_after_new_year() {
        // Shanghai, Monday to Friday 09:00-18:00; New Year 1-3 January 2026 closed and
        // Sunday 4 January worked in exchange (调休).
        let c = BusinessCalendar::new(CalendarSpec {
            time_zone: "Asia/Shanghai".into(),
            intervals: (0..5)
                .map(|weekday| OpeningInterval {
                    weekday,
                    start_minute: 9 * 60,
                    end_minute: 18 * 60,
                })
                .collect(),
            holidays: (1..=3)
                .map(|d| Holiday {
                    date: Date::constant(2026, 1, d),
                    name: "元旦".into(),
                })
                .collect(),
            workdays: vec![MakeUpDay {
                date: Date::constant(2026, 1, 4),
                name: "元旦调休上班".into(),
                works_as: 0,
            }],
        })
        .unwrap();
        // New Year's Eve 20:00 CST: the next opening is the make-up Sunday at 09:00.
        let eve = at("2025-12-31T12:00:00Z");
        assert_eq!(c.next_opening(eve), Some(at("2026-01-04T01:00:00Z")));
        assert!(c.is_open(at("2026-01-04T05:00:00Z")), "Sunday 13:00 CST");
        // Ten business hours from then: nine on Sunday, one on Monday.
        assert_eq!(
            c.add_business_minutes(eve, 600),
            Some(at("2026-01-05T02:00:00Z"))
        );
        // A date cannot be a holiday and a make-up day at once.
        let mut spec = c.spec().clone();
        spec.workdays.push(MakeUpDay {
            date: Date::constant(2026, 1, 2),
            name: "wrong".into(),
            works_as: 0,
        });
        assert!(BusinessCalendar::new(spec).is_err());
    }

    #[test]
    fn a_friday_evening_message_is_due_on_saturday_then_monday() {
        let c = jakarta_office();
        // Friday 16:30 WIB = 09:30 UTC; 30 minutes Friday + 240 Saturday + 30 Monday.
        let due = c
            .add_business_minutes(at("2026-11-27T09:30:00Z"), 300)
            .unwrap();
        assert_eq!(due, at("2026-11-30T01:30:00Z")); // Monday 08:30 WIB
        assert_eq!(
            c.business_minutes_between(at("2026-11-27T09:30:00Z"), due),
            300
        );
        assert!(!c.is_open(at("2026-11-29T03:00:00Z"))); // Sunday 10:00 WIB
        assert_eq!(
            c.next_opening(at("2026-11-29T03:00:00Z")),
            Some(at("2026-11-30T01:00:00Z"))
        );
    }

    #[test]
    fn a_holiday_closes_the_whole_local_day() {
        let c = jakarta_office();
        // Monday 17 August 2026 10:00 WIB is Independence Day.
        assert!(!c.is_open(at("2026-08-17T03:00:00Z")));
        assert_eq!(
            c.next_opening(at("2026-08-17T03:00:00Z")),
            Some(at("2026-08-18T01:00:00Z"))
        );
        assert_eq!(
            c.holiday_on(Date::constant(2026, 8, 17)),
            Some("Hari Kemerdekaan")
        );
    }

    #[test]
    fn overnight_shifts_follow_the_wall_clock_across_dst() {
        // New York, every day 22:00–06:00. On 8 March 2026 clocks jump 02:00 → 03:00.
        let c = BusinessCalendar::new(CalendarSpec {
            time_zone: "America/New_York".into(),
            intervals: (0..7)
                .map(|weekday| OpeningInterval {
                    weekday,
                    start_minute: 22 * 60,
                    end_minute: 6 * 60,
                })
                .collect(),
            holidays: vec![],
            workdays: Vec::new(),
        })
        .unwrap();
        // Saturday 7 March 22:00 EST to Sunday 06:00 EDT: 7 hours of wall time.
        let from = at("2026-03-08T03:00:00Z");
        let to = at("2026-03-08T11:00:00Z");
        assert_eq!(c.business_minutes_between(from, to), 7 * 60);
        // On 1 November 2026 they fall back 02:00 → 01:00: that night has 9 hours.
        assert_eq!(
            c.business_minutes_between(at("2026-11-01T02:00:00Z"), at("2026-11-01T12:00:00Z")),
            9 * 60
        );
    }

    #[test]
    fn always_open_and_never_open() {
        let c = BusinessCalendar::new(CalendarSpec::always_open("Asia/Shanghai")).unwrap();
        let t = at("2026-02-17T00:00:00Z");
        assert!(c.is_open(t));
        assert_eq!(
            c.add_business_minutes(t, 90),
            Some(at("2026-02-17T01:30:00Z"))
        );
        let never = BusinessCalendar::new(CalendarSpec {
            time_zone: "Asia/Shanghai".into(),
            intervals: vec![],
            holidays: vec![],
            workdays: Vec::new(),
        })
        .unwrap();
        assert_eq!(never.next_opening(t), None);
        assert_eq!(never.add_business_minutes(t, 1), None);
        assert_eq!(
            never.business_minutes_between(t, at("2026-03-17T00:00:00Z")),
            0
        );
    }

    #[test]
    fn bad_specs_are_refused() {
        let bad = |time_zone: &str, start_minute, end_minute| {
            BusinessCalendar::new(CalendarSpec {
                time_zone: time_zone.into(),
                intervals: vec![OpeningInterval {
                    weekday: 0,
                    start_minute,
                    end_minute,
                }],
                holidays: vec![],
                workdays: Vec::new(),
            })
            .is_err()
        };
        assert!(bad("Mars/Olympus_Mons", 480, 1020));
        assert!(bad("Asia/Jakarta", 480, 480));
        assert!(bad("Asia/Jakarta", 1440, 60));
        assert!(bad("Asia/Jakarta", 480, 1441));
        assert!(!bad("Asia/Jakarta", 1320, 360));
    }
}
