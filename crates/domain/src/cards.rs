//! Bank cards and bank accounts a customer links to the wallet: the checks on what is
//! typed (Luhn, length for the brand, expiry, BIN to bank and brand, account-number format
//! per bank), the verification lifecycle (pending, verified, failed with a reason,
//! removed) and its attempt rules. The card number and CVV never leave the request: a
//! record keeps the BIN, the last four digits and a keyed fingerprint. Storage is
//! [`CardRepo`].

use crate::ids::CustomerId;
use crate::money::Currency;
use crate::repo::RepoError;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};

string_enum!(
    /// A card network.
    CardBrand {
        /// Visa.
        Visa => "visa",
        /// Mastercard.
        Mastercard => "mastercard",
        /// JCB.
        Jcb => "jcb",
        /// American Express.
        Amex => "amex",
        /// UnionPay (银联).
        UnionPay => "unionpay",
        /// Indonesia's national payment gateway (Gerbang Pembayaran Nasional) debit cards.
        Gpn => "gpn",
    }
);

impl CardBrand {
    /// Card-number lengths the network issues.
    pub fn lengths(self) -> &'static [usize] {
        match self {
            CardBrand::Visa => &[13, 16, 19],
            CardBrand::Mastercard => &[16],
            CardBrand::Amex => &[15],
            CardBrand::Jcb | CardBrand::UnionPay | CardBrand::Gpn => &[16, 17, 18, 19],
        }
    }

    /// Digits of the card security code.
    pub fn cvv_len(self) -> usize {
        match self {
            CardBrand::Amex => 4,
            _ => 3,
        }
    }

    /// Whether `prefix` (at least 4 digits) lies in the network's published number space,
    /// so a BIN table row cannot give a Visa range to Mastercard.
    pub fn owns_prefix(self, prefix: &str) -> bool {
        let n = |len: usize| prefix.get(..len).and_then(|p| p.parse::<u32>().ok());
        match self {
            CardBrand::Visa => prefix.starts_with('4'),
            CardBrand::Mastercard => {
                n(2).is_some_and(|p| (51..=55).contains(&p))
                    || n(4).is_some_and(|p| (2221..=2720).contains(&p))
            }
            CardBrand::Amex => prefix.starts_with("34") || prefix.starts_with("37"),
            CardBrand::Jcb => n(4).is_some_and(|p| (3528..=3589).contains(&p)),
            CardBrand::UnionPay => prefix.starts_with("62") || prefix.starts_with("81"),
            CardBrand::Gpn => prefix.starts_with("9360"),
        }
    }

    /// Name people read.
    pub fn label(self) -> &'static str {
        match self {
            CardBrand::Visa => "Visa",
            CardBrand::Mastercard => "Mastercard",
            CardBrand::Jcb => "JCB",
            CardBrand::Amex => "American Express",
            CardBrand::UnionPay => "UnionPay",
            CardBrand::Gpn => "GPN",
        }
    }
}

/// A bank of the shipped table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bank {
    /// Short code (`BCA`, `ICBC`).
    pub code: String,
    /// Name.
    pub name: String,
    /// ISO 3166 country (`ID`, `CN`).
    pub country: String,
    /// Currency micro-deposits are sent in.
    pub currency: Currency,
    /// National clearing code (Indonesia's sandi bank, China's CNAPS bank code).
    pub clearing_code: String,
    /// Digits an account number of this bank has.
    pub account_lengths: Vec<usize>,
    /// Whether the operator can link this bank's cards and accounts.
    pub supported: bool,
}

/// One BIN range: card numbers whose first `from.len()` digits lie in `from..=to`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BinRange {
    /// Lowest prefix (6 or 8 digits).
    pub from: String,
    /// Highest prefix (same length).
    pub to: String,
    /// Network.
    pub brand: CardBrand,
    /// Issuing bank's code.
    pub bank: String,
    /// `published` or `illustrative` (see the table's header).
    #[serde(default)]
    pub source: String,
}

/// The shipped table of banks and BIN ranges.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct BankTable {
    /// Banks.
    #[serde(rename = "bank")]
    pub banks: Vec<Bank>,
    /// BIN ranges.
    #[serde(rename = "bin")]
    pub bins: Vec<BinRange>,
}

impl BankTable {
    /// Checks the table: unique bank codes, every range of equal-length 6 or 8 digit
    /// prefixes with `from <= to`, inside its brand's number space, of a known bank.
    pub fn validate(&self) -> Result<(), String> {
        let mut codes = std::collections::HashSet::new();
        for b in &self.banks {
            if !codes.insert(b.code.as_str()) {
                return Err(format!("bank {} appears twice", b.code));
            }
            if b.account_lengths.is_empty()
                || b.account_lengths.iter().any(|l| !(6..=20).contains(l))
            {
                return Err(format!("bank {} has unusable account lengths", b.code));
            }
        }
        for r in &self.bins {
            let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
            if !matches!(r.from.len(), 6 | 8)
                || r.from.len() != r.to.len()
                || !digits(&r.from)
                || !digits(&r.to)
                || r.from > r.to
            {
                return Err(format!("BIN range {}-{} is malformed", r.from, r.to));
            }
            if !r.brand.owns_prefix(&r.from) || !r.brand.owns_prefix(&r.to) {
                return Err(format!(
                    "BIN range {}-{} is not in {}'s number space",
                    r.from,
                    r.to,
                    r.brand.as_str()
                ));
            }
            if !codes.contains(r.bank.as_str()) {
                return Err(format!(
                    "BIN range {}-{} names unknown bank {}",
                    r.from, r.to, r.bank
                ));
            }
        }
        Ok(())
    }

    /// A bank by code (case-insensitive).
    pub fn bank(&self, code: &str) -> Option<&Bank> {
        self.banks
            .iter()
            .find(|b| b.code.eq_ignore_ascii_case(code.trim()))
    }

    /// The most specific range holding this card number (8-digit ranges before 6-digit).
    pub fn lookup(&self, pan: &str) -> Option<&BinRange> {
        self.bins
            .iter()
            .filter(|r| {
                pan.get(..r.from.len())
                    .is_some_and(|p| p >= r.from.as_str() && p <= r.to.as_str())
            })
            .max_by_key(|r| r.from.len())
    }

    /// Checks a typed card. `today` is `(year, month)` in the customer's time zone: a card
    /// is good through the last day of its expiry month.
    pub fn check_card(
        &self,
        input: &CardInput,
        today: (i16, i8),
    ) -> Result<CheckedCard, LinkProblem> {
        let pan = normalize_digits(&input.number).ok_or(LinkProblem::NumberMalformed)?;
        if !(12..=19).contains(&pan.len()) {
            return Err(LinkProblem::NumberMalformed);
        }
        if !luhn_valid(&pan) {
            return Err(LinkProblem::LuhnFailed);
        }
        let range = self.lookup(&pan).ok_or(LinkProblem::UnknownBin)?;
        if !range.brand.lengths().contains(&pan.len()) {
            return Err(LinkProblem::WrongLength);
        }
        let bank = self.bank(&range.bank).ok_or(LinkProblem::UnknownBin)?;
        if !bank.supported {
            return Err(LinkProblem::BankNotSupported);
        }
        let (year, month) = parse_expiry(input.expiry_month, input.expiry_year)
            .ok_or(LinkProblem::ExpiryInvalid)?;
        if (year, month) < today {
            return Err(LinkProblem::Expired);
        }
        if let Some(cvv) = input
            .cvv
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
            && (cvv.len() != range.brand.cvv_len() || !cvv.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(LinkProblem::CvvInvalid);
        }
        // PCI DSS 4.0 §3.4.1: first eight digits may be kept for 16+ digit numbers, six otherwise.
        let bin_len = if pan.len() >= 16 { 8 } else { 6 };
        Ok(CheckedCard {
            bin: pan[..bin_len].to_owned(),
            last4: pan[pan.len() - 4..].to_owned(),
            brand: range.brand,
            bank: bank.clone(),
            expiry_month: month,
            expiry_year: year,
            pan,
        })
    }

    /// Checks a typed bank account number against its bank's format.
    pub fn check_account(
        &self,
        bank_code: &str,
        number: &str,
    ) -> Result<CheckedAccount, LinkProblem> {
        let bank = self.bank(bank_code).ok_or(LinkProblem::UnknownBank)?;
        let digits = normalize_digits(number).ok_or(LinkProblem::AccountNumberInvalid)?;
        if !bank.account_lengths.contains(&digits.len()) {
            return Err(LinkProblem::AccountNumberInvalid);
        }
        if !bank.supported {
            return Err(LinkProblem::BankNotSupported);
        }
        Ok(CheckedAccount {
            bank: bank.clone(),
            last4: digits[digits.len() - 4..].to_owned(),
            number: digits,
        })
    }
}

/// Digits of a typed number with spaces and dashes removed; `None` if anything else.
pub fn normalize_digits(typed: &str) -> Option<String> {
    let mut out = String::with_capacity(typed.len());
    for c in typed.chars() {
        match c {
            '0'..='9' => out.push(c),
            ' ' | '-' | '\u{a0}' => {}
            _ => return None,
        }
    }
    (!out.is_empty()).then_some(out)
}

/// The Luhn (mod 10) check of ISO/IEC 7812-1 over a string of digits.
pub fn luhn_valid(digits: &str) -> bool {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// The Luhn check digit that completes `partial` (for tests and demo data).
pub fn luhn_check_digit(partial: &str) -> char {
    for d in b'0'..=b'9' {
        let candidate = format!("{partial}{}", d as char);
        if luhn_valid(&candidate) {
            return d as char;
        }
    }
    '0'
}

/// `(year, month)` of a typed expiry; two-digit years are 20YY.
fn parse_expiry(month: u8, year: u16) -> Option<(i16, i8)> {
    if !(1..=12).contains(&month) {
        return None;
    }
    let year = match year {
        0..=99 => 2000 + year,
        2000..=2199 => year,
        _ => return None,
    };
    Some((i16::try_from(year).ok()?, i8::try_from(month).ok()?))
}

/// A card as the customer typed it. `Debug` never shows the number or the CVV.
#[derive(Clone, Deserialize)]
pub struct CardInput {
    /// Card number (spaces and dashes allowed).
    pub number: String,
    /// Expiry month 1-12.
    pub expiry_month: u8,
    /// Expiry year (`2028` or `28`).
    pub expiry_year: u16,
    /// Security code, if the form asks for it; checked for form, passed to the issuer, never stored.
    pub cvv: Option<String>,
}

impl std::fmt::Debug for CardInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CardInput")
            .field("number", &"<redacted>")
            .field("expiry_month", &self.expiry_month)
            .field("expiry_year", &self.expiry_year)
            .field("cvv", &"<redacted>")
            .finish()
    }
}

/// A card that passed the checks. Holds the full number for the fingerprint and the
/// issuer call only; `Debug` hides it.
#[derive(Clone)]
pub struct CheckedCard {
    /// The full number (never stored).
    pub pan: String,
    /// First 8 digits (6 for numbers shorter than 16).
    pub bin: String,
    /// Last four digits.
    pub last4: String,
    /// Network.
    pub brand: CardBrand,
    /// Issuing bank.
    pub bank: Bank,
    /// Expiry month.
    pub expiry_month: i8,
    /// Expiry year.
    pub expiry_year: i16,
}

impl std::fmt::Debug for CheckedCard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CheckedCard")
            .field("bin", &self.bin)
            .field("last4", &self.last4)
            .field("brand", &self.brand)
            .field("bank", &self.bank.code)
            .finish_non_exhaustive()
    }
}

/// A bank account that passed the format check. `Debug` hides the number.
#[derive(Clone)]
pub struct CheckedAccount {
    /// The bank.
    pub bank: Bank,
    /// The full number (never stored).
    pub number: String,
    /// Last four digits.
    pub last4: String,
}

impl std::fmt::Debug for CheckedAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CheckedAccount")
            .field("bank", &self.bank.code)
            .field("last4", &self.last4)
            .finish_non_exhaustive()
    }
}

/// What the keyed fingerprint is computed over: the kind and the full number, so a card
/// and an account with the same digits never collide.
pub fn fingerprint_material(kind: MethodKind, bank: &str, number: &str) -> String {
    match kind {
        MethodKind::Card => format!("card:{number}"),
        MethodKind::BankAccount => format!("account:{}:{number}", bank.to_ascii_uppercase()),
    }
}

string_enum!(
    /// Why linking or verifying did not work. Each has a message in every language and a
    /// help article.
    LinkProblem {
        /// Not 12-19 digits.
        NumberMalformed => "number_malformed",
        /// The check digit is wrong: a typo.
        LuhnFailed => "luhn_failed",
        /// A length this brand does not issue.
        WrongLength => "wrong_length",
        /// No bank in the table issues this number.
        UnknownBin => "unknown_bin",
        /// The bank code is not in the table.
        UnknownBank => "unknown_bank",
        /// The bank is known but cannot be linked.
        BankNotSupported => "bank_not_supported",
        /// Month not 1-12 or a year that is not a year.
        ExpiryInvalid => "expiry_invalid",
        /// The card expired.
        Expired => "expired",
        /// Security code of the wrong length.
        CvvInvalid => "cvv_invalid",
        /// Account number not in the bank's format.
        AccountNumberInvalid => "account_number_invalid",
        /// The customer has as many as allowed.
        LimitReached => "limit_reached",
        /// This card or account is already linked to this wallet.
        AlreadyLinked => "already_linked",
        /// The one-time code was wrong.
        CodeWrong => "code_wrong",
        /// The micro-deposit amounts were wrong.
        AmountsWrong => "amounts_wrong",
        /// Too many wrong codes or amounts: the link failed.
        AttemptsExhausted => "attempts_exhausted",
        /// The verification was not finished in time.
        VerificationExpired => "verification_expired",
        /// The issuer refused to send a code for this card.
        IssuerDeclined => "issuer_declined",
        /// The issuer did not answer.
        IssuerUnavailable => "issuer_unavailable",
        /// The record is not waiting for this verification (already verified, failed or removed).
        NotPending => "not_pending",
    }
);

impl LinkProblem {
    /// Message-catalogue key (`cards-problem-luhn-failed`).
    pub fn message_key(self) -> String {
        format!("cards-problem-{}", self.as_str().replace('_', "-"))
    }

    /// Slug of the help article that explains what to do.
    pub fn help_slug(self) -> &'static str {
        use LinkProblem::*;
        match self {
            NumberMalformed | LuhnFailed | WrongLength | CvvInvalid => "card-number-invalid",
            UnknownBin | UnknownBank | BankNotSupported => "bank-not-supported",
            ExpiryInvalid | Expired => "card-expired",
            AccountNumberInvalid => "bank-account-number-invalid",
            LimitReached => "card-limit-reached",
            AlreadyLinked | NotPending => "link-bank-card",
            CodeWrong | AmountsWrong | AttemptsExhausted | VerificationExpired | IssuerDeclined => {
                "card-verification-failed"
            }
            IssuerUnavailable => "payment-failed-bank-unavailable",
        }
    }

    /// The input field it is about, for forms and problem details.
    pub fn field(self) -> &'static str {
        use LinkProblem::*;
        match self {
            NumberMalformed | LuhnFailed | WrongLength | UnknownBin | BankNotSupported => "number",
            ExpiryInvalid | Expired => "expiry",
            CvvInvalid => "cvv",
            UnknownBank => "bank_code",
            AccountNumberInvalid => "account_number",
            CodeWrong => "code",
            AmountsWrong => "amounts",
            _ => "",
        }
    }
}

string_enum!(
    /// A card or a bank account.
    MethodKind {
        /// A debit or credit card.
        Card => "card",
        /// A bank account.
        BankAccount => "bank_account",
    }
);

string_enum!(
    /// Where a linked card or account stands.
    LinkState {
        /// Added; the customer still has to prove it is theirs.
        PendingVerification => "pending_verification",
        /// Proven; usable.
        Verified => "verified",
        /// Verification failed (see the reason); add it again to retry.
        Failed => "failed",
        /// Removed by the customer.
        Removed => "removed",
    }
);

string_enum!(
    /// How the customer proves the card or account is theirs.
    LinkVerification {
        /// A one-time code the issuer sends to the holder.
        IssuerOtp => "issuer_otp",
        /// Two small amounts paid into the account, which the customer reads back.
        MicroDeposits => "micro_deposits",
    }
);

string_enum!(
    /// Why agents should look at a linked card or account.
    RiskFlag {
        /// The same card or account (same fingerprint) is linked to another customer.
        SharedWithOtherCustomer => "shared_with_other_customer",
    }
);

/// Wrong answers allowed before a verification fails.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 3;

/// A stored card or bank account: never the full number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkedMethod {
    /// Id.
    pub id: String,
    /// Owner.
    pub customer_id: CustomerId,
    /// Card or bank account.
    pub kind: MethodKind,
    /// Bank code of the table.
    pub bank_code: String,
    /// Network (cards).
    pub brand: Option<CardBrand>,
    /// First digits (cards).
    pub bin: Option<String>,
    /// Last four digits.
    pub last4: String,
    /// Keyed HMAC-SHA256 of the full number (hex).
    pub fingerprint: String,
    /// Expiry month (cards).
    pub expiry_month: Option<i8>,
    /// Expiry year (cards).
    pub expiry_year: Option<i16>,
    /// Name on the card or account.
    pub holder_name: String,
    /// Lifecycle state.
    pub state: LinkState,
    /// How it is verified.
    pub verification: LinkVerification,
    /// Why it failed.
    pub failure: Option<LinkProblem>,
    /// Wrong answers so far.
    pub attempts: u32,
    /// Wrong answers allowed.
    pub max_attempts: u32,
    /// The issuer's id of the one-time-code challenge.
    pub otp_challenge: Option<String>,
    /// The two micro-deposits (minor units), compared with what the customer types.
    pub deposits: Option<(i64, i64)>,
    /// Currency of the deposits.
    pub deposit_currency: Option<Currency>,
    /// Verification must finish before this (µs).
    pub verify_by_us: i64,
    /// Risk flag for agents.
    pub risk: Option<RiskFlag>,
    /// Created (µs).
    pub created_at_us: i64,
    /// Last change (µs).
    pub updated_at_us: i64,
}

impl LinkedMethod {
    /// `•••• 1234` style mask with brand or bank, for lists.
    pub fn masked(&self) -> String {
        format!("•••• {}", self.last4)
    }

    /// Whether it counts towards the limit and blocks linking the same number again.
    pub fn is_active(&self) -> bool {
        matches!(
            self.state,
            LinkState::PendingVerification | LinkState::Verified
        )
    }
}

/// The result of one verification answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptResult {
    /// Right: verified.
    Verified,
    /// Wrong; `left` more tries.
    Wrong {
        /// Tries left.
        left: u32,
    },
    /// Wrong, and that was the last try: failed.
    Exhausted,
}

/// Applies one answer to a pending record; `Err` if it cannot take answers now.
pub fn apply_attempt(
    m: &LinkedMethod,
    correct: bool,
    now_us: i64,
) -> Result<(LinkedMethod, AttemptResult), LinkProblem> {
    if m.state != LinkState::PendingVerification {
        return Err(LinkProblem::NotPending);
    }
    let mut next = m.clone();
    next.updated_at_us = now_us;
    if now_us > m.verify_by_us {
        next.state = LinkState::Failed;
        next.failure = Some(LinkProblem::VerificationExpired);
        return Ok((next, AttemptResult::Exhausted));
    }
    if correct {
        next.state = LinkState::Verified;
        return Ok((next, AttemptResult::Verified));
    }
    next.attempts = m.attempts + 1;
    if next.attempts >= m.max_attempts {
        next.state = LinkState::Failed;
        next.failure = Some(LinkProblem::AttemptsExhausted);
        return Ok((next, AttemptResult::Exhausted));
    }
    let left = m.max_attempts - next.attempts;
    Ok((next, AttemptResult::Wrong { left }))
}

/// Two different micro-deposit amounts (minor units) from random bytes: whole rupiah
/// 100-999 in IDR (shown without decimals), 0.01-0.99 in other currencies.
pub fn micro_deposit_amounts(currency: Currency, random: [u16; 2]) -> (i64, i64) {
    let pick = |r: u16| -> i64 {
        match currency {
            Currency::IDR => (100 + i64::from(r % 900)) * 100,
            _ => 1 + i64::from(r % 99),
        }
    };
    let a = pick(random[0]);
    let mut b = pick(random[1]);
    if a == b {
        b = pick(random[1].wrapping_add(1));
    }
    (a, b)
}

/// Reads an amount as the customer types it from their bank statement (`537`, `Rp 537`,
/// `0.37`, `¥0.37`) into minor units; `None` if it is not an amount.
pub fn parse_typed_amount(currency: Currency, typed: &str) -> Option<i64> {
    let cleaned: String = typed
        .trim()
        .trim_start_matches("Rp")
        .trim_start_matches("IDR")
        .trim_start_matches("CNY")
        .trim_start_matches(['¥', '￥'])
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let exp = currency.exponent() as usize;
    let (whole, frac) = match cleaned.split_once(['.', ',']) {
        Some((w, f)) => (w, f),
        None => (cleaned.as_str(), ""),
    };
    if whole.is_empty() && frac.is_empty() {
        return None;
    }
    if !whole.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
        || frac.len() > exp
    {
        return None;
    }
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let mut frac_val: i64 = if frac.is_empty() {
        0
    } else {
        frac.parse().ok()?
    };
    for _ in frac.len()..exp {
        frac_val *= 10;
    }
    whole
        .checked_mul(10_i64.pow(exp as u32))?
        .checked_add(frac_val)
}

/// Whether the two typed amounts are the deposits, in either order.
pub fn deposits_match(deposits: (i64, i64), typed: (i64, i64)) -> bool {
    typed == deposits || (typed.1, typed.0) == deposits
}

/// A new card or account to store.
#[derive(Debug, Clone)]
pub struct NewLinkedMethod {
    /// The record (state pending verification).
    pub method: LinkedMethod,
    /// Most active records of this kind the customer may have.
    pub limit: u32,
}

/// What storing a new record did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkOutcome {
    /// Stored; `shared_with` lists other customers with the same fingerprint (now flagged).
    Linked {
        /// The stored record.
        method: Box<LinkedMethod>,
        /// Customers who have the same card or account active.
        shared_with: Vec<CustomerId>,
    },
    /// Refused; nothing stored.
    Refused(LinkProblem),
}

/// Storage of linked cards and accounts.
#[async_trait]
pub trait CardRepo: Send + Sync {
    /// Stores a new record in one transaction with the limit and duplicate checks: the
    /// customer's active records of the kind are counted and their fingerprints compared
    /// under a lock, so two concurrent adds cannot both pass. Other customers' active
    /// records with the same fingerprint get the risk flag, and so does the new one.
    /// With `deposits`, the micro-deposits are posted through the ledger in the same transaction.
    async fn link_method(
        &self,
        new: &NewLinkedMethod,
        now_us: i64,
    ) -> Result<LinkOutcome, RepoError>;
    /// One record (any state).
    async fn linked_method(&self, id: &str) -> Result<LinkedMethod, RepoError>;
    /// A customer's records, newest first; removed ones only with `include_removed`.
    async fn linked_methods(
        &self,
        customer: &CustomerId,
        include_removed: bool,
    ) -> Result<Vec<LinkedMethod>, RepoError>;
    /// Active records of how many customers count this fingerprint (for tests and agents).
    async fn fingerprint_holders(&self, fingerprint: &str) -> Result<Vec<CustomerId>, RepoError>;
    /// Applies one verification answer with [`apply_attempt`] under a row lock, so
    /// concurrent answers cannot both use the last try.
    async fn answer_link_verification(
        &self,
        id: &str,
        correct: bool,
        now_us: i64,
    ) -> Result<Result<(LinkedMethod, AttemptResult), LinkProblem>, RepoError>;
    /// Ends a pending verification as failed with a reason (the issuer declined).
    async fn fail_verification(
        &self,
        id: &str,
        reason: LinkProblem,
        now_us: i64,
    ) -> Result<LinkedMethod, RepoError>;
    /// Marks a record removed; `NotFound` if it is not this customer's.
    async fn remove_method(
        &self,
        id: &str,
        customer: &CustomerId,
        now_us: i64,
    ) -> Result<LinkedMethod, RepoError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> BankTable {
        let bank = |code: &str, country: &str, lengths: Vec<usize>, supported: bool| Bank {
            code: code.into(),
            name: code.into(),
            country: country.into(),
            currency: if country == "CN" {
                Currency::CNY
            } else {
                Currency::IDR
            },
            clearing_code: "000".into(),
            account_lengths: lengths,
            supported,
        };
        let bin = |from: &str, to: &str, brand, bank: &str| BinRange {
            from: from.into(),
            to: to.into(),
            brand,
            bank: bank.into(),
            source: "test".into(),
        };
        let t = BankTable {
            banks: vec![
                bank("BCA", "ID", vec![10], true),
                bank("MANDIRI", "ID", vec![13], true),
                bank("BRI", "ID", vec![15], true),
                bank("BNI", "ID", vec![10], true),
                bank("BTN", "ID", vec![16], false),
                bank("ICBC", "CN", vec![16, 17, 18, 19], true),
            ],
            bins: vec![
                bin("455600", "455699", CardBrand::Visa, "BCA"),
                bin("524200", "524299", CardBrand::Mastercard, "MANDIRI"),
                bin("222310", "222319", CardBrand::Mastercard, "BNI"),
                bin("356200", "356299", CardBrand::Jcb, "BCA"),
                bin("374200", "374299", CardBrand::Amex, "BNI"),
                bin("622202", "622202", CardBrand::UnionPay, "ICBC"),
                bin("93600014", "93600014", CardBrand::Gpn, "BCA"),
                bin("93600200", "93600200", CardBrand::Gpn, "BTN"),
                bin("489100", "489199", CardBrand::Visa, "BTN"),
            ],
        };
        t.validate().unwrap();
        t
    }

    /// A Luhn-valid number of `len` digits starting with `prefix`.
    fn valid(prefix: &str, len: usize) -> String {
        let mut s = prefix.to_owned();
        let mut i = 0u8;
        while s.len() < len - 1 {
            s.push((b'0' + (i * 7 + 3) % 10) as char);
            i += 1;
        }
        let d = luhn_check_digit(&s);
        s.push(d);
        s
    }

    /// Same digits with the check digit changed.
    fn broken(n: &str) -> String {
        let mut s = n.to_owned();
        let last = s.pop().unwrap();
        s.push(if last == '9' {
            '0'
        } else {
            (last as u8 + 1) as char
        });
        s
    }

    fn card(number: &str) -> CardInput {
        CardInput {
            number: number.into(),
            expiry_month: 12,
            expiry_year: 2030,
            cvv: None,
        }
    }

    const TODAY: (i16, i8) = (2026, 11);

    #[test]
    fn luhn_accepts_the_well_known_test_numbers_and_refuses_typos() {
        for n in [
            "4111111111111111",
            "4012888888881881",
            "5555555555554444",
            "2223003122003222",
            "378282246310005",
            "3566002020360505",
            "6200000000000005",
            "79927398713",
        ] {
            assert!(luhn_valid(n), "{n}");
            assert!(!luhn_valid(&broken(n)), "{n} with a typo");
        }
        // Two neighbouring digits swapped: Luhn catches it (except 09/90).
        assert!(!luhn_valid("4111111111111121"));
        assert!(!luhn_valid(""));
        assert!(!luhn_valid("4111-1111"));
    }

    #[test]
    fn valid_cards_of_every_brand_map_to_bank_and_brand() {
        let t = table();
        let cases = [
            (valid("455612", 16), CardBrand::Visa, "BCA"),
            (valid("455612", 13), CardBrand::Visa, "BCA"),
            (valid("455612", 19), CardBrand::Visa, "BCA"),
            (valid("524211", 16), CardBrand::Mastercard, "MANDIRI"),
            (valid("222315", 16), CardBrand::Mastercard, "BNI"),
            (valid("356250", 16), CardBrand::Jcb, "BCA"),
            (valid("356250", 19), CardBrand::Jcb, "BCA"),
            (valid("374245", 15), CardBrand::Amex, "BNI"),
            (valid("622202", 19), CardBrand::UnionPay, "ICBC"),
            (valid("622202", 16), CardBrand::UnionPay, "ICBC"),
            (valid("93600014", 16), CardBrand::Gpn, "BCA"),
            (valid("93600014", 19), CardBrand::Gpn, "BCA"),
        ];
        for (n, brand, bank) in cases {
            let c = t
                .check_card(&card(&n), TODAY)
                .unwrap_or_else(|e| panic!("{n}: {e:?}"));
            assert_eq!((c.brand, c.bank.code.as_str()), (brand, bank), "{n}");
            assert_eq!(c.last4, &n[n.len() - 4..]);
            assert!(
                n.starts_with(&c.bin) && c.bin.len() >= 6,
                "{n}: bin {}",
                c.bin
            );
            // Spaces and dashes as printed on the card are fine.
            let spaced: String = n
                .chars()
                .enumerate()
                .flat_map(|(i, ch)| {
                    if i > 0 && i % 4 == 0 {
                        vec![' ', ch]
                    } else {
                        vec![ch]
                    }
                })
                .collect();
            assert!(t.check_card(&card(&spaced), TODAY).is_ok(), "{spaced}");
        }
    }

    #[test]
    fn invalid_cards_say_why() {
        let t = table();
        let cases: Vec<(String, LinkProblem)> = vec![
            ("4556 12ab 3456 7890".into(), LinkProblem::NumberMalformed),
            ("45561".into(), LinkProblem::NumberMalformed),
            (valid("455612", 20), LinkProblem::NumberMalformed),
            (broken(&valid("455612", 16)), LinkProblem::LuhnFailed),
            (broken(&valid("622202", 19)), LinkProblem::LuhnFailed),
            (broken(&valid("374245", 15)), LinkProblem::LuhnFailed),
            // Luhn-valid, but a length the brand does not issue.
            (valid("455612", 15), LinkProblem::WrongLength),
            (valid("524211", 19), LinkProblem::WrongLength),
            (valid("374245", 16), LinkProblem::WrongLength),
            (valid("356250", 15), LinkProblem::WrongLength),
            (valid("622202", 15), LinkProblem::WrongLength),
            // Well-formed numbers no bank in the table issues.
            ("4111111111111111".into(), LinkProblem::UnknownBin),
            ("5555555555554444".into(), LinkProblem::UnknownBin),
            (valid("93600099", 16), LinkProblem::UnknownBin),
            // Known, but the operator has no agreement with the bank.
            (valid("489155", 16), LinkProblem::BankNotSupported),
            (valid("93600200", 16), LinkProblem::BankNotSupported),
        ];
        for (n, want) in cases {
            assert_eq!(t.check_card(&card(&n), TODAY).err(), Some(want), "{n}");
        }
    }

    #[test]
    fn expiry_runs_to_the_end_of_the_month_in_the_customers_zone() {
        let t = table();
        let n = valid("455612", 16);
        let at = |m, y| CardInput {
            expiry_month: m,
            expiry_year: y,
            ..card(&n)
        };
        assert!(
            t.check_card(&at(11, 2026), TODAY).is_ok(),
            "this month is still good"
        );
        assert!(t.check_card(&at(11, 26), TODAY).is_ok(), "two-digit year");
        assert_eq!(
            t.check_card(&at(10, 2026), TODAY).err(),
            Some(LinkProblem::Expired)
        );
        assert_eq!(
            t.check_card(&at(12, 2025), TODAY).err(),
            Some(LinkProblem::Expired)
        );
        assert_eq!(
            t.check_card(&at(13, 2027), TODAY).err(),
            Some(LinkProblem::ExpiryInvalid)
        );
        assert_eq!(
            t.check_card(&at(0, 2027), TODAY).err(),
            Some(LinkProblem::ExpiryInvalid)
        );
        assert_eq!(
            t.check_card(&at(1, 1999), TODAY).err(),
            Some(LinkProblem::ExpiryInvalid)
        );
        // On 1 December in Jakarta a November card has expired, though it is still
        // November in UTC for a few hours: the caller passes the customer's month.
        assert_eq!(
            t.check_card(&at(11, 2026), (2026, 12)).err(),
            Some(LinkProblem::Expired)
        );
    }

    #[test]
    fn cvv_length_follows_the_brand() {
        let t = table();
        let visa = CardInput {
            cvv: Some("123".into()),
            ..card(&valid("455612", 16))
        };
        assert!(t.check_card(&visa, TODAY).is_ok());
        let visa4 = CardInput {
            cvv: Some("1234".into()),
            ..visa.clone()
        };
        assert_eq!(
            t.check_card(&visa4, TODAY).err(),
            Some(LinkProblem::CvvInvalid)
        );
        let amex = CardInput {
            cvv: Some("1234".into()),
            ..card(&valid("374245", 15))
        };
        assert!(t.check_card(&amex, TODAY).is_ok());
    }

    #[test]
    fn bank_account_formats_are_per_bank() {
        let t = table();
        let ok = [
            ("BCA", "1234567890"),
            ("bca", "123-456-7890"),
            ("MANDIRI", "1230001234567"),
            ("BRI", "123401000123456"),
            ("BNI", "0123456789"),
            ("ICBC", "6222020200112233445"),
            ("ICBC", "6222020200112233"),
        ];
        for (bank, n) in ok {
            let a = t
                .check_account(bank, n)
                .unwrap_or_else(|e| panic!("{bank} {n}: {e:?}"));
            assert_eq!(a.last4, &a.number[a.number.len() - 4..]);
        }
        let bad = [
            ("BCA", "123456789", LinkProblem::AccountNumberInvalid),
            ("BCA", "12345678901", LinkProblem::AccountNumberInvalid),
            ("MANDIRI", "1234567890", LinkProblem::AccountNumberInvalid),
            ("BRI", "1234567890123", LinkProblem::AccountNumberInvalid),
            ("BNI", "12345abcde", LinkProblem::AccountNumberInvalid),
            ("ICBC", "123456789012345", LinkProblem::AccountNumberInvalid),
            (
                "ICBC",
                "12345678901234567890",
                LinkProblem::AccountNumberInvalid,
            ),
            ("XYZ", "1234567890", LinkProblem::UnknownBank),
            ("BTN", "1234567890123456", LinkProblem::BankNotSupported),
        ];
        for (bank, n, want) in bad {
            assert_eq!(t.check_account(bank, n).err(), Some(want), "{bank} {n}");
        }
    }

    #[test]
    fn malformed_tables_are_refused() {
        let mut t = table();
        t.bins.push(BinRange {
            from: "455600".into(),
            to: "4556".into(),
            brand: CardBrand::Visa,
            bank: "BCA".into(),
            source: String::new(),
        });
        assert!(t.validate().is_err());
        let mut t = table();
        t.bins.push(BinRange {
            from: "512345".into(),
            to: "512345".into(),
            brand: CardBrand::Visa,
            bank: "BCA".into(),
            source: String::new(),
        });
        assert!(t.validate().unwrap_err().contains("number space"));
        let mut t = table();
        t.bins.push(BinRange {
            from: "455600".into(),
            to: "455600".into(),
            brand: CardBrand::Visa,
            bank: "NOPE".into(),
            source: String::new(),
        });
        assert!(t.validate().is_err());
    }

    #[test]
    fn every_problem_has_a_help_article_and_message_key() {
        for p in LinkProblem::ALL {
            assert!(!p.help_slug().is_empty());
            assert!(p.message_key().starts_with("cards-problem-"));
        }
        assert_eq!(
            LinkProblem::LuhnFailed.message_key(),
            "cards-problem-luhn-failed"
        );
    }

    fn pending() -> LinkedMethod {
        LinkedMethod {
            id: "m".into(),
            customer_id: CustomerId::new(),
            kind: MethodKind::Card,
            bank_code: "BCA".into(),
            brand: Some(CardBrand::Visa),
            bin: Some("45561234".into()),
            last4: "1234".into(),
            fingerprint: "f".into(),
            expiry_month: Some(12),
            expiry_year: Some(2030),
            holder_name: "Siti".into(),
            state: LinkState::PendingVerification,
            verification: LinkVerification::IssuerOtp,
            failure: None,
            attempts: 0,
            max_attempts: 3,
            otp_challenge: Some("c".into()),
            deposits: None,
            deposit_currency: None,
            verify_by_us: 1_000,
            risk: None,
            created_at_us: 0,
            updated_at_us: 0,
        }
    }

    #[test]
    fn attempts_run_out_and_late_answers_fail() {
        let m = pending();
        let (m1, r) = apply_attempt(&m, false, 10).unwrap();
        assert_eq!(r, AttemptResult::Wrong { left: 2 });
        let (m2, r) = apply_attempt(&m1, false, 10).unwrap();
        assert_eq!(r, AttemptResult::Wrong { left: 1 });
        let (m3, r) = apply_attempt(&m2, false, 10).unwrap();
        assert_eq!(r, AttemptResult::Exhausted);
        assert_eq!(
            (m3.state, m3.failure),
            (LinkState::Failed, Some(LinkProblem::AttemptsExhausted))
        );
        // A failed record takes no more answers, not even the right one.
        assert_eq!(
            apply_attempt(&m3, true, 10).unwrap_err(),
            LinkProblem::NotPending
        );
        let (ok, r) = apply_attempt(&m2, true, 10).unwrap();
        assert_eq!(
            (ok.state, r),
            (LinkState::Verified, AttemptResult::Verified)
        );
        let (late, _) = apply_attempt(&m, true, 1_001).unwrap();
        assert_eq!(late.failure, Some(LinkProblem::VerificationExpired));
    }

    #[test]
    fn micro_deposits_differ_and_read_back_as_typed() {
        for r in [[0u16, 0], [5, 5], [899, 1799], [65535, 65535]] {
            let (a, b) = micro_deposit_amounts(Currency::IDR, r);
            assert_ne!(a, b);
            assert!((100_00..=999_00).contains(&a) && (100_00..=999_00).contains(&b));
            assert_eq!(a % 100, 0);
            let (a, b) = micro_deposit_amounts(Currency::CNY, r);
            assert_ne!(a, b);
            assert!((1..=99).contains(&a) && (1..=99).contains(&b));
        }
        assert_eq!(parse_typed_amount(Currency::IDR, "537"), Some(537_00));
        assert_eq!(parse_typed_amount(Currency::IDR, "Rp 537"), Some(537_00));
        assert_eq!(parse_typed_amount(Currency::CNY, "0.37"), Some(37));
        assert_eq!(parse_typed_amount(Currency::CNY, "¥0.3"), Some(30));
        assert_eq!(parse_typed_amount(Currency::CNY, ".05"), Some(5));
        assert_eq!(parse_typed_amount(Currency::CNY, "0.375"), None);
        assert_eq!(parse_typed_amount(Currency::IDR, "abc"), None);
        assert_eq!(parse_typed_amount(Currency::IDR, ""), None);
        assert!(deposits_match((10, 20), (20, 10)));
        assert!(!deposits_match((10, 20), (10, 10)));
    }

    #[test]
    fn debug_output_never_shows_the_number() {
        let n = valid("455612", 16);
        let input = CardInput {
            cvv: Some("987".into()),
            ..card(&n)
        };
        let shown = format!("{input:?}");
        assert!(!shown.contains(&n) && !shown.contains("987"), "{shown}");
        let checked = table().check_card(&input, TODAY).unwrap();
        assert!(!format!("{checked:?}").contains(&n));
        let acct = table().check_account("BCA", "1234567890").unwrap();
        assert!(!format!("{acct:?}").contains("1234567890"));
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn changing_one_digit_always_breaks_luhn(body in "[0-9]{11,18}", pos in 0usize..19, delta in 1u8..10) {
                let d = luhn_check_digit(&body);
                let n = format!("{body}{d}");
                prop_assert!(luhn_valid(&n));
                let pos = pos % n.len();
                let mut bytes = n.into_bytes();
                bytes[pos] = b'0' + (bytes[pos] - b'0' + delta) % 10;
                prop_assert!(!luhn_valid(&String::from_utf8(bytes).unwrap()));
            }

            #[test]
            fn typed_amounts_round_trip(minor in 0i64..10_000_000) {
                let typed = format!("{}.{:02}", minor / 100, minor % 100);
                prop_assert_eq!(parse_typed_amount(Currency::CNY, &typed), Some(minor));
            }
        }
    }
}
