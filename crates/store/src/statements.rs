//! Statements sent to the database together.
//!
//! sqlx runs each SQLite connection on a thread of its own, and every statement is a
//! round trip to that thread: two thread wake-ups, which on the project's two cores cost
//! as much as a small insert itself. In SQLite's single write turn those round trips
//! set the pace of ticket intake (docs/benchmarks.md). sqlx runs a multi-statement query
//! on SQLite with one argument list, `$N` numbering the arguments across the whole text,
//! so statements gathered here go to SQLite as one query: one round trip. PostgreSQL's
//! extended protocol takes one statement per query, so there they run one after another.

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
        if self.parts.is_empty() {
            return Ok(Vec::new());
        }
        let sqlite = conn.backend_name() == "SQLite";
        let groups: Vec<(String, Vec<Value>)> = if sqlite && self.parts.len() > 1 {
            let mut sql = String::new();
            let mut values = Vec::new();
            for (part, vals) in self.parts {
                sql.push_str(&renumber(&part, values.len()));
                sql.push_str(";\n");
                values.extend(vals);
            }
            vec![(sql, values)]
        } else {
            self.parts
        };
        let mut rows = Vec::new();
        for (sql, values) in groups {
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for v in values {
                q = match v {
                    Value::Text(t) => q.bind(t),
                    Value::Int(i) => q.bind(i),
                };
            }
            rows.extend(q.fetch_all(&mut *conn).await.map_err(db_err)?);
        }
        Ok(rows)
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
