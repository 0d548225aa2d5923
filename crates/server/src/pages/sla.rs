//! SLA pages: admins edit the ordered policies on `/staff/sla`; the agents' ticket page
//! shows each target's due time with a badge ("due in 35 min", "breached").

use super::{Chrome, PageUser, csrf_ok, error_page, render, same_origin};
use crate::api::sla::{ConditionsBody, PoliciesBody, PolicyBody, TargetsBody, save_policies};
use crate::auth::AdminOnly;
use crate::error::ApiError;
use crate::i18n::Tr;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use domain::sla::{CycleState, SlaTarget, TicketSla};
use domain::ticket::{Category, Channel, Priority};
use serde::Deserialize;

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/staff/sla", get(form).post(save))
}

/// One target's line on the ticket page.
pub struct SlaRow {
    /// `first_response`, `next_response`, `resolution`.
    pub target: &'static str,
    /// The target's name.
    pub label: String,
    /// When it is (or was) due, in the agent's zone; empty when paused.
    pub due: String,
    /// The badge: "due in 35 min", "breached", "paused, 2 h left", "met".
    pub badge: String,
    /// `breached`, `soon`, `running`, `paused`, `met`.
    pub state: &'static str,
}

/// A span of minutes in words ("35 min", "3 h 10 min", "2 d 4 h").
fn duration(tr: &Tr, minutes: i64) -> String {
    let m = minutes.max(0);
    let part = |key: &str, n: i64| tr.t1(key, "n", &n.to_string());
    if m < 60 {
        part("sla-duration-minutes", m)
    } else if m < 24 * 60 {
        let mut s = part("sla-duration-hours", m / 60);
        if m % 60 > 0 {
            s = format!("{s} {}", part("sla-duration-minutes", m % 60));
        }
        s
    } else {
        let mut s = part("sla-duration-days", m / (24 * 60));
        if (m % (24 * 60)) / 60 > 0 {
            s = format!("{s} {}", part("sla-duration-hours", (m % (24 * 60)) / 60));
        }
        s
    }
}

/// The due times of a ticket's current target cycles as the agent reads them, in
/// `time_zone` at `now_us`. A running target within the hour is "soon".
pub fn badges(tr: &Tr, sla: &TicketSla, now_us: i64, time_zone: &str) -> Vec<SlaRow> {
    let mut rows = Vec::new();
    for target in SlaTarget::ALL {
        let Some(c) = sla.current(*target) else {
            continue;
        };
        let due = c
            .due_at_us
            .map(|d| crate::sla::format_due(d, time_zone))
            .unwrap_or_default();
        let breached = c.breached(now_us);
        let (state, badge, due) = match c.state {
            CycleState::Running if breached => ("breached", tr.t("sla-badge-breached"), due),
            CycleState::Running => {
                let left = c.due_at_us.unwrap_or(now_us).saturating_sub(now_us) / 60_000_000;
                let state = if left < 60 { "soon" } else { "running" };
                (
                    state,
                    tr.t1("sla-badge-due-in", "duration", &duration(tr, left)),
                    due,
                )
            }
            CycleState::Paused if breached => ("breached", tr.t("sla-badge-breached"), due),
            CycleState::Paused => (
                "paused",
                tr.t1(
                    "sla-badge-paused",
                    "duration",
                    &duration(tr, c.remaining_minutes()),
                ),
                String::new(),
            ),
            CycleState::Met if breached => ("breached", tr.t("sla-badge-met-late"), due),
            CycleState::Met => ("met", tr.t("sla-badge-met"), due),
        };
        rows.push(SlaRow {
            target: target.as_str(),
            label: tr.t(&crate::sla::target_key(*target)),
            due,
            badge,
            state,
        });
    }
    rows
}

/// A checkbox in the policy form.
struct Check {
    code: &'static str,
    label: String,
    checked: bool,
}

/// One policy as the form shows it (the last one blank, to add a policy).
struct PolicyRow {
    index: usize,
    id: String,
    name: String,
    categories: Vec<Check>,
    priorities: Vec<Check>,
    channels: Vec<Check>,
    segments: String,
    first: String,
    next: String,
    resolution: String,
    warn: String,
    escalate: String,
}

#[derive(Template)]
#[template(path = "sla_policies.html")]
struct PoliciesPage {
    chrome: Chrome,
    rows: Vec<PolicyRow>,
    error: String,
    saved: bool,
    to_recompute: i64,
}

fn checks<T: Copy + PartialEq>(
    tr: &Tr,
    all: &[T],
    code: fn(T) -> &'static str,
    prefix: &str,
    chosen: &[String],
) -> Vec<Check> {
    all.iter()
        .map(|v| Check {
            code: code(*v),
            label: tr.t(&format!("{prefix}{}", code(*v))),
            checked: chosen.iter().any(|c| c == code(*v)),
        })
        .collect()
}

fn number(v: Option<u32>) -> String {
    v.map(|n| n.to_string()).unwrap_or_default()
}

fn row(tr: &Tr, index: usize, p: &PolicyBody) -> PolicyRow {
    let c = &p.conditions;
    PolicyRow {
        index,
        id: p.id.clone().unwrap_or_default(),
        name: p.name.clone(),
        categories: checks(
            tr,
            Category::ALL,
            Category::as_str,
            "ticket-category-",
            &c.categories,
        ),
        priorities: checks(
            tr,
            Priority::ALL,
            Priority::as_str,
            "ticket-priority-",
            &c.priorities,
        ),
        channels: checks(
            tr,
            Channel::ALL,
            Channel::as_str,
            "ticket-channel-",
            &c.channels,
        ),
        segments: c.segments.join(", "),
        first: number(p.targets.first_response_minutes),
        next: number(p.targets.next_response_minutes),
        resolution: number(p.targets.resolution_minutes),
        warn: number(p.warn_before_minutes),
        escalate: number(p.escalate_after_minutes),
    }
}

fn blank() -> PolicyBody {
    PolicyBody {
        id: None,
        name: String::new(),
        conditions: ConditionsBody::default(),
        targets: TargetsBody::default(),
        warn_before_minutes: None,
        escalate_after_minutes: None,
    }
}

fn page(
    user: &PageUser<AdminOnly>,
    policies: &[PolicyBody],
    error: String,
    saved: bool,
    to_recompute: i64,
) -> PoliciesPage {
    let tr = &user.ctx.tr;
    let mut rows: Vec<PolicyRow> = policies
        .iter()
        .enumerate()
        .map(|(i, p)| row(tr, i, p))
        .collect();
    rows.push(row(tr, policies.len(), &blank()));
    PoliciesPage {
        chrome: user.ctx.chrome(),
        rows,
        error,
        saved,
        to_recompute,
    }
}

#[derive(Debug, Default, Deserialize)]
struct FormQuery {
    #[serde(default)]
    saved: String,
}

async fn form(
    State(state): State<AppState>,
    user: PageUser<AdminOnly>,
    Query(q): Query<FormQuery>,
) -> Response {
    let locale = user.ctx.tr.locale;
    let loaded = async {
        let policies = state.repo.sla_policies().await?;
        let dirty = state.repo.sla_dirty_count().await?;
        Ok::<_, ApiError>((policies, dirty))
    }
    .await;
    match loaded {
        Ok((policies, dirty)) => {
            let bodies: Vec<PolicyBody> = policies.iter().map(PolicyBody::from).collect();
            render(
                &state,
                locale,
                &page(&user, &bodies, String::new(), q.saved == "1", dirty),
            )
        }
        Err(e) => error_page(&state, locale, &e),
    }
}

/// The posted form as policies in the order asked for: a row with an empty name (the
/// blank one) or ticked "remove" is dropped; `order_N` moves a row.
fn posted(pairs: &[(String, String)]) -> Vec<PolicyBody> {
    let value = |key: String| {
        pairs
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    };
    let values = |key: String| -> Vec<String> {
        pairs
            .iter()
            .filter(|(k, _)| *k == key)
            .map(|(_, v)| v.clone())
            .collect()
    };
    // Unparseable minutes stay visible as an error rather than silently becoming "none".
    let minutes = |raw: String| -> Option<u32> {
        if raw.is_empty() {
            None
        } else {
            Some(raw.parse().unwrap_or(0))
        }
    };
    let mut rows: Vec<(i64, usize, PolicyBody)> = Vec::new();
    for i in 0..=domain::sla::MAX_POLICIES {
        if !pairs.iter().any(|(k, _)| *k == format!("name_{i}")) {
            break;
        }
        let name = value(format!("name_{i}"));
        if name.is_empty() || !value(format!("remove_{i}")).is_empty() {
            continue;
        }
        let order = value(format!("order_{i}")).parse().unwrap_or(i as i64 + 1);
        let id = value(format!("id_{i}"));
        rows.push((
            order,
            i,
            PolicyBody {
                id: (!id.is_empty()).then_some(id),
                name,
                conditions: ConditionsBody {
                    categories: values(format!("category_{i}")),
                    priorities: values(format!("priority_{i}")),
                    channels: values(format!("channel_{i}")),
                    segments: value(format!("segments_{i}"))
                        .split(',')
                        .map(|s| s.trim().to_owned())
                        .filter(|s| !s.is_empty())
                        .collect(),
                },
                targets: TargetsBody {
                    first_response_minutes: minutes(value(format!("first_{i}"))),
                    next_response_minutes: minutes(value(format!("next_{i}"))),
                    resolution_minutes: minutes(value(format!("resolution_{i}"))),
                },
                warn_before_minutes: minutes(value(format!("warn_{i}"))),
                escalate_after_minutes: minutes(value(format!("escalate_{i}"))),
            },
        ));
    }
    rows.sort_by_key(|(order, i, _)| (*order, *i));
    rows.into_iter().map(|(_, _, p)| p).collect()
}

async fn save(
    State(state): State<AppState>,
    user: PageUser<AdminOnly>,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let locale = user.ctx.tr.locale;
    let csrf = pairs
        .iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.as_str())
        .unwrap_or_default();
    let allowed = same_origin(&headers) && user.ctx.auth.as_ref().is_some_and(|a| csrf_ok(a, csrf));
    if !allowed {
        return error_page(&state, locale, &ApiError::Forbidden);
    }
    let bodies = posted(&pairs);
    let saved = match (PoliciesBody {
        policies: bodies.clone(),
    })
    .parse()
    {
        Ok(policies) => save_policies(&state, &policies).await.map(|_| ()),
        Err(v) => Err(v.into()),
    };
    match saved {
        Ok(()) => Redirect::to("/staff/sla?saved=1").into_response(),
        Err(ApiError::Validation(v)) => {
            let tr = &user.ctx.tr;
            let detail = v
                .errors
                .iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect::<Vec<_>>()
                .join("; ");
            let error = tr.t1("sla-policies-invalid", "detail", &detail);
            let mut resp = render(&state, locale, &page(&user, &bodies, error, false, 0));
            *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            resp
        }
        Err(e) => error_page(&state, locale, &e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(k: &str, v: &str) -> (String, String) {
        (k.to_owned(), v.to_owned())
    }

    #[test]
    fn the_form_reorders_drops_blank_and_removed_rows() {
        let pairs = vec![
            pair("csrf", "x"),
            pair("name_0", "Normal"),
            pair("order_0", "2"),
            pair("first_0", "240"),
            pair("name_1", "Urgent"),
            pair("order_1", "1"),
            pair("priority_1", "urgent"),
            pair("first_1", "30"),
            pair("segments_1", "vip, , gold"),
            pair("name_2", "Old"),
            pair("remove_2", "1"),
            pair("name_3", ""),
        ];
        let p = posted(&pairs);
        assert_eq!(
            p.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(),
            vec!["Urgent", "Normal"]
        );
        assert_eq!(p[0].conditions.priorities, vec!["urgent"]);
        assert_eq!(p[0].conditions.segments, vec!["vip", "gold"]);
        assert_eq!(p[1].targets.first_response_minutes, Some(240));
        assert_eq!(p[1].targets.resolution_minutes, None);
    }
}
