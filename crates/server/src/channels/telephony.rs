//! The phone hotline's webhook. Telephony providers differ, so paydesk documents its own
//! small protocol (see docs/operations.md, "Channels"): a JSON event per call step, signed
//! like Stripe's webhooks with a timestamp inside the signature against replays.

use super::{Opening, header, parse_json, refuse, switched_off, thread_message};
use crate::error::ApiError;
use crate::state::AppState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use domain::repo::{ContactIdentity, RepoError};
use domain::ticket::{
    Actor, ActorKind, CallEvent, Category, Channel, NewMessage, TicketChanges, TicketStatus,
    Visibility,
};
use domain::{Email, Locale, LoginId, Phone, Principal, StaffId, UserId};
use serde::{Deserialize, Serialize};

/// Header carrying the signature.
pub const SIGNATURE_HEADER: &str = "x-paydesk-signature";

/// One call event as the provider sends it.
#[derive(Debug, Deserialize)]
struct CallPayload {
    event_id: String,
    call_id: String,
    #[serde(rename = "type")]
    kind: String,
    from: String,
    #[serde(default)]
    digits: Option<String>,
    #[serde(default)]
    agent_email: Option<String>,
    #[serde(default)]
    recording_url: Option<String>,
}

/// What the provider is told back.
#[derive(Debug, Serialize)]
pub struct CallAnswer {
    /// The ticket the call belongs to (absent for ignored event types).
    pub ticket_id: Option<String>,
    /// Its human number.
    pub ticket_number: Option<i64>,
    /// The call's state after the event.
    pub call_state: Option<&'static str>,
    /// The event id was seen before; nothing changed.
    pub duplicate: bool,
    /// The event type is not one paydesk knows; nothing changed.
    pub ignored: bool,
}

fn bad(what: &str) -> ApiError {
    ApiError::BadRequest(what.to_owned())
}

fn short_id(s: &str, field: &str) -> Result<(), ApiError> {
    if s.trim().is_empty() || s.len() > 200 {
        return Err(bad(&format!("{field} must be 1 to 200 characters")));
    }
    Ok(())
}

/// A caller number for display: all but the last four digits hidden (`+62 ••• 1111`).
pub fn masked_number(number: &str) -> String {
    let digits: Vec<char> = number.chars().filter(char::is_ascii_digit).collect();
    if digits.len() <= 4 {
        return "•••".to_owned();
    }
    let tail: String = digits[digits.len() - 4..].iter().collect();
    let head = if number.starts_with('+') {
        let cc: String = digits.iter().take(2).collect();
        format!("+{cc} ")
    } else {
        String::new()
    };
    format!("{head}••• {tail}")
}

impl CallPayload {
    /// The caller's number in E.164 when it is one, and as stored: E.164 or, for withheld
    /// and odd numbers (which still make a ticket, matching no customer), as sent.
    fn caller_number(&self) -> (Option<Phone>, String) {
        let phone = Phone::parse(&self.from).ok();
        let number = phone
            .as_ref()
            .map_or_else(|| self.from.trim().to_owned(), |p| p.as_str().to_owned());
        (phone, number)
    }

    /// The domain event, or `None` for a type paydesk does not know (answered 200, so a
    /// provider that adds event types does not retry them forever).
    async fn event(&self, state: &AppState) -> Result<Option<CallEvent>, ApiError> {
        Ok(Some(match self.kind.as_str() {
            "incoming" => CallEvent::Incoming,
            "menu" => {
                let digits = self.digits.as_deref().map(str::trim).unwrap_or("");
                if digits.is_empty() || digits.len() > 10 {
                    return Err(bad("a menu event needs digits"));
                }
                CallEvent::MenuChoice(digits.to_owned())
            }
            "answered" => CallEvent::Answered {
                agent_id: self.agent(state).await?,
            },
            "ended" => CallEvent::Ended,
            "recording" => {
                let url = self.recording_url.as_deref().unwrap_or("").trim();
                // Shown to agents as a link: only web addresses, never `javascript:`.
                let web = url.starts_with("https://") || url.starts_with("http://");
                if !web || url.len() > 2000 {
                    return Err(bad("a recording event needs an http(s) recording_url"));
                }
                CallEvent::Recording(url.to_owned())
            }
            _ => return Ok(None),
        }))
    }

    /// The staff member who answered, when the provider names one we know.
    async fn agent(&self, state: &AppState) -> Result<Option<StaffId>, ApiError> {
        let Some(Ok(email)) = self.agent_email.as_deref().map(Email::parse) else {
            return Ok(None);
        };
        let credential = state.repo.staff_credential(&email).await?;
        Ok(match credential.map(|c| c.principal.user) {
            Some(UserId::Staff(id)) => Some(id),
            _ => {
                tracing::info!("answering agent is not a staff member paydesk knows");
                None
            }
        })
    }
}

/// The customer whose phone number is calling, if any.
async fn caller(state: &AppState, phone: Option<&Phone>) -> Result<Option<Principal>, RepoError> {
    let Some(phone) = phone else {
        return Ok(None);
    };
    let credential = state
        .repo
        .customer_credential(&LoginId::Phone(phone.clone()))
        .await?;
    Ok(credential
        .map(|c| c.principal)
        .filter(|p| p.customer_id().is_some()))
}

/// `POST /webhooks/telephony`: records a call event on the caller's ticket. The first
/// event of a call puts it on the caller's open phone ticket, or opens one; a voice-menu
/// choice sets the ticket's category while nobody has set one.
pub async fn receive(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<CallAnswer>, ApiError> {
    switched_off(&state, Channel::Phone)?;
    let cfg = &state.config.channels.telephony;
    let now = crate::now_us();
    super::signature::verify_telephony(
        &cfg.secret,
        &body,
        header(&headers, SIGNATURE_HEADER),
        now.div_euclid(1_000_000),
        cfg.tolerance_secs,
    )
    .map_err(|e| refuse(Channel::Phone, e))?;
    let payload: CallPayload = parse_json(&body)?;
    short_id(&payload.event_id, "event_id")?;
    short_id(&payload.call_id, "call_id")?;
    short_id(&payload.from, "from")?;
    let Some(event) = payload.event(&state).await? else {
        return Ok(Json(CallAnswer {
            ticket_id: None,
            ticket_number: None,
            call_state: None,
            duplicate: false,
            ignored: true,
        }));
    };
    let menu_category = match &event {
        CallEvent::MenuChoice(d) => cfg.menu.get(d).and_then(|c| Category::parse(c)),
        _ => None,
    };

    let ticket_id = match state.repo.call_ticket(&payload.call_id).await? {
        Some(id) => id,
        None => {
            ticket_for_new_call(
                &state,
                &payload,
                menu_category.unwrap_or(Category::Other),
                now,
            )
            .await?
        }
    };
    let outcome = state
        .repo
        .record_call_event(
            &payload.event_id,
            &payload.call_id,
            &payload.caller_number().1,
            &event,
            &ticket_id,
            now,
        )
        .await?;
    let mut ticket = outcome.ticket;
    if matches!(event, CallEvent::Incoming) && !outcome.duplicate {
        // A call while support is closed becomes a call-back at the next opening.
        if let Some(due) =
            crate::calendars::callback_if_closed(&state, &ticket, &payload.caller_number().1, now)
                .await?
        {
            tracing::info!(
                ticket = ticket.number,
                due_at_us = due,
                "call-back queued for the next opening"
            );
        }
    }
    if let Some(category) = menu_category
        && !outcome.duplicate
        && ticket.status != TicketStatus::Closed
        && ticket.category == Category::Other
        && category != Category::Other
    {
        // The caller's choice is a better guess than nothing, never better than an agent's.
        let changes = TicketChanges {
            category: Some(category),
            ..TicketChanges::default()
        };
        ticket = state
            .repo
            .update_ticket(&ticket.id, &changes, &Actor::system(), now)
            .await?;
    }
    Ok(Json(CallAnswer {
        ticket_id: Some(ticket.id),
        ticket_number: Some(ticket.number),
        call_state: Some(outcome.call.state.as_str()),
        duplicate: outcome.duplicate,
        ignored: false,
    }))
}

/// The ticket a call seen for the first time goes on: the caller's open phone ticket with
/// a note about the call, or a new one.
async fn ticket_for_new_call(
    state: &AppState,
    payload: &CallPayload,
    category: Category,
    now: i64,
) -> Result<String, ApiError> {
    let (phone, number) = payload.caller_number();
    let customer = caller(state, phone.as_ref()).await?;
    let contact = state
        .repo
        .upsert_contact(
            &ContactIdentity {
                channel: Channel::Phone,
                external_id: number.clone(),
                // Names are stored in the clear (queues sort and show them): an unknown
                // caller is shown by the last digits only; the full number is encrypted.
                display_name: customer
                    .as_ref()
                    .map_or_else(|| masked_number(&number), |c| c.display_name.clone()),
                email: None,
                phone: phone.as_ref().map(|p| p.as_str().to_owned()),
                customer_id: customer.as_ref().and_then(|c| c.customer_id().cloned()),
            },
            now,
        )
        .await?;
    let note = NewMessage {
        author_kind: ActorKind::System,
        author_id: String::new(),
        author_name: Actor::system().name,
        visibility: Visibility::Internal,
        // Ticket text is stored in the clear: the number is masked (the call log and the
        // contact keep it encrypted for the agent who calls back).
        body: format!("Incoming call from {}", masked_number(&number)),
        channel: Channel::Phone,
        // Two events of a new call arriving at once must not open two tickets: the
        // second note is a duplicate and returns the first one's ticket.
        external_id: Some(format!("call:{}", payload.call_id)),
        attachments: Vec::new(),
    };
    let opening = Opening {
        subject: format!("Phone call from {}", masked_number(&number)),
        category,
        // Indonesian unless the caller is a customer with a language of their own.
        locale: customer.map_or(Locale::Id, |c| c.locale),
    };
    let outcome = thread_message(state.repo.as_ref(), &contact, &opening, &note, now).await?;
    Ok(outcome.ticket.id)
}
