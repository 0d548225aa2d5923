//! Who uses paydesk: customers and staff, their roles, and the values that identify them.

use crate::ids::{CustomerId, GroupId, MerchantId, RegionId, StaffId, UserId};
use crate::locale::Locale;
use crate::validation::ValidationError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// What a signed-in person may do. Customers and staff sign in separately.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// An end customer of the wallet.
    Customer,
    /// A support agent.
    Agent,
    /// Leads agents; receives escalations.
    Supervisor,
    /// Configures paydesk: staff, hours, FAQ.
    Admin,
    /// Staff of one merchant, seeing only that merchant's records.
    Merchant,
}

impl Role {
    /// Stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Customer => "customer",
            Role::Agent => "agent",
            Role::Supervisor => "supervisor",
            Role::Admin => "admin",
            Role::Merchant => "merchant",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "customer" => Some(Role::Customer),
            "agent" => Some(Role::Agent),
            "supervisor" => Some(Role::Supervisor),
            "admin" => Some(Role::Admin),
            "merchant" => Some(Role::Merchant),
            _ => None,
        }
    }

    /// The operator's own support staff (not merchants, not customers).
    pub fn is_support_staff(self) -> bool {
        matches!(self, Role::Agent | Role::Supervisor | Role::Admin)
    }
}

/// Whether an account may sign in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountStatus {
    /// Normal.
    Active,
    /// Blocked by the operator (fraud, request of the customer); cannot sign in.
    Suspended,
    /// Closed for good; kept for the records.
    Closed,
}

impl AccountStatus {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            AccountStatus::Active => "active",
            AccountStatus::Suspended => "suspended",
            AccountStatus::Closed => "closed",
        }
    }
    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "active" => Some(Self::Active),
            "suspended" => Some(Self::Suspended),
            "closed" => Some(Self::Closed),
            _ => None,
        }
    }
}

/// A syntactically valid, lower-cased email address. `Debug` hides it: contact details
/// are personal data and must not reach logs.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Email(String);

impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Email(***)")
    }
}

impl Email {
    /// Accepts `local@domain.tld`, trimmed and lower-cased; at most 254 characters (RFC 5321).
    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        let s = s.trim().to_lowercase();
        let bad = || {
            ValidationError::field(
                "email",
                "invalid_format",
                "enter an email address like name@example.com",
            )
        };
        if s.len() > 254 || s.chars().any(char::is_whitespace) {
            return Err(bad());
        }
        let (local, domain) = s.split_once('@').ok_or_else(bad)?;
        if local.is_empty()
            || domain.contains('@')
            || !domain.contains('.')
            || domain.starts_with('.')
            || domain.ends_with('.')
        {
            return Err(bad());
        }
        Ok(Email(s))
    }
    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A phone number in E.164 form (`+6281234567890`). `Debug` hides it (personal data).
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Phone(String);

impl fmt::Debug for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Phone(***)")
    }
}

impl Phone {
    /// Accepts E.164 with optional spaces and dashes; a leading `0` is read as an
    /// Indonesian national number (`0812…` → `+62812…`), the way customers type it.
    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        let cleaned: String = s
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '(' | ')'))
            .collect();
        let normalized = if let Some(rest) = cleaned.strip_prefix('+') {
            rest.to_owned()
        } else if let Some(rest) = cleaned.strip_prefix('0') {
            format!("62{rest}")
        } else {
            cleaned.clone()
        };
        let ok = (8..=15).contains(&normalized.len())
            && normalized.chars().all(|c| c.is_ascii_digit())
            && !normalized.starts_with('0');
        if ok {
            Ok(Phone(format!("+{normalized}")))
        } else {
            Err(ValidationError::field(
                "phone",
                "invalid_format",
                "enter a phone number like +62 812 3456 7890",
            ))
        }
    }
    /// The E.164 form.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A name shown to people: 1 to 100 characters after trimming, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DisplayName(String);

impl DisplayName {
    /// Validates a display name.
    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        let t = s.trim();
        let n = t.chars().count();
        if n == 0 {
            return Err(ValidationError::field(
                "display_name",
                "required",
                "enter a name",
            ));
        }
        if n > 100 {
            return Err(ValidationError::field(
                "display_name",
                "too_long",
                "a name has at most 100 characters",
            ));
        }
        if t.chars().any(char::is_control) {
            return Err(ValidationError::field(
                "display_name",
                "invalid_format",
                "a name cannot contain control characters",
            ));
        }
        Ok(DisplayName(t.to_owned()))
    }
    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a person types to sign in: an email address or a phone number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginId {
    /// Sign in by email.
    Email(Email),
    /// Sign in by phone.
    Phone(Phone),
}

impl LoginId {
    /// An `@` means email, otherwise a phone number.
    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        if s.contains('@') {
            Email::parse(s)
                .map(LoginId::Email)
                .map_err(|_| Self::invalid())
        } else {
            Phone::parse(s)
                .map(LoginId::Phone)
                .map_err(|_| Self::invalid())
        }
    }

    fn invalid() -> ValidationError {
        ValidationError::field(
            "login",
            "invalid_format",
            "enter your email address or phone number",
        )
    }
}

/// A password in memory. Never printed: `Debug` is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

impl Password {
    /// Longest password accepted (NIST SP 800-63B asks for at least 64); the bound keeps
    /// hashing cost predictable.
    pub const MAX_CHARS: usize = 256;
    /// Shortest new password (NIST SP 800-63B).
    pub const MIN_CHARS: usize = 8;

    /// A password typed at sign-in: only the length bound, so an old password that
    /// predates today's rules can still be used.
    pub fn for_sign_in(s: &str) -> Result<Self, ValidationError> {
        if s.is_empty() {
            return Err(ValidationError::field(
                "password",
                "required",
                "enter your password",
            ));
        }
        if s.chars().count() > Self::MAX_CHARS {
            return Err(ValidationError::field(
                "password",
                "too_long",
                "a password has at most 256 characters",
            ));
        }
        Ok(Password(s.to_owned()))
    }

    /// A new password: at least 8 characters, no composition rules, not a commonly used
    /// password and not a run like `aaaaaaaa` or `12345678` (NIST SP 800-63B §3.1.1.2).
    pub fn new_password(s: &str) -> Result<Self, ValidationError> {
        Self::new_password_for(s, &[])
    }

    /// [`Password::new_password`], also refusing the service's name and words of the
    /// account itself (`context`: name, email, phone) with only digits or punctuation
    /// around them, such as `siti2024!`.
    pub fn new_password_for(s: &str, context: &[&str]) -> Result<Self, ValidationError> {
        let n = s.chars().count();
        if n < Self::MIN_CHARS {
            return Err(ValidationError::field(
                "password",
                "too_short",
                "use at least 8 characters",
            ));
        }
        let password = Self::for_sign_in(s)?;
        let lower = s.to_lowercase();
        if common_passwords().contains(lower.as_str()) {
            return Err(ValidationError::field(
                "password",
                "common",
                "this password is on a list of commonly used passwords that attackers try first; choose another",
            ));
        }
        if is_run(&lower) {
            return Err(ValidationError::field(
                "password",
                "repetitive",
                "avoid repeated or sequential characters like aaaaaaaa or 12345678",
            ));
        }
        let letters: String = lower.chars().filter(|c| c.is_alphabetic()).collect();
        let words = context
            .iter()
            .flat_map(|c| {
                c.to_lowercase()
                    .split(|ch: char| !ch.is_alphanumeric())
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            })
            .chain(std::iter::once("paydesk".to_owned()));
        for word in words {
            if word.chars().count() >= 3 && (letters == word || lower == word) {
                return Err(ValidationError::field(
                    "password",
                    "context",
                    "do not use your name, email address, phone number or the name of this service",
                ));
            }
        }
        Ok(password)
    }

    /// The secret, for hashing only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// The common-password blocklist (`data/common-passwords.txt`, see `data/SOURCE.md`),
/// embedded so that nothing is fetched at run time.
const COMMON_PASSWORDS: &str = include_str!("../data/common-passwords.txt");

/// The blocklist as a set, built on first use.
fn common_passwords() -> &'static std::collections::HashSet<&'static str> {
    static SET: std::sync::OnceLock<std::collections::HashSet<&'static str>> =
        std::sync::OnceLock::new();
    SET.get_or_init(|| {
        COMMON_PASSWORDS
            .lines()
            .map(str::trim_end)
            .filter(|l| !l.is_empty())
            .collect()
    })
}

/// How many passwords the blocklist holds.
pub fn common_password_count() -> usize {
    common_passwords().len()
}

/// One character repeated, a short unit repeated (`abcabcabc`), or consecutive characters
/// up or down (`12345678`, `hgfedcba`).
fn is_run(s: &str) -> bool {
    let chars: Vec<char> = s.chars().collect();
    let repeats = (1..=3).any(|unit| {
        chars.len() > unit && chars.iter().enumerate().all(|(i, c)| *c == chars[i % unit])
    });
    let step = |d: i64| {
        chars
            .windows(2)
            .all(|w| i64::from(u32::from(w[1])) - i64::from(u32::from(w[0])) == d)
    };
    repeats || step(1) || step(-1)
}

/// An end customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Customer {
    /// Id.
    pub id: CustomerId,
    /// Email, if registered with one.
    pub email: Option<Email>,
    /// Phone, if registered with one.
    pub phone: Option<Phone>,
    /// Name shown to agents and in greetings.
    pub display_name: DisplayName,
    /// Preferred UI language.
    pub locale: Locale,
    /// Home region (decides time zone and support calendar).
    pub region_id: RegionId,
    /// Whether the account may sign in.
    pub status: AccountStatus,
    /// Registration time, microseconds since the epoch.
    pub created_at_us: i64,
}

/// Data for registering a customer.
#[derive(Debug, Clone)]
pub struct NewCustomer {
    /// Email (at least one of email and phone is required).
    pub email: Option<Email>,
    /// Phone.
    pub phone: Option<Phone>,
    /// Name.
    pub display_name: DisplayName,
    /// UI language.
    pub locale: Locale,
    /// Home region.
    pub region_id: RegionId,
}

impl NewCustomer {
    /// A customer must be reachable: an email, a phone, or both.
    pub fn validate(&self) -> Result<(), ValidationError> {
        if self.email.is_none() && self.phone.is_none() {
            return Err(ValidationError::field(
                "email",
                "required",
                "give an email address or a phone number",
            ));
        }
        Ok(())
    }
}

/// A merchant accepting wallet payments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Merchant {
    /// Id.
    pub id: MerchantId,
    /// Trading name.
    pub name: String,
    /// Merchant category (`food`, `retail`, `transport`, ...), used by coupons and reports.
    pub category: String,
    /// Region the merchant trades in.
    pub region_id: RegionId,
}

/// A support group (queue owner) that agents belong to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SupportGroup {
    /// Id.
    pub id: GroupId,
    /// Name.
    pub name: String,
}

/// A member of staff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Staff {
    /// Id.
    pub id: StaffId,
    /// Work email, also the sign-in name.
    pub email: Email,
    /// Name.
    pub display_name: DisplayName,
    /// Role; never `Customer`.
    pub role: Role,
    /// For merchant staff: the merchant they work for.
    pub merchant_id: Option<MerchantId>,
    /// For agents and supervisors: their support group.
    pub group_id: Option<GroupId>,
    /// UI language.
    pub locale: Locale,
    /// Whether the account may sign in.
    pub status: AccountStatus,
    /// Creation time, microseconds since the epoch.
    pub created_at_us: i64,
}

/// Data for creating a staff account.
#[derive(Debug, Clone)]
pub struct NewStaff {
    /// Work email.
    pub email: Email,
    /// Name.
    pub display_name: DisplayName,
    /// Role.
    pub role: Role,
    /// Merchant, for merchant staff.
    pub merchant_id: Option<MerchantId>,
    /// Group, for agents and supervisors.
    pub group_id: Option<GroupId>,
    /// UI language.
    pub locale: Locale,
}

impl NewStaff {
    /// Merchant staff need a merchant and nobody else may have one; customers are not staff.
    pub fn validate(&self) -> Result<(), ValidationError> {
        match (self.role, &self.merchant_id) {
            (Role::Customer, _) => Err(ValidationError::field(
                "role",
                "invalid_value",
                "staff cannot have the customer role",
            )),
            (Role::Merchant, None) => Err(ValidationError::field(
                "merchant_id",
                "required",
                "merchant staff must belong to a merchant",
            )),
            (r, Some(_)) if r != Role::Merchant => Err(ValidationError::field(
                "merchant_id",
                "not_allowed",
                "only merchant staff belong to a merchant",
            )),
            _ => Ok(()),
        }
    }
}

/// The signed-in person a request acts for. Every query on customer data is scoped by it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Principal {
    /// Who.
    pub user: UserId,
    /// Their role.
    pub role: Role,
    /// Name for greetings.
    pub display_name: String,
    /// Merchant staff only: their merchant.
    pub merchant_id: Option<MerchantId>,
    /// Preferred UI language.
    pub locale: Locale,
}

impl Principal {
    /// The customer id when the principal is a customer.
    pub fn customer_id(&self) -> Option<&CustomerId> {
        match &self.user {
            UserId::Customer(id) => Some(id),
            UserId::Staff(_) => None,
        }
    }

    /// May this principal read this customer's records? Customers see only themselves;
    /// the operator's support staff see everyone; merchant staff see no customer profile.
    pub fn may_view_customer(&self, customer: &CustomerId) -> bool {
        match self.role {
            Role::Customer => self.customer_id() == Some(customer),
            Role::Agent | Role::Supervisor | Role::Admin => true,
            Role::Merchant => false,
        }
    }

    /// May this principal read this merchant's records? Merchant staff see their own merchant.
    pub fn may_view_merchant(&self, merchant: &MerchantId) -> bool {
        match self.role {
            Role::Merchant => self.merchant_id.as_ref() == Some(merchant),
            Role::Agent | Role::Supervisor | Role::Admin => true,
            Role::Customer => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_normalise_to_e164() {
        assert_eq!(
            Phone::parse("0812-3456-7890").unwrap().as_str(),
            "+6281234567890"
        );
        assert_eq!(
            Phone::parse("+86 138 0013 8000").unwrap().as_str(),
            "+8613800138000"
        );
        assert!(Phone::parse("12ab").is_err());
        assert!(Phone::parse("+0123456789").is_err());
    }

    #[test]
    fn emails_are_lowercased_and_checked() {
        assert_eq!(
            Email::parse(" Siti@Example.CO.ID ").unwrap().as_str(),
            "siti@example.co.id"
        );
        for bad in ["siti", "@x.com", "a@b", "a@.com", "a b@c.com", "a@b@c.com"] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords_follow_nist_length_rules_and_never_print() {
        assert!(Password::new_password("short").is_err());
        let long: String = "the quick brown fox ".repeat(4);
        assert!(Password::new_password(&long).is_ok());
        assert!(Password::new_password(&"x".repeat(257)).is_err());
        // sign-in accepts whatever length an old password had
        assert!(Password::for_sign_in("short").is_ok());
        assert_eq!(
            format!("{:?}", Password::for_sign_in("hunter22").unwrap()),
            "Password(<redacted>)"
        );
    }

    #[test]
    fn common_repetitive_and_personal_passwords_are_refused_with_the_reason() {
        assert!(
            common_password_count() >= 10_000,
            "{}",
            common_password_count()
        );
        let code = |r: Result<Password, ValidationError>| r.unwrap_err().errors[0].code;
        for common in [
            "password",
            "Password1",
            "iloveyou",
            "qwertyuiop",
            "12345678",
        ] {
            assert_eq!(code(Password::new_password(common)), "common", "{common}");
        }
        for run in [
            "aaaaaaaaa",
            "abcabcabc",
            "abcdefghij",
            "zyxwvuts",
            "23456789",
        ] {
            let c = code(Password::new_password(run));
            assert!(c == "repetitive" || c == "common", "{run}: {c}");
        }
        assert_eq!(code(Password::new_password("short")), "too_short");
        let ctx = ["Siti Rahayu", "siti.rahayu@example.id"];
        assert_eq!(
            code(Password::new_password_for("rahayu2024!", &ctx)),
            "context"
        );
        assert_eq!(
            code(Password::new_password_for("Paydesk#2026", &[])),
            "context"
        );
        // No composition rules: a long lower-case passphrase is fine.
        assert!(Password::new_password_for("kopi susu di warung pagi", &ctx).is_ok());
    }

    #[test]
    fn customers_only_see_themselves_and_merchants_only_their_merchant() {
        let me = CustomerId::new();
        let other = CustomerId::new();
        let p = Principal {
            user: UserId::Customer(me.clone()),
            role: Role::Customer,
            display_name: "x".into(),
            merchant_id: None,
            locale: Locale::En,
        };
        assert!(p.may_view_customer(&me));
        assert!(!p.may_view_customer(&other));
        let m = MerchantId::new();
        let staff = Principal {
            user: UserId::Staff(StaffId::new()),
            role: Role::Merchant,
            display_name: "m".into(),
            merchant_id: Some(m.clone()),
            locale: Locale::En,
        };
        assert!(staff.may_view_merchant(&m));
        assert!(!staff.may_view_merchant(&MerchantId::new()));
        assert!(!staff.may_view_customer(&me));
    }

    #[test]
    fn merchant_staff_need_a_merchant() {
        let base = NewStaff {
            email: Email::parse("a@b.co").unwrap(),
            display_name: DisplayName::parse("A").unwrap(),
            role: Role::Merchant,
            merchant_id: None,
            group_id: None,
            locale: Locale::En,
        };
        assert!(base.validate().is_err());
        let agent_with_merchant = NewStaff {
            role: Role::Agent,
            merchant_id: Some(MerchantId::new()),
            ..base.clone()
        };
        assert!(agent_with_merchant.validate().is_err());
        assert!(
            NewStaff {
                role: Role::Agent,
                ..base
            }
            .validate()
            .is_ok()
        );
    }
}
