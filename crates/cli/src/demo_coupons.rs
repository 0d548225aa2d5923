//! Demo coupons: campaigns of every kind (platform and merchant funded, fixed and capped
//! percentage, minimum spend, category and merchant scope, a future start, one ending
//! soon, one over, a code for new customers) and Siti's coupon wallet, so the wallet,
//! "can I use it here?", the checkout and the agents' evaluation view have something to
//! explain. Fixed ids: seeding again adds nothing.

use anyhow::Context;
use domain::coupon::{
    Campaign, CampaignStatus, CheckoutRequest, CouponRepo, Discount, Funder, PaymentType,
    ScopeMerchant,
};
use domain::repo::{RepoError, WalletRepo};
use domain::wallet::WalletOperation;
use domain::{Currency, CustomerId, MerchantId, Money};
use store::Store;

const DAY: i64 = 86_400_000_000;
const ZONE: &str = "Asia/Jakarta";

fn idr(major: i64) -> i64 {
    major * 100
}

/// A fixed campaign id (`n` = 1..).
fn campaign_id(n: u32) -> String {
    format!("01900000-0000-7000-8c00-{n:012}")
}

/// Midnight in Jakarta of the day `days` from the day of `now_us`.
fn jakarta_day(now_us: i64, days: i64) -> i64 {
    let tz = jiff::tz::TimeZone::get(ZONE).unwrap_or(jiff::tz::TimeZone::UTC);
    let ts = jiff::Timestamp::from_microsecond(now_us).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    let date = ts.to_zoned_datetime(tz.clone()).date();
    date.checked_add(jiff::Span::new().days(days))
        .ok()
        .and_then(|d| d.to_zoned_datetime(tz).ok())
        .map_or(now_us + days * DAY, |z| z.timestamp().as_microsecond())
}

/// The first day of next month in Jakarta.
fn next_month_start(now_us: i64) -> i64 {
    let tz = jiff::tz::TimeZone::get(ZONE).unwrap_or(jiff::tz::TimeZone::UTC);
    let ts = jiff::Timestamp::from_microsecond(now_us).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    let date = ts.to_zoned_datetime(tz.clone()).date();
    date.first_of_month()
        .checked_add(jiff::Span::new().months(1))
        .ok()
        .and_then(|d| d.to_zoned_datetime(tz).ok())
        .map_or(now_us + 30 * DAY, |z| z.timestamp().as_microsecond())
}

fn base(n: u32, name: &str, discount: Discount, now_us: i64) -> Campaign {
    Campaign {
        id: campaign_id(n),
        name: name.into(),
        funder: Funder::Platform,
        discount,
        currency: Currency::IDR,
        min_spend_minor: 0,
        valid_from_us: jakarta_day(now_us, -7),
        valid_until_us: jakarta_day(now_us, 60),
        time_zone: ZONE.into(),
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
        created_at_us: now_us,
    }
}

/// Seeds the campaigns and Siti's coupons; `warung` is Warung Nusantara.
pub async fn seed(
    store: &Store,
    siti: &CustomerId,
    warung: &MerchantId,
    now_us: i64,
) -> anyhow::Result<usize> {
    let fixed = |major| Discount::Fixed {
        amount_minor: idr(major),
    };
    let mut lunch = base(1, "Lunch IDR 10,000 off", fixed(10_000), now_us);
    lunch.min_spend_minor = idr(30_000);
    lunch.categories = vec!["food".into()];
    lunch.per_customer_limit = 5;
    lunch.budget_minor = Some(idr(50_000_000));
    let mut warung20 = base(
        2,
        "Warung Nusantara 20%",
        Discount::Percent {
            basis_points: 2_000,
            cap_minor: Some(idr(8_000)),
        },
        now_us,
    );
    warung20.funder = Funder::Merchant(warung.clone());
    warung20.merchants = vec![ScopeMerchant {
        id: warung.clone(),
        name: "Warung Nusantara".into(),
    }];
    warung20.per_customer_limit = 5;
    warung20.payment_types = vec![PaymentType::Qr];
    let mut big = base(3, "Big spender IDR 25,000 off", fixed(25_000), now_us);
    big.min_spend_minor = idr(200_000);
    big.total_limit = Some(1_000);
    let mut festival = base(
        4,
        "Festival 15%",
        Discount::Percent {
            basis_points: 1_500,
            cap_minor: Some(idr(30_000)),
        },
        now_us,
    );
    festival.valid_from_us = next_month_start(now_us);
    festival.valid_until_us = festival.valid_from_us + 31 * DAY;
    let mut ride = base(5, "Ride IDR 5,000 off", fixed(5_000), now_us);
    ride.categories = vec!["transport".into()];
    ride.valid_until_us = jakarta_day(now_us, 2);
    ride.per_customer_limit = 3;
    let mut welcome = base(6, "Welcome IDR 20,000 off", fixed(20_000), now_us);
    welcome.new_customers_only = true;
    welcome.code = Some("WELCOME20".into());
    welcome.exclusive = true;
    let mut over = base(7, "Independence Day IDR 17,000 off", fixed(17_000), now_us);
    over.valid_from_us = jakarta_day(now_us, -120);
    over.valid_until_us = jakarta_day(now_us, -90);
    let campaigns = [lunch, warung20, big, festival, ride, welcome, over];
    for c in &campaigns {
        match store.create_campaign(c).await {
            Ok(()) | Err(RepoError::Conflict(_)) => {}
            Err(e) => return Err(e).context("seeding coupon campaigns"),
        }
    }
    let mut issued = Vec::new();
    for c in campaigns.iter().filter(|c| c.code.is_none()) {
        match store.issue_coupon(&c.id, siti, now_us).await {
            Ok(coupon) => issued.push((c.id.clone(), coupon.id)),
            Err(RepoError::Conflict(_)) => {}
            Err(e) => return Err(e).context("issuing demo coupons"),
        }
    }
    // One lunch paid with the lunch coupon, and one where the big-spender coupon was
    // chosen but the payment was too small: the agents' page explains both.
    if let (Some((_, lunch_coupon)), Some((_, big_coupon))) = (
        issued.iter().find(|(c, _)| *c == campaign_id(1)),
        issued.iter().find(|(c, _)| *c == campaign_id(3)),
    ) {
        let balance = store.wallet_balance(siti, Currency::IDR).await?.available();
        if balance < idr(200_000) {
            store
                .execute(
                    &WalletOperation::TopUp {
                        customer: siti.clone(),
                        amount: Money::new(idr(200_000), Currency::IDR),
                    },
                    now_us - 2 * DAY,
                )
                .await
                .context("topping up for the demo checkout")?;
        }
        for (coupon, major, when) in [(lunch_coupon, 45_000, 2), (big_coupon, 60_000, 1)] {
            store
                .checkout(
                    &CheckoutRequest {
                        customer: siti.clone(),
                        merchant: warung.clone(),
                        amount: Money::new(idr(major), Currency::IDR),
                        payment_type: PaymentType::Qr,
                        chosen: vec![coupon.clone()],
                        description: "Nasi campur".into(),
                        hold_minutes: None,
                    },
                    now_us - when * DAY + 3_600_000_000,
                )
                .await
                .context("demo checkout")?;
        }
    }
    Ok(campaigns.len())
}
