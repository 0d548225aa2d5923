//! Privacy: secrets that never print, the audit log browser's query, and customers' data
//! rights (download and erasure).

use crate::protection::AuditEntry;
use crate::repo::RepoError;
use crate::{CustomerId, Email};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// A configuration secret (a data key, an API token). `Debug` and `Display` print `***`
/// so that logging a configuration or an error never leaks it; read it with
/// [`Secret::expose`] where it is used.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    /// The value itself: call only where the secret is used, never to log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
    /// Whether it was left unset.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

/// Filters of the admin's audit log browser. Empty filters match everything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditQuery {
    /// Exact actor (`staff:<id>`, `customer:<id>`, `system`).
    pub actor: Option<String>,
    /// Action prefix (`2fa.` matches every 2FA action).
    pub action: Option<String>,
    /// The customer the entry is about.
    pub subject: Option<String>,
    /// Earliest time (µs, inclusive).
    pub from_us: Option<i64>,
    /// Latest time (µs, exclusive).
    pub to_us: Option<i64>,
    /// Only entries older than this sequence number (the next page, newest first).
    pub before_seq: Option<i64>,
}

/// What an erasure changed, for the audit record and the answer to the customer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErasureReport {
    /// The pseudonym that now stands for the customer on tickets.
    pub pseudonym: String,
    /// Sessions ended (signed out everywhere).
    pub sessions_ended: u64,
    /// Channel contacts pseudonymised.
    pub contacts: u64,
    /// Tickets whose requester was pseudonymised (they stay readable for staff).
    pub tickets: u64,
    /// Customer-written notes deleted.
    pub notes_deleted: u64,
}

/// Why an erasure was refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ErasureBlocked {
    /// Money is still in the wallet or held: it belongs to the customer and must be paid
    /// out (or spent) first, and an open hold or refund still needs them reachable.
    OpenBalance,
    /// Already erased.
    AlreadyErased,
}

/// The pseudonym of an erased customer: stable for one customer (so staff can tell
/// tickets of one erased requester apart from another's) and carrying no personal data.
pub fn pseudonym(customer: &CustomerId) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("paydesk-erased:{}", customer.as_str()).as_bytes());
    let short: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
    format!("Erased customer {short}")
}

/// The placeholder email an erased account keeps: the schema wants an email or a phone,
/// and `.invalid` (RFC 2606) can never reach anyone.
pub fn erased_email(customer: &CustomerId) -> Option<Email> {
    let digest = {
        use sha2::{Digest, Sha256};
        Sha256::digest(format!("paydesk-erased:{}", customer.as_str()).as_bytes())
    };
    let short: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    Email::parse(&format!("erased-{short}@erased.invalid")).ok()
}

/// Storage for privacy: the audit log browser and erasure. Encryption itself lives in
/// the store (the domain never sees ciphertexts).
#[async_trait]
pub trait PrivacyRepo: Send + Sync {
    /// Audit entries matching the query, newest first, at most `limit`.
    async fn audit_search(
        &self,
        query: &AuditQuery,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, RepoError>;
    /// Erases a customer's personal data in one transaction: contact details and name
    /// replaced by the pseudonym, credentials, 2FA, sessions, devices and notices deleted,
    /// channel contacts and ticket requesters pseudonymised; ledger rows, transactions and
    /// ticket threads stay. Refused (`Ok(Err(…))`) while money is in the wallet.
    async fn erase_customer(
        &self,
        customer: &CustomerId,
        now_us: i64,
    ) -> Result<Result<ErasureReport, ErasureBlocked>, RepoError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?}"), "Secret(***)");
        assert_eq!(format!("{s}"), "***");
        assert_eq!(s.expose(), "hunter2");
    }

    #[test]
    fn pseudonyms_are_stable_and_carry_no_id() {
        let id = CustomerId::new();
        assert_eq!(pseudonym(&id), pseudonym(&id));
        assert!(!pseudonym(&id).contains(id.as_str()));
        assert_ne!(pseudonym(&id), pseudonym(&CustomerId::new()));
        assert!(erased_email(&id).is_some());
    }
}
