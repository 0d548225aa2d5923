//! Tickets, threads, channel contacts, phone calls, the delivery outbox and contact-form
//! outcomes. Every change that touches a ticket runs in one database transaction holding
//! the ticket's row (`BEGIN IMMEDIATE` on SQLite, `FOR UPDATE` on PostgreSQL), and applies
//! the domain's lifecycle rules there, so concurrent replies and status changes serialise.

use crate::crypto::{Field, KeyRing};
use crate::statements::Statements;
use crate::ticket_settings::SETTINGS_VERSION_COLUMN;
use crate::{Backend, Filters, Order, Store, col, db_err, like_pattern};
use async_trait::async_trait;
use domain::repo::{
    CallOutcome, ContactIdentity, Deflection, Delivery, MessageOutcome, RepoError, TicketRepo,
};
use domain::sla::{SlaActivity, SlaSubject};
use domain::ticket::{
    Actor, ActorKind, Attachment, CallEvent, CallLog, CallState, Category, Channel, Contact,
    DeliveryOutcome, DeliveryState, LinkKind, MAX_DELIVERY_ATTEMPTS, NewMessage, NewTicket,
    OutboxItem, Priority, Rating, ReportedTransaction, Requester, Ticket, TicketChanges,
    TicketEvent, TicketLink, TicketMessage, TicketQuery, TicketStatus, Visibility,
    call_state_after, check_rating, check_status_change, retry_delay_secs, status_after_message,
};
use domain::{Cursor, CustomerId, GroupId, Limit, Locale, Page, StaffId};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AssertSqlSafe};

// The agent console's storage reads and writes tickets with this module's helpers.
#[path = "console.rs"]
mod console;

const TICKET_COLUMNS: &str = "id, number, customer_id, contact_id, requester_name, channel, category, subject, status, priority, group_id, assignee_id, tags, locale, reported_at_us, reported_amount_minor, rating_score, rating_comment, rated_at_us, created_at_us, updated_at_us, solved_at_us, calendar_id, first_response_due_us, next_response_due_us, resolution_due_us, next_due_us, sla_policy_id, sla_cycles";
const MESSAGE_COLUMNS: &str = "id, ticket_id, author_kind, author_id, author_name, visibility, body, channel, external_id, delivery, delivery_error, created_at_us";
const CALL_COLUMNS: &str = "id, ticket_id, call_id, from_number, state, ivr_choice, agent_id, started_at_us, answered_at_us, ended_at_us, recording_url, summary";
const CONTACT_COLUMNS: &str =
    "id, channel, external_ref, display_name, email, phone, customer_id, created_at_us";

fn corrupt(what: &str) -> RepoError {
    RepoError::Unexpected(anyhow::anyhow!("stored ticket data {what} is not valid"))
}

/// One line of a ticket's history: who changed which field from what to what.
pub(crate) struct HistoryRow<'a> {
    actor: &'a Actor,
    field: &'a str,
    old_value: &'a str,
    new_value: &'a str,
}

/// Where a new ticket was routed before its transaction began (PostgreSQL; see
/// `route_ahead`).
pub(crate) struct Routed {
    /// The settings version the route was read from: a ticket transaction that reads
    /// another one routes again.
    settings_version: i64,
    group: Option<String>,
    agent: Option<String>,
}

/// What the caller of `create_ticket_in` already has for the new ticket.
#[derive(Default)]
struct Known<'a> {
    /// A guest's key hash, stored with the ticket.
    guest_key_hash: Option<&'a str>,
    /// The requester as already read in the ticket's transaction.
    requester: Option<RequesterParts>,
    /// The route taken before the transaction began.
    routed: Option<Routed>,
}

/// Who a new ticket is from, as its row records them.
struct RequesterParts {
    customer_id: Option<String>,
    contact_id: Option<String>,
    /// The requester's name as the ticket shows it.
    name: String,
    /// The customer's region (their calendar), if the requester is a customer.
    region: Option<String>,
    /// The ticket settings' version, read on the same statement (one round trip fewer in
    /// the intake's write turn).
    settings_version: i64,
}

/// A column holding a closed set's stored name (`"open"`, `"messenger"`), parsed.
fn col_parsed<T>(row: &AnyRow, name: &str, parse: fn(&str) -> Option<T>) -> Result<T, RepoError> {
    let raw: String = col(row, name)?;
    parse(&raw).ok_or_else(|| corrupt(name))
}

fn invalid(e: impl std::fmt::Display) -> RepoError {
    RepoError::InvalidState(e.to_string())
}

fn ticket_from_row(row: &AnyRow, links: Vec<TicketLink>) -> Result<Ticket, RepoError> {
    let customer: Option<String> = col(row, "customer_id")?;
    let contact: Option<String> = col(row, "contact_id")?;
    let requester = match (customer, contact.clone()) {
        (Some(c), _) => Requester::Customer(CustomerId::from_string(c)),
        (None, Some(c)) => Requester::Contact(c),
        (None, None) => return Err(corrupt("requester")),
    };
    let tags: String = col(row, "tags")?;
    let rating_score: Option<i64> = col(row, "rating_score")?;
    let rating = match rating_score {
        Some(score) => Some(Rating {
            score: u8::try_from(score).map_err(|_| corrupt("rating"))?,
            comment: col::<Option<String>>(row, "rating_comment")?.unwrap_or_default(),
            rated_at_us: col::<Option<i64>>(row, "rated_at_us")?.unwrap_or_default(),
        }),
        None => None,
    };
    Ok(Ticket {
        id: col(row, "id")?,
        number: col(row, "number")?,
        requester,
        requester_name: col(row, "requester_name")?,
        contact_id: contact,
        channel: col_parsed(row, "channel", Channel::parse)?,
        category: col_parsed(row, "category", Category::parse)?,
        subject: col(row, "subject")?,
        status: col_parsed(row, "status", TicketStatus::parse)?,
        priority: col_parsed(row, "priority", Priority::parse)?,
        group_id: col::<Option<String>>(row, "group_id")?.map(GroupId::from_string),
        assignee_id: col::<Option<String>>(row, "assignee_id")?.map(StaffId::from_string),
        tags: serde_json::from_str(&tags).map_err(|_| corrupt("tags"))?,
        locale: col_parsed(row, "locale", Locale::parse)?,
        links,
        reported: ReportedTransaction {
            at_us: col(row, "reported_at_us")?,
            amount_minor: col(row, "reported_amount_minor")?,
        },
        rating,
        created_at_us: col(row, "created_at_us")?,
        updated_at_us: col(row, "updated_at_us")?,
        solved_at_us: col(row, "solved_at_us")?,
        sla: crate::sla::sla_from_row(row)?,
    })
}

fn message_from_row(
    row: &AnyRow,
    attachments: Vec<Attachment>,
) -> Result<TicketMessage, RepoError> {
    Ok(TicketMessage {
        id: col(row, "id")?,
        ticket_id: col(row, "ticket_id")?,
        author_kind: col_parsed(row, "author_kind", ActorKind::parse)?,
        author_id: col(row, "author_id")?,
        author_name: col(row, "author_name")?,
        visibility: col_parsed(row, "visibility", Visibility::parse)?,
        body: col(row, "body")?,
        channel: col_parsed(row, "channel", Channel::parse)?,
        external_id: col(row, "external_id")?,
        delivery: col_parsed(row, "delivery", DeliveryState::parse)?,
        delivery_error: col(row, "delivery_error")?,
        attachments,
        created_at_us: col(row, "created_at_us")?,
    })
}

fn call_from_row(keys: &KeyRing, row: &AnyRow) -> Result<CallLog, RepoError> {
    let id: String = col(row, "id")?;
    let from_number = keys.decrypt(Field::CALL_FROM, &id, &col::<String>(row, "from_number")?)?;
    Ok(CallLog {
        id,
        ticket_id: col(row, "ticket_id")?,
        call_id: col::<Option<String>>(row, "call_id")?.unwrap_or_default(),
        from_number,
        state: col_parsed(row, "state", CallState::parse)?,
        ivr_choice: col(row, "ivr_choice")?,
        agent_id: col::<Option<String>>(row, "agent_id")?.map(StaffId::from_string),
        started_at_us: col(row, "started_at_us")?,
        answered_at_us: col(row, "answered_at_us")?,
        ended_at_us: col(row, "ended_at_us")?,
        recording_url: col(row, "recording_url")?,
        summary: col(row, "summary")?,
    })
}

/// Reads a contact, decrypting its channel identity and contact details (an erased
/// contact has none: its identity reads as empty).
fn contact_from_row(keys: &KeyRing, row: &AnyRow) -> Result<Contact, RepoError> {
    let id: String = col(row, "id")?;
    let external = keys.decrypt_opt(
        Field::CONTACT_EXTERNAL,
        &id,
        col::<Option<String>>(row, "external_ref")?.as_deref(),
    )?;
    let email = keys.decrypt_opt(
        Field::CONTACT_EMAIL,
        &id,
        col::<Option<String>>(row, "email")?.as_deref(),
    )?;
    let phone = keys.decrypt_opt(
        Field::CONTACT_PHONE,
        &id,
        col::<Option<String>>(row, "phone")?.as_deref(),
    )?;
    Ok(Contact {
        id,
        channel: col_parsed(row, "channel", Channel::parse)?,
        external_id: external.unwrap_or_default(),
        display_name: col(row, "display_name")?,
        email,
        phone,
        customer_id: col::<Option<String>>(row, "customer_id")?.map(CustomerId::from_string),
        created_at_us: col(row, "created_at_us")?,
    })
}

/// Blind index of a channel identity: what `contacts.external_id` holds.
pub(crate) fn contact_index(keys: &KeyRing, channel: Channel, external_id: &str) -> String {
    format!(
        "bidx:{}",
        keys.blind_index(&format!("contact:{}", channel.as_str()), external_id)
    )
}

fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

fn json_tags(tags: &[String]) -> Result<String, RepoError> {
    serde_json::to_string(tags).map_err(|e| RepoError::Unexpected(e.into()))
}

fn opt_str<T: AsRef<str>>(v: &Option<T>) -> String {
    v.as_ref()
        .map(|s| s.as_ref().to_owned())
        .unwrap_or_default()
}

impl Store {
    async fn links_of(
        conn: &mut AnyConnection,
        ticket_ids: &[String],
    ) -> Result<std::collections::HashMap<String, Vec<TicketLink>>, RepoError> {
        let mut out: std::collections::HashMap<String, Vec<TicketLink>> = Default::default();
        if ticket_ids.is_empty() {
            return Ok(out);
        }
        let marks: Vec<String> = (1..=ticket_ids.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT ticket_id, kind, record_id FROM ticket_links WHERE ticket_id IN ({}) ORDER BY created_at_us, record_id",
            marks.join(", ")
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for id in ticket_ids {
            q = q.bind(id.clone());
        }
        for row in q.fetch_all(&mut *conn).await.map_err(db_err)? {
            out.entry(col(&row, "ticket_id")?)
                .or_default()
                .push(TicketLink {
                    kind: col_parsed(&row, "kind", LinkKind::parse)?,
                    record_id: col(&row, "record_id")?,
                });
        }
        Ok(out)
    }

    async fn tickets_from_rows(
        conn: &mut AnyConnection,
        rows: &[AnyRow],
    ) -> Result<Vec<Ticket>, RepoError> {
        let ids = rows
            .iter()
            .map(|r| col::<String>(r, "id"))
            .collect::<Result<Vec<_>, _>>()?;
        let mut links = Self::links_of(conn, &ids).await?;
        rows.iter()
            .zip(ids)
            .map(|(row, id)| ticket_from_row(row, links.remove(&id).unwrap_or_default()))
            .collect()
    }

    /// One ticket read on `conn`, with `lock` appended (`""` or `" FOR UPDATE"`).
    async fn ticket_on(
        conn: &mut AnyConnection,
        where_sql: &str,
        value: Bind1,
        lock: &str,
    ) -> Result<Ticket, RepoError> {
        let sql = format!("SELECT {TICKET_COLUMNS} FROM tickets WHERE {where_sql}{lock}");
        let q = sqlx::query(AssertSqlSafe(sql));
        let q = match value {
            Bind1::Text(s) => q.bind(s),
            Bind1::Int(n) => q.bind(n),
        };
        let row = q
            .fetch_optional(&mut *conn)
            .await
            .map_err(db_err)?
            .ok_or(RepoError::NotFound)?;
        let mut tickets = Self::tickets_from_rows(conn, &[row]).await?;
        tickets.pop().ok_or(RepoError::NotFound)
    }

    pub(crate) async fn insert_event(
        conn: &mut AnyConnection,
        ticket_id: &str,
        actor: &Actor,
        field: &str,
        old_value: &str,
        new_value: &str,
        at_us: i64,
    ) -> Result<(), RepoError> {
        let mut st = Statements::new();
        let row = HistoryRow {
            actor,
            field,
            old_value,
            new_value,
        };
        Self::history_statement(&mut st, ticket_id, &[row], at_us);
        st.run(conn).await?;
        Ok(())
    }

    /// Adds several history rows at `at_us` to `st` as one statement, in order (ids are
    /// time-ordered, so the history reads back in this order).
    pub(crate) fn history_statement(
        st: &mut Statements,
        ticket_id: &str,
        rows: &[HistoryRow<'_>],
        at_us: i64,
    ) {
        if rows.is_empty() {
            return;
        }
        let sql = format!(
            "INSERT INTO ticket_events (id, ticket_id, actor_kind, actor_id, actor_name, field, old_value, new_value, at_us) VALUES {}",
            crate::value_rows("(?, ?, ?, ?, ?, ?, ?, ?, ?)", rows.len())
        );
        let mut values = Vec::with_capacity(rows.len() * 9);
        for r in rows {
            values.extend([
                new_id().into(),
                ticket_id.into(),
                r.actor.kind.as_str().into(),
                r.actor.id.clone().into(),
                r.actor.name.clone().into(),
                r.field.into(),
                r.old_value.into(),
                r.new_value.into(),
                at_us.into(),
            ]);
        }
        st.push(sql, values);
    }

    /// Inserts a message with its attachments and, when it goes to a platform, its
    /// outbox row. A repeated external id surfaces as `Conflict`.
    pub(crate) async fn insert_message(
        keys: &KeyRing,
        conn: &mut AnyConnection,
        ticket_id: &str,
        m: &NewMessage,
        delivery: Option<&Delivery>,
        now_us: i64,
    ) -> Result<TicketMessage, RepoError> {
        let mut st = Statements::new();
        let message = Self::message_statements(keys, &mut st, ticket_id, m, delivery, now_us)?;
        st.run(conn).await?;
        Ok(message)
    }

    /// Adds the statements of [`Self::insert_message`] to `st`; returns the message as
    /// they store it.
    pub(crate) fn message_statements(
        keys: &KeyRing,
        st: &mut Statements,
        ticket_id: &str,
        m: &NewMessage,
        delivery: Option<&Delivery>,
        now_us: i64,
    ) -> Result<TicketMessage, RepoError> {
        let id = new_id();
        let state = if delivery.is_some() {
            DeliveryState::Queued
        } else {
            DeliveryState::NotApplicable
        };
        st.push(
            "INSERT INTO ticket_messages (id, ticket_id, author_kind, author_id, author_name, visibility, body, channel, external_id, delivery, delivery_error, created_at_us) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL, $11)",
            vec![
                id.clone().into(),
                ticket_id.into(),
                m.author_kind.as_str().into(),
                m.author_id.clone().into(),
                m.author_name.clone().into(),
                m.visibility.as_str().into(),
                m.body.clone().into(),
                m.channel.as_str().into(),
                m.external_id.clone().into(),
                state.as_str().into(),
                now_us.into(),
            ],
        );
        for a in &m.attachments {
            st.push(
                "INSERT INTO ticket_attachments (id, message_id, ticket_id, file_name, content_type, size_bytes, storage_key, created_at_us) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                vec![
                    a.id.clone().into(),
                    id.clone().into(),
                    ticket_id.into(),
                    a.file_name.clone().into(),
                    a.content_type.clone().into(),
                    a.size_bytes.into(),
                    a.storage_key.clone().into(),
                    now_us.into(),
                ],
            );
        }
        if let Some(d) = delivery {
            let outbox_id = new_id();
            let recipient = keys.encrypt(Field::OUTBOX_RECIPIENT, &outbox_id, &d.recipient)?;
            st.push(
                "INSERT INTO outbox (id, channel, message_id, recipient, body, state, attempts, next_attempt_at_us, lease_owner, lease_until_us, last_error, created_at_us, sent_at_us) VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, NULL, NULL, NULL, $6, NULL)",
                vec![
                    outbox_id.into(),
                    d.channel.as_str().into(),
                    id.clone().into(),
                    recipient.into(),
                    m.body.clone().into(),
                    now_us.into(),
                ],
            );
        }
        Ok(TicketMessage {
            id,
            ticket_id: ticket_id.to_owned(),
            author_kind: m.author_kind,
            author_id: m.author_id.clone(),
            author_name: m.author_name.clone(),
            visibility: m.visibility,
            body: m.body.clone(),
            channel: m.channel,
            external_id: m.external_id.clone(),
            delivery: state,
            delivery_error: None,
            attachments: m.attachments.clone(),
            created_at_us: now_us,
        })
    }

    /// The stored message with this platform id, if any, with its ticket.
    async fn existing_delivery(
        &self,
        channel: Channel,
        external_id: Option<&str>,
    ) -> Result<Option<MessageOutcome>, RepoError> {
        let Some(external_id) = external_id else {
            return Ok(None);
        };
        let sql = format!(
            "SELECT {MESSAGE_COLUMNS} FROM ticket_messages WHERE channel = $1 AND external_id = $2"
        );
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(channel.as_str())
            .bind(external_id.to_owned())
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        let Some(row) = row else { return Ok(None) };
        let message = message_from_row(&row, Vec::new())?;
        let ticket = self.ticket(&message.ticket_id).await?;
        Ok(Some(MessageOutcome {
            message,
            ticket,
            duplicate: true,
        }))
    }

    /// The expression that numbers a new ticket inside its INSERT: PostgreSQL's
    /// sequence, or SQLite's counter (advanced by the trigger of migration 0016).
    fn new_ticket_number(&self) -> &'static str {
        match self.backend {
            Backend::Postgres => "nextval('ticket_numbers')",
            Backend::Sqlite => "(SELECT value + 1 FROM counters WHERE name = 'ticket_number')",
        }
    }

    async fn requester_parts(
        conn: &mut AnyConnection,
        requester: &Requester,
    ) -> Result<RequesterParts, RepoError> {
        match requester {
            Requester::Customer(id) => {
                let sql = format!(
                    "SELECT display_name, region_id, {SETTINGS_VERSION_COLUMN} FROM customers WHERE id = $1"
                );
                let row = sqlx::query(AssertSqlSafe(sql))
                    .bind(id.to_string())
                    .fetch_optional(&mut *conn)
                    .await
                    .map_err(db_err)?
                    .ok_or(RepoError::NotFound)?;
                Ok(RequesterParts {
                    customer_id: Some(id.to_string()),
                    contact_id: None,
                    name: col(&row, "display_name")?,
                    region: col(&row, "region_id")?,
                    settings_version: Self::settings_version_col(&row)?,
                })
            }
            Requester::Contact(contact) => {
                let sql = format!(
                    "SELECT c.display_name, c.customer_id, cu.region_id, {SETTINGS_VERSION_COLUMN} \
                     FROM contacts c LEFT JOIN customers cu ON cu.id = c.customer_id WHERE c.id = $1"
                );
                let row = sqlx::query(AssertSqlSafe(sql))
                    .bind(contact.clone())
                    .fetch_optional(&mut *conn)
                    .await
                    .map_err(db_err)?
                    .ok_or(RepoError::NotFound)?;
                // A contact already identified as a customer files as that customer.
                Ok(RequesterParts {
                    customer_id: col(&row, "customer_id")?,
                    contact_id: Some(contact.clone()),
                    name: col(&row, "display_name")?,
                    region: col(&row, "region_id")?,
                    settings_version: Self::settings_version_col(&row)?,
                })
            }
        }
    }

    /// The contact with this channel identity, created on first sight, on `conn` (a pooled
    /// connection or an open transaction), with the ticket settings' version read on the
    /// same statement (for the ticket that usually follows).
    async fn upsert_contact_on(
        keys: &KeyRing,
        conn: &mut AnyConnection,
        identity: &ContactIdentity,
        now_us: i64,
    ) -> Result<(Contact, i64), RepoError> {
        let customer = identity.customer_id.as_ref().map(|c| c.to_string());
        // An upsert, so two deliveries from a new sender at once still end with one
        // contact; a proven customer identity fills an empty customer_id.
        // The channel identity (a phone number, an email) is stored encrypted; its blind
        // index takes its place in the unique (channel, external_id) key.
        let id = new_id();
        let index = contact_index(keys, identity.channel, &identity.external_id);
        // The upsert always updates on conflict, so RETURNING gives the row either way.
        let sql = format!(
            "INSERT INTO contacts (id, channel, external_id, external_ref, display_name, email, phone, customer_id, created_at_us) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (channel, external_id) DO UPDATE SET customer_id = COALESCE(contacts.customer_id, excluded.customer_id) RETURNING {CONTACT_COLUMNS}, {SETTINGS_VERSION_COLUMN}"
        );
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(id.clone())
            .bind(identity.channel.as_str())
            .bind(index)
            .bind(keys.encrypt(Field::CONTACT_EXTERNAL, &id, &identity.external_id)?)
            .bind(identity.display_name.clone())
            .bind(keys.encrypt_opt(Field::CONTACT_EMAIL, &id, identity.email.as_deref())?)
            .bind(keys.encrypt_opt(Field::CONTACT_PHONE, &id, identity.phone.as_deref())?)
            .bind(customer)
            .bind(now_us)
            .fetch_one(&mut *conn)
            .await
            .map_err(db_err)?;
        Ok((
            contact_from_row(keys, &row)?,
            Self::settings_version_col(&row)?,
        ))
    }

    async fn create_ticket_tx(
        &self,
        new: &NewTicket,
        delivery: Option<&Delivery>,
        now_us: i64,
    ) -> Result<MessageOutcome, RepoError> {
        let routed = self.route_ahead(new.category, now_us).await?;
        let mut tx = self.begin_write().await?;
        let outcome = self
            .create_ticket_in(
                &mut tx,
                new,
                delivery,
                Known {
                    routed,
                    ..Known::default()
                },
                now_us,
            )
            .await?;
        tx.commit().await.map_err(db_err)?;
        Ok(outcome)
    }

    /// Writes a new ticket with its first message inside the caller's transaction; a
    /// guest's key hash and what else the caller knows come in `known`.
    ///
    /// The group, assignee and SLA are decided before the ticket is written, so its row is
    /// written once (each later update would move it in the queue indexes again), and the
    /// row comes back from the insert itself.
    async fn create_ticket_in(
        &self,
        tx: &mut AnyConnection,
        new: &NewTicket,
        delivery: Option<&Delivery>,
        known: Known<'_>,
        now_us: i64,
    ) -> Result<MessageOutcome, RepoError> {
        let Known {
            guest_key_hash,
            requester,
            routed,
        } = known;
        let who = match requester {
            Some(parts) => parts,
            None => Self::requester_parts(&mut *tx, &new.requester).await?,
        };
        let settings = self
            .ticket_settings_on(&mut *tx, who.settings_version)
            .await?;
        let id = new_id();
        let m = &new.first_message;
        let actor = Actor {
            kind: m.author_kind,
            id: m.author_id.clone(),
            name: m.author_name.clone(),
        };
        let system = Actor::system();

        // Routed before the ticket is written (group and assignee are in its INSERT): a
        // ticket is never seen unrouted.
        let (group, assignee) = match routed.filter(|r| r.settings_version == settings.version()) {
            Some(r) => (r.group, r.agent),
            None => {
                let group = settings.route(new.category).map(str::to_owned);
                let assignee = match &group {
                    Some(g) => self.next_agent(&mut *tx, g, now_us).await?,
                    None => None,
                };
                (group, assignee)
            }
        };
        let mut history = vec![HistoryRow {
            actor: &actor,
            field: "status",
            old_value: "",
            new_value: "new",
        }];
        for (field, value) in [("group_id", &group), ("assignee_id", &assignee)] {
            if let Some(v) = value {
                history.push(HistoryRow {
                    actor: &system,
                    field,
                    old_value: "",
                    new_value: v,
                });
            }
        }
        // The history the SLA replays, as the rows below will hold it.
        let activities: Vec<SlaActivity> = [
            SlaActivity::from_history("status", "new", now_us),
            SlaActivity::from_message(m.author_kind, m.visibility, now_us),
        ]
        .into_iter()
        .flatten()
        .collect();
        let subject = SlaSubject {
            category: new.category,
            priority: new.priority,
            channel: new.channel,
            tags: new.tags.clone(),
        };
        let (sla, events) = settings.sla(&subject, who.region.as_deref(), now_us, &activities)?;
        let sql = format!(
            "INSERT INTO tickets (id, number, customer_id, contact_id, requester_name, channel, category, subject, status, priority, group_id, assignee_id, tags, locale, reported_at_us, reported_amount_minor, rating_score, rating_comment, rated_at_us, created_at_us, updated_at_us, solved_at_us, guest_key_hash, calendar_id, first_response_due_us, next_response_due_us, resolution_due_us, next_due_us, sla_policy_id, sla_cycles) \
             VALUES ($1, {number}, $2, $3, $4, $5, $6, $7, 'new', $8, $9, $10, $11, $12, $13, $14, NULL, NULL, NULL, $15, $15, NULL, $16, $17, $18, $19, $20, $21, $22, $23) RETURNING {TICKET_COLUMNS}",
            number = self.new_ticket_number()
        );
        let cycles =
            serde_json::to_string(&sla.cycles).map_err(|e| RepoError::Unexpected(e.into()))?;
        // Everything below goes to the database together (one round trip on SQLite).
        let mut st = Statements::new();
        st.push(
            sql,
            vec![
                id.clone().into(),
                who.customer_id.into(),
                who.contact_id.into(),
                who.name.into(),
                new.channel.as_str().into(),
                new.category.as_str().into(),
                new.subject.clone().into(),
                new.priority.as_str().into(),
                group.clone().into(),
                assignee.clone().into(),
                json_tags(&new.tags)?.into(),
                new.locale.tag().into(),
                new.reported.at_us.into(),
                new.reported.amount_minor.into(),
                now_us.into(),
                guest_key_hash.map(str::to_owned).into(),
                sla.calendar_id.clone().into(),
                sla.first_response_due_us.into(),
                sla.next_response_due_us.into(),
                sla.resolution_due_us.into(),
                sla.next_due_us.into(),
                sla.policy_id.clone().into(),
                cycles.into(),
            ],
        );
        for link in &new.links {
            st.push(
                "INSERT INTO ticket_links (ticket_id, kind, record_id, created_at_us) VALUES ($1, $2, $3, $4)",
                vec![
                    id.clone().into(),
                    link.kind.as_str().into(),
                    link.record_id.clone().into(),
                    now_us.into(),
                ],
            );
        }
        Self::history_statement(&mut st, &id, &history, now_us);
        let message = Self::message_statements(&self.keys, &mut st, &id, m, delivery, now_us)?;
        crate::sla::sla_events_statement(&mut st, &id, &events, now_us);
        // The ticket's INSERT is the only statement that returns a row.
        let row = st
            .run(&mut *tx)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| corrupt("new ticket"))?;
        // The links as `links_of` orders them: all written now, so by record id.
        let mut links = new.links.clone();
        links.sort_by(|a, b| a.record_id.cmp(&b.record_id));
        let ticket = ticket_from_row(&row, links)?;
        Ok(MessageOutcome {
            message,
            ticket,
            duplicate: false,
        })
    }

    async fn add_message_tx(
        &self,
        ticket_id: &str,
        m: &NewMessage,
        requested: Option<TicketStatus>,
        delivery: Option<&Delivery>,
        now_us: i64,
    ) -> Result<MessageOutcome, RepoError> {
        let mut tx = self.begin_write().await?;
        let ticket = self.lock_ticket(&mut tx, ticket_id).await?;
        let status = status_after_message(ticket.status, m.author_kind, m.visibility, requested)
            .map_err(invalid)?;
        let message =
            Self::insert_message(&self.keys, &mut tx, ticket_id, m, delivery, now_us).await?;
        let actor = Actor {
            kind: m.author_kind,
            id: m.author_id.clone(),
            name: m.author_name.clone(),
        };
        self.set_ticket_status(&mut tx, &ticket, status, &actor, now_us)
            .await?;
        self.recompute_sla_on(&mut tx, ticket_id, now_us).await?;
        let ticket =
            Self::ticket_on(&mut tx, "id = $1", Bind1::Text(ticket_id.to_owned()), "").await?;
        tx.commit().await.map_err(db_err)?;
        Ok(MessageOutcome {
            message,
            ticket,
            duplicate: false,
        })
    }

    /// Writes a status (and the solved time) with its history entry; touches `updated_at`
    /// either way, since something happened on the ticket.
    async fn set_ticket_status(
        &self,
        conn: &mut AnyConnection,
        ticket: &Ticket,
        status: TicketStatus,
        actor: &Actor,
        now_us: i64,
    ) -> Result<(), RepoError> {
        let solved_at = if status == TicketStatus::Solved && ticket.status != TicketStatus::Solved {
            Some(now_us)
        } else {
            ticket.solved_at_us
        };
        sqlx::query(
            "UPDATE tickets SET status = $1, solved_at_us = $2, updated_at_us = $3 WHERE id = $4",
        )
        .bind(status.as_str())
        .bind(solved_at)
        .bind(now_us)
        .bind(ticket.id.clone())
        .execute(&mut *conn)
        .await
        .map_err(db_err)?;
        if status != ticket.status {
            Self::insert_event(
                conn,
                &ticket.id,
                actor,
                "status",
                ticket.status.as_str(),
                status.as_str(),
                now_us,
            )
            .await?;
        }
        Ok(())
    }

    async fn attachments_of(
        conn: &mut AnyConnection,
        ticket_id: &str,
    ) -> Result<std::collections::HashMap<String, Vec<Attachment>>, RepoError> {
        let rows = sqlx::query(
            "SELECT id, message_id, file_name, content_type, size_bytes, storage_key FROM ticket_attachments WHERE ticket_id = $1 ORDER BY created_at_us, id",
        )
        .bind(ticket_id.to_owned())
        .fetch_all(&mut *conn)
        .await
        .map_err(db_err)?;
        let mut out: std::collections::HashMap<String, Vec<Attachment>> = Default::default();
        for row in rows {
            out.entry(col(&row, "message_id")?)
                .or_default()
                .push(Attachment {
                    id: col(&row, "id")?,
                    file_name: col(&row, "file_name")?,
                    content_type: col(&row, "content_type")?,
                    size_bytes: col(&row, "size_bytes")?,
                    storage_key: col(&row, "storage_key")?,
                });
        }
        Ok(out)
    }
}

impl Store {
    /// Reads and locks a ticket for a change.
    async fn lock_ticket(&self, conn: &mut AnyConnection, id: &str) -> Result<Ticket, RepoError> {
        Self::ticket_on(
            conn,
            "id = $1",
            Bind1::Text(id.to_owned()),
            self.for_update(),
        )
        .await
    }

    /// Reads and locks a ticket that must not be closed (closed tickets never change).
    async fn lock_open_ticket(
        &self,
        conn: &mut AnyConnection,
        id: &str,
    ) -> Result<Ticket, RepoError> {
        let t = self.lock_ticket(conn, id).await?;
        if t.status == TicketStatus::Closed {
            return Err(invalid(domain::ticket::TicketRuleError::Closed));
        }
        Ok(t)
    }

    /// Commits and answers with the ticket as the transaction left it.
    async fn commit_with_ticket(
        mut tx: crate::write::WriteTx,
        id: &str,
    ) -> Result<Ticket, RepoError> {
        let ticket = Self::ticket_on(&mut tx, "id = $1", Bind1::Text(id.to_owned()), "").await?;
        tx.commit().await.map_err(db_err)?;
        Ok(ticket)
    }

    /// Something happened on the ticket: lists sort by this.
    pub(crate) async fn touch(
        conn: &mut AnyConnection,
        id: &str,
        now_us: i64,
    ) -> Result<(), RepoError> {
        sqlx::query("UPDATE tickets SET updated_at_us = $1 WHERE id = $2")
            .bind(now_us)
            .bind(id.to_owned())
            .execute(&mut *conn)
            .await
            .map_err(db_err)?;
        Ok(())
    }
}

impl Store {
    /// A ticket's thread with its files, oldest first, read on `conn`.
    async fn messages_on(
        conn: &mut AnyConnection,
        ticket_id: &str,
    ) -> Result<Vec<TicketMessage>, RepoError> {
        let mut attachments = Self::attachments_of(conn, ticket_id).await?;
        let sql = format!(
            "SELECT {MESSAGE_COLUMNS} FROM ticket_messages WHERE ticket_id = $1 ORDER BY created_at_us, id"
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(ticket_id.to_owned())
            .fetch_all(&mut *conn)
            .await
            .map_err(db_err)?;
        rows.iter()
            .map(|row| {
                let id: String = col(row, "id")?;
                message_from_row(row, attachments.remove(&id).unwrap_or_default())
            })
            .collect()
    }
}

/// One bound value of a single-key lookup.
enum Bind1 {
    Text(String),
    Int(i64),
}

#[async_trait]
impl TicketRepo for Store {
    async fn upsert_contact(
        &self,
        identity: &ContactIdentity,
        now_us: i64,
    ) -> Result<Contact, RepoError> {
        let mut conn = self.pool.acquire().await.map_err(db_err)?;
        Ok(
            Self::upsert_contact_on(&self.keys, &mut conn, identity, now_us)
                .await?
                .0,
        )
    }

    async fn create_guest_ticket(
        &self,
        identity: &ContactIdentity,
        new: &NewTicket,
        key_hash: &str,
        now_us: i64,
    ) -> Result<(Contact, MessageOutcome), RepoError> {
        // One write transaction for the whole intake (contact, ticket, key): the web
        // form's hot path, and a failure leaves no contact without its ticket.
        let routed = self.route_ahead(new.category, now_us).await?;
        let mut tx = self.begin_write().await?;
        let (contact, settings_version) =
            Self::upsert_contact_on(&self.keys, &mut tx, identity, now_us).await?;
        let mut new = new.clone();
        new.requester = Requester::Contact(contact.id.clone());
        new.first_message.author_id = contact.id.clone();
        // A contact not yet identified as a customer is the requester as it stands; one
        // that was identified files as the customer, read with their region.
        let requester = contact.customer_id.is_none().then(|| RequesterParts {
            customer_id: None,
            contact_id: Some(contact.id.clone()),
            name: contact.display_name.clone(),
            region: None,
            settings_version,
        });
        let outcome = self
            .create_ticket_in(
                &mut tx,
                &new,
                None,
                Known {
                    guest_key_hash: Some(key_hash),
                    requester,
                    routed,
                },
                now_us,
            )
            .await?;
        tx.commit().await.map_err(db_err)?;
        Ok((contact, outcome))
    }

    async fn contact(&self, id: &str) -> Result<Contact, RepoError> {
        let sql = format!("SELECT {CONTACT_COLUMNS} FROM contacts WHERE id = $1");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(id.to_owned())
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?
            .ok_or(RepoError::NotFound)?;
        contact_from_row(&self.keys, &row)
    }

    async fn merge_contact(
        &self,
        contact_id: &str,
        customer: &CustomerId,
        actor: &Actor,
        now_us: i64,
    ) -> Result<u64, RepoError> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query("SELECT display_name FROM customers WHERE id = $1")
            .bind(customer.to_string())
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?
            .ok_or(RepoError::NotFound)?;
        let name: String = col(&row, "display_name")?;
        let contact = sqlx::query("SELECT customer_id FROM contacts WHERE id = $1")
            .bind(contact_id.to_owned())
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?
            .ok_or(RepoError::NotFound)?;
        if let Some(existing) = col::<Option<String>>(&contact, "customer_id")?
            && existing != customer.as_str()
        {
            return Err(RepoError::InvalidState(
                "this contact is already identified as another customer".into(),
            ));
        }
        sqlx::query("UPDATE contacts SET customer_id = $1 WHERE id = $2")
            .bind(customer.to_string())
            .bind(contact_id.to_owned())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        let rows = sqlx::query(
            "SELECT id FROM tickets WHERE contact_id = $1 AND (customer_id IS NULL OR customer_id <> $2)",
        )
        .bind(contact_id.to_owned())
        .bind(customer.to_string())
        .fetch_all(&mut *tx)
        .await
        .map_err(db_err)?;
        for row in &rows {
            let id: String = col(row, "id")?;
            sqlx::query(
                "UPDATE tickets SET customer_id = $1, requester_name = $2, updated_at_us = $3 WHERE id = $4",
            )
            .bind(customer.to_string())
            .bind(name.clone())
            .bind(now_us)
            .bind(id.clone())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
            Self::insert_event(
                &mut tx,
                &id,
                actor,
                "requester",
                &format!("contact:{contact_id}"),
                &format!("customer:{customer}"),
                now_us,
            )
            .await?;
            // The customer's region may bring another calendar.
            self.recompute_sla_on(&mut tx, &id, now_us).await?;
        }
        tx.commit().await.map_err(db_err)?;
        Ok(rows.len() as u64)
    }

    async fn create_ticket(
        &self,
        new: &NewTicket,
        delivery: Option<&Delivery>,
        now_us: i64,
    ) -> Result<MessageOutcome, RepoError> {
        let m = &new.first_message;
        if let Some(seen) = self
            .existing_delivery(m.channel, m.external_id.as_deref())
            .await?
        {
            return Ok(seen);
        }
        match self.create_ticket_tx(new, delivery, now_us).await {
            // The same delivery arriving twice at once: the loser finds the winner's.
            Err(RepoError::Conflict(_)) if m.external_id.is_some() => self
                .existing_delivery(m.channel, m.external_id.as_deref())
                .await?
                .ok_or_else(|| RepoError::Conflict("external_id".into())),
            other => other,
        }
    }

    async fn ticket(&self, id: &str) -> Result<Ticket, RepoError> {
        let mut conn = self.pool.acquire().await.map_err(db_err)?;
        Self::ticket_on(&mut conn, "id = $1", Bind1::Text(id.to_owned()), "").await
    }

    async fn ticket_by_number(&self, number: i64) -> Result<Ticket, RepoError> {
        let mut conn = self.pool.acquire().await.map_err(db_err)?;
        Self::ticket_on(&mut conn, "number = $1", Bind1::Int(number), "").await
    }

    async fn latest_active_ticket(
        &self,
        contact_id: &str,
        channel: Channel,
    ) -> Result<Option<Ticket>, RepoError> {
        let sql = format!(
            "SELECT {TICKET_COLUMNS} FROM tickets WHERE contact_id = $1 AND channel = $2 AND status <> 'closed' ORDER BY updated_at_us DESC, id DESC LIMIT 1"
        );
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(contact_id.to_owned())
            .bind(channel.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        let Some(row) = row else { return Ok(None) };
        let mut conn = self.pool.acquire().await.map_err(db_err)?;
        Ok(Self::tickets_from_rows(&mut conn, &[row]).await?.pop())
    }

    async fn tickets(
        &self,
        query: &TicketQuery,
        after: Option<&Cursor>,
        limit: Limit,
    ) -> Result<Page<Ticket>, RepoError> {
        let mut f = Filters::default();
        if let Some(c) = &query.customer_id {
            let n = f.bind(c.to_string());
            f.clause(format!("customer_id = ${n}"));
        }
        if let Some(c) = &query.contact_id {
            let n = f.bind(c.clone());
            f.clause(format!("contact_id = ${n}"));
        }
        let asked: std::collections::BTreeSet<&str> =
            query.statuses.iter().map(|s| s.as_str()).collect();
        let active: std::collections::BTreeSet<&str> = TicketStatus::ALL
            .iter()
            .filter(|s| s.is_active())
            .map(|s| s.as_str())
            .collect();
        let all_active = asked == active;
        if all_active {
            // The partial queue indexes' own condition, word for word (migration 0010).
            f.clause(format!("status IN {}", console::ACTIVE));
        } else if !query.statuses.is_empty() {
            let marks: Vec<String> = query
                .statuses
                .iter()
                .map(|s| format!("${}", f.bind(s.as_str())))
                .collect();
            f.clause(format!("status IN ({})", marks.join(", ")));
        }
        if let Some(ch) = query.channel {
            let n = f.bind(ch.as_str());
            f.clause(format!("channel = ${n}"));
        }
        if let Some(cat) = query.category {
            let n = f.bind(cat.as_str());
            f.clause(format!("category = ${n}"));
        }
        if let Some(a) = &query.assignee_id {
            let n = f.bind(a.to_string());
            f.clause(format!("assignee_id = ${n}"));
        }
        if query.unassigned {
            f.clause("assignee_id IS NULL".into());
        }
        if let Some(g) = &query.group_id {
            let n = f.bind(g.to_string());
            f.clause(format!("group_id = ${n}"));
        }
        if let Some(text) = query
            .text
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            let n = f.bind(like_pattern(text));
            let number_clause = match text.trim_start_matches('#').parse::<i64>() {
                Ok(num) => format!(" OR number = ${}", f.bind(num)),
                Err(_) => String::new(),
            };
            f.clause(format!(
                "(LOWER(subject) LIKE ${n} ESCAPE '\\' OR LOWER(requester_name) LIKE ${n} ESCAPE '\\'{number_clause})"
            ));
        }
        if query.sort == domain::console::TicketSort::Queue {
            // The whole active queue, however else narrowed, walks the queue-order index
            // (the assignee and group tabs have their own, which the planner finds).
            let whole_queue = all_active
                && query.assignee_id.is_none()
                && !query.unassigned
                && query.group_id.is_none();
            return self.queue_page(f, after, limit, whole_queue).await;
        }
        f.after(after, "updated_at_us", Order::Descending, true)?;
        let rows = f
            .fetch_page(
                &self.pool,
                TICKET_COLUMNS,
                "tickets",
                "updated_at_us",
                Order::Descending,
                limit,
            )
            .await?;
        let mut conn = self.pool.acquire().await.map_err(db_err)?;
        let items = Self::tickets_from_rows(&mut conn, &rows).await?;
        Ok(crate::identity::page_of(items, limit, |t| {
            (t.updated_at_us.to_string(), t.id.clone())
        }))
    }

    async fn ticket_messages(&self, ticket_id: &str) -> Result<Vec<TicketMessage>, RepoError> {
        let mut conn = self.pool.acquire().await.map_err(db_err)?;
        Self::messages_on(&mut conn, ticket_id).await
    }

    async fn ticket_events(&self, ticket_id: &str) -> Result<Vec<TicketEvent>, RepoError> {
        let rows = sqlx::query(
            "SELECT id, ticket_id, actor_kind, actor_id, actor_name, field, old_value, new_value, at_us FROM ticket_events WHERE ticket_id = $1 ORDER BY at_us, id",
        )
        .bind(ticket_id.to_owned())
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter()
            .map(|row| {
                Ok(TicketEvent {
                    id: col(row, "id")?,
                    ticket_id: col(row, "ticket_id")?,
                    actor_kind: col_parsed(row, "actor_kind", ActorKind::parse)?,
                    actor_id: col(row, "actor_id")?,
                    actor_name: col(row, "actor_name")?,
                    field: col(row, "field")?,
                    old_value: col(row, "old_value")?,
                    new_value: col(row, "new_value")?,
                    at_us: col(row, "at_us")?,
                })
            })
            .collect()
    }

    async fn add_message(
        &self,
        ticket_id: &str,
        message: &NewMessage,
        requested_status: Option<TicketStatus>,
        delivery: Option<&Delivery>,
        now_us: i64,
    ) -> Result<MessageOutcome, RepoError> {
        if let Some(seen) = self
            .existing_delivery(message.channel, message.external_id.as_deref())
            .await?
        {
            return Ok(seen);
        }
        match self
            .add_message_tx(ticket_id, message, requested_status, delivery, now_us)
            .await
        {
            Err(RepoError::Conflict(_)) if message.external_id.is_some() => self
                .existing_delivery(message.channel, message.external_id.as_deref())
                .await?
                .ok_or_else(|| RepoError::Conflict("external_id".into())),
            other => other,
        }
    }

    async fn update_ticket(
        &self,
        ticket_id: &str,
        changes: &TicketChanges,
        actor: &Actor,
        now_us: i64,
    ) -> Result<Ticket, RepoError> {
        let mut tx = self.begin_write().await?;
        let t = self.lock_open_ticket(&mut tx, ticket_id).await?;
        let mut fields: Vec<(&str, String, String)> = Vec::new();
        if let Some(p) = changes.priority.filter(|p| *p != t.priority) {
            fields.push(("priority", t.priority.as_str().into(), p.as_str().into()));
        }
        if let Some(c) = changes.category.filter(|c| *c != t.category) {
            fields.push(("category", t.category.as_str().into(), c.as_str().into()));
        }
        if let Some(g) = changes.group_id.as_ref().filter(|g| **g != t.group_id) {
            fields.push((
                "group_id",
                opt_str(&t.group_id.as_ref().map(|g| g.to_string())),
                opt_str(&g.as_ref().map(|g| g.to_string())),
            ));
        }
        if let Some(a) = changes
            .assignee_id
            .as_ref()
            .filter(|a| **a != t.assignee_id)
        {
            fields.push((
                "assignee_id",
                opt_str(&t.assignee_id.as_ref().map(|a| a.to_string())),
                opt_str(&a.as_ref().map(|a| a.to_string())),
            ));
        }
        if let Some(tags) = changes.tags.as_ref().filter(|tags| **tags != t.tags) {
            fields.push(("tags", json_tags(&t.tags)?, json_tags(tags)?));
        }
        if let Some(s) = changes.subject.as_ref().filter(|s| **s != t.subject) {
            fields.push(("subject", t.subject.clone(), s.clone()));
        }
        for (field, old, new) in &fields {
            // Column names come from the fixed list above, never from input.
            let value: Option<String> = if new.is_empty() && field.ends_with("_id") {
                None
            } else {
                Some(new.clone())
            };
            let sql = format!("UPDATE tickets SET {field} = $1, updated_at_us = $2 WHERE id = $3");
            sqlx::query(AssertSqlSafe(sql))
                .bind(value)
                .bind(now_us)
                .bind(ticket_id.to_owned())
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
            Self::insert_event(&mut tx, ticket_id, actor, field, old, new, now_us).await?;
        }
        if let Some(status) = changes.status.filter(|s| *s != t.status) {
            check_status_change(t.status, status).map_err(invalid)?;
            self.set_ticket_status(&mut tx, &t, status, actor, now_us)
                .await?;
        }
        self.recompute_sla_on(&mut tx, ticket_id, now_us).await?;
        Self::commit_with_ticket(tx, ticket_id).await
    }

    async fn link_record(
        &self,
        ticket_id: &str,
        link: &TicketLink,
        actor: &Actor,
        now_us: i64,
    ) -> Result<Ticket, RepoError> {
        let mut tx = self.begin_write().await?;
        let t = self.lock_open_ticket(&mut tx, ticket_id).await?;
        if !t.links.contains(link) {
            sqlx::query(
                "INSERT INTO ticket_links (ticket_id, kind, record_id, created_at_us) VALUES ($1, $2, $3, $4)",
            )
            .bind(ticket_id.to_owned())
            .bind(link.kind.as_str())
            .bind(link.record_id.clone())
            .bind(now_us)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
            Self::touch(&mut tx, ticket_id, now_us).await?;
            let value = format!("{}:{}", link.kind.as_str(), link.record_id);
            Self::insert_event(&mut tx, ticket_id, actor, "link", "", &value, now_us).await?;
        }
        Self::commit_with_ticket(tx, ticket_id).await
    }

    async fn unlink_record(
        &self,
        ticket_id: &str,
        link: &TicketLink,
        actor: &Actor,
        now_us: i64,
    ) -> Result<Ticket, RepoError> {
        let mut tx = self.begin_write().await?;
        let t = self.lock_open_ticket(&mut tx, ticket_id).await?;
        if t.links.contains(link) {
            sqlx::query(
                "DELETE FROM ticket_links WHERE ticket_id = $1 AND kind = $2 AND record_id = $3",
            )
            .bind(ticket_id.to_owned())
            .bind(link.kind.as_str())
            .bind(link.record_id.clone())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
            let value = format!("{}:{}", link.kind.as_str(), link.record_id);
            Self::insert_event(&mut tx, ticket_id, actor, "link", &value, "", now_us).await?;
        }
        Self::commit_with_ticket(tx, ticket_id).await
    }

    async fn rate_ticket(
        &self,
        ticket_id: &str,
        rating: &Rating,
        now_us: i64,
    ) -> Result<Ticket, RepoError> {
        let mut tx = self.begin_write().await?;
        let t = self.lock_ticket(&mut tx, ticket_id).await?;
        check_rating(t.status).map_err(invalid)?;
        sqlx::query(
            "UPDATE tickets SET rating_score = $1, rating_comment = $2, rated_at_us = $3, updated_at_us = $3 WHERE id = $4",
        )
        .bind(i64::from(rating.score))
        .bind(rating.comment.clone())
        .bind(now_us)
        .bind(ticket_id.to_owned())
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        let actor = match &t.requester {
            Requester::Customer(c) => Actor {
                kind: ActorKind::Customer,
                id: c.to_string(),
                name: t.requester_name.clone(),
            },
            Requester::Contact(c) => Actor {
                kind: ActorKind::Contact,
                id: c.clone(),
                name: t.requester_name.clone(),
            },
        };
        let old = t
            .rating
            .as_ref()
            .map(|r| r.score.to_string())
            .unwrap_or_default();
        Self::insert_event(
            &mut tx,
            ticket_id,
            &actor,
            "rating",
            &old,
            &rating.score.to_string(),
            now_us,
        )
        .await?;
        Self::commit_with_ticket(tx, ticket_id).await
    }

    async fn record_call_event(
        &self,
        event_id: &str,
        call_id: &str,
        from_number: &str,
        event: &CallEvent,
        ticket_for_new_call: &str,
        now_us: i64,
    ) -> Result<CallOutcome, RepoError> {
        let mut tx = self.begin_write().await?;
        let seen = sqlx::query("SELECT event_id FROM call_events WHERE event_id = $1")
            .bind(event_id.to_owned())
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?
            .is_some();
        let sql = format!(
            "SELECT {CALL_COLUMNS} FROM ticket_calls WHERE call_id = $1{}",
            self.for_update()
        );
        let existing = sqlx::query(AssertSqlSafe(sql))
            .bind(call_id.to_owned())
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?;
        let mut call = match &existing {
            Some(row) => call_from_row(&self.keys, row)?,
            None => CallLog {
                id: new_id(),
                ticket_id: ticket_for_new_call.to_owned(),
                call_id: call_id.to_owned(),
                from_number: from_number.to_owned(),
                state: CallState::Ringing,
                ivr_choice: None,
                agent_id: None,
                started_at_us: now_us,
                answered_at_us: None,
                ended_at_us: None,
                recording_url: None,
                summary: String::new(),
            },
        };
        if seen {
            let ticket =
                Self::ticket_on(&mut tx, "id = $1", Bind1::Text(call.ticket_id.clone()), "")
                    .await?;
            tx.commit().await.map_err(db_err)?;
            return Ok(CallOutcome {
                call,
                ticket,
                duplicate: true,
            });
        }
        let before = call.state;
        call.state = call_state_after(call.state, event);
        match event {
            CallEvent::MenuChoice(d) => call.ivr_choice = Some(d.clone()),
            CallEvent::Answered { agent_id } => {
                call.answered_at_us.get_or_insert(now_us);
                if agent_id.is_some() {
                    call.agent_id = agent_id.clone();
                }
            }
            CallEvent::Ended => {
                call.ended_at_us.get_or_insert(now_us);
            }
            CallEvent::Recording(url) => call.recording_url = Some(url.clone()),
            CallEvent::Incoming => {}
        }
        sqlx::query("INSERT INTO call_events (event_id, call_id, at_us) VALUES ($1, $2, $3)")
            .bind(event_id.to_owned())
            .bind(call_id.to_owned())
            .bind(now_us)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        if existing.is_some() {
            sqlx::query(
                "UPDATE ticket_calls SET state = $1, ivr_choice = $2, agent_id = $3, answered_at_us = $4, ended_at_us = $5, recording_url = $6 WHERE id = $7",
            )
            .bind(call.state.as_str())
            .bind(call.ivr_choice.clone())
            .bind(call.agent_id.as_ref().map(|a| a.to_string()))
            .bind(call.answered_at_us)
            .bind(call.ended_at_us)
            .bind(call.recording_url.clone())
            .bind(call.id.clone())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        } else {
            Self::insert_call(&self.keys, &mut tx, &call).await?;
        }
        if call.state != before || existing.is_none() {
            Self::insert_event(
                &mut tx,
                &call.ticket_id,
                &Actor::system(),
                "call",
                if existing.is_none() {
                    ""
                } else {
                    before.as_str()
                },
                call.state.as_str(),
                now_us,
            )
            .await?;
        }
        Self::touch(&mut tx, &call.ticket_id, now_us).await?;
        let ticket =
            Self::ticket_on(&mut tx, "id = $1", Bind1::Text(call.ticket_id.clone()), "").await?;
        tx.commit().await.map_err(db_err)?;
        Ok(CallOutcome {
            call,
            ticket,
            duplicate: false,
        })
    }

    async fn call_ticket(&self, call_id: &str) -> Result<Option<String>, RepoError> {
        let row = sqlx::query("SELECT ticket_id FROM ticket_calls WHERE call_id = $1")
            .bind(call_id.to_owned())
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        row.map(|r| col(&r, "ticket_id")).transpose()
    }

    async fn log_call(
        &self,
        call: &CallLog,
        actor: &Actor,
        now_us: i64,
    ) -> Result<CallLog, RepoError> {
        let mut tx = self.begin_write().await?;
        let t = self.lock_open_ticket(&mut tx, &call.ticket_id).await?;
        let mut call = call.clone();
        call.id = new_id();
        call.call_id = String::new();
        Self::insert_call(&self.keys, &mut tx, &call).await?;
        Self::insert_event(
            &mut tx,
            &t.id,
            actor,
            "call",
            "",
            call.state.as_str(),
            now_us,
        )
        .await?;
        Self::touch(&mut tx, &t.id, now_us).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(call)
    }

    async fn ticket_calls(&self, ticket_id: &str) -> Result<Vec<CallLog>, RepoError> {
        let sql = format!(
            "SELECT {CALL_COLUMNS} FROM ticket_calls WHERE ticket_id = $1 ORDER BY started_at_us, id"
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(ticket_id.to_owned())
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        rows.iter().map(|r| call_from_row(&self.keys, r)).collect()
    }

    async fn claim_outbox(
        &self,
        node: &str,
        now_us: i64,
        lease_us: i64,
        limit: u32,
    ) -> Result<Vec<OutboxItem>, RepoError> {
        // One statement claims: the inner SELECT picks due rows (skipping rows another
        // node has locked on PostgreSQL), the UPDATE stamps them with this node's lease.
        // SQLite runs one writer at a time, so the same statement is atomic there.
        let skip_locked = self.skip_locked();
        let sql = format!(
            "UPDATE outbox SET state = 'sending', lease_owner = $1, lease_until_us = $2, attempts = attempts + 1 \
             WHERE id IN (SELECT id FROM outbox WHERE (state = 'pending' AND next_attempt_at_us <= $3) \
             OR (state = 'sending' AND lease_until_us < $3) ORDER BY next_attempt_at_us, id LIMIT {}{skip_locked}) \
             RETURNING id, channel, message_id, recipient, body, attempts",
            limit.clamp(1, 1000)
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(node.to_owned())
            .bind(now_us.saturating_add(lease_us))
            .bind(now_us)
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        rows.iter()
            .map(|row| {
                let id: String = col(row, "id")?;
                let recipient = self.keys.decrypt(
                    Field::OUTBOX_RECIPIENT,
                    &id,
                    &col::<String>(row, "recipient")?,
                )?;
                Ok(OutboxItem {
                    id,
                    channel: col_parsed(row, "channel", Channel::parse)?,
                    message_id: col(row, "message_id")?,
                    recipient,
                    body: col(row, "body")?,
                    attempts: u32::try_from(col::<i64>(row, "attempts")?)
                        .map_err(|_| corrupt("attempts"))?,
                })
            })
            .collect()
    }

    async fn finish_outbox(
        &self,
        id: &str,
        node: &str,
        outcome: &DeliveryOutcome,
        now_us: i64,
    ) -> Result<(), RepoError> {
        let mut tx = self.begin_write().await?;
        let sql = format!(
            "SELECT message_id, attempts FROM outbox WHERE id = $1 AND state = 'sending' AND lease_owner = $2{}",
            self.for_update()
        );
        let Some(row) = sqlx::query(AssertSqlSafe(sql))
            .bind(id.to_owned())
            .bind(node.to_owned())
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?
        else {
            // The lease ran out and another node took the delivery over: its answer counts.
            return Ok(());
        };
        let message_id: String = col(&row, "message_id")?;
        let attempts = u32::try_from(col::<i64>(&row, "attempts")?).unwrap_or(u32::MAX);
        let (state, delivery, error, next) = match outcome {
            DeliveryOutcome::Sent(_) => ("sent", DeliveryState::Sent, None, now_us),
            DeliveryOutcome::Failed { error, permanent }
                if *permanent || attempts >= MAX_DELIVERY_ATTEMPTS =>
            {
                ("failed", DeliveryState::Failed, Some(error.clone()), now_us)
            }
            DeliveryOutcome::Failed { error, .. } => (
                "pending",
                DeliveryState::Queued,
                Some(error.clone()),
                now_us.saturating_add(retry_delay_secs(attempts) * 1_000_000),
            ),
        };
        let sent_at = matches!(outcome, DeliveryOutcome::Sent(_)).then_some(now_us);
        sqlx::query(
            "UPDATE outbox SET state = $1, last_error = $2, next_attempt_at_us = $3, lease_owner = NULL, lease_until_us = NULL, sent_at_us = $4 WHERE id = $5",
        )
        .bind(state)
        .bind(error.clone())
        .bind(next)
        .bind(sent_at)
        .bind(id.to_owned())
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        let external = match outcome {
            DeliveryOutcome::Sent(ext) => ext.clone(),
            DeliveryOutcome::Failed { .. } => None,
        };
        sqlx::query(
            "UPDATE ticket_messages SET delivery = $1, delivery_error = $2, external_id = COALESCE(external_id, $3) WHERE id = $4",
        )
        .bind(delivery.as_str())
        .bind(error)
        .bind(external)
        .bind(message_id)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        Ok(())
    }

    async fn attachment(&self, id: &str) -> Result<(String, Attachment), RepoError> {
        let row = sqlx::query(
            "SELECT id, ticket_id, file_name, content_type, size_bytes, storage_key FROM ticket_attachments WHERE id = $1",
        )
        .bind(id.to_owned())
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?
        .ok_or(RepoError::NotFound)?;
        Ok((
            col(&row, "ticket_id")?,
            Attachment {
                id: col(&row, "id")?,
                file_name: col(&row, "file_name")?,
                content_type: col(&row, "content_type")?,
                size_bytes: col(&row, "size_bytes")?,
                storage_key: col(&row, "storage_key")?,
            },
        ))
    }

    async fn ticket_by_guest_key(&self, key_hash: &str) -> Result<Ticket, RepoError> {
        let mut conn = self.pool.acquire().await.map_err(db_err)?;
        Self::ticket_on(
            &mut conn,
            "guest_key_hash = $1",
            Bind1::Text(key_hash.to_owned()),
            "",
        )
        .await
    }

    async fn record_deflection(&self, d: &Deflection) -> Result<(), RepoError> {
        sqlx::query(
            "INSERT INTO help_deflections (id, query, article_slug, outcome, locale, at_us) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(new_id())
        .bind(d.query.clone())
        .bind(d.article_slug.clone())
        .bind(d.outcome.clone())
        .bind(d.locale.tag())
        .bind(d.at_us)
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn deflection_counts(&self, since_us: i64) -> Result<(i64, i64), RepoError> {
        let row = sqlx::query(
            "SELECT CAST(COALESCE(SUM(CASE WHEN outcome = 'deflected' THEN 1 ELSE 0 END), 0) AS BIGINT) AS deflected, \
             CAST(COALESCE(SUM(CASE WHEN outcome = 'continued' THEN 1 ELSE 0 END), 0) AS BIGINT) AS continued \
             FROM help_deflections WHERE at_us >= $1",
        )
        .bind(since_us)
        .fetch_one(&self.pool)
        .await
        .map_err(db_err)?;
        Ok((col(&row, "deflected")?, col(&row, "continued")?))
    }
}

impl Store {
    async fn insert_call(
        keys: &KeyRing,
        conn: &mut AnyConnection,
        call: &CallLog,
    ) -> Result<(), RepoError> {
        let call_id = (!call.call_id.is_empty()).then(|| call.call_id.clone());
        sqlx::query(
            "INSERT INTO ticket_calls (id, ticket_id, call_id, from_number, state, ivr_choice, agent_id, started_at_us, answered_at_us, ended_at_us, recording_url, summary) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(call.id.clone())
        .bind(call.ticket_id.clone())
        .bind(call_id)
        .bind(keys.encrypt(Field::CALL_FROM, &call.id, &call.from_number)?)
        .bind(call.state.as_str())
        .bind(call.ivr_choice.clone())
        .bind(call.agent_id.as_ref().map(|a| a.to_string()))
        .bind(call.started_at_us)
        .bind(call.answered_at_us)
        .bind(call.ended_at_us)
        .bind(call.recording_url.clone())
        .bind(call.summary.clone())
        .execute(&mut *conn)
        .await
        .map_err(db_err)?;
        Ok(())
    }
}
