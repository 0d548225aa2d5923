//! Coupons on both backends: campaigns, the coupons customers hold, and checkout.
//!
//! A checkout is one write transaction: lock the chosen coupons' campaigns and coupons
//! (`BEGIN IMMEDIATE` on SQLite, `SELECT … FOR UPDATE` in id order on PostgreSQL), build
//! the evaluation input from what is stored now, run the domain's evaluation, reserve each
//! applied coupon's use with a conditional `UPDATE` (the limits and the budget are checked
//! by the database itself), move the money through the ledger, store the evaluation, and
//! commit. If the ledger refuses, the reservations are released in the same transaction.

use crate::wallet::{NewTx, merchant_account, system_account, wallet_account};
use crate::{Store, col, db_err};
use async_trait::async_trait;
use domain::coupon::{
    Campaign, CampaignStatus, CampaignUsage, CheckoutOutcome, CheckoutRequest, Coupon, CouponInput,
    CouponRepo, CouponSource, EvaluationInput, Funder, HeldCoupon, PaymentContext,
    StoredEvaluation, evaluate, normalize_code,
};
use domain::ledger::{AccountKind, LedgerError, Phase, TransferRequest};
use domain::repo::RepoError;
use domain::wallet::{
    FailureReason, PriorOutgoing, TransactionKind, TransactionStatus, WalletTransaction,
    unusual_activity,
};
use domain::{CustomerId, Money};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AssertSqlSafe};

const CAMPAIGN_COLUMNS: &str = "k.rules, k.status, k.uses AS campaign_uses, k.spent_minor, \
    (SELECT COUNT(*) FROM coupons h WHERE h.campaign_id = k.id) AS holders";

const HELD_SQL: &str = "SELECT c.id, c.campaign_id, c.customer_id, c.source, c.uses AS coupon_uses, \
    c.created_at_us, k.rules, k.status, k.uses AS campaign_uses, k.spent_minor \
    FROM coupons c JOIN coupon_campaigns k ON k.id = c.campaign_id";

fn corrupt(what: &str) -> RepoError {
    RepoError::Unexpected(anyhow::anyhow!("stored {what} is not valid"))
}

fn campaign_from_row(row: &AnyRow) -> Result<Campaign, RepoError> {
    let rules: String = col(row, "rules")?;
    let status: String = col(row, "status")?;
    let mut c: Campaign = serde_json::from_str(&rules).map_err(|_| corrupt("campaign rules"))?;
    c.status = CampaignStatus::parse(&status).ok_or_else(|| corrupt("campaign status"))?;
    Ok(c)
}

fn count(row: &AnyRow, name: &str) -> Result<u32, RepoError> {
    Ok(u32::try_from(col::<i64>(row, name)?.max(0)).unwrap_or(u32::MAX))
}

fn held_from_row(row: &AnyRow) -> Result<(HeldCoupon, u32, i64), RepoError> {
    let source: String = col(row, "source")?;
    Ok((
        HeldCoupon {
            coupon: Coupon {
                id: col(row, "id")?,
                campaign_id: col(row, "campaign_id")?,
                customer_id: CustomerId::from_string(col::<String>(row, "customer_id")?),
                source: CouponSource::parse(&source).ok_or_else(|| corrupt("coupon source"))?,
                created_at_us: col(row, "created_at_us")?,
            },
            campaign: campaign_from_row(row)?,
            customer_uses: count(row, "coupon_uses")?,
        },
        count(row, "campaign_uses")?,
        col(row, "spent_minor")?,
    ))
}

fn input_of(h: (HeldCoupon, u32, i64), chosen: bool) -> CouponInput {
    let (held, campaign_uses, spent) = h;
    CouponInput {
        key: held.coupon.id,
        owner: Some(held.coupon.customer_id),
        campaign: Some(held.campaign),
        campaign_uses,
        campaign_spent_minor: spent,
        customer_uses: held.customer_uses,
        chosen,
    }
}

impl Store {
    /// Gathers what the evaluation of a payment depends on. With `lock`, the chosen
    /// coupons' campaigns and coupons are locked first (PostgreSQL), campaigns before
    /// coupons and each in id order, so concurrent checkouts queue instead of deadlocking.
    async fn build_input(
        &self,
        conn: &mut AnyConnection,
        req: &CheckoutRequest,
        code: Option<&str>,
        lock: bool,
        now_us: i64,
    ) -> Result<EvaluationInput, RepoError> {
        let merchant = sqlx::query("SELECT category FROM merchants WHERE id = $1")
            .bind(req.merchant.to_string())
            .fetch_optional(&mut *conn)
            .await
            .map_err(db_err)?
            .ok_or(RepoError::NotFound)?;
        sqlx::query("SELECT id FROM customers WHERE id = $1")
            .bind(req.customer.to_string())
            .fetch_optional(&mut *conn)
            .await
            .map_err(db_err)?
            .ok_or(RepoError::NotFound)?;
        let mut chosen: Vec<String> = Vec::new();
        for id in &req.chosen {
            if !chosen.contains(id) {
                chosen.push(id.clone());
            }
        }
        if lock && !self.for_update().is_empty() {
            let mut sorted = chosen.clone();
            sorted.sort();
            let mut campaigns = Vec::new();
            for id in &sorted {
                if let Some(r) = sqlx::query("SELECT campaign_id FROM coupons WHERE id = $1")
                    .bind(id.clone())
                    .fetch_optional(&mut *conn)
                    .await
                    .map_err(db_err)?
                {
                    campaigns.push(col::<String>(&r, "campaign_id")?);
                }
            }
            campaigns.sort();
            campaigns.dedup();
            for id in &campaigns {
                sqlx::query("SELECT id FROM coupon_campaigns WHERE id = $1 FOR UPDATE")
                    .bind(id.clone())
                    .fetch_optional(&mut *conn)
                    .await
                    .map_err(db_err)?;
            }
            for id in &sorted {
                sqlx::query("SELECT id FROM coupons WHERE id = $1 FOR UPDATE")
                    .bind(id.clone())
                    .fetch_optional(&mut *conn)
                    .await
                    .map_err(db_err)?;
            }
        }
        let n = sqlx::query(
            "SELECT COUNT(*) AS n FROM wallet_transactions WHERE customer_id = $1 AND kind = 'payment' \
             AND status IN ('succeeded', 'pending', 'reversed')",
        )
        .bind(req.customer.to_string())
        .fetch_one(&mut *conn)
        .await
        .map_err(db_err)?;
        let customer_is_new = col::<i64>(&n, "n")? == 0;
        let held_rows = sqlx::query(AssertSqlSafe(format!(
            "{HELD_SQL} WHERE c.customer_id = $1 ORDER BY c.created_at_us DESC, c.id DESC"
        )))
        .bind(req.customer.to_string())
        .fetch_all(&mut *conn)
        .await
        .map_err(db_err)?;
        let mut held = held_rows
            .iter()
            .map(held_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        // Chosen first, in the customer's order (stacking follows it), then the rest.
        let mut coupons = Vec::new();
        for id in &chosen {
            if let Some(pos) = held.iter().position(|h| &h.0.coupon.id == id) {
                coupons.push(input_of(held.remove(pos), true));
                continue;
            }
            // Someone else's coupon, or none at all: judged, and refused, like a code.
            let row = sqlx::query(AssertSqlSafe(format!("{HELD_SQL} WHERE c.id = $1")))
                .bind(id.clone())
                .fetch_optional(&mut *conn)
                .await
                .map_err(db_err)?;
            coupons.push(match row {
                Some(r) => input_of(held_from_row(&r)?, true),
                None => CouponInput {
                    key: format!("code:{id}"),
                    owner: None,
                    campaign: None,
                    campaign_uses: 0,
                    campaign_spent_minor: 0,
                    customer_uses: 0,
                    chosen: true,
                },
            });
        }
        if let Some(code) = code.map(normalize_code).filter(|c| !c.is_empty()) {
            let row = sqlx::query(AssertSqlSafe(format!(
                "SELECT k.id, {CAMPAIGN_COLUMNS} FROM coupon_campaigns k WHERE k.code = $1"
            )))
            .bind(code.clone())
            .fetch_optional(&mut *conn)
            .await
            .map_err(db_err)?;
            let campaign = row.as_ref().map(campaign_from_row).transpose()?;
            let already = campaign
                .as_ref()
                .and_then(|c| held.iter().position(|h| h.0.campaign.id == c.id));
            match (already, row) {
                // The customer holds it: that coupon answers.
                (Some(pos), _) => coupons.push(input_of(held.remove(pos), true)),
                (None, row) => coupons.push(CouponInput {
                    key: format!("code:{code}"),
                    owner: None,
                    campaign_uses: row
                        .as_ref()
                        .map(|r| count(r, "campaign_uses"))
                        .transpose()?
                        .unwrap_or(0),
                    campaign_spent_minor: row
                        .as_ref()
                        .map(|r| col::<i64>(r, "spent_minor"))
                        .transpose()?
                        .unwrap_or(0),
                    campaign,
                    customer_uses: 0,
                    chosen: true,
                }),
            }
        }
        coupons.extend(held.into_iter().map(|h| input_of(h, false)));
        Ok(EvaluationInput {
            context: PaymentContext {
                customer: req.customer.clone(),
                customer_is_new,
                merchant: req.merchant.clone(),
                merchant_category: col(&merchant, "category")?,
                payment_type: req.payment_type,
                amount: req.amount,
                at_us: now_us,
            },
            coupons,
        })
    }

    /// Takes one use (and its discount from the budget) of a coupon; `false` when a limit
    /// or the budget would be exceeded. The conditions are the database's own, so two
    /// transactions can never both take the last use.
    async fn reserve(
        conn: &mut AnyConnection,
        coupon_id: &str,
        campaign_id: &str,
        discount: i64,
    ) -> Result<bool, RepoError> {
        let campaign = sqlx::query(
            "UPDATE coupon_campaigns SET uses = uses + 1, spent_minor = spent_minor + $2 \
             WHERE id = $1 AND status = 'active' AND (total_limit IS NULL OR uses < total_limit) \
             AND (budget_minor IS NULL OR spent_minor + $2 <= budget_minor)",
        )
        .bind(campaign_id.to_owned())
        .bind(discount)
        .execute(&mut *conn)
        .await
        .map_err(db_err)?;
        if campaign.rows_affected() != 1 {
            return Ok(false);
        }
        let coupon = sqlx::query(
            "UPDATE coupons SET uses = uses + 1 WHERE id = $1 AND uses < \
             (SELECT per_customer_limit FROM coupon_campaigns k WHERE k.id = coupons.campaign_id)",
        )
        .bind(coupon_id.to_owned())
        .execute(&mut *conn)
        .await
        .map_err(db_err)?;
        Ok(coupon.rows_affected() == 1)
    }

    /// Gives a use back: the payment failed, or was refunded in full.
    async fn release(
        conn: &mut AnyConnection,
        coupon_id: &str,
        campaign_id: &str,
        discount: i64,
    ) -> Result<(), RepoError> {
        sqlx::query(
            "UPDATE coupon_campaigns SET uses = uses - 1, spent_minor = spent_minor - $2 WHERE id = $1",
        )
        .bind(campaign_id.to_owned())
        .bind(discount)
        .execute(&mut *conn)
        .await
        .map_err(db_err)?;
        sqlx::query("UPDATE coupons SET uses = uses - 1 WHERE id = $1")
            .bind(coupon_id.to_owned())
            .execute(&mut *conn)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    /// Transfers that undo a payment's platform discount when the payment is refunded in
    /// full: the merchant received it from the coupon funding account and gives it back.
    ///
    /// On PostgreSQL it also locks the payment's campaigns, before the ledger accounts,
    /// in the same order a checkout takes them, so a refund and a checkout never deadlock.
    pub(crate) async fn coupon_full_refund_transfers(
        &self,
        conn: &mut AnyConnection,
        payment: &WalletTransaction,
    ) -> Result<Vec<TransferRequest>, RepoError> {
        let Some(merchant) = &payment.merchant_id else {
            return Ok(Vec::new());
        };
        if !self.for_update().is_empty() {
            sqlx::query(
                "SELECT id FROM coupon_campaigns WHERE id IN (SELECT campaign_id FROM coupon_redemptions \
                 WHERE transaction_id = $1 AND state = 'redeemed') ORDER BY id FOR UPDATE",
            )
            .bind(payment.id.clone())
            .fetch_all(&mut *conn)
            .await
            .map_err(db_err)?;
        }
        let row = sqlx::query(
            "SELECT CAST(COALESCE(SUM(discount_minor), 0) AS BIGINT) AS total FROM coupon_redemptions \
             WHERE transaction_id = $1 AND state = 'redeemed' AND funder = 'platform'",
        )
        .bind(payment.id.clone())
        .fetch_one(&mut *conn)
        .await
        .map_err(db_err)?;
        let total: i64 = col(&row, "total")?;
        let currency = payment.amount.currency;
        Ok((total > 0)
            .then(|| TransferRequest {
                id: uuid::Uuid::now_v7().to_string(),
                debit_account: merchant_account(merchant, currency),
                credit_account: system_account(AccountKind::CouponFunding, currency),
                amount: total,
                currency,
                phase: Phase::Posted,
            })
            .into_iter()
            .collect())
    }

    /// The refund rule ([`domain::coupon::REFUND_RULE`]): a payment refunded in full gives
    /// every coupon use it took back, with its budget. Runs in the refund's transaction.
    pub(crate) async fn restore_coupons_of(
        conn: &mut AnyConnection,
        payment_id: &str,
        now_us: i64,
    ) -> Result<u32, RepoError> {
        let rows = sqlx::query(
            "SELECT id, coupon_id, campaign_id, discount_minor FROM coupon_redemptions \
             WHERE transaction_id = $1 AND state = 'redeemed' ORDER BY id",
        )
        .bind(payment_id.to_owned())
        .fetch_all(&mut *conn)
        .await
        .map_err(db_err)?;
        for r in &rows {
            let coupon: String = col(r, "coupon_id")?;
            let campaign: String = col(r, "campaign_id")?;
            Self::release(conn, &coupon, &campaign, col(r, "discount_minor")?).await?;
            sqlx::query(
                "UPDATE coupon_redemptions SET state = 'restored', updated_at_us = $1 WHERE id = $2",
            )
            .bind(now_us)
            .bind(col::<String>(r, "id")?)
            .execute(&mut *conn)
            .await
            .map_err(db_err)?;
        }
        Ok(rows.len() as u32)
    }

    /// For a held payment with coupons: the linked transfer that resolves the platform's
    /// held discount the same way as the payment's hold (posted in full on capture,
    /// released on void or expiry). A coupon payment is captured in full or not at all.
    /// On PostgreSQL the payment's campaigns are locked first, the order a checkout takes.
    pub(crate) async fn coupon_hold_resolution(
        &self,
        conn: &mut AnyConnection,
        tx: &WalletTransaction,
        phase: &Phase,
        amount: i64,
    ) -> Result<Vec<TransferRequest>, RepoError> {
        let reserved = sqlx::query(
            "SELECT COUNT(*) AS n FROM coupon_redemptions WHERE transaction_id = $1 AND state = 'reserved'",
        )
        .bind(tx.id.clone())
        .fetch_one(&mut *conn)
        .await
        .map_err(db_err)?;
        if col::<i64>(&reserved, "n")? == 0 {
            return Ok(Vec::new());
        }
        if matches!(phase, Phase::PostPending { .. }) && amount != tx.amount.minor {
            return Err(RepoError::InvalidState(
                "a payment with coupons is captured in full".into(),
            ));
        }
        if !self.for_update().is_empty() {
            sqlx::query(
                "SELECT id FROM coupon_campaigns WHERE id IN (SELECT campaign_id FROM coupon_redemptions \
                 WHERE transaction_id = $1 AND state = 'reserved') ORDER BY id FOR UPDATE",
            )
            .bind(tx.id.clone())
            .fetch_all(&mut *conn)
            .await
            .map_err(db_err)?;
        }
        let row = sqlx::query(
            "SELECT t.id, t.debit_account, t.credit_account, t.amount FROM ledger_transfers t \
             JOIN ledger_pending p ON p.transfer_id = t.id \
             WHERE t.transaction_id = $1 AND p.state = 'open' AND t.id <> $2",
        )
        .bind(tx.id.clone())
        .bind(tx.hold_transfer_id.clone().unwrap_or_default())
        .fetch_optional(&mut *conn)
        .await
        .map_err(db_err)?;
        let Some(row) = row else {
            return Ok(Vec::new());
        };
        let pending_id: String = col(&row, "id")?;
        let phase = match phase {
            Phase::PostPending { .. } => Phase::PostPending { pending_id },
            Phase::VoidPending { .. } => Phase::VoidPending { pending_id },
            Phase::ExpirePending { .. } => Phase::ExpirePending { pending_id },
            Phase::Posted | Phase::Pending { .. } => return Ok(Vec::new()),
        };
        Ok(vec![TransferRequest {
            id: uuid::Uuid::now_v7().to_string(),
            debit_account: col(&row, "debit_account")?,
            credit_account: col(&row, "credit_account")?,
            amount: col(&row, "amount")?,
            currency: tx.amount.currency,
            phase,
        }])
    }

    /// A held payment's reserved coupon uses: redeemed when it is captured, released
    /// (given back) when it is voided or expires.
    pub(crate) async fn settle_coupon_reservations(
        conn: &mut AnyConnection,
        payment_id: &str,
        captured: bool,
        now_us: i64,
    ) -> Result<(), RepoError> {
        let rows = sqlx::query(
            "SELECT id, coupon_id, campaign_id, discount_minor FROM coupon_redemptions \
             WHERE transaction_id = $1 AND state = 'reserved' ORDER BY id",
        )
        .bind(payment_id.to_owned())
        .fetch_all(&mut *conn)
        .await
        .map_err(db_err)?;
        for r in &rows {
            if !captured {
                let coupon: String = col(r, "coupon_id")?;
                let campaign: String = col(r, "campaign_id")?;
                Self::release(conn, &coupon, &campaign, col(r, "discount_minor")?).await?;
            }
            sqlx::query(
                "UPDATE coupon_redemptions SET state = $1, updated_at_us = $2 WHERE id = $3",
            )
            .bind(if captured { "redeemed" } else { "released" })
            .bind(now_us)
            .bind(col::<String>(r, "id")?)
            .execute(&mut *conn)
            .await
            .map_err(db_err)?;
        }
        Ok(())
    }

    async fn usage_of(&self, id: &str) -> Result<CampaignUsage, RepoError> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT k.id, {CAMPAIGN_COLUMNS} FROM coupon_campaigns k WHERE k.id = $1"
        )))
        .bind(id.to_owned())
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?
        .ok_or(RepoError::NotFound)?;
        usage_from_row(&row)
    }

    async fn store_evaluation(
        conn: &mut AnyConnection,
        transaction_id: &str,
        input: &EvaluationInput,
        evaluation: &domain::coupon::Evaluation,
        now_us: i64,
    ) -> Result<(), RepoError> {
        let json = |v: serde_json::Result<String>| {
            v.map_err(|e| RepoError::Unexpected(anyhow::anyhow!("evaluation as JSON: {e}")))
        };
        sqlx::query(
            "INSERT INTO coupon_evaluations (transaction_id, customer_id, input, evaluation, created_at_us) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(transaction_id.to_owned())
        .bind(input.context.customer.to_string())
        .bind(json(serde_json::to_string(input))?)
        .bind(json(serde_json::to_string(evaluation))?)
        .bind(now_us)
        .execute(&mut *conn)
        .await
        .map_err(db_err)?;
        Ok(())
    }
}

fn usage_from_row(row: &AnyRow) -> Result<CampaignUsage, RepoError> {
    Ok(CampaignUsage {
        campaign: campaign_from_row(row)?,
        uses: count(row, "campaign_uses")?,
        spent_minor: col(row, "spent_minor")?,
        holders: count(row, "holders")?,
    })
}

#[async_trait]
impl CouponRepo for Store {
    async fn create_campaign(&self, c: &Campaign) -> Result<(), RepoError> {
        let rules = serde_json::to_string(c)
            .map_err(|e| RepoError::Unexpected(anyhow::anyhow!("campaign as JSON: {e}")))?;
        let funder = match &c.funder {
            Funder::Platform => None,
            Funder::Merchant(m) => Some(m.to_string()),
        };
        sqlx::query(
            "INSERT INTO coupon_campaigns (id, name, rules, code, status, funder_merchant_id, per_customer_limit, \
             total_limit, budget_minor, created_at_us) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(c.id.clone())
        .bind(c.name.clone())
        .bind(rules)
        .bind(c.code.clone())
        .bind(c.status.as_str())
        .bind(funder)
        .bind(i64::from(c.per_customer_limit))
        .bind(c.total_limit.map(i64::from))
        .bind(c.budget_minor)
        .bind(c.created_at_us)
        .execute(&self.pool)
        .await
        .map_err(|e| match db_err(e) {
            RepoError::Conflict(_) => RepoError::Conflict("code".into()),
            other => other,
        })?;
        Ok(())
    }

    async fn campaigns(&self) -> Result<Vec<CampaignUsage>, RepoError> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT k.id, {CAMPAIGN_COLUMNS} FROM coupon_campaigns k ORDER BY k.created_at_us DESC, k.id DESC"
        )))
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter().map(usage_from_row).collect()
    }

    async fn campaign_usage(&self, id: &str) -> Result<CampaignUsage, RepoError> {
        self.usage_of(id).await
    }

    async fn set_campaign_status(
        &self,
        id: &str,
        status: CampaignStatus,
    ) -> Result<Campaign, RepoError> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT status FROM coupon_campaigns WHERE id = $1{}",
            self.for_update()
        )))
        .bind(id.to_owned())
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?
        .ok_or(RepoError::NotFound)?;
        if col::<String>(&row, "status")? == CampaignStatus::Ended.as_str() {
            return Err(RepoError::InvalidState("the campaign has ended".into()));
        }
        sqlx::query("UPDATE coupon_campaigns SET status = $1 WHERE id = $2")
            .bind(status.as_str())
            .bind(id.to_owned())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        Ok(self.usage_of(id).await?.campaign)
    }

    async fn issue_coupon(
        &self,
        campaign_id: &str,
        customer: &CustomerId,
        now_us: i64,
    ) -> Result<Coupon, RepoError> {
        let usage = self.usage_of(campaign_id).await?;
        if usage.campaign.status == CampaignStatus::Ended {
            return Err(RepoError::InvalidState("the campaign has ended".into()));
        }
        insert_coupon(self, campaign_id, customer, CouponSource::Issued, now_us).await
    }

    async fn claim_code(
        &self,
        code: &str,
        customer: &CustomerId,
        now_us: i64,
    ) -> Result<Coupon, RepoError> {
        let row =
            sqlx::query("SELECT id FROM coupon_campaigns WHERE code = $1 AND status = 'active'")
                .bind(normalize_code(code))
                .fetch_optional(&self.pool)
                .await
                .map_err(db_err)?
                .ok_or(RepoError::NotFound)?;
        let campaign_id: String = col(&row, "id")?;
        let usage = self.usage_of(&campaign_id).await?;
        if now_us >= usage.campaign.valid_until_us {
            return Err(RepoError::NotFound);
        }
        // Claiming twice is harmless: the coupon already held is the answer.
        let held = sqlx::query(AssertSqlSafe(format!(
            "{HELD_SQL} WHERE c.campaign_id = $1 AND c.customer_id = $2"
        )))
        .bind(campaign_id.clone())
        .bind(customer.to_string())
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?;
        if let Some(r) = held {
            return Ok(held_from_row(&r)?.0.coupon);
        }
        insert_coupon(self, &campaign_id, customer, CouponSource::Claimed, now_us).await
    }

    async fn customer_coupons(&self, customer: &CustomerId) -> Result<Vec<HeldCoupon>, RepoError> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "{HELD_SQL} WHERE c.customer_id = $1 ORDER BY c.created_at_us DESC, c.id DESC"
        )))
        .bind(customer.to_string())
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter().map(|r| held_from_row(r).map(|h| h.0)).collect()
    }

    async fn evaluation_input(
        &self,
        request: &CheckoutRequest,
        code: Option<&str>,
        now_us: i64,
    ) -> Result<EvaluationInput, RepoError> {
        let mut conn = self.pool.acquire().await.map_err(db_err)?;
        self.build_input(&mut conn, request, code, false, now_us)
            .await
    }

    async fn checkout(
        &self,
        req: &CheckoutRequest,
        now_us: i64,
    ) -> Result<CheckoutOutcome, RepoError> {
        let mut tx = self.begin_write().await?;
        let conn = &mut *tx;
        let input = self.build_input(conn, req, None, true, now_us).await?;
        let evaluation = evaluate(&input);
        let currency = req.amount.currency;
        let tx_id = uuid::Uuid::now_v7().to_string();
        let refused = evaluation
            .results
            .iter()
            .any(|r| r.chosen && !r.outcome.is_applicable());
        let mut reserved = Vec::new();
        if !refused {
            for (r, discount) in evaluation.applied() {
                let campaign = r.campaign_id.clone().unwrap_or_default();
                if !Self::reserve(conn, &r.key, &campaign, discount).await? {
                    // Cannot happen while the rows are locked; refuse rather than overspend.
                    return Err(RepoError::InvalidState(
                        "a coupon's last use was taken meanwhile".into(),
                    ));
                }
                let funder = input
                    .coupons
                    .iter()
                    .find(|c| c.key == r.key)
                    .and_then(|c| c.campaign.as_ref())
                    .map_or("platform", |c| c.funder.class());
                reserved.push((r.key.clone(), campaign, discount, funder));
            }
        }
        // A held payment (the merchant captures or voids it later) holds the platform's
        // part too, and keeps its coupon uses reserved until then. Nothing to hold when the
        // coupons cover everything: such a payment is made at once.
        let held = req.hold_minutes.is_some() && evaluation.payable.minor > 0 && !refused;
        let phase = match req.hold_minutes {
            Some(m) if held => Phase::Pending {
                expires_at_us: now_us + i64::from(m) * 60_000_000,
            },
            _ => Phase::Posted,
        };
        let hold_id = uuid::Uuid::now_v7().to_string();
        let wallet = wallet_account(&req.customer, currency);
        let merchant_acc = merchant_account(&req.merchant, currency);
        let funding = system_account(AccountKind::CouponFunding, currency);
        for (id, kind, owner) in [
            (
                &wallet,
                AccountKind::CustomerWallet,
                Some(req.customer.as_str()),
            ),
            (
                &merchant_acc,
                AccountKind::MerchantSettlement,
                Some(req.merchant.as_str()),
            ),
            (&funding, AccountKind::CouponFunding, None),
        ] {
            Self::ensure_account(conn, id, kind, owner, currency, now_us).await?;
        }
        let (status, failure, amount) = if refused {
            (
                TransactionStatus::Failed,
                Some(FailureReason::CouponNotApplicable),
                req.amount,
            )
        } else {
            let payable = evaluation.payable.minor;
            let platform = evaluation.platform_discount.minor;
            let mut batch = Vec::new();
            if payable > 0 {
                batch.push(TransferRequest {
                    id: hold_id.clone(),
                    debit_account: wallet.clone(),
                    credit_account: merchant_acc.clone(),
                    amount: payable,
                    currency,
                    phase: phase.clone(),
                });
            }
            // A platform coupon is paid to the merchant from the coupon funding account;
            // a merchant coupon is simply money the merchant does not receive.
            if platform > 0 {
                batch.push(TransferRequest {
                    id: uuid::Uuid::now_v7().to_string(),
                    debit_account: funding.clone(),
                    credit_account: merchant_acc.clone(),
                    amount: platform,
                    currency,
                    phase: phase.clone(),
                });
            }
            let verdict = if batch.is_empty() {
                Ok(Vec::new())
            } else {
                self.post_batch(conn, &batch, Some(&tx_id), now_us).await?
            };
            let failure = match verdict {
                Ok(_) => None,
                Err(LedgerError::InsufficientFunds { .. }) => {
                    Some(FailureReason::InsufficientBalance)
                }
                Err(LedgerError::Overflow) => Some(FailureReason::LimitExceeded),
                Err(e) => return Err(RepoError::InvalidState(e.to_string())),
            };
            match failure {
                None if held => (TransactionStatus::Pending, None, evaluation.payable),
                None => (TransactionStatus::Succeeded, None, evaluation.payable),
                Some(f) => {
                    // The payment failed: its reservations go back at once.
                    for (coupon, campaign, discount, _) in &reserved {
                        Self::release(conn, coupon, campaign, *discount).await?;
                    }
                    (TransactionStatus::Failed, Some(f), evaluation.payable)
                }
            }
        };
        let unusual = if status != TransactionStatus::Failed {
            let history = Self::prior_outgoing(conn, &req.customer).await?;
            unusual_activity(
                &history,
                &PriorOutgoing {
                    amount_minor: amount.minor,
                    counterparty: req.merchant.to_string(),
                    is_payment: true,
                    at_us: now_us,
                },
            )
        } else {
            None
        };
        let transaction = Self::insert_tx(
            conn,
            NewTx {
                id: tx_id.clone(),
                customer: &req.customer,
                kind: TransactionKind::Payment,
                status,
                amount: Money::new(amount.minor, currency),
                merchant: Some(&req.merchant),
                counterparty: None,
                failure,
                description: req.description.clone(),
                original_id: None,
                hold_transfer_id: (status == TransactionStatus::Pending).then(|| hold_id.clone()),
                unusual,
            },
            now_us,
        )
        .await?;
        let state = match status {
            TransactionStatus::Succeeded => "redeemed",
            TransactionStatus::Pending => "reserved",
            _ => "released",
        };
        for (coupon, campaign, discount, funder) in &reserved {
            sqlx::query(
                "INSERT INTO coupon_redemptions (id, coupon_id, campaign_id, transaction_id, funder, discount_minor, \
                 currency, state, created_at_us, updated_at_us) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
            )
            .bind(uuid::Uuid::now_v7().to_string())
            .bind(coupon.clone())
            .bind(campaign.clone())
            .bind(tx_id.clone())
            .bind(*funder)
            .bind(*discount)
            .bind(currency.code())
            .bind(state)
            .bind(now_us)
            .execute(&mut *conn)
            .await
            .map_err(db_err)?;
        }
        Self::store_evaluation(conn, &tx_id, &input, &evaluation, now_us).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(CheckoutOutcome {
            transaction,
            evaluation,
        })
    }

    async fn payment_evaluation(
        &self,
        transaction_id: &str,
    ) -> Result<StoredEvaluation, RepoError> {
        let row = sqlx::query(
            "SELECT input, evaluation FROM coupon_evaluations WHERE transaction_id = $1",
        )
        .bind(transaction_id.to_owned())
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?
        .ok_or(RepoError::NotFound)?;
        let input: String = col(&row, "input")?;
        let evaluation: String = col(&row, "evaluation")?;
        Ok(StoredEvaluation {
            transaction_id: transaction_id.to_owned(),
            input: serde_json::from_str(&input).map_err(|_| corrupt("evaluation input"))?,
            evaluation: serde_json::from_str(&evaluation).map_err(|_| corrupt("evaluation"))?,
        })
    }
}

async fn insert_coupon(
    store: &Store,
    campaign_id: &str,
    customer: &CustomerId,
    source: CouponSource,
    now_us: i64,
) -> Result<Coupon, RepoError> {
    let coupon = Coupon {
        id: uuid::Uuid::now_v7().to_string(),
        campaign_id: campaign_id.to_owned(),
        customer_id: customer.clone(),
        source,
        created_at_us: now_us,
    };
    sqlx::query(
        "INSERT INTO coupons (id, campaign_id, customer_id, source, created_at_us) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(coupon.id.clone())
    .bind(coupon.campaign_id.clone())
    .bind(customer.to_string())
    .bind(source.as_str())
    .bind(now_us)
    .execute(&store.pool)
    .await
    .map_err(|e| match db_err(e) {
        RepoError::Conflict(_) => RepoError::Conflict("coupon".into()),
        other => other,
    })?;
    Ok(coupon)
}
