//! Help-center articles and votes as storage sees them.
//!
//! The search crate owns the rich `Article` type (categories, parsing, the index) and depends
//! on this crate, so storage works with this plain form instead; the server and the CLI
//! convert between the two.

use crate::locale::Locale;

/// One translation of a help-center article, with its enumerations as their stored
/// spellings (`account-and-sign-in`, `public`, `published`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredArticle {
    /// Shared by the translations of one article.
    pub slug: String,
    /// Language of this translation.
    pub locale: Locale,
    /// Title, plain text.
    pub title: String,
    /// Category spelling.
    pub category: String,
    /// `public` or `internal`.
    pub visibility: String,
    /// `draft` or `published`.
    pub status: String,
    /// Slugs of related articles.
    pub related: Vec<String>,
    /// Extra search words.
    pub keywords: Vec<String>,
    /// Markdown body.
    pub body: String,
    /// Last change, µs since the epoch; `None` when the source gave none, so that importing
    /// and exporting a file gives back the same file.
    pub updated_at_us: Option<i64>,
}

/// A reader's verdict on one translation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelpVote {
    /// The article.
    pub slug: String,
    /// The translation read.
    pub locale: Locale,
    /// Helpful or not.
    pub helpful: bool,
    /// Optional free text (at most [`MAX_VOTE_COMMENT_CHARS`]).
    pub comment: Option<String>,
    /// When, µs since the epoch.
    pub created_at_us: i64,
}

/// Longest vote comment accepted, in characters.
pub const MAX_VOTE_COMMENT_CHARS: usize = 1000;

/// Helpful and not-helpful counts of one article (all translations).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoteTally {
    /// The article.
    pub slug: String,
    /// Helpful votes.
    pub helpful: i64,
    /// Not-helpful votes.
    pub not_helpful: i64,
}

/// What saving an article did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaveOutcome {
    /// A new translation.
    Created,
    /// An existing translation changed.
    Updated,
    /// The stored translation was already equal.
    Unchanged,
}
