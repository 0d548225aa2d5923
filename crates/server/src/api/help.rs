//! The help center: search, suggestions, articles and votes (public; support staff with a
//! bearer token also reach internal articles), and admin editing that re-indexes at once.

use crate::api::extract::{ApiJson, ApiQuery};
use crate::api::views::rfc3339;
use crate::auth::{AdminOnly, ApiUser, resolve};
use crate::error::{ApiError, Problem};
use crate::help::{
    audience, readable_article, record_vote, related_titles, render_markdown, to_stored,
};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use domain::help::SaveOutcome;
use domain::repo::SessionKind;
use domain::{Locale, Principal, ValidationError};
use search::{Article, Category, Status, Visibility};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/help/search", get(search_articles))
        .route("/api/v1/help/suggest", get(suggest))
        .route("/api/v1/help/articles/{slug}", get(get_article))
        .route("/api/v1/help/articles/{slug}/votes", post(vote))
        .route("/api/v1/help/articles/{slug}/{locale}", put(put_article))
        .route("/api/v1/help/synonyms", get(get_synonyms).put(put_synonyms))
}

/// The caller behind an optional bearer token. A missing, unknown or expired token makes
/// an anonymous caller rather than an error: these routes are public, and a stale token in
/// the app must not hide the help center.
async fn optional_caller(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<Principal>, ApiError> {
    let Some(token) = crate::auth::bearer_token(headers) else {
        return Ok(None);
    };
    Ok(resolve(state, token, SessionKind::Bearer)
        .await?
        .map(|a| a.principal))
}

/// A locale parameter: any tag `Locale::parse` understands; missing or unknown → English.
fn locale_param(raw: Option<&str>) -> Locale {
    raw.and_then(Locale::parse).unwrap_or_default()
}

/// Search parameters.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct SearchParams {
    /// What the reader typed (any text; empty gives no results).
    pub q: Option<String>,
    /// Preferred language (`en`, `id`, `zh-CN`); results in it come first. Default `en`.
    pub locale: Option<String>,
    /// Most results, 1–50 (default 10).
    pub limit: Option<u32>,
}

/// One search result.
#[derive(Debug, Serialize, ToSchema)]
pub struct HelpHitView {
    /// Article slug.
    pub slug: String,
    /// Language of the translation found.
    pub locale: String,
    /// Title (plain text).
    pub title: String,
    /// Category.
    pub category: String,
    /// A passage of the body as HTML: text escaped, matches in `<mark>`.
    pub snippet_html: String,
    /// Relevance within this list.
    pub score: f32,
}

/// Search results.
#[derive(Debug, Serialize, ToSchema)]
pub struct HelpSearchView {
    /// The language results were ordered for.
    pub locale: String,
    /// Best first; the requested language's articles before other languages'.
    pub hits: Vec<HelpHitView>,
}

/// Search the help center (public; support staff also find internal articles).
#[utoipa::path(get, path = "/api/v1/help/search", tag = "help", params(SearchParams),
    responses(
        (status = 200, description = "Matching articles", body = HelpSearchView),
        (status = 400, description = "Unreadable parameters", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn search_articles(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiQuery(params): ApiQuery<SearchParams>,
) -> Result<Json<HelpSearchView>, ApiError> {
    let caller = optional_caller(&state, &headers).await?;
    let locale = locale_param(params.locale.as_deref());
    let limit = params.limit.unwrap_or(10).clamp(1, 50) as usize;
    let hits = state
        .help
        .search(
            params.q.as_deref().unwrap_or(""),
            locale,
            audience(caller.as_ref()),
            limit,
        )
        .map_err(|e| ApiError::Unexpected(e.into()))?;
    Ok(Json(HelpSearchView {
        locale: locale.tag().to_owned(),
        hits: hits
            .into_iter()
            .map(|h| HelpHitView {
                slug: h.slug,
                locale: h.locale.tag().to_owned(),
                title: h.title,
                category: h.category.as_str().to_owned(),
                snippet_html: h.snippet_html,
                score: h.score,
            })
            .collect(),
    }))
}

/// Suggestion parameters.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct SuggestParams {
    /// What the reader has typed so far.
    pub q: Option<String>,
    /// Preferred language. Default `en`.
    pub locale: Option<String>,
}

/// One type-ahead suggestion.
#[derive(Debug, Serialize, ToSchema)]
pub struct HelpSuggestionView {
    /// Article slug.
    pub slug: String,
    /// Language of the title.
    pub locale: String,
    /// Title (plain text).
    pub title: String,
}

/// Type-ahead suggestions (public; support staff also get internal articles).
#[utoipa::path(get, path = "/api/v1/help/suggest", tag = "help", params(SuggestParams),
    responses(
        (status = 200, description = "Up to 8 suggestions", body = Vec<HelpSuggestionView>),
        (status = 400, description = "Unreadable parameters", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn suggest(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiQuery(params): ApiQuery<SuggestParams>,
) -> Result<Json<Vec<HelpSuggestionView>>, ApiError> {
    let caller = optional_caller(&state, &headers).await?;
    let locale = locale_param(params.locale.as_deref());
    let found = state
        .help
        .suggest(
            params.q.as_deref().unwrap_or(""),
            locale,
            audience(caller.as_ref()),
            8,
        )
        .map_err(|e| ApiError::Unexpected(e.into()))?;
    Ok(Json(
        found
            .into_iter()
            .map(|s| HelpSuggestionView {
                slug: s.slug,
                locale: s.locale.tag().to_owned(),
                title: s.title,
            })
            .collect(),
    ))
}

/// Article parameters.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ArticleParams {
    /// Preferred language; English (or any translation) when this one does not exist.
    pub locale: Option<String>,
}

/// A related article.
#[derive(Debug, Serialize, ToSchema)]
pub struct RelatedView {
    /// Slug.
    pub slug: String,
    /// Title in the article's language.
    pub title: String,
}

/// One translation of an article.
#[derive(Debug, Serialize, ToSchema)]
pub struct HelpArticleView {
    /// Slug.
    pub slug: String,
    /// Language of this translation.
    pub locale: String,
    /// Title (plain text).
    pub title: String,
    /// Category.
    pub category: String,
    /// `public` or `internal`.
    pub visibility: String,
    /// `published` or `draft`.
    pub status: String,
    /// Related articles the caller may read.
    pub related: Vec<RelatedView>,
    /// Extra search words.
    pub keywords: Vec<String>,
    /// Body in Markdown.
    pub body_markdown: String,
    /// Body as sanitised HTML.
    pub body_html: String,
    /// Last change (RFC 3339), when known.
    pub updated_at: Option<String>,
}

async fn article_view(
    state: &AppState,
    article: &Article,
    caller: Option<&Principal>,
) -> HelpArticleView {
    HelpArticleView {
        slug: article.slug.clone(),
        locale: article.locale.tag().to_owned(),
        title: article.title.clone(),
        category: article.category.as_str().to_owned(),
        visibility: article.visibility.as_str().to_owned(),
        status: article.status.as_str().to_owned(),
        related: related_titles(state, article, caller)
            .await
            .into_iter()
            .map(|(slug, title)| RelatedView { slug, title })
            .collect(),
        keywords: article.keywords.clone(),
        body_markdown: article.body.clone(),
        body_html: render_markdown(&article.body, article.locale),
        updated_at: article.updated.map(|t| rfc3339(t.as_microsecond())),
    }
}

/// One article (public; internal ones answer 404 unless the caller is support staff).
#[utoipa::path(get, path = "/api/v1/help/articles/{slug}", tag = "help",
    params(("slug" = String, Path, description = "Article slug"), ArticleParams),
    responses(
        (status = 200, description = "The article", body = HelpArticleView),
        (status = 404, description = "No such article readable by the caller", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_article(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(slug): Path<String>,
    ApiQuery(params): ApiQuery<ArticleParams>,
) -> Result<Json<HelpArticleView>, ApiError> {
    let caller = optional_caller(&state, &headers).await?;
    let locale = locale_param(params.locale.as_deref());
    let article = readable_article(&state, &slug, locale, caller.as_ref()).await?;
    Ok(Json(article_view(&state, &article, caller.as_ref()).await))
}

/// A vote on an article.
#[derive(Debug, Deserialize, ToSchema)]
pub struct VoteRequest {
    /// The translation read (`en`, `id`, `zh-CN`).
    pub locale: String,
    /// Whether it helped.
    pub helpful: bool,
    /// Optional comment, at most 1000 characters.
    pub comment: Option<String>,
}

/// The recorded vote.
#[derive(Debug, Serialize, ToSchema)]
pub struct VoteView {
    /// Article slug.
    pub slug: String,
    /// Translation voted on.
    pub locale: String,
    /// The verdict.
    pub helpful: bool,
}

/// Vote on an article (public; no Idempotency-Key: a repeated vote is just another vote).
#[utoipa::path(post, path = "/api/v1/help/articles/{slug}/votes", tag = "help",
    params(("slug" = String, Path, description = "Article slug")),
    request_body = VoteRequest,
    responses(
        (status = 201, description = "Vote recorded", body = VoteView),
        (status = 404, description = "No such article readable by the caller", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Comment too long", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn vote(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(slug): Path<String>,
    ApiJson(body): ApiJson<VoteRequest>,
) -> Result<(StatusCode, Json<VoteView>), ApiError> {
    let caller = optional_caller(&state, &headers).await?;
    let locale = Locale::parse_exact(&body.locale, "locale")?;
    let article = record_vote(
        &state,
        &slug,
        locale,
        body.helpful,
        body.comment.as_deref(),
        caller.as_ref(),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(VoteView {
            slug: article.slug,
            locale: article.locale.tag().to_owned(),
            helpful: body.helpful,
        }),
    ))
}

/// An article translation as an admin writes it.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ArticleInput {
    /// Title (plain text, 1–200 characters).
    pub title: String,
    /// Category spelling (`account-and-sign-in`, `refunds`, …).
    pub category: String,
    /// `public` or `internal`.
    pub visibility: String,
    /// `published` or `draft`.
    pub status: String,
    /// Related slugs (at most 10).
    #[serde(default)]
    pub related: Vec<String>,
    /// Extra search words (at most 30).
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Markdown body (at most 100,000 characters).
    pub body: String,
}

/// Longest article body accepted, in characters.
const MAX_BODY_CHARS: usize = 100_000;

/// Checks an admin's input and builds the article; every problem is named by field.
pub fn article_from_input(
    slug: &str,
    locale: Locale,
    input: &ArticleInput,
    now_us: i64,
) -> Result<Article, ValidationError> {
    let mut errors = Vec::new();
    let mut fail = |field: &str, code: &'static str, message: &str| {
        errors.push(domain::FieldError {
            field: field.to_owned(),
            code,
            message: message.to_owned(),
        });
    };
    if !Article::is_valid_slug(slug) {
        fail("slug", "invalid", "lowercase ASCII words joined by hyphens");
    }
    let title = input.title.trim();
    if title.is_empty() || title.chars().count() > 200 || title.contains(['\n', '\r']) {
        fail("title", "invalid", "one line of 1–200 characters");
    }
    let category = Category::parse(&input.category);
    if category.is_none() {
        fail("category", "invalid", "not a known category");
    }
    let visibility = match input.visibility.as_str() {
        "public" => Some(Visibility::Public),
        "internal" => Some(Visibility::Internal),
        _ => None,
    };
    if visibility.is_none() {
        fail("visibility", "invalid", "public or internal");
    }
    let status = match input.status.as_str() {
        "published" => Some(Status::Published),
        "draft" => Some(Status::Draft),
        _ => None,
    };
    if status.is_none() {
        fail("status", "invalid", "published or draft");
    }
    if input.related.len() > 10 || !input.related.iter().all(|r| Article::is_valid_slug(r)) {
        fail("related", "invalid", "at most 10 article slugs");
    }
    if input.keywords.len() > 30
        || input
            .keywords
            .iter()
            .any(|k| k.trim().is_empty() || k.chars().count() > 100)
    {
        fail(
            "keywords",
            "invalid",
            "at most 30 words of 1–100 characters",
        );
    }
    if input.body.trim().is_empty() || input.body.chars().count() > MAX_BODY_CHARS {
        fail("body", "invalid", "1–100,000 characters of Markdown");
    }
    match (category, visibility, status) {
        (Some(category), Some(visibility), Some(status)) if errors.is_empty() => Ok(Article {
            slug: slug.to_owned(),
            locale,
            title: title.to_owned(),
            category,
            visibility,
            status,
            related: input.related.clone(),
            keywords: input.keywords.iter().map(|k| k.trim().to_owned()).collect(),
            body: input.body.clone(),
            updated: jiff::Timestamp::from_microsecond(now_us).ok(),
        }),
        _ => Err(ValidationError { errors }),
    }
}

/// Create or replace one translation (admin). The search index follows at once.
#[utoipa::path(put, path = "/api/v1/help/articles/{slug}/{locale}", tag = "help", security(("bearer" = [])),
    params(("slug" = String, Path, description = "Article slug"), ("locale" = String, Path, description = "en, id or zh-CN")),
    request_body = ArticleInput,
    responses(
        (status = 200, description = "Updated (or unchanged)", body = HelpArticleView),
        (status = 201, description = "Created", body = HelpArticleView),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid article", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn put_article(
    State(state): State<AppState>,
    user: ApiUser<AdminOnly>,
    Path((slug, locale)): Path<(String, String)>,
    ApiJson(input): ApiJson<ArticleInput>,
) -> Result<(StatusCode, Json<HelpArticleView>), ApiError> {
    let locale = Locale::parse_exact(&locale, "locale")?;
    let article = article_from_input(&slug, locale, &input, crate::now_us())?;
    let outcome = state.repo.save_help_article(&to_stored(&article)).await?;
    state
        .help
        .upsert(&article)
        .map_err(|e| ApiError::Unexpected(e.into()))?;
    let status = if outcome == SaveOutcome::Created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(article_view(&state, &article, Some(&user.principal)).await),
    ))
}

/// The synonyms table: groups of terms that mean the same, across languages.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SynonymsBody {
    /// Each group lists 2 to 20 terms, e.g. `["password", "kata sandi", "密码"]`.
    pub groups: Vec<Vec<String>>,
}

/// Checks a synonyms table: 1–500 groups of 2–20 non-empty terms of at most 60 characters.
pub fn synonyms_from_groups(groups: &[Vec<String>]) -> Result<search::Synonyms, ValidationError> {
    let ok = !groups.is_empty()
        && groups.len() <= 500
        && groups.iter().all(|g| {
            (2..=20).contains(&g.len())
                && g.iter()
                    .all(|t| !t.trim().is_empty() && t.chars().count() <= 60)
        });
    if !ok {
        return Err(ValidationError::field(
            "groups",
            "invalid",
            "1 to 500 groups, each of 2 to 20 terms of 1 to 60 characters",
        ));
    }
    let cleaned: Vec<Vec<String>> = groups
        .iter()
        .map(|g| g.iter().map(|t| t.trim().to_owned()).collect())
        .collect();
    Ok(search::Synonyms::from_groups(cleaned))
}

/// Saves a synonyms table and applies it to this node's index at once (other nodes follow
/// through the fingerprint job).
pub async fn save_synonyms(state: &AppState, synonyms: search::Synonyms) -> Result<(), ApiError> {
    let toml = synonyms
        .to_toml()
        .map_err(|e| ApiError::Unexpected(e.into()))?;
    state.repo.set_help_synonyms(&toml, crate::now_us()).await?;
    state.help.set_synonyms(synonyms);
    Ok(())
}

/// The synonyms used at query time (admins).
#[utoipa::path(get, path = "/api/v1/help/synonyms", tag = "help", security(("bearer" = [])),
    responses(
        (status = 200, description = "The table", body = SynonymsBody),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_synonyms(
    State(state): State<AppState>,
    _user: ApiUser<AdminOnly>,
) -> Json<SynonymsBody> {
    Json(SynonymsBody {
        groups: state
            .help
            .synonyms()
            .groups
            .into_iter()
            .map(|g| g.terms)
            .collect(),
    })
}

/// Replace the synonyms table (admins); search uses it at once.
#[utoipa::path(put, path = "/api/v1/help/synonyms", tag = "help", security(("bearer" = [])), request_body = SynonymsBody,
    responses(
        (status = 200, description = "Saved", body = SynonymsBody),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid table", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn put_synonyms(
    State(state): State<AppState>,
    _user: ApiUser<AdminOnly>,
    ApiJson(body): ApiJson<SynonymsBody>,
) -> Result<Json<SynonymsBody>, ApiError> {
    let synonyms = synonyms_from_groups(&body.groups)?;
    save_synonyms(&state, synonyms).await?;
    Ok(Json(SynonymsBody {
        groups: state
            .help
            .synonyms()
            .groups
            .into_iter()
            .map(|g| g.terms)
            .collect(),
    }))
}
