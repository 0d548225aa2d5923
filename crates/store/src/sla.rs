//! SLA policies, due times and events. A ticket's due times are recomputed from scratch
//! (policy, calendar, history) inside the transaction of every change to it, and by a
//! background job for tickets marked after a policy or calendar change. SLA events are
//! rows per target cycle and kind, rescheduled with the due times and fired once.

use crate::statements::Statements;
use crate::{Store, col, db_err};
use async_trait::async_trait;
use domain::calendar::CalendarSpec;
use domain::repo::RepoError;
use domain::sla::{
    ScheduledEvent, SlaActivity, SlaConditions, SlaEvent, SlaEventKind, SlaFiring, SlaPolicy,
    SlaRepo, SlaSubject, SlaTarget, SlaTargets, TargetCycle, TicketSla,
};
use domain::ticket::Actor;
use domain::ticket::{ActorKind, Category, Channel, NewMessage, Priority, Visibility};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AssertSqlSafe};

const POLICY_COLUMNS: &str = "id, name, conditions, first_response_minutes, next_response_minutes, resolution_minutes, warn_before_minutes, escalate_after_minutes";
const EVENT_COLUMNS: &str =
    "id, ticket_id, target, kind, cycle_start_us, fire_at_us, due_at_us, state, attempts";
/// Statuses whose clocks can still move: the tickets a policy change concerns.
const ACTIVE: &str = "status IN ('new', 'open', 'pending_customer', 'on_hold')";
/// How long a worker holds a claimed recompute before another node may take it.
const RECOMPUTE_LEASE_US: i64 = 60_000_000;

fn corrupt(what: &str) -> RepoError {
    RepoError::Unexpected(anyhow::anyhow!("stored SLA data {what} is not valid"))
}

fn json_err(e: serde_json::Error) -> RepoError {
    RepoError::Unexpected(e.into())
}

/// A ticket's target cycles from its `sla_cycles` column.
pub(crate) fn cycles_from_row(row: &AnyRow) -> Result<Vec<TargetCycle>, RepoError> {
    let cycles: Option<String> = col(row, "sla_cycles")?;
    Ok(match cycles.as_deref() {
        Some(json) if !json.is_empty() => {
            serde_json::from_str(json).map_err(|_| corrupt("cycles"))?
        }
        _ => Vec::new(),
    })
}

/// A ticket's SLA from its row (`calendar_id`, the four due times, `sla_policy_id`,
/// `sla_cycles`: part of every ticket read).
pub(crate) fn sla_from_row(row: &AnyRow) -> Result<TicketSla, RepoError> {
    let cycles = cycles_from_row(row)?;
    Ok(TicketSla {
        policy_id: col(row, "sla_policy_id")?,
        calendar_id: col(row, "calendar_id")?,
        first_response_due_us: col(row, "first_response_due_us")?,
        next_response_due_us: col(row, "next_response_due_us")?,
        resolution_due_us: col(row, "resolution_due_us")?,
        next_due_us: col(row, "next_due_us")?,
        cycles,
    })
}

fn minutes_col(row: &AnyRow, name: &str) -> Result<Option<u32>, RepoError> {
    col::<Option<i64>>(row, name)?
        .map(|m| u32::try_from(m).map_err(|_| corrupt(name)))
        .transpose()
}

fn policy_from_row(row: &AnyRow) -> Result<SlaPolicy, RepoError> {
    let conditions: String = col(row, "conditions")?;
    let conditions: SlaConditions =
        serde_json::from_str(&conditions).map_err(|_| corrupt("conditions"))?;
    Ok(SlaPolicy {
        id: col(row, "id")?,
        name: col(row, "name")?,
        conditions,
        targets: SlaTargets {
            first_response_minutes: minutes_col(row, "first_response_minutes")?,
            next_response_minutes: minutes_col(row, "next_response_minutes")?,
            resolution_minutes: minutes_col(row, "resolution_minutes")?,
        },
        warn_before_minutes: minutes_col(row, "warn_before_minutes")?.unwrap_or_default(),
        escalate_after_minutes: minutes_col(row, "escalate_after_minutes")?.unwrap_or_default(),
    })
}

fn event_from_row(row: &AnyRow, time_zone: String) -> Result<SlaEvent, RepoError> {
    Ok(SlaEvent {
        id: col(row, "id")?,
        ticket_id: col(row, "ticket_id")?,
        target: SlaTarget::parse(&col::<String>(row, "target")?)
            .ok_or_else(|| corrupt("target"))?,
        kind: SlaEventKind::parse(&col::<String>(row, "kind")?).ok_or_else(|| corrupt("kind"))?,
        cycle_started_us: col(row, "cycle_start_us")?,
        fire_at_us: col(row, "fire_at_us")?,
        due_at_us: col(row, "due_at_us")?,
        state: col(row, "state")?,
        attempts: u32::try_from(col::<i64>(row, "attempts")?).unwrap_or(u32::MAX),
        time_zone,
    })
}

fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

pub(crate) async fn policies_on(conn: &mut AnyConnection) -> Result<Vec<SlaPolicy>, RepoError> {
    let sql = format!("SELECT {POLICY_COLUMNS} FROM sla_policies ORDER BY position, id");
    sqlx::query(AssertSqlSafe(sql))
        .fetch_all(&mut *conn)
        .await
        .map_err(db_err)?
        .iter()
        .map(policy_from_row)
        .collect()
}

impl Store {
    /// Recomputes one ticket's SLA on `conn`, which must hold the ticket's row (inside the
    /// transaction of the change, or of the recompute job): picks the policy and calendar,
    /// replays the history, writes the due times and reschedules the pending events.
    pub(crate) async fn recompute_sla_on(
        &self,
        conn: &mut AnyConnection,
        ticket_id: &str,
        now_us: i64,
    ) -> Result<(), RepoError> {
        let row = sqlx::query(
            "SELECT t.channel, t.category, t.priority, t.tags, t.created_at_us, c.region_id \
             FROM tickets t LEFT JOIN customers c ON c.id = t.customer_id WHERE t.id = $1",
        )
        .bind(ticket_id.to_owned())
        .fetch_optional(&mut *conn)
        .await
        .map_err(db_err)?
        .ok_or(RepoError::NotFound)?;
        let region: Option<String> = col(&row, "region_id")?;
        let created_at_us: i64 = col(&row, "created_at_us")?;
        let subject = SlaSubject {
            category: Category::parse(&col::<String>(&row, "category")?)
                .ok_or_else(|| corrupt("category"))?,
            priority: Priority::parse(&col::<String>(&row, "priority")?)
                .ok_or_else(|| corrupt("priority"))?,
            channel: Channel::parse(&col::<String>(&row, "channel")?)
                .ok_or_else(|| corrupt("channel"))?,
            tags: serde_json::from_str(&col::<String>(&row, "tags")?)
                .map_err(|_| corrupt("tags"))?,
        };
        let settings = self.current_ticket_settings_on(conn).await?;
        // The history is only read when a policy applies: without one there is no clock.
        let acts = if settings.has_policy(&subject) {
            activities_on(conn, ticket_id).await?
        } else {
            Vec::new()
        };
        let (sla, events) = settings.sla(&subject, region.as_deref(), created_at_us, &acts)?;
        sqlx::query(
            "UPDATE tickets SET calendar_id = $1, first_response_due_us = $2, next_response_due_us = $3, resolution_due_us = $4, next_due_us = $5, sla_policy_id = $6, sla_cycles = $7 WHERE id = $8",
        )
        .bind(sla.calendar_id.clone())
        .bind(sla.first_response_due_us)
        .bind(sla.next_response_due_us)
        .bind(sla.resolution_due_us)
        .bind(sla.next_due_us)
        .bind(sla.policy_id.clone())
        .bind(serde_json::to_string(&sla.cycles).map_err(json_err)?)
        .bind(ticket_id.to_owned())
        .execute(&mut *conn)
        .await
        .map_err(db_err)?;
        reschedule_events(conn, ticket_id, &events, now_us).await
    }
}

/// The status changes and public messages of a ticket.
async fn activities_on(
    conn: &mut AnyConnection,
    ticket_id: &str,
) -> Result<Vec<SlaActivity>, RepoError> {
    let mut out = Vec::new();
    let rows = sqlx::query(
        "SELECT new_value, at_us FROM ticket_events WHERE ticket_id = $1 AND field = 'status'",
    )
    .bind(ticket_id.to_owned())
    .fetch_all(&mut *conn)
    .await
    .map_err(db_err)?;
    for row in &rows {
        let value: String = col(row, "new_value")?;
        out.extend(SlaActivity::from_history(
            "status",
            &value,
            col(row, "at_us")?,
        ));
    }
    let rows = sqlx::query(
        "SELECT author_kind, created_at_us FROM ticket_messages WHERE ticket_id = $1 AND visibility = 'public'",
    )
    .bind(ticket_id.to_owned())
    .fetch_all(&mut *conn)
    .await
    .map_err(db_err)?;
    for row in &rows {
        let kind = ActorKind::parse(&col::<String>(row, "author_kind")?)
            .ok_or_else(|| corrupt("author kind"))?;
        out.extend(SlaActivity::from_message(
            kind,
            Visibility::Public,
            col(row, "created_at_us")?,
        ));
    }
    Ok(out)
}

/// Makes the pending events of a ticket what the running cycles call for: new ones added,
/// moved ones rescheduled (and their claims dropped, so a worker holding the old time does
/// not fire), ones no longer called for removed. Fired ones stay as they are.
async fn reschedule_events(
    conn: &mut AnyConnection,
    ticket_id: &str,
    wanted: &[ScheduledEvent],
    now_us: i64,
) -> Result<(), RepoError> {
    let rows = sqlx::query(
        "SELECT id, target, kind, cycle_start_us, fire_at_us, due_at_us, state FROM sla_events WHERE ticket_id = $1",
    )
    .bind(ticket_id.to_owned())
    .fetch_all(&mut *conn)
    .await
    .map_err(db_err)?;
    let mut existing = Vec::with_capacity(rows.len());
    for row in &rows {
        existing.push((
            col::<String>(row, "id")?,
            col::<String>(row, "target")?,
            col::<String>(row, "kind")?,
            col::<i64>(row, "cycle_start_us")?,
            col::<i64>(row, "fire_at_us")?,
            col::<i64>(row, "due_at_us")?,
            col::<String>(row, "state")? == "pending",
        ));
    }
    for (id, target, kind, cycle, fire_at, due_at, pending) in &existing {
        let want = wanted.iter().find(|w| {
            w.target.as_str() == target && w.kind.as_str() == kind && w.cycle_started_us == *cycle
        });
        match want {
            _ if !pending => {}
            None => {
                sqlx::query("DELETE FROM sla_events WHERE id = $1 AND state = 'pending'")
                    .bind(id.clone())
                    .execute(&mut *conn)
                    .await
                    .map_err(db_err)?;
            }
            Some(w) if w.fire_at_us != *fire_at || w.due_at_us != *due_at => {
                sqlx::query(
                    "UPDATE sla_events SET fire_at_us = $1, due_at_us = $2, claimed_by = NULL, claim_until_us = NULL WHERE id = $3 AND state = 'pending'",
                )
                .bind(w.fire_at_us)
                .bind(w.due_at_us)
                .bind(id.clone())
                .execute(&mut *conn)
                .await
                .map_err(db_err)?;
            }
            Some(_) => {}
        }
    }
    let new: Vec<ScheduledEvent> = wanted
        .iter()
        .filter(|w| {
            !existing.iter().any(|(_, target, kind, cycle, ..)| {
                w.target.as_str() == target
                    && w.kind.as_str() == kind
                    && w.cycle_started_us == *cycle
            })
        })
        .cloned()
        .collect();
    insert_sla_events(conn, ticket_id, &new, now_us).await
}

/// Inserts pending SLA events of a ticket, in one statement.
pub(crate) async fn insert_sla_events(
    conn: &mut AnyConnection,
    ticket_id: &str,
    events: &[ScheduledEvent],
    now_us: i64,
) -> Result<(), RepoError> {
    let mut st = Statements::new();
    sla_events_statement(&mut st, ticket_id, events, now_us);
    st.run(conn).await?;
    Ok(())
}

/// Adds the insert of a ticket's pending SLA events to `st`, as one statement.
pub(crate) fn sla_events_statement(
    st: &mut Statements,
    ticket_id: &str,
    events: &[ScheduledEvent],
    now_us: i64,
) {
    if events.is_empty() {
        return;
    }
    let sql = format!(
        "INSERT INTO sla_events (id, ticket_id, target, cycle_start_us, kind, fire_at_us, due_at_us, state, claimed_by, claim_until_us, attempts, outcome, done_at_us, created_at_us) VALUES {}",
        crate::value_rows(
            "(?, ?, ?, ?, ?, ?, ?, 'pending', NULL, NULL, 0, NULL, NULL, ?)",
            events.len()
        )
    );
    let mut values = Vec::with_capacity(events.len() * 8);
    for w in events {
        values.extend([
            new_id().into(),
            ticket_id.into(),
            w.target.as_str().into(),
            w.cycle_started_us.into(),
            w.kind.as_str().into(),
            w.fire_at_us.into(),
            w.due_at_us.into(),
            now_us.into(),
        ]);
    }
    st.push(sql, values);
}

impl Store {
    /// Marks active tickets (optionally only those on one calendar) on `conn`.
    async fn mark_dirty_on(
        conn: &mut AnyConnection,
        calendar_id: Option<&str>,
        now_us: i64,
    ) -> Result<u64, RepoError> {
        // The WHERE keeps SQLite from reading ON CONFLICT as a join constraint.
        let scope = if calendar_id.is_some() {
            " AND calendar_id = $2"
        } else {
            ""
        };
        let sql = format!(
            "INSERT INTO sla_dirty (ticket_id, version, marked_at_us, claimed_by, claim_until_us) \
             SELECT id, 1, $1, NULL, NULL FROM tickets WHERE {ACTIVE}{scope} \
             ON CONFLICT (ticket_id) DO UPDATE SET version = sla_dirty.version + 1, \
             marked_at_us = excluded.marked_at_us, claimed_by = NULL, claim_until_us = NULL"
        );
        let mut q = sqlx::query(AssertSqlSafe(sql)).bind(now_us);
        if let Some(c) = calendar_id {
            q = q.bind(c.to_owned());
        }
        Ok(q.execute(&mut *conn).await.map_err(db_err)?.rows_affected())
    }

    /// Locks a ticket's row for the rest of the transaction (SQLite: the write
    /// transaction already excludes other writers). `false` when it does not exist.
    async fn lock_ticket_row(&self, conn: &mut AnyConnection, id: &str) -> Result<bool, RepoError> {
        let sql = format!("SELECT id FROM tickets WHERE id = $1{}", self.for_update());
        Ok(sqlx::query(AssertSqlSafe(sql))
            .bind(id.to_owned())
            .fetch_optional(&mut *conn)
            .await
            .map_err(db_err)?
            .is_some())
    }

    /// The time zone of a ticket's calendar (UTC without one).
    async fn ticket_time_zone(&self, ticket_id: &str) -> Result<String, RepoError> {
        let row = sqlx::query(
            "SELECT b.spec FROM tickets t JOIN business_calendars b ON b.id = t.calendar_id WHERE t.id = $1",
        )
        .bind(ticket_id.to_owned())
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(match row {
            Some(row) => {
                let spec: String = col(&row, "spec")?;
                serde_json::from_str::<CalendarSpec>(&spec)
                    .map_err(|_| corrupt("calendar"))?
                    .time_zone
            }
            None => "UTC".into(),
        })
    }

    /// Recomputes one ticket in its own transaction and drops its mark if no newer mark
    /// came meanwhile.
    async fn recompute_marked(
        &self,
        ticket_id: &str,
        version: i64,
        now_us: i64,
    ) -> Result<(), RepoError> {
        let mut tx = self.begin_write().await?;
        if self.lock_ticket_row(&mut tx, ticket_id).await? {
            self.recompute_sla_on(&mut tx, ticket_id, now_us).await?;
        }
        sqlx::query("DELETE FROM sla_dirty WHERE ticket_id = $1 AND version = $2")
            .bind(ticket_id.to_owned())
            .bind(version)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        Ok(())
    }
}

#[async_trait]
impl SlaRepo for Store {
    async fn sla_policies(&self) -> Result<Vec<SlaPolicy>, RepoError> {
        let mut conn = self.pool.acquire().await.map_err(db_err)?;
        policies_on(&mut conn).await
    }

    async fn save_sla_policies(
        &self,
        policies: &[SlaPolicy],
        now_us: i64,
    ) -> Result<u64, RepoError> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM sla_policies")
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        for (position, p) in policies.iter().enumerate() {
            let sql = format!(
                "INSERT INTO sla_policies ({POLICY_COLUMNS}, position, updated_at_us) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
            );
            sqlx::query(AssertSqlSafe(sql))
                .bind(p.id.clone())
                .bind(p.name.clone())
                .bind(serde_json::to_string(&p.conditions).map_err(json_err)?)
                .bind(p.targets.first_response_minutes.map(i64::from))
                .bind(p.targets.next_response_minutes.map(i64::from))
                .bind(p.targets.resolution_minutes.map(i64::from))
                .bind(i64::from(p.warn_before_minutes))
                .bind(i64::from(p.escalate_after_minutes))
                .bind(position as i64)
                .bind(now_us)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
        }
        Self::bump_settings_on(&mut tx).await?;
        // Only marked here: the recompute runs in the background, not on this request.
        let marked = Self::mark_dirty_on(&mut tx, None, now_us).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(marked)
    }

    async fn mark_sla_dirty(
        &self,
        calendar_id: Option<&str>,
        now_us: i64,
    ) -> Result<u64, RepoError> {
        let mut conn = self.pool.acquire().await.map_err(db_err)?;
        Self::mark_dirty_on(&mut conn, calendar_id, now_us).await
    }

    async fn recompute_dirty_sla(
        &self,
        node: &str,
        now_us: i64,
        limit: u32,
    ) -> Result<u32, RepoError> {
        let sql = format!(
            "UPDATE sla_dirty SET claimed_by = $1, claim_until_us = $2 WHERE ticket_id IN \
             (SELECT ticket_id FROM sla_dirty WHERE claimed_by IS NULL OR claim_until_us < $3 \
             ORDER BY marked_at_us, ticket_id LIMIT {}{}) RETURNING ticket_id, version",
            limit.clamp(1, 1000),
            self.skip_locked()
        );
        let claimed = sqlx::query(AssertSqlSafe(sql))
            .bind(node.to_owned())
            .bind(now_us.saturating_add(RECOMPUTE_LEASE_US))
            .bind(now_us)
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        let mut done = 0;
        for row in &claimed {
            let id: String = col(row, "ticket_id")?;
            self.recompute_marked(&id, col(row, "version")?, now_us)
                .await?;
            done += 1;
        }
        Ok(done)
    }

    async fn sla_dirty_count(&self) -> Result<i64, RepoError> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM sla_dirty")
            .fetch_one(&self.pool)
            .await
            .map_err(db_err)?;
        col(&row, "n")
    }

    async fn claim_sla_events(
        &self,
        node: &str,
        now_us: i64,
        lease_us: i64,
        limit: u32,
    ) -> Result<Vec<SlaEvent>, RepoError> {
        // As the outbox: one statement picks due rows (skipping those another node holds)
        // and stamps this node's lease on them.
        let sql = format!(
            "UPDATE sla_events SET claimed_by = $1, claim_until_us = $2, attempts = attempts + 1 \
             WHERE id IN (SELECT id FROM sla_events WHERE state = 'pending' AND fire_at_us <= $3 \
             AND (claimed_by IS NULL OR claim_until_us < $3) ORDER BY fire_at_us, id LIMIT {}{}) \
             RETURNING {EVENT_COLUMNS}",
            limit.clamp(1, 1000),
            self.skip_locked()
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(node.to_owned())
            .bind(now_us.saturating_add(lease_us))
            .bind(now_us)
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let ticket: String = col(row, "ticket_id")?;
            out.push(event_from_row(row, self.ticket_time_zone(&ticket).await?)?);
        }
        out.sort_by_key(|e| (e.fire_at_us, e.id.clone()));
        Ok(out)
    }

    async fn finish_sla_event(
        &self,
        id: &str,
        node: &str,
        firing: &SlaFiring,
        now_us: i64,
    ) -> Result<bool, RepoError> {
        let mut tx = self.begin_write().await?;
        let Some(row) = sqlx::query("SELECT ticket_id FROM sla_events WHERE id = $1")
            .bind(id.to_owned())
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?
        else {
            return Ok(false);
        };
        let ticket_id: String = col(&row, "ticket_id")?;
        // The ticket first, then the event: the order every ticket change takes, so a
        // reply rescheduling this event and this firing never wait on each other.
        if !self.lock_ticket_row(&mut tx, &ticket_id).await? {
            return Ok(false);
        }
        let sql = format!(
            "SELECT kind, target FROM sla_events WHERE id = $1 AND state = 'pending' AND claimed_by = $2 AND fire_at_us <= $3{}",
            self.for_update()
        );
        let Some(event) = sqlx::query(AssertSqlSafe(sql))
            .bind(id.to_owned())
            .bind(node.to_owned())
            .bind(now_us)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?
        else {
            // Lost the claim, moved, dropped or done elsewhere: someone else's to fire.
            return Ok(false);
        };
        let kind: String = col(&event, "kind")?;
        if !firing.skip {
            let actor = Actor::system();
            Self::insert_event(
                &mut tx,
                &ticket_id,
                &actor,
                &format!("sla_{kind}"),
                "",
                &firing.history_value,
                now_us,
            )
            .await?;
            let row = sqlx::query("SELECT channel, tags FROM tickets WHERE id = $1")
                .bind(ticket_id.clone())
                .fetch_one(&mut *tx)
                .await
                .map_err(db_err)?;
            let channel = Channel::parse(&col::<String>(&row, "channel")?)
                .ok_or_else(|| corrupt("channel"))?;
            if let Some(body) = &firing.note {
                let note = NewMessage {
                    author_kind: ActorKind::System,
                    author_id: String::new(),
                    author_name: actor.name.clone(),
                    visibility: Visibility::Internal,
                    body: body.clone(),
                    channel,
                    external_id: None,
                    attachments: Vec::new(),
                };
                Self::insert_message(&self.keys, &mut tx, &ticket_id, &note, None, now_us).await?;
                Self::touch(&mut tx, &ticket_id, now_us).await?;
            }
            let mut tags: Vec<String> =
                serde_json::from_str(&col::<String>(&row, "tags")?).map_err(|_| corrupt("tags"))?;
            if let Some(tag) = firing.tag.as_ref().filter(|t| !tags.contains(t)) {
                let old = serde_json::to_string(&tags).map_err(json_err)?;
                tags.push(tag.clone());
                let new = serde_json::to_string(&tags).map_err(json_err)?;
                sqlx::query("UPDATE tickets SET tags = $1 WHERE id = $2")
                    .bind(new.clone())
                    .bind(ticket_id.clone())
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
                Self::insert_event(&mut tx, &ticket_id, &actor, "tags", &old, &new, now_us).await?;
                // A tag can be a customer segment: the policy may change with it.
                self.recompute_sla_on(&mut tx, &ticket_id, now_us).await?;
            }
        }
        sqlx::query(
            "UPDATE sla_events SET state = 'done', outcome = $1, done_at_us = $2, claimed_by = NULL, claim_until_us = NULL WHERE id = $3",
        )
        .bind(if firing.skip { "skipped" } else { "fired" })
        .bind(now_us)
        .bind(id.to_owned())
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        Ok(true)
    }

    async fn ticket_sla_events(&self, ticket_id: &str) -> Result<Vec<SlaEvent>, RepoError> {
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM sla_events WHERE ticket_id = $1 ORDER BY fire_at_us, id"
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(ticket_id.to_owned())
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        let zone = self.ticket_time_zone(ticket_id).await?;
        rows.iter()
            .map(|row| event_from_row(row, zone.clone()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::ticket::TicketStatus;

    /// `ACTIVE` names exactly the statuses the domain calls active.
    #[test]
    fn active_statuses_are_the_ones_whose_clocks_move() {
        for s in TicketStatus::ALL {
            assert_eq!(ACTIVE.contains(&format!("'{}'", s.as_str())), s.is_active());
        }
    }
}
