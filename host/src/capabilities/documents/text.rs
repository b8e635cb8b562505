//! Bilingual text normalisation for search: the same folding on stored text and on queries,
//! so a shopper finds a product however its name was typed.

/// Folds text for indexing and searching: lowercase; Arabic diacritics (tashkeel, superscript
/// alef) and tatweel removed; alef forms (أ إ آ ٱ) → ا; ta marbuta ة → ه; alef maqsura ى → ي.
/// Latin diacritics are folded by the store's tokenizer.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\u{064B}'..='\u{065F}' | '\u{0670}' | '\u{0640}' => {}
            'أ' | 'إ' | 'آ' | 'ٱ' => out.push('ا'),
            'ة' => out.push('ه'),
            'ى' => out.push('ي'),
            _ => out.extend(c.to_lowercase()),
        }
    }
    out
}

/// The words of a search, normalised: runs of letters and digits.
pub fn words(query: &str) -> Vec<String> {
    normalize(query)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(16)
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_arabic_variants_to_one_form() {
        // "Arabic coffee" typed with diacritics, hamza-alef and ta marbuta; and plainly.
        let typed = normalize("قَهْوَة عَرَبِيَّة أصيلة");
        let plain = normalize("قهوه عربيه اصيله");
        assert_eq!(typed, plain);
        assert_eq!(normalize("مستشفى"), "مستشفي");
        assert_eq!(normalize("كـتـاب"), "كتاب");
    }

    #[test]
    fn splits_words_and_lowercases() {
        assert_eq!(words("  Red-SHOES, إبريق!"), ["red", "shoes", "ابريق"]);
    }
}
