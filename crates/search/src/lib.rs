//! paydesk's help-center search.
//!
//! - [`Article`], [`parse_article_file`] and [`load_kb_dir`]: the knowledge base's Markdown
//!   files with front matter (`kb/articles/<slug>.<locale>.md`).
//! - [`analysis`]: one analyzer per language, registered as tantivy tokenizers — jieba word
//!   segmentation (search mode) plus character bigrams for Chinese, Snowball stemming with
//!   ASCII folding for Indonesian and English.
//! - [`Synonyms`]: groups of equivalent words across languages, applied at query time; the
//!   default table ships in `src/synonyms.toml`.
//! - [`HelpIndex`]: an in-memory tantivy index of the published articles with
//!   [`HelpIndex::search`] (own language first, typo tolerant, escaped `<mark>` snippets,
//!   internal articles for staff only), [`HelpIndex::suggest`] for type-ahead, and
//!   [`HelpIndex::upsert`] / [`HelpIndex::remove`] to follow edits.
//! - [`evaluate`] and [`load_queries`]: Recall@1, Recall@3 and MRR per language over a
//!   labelled query set, for `paydesk bench search`.
//!
//! The crate does no network IO and needs no files at run time (jieba's dictionary and the
//! synonyms are embedded); it reads the file system only in [`load_kb_dir`] and
//! [`load_queries`].

pub mod analysis;
mod article;
mod eval;
mod index;
mod snippet;
mod synonyms;

pub use article::{
    Article, Category, Status, Visibility, load_kb_dir, markdown_to_text, parse_article_file,
};
pub use domain::Locale;
pub use eval::{
    Evaluation, LabelledQuery, LocaleScores, Miss, evaluate, load_queries, parse_queries,
};
pub use index::{Audience, HelpIndex, Hit, Suggestion};
pub use snippet::escape_html;
pub use synonyms::{DEFAULT_SYNONYMS_TOML, SynonymGroup, Synonyms};

/// What can go wrong in this crate.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An article file that cannot be read as an article.
    #[error("{file}: field `{field}`: {message}")]
    Article {
        /// The file (path or name) as given.
        file: String,
        /// The front-matter field at fault (`front matter` for the layout itself).
        field: String,
        /// What is wrong.
        message: String,
    },
    /// A line of a labelled query set that cannot be read.
    #[error("{file}:{line}: {message}")]
    Queries {
        /// The file as given.
        file: String,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A synonyms table that cannot be read or written.
    #[error("synonyms: {0}")]
    Synonyms(String),
    /// A file or directory that cannot be read.
    #[error("{path}: {source}")]
    Io {
        /// The path as given.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The search index failed (in memory, so this means a bug or memory exhaustion).
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
}
