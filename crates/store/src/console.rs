//! The agent console's storage: routing a new ticket to its category's group and, round
//! robin, to the group's available agent assigned least recently; the queue order with its
//! composite keyset cursor; take-next; merging a duplicate; availability; canned
//! responses; the customer panel's refunds and flags; the dashboard's aggregates.
//!
//! A child module of `tickets` (declared there), so it reads and writes tickets with the
//! same row readers, locks and history writer as every other ticket change.

use super::{CALL_COLUMNS, TICKET_COLUMNS, call_from_row, new_id};
use crate::crypto::KeyRing;
use crate::wallet::{REFUND_COLUMNS, flag_from_row, refund_from_row};
use crate::{Backend, Filters, Store, col, db_err};
use async_trait::async_trait;
use domain::console::{
    CannedResponse, ConsoleRepo, CountBy, DashboardStats, FIRST_RESPONSE_BOUNDS_MIN,
    FirstResponseStats, MergeNotes, MergeRefusal, QueueCounts, SatisfactionStats, SlaCompliance,
};
use domain::repo::RepoError;
use domain::ticket::{
    Actor, ActorKind, Attachment, Category, NewMessage, Ticket, TicketStatus, Visibility,
};
use domain::wallet::{Refund, TransactionFlag};
use domain::{Cursor, CustomerId, GroupId, Limit, Page, StaffId};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AssertSqlSafe};

/// Priority as a number that sorts urgent first.
const PRIORITY_RANK: &str =
    "CASE priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END";

/// The agents' queue order: these keys ascending, then the id. Each is an integer
/// expression; the keyset condition and the cursor (one value per key) are built from this
/// list, so changing the order is changing this list and nothing else.
///
/// Due time first: the earliest running SLA target (`next_due_us`, migration 0006), with
/// tickets whose clock is paused or has no target after every ticket that has one (NULLS
/// LAST, written as a COALESCE both backends index alike). Among equals, the most urgent
/// priority, then the ticket that has waited longest since its last update.
const QUEUE_KEYS: &[&str] = &[
    "COALESCE(next_due_us, 9223372036854775807)",
    PRIORITY_RANK,
    "updated_at_us",
];

/// Statuses that still need someone: what queues and their counts hold. Written as this
/// literal list wherever a query asks for exactly these statuses, so the partial
/// queue-order indexes of migration 0010 (whose condition is this text) apply.
pub(crate) const ACTIVE: &str = "('new', 'open', 'pending_customer', 'on_hold')";

fn invalid(e: impl std::fmt::Display) -> RepoError {
    RepoError::InvalidState(e.to_string())
}

/// `k0 AS queue_key0, …` for the select list.
fn queue_key_columns() -> String {
    QUEUE_KEYS
        .iter()
        .enumerate()
        .map(|(i, k)| format!("CAST({k} AS BIGINT) AS queue_key{i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `k0, k1, id` for ORDER BY.
fn queue_order_by() -> String {
    let mut keys: Vec<String> = QUEUE_KEYS.iter().map(|k| format!("{k} ASC")).collect();
    keys.push("id ASC".into());
    keys.join(", ")
}

/// Keeps rows strictly after the cursor in queue order: the lexicographic comparison of
/// `(k0, k1, …, id)` written out as `k0 > a OR (k0 = a AND k1 > b) OR …`.
fn queue_after(f: &mut Filters, cursor: &Cursor) -> Result<(), RepoError> {
    let bad = || invalid("the cursor does not belong to this order");
    let values = cursor
        .key
        .split(',')
        .map(|v| v.parse::<i64>().map_err(|_| bad()))
        .collect::<Result<Vec<_>, _>>()?;
    if values.len() != QUEUE_KEYS.len() {
        return Err(bad());
    }
    let marks: Vec<usize> = values.into_iter().map(|v| f.bind(v)).collect();
    let id_mark = f.bind(cursor.id.clone());
    let mut alternatives = Vec::new();
    for i in 0..=QUEUE_KEYS.len() {
        let mut parts: Vec<String> = (0..i)
            .map(|j| format!("{} = ${}", QUEUE_KEYS[j], marks[j]))
            .collect();
        parts.push(match QUEUE_KEYS.get(i) {
            Some(k) => format!("{k} > ${}", marks[i]),
            None => format!("id > ${id_mark}"),
        });
        alternatives.push(format!("({})", parts.join(" AND ")));
    }
    f.clause(format!("({})", alternatives.join(" OR ")));
    Ok(())
}

/// The cursor key of a row read with [`queue_key_columns`].
fn queue_key_of(row: &AnyRow) -> Result<String, RepoError> {
    let values = (0..QUEUE_KEYS.len())
        .map(|i| col::<i64>(row, &format!("queue_key{i}")).map(|v| v.to_string()))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(values.join(","))
}

fn count_by(rows: &[AnyRow]) -> Result<Vec<CountBy>, RepoError> {
    rows.iter()
        .map(|r| {
            Ok(CountBy {
                key: col(r, "k")?,
                count: col(r, "n")?,
            })
        })
        .collect()
}

fn canned_from_row(row: &AnyRow) -> Result<CannedResponse, RepoError> {
    let category: Option<String> = col(row, "category")?;
    Ok(CannedResponse {
        id: col(row, "id")?,
        title: col(row, "title")?,
        category: category.as_deref().and_then(Category::parse),
        body_en: col(row, "body_en")?,
        body_id: col(row, "body_id")?,
        body_zh: col(row, "body_zh")?,
        updated_at_us: col(row, "updated_at_us")?,
    })
}

const CANNED_COLUMNS: &str = "id, title, category, body_en, body_id, body_zh, updated_at_us";

const FLAG_COLUMNS: &str =
    "id, transaction_id, customer_id, reason, comment, status, created_at_us";

impl Store {
    /// A customer's newest rows of a table with `customer_id` and `created_at_us`.
    async fn newest_of_customer<T>(
        &self,
        columns: &str,
        table: &str,
        customer: &CustomerId,
        limit: u32,
        from_row: fn(&AnyRow) -> Result<T, RepoError>,
    ) -> Result<Vec<T>, RepoError> {
        let sql = format!(
            "SELECT {columns} FROM {table} WHERE customer_id = $1 ORDER BY created_at_us DESC, id DESC LIMIT {}",
            limit.clamp(1, 100)
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(customer.to_string())
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        rows.iter().map(from_row).collect()
    }

    /// A page of tickets in queue order (the filters already hold the query's conditions).
    pub(super) async fn queue_page(
        &self,
        mut f: Filters,
        after: Option<&Cursor>,
        limit: Limit,
        whole_queue: bool,
    ) -> Result<Page<Ticket>, RepoError> {
        if let Some(c) = after {
            queue_after(&mut f, c)?;
        }
        // SQLite keeps no histogram (no STAT4 in the bundled build), so it takes the four
        // active statuses for two thirds of the table and prefers the status index and a
        // sort of every active ticket (70 ms at 200,000 tickets) over walking the partial
        // queue-order index (0.2 ms). Named outright for the whole active queue; the
        // assignee and group tabs' indexes are found unaided. PostgreSQL's planner has
        // the statistics.
        let table = if whole_queue && self.backend == crate::Backend::Sqlite {
            "tickets INDEXED BY tickets_queue_order"
        } else {
            "tickets"
        };
        let sql = format!(
            "SELECT {TICKET_COLUMNS}, {} FROM {table} {} ORDER BY {} LIMIT {}",
            queue_key_columns(),
            f.where_sql(),
            queue_order_by(),
            limit.get() + 1
        );
        let mut rows = f.fetch_all(&self.pool, sql).await?;
        let more = rows.len() > limit.get() as usize;
        rows.truncate(limit.get() as usize);
        let next_cursor = match rows.last() {
            Some(last) if more => Some(
                Cursor {
                    key: queue_key_of(last)?,
                    id: col(last, "id")?,
                }
                .encode(),
            ),
            _ => None,
        };
        let mut conn = self.pool.acquire().await.map_err(db_err)?;
        let items = Self::tickets_from_rows(&mut conn, &rows).await?;
        Ok(Page { items, next_cursor })
    }

    /// The group's available agent assigned least recently, stamped as assigned now.
    ///
    /// On PostgreSQL every availability row of the group is locked first (`FOR UPDATE`,
    /// in id order so two routings never deadlock); SQLite's write turn already makes this
    /// the only writer. The pick and the stamp are then one statement, which reads the
    /// rows as the previous routing committed them, so two tickets at once never pick by
    /// stale data. The stamp is kept above every stamp of the group: a transaction that
    /// read its clock before waiting must not put its agent behind one assigned earlier.
    pub(super) async fn next_agent(
        &self,
        conn: &mut AnyConnection,
        group: &str,
        now_us: i64,
    ) -> Result<Option<String>, RepoError> {
        const MEMBERS: &str =
            "SELECT id FROM staff WHERE group_id = $1 AND status = 'active' AND role <> 'merchant'";
        if self.backend == Backend::Postgres {
            let sql = format!(
                "SELECT staff_id FROM staff_availability WHERE staff_id IN ({MEMBERS}) ORDER BY staff_id FOR UPDATE"
            );
            sqlx::query(AssertSqlSafe(sql))
                .bind(group.to_owned())
                .fetch_all(&mut *conn)
                .await
                .map_err(db_err)?;
        }
        let sql = format!(
            "UPDATE staff_availability SET last_assigned_at_us = \
             (SELECT CASE WHEN MAX(g.last_assigned_at_us) + 1 > $2 THEN MAX(g.last_assigned_at_us) + 1 ELSE $2 END \
              FROM staff_availability g WHERE g.staff_id IN ({MEMBERS})) \
             WHERE staff_id = (SELECT a.staff_id FROM staff_availability a \
              WHERE a.available = 1 AND a.staff_id IN ({MEMBERS}) \
              ORDER BY a.last_assigned_at_us, a.staff_id LIMIT 1) \
             RETURNING staff_id"
        );
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(group.to_owned())
            .bind(now_us)
            .fetch_optional(&mut *conn)
            .await
            .map_err(db_err)?;
        row.map(|r| col(&r, "staff_id")).transpose()
    }

    /// PostgreSQL: routes a new ticket of `category` in a short transaction of its own,
    /// before the ticket's. Round-robin must see every earlier pick, so picks take turns
    /// on the group's rows; inside the ticket's transaction that turn lasted until the
    /// ticket's commit had reached the disk, which made intake one ticket at a time (591
    /// tickets/s, docs/benchmarks.md). Here the turn ends with this transaction, which
    /// does not wait for its WAL flush (`synchronous_commit = off`): the ticket's own
    /// durable commit comes later in the WAL and flushes it too, so a stored ticket never
    /// lacks its agent's stamp. A ticket that then fails to be stored leaves its agent
    /// stamped (that agent's turn is skipped once). `None` on SQLite, where the write turn
    /// already serialises intake and the pick stays inside it.
    pub(super) async fn route_ahead(
        &self,
        category: Category,
        now_us: i64,
    ) -> Result<Option<super::Routed>, RepoError> {
        // The settings as last read: the ticket's transaction reads their version and
        // routes again itself if they changed meanwhile. None read yet: route in there.
        if self.backend != Backend::Postgres {
            return Ok(None);
        }
        let Some(settings) = self.cached_ticket_settings() else {
            return Ok(None);
        };
        let Some(group) = settings.route(category).map(str::to_owned) else {
            return Ok(Some(super::Routed {
                settings_version: settings.version(),
                group: None,
                agent: None,
            }));
        };
        let mut tx = self
            .pool
            .begin_with("BEGIN; SET LOCAL synchronous_commit = off")
            .await
            .map_err(db_err)?;
        let agent = self.next_agent(&mut tx, &group, now_us).await?;
        let group = Some(group);
        tx.commit().await.map_err(db_err)?;
        Ok(Some(super::Routed {
            settings_version: settings.version(),
            group,
            agent,
        }))
    }

    /// Copies the source's messages (with their files), links and calls to the target.
    /// A copy keeps author, visibility, words, files and time; it never goes to a
    /// platform itself (the original's delivery stays on the original), and it drops the
    /// platform's message id and the provider's call id, which stay unique to the
    /// originals.
    async fn copy_thread(
        keys: &KeyRing,
        conn: &mut AnyConnection,
        source: &Ticket,
        target: &Ticket,
        actor: &Actor,
        now_us: i64,
    ) -> Result<(), RepoError> {
        for m in Self::messages_on(conn, &source.id).await? {
            let copy = NewMessage {
                author_kind: m.author_kind,
                author_id: m.author_id,
                author_name: m.author_name,
                visibility: m.visibility,
                body: m.body,
                channel: m.channel,
                external_id: None,
                // The bytes are stored once by content; the copies point at the same keys.
                attachments: m
                    .attachments
                    .into_iter()
                    .map(|a| Attachment { id: new_id(), ..a })
                    .collect(),
            };
            Self::insert_message(keys, conn, &target.id, &copy, None, m.created_at_us).await?;
        }
        for link in source.links.iter().filter(|l| !target.links.contains(l)) {
            sqlx::query(
                "INSERT INTO ticket_links (ticket_id, kind, record_id, created_at_us) VALUES ($1, $2, $3, $4)",
            )
            .bind(target.id.clone())
            .bind(link.kind.as_str())
            .bind(link.record_id.clone())
            .bind(now_us)
            .execute(&mut *conn)
            .await
            .map_err(db_err)?;
            let value = format!("{}:{}", link.kind.as_str(), link.record_id);
            Self::insert_event(conn, &target.id, actor, "link", "", &value, now_us).await?;
        }
        let sql = format!("SELECT {CALL_COLUMNS} FROM ticket_calls WHERE ticket_id = $1");
        let calls = sqlx::query(AssertSqlSafe(sql))
            .bind(source.id.clone())
            .fetch_all(&mut *conn)
            .await
            .map_err(db_err)?;
        for row in &calls {
            let mut call = call_from_row(keys, row)?;
            call.id = new_id();
            call.ticket_id = target.id.clone();
            call.call_id = String::new();
            Self::insert_call(keys, conn, &call).await?;
        }
        Ok(())
    }
}

/// An automatic note by paydesk on a ticket, read where the ticket's requester reads.
fn system_note(t: &Ticket, body: &str, visibility: Visibility) -> NewMessage {
    NewMessage {
        author_kind: ActorKind::System,
        author_id: String::new(),
        author_name: "paydesk".into(),
        visibility,
        body: body.to_owned(),
        channel: t.channel,
        external_id: None,
        attachments: Vec::new(),
    }
}

#[async_trait]
impl ConsoleRepo for Store {
    async fn set_available(
        &self,
        staff: &StaffId,
        available: bool,
        now_us: i64,
    ) -> Result<(), RepoError> {
        sqlx::query(
            "INSERT INTO staff_availability (staff_id, available, last_assigned_at_us, changed_at_us) VALUES ($1, $2, 0, $3) \
             ON CONFLICT (staff_id) DO UPDATE SET available = excluded.available, changed_at_us = excluded.changed_at_us",
        )
        .bind(staff.to_string())
        .bind(i64::from(available))
        .bind(now_us)
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn is_available(&self, staff: &StaffId) -> Result<bool, RepoError> {
        let row = sqlx::query("SELECT available FROM staff_availability WHERE staff_id = $1")
            .bind(staff.to_string())
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(match row {
            Some(r) => col::<i64>(&r, "available")? == 1,
            None => false,
        })
    }

    async fn queue_counts(
        &self,
        staff: &StaffId,
        group: Option<&GroupId>,
    ) -> Result<QueueCounts, RepoError> {
        let sql = format!(
            "SELECT CAST(COALESCE(SUM(CASE WHEN assignee_id = $1 THEN 1 ELSE 0 END), 0) AS BIGINT) AS mine, \
             CAST(COALESCE(SUM(CASE WHEN assignee_id IS NULL THEN 1 ELSE 0 END), 0) AS BIGINT) AS unassigned, \
             CAST(COALESCE(SUM(CASE WHEN group_id = $2 THEN 1 ELSE 0 END), 0) AS BIGINT) AS in_group, \
             CAST(COUNT(*) AS BIGINT) AS total FROM tickets WHERE status IN {ACTIVE}"
        );
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(staff.to_string())
            .bind(group.map(|g| g.to_string()))
            .fetch_one(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(QueueCounts {
            mine: col(&row, "mine")?,
            unassigned: col(&row, "unassigned")?,
            group: col(&row, "in_group")?,
            all: col(&row, "total")?,
        })
    }

    async fn take_next_ticket(
        &self,
        group: &GroupId,
        staff: &StaffId,
        actor: &Actor,
        now_us: i64,
    ) -> Result<Option<Ticket>, RepoError> {
        let mut tx = self.begin_write().await?;
        // SKIP LOCKED: an agent taking the first ticket at the same moment holds its row, so
        // this one takes the next instead of waiting and then finding it taken.
        let skip = self.skip_locked();
        let sql = format!(
            "SELECT id FROM tickets WHERE group_id = $1 AND assignee_id IS NULL AND status IN ('new', 'open') ORDER BY {} LIMIT 1{skip}",
            queue_order_by()
        );
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(group.to_string())
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?;
        let Some(row) = row else {
            tx.commit().await.map_err(db_err)?;
            return Ok(None);
        };
        let id: String = col(&row, "id")?;
        sqlx::query("UPDATE tickets SET assignee_id = $1, updated_at_us = $2 WHERE id = $3")
            .bind(staff.to_string())
            .bind(now_us)
            .bind(id.clone())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        Self::insert_event(
            &mut tx,
            &id,
            actor,
            "assignee_id",
            "",
            staff.as_str(),
            now_us,
        )
        .await?;
        // Taking a ticket is an assignment too: the round robin passes this agent by next.
        sqlx::query("UPDATE staff_availability SET last_assigned_at_us = $1 WHERE staff_id = $2")
            .bind(now_us)
            .bind(staff.to_string())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        Self::commit_with_ticket(tx, &id).await.map(Some)
    }

    async fn merge_tickets(
        &self,
        source_id: &str,
        target_id: &str,
        actor: &Actor,
        notes: &MergeNotes,
        now_us: i64,
    ) -> Result<Ticket, RepoError> {
        if source_id == target_id {
            return Err(invalid(MergeRefusal::SameTicket));
        }
        let mut tx = self.begin_write().await?;
        // Both rows locked in id order, so two opposite merges at once cannot deadlock.
        let (source, target) = if source_id < target_id {
            let s = self.lock_ticket(&mut tx, source_id).await?;
            (s, self.lock_ticket(&mut tx, target_id).await?)
        } else {
            let t = self.lock_ticket(&mut tx, target_id).await?;
            (self.lock_ticket(&mut tx, source_id).await?, t)
        };
        if source.status == TicketStatus::Closed || target.status == TicketStatus::Closed {
            return Err(invalid(MergeRefusal::Closed));
        }
        if source.requester != target.requester {
            return Err(invalid(MergeRefusal::OtherRequester));
        }
        Self::copy_thread(&self.keys, &mut tx, &source, &target, actor, now_us).await?;
        // The duplicate keeps its own thread, closed with a note pointing to the ticket
        // the conversation continues in; social platforms never get this note (it would
        // not be delivered), so there it is for staff only.
        let visibility = if source.channel.is_social() {
            Visibility::Internal
        } else {
            Visibility::Public
        };
        let note = system_note(&source, &notes.source, visibility);
        Self::insert_message(&self.keys, &mut tx, &source.id, &note, None, now_us).await?;
        sqlx::query("UPDATE tickets SET status = 'closed', updated_at_us = $1 WHERE id = $2")
            .bind(now_us)
            .bind(source.id.clone())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        let closed = TicketStatus::Closed.as_str();
        Self::insert_event(
            &mut tx,
            &source.id,
            actor,
            "status",
            source.status.as_str(),
            closed,
            now_us,
        )
        .await?;
        let into = target.number.to_string();
        Self::insert_event(&mut tx, &source.id, actor, "merged_into", "", &into, now_us).await?;
        let note = system_note(&target, &notes.target, Visibility::Internal);
        Self::insert_message(&self.keys, &mut tx, &target.id, &note, None, now_us).await?;
        let from = source.number.to_string();
        Self::insert_event(&mut tx, &target.id, actor, "merged_from", "", &from, now_us).await?;
        Self::touch(&mut tx, &target.id, now_us).await?;
        // The duplicate's clocks stop with it; the kept ticket's thread grew.
        self.recompute_sla_on(&mut tx, &source.id, now_us).await?;
        self.recompute_sla_on(&mut tx, &target.id, now_us).await?;
        Self::commit_with_ticket(tx, &target.id).await
    }

    async fn category_groups(&self) -> Result<Vec<(Category, GroupId)>, RepoError> {
        let rows = sqlx::query("SELECT category, group_id FROM category_groups ORDER BY category")
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        let mut out = Vec::new();
        for r in &rows {
            // A category this version no longer knows is skipped, not an error.
            if let Some(c) = Category::parse(&col::<String>(r, "category")?) {
                out.push((c, GroupId::from_string(col::<String>(r, "group_id")?)));
            }
        }
        Ok(out)
    }

    async fn set_category_group(
        &self,
        category: Category,
        group: Option<&GroupId>,
    ) -> Result<(), RepoError> {
        let q = match group {
            Some(g) => sqlx::query(
                "INSERT INTO category_groups (category, group_id) VALUES ($1, $2) ON CONFLICT (category) DO UPDATE SET group_id = excluded.group_id",
            )
            .bind(category.as_str())
            .bind(g.to_string()),
            None => sqlx::query("DELETE FROM category_groups WHERE category = $1")
                .bind(category.as_str()),
        };
        let mut tx = self.begin_write().await?;
        q.execute(&mut *tx).await.map_err(db_err)?;
        Self::bump_settings_on(&mut tx).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(())
    }

    async fn canned_responses(&self) -> Result<Vec<CannedResponse>, RepoError> {
        let sql = format!("SELECT {CANNED_COLUMNS} FROM canned_responses ORDER BY title, id");
        let rows = sqlx::query(AssertSqlSafe(sql))
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        rows.iter().map(canned_from_row).collect()
    }

    async fn canned_response(&self, id: &str) -> Result<CannedResponse, RepoError> {
        let sql = format!("SELECT {CANNED_COLUMNS} FROM canned_responses WHERE id = $1");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(id.to_owned())
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?
            .ok_or(RepoError::NotFound)?;
        canned_from_row(&row)
    }

    async fn save_canned_response(&self, c: &CannedResponse) -> Result<(), RepoError> {
        sqlx::query(
            "INSERT INTO canned_responses (id, title, category, body_en, body_id, body_zh, created_at_us, updated_at_us) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) \
             ON CONFLICT (id) DO UPDATE SET title = excluded.title, category = excluded.category, body_en = excluded.body_en, \
             body_id = excluded.body_id, body_zh = excluded.body_zh, updated_at_us = excluded.updated_at_us",
        )
        .bind(c.id.clone())
        .bind(c.title.clone())
        .bind(c.category.map(|c| c.as_str().to_owned()))
        .bind(c.body_en.clone())
        .bind(c.body_id.clone())
        .bind(c.body_zh.clone())
        .bind(c.updated_at_us)
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn delete_canned_response(&self, id: &str) -> Result<(), RepoError> {
        let done = sqlx::query("DELETE FROM canned_responses WHERE id = $1")
            .bind(id.to_owned())
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        if done.rows_affected() == 0 {
            return Err(RepoError::NotFound);
        }
        Ok(())
    }

    async fn customer_refunds(
        &self,
        customer: &CustomerId,
        limit: u32,
    ) -> Result<Vec<Refund>, RepoError> {
        self.newest_of_customer(REFUND_COLUMNS, "refunds", customer, limit, refund_from_row)
            .await
    }

    async fn customer_flags(
        &self,
        customer: &CustomerId,
        limit: u32,
    ) -> Result<Vec<TransactionFlag>, RepoError> {
        self.newest_of_customer(
            FLAG_COLUMNS,
            "transaction_flags",
            customer,
            limit,
            flag_from_row,
        )
        .await
    }

    async fn dashboard_stats(
        &self,
        since_us: i64,
        now_us: i64,
    ) -> Result<DashboardStats, RepoError> {
        let by = |column: &str| {
            format!(
                "SELECT {column} AS k, CAST(COUNT(*) AS BIGINT) AS n FROM tickets WHERE status IN {ACTIVE} \
                 GROUP BY {column} ORDER BY n DESC, k"
            )
        };
        let by_category = sqlx::query(AssertSqlSafe(by("category")))
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        let by_channel = sqlx::query(AssertSqlSafe(by("channel")))
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;

        // The first public staff message of each ticket opened in the period (copies a
        // merge brought from an older ticket predate the ticket and do not count), in
        // buckets; -1 holds the tickets nobody has answered yet.
        let cases: Vec<String> = (0..FIRST_RESPONSE_BOUNDS_MIN.len())
            .map(|i| format!("WHEN r.d < ${} THEN {i}", i + 2))
            .collect();
        let sql = format!(
            "SELECT b.bucket AS bucket, CAST(COUNT(*) AS BIGINT) AS n, CAST(COALESCE(SUM(b.d), 0) AS BIGINT) AS total FROM ( \
               SELECT CAST(CASE WHEN r.d IS NULL THEN -1 {} ELSE {} END AS BIGINT) AS bucket, r.d AS d FROM ( \
                 SELECT (SELECT MIN(m.created_at_us) FROM ticket_messages m WHERE m.ticket_id = t.id \
                   AND m.author_kind = 'staff' AND m.visibility = 'public' AND m.created_at_us >= t.created_at_us) \
                   - t.created_at_us AS d \
                 FROM tickets t WHERE t.created_at_us >= $1) r) b \
             GROUP BY b.bucket",
            cases.join(" "),
            FIRST_RESPONSE_BOUNDS_MIN.len()
        );
        let mut q = sqlx::query(AssertSqlSafe(sql)).bind(since_us);
        for minutes in FIRST_RESPONSE_BOUNDS_MIN {
            q = q.bind(minutes * 60_000_000);
        }
        let rows = q.fetch_all(&self.pool).await.map_err(db_err)?;
        let mut first_response = FirstResponseStats {
            buckets: vec![0; FIRST_RESPONSE_BOUNDS_MIN.len() + 1],
            ..FirstResponseStats::default()
        };
        for r in &rows {
            let bucket: i64 = col(r, "bucket")?;
            let n: i64 = col(r, "n")?;
            match usize::try_from(bucket)
                .ok()
                .and_then(|b| first_response.buckets.get_mut(b))
            {
                Some(slot) => {
                    *slot += n;
                    first_response.answered += n;
                    first_response.total_us += col::<i64>(r, "total")?;
                }
                None => first_response.unanswered += n,
            }
        }

        let rows = sqlx::query(
            "SELECT rating_score AS s, CAST(COUNT(*) AS BIGINT) AS n FROM tickets \
             WHERE rated_at_us >= $1 AND rating_score IS NOT NULL GROUP BY rating_score",
        )
        .bind(since_us)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        let mut satisfaction = SatisfactionStats::default();
        for r in &rows {
            let score: i64 = col(r, "s")?;
            if let Some(slot) = usize::try_from(score - 1)
                .ok()
                .and_then(|i| satisfaction.by_score.get_mut(i))
            {
                *slot += col::<i64>(r, "n")?;
            }
        }
        // Each ticket's cycles are JSON on its row, judged in the domain: one indexed read
        // of the period's tickets (tickets_by_created), a few hundred bytes each.
        let rows = sqlx::query(
            "SELECT sla_cycles FROM tickets WHERE created_at_us >= $1 AND sla_cycles IS NOT NULL",
        )
        .bind(since_us)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        let mut sla = SlaCompliance::default();
        for r in &rows {
            sla.add(&crate::sla::cycles_from_row(r)?, now_us);
        }
        Ok(DashboardStats {
            sla,
            open_by_category: count_by(&by_category)?,
            open_by_channel: count_by(&by_channel)?,
            first_response,
            satisfaction,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_keyset_condition_compares_every_key_then_the_id() {
        let mut f = Filters::default();
        let cursor = Cursor {
            key: "9,2,1700".into(),
            id: "abc".into(),
        };
        queue_after(&mut f, &cursor).unwrap();
        let sql = f.where_sql();
        let due = QUEUE_KEYS[0];
        assert!(sql.contains(&format!("({due} > $1)")), "{sql}");
        assert!(
            sql.contains(&format!("({due} = $1 AND {PRIORITY_RANK} > $2)")),
            "{sql}"
        );
        assert!(
            sql.contains(&format!(
                "({due} = $1 AND {PRIORITY_RANK} = $2 AND updated_at_us = $3 AND id > $4)"
            )),
            "{sql}"
        );
        let wrong = Cursor {
            key: "1700".into(),
            id: "abc".into(),
        };
        assert!(queue_after(&mut Filters::default(), &wrong).is_err());
    }

    /// The queue-order indexes serve the queue only while their expressions are the
    /// queue's own: an edit to QUEUE_KEYS that forgets the migration would silently bring
    /// back the full sort (docs/benchmarks.md).
    #[test]
    fn the_queue_order_indexes_hold_the_queue_keys() {
        for migration in [
            include_str!("../migrations/sqlite/0010_queue_order.sql"),
            include_str!("../migrations/postgres/0010_queue_order.sql"),
        ] {
            let flat = migration.split_whitespace().collect::<Vec<_>>().join(" ");
            let keys = QUEUE_KEYS
                .iter()
                .map(|k| format!("({k})"))
                .collect::<Vec<_>>();
            // updated_at_us is a plain column: written bare in the index.
            let expected = format!("{}, {}, updated_at_us, id", keys[0], keys[1]);
            assert_eq!(QUEUE_KEYS[2], "updated_at_us");
            assert_eq!(
                flat.matches(&expected).count(),
                3,
                "every queue index ends with the queue keys"
            );
            assert_eq!(
                flat.matches(&format!("WHERE status IN {ACTIVE};")).count(),
                3,
                "and holds the active tickets, as the queries write them"
            );
        }
    }
}
