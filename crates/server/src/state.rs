//! Shared application state handed to every handler.

use crate::auth::Passwords;
use crate::config::Config;
use crate::i18n::I18n;
use crate::metrics::Metrics;
use domain::repo::Repository;
use std::sync::Arc;

/// Everything a handler may need. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// Storage.
    pub repo: Arc<dyn Repository>,
    /// Effective configuration.
    pub config: Arc<Config>,
    /// UI message catalogues.
    pub i18n: Arc<I18n>,
    /// Prometheus registry.
    pub metrics: Metrics,
    /// Password hashing.
    pub passwords: Passwords,
    /// The OpenAPI document, built once.
    pub openapi: Arc<utoipa::openapi::OpenApi>,
    /// The help-center search index (in memory, locked inside; empty until
    /// [`AppState::load_help_index`] fills it from the database).
    pub help: Arc<search::HelpIndex>,
    /// Uploaded files (attachments, evidence).
    pub files: Arc<dyn domain::files::FileStore>,
}

impl AppState {
    /// Builds the state for a repository and configuration.
    pub fn new(repo: Arc<dyn Repository>, config: Config) -> anyhow::Result<Self> {
        // Bad complaint deadline tiers stop the start instead of failing each filing.
        config
            .complaints
            .deadlines
            .check()
            .map_err(|e| anyhow::anyhow!("complaints.deadlines: {e}"))?;
        let files = Arc::new(store::files::LocalFiles::open(&config.files.dir)?);
        let passwords =
            Passwords::new(config.auth.argon2_memory_kib, config.auth.argon2_iterations)?;
        Ok(Self {
            repo,
            config: Arc::new(config),
            i18n: Arc::new(I18n::load()?),
            metrics: Metrics::default(),
            passwords,
            openapi: Arc::new(crate::api::openapi()),
            help: Arc::new(search::HelpIndex::build(&[])?),
            files,
        })
    }

    /// Rebuilds the help-center index from the database (at start, and after bulk imports).
    /// Returns the number of indexed translations.
    pub async fn load_help_index(&self) -> anyhow::Result<usize> {
        crate::help::reload_index(self.repo.as_ref(), &self.help).await
    }
}
