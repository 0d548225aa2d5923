//! Privacy on both backends: converting plain personal data to ciphertexts (databases
//! from before migration 0014), key rotation, the audit log browser and erasure.

// Dynamic SQL here is assembled only from constant fragments (the table and column
// names of [`ENCRYPTED`], fixed clauses); every value is bound, so `AssertSqlSafe` holds.
use crate::crypto::{Field, KeyRing, PREFIX, is_encrypted};
use crate::identity::{email_index, phone_index};
use crate::tickets::contact_index;
use crate::{Filters, Store, col, db_err};
use async_trait::async_trait;
use domain::privacy::{AuditQuery, ErasureBlocked, ErasureReport, PrivacyRepo};
use domain::protection::AuditEntry;
use domain::repo::RepoError;
use domain::ticket::Channel;
use domain::{CustomerId, Email, Phone};
use sqlx::AssertSqlSafe;

/// Every encrypted column and the SQL expression of the row id its ciphertexts are
/// bound to.
const ENCRYPTED: &[(Field, &str)] = &[
    (Field::CUSTOMER_EMAIL, "id"),
    (Field::CUSTOMER_PHONE, "id"),
    (Field::CONTACT_EXTERNAL, "id"),
    (Field::CONTACT_EMAIL, "id"),
    (Field::CONTACT_PHONE, "id"),
    (Field::TOTP_SECRET, "user_kind || ':' || user_id"),
    (Field::CALL_FROM, "id"),
    (Field::CALLBACK_PHONE, "id"),
    (Field::NOTICE_RECIPIENT, "id"),
    (Field::OUTBOX_RECIPIENT, "id"),
    (Field::VERIFICATION_ITEMS, "id"),
];

const BATCH: i64 = 500;

/// `LIKE` pattern of values encrypted with any key but `key_id`.
fn other_key_pattern(key_id: &str) -> String {
    let mut p = String::from(PREFIX);
    for c in key_id.chars() {
        if c == '_' || c == '%' || c == '\\' {
            p.push('\\');
        }
        p.push(c);
    }
    p.push_str(":%");
    p
}

fn unexpected(msg: String) -> RepoError {
    RepoError::Unexpected(anyhow::anyhow!(msg))
}

impl Store {
    /// SQLite: moves the write-ahead log into the database file and empties it, so that
    /// old versions of rewritten pages (plain values just encrypted, an erased customer's
    /// rows) do not linger in the `-wal` file; with `secure_delete` the freed space in
    /// the database file is zeroed. Best effort: a busy reader only delays it. PostgreSQL
    /// keeps old row versions until VACUUM (see the README).
    pub(crate) async fn purge_old_page_versions(&self) {
        if self.backend == crate::Backend::Sqlite
            && let Err(e) = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(&self.pool)
                .await
        {
            tracing::warn!(error = %e, "WAL checkpoint after a privacy change failed");
        }
    }

    /// Encrypts personal data still stored in plain text and fills the blind indexes:
    /// the conversion step of migration 0014, run by [`Store::open`]. Idempotent; the
    /// number of values converted. `progress(done, total)` is called along the way.
    pub async fn encrypt_plaintext(&self, progress: &dyn Fn(u64, u64)) -> Result<u64, RepoError> {
        let keys = self.keys.clone();
        let total = self.count_plaintext().await?;
        if total == 0 {
            return Ok(0);
        }
        let mut done = 0u64;
        // Customers: email and phone with their indexes.
        loop {
            let rows = sqlx::query(
                "SELECT id, email, phone FROM customers WHERE \
                 (email IS NOT NULL AND (email_bidx IS NULL OR email NOT LIKE 'pdenc1:%')) OR \
                 (phone IS NOT NULL AND (phone_bidx IS NULL OR phone NOT LIKE 'pdenc1:%')) LIMIT $1",
            )
            .bind(BATCH)
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
            if rows.is_empty() {
                break;
            }
            let mut tx = self.begin_write().await?;
            for row in &rows {
                let id: String = col(row, "id")?;
                let plain =
                    |field: Field, v: Option<String>| -> Result<Option<String>, RepoError> {
                        Ok(match v {
                            Some(v) if is_encrypted(&v) => Some(keys.decrypt(field, &id, &v)?),
                            other => other,
                        })
                    };
                let email = plain(Field::CUSTOMER_EMAIL, col(row, "email")?)?
                    .map(|e| {
                        Email::parse(&e).map_err(|_| {
                            unexpected(format!("customer {id}: stored email is not valid"))
                        })
                    })
                    .transpose()?;
                let phone = plain(Field::CUSTOMER_PHONE, col(row, "phone")?)?
                    .map(|p| {
                        Phone::parse(&p).map_err(|_| {
                            unexpected(format!("customer {id}: stored phone is not valid"))
                        })
                    })
                    .transpose()?;
                sqlx::query(
                    "UPDATE customers SET email = $1, phone = $2, email_bidx = $3, phone_bidx = $4 WHERE id = $5",
                )
                .bind(keys.encrypt_opt(Field::CUSTOMER_EMAIL, &id, email.as_ref().map(Email::as_str))?)
                .bind(keys.encrypt_opt(Field::CUSTOMER_PHONE, &id, phone.as_ref().map(Phone::as_str))?)
                .bind(email.as_ref().map(|e| email_index(&keys, e)))
                .bind(phone.as_ref().map(|p| phone_index(&keys, p)))
                .bind(id.clone())
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
                done += 1;
            }
            tx.commit().await.map_err(db_err)?;
            progress(done, total);
        }
        // Contacts: the channel identity moves to external_ref, its index takes its place.
        loop {
            let rows = sqlx::query(
                "SELECT id, channel, external_id, email, phone FROM contacts WHERE external_ref IS NULL \
                 AND external_id NOT LIKE 'bidx:%' AND external_id NOT LIKE 'erased:%' LIMIT $1",
            )
            .bind(BATCH)
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
            if rows.is_empty() {
                break;
            }
            let mut tx = self.begin_write().await?;
            for row in &rows {
                let id: String = col(row, "id")?;
                let channel_name: String = col(row, "channel")?;
                let channel = Channel::parse(&channel_name)
                    .ok_or_else(|| unexpected(format!("contact {id}: unknown channel")))?;
                let external: String = col(row, "external_id")?;
                let keep = |field: Field, v: Option<String>| -> Result<Option<String>, RepoError> {
                    Ok(match v {
                        Some(v) if is_encrypted(&v) => Some(v),
                        Some(v) => Some(keys.encrypt(field, &id, &v)?),
                        None => None,
                    })
                };
                sqlx::query(
                    "UPDATE contacts SET external_id = $1, external_ref = $2, email = $3, phone = $4 WHERE id = $5",
                )
                .bind(contact_index(&keys, channel, &external))
                .bind(keys.encrypt(Field::CONTACT_EXTERNAL, &id, &external)?)
                .bind(keep(Field::CONTACT_EMAIL, col(row, "email")?)?)
                .bind(keep(Field::CONTACT_PHONE, col(row, "phone")?)?)
                .bind(id.clone())
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
                done += 1;
            }
            tx.commit().await.map_err(db_err)?;
            progress(done, total);
        }
        // Columns encrypted in place.
        for (field, row_id) in ENCRYPTED {
            if matches!(field.table, "customers" | "contacts") {
                continue;
            }
            loop {
                let sql = format!(
                    "SELECT {row_id} AS rid, {c} AS v FROM {t} WHERE {c} NOT LIKE 'pdenc1:%' LIMIT $1",
                    c = field.column,
                    t = field.table
                );
                let rows = sqlx::query(AssertSqlSafe(sql))
                    .bind(BATCH)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(db_err)?;
                if rows.is_empty() {
                    break;
                }
                let mut tx = self.begin_write().await?;
                for row in &rows {
                    let rid: String = col(row, "rid")?;
                    let v: String = col(row, "v")?;
                    self.replace_value(
                        &mut tx,
                        *field,
                        row_id,
                        &rid,
                        &v,
                        &keys.encrypt(*field, &rid, &v)?,
                    )
                    .await?;
                    done += 1;
                }
                tx.commit().await.map_err(db_err)?;
                progress(done, total);
            }
        }
        self.purge_old_page_versions().await;
        Ok(done)
    }

    async fn count_plaintext(&self) -> Result<u64, RepoError> {
        let mut total = 0i64;
        for sql in [
            "SELECT COUNT(*) AS n FROM customers WHERE \
             (email IS NOT NULL AND (email_bidx IS NULL OR email NOT LIKE 'pdenc1:%')) OR \
             (phone IS NOT NULL AND (phone_bidx IS NULL OR phone NOT LIKE 'pdenc1:%'))",
            "SELECT COUNT(*) AS n FROM contacts WHERE external_ref IS NULL \
             AND external_id NOT LIKE 'bidx:%' AND external_id NOT LIKE 'erased:%'",
        ] {
            let row = sqlx::query(sql)
                .fetch_one(&self.pool)
                .await
                .map_err(db_err)?;
            total += col::<i64>(&row, "n")?;
        }
        for (field, _) in ENCRYPTED {
            if matches!(field.table, "customers" | "contacts") {
                continue;
            }
            let sql = format!(
                "SELECT COUNT(*) AS n FROM {t} WHERE {c} NOT LIKE 'pdenc1:%'",
                c = field.column,
                t = field.table
            );
            let row = sqlx::query(AssertSqlSafe(sql))
                .fetch_one(&self.pool)
                .await
                .map_err(db_err)?;
            total += col::<i64>(&row, "n")?;
        }
        Ok(u64::try_from(total).unwrap_or(0))
    }

    /// Sets one encrypted value if it still holds `old` (another node may have rotated it).
    async fn replace_value(
        &self,
        tx: &mut crate::write::WriteTx,
        field: Field,
        row_id: &str,
        rid: &str,
        old: &str,
        new: &str,
    ) -> Result<(), RepoError> {
        let sql = format!(
            "UPDATE {t} SET {c} = $1 WHERE {row_id} = $2 AND {c} = $3",
            c = field.column,
            t = field.table
        );
        sqlx::query(AssertSqlSafe(sql))
            .bind(new.to_owned())
            .bind(rid.to_owned())
            .bind(old.to_owned())
            .execute(&mut **tx)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    /// Values encrypted under a key other than the active one (what rotation has left).
    pub async fn count_under_old_keys(&self) -> Result<u64, RepoError> {
        let pattern = other_key_pattern(self.keys.active_key_id());
        let mut total = 0i64;
        for (field, _) in ENCRYPTED {
            let sql = format!(
                "SELECT COUNT(*) AS n FROM {t} WHERE {c} LIKE 'pdenc1:%' AND {c} NOT LIKE $1 ESCAPE '\\'",
                c = field.column,
                t = field.table
            );
            let row = sqlx::query(AssertSqlSafe(sql))
                .bind(pattern.clone())
                .fetch_one(&self.pool)
                .await
                .map_err(db_err)?;
            total += col::<i64>(&row, "n")?;
        }
        Ok(u64::try_from(total).unwrap_or(0))
    }

    /// Re-encrypts every value under the active key (`paydesk keys rotate`). Values under
    /// an older key are read with it (it must still be configured) and written back under
    /// the active one, batch by batch; nodes keep serving meanwhile, since every
    /// configured key reads. The number of values re-encrypted.
    pub async fn rotate_keys(&self, progress: &dyn Fn(u64, u64)) -> Result<u64, RepoError> {
        let keys: KeyRing = (*self.keys).clone();
        let total = self.count_under_old_keys().await?;
        let pattern = other_key_pattern(keys.active_key_id());
        let mut done = 0u64;
        progress(0, total);
        for (field, row_id) in ENCRYPTED {
            loop {
                let sql = format!(
                    "SELECT {row_id} AS rid, {c} AS v FROM {t} WHERE {c} LIKE 'pdenc1:%' AND {c} NOT LIKE $1 ESCAPE '\\' LIMIT $2",
                    c = field.column,
                    t = field.table
                );
                let rows = sqlx::query(AssertSqlSafe(sql))
                    .bind(pattern.clone())
                    .bind(BATCH)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(db_err)?;
                if rows.is_empty() {
                    break;
                }
                let mut tx = self.begin_write().await?;
                for row in &rows {
                    let rid: String = col(row, "rid")?;
                    let v: String = col(row, "v")?;
                    let plain = keys.decrypt(*field, &rid, &v).map_err(|e| {
                        unexpected(format!(
                            "{}.{} of row {rid}: {e}",
                            field.table, field.column
                        ))
                    })?;
                    let fresh = keys.encrypt(*field, &rid, &plain)?;
                    self.replace_value(&mut tx, *field, row_id, &rid, &v, &fresh)
                        .await?;
                    done += 1;
                }
                tx.commit().await.map_err(db_err)?;
                progress(done, total);
            }
        }
        Ok(done)
    }

    /// PostgreSQL: every row of every table as text (`CAST(row AS TEXT)`), the stand-in
    /// for scanning the database file that tests do on SQLite. Never used by paydesk.
    #[doc(hidden)]
    pub async fn all_rows_as_text(&self) -> Result<Vec<String>, RepoError> {
        if self.backend != crate::Backend::Postgres {
            return Ok(Vec::new());
        }
        let tables = sqlx::query(
            "SELECT CAST(table_name AS TEXT) AS t FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        let mut out = Vec::new();
        for t in &tables {
            let name: String = col(t, "t")?;
            // Table names come from the catalogue, quoted as identifiers.
            let sql = format!(
                "SELECT CAST(x AS TEXT) AS r FROM \"{}\" x",
                name.replace('"', "\"\"")
            );
            for row in sqlx::query(AssertSqlSafe(sql))
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?
            {
                out.push(col::<String>(&row, "r")?);
            }
        }
        Ok(out)
    }

    /// The stored (encrypted) phone of a customer, as the database holds it: for tests
    /// that tamper with ciphertexts. Never used by paydesk.
    #[doc(hidden)]
    pub async fn stored_customer_phone(
        &self,
        id: &CustomerId,
    ) -> Result<Option<String>, RepoError> {
        let row = sqlx::query("SELECT phone FROM customers WHERE id = $1")
            .bind(id.as_str())
            .fetch_one(&self.pool)
            .await
            .map_err(db_err)?;
        col(&row, "phone")
    }

    /// Overwrites a customer's stored phone, as someone with write access to the database
    /// could: for tests that show tampering is detected. Never used by paydesk.
    #[doc(hidden)]
    pub async fn tamper_with_customer_phone(
        &self,
        id: &CustomerId,
        stored: &str,
    ) -> Result<(), RepoError> {
        sqlx::query("UPDATE customers SET phone = $1 WHERE id = $2")
            .bind(stored)
            .bind(id.as_str())
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(())
    }
}

#[async_trait]
impl PrivacyRepo for Store {
    async fn audit_search(
        &self,
        query: &AuditQuery,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, RepoError> {
        let mut f = Filters::default();
        if let Some(actor) = query.actor.as_deref().filter(|a| !a.is_empty()) {
            let n = f.bind(actor);
            f.clause(format!("actor = ${n}"));
        }
        if let Some(action) = query.action.as_deref().filter(|a| !a.is_empty()) {
            // A prefix: `2fa.` matches every 2FA action. LIKE's wildcards are escaped.
            let mut p = String::new();
            for c in action.chars() {
                if matches!(c, '%' | '_' | '\\') {
                    p.push('\\');
                }
                p.push(c);
            }
            p.push('%');
            let n = f.bind(p);
            f.clause(format!("action LIKE ${n} ESCAPE '\\'"));
        }
        if let Some(subject) = query.subject.as_deref().filter(|a| !a.is_empty()) {
            let n = f.bind(subject);
            f.clause(format!("customer_id = ${n}"));
        }
        if let Some(from) = query.from_us {
            let n = f.bind(from);
            f.clause(format!("at_us >= ${n}"));
        }
        if let Some(to) = query.to_us {
            let n = f.bind(to);
            f.clause(format!("at_us < ${n}"));
        }
        if let Some(before) = query.before_seq {
            let n = f.bind(before);
            f.clause(format!("seq < ${n}"));
        }
        let sql = format!(
            "SELECT seq, at_us, actor, action, customer_id, outcome, detail, prev_hash, hash \
             FROM audit_log {} ORDER BY seq DESC LIMIT {}",
            f.where_sql(),
            limit.clamp(1, 500)
        );
        let rows = f.fetch_all(&self.pool, sql).await?;
        rows.iter().map(crate::protection::audit_from_row).collect()
    }

    async fn erase_customer(
        &self,
        customer: &CustomerId,
        now_us: i64,
    ) -> Result<Result<ErasureReport, ErasureBlocked>, RepoError> {
        let keys = self.keys.clone();
        let id = customer.as_str();
        let mut tx = self.begin_write().await?;
        let sql = format!(
            "SELECT erased_at_us FROM customers WHERE id = $1{}",
            self.for_update()
        );
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?
            .ok_or(RepoError::NotFound)?;
        if col::<Option<i64>>(&row, "erased_at_us")?.is_some() {
            return Ok(Err(ErasureBlocked::AlreadyErased));
        }
        // Money still in the wallet (or held) is the customer's: it is paid out first.
        let open = sqlx::query(
            "SELECT COUNT(*) AS n FROM ledger_accounts WHERE owner_id = $1 AND \
             (credits_posted <> debits_posted OR debits_pending <> 0 OR credits_pending <> 0)",
        )
        .bind(id)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        if col::<i64>(&open, "n")? > 0 {
            return Ok(Err(ErasureBlocked::OpenBalance));
        }
        let pseudonym = domain::privacy::pseudonym(customer);
        let placeholder = domain::privacy::erased_email(customer)
            .ok_or_else(|| unexpected("erased placeholder email is not valid".into()))?;
        // The schema wants an email or a phone: the account keeps a placeholder address
        // under `.invalid` that reaches nobody; the password can never match again.
        sqlx::query(
            "UPDATE customers SET email = $1, email_bidx = $2, phone = NULL, phone_bidx = NULL, \
             display_name = $3, name_key = $4, status = 'closed', password_hash = '!erased', \
             erased_at_us = $5 WHERE id = $6",
        )
        .bind(keys.encrypt(Field::CUSTOMER_EMAIL, id, placeholder.as_str())?)
        .bind(email_index(&keys, &placeholder))
        .bind(pseudonym.clone())
        .bind(pseudonym.to_lowercase())
        .bind(now_us)
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        let mut report = ErasureReport {
            pseudonym: pseudonym.clone(),
            ..ErasureReport::default()
        };
        let user_kind = "customer";
        report.sessions_ended =
            sqlx::query("DELETE FROM sessions WHERE user_kind = $1 AND user_id = $2")
                .bind(user_kind)
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?
                .rows_affected();
        for sql in [
            "DELETE FROM sign_in_challenges WHERE user_kind = $1 AND user_id = $2",
            "DELETE FROM recovery_codes WHERE user_kind = $1 AND user_id = $2",
            "DELETE FROM totp_credentials WHERE user_kind = $1 AND user_id = $2",
            "DELETE FROM sign_in_history WHERE user_kind = $1 AND user_id = $2",
            "DELETE FROM notifications WHERE user_kind = $1 AND user_id = $2",
        ] {
            sqlx::query(sql)
                .bind(user_kind)
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
        }
        sqlx::query("DELETE FROM login_throttle WHERE throttle_key = $1")
            .bind(format!("customer:{id}"))
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        // Stored answers for retried requests repeat what they answered (names, tickets).
        sqlx::query("DELETE FROM idempotency_keys WHERE owner = $1")
            .bind(format!("customer:{id}"))
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        sqlx::query("DELETE FROM password_resets WHERE customer_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        report.notes_deleted = sqlx::query("DELETE FROM transaction_notes WHERE customer_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?
            .rows_affected();
        // Channel contacts lose their identity (and its index, so the same number calling
        // again is a new contact) and their details.
        report.contacts = sqlx::query(
            "UPDATE contacts SET external_id = 'erased:' || id, external_ref = NULL, email = NULL, \
             phone = NULL, display_name = $1 WHERE customer_id = $2",
        )
        .bind(pseudonym.clone())
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?
        .rows_affected();
        // Tickets stay readable for staff; the requester is the pseudonym.
        let ticket_scope =
            "(customer_id = $2 OR contact_id IN (SELECT id FROM contacts WHERE customer_id = $2))";
        // The same scope for statements whose only value is the customer id.
        let scope1 =
            "(customer_id = $1 OR contact_id IN (SELECT id FROM contacts WHERE customer_id = $1))";
        report.tickets = sqlx::query(AssertSqlSafe(format!(
            "UPDATE tickets SET requester_name = $1 WHERE {ticket_scope}"
        )))
        .bind(pseudonym.clone())
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?
        .rows_affected();
        sqlx::query(AssertSqlSafe(format!(
            "UPDATE ticket_messages SET author_name = $1 WHERE author_kind IN ('customer', 'contact') \
             AND ticket_id IN (SELECT id FROM tickets WHERE {ticket_scope})"
        )))
        .bind(pseudonym.clone())
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        sqlx::query(AssertSqlSafe(format!(
            "UPDATE ticket_events SET actor_name = $1 WHERE actor_kind IN ('customer', 'contact') \
             AND ticket_id IN (SELECT id FROM tickets WHERE {ticket_scope})"
        )))
        .bind(pseudonym.clone())
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        // Every changed ticket goes through the SLA recompute, as every ticket change does
        // (the requester's name does not move a clock, but the rule holds for all).
        let changed = sqlx::query(AssertSqlSafe(format!(
            "SELECT id FROM tickets WHERE {scope1}"
        )))
        .bind(id)
        .fetch_all(&mut *tx)
        .await
        .map_err(db_err)?;
        for row in &changed {
            let ticket: String = col(row, "id")?;
            self.recompute_sla_on(&mut tx, &ticket, now_us).await?;
        }
        // Caller numbers of their calls and call-backs, and replies still waiting to go
        // to a platform (which would need the identity just erased).
        let erased_calls = sqlx::query(AssertSqlSafe(format!(
            "SELECT id FROM ticket_calls WHERE ticket_id IN (SELECT id FROM tickets WHERE {scope1})"
        )))
        .bind(id)
        .fetch_all(&mut *tx)
        .await
        .map_err(db_err)?;
        for row in &erased_calls {
            let call: String = col(row, "id")?;
            sqlx::query("UPDATE ticket_calls SET from_number = $1 WHERE id = $2")
                .bind(keys.encrypt(Field::CALL_FROM, &call, "")?)
                .bind(call.clone())
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
        }
        let callbacks = sqlx::query(AssertSqlSafe(format!(
            "SELECT id FROM callbacks WHERE ticket_id IN (SELECT id FROM tickets WHERE {scope1})"
        )))
        .bind(id)
        .fetch_all(&mut *tx)
        .await
        .map_err(db_err)?;
        for row in &callbacks {
            let cb: String = col(row, "id")?;
            sqlx::query(
                "UPDATE callbacks SET phone = $1, state = CASE WHEN state IN ('waiting', 'claimed') THEN 'abandoned' ELSE state END WHERE id = $2",
            )
            .bind(keys.encrypt(Field::CALLBACK_PHONE, &cb, "")?)
            .bind(cb.clone())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        }
        let pending = sqlx::query(AssertSqlSafe(format!(
            "SELECT o.id FROM outbox o JOIN ticket_messages m ON m.id = o.message_id \
             WHERE m.ticket_id IN (SELECT id FROM tickets WHERE {scope1})"
        )))
        .bind(id)
        .fetch_all(&mut *tx)
        .await
        .map_err(db_err)?;
        for row in &pending {
            let ob: String = col(row, "id")?;
            sqlx::query(
                "UPDATE outbox SET recipient = $1, state = CASE WHEN state IN ('pending', 'sending') THEN 'failed' ELSE state END, \
                 last_error = CASE WHEN state IN ('pending', 'sending') THEN 'recipient erased' ELSE last_error END WHERE id = $2",
            )
            .bind(keys.encrypt(Field::OUTBOX_RECIPIENT, &ob, "")?)
            .bind(ob.clone())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        }
        tx.commit().await.map_err(db_err)?;
        self.purge_old_page_versions().await;
        Ok(Ok(report))
    }
}
