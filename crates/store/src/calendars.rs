//! Business calendars, which one applies to a region or channel, and the call-back queue.

use crate::crypto::{Field, KeyRing};
use crate::{Store, col, db_err};
use async_trait::async_trait;
use domain::CustomerId;
use domain::calendar::{CalendarRepo, CalendarSpec, Callback, CallbackState, StoredCalendar};
use domain::repo::RepoError;
use domain::ticket::Channel;
use sqlx::AssertSqlSafe;
use sqlx::any::AnyRow;

const CALLBACK_COLUMNS: &str =
    "id, ticket_id, phone, due_at_us, state, claimed_by, outcome, created_at_us";

fn calendar_from_row(row: &AnyRow) -> Result<StoredCalendar, RepoError> {
    let spec: String = col(row, "spec")?;
    Ok(StoredCalendar {
        id: col(row, "id")?,
        name: col(row, "name")?,
        spec: serde_json::from_str::<CalendarSpec>(&spec).map_err(|e| {
            RepoError::Unexpected(anyhow::anyhow!("stored calendar spec is not valid: {e}"))
        })?,
        updated_at_us: col(row, "updated_at_us")?,
    })
}

fn callback_from_row(keys: &KeyRing, row: &AnyRow) -> Result<Callback, RepoError> {
    let state: String = col(row, "state")?;
    let id: String = col(row, "id")?;
    let phone = keys.decrypt(Field::CALLBACK_PHONE, &id, &col::<String>(row, "phone")?)?;
    Ok(Callback {
        id,
        ticket_id: col(row, "ticket_id")?,
        phone,
        due_at_us: col(row, "due_at_us")?,
        state: CallbackState::parse(&state)
            .ok_or_else(|| RepoError::Unexpected(anyhow::anyhow!("bad call-back state")))?,
        claimed_by: col(row, "claimed_by")?,
        outcome: col(row, "outcome")?,
        created_at_us: col(row, "created_at_us")?,
    })
}

impl Store {
    async fn assign_calendar(
        &self,
        table: &str,
        key_column: &str,
        key: &str,
        calendar_id: &str,
    ) -> Result<(), RepoError> {
        // Table and column come from the two callers below, never from input.
        let sql = format!(
            "INSERT INTO {table} ({key_column}, calendar_id) VALUES ($1, $2) \
             ON CONFLICT ({key_column}) DO UPDATE SET calendar_id = excluded.calendar_id"
        );
        let mut tx = self.begin_write().await?;
        sqlx::query(AssertSqlSafe(sql))
            .bind(key.to_owned())
            .bind(calendar_id.to_owned())
            .execute(&mut *tx)
            .await
            .map_err(|e| match db_err(e) {
                // The calendar must exist (foreign key).
                RepoError::Unexpected(_) => RepoError::NotFound,
                other => other,
            })?;
        Self::bump_settings_on(&mut tx).await?;
        tx.commit().await.map_err(db_err)?;
        // Whose calendar changed is a join away; the background job sorts it out.
        let now_us = jiff::Timestamp::now().as_microsecond();
        domain::sla::SlaRepo::mark_sla_dirty(self, None, now_us).await?;
        Ok(())
    }

    async fn callback_by_id(&self, id: &str) -> Result<Callback, RepoError> {
        let sql = format!("SELECT {CALLBACK_COLUMNS} FROM callbacks WHERE id = $1");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(id.to_owned())
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?
            .ok_or(RepoError::NotFound)?;
        callback_from_row(&self.keys, &row)
    }
}

#[async_trait]
impl CalendarRepo for Store {
    async fn calendars(&self) -> Result<Vec<StoredCalendar>, RepoError> {
        let rows = sqlx::query(
            "SELECT id, name, spec, updated_at_us FROM business_calendars ORDER BY name, id",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter().map(calendar_from_row).collect()
    }

    async fn calendar(&self, id: &str) -> Result<StoredCalendar, RepoError> {
        let row = sqlx::query(
            "SELECT id, name, spec, updated_at_us FROM business_calendars WHERE id = $1",
        )
        .bind(id.to_owned())
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?
        .ok_or(RepoError::NotFound)?;
        calendar_from_row(&row)
    }

    async fn save_calendar(&self, c: &StoredCalendar) -> Result<(), RepoError> {
        let spec = serde_json::to_string(&c.spec).map_err(|e| RepoError::Unexpected(e.into()))?;
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO business_calendars (id, name, spec, updated_at_us) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, spec = excluded.spec, updated_at_us = excluded.updated_at_us",
        )
        .bind(c.id.clone())
        .bind(c.name.clone())
        .bind(spec)
        .bind(c.updated_at_us)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        Self::bump_settings_on(&mut tx).await?;
        tx.commit().await.map_err(db_err)?;
        // Due times of the tickets on this calendar follow in the background.
        domain::sla::SlaRepo::mark_sla_dirty(self, Some(&c.id), c.updated_at_us).await?;
        Ok(())
    }

    async fn calendar_assignments(
        &self,
    ) -> Result<(Vec<(String, String)>, Vec<(String, String)>), RepoError> {
        let regions =
            sqlx::query("SELECT region_id, calendar_id FROM region_calendars ORDER BY region_id")
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?
                .iter()
                .map(|r| Ok((col(r, "region_id")?, col(r, "calendar_id")?)))
                .collect::<Result<Vec<_>, RepoError>>()?;
        let channels =
            sqlx::query("SELECT channel, calendar_id FROM channel_calendars ORDER BY channel")
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?
                .iter()
                .map(|r| Ok((col(r, "channel")?, col(r, "calendar_id")?)))
                .collect::<Result<Vec<_>, RepoError>>()?;
        Ok((regions, channels))
    }

    async fn set_region_calendar(
        &self,
        region_id: &str,
        calendar_id: &str,
    ) -> Result<(), RepoError> {
        self.assign_calendar("region_calendars", "region_id", region_id, calendar_id)
            .await
    }

    async fn set_channel_calendar(
        &self,
        channel: Channel,
        calendar_id: &str,
    ) -> Result<(), RepoError> {
        self.assign_calendar(
            "channel_calendars",
            "channel",
            channel.as_str(),
            calendar_id,
        )
        .await
    }

    async fn calendar_for(
        &self,
        customer: Option<&CustomerId>,
        channel: Channel,
    ) -> Result<Option<StoredCalendar>, RepoError> {
        if let Some(c) = customer {
            let row = sqlx::query(
                "SELECT b.id, b.name, b.spec, b.updated_at_us FROM customers c \
                 JOIN region_calendars r ON r.region_id = c.region_id \
                 JOIN business_calendars b ON b.id = r.calendar_id WHERE c.id = $1",
            )
            .bind(c.to_string())
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
            if let Some(row) = row {
                return calendar_from_row(&row).map(Some);
            }
        }
        let row = sqlx::query(
            "SELECT b.id, b.name, b.spec, b.updated_at_us FROM channel_calendars ch \
             JOIN business_calendars b ON b.id = ch.calendar_id WHERE ch.channel = $1",
        )
        .bind(channel.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?;
        row.as_ref().map(calendar_from_row).transpose()
    }

    async fn create_callback(
        &self,
        ticket_id: &str,
        phone: &str,
        due_at_us: i64,
        now_us: i64,
    ) -> Result<Callback, RepoError> {
        let mut tx = self.begin_write().await?;
        // A caller who rings three times at night gets one call back, not three.
        let sql = format!(
            "SELECT {CALLBACK_COLUMNS} FROM callbacks WHERE ticket_id = $1 AND state IN ('waiting', 'claimed')"
        );
        if let Some(row) = sqlx::query(AssertSqlSafe(sql))
            .bind(ticket_id.to_owned())
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?
        {
            tx.commit().await.map_err(db_err)?;
            return callback_from_row(&self.keys, &row);
        }
        let id = uuid::Uuid::now_v7().to_string();
        sqlx::query(
            "INSERT INTO callbacks (id, ticket_id, phone, due_at_us, state, claimed_by, claim_until_us, outcome, created_at_us, done_at_us) \
             VALUES ($1, $2, $3, $4, 'waiting', NULL, NULL, '', $5, NULL)",
        )
        .bind(id.clone())
        .bind(ticket_id.to_owned())
        .bind(self.keys.encrypt(Field::CALLBACK_PHONE, &id, phone)?)
        .bind(due_at_us)
        .bind(now_us)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        self.callback_by_id(&id).await
    }

    async fn open_callbacks(&self, limit: u32) -> Result<Vec<Callback>, RepoError> {
        let sql = format!(
            "SELECT {CALLBACK_COLUMNS} FROM callbacks WHERE state IN ('waiting', 'claimed') ORDER BY due_at_us, id LIMIT {}",
            limit.clamp(1, 500)
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        rows.iter()
            .map(|r| callback_from_row(&self.keys, r))
            .collect()
    }

    async fn claim_next_callback(
        &self,
        agent: &str,
        now_us: i64,
        lease_us: i64,
    ) -> Result<Option<Callback>, RepoError> {
        let skip_locked = self.skip_locked();
        // Due call-backs nobody holds (or whose holder's claim ran out), earliest first.
        let sql = format!(
            "UPDATE callbacks SET state = 'claimed', claimed_by = $1, claim_until_us = $2 \
             WHERE id IN (SELECT id FROM callbacks WHERE due_at_us <= $3 AND \
             (state = 'waiting' OR (state = 'claimed' AND claim_until_us < $3)) \
             ORDER BY due_at_us, id LIMIT 1{skip_locked}) RETURNING id"
        );
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(agent.to_owned())
            .bind(now_us.saturating_add(lease_us))
            .bind(now_us)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        match row {
            Some(r) => Ok(Some(self.callback_by_id(&col::<String>(&r, "id")?).await?)),
            None => Ok(None),
        }
    }

    async fn finish_callback(
        &self,
        id: &str,
        agent: &str,
        state: CallbackState,
        outcome: &str,
        now_us: i64,
    ) -> Result<Callback, RepoError> {
        let (new_state, done_at) = match state {
            CallbackState::Done | CallbackState::Abandoned => (state, Some(now_us)),
            // Putting it back: someone else may take it now.
            CallbackState::Waiting | CallbackState::Claimed => (CallbackState::Waiting, None),
        };
        let done = sqlx::query(
            "UPDATE callbacks SET state = $1, outcome = $2, done_at_us = $3, claimed_by = NULL, claim_until_us = NULL \
             WHERE id = $4 AND state = 'claimed' AND claimed_by = $5",
        )
        .bind(new_state.as_str())
        .bind(outcome.trim().chars().take(2000).collect::<String>())
        .bind(done_at)
        .bind(id.to_owned())
        .bind(agent.to_owned())
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        if done.rows_affected() == 0 {
            return Err(RepoError::InvalidState(
                "this call-back is not claimed by you".into(),
            ));
        }
        self.callback_by_id(id).await
    }
}
