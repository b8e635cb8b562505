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

impl LocalizedText {
    /// Reads `{"en": …, "ar": …}` at `field`, each at most `max_chars` characters, recording
    /// every problem (missing language, wrong type, empty, too long, unknown key) in `errors`.
    pub fn parse(value: Option<&Value>, field: &str, max_chars: usize, errors: &mut FieldErrors) -> Option<Self> {
        let Some(value) = value else {
            errors.push(field, "is required");
            return None;
        };
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
                None | Some(Value::Null) => errors.push(path, "is required"),
                Some(Value::String(s)) => {
                    let trimmed = s.trim();
                    if trimmed.is_empty() {
                        errors.push(path, "must not be empty");
                    } else if trimmed.chars().count() > max_chars {
                        errors.push(path, format!("must be at most {max_chars} characters"));
                    } else if trimmed.chars().any(char::is_control) {
                        errors.push(path, "must not contain control characters");
                    } else {
                        return Some(trimmed.to_owned());
                    }
                }
                Some(_) => errors.push(path, "must be a string"),
            }
            None
        };
        let en = text("en");
        let ar = text("ar");
        Some(Self { en: en?, ar: ar? })
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
}
