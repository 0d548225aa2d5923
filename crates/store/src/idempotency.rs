//! Idempotency keys: the first request with a key runs; retries replay its answer.

use crate::{Store, col, db_err};
use async_trait::async_trait;
use domain::repo::{IdempotencyRepo, IdempotencyState, RepoError};

#[async_trait]
impl IdempotencyRepo for Store {
    async fn begin_idempotent(
        &self,
        owner: &str,
        key: &str,
        fingerprint: &str,
        now_us: i64,
    ) -> Result<IdempotencyState, RepoError> {
        // The primary key makes the reservation atomic across requests and nodes: exactly
        // one INSERT wins, every other caller reads what the winner stored.
        let inserted = sqlx::query(
            "INSERT INTO idempotency_keys (owner, idem_key, fingerprint, created_at_us) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (owner, idem_key) DO NOTHING",
        )
        .bind(owner)
        .bind(key)
        .bind(fingerprint)
        .bind(now_us)
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        if inserted.rows_affected() == 1 {
            return Ok(IdempotencyState::Reserved);
        }
        let row = sqlx::query("SELECT fingerprint, status, body FROM idempotency_keys WHERE owner = $1 AND idem_key = $2")
            .bind(owner)
            .bind(key)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        // Abandoned between our INSERT and SELECT: report in progress, the client retries.
        let Some(row) = row else {
            return Ok(IdempotencyState::InProgress);
        };
        if col::<String>(&row, "fingerprint")? != fingerprint {
            return Ok(IdempotencyState::Mismatch);
        }
        match (
            col::<Option<i64>>(&row, "status")?,
            col::<Option<String>>(&row, "body")?,
        ) {
            (Some(status), Some(body)) => Ok(IdempotencyState::Completed {
                status: status as u16,
                body,
            }),
            _ => Ok(IdempotencyState::InProgress),
        }
    }

    async fn complete_idempotent(
        &self,
        owner: &str,
        key: &str,
        status: u16,
        body: &str,
    ) -> Result<(), RepoError> {
        sqlx::query(
            "UPDATE idempotency_keys SET status = $1, body = $2 WHERE owner = $3 AND idem_key = $4",
        )
        .bind(i64::from(status))
        .bind(body)
        .bind(owner)
        .bind(key)
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn abandon_idempotent(&self, owner: &str, key: &str) -> Result<(), RepoError> {
        sqlx::query(
            "DELETE FROM idempotency_keys WHERE owner = $1 AND idem_key = $2 AND status IS NULL",
        )
        .bind(owner)
        .bind(key)
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(())
    }
}
