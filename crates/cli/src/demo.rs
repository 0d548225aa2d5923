//! `paydesk demo`: a realistic, idempotent demo data set. Running it twice changes
//! nothing the second time: every record has a fixed id and is inserted only if absent.

use anyhow::Context;
use domain::repo::{IdentityRepo, WalletRepo};
use domain::wallet::{
    FailureReason, RefundReason, TransactionKind, TransactionQuery, TransactionStatus,
    WalletOperation,
};
use domain::{
    AccountStatus, Customer, CustomerId, DisplayName, Email, GroupId, Locale, Merchant, MerchantId,
    Phone, Region, RegionId, Role, Staff, StaffId, SupportGroup,
};
use domain::{Currency, Money};
use indicatif::{ProgressBar, ProgressStyle};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use server::Config;
use server::auth::Passwords;
use store::{SeedOutcome, Store};

/// Password of every demo account.
pub const DEMO_PASSWORD: &str = "paydesk-demo";

/// The fixed demo customer the README and browser tests sign in as.
pub const DEMO_CUSTOMER_EMAIL: &str = "siti@demo.paydesk.id";

const REGIONS: [(&str, &str, &str, &str, &str); 4] = [
    (
        "id-jakarta",
        "Jakarta & Western Indonesia",
        "ID",
        "Asia/Jakarta",
        "WIB",
    ),
    (
        "id-makassar",
        "Makassar, Bali & Central Indonesia",
        "ID",
        "Asia/Makassar",
        "WITA",
    ),
    (
        "id-jayapura",
        "Jayapura & Eastern Indonesia",
        "ID",
        "Asia/Jayapura",
        "WIT",
    ),
    (
        "cn-shanghai",
        "Shanghai & Mainland China",
        "CN",
        "Asia/Shanghai",
        "CST",
    ),
];

const GROUPS: [&str; 4] = [
    "Payments & Refunds",
    "Accounts & Security",
    "Merchant Care",
    "China Desk",
];

/// (name, category, region index)
const MERCHANTS: [(&str, &str, usize); 14] = [
    ("Warung Nusantara", "food", 0),
    ("Kopi Senja", "food", 0),
    ("Toko Elektronik Jaya", "electronics", 0),
    ("Ojek Cepat", "transport", 0),
    ("Pulsa Kita", "telco", 0),
    ("Apotek Sehat Sentosa", "health", 0),
    ("Batik Lestari", "retail", 1),
    ("Bali Surf Rentals", "travel", 1),
    ("Coto Makassar Daeng", "food", 1),
    ("Papua Coffee Roasters", "food", 2),
    ("Toko Sembako Jayapura", "retail", 2),
    ("南翔小笼包", "food", 3),
    ("华联便利店", "retail", 3),
    ("沪通出行", "transport", 3),
];

/// A demo staff member: email, name, role, group index, merchant index, locale.
type DemoStaff = (
    &'static str,
    &'static str,
    Role,
    Option<usize>,
    Option<usize>,
    Locale,
);

const STAFF: [DemoStaff; 14] = [
    (
        "admin@demo.paydesk.id",
        "Hendra Gunawan",
        Role::Admin,
        None,
        None,
        Locale::En,
    ),
    (
        "supervisor@demo.paydesk.id",
        "Ratna Sari",
        Role::Supervisor,
        Some(0),
        None,
        Locale::Id,
    ),
    (
        "agent@demo.paydesk.id",
        "Agus Setiawan",
        Role::Agent,
        Some(0),
        None,
        Locale::En,
    ),
    (
        "dewi.lestari@demo.paydesk.id",
        "Dewi Lestari",
        Role::Agent,
        Some(0),
        None,
        Locale::Id,
    ),
    (
        "rudi.hartono@demo.paydesk.id",
        "Rudi Hartono",
        Role::Agent,
        Some(1),
        None,
        Locale::Id,
    ),
    (
        "putri.wulandari@demo.paydesk.id",
        "Putri Wulandari",
        Role::Agent,
        Some(1),
        None,
        Locale::Id,
    ),
    (
        "made.wirawan@demo.paydesk.id",
        "I Made Wirawan",
        Role::Agent,
        Some(2),
        None,
        Locale::Id,
    ),
    (
        "yohanes.wenda@demo.paydesk.id",
        "Yohanes Wenda",
        Role::Agent,
        Some(2),
        None,
        Locale::Id,
    ),
    (
        "wang.fang@demo.paydesk.id",
        "王芳",
        Role::Agent,
        Some(3),
        None,
        Locale::ZhCn,
    ),
    (
        "li.wei@demo.paydesk.id",
        "李伟",
        Role::Supervisor,
        Some(3),
        None,
        Locale::ZhCn,
    ),
    (
        "merchant@demo.paydesk.id",
        "Bambang Susilo",
        Role::Merchant,
        None,
        Some(0),
        Locale::Id,
    ),
    (
        "kasir.warung@demo.paydesk.id",
        "Sri Wahyuni",
        Role::Merchant,
        None,
        Some(0),
        Locale::Id,
    ),
    (
        "owner.kopisenja@demo.paydesk.id",
        "Andi Pratama",
        Role::Merchant,
        None,
        Some(1),
        Locale::Id,
    ),
    (
        "zhang.min@demo.paydesk.id",
        "张敏",
        Role::Merchant,
        None,
        Some(11),
        Locale::ZhCn,
    ),
];

const ID_GIVEN: [&str; 48] = [
    "Adi",
    "Agung",
    "Ahmad",
    "Aisyah",
    "Andi",
    "Anisa",
    "Arief",
    "Ayu",
    "Bagus",
    "Bayu",
    "Budi",
    "Cahya",
    "Citra",
    "Dani",
    "Dedi",
    "Dian",
    "Dimas",
    "Eka",
    "Fajar",
    "Fitri",
    "Gita",
    "Hadi",
    "Indah",
    "Intan",
    "Joko",
    "Kartika",
    "Lestari",
    "Lina",
    "Maya",
    "Mega",
    "Nanda",
    "Nur",
    "Oktavia",
    "Pratiwi",
    "Putra",
    "Rahmat",
    "Rina",
    "Rizky",
    "Sari",
    "Setiawati",
    "Surya",
    "Taufik",
    "Tri",
    "Wahyu",
    "Wulan",
    "Yanti",
    "Yusuf",
    "Zahra",
];
const ID_FAMILY: [&str; 36] = [
    "Santoso",
    "Wijaya",
    "Saputra",
    "Hidayat",
    "Kusuma",
    "Pratama",
    "Nugroho",
    "Siregar",
    "Nasution",
    "Harahap",
    "Simanjuntak",
    "Lubis",
    "Wibowo",
    "Susanto",
    "Halim",
    "Tanjung",
    "Gunawan",
    "Permana",
    "Purnomo",
    "Rahman",
    "Hakim",
    "Sembiring",
    "Ginting",
    "Manurung",
    "Pangaribuan",
    "Mahendra",
    "Utomo",
    "Setiadi",
    "Suharto",
    "Sitompul",
    "Daeng",
    "Wenda",
    "Kogoya",
    "Rumbiak",
    "Tanoto",
    "Salim",
];
/// (hanzi, pinyin)
const CN_FAMILY: [(&str, &str); 24] = [
    ("王", "wang"),
    ("李", "li"),
    ("张", "zhang"),
    ("刘", "liu"),
    ("陈", "chen"),
    ("杨", "yang"),
    ("黄", "huang"),
    ("赵", "zhao"),
    ("吴", "wu"),
    ("周", "zhou"),
    ("徐", "xu"),
    ("孙", "sun"),
    ("马", "ma"),
    ("朱", "zhu"),
    ("胡", "hu"),
    ("郭", "guo"),
    ("何", "he"),
    ("林", "lin"),
    ("罗", "luo"),
    ("高", "gao"),
    ("郑", "zheng"),
    ("梁", "liang"),
    ("谢", "xie"),
    ("宋", "song"),
];
const CN_GIVEN: [(&str, &str); 30] = [
    ("伟", "wei"),
    ("芳", "fang"),
    ("娜", "na"),
    ("敏", "min"),
    ("静", "jing"),
    ("丽", "li"),
    ("强", "qiang"),
    ("磊", "lei"),
    ("军", "jun"),
    ("洋", "yang"),
    ("勇", "yong"),
    ("艳", "yan"),
    ("杰", "jie"),
    ("娟", "juan"),
    ("涛", "tao"),
    ("明", "ming"),
    ("超", "chao"),
    ("秀英", "xiuying"),
    ("霞", "xia"),
    ("平", "ping"),
    ("刚", "gang"),
    ("桂英", "guiying"),
    ("晓东", "xiaodong"),
    ("建华", "jianhua"),
    ("佳怡", "jiayi"),
    ("子涵", "zihan"),
    ("浩然", "haoran"),
    ("欣怡", "xinyi"),
    ("宇轩", "yuxuan"),
    ("思远", "siyuan"),
];

/// A stable UUIDv7-shaped id for the `n`-th demo record of a kind, so reseeding finds it.
/// The id of the `n`-th demo customer (stable across seeds).
pub fn demo_customer_id(n: u32) -> String {
    demo_id(1, n)
}

fn demo_id(kind: u8, n: u32) -> String {
    // 2024-01-01T00:00:00Z in ms, offset per record so ids sort in creation order.
    let millis = 1_704_067_200_000u64 + u64::from(kind) * 100_000_000 + u64::from(n);
    let mut rand_bytes = [0u8; 10];
    rand_bytes[0] = kind;
    rand_bytes[6..10].copy_from_slice(&n.to_be_bytes());
    uuid::Builder::from_unix_timestamp_millis(millis, &rand_bytes)
        .into_uuid()
        .to_string()
}

fn parse_name(s: &str) -> anyhow::Result<DisplayName> {
    DisplayName::parse(s).map_err(|e| anyhow::anyhow!("demo name {s:?}: {e}"))
}

fn parse_email(s: &str) -> anyhow::Result<Email> {
    Email::parse(s).map_err(|e| anyhow::anyhow!("demo email {s:?}: {e}"))
}

/// One generated customer.
fn customer(n: u32, rng: &mut StdRng, now_us: i64) -> anyhow::Result<Customer> {
    let region_roll = rng.random_range(0..100);
    let region = match region_roll {
        0..45 => 0,
        45..70 => 1,
        70..80 => 2,
        _ => 3,
    };
    let (name, email_local, locale, phone) = if region == 3 {
        let (fh, fp) = CN_FAMILY[rng.random_range(0..CN_FAMILY.len())];
        let (gh, gp) = CN_GIVEN[rng.random_range(0..CN_GIVEN.len())];
        let phone = format!(
            "+86 13{} {:04} {:04}",
            rng.random_range(0..10),
            rng.random_range(0..10_000),
            n
        );
        (
            format!("{fh}{gh}"),
            format!("{gp}.{fp}{n}"),
            Locale::ZhCn,
            phone,
        )
    } else {
        let g = ID_GIVEN[rng.random_range(0..ID_GIVEN.len())];
        let f = ID_FAMILY[rng.random_range(0..ID_FAMILY.len())];
        let locale = if rng.random_range(0..10) < 8 {
            Locale::Id
        } else {
            Locale::En
        };
        let phone = format!(
            "+62 81{} {:04} {:04}",
            rng.random_range(1..10),
            rng.random_range(0..10_000),
            n
        );
        (
            format!("{g} {f}"),
            format!("{}.{}{n}", g.to_lowercase(), f.to_lowercase()),
            locale,
            phone,
        )
    };
    // Some customers registered with a phone only, as many wallet users do.
    let has_email = rng.random_range(0..10) < 7;
    let days_ago = rng.random_range(1..1_100i64);
    let status = if rng.random_range(0..100) < 2 {
        AccountStatus::Suspended
    } else {
        AccountStatus::Active
    };
    Ok(Customer {
        id: CustomerId::from_string(demo_id(1, n)),
        email: if has_email {
            Some(parse_email(&format!("{email_local}@example.com"))?)
        } else {
            None
        },
        phone: Some(Phone::parse(&phone).map_err(|e| anyhow::anyhow!("demo phone {phone}: {e}"))?),
        display_name: parse_name(&name)?,
        locale,
        region_id: RegionId::from_string(REGIONS[region].0),
        status,
        created_at_us: now_us - days_ago * 86_400_000_000,
    })
}

/// Typical spend per merchant category, in whole rupiah (min, max).
fn spend_range(category: &str) -> (i64, i64) {
    match category {
        "food" => (15_000, 150_000),
        "transport" => (10_000, 90_000),
        "telco" => (10_000, 200_000),
        "health" => (20_000, 350_000),
        "electronics" => (150_000, 4_000_000),
        "travel" => (300_000, 3_000_000),
        _ => (40_000, 1_200_000),
    }
}

const DESCRIPTIONS: [(&str, &[&str]); 7] = [
    (
        "food",
        &[
            "Nasi goreng",
            "Kopi susu",
            "Sate ayam",
            "Bakso",
            "Es teh manis",
            "Coto Makassar",
            "小笼包",
            "Martabak",
        ],
    ),
    (
        "transport",
        &["Ojek ride", "Airport transfer", "打车", "Ride to office"],
    ),
    ("telco", &["Pulsa 50K", "Data package 10GB", "Pulsa 100K"]),
    ("health", &["Vitamin C", "Obat flu", "Masker"]),
    (
        "electronics",
        &[
            "Phone charger",
            "Wireless earbuds",
            "Power bank",
            "Smartwatch",
        ],
    ),
    (
        "travel",
        &["Hotel booking", "Surfboard rental", "Tour package"],
    ),
    (
        "retail",
        &[
            "Batik shirt",
            "Groceries",
            "Sembako",
            "便利店购物",
            "Household items",
        ],
    ),
];

fn description(category: &str, rng: &mut StdRng) -> String {
    let list = DESCRIPTIONS
        .iter()
        .find(|(c, _)| *c == category)
        .map_or(&["Purchase"][..], |(_, l)| *l);
    list[rng.random_range(0..list.len())].to_owned()
}

const EXTERNAL_FAILURES: [FailureReason; 6] = [
    FailureReason::PaymentMethodDeclined,
    FailureReason::BankUnavailable,
    FailureReason::NetworkTimeout,
    FailureReason::BlockedByRisk,
    FailureReason::LimitExceeded,
    FailureReason::MerchantUnavailable,
];

fn idr(major: i64) -> Money {
    Money::new(major * 100, Currency::IDR)
}

/// Simulates about four months of wallet use for one customer: top-ups, payments at
/// merchants of their region, transfers, withdrawals, failures and refund requests, all
/// through the same ledger operations the API uses. Skipped for customers who already
/// have history, so reseeding adds nothing.
async fn simulate_history(
    store: &Store,
    customer: &Customer,
    friend: &CustomerId,
    merchants: &[(MerchantId, &'static str, usize)],
    events: u32,
    rng: &mut StdRng,
    now_us: i64,
) -> anyhow::Result<bool> {
    // Every simulated history starts with a top-up; transfers received from friends
    // simulated earlier do not count as this customer's own history.
    let existing = store
        .transactions(
            &TransactionQuery {
                customer_id: Some(customer.id.clone()),
                kinds: vec![TransactionKind::TopUp],
                ..TransactionQuery::default()
            },
            None,
            domain::Limit::parse(Some(1)).map_err(|e| anyhow::anyhow!("{e}"))?,
        )
        .await?;
    if !existing.items.is_empty() {
        return Ok(false);
    }
    let region = REGIONS
        .iter()
        .position(|r| r.0 == customer.region_id.as_str())
        .unwrap_or(0);
    let local: Vec<_> = merchants.iter().filter(|m| m.2 == region).collect();
    let pool: Vec<_> = if local.is_empty() {
        merchants.iter().collect()
    } else {
        local
    };
    let day = 86_400_000_000i64;
    let mut t = now_us - 120 * day + rng.random_range(0..day);
    let step = (118 * day) / i64::from(events.max(1));
    let c = customer.id.clone();
    store
        .execute(
            &WalletOperation::TopUp {
                customer: c.clone(),
                amount: idr(rng.random_range(5..40) * 50_000),
            },
            t,
        )
        .await?;
    for _ in 0..events {
        t += rng.random_range(step / 2..step * 3 / 2 + 1);
        if t >= now_us - day / 2 {
            break;
        }
        let roll = rng.random_range(0..100);
        let balance = store.wallet_balance(&c, Currency::IDR).await?.available();
        if balance < 100_000_00 && roll < 60 {
            let op = WalletOperation::TopUp {
                customer: c.clone(),
                amount: idr(rng.random_range(2..20) * 100_000),
            };
            if rng.random_range(0..100) < 4 {
                store
                    .record_failure(&op, FailureReason::BankUnavailable, t)
                    .await?;
            } else {
                store.execute(&op, t).await?;
            }
            continue;
        }
        match roll {
            0..=4 => {
                let op = WalletOperation::Transfer {
                    from: c.clone(),
                    to: friend.clone(),
                    amount: idr(rng.random_range(1..20) * 25_000),
                    description: "Patungan".into(),
                };
                store.execute(&op, t).await?;
            }
            5..=6 => {
                store
                    .execute(
                        &WalletOperation::Withdrawal {
                            customer: c.clone(),
                            amount: idr(rng.random_range(1..10) * 100_000),
                        },
                        t,
                    )
                    .await?;
            }
            _ => {
                let (merchant, category, _) = pool[rng.random_range(0..pool.len())];
                let (lo, hi) = spend_range(category);
                let amount = idr(rng.random_range(lo / 1000..hi / 1000 + 1) * 1000);
                let op = WalletOperation::Payment {
                    customer: c.clone(),
                    merchant: merchant.clone(),
                    amount,
                    hold_minutes: None,
                    description: description(category, rng),
                };
                // Most people top up before a purchase they cannot cover; some find out at the till.
                if amount.minor > balance && rng.random_range(0..100) < 85 {
                    let top = WalletOperation::TopUp {
                        customer: c.clone(),
                        amount: Money::new(
                            amount.minor - amount.minor % 100_000_00 + 200_000_00,
                            Currency::IDR,
                        ),
                    };
                    store.execute(&top, t - 600_000_000).await?;
                }
                if rng.random_range(0..100) < 5 {
                    let reason = EXTERNAL_FAILURES[rng.random_range(0..EXTERNAL_FAILURES.len())];
                    store.record_failure(&op, reason, t).await?;
                    continue;
                }
                let paid = store.execute(&op, t).await?;
                if paid.status == TransactionStatus::Succeeded && rng.random_range(0..100) < 4 {
                    let reasons = [
                        RefundReason::NotReceived,
                        RefundReason::NotAsDescribed,
                        RefundReason::Damaged,
                        RefundReason::ChangedMind,
                    ];
                    let share = if rng.random_range(0..2) == 0 {
                        amount.minor
                    } else {
                        amount.minor / 2
                    };
                    store
                        .request_refund(
                            &paid.id,
                            share,
                            reasons[rng.random_range(0..reasons.len())],
                            t + day / 4,
                        )
                        .await?;
                }
            }
        }
    }
    Ok(true)
}

/// The demo customer's recent, known transactions, which the README and browser tests use.
async fn siti_recent(
    store: &Store,
    siti: &CustomerId,
    merchants: &[(MerchantId, &'static str, usize)],
    now_us: i64,
) -> anyhow::Result<()> {
    let hour = 3_600_000_000i64;
    let warung = merchants[0].0.clone();
    let elektronik = merchants[2].0.clone();
    store
        .execute(
            &WalletOperation::TopUp {
                customer: siti.clone(),
                amount: idr(2_000_000),
            },
            now_us - 80 * hour,
        )
        .await?;
    store
        .execute(
            &WalletOperation::Payment {
                customer: siti.clone(),
                merchant: elektronik,
                amount: idr(1_250_000),
                hold_minutes: None,
                description: "Wireless earbuds".into(),
            },
            now_us - 72 * hour,
        )
        .await?;
    store
        .execute(
            &WalletOperation::Payment {
                customer: siti.clone(),
                merchant: warung.clone(),
                amount: idr(35_000),
                hold_minutes: None,
                description: "Nasi goreng & es teh".into(),
            },
            now_us - 26 * hour,
        )
        .await?;
    let balance = store.wallet_balance(siti, Currency::IDR).await?.available();
    // One payment the balance cannot cover, so the history shows that failure too.
    store
        .execute(
            &WalletOperation::Payment {
                customer: siti.clone(),
                merchant: warung,
                amount: Money::new(balance + 500_000_00, Currency::IDR),
                hold_minutes: None,
                description: "Catering order".into(),
            },
            now_us - 3 * hour,
        )
        .await?;
    Ok(())
}

/// Seeds regions, groups, merchants, staff and `customers` customers, and prints
/// credentials to sign in with.
pub async fn seed(store: &Store, config: &Config, customers: u32) -> anyhow::Result<()> {
    let now = server::now_us();
    let passwords = Passwords::new(config.auth.argon2_memory_kib, config.auth.argon2_iterations)?;
    let password =
        domain::Password::new_password(DEMO_PASSWORD).map_err(|e| anyhow::anyhow!("{e}"))?;
    // One hash for every demo account: hashing a thousand times would take minutes on
    // small hardware and the demo password is public anyway.
    let hash = passwords
        .hash(&password)
        .await
        .map_err(|e| anyhow::anyhow!("hashing demo password: {e}"))?;

    for (id, name, country, tz, abbr) in REGIONS {
        store
            .upsert_region(&Region {
                id: RegionId::from_string(id),
                name: name.into(),
                country: country.into(),
                time_zone: tz.into(),
                zone_abbreviation: abbr.into(),
            })
            .await
            .context("seeding regions")?;
    }
    crate::demo_tickets::seed_calendars(store, &REGIONS, now)
        .await
        .context("seeding business calendars")?;
    // Before any ticket, so each is opened with its due times.
    crate::demo_tickets::seed_sla_policies(store, now)
        .await
        .context("seeding SLA policies")?;
    let group_ids: Vec<GroupId> = (0..GROUPS.len() as u32)
        .map(|i| GroupId::from_string(demo_id(2, i)))
        .collect();
    for (i, name) in GROUPS.iter().enumerate() {
        store
            .ensure_group(&SupportGroup {
                id: group_ids[i].clone(),
                name: (*name).into(),
            })
            .await
            .context("seeding groups")?;
    }
    let merchant_ids: Vec<MerchantId> = (0..MERCHANTS.len() as u32)
        .map(|i| MerchantId::from_string(demo_id(3, i)))
        .collect();
    for (i, (name, category, region)) in MERCHANTS.iter().enumerate() {
        let m = Merchant {
            id: merchant_ids[i].clone(),
            name: (*name).into(),
            category: (*category).into(),
            region_id: RegionId::from_string(REGIONS[*region].0),
        };
        store
            .ensure_merchant(&m, now)
            .await
            .context("seeding merchants")?;
    }
    let mut staff_outcome = SeedOutcome::default();
    for (i, (email, name, role, group, merchant, locale)) in STAFF.iter().enumerate() {
        let s = Staff {
            id: StaffId::from_string(demo_id(4, i as u32)),
            email: parse_email(email)?,
            display_name: parse_name(name)?,
            role: *role,
            merchant_id: merchant.map(|m| merchant_ids[m].clone()),
            group_id: group.map(|g| group_ids[g].clone()),
            locale: *locale,
            status: AccountStatus::Active,
            created_at_us: now,
        };
        staff_outcome.count(
            store
                .insert_staff(&s, &hash, true)
                .await
                .context("seeding staff")?,
        );
    }

    let bar = ProgressBar::new(u64::from(customers));
    bar.set_style(
        ProgressStyle::with_template("{msg:>10} [{bar:40}] {pos}/{len} ({eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_message("customers");
    let mut rng = StdRng::seed_from_u64(2026);
    let mut customer_outcome = SeedOutcome::default();
    for n in 0..customers {
        let mut c = customer(n, &mut rng, now)?;
        if n == 0 {
            // The customer everyone signs in as: known name, email and phone.
            c.display_name = parse_name("Siti Rahayu")?;
            c.email = Some(parse_email(DEMO_CUSTOMER_EMAIL)?);
            c.phone = Some(Phone::parse("+62 812 3456 7890").map_err(|e| anyhow::anyhow!("{e}"))?);
            c.locale = Locale::En;
            c.region_id = RegionId::from_string(REGIONS[0].0);
            c.status = AccountStatus::Active;
        }
        customer_outcome.count(
            store
                .insert_customer(&c, &hash, true)
                .await
                .context("seeding customers")?,
        );
        bar.inc(1);
    }
    bar.finish_and_clear();

    // Wallet history: months for everyone, Siti's known recent payments on top.
    let merchant_refs: Vec<(MerchantId, &'static str, usize)> = MERCHANTS
        .iter()
        .enumerate()
        .map(|(i, (_, cat, region))| (merchant_ids[i].clone(), *cat, *region))
        .collect();
    let siti_id = CustomerId::from_string(demo_id(1, 0));
    let bar = ProgressBar::new(u64::from(customers));
    bar.set_style(
        ProgressStyle::with_template("{msg:>10} [{bar:40}] {pos}/{len} ({eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_message("history");
    let mut rng = StdRng::seed_from_u64(7);
    let mut simulated = 0u32;
    for n in 0..customers {
        let id = CustomerId::from_string(demo_id(1, n));
        let stored = store
            .customer(&id)
            .await
            .context("reading a demo customer")?;
        let friend = CustomerId::from_string(demo_id(1, (n + 1) % customers.max(1)));
        let events = if n == 0 { 90 } else { rng.random_range(4..16) };
        if simulate_history(
            store,
            &stored,
            &friend,
            &merchant_refs,
            events,
            &mut rng,
            now,
        )
        .await?
        {
            simulated += 1;
            if n == 0 {
                siti_recent(store, &siti_id, &merchant_refs, now).await?;
            }
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    crate::demo_tickets::seed_console(store, now)
        .await
        .context("seeding the agent console")?;
    let campaigns = crate::demo_coupons::seed(store, &siti_id, &merchant_ids[0], now).await?;
    let tickets = crate::demo_tickets::seed_tickets(store, customers, now).await?;
    let other = (customers > 1).then(|| CustomerId::from_string(demo_id(1, 1)));
    let cards = crate::demo_cards::seed_cards(store, config, &siti_id, other.as_ref(), now)
        .await
        .context("seeding cards and bank accounts")?;
    let agent_id = STAFF
        .iter()
        .position(|s| s.0 == "agent@demo.paydesk.id")
        .map(|i| StaffId::from_string(demo_id(4, i as u32)))
        .unwrap_or_default();
    let complaints =
        crate::demo_complaints::seed_complaints(store, config, &siti_id, &agent_id, now)
            .await
            .context("seeding merchant complaints")?;

    println!(
        "Demo data ready: {} regions, {} support groups, {} merchants, staff {} new / {} existing, customers {} new / {} existing.",
        REGIONS.len(),
        GROUPS.len(),
        MERCHANTS.len(),
        staff_outcome.created,
        staff_outcome.existing,
        customer_outcome.created,
        customer_outcome.existing
    );
    println!(
        "Wallet history simulated for {simulated} customers (months of top-ups, payments, transfers, failures and refunds)."
    );
    println!("{tickets} support tickets from the app, the web, Messenger, X and the hotline.");
    if config.cards.fingerprint_key.is_empty() {
        println!("Cards and bank accounts not seeded: set cards.fingerprint_key.");
    } else {
        println!(
            "{cards} new demo cards and bank accounts (one card shared by two customers, flagged for risk)."
        );
    }
    println!("{campaigns} coupon campaigns; Siti holds their coupons.");
    println!("{complaints} merchant complaints filed for the demo customer.");
    println!();
    println!("Sign in with password \"{DEMO_PASSWORD}\":");
    println!("  customer  {DEMO_CUSTOMER_EMAIL:<32} (or +62 812 3456 7890)  at /signin");
    println!(
        "  agent     {:<32} at /staff/signin",
        "agent@demo.paydesk.id"
    );
    println!(
        "  supervisor {:<31} at /staff/signin",
        "supervisor@demo.paydesk.id"
    );
    println!(
        "  merchant  {:<32} at /staff/signin",
        "merchant@demo.paydesk.id"
    );
    println!(
        "  admin     {:<32} at /staff/signin",
        "admin@demo.paydesk.id"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::repo::{CustomerQuery, DirectoryRepo, IdentityRepo};

    #[tokio::test]
    async fn seeding_twice_creates_everything_once() {
        let url = store::testing::fresh_database_url().await.unwrap();
        let store = Store::open(&store::StoreOptions::new(url, 2))
            .await
            .unwrap();
        let mut config = Config::default();
        config.auth.argon2_memory_kib = 64;
        config.auth.argon2_iterations = 1;
        config.cards.fingerprint_key = crate::demo_cards::DEMO_FINGERPRINT_KEY.into();
        seed(&store, &config, 60).await.unwrap();
        seed(&store, &config, 60).await.unwrap();
        crate::demo_cards::assert_seeded(&store).await;
        let mut all = Vec::new();
        let mut cursor = None;
        loop {
            let page = store
                .list_customers(
                    &CustomerQuery::default(),
                    cursor.as_ref(),
                    domain::Limit::parse(Some(100)).unwrap(),
                )
                .await
                .unwrap();
            all.extend(page.items);
            match page.next_cursor {
                Some(c) => cursor = Some(domain::Cursor::decode(&c).unwrap()),
                None => break,
            }
        }
        assert_eq!(all.len(), 60);
        // Tickets from every channel, once: 24 customers', 6 social, 2 calls.
        use domain::repo::TicketRepo;
        let tickets = store
            .tickets(
                &domain::ticket::TicketQuery::default(),
                None,
                domain::Limit::parse(Some(100)).unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(tickets.items.len(), 32);
        let channels: std::collections::BTreeSet<&str> =
            tickets.items.iter().map(|t| t.channel.as_str()).collect();
        assert_eq!(channels.len(), 5, "{channels:?}");
        // Every customer got a history of their own, also those who received a transfer
        // from a friend simulated before them.
        for c in &all {
            let q = TransactionQuery {
                customer_id: Some(c.id.clone()),
                kinds: vec![TransactionKind::TopUp],
                ..TransactionQuery::default()
            };
            let page = store
                .transactions(&q, None, domain::Limit::parse(Some(1)).unwrap())
                .await
                .unwrap();
            assert!(
                !page.items.is_empty(),
                "{} has no simulated history",
                c.display_name.as_str()
            );
        }
        assert!(
            all.iter()
                .any(|c| c.email.as_ref().map(|e| e.as_str()) == Some(DEMO_CUSTOMER_EMAIL))
        );
        assert!(
            all.iter().any(|c| c.locale == Locale::ZhCn),
            "Chinese customers in the China region"
        );
        let regions = store.regions().await.unwrap();
        let zones: Vec<_> = regions
            .iter()
            .map(|r| r.zone_abbreviation.as_str())
            .collect();
        for z in ["WIB", "WITA", "WIT", "CST"] {
            assert!(zones.contains(&z), "{z}");
        }
        let staff = store
            .list_staff(None, None, domain::Limit::parse(Some(100)).unwrap())
            .await
            .unwrap();
        assert_eq!(staff.items.len(), STAFF.len());
        for role in [Role::Agent, Role::Supervisor, Role::Admin, Role::Merchant] {
            assert!(staff.items.iter().any(|s| s.role == role), "{role:?}");
        }
        // The printed credentials work.
        let email = domain::Email::parse("agent@demo.paydesk.id").unwrap();
        assert!(store.staff_credential(&email).await.unwrap().is_some());
    }
}
