//! The two languages: which one a URL is in, the UI strings (Fluent files in `locales/`), and
//! the first-visit guess from `Accept-Language`.

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

/// A language of the shop. English lives at `/…`, Arabic at `/ar/…`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum Lang {
    /// English, left to right; the default.
    #[default]
    En,
    /// Arabic, right to left.
    Ar,
}

impl Lang {
    /// Both languages, English first.
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Ar];

    /// The BCP 47 code (`<html lang>`, `hreflang`, the API's `lang`).
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ar => "ar",
        }
    }

    /// The writing direction (`<html dir>`).
    pub fn dir(self) -> &'static str {
        match self {
            Lang::En => "ltr",
            Lang::Ar => "rtl",
        }
    }

    /// The language's own name, for the switcher.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Ar => "العربية",
        }
    }

    /// The language of a code, if it is one of ours.
    pub fn from_code(code: &str) -> Option<Lang> {
        match code {
            "en" => Some(Lang::En),
            "ar" => Some(Lang::Ar),
            _ => None,
        }
    }

    /// The language a path is in: `/ar` and `/ar/…` are Arabic, everything else English.
    pub fn of_path(path: &str) -> Lang {
        if path == "/ar" || path.starts_with("/ar/") { Lang::Ar } else { Lang::En }
    }

    /// A path without its language prefix (`/ar/c/tea` → `/c/tea`, `/ar` → `/`).
    pub fn strip(path: &str) -> &str {
        match Lang::of_path(path) {
            Lang::En => path,
            Lang::Ar if path == "/ar" => "/",
            Lang::Ar => &path[3..],
        }
    }

    /// A language-neutral path (`/c/tea`, `/`) in this language (`/ar/c/tea`, `/ar`).
    pub fn path(self, neutral: &str) -> String {
        match (self, neutral) {
            (Lang::En, _) => neutral.to_owned(),
            (Lang::Ar, "/") => "/ar".to_owned(),
            (Lang::Ar, _) => format!("/ar{neutral}"),
        }
    }

    /// The UI string `key` in this language.
    pub fn t(self, key: &str) -> String {
        self.format(key, None)
    }

    /// The UI string `key` with arguments (`{ $count }` and the like).
    pub fn t_with(self, key: &str, args: &[(&str, FluentValue<'_>)]) -> String {
        let mut fluent_args = FluentArgs::new();
        for (name, value) in args {
            fluent_args.set(*name, value.clone());
        }
        self.format(key, Some(&fluent_args))
    }

    fn format(self, key: &str, args: Option<&FluentArgs<'_>>) -> String {
        let bundle = &bundles()[self as usize];
        let Some(pattern) = bundle.get_message(key).and_then(|m| m.value()) else {
            // A missing string shows its key (and a unit test keeps the files complete).
            return key.to_owned();
        };
        let mut errors = Vec::new();
        bundle.format_pattern(pattern, args, &mut errors).into_owned()
    }
}

/// The Fluent sources, compiled in.
const SOURCES: [(Lang, &str); 2] = [(Lang::En, include_str!("../locales/en.ftl")), (Lang::Ar, include_str!("../locales/ar.ftl"))];

fn bundles() -> &'static [FluentBundle<FluentResource>; 2] {
    static BUNDLES: OnceLock<[FluentBundle<FluentResource>; 2]> = OnceLock::new();
    BUNDLES.get_or_init(|| SOURCES.map(|(lang, source)| bundle(lang, source)))
}

fn bundle(lang: Lang, source: &str) -> FluentBundle<FluentResource> {
    let id: unic_langid::LanguageIdentifier = lang.code().parse().expect("a valid language code");
    let mut bundle = FluentBundle::new_concurrent(vec![id]);
    // Numbers are formatted by `format`, and the page sets the direction: no isolation marks.
    bundle.set_use_isolating(false);
    let resource = FluentResource::try_new(source.to_owned()).unwrap_or_else(|(resource, _)| resource);
    bundle.add_resource(resource).ok();
    bundle
}

/// The language of the page being shown (from its path; switching is a full navigation).
pub fn use_lang() -> Lang {
    leptos::prelude::use_context::<Lang>().unwrap_or_default()
}

/// The language a first visit most likely wants, from `Accept-Language` (`None` when the
/// header names neither of ours).
pub fn guess(accept_language: &str) -> Option<Lang> {
    let mut best: Option<(Lang, f32)> = None;
    for item in accept_language.split(',') {
        let mut parts = item.split(';');
        let tag = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let quality = parts.find_map(|p| p.trim().strip_prefix("q=").map(|q| q.trim().parse::<f32>().unwrap_or(0.0))).unwrap_or(1.0);
        let primary = tag.split('-').next().unwrap_or("");
        if let Some(lang) = Lang::from_code(primary)
            && quality > 0.0
            && best.is_none_or(|(_, q)| quality > q)
        {
            best = Some((lang, quality));
        }
    }
    best.map(|(lang, _)| lang)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(source: &str) -> Vec<String> {
        let mut keys: Vec<String> = source
            .lines()
            .filter(|l| !l.starts_with('#') && !l.starts_with(' ') && l.contains(" ="))
            .map(|l| l.split(" =").next().unwrap().trim().to_owned())
            .collect();
        keys.sort();
        keys
    }

    #[test]
    fn both_languages_have_every_string() {
        let en = keys(SOURCES[0].1);
        let ar = keys(SOURCES[1].1);
        assert!(en.len() > 40, "{en:?}");
        assert_eq!(en, ar);
        for key in &en {
            assert_ne!(Lang::En.t(key), *key, "{key} does not format in English");
            assert_ne!(Lang::Ar.t(key), *key, "{key} does not format in Arabic");
        }
    }

    #[test]
    fn plurals_follow_each_language() {
        let count = |lang: Lang, n: i64| lang.t_with("results-count", &[("count", FluentValue::from(n))]);
        assert_eq!(count(Lang::En, 1), "1 product");
        assert_eq!(count(Lang::En, 24), "24 products");
        assert!(count(Lang::Ar, 0).contains("لا"));
        assert!(count(Lang::Ar, 2).contains("منتجان"));
    }

    #[test]
    fn paths_carry_the_language() {
        assert_eq!(Lang::of_path("/ar/c/tea"), Lang::Ar);
        assert_eq!(Lang::of_path("/ar"), Lang::Ar);
        assert_eq!(Lang::of_path("/arabic-coffee"), Lang::En);
        assert_eq!(Lang::strip("/ar/c/tea"), "/c/tea");
        assert_eq!(Lang::strip("/ar"), "/");
        assert_eq!(Lang::Ar.path("/"), "/ar");
        assert_eq!(Lang::Ar.path("/p/x"), "/ar/p/x");
        assert_eq!(Lang::En.path("/p/x"), "/p/x");
    }

    #[test]
    fn the_first_visit_guess_weighs_qualities() {
        assert_eq!(guess("ar-SA,ar;q=0.9,en;q=0.8"), Some(Lang::Ar));
        assert_eq!(guess("fr-FR,en;q=0.5,ar;q=0.7"), Some(Lang::Ar));
        assert_eq!(guess("en-GB,en;q=0.9"), Some(Lang::En));
        assert_eq!(guess("fr, de"), None);
        assert_eq!(guess("ar;q=0"), None);
        assert_eq!(guess(""), None);
    }
}
