//! The synonyms table: groups of words that mean the same for search, across languages.
//!
//! A query that contains a term of a group is expanded with the group's other terms at query
//! time (nothing is re-indexed when the table changes). Terms of several words match as a word
//! sequence; a word matches when it is equal after lowercasing and ASCII folding, or after
//! English or Indonesian stemming (so "refunds" matches "refund"). Terms containing Han
//! characters match as substrings.

use serde::{Deserialize, Serialize};
use tantivy::tokenizer::{AsciiFoldingFilter, LowerCaser, TextAnalyzer};

use crate::Error;
use crate::analysis::{WordTokenizer, collect, is_han};

/// The default table shipped with paydesk (`src/synonyms.toml`).
pub const DEFAULT_SYNONYMS_TOML: &str = include_str!("synonyms.toml");

/// A table of synonym groups; serialisable so admins can edit it (as TOML or JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Synonyms {
    /// The groups, in the order they were written.
    #[serde(rename = "group", default)]
    pub groups: Vec<SynonymGroup>,
}

/// Words that mean the same thing, in any of the languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SynonymGroup {
    /// The terms; each is a word, several words or a Chinese word.
    pub terms: Vec<String>,
}

impl Default for Synonyms {
    /// The shipped table ([`Synonyms::builtin`]).
    fn default() -> Self {
        Self::builtin()
    }
}

impl Synonyms {
    /// A table without groups: no expansion.
    pub fn empty() -> Self {
        Self { groups: Vec::new() }
    }

    /// The shipped default table. (Its parsing is checked by a unit test; should it ever fail,
    /// the result is an empty table rather than a panic.)
    pub fn builtin() -> Self {
        Self::from_toml(DEFAULT_SYNONYMS_TOML).unwrap_or_else(|_| Self::empty())
    }

    /// Builds a table from groups of terms, trimming terms, dropping empty and repeated ones
    /// and groups left with fewer than two terms.
    pub fn from_groups<G, T>(groups: G) -> Self
    where
        G: IntoIterator<Item = T>,
        T: IntoIterator<Item = String>,
    {
        let groups = groups
            .into_iter()
            .map(|terms| SynonymGroup {
                terms: terms.into_iter().collect(),
            })
            .collect();
        Self { groups }.normalised()
    }

    /// Parses the TOML format of `synonyms.toml` (`[[group]] terms = [...]`).
    pub fn from_toml(text: &str) -> Result<Self, Error> {
        let table: Synonyms = toml::from_str(text).map_err(|e| Error::Synonyms(e.to_string()))?;
        Ok(table.normalised())
    }

    /// Writes the table in the TOML format [`Synonyms::from_toml`] reads.
    pub fn to_toml(&self) -> Result<String, Error> {
        toml::to_string(self).map_err(|e| Error::Synonyms(e.to_string()))
    }

    fn normalised(self) -> Self {
        let groups = self
            .groups
            .into_iter()
            .filter_map(|group| {
                let mut terms: Vec<String> = Vec::new();
                for term in group.terms {
                    let term = term.split_whitespace().collect::<Vec<_>>().join(" ");
                    if !term.is_empty()
                        && !terms
                            .iter()
                            .any(|t| t.to_lowercase() == term.to_lowercase())
                    {
                        terms.push(term);
                    }
                }
                (terms.len() >= 2).then_some(SynonymGroup { terms })
            })
            .collect();
        Self { groups }
    }

    /// The terms to add to `query`: for every group with a term in the query, the group's
    /// other terms (each term once).
    pub fn expand(&self, query: &str) -> Vec<String> {
        SynonymMatcher::new(self)
            .expand(query)
            .into_iter()
            .flatten()
            .collect()
    }
}

/// Word forms compared when matching a term against a query.
#[derive(Debug, Clone, PartialEq, Eq)]
struct WordKey {
    folded: String,
    english: String,
    indonesian: String,
}

impl WordKey {
    fn matches(&self, other: &WordKey) -> bool {
        self.folded == other.folded
            || self.english == other.english
            || self.indonesian == other.indonesian
    }
}

#[derive(Debug, Clone)]
enum TermPattern {
    Words(Vec<WordKey>),
    Han(String),
}

/// A [`Synonyms`] table prepared for matching queries.
#[derive(Clone)]
pub(crate) struct SynonymMatcher {
    groups: Vec<Vec<(String, TermPattern)>>,
    words: TextAnalyzer,
    english: frostem::Stemmer,
    indonesian: frostem::Stemmer,
}

impl SynonymMatcher {
    pub(crate) fn new(table: &Synonyms) -> Self {
        let mut matcher = Self {
            groups: Vec::new(),
            words: TextAnalyzer::builder(WordTokenizer)
                .filter(LowerCaser)
                .filter(AsciiFoldingFilter)
                .build(),
            english: frostem::Stemmer::new(frostem::Algorithm::English),
            indonesian: frostem::Stemmer::new(frostem::Algorithm::Indonesian),
        };
        let groups = table
            .groups
            .iter()
            .map(|group| {
                group
                    .terms
                    .iter()
                    .filter_map(|term| {
                        let pattern = if term.chars().any(is_han) {
                            TermPattern::Han(term.to_lowercase())
                        } else {
                            let keys = matcher.keys(term);
                            if keys.is_empty() {
                                return None;
                            }
                            TermPattern::Words(keys)
                        };
                        Some((term.clone(), pattern))
                    })
                    .collect()
            })
            .collect();
        matcher.groups = groups;
        matcher
    }

    fn keys(&self, text: &str) -> Vec<WordKey> {
        collect(&mut self.words.clone(), text)
            .into_iter()
            .map(|t| WordKey {
                english: self.english.stem(&t.text).into_owned(),
                indonesian: self.indonesian.stem(&t.text).into_owned(),
                folded: t.text,
            })
            .collect()
    }

    /// For each matching group, its terms that are not in the query.
    pub(crate) fn expand(&self, query: &str) -> Vec<Vec<String>> {
        let words = self.keys(query);
        let lower = query.to_lowercase();
        let present = |pattern: &TermPattern| match pattern {
            TermPattern::Han(text) => lower.contains(text.as_str()),
            TermPattern::Words(keys) => words
                .windows(keys.len())
                .any(|window| window.iter().zip(keys).all(|(a, b)| a.matches(b))),
        };
        let mut out = Vec::new();
        for group in &self.groups {
            let matched: Vec<bool> = group.iter().map(|(_, p)| present(p)).collect();
            if matched.iter().any(|m| *m) {
                let others: Vec<String> = group
                    .iter()
                    .zip(&matched)
                    .filter(|(_, m)| !**m)
                    .map(|((term, _), _)| term.clone())
                    .collect();
                if !others.is_empty() {
                    out.push(others);
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_table_parses() {
        let table = Synonyms::from_toml(DEFAULT_SYNONYMS_TOML).unwrap();
        assert!(table.groups.len() >= 40);
        assert_eq!(table, Synonyms::builtin());
        assert!(table.groups.iter().all(|g| g.terms.len() >= 2));
    }

    #[test]
    fn toml_round_trip_and_normalisation() {
        let table = Synonyms::from_groups([
            vec!["  a   b ".to_owned(), "c".to_owned(), "C".to_owned()],
            vec!["lonely".to_owned(), "".to_owned()],
        ]);
        assert_eq!(table.groups.len(), 1);
        assert_eq!(table.groups[0].terms, ["a b", "c"]);
        let again = Synonyms::from_toml(&table.to_toml().unwrap()).unwrap();
        assert_eq!(table, again);
        assert!(Synonyms::from_toml("group = 3").is_err());
    }

    #[test]
    fn matches_words_stems_and_han() {
        let table = Synonyms::from_groups([
            vec![
                "refund".to_owned(),
                "pengembalian dana".to_owned(),
                "退款".to_owned(),
            ],
            vec!["top up".to_owned(), "充值".to_owned()],
        ]);
        assert_eq!(table.expand("my refunds"), ["pengembalian dana", "退款"]);
        assert_eq!(table.expand("Pengembalian  DANA belum"), ["refund", "退款"]);
        assert_eq!(table.expand("退款没到账"), ["refund", "pengembalian dana"]);
        assert_eq!(table.expand("top up gagal"), ["充值"]);
        assert!(table.expand("topped").is_empty());
        assert!(table.expand("up top").is_empty());
    }
}
