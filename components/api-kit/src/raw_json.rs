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
    Fields { text: json, at: 0, state: State::Start }
}

/// See [`fields`].
pub struct Fields<'a> {
    text: &'a str,
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
        let key_end = string_end(bytes, self.at)?;
        let key = &self.text[self.at + 1..key_end - 1];
        let colon = skip_space(bytes, key_end);
        expect(bytes, colon, b':')?;
        let value_start = skip_space(bytes, colon + 1);
        let value_end = value_end(bytes, value_start)?;
        let value = &self.text[value_start..value_end];
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

/// The index just past the string that opens at `start` (a `"`).
fn string_end(bytes: &[u8], start: usize) -> Result<usize, Malformed> {
    let mut at = start + 1;
    loop {
        // memchr scans with WebAssembly SIMD: strings are most of a document's bytes.
        let offset = bytes.get(at..).and_then(|rest| memchr::memchr2(b'"', b'\\', rest)).ok_or(Malformed(start))?;
        at += offset;
        if bytes[at] == b'"' {
            return Ok(at + 1);
        }
        // A backslash escapes the next byte (for `\u`, the four hex digits are plain bytes).
        at += 2;
    }
}

/// The index just past the value that starts at `start`.
fn value_end(bytes: &[u8], start: usize) -> Result<usize, Malformed> {
    match bytes.get(start) {
        Some(b'"') => string_end(bytes, start),
        Some(b'{' | b'[') => {
            let mut depth = 0usize;
            let mut at = start;
            loop {
                // Only quotes and brackets matter here; everything else is stepped over.
                let offset = bytes[at..].iter().position(|b| matches!(b, b'"' | b'{' | b'[' | b'}' | b']')).ok_or(Malformed(start))?;
                at += offset;
                match bytes[at] {
                    b'"' => {
                        at = string_end(bytes, at)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    _ => {
                        depth -= 1;
                        if depth == 0 {
                            return Ok(at + 1);
                        }
                    }
                }
                at += 1;
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

/// The text of a JSON string value that needs no unescaping (`"abc"` → `abc`); None for
/// anything else, or a string with escapes.
pub fn plain_str(value: &str) -> Option<&str> {
    value.strip_prefix('"')?.strip_suffix('"').filter(|inner| !inner.contains('\\'))
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

    #[test]
    fn plain_strings_are_read_without_a_parse() {
        assert_eq!(plain_str(r#""published""#), Some("published"));
        assert_eq!(plain_str(r#""a\"b""#), None);
        assert_eq!(plain_str("12"), None);
        assert_eq!(string(r#""a\"b""#).as_deref(), Some("a\"b"));
        assert_eq!(string("12"), None);
    }
}
