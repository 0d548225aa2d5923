//! Service-level agreements: which targets a ticket must meet, and when each is due.
//!
//! Policies are kept in order; the first whose conditions (category, priority, channel,
//! customer segment) all match a ticket applies. A policy sets targets in *business*
//! minutes of the ticket's calendar:
//!
//! - **first response**: from the moment the ticket opens until the first public reply by
//!   staff;
//! - **next response**: from each customer message that follows a staff reply until the
//!   next public staff reply;
//! - **resolution**: from the moment the ticket opens until it is solved; a reopened
//!   ticket resumes this clock with the time it had already used.
//!
//! Every clock runs only while the ticket is `new` or `open`. While it waits on the
//! customer (`pending_customer`) or on someone else (`on_hold`) the clocks stand still, so
//! a pause pushes every running due time back by the business time it lasted. Solving a
//! ticket stops the clocks and fulfils open response targets too (there is nothing left to
//! answer).
//!
//! A **customer segment** is a ticket tag (`vip`, `merchant`, `new-user`): channels and
//! agents put the segment on the ticket, where agents can see and change it, and a policy
//! that names segments applies to tickets carrying any of them.
//!
//! Everything here is a pure function of the policy, the calendar and the ticket's history
//! (status changes and messages with their times), so due times can be recomputed from
//! scratch whenever a policy or calendar changes. Clocks tick in whole minutes: every
//! instant is taken at the start of its minute, which keeps business-minute sums exact.

use crate::calendar::BusinessCalendar;
use crate::repo::RepoError;
use crate::ticket::{
    ActorKind, Category, Channel, Priority, Ticket, TicketEvent, TicketMessage, TicketStatus,
    Visibility,
};
use crate::validation::{FieldError, ValidationError};
use async_trait::async_trait;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

const MINUTE_US: i64 = 60_000_000;
/// Longest target: a year of business minutes.
pub const MAX_TARGET_MINUTES: u32 = 525_600;
/// Most policies an operator may keep (each ticket change walks them in order).
pub const MAX_POLICIES: usize = 100;
/// Business minutes before a due time the warning comes, unless a policy says otherwise.
pub const DEFAULT_WARN_BEFORE_MINUTES: u32 = 30;
/// Business minutes after a breach the supervisor is brought in, unless a policy says
/// otherwise: the assignee gets this long to act on the breach first.
pub const DEFAULT_ESCALATE_AFTER_MINUTES: u32 = 60;
/// The tag an escalated ticket gets, so supervisors' queues can find it.
pub const ESCALATED_TAG: &str = "sla-escalated";

string_enum!(
    /// What an SLA target measures.
    SlaTarget {
        /// Opening to the first public staff reply.
        FirstResponse => "first_response",
        /// A customer's message (after a staff reply) to the next public staff reply.
        NextResponse => "next_response",
        /// Opening to solved.
        Resolution => "resolution",
    }
);

string_enum!(
    /// What the SLA worker does at a point on a target's clock.
    SlaEventKind {
        /// The due time is near: recorded in the history.
        Warning => "warning",
        /// The due time passed: recorded, with an internal note for the agents.
        Breach => "breach",
        /// Still not met some time after the breach: a supervisor is brought in.
        Escalation => "escalation",
    }
);

string_enum!(
    /// Where one target's clock stands.
    CycleState {
        /// Ticking: the ticket is new or open.
        Running => "running",
        /// Standing still: the ticket waits on the customer or on someone else.
        Paused => "paused",
        /// Fulfilled (on time or late).
        Met => "met",
    }
);

string_enum!(
    /// A ticket's SLA at a glance.
    SlaState {
        /// No policy applies.
        None => "none",
        /// A target is running and not yet due.
        Active => "active",
        /// Targets remain but the clock stands still.
        Paused => "paused",
        /// A target is overdue, or one was missed.
        Breached => "breached",
        /// Every target was met on time.
        Met => "met",
    }
);

/// Which tickets a policy applies to. Each list left empty matches anything; a ticket
/// matches when it matches every list that is not empty.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SlaConditions {
    /// Any of these categories.
    #[serde(default)]
    pub categories: Vec<Category>,
    /// Any of these priorities.
    #[serde(default)]
    pub priorities: Vec<Priority>,
    /// Any of these channels.
    #[serde(default)]
    pub channels: Vec<Channel>,
    /// Any of these customer segments (ticket tags).
    #[serde(default)]
    pub segments: Vec<String>,
}

/// What of a ticket the conditions look at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlaSubject {
    /// Category.
    pub category: Category,
    /// Priority.
    pub priority: Priority,
    /// Channel it came in on.
    pub channel: Channel,
    /// Tags (customer segments among them).
    pub tags: Vec<String>,
}

impl From<&Ticket> for SlaSubject {
    fn from(t: &Ticket) -> Self {
        SlaSubject {
            category: t.category,
            priority: t.priority,
            channel: t.channel,
            tags: t.tags.clone(),
        }
    }
}

impl SlaConditions {
    /// Whether a ticket meets every condition.
    pub fn matches(&self, s: &SlaSubject) -> bool {
        (self.categories.is_empty() || self.categories.contains(&s.category))
            && (self.priorities.is_empty() || self.priorities.contains(&s.priority))
            && (self.channels.is_empty() || self.channels.contains(&s.channel))
            && (self.segments.is_empty() || self.segments.iter().any(|g| s.tags.contains(g)))
    }
}

/// Targets in business minutes; `None` sets no target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SlaTargets {
    /// Opening to the first public staff reply.
    #[serde(default)]
    pub first_response_minutes: Option<u32>,
    /// Each customer message to the next public staff reply.
    #[serde(default)]
    pub next_response_minutes: Option<u32>,
    /// Opening to solved.
    #[serde(default)]
    pub resolution_minutes: Option<u32>,
}

impl SlaTargets {
    /// The target for one measure.
    pub fn minutes(&self, target: SlaTarget) -> Option<u32> {
        match target {
            SlaTarget::FirstResponse => self.first_response_minutes,
            SlaTarget::NextResponse => self.next_response_minutes,
            SlaTarget::Resolution => self.resolution_minutes,
        }
    }
}

fn default_warn() -> u32 {
    DEFAULT_WARN_BEFORE_MINUTES
}

fn default_escalate() -> u32 {
    DEFAULT_ESCALATE_AFTER_MINUTES
}

/// One SLA policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaPolicy {
    /// Id (kept across edits so the history can name the policy that applied).
    pub id: String,
    /// Name shown to admins and agents ("Urgent", "VIP customers").
    pub name: String,
    /// Which tickets it applies to.
    #[serde(default)]
    pub conditions: SlaConditions,
    /// What it promises.
    pub targets: SlaTargets,
    /// Business minutes before a due time to warn (at most a fifth of the target, so a
    /// 30-minute target warns 6 minutes ahead rather than at once).
    #[serde(default = "default_warn")]
    pub warn_before_minutes: u32,
    /// Business minutes after a breach, still unmet, to escalate to a supervisor.
    #[serde(default = "default_escalate")]
    pub escalate_after_minutes: u32,
}

impl SlaPolicy {
    /// How far ahead of a target's due time its warning comes, in business minutes.
    pub fn warning_lead(&self, target_minutes: u32) -> u32 {
        self.warn_before_minutes.min(target_minutes / 5)
    }

    /// Checks one policy (at position `index` of the list, for field names) and tidies it:
    /// name trimmed, segments lowercase, duplicates dropped.
    fn checked(mut self, index: usize) -> Result<SlaPolicy, ValidationError> {
        let field = |name: &str| format!("policies[{index}].{name}");
        let mut errors: Vec<FieldError> = Vec::new();
        let mut fail = |name: &str, code: &'static str, message: &str| {
            errors.push(FieldError {
                field: field(name),
                code,
                message: message.to_owned(),
            })
        };
        self.name = self.name.split_whitespace().collect::<Vec<_>>().join(" ");
        if self.name.is_empty() {
            fail("name", "required", "a name");
        } else if self.name.chars().count() > 100 {
            fail("name", "too_long", "at most 100 characters");
        }
        let t = self.targets;
        for (name, value) in [
            ("first_response_minutes", t.first_response_minutes),
            ("next_response_minutes", t.next_response_minutes),
            ("resolution_minutes", t.resolution_minutes),
        ] {
            if value.is_some_and(|m| m == 0 || m > MAX_TARGET_MINUTES) {
                fail(
                    &format!("targets.{name}"),
                    "out_of_range",
                    "from 1 minute to a year (525,600 minutes)",
                );
            }
        }
        if t == SlaTargets::default() {
            fail("targets", "required", "at least one target");
        }
        if self.warn_before_minutes > MAX_TARGET_MINUTES {
            fail("warn_before_minutes", "out_of_range", "at most a year");
        }
        if self.escalate_after_minutes > MAX_TARGET_MINUTES {
            fail("escalate_after_minutes", "out_of_range", "at most a year");
        }
        let mut segments: Vec<String> = Vec::new();
        for s in &self.conditions.segments {
            let s = s.trim().to_lowercase();
            let ok = !s.is_empty()
                && s.chars().count() <= 40
                && s.chars()
                    .all(|c| c.is_alphanumeric() || c == '-' || c == '_');
            if !ok {
                fail(
                    "conditions.segments",
                    "invalid_format",
                    "tags: letters, digits, - and _ only, at most 40",
                );
            } else if !segments.contains(&s) {
                segments.push(s);
            }
        }
        self.conditions.segments = segments;
        dedup(&mut self.conditions.categories);
        dedup(&mut self.conditions.priorities);
        dedup(&mut self.conditions.channels);
        if self.id.trim().is_empty() {
            self.id = uuid::Uuid::now_v7().to_string();
        } else if self.id.len() > 64 {
            fail("id", "too_long", "at most 64 characters");
        }
        if errors.is_empty() {
            Ok(self)
        } else {
            Err(ValidationError { errors })
        }
    }
}

fn dedup<T: PartialEq + Copy>(v: &mut Vec<T>) {
    let mut out: Vec<T> = Vec::with_capacity(v.len());
    for x in v.iter() {
        if !out.contains(x) {
            out.push(*x);
        }
    }
    *v = out;
}

/// Checks an ordered list of policies as an admin saves it: every policy valid, ids
/// unique (policies without one get a new id), at most [`MAX_POLICIES`].
pub fn parse_policies(policies: Vec<SlaPolicy>) -> Result<Vec<SlaPolicy>, ValidationError> {
    if policies.len() > MAX_POLICIES {
        return Err(ValidationError::field(
            "policies",
            "too_many",
            format!("at most {MAX_POLICIES} policies"),
        ));
    }
    let mut out = Vec::with_capacity(policies.len());
    let mut errors = Vec::new();
    for (i, p) in policies.into_iter().enumerate() {
        match p.checked(i) {
            Ok(p) if out.iter().any(|o: &SlaPolicy| o.id == p.id) => errors.push(FieldError {
                field: format!("policies[{i}].id"),
                code: "duplicate",
                message: "each policy once".into(),
            }),
            Ok(p) => out.push(p),
            Err(e) => errors.extend(e.errors),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(ValidationError { errors })
    }
}

/// The policy that applies: the first whose conditions match.
pub fn select_policy<'a>(policies: &'a [SlaPolicy], subject: &SlaSubject) -> Option<&'a SlaPolicy> {
    policies.iter().find(|p| p.conditions.matches(subject))
}

/// One thing in a ticket's history that moves an SLA clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlaActivity {
    /// The status became this.
    Status {
        /// When (µs).
        at_us: i64,
        /// The new status.
        status: TicketStatus,
    },
    /// The customer (or an unidentified contact) wrote publicly.
    CustomerMessage {
        /// When (µs).
        at_us: i64,
    },
    /// A member of staff replied publicly.
    StaffReply {
        /// When (µs).
        at_us: i64,
    },
}

impl SlaActivity {
    /// The activity a message is, if any: internal notes and paydesk's own automatic
    /// replies move no clock (an auto-reply is not an answer).
    pub fn from_message(author: ActorKind, visibility: Visibility, at_us: i64) -> Option<Self> {
        if visibility != Visibility::Public {
            return None;
        }
        match author {
            ActorKind::Customer | ActorKind::Contact => {
                Some(SlaActivity::CustomerMessage { at_us })
            }
            ActorKind::Staff => Some(SlaActivity::StaffReply { at_us }),
            ActorKind::System => None,
        }
    }

    /// The activity of a history entry, if it is a status change.
    pub fn from_history(field: &str, new_value: &str, at_us: i64) -> Option<Self> {
        if field != "status" {
            return None;
        }
        TicketStatus::parse(new_value).map(|status| SlaActivity::Status { at_us, status })
    }

    /// When it happened (µs).
    pub fn at_us(&self) -> i64 {
        match *self {
            SlaActivity::Status { at_us, .. }
            | SlaActivity::CustomerMessage { at_us }
            | SlaActivity::StaffReply { at_us } => at_us,
        }
    }
}

/// A ticket's clock-moving history from its stored events and messages, in time order.
pub fn activities(events: &[TicketEvent], messages: &[TicketMessage]) -> Vec<SlaActivity> {
    let mut out: Vec<SlaActivity> = events
        .iter()
        .filter_map(|e| SlaActivity::from_history(&e.field, &e.new_value, e.at_us))
        .chain(messages.iter().filter_map(|m| {
            SlaActivity::from_message(m.author_kind, m.visibility, m.created_at_us)
        }))
        .collect();
    out.sort_by_key(SlaActivity::at_us);
    out
}

/// One run of a target: first response and resolution have one each, next response one
/// per customer message that waits for an answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetCycle {
    /// What is measured.
    pub target: SlaTarget,
    /// When its clock started (µs, whole minute).
    pub started_at_us: i64,
    /// The target in business minutes.
    pub minutes: u32,
    /// Where it stands.
    pub state: CycleState,
    /// Running: when it runs out (may be past). Met or paused: when it ran out, if it did.
    pub due_at_us: Option<i64>,
    /// When it was met.
    pub met_at_us: Option<i64>,
    /// Business minutes used up to the last change of the ticket.
    pub used_minutes: i64,
    /// Running: when the warning is due.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warn_at_us: Option<i64>,
    /// Running: when escalation is due.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalate_at_us: Option<i64>,
}

impl TargetCycle {
    /// Whether the target is (or was) missed as of `now_us`.
    pub fn breached(&self, now_us: i64) -> bool {
        match self.state {
            CycleState::Running => self.due_at_us.is_some_and(|d| d <= now_us),
            CycleState::Met => match (self.due_at_us, self.met_at_us) {
                (Some(d), Some(m)) => d < m,
                _ => false,
            },
            CycleState::Paused => self.used_minutes >= i64::from(self.minutes),
        }
    }

    /// Business minutes left when paused (0 once run out).
    pub fn remaining_minutes(&self) -> i64 {
        (i64::from(self.minutes) - self.used_minutes).max(0)
    }
}

/// Takes an instant at the start of its minute.
fn floor_minute(us: i64) -> i64 {
    us.div_euclid(MINUTE_US) * MINUTE_US
}

fn ts(us: i64) -> Timestamp {
    Timestamp::from_microsecond(us).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// A stretch of running time `[from, to)` in µs; `to = None` is still running.
type Period = (i64, Option<i64>);

/// Business minutes of the calendar in the closed periods (running ones up to their start:
/// what has been used by the last change).
fn used_minutes(periods: &[Period], calendar: &BusinessCalendar) -> i64 {
    periods
        .iter()
        .filter_map(|&(a, b)| b.map(|b| calendar.business_minutes_between(ts(a), ts(b))))
        .sum()
}

/// The instant at which `minutes` business minutes have been used on a clock that runs
/// in `periods`; `None` when the periods end first (or the calendar never opens).
fn when_used(periods: &[Period], minutes: i64, calendar: &BusinessCalendar) -> Option<i64> {
    let mut remaining = minutes.max(0);
    for &(a, b) in periods {
        let candidate = calendar
            .add_business_minutes(ts(a), remaining)
            .map(|t| t.as_microsecond());
        match (candidate, b) {
            (Some(c), None) => return Some(c),
            (Some(c), Some(b)) if c <= b => return Some(c),
            (_, Some(b)) => remaining -= calendar.business_minutes_between(ts(a), ts(b)),
            (None, None) => return None,
        }
    }
    None
}

/// The running periods in `[from, until)` (`until = None`: no end).
fn clip(running: &[Period], from: i64, until: Option<i64>) -> Vec<Period> {
    running
        .iter()
        .filter_map(|&(a, b)| {
            let a = a.max(from);
            let b = match (b, until) {
                (Some(b), Some(u)) => Some(b.min(u)),
                (b, None) => b,
                (None, u) => u,
            };
            match b {
                Some(b) if b <= a => None,
                _ => Some((a, b)),
            }
        })
        .collect()
}

fn is_running(s: TicketStatus) -> bool {
    matches!(s, TicketStatus::New | TicketStatus::Open)
}

fn is_done(s: TicketStatus) -> bool {
    matches!(s, TicketStatus::Solved | TicketStatus::Closed)
}

/// Works out every target cycle of a ticket under `policy`: when each started, where it
/// stands, when it is (or was) due. `activities` need not be sorted.
pub fn evaluate(
    policy: &SlaPolicy,
    created_at_us: i64,
    activities: &[SlaActivity],
    calendar: &BusinessCalendar,
) -> Vec<TargetCycle> {
    let created = floor_minute(created_at_us);
    let mut acts: Vec<SlaActivity> = activities.to_vec();
    acts.sort_by_key(SlaActivity::at_us);

    // The running periods of the ticket, from its status changes.
    let mut running: Vec<Period> = Vec::new();
    let mut status = TicketStatus::New;
    let mut run_from: Option<i64> = Some(created);
    // Response cycles: (target, start, end).
    let mut responses: Vec<(SlaTarget, i64, Option<i64>)> =
        vec![(SlaTarget::FirstResponse, created, None)];
    let mut answered = false;
    let mut solved_at: Option<i64> = None;
    for act in &acts {
        let at = floor_minute(act.at_us()).max(created);
        let open_cycle = responses.iter_mut().rev().find(|c| c.2.is_none());
        match *act {
            SlaActivity::Status { status: next, .. } => {
                if is_running(next) && run_from.is_none() {
                    run_from = Some(at);
                } else if !is_running(next)
                    && let Some(from) = run_from.take()
                {
                    running.push((from, Some(at)));
                }
                if is_done(next) {
                    // Solving fulfils whatever answer was awaited.
                    if let Some(c) = open_cycle {
                        c.2 = Some(at);
                    }
                    answered = true;
                    if !is_done(status) {
                        solved_at = Some(at);
                    }
                } else {
                    solved_at = None;
                }
                status = next;
            }
            SlaActivity::StaffReply { .. } => {
                if let Some(c) = open_cycle {
                    c.2 = Some(at);
                }
                answered = true;
            }
            SlaActivity::CustomerMessage { .. } => {
                if answered && open_cycle.is_none() {
                    responses.push((SlaTarget::NextResponse, at, None));
                }
            }
        }
    }
    if let Some(from) = run_from {
        running.push((from, None));
    }

    let cycle = |target: SlaTarget, start: i64, end: Option<i64>| -> Option<TargetCycle> {
        let minutes = policy.targets.minutes(target)?;
        let periods = clip(&running, start, end);
        let ticking = end.is_none() && periods.last().is_some_and(|p| p.1.is_none());
        let state = if end.is_some() {
            CycleState::Met
        } else if ticking {
            CycleState::Running
        } else {
            CycleState::Paused
        };
        let total = i64::from(minutes);
        let at_used = |m: i64| when_used(&periods, m, calendar);
        let (warn, escalate) = if state == CycleState::Running {
            let lead = i64::from(policy.warning_lead(minutes));
            (
                (lead > 0).then(|| at_used(total - lead)).flatten(),
                at_used(total + i64::from(policy.escalate_after_minutes)),
            )
        } else {
            (None, None)
        };
        Some(TargetCycle {
            target,
            started_at_us: start,
            minutes,
            state,
            due_at_us: at_used(total),
            met_at_us: end,
            used_minutes: used_minutes(&periods, calendar),
            warn_at_us: warn,
            escalate_at_us: escalate,
        })
    };

    let mut out: Vec<TargetCycle> = responses
        .iter()
        .filter_map(|&(t, s, e)| cycle(t, s, e))
        .collect();
    if let Some(c) = cycle(
        SlaTarget::Resolution,
        created,
        if is_done(status) { solved_at } else { None },
    ) {
        out.push(c);
    }
    out
}

/// An SLA event the worker should fire: one per kind per running target cycle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduledEvent {
    /// The target.
    pub target: SlaTarget,
    /// The cycle (its start), so each cycle warns, breaches and escalates once.
    pub cycle_started_us: i64,
    /// What to do.
    pub kind: SlaEventKind,
    /// When (µs).
    pub fire_at_us: i64,
    /// The target's due time, for the words of the note.
    pub due_at_us: i64,
}

/// The events the running cycles call for.
pub fn scheduled_events(cycles: &[TargetCycle]) -> Vec<ScheduledEvent> {
    let mut out = Vec::new();
    for c in cycles.iter().filter(|c| c.state == CycleState::Running) {
        let Some(due) = c.due_at_us else { continue };
        for (kind, at) in [
            (SlaEventKind::Warning, c.warn_at_us),
            (SlaEventKind::Breach, Some(due)),
            (SlaEventKind::Escalation, c.escalate_at_us),
        ] {
            if let Some(at) = at {
                out.push(ScheduledEvent {
                    target: c.target,
                    cycle_started_us: c.started_at_us,
                    kind,
                    fire_at_us: at,
                    due_at_us: due,
                });
            }
        }
    }
    out
}

/// A ticket's SLA as stored with it: the policy and calendar used, the due times of the
/// running targets (what queues sort by) and every cycle.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct TicketSla {
    /// The policy that applies (none: no targets).
    pub policy_id: Option<String>,
    /// The calendar its clock follows (none: around the clock, UTC).
    pub calendar_id: Option<String>,
    /// Running first-response target's due time (µs).
    pub first_response_due_us: Option<i64>,
    /// Running next-response target's due time (µs).
    pub next_response_due_us: Option<i64>,
    /// Running resolution target's due time (µs).
    pub resolution_due_us: Option<i64>,
    /// The earliest of the three.
    pub next_due_us: Option<i64>,
    /// Every cycle, oldest first.
    pub cycles: Vec<TargetCycle>,
}

impl TicketSla {
    /// The stored form of an evaluation.
    pub fn from_cycles(
        policy_id: Option<String>,
        calendar_id: Option<String>,
        cycles: Vec<TargetCycle>,
    ) -> Self {
        let due = |t: SlaTarget| {
            cycles
                .iter()
                .rev()
                .find(|c| c.target == t && c.state == CycleState::Running)
                .and_then(|c| c.due_at_us)
        };
        let first = due(SlaTarget::FirstResponse);
        let next = due(SlaTarget::NextResponse);
        let resolution = due(SlaTarget::Resolution);
        TicketSla {
            policy_id,
            calendar_id,
            first_response_due_us: first,
            next_response_due_us: next,
            resolution_due_us: resolution,
            next_due_us: [first, next, resolution].into_iter().flatten().min(),
            cycles,
        }
    }

    /// The latest cycle of a target.
    pub fn current(&self, target: SlaTarget) -> Option<&TargetCycle> {
        self.cycles.iter().rev().find(|c| c.target == target)
    }

    /// Where the SLA stands at `now_us`.
    pub fn state(&self, now_us: i64) -> SlaState {
        if self.policy_id.is_none() || self.cycles.is_empty() {
            return SlaState::None;
        }
        if self.cycles.iter().any(|c| c.breached(now_us)) {
            SlaState::Breached
        } else if self.cycles.iter().any(|c| c.state == CycleState::Running) {
            SlaState::Active
        } else if self.cycles.iter().any(|c| c.state == CycleState::Paused) {
            SlaState::Paused
        } else {
            SlaState::Met
        }
    }
}

/// An SLA event claimed by a worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlaEvent {
    /// Id.
    pub id: String,
    /// The ticket.
    pub ticket_id: String,
    /// The target.
    pub target: SlaTarget,
    /// What to do.
    pub kind: SlaEventKind,
    /// The cycle it belongs to.
    pub cycle_started_us: i64,
    /// When it was due to fire (µs).
    pub fire_at_us: i64,
    /// The target's due time (µs).
    pub due_at_us: i64,
    /// `pending` or `done`.
    pub state: String,
    /// Claims so far.
    pub attempts: u32,
    /// The time zone of the ticket's calendar, for the words of the note.
    pub time_zone: String,
}

/// What firing an event writes, all in one transaction with marking it done.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SlaFiring {
    /// An internal note for the agents (none: history entry only).
    pub note: Option<String>,
    /// A tag to add.
    pub tag: Option<String>,
    /// The history entry's value (`first_response`, `first_response → <supervisor>`).
    pub history_value: String,
    /// Nothing to do after all (a warning whose breach is already due): marked done
    /// without writing anything.
    pub skip: bool,
}

/// SLA policies, the recompute queue and SLA events.
#[async_trait]
pub trait SlaRepo: Send + Sync {
    /// The policies in order.
    async fn sla_policies(&self) -> Result<Vec<SlaPolicy>, RepoError>;
    /// Replaces the policies (checked with [`parse_policies`]) and marks every active
    /// ticket for recompute by the background job; returns how many were marked.
    async fn save_sla_policies(
        &self,
        policies: &[SlaPolicy],
        now_us: i64,
    ) -> Result<u64, RepoError>;
    /// Marks active tickets for recompute: those following one calendar, or all of them
    /// (`None`: a region's or channel's calendar choice changed). Returns how many.
    async fn mark_sla_dirty(
        &self,
        calendar_id: Option<&str>,
        now_us: i64,
    ) -> Result<u64, RepoError>;
    /// Recomputes up to `limit` marked tickets, each in its own transaction; a ticket
    /// marked again meanwhile stays marked. Claims are leased (PostgreSQL: `FOR UPDATE
    /// SKIP LOCKED`), so nodes share the work. Returns how many were recomputed.
    async fn recompute_dirty_sla(
        &self,
        node: &str,
        now_us: i64,
        limit: u32,
    ) -> Result<u32, RepoError>;
    /// How many tickets wait for a recompute.
    async fn sla_dirty_count(&self) -> Result<i64, RepoError>;
    /// Claims up to `limit` SLA events due at `now_us` for `lease_us`; each goes to one
    /// node at a time (PostgreSQL: `FOR UPDATE SKIP LOCKED`).
    async fn claim_sla_events(
        &self,
        node: &str,
        now_us: i64,
        lease_us: i64,
        limit: u32,
    ) -> Result<Vec<SlaEvent>, RepoError>;
    /// Fires a claimed event: writes what `firing` says and marks it done, in one
    /// transaction. `false` (nothing written) when the claim is no longer this node's,
    /// the event was rescheduled or dropped, or it is already done.
    async fn finish_sla_event(
        &self,
        id: &str,
        node: &str,
        firing: &SlaFiring,
        now_us: i64,
    ) -> Result<bool, RepoError>;
    /// A ticket's SLA events, by fire time.
    async fn ticket_sla_events(&self, ticket_id: &str) -> Result<Vec<SlaEvent>, RepoError>;
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::calendar::{CalendarSpec, Holiday, OpeningInterval};
    use jiff::civil::date;
    use proptest::prelude::*;

    /// Jakarta, Monday to Friday 08:00–17:00, New Year's Day closed.
    fn jakarta() -> BusinessCalendar {
        BusinessCalendar::new(CalendarSpec {
            time_zone: "Asia/Jakarta".into(),
            intervals: (0..5)
                .map(|weekday| OpeningInterval {
                    weekday,
                    start_minute: 8 * 60,
                    end_minute: 17 * 60,
                })
                .collect(),
            holidays: vec![Holiday {
                date: date(2026, 1, 1),
                name: "Tahun Baru Masehi".into(),
            }],
            workdays: Vec::new(),
        })
        .unwrap()
    }

    fn always() -> BusinessCalendar {
        BusinessCalendar::new(CalendarSpec::always_open("UTC")).unwrap()
    }

    /// µs of a Jakarta wall-clock time.
    fn wib(y: i16, mo: i8, d: i8, h: i8, mi: i8) -> i64 {
        date(y, mo, d)
            .at(h, mi, 0, 0)
            .in_tz("Asia/Jakarta")
            .unwrap()
            .timestamp()
            .as_microsecond()
    }

    fn policy(first: Option<u32>, next: Option<u32>, resolution: Option<u32>) -> SlaPolicy {
        SlaPolicy {
            id: "p".into(),
            name: "Normal".into(),
            conditions: SlaConditions::default(),
            targets: SlaTargets {
                first_response_minutes: first,
                next_response_minutes: next,
                resolution_minutes: resolution,
            },
            warn_before_minutes: 30,
            escalate_after_minutes: 60,
        }
    }

    fn status(at_us: i64, status: TicketStatus) -> SlaActivity {
        SlaActivity::Status { at_us, status }
    }

    fn of(cycles: &[TargetCycle], t: SlaTarget) -> Vec<&TargetCycle> {
        cycles.iter().filter(|c| c.target == t).collect()
    }

    #[test]
    fn first_response_runs_over_a_holiday_and_a_weekend() {
        let cal = jakarta();
        // Wednesday 31 December 15:00: two hours left that day, Thursday is New Year's
        // Day, so the other two hours fall on Friday morning.
        let created = wib(2025, 12, 31, 15, 0);
        let acts = [
            status(created, TicketStatus::New),
            SlaActivity::CustomerMessage { at_us: created },
        ];
        let cycles = evaluate(&policy(Some(240), None, Some(1080)), created, &acts, &cal);
        let first = of(&cycles, SlaTarget::FirstResponse)[0];
        assert_eq!(first.state, CycleState::Running);
        assert_eq!(first.due_at_us, Some(wib(2026, 1, 2, 10, 0)));
        // Warned 30 business minutes before, escalated an hour of business time after.
        assert_eq!(first.warn_at_us, Some(wib(2026, 1, 2, 9, 30)));
        assert_eq!(first.escalate_at_us, Some(wib(2026, 1, 2, 11, 0)));
        // 1080 minutes = two 9-hour days: Wed 2 h, Fri 9 h, then the weekend, Mon 7 h.
        let res = of(&cycles, SlaTarget::Resolution)[0];
        assert_eq!(res.due_at_us, Some(wib(2026, 1, 5, 15, 0)));
    }

    #[test]
    fn friday_afternoon_ticket_is_due_monday_morning() {
        let cal = jakarta();
        let created = wib(2026, 1, 9, 16, 30);
        let cycles = evaluate(
            &policy(Some(60), None, None),
            created,
            &[status(created, TicketStatus::New)],
            &cal,
        );
        assert_eq!(cycles[0].due_at_us, Some(wib(2026, 1, 12, 8, 30)));
    }

    #[test]
    fn waiting_on_the_customer_pauses_and_their_reply_restarts_next_response() {
        let cal = jakarta();
        let created = wib(2025, 12, 31, 15, 0);
        let replied = wib(2026, 1, 2, 9, 0);
        let customer_back = wib(2026, 1, 5, 10, 30);
        let acts = [
            status(created, TicketStatus::New),
            SlaActivity::CustomerMessage { at_us: created },
            // The agent answers and asks for a receipt: pending.
            SlaActivity::StaffReply { at_us: replied },
            status(replied, TicketStatus::PendingCustomer),
            // Monday the customer sends it; the ticket reopens.
            SlaActivity::CustomerMessage {
                at_us: customer_back,
            },
            status(customer_back, TicketStatus::Open),
        ];
        let p = policy(Some(240), Some(120), Some(960));
        let cycles = evaluate(&p, created, &acts, &cal);
        let first = of(&cycles, SlaTarget::FirstResponse)[0];
        assert_eq!(first.state, CycleState::Met);
        assert_eq!(first.met_at_us, Some(replied));
        assert!(!first.breached(i64::MAX));
        let next = of(&cycles, SlaTarget::NextResponse);
        assert_eq!(next.len(), 1);
        assert_eq!(next[0].started_at_us, customer_back);
        assert_eq!(next[0].due_at_us, Some(wib(2026, 1, 5, 12, 30)));
        // Resolution: Wed 120 + Fri 60 used before the pause; 780 left from Monday 10:30:
        // 390 on Monday, 390 on Tuesday from 08:00.
        let res = of(&cycles, SlaTarget::Resolution)[0];
        assert_eq!(res.used_minutes, 180);
        assert_eq!(res.due_at_us, Some(wib(2026, 1, 6, 14, 30)));

        // While pending, nothing runs and nothing is due.
        let paused = evaluate(&p, created, &acts[..4], &cal);
        let sla = TicketSla::from_cycles(Some("p".into()), None, paused);
        assert_eq!(sla.next_due_us, None);
        assert_eq!(sla.state(wib(2026, 1, 5, 9, 0)), SlaState::Paused);
        let res = sla.current(SlaTarget::Resolution).unwrap();
        assert_eq!(res.state, CycleState::Paused);
        assert_eq!(res.remaining_minutes(), 780);
    }

    #[test]
    fn a_late_answer_is_a_breach_and_solving_stops_the_clocks() {
        let cal = jakarta();
        let created = wib(2026, 1, 5, 9, 0);
        let acts = [
            status(created, TicketStatus::New),
            SlaActivity::CustomerMessage { at_us: created },
            SlaActivity::StaffReply {
                at_us: wib(2026, 1, 5, 11, 0),
            },
            status(wib(2026, 1, 5, 11, 0), TicketStatus::Open),
            status(wib(2026, 1, 5, 12, 0), TicketStatus::Solved),
        ];
        let cycles = evaluate(&policy(Some(60), Some(60), Some(600)), created, &acts, &cal);
        let first = of(&cycles, SlaTarget::FirstResponse)[0];
        assert_eq!(first.due_at_us, Some(wib(2026, 1, 5, 10, 0)));
        assert!(first.breached(0));
        let res = of(&cycles, SlaTarget::Resolution)[0];
        assert_eq!(res.state, CycleState::Met);
        assert_eq!(res.met_at_us, Some(wib(2026, 1, 5, 12, 0)));
        let sla = TicketSla::from_cycles(Some("p".into()), None, cycles);
        assert_eq!(sla.next_due_us, None);
        assert_eq!(sla.state(i64::MAX), SlaState::Breached);
    }

    #[test]
    fn a_reopen_resumes_resolution_with_the_time_already_used() {
        let cal = jakarta();
        let created = wib(2026, 1, 5, 8, 0);
        let solved = wib(2026, 1, 5, 10, 0);
        let reopened = wib(2026, 1, 7, 13, 0);
        let acts = [
            status(created, TicketStatus::New),
            SlaActivity::CustomerMessage { at_us: created },
            SlaActivity::StaffReply { at_us: solved },
            status(solved, TicketStatus::Solved),
            SlaActivity::CustomerMessage { at_us: reopened },
            status(reopened, TicketStatus::Open),
        ];
        let cycles = evaluate(&policy(None, Some(30), Some(300)), created, &acts, &cal);
        let res = of(&cycles, SlaTarget::Resolution)[0];
        assert_eq!(res.state, CycleState::Running);
        assert_eq!(res.used_minutes, 120);
        // 180 minutes left from Wednesday 13:00.
        assert_eq!(res.due_at_us, Some(wib(2026, 1, 7, 16, 0)));
        let next = of(&cycles, SlaTarget::NextResponse)[0];
        assert_eq!(next.due_at_us, Some(wib(2026, 1, 7, 13, 30)));
        // A 30-minute target warns a fifth ahead, not 30 minutes ahead (that is at once).
        assert_eq!(next.warn_at_us, Some(wib(2026, 1, 7, 13, 24)));
    }

    #[test]
    fn notes_and_automatic_replies_answer_nothing() {
        assert_eq!(
            SlaActivity::from_message(ActorKind::Staff, Visibility::Internal, 1),
            None
        );
        assert_eq!(
            SlaActivity::from_message(ActorKind::System, Visibility::Public, 1),
            None
        );
        let created = 0;
        let cycles = evaluate(
            &policy(Some(10), None, None),
            created,
            &[status(0, TicketStatus::New)],
            &always(),
        );
        assert_eq!(cycles[0].due_at_us, Some(10 * MINUTE_US));
    }

    #[test]
    fn the_first_matching_policy_applies() {
        let mut urgent = policy(Some(30), None, None);
        urgent.id = "urgent".into();
        urgent.conditions.priorities = vec![Priority::Urgent];
        let mut vip = policy(Some(60), None, None);
        vip.id = "vip".into();
        vip.conditions.segments = vec!["vip".into()];
        vip.conditions.channels = vec![Channel::App, Channel::Web];
        let mut all = policy(Some(240), None, None);
        all.id = "all".into();
        let list = vec![urgent, vip, all];
        let subject = |priority, channel, tags: &[&str]| SlaSubject {
            category: Category::Other,
            priority,
            channel,
            tags: tags.iter().map(|s| s.to_string()).collect(),
        };
        let pick = |s: SlaSubject| select_policy(&list, &s).map(|p| p.id.clone());
        assert_eq!(
            pick(subject(Priority::Urgent, Channel::X, &["vip"])).unwrap(),
            "urgent"
        );
        assert_eq!(
            pick(subject(Priority::Low, Channel::App, &["vip"])).unwrap(),
            "vip"
        );
        assert_eq!(
            pick(subject(Priority::Low, Channel::X, &["vip"])).unwrap(),
            "all"
        );
        assert_eq!(
            pick(subject(Priority::Low, Channel::Web, &[])).unwrap(),
            "all"
        );
        assert_eq!(
            select_policy(&[], &subject(Priority::Low, Channel::Web, &[])),
            None
        );
    }

    #[test]
    fn policies_are_checked_as_a_list() {
        let mut bad = policy(Some(0), None, None);
        bad.name = " ".into();
        bad.conditions.segments = vec!["<b>".into()];
        let err = parse_policies(vec![bad]).unwrap_err();
        let fields: Vec<_> = err.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            vec![
                "policies[0].name",
                "policies[0].targets.first_response_minutes",
                "policies[0].conditions.segments"
            ]
        );
        assert!(parse_policies(vec![policy(None, None, None)]).is_err());
        let twice = parse_policies(vec![
            policy(Some(5), None, None),
            policy(Some(5), None, None),
        ]);
        assert_eq!(twice.unwrap_err().errors[0].code, "duplicate");
        let mut fresh = policy(Some(5), None, None);
        fresh.id = String::new();
        fresh.conditions.segments = vec!["VIP".into(), "vip".into()];
        let ok = parse_policies(vec![fresh]).unwrap();
        assert!(!ok[0].id.is_empty());
        assert_eq!(ok[0].conditions.segments, vec!["vip"]);
    }

    /// A random history: alternating running and paused stretches of random lengths,
    /// ending either running or paused.
    fn history() -> impl Strategy<Value = (i64, Vec<(i64, bool)>)> {
        (
            0i64..(3 * 365 * 24 * 60),
            prop::collection::vec((1i64..(4 * 24 * 60), any::<bool>()), 0..8),
        )
    }

    fn activities_of(created: i64, steps: &[(i64, bool)]) -> (Vec<SlaActivity>, i64) {
        let mut acts = vec![status(created, TicketStatus::New)];
        let mut at = created;
        let mut paused_wall = 0;
        let mut paused = false;
        for &(minutes, hold) in steps {
            at += minutes * MINUTE_US;
            paused = !paused;
            let next = if paused {
                if hold {
                    TicketStatus::OnHold
                } else {
                    TicketStatus::PendingCustomer
                }
            } else {
                TicketStatus::Open
            };
            acts.push(status(at, next));
            if !paused {
                paused_wall += minutes;
            }
        }
        (acts, paused_wall)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Around the clock, a target is due `minutes` after it started plus every paused
        /// minute before that; paused time never counts.
        #[test]
        fn around_the_clock_due_is_start_plus_target_plus_pauses(
            (created_min, steps) in history(),
            target in 1u32..(3 * 24 * 60),
        ) {
            let created = floor_minute(1_700_000_000_000_000) + created_min * MINUTE_US;
            let (acts, _) = activities_of(created, &steps);
            let cycles = evaluate(&policy(None, None, Some(target)), created, &acts, &always());
            let res = &cycles[0];
            // Replay in wall time: running and paused stretches alternate between the
            // status changes.
            let mut changes: Vec<i64> = acts.iter().skip(1).map(SlaActivity::at_us).collect();
            let ends_running = changes.len().is_multiple_of(2);
            changes.push(i64::MAX);
            let budget = i64::from(target) * MINUTE_US;
            let (mut left, mut at, mut paused_before_due, mut due) = (budget, created, 0, None);
            let mut ran = 0;
            for (i, &until) in changes.iter().enumerate() {
                if i.is_multiple_of(2) {
                    if due.is_none() && until - at >= left {
                        due = Some(at + left);
                    } else if due.is_none() {
                        left -= until - at;
                    }
                    if until != i64::MAX {
                        ran += until - at;
                    }
                } else if due.is_none() {
                    paused_before_due += until - at;
                }
                at = until;
            }
            match res.state {
                CycleState::Running => {
                    prop_assert!(ends_running);
                    prop_assert_eq!(res.due_at_us, due);
                    let d = res.due_at_us.unwrap();
                    prop_assert_eq!(d, created + budget + paused_before_due);
                    prop_assert!(d >= created);
                }
                CycleState::Paused => {
                    prop_assert!(!ends_running);
                    prop_assert_eq!(res.remaining_minutes(), ((budget - ran) / MINUTE_US).max(0));
                }
                CycleState::Met => prop_assert!(false, "never solved"),
            }
        }

        /// On a business calendar, the business time a running target uses up to its due
        /// time is exactly the target, whatever the pauses; the due time is open time
        /// after the start, and never inside a pause.
        #[test]
        fn business_time_used_until_due_is_the_target(
            (created_min, steps) in history(),
            target in 1u32..(4 * 9 * 60),
        ) {
            let cal = jakarta();
            let created = floor_minute(1_760_000_000_000_000) + created_min * MINUTE_US;
            let (acts, _) = activities_of(created, &steps);
            let cycles = evaluate(&policy(None, None, Some(target)), created, &acts, &cal);
            let res = &cycles[0];
            let mut periods: Vec<Period> = Vec::new();
            let mut from = Some(created);
            for a in &acts[1..] {
                match (*a, from) {
                    (SlaActivity::Status { status: TicketStatus::Open, at_us }, None) => from = Some(at_us),
                    (SlaActivity::Status { at_us, .. }, Some(f)) => { periods.push((f, Some(at_us))); from = None; }
                    _ => {}
                }
            }
            let paused_now = from.is_none();
            if let Some(f) = from { periods.push((f, None)); }
            let used_until = |t: i64| -> i64 {
                periods.iter().map(|&(a, b)| {
                    let b = b.unwrap_or(i64::MAX).min(t);
                    if b <= a { 0 } else { cal.business_minutes_between(ts(a), ts(b)) }
                }).sum()
            };
            if paused_now {
                prop_assert_eq!(res.state, CycleState::Paused);
                prop_assert_eq!(res.used_minutes, used_until(i64::MAX));
            } else {
                prop_assert_eq!(res.state, CycleState::Running);
                let due = res.due_at_us.unwrap();
                prop_assert!(due > created);
                prop_assert_eq!(used_until(due), i64::from(target));
                // Not inside a pause: the due instant lies in a running period.
                prop_assert!(periods.iter().any(|&(a, b)| a <= due && b.is_none_or(|b| due <= b)));
            }
        }
    }
}
