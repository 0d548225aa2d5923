//! Linked bank cards and bank accounts on both backends. Adding one is a single write
//! transaction: the customer's row is locked (`BEGIN IMMEDIATE` on SQLite, `FOR UPDATE`
//! on PostgreSQL) so the limit and duplicate checks cannot be raced, other customers'
//! records with the same fingerprint are flagged, and micro-deposits are posted through
//! the ledger before the commit.

use crate::wallet::system_account;
use crate::{Store, col, db_err};
use async_trait::async_trait;
use domain::cards::{
    AttemptResult, CardBrand, CardRepo, LinkOutcome, LinkProblem, LinkState, LinkVerification,
    LinkedMethod, MethodKind, NewLinkedMethod, RiskFlag, apply_attempt,
};
use domain::ledger::{AccountKind, Phase, TransferRequest};
use domain::repo::RepoError;
use domain::{Currency, CustomerId};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AssertSqlSafe};

const COLUMNS: &str = "id, customer_id, kind, bank_code, brand, bin, last4, fingerprint, expiry_month, expiry_year, \
    holder_name, state, verification, failure, attempts, max_attempts, otp_challenge, deposit_1, deposit_2, \
    deposit_currency, verify_by_us, risk, created_at_us, updated_at_us";

fn corrupt(what: &str) -> RepoError {
    RepoError::Unexpected(anyhow::anyhow!("stored linked method {what} is not valid"))
}

fn from_row(row: &AnyRow) -> Result<LinkedMethod, RepoError> {
    let kind: String = col(row, "kind")?;
    let state: String = col(row, "state")?;
    let verification: String = col(row, "verification")?;
    let brand: Option<String> = col(row, "brand")?;
    let failure: Option<String> = col(row, "failure")?;
    let risk: Option<String> = col(row, "risk")?;
    let d1: Option<i64> = col(row, "deposit_1")?;
    let d2: Option<i64> = col(row, "deposit_2")?;
    let currency: Option<String> = col(row, "deposit_currency")?;
    let small = |v: Option<i64>, what: &str| -> Result<Option<i16>, RepoError> {
        v.map(|x| i16::try_from(x).map_err(|_| corrupt(what)))
            .transpose()
    };
    Ok(LinkedMethod {
        id: col(row, "id")?,
        customer_id: CustomerId::from_string(col::<String>(row, "customer_id")?),
        kind: MethodKind::parse(&kind).ok_or_else(|| corrupt("kind"))?,
        bank_code: col(row, "bank_code")?,
        brand: brand
            .map(|b| CardBrand::parse(&b).ok_or_else(|| corrupt("brand")))
            .transpose()?,
        bin: col(row, "bin")?,
        last4: col(row, "last4")?,
        fingerprint: col(row, "fingerprint")?,
        expiry_month: small(col(row, "expiry_month")?, "expiry month")?
            .map(|m| i8::try_from(m).map_err(|_| corrupt("expiry month")))
            .transpose()?,
        expiry_year: small(col(row, "expiry_year")?, "expiry year")?,
        holder_name: col(row, "holder_name")?,
        state: LinkState::parse(&state).ok_or_else(|| corrupt("state"))?,
        verification: LinkVerification::parse(&verification)
            .ok_or_else(|| corrupt("verification"))?,
        failure: failure
            .map(|f| LinkProblem::parse(&f).ok_or_else(|| corrupt("failure")))
            .transpose()?,
        attempts: u32::try_from(col::<i64>(row, "attempts")?).map_err(|_| corrupt("attempts"))?,
        max_attempts: u32::try_from(col::<i64>(row, "max_attempts")?)
            .map_err(|_| corrupt("max attempts"))?,
        otp_challenge: col(row, "otp_challenge")?,
        deposits: d1.zip(d2),
        deposit_currency: currency
            .map(|c| Currency::parse(&c).map_err(|_| corrupt("currency")))
            .transpose()?,
        verify_by_us: col(row, "verify_by_us")?,
        risk: risk
            .map(|r| RiskFlag::parse(&r).ok_or_else(|| corrupt("risk")))
            .transpose()?,
        created_at_us: col(row, "created_at_us")?,
        updated_at_us: col(row, "updated_at_us")?,
    })
}

/// Ids of the two micro-deposit transfers of a record, fixed so a retry cannot post twice.
pub fn deposit_transfer_ids(method_id: &str) -> [String; 2] {
    [
        format!("microdeposit:{method_id}:1"),
        format!("microdeposit:{method_id}:2"),
    ]
}

impl Store {
    async fn method_in(
        &self,
        conn: &mut AnyConnection,
        id: &str,
    ) -> Result<LinkedMethod, RepoError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM linked_methods WHERE id = $1{}",
            self.for_update()
        );
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(id.to_owned())
            .fetch_optional(conn)
            .await
            .map_err(db_err)?;
        from_row(&row.ok_or(RepoError::NotFound)?)
    }

    async fn save_state(conn: &mut AnyConnection, m: &LinkedMethod) -> Result<(), RepoError> {
        sqlx::query(
            "UPDATE linked_methods SET state = $1, failure = $2, attempts = $3, updated_at_us = $4 WHERE id = $5",
        )
        .bind(m.state.as_str())
        .bind(m.failure.map(|f| f.as_str()))
        .bind(i64::from(m.attempts))
        .bind(m.updated_at_us)
        .bind(m.id.clone())
        .execute(conn)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    /// Posts the two micro-deposits: the operator pays them from its fee income to the
    /// bank clearing account (money leaving for the customer's bank).
    async fn post_deposits(
        &self,
        conn: &mut AnyConnection,
        m: &LinkedMethod,
        now_us: i64,
    ) -> Result<(), RepoError> {
        let (Some((a, b)), Some(currency)) = (m.deposits, m.deposit_currency) else {
            return Ok(());
        };
        let fees = system_account(AccountKind::Fees, currency);
        let bank = system_account(AccountKind::BankClearing, currency);
        Self::ensure_account(conn, &fees, AccountKind::Fees, None, currency, now_us).await?;
        Self::ensure_account(
            conn,
            &bank,
            AccountKind::BankClearing,
            None,
            currency,
            now_us,
        )
        .await?;
        let [id1, id2] = deposit_transfer_ids(&m.id);
        let batch: Vec<TransferRequest> = [(id1, a), (id2, b)]
            .into_iter()
            .map(|(id, amount)| TransferRequest {
                id,
                debit_account: fees.clone(),
                credit_account: bank.clone(),
                amount,
                currency,
                phase: Phase::Posted,
            })
            .collect();
        match self.post_batch(conn, &batch, None, now_us).await? {
            Ok(_) => Ok(()),
            Err(e) => Err(RepoError::InvalidState(format!(
                "micro-deposits refused by the ledger: {e}"
            ))),
        }
    }
}

#[async_trait]
impl CardRepo for Store {
    async fn link_method(
        &self,
        new: &NewLinkedMethod,
        now_us: i64,
    ) -> Result<LinkOutcome, RepoError> {
        let m = &new.method;
        let mut tx = self.begin_write().await?;
        let conn = &mut *tx;
        // Serialises adds of one customer on PostgreSQL (SQLite's BEGIN IMMEDIATE already
        // holds the write lock), so the count below cannot be raced.
        let sql = format!(
            "SELECT id FROM customers WHERE id = $1{}",
            self.for_update()
        );
        sqlx::query(AssertSqlSafe(sql))
            .bind(m.customer_id.to_string())
            .fetch_optional(&mut *conn)
            .await
            .map_err(db_err)?
            .ok_or(RepoError::NotFound)?;
        let active = sqlx::query(
            "SELECT fingerprint FROM linked_methods WHERE customer_id = $1 AND kind = $2 \
             AND state IN ('pending_verification', 'verified')",
        )
        .bind(m.customer_id.to_string())
        .bind(m.kind.as_str())
        .fetch_all(&mut *conn)
        .await
        .map_err(db_err)?;
        for row in &active {
            if col::<String>(row, "fingerprint")? == m.fingerprint {
                return Ok(LinkOutcome::Refused(LinkProblem::AlreadyLinked));
            }
        }
        if active.len() >= new.limit as usize {
            return Ok(LinkOutcome::Refused(LinkProblem::LimitReached));
        }
        let others = sqlx::query(
            "SELECT DISTINCT customer_id FROM linked_methods WHERE fingerprint = $1 AND customer_id <> $2 \
             AND state IN ('pending_verification', 'verified') ORDER BY customer_id",
        )
        .bind(m.fingerprint.clone())
        .bind(m.customer_id.to_string())
        .fetch_all(&mut *conn)
        .await
        .map_err(db_err)?
        .iter()
        .map(|r| col::<String>(r, "customer_id").map(CustomerId::from_string))
        .collect::<Result<Vec<_>, _>>()?;
        let mut stored = m.clone();
        if !others.is_empty() {
            stored.risk = Some(RiskFlag::SharedWithOtherCustomer);
            sqlx::query(
                "UPDATE linked_methods SET risk = $1, updated_at_us = $2 WHERE fingerprint = $3 \
                 AND state IN ('pending_verification', 'verified')",
            )
            .bind(RiskFlag::SharedWithOtherCustomer.as_str())
            .bind(now_us)
            .bind(m.fingerprint.clone())
            .execute(&mut *conn)
            .await
            .map_err(db_err)?;
        }
        sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO linked_methods ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, \
             $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24)"
        )))
        .bind(stored.id.clone())
        .bind(stored.customer_id.to_string())
        .bind(stored.kind.as_str())
        .bind(stored.bank_code.clone())
        .bind(stored.brand.map(|b| b.as_str()))
        .bind(stored.bin.clone())
        .bind(stored.last4.clone())
        .bind(stored.fingerprint.clone())
        .bind(stored.expiry_month.map(i64::from))
        .bind(stored.expiry_year.map(i64::from))
        .bind(stored.holder_name.clone())
        .bind(stored.state.as_str())
        .bind(stored.verification.as_str())
        .bind(stored.failure.map(|f| f.as_str()))
        .bind(i64::from(stored.attempts))
        .bind(i64::from(stored.max_attempts))
        .bind(stored.otp_challenge.clone())
        .bind(stored.deposits.map(|d| d.0))
        .bind(stored.deposits.map(|d| d.1))
        .bind(stored.deposit_currency.map(|c| c.code()))
        .bind(stored.verify_by_us)
        .bind(stored.risk.map(|r| r.as_str()))
        .bind(now_us)
        .bind(now_us)
        .execute(&mut *conn)
        .await
        .map_err(db_err)?;
        stored.created_at_us = now_us;
        stored.updated_at_us = now_us;
        self.post_deposits(conn, &stored, now_us).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(LinkOutcome::Linked {
            method: Box::new(stored),
            shared_with: others,
        })
    }

    async fn linked_method(&self, id: &str) -> Result<LinkedMethod, RepoError> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM linked_methods WHERE id = $1"
        )))
        .bind(id.to_owned())
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?;
        from_row(&row.ok_or(RepoError::NotFound)?)
    }

    async fn linked_methods(
        &self,
        customer: &CustomerId,
        include_removed: bool,
    ) -> Result<Vec<LinkedMethod>, RepoError> {
        let filter = if include_removed {
            ""
        } else {
            " AND state <> 'removed'"
        };
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM linked_methods WHERE customer_id = $1{filter} ORDER BY created_at_us DESC, id DESC"
        )))
        .bind(customer.to_string())
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter().map(from_row).collect()
    }

    async fn fingerprint_holders(&self, fingerprint: &str) -> Result<Vec<CustomerId>, RepoError> {
        sqlx::query(
            "SELECT DISTINCT customer_id FROM linked_methods WHERE fingerprint = $1 \
             AND state IN ('pending_verification', 'verified') ORDER BY customer_id",
        )
        .bind(fingerprint.to_owned())
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?
        .iter()
        .map(|r| col::<String>(r, "customer_id").map(CustomerId::from_string))
        .collect()
    }

    async fn answer_link_verification(
        &self,
        id: &str,
        correct: bool,
        now_us: i64,
    ) -> Result<Result<(LinkedMethod, AttemptResult), LinkProblem>, RepoError> {
        let mut tx = self.begin_write().await?;
        let current = self.method_in(&mut tx, id).await?;
        let (next, result) = match apply_attempt(&current, correct, now_us) {
            Ok(v) => v,
            Err(p) => return Ok(Err(p)),
        };
        Self::save_state(&mut tx, &next).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(Ok((next, result)))
    }

    async fn fail_verification(
        &self,
        id: &str,
        reason: LinkProblem,
        now_us: i64,
    ) -> Result<LinkedMethod, RepoError> {
        let mut tx = self.begin_write().await?;
        let mut m = self.method_in(&mut tx, id).await?;
        if m.state != LinkState::PendingVerification {
            return Err(RepoError::InvalidState("not pending verification".into()));
        }
        m.state = LinkState::Failed;
        m.failure = Some(reason);
        m.updated_at_us = now_us;
        Self::save_state(&mut tx, &m).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(m)
    }

    async fn remove_method(
        &self,
        id: &str,
        customer: &CustomerId,
        now_us: i64,
    ) -> Result<LinkedMethod, RepoError> {
        let mut tx = self.begin_write().await?;
        let mut m = self.method_in(&mut tx, id).await?;
        if &m.customer_id != customer || m.state == LinkState::Removed {
            return Err(RepoError::NotFound);
        }
        m.state = LinkState::Removed;
        m.updated_at_us = now_us;
        Self::save_state(&mut tx, &m).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(m)
    }
}

impl Store {
    /// Every `table.column` of text whose value contains `needle`, over the whole schema
    /// (tables listed from the database's own catalogue). Slow: for tests and audits that
    /// prove a value (a card number) is stored nowhere, on either backend.
    pub async fn text_columns_containing(&self, needle: &str) -> Result<Vec<String>, RepoError> {
        let columns: Vec<(String, String)> = match self.backend {
            crate::Backend::Sqlite => {
                let tables = sqlx::query(
                    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
                )
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                let mut out = Vec::new();
                for t in &tables {
                    let table: String = col(t, "name")?;
                    let cols = sqlx::query("SELECT name, type FROM pragma_table_info($1)")
                        .bind(table.clone())
                        .fetch_all(&self.pool)
                        .await
                        .map_err(db_err)?;
                    for c in &cols {
                        let ty: String = col(c, "type")?;
                        if ty.to_ascii_uppercase().contains("TEXT") {
                            out.push((table.clone(), col(c, "name")?));
                        }
                    }
                }
                out
            }
            crate::Backend::Postgres => sqlx::query(
                "SELECT CAST(table_name AS TEXT) AS t, CAST(column_name AS TEXT) AS c FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND data_type IN ('text', 'character varying')",
            )
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?
            .iter()
            .map(|r| Ok((col(r, "t")?, col(r, "c")?)))
            .collect::<Result<_, RepoError>>()?,
        };
        // Plain digits need no escaping; like_pattern adds the wildcards.
        let pattern = crate::like_pattern(needle);
        let mut hits = Vec::new();
        for (table, column) in columns {
            // Names come from the catalogue and are quoted; the needle is bound.
            let sql = format!(
                "SELECT COUNT(*) AS n FROM \"{}\" WHERE \"{}\" LIKE $1",
                table.replace('"', "\"\""),
                column.replace('"', "\"\"")
            );
            let row = sqlx::query(AssertSqlSafe(sql))
                .bind(pattern.clone())
                .fetch_one(&self.pool)
                .await
                .map_err(db_err)?;
            if col::<i64>(&row, "n")? > 0 {
                hits.push(format!("{table}.{column}"));
            }
        }
        Ok(hits)
    }
}
