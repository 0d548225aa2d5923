//! SLA policies over the API (admins). Saving only marks the open tickets; the SLA worker
//! recomputes their due times in the background, so a save on a desk with a million
//! tickets answers at once.

use crate::api::extract::ApiJson;
use crate::auth::{AdminOnly, ApiUser};
use crate::error::{ApiError, Problem};
use crate::state::AppState;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use domain::sla::{SlaConditions, SlaPolicy, SlaTargets, parse_policies};
use domain::ticket::{Category, Channel, Priority};
use domain::{FieldError, ValidationError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/api/v1/sla/policies", get(get_policies).put(put_policies))
}

/// Which tickets a policy applies to; each list left empty matches anything.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConditionsBody {
    /// Any of these categories (`failed_transaction`, `privacy_security`, …).
    #[serde(default)]
    pub categories: Vec<String>,
    /// Any of these priorities (`low`, `normal`, `high`, `urgent`).
    #[serde(default)]
    pub priorities: Vec<String>,
    /// Any of these channels (`web`, `app`, `messenger`, `x`, `phone`).
    #[serde(default)]
    pub channels: Vec<String>,
    /// Any of these customer segments: tickets tagged with one (`vip`).
    #[serde(default)]
    pub segments: Vec<String>,
}

/// Targets in business minutes of the ticket's calendar; leave one out for no target.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetsBody {
    /// Opening to the first public staff reply.
    pub first_response_minutes: Option<u32>,
    /// Each customer message (after a staff reply) to the next public staff reply.
    pub next_response_minutes: Option<u32>,
    /// Opening to solved; paused while waiting on the customer or on hold.
    pub resolution_minutes: Option<u32>,
}

/// One policy.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyBody {
    /// Id; leave out for a new policy.
    #[serde(default)]
    pub id: Option<String>,
    /// Name.
    pub name: String,
    /// Which tickets.
    #[serde(default)]
    pub conditions: ConditionsBody,
    /// What it promises.
    pub targets: TargetsBody,
    /// Business minutes before a due time to warn (default 30; at most a fifth of the
    /// target).
    #[serde(default)]
    pub warn_before_minutes: Option<u32>,
    /// Business minutes after a breach, still unmet, to escalate to a supervisor
    /// (default 60).
    #[serde(default)]
    pub escalate_after_minutes: Option<u32>,
}

/// The policies in order: the first whose conditions match a ticket applies.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PoliciesBody {
    /// In order.
    pub policies: Vec<PolicyBody>,
}

/// The saved policies.
#[derive(Debug, Serialize, ToSchema)]
pub struct PoliciesView {
    /// In order.
    pub policies: Vec<PolicyBody>,
    /// Open tickets waiting for the background recompute of their due times.
    pub tickets_to_recompute: i64,
}

fn codes<T: Copy>(
    raw: &[String],
    field: String,
    parse: fn(&str) -> Option<T>,
    errors: &mut Vec<FieldError>,
) -> Vec<T> {
    let mut out = Vec::new();
    for r in raw {
        match parse(r.trim()) {
            Some(v) => out.push(v),
            None => errors.push(FieldError {
                field: field.clone(),
                code: "invalid_value",
                message: format!("{r:?} is not one of the known values"),
            }),
        }
    }
    out
}

impl PoliciesBody {
    /// Checks every policy (all failing fields at once) into domain policies.
    pub fn parse(self) -> Result<Vec<SlaPolicy>, ValidationError> {
        let mut errors = Vec::new();
        let mut out = Vec::with_capacity(self.policies.len());
        for (i, p) in self.policies.into_iter().enumerate() {
            let c = &p.conditions;
            let field = |name: &str| format!("policies[{i}].conditions.{name}");
            let conditions = SlaConditions {
                categories: codes(
                    &c.categories,
                    field("categories"),
                    Category::parse,
                    &mut errors,
                ),
                priorities: codes(
                    &c.priorities,
                    field("priorities"),
                    Priority::parse,
                    &mut errors,
                ),
                channels: codes(&c.channels, field("channels"), Channel::parse, &mut errors),
                segments: c.segments.clone(),
            };
            out.push(SlaPolicy {
                id: p.id.unwrap_or_default(),
                name: p.name,
                conditions,
                targets: SlaTargets {
                    first_response_minutes: p.targets.first_response_minutes,
                    next_response_minutes: p.targets.next_response_minutes,
                    resolution_minutes: p.targets.resolution_minutes,
                },
                warn_before_minutes: p
                    .warn_before_minutes
                    .unwrap_or(domain::sla::DEFAULT_WARN_BEFORE_MINUTES),
                escalate_after_minutes: p
                    .escalate_after_minutes
                    .unwrap_or(domain::sla::DEFAULT_ESCALATE_AFTER_MINUTES),
            });
        }
        let parsed = parse_policies(out);
        match parsed {
            Ok(p) if errors.is_empty() => Ok(p),
            Ok(_) => Err(ValidationError { errors }),
            Err(e) => {
                errors.extend(e.errors);
                Err(ValidationError { errors })
            }
        }
    }
}

impl From<&SlaPolicy> for PolicyBody {
    fn from(p: &SlaPolicy) -> Self {
        let names = |v: Vec<&str>| v.into_iter().map(str::to_owned).collect();
        PolicyBody {
            id: Some(p.id.clone()),
            name: p.name.clone(),
            conditions: ConditionsBody {
                categories: names(p.conditions.categories.iter().map(|c| c.as_str()).collect()),
                priorities: names(p.conditions.priorities.iter().map(|c| c.as_str()).collect()),
                channels: names(p.conditions.channels.iter().map(|c| c.as_str()).collect()),
                segments: p.conditions.segments.clone(),
            },
            targets: TargetsBody {
                first_response_minutes: p.targets.first_response_minutes,
                next_response_minutes: p.targets.next_response_minutes,
                resolution_minutes: p.targets.resolution_minutes,
            },
            warn_before_minutes: Some(p.warn_before_minutes),
            escalate_after_minutes: Some(p.escalate_after_minutes),
        }
    }
}

/// Saves policies: stored in one transaction with the marks on every open ticket; the
/// due times follow in the background.
pub async fn save_policies(state: &AppState, policies: &[SlaPolicy]) -> Result<u64, ApiError> {
    let marked = state
        .repo
        .save_sla_policies(policies, crate::now_us())
        .await?;
    tracing::info!(
        policies = policies.len(),
        marked,
        "SLA policies saved; due times follow in the background"
    );
    Ok(marked)
}

async fn view(state: &AppState) -> Result<PoliciesView, ApiError> {
    Ok(PoliciesView {
        policies: state
            .repo
            .sla_policies()
            .await?
            .iter()
            .map(PolicyBody::from)
            .collect(),
        tickets_to_recompute: state.repo.sla_dirty_count().await?,
    })
}

/// The SLA policies in order (admins).
#[utoipa::path(get, path = "/api/v1/sla/policies", tag = "sla", security(("bearer" = [])),
    responses(
        (status = 200, description = "The policies", body = PoliciesView),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_policies(
    State(state): State<AppState>,
    _user: ApiUser<AdminOnly>,
) -> Result<Json<PoliciesView>, ApiError> {
    Ok(Json(view(&state).await?))
}

/// Replace the SLA policies (admins). Open tickets' due times are recomputed in the
/// background.
#[utoipa::path(put, path = "/api/v1/sla/policies", tag = "sla", security(("bearer" = [])), request_body = PoliciesBody,
    responses(
        (status = 200, description = "Saved", body = PoliciesView),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid policies", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn put_policies(
    State(state): State<AppState>,
    _user: ApiUser<AdminOnly>,
    ApiJson(body): ApiJson<PoliciesBody>,
) -> Result<Json<PoliciesView>, ApiError> {
    let policies = body.parse()?;
    save_policies(&state, &policies).await?;
    Ok(Json(view(&state).await?))
}
