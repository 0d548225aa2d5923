//! Layered configuration: defaults, then `paydesk.toml`, then `PAYDESK__SECTION__KEY`
//! environment variables (and `DATABASE_URL`), then command-line flags.

use anyhow::Context;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use server::Config;
use std::path::PathBuf;

/// Values given on the command line (highest precedence).
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    /// `--config FILE`; without it `./paydesk.toml` is read when present.
    pub config_file: Option<PathBuf>,
    /// `--database-url` or `DATABASE_URL`.
    pub database_url: Option<String>,
    /// `--log-format`.
    pub log_format: Option<String>,
    /// `--bind`.
    pub bind: Option<String>,
}

/// Builds the effective configuration.
pub fn load(o: &Overrides) -> anyhow::Result<Config> {
    let mut figment = Figment::from(Serialized::defaults(Config::default()));
    match &o.config_file {
        Some(path) => {
            anyhow::ensure!(
                path.exists(),
                "configuration file {} does not exist",
                path.display()
            );
            figment = figment.merge(Toml::file(path));
        }
        None => figment = figment.merge(Toml::file("paydesk.toml")),
    }
    figment = figment.merge(Env::prefixed("PAYDESK__").split("__"));
    if let Some(url) = &o.database_url {
        figment = figment.merge(Serialized::default("database.url", url));
    }
    if let Some(format) = &o.log_format {
        figment = figment.merge(Serialized::default("log.format", format));
    }
    if let Some(bind) = &o.bind {
        figment = figment.merge(Serialized::default("server.bind", bind));
    }
    let config: Config = figment.extract().context("reading configuration")?;
    anyhow::ensure!(
        config.log.format == "text" || config.log.format == "json",
        "log.format must be \"text\" or \"json\", not {:?}",
        config.log.format
    );
    store::Backend::from_url(&config.database.url)?;
    Ok(config)
}

/// The effective configuration as TOML with secrets redacted.
pub fn show(config: &Config) -> anyhow::Result<String> {
    Ok(toml::to_string_pretty(&config.redacted())?)
}
