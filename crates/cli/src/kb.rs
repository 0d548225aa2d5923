//! `paydesk kb import DIR` and `paydesk kb export DIR`: help-center articles as Markdown
//! files with front matter (`<slug>.<locale>.md`), read and written by the search crate so
//! the file format has one definition.

use anyhow::Context;
use domain::help::SaveOutcome;
use domain::repo::Repository;
use indicatif::{ProgressBar, ProgressStyle};
use std::path::{Path, PathBuf};

/// What an import changed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ImportSummary {
    /// New translations.
    pub created: usize,
    /// Changed translations.
    pub updated: usize,
    /// Translations already stored as they are in the files.
    pub unchanged: usize,
}

impl std::fmt::Display for ImportSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} created, {} updated, {} unchanged",
            self.created, self.updated, self.unchanged
        )
    }
}

/// The directory holding the article files: `dir` itself, or `dir/articles` when `dir` is
/// a whole knowledge base (`paydesk kb import kb` works as well as `kb/articles`).
fn articles_dir(dir: &Path) -> PathBuf {
    let nested = dir.join("articles");
    if nested.is_dir() {
        nested
    } else {
        dir.to_path_buf()
    }
}

fn bar(len: usize, message: &'static str, visible: bool) -> ProgressBar {
    if !visible {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len as u64);
    bar.set_style(
        ProgressStyle::with_template("{msg:>10} [{bar:40}] {pos}/{len}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_message(message);
    bar
}

/// Imports every article file of `dir`. All files are parsed before anything is written,
/// so a broken file changes nothing.
pub async fn import(
    repo: &dyn Repository,
    dir: &Path,
    progress: bool,
) -> anyhow::Result<ImportSummary> {
    let dir = articles_dir(dir);
    let articles = search::load_kb_dir(&dir)
        .with_context(|| format!("reading articles from {}", dir.display()))?;
    let bar = bar(articles.len(), "articles", progress);
    let mut summary = ImportSummary::default();
    for article in &articles {
        match repo
            .save_help_article(&server::help::to_stored(article))
            .await
            .with_context(|| format!("saving {}", article.file_name()))?
        {
            SaveOutcome::Created => summary.created += 1,
            SaveOutcome::Updated => summary.updated += 1,
            SaveOutcome::Unchanged => summary.unchanged += 1,
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok(summary)
}

/// Writes every stored article to `dir` (created if missing) as `<slug>.<locale>.md`;
/// returns how many files were written.
pub async fn export(repo: &dyn Repository, dir: &Path, progress: bool) -> anyhow::Result<usize> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let articles = server::help::load_articles(repo).await?;
    let bar = bar(articles.len(), "articles", progress);
    for article in &articles {
        let path = dir.join(article.file_name());
        std::fs::write(&path, article.to_file_text())
            .with_context(|| format!("writing {}", path.display()))?;
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok(articles.len())
}

/// The repository's own knowledge base, when paydesk runs from a checkout (the demo).
pub fn bundled_kb_dir() -> Option<PathBuf> {
    [
        PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../kb/articles")),
        PathBuf::from("kb/articles"),
    ]
    .into_iter()
    .find(|p| p.is_dir())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use store::{Store, StoreOptions};

    async fn store() -> Store {
        let url = store::testing::fresh_database_url().await.unwrap();
        Store::open(&StoreOptions {
            sqlite_full_sync: false,
            ..StoreOptions::new(url, 2)
        })
        .await
        .unwrap()
    }

    fn files(dir: &Path) -> Vec<(String, String)> {
        let mut out: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "md") && !p.ends_with("README.md"))
            .map(|p| {
                (
                    p.file_name().unwrap().to_string_lossy().into_owned(),
                    std::fs::read_to_string(&p).unwrap(),
                )
            })
            .collect();
        out.sort();
        out
    }

    #[tokio::test]
    async fn import_export_round_trip_gives_identical_files() {
        let kb = bundled_kb_dir().expect("the repository's kb/articles");
        let db = store().await;
        let first = import(&db, &kb, false).await.unwrap();
        let originals = files(&kb);
        assert_eq!(first.created, originals.len());
        assert_eq!((first.updated, first.unchanged), (0, 0));
        // A second import changes nothing.
        let again = import(&db, &kb, false).await.unwrap();
        assert_eq!(again.unchanged, originals.len());
        assert_eq!(
            again.to_string(),
            format!("0 created, 0 updated, {} unchanged", originals.len())
        );

        let out = std::env::temp_dir().join(format!("paydesk-kb-{}", uuid::Uuid::now_v7()));
        assert_eq!(export(&db, &out, false).await.unwrap(), originals.len());
        let exported = files(&out);
        assert_eq!(exported.len(), originals.len());
        for ((name_a, text_a), (name_b, text_b)) in originals.iter().zip(&exported) {
            assert_eq!(name_a, name_b);
            assert_eq!(text_a, text_b, "{name_a} differs after import and export");
        }
        // An edited file is reported as updated.
        let (name, text) = &exported[0];
        std::fs::write(
            out.join(name),
            text.replacen("\n---\n", "\n---\nEdited.\n\n", 1),
        )
        .unwrap();
        let edited = import(&db, &out, false).await.unwrap();
        assert_eq!((edited.created, edited.updated), (0, 1));
        std::fs::remove_dir_all(&out).unwrap();
    }
}
