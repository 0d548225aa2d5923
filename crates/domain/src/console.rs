//! The agent console: the queue's order, agents' availability for round-robin assignment,
//! canned responses in three languages, merging a duplicate ticket into another, and the
//! figures of the supervisor dashboard. Storage implements [`ConsoleRepo`]; the rules that
//! need no database (what a canned response says in a language, which bucket a response
//! time falls in) live here.

use crate::ids::{CustomerId, GroupId, StaffId};
use crate::locale::Locale;
use crate::repo::RepoError;
use crate::ticket::{Actor, Category, Ticket};
use crate::validation::ValidationError;
use crate::wallet::{Refund, TransactionFlag};
use async_trait::async_trait;
use serde::Serialize;

/// The order of a ticket list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TicketSort {
    /// Most recently updated first: what a customer's "my tickets" and the API show.
    #[default]
    Updated,
    /// The agents' queue: what needs attention first (see the store for the keys).
    Queue,
}

/// How many active tickets each queue of the console holds for one agent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct QueueCounts {
    /// Assigned to the agent.
    pub mine: i64,
    /// Assigned to nobody.
    pub unassigned: i64,
    /// In the agent's group (0 without a group).
    pub group: i64,
    /// Every active ticket.
    pub all: i64,
}

/// A reply agents reuse, written once per language by an admin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CannedResponse {
    /// Id.
    pub id: String,
    /// What agents pick it by.
    pub title: String,
    /// Offered first on tickets of this category (all tickets when `None`).
    pub category: Option<Category>,
    /// English text.
    pub body_en: String,
    /// Indonesian text.
    pub body_id: String,
    /// Simplified Chinese text.
    pub body_zh: String,
    /// Last saved (µs).
    pub updated_at_us: i64,
}

/// What placeholders in a canned response stand for on one ticket.
#[derive(Debug, Clone, Default)]
pub struct CannedFields {
    /// `{name}`: the requester's name.
    pub name: String,
    /// `{agent}`: the agent answering.
    pub agent: String,
    /// `{number}`: the ticket number.
    pub number: String,
}

impl CannedResponse {
    /// Checks what an admin typed: a title of 1–120 characters, a known category or
    /// none, and 1–5,000 characters in every language (an agent must never find a blank
    /// where the customer's language should be).
    #[allow(clippy::too_many_arguments)]
    pub fn parse(
        id: String,
        title: &str,
        category: &str,
        body_en: &str,
        body_id: &str,
        body_zh: &str,
        now_us: i64,
    ) -> Result<CannedResponse, ValidationError> {
        let title = title.split_whitespace().collect::<Vec<_>>().join(" ");
        let category = category.trim();
        let parsed_category = if category.is_empty() {
            Ok(None)
        } else {
            Category::parse(category).map(Some).ok_or_else(|| {
                ValidationError::field("category", "invalid_value", "unknown category")
            })
        };
        let body = |field: &str, raw: &str| {
            let s = raw.trim();
            if s.is_empty() {
                Some(ValidationError::field(field, "required", "write the text"))
            } else if s.chars().count() > 5000 {
                Some(ValidationError::field(
                    field,
                    "too_long",
                    "at most 5,000 characters",
                ))
            } else {
                None
            }
        };
        ValidationError::collect([
            (title.is_empty() || title.chars().count() > 120).then(|| {
                ValidationError::field("title", "required", "a title of up to 120 characters")
            }),
            parsed_category.as_ref().err().cloned(),
            body("body_en", body_en),
            body("body_id", body_id),
            body("body_zh", body_zh),
        ])?;
        Ok(CannedResponse {
            id,
            title,
            category: parsed_category?,
            body_en: body_en.trim().to_owned(),
            body_id: body_id.trim().to_owned(),
            body_zh: body_zh.trim().to_owned(),
            updated_at_us: now_us,
        })
    }

    /// The text in a language.
    pub fn body(&self, locale: Locale) -> &str {
        match locale {
            Locale::En => &self.body_en,
            Locale::Id => &self.body_id,
            Locale::ZhCn => &self.body_zh,
        }
    }

    /// The text in the ticket's language with its placeholders filled in. Unknown
    /// `{…}` are left as written, so a typo shows instead of vanishing.
    pub fn fill(&self, locale: Locale, fields: &CannedFields) -> String {
        self.body(locale)
            .replace("{name}", &fields.name)
            .replace("{agent}", &fields.agent)
            .replace("{number}", &fields.number)
    }
}

/// The automatic notes a merge leaves, in the requester's language: on the duplicate
/// (which is closed) and on the ticket it was merged into.
#[derive(Debug, Clone)]
pub struct MergeNotes {
    /// On the duplicate: "merged into #N, the conversation continues there".
    pub source: String,
    /// On the ticket kept, staff only: "merged from #M".
    pub target: String,
}

/// Why a merge was refused. Storage checks these inside the transaction that holds both
/// tickets and reports them as invalid state with this text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MergeRefusal {
    /// Source and target are the same ticket.
    #[error("a ticket cannot be merged into itself")]
    SameTicket,
    /// The tickets belong to different requesters.
    #[error("only tickets of the same requester can be merged")]
    OtherRequester,
    /// One of the tickets is closed; closed tickets never change.
    #[error("a closed ticket cannot be merged or merged into")]
    Closed,
}

impl MergeRefusal {
    /// Every refusal, for recognising one by its text.
    pub const ALL: [MergeRefusal; 3] = [
        MergeRefusal::SameTicket,
        MergeRefusal::OtherRequester,
        MergeRefusal::Closed,
    ];

    /// Message key in the UI catalogues.
    pub fn message_key(self) -> &'static str {
        match self {
            MergeRefusal::SameTicket => "console-merge-refused-same",
            MergeRefusal::OtherRequester => "console-merge-refused-requester",
            MergeRefusal::Closed => "console-merge-refused-closed",
        }
    }
}

/// Upper bounds (minutes, exclusive) of the first-response-time buckets the dashboard
/// shows; a last bucket holds everything slower. Support teams promise "within the hour"
/// and "the same day", so the edges sit there.
pub const FIRST_RESPONSE_BOUNDS_MIN: [i64; 5] = [15, 60, 240, 1440, 4320];

/// One count of a grouping (a category, a channel).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CountBy {
    /// The stored code.
    pub key: String,
    /// How many.
    pub count: i64,
}

/// How fast tickets opened in a period got their first public answer from staff.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FirstResponseStats {
    /// Answered tickets per bucket of [`FIRST_RESPONSE_BOUNDS_MIN`] (one more than bounds).
    pub buckets: Vec<i64>,
    /// Tickets answered.
    pub answered: i64,
    /// Tickets opened in the period still without a public staff answer.
    pub unanswered: i64,
    /// Sum of the answered tickets' response times (µs), for the average.
    pub total_us: i64,
}

impl FirstResponseStats {
    /// Average response time in whole minutes, when any ticket was answered.
    pub fn average_minutes(&self) -> Option<i64> {
        (self.answered > 0).then(|| self.total_us / self.answered / 60_000_000)
    }
}

/// Satisfaction ratings given in a period.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SatisfactionStats {
    /// How many ratings of 1, 2, 3, 4 and 5.
    pub by_score: [i64; 5],
}

impl SatisfactionStats {
    /// Ratings given.
    pub fn count(&self) -> i64 {
        self.by_score.iter().sum()
    }

    /// Average score in hundredths (`437` = 4.37), when any rating was given; kept as
    /// an integer so the figure is exact and formats the same everywhere.
    pub fn average_hundredths(&self) -> Option<i64> {
        let n = self.count();
        let sum: i64 = self
            .by_score
            .iter()
            .zip(1..)
            .map(|(count, score)| count * score)
            .sum();
        (n > 0).then(|| (sum * 100 + n / 2) / n)
    }
}

/// Everything the supervisor dashboard shows from tickets.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DashboardStats {
    /// Active tickets per category, largest first.
    pub open_by_category: Vec<CountBy>,
    /// Active tickets per channel, largest first.
    pub open_by_channel: Vec<CountBy>,
    /// First responses of tickets opened in the period.
    pub first_response: FirstResponseStats,
    /// Ratings given in the period.
    pub satisfaction: SatisfactionStats,
    /// How the SLA targets of tickets opened in the period fared.
    pub sla: SlaCompliance,
}

/// One SLA target's record over the tickets opened in a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TargetCompliance {
    /// The target.
    pub target: crate::sla::SlaTarget,
    /// Cycles met before their due time.
    pub met: i64,
    /// Cycles missed: met late, overdue while running, or run out before a pause.
    pub missed: i64,
    /// Cycles still running within their target: not decided, so not in the rate.
    pub running: i64,
}

impl TargetCompliance {
    /// Share of decided cycles met in time, in whole percent (rounded down, so 100 means
    /// none missed), when any cycle is decided.
    pub fn percent(&self) -> Option<i64> {
        let decided = self.met + self.missed;
        (decided > 0).then(|| self.met * 100 / decided)
    }
}

/// SLA compliance per target (first response, next response, resolution).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SlaCompliance {
    /// One entry per target, in [`crate::sla::SlaTarget::ALL`] order.
    pub targets: Vec<TargetCompliance>,
}

impl Default for SlaCompliance {
    fn default() -> Self {
        SlaCompliance {
            targets: crate::sla::SlaTarget::ALL
                .iter()
                .map(|&target| TargetCompliance {
                    target,
                    met: 0,
                    missed: 0,
                    running: 0,
                })
                .collect(),
        }
    }
}

impl SlaCompliance {
    /// Counts a ticket's target cycles as of `now_us`.
    pub fn add(&mut self, cycles: &[crate::sla::TargetCycle], now_us: i64) {
        use crate::sla::CycleState;
        for cycle in cycles {
            let Some(entry) = self.targets.iter_mut().find(|t| t.target == cycle.target) else {
                continue;
            };
            if cycle.breached(now_us) {
                entry.missed += 1;
            } else if cycle.state == CycleState::Met {
                entry.met += 1;
            } else {
                entry.running += 1;
            }
        }
    }
}

/// What the console needs from storage beyond [`crate::repo::TicketRepo`].
#[async_trait]
pub trait ConsoleRepo: Send + Sync {
    /// Marks an agent available for round-robin assignment or away.
    async fn set_available(
        &self,
        staff: &StaffId,
        available: bool,
        now_us: i64,
    ) -> Result<(), RepoError>;
    /// Whether an agent is available (never having said so means away).
    async fn is_available(&self, staff: &StaffId) -> Result<bool, RepoError>;
    /// The sizes of the agent's queues (active tickets only).
    async fn queue_counts(
        &self,
        staff: &StaffId,
        group: Option<&GroupId>,
    ) -> Result<QueueCounts, RepoError>;
    /// Assigns the agent the most urgent unassigned ticket (new or open) of the group, in
    /// queue order; two agents asking at once never get the same ticket. `None` when the
    /// group has nothing waiting.
    async fn take_next_ticket(
        &self,
        group: &GroupId,
        staff: &StaffId,
        actor: &Actor,
        now_us: i64,
    ) -> Result<Option<Ticket>, RepoError>;
    /// Merges a duplicate into a ticket of the same requester: the duplicate's messages,
    /// links and calls are copied to the target and the duplicate is closed with a note;
    /// both histories record it. Refused (`InvalidState`) for the same ticket, another
    /// requester, or a closed ticket on either side.
    async fn merge_tickets(
        &self,
        source_id: &str,
        target_id: &str,
        actor: &Actor,
        notes: &MergeNotes,
        now_us: i64,
    ) -> Result<Ticket, RepoError>;
    /// Which group new tickets of each category land in.
    async fn category_groups(&self) -> Result<Vec<(Category, GroupId)>, RepoError>;
    /// Sets (or clears) the group new tickets of a category land in.
    async fn set_category_group(
        &self,
        category: Category,
        group: Option<&GroupId>,
    ) -> Result<(), RepoError>;
    /// Every canned response, by title.
    async fn canned_responses(&self) -> Result<Vec<CannedResponse>, RepoError>;
    /// One canned response.
    async fn canned_response(&self, id: &str) -> Result<CannedResponse, RepoError>;
    /// Inserts or replaces a canned response.
    async fn save_canned_response(&self, canned: &CannedResponse) -> Result<(), RepoError>;
    /// Deletes a canned response (`NotFound` if there is none).
    async fn delete_canned_response(&self, id: &str) -> Result<(), RepoError>;
    /// A customer's most recent refund requests, newest first.
    async fn customer_refunds(
        &self,
        customer: &CustomerId,
        limit: u32,
    ) -> Result<Vec<Refund>, RepoError>;
    /// A customer's most recent flags on transactions, newest first.
    async fn customer_flags(
        &self,
        customer: &CustomerId,
        limit: u32,
    ) -> Result<Vec<TransactionFlag>, RepoError>;
    /// The dashboard's figures: active tickets now, first responses and SLA compliance
    /// (as of `now_us`) of tickets opened since `since_us`, ratings given since then.
    async fn dashboard_stats(
        &self,
        since_us: i64,
        now_us: i64,
    ) -> Result<DashboardStats, RepoError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canned() -> CannedResponse {
        CannedResponse::parse(
            "c1".into(),
            "  Refund   on its way ",
            "refund",
            "Hi {name}, your refund is on its way. {agent}",
            "Halo {name}, dana refund sedang diproses. {agent}",
            "{name}您好，退款正在处理中。{agent}",
            7,
        )
        .unwrap()
    }

    #[test]
    fn a_canned_response_is_filled_in_the_tickets_language() {
        let c = canned();
        assert_eq!(c.title, "Refund on its way");
        assert_eq!(c.category, Some(Category::Refund));
        let fields = CannedFields {
            name: "Siti".into(),
            agent: "Agus".into(),
            number: "1042".into(),
        };
        assert_eq!(
            c.fill(Locale::Id, &fields),
            "Halo Siti, dana refund sedang diproses. Agus"
        );
        assert_eq!(
            c.fill(Locale::ZhCn, &fields),
            "Siti您好，退款正在处理中。Agus"
        );
        assert!(c.fill(Locale::En, &fields).starts_with("Hi Siti,"));
    }

    #[test]
    fn every_language_and_the_title_are_required() {
        let e = CannedResponse::parse("c".into(), " ", "nonsense", "x", "", "y", 0).unwrap_err();
        let fields: Vec<&str> = e.errors.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, vec!["title", "category", "body_id"]);
        assert!(CannedResponse::parse("c".into(), "t", "", "a", "b", "c", 0).is_ok());
    }

    #[test]
    fn averages_are_exact() {
        let s = SatisfactionStats {
            by_score: [0, 0, 1, 1, 1],
        };
        assert_eq!(s.count(), 3);
        assert_eq!(s.average_hundredths(), Some(400));
        assert_eq!(SatisfactionStats::default().average_hundredths(), None);
        let f = FirstResponseStats {
            buckets: vec![],
            answered: 2,
            unanswered: 0,
            total_us: 2 * 30 * 60_000_000,
        };
        assert_eq!(f.average_minutes(), Some(30));
    }
}
