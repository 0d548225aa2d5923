//! Merchant complaints: a customer disputes a payment, both sides bring evidence, an
//! agent decides by a date that grows with the amount, and the disputed money moves only
//! on that decision.
//!
//! The lifecycle is one transition table ([`transition`]): every (state, action, actor)
//! not in it is refused, and every accepted transition says what it does to the money
//! held from the merchant's settlement ([`MoneyEffect`]). Deadlines are business days of
//! the customer's calendar ([`DeadlineTiers`]).

use crate::calendar::BusinessCalendar;
use crate::ids::{CustomerId, MerchantId};
use crate::money::{Currency, Money};
use crate::page::{Cursor, Limit, Page};
use crate::repo::RepoError;
use crate::validation::ValidationError;
use async_trait::async_trait;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

string_enum!(
    /// What went wrong with the payment.
    ComplaintCategory {
        /// The goods or service never came.
        NotReceived => "not_received",
        /// Not what was described.
        NotAsDescribed => "not_as_described",
        /// Charged twice for one purchase.
        ChargedTwice => "charged_twice",
        /// The customer did not authorise the payment.
        NotAuthorised => "not_authorised",
        /// A refund the merchant promised never arrived.
        RefundNotReceived => "refund_not_received",
        /// How the merchant behaved.
        MerchantConduct => "merchant_conduct",
        /// Anything else.
        Other => "other",
    }
);

string_enum!(
    /// What the customer asks for.
    DesiredOutcome {
        /// All of the disputed amount back.
        FullRefund => "full_refund",
        /// Part of it back.
        PartialRefund => "partial_refund",
        /// The goods replaced or the service redone.
        Replacement => "replacement",
        /// An explanation or apology.
        Explanation => "explanation",
    }
);

string_enum!(
    /// Where a complaint stands.
    ComplaintState {
        /// Filed; not yet sent to the merchant.
        Submitted => "submitted",
        /// Waiting for the merchant's response.
        AwaitingMerchant => "awaiting_merchant",
        /// With an agent for a decision.
        UnderReview => "under_review",
        /// Decided for the customer: money refunded (in full or in part).
        ResolvedCustomer => "resolved_customer",
        /// Decided for the merchant: the held money released to the merchant.
        ResolvedMerchant => "resolved_merchant",
        /// Withdrawn by the customer: the held money released.
        Withdrawn => "withdrawn",
        /// Undecided long after its deadline: the hold ran out and was released.
        Expired => "expired",
    }
);

impl ComplaintState {
    /// Whether the complaint is still open (money held, one per payment).
    pub fn is_open(self) -> bool {
        matches!(
            self,
            ComplaintState::Submitted
                | ComplaintState::AwaitingMerchant
                | ComplaintState::UnderReview
        )
    }

    /// Message-catalogue key (`complaint-state-…`).
    pub fn message_key(self) -> String {
        format!("complaint-state-{}", self.as_str().replace('_', "-"))
    }
}

impl ComplaintCategory {
    /// Message-catalogue key (`complaint-category-…`).
    pub fn message_key(self) -> String {
        format!("complaint-category-{}", self.as_str().replace('_', "-"))
    }
}

impl DesiredOutcome {
    /// Message-catalogue key (`complaint-outcome-…`).
    pub fn message_key(self) -> String {
        format!("complaint-outcome-{}", self.as_str().replace('_', "-"))
    }
}

string_enum!(
    /// Who acts on a complaint.
    ComplaintActor {
        /// The customer who filed it.
        Customer => "customer",
        /// Staff of the merchant complained about.
        Merchant => "merchant",
        /// The operator's support staff.
        Agent => "agent",
        /// paydesk itself (the deadline worker).
        System => "system",
    }
);

string_enum!(
    /// Whose evidence a file is.
    EvidenceParty {
        /// The customer's.
        Customer => "customer",
        /// The merchant's.
        Merchant => "merchant",
        /// Added by support staff.
        Agent => "agent",
    }
);

/// What someone does to a complaint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum ComplaintAction {
    /// paydesk hands a new complaint to the merchant.
    SendToMerchant,
    /// The merchant contests, with a statement: an agent decides.
    MerchantContest,
    /// The merchant accepts and refunds the disputed amount in full.
    MerchantAccept,
    /// The merchant's response time ran out: an agent decides without it.
    MerchantDeadlinePassed,
    /// An agent decides for the customer, refunding this much (at most the disputed amount).
    DecideForCustomer {
        /// Minor units refunded.
        refund_minor: i64,
    },
    /// An agent decides for the merchant.
    DecideForMerchant,
    /// The customer withdraws.
    Withdraw,
    /// The hold's time ran out long after the deadline.
    Expire,
}

impl ComplaintAction {
    /// Stored name of the action.
    pub fn as_str(&self) -> &'static str {
        match self {
            ComplaintAction::SendToMerchant => "send_to_merchant",
            ComplaintAction::MerchantContest => "merchant_contest",
            ComplaintAction::MerchantAccept => "merchant_accept",
            ComplaintAction::MerchantDeadlinePassed => "merchant_deadline_passed",
            ComplaintAction::DecideForCustomer { .. } => "decide_for_customer",
            ComplaintAction::DecideForMerchant => "decide_for_merchant",
            ComplaintAction::Withdraw => "withdraw",
            ComplaintAction::Expire => "expire",
        }
    }
}

/// What an accepted transition does to the money held from the merchant's settlement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "effect", rename_all = "snake_case")]
pub enum MoneyEffect {
    /// Nothing: the hold stays.
    None,
    /// Refund this much to the customer (post the hold; the rest is released).
    Refund {
        /// Minor units.
        amount_minor: i64,
    },
    /// Release the hold to the merchant (void).
    Release,
    /// Release the hold because its time ran out (expire).
    ExpireHold,
}

/// Why a transition was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum TransitionError {
    /// This actor may not do this at all.
    #[error("{actor} may not {action}")]
    NotAllowed {
        /// Who tried.
        actor: &'static str,
        /// What.
        action: &'static str,
    },
    /// Not in this state.
    #[error("a complaint that is {state} cannot {action}")]
    WrongState {
        /// The state.
        state: &'static str,
        /// The action.
        action: &'static str,
    },
    /// Refund amount not within 1 ..= disputed amount.
    #[error("the refund must be more than 0 and at most the disputed {disputed_minor}")]
    RefundOutOfRange {
        /// The disputed amount.
        disputed_minor: i64,
    },
}

/// The one transition table. Returns the next state and what happens to the money, or
/// why the transition is refused.
pub fn transition(
    state: ComplaintState,
    action: ComplaintAction,
    actor: ComplaintActor,
    disputed_minor: i64,
) -> Result<(ComplaintState, MoneyEffect), TransitionError> {
    use ComplaintAction as A;
    use ComplaintActor as W;
    use ComplaintState as S;
    let who_may = match action {
        A::SendToMerchant | A::MerchantDeadlinePassed | A::Expire => W::System,
        A::MerchantContest | A::MerchantAccept => W::Merchant,
        A::DecideForCustomer { .. } | A::DecideForMerchant => W::Agent,
        A::Withdraw => W::Customer,
    };
    if actor != who_may {
        return Err(TransitionError::NotAllowed {
            actor: actor.as_str(),
            action: action.as_str(),
        });
    }
    let wrong = || TransitionError::WrongState {
        state: state.as_str(),
        action: action.as_str(),
    };
    let next = match (state, action) {
        (S::Submitted, A::SendToMerchant) => (S::AwaitingMerchant, MoneyEffect::None),
        (S::AwaitingMerchant, A::MerchantContest | A::MerchantDeadlinePassed) => {
            (S::UnderReview, MoneyEffect::None)
        }
        // A merchant may give in after contesting, until an agent decides.
        (S::AwaitingMerchant | S::UnderReview, A::MerchantAccept) => (
            S::ResolvedCustomer,
            MoneyEffect::Refund {
                amount_minor: disputed_minor,
            },
        ),
        // An agent may decide for the customer at any time (an obvious case needs no
        // merchant statement), but for the merchant only after hearing the merchant or
        // after the merchant's time ran out.
        (
            S::Submitted | S::AwaitingMerchant | S::UnderReview,
            A::DecideForCustomer { refund_minor },
        ) => {
            if refund_minor <= 0 || refund_minor > disputed_minor {
                return Err(TransitionError::RefundOutOfRange { disputed_minor });
            }
            (
                S::ResolvedCustomer,
                MoneyEffect::Refund {
                    amount_minor: refund_minor,
                },
            )
        }
        (S::UnderReview, A::DecideForMerchant) => (S::ResolvedMerchant, MoneyEffect::Release),
        (S::Submitted | S::AwaitingMerchant | S::UnderReview, A::Withdraw) => {
            (S::Withdrawn, MoneyEffect::Release)
        }
        (S::Submitted | S::AwaitingMerchant | S::UnderReview, A::Expire) => {
            (S::Expired, MoneyEffect::ExpireHold)
        }
        _ => return Err(wrong()),
    };
    Ok(next)
}

/// One row of the deadline tiers: complaints up to `up_to_minor` (inclusive; `None` =
/// any amount) are decided within `decide_business_days`, and the merchant answers
/// within `merchant_business_days`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadlineTier {
    /// Largest disputed amount of this tier, in minor units of the tiers' currency.
    pub up_to_minor: Option<i64>,
    /// Business days to a decision.
    pub decide_business_days: u32,
    /// Business days for the merchant's response (at most the decision's).
    pub merchant_business_days: u32,
}

/// Deadlines that grow with the disputed amount.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeadlineTiers {
    /// Currency of the tiers' amounts; complaints in another currency get the last tier.
    pub currency: Currency,
    /// Tiers by ascending amount; the last has no upper bound.
    pub tiers: Vec<DeadlineTier>,
    /// Calendar days after the decision deadline when an undecided complaint expires
    /// (its hold released). Escalation starts at the deadline itself.
    pub expire_after_days: u32,
}

impl Default for DeadlineTiers {
    /// Up to IDR 100,000: 2 business days (merchant 1); up to IDR 1,000,000: 5 (merchant
    /// 2); above: 10 (merchant 4). Expiry 30 days after the deadline.
    fn default() -> Self {
        Self {
            currency: Currency::IDR,
            tiers: vec![
                DeadlineTier {
                    up_to_minor: Some(100_000_00),
                    decide_business_days: 2,
                    merchant_business_days: 1,
                },
                DeadlineTier {
                    up_to_minor: Some(1_000_000_00),
                    decide_business_days: 5,
                    merchant_business_days: 2,
                },
                DeadlineTier {
                    up_to_minor: None,
                    decide_business_days: 10,
                    merchant_business_days: 4,
                },
            ],
            expire_after_days: 30,
        }
    }
}

/// When a complaint must be answered and decided, and when it expires (µs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Deadlines {
    /// The merchant's response.
    pub merchant_due_us: i64,
    /// The decision.
    pub decision_due_us: i64,
    /// Expiry of an undecided complaint (and of its hold).
    pub expires_at_us: i64,
}

impl DeadlineTiers {
    /// Checks the tiers: at least one, ascending bounds, only the last unbounded, at
    /// least one business day each, the merchant's time within the decision's.
    pub fn check(&self) -> Result<(), ValidationError> {
        let bad = |msg: &str| Err(ValidationError::field("tiers", "invalid_value", msg));
        if self.tiers.is_empty() {
            return bad("at least one tier");
        }
        let mut last = 0i64;
        for (i, t) in self.tiers.iter().enumerate() {
            let is_last = i + 1 == self.tiers.len();
            match t.up_to_minor {
                Some(_) if is_last => return bad("the last tier has no upper bound"),
                None if !is_last => return bad("only the last tier has no upper bound"),
                Some(up) if up <= last => return bad("upper bounds must grow"),
                Some(up) => last = up,
                None => {}
            }
            if t.decide_business_days == 0 || t.decide_business_days > 60 {
                return bad("1 to 60 business days to a decision");
            }
            if t.merchant_business_days == 0 || t.merchant_business_days > t.decide_business_days {
                return bad("the merchant's days: at least 1, at most the decision's");
            }
        }
        if self.expire_after_days == 0 || self.expire_after_days > 365 {
            return bad("expiry 1 to 365 days after the deadline");
        }
        Ok(())
    }

    /// The tier of an amount.
    pub fn tier_for(&self, amount: Money) -> Option<&DeadlineTier> {
        if amount.currency != self.currency {
            return self.tiers.last();
        }
        self.tiers
            .iter()
            .find(|t| t.up_to_minor.is_none_or(|up| amount.minor <= up))
            .or(self.tiers.last())
    }

    /// The deadlines of a complaint filed at `filed_at` for `amount`, in business days
    /// of `calendar`. `None` when the calendar has no business days within two years.
    pub fn deadlines(
        &self,
        calendar: &BusinessCalendar,
        filed_at: Timestamp,
        amount: Money,
    ) -> Option<Deadlines> {
        let tier = self.tier_for(amount)?;
        let decision = end_of_business_day(calendar, filed_at, tier.decide_business_days)?;
        let merchant = end_of_business_day(calendar, filed_at, tier.merchant_business_days)?;
        let expires =
            decision.as_microsecond() + i64::from(self.expire_after_days) * 86_400 * 1_000_000;
        Some(Deadlines {
            merchant_due_us: merchant.as_microsecond(),
            decision_due_us: decision.as_microsecond(),
            expires_at_us: expires,
        })
    }
}

/// The close of business on the `days`-th business day after the day of `at` (the day
/// of filing does not count, as "within two business days" is meant). A business day is
/// a local date with open hours that is not a holiday; its close is where all of that
/// day's business minutes have run, found with the calendar's own arithmetic.
pub fn end_of_business_day(
    calendar: &BusinessCalendar,
    at: Timestamp,
    days: u32,
) -> Option<Timestamp> {
    let tz = calendar.time_zone().clone();
    let mut date = at.to_zoned_datetime(tz.clone()).date();
    let mut counted = 0u32;
    if days == 0 {
        return Some(at);
    }
    for _ in 0..800 {
        date = date.tomorrow().ok()?;
        let start = date.to_zoned_datetime(tz.clone()).ok()?.timestamp();
        let end = date
            .tomorrow()
            .ok()?
            .to_zoned_datetime(tz.clone())
            .ok()?
            .timestamp();
        let open = calendar.business_minutes_between(start, end);
        if open > 0 {
            counted += 1;
            if counted == days {
                return calendar.add_business_minutes(start, open);
            }
        }
    }
    None
}

/// Where the deadline worker should look at an open complaint next (µs), or `None` once
/// closed: the merchant's deadline while waiting for them, then the decision deadline
/// (for escalation) until escalated, then expiry.
pub fn next_check_us(state: ComplaintState, deadlines: &Deadlines, escalated: bool) -> Option<i64> {
    if !state.is_open() {
        return None;
    }
    let mut next = deadlines.expires_at_us;
    if !escalated {
        next = next.min(deadlines.decision_due_us);
    }
    if matches!(
        state,
        ComplaintState::AwaitingMerchant | ComplaintState::Submitted
    ) {
        next = next.min(deadlines.merchant_due_us);
    }
    Some(next)
}

/// Longest description or statement, in characters.
pub const MAX_TEXT_CHARS: usize = 4000;

/// Checks free text (description, statement, reason): trimmed, 1 to 4000 characters.
pub fn parse_text(field: &str, raw: &str) -> Result<String, ValidationError> {
    let t = raw.trim();
    if t.is_empty() {
        return Err(ValidationError::field(
            field,
            "required",
            "write a few words",
        ));
    }
    if t.chars().count() > MAX_TEXT_CHARS {
        return Err(ValidationError::field(
            field,
            "too_long",
            format!("at most {MAX_TEXT_CHARS} characters"),
        ));
    }
    Ok(t.to_owned())
}

/// A complaint being filed, checked.
#[derive(Debug, Clone)]
pub struct NewComplaint {
    /// The payment complained about.
    pub payment_id: String,
    /// What went wrong.
    pub category: ComplaintCategory,
    /// In the customer's words.
    pub description: String,
    /// How much is disputed (at most what remains refundable of the payment).
    pub disputed: Money,
    /// What the customer asks for.
    pub desired_outcome: DesiredOutcome,
    /// Deadlines computed from the tiers and the customer's calendar.
    pub deadlines: Deadlines,
    /// The calendar's time zone, to show deadlines in.
    pub time_zone: String,
    /// The filer's name for the timeline.
    pub actor_name: String,
}

/// A complaint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Complaint {
    /// Id.
    pub id: String,
    /// Human reference (`CP-20261126-1A2B3C4D`).
    pub reference: String,
    /// The payment.
    pub payment_id: String,
    /// The customer.
    pub customer_id: CustomerId,
    /// The merchant complained about.
    pub merchant_id: MerchantId,
    /// Merchant's name.
    pub merchant_name: String,
    /// What went wrong.
    pub category: ComplaintCategory,
    /// The customer's description.
    pub description: String,
    /// Disputed amount.
    pub disputed: Money,
    /// What the customer asks for.
    pub desired_outcome: DesiredOutcome,
    /// State.
    pub state: ComplaintState,
    /// Deadlines.
    pub deadlines: Deadlines,
    /// Zone the deadlines are shown in.
    pub time_zone: String,
    /// When it was escalated for missing its decision deadline.
    pub escalated_at_us: Option<i64>,
    /// The ledger hold on the merchant's settlement, when one could be placed.
    pub hold_transfer_id: Option<String>,
    /// Refunded on the decision (minor units), once decided for the customer.
    pub refunded_minor: i64,
    /// The refund transaction in the customer's history.
    pub refund_transaction_id: Option<String>,
    /// The support ticket it opened or joined.
    pub ticket_id: Option<String>,
    /// Filed (µs).
    pub created_at_us: i64,
    /// Last change (µs).
    pub updated_at_us: i64,
}

/// One entry of a complaint's timeline: who did what, when and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ComplaintEvent {
    /// Id.
    pub id: String,
    /// The complaint.
    pub complaint_id: String,
    /// Who.
    pub actor: ComplaintActor,
    /// Their user id ("" for the system).
    pub actor_id: String,
    /// Their name.
    pub actor_name: String,
    /// `filed`, an action name, `evidence_added` or `escalated`.
    pub action: String,
    /// State before.
    pub from_state: Option<ComplaintState>,
    /// State after.
    pub to_state: ComplaintState,
    /// Why, or the statement.
    pub note: String,
    /// Money refunded by this step (minor units), 0 if none.
    pub amount_minor: i64,
    /// When (µs).
    pub at_us: i64,
}

/// A stored evidence file (bytes in the file store under `storage_key`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    /// Id.
    pub id: String,
    /// The complaint.
    pub complaint_id: String,
    /// Whose.
    pub party: EvidenceParty,
    /// Name shown (never a path).
    pub file_name: String,
    /// Sniffed content type.
    pub content_type: String,
    /// Size.
    pub size_bytes: i64,
    /// File-store key.
    #[serde(skip)]
    pub storage_key: String,
    /// Uploaded (µs).
    pub created_at_us: i64,
}

/// Who a step is by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepBy {
    /// Kind.
    pub actor: ComplaintActor,
    /// User id ("" for the system).
    pub id: String,
    /// Name.
    pub name: String,
}

/// Filters of a complaint listing.
#[derive(Debug, Clone, Default)]
pub struct ComplaintQuery {
    /// Only this customer's.
    pub customer_id: Option<CustomerId>,
    /// Only against this merchant.
    pub merchant_id: Option<MerchantId>,
    /// Only open ones.
    pub open_only: bool,
    /// Only escalated ones (open and past the decision deadline).
    pub escalated_only: bool,
    /// Only of this payment.
    pub payment_id: Option<String>,
}

/// What the deadline worker did in one round.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeadlineRound {
    /// Sent to review because the merchant did not answer in time.
    pub merchant_late: u32,
    /// Escalated past their decision deadline.
    pub escalated: u32,
    /// Expired.
    pub expired: u32,
    /// Ids of the complaints escalated in this round (for notes on their tickets).
    pub escalated_ids: Vec<String>,
}

/// Complaints, their timelines and evidence.
#[async_trait]
pub trait ComplaintRepo: Send + Sync {
    /// Files a complaint against a payment of `customer`, holds the disputed amount from
    /// the merchant's settlement and hands it to the merchant, in one transaction.
    /// `Conflict("open_complaint")` when the payment already has an open complaint (the
    /// database enforces it, so two at once cannot both pass); `InvalidState` when the
    /// payment cannot be complained about or the amount exceeds what remains.
    async fn file_complaint(
        &self,
        customer: &CustomerId,
        new: &NewComplaint,
        now_us: i64,
    ) -> Result<Complaint, RepoError>;
    /// One complaint.
    async fn complaint(&self, id: &str) -> Result<Complaint, RepoError>;
    /// Complaints, newest first (most urgent first with `open_only`).
    async fn complaints(
        &self,
        query: &ComplaintQuery,
        after: Option<&Cursor>,
        limit: Limit,
    ) -> Result<Page<Complaint>, RepoError>;
    /// The timeline, oldest first.
    async fn complaint_events(&self, id: &str) -> Result<Vec<ComplaintEvent>, RepoError>;
    /// Applies an action under a lock, checked by [`transition`]; the money moves in
    /// the same database transaction. `note` says why (required by callers for
    /// decisions); it lands on the timeline.
    async fn act_on_complaint(
        &self,
        id: &str,
        action: ComplaintAction,
        by: &StepBy,
        note: &str,
        now_us: i64,
    ) -> Result<Complaint, RepoError>;
    /// Adds an evidence file (already stored) unless the party has `max_files` already.
    async fn add_evidence(
        &self,
        evidence: &Evidence,
        by: &StepBy,
        max_files: u32,
        now_us: i64,
    ) -> Result<Evidence, RepoError>;
    /// A complaint's evidence, oldest first.
    async fn complaint_evidence(&self, id: &str) -> Result<Vec<Evidence>, RepoError>;
    /// One evidence file.
    async fn evidence(&self, id: &str) -> Result<Evidence, RepoError>;
    /// Records the ticket that tracks the complaint.
    async fn set_complaint_ticket(&self, id: &str, ticket_id: &str) -> Result<(), RepoError>;
    /// Works deadlines due at `now_us` (up to `limit` complaints): merchant late → under
    /// review, decision late → escalated, long past → expired with the hold released.
    /// Claimed with `FOR UPDATE SKIP LOCKED` on PostgreSQL, so nodes never double work.
    async fn run_complaint_deadlines(
        &self,
        now_us: i64,
        limit: u32,
    ) -> Result<DeadlineRound, RepoError>;
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::calendar::{CalendarSpec, Holiday, OpeningInterval};
    use crate::ledger::{
        AccountKind, Balance, LedgerAccount, PendingTransfer, Phase, TransferRequest, apply_batch,
        check_invariants,
    };
    use proptest::prelude::*;
    use std::collections::HashMap;

    const ACTIONS: fn(i64) -> [ComplaintAction; 8] = |r| {
        [
            ComplaintAction::SendToMerchant,
            ComplaintAction::MerchantContest,
            ComplaintAction::MerchantAccept,
            ComplaintAction::MerchantDeadlinePassed,
            ComplaintAction::DecideForCustomer { refund_minor: r },
            ComplaintAction::DecideForMerchant,
            ComplaintAction::Withdraw,
            ComplaintAction::Expire,
        ]
    };

    /// The table written out by hand, as the issue states it: the oracle the transition
    /// function is checked against exhaustively.
    fn allowed(s: ComplaintState, a: &str, w: ComplaintActor) -> Option<ComplaintState> {
        use ComplaintActor as W;
        use ComplaintState as S;
        let open = s.is_open();
        match (a, w) {
            ("send_to_merchant", W::System) if s == S::Submitted => Some(S::AwaitingMerchant),
            ("merchant_contest", W::Merchant) if s == S::AwaitingMerchant => Some(S::UnderReview),
            ("merchant_deadline_passed", W::System) if s == S::AwaitingMerchant => {
                Some(S::UnderReview)
            }
            ("merchant_accept", W::Merchant)
                if matches!(s, S::AwaitingMerchant | S::UnderReview) =>
            {
                Some(S::ResolvedCustomer)
            }
            ("decide_for_customer", W::Agent) if open => Some(S::ResolvedCustomer),
            ("decide_for_merchant", W::Agent) if s == S::UnderReview => Some(S::ResolvedMerchant),
            ("withdraw", W::Customer) if open => Some(S::Withdrawn),
            ("expire", W::System) if open => Some(S::Expired),
            _ => None,
        }
    }

    #[test]
    fn every_state_action_and_actor_is_checked_against_the_table() {
        let mut accepted = 0;
        for &s in ComplaintState::ALL {
            for a in ACTIONS(500) {
                for &w in ComplaintActor::ALL {
                    let got = transition(s, a, w, 1000).ok().map(|(n, _)| n);
                    assert_eq!(got, allowed(s, a.as_str(), w), "{s:?} {a:?} by {w:?}");
                    if got.is_some() {
                        accepted += 1;
                    }
                }
            }
        }
        // 15 (state, action) pairs in the table (see `allowed`).
        assert_eq!(accepted, 15);
        // Terminal states accept nothing.
        for &s in ComplaintState::ALL.iter().filter(|s| !s.is_open()) {
            for a in ACTIONS(1) {
                for &w in ComplaintActor::ALL {
                    assert!(transition(s, a, w, 10).is_err());
                }
            }
        }
    }

    #[test]
    fn refunds_are_bounded_by_the_disputed_amount() {
        let decide = |r| {
            transition(
                ComplaintState::UnderReview,
                ComplaintAction::DecideForCustomer { refund_minor: r },
                ComplaintActor::Agent,
                1000,
            )
        };
        assert!(decide(0).is_err());
        assert!(decide(-5).is_err());
        assert!(decide(1001).is_err());
        assert_eq!(
            decide(400).unwrap().1,
            MoneyEffect::Refund { amount_minor: 400 }
        );
        assert_eq!(
            transition(
                ComplaintState::AwaitingMerchant,
                ComplaintAction::MerchantAccept,
                ComplaintActor::Merchant,
                1000
            )
            .unwrap()
            .1,
            MoneyEffect::Refund { amount_minor: 1000 }
        );
    }

    fn account(id: &str, kind: AccountKind, credits: i64) -> LedgerAccount {
        LedgerAccount {
            id: id.into(),
            kind,
            currency: Currency::IDR,
            balance: Balance {
                credits_posted: credits,
                ..Balance::default()
            },
        }
    }

    fn arb_step() -> impl Strategy<Value = (usize, usize, i64)> {
        (0usize..8, 0usize..4, -100i64..2_000)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]

        /// Random actors try random actions on a complaint whose disputed amount is held
        /// in a real ledger model: illegal steps change nothing, the hold is resolved
        /// exactly once when (and only when) the complaint closes, money reaches the
        /// customer only on a decision for them, and the ledger stays balanced.
        #[test]
        fn random_steps_never_break_the_lifecycle_or_the_money(
            disputed in 1i64..1_500,
            steps in proptest::collection::vec(arb_step(), 0..25),
        ) {
            let mut accounts: HashMap<String, LedgerAccount> = [
                account("merchant", AccountKind::MerchantSettlement, 10_000),
                account("wallet", AccountKind::CustomerWallet, 0),
                account("bank", AccountKind::BankClearing, 0),
            ]
            .into_iter()
            .map(|a| (a.id.clone(), a))
            .collect();
            // The bank side of the merchant's earlier credit, so totals balance.
            if let Some(b) = accounts.get_mut("bank") {
                b.balance.debits_posted = 10_000;
            }
            let mut pendings: HashMap<String, PendingTransfer> = HashMap::new();
            let hold = TransferRequest {
                id: "hold".into(),
                debit_account: "merchant".into(),
                credit_account: "wallet".into(),
                amount: disputed,
                currency: Currency::IDR,
                phase: Phase::Pending { expires_at_us: 1_000_000 },
            };
            apply_batch(&mut accounts, &mut pendings, &[hold], 0).unwrap();
            let mut state = ComplaintState::Submitted;
            let mut resolutions = 0;
            let mut refunded = 0i64;
            for (n, (a, w, r)) in steps.into_iter().enumerate() {
                let action = ACTIONS(r)[a];
                let actor = ComplaintActor::ALL[w];
                let before = (state, accounts.clone());
                match transition(state, action, actor, disputed) {
                    Err(_) => {
                        prop_assert_eq!(allowed(state, action.as_str(), actor).filter(|_| {
                            !matches!(action, ComplaintAction::DecideForCustomer { refund_minor } if refund_minor <= 0 || refund_minor > disputed)
                        }), None);
                        prop_assert_eq!((state, &accounts), (before.0, &before.1));
                        continue;
                    }
                    Ok((next, effect)) => {
                        prop_assert!(state.is_open(), "a closed complaint moved");
                        let phase = match effect {
                            MoneyEffect::None => None,
                            MoneyEffect::Refund { amount_minor } => Some((Phase::PostPending { pending_id: "hold".into() }, amount_minor)),
                            MoneyEffect::Release => Some((Phase::VoidPending { pending_id: "hold".into() }, 0)),
                            MoneyEffect::ExpireHold => Some((Phase::ExpirePending { pending_id: "hold".into() }, 0)),
                        };
                        prop_assert_eq!(phase.is_some(), !next.is_open());
                        if let Some((phase, amount)) = phase {
                            let now = if matches!(phase, Phase::ExpirePending { .. }) { 2_000_000 } else { 10 };
                            let req = TransferRequest {
                                id: format!("step{n}"),
                                debit_account: "merchant".into(),
                                credit_account: "wallet".into(),
                                amount,
                                currency: Currency::IDR,
                                phase,
                            };
                            let applied = apply_batch(&mut accounts, &mut pendings, &[req], now);
                            prop_assert!(applied.is_ok(), "{:?}", applied);
                            resolutions += 1;
                            refunded += amount;
                        }
                        state = next;
                    }
                }
                check_invariants(accounts.values()).map_err(TestCaseError::fail)?;
            }
            prop_assert!(resolutions <= 1);
            prop_assert_eq!(resolutions == 1, !state.is_open());
            let wallet = accounts["wallet"].balance;
            prop_assert_eq!(wallet.posted(), refunded);
            if state == ComplaintState::ResolvedCustomer {
                prop_assert!(refunded > 0 && refunded <= disputed);
            } else {
                prop_assert_eq!(refunded, 0);
            }
            // While open the amount stays held; once closed nothing is held.
            let held = accounts["merchant"].balance.debits_pending;
            prop_assert_eq!(held, if state.is_open() { disputed } else { 0 });
        }
    }

    fn weekdays_9_to_5(holidays: Vec<Holiday>) -> BusinessCalendar {
        // Built from `always_open` so fields added to the spec later keep their defaults.
        let mut spec = CalendarSpec::always_open("Asia/Jakarta");
        spec.intervals = (0..5)
            .map(|weekday| OpeningInterval {
                weekday,
                start_minute: 9 * 60,
                end_minute: 17 * 60,
            })
            .collect();
        spec.holidays = holidays;
        BusinessCalendar::new(spec).unwrap()
    }

    fn wib(s: &str) -> Timestamp {
        jiff::civil::DateTime::strptime("%Y-%m-%d %H:%M", s)
            .unwrap()
            .in_tz("Asia/Jakarta")
            .unwrap()
            .timestamp()
    }

    fn idr(major: i64) -> Money {
        Money::major(major, Currency::IDR).unwrap()
    }

    #[test]
    fn deadlines_skip_weekends() {
        let cal = weekdays_9_to_5(Vec::new());
        let tiers = DeadlineTiers::default();
        // Filed Friday 2026-11-27 at 20:00: the small tier's two business days are Monday
        // and Tuesday; the merchant has until Monday's close.
        let d = tiers
            .deadlines(&cal, wib("2026-11-27 20:00"), idr(50_000))
            .unwrap();
        assert_eq!(d.decision_due_us, wib("2026-12-01 17:00").as_microsecond());
        assert_eq!(d.merchant_due_us, wib("2026-11-30 17:00").as_microsecond());
        assert_eq!(d.expires_at_us, d.decision_due_us + 30 * 86_400 * 1_000_000);
        // Exactly IDR 100,000 is still the small tier; one rupiah more is the middle one.
        let edge = tiers
            .deadlines(&cal, wib("2026-11-27 20:00"), idr(100_000))
            .unwrap();
        assert_eq!(edge.decision_due_us, d.decision_due_us);
        let middle = tiers
            .deadlines(
                &cal,
                wib("2026-11-27 20:00"),
                Money::new(100_000_01, Currency::IDR),
            )
            .unwrap();
        // Five business days from Friday: Mon..Fri of the next week.
        assert_eq!(
            middle.decision_due_us,
            wib("2026-12-04 17:00").as_microsecond()
        );
        // Above a million: ten business days, two whole weeks.
        let big = tiers
            .deadlines(&cal, wib("2026-11-27 20:00"), idr(2_000_000))
            .unwrap();
        assert_eq!(
            big.decision_due_us,
            wib("2026-12-11 17:00").as_microsecond()
        );
        assert_eq!(
            big.merchant_due_us,
            wib("2026-12-03 17:00").as_microsecond()
        );
    }

    #[test]
    fn deadlines_skip_holidays() {
        // Christmas (Friday) and the following Monday closed: filed Wednesday 23 Dec,
        // two business days are Thursday 24 and Tuesday 29.
        let cal = weekdays_9_to_5(vec![
            Holiday {
                date: jiff::civil::date(2026, 12, 25),
                name: "Natal".into(),
            },
            Holiday {
                date: jiff::civil::date(2026, 12, 28),
                name: "Cuti bersama".into(),
            },
        ]);
        let d = DeadlineTiers::default()
            .deadlines(&cal, wib("2026-12-23 10:00"), idr(10_000))
            .unwrap();
        assert_eq!(d.merchant_due_us, wib("2026-12-24 17:00").as_microsecond());
        assert_eq!(d.decision_due_us, wib("2026-12-29 17:00").as_microsecond());
    }

    #[test]
    fn round_the_clock_calendars_count_calendar_days_and_other_currencies_get_the_longest_tier() {
        let cal = BusinessCalendar::new(CalendarSpec::always_open("Asia/Shanghai")).unwrap();
        let at: Timestamp = "2026-11-28T03:00:00Z".parse().unwrap();
        let d = DeadlineTiers::default()
            .deadlines(&cal, at, Money::new(100, Currency::CNY))
            .unwrap();
        // Ten days after the local day of filing, at local midnight ending day ten.
        let expected: Timestamp = "2026-12-08T16:00:00Z".parse().unwrap();
        assert_eq!(d.decision_due_us, expected.as_microsecond());
    }

    #[test]
    fn tier_tables_are_checked() {
        assert!(DeadlineTiers::default().check().is_ok());
        let mut t = DeadlineTiers::default();
        t.tiers[1].up_to_minor = Some(10);
        assert!(t.check().is_err());
        let mut t = DeadlineTiers::default();
        t.tiers[0].merchant_business_days = 3;
        assert!(t.check().is_err());
        let mut t = DeadlineTiers::default();
        t.tiers.pop();
        assert!(t.check().is_err());
        let t = DeadlineTiers {
            tiers: Vec::new(),
            ..DeadlineTiers::default()
        };
        assert!(t.check().is_err());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(120))]

        /// Deadlines never fall on a closed day, grow with the tier, and the merchant's
        /// comes no later than the decision.
        #[test]
        fn deadlines_land_at_a_close_and_grow_with_the_amount(
            start_days in 0i64..700,
            minute in 0i64..1440,
            amount in 1i64..5_000_000_00,
        ) {
            let cal = weekdays_9_to_5(vec![Holiday { date: jiff::civil::date(2027, 3, 31), name: "Nyepi".into() }]);
            let at = Timestamp::from_second(1_767_225_600 + start_days * 86_400 + minute * 60).unwrap();
            let tiers = DeadlineTiers::default();
            let d = tiers.deadlines(&cal, at, Money::new(amount, Currency::IDR)).unwrap();
            prop_assert!(d.merchant_due_us <= d.decision_due_us);
            prop_assert!(d.decision_due_us > at.as_microsecond());
            let due = Timestamp::from_microsecond(d.decision_due_us).unwrap();
            let local = due.to_zoned_datetime(cal.time_zone().clone());
            prop_assert_eq!((local.hour(), local.minute()), (17, 0));
            prop_assert!(local.weekday().to_monday_zero_offset() < 5);
            prop_assert!(cal.holiday_on(local.date()).is_none());
            let bigger = tiers.deadlines(&cal, at, Money::new(amount.saturating_mul(20), Currency::IDR)).unwrap();
            prop_assert!(bigger.decision_due_us >= d.decision_due_us);
        }
    }

    #[test]
    fn the_worker_looks_at_the_nearest_relevant_deadline() {
        let d = Deadlines {
            merchant_due_us: 10,
            decision_due_us: 20,
            expires_at_us: 30,
        };
        assert_eq!(
            next_check_us(ComplaintState::AwaitingMerchant, &d, false),
            Some(10)
        );
        assert_eq!(
            next_check_us(ComplaintState::UnderReview, &d, false),
            Some(20)
        );
        assert_eq!(
            next_check_us(ComplaintState::UnderReview, &d, true),
            Some(30)
        );
        assert_eq!(next_check_us(ComplaintState::Withdrawn, &d, false), None);
    }
}
