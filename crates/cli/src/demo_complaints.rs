//! Demo merchant complaints for Siti: one waiting for the merchant (so the merchant
//! portal and the agents' queue have something to show) and one decided in her favour
//! with a partial refund. Filed through the store like the API does, with deadlines from
//! the configured tiers on her region's calendar. Seeding twice adds nothing.

use anyhow::Context;
use domain::calendar::{BusinessCalendar, CalendarRepo, CalendarSpec};
use domain::complaint::{
    ComplaintAction, ComplaintActor, ComplaintCategory, ComplaintQuery, ComplaintRepo,
    DesiredOutcome, NewComplaint, StepBy,
};
use domain::repo::WalletRepo;
use domain::ticket::Channel;
use domain::wallet::{TransactionKind, TransactionQuery, TransactionStatus};
use domain::{CustomerId, Limit, StaffId};
use server::Config;
use store::Store;

/// What the demo complaints say.
const COMPLAINTS: [(ComplaintCategory, &str, DesiredOutcome); 2] = [
    (
        ComplaintCategory::NotAsDescribed,
        "The order arrived cold and half of it was missing. The shop did not answer my chat.",
        DesiredOutcome::PartialRefund,
    ),
    (
        ComplaintCategory::ChargedTwice,
        "I was charged twice for one order; the receipt shows one purchase.",
        DesiredOutcome::FullRefund,
    ),
];

/// Seeds Siti's demo complaints unless she has some; returns how many were filed.
pub async fn seed_complaints(
    store: &Store,
    config: &Config,
    siti: &CustomerId,
    agent: &StaffId,
    now: i64,
) -> anyhow::Result<u32> {
    let limit = Limit::parse(Some(100)).map_err(|e| anyhow::anyhow!("{e}"))?;
    let existing = store
        .complaints(
            &ComplaintQuery {
                customer_id: Some(siti.clone()),
                ..ComplaintQuery::default()
            },
            None,
            limit,
        )
        .await?;
    if !existing.items.is_empty() {
        return Ok(0);
    }
    let payments = store
        .transactions(
            &TransactionQuery {
                customer_id: Some(siti.clone()),
                kinds: vec![TransactionKind::Payment],
                statuses: vec![TransactionStatus::Succeeded],
                ..TransactionQuery::default()
            },
            None,
            limit,
        )
        .await
        .context("reading Siti's payments")?;
    let calendar = match store.calendar_for(Some(siti), Channel::Web).await? {
        Some(stored) => BusinessCalendar::try_from(&stored).map_err(|e| anyhow::anyhow!("{e}"))?,
        None => BusinessCalendar::new(CalendarSpec::always_open("Asia/Jakarta"))
            .map_err(|e| anyhow::anyhow!("{e}"))?,
    };
    let at = jiff::Timestamp::from_microsecond(now)?;
    let mut filed = 0;
    // Skip the IDR 35,000 lunch the browser tests use for refunds.
    let candidates = payments
        .items
        .iter()
        .filter(|t| t.merchant_id.is_some() && t.amount.minor != 35_000_00);
    for ((category, description, outcome), payment) in COMPLAINTS.iter().zip(candidates) {
        let disputed = payment.amount;
        let Some(deadlines) = config
            .complaints
            .deadlines
            .deadlines(&calendar, at, disputed)
        else {
            continue;
        };
        let new = NewComplaint {
            payment_id: payment.id.clone(),
            category: *category,
            description: (*description).into(),
            disputed,
            desired_outcome: *outcome,
            deadlines,
            time_zone: calendar.spec().time_zone.clone(),
            actor_name: "Siti Rahayu".into(),
        };
        let c = match store.file_complaint(siti, &new, now).await {
            Ok(c) => c,
            // A payment refunded already, or a merchant without settlement: skip it.
            Err(_) => continue,
        };
        filed += 1;
        if filed == 2 {
            let by = StepBy {
                actor: ComplaintActor::Agent,
                id: agent.to_string(),
                name: "Agus Setiawan".into(),
            };
            let half = (c.disputed.minor / 2).max(1);
            store
                .act_on_complaint(
                    &c.id,
                    ComplaintAction::DecideForCustomer { refund_minor: half },
                    &by,
                    "The receipt shows one purchase; the duplicate charge is refunded.",
                    now,
                )
                .await
                .context("deciding a demo complaint")?;
        }
    }
    Ok(filed)
}
