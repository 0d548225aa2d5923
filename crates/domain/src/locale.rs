//! The three UI languages.

use serde::{Deserialize, Serialize};

/// A supported UI and content language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum Locale {
    /// English.
    #[default]
    #[serde(rename = "en")]
    En,
    /// Bahasa Indonesia.
    #[serde(rename = "id")]
    Id,
    /// Simplified Chinese.
    #[serde(rename = "zh-CN")]
    ZhCn,
}

impl Locale {
    /// Every supported locale, in menu order.
    pub const ALL: [Locale; 3] = [Locale::En, Locale::Id, Locale::ZhCn];

    /// BCP 47 tag.
    pub fn tag(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::Id => "id",
            Locale::ZhCn => "zh-CN",
        }
    }

    /// The language's own name, for the language switch.
    pub fn native_name(self) -> &'static str {
        match self {
            Locale::En => "English",
            Locale::Id => "Bahasa Indonesia",
            Locale::ZhCn => "简体中文",
        }
    }

    /// Parses a tag leniently: `id-ID`, `in`, `zh`, `zh-Hans`, `en-GB` all map to a supported locale.
    pub fn parse(tag: &str) -> Option<Locale> {
        let lower = tag.trim().to_ascii_lowercase();
        let primary = lower.split(['-', '_']).next().unwrap_or("");
        match primary {
            "en" => Some(Locale::En),
            "id" | "in" => Some(Locale::Id),
            // Traditional-script tags are not Simplified Chinese; do not pretend they are.
            "zh" if !(lower.contains("hant")
                || lower.ends_with("-tw")
                || lower.ends_with("-hk")) =>
            {
                Some(Locale::ZhCn)
            }
            _ => None,
        }
    }
}

impl Locale {
    /// Parses exactly one of the supported tags (`en`, `id`, `zh-CN`), for API input where
    /// a lenient match would hide a client's mistake.
    pub fn parse_exact(tag: &str, field: &str) -> Result<Locale, crate::ValidationError> {
        Locale::ALL
            .into_iter()
            .find(|l| l.tag() == tag)
            .ok_or_else(|| {
                crate::ValidationError::field(
                    field,
                    "invalid_value",
                    "locale must be one of en, id, zh-CN",
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_common_tags() {
        assert_eq!(Locale::parse("id-ID"), Some(Locale::Id));
        assert_eq!(Locale::parse("zh-Hans-CN"), Some(Locale::ZhCn));
        assert_eq!(Locale::parse("zh-TW"), None);
        assert_eq!(Locale::parse("en_GB"), Some(Locale::En));
        assert_eq!(Locale::parse("fr"), None);
    }
}
