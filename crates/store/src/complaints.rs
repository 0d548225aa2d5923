//! Merchant complaints on both backends. Filing, every step and the deadline worker each
//! run in one write transaction that locks the complaint (or the payment, when filing)
//! first: the state check of the domain's transition table, the ledger movement (hold,
//! post, void or expire) and the timeline entry commit together or not at all.

// Dynamic SQL here is assembled only from constant fragments; every value is bound.
use crate::wallet::{NewTx, merchant_account, wallet_account};
use crate::{Filters, Order, Store, col, db_err};
use async_trait::async_trait;
use domain::complaint::{
    Complaint, ComplaintAction, ComplaintActor, ComplaintCategory, ComplaintEvent, ComplaintQuery,
    ComplaintRepo, ComplaintState, DeadlineRound, Deadlines, DesiredOutcome, Evidence,
    EvidenceParty, MoneyEffect, NewComplaint, StepBy, next_check_us, transition,
};
use domain::ledger::{AccountKind, Phase, TransferRequest};
use domain::repo::RepoError;
use domain::wallet::{TransactionKind, TransactionStatus};
use domain::{Currency, Cursor, CustomerId, Limit, MerchantId, Money, Page};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AssertSqlSafe};

const COLUMNS: &str = "id, reference, payment_id, customer_id, merchant_id, category, description, amount, currency, \
    desired_outcome, state, merchant_due_us, decision_due_us, expires_at_us, time_zone, escalated_at_us, \
    hold_transfer_id, refunded_minor, refund_transaction_id, ticket_id, created_at_us, updated_at_us, \
    (SELECT name FROM merchants m WHERE m.id = complaints.merchant_id) AS merchant_name";

const EVIDENCE_COLUMNS: &str =
    "id, complaint_id, party, file_name, content_type, size_bytes, storage_key, created_at_us";

fn corrupt(what: &str) -> RepoError {
    RepoError::Unexpected(anyhow::anyhow!("stored complaint {what} is not valid"))
}

fn complaint_from_row(row: &AnyRow) -> Result<Complaint, RepoError> {
    let currency: String = col(row, "currency")?;
    let category: String = col(row, "category")?;
    let outcome: String = col(row, "desired_outcome")?;
    let state: String = col(row, "state")?;
    Ok(Complaint {
        id: col(row, "id")?,
        reference: col(row, "reference")?,
        payment_id: col(row, "payment_id")?,
        customer_id: CustomerId::from_string(col::<String>(row, "customer_id")?),
        merchant_id: MerchantId::from_string(col::<String>(row, "merchant_id")?),
        merchant_name: col::<Option<String>>(row, "merchant_name")?.unwrap_or_default(),
        category: ComplaintCategory::parse(&category).ok_or_else(|| corrupt("category"))?,
        description: col(row, "description")?,
        disputed: Money::new(
            col(row, "amount")?,
            Currency::parse(&currency).map_err(|_| corrupt("currency"))?,
        ),
        desired_outcome: DesiredOutcome::parse(&outcome).ok_or_else(|| corrupt("outcome"))?,
        state: ComplaintState::parse(&state).ok_or_else(|| corrupt("state"))?,
        deadlines: Deadlines {
            merchant_due_us: col(row, "merchant_due_us")?,
            decision_due_us: col(row, "decision_due_us")?,
            expires_at_us: col(row, "expires_at_us")?,
        },
        time_zone: col(row, "time_zone")?,
        escalated_at_us: col(row, "escalated_at_us")?,
        hold_transfer_id: col(row, "hold_transfer_id")?,
        refunded_minor: col(row, "refunded_minor")?,
        refund_transaction_id: col(row, "refund_transaction_id")?,
        ticket_id: col(row, "ticket_id")?,
        created_at_us: col(row, "created_at_us")?,
        updated_at_us: col(row, "updated_at_us")?,
    })
}

fn event_from_row(row: &AnyRow) -> Result<ComplaintEvent, RepoError> {
    let actor: String = col(row, "actor_kind")?;
    let from: Option<String> = col(row, "from_state")?;
    let to: String = col(row, "to_state")?;
    Ok(ComplaintEvent {
        id: col(row, "id")?,
        complaint_id: col(row, "complaint_id")?,
        actor: ComplaintActor::parse(&actor).ok_or_else(|| corrupt("actor"))?,
        actor_id: col(row, "actor_id")?,
        actor_name: col(row, "actor_name")?,
        action: col(row, "action")?,
        from_state: from
            .map(|f| ComplaintState::parse(&f).ok_or_else(|| corrupt("state")))
            .transpose()?,
        to_state: ComplaintState::parse(&to).ok_or_else(|| corrupt("state"))?,
        note: col(row, "note")?,
        amount_minor: col(row, "amount_minor")?,
        at_us: col(row, "at_us")?,
    })
}

fn evidence_from_row(row: &AnyRow) -> Result<Evidence, RepoError> {
    let party: String = col(row, "party")?;
    Ok(Evidence {
        id: col(row, "id")?,
        complaint_id: col(row, "complaint_id")?,
        party: EvidenceParty::parse(&party).ok_or_else(|| corrupt("party"))?,
        file_name: col(row, "file_name")?,
        content_type: col(row, "content_type")?,
        size_bytes: col(row, "size_bytes")?,
        storage_key: col(row, "storage_key")?,
        created_at_us: col(row, "created_at_us")?,
    })
}

/// A reference customers can quote: date and eight hex digits.
fn new_reference(now_us: i64) -> String {
    let date = jiff::Timestamp::from_microsecond(now_us)
        .map(|t| t.strftime("%Y%m%d").to_string())
        .unwrap_or_default();
    let tail = uuid::Uuid::now_v7().simple().to_string();
    format!("CP-{date}-{}", tail[tail.len() - 8..].to_uppercase())
}

/// A timeline entry to write.
struct Step<'a> {
    by: &'a StepBy,
    action: &'a str,
    from: Option<ComplaintState>,
    to: ComplaintState,
    note: &'a str,
    amount_minor: i64,
}

impl Store {
    async fn complaint_in(
        conn: &mut AnyConnection,
        id: &str,
        lock: &str,
    ) -> Result<Complaint, RepoError> {
        let sql = format!("SELECT {COLUMNS} FROM complaints WHERE id = $1{lock}");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(id.to_owned())
            .fetch_optional(conn)
            .await
            .map_err(db_err)?;
        complaint_from_row(&row.ok_or(RepoError::NotFound)?)
    }

    async fn insert_complaint_event(
        conn: &mut AnyConnection,
        complaint_id: &str,
        step: Step<'_>,
        now_us: i64,
    ) -> Result<(), RepoError> {
        sqlx::query(
            "INSERT INTO complaint_events (id, complaint_id, actor_kind, actor_id, actor_name, action, from_state, to_state, note, amount_minor, at_us) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(uuid::Uuid::now_v7().to_string())
        .bind(complaint_id.to_owned())
        .bind(step.by.actor.as_str())
        .bind(step.by.id.clone())
        .bind(step.by.name.clone())
        .bind(step.action.to_owned())
        .bind(step.from.map(|s| s.as_str()))
        .bind(step.to.as_str())
        .bind(step.note.to_owned())
        .bind(step.amount_minor)
        .bind(now_us)
        .execute(conn)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    /// Writes a complaint's mutable columns back.
    async fn save_complaint_row(conn: &mut AnyConnection, c: &Complaint) -> Result<(), RepoError> {
        let next = next_check_us(c.state, &c.deadlines, c.escalated_at_us.is_some());
        sqlx::query(
            "UPDATE complaints SET state = $1, open_payment_id = $2, escalated_at_us = $3, next_check_us = $4, \
             refunded_minor = $5, refund_transaction_id = $6, updated_at_us = $7 WHERE id = $8",
        )
        .bind(c.state.as_str())
        .bind(c.state.is_open().then(|| c.payment_id.clone()))
        .bind(c.escalated_at_us)
        .bind(next)
        .bind(c.refunded_minor)
        .bind(c.refund_transaction_id.clone())
        .bind(c.updated_at_us)
        .bind(c.id.clone())
        .execute(conn)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    /// One step inside the caller's transaction, the complaint already locked: checked
    /// by the transition table, money moved, saved, recorded.
    async fn apply_step(
        &self,
        conn: &mut AnyConnection,
        mut c: Complaint,
        action: ComplaintAction,
        by: &StepBy,
        note: &str,
        now_us: i64,
    ) -> Result<Complaint, RepoError> {
        let (next, effect) = transition(c.state, action, by.actor, c.disputed.minor)
            .map_err(|e| RepoError::InvalidState(e.to_string()))?;
        let currency = c.disputed.currency;
        let merchant = merchant_account(&c.merchant_id, currency);
        let wallet = wallet_account(&c.customer_id, currency);
        let resolve = |phase: Phase, amount: i64| TransferRequest {
            id: uuid::Uuid::now_v7().to_string(),
            debit_account: merchant.clone(),
            credit_account: wallet.clone(),
            amount,
            currency,
            phase,
        };
        let mut refunded = 0;
        match effect {
            MoneyEffect::None => {}
            MoneyEffect::Refund { amount_minor } => {
                let request = match &c.hold_transfer_id {
                    Some(hold) => resolve(
                        Phase::PostPending {
                            pending_id: hold.clone(),
                        },
                        amount_minor,
                    ),
                    // No hold could be placed when filed: pay from the settlement now.
                    None => resolve(Phase::Posted, amount_minor),
                };
                let refund_tx_id = uuid::Uuid::now_v7().to_string();
                if let Err(e) = self
                    .post_batch(conn, &[request], Some(&refund_tx_id), now_us)
                    .await?
                {
                    return Err(RepoError::InvalidState(format!(
                        "the merchant's settlement cannot cover the refund: {e}"
                    )));
                }
                Self::insert_tx(
                    conn,
                    NewTx {
                        id: refund_tx_id.clone(),
                        customer: &c.customer_id,
                        kind: TransactionKind::Refund,
                        status: TransactionStatus::Succeeded,
                        amount: Money::new(amount_minor, currency),
                        merchant: Some(&c.merchant_id),
                        counterparty: None,
                        failure: None,
                        description: format!("Complaint {}", c.reference),
                        original_id: Some(c.payment_id.clone()),
                        hold_transfer_id: None,
                        unusual: None,
                    },
                    now_us,
                )
                .await?;
                // Refunded in full (with earlier refunds): the payment shows as reversed.
                let payment = Self::tx_in(conn, &c.payment_id).await?;
                let row = sqlx::query(
                    "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) AS total FROM wallet_transactions \
                     WHERE original_id = $1 AND kind = 'refund' AND status = 'succeeded'",
                )
                .bind(c.payment_id.clone())
                .fetch_one(&mut *conn)
                .await
                .map_err(db_err)?;
                if col::<i64>(&row, "total")? >= payment.amount.minor {
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
                c.refund_transaction_id = Some(refund_tx_id);
                refunded = amount_minor;
            }
            MoneyEffect::Release | MoneyEffect::ExpireHold => {
                if let Some(hold) = &c.hold_transfer_id {
                    let phase = if effect == MoneyEffect::Release {
                        Phase::VoidPending {
                            pending_id: hold.clone(),
                        }
                    } else {
                        Phase::ExpirePending {
                            pending_id: hold.clone(),
                        }
                    };
                    if let Err(e) = self
                        .post_batch(conn, &[resolve(phase, 0)], None, now_us)
                        .await?
                    {
                        return Err(RepoError::InvalidState(format!(
                            "the hold cannot be released: {e}"
                        )));
                    }
                }
            }
        }
        let from = c.state;
        c.state = next;
        c.refunded_minor += refunded;
        c.updated_at_us = now_us;
        Self::save_complaint_row(conn, &c).await?;
        Self::insert_complaint_event(
            conn,
            &c.id,
            Step {
                by,
                action: action.as_str(),
                from: Some(from),
                to: next,
                note,
                amount_minor: refunded,
            },
            now_us,
        )
        .await?;
        Ok(c)
    }
}

/// The open-complaint index refused a second one: say so in the domain's words.
fn open_conflict(e: RepoError) -> RepoError {
    match e {
        RepoError::Conflict(_) => RepoError::Conflict("open_complaint".into()),
        other => other,
    }
}

#[async_trait]
impl ComplaintRepo for Store {
    async fn file_complaint(
        &self,
        customer: &CustomerId,
        new: &NewComplaint,
        now_us: i64,
    ) -> Result<Complaint, RepoError> {
        let mut tx = self.begin_write().await?;
        // Locking the payment serialises filings on it (PostgreSQL; SQLite's write
        // transaction already does); the unique index below is the guarantee either way.
        let payment = Self::tx_in_locked(&mut tx, &new.payment_id, self.for_update()).await?;
        if payment.customer_id != *customer {
            return Err(RepoError::NotFound);
        }
        let Some(merchant) = payment.merchant_id.clone() else {
            return Err(RepoError::InvalidState(
                "only payments to a merchant can be complained about".into(),
            ));
        };
        if payment.kind != TransactionKind::Payment
            || !matches!(
                payment.status,
                TransactionStatus::Succeeded | TransactionStatus::Reversed
            )
        {
            return Err(RepoError::InvalidState(
                "only completed payments to a merchant can be complained about".into(),
            ));
        }
        if new.disputed.currency != payment.amount.currency {
            return Err(RepoError::InvalidState(
                "the disputed amount must be in the payment's currency".into(),
            ));
        }
        let open = sqlx::query("SELECT id FROM complaints WHERE open_payment_id = $1")
            .bind(payment.id.clone())
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?;
        if open.is_some() {
            return Err(RepoError::Conflict("open_complaint".into()));
        }
        let (committed, _) = Self::committed_refunds(&mut tx, &payment.id, None).await?;
        let remaining = (payment.amount.minor - committed).max(0);
        if new.disputed.minor <= 0 || new.disputed.minor > remaining {
            return Err(RepoError::InvalidState(format!(
                "at most {} can be disputed",
                Money::new(remaining, payment.amount.currency)
            )));
        }
        let currency = payment.amount.currency;
        Self::ensure_account(
            &mut tx,
            &wallet_account(customer, currency),
            AccountKind::CustomerWallet,
            Some(customer.as_str()),
            currency,
            now_us,
        )
        .await?;
        let hold = TransferRequest {
            id: uuid::Uuid::now_v7().to_string(),
            debit_account: merchant_account(&merchant, currency),
            credit_account: wallet_account(customer, currency),
            amount: new.disputed.minor,
            currency,
            phase: Phase::Pending {
                expires_at_us: new.deadlines.expires_at_us,
            },
        };
        // A merchant whose settlement was already paid out cannot be held from; the
        // complaint goes ahead and a refund decided later is paid when it can be.
        let hold_id = match self
            .post_batch(&mut tx, std::slice::from_ref(&hold), None, now_us)
            .await?
        {
            Ok(_) => Some(hold.id),
            Err(_) => None,
        };
        let id = uuid::Uuid::now_v7().to_string();
        let c = Complaint {
            id: id.clone(),
            reference: new_reference(now_us),
            payment_id: payment.id.clone(),
            customer_id: customer.clone(),
            merchant_id: merchant,
            merchant_name: payment.merchant_name.clone().unwrap_or_default(),
            category: new.category,
            description: new.description.clone(),
            disputed: new.disputed,
            desired_outcome: new.desired_outcome,
            state: ComplaintState::Submitted,
            deadlines: new.deadlines,
            time_zone: new.time_zone.clone(),
            escalated_at_us: None,
            hold_transfer_id: hold_id,
            refunded_minor: 0,
            refund_transaction_id: None,
            ticket_id: None,
            created_at_us: now_us,
            updated_at_us: now_us,
        };
        sqlx::query(
            "INSERT INTO complaints (id, reference, payment_id, open_payment_id, customer_id, merchant_id, category, description, \
             amount, currency, desired_outcome, state, merchant_due_us, decision_due_us, expires_at_us, time_zone, \
             next_check_us, hold_transfer_id, created_at_us, updated_at_us) \
             VALUES ($1, $2, $3, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $18)",
        )
        .bind(c.id.clone())
        .bind(c.reference.clone())
        .bind(c.payment_id.clone())
        .bind(c.customer_id.to_string())
        .bind(c.merchant_id.to_string())
        .bind(c.category.as_str())
        .bind(c.description.clone())
        .bind(c.disputed.minor)
        .bind(currency.code())
        .bind(c.desired_outcome.as_str())
        .bind(c.state.as_str())
        .bind(c.deadlines.merchant_due_us)
        .bind(c.deadlines.decision_due_us)
        .bind(c.deadlines.expires_at_us)
        .bind(c.time_zone.clone())
        .bind(next_check_us(c.state, &c.deadlines, false))
        .bind(c.hold_transfer_id.clone())
        .bind(now_us)
        .execute(&mut *tx)
        .await
        .map_err(db_err)
        .map_err(open_conflict)?;
        let filer = StepBy {
            actor: ComplaintActor::Customer,
            id: customer.to_string(),
            name: new.actor_name.clone(),
        };
        Self::insert_complaint_event(
            &mut tx,
            &id,
            Step {
                by: &filer,
                action: "filed",
                from: None,
                to: ComplaintState::Submitted,
                note: &c.description,
                amount_minor: 0,
            },
            now_us,
        )
        .await?;
        let system = StepBy {
            actor: ComplaintActor::System,
            id: String::new(),
            name: "paydesk".into(),
        };
        let c = self
            .apply_step(
                &mut tx,
                c,
                ComplaintAction::SendToMerchant,
                &system,
                "",
                now_us,
            )
            .await?;
        tx.commit().await.map_err(db_err).map_err(open_conflict)?;
        Ok(c)
    }

    async fn complaint(&self, id: &str) -> Result<Complaint, RepoError> {
        let mut conn = self.pool.acquire().await.map_err(db_err)?;
        Self::complaint_in(&mut conn, id, "").await
    }

    async fn complaints(
        &self,
        query: &ComplaintQuery,
        after: Option<&Cursor>,
        limit: Limit,
    ) -> Result<Page<Complaint>, RepoError> {
        let mut f = Filters::default();
        if let Some(c) = &query.customer_id {
            let n = f.bind(c.to_string());
            f.clause(format!("customer_id = ${n}"));
        }
        if let Some(m) = &query.merchant_id {
            let n = f.bind(m.to_string());
            f.clause(format!("merchant_id = ${n}"));
        }
        if let Some(p) = &query.payment_id {
            let n = f.bind(p.clone());
            f.clause(format!("payment_id = ${n}"));
        }
        if query.open_only || query.escalated_only {
            f.clause("open_payment_id IS NOT NULL".into());
        }
        if query.escalated_only {
            f.clause("escalated_at_us IS NOT NULL".into());
        }
        // The queue shows what is due soonest first; histories show the newest first.
        let (key, order) = if query.open_only || query.escalated_only {
            ("decision_due_us", Order::Ascending)
        } else {
            ("created_at_us", Order::Descending)
        };
        f.after(after, key, order, true)?;
        let rows = f
            .fetch_page(&self.pool, COLUMNS, "complaints", key, order, limit)
            .await?;
        let items = rows
            .iter()
            .map(complaint_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(crate::identity::page_of(items, limit, |c| {
            let k = if order == Order::Ascending {
                c.deadlines.decision_due_us
            } else {
                c.created_at_us
            };
            (k.to_string(), c.id.clone())
        }))
    }

    async fn complaint_events(&self, id: &str) -> Result<Vec<ComplaintEvent>, RepoError> {
        let rows = sqlx::query(
            "SELECT id, complaint_id, actor_kind, actor_id, actor_name, action, from_state, to_state, note, amount_minor, at_us \
             FROM complaint_events WHERE complaint_id = $1 ORDER BY at_us, id",
        )
        .bind(id.to_owned())
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter().map(event_from_row).collect()
    }

    async fn act_on_complaint(
        &self,
        id: &str,
        action: ComplaintAction,
        by: &StepBy,
        note: &str,
        now_us: i64,
    ) -> Result<Complaint, RepoError> {
        let mut tx = self.begin_write().await?;
        let c = Self::complaint_in(&mut tx, id, self.for_update()).await?;
        let c = self
            .apply_step(&mut tx, c, action, by, note, now_us)
            .await?;
        tx.commit().await.map_err(db_err)?;
        Ok(c)
    }

    async fn add_evidence(
        &self,
        evidence: &Evidence,
        by: &StepBy,
        max_files: u32,
        now_us: i64,
    ) -> Result<Evidence, RepoError> {
        let mut tx = self.begin_write().await?;
        let c = Self::complaint_in(&mut tx, &evidence.complaint_id, self.for_update()).await?;
        if !c.state.is_open() {
            return Err(RepoError::InvalidState(
                "evidence can only be added while the complaint is open".into(),
            ));
        }
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM complaint_evidence WHERE complaint_id = $1 AND party = $2",
        )
        .bind(c.id.clone())
        .bind(evidence.party.as_str())
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        if col::<i64>(&row, "n")? >= i64::from(max_files) {
            return Err(RepoError::InvalidState(format!(
                "at most {max_files} files per side"
            )));
        }
        sqlx::query(
            "INSERT INTO complaint_evidence (id, complaint_id, party, file_name, content_type, size_bytes, storage_key, uploaded_by, created_at_us) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(evidence.id.clone())
        .bind(c.id.clone())
        .bind(evidence.party.as_str())
        .bind(evidence.file_name.clone())
        .bind(evidence.content_type.clone())
        .bind(evidence.size_bytes)
        .bind(evidence.storage_key.clone())
        .bind(by.id.clone())
        .bind(now_us)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        Self::insert_complaint_event(
            &mut tx,
            &c.id,
            Step {
                by,
                action: "evidence_added",
                from: Some(c.state),
                to: c.state,
                note: &evidence.file_name,
                amount_minor: 0,
            },
            now_us,
        )
        .await?;
        tx.commit().await.map_err(db_err)?;
        Ok(Evidence {
            created_at_us: now_us,
            ..evidence.clone()
        })
    }

    async fn complaint_evidence(&self, id: &str) -> Result<Vec<Evidence>, RepoError> {
        let sql = format!(
            "SELECT {EVIDENCE_COLUMNS} FROM complaint_evidence WHERE complaint_id = $1 ORDER BY created_at_us, id"
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(id.to_owned())
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        rows.iter().map(evidence_from_row).collect()
    }

    async fn evidence(&self, id: &str) -> Result<Evidence, RepoError> {
        let sql = format!("SELECT {EVIDENCE_COLUMNS} FROM complaint_evidence WHERE id = $1");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(id.to_owned())
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        evidence_from_row(&row.ok_or(RepoError::NotFound)?)
    }

    async fn set_complaint_ticket(&self, id: &str, ticket_id: &str) -> Result<(), RepoError> {
        let done = sqlx::query("UPDATE complaints SET ticket_id = $1 WHERE id = $2")
            .bind(ticket_id.to_owned())
            .bind(id.to_owned())
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        if done.rows_affected() == 0 {
            return Err(RepoError::NotFound);
        }
        Ok(())
    }

    async fn run_complaint_deadlines(
        &self,
        now_us: i64,
        limit: u32,
    ) -> Result<DeadlineRound, RepoError> {
        let mut tx = self.begin_write().await?;
        // Claimed rows stay locked until this transaction ends: another node's worker
        // skips them instead of waiting or doing them twice.
        let sql = format!(
            "SELECT id FROM complaints WHERE next_check_us IS NOT NULL AND next_check_us <= $1 \
             ORDER BY next_check_us, id LIMIT {}{}",
            limit.max(1),
            self.skip_locked()
        );
        let ids: Vec<String> = sqlx::query(AssertSqlSafe(sql))
            .bind(now_us)
            .fetch_all(&mut *tx)
            .await
            .map_err(db_err)?
            .iter()
            .map(|r| col::<String>(r, "id"))
            .collect::<Result<_, _>>()?;
        let system = StepBy {
            actor: ComplaintActor::System,
            id: String::new(),
            name: "paydesk".into(),
        };
        let mut round = DeadlineRound::default();
        for id in ids {
            let mut c = Self::complaint_in(&mut tx, &id, "").await?;
            if c.state == ComplaintState::AwaitingMerchant && c.deadlines.merchant_due_us <= now_us
            {
                c = self
                    .apply_step(
                        &mut tx,
                        c,
                        ComplaintAction::MerchantDeadlinePassed,
                        &system,
                        "",
                        now_us,
                    )
                    .await?;
                round.merchant_late += 1;
            }
            if c.state.is_open() && c.deadlines.expires_at_us < now_us {
                self.apply_step(&mut tx, c, ComplaintAction::Expire, &system, "", now_us)
                    .await?;
                round.expired += 1;
                continue;
            }
            if c.state.is_open()
                && c.escalated_at_us.is_none()
                && c.deadlines.decision_due_us <= now_us
            {
                c.escalated_at_us = Some(now_us);
                c.updated_at_us = now_us;
                Self::insert_complaint_event(
                    &mut tx,
                    &c.id,
                    Step {
                        by: &system,
                        action: "escalated",
                        from: Some(c.state),
                        to: c.state,
                        note: "",
                        amount_minor: 0,
                    },
                    now_us,
                )
                .await?;
                round.escalated += 1;
                round.escalated_ids.push(c.id.clone());
            }
            // Always store the next check, so a row is never picked up again too early.
            Self::save_complaint_row(&mut tx, &c).await?;
        }
        tx.commit().await.map_err(db_err)?;
        Ok(round)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::StoreOptions;
    use domain::repo::WalletRepo;
    use domain::wallet::WalletOperation;
    use domain::{AccountStatus, Customer, DisplayName, Email, Locale, Merchant, Region, RegionId};

    /// The database itself refuses a second open complaint on a payment, whatever the
    /// code in front of it does: the lock and the check in `file_complaint` are bypassed
    /// here by reopening a closed complaint with plain SQL.
    #[tokio::test]
    async fn the_unique_index_refuses_a_second_open_complaint() {
        let url = crate::testing::fresh_database_url().await.unwrap();
        let store = Store::open(&StoreOptions {
            sqlite_full_sync: false,
            ..StoreOptions::new(url, 2)
        })
        .await
        .unwrap();
        let region = RegionId::from_string("id-jakarta");
        store
            .upsert_region(&Region {
                id: region.clone(),
                name: "Jakarta".into(),
                country: "ID".into(),
                time_zone: "Asia/Jakarta".into(),
                zone_abbreviation: "WIB".into(),
            })
            .await
            .unwrap();
        let merchant = Merchant {
            id: MerchantId::new(),
            name: "Toko".into(),
            category: "retail".into(),
            region_id: region.clone(),
        };
        store.ensure_merchant(&merchant, 0).await.unwrap();
        let customer = Customer {
            id: CustomerId::new(),
            email: Some(Email::parse("a@example.id").unwrap()),
            phone: None,
            display_name: DisplayName::parse("Ani").unwrap(),
            locale: Locale::Id,
            region_id: region,
            status: AccountStatus::Active,
            created_at_us: 0,
        };
        store.insert_customer(&customer, "x", false).await.unwrap();
        let idr = |m| Money::new(m, Currency::IDR);
        store
            .execute(
                &WalletOperation::TopUp {
                    customer: customer.id.clone(),
                    amount: idr(1000),
                },
                1,
            )
            .await
            .unwrap();
        let pay = store
            .execute(
                &WalletOperation::Payment {
                    customer: customer.id.clone(),
                    merchant: merchant.id.clone(),
                    amount: idr(1000),
                    hold_minutes: None,
                    description: "x".into(),
                },
                2,
            )
            .await
            .unwrap();
        let new = NewComplaint {
            payment_id: pay.id.clone(),
            category: ComplaintCategory::Other,
            description: "x".into(),
            disputed: idr(100),
            desired_outcome: DesiredOutcome::Explanation,
            deadlines: Deadlines {
                merchant_due_us: 10_000,
                decision_due_us: 20_000,
                expires_at_us: 30_000,
            },
            time_zone: "Asia/Jakarta".into(),
            actor_name: "Ani".into(),
        };
        let first = store.file_complaint(&customer.id, &new, 3).await.unwrap();
        let by = StepBy {
            actor: ComplaintActor::Customer,
            id: customer.id.to_string(),
            name: "Ani".into(),
        };
        store
            .act_on_complaint(&first.id, ComplaintAction::Withdraw, &by, "", 4)
            .await
            .unwrap();
        store.file_complaint(&customer.id, &new, 5).await.unwrap();
        let reopen = sqlx::query("UPDATE complaints SET open_payment_id = $1 WHERE id = $2")
            .bind(pay.id.clone())
            .bind(first.id.clone())
            .execute(&store.pool)
            .await
            .map_err(db_err);
        assert!(matches!(reopen, Err(RepoError::Conflict(_))), "{reopen:?}");
        store.close().await;
    }
}
