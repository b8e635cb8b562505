//! Bilingual text normalisation for search: the same folding on stored text and on queries,
//! in every backend, so a shopper finds a product however its name was typed.

use unicode_normalization::UnicodeNormalization;

/// Whether a character is a mark to drop: Latin combining diacritics and Arabic harakat,
/// hamza/madda marks and the superscript alef.
fn is_dropped_mark(c: char) -> bool {
    matches!(c, '\u{0300}'..='\u{036F}' | '\u{064B}'..='\u{065F}' | '\u{0670}')
}

/// Folds text for indexing and searching. After canonical decomposition (NFD):
/// - combining marks are dropped: Latin diacritics (é → e) and Arabic diacritics, which
///   also turns أ إ آ into ا;
/// - tatweel is removed;
/// - ٱ → ا, ta marbuta ة → ه, alef maqsura ى → ي;
/// - everything is lowercased.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.nfd() {
        match c {
            c if is_dropped_mark(c) => {}
            '\u{0640}' => {}
            'ٱ' => out.push('ا'),
            'ة' => out.push('ه'),
            'ى' => out.push('ي'),
            _ => out.extend(c.to_lowercase()),
        }
    }
    out
}

/// The words of a text, normalised: runs of letters and digits (at most 16 for a query).
pub fn words(query: &str) -> Vec<String> {
    normalize(query).split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).take(16).map(str::to_owned).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_arabic_variants_to_one_form() {
        // "Authentic Arabic coffee" typed with diacritics, hamza-alef and ta marbuta; and plainly.
        let typed = normalize("قَهْوَة عَرَبِيَّة أصيلة");
        let plain = normalize("قهوه عربيه اصيله");
        assert_eq!(typed, plain);
        for (variant, folded) in [("إبريق", "ابريق"), ("آلة", "اله"), ("ٱلكتاب", "الكتاب"), ("مستشفى", "مستشفي"), ("كـتـاب", "كتاب")]
        {
            assert_eq!(normalize(variant), folded, "{variant}");
        }
    }

    #[test]
    fn folds_latin_diacritics_and_case() {
        assert_eq!(normalize("Café Crème BRÛLÉE"), "cafe creme brulee");
    }

    #[test]
    fn splits_words() {
        assert_eq!(words("  Red-SHOES, إبريق!"), ["red", "shoes", "ابريق"]);
    }
}
