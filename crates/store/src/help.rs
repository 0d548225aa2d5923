//! Help-center articles, votes and the synonyms table.

use crate::{Store, col, db_err};
use async_trait::async_trait;
use domain::Locale;
use domain::help::{HelpVote, SaveOutcome, StoredArticle, VoteTally};
use domain::repo::{HelpRepo, RepoError};
use sqlx::any::AnyRow;

const ARTICLE_COLUMNS: &str =
    "slug, locale, title, category, visibility, status, related, keywords, body, updated_at_us";

fn corrupt(what: &str) -> RepoError {
    RepoError::Unexpected(anyhow::anyhow!("stored help article {what} is not valid"))
}

fn article_from_row(row: &AnyRow) -> Result<StoredArticle, RepoError> {
    let locale: String = col(row, "locale")?;
    let related: String = col(row, "related")?;
    let keywords: String = col(row, "keywords")?;
    Ok(StoredArticle {
        slug: col(row, "slug")?,
        locale: Locale::parse(&locale).ok_or_else(|| corrupt("locale"))?,
        title: col(row, "title")?,
        category: col(row, "category")?,
        visibility: col(row, "visibility")?,
        status: col(row, "status")?,
        related: serde_json::from_str(&related).map_err(|_| corrupt("related"))?,
        keywords: serde_json::from_str(&keywords).map_err(|_| corrupt("keywords"))?,
        body: col(row, "body")?,
        updated_at_us: col(row, "updated_at_us")?,
    })
}

fn json_list(items: &[String]) -> Result<String, RepoError> {
    serde_json::to_string(items).map_err(|e| RepoError::Unexpected(e.into()))
}

#[async_trait]
impl HelpRepo for Store {
    async fn help_articles(&self) -> Result<Vec<StoredArticle>, RepoError> {
        let sql = format!("SELECT {ARTICLE_COLUMNS} FROM help_articles ORDER BY slug, locale");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        rows.iter().map(article_from_row).collect()
    }

    async fn help_article(
        &self,
        slug: &str,
        locale: Locale,
    ) -> Result<Option<StoredArticle>, RepoError> {
        let sql =
            format!("SELECT {ARTICLE_COLUMNS} FROM help_articles WHERE slug = $1 AND locale = $2");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(slug)
            .bind(locale.tag())
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        row.as_ref().map(article_from_row).transpose()
    }

    async fn count_help_articles(&self) -> Result<i64, RepoError> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM help_articles")
            .fetch_one(&self.pool)
            .await
            .map_err(db_err)?;
        col(&row, "n")
    }

    async fn help_fingerprint(&self) -> Result<String, RepoError> {
        // Count, newest edit and total body length: an import that rewrites bodies with old
        // dates still changes the length sum.
        let row = sqlx::query(
            "SELECT COUNT(*) AS n, CAST(COALESCE(MAX(updated_at_us), 0) AS BIGINT) AS newest, \
             CAST(COALESCE(SUM(LENGTH(body)), 0) AS BIGINT) AS size, \
             CAST((SELECT COALESCE(MAX(updated_at_us), 0) FROM help_synonyms) AS BIGINT) AS synonyms FROM help_articles",
        )
        .fetch_one(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(format!(
            "{}:{}:{}:{}",
            col::<i64>(&row, "n")?,
            col::<i64>(&row, "newest")?,
            col::<i64>(&row, "size")?,
            col::<i64>(&row, "synonyms")?
        ))
    }

    async fn save_help_article(&self, a: &StoredArticle) -> Result<SaveOutcome, RepoError> {
        // Read, compare, write: imports report what changed, and an unchanged article is
        // not rewritten. Two admins saving the same translation at once both succeed; the
        // last write wins, as with any edit form.
        let existing = self.help_article(&a.slug, a.locale).await?;
        if existing.as_ref() == Some(a) {
            return Ok(SaveOutcome::Unchanged);
        }
        let related = json_list(&a.related)?;
        let keywords = json_list(&a.keywords)?;
        let sql = if existing.is_some() {
            "UPDATE help_articles SET title = $3, category = $4, visibility = $5, status = $6, \
             related = $7, keywords = $8, body = $9, updated_at_us = $10 WHERE slug = $1 AND locale = $2"
        } else {
            "INSERT INTO help_articles (slug, locale, title, category, visibility, status, related, \
             keywords, body, updated_at_us) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        };
        sqlx::query(sql)
            .bind(a.slug.as_str())
            .bind(a.locale.tag())
            .bind(a.title.as_str())
            .bind(a.category.as_str())
            .bind(a.visibility.as_str())
            .bind(a.status.as_str())
            .bind(related)
            .bind(keywords)
            .bind(a.body.as_str())
            .bind(a.updated_at_us)
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(if existing.is_some() {
            SaveOutcome::Updated
        } else {
            SaveOutcome::Created
        })
    }

    async fn add_help_vote(&self, vote: &HelpVote) -> Result<(), RepoError> {
        sqlx::query(
            "INSERT INTO help_votes (id, slug, locale, helpful, comment, created_at_us) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(uuid::Uuid::now_v7().to_string())
        .bind(vote.slug.as_str())
        .bind(vote.locale.tag())
        .bind(i64::from(vote.helpful))
        .bind(vote.comment.clone())
        .bind(vote.created_at_us)
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn help_vote_tallies(&self) -> Result<Vec<VoteTally>, RepoError> {
        let rows = sqlx::query(
            // PostgreSQL sums BIGINT as NUMERIC; the casts keep both backends on BIGINT.
            "SELECT slug, CAST(SUM(helpful) AS BIGINT) AS helpful, \
             CAST(COUNT(*) - SUM(helpful) AS BIGINT) AS not_helpful \
             FROM help_votes GROUP BY slug ORDER BY CAST(SUM(helpful) AS BIGINT) DESC, slug",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter()
            .map(|row| {
                Ok(VoteTally {
                    slug: col(row, "slug")?,
                    helpful: col(row, "helpful")?,
                    not_helpful: col(row, "not_helpful")?,
                })
            })
            .collect()
    }

    async fn help_synonyms(&self) -> Result<Option<String>, RepoError> {
        let row = sqlx::query("SELECT body FROM help_synonyms WHERE id = 1")
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        row.as_ref().map(|r| col(r, "body")).transpose()
    }

    async fn set_help_synonyms(&self, toml: &str, now_us: i64) -> Result<(), RepoError> {
        sqlx::query(
            "INSERT INTO help_synonyms (id, body, updated_at_us) VALUES (1, $1, $2) \
             ON CONFLICT (id) DO UPDATE SET body = excluded.body, updated_at_us = excluded.updated_at_us",
        )
        .bind(toml)
        .bind(now_us)
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(())
    }
}
