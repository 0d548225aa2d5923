//! Statements sent to the database together.
//!
//! sqlx runs each SQLite connection on a thread of its own, and every statement is a
//! round trip to that thread: two thread wake-ups, which on the project's two cores cost
//! as much as a small insert itself. In SQLite's single write turn those round trips
//! set the pace of ticket intake (docs/benchmarks.md). sqlx runs a multi-statement query
//! on SQLite with one argument list, `$N` numbering the arguments across the whole text,
//! so statements gathered here go to SQLite as one query: one round trip. PostgreSQL's
//! extended protocol takes one statement per query; there the statements become one
//! statement with the others as data-modifying `WITH` parts of the first, which
//! PostgreSQL runs on one snapshot and checks (foreign keys, unique keys) at its end.
//!
//! So the statements must be independent writes (inserts, in practice), in an order that
//! satisfies SQLite's immediate foreign-key checks (parents first), and only the first may
//! return rows.

use crate::db_err;
use domain::repo::RepoError;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AssertSqlSafe};

/// A value bound to a statement.
#[derive(Debug, Clone)]
pub(crate) enum Value {
    /// Text or NULL.
    Text(Option<String>),
    /// A 64-bit integer or NULL.
    Int(Option<i64>),
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(Some(v))
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(Some(v.to_owned()))
    }
}

impl From<Option<String>> for Value {
    fn from(v: Option<String>) -> Self {
        Value::Text(v)
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(Some(v))
    }
}

impl From<Option<i64>> for Value {
    fn from(v: Option<i64>) -> Self {
        Value::Int(v)
    }
}

/// Statements gathered to run together, in order.
#[derive(Debug, Default)]
pub(crate) struct Statements {
    parts: Vec<(String, Vec<Value>)>,
}

impl Statements {
    /// No statements yet.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Adds a statement whose values are numbered `$1, $2, …` (its own numbering). The
    /// SQL is a constant of the caller (or built from constant pieces): every value is
    /// bound, none is spliced.
    pub(crate) fn push(&mut self, sql: impl Into<String>, values: Vec<Value>) {
        self.parts.push((sql.into(), values));
    }

    /// Runs the statements on `conn` (inside the caller's transaction) and returns the
    /// rows they return (`RETURNING`), in order.
    pub(crate) async fn run(self, conn: &mut AnyConnection) -> Result<Vec<AnyRow>, RepoError> {
        let sqlite = conn.backend_name() == "SQLite";
        let mut sql = String::new();
        let mut values = Vec::new();
        let mut parts = self.parts.into_iter();
        let Some((first, first_values)) = parts.next() else {
            return Ok(Vec::new());
        };
        if sqlite {
            sql.push_str(&first);
            values.extend(first_values);
            for (part, vals) in parts {
                sql.push_str(";\n");
                sql.push_str(&renumber(&part, values.len()));
                values.extend(vals);
            }
        } else {
            let rest: Vec<_> = parts.collect();
            if !rest.is_empty() {
                sql.push_str("WITH ");
                for (i, (part, vals)) in rest.into_iter().enumerate() {
                    if i > 0 {
                        sql.push_str(", ");
                    }
                    sql.push_str(&format!("w{i} AS ({})", renumber(&part, values.len())));
                    values.extend(vals);
                }
                sql.push(' ');
            }
            sql.push_str(&renumber(&first, values.len()));
            values.extend(first_values);
        }
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for v in values {
            q = match v {
                Value::Text(t) => q.bind(t),
                Value::Int(i) => q.bind(i),
            };
        }
        q.fetch_all(&mut *conn).await.map_err(db_err)
    }
}

/// `sql` with every `$N` moved on by `offset`.
fn renumber(sql: &str, offset: usize) -> String {
    if offset == 0 {
        return sql.to_owned();
    }
    let mut out = String::with_capacity(sql.len() + 16);
    let mut chars = sql.char_indices().peekable();
    while let Some((_, ch)) = chars.next() {
        out.push(ch);
        if ch != '$' {
            continue;
        }
        let mut n = 0usize;
        let mut digits = false;
        while let Some(&(_, d)) = chars.peek() {
            let Some(v) = d.to_digit(10) else { break };
            n = n * 10 + v as usize;
            digits = true;
            chars.next();
        }
        if digits {
            out.push_str(&(n + offset).to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::renumber;

    #[test]
    fn renumbering_moves_every_mark_and_leaves_the_rest() {
        assert_eq!(
            renumber("VALUES ($1, $2, '', $10, $2)", 7),
            "VALUES ($8, $9, '', $17, $9)"
        );
        assert_eq!(renumber("SELECT $1", 0), "SELECT $1");
    }
}
