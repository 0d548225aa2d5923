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

#[cfg(test)]
// figment's Jail closures return figment::Error by design.
#[allow(clippy::result_large_err)]
mod tests {
    use super::*;

    #[test]
    fn defaults_then_file_then_environment_then_flags() {
        figment::Jail::expect_with(|jail| {
            let none = load(&Overrides::default()).map_err(|e| e.to_string())?;
            assert_eq!(none.server.bind, "127.0.0.1:8080");
            assert_eq!(none.database.url, "sqlite://paydesk.db");

            jail.create_file(
                "paydesk.toml",
                "[server]\nbind = \"0.0.0.0:9000\"\nrequest_timeout_secs = 5\n[database]\nurl = \"sqlite://from-file.db\"\n",
            )?;
            let file = load(&Overrides::default()).map_err(|e| e.to_string())?;
            assert_eq!(file.server.bind, "0.0.0.0:9000");
            assert_eq!(file.server.request_timeout_secs, 5);

            jail.set_env("PAYDESK__SERVER__BIND", "127.0.0.1:7000");
            jail.set_env(
                "PAYDESK__DATABASE__URL",
                "postgres://paydesk:hunter2@db/paydesk",
            );
            let env = load(&Overrides::default()).map_err(|e| e.to_string())?;
            assert_eq!(env.server.bind, "127.0.0.1:7000");
            assert_eq!(
                env.server.request_timeout_secs, 5,
                "file values not overridden stay"
            );
            assert!(env.database.url.starts_with("postgres://"));

            let flags = load(&Overrides {
                bind: Some("127.0.0.1:6000".into()),
                database_url: Some("sqlite://flag.db".into()),
                ..Overrides::default()
            })
            .map_err(|e| e.to_string())?;
            assert_eq!(flags.server.bind, "127.0.0.1:6000");
            assert_eq!(flags.database.url, "sqlite://flag.db");
            Ok(())
        });
    }

    #[test]
    fn config_show_redacts_secrets() {
        let mut config = Config::default();
        config.database.url = "postgres://paydesk:hunter2@db:5432/paydesk".into();
        let shown = show(&config).unwrap();
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("postgres://paydesk:***@db:5432/paydesk"));
        assert!(shown.contains("[server]"));
    }

    #[test]
    fn bad_configuration_is_a_clear_error() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("paydesk.toml", "[server]\nbind = 5\n")?;
            let err = load(&Overrides::default()).unwrap_err();
            assert!(format!("{err:#}").contains("bind"), "{err:#}");
            jail.create_file("paydesk.toml", "[serverr]\nbind = \"x\"\n")?;
            assert!(
                load(&Overrides::default()).is_err(),
                "unknown sections are typos"
            );
            jail.create_file("paydesk.toml", "")?;
            jail.set_env("DATABASE_URL_UNUSED", "1");
            let err = load(&Overrides {
                database_url: Some("mysql://x".into()),
                ..Overrides::default()
            })
            .unwrap_err();
            assert!(format!("{err:#}").contains("sqlite"), "{err:#}");
            let missing = load(&Overrides {
                config_file: Some("nope.toml".into()),
                ..Overrides::default()
            });
            assert!(missing.is_err());
            Ok(())
        });
    }
}
