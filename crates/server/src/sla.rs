//! The SLA worker every node runs: recomputes the due times of tickets marked after a
//! policy or calendar change (never on the request that changed it), and fires SLA events
//! as their time comes.
//!
//! What each event does, as support desks with escalation ladders do it:
//! - **warning** (the due time is near): a history entry, so the queue's "breaching soon"
//!   view and the ticket agree; no note, since nothing went wrong yet;
//! - **breach** (the due time passed): a history entry and an internal note naming the
//!   target and when it was due, so whoever opens the ticket sees it first;
//! - **escalation** (still unmet a while after the breach, by the policy's
//!   `escalate_after_minutes` of business time): an internal note addressed to a
//!   supervisor of the ticket's group (any supervisor when the group has none), the
//!   `sla-escalated` tag supervisors' views filter on, and a history entry. The priority
//!   is left alone: it chooses the SLA policy, so raising it would re-time every target
//!   after the fact.
//!
//! Events are claimed with leases (`FOR UPDATE SKIP LOCKED` on PostgreSQL) and each is
//! written and marked done in one transaction, so it fires once however many nodes run.

use crate::state::AppState;
use domain::repo::{IdentityRepo, RepoError};
use domain::sla::{ESCALATED_TAG, SlaEvent, SlaEventKind, SlaFiring, SlaTarget};
use domain::{Limit, Locale, Role, Staff, StaffId};
use fluent_bundle::FluentArgs;
use std::time::Duration;
use tokio::task::JoinHandle;

/// How long a claimed event is this node's before another may take it over.
pub const EVENT_LEASE_US: i64 = 60_000_000;
/// Tickets recomputed per round.
pub const RECOMPUTE_BATCH: u32 = 200;
/// Events fired per round.
pub const EVENT_BATCH: u32 = 100;
/// Pause between rounds when there is nothing more to do.
const POLL: Duration = Duration::from_secs(10);

/// What one round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SlaRound {
    /// Tickets whose due times were recomputed.
    pub recomputed: u32,
    /// Events fired by this node (skipped warnings and ones another node fired excluded).
    pub fired: u32,
}

/// Runs the worker until aborted; goes on at once while batches come back full.
pub fn spawn_sla_worker(state: AppState, node: String) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match run_sla_once(&state, &node, crate::now_us()).await {
                Ok(r) if r.recomputed >= RECOMPUTE_BATCH || r.fired >= EVENT_BATCH => continue,
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "SLA round failed; will retry"),
            }
            tokio::time::sleep(POLL).await;
        }
    })
}

/// One round at `now_us`: a batch of marked tickets recomputed, then the events due
/// fired. Safe to run on many nodes at once.
pub async fn run_sla_once(state: &AppState, node: &str, now_us: i64) -> anyhow::Result<SlaRound> {
    let recomputed = state
        .repo
        .recompute_dirty_sla(node, now_us, RECOMPUTE_BATCH)
        .await?;
    let events = state
        .repo
        .claim_sla_events(node, now_us, EVENT_LEASE_US, EVENT_BATCH)
        .await?;
    let mut fired = 0;
    for event in events {
        // One event failing (a ticket gone, a database hiccup) must not hold up the
        // others; its lease runs out and it is tried again.
        let firing = match firing_for(state, &event, now_us).await {
            Ok(f) => f,
            Err(e) => {
                tracing::warn!(event = %event.id, error = %e, "preparing an SLA event failed");
                continue;
            }
        };
        match state
            .repo
            .finish_sla_event(&event.id, node, &firing, now_us)
            .await
        {
            Ok(true) if !firing.skip => {
                fired += 1;
                tracing::info!(
                    ticket = %event.ticket_id,
                    kind = event.kind.as_str(),
                    target = event.target.as_str(),
                    "SLA event fired"
                );
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(event = %event.id, error = %e, "firing an SLA event failed"),
        }
    }
    Ok(SlaRound { recomputed, fired })
}

/// A due time in a calendar's zone, with the zone's abbreviation (`2026-01-02 10:00 WIB`).
pub fn format_due(us: i64, time_zone: &str) -> String {
    let Ok(ts) = jiff::Timestamp::from_microsecond(us) else {
        return String::new();
    };
    let zoned = ts
        .in_tz(time_zone)
        .unwrap_or_else(|_| ts.to_zoned_datetime(jiff::tz::TimeZone::UTC));
    zoned.strftime("%Y-%m-%d %H:%M %Z").to_string()
}

/// The message key naming a target.
pub fn target_key(target: SlaTarget) -> String {
    format!("sla-target-{}", target.as_str().replace('_', "-"))
}

/// What an event writes.
async fn firing_for(
    state: &AppState,
    event: &SlaEvent,
    now_us: i64,
) -> Result<SlaFiring, RepoError> {
    let history = event.target.as_str().to_owned();
    match event.kind {
        // The breach is due as well (a worker was down, or a change made the ticket late
        // at once): the breach note says it all.
        SlaEventKind::Warning if event.due_at_us <= now_us => Ok(SlaFiring {
            skip: true,
            ..SlaFiring::default()
        }),
        SlaEventKind::Warning => Ok(SlaFiring {
            history_value: history,
            ..SlaFiring::default()
        }),
        SlaEventKind::Breach => {
            let ticket = state.repo.ticket(&event.ticket_id).await?;
            let locale = match &ticket.assignee_id {
                Some(a) => staff_locale(state, a).await,
                None => Locale::En,
            };
            Ok(SlaFiring {
                note: Some(note(state, locale, "sla-note-breach", event, None)),
                history_value: history,
                ..SlaFiring::default()
            })
        }
        SlaEventKind::Escalation => {
            let ticket = state.repo.ticket(&event.ticket_id).await?;
            let supervisor = supervisor_for(state.repo.as_ref(), ticket.group_id.as_ref()).await?;
            let (locale, name) = match &supervisor {
                Some(s) => (s.locale, s.display_name.as_str().to_owned()),
                None => (Locale::En, String::new()),
            };
            let key = if supervisor.is_some() {
                "sla-note-escalation"
            } else {
                "sla-note-escalation-nobody"
            };
            Ok(SlaFiring {
                note: Some(note(state, locale, key, event, Some(&name))),
                tag: Some(ESCALATED_TAG.to_owned()),
                history_value: history,
                skip: false,
            })
        }
    }
}

fn note(
    state: &AppState,
    locale: Locale,
    key: &str,
    event: &SlaEvent,
    supervisor: Option<&str>,
) -> String {
    let target = state.i18n.message(locale, &target_key(event.target), None);
    let mut args = FluentArgs::new();
    args.set("target", target);
    args.set("due", format_due(event.due_at_us, &event.time_zone));
    if let Some(s) = supervisor {
        args.set("supervisor", s.to_owned());
    }
    state.i18n.message(locale, key, Some(&args))
}

async fn staff_locale(state: &AppState, id: &StaffId) -> Locale {
    state
        .repo
        .staff(id)
        .await
        .map(|s| s.locale)
        .unwrap_or_default()
}

/// The supervisor an escalation goes to: an active one of the ticket's group, else the
/// first active one by name.
pub async fn supervisor_for(
    repo: &dyn IdentityRepo,
    group: Option<&domain::GroupId>,
) -> Result<Option<Staff>, RepoError> {
    let mut supervisors: Vec<Staff> = Vec::new();
    let mut after = None;
    let limit = Limit::parse(Some(i64::from(Limit::MAX))).map_err(|e| anyhow::anyhow!("{e}"))?;
    loop {
        let page = repo.list_staff(None, after.as_ref(), limit).await?;
        supervisors.extend(
            page.items.into_iter().filter(|s| {
                s.role == Role::Supervisor && s.status == domain::AccountStatus::Active
            }),
        );
        match page.next_cursor {
            Some(c) => {
                after = Some(domain::Cursor::decode(&c).map_err(|e| anyhow::anyhow!("{e}"))?)
            }
            None => break,
        }
    }
    let in_group = supervisors
        .iter()
        .position(|s| group.is_some() && s.group_id.as_ref() == group);
    Ok(match in_group {
        Some(i) => Some(supervisors.swap_remove(i)),
        None => supervisors.into_iter().next(),
    })
}
