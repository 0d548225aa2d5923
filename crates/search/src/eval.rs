//! Measuring search quality on labelled query sets.

use std::path::Path;

use domain::Locale;
use serde::Serialize;

use crate::Error;
use crate::index::{Audience, HelpIndex};

/// A query with the article that should answer it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LabelledQuery {
    /// What the customer typed.
    pub query: String,
    /// The language the query is written in (and searched in).
    pub locale: Locale,
    /// The slug of the article that answers it.
    pub expected_slug: String,
}

/// Scores for the queries of one language.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LocaleScores {
    /// The language.
    pub locale: Locale,
    /// Number of queries.
    pub queries: usize,
    /// Share of queries whose expected article is the first hit.
    pub recall_at_1: f64,
    /// Share of queries whose expected article is among the first three hits.
    pub recall_at_3: f64,
    /// Mean reciprocal rank of the expected article within the first 10 hits (0 when absent).
    pub mrr: f64,
}

/// A query whose expected article was not among the first three hits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Miss {
    /// The query.
    pub query: LabelledQuery,
    /// 1-based rank of the expected article within the first 10 hits, if there.
    pub rank: Option<usize>,
    /// The slugs of the first three hits.
    pub top: Vec<String>,
}

/// The result of [`evaluate`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluation {
    /// One entry per language present in the queries, in [`Locale::ALL`] order.
    pub locales: Vec<LocaleScores>,
    /// The queries that missed Recall@3, in input order.
    pub misses: Vec<Miss>,
}

impl Evaluation {
    /// The scores of one language, if it had queries.
    pub fn scores(&self, locale: Locale) -> Option<&LocaleScores> {
        self.locales.iter().find(|s| s.locale == locale)
    }
}

/// Runs every query as a customer would ([`Audience::Public`], 10 results, the query's
/// language) and computes Recall@1, Recall@3 and MRR per language.
pub fn evaluate(index: &HelpIndex, queries: &[LabelledQuery]) -> Result<Evaluation, Error> {
    let mut locales = Vec::new();
    let mut misses = Vec::new();
    for locale in Locale::ALL {
        let mut count = 0usize;
        let (mut at1, mut at3, mut reciprocal) = (0usize, 0usize, 0f64);
        for q in queries.iter().filter(|q| q.locale == locale) {
            count += 1;
            let hits = index.search(&q.query, q.locale, Audience::Public, 10)?;
            let rank = hits
                .iter()
                .position(|h| h.slug == q.expected_slug)
                .map(|i| i + 1);
            match rank {
                Some(1) => {
                    at1 += 1;
                    at3 += 1;
                }
                Some(2 | 3) => at3 += 1,
                _ => misses.push(Miss {
                    query: q.clone(),
                    rank,
                    top: hits.iter().take(3).map(|h| h.slug.clone()).collect(),
                }),
            }
            if let Some(rank) = rank {
                reciprocal += 1.0 / rank as f64;
            }
        }
        if count > 0 {
            let n = count as f64;
            locales.push(LocaleScores {
                locale,
                queries: count,
                recall_at_1: at1 as f64 / n,
                recall_at_3: at3 as f64 / n,
                mrr: reciprocal / n,
            });
        }
    }
    Ok(Evaluation { locales, misses })
}

/// Reads a labelled query set: tab-separated, header `query<TAB>expected_slug`, one query a
/// line, every query in `locale`. Blank lines and lines starting with `#` are skipped.
pub fn load_queries(path: &Path, locale: Locale) -> Result<Vec<LabelledQuery>, Error> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.display().to_string(),
        source,
    })?;
    parse_queries(&path.display().to_string(), &text, locale)
}

/// Parses the text of a labelled query set (see [`load_queries`]); `file` names it in errors.
pub fn parse_queries(file: &str, text: &str, locale: Locale) -> Result<Vec<LabelledQuery>, Error> {
    let err = |line: usize, message: String| Error::Queries {
        file: file.to_owned(),
        line,
        message,
    };
    let mut lines = text.lines().enumerate();
    match lines.next() {
        Some((_, header))
            if header.trim_start_matches('\u{feff}').trim() == "query\texpected_slug" => {}
        _ => {
            return Err(err(
                1,
                "the header must be `query<TAB>expected_slug`".into(),
            ));
        }
    }
    let mut queries = Vec::new();
    for (i, line) in lines {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((query, slug)) = line.split_once('\t') else {
            return Err(err(i + 1, "expected two columns separated by a tab".into()));
        };
        let (query, slug) = (query.trim(), slug.trim());
        if query.is_empty() {
            return Err(err(i + 1, "empty query".into()));
        }
        if !crate::Article::is_valid_slug(slug) {
            return Err(err(i + 1, format!("`{slug}` is not a valid slug")));
        }
        queries.push(LabelledQuery {
            query: query.to_owned(),
            locale,
            expected_slug: slug.to_owned(),
        });
    }
    Ok(queries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_query_sets() {
        let q = parse_queries(
            "q.tsv",
            "query\texpected_slug\nforgot pw\treset-password\n\n# note\n",
            Locale::En,
        )
        .unwrap();
        assert_eq!(q.len(), 1);
        assert_eq!(q[0].expected_slug, "reset-password");
        let e =
            parse_queries("q.tsv", "query\texpected_slug\nno tab here\n", Locale::En).unwrap_err();
        assert_eq!(
            e.to_string(),
            "q.tsv:2: expected two columns separated by a tab"
        );
        assert!(parse_queries("q.tsv", "wrong\theader\n", Locale::En).is_err());
    }
}
