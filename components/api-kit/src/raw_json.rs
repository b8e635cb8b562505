//! The top-level fields of a JSON object as slices of its text, without building anything.
//!
//! The store hands components documents as JSON text that the host wrote (serde_json, from
//! a parsed document), so they are well-formed. A listing copies most of each document's
//! fields into its answer unchanged; finding where each field's value starts and ends is
//! all it needs, and that is far cheaper than a validating parse (which was most of a
//! listing's time in the component). Structure is still checked: text that is not an
//! object of `"key": value` pairs is refused, never misread past its end.

/// The text is not a JSON object this scanner can split.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("malformed JSON object at byte {0}")]
pub struct Malformed(pub usize);

/// The fields of the object `json`, in order: each key as it is written between its quotes
/// (escapes not decoded) and its value's JSON text.
pub fn fields(json: &str) -> Fields<'_> {
    Fields { text: json, structure: Structure::of(json.as_bytes()), at: 0, state: State::Start }
}

/// See [`fields`].
pub struct Fields<'a> {
    text: &'a str,
    structure: Structure,
    at: usize,
    state: State,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Start,
    Inside,
    Done,
}

impl<'a> Iterator for Fields<'a> {
    type Item = Result<(&'a str, &'a str), Malformed>;

    fn next(&mut self) -> Option<Self::Item> {
        let result = self.step();
        match result {
            Ok(Some(field)) => Some(Ok(field)),
            Ok(None) => None,
            Err(error) => {
                self.state = State::Done;
                Some(Err(error))
            }
        }
    }
}

impl<'a> Fields<'a> {
    fn step(&mut self) -> Result<Option<(&'a str, &'a str)>, Malformed> {
        let bytes = self.text.as_bytes();
        match self.state {
            State::Done => return Ok(None),
            State::Start => {
                self.at = skip_space(bytes, 0);
                expect(bytes, self.at, b'{')?;
                self.at = skip_space(bytes, self.at + 1);
                self.state = State::Inside;
                if bytes.get(self.at) == Some(&b'}') {
                    return self.end(self.at + 1);
                }
            }
            State::Inside => {}
        }
        expect(bytes, self.at, b'"')?;
        let key_end = self.structure.string_end(self.at)?;
        let key = self.slice(self.at + 1, key_end - 1);
        let colon = skip_space(bytes, key_end);
        expect(bytes, colon, b':')?;
        let value_start = skip_space(bytes, colon + 1);
        let value_end = self.structure.value_end(bytes, value_start)?;
        let value = self.slice(value_start, value_end);
        let next = skip_space(bytes, value_end);
        match bytes.get(next) {
            Some(b',') => self.at = skip_space(bytes, next + 1),
            Some(b'}') => {
                self.end(next + 1)?;
            }
            _ => return Err(Malformed(next)),
        }
        Ok(Some((key, value)))
    }

    /// The text between two structural positions. Each is the index of an ASCII byte (a
    /// quote, a bracket, a delimiter) or the text's end, so a char boundary: the checked
    /// slicing's boundary tests, a call per key and per value, were 2 % of a listing's
    /// instructions.
    fn slice(&self, start: usize, end: usize) -> &'a str {
        let text: &'a str = self.text;
        assert!(start <= end && end <= text.len(), "a field span lies within the text");
        debug_assert!(text.is_char_boundary(start) && text.is_char_boundary(end));
        // SAFETY: in bounds (asserted); both ends are char boundaries (see above), so the
        // slice is UTF-8.
        unsafe { text.get_unchecked(start..end) }
    }

    /// The object closed at `after - 1`: only whitespace may follow.
    fn end(&mut self, after: usize) -> Result<Option<(&'a str, &'a str)>, Malformed> {
        self.state = State::Done;
        let rest = skip_space(self.text.as_bytes(), after);
        if rest != self.text.len() {
            return Err(Malformed(rest));
        }
        Ok(None)
    }
}

fn skip_space(bytes: &[u8], mut at: usize) -> usize {
    while matches!(bytes.get(at), Some(b' ' | b'\n' | b'\r' | b'\t')) {
        at += 1;
    }
    at
}

fn expect(bytes: &[u8], at: usize, byte: u8) -> Result<(), Malformed> {
    if bytes.get(at) == Some(&byte) { Ok(()) } else { Err(Malformed(at)) }
}

/// Where a text's quotes and brackets are, one bit per byte, found 64 bytes at a time (the
/// first stage of simdjson's design): stepping over a string or a nested value is then a
/// few bit operations, not a call and a scan per string (which was most of a listing's
/// time in the component, its stored documents being mostly short strings).
struct Structure {
    /// Per 64-byte block: the quotes that open or close a string (not escaped ones), then
    /// the brackets outside strings.
    blocks: Vec<[u64; 2]>,
}

/// A block's quotes, backslashes and brackets (`{}[]`), bit `i` for byte `i`.
#[derive(Debug, PartialEq, Eq)]
struct Marks {
    quotes: u64,
    backslashes: u64,
    brackets: u64,
}

impl Structure {
    fn of(bytes: &[u8]) -> Self {
        let mut blocks = Vec::with_capacity(bytes.len().div_ceil(64));
        // Whether the next block's first byte is escaped, and whether it starts in a string
        // (all ones) or not.
        let (mut escaped_carry, mut in_string_carry) = (false, 0u64);
        let mut chunks = bytes.chunks_exact(64);
        let mut push = |marks: Marks| {
            let escaped = escaped_bytes(marks.backslashes, &mut escaped_carry);
            let quotes = marks.quotes & !escaped;
            let inside = prefix_xor(quotes) ^ in_string_carry;
            in_string_carry = ((inside as i64) >> 63) as u64;
            blocks.push([quotes, marks.brackets & !inside]);
        };
        for chunk in &mut chunks {
            push(classify(chunk.try_into().expect("a 64-byte chunk")));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            // Zeros are none of the bytes looked for.
            let mut last = [0u8; 64];
            last[..rest.len()].copy_from_slice(rest);
            push(classify(&last));
        }
        Self { blocks }
    }

    /// The first byte at or after `from` marked in lane `lane` (0: quotes, 1: brackets).
    fn next(&self, lane: usize, from: usize) -> Option<usize> {
        let mut block = from / 64;
        let mut bits = self.blocks.get(block)?[lane] & (!0u64 << (from % 64));
        loop {
            if bits != 0 {
                return Some(block * 64 + bits.trailing_zeros() as usize);
            }
            block += 1;
            bits = self.blocks.get(block)?[lane];
        }
    }

    /// The index just past the string that opens at `start` (a `"`).
    fn string_end(&self, start: usize) -> Result<usize, Malformed> {
        self.next(0, start + 1).map(|end| end + 1).ok_or(Malformed(start))
    }

    /// The index just past the value that starts at `start`.
    fn value_end(&self, bytes: &[u8], start: usize) -> Result<usize, Malformed> {
        match bytes.get(start) {
            Some(b'"') => self.string_end(start),
            Some(b'{' | b'[') => {
                // Brackets inside strings are not marked; each marked one moves the depth.
                let mut depth = 0usize;
                let mut at = start;
                loop {
                    let bracket = self.next(1, at).ok_or(Malformed(start))?;
                    if bracket == start && depth == 0 {
                        depth = 1;
                    } else if depth == 0 {
                        // The opening bracket lies in what the marks call a string: the text
                        // is not JSON.
                        return Err(Malformed(start));
                    } else if matches!(bytes[bracket], b'{' | b'[') {
                        depth += 1;
                    } else {
                        depth -= 1;
                        if depth == 0 {
                            return Ok(bracket + 1);
                        }
                    }
                    at = bracket + 1;
                }
            }
            // A number, `true`, `false` or `null`: up to the next delimiter.
            Some(_) => {
                let length = bytes[start..].iter().position(|b| matches!(b, b',' | b'}' | b']' | b' ' | b'\n' | b'\r' | b'\t'));
                match length {
                    Some(0) => Err(Malformed(start)),
                    Some(length) => Ok(start + length),
                    None => Err(Malformed(start)),
                }
            }
            None => Err(Malformed(start)),
        }
    }
}

/// The bytes a backslash escapes, given the block's backslashes; `carry` says whether the
/// block's first byte is escaped, and is set when its last byte escapes the next block's.
fn escaped_bytes(backslashes: u64, carry: &mut bool) -> u64 {
    let mut escaped = u64::from(std::mem::take(carry));
    let mut left = backslashes;
    // Backslashes are rare in stored text (quotes and controls in a name or a description).
    while left != 0 {
        let at = left.trailing_zeros();
        left &= left - 1;
        if escaped & (1 << at) != 0 {
            // An escaped backslash escapes nothing.
            continue;
        }
        if at == 63 {
            *carry = true;
        } else {
            escaped |= 1 << (at + 1);
        }
    }
    escaped
}

/// Bit `i` of the answer is the parity of bits `0..=i`: between an opening quote (included)
/// and its closing one (excluded), the bits are ones.
fn prefix_xor(mut bits: u64) -> u64 {
    for shift in [1, 2, 4, 8, 16, 32] {
        bits ^= bits << shift;
    }
    bits
}

/// The marks of one 64-byte block, with WebAssembly SIMD: sixteen bytes per comparison.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
fn classify(block: &[u8; 64]) -> Marks {
    use core::arch::wasm32::{u8x16_bitmask, u8x16_eq, u8x16_splat, v128, v128_and, v128_or};
    let (quote, backslash, fold, open, close) =
        (u8x16_splat(b'"'), u8x16_splat(b'\\'), u8x16_splat(!0x20), u8x16_splat(b'['), u8x16_splat(b']'));
    let mut marks = Marks { quotes: 0, backslashes: 0, brackets: 0 };
    for lane in 0..4 {
        // SAFETY: the 16 bytes at `16 * lane` lie within the 64-byte block; v128 loads need
        // no alignment.
        let bytes: v128 = unsafe { core::ptr::read_unaligned(block.as_ptr().add(16 * lane).cast::<v128>()) };
        // `{` and `}` are `[` and `]` with bit 5 set.
        let folded = v128_and(bytes, fold);
        let brackets = v128_or(u8x16_eq(folded, open), u8x16_eq(folded, close));
        let shift = 16 * lane;
        marks.quotes |= u64::from(u8x16_bitmask(u8x16_eq(bytes, quote))) << shift;
        marks.backslashes |= u64::from(u8x16_bitmask(u8x16_eq(bytes, backslash))) << shift;
        marks.brackets |= u64::from(u8x16_bitmask(brackets)) << shift;
    }
    marks
}

/// The marks of one 64-byte block, a byte at a time (targets without WebAssembly SIMD: the
/// native unit tests).
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
fn classify(block: &[u8; 64]) -> Marks {
    let mut marks = Marks { quotes: 0, backslashes: 0, brackets: 0 };
    for (at, byte) in block.iter().enumerate() {
        let bit = 1u64 << at;
        match byte {
            b'"' => marks.quotes |= bit,
            b'\\' => marks.backslashes |= bit,
            b'{' | b'}' | b'[' | b']' => marks.brackets |= bit,
            _ => {}
        }
    }
    marks
}

/// The text of a JSON string value that needs no unescaping (`"abc"` → `abc`); None for
/// anything else, or a string with escapes.
pub fn plain_str(value: &str) -> Option<&str> {
    // Without an early exit the scan vectorises (`contains` calls `memchr`, byte by byte in
    // WebAssembly: 2 % of a listing's instructions for its short ids).
    value.strip_prefix('"')?.strip_suffix('"').filter(|inner| !inner.bytes().fold(false, |found, b| found | (b == b'\\')))
}

/// The text of a JSON string value, unescaped only when it has escapes; None when the value
/// is not a string.
pub fn string(value: &str) -> Option<std::borrow::Cow<'_, str>> {
    match plain_str(value) {
        Some(plain) => Some(std::borrow::Cow::Borrowed(plain)),
        None => serde_json::from_str::<String>(value).ok().map(std::borrow::Cow::Owned),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(json: &str) -> Result<Vec<(&str, &str)>, Malformed> {
        fields(json).collect()
    }

    #[test]
    fn splits_an_object_into_its_keys_and_value_texts() {
        let json = r#"{"a":1,"b":"x\"}y","c":{"d":[1,{"e":"]}"}],"f":null},"g":[],"h":true, "i" : -2.5e3 }"#;
        assert_eq!(
            all(json).unwrap(),
            [("a", "1"), ("b", r#""x\"}y""#), ("c", r#"{"d":[1,{"e":"]}"}],"f":null}"#), ("g", "[]"), ("h", "true"), ("i", "-2.5e3")]
        );
        assert_eq!(all(" {} ").unwrap(), []);
        assert_eq!(all(r#"{"ar":"قهوة \\ عربية"}"#).unwrap(), [("ar", r#""قهوة \\ عربية""#)]);
    }

    #[test]
    fn refuses_what_is_not_an_object_and_never_reads_past_the_end() {
        for bad in
            ["", "[]", "{", r#"{"a"}"#, r#"{"a":}"#, r#"{"a":1"#, r#"{"a":"x}"#, r#"{"a":{"b":1}"#, r#"{"a":1}x"#, r#"{"a":"\"#, "{a:1}"]
        {
            assert!(all(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn every_value_of_a_serde_document_is_its_own_json() {
        let doc = serde_json::json!({
            "_id": "p1", "name": {"en": "Brass \"lamp\"\n", "ar": "مصباح"}, "tags": ["a", "b\\"], "n": 0.5, "none": null, "ok": false,
        });
        let text = doc.to_string();
        for (key, value) in fields(&text).map(Result::unwrap) {
            let parsed: serde_json::Value = serde_json::from_str(value).unwrap();
            assert_eq!(parsed, doc[key], "{key}");
        }
    }

    /// A small deterministic generator (xorshift), so a failure is repeatable.
    struct Random(u64);

    impl Random {
        fn below(&mut self, n: u64) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0 % n
        }

        /// A string rich in what the scanner must get right: quotes, backslashes, brackets,
        /// Arabic, controls, and lengths that cross 64-byte blocks.
        fn string(&mut self) -> String {
            const PIECES: [&str; 12] = ["a", "\"", "\\", "{", "}", "[", "]", "قهوة", "\n", ",", ":", "\\\""];
            let length = [0, 1, 3, 20, 63, 64, 65, 130][self.below(8) as usize];
            (0..length).map(|_| PIECES[self.below(PIECES.len() as u64) as usize]).collect()
        }

        fn value(&mut self, depth: u32) -> serde_json::Value {
            use serde_json::Value;
            match self.below(if depth > 3 { 5 } else { 7 }) {
                0 => Value::Null,
                1 => Value::Bool(self.below(2) == 0),
                2 => serde_json::json!(self.below(1 << 40) as i64 - (1 << 39)),
                3 => serde_json::json!(self.below(1000) as f64 / 8.0),
                4 => Value::String(self.string()),
                5 => Value::Array((0..self.below(5)).map(|_| self.value(depth + 1)).collect()),
                _ => Value::Object((0..self.below(5)).map(|_| (self.string(), self.value(depth + 1))).collect()),
            }
        }
    }

    #[test]
    fn random_documents_split_as_serde_reads_them_whatever_the_blocks() {
        let mut random = Random(0x9E37_79B9_7F4A_7C15);
        for round in 0..3000 {
            let doc: serde_json::Map<String, serde_json::Value> =
                (0..random.below(12)).map(|_| (random.string(), random.value(0))).collect();
            let compact = serde_json::to_string(&doc).unwrap();
            let pretty = serde_json::to_string_pretty(&doc).unwrap();
            // Shifted by up to 63 bytes of leading whitespace, so every string meets a block
            // boundary somewhere.
            let shifted = format!("{}{compact}", " ".repeat(round % 64));
            for text in [&compact, &pretty, &shifted] {
                let split = all(text).unwrap_or_else(|e| panic!("{e} in {text}"));
                assert_eq!(split.len(), doc.len(), "{text}");
                for (key, value) in split {
                    let key: String = serde_json::from_str(&format!("\"{key}\"")).unwrap();
                    let parsed: serde_json::Value = serde_json::from_str(value).unwrap_or_else(|e| panic!("{e}: {value}"));
                    assert_eq!(parsed, doc[&key], "{key} in {text}");
                }
            }
        }
    }

    #[test]
    fn damaged_documents_are_refused_or_split_never_misread_past_the_end() {
        let mut random = Random(0xD1B5_4A32_D192_ED03);
        for _ in 0..3000 {
            let doc: serde_json::Map<String, serde_json::Value> =
                (0..1 + random.below(6)).map(|_| (random.string(), random.value(0))).collect();
            let mut bytes = serde_json::to_string(&doc).unwrap().into_bytes();
            // Cut it short, or put a structural byte somewhere.
            if random.below(2) == 0 {
                bytes.truncate(random.below(bytes.len() as u64) as usize);
            } else {
                let at = random.below(bytes.len() as u64) as usize;
                bytes[at] = b"\"\\{}[],: x"[random.below(10) as usize];
            }
            let Ok(text) = String::from_utf8(bytes) else { continue };
            // Values are slices of the text (so within it); a split must not panic.
            for field in fields(&text) {
                let Ok((key, value)) = field else { break };
                assert!(key.len() + value.len() <= text.len());
            }
        }
    }

    #[test]
    fn escapes_are_followed_across_blocks() {
        // A backslash as a block's last byte escapes the next block's first (a quote here).
        for run in 1..5 {
            let padding = 58 - run;
            let text = format!("{{\"k\":\"{}{}\"x\"}}", "a".repeat(padding), "\\".repeat(run));
            let result = all(&text);
            if run % 2 == 1 {
                // An odd run escapes the quote: the string goes on to `x"`.
                assert_eq!(result.unwrap()[0].1.len(), text.len() - 6, "{text}");
            } else {
                assert!(result.is_err(), "an even run escapes nothing: the string ends, x follows: {text}");
            }
        }
    }

    #[test]
    fn plain_strings_are_read_without_a_parse() {
        assert_eq!(plain_str(r#""published""#), Some("published"));
        assert_eq!(plain_str(r#""a\"b""#), None);
        assert_eq!(plain_str("12"), None);
        assert_eq!(string(r#""a\"b""#).as_deref(), Some("a\"b"));
        assert_eq!(string("12"), None);
    }
}
