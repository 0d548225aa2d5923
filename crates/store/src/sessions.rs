//! Sign-in sessions.

use crate::{Store, col, db_err};
use async_trait::async_trait;
use domain::repo::{RepoError, SessionKind, SessionRecord, SessionRepo};
use domain::{CustomerId, StaffId, UserId};

#[async_trait]
impl SessionRepo for Store {
    async fn create_session(&self, s: &SessionRecord) -> Result<(), RepoError> {
        let user_kind = match s.user {
            UserId::Customer(_) => "customer",
            UserId::Staff(_) => "staff",
        };
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_kind, user_id, kind, csrf_token, created_at_us, expires_at_us, user_agent, client_net, last_seen_at_us) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(s.token_hash.as_str())
        .bind(user_kind)
        .bind(s.user.as_str())
        .bind(s.kind.as_str())
        .bind(s.csrf_token.as_str())
        .bind(s.created_at_us)
        .bind(s.expires_at_us)
        .bind(s.user_agent.as_str())
        .bind(s.client_net.as_str())
        .bind(s.last_seen_at_us)
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn find_session(
        &self,
        token_hash: &str,
        now_us: i64,
    ) -> Result<Option<SessionRecord>, RepoError> {
        let row = sqlx::query(
            "SELECT token_hash, user_kind, user_id, kind, csrf_token, created_at_us, expires_at_us, user_agent, client_net, last_seen_at_us \
             FROM sessions WHERE token_hash = $1 AND expires_at_us > $2",
        )
        .bind(token_hash)
        .bind(now_us)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?;
        let Some(row) = row else { return Ok(None) };
        let user_id: String = col(&row, "user_id")?;
        let user = match col::<String>(&row, "user_kind")?.as_str() {
            "customer" => UserId::Customer(CustomerId::from_string(user_id)),
            _ => UserId::Staff(StaffId::from_string(user_id)),
        };
        let kind = match col::<String>(&row, "kind")?.as_str() {
            "bearer" => SessionKind::Bearer,
            _ => SessionKind::Cookie,
        };
        Ok(Some(SessionRecord {
            token_hash: col(&row, "token_hash")?,
            user,
            kind,
            csrf_token: col(&row, "csrf_token")?,
            created_at_us: col(&row, "created_at_us")?,
            expires_at_us: col(&row, "expires_at_us")?,
            user_agent: col(&row, "user_agent")?,
            client_net: col(&row, "client_net")?,
            last_seen_at_us: col(&row, "last_seen_at_us")?,
        }))
    }

    async fn delete_session(&self, token_hash: &str) -> Result<(), RepoError> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(())
    }
}
