//! SQLite FTS5 with its `unicode61` tokenizer: the baseline `paydesk bench search` compares
//! the help-center search with, over the same articles and queries.

use anyhow::Context;
use sqlx::sqlite::SqlitePoolOptions;

/// One article as FTS5 indexes it.
#[derive(Debug, Clone)]
pub struct FtsDoc {
    /// Article slug (the answer key).
    pub slug: String,
    /// Language tag.
    pub locale: String,
    /// Title.
    pub title: String,
    /// Keywords joined by spaces.
    pub keywords: String,
    /// Body as plain text.
    pub body: String,
}

/// An in-memory FTS5 table over the documents.
pub struct Fts5Baseline {
    pool: sqlx::SqlitePool,
}

/// Turns free text into an FTS5 query: every word quoted (so no FTS5 syntax from users),
/// any word may match, BM25 ranks.
fn fts_query(text: &str) -> String {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| format!("\"{}\"", w.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(" OR ")
}

impl Fts5Baseline {
    /// Builds the table.
    pub async fn build(docs: &[FtsDoc]) -> anyhow::Result<Self> {
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect("sqlite::memory:")
            .await
            .context("opening in-memory SQLite")?;
        sqlx::query("CREATE VIRTUAL TABLE docs USING fts5(slug UNINDEXED, locale UNINDEXED, title, keywords, body, tokenize = 'unicode61')")
            .execute(&pool)
            .await
            .context("creating the FTS5 table")?;
        let mut tx = pool.begin().await?;
        for d in docs {
            sqlx::query(
                "INSERT INTO docs (slug, locale, title, keywords, body) VALUES (?, ?, ?, ?, ?)",
            )
            .bind(&d.slug)
            .bind(&d.locale)
            .bind(&d.title)
            .bind(&d.keywords)
            .bind(&d.body)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(Self { pool })
    }

    /// Slugs of the best matches in the query's language, best first (title weighted as
    /// paydesk weights it: 2, keywords 2.5, body 1).
    pub async fn search(
        &self,
        query: &str,
        locale: &str,
        limit: u32,
    ) -> anyhow::Result<Vec<String>> {
        let q = fts_query(query);
        if q.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT slug FROM docs WHERE docs MATCH ? AND locale = ? ORDER BY bm25(docs, 0.0, 0.0, 2.0, 2.5, 1.0) LIMIT ?",
        )
        .bind(q)
        .bind(locale)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        let mut out: Vec<String> = Vec::new();
        for (slug,) in rows {
            if !out.contains(&slug) {
                out.push(slug);
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_text_never_becomes_fts_syntax() {
        assert_eq!(
            fts_query("refund NOT \"x\" OR*"),
            "\"refund\" OR \"NOT\" OR \"x\" OR \"OR\""
        );
        assert_eq!(fts_query("  ?? "), "");
    }
}
