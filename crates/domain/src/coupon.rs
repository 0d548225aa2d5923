//! Coupons: campaigns and their rules, the coupons customers hold, and the evaluation that
//! says for every coupon whether it applies to a payment — with its discount, or with
//! every reason it does not. No IO: storage gathers an [`EvaluationInput`] (the payment
//! and the state of each coupon at that moment) and [`evaluate`] answers from it alone, so
//! the input stored with a payment replays to exactly the same answer later.
//!
//! Stacking: each campaign is funded by the platform or by one merchant. A merchant
//! coupon may combine with a platform coupon; two coupons of the same funder class (two
//! platform coupons, two merchant coupons) may not; an exclusive coupon combines with
//! nothing.
//!
//! Refunds ([`REFUND_RULE`]): a payment refunded in full gives its coupon uses (and the
//! campaign budget they took) back; a partial refund keeps them used.

use crate::ids::{CustomerId, MerchantId};
use crate::money::{Currency, Money};
use crate::repo::RepoError;
use crate::validation::ValidationError;
use crate::wallet::WalletTransaction;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// The documented refund rule, in words (the customer-facing text says the same).
pub const REFUND_RULE: &str = "A payment refunded in full gives back every coupon use it took \
    (and the campaign budget); a partial refund keeps the coupon used.";

/// How close to its end a coupon counts as "expiring soon" (3 days, µs).
pub const EXPIRING_SOON_US: i64 = 3 * 86_400_000_000;

string_enum!(
    /// How a payment is made; campaigns may be limited to some.
    PaymentType {
        /// Scanning a merchant's QR code in a shop.
        Qr => "qr",
        /// Paying in a merchant's app or website.
        Online => "online",
        /// Paying a bill (electricity, phone credit).
        Bill => "bill",
    }
);

string_enum!(
    /// Where a campaign stands. Ended is final.
    CampaignStatus {
        /// Coupons may be used.
        Active => "active",
        /// Temporarily stopped by an admin.
        Paused => "paused",
        /// Stopped for good.
        Ended => "ended",
    }
);

string_enum!(
    /// How a customer got a coupon.
    CouponSource {
        /// Given to the customer by the operator.
        Issued => "issued",
        /// Claimed by the customer with the campaign's code.
        Claimed => "claimed",
    }
);

/// The discount of a campaign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Discount {
    /// A fixed amount off.
    Fixed {
        /// Minor units.
        amount_minor: i64,
    },
    /// A percentage off, in basis points (1,000 = 10 %), at most `cap_minor`.
    Percent {
        /// 1–10,000.
        basis_points: u32,
        /// The most it takes off, minor units.
        cap_minor: Option<i64>,
    },
}

impl Discount {
    /// The discount on `amount_minor`: never negative, never above the amount or the cap.
    /// Percentages round down (the customer never gets a fraction of a minor unit).
    pub fn of(&self, amount_minor: i64) -> i64 {
        let amount = amount_minor.max(0);
        let raw = match *self {
            Discount::Fixed { amount_minor } => amount_minor,
            Discount::Percent {
                basis_points,
                cap_minor,
            } => {
                let p = i128::from(amount) * i128::from(basis_points.min(10_000)) / 10_000;
                let p = i64::try_from(p).unwrap_or(i64::MAX);
                cap_minor.map_or(p, |c| p.min(c))
            }
        };
        raw.clamp(0, amount)
    }
}

/// Who pays for a campaign's discounts; decides its stacking class.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "merchant_id", rename_all = "snake_case")]
pub enum Funder {
    /// The operator, from the coupon funding account.
    Platform,
    /// A merchant, by receiving less.
    Merchant(MerchantId),
}

impl Funder {
    /// `platform` or `merchant`.
    pub fn class(&self) -> &'static str {
        match self {
            Funder::Platform => "platform",
            Funder::Merchant(_) => "merchant",
        }
    }
}

/// A merchant a campaign is limited to, with its name for the reasons' wording.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeMerchant {
    /// The merchant.
    pub id: MerchantId,
    /// Its name.
    pub name: String,
}

/// A campaign: the rules every coupon of it follows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Campaign {
    /// Id.
    pub id: String,
    /// Name shown to customers (`Lunch 20% off`).
    pub name: String,
    /// Who pays the discount.
    pub funder: Funder,
    /// How much it takes off.
    pub discount: Discount,
    /// Currency of payments it applies to.
    pub currency: Currency,
    /// Smallest payment it applies to, minor units.
    pub min_spend_minor: i64,
    /// Valid from (µs, inclusive).
    pub valid_from_us: i64,
    /// Valid until (µs, exclusive).
    pub valid_until_us: i64,
    /// The time zone its dates are set and shown in (`Asia/Jakarta`).
    pub time_zone: String,
    /// Only at these merchants (empty: any).
    pub merchants: Vec<ScopeMerchant>,
    /// Only at merchants of these categories (empty: any).
    pub categories: Vec<String>,
    /// Only for these payment types (empty: any).
    pub payment_types: Vec<PaymentType>,
    /// Uses per customer.
    pub per_customer_limit: u32,
    /// Uses overall (None: unlimited).
    pub total_limit: Option<u32>,
    /// Only for customers without an earlier successful payment.
    pub new_customers_only: bool,
    /// Most discount paid out overall, minor units (None: unlimited).
    pub budget_minor: Option<i64>,
    /// Combines with no other coupon.
    pub exclusive: bool,
    /// The code customers claim it with (None: issued only).
    pub code: Option<String>,
    /// Active, paused or ended.
    pub status: CampaignStatus,
    /// Created (µs).
    pub created_at_us: i64,
}

fn field(f: &str, code: &'static str, msg: &str) -> Option<ValidationError> {
    Some(ValidationError::field(f, code, msg))
}

/// Normalises a typed code: trimmed, upper case.
pub fn normalize_code(raw: &str) -> String {
    raw.trim().to_uppercase()
}

impl Campaign {
    /// Checks the rules an admin gives a new campaign; every failing field at once.
    pub fn validate(&self) -> Result<(), ValidationError> {
        let name_len = self.name.trim().chars().count();
        let discount = match self.discount {
            Discount::Fixed { amount_minor } if amount_minor <= 0 => field(
                "discount",
                "out_of_range",
                "a fixed discount must be positive",
            ),
            Discount::Percent { basis_points, .. } if !(1..=10_000).contains(&basis_points) => {
                field(
                    "discount",
                    "out_of_range",
                    "a percentage must be between 0.01 and 100",
                )
            }
            Discount::Percent {
                cap_minor: Some(c), ..
            } if c <= 0 => field("discount", "out_of_range", "the cap must be positive"),
            _ => None,
        };
        let code_ok = self.code.as_deref().is_none_or(|c| {
            (4..=32).contains(&c.len())
                && c.bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-')
        });
        ValidationError::collect([
            (name_len == 0 || name_len > 100).then(|| {
                ValidationError::field("name", "invalid_length", "a name of 1 to 100 characters")
            }),
            discount,
            (self.min_spend_minor < 0)
                .then(|| ValidationError::field("min_spend_minor", "out_of_range", "not negative"))
                .or(None),
            (self.valid_from_us >= self.valid_until_us).then(|| {
                ValidationError::field("valid_until", "out_of_range", "must end after it starts")
            }),
            jiff::tz::TimeZone::get(&self.time_zone)
                .is_err()
                .then(|| ValidationError::field("time_zone", "invalid_value", "unknown time zone")),
            (self.per_customer_limit == 0).then(|| {
                ValidationError::field("per_customer_limit", "out_of_range", "at least 1")
            }),
            (self.total_limit == Some(0))
                .then(|| ValidationError::field("total_limit", "out_of_range", "at least 1")),
            self.budget_minor
                .filter(|b| *b <= 0)
                .map(|_| ValidationError::field("budget_minor", "out_of_range", "positive")),
            (!code_ok).then(|| {
                ValidationError::field(
                    "code",
                    "invalid_format",
                    "4 to 32 capital letters, digits or dashes",
                )
            }),
        ])
    }

    /// Whether the campaign is of the same stacking class as another, or either is
    /// exclusive: then the two may not be used together.
    pub fn conflicts_with(&self, other: &Campaign) -> bool {
        self.exclusive || other.exclusive || self.funder.class() == other.funder.class()
    }
}

/// A calendar date in a campaign's time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalDate {
    /// Year.
    pub year: i16,
    /// Month 1–12.
    pub month: i8,
    /// Day of the month.
    pub day: i8,
}

impl LocalDate {
    /// The date of an instant in a time zone (UTC if the zone is unknown).
    pub fn of(us: i64, time_zone: &str) -> LocalDate {
        let ts = jiff::Timestamp::from_microsecond(us).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
        let tz = jiff::tz::TimeZone::get(time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
        let d = ts.to_zoned_datetime(tz).date();
        LocalDate {
            year: d.year(),
            month: d.month(),
            day: d.day(),
        }
    }
}

/// A coupon in a customer's wallet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coupon {
    /// Id.
    pub id: String,
    /// Its campaign.
    pub campaign_id: String,
    /// Who holds it.
    pub customer_id: CustomerId,
    /// Issued or claimed.
    pub source: CouponSource,
    /// Since (µs).
    pub created_at_us: i64,
}

/// One coupon as the evaluation sees it: its rules and how much of it is used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CouponInput {
    /// The coupon's id, or `code:<CODE>` for a typed code the customer does not hold.
    pub key: String,
    /// Who holds it (None: a typed code).
    pub owner: Option<CustomerId>,
    /// The campaign; None when a typed code matches none.
    pub campaign: Option<Campaign>,
    /// Uses of the campaign overall, reserved or done.
    pub campaign_uses: u32,
    /// Discount the campaign has paid or reserved, minor units.
    pub campaign_spent_minor: i64,
    /// Uses of the campaign by this customer, reserved or done.
    pub customer_uses: u32,
    /// Chosen by the customer for this payment.
    pub chosen: bool,
}

/// The payment a coupon is judged against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentContext {
    /// Who pays.
    pub customer: CustomerId,
    /// No earlier successful payment.
    pub customer_is_new: bool,
    /// To whom.
    pub merchant: MerchantId,
    /// The merchant's category.
    pub merchant_category: String,
    /// How.
    pub payment_type: PaymentType,
    /// How much, before discounts.
    pub amount: Money,
    /// When (µs).
    pub at_us: i64,
}

/// Everything an evaluation depends on; stored with each payment to replay it exactly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvaluationInput {
    /// The payment.
    pub context: PaymentContext,
    /// The customer's coupons (and any typed code), in the order shown.
    pub coupons: Vec<CouponInput>,
}

/// Why a coupon does not apply, with what the customer needs to know.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Reason {
    /// The typed code matches no campaign (agents only).
    UnknownCode {
        /// The code.
        code: String,
    },
    /// The coupon belongs to someone else, or the code is not held (agents only).
    NotHeld,
    /// The code cannot be used: what customers see instead of any reason that would tell
    /// whether an unknown code exists.
    CodeNotValid,
    /// The campaign is paused.
    Paused,
    /// The campaign has ended.
    Ended,
    /// Not valid yet.
    NotYetValid {
        /// First valid day.
        from: LocalDate,
    },
    /// No longer valid.
    Expired {
        /// Last valid day.
        until: LocalDate,
    },
    /// The payment is in another currency.
    WrongCurrency {
        /// The campaign's currency.
        currency: Currency,
    },
    /// The payment is below the minimum spend.
    MinimumSpend {
        /// The minimum.
        minimum: Money,
        /// How much more to spend.
        short_by: Money,
    },
    /// Only at some merchants.
    MerchantNotIncluded {
        /// Their names.
        merchants: Vec<String>,
    },
    /// Only at merchants of some categories.
    CategoryNotIncluded {
        /// The categories.
        categories: Vec<String>,
    },
    /// Only for some payment types.
    PaymentTypeNotIncluded {
        /// The types.
        types: Vec<PaymentType>,
    },
    /// Only for new customers.
    NewCustomersOnly,
    /// The customer used it as often as allowed.
    CustomerLimitReached {
        /// Uses so far.
        used: u32,
        /// Allowed uses.
        limit: u32,
    },
    /// Everyone together used it as often as allowed.
    CampaignLimitReached {
        /// Allowed uses.
        limit: u32,
    },
    /// The campaign's budget is spent.
    BudgetSpent,
    /// Cannot be used together with another chosen coupon.
    CannotCombine {
        /// The other coupon's campaign name.
        with: String,
        /// The other coupon's key.
        with_key: String,
        /// Whether one of the two is exclusive (else: same funder class).
        exclusive: bool,
    },
}

impl Reason {
    /// Message-catalogue key (`coupon-reason-…`).
    pub fn message_key(&self) -> &'static str {
        match self {
            Reason::UnknownCode { .. } => "coupon-reason-unknown-code",
            Reason::NotHeld => "coupon-reason-not-held",
            Reason::CodeNotValid => "coupon-reason-code-not-valid",
            Reason::Paused => "coupon-reason-paused",
            Reason::Ended => "coupon-reason-ended",
            Reason::NotYetValid { .. } => "coupon-reason-not-yet-valid",
            Reason::Expired { .. } => "coupon-reason-expired",
            Reason::WrongCurrency { .. } => "coupon-reason-wrong-currency",
            Reason::MinimumSpend { .. } => "coupon-reason-minimum-spend",
            Reason::MerchantNotIncluded { .. } => "coupon-reason-merchant",
            Reason::CategoryNotIncluded { .. } => "coupon-reason-category",
            Reason::PaymentTypeNotIncluded { .. } => "coupon-reason-payment-type",
            Reason::NewCustomersOnly => "coupon-reason-new-customers",
            Reason::CustomerLimitReached { .. } => "coupon-reason-customer-limit",
            Reason::CampaignLimitReached { .. } => "coupon-reason-campaign-limit",
            Reason::BudgetSpent => "coupon-reason-budget",
            Reason::CannotCombine {
                exclusive: true, ..
            } => "coupon-reason-exclusive",
            Reason::CannotCombine { .. } => "coupon-reason-combine",
        }
    }
}

/// A coupon's verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// It applies and takes this much off.
    Applicable {
        /// The discount.
        discount: Money,
    },
    /// It does not apply, for all these reasons.
    NotApplicable {
        /// Every failing rule.
        reasons: Vec<Reason>,
    },
}

impl Outcome {
    /// Whether it applies.
    pub fn is_applicable(&self) -> bool {
        matches!(self, Outcome::Applicable { .. })
    }
    /// The discount, 0 when it does not apply.
    pub fn discount_minor(&self) -> i64 {
        match self {
            Outcome::Applicable { discount } => discount.minor,
            Outcome::NotApplicable { .. } => 0,
        }
    }
}

/// One coupon's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CouponResult {
    /// The coupon's key.
    pub key: String,
    /// Its campaign, if any.
    pub campaign_id: Option<String>,
    /// Its campaign's name, if any.
    pub name: Option<String>,
    /// Held by the paying customer.
    pub held: bool,
    /// Chosen for the payment. Chosen coupons are judged together (stacking); the others
    /// each on their own, as if chosen alone.
    pub chosen: bool,
    /// The verdict.
    pub outcome: Outcome,
}

/// The whole answer for a payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evaluation {
    /// Each coupon, in input order.
    pub results: Vec<CouponResult>,
    /// Discount of the chosen coupons that apply.
    pub discount: Money,
    /// Of which the platform pays.
    pub platform_discount: Money,
    /// Of which the merchant gives up.
    pub merchant_discount: Money,
    /// What the customer pays.
    pub payable: Money,
    /// The best combination of the coupons that apply (keys).
    pub best: Vec<String>,
    /// Its discount.
    pub best_discount: Money,
}

impl Evaluation {
    /// What a customer may see: a coupon the customer does not hold (a typed code) that
    /// does not apply shows only [`Reason::CodeNotValid`], so an unknown code and a known
    /// code that fails look the same.
    pub fn for_customer(&self) -> Evaluation {
        let mut e = self.clone();
        for r in &mut e.results {
            if !r.held && !r.outcome.is_applicable() {
                r.outcome = Outcome::NotApplicable {
                    reasons: vec![Reason::CodeNotValid],
                };
                r.name = None;
                r.campaign_id = None;
            }
        }
        e
    }

    /// The chosen coupons that apply, with their discounts.
    pub fn applied(&self) -> impl Iterator<Item = (&CouponResult, i64)> {
        self.results
            .iter()
            .filter(|r| r.chosen && r.outcome.is_applicable())
            .map(|r| (r, r.outcome.discount_minor()))
    }
}

/// Every rule of the coupon checked on its own, in a fixed order. `Ok(discount)` or all
/// failing reasons.
fn check_alone(ctx: &PaymentContext, c: &CouponInput) -> Result<i64, Vec<Reason>> {
    let Some(campaign) = &c.campaign else {
        let code = c.key.strip_prefix("code:").unwrap_or(&c.key).to_owned();
        return Err(vec![Reason::UnknownCode { code }]);
    };
    let mut reasons = Vec::new();
    if c.owner.as_ref() != Some(&ctx.customer) {
        reasons.push(Reason::NotHeld);
    }
    match campaign.status {
        CampaignStatus::Active => {}
        CampaignStatus::Paused => reasons.push(Reason::Paused),
        CampaignStatus::Ended => reasons.push(Reason::Ended),
    }
    if ctx.at_us < campaign.valid_from_us {
        reasons.push(Reason::NotYetValid {
            from: LocalDate::of(campaign.valid_from_us, &campaign.time_zone),
        });
    }
    if ctx.at_us >= campaign.valid_until_us {
        reasons.push(Reason::Expired {
            until: LocalDate::of(campaign.valid_until_us - 1, &campaign.time_zone),
        });
    }
    let currency = campaign.currency;
    if ctx.amount.currency != currency {
        reasons.push(Reason::WrongCurrency { currency });
    } else if ctx.amount.minor < campaign.min_spend_minor {
        reasons.push(Reason::MinimumSpend {
            minimum: Money::new(campaign.min_spend_minor, currency),
            short_by: Money::new(campaign.min_spend_minor - ctx.amount.minor, currency),
        });
    }
    if !campaign.merchants.is_empty() && !campaign.merchants.iter().any(|m| m.id == ctx.merchant) {
        reasons.push(Reason::MerchantNotIncluded {
            merchants: campaign.merchants.iter().map(|m| m.name.clone()).collect(),
        });
    }
    // A merchant's own campaign is only ever for that merchant.
    if let Funder::Merchant(m) = &campaign.funder
        && *m != ctx.merchant
        && campaign.merchants.is_empty()
    {
        reasons.push(Reason::MerchantNotIncluded {
            merchants: Vec::new(),
        });
    }
    if !campaign.categories.is_empty() && !campaign.categories.contains(&ctx.merchant_category) {
        reasons.push(Reason::CategoryNotIncluded {
            categories: campaign.categories.clone(),
        });
    }
    if !campaign.payment_types.is_empty() && !campaign.payment_types.contains(&ctx.payment_type) {
        reasons.push(Reason::PaymentTypeNotIncluded {
            types: campaign.payment_types.clone(),
        });
    }
    if campaign.new_customers_only && !ctx.customer_is_new {
        reasons.push(Reason::NewCustomersOnly);
    }
    if c.customer_uses >= campaign.per_customer_limit {
        reasons.push(Reason::CustomerLimitReached {
            used: c.customer_uses,
            limit: campaign.per_customer_limit,
        });
    }
    if let Some(limit) = campaign.total_limit
        && c.campaign_uses >= limit
    {
        reasons.push(Reason::CampaignLimitReached { limit });
    }
    let mut discount = campaign.discount.of(ctx.amount.minor);
    if let Some(budget) = campaign.budget_minor {
        // The last of a budget pays a smaller discount rather than none.
        let left = (budget - c.campaign_spent_minor).max(0);
        if left == 0 {
            reasons.push(Reason::BudgetSpent);
        }
        discount = discount.min(left);
    }
    if reasons.is_empty() {
        Ok(discount)
    } else {
        Err(reasons)
    }
}

/// Discounts of coupons used together: each is taken off what is still left to pay, in
/// order, so together they never exceed the amount.
fn combined(amount: i64, discounts: impl IntoIterator<Item = i64>) -> Vec<i64> {
    let mut left = amount.max(0);
    discounts
        .into_iter()
        .map(|d| {
            let d = d.clamp(0, left);
            left -= d;
            d
        })
        .collect()
}

/// Judges every coupon of the input against the payment. Chosen coupons are judged in
/// order: one that passes every rule and does not conflict with an earlier applied coupon
/// applies; a conflict is one more reason. Coupons not chosen are judged alone. The best
/// combination is searched among all coupons that apply alone.
pub fn evaluate(input: &EvaluationInput) -> Evaluation {
    let ctx = &input.context;
    let currency = ctx.amount.currency;
    let alone: Vec<Result<i64, Vec<Reason>>> =
        input.coupons.iter().map(|c| check_alone(ctx, c)).collect();
    // Chosen coupons that apply: (index, discount before combining).
    let mut kept: Vec<(usize, i64)> = Vec::new();
    let mut outcomes: Vec<Outcome> = Vec::with_capacity(input.coupons.len());
    let mut seen = std::collections::HashSet::new();
    for (i, c) in input.coupons.iter().enumerate() {
        let mut verdict = alone[i].clone();
        if c.chosen && seen.insert(c.key.clone()) {
            if let Some(campaign) = &c.campaign {
                let conflicts: Vec<Reason> = kept
                    .iter()
                    .filter_map(|(k, _)| {
                        let other = input.coupons[*k].campaign.as_ref()?;
                        campaign
                            .conflicts_with(other)
                            .then(|| Reason::CannotCombine {
                                with: other.name.clone(),
                                with_key: input.coupons[*k].key.clone(),
                                exclusive: campaign.exclusive || other.exclusive,
                            })
                    })
                    .collect();
                if !conflicts.is_empty() {
                    verdict = match verdict {
                        Ok(_) => Err(conflicts),
                        Err(mut r) => {
                            r.extend(conflicts);
                            Err(r)
                        }
                    };
                }
            }
            if let Ok(d) = verdict {
                kept.push((i, d));
            }
        }
        outcomes.push(match verdict {
            Ok(d) => Outcome::Applicable {
                discount: Money::new(d, currency),
            },
            Err(reasons) => Outcome::NotApplicable { reasons },
        });
    }
    let final_discounts = combined(ctx.amount.minor, kept.iter().map(|(_, d)| *d));
    let (mut platform, mut merchant) = (0i64, 0i64);
    for ((i, _), d) in kept.iter().zip(&final_discounts) {
        outcomes[*i] = Outcome::Applicable {
            discount: Money::new(*d, currency),
        };
        match input.coupons[*i].campaign.as_ref().map(|c| &c.funder) {
            Some(Funder::Merchant(_)) => merchant += d,
            _ => platform += d,
        }
    }
    let total = platform + merchant;
    let (best, best_discount) = best_combination(input, &alone);
    Evaluation {
        results: input
            .coupons
            .iter()
            .zip(outcomes)
            .enumerate()
            .map(|(i, (c, outcome))| CouponResult {
                key: c.key.clone(),
                campaign_id: c.campaign.as_ref().map(|x| x.id.clone()),
                name: c.campaign.as_ref().map(|x| x.name.clone()),
                held: c.owner.as_ref() == Some(&ctx.customer),
                chosen: c.chosen && seen.contains(&c.key) && chosen_first(input, i),
                outcome,
            })
            .collect(),
        discount: Money::new(total, currency),
        platform_discount: Money::new(platform, currency),
        merchant_discount: Money::new(merchant, currency),
        payable: Money::new(ctx.amount.minor - total, currency),
        best,
        best_discount: Money::new(best_discount, currency),
    }
}

/// Whether coupon `i` is the first chosen occurrence of its key.
fn chosen_first(input: &EvaluationInput, i: usize) -> bool {
    let key = &input.coupons[i].key;
    input.coupons[..i]
        .iter()
        .all(|c| !(c.chosen && &c.key == key))
}

/// The combination of coupons that apply alone with the largest total discount: one
/// exclusive coupon alone, or at most one platform and one merchant coupon. Ties go to
/// fewer coupons, then to the earlier ones.
fn best_combination(
    input: &EvaluationInput,
    alone: &[Result<i64, Vec<Reason>>],
) -> (Vec<String>, i64) {
    let amount = input.context.amount.minor;
    let mut seen = std::collections::HashSet::new();
    let ok: Vec<(usize, i64)> = alone
        .iter()
        .enumerate()
        .filter_map(|(i, r)| r.as_ref().ok().map(|d| (i, *d)))
        .filter(|(i, _)| seen.insert(input.coupons[*i].key.clone()))
        .collect();
    let campaign = |i: usize| input.coupons[i].campaign.as_ref();
    let mut best: (Vec<usize>, i64) = (Vec::new(), 0);
    let mut consider = |set: Vec<(usize, i64)>| {
        let total: i64 = combined(amount, set.iter().map(|(_, d)| *d)).iter().sum();
        if total > best.1 || (total == best.1 && !set.is_empty() && set.len() < best.0.len()) {
            best = (set.iter().map(|(i, _)| *i).collect(), total);
        }
    };
    for &(i, d) in &ok {
        consider(vec![(i, d)]);
    }
    for (a, &(i, di)) in ok.iter().enumerate() {
        for &(j, dj) in &ok[a + 1..] {
            if let (Some(x), Some(y)) = (campaign(i), campaign(j))
                && !x.conflicts_with(y)
            {
                consider(vec![(i, di), (j, dj)]);
            }
        }
    }
    (
        best.0
            .iter()
            .map(|i| input.coupons[*i].key.clone())
            .collect(),
        best.1,
    )
}

/// Where a held coupon sits in the customer's wallet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WalletBucket {
    /// Can be used.
    Available,
    /// Can be used, but ends within [`EXPIRING_SOON_US`].
    ExpiringSoon,
    /// Used as often as allowed.
    Used,
    /// Past its end, or its campaign ended.
    Expired,
}

/// The wallet bucket of a coupon at `now_us`.
pub fn wallet_bucket(campaign: &Campaign, customer_uses: u32, now_us: i64) -> WalletBucket {
    if customer_uses >= campaign.per_customer_limit {
        WalletBucket::Used
    } else if now_us >= campaign.valid_until_us || campaign.status == CampaignStatus::Ended {
        WalletBucket::Expired
    } else if campaign.valid_until_us - now_us <= EXPIRING_SOON_US {
        WalletBucket::ExpiringSoon
    } else {
        WalletBucket::Available
    }
}

/// A campaign with its usage, for admins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CampaignUsage {
    /// The campaign.
    pub campaign: Campaign,
    /// Uses reserved or done.
    pub uses: u32,
    /// Discount paid or reserved, minor units.
    pub spent_minor: i64,
    /// Coupons held by customers.
    pub holders: u32,
}

/// A coupon with its campaign and how much it was used, for the wallet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HeldCoupon {
    /// The coupon.
    pub coupon: Coupon,
    /// Its campaign.
    pub campaign: Campaign,
    /// Uses by its holder.
    pub customer_uses: u32,
}

/// A payment made at checkout with coupons.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckoutRequest {
    /// Who pays.
    pub customer: CustomerId,
    /// To whom.
    pub merchant: MerchantId,
    /// How much before discounts.
    pub amount: Money,
    /// How.
    pub payment_type: PaymentType,
    /// Chosen coupon ids, in the customer's order.
    pub chosen: Vec<String>,
    /// What for.
    pub description: String,
    /// Hold for this many minutes for the merchant to capture (or void) instead of paying
    /// at once; the coupon uses stay reserved until then.
    pub hold_minutes: Option<u32>,
}

/// The stored evaluation of a payment: its input, and the answer given then.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredEvaluation {
    /// The payment transaction.
    pub transaction_id: String,
    /// What the evaluation saw.
    pub input: EvaluationInput,
    /// What it answered.
    pub evaluation: Evaluation,
}

/// The result of a checkout: the payment (succeeded or failed) and its evaluation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckoutOutcome {
    /// The payment.
    pub transaction: WalletTransaction,
    /// The evaluation it was made with.
    pub evaluation: Evaluation,
}

/// Storage of campaigns, coupons, their usage and each checkout's evaluation.
#[async_trait]
pub trait CouponRepo: Send + Sync {
    /// Stores a new campaign (its code must be unused: `Conflict("code")`).
    async fn create_campaign(&self, campaign: &Campaign) -> Result<(), RepoError>;
    /// Every campaign with its usage, newest first.
    async fn campaigns(&self) -> Result<Vec<CampaignUsage>, RepoError>;
    /// One campaign with its usage.
    async fn campaign_usage(&self, id: &str) -> Result<CampaignUsage, RepoError>;
    /// Pauses, resumes or ends a campaign; an ended campaign stays ended.
    async fn set_campaign_status(
        &self,
        id: &str,
        status: CampaignStatus,
    ) -> Result<Campaign, RepoError>;
    /// Gives a customer a coupon of a campaign (`Conflict("coupon")` if held already).
    async fn issue_coupon(
        &self,
        campaign_id: &str,
        customer: &CustomerId,
        now_us: i64,
    ) -> Result<Coupon, RepoError>;
    /// Claims a campaign's code for a customer. An unknown code, and a code of a paused
    /// or ended campaign, are both `NotFound`, so claiming tells nothing more.
    async fn claim_code(
        &self,
        code: &str,
        customer: &CustomerId,
        now_us: i64,
    ) -> Result<Coupon, RepoError>;
    /// A customer's coupons, newest first.
    async fn customer_coupons(&self, customer: &CustomerId) -> Result<Vec<HeldCoupon>, RepoError>;
    /// The evaluation input for a payment the customer is about to make: all their
    /// coupons (`chosen` marked) and, if given, a typed code.
    async fn evaluation_input(
        &self,
        request: &CheckoutRequest,
        code: Option<&str>,
        now_us: i64,
    ) -> Result<EvaluationInput, RepoError>;
    /// Pays with the chosen coupons in one database transaction: evaluates under locks,
    /// reserves each applied coupon's use (and budget) atomically, moves the money through
    /// the ledger, and stores the evaluation. A payment the ledger refuses is recorded as
    /// failed and its reservations are released.
    async fn checkout(
        &self,
        request: &CheckoutRequest,
        now_us: i64,
    ) -> Result<CheckoutOutcome, RepoError>;
    /// The evaluation stored with a payment.
    async fn payment_evaluation(&self, transaction_id: &str)
    -> Result<StoredEvaluation, RepoError>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const DAY: i64 = 86_400_000_000;
    /// 2026-12-01 00:00 in Jakarta (UTC+7).
    const DEC_1: i64 = 1_796_058_000_000_000;

    fn idr(major: i64) -> Money {
        Money::major(major, Currency::IDR).unwrap()
    }

    fn campaign(name: &str) -> Campaign {
        Campaign {
            id: format!("camp-{name}"),
            name: name.into(),
            funder: Funder::Platform,
            discount: Discount::Fixed {
                amount_minor: 10_000_00,
            },
            currency: Currency::IDR,
            min_spend_minor: 0,
            valid_from_us: DEC_1,
            valid_until_us: DEC_1 + 31 * DAY,
            time_zone: "Asia/Jakarta".into(),
            merchants: Vec::new(),
            categories: Vec::new(),
            payment_types: Vec::new(),
            per_customer_limit: 1,
            total_limit: None,
            new_customers_only: false,
            budget_minor: None,
            exclusive: false,
            code: None,
            status: CampaignStatus::Active,
            created_at_us: 0,
        }
    }

    fn ctx() -> PaymentContext {
        PaymentContext {
            customer: CustomerId::from_string("c1"),
            customer_is_new: false,
            merchant: MerchantId::from_string("m1"),
            merchant_category: "food".into(),
            payment_type: PaymentType::Qr,
            amount: idr(50_000),
            at_us: DEC_1 + 10 * DAY,
        }
    }

    fn held(c: Campaign, chosen: bool) -> CouponInput {
        CouponInput {
            key: format!("coupon-{}", c.name),
            owner: Some(CustomerId::from_string("c1")),
            campaign: Some(c),
            campaign_uses: 0,
            campaign_spent_minor: 0,
            customer_uses: 0,
            chosen,
        }
    }

    fn reasons(e: &Evaluation, i: usize) -> Vec<Reason> {
        match &e.results[i].outcome {
            Outcome::NotApplicable { reasons } => reasons.clone(),
            Outcome::Applicable { .. } => Vec::new(),
        }
    }

    #[test]
    fn every_failing_reason_is_given_with_its_parameters() {
        let mut c = campaign("Lunch");
        c.min_spend_minor = idr(65_000).minor;
        c.valid_from_us = DEC_1;
        c.categories = vec!["retail".into()];
        let mut input = EvaluationInput {
            context: PaymentContext {
                at_us: DEC_1 - DAY,
                ..ctx()
            },
            coupons: vec![held(c, true)],
        };
        input.coupons[0].customer_uses = 1;
        let e = evaluate(&input);
        assert_eq!(
            reasons(&e, 0),
            vec![
                Reason::NotYetValid {
                    from: LocalDate {
                        year: 2026,
                        month: 12,
                        day: 1
                    }
                },
                Reason::MinimumSpend {
                    minimum: idr(65_000),
                    short_by: idr(15_000)
                },
                Reason::CategoryNotIncluded {
                    categories: vec!["retail".into()]
                },
                Reason::CustomerLimitReached { used: 1, limit: 1 },
            ]
        );
        assert_eq!(e.payable, idr(50_000));
        assert_eq!(e.discount, idr(0));
    }

    #[test]
    fn a_merchant_coupon_combines_with_a_platform_coupon_but_two_platform_coupons_do_not() {
        let mut m = campaign("Warung 20%");
        m.funder = Funder::Merchant(MerchantId::from_string("m1"));
        m.discount = Discount::Percent {
            basis_points: 2_000,
            cap_minor: Some(idr(8_000).minor),
        };
        let p1 = campaign("Platform 10k");
        let mut p2 = campaign("Platform 5k");
        p2.discount = Discount::Fixed {
            amount_minor: idr(5_000).minor,
        };
        let input = EvaluationInput {
            context: ctx(),
            coupons: vec![held(m, true), held(p1, true), held(p2, true)],
        };
        let e = evaluate(&input);
        assert_eq!(
            e.results[0].outcome,
            Outcome::Applicable {
                discount: idr(8_000)
            }
        );
        assert_eq!(
            e.results[1].outcome,
            Outcome::Applicable {
                discount: idr(10_000)
            }
        );
        assert_eq!(
            reasons(&e, 2),
            vec![Reason::CannotCombine {
                with: "Platform 10k".into(),
                with_key: "coupon-Platform 10k".into(),
                exclusive: false
            }]
        );
        assert_eq!(e.merchant_discount, idr(8_000));
        assert_eq!(e.platform_discount, idr(10_000));
        assert_eq!(e.payable, idr(32_000));
        assert_eq!(e.best_discount, idr(18_000));
    }

    #[test]
    fn an_exclusive_coupon_combines_with_nothing() {
        let mut x = campaign("Exclusive");
        x.exclusive = true;
        x.discount = Discount::Fixed {
            amount_minor: idr(12_000).minor,
        };
        let mut m = campaign("Merchant");
        m.funder = Funder::Merchant(MerchantId::from_string("m1"));
        let input = EvaluationInput {
            context: ctx(),
            coupons: vec![held(x, true), held(m, true)],
        };
        let e = evaluate(&input);
        assert!(e.results[0].outcome.is_applicable());
        assert!(matches!(
            reasons(&e, 1)[..],
            [Reason::CannotCombine {
                exclusive: true,
                ..
            }]
        ));
        // Alone 12k beats 10k; together they may not go.
        assert_eq!(e.best, vec!["coupon-Exclusive".to_owned()]);
    }

    #[test]
    fn customers_cannot_tell_an_unknown_code_from_a_failing_one() {
        let mut paused = campaign("Secret");
        paused.status = CampaignStatus::Paused;
        let unknown = CouponInput {
            key: "code:NOPE".into(),
            owner: None,
            campaign: None,
            campaign_uses: 0,
            campaign_spent_minor: 0,
            customer_uses: 0,
            chosen: false,
        };
        let known = CouponInput {
            key: "code:SECRET".into(),
            owner: None,
            ..held(paused, false)
        };
        let e = evaluate(&EvaluationInput {
            context: ctx(),
            coupons: vec![unknown, known],
        });
        assert_eq!(
            reasons(&e, 0),
            vec![Reason::UnknownCode {
                code: "NOPE".into()
            }]
        );
        assert_eq!(reasons(&e, 1), vec![Reason::NotHeld, Reason::Paused]);
        let c = e.for_customer();
        assert_eq!(c.results[0].outcome, c.results[1].outcome);
        assert_eq!(reasons(&c, 0), vec![Reason::CodeNotValid]);
        assert_eq!(c.results[1].name, None);
    }

    #[test]
    fn the_last_of_a_budget_pays_a_smaller_discount_then_none() {
        let mut c = campaign("Budget");
        c.budget_minor = Some(idr(100_000).minor);
        let mut input = EvaluationInput {
            context: ctx(),
            coupons: vec![held(c, true)],
        };
        input.coupons[0].campaign_spent_minor = idr(96_000).minor;
        assert_eq!(evaluate(&input).discount, idr(4_000));
        input.coupons[0].campaign_spent_minor = idr(100_000).minor;
        assert_eq!(reasons(&evaluate(&input), 0), vec![Reason::BudgetSpent]);
    }

    #[test]
    fn validity_ends_on_the_last_local_day() {
        let c = campaign("Dec");
        let mut input = EvaluationInput {
            context: ctx(),
            coupons: vec![held(c, true)],
        };
        input.context.at_us = DEC_1 + 31 * DAY;
        assert_eq!(
            reasons(&evaluate(&input), 0),
            vec![Reason::Expired {
                until: LocalDate {
                    year: 2026,
                    month: 12,
                    day: 31
                }
            }]
        );
        input.context.at_us -= 1;
        assert!(evaluate(&input).results[0].outcome.is_applicable());
    }

    // ------------------------------------------------------------ properties

    fn arb_discount() -> impl Strategy<Value = Discount> {
        prop_oneof![
            (-1_000i64..20_000_000).prop_map(|a| Discount::Fixed { amount_minor: a }),
            (0u32..12_000, proptest::option::of(-10i64..10_000_000)).prop_map(|(b, c)| {
                Discount::Percent {
                    basis_points: b,
                    cap_minor: c,
                }
            }),
        ]
    }

    prop_compose! {
        fn arb_campaign()(
            discount in arb_discount(),
            merchant_funded in any::<bool>(),
            min_spend in 0i64..10_000_000,
            from_days in -20i64..20,
            len_days in 1i64..40,
            merchants in proptest::collection::vec(0u8..3, 0..2),
            categories in proptest::collection::vec(0u8..3, 0..2),
            types in proptest::collection::vec(0u8..3, 0..2),
            per_customer in 1u32..3,
            total in proptest::option::of(1u32..5),
            new_only in any::<bool>(),
            budget in proptest::option::of(1i64..5_000_000),
            exclusive in proptest::bool::weighted(0.2),
            status in 0u8..6,
        ) -> Campaign {
            let mut c = campaign("p");
            c.discount = discount;
            c.funder = if merchant_funded { Funder::Merchant(MerchantId::from_string("m1")) } else { Funder::Platform };
            c.min_spend_minor = min_spend;
            c.valid_from_us = DEC_1 + from_days * DAY;
            c.valid_until_us = c.valid_from_us + len_days * DAY;
            c.merchants = merchants.iter().map(|m| ScopeMerchant { id: MerchantId::from_string(format!("m{m}")), name: format!("M{m}") }).collect();
            c.categories = categories.iter().map(|k| ["food", "retail", "travel"][*k as usize].to_owned()).collect();
            c.payment_types = types.iter().map(|t| PaymentType::ALL[*t as usize]).collect();
            c.per_customer_limit = per_customer;
            c.total_limit = total;
            c.new_customers_only = new_only;
            c.budget_minor = budget;
            c.exclusive = exclusive;
            c.status = match status { 0 => CampaignStatus::Paused, 1 => CampaignStatus::Ended, _ => CampaignStatus::Active };
            c
        }
    }

    prop_compose! {
        fn arb_input(max: usize)(
            campaigns in proptest::collection::vec(arb_campaign(), 1..=max),
            uses in proptest::collection::vec((0u32..3, 0u32..6, 0i64..5_000_000), max),
            chosen in proptest::collection::vec(any::<bool>(), max),
            amount in 0i64..20_000_000,
            day in 0i64..30,
            merchant in 0u8..3,
            category in 0u8..3,
            ptype in 0u8..3,
            is_new in any::<bool>(),
        ) -> EvaluationInput {
            let coupons = campaigns.into_iter().enumerate().map(|(i, mut c)| {
                c.name = format!("c{i}");
                c.id = format!("camp{i}");
                CouponInput {
                    key: format!("k{i}"),
                    owner: Some(CustomerId::from_string("c1")),
                    campaign: Some(c),
                    customer_uses: uses[i].0,
                    campaign_uses: uses[i].1,
                    campaign_spent_minor: uses[i].2,
                    chosen: chosen[i],
                }
            }).collect();
            EvaluationInput {
                context: PaymentContext {
                    customer: CustomerId::from_string("c1"),
                    customer_is_new: is_new,
                    merchant: MerchantId::from_string(format!("m{merchant}")),
                    merchant_category: ["food", "retail", "travel"][category as usize].into(),
                    payment_type: PaymentType::ALL[ptype as usize],
                    amount: Money::new(amount, Currency::IDR),
                    at_us: DEC_1 + day * DAY,
                },
                coupons,
            }
        }
    }

    /// One way to make a campaign stricter: each adds a condition the payment may fail.
    fn tighten(c: &mut Campaign, ctx: &PaymentContext, which: u8) {
        match which {
            0 => c.min_spend_minor = c.min_spend_minor.max(ctx.amount.minor + 1),
            1 => c.valid_from_us = c.valid_from_us.max(ctx.at_us + 1),
            2 => c.valid_until_us = c.valid_until_us.min(ctx.at_us),
            3 => {
                c.merchants = vec![ScopeMerchant {
                    id: MerchantId::from_string("elsewhere"),
                    name: "Elsewhere".into(),
                }]
            }
            4 => c.categories = vec!["nothing-like-it".into()],
            5 => {
                let other = PaymentType::ALL
                    .iter()
                    .copied()
                    .find(|t| *t != ctx.payment_type)
                    .unwrap();
                c.payment_types.retain(|t| *t != ctx.payment_type);
                if c.payment_types.is_empty() {
                    c.payment_types = vec![other];
                }
            }
            6 => c.new_customers_only = true,
            7 => c.per_customer_limit = 1.min(c.per_customer_limit),
            8 => c.total_limit = Some(1),
            9 => c.budget_minor = Some(1),
            // A paused campaign that ends trades one reason for another: only active ones.
            10 if c.status == CampaignStatus::Active => c.status = CampaignStatus::Paused,
            11 if c.status == CampaignStatus::Active => c.status = CampaignStatus::Ended,
            _ => {}
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]

        #[test]
        fn a_discount_never_exceeds_the_amount_or_the_cap(input in arb_input(4)) {
            let e = evaluate(&input);
            let amount = input.context.amount.minor;
            prop_assert!(e.discount.minor <= amount && e.discount.minor >= 0);
            prop_assert_eq!(e.payable.minor, amount - e.discount.minor);
            prop_assert!(e.best_discount.minor <= amount);
            for (r, c) in e.results.iter().zip(&input.coupons) {
                let d = r.outcome.discount_minor();
                prop_assert!(d >= 0 && d <= amount);
                let campaign = c.campaign.as_ref().unwrap();
                match campaign.discount {
                    Discount::Percent { cap_minor: Some(cap), .. } => prop_assert!(d <= cap.max(0)),
                    Discount::Fixed { amount_minor } => prop_assert!(d <= amount_minor.max(0)),
                    Discount::Percent { .. } => {}
                }
                if let Some(budget) = campaign.budget_minor {
                    prop_assert!(d <= (budget - c.campaign_spent_minor).max(0));
                }
            }
        }

        #[test]
        fn adding_a_failing_condition_never_makes_a_coupon_applicable(
            input in arb_input(3),
            target in 0usize..3,
            which in 0u8..12,
        ) {
            let target = target % input.coupons.len();
            let before = evaluate(&input);
            let mut stricter = input.clone();
            if let Some(c) = stricter.coupons[target].campaign.as_mut() {
                tighten(c, &input.context, which);
            }
            let after = evaluate(&stricter);
            let (b, a) = (&before.results[target].outcome, &after.results[target].outcome);
            prop_assert!(!a.is_applicable() || b.is_applicable(), "became applicable: {:?} -> {:?}", b, a);
            // And the reasons it had before are still there (the new one is added).
            if let (Outcome::NotApplicable { reasons: rb }, Outcome::NotApplicable { reasons: ra }) = (b, a) {
                for r in rb {
                    let kept = ra.iter().any(|x| std::mem::discriminant(x) == std::mem::discriminant(r));
                    prop_assert!(kept, "lost {:?}: {:?}", r, ra);
                }
            }
        }

        #[test]
        fn the_best_combination_is_never_worse_than_any_single_coupon(input in arb_input(5)) {
            let e = evaluate(&input);
            for c in &input.coupons {
                let mut alone = input.clone();
                for x in &mut alone.coupons {
                    x.chosen = x.key == c.key;
                }
                let single = evaluate(&alone).discount;
                prop_assert!(e.best_discount.minor >= single.minor, "best {} < single {}", e.best_discount, single);
            }
            // The proposal itself, chosen by hand, gives what it promised.
            let mut take = input.clone();
            for x in &mut take.coupons {
                x.chosen = e.best.contains(&x.key);
            }
            take.coupons.sort_by_key(|x| e.best.iter().position(|k| *k == x.key).unwrap_or(usize::MAX));
            prop_assert_eq!(evaluate(&take).discount, e.best_discount);
        }

        #[test]
        fn an_evaluation_replays_from_its_stored_input(input in arb_input(4)) {
            let json = serde_json::to_string(&input).unwrap();
            let back: EvaluationInput = serde_json::from_str(&json).unwrap();
            prop_assert_eq!(evaluate(&back), evaluate(&input));
        }
    }
}
