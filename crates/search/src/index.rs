//! The in-memory help-center index.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{LazyLock, Mutex, MutexGuard, PoisonError, RwLock};

use domain::Locale;
use levenshtein_automata::{DFA, Distance, LevenshteinAutomatonBuilder, SINK_STATE};
use serde::{Deserialize, Serialize};
use tantivy::collector::TopDocs;
use tantivy::query::{
    BooleanQuery, BoostQuery, ConstScoreQuery, DisjunctionMaxQuery, Occur, Query, TermQuery,
};
use tantivy::schema::{
    Field, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions, Value,
};
use tantivy::snippet::SnippetGenerator;
use tantivy::tokenizer::{AsciiFoldingFilter, LowerCaser, TextAnalyzer};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, Searcher, TantivyDocument, Term};

use crate::Error;
use crate::analysis::{self, WordTokenizer, collect, is_han, is_latin_word, script_runs};
use crate::article::{Article, Category, Status, Visibility};
use crate::snippet::{leading_html, snippet_html};
use crate::synonyms::{SynonymMatcher, Synonyms};

/// Who is searching: customers and visitors see public articles, staff also internal ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Audience {
    /// Customers and anonymous visitors: public articles only.
    Public,
    /// Support staff: public and internal articles.
    Staff,
}

impl Audience {
    fn may_read(self, visibility: Visibility) -> bool {
        self == Audience::Staff || visibility == Visibility::Public
    }
}

/// One search result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hit {
    /// The article's slug.
    pub slug: String,
    /// The language of the translation found.
    pub locale: Locale,
    /// The title, as plain text (escape it when rendering).
    pub title: String,
    /// The article's category.
    pub category: Category,
    /// A passage of the body as HTML: text escaped, matched words in `<mark>…</mark>`. Safe
    /// to insert into a page as it is.
    pub snippet_html: String,
    /// Relevance; comparable only within one result list.
    pub score: f32,
}

/// One type-ahead suggestion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suggestion {
    /// The article's slug.
    pub slug: String,
    /// The language of the translation suggested.
    pub locale: Locale,
    /// The title, as plain text.
    pub title: String,
}

/// Longest query, in characters, that is analysed; the rest is ignored.
const MAX_QUERY_CHARS: usize = 200;
/// At most this many words of a query are searched for.
const MAX_QUERY_WORDS: usize = 24;
/// Most results one call returns.
const MAX_LIMIT: usize = 100;
/// Length of snippets, in characters.
const SNIPPET_CHARS: usize = 170;
/// Fuzzy candidates kept per query word and field.
const MAX_FUZZY_TERMS: usize = 6;

/// Field weights and the weights of approximate matches.
#[derive(Debug, Clone, Copy)]
struct Weights {
    title: f32,
    keywords: f32,
    body: f32,
    /// Multiplier for the Chinese bigram fields.
    bigram: f32,
    /// Multiplier for a word one edit away from the query's word.
    fuzzy1: f32,
    /// Multiplier for a word two edits away.
    fuzzy2: f32,
    /// Multiplier for a synonym of a query word.
    synonym: f32,
}

/// Chosen on the shipped query sets and on a second, private set of colloquial queries; the
/// differences between nearby values were small.
const WEIGHTS: Weights = Weights {
    title: 2.0,
    keywords: 2.5,
    body: 1.0,
    bigram: 0.8,
    fuzzy1: 0.5,
    fuzzy2: 0.3,
    synonym: 0.4,
};

/// The text fields of one analyzer.
#[derive(Debug, Clone, Copy)]
struct TextFields {
    title: Field,
    keywords: Field,
    body: Field,
}

impl TextFields {
    fn weighted(&self, scale: f32) -> [(Field, f32); 3] {
        [
            (self.title, WEIGHTS.title * scale),
            (self.keywords, WEIGHTS.keywords * scale),
            (self.body, WEIGHTS.body * scale),
        ]
    }
}

#[derive(Debug, Clone, Copy)]
struct Fields {
    /// `slug|locale`, the unique key used to replace a translation.
    key: Field,
    slug: Field,
    locale: Field,
    visibility: Field,
    category: Field,
    title: Field,
    body_text: Field,
    en: TextFields,
    id: TextFields,
    zh: TextFields,
    zh_bigram: TextFields,
}

impl Fields {
    fn text(&self, locale: Locale) -> TextFields {
        match locale {
            Locale::En => self.en,
            Locale::Id => self.id,
            Locale::ZhCn => self.zh,
        }
    }
}

fn build_schema() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let text = |tokenizer: &str| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(tokenizer)
                .set_index_option(IndexRecordOption::WithFreqs),
        )
    };
    let mut text_fields = |lang: &str, tokenizer: &str| TextFields {
        title: builder.add_text_field(&format!("title_{lang}"), text(tokenizer)),
        keywords: builder.add_text_field(&format!("keywords_{lang}"), text(tokenizer)),
        body: builder.add_text_field(&format!("body_{lang}"), text(tokenizer)),
    };
    let en = text_fields("en", analysis::EN);
    let id = text_fields("id", analysis::ID);
    let zh = text_fields("zh", analysis::ZH);
    let zh_bigram = text_fields("zh_bigram", analysis::ZH_BIGRAM);
    let fields = Fields {
        key: builder.add_text_field("key", STRING),
        slug: builder.add_text_field("slug", STRING | STORED),
        locale: builder.add_text_field("locale", STRING | STORED),
        visibility: builder.add_text_field("visibility", STRING),
        category: builder.add_text_field("category", STRING | STORED),
        title: builder.add_text_field("title", STORED),
        body_text: builder.add_text_field("body_text", STORED),
        en,
        id,
        zh,
        zh_bigram,
    };
    (builder.build(), fields)
}

/// What type-ahead needs of an indexed translation.
#[derive(Debug, Clone)]
struct Entry {
    locale: Locale,
    title: String,
    visibility: Visibility,
    /// Title lowercased and folded, words joined by single spaces.
    title_norm: String,
    /// Keywords, normalised the same way.
    keywords_norm: Vec<String>,
}

/// The help-center search index, in memory. Build it with [`HelpIndex::build`] from the
/// articles (at start, from the database) and keep it current with [`HelpIndex::upsert`] and
/// [`HelpIndex::remove`]. Only published articles are indexed; drafts given to `build` or
/// `upsert` are left out (and an article turned back into a draft is removed).
///
/// `HelpIndex` is `Send + Sync`: share it behind an `Arc`. Searches run concurrently; edits
/// are serialised.
///
/// Text is indexed in one set of fields per language (`title_en`, `keywords_en`, `body_en`,
/// …, plus character-bigram fields for Chinese), each with its language's analyzer; the slug,
/// locale, category and visibility are exact-match fields.
pub struct HelpIndex {
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    fields: Fields,
    synonyms: RwLock<(Synonyms, SynonymMatcher)>,
    entries: RwLock<BTreeMap<(String, &'static str), Entry>>,
    normaliser: TextAnalyzer,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl HelpIndex {
    /// Builds an index of `articles` (drafts skipped) with the default synonyms.
    pub fn build(articles: &[Article]) -> Result<Self, Error> {
        Self::build_with_synonyms(articles, Synonyms::builtin())
    }

    /// Builds an index of `articles` (drafts skipped) with the given synonyms table.
    pub fn build_with_synonyms(articles: &[Article], synonyms: Synonyms) -> Result<Self, Error> {
        let (schema, fields) = build_schema();
        let index = Index::create_in_ram(schema);
        analysis::register(index.tokenizers());
        // One indexing thread: the index is small and the machine has few cores.
        let writer = index.writer_with_num_threads(1, 50_000_000)?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let matcher = SynonymMatcher::new(&synonyms);
        let this = Self {
            reader,
            writer: Mutex::new(writer),
            fields,
            synonyms: RwLock::new((synonyms, matcher)),
            entries: RwLock::new(BTreeMap::new()),
            normaliser: TextAnalyzer::builder(WordTokenizer)
                .filter(LowerCaser)
                .filter(AsciiFoldingFilter)
                .build(),
        };
        this.replace_all(articles)?;
        Ok(this)
    }

    /// Replaces the whole content of the index with `articles` (drafts skipped).
    pub fn replace_all(&self, articles: &[Article]) -> Result<(), Error> {
        let mut writer = lock(&self.writer);
        writer.delete_all_documents()?;
        let mut entries = BTreeMap::new();
        for article in articles.iter().filter(|a| a.status == Status::Published) {
            writer.add_document(self.document(article))?;
            entries.insert(
                (article.slug.clone(), article.locale.tag()),
                self.entry(article),
            );
        }
        writer.commit()?;
        self.reader.reload()?;
        *self.entries.write().unwrap_or_else(PoisonError::into_inner) = entries;
        Ok(())
    }

    /// Adds or replaces one translation (keyed by slug and locale). A draft is removed from
    /// the index instead.
    pub fn upsert(&self, article: &Article) -> Result<(), Error> {
        let mut writer = lock(&self.writer);
        writer.delete_term(self.key_term(&article.slug, article.locale));
        let published = article.status == Status::Published;
        if published {
            writer.add_document(self.document(article))?;
        }
        writer.commit()?;
        self.reader.reload()?;
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        let key = (article.slug.clone(), article.locale.tag());
        if published {
            entries.insert(key, self.entry(article));
        } else {
            entries.remove(&key);
        }
        Ok(())
    }

    /// Removes one translation; returns whether it was indexed.
    pub fn remove(&self, slug: &str, locale: Locale) -> Result<bool, Error> {
        let mut writer = lock(&self.writer);
        writer.delete_term(self.key_term(slug, locale));
        writer.commit()?;
        self.reader.reload()?;
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        Ok(entries.remove(&(slug.to_owned(), locale.tag())).is_some())
    }

    /// Number of indexed (published) translations.
    pub fn len(&self) -> usize {
        self.entries
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// Whether nothing is indexed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The synonyms table in use.
    pub fn synonyms(&self) -> Synonyms {
        self.synonyms
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .0
            .clone()
    }

    /// Replaces the synonyms table; takes effect for the next query (nothing is re-indexed).
    pub fn set_synonyms(&self, synonyms: Synonyms) {
        let matcher = SynonymMatcher::new(&synonyms);
        *self
            .synonyms
            .write()
            .unwrap_or_else(PoisonError::into_inner) = (synonyms, matcher);
    }

    fn key_term(&self, slug: &str, locale: Locale) -> Term {
        Term::from_field_text(self.fields.key, &format!("{slug}|{}", locale.tag()))
    }

    fn document(&self, article: &Article) -> TantivyDocument {
        let f = &self.fields;
        let body = article.body_text();
        let keywords = article.keywords.join("\n");
        let mut doc = TantivyDocument::default();
        doc.add_text(f.key, format!("{}|{}", article.slug, article.locale.tag()));
        doc.add_text(f.slug, &article.slug);
        doc.add_text(f.locale, article.locale.tag());
        doc.add_text(f.visibility, article.visibility.as_str());
        doc.add_text(f.category, article.category.as_str());
        doc.add_text(f.title, &article.title);
        doc.add_text(f.body_text, &body);
        let mut add = |fields: TextFields| {
            doc.add_text(fields.title, &article.title);
            doc.add_text(fields.keywords, &keywords);
            doc.add_text(fields.body, &body);
        };
        add(f.text(article.locale));
        if article.locale == Locale::ZhCn {
            add(f.zh_bigram);
        }
        doc
    }

    fn entry(&self, article: &Article) -> Entry {
        Entry {
            locale: article.locale,
            title: article.title.clone(),
            visibility: article.visibility,
            title_norm: self.normalise(&article.title),
            keywords_norm: article.keywords.iter().map(|k| self.normalise(k)).collect(),
        }
    }

    /// Lowercases and folds `text`: Latin words and Han runs joined by single spaces, so that
    /// prefixes (and, for Chinese, substrings) can be matched.
    fn normalise(&self, text: &str) -> String {
        let mut parts = Vec::new();
        for (_, run, han) in script_runs(text) {
            if han {
                parts.push(run.to_owned());
            } else {
                parts.extend(
                    collect(&mut self.normaliser.clone(), run)
                        .into_iter()
                        .map(|t| t.text),
                );
            }
        }
        parts.join(" ")
    }

    /// Searches the published articles an audience may read.
    ///
    /// The query is analysed for each language with that language's analyzer and expanded with
    /// synonyms; Latin-script words of 4+ characters also match words one edit away (two for 8+
    /// characters), with less weight than exact matches. Results in `locale` come first, then
    /// other languages' translations of articles not already found, each part by relevance;
    /// each slug appears once. Any text is accepted: it is never parsed as query syntax, and
    /// empty or unmatched queries give an empty list. At most `limit` (≤ 100) hits.
    pub fn search(
        &self,
        query: &str,
        locale: Locale,
        audience: Audience,
        limit: usize,
    ) -> Result<Vec<Hit>, Error> {
        let limit = limit.min(MAX_LIMIT);
        let query = truncate_chars(query, MAX_QUERY_CHARS);
        if limit == 0 || query.trim().is_empty() {
            return Ok(Vec::new());
        }
        let expansions = {
            let guard = self.synonyms.read().unwrap_or_else(PoisonError::into_inner);
            guard.1.expand(query)
        };
        let searcher = self.reader.searcher();
        let mut hits = Vec::new();
        let mut seen: HashSet<String> = HashSet::new();
        let own = self.search_locale(&searcher, query, &expansions, locale, audience, limit)?;
        for hit in own {
            seen.insert(hit.slug.clone());
            hits.push(hit);
        }
        if hits.len() < limit {
            let mut others = Vec::new();
            for other in Locale::ALL.into_iter().filter(|l| *l != locale) {
                let wanted = limit - hits.len() + seen.len();
                others.extend(self.search_locale(
                    &searcher,
                    query,
                    &expansions,
                    other,
                    audience,
                    wanted,
                )?);
            }
            others.sort_by(|a, b| b.score.total_cmp(&a.score));
            for hit in others {
                if hits.len() >= limit {
                    break;
                }
                if seen.insert(hit.slug.clone()) {
                    hits.push(hit);
                }
            }
        }
        Ok(hits)
    }

    /// Searches the translations in one locale.
    fn search_locale(
        &self,
        searcher: &Searcher,
        query: &str,
        expansions: &[Vec<String>],
        locale: Locale,
        audience: Audience,
        limit: usize,
    ) -> Result<Vec<Hit>, Error> {
        let mut highlight: BTreeMap<String, f32> = BTreeMap::new();
        let Some(text_query) =
            self.text_query(searcher, query, expansions, locale, &mut highlight)?
        else {
            return Ok(Vec::new());
        };
        let f = &self.fields;
        let filter = |field: Field, value: &str| -> Box<dyn Query> {
            Box::new(ConstScoreQuery::new(
                Box::new(TermQuery::new(
                    Term::from_field_text(field, value),
                    IndexRecordOption::Basic,
                )),
                0.0,
            ))
        };
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![
            (Occur::Must, text_query),
            (Occur::Must, filter(f.locale, locale.tag())),
        ];
        if audience == Audience::Public {
            clauses.push((
                Occur::Must,
                filter(f.visibility, Visibility::Public.as_str()),
            ));
        }
        let full = BooleanQuery::new(clauses);
        let top = searcher.search(&full, &TopDocs::with_limit(limit.max(1)).order_by_score())?;
        if top.is_empty() {
            return Ok(Vec::new());
        }
        // The generator's limit counts bytes: a Chinese character takes three.
        let snippet_bytes = match locale {
            Locale::ZhCn => SNIPPET_CHARS * 2,
            _ => SNIPPET_CHARS,
        };
        let generator = SnippetGenerator::new(
            highlight,
            analysis::snippet_analyzer(locale),
            f.text(locale).body,
            snippet_bytes,
        );
        let mut hits = Vec::with_capacity(top.len());
        for (score, address) in top {
            let doc: TantivyDocument = searcher.doc(address)?;
            let text = |field: Field| {
                doc.get_first(field)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_owned()
            };
            let body = text(f.body_text);
            let snippet = snippet_html(&generator.snippet(&body), &body)
                .unwrap_or_else(|| leading_html(&body, SNIPPET_CHARS));
            let Some(category) = Category::parse(&text(f.category)) else {
                continue;
            };
            hits.push(Hit {
                slug: text(f.slug),
                locale,
                title: text(f.title),
                category,
                snippet_html: snippet,
                score,
            });
        }
        Ok(hits)
    }

    /// The scoring query for one locale's fields, or `None` when the query has no searchable
    /// word in that language. Collects the words to highlight in `highlight`.
    fn text_query(
        &self,
        searcher: &Searcher,
        query: &str,
        expansions: &[Vec<String>],
        locale: Locale,
        highlight: &mut BTreeMap<String, f32>,
    ) -> Result<Option<Box<dyn Query>>, Error> {
        // (analyzer, its fields, weight, whether its words are highlighted in snippets)
        let mut passes: Vec<(TextAnalyzer, TextFields, f32, bool)> = vec![(
            analysis::analyzer(locale),
            self.fields.text(locale),
            1.0,
            true,
        )];
        if locale == Locale::ZhCn {
            passes.push((
                analysis::bigram_analyzer(),
                self.fields.zh_bigram,
                WEIGHTS.bigram,
                false,
            ));
        }
        let mut should: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for (analyzer, fields, scale, primary) in &passes {
            let primary = *primary;
            let words = analyse_words(analyzer, query);
            for alternatives in words.iter().take(MAX_QUERY_WORDS) {
                if primary {
                    for word in alternatives {
                        highlight.insert(word.clone(), 1.0);
                    }
                }
                let clause = self.word_query(
                    searcher,
                    fields,
                    *scale,
                    alternatives,
                    true,
                    primary.then_some(&mut *highlight),
                )?;
                if let Some(clause) = clause {
                    should.push((Occur::Should, clause));
                }
            }
        }
        // Synonyms: per group, the best-matching alternative counts.
        for group in expansions {
            let mut disjuncts: Vec<Box<dyn Query>> = Vec::new();
            for term in group {
                for (analyzer, fields, scale, primary) in &passes {
                    let words = analyse_words(analyzer, term);
                    if words.is_empty() || words.len() > 4 {
                        continue;
                    }
                    let mut must: Vec<(Occur, Box<dyn Query>)> = Vec::new();
                    for alternatives in &words {
                        match self.word_query(
                            searcher,
                            fields,
                            *scale,
                            alternatives,
                            false,
                            None,
                        )? {
                            Some(q) => must.push((Occur::Must, q)),
                            None => {
                                must.clear();
                                break;
                            }
                        }
                    }
                    if must.is_empty() {
                        continue;
                    }
                    if *primary {
                        for alternatives in &words {
                            for word in alternatives {
                                highlight.entry(word.clone()).or_insert(0.5);
                            }
                        }
                    }
                    disjuncts.push(Box::new(BooleanQuery::new(must)));
                }
            }
            if !disjuncts.is_empty() {
                should.push((
                    Occur::Should,
                    Box::new(BoostQuery::new(
                        Box::new(DisjunctionMaxQuery::with_tie_breaker(disjuncts, 0.3)),
                        WEIGHTS.synonym,
                    )),
                ));
            }
        }
        if should.is_empty() {
            return Ok(None);
        }
        Ok(Some(Box::new(BooleanQuery::new(should))))
    }

    /// The query for one word of the query (with its alternative stems) over one analyzer's
    /// fields: per field, the best of the exact and (if `fuzzy`) approximate matches.
    fn word_query(
        &self,
        searcher: &Searcher,
        fields: &TextFields,
        scale: f32,
        alternatives: &[String],
        fuzzy: bool,
        mut highlight: Option<&mut BTreeMap<String, f32>>,
    ) -> Result<Option<Box<dyn Query>>, Error> {
        let mut per_field: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        // One automaton per word, used on every field.
        let automata: Vec<(&String, Option<DFA>)> = alternatives
            .iter()
            .map(|word| (word, if fuzzy { fuzzy_automaton(word) } else { None }))
            .collect();
        for (field, weight) in fields.weighted(scale) {
            let mut disjuncts: Vec<Box<dyn Query>> = Vec::new();
            let mut exact: HashSet<&str> = HashSet::new();
            for word in alternatives {
                exact.insert(word);
                disjuncts.push(boosted_term(field, word, weight));
            }
            for (word, automaton) in &automata {
                if let Some(dfa) = automaton {
                    for (candidate, distance) in fuzzy_terms(searcher, field, word, dfa)? {
                        if exact.contains(candidate.as_str()) {
                            continue;
                        }
                        let factor = if distance <= 1 {
                            WEIGHTS.fuzzy1
                        } else {
                            WEIGHTS.fuzzy2
                        };
                        if let Some(h) = highlight.as_deref_mut() {
                            h.entry(candidate.clone()).or_insert(0.5);
                        }
                        disjuncts.push(boosted_term(field, &candidate, weight * factor));
                    }
                }
            }
            if !disjuncts.is_empty() {
                per_field.push((
                    Occur::Should,
                    Box::new(DisjunctionMaxQuery::with_tie_breaker(disjuncts, 0.1)),
                ));
            }
        }
        if per_field.is_empty() {
            return Ok(None);
        }
        Ok(Some(Box::new(BooleanQuery::new(per_field))))
    }

    /// Type-ahead: titles (then keywords) starting with `prefix` or whose words start with the
    /// prefix's words, in `locale` first, then other languages; for Chinese, titles containing
    /// the prefix. Filled up with [`HelpIndex::search`] results when few titles match and the
    /// prefix has at least 3 characters. At most `limit` (≤ 100) suggestions, one per slug.
    pub fn suggest(
        &self,
        prefix: &str,
        locale: Locale,
        audience: Audience,
        limit: usize,
    ) -> Result<Vec<Suggestion>, Error> {
        let limit = limit.min(MAX_LIMIT);
        let prefix = truncate_chars(prefix, MAX_QUERY_CHARS);
        let wanted = self.normalise(prefix);
        if limit == 0 || wanted.is_empty() {
            return Ok(Vec::new());
        }
        let prefix_words: Vec<&str> = wanted.split(' ').collect();
        let mut ranked: Vec<(bool, u8, usize, String, Locale, String)> = Vec::new();
        {
            let entries = self.entries.read().unwrap_or_else(PoisonError::into_inner);
            for ((slug, _), entry) in entries.iter() {
                if !audience.may_read(entry.visibility) {
                    continue;
                }
                let tier = if entry.title_norm.starts_with(&wanted) {
                    Some(0)
                } else if text_matches_prefix(&entry.title_norm, &wanted, &prefix_words) {
                    Some(1)
                } else if entry.keywords_norm.iter().any(|k| {
                    k.starts_with(&wanted) || text_matches_prefix(k, &wanted, &prefix_words)
                }) {
                    Some(2)
                } else {
                    None
                };
                if let Some(tier) = tier {
                    ranked.push((
                        entry.locale != locale,
                        tier,
                        entry.title.chars().count(),
                        slug.clone(),
                        entry.locale,
                        entry.title.clone(),
                    ));
                }
            }
        }
        ranked.sort_by(|a, b| (a.0, a.1, a.2, &a.3).cmp(&(b.0, b.1, b.2, &b.3)));
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for (_, _, _, slug, entry_locale, title) in ranked {
            if out.len() >= limit {
                break;
            }
            if seen.insert(slug.clone()) {
                out.push(Suggestion {
                    slug,
                    locale: entry_locale,
                    title,
                });
            }
        }
        if out.len() < limit && prefix.trim().chars().count() >= 3 {
            for hit in self.search(prefix, locale, audience, limit)? {
                if out.len() >= limit {
                    break;
                }
                if seen.insert(hit.slug.clone()) {
                    out.push(Suggestion {
                        slug: hit.slug,
                        locale: hit.locale,
                        title: hit.title,
                    });
                }
            }
        }
        Ok(out)
    }
}

/// Whether a normalised text matches a type-ahead prefix word by word: every prefix word but
/// the last is a word of the text, the last starts a word of the text. For Han text, whether
/// the text contains the prefix.
fn text_matches_prefix(text: &str, wanted: &str, prefix_words: &[&str]) -> bool {
    if wanted.chars().any(is_han) {
        return text.contains(wanted);
    }
    let words: Vec<&str> = text.split(' ').collect();
    let Some((last, complete)) = prefix_words.split_last() else {
        return false;
    };
    complete.iter().all(|p| words.contains(p)) && words.iter().any(|w| w.starts_with(last))
}

fn boosted_term(field: Field, text: &str, weight: f32) -> Box<dyn Query> {
    let query = Box::new(TermQuery::new(
        Term::from_field_text(field, text),
        IndexRecordOption::WithFreqs,
    ));
    if (weight - 1.0).abs() < f32::EPSILON {
        query
    } else {
        Box::new(BoostQuery::new(query, weight))
    }
}

/// Analyses text and groups the tokens by position: each entry is one word with its
/// alternative forms.
fn analyse_words(analyzer: &TextAnalyzer, text: &str) -> Vec<Vec<String>> {
    let mut words: Vec<(usize, Vec<String>)> = Vec::new();
    for token in collect(&mut analyzer.clone(), text) {
        match words.last_mut() {
            Some((position, forms)) if *position == token.position => {
                if !forms.contains(&token.text) {
                    forms.push(token.text);
                }
            }
            _ => {
                if words.iter().any(|(_, forms)| forms.contains(&token.text)) {
                    continue;
                }
                words.push((token.position, vec![token.text]));
            }
        }
    }
    words.into_iter().map(|(_, forms)| forms).collect()
}

fn truncate_chars(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((i, _)) => &text[..i],
        None => text,
    }
}

static LEVENSHTEIN_1: LazyLock<LevenshteinAutomatonBuilder> =
    LazyLock::new(|| LevenshteinAutomatonBuilder::new(1, true));
static LEVENSHTEIN_2: LazyLock<LevenshteinAutomatonBuilder> =
    LazyLock::new(|| LevenshteinAutomatonBuilder::new(2, true));

/// A Levenshtein DFA as an automaton over the term dictionary.
struct DfaAutomaton<'a>(&'a DFA);

impl tantivy_fst::Automaton for DfaAutomaton<'_> {
    type State = u32;

    fn start(&self) -> u32 {
        self.0.initial_state()
    }

    fn is_match(&self, state: &u32) -> bool {
        matches!(self.0.distance(*state), Distance::Exact(_))
    }

    fn can_match(&self, state: &u32) -> bool {
        *state != SINK_STATE
    }

    fn accept(&self, state: &u32, byte: u8) -> u32 {
        self.0.transition(*state, byte)
    }
}

/// The typo-tolerance automaton for a query word: words within edit distance 1 of a
/// Latin-script word of 4–7 characters, within 2 of one of 8 or more (a transposition counts
/// as one edit); `None` for other words.
fn fuzzy_automaton(word: &str) -> Option<DFA> {
    if !is_latin_word(word) {
        return None;
    }
    let builder = match word.len() {
        0..4 => return None,
        4..8 => &*LEVENSHTEIN_1,
        _ => &*LEVENSHTEIN_2,
    };
    Some(builder.build_dfa(word))
}

/// Indexed words of `field` that `dfa` (from [`fuzzy_automaton`] for `word`) accepts, other
/// than `word` itself, with their distance; the closest and most frequent first, at most
/// [`MAX_FUZZY_TERMS`].
fn fuzzy_terms(
    searcher: &Searcher,
    field: Field,
    word: &str,
    dfa: &DFA,
) -> Result<Vec<(String, u8)>, Error> {
    let mut found: HashMap<String, (u8, u64)> = HashMap::new();
    for segment in searcher.segment_readers() {
        let inverted = segment.inverted_index(field)?;
        let mut stream = inverted
            .terms()
            .search(DfaAutomaton(dfa))
            .into_stream()
            .map_err(|e| Error::Index(e.into()))?;
        while stream.advance() {
            let Ok(text) = std::str::from_utf8(stream.key()) else {
                continue;
            };
            if text == word {
                continue;
            }
            let Distance::Exact(distance) = dfa.eval(text) else {
                continue;
            };
            let doc_freq = u64::from(stream.value().doc_freq);
            let slot = found.entry(text.to_owned()).or_insert((distance, 0));
            slot.1 += doc_freq;
        }
    }
    let mut found: Vec<(String, (u8, u64))> = found.into_iter().collect();
    found.sort_by(|a, b| {
        a.1.0
            .cmp(&b.1.0)
            .then(b.1.1.cmp(&a.1.1))
            .then(a.0.cmp(&b.0))
    });
    Ok(found
        .into_iter()
        .take(MAX_FUZZY_TERMS)
        .map(|(text, (distance, _))| (text, distance))
        .collect())
}
