//! UI text in English, Indonesian and Simplified Chinese from Fluent message catalogues
//! (`locales/*.ftl`), compiled into the binary.

use domain::Locale;
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};
use std::collections::HashMap;
use std::sync::Arc;

const CATALOGUES: [(Locale, &str); 3] = [
    (Locale::En, include_str!("../locales/en.ftl")),
    (Locale::Id, include_str!("../locales/id.ftl")),
    (Locale::ZhCn, include_str!("../locales/zh-CN.ftl")),
];

/// The loaded catalogues.
pub struct I18n {
    bundles: HashMap<Locale, FluentBundle<FluentResource>>,
}

impl I18n {
    /// Parses every catalogue; a syntax error in one is a startup error, not a blank page.
    pub fn load() -> anyhow::Result<Self> {
        let mut bundles = HashMap::new();
        for (locale, source) in CATALOGUES {
            let resource = FluentResource::try_new(source.to_owned())
                .map_err(|(_, errs)| anyhow::anyhow!("{} catalogue: {errs:?}", locale.tag()))?;
            let lang = locale
                .tag()
                .parse()
                .map_err(|e| anyhow::anyhow!("language tag {}: {e:?}", locale.tag()))?;
            let mut bundle = FluentBundle::new_concurrent(vec![lang]);
            // Isolation marks (U+2068/U+2069) would show up inside HTML attributes.
            bundle.set_use_isolating(false);
            bundle
                .add_resource(resource)
                .map_err(|errs| anyhow::anyhow!("{} catalogue: {errs:?}", locale.tag()))?;
            bundles.insert(locale, bundle);
        }
        Ok(Self { bundles })
    }

    /// The message `key` in `locale`, falling back to English, then to the key itself.
    pub fn message(&self, locale: Locale, key: &str, args: Option<&FluentArgs>) -> String {
        for l in [locale, Locale::En] {
            if let Some(bundle) = self.bundles.get(&l)
                && let Some(pattern) = bundle.get_message(key).and_then(|m| m.value())
            {
                let mut errors = Vec::new();
                return bundle
                    .format_pattern(pattern, args, &mut errors)
                    .into_owned();
            }
        }
        key.to_owned()
    }

    /// Message ids defined in one locale's catalogue.
    pub fn keys(&self, locale: Locale) -> Vec<String> {
        let source = CATALOGUES
            .iter()
            .find(|(l, _)| *l == locale)
            .map_or("", |(_, s)| s);
        source
            .lines()
            .filter_map(|l| l.split_once(" =").map(|(k, _)| k.trim()))
            .filter(|k| {
                !k.is_empty() && !k.starts_with('#') && !k.starts_with(' ') && !k.contains(' ')
            })
            .map(str::to_owned)
            .collect()
    }
}

/// A translator bound to one request's locale; templates call `tr.t("key")`.
#[derive(Clone)]
pub struct Tr {
    /// The request's locale.
    pub locale: Locale,
    i18n: Arc<I18n>,
}

impl Tr {
    /// Binds the catalogues to a locale.
    pub fn new(i18n: Arc<I18n>, locale: Locale) -> Self {
        Self { locale, i18n }
    }

    /// A message without arguments.
    pub fn t(&self, key: &str) -> String {
        self.i18n.message(self.locale, key, None)
    }

    /// A message with one string argument `$name`.
    pub fn t1(&self, key: &str, name: &str, value: &str) -> String {
        let mut args = FluentArgs::new();
        args.set(name.to_owned(), value.to_owned());
        self.i18n.message(self.locale, key, Some(&args))
    }

    /// A message with several arguments.
    pub fn with_args(&self, key: &str, args: &FluentArgs) -> String {
        self.i18n.message(self.locale, key, Some(args))
    }

    /// The BCP 47 tag for `<html lang>`.
    pub fn lang(&self) -> &'static str {
        self.locale.tag()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_locale_has_every_message() {
        let i18n = I18n::load().unwrap();
        let en = i18n.keys(Locale::En);
        assert!(en.len() > 30, "catalogue unexpectedly small: {}", en.len());
        for locale in [Locale::Id, Locale::ZhCn] {
            let other = i18n.keys(locale);
            let missing: Vec<_> = en.iter().filter(|k| !other.contains(k)).collect();
            let extra: Vec<_> = other.iter().filter(|k| !en.contains(k)).collect();
            assert!(missing.is_empty(), "{} lacks {missing:?}", locale.tag());
            assert!(extra.is_empty(), "{} has unknown {extra:?}", locale.tag());
        }
    }

    #[test]
    fn translations_differ_and_take_arguments() {
        let i18n = Arc::new(I18n::load().unwrap());
        let en = Tr::new(i18n.clone(), Locale::En);
        let id = Tr::new(i18n.clone(), Locale::Id);
        let zh = Tr::new(i18n, Locale::ZhCn);
        assert_ne!(en.t("signin-title"), id.t("signin-title"));
        assert_ne!(en.t("signin-title"), zh.t("signin-title"));
        assert!(en.t1("home-greeting", "name", "Siti").contains("Siti"));
        assert_eq!(en.t("no-such-key"), "no-such-key");
    }
}
