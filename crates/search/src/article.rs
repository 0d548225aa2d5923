//! Knowledge-base articles and the `kb/articles/<slug>.<locale>.md` file format.
//!
//! A file is YAML front matter between two `---` lines, then a Markdown body. The front matter
//! is a fixed set of fields (see `kb/README.md`), so it is parsed here by hand: one
//! `key: value` per line, values plain, `'single'` or `"double"` quoted, lists written as
//! `[a, b]` or as `- item` lines below the key. Anything else is an error naming the file
//! and the field.

use std::fmt;
use std::path::Path;

use domain::Locale;
use serde::{Deserialize, Serialize};

use crate::Error;

/// Who may read an article.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    /// Everyone, signed in or not.
    Public,
    /// Support staff only (agents' procedures).
    Internal,
}

impl Visibility {
    /// The front-matter spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Internal => "internal",
        }
    }
}

/// Whether an article is live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Being written; never shown or found.
    Draft,
    /// Live.
    Published,
}

impl Status {
    /// The front-matter spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Published => "published",
        }
    }
}

/// The help center's categories.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    /// Account and sign-in.
    AccountAndSignIn,
    /// Payments and failed transactions.
    PaymentsAndFailedTransactions,
    /// Coupons and promotions.
    CouponsAndPromotions,
    /// Bank cards and accounts.
    BankCardsAndAccounts,
    /// Refunds.
    Refunds,
    /// Complaints about merchants.
    MerchantComplaints,
    /// Privacy and security.
    PrivacyAndSecurity,
    /// Contacting us and support hours.
    ContactAndSupportHours,
}

impl Category {
    /// Every category, in menu order.
    pub const ALL: [Category; 8] = [
        Category::AccountAndSignIn,
        Category::PaymentsAndFailedTransactions,
        Category::CouponsAndPromotions,
        Category::BankCardsAndAccounts,
        Category::Refunds,
        Category::MerchantComplaints,
        Category::PrivacyAndSecurity,
        Category::ContactAndSupportHours,
    ];

    /// The front-matter spelling (`account-and-sign-in`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Category::AccountAndSignIn => "account-and-sign-in",
            Category::PaymentsAndFailedTransactions => "payments-and-failed-transactions",
            Category::CouponsAndPromotions => "coupons-and-promotions",
            Category::BankCardsAndAccounts => "bank-cards-and-accounts",
            Category::Refunds => "refunds",
            Category::MerchantComplaints => "merchant-complaints",
            Category::PrivacyAndSecurity => "privacy-and-security",
            Category::ContactAndSupportHours => "contact-and-support-hours",
        }
    }

    /// Parses the front-matter spelling.
    pub fn parse(text: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.as_str() == text)
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One translation of a help-center article.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Article {
    /// The article's id, shared by its translations: lowercase ASCII words joined by hyphens.
    pub slug: String,
    /// The language of this translation.
    pub locale: Locale,
    /// The title in this language (plain text, not HTML).
    pub title: String,
    /// The category, the same in every translation.
    pub category: Category,
    /// Public or internal (staff only).
    pub visibility: Visibility,
    /// Draft or published.
    pub status: Status,
    /// Slugs of related articles.
    pub related: Vec<String>,
    /// Extra words customers use for this topic, in this language.
    pub keywords: Vec<String>,
    /// The body in Markdown (no raw HTML).
    pub body: String,
    /// When the article last changed, if known (`updated` in the front matter).
    pub updated: Option<jiff::Timestamp>,
}

impl Article {
    /// Whether `slug` is a valid article slug: lowercase ASCII letters and digits in words
    /// joined by single hyphens, at most 100 characters.
    pub fn is_valid_slug(slug: &str) -> bool {
        !slug.is_empty()
            && slug.len() <= 100
            && slug.split('-').all(|w| {
                !w.is_empty()
                    && w.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            })
    }

    /// The file name this translation is stored under: `<slug>.<locale>.md`.
    pub fn file_name(&self) -> String {
        format!("{}.{}.md", self.slug, self.locale.tag())
    }

    /// Writes the article in the `kb/articles` file format; [`parse_article_file`] reads it back
    /// to an equal article.
    pub fn to_file_text(&self) -> String {
        let mut out = String::from("---\n");
        out.push_str(&format!("slug: {}\n", self.slug));
        out.push_str(&format!("locale: {}\n", self.locale.tag()));
        out.push_str(&format!("title: {}\n", yaml_scalar(&self.title)));
        out.push_str(&format!("category: {}\n", self.category.as_str()));
        out.push_str(&format!("visibility: {}\n", self.visibility.as_str()));
        out.push_str(&format!("status: {}\n", self.status.as_str()));
        out.push_str(&format!("related: {}\n", yaml_list(&self.related)));
        out.push_str(&format!("keywords: {}\n", yaml_list(&self.keywords)));
        if let Some(updated) = self.updated {
            out.push_str(&format!("updated: {updated}\n"));
        }
        out.push_str("---\n");
        out.push_str(&self.body);
        if !self.body.ends_with('\n') {
            out.push('\n');
        }
        out
    }

    /// The body as plain text: Markdown markup removed, link targets dropped, one paragraph
    /// or list item per line. This is what is indexed and what snippets are cut from.
    pub fn body_text(&self) -> String {
        markdown_to_text(&self.body)
    }
}

/// Formats a scalar for the front matter, quoting it when a plain scalar would be misread.
fn yaml_scalar(value: &str) -> String {
    let needs_quotes = value.is_empty()
        || value != value.trim()
        || value.starts_with([
            '[', ']', '{', '}', '\'', '"', '-', '#', '&', '*', '!', '|', '>', '%', '@', '`', '?',
            ',',
        ])
        || value.contains(": ")
        || value.contains(" #")
        || value.ends_with(':');
    if needs_quotes {
        let escaped = value.replace('\\', "\\\\").replace('"', "\\\"");
        format!("\"{escaped}\"")
    } else {
        value.to_owned()
    }
}

/// Formats a list as a flow sequence, quoting items that contain separators.
fn yaml_list(items: &[String]) -> String {
    let parts: Vec<String> = items
        .iter()
        .map(|item| {
            if item.contains([',', '[', ']', '"', '\'', '#']) || yaml_scalar(item) != *item {
                format!("\"{}\"", item.replace('\\', "\\\\").replace('"', "\\\""))
            } else {
                item.clone()
            }
        })
        .collect();
    format!("[{}]", parts.join(", "))
}

/// Parses one article file. `file` names it in errors (a path or file name); the text is the
/// file's content.
///
/// Required fields: `slug`, `locale`, `title`, `category`, `visibility`, `status`; optional:
/// `related`, `keywords` (empty when missing) and `updated` (an RFC 3339 timestamp or a
/// `YYYY-MM-DD` date, taken as midnight UTC). Unknown fields are refused so a misspelt key is
/// not silently dropped.
pub fn parse_article_file(file: &str, text: &str) -> Result<Article, Error> {
    let err = |field: &str, message: String| Error::Article {
        file: file.to_owned(),
        field: field.to_owned(),
        message,
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.split_inclusive('\n');
    match lines.next() {
        Some(first) if first.trim_end() == "---" => {}
        _ => {
            return Err(err(
                "front matter",
                "the file must start with a `---` line".into(),
            ));
        }
    }

    let mut fields = FrontMatter::default();
    let mut consumed = text.len() - lines.clone().map(str::len).sum::<usize>();
    let mut closed = false;
    let mut open_list: Option<String> = None;
    for line in lines.by_ref() {
        consumed += line.len();
        let content = line.trim_end_matches(['\n', '\r']);
        if content.trim_end() == "---" {
            closed = true;
            break;
        }
        let trimmed = content.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if let Some(item) =
            trimmed
                .strip_prefix("- ")
                .or(if trimmed == "-" { Some("") } else { None })
        {
            let Some(key) = open_list.as_deref() else {
                return Err(err(
                    "front matter",
                    format!("list item outside a list: `{trimmed}`"),
                ));
            };
            let value = parse_scalar(item.trim()).map_err(|m| err(key, m))?;
            fields.push_item(key, value);
            continue;
        }
        if content.starts_with([' ', '\t']) {
            return Err(err(
                "front matter",
                format!("unexpected indented line: `{trimmed}`"),
            ));
        }
        let Some((key, raw)) = content.split_once(':') else {
            return Err(err(
                "front matter",
                format!("expected `key: value`, found `{trimmed}`"),
            ));
        };
        let key = key.trim();
        let raw = raw.trim();
        if !FrontMatter::KEYS.contains(&key) {
            return Err(err(key, "unknown field".into()));
        }
        if fields.seen.iter().any(|k| k == key) {
            return Err(err(key, "given twice".into()));
        }
        fields.seen.push(key.to_owned());
        open_list = None;
        if FrontMatter::LIST_KEYS.contains(&key) {
            if raw.is_empty() {
                open_list = Some(key.to_owned());
                fields.start_list(key);
            } else {
                let items = parse_flow_list(raw).map_err(|m| err(key, m))?;
                fields.start_list(key);
                for item in items {
                    fields.push_item(key, item);
                }
            }
        } else {
            let value = parse_scalar(raw).map_err(|m| err(key, m))?;
            fields.scalars.push((key.to_owned(), value));
        }
    }
    if !closed {
        return Err(err("front matter", "no closing `---` line".into()));
    }
    let body = text
        .get(consumed..)
        .unwrap_or("")
        .trim_start_matches(['\n', '\r'])
        .to_owned();

    let required = |key: &str| -> Result<String, Error> {
        match fields.scalar(key) {
            Some(v) if !v.trim().is_empty() => Ok(v.trim().to_owned()),
            Some(_) => Err(err(key, "must not be empty".into())),
            None => Err(err(key, "missing".into())),
        }
    };
    let slug = required("slug")?;
    if !Article::is_valid_slug(&slug) {
        return Err(err(
            "slug",
            format!("`{slug}` is not lowercase ASCII words joined by hyphens"),
        ));
    }
    let locale_tag = required("locale")?;
    let locale = Locale::ALL
        .into_iter()
        .find(|l| l.tag() == locale_tag)
        .ok_or_else(|| {
            err(
                "locale",
                format!("`{locale_tag}` is not one of en, id, zh-CN"),
            )
        })?;
    let title = required("title")?;
    let category_text = required("category")?;
    let category = Category::parse(&category_text).ok_or_else(|| {
        err(
            "category",
            format!("`{category_text}` is not a known category"),
        )
    })?;
    let visibility = match required("visibility")?.as_str() {
        "public" => Visibility::Public,
        "internal" => Visibility::Internal,
        other => {
            return Err(err(
                "visibility",
                format!("`{other}` is not public or internal"),
            ));
        }
    };
    let status = match required("status")?.as_str() {
        "published" => Status::Published,
        "draft" => Status::Draft,
        other => {
            return Err(err(
                "status",
                format!("`{other}` is not published or draft"),
            ));
        }
    };
    let related = fields.list("related");
    if let Some(bad) = related.iter().find(|s| !Article::is_valid_slug(s)) {
        return Err(err("related", format!("`{bad}` is not a valid slug")));
    }
    let keywords: Vec<String> = fields
        .list("keywords")
        .into_iter()
        .map(|k| k.trim().to_owned())
        .filter(|k| !k.is_empty())
        .collect();
    let updated = match fields.scalar("updated").map(str::trim) {
        None | Some("") => None,
        Some(text) => Some(parse_updated(text).ok_or_else(|| {
            err(
                "updated",
                format!("`{text}` is not an RFC 3339 timestamp or a YYYY-MM-DD date"),
            )
        })?),
    };
    Ok(Article {
        slug,
        locale,
        title,
        category,
        visibility,
        status,
        related,
        keywords,
        body,
        updated,
    })
}

fn parse_updated(text: &str) -> Option<jiff::Timestamp> {
    if let Ok(ts) = text.parse::<jiff::Timestamp>() {
        return Some(ts);
    }
    let date = text.parse::<jiff::civil::Date>().ok()?;
    date.to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .ok()
        .map(|z| z.timestamp())
}

#[derive(Default)]
struct FrontMatter {
    seen: Vec<String>,
    scalars: Vec<(String, String)>,
    lists: Vec<(String, Vec<String>)>,
}

impl FrontMatter {
    const KEYS: [&'static str; 9] = [
        "slug",
        "locale",
        "title",
        "category",
        "visibility",
        "status",
        "related",
        "keywords",
        "updated",
    ];
    const LIST_KEYS: [&'static str; 2] = ["related", "keywords"];

    fn scalar(&self, key: &str) -> Option<&str> {
        self.scalars
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    fn start_list(&mut self, key: &str) {
        self.lists.push((key.to_owned(), Vec::new()));
    }

    fn push_item(&mut self, key: &str, value: String) {
        if let Some((_, items)) = self.lists.iter_mut().find(|(k, _)| k == key) {
            items.push(value);
        }
    }

    fn list(&self, key: &str) -> Vec<String> {
        self.lists
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }
}

/// Parses a plain, single-quoted or double-quoted scalar (a trailing ` # comment` is dropped
/// from plain scalars).
fn parse_scalar(raw: &str) -> Result<String, String> {
    if let Some(rest) = raw.strip_prefix('"') {
        let (value, tail) = parse_double_quoted(rest)?;
        check_tail(tail)?;
        Ok(value)
    } else if let Some(rest) = raw.strip_prefix('\'') {
        let (value, tail) = parse_single_quoted(rest)?;
        check_tail(tail)?;
        Ok(value)
    } else {
        let value = match raw.find(" #") {
            Some(i) => &raw[..i],
            None => raw,
        };
        Ok(value.trim().to_owned())
    }
}

fn check_tail(tail: &str) -> Result<(), String> {
    let tail = tail.trim();
    if tail.is_empty() || tail.starts_with('#') {
        Ok(())
    } else {
        Err(format!("unexpected text after the closing quote: `{tail}`"))
    }
}

/// Reads a double-quoted scalar after its opening quote; returns the value and the rest.
fn parse_double_quoted(text: &str) -> Result<(String, &str), String> {
    let mut value = String::new();
    let mut chars = text.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Ok((value, &text[i + 1..])),
            '\\' => match chars.next() {
                Some((_, 'n')) => value.push('\n'),
                Some((_, 't')) => value.push('\t'),
                Some((_, '"')) => value.push('"'),
                Some((_, '\\')) => value.push('\\'),
                Some((_, '/')) => value.push('/'),
                Some((_, other)) => return Err(format!("unsupported escape `\\{other}`")),
                None => break,
            },
            _ => value.push(c),
        }
    }
    Err("unterminated double-quoted string".into())
}

/// Reads a single-quoted scalar after its opening quote (`''` is a quote).
fn parse_single_quoted(text: &str) -> Result<(String, &str), String> {
    let mut value = String::new();
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == '\'' {
            if matches!(chars.peek(), Some((_, '\''))) {
                chars.next();
                value.push('\'');
            } else {
                return Ok((value, &text[i + 1..]));
            }
        } else {
            value.push(c);
        }
    }
    Err("unterminated single-quoted string".into())
}

/// Parses a flow sequence `[a, 'b, c', "d"]`.
fn parse_flow_list(raw: &str) -> Result<Vec<String>, String> {
    let Some(inner) = raw.strip_prefix('[') else {
        return Err(format!("expected a list like `[a, b]`, found `{raw}`"));
    };
    let mut items = Vec::new();
    let mut rest = inner.trim_start();
    loop {
        if let Some(tail) = rest.strip_prefix(']') {
            check_tail(tail)?;
            return Ok(items);
        }
        let (item, tail) = if let Some(r) = rest.strip_prefix('"') {
            parse_double_quoted(r)?
        } else if let Some(r) = rest.strip_prefix('\'') {
            parse_single_quoted(r)?
        } else {
            let end = rest
                .find([',', ']'])
                .ok_or("unterminated list: missing `]`")?;
            (rest[..end].trim().to_owned(), &rest[end..])
        };
        let tail = tail.trim_start();
        if !item.is_empty() {
            items.push(item);
        }
        if let Some(t) = tail.strip_prefix(',') {
            rest = t.trim_start();
        } else if tail.starts_with(']') {
            rest = tail;
        } else {
            return Err("expected `,` or `]` in the list".into());
        }
    }
}

/// Loads every `<slug>.<locale>.md` file of a `kb/articles` directory, sorted by file name.
/// Checks that each file's slug and locale match its name. Other files are ignored.
pub fn load_kb_dir(dir: &Path) -> Result<Vec<Article>, Error> {
    let io_err = |path: &Path, source: std::io::Error| Error::Io {
        path: path.display().to_string(),
        source,
    };
    let mut paths = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| io_err(dir, e))? {
        let entry = entry.map_err(|e| io_err(dir, e))?;
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "md") && path.is_file() {
            paths.push(path);
        }
    }
    paths.sort();
    let mut articles = Vec::with_capacity(paths.len());
    for path in paths {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name.eq_ignore_ascii_case("README.md") {
            continue;
        }
        let text = std::fs::read_to_string(&path).map_err(|e| io_err(&path, e))?;
        let shown = path.display().to_string();
        let article = parse_article_file(&shown, &text)?;
        if name != article.file_name() {
            return Err(Error::Article {
                file: shown,
                field: "slug".into(),
                message: format!(
                    "slug `{}` and locale `{}` do not match the file name (expected {})",
                    article.slug,
                    article.locale.tag(),
                    article.file_name()
                ),
            });
        }
        articles.push(article);
    }
    Ok(articles)
}

/// Turns the Markdown used in articles into plain text: headings, emphasis, code marks, list
/// markers and link targets are removed; link texts and paragraphs are kept, one per line.
/// Raw HTML tags are kept as text (they are escaped wherever text is shown).
pub fn markdown_to_text(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    for line in markdown.lines() {
        let mut line = line.trim();
        if line.is_empty()
            || line
                .chars()
                .all(|c| matches!(c, '-' | '*' | '_' | '=' | ' '))
        {
            continue;
        }
        line = line.trim_start_matches('#').trim_start();
        line = line.trim_start_matches('>').trim_start();
        if let Some(rest) = line
            .strip_prefix("- ")
            .or_else(|| line.strip_prefix("* "))
            .or_else(|| line.strip_prefix("+ "))
        {
            line = rest;
        } else if let Some(dot) = line.find(". ")
            && dot > 0
            && dot <= 3
            && line[..dot].bytes().all(|b| b.is_ascii_digit())
        {
            line = &line[dot + 2..];
        }
        let text = strip_inline(line);
        let text = text.trim();
        if !text.is_empty() {
            out.push_str(text);
            out.push('\n');
        }
    }
    out
}

/// Removes inline Markdown: `**`, `__`, `*`, `` ` ``, and `[text](target)` → `text`.
fn strip_inline(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(c) = rest.chars().next() {
        match c {
            '*' | '`' => rest = &rest[1..],
            '_' if rest.starts_with("__") => rest = &rest[2..],
            '!' if rest.starts_with("![") => rest = &rest[1..],
            '[' => {
                // A link: keep its text, drop its target.
                if let Some(close) = rest.find("](")
                    && let Some(end) = rest[close..].find(')')
                {
                    out.push_str(&strip_inline(&rest[1..close]));
                    rest = &rest[close + end + 1..];
                    continue;
                }
                out.push('[');
                rest = &rest[1..];
            }
            _ => {
                out.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "---\nslug: reset-password\nlocale: en\ntitle: \"Reset: your password\"\ncategory: account-and-sign-in\nvisibility: public\nstatus: published\nrelated: [account-locked, password-requirements]\nkeywords: [forgot password, 'it''s, locked', \"a, b\"]\n---\n## Heading\n\n1. Tap **Forgot password**.\n- See [Two-factor](two-factor-problems).\n";

    #[test]
    fn parses_front_matter_and_body() {
        let a = parse_article_file("x.md", SAMPLE).unwrap();
        assert_eq!(a.slug, "reset-password");
        assert_eq!(a.locale, Locale::En);
        assert_eq!(a.title, "Reset: your password");
        assert_eq!(a.category, Category::AccountAndSignIn);
        assert_eq!(a.related, ["account-locked", "password-requirements"]);
        assert_eq!(a.keywords, ["forgot password", "it's, locked", "a, b"]);
        assert!(a.body.starts_with("## Heading"));
        assert_eq!(
            a.body_text(),
            "Heading\nTap Forgot password.\nSee Two-factor.\n"
        );
    }

    #[test]
    fn block_lists_and_dates() {
        let text = "---\nslug: a\nlocale: zh-CN\ntitle: 标题\ncategory: refunds\nvisibility: internal\nstatus: draft\nrelated:\n  - b\n  - c\nkeywords:\n  - 退款\nupdated: 2026-05-01\n---\nbody";
        let a = parse_article_file("a.zh-CN.md", text).unwrap();
        assert_eq!(a.related, ["b", "c"]);
        assert_eq!(a.keywords, ["退款"]);
        assert_eq!(a.status, Status::Draft);
        assert_eq!(a.visibility, Visibility::Internal);
        assert_eq!(a.updated.unwrap().to_string(), "2026-05-01T00:00:00Z");
    }

    #[test]
    fn round_trips_through_file_text() {
        let mut a = parse_article_file("x.md", SAMPLE).unwrap();
        a.updated = Some("2026-01-02T03:04:05Z".parse().unwrap());
        a.title = "- starts with a dash: and # hash".into();
        let again = parse_article_file("y.md", &a.to_file_text()).unwrap();
        assert_eq!(a, again);
    }

    #[test]
    fn errors_name_file_and_field() {
        let cases = [
            ("no front matter", "field `front matter`"),
            ("---\nslug: a\n", "no closing"),
            ("---\nslug: Bad Slug\n---\n", "field `slug`"),
            ("---\nslug: a\nlocale: fr\n---\n", "field `locale`"),
            ("---\nslug: a\nlocale: en\n---\n", "field `title`: missing"),
            (
                "---\nslug: a\nlocale: en\ntitle: t\ncategory: nope\n---\n",
                "field `category`",
            ),
            (
                "---\nslug: a\nkeyword: [x]\n---\n",
                "field `keyword`: unknown",
            ),
            ("---\nslug: a\nrelated: [x\n---\n", "field `related`"),
            ("---\nslug: a\ntitle: \"open\n---\n", "field `title`"),
            ("---\nslug: a\nslug: b\n---\n", "given twice"),
        ];
        for (text, expected) in cases {
            let message = parse_article_file("kb/x.en.md", text)
                .unwrap_err()
                .to_string();
            assert!(message.starts_with("kb/x.en.md"), "{message}");
            assert!(message.contains(expected), "{text:?}: {message}");
        }
    }

    #[test]
    fn slugs() {
        assert!(Article::is_valid_slug("reset-password"));
        assert!(Article::is_valid_slug("2fa"));
        for bad in ["", "-a", "a-", "a--b", "A", "a_b", "a b", "é"] {
            assert!(!Article::is_valid_slug(bad), "{bad}");
        }
    }
}
