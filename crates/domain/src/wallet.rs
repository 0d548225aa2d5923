//! What customers see of their money: wallet transactions, their failure reasons with the
//! next step to take, unusual-activity marks, and refunds under each merchant's policy.

use serde::{Deserialize, Serialize};

string_enum!(
    /// What a wallet transaction was.
    TransactionKind {
        /// Money added from a bank or card.
        TopUp => "top_up",
        /// Paid to a merchant.
        Payment => "payment",
        /// Sent to another customer.
        TransferOut => "transfer_out",
        /// Received from another customer.
        TransferIn => "transfer_in",
        /// Money returned by a merchant.
        Refund => "refund",
        /// Money taken out to a bank.
        Withdrawal => "withdrawal",
    }
);

impl TransactionKind {
    /// Whether money leaves the wallet.
    pub fn is_outgoing(self) -> bool {
        matches!(
            self,
            TransactionKind::Payment | TransactionKind::TransferOut | TransactionKind::Withdrawal
        )
    }
}

string_enum!(
    /// Where a transaction stands.
    TransactionStatus {
        /// Waiting (e.g. for the merchant's confirmation); the amount is held.
        Pending => "pending",
        /// Done.
        Succeeded => "succeeded",
        /// Did not happen; see the failure reason.
        Failed => "failed",
        /// Happened, then was reversed in full.
        Reversed => "reversed",
    }
);

string_enum!(
    /// The fixed catalogue of reasons a transaction fails.
    FailureReason {
        /// The wallet did not hold enough.
        InsufficientBalance => "insufficient_balance",
        /// The card or bank declined.
        PaymentMethodDeclined => "payment_method_declined",
        /// The bank did not answer.
        BankUnavailable => "bank_unavailable",
        /// The connection dropped before an answer.
        NetworkTimeout => "network_timeout",
        /// Stopped by fraud and risk checks.
        BlockedByRisk => "blocked_by_risk",
        /// Over a daily or per-transaction limit.
        LimitExceeded => "limit_exceeded",
        /// The merchant could not take the payment.
        MerchantUnavailable => "merchant_unavailable",
        /// Not confirmed in time.
        Expired => "expired",
        /// A chosen coupon could not be applied when paying; nothing was charged.
        CouponNotApplicable => "coupon_not_applicable",
    }
);

/// What the customer should do after a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NextStep {
    /// Add money, then try again.
    TopUp,
    /// Wait a little and try again.
    RetryLater,
    /// Use another card or bank, or ask the bank.
    UseAnotherMethod,
    /// Contact support quoting the reference.
    ContactSupport,
    /// Look at why the coupon did not apply, choose again and pay.
    ChooseCouponsAgain,
}

impl FailureReason {
    /// The next step for this reason.
    pub fn next_step(self) -> NextStep {
        match self {
            FailureReason::InsufficientBalance => NextStep::TopUp,
            FailureReason::BankUnavailable
            | FailureReason::NetworkTimeout
            | FailureReason::MerchantUnavailable
            | FailureReason::Expired => NextStep::RetryLater,
            FailureReason::PaymentMethodDeclined => NextStep::UseAnotherMethod,
            FailureReason::BlockedByRisk | FailureReason::LimitExceeded => NextStep::ContactSupport,
            FailureReason::CouponNotApplicable => NextStep::ChooseCouponsAgain,
        }
    }

    /// Message-catalogue key of the explanation (`failure-<reason>`).
    pub fn message_key(self) -> String {
        format!("failure-{}", self.as_str().replace('_', "-"))
    }
}

impl NextStep {
    /// Message-catalogue key.
    pub fn message_key(self) -> &'static str {
        match self {
            NextStep::TopUp => "next-step-top-up",
            NextStep::RetryLater => "next-step-retry-later",
            NextStep::UseAnotherMethod => "next-step-use-another-method",
            NextStep::ContactSupport => "next-step-contact-support",
            NextStep::ChooseCouponsAgain => "next-step-choose-coupons-again",
        }
    }
}

/// Which unusual-activity rule marked a transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum UnusualRule {
    /// Far above the customer's usual outgoing amounts.
    AmountOutlier {
        /// The median of earlier outgoing amounts.
        usual_minor: i64,
    },
    /// The first payment to this merchant, at a high amount.
    FirstPaymentHighAmount,
    /// Several equal outgoing amounts to the same counterparty within minutes.
    RapidRepeat {
        /// How many, this one included.
        count: u32,
    },
}

impl UnusualRule {
    /// Message-catalogue key.
    pub fn message_key(&self) -> &'static str {
        match self {
            UnusualRule::AmountOutlier { .. } => "unusual-amount-outlier",
            UnusualRule::FirstPaymentHighAmount => "unusual-first-payment-high",
            UnusualRule::RapidRepeat { .. } => "unusual-rapid-repeat",
        }
    }
}

/// An earlier outgoing transaction, as the unusual-activity rules need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriorOutgoing {
    /// Amount in minor units.
    pub amount_minor: i64,
    /// Merchant id or receiving customer id.
    pub counterparty: String,
    /// Whether it was a payment to a merchant.
    pub is_payment: bool,
    /// When (µs).
    pub at_us: i64,
}

/// Thresholds of the unusual-activity rules.
pub mod unusual {
    /// Earlier outgoing transactions needed before amounts are judged.
    pub const MIN_HISTORY: usize = 5;
    /// An amount this many times the median is an outlier.
    pub const OUTLIER_FACTOR: i64 = 5;
    /// A first payment to a merchant this many times the median is high.
    pub const FIRST_PAYMENT_FACTOR: i64 = 3;
    /// Window for rapid repeats (µs): ten minutes.
    pub const REPEAT_WINDOW_US: i64 = 10 * 60 * 1_000_000;
    /// Equal transfers within the window, this one included, that count as rapid repeats.
    pub const REPEAT_COUNT: u32 = 3;
}

/// Decides whether an outgoing transaction departs from the customer's own history.
/// Deterministic: same history and candidate, same answer. Rules are checked in order:
/// rapid repeat, outlier, first high payment.
pub fn unusual_activity(
    history: &[PriorOutgoing],
    candidate: &PriorOutgoing,
) -> Option<UnusualRule> {
    let repeats = history
        .iter()
        .filter(|p| {
            p.counterparty == candidate.counterparty
                && p.amount_minor == candidate.amount_minor
                && candidate.at_us - p.at_us >= 0
                && candidate.at_us - p.at_us <= unusual::REPEAT_WINDOW_US
        })
        .count() as u32
        + 1;
    if repeats >= unusual::REPEAT_COUNT {
        return Some(UnusualRule::RapidRepeat { count: repeats });
    }
    if history.len() < unusual::MIN_HISTORY {
        return None;
    }
    let mut amounts: Vec<i64> = history.iter().map(|p| p.amount_minor).collect();
    amounts.sort_unstable();
    let median = amounts[amounts.len() / 2].max(1);
    if candidate.amount_minor > median.saturating_mul(unusual::OUTLIER_FACTOR) {
        return Some(UnusualRule::AmountOutlier {
            usual_minor: median,
        });
    }
    let paid_before = history
        .iter()
        .any(|p| p.is_payment && p.counterparty == candidate.counterparty);
    if candidate.is_payment
        && !paid_before
        && candidate.amount_minor > median.saturating_mul(unusual::FIRST_PAYMENT_FACTOR)
    {
        return Some(UnusualRule::FirstPaymentHighAmount);
    }
    None
}

string_enum!(
    /// Why a customer wants money back.
    RefundReason {
        /// The goods or service never came.
        NotReceived => "not_received",
        /// Not what was described.
        NotAsDescribed => "not_as_described",
        /// Charged twice for one purchase.
        ChargedTwice => "charged_twice",
        /// Arrived damaged or defective.
        Damaged => "damaged",
        /// The order was cancelled.
        Cancelled => "cancelled",
        /// The customer changed their mind.
        ChangedMind => "changed_mind",
    }
);

/// A merchant's refund policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundPolicy {
    /// Days after the payment during which refunds may be requested.
    pub window_days: u32,
    /// Whether less than the full remaining amount may be refunded.
    pub partial_allowed: bool,
    /// Most refunds per payment.
    pub max_refunds_per_payment: u32,
    /// Requests strictly below this amount (minor units) are approved automatically.
    pub auto_approve_below_minor: i64,
    /// Reasons the merchant accepts.
    pub accepted_reasons: Vec<RefundReason>,
}

impl Default for RefundPolicy {
    /// A common policy: 14 days, partial refunds, up to 3 per payment, automatic under
    /// IDR 50,000, every reason but a change of mind.
    fn default() -> Self {
        Self {
            window_days: 14,
            partial_allowed: true,
            max_refunds_per_payment: 3,
            auto_approve_below_minor: 5_000_000,
            accepted_reasons: RefundReason::ALL
                .iter()
                .copied()
                .filter(|r| *r != RefundReason::ChangedMind)
                .collect(),
        }
    }
}

/// The rule that decided a refund request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum PolicyRule {
    /// Approved: below the automatic-approval amount.
    AutoApproveBelow {
        /// The limit.
        limit_minor: i64,
    },
    /// Sent to the merchant: at or above the automatic-approval amount.
    MerchantApprovalRequired {
        /// The limit.
        limit_minor: i64,
    },
    /// Rejected: requested after the window.
    OutsideWindow {
        /// The window.
        window_days: u32,
    },
    /// Rejected: the merchant does not accept this reason.
    ReasonNotAccepted,
    /// Rejected: partial refunds are not allowed and the amount is not the full remainder.
    PartialNotAllowed {
        /// What a full refund would be.
        refundable_minor: i64,
    },
    /// Rejected: the payment already had the most refunds allowed.
    TooManyRefunds {
        /// The limit.
        max: u32,
    },
    /// Rejected: more than what remains refundable (captured minus refunded and requested).
    ExceedsRefundable {
        /// What remains.
        refundable_minor: i64,
    },
    /// Rejected: only succeeded payments can be refunded.
    PaymentNotRefundable,
    /// Rejected: the amount is not positive.
    AmountNotPositive,
}

impl PolicyRule {
    /// Message-catalogue key (`refund-rule-…`).
    pub fn message_key(&self) -> &'static str {
        match self {
            PolicyRule::AutoApproveBelow { .. } => "refund-rule-auto-approve",
            PolicyRule::MerchantApprovalRequired { .. } => "refund-rule-merchant-approval",
            PolicyRule::OutsideWindow { .. } => "refund-rule-outside-window",
            PolicyRule::ReasonNotAccepted => "refund-rule-reason-not-accepted",
            PolicyRule::PartialNotAllowed { .. } => "refund-rule-partial-not-allowed",
            PolicyRule::TooManyRefunds { .. } => "refund-rule-too-many",
            PolicyRule::ExceedsRefundable { .. } => "refund-rule-exceeds-refundable",
            PolicyRule::PaymentNotRefundable => "refund-rule-payment-not-refundable",
            PolicyRule::AmountNotPositive => "refund-rule-amount-not-positive",
        }
    }
}

/// The policy's answer to a refund request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum PolicyDecision {
    /// Approve now.
    Approve(PolicyRule),
    /// Wait for the merchant.
    NeedsMerchant(PolicyRule),
    /// Reject.
    Reject(PolicyRule),
}

impl PolicyDecision {
    /// The deciding rule.
    pub fn rule(&self) -> &PolicyRule {
        match self {
            PolicyDecision::Approve(r)
            | PolicyDecision::NeedsMerchant(r)
            | PolicyDecision::Reject(r) => r,
        }
    }
}

/// A refund request as the policy sees it.
#[derive(Debug, Clone)]
pub struct RefundCase {
    /// The payment's captured amount.
    pub captured_minor: i64,
    /// Whether the payment succeeded (only those are refundable).
    pub payment_succeeded: bool,
    /// When the payment was made (µs).
    pub paid_at_us: i64,
    /// Refunded or still claimed by open requests (requested or approved, not failed or rejected).
    pub committed_minor: i64,
    /// Refund requests already counted against the limit (not rejected or failed).
    pub previous_refunds: u32,
    /// Requested amount.
    pub amount_minor: i64,
    /// Requested reason.
    pub reason: RefundReason,
    /// Now (µs).
    pub now_us: i64,
}

/// Applies a merchant's refund policy. Hard limits (amount, what remains refundable) come
/// first because no one may override them; then the merchant's own rules.
pub fn evaluate_refund(policy: &RefundPolicy, case: &RefundCase) -> PolicyDecision {
    use PolicyDecision::*;
    if case.amount_minor <= 0 {
        return Reject(PolicyRule::AmountNotPositive);
    }
    if !case.payment_succeeded {
        return Reject(PolicyRule::PaymentNotRefundable);
    }
    let refundable = (case.captured_minor - case.committed_minor).max(0);
    if case.amount_minor > refundable {
        return Reject(PolicyRule::ExceedsRefundable {
            refundable_minor: refundable,
        });
    }
    if let Some(rule) = merchant_rules_violated(policy, case, refundable) {
        return Reject(rule);
    }
    if case.amount_minor < policy.auto_approve_below_minor {
        Approve(PolicyRule::AutoApproveBelow {
            limit_minor: policy.auto_approve_below_minor,
        })
    } else {
        NeedsMerchant(PolicyRule::MerchantApprovalRequired {
            limit_minor: policy.auto_approve_below_minor,
        })
    }
}

/// The merchant's own rules (which a supervisor may override), or `None` if all pass.
pub fn merchant_rules_violated(
    policy: &RefundPolicy,
    case: &RefundCase,
    refundable: i64,
) -> Option<PolicyRule> {
    let window_us = i64::from(policy.window_days) * 86_400_000_000;
    if case.now_us - case.paid_at_us > window_us {
        return Some(PolicyRule::OutsideWindow {
            window_days: policy.window_days,
        });
    }
    if !policy.accepted_reasons.contains(&case.reason) {
        return Some(PolicyRule::ReasonNotAccepted);
    }
    if !policy.partial_allowed && case.amount_minor != refundable {
        return Some(PolicyRule::PartialNotAllowed {
            refundable_minor: refundable,
        });
    }
    if case.previous_refunds >= policy.max_refunds_per_payment {
        return Some(PolicyRule::TooManyRefunds {
            max: policy.max_refunds_per_payment,
        });
    }
    None
}

string_enum!(
    /// Where a refund request stands.
    RefundStatus {
        /// Waiting for the merchant.
        Requested => "requested",
        /// Approved; the money moves next.
        Approved => "approved",
        /// Rejected, with the rule or the merchant's reason.
        Rejected => "rejected",
        /// Money returned to the wallet.
        Succeeded => "succeeded",
        /// The refund transfer failed.
        Failed => "failed",
    }
);

string_enum!(
    /// Why a customer flags a transaction.
    FlagReason {
        /// The customer does not recognise it.
        NotRecognised => "not_recognised",
        /// Recognised but improper (wrong amount, charged without consent, ...).
        Improper => "improper",
    }
);

string_enum!(
    /// Where a flag stands.
    FlagStatus {
        /// Raised by the customer, not yet looked at.
        Open => "open",
        /// An agent is looking into it.
        InReview => "in_review",
        /// Closed by an agent.
        Resolved => "resolved",
    }
);

/// A transaction as the customer sees it in their history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WalletTransaction {
    /// Id.
    pub id: String,
    /// Human reference to quote to support (`TX-20261125-7KQ2M9`).
    pub reference: String,
    /// Whose wallet.
    pub customer_id: crate::CustomerId,
    /// What it was.
    pub kind: TransactionKind,
    /// Where it stands.
    pub status: TransactionStatus,
    /// Amount (always positive; direction follows from the kind).
    pub amount: crate::Money,
    /// The merchant of a payment or refund.
    pub merchant_id: Option<crate::MerchantId>,
    /// The merchant's name, for display and search.
    pub merchant_name: Option<String>,
    /// The other customer of a transfer.
    pub counterparty_customer_id: Option<crate::CustomerId>,
    /// Why it failed.
    pub failure_reason: Option<FailureReason>,
    /// Description shown in the history.
    pub description: String,
    /// For refunds: the payment; for transfers: the other side.
    pub original_id: Option<String>,
    /// The ledger hold of a pending payment.
    pub hold_transfer_id: Option<String>,
    /// Unusual-activity mark, if a rule fired.
    pub unusual: Option<UnusualRule>,
    /// Created (µs).
    pub created_at_us: i64,
    /// Last status change (µs).
    pub updated_at_us: i64,
}

/// Filters of the transaction history. Empty vectors mean "any".
#[derive(Debug, Clone, Default)]
pub struct TransactionQuery {
    /// Only this customer's (always set for customers).
    pub customer_id: Option<crate::CustomerId>,
    /// Only payments and refunds of this merchant (always set for merchant staff).
    pub merchant_id: Option<crate::MerchantId>,
    /// Created at or after (µs).
    pub from_us: Option<i64>,
    /// Created before (µs).
    pub to_us: Option<i64>,
    /// Amount at least (minor units).
    pub min_minor: Option<i64>,
    /// Amount at most (minor units).
    pub max_minor: Option<i64>,
    /// Any of these kinds.
    pub kinds: Vec<TransactionKind>,
    /// Any of these statuses.
    pub statuses: Vec<TransactionStatus>,
    /// Text in the description, merchant name or reference.
    pub text: Option<String>,
}

/// A money movement requested by the wallet (the app's backend, the simulator).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WalletOperation {
    /// Money in from a bank or card.
    TopUp {
        /// Whose wallet.
        customer: crate::CustomerId,
        /// How much.
        amount: crate::Money,
    },
    /// Pay a merchant; with `hold_minutes` the amount is held until the merchant confirms.
    Payment {
        /// Who pays.
        customer: crate::CustomerId,
        /// To whom.
        merchant: crate::MerchantId,
        /// How much.
        amount: crate::Money,
        /// Hold instead of paying at once, for this long.
        hold_minutes: Option<u32>,
        /// What for.
        description: String,
    },
    /// Send money to another customer.
    Transfer {
        /// Sender.
        from: crate::CustomerId,
        /// Receiver.
        to: crate::CustomerId,
        /// How much.
        amount: crate::Money,
        /// Message.
        description: String,
    },
    /// Money out to a bank.
    Withdrawal {
        /// Whose wallet.
        customer: crate::CustomerId,
        /// How much.
        amount: crate::Money,
    },
}

impl WalletOperation {
    /// The customer whose wallet the operation starts from.
    pub fn customer(&self) -> &crate::CustomerId {
        match self {
            WalletOperation::TopUp { customer, .. }
            | WalletOperation::Payment { customer, .. }
            | WalletOperation::Withdrawal { customer, .. } => customer,
            WalletOperation::Transfer { from, .. } => from,
        }
    }

    /// The amount.
    pub fn amount(&self) -> crate::Money {
        match self {
            WalletOperation::TopUp { amount, .. }
            | WalletOperation::Payment { amount, .. }
            | WalletOperation::Transfer { amount, .. }
            | WalletOperation::Withdrawal { amount, .. } => *amount,
        }
    }
}

/// A private note a customer keeps on a transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TransactionNote {
    /// Id.
    pub id: String,
    /// The transaction.
    pub transaction_id: String,
    /// Author (the transaction's customer).
    pub customer_id: crate::CustomerId,
    /// Text (1–2,000 characters).
    pub body: String,
    /// Created (µs).
    pub created_at_us: i64,
    /// Last edited (µs).
    pub updated_at_us: i64,
}

/// A customer's flag on a transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TransactionFlag {
    /// Id.
    pub id: String,
    /// The transaction.
    pub transaction_id: String,
    /// Who raised it.
    pub customer_id: crate::CustomerId,
    /// Not recognised or improper.
    pub reason: FlagReason,
    /// The customer's words.
    pub comment: String,
    /// Where it stands.
    pub status: FlagStatus,
    /// Raised (µs).
    pub created_at_us: i64,
}

/// A refund request and its outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Refund {
    /// Id.
    pub id: String,
    /// The payment refunded.
    pub payment_id: String,
    /// Whose payment.
    pub customer_id: crate::CustomerId,
    /// Which merchant.
    pub merchant_id: crate::MerchantId,
    /// How much.
    pub amount: crate::Money,
    /// Why.
    pub reason: RefundReason,
    /// Where it stands.
    pub status: RefundStatus,
    /// The policy rule that decided, or the override.
    pub rule: serde_json::Value,
    /// Who decided (staff id), when a person did.
    pub decided_by: Option<String>,
    /// The merchant's or supervisor's words.
    pub decision_note: String,
    /// The refund transaction once money moved.
    pub refund_transaction_id: Option<String>,
    /// Requested (µs).
    pub created_at_us: i64,
    /// Last change (µs).
    pub updated_at_us: i64,
}

/// Who decides a refund, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundDecision {
    /// Approve; with `override_policy` (supervisors only) even against the merchant's rules.
    Approve {
        /// Deciding staff id.
        by: String,
        /// Words recorded with the decision.
        note: String,
        /// Overrule the merchant's own rules (never the refundable amount).
        override_policy: bool,
    },
    /// Reject with a reason.
    Reject {
        /// Deciding staff id.
        by: String,
        /// The reason given to the customer.
        note: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prior(amount: i64, cp: &str, at_min: i64) -> PriorOutgoing {
        PriorOutgoing {
            amount_minor: amount,
            counterparty: cp.into(),
            is_payment: true,
            at_us: at_min * 60_000_000,
        }
    }

    #[test]
    fn every_failure_reason_has_a_next_step_and_message() {
        for r in FailureReason::ALL {
            assert!(r.message_key().starts_with("failure-"));
            let _ = r.next_step();
        }
        assert_eq!(
            FailureReason::InsufficientBalance.next_step(),
            NextStep::TopUp
        );
        assert_eq!(
            FailureReason::BlockedByRisk.next_step(),
            NextStep::ContactSupport
        );
    }

    #[test]
    fn unusual_rules_fire_on_the_customers_own_history() {
        let history: Vec<_> = (0..6)
            .map(|i| prior(50_000_00, &format!("m{}", i % 2), i * 1000))
            .collect();
        // Normal amount at a known merchant: fine.
        assert_eq!(
            unusual_activity(&history, &prior(60_000_00, "m0", 10_000)),
            None
        );
        // Ten times the usual amount.
        assert_eq!(
            unusual_activity(&history, &prior(500_000_00, "m0", 10_000)),
            Some(UnusualRule::AmountOutlier {
                usual_minor: 50_000_00
            })
        );
        // Four times the usual at a merchant never paid before.
        assert_eq!(
            unusual_activity(&history, &prior(200_000_00, "new", 10_000)),
            Some(UnusualRule::FirstPaymentHighAmount)
        );
        // ...but not at a merchant paid before.
        assert_eq!(
            unusual_activity(&history, &prior(200_000_00, "m1", 10_000)),
            None
        );
        // Too little history: amounts are not judged.
        assert_eq!(
            unusual_activity(&history[..2], &prior(500_000_00, "m0", 10_000)),
            None
        );
        // Three equal payments within ten minutes.
        let quick = vec![prior(10_000_00, "m9", 0), prior(10_000_00, "m9", 4)];
        assert_eq!(
            unusual_activity(&quick, &prior(10_000_00, "m9", 9)),
            Some(UnusualRule::RapidRepeat { count: 3 })
        );
        assert_eq!(
            unusual_activity(&quick, &prior(10_000_00, "m9", 11)),
            None,
            "outside the window"
        );
    }

    fn case(amount: i64) -> RefundCase {
        RefundCase {
            captured_minor: 100_000_00,
            payment_succeeded: true,
            paid_at_us: 0,
            committed_minor: 0,
            previous_refunds: 0,
            amount_minor: amount,
            reason: RefundReason::NotReceived,
            now_us: 86_400_000_000,
        }
    }

    #[test]
    fn the_policy_says_which_rule_decided() {
        let p = RefundPolicy::default();
        assert_eq!(
            evaluate_refund(&p, &case(10_000_00)),
            PolicyDecision::Approve(PolicyRule::AutoApproveBelow {
                limit_minor: 5_000_000
            })
        );
        assert!(matches!(
            evaluate_refund(&p, &case(80_000_00)),
            PolicyDecision::NeedsMerchant(_)
        ));
        assert_eq!(
            evaluate_refund(
                &p,
                &RefundCase {
                    committed_minor: 95_000_00,
                    ..case(10_000_00)
                }
            ),
            PolicyDecision::Reject(PolicyRule::ExceedsRefundable {
                refundable_minor: 5_000_00
            })
        );
        assert_eq!(
            evaluate_refund(
                &p,
                &RefundCase {
                    now_us: 15 * 86_400_000_000 + 1,
                    ..case(10_000_00)
                }
            ),
            PolicyDecision::Reject(PolicyRule::OutsideWindow { window_days: 14 })
        );
        assert_eq!(
            evaluate_refund(
                &p,
                &RefundCase {
                    reason: RefundReason::ChangedMind,
                    ..case(10_000_00)
                }
            ),
            PolicyDecision::Reject(PolicyRule::ReasonNotAccepted)
        );
        let strict = RefundPolicy {
            partial_allowed: false,
            ..p.clone()
        };
        assert!(matches!(
            evaluate_refund(&strict, &case(10_000_00)),
            PolicyDecision::Reject(PolicyRule::PartialNotAllowed { .. })
        ));
        assert!(matches!(
            evaluate_refund(&strict, &case(100_000_00)),
            PolicyDecision::NeedsMerchant(_)
        ));
        assert_eq!(
            evaluate_refund(
                &p,
                &RefundCase {
                    previous_refunds: 3,
                    ..case(10_000_00)
                }
            ),
            PolicyDecision::Reject(PolicyRule::TooManyRefunds { max: 3 })
        );
        assert_eq!(
            evaluate_refund(&p, &case(0)),
            PolicyDecision::Reject(PolicyRule::AmountNotPositive)
        );
    }
}
