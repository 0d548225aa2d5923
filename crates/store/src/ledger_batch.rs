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

/// One submitter's request: one or more independent groups, answered together.
type Job = (
    Vec<Vec<TransferRequest>>,
    oneshot::Sender<Result<Vec<GroupOutcome>, String>>,
);

/// Collects transfer groups from any number of submitters and posts them in batches: the
/// first waiting request starts a batch, every request that arrived meanwhile joins it.
/// Submitters may send many groups per request, as TigerBeetle's clients batch on their
/// side: fewer wake-ups per transfer.
#[derive(Clone)]
pub struct LedgerBatcher {
    tx: mpsc::Sender<Job>,
}

impl LedgerBatcher {
    /// Starts the batching task. `max_batch` bounds the groups in one database transaction.
    pub fn start(store: Store, max_batch: usize) -> Self {
        let (tx, mut rx) = mpsc::channel::<Job>(max_batch.max(1) * 4);
        tokio::spawn(async move {
            while let Some(first) = rx.recv().await {
                let mut total = first.0.len();
                let mut jobs = vec![first];
                while total < max_batch {
                    match rx.try_recv() {
                        Ok(j) => {
                            total += j.0.len();
                            jobs.push(j);
                        }
                        Err(_) => break,
                    }
                }
                // Move the groups out (no copy); remember how many each request sent.
                let mut sizes = Vec::with_capacity(jobs.len());
                let mut groups = Vec::with_capacity(total);
                let mut replies = Vec::with_capacity(jobs.len());
                for (g, reply) in jobs {
                    sizes.push(g.len());
                    groups.extend(g);
                    replies.push(reply);
                }
                let now = jiff::Timestamp::now().as_microsecond();
                match store.post_transfer_groups(&groups, now).await {
                    Ok(outcomes) => {
                        let mut outcomes = outcomes.into_iter();
                        for (n, reply) in sizes.into_iter().zip(replies) {
                            let _ = reply.send(Ok(outcomes.by_ref().take(n).collect()));
                        }
                    }
                    Err(e) => {
                        let msg = e.to_string();
                        for reply in replies {
                            let _ = reply.send(Err(msg.clone()));
                        }
                    }
                }
            }
        });
        Self { tx }
    }

    /// Submits independent groups and waits for the batch holding them to commit; the
    /// outcomes come in the same order.
    pub async fn submit_many(
        &self,
        groups: Vec<Vec<TransferRequest>>,
    ) -> Result<Vec<GroupOutcome>, RepoError> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send((groups, reply))
            .await
            .map_err(|_| RepoError::Unexpected(anyhow::anyhow!("ledger batcher stopped")))?;
        answer
            .await
            .map_err(|_| RepoError::Unexpected(anyhow::anyhow!("ledger batcher dropped a reply")))?
            .map_err(|e| RepoError::Unexpected(anyhow::anyhow!(e)))
    }

    /// Submits one group and waits for its batch to commit.
    pub async fn submit(&self, group: Vec<TransferRequest>) -> Result<GroupOutcome, RepoError> {
        self.submit_many(vec![group])
            .await?
            .pop()
            .ok_or_else(|| RepoError::Unexpected(anyhow::anyhow!("no outcome for the group")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::StoreOptions;
    use domain::Currency;
    use domain::ledger::{AccountKind, Balance, check_invariants};
    use domain::repo::WalletRepo;

    fn transfer(id: &str, from: &str, to: &str, amount: i64) -> TransferRequest {
        TransferRequest {
            id: id.to_owned(),
            debit_account: from.to_owned(),
            credit_account: to.to_owned(),
            amount,
            currency: Currency::IDR,
            phase: Phase::Posted,
        }
    }

    #[tokio::test]
    async fn batched_groups_keep_their_own_outcomes_and_the_invariants() {
        let url = crate::testing::fresh_database_url().await.unwrap();
        let store = Store::open(&StoreOptions {
            sqlite_full_sync: false,
            ..StoreOptions::new(url, 4)
        })
        .await
        .unwrap();
        let account = |id: &str, kind| LedgerAccount {
            id: id.into(),
            kind,
            currency: Currency::IDR,
            balance: Balance::default(),
        };
        store
            .create_ledger_accounts(
                &[
                    account("bank", AccountKind::BankClearing),
                    account("a", AccountKind::CustomerWallet),
                    account("b", AccountKind::CustomerWallet),
                ],
                0,
            )
            .await
            .unwrap();
        let batcher = LedgerBatcher::start(store.clone(), 1000);
        let funded = batcher
            .submit(vec![transfer(
                &uuid::Uuid::now_v7().to_string(),
                "bank",
                "a",
                100,
            )])
            .await
            .unwrap();
        assert_eq!(funded, GroupOutcome::Posted);
        // Many submitters at once, each with several groups: a retry, an overdraft, a linked pair.
        let repeat = uuid::Uuid::now_v7().to_string();
        let mut tasks = Vec::new();
        for i in 0..16 {
            let (batcher, repeat) = (batcher.clone(), repeat.clone());
            tasks.push(tokio::spawn(async move {
                let mut groups = vec![
                    vec![transfer(&uuid::Uuid::now_v7().to_string(), "a", "b", 1)],
                    vec![transfer(&repeat, "bank", "b", 5)],
                    vec![transfer(
                        &uuid::Uuid::now_v7().to_string(),
                        "b",
                        "a",
                        1_000_000,
                    )],
                ];
                if i == 0 {
                    groups.push(vec![
                        transfer(&uuid::Uuid::now_v7().to_string(), "bank", "a", 7),
                        transfer(&uuid::Uuid::now_v7().to_string(), "a", "nowhere", 1),
                    ]);
                }
                batcher.submit_many(groups).await.unwrap()
            }));
        }
        let mut posted_repeat = 0;
        for t in tasks {
            let outcomes = t.await.unwrap();
            assert_eq!(outcomes[0], GroupOutcome::Posted);
            if outcomes[1] == GroupOutcome::Posted {
                posted_repeat += 1;
            } else {
                assert_eq!(outcomes[1], GroupOutcome::Exists);
            }
            assert!(matches!(
                outcomes[2],
                GroupOutcome::Refused {
                    error: LedgerError::InsufficientFunds { .. },
                    ..
                }
            ));
            if outcomes.len() == 4 {
                assert!(matches!(
                    outcomes[3],
                    GroupOutcome::Refused {
                        index: 1,
                        error: LedgerError::AccountNotFound { .. }
                    }
                ));
            }
        }
        assert_eq!(
            posted_repeat, 1,
            "a transfer id posts once however often it is sent"
        );
        let accounts = store.ledger_accounts().await.unwrap();
        check_invariants(accounts.iter()).unwrap();
        let a = accounts.iter().find(|x| x.id == "a").unwrap();
        assert_eq!(
            a.balance.posted(),
            100 - 16,
            "the refused linked pair left no trace"
        );
        let b = accounts.iter().find(|x| x.id == "b").unwrap();
        assert_eq!(b.balance.posted(), 16 + 5);
    }
}
