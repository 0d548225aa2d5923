//! The help center's pages: home (categories, popular articles, search), search results
//! and the article page with its vote form. Public; internal articles only for support
//! staff signed in on the pages. Language: `?locale=`, then the usual page rules.

use super::{Chrome, PageCtx, csrf_ok, error_page, render, same_origin, url_encode};
use crate::error::ApiError;
use crate::help::{
    audience, may_read, readable_article, record_vote, related_titles, render_markdown,
};
use crate::i18n::Tr;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use domain::Locale;
use search::{Article, Category};
use serde::Deserialize;
use std::collections::BTreeMap;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/help", get(help_home))
        .route("/help/search", get(help_search))
        .route("/help/a/{slug}", get(help_article))
        .route("/help/a/{slug}/vote", post(help_vote))
}

/// Query parameters every help page accepts.
#[derive(Debug, Default, Deserialize)]
struct HelpQuery {
    locale: Option<String>,
    q: Option<String>,
    voted: Option<String>,
}

/// Applies `?locale=` over the page's usual language.
fn with_locale(state: &AppState, mut ctx: PageCtx, raw: Option<&str>) -> PageCtx {
    if let Some(locale) = raw.and_then(Locale::parse) {
        ctx.tr = Tr::new(state.i18n.clone(), locale);
    }
    ctx
}

fn category_key(c: Category) -> String {
    format!("help-cat-{}", c.as_str())
}

/// A link to an article in a list.
struct ArticleLink {
    slug: String,
    title: String,
}

/// A category and its articles.
struct CategoryBlock {
    name: String,
    articles: Vec<ArticleLink>,
}

#[derive(Template)]
#[template(path = "help.html")]
struct HelpHome {
    chrome: Chrome,
    locale: &'static str,
    popular: Vec<ArticleLink>,
    categories: Vec<CategoryBlock>,
    /// Support hours and the next opening, from the visitor's calendar.
    hours: crate::calendars::SupportHours,
}

/// The translation of each readable article to show in `locale` (else English, else any),
/// by slug.
async fn articles_for(
    state: &AppState,
    ctx: &PageCtx,
    locale: Locale,
) -> Result<BTreeMap<String, Article>, ApiError> {
    let principal = ctx.auth.as_ref().map(|a| &a.principal);
    let all = crate::help::load_articles(state.repo.as_ref())
        .await
        .map_err(ApiError::Unexpected)?;
    let rank = |l: Locale| {
        if l == locale {
            0
        } else if l == Locale::En {
            1
        } else {
            2
        }
    };
    let mut best: BTreeMap<String, Article> = BTreeMap::new();
    for a in all.into_iter().filter(|a| may_read(a, principal)) {
        let better = best
            .get(&a.slug)
            .is_none_or(|b| rank(a.locale) < rank(b.locale));
        if better {
            best.insert(a.slug.clone(), a);
        }
    }
    Ok(best)
}

async fn help_home(
    State(state): State<AppState>,
    ctx: PageCtx,
    Query(q): Query<HelpQuery>,
) -> Response {
    let ctx = with_locale(&state, ctx, q.locale.as_deref());
    let locale = ctx.tr.locale;
    let loaded = async {
        let articles = articles_for(&state, &ctx, locale).await?;
        let tallies = state.repo.help_vote_tallies().await?;
        Ok::<_, ApiError>((articles, tallies))
    };
    let (articles, tallies) = match loaded.await {
        Ok(v) => v,
        Err(e) => return error_page(&state, locale, &e),
    };
    // Popular: the most helpful-voted articles, filled up with the first of each category
    // while votes are few.
    let mut popular: Vec<ArticleLink> = Vec::new();
    let push = |slug: &str, popular: &mut Vec<ArticleLink>| {
        if popular.len() < 5
            && !popular.iter().any(|p| p.slug == slug)
            && let Some(a) = articles.get(slug)
        {
            popular.push(ArticleLink {
                slug: a.slug.clone(),
                title: a.title.clone(),
            });
        }
    };
    for t in tallies.iter().filter(|t| t.helpful > 0) {
        push(&t.slug, &mut popular);
    }
    for c in Category::ALL {
        if let Some(a) = articles.values().find(|a| a.category == c) {
            push(&a.slug.clone(), &mut popular);
        }
    }
    let categories = Category::ALL
        .into_iter()
        .map(|c| CategoryBlock {
            name: ctx.tr.t(&category_key(c)),
            articles: articles
                .values()
                .filter(|a| a.category == c)
                .map(|a| ArticleLink {
                    slug: a.slug.clone(),
                    title: a.title.clone(),
                })
                .collect(),
        })
        .filter(|b| !b.articles.is_empty())
        .collect();
    let customer = ctx
        .auth
        .as_ref()
        .and_then(|a| a.principal.customer_id().cloned());
    let hours = match crate::calendars::support_hours(
        &state,
        customer.as_ref(),
        domain::ticket::Channel::Web,
        locale,
    )
    .await
    {
        Ok(h) => h,
        Err(e) => return error_page(&state, locale, &e),
    };
    let page = HelpHome {
        hours,
        chrome: ctx.chrome(),
        locale: locale.tag(),
        popular,
        categories,
    };
    render(&state, locale, &page)
}

/// One search result on the page.
struct HitRow {
    slug: String,
    locale: &'static str,
    title: String,
    category: String,
    /// Escaped by the search crate, `<mark>` added: the only field shown unescaped.
    snippet_html: String,
}

#[derive(Template)]
#[template(path = "help_search.html")]
struct HelpSearchPage {
    chrome: Chrome,
    locale: &'static str,
    query: String,
    hits: Vec<HitRow>,
}

async fn help_search(
    State(state): State<AppState>,
    ctx: PageCtx,
    Query(q): Query<HelpQuery>,
) -> Response {
    let ctx = with_locale(&state, ctx, q.locale.as_deref());
    let locale = ctx.tr.locale;
    let query = q.q.unwrap_or_default();
    let principal = ctx.auth.as_ref().map(|a| &a.principal);
    let hits = match state.help.search(&query, locale, audience(principal), 20) {
        Ok(h) => h,
        Err(e) => return error_page(&state, locale, &ApiError::Unexpected(e.into())),
    };
    let page = HelpSearchPage {
        locale: locale.tag(),
        // Only the start of a huge query is searched; echo no more than that.
        query: query.chars().take(200).collect(),
        hits: hits
            .into_iter()
            .map(|h| HitRow {
                slug: h.slug,
                locale: h.locale.tag(),
                title: h.title,
                category: ctx.tr.t(&category_key(h.category)),
                snippet_html: h.snippet_html,
            })
            .collect(),
        chrome: ctx.chrome(),
    };
    render(&state, locale, &page)
}

#[derive(Template)]
#[template(path = "help_article.html")]
struct HelpArticlePage {
    chrome: Chrome,
    slug: String,
    locale: &'static str,
    title: String,
    category: String,
    internal: bool,
    /// Sanitised by `help::render_markdown`.
    body_html: String,
    updated: String,
    related: Vec<ArticleLink>,
    voted: bool,
}

async fn help_article(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(slug): Path<String>,
    Query(q): Query<HelpQuery>,
) -> Response {
    let ctx = with_locale(&state, ctx, q.locale.as_deref());
    let locale = ctx.tr.locale;
    let principal = ctx.auth.as_ref().map(|a| a.principal.clone());
    let article = match readable_article(&state, &slug, locale, principal.as_ref()).await {
        Ok(a) => a,
        Err(e) => return error_page(&state, locale, &e),
    };
    let related = related_titles(&state, &article, principal.as_ref())
        .await
        .into_iter()
        .map(|(slug, title)| ArticleLink { slug, title })
        .collect();
    let page = HelpArticlePage {
        slug: article.slug.clone(),
        locale: article.locale.tag(),
        title: article.title.clone(),
        category: ctx.tr.t(&category_key(article.category)),
        internal: article.visibility == search::Visibility::Internal,
        body_html: render_markdown(&article.body, article.locale),
        updated: article
            .updated
            .map(|t| t.strftime("%Y-%m-%d").to_string())
            .unwrap_or_default(),
        related,
        voted: q.voted.is_some(),
        chrome: ctx.chrome(),
    };
    render(&state, locale, &page)
}

#[derive(Debug, Deserialize)]
struct VoteForm {
    #[serde(default)]
    csrf: String,
    locale: String,
    helpful: String,
    #[serde(default)]
    comment: String,
}

async fn help_vote(
    State(state): State<AppState>,
    ctx: PageCtx,
    headers: HeaderMap,
    Path(slug): Path<String>,
    Form(form): Form<VoteForm>,
) -> Response {
    let locale = Locale::parse(&form.locale).unwrap_or(ctx.tr.locale);
    // Anonymous readers may vote (no session, so no CSRF token to check); a signed-in
    // reader's vote must carry the session's token, and every vote must come from this site.
    let allowed = same_origin(&headers) && ctx.auth.as_ref().is_none_or(|a| csrf_ok(a, &form.csrf));
    if !allowed {
        return error_page(&state, locale, &ApiError::Forbidden);
    }
    let principal = ctx.auth.as_ref().map(|a| &a.principal);
    let helpful = form.helpful == "1" || form.helpful == "yes";
    match record_vote(
        &state,
        &slug,
        locale,
        helpful,
        Some(form.comment.as_str()),
        principal,
    )
    .await
    {
        Ok(article) => Redirect::to(&format!(
            "/help/a/{}?locale={}&voted=1#vote",
            url_encode(&article.slug),
            article.locale.tag()
        ))
        .into_response(),
        Err(e) => error_page(&state, locale, &e),
    }
}
