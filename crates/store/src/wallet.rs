//! The wallet's records on both backends. Every money movement runs in one write
//! transaction: lock the accounts (`BEGIN IMMEDIATE` on SQLite, `SELECT … FOR UPDATE` in
//! id order on PostgreSQL), apply the domain's ledger rules to them, write balances,
//! transfers and the customer-facing transaction, commit.

// Dynamic SQL here is assembled only from constant fragments; every value is bound.
use crate::{Backend, Filters, Order, Store, col, db_err, like_pattern};
use async_trait::async_trait;
use domain::ledger::{
    AccountKind, AppliedTransfer, Balance, LedgerAccount, LedgerError, PendingState,
    PendingTransfer, Phase, TransferRequest, apply_batch,
};
use domain::repo::{RepoError, WalletRepo};
use domain::wallet::{
    FailureReason, FlagReason, FlagStatus, PolicyDecision, PolicyRule, PriorOutgoing, Refund,
    RefundCase, RefundDecision, RefundPolicy, RefundReason, RefundStatus, TransactionFlag,
    TransactionKind, TransactionNote, TransactionQuery, TransactionStatus, UnusualRule,
    WalletOperation, WalletTransaction, evaluate_refund, unusual_activity,
};
use domain::{Currency, Cursor, CustomerId, Limit, MerchantId, Money, Page};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AssertSqlSafe};
use std::collections::HashMap;

/// Wallet account of a customer in a currency.
pub fn wallet_account(customer: &CustomerId, currency: Currency) -> String {
    format!("wallet:{customer}:{}", currency.code())
}

/// Settlement account of a merchant in a currency.
pub fn merchant_account(merchant: &MerchantId, currency: Currency) -> String {
    format!("merchant:{merchant}:{}", currency.code())
}

/// A system account (`bank_clearing`, `fees`, `coupon_funding`) in a currency.
pub fn system_account(kind: AccountKind, currency: Currency) -> String {
    format!("system:{}:{}", kind.as_str(), currency.code())
}

const TX_COLUMNS: &str = "id, reference, customer_id, kind, status, amount, currency, merchant_id, \
    counterparty_customer_id, failure_reason, description, original_id, hold_transfer_id, unusual, \
    created_at_us, updated_at_us, (SELECT name FROM merchants m WHERE m.id = wallet_transactions.merchant_id) AS merchant_name";

fn corrupt(what: &str) -> RepoError {
    RepoError::Unexpected(anyhow::anyhow!("stored {what} is not valid"))
}

fn tx_from_row(row: &AnyRow) -> Result<WalletTransaction, RepoError> {
    let kind: String = col(row, "kind")?;
    let status: String = col(row, "status")?;
    let currency: String = col(row, "currency")?;
    let unusual: Option<String> = col(row, "unusual")?;
    Ok(WalletTransaction {
        id: col(row, "id")?,
        reference: col(row, "reference")?,
        customer_id: CustomerId::from_string(col::<String>(row, "customer_id")?),
        kind: TransactionKind::parse(&kind).ok_or_else(|| corrupt("kind"))?,
        status: TransactionStatus::parse(&status).ok_or_else(|| corrupt("status"))?,
        amount: Money::new(
            col(row, "amount")?,
            Currency::parse(&currency).map_err(|_| corrupt("currency"))?,
        ),
        merchant_id: col::<Option<String>>(row, "merchant_id")?.map(MerchantId::from_string),
        merchant_name: col(row, "merchant_name")?,
        counterparty_customer_id: col::<Option<String>>(row, "counterparty_customer_id")?
            .map(CustomerId::from_string),
        failure_reason: col::<Option<String>>(row, "failure_reason")?
            .and_then(|r| FailureReason::parse(&r)),
        description: col(row, "description")?,
        original_id: col(row, "original_id")?,
        hold_transfer_id: col(row, "hold_transfer_id")?,
        unusual: unusual.and_then(|u| serde_json::from_str::<UnusualRule>(&u).ok()),
        created_at_us: col(row, "created_at_us")?,
        updated_at_us: col(row, "updated_at_us")?,
    })
}

pub(crate) const REFUND_COLUMNS: &str = "id, payment_id, customer_id, merchant_id, amount, currency, reason, status, rule, \
    decided_by, decision_note, refund_transaction_id, created_at_us, updated_at_us";

pub(crate) fn refund_from_row(row: &AnyRow) -> Result<Refund, RepoError> {
    let currency: String = col(row, "currency")?;
    let reason: String = col(row, "reason")?;
    let status: String = col(row, "status")?;
    let rule: String = col(row, "rule")?;
    Ok(Refund {
        id: col(row, "id")?,
        payment_id: col(row, "payment_id")?,
        customer_id: CustomerId::from_string(col::<String>(row, "customer_id")?),
        merchant_id: MerchantId::from_string(col::<String>(row, "merchant_id")?),
        amount: Money::new(
            col(row, "amount")?,
            Currency::parse(&currency).map_err(|_| corrupt("currency"))?,
        ),
        reason: RefundReason::parse(&reason).ok_or_else(|| corrupt("refund reason"))?,
        status: RefundStatus::parse(&status).ok_or_else(|| corrupt("refund status"))?,
        rule: serde_json::from_str(&rule).map_err(|_| corrupt("refund rule"))?,
        decided_by: col(row, "decided_by")?,
        decision_note: col(row, "decision_note")?,
        refund_transaction_id: col(row, "refund_transaction_id")?,
        created_at_us: col(row, "created_at_us")?,
        updated_at_us: col(row, "updated_at_us")?,
    })
}

pub(crate) fn account_from_row(row: &AnyRow) -> Result<LedgerAccount, RepoError> {
    let kind: String = col(row, "kind")?;
    let currency: String = col(row, "currency")?;
    Ok(LedgerAccount {
        id: col(row, "id")?,
        kind: AccountKind::parse(&kind).ok_or_else(|| corrupt("account kind"))?,
        currency: Currency::parse(&currency).map_err(|_| corrupt("currency"))?,
        balance: Balance {
            debits_posted: col(row, "debits_posted")?,
            credits_posted: col(row, "credits_posted")?,
            debits_pending: col(row, "debits_pending")?,
            credits_pending: col(row, "credits_pending")?,
        },
    })
}

/// A reference customers can read out on the phone: date and eight hex digits.
fn new_reference(now_us: i64) -> String {
    let date = jiff::Timestamp::from_microsecond(now_us)
        .map(|t| t.strftime("%Y%m%d").to_string())
        .unwrap_or_default();
    let tail = uuid::Uuid::now_v7().simple().to_string();
    format!("TX-{date}-{}", tail[tail.len() - 8..].to_uppercase())
}

/// What a new transaction row holds.
pub(crate) struct NewTx<'a> {
    /// Chosen before the ledger transfer is written, so the transfer records it directly.
    pub(crate) id: String,
    pub(crate) customer: &'a CustomerId,
    pub(crate) kind: TransactionKind,
    pub(crate) status: TransactionStatus,
    pub(crate) amount: Money,
    pub(crate) merchant: Option<&'a MerchantId>,
    pub(crate) counterparty: Option<&'a CustomerId>,
    pub(crate) failure: Option<FailureReason>,
    pub(crate) description: String,
    pub(crate) original_id: Option<String>,
    pub(crate) hold_transfer_id: Option<String>,
    pub(crate) unusual: Option<UnusualRule>,
}

impl Store {
    /// ` FOR UPDATE SKIP LOCKED` on PostgreSQL, so workers on several nodes each claim
    /// other rows; nothing on SQLite, where the write transaction already excludes others.
    pub(crate) fn skip_locked(&self) -> &'static str {
        match self.backend {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        }
    }

    /// ` FOR UPDATE` on PostgreSQL, locking the rows read until the transaction ends;
    /// nothing on SQLite, where the write turn already excludes other writers.
    pub(crate) fn for_update(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE",
        }
    }

    pub(crate) async fn ensure_account(
        conn: &mut AnyConnection,
        id: &str,
        kind: AccountKind,
        owner: Option<&str>,
        currency: Currency,
        now_us: i64,
    ) -> Result<(), RepoError> {
        sqlx::query(
            "INSERT INTO ledger_accounts (id, kind, owner_id, currency, created_at_us) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(id.to_owned())
        .bind(kind.as_str())
        .bind(owner.map(str::to_owned))
        .bind(currency.code())
        .bind(now_us)
        .execute(conn)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    /// Loads (and on PostgreSQL locks, in id order) the accounts and open holds a batch touches.
    async fn lock_for_batch(
        &self,
        conn: &mut AnyConnection,
        batch: &[TransferRequest],
    ) -> Result<
        (
            HashMap<String, LedgerAccount>,
            HashMap<String, PendingTransfer>,
        ),
        RepoError,
    > {
        let mut ids: Vec<String> = batch
            .iter()
            .flat_map(|t| [t.debit_account.clone(), t.credit_account.clone()])
            .collect();
        ids.sort();
        ids.dedup();
        let mut accounts = HashMap::new();
        for id in &ids {
            let sql = format!(
                "SELECT id, kind, currency, debits_posted, credits_posted, debits_pending, credits_pending FROM ledger_accounts WHERE id = $1{}",
                self.for_update()
            );
            if let Some(row) = sqlx::query(AssertSqlSafe(sql))
                .bind(id.clone())
                .fetch_optional(&mut *conn)
                .await
                .map_err(db_err)?
            {
                accounts.insert(id.clone(), account_from_row(&row)?);
            }
        }
        let mut pendings = HashMap::new();
        for t in batch {
            if let Phase::PostPending { pending_id }
            | Phase::VoidPending { pending_id }
            | Phase::ExpirePending { pending_id } = &t.phase
            {
                let sql = format!(
                    "SELECT transfer_id, debit_account, credit_account, amount, expires_at_us, state FROM ledger_pending WHERE transfer_id = $1{}",
                    self.for_update()
                );
                if let Some(row) = sqlx::query(AssertSqlSafe(sql))
                    .bind(pending_id.clone())
                    .fetch_optional(&mut *conn)
                    .await
                    .map_err(db_err)?
                {
                    let state: String = col(&row, "state")?;
                    pendings.insert(
                        pending_id.clone(),
                        PendingTransfer {
                            id: col(&row, "transfer_id")?,
                            debit_account: col(&row, "debit_account")?,
                            credit_account: col(&row, "credit_account")?,
                            amount: col(&row, "amount")?,
                            expires_at_us: col(&row, "expires_at_us")?,
                            state: PendingState::parse(&state)
                                .ok_or_else(|| corrupt("pending state"))?,
                        },
                    );
                }
            }
        }
        Ok((accounts, pendings))
    }

    /// Applies a linked batch inside the caller's transaction. The outer `Result` is a
    /// storage failure; the inner one the ledger's verdict (nothing written on refusal).
    pub(crate) async fn post_batch(
        &self,
        conn: &mut AnyConnection,
        batch: &[TransferRequest],
        transaction_id: Option<&str>,
        now_us: i64,
    ) -> Result<Result<Vec<AppliedTransfer>, LedgerError>, RepoError> {
        let (mut accounts, mut pendings) = self.lock_for_batch(conn, batch).await?;
        let before = accounts.clone();
        let applied = match apply_batch(&mut accounts, &mut pendings, batch, now_us) {
            Ok(a) => a,
            Err((_, e)) => return Ok(Err(e)),
        };
        for (id, account) in &accounts {
            if before.get(id) == Some(account) {
                continue;
            }
            let b = account.balance;
            sqlx::query(
                "UPDATE ledger_accounts SET debits_posted = $1, credits_posted = $2, debits_pending = $3, credits_pending = $4 WHERE id = $5",
            )
            .bind(b.debits_posted)
            .bind(b.credits_posted)
            .bind(b.debits_pending)
            .bind(b.credits_pending)
            .bind(id.clone())
            .execute(&mut *conn)
            .await
            .map_err(db_err)?;
        }
        for a in &applied {
            let t = &a.request;
            let (phase, pending_id, expires) = match &t.phase {
                Phase::Posted => ("posted", None, None),
                Phase::Pending { expires_at_us } => ("pending", None, Some(*expires_at_us)),
                Phase::PostPending { pending_id } => {
                    ("post_pending", Some(pending_id.clone()), None)
                }
                Phase::VoidPending { pending_id } => {
                    ("void_pending", Some(pending_id.clone()), None)
                }
                Phase::ExpirePending { pending_id } => {
                    ("expire_pending", Some(pending_id.clone()), None)
                }
            };
            sqlx::query(
                "INSERT INTO ledger_transfers (id, debit_account, credit_account, amount, currency, phase, pending_id, expires_at_us, transaction_id, created_at_us) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(t.id.clone())
            .bind(t.debit_account.clone())
            .bind(t.credit_account.clone())
            .bind(t.amount)
            .bind(t.currency.code())
            .bind(phase)
            .bind(pending_id)
            .bind(expires)
            .bind(transaction_id.map(str::to_owned))
            .bind(now_us)
            .execute(&mut *conn)
            .await
            .map_err(db_err)?;
            if let Phase::Pending { expires_at_us } = t.phase {
                sqlx::query(
                    "INSERT INTO ledger_pending (transfer_id, debit_account, credit_account, amount, expires_at_us, state) VALUES ($1, $2, $3, $4, $5, 'open')",
                )
                .bind(t.id.clone())
                .bind(t.debit_account.clone())
                .bind(t.credit_account.clone())
                .bind(t.amount)
                .bind(expires_at_us)
                .execute(&mut *conn)
                .await
                .map_err(db_err)?;
            }
            if let Some((pending_id, state)) = &a.resolves {
                sqlx::query("UPDATE ledger_pending SET state = $1 WHERE transfer_id = $2")
                    .bind(state.as_str())
                    .bind(pending_id.clone())
                    .execute(&mut *conn)
                    .await
                    .map_err(db_err)?;
            }
        }
        Ok(Ok(applied))
    }

    pub(crate) async fn insert_tx(
        conn: &mut AnyConnection,
        n: NewTx<'_>,
        now_us: i64,
    ) -> Result<WalletTransaction, RepoError> {
        let id = n.id.clone();
        let reference = new_reference(now_us);
        let merchant_name: Option<String> = match n.merchant {
            Some(m) => sqlx::query("SELECT name FROM merchants WHERE id = $1")
                .bind(m.to_string())
                .fetch_optional(&mut *conn)
                .await
                .map_err(db_err)?
                .map(|r| col::<String>(&r, "name"))
                .transpose()?,
            None => None,
        };
        let search_text = format!(
            "{} {} {}",
            n.description,
            merchant_name.as_deref().unwrap_or(""),
            reference
        )
        .to_lowercase();
        let unusual = n
            .unusual
            .as_ref()
            .map(|u| serde_json::to_string(u).unwrap_or_default());
        sqlx::query(
            "INSERT INTO wallet_transactions (id, reference, customer_id, kind, status, amount, currency, merchant_id, \
             counterparty_customer_id, failure_reason, description, search_text, original_id, hold_transfer_id, unusual, created_at_us, updated_at_us) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16)",
        )
        .bind(id.clone())
        .bind(reference.clone())
        .bind(n.customer.to_string())
        .bind(n.kind.as_str())
        .bind(n.status.as_str())
        .bind(n.amount.minor)
        .bind(n.amount.currency.code())
        .bind(n.merchant.map(|m| m.to_string()))
        .bind(n.counterparty.map(|c| c.to_string()))
        .bind(n.failure.map(|f| f.as_str()))
        .bind(n.description.clone())
        .bind(search_text)
        .bind(n.original_id.clone())
        .bind(n.hold_transfer_id.clone())
        .bind(unusual)
        .bind(now_us)
        .execute(&mut *conn)
        .await
        .map_err(db_err)?;
        Ok(WalletTransaction {
            id,
            reference,
            customer_id: n.customer.clone(),
            kind: n.kind,
            status: n.status,
            amount: n.amount,
            merchant_id: n.merchant.cloned(),
            merchant_name,
            counterparty_customer_id: n.counterparty.cloned(),
            failure_reason: n.failure,
            description: n.description,
            original_id: n.original_id,
            hold_transfer_id: n.hold_transfer_id,
            unusual: n.unusual,
            created_at_us: now_us,
            updated_at_us: now_us,
        })
    }

    /// The customer's recent outgoing transactions, for the unusual-activity rules.
    pub(crate) async fn prior_outgoing(
        conn: &mut AnyConnection,
        customer: &CustomerId,
    ) -> Result<Vec<PriorOutgoing>, RepoError> {
        let rows = sqlx::query(
            "SELECT kind, amount, merchant_id, counterparty_customer_id, created_at_us FROM wallet_transactions \
             WHERE customer_id = $1 AND kind IN ('payment', 'transfer_out', 'withdrawal') AND status <> 'failed' \
             ORDER BY created_at_us DESC, id DESC LIMIT 50",
        )
        .bind(customer.to_string())
        .fetch_all(&mut *conn)
        .await
        .map_err(db_err)?;
        rows.iter()
            .map(|r| {
                let kind: String = col(r, "kind")?;
                let merchant: Option<String> = col(r, "merchant_id")?;
                let other: Option<String> = col(r, "counterparty_customer_id")?;
                Ok(PriorOutgoing {
                    amount_minor: col(r, "amount")?,
                    counterparty: merchant.or(other).unwrap_or_else(|| "bank".into()),
                    is_payment: kind == "payment",
                    at_us: col(r, "created_at_us")?,
                })
            })
            .collect()
    }

    pub(crate) async fn tx_in(
        conn: &mut AnyConnection,
        id: &str,
    ) -> Result<WalletTransaction, RepoError> {
        Self::tx_in_locked(conn, id, "").await
    }

    /// One transaction, with `lock` (`""` or `" FOR UPDATE"`) appended to the query.
    pub(crate) async fn tx_in_locked(
        conn: &mut AnyConnection,
        id: &str,
        lock: &str,
    ) -> Result<WalletTransaction, RepoError> {
        let sql = format!("SELECT {TX_COLUMNS} FROM wallet_transactions WHERE id = $1{lock}");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(id.to_owned())
            .fetch_optional(conn)
            .await
            .map_err(db_err)?;
        tx_from_row(&row.ok_or(RepoError::NotFound)?)
    }

    pub(crate) async fn set_tx_status(
        conn: &mut AnyConnection,
        id: &str,
        status: TransactionStatus,
        failure: Option<FailureReason>,
        amount: Option<i64>,
        now_us: i64,
    ) -> Result<(), RepoError> {
        sqlx::query(
            "UPDATE wallet_transactions SET status = $1, failure_reason = $2, amount = COALESCE($3, amount), updated_at_us = $4 WHERE id = $5",
        )
        .bind(status.as_str())
        .bind(failure.map(|f| f.as_str()))
        .bind(amount)
        .bind(now_us)
        .bind(id.to_owned())
        .execute(conn)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    /// Resolves a held payment (capture, void or expire) inside the caller's transaction.
    async fn resolve_hold(
        &self,
        conn: &mut AnyConnection,
        tx: &WalletTransaction,
        phase: Phase,
        amount: i64,
        now_us: i64,
    ) -> Result<Result<(), LedgerError>, RepoError> {
        let (Some(_), Some(merchant)) = (&tx.hold_transfer_id, &tx.merchant_id) else {
            return Err(RepoError::InvalidState(
                "this transaction holds no amount".into(),
            ));
        };
        let currency = tx.amount.currency;
        // A held checkout's platform coupon discount is held too: resolved with it.
        let coupon_hold = self
            .coupon_hold_resolution(conn, tx, &phase, amount)
            .await?;
        let settle = matches!(phase, Phase::PostPending { .. });
        let mut batch = vec![TransferRequest {
            id: uuid::Uuid::now_v7().to_string(),
            debit_account: wallet_account(&tx.customer_id, currency),
            credit_account: merchant_account(merchant, currency),
            amount,
            currency,
            phase,
        }];
        batch.extend(coupon_hold);
        let verdict = self.post_batch(conn, &batch, Some(&tx.id), now_us).await?;
        if verdict.is_ok() {
            Self::settle_coupon_reservations(conn, &tx.id, settle, now_us).await?;
        }
        Ok(verdict.map(|_| ()))
    }

    /// Moves an approved refund's money and records the refund transaction.
    async fn pay_refund(
        &self,
        conn: &mut AnyConnection,
        refund: &Refund,
        now_us: i64,
    ) -> Result<(RefundStatus, Option<String>), RepoError> {
        let currency = refund.amount.currency;
        Self::ensure_account(
            conn,
            &wallet_account(&refund.customer_id, currency),
            AccountKind::CustomerWallet,
            Some(refund.customer_id.as_str()),
            currency,
            now_us,
        )
        .await?;
        let request = TransferRequest {
            id: uuid::Uuid::now_v7().to_string(),
            debit_account: merchant_account(&refund.merchant_id, currency),
            credit_account: wallet_account(&refund.customer_id, currency),
            amount: refund.amount.minor,
            currency,
            phase: Phase::Posted,
        };
        let refund_tx_id = uuid::Uuid::now_v7().to_string();
        // A refund that completes a full refund also returns the payment's platform
        // coupon discount to the funding account, in the same linked batch (see
        // `domain::coupon::REFUND_RULE`).
        let payment = Self::tx_in(conn, &refund.payment_id).await?;
        let refunded_before = Self::succeeded_refunds(conn, &refund.payment_id).await?;
        let full = refunded_before + refund.amount.minor >= payment.amount.minor;
        let mut batch = vec![request];
        if full {
            batch.extend(self.coupon_full_refund_transfers(conn, &payment).await?);
        }
        match self
            .post_batch(conn, &batch, Some(&refund_tx_id), now_us)
            .await?
        {
            Ok(_) => {
                let tx = Self::insert_tx(
                    conn,
                    NewTx {
                        id: refund_tx_id,
                        customer: &refund.customer_id,
                        kind: TransactionKind::Refund,
                        status: TransactionStatus::Succeeded,
                        amount: refund.amount,
                        merchant: Some(&refund.merchant_id),
                        counterparty: None,
                        failure: None,
                        description: "Refund".into(),
                        original_id: Some(refund.payment_id.clone()),
                        hold_transfer_id: None,
                        unusual: None,
                    },
                    now_us,
                )
                .await?;
                // Refunded in full: the payment now shows as reversed in the history, and
                // its coupons are given back.
                if full {
                    Self::restore_coupons_of(conn, &payment.id, now_us).await?;
                    Self::set_tx_status(
                        conn,
                        &payment.id,
                        TransactionStatus::Reversed,
                        None,
                        None,
                        now_us,
                    )
                    .await?;
                }
                Ok((RefundStatus::Succeeded, Some(tx.id)))
            }
            // The merchant's settlement cannot cover it (already paid out): the refund fails
            // visibly instead of inventing money.
            Err(_) => Ok((RefundStatus::Failed, None)),
        }
    }

    /// Sum of a payment's refunds whose money moved.
    async fn succeeded_refunds(
        conn: &mut AnyConnection,
        payment_id: &str,
    ) -> Result<i64, RepoError> {
        let row = sqlx::query(
            "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) AS total FROM wallet_transactions \
             WHERE original_id = $1 AND kind = 'refund' AND status = 'succeeded'",
        )
        .bind(payment_id.to_owned())
        .fetch_one(&mut *conn)
        .await
        .map_err(db_err)?;
        col::<i64>(&row, "total")
    }

    async fn refund_in(
        conn: &mut AnyConnection,
        id: &str,
        lock: &str,
    ) -> Result<Refund, RepoError> {
        let sql = format!("SELECT {REFUND_COLUMNS} FROM refunds WHERE id = $1{lock}");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(id.to_owned())
            .fetch_optional(conn)
            .await
            .map_err(db_err)?;
        refund_from_row(&row.ok_or(RepoError::NotFound)?)
    }

    async fn policy_in(
        conn: &mut AnyConnection,
        merchant: &MerchantId,
    ) -> Result<RefundPolicy, RepoError> {
        let row = sqlx::query(
            "SELECT window_days, partial_allowed, max_refunds_per_payment, auto_approve_below_minor, accepted_reasons FROM refund_policies WHERE merchant_id = $1",
        )
        .bind(merchant.to_string())
        .fetch_optional(conn)
        .await
        .map_err(db_err)?;
        let Some(row) = row else {
            return Ok(RefundPolicy::default());
        };
        let reasons: String = col(&row, "accepted_reasons")?;
        Ok(RefundPolicy {
            window_days: col::<i64>(&row, "window_days")? as u32,
            partial_allowed: col::<i64>(&row, "partial_allowed")? != 0,
            max_refunds_per_payment: col::<i64>(&row, "max_refunds_per_payment")? as u32,
            auto_approve_below_minor: col(&row, "auto_approve_below_minor")?,
            accepted_reasons: reasons.split(',').filter_map(RefundReason::parse).collect(),
        })
    }

    /// Sum and count of a payment's refunds that hold part of its amount.
    pub(crate) async fn committed_refunds(
        conn: &mut AnyConnection,
        payment_id: &str,
        excluding: Option<&str>,
    ) -> Result<(i64, u32), RepoError> {
        let row = sqlx::query(
            "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) AS total, COUNT(*) AS n FROM refunds \
             WHERE payment_id = $1 AND status IN ('requested', 'approved', 'succeeded') AND id <> $2",
        )
        .bind(payment_id.to_owned())
        .bind(excluding.unwrap_or("").to_owned())
        .fetch_one(&mut *conn)
        .await
        .map_err(db_err)?;
        // Complaints claim part of the payment too: the whole disputed amount while open,
        // what was refunded once decided. Refunds and complaints together never exceed it.
        let complaints = sqlx::query(
            "SELECT CAST(COALESCE(SUM(CASE WHEN open_payment_id IS NOT NULL THEN amount ELSE refunded_minor END), 0) AS BIGINT) AS total \
             FROM complaints WHERE payment_id = $1",
        )
        .bind(payment_id.to_owned())
        .fetch_one(&mut *conn)
        .await
        .map_err(db_err)?;
        Ok((
            col::<i64>(&row, "total")? + col::<i64>(&complaints, "total")?,
            col::<i64>(&row, "n")? as u32,
        ))
    }

    async fn save_refund_decision(conn: &mut AnyConnection, r: &Refund) -> Result<(), RepoError> {
        sqlx::query(
            "UPDATE refunds SET status = $1, rule = $2, decided_by = $3, decision_note = $4, refund_transaction_id = $5, updated_at_us = $6 WHERE id = $7",
        )
        .bind(r.status.as_str())
        .bind(r.rule.to_string())
        .bind(r.decided_by.clone())
        .bind(r.decision_note.clone())
        .bind(r.refund_transaction_id.clone())
        .bind(r.updated_at_us)
        .bind(r.id.clone())
        .execute(conn)
        .await
        .map_err(db_err)?;
        Ok(())
    }
}

#[async_trait]
impl WalletRepo for Store {
    async fn wallet_balance(
        &self,
        customer: &CustomerId,
        currency: Currency,
    ) -> Result<Balance, RepoError> {
        let row = sqlx::query("SELECT id, kind, currency, debits_posted, credits_posted, debits_pending, credits_pending FROM ledger_accounts WHERE id = $1")
            .bind(wallet_account(customer, currency))
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(row
            .map(|r| account_from_row(&r))
            .transpose()?
            .map(|a| a.balance)
            .unwrap_or_default())
    }

    async fn execute(
        &self,
        op: &WalletOperation,
        now_us: i64,
    ) -> Result<WalletTransaction, RepoError> {
        let mut tx = self.begin_write().await?;
        let conn = &mut *tx;
        let amount = op.amount();
        let currency = amount.currency;
        let customer = op.customer();
        let wallet = wallet_account(customer, currency);
        Self::ensure_account(
            conn,
            &wallet,
            AccountKind::CustomerWallet,
            Some(customer.as_str()),
            currency,
            now_us,
        )
        .await?;
        let bank = system_account(AccountKind::BankClearing, currency);
        Self::ensure_account(
            conn,
            &bank,
            AccountKind::BankClearing,
            None,
            currency,
            now_us,
        )
        .await?;
        let transfer_id = uuid::Uuid::now_v7().to_string();
        let (kind, debit, credit, phase, merchant, counterparty, description) = match op {
            WalletOperation::TopUp { .. } => (
                TransactionKind::TopUp,
                bank.clone(),
                wallet.clone(),
                Phase::Posted,
                None,
                None,
                "Top-up".to_owned(),
            ),
            WalletOperation::Withdrawal { .. } => (
                TransactionKind::Withdrawal,
                wallet.clone(),
                bank.clone(),
                Phase::Posted,
                None,
                None,
                "Withdrawal to bank".to_owned(),
            ),
            WalletOperation::Payment {
                merchant,
                hold_minutes,
                description,
                ..
            } => {
                let acc = merchant_account(merchant, currency);
                Self::ensure_account(
                    conn,
                    &acc,
                    AccountKind::MerchantSettlement,
                    Some(merchant.as_str()),
                    currency,
                    now_us,
                )
                .await?;
                let phase = match hold_minutes {
                    Some(m) => Phase::Pending {
                        expires_at_us: now_us + i64::from(*m) * 60_000_000,
                    },
                    None => Phase::Posted,
                };
                (
                    TransactionKind::Payment,
                    wallet.clone(),
                    acc,
                    phase,
                    Some(merchant),
                    None,
                    description.clone(),
                )
            }
            WalletOperation::Transfer {
                to, description, ..
            } => {
                let acc = wallet_account(to, currency);
                Self::ensure_account(
                    conn,
                    &acc,
                    AccountKind::CustomerWallet,
                    Some(to.as_str()),
                    currency,
                    now_us,
                )
                .await?;
                (
                    TransactionKind::TransferOut,
                    wallet.clone(),
                    acc,
                    Phase::Posted,
                    None,
                    Some(to),
                    description.clone(),
                )
            }
        };
        let unusual = if kind.is_outgoing() {
            let history = Self::prior_outgoing(conn, customer).await?;
            let counterparty_key = merchant
                .map(|m| m.to_string())
                .or(counterparty.map(|c| c.to_string()))
                .unwrap_or_else(|| "bank".into());
            unusual_activity(
                &history,
                &PriorOutgoing {
                    amount_minor: amount.minor,
                    counterparty: counterparty_key,
                    is_payment: kind == TransactionKind::Payment,
                    at_us: now_us,
                },
            )
        } else {
            None
        };
        let held = matches!(phase, Phase::Pending { .. });
        let request = TransferRequest {
            id: transfer_id.clone(),
            debit_account: debit,
            credit_account: credit,
            amount: amount.minor,
            currency,
            phase,
        };
        let main_id = uuid::Uuid::now_v7().to_string();
        let verdict = self
            .post_batch(conn, std::slice::from_ref(&request), Some(&main_id), now_us)
            .await?;
        let (status, failure) = match &verdict {
            Ok(_) if held => (TransactionStatus::Pending, None),
            Ok(_) => (TransactionStatus::Succeeded, None),
            Err(LedgerError::InsufficientFunds { .. }) => (
                TransactionStatus::Failed,
                Some(FailureReason::InsufficientBalance),
            ),
            Err(LedgerError::Overflow) => (
                TransactionStatus::Failed,
                Some(FailureReason::LimitExceeded),
            ),
            Err(e) => return Err(RepoError::InvalidState(e.to_string())),
        };
        // A transfer that went through gets its receiving side; each side points at the other.
        let receiver = match (op, status) {
            (WalletOperation::Transfer { to, .. }, TransactionStatus::Succeeded) => {
                Some((to, uuid::Uuid::now_v7().to_string()))
            }
            _ => None,
        };
        let main = Self::insert_tx(
            conn,
            NewTx {
                id: main_id,
                customer,
                kind,
                status,
                amount,
                merchant,
                counterparty,
                failure,
                description: description.clone(),
                original_id: receiver.as_ref().map(|(_, id)| id.clone()),
                hold_transfer_id: held.then(|| transfer_id.clone()),
                unusual,
            },
            now_us,
        )
        .await?;
        if let Some((to, incoming_id)) = receiver {
            Self::insert_tx(
                conn,
                NewTx {
                    id: incoming_id,
                    customer: to,
                    kind: TransactionKind::TransferIn,
                    status,
                    amount,
                    merchant: None,
                    counterparty: Some(customer),
                    failure: None,
                    description,
                    original_id: Some(main.id.clone()),
                    hold_transfer_id: None,
                    unusual: None,
                },
                now_us,
            )
            .await?;
        }
        tx.commit().await.map_err(db_err)?;
        Ok(main)
    }

    async fn record_failure(
        &self,
        op: &WalletOperation,
        reason: FailureReason,
        now_us: i64,
    ) -> Result<WalletTransaction, RepoError> {
        let mut tx = self.begin_write().await?;
        let (kind, merchant, counterparty, description) = match op {
            WalletOperation::TopUp { .. } => {
                (TransactionKind::TopUp, None, None, "Top-up".to_owned())
            }
            WalletOperation::Withdrawal { .. } => (
                TransactionKind::Withdrawal,
                None,
                None,
                "Withdrawal to bank".to_owned(),
            ),
            WalletOperation::Payment {
                merchant,
                description,
                ..
            } => (
                TransactionKind::Payment,
                Some(merchant),
                None,
                description.clone(),
            ),
            WalletOperation::Transfer {
                to, description, ..
            } => (
                TransactionKind::TransferOut,
                None,
                Some(to),
                description.clone(),
            ),
        };
        let t = Self::insert_tx(
            &mut tx,
            NewTx {
                id: uuid::Uuid::now_v7().to_string(),
                customer: op.customer(),
                kind,
                status: TransactionStatus::Failed,
                amount: op.amount(),
                merchant,
                counterparty,
                failure: Some(reason),
                description,
                original_id: None,
                hold_transfer_id: None,
                unusual: None,
            },
            now_us,
        )
        .await?;
        tx.commit().await.map_err(db_err)?;
        Ok(t)
    }

    async fn capture_payment(
        &self,
        transaction_id: &str,
        amount_minor: Option<i64>,
        now_us: i64,
    ) -> Result<WalletTransaction, RepoError> {
        let mut tx = self.begin_write().await?;
        let t = Self::tx_in(&mut tx, transaction_id).await?;
        if t.status != TransactionStatus::Pending {
            return Err(RepoError::InvalidState(format!(
                "the payment is {}",
                t.status.as_str()
            )));
        }
        let amount = amount_minor.unwrap_or(t.amount.minor);
        let pending_id = t.hold_transfer_id.clone().unwrap_or_default();
        match self
            .resolve_hold(
                &mut tx,
                &t,
                Phase::PostPending { pending_id },
                amount,
                now_us,
            )
            .await?
        {
            Ok(()) => {
                Self::set_tx_status(
                    &mut tx,
                    &t.id,
                    TransactionStatus::Succeeded,
                    None,
                    Some(amount),
                    now_us,
                )
                .await?
            }
            Err(LedgerError::PendingExpired) => {
                return Err(RepoError::InvalidState("the hold has expired".into()));
            }
            Err(e) => return Err(RepoError::InvalidState(e.to_string())),
        }
        let t = Self::tx_in(&mut tx, transaction_id).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(t)
    }

    async fn void_payment(
        &self,
        transaction_id: &str,
        now_us: i64,
    ) -> Result<WalletTransaction, RepoError> {
        let mut tx = self.begin_write().await?;
        let t = Self::tx_in(&mut tx, transaction_id).await?;
        if t.status != TransactionStatus::Pending {
            return Err(RepoError::InvalidState(format!(
                "the payment is {}",
                t.status.as_str()
            )));
        }
        let pending_id = t.hold_transfer_id.clone().unwrap_or_default();
        self.resolve_hold(&mut tx, &t, Phase::VoidPending { pending_id }, 0, now_us)
            .await?
            .map_err(|e| RepoError::InvalidState(e.to_string()))?;
        Self::set_tx_status(
            &mut tx,
            &t.id,
            TransactionStatus::Failed,
            Some(FailureReason::MerchantUnavailable),
            None,
            now_us,
        )
        .await?;
        let t = Self::tx_in(&mut tx, transaction_id).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(t)
    }

    async fn expire_holds(&self, now_us: i64, limit: u32) -> Result<u32, RepoError> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT id FROM wallet_transactions WHERE status = 'pending' AND hold_transfer_id IN \
             (SELECT transfer_id FROM ledger_pending WHERE state = 'open' AND expires_at_us < $1) LIMIT {limit}"
        )))
        .bind(now_us)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        let mut expired = 0;
        for row in rows {
            let id: String = col(&row, "id")?;
            let mut tx = self.begin_write().await?;
            let t = Self::tx_in(&mut tx, &id).await?;
            // Another node may have captured, voided or expired it since the scan.
            if t.status != TransactionStatus::Pending {
                continue;
            }
            let pending_id = t.hold_transfer_id.clone().unwrap_or_default();
            if self
                .resolve_hold(&mut tx, &t, Phase::ExpirePending { pending_id }, 0, now_us)
                .await?
                .is_ok()
            {
                Self::set_tx_status(
                    &mut tx,
                    &t.id,
                    TransactionStatus::Failed,
                    Some(FailureReason::Expired),
                    None,
                    now_us,
                )
                .await?;
                tx.commit().await.map_err(db_err)?;
                expired += 1;
            }
        }
        Ok(expired)
    }

    async fn transaction(&self, id: &str) -> Result<WalletTransaction, RepoError> {
        let mut conn = self.pool.acquire().await.map_err(db_err)?;
        Self::tx_in(&mut conn, id).await
    }

    async fn transactions(
        &self,
        q: &TransactionQuery,
        after: Option<&Cursor>,
        limit: Limit,
    ) -> Result<Page<WalletTransaction>, RepoError> {
        let mut f = transaction_filters(q);
        f.after(after, "created_at_us", Order::Descending, true)?;
        let rows = f
            .fetch_page(
                &self.pool,
                TX_COLUMNS,
                "wallet_transactions",
                "created_at_us",
                Order::Descending,
                limit,
            )
            .await?;
        let items = rows
            .iter()
            .map(tx_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(crate::identity::page_of(items, limit, |t| {
            (t.created_at_us.to_string(), t.id.clone())
        }))
    }

    async fn notes(
        &self,
        transaction_id: &str,
        customer: &CustomerId,
    ) -> Result<Vec<TransactionNote>, RepoError> {
        let rows = sqlx::query(
            "SELECT id, transaction_id, customer_id, body, created_at_us, updated_at_us FROM transaction_notes \
             WHERE transaction_id = $1 AND customer_id = $2 ORDER BY created_at_us, id",
        )
        .bind(transaction_id.to_owned())
        .bind(customer.to_string())
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter().map(note_from_row).collect()
    }

    async fn add_note(
        &self,
        transaction_id: &str,
        customer: &CustomerId,
        body: &str,
        now_us: i64,
    ) -> Result<TransactionNote, RepoError> {
        let t = self.transaction(transaction_id).await?;
        if &t.customer_id != customer {
            return Err(RepoError::NotFound);
        }
        let id = uuid::Uuid::now_v7().to_string();
        sqlx::query("INSERT INTO transaction_notes (id, transaction_id, customer_id, body, created_at_us, updated_at_us) VALUES ($1, $2, $3, $4, $5, $5)")
            .bind(id.clone())
            .bind(transaction_id.to_owned())
            .bind(customer.to_string())
            .bind(body.to_owned())
            .bind(now_us)
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(TransactionNote {
            id,
            transaction_id: transaction_id.into(),
            customer_id: customer.clone(),
            body: body.into(),
            created_at_us: now_us,
            updated_at_us: now_us,
        })
    }

    async fn update_note(
        &self,
        note_id: &str,
        customer: &CustomerId,
        body: &str,
        now_us: i64,
    ) -> Result<TransactionNote, RepoError> {
        let done = sqlx::query("UPDATE transaction_notes SET body = $1, updated_at_us = $2 WHERE id = $3 AND customer_id = $4")
            .bind(body.to_owned())
            .bind(now_us)
            .bind(note_id.to_owned())
            .bind(customer.to_string())
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        if done.rows_affected() == 0 {
            return Err(RepoError::NotFound);
        }
        let row = sqlx::query("SELECT id, transaction_id, customer_id, body, created_at_us, updated_at_us FROM transaction_notes WHERE id = $1")
            .bind(note_id.to_owned())
            .fetch_one(&self.pool)
            .await
            .map_err(db_err)?;
        note_from_row(&row)
    }

    async fn delete_note(&self, note_id: &str, customer: &CustomerId) -> Result<(), RepoError> {
        let done = sqlx::query("DELETE FROM transaction_notes WHERE id = $1 AND customer_id = $2")
            .bind(note_id.to_owned())
            .bind(customer.to_string())
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        if done.rows_affected() == 0 {
            return Err(RepoError::NotFound);
        }
        Ok(())
    }

    async fn flags(&self, transaction_id: &str) -> Result<Vec<TransactionFlag>, RepoError> {
        let rows = sqlx::query(
            "SELECT id, transaction_id, customer_id, reason, comment, status, created_at_us FROM transaction_flags WHERE transaction_id = $1 ORDER BY created_at_us, id",
        )
        .bind(transaction_id.to_owned())
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter().map(flag_from_row).collect()
    }

    async fn add_flag(
        &self,
        transaction_id: &str,
        customer: &CustomerId,
        reason: FlagReason,
        comment: &str,
        now_us: i64,
    ) -> Result<TransactionFlag, RepoError> {
        let t = self.transaction(transaction_id).await?;
        if &t.customer_id != customer {
            return Err(RepoError::NotFound);
        }
        if self
            .flags(transaction_id)
            .await?
            .iter()
            .any(|f| f.status != FlagStatus::Resolved)
        {
            return Err(RepoError::InvalidState(
                "this transaction is already flagged".into(),
            ));
        }
        let id = uuid::Uuid::now_v7().to_string();
        sqlx::query(
            "INSERT INTO transaction_flags (id, transaction_id, customer_id, reason, comment, status, created_at_us, updated_at_us) VALUES ($1, $2, $3, $4, $5, 'open', $6, $6)",
        )
        .bind(id.clone())
        .bind(transaction_id.to_owned())
        .bind(customer.to_string())
        .bind(reason.as_str())
        .bind(comment.to_owned())
        .bind(now_us)
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(TransactionFlag {
            id,
            transaction_id: transaction_id.into(),
            customer_id: customer.clone(),
            reason,
            comment: comment.into(),
            status: FlagStatus::Open,
            created_at_us: now_us,
        })
    }

    async fn open_flags(
        &self,
        after: Option<&Cursor>,
        limit: Limit,
    ) -> Result<Page<TransactionFlag>, RepoError> {
        let mut f = Filters::default();
        f.clause("status <> 'resolved'".into());
        f.after(after, "created_at_us", Order::Ascending, true)?;
        let rows = f
            .fetch_page(
                &self.pool,
                "id, transaction_id, customer_id, reason, comment, status, created_at_us",
                "transaction_flags",
                "created_at_us",
                Order::Ascending,
                limit,
            )
            .await?;
        let items = rows
            .iter()
            .map(flag_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(crate::identity::page_of(items, limit, |fl| {
            (fl.created_at_us.to_string(), fl.id.clone())
        }))
    }

    async fn refund_policy(&self, merchant: &MerchantId) -> Result<RefundPolicy, RepoError> {
        let mut conn = self.pool.acquire().await.map_err(db_err)?;
        Self::policy_in(&mut conn, merchant).await
    }

    async fn set_refund_policy(
        &self,
        merchant: &MerchantId,
        p: &RefundPolicy,
        now_us: i64,
    ) -> Result<(), RepoError> {
        let reasons: Vec<&str> = p.accepted_reasons.iter().map(|r| r.as_str()).collect();
        sqlx::query(
            "INSERT INTO refund_policies (merchant_id, window_days, partial_allowed, max_refunds_per_payment, auto_approve_below_minor, accepted_reasons, updated_at_us) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (merchant_id) DO UPDATE SET window_days = excluded.window_days, \
             partial_allowed = excluded.partial_allowed, max_refunds_per_payment = excluded.max_refunds_per_payment, \
             auto_approve_below_minor = excluded.auto_approve_below_minor, accepted_reasons = excluded.accepted_reasons, updated_at_us = excluded.updated_at_us",
        )
        .bind(merchant.to_string())
        .bind(i64::from(p.window_days))
        .bind(i64::from(p.partial_allowed))
        .bind(i64::from(p.max_refunds_per_payment))
        .bind(p.auto_approve_below_minor)
        .bind(reasons.join(","))
        .bind(now_us)
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn request_refund(
        &self,
        payment_id: &str,
        amount_minor: i64,
        reason: RefundReason,
        now_us: i64,
    ) -> Result<Refund, RepoError> {
        let mut tx = self.begin_write().await?;
        // Lock the payment row on PostgreSQL so concurrent requests for it queue up.
        let payment = Self::tx_in_locked(&mut tx, payment_id, self.for_update()).await?;
        let Some(merchant) = payment
            .merchant_id
            .clone()
            .filter(|_| payment.kind == TransactionKind::Payment)
        else {
            return Err(RepoError::InvalidState(
                "only payments to merchants can be refunded".into(),
            ));
        };
        let policy = Self::policy_in(&mut tx, &merchant).await?;
        let (committed, previous) = Self::committed_refunds(&mut tx, payment_id, None).await?;
        let decision = evaluate_refund(
            &policy,
            &RefundCase {
                captured_minor: payment.amount.minor,
                payment_succeeded: payment.status == TransactionStatus::Succeeded,
                paid_at_us: payment.created_at_us,
                committed_minor: committed,
                previous_refunds: previous,
                amount_minor,
                reason,
                now_us,
            },
        );
        let status = match &decision {
            PolicyDecision::Approve(_) => RefundStatus::Approved,
            PolicyDecision::NeedsMerchant(_) => RefundStatus::Requested,
            PolicyDecision::Reject(_) => RefundStatus::Rejected,
        };
        let mut refund = Refund {
            id: uuid::Uuid::now_v7().to_string(),
            payment_id: payment_id.to_owned(),
            customer_id: payment.customer_id.clone(),
            merchant_id: merchant,
            amount: Money::new(amount_minor, payment.amount.currency),
            reason,
            status,
            rule: serde_json::to_value(decision.rule()).unwrap_or_default(),
            decided_by: None,
            decision_note: String::new(),
            refund_transaction_id: None,
            created_at_us: now_us,
            updated_at_us: now_us,
        };
        let sql = format!(
            "INSERT INTO refunds ({REFUND_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
        );
        sqlx::query(AssertSqlSafe(sql))
            .bind(refund.id.clone())
            .bind(refund.payment_id.clone())
            .bind(refund.customer_id.to_string())
            .bind(refund.merchant_id.to_string())
            .bind(refund.amount.minor)
            .bind(refund.amount.currency.code())
            .bind(reason.as_str())
            .bind(status.as_str())
            .bind(refund.rule.to_string())
            .bind(None::<String>)
            .bind(String::new())
            .bind(None::<String>)
            .bind(now_us)
            .bind(now_us)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        if status == RefundStatus::Approved {
            let (paid, tx_id) = self.pay_refund(&mut tx, &refund, now_us).await?;
            refund.status = paid;
            refund.refund_transaction_id = tx_id;
            Self::save_refund_decision(&mut tx, &refund).await?;
        }
        tx.commit().await.map_err(db_err)?;
        Ok(refund)
    }

    async fn decide_refund(
        &self,
        refund_id: &str,
        decision: &RefundDecision,
        now_us: i64,
    ) -> Result<Refund, RepoError> {
        let mut tx = self.begin_write().await?;
        let mut refund = Self::refund_in(&mut tx, refund_id, self.for_update()).await?;
        match decision {
            RefundDecision::Reject { by, note } => {
                if refund.status != RefundStatus::Requested {
                    return Err(RepoError::InvalidState(format!(
                        "the refund is {}",
                        refund.status.as_str()
                    )));
                }
                refund.status = RefundStatus::Rejected;
                refund.rule = serde_json::json!({"rule": "rejected_by_merchant"});
                refund.decided_by = Some(by.clone());
                refund.decision_note = note.clone();
            }
            RefundDecision::Approve {
                by,
                note,
                override_policy,
            } => {
                let allowed = refund.status == RefundStatus::Requested
                    || (*override_policy && refund.status == RefundStatus::Rejected);
                if !allowed {
                    return Err(RepoError::InvalidState(format!(
                        "the refund is {}",
                        refund.status.as_str()
                    )));
                }
                // No one may refund more than was captured, override or not.
                let payment = Self::tx_in(&mut tx, &refund.payment_id).await?;
                let (committed, _) =
                    Self::committed_refunds(&mut tx, &refund.payment_id, Some(&refund.id)).await?;
                if committed + refund.amount.minor > payment.amount.minor {
                    return Err(RepoError::InvalidState(
                        serde_json::to_string(&PolicyRule::ExceedsRefundable {
                            refundable_minor: payment.amount.minor - committed,
                        })
                        .unwrap_or_default(),
                    ));
                }
                refund.decided_by = Some(by.clone());
                refund.decision_note = note.clone();
                if *override_policy {
                    refund.rule =
                        serde_json::json!({"rule": "policy_overridden", "previous": refund.rule});
                }
                let (paid, tx_id) = self.pay_refund(&mut tx, &refund, now_us).await?;
                refund.status = paid;
                refund.refund_transaction_id = tx_id;
            }
        }
        refund.updated_at_us = now_us;
        Self::save_refund_decision(&mut tx, &refund).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(refund)
    }

    async fn refund(&self, refund_id: &str) -> Result<Refund, RepoError> {
        let mut conn = self.pool.acquire().await.map_err(db_err)?;
        Self::refund_in(&mut conn, refund_id, "").await
    }

    async fn refunds_of_payment(&self, payment_id: &str) -> Result<Vec<Refund>, RepoError> {
        let sql = format!(
            "SELECT {REFUND_COLUMNS} FROM refunds WHERE payment_id = $1 ORDER BY created_at_us, id"
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(payment_id.to_owned())
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        rows.iter().map(refund_from_row).collect()
    }

    async fn merchant_refunds(
        &self,
        merchant: &MerchantId,
        status: Option<RefundStatus>,
        limit: Limit,
    ) -> Result<Vec<Refund>, RepoError> {
        let mut f = Filters::default();
        let n = f.bind(merchant.as_str());
        f.clause(format!("merchant_id = ${n}"));
        if let Some(s) = status {
            let n = f.bind(s.as_str());
            f.clause(format!("status = ${n}"));
        }
        let rows = f
            .fetch_page(
                &self.pool,
                REFUND_COLUMNS,
                "refunds",
                "created_at_us",
                Order::Descending,
                limit,
            )
            .await?;
        let mut items = rows
            .iter()
            .map(refund_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        items.truncate(limit.get() as usize);
        Ok(items)
    }

    async fn post_linked_transfers(
        &self,
        group: &[TransferRequest],
        now_us: i64,
    ) -> Result<domain::ledger::GroupOutcome, RepoError> {
        let mut outcomes = self.post_transfer_groups(&[group.to_vec()], now_us).await?;
        outcomes
            .pop()
            .ok_or_else(|| RepoError::Unexpected(anyhow::anyhow!("no outcome for the group")))
    }

    async fn ledger_accounts(&self) -> Result<Vec<LedgerAccount>, RepoError> {
        let rows = sqlx::query("SELECT id, kind, currency, debits_posted, credits_posted, debits_pending, credits_pending FROM ledger_accounts ORDER BY id")
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        rows.iter().map(account_from_row).collect()
    }
}

/// The `WHERE` conditions of a history query.
pub(crate) fn transaction_filters(q: &TransactionQuery) -> Filters {
    let mut f = Filters::default();
    if let Some(c) = &q.customer_id {
        let n = f.bind(c.as_str());
        f.clause(format!("customer_id = ${n}"));
    }
    if let Some(m) = &q.merchant_id {
        let n = f.bind(m.as_str());
        f.clause(format!("merchant_id = ${n}"));
    }
    if let Some(v) = q.from_us {
        let n = f.bind(v);
        f.clause(format!("created_at_us >= ${n}"));
    }
    if let Some(v) = q.to_us {
        let n = f.bind(v);
        f.clause(format!("created_at_us < ${n}"));
    }
    if let Some(v) = q.min_minor {
        let n = f.bind(v);
        f.clause(format!("amount >= ${n}"));
    }
    if let Some(v) = q.max_minor {
        let n = f.bind(v);
        f.clause(format!("amount <= ${n}"));
    }
    if !q.kinds.is_empty() {
        let ns: Vec<String> = q
            .kinds
            .iter()
            .map(|k| format!("${}", f.bind(k.as_str())))
            .collect();
        f.clause(format!("kind IN ({})", ns.join(", ")));
    }
    if !q.statuses.is_empty() {
        let ns: Vec<String> = q
            .statuses
            .iter()
            .map(|s| format!("${}", f.bind(s.as_str())))
            .collect();
        f.clause(format!("status IN ({})", ns.join(", ")));
    }
    if let Some(text) = q.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        let n = f.bind(like_pattern(text));
        f.clause(format!("search_text LIKE ${n} ESCAPE '\\'"));
    }
    f
}

fn note_from_row(row: &AnyRow) -> Result<TransactionNote, RepoError> {
    Ok(TransactionNote {
        id: col(row, "id")?,
        transaction_id: col(row, "transaction_id")?,
        customer_id: CustomerId::from_string(col::<String>(row, "customer_id")?),
        body: col(row, "body")?,
        created_at_us: col(row, "created_at_us")?,
        updated_at_us: col(row, "updated_at_us")?,
    })
}

pub(crate) fn flag_from_row(row: &AnyRow) -> Result<TransactionFlag, RepoError> {
    let reason: String = col(row, "reason")?;
    let status: String = col(row, "status")?;
    Ok(TransactionFlag {
        id: col(row, "id")?,
        transaction_id: col(row, "transaction_id")?,
        customer_id: CustomerId::from_string(col::<String>(row, "customer_id")?),
        reason: FlagReason::parse(&reason).ok_or_else(|| corrupt("flag reason"))?,
        comment: col(row, "comment")?,
        status: FlagStatus::parse(&status).ok_or_else(|| corrupt("flag status"))?,
        created_at_us: col(row, "created_at_us")?,
    })
}
