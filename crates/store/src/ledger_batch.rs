//! Group commit for ledger transfers, the way TigerBeetle does it: many submitters'
//! transfers are applied in memory and written in one database transaction, so one fsync
//! serves a whole batch. Each submitted group (one transfer, or linked transfers) still
//! succeeds or fails on its own.

use crate::{Backend, Store, col, db_err};
use domain::ledger::{
    LedgerAccount, LedgerError, PendingTransfer, Phase, TransferRequest, apply_batch,
};
use domain::repo::RepoError;
use sqlx::{AnyConnection, AssertSqlSafe};
use std::collections::{HashMap, HashSet};
use tokio::sync::{mpsc, oneshot};

pub use domain::ledger::GroupOutcome;

/// Rows per multi-row statement: well under SQLite's bind limit and PostgreSQL's.
const CHUNK: usize = 400;

impl Store {
    /// Creates ledger accounts that do not exist yet.
    pub async fn create_ledger_accounts(
        &self,
        accounts: &[LedgerAccount],
        now_us: i64,
    ) -> Result<(), RepoError> {
        let mut tx = self.begin_write().await?;
        for chunk in accounts.chunks(CHUNK) {
            let sql = format!(
                "INSERT INTO ledger_accounts (id, kind, currency, created_at_us) VALUES {} ON CONFLICT (id) DO NOTHING",
                self.value_rows(chunk.len(), 4)
            );
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for a in chunk {
                q = q
                    .bind(a.id.clone())
                    .bind(a.kind.as_str())
                    .bind(a.currency.code())
                    .bind(now_us);
            }
            q.execute(&mut *tx).await.map_err(db_err)?;
        }
        tx.commit().await.map_err(db_err)?;
        Ok(())
    }

    async fn load_accounts(
        &self,
        conn: &mut AnyConnection,
        ids: &[String],
    ) -> Result<HashMap<String, LedgerAccount>, RepoError> {
        let mut out = HashMap::with_capacity(ids.len());
        for chunk in ids.chunks(CHUNK) {
            let marks: Vec<String> = (1..=chunk.len()).map(|i| self.ph(i)).collect();
            let lock = if self.backend == Backend::Postgres {
                " ORDER BY id FOR UPDATE"
            } else {
                ""
            };
            let sql = format!(
                "SELECT id, kind, currency, debits_posted, credits_posted, debits_pending, credits_pending FROM ledger_accounts WHERE id IN ({}){lock}",
                marks.join(", ")
            );
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for id in chunk {
                q = q.bind(id.clone());
            }
            for row in q.fetch_all(&mut *conn).await.map_err(db_err)? {
                let a = crate::wallet::account_from_row(&row)?;
                out.insert(a.id.clone(), a);
            }
        }
        Ok(out)
    }

    async fn existing_transfers(
        &self,
        conn: &mut AnyConnection,
        ids: &[String],
    ) -> Result<HashSet<String>, RepoError> {
        let mut out = HashSet::new();
        for chunk in ids.chunks(CHUNK) {
            let marks: Vec<String> = (1..=chunk.len()).map(|i| self.ph(i)).collect();
            let sql = format!(
                "SELECT id FROM ledger_transfers WHERE id IN ({})",
                marks.join(", ")
            );
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for id in chunk {
                q = q.bind(id.clone());
            }
            for row in q.fetch_all(&mut *conn).await.map_err(db_err)? {
                out.insert(col::<String>(&row, "id")?);
            }
        }
        Ok(out)
    }

    /// Posts many independent groups of posted transfers in one database transaction.
    /// Holds and their resolution go through [`domain::repo::WalletRepo`]; this path is
    /// for high-volume posted transfers between existing accounts.
    pub async fn post_transfer_groups(
        &self,
        groups: &[Vec<TransferRequest>],
        now_us: i64,
    ) -> Result<Vec<GroupOutcome>, RepoError> {
        let mut tx = self.begin_write().await?;
        let mut ids: Vec<String> = groups
            .iter()
            .flatten()
            .flat_map(|t| [t.debit_account.clone(), t.credit_account.clone()])
            .collect();
        ids.sort();
        ids.dedup();
        let mut accounts = self.load_accounts(&mut tx, &ids).await?;
        let transfer_ids: Vec<String> = groups.iter().flatten().map(|t| t.id.clone()).collect();
        let mut existing = self.existing_transfers(&mut tx, &transfer_ids).await?;
        let mut outcomes = Vec::with_capacity(groups.len());
        let mut posted: Vec<&TransferRequest> = Vec::new();
        let mut changed: HashSet<String> = HashSet::new();
        let mut no_pending: HashMap<String, PendingTransfer> = HashMap::new();
        for group in groups {
            if group.iter().any(|t| existing.contains(&t.id)) {
                outcomes.push(GroupOutcome::Exists);
                continue;
            }
            if group.iter().any(|t| t.phase != Phase::Posted) {
                outcomes.push(GroupOutcome::Refused {
                    index: 0,
                    error: LedgerError::PendingNotFound,
                });
                continue;
            }
            // Apply on just this group's accounts: cloning the whole batch's map per group
            // would make a batch quadratic.
            let mut local: HashMap<String, LedgerAccount> = HashMap::new();
            for t in group {
                for id in [&t.debit_account, &t.credit_account] {
                    if let Some(a) = accounts.get(id) {
                        local.insert(id.clone(), a.clone());
                    }
                }
            }
            match apply_batch(&mut local, &mut no_pending, group, now_us) {
                Ok(_) => {
                    for (id, a) in local {
                        changed.insert(id.clone());
                        accounts.insert(id, a);
                    }
                    for t in group {
                        existing.insert(t.id.clone());
                        posted.push(t);
                    }
                    outcomes.push(GroupOutcome::Posted);
                }
                Err((index, error)) => outcomes.push(GroupOutcome::Refused { index, error }),
            }
        }
        let changed: Vec<&LedgerAccount> =
            changed.iter().filter_map(|id| accounts.get(id)).collect();
        for chunk in changed.chunks(CHUNK) {
            let values = self.value_rows(chunk.len(), 8);
            // An upsert that always conflicts is a portable multi-row UPDATE.
            let sql = format!(
                "INSERT INTO ledger_accounts (id, kind, currency, created_at_us, debits_posted, credits_posted, debits_pending, credits_pending) VALUES {} \
                 ON CONFLICT (id) DO UPDATE SET debits_posted = excluded.debits_posted, credits_posted = excluded.credits_posted, \
                 debits_pending = excluded.debits_pending, credits_pending = excluded.credits_pending",
                values
            );
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for a in chunk {
                let bal = a.balance;
                q = q
                    .bind(a.id.clone())
                    .bind(a.kind.as_str())
                    .bind(a.currency.code())
                    .bind(now_us)
                    .bind(bal.debits_posted)
                    .bind(bal.credits_posted)
                    .bind(bal.debits_pending)
                    .bind(bal.credits_pending);
            }
            q.execute(&mut *tx).await.map_err(db_err)?;
        }
        for chunk in posted.chunks(CHUNK) {
            let values = self.value_rows(chunk.len(), 7);
            let sql = format!(
                "INSERT INTO ledger_transfers (id, debit_account, credit_account, amount, currency, phase, created_at_us) VALUES {values}"
            );
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for t in chunk {
                q = q
                    .bind(t.id.clone())
                    .bind(t.debit_account.clone())
                    .bind(t.credit_account.clone())
                    .bind(t.amount)
                    .bind(t.currency.code())
                    .bind("posted")
                    .bind(now_us);
            }
            q.execute(&mut *tx).await.map_err(db_err)?;
        }
        tx.commit().await.map_err(db_err)?;
        Ok(outcomes)
    }
}

type Job = (
    Vec<TransferRequest>,
    oneshot::Sender<Result<GroupOutcome, String>>,
);

/// Collects transfer groups from any number of submitters and posts them in batches: the
/// first waiting group starts a batch, every group that arrived meanwhile joins it.
#[derive(Clone)]
pub struct LedgerBatcher {
    tx: mpsc::Sender<Job>,
}

impl LedgerBatcher {
    /// Starts the batching task. `max_batch` bounds one database transaction.
    pub fn start(store: Store, max_batch: usize) -> Self {
        let (tx, mut rx) = mpsc::channel::<Job>(max_batch * 4);
        tokio::spawn(async move {
            while let Some(first) = rx.recv().await {
                let mut jobs = vec![first];
                while jobs.len() < max_batch {
                    match rx.try_recv() {
                        Ok(j) => jobs.push(j),
                        Err(_) => break,
                    }
                }
                let groups: Vec<Vec<TransferRequest>> =
                    jobs.iter().map(|(g, _)| g.clone()).collect();
                let now = jiff::Timestamp::now().as_microsecond();
                match store.post_transfer_groups(&groups, now).await {
                    Ok(outcomes) => {
                        for ((_, reply), outcome) in jobs.into_iter().zip(outcomes) {
                            let _ = reply.send(Ok(outcome));
                        }
                    }
                    Err(e) => {
                        let msg = e.to_string();
                        for (_, reply) in jobs {
                            let _ = reply.send(Err(msg.clone()));
                        }
                    }
                }
            }
        });
        Self { tx }
    }

    /// Submits one group and waits for its batch to commit.
    pub async fn submit(&self, group: Vec<TransferRequest>) -> Result<GroupOutcome, RepoError> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send((group, reply))
            .await
            .map_err(|_| RepoError::Unexpected(anyhow::anyhow!("ledger batcher stopped")))?;
        answer
            .await
            .map_err(|_| RepoError::Unexpected(anyhow::anyhow!("ledger batcher dropped a reply")))?
            .map_err(|e| RepoError::Unexpected(anyhow::anyhow!(e)))
    }
}
