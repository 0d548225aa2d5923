//! Admins edit help articles on a page: the list of every translation, and one form per
//! translation. Saving re-indexes at once (other nodes follow within a minute).

use super::{Chrome, PageUser, csrf_ok, error_page, render, same_origin, url_encode};
use crate::api::help::{ArticleInput, article_from_input};
use crate::auth::AdminOnly;
use crate::error::ApiError;
use crate::help::{load_articles, to_stored};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use domain::Locale;
use search::{Article, Category, Status, Visibility};
use serde::Deserialize;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/staff/help", get(list))
        .route(
            "/staff/help/synonyms",
            get(synonyms_form).post(save_synonyms),
        )
        .route("/staff/help/{slug}/{locale}", get(edit_form).post(save))
}

struct Row {
    slug: String,
    locale: &'static str,
    title: String,
    status: &'static str,
    visibility: &'static str,
}

#[derive(Template)]
#[template(path = "help_admin.html")]
struct ListPage {
    chrome: Chrome,
    rows: Vec<Row>,
    locales: Vec<&'static str>,
    error: String,
    /// Contact-form outcomes of the last 30 days: the figure operators watch.
    deflection: String,
}

#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    #[serde(default)]
    slug: String,
    #[serde(default)]
    locale: String,
}

/// Every translation, and a small form to start a new one (goes to the editor).
async fn list(
    State(state): State<AppState>,
    user: PageUser<AdminOnly>,
    Query(q): Query<ListQuery>,
) -> Response {
    let locale = user.ctx.tr.locale;
    // The "new article" form is a GET to this page: send a valid slug on to its editor.
    if Article::is_valid_slug(&q.slug)
        && let Some(l) = Locale::parse(&q.locale)
    {
        return Redirect::to(&format!("/staff/help/{}/{}", url_encode(&q.slug), l.tag()))
            .into_response();
    }
    let articles = match load_articles(state.repo.as_ref()).await {
        Ok(a) => a,
        Err(e) => return error_page(&state, locale, &ApiError::Unexpected(e)),
    };
    let mut rows: Vec<Row> = articles
        .iter()
        .map(|a| Row {
            slug: a.slug.clone(),
            locale: a.locale.tag(),
            title: a.title.clone(),
            status: a.status.as_str(),
            visibility: a.visibility.as_str(),
        })
        .collect();
    rows.sort_by(|a, b| (a.slug.as_str(), a.locale).cmp(&(b.slug.as_str(), b.locale)));
    let error = if q.slug.is_empty() {
        String::new()
    } else {
        user.ctx.tr.t("help-admin-bad-slug")
    };
    let since = crate::now_us() - 30 * 86_400_000_000;
    let (deflected, continued) = match state.repo.deflection_counts(since).await {
        Ok(c) => c,
        Err(e) => return error_page(&state, locale, &e.into()),
    };
    let shown = deflected + continued;
    let deflection = if shown == 0 {
        user.ctx.tr.t("help-admin-deflection-none")
    } else {
        let mut args = fluent_bundle::FluentArgs::new();
        args.set("percent", (deflected * 100 / shown).to_string());
        args.set("deflected", deflected.to_string());
        args.set("shown", shown.to_string());
        state
            .i18n
            .message(locale, "help-admin-deflection", Some(&args))
    };
    let page = ListPage {
        chrome: user.ctx.chrome(),
        rows,
        locales: Locale::ALL.iter().map(|l| l.tag()).collect(),
        error,
        deflection,
    };
    render(&state, locale, &page)
}

#[derive(Template)]
#[template(path = "help_edit.html")]
struct EditPage {
    chrome: Chrome,
    slug: String,
    locale: &'static str,
    title: String,
    category: String,
    categories: Vec<(&'static str, String)>,
    visibility: String,
    status: String,
    related: String,
    keywords: String,
    body: String,
    errors: Vec<String>,
    saved: bool,
    is_new: bool,
}

#[derive(Debug, Default, Deserialize)]
struct EditQuery {
    #[serde(default)]
    saved: String,
}

/// What the editor shows besides the fields.
struct EditState {
    errors: Vec<String>,
    saved: bool,
    is_new: bool,
}

fn edit_page(
    chrome: Chrome,
    tr: &crate::i18n::Tr,
    slug: &str,
    locale: Locale,
    form: &ArticleForm,
    state: EditState,
) -> EditPage {
    let EditState {
        errors,
        saved,
        is_new,
    } = state;
    EditPage {
        chrome,
        slug: slug.to_owned(),
        locale: locale.tag(),
        title: form.title.clone(),
        category: form.category.clone(),
        categories: Category::ALL
            .iter()
            .map(|c| (c.as_str(), tr.t(&format!("help-cat-{}", c.as_str()))))
            .collect(),
        visibility: form.visibility.clone(),
        status: form.status.clone(),
        related: form.related.clone(),
        keywords: form.keywords.clone(),
        body: form.body.clone(),
        errors,
        saved,
        is_new,
    }
}

async fn edit_form(
    State(state): State<AppState>,
    user: PageUser<AdminOnly>,
    Path((slug, locale)): Path<(String, String)>,
    Query(q): Query<EditQuery>,
) -> Response {
    let page_locale = user.ctx.tr.locale;
    let Some(locale) = Locale::parse(&locale).filter(|_| Article::is_valid_slug(&slug)) else {
        return error_page(&state, page_locale, &ApiError::NotFound);
    };
    let stored = match state.repo.help_article(&slug, locale).await {
        Ok(s) => s,
        Err(e) => return error_page(&state, page_locale, &e.into()),
    };
    let (form, is_new) = match stored {
        Some(s) => (
            ArticleForm {
                csrf: String::new(),
                title: s.title,
                category: s.category,
                visibility: s.visibility,
                status: s.status,
                related: s.related.join(", "),
                keywords: s.keywords.join(", "),
                body: s.body,
            },
            false,
        ),
        None => (
            ArticleForm {
                category: Category::ALL[0].as_str().to_owned(),
                visibility: Visibility::Public.as_str().to_owned(),
                status: Status::Draft.as_str().to_owned(),
                ..ArticleForm::default()
            },
            true,
        ),
    };
    let page = edit_page(
        user.ctx.chrome(),
        &user.ctx.tr,
        &slug,
        locale,
        &form,
        EditState {
            errors: Vec::new(),
            saved: q.saved == "1",
            is_new,
        },
    );
    render(&state, page_locale, &page)
}

#[derive(Debug, Default, Deserialize)]
struct ArticleForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    visibility: String,
    #[serde(default)]
    status: String,
    /// Comma-separated slugs.
    #[serde(default)]
    related: String,
    /// Comma-separated words.
    #[serde(default)]
    keywords: String,
    #[serde(default)]
    body: String,
}

fn split_list(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_owned)
        .collect()
}

async fn save(
    State(state): State<AppState>,
    user: PageUser<AdminOnly>,
    headers: HeaderMap,
    Path((slug, locale)): Path<(String, String)>,
    Form(form): Form<ArticleForm>,
) -> Response {
    let page_locale = user.ctx.tr.locale;
    let allowed = same_origin(&headers)
        && user
            .ctx
            .auth
            .as_ref()
            .is_some_and(|a| csrf_ok(a, &form.csrf));
    if !allowed {
        return error_page(&state, page_locale, &ApiError::Forbidden);
    }
    let Some(locale) = Locale::parse(&locale).filter(|_| Article::is_valid_slug(&slug)) else {
        return error_page(&state, page_locale, &ApiError::NotFound);
    };
    let input = ArticleInput {
        title: form.title.clone(),
        category: form.category.clone(),
        visibility: form.visibility.clone(),
        status: form.status.clone(),
        related: split_list(&form.related),
        keywords: split_list(&form.keywords),
        body: form.body.clone(),
    };
    let article = match article_from_input(&slug, locale, &input, crate::now_us()) {
        Ok(a) => a,
        Err(v) => {
            // Keep everything typed; name each problem.
            let errors = v
                .errors
                .iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect();
            let page = edit_page(
                user.ctx.chrome(),
                &user.ctx.tr,
                &slug,
                locale,
                &form,
                EditState {
                    errors,
                    saved: false,
                    is_new: false,
                },
            );
            let mut resp = render(&state, page_locale, &page);
            *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            return resp;
        }
    };
    let saved = async {
        state.repo.save_help_article(&to_stored(&article)).await?;
        state
            .help
            .upsert(&article)
            .map_err(|e| ApiError::Unexpected(e.into()))?;
        Ok::<_, ApiError>(())
    };
    match saved.await {
        Ok(()) => {
            tracing::info!(slug = %slug, locale = locale.tag(), by = %user.principal.user.as_str(), "help article saved");
            Redirect::to(&format!(
                "/staff/help/{}/{}?saved=1",
                url_encode(&slug),
                locale.tag()
            ))
            .into_response()
        }
        Err(e) => error_page(&state, page_locale, &e),
    }
}

#[derive(Template)]
#[template(path = "help_synonyms.html")]
struct SynonymsPage {
    chrome: Chrome,
    text: String,
    error: String,
    saved: bool,
}

/// One group a line, terms separated by commas: easy to edit in a textarea.
fn synonyms_text(state: &AppState) -> String {
    state
        .help
        .synonyms()
        .groups
        .iter()
        .map(|g| g.terms.join(", "))
        .collect::<Vec<_>>()
        .join("\n")
}

async fn synonyms_form(
    State(state): State<AppState>,
    user: PageUser<AdminOnly>,
    Query(q): Query<EditQuery>,
) -> Response {
    let locale = user.ctx.tr.locale;
    let page = SynonymsPage {
        chrome: user.ctx.chrome(),
        text: synonyms_text(&state),
        error: String::new(),
        saved: q.saved == "1",
    };
    render(&state, locale, &page)
}

#[derive(Debug, Default, Deserialize)]
struct SynonymsForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    text: String,
}

async fn save_synonyms(
    State(state): State<AppState>,
    user: PageUser<AdminOnly>,
    headers: HeaderMap,
    Form(form): Form<SynonymsForm>,
) -> Response {
    let locale = user.ctx.tr.locale;
    let allowed = same_origin(&headers)
        && user
            .ctx
            .auth
            .as_ref()
            .is_some_and(|a| csrf_ok(a, &form.csrf));
    if !allowed {
        return error_page(&state, locale, &ApiError::Forbidden);
    }
    let groups: Vec<Vec<String>> = form
        .text
        .lines()
        .map(split_list)
        .filter(|g| !g.is_empty())
        .collect();
    let saved = match crate::api::help::synonyms_from_groups(&groups) {
        Ok(table) => crate::api::help::save_synonyms(&state, table).await,
        Err(v) => Err(v.into()),
    };
    match saved {
        Ok(()) => Redirect::to("/staff/help/synonyms?saved=1").into_response(),
        Err(ApiError::Validation(_)) => {
            let page = SynonymsPage {
                chrome: user.ctx.chrome(),
                text: form.text,
                error: user.ctx.tr.t("help-synonyms-invalid"),
                saved: false,
            };
            let mut resp = render(&state, locale, &page);
            *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            resp
        }
        Err(e) => error_page(&state, locale, &e),
    }
}
