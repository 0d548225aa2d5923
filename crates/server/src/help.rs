//! The help center's glue between storage (plain [`StoredArticle`]s), the search crate's
//! [`Article`] and index, and what pages show: conversions, loading the index from the
//! database, who may read what, and sanitised Markdown.

use crate::error::ApiError;
use crate::state::AppState;
use anyhow::Context;
use domain::help::{HelpVote, MAX_VOTE_COMMENT_CHARS, StoredArticle};
use domain::repo::Repository;
use domain::{Locale, Principal};
use pulldown_cmark::{CowStr, Event, Options, Parser, Tag};
use search::{Article, Audience, Category, HelpIndex, Status, Synonyms, Visibility};

/// The storage form of an article.
pub fn to_stored(a: &Article) -> StoredArticle {
    StoredArticle {
        slug: a.slug.clone(),
        locale: a.locale,
        title: a.title.clone(),
        category: a.category.as_str().to_owned(),
        visibility: a.visibility.as_str().to_owned(),
        status: a.status.as_str().to_owned(),
        related: a.related.clone(),
        keywords: a.keywords.clone(),
        body: a.body.clone(),
        updated_at_us: a.updated.map(|t| t.as_microsecond()),
    }
}

/// The search crate's form of a stored article; fails on values no valid article has
/// (a row written by hand, or by a newer version).
pub fn from_stored(s: &StoredArticle) -> anyhow::Result<Article> {
    let category = Category::parse(&s.category)
        .with_context(|| format!("article {}: unknown category {}", s.slug, s.category))?;
    let visibility = match s.visibility.as_str() {
        "public" => Visibility::Public,
        "internal" => Visibility::Internal,
        other => anyhow::bail!("article {}: unknown visibility {other}", s.slug),
    };
    let status = match s.status.as_str() {
        "published" => Status::Published,
        "draft" => Status::Draft,
        other => anyhow::bail!("article {}: unknown status {other}", s.slug),
    };
    let updated = s
        .updated_at_us
        .map(jiff::Timestamp::from_microsecond)
        .transpose()
        .with_context(|| format!("article {}: timestamp out of range", s.slug))?;
    Ok(Article {
        slug: s.slug.clone(),
        locale: s.locale,
        title: s.title.clone(),
        category,
        visibility,
        status,
        related: s.related.clone(),
        keywords: s.keywords.clone(),
        body: s.body.clone(),
        updated,
    })
}

/// Every stored article in the search crate's form. Rows that cannot be read are logged
/// and skipped, so one bad row does not take the help center down.
pub async fn load_articles(repo: &dyn Repository) -> anyhow::Result<Vec<Article>> {
    let stored = repo.help_articles().await?;
    let mut out = Vec::with_capacity(stored.len());
    for s in &stored {
        match from_stored(s) {
            Ok(a) => out.push(a),
            Err(e) => tracing::warn!(error = %e, "skipping an unreadable help article"),
        }
    }
    Ok(out)
}

/// Fills `index` from the database: the saved synonyms table (the built-in one when none
/// was saved) and every article. Returns the number of indexed translations.
pub async fn reload_index(repo: &dyn Repository, index: &HelpIndex) -> anyhow::Result<usize> {
    if let Some(toml) = repo.help_synonyms().await? {
        match Synonyms::from_toml(&toml) {
            Ok(s) => index.set_synonyms(s),
            Err(e) => {
                tracing::warn!(error = %e, "saved synonyms unreadable; keeping the current ones")
            }
        }
    }
    let articles = load_articles(repo).await?;
    index.replace_all(&articles)?;
    Ok(index.len())
}

/// Support staff (agents, supervisors, admins) read internal articles; everyone else —
/// customers, merchant staff, anonymous visitors — only public ones.
pub fn audience(principal: Option<&Principal>) -> Audience {
    match principal {
        Some(p) if p.role.is_support_staff() => Audience::Staff,
        _ => Audience::Public,
    }
}

/// Whether this audience may open this article: published, and public unless staff.
/// Admins also see drafts, to check them before publishing.
pub fn may_read(article: &Article, principal: Option<&Principal>) -> bool {
    let staff = audience(principal) == Audience::Staff;
    let admin = principal.is_some_and(|p| p.role == domain::Role::Admin);
    (article.visibility == Visibility::Public || staff)
        && (article.status == Status::Published || admin)
}

/// Renders an article body to HTML that is safe to insert into a page: raw HTML in the
/// Markdown is shown as text, links to other articles (written as bare slugs) point at the
/// article page in `locale`, and only http(s), mailto, tel and same-site links survive
/// (`javascript:` and friends become `#`).
pub fn render_markdown(markdown: &str, locale: Locale) -> String {
    let parser = Parser::new_ext(
        markdown,
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH,
    )
    .map(|event| match event {
        Event::Html(html) | Event::InlineHtml(html) => Event::Text(html),
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) => Event::Start(Tag::Link {
            link_type,
            dest_url: safe_href(&dest_url, locale),
            title,
            id,
        }),
        Event::Start(Tag::Image {
            link_type,
            dest_url,
            title,
            id,
        }) => Event::Start(Tag::Image {
            link_type,
            dest_url: safe_href(&dest_url, locale),
            title,
            id,
        }),
        other => other,
    });
    let mut html = String::with_capacity(markdown.len() * 2);
    pulldown_cmark::html::push_html(&mut html, parser);
    html
}

fn safe_href(dest: &str, locale: Locale) -> CowStr<'static> {
    let dest = dest.trim();
    if Article::is_valid_slug(dest) {
        return format!("/help/a/{dest}?locale={}", locale.tag()).into();
    }
    let lower = dest.to_ascii_lowercase();
    let allowed = ["https://", "http://", "mailto:", "tel:"]
        .iter()
        .any(|p| lower.starts_with(p))
        || (dest.starts_with('/') && !dest.starts_with("//") && !dest.contains('\\'))
        || dest.starts_with('#');
    if allowed {
        dest.to_owned().into()
    } else {
        "#".into()
    }
}

/// The translation of `slug` to show in `locale`: that language's if it exists, else
/// English, else any. Unknown slugs, and articles the caller may not read, are `NotFound`
/// alike, so internal articles cannot be discovered by guessing slugs.
pub async fn readable_article(
    state: &AppState,
    slug: &str,
    locale: Locale,
    principal: Option<&Principal>,
) -> Result<Article, ApiError> {
    if !Article::is_valid_slug(slug) {
        return Err(ApiError::NotFound);
    }
    let mut order = vec![locale, Locale::En];
    order.extend(Locale::ALL);
    for l in order {
        if let Some(stored) = state.repo.help_article(slug, l).await? {
            let article = from_stored(&stored).map_err(ApiError::Unexpected)?;
            return if may_read(&article, principal) {
                Ok(article)
            } else {
                Err(ApiError::NotFound)
            };
        }
    }
    Err(ApiError::NotFound)
}

/// Records a reader's vote on an article they may read. The comment is trimmed, empty
/// means none, and more than [`MAX_VOTE_COMMENT_CHARS`] characters is refused.
pub async fn record_vote(
    state: &AppState,
    slug: &str,
    locale: Locale,
    helpful: bool,
    comment: Option<&str>,
    principal: Option<&Principal>,
) -> Result<Article, ApiError> {
    let comment = comment.map(str::trim).filter(|c| !c.is_empty());
    if comment.is_some_and(|c| c.chars().count() > MAX_VOTE_COMMENT_CHARS) {
        return Err(ApiError::Validation(domain::ValidationError::field(
            "comment",
            "too_long",
            format!("at most {MAX_VOTE_COMMENT_CHARS} characters"),
        )));
    }
    let article = readable_article(state, slug, locale, principal).await?;
    state
        .repo
        .add_help_vote(&HelpVote {
            slug: article.slug.clone(),
            locale: article.locale,
            helpful,
            comment: comment.map(str::to_owned),
            created_at_us: crate::now_us(),
        })
        .await?;
    Ok(article)
}

/// Titles of an article's related articles that the caller may read, in `locale` where
/// translated: `(slug, title)`.
pub async fn related_titles(
    state: &AppState,
    article: &Article,
    principal: Option<&Principal>,
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for slug in &article.related {
        if let Ok(r) = readable_article(state, slug, article.locale, principal).await {
            out.push((r.slug, r.title));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_is_sanitised() {
        let html = render_markdown(
            "## Hi\n\n<script>alert(1)</script>\n\nText <b>bold</b> [x](javascript:alert(1)) [y](reset-password) [z](https://example.com)\n",
            Locale::Id,
        );
        assert!(!html.contains("<script"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(html.contains("&lt;b&gt;"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
        assert!(
            html.contains("href=\"/help/a/reset-password?locale=id\""),
            "{html}"
        );
        assert!(html.contains("href=\"https://example.com\""), "{html}");
        assert!(html.contains("<h2>Hi</h2>"), "{html}");
    }

    #[test]
    fn stored_form_round_trips() {
        let text = "---\nslug: a-b\nlocale: zh-CN\ntitle: 标题\ncategory: refunds\nvisibility: internal\nstatus: draft\nrelated: [c]\nkeywords: [退款]\nupdated: 2026-05-01\n---\nbody\n";
        let a = search::parse_article_file("a", text).unwrap();
        assert_eq!(from_stored(&to_stored(&a)).unwrap(), a);
    }
}
