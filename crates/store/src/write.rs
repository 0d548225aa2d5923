//! Write transactions, and group commit on SQLite.
//!
//! SQLite has one writer at a time and every durable commit costs an fsync of the WAL
//! (about 0.9 ms on the project's machine, half of a guest ticket's write). The process's
//! writers therefore share one dedicated writer connection and take turns on a fair lock;
//! each writer's transaction is a savepoint inside a batch transaction, and the batch is
//! committed (one fsync) when no writer is waiting for the turn or the batch is full. A
//! writer's `commit` returns only after the batch holding its work is durable, and fails
//! if that commit fails: nothing is acknowledged before it is on disk. A writer that gives
//! up (drops its transaction) has its savepoint rolled back; the batch's other work stays.
//! This is the group commit PostgreSQL does inside the server (`commit_delay`); on
//! PostgreSQL each writer simply has its own transaction.

use crate::{Backend, Store, db_err};
use domain::repo::RepoError;
use sqlx::{Any, AnyConnection, Executor, Transaction};
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use tokio::sync::{Mutex, OwnedMutexGuard, watch};

/// Writers' transactions in one SQLite batch at most: bounds how long the batch holds
/// the file's write lock from writers of other processes (and `paydesk` CLI commands).
const MAX_BATCH: usize = 64;

/// How a batch ended, for the writers waiting on it: `None` while it is open.
type Outcome = Option<Result<(), Arc<str>>>;

/// The SQLite writer connection and the batch open on it.
pub(crate) struct Slot {
    conn: AnyConnection,
    /// The batch transaction open on `conn`, if any.
    batch: Option<Batch>,
    /// A writer dropped its transaction unfinished: its savepoint is still open and is
    /// rolled back by whoever takes the turn next.
    abandoned: bool,
    /// The savepoint `writer` is open: the current writer's, or opened ahead for the next
    /// one by the writer before it (on the same round trip as its release).
    savepoint: bool,
}

struct Batch {
    id: u64,
    /// Writers whose savepoint was released into this batch.
    members: usize,
    done: watch::Sender<Outcome>,
}

/// The process's SQLite writer: the connection behind a fair lock, and how many writers
/// are queued for it.
pub(crate) struct Writer {
    slot: Arc<Mutex<Slot>>,
    waiting: AtomicUsize,
    next_batch: AtomicU64,
    /// Batches committed so far: fewer than writers when commits were grouped.
    committed: AtomicU64,
}

impl fmt::Debug for Writer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Writer")
            .field("waiting", &self.waiting.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

/// Counts a writer as queued until it has the turn (or gives up waiting).
struct Queued<'a>(&'a AtomicUsize);

impl<'a> Queued<'a> {
    fn new(count: &'a AtomicUsize) -> Self {
        count.fetch_add(1, Ordering::SeqCst);
        Queued(count)
    }
}

impl Drop for Queued<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Writer {
    /// The writer for `conn`, a connection of its own (not one of the pool's).
    pub(crate) fn new(conn: AnyConnection) -> Arc<Self> {
        Arc::new(Writer {
            slot: Arc::new(Mutex::new(Slot {
                conn,
                batch: None,
                abandoned: false,
                savepoint: false,
            })),
            waiting: AtomicUsize::new(0),
            next_batch: AtomicU64::new(1),
            committed: AtomicU64::new(0),
        })
    }

    /// Waits for the turn, then opens a savepoint in the open batch (opening one if none).
    async fn begin(self: &Arc<Self>) -> Result<OwnedMutexGuard<Slot>, sqlx::Error> {
        let mut slot = {
            let _queued = Queued::new(&self.waiting);
            self.slot.clone().lock_owned().await
        };
        settle(&mut slot).await;
        // Each round trip to SQLite's thread costs about as much as a small statement,
        // so the batch's BEGIN comes with the first savepoint, and later savepoints come
        // with the release before them.
        let opening = if slot.batch.is_none() {
            // IMMEDIATE takes the write lock now: a batch never has to upgrade a read lock.
            Some("BEGIN IMMEDIATE; SAVEPOINT writer")
        } else if !slot.savepoint {
            Some("SAVEPOINT writer")
        } else {
            None
        };
        if let Some(sql) = opening {
            if let Err(e) = slot.conn.execute(sql).await {
                fail_batch(&mut slot, &e).await;
                return Err(e);
            }
            slot.savepoint = true;
        }
        if slot.batch.is_none() {
            let (done, _) = watch::channel(None);
            slot.batch = Some(Batch {
                id: self.next_batch.fetch_add(1, Ordering::Relaxed),
                members: 0,
                done,
            });
        }
        Ok(slot)
    }

    /// Releases the writer's savepoint into the batch. The batch is committed at once
    /// when nobody waits for the turn (or it is full); otherwise the caller gets the
    /// batch to wait for, after giving up the turn so the waiting writers add theirs.
    async fn release(&self, slot: &mut Slot) -> Result<Release, sqlx::Error> {
        let Some(batch) = slot.batch.as_mut() else {
            return Err(sqlx::Error::Protocol("the write batch vanished".into()));
        };
        batch.members += 1;
        if self.waiting.load(Ordering::SeqCst) == 0 || batch.members >= MAX_BATCH {
            self.commit_batch(slot, "RELEASE writer; COMMIT").await?;
            return Ok(Release::Committed);
        }
        let wait = Release::Wait(batch.id, batch.done.subscribe());
        // The next writer's savepoint opens on the same round trip.
        if let Err(e) = slot.conn.execute("RELEASE writer; SAVEPOINT writer").await {
            fail_batch(slot, &e).await;
            return Err(e);
        }
        slot.savepoint = true;
        Ok(wait)
    }

    /// Waits for batch `id` to end, after queueing for the turn behind the writers waiting
    /// now: the first of the batch to get the turn back commits it. The queueing runs in
    /// a task of its own, so a caller that stops waiting (a dropped request) cannot
    /// strand the batch.
    async fn wait(
        self: Arc<Self>,
        id: u64,
        mut done: watch::Receiver<Outcome>,
    ) -> Result<(), sqlx::Error> {
        tokio::spawn(self.flush(Some(id)));
        let dropped = || sqlx::Error::Protocol("the write batch was dropped".into());
        let outcome = done
            .wait_for(Option::is_some)
            .await
            .map_err(|_| dropped())?
            .clone();
        match outcome {
            Some(Ok(())) => Ok(()),
            Some(Err(msg)) => Err(sqlx::Error::Protocol(format!(
                "the write batch did not commit: {msg}"
            ))),
            None => Err(dropped()),
        }
    }

    /// Takes the turn and ends the open batch (batch `only`, when given): committed when
    /// it holds released work, rolled back when it holds none.
    async fn flush(self: Arc<Self>, only: Option<u64>) {
        let mut slot = self.slot.clone().lock_owned().await;
        settle(&mut slot).await;
        let Some(batch) = slot.batch.as_ref() else {
            return;
        };
        if only.is_some_and(|id| id != batch.id) {
            return;
        }
        if batch.members == 0 {
            if let Err(e) = slot.conn.execute("ROLLBACK").await {
                tracing::warn!(error = %e, "rolling back an empty write batch failed");
            }
            slot.batch = None;
            slot.savepoint = false;
        } else if let Err(e) = self.commit_batch(&mut slot, "COMMIT").await {
            tracing::error!(error = %e, "a write batch failed to commit");
        }
    }
}

impl Writer {
    /// Commits the batch with `sql` (`COMMIT`, after whatever must come first on the same
    /// round trip) and tells its writers.
    async fn commit_batch(&self, slot: &mut Slot, sql: &'static str) -> Result<(), sqlx::Error> {
        let result = slot.conn.execute(sql).await.map(|_| ());
        match &result {
            Ok(()) => {
                slot.savepoint = false;
                self.committed.fetch_add(1, Ordering::Relaxed);
                if let Some(batch) = slot.batch.take() {
                    batch.done.send_replace(Some(Ok(())));
                }
            }
            Err(e) => fail_batch(slot, e).await,
        }
        result
    }
}

/// Rolls back the savepoint a writer abandoned, keeping the batch's released work.
async fn settle(slot: &mut Slot) {
    if !std::mem::take(&mut slot.abandoned) {
        return;
    }
    slot.savepoint = false;
    if let Err(e) = slot
        .conn
        .execute("ROLLBACK TO writer; RELEASE writer")
        .await
    {
        // Without the savepoint the batch's state is unknown: nothing of it is kept.
        fail_batch(slot, &e).await;
    }
}

/// Rolls the whole batch back and tells its writers it failed.
async fn fail_batch(slot: &mut Slot, cause: &sqlx::Error) {
    // The batch may already be gone (SQLite rolls back on some errors): ignore the answer.
    let _ = slot.conn.execute("ROLLBACK").await;
    slot.savepoint = false;
    if let Some(batch) = slot.batch.take() {
        batch.done.send_replace(Some(Err(cause.to_string().into())));
    }
}

/// What releasing a savepoint came to.
enum Release {
    /// The batch was committed with it.
    Committed,
    /// Batch `id` is open; wait for it.
    Wait(u64, watch::Receiver<Outcome>),
}

/// A write transaction. Dereferences to the connection, like sqlx's own transaction;
/// dropped without `commit`, its work is rolled back.
pub(crate) enum WriteTx {
    /// PostgreSQL: a transaction of its own.
    Postgres(Transaction<'static, Any>),
    /// SQLite: a savepoint in the writer's batch, holding the turn until it ends.
    Sqlite(SqliteTx),
}

/// A SQLite writer's turn with its savepoint open.
pub(crate) struct SqliteTx {
    slot: OwnedMutexGuard<Slot>,
    writer: Arc<Writer>,
    /// Released into the batch: nothing to roll back on drop.
    released: bool,
}

impl Drop for SqliteTx {
    fn drop(&mut self) {
        if self.released {
            return;
        }
        // The next writer to take the turn rolls the savepoint back; if none comes, a
        // flush does and ends the batch.
        self.slot.abandoned = true;
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(self.writer.clone().flush(None));
        }
    }
}

impl WriteTx {
    /// Commits; returns once the work is durable (on SQLite, with its batch).
    pub(crate) async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            WriteTx::Postgres(tx) => tx.commit().await,
            WriteTx::Sqlite(mut tx) => {
                let writer = tx.writer.clone();
                // In a task of its own: a caller that stops waiting (a dropped request)
                // must not cut a release or a batch's COMMIT in half.
                let release = tokio::spawn(async move {
                    let release = tx.writer.release(&mut tx.slot).await;
                    // Released or failed, the savepoint is gone: give up the turn (the
                    // drop reads `released`).
                    tx.released = true;
                    drop(tx);
                    release
                })
                .await
                .map_err(|e| sqlx::Error::Protocol(format!("the write task failed: {e}")))?;
                match release? {
                    Release::Committed => Ok(()),
                    Release::Wait(id, done) => writer.wait(id, done).await,
                }
            }
        }
    }
}

impl std::ops::Deref for WriteTx {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        match self {
            WriteTx::Postgres(tx) => tx,
            WriteTx::Sqlite(tx) => &tx.slot.conn,
        }
    }
}

impl std::ops::DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        match self {
            WriteTx::Postgres(tx) => tx,
            WriteTx::Sqlite(tx) => &mut tx.slot.conn,
        }
    }
}

impl Store {
    /// Opens a write transaction. On SQLite it waits for the process's write turn (fair,
    /// in arrival order: SQLite has one writer, and a writer left to SQLite's busy handler
    /// sleeps 1 to 100 ms instead of starting when the lock frees) and runs as a savepoint
    /// in the writer's batch, which holds the file's write lock from its start, so no
    /// writer ever has to upgrade a read lock. Other processes on the same file still meet
    /// the busy handler.
    pub(crate) async fn begin_write(&self) -> Result<WriteTx, RepoError> {
        match (&self.writer, self.backend) {
            (Some(writer), Backend::Sqlite) => {
                // In a task of its own, like the commit: a batch's BEGIN is never cut off
                // from its bookkeeping. A caller gone by then drops the turn with an empty
                // savepoint open, which the next writer uses.
                let w = writer.clone();
                let slot = tokio::spawn(async move { w.begin().await })
                    .await
                    .map_err(|e| RepoError::Unexpected(e.into()))?
                    .map_err(db_err)?;
                Ok(WriteTx::Sqlite(SqliteTx {
                    slot,
                    writer: writer.clone(),
                    released: false,
                }))
            }
            _ => Ok(WriteTx::Postgres(self.pool.begin().await.map_err(db_err)?)),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use crate::{Store, StoreOptions};
    use std::sync::atomic::Ordering;
    use std::time::Duration;

    /// A SQLite store (the batching is SQLite's) with a scratch table.
    async fn sqlite_store() -> Store {
        let path =
            std::env::temp_dir().join(format!("paydesk_test_{}.db", uuid::Uuid::now_v7().simple()));
        let store = Store::connect(&StoreOptions::new(
            format!("sqlite://{}", path.display()),
            4,
        ))
        .await
        .unwrap();
        sqlx::query("CREATE TABLE t (v TEXT PRIMARY KEY)")
            .execute(&store.pool)
            .await
            .unwrap();
        store
    }

    fn batches(store: &Store) -> u64 {
        store
            .writer
            .as_ref()
            .unwrap()
            .committed
            .load(Ordering::Relaxed)
    }

    async fn visible(store: &Store, v: &str) -> bool {
        // Through the pool: another connection sees only what is committed.
        sqlx::query("SELECT v FROM t WHERE v = $1")
            .bind(v.to_owned())
            .fetch_optional(&store.pool)
            .await
            .unwrap()
            .is_some()
    }

    async fn insert(tx: &mut super::WriteTx, v: &str) {
        sqlx::query("INSERT INTO t (v) VALUES ($1)")
            .bind(v.to_owned())
            .execute(&mut **tx)
            .await
            .unwrap();
    }

    /// Many writers at once share commits, and each one's work is committed (seen by
    /// another connection) the moment its own `commit` returns.
    #[tokio::test]
    async fn writers_share_commits_and_each_commit_is_done_when_it_returns() {
        let store = sqlite_store().await;
        let writers: Vec<_> = (0..48)
            .map(|i| {
                let store = store.clone();
                tokio::spawn(async move {
                    let v = format!("w{i}");
                    let mut tx = store.begin_write().await.unwrap();
                    insert(&mut tx, &v).await;
                    tx.commit().await.unwrap();
                    visible(&store, &v).await
                })
            })
            .collect();
        for w in writers {
            assert!(
                w.await.unwrap(),
                "a commit returned before its work was committed"
            );
        }
        let n = batches(&store);
        assert!(
            n < 48,
            "48 writers at once took {n} commits: none were grouped"
        );
    }

    /// A writer that gives up in the middle of a batch loses its own work only: the
    /// writers before and after it in the same batch keep theirs.
    #[tokio::test]
    async fn an_abandoned_writer_loses_its_work_and_the_batch_keeps_the_rest() {
        let store = sqlite_store().await;
        let before = batches(&store);
        let mut first = store.begin_write().await.unwrap();
        insert(&mut first, "first").await;
        let mut queued = Vec::new();
        for (v, keep) in [("a", true), ("b", false), ("c", true)] {
            let store = store.clone();
            queued.push(tokio::spawn(async move {
                let mut tx = store.begin_write().await.unwrap();
                insert(&mut tx, v).await;
                if keep {
                    tx.commit().await.unwrap();
                }
            }));
            // Queue them in this order behind `first`.
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        first.commit().await.unwrap();
        for q in queued {
            q.await.unwrap();
        }
        for v in ["first", "a", "c"] {
            assert!(visible(&store, v).await, "{v} was lost");
        }
        assert!(
            !visible(&store, "b").await,
            "the abandoned writer's row was kept"
        );
        assert_eq!(
            batches(&store),
            before + 1,
            "the four writers shared one batch"
        );
        // The writer is free again afterwards.
        let mut tx = store.begin_write().await.unwrap();
        insert(&mut tx, "after").await;
        tx.commit().await.unwrap();
        assert!(visible(&store, "after").await);
    }

    /// A writer whose caller stops waiting while its commit is under way (a request
    /// dropped by its client) still commits, and the writers sharing its batch hear that
    /// it committed instead of an error.
    #[tokio::test]
    async fn a_commit_whose_caller_stops_waiting_still_completes_for_the_batch() {
        let store = sqlite_store().await;
        let mut first = store.begin_write().await.unwrap();
        insert(&mut first, "first").await;
        let queued = {
            let store = store.clone();
            tokio::spawn(async move {
                let mut tx = store.begin_write().await.unwrap();
                insert(&mut tx, "last").await;
                // The last of the batch commits it; its caller gives up at once.
                let _ = tokio::time::timeout(Duration::from_nanos(1), tx.commit()).await;
            })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        // `first` waits for the batch `last` commits.
        first.commit().await.unwrap();
        queued.await.unwrap();
        assert!(visible(&store, "first").await);
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(
            visible(&store, "last").await,
            "the abandoned caller's commit went on"
        );
        let mut tx = store.begin_write().await.unwrap();
        insert(&mut tx, "after").await;
        tx.commit().await.unwrap();
        assert!(visible(&store, "after").await);
    }
}
