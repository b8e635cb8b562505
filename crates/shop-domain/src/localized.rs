//! Text in the shop's two languages.

use crate::FieldErrors;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Text given in English and Arabic, both present, trimmed and non-empty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalizedText {
    /// English.
    pub en: String,
    /// Arabic.
    pub ar: String,
}

/// How the text of one language may look.
#[derive(Debug, Clone, Copy)]
pub struct TextRules {
    /// The most characters (not bytes).
    pub max_chars: usize,
    /// Whether line breaks (and tabs) are allowed, as in a description.
    pub multiline: bool,
}

/// Reads `{"en": …, "ar": …}` at `field`: unknown languages are errors; each language
/// present is trimmed and checked against `rules`. Returns the object's texts by language
/// (`None` where absent or `null`), or `None` when `value` is not an object.
fn parse_languages(value: &Value, field: &str, rules: TextRules, errors: &mut FieldErrors) -> Option<[Option<String>; 2]> {
    let Some(object) = value.as_object() else {
        errors.push(field, "must be an object with `en` and `ar` texts");
        return None;
    };
    for key in object.keys().filter(|key| !matches!(key.as_str(), "en" | "ar")) {
        errors.push(format!("{field}.{key}"), "is not a supported language (use `en` and `ar`)");
    }
    let mut text = |lang: &str| -> Option<String> {
        let path = format!("{field}.{lang}");
        match object.get(lang) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => {
                let trimmed = s.trim();
                let bad_control = |c: char| c.is_control() && !(rules.multiline && matches!(c, '\n' | '\r' | '\t'));
                if trimmed.is_empty() {
                    errors.push(path, "must not be empty");
                } else if trimmed.chars().count() > rules.max_chars {
                    errors.push(path, format!("must be at most {} characters", rules.max_chars));
                } else if trimmed.chars().any(bad_control) {
                    errors.push(path, "must not contain control characters");
                } else {
                    return Some(trimmed.to_owned());
                }
                None
            }
            Some(_) => {
                errors.push(path, "must be a string");
                None
            }
        }
    };
    Some([text("en"), text("ar")])
}

impl LocalizedText {
    /// Reads `{"en": …, "ar": …}` at `field`, each at most `max_chars` characters, recording
    /// every problem (missing language, wrong type, empty, too long, unknown key) in `errors`.
    pub fn parse(value: Option<&Value>, field: &str, max_chars: usize, errors: &mut FieldErrors) -> Option<Self> {
        let Some(value) = value else {
            errors.push(field, "is required");
            return None;
        };
        let object = value.as_object();
        let [en, ar] = parse_languages(value, field, TextRules { max_chars, multiline: false }, errors)?;
        for (lang, text) in [("en", &en), ("ar", &ar)] {
            let absent = object.and_then(|o| o.get(lang)).is_none_or(Value::is_null);
            if text.is_none() && absent {
                errors.push(format!("{field}.{lang}"), "is required");
            }
        }
        Some(Self { en: en?, ar: ar? })
    }
}

/// Text in English and Arabic where a translation may still be missing (a draft's).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Translations {
    /// English, if written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub en: Option<String>,
    /// Arabic, if written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ar: Option<String>,
}

impl Translations {
    /// Reads `{"en"?: …, "ar"?: …}` at `field` (absent or `null`: no text in either language).
    pub fn parse(value: Option<&Value>, field: &str, rules: TextRules, errors: &mut FieldErrors) -> Self {
        match value {
            None | Some(Value::Null) => Self::default(),
            Some(value) => match parse_languages(value, field, rules, errors) {
                Some([en, ar]) => Self { en, ar },
                None => Self::default(),
            },
        }
    }

    /// The text in a language (`en` or `ar`).
    pub fn get(&self, lang: &str) -> Option<&str> {
        match lang {
            "en" => self.en.as_deref(),
            "ar" => self.ar.as_deref(),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(value: Value) -> (Option<LocalizedText>, Vec<String>) {
        let mut errors = FieldErrors::new();
        let parsed = LocalizedText::parse(Some(&value), "name", 10, &mut errors);
        (parsed, errors.into_vec().into_iter().map(|e| e.field).collect())
    }

    #[test]
    fn trims_both_languages() {
        let (parsed, errors) = parse(json!({"en": " Books ", "ar": "كتب"}));
        assert_eq!(parsed, Some(LocalizedText { en: "Books".into(), ar: "كتب".into() }));
        assert!(errors.is_empty());
    }

    #[test]
    fn names_each_bad_field() {
        let (parsed, errors) = parse(json!({"en": 5, "ar": "   ", "fr": "Livres"}));
        assert_eq!(parsed, None);
        assert_eq!(errors, ["name.fr", "name.en", "name.ar"]);
    }

    #[test]
    fn counts_characters_not_bytes() {
        // Ten Arabic letters are twenty bytes but within a ten-character limit.
        assert!(parse(json!({"en": "a", "ar": "ابتثجحخدذر"})).0.is_some());
        assert_eq!(parse(json!({"en": "a".repeat(11), "ar": "ب"})).1, ["name.en"]);
    }

    #[test]
    fn translations_may_be_missing_and_descriptions_may_break_lines() {
        let rules = TextRules { max_chars: 50, multiline: true };
        let mut errors = FieldErrors::new();
        let t = Translations::parse(Some(&json!({"en": "Line one\nLine two"})), "description", rules, &mut errors);
        assert_eq!((t.get("en"), t.get("ar")), (Some("Line one\nLine two"), None));
        assert!(errors.is_empty());
        let single = TextRules { max_chars: 50, multiline: false };
        Translations::parse(Some(&json!({"en": "a\nb", "ar": 3})), "name", single, &mut errors);
        let fields: Vec<String> = errors.into_vec().into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["name.en", "name.ar"]);
    }
}
