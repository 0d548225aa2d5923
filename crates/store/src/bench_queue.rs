//! Data generation for the agents'-queue benchmark (`paydesk bench tickets --queue`): a
//! desk's worth of tickets written straight into the table, with the due times the SLA
//! engine would have stored, so the queue is timed on the shape it has in production.

use crate::{Store, db_err};
use domain::repo::RepoError;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use sqlx::AssertSqlSafe;

/// Rows per INSERT statement (14 values each: far below SQLite's 32,766 variables).
const ROWS_PER_STATEMENT: usize = 500;
/// Statements per transaction.
const STATEMENTS_PER_TX: usize = 10;

/// Who the generated tickets belong to.
#[derive(Debug, Clone)]
pub struct QueueFill {
    /// The contact every ticket is requested by (a real row: the column is a foreign key).
    pub contact_id: String,
    /// Groups tickets are spread over.
    pub groups: Vec<String>,
    /// Agents the assigned ones are spread over.
    pub agents: Vec<String>,
    /// First ticket number (kept clear of the desk's own counter).
    pub first_number: i64,
}

impl Store {
    /// Writes `total` tickets opened over the last year: about one in ten still active
    /// (new, open, pending or on hold), the rest solved or closed; priorities, groups and
    /// assignees spread as on a real desk; running targets due from two hours ago to three
    /// days ahead, paused and finished ones with none. Calls `progress` with the rows
    /// written so far.
    pub async fn bench_fill_tickets(
        &self,
        total: u64,
        fill: &QueueFill,
        now_us: i64,
        progress: impl Fn(u64),
    ) -> Result<(), RepoError> {
        let mut rng = StdRng::seed_from_u64(6);
        let hour = 3_600_000_000i64;
        let year = 365 * 24 * hour;
        let mut written = 0u64;
        while written < total {
            let mut tx = self.begin_write().await?;
            for _ in 0..STATEMENTS_PER_TX {
                let rows = ROWS_PER_STATEMENT.min((total - written) as usize);
                if rows == 0 {
                    break;
                }
                let mut values = Vec::with_capacity(rows);
                let mut n = 0;
                let mut next = || {
                    n += 1;
                    self.ph(n)
                };
                for _ in 0..rows {
                    let cells: Vec<String> = (0..14).map(|_| next()).collect();
                    values.push(format!(
                        "({}, 'Bench requester', 'web', 'Bench ticket', '[]', 'en')",
                        cells.join(", ")
                    ));
                }
                let sql = format!(
                    "INSERT INTO tickets (id, number, contact_id, category, status, priority, group_id, assignee_id, created_at_us, updated_at_us, solved_at_us, first_response_due_us, resolution_due_us, next_due_us, requester_name, channel, subject, tags, locale) VALUES {}",
                    values.join(", ")
                );
                let mut q = sqlx::query(AssertSqlSafe(sql));
                for i in 0..rows as u64 {
                    let roll: u32 = rng.random_range(0..100);
                    let status = match roll {
                        0..4 => "new",
                        4..7 => "open",
                        7..9 => "pending_customer",
                        9..10 => "on_hold",
                        10..70 => "solved",
                        _ => "closed",
                    };
                    let priority = match rng.random_range(0..100u32) {
                        0..5 => "urgent",
                        5..20 => "high",
                        20..80 => "normal",
                        _ => "low",
                    };
                    let active = roll < 10;
                    let running = roll < 7;
                    let created = now_us - rng.random_range(0..year);
                    let updated = (created + rng.random_range(0..30 * 24 * hour)).min(now_us);
                    let due = running.then(|| now_us + rng.random_range(-2 * hour..72 * hour));
                    let group = fill.groups[rng.random_range(0..fill.groups.len())].clone();
                    // Half of the active tickets wait unassigned in their group's queue.
                    let assignee = (!active || rng.random_bool(0.5))
                        .then(|| fill.agents[rng.random_range(0..fill.agents.len())].clone());
                    let category = ["failed_transaction", "refund", "account_sign_in", "other"]
                        [rng.random_range(0..4)];
                    q = q
                        .bind(uuid::Uuid::now_v7().to_string())
                        .bind(fill.first_number + (written + i) as i64)
                        .bind(fill.contact_id.clone())
                        .bind(category)
                        .bind(status)
                        .bind(priority)
                        .bind(group)
                        .bind(assignee)
                        .bind(created)
                        .bind(updated)
                        .bind((!active).then_some(updated))
                        .bind(due.filter(|_| status == "new"))
                        .bind(due)
                        .bind(due);
                }
                q.execute(&mut *tx).await.map_err(db_err)?;
                written += rows as u64;
            }
            tx.commit().await.map_err(db_err)?;
            progress(written);
        }
        Ok(())
    }
}
