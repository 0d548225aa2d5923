//! Account protection on both backends: throttling, rate windows, session devices,
//! password resets, TOTP, verifications, notices and the audit chain.

use crate::crypto::{Field, KeyRing};
use crate::{Store, col, db_err};
use async_trait::async_trait;
use domain::protection::{
    AUDIT_GENESIS, AuditEntry, ChallengeItem, IdentityVerification, NewAuditEntry, NoticeChannel,
    NoticeKind, Notification, ProtectionRepo, ThrottleState, TotpCredential, TotpResetRequest,
    TotpSecret, VerificationMethod, VerificationState, audit_hash, user_from_parts, user_kind,
};
use domain::repo::{RepoError, SessionKind, SessionRecord};
use domain::{CustomerId, StaffId, UserId};
use sqlx::any::AnyRow;

fn corrupt(what: &str) -> RepoError {
    RepoError::Unexpected(anyhow::anyhow!("stored {what} is not valid"))
}

fn throttle_from_row(row: &AnyRow) -> Result<ThrottleState, RepoError> {
    let int = |name: &str| -> Result<u32, RepoError> {
        u32::try_from(col::<i64>(row, name)?).map_err(|_| corrupt(name))
    };
    Ok(ThrottleState {
        failures: int("failures")?,
        last_failure_at_us: col(row, "last_failure_at_us")?,
        next_allowed_at_us: col(row, "next_allowed_at_us")?,
        locked_until_us: col(row, "locked_until_us")?,
        locks: int("locks")?,
    })
}

const VERIFICATION_COLUMNS: &str = "id, customer_id, staff_id, method, state, items, code_hash, attempts, created_at_us, expires_at_us, decided_at_us";

fn verification_from_row(keys: &KeyRing, row: &AnyRow) -> Result<IdentityVerification, RepoError> {
    let method: String = col(row, "method")?;
    let state: String = col(row, "state")?;
    let id: String = col(row, "id")?;
    let items = keys.decrypt(
        Field::VERIFICATION_ITEMS,
        &id,
        &col::<String>(row, "items")?,
    )?;
    Ok(IdentityVerification {
        id,
        customer_id: CustomerId::from_string(col::<String>(row, "customer_id")?),
        staff_id: StaffId::from_string(col::<String>(row, "staff_id")?),
        method: VerificationMethod::parse(&method).ok_or_else(|| corrupt("method"))?,
        state: VerificationState::parse(&state).ok_or_else(|| corrupt("state"))?,
        items: serde_json::from_str::<Vec<ChallengeItem>>(&items)
            .map_err(|_| corrupt("checklist"))?,
        code_hash: col(row, "code_hash")?,
        attempts: col(row, "attempts")?,
        created_at_us: col(row, "created_at_us")?,
        expires_at_us: col(row, "expires_at_us")?,
        decided_at_us: col(row, "decided_at_us")?,
    })
}

pub(crate) fn audit_from_row(row: &AnyRow) -> Result<AuditEntry, RepoError> {
    Ok(AuditEntry {
        seq: col(row, "seq")?,
        at_us: col(row, "at_us")?,
        entry: NewAuditEntry {
            actor: col(row, "actor")?,
            action: col(row, "action")?,
            customer_id: col(row, "customer_id")?,
            outcome: col(row, "outcome")?,
            detail: col(row, "detail")?,
        },
        prev_hash: col(row, "prev_hash")?,
        hash: col(row, "hash")?,
    })
}

fn notification_from_row(keys: &KeyRing, row: &AnyRow) -> Result<Notification, RepoError> {
    let channel: String = col(row, "channel")?;
    let kind: String = col(row, "kind")?;
    let id: String = col(row, "id")?;
    let recipient = keys.decrypt(
        Field::NOTICE_RECIPIENT,
        &id,
        &col::<String>(row, "recipient")?,
    )?;
    Ok(Notification {
        id,
        user: user_from_parts(
            &col::<String>(row, "user_kind")?,
            col::<String>(row, "user_id")?,
        ),
        channel: NoticeChannel::parse(&channel).ok_or_else(|| corrupt("channel"))?,
        recipient,
        kind: NoticeKind::parse(&kind).ok_or_else(|| corrupt("notice kind"))?,
        subject: col(row, "subject")?,
        body: col(row, "body")?,
        created_at_us: col(row, "created_at_us")?,
    })
}

/// The row a TOTP secret is bound to: `customer:<id>` or `staff:<id>`.
pub(crate) fn totp_row(user: &UserId) -> String {
    format!("{}:{}", user_kind(user), user.as_str())
}

fn account_table(user: &UserId) -> &'static str {
    match user {
        UserId::Customer(_) => "customers",
        UserId::Staff(_) => "staff",
    }
}

#[async_trait]
impl ProtectionRepo for Store {
    async fn throttle_state(&self, key: &str) -> Result<Option<ThrottleState>, RepoError> {
        let row = sqlx::query(
            "SELECT failures, last_failure_at_us, next_allowed_at_us, locked_until_us, locks \
             FROM login_throttle WHERE throttle_key = $1",
        )
        .bind(key)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?;
        row.as_ref().map(throttle_from_row).transpose()
    }

    async fn swap_throttle(
        &self,
        key: &str,
        expected: Option<&ThrottleState>,
        new: &ThrottleState,
    ) -> Result<bool, RepoError> {
        let done = match expected {
            None => sqlx::query(
                "INSERT INTO login_throttle (throttle_key, failures, last_failure_at_us, next_allowed_at_us, locked_until_us, locks) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (throttle_key) DO NOTHING",
            )
            .bind(key)
            .bind(i64::from(new.failures))
            .bind(new.last_failure_at_us)
            .bind(new.next_allowed_at_us)
            .bind(new.locked_until_us)
            .bind(i64::from(new.locks))
            .execute(&self.pool)
            .await
            .map_err(db_err)?,
            Some(old) => sqlx::query(
                "UPDATE login_throttle SET failures = $1, last_failure_at_us = $2, next_allowed_at_us = $3, \
                 locked_until_us = $4, locks = $5 \
                 WHERE throttle_key = $6 AND failures = $7 AND last_failure_at_us = $8 \
                 AND next_allowed_at_us = $9 AND locked_until_us = $10 AND locks = $11",
            )
            .bind(i64::from(new.failures))
            .bind(new.last_failure_at_us)
            .bind(new.next_allowed_at_us)
            .bind(new.locked_until_us)
            .bind(i64::from(new.locks))
            .bind(key)
            .bind(i64::from(old.failures))
            .bind(old.last_failure_at_us)
            .bind(old.next_allowed_at_us)
            .bind(old.locked_until_us)
            .bind(i64::from(old.locks))
            .execute(&self.pool)
            .await
            .map_err(db_err)?,
        };
        Ok(done.rows_affected() == 1)
    }

    async fn clear_throttle(&self, key: &str) -> Result<(), RepoError> {
        sqlx::query("DELETE FROM login_throttle WHERE throttle_key = $1")
            .bind(key)
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn rate_counts(
        &self,
        bucket: &str,
        previous_start_us: i64,
        current_start_us: i64,
    ) -> Result<(i64, i64), RepoError> {
        let rows = sqlx::query(
            "SELECT window_start_us, hits FROM rate_limits \
             WHERE bucket = $1 AND window_start_us IN ($2, $3)",
        )
        .bind(bucket)
        .bind(previous_start_us)
        .bind(current_start_us)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        let mut counts = (0, 0);
        for row in &rows {
            let start: i64 = col(row, "window_start_us")?;
            let hits: i64 = col(row, "hits")?;
            if start == current_start_us {
                counts.1 = hits;
            } else {
                counts.0 = hits;
            }
        }
        Ok(counts)
    }

    async fn rate_hit(&self, bucket: &str, current_start_us: i64) -> Result<(), RepoError> {
        sqlx::query(
            "INSERT INTO rate_limits (bucket, window_start_us, hits) VALUES ($1, $2, 1) \
             ON CONFLICT (bucket, window_start_us) DO UPDATE SET hits = rate_limits.hits + 1",
        )
        .bind(bucket)
        .bind(current_start_us)
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn purge_rate_windows(&self, before_us: i64) -> Result<u64, RepoError> {
        let done = sqlx::query("DELETE FROM rate_limits WHERE window_start_us < $1")
            .bind(before_us)
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(done.rows_affected())
    }

    async fn touch_session(
        &self,
        token_hash: &str,
        now_us: i64,
        stale_before_us: i64,
    ) -> Result<(), RepoError> {
        sqlx::query(
            "UPDATE sessions SET last_seen_at_us = $1 WHERE token_hash = $2 AND last_seen_at_us < $3",
        )
        .bind(now_us)
        .bind(token_hash)
        .bind(stale_before_us)
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn user_sessions(
        &self,
        user: &UserId,
        now_us: i64,
    ) -> Result<Vec<SessionRecord>, RepoError> {
        let rows = sqlx::query(
            "SELECT token_hash, kind, csrf_token, created_at_us, expires_at_us, user_agent, client_net, last_seen_at_us \
             FROM sessions WHERE user_kind = $1 AND user_id = $2 AND expires_at_us > $3 \
             ORDER BY created_at_us DESC, token_hash LIMIT 200",
        )
        .bind(user_kind(user))
        .bind(user.as_str())
        .bind(now_us)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter()
            .map(|row| {
                let kind = match col::<String>(row, "kind")?.as_str() {
                    "bearer" => SessionKind::Bearer,
                    _ => SessionKind::Cookie,
                };
                let created: i64 = col(row, "created_at_us")?;
                let seen: i64 = col(row, "last_seen_at_us")?;
                Ok(SessionRecord {
                    token_hash: col(row, "token_hash")?,
                    user: user.clone(),
                    kind,
                    csrf_token: col(row, "csrf_token")?,
                    created_at_us: created,
                    expires_at_us: col(row, "expires_at_us")?,
                    user_agent: col(row, "user_agent")?,
                    client_net: col(row, "client_net")?,
                    last_seen_at_us: seen.max(created),
                })
            })
            .collect()
    }

    async fn end_user_sessions(&self, user: &UserId, keep: Option<&str>) -> Result<u64, RepoError> {
        let done = sqlx::query(
            "DELETE FROM sessions WHERE user_kind = $1 AND user_id = $2 AND token_hash <> $3",
        )
        .bind(user_kind(user))
        .bind(user.as_str())
        .bind(keep.unwrap_or(""))
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(done.rows_affected())
    }

    async fn record_sign_in(
        &self,
        user: &UserId,
        user_agent: &str,
        client_net: &str,
        now_us: i64,
    ) -> Result<(), RepoError> {
        sqlx::query(
            "INSERT INTO sign_in_history (id, user_kind, user_id, user_agent, client_net, at_us) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(uuid::Uuid::now_v7().to_string())
        .bind(user_kind(user))
        .bind(user.as_str())
        .bind(user_agent)
        .bind(client_net)
        .bind(now_us)
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn recent_sign_ins(
        &self,
        user: &UserId,
        limit: u32,
    ) -> Result<Vec<(String, String)>, RepoError> {
        let rows = sqlx::query(
            "SELECT user_agent, client_net FROM sign_in_history WHERE user_kind = $1 AND user_id = $2 \
             ORDER BY at_us DESC LIMIT $3",
        )
        .bind(user_kind(user))
        .bind(user.as_str())
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter()
            .map(|r| Ok((col(r, "user_agent")?, col(r, "client_net")?)))
            .collect()
    }

    async fn password_hash(&self, user: &UserId) -> Result<Option<String>, RepoError> {
        // The table name comes from a `match`, never from input.
        let sql = format!(
            "SELECT password_hash FROM {} WHERE id = $1",
            account_table(user)
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(user.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        row.as_ref().map(|r| col(r, "password_hash")).transpose()
    }

    async fn set_password_hash(&self, user: &UserId, hash: &str) -> Result<(), RepoError> {
        let sql = format!(
            "UPDATE {} SET password_hash = $1 WHERE id = $2",
            account_table(user)
        );
        let done = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(hash)
            .bind(user.as_str())
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        if done.rows_affected() == 0 {
            return Err(RepoError::NotFound);
        }
        Ok(())
    }

    async fn create_password_reset(
        &self,
        token_hash: &str,
        customer: &CustomerId,
        requested_by: &str,
        now_us: i64,
        expires_at_us: i64,
    ) -> Result<(), RepoError> {
        sqlx::query(
            "INSERT INTO password_resets (token_hash, customer_id, requested_by, created_at_us, expires_at_us) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_hash)
        .bind(customer.as_str())
        .bind(requested_by)
        .bind(now_us)
        .bind(expires_at_us)
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn password_reset_target(
        &self,
        token_hash: &str,
        now_us: i64,
    ) -> Result<Option<CustomerId>, RepoError> {
        let row = sqlx::query(
            "SELECT customer_id FROM password_resets \
             WHERE token_hash = $1 AND used_at_us IS NULL AND expires_at_us > $2",
        )
        .bind(token_hash)
        .bind(now_us)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(row
            .as_ref()
            .map(|r| col::<String>(r, "customer_id"))
            .transpose()?
            .map(CustomerId::from_string))
    }

    async fn consume_password_reset(
        &self,
        token_hash: &str,
        now_us: i64,
    ) -> Result<Option<CustomerId>, RepoError> {
        let Some(customer) = self.password_reset_target(token_hash, now_us).await? else {
            return Ok(None);
        };
        // The conditional update is what makes the token single-use: of two concurrent
        // uses only one changes the row.
        let done = sqlx::query(
            "UPDATE password_resets SET used_at_us = $1 \
             WHERE token_hash = $2 AND used_at_us IS NULL AND expires_at_us > $1",
        )
        .bind(now_us)
        .bind(token_hash)
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        if done.rows_affected() != 1 {
            return Ok(None);
        }
        sqlx::query(
            "UPDATE password_resets SET used_at_us = $1 WHERE customer_id = $2 AND used_at_us IS NULL",
        )
        .bind(now_us)
        .bind(customer.as_str())
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(Some(customer))
    }

    async fn count_password_resets(
        &self,
        customer: &CustomerId,
        since_us: i64,
    ) -> Result<i64, RepoError> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM password_resets WHERE customer_id = $1 AND created_at_us >= $2",
        )
        .bind(customer.as_str())
        .bind(since_us)
        .fetch_one(&self.pool)
        .await
        .map_err(db_err)?;
        col(&row, "n")
    }

    async fn totp(&self, user: &UserId) -> Result<Option<TotpCredential>, RepoError> {
        let row = sqlx::query(
            "SELECT t.secret, t.enabled_at_us, t.last_used_step, t.reset_effective_at_us, \
             (SELECT COUNT(*) FROM recovery_codes r WHERE r.user_kind = t.user_kind AND r.user_id = t.user_id \
              AND r.used_at_us IS NULL) AS codes_left \
             FROM totp_credentials t WHERE t.user_kind = $1 AND t.user_id = $2",
        )
        .bind(user_kind(user))
        .bind(user.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?;
        let Some(row) = row else { return Ok(None) };
        let stored: String = col(&row, "secret")?;
        let secret = self
            .keys
            .decrypt(Field::TOTP_SECRET, &totp_row(user), &stored)?;
        Ok(Some(TotpCredential {
            user: user.clone(),
            secret: TotpSecret::from_base32(&secret).ok_or_else(|| corrupt("TOTP secret"))?,
            enabled_at_us: col(&row, "enabled_at_us")?,
            last_used_step: col(&row, "last_used_step")?,
            reset_effective_at_us: col(&row, "reset_effective_at_us")?,
            recovery_codes_left: col(&row, "codes_left")?,
        }))
    }

    async fn begin_totp(
        &self,
        user: &UserId,
        secret: &TotpSecret,
        now_us: i64,
    ) -> Result<(), RepoError> {
        if let Some(existing) = self.totp(user).await? {
            if existing.enabled() {
                return Err(RepoError::InvalidState(
                    "two-step sign-in is already on".into(),
                ));
            }
            self.delete_totp(user).await?;
        }
        sqlx::query(
            "INSERT INTO totp_credentials (user_kind, user_id, secret, last_used_step, created_at_us) \
             VALUES ($1, $2, $3, 0, $4)",
        )
        .bind(user_kind(user))
        .bind(user.as_str())
        .bind(
            self.keys
                .encrypt(Field::TOTP_SECRET, &totp_row(user), &secret.base32())?,
        )
        .bind(now_us)
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn enable_totp(
        &self,
        user: &UserId,
        step: i64,
        recovery_hashes: &[String],
        now_us: i64,
    ) -> Result<bool, RepoError> {
        let done = sqlx::query(
            "UPDATE totp_credentials SET enabled_at_us = $1, last_used_step = $2 \
             WHERE user_kind = $3 AND user_id = $4 AND enabled_at_us IS NULL",
        )
        .bind(now_us)
        .bind(step)
        .bind(user_kind(user))
        .bind(user.as_str())
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        self.replace_recovery_codes(user, recovery_hashes).await?;
        Ok(true)
    }

    async fn use_totp_step(&self, user: &UserId, step: i64) -> Result<bool, RepoError> {
        let done = sqlx::query(
            "UPDATE totp_credentials SET last_used_step = $1 \
             WHERE user_kind = $2 AND user_id = $3 AND last_used_step < $1",
        )
        .bind(step)
        .bind(user_kind(user))
        .bind(user.as_str())
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn use_recovery_code(
        &self,
        user: &UserId,
        code_hash: &str,
        now_us: i64,
    ) -> Result<bool, RepoError> {
        let done = sqlx::query(
            "UPDATE recovery_codes SET used_at_us = $1 \
             WHERE user_kind = $2 AND user_id = $3 AND code_hash = $4 AND used_at_us IS NULL",
        )
        .bind(now_us)
        .bind(user_kind(user))
        .bind(user.as_str())
        .bind(code_hash)
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn replace_recovery_codes(
        &self,
        user: &UserId,
        hashes: &[String],
    ) -> Result<(), RepoError> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM recovery_codes WHERE user_kind = $1 AND user_id = $2")
            .bind(user_kind(user))
            .bind(user.as_str())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        for h in hashes {
            sqlx::query(
                "INSERT INTO recovery_codes (user_kind, user_id, code_hash) VALUES ($1, $2, $3)",
            )
            .bind(user_kind(user))
            .bind(user.as_str())
            .bind(h.as_str())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        }
        tx.commit().await.map_err(db_err)?;
        Ok(())
    }

    async fn delete_totp(&self, user: &UserId) -> Result<(), RepoError> {
        let mut tx = self.begin_write().await?;
        for sql in [
            "DELETE FROM recovery_codes WHERE user_kind = $1 AND user_id = $2",
            "DELETE FROM totp_credentials WHERE user_kind = $1 AND user_id = $2",
        ] {
            sqlx::query(sql)
                .bind(user_kind(user))
                .bind(user.as_str())
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
        }
        tx.commit().await.map_err(db_err)?;
        Ok(())
    }

    async fn schedule_totp_reset(&self, request: &TotpResetRequest) -> Result<(), RepoError> {
        let done = sqlx::query(
            "UPDATE totp_credentials SET reset_requested_by = $1, reset_effective_at_us = $2 \
             WHERE user_kind = $3 AND user_id = $4 AND enabled_at_us IS NOT NULL",
        )
        .bind(request.requested_by.as_str())
        .bind(request.effective_at_us)
        .bind(user_kind(&request.user))
        .bind(request.user.as_str())
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        if done.rows_affected() == 0 {
            return Err(RepoError::NotFound);
        }
        Ok(())
    }

    async fn cancel_totp_reset(&self, user: &UserId) -> Result<bool, RepoError> {
        let done = sqlx::query(
            "UPDATE totp_credentials SET reset_requested_by = NULL, reset_effective_at_us = NULL \
             WHERE user_kind = $1 AND user_id = $2 AND reset_effective_at_us IS NOT NULL",
        )
        .bind(user_kind(user))
        .bind(user.as_str())
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn due_totp_resets(&self, now_us: i64) -> Result<Vec<UserId>, RepoError> {
        let rows = sqlx::query(
            "SELECT user_kind, user_id FROM totp_credentials \
             WHERE reset_effective_at_us IS NOT NULL AND reset_effective_at_us <= $1 LIMIT 500",
        )
        .bind(now_us)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter()
            .map(|r| {
                Ok(user_from_parts(
                    &col::<String>(r, "user_kind")?,
                    col::<String>(r, "user_id")?,
                ))
            })
            .collect()
    }

    async fn create_sign_in_challenge(
        &self,
        token_hash: &str,
        user: &UserId,
        expires_at_us: i64,
    ) -> Result<(), RepoError> {
        sqlx::query(
            "INSERT INTO sign_in_challenges (token_hash, user_kind, user_id, expires_at_us) VALUES ($1, $2, $3, $4)",
        )
        .bind(token_hash)
        .bind(user_kind(user))
        .bind(user.as_str())
        .bind(expires_at_us)
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn sign_in_challenge(
        &self,
        token_hash: &str,
        now_us: i64,
    ) -> Result<Option<UserId>, RepoError> {
        let row = sqlx::query(
            "SELECT user_kind, user_id FROM sign_in_challenges WHERE token_hash = $1 AND expires_at_us > $2",
        )
        .bind(token_hash)
        .bind(now_us)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?;
        row.as_ref()
            .map(|r| {
                Ok(user_from_parts(
                    &col::<String>(r, "user_kind")?,
                    col::<String>(r, "user_id")?,
                ))
            })
            .transpose()
    }

    async fn delete_sign_in_challenge(&self, token_hash: &str) -> Result<(), RepoError> {
        sqlx::query("DELETE FROM sign_in_challenges WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn create_verification(&self, v: &IdentityVerification) -> Result<(), RepoError> {
        let items = serde_json::to_string(&v.items)
            .map_err(|e| RepoError::Unexpected(anyhow::Error::new(e)))?;
        sqlx::query(
            "INSERT INTO identity_verifications (id, customer_id, staff_id, method, state, items, code_hash, attempts, created_at_us, expires_at_us) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(v.id.as_str())
        .bind(v.customer_id.as_str())
        .bind(v.staff_id.as_str())
        .bind(v.method.as_str())
        .bind(v.state.as_str())
        .bind(self.keys.encrypt(Field::VERIFICATION_ITEMS, v.id.as_str(), &items)?)
        .bind(v.code_hash.clone())
        .bind(v.attempts)
        .bind(v.created_at_us)
        .bind(v.expires_at_us)
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn verification(&self, id: &str) -> Result<IdentityVerification, RepoError> {
        let sql =
            format!("SELECT {VERIFICATION_COLUMNS} FROM identity_verifications WHERE id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?
            .ok_or(RepoError::NotFound)?;
        verification_from_row(&self.keys, &row)
    }

    async fn answer_verification(
        &self,
        id: &str,
        state: VerificationState,
        attempts: i64,
        now_us: i64,
    ) -> Result<bool, RepoError> {
        let decided = (state != VerificationState::Pending).then_some(now_us);
        let done = sqlx::query(
            "UPDATE identity_verifications SET state = $1, attempts = $2, decided_at_us = $3 \
             WHERE id = $4 AND state = 'pending' AND attempts = $5",
        )
        .bind(state.as_str())
        .bind(attempts)
        .bind(decided)
        .bind(id)
        .bind(attempts - 1)
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn verifications(
        &self,
        customer: &CustomerId,
        limit: u32,
    ) -> Result<Vec<IdentityVerification>, RepoError> {
        let sql = format!(
            "SELECT {VERIFICATION_COLUMNS} FROM identity_verifications WHERE customer_id = $1 \
             ORDER BY created_at_us DESC, id DESC LIMIT $2"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(customer.as_str())
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        rows.iter()
            .map(|r| verification_from_row(&self.keys, r))
            .collect()
    }

    async fn queue_notification(&self, n: &Notification) -> Result<(), RepoError> {
        sqlx::query(
            "INSERT INTO notifications (id, user_kind, user_id, channel, recipient, kind, subject, body, status, created_at_us) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'queued', $9)",
        )
        .bind(n.id.as_str())
        .bind(user_kind(&n.user))
        .bind(n.user.as_str())
        .bind(n.channel.as_str())
        .bind(
            self.keys
                .encrypt(Field::NOTICE_RECIPIENT, n.id.as_str(), n.recipient.as_str())?,
        )
        .bind(n.kind.as_str())
        .bind(n.subject.as_str())
        .bind(n.body.as_str())
        .bind(n.created_at_us)
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn notifications(
        &self,
        user: Option<&UserId>,
        limit: u32,
    ) -> Result<Vec<Notification>, RepoError> {
        const COLUMNS: &str =
            "id, user_kind, user_id, channel, recipient, kind, subject, body, created_at_us";
        let rows = match user {
            Some(u) => sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {COLUMNS} FROM notifications WHERE user_kind = $1 AND user_id = $2 \
                 ORDER BY created_at_us DESC, id DESC LIMIT $3"
            )))
            .bind(user_kind(u))
            .bind(u.as_str())
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?,
            None => sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {COLUMNS} FROM notifications ORDER BY created_at_us DESC, id DESC LIMIT $1"
            )))
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?,
        };
        rows.iter()
            .map(|r| notification_from_row(&self.keys, r))
            .collect()
    }

    async fn append_audit(&self, e: &NewAuditEntry, now_us: i64) -> Result<AuditEntry, RepoError> {
        // Another node may append between reading the tail and inserting: the primary key
        // on `seq` refuses the second insert and this one retries on the new tail, so the
        // chain never forks.
        for _ in 0..20 {
            let tail = sqlx::query("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
                .fetch_optional(&self.pool)
                .await
                .map_err(db_err)?;
            let (prev_seq, prev_hash) = match &tail {
                Some(r) => (col::<i64>(r, "seq")?, col::<String>(r, "hash")?),
                None => (0, AUDIT_GENESIS.to_owned()),
            };
            let seq = prev_seq + 1;
            let hash = audit_hash(&prev_hash, seq, now_us, e);
            let inserted = sqlx::query(
                "INSERT INTO audit_log (seq, at_us, actor, action, customer_id, outcome, detail, prev_hash, hash) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(seq)
            .bind(now_us)
            .bind(e.actor.as_str())
            .bind(e.action.as_str())
            .bind(e.customer_id.clone())
            .bind(e.outcome.as_str())
            .bind(e.detail.as_str())
            .bind(prev_hash.as_str())
            .bind(hash.as_str())
            .execute(&self.pool)
            .await
            .map_err(db_err);
            match inserted {
                Ok(_) => {
                    return Ok(AuditEntry {
                        seq,
                        at_us: now_us,
                        entry: e.clone(),
                        prev_hash,
                        hash,
                    });
                }
                Err(RepoError::Conflict(_)) => {
                    tokio::task::yield_now().await;
                    continue;
                }
                Err(other) => return Err(other),
            }
        }
        Err(RepoError::Unexpected(anyhow::anyhow!(
            "audit log busy: could not append after 20 tries"
        )))
    }

    async fn audit_entries(&self, from_seq: i64, limit: u32) -> Result<Vec<AuditEntry>, RepoError> {
        let rows = sqlx::query(
            "SELECT seq, at_us, actor, action, customer_id, outcome, detail, prev_hash, hash \
             FROM audit_log WHERE seq >= $1 ORDER BY seq LIMIT $2",
        )
        .bind(from_seq)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter().map(audit_from_row).collect()
    }

    async fn customer_audit(
        &self,
        customer: &CustomerId,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, RepoError> {
        let rows = sqlx::query(
            "SELECT seq, at_us, actor, action, customer_id, outcome, detail, prev_hash, hash \
             FROM audit_log WHERE customer_id = $1 ORDER BY seq DESC LIMIT $2",
        )
        .bind(customer.as_str())
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter().map(audit_from_row).collect()
    }
}

impl Store {
    /// Reads the whole audit chain and checks it (`paydesk audit verify`): the number of
    /// records, or where the chain breaks.
    pub async fn verify_audit_log(
        &self,
    ) -> Result<Result<usize, domain::protection::ChainBreak>, RepoError> {
        let mut all = Vec::new();
        let mut from = 1;
        loop {
            let batch = self.audit_entries(from, 1_000).await?;
            let Some(last) = batch.last() else { break };
            from = last.seq + 1;
            all.extend(batch);
        }
        Ok(domain::protection::verify_audit_chain(&all))
    }

    /// Rewrites one audit record's outcome in place, as someone with write access to the
    /// database could: for tests that show the chain catches it. Never used by paydesk.
    #[doc(hidden)]
    pub async fn tamper_with_audit_record(&self, seq: i64, outcome: &str) -> Result<(), RepoError> {
        sqlx::query("UPDATE audit_log SET outcome = $1 WHERE seq = $2")
            .bind(outcome)
            .bind(seq)
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(())
    }
}
