//! The agent console over the API: merging a duplicate ticket, taking the next ticket of
//! one's group, and saying whether one is available for round-robin assignment. The
//! console pages call the same functions.

use crate::api::extract::ApiJson;
use crate::api::tickets::TicketView;
use crate::auth::{ApiUser, SupportStaff};
use crate::error::{ApiError, Problem};
use crate::i18n::Tr;
use crate::state::AppState;
use crate::tickets::{actor_of, visible_ticket};
use axum::extract::{Path, State};
use axum::routing::{post, put};
use axum::{Json, Router};
use domain::console::MergeNotes;
use domain::ticket::Ticket;
use domain::{Principal, StaffId, UserId, ValidationError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/tickets/{id}/merge", post(merge_ticket))
        .route("/api/v1/queue/next", post(take_next))
        .route("/api/v1/me/availability", put(put_availability))
}

/// The staff id of a signed-in member of staff.
pub fn staff_id_of(principal: &Principal) -> Result<StaffId, ApiError> {
    match &principal.user {
        UserId::Staff(id) => Ok(id.clone()),
        UserId::Customer(_) => Err(ApiError::Forbidden),
    }
}

/// Which ticket to merge into.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeTicketBody {
    /// The number of the ticket to keep (same requester, not closed).
    pub into: i64,
}

/// Merges `source` into the ticket numbered `into` (API and console pages). The
/// duplicate's messages, links and calls are copied to the target and the duplicate is
/// closed with a note in its requester's language, so whatever the customer read under
/// the old number stays true, and the target holds the whole conversation.
pub async fn merge_into(
    state: &AppState,
    principal: &Principal,
    source: &Ticket,
    into: i64,
) -> Result<Ticket, ApiError> {
    let target = match state.repo.ticket_by_number(into).await {
        Ok(t) => t,
        Err(domain::repo::RepoError::NotFound) => {
            return Err(
                ValidationError::field("into", "not_found", "no ticket with this number").into(),
            );
        }
        Err(e) => return Err(e.into()),
    };
    let to_requester = Tr::new(state.i18n.clone(), source.locale);
    let to_staff = Tr::new(state.i18n.clone(), principal.locale);
    let notes = MergeNotes {
        source: to_requester.t1(
            "console-merge-note-source",
            "number",
            &target.number.to_string(),
        ),
        target: to_staff.t1(
            "console-merge-note-target",
            "number",
            &source.number.to_string(),
        ),
    };
    let merged = state
        .repo
        .merge_tickets(
            &source.id,
            &target.id,
            &actor_of(principal),
            &notes,
            crate::now_us(),
        )
        .await?;
    tracing::info!(from = source.number, into = merged.number, by = %principal.user.as_str(), "tickets merged");
    Ok(merged)
}

/// Merge this ticket (a duplicate) into another ticket of the same requester: its
/// messages, links and calls are copied there, it is closed with a note naming the
/// other ticket, and both histories record the merge.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/merge", tag = "tickets", security(("bearer" = [])), request_body = MergeTicketBody,
    params(("id" = String, Path, description = "Id or number of the duplicate")),
    responses(
        (status = 200, description = "Merged; the ticket kept", body = TicketView),
        (status = 404, description = "No such ticket", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Same ticket, another requester, or a closed ticket", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No ticket with that number", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn merge_ticket(
    State(state): State<AppState>,
    user: ApiUser<SupportStaff>,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<MergeTicketBody>,
) -> Result<Json<TicketView>, ApiError> {
    let source = visible_ticket(&state, &user.principal, &id).await?;
    let merged = merge_into(&state, &user.principal, &source, req.into).await?;
    let tr = Tr::new(state.i18n.clone(), user.principal.locale);
    Ok(Json(TicketView::new(&merged, &tr, true)))
}

/// Assigns the caller the most urgent unassigned ticket of their group (API and console
/// pages); `None` when nothing waits.
pub async fn take_next_for(
    state: &AppState,
    principal: &Principal,
) -> Result<Option<Ticket>, ApiError> {
    let staff_id = staff_id_of(principal)?;
    let staff = state.repo.staff(&staff_id).await?;
    let group = staff
        .group_id
        .ok_or_else(|| ApiError::InvalidState("you are not in a support group".into()))?;
    let taken = state
        .repo
        .take_next_ticket(&group, &staff_id, &actor_of(principal), crate::now_us())
        .await?;
    if let Some(t) = &taken {
        tracing::info!(ticket = t.number, by = %staff_id, "took the next ticket");
    }
    Ok(taken)
}

/// What taking the next ticket gave.
#[derive(Debug, Serialize, ToSchema)]
pub struct NextTicket {
    /// The ticket now assigned to the caller; absent when the group's queue is empty.
    pub ticket: Option<TicketView>,
}

/// Take the next ticket: the most urgent unassigned new or open ticket of the caller's
/// group becomes theirs. Two agents asking at once get different tickets.
#[utoipa::path(post, path = "/api/v1/queue/next", tag = "tickets", security(("bearer" = [])),
    responses(
        (status = 200, description = "The ticket taken, or none", body = NextTicket),
        (status = 409, description = "The caller is in no support group", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn take_next(
    State(state): State<AppState>,
    user: ApiUser<SupportStaff>,
) -> Result<Json<NextTicket>, ApiError> {
    let taken = take_next_for(&state, &user.principal).await?;
    let tr = Tr::new(state.i18n.clone(), user.principal.locale);
    Ok(Json(NextTicket {
        ticket: taken.map(|t| TicketView::new(&t, &tr, true)),
    }))
}

/// Whether an agent takes part in round-robin assignment.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Availability {
    /// `true`: new tickets of the agent's group may be assigned to them.
    pub available: bool,
}

/// Say whether new tickets of one's group may be assigned to one (round robin among the
/// group's available agents, least recently assigned first).
#[utoipa::path(put, path = "/api/v1/me/availability", tag = "tickets", security(("bearer" = [])), request_body = Availability,
    responses(
        (status = 200, description = "Saved", body = Availability),
    ))]
pub async fn put_availability(
    State(state): State<AppState>,
    user: ApiUser<SupportStaff>,
    ApiJson(req): ApiJson<Availability>,
) -> Result<Json<Availability>, ApiError> {
    let staff = staff_id_of(&user.principal)?;
    state
        .repo
        .set_available(&staff, req.available, crate::now_us())
        .await?;
    tracing::info!(staff = %staff, available = req.available, "availability changed");
    Ok(Json(req))
}
