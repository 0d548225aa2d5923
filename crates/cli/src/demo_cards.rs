//! Demo cards and bank accounts: Siti has a verified BCA Visa card, a Mandiri card whose
//! verification failed, and a BCA account waiting for its micro-deposits; another demo
//! customer has linked Siti's card too, so agents see the risk flag. Idempotent: fixed
//! ids, inserted only when absent. Numbers are generated Luhn-valid inside the sample
//! BIN table's illustrative ranges; only their fingerprints, BINs and last fours are stored.

use domain::CustomerId;
use domain::cards::{
    BankTable, CardInput, CardRepo, LinkOutcome, LinkProblem, LinkState, LinkVerification,
    LinkedMethod, MethodKind, NewLinkedMethod, luhn_check_digit, micro_deposit_amounts,
};
use domain::repo::RepoError;
use server::Config;
use store::Store;

/// Fingerprint key `paydesk demo` uses when none is configured. Public, like the demo
/// password: a server holding real cards must set its own `cards.fingerprint_key`.
pub const DEMO_FINGERPRINT_KEY: &str = "paydesk-demo-fingerprint-key-not-for-production";

/// A Luhn-valid number from a prefix and a body.
fn number(prefix: &str, body: &str, len: usize) -> String {
    let mut s = format!("{prefix}{body}");
    s.truncate(len - 1);
    let d = luhn_check_digit(&s);
    s.push(d);
    s
}

fn demo_method_id(n: u32) -> String {
    let mut bytes = [0u8; 10];
    bytes[0] = 9;
    bytes[6..10].copy_from_slice(&n.to_be_bytes());
    uuid::Builder::from_unix_timestamp_millis(
        1_704_067_200_000 + 900_000_000 + u64::from(n),
        &bytes,
    )
    .into_uuid()
    .to_string()
}

/// What one demo record is.
struct Seed<'a> {
    n: u32,
    customer: &'a CustomerId,
    kind: MethodKind,
    bank: &'a str,
    number: String,
    verification: LinkVerification,
    /// Final state to bring it to.
    state: LinkState,
}

async fn seed_one(
    store: &Store,
    config: &Config,
    table: &BankTable,
    s: Seed<'_>,
    now_us: i64,
) -> anyhow::Result<bool> {
    let id = demo_method_id(s.n);
    match store.linked_method(&id).await {
        Ok(_) => return Ok(false),
        Err(RepoError::NotFound) => {}
        Err(e) => return Err(e.into()),
    }
    let (brand, bin, last4, expiry, bank, currency) = match s.kind {
        MethodKind::Card => {
            let input = CardInput {
                number: s.number.clone(),
                expiry_month: 9,
                expiry_year: 2029,
                cvv: None,
            };
            let c = table
                .check_card(&input, (2026, 1))
                .map_err(|p| anyhow::anyhow!("demo card refused: {}", p.as_str()))?;
            (
                Some(c.brand),
                Some(c.bin),
                c.last4,
                Some((c.expiry_month, c.expiry_year)),
                c.bank.code,
                c.bank.currency,
            )
        }
        MethodKind::BankAccount => {
            let a = table
                .check_account(s.bank, &s.number)
                .map_err(|p| anyhow::anyhow!("demo account refused: {}", p.as_str()))?;
            (None, None, a.last4, None, a.bank.code, a.bank.currency)
        }
    };
    let fingerprint = server::cards::fingerprint(&config.cards, s.kind, &bank, &s.number)
        .ok_or_else(|| anyhow::anyhow!("no fingerprint key"))?;
    let deposits = (s.verification == LinkVerification::MicroDeposits).then(|| {
        micro_deposit_amounts(
            currency,
            [
                u16::try_from(s.n * 97).unwrap_or(1),
                u16::try_from(s.n * 31 + 5).unwrap_or(2),
            ],
        )
    });
    let method = LinkedMethod {
        id: id.clone(),
        customer_id: s.customer.clone(),
        kind: s.kind,
        bank_code: bank,
        brand,
        bin,
        last4,
        fingerprint,
        expiry_month: expiry.map(|e| e.0),
        expiry_year: expiry.map(|e| e.1),
        holder_name: String::new(),
        state: LinkState::PendingVerification,
        verification: s.verification,
        failure: None,
        attempts: 0,
        max_attempts: config.cards.max_attempts.max(1),
        otp_challenge: (s.verification == LinkVerification::IssuerOtp)
            .then(|| format!("demo-{}", s.n)),
        deposits,
        deposit_currency: deposits.map(|_| currency),
        verify_by_us: now_us + 7 * 86_400_000_000,
        risk: None,
        created_at_us: now_us,
        updated_at_us: now_us,
    };
    let limit = config.cards.max_per_customer.max(1);
    match store
        .link_method(&NewLinkedMethod { method, limit }, now_us)
        .await?
    {
        LinkOutcome::Linked { .. } => {}
        LinkOutcome::Refused(p) => anyhow::bail!("demo card {} refused: {}", s.n, p.as_str()),
    }
    match s.state {
        LinkState::Verified => {
            store
                .answer_link_verification(&id, true, now_us)
                .await?
                .map_err(|p: LinkProblem| anyhow::anyhow!(p.as_str()))?;
        }
        LinkState::Failed => {
            for _ in 0..config.cards.max_attempts.max(1) {
                store
                    .answer_link_verification(&id, false, now_us)
                    .await?
                    .map_err(|p: LinkProblem| anyhow::anyhow!(p.as_str()))?;
            }
        }
        LinkState::PendingVerification | LinkState::Removed => {}
    }
    Ok(true)
}

/// Seeds the demo cards; returns how many were new. Skipped (0) without a fingerprint key.
pub async fn seed_cards(
    store: &Store,
    config: &Config,
    siti: &CustomerId,
    other: Option<&CustomerId>,
    now_us: i64,
) -> anyhow::Result<usize> {
    if config.cards.fingerprint_key.is_empty() {
        return Ok(0);
    }
    let table = server::cards::bank_table();
    let visa = number("455612", "7304819265", 16);
    let mut seeds = vec![
        Seed {
            n: 0,
            customer: siti,
            kind: MethodKind::Card,
            bank: "BCA",
            number: visa.clone(),
            verification: LinkVerification::IssuerOtp,
            state: LinkState::Verified,
        },
        Seed {
            n: 1,
            customer: siti,
            kind: MethodKind::Card,
            bank: "MANDIRI",
            number: number("524211", "5820937461", 16),
            verification: LinkVerification::IssuerOtp,
            state: LinkState::Failed,
        },
        Seed {
            n: 2,
            customer: siti,
            kind: MethodKind::BankAccount,
            bank: "BCA",
            number: "5271038846".into(),
            verification: LinkVerification::MicroDeposits,
            state: LinkState::PendingVerification,
        },
    ];
    if let Some(other) = other {
        // The same Visa on another wallet: flagged for risk on both.
        seeds.push(Seed {
            n: 3,
            customer: other,
            kind: MethodKind::Card,
            bank: "BCA",
            number: visa,
            verification: LinkVerification::IssuerOtp,
            state: LinkState::Verified,
        });
    }
    let mut created = 0;
    for s in seeds {
        if seed_one(store, config, table, s, now_us).await? {
            created += 1;
        }
    }
    Ok(created)
}

/// Test support: after seeding (twice), Siti has her three records once, and her card is
/// flagged as shared with the second demo customer.
#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(crate) async fn assert_seeded(store: &Store) {
    let siti = CustomerId::from_string(crate::demo::demo_customer_id(0));
    let other = CustomerId::from_string(crate::demo::demo_customer_id(1));
    let mine = store.linked_methods(&siti, true).await.unwrap();
    assert_eq!(mine.len(), 3);
    let states: Vec<LinkState> = mine.iter().map(|m| m.state).collect();
    for s in [
        LinkState::Verified,
        LinkState::Failed,
        LinkState::PendingVerification,
    ] {
        assert!(states.contains(&s), "{states:?}");
    }
    let shared = store.linked_methods(&other, true).await.unwrap();
    assert_eq!(shared.len(), 1);
    assert!(shared[0].risk.is_some());
    assert!(
        mine.iter()
            .any(|m| m.risk.is_some() && m.fingerprint == shared[0].fingerprint)
    );
}
